/* `fit`: the maximum-likelihood estimate (infer/fit.h), stored as a fit
 * (obj_fit), computed as a job (one start a step). The command only reads
 * its options. */
#include "lang/args.h"
#include "lang/commands.h"

#include "core/rng.h"
#include "infer/fit.h"
#include "model/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

ss_status cmd_fit(session *s, const ss_stmt *st)
{
    ss_status rc = args_check_opts(st, 1, 1);
    const char *name;
    model *m;
    if (rc == SS_OK)
        rc = args_model(s, st, &name, &m);
    const char *store = st->as_name ? st->as_name : "fit";
    if (rc == SS_OK)
        rc = session_check_name(s, store, &obj_fit, st->verb_col);
    if (rc == SS_OK)
        rc = args_require(st, "data");
    uint64_t starts = 0, seed = 0, maxiter = 0;
    const char *method = NULL;
    if (rc == SS_OK)
        rc = args_count(st, "starts", &starts);
    if (rc == SS_OK)
        rc = args_count(st, "seed", &seed);
    if (rc == SS_OK)
        rc = args_count(st, "maxiter", &maxiter);
    if (rc == SS_OK)
        rc = args_word(st, "method", &method);
    if (rc != SS_OK)
        return rc;
    const ss_stmt_arg *da = args_key(st, "data");
    dataset *d;
    if ((rc = session_get(s, da->v.str, &obj_data, da->v.col, (void **)&d)) !=
        SS_OK)
        return rc;
    fit_spec sp = {.method = method, .starts = (size_t)starts,
                   .seed = seed, .maxiter = (size_t)maxiter};
    fit_result *f = NULL;
    fit_iter *it = NULL;
    rc = fit_iter_alloc(m, d->X, &sp, &it);
    if (rc == SS_OK) {
        /* a start a step: progress in the status bar or on stderr; Ctrl-C
         * keeps the best start finished (the report says it was
         * interrupted) */
        session_job job = {{&fit_iter_type, it}, "fit", NULL, NULL, store};
        int stopped;
        rc = session_drive_keeping(s, &job, &stopped);
        if (rc == SS_OK)
            rc = fit_iter_take(it, stopped, &f);
    }
    fit_iter_free(it);
    if (rc != SS_OK) {
        if (ss_last_error()->col == 0) {
            const ss_stmt_arg *a = NULL;
            if (ss_last_error()->code == SS_ERR_NAME ||
                strstr(ss_last_error()->msg, "method="))
                a = args_key(st, "method");
            if (!a && strstr(ss_last_error()->msg, "data"))
                a = da;
            ss_error_set_col(a ? a->v.col : st->verb_col);
        }
        return rc;
    }
    snprintf(f->source, sizeof f->source, "%s", name);
    snprintf(f->data, sizeof f->data, "%s", da->v.str);
    obj_fit.print(s, store, f);
    char origin[160];
    args_origin(st, origin, sizeof origin);
    return session_put(s, store, &obj_fit, f, origin);
}

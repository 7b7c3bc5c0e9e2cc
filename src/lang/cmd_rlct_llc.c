/* `rlct MODEL truth=T method=llc ...`: the local learning coefficient by
 * SGLD localised at the truth (bayes/llc.h), stored as an rlct estimate
 * with its llc part (obj_rlct). The command only reads its options. */
#include "lang/rlct_llc.h"

#include "lang/args.h"
#include "lang/commands.h"
#include "lang/shard.h"

#include "bayes/llc.h"
#include "bayes/rlct.h"
#include "core/rng.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

ss_status cmd_rlct_llc(session *s, const ss_stmt *st, const char *name,
                       const model *m, const model *t)
{
    uint64_t n = LLC_N_DEFAULT, steps = LLC_STEPS_DEFAULT,
             burnin = LLC_BURNIN_DEFAULT, chains = LLC_CHAINS_DEFAULT,
             batch = 0, threads = 0;
    double beta = 0, eps = LLC_EPS_DEFAULT, gamma = LLC_GAMMA_DEFAULT;
    dataset *d = NULL;
    if (args_key(st, "n") && args_key(st, "data"))
        return SS_FAIL_COL(SS_ERR_USAGE, args_key(st, "n")->key_col,
                           "rlct llc: n= is the size of the data "
                           "drawn from the truth; with data= the data set "
                           "gives n");
    ss_status rc = args_count(st, "n", &n);
    if (rc == SS_OK)
        rc = args_count(st, "steps", &steps);
    /* burnin= is shared with method=wbic, so its table entry has no
     * default: read it only when given (else LLC_BURNIN_DEFAULT). */
    if (rc == SS_OK && args_key(st, "burnin"))
        rc = args_count(st, "burnin", &burnin);
    if (rc == SS_OK)
        rc = args_count(st, "chains", &chains);
    if (rc == SS_OK)
        rc = args_count(st, "batch", &batch);
    if (rc == SS_OK)
        rc = args_count(st, "threads", &threads);
    if (rc == SS_OK && args_key(st, "beta")) {
        rc = args_real(st, "beta", &beta);
        if (rc == SS_OK && !(beta > 0))
            rc = SS_FAIL_COL(SS_ERR_RANGE, args_key(st, "beta")->v.col,
                             "rlct llc: beta=%g must be > 0", beta);
    }
    if (rc == SS_OK)
        rc = args_real(st, "eps", &eps);
    if (rc == SS_OK)
        rc = args_real(st, "gamma", &gamma);
    const char *at = "truth";
    if (rc == SS_OK)
        rc = args_word(st, "at", &at);
    const ss_stmt_arg *da = args_key(st, "data");
    if (rc == SS_OK && da)
        rc = session_get(s, da->v.str, &obj_data, da->v.col, (void **)&d);
    if (rc != SS_OK)
        return rc;
    llc_spec sp = {.n = (size_t)n, .data = d ? d->X : NULL, .beta = beta,
                   .eps = eps, .gamma = gamma, .steps = (size_t)steps,
                   .burnin = (size_t)burnin, .chains = (size_t)chains,
                   .batch = (size_t)batch,
                   .at_min = strcmp(at, "min") == 0,
                   .threads = (unsigned)threads};
    gsl_rng *saved;
    if ((rc = args_seed_begin(s, st, &sp.seed, &saved)) != SS_OK)
        return rc;
    /* the chains are the experiment's replicates (lang/shard.h) */
    exp_origin eo;
    rc = exp_origin_make(s, st, sp.chains, sp.seed, &eo);
    sp.first = eo.slice.first;
    sp.count = eo.slice.n ? eo.slice.count : 0;
    llc_iter *it = NULL;
    llc_result *lr = NULL;
    double *rows = NULL;
    size_t nrows = 0, ncols = 0;
    if (rc != SS_OK)
        ; /* shard= is wrong: the error is placed */
    else if (exp_is_merge(s)) {
        const double *mr = NULL;
        ncols = exp_merged_ncols(s);
        rc = exp_merged_raw(s, &eo, ncols, &mr);
        if (rc == SS_OK)
            rc = llc_result_from_rows(m, t, &sp, mr, ncols, &lr);
    } else {
        rc = llc_iter_alloc(m, t, &sp, &it);
    }
    if (rc == SS_OK && it) {
        session_job job = {{&llc_iter_type, it}, "rlct llc", NULL, NULL,
                           st->as_name};
        int stopped;
        rc = session_drive_keeping(s, &job, &stopped);
        ncols = llc_row_len(it);
        if (rc == SS_OK && eo.slice.n)
            rc = llc_iter_take_rows(it, stopped, &rows, &nrows);
        else if (rc == SS_OK)
            rc = llc_iter_take(it, stopped, &lr);
    }
    llc_iter_free(it);
    if (rc == SS_OK && eo.slice.n) {
        args_seed_end(s, saved, rc);
        char origin[160];
        args_origin(st, origin, sizeof origin);
        return exp_shard_store(s, st->as_name, &eo, "learning coefficient",
                               "chains", rows, nrows, ncols, origin);
    }
    rlct_result *r = NULL;
    if (rc == SS_OK) {
        r = calloc(1, sizeof *r);
        if (!r) {
            llc_result_free(lr);
            rc = SS_FAIL(SS_ERR_NOMEM, "out of memory");
        }
    }
    if (args_seed_end(s, saved, rc) != SS_OK) {
        if (ss_last_error()->col == 0) {
            int col = args_col_in_msg(st, ss_last_error()->msg);
            const ss_stmt_arg *ta = args_key(st, "truth");
            if (!col)
                col = strstr(ss_last_error()->msg, "truth") && ta
                          ? ta->v.col
                          : args_pos(st, 0)->v.col;
            ss_error_set_col(col);
        }
        return rc;
    }
    r->llc = lr;
    r->k = lr->k;
    r->known = lr->known;
    r->m_known = lr->m_known;
    snprintf(r->known_what, sizeof r->known_what, "%s", lr->known_what);
    snprintf(lr->model, sizeof lr->model, "%s", name);
    snprintf(lr->truth, sizeof lr->truth, "%s", args_key(st, "truth")->v.str);
    snprintf(lr->data, sizeof lr->data, "%s", da ? da->v.str : "");
    snprintf(r->model, sizeof r->model, "%s", name);
    snprintf(r->truth, sizeof r->truth, "%s", lr->truth);
    snprintf(r->kind, sizeof r->kind, "%s", lr->kind);
    obj_rlct.print(s, st->as_name, r);
    char origin[160];
    args_origin(st, origin, sizeof origin);
    return session_put(s, st->as_name, &obj_rlct, r, origin);
}

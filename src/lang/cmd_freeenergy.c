/* `freeenergy MODEL data=D ...`: F_n by thermodynamic integration over a β
 * ladder, WBIC and λ̂ two ways (bayes/ladder.h), stored as a free-energy
 * ladder (obj_freeenergy). The command only reads its options. */
#include "lang/args.h"
#include "lang/commands.h"

#include "bayes/ladder.h"
#include "core/rng.h"
#include "model/model.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* The column of the option an error is about, from its message. */
static int error_col(const ss_stmt *st)
{
    const char *msg = ss_last_error()->msg;
    int c = args_col_in_msg(st, msg);
    if (c)
        return c;
    if (strstr(msg, "data") || strstr(msg, "observations"))
        return args_key(st, "data")->v.col;
    return args_pos(st, 0) ? args_pos(st, 0)->v.col : st->verb_col;
}

ss_status cmd_freeenergy(session *s, const ss_stmt *st)
{
    ss_status rc = args_check_opts(st, 1, 1);
    const char *name;
    model *m = NULL;
    dataset *d = NULL;
    if (rc == SS_OK)
        rc = args_model(s, st, &name, &m);
    if (rc == SS_OK && !st->as_name)
        rc = SS_FAIL_COL(SS_ERR_USAGE, st->verb_col,
                         "freeenergy needs `as NAME` to store the ladder");
    if (rc == SS_OK)
        rc = session_check_name(s, st->as_name, &obj_freeenergy,
                                st->verb_col);
    if (rc == SS_OK)
        rc = args_require(st, "data");
    if (rc == SS_OK) {
        const ss_stmt_arg *a = args_key(st, "data");
        rc = session_get(s, a->v.str, &obj_data, a->v.col, (void **)&d);
    }
    uint64_t K = 0, samples = 0, chains = 0, burnin = 0, seed = 0,
             threads = 0;
    const char *smp = "rwm";
    if (rc == SS_OK)
        rc = args_count(st, "betas", &K);
    if (rc == SS_OK)
        rc = args_count(st, "samples", &samples);
    if (rc == SS_OK)
        rc = args_count(st, "chains", &chains);
    if (rc == SS_OK)
        rc = args_count(st, "burnin", &burnin);
    if (rc == SS_OK)
        rc = args_count(st, "seed", &seed);
    if (rc == SS_OK)
        rc = args_count(st, "threads", &threads);
    if (rc == SS_OK)
        rc = args_word(st, "sampler", &smp);
    if (rc != SS_OK)
        return rc;
    fe_spec sp = {.K = (size_t)K, .samples = (size_t)samples,
                  .chains = (size_t)chains, .burnin = (size_t)burnin,
                  .sampler = strcmp(smp, "mala") == 0 ? POST_MALA : POST_RWM,
                  .threads = (unsigned)threads};
    /* without seed= the session generator gives one; a command that
     * fails leaves the generator as it was */
    gsl_rng *saved = gsl_rng_clone(s->rng);
    if (!saved)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    sp.seed = args_key(st, "seed") ? seed : ss_rng_u64(s->rng);
    fe_iter *it = NULL;
    fe_result *r = NULL;
    rc = fe_iter_alloc(m, d->X, &sp, &it);
    if (rc == SS_OK) {
        session_job job = {{&fe_iter_type, it}, "freeenergy", NULL, NULL,
                           st->as_name};
        rc = session_drive(s, &job);
        if (rc == SS_OK)
            rc = fe_iter_take(it, &r);
    }
    fe_iter_free(it);
    if (rc != SS_OK) {
        gsl_rng_memcpy(s->rng, saved);
        gsl_rng_free(saved);
        if (ss_last_error()->col == 0)
            ss_error_set_col(error_col(st));
        return rc;
    }
    gsl_rng_free(saved);
    snprintf(r->model, sizeof r->model, "%s", name);
    snprintf(r->data, sizeof r->data, "%s", args_key(st, "data")->v.str);
    obj_freeenergy.print(s, st->as_name, r);
    char origin[160];
    args_origin(st, origin, sizeof origin);
    return session_put(s, st->as_name, &obj_freeenergy, r, origin);
}

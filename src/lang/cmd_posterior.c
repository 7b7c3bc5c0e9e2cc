/* `posterior MODEL data=D ...`: the tempered posterior by MCMC
 * (bayes/posterior.h), stored as a posterior (obj_posterior). The command
 * only reads its options. */
#include "lang/args.h"
#include "lang/commands.h"
#include "lang/shard.h"

#include "bayes/posterior.h"
#include "core/rng.h"
#include "model/model.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int mcmc_error_col(const ss_stmt *st)
{
    const char *msg = ss_last_error()->msg;
    int c = args_col_in_msg(st, msg);
    if (c)
        return c;
    if (strstr(msg, "data") || strstr(msg, "observations"))
        return args_key(st, "data")->v.col;
    return args_pos(st, 0) ? args_pos(st, 0)->v.col : st->verb_col;
}

ss_status mcmc_args_read(session *s, const ss_stmt *st, const obj_type *stores,
                         const char *stored, mcmc_args *o)
{
    memset(o, 0, sizeof *o);
    ss_status rc = args_check_opts(st, 1, 1);
    if (rc == SS_OK)
        rc = args_model(s, st, &o->name, &o->m);
    if (rc == SS_OK && !st->as_name)
        rc = SS_FAIL_COL(SS_ERR_USAGE, st->verb_col,
                         "%s needs `as NAME` to store the %s", st->verb,
                         stored);
    if (rc == SS_OK) /* a shard is stored as one (lang/shard.h) */
        rc = session_check_name(s, st->as_name,
                                args_key(st, "shard") ? &obj_shard : stores,
                                st->verb_col);
    if (rc == SS_OK)
        rc = args_require(st, "data");
    if (rc == SS_OK) {
        const ss_stmt_arg *a = args_key(st, "data");
        rc = session_get(s, a->v.str, &obj_data, a->v.col, (void **)&o->d);
    }
    const char *smp = "rwm";
    if (rc == SS_OK)
        rc = args_count(st, "samples", &o->samples);
    if (rc == SS_OK)
        rc = args_count(st, "chains", &o->chains);
    if (rc == SS_OK)
        rc = args_count(st, "burnin", &o->burnin);
    if (rc == SS_OK)
        rc = args_count(st, "threads", &o->threads);
    if (rc == SS_OK)
        rc = args_word(st, "sampler", &smp);
    o->mala = strcmp(smp, "mala") == 0;
    return rc;
}

ss_status cmd_posterior(session *s, const ss_stmt *st)
{
    mcmc_args ma;
    ss_status rc = mcmc_args_read(s, st, &obj_posterior, "draws", &ma);
    if (rc != SS_OK)
        return rc;
    const char *name = ma.name;
    model *m = ma.m;
    dataset *d = ma.d;
    double beta = 1;
    int wbic = 0;
    rc = args_real(st, "beta", &beta);
    if (rc == SS_OK)
        rc = args_bool(st, "wbic", &wbic);
    wbic = wbic == 1; /* -1: absent */
    if (rc == SS_OK && wbic && args_key(st, "beta"))
        rc = SS_FAIL_COL(SS_ERR_USAGE, args_key(st, "wbic")->v.col,
                         "posterior: wbic=yes sets beta = 1/log n; give "
                         "beta= or wbic=, not both");
    if (rc != SS_OK)
        return rc;
    if (wbic) {
        size_t n = model_nterms(m, d->X);
        if (n < 2)
            return SS_FAIL_COL(SS_ERR_USAGE, args_key(st, "wbic")->v.col,
                               "posterior: wbic=yes needs n >= 2 "
                               "observations (beta = 1/log n)");
        beta = 1 / log((double)n);
    }
    uint64_t temps = 1;
    double beta_min = 0; /* 0: beta / 100 */
    rc = args_count(st, "temps", &temps);
    if (rc == SS_OK && args_key(st, "betamin")) {
        rc = args_real(st, "betamin", &beta_min);
        if (rc == SS_OK && temps < 2)
            rc = SS_FAIL_COL(SS_ERR_USAGE, args_key(st, "betamin")->v.col,
                             "posterior: betamin= is the hottest replica "
                             "of parallel tempering: give temps=K with K "
                             ">= 2 too");
        else if (rc == SS_OK && !(beta_min > 0 && beta_min < beta))
            rc = SS_FAIL_COL(SS_ERR_RANGE, args_key(st, "betamin")->v.col,
                             "posterior: betamin=%g must lie in (0, beta = "
                             "%g): the hottest replica's power of the "
                             "likelihood",
                             beta_min, beta);
    }
    if (rc != SS_OK)
        return rc;
    post_spec sp = {.beta = beta, .samples = (size_t)ma.samples,
                    .chains = (size_t)ma.chains, .burnin = (size_t)ma.burnin,
                    .sampler = ma.mala ? POST_MALA : POST_RWM,
                    .threads = (unsigned)ma.threads, .temps = (size_t)temps,
                    .beta_min = beta_min};
    gsl_rng *saved;
    if ((rc = args_seed_begin(s, st, &sp.seed, &saved)) != SS_OK)
        return rc;
    /* the chains are the experiment's replicates (lang/shard.h) */
    exp_origin eo;
    rc = exp_origin_make(s, st, sp.chains, sp.seed, &eo);
    sp.first = eo.slice.first;
    sp.count = eo.slice.n ? eo.slice.count : 0;
    post_iter *it = NULL;
    post_result *r = NULL;
    double *rows = NULL;
    size_t nrows = 0, ncols = 0;
    if (rc != SS_OK)
        ; /* shard= is wrong: the error is placed */
    else if (exp_is_merge(s)) {
        const double *mr = NULL;
        rc = exp_merged_raw(s, &eo, post_row_len(m, d->X, &sp), &mr);
        if (rc == SS_OK)
            rc = post_result_from_rows(m, d->X, &sp, mr, &r);
    } else {
        rc = post_iter_alloc(m, d->X, &sp, &it);
    }
    if (rc == SS_OK && it) {
        session_job job = {{&post_iter_type, it}, "posterior", NULL, NULL,
                           st->as_name}; /* drawn once the chains end */
        int stopped; /* Ctrl-C keeps the chains finished */
        rc = session_drive_keeping(s, &job, &stopped);
        if (rc == SS_OK && eo.slice.n)
            rc = post_iter_take_rows(it, stopped, &rows, &nrows, &ncols);
        else if (rc == SS_OK)
            rc = post_iter_take(it, stopped, &r);
    }
    post_iter_free(it);
    if (args_seed_end(s, saved, rc) != SS_OK) {
        free(rows);
        if (ss_last_error()->col == 0)
            ss_error_set_col(mcmc_error_col(st));
        return rc;
    }
    char origin[160];
    args_origin(st, origin, sizeof origin);
    if (eo.slice.n) {
        return exp_shard_store(s, st->as_name, &eo, "posterior", "chains",
                               rows, nrows, ncols, origin);
    }
    snprintf(r->model, sizeof r->model, "%s", name);
    snprintf(r->data, sizeof r->data, "%s", args_key(st, "data")->v.str);
    obj_posterior.print(s, st->as_name, r);
    return session_put(s, st->as_name, &obj_posterior, r, origin);
}

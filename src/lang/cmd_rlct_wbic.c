/* `rlct MODEL truth=T method=wbic ...`: the learning coefficient by WBIC
 * over a ladder of sample sizes (bayes/rlct_wbic.h), stored as an rlct
 * estimate (obj_rlct). Only the options are read here. */
#include "lang/rlct_wbic_lang.h"

#include "lang/args.h"
#include "lang/commands.h"
#include "lang/shard.h"

#include "bayes/rlct_wbic.h"
#include "core/rng.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

ss_status cmd_rlct_wbic(session *s, const ss_stmt *st, const char *name,
                        model *m, model *t)
{
    ss_status rc = SS_OK;
    uint64_t nmin = RLCTW_NMIN_DEFAULT, nmax = RLCTW_NMAX_DEFAULT,
             points = RLCTW_POINTS_DEFAULT, reps = RLCTW_REPS_DEFAULT,
             samples = RLCTW_SAMPLES_DEFAULT, chains = POST_CHAINS_DEFAULT,
             burnin = RLCTW_BURNIN_DEFAULT, threads = 0;
    const char *smp = "rwm";
    if (rc == SS_OK)
        rc = args_count(st, "nmin", &nmin);
    if (rc == SS_OK)
        rc = args_count(st, "nmax", &nmax);
    if (rc == SS_OK)
        rc = args_count(st, "points", &points);
    if (rc == SS_OK)
        rc = args_count(st, "reps", &reps);
    if (rc == SS_OK)
        rc = args_count(st, "samples", &samples);
    if (rc == SS_OK)
        rc = args_count(st, "chains", &chains);
    if (rc == SS_OK && args_key(st, "burnin")) /* shared: no table default */
        rc = args_count(st, "burnin", &burnin);
    if (rc == SS_OK)
        rc = args_count(st, "threads", &threads);
    if (rc == SS_OK)
        rc = args_word(st, "sampler", &smp);
    const ss_stmt_arg *na = args_key(st, "ns");
    if (rc == SS_OK && na) {
        const char *k = args_key(st, "nmin")     ? "nmin"
                        : args_key(st, "nmax")   ? "nmax"
                        : args_key(st, "points") ? "points"
                                                 : NULL;
        if (k)
            rc = SS_FAIL_COL(SS_ERR_USAGE, args_key(st, k)->v.col,
                             "rlct: give ns=[...] or nmin=/nmax=/points=, "
                             "not both");
    }
    if (rc != SS_OK)
        return rc;
    size_t ns[RLCTW_POINTS_MAX], J = 0;
    if (na) {
        J = na->v.kind == VAL_VEC ? na->v.n : 1;
        if (J > RLCTW_POINTS_MAX)
            return SS_FAIL_COL(SS_ERR_LIMIT, na->v.col,
                               "rlct: ns= takes at most %d sample sizes, "
                               "got %zu",
                               RLCTW_POINTS_MAX, J);
        for (size_t j = 0; j < J; j++)
            ns[j] = (size_t)(na->v.kind == VAL_VEC ? na->v.vec[j]
                                                   : na->v.num);
    } else {
        rc = rlctw_ladder((size_t)nmin, (size_t)nmax, (size_t)points, ns, &J);
        if (rc != SS_OK) {
            const ss_stmt_arg *a = args_key(st, "points");
            if (!a)
                a = args_key(st, "nmax");
            if (!a)
                a = args_key(st, "nmin");
            ss_error_set_col(a ? a->v.col : st->verb_col);
            return rc;
        }
    }
    rlctw_spec sp = {.J = J, .ns = ns, .reps = (size_t)reps,
                     .samples = (size_t)samples, .chains = (size_t)chains,
                     .burnin = (size_t)burnin,
                     .sampler = strcmp(smp, "mala") == 0 ? POST_MALA
                                                         : POST_RWM,
                     .threads = (unsigned)threads};
    gsl_rng *saved;
    if ((rc = args_seed_begin(s, st, &sp.seed, &saved)) != SS_OK)
        return rc;
    /* the runs are the experiment's replicates (lang/shard.h) */
    exp_origin eo;
    rc = exp_origin_make(s, st, rlctw_runs(&sp), sp.seed, &eo);
    sp.first = eo.slice.first;
    sp.count = eo.slice.n ? eo.slice.count : 0;
    rlctw_iter *it = NULL;
    rlct_result *r = NULL;
    double *rows = NULL;
    size_t nrows = 0;
    if (rc != SS_OK)
        ; /* shard= is wrong: the error is placed */
    else if (exp_is_merge(s)) {
        const double *mr = NULL;
        rc = exp_merged_raw(s, &eo, rlctw_row_len(), &mr);
        if (rc == SS_OK)
            rc = rlctw_result_from_rows(m, t, &sp, mr, &r);
    } else {
        rc = rlctw_iter_alloc(m, t, &sp, &it);
    }
    if (rc == SS_OK && it) {
        session_job job = {{&rlctw_iter_type, it}, "rlct", NULL, NULL,
                           st->as_name};
        int stopped; /* Ctrl-C keeps the n points finished */
        rc = session_drive_keeping(s, &job, &stopped);
        if (rc == SS_OK && eo.slice.n)
            rc = rlctw_iter_take_rows(it, stopped, &rows, &nrows);
        else if (rc == SS_OK)
            rc = rlctw_iter_take(it, stopped, &r);
    }
    rlctw_iter_free(it);
    if (args_seed_end(s, saved, rc) != SS_OK) {
        free(rows);
        if (ss_last_error()->col == 0) {
            int c = args_col_in_msg(st, ss_last_error()->msg);
            const ss_stmt_arg *a = args_key(st, "truth");
            if (!c)
                c = strstr(ss_last_error()->msg, "prior") || !a
                        ? args_pos(st, 0)->v.col
                        : a->v.col;
            ss_error_set_col(c);
        }
        return rc;
    }
    char origin[160];
    args_origin(st, origin, sizeof origin);
    if (eo.slice.n) {
        return exp_shard_store(s, st->as_name, &eo, "learning coefficient",
                               "runs", rows, nrows, rlctw_row_len(), origin);
    }
    snprintf(r->model, sizeof r->model, "%s", name);
    snprintf(r->truth, sizeof r->truth, "%s", args_key(st, "truth")->v.str);
    obj_rlct.print(s, st->as_name, r);
    return session_put(s, st->as_name, &obj_rlct, r, origin);
}

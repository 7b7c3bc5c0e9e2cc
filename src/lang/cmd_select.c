/* `select`: how often AIC, BIC and MDL pick each model as n grows, and the
 * penalty that would have been right (infer/select.h), stored as a
 * selection experiment (obj_select). The command only reads its options. */
#include "lang/args.h"
#include "lang/commands.h"
#include "lang/results.h"
#include "lang/shard.h"

#include "core/rng.h"
#include "infer/select.h"
#include "model/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const void *live_result(const void *state)
{
    return select_iter_result(state);
}

/* The statement's column where a message about model i belongs. */
static ss_status at_col(ss_status rc, int col)
{
    if (ss_last_error()->col == 0)
        ss_error_set_col(col);
    return rc;
}

/* `merge`: the result from the rows of shard files, which hold the
 * export's columns; the run's own columns are among them. */
static ss_status merged_result(session *s, const model *truth,
                               const char *truth_name,
                               const model *const *models,
                               const char *const *names, size_t M,
                               const select_spec *sp0, const exp_origin *eo,
                               select_result **out)
{
    select_spec sp;
    ss_status rc = select_check(truth, truth_name, models, names, M, sp0, &sp);
    if (rc != SS_OK)
        return rc;
    size_t nc = OBJ_SELECT_NCOLS(M, sp.ncrit), R = eo->reps,
           raw = SELECT_NCOLS(M);
    char(*buf)[96] = calloc(nc, sizeof *buf);
    const char **cn = calloc(nc, sizeof *cn);
    double *rows = malloc(R * raw * sizeof *rows);
    const double *file = NULL;
    if (!buf || !cn || !rows)
        rc = SS_FAIL(SS_ERR_NOMEM, "out of memory");
    if (rc == SS_OK) {
        obj_select_colnames(&sp, names, M, buf);
        for (size_t c = 0; c < nc; c++)
            cn[c] = buf[c];
        rc = exp_merged_rows(s, eo, nc, cn, &file);
    }
    if (rc == SS_OK) {
        /* the export's columns after rep: n, rep_at_n, truth_loglik,
         * truth_loglik_test, then loglik, loglik_test, converged,
         * optimism per model (obj_select_colnames) */
        for (size_t r = 0; r < R; r++) {
            const double *f = file + r * nc;
            double *o = rows + r * raw;
            o[SELECT_COL_TRUTH_TRAIN] = f[2];
            o[SELECT_COL_TRUTH_TEST] = f[3];
            for (size_t m = 0; m < M; m++) {
                o[SELECT_COL_LL(m)] = f[4 + 4 * m];
                o[SELECT_COL_LLTEST(m)] = f[5 + 4 * m];
                o[SELECT_COL_CONV(m)] = f[6 + 4 * m];
            }
        }
        rc = select_result_build(&sp, truth, truth_name, models, names, M,
                                 rows, 0, R, out);
    }
    free(buf);
    free(cn);
    free(rows);
    return rc;
}

ss_status cmd_select(session *s, const ss_stmt *st)
{
    ss_status rc = args_check_opts(st, 0, 0);
    uint64_t reps = 0, threads = 0, starts = 0;
    if (rc == SS_OK)
        rc = args_count(st, "reps", &reps);
    if (rc == SS_OK)
        rc = args_count(st, "threads", &threads);
    if (rc == SS_OK)
        rc = args_count(st, "starts", &starts);
    if (rc != SS_OK)
        return rc;
    const ss_stmt_arg *ta = args_key(st, "truth"), *ma = args_key(st, "models"),
                      *na = args_key(st, "n"), *ca = args_key(st, "criteria");
    model *truth;
    if ((rc = session_get(s, ta->v.str, &obj_model, ta->v.col,
                          (void **)&truth)) != SS_OK)
        return rc;
    size_t M = ma->v.kind == VAL_NAMES ? ma->v.n : 1;
    if (M < 2)
        return SS_FAIL_COL(SS_ERR_USAGE, ma->v.col,
                           "select needs at least 2 models to choose "
                           "between: models=[M1, M2, ...]");
    if (M > SELECT_MODELS_MAX)
        return SS_FAIL_COL(SS_ERR_LIMIT, ma->v.col,
                           "select takes at most %d models, got %zu",
                           SELECT_MODELS_MAX, M);
    const char *names[SELECT_MODELS_MAX];
    const model *models[SELECT_MODELS_MAX];
    for (size_t i = 0; i < M; i++) {
        names[i] = ma->v.names[i];
        model *m;
        if ((rc = session_get(s, names[i], &obj_model, ma->v.col,
                              (void **)&m)) != SS_OK)
            return rc;
        models[i] = m;
    }
    select_spec sp = {.reps = (size_t)reps, .starts = (size_t)starts,
                      .threads = (unsigned)threads};
    size_t nn = na->v.kind == VAL_VEC ? na->v.n : 1;
    if (nn > SELECT_SIZES_MAX)
        return SS_FAIL_COL(SS_ERR_LIMIT, na->v.col,
                           "n= takes at most %d sample sizes, got %zu",
                           SELECT_SIZES_MAX, nn);
    sp.nn = nn;
    for (size_t j = 0; j < nn; j++)
        sp.n[j] = (size_t)(na->v.kind == VAL_VEC ? na->v.vec[j] : na->v.num);
    if (ca) {
        size_t nc = ca->v.kind == VAL_NAMES ? ca->v.n : 1;
        if (nc > SELECT_NCRIT)
            return SS_FAIL_COL(SS_ERR_USAGE, ca->v.col,
                               "criteria= lists a criterion twice");
        for (size_t c = 0; c < nc; c++)
            sp.crit[c] = select_crit_find(ca->v.kind == VAL_NAMES
                                              ? ca->v.names[c]
                                              : ca->v.str);
        sp.ncrit = nc;
    }
    gsl_rng *saved;
    if ((rc = args_seed_begin(s, st, &sp.seed, &saved)) != SS_OK)
        return rc;
    exp_origin eo;
    rc = exp_origin_make(s, st, sp.reps * sp.nn, sp.seed, &eo);
    sp.first = eo.slice.first;
    sp.count = eo.slice.count;
    select_iter *it = NULL;
    select_result *r = NULL;
    if (rc != SS_OK)
        ; /* shard= is wrong: the error is placed */
    else if (exp_is_merge(s))
        rc = merged_result(s, truth, ta->v.str, models, names, M, &sp, &eo,
                           &r);
    else
        rc = select_iter_alloc(truth, ta->v.str, models, names, M, &sp, &it);
    if (rc != SS_OK) {
        const char *msg = ss_last_error()->msg;
        int col = st->verb_col;
        if (strstr(msg, "models=") || strstr(msg, "model "))
            col = ma->v.col;
        else if (strstr(msg, "reps="))
            col = args_key(st, "reps")->v.col;
        else if (strstr(msg, "n=") || strstr(msg, "sizes"))
            col = na->v.col;
        else if (strstr(msg, "criteria=") && ca)
            col = ca->v.col;
        at_col(rc, col);
    }
    if (rc == SS_OK && it) {
        session_job job = {{&select_iter_type, it}, "select", &obj_select,
                           live_result, st->as_name};
        int stopped; /* Ctrl-C keeps the replicates finished */
        rc = session_drive_keeping(s, &job, &stopped);
        if (rc == SS_OK)
            rc = select_iter_take(it, stopped, &r);
    }
    select_iter_free(it);
    if (args_seed_end(s, saved, rc) != SS_OK)
        return at_col(rc, st->verb_col);
    r->exp = eo;
    obj_select.print(s, st->as_name, r);
    /* the experiment as it is (the seed drawn, no threads=), for `list`
     * and exports: a merge of its shards records the same */
    char origin[EXP_COMMAND_MAX + OBJ_NAME_MAX + 8];
    snprintf(origin, sizeof origin, "%s as %s", eo.command, st->as_name);
    return session_put(s, st->as_name, &obj_select, r, origin);
}

/* `sweep`: a grid of mini-batch sgd runs (learn/sweep.h) as a job, stored
 * as a sweep (obj_sweep). The command reads its options; the learning
 * layer checks each batch size and rate as `train` would. */
#include "lang/args.h"
#include "lang/commands.h"

#include "core/rng.h"
#include "learn/liao.h"
#include "learn/sweep.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const void *live_sweep(const void *state)
{
    return sweep_iter_result(state);
}

static ss_status read_data(session *s, const ss_stmt *st, const char *key,
                           dataset **out)
{
    *out = NULL;
    const ss_stmt_arg *a = args_key(st, key);
    if (!a)
        return SS_OK;
    return session_get(s, a->v.str, &obj_data, a->v.col, (void **)out);
}

/* A vector option's entries (one number is a vector of one). */
static size_t vec_of(const ss_stmt_arg *a, const double **x)
{
    if (a->v.kind == VAL_VEC) {
        *x = a->v.vec;
        return a->v.n;
    }
    *x = &a->v.num;
    return a->v.kind == VAL_NUM ? 1 : 0;
}

ss_status cmd_sweep(session *s, const ss_stmt *st)
{
    ss_status rc = args_check_opts(st, 1, 1);
    const char *name;
    model *m;
    if (rc == SS_OK)
        rc = args_model(s, st, &name, &m);
    const char *store = st->as_name ? st->as_name : "sweep";
    if (rc == SS_OK && !st->as_name)
        rc = session_check_name(s, "sweep", &obj_sweep, st->verb_col);
    if (rc != SS_OK)
        return rc;
    sweep_spec sp = {0};
    dataset *data = NULL, *test = NULL;
    model *teacher = NULL;
    uint64_t threads = 0;
    rc = read_data(s, st, "data", &data);
    if (rc == SS_OK)
        rc = read_data(s, st, "test", &test);
    if (rc == SS_OK && args_key(st, "teacher"))
        rc = session_get(s, args_key(st, "teacher")->v.str, &obj_model,
                         args_key(st, "teacher")->v.col, (void **)&teacher);
    if (rc == SS_OK)
        rc = args_count(st, "epochs", &sp.epochs);
    if (rc == SS_OK)
        rc = args_count(st, "threads", &threads);
    if (rc != SS_OK)
        return rc;
    const ss_stmt_arg *ab = args_key(st, "batches"), *al = args_key(st, "lrs");
    const double *bx, *lx;
    size_t nb = vec_of(ab, &bx), nl = vec_of(al, &lx);
    if (nl == 0)
        return SS_FAIL_COL(SS_ERR_USAGE, al->v.col,
                           "lrs= takes learning rates [eta1, eta2]");
    uint64_t *batches = malloc((nb ? nb : 1) * sizeof *batches);
    if (!batches)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < nb; i++)
        batches[i] = (uint64_t)bx[i];
    sp.data = data->X;
    sp.test = test ? test->X : NULL;
    sp.teacher = teacher;
    sp.batches = batches;
    sp.nbatch = nb;
    sp.lrs = lx;
    sp.nlr = nl;
    sp.threads = (unsigned)threads;
    gsl_rng *saved;
    if ((rc = args_seed_begin(s, st, &sp.seed, &saved)) != SS_OK) {
        free(batches);
        return rc;
    }
    sweep_iter *it = NULL;
    const char *bk = NULL;
    rc = sweep_iter_alloc(m, &sp, &it, &bk);
    free(batches);
    if (rc != SS_OK) {
        args_seed_end(s, saved, rc);
        const ss_stmt_arg *a = bk ? args_key(st, bk) : NULL;
        if (ss_last_error()->col == 0)
            ss_error_set_col(a ? a->v.col : st->verb_col);
        return rc;
    }
    learn_sweep *w = sweep_iter_result_mut(it);
    snprintf(w->student, sizeof w->student, "%s", name);
    snprintf(w->data, sizeof w->data, "%s", args_key(st, "data")->v.str);
    if (test)
        snprintf(w->test, sizeof w->test, "%s", args_key(st, "test")->v.str);
    if (teacher)
        snprintf(w->teacher, sizeof w->teacher, "%s",
                 args_key(st, "teacher")->v.str);
    session_job job = {{&sweep_iter_type, it}, "sweep", &obj_sweep,
                       live_sweep, store};
    int stopped;
    rc = session_drive_keeping(s, &job, &stopped);
    if (rc == SS_OK)
        rc = sweep_iter_take(it, stopped, &w);
    sweep_iter_free(it);
    if (args_seed_end(s, saved, rc) != SS_OK) {
        if (ss_last_error()->col == 0)
            ss_error_set_col(st->verb_col);
        return rc;
    }
    if (!s->csv)
        session_printf(s, "%s: %zu of %zu mini-batch sgd runs of %s (%zu "
                          "batch size%s x %zu rate%s, %llu epoch%s each)%s\n",
                       store, w->ndone, w->nrun, name, w->nbatch,
                       w->nbatch == 1 ? "" : "s", w->nlr,
                       w->nlr == 1 ? "" : "s",
                       (unsigned long long)w->epochs,
                       w->epochs == 1 ? "" : "s",
                       w->interrupted ? ", interrupted" : "");
    char origin[160];
    args_origin(st, origin, sizeof origin);
    return session_put(s, store, &obj_sweep, w, origin);
}

/* `train`: a discrete training rule (learn/train.h) run as a job, stored
 * as a learning run (obj_run). The command only reads its options; every
 * check of substance is the learning layer's. */
#include "lang/args.h"
#include "lang/commands.h"

#include "core/interrupt.h"
#include "core/rng.h"
#include "learn/train.h"
#include "model/model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const void *live_train(const void *state)
{
    return train_iter_run(state);
}

/* The column of the option an error is about (the verb's without one). */
static ss_status locate(const ss_stmt *st, const char *key, ss_status rc)
{
    const ss_stmt_arg *a = key ? args_key(st, key) : NULL;
    if (ss_last_error()->col == 0)
        ss_error_set_col(a ? a->v.col : st->verb_col);
    return rc;
}

static ss_status read_object(session *s, const ss_stmt *st, const char *key,
                             const obj_type *type, void **out)
{
    *out = NULL;
    const ss_stmt_arg *a = args_key(st, key);
    if (!a)
        return SS_OK;
    return session_get(s, a->v.str, type, a->v.col, out);
}

ss_status cmd_train(session *s, const ss_stmt *st)
{
    ss_status rc = args_check_opts(st, 1, 1);
    const char *name;
    model *m;
    if (rc == SS_OK)
        rc = args_model(s, st, &name, &m);
    const char *store = st->as_name ? st->as_name : "run";
    if (rc == SS_OK && !st->as_name)
        rc = session_check_name(s, "run", &obj_run, st->verb_col);
    if (rc == SS_OK)
        rc = args_require(st, "algo");
    /* the learning rate: eta=, or lr= as Liao et al. write it */
    const char *rate = args_key(st, "lr") ? "lr" : "eta";
    if (rc == SS_OK && args_key(st, "lr") && args_key(st, "eta"))
        rc = SS_FAIL_COL(SS_ERR_USAGE, args_key(st, "lr")->key_col,
                         "train: give eta= or lr= (the same learning "
                         "rate), not both");
    if (rc == SS_OK && !args_key(st, rate))
        rc = SS_FAIL_COL(SS_ERR_USAGE, st->verb_col,
                         "train needs eta=ETA, the learning rate (lr=ETA "
                         "is the same)");
    if (rc == SS_OK && !args_key(st, "epochs"))
        rc = args_require(st, "steps");
    if (rc == SS_OK && args_key(st, "epochs") && args_key(st, "steps"))
        rc = SS_FAIL_COL(SS_ERR_USAGE, args_key(st, "steps")->v.col,
                         "train: give steps= or epochs=, not both (epochs=E "
                         "takes E floor(n / batch) steps)");
    if (rc != SS_OK)
        return rc;
    train_spec sp = {0};
    const char *algo = NULL, *sched = NULL;
    model *teacher = NULL;
    dataset *data = NULL, *test = NULL;
    rc = args_word(st, "algo", &algo);
    if (rc == SS_OK)
        sp.algo = (train_algo)train_algo_find(algo); /* a table choice */
    if (rc == SS_OK)
        rc = args_real(st, rate, &sp.eta);
    if (rc == SS_OK)
        rc = args_count(st, "steps", &sp.steps);
    if (rc == SS_OK)
        rc = args_count(st, "epochs", &sp.epochs);
    if (rc == SS_OK)
        rc = args_count(st, "batch", &sp.batch);
    if (rc == SS_OK)
        rc = args_count(st, "record", &sp.record);
    if (rc == SS_OK)
        rc = args_count(st, "eig", &sp.eig_every);
    if (rc == SS_OK)
        rc = args_real(st, "damping", &sp.damping);
    if (rc == SS_OK)
        rc = args_real(st, "rcond", &sp.rcond);
    if (rc == SS_OK)
        rc = args_real(st, "eps", &sp.eps);
    if (rc == SS_OK)
        rc = args_word(st, "schedule", &sched);
    if (rc == SS_OK)
        sp.schedule = sched && strcmp(sched, "decay") == 0 ? ANGD_DECAY
                                                           : ANGD_CONST;
    if (rc == SS_OK)
        rc = args_count(st, "seed", &sp.seed);
    if (rc == SS_OK)
        rc = read_object(s, st, "teacher", &obj_model, (void **)&teacher);
    if (rc == SS_OK)
        rc = read_object(s, st, "data", &obj_data, (void **)&data);
    if (rc == SS_OK)
        rc = read_object(s, st, "test", &obj_data, (void **)&test);
    if (rc != SS_OK)
        return rc;
    if (!isfinite(sp.eta) || !(sp.eta > 0))
        return SS_FAIL_COL(SS_ERR_RANGE, args_key(st, rate)->v.col,
                           "%s must be positive and finite, not %g", rate,
                           sp.eta);
    sp.teacher = teacher;
    sp.data = data ? data->X : NULL;
    sp.test = test ? test->X : NULL;
    /* fresh examples need a seed: seed=, else the session generator */
    int online = sp.algo == TRAIN_SGD || sp.epochs ||
                 (!data && (sp.algo == TRAIN_NGD || sp.algo == TRAIN_ANGD));
    gsl_rng *saved = NULL;
    if (online && (rc = args_seed_begin(s, st, &sp.seed, &saved)) != SS_OK)
        return rc;
    train_iter *it = NULL;
    const char *bad_key = NULL;
    rc = train_iter_alloc(m, &sp, &it, &bad_key);
    if (rc != SS_OK)
        return locate(st, bad_key, args_seed_end(s, saved, rc));
    /* NGD exactly on a singular set without damping: the defined fallback
     * is the pseudo-inverse; say so before the run. */
    if (sp.algo == TRAIN_NGD && sp.damping == 0) {
        model_singular *sets = NULL;
        size_t ns = 0;
        if (model_singular_list(m, m->theta, &sets, &ns) == SS_OK) {
            for (size_t j = 0; j < ns; j++)
                if (sets[j].distance == 0) {
                    session_printf(s, "warning: %s is on the singular set "
                                      "%s and damping=0: ngd uses the "
                                      "pseudo-inverse of G (eigenvalues "
                                      "below rcond of the largest "
                                      "dropped)\n",
                                   name, sets[j].name);
                    break;
                }
        } else {
            ss_clear_error();
        }
        free(sets);
    }
    learn_run *run = train_iter_run_mut(it);
    snprintf(run->student, sizeof run->student, "%s", name);
    if (teacher)
        snprintf(run->teacher, sizeof run->teacher, "%s",
                 args_key(st, "teacher")->v.str);
    if (data)
        snprintf(run->data, sizeof run->data, "%s",
                 args_key(st, "data")->v.str);
    if (test)
        snprintf(run->test_data, sizeof run->test_data, "%s",
                 args_key(st, "test")->v.str);
    session_job job = {{&train_iter_type, it}, "train", &obj_run, live_train,
                       store};
    int stopped;
    rc = session_drive_keeping(s, &job, &stopped);
    if (rc == SS_OK)
        rc = train_iter_take(it, stopped, &run);
    train_iter_free(it);
    if (args_seed_end(s, saved, rc) != SS_OK)
        return locate(st, NULL, rc);
    if (!s->csv) {
        size_t n = run->n;
        session_printf(s, "%s: %s run of %s, eta = %g: %zu of %zu steps, "
                          "%zu records%s%s\n",
                       store, run->algo, name, run->eta, run->steps_done,
                       run->steps_asked, n,
                       run->interrupted ? ", interrupted" : "",
                       run->diverged ? ", diverged" : "");
        /* the losses the run has: no gen_loss without a teacher, no
         * train_loss without data */
        if (n) {
            const char *sep = ":";
            session_printf(s, "  final");
            if (!isnan(run->gen[n - 1])) {
                session_printf(s, "%s gen_loss = %.6g", sep, run->gen[n - 1]);
                sep = ",";
            }
            if (!isnan(run->train[n - 1])) {
                session_printf(s, "%s train_loss = %.6g", sep,
                               run->train[n - 1]);
                sep = ",";
            }
            if (run->liao && test)
                session_printf(s, "%s test_loss = %.6g", sep,
                               run->test[n - 1]);
            if (run->liao)
                session_printf(s, "; C_K = %.6g, L_K = %.6g",
                               run->cbar[n - 1], run->lbar[n - 1]);
            session_printf(s, "\n");
        }
        if (*run->note)
            session_printf(s, "  %s\n", run->note);
    }
    char origin[160];
    args_origin(st, origin, sizeof origin);
    return session_put(s, store, &obj_run, run, origin);
}

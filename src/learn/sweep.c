/* The grid of mini-batch sgd runs (sweep.h). */
#include "learn/sweep.h"

#include "core/replicate.h"
#include "core/rng.h"
#include "learn/liao.h"
#include "learn/train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sweep_iter {
    const model *student; /* borrowed: workers only read it */
    train_spec base;
    learn_sweep *w;
    rep_job *job;
    int finished;
};

void learn_sweep_free(learn_sweep *w)
{
    if (!w)
        return;
    free(w->batches);
    free(w->lrs);
    free(w->rows);
    free(w->theta0);
    free(w);
}

static train_spec run_spec(const sweep_iter *it, size_t r)
{
    const learn_sweep *w = it->w;
    train_spec sp = it->base;
    sp.batch = w->batches[r / w->nlr];
    sp.eta = w->lrs[r % w->nlr];
    sp.shuffle_stream = SS_STREAM_LIAO_SWEEP;
    sp.shuffle_sub = r;
    return sp;
}

static void *worker_alloc(void *ctx) { return ctx; }
static void worker_free(void *p) { (void)p; }

/* One run to its end: the last record's running means and losses. */
static ss_status run_one(void *p, size_t r, double *row)
{
    sweep_iter *it = p;
    train_spec sp = run_spec(it, r);
    train_iter *ti = NULL;
    ss_status rc = train_iter_alloc(it->student, &sp, &ti, NULL);
    if (rc != SS_OK)
        return rc;
    while (rc == SS_OK && !train_iter_type.test(ti))
        rc = train_iter_type.iterate(ti);
    learn_run *run = NULL;
    if (rc == SS_OK)
        rc = train_iter_take(ti, 0, &run);
    train_iter_free(ti);
    if (rc != SS_OK)
        return rc;
    size_t i = run->n - 1;
    row[SW_BATCH] = (double)sp.batch;
    row[SW_LR] = sp.eta;
    row[SW_STEPS] = (double)run->steps_done;
    row[SW_CBAR] = run->cbar[i];
    row[SW_LBAR] = run->lbar[i];
    row[SW_TRAIN] = run->train[i];
    row[SW_TEST] = run->test[i];
    row[SW_GEN] = run->gen[i];
    row[SW_DIVERGED] = run->diverged;
    learn_run_free(run);
    return SS_OK;
}

static ss_status bad(const char **bk, const char *key, ss_status rc)
{
    if (bk)
        *bk = key;
    return rc;
}

ss_status sweep_iter_alloc(const model *student, const sweep_spec *sp,
                           sweep_iter **out, const char **bad_key)
{
    *out = NULL;
    if (bad_key)
        *bad_key = NULL;
    if (!sp->nbatch || !sp->nlr)
        return bad(bad_key, sp->nbatch ? "lrs" : "batches",
                   SS_FAIL(SS_ERR_USAGE, "sweep needs at least one batch "
                                         "size and one learning rate"));
    if ((double)sp->nbatch * (double)sp->nlr > SWEEP_RUNS_MAX)
        return bad(bad_key, "lrs",
                   SS_FAIL(SS_ERR_LIMIT, "%zu x %zu runs: a sweep has at "
                                         "most %u",
                           sp->nbatch, sp->nlr, SWEEP_RUNS_MAX));
    for (size_t j = 0; j < sp->nlr; j++)
        if (!(sp->lrs[j] > 0) || !isfinite(sp->lrs[j]))
            return bad(bad_key, "lrs",
                       SS_FAIL(SS_ERR_RANGE, "learning rate %zu is %g: "
                                             "each must be positive and "
                                             "finite",
                               j + 1, sp->lrs[j]));
    sweep_iter *it = calloc(1, sizeof *it);
    learn_sweep *w = it ? calloc(1, sizeof *w) : NULL;
    if (!w) {
        free(it);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    it->w = w;
    it->student = student;
    w->nbatch = sp->nbatch;
    w->nlr = sp->nlr;
    w->nrun = sp->nbatch * sp->nlr;
    w->epochs = sp->epochs;
    w->seed = sp->seed;
    w->n = sp->data->size1;
    w->crit_lr = w->gn_lmax = NAN;
    snprintf(w->kind, sizeof w->kind, "%s", student->type->name);
    w->batches = malloc(sp->nbatch * sizeof *w->batches);
    w->lrs = malloc(sp->nlr * sizeof *w->lrs);
    w->rows = malloc(w->nrun * SW_NCOLS * sizeof *w->rows);
    w->P = student->P;
    w->theta0 = malloc((w->P ? w->P : 1) * sizeof *w->theta0);
    if (!w->batches || !w->lrs || !w->rows || !w->theta0) {
        sweep_iter_free(it);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    memcpy(w->batches, sp->batches, sp->nbatch * sizeof *w->batches);
    memcpy(w->lrs, sp->lrs, sp->nlr * sizeof *w->lrs);
    memcpy(w->theta0, student->theta, w->P * sizeof *w->theta0);
    for (size_t i = 0; i < w->nrun * SW_NCOLS; i++)
        w->rows[i] = NAN;
    it->base = (train_spec){.algo = TRAIN_SGD, .teacher = sp->teacher,
                            .data = sp->data, .test = sp->test,
                            .epochs = sp->epochs, .seed = sp->seed,
                            .no_crit = 1};
    /* every batch size (with the first rate) the way train checks it */
    for (size_t b = 0; b < sp->nbatch; b++) {
        train_spec ts = run_spec(it, b * sp->nlr);
        train_iter *ti = NULL;
        const char *bk = NULL;
        ss_status rc = train_iter_alloc(student, &ts, &ti, &bk);
        train_iter_free(ti);
        if (rc != SS_OK) {
            sweep_iter_free(it);
            return bad(bad_key,
                       bk && !strcmp(bk, "batch")  ? "batches"
                       : bk && !strcmp(bk, "eta") ? "lrs"
                                                   : bk,
                       rc);
        }
    }
    if (liao_critical(student, student->theta, sp->data, &w->gn_lmax,
                      &w->crit_lr) != SS_OK) {
        snprintf(w->crit_note, sizeof w->crit_note, "%.180s",
                 ss_last_error()->msg);
        ss_clear_error();
    }
    rep_spec rs = {.nrep = w->nrun, .ncols = SW_NCOLS,
                   .threads = sp->threads, .worker_alloc = worker_alloc,
                   .worker_free = worker_free, .run = run_one, .ctx = it};
    ss_status rc = rep_start(&rs, &it->job);
    if (rc != SS_OK) {
        sweep_iter_free(it);
        return rc;
    }
    *out = it;
    return SS_OK;
}

void sweep_iter_free(sweep_iter *it)
{
    if (!it)
        return;
    if (it->job && !it->finished)
        rep_abandon(it->job);
    learn_sweep_free(it->w);
    free(it);
}

static void absorb(void *ctx, const double *rows, const unsigned char *done)
{
    sweep_iter *it = ctx;
    learn_sweep *w = it->w;
    w->ndone = rep_absorb_prefix(it->job, rows, done, w->rows, SW_NCOLS,
                                 w->ndone, w->nrun);
}

static ss_status it_iterate(void *s)
{
    sweep_iter *it = s;
    if (it->w->ndone >= it->w->nrun)
        return SS_OK;
    ss_status rc = rep_iterate(it->job);
    absorb(it, NULL, NULL);
    return rc;
}

static int it_test(const void *s)
{
    const sweep_iter *it = s;
    return it->w->ndone >= it->w->nrun || rep_test(it->job);
}

static void it_progress(const void *s, size_t *done, size_t *total)
{
    const sweep_iter *it = s;
    *done = it->w->ndone;
    *total = it->w->nrun;
}

static void it_stop(void *s)
{
    sweep_iter *it = s;
    rep_stop(it->job);
}

const ss_iter_type sweep_iter_type = {"sweep", it_iterate, it_test,
                                      it_progress, it_stop};

const learn_sweep *sweep_iter_result(const sweep_iter *it) { return it->w; }
learn_sweep *sweep_iter_result_mut(sweep_iter *it) { return it->w; }

ss_status sweep_iter_take(sweep_iter *it, int interrupted, learn_sweep **out)
{
    *out = NULL;
    learn_sweep *w = it->w;
    if (!it->finished) {
        ss_status rc = rep_drain(it->job, absorb, it);
        it->finished = 1;
        if (rc != SS_OK)
            return rc;
    }
    for (size_t i = w->ndone * SW_NCOLS; i < w->nrun * SW_NCOLS; i++)
        w->rows[i] = NAN;
    if (w->ndone == 0)
        return SS_FAIL(SS_ERR_INTERRUPTED, "interrupted before the first "
                                           "run finished: nothing was "
                                           "stored");
    w->interrupted = interrupted || w->ndone < w->nrun;
    it->w = NULL;
    *out = w;
    return SS_OK;
}

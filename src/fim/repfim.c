/* Replicates of a sampled FIM estimator (repfim.h). */
#include "fim/repfim.h"

#include "core/replicate.h"
#include "core/rng.h"
#include "fim/spectrum.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t repfim_entry_col(size_t k, size_t a, size_t b)
{
    /* rows 0 .. a-1 of the upper triangle hold k + (k-1) + ... entries */
    return a * k - a * (a - 1) / 2 + (b - a);
}

struct repfim_iter {
    repfim_spec sp;
    const model *m;
    size_t k, cols; /* free parameters, data columns */
    reptable *t;
    rep_job *job;
    int finished;
};

typedef struct {
    const repfim_iter *it;
    model *m;       /* this worker's clone */
    gsl_rng *r;
    gsl_matrix *X;  /* n x cols */
    fim_ws *fw;
} worker;

static void worker_free(void *p)
{
    worker *w = p;
    if (!w)
        return;
    model_free(w->m);
    if (w->r)
        ss_rng_free(w->r);
    if (w->X)
        gsl_matrix_free(w->X);
    fim_ws_free(w->fw);
    free(w);
}

static void *worker_alloc(void *ctx)
{
    const repfim_iter *it = ctx;
    worker *w = calloc(1, sizeof *w);
    if (!w) {
        SS_FAIL(SS_ERR_NOMEM, "out of memory");
        return NULL;
    }
    w->it = it;
    w->m = model_clone(it->m);
    w->r = ss_rng_alloc();
    w->X = gsl_matrix_alloc(it->sp.n, it->cols);
    if (!w->m || !w->r || !w->X) {
        worker_free(w);
        SS_FAIL(SS_ERR_NOMEM, "out of memory for a replicate's data set");
        return NULL;
    }
    if (fim_ws_alloc(w->m, it->sp.est, &w->fw) != SS_OK) {
        worker_free(w);
        return NULL;
    }
    return w;
}

/* The entries, log det and smallest eigenvalue of G (the spectrum `eig`
 * computes) into row. */
static ss_status record(const fim_result *f, size_t k, double *row)
{
    for (size_t a = 0; a < k; a++)
        for (size_t b = a; b < k; b++)
            row[repfim_entry_col(k, a, b)] = gsl_matrix_get(f->G, a, b);
    size_t ne = k * (k + 1) / 2;
    spec_result *s = NULL;
    ss_status st = spec_analyze(f, SPEC_DEFAULT_TOL, &s);
    if (st != SS_OK)
        return st;
    row[ne] = s->logdet;
    row[ne + 1] = gsl_vector_get(s->eval, k - 1);
    spec_result_free(s);
    return SS_OK;
}

static ss_status run_rep(void *p, size_t rep, double *row)
{
    worker *w = p;
    const repfim_iter *it = w->it;
    rep += it->sp.first; /* the stream of the experiment's replicate */
    ss_rng_seed(w->r, it->sp.seed, SS_STREAM_REPFIM, rep);
    ss_status st = w->m->type->sample(w->m, w->m->theta, w->r, w->X);
    fim_job *j = NULL;
    fim_request rq = {.method = it->sp.est->method, .est = it->sp.est,
                      .data = w->X, .n = it->sp.n};
    if (st == SS_OK)
        st = fim_job_start(w->fw, w->m->theta, &rq, &j);
    if (st == SS_OK) {
        /* the job's own steps, with no Ctrl-C check: the runner stops
         * between replicates, and a replicate is finished or not run */
        ss_iter ji = {&fim_job_iter_type, j};
        ss_status ist = SS_OK;
        while (ist == SS_OK && !ji.type->test(j))
            ist = ji.type->iterate(j);
        st = fim_job_finish(j, 0);
    }
    if (st == SS_OK)
        st = record(fim_ws_result(w->fw), it->k, row);
    if (st != SS_OK) {
        char msg[sizeof ss_last_error()->msg];
        snprintf(msg, sizeof msg, "%s", ss_last_error()->msg);
        return SS_FAIL(st, "replicate %zu (seed %llu): %s", rep + 1,
                       (unsigned long long)it->sp.seed, msg);
    }
    return SS_OK;
}

void repfim_iter_free(repfim_iter *it)
{
    if (!it)
        return;
    if (it->job && !it->finished)
        rep_abandon(it->job);
    reptable_free(it->t);
    free(it);
}

/* The exact FIM's entries, log det and smallest eigenvalue as the
 * references (left NaN when the family has none or it fails here). */
static void references(const model *m, reptable *t, size_t k)
{
    if (!m->type->fim_exact)
        return;
    fim_request rq = {.method = FIM_EXACT};
    fim_result *f = NULL;
    double *row = malloc(t->ncols * sizeof *row);
    if (row && fim_compute(m, &rq, &f) == SS_OK && record(f, k, row) == SS_OK)
        memcpy(t->ref, row, t->ncols * sizeof *row);
    fim_result_free(f);
    free(row);
    ss_clear_error();
}

/* Everything but the runner: checks, the table of the slice's rows (all
 * NaN) with its columns, references and description. */
static ss_status table_new(const model *m, const repfim_spec *sp,
                           reptable **out, size_t *kout, size_t *colsout)
{
    *out = NULL;
    const fim_estimator *e = sp->est;
    if (!e || !(e->needs & FIM_NEEDS_DATA))
        return SS_FAIL(SS_ERR_USAGE,
                       "replicates need an estimator computed on data "
                       "(empirical or observed), not %s",
                       e ? e->name : "none");
    if (sp->nrep < 1)
        return SS_FAIL(SS_ERR_RANGE, "reps= must be at least 1");
    if (sp->n < 1)
        return SS_FAIL(SS_ERR_RANGE, "n= must be at least 1");
    size_t count = sp->count ? sp->count : sp->nrep - sp->first;
    if (sp->first >= sp->nrep || count > sp->nrep - sp->first)
        return SS_FAIL(SS_ERR_RANGE, "replicates %zu..%zu are not among the "
                                     "%zu of the experiment",
                       sp->first + 1, sp->first + count, sp->nrep);
    size_t *idx, k;
    ss_status st = model_free_index_list(m, &idx, &k);
    if (st != SS_OK)
        return st;
    size_t cols = m->type->data_cols(m);
    if ((double)sp->n * (double)cols * sizeof(double) > REPFIM_MAX_BYTES) {
        free(idx);
        return SS_FAIL(SS_ERR_LIMIT,
                       "n=%zu observations of %zu column%s take %.3g MB a "
                       "replicate (each thread holds one); the limit is "
                       "%zu MB: use n <= %zu",
                       sp->n, cols, cols == 1 ? "" : "s",
                       (double)sp->n * (double)cols * 8 / 1e6,
                       REPFIM_MAX_BYTES >> 20,
                       REPFIM_MAX_BYTES / (cols * sizeof(double)));
    }
    size_t ncols = k * (k + 1) / 2 + 2;
    reptable *t = reptable_alloc(count, ncols);
    if (!t) {
        free(idx);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory for %zu replicates of "
                                     "%zu values",
                       count, ncols);
    }
    for (size_t a = 0; a < k; a++)
        for (size_t b = a; b < k; b++)
            snprintf(t->colnames[repfim_entry_col(k, a, b)], RT_NAME_MAX,
                     "G[%s,%s]", MODEL_PNAME(m, idx[a]),
                     MODEL_PNAME(m, idx[b]));
    free(idx);
    snprintf(t->colnames[ncols - 2], RT_NAME_MAX, "logdet");
    snprintf(t->colnames[ncols - 1], RT_NAME_MAX, "lambda_min");
    snprintf(t->what, sizeof t->what, "%s FIM", e->name);
    snprintf(t->kind, sizeof t->kind, "%s", m->type->name);
    t->seed = sp->seed;
    t->n = sp->n;
    t->first = sp->first;
    if ((st = reptable_set_point(t, m->theta, m->P)) != SS_OK) {
        reptable_free(t);
        return st;
    }
    references(m, t, k);
    *out = t;
    *kout = k;
    *colsout = cols;
    return SS_OK;
}

ss_status repfim_table_new(const model *m, const repfim_spec *sp,
                          reptable **out)
{
    size_t k, cols;
    return table_new(m, sp, out, &k, &cols);
}

ss_status repfim_iter_alloc(const model *m, const repfim_spec *sp,
                            repfim_iter **out)
{
    *out = NULL;
    repfim_iter *it = calloc(1, sizeof *it);
    if (!it)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    size_t k, cols;
    ss_status st = table_new(m, sp, &it->t, &k, &cols);
    if (st != SS_OK) {
        free(it);
        return st;
    }
    reptable *t = it->t;
    size_t ncols = t->ncols;
    it->sp = *sp;
    it->m = m;
    it->sp.first = t->first;
    it->k = k;
    it->cols = cols;
    rep_spec rs = {.nrep = t->nrep, .ncols = ncols, .threads = sp->threads,
                   .worker_alloc = worker_alloc, .worker_free = worker_free,
                   .run = run_rep, .ctx = it, .tick_ms = 10};
    st = rep_start(&rs, &it->job);
    if (st != SS_OK) {
        repfim_iter_free(it);
        return st;
    }
    *out = it;
    return SS_OK;
}

/* Copy the replicates finished in order from ndone on into the table. */
static void absorb(repfim_iter *it, const double *rows,
                   const unsigned char *done)
{
    reptable *t = it->t;
    t->ndone = rep_absorb_prefix(it->job, rows, done, t->v, t->ncols,
                                 t->ndone, t->nrep);
}

/* absorb as the replicate runner's drain callback */
static void absorb_rows(void *ctx, const double *rows,
                        const unsigned char *done)
{
    absorb(ctx, rows, done);
}

ss_status repfim_iter_iterate(repfim_iter *it)
{
    if (it->t->ndone >= it->t->nrep)
        return SS_OK;
    ss_status st = rep_iterate(it->job);
    absorb(it, NULL, NULL);
    return st;
}

int repfim_iter_test(const repfim_iter *it)
{
    return it->t->ndone >= it->t->nrep || rep_test(it->job);
}

const reptable *repfim_iter_result(const repfim_iter *it) { return it->t; }

void repfim_iter_set_source(repfim_iter *it, const char *name)
{
    snprintf(it->t->source, sizeof it->t->source, "%s", name);
}

ss_status repfim_iter_take(repfim_iter *it, int interrupted, reptable **out)
{
    *out = NULL;
    reptable *t = it->t;
    if (!it->finished) {
        ss_status st = rep_drain(it->job, absorb_rows, it);
        it->finished = 1;
        if (st != SS_OK)
            return st;
    }
    /* replicates past the first unfinished one are not part of the table */
    for (size_t i = t->ndone * t->ncols; i < t->nrep * t->ncols; i++)
        t->v[i] = NAN;
    if (t->ndone == 0)
        return SS_FAIL(SS_ERR_INTERRUPTED,
                       "interrupted before the first replicate finished: "
                       "nothing was stored");
    t->interrupted = interrupted || t->ndone < t->nrep;
    it->t = NULL;
    *out = t;
    return SS_OK;
}

static ss_status it_iterate(void *s) { return repfim_iter_iterate(s); }
static int it_test(const void *s) { return repfim_iter_test(s); }
static void it_progress(const void *s, size_t *done, size_t *total)
{
    const repfim_iter *it = s;
    *done = it->t->ndone;
    *total = it->t->nrep;
}
static void it_stop(void *s)
{
    const repfim_iter *it = s;
    rep_stop(it->job);
}

const ss_iter_type repfim_iter_type = {"replicate", it_iterate, it_test,
                                       it_progress, it_stop};

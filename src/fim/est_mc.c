/* The Monte-Carlo FIM: the mean of s s^T over draws from the model.
 *
 * i.i.d. families: FIM_MC_CHUNK draws per chunk, chunk c drawn from the
 * random stream (seed, SS_STREAM_MC, c) by whichever worker thread takes
 * it (the replicate runner); each chunk's power sums of the score
 * products form one row, and the rows are added in chunk order, so G and
 * its standard errors are the same bits for any thread count. Stopped
 * early, the longest run of finished chunks from the first is kept: the
 * result then equals the run with that many draws.
 *
 * Series families: independent burnt-in series, one per step (below). */
#include "fim/fim_int.h"

#include "core/replicate.h"
#include "core/rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static ss_status mc_check(const model *m, const fim_request *req)
{
    (void)m;
    if (req->n < 2)
        return SS_FAIL(SS_ERR_RANGE, "method=mc needs n >= 2 draws");
    return SS_OK;
}

/* ---- i.i.d. families: chunks on the replicate runner ------------------- */

typedef struct {
    const model *m;
    uint64_t seed;
    size_t n, nchunks, k, npairs;
    const size_t *idx;
    rep_job *job;
} iid_state;

typedef struct {
    const iid_state *s;
    model *m; /* this thread's own copy */
    gsl_rng *r;
    gsl_matrix *X, *S;
} iid_worker;

static void iid_worker_free(void *p)
{
    iid_worker *w = p;
    if (!w)
        return;
    model_free(w->m);
    ss_rng_free(w->r);
    if (w->X)
        gsl_matrix_free(w->X);
    if (w->S)
        gsl_matrix_free(w->S);
    free(w);
}

static void *iid_worker_alloc(void *ctx)
{
    const iid_state *s = ctx;
    iid_worker *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->s = s;
    w->m = model_clone(s->m);
    w->r = ss_rng_alloc_fast(); /* draws are most of the cost */
    w->X = gsl_matrix_alloc(FIM_MC_CHUNK, s->m->type->data_cols(s->m));
    w->S = gsl_matrix_alloc(FIM_MC_CHUNK, s->m->P);
    if (!w->m || !w->r || !w->X || !w->S) {
        iid_worker_free(w);
        SS_FAIL(SS_ERR_NOMEM, "out of memory for a Monte-Carlo worker");
        return NULL;
    }
    return w;
}

/* Row of chunk c: [draws, then per pair (i <= j): sum y, y^2, y^3, y^4]
 * with y = s_i s_j (fim_mc_power_sums: four pairs at a time in vector
 * registers, each sum in row order). Within a chunk (at most FIM_MC_CHUNK
 * terms) double sums lose at most ~1e-13 relative; the chunks are then
 * added in long double, in chunk order. */
static ss_status iid_run(void *p, size_t c, double *row)
{
    iid_worker *w = p;
    const iid_state *s = w->s;
    const model *m = w->m;
    size_t len = c + 1 < s->nchunks ? FIM_MC_CHUNK
                                    : s->n - c * FIM_MC_CHUNK;
    gsl_matrix_view Xv = gsl_matrix_submatrix(w->X, 0, 0, len, w->X->size2);
    gsl_matrix_view Sv = gsl_matrix_submatrix(w->S, 0, 0, len, m->P);
    ss_rng_seed(w->r, s->seed, SS_STREAM_MC, c);
    ss_status st = m->type->sample(m, m->theta, w->r, &Xv.matrix);
    if (st == SS_OK)
        st = m->type->loglik_terms(m, m->theta, &Xv.matrix, NULL,
                                   &Sv.matrix); /* scores only */
    if (st == SS_OK && !fim_all_finite(&Sv.matrix))
        st = SS_FAIL(SS_ERR_NUMERIC,
                     "a score of %s is not finite at a sampled point",
                     m->type->name);
    if (st != SS_OK)
        return st;
    fim_mc_power_sums(&Sv.matrix, s->idx, s->k, row + 1);
    row[0] = (double)len;
    return SS_OK;
}

static ss_status iid_start(const model *m, const fim_request *req,
                           fim_result *f, void **state)
{
    iid_state *s = calloc(1, sizeof *s);
    if (!s)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    s->m = m;
    s->seed = req->seed;
    s->n = req->n;
    s->nchunks = (req->n + FIM_MC_CHUNK - 1) / FIM_MC_CHUNK;
    s->k = f->k;
    s->npairs = f->k * (f->k + 1) / 2;
    s->idx = f->idx;
    rep_spec sp = {.nrep = s->nchunks, .ncols = 1 + 4 * s->npairs,
                   .threads = req->threads,
                   .worker_alloc = iid_worker_alloc,
                   .worker_free = iid_worker_free, .run = iid_run,
                   .ctx = s, .tick_ms = 10};
    ss_status st = rep_start(&sp, &s->job);
    if (st != SS_OK) {
        free(s);
        return st;
    }
    f->n_requested = req->n;
    *state = s;
    return SS_OK;
}

static ss_status iid_finish(iid_state *s, fim_result *f)
{
    double *rows = NULL;
    unsigned char *done = NULL;
    size_t ndone;
    ss_status st = rep_finish(s->job, &rows, &done, &ndone);
    size_t ncols = 1 + 4 * s->npairs, kept = 0;
    while (kept < s->nchunks && done[kept])
        kept++;
    fim_acc acc = {0};
    if (st == SS_OK)
        st = fim_acc_init(&acc, s->k);
    for (size_t c = 0; st == SS_OK && c < kept; c++) {
        const double *row = rows + c * ncols;
        acc.n += (size_t)row[0];
        size_t e = 0;
        for (size_t i = 0; i < s->k; i++)
            for (size_t j = i; j < s->k; j++, e++) {
                acc.sum[i * s->k + j] += row[1 + 4 * e];
                acc.s2[i * s->k + j] += row[2 + 4 * e];
                acc.s3[i * s->k + j] += row[3 + 4 * e];
                acc.s4[i * s->k + j] += row[4 + 4 * e];
            }
    }
    f->interrupted = kept < s->nchunks;
    if (st == SS_OK && acc.n < 2)
        st = SS_FAIL(SS_ERR_INTERRUPTED,
                     "interrupted before any Monte-Carlo draws finished");
    if (st == SS_OK)
        st = fim_acc_result(&acc, f);
    fim_acc_done(&acc);
    free(rows);
    free(done);
    free(s);
    return st;
}

/* ---- series families ------------------------------------------------------ */

/* The scores of one series are correlated products and those of a finite
 * series have a start-up bias (the exact likelihood of x_1..x_n, not the
 * per-observation limit), so: nb independent series, series b seeded from
 * (seed, b), each of burnin + len_b draws of which only the last len_b
 * scores count (after the burn-in, stationary-state scores: unbiased for
 * G whatever len_b); G is the mean over all terms and its standard error
 * that of a weighted mean of the nb independent series means (batch
 * means). One series per step. */
typedef struct {
    const model *m;
    fim_result *f;
    uint64_t seed;
    size_t n, nb, burnin, k, kk, b, used, done_b;
    gsl_rng *r;
    gsl_matrix *X, *S;
    long double *T; /* T[b kk + e]: the sum of the products of entry e */
    size_t *len;
} series_state;

static void series_free(series_state *s)
{
    ss_rng_free(s->r);
    if (s->X)
        gsl_matrix_free(s->X);
    if (s->S)
        gsl_matrix_free(s->S);
    free(s->T);
    free(s->len);
    free(s);
}

static ss_status series_start(const model *m, const fim_request *req,
                              size_t burnin, fim_result *f, void **state)
{
    size_t n = req->n, k = f->k;
    size_t nb = n < FIM_MC_SERIES ? n : FIM_MC_SERIES;
    if ((n + nb - 1) / nb > FIM_MC_SERIES_MAX)
        nb = (n + FIM_MC_SERIES_MAX - 1) / FIM_MC_SERIES_MAX;
    size_t lmax = (n + nb - 1) / nb, rows = burnin + lmax;
    series_state *s = calloc(1, sizeof *s);
    if (!s)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    *s = (series_state){.m = m, .f = f, .seed = req->seed, .n = n,
                        .nb = nb, .burnin = burnin, .k = k, .kk = k * k};
    s->r = ss_rng_alloc();
    s->X = gsl_matrix_alloc(rows, 1);
    s->S = gsl_matrix_alloc(rows, m->P);
    s->T = calloc(nb * s->kk, sizeof *s->T);
    s->len = calloc(nb, sizeof *s->len);
    if (!s->r || !s->X || !s->S || !s->T || !s->len) {
        series_free(s);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory (a series of %zu draws)",
                       rows);
    }
    if (m->type->data_cols(m) != 1) {
        series_free(s);
        return SS_FAIL(SS_ERR_USAGE, "a series family must have one column");
    }
    f->n_requested = n;
    *state = s;
    return SS_OK;
}

static ss_status series_iterate(series_state *s)
{
    const model *m = s->m;
    fim_result *f = s->f;
    size_t b = s->b, k = s->k;
    size_t lb = s->n / s->nb + (b < s->n % s->nb);
    gsl_matrix_view Xv = gsl_matrix_submatrix(s->X, 0, 0, s->burnin + lb, 1);
    gsl_matrix_view Sv =
        gsl_matrix_submatrix(s->S, 0, 0, s->burnin + lb, m->P);
    ss_rng_seed(s->r, s->seed, SS_STREAM_MC, b);
    ss_status st = m->type->sample(m, m->theta, s->r, &Xv.matrix);
    if (st == SS_OK)
        st = m->type->loglik_terms(m, m->theta, &Xv.matrix, NULL,
                                   &Sv.matrix); /* scores only */
    gsl_matrix_view Su = gsl_matrix_submatrix(s->S, s->burnin, 0, lb, m->P);
    if (st == SS_OK && !fim_all_finite(&Su.matrix))
        st = SS_FAIL(SS_ERR_NUMERIC,
                     "a score of %s is not finite at a sampled point",
                     m->type->name);
    if (st != SS_OK)
        return st;
    long double *Tb = s->T + b * s->kk;
    for (size_t t = 0; t < lb; t++)
        for (size_t i = 0; i < k; i++) {
            double si = gsl_matrix_get(&Su.matrix, t, f->idx[i]);
            for (size_t j = i; j < k; j++)
                Tb[i * k + j] += (long double)si *
                                 gsl_matrix_get(&Su.matrix, t, f->idx[j]);
        }
    s->len[b] = lb;
    s->used += lb;
    s->done_b++;
    s->b++;
    return SS_OK;
}

static ss_status series_finish(series_state *s, fim_result *f)
{
    size_t k = s->k, kk = s->kk, n = s->n, nb = s->nb, done_b = s->done_b;
    ss_status st = SS_OK;
    f->interrupted = done_b < nb;
    if (done_b < 2)
        st = SS_FAIL(SS_ERR_INTERRUPTED,
                     "interrupted before two Monte-Carlo series finished");
    if (st == SS_OK && !(f->se = gsl_matrix_alloc(k, k)))
        st = SS_FAIL(SS_ERR_NOMEM, "out of memory");
    if (st == SS_OK) {
        /* The D_b = T_b - len_b G are independent with mean 0, so
         * Var(G^) = Var(sum_b T_b / N) is estimated by
         * nb/(nb - 1) sum_b D_b^2 / N^2. Their kurtosis says whether that
         * spread is itself trustworthy. */
        long double N = (long double)s->used, nbl = (long double)done_b;
        double worst = 0;
        size_t wi = 0, wj = 0;
        for (size_t i = 0; i < k; i++)
            for (size_t j = i; j < k; j++) {
                size_t e = i * k + j;
                long double sum = 0, d2 = 0, d4 = 0;
                for (size_t b = 0; b < done_b; b++)
                    sum += s->T[b * kk + e];
                long double G = sum / N;
                for (size_t b = 0; b < done_b; b++) {
                    long double d = s->T[b * kk + e] -
                                    (long double)s->len[b] * G;
                    d2 += d * d;
                    d4 += d * d * d * d;
                }
                double se = sqrt((double)(d2 * nbl / (nbl - 1)) /
                                 (double)(N * N));
                gsl_matrix_set(f->G, i, j, (double)G);
                gsl_matrix_set(f->G, j, i, (double)G);
                gsl_matrix_set(f->se, i, j, se);
                gsl_matrix_set(f->se, j, i, se);
                if (d2 > 1e-24L * G * G * N * N) {
                    double kurt = (double)(d4 * nbl / (d2 * d2));
                    if (kurt > worst) {
                        worst = kurt;
                        wi = i;
                        wj = j;
                    }
                }
            }
        f->n = s->used;
        /* the burn-in is about 30 e-folding times of the memory */
        size_t efold = s->burnin / 30, lmin = n / nb;
        double rel = sqrt(fmax(worst - 1.0, 0.0) / (double)done_b);
        if (done_b < 10)
            snprintf(f->warning, sizeof f->warning,
                     "the standard errors are rough: they come from the "
                     "spread of only %zu independent series", done_b);
        else if (lmin < efold)
            snprintf(f->warning, sizeof f->warning,
                     "the standard errors are unreliable: each of the %zu "
                     "series has %zu terms, fewer than the process's memory "
                     "(about %zu terms): use n >= %zu",
                     done_b, lmin, efold, efold * nb);
        else if (rel > FIM_SE_RELERR_MAX)
            snprintf(f->warning, sizeof f->warning,
                     "the standard errors are unreliable: the %zu series "
                     "means of [%s,%s] are heavy-tailed (kurtosis %.3g: the "
                     "standard error is known only to about %.0f%%)",
                     done_b, f->names[wi], f->names[wj], worst,
                     50.0 * fmin(rel, 99.99));
    }
    series_free(s);
    return st;
}

/* ---- the estimator: one state type for both kinds -------------------------- */

typedef struct {
    iid_state *iid;
    series_state *series;
} mc_state;

static ss_status mc_start(void *scratch, const model *m,
                          const fim_request *req, fim_result *f,
                          void **state)
{
    (void)scratch;
    mc_state *s = calloc(1, sizeof *s);
    if (!s)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    ss_status st;
    if (!m->type->series_memory) {
        st = iid_start(m, req, f, (void **)&s->iid);
    } else {
        size_t burnin = m->type->series_memory(m, m->theta,
                                               FIM_MC_BURNIN_MAX);
        if (burnin == 0)
            st = SS_FAIL(SS_ERR_RANGE,
                         "method=mc: the %s process at this point remembers "
                         "its start for more than %u terms (a root next to "
                         "the unit circle), too long to burn in: its "
                         "Monte-Carlo FIM would depend on the series length",
                         m->type->name, FIM_MC_BURNIN_MAX);
        else
            st = series_start(m, req, burnin, f, (void **)&s->series);
    }
    if (st != SS_OK) {
        free(s);
        return st;
    }
    *state = s;
    return SS_OK;
}

static ss_status mc_iterate(void *p)
{
    mc_state *s = p;
    return s->iid ? rep_iterate(s->iid->job) : series_iterate(s->series);
}

static int mc_test(const void *p)
{
    const mc_state *s = p;
    return s->iid ? rep_test(s->iid->job) : s->series->b >= s->series->nb;
}

static void mc_progress(const void *p, size_t *done, size_t *total)
{
    const mc_state *s = p;
    if (s->iid) {
        size_t d, t;
        rep_progress(s->iid->job, &d, &t);
        *done = d * FIM_MC_CHUNK < s->iid->n ? d * FIM_MC_CHUNK : s->iid->n;
        *total = s->iid->n;
    } else {
        *done = s->series->used;
        *total = s->series->n;
    }
}

static void mc_stop(void *p)
{
    mc_state *s = p;
    if (s->iid)
        rep_stop(s->iid->job);
}

static ss_status mc_finish(void *p, int interrupted, fim_result *f)
{
    (void)interrupted; /* what finished says it */
    mc_state *s = p;
    ss_status st = s->iid ? iid_finish(s->iid, f) : series_finish(s->series, f);
    free(s);
    return st;
}

const fim_estimator fim_est_mc = {
    .name = "mc",
    .label = "Monte-Carlo",
    .help = "the mean of s s^T over n draws from the model (n=, seed=, "
            "threads=), with standard errors",
    .method = FIM_MC,
    .needs = FIM_NEEDS_N | FIM_NEEDS_SEED,
    .props = FIM_PROP_PSD | FIM_PROP_SAMPLED | FIM_PROP_SE,
    .check = mc_check,
    .start = mc_start,
    .iterate = mc_iterate,
    .test = mc_test,
    .progress = mc_progress,
    .stop = mc_stop,
    .finish = mc_finish,
};

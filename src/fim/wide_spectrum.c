/* The spectrum over random networks (fim/wide_spectrum.h). */
#include "fim/wide_spectrum.h"

#include "fim/dnn_meanfield.h"

#include "core/replicate.h"
#include "core/rng.h"
#include "fim/fim.h"
#include "fim/spectrum.h"
#include "fim/wide_variant.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const stat_names[WS_NSTAT] = {
    "m_lambda", "s_lambda", "lambda_max", "top_c_mean", "bulk_centre",
    "zeros", "outliers"};

const char *ws_stat_name(int i)
{
    return i >= 0 && i < WS_NSTAT ? stat_names[i] : NULL;
}

void ws_result_free(ws_result *r)
{
    if (!r)
        return;
    free(r->stat);
    free(r->eval0);
    free(r->qbar);
    free(r);
}

ss_status ws_check(const model *m)
{
    const dnn_layout *y = dnn_layout_of(m);
    if (!y)
        return SS_FAIL(SS_ERR_USAGE, "spectrum: %s is not a dnn model (the "
                                     "spectrum over random networks needs "
                                     "`model NAME dnn ...`)",
                       m ? m->type->name : "this");
    size_t nfixed = 0;
    for (size_t i = 0; i < m->P; i++)
        nfixed += !m->is_free[i];
    if (nfixed)
        return SS_FAIL(SS_ERR_USAGE,
                       "spectrum: %zu parameter%s of the network %s fixed; "
                       "spectrum draws whole networks (free them first)",
                       nfixed, nfixed == 1 ? "" : "s",
                       nfixed == 1 ? "is" : "are");
    return SS_OK;
}

ss_status ws_check_v(const model *m, const ws_variant *v)
{
    ss_status st = ws_check(m);
    return st == SS_OK ? wv_check(m, v) : st;
}

size_t ws_eval_count(const model *m, const ws_variant *v)
{
    return wv_size(m, v);
}

void ws_draw(const model *m, uint64_t seed, size_t j, double *theta)
{
    ws_draw_stream(m, seed, SS_STREAM_SPECTRUM, j, theta);
}

void ws_draw_stream(const model *m, uint64_t seed, uint64_t stream,
                    uint64_t substream, double *theta)
{
    const dnn_layout *y = dnn_layout_of(m);
    gsl_rng *r = ss_rng_alloc();
    if (!r)
        return;
    ss_rng_seed(r, seed, stream, substream);
    double sb = sqrt(y->sb2);
    for (size_t l = 1; l <= y->L; l++) {
        size_t nW = y->M[l] * y->M[l - 1];
        for (size_t i = 0; i < nW; i++)
            theta[y->woff[l] + i] =
                (y->ntk ? 1.0 : y->s[l]) * gsl_ran_gaussian_ziggurat(r, 1.0);
        for (size_t i = 0; i < y->M[l]; i++)
            theta[y->boff[l] + i] =
                sb > 0 ? sb * gsl_ran_gaussian_ziggurat(r, 1.0) : 0.0;
    }
    ss_rng_free(r);
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

ss_status ws_stats(const model *m, const double *theta, double *stat,
                   double *eval)
{
    static const ws_variant plain = {0, 0, 0};
    return ws_stats_v(m, &plain, theta, stat, eval);
}

ss_status ws_stats_v(const model *m, const ws_variant *v,
                     const double *theta, double *stat, double *eval)
{
    ss_status st = ws_check_v(m, v);
    if (st != SS_OK)
        return st;
    const dnn_layout *y = dnn_layout_of(m);
    fim_result f;
    memset(&f, 0, sizeof f);
    st = wv_matrix(m, v, theta, &f.K);
    if (st != SS_OK)
        return st;
    /* the eigenvalues of the n x n matrix are the non-zero ones of the
     * nall the statistics run over (the others exactly 0) */
    size_t N = f.K->size1, P = wv_nall(m, v);
    f.form = FIM_FORM_GRAM;
    f.k = P;
    f.gram_scale = (double)y->T;
    f.n = N;
    double trace = 0;
    for (size_t i = 0; i < N; i++)
        trace += gsl_matrix_get(f.K, i, i);
    spec_result *s = NULL;
    st = spec_analyze(&f, SPEC_DEFAULT_TOL, &s);
    gsl_matrix_free(f.K);
    if (st != SS_OK)
        return st;
    size_t n = s->neval, C = y->C < n ? y->C : n;
    double s2 = 0, top = 0;
    for (size_t j = 0; j < n; j++) {
        double l = gsl_vector_get(s->eval, j);
        s2 += l * l;
        if (j < C)
            top += l;
    }
    /* the non-zero eigenvalues are the first rank (descending) */
    size_t rank = s->rank;
    double bulk = NAN;
    if (rank) {
        double *nz = malloc(rank * sizeof *nz);
        if (!nz) {
            spec_result_free(s);
            return SS_FAIL(SS_ERR_NOMEM, "out of memory");
        }
        for (size_t j = 0; j < rank; j++)
            nz[j] = gsl_vector_get(s->eval, j);
        qsort(nz, rank, sizeof *nz, cmp_dbl);
        bulk = gsl_stats_median_from_sorted_data(nz, 1, rank);
        free(nz);
    }
    size_t out = 0;
    while (out < rank && gsl_vector_get(s->eval, out) > WS_OUTLIER_FACTOR * bulk)
        out++;
    stat[WS_M_LAMBDA] = trace / (double)P;
    stat[WS_S_LAMBDA] = s2 / (double)P;
    stat[WS_LAMBDA_MAX] = n ? gsl_vector_get(s->eval, 0) : 0.0;
    stat[WS_TOP_C_MEAN] = C ? top / (double)C : 0.0;
    stat[WS_BULK] = bulk;
    stat[WS_ZEROS] = (double)(P - rank);
    stat[WS_OUTLIERS] = (double)out;
    if (eval)
        for (size_t j = 0; j < N; j++)
            eval[j] = j < n ? gsl_vector_get(s->eval, j) : 0.0;
    spec_result_free(s);
    return SS_OK;
}

/* ---- the runner ------------------------------------------------------------ */

typedef struct {
    const model *m;
    const ws_variant *v;
    uint64_t seed;
    size_t N;
    uint64_t stream, sub0;
} run_ctx;

typedef struct {
    const run_ctx *c;
    double *theta;
} run_worker;

static void *worker_alloc(void *ctx)
{
    const run_ctx *c = ctx;
    run_worker *w = malloc(sizeof *w);
    if (w && !(w->theta = malloc(c->m->P * sizeof *w->theta))) {
        free(w);
        w = NULL;
    }
    if (!w) {
        (void)SS_FAIL(SS_ERR_NOMEM, "out of memory");
        return NULL;
    }
    w->c = c;
    return w;
}

static void worker_free(void *p)
{
    run_worker *w = p;
    if (w)
        free(w->theta);
    free(w);
}

/* A row: the statistics, the N eigenvalues, and (softmax) the C
 * eigenvalues of the network's Qbar for the prediction. */
static ss_status run_one(void *p, size_t rep, double *row)
{
    run_worker *w = p;
    const model *m = w->c->m;
    ws_draw_stream(m, w->c->seed, w->c->stream, w->c->sub0 + rep, w->theta);
    ss_status st = ws_stats_v(m, w->c->v, w->theta, row, row + WS_NSTAT);
    double *mu = row + WS_NSTAT + w->c->N;
    const dnn_layout *y = dnn_layout_of(m);
    if (st == SS_OK && y->softmax)
        st = wv_qbar(m, w->theta, mu);
    else
        for (size_t k = 0; k < y->C; k++)
            mu[k] = NAN;
    return st;
}

static void theory(const model *m, ws_result *r)
{
    const dnn_layout *y = dnn_layout_of(m);
    char why[160] = "", note[320] = "";
    r->has_mf = dnn_mf_solve(m, &r->mf, why, sizeof why);
    /* every variant through the block model (wide_variant.h); the plain
     * regression FIM through mf_predict_finite, the same model */
    double d[2] = {NAN, NAN};
    wv_theory(m, &r->v, r->has_mf ? &r->mf : NULL, r->theory, d, note,
              sizeof note);
    r->d1 = d[0];
    r->d2 = d[1];
    if (y->softmax && r->has_mf) {
        /* given each network's outputs: the mean of the predictions */
        double th[WS_NSTAT], acc[WS_NSTAT] = {0};
        int ids[] = {WS_M_LAMBDA, WS_LAMBDA_MAX, WS_TOP_C_MEAN};
        for (size_t j = 0; j < r->nets; j++) {
            wv_softmax_theory(m, &r->v, d[0], d[1], r->qbar + j * y->C, th);
            for (int i = 0; i < 3; i++)
                acc[ids[i]] += th[ids[i]] / (double)r->nets;
        }
        for (int i = 0; i < 3; i++)
            r->theory[ids[i]] = acc[ids[i]];
    }
    int plain = !r->v.centre && !r->v.metric && !y->ntk && !y->softmax;
    mf_stats ms;
    if (plain && r->has_mf) {
        if (mf_predict_finite(&r->mf, y->M, (int)y->C, (int)y->T, &ms) ==
            SS_OK) {
            r->theory[WS_M_LAMBDA] = ms.m_lambda;
            r->theory[WS_S_LAMBDA] = ms.s_lambda;
            r->theory[WS_LAMBDA_MAX] = ms.lambda_max;
            r->theory[WS_TOP_C_MEAN] = ms.lambda_max;
        } else {
            snprintf(why, sizeof why, "no mean-field prediction: %.120s",
                     ss_last_error()->msg);
            ss_clear_error();
            for (int i = 0; i < WS_NSTAT; i++)
                if (i != WS_ZEROS)
                    r->theory[i] = NAN;
        }
    }
    if (!r->has_mf)
        for (int i = 0; i < WS_NSTAT; i++)
            if (i != WS_ZEROS)
                r->theory[i] = NAN;
    snprintf(r->theory_note, sizeof r->theory_note, "%s",
             why[0] ? why : note);
}

ss_status ws_run(const model *m, const ws_request *req, ws_result **out)
{
    *out = NULL;
    ss_status st = ws_check_v(m, &req->v);
    if (st != SS_OK)
        return st;
    if (req->nets < 1)
        return SS_FAIL(SS_ERR_RANGE, "spectrum: nets= must be at least 1");
    const dnn_layout *y = dnn_layout_of(m);
    size_t N = wv_size(m, &req->v);
    if (16.0 * (double)N * (double)N > (double)FIM_GRAM_BYTES_MAX)
        return SS_FAIL(SS_ERR_LIMIT,
                       "spectrum: the %zu x %zu matrix (T C rows, or M_l) is "
                       "larger than the %.2g GB allowed",
                       N, N, (double)FIM_GRAM_BYTES_MAX / 1e9);
    ws_result *r = calloc(1, sizeof *r);
    if (!r)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    r->requested = req->nets;
    r->seed = req->seed;
    r->P = m->P;
    r->N = N;
    r->nall = wv_nall(m, &req->v);
    r->v = req->v;
    r->softmax = y->softmax;
    r->ntk = y->ntk;
    wv_describe(m, &req->v, r->what, sizeof r->what);
    r->C = y->C;
    r->T = y->T;
    r->L = y->L;
    for (size_t l = 0; l <= y->L; l++)
        r->widths[l] = y->M[l];
    run_ctx c = {m, &req->v, req->seed, N,
                 req->stream ? req->stream : SS_STREAM_SPECTRUM, req->sub0};
    size_t ncols = WS_NSTAT + N + y->C;
    rep_spec rs = {.nrep = req->nets, .ncols = ncols,
                   .threads = req->threads, .worker_alloc = worker_alloc,
                   .worker_free = worker_free, .run = run_one, .ctx = &c};
    double *rows = NULL;
    unsigned char *done = NULL;
    size_t ndone = 0;
    st = rep_run(&rs, req->tick, req->tick_ctx, &rows, &done, &ndone);
    size_t k = 0;
    while (rows && done && k < req->nets && done[k])
        k++;
    if (st != SS_OK && (st != SS_ERR_INTERRUPTED || k == 0)) {
        free(rows);
        free(done);
        free(r);
        return st;
    }
    if (st == SS_ERR_INTERRUPTED) {
        ss_clear_error();
        r->interrupted = 1;
    }
    r->nets = k;
    r->stat = malloc(k * WS_NSTAT * sizeof *r->stat);
    r->eval0 = malloc(N * sizeof *r->eval0);
    r->qbar = malloc(k * y->C * sizeof *r->qbar);
    if (!r->stat || !r->eval0 || !r->qbar) {
        free(rows);
        free(done);
        ws_result_free(r);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    for (size_t j = 0; j < k; j++) {
        memcpy(r->stat + j * WS_NSTAT, rows + j * ncols,
               WS_NSTAT * sizeof *rows);
        memcpy(r->qbar + j * y->C, rows + j * ncols + WS_NSTAT + N,
               y->C * sizeof *rows);
    }
    memcpy(r->eval0, rows + WS_NSTAT, N * sizeof *rows);
    free(rows);
    free(done);
    for (int i = 0; i < WS_NSTAT; i++) {
        double s = 0, s2 = 0;
        for (size_t j = 0; j < k; j++)
            s += r->stat[j * WS_NSTAT + i];
        double mu = s / (double)k;
        for (size_t j = 0; j < k; j++) {
            double d = r->stat[j * WS_NSTAT + i] - mu;
            s2 += d * d;
        }
        r->mean[i] = mu;
        r->sd[i] = k > 1 ? sqrt(s2 / (double)(k - 1)) : NAN;
    }
    theory(m, r);
    *out = r;
    return SS_OK;
}

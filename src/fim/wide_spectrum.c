/* The spectrum over random networks (fim/wide_spectrum.h). */
#include "fim/wide_spectrum.h"

#include "core/replicate.h"
#include "core/rng.h"
#include "fim/fim.h"
#include "fim/spectrum.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const stat_names[WS_NSTAT] = {
    "m_lambda", "s_lambda", "lambda_max", "top_c_mean", "bulk_centre",
    "zeros"};

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
    if (y->softmax)
        return SS_FAIL(SS_ERR_USAGE,
                       "spectrum: output=softmax is not covered (only the "
                       "regression FIM and its mean-field theory)");
    if (y->ntk)
        return SS_FAIL(SS_ERR_USAGE,
                       "spectrum: param=ntk is not covered (only the "
                       "standard parameterisation)");
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
            theta[y->woff[l] + i] = y->s[l] * gsl_ran_gaussian_ziggurat(r, 1.0);
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
    ss_status st = ws_check(m);
    if (st != SS_OK)
        return st;
    const dnn_layout *y = dnn_layout_of(m);
    fim_result f;
    memset(&f, 0, sizeof f);
    double scale = 1;
    st = dnn_gram(m, theta, &f.K, &scale);
    if (st != SS_OK)
        return st;
    f.form = FIM_FORM_GRAM;
    f.k = m->P;
    f.gram_scale = scale;
    f.n = f.K->size1;
    size_t N = f.K->size1, P = m->P;
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
    stat[WS_M_LAMBDA] = trace / (double)P;
    stat[WS_S_LAMBDA] = s2 / (double)P;
    stat[WS_LAMBDA_MAX] = n ? gsl_vector_get(s->eval, 0) : 0.0;
    stat[WS_TOP_C_MEAN] = C ? top / (double)C : 0.0;
    stat[WS_BULK] = bulk;
    stat[WS_ZEROS] = (double)(P - rank);
    if (eval)
        for (size_t j = 0; j < N; j++)
            eval[j] = j < n ? gsl_vector_get(s->eval, j) : 0.0;
    spec_result_free(s);
    return SS_OK;
}

/* ---- the runner ------------------------------------------------------------ */

typedef struct {
    const model *m;
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

static ss_status run_one(void *p, size_t rep, double *row)
{
    run_worker *w = p;
    ws_draw_stream(w->c->m, w->c->seed, w->c->stream, w->c->sub0 + rep,
                   w->theta);
    return ws_stats(w->c->m, w->theta, row, row + WS_NSTAT);
}

static void theory(const model *m, ws_result *r)
{
    const dnn_layout *y = dnn_layout_of(m);
    for (int i = 0; i < WS_NSTAT; i++)
        r->theory[i] = NAN;
    r->theory[WS_ZEROS] = (double)(r->P - (r->N < r->P ? r->N : r->P));
    if (y->act == DNN_ERF) {
        snprintf(r->theory_note, sizeof r->theory_note,
                 "no mean-field prediction for act=erf (the network's "
                 "erf(u/sqrt 2) is not the mean-field module's erf(u))");
        return;
    }
    if (y->L < 2) {
        snprintf(r->theory_note, sizeof r->theory_note,
                 "no mean-field prediction without a hidden layer "
                 "(layers=1)");
        return;
    }
    double alpha[DNN_LMAX];
    for (size_t l = 0; l < y->L; l++)
        alpha[l] = (double)y->M[l] / (double)y->M[1];
    static const mf_act acts[] = {MF_RELU, MF_TANH, MF_ERF, MF_LINEAR};
    mf_spec sp = {.L = (int)y->L, .alpha = alpha, .act = acts[y->act],
                  .sw2 = y->sw2, .sb2 = y->sb2, .q0_1 = 1.0, .q0_2 = 0.0};
    mf_stats ms;
    if (mf_solve(&sp, &r->mf) != SS_OK ||
        mf_predict_finite(&r->mf, y->M, (int)y->C, (int)y->T, &ms) !=
            SS_OK) {
        snprintf(r->theory_note, sizeof r->theory_note,
                 "no mean-field prediction: %.120s",
                 ss_last_error()->msg);
        ss_clear_error();
        return;
    }
    r->has_mf = 1;
    r->theory[WS_M_LAMBDA] = ms.m_lambda;
    r->theory[WS_S_LAMBDA] = ms.s_lambda;
    r->theory[WS_LAMBDA_MAX] = ms.lambda_max;
    r->theory[WS_TOP_C_MEAN] = ms.lambda_max;
}

ss_status ws_run(const model *m, const ws_request *req, ws_result **out)
{
    *out = NULL;
    ss_status st = ws_check(m);
    if (st != SS_OK)
        return st;
    if (req->nets < 1)
        return SS_FAIL(SS_ERR_RANGE, "spectrum: nets= must be at least 1");
    const dnn_layout *y = dnn_layout_of(m);
    size_t N = y->T * y->C;
    if (16.0 * (double)N * (double)N > (double)FIM_GRAM_BYTES_MAX)
        return SS_FAIL(SS_ERR_LIMIT,
                       "spectrum: the %zu x %zu dual Gram (T C rows) is "
                       "larger than the %.2g GB allowed",
                       N, N, (double)FIM_GRAM_BYTES_MAX / 1e9);
    ws_result *r = calloc(1, sizeof *r);
    if (!r)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    r->requested = req->nets;
    r->seed = req->seed;
    r->P = m->P;
    r->N = N;
    r->C = y->C;
    r->T = y->T;
    r->L = y->L;
    for (size_t l = 0; l <= y->L; l++)
        r->widths[l] = y->M[l];
    run_ctx c = {m, req->seed, N,
                 req->stream ? req->stream : SS_STREAM_SPECTRUM, req->sub0};
    rep_spec rs = {.nrep = req->nets, .ncols = WS_NSTAT + N,
                   .threads = req->threads, .worker_alloc = worker_alloc,
                   .worker_free = worker_free, .run = run_one, .ctx = &c};
    double *rows = NULL;
    unsigned char *done = NULL;
    size_t ndone = 0;
    st = rep_run(&rs, NULL, NULL, &rows, &done, &ndone);
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
    if (!r->stat || !r->eval0) {
        free(rows);
        free(done);
        ws_result_free(r);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    for (size_t j = 0; j < k; j++)
        memcpy(r->stat + j * WS_NSTAT, rows + j * (WS_NSTAT + N),
               WS_NSTAT * sizeof *rows);
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

/* Unit tests of the spectrum over random networks (fim/wide_spectrum.c):
 *  - on tiny networks, the statistics from the dual Gram equal those of a
 *    direct eigen-decomposition of the explicitly formed P x P FIM (the
 *    family's fim_exact, an independent route: J^T J / T), to 1e-10;
 *  - m_lambda is trace(J J^T) / (T P) exactly, and zeros = P - rank of the
 *    explicit FIM;
 *  - the numbers are the same on 1 and 2 threads;
 *  - at moderate width the measured m_lambda and lambda_max agree with the
 *    mean-field prediction, and a centred tanh network has no outlier. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/replicate.h"
#include "fim/wide_spectrum.h"
#include "model/dnn.h"
#include "model/model.h"
#include "testutil.h"

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A dnn from "layers=2 act=tanh ..." (words for enum values). */
static model *make(const char *text)
{
    return tu_model(&model_dnn_type, text);
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The statistics from the explicit P x P FIM at theta, and the rank. */
static size_t direct(const model *m, const double *theta, double *stat)
{
    size_t P = m->P, C = dnn_layout_of(m)->C;
    gsl_matrix *G = gsl_matrix_alloc(P, P);
    gsl_vector *ev = gsl_vector_alloc(P);
    gsl_eigen_symm_workspace *w = gsl_eigen_symm_alloc(P);
    assert_int_equal(m->type->fim_exact(m, theta, G, NULL), SS_OK);
    gsl_eigen_symm(G, ev, w);
    double *e = ev->data;
    qsort(e, P, sizeof *e, cmp); /* ascending */
    double lmax = e[P - 1], tr = 0, s2 = 0, top = 0;
    size_t rank = 0;
    for (size_t i = 0; i < P; i++) {
        tr += e[i];
        s2 += e[i] * e[i];
        rank += fabs(e[i]) > 1e-10 * lmax;
    }
    for (size_t i = 0; i < C; i++)
        top += e[P - 1 - i];
    stat[WS_M_LAMBDA] = tr / (double)P;
    stat[WS_S_LAMBDA] = s2 / (double)P;
    stat[WS_LAMBDA_MAX] = lmax;
    stat[WS_TOP_C_MEAN] = top / (double)C;
    stat[WS_BULK] = gsl_stats_median_from_sorted_data(e + P - rank, 1, rank);
    stat[WS_ZEROS] = (double)(P - rank);
    size_t out = 0;
    while (out < rank && e[P - 1 - out] > WS_OUTLIER_FACTOR * stat[WS_BULK])
        out++;
    stat[WS_OUTLIERS] = (double)out;
    gsl_eigen_symm_free(w);
    gsl_vector_free(ev);
    gsl_matrix_free(G);
    return rank;
}

static void check_tiny(const char *text, size_t want_zeros_min)
{
    model *m = make(text);
    double *theta = malloc(m->P * sizeof *theta);
    for (size_t j = 0; j < 3; j++) {
        ws_draw(m, 7, j, theta);
        double got[WS_NSTAT], want[WS_NSTAT];
        size_t N = dnn_layout_of(m)->T * dnn_layout_of(m)->C;
        double *eval = malloc(N * sizeof *eval);
        assert_int_equal(ws_stats(m, theta, got, eval), SS_OK);
        direct(m, theta, want);
        double scale = want[WS_LAMBDA_MAX];
        for (int i = 0; i < WS_NSTAT; i++) {
            double sc = i == WS_S_LAMBDA ? scale * scale
                        : i == WS_ZEROS || i == WS_OUTLIERS ? 1.0
                                                            : scale;
            assert_close_msg(got[i], want[i], 0, 1e-10 * sc, ws_stat_name(i));
        }
        assert_true(got[WS_ZEROS] >= (double)want_zeros_min);
        /* m_lambda = trace(J J^T) / (T P): exactly trace(K) / P for the
         * K = J J^T / T the dual holds, and trace(J J^T) summed from
         * backprop gradients one output and input at a time */
        gsl_matrix *K = NULL;
        double sc = 0;
        assert_int_equal(dnn_gram(m, theta, &K, &sc), SS_OK);
        double trK = 0;
        for (size_t i = 0; i < K->size1; i++)
            trK += gsl_matrix_get(K, i, i);
        assert_true(got[WS_M_LAMBDA] == trK / (double)m->P);
        const dnn_layout *y = dnn_layout_of(m);
        const gsl_matrix *X = dnn_inputs(m);
        double *g = malloc(m->P * sizeof *g), *e = calloc(y->C, sizeof *e);
        double trJ = 0;
        for (size_t t = 0; t < y->T; t++)
            for (size_t c = 0; c < y->C; c++) {
                memset(e, 0, y->C * sizeof *e);
                e[c] = 1;
                assert_int_equal(dnn_vjp(m, theta, X->data + t * X->tda, e,
                                         NULL, g),
                                 SS_OK);
                for (size_t p = 0; p < m->P; p++)
                    trJ += g[p] * g[p];
            }
        assert_close(got[WS_M_LAMBDA], trJ / ((double)y->T * (double)m->P),
                     1e-12, 0);
        free(g);
        free(e);
        /* the stored eigenvalues sum to the trace */
        double se = 0;
        for (size_t i = 0; i < N; i++)
            se += eval[i];
        assert_close(se, trK, 1e-12, 0);
        gsl_matrix_free(K);
        free(eval);
    }
    free(theta);
    model_free(m);
}

static void test_tiny_tanh(void **st)
{
    (void)st;
    /* P = 3*3 + 3*4 + 2*4 = 29, N = 6: 23 exact zeros at least */
    check_tiny("layers=3 width=3 in=2 out=2 act=tanh sw2=1.5 sb2=0.3 "
               "inputs=3 seed=1",
               23);
}

static void test_tiny_relu(void **st)
{
    (void)st;
    check_tiny("layers=2 width=4 in=3 out=3 act=relu sw2=2 sb2=0.1 "
               "inputs=4 seed=2",
               4 * 4 + 3 * 5 - 12);
}

/* A rank below T C: a linear network with one input dimension has
 * Jacobian rows J_t linear in (x_t, 1), so rank 2 whatever T; zeros counts
 * the extra ones (the dual and the explicit FIM agree: P - 2 = 5). */
static void test_tiny_linear_rank(void **st)
{
    (void)st;
    /* P = 2*1 + 2 + 1*2 + 1 = 7, N = 5 */
    check_tiny("layers=2 width=2 in=1 out=1 act=linear sw2=1 sb2=0 "
               "inputs=5 seed=3",
               5);
}

static void test_threads(void **st)
{
    (void)st;
    model *m = make("layers=3 width=30 in=20 out=3 act=relu sw2=2 sb2=0.1 "
                    "inputs=8 seed=4");
    ws_request r1 = {.nets = 5, .seed = 11, .threads = 1};
    ws_request r2 = r1;
    r2.threads = 2;
    ws_result *a = NULL, *b = NULL;
    assert_int_equal(ws_run(m, &r1, &a), SS_OK);
    assert_int_equal(ws_run(m, &r2, &b), SS_OK);
    assert_int_equal(a->nets, 5);
    assert_memory_equal(a->stat, b->stat, 5 * WS_NSTAT * sizeof *a->stat);
    assert_memory_equal(a->eval0, b->eval0, a->N * sizeof *a->eval0);
    for (int i = 0; i < WS_NSTAT; i++) {
        assert_true(a->mean[i] == b->mean[i]);
        assert_true(a->sd[i] == b->sd[i]);
    }
    /* network 0 of the run is ws_draw(seed, 0) */
    double *theta = malloc(m->P * sizeof *theta), s0[WS_NSTAT];
    ws_draw(m, 11, 0, theta);
    assert_int_equal(ws_stats(m, theta, s0, NULL), SS_OK);
    assert_memory_equal(s0, a->stat, sizeof s0);
    free(theta);
    ws_result_free(a);
    ws_result_free(b);
    model_free(m);
}

static void test_refusals(void **st)
{
    (void)st;
    ws_request rq = {.nets = 1, .seed = 1, .threads = 1};
    ws_result *r = NULL;
    /* softmax and ntk are variants now (test_spectrum_variants.c); their
     * combination is refused */
    model *m = make("layers=2 width=3 in=2 out=2 act=relu output=softmax "
                    "param=ntk inputs=3 seed=1");
    assert_int_equal(ws_run(m, &rq, &r), SS_ERR_USAGE);
    assert_non_null(strstr(ss_last_error()->msg, "softmax"));
    assert_null(r);
    model_free(m);
    ss_clear_error();
}

/* Mean-field agreement at M = 200, T = 20, C = 2, relu, sw2 = 2, sb2 = 0,
 * over K = 8 networks. Each network's statistics fluctuate around their
 * expectation by O(1/sqrt M) (the gain of a relu layer: |h|^2 / M has
 * relative sd sqrt(5 / M) = 16% per layer and input, partly averaged over
 * the inputs; measured: about 8% for m_lambda), so the mean over K is
 * within 3 sd / sqrt K of the expectation (3 standard errors) and the
 * expectation differs from the finite-width prediction by O(1/M) for
 * m_lambda (the recursions are exact in expectation at the first layer,
 * O(1/M) off beyond): allowed 2%. lambda_max is the top eigenvalue of the
 * C blocks (d1 + (T-1) d2) / T plus the noise of the T x T blocks'
 * off-diagonal entries (O(1/sqrt M) of d1 each), which pushes it up by
 * O(sqrt(T / M)) relatively (measured +13% here, +9% at M = 500, T = 100):
 * allowed [-0, +25%] beyond the 3 standard errors. */
static void check_band(const ws_result *r, int i, double below, double above)
{
    double se = r->sd[i] / sqrt((double)r->nets), th = r->theory[i];
    double lo = th * (1 - below) - 3 * se, hi = th * (1 + above) + 3 * se;
    if (!(r->mean[i] >= lo && r->mean[i] <= hi))
        fail_msg("%s: measured %.6g (se %.3g) outside [%.6g, %.6g] around "
                 "the prediction %.6g",
                 ws_stat_name(i), r->mean[i], se, lo, hi, th);
}

static void test_meanfield_relu(void **st)
{
    (void)st;
    model *m = make("layers=3 width=200 in=200 out=2 act=relu sw2=2 sb2=0 "
                    "inputs=20 seed=5");
    ws_request rq = {.nets = 8, .seed = 3, .threads = 0};
    ws_result *r = NULL;
    assert_int_equal(ws_run(m, &rq, &r), SS_OK);
    assert_true(r->has_mf);
    printf("relu M=200: m %.5g (sd %.3g) / %.5g, max %.5g (sd %.3g) / "
           "%.5g, s %.5g / %.5g\n",
           r->mean[WS_M_LAMBDA], r->sd[WS_M_LAMBDA], r->theory[WS_M_LAMBDA],
           r->mean[WS_LAMBDA_MAX], r->sd[WS_LAMBDA_MAX],
           r->theory[WS_LAMBDA_MAX], r->mean[WS_S_LAMBDA],
           r->theory[WS_S_LAMBDA]);
    check_band(r, WS_M_LAMBDA, 0.02, 0.02);
    check_band(r, WS_LAMBDA_MAX, 0.0, 0.25);
    /* the standard errors themselves are small beside the prediction */
    assert_true(r->sd[WS_M_LAMBDA] / sqrt(8.0) < 0.05 * r->theory[WS_M_LAMBDA]);
    assert_true(r->sd[WS_LAMBDA_MAX] / sqrt(8.0) <
                0.05 * r->theory[WS_LAMBDA_MAX]);
    /* generic full rank: the zeros are P - T C */
    assert_true(r->mean[WS_ZEROS] == r->theory[WS_ZEROS]);
    double relu_ratio = r->mean[WS_LAMBDA_MAX] /
                        (r->mean[WS_M_LAMBDA] * (double)r->P /
                         ((double)r->P - r->mean[WS_ZEROS]));
    ws_result_free(r);
    model_free(m);

    /* centred tanh, sb2 = 0: kappa2 = 0, no outlier */
    m = make("layers=3 width=200 in=200 out=2 act=tanh sw2=2 sb2=0 "
             "inputs=20 seed=5");
    assert_int_equal(ws_run(m, &rq, &r), SS_OK);
    assert_true(fabs(r->mf.kappa2) < 1e-12);
    double tanh_ratio = r->mean[WS_LAMBDA_MAX] /
                        (r->mean[WS_M_LAMBDA] * (double)r->P /
                         ((double)r->P - r->mean[WS_ZEROS]));
    printf("lambda_max / mean non-zero: relu %.4g, tanh %.4g\n", relu_ratio,
           tanh_ratio);
    /* relu: about 1 + (T-1) d2/d1 (here ~ 5); tanh: the largest of T
     * nearly equal eigenvalues, only the noise above 1 */
    assert_true(relu_ratio > 3.0);
    assert_true(tanh_ratio < 2.0);
    assert_true(tanh_ratio < 0.5 * relu_ratio);
    ws_result_free(r);
    model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tiny_tanh),
        cmocka_unit_test(test_tiny_relu),
        cmocka_unit_test(test_tiny_linear_rank),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_meanfield_relu),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

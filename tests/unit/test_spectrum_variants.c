/* Unit tests of the spectrum variants (fim/wide_variant.c,
 * docs/theory.md 13.4). On tiny networks every statistic of every variant
 * equals the one computed from an explicitly formed matrix, built here
 * from backprop gradients (dnn_vjp, itself checked against finite
 * differences in test_dnn.c) by a different route than the dual Gram:
 *   - softmax: F = (1/T) sum_t J_t^T Q_t J_t with Q_t itself (P x P; the
 *     code sandwiches the dual by Q_t^{1/2});
 *   - ntk: the eigenvalues of T F for the omega parameters;
 *   - centre=output: F of the centred Jacobian rows J_t - mean_s J_s (the
 *     code centres the dual, H K H);
 *   - metric: G = (1/T) sum A_t^T Q_t A_t with A_t = df/dh^l assembled from
 *     the bias gradients (df/dh^l_j = sum_i W^{l+1}_ij df/db^{l+1}_i), and
 *     checked against central differences of the network's outputs.
 * to 1e-10 of the largest eigenvalue (the dual and the P x P matrix are
 * two backward-stable eigen-decompositions of the same numbers: 1e-13 or
 * so, well inside). Then the scaling claims at moderate width, each with
 * its tolerance argued where it is checked. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "fim/meanfield.h"
#include "fim/wide_spectrum.h"
#include "fim/wide_variant.h"
#include "model/dnn.h"
#include "model/model.h"
#include "testutil.h"

#include <gsl/gsl_blas.h>
#include <gsl/gsl_eigen.h>
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

/* J (T C x P, row t C + c: the gradient of f_c(x_t)) and the outputs
 * F (T x C), one backward pass per output. */
static void jacobian(const model *m, const double *theta, gsl_matrix *J,
                     gsl_matrix *F)
{
    const dnn_layout *y = dnn_layout_of(m);
    const gsl_matrix *X = dnn_inputs(m);
    double *e = calloc(y->C, sizeof *e);
    for (size_t t = 0; t < y->T; t++)
        for (size_t c = 0; c < y->C; c++) {
            e[c] = 1;
            assert_int_equal(dnn_vjp(m, theta, X->data + t * X->tda, e,
                                     gsl_matrix_ptr(F, t, 0),
                                     gsl_matrix_ptr(J, t * y->C + c, 0)),
                             SS_OK);
            e[c] = 0;
        }
    free(e);
}

/* Q_t = diag(g) - g g^T of the softmax of row t of F (I_C: regression). */
static void qmat(const dnn_layout *y, const gsl_matrix *F, size_t t,
                 gsl_matrix *Q)
{
    size_t C = y->C;
    if (!y->softmax) {
        gsl_matrix_set_identity(Q);
        return;
    }
    double g[64], mx = -INFINITY, z = 0;
    assert_true(C <= 64);
    for (size_t c = 0; c < C; c++)
        mx = fmax(mx, gsl_matrix_get(F, t, c));
    for (size_t c = 0; c < C; c++)
        z += (g[c] = exp(gsl_matrix_get(F, t, c) - mx));
    for (size_t a = 0; a < C; a++)
        for (size_t b = 0; b < C; b++)
            gsl_matrix_set(Q, a, b,
                           (a == b ? g[a] / z : 0.0) - g[a] * g[b] / (z * z));
}

/* G = (1/T) sum_t A_t^T Q_t A_t for the T C x n rows A. */
static gsl_matrix *pullback(const dnn_layout *y, const gsl_matrix *A,
                            const gsl_matrix *F)
{
    size_t C = y->C, n = A->size2;
    gsl_matrix *G = gsl_matrix_calloc(n, n), *Q = gsl_matrix_alloc(C, C);
    gsl_matrix *QA = gsl_matrix_alloc(C, n);
    for (size_t t = 0; t < y->T; t++) {
        qmat(y, F, t, Q);
        gsl_matrix_const_view At = gsl_matrix_const_submatrix(A, t * C, 0, C, n);
        gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, Q, &At.matrix, 0.0,
                       QA);
        gsl_blas_dgemm(CblasTrans, CblasNoTrans, 1.0 / (double)y->T,
                       &At.matrix, QA, 1.0, G);
    }
    gsl_matrix_free(Q);
    gsl_matrix_free(QA);
    return G;
}

/* The explicit P x P FIM, rows centred over the inputs when asked. */
static gsl_matrix *explicit_fim(const model *m, const double *theta,
                                int centre)
{
    const dnn_layout *y = dnn_layout_of(m);
    size_t T = y->T, C = y->C, P = m->P;
    gsl_matrix *J = gsl_matrix_alloc(T * C, P), *F = gsl_matrix_alloc(T, C);
    jacobian(m, theta, J, F);
    if (centre)
        for (size_t c = 0; c < C; c++)
            for (size_t p = 0; p < P; p++) {
                double mu = 0;
                for (size_t t = 0; t < T; t++)
                    mu += gsl_matrix_get(J, t * C + c, p) / (double)T;
                for (size_t t = 0; t < T; t++)
                    *gsl_matrix_ptr(J, t * C + c, p) -= mu;
            }
    gsl_matrix *G = pullback(y, J, F);
    gsl_matrix_free(J);
    gsl_matrix_free(F);
    return G;
}

/* The eigenvalues of the symmetric G, ascending (G is destroyed). */
static double *eigen(gsl_matrix *G)
{
    size_t n = G->size1;
    gsl_vector *ev = gsl_vector_alloc(n);
    gsl_eigen_symm_workspace *w = gsl_eigen_symm_alloc(n);
    gsl_eigen_symm(G, ev, w);
    double *e = malloc(n * sizeof *e);
    memcpy(e, ev->data, n * sizeof *e);
    qsort(e, n, sizeof *e, cmp);
    gsl_eigen_symm_free(w);
    gsl_vector_free(ev);
    return e;
}

/* The statistics of n eigenvalues (ascending), as wide_spectrum.h defines
 * them, written out again here. */
static void stats_of(const double *e, size_t n, size_t C, double *stat)
{
    double lmax = e[n - 1], tr = 0, s2 = 0, top = 0;
    size_t rank = 0;
    for (size_t i = 0; i < n; i++) {
        tr += e[i];
        s2 += e[i] * e[i];
        rank += fabs(e[i]) > 1e-10 * lmax;
    }
    for (size_t i = 0; i < C; i++)
        top += e[n - 1 - i];
    stat[WS_M_LAMBDA] = tr / (double)n;
    stat[WS_S_LAMBDA] = s2 / (double)n;
    stat[WS_LAMBDA_MAX] = lmax;
    stat[WS_TOP_C_MEAN] = top / (double)C;
    stat[WS_BULK] = gsl_stats_median_from_sorted_data(e + n - rank, 1, rank);
    stat[WS_ZEROS] = (double)(n - rank);
    size_t out = 0;
    while (out < rank && e[n - 1 - out] > WS_OUTLIER_FACTOR * stat[WS_BULK])
        out++;
    stat[WS_OUTLIERS] = (double)out;
}

static void compare(const double *got, const double *want, const char *what)
{
    double sc = want[WS_LAMBDA_MAX];
    for (int i = 0; i < WS_NSTAT; i++) {
        double s = i == WS_S_LAMBDA                     ? sc * sc
                   : i == WS_ZEROS || i == WS_OUTLIERS ? 0.0
                                                        : sc;
        char msg[128];
        snprintf(msg, sizeof msg, "%s: %s", what, ws_stat_name(i));
        assert_close_msg(got[i], want[i], 0, 1e-10 * s, msg);
    }
}

/* ws_stats_v of variant v against the explicit matrix on three random
 * networks of m. */
static void check_explicit(const char *text, const ws_variant *v)
{
    model *m = make(text);
    const dnn_layout *y = dnn_layout_of(m);
    double *theta = malloc(m->P * sizeof *theta);
    for (size_t j = 0; j < 3; j++) {
        ws_draw(m, 7, j, theta);
        double got[WS_NSTAT], want[WS_NSTAT];
        size_t n = ws_eval_count(m, v);
        double *eval = malloc(n * sizeof *eval);
        assert_int_equal(ws_stats_v(m, v, theta, got, eval), SS_OK);
        gsl_matrix *G = explicit_fim(m, theta, v->centre);
        double *e = eigen(G);
        if (y->ntk) {
            /* Theta = J J^T: its T C eigenvalues are T times F's largest
             * T C (P >= T C here) */
            size_t N = y->T * y->C;
            assert_true(m->P >= N);
            for (size_t i = 0; i < N; i++)
                e[i] = (double)y->T * e[m->P - N + i];
            stats_of(e, N, y->C, want);
        } else {
            stats_of(e, m->P, y->C, want);
        }
        compare(got, want, text);
        free(e);
        gsl_matrix_free(G);
        free(eval);
    }
    free(theta);
    model_free(m);
}

/* ---- softmax -------------------------------------------------------------- */

static void test_softmax_explicit(void **st)
{
    (void)st;
    ws_variant v = {0, 0, 0};
    /* P = 5*4 + 5*6 + 3*6 = 68 > T (C - 1) = 8 */
    check_explicit("layers=3 width=5 in=3 out=3 act=tanh sw2=1.5 sb2=0.2 "
                   "output=softmax inputs=4 seed=1",
                   &v);
    check_explicit("layers=2 width=6 in=3 out=4 act=relu sw2=2 sb2=0.1 "
                   "output=softmax inputs=5 seed=2",
                   &v);
    /* the rank is at most T (C - 1): T of the T C dual directions are null
     * (Q_t 1 = 0), so at least P - T (C - 1) zeros */
    model *m = make("layers=2 width=6 in=3 out=4 act=relu sw2=2 sb2=0.1 "
                    "output=softmax inputs=5 seed=2");
    double *theta = malloc(m->P * sizeof *theta), s[WS_NSTAT];
    ws_draw(m, 7, 0, theta);
    assert_int_equal(ws_stats(m, theta, s, NULL), SS_OK);
    assert_true(s[WS_ZEROS] == (double)(m->P - 5 * 3));
    free(theta);
    model_free(m);
}

/* Why at most C - 1 outliers. The regression outliers are the directions
 * 1_T (x) e_c of the dual (every input, one output: the mean output
 * direction), one per output. The softmax dual is R K_reg R with
 * R = blockdiag(Q_t^{1/2}); with the block model K_reg = (1/T)(d2 1 1^T
 * (x) I_C + (d1 - d2) I), it is
 *   (d2 / T) B B^T + ((d1 - d2) / T) blockdiag(Q_t),   B = [R_t]_t,
 * and the first term's non-zero eigenvalues are d2 mu_k(Qbar), Qbar =
 * (1/T) sum Q_t, whose null vector 1 (Q_t 1 = 0) leaves at most C - 1.
 * Checked: K (1_T (x) 1_C) = 0 to rounding; on wide networks the count is
 * at most C - 1 while the regression network with the same weights has
 * all C; and the top C - 1 eigenvalues are d2 mu_k(Qbar) to within the
 * norm of the second term, (d1 - d2)/T max_t |Q_t| (Weyl), plus the noise
 * of K_reg's entries, which moves the regression outlier by about 10%
 * (test_spectrum_wide.c): allowed 0.15 d2 mu_1. */
static void test_softmax_outliers(void **st)
{
    (void)st;
    const char *arch = "layers=3 width=200 in=100 out=5 act=relu sw2=2 "
                       "sb2=0 inputs=40 seed=1";
    char buf[256];
    snprintf(buf, sizeof buf, "%s output=softmax", arch);
    model *ms = make(buf), *mr = make(arch);
    const dnn_layout *y = dnn_layout_of(ms);
    double *theta = malloc(ms->P * sizeof *theta);
    size_t T = 40, C = 5, N = T * C;
    /* d1, d2 of the regression FIM's block model */
    ws_request rq = {.nets = 1, .seed = 1};
    ws_result *res = NULL;
    assert_int_equal(ws_run(mr, &rq, &res), SS_OK);
    double d[2] = {0, 0};
    for (size_t l = 1; l <= y->L; l++) {
        d[0] += res->mf.qt1[l] * ((double)y->M[l - 1] * res->mf.qh1[l - 1] + 1);
        d[1] += res->mf.qt2[l] * ((double)y->M[l - 1] * res->mf.qh2[l - 1] + 1);
    }
    ws_result_free(res);
    gsl_matrix *J = gsl_matrix_alloc(N, ms->P), *F = gsl_matrix_alloc(T, C);
    gsl_matrix *Q = gsl_matrix_alloc(C, C), *Qbar = gsl_matrix_alloc(C, C);
    gsl_vector *mu = gsl_vector_alloc(C);
    gsl_eigen_symm_workspace *w = gsl_eigen_symm_alloc(C);
    double *ev = malloc(N * sizeof *ev);
    for (size_t j = 0; j < 4; j++) {
        ws_draw(ms, 3, j, theta);
        double ss[WS_NSTAT], sr[WS_NSTAT];
        assert_int_equal(ws_stats(ms, theta, ss, ev), SS_OK);
        assert_int_equal(ws_stats(mr, theta, sr, NULL), SS_OK);
        printf("network %zu: outliers softmax %g, regression %g; "
               "lambda_max %.4g vs %.4g, bulk %.4g vs %.4g\n",
               j, ss[WS_OUTLIERS], sr[WS_OUTLIERS], ss[WS_LAMBDA_MAX],
               sr[WS_LAMBDA_MAX], ss[WS_BULK], sr[WS_BULK]);
        assert_true(ss[WS_OUTLIERS] <= (double)(C - 1));
        assert_true(sr[WS_OUTLIERS] == (double)C);
        /* the outliers against d2 mu_k(Qbar) */
        jacobian(ms, theta, J, F);
        gsl_matrix_set_zero(Qbar);
        double qmax = 0;
        for (size_t t = 0; t < T; t++) {
            qmat(y, F, t, Q);
            gsl_matrix_scale(Q, 1.0 / (double)T);
            gsl_matrix_add(Qbar, Q);
            gsl_matrix_scale(Q, (double)T);
            gsl_vector *q = gsl_vector_alloc(C);
            gsl_eigen_symm(Q, q, w);
            qmax = fmax(qmax, gsl_vector_max(q));
            gsl_vector_free(q);
        }
        gsl_eigen_symm(Qbar, mu, w);
        double *m = mu->data;
        qsort(m, C, sizeof *m, cmp);
        for (size_t k = 0; k + 1 < C; k++) {
            double want = d[1] * m[C - 1 - k];
            printf("  outlier %zu: %.5g, d2 mu_%zu = %.5g\n", k + 1, ev[k],
                   k + 1, want);
            assert_true(fabs(ev[k] - want) <= (d[0] - d[1]) / (double)T * qmax +
                                                 0.15 * d[1] * m[C - 1]);
        }
        assert_true(fabs(m[0]) < 1e-14); /* Qbar 1 = 0 */
        /* the null direction of the softmax dual: its Rayleigh quotient.
         * Rounding: Q_t's zero eigenvalue comes out as +-1e-17 or so, and
         * its clipped square root (<= 3e-9) leaves R_t 1 at that size, so
         * the quotient is O(1e-17) of lambda_max (a vector K 1 of norm
         * O(3e-9) lambda_max) */
        gsl_matrix *K = NULL;
        double sc, q;
        assert_int_equal(dnn_gram(ms, theta, &K, &sc), SS_OK);
        gsl_vector *one = gsl_vector_alloc(N), *r = gsl_vector_alloc(N);
        gsl_vector_set_all(one, 1.0 / sqrt((double)N));
        gsl_blas_dgemv(CblasNoTrans, 1.0, K, one, 0.0, r);
        gsl_blas_ddot(one, r, &q);
        assert_true(fabs(q) < 1e-14 * ss[WS_LAMBDA_MAX]);
        assert_true(gsl_blas_dnrm2(r) < 1e-7 * ss[WS_LAMBDA_MAX]);
        gsl_vector_free(one);
        gsl_vector_free(r);
        gsl_matrix_free(K);
    }
    /* the command's prediction given the networks' Qbar (ws_run): lambda_max
     * within the 15% above (it is d2 mu_1 averaged), m_lambda = d1 tr Qbar
     * / P within 15%: the model leaves out that inputs with a peaked
     * softmax (small Q_t) have large logits and with them large gradients
     * (measured -7%) */
    ws_request rs = {.nets = 4, .seed = 3};
    assert_int_equal(ws_run(ms, &rs, &res), SS_OK);
    printf("prediction given Qbar: m_lambda %.5g / %.5g, lambda_max %.5g / "
           "%.5g\n",
           res->mean[WS_M_LAMBDA], res->theory[WS_M_LAMBDA],
           res->mean[WS_LAMBDA_MAX], res->theory[WS_LAMBDA_MAX]);
    assert_close(res->mean[WS_LAMBDA_MAX], res->theory[WS_LAMBDA_MAX], 0.15, 0);
    assert_close(res->mean[WS_M_LAMBDA], res->theory[WS_M_LAMBDA], 0.15, 0);
    for (size_t j = 0; j < 4; j++) /* Qbar 1 = 0 */
        assert_true(fabs(res->qbar[j * C + C - 1]) < 1e-14);
    ws_result_free(res);
    free(ev);
    gsl_eigen_symm_free(w);
    gsl_vector_free(mu);
    gsl_matrix_free(Q);
    gsl_matrix_free(Qbar);
    gsl_matrix_free(J);
    gsl_matrix_free(F);
    free(theta);
    model_free(ms);
    model_free(mr);
}

/* ---- NTK ------------------------------------------------------------------ */

static void test_ntk_explicit(void **st)
{
    (void)st;
    ws_variant v = {0, 0, 0};
    check_explicit("layers=3 width=4 in=3 out=2 act=tanh sw2=1.5 sb2=0.2 "
                   "param=ntk inputs=4 seed=1",
                   &v);
    v.centre = 1;
    check_explicit("layers=2 width=5 in=2 out=2 act=relu sw2=2 sb2=0.1 "
                   "param=ntk inputs=5 seed=2",
                   &v);
}

/* The mean-field NTK diagonal d1 = sum_l qt^l_1 (sw2 qh^{l-1}_1 + 1): with
 * W = s omega, s^2 M_{l-1} = sw2 replaces M_{l-1} of the standard FIM's
 * d1 (docs/theory.md 13.4). The inputs' own mean |x|^2 / M0 goes in as
 * q0_1: for relu with sb2 = 0 every layer's qh is proportional to it and
 * qt does not depend on it, so d1 is affine in |x|^2 and its mean over the
 * inputs is d1 at their mean norm. */
static double ntk_d1(const model *m)
{
    const dnn_layout *y = dnn_layout_of(m);
    const gsl_matrix *X = dnn_inputs(m);
    double q0 = 0;
    for (size_t t = 0; t < y->T; t++)
        for (size_t j = 0; j < y->M[0]; j++)
            q0 += gsl_matrix_get(X, t, j) * gsl_matrix_get(X, t, j);
    q0 /= (double)(y->T * y->M[0]);
    double alpha[DNN_LMAX];
    for (size_t l = 0; l < y->L; l++)
        alpha[l] = (double)y->M[l] / (double)y->M[1];
    mf_spec sp = {.L = (int)y->L, .alpha = alpha, .act = MF_RELU,
                  .sw2 = y->sw2, .sb2 = y->sb2, .q0_1 = q0, .q0_2 = 0};
    mf_result r;
    assert_int_equal(mf_solve(&sp, &r), SS_OK);
    double d1 = 0;
    for (size_t l = 1; l <= y->L; l++)
        d1 += r.qt1[l] * (y->sw2 * r.qh1[l - 1] + 1.0);
    return d1;
}

/* m_lambda of the NTK (its mean eigenvalue, tr Theta / (T C)) does not
 * depend on the width: M = 100 and M = 400 with the same inputs (in=50 and
 * the seed fix them), 16 networks each. Each network's m_lambda
 * fluctuates by O(1/sqrt(M C)) (the last layer's |W^L_c|^2 is chi-square
 * with M degrees of freedom, shared by all inputs: sqrt(2 / (M C)) = 7%
 * at M = 100, C = 4), so the two means differ by at most 3 combined
 * standard errors plus their O(1/M) finite-width bias (the mean field
 * treats delta and h as independent, true to O(1/M): 1% at M = 100,
 * allowed 2%); each is within 3 standard errors + 2% of the mean-field d1,
 * which has no M in it. */
static void test_ntk_width(void **st)
{
    (void)st;
    double mean[2], se[2], th = 0;
    for (int k = 0; k < 2; k++) {
        char buf[256];
        snprintf(buf, sizeof buf,
                 "layers=3 width=%d in=50 out=4 act=relu sw2=2 sb2=0 "
                 "inputs=10 param=ntk seed=5",
                 k ? 400 : 100);
        model *m = make(buf);
        ws_request rq = {.nets = 16, .seed = 9};
        ws_result *r = NULL;
        assert_int_equal(ws_run(m, &rq, &r), SS_OK);
        mean[k] = r->mean[WS_M_LAMBDA];
        se[k] = r->sd[WS_M_LAMBDA] / 4.0;
        double d1 = ntk_d1(m);
        if (k)
            assert_close(d1, th, 1e-12, 0); /* no M in the prediction */
        th = d1;
        printf("NTK M=%d: m_lambda %.5g (se %.3g), mean-field d1 %.5g, "
               "theory column %.5g\n",
               k ? 400 : 100, mean[k], se[k], d1, r->theory[WS_M_LAMBDA]);
        assert_true(fabs(mean[k] - d1) < 3 * se[k] + 0.02 * d1);
        /* the theory column: d1 at q0 = 1, the inputs' norm aside */
        assert_true(fabs(r->theory[WS_M_LAMBDA] - 9.0) < 1e-9);
        ws_result_free(r);
        model_free(m);
    }
    assert_true(fabs(mean[0] - mean[1]) <
                3 * sqrt(se[0] * se[0] + se[1] * se[1]) + 0.02 * mean[1]);
}

/* lambda_max of the NTK grows with T: about d1 + (T - 1) d2 (C-fold; the
 * block model), so from T = 10 to T = 40 by (d1 + 39 d2) / (d1 + 9 d2).
 * The inputs of T = 10 are the first ten of T = 40 (the model draws them
 * row by row). The top-C mean follows the block model within the noise
 * of the off-diagonal entries, O(sqrt(T / M)) relatively (measured +1%
 * at M = 400): the ratio is checked to 10%. The FIM of the standard
 * parameterisation, (d1 + (T - 1) d2) / T = d2 + (d1 - d2) / T, instead
 * falls towards d2: its lambda_max decreases, by the block model's ratio
 * (0.86 here) to 10%. */
static void test_ntk_inputs(void **st)
{
    (void)st;
    double top[2], fim[2], th[2], thf[2];
    for (int k = 0; k < 2; k++) {
        for (int p = 0; p < 2; p++) {
            char buf[256];
            snprintf(buf, sizeof buf,
                     "layers=3 width=400 in=100 out=2 act=relu sw2=2 sb2=0 "
                     "inputs=%d param=%s seed=5",
                     k ? 40 : 10, p ? "standard" : "ntk");
            model *m = make(buf);
            ws_request rq = {.nets = 4, .seed = 2};
            ws_result *r = NULL;
            assert_int_equal(ws_run(m, &rq, &r), SS_OK);
            if (p) {
                fim[k] = r->mean[WS_LAMBDA_MAX];
                thf[k] = r->theory[WS_LAMBDA_MAX];
            } else {
                top[k] = r->mean[WS_TOP_C_MEAN];
                th[k] = r->theory[WS_TOP_C_MEAN];
            }
            ws_result_free(r);
            model_free(m);
        }
    }
    printf("NTK top-C mean: T=10 %.5g (block %.5g), T=40 %.5g (block "
           "%.5g); FIM lambda_max %.5g, %.5g\n",
           top[0], th[0], top[1], th[1], fim[0], fim[1]);
    assert_true(top[1] / top[0] > 2.0);
    assert_close(top[1] / top[0], th[1] / th[0], 0.10, 0);
    assert_true(fim[1] < fim[0]);
    assert_close(fim[1] / fim[0], thf[1] / thf[0], 0.10, 0);
}

/* ---- centre=output -------------------------------------------------------- */

static void test_centre_explicit(void **st)
{
    (void)st;
    ws_variant v = {1, 0, 0};
    check_explicit("layers=3 width=5 in=3 out=2 act=tanh sw2=1.5 sb2=0.2 "
                   "inputs=4 seed=1",
                   &v);
    check_explicit("layers=2 width=6 in=3 out=3 act=relu sw2=2 sb2=0.1 "
                   "inputs=5 seed=2",
                   &v);
    /* H has rank T - 1: C (T - 1) non-zero eigenvalues */
    model *m = make("layers=2 width=6 in=3 out=3 act=relu sw2=2 sb2=0.1 "
                    "inputs=5 seed=2");
    double *theta = malloc(m->P * sizeof *theta), s[WS_NSTAT];
    ws_draw(m, 7, 1, theta);
    assert_int_equal(ws_stats_v(m, &v, theta, s, NULL), SS_OK);
    assert_true(s[WS_ZEROS] == (double)(m->P - 3 * 4));
    free(theta);
    model_free(m);
}

/* The mean subtraction removes the outliers: on the network where the
 * plain FIM has its C outliers (about d2 + d1/T, here ~150), the centred
 * one has none, and its lambda_max is at the bulk's scale: below 5 times
 * its bulk centre (a bulk of relative spread O(sqrt(T / M)) = 0.45 here:
 * measured 2.9) and below a fifth of the plain lambda_max (measured 1/7).
 * Its m_lambda follows the block model, C (T - 1) (d1 - d2) / (T P),
 * within 3 standard errors + 2% (as the plain m_lambda in
 * test_spectrum_wide.c). */
static void test_centre_outliers(void **st)
{
    (void)st;
    model *m = make("layers=3 width=200 in=100 out=5 act=relu sw2=2 sb2=0 "
                    "inputs=40 seed=1");
    ws_request rq = {.nets = 6, .seed = 4};
    ws_result *a = NULL, *b = NULL;
    assert_int_equal(ws_run(m, &rq, &a), SS_OK);
    rq.v.centre = 1;
    assert_int_equal(ws_run(m, &rq, &b), SS_OK);
    printf("plain: lambda_max %.5g, outliers %g; centred: lambda_max %.5g, "
           "bulk %.5g, outliers %g, m_lambda %.5g / %.5g\n",
           a->mean[WS_LAMBDA_MAX], a->mean[WS_OUTLIERS],
           b->mean[WS_LAMBDA_MAX], b->mean[WS_BULK], b->mean[WS_OUTLIERS],
           b->mean[WS_M_LAMBDA], b->theory[WS_M_LAMBDA]);
    for (size_t j = 0; j < 6; j++) {
        const double *sa = a->stat + j * WS_NSTAT, *sb = b->stat + j * WS_NSTAT;
        assert_true(sa[WS_OUTLIERS] == 5);
        assert_true(sb[WS_OUTLIERS] == 0);
        assert_true(sb[WS_LAMBDA_MAX] < 5 * sb[WS_BULK]);
        assert_true(sb[WS_LAMBDA_MAX] < 0.2 * sa[WS_LAMBDA_MAX]);
        assert_true(sb[WS_ZEROS] == (double)(m->P - 5 * 39));
    }
    assert_true(b->theory[WS_OUTLIERS] == 0 && a->theory[WS_OUTLIERS] == 5);
    double se = b->sd[WS_M_LAMBDA] / sqrt(6.0), th = b->theory[WS_M_LAMBDA];
    assert_true(fabs(b->mean[WS_M_LAMBDA] - th) < 3 * se + 0.02 * th);
    ws_result_free(a);
    ws_result_free(b);
    model_free(m);
}

/* ---- metric= -------------------------------------------------------------- */

/* A = df/dh^layer (T C x M_l) from the bias gradients: d f / d h^l_j =
 * sum_i W^{l+1}_ij d f / d b^{l+1}_i (W the effective weight). */
static gsl_matrix *metric_rows(const model *m, const double *theta,
                               size_t layer, gsl_matrix *F)
{
    const dnn_layout *y = dnn_layout_of(m);
    size_t T = y->T, C = y->C, P = m->P, Ml = y->M[layer];
    size_t Mn = y->M[layer + 1];
    gsl_matrix *J = gsl_matrix_alloc(T * C, P), *A = gsl_matrix_calloc(T * C, Ml);
    jacobian(m, theta, J, F);
    double a = y->ntk ? y->s[layer + 1] : 1.0;
    for (size_t r = 0; r < T * C; r++)
        for (size_t j = 0; j < Ml; j++) {
            double s = 0;
            for (size_t i = 0; i < Mn; i++)
                s += a * theta[y->woff[layer + 1] + i * Ml + j] *
                     gsl_matrix_get(J, r, y->boff[layer + 1] + i);
            gsl_matrix_set(A, r, j, s);
        }
    gsl_matrix_free(J);
    return A;
}

/* The same rows by central differences of the outputs: h^l_j moved by
 * +-h is u^{l+1} moved by +-h W^{l+1}_{:,j}, i.e. b^{l+1} moved along it
 * (the input: x_j itself). Error O(h^2 f''') + O(eps / h): about 1e-10
 * relative at h = 1e-5 for a smooth (tanh) network. */
static gsl_matrix *metric_rows_fd(const model *m, const double *theta,
                                  size_t layer)
{
    const dnn_layout *y = dnn_layout_of(m);
    const gsl_matrix *X = dnn_inputs(m);
    size_t T = y->T, C = y->C, M0 = y->M[0], Ml = y->M[layer];
    size_t Mn = y->M[layer + 1];
    double h = 1e-5, a = y->ntk ? y->s[layer + 1] : 1.0;
    double *th = malloc(m->P * sizeof *th), *x = malloc(M0 * sizeof *x);
    double fp[64], fm[64];
    gsl_matrix *A = gsl_matrix_alloc(T * C, Ml);
    for (size_t t = 0; t < T; t++)
        for (size_t j = 0; j < Ml; j++) {
            for (int sgn = -1; sgn <= 1; sgn += 2) {
                memcpy(th, theta, m->P * sizeof *th);
                memcpy(x, X->data + t * X->tda, M0 * sizeof *x);
                if (layer == 0)
                    x[j] += sgn * h;
                else
                    for (size_t i = 0; i < Mn; i++)
                        th[y->boff[layer + 1] + i] +=
                            sgn * h * a * theta[y->woff[layer + 1] + i * Ml + j];
                assert_int_equal(dnn_vjp(m, th, x, NULL, sgn > 0 ? fp : fm,
                                         NULL),
                                 SS_OK);
            }
            for (size_t c = 0; c < C; c++)
                gsl_matrix_set(A, t * C + c, j, (fp[c] - fm[c]) / (2 * h));
        }
    free(th);
    free(x);
    return A;
}

static void check_metric(const char *text, size_t layer, int fd)
{
    model *m = make(text);
    const dnn_layout *y = dnn_layout_of(m);
    ws_variant v = {0, 1, layer};
    double *theta = malloc(m->P * sizeof *theta);
    for (size_t j = 0; j < 2; j++) {
        ws_draw(m, 5, j, theta);
        gsl_matrix *F = gsl_matrix_alloc(y->T, y->C);
        gsl_matrix *A = metric_rows(m, theta, layer, F);
        gsl_matrix *Gw = pullback(y, A, F), *G = NULL;
        assert_int_equal(dnn_metric(m, theta, layer, &G), SS_OK);
        double gmax = 0;
        for (size_t i = 0; i < G->size1 * G->size2; i++)
            gmax = fmax(gmax, fabs(Gw->data[i]));
        for (size_t i = 0; i < G->size1; i++)
            for (size_t k = 0; k < G->size2; k++)
                assert_close(gsl_matrix_get(G, i, k), gsl_matrix_get(Gw, i, k),
                             0, 1e-12 * gmax);
        if (fd) {
            gsl_matrix *Afd = metric_rows_fd(m, theta, layer);
            double amax = 0;
            for (size_t i = 0; i < A->size1 * A->size2; i++)
                amax = fmax(amax, fabs(A->data[i]));
            for (size_t i = 0; i < A->size1 * A->size2; i++)
                assert_close(Afd->data[i], A->data[i], 0, 1e-7 * amax);
            gsl_matrix_free(Afd);
        }
        /* the statistics against the explicit G's eigenvalues */
        double got[WS_NSTAT], want[WS_NSTAT];
        assert_int_equal(ws_stats_v(m, &v, theta, got, NULL), SS_OK);
        double *e = eigen(Gw);
        stats_of(e, y->M[layer], y->C, want);
        compare(got, want, text);
        free(e);
        gsl_matrix_free(G);
        gsl_matrix_free(Gw);
        gsl_matrix_free(A);
        gsl_matrix_free(F);
    }
    free(theta);
    model_free(m);
}

static void test_metric_explicit(void **st)
{
    (void)st;
    const char *tanh3 = "layers=3 width=5 in=4 out=2 act=tanh sw2=1.5 "
                        "sb2=0.2 inputs=3 seed=1";
    check_metric(tanh3, 0, 1);
    check_metric(tanh3, 1, 1);
    check_metric(tanh3, 2, 1);
    check_metric("layers=3 width=5 in=4 out=3 act=tanh sw2=1.5 sb2=0.2 "
                 "output=softmax inputs=3 seed=2",
                 1, 1);
    check_metric("layers=3 width=5 in=4 out=2 act=tanh sw2=1.5 sb2=0.2 "
                 "param=ntk inputs=3 seed=3",
                 0, 1);
    /* relu: finite differences would straddle kinks; backprop route only */
    check_metric("layers=2 width=7 in=6 out=2 act=relu sw2=2 sb2=0.1 "
                 "inputs=4 seed=4",
                 0, 0);
    check_metric("layers=1 in=6 out=2 act=relu inputs=4 seed=4", 0, 0);
}

/* Mean field: tr G = C sw2 qt^{l+1}_1 (the squared norm of W^{l+1}^T
 * delta^{l+1} summed over the M_l units), so m_lambda = C sw2 qt^{l+1}_1 /
 * M_l; with M_l >= T C the block model gives lambda_max too. At M = 400,
 * T = 10, C = 2, relu (qt = 1 on every layer at sw2 = 2), over 24
 * networks: m_lambda within 3 standard errors + 3% (the inputs' norms do
 * not enter: qt does not depend on them for relu), the top-C mean within
 * 3 standard errors + 10% (the noise of the off-diagonal entries, as for
 * the FIM). Every layer's trace carries the last layer's |W^L|^2 / C
 * sw2, chi-square with C M_{L-1} = 800 degrees of freedom, so a
 * network's m_lambda has a relative sd of at least sqrt(2 / 800) = 5%:
 * the standard error is taken as the larger of that and the sample's
 * (6 networks can show a sample sd of half the true one). The last hidden layer's metric is W^L^T W^L at every input:
 * rank C and eigenvalues those of W^L W^L^T exactly. */
static void test_metric_theory(void **st)
{
    (void)st;
    model *m = make("layers=3 width=400 in=400 out=2 act=relu sw2=2 sb2=0 "
                    "inputs=10 seed=1");
    for (size_t layer = 0; layer < 3; layer++) {
        ws_request rq = {.nets = 24, .seed = 4, .v = {0, 1, layer}};
        ws_result *r = NULL;
        assert_int_equal(ws_run(m, &rq, &r), SS_OK);
        double k = sqrt(24.0);
        printf("metric layer %zu: m_lambda %.5g / %.5g, top-C %.5g / %.5g, "
               "zeros %g / %g\n",
               layer, r->mean[WS_M_LAMBDA], r->theory[WS_M_LAMBDA],
               r->mean[WS_TOP_C_MEAN], r->theory[WS_TOP_C_MEAN],
               r->mean[WS_ZEROS], r->theory[WS_ZEROS]);
        assert_close(r->theory[WS_M_LAMBDA], 2.0 * 2.0 / 400.0, 1e-9, 0);
        double th = r->theory[WS_M_LAMBDA];
        double se = fmax(r->sd[WS_M_LAMBDA], 0.05 * th) / k;
        assert_true(fabs(r->mean[WS_M_LAMBDA] - th) < 3 * se + 0.03 * th);
        se = fmax(r->sd[WS_TOP_C_MEAN], 0.05 * r->theory[WS_TOP_C_MEAN]) / k;
        th = r->theory[WS_TOP_C_MEAN];
        assert_true(fabs(r->mean[WS_TOP_C_MEAN] - th) < 3 * se + 0.10 * th);
        assert_true(r->mean[WS_ZEROS] == r->theory[WS_ZEROS]);
        ws_result_free(r);
    }
    /* the last hidden layer exactly */
    double *theta = malloc(m->P * sizeof *theta), s[WS_NSTAT], ev[400];
    ws_draw(m, 4, 0, theta);
    ws_variant v = {0, 1, 2};
    assert_int_equal(ws_stats_v(m, &v, theta, s, ev), SS_OK);
    const dnn_layout *y = dnn_layout_of(m);
    gsl_matrix_view W = gsl_matrix_view_array(theta + y->woff[3], 2, 400);
    gsl_matrix *WW = gsl_matrix_alloc(2, 2);
    gsl_blas_dgemm(CblasNoTrans, CblasTrans, 1.0, &W.matrix, &W.matrix, 0.0,
                   WW);
    double *e = eigen(WW);
    assert_close(ev[0], e[1], 1e-12, 0);
    assert_close(ev[1], e[0], 1e-12, 0);
    assert_true(s[WS_ZEROS] == 398);
    free(e);
    gsl_matrix_free(WW);
    free(theta);
    model_free(m);
}

/* ---- the block model and the refusals ------------------------------------- */

/* The plain FIM's block model is mf_predict_finite's. */
static void test_block_model(void **st)
{
    (void)st;
    model *m = make("layers=3 width=30 in=20 out=3 act=relu sw2=2 sb2=0.1 "
                    "inputs=8 seed=1");
    ws_request rq = {.nets = 1, .seed = 1};
    ws_result *r = NULL;
    assert_int_equal(ws_run(m, &rq, &r), SS_OK);
    double th[WS_NSTAT];
    char note[320];
    ws_variant v = {0, 0, 0};
    assert_int_equal(wv_theory(m, &v, &r->mf, th, NULL, note, sizeof note), 1);
    for (int i = 0; i < WS_NSTAT; i++)
        if (i != WS_BULK && i != WS_OUTLIERS)
            assert_close_msg(th[i], r->theory[i], 1e-12, 0, ws_stat_name(i));
    ws_result_free(r);
    model_free(m);
}

static void test_refusals(void **st)
{
    (void)st;
    ws_request rq = {.nets = 1, .seed = 1};
    ws_result *r = NULL;
    model *m = make("layers=2 width=3 in=2 out=2 output=softmax inputs=3");
    rq.v.centre = 1;
    assert_int_equal(ws_run(m, &rq, &r), SS_ERR_USAGE);
    assert_non_null(strstr(ss_last_error()->msg, "centre=output"));
    model_free(m);
    m = make("layers=3 width=3 in=2 out=2 inputs=3");
    rq.v.metric = 1; /* with centre */
    assert_int_equal(ws_run(m, &rq, &r), SS_ERR_USAGE);
    rq.v.centre = 0;
    rq.v.metric_layer = 3;
    assert_int_equal(ws_run(m, &rq, &r), SS_ERR_RANGE);
    assert_non_null(strstr(ss_last_error()->msg, "h1..h2"));
    rq.v.metric_layer = 2;
    assert_int_equal(ws_run(m, &rq, &r), SS_OK);
    ws_result_free(r);
    model_free(m);
    ss_clear_error();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_softmax_explicit),
        cmocka_unit_test(test_softmax_outliers),
        cmocka_unit_test(test_ntk_explicit),
        cmocka_unit_test(test_ntk_width),
        cmocka_unit_test(test_ntk_inputs),
        cmocka_unit_test(test_centre_explicit),
        cmocka_unit_test(test_centre_outliers),
        cmocka_unit_test(test_metric_explicit),
        cmocka_unit_test(test_metric_theory),
        cmocka_unit_test(test_block_model),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

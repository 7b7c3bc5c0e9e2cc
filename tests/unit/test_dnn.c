/* Unit tests of the dnn family (model/dnn.c, model/dnn_gram.c), each
 * against an independent computation:
 *   - the backprop Jacobian (dnn_vjp with r = e_c) against central finite
 *     differences of the forward pass, for every activation, both
 *     parameterisations and the softmax output;
 *   - the dual Gram's spectrum (dnn_gram, the BLAS-3 layer-by-layer
 *     assembly) against the eigenvalues of the explicitly formed P x P
 *     FIM (1/T) sum_t J_t^T Q_t J_t, Q_t = I or diag(g) - g g^T, built
 *     here from the per-output backward passes: the non-zero parts to
 *     1e-10 of the largest and the count of zeros P - rank, with all and
 *     with some parameters free; through fim_compute / spec_analyze too;
 *   - the weights' sample variance against sw2/M_{l-1} (chi-square);
 *   - P = 506010 for the example, whose dense FIM is refused. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "fim/fim.h"
#include "fim/spectrum.h"
#include "model/dnn.h"
#include "model/model.h"
#include "testutil.h"

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_sort_vector.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A dnn from "layers=2 act=tanh ..." (words for enum values). */
static model *make(const char *text)
{
    return tu_model(&model_dnn_type, text);
}

static const char *const acts[] = {"relu", "tanh", "erf", "linear"};
static const char *const params[] = {"standard", "ntk"};
static const char *const outputs[] = {"linear", "softmax"};

/* ---- Jacobian vs finite differences ------------------------------------- */

static void test_jacobian_fd(void **state)
{
    (void)state;
    for (size_t a = 0; a < 4; a++)
        for (size_t p = 0; p < 2; p++)
            for (size_t o = 0; o < 2; o++) {
                char txt[256];
                snprintf(txt, sizeof txt,
                         "layers=3 widths=[4,3] in=3 out=3 act=%s param=%s "
                         "output=%s sw2=1.5 sb2=0.3 inputs=2 seed=7",
                         acts[a], params[p], outputs[o]);
                model *m = make(txt);
                const dnn_layout *y = dnn_layout_of(m);
                size_t P = m->P, C = y->C;
                assert_int_equal(P, 4 * 3 + 4 + 3 * 4 + 3 + 3 * 3 + 3);
                const double *x = gsl_matrix_const_ptr(dnn_inputs(m), 1, 0);
                double *grad = malloc(P * sizeof *grad);
                double *th = malloc(P * sizeof *th);
                double r[3] = {0}, fp[3], fm[3];
                memcpy(th, m->theta, P * sizeof *th);
                for (size_t c = 0; c < C; c++) {
                    r[c] = 1;
                    assert_int_equal(dnn_vjp(m, m->theta, x, r, NULL, grad),
                                     SS_OK);
                    r[c] = 0;
                    for (size_t i = 0; i < P; i++) {
                        double h = 1e-6;
                        th[i] = m->theta[i] + h;
                        dnn_vjp(m, th, x, r, fp, NULL);
                        th[i] = m->theta[i] - h;
                        dnn_vjp(m, th, x, r, fm, NULL);
                        th[i] = m->theta[i];
                        double fd = (fp[c] - fm[c]) / (2 * h);
                        if (!tu_close(grad[i], fd, 1e-6, 1e-8))
                            fail_msg("%s: d f_%zu / d %s = %.12g, finite "
                                     "differences %.12g",
                                     txt, c, MODEL_PNAME(m, i), grad[i], fd);
                    }
                }
                free(grad);
                free(th);
                model_free(m);
            }
}

/* ---- the dual Gram against the explicit P x P FIM ------------------------ */

/* F over the free parameters (k x k), from J_t rows and Q_t formed here. */
static gsl_matrix *explicit_fim(const model *m, size_t **idx_out, size_t *k)
{
    const dnn_layout *y = dnn_layout_of(m);
    size_t P = m->P, C = y->C, T = y->T;
    size_t *idx = malloc(P * sizeof *idx);
    *k = model_free_indices(m, idx);
    gsl_matrix *F = gsl_matrix_calloc(*k, *k);
    double *J = malloc(C * P * sizeof *J), *f = malloc(C * sizeof *f);
    double *e = calloc(C, sizeof *e), *g = malloc(C * sizeof *g);
    for (size_t t = 0; t < T; t++) {
        const double *x = gsl_matrix_const_ptr(dnn_inputs(m), t, 0);
        for (size_t c = 0; c < C; c++) {
            e[c] = 1;
            dnn_vjp(m, m->theta, x, e, f, J + c * P);
            e[c] = 0;
        }
        double z = 0;
        for (size_t c = 0; c < C; c++)
            z += exp(f[c]);
        for (size_t c = 0; c < C; c++)
            g[c] = exp(f[c]) / z;
        for (size_t a = 0; a < *k; a++)
            for (size_t b = 0; b < *k; b++) {
                double s = 0;
                for (size_t c = 0; c < C; c++)
                    for (size_t d = 0; d < C; d++) {
                        double q = y->softmax
                                       ? (c == d ? g[c] : 0) - g[c] * g[d]
                                       : (double)(c == d);
                        s += J[c * P + idx[a]] * q * J[d * P + idx[b]];
                    }
                *gsl_matrix_ptr(F, a, b) += s / (double)T;
            }
    }
    free(J);
    free(f);
    free(e);
    free(g);
    *idx_out = idx;
    return F;
}

/* Eigenvalues of a symmetric matrix, descending (A is copied). */
static gsl_vector *eigs(const gsl_matrix *A)
{
    size_t n = A->size1;
    gsl_matrix *B = gsl_matrix_alloc(n, n);
    gsl_matrix_memcpy(B, A);
    gsl_vector *ev = gsl_vector_alloc(n);
    gsl_eigen_symm_workspace *w = gsl_eigen_symm_alloc(n);
    gsl_eigen_symm(B, ev, w);
    gsl_eigen_symm_free(w);
    gsl_matrix_free(B);
    gsl_sort_vector(ev);
    gsl_vector_reverse(ev);
    return ev;
}

static size_t rank_of(const gsl_vector *ev, double tol)
{
    double mx = gsl_vector_get(ev, 0);
    size_t r = 0;
    for (size_t i = 0; i < ev->size; i++)
        r += gsl_vector_get(ev, i) > tol * mx;
    return r;
}

static void compare_spectra(const model *m, const char *what)
{
    size_t k, *idx;
    gsl_matrix *F = explicit_fim(m, &idx, &k);
    gsl_matrix *K = NULL;
    double scale = 0;
    assert_int_equal(dnn_gram(m, m->theta, &K, &scale), SS_OK);
    const dnn_layout *y = dnn_layout_of(m);
    assert_int_equal(K->size1, y->T * y->C);
    assert_true(scale == (double)y->T);
    gsl_vector *ef = eigs(F), *ek = eigs(K);
    double mx = gsl_vector_get(ef, 0);
    size_t N = K->size1, nz = N < k ? N : k;
    for (size_t i = 0; i < nz; i++)
        if (fabs(gsl_vector_get(ek, i) - gsl_vector_get(ef, i)) > 1e-10 * mx)
            fail_msg("%s: eigenvalue %zu: Gram %.15g, explicit FIM %.15g",
                     what, i + 1, gsl_vector_get(ek, i),
                     gsl_vector_get(ef, i));
    for (size_t i = nz; i < k; i++) /* the rest of F is 0 */
        assert_true(fabs(gsl_vector_get(ef, i)) <= 1e-10 * mx);
    size_t rf = rank_of(ef, 1e-9), rk = rank_of(ek, 1e-9);
    if (rf != rk)
        fail_msg("%s: rank %zu from the Gram, %zu from the explicit FIM",
                 what, rk, rf);
    /* through the FIM layer: a Gram form whose spectrum has the same rank
     * and k - N exact zeros */
    fim_request rq = {0};
    rq.method = FIM_EXACT;
    rq.form = FIM_WANT_GRAM;
    fim_result *fr = NULL;
    spec_result *sp = NULL;
    assert_int_equal(fim_compute(m, &rq, &fr), SS_OK);
    assert_int_equal(fr->form, FIM_FORM_GRAM);
    assert_int_equal(spec_analyze(fr, 1e-9, &sp), SS_OK);
    assert_int_equal(sp->rank, rf);
    assert_int_equal(sp->nzero, k > N ? k - N : 0);
    assert_close(gsl_vector_get(sp->eval, 0), mx, 1e-10, 0);
    if (y->softmax) /* Q_t 1 = 0: rank at most T (C - 1) */
        assert_true(rf <= y->T * (y->C - 1));
    spec_result_free(sp);
    fim_result_free(fr);
    gsl_vector_free(ef);
    gsl_vector_free(ek);
    gsl_matrix_free(F);
    gsl_matrix_free(K);
    free(idx);
}

static void test_gram_vs_explicit(void **state)
{
    (void)state;
    for (size_t a = 0; a < 4; a++)
        for (size_t p = 0; p < 2; p++)
            for (size_t o = 0; o < 2; o++)
                for (size_t T = 2; T <= 12; T += 10) {
                    char txt[256];
                    snprintf(txt, sizeof txt,
                             "layers=3 widths=[4,3] in=3 out=3 act=%s "
                             "param=%s output=%s sw2=1.7 sb2=0.2 "
                             "inputs=%zu seed=3",
                             acts[a], params[p], outputs[o], T);
                    model *m = make(txt);
                    compare_spectra(m, txt);
                    /* some fixed: one weight, the whole of b2 and most
                     * of W3 (both correction routes of dnn_gram) */
                    int i = model_param_index(m, "W1_2_3");
                    assert_true(i >= 0);
                    m->is_free[i] = 0;
                    const dnn_layout *y = dnn_layout_of(m);
                    for (size_t q = 0; q < y->M[2]; q++)
                        m->is_free[y->boff[2] + q] = 0;
                    for (size_t q = 1; q < y->M[3] * y->M[2]; q++)
                        m->is_free[y->woff[3] + q] = 0;
                    compare_spectra(m, txt);
                    model_free(m);
                }
}

/* A centred network (odd phi, sb2 = 0) is as exact as any other. */
static void test_centred(void **state)
{
    (void)state;
    model *m = make("layers=2 width=5 in=4 out=2 act=erf sw2=1 sb2=0 "
                    "inputs=6 seed=11");
    compare_spectra(m, "centred erf");
    model_free(m);
}

/* ---- the weights' distribution --------------------------------------------- */

/* With known mean 0, n sum w^2 / sigma^2 ~ chi-square(n): mean n, sd
 * sqrt(2n); 5 sd either side. */
static void check_var(const model *m, size_t off, size_t n, double var)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += m->theta[off + i] * m->theta[off + i];
    double z = (s / var - (double)n) / sqrt(2.0 * (double)n);
    if (fabs(z) > 5)
        fail_msg("sample variance %.6g against %.6g (z = %.2f)",
                 s / (double)n, var, z);
}

static void test_weight_variance(void **state)
{
    (void)state;
    model *m = make("layers=3 widths=[200,50] in=100 out=4 sw2=2 sb2=0.5 "
                    "inputs=3 seed=5");
    const dnn_layout *y = dnn_layout_of(m);
    for (size_t l = 1; l <= 3; l++) {
        check_var(m, y->woff[l], y->M[l] * y->M[l - 1],
                  2.0 / (double)y->M[l - 1]);
    }
    check_var(m, y->boff[1], y->M[1], 0.5);
    model_free(m);
    m = make("layers=2 width=300 in=100 sw2=2 param=ntk seed=5");
    y = dnn_layout_of(m);
    check_var(m, y->woff[1], 300 * 100, 1.0); /* omega ~ N(0, 1) */
    model_free(m);
    /* the inputs are standard normal */
    m = make("layers=1 in=50 inputs=400 seed=2");
    const gsl_matrix *X = dnn_inputs(m);
    double s = 0;
    for (size_t t = 0; t < 400; t++)
        for (size_t j = 0; j < 50; j++)
            s += gsl_matrix_get(X, t, j) * gsl_matrix_get(X, t, j);
    assert_true(fabs((s - 20000.0) / sqrt(40000.0)) < 5);
    model_free(m);
}

/* ---- the example ----------------------------------------------------- */

static void test_big(void **state)
{
    (void)state;
    model *m = make("layers=3 width=500 in=500 out=10 act=relu sw2=2 sb2=0 "
                    "inputs=100 seed=1");
    assert_int_equal(m->P, 506010);
    assert_true(model_layout_bytes(m) < 65536);
    fim_request rq = {0};
    rq.method = FIM_EXACT;
    rq.form = FIM_WANT_DENSE;
    fim_result *f = NULL;
    assert_int_equal(fim_compute(m, &rq, &f), SS_ERR_LIMIT);
    assert_non_null(strstr(ss_last_error()->msg, "1000 x 1000 dual"));
    assert_null(f);
    model_free(m);
    ss_clear_error();
}

static void test_errors(void **state)
{
    (void)state;
    model *m = NULL;
    model_arg a[2] = {{.key = "layers", .num = (double[]){3}, .n = 1},
                      {.key = "widths", .num = (double[]){4}, .n = 1,
                       .is_vector = 1}};
    assert_int_equal(model_alloc(&model_dnn_type, a, 2, &m), SS_ERR_USAGE);
    assert_non_null(strstr(ss_last_error()->msg, "widths= gives 1 hidden "
                                                 "width but layers=3"));
    assert_null(m);
    model_arg b[2] = {{.key = "output", .str = "softmax"},
                      {.key = "out", .num = (double[]){1}, .n = 1}};
    assert_int_equal(model_alloc(&model_dnn_type, b, 2, &m), SS_ERR_USAGE);
    assert_non_null(strstr(ss_last_error()->msg, "at least 2 classes"));
    ss_clear_error();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jacobian_fd),
        cmocka_unit_test(test_gram_vs_explicit),
        cmocka_unit_test(test_centred),
        cmocka_unit_test(test_weight_variance),
        cmocka_unit_test(test_big),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests of the FIM approximations (fim/fim_approx.c), each against an
 * independent computation:
 *  - the exact FIM equals (1/T) sum_t J_t^T J_t built here from backprop
 *    Jacobians (dnn_vjp), and diag / block keep exactly its diagonal / its
 *    layer blocks (1e-12);
 *  - K-FAC's last layer equals the exact block (regression: the output
 *    deltas are e_c, so the block is I (x) E[a a^T]) to 1e-10, and K-FAC of
 *    a one-layer network is the exact FIM;
 *  - a hidden layer's K-FAC equals G (x) A with the factors built here from
 *    the bias columns of the Jacobian and W's columns;
 *  - mlp2's K-FAC: its out block is the exact (w1, w2) block, its in-layer
 *    factor E[g'(J1 x) g'(J2 x)] equals adaptive quadrature;
 *  - the empirical Fisher with labels from the model converges to the
 *    exact FIM within 3 standard deviations of its Frobenius error, the
 *    variance derived from Isserlis' theorem; with a teacher, to F plus the
 *    teacher's bias term;
 *  - the errors of a row (eigenvalues, quadratic forms, trace) recomputed
 *    here for diag, whose eigenvalues are F's sorted diagonal;
 *  - the mlp2 overlap: the exact FIM (and block, K-FAC) rank-deficient, the
 *    diagonal full rank;
 *  - refusals: P too large, another family, fixed parameters. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/rng.h"
#include "fim/fim_approx.h"
#include "model/dnn.h"
#include "model/model.h"
#include "testutil.h"

#include <gsl/gsl_blas.h>
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_sort.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static model *make(const model_type *t, const char *text)
{
    return tu_model(t, text);
}

static model *dnn(const char *text) { return make(&model_dnn_type, text); }

/* Jacobian of input t (C x P) at theta. */
static void jac(const model *m, const double *theta, size_t t, gsl_matrix *J)
{
    const dnn_layout *y = dnn_layout_of(m);
    double e[16] = {0};
    for (size_t c = 0; c < y->C; c++) {
        e[c] = 1;
        assert_int_equal(dnn_vjp(m, theta, gsl_matrix_const_ptr(dnn_inputs(m),
                                                                t, 0),
                                 e, NULL, gsl_matrix_ptr(J, c, 0)),
                         SS_OK);
        e[c] = 0;
    }
}

/* F = (1/T) sum_t J_t^T J_t (regression). */
static gsl_matrix *fim_by_jacobians(const model *m)
{
    const dnn_layout *y = dnn_layout_of(m);
    gsl_matrix *F = gsl_matrix_calloc(m->P, m->P), *J = gsl_matrix_alloc(y->C, m->P);
    for (size_t t = 0; t < y->T; t++) {
        jac(m, m->theta, t, J);
        gsl_blas_dgemm(CblasTrans, CblasNoTrans, 1.0 / (double)y->T, J, J,
                       1.0, F);
    }
    gsl_matrix_free(J);
    return F;
}

static double maxabs(const gsl_matrix *A)
{
    double mx = 0;
    for (size_t i = 0; i < A->size1; i++)
        for (size_t j = 0; j < A->size2; j++)
            mx = fmax(mx, fabs(gsl_matrix_get(A, i, j)));
    return mx;
}

static size_t layer_of(const dnn_layout *y, size_t p)
{
    for (size_t l = 1; l <= y->L; l++)
        if (p < y->boff[l] + y->M[l])
            return l;
    return 0;
}

static const char *const nets[] = {
    "layers=2 width=4 in=3 out=2 act=tanh sw2=1.5 sb2=0.1 inputs=6 seed=3",
    "layers=3 width=3 in=2 out=2 act=relu sw2=2 sb2=0.2 inputs=5 seed=5",
    "layers=2 width=3 in=2 out=3 act=erf sw2=1 sb2=0.3 inputs=4 seed=7 param=ntk",
};

static void test_diag_block_exact(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof nets / sizeof *nets; k++) {
        model *m = dnn(nets[k]);
        const dnn_layout *y = dnn_layout_of(m);
        size_t P = m->P;
        gsl_matrix *Fj = fim_by_jacobians(m), *F = gsl_matrix_alloc(P, P),
                   *D = gsl_matrix_alloc(P, P), *B = gsl_matrix_alloc(P, P);
        assert_int_equal(fa_exact(m, F), SS_OK);
        double sc = maxabs(Fj);
        for (size_t i = 0; i < P; i++)
            for (size_t j = 0; j < P; j++)
                assert_close(gsl_matrix_get(F, i, j), gsl_matrix_get(Fj, i, j),
                             0, 1e-12 * sc);
        gsl_matrix_memcpy(D, F);
        fa_diag(D);
        gsl_matrix_memcpy(B, F);
        assert_int_equal(fa_block(m, B), SS_OK);
        for (size_t i = 0; i < P; i++)
            for (size_t j = 0; j < P; j++) {
                double f = gsl_matrix_get(Fj, i, j);
                assert_close(gsl_matrix_get(D, i, j), i == j ? f : 0, 0,
                             1e-12 * sc);
                assert_close(gsl_matrix_get(B, i, j),
                             layer_of(y, i) == layer_of(y, j) ? f : 0, 0,
                             1e-12 * sc);
            }
        gsl_matrix_free(Fj), gsl_matrix_free(F), gsl_matrix_free(D);
        gsl_matrix_free(B);
        model_free(m);
    }
}

static void test_kfac_last_layer(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof nets / sizeof *nets; k++) {
        model *m = dnn(nets[k]);
        const dnn_layout *y = dnn_layout_of(m);
        size_t P = m->P, L = y->L;
        gsl_matrix *F = fim_by_jacobians(m), *K = gsl_matrix_alloc(P, P);
        assert_int_equal(fa_kfac(m, K), SS_OK);
        double sc = maxabs(F);
        for (size_t i = y->woff[L]; i < P; i++)
            for (size_t j = y->woff[L]; j < P; j++)
                assert_close(gsl_matrix_get(K, i, j), gsl_matrix_get(F, i, j),
                             0, 1e-10 * sc);
        /* and nothing between layers */
        for (size_t i = 0; i < P; i++)
            for (size_t j = 0; j < P; j++)
                if (layer_of(y, i) != layer_of(y, j))
                    assert_true(gsl_matrix_get(K, i, j) == 0);
        gsl_matrix_free(F), gsl_matrix_free(K);
        model_free(m);
    }
}

static void test_kfac_one_layer(void **state)
{
    (void)state;
    model *m = dnn("layers=1 in=4 out=3 act=linear sw2=1 sb2=0.5 inputs=7 "
                   "seed=11");
    size_t P = m->P;
    gsl_matrix *F = fim_by_jacobians(m), *K = gsl_matrix_alloc(P, P);
    assert_int_equal(fa_kfac(m, K), SS_OK);
    double sc = maxabs(F);
    for (size_t i = 0; i < P; i++)
        for (size_t j = 0; j < P; j++)
            assert_close(gsl_matrix_get(K, i, j), gsl_matrix_get(F, i, j), 0,
                         1e-10 * sc);
    gsl_matrix_free(F), gsl_matrix_free(K);
    model_free(m);
}

/* Layer 1 of a two-layer net: G = (1/T) sum_t sum_c d_c d_c^T from the
 * bias columns, A = (1/T) sum_t (x_t, 1)(x_t, 1)^T from the inputs. */
static void test_kfac_hidden_factors(void **state)
{
    (void)state;
    model *m = dnn(nets[0]);
    const dnn_layout *y = dnn_layout_of(m);
    const gsl_matrix *X = dnn_inputs(m);
    size_t P = m->P, M1 = y->M[1], M0 = y->M[0], T = y->T, C = y->C;
    gsl_matrix *J = gsl_matrix_alloc(C, P), *K = gsl_matrix_alloc(P, P);
    gsl_matrix *G = gsl_matrix_calloc(M1, M1), *A = gsl_matrix_calloc(M0 + 1, M0 + 1);
    for (size_t t = 0; t < T; t++) {
        jac(m, m->theta, t, J);
        for (size_t i = 0; i < M1; i++)
            for (size_t i2 = 0; i2 < M1; i2++)
                for (size_t c = 0; c < C; c++)
                    *gsl_matrix_ptr(G, i, i2) +=
                        gsl_matrix_get(J, c, y->boff[1] + i) *
                        gsl_matrix_get(J, c, y->boff[1] + i2) / (double)T;
        for (size_t j = 0; j <= M0; j++)
            for (size_t j2 = 0; j2 <= M0; j2++) {
                double u = j < M0 ? gsl_matrix_get(X, t, j) : 1;
                double v = j2 < M0 ? gsl_matrix_get(X, t, j2) : 1;
                *gsl_matrix_ptr(A, j, j2) += u * v / (double)T;
            }
    }
    assert_int_equal(fa_kfac(m, K), SS_OK);
    double sc = maxabs(K);
    for (size_t i = 0; i < M1; i++)
        for (size_t j = 0; j < M0; j++)
            for (size_t i2 = 0; i2 < M1; i2++) {
                for (size_t j2 = 0; j2 < M0; j2++)
                    assert_close(gsl_matrix_get(K, i * M0 + j, i2 * M0 + j2),
                                 gsl_matrix_get(G, i, i2) *
                                     gsl_matrix_get(A, j, j2),
                                 0, 1e-12 * sc);
                /* weight x bias */
                assert_close(gsl_matrix_get(K, i * M0 + j, y->boff[1] + i2),
                             gsl_matrix_get(G, i, i2) *
                                 gsl_matrix_get(A, j, M0),
                             0, 1e-12 * sc);
            }
    gsl_matrix_free(J), gsl_matrix_free(K), gsl_matrix_free(G);
    gsl_matrix_free(A);
    model_free(m);
}

/* ---- mlp2 ------------------------------------------------------------------ */

typedef struct {
    double a, b;
} gp_ctx;

static double gp_integrand(double x, void *p)
{
    const gp_ctx *c = p;
    double gpa = sqrt(2 / M_PI) * exp(-0.5 * c->a * c->a * x * x);
    double gpb = sqrt(2 / M_PI) * exp(-0.5 * c->b * c->b * x * x);
    return gpa * gpb * exp(-0.5 * x * x) / sqrt(2 * M_PI);
}

static void test_kfac_mlp2(void **state)
{
    (void)state;
    model *m = make(&model_mlp2_type,
                    "d=1 sigma=0.8 w1=1.3 w2=-0.6 J1=0.9 J2=-0.4");
    gsl_matrix *F = gsl_matrix_alloc(4, 4), *K = gsl_matrix_alloc(4, 4);
    assert_int_equal(fa_exact(m, F), SS_OK);
    assert_int_equal(fa_kfac(m, K), SS_OK);
    for (size_t i = 0; i < 2; i++)
        for (size_t j = 0; j < 2; j++)
            assert_close(gsl_matrix_get(K, i, j), gsl_matrix_get(F, i, j),
                         1e-12, 0);
    /* in layer: G_ij = w_i w_j E[g'(J_i x) g'(J_j x)] / sigma^2, A = 1 */
    gsl_integration_workspace *ws = gsl_integration_workspace_alloc(200);
    double J[2] = {0.9, -0.4}, w[2] = {1.3, -0.6};
    for (size_t i = 0; i < 2; i++)
        for (size_t j = 0; j < 2; j++) {
            gp_ctx c = {J[i], J[j]};
            gsl_function fn = {gp_integrand, &c};
            double v, err;
            assert_int_equal(gsl_integration_qagi(&fn, 0, 1e-13, 200, ws, &v,
                                                  &err),
                             0);
            assert_close(gsl_matrix_get(K, 2 + i, 2 + j),
                         w[i] * w[j] * v / 0.64, 1e-10, 0);
            assert_true(gsl_matrix_get(K, i, 2 + j) == 0);
        }
    gsl_integration_workspace_free(ws);
    gsl_matrix_free(F), gsl_matrix_free(K);
    model_free(m);
    /* tanh: refused, with the reason */
    m = make(&model_mlp2_type, "d=1 act=tanh w1=1 w2=1 J1=1 J2=2");
    K = gsl_matrix_alloc(4, 4);
    assert_int_equal(fa_kfac(m, K), SS_ERR_USAGE);
    assert_non_null(strstr(ss_last_error()->msg, "act=erf"));
    ss_clear_error();
    gsl_matrix_free(K);
    model_free(m);
}

/* ---- the empirical Fisher ------------------------------------------------ */

static double frob_diff(const gsl_matrix *A, const gsl_matrix *B)
{
    double s = 0;
    for (size_t i = 0; i < A->size1; i++)
        for (size_t j = 0; j < A->size2; j++) {
            double d = gsl_matrix_get(A, i, j) - gsl_matrix_get(B, i, j);
            s += d * d;
        }
    return sqrt(s);
}

/* s = J_t^T eps, eps ~ N(0, I): E[(s_i s_j)^2 | t] = A_ii A_jj + 2 A_ij^2
 * (Isserlis, A = J_t^T J_t), so E |s s^T - F|_F^2 = E_t[tr(A)^2 +
 * 2 tr(A^2)] - |F|_F^2 and the mean of n has n times less. */
static void test_empirical_model_labels(void **state)
{
    (void)state;
    model *m = dnn(nets[0]);
    const dnn_layout *y = dnn_layout_of(m);
    size_t P = m->P, T = y->T;
    gsl_matrix *F = fim_by_jacobians(m), *E = gsl_matrix_alloc(P, P);
    gsl_matrix *J = gsl_matrix_alloc(y->C, P), *A = gsl_matrix_alloc(P, P);
    double v = 0, nf = 0;
    for (size_t t = 0; t < T; t++) {
        jac(m, m->theta, t, J);
        gsl_blas_dgemm(CblasTrans, CblasNoTrans, 1.0, J, J, 0.0, A);
        double tr = 0, tr2 = 0;
        for (size_t i = 0; i < P; i++) {
            tr += gsl_matrix_get(A, i, i);
            for (size_t j = 0; j < P; j++)
                tr2 += gsl_matrix_get(A, i, j) * gsl_matrix_get(A, i, j);
        }
        v += (tr * tr + 2 * tr2) / (double)T;
    }
    for (size_t i = 0; i < P; i++)
        for (size_t j = 0; j < P; j++)
            nf += gsl_matrix_get(F, i, j) * gsl_matrix_get(F, i, j);
    v -= nf;
    assert_true(v > 0);
    static const size_t ns[] = {300, 30000};
    double err[2];
    for (size_t k = 0; k < 2; k++) {
        assert_int_equal(fa_empirical(m, ns[k], FA_LABELS_MODEL, 42, E), SS_OK);
        err[k] = frob_diff(E, F);
        double sd = sqrt(v / (double)ns[k]);
        if (err[k] > 3 * sd)
            fail_msg("n = %zu: |E - F|_F = %g above 3 sd = %g", ns[k], err[k],
                     3 * sd);
    }
    /* 100 times the sample: about 10 times closer, surely more than 3 */
    assert_true(err[1] < err[0] / 3);
    gsl_matrix_free(F), gsl_matrix_free(E), gsl_matrix_free(J);
    gsl_matrix_free(A);
    model_free(m);
}

/* A teacher's labels: E[emp] = F + (1/T) sum_t J_t^T b_t b_t^T J_t with
 * b_t = f*(x_t) - f(x_t); the same 3 sd criterion covers n = 40000 with
 * the variance bounded by the model-label one plus the bias term's. */
static void test_empirical_teacher(void **state)
{
    (void)state;
    model *m = dnn(nets[0]);
    const dnn_layout *y = dnn_layout_of(m);
    size_t P = m->P, T = y->T, C = y->C;
    double *th = malloc(P * sizeof *th), f[8], fs[8];
    fa_teacher(m, 9, th);
    gsl_matrix *W = fim_by_jacobians(m), *E = gsl_matrix_alloc(P, P);
    gsl_matrix *J = gsl_matrix_alloc(C, P);
    gsl_vector *g = gsl_vector_alloc(P);
    double bias2 = 0;
    for (size_t t = 0; t < T; t++) {
        const double *x = gsl_matrix_const_ptr(dnn_inputs(m), t, 0);
        dnn_vjp(m, m->theta, x, f, f, NULL);
        dnn_vjp(m, th, x, fs, fs, NULL);
        double b[8];
        for (size_t c = 0; c < C; c++)
            b[c] = fs[c] - f[c];
        dnn_vjp(m, m->theta, x, b, f, g->data);
        gsl_blas_dger(1.0 / (double)T, g, g, W);
        double n2;
        gsl_blas_ddot(g, g, &n2);
        bias2 += n2 * n2 / (double)T;
    }
    assert_true(bias2 > 0); /* the teacher differs */
    assert_int_equal(fa_empirical(m, 40000, FA_LABELS_TEACHER, 9, E), SS_OK);
    gsl_matrix *F = fim_by_jacobians(m);
    double err = frob_diff(E, W), scale = frob_diff(W, F);
    /* well inside the bias itself: the labels are the teacher's */
    assert_true(err < 0.1 * scale);
    assert_true(frob_diff(E, F) > 0.5 * scale);
    gsl_matrix_free(F);
    free(th);
    gsl_matrix_free(W), gsl_matrix_free(E), gsl_matrix_free(J);
    gsl_vector_free(g);
    model_free(m);
}

/* ---- the table's numbers ------------------------------------------------- */

static int cmp_desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

static void test_row_errors_diag(void **state)
{
    (void)state;
    model *m = dnn(nets[1]);
    size_t P = m->P, k = 4;
    gsl_matrix *F = fim_by_jacobians(m), *V = gsl_matrix_alloc(P, P),
               *C = gsl_matrix_alloc(P, P);
    gsl_vector *ev = gsl_vector_alloc(P);
    gsl_matrix_memcpy(C, F);
    gsl_eigen_symmv_workspace *ws = gsl_eigen_symmv_alloc(P);
    gsl_eigen_symmv(C, ev, V, ws);
    gsl_eigen_symmv_sort(ev, V, GSL_EIGEN_SORT_VAL_DESC);
    gsl_eigen_symmv_free(ws);
    /* diag's eigenvalues are F's diagonal entries; its quadratic form
     * along v is sum_j F_jj v_j^2 */
    double *d = malloc(P * sizeof *d), tr = 0, de = 0, dq = 0, nl = 0;
    for (size_t i = 0; i < P; i++)
        tr += (d[i] = gsl_matrix_get(F, i, i));
    qsort(d, P, sizeof *d, cmp_desc);
    for (size_t i = 0; i < k; i++) {
        double l = gsl_vector_get(ev, i), q = 0;
        for (size_t j = 0; j < P; j++)
            q += gsl_matrix_get(F, j, j) * gsl_matrix_get(V, j, i) *
                 gsl_matrix_get(V, j, i);
        de += (d[i] - l) * (d[i] - l);
        dq += (q - l) * (q - l);
        nl += l * l;
    }
    fa_request rq = {.kinds = 1u << FA_DIAG, .top = k, .n = 10, .seed = 1};
    fa_result *r = NULL;
    assert_int_equal(fa_run(m, &rq, &r), SS_OK);
    const fa_row *w = &r->row[FA_DIAG];
    assert_true(w->present);
    assert_false(r->row[FA_KFAC].present);
    assert_close(w->trace, tr, 1e-12, 0);
    assert_close(w->lambda_max, d[0], 1e-12, 0);
    assert_close(w->lambda_min, d[P - 1], 1e-10, 0);
    assert_close(w->eig_err, sqrt(de / nl), 1e-9, 0);
    assert_close(w->qf_err, sqrt(dq / nl), 1e-9, 0);
    /* the exact row against itself */
    const fa_row *x = &r->row[FA_EXACT];
    assert_close(x->lambda_max, gsl_vector_get(ev, 0), 1e-12, 0);
    assert_true(x->eig_err < 1e-12 && x->qf_err < 1e-12 && x->frob_err == 0);
    fa_result_free(r);
    free(d);
    gsl_matrix_free(F), gsl_matrix_free(V), gsl_matrix_free(C);
    gsl_vector_free(ev);
    model_free(m);
}

/* On the overlap J1 = J2 the exact FIM has rank d + 1 (docs/theory.md
 * 2.2); the diagonal has every entry positive, so rank P. */
static void test_mlp2_overlap(void **state)
{
    (void)state;
    model *m = make(&model_mlp2_type, "d=1 w1=1 w2=0.5 J1=0.7 J2=0.7");
    fa_request rq = {.kinds = 0x1e, .top = 2, .n = 2000, .seed = 4};
    fa_result *r = NULL;
    assert_int_equal(fa_run(m, &rq, &r), SS_OK);
    assert_int_equal(r->row[FA_EXACT].rank, 2);
    assert_true(r->row[FA_EXACT].lambda_min <
                1e-12 * r->row[FA_EXACT].lambda_max);
    assert_int_equal(r->row[FA_DIAG].rank, 4);
    assert_true(r->row[FA_DIAG].lambda_min > 0.01);
    assert_int_equal(r->row[FA_BLOCK].rank, 2);
    assert_int_equal(r->row[FA_KFAC].rank, 2);
    /* scores s = r grad f with grad_w1 f = grad_w2 f: rank <= 2 */
    assert_true(r->row[FA_EMPIRICAL].rank <= 2);
    fa_result_free(r);
    model_free(m);
}

static void test_refusals(void **state)
{
    (void)state;
    model *m = dnn("layers=2 width=40 in=30 out=2 act=tanh inputs=3 seed=1");
    assert_true(m->P > FA_P_MAX);
    fa_request rq = {.kinds = 0x1e, .top = 2, .n = 10, .seed = 1};
    fa_result *r = NULL;
    assert_int_equal(fa_run(m, &rq, &r), SS_ERR_LIMIT);
    assert_null(r);
    assert_non_null(strstr(ss_last_error()->msg, "P <= 1000"));
    ss_clear_error();
    model_free(m);
    m = make(model_gmm, "w1=-1 w2=1");
    assert_int_equal(fa_run(m, &rq, &r), SS_ERR_USAGE);
    assert_non_null(strstr(ss_last_error()->msg, "dnn and mlp2 only"));
    ss_clear_error();
    model_free(m);
    m = dnn(nets[0]);
    m->is_free[0] = 0;
    assert_int_equal(fa_run(m, &rq, &r), SS_ERR_USAGE);
    assert_non_null(strstr(ss_last_error()->msg, "fixed"));
    ss_clear_error();
    model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_diag_block_exact),
        cmocka_unit_test(test_kfac_last_layer),
        cmocka_unit_test(test_kfac_one_layer),
        cmocka_unit_test(test_kfac_hidden_factors),
        cmocka_unit_test(test_kfac_mlp2),
        cmocka_unit_test(test_empirical_model_labels),
        cmocka_unit_test(test_empirical_teacher),
        cmocka_unit_test(test_row_errors_diag),
        cmocka_unit_test(test_mlp2_overlap),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* spec_analyze on matrices with known spectra: eigenpairs, rank at a
 * tolerance, log det, condition number, the numerical floor, the sign
 * convention of eigenvectors, and the route through a root factor R
 * (G = R^T R) that resolves eigenvalues far below eps * lambda_max.
 *
 * Tolerances: a backward-stable symmetric eigensolver returns eigenvalues
 * with absolute errors ~ k eps ||G||, and eigenvectors with errors
 * ~ eps ||G|| / gap; the one-sided Jacobi SVD of R returns singular values
 * with absolute errors ~ eps ||R|| (so relative eps ||R|| / sigma). Each
 * tolerance below is a small multiple of these. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "fim/fim.h"
#include "fim/map.h"
#include "fim/spectrum.h"
#include "testutil.h"

#include <gsl/gsl_blas.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EPS GSL_DBL_EPSILON

/* Absolute eigenvalue error allowed for a k x k matrix of norm lmax: the
 * backward-stable bound k eps ||G|| with a factor 8 (the floor spec_analyze
 * itself uses). Diagonal inputs come out exact in practice; the tests do
 * not rely on that. */
static double eig_err(size_t k, double lmax)
{
    return 8.0 * (double)k * EPS * lmax;
}

/* ---- helpers ------------------------------------------------------------ */

/* A FIM result holding the k x k row-major matrix g (no root). */
static fim_result *fim_of(const double *g, size_t k)
{
    fim_result *f = fim_result_alloc(k);
    assert_non_null(f);
    f->method = FIM_EXACT;
    for (size_t i = 0; i < k; i++) {
        f->idx[i] = i;
        snprintf(f->names[i], MODEL_NAME_MAX, "p%zu", i);
        for (size_t j = 0; j < k; j++)
            gsl_matrix_set(f->G, i, j, g[i * k + j]);
    }
    return f;
}

static spec_result *analyze(const fim_result *f, double tol)
{
    spec_result *s = (spec_result *)f; /* must be replaced */
    ss_status st = spec_analyze(f, tol, &s);
    if (st != SS_OK)
        fail_msg("spec_analyze failed: %s", ss_last_error()->msg);
    assert_non_null(s);
    assert_int_equal(s->k, f->k);
    return s;
}

static double ev(const spec_result *s, size_t j)
{
    return gsl_vector_get(s->eval, j);
}

/* Every eigenpair satisfies G v = lambda v, the eigenvectors are
 * orthonormal, the eigenvalues descend, and each column follows the sign
 * convention (its largest |entry| is positive). */
static void check_pairs(const fim_result *f, const spec_result *s,
                        double res_tol)
{
    size_t k = s->k;
    for (size_t j = 0; j < k; j++) {
        if (j)
            assert_true(ev(s, j) <= ev(s, j - 1));
        gsl_vector_const_view v = gsl_matrix_const_column(s->evec, j);
        gsl_vector *Gv = gsl_vector_alloc(k);
        gsl_blas_dgemv(CblasNoTrans, 1.0, f->G, &v.vector, 0.0, Gv);
        for (size_t i = 0; i < k; i++)
            assert_close(gsl_vector_get(Gv, i),
                         ev(s, j) * gsl_vector_get(&v.vector, i), 0,
                         res_tol);
        gsl_vector_free(Gv);
        /* the first entry of largest size (ties within 1e-12, which
         * rounding can order either way, go to the first) */
        size_t big = 0;
        for (size_t i = 1; i < k; i++)
            if (fabs(gsl_vector_get(&v.vector, i)) >
                fabs(gsl_vector_get(&v.vector, big)) + 1e-12)
                big = i;
        assert_true(gsl_vector_get(&v.vector, big) > 0);
        for (size_t l = 0; l < k; l++) {
            gsl_vector_const_view w = gsl_matrix_const_column(s->evec, l);
            double d;
            gsl_blas_ddot(&v.vector, &w.vector, &d);
            assert_close(d, l == j ? 1.0 : 0.0, 0, 16 * k * EPS);
        }
    }
}

/* ---- known spectra ------------------------------------------------------ */

static void test_diagonal(void **state)
{
    (void)state;
    const double g[9] = {4, 0, 0, 0, 1, 0, 0, 0, 1e-3};
    fim_result *f = fim_of(g, 3);
    spec_result *s = analyze(f, SPEC_DEFAULT_TOL);
    double floor_abs = eig_err(3, 4);
    assert_close(ev(s, 0), 4, 0, floor_abs);
    assert_close(ev(s, 1), 1, 0, floor_abs);
    assert_close(ev(s, 2), 1e-3, 0, floor_abs);
    assert_int_equal(s->rank, 3);
    assert_int_equal(s->negative, 0);
    assert_false(s->from_root);
    assert_true(s->tol == SPEC_DEFAULT_TOL);
    /* log det = log 4e-3, cond = 4000: relative errors ~ eigenvalue
     * errors / 1e-3 <= 2e-11 */
    assert_close(s->logdet, log(4e-3), 0, 1e-10);
    assert_close(s->cond, 4000, 1e-10, 0);
    /* the floor: no finer than eps ||G|| (what the solver resolves), and
     * far above nothing, i.e. below the small eigenvalue here */
    assert_true(s->floor >= EPS * 4);
    assert_true(s->floor <= 100 * 3 * EPS * 4);
    /* eigenvectors: the unit axes, signs positive */
    for (size_t j = 0; j < 3; j++)
        for (size_t i = 0; i < 3; i++)
            assert_close(gsl_matrix_get(s->evec, i, j), i == j ? 1.0 : 0.0,
                         0, 1e-15);
    check_pairs(f, s, 1e-14);
    spec_result_free(s);
    fim_result_free(f);
}

/* G = A^T A with A = [[1,2,3],[4,5,6]]: rank 2, null vector (1,-2,1)/sqrt6
 * (sign convention: largest |entry| positive, so (-1,2,-1)/sqrt6).
 * Non-zero eigenvalues are those of A A^T = [[14,32],[32,77]]:
 * (91 +- sqrt(8065)) / 2. */
static void test_rank_deficient(void **state)
{
    (void)state;
    const double g[9] = {17, 22, 27, 22, 29, 36, 27, 36, 45};
    fim_result *f = fim_of(g, 3);
    spec_result *s = analyze(f, SPEC_DEFAULT_TOL);
    double l1 = (91 + sqrt(8065.0)) / 2, l2 = (91 - sqrt(8065.0)) / 2;
    double aerr = 8 * 3 * EPS * l1;
    assert_close(ev(s, 0), l1, 0, aerr);
    assert_close(ev(s, 1), l2, 0, aerr);
    assert_true(fabs(ev(s, 2)) <= s->floor); /* zero, as rounding noise */
    assert_int_equal(s->rank, 2);
    assert_int_equal(s->negative, 0);
    assert_true(s->logdet == -INFINITY);
    assert_true(s->cond == INFINITY);
    /* null vector: error ~ eps ||G|| / gap = 2e-16 * 90 / 0.6 = 3e-14 */
    const double n[3] = {-1 / sqrt(6.0), 2 / sqrt(6.0), -1 / sqrt(6.0)};
    for (size_t i = 0; i < 3; i++)
        assert_close(gsl_matrix_get(s->evec, i, 2), n[i], 0, 1e-12);
    check_pairs(f, s, 1e-12);
    spec_result_free(s);
    fim_result_free(f);
}

/* Observed information can be indefinite: [[1,2],[2,1]] has eigenvalues
 * 3 and -1. Rank counts |eigenvalues| above the threshold; log det
 * is taken of |det| (the sign is in `negative`); cond = |3| / |-1|. */
static void test_indefinite(void **state)
{
    (void)state;
    const double g[4] = {1, 2, 2, 1};
    fim_result *f = fim_of(g, 2);
    f->method = FIM_OBSERVED; /* indefinite only as observed information */
    spec_result *s = analyze(f, SPEC_DEFAULT_TOL);
    double e = eig_err(2, 3);
    assert_close(ev(s, 0), 3, 0, e);
    assert_close(ev(s, 1), -1, 0, e);
    assert_int_equal(s->negative, 1);
    assert_int_equal(s->rank, 2);
    assert_close(s->logdet, log(3.0), 0, e / 3 + e / 1);
    assert_close(s->cond, 3, e / 3 + e / 1, 0);
    /* (1,1)/sqrt2 for 3; (1,-1)/sqrt2 for -1: a tie in |entry|, resolved
     * to the first entry positive (stable output) */
    assert_close(gsl_matrix_get(s->evec, 0, 0), M_SQRT1_2, 0, 1e-15);
    assert_close(gsl_matrix_get(s->evec, 1, 0), M_SQRT1_2, 0, 1e-15);
    assert_close(gsl_matrix_get(s->evec, 0, 1), M_SQRT1_2, 0, 1e-15);
    assert_close(gsl_matrix_get(s->evec, 1, 1), -M_SQRT1_2, 0, 1e-15);
    check_pairs(f, s, 1e-14);
    spec_result_free(s);

    fim_result_free(f);
}

/* An expected FIM is positive semi-definite by construction: a negative
 * eigenvalue is rounding in G, and the floor rises to cover it (nothing is
 * then reported as a negative eigenvalue or as resolved). */
static void test_exact_fim_floor_covers_rounding(void **state)
{
    (void)state;
    const double g[4] = {1, 0, 0, -1e-9};
    fim_result *f = fim_of(g, 2);
    f->method = FIM_EXACT;
    spec_result *s = analyze(f, SPEC_DEFAULT_TOL);
    assert_true(s->floor_raised);
    assert_true(s->floor >= 1e-9);
    assert_int_equal(s->negative, 0);
    assert_int_equal(s->rank, 1);
    assert_true(isinf(s->logdet) && s->logdet < 0);
    spec_result_free(s);
    fim_result_free(f);
}

/* The condition number of a symmetric matrix is max|lambda| / min|lambda|
 * (the 2-norm one). Observed information can have its largest-magnitude
 * eigenvalue negative; cond must not then be taken from the algebraically
 * largest eigenvalue. */
static void test_cond_largest_magnitude(void **state)
{
    (void)state;
    const struct {
        double d0, d1, cond;
        size_t negative;
    } cases[] = {
        {-2, -0.5, 4, 2}, /* negative definite */
        {1, -5, 5, 1},    /* indefinite, largest |lambda| negative */
        {5, -1, 5, 1},    /* indefinite, largest |lambda| positive */
    };
    tu_ctx c = {0};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const double g[4] = {cases[i].d0, 0, 0, cases[i].d1};
        fim_result *f = fim_of(g, 2);
        f->method = FIM_OBSERVED; /* the variant that can be indefinite */
        spec_result *s = analyze(f, SPEC_DEFAULT_TOL);
        tu_where(&c, "diag(%g, %g)", cases[i].d0, cases[i].d1);
        TU_CHECK(&c, s->negative == cases[i].negative, "negative = %zu",
                 s->negative);
        double lmin = fmin(fabs(cases[i].d0), fabs(cases[i].d1));
        double rel = 2 * eig_err(2, cases[i].cond * lmin) / lmin;
        TU_CHECK_CLOSE(&c, s->logdet, log(fabs(cases[i].d0 * cases[i].d1)),
                       0, rel, "logdet");
        TU_CHECK_CLOSE(&c, s->cond, cases[i].cond, rel, 0, "cond");
        spec_result_free(s);
        fim_result_free(f);
    }
    tu_done(&c);
}

/* rank = #{lambda > max(tol lambda_max, floor)} */
static void test_tolerance_rank(void **state)
{
    (void)state;
    const double g[9] = {1, 0, 0, 0, 1e-6, 0, 0, 0, 1e-12};
    fim_result *f = fim_of(g, 3);
    const struct {
        double tol;
        size_t rank;
    } cases[] = {{0.5, 1},   {1e-5, 1},  {1e-7, 2},  {SPEC_DEFAULT_TOL, 2},
                 {1e-11, 2}, {1e-13, 3}, {1e-20, 3}, {1e-300, 3}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        spec_result *s = analyze(f, cases[i].tol);
        if (s->rank != cases[i].rank)
            fail_msg("tol %g: rank %zu, expected %zu", cases[i].tol, s->rank,
                     cases[i].rank);
        assert_true(s->tol == cases[i].tol);
        /* log det and cond do not depend on the tolerance: every
         * eigenvalue is above the floor (~5e-15); 1e-12 is known to
         * eig_err(3, 1) = 5.3e-15 absolute, i.e. 5.3e-3 relative */
        double rel = eig_err(3, 1) / 1e-12 + 2 * eig_err(3, 1);
        assert_close(s->logdet, log(1e-18), 0, rel);
        assert_close(s->cond, 1e12, rel, 0);
        spec_result_free(s);
    }
    /* below the floor, no tolerance makes an eigenvalue count */
    gsl_matrix_set(f->G, 2, 2, 1e-17);
    spec_result *s = analyze(f, 1e-300);
    assert_true(s->floor > 1e-17);
    assert_int_equal(s->rank, 2);
    assert_true(s->logdet == -INFINITY);
    assert_true(s->cond == INFINITY);
    spec_result_free(s);
    fim_result_free(f);
}

/* Random orthogonal Q: eigenvectors of Q diag(l) Q^T are the columns of Q
 * up to sign; the returned sign makes the largest |entry| positive. */
static void random_orthogonal(gsl_rng *r, gsl_matrix *Q)
{
    size_t n = Q->size1, m = Q->size2;
    gsl_matrix *A = gsl_matrix_alloc(n, m);
    gsl_vector *tau = gsl_vector_alloc(m);
    gsl_matrix *Qf = gsl_matrix_alloc(n, n), *Rf = gsl_matrix_alloc(n, m);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < m; j++)
            gsl_matrix_set(A, i, j, gsl_ran_gaussian(r, 1.0));
    gsl_linalg_QR_decomp(A, tau);
    gsl_linalg_QR_unpack(A, tau, Qf, Rf);
    gsl_matrix_const_view q = gsl_matrix_const_submatrix(Qf, 0, 0, n, m);
    gsl_matrix_memcpy(Q, &q.matrix);
    gsl_matrix_free(A);
    gsl_vector_free(tau);
    gsl_matrix_free(Qf);
    gsl_matrix_free(Rf);
}

static void test_sign_convention(void **state)
{
    (void)state;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 11);
    const size_t k = 5;
    const double lam[5] = {7, 3, 1, 0.2, 0.05};
    for (int trial = 0; trial < 20; trial++) {
        gsl_matrix *Q = gsl_matrix_alloc(k, k);
        random_orthogonal(r, Q);
        /* make some largest entries negative on purpose */
        for (size_t j = 0; j < k; j++) {
            size_t big = 0;
            for (size_t i = 1; i < k; i++)
                if (fabs(gsl_matrix_get(Q, i, j)) >
                    fabs(gsl_matrix_get(Q, big, j)))
                    big = i;
            if ((gsl_matrix_get(Q, big, j) > 0) == ((j + trial) % 2 == 0)) {
                gsl_vector_view c = gsl_matrix_column(Q, j);
                gsl_vector_scale(&c.vector, -1);
            }
        }
        double g[25];
        for (size_t a = 0; a < k; a++)
            for (size_t b = 0; b < k; b++) {
                double x = 0;
                for (size_t j = 0; j < k; j++)
                    x += gsl_matrix_get(Q, a, j) * lam[j] *
                         gsl_matrix_get(Q, b, j);
                g[a * k + b] = x;
            }
        for (size_t a = 0; a < k; a++) /* exactly symmetric input */
            for (size_t b = 0; b < a; b++)
                g[a * k + b] = g[b * k + a];
        fim_result *f = fim_of(g, k);
        spec_result *s = analyze(f, SPEC_DEFAULT_TOL);
        for (size_t j = 0; j < k; j++) {
            assert_close(ev(s, j), lam[j], 0, 16 * k * EPS * lam[0]);
            /* v_j = +-Q_j; gaps >= 0.15 so errors ~ eps 7 / 0.15 = 1e-14 */
            double d = 0;
            for (size_t i = 0; i < k; i++)
                d += gsl_matrix_get(s->evec, i, j) * gsl_matrix_get(Q, i, j);
            assert_close(fabs(d), 1.0, 0, 1e-12);
        }
        check_pairs(f, s, 1e-13);
        spec_result_free(s);
        fim_result_free(f);
        gsl_matrix_free(Q);
    }
    gsl_rng_free(r);
}

/* spec_analyze reads, never modifies, the FIM it analyses. */
static void test_input_untouched(void **state)
{
    (void)state;
    const double g[9] = {2, -1, 0, -1, 2, -1, 0, -1, 2};
    fim_result *f = fim_of(g, 3);
    spec_result *s = analyze(f, SPEC_DEFAULT_TOL);
    for (size_t i = 0; i < 9; i++)
        assert_true(f->G->data[i] == g[i]);
    /* eigenvalues of the 1-D Laplacian: 2 - 2 cos(j pi / 4) */
    double e = eig_err(3, 2 + M_SQRT2), lmin = 2 - M_SQRT2;
    assert_close(ev(s, 0), 2 + M_SQRT2, 0, e);
    assert_close(ev(s, 1), 2, 0, e);
    assert_close(ev(s, 2), lmin, 0, e);
    assert_close(s->logdet, log(4.0), 0, 3 * e / lmin); /* det = 4 */
    assert_close(s->cond, (2 + M_SQRT2) / lmin, 2 * e / lmin, 0);
    spec_result_free(s);
    fim_result_free(f);
}

static void test_degenerate_sizes(void **state)
{
    (void)state;
    /* 1 x 1 */
    const double one[1] = {2.5};
    fim_result *f = fim_of(one, 1);
    spec_result *s = analyze(f, SPEC_DEFAULT_TOL);
    assert_true(ev(s, 0) == 2.5);
    assert_true(gsl_matrix_get(s->evec, 0, 0) == 1.0);
    assert_int_equal(s->rank, 1);
    assert_close(s->logdet, log(2.5), 0, 1e-15);
    assert_true(s->cond == 1.0);
    spec_result_free(s);
    fim_result_free(f);
    /* the zero matrix: rank 0, singular, nothing NaN */
    const double zero[4] = {0, 0, 0, 0};
    f = fim_of(zero, 2);
    s = analyze(f, SPEC_DEFAULT_TOL);
    assert_int_equal(s->rank, 0);
    assert_int_equal(s->negative, 0);
    assert_true(s->logdet == -INFINITY);
    assert_true(s->cond == INFINITY);
    assert_false(isnan(s->floor));
    for (size_t j = 0; j < 2; j++) {
        assert_true(ev(s, j) == 0);
        for (size_t i = 0; i < 2; i++)
            assert_false(isnan(gsl_matrix_get(s->evec, i, j)));
    }
    spec_result_free(s);
    fim_result_free(f);
}

static void test_invalid_tol(void **state)
{
    (void)state;
    const double g[4] = {1, 0, 0, 1};
    fim_result *f = fim_of(g, 2);
    const double bad[] = {0.0, -1e-10, 1.0, 1.5, NAN, INFINITY, -INFINITY};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        spec_result *s = (spec_result *)f;
        ss_clear_error();
        assert_int_equal(spec_analyze(f, bad[i], &s), SS_ERR_RANGE);
        assert_null(s);
        assert_int_equal(ss_last_error()->code, SS_ERR_RANGE);
    }
    fim_result_free(f);
}

/* ---- the root route ----------------------------------------------------- */

#define RN 50
#define RK 4

/* R = U diag(sv) V^T (RN x RK) from random orthonormal U and orthogonal V;
 * G = R^T R. */
static void build_root(gsl_rng *r, const double *sv, gsl_matrix *R,
                       gsl_matrix *G, gsl_matrix *V)
{
    gsl_matrix *U = gsl_matrix_alloc(RN, RK);
    random_orthogonal(r, U);
    random_orthogonal(r, V);
    gsl_matrix *US = gsl_matrix_alloc(RN, RK);
    gsl_matrix_memcpy(US, U);
    for (size_t j = 0; j < RK; j++) {
        gsl_vector_view c = gsl_matrix_column(US, j);
        gsl_vector_scale(&c.vector, sv[j]);
    }
    gsl_blas_dgemm(CblasNoTrans, CblasTrans, 1.0, US, V, 0.0, R);
    gsl_blas_dgemm(CblasTrans, CblasNoTrans, 1.0, R, R, 0.0, G);
    for (size_t a = 0; a < RK; a++) /* exactly symmetric */
        for (size_t b = 0; b < a; b++)
            gsl_matrix_set(G, a, b, gsl_matrix_get(G, b, a));
    gsl_matrix_free(U);
    gsl_matrix_free(US);
}

/* Singular values 1, 3e-2, 1e-4, 1e-9: the smallest eigenvalue 1e-18 lies
 * far below eps * lambda_max ~ 2e-16, so only the root resolves it.
 * Forming R rounds each entry (relative eps), which moves singular values
 * by ~ eps ||R|| / sqrt(RN RK) in a random direction, ~1.6e-17; the Jacobi
 * SVD adds errors of the same order. Relative to sigma = 1e-9 that is
 * ~1e-8 (so ~2e-8 on lambda = sigma^2): the bound 1e-6 leaves a margin
 * of ~50 for the worst of the trials. */
static void test_root_route(void **state)
{
    (void)state;
    const double sv[RK] = {1, 3e-2, 1e-4, 1e-9};
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 2024);
    double worst = 0;
    for (int trial = 0; trial < 10; trial++) {
        gsl_matrix *R = gsl_matrix_alloc(RN, RK);
        gsl_matrix *V = gsl_matrix_alloc(RK, RK);
        fim_result *f = fim_result_alloc(RK);
        assert_non_null(f);
        for (size_t i = 0; i < RK; i++) {
            f->idx[i] = i;
            snprintf(f->names[i], MODEL_NAME_MAX, "p%zu", i);
        }
        build_root(r, sv, R, f->G, V);
        f->root = R; /* owned by f now */

        spec_result *s = analyze(f, SPEC_DEFAULT_TOL);
        assert_true(s->from_root);
        for (size_t j = 0; j < RK; j++) {
            double rel = fabs(ev(s, j) - sv[j] * sv[j]) / (sv[j] * sv[j]);
            worst = fmax(worst, rel);
            if (!(rel < 1e-6))
                fail_msg("trial %d: eigenvalue %zu = %.17g, expected %.17g "
                         "(relative error %.3g)", trial, j, ev(s, j),
                         sv[j] * sv[j], rel);
            /* right singular vectors: +-V_j, errors ~ eps / relative gap */
            double d = 0;
            for (size_t i = 0; i < RK; i++)
                d += gsl_matrix_get(s->evec, i, j) * gsl_matrix_get(V, i, j);
            assert_close(fabs(d), 1.0, 0, 1e-8);
        }
        /* resolved: far above the floor; rank at the default tolerance
         * leaves out 1e-18 (relative to 1), a tiny tolerance keeps it */
        assert_true(s->floor < 1e-18 / 100);
        assert_int_equal(s->rank, 3);
        assert_int_equal(s->negative, 0);
        double logdet = 0;
        for (size_t j = 0; j < RK; j++)
            logdet += 2 * log(sv[j]);
        assert_close(s->logdet, logdet, 0, 4 * 1e-6);
        assert_close(s->cond, 1e18, 2e-6, 0);
        /* the sign convention holds on this route too */
        for (size_t j = 0; j < RK; j++) {
            size_t big = 0;
            for (size_t i = 1; i < RK; i++)
                if (fabs(gsl_matrix_get(s->evec, i, j)) >
                    fabs(gsl_matrix_get(s->evec, big, j)))
                    big = i;
            assert_true(gsl_matrix_get(s->evec, big, j) > 0);
        }
        spec_result_free(s);
        s = analyze(f, 1e-20);
        assert_int_equal(s->rank, 4);
        spec_result_free(s);

        /* the same G without its root: 1e-18 is below the floor of an
         * eigensolver (~ eps lambda_max) and reported as such */
        f->root = NULL;
        s = analyze(f, 1e-20);
        assert_false(s->from_root);
        assert_true(s->floor > 1e-18);
        assert_true(fabs(ev(s, 3)) <= s->floor);
        assert_int_equal(s->rank, 3);
        assert_true(s->logdet == -INFINITY);
        assert_true(s->cond == INFINITY);
        /* the resolved eigenvalues still agree (absolute error ~ eps) */
        for (size_t j = 0; j < 3; j++)
            assert_close(ev(s, j), sv[j] * sv[j], 0, 8 * RK * EPS);
        spec_result_free(s);

        /* a root with fewer rows than columns cannot be used: G is */
        gsl_matrix_view top = gsl_matrix_submatrix(R, 0, 0, RK - 1, RK);
        gsl_matrix *Rs = gsl_matrix_alloc(RK - 1, RK);
        gsl_matrix_memcpy(Rs, &top.matrix);
        f->root = Rs;
        s = analyze(f, SPEC_DEFAULT_TOL);
        assert_false(s->from_root);
        spec_result_free(s);
        fim_result_free(f); /* frees Rs */
        gsl_matrix_free(R);
        gsl_matrix_free(V);
    }
    print_message("      worst relative eigenvalue error via the root: "
                  "%.3g\n", worst);
    gsl_rng_free(r);
}

/* ---- matrices that made GSL's symmetric QR spin forever ---------------------
 *
 * GSL's implicit QR has no iteration limit and deflates an off-diagonal
 * entry only when it is below eps (|d_i| + |d_i+1|): beside diagonal
 * entries near the underflow threshold that test never fires. Each case
 * below hung before the guarded solvers; now each call returns, with
 * eigenpairs that satisfy the backward-error bound (checked against the
 * matrix itself, not against the code's output). */

/* The Monte-Carlo FIM (n = 3, seed 38) of `mlp2 d=3 sigma=0.5 w1=-2.2
 * w2=0.5 J1=[0.5,-1.4679,5e307] J2=[501.5,-640,0.9999778]`: a rank-one
 * block [[a, a], [a, a]], zero rows and a block of entries ~1e-305 coupled
 * through entries ~1e-152. Its largest eigenvalue is 2a up to terms of
 * order 1e-304 (the coupling squared over a). */
static void mc_hang_matrix(double *g)
{
    const double a = 3.6819392050691806, b = -2.3380348905877296e-153,
                 c = -2.6874051126630066e-153, d = 2.3765381667434504e-152;
    const double e55 = 1.2346733724969078e-305, e56 = 1.4191693832605631e-305,
                 e57 = -1.2550062469183899e-304,
                 e66 = 1.6312344489224105e-305,
                 e67 = -1.4425405788297149e-304,
                 e77 = 1.2756739676169917e-303;
    const double G[64] = {a, a, 0, 0, 0, b,   c,   d,   /**/
                          a, a, 0, 0, 0, b,   c,   d,   /**/
                          0, 0, 0, 0, 0, 0,   0,   0,   /**/
                          0, 0, 0, 0, 0, 0,   0,   0,   /**/
                          0, 0, 0, 0, 0, 0,   0,   0,   /**/
                          b, b, 0, 0, 0, e55, e56, e57, /**/
                          c, c, 0, 0, 0, e56, e66, e67, /**/
                          d, d, 0, 0, 0, e57, e67, e77};
    memcpy(g, G, sizeof G);
}

static double trace_of(const gsl_matrix *A)
{
    double t = 0;
    for (size_t i = 0; i < A->size1; i++)
        t += gsl_matrix_get(A, i, i);
    return t;
}

static void test_wide_range_no_hang(void **state)
{
    (void)state;
    double g[64];
    mc_hang_matrix(g);
    fim_result *f = fim_of(g, 8);
    f->method = FIM_MC;
    spec_result *s = analyze(f, SPEC_DEFAULT_TOL);
    double a = g[0], tol = eig_err(8, 2 * a);
    assert_close(ev(s, 0), 2 * a, 0, tol);
    for (size_t j = 1; j < 8; j++)
        assert_true(fabs(ev(s, j)) <= tol);
    assert_int_equal(s->rank, 1);
    assert_true(s->logdet == -INFINITY);
    check_pairs(f, s, tol);
    spec_result_free(s);

    /* the values-only solver (as map uses it) on the same matrix */
    gsl_matrix *A = gsl_matrix_alloc(8, 8);
    gsl_vector *e = gsl_vector_alloc(8);
    gsl_eigen_symm_workspace *ws = gsl_eigen_symm_alloc(8);
    gsl_matrix_memcpy(A, f->G);
    assert_int_equal(spec_symm_eigen(A, e, ws), SS_OK);
    double sum = 0, big = 0;
    for (size_t j = 0; j < 8; j++) {
        sum += gsl_vector_get(e, j);
        big = fmax(big, gsl_vector_get(e, j));
    }
    assert_close(big, 2 * a, 0, tol);
    assert_close(sum, trace_of(f->G), 0, tol);
    gsl_eigen_symm_free(ws);
    gsl_vector_free(e);
    gsl_matrix_free(A);
    fim_result_free(f);
}

/* Q diag(lam) Q^T with a random orthogonal Q (QR of a Gaussian matrix). */
static gsl_matrix *with_spectrum(const double *lam, size_t k, gsl_rng *r)
{
    gsl_matrix *X = gsl_matrix_alloc(k, k), *Q = gsl_matrix_alloc(k, k);
    gsl_matrix *Rr = gsl_matrix_alloc(k, k), *A = gsl_matrix_calloc(k, k);
    gsl_vector *tau = gsl_vector_alloc(k);
    for (size_t i = 0; i < k; i++)
        for (size_t j = 0; j < k; j++)
            gsl_matrix_set(X, i, j, gsl_ran_gaussian(r, 1.0));
    gsl_linalg_QR_decomp(X, tau);
    gsl_linalg_QR_unpack(X, tau, Q, Rr);
    for (size_t i = 0; i < k; i++)
        for (size_t j = 0; j < k; j++) {
            double v = 0;
            for (size_t l = 0; l < k; l++)
                v += gsl_matrix_get(Q, i, l) * lam[l] *
                     gsl_matrix_get(Q, j, l);
            gsl_matrix_set(A, i, j, v);
        }
    for (size_t i = 0; i < k; i++) /* exactly symmetric */
        for (size_t j = 0; j < i; j++)
            gsl_matrix_set(A, j, i, gsl_matrix_get(A, i, j));
    gsl_matrix_free(X);
    gsl_matrix_free(Q);
    gsl_matrix_free(Rr);
    gsl_vector_free(tau);
    return A;
}

static int desc(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a < b) - (a > b);
}

/* The bounded route (taken for a matrix with an entry far below the
 * largest, or with the largest far from 1) is as accurate as GSL's: the
 * known spectrum to k eps ||A||, at unit scale, at 1e300 and at 1e-300
 * (exact powers of two would be too kind: these scales are not). */
static void test_bounded_route_accuracy(void **state)
{
    (void)state;
    enum { K = 7 };
    /* six eigenvalues in a random basis, and a seventh 1e-90 below the
     * rest on its own axis: the wide-range route even at unit scale */
    const double lam[K] = {3.0, 1.0, 0.25, 1e-3, 0.0, -0.5, 1e-90};
    const double scales[] = {1.0, 1e300, 1e-300};
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 7);
    for (size_t sc = 0; sc < sizeof scales / sizeof scales[0]; sc++) {
        gsl_matrix *B = with_spectrum(lam, K - 1, r);
        gsl_matrix *A = gsl_matrix_calloc(K, K);
        gsl_matrix_view top = gsl_matrix_submatrix(A, 0, 0, K - 1, K - 1);
        gsl_matrix_memcpy(&top.matrix, B);
        gsl_matrix_set(A, K - 1, K - 1, lam[K - 1]);
        gsl_matrix_scale(A, scales[sc]);
        gsl_matrix_free(B);
        fim_result *f = fim_result_alloc(K);
        f->method = FIM_OBSERVED;
        for (size_t i = 0; i < K; i++) {
            f->idx[i] = i;
            snprintf(f->names[i], MODEL_NAME_MAX, "p%zu", i);
        }
        gsl_matrix_memcpy(f->G, A);
        spec_result *s = analyze(f, SPEC_DEFAULT_TOL);
        double want[K];
        memcpy(want, lam, sizeof want);
        qsort(want, K, sizeof want[0], desc);
        double tol = eig_err(K, 3.0 * scales[sc]);
        for (size_t j = 0; j < K; j++)
            assert_close(ev(s, j), want[j] * scales[sc], 0, tol);
        check_pairs(f, s, tol);
        spec_result_free(s);
        fim_result_free(f);
        gsl_matrix_free(A);
    }
    gsl_rng_free(r);
}

/* A subnormal entry beside zero diagonals: [[1,0,0],[0,0,s],[0,s,0]] has
 * eigenvalues 1, +-s; at s = 5e-324 they are not resolvable and the
 * entry is treated as 0 (0 is within every error bound); the call
 * returns. A non-finite entry is refused with a message. */
static void test_subnormal_and_nonfinite(void **state)
{
    (void)state;
    gsl_matrix *A = gsl_matrix_calloc(3, 3);
    gsl_vector *e = gsl_vector_alloc(3);
    gsl_matrix *V = gsl_matrix_alloc(3, 3);
    gsl_eigen_symmv_workspace *wv = gsl_eigen_symmv_alloc(3);
    gsl_matrix_set(A, 0, 0, 1.0);
    gsl_matrix_set(A, 1, 2, 5e-324);
    gsl_matrix_set(A, 2, 1, 5e-324);
    assert_int_equal(spec_symm_eigenv(A, e, V, wv), SS_OK);
    double sum = 0;
    for (size_t j = 0; j < 3; j++)
        sum += fabs(gsl_vector_get(e, j));
    assert_close(sum, 1.0, 0, 4 * EPS);
    gsl_matrix_set_zero(A);
    gsl_matrix_set(A, 1, 1, NAN);
    assert_int_equal(spec_symm_eigenv(A, e, V, wv), SS_ERR_NUMERIC);
    assert_non_null(strstr(ss_last_error()->msg, "entry [2,2]"));
    assert_non_null(strstr(ss_last_error()->msg, "not finite"));
    gsl_matrix_set(A, 1, 1, INFINITY);
    gsl_eigen_symm_workspace *ws = gsl_eigen_symm_alloc(3);
    assert_int_equal(spec_symm_eigen(A, e, ws), SS_ERR_NUMERIC);
    gsl_eigen_symm_free(ws);
    gsl_eigen_symmv_free(wv);
    gsl_matrix_free(V);
    gsl_vector_free(e);
    gsl_matrix_free(A);
}

/* The exact FIM of `mlp2 d=14 w1=7.1578947368421053 w2=5e-324` at
 * J2_9 = 16/19 (a cell of `map g x=J2_9:1e-200..1 y=w1:1..40 res=20x20`,
 * which hung in GSL's values-only solver): the guarded solver returns
 * finite eigenvalues whose sum is the trace, and a small map over the
 * same plane completes with every cell computed. */
static model *mlp2_subnormal(void)
{
    static double J1[14] = {1}, J2[14] = {-0.3, 0.8};
    J2[8] = 16.0 / 19.0;
    tu_args a;
    tu_args_init(&a);
    tu_args_num(&a, "d", 14);
    tu_args_num(&a, "w1", 7.1578947368421053);
    tu_args_num(&a, "w2", 5e-324);
    tu_args_vec(&a, "J1", J1, 14);
    tu_args_vec(&a, "J2", J2, 14);
    model *m = NULL;
    if (model_alloc(model_mlp2, a.a, a.n, &m) != SS_OK)
        fail_msg("model_alloc: %s", ss_last_error()->msg);
    return m;
}

static void test_map_subnormal_fim(void **state)
{
    (void)state;
    model *m = mlp2_subnormal();
    size_t P = m->P;
    gsl_matrix *G = gsl_matrix_alloc(P, P), *A = gsl_matrix_alloc(P, P);
    assert_int_equal(model_mlp2->fim_exact(m, m->theta, G, NULL), SS_OK);
    gsl_vector *e = gsl_vector_alloc(P);
    gsl_eigen_symm_workspace *ws = gsl_eigen_symm_alloc(P);
    gsl_matrix_memcpy(A, G);
    assert_int_equal(spec_symm_eigen(A, e, ws), SS_OK);
    double sum = 0, amax = 0;
    for (size_t i = 0; i < P; i++)
        for (size_t j = 0; j < P; j++)
            amax = fmax(amax, fabs(gsl_matrix_get(G, i, j)));
    for (size_t j = 0; j < P; j++) {
        assert_true(isfinite(gsl_vector_get(e, j)));
        sum += gsl_vector_get(e, j);
    }
    assert_close(sum, trace_of(G), 0, eig_err(P, amax));
    gsl_eigen_symm_free(ws);
    gsl_vector_free(e);
    gsl_matrix_free(A);
    gsl_matrix_free(G);

    map_spec sp = {0};
    assert_int_equal(model_axis_find(m, "J2_9", &sp.x), SS_OK);
    assert_int_equal(model_axis_find(m, "w1", &sp.y), SS_OK);
    sp.x0 = 1e-200;
    sp.x1 = 1;
    /* the row that hung (w1 = 1 + 3 * 39/19) and one more */
    sp.y0 = 7.1578947368421053;
    sp.y1 = sp.y0 + 1;
    sp.nx = 20;
    sp.ny = 2;
    sp.stat = MAP_LOGDET;
    sp.tol = SPEC_DEFAULT_TOL;
    map_result *r = NULL;
    if (map_run(m, &sp, NULL, NULL, &r) != SS_OK)
        fail_msg("map_run: %s", ss_last_error()->msg);
    assert_int_equal(r->n_failed, 0);
    assert_int_equal(r->n_invalid, 0);
    map_result_free(r);
    model_free(m);
}

int main(void)
{
    ss_gsl_install_handler();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_diagonal),
        cmocka_unit_test(test_rank_deficient),
        cmocka_unit_test(test_indefinite),
        cmocka_unit_test(test_exact_fim_floor_covers_rounding),
        cmocka_unit_test(test_cond_largest_magnitude),
        cmocka_unit_test(test_tolerance_rank),
        cmocka_unit_test(test_sign_convention),
        cmocka_unit_test(test_input_untouched),
        cmocka_unit_test(test_degenerate_sizes),
        cmocka_unit_test(test_invalid_tol),
        cmocka_unit_test(test_root_route),
        cmocka_unit_test(test_wide_range_no_hang),
        cmocka_unit_test(test_bounded_route_accuracy),
        cmocka_unit_test(test_subnormal_and_nonfinite),
        cmocka_unit_test(test_map_subnormal_fim),
    };
    return cmocka_run_group_tests_name("spectrum", tests, NULL, NULL);
}

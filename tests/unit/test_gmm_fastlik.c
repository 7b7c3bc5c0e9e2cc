/* gmm's log-likelihood terms (K = 2, s known) by the block route of
 * gmm_loglik_terms (one exp and one log1p per point through core/vecmath, the
 * rest polynomials in x) against an independent direct evaluation of
 *   log((1 - v) phi((x - w1) / s) / s + v phi((x - w2) / s) / s)
 * in long double (64-bit significand, exponents to -16382: no underflow of
 * e^{-z^2/2} for |z| up to ~150, where double's exp underflows beyond
 * |z| ~ 38.6), and vecmath's exp and log1p against the C library's.
 *
 * Tolerance: relative 1e-13 on each term. The block route's error is a few
 * ulps of the largest of |log pi_k|, |log phi_k| and log 2 (libmvec's
 * exp and log1p are within 4 ulps, the polynomial part within a few), and
 * at the points below |log p| >= 0.22 is within a factor ~10^3 of that
 * largest part, so the bound is about 10^3 * 8 * 1.1e-16 ~ 1e-12 at
 * worst; the worst seen here is 6e-16 (s = 0.7, x = -23.5, AVX2 route).
 * 1e-13 leaves room yet catches any lost term
 * (a dropped log1p is at least e^{-|e|}-sized, a wrong side or underflow
 * is O(1)). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/status.h"
#include "core/vecmath.h"
#include "model/model.h"
#include "testutil.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

enum { NP = 3 };

static model *make(double s, double v, double w1, double w2)
{
    double val[4] = {s, v, w1, w2};
    model_arg args[4] = {
        {.key = "s", .num = &val[0], .n = 1},
        {.key = "v", .num = &val[1], .n = 1},
        {.key = "w1", .num = &val[2], .n = 1},
        {.key = "w2", .num = &val[3], .n = 1},
    };
    model *m = NULL;
    ss_status st = model_alloc(model_gmm, args, 4, &m);
    if (st != SS_OK)
        print_error("model_alloc: %s\n", ss_last_error()->msg);
    assert_int_equal(st, SS_OK);
    return m;
}

/* The direct evaluation, in long double. */
static long double ref_lp(double s, double v, double w1, double w2, double x)
{
    long double z1 = ((long double)x - w1) / s, z2 = ((long double)x - w2) / s;
    long double p = (1.0L - v) * expl(-0.5L * z1 * z1) +
                    (long double)v * expl(-0.5L * z2 * z2);
    return logl(p) - logl((long double)s) - 0.5L * logl(2.0L * M_PI);
}

typedef struct {
    double s, v, w1, w2;
    const char *label;
} point;

static const point pts[] = {
    {1.0, 0.385, -0.73, 1.21, "generic"},
    {1.0, 0.3, 0.0, 1.5, "example"},
    {0.5, 0.385, -0.73, 1.21, "s = 0.5 (a power of two)"},
    {0.7, 0.62, -0.4, 2.3, "s = 0.7"},
    {3.0, 0.2, -5.0, 4.0, "s = 3"},
    {1.0, 0.0, -0.73, 1.21, "v = 0"},
    {0.7, 1.0, -0.73, 1.21, "v = 1, s = 0.7"},
    {1.0, 0.385, 0.4, 0.4, "w1 = w2"},
    {0.7, 0.5, -2.0, -2.0, "w1 = w2, v = 1/2, s = 0.7"},
    {1.0, 0.385, 0.4, 0.4 + 1e-9, "w1 ~ w2"},
    {1.0, 1e-12, -1.0, 1.0, "v = 1e-12"},
    {1.0, 1.0 - 1e-12, -1.0, 1.0, "v = 1 - 1e-12"},
    {1.0, 0.5, -20.0, 20.0, "well separated"},
};

#define NPTS (sizeof pts / sizeof pts[0])
#define NX 601 /* odd and more than two blocks of 256 */
#define TDA 3  /* x in column 0 of 3: the stride is honoured */

static void test_terms_vs_direct(void **state)
{
    (void)state;
    gsl_matrix *X = gsl_matrix_alloc(NX, TDA);
    gsl_matrix *S = gsl_matrix_alloc(NX, NP);
    double ell[NX], ell2[NX];
    char what[160];
    for (size_t k = 0; k < NPTS; k++) {
        const point *p = &pts[k];
        model *m = make(p->s, p->v, p->w1, p->w2);
        double lo = fmin(p->w1, p->w2) - 45 * p->s,
               hi = fmax(p->w1, p->w2) + 45 * p->s;
        gsl_matrix_set_all(X, NAN);
        for (size_t i = 0; i < NX; i++)
            gsl_matrix_set(X, i, 0, lo + (hi - lo) * (double)i / (NX - 1));
        /* exactly at distance 40 s from each mean (where e^{-z^2/2} is
         * e^{-800}, 0 in double), and at the means */
        double special[] = {p->w1 - 40 * p->s, p->w1 + 40 * p->s,
                            p->w2 - 40 * p->s, p->w2 + 40 * p->s, p->w1,
                            p->w2, 0.5 * (p->w1 + p->w2)};
        for (size_t j = 0; j < sizeof special / sizeof *special; j++)
            gsl_matrix_set(X, 2 * j + 1, 0, special[j]);
        assert_int_equal(model_gmm->loglik_terms(m, m->theta, X, ell, NULL),
                         SS_OK);
        for (size_t i = 0; i < NX; i++) {
            double x = gsl_matrix_get(X, i, 0);
            double want = (double)ref_lp(p->s, p->v, p->w1, p->w2, x);
            snprintf(what, sizeof what, "%s, x = %.17g", p->label, x);
            assert_close_msg(ell[i], want, 1e-13, 0, what);
        }
        /* the terms are the same bits when the scores are asked for too
         * (MALA and RWM see one target) */
        assert_int_equal(model_gmm->loglik_terms(m, m->theta, X, ell2, S),
                         SS_OK);
        assert_memory_equal(ell, ell2, sizeof ell);
        model_free(m);
    }
    gsl_matrix_free(X);
    gsl_matrix_free(S);
}

/* Every block length (the vector tails) and a single point. */
static void test_every_length(void **state)
{
    (void)state;
    model *m = make(1.0, 0.3, -0.5, 1.1);
    for (size_t n = 1; n <= 11; n++) {
        gsl_matrix *X = gsl_matrix_alloc(n, 1);
        double ell[11];
        for (size_t i = 0; i < n; i++)
            gsl_matrix_set(X, i, 0, -3.0 + 0.7 * (double)i);
        assert_int_equal(model_gmm->loglik_terms(m, m->theta, X, ell, NULL),
                         SS_OK);
        for (size_t i = 0; i < n; i++) {
            double x = gsl_matrix_get(X, i, 0);
            assert_close_msg(ell[i], (double)ref_lp(1.0, 0.3, -0.5, 1.1, x),
                             1e-13, 0, "short block");
        }
        gsl_matrix_free(X);
    }
    model_free(m);
}

/* Non-finite data give what the formula gives: -inf at |x| = inf (also
 * at w1 = w2, where d = 0 exactly), NaN at NaN. */
static void test_nonfinite_data(void **state)
{
    (void)state;
    const double ws[][2] = {{-0.5, 1.1}, {0.3, 0.3}};
    for (size_t k = 0; k < 2; k++) {
        model *m = make(1.0, 0.3, ws[k][0], ws[k][1]);
        gsl_matrix *X = gsl_matrix_alloc(5, 1);
        double xs[5] = {INFINITY, -INFINITY, NAN, 0.0, 1e200}, ell[5];
        for (size_t i = 0; i < 5; i++)
            gsl_matrix_set(X, i, 0, xs[i]);
        assert_int_equal(model_gmm->loglik_terms(m, m->theta, X, ell, NULL),
                         SS_OK);
        assert_true(ell[0] == -INFINITY);
        assert_true(ell[1] == -INFINITY);
        assert_true(isnan(ell[2]));
        assert_true(isfinite(ell[3]));
        assert_true(ell[4] == -INFINITY);
        gsl_matrix_free(X);
        model_free(m);
    }
}

/* vecmath against the C library: within 4 ulps (libmvec's documented
 * bound) plus the same special values, at every length up to 9 (the
 * padded tails of 2 and 4 lanes). */
static double ulps(double got, double want)
{
    if (got == want)
        return 0;
    double u = nextafter(fabs(want), INFINITY) - fabs(want);
    if (fabs(want) < DBL_MIN)
        u = DBL_TRUE_MIN;
    return fabs(got - want) / u;
}

static void test_vec_math(void **state)
{
    (void)state;
    enum { N = 2001 };
    static double a[N], b[N];
    /* exp over [-745, 709] (its whole finite range, subnormal results
     * included); log1p over (-1, 1e300] */
    for (size_t i = 0; i < N; i++)
        a[i] = -745.0 + 1454.0 * (double)i / (N - 1);
    memcpy(b, a, sizeof a);
    ss_vexp(b, N);
    for (size_t i = 0; i < N; i++)
        if (ulps(b[i], exp(a[i])) > 4)
            fail_msg("exp(%.17g) = %.17g, libm %.17g", a[i], b[i],
                     exp(a[i]));
    for (size_t i = 0; i < N; i++)
        a[i] = i < N / 2 ? -1.0 + ldexp(1.0, -(int)(i % 60)) * (double)(i + 1) / N
                         : ldexp(1.0, (int)(i - N / 2) - 600) ;
    memcpy(b, a, sizeof a);
    ss_vlog1p(b, N);
    for (size_t i = 0; i < N; i++)
        if (ulps(b[i], log1p(a[i])) > 4)
            fail_msg("log1p(%.17g) = %.17g, libm %.17g", a[i], b[i],
                     log1p(a[i]));
    double sp[] = {-INFINITY, INFINITY, NAN, 0.0, -0.0, -1000.0, 1000.0};
    for (size_t n = 1; n <= 9; n++) {
        double x[9], y[9];
        for (size_t i = 0; i < n; i++)
            x[i] = sp[(i + n) % 7];
        memcpy(y, x, sizeof x);
        ss_vexp(y, n);
        for (size_t i = 0; i < n; i++) {
            double w = exp(x[i]);
            assert_true(isnan(w) ? isnan(y[i]) : y[i] == w);
        }
        for (size_t i = 0; i < n; i++)
            x[i] = i % 2 ? 0.25 * (double)i : -1.0 + 0.1 * (double)i;
        memcpy(y, x, sizeof x);
        ss_vlog1p(y, n);
        for (size_t i = 0; i < n; i++)
            assert_true(ulps(y[i], log1p(x[i])) <= 4);
    }
    double l[3] = {-1.0, INFINITY, 0.0};
    ss_vlog1p(l, 3);
    assert_true(l[0] == -INFINITY && l[1] == INFINITY && l[2] == 0.0);
    const char *r = ss_vmath_route();
    assert_true(!strcmp(r, "avx2") || !strcmp(r, "sse2") ||
                !strcmp(r, "scalar"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_terms_vs_direct),
        cmocka_unit_test(test_every_length),
        cmocka_unit_test(test_nonfinite_data),
        cmocka_unit_test(test_vec_math),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

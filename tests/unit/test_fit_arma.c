/* The ARMA fit (infer/fit_pacf.c) and the Kalman filter's sums it runs on
 * (model/kalman.c, kalman_sum): the steady-state shortcut against the full
 * filter, the sums against the per-term filter (kalman_loglik), and the
 * fit with sigma2 profiled out against closed forms and brute force. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testutil.h"

#include "core/rng.h"
#include "infer/fit.h"
#include "model/kalman.h"
#include "model/model.h"

#include <gsl/gsl_math.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* An arma model with the given coefficients (and sigma2). */
static model *arma(const double *ar, size_t p, const double *ma, size_t q,
                   double s2)
{
    model_arg a[3] = {{"ar", NULL, ar, p, 1, 0},
                      {"ma", NULL, ma, q, 1, 0},
                      {"sigma2", NULL, &s2, 1, 0, 0}};
    model *m = NULL;
    ss_status st = model_alloc(model_type_find("arma"), a, 3, &m);
    if (st != SS_OK)
        print_error("arma: %s\n", ss_last_error()->msg);
    assert_int_equal(st, SS_OK);
    return m;
}

static gsl_matrix *series(const model *m, size_t n, uint64_t seed)
{
    gsl_matrix *X = gsl_matrix_alloc(n, 1);
    gsl_rng *r = ss_rng_alloc();
    ss_rng_seed(r, seed, SS_STREAM_TEST, 0);
    assert_int_equal(m->type->sample(m, m->theta, r, X), SS_OK);
    ss_rng_free(r);
    return X;
}

typedef struct {
    double ar[2], ma[2];
    size_t p, q;
} pt;

/* ARMA(1,1) at an ordinary point, near the singular line, with a slowly
 * converging MA part; AR(2), MA(2), ARMA(2,1). */
static const pt points[] = {
    {{0.5}, {0.3}, 1, 1},      {{0.9}, {-0.85}, 1, 1},
    {{-0.3}, {0.95}, 1, 1},    {{1.2, -0.5}, {0}, 2, 0},
    {{0}, {0.4, -0.3}, 0, 2},  {{0.6, 0.2}, {-0.7}, 2, 1},
};
#define NPOINTS (sizeof points / sizeof points[0])

static void coefs(const pt *c, double *theta)
{
    memcpy(theta, c->ar, c->p * sizeof *theta);
    memcpy(theta + c->p, c->ma, c->q * sizeof *theta);
}

/* The concentrated log-likelihood and its gradient from the sums. */
static double conc(const kalman_sums *s, size_t n, size_t P, double *g)
{
    double dn = (double)n;
    for (size_t k = 0; k < P; k++)
        g[k] = -0.5 * dn * s->dS[k] / s->S - 0.5 * s->dL[k];
    return -0.5 * dn * (log(2 * M_PI * s->S / dn) + 1) - 0.5 * s->L;
}

/* Once the gain has converged the filter runs the plain recursion
 * (kalman_sum with steady = 1); the sums, the concentrated log-likelihood
 * and its gradient equal the full filter's (steady = 0) to 1e-12
 * relative. The shortcut must actually have been taken, except where the
 * MA part is close to the unit circle (|ma1| = 0.95: the Riccati map
 * contracts by about ma1^2 a step, so its rounding noise, about
 * eps / (1 - ma1^2), may stay above kalman_is_steady's 16 eps and the
 * full filter then runs to the end). */
static void test_steady_equals_full(void **state)
{
    (void)state;
    for (size_t c = 0; c < NPOINTS; c++) {
        const pt *pc = &points[c];
        model *m = arma(pc->ar, pc->p, pc->ma, pc->q, 1.3);
        gsl_matrix *X = series(m, 1000, 40 + c);
        double theta[4];
        coefs(pc, theta);
        kalman_ss f;
        kalman_init_arma(&f, pc->p, pc->q, theta);
        size_t P = pc->p + pc->q;
        kalman_sums a, b;
        assert_int_equal(kalman_sum(&f, X, P, 1, &a), SS_OK);
        assert_int_equal(kalman_sum(&f, X, P, 0, &b), SS_OK);
        print_message("point %zu: steady from step %zu\n", c, a.steady_at);
        if (pc->q == 0 || fabs(pc->ma[0]) < 0.9)
            assert_true(a.steady_at < 1000);
        assert_int_equal(b.steady_at, 1000);
        assert_close(a.S, b.S, 1e-12, 0);
        assert_close(a.L, b.L, 1e-12, 1e-12);
        double ga[4], gb[4];
        double la = conc(&a, 1000, P, ga), lb = conc(&b, 1000, P, gb);
        assert_close(la, lb, 1e-12, 0);
        double gs = 0;
        for (size_t k = 0; k < P; k++)
            gs = fmax(gs, fabs(b.dS[k]) + fabs(b.dL[k]));
        for (size_t k = 0; k < P; k++) {
            assert_close(a.dS[k], b.dS[k], 1e-12, 1e-12 * gs);
            assert_close(a.dL[k], b.dL[k], 1e-12, 1e-12 * gs);
            assert_close(ga[k], gb[k], 1e-12, 1e-12 * gs);
        }
        gsl_matrix_free(X);
        model_free(m);
    }
}

/* kalman_sum against the per-term filter: sum_t ell_t =
 * -(n/2) log(2 pi s2) - L/2 - S/(2 s2), and the summed scores
 * -dL/2 - dS/(2 s2). */
static void test_sums_equal_terms(void **state)
{
    (void)state;
    const double s2 = 0.7;
    for (size_t c = 0; c < NPOINTS; c++) {
        const pt *pc = &points[c];
        model *m = arma(pc->ar, pc->p, pc->ma, pc->q, s2);
        size_t n = 500, P = pc->p + pc->q;
        gsl_matrix *X = series(m, n, 60 + c);
        double theta[4], ell[500];
        coefs(pc, theta);
        kalman_ss f;
        kalman_init_arma(&f, pc->p, pc->q, theta);
        gsl_matrix *Sc = gsl_matrix_alloc(n, P);
        assert_int_equal(kalman_loglik(&f, s2, X, ell, Sc), SS_OK);
        kalman_sums a;
        assert_int_equal(kalman_sum(&f, X, P, 1, &a), SS_OK);
        double l = 0;
        for (size_t t = 0; t < n; t++)
            l += ell[t];
        assert_close(-0.5 * (double)n * log(2 * M_PI * s2) - 0.5 * a.L -
                         0.5 * a.S / s2,
                     l, 1e-12, 0);
        for (size_t k = 0; k < P; k++) {
            double g = 0, sc = 0;
            for (size_t t = 0; t < n; t++) {
                g += gsl_matrix_get(Sc, t, k);
                sc += fabs(gsl_matrix_get(Sc, t, k));
            }
            assert_close(-0.5 * a.dL[k] - 0.5 * a.dS[k] / s2, g, 0,
                         1e-12 * sc);
        }
        gsl_matrix_free(Sc);
        gsl_matrix_free(X);
        model_free(m);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_steady_equals_full),
        cmocka_unit_test(test_sums_equal_terms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

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
    model_arg a[3] = {{"ar", NULL, ar, p, 1, 0, NULL, 0, 0},
                      {"ma", NULL, ma, q, 1, 0, NULL, 0, 0},
                      {"sigma2", NULL, &s2, 1, 0, 0, NULL, 0, 0}};
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

static fit_result *fit(const model *m, const gsl_matrix *X, size_t starts)
{
    fit_spec sp = {.starts = starts, .seed = 3};
    fit_result *r = NULL;
    ss_status st = fit_run(m, X, &sp, &r);
    if (st != SS_OK)
        print_error("fit: %s\n", ss_last_error()->msg);
    assert_int_equal(st, SS_OK);
    return r;
}

static double full_loglik(const model *m, const double *theta,
                          const gsl_matrix *X, double s2)
{
    model *c = model_clone(m);
    c->opt[model_opt_index(c->type, "sigma2")] = s2;
    double l;
    assert_int_equal(model_loglik_grad(c, theta, X, &l, NULL), SS_OK);
    model_free(c);
    return l;
}

/* sigma2 profiled: the estimate recovers the truth's sigma2 (2.5, while
 * the model fitted says 1) within 4 standard errors sqrt(2/n) sigma2; the
 * reported log-likelihood is the full exact likelihood (the per-term
 * filter) at (theta hat, sigma2hat), a maximum in sigma2 (lower on both
 * sides) and in the coefficients (the score of the fitted copy ~ 0); the
 * fitted copy holds sigma2hat; the criteria count k + 1 = 3. */
static void test_profiled(void **state)
{
    (void)state;
    const double ar = 0.5, ma = 0.3;
    model *t = arma(&ar, 1, &ma, 1, 2.5), *m = arma(&ar, 1, &ma, 1, 1.0);
    size_t n = 2000;
    gsl_matrix *X = series(t, n, 9);
    fit_result *r = fit(m, X, 4);
    assert_true(r->converged);
    assert_int_equal(r->k, 2);
    assert_int_equal(r->nscale, 1);
    assert_string_equal(r->scale_name, "sigma2");
    double se = 2.5 * sqrt(2.0 / (double)n);
    assert_true(fabs(r->scale - 2.5) < 4 * se);
    assert_close(r->scale_se, r->scale * sqrt(2.0 / (double)n), 1e-14, 0);
    assert_close(r->at->opt[model_opt_index(m->type, "sigma2")], r->scale, 0,
                 0);
    double l = full_loglik(m, r->theta, X, r->scale);
    assert_close(r->loglik, l, 1e-10, 0);
    assert_true(full_loglik(m, r->theta, X, r->scale * 1.001) < l);
    assert_true(full_loglik(m, r->theta, X, r->scale * 0.999) < l);
    double g[2], l2;
    assert_int_equal(model_loglik_grad(r->at, r->theta, X, &l2, g), SS_OK);
    assert_true(fabs(g[0]) / (double)n < 1e-6 && fabs(g[1]) / (double)n < 1e-6);
    assert_true(r->loglik >= full_loglik(m, t->theta, X, 2.5));
    assert_close(r->aic, -2 * r->loglik + 6, 1e-14, 0);
    assert_close(r->bic, -2 * r->loglik + 3 * log((double)n), 1e-14, 0);
    assert_close(r->mdl, -r->loglik + 1.5 * log((double)n), 1e-14, 0);
    assert_true(r->have_se);

    /* scale invariance: 3 x the series gives the same coefficients,
     * 9 x sigma2hat and the log-likelihood minus n log 3 */
    gsl_matrix *Y = gsl_matrix_alloc(n, 1);
    gsl_matrix_memcpy(Y, X);
    gsl_matrix_scale(Y, 3.0);
    fit_result *r3 = fit(m, Y, 4);
    assert_close(r3->theta[0], r->theta[0], 0, 1e-7);
    assert_close(r3->theta[1], r->theta[1], 0, 1e-7);
    assert_close(r3->scale, 9 * r->scale, 1e-8, 0);
    assert_close(r3->loglik, r->loglik - (double)n * log(3.0), 1e-10, 0);
    fit_result_free(r3);
    gsl_matrix_free(Y);
    fit_result_free(r);
    gsl_matrix_free(X);
    model_free(m);
    model_free(t);
}

/* The null model (every coefficient fixed; white noise for ar1 = 0) still
 * estimates sigma2: sigma2hat = sum x^2 / n and
 * l = -(n/2) (log(2 pi sigma2hat) + 1), with k = 0 + 1 in the criteria. */
static void test_null_profiled(void **state)
{
    (void)state;
    const double ar = 0.4, z = 0.0;
    model *t = arma(&ar, 1, &z, 0, 0.8), *w = arma(&z, 1, &z, 0, 1.0);
    w->is_free[0] = 0;
    size_t n = 300;
    gsl_matrix *X = series(t, n, 12);
    fit_result *r = fit(w, X, 1);
    double ss = 0;
    for (size_t i = 0; i < n; i++)
        ss += gsl_matrix_get(X, i, 0) * gsl_matrix_get(X, i, 0);
    assert_int_equal(r->k, 0);
    assert_int_equal(r->nscale, 1);
    assert_close(r->scale, ss / (double)n, 1e-13, 0);
    assert_close(r->loglik,
                 -0.5 * (double)n * (log(2 * M_PI * ss / (double)n) + 1),
                 1e-13, 0);
    assert_close(r->aic, -2 * r->loglik + 2, 1e-14, 0);
    fit_result_free(r);
    gsl_matrix_free(X);
    model_free(w);
    model_free(t);
}

/* The concentrated log-likelihood from the per-term filter alone
 * (model_loglik_grad at two variances: full(s2) = -(n/2) log(2 pi s2) -
 * L/2 - S/(2 s2) gives S and L), independent of kalman_sum. */
static double conc_terms(const model *m, const double *theta,
                         const gsl_matrix *X)
{
    double n = (double)X->size1;
    double f1 = full_loglik(m, theta, X, 1.0), f2 = full_loglik(m, theta, X, 2.0);
    double S = 4 * (0.5 * n * log(2.0) - f1 + f2);
    double L = -2 * (f1 + 0.5 * n * log(2 * M_PI) + 0.5 * S);
    return -0.5 * n * (log(2 * M_PI * S / n) + 1) - 0.5 * L;
}

/* `bound` on an ARMA(1,1) coefficient is kept. The truth (0.5, 0.6) lies
 * outside ma1 <= 0.3 and ar1 >= 0.6 (each bound separately): the
 * estimate lies on the bound exactly, is reported there without standard
 * errors, and equals the fit with that coefficient fixed on the bound
 * (the unbounded route in the other one) to 1e-9 in l and 1e-5 in the
 * other coefficient; no point of a grid over the box (spacing 0.02 by
 * 0.01, the likelihood from the per-term filter) is higher. ma1's range
 * -2..0.3 also checks the intersection with (-1, 1): -2 is open. A bound
 * that does not bind gives the unbounded fit (interior optimum, 1e-6). */
static void test_bounded(void **state)
{
    (void)state;
    const double ar = 0.5, ma = 0.6, a0 = 0.1, m0 = 0.1;
    model *t = arma(&ar, 1, &ma, 1, 1.0);
    size_t n = 1000;
    gsl_matrix *X = series(t, n, 21);
    fit_result *u = fit(t, X, 4);
    assert_true(fabs(u->theta[1] - ma) < 0.15 && u->theta[1] > 0.4);
    assert_true(u->bound[0] == 0);
    for (int c = 0; c < 2; c++) {
        /* c = 0: ma1 in [-2, 0.3] (upper end binds); c = 1: ar1 in
         * [0.6, 0.9] (lower end binds) */
        size_t bi = c == 0 ? 1 : 0, oi = 1 - bi;
        double lo = c == 0 ? -2 : 0.6, hi = c == 0 ? 0.3 : 0.9;
        double on = c == 0 ? hi : lo;
        double st[2] = {c == 0 ? a0 : 0.7, m0};
        model *m = arma(&st[0], 1, &st[1], 1, 1.0);
        assert_int_equal(model_bound(m, bi, lo, hi), SS_OK);
        fit_result *r = fit(m, X, 6);
        assert_true(r->converged);
        assert_true(r->theta[bi] == on);
        assert_non_null(strstr(r->bound, c == 0 ? "ma1" : "ar1"));
        assert_false(r->have_se);
        assert_non_null(strstr(r->se_why, "on a bound"));
        /* the same with the coefficient fixed on the bound */
        double fx[2];
        fx[bi] = on;
        fx[oi] = 0.2;
        model *f = arma(&fx[0], 1, &fx[1], 1, 1.0);
        f->is_free[bi] = 0;
        fit_result *rf = fit(f, X, 4);
        assert_close(r->loglik, rf->loglik, 1e-9, 0);
        assert_close(r->theta[oi], rf->theta[oi], 0, 1e-5);
        /* and no higher point of the box */
        double best = -INFINITY, gl = fmax(lo, -0.95), gh = fmin(hi, 0.95);
        for (double x = -0.95; x <= 0.951; x += 0.02)
            for (double y = gl; y <= gh + 1e-9; y += 0.01) {
                double th[2];
                th[oi] = x;
                th[bi] = y;
                if (fabs(th[0] + th[1]) < 1e-9)
                    continue; /* white noise: not in the filter's domain
                                 any less, but skip the line */
                best = fmax(best, conc_terms(m, th, X));
            }
        assert_true(r->loglik >= best - 1e-9 * fabs(best));
        assert_close(conc_terms(m, r->theta, X), r->loglik, 1e-10, 0);
        fit_result_free(rf);
        model_free(f);
        fit_result_free(r);
        model_free(m);
    }
    /* a bound that does not bind */
    model *m = arma(&a0, 1, &m0, 1, 1.0);
    assert_int_equal(model_bound(m, 1, -0.9, 0.9), SS_OK);
    fit_result *r = fit(m, X, 4);
    assert_true(r->bound[0] == 0);
    assert_close(r->theta[0], u->theta[0], 0, 1e-6);
    assert_close(r->theta[1], u->theta[1], 0, 1e-6);
    assert_close(r->loglik, u->loglik, 1e-12, 0);
    fit_result_free(r);
    model_free(m);
    fit_result_free(u);
    gsl_matrix_free(X);
    model_free(t);
}

/* A bound on one coefficient of a longer group is refused (not a box in
 * the partial autocorrelations), with the reason; an MA(1) part of an
 * ARMA(2,1) keeps its bound. */
static void test_bound_refused(void **state)
{
    (void)state;
    const double ar[2] = {0.5, -0.2}, ma = 0.6;
    model *m = arma(ar, 2, &ma, 1, 1.0);
    gsl_matrix *X = series(m, 300, 5);
    assert_int_equal(model_bound(m, 1, -0.5, 0.5), SS_OK);
    fit_spec sp = {.starts = 2, .seed = 1};
    fit_result *r = NULL;
    assert_int_equal(fit_run(m, X, &sp, &r), SS_ERR_USAGE);
    assert_null(r);
    assert_non_null(
        strstr(ss_last_error()->msg, "a bound on ar2 of an AR(2) group is "
                                     "not supported"));
    ss_clear_error();
    model_unbound(m, 1);
    m->theta[2] = 0.1; /* a bound contains the current value */
    assert_int_equal(model_bound(m, 2, -0.4, 0.4), SS_OK);
    r = fit(m, X, 4);
    assert_true(r->theta[2] >= -0.4 && r->theta[2] <= 0.4);
    assert_true(r->theta[2] == 0.4);
    fit_result_free(r);
    gsl_matrix_free(X);
    model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_steady_equals_full),
        cmocka_unit_test(test_sums_equal_terms),
        cmocka_unit_test(test_profiled),
        cmocka_unit_test(test_null_profiled),
        cmocka_unit_test(test_bounded),
        cmocka_unit_test(test_bound_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

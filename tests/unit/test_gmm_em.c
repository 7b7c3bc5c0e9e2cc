/* The gmm K = 2 EM step (the em_step hook, s known): its output against
 * the point-by-point implementation it replaced (kept here as the
 * reference: the formulas of theory.md section 2.1 in log space, sums in
 * long double, bit for bit), on random data and parameters, at the extremes of v, with
 * coincident means, odd block lengths and strided data; and its
 * log-likelihood against the family's loglik_terms. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/status.h"
#include "model/model.h"
#include "testutil.h"

#include <float.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { I_V, I_W1, I_W2, NP };

#define NPTS(a) (sizeof(a) / sizeof((a)[0]))

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

/* The previous em_step, point by point: responsibilities from the
 * log-odds e = d + logit v with d = (w2 - w1)(z1 + z2)/(2 s) factored,
 * t = e^{-|e|}, log p = log of the larger weighted density + log1p(t);
 * sums in long double; the M-step of theory.md section 8. Also returns
 * sum |log p_i| (the scale of the log-likelihood's rounding) and
 * max |x_i|. */
static void ref_em_step(const model *m, const double *th, const gsl_matrix *X,
                        double *out, double *ll_out, double *labs,
                        double *xmax)
{
    double v = th[I_V], w1 = th[I_W1], w2 = th[I_W2], s = m->opt[0];
    double u = w2 - w1, us = u / s, lv = log(v), l1v = log1p(-v);
    double logit = lv - l1v, lnorm = log(s) + 0.5 * log(2.0 * M_PI);
    int ex, pow2 = frexp(s, &ex) == 0.5;
    double inv = 1.0 / s;
    long double s1 = 0, s2 = 0, x1 = 0, x2 = 0, ll = 0, la = 0;
    double xm = 0;
    for (size_t i = 0; i < X->size1; i++) {
        double x = gsl_matrix_get(X, i, 0);
        double z1 = pow2 ? (x - w1) * inv : (x - w1) / s;
        double z2 = pow2 ? (x - w2) * inv : (x - w2) / s;
        double lphi1 = -0.5 * z1 * z1 - lnorm, lphi2 = -0.5 * z2 * z2 - lnorm;
        double d = u == 0.0 ? 0.0 : us * (0.5 * z1 + 0.5 * z2);
        double r1, r2, lp;
        if (v == 0.0) {
            r1 = 1.0, r2 = 0.0, lp = lphi1;
        } else if (v == 1.0) {
            r1 = 0.0, r2 = 1.0, lp = lphi2;
        } else {
            double e = d + logit;
            int pos = e >= 0.0;
            double t = exp(-fabs(e));
            double rb = 1.0 / (1.0 + t), rt = t * rb;
            r2 = pos ? rb : rt;
            r1 = pos ? rt : rb;
            lp = (pos ? lv + lphi2 : l1v + lphi1) + log1p(t);
        }
        s1 += r1;
        s2 += r2;
        x1 += r1 * x;
        x2 += r2 * x;
        ll += lp;
        la += fabsl((long double)lp);
        xm = fmax(xm, fabs(x));
    }
    for (int i = 0; i < NP; i++)
        out[i] = th[i];
    if (m->is_free[I_V]) {
        double vv = (double)(s2 / (s1 + s2));
        out[I_V] = vv < 0.0 ? 0.0 : vv > 1.0 ? 1.0 : vv;
    }
    if (m->is_free[I_W1] && s1 > 0)
        out[I_W1] = (double)(x1 / s1);
    if (m->is_free[I_W2] && s2 > 0)
        out[I_W2] = (double)(x2 / s2);
    *ll_out = (double)ll;
    *labs = (double)la;
    *xmax = xm;
}

/* em_step against the reference: the same bits (v, the means and the
 * log-likelihood; the fit's choice between starts and SQUAREM's between
 * the extrapolation and the plain steps compare log-likelihoods that can
 * differ in the last bit, so anything less would change fits), and the
 * log-likelihood against the family's loglik_terms (summed in another
 * order: to 1e-14, with slack 1e-14 sum |log p_i| for cancellation). */
static void same_step(const model *m, const gsl_matrix *X, const char *what)
{
    double a[NP], b[NP], la, lb, labs, xmax;
    ss_status st = model_gmm->em_step(m, m->theta, X, a, &la);
    if (st != SS_OK)
        print_error("%s: %s\n", what, ss_last_error()->msg);
    assert_int_equal(st, SS_OK);
    ref_em_step(m, m->theta, X, b, &lb, &labs, &xmax);
    char msg[160];
    snprintf(msg, sizeof msg, "%s (v %.17g w1 %.17g w2 %.17g s %g n %zu)",
             what, m->theta[I_V], m->theta[I_W1], m->theta[I_W2], m->opt[0],
             X->size1);
    if (!(la == lb || (isnan(la) && isnan(lb))))
        print_error("%s: loglik %.17g, reference %.17g\n", msg, la, lb);
    assert_true(la == lb || (isnan(la) && isnan(lb)));
    for (int j = 0; j < NP; j++) {
        if (!(a[j] == b[j] || (isnan(a[j]) && isnan(b[j]))))
            print_error("%s: parameter %d %.17g, reference %.17g\n", msg, j,
                        a[j], b[j]);
        assert_true(a[j] == b[j] || (isnan(a[j]) && isnan(b[j])));
    }
    double lt;
    assert_int_equal(model_loglik_grad(m, m->theta, X, &lt, NULL), SS_OK);
    if (isfinite(lt))
        assert_close_msg(la, lt, 1e-14, 1e-14 * labs, msg);
    (void)xmax;
}

static void test_em_step_random(void **state)
{
    (void)state;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 91);
    static const size_t ns[] = {1, 2, 3, 255, 256, 257, 511, 1000, 1001};
    static const double ss[] = {1.0, 0.7, 2.0, 1e-3, 1e3};
    for (int rep = 0; rep < 60; rep++) {
        size_t n = ns[rep % 9];
        double s = ss[rep % 5];
        double v = gsl_rng_uniform_pos(r);
        double w1 = gsl_ran_gaussian(r, 3 * s), w2 = gsl_ran_gaussian(r, 3 * s);
        if (rep % 7 == 3)
            w2 = w1; /* coincident means: d = 0 */
        model *m = make(s, v, w1, w2);
        /* the data: from the mixture, in the second column of a wider
         * matrix (stride 3) */
        gsl_matrix *W = gsl_matrix_alloc(n, 3);
        gsl_matrix_view X = gsl_matrix_submatrix(W, 0, 1, n, 1);
        for (size_t i = 0; i < n; i++)
            gsl_matrix_set(&X.matrix, i, 0,
                           (gsl_rng_uniform(r) < v ? w2 : w1) +
                               gsl_ran_gaussian(r, s));
        /* free flags: all, and each parameter fixed in turn */
        for (int fx = -1; fx < NP; fx++) {
            for (int j = 0; j < NP; j++)
                m->is_free[j] = j != fx;
            same_step(m, &X.matrix, "random");
        }
        gsl_matrix_free(W);
        model_free(m);
    }
    gsl_rng_free(r);
}

/* v at and next to 0 and 1, far-apart means, |x| >> s, a point whose
 * log-odds is exactly 0, values near the overflow limits. */
static void test_em_step_extremes(void **state)
{
    (void)state;
    static const double vs[] = {0.0,  4.9e-324, 1e-300, 1e-12, 0.5,
                                1 - 1e-12, 1 - 1e-16, 1.0};
    static const double us[] = {0.0, 1e-9, 1.94, -50.0, 700.0};
    static const double xs[] = {0.0, 1e3,  -1e3,   -0.73,  -0.73 + 0.97,
                                3.9, -5.2, 1e10,   -1e10,  0.24,
                                1e200, -1e200, 1e308, -DBL_MAX};
    gsl_matrix *X = gsl_matrix_alloc(NPTS(xs), 1);
    for (size_t k = 0; k < NPTS(vs); k++)
        for (size_t c = 0; c < NPTS(us); c++)
            for (size_t len = 1; len <= NPTS(xs); len++) {
                for (size_t i = 0; i < len; i++)
                    gsl_matrix_set(X, i, 0, xs[i]);
                gsl_matrix_view D = gsl_matrix_submatrix(X, 0, 0, len, 1);
                model *m = make(1.0, vs[k], -0.73, -0.73 + us[c]);
                same_step(m, &D.matrix, "extremes");
                model_free(m);
            }
    gsl_matrix_free(X);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_em_step_random),
        cmocka_unit_test(test_em_step_extremes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The one-compartment PK closed forms (design/pk.h) against independent
 * routes: numerical integration of the compartment ODEs (GSL odeiv2,
 * rk8pd, tight tolerances, doses applied as jumps or as a piecewise
 * constant infusion rate), central finite differences for the gradients,
 * the limit formula and its first-order expansion at ka = ke, quadrature
 * of the kernels' integral definitions, and the textbook formula in long
 * double for PopED's warfarin example (docs/theory.md section 15). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "model/pk.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_odeiv2.h>
#include <math.h>
#include <stdio.h>

#include "checkclose.h"

/* ---- the ODE route -------------------------------------------------------
 * y[0] the amount in the gut (oral only), y[1] the amount in the central
 * compartment; dy0 = -ka y0, dy1 = ka y0 - ke y1 + rate. Doses are jumps
 * between integration segments; the infusion rate is constant on each
 * segment (segments end at every dose and every infusion end). */
typedef struct {
    double ke, ka, rate;
} ode_par;

static int rhs(double t, const double y[], double dy[], void *p)
{
    (void)t;
    const ode_par *q = p;
    dy[0] = -q->ka * y[0];
    dy[1] = q->ka * y[0] - q->ke * y[1] + q->rate;
    return GSL_SUCCESS;
}

/* Concentration at t after n doses every tau (n = 1: one dose). */
static double ode_conc(const pk_dosing *d, size_t n, const double *th,
                       double t)
{
    if (t < 0)
        return 0;
    ode_par q = {th[PK_CL] / th[PK_V], th[PK_KA], 0};
    gsl_odeiv2_system sys = {rhs, NULL, 2, &q};
    /* rk8pd with 1e-13 relative / tiny absolute error per step: the global
     * error over the few thousand steps used here stays below ~1e-10. */
    gsl_odeiv2_driver *drv = gsl_odeiv2_driver_alloc_y_new(
        &sys, gsl_odeiv2_step_rk8pd, 1e-4, 1e-15 * d->dose, 1e-13);
    double y[2] = {0, 0}, now = 0;
    double tau = n > 1 ? d->tau : 0;
    for (;;) {
        /* doses given at 'now' */
        for (size_t j = 0; j < n; j++)
            if ((double)j * tau == now) {
                if (d->route == PK_ORAL)
                    y[0] += th[PK_F] * d->dose;
                else if (d->route == PK_BOLUS)
                    y[1] += d->dose;
            }
        if (now >= t)
            break;
        /* next event after now */
        double next = t;
        for (size_t j = 0; j < n; j++) {
            double a = (double)j * tau, b = a + d->tinf;
            if (a > now && a < next)
                next = a;
            if (d->route == PK_INFUSION && b > now && b < next)
                next = b;
        }
        q.rate = 0;
        if (d->route == PK_INFUSION) {
            double mid = 0.5 * (now + next);
            for (size_t j = 0; j < n; j++) {
                double a = (double)j * tau;
                if (mid > a && mid < a + d->tinf)
                    q.rate += d->dose / d->tinf;
            }
        }
        gsl_odeiv2_driver_reset(drv);
        int st = gsl_odeiv2_driver_apply(drv, &now, next, y);
        assert_int_equal(st, GSL_SUCCESS);
        now = next;
    }
    gsl_odeiv2_driver_free(drv);
    return y[1] / th[PK_V];
}

/* Steady state by the ODE: enough doses that the ones left out weigh less
 * than e^-40 of the sum, then the time s into the last interval. */
static double ode_steady(const pk_dosing *d, const double *th, double s)
{
    double ke = th[PK_CL] / th[PK_V];
    double m = d->route == PK_ORAL && th[PK_KA] < ke ? th[PK_KA] : ke;
    size_t n = (size_t)ceil(40 / (m * d->tau)) + 1;
    return ode_conc(d, n, th, (double)(n - 1) * d->tau + s);
}

static const double times[] = {0, 0.25, 1, 3, 7.5, 12, 24, 50};
#define NT (sizeof times / sizeof times[0])

/* (CL, V, KA, F): warfarin (ka >> ke), ka = 1.5 ke, flip-flop
 * (ka < ke), fast elimination */
static const double sets[][4] = {
    {0.15, 8, 1, 1}, {2, 10, 0.3, 0.7}, {5, 20, 0.1, 0.8}, {3, 2, 4, 0.5}};
#define NS (sizeof sets / sizeof sets[0])

/* ODE comparisons: rtol 1e-8 covers the integrator's global error
 * (~1e-10, see ode_conc) with margin; atol 1e-12 of the dose/V scale for
 * values at t = 0 and far in the tail. */
#define ODE_RTOL 1e-8

static void check_ode(const pk_dosing *d, const double *th, double t,
                      const char *what)
{
    double f = NAN;
    assert_int_equal(pk_conc(d, th, t, &f, NULL), SS_OK);
    double want = d->steady ? ode_steady(d, th, t)
                            : ode_conc(d, d->ndoses > 1 ? d->ndoses : 1, th,
                                       t);
    CHECK_CLOSE(f, want, ODE_RTOL, 1e-12 * d->dose / th[PK_V],
                "%s CL=%g V=%g KA=%g F=%g t=%g", what, th[0], th[1], th[2],
                th[3], t);
}

static void test_single_vs_ode(void **state)
{
    (void)state;
    for (int r = 0; r < 3; r++) {
        pk_dosing d = {r, 100, 0, 2, 1, 0};
        for (size_t i = 0; i < NS; i++)
            for (size_t k = 0; k < NT; k++)
                check_ode(&d, sets[i], times[k], "single");
        /* the end of the infusion itself */
        if (r == PK_INFUSION)
            for (size_t i = 0; i < NS; i++)
                check_ode(&d, sets[i], 2.0, "infusion end");
    }
}

static void test_multiple_vs_ode(void **state)
{
    (void)state;
    const double mt[] = {0, 5, 12, 13.5, 24, 30, 47.9, 48, 60, 100};
    for (int r = 0; r < 3; r++) {
        pk_dosing d = {r, 70, 12, 1.5, 5, 0};
        for (size_t i = 0; i < NS; i++)
            for (size_t k = 0; k < sizeof mt / sizeof mt[0]; k++)
                check_ode(&d, sets[i], mt[k], "multiple");
    }
}

static void test_steady_vs_ode(void **state)
{
    (void)state;
    const double st[] = {0, 0.5, 2, 6, 11.9};
    for (int r = 0; r < 2; r++) {
        pk_dosing d = {r, 70, 12, 0, 0, 1};
        for (size_t i = 0; i < NS; i++)
            for (size_t k = 0; k < sizeof st / sizeof st[0]; k++)
                check_ode(&d, sets[i], st[k], "steady");
    }
    /* read modulo tau: t and t + 3 tau give the same value */
    pk_dosing d = {PK_ORAL, 70, 12, 0, 0, 1};
    double a, b;
    assert_int_equal(pk_conc(&d, sets[0], 5, &a, NULL), SS_OK);
    assert_int_equal(pk_conc(&d, sets[0], 41, &b, NULL), SS_OK);
    CHECK_CLOSE(b, a, 1e-14, 0, "steady periodic");
}

/* ---- gradients ---------------------------------------------------------
 * Central differences with h = 1e-5 θ_i: truncation h² f'''/6 is ~1e-10
 * relative per unit of (θ ∂/∂θ)³ log f, at most ~1e3 here (ke t up to ~75
 * but e^{-ke t} then makes f tiny and the atol term takes over), and
 * rounding eps/h ~ 1e-11; rtol 1e-6 on the scale |∂f| + f/θ_i leaves
 * margin while a wrong factor (ke/V, a sign) fails by orders. */
static void check_grad(const pk_dosing *d, const double *th, double t,
                       const char *what)
{
    double f, g[PK_NPAR];
    assert_int_equal(pk_conc(d, th, t, &f, g), SS_OK);
    for (int i = 0; i < PK_NPAR; i++) {
        assert_true(isfinite(g[i]));
        double tp[4] = {th[0], th[1], th[2], th[3]};
        double tm[4] = {th[0], th[1], th[2], th[3]};
        double h = 1e-5 * th[i];
        tp[i] += h;
        tm[i] -= h;
        double fp, fm;
        assert_int_equal(pk_conc(d, tp, t, &fp, NULL), SS_OK);
        assert_int_equal(pk_conc(d, tm, t, &fm, NULL), SS_OK);
        double fd = (fp - fm) / (tp[i] - tm[i]);
        double scale = fabs(fd) + fabs(f) / th[i] +
                       1e-12 * d->dose / th[PK_V] / th[i];
        if (fabs(g[i] - fd) > 1e-6 * scale) {
            print_error("%s route %d param %d CL=%g V=%g KA=%g t=%g: "
                        "grad %.15g fd %.15g\n",
                        what, d->route, i, th[0], th[1], th[2], t, g[i], fd);
            fail();
        }
    }
}

static void test_gradients(void **state)
{
    (void)state;
    for (int r = 0; r < 3; r++) {
        pk_dosing single = {r, 100, 0, 2, 1, 0};
        pk_dosing multi = {r, 70, 12, 1.5, 5, 0};
        pk_dosing ss = {r, 70, 12, 0, 0, 1};
        for (size_t i = 0; i < NS; i++)
            for (size_t k = 1; k < NT; k++) {
                check_grad(&single, sets[i], times[k], "single");
                check_grad(&multi, sets[i], times[k] + 30, "multiple");
                if (r != PK_INFUSION)
                    check_grad(&ss, sets[i], times[k] / 5, "steady");
            }
        /* KA and F are not parameters of bolus and infusion */
        if (r != PK_ORAL) {
            double f, g[4];
            assert_int_equal(pk_conc(&single, sets[0], 3, &f, g), SS_OK);
            assert_true(g[PK_KA] == 0 && g[PK_F] == 0);
        }
    }
}

/* ---- the flip-flop point ka = ke ----------------------------------------
 * ke = 0.25. At equality the oral curve is D F ke t e^{-ke t}/V; its
 * ka-derivative there is D F t e^{-ke t}/V (1 - ke t/2) (differentiate
 * ka·t e^{-ke t} φ((ka-ke)t) with φ'(0) = -1/2). At |δ| = 1e-8 the
 * first-order expansion is exact to (δ ke t)² ~ 1e-14, so rtol 1e-12;
 * further out the ODE decides. */
static void test_flip_flop(void **state)
{
    (void)state;
    const double cl = 2, v = 8, ke = cl / v, D = 100, F = 0.9;
    const double del[] = {0, 1e-8, -1e-8, 1e-4, -1e-4, 1e-2, -1e-2};
    const double tt[] = {0.1, 1, 4, 10, 30};
    pk_dosing d = {PK_ORAL, D, 0, 0, 1, 0};
    pk_dosing ss = {PK_ORAL, D, 12, 0, 0, 1};
    pk_dosing multi = {PK_ORAL, D, 12, 0, 3, 0};
    for (size_t i = 0; i < sizeof del / sizeof del[0]; i++) {
        double th[4] = {cl, v, ke * (1 + del[i]), F};
        for (size_t k = 0; k < sizeof tt / sizeof tt[0]; k++) {
            double t = tt[k], f, g[4];
            assert_int_equal(pk_conc(&d, th, t, &f, g), SS_OK);
            double lim = D * F * ke * t * exp(-ke * t) / v;
            double slope = D * F * t * exp(-ke * t) / v * (1 - ke * t / 2);
            if (del[i] == 0) {
                CHECK_CLOSE(f, lim, 1e-14, 0, "limit t=%g", t);
                CHECK_CLOSE(g[PK_KA], slope, 1e-13, 0, "limit slope t=%g",
                            t);
            }
            if (fabs(del[i]) <= 1e-8)
                CHECK_CLOSE(f, lim + slope * (th[PK_KA] - ke), 1e-12, 0,
                            "expansion delta=%g t=%g", del[i], t);
            check_ode(&d, th, t, "flip-flop");
            check_grad(&d, th, t, "flip-flop");
            check_ode(&multi, th, t + 20, "flip-flop multiple");
            check_grad(&multi, th, t + 20, "flip-flop multiple");
            check_ode(&ss, th, fmod(t, 12), "flip-flop steady");
            check_grad(&ss, th, fmod(t, 12), "flip-flop steady");
        }
    }
}

/* ---- PopED's warfarin example --------------------------------------------
 * CL 0.15, V 8, KA 1, F 1, dose 70: the textbook formula in long double
 * (ka - ke = 0.98125, no cancellation), so the double closed form must
 * agree to a few ulp: rtol 1e-14. */
static void test_warfarin(void **state)
{
    (void)state;
    const double tw[] = {0.5, 1, 2, 6, 24, 36, 72, 120};
    const double th[4] = {0.15, 8, 1, 1};
    pk_dosing d = {PK_ORAL, 70, 0, 0, 1, 0};
    double fmax = 0;
    for (size_t k = 0; k < sizeof tw / sizeof tw[0]; k++) {
        long double ke = 0.15L / 8, ka = 1, t = tw[k];
        long double want = 70.0L * ka / (8 * (ka - ke)) *
                           (expl(-ke * t) - expl(-ka * t));
        double f;
        assert_int_equal(pk_conc(&d, th, tw[k], &f, NULL), SS_OK);
        CHECK_CLOSE(f, (double)want, 1e-14, 0, "warfarin t=%g", tw[k]);
        check_ode(&d, th, tw[k], "warfarin");
        check_grad(&d, th, tw[k], "warfarin");
        if (f > fmax)
            fmax = f;
    }
    /* the sampled peak is below D/V = 8.75 (all the dose in V at once) */
    assert_true(fmax > 0 && fmax < 70.0 / 8);
}

/* ---- the kernels ----------------------------------------------------------
 * Against adaptive quadrature of their integral definitions (QAG, 61
 * points, relative error 2e-14 asked for, near the 50 eps floor QAG accepts): rtol 1e-13 on both sides of the
 * series/closed-form switch at x = 1. */
typedef struct {
    double x;
    int which;
} kern_par;

static double kern(double u, void *p)
{
    const kern_par *k = p;
    double w = k->which == 0 ? 1 : k->which == 1 ? 1 - u : u;
    return w * exp(-k->x * u);
}

static void test_kernels(void **state)
{
    (void)state;
    const double xs[] = {0, 1e-300, 1e-10, 1e-3, 0.5, 0.999999, 1,
                         1.000001, 3, 20, 300};
    gsl_integration_workspace *w = gsl_integration_workspace_alloc(200);
    for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++)
        for (int which = 0; which < 3; which++) {
            kern_par kp = {xs[i], which};
            gsl_function fn = {kern, &kp};
            double want, err;
            int st = gsl_integration_qag(&fn, 0, 1, 0, 2e-14, 200,
                                         GSL_INTEG_GAUSS61, w, &want, &err);
            assert_int_equal(st, GSL_SUCCESS);
            double got = which == 0   ? pk_phi(xs[i])
                         : which == 1 ? pk_psi(xs[i])
                                      : pk_chi(xs[i]);
            CHECK_CLOSE(got, want, 1e-13, 0, "kernel %d x=%g", which, xs[i]);
        }
    gsl_integration_workspace_free(w);
}

/* ---- edges and refusals ---------------------------------------------------- */
static void test_edges(void **state)
{
    (void)state;
    const double th[4] = {1, 5, 2, 0.8};
    for (int r = 0; r < 3; r++) {
        pk_dosing d = {r, 10, 0, 1, 1, 0};
        double f = 1, g[4] = {1, 1, 1, 1};
        /* before the dose: nothing */
        assert_int_equal(pk_conc(&d, th, -0.5, &f, g), SS_OK);
        assert_true(f == 0 && g[0] == 0 && g[1] == 0 && g[2] == 0 &&
                    g[3] == 0);
        /* at the dose: D/V for a bolus, nothing yet otherwise */
        assert_int_equal(pk_conc(&d, th, 0, &f, g), SS_OK);
        assert_true(f == (r == PK_BOLUS ? 10.0 / 5 : 0.0));
        for (int i = 0; i < 4; i++)
            assert_true(isfinite(g[i]));
    }
    /* a second bolus counts from its own time on */
    pk_dosing b = {PK_BOLUS, 10, 6, 0, 2, 0};
    double f0, f1;
    assert_int_equal(pk_conc(&b, th, 6, &f1, NULL), SS_OK);
    f0 = 10.0 / 5 * exp(-0.2 * 6) + 10.0 / 5;
    CHECK_CLOSE(f1, f0, 1e-15, 0, "second bolus");
}

static void test_refusals(void **state)
{
    (void)state;
    const double good[4] = {1, 5, 2, 0.8};
    struct {
        pk_dosing d;
        double th[4];
        double t;
    } bad[] = {
        {{PK_ORAL, 10, 0, 0, 1, 0}, {0, 5, 2, 0.8}, 1},
        {{PK_ORAL, 10, 0, 0, 1, 0}, {-1, 5, 2, 0.8}, 1},
        {{PK_ORAL, 10, 0, 0, 1, 0}, {1, 0, 2, 0.8}, 1},
        {{PK_ORAL, 10, 0, 0, 1, 0}, {1, 5, 0, 0.8}, 1},
        {{PK_ORAL, 10, 0, 0, 1, 0}, {1, 5, 2, -0.1}, 1},
        {{PK_ORAL, 10, 0, 0, 1, 0}, {1, NAN, 2, 0.8}, 1},
        {{PK_ORAL, 10, 0, 0, 1, 0}, {1, 5, 2, 0.8}, NAN},
        {{PK_ORAL, -1, 0, 0, 1, 0}, {1, 5, 2, 0.8}, 1},
        {{PK_ORAL, 10, 0, 0, 3, 0}, {1, 5, 2, 0.8}, 1},
        {{PK_ORAL, 10, -2, 0, 3, 0}, {1, 5, 2, 0.8}, 1},
        {{PK_BOLUS, 10, 0, 0, 0, 1}, {1, 5, 2, 0.8}, 1},
        {{PK_INFUSION, 10, 0, 0, 1, 0}, {1, 5, 2, 0.8}, 1},
        {{PK_INFUSION, 10, 0, -1, 1, 0}, {1, 5, 2, 0.8}, 1},
        {{PK_INFUSION, 10, 12, 1, 0, 1}, {1, 5, 2, 0.8}, 1},
        {{7, 10, 0, 0, 1, 0}, {1, 5, 2, 0.8}, 1},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double f = 42, g[4] = {42, 42, 42, 42};
        ss_clear_error();
        ss_status st = pk_conc(&bad[i].d, bad[i].th, bad[i].t, &f, g);
        if (st == SS_OK) {
            print_error("case %zu accepted\n", i);
            fail();
        }
        assert_true(ss_last_error()->msg[0] != '\0');
        assert_true(f == 42 && g[0] == 42 && g[3] == 42);
    }
    /* KA and F do not matter off the oral route */
    pk_dosing d = {PK_BOLUS, 10, 0, 0, 1, 0};
    double th[4] = {good[0], good[1], -1, NAN}, f;
    assert_int_equal(pk_conc(&d, th, 1, &f, NULL), SS_OK);
    CHECK_CLOSE(f, 2 * exp(-0.2), 1e-15, 0, "bolus ignores KA, F");
}

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kernels),
        cmocka_unit_test(test_single_vs_ode),
        cmocka_unit_test(test_multiple_vs_ode),
        cmocka_unit_test(test_steady_vs_ode),
        cmocka_unit_test(test_gradients),
        cmocka_unit_test(test_flip_flop),
        cmocka_unit_test(test_warfarin),
        cmocka_unit_test(test_edges),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The two-compartment PK closed forms (model/pk2.h) against independent
 * routes: numerical integration of the three compartment ODEs (gut,
 * central, peripheral; GSL odeiv2 rk8pd, doses as jumps, the infusion as a
 * piecewise constant rate), the steady state as the periodic solution of
 * the ODE's one-interval map (a 3x3 linear solve), central finite
 * differences for the gradients, the one-compartment pk_conc at Q = 0,
 * and the divided-difference kernel against its definitions
 * (docs/theory.md section 15.1). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "model/pk.h"
#include "model/pk2.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_odeiv2.h>
#include <math.h>
#include <stdio.h>

#include "checkclose.h"

/* ---- the ODE route -------------------------------------------------------
 * y[0] gut, y[1] central, y[2] peripheral amounts:
 * y0' = -ka y0, y1' = ka y0 - (k10 + k12) y1 + k21 y2 + rate,
 * y2' = k12 y1 - k21 y2. */
typedef struct {
    double k10, k12, k21, ka, rate;
} ode_par;

static int rhs(double t, const double y[], double dy[], void *p)
{
    (void)t;
    const ode_par *q = p;
    dy[0] = -q->ka * y[0];
    dy[1] = q->ka * y[0] - (q->k10 + q->k12) * y[1] + q->k21 * y[2] +
            q->rate;
    dy[2] = q->k12 * y[1] - q->k21 * y[2];
    return GSL_SUCCESS;
}

static ode_par par_of(const double *th)
{
    ode_par q = {th[PK2_CL] / th[PK2_V1], th[PK2_Q] / th[PK2_V1],
                 th[PK2_Q] / th[PK2_V2], th[PK2_KA], 0};
    return q;
}

/* rk8pd with 1e-13 relative / 1e-15 dose absolute error per step: the
 * global error over the few thousand steps used here stays near 1e-11. */
static gsl_odeiv2_driver *driver(gsl_odeiv2_system *sys, double scale)
{
    return gsl_odeiv2_driver_alloc_y_new(sys, gsl_odeiv2_step_rk8pd, 1e-4,
                                         1e-15 * scale, 1e-13);
}

/* Amounts at t after n doses every tau (n = 1: one dose), from y = 0. */
static void ode_amounts(const pk_dosing *d, size_t n, const double *th,
                        double t, double y[3])
{
    y[0] = y[1] = y[2] = 0;
    if (t < 0)
        return;
    ode_par q = par_of(th);
    gsl_odeiv2_system sys = {rhs, NULL, 3, &q};
    gsl_odeiv2_driver *drv = driver(&sys, d->dose);
    double now = 0, tau = n > 1 ? d->tau : 0;
    for (;;) {
        for (size_t j = 0; j < n; j++)
            if ((double)j * tau == now) {
                if (d->route == PK_ORAL)
                    y[0] += th[PK2_F] * d->dose;
                else if (d->route == PK_BOLUS)
                    y[1] += d->dose;
            }
        if (now >= t)
            break;
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
}

static double ode_conc(const pk_dosing *d, size_t n, const double *th,
                       double t)
{
    double y[3];
    ode_amounts(d, n, th, t, y);
    return y[1] / th[PK2_V1];
}

/* Flow the ODE (no input) over [0, s] from y. */
static void flow(const double *th, double s, double y[3], double scale)
{
    if (s <= 0)
        return;
    ode_par q = par_of(th);
    gsl_odeiv2_system sys = {rhs, NULL, 3, &q};
    gsl_odeiv2_driver *drv = driver(&sys, scale);
    double now = 0;
    assert_int_equal(gsl_odeiv2_driver_apply(drv, &now, s, y), GSL_SUCCESS);
    gsl_odeiv2_driver_free(drv);
}

/* Steady state (oral or bolus) as the periodic orbit: with Φ the flow over
 * one interval (its columns from the unit vectors) and b the dose vector,
 * the state just before a dose solves y = Φ(y + b), i.e.
 * (I - Φ) y = Φ b; then flow y + b for s. Independent of the closed form's
 * accumulation factors; I - Φ has condition ~1/(beta tau), a few hundred
 * at most here, so ~1e-11 stays below the 1e-8 asked. */
static double ode_steady(const pk_dosing *d, const double *th, double s)
{
    double phi[9], b[3] = {0, 0, 0};
    if (d->route == PK_ORAL)
        b[0] = th[PK2_F] * d->dose;
    else
        b[1] = d->dose;
    for (int j = 0; j < 3; j++) {
        double e[3] = {0, 0, 0};
        e[j] = 1;
        flow(th, d->tau, e, 1);
        for (int i = 0; i < 3; i++)
            phi[i * 3 + j] = e[i];
    }
    double amat[9], rhsv[3], x[3];
    for (int i = 0; i < 3; i++) {
        rhsv[i] = 0;
        for (int j = 0; j < 3; j++) {
            amat[i * 3 + j] = (i == j) - phi[i * 3 + j];
            rhsv[i] += phi[i * 3 + j] * b[j];
        }
    }
    gsl_matrix_view A = gsl_matrix_view_array(amat, 3, 3);
    gsl_vector_view B = gsl_vector_view_array(rhsv, 3);
    gsl_vector_view X = gsl_vector_view_array(x, 3);
    gsl_permutation *p = gsl_permutation_alloc(3);
    int sg;
    assert_int_equal(gsl_linalg_LU_decomp(&A.matrix, p, &sg), GSL_SUCCESS);
    assert_int_equal(gsl_linalg_LU_solve(&A.matrix, p, &B.vector, &X.vector),
                     GSL_SUCCESS);
    gsl_permutation_free(p);
    for (int i = 0; i < 3; i++)
        x[i] += b[i];
    flow(th, s, x, d->dose);
    return x[1] / th[PK2_V1];
}

/* (CL, V1, Q, V2, KA, F). Micro rates k10 = 0.2, k12 = 0.3, k21 = 0.1
 * give alpha = 0.5646, beta = 0.03542 for the first three; KA = 5 (far
 * above alpha), 0.2 (between), 0.02 (flip-flop, below beta); then a small
 * Q (beta ~ 5e-4, the peripheral barely reached) with fast absorption,
 * a strongly peripheral drug (V2 = 10 V1), and nearly equal macro rates
 * (k10 = k21 = 1, k12 = 1e-4: alpha - beta = 0.02, where the textbook
 * coefficients 1/(alpha - beta) start to cancel). */
static const double sets[][6] = {
    {2, 10, 3, 30, 5, 0.8},    {2, 10, 3, 30, 0.2, 0.8},
    {2, 10, 3, 30, 0.02, 0.8}, {2, 10, 0.01, 20, 1, 1},
    {1, 4, 6, 40, 1.5, 0.6},   {1, 1, 1e-4, 1e-4, 0.5, 1},
};
#define NS (sizeof sets / sizeof sets[0])

static const double times[] = {0, 0.25, 1, 3, 7.5, 12, 24, 50, 150};
#define NT (sizeof times / sizeof times[0])

/* rtol 1e-8 covers the integrator's global error (~1e-11) with margin;
 * atol 1e-12 of D/V1 for values at t = 0 and in the deep tail. */
#define ODE_RTOL 1e-8

static void check_ode(const pk_dosing *d, const double *th, double t,
                      const char *what)
{
    double f = NAN;
    assert_int_equal(pk2_conc(d, th, t, &f, NULL), SS_OK);
    double want = d->steady ? ode_steady(d, th, t)
                            : ode_conc(d, d->ndoses > 1 ? d->ndoses : 1, th,
                                       t);
    CHECK_CLOSE(f, want, ODE_RTOL, 1e-12 * d->dose / th[PK2_V1],
                "%s route %d CL=%g V1=%g Q=%g V2=%g KA=%g t=%g", what,
                d->route, th[0], th[1], th[2], th[3], th[4], t);
}

static void test_single_vs_ode(void **state)
{
    (void)state;
    for (int r = 0; r < 3; r++) {
        pk_dosing d = {r, 100, 0, 2, 1, 0};
        for (size_t i = 0; i < NS; i++) {
            for (size_t k = 0; k < NT; k++)
                check_ode(&d, sets[i], times[k], "single");
            if (r == PK_INFUSION)
                check_ode(&d, sets[i], 2.0, "infusion end");
        }
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
    /* read modulo tau */
    pk_dosing d = {PK_ORAL, 70, 12, 0, 0, 1};
    double a, b;
    assert_int_equal(pk2_conc(&d, sets[0], 5, &a, NULL), SS_OK);
    assert_int_equal(pk2_conc(&d, sets[0], 41, &b, NULL), SS_OK);
    CHECK_CLOSE(b, a, 1e-14, 0, "steady periodic");
}

/* ---- superposition and the steady state as a limit ----------------------
 * The closed forms against themselves by linearity: n doses equal the sum
 * of single doses shifted by j tau (sums of positive terms, so 1e-13);
 * steady state equals enough doses that the rest weigh under e^-40 (the
 * slowest mode beta or ka), to 1e-11 (the sum of ~100 terms). */
static void test_superposition(void **state)
{
    (void)state;
    for (int r = 0; r < 3; r++)
        for (size_t i = 0; i < NS; i++) {
            pk_dosing one = {r, 70, 0, 1.5, 1, 0};
            pk_dosing many = {r, 70, 12, 1.5, 6, 0};
            const double tt[] = {3, 30, 61, 100};
            for (size_t k = 0; k < 4; k++) {
                double sum = 0, f, g;
                for (int j = 0; j < 6; j++) {
                    double s = tt[k] - 12.0 * j;
                    if (s < 0)
                        break;
                    assert_int_equal(pk2_conc(&one, sets[i], s, &g, NULL),
                                     SS_OK);
                    sum += g;
                }
                assert_int_equal(pk2_conc(&many, sets[i], tt[k], &f, NULL),
                                 SS_OK);
                CHECK_CLOSE(f, sum, 1e-13, 0, "superposition set %zu t=%g",
                            i, tt[k]);
            }
            if (r == PK_INFUSION || i == 3)
                continue; /* no steady infusion; set 3: beta tau ~ 6e-3 */
            double th[6];
            for (int j = 0; j < 6; j++)
                th[j] = sets[i][j];
            double be, al;
            pk2_macro(th[0] / th[1], th[2] / th[1], th[2] / th[3], &al, &be);
            double slow = r == PK_ORAL && th[PK2_KA] < be ? th[PK2_KA] : be;
            size_t n = (size_t)ceil(40 / (slow * 12)) + 1;
            pk_dosing ss = {r, 70, 12, 0, 0, 1};
            pk_dosing nd = {r, 70, 12, 0, n, 0};
            for (double s = 0; s < 12; s += 2.5) {
                double f1, f2;
                assert_int_equal(pk2_conc(&ss, th, s, &f1, NULL), SS_OK);
                assert_int_equal(
                    pk2_conc(&nd, th, (double)(n - 1) * 12 + s, &f2, NULL),
                    SS_OK);
                CHECK_CLOSE(f1, f2, 1e-11, 0, "steady = %zu doses s=%g", n,
                            s);
            }
        }
}

/* ---- gradients ---------------------------------------------------------
 * Central differences with h = 1e-5 θ_i: truncation h² f'''/6 ~ 1e-10
 * relative per unit of (θ ∂/∂θ)³ log f, rounding eps/h ~ 1e-11; rtol 1e-6
 * on the scale |∂f| + f/θ_i (plus 1e-12 D/V1/θ_i for the tails) leaves
 * margin while a wrong factor or sign fails by orders. */
static void check_grad(const pk_dosing *d, const double *th, double t,
                       const char *what)
{
    double f, g[PK2_NPAR];
    assert_int_equal(pk2_conc(d, th, t, &f, g), SS_OK);
    for (int i = 0; i < PK2_NPAR; i++) {
        assert_true(isfinite(g[i]));
        if (th[i] == 0)
            continue; /* Q = 0: the one-sided test is in test_q_zero */
        double tp[6], tm[6];
        for (int j = 0; j < 6; j++)
            tp[j] = tm[j] = th[j];
        double h = 1e-5 * th[i];
        tp[i] += h;
        tm[i] -= h;
        double fp, fm;
        assert_int_equal(pk2_conc(d, tp, t, &fp, NULL), SS_OK);
        assert_int_equal(pk2_conc(d, tm, t, &fm, NULL), SS_OK);
        double fd = (fp - fm) / (tp[i] - tm[i]);
        double scale = fabs(fd) + fabs(f) / th[i] +
                       1e-12 * d->dose / th[PK2_V1] / th[i];
        if (fabs(g[i] - fd) > 1e-6 * scale) {
            print_error("%s route %d param %d CL=%g V1=%g Q=%g V2=%g KA=%g "
                        "t=%g: grad %.15g fd %.15g\n",
                        what, d->route, i, th[0], th[1], th[2], th[3], th[4],
                        t, g[i], fd);
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
                    check_grad(&ss, sets[i], times[k] / 13, "steady");
            }
        if (r != PK_ORAL) {
            double f, g[6];
            assert_int_equal(pk2_conc(&single, sets[0], 3, &f, g), SS_OK);
            assert_true(g[PK2_KA] == 0 && g[PK2_F] == 0);
        }
    }
}

/* ---- KA at a macro rate ---------------------------------------------------
 * KA = alpha(1 + δ) and beta(1 + δ): the textbook oral formula divides by
 * KA - alpha or KA - beta. Against the ODE (1e-8) and differences (1e-6);
 * and at δ = 0 the value must be the midpoint of δ = ±1e-8 to 1e-13 (the
 * curve is smooth in KA, so the midpoint differs by O(δ²) ~ 1e-16 times
 * (KA t)² f; a formula losing digits as eps/|KA - alpha| is off by 1e-8). */
static void test_coincident(void **state)
{
    (void)state;
    const double base[6] = {2, 10, 3, 30, 0, 0.8};
    double al, be;
    pk2_macro(0.2, 0.3, 0.1, &al, &be);
    const double del[] = {0, 1e-8, -1e-8, 1e-4, -1e-4, 1e-2, -1e-2};
    const double tt[] = {0.1, 1, 4, 10, 30, 80};
    pk_dosing d = {PK_ORAL, 100, 0, 0, 1, 0};
    pk_dosing multi = {PK_ORAL, 100, 12, 0, 3, 0};
    pk_dosing ss = {PK_ORAL, 100, 12, 0, 0, 1};
    for (int which = 0; which < 2; which++) {
        double node = which == 0 ? al : be;
        for (size_t i = 0; i < sizeof del / sizeof del[0]; i++) {
            double th[6];
            for (int j = 0; j < 6; j++)
                th[j] = base[j];
            th[PK2_KA] = node * (1 + del[i]);
            for (size_t k = 0; k < sizeof tt / sizeof tt[0]; k++) {
                double t = tt[k];
                check_ode(&d, th, t, "coincident");
                check_grad(&d, th, t, "coincident");
                check_ode(&multi, th, t + 20, "coincident multiple");
                check_grad(&multi, th, t + 20, "coincident multiple");
                check_ode(&ss, th, fmod(t, 12), "coincident steady");
                check_grad(&ss, th, fmod(t, 12), "coincident steady");
                if (del[i] != 0)
                    continue;
                const pk_dosing *ds[3] = {&d, &multi, &ss};
                double ts[3] = {t, t + 20, fmod(t, 12)};
                for (int m = 0; m < 3; m++) {
                    double f0, fp, fm, g0[6], gp[6], gm[6];
                    double tp[6], tm[6];
                    for (int j = 0; j < 6; j++)
                        tp[j] = tm[j] = th[j];
                    tp[PK2_KA] = node * (1 + 1e-8);
                    tm[PK2_KA] = node * (1 - 1e-8);
                    assert_int_equal(pk2_conc(ds[m], th, ts[m], &f0, g0),
                                     SS_OK);
                    assert_int_equal(pk2_conc(ds[m], tp, ts[m], &fp, gp),
                                     SS_OK);
                    assert_int_equal(pk2_conc(ds[m], tm, ts[m], &fm, gm),
                                     SS_OK);
                    CHECK_CLOSE(f0, 0.5 * (fp + fm), 1e-13, 0,
                                "midpoint node %d mode %d t=%g", which, m, t);
                    /* the gradient too: O(δ) ~ 1e-8 changes at most */
                    for (int j = 0; j < 6; j++)
                        CHECK_CLOSE(g0[j], 0.5 * (gp[j] + gm[j]), 1e-9,
                                    1e-15, "gradient midpoint %d", j);
                }
            }
        }
    }
}

/* ---- the one-compartment limit ------------------------------------------
 * At Q = 0 the peripheral compartment is cut off: beta = 0, alpha = CL/V1
 * and f is pk_conc with (CL, V1, KA, F), to rounding (1e-13: different
 * formulas for the same sums). Its gradient: CL, V1, KA, F entries as
 * pk_conc's, dV2 = 0, and dQ (one-sided) equal to pk_conc's dCL: to
 * first order in Q the drug that leaves for the periphery does not come
 * back (a finite difference in Q is useless in the tail, where the O(Q²)
 * return flux dominates the tiny central amount for any usable step).
 * Q -> 0 with V2 -> oo: Q = 1e-9, V2 = 1e9 moves f by O(Q t / V1) ~ 1e-8
 * relative at most here, so 1e-6, plus 1e-12 D/V1 absolute: deep in
 * the one-compartment tail (e^{-75}) the slow return from the periphery,
 * O(Q²), is all that is left, which is the model, not an error. */
static void test_q_zero(void **state)
{
    (void)state;
    const double th1[][4] = {{2, 10, 1, 0.8}, {2, 10, 0.2, 0.8},
                             {2, 10, 0.2, 1}, {3, 2, 4, 0.5}};
    for (int r = 0; r < 3; r++)
        for (size_t i = 0; i < 4; i++) {
            double th2[6] = {th1[i][0], th1[i][1], 0, 7, th1[i][2],
                             th1[i][3]};
            double thb[6] = {th1[i][0], th1[i][1], 1e-9, 1e9, th1[i][2],
                             th1[i][3]};
            pk_dosing ds[2] = {{r, 50, 0, 1.5, 1, 0}, {r, 50, 8, 1.5, 4, 0}};
            for (int m = 0; m < 2; m++)
                for (size_t k = 0; k < NT; k++) {
                    double t = times[k], f1, g1[4], f2, g2[6], fb;
                    assert_int_equal(pk_conc(&ds[m], th1[i], t, &f1, g1),
                                     SS_OK);
                    assert_int_equal(pk2_conc(&ds[m], th2, t, &f2, g2),
                                     SS_OK);
                    assert_int_equal(pk2_conc(&ds[m], thb, t, &fb, NULL),
                                     SS_OK);
                    CHECK_CLOSE(f2, f1, 1e-13, 1e-300, "Q=0 r=%d t=%g", r, t);
                    CHECK_CLOSE(fb, f1, 1e-6, 1e-12 * 50 / th1[i][1],
                                "Q->0 r=%d t=%g", r, t);
                    CHECK_CLOSE(g2[PK2_CL], g1[PK_CL], 1e-12, 1e-300,
                                "dCL");
                    CHECK_CLOSE(g2[PK2_V1], g1[PK_V], 1e-12, 1e-300, "dV");
                    CHECK_CLOSE(g2[PK2_KA], g1[PK_KA], 1e-12, 1e-300,
                                "dKA");
                    CHECK_CLOSE(g2[PK2_F], g1[PK_F], 1e-12, 1e-300, "dF");
                    assert_true(g2[PK2_V2] == 0);
                    /* to first order in Q what leaves for the periphery
                     * never returns (the return flux k21 A2 is O(Q²)), so
                     * Q acts as extra clearance: df/dQ = df1/dCL */
                    CHECK_CLOSE(g2[PK2_Q], g1[PK_CL], 1e-12, 1e-300,
                                "dQ at Q=0 r=%d t=%g", r, t);
                }
        }
}

/* ---- the kernel -----------------------------------------------------------
 * pk2_edd against: all nodes equal, e_t[y,..,y] = (-t)^{n-1} e^{-yt}/(n-1)!
 * (1e-14); well separated nodes (gaps >= 0.3/t), the explicit sum
 * Σ_i e^{-y_i t}/Π_{j≠i}(y_i - y_j) in long double (1e-12: that sum loses
 * a few digits itself at these gaps, long double keeps 1e-15); one node
 * moved by ε = 1e-9: the first-order Taylor expansion in ε (next term
 * ε² ~ 1e-18, so 1e-13). */
static void test_kernel(void **state)
{
    (void)state;
    const double ts[] = {0, 0.3, 1, 7, 40};
    for (size_t a = 0; a < sizeof ts / sizeof ts[0]; a++) {
        double t = ts[a];
        for (int n = 1; n <= 6; n++) {
            double y[6];
            for (int i = 0; i < n; i++)
                y[i] = 0.7;
            double want = exp(-0.7 * t);
            for (int i = 1; i < n; i++)
                want *= -t / i;
            CHECK_CLOSE(pk2_edd(t, y, n), want, 1e-14, 1e-300,
                        "equal nodes n=%d t=%g", n, t);
        }
        if (t == 0)
            continue;
        const double sep[] = {0.1, 0.5, 1.3, 2.9};
        for (int n = 2; n <= 4; n++) {
            double y[4];
            long double want = 0;
            for (int i = 0; i < n; i++)
                y[i] = sep[i] * 3 / t;
            for (int i = 0; i < n; i++) {
                long double den = 1;
                for (int j = 0; j < n; j++)
                    if (j != i)
                        den *= (long double)y[i] - y[j];
                want += expl(-(long double)y[i] * t) / den;
            }
            CHECK_CLOSE(pk2_edd(t, y, n), (double)want, 1e-12, 1e-300,
                        "separate nodes n=%d t=%g", n, t);
        }
        /* equally spaced nodes y + jε: the forward difference of e^{-yt}
         * is e^{-yt}(e^{-εt} - 1)^n, so e_t[y..y+nε] =
         * e^{-yt} (-t φ(εt))^n / n!, computed without cancellation;
         * spreads nε t from 1e-6 to 10 cross the series/recurrence switch
         * (a recurrence used at small spread loses eps/spread^n) */
        const double et[] = {1e-6, 1e-3, 0.05, 0.2, 0.3, 0.5, 0.9, 2};
        for (size_t e = 0; e < sizeof et / sizeof et[0]; e++)
            for (int n = 1; n <= 5; n++) {
                double eps = et[e] / t, y[6];
                for (int j = 0; j <= n; j++)
                    y[j] = 0.3 + j * eps;
                double want = exp(-0.3 * t);
                for (int j = 1; j <= n; j++)
                    want *= -t * pk_phi(et[e]) / j;
                CHECK_CLOSE(pk2_edd(t, y, n + 1), want, 1e-13, 1e-300,
                            "spaced nodes n=%d eps t=%g t=%g", n, et[e], t);
            }
        /* e_t[y, y + ε] = -t e^{-yt} (1 - ε t/2) + O(ε²) */
        double y2[2] = {0.4, 0.4 + 1e-9};
        double want = -t * exp(-0.4 * t) * (1 - 1e-9 * t / 2);
        CHECK_CLOSE(pk2_edd(t, y2, 2), want, 1e-13, 0, "close nodes t=%g", t);
    }
}

/* The macro rates: alpha + beta = k10 + k12 + k21 and alpha beta = k10 k21
 * to rounding, alpha > k10, k21 > beta, also when beta is tiny (Q ~ 1e-12:
 * the textbook (S - sqrt(S² - 4P))/2 would lose all digits). */
static void test_macro(void **state)
{
    (void)state;
    const double r[][3] = {{0.2, 0.3, 0.1}, {1, 1e-12, 1e-12},
                           {1, 1e-6, 1}, {1e-3, 5, 2}, {3, 0, 0}};
    for (size_t i = 0; i < sizeof r / sizeof r[0]; i++) {
        double al, be;
        pk2_macro(r[i][0], r[i][1], r[i][2], &al, &be);
        double s = r[i][0] + r[i][1] + r[i][2], p = r[i][0] * r[i][2];
        CHECK_CLOSE(al + be, s, 1e-15, 0, "sum %zu", i);
        CHECK_CLOSE(al * be, p, 1e-15, 1e-300, "product %zu", i);
        /* residual of the quadratic at beta relative to its terms */
        double res = be * be - s * be + p;
        assert_true(fabs(res) <= 1e-15 * (s * be + p) || p == 0);
        assert_true(al > be && be >= 0);
    }
}

/* ---- refusals ------------------------------------------------------------- */
static void test_refusals(void **state)
{
    (void)state;
    struct {
        pk_dosing d;
        double th[6];
        double t;
    } bad[] = {
        {{PK_ORAL, 10, 0, 0, 1, 0}, {0, 5, 1, 8, 2, 0.8}, 1},
        {{PK_ORAL, 10, 0, 0, 1, 0}, {-1, 5, 1, 8, 2, 0.8}, 1},
        {{PK_ORAL, 10, 0, 0, 1, 0}, {1, 0, 1, 8, 2, 0.8}, 1},
        {{PK_ORAL, 10, 0, 0, 1, 0}, {1, 5, -1, 8, 2, 0.8}, 1},
        {{PK_ORAL, 10, 0, 0, 1, 0}, {1, 5, 1, 0, 2, 0.8}, 1},
        {{PK_ORAL, 10, 0, 0, 1, 0}, {1, 5, 1, -8, 2, 0.8}, 1},
        {{PK_ORAL, 10, 0, 0, 1, 0}, {1, 5, 1, 8, 0, 0.8}, 1},
        {{PK_ORAL, 10, 0, 0, 1, 0}, {1, 5, 1, 8, 2, -0.1}, 1},
        {{PK_ORAL, 10, 0, 0, 1, 0}, {1, 5, NAN, 8, 2, 0.8}, 1},
        {{PK_ORAL, 10, 0, 0, 1, 0}, {1, 5, 1, INFINITY, 2, 0.8}, 1},
        {{PK_ORAL, 10, 0, 0, 1, 0}, {1, 5, 1, 8, 2, 0.8}, NAN},
        {{PK_ORAL, -1, 0, 0, 1, 0}, {1, 5, 1, 8, 2, 0.8}, 1},
        {{PK_ORAL, 10, 0, 0, 3, 0}, {1, 5, 1, 8, 2, 0.8}, 1},
        {{PK_ORAL, 10, 12, 0, 0, 1}, {1, 5, 0, 8, 2, 0.8}, 1},
        {{PK_BOLUS, 10, 12, 0, 0, 1}, {1, 5, 0, 8, 2, 0.8}, 1},
        {{PK_INFUSION, 10, 0, 0, 1, 0}, {1, 5, 1, 8, 2, 0.8}, 1},
        {{PK_INFUSION, 10, 12, 1, 0, 1}, {1, 5, 1, 8, 2, 0.8}, 1},
        {{7, 10, 0, 0, 1, 0}, {1, 5, 1, 8, 2, 0.8}, 1},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double f = 42, g[6] = {42, 42, 42, 42, 42, 42};
        ss_clear_error();
        ss_status st = pk2_conc(&bad[i].d, bad[i].th, bad[i].t, &f, g);
        if (st == SS_OK) {
            print_error("case %zu accepted\n", i);
            fail();
        }
        assert_true(ss_last_error()->msg[0] != '\0');
        assert_true(f == 42);
        for (int j = 0; j < 6; j++)
            assert_true(g[j] == 42);
    }
    /* KA and F do not matter off the oral route */
    pk_dosing d = {PK_BOLUS, 10, 0, 0, 1, 0};
    double th[6] = {1, 5, 1, 8, -1, NAN}, f;
    assert_int_equal(pk2_conc(&d, th, 1, &f, NULL), SS_OK);
    assert_true(isfinite(f) && f > 0);
    /* before the first dose: 0 and a zero gradient */
    double g[6] = {1, 1, 1, 1, 1, 1};
    double th2[6] = {1, 5, 1, 8, 2, 0.8};
    assert_int_equal(pk2_conc(&d, th2, -1, &f, g), SS_OK);
    assert_true(f == 0);
    for (int j = 0; j < 6; j++)
        assert_true(g[j] == 0);
    /* at the bolus itself everything is in V1: D/V1 exactly */
    assert_int_equal(pk2_conc(&d, th2, 0, &f, g), SS_OK);
    assert_true(f == 10.0 / 5);
    /* far in the tail every route underflows to 0 with a finite
     * gradient, never inf * 0 */
    for (int r = 0; r < 3; r++) {
        pk_dosing dr = {r, 10, 0, 1, 1, 0};
        assert_int_equal(pk2_conc(&dr, th2, 1e200, &f, g), SS_OK);
        assert_true(f == 0);
        for (int j = 0; j < 6; j++)
            assert_true(isfinite(g[j]) && fabs(g[j]) < 1e-300);
    }
}

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kernel),
        cmocka_unit_test(test_macro),
        cmocka_unit_test(test_single_vs_ode),
        cmocka_unit_test(test_multiple_vs_ode),
        cmocka_unit_test(test_steady_vs_ode),
        cmocka_unit_test(test_superposition),
        cmocka_unit_test(test_gradients),
        cmocka_unit_test(test_coincident),
        cmocka_unit_test(test_q_zero),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* One-compartment PK models in closed form (pk.h; docs/theory.md §15).
 *
 * Every route is f = C · S: a constant C(D, F, KA, V) times a sum S of
 * exponentials in ke = CL/V (and ka), so one chain rule serves all routes.
 * The oral S is a divided difference of e^{-xt} between ke and ka; it is
 * written through phi, psi, chi of the *non-negative* argument |ka - ke| t,
 * factoring out the slower exponential, so nothing cancels, nothing
 * overflows, and ka = ke is an ordinary point. */
#include "model/pk.h"

#include <math.h>

/* Below 1 the alternating series (terms x^k/(k+2)! and the like) converge
 * to full precision in under 20 terms and avoid the cancellation of the
 * closed forms (x + expm1(-x) ~ x^2/2 loses digits as eps/x); above 1 the
 * closed forms lose at most a factor of a few. */
#define PK_SERIES_X 1.0

double pk_phi(double x)
{
    if (x == 0)
        return 1;
    return -expm1(-x) / x;
}

double pk_psi(double x)
{
    if (x < PK_SERIES_X) {
        double term = 0.5, sum = 0.5;
        for (int k = 0; k < 40; k++) {
            term *= -x / (k + 3);
            sum += term;
            if (fabs(term) < 1e-18 * sum)
                break;
        }
        return sum;
    }
    return (x + expm1(-x)) / (x * x);
}

double pk_chi(double x)
{
    if (x < PK_SERIES_X) {
        double p = 1, sum = 0.5;
        for (int k = 1; k < 40; k++) {
            p *= -x / k;
            double term = p / (k + 2);
            sum += term;
            if (fabs(term) < 1e-18 * sum)
                break;
        }
        return sum;
    }
    return (1 - (1 + x) * exp(-x)) / (x * x);
}

/* D(a, b; t) = (e^{-at} - e^{-bt})/(b - a) = t e^{-mt} phi(dt), m = min,
 * d = |b - a|, with its partials -t^2 e^{-mt} psi(dt) (in the smaller
 * rate) and -t^2 e^{-mt} chi(dt) (in the larger). */
typedef struct {
    double v, da, db;
} pk_dd;

static pk_dd dd_exp(double a, double b, double t)
{
    pk_dd o;
    double m = a <= b ? a : b, x = fabs(b - a) * t;
    double e = exp(-m * t), t2e = t * t * e;
    o.v = t * e * pk_phi(x);
    double ps = -t2e * pk_psi(x), ch = -t2e * pk_chi(x);
    o.da = a <= b ? ps : ch;
    o.db = a <= b ? ch : ps;
    return o;
}

/* R(x) = 1/(1 - e^{-x tau}) = sum_j e^{-x j tau}, and R'(x). */
static double acc(double x, double tau) { return -1 / expm1(-x * tau); }
static double acc_d(double x, double tau)
{
    double r = acc(x, tau);
    return -tau * exp(-x * tau) * r * r;
}

/* S and its partials in ke and ka for one dose given s >= 0 ago. */
typedef struct {
    double v, dke, dka;
} pk_s;

static pk_s single(int route, double ke, double ka, double tinf, double s)
{
    pk_s o = {0, 0, 0};
    if (route == PK_ORAL) {
        pk_dd g = dd_exp(ke, ka, s);
        o.v = g.v;
        o.dke = g.da;
        o.dka = g.db;
    } else if (route == PK_BOLUS) {
        o.v = exp(-ke * s);
        o.dke = -s * o.v;
    } else {
        /* ∫_{s0}^{s} e^{-ke r} dr over the part of the infusion given so
         * far: s0 = max(0, s - tinf), u = s - s0. */
        double s0 = s > tinf ? s - tinf : 0, u = s - s0;
        double e = exp(-ke * s0), x = ke * u;
        o.v = u * e * pk_phi(x);
        o.dke = -e * (s0 * u * pk_phi(x) + u * u * pk_chi(x));
    }
    return o;
}

/* Steady state: S = sum_j S1(s + j tau) in closed form (pk.c header). */
static pk_s steady(int route, double ke, double ka, double tau, double s)
{
    pk_s o = {0, 0, 0};
    double es = exp(-ke * s), rke = acc(ke, tau), rke_d = acc_d(ke, tau);
    if (route == PK_BOLUS) {
        o.v = es * rke;
        o.dke = -s * es * rke + es * rke_d;
        return o;
    }
    /* oral: the divided difference between ke and ka of
     * H(x) = e^{-xs} R(x), by Leibniz's rule for divided differences:
     * -H[ke,ka] = D(s) R(ka) + e^{-ke s} D(tau) R(ke) R(ka). */
    double rka = acc(ka, tau), rka_d = acc_d(ka, tau);
    pk_dd ds = dd_exp(ke, ka, s), dt = dd_exp(ke, ka, tau);
    o.v = ds.v * rka + es * dt.v * rke * rka;
    o.dke = ds.da * rka + (-s * es * dt.v + es * dt.da) * rke * rka +
            es * dt.v * rke_d * rka;
    o.dka = ds.db * rka + ds.v * rka_d +
            es * (dt.db * rke * rka + dt.v * rke * rka_d);
    return o;
}

static int pos_finite(double x) { return isfinite(x) && x > 0; }

ss_status pk_dosing_check(const pk_dosing *d)
{
    if (!d)
        return SS_FAIL(SS_ERR_USAGE, "pk: no dosing given");
    if (d->route != PK_ORAL && d->route != PK_BOLUS &&
        d->route != PK_INFUSION)
        return SS_FAIL(SS_ERR_USAGE,
                       "pk: unknown route %d (oral, bolus or infusion)",
                       d->route);
    if (!isfinite(d->dose) || d->dose < 0)
        return SS_FAIL(SS_ERR_RANGE, "pk: dose must be finite and >= 0, got %g",
                       d->dose);
    if ((d->steady || d->ndoses > 1) && !pos_finite(d->tau))
        return SS_FAIL(SS_ERR_RANGE,
                       "pk: the dosing interval tau must be > 0, got %g",
                       d->tau);
    if (d->route == PK_INFUSION && !pos_finite(d->tinf))
        return SS_FAIL(SS_ERR_RANGE,
                       "pk: the infusion duration tinf must be > 0, got %g",
                       d->tinf);
    if (d->route == PK_INFUSION && d->steady)
        return SS_FAIL(SS_ERR_USAGE,
                       "pk: steady state is not supported for an infusion "
                       "(give doses=N instead)");
    return SS_OK;
}

ss_status pk_conc(const pk_dosing *d, const double *theta, double t,
                  double *f, double *grad)
{
    ss_status st = pk_dosing_check(d);
    if (st != SS_OK)
        return st;
    if (!theta || !f)
        return SS_FAIL(SS_ERR_USAGE, "pk: no parameters or no output");
    double cl = theta[PK_CL], v = theta[PK_V], ka = theta[PK_KA],
           bio = theta[PK_F];
    if (!pos_finite(cl) || !pos_finite(v))
        return SS_FAIL(SS_ERR_RANGE,
                       "pk: CL and V must be finite and > 0 (CL=%g, V=%g)",
                       cl, v);
    int oral = d->route == PK_ORAL;
    if (oral && (!pos_finite(ka) || !isfinite(bio) || bio < 0))
        return SS_FAIL(SS_ERR_RANGE,
                       "pk: the oral route needs KA > 0 and F >= 0 "
                       "(KA=%g, F=%g)",
                       ka, bio);
    if (!isfinite(t))
        return SS_FAIL(SS_ERR_RANGE, "pk: time must be finite, got %g", t);
    double ke = cl / v;

    pk_s S = {0, 0, 0};
    if (d->steady) {
        double s = fmod(t, d->tau);
        if (s < 0)
            s += d->tau;
        /* a tiny negative t can round s up to tau: the left limit at
         * the next dose, which is what t < 0 means */
        S = steady(d->route, ke, ka, d->tau, s);
    } else {
        size_t n = d->ndoses > 1 ? d->ndoses : 1;
        for (size_t j = 0; j < n; j++) {
            double s = t - (double)j * (n > 1 ? d->tau : 0);
            if (s < 0)
                break;
            pk_s one = single(d->route, ke, ka, d->tinf, s);
            S.v += one.v;
            S.dke += one.dke;
            S.dka += one.dka;
        }
    }

    /* f = C S; C is proportional to 1/V on every route. */
    double c = oral ? d->dose * bio * ka / v
             : d->route == PK_BOLUS ? d->dose / v
                                    : d->dose / (d->tinf * v);
    *f = c * S.v;
    if (grad) {
        grad[PK_CL] = c * S.dke / v;
        grad[PK_V] = -c * S.v / v - c * S.dke * ke / v;
        grad[PK_KA] = oral ? d->dose * bio / v * S.v + c * S.dka : 0;
        grad[PK_F] = oral ? d->dose * ka / v * S.v : 0;
    }
    return SS_OK;
}

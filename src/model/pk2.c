/* Two-compartment PK models in closed form (pk2.h; docs/theory.md §15.1).
 *
 * For any route and dosing let P(x) be the one-compartment central amount
 * per unit dose with elimination rate x. The two-compartment central
 * amount is the divided difference over the macro rates
 *     Y = [(x - k21) P(x)][alpha, beta] = P(alpha) + (k21 - beta)(-P[alpha, beta]),
 * a sum of two positive terms (k21 > beta, P completely monotone). P and
 * its divided differences are themselves divided differences of e^{-xs}
 * (over KA too on the oral route), computed by one stable kernel
 * (pk2_edd), so coinciding nodes (KA = alpha, KA = beta) are ordinary
 * points and the gradient, which needs differences with repeated nodes,
 * comes from the same kernel. */
#include "model/pk2.h"

#include <math.h>

#define PK2_MAXN 6

/* ---- divided differences of e^{-z} -----------------------------------
 * E(z_0..z_n) = (-1)^n g[z_0..z_n] for g(z) = e^{-z}, z sorted ascending,
 * positive by Hermite–Genocchi. Spread <= 1: the Taylor series in the
 * shifted nodes w = z - z_0 in [0, 1], E = e^{-z_0} Σ_j (-1)^j h_j(w)/(n+j)!
 * (h_j the complete homogeneous symmetric polynomials; |terms| <=
 * 1/(n! j!), so the alternation costs at most a factor e^2). Spread > 1:
 * the recurrence over the two extreme nodes, a difference of two positive
 * numbers whose ratio stays away from 1 (the loss is a factor ~n). */
static double en_sorted(const double *z, int n)
{
    if (n == 0)
        return exp(-z[0]);
    double spread = z[n] - z[0];
    if (spread > 1)
        return (en_sorted(z, n - 1) - en_sorted(z + 1, n - 1)) / spread;
    enum { J = 28 };
    double h[J + 1] = {1};
    for (int i = 1; i <= n; i++) {
        double w = z[i] - z[0];
        for (int j = 1; j <= J; j++)
            h[j] += w * h[j - 1];
    }
    double inv = 1; /* 1/(n+j)! */
    for (int k = 2; k <= n; k++)
        inv /= k;
    double sum = 0, sign = 1;
    for (int j = 0; j <= J; j++) {
        if (j > 0)
            inv /= n + j;
        double term = h[j] * inv;
        sum += sign * term;
        sign = -sign;
        if (term < 1e-18 * sum)
            break;
    }
    return exp(-z[0]) * sum;
}

static void sort_up(double *x, int n)
{
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && x[j - 1] > x[j]; j--) {
            double tmp = x[j];
            x[j] = x[j - 1];
            x[j - 1] = tmp;
        }
}

double pk2_edd(double t, const double *y, int n)
{
    if (n < 1 || n > PK2_MAXN)
        return NAN;
    double z[PK2_MAXN];
    for (int i = 0; i < n; i++)
        z[i] = y[i] * t;
    sort_up(z, n);
    /* e_t[y] = t^{n-1} g[t y] = (-t)^{n-1} E(t y) */
    double p = 1;
    for (int i = 1; i < n; i++)
        p *= -t;
    if (p == 0)
        return 0;
    double e = en_sorted(z, n - 1);
    return e == 0 ? 0 : p * e; /* deep tail: 0, not inf * 0 */
}

/* ---- the per-dose kernels K(x) and their divided differences ----------
 * H(x) = e^{-xs} R(x), R(x) = 1/(1 - e^{-x tau}) = Σ_j e^{-x j tau}.
 * Leibniz on q R = 1 with q = 1 - e^{-x tau} gives, for the nodes taken
 * in descending order, R[x_k..x_m] = Σ_{j>k} e_tau[x_k..x_j] R[x_j..x_m] /
 * q(x_k), all terms of one sign; then H = Σ_k e_s[x_0..x_k] R[x_k..x_m],
 * again of one sign. Nodes must be > 0. */
static double hdd(double s, double tau, const double *y, int n)
{
    double x[PK2_MAXN], r[PK2_MAXN];
    for (int i = 0; i < n; i++)
        x[i] = y[i];
    sort_up(x, n);
    for (int i = 0; i < n / 2; i++) {
        double tmp = x[i];
        x[i] = x[n - 1 - i];
        x[n - 1 - i] = tmp;
    }
    for (int k = n - 1; k >= 0; k--) {
        double sum = k == n - 1 ? 1 : 0;
        for (int j = k + 1; j < n; j++)
            sum += pk2_edd(tau, x + k, j - k + 1) * r[j];
        r[k] = sum / -expm1(-x[k] * tau);
    }
    double hv = 0;
    for (int k = 0; k < n; k++)
        hv += pk2_edd(s, x, k + 1) * r[k];
    return hv;
}

/* I(x) = ∫_{s0}^{s0+u} e^{-xr} dr = e^{-x s0} J(x), J(x) = -e_u[0, x]:
 * I[x_0..x_m] = -Σ_k e_{s0}[x_0..x_k] e_u[0, x_k..x_m], one sign. */
static double idd(double s0, double u, const double *y, int n)
{
    double w[PK2_MAXN + 1];
    double v = 0;
    for (int k = 0; k < n; k++) {
        w[0] = 0;
        for (int i = k; i < n; i++)
            w[1 + i - k] = y[i];
        v -= pk2_edd(s0, y, k + 1) * pk2_edd(u, w, n - k + 1);
    }
    return v;
}

typedef struct {
    const pk_dosing *d;
    double t;  /* time since the first dose, or since the last (steady) */
    double ka; /* oral only */
} pk2_ctx;

/* K[y] summed over the doses given by time t. */
static double kdd(const pk2_ctx *c, const double *y, int n)
{
    const pk_dosing *d = c->d;
    if (d->steady)
        return hdd(c->t, d->tau, y, n);
    size_t nd = d->ndoses > 1 ? d->ndoses : 1;
    double v = 0;
    for (size_t j = 0; j < nd; j++) {
        double s = c->t - (double)j * (nd > 1 ? d->tau : 0);
        if (s < 0)
            break;
        if (d->route == PK_INFUSION) {
            double s0 = s > d->tinf ? s - d->tinf : 0;
            v += idd(s0, s - s0, y, n);
        } else {
            v += pk2_edd(s, y, n);
        }
    }
    return v;
}

/* P[y] (and its KA-derivative when dka is not NULL). Bolus and infusion:
 * P = K (the infusion's 1/T is in the constant). Oral: the one-compartment
 * amount is -ka e_s[x, ka], so P[y] = -ka K[ka, y] and
 * dP[y]/dka = -K[ka, y] - ka K[ka, ka, y]. */
static double pdd(const pk2_ctx *c, const double *y, int n, double *dka)
{
    if (c->d->route != PK_ORAL)
        return kdd(c, y, n);
    double w[PK2_MAXN];
    w[0] = c->ka;
    w[1] = c->ka;
    for (int i = 0; i < n; i++)
        w[1 + i] = y[i];
    double k1 = kdd(c, w, n + 1);
    if (dka) {
        for (int i = 0; i < n; i++)
            w[2 + i] = y[i];
        w[1] = c->ka;
        *dka = -k1 - c->ka * kdd(c, w, n + 2);
    }
    return -c->ka * k1;
}

/* ---- macro rates --------------------------------------------------------
 * With a = k10, b = k12, c = k21 the discriminant is
 * (a + b - c)^2 + 4bc (a sum of squares, no cancellation), so
 * sq = alpha - beta > 0 whenever a > 0. The differences alpha - a,
 * a - beta, alpha - c, c - beta are (sq ± e)/2 for e = b + c - a or
 * a + b - c: the sum is direct, the difference is ab (or bc) over it,
 * from (alpha - a)(a - beta) = ab and (alpha - c)(c - beta) = bc. */
typedef struct {
    double al, be, sq, ama, amb, amc, cmb;
} pk2_macro_t;

static pk2_macro_t macro(double a, double b, double c)
{
    pk2_macro_t m;
    m.sq = hypot(a + b - c, 2 * sqrt(b * c));
    m.al = 0.5 * (a + b + c + m.sq);
    m.be = a * c / m.al;
    double e = b + c - a;
    if (e >= 0) {
        m.ama = 0.5 * (m.sq + e);
        m.amb = a * b / m.ama;
    } else {
        m.amb = 0.5 * (m.sq - e);
        m.ama = a * b / m.amb;
    }
    e = a + b - c;
    if (e >= 0) {
        m.amc = 0.5 * (m.sq + e);
        m.cmb = b * c / m.amc;
    } else {
        m.cmb = 0.5 * (m.sq - e);
        m.amc = b * c / m.cmb;
    }
    return m;
}

void pk2_macro(double k10, double k12, double k21, double *alpha,
               double *beta)
{
    pk2_macro_t m = macro(k10, k12, k21);
    *alpha = m.al;
    *beta = m.be;
}

static int pos_finite(double x) { return isfinite(x) && x > 0; }

ss_status pk2_conc(const pk_dosing *d, const double *theta, double t,
                   double *f, double *grad)
{
    ss_status st = pk_dosing_check(d);
    if (st != SS_OK)
        return st;
    if (!theta || !f)
        return SS_FAIL(SS_ERR_USAGE, "pk2: no parameters or no output");
    double cl = theta[PK2_CL], v1 = theta[PK2_V1], q = theta[PK2_Q],
           v2 = theta[PK2_V2], ka = theta[PK2_KA], bio = theta[PK2_F];
    if (!pos_finite(cl) || !pos_finite(v1) || !pos_finite(v2))
        return SS_FAIL(SS_ERR_RANGE,
                       "pk2: CL, V1 and V2 must be finite and > 0 "
                       "(CL=%g, V1=%g, V2=%g)",
                       cl, v1, v2);
    if (!isfinite(q) || q < 0)
        return SS_FAIL(SS_ERR_RANGE,
                       "pk2: the intercompartmental clearance Q must be "
                       "finite and >= 0, got %g",
                       q);
    if (d->steady && q == 0)
        return SS_FAIL(SS_ERR_RANGE,
                       "pk2: steady state needs Q > 0 (at Q = 0 the "
                       "peripheral rate beta is 0 and its sum over the "
                       "doses diverges; the model is then the "
                       "one-compartment one)");
    int oral = d->route == PK_ORAL;
    if (oral && (!pos_finite(ka) || !isfinite(bio) || bio < 0))
        return SS_FAIL(SS_ERR_RANGE,
                       "pk2: the oral route needs KA > 0 and F >= 0 "
                       "(KA=%g, F=%g)",
                       ka, bio);
    if (!isfinite(t))
        return SS_FAIL(SS_ERR_RANGE, "pk2: time must be finite, got %g", t);

    double a = cl / v1, b = q / v1, c = q / v2;
    pk2_macro_t m = macro(a, b, c);
    pk2_ctx cx = {d, t, oral ? ka : 0};
    if (d->steady) {
        double s = fmod(t, d->tau);
        if (s < 0)
            s += d->tau;
        cx.t = s;
    }

    /* Y = P(al) - cb P[al, be] and its partials in al, be, k21, ka */
    double al = m.al, be = m.be, cb = m.cmb;
    double n1[1] = {al}, n2[2] = {al, be}, naa[2] = {al, al},
           naab[3] = {al, al, be}, nabb[3] = {al, be, be};
    double p1_ka = 0, p2_ka = 0;
    double p1 = pdd(&cx, n1, 1, grad && oral ? &p1_ka : NULL);
    double p2 = pdd(&cx, n2, 2, grad && oral ? &p2_ka : NULL);
    double y = p1 - cb * p2;

    double cst = oral ? d->dose * bio / v1
               : d->route == PK_BOLUS ? d->dose / v1
                                      : d->dose / (d->tinf * v1);
    double fv = cst * y;
    if (grad) {
        double paa = pdd(&cx, naa, 2, NULL);
        double paab = pdd(&cx, naab, 3, NULL);
        double pabb = pdd(&cx, nabb, 3, NULL);
        double y_al = paa - cb * paab, y_be = p2 - cb * pabb;
        double y_ka = p1_ka - cb * p2_ka;
        /* implicit differentiation of the roots: for the micro rate r,
         * dal = (al dS - dPr)/sq, dbe = (dPr - be dS)/sq with S = a+b+c,
         * Pr = a c. In k21 the direct term -p2 and y_be (a - be)/sq are
         * O(1) and cancel to O(Q); with (a - be)/sq - 1 = -ama/sq and
         * paa - p2 = sq paab the sum is
         * (ama amc paab - cb amb pabb)/sq, O(Q) term by term. */
        double ya = (y_al * m.amc + y_be * m.cmb) / m.sq;
        double yb = (y_al * al - y_be * be) / m.sq;
        double yc = (m.ama * m.amc * paab - cb * m.amb * pabb) / m.sq;
        grad[PK2_CL] = cst * ya / v1;
        grad[PK2_V1] = -fv / v1 - cst * (ya * a + yb * b) / v1;
        grad[PK2_Q] = cst * (yb / v1 + yc / v2);
        grad[PK2_V2] = -cst * yc * c / v2;
        grad[PK2_KA] = oral ? cst * y_ka : 0;
        grad[PK2_F] = oral ? d->dose / v1 * y : 0;
    }
    *f = fv;
    return SS_OK;
}

/* arma: the ARMA(p,q) process
 *   x_t = ar1 x_{t-1} + ... + arp x_{t-p} + e_t + ma1 e_{t-1} + ... + maq e_{t-q},
 * e_t ~ N(0, sigma2) i.i.d. with sigma2 known (structural option), in the
 * sign convention of R's arima and statsmodels: the AR polynomial is
 * phi(z) = 1 - ar1 z - ... - arp z^p, the MA polynomial
 * theta(z) = 1 + ma1 z + ... + maq z^q. Parameters ar1..arp, ma1..maq.
 *
 * Roots are handled as inverse roots xi (phi(z) = prod (1 - xi_i z)): the
 * roots of the reversed polynomial z^p - ar1 z^{p-1} - ... - arp. They stay
 * in the unit disc at valid points, and a vanishing top coefficient gives
 * xi = 0 exactly (a root "at infinity") instead of an overflow. The Fisher
 * information is singular exactly when an AR and an MA inverse root
 * coincide (the resultant of the reversed polynomials vanishes; Klein &
 * Spreij 1996), which includes arp = maq = 0 together (both have xi = 0).
 *
 * Data: one series (column x); the rows of a data set are x_1..x_n in time
 * order. The log-likelihood is exact: a Kalman filter on the state-space
 * form below, started from the stationary distribution (discrete Lyapunov
 * equation), gives the prediction-error decomposition; its recursions are
 * differentiated analytically (forward mode, including the initial
 * covariance) for the per-term scores.
 *
 * The exact (per-observation, n -> inf) FIM is Whittle's integral, by the
 * trapezoid rule on the unit circle with as many nodes as the inverse root
 * closest to the circle needs for machine precision; its root factor (one
 * row per node) lets the spectrum resolve eigenvalues far below the
 * rounding floor of G. ARMA(1,1) without a root uses the closed form. */
#include "model/kalman.h"
#include "model/model.h"

#include <complex.h>
#include <float.h>
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_poly.h>
#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define ARMA_MAX_ORDER KALMAN_MAX_ORDER
#define ARMA_RMAX KALMAN_RMAX /* state dimension max(p, q+1) */
#define ARMA_RR KALMAN_RR
#define ARMA_PMAX KALMAN_PMAX

/* Whittle quadrature. The integrand is a product of two rational functions
 * of e^{-i omega} whose poles are the inverse roots' reciprocals, so its
 * Fourier coefficients decay like k^(M-1) eta^k (eta the largest inverse
 * root modulus, M <= 2 max(p,q) + 1 counting multiplicity and the k factor
 * of nearly coincident roots) and the N-node trapezoid rule errs by about
 * N^M eta^N relative. N is the smallest with N^M eta^N <= e^{-WH_LOGTOL}
 * (1e-18): below rounding, also in the near-null direction, whose
 * integrand has the same decay. Beyond WH_NMAX nodes (|z| - 1 below about
 * 1.5e-4 for ARMA(1,1)) the exact route refuses, except that ARMA(1,1)
 * then returns its closed form without a root factor. */
#define WH_LOGTOL 41.5
#define WH_NMIN 64
#define WH_NMAX (1u << 19)

/* Inverse roots closer than this are the same root to rounding (the root
 * finder's error for simple roots); the singular-set distance reports 0. */
#define ROOT_SNAP (32.0 * DBL_EPSILON)

enum { OPT_SIGMA2, OPT_P, OPT_Q };

static const model_optdef arma_opts[] = {
    {"sigma2", MOPT_REAL, 1.0, 1e-12, 1e12, NULL,
     "known innovation variance (not a parameter: its FIM block "
     "1/(2 sigma2^2) is orthogonal to the ar/ma block)", NULL},
    {"p", MOPT_INT, 1.0, 0.0, ARMA_MAX_ORDER, NULL,
     "AR order (ar=[..] at creation sets it from its length)", NULL},
    {"q", MOPT_INT, 1.0, 0.0, ARMA_MAX_ORDER, NULL,
     "MA order (ma=[..] at creation sets it from its length)", NULL},
};

/* Orders: configure stores the layout's p and q in the options. */
static size_t arma_p(const model *m)
{
    return (size_t)m->opt[OPT_P];
}

static size_t arma_q(const model *m)
{
    return (size_t)m->opt[OPT_Q];
}

/* ---- roots ---------------------------------------------------------------- */

/* Inverse roots xi[0..d-1] of the lag polynomial 1 + c[0] z + ... +
 * c[d-1] z^d, i.e. the roots of z^d + c[0] z^{d-1} + ... + c[d-1].
 * Vanishing top coefficients give exact zeros. */
static ss_status inv_roots(const double *c, size_t d, double complex *xi)
{
    size_t k = d;
    while (k > 0 && c[k - 1] == 0.0)
        xi[--k] = 0.0;
    if (k == 0)
        return SS_OK;
    if (k == 1) {
        xi[0] = -c[0];
        return SS_OK;
    }
    if (k == 2) {
        gsl_complex r0, r1;
        if (gsl_poly_complex_solve_quadratic(1.0, c[0], c[1], &r0, &r1) !=
            2)
            return SS_FAIL(SS_ERR_NUMERIC,
                           "arma: the quadratic root formula failed");
        xi[0] = GSL_REAL(r0) + I * GSL_IMAG(r0);
        xi[1] = GSL_REAL(r1) + I * GSL_IMAG(r1);
        return SS_OK;
    }
    double a[ARMA_MAX_ORDER + 1], z[2 * ARMA_MAX_ORDER];
    for (size_t i = 0; i < k; i++)
        a[i] = c[k - 1 - i]; /* ascending powers */
    a[k] = 1.0;
    gsl_poly_complex_workspace *w = gsl_poly_complex_workspace_alloc(k + 1);
    if (!w)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    int rc = gsl_poly_complex_solve(a, k + 1, w, z);
    gsl_poly_complex_workspace_free(w);
    if (rc != GSL_SUCCESS)
        return SS_FAIL(SS_ERR_NUMERIC,
                       "arma: the root finder failed on a degree-%zu "
                       "polynomial", k);
    for (size_t i = 0; i < k; i++)
        xi[i] = z[2 * i] + I * z[2 * i + 1];
    return SS_OK;
}

/* binomial(n, k) for n <= ARMA_MAX_ORDER (exact in double). */
static double binom(size_t n, size_t k)
{
    double c = 1.0;
    for (size_t i = 1; i <= k; i++)
        c = c * (double)(n - k + i) / (double)i;
    return c;
}

/* A lag polynomial 1 + c_1 z + ... + c_d z^d = prod (1 - xi_i z) with
 * every |xi_i| < 1 has c_k = (-1)^k e_k(xi), the k-th elementary
 * symmetric polynomial of the inverse roots, so |c_k| < binomial(d, k).
 * A coefficient at or beyond that bound cannot belong to a stationary
 * (invertible) polynomial: refuse it before the root finder sees it
 * (GSL's companion-matrix QR spins forever on coefficients near
 * DBL_MAX). Needed only where that iterative solver runs (effective
 * degree 3 and more); degrees 1 and 2 have closed forms, and their
 * refusals name the offending root. */
static ss_status coef_bound(const double *theta, size_t off, size_t d,
                            const char *group, const char *what,
                            const char *kind)
{
    size_t deg = d;
    while (deg > 0 && theta[off + deg - 1] == 0.0)
        deg--;
    if (deg < 3)
        return SS_OK;
    for (size_t k = 1; k <= d; k++) {
        double x = theta[off + k - 1], b = binom(d, k);
        if (!isfinite(x))
            return SS_FAIL(SS_ERR_RANGE, "%s%zu must be finite", group, k);
        if (!(fabs(x) < b))
            return SS_FAIL(SS_ERR_RANGE,
                           "%s: |%s%zu| = %.6g is not below %g = "
                           "binomial(%zu,%zu), the bound on |%s%zu| for "
                           "every %s(%zu) polynomial with all roots outside "
                           "the unit circle",
                           what, group, k, fabs(x), b, d, k, group, k, kind,
                           d);
    }
    return SS_OK;
}

/* Inverse roots of the AR polynomial (p of them) and the MA polynomial
 * (q), after the coefficient bounds (so the root finder only ever sees
 * coefficients of modest size). */
static ss_status arma_roots(size_t p, size_t q, const double *theta,
                            double complex *xa, double complex *xm)
{
    ss_status st = coef_bound(theta, 0, p, "ar", "not stationary", "AR");
    if (st == SS_OK)
        st = coef_bound(theta, p, q, "ma", "not invertible", "MA");
    if (st != SS_OK)
        return st;
    double c[ARMA_MAX_ORDER];
    for (size_t i = 0; i < p; i++)
        c[i] = -theta[i];
    st = inv_roots(c, p, xa);
    if (st == SS_OK)
        st = inv_roots(theta + p, q, xm);
    return st;
}

/* Largest modulus among n inverse roots (0 when n == 0); its index. */
static double max_modulus(const double complex *xi, size_t n, size_t *at)
{
    double best = 0.0;
    *at = 0;
    for (size_t i = 0; i < n; i++)
        if (cabs(xi[i]) > best) {
            best = cabs(xi[i]);
            *at = i;
        }
    return best;
}

/* u 10^L as text in %.6g style, also where it exceeds DBL_MAX (the root
 * z = 1/xi of a subnormal inverse root xi): the decimal exponent is
 * formed by hand. |u| <= 1 is expected, L finite. */
static void fmt_pow10(double u, double L, char *buf, size_t n)
{
    if (u == 0.0 || !isfinite(u) || !isfinite(L)) {
        snprintf(buf, n, "%.6g", u == 0.0 ? 0.0 : u * INFINITY);
        return;
    }
    double E = floor(L), m = u * pow(10.0, L - E);
    int e = (int)E;
    for (int i = 0; i < 40 && fabs(m) < 1.0; i++) {
        m *= 10.0;
        e--;
    }
    if (e < 300) {
        snprintf(buf, n, "%.6g", m * pow(10.0, e));
        return;
    }
    char mb[32];
    snprintf(mb, sizeof mb, "%.6g", m);
    if (strcmp(mb + (m < 0.0), "10") == 0) { /* 9.9999996 rounded up */
        snprintf(mb, sizeof mb, "%s1", m < 0.0 ? "-" : "");
        e++;
    }
    snprintf(buf, n, "%se+%d", mb, e);
}

/* 1/|xi| as text (finite for every xi != 0, even where 1/|xi| is not a
 * double). */
static void fmt_inv_mod(double r, char *buf, size_t n)
{
    if (isfinite(1.0 / r))
        snprintf(buf, n, "%.6g", 1.0 / r);
    else
        fmt_pow10(1.0, -log10(r), buf, n);
}

/* The root z = 1/xi as text ("inf" for xi = 0). A subnormal xi has a
 * root beyond DBL_MAX: z = (conj(xi) / |xi|) 10^(-log10 |xi|), printed
 * through fmt_pow10 (1/xi itself would be inf * 0 = NaN there). */
static void fmt_root(double complex xi, char *buf, size_t n)
{
    if (xi == 0.0) {
        snprintf(buf, n, "inf");
        return;
    }
    double complex z = 1.0 / xi;
    double re = creal(z), im = cimag(z), mod = cabs(z);
    if (!isfinite(re) || !isfinite(im) || !isfinite(mod)) {
        double r = cabs(xi), L = -log10(r);
        double ur = creal(xi) / r, ui = -cimag(xi) / r;
        char sr[24], si[24];
        fmt_pow10(fabs(ur) <= 1e-14 ? 0.0 : ur, L, sr, sizeof sr);
        if (fabs(ui) <= 1e-12) {
            snprintf(buf, n, "%s", sr);
            return;
        }
        fmt_pow10(ui, L, si, sizeof si);
        snprintf(buf, n, "%s%s%si", sr, si[0] == '-' ? "" : "+", si);
        return;
    }
    if (fabs(re) <= 1e-14 * mod)
        re = 0.0; /* no "-0" */
    if (fabs(im) <= 1e-12 * mod)
        snprintf(buf, n, "%.6g", re);
    else
        snprintf(buf, n, "%.6g%+.6gi", re, im);
}

/* Stationarity and invertibility from the inverse roots, with the message
 * naming the offending root (the one closest to the origin in z). */
static ss_status roots_valid(size_t p, size_t q, const double complex *xa,
                             const double complex *xm)
{
    const struct {
        const double complex *xi;
        size_t n;
        const char *what, *kind;
    } part[2] = {{xa, p, "not stationary", "AR"},
                 {xm, q, "not invertible", "MA"}};
    for (int s = 0; s < 2; s++) {
        size_t at;
        double eta = max_modulus(part[s].xi, part[s].n, &at);
        if (!(eta < 1.0)) {
            char z[64];
            fmt_root(part[s].xi[at], z, sizeof z);
            double zm = 1.0 / eta;
            return SS_FAIL(SS_ERR_RANGE,
                           "%s: %s root %s lies %s the unit circle "
                           "(|z| = %.6g <= 1)",
                           part[s].what, part[s].kind, z,
                           zm < 1.0 - 5e-7 ? "inside" : "on", zm);
        }
    }
    return SS_OK;
}

static ss_status arma_check(const model *m, const double *theta)
{
    size_t p = arma_p(m), q = arma_q(m);
    double complex xa[ARMA_MAX_ORDER], xm[ARMA_MAX_ORDER];
    for (size_t i = 0; i < p + q; i++)
        if (!isfinite(theta[i]))
            return SS_FAIL(SS_ERR_RANGE, "%s must be finite",
                           MODEL_PNAME(m, i));
    ss_status st = arma_roots(p, q, theta, xa, xm);
    if (st == SS_OK)
        st = roots_valid(p, q, xa, xm);
    return st;
}

/* ---- layout ----------------------------------------------------------------- */

/* Defaults: ar1 = 0.5, higher ar 0; ma the coefficients of (1 + 0.3 z)^q
 * (ma1 = 0.3 for q = 1). Not ma_q = 0: with p, q >= 2, arp = maq = 0
 * together is a common root at infinity, a singular point. The AR inverse
 * roots {0.5, 0, ...} and the MA ones {-0.3, ...} never meet. */
static double ma_default(size_t q, size_t j)
{
    double c = 1.0; /* binomial(q, j) */
    for (size_t i = 1; i <= j; i++)
        c = c * (double)(q - j + i) / (double)i;
    return c * pow(0.3, (double)j);
}

static ss_status arma_configure(model *m, const model_arg *args, size_t nargs,
                                unsigned char *used)
{
    static const char *const grp[2] = {"ar", "ma"}, *const optn[2] = {"p",
                                                                      "q"};
    size_t order[2];
    for (int s = 0; s < 2; s++) {
        order[s] = (size_t)m->opt[OPT_P + s];
        /* not marked: the generic code assigns the values via the group */
        const model_arg *g = model_arg_find(args, nargs, grp[s], NULL);
        if (!g || !g->num || !g->is_vector)
            continue;
        if (g->n > ARMA_MAX_ORDER)
            return SS_FAIL_COL(SS_ERR_RANGE, g->col,
                               "%s=[...] has %zu coefficients; at most %d",
                               grp[s], g->n, ARMA_MAX_ORDER);
        const model_arg *o = model_arg_find(args, nargs, optn[s], NULL);
        if (o && order[s] != g->n)
            return SS_FAIL_COL(SS_ERR_USAGE, o->col,
                               "%s = %zu conflicts with %s=[...], which has "
                               "%zu coefficient%s",
                               optn[s], order[s], grp[s], g->n,
                               g->n == 1 ? "" : "s");
        order[s] = g->n;
        if (g->n == 0) /* ar=[]: consumed by the layout (no group) */
            model_arg_find(args, nargs, grp[s], used);
    }
    size_t p = order[0], q = order[1];
    if (p + q == 0)
        return SS_FAIL(SS_ERR_USAGE,
                       "arma needs p + q >= 1 (p = q = 0 is white noise, "
                       "which has no parameters here)");
    ss_status st = SS_OK;
    char name[MODEL_NAME_MAX];
    for (size_t i = 1; st == SS_OK && i <= p; i++) {
        snprintf(name, sizeof name, "ar%zu", i);
        st = model_add_param(m, name, i == 1 ? 0.5 : 0.0, -INFINITY,
                             INFINITY);
    }
    for (size_t j = 1; st == SS_OK && j <= q; j++) {
        snprintf(name, sizeof name, "ma%zu", j);
        st = model_add_param(m, name, ma_default(q, j), -INFINITY, INFINITY);
    }
    if (st == SS_OK && p > 0)
        st = model_add_group(m, "ar", 0, p);
    if (st == SS_OK && q > 0)
        st = model_add_group(m, "ma", p, q);
    /* the options show the layout's orders */
    m->opt[OPT_P] = (double)p;
    m->opt[OPT_Q] = (double)q;
    return st;
}

static size_t arma_data_cols(const model *m)
{
    (void)m;
    return 1;
}

static const char *arma_data_colname(const model *m, size_t col, char *buf,
                                     size_t n)
{
    (void)m;
    (void)col;
    snprintf(buf, n, "x");
    return buf;
}

/* ---- state-space form: model/kalman.h ------------------------------------- */

typedef kalman_ss arma_ss;

/* ---- sampling ------------------------------------------------------------------
 *
 * An exact stationary start, no burn-in: alpha_1 ~ N(0, sigma2 P0) through
 * the symmetric square root of P0 (eigen-decomposition; P0 may be singular,
 * e.g. when maq = 0 leaves a state component that is a function of the
 * others), then the state recursion. Every x_t of the series then has
 * exactly the stationary distribution, to the rounding of P0. */
static ss_status arma_sample(const model *m, const double *theta, gsl_rng *r,
                             gsl_matrix *out)
{
    if (out->size2 != 1)
        return SS_FAIL(SS_ERR_USAGE,
                       "arma: sample matrix must have 1 column, got %zu",
                       out->size2);
    ss_status st = arma_check(m, theta);
    if (st != SS_OK)
        return st;
    arma_ss f;
    kalman_init_arma(&f, arma_p(m), arma_q(m), theta);
    size_t rd = f.r;
    double P0[ARMA_RR];
    st = kalman_stationary(&f, P0, NULL, 0);
    if (st != SS_OK)
        return st;
    gsl_matrix *A = gsl_matrix_alloc(rd, rd), *V = gsl_matrix_alloc(rd, rd);
    gsl_vector *ev = gsl_vector_alloc(rd);
    gsl_eigen_symmv_workspace *w = gsl_eigen_symmv_alloc(rd);
    if (!A || !V || !ev || !w)
        st = SS_FAIL(SS_ERR_NOMEM, "out of memory");
    if (st == SS_OK) {
        for (size_t i = 0; i < rd; i++)
            for (size_t j = 0; j < rd; j++)
                gsl_matrix_set(A, i, j, P0[i * rd + j]);
        if (gsl_eigen_symmv(A, ev, V, w) != GSL_SUCCESS)
            st = SS_FAIL(SS_ERR_NUMERIC,
                         "arma: eigen-decomposition of the stationary "
                         "covariance failed");
    }
    if (st == SS_OK) {
        double sd = sqrt(m->opt[OPT_SIGMA2]);
        double alpha[ARMA_RMAX] = {0}, next[ARMA_RMAX];
        for (size_t k = 0; k < rd; k++) {
            double l = gsl_vector_get(ev, k);
            double c = (l > 0.0 ? sqrt(l) : 0.0) * gsl_ran_gaussian(r, sd);
            for (size_t i = 0; i < rd; i++)
                alpha[i] += gsl_matrix_get(V, i, k) * c;
        }
        for (size_t t = 0; t < out->size1; t++) {
            gsl_matrix_set(out, t, 0, alpha[0]);
            if (t + 1 == out->size1)
                break;
            double e = gsl_ran_gaussian(r, sd);
            kalman_Tvec(&f, alpha, next);
            for (size_t i = 0; i < rd; i++)
                alpha[i] = next[i] + f.R[i] * e;
        }
    }
    if (w)
        gsl_eigen_symmv_free(w);
    if (ev)
        gsl_vector_free(ev);
    if (V)
        gsl_matrix_free(V);
    if (A)
        gsl_matrix_free(A);
    return st;
}

/* ---- exact log-likelihood (model/kalman.c) ------------------------------- */

static ss_status arma_loglik_terms(const model *m, const double *theta,
                                   const gsl_matrix *data, double *ell,
                                   gsl_matrix *scores)
{
    size_t p = arma_p(m), q = arma_q(m), P = p + q;
    if (data->size2 < 1)
        return SS_FAIL(SS_ERR_USAGE, "arma: data needs 1 column (x)");
    if (scores && (scores->size1 != data->size1 || scores->size2 != P))
        return SS_FAIL(SS_ERR_USAGE,
                       "arma: scores must be %zu x %zu, got %zu x %zu",
                       data->size1, P, scores->size1, scores->size2);
    ss_status st = arma_check(m, theta);
    if (st != SS_OK)
        return st;
    arma_ss f;
    kalman_init_arma(&f, p, q, theta);
    return kalman_loglik(&f, m->opt[OPT_SIGMA2], data, ell, scores);
}

/* ---- exact Fisher information ---------------------------------------------- */

/* ARMA(1,1) in closed form: the scores are -u_{t-1}/sigma2 e_t and
 * -v_{t-1}/sigma2 e_t (times e_t) with u = e / (1 - ar1 B),
 * v = e / (1 + ma1 B), whence
 *   G = [[1/(1 - ar1^2), 1/(1 + ar1 ma1)], [1/(1 + ar1 ma1), 1/(1 - ma1^2)]],
 *   det G = (ar1 + ma1)^2 / ((1 - ar1^2)(1 - ma1^2)(1 + ar1 ma1)^2). */
static ss_status closed11(const double *theta, gsl_matrix *G)
{
    double ph = theta[0], th = theta[1];
    if (!(fabs(ph) < 1.0) || !(fabs(th) < 1.0))
        return SS_FAIL(SS_ERR_RANGE,
                       "exact FIM of arma: ar1 = %g, ma1 = %g is not "
                       "stationary and invertible (|ar1|, |ma1| < 1)",
                       ph, th);
    double c = 1.0 / fma(ph, th, 1.0);
    gsl_matrix_set(G, 0, 0, 1.0 / ((1.0 - ph) * (1.0 + ph)));
    gsl_matrix_set(G, 1, 1, 1.0 / ((1.0 - th) * (1.0 + th)));
    gsl_matrix_set(G, 0, 1, c);
    gsl_matrix_set(G, 1, 0, c);
    return SS_OK;
}

/* Trapezoid nodes on the full circle for largest inverse-root modulus eta
 * (a multiple of 4); 0 when more than WH_NMAX would be needed. */
static size_t whittle_nodes(size_t p, size_t q, double eta)
{
    if (eta < 1e-300)
        return WH_NMIN;
    double L = -log(eta), M = 2.0 * (double)(p > q ? p : q) + 1.0;
    double N = WH_LOGTOL / L + 1.0;
    for (int it = 0; it < 12 && N < 4.0 * WH_NMAX; it++)
        N = (WH_LOGTOL + M * log(N)) / L;
    if (!(N <= (double)WH_NMAX))
        return 0;
    size_t n = (size_t)ceil(N);
    if (n < WH_NMIN)
        n = WH_NMIN;
    return (n + 3) / 4 * 4;
}

/* 1 + sum_{i=1..n} c_i z^i at z = e^{-i omega} (cw, sw = cos, sin omega;
 * ch, sh = cos, sin omega/2). A polynomial of effective degree 1 (the
 * common case) is evaluated without cancellation where 1 + c z is small
 * (|c| -> 1, c z -> -1): Re = 1 + c cos omega = (1 - c) + 2c cos^2(omega/2)
 * for c >= 0, (1 + c) + 2|c| sin^2(omega/2) for c < 0, whose terms do not
 * cancel; 1 - |c| is exact for |c| >= 1/2. Otherwise Horner (backward
 * stable, like the root finder). */
static double complex lagpoly(const double *c, double sign, size_t n,
                              double cw, double sw, double ch, double sh)
{
    size_t deg = n;
    while (deg > 0 && c[deg - 1] == 0.0)
        deg--;
    if (deg == 0)
        return 1.0;
    if (deg == 1) {
        double a = sign * c[0];
        double re = a >= 0.0 ? (1.0 - a) + 2.0 * a * ch * ch
                             : (1.0 + a) - 2.0 * a * sh * sh;
        return re - I * (a * sw);
    }
    double complex z = cw - I * sw, acc = 0.0;
    for (size_t i = deg; i >= 1; i--)
        acc = acc * z + sign * c[i - 1];
    return 1.0 + acc * z;
}

/* cos and sin of the node w = 2 pi k / N and of w / 2, accurately in the
 * upper half too (there through v = pi - w, whose cosine does not cancel). */
static void node_trig(size_t k, size_t N, double *cw, double *sw, double *ch,
                      double *sh)
{
    if (4 * k <= N) {
        double w = 2.0 * M_PI * (double)k / (double)N;
        *cw = cos(w);
        *sw = sin(w);
        *ch = cos(0.5 * w);
        *sh = sin(0.5 * w);
    } else {
        double v = 2.0 * M_PI * (double)(N / 2 - k) / (double)N;
        *cw = -cos(v);
        *sw = sin(v);
        *ch = sin(0.5 * v);
        *sh = cos(0.5 * v);
    }
}

/* d log S(omega) / d theta, S ~ |theta(z)|^2 / |phi(z)|^2, z = e^{-i omega}:
 *   d/d ar_i = 2 Re(z^i / phi(z)),  d/d ma_j = 2 Re(z^j / theta(z)),
 * at omega = 2 pi k / N, 0 <= k <= N/2. Near a real root close to the
 * circle the integrand peaks at omega = 0 or pi with relative slope
 * 1/(1 - eta): a node misplaced by one rounding of omega (4e-16 near pi)
 * would cost eps / (1 - eta) (2.5e-13 in G at ar1 = -0.999). So the
 * angle is formed from the nearer of 0 and pi, exactly as a small
 * argument: omega = pi - v with v = 2 pi (N/2 - k) / N in the upper half. */
static void dlogS(size_t p, size_t q, const double *theta, size_t k,
                  size_t N, double *d)
{
    double cw, sw, ch, sh;
    node_trig(k, N, &cw, &sw, &ch, &sh);
    double complex z = cw - I * sw;
    double complex ia = 1.0 / lagpoly(theta, -1.0, p, cw, sw, ch, sh);
    double complex zk = z;
    for (size_t i = 0; i < p; i++, zk *= z)
        d[i] = 2.0 * creal(zk * ia);
    double complex im = 1.0 / lagpoly(theta + p, 1.0, q, cw, sw, ch, sh);
    zk = z;
    for (size_t j = 0; j < q; j++, zk *= z)
        d[p + j] = 2.0 * creal(zk * im);
}

/* G = (1/4 pi) int d log S d log S^T d omega by the N-node trapezoid rule;
 * the integrand is even in omega, so nodes 0..N/2 carry weights
 * 2 pi / N (ends) and 4 pi / N (interior). Row k of the root is
 * sqrt(weight_k / 4 pi) d log S(omega_k). */
static ss_status whittle(size_t p, size_t q, const double *theta, size_t N,
                         gsl_matrix *G, gsl_matrix **root)
{
    size_t P = p + q, rows = N / 2 + 1;
    gsl_matrix *R = NULL;
    if (root) {
        R = gsl_matrix_alloc(rows, P);
        if (!R)
            return SS_FAIL(SS_ERR_NOMEM,
                           "out of memory (%zu quadrature nodes)", rows);
    }
    long double acc[ARMA_PMAX][ARMA_PMAX] = {{0}};
    double d[ARMA_PMAX];
    const double s_end = sqrt(0.5 / (double)N), s_int = sqrt(1.0 / (double)N);
    for (size_t k = 0; k < rows; k++) {
        dlogS(p, q, theta, k, N, d);
        double sc = (k == 0 || k == rows - 1) ? s_end : s_int;
        for (size_t a = 0; a < P; a++) {
            d[a] *= sc;
            if (R)
                gsl_matrix_set(R, k, a, d[a]);
        }
        for (size_t a = 0; a < P; a++)
            for (size_t b = a; b < P; b++)
                acc[a][b] += (long double)d[a] * d[b];
    }
    for (size_t a = 0; a < P; a++)
        for (size_t b = a; b < P; b++) {
            gsl_matrix_set(G, a, b, (double)acc[a][b]);
            gsl_matrix_set(G, b, a, (double)acc[a][b]);
        }
    if (root)
        *root = R;
    return SS_OK;
}

static ss_status arma_fim_exact(const model *m, const double *theta,
                                gsl_matrix *G, gsl_matrix **root)
{
    if (root)
        *root = NULL;
    size_t p = arma_p(m), q = arma_q(m), P = p + q;
    if (G->size1 != P || G->size2 != P)
        return SS_FAIL(SS_ERR_USAGE, "arma: G must be %zu x %zu", P, P);
    int is11 = p == 1 && q == 1;
    if (is11 && !root)
        return closed11(theta, G);
    double complex xa[ARMA_MAX_ORDER], xm[ARMA_MAX_ORDER];
    ss_status st = arma_roots(p, q, theta, xa, xm);
    if (st == SS_OK)
        st = roots_valid(p, q, xa, xm);
    if (st != SS_OK)
        return st;
    size_t ia, im;
    double ea = max_modulus(xa, p, &ia), em = max_modulus(xm, q, &im);
    size_t N = whittle_nodes(p, q, ea > em ? ea : em);
    if (N == 0) {
        if (is11) /* G from the closed form; no root factor */
            return closed11(theta, G);
        char z[64];
        fmt_root(ea > em ? xa[ia] : xm[im], z, sizeof z);
        double eta = ea > em ? ea : em;
        return SS_FAIL(SS_ERR_RANGE,
                       "exact FIM of arma: the %s root %s is too close to "
                       "the unit circle (|z| - 1 = %.3g); Whittle's "
                       "quadrature would need more than %u nodes (use "
                       "method=mc)",
                       ea > em ? "AR" : "MA", z, 1.0 / eta - 1.0, WH_NMAX);
    }
    return whittle(p, q, theta, N, G, root);
}

/* The exact filter's scores differ from the infinite-past ones by terms
 * of order t^q eta^t, eta the largest MA inverse-root modulus (the AR part
 * is conditioned on exactly after r steps): the burn-in is r plus the
 * smallest N with N^q eta^N <= 1e-13. */
static size_t arma_series_memory(const model *m, const double *theta,
                                 size_t max)
{
    size_t p = arma_p(m), q = arma_q(m), r = p > q + 1 ? p : q + 1, at;
    double complex xa[ARMA_MAX_ORDER], xm[ARMA_MAX_ORDER];
    if (arma_roots(p, q, theta, xa, xm) != SS_OK) {
        ss_clear_error();
        return 0;
    }
    double eta = max_modulus(xm, q, &at), N = 1.0;
    if (eta < 1e-300)
        return r <= max ? r : 0;
    for (int it = 0; it < 40; it++)
        N = (13.0 * M_LN10 + (double)q * log(N + 1.0)) / -log(eta);
    return isfinite(N) && N + (double)r <= (double)max
               ? r + (size_t)ceil(N) : 0;
}

/* ---- singular sets ------------------------------------------------------------- */

/* Smallest distance between an AR and an MA inverse root (snapped to 0
 * within the root finder's rounding); the pair in *ia, *im. */
static double closest_pair(size_t p, size_t q, const double complex *xa,
                           const double complex *xm, size_t *ia, size_t *im)
{
    double best = INFINITY;
    *ia = *im = 0;
    for (size_t i = 0; i < p; i++)
        for (size_t j = 0; j < q; j++) {
            double dd = cabs(xa[i] - xm[j]);
            if (dd < best) {
                best = dd;
                *ia = i;
                *im = j;
            }
        }
    return best <= ROOT_SNAP ? 0.0 : best;
}

/* The number of AR/MA inverse-root pairs that coincide (within
 * ROOT_SNAP), each root used once: the degree of the common factor. */
static size_t common_pairs(size_t p, size_t q, const double complex *xa,
                           const double complex *xm)
{
    unsigned char used[ARMA_MAX_ORDER] = {0};
    size_t c = 0;
    for (size_t i = 0; i < p; i++)
        for (size_t j = 0; j < q; j++)
            if (!used[j] && cabs(xa[i] - xm[j]) <= ROOT_SNAP) {
                used[j] = 1;
                c++;
                break;
            }
    return c;
}

/* One set (common AR and MA roots) whenever both orders are positive,
 * whether or not the roots can be found at a given point. */
static size_t arma_nsingular(const model *m)
{
    return arma_p(m) > 0 && arma_q(m) > 0 ? 1 : 0;
}

static size_t arma_singular(const model *m, const double *theta,
                            model_singular *out, size_t max)
{
    size_t p = arma_p(m), q = arma_q(m);
    if (p == 0 || q == 0 || max == 0)
        return 0;
    if (p == 1 && q == 1) {
        snprintf(out[0].name, sizeof out[0].name, "ar1 = -ma1");
        snprintf(out[0].effect, sizeof out[0].effect,
                 "the AR and MA roots coincide and cancel: x is white "
                 "noise, and ar1 - ma1 is unidentifiable");
        out[0].distance = fabs(theta[0] + theta[1]) / M_SQRT2;
        return 1;
    }
    double complex xa[ARMA_MAX_ORDER], xm[ARMA_MAX_ORDER];
    if (arma_roots(p, q, theta, xa, xm) != SS_OK) {
        ss_clear_error(); /* a report, not a failure */
        return 0;
    }
    size_t ia, im;
    out[0].distance = closest_pair(p, q, xa, xm, &ia, &im);
    /* On the set, every coinciding pair cancels (all of them when every
     * coefficient is 0: white noise, ARMA(0,0)); nearby, one pair would. */
    size_t c = out[0].distance == 0.0 ? common_pairs(p, q, xa, xm) : 1;
    snprintf(out[0].name, sizeof out[0].name, "AR root = MA root");
    snprintf(out[0].effect, sizeof out[0].effect,
             "a common factor cancels: the model is ARMA(%zu,%zu)%s "
             "(distance: min |1/z_AR - 1/z_MA| over root pairs)",
             p - c, q - c, p == c && q == c ? ", white noise" : "");
    return 1;
}

/* ---- coordinates (ARMA(1,1) only) -------------------------------------------------
 *
 * delta = ar1 + ma1 (the singular line is delta = 0) and m = (ma1 - ar1)/2
 * (the position along it: the foot of the perpendicular is
 * (ar1, ma1) = (-m, m)). An orthogonal chart, in which
 * lambda_min = delta^2 / (2 (1 - m^2)^3) (1 + O(delta^2)). */
static size_t arma_coord_names(const model *m,
                               char (*names)[MODEL_NAME_MAX])
{
    if (arma_p(m) != 1 || arma_q(m) != 1)
        return 0;
    snprintf(names[0], MODEL_NAME_MAX, "delta");
    snprintf(names[1], MODEL_NAME_MAX, "m");
    return 2;
}

static ss_status arma_to_coords(const model *m, const double *theta,
                                double *c)
{
    if (arma_p(m) != 1 || arma_q(m) != 1)
        return SS_FAIL(SS_ERR_USAGE,
                       "arma has coordinates (delta, m) only for p = q = 1");
    c[0] = theta[0] + theta[1];
    c[1] = 0.5 * (theta[1] - theta[0]);
    return SS_OK;
}

static ss_status arma_from_coords(const model *m, const double *c,
                                  double *theta)
{
    if (arma_p(m) != 1 || arma_q(m) != 1)
        return SS_FAIL(SS_ERR_USAGE,
                       "arma has coordinates (delta, m) only for p = q = 1");
    theta[0] = 0.5 * c[0] - c[1];
    theta[1] = 0.5 * c[0] + c[1];
    return SS_OK;
}

/* ---- show ------------------------------------------------------------------------ */

static void describe_roots(const ss_sink *out, const char *kind,
                           const char *poly, const double complex *xi,
                           size_t n, const char *ok, const char *bad)
{
    if (n == 0) {
        ss_sink_printf(out, "  %s part: none (order 0)\n", kind);
        return;
    }
    char line[1024];
    size_t len = (size_t)snprintf(line, sizeof line, "%s roots of %s: ",
                                  kind, poly);
    int valid = 1;
    size_t shown = 0, zeros = 0;
    for (size_t i = 0; i < n; i++) {
        if (xi[i] == 0.0) {
            zeros++;
            continue;
        }
        char z[64];
        fmt_root(xi[i], z, sizeof z);
        if (!(cabs(xi[i]) < 1.0))
            valid = 0;
        char zm[48];
        fmt_inv_mod(cabs(xi[i]), zm, sizeof zm);
        if (len < sizeof line)
            len += (size_t)snprintf(line + len, sizeof line - len,
                                    "%sz = %s (|z| = %s)",
                                    shown++ ? ", " : "", z, zm);
    }
    if (zeros && len < sizeof line)
        len += (size_t)snprintf(line + len, sizeof line - len,
                                "%s%zu at infinity (effective order %zu)",
                                shown ? ", " : "", zeros, n - zeros);
    if (len < sizeof line)
        snprintf(line + len, sizeof line - len, "; %s", valid ? ok : bad);
    ss_sink_printf(out, "  %s\n", line);
}

static void arma_describe(const model *m, const double *theta,
                          const ss_sink *out)
{
    size_t p = arma_p(m), q = arma_q(m);
    double complex xa[ARMA_MAX_ORDER], xm[ARMA_MAX_ORDER];
    if (arma_roots(p, q, theta, xa, xm) != SS_OK) {
        ss_sink_printf(out, "  roots: %s\n", ss_last_error()->msg);
        ss_clear_error();
        return;
    }
    describe_roots(out, "AR", "1 - ar1 z - ... - arp z^p", xa, p,
                   "stationary", "NOT stationary");
    describe_roots(out, "MA", "1 + ma1 z + ... + maq z^q", xm, q,
                   "invertible", "NOT invertible");
    if (p == 0 || q == 0)
        return;
    size_t ia, im;
    double dist = closest_pair(p, q, xa, xm, &ia, &im);
    char za[64], zm[64];
    fmt_root(xa[ia], za, sizeof za);
    fmt_root(xm[im], zm, sizeof zm);
    /* |z_AR - z_MA| = |xi_MA - xi_AR| / (|xi_AR| |xi_MA|), through
     * logarithms where the direct difference of roots overflows */
    char dzs[48];
    if (xa[ia] == 0.0 || xm[im] == 0.0 || xa[ia] == xm[im]) {
        snprintf(dzs, sizeof dzs, "%.6g",
                 xa[ia] == xm[im] ? 0.0 : INFINITY);
    } else {
        double dz = cabs(1.0 / xa[ia] - 1.0 / xm[im]);
        if (isfinite(dz))
            snprintf(dzs, sizeof dzs, "%.6g", dz);
        else
            fmt_pow10(1.0,
                      log10(cabs(xm[im] - xa[ia])) - log10(cabs(xa[ia])) -
                          log10(cabs(xm[im])),
                      dzs, sizeof dzs);
    }
    ss_sink_printf(out,
                   "  closest AR/MA root pair: z_AR = %s, z_MA = %s: "
                   "|1/z_AR - 1/z_MA| = %.6g (|z_AR - z_MA| = %s)%s\n",
                   za, zm, dist, dzs,
                   dist == 0.0 ? ": a common factor (singular)" : "");
}

/* ---- type ------------------------------------------------------------------------- */

/* ---- generalisation error and test points -------------------------------- */

/* r - 1 - log r from l = log r, without the cancellation near r = 1 (the
 * series is exact to rounding for |l| < 1e-3: next term l^6 / 5040). */
static double kl_h(double l)
{
    if (fabs(l) < 1e-3)
        return l * l *
               (0.5 + l * (1.0 / 6 + l * (1.0 / 24 + l * (1.0 / 120 +
                                                        l / 720.0))));
    return expm1(l) - l;
}

/* log |1 + sum c_i z^i|^2 at the angle (cw, sw, ch, sh), see lagpoly. */
static double log_abs2(const double *c, double sign, size_t n, double cw,
                       double sw, double ch, double sh)
{
    double complex v = lagpoly(c, sign, n, cw, sw, ch, sh);
    double re = creal(v), im = cimag(v);
    return log(re * re + im * im);
}

/* KL(teacher || model) per time step between the stationary Gaussian
 * processes (the Kullback-Leibler rate, Whittle):
 *   (1 / 4 pi) int_{-pi}^{pi} [S_t/S_m - 1 - log(S_t/S_m)] d omega,
 * with log(S_t/S_m) = log(sigma2_t/sigma2_m) + log|theta_t|^2
 * - log|phi_t|^2 + log|phi_m|^2 - log|theta_m|^2 at z = e^{-i omega}.
 * The integrand is periodic and analytic in the annulus bounded by the
 * largest inverse-root modulus eta of the four polynomials (poles of
 * S_t/S_m, or logarithmic branch points), so the N-node trapezoid rule
 * converges like N^M eta^N: N from whittle_nodes, as for the FIM. Even in
 * omega: nodes 0..N/2 with the ends at half weight. */
static ss_status arma_kl_from(const model *m, const double *theta,
                              const model *teacher, double *kl)
{
    *kl = NAN;
    if (teacher->type != m->type)
        return SS_FAIL(SS_ERR_USAGE,
                       "arma: KL from a %s teacher is not available (the "
                       "teacher must be an arma)",
                       teacher->type->name);
    size_t pm = arma_p(m), qm = arma_q(m);
    size_t pt = arma_p(teacher), qt = arma_q(teacher);
    const double *tt = teacher->theta;
    double complex xa[2][ARMA_MAX_ORDER], xm[2][ARMA_MAX_ORDER];
    ss_status st = arma_roots(pm, qm, theta, xa[0], xm[0]);
    if (st == SS_OK)
        st = roots_valid(pm, qm, xa[0], xm[0]);
    if (st == SS_OK)
        st = arma_roots(pt, qt, tt, xa[1], xm[1]);
    if (st == SS_OK)
        st = roots_valid(pt, qt, xa[1], xm[1]);
    if (st != SS_OK)
        return st;
    size_t at;
    double eta = max_modulus(xa[0], pm, &at);
    eta = fmax(eta, max_modulus(xm[0], qm, &at));
    eta = fmax(eta, max_modulus(xa[1], pt, &at));
    eta = fmax(eta, max_modulus(xm[1], qt, &at));
    size_t ord = pm;
    ord = qm > ord ? qm : ord;
    ord = pt > ord ? pt : ord;
    ord = qt > ord ? qt : ord;
    size_t N = whittle_nodes(ord, 0, eta);
    if (N == 0)
        return SS_FAIL(SS_ERR_RANGE,
                       "arma: KL: a root is too close to the unit circle "
                       "(|z| - 1 = %.3g); the trapezoid rule would need "
                       "more than %u nodes",
                       1.0 / eta - 1.0, WH_NMAX);
    double l0 = log(teacher->opt[OPT_SIGMA2]) - log(m->opt[OPT_SIGMA2]);
    long double acc = 0;
    for (size_t k = 0; k <= N / 2; k++) {
        double cw, sw, ch, sh;
        node_trig(k, N, &cw, &sw, &ch, &sh);
        double l = l0 + log_abs2(tt + pt, 1.0, qt, cw, sw, ch, sh) -
                   log_abs2(tt, -1.0, pt, cw, sw, ch, sh) +
                   log_abs2(theta, -1.0, pm, cw, sw, ch, sh) -
                   log_abs2(theta + pm, 1.0, qm, cw, sw, ch, sh);
        double h = kl_h(l);
        acc += (k == 0 || k == N / 2) ? h : 2.0 * h;
    }
    double r = (double)(acc / (2.0L * (long double)N));
    if (!isfinite(r))
        return SS_FAIL(SS_ERR_NUMERIC, "arma: KL is not finite here");
    *kl = r > 0.0 ? r : 0.0;
    return SS_OK;
}

/* Generic points of ARMA(2,1) and (1,2), and points on and near the
 * singular set: the AR and MA polynomials share a root (for (1,1):
 * ar1 = -ma1); ar_p = ma_q = 0 together is a common root at infinity. */
static const model_testpoint arma_testpoints[] = {
    {"(2,1) generic", "ar=[0.5,-0.3] ma=[0.4]", NULL, MODEL_TP_GENERIC, 3, 0},
    {"(1,2) generic", "ar=[-0.6] ma=[0.3,0.2]", NULL, MODEL_TP_GENERIC, 3, 0},
    {"(1,1) on ar1=-ma1", "ar=[0.6] ma=[-0.6]", NULL, MODEL_TP_ON, 1, 0},
    {"(1,1) ar1+ma1=1e-4", "ar=[0.6] ma=[-0.5999]", NULL, MODEL_TP_NEAR, 2,
     1e-12},
    {"(2,1) common root", "ar=[0.1,0.2] ma=[-0.5]", NULL, MODEL_TP_ON, 2, 0},
    {"(2,2) ar2=ma2=0", "ar=[0.5,0] ma=[0.3,0]", NULL, MODEL_TP_ON, 3, 0},
};

const model_type model_arma_type = {
    .name = "arma",
    .summary = "ARMA(p,q) time series with known innovation variance "
               "(exact likelihood)",
    .help =
        "x_t = ar1 x_{t-1} + ... + arp x_{t-p} + e_t + ma1 e_{t-1} + ... + "
        "maq e_{t-q},\n"
        "e_t ~ N(0, sigma2) i.i.d.: the sign convention of R's arima and "
        "statsmodels\n"
        "(AR polynomial 1 - ar1 z - ... - arp z^p, MA polynomial "
        "1 + ma1 z + ... + maq z^q).\n"
        "Options: sigma2 (known innovation variance, default 1; not a "
        "parameter: its FIM\n"
        "block 1/(2 sigma2^2) is orthogonal to the rest), p and q (orders "
        "0..8, default 1\n"
        "and 1; p + q >= 1). `fit` estimates sigma2 (profiled out of the "
        "likelihood, as\n"
        "R's arima and statsmodels do) and reports it with its standard "
        "error.\n"
        "ar=[..] / ma=[..] at creation set the orders "
        "from their lengths:\n"
        "`model a arma ar=[0.5] ma=[-0.45]` is ARMA(1,1), ar=[] means "
        "p = 0.\n"
        "Parameters ar1..arp, ma1..maq (groups ar, ma). Defaults: ar1 = "
        "0.5, higher ar 0;\n"
        "ma the coefficients of (1 + 0.3 z)^q (ma1 = 0.3 for q = 1).\n"
        "Valid points are stationary (all roots of the AR polynomial outside "
        "the unit circle)\n"
        "and invertible (likewise the MA roots); `show` lists the roots.\n"
        "Data: one series x, rows in time order. The log-likelihood is the "
        "exact Gaussian one\n"
        "(Kalman filter from the stationary start), one term per "
        "observation:\n"
        "ell_t = log N(x_t; xhat_t, sigma2 v_t), the prediction-error "
        "decomposition.\n"
        "Exact FIM: per observation (n -> inf), Whittle's "
        "(1/4pi) int dlogS dlogS^T domega by\n"
        "the trapezoid rule at machine precision. ARMA(1,1): "
        "[[1/(1-ar1^2), 1/(1+ar1 ma1)],\n"
        "[1/(1+ar1 ma1), 1/(1-ma1^2)]], det = (ar1+ma1)^2 / ((1-ar1^2)"
        "(1-ma1^2)(1+ar1 ma1)^2).\n"
        "Singular set (p, q >= 1): an AR root equals an MA root; the common "
        "factor cancels and\n"
        "the model is ARMA(p-1,q-1). Distance: min |1/z_AR - 1/z_MA| over "
        "root pairs (inverse\n"
        "roots: arp = 0 puts an AR root at infinity, so arp = maq = 0 "
        "together is singular,\n"
        "either alone is not). AR(p) and MA(q) alone are regular.\n"
        "ARMA(1,1): the line ar1 = -ma1, where x is white noise and the "
        "FIM has rank 1;\n"
        "distance |ar1 + ma1|/sqrt2. Coordinates delta = ar1 + ma1, "
        "m = (ma1 - ar1)/2; near the\n"
        "line lambda_min = delta^2 / (2 (1 - m^2)^3) (1 + O(delta^2)).\n"
        "Cone: x_t = e_t + delta sum_{k>=1} ar1^(k-1) e_{t-k}, white noise "
        "plus delta times a\n"
        "direction fixed by the root. Per observation, KL(ARMA || white "
        "noise N(0, sigma2))\n"
        "= delta^2 / (2 (1 - ar1^2)); with the white-noise variance fitted, "
        "KL(ARMA || WN)\n"
        "= log(1 + delta^2/(1 - ar1^2)) / 2 and KL(WN || ARMA) = "
        "log(1 + delta^2/(1 - ma1^2)) / 2.",
    .opts = arma_opts,
    .nopts = sizeof arma_opts / sizeof arma_opts[0],
    .param_summary = "ar1..arp ma1..maq (ar=[..] ma=[..])",
    .configure = arma_configure,
    .check = arma_check,
    .data_cols = arma_data_cols,
    .data_colname = arma_data_colname,
    .sample = arma_sample,
    .loglik_terms = arma_loglik_terms,
    .fim_exact = arma_fim_exact,
    .singular = arma_singular,
    .nsingular = arma_nsingular,
    .coord_names = arma_coord_names,
    .to_coords = arma_to_coords,
    .from_coords = arma_from_coords,
    .describe = arma_describe,
    .series_memory = arma_series_memory,
    .release = NULL,
    .copy_state = NULL,
    .data_kind = MODEL_DATA_SERIES,
    .kl_from = arma_kl_from,
    .testpoints = arma_testpoints,
    .ntestpoints = sizeof arma_testpoints / sizeof arma_testpoints[0],
};

const model_type *const model_arma = &model_arma_type;

/* The profile route (gmm, K = 2, s known): the global maximum of the
 * likelihood over one mixture weight and one mean, the other mean fixed.
 *
 * Write the free mean mu, the fixed one w0 and a the weight of mu's
 * component (a = v when w2 is free, a = 1 - v when w1 is: the mirror).
 * With r_i(mu) = phi(x_i; mu, s^2) / phi(x_i; w0, s^2) = e^{d_i},
 * d_i = ((mu - w0)/s) (z0_i + zmu_i) / 2 (gmm's factored log-odds),
 *
 *   l(a, mu) = sum log phi(x_i; w0, s^2) + F(a, mu),
 *   F(a, mu) = sum log(1 - a + a r_i),
 *
 * and F is concave in a (its second derivative is -sum q_i^2,
 * q_i = (r_i - 1)/(1 - a + a r_i)). The profile lp(mu) = max_a F(a, mu)
 * over a's range is found by a safeguarded Newton iteration on
 * F_a = sum q_i: the optimum is the lower end when F_a <= 0 there, the
 * upper end when F_a >= 0 there, else the root, bracketed, each Newton
 * step falling back to bisection when it leaves the bracket; converged
 * when a step (or the bracket) is below PROF_TOL_A. Per mu one exp per
 * observation: r_i for d_i <= PROF_DBIG, else t_i = e^{-d_i} with the
 * terms written d_i + log(a + (1 - a) t_i) and q_i = (1 - t_i)/(a + (1 - a)
 * t_i), so nothing overflows for any x; 1 - a + a r_i is a sum of two
 * non-negative terms (relative accuracy near a = 1 too).
 *
 * lp is smooth in mu. It is evaluated on a grid of PROF_GRID_H s spacing
 * over mu's range (at least PROF_GRID_MIN and at most PROF_GRID_MAX
 * points, both ends included). If |lp''| <= C on a cell of width h, the
 * grid's best value in the cell is within C h^2 / 8 of the cell's maximum,
 * and the second differences of the grid estimate C h^2. So every grid
 * local maximum within PROF_MARGIN_K max|second difference| / 8 of the
 * best grid value is refined (at most PROF_REFINE of them, the highest),
 * and no cell whose maximum could beat the best is left out, up to the
 * estimate of C. A strict interior local maximum is refined by Brent
 * (gsl_min_fminimizer_brent) on -lp over its two cells until the bracket
 * is below PROF_TOL_MU (1 + |mu|); at an end of the range (or a tie) the
 * envelope derivative lp'(mu) = sum r2_i (x_i - mu) / s^2 (r2 the
 * responsibility of mu's component) says whether the end is the optimum or
 * a point inside the cell is higher, which then brackets Brent.
 *
 * Weight only (both means fixed): one Newton solve. The start's point is
 * compared as well, so the result is never below it (as with EM).
 * Iterations are evaluations of lp. */
#include "infer/fit_int.h"

#include "model/gmm_k.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_min.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* gmm's classic layout (gmm_k.h): v, w1, w2 */
enum { P_V, P_W1, P_W2 };

#define PROF_DBIG 30.0
#define PROF_TOL_A 1e-12
#define PROF_NEWTON_MAX 200
#define PROF_GRID_H 0.125
#define PROF_GRID_MIN 9
#define PROF_GRID_MAX 257
#define PROF_MARGIN_K 2.0
#define PROF_REFINE 4
#define PROF_TOL_MU 1e-7
#define PROF_BRENT_MAX 100
#define PROF_HALVE_MAX 40
#define PROF_NEAR 4

typedef struct {
    int has_mu;           /* a mean is free (else the weight only) */
    int mirror;           /* w1 free: a = 1 - v */
    size_t mu_i, w0_i;    /* the free and the fixed mean */
    double alo, ahi;      /* a's range */
    double mlo, mhi;      /* mu's range */
    double s, w0;
    size_t cap, n;
    double *x;            /* the data column (n) */
    double *r;            /* r_i for the small d (ns of them) */
    double *rx;           /* x_i of those */
    double *bd, *bt, *bx; /* d_i, e^{-d_i}, x_i for the large d (nb) */
    size_t ns, nb;
    double a_warm;        /* the last interior optimum in a */
    size_t evals;
    int newton_fail;      /* some Newton solve hit PROF_NEWTON_MAX */
    int bad;              /* a non-finite value met */
} prof_ws;

static int is_gmm2(const model *m)
{
    return m->type == &model_gmm_type && gmm_is_classic(m);
}

static ss_status profile_applies(const model *m)
{
    if (m->type != &model_gmm_type)
        return SS_FAIL(SS_ERR_USAGE,
                       "fit method=profile is for gmm (a %s model has no "
                       "profile route)",
                       m->type->name);
    if (!is_gmm2(m)) {
        gmm_layout L = gmm_layout_of(m);
        return SS_FAIL(SS_ERR_USAGE,
                       "fit method=profile needs gmm with k=2 and s known "
                       "(this one has k=%zu%s); use method=em",
                       L.K, L.sfree ? " and s=free" : "");
    }
    if (!m->is_free[P_V])
        return SS_FAIL(SS_ERR_USAGE,
                       "fit method=profile needs v free (with at most one "
                       "mean free); use method=em");
    if (m->is_free[P_W1] && m->is_free[P_W2])
        return SS_FAIL(SS_ERR_USAGE,
                       "fit method=profile needs one mean fixed (w1 and w2 "
                       "are both free); use method=em");
    for (size_t i = P_W1; i <= P_W2; i++)
        if (m->is_free[i] && !(isfinite(model_param_lo(m, i)) &&
                               isfinite(model_param_hi(m, i)))) {
            char nm[MODEL_NAME_MAX];
            model_param_name(m, i, nm, sizeof nm);
            return SS_FAIL(SS_ERR_USAGE,
                           "fit method=profile needs a finite range for the "
                           "free mean %s (bound the model: bound MODEL "
                           "%s=LO..HI)",
                           nm, nm);
        }
    return SS_OK;
}

static void profile_ws_free(fit_ctx *c)
{
    prof_ws *w = c->scratch;
    if (w) {
        free(w->x);
        free(w->r);
        free(w->rx);
        free(w->bd);
        free(w->bt);
        free(w->bx);
        free(w);
    }
    c->scratch = NULL;
}

static ss_status profile_ws_alloc(fit_ctx *c)
{
    const model *m = c->m;
    prof_ws *w = calloc(1, sizeof *w);
    if (!w)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    c->scratch = w;
    w->has_mu = m->is_free[P_W1] || m->is_free[P_W2];
    w->mirror = m->is_free[P_W1];
    w->mu_i = w->mirror ? P_W1 : P_W2;
    w->w0_i = w->mirror ? P_W2 : P_W1;
    double vlo = model_param_lo(m, P_V), vhi = model_param_hi(m, P_V);
    w->alo = w->mirror ? 1.0 - vhi : vlo;
    w->ahi = w->mirror ? 1.0 - vlo : vhi;
    w->mlo = model_param_lo(m, w->mu_i);
    w->mhi = model_param_hi(m, w->mu_i);
    w->s = m->opt[0];
    return SS_OK;
}

static ss_status ws_reserve(prof_ws *w, size_t n)
{
    if (n <= w->cap)
        return SS_OK;
    double **arr[] = {&w->x, &w->r, &w->rx, &w->bd, &w->bt, &w->bx};
    for (size_t k = 0; k < sizeof arr / sizeof *arr; k++) {
        double *p = realloc(*arr[k], n * sizeof *p);
        if (!p)
            return SS_FAIL(SS_ERR_NOMEM, "out of memory");
        *arr[k] = p;
    }
    w->cap = n;
    return SS_OK;
}

/* r_i (or the large-d form) at mu: the one exp per observation. */
static void ratios(prof_ws *w, double mu)
{
    const double s = w->s, us = (mu - w->w0) / s;
    size_t ns = 0, nb = 0;
    for (size_t i = 0; i < w->n; i++) {
        double x = w->x[i];
        double d = us == 0.0 ? 0.0
                             : us * (0.5 * ((x - w->w0) / s) +
                                     0.5 * ((x - mu) / s));
        if (d <= PROF_DBIG) {
            w->r[ns] = exp(d);
            w->rx[ns++] = x;
        } else {
            w->bd[nb] = d;
            w->bt[nb] = exp(-d);
            w->bx[nb++] = x;
        }
    }
    w->ns = ns;
    w->nb = nb;
}

/* F_a and F_aa at a. */
static void deriv(const prof_ws *w, double a, double *g, double *h)
{
    double g0 = 0, g1 = 0, h0 = 0, h1 = 0, b = 1.0 - a;
    size_t i = 0, ns = w->ns;
    const double *r = w->r;
    for (; i + 1 < ns; i += 2) { /* two chains for the pipelines */
        double q0 = (r[i] - 1.0) / (b + a * r[i]);
        double q1 = (r[i + 1] - 1.0) / (b + a * r[i + 1]);
        g0 += q0;
        h0 += q0 * q0;
        g1 += q1;
        h1 += q1 * q1;
    }
    if (i < ns) {
        double q = (r[i] - 1.0) / (b + a * r[i]);
        g0 += q;
        h0 += q * q;
    }
    for (size_t j = 0; j < w->nb; j++) {
        double t = w->bt[j], q = (1.0 - t) / (a + b * t);
        g1 += q;
        h1 += q * q;
    }
    *g = g0 + g1;
    *h = -(h0 + h1);
}

/* F(a) and the envelope derivative dF/dmu at the current mu (times s^2). */
static double value(const prof_ws *w, double a, double mu, double *dmu)
{
    double f = 0, dm = 0, b = 1.0 - a;
    if (a != 0.0) {
        for (size_t i = 0; i < w->ns; i++) {
            double p = b + a * w->r[i];
            f += log(p);
            dm += a * w->r[i] / p * (w->rx[i] - mu);
        }
    }
    for (size_t j = 0; j < w->nb; j++) {
        if (a == 0.0)
            continue;
        double p = a + b * w->bt[j];
        f += w->bd[j] + log(p);
        dm += a / p * (w->bx[j] - mu);
    }
    if (dmu)
        *dmu = dm;
    return f;
}

/* argmax over a of F(a, mu) at the ratios in w: safeguarded Newton. */
static double solve_a(prof_ws *w, int *ok)
{
    double lo = w->alo, hi = w->ahi, g, h;
    *ok = 1;
    deriv(w, lo, &g, &h);
    if (!(g > 0)) {
        if (isnan(g))
            w->bad = 1;
        return lo;
    }
    deriv(w, hi, &g, &h);
    if (!(g < 0)) {
        if (isnan(g))
            w->bad = 1;
        return hi;
    }
    double a = w->a_warm > lo && w->a_warm < hi ? w->a_warm : 0.5 * (lo + hi);
    for (int it = 0; it < PROF_NEWTON_MAX; it++) {
        deriv(w, a, &g, &h);
        if (isnan(g) || isnan(h)) {
            w->bad = 1;
            return a;
        }
        if (g == 0)
            return a;
        if (g > 0)
            lo = a;
        else
            hi = a;
        double an = h < 0 && isfinite(h) ? a - g / h : NAN;
        if (!(an > lo && an < hi))
            an = 0.5 * (lo + hi);
        double step = fabs(an - a);
        a = an;
        if (step <= PROF_TOL_A || hi - lo <= PROF_TOL_A)
            return a;
    }
    *ok = 0;
    return a;
}

/* lp(mu) - sum log phi(x; w0) with its maximiser in a and lp'(mu) s^2. */
static double eval_mu(prof_ws *w, double mu, double *a_out, double *dmu)
{
    int ok;
    ratios(w, mu);
    double a = solve_a(w, &ok);
    if (!ok)
        w->newton_fail = 1;
    if (a > w->alo && a < w->ahi)
        w->a_warm = a;
    w->evals++;
    double f = value(w, a, mu, dmu);
    if (!isfinite(f))
        w->bad = 1;
    if (a_out)
        *a_out = a;
    return f;
}

static double brent_fn(double mu, void *p)
{
    double f = eval_mu(p, mu, NULL, NULL);
    return isfinite(f) ? -f : GSL_POSINF;
}

typedef struct {
    double mu, f;
} cand;

/* The maximum of lp in the cells next to grid point j (mu[j], f[j]),
 * into *best (mu, f), improving it only; *conv = 0 when Brent did not
 * meet its tolerance. */
static ss_status refine(prof_ws *w, const double *mu, const double *f,
                        const double *dm, size_t G, size_t j, cand *best,
                        int *conv)
{
    double lo, mid, up, flo, fmid, fup;
    if (j > 0 && j + 1 < G && f[j] > f[j - 1] && f[j] > f[j + 1]) {
        lo = mu[j - 1], mid = mu[j], up = mu[j + 1];
        flo = f[j - 1], fmid = f[j], fup = f[j + 1];
    } else {
        /* an end or a tie: the envelope derivative gives the direction */
        if (G < 2)
            return SS_OK;
        int dir = j == 0 ? 1 : j + 1 == G ? -1 : dm[j] > 0 ? 1 : -1;
        if (!(dm[j] * dir > 0))
            return SS_OK; /* mu[j] is the cell's optimum */
        size_t nb = dir > 0 ? j + 1 : j - 1;
        double far = mu[nb], ffar = f[nb], m = mu[nb], fm = f[nb];
        int found = 0;
        for (int k = 1; k <= PROF_HALVE_MAX; k++) {
            m = mu[j] + (mu[nb] - mu[j]) * ldexp(1.0, -k);
            fm = eval_mu(w, m, NULL, NULL);
            if (fm > f[j]) {
                found = 1;
                break;
            }
            far = m;
            ffar = fm;
        }
        if (!found)
            return SS_OK;
        if (fm > best->f) {
            best->mu = m;
            best->f = fm;
        }
        lo = dir > 0 ? mu[j] : far;
        up = dir > 0 ? far : mu[j];
        flo = dir > 0 ? f[j] : ffar;
        fup = dir > 0 ? ffar : f[j];
        mid = m;
        fmid = fm;
    }
    if (!(fmid > flo && fmid > fup))
        return SS_OK;
    gsl_min_fminimizer *b = gsl_min_fminimizer_alloc(gsl_min_fminimizer_brent);
    if (!b)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    gsl_function fn = {brent_fn, w};
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    int rc = gsl_min_fminimizer_set_with_values(b, &fn, mid, -fmid, lo, -flo,
                                                up, -fup);
    int done = 0;
    for (int it = 0; rc == GSL_SUCCESS && it < PROF_BRENT_MAX; it++) {
        rc = gsl_min_fminimizer_iterate(b);
        if (rc != GSL_SUCCESS)
            break;
        double a = gsl_min_fminimizer_x_lower(b),
               z = gsl_min_fminimizer_x_upper(b);
        if (gsl_min_test_interval(a, z, PROF_TOL_MU, PROF_TOL_MU) ==
            GSL_SUCCESS) {
            done = 1;
            break;
        }
    }
    gsl_set_error_handler(old);
    double xm = gsl_min_fminimizer_x_minimum(b),
           fm = -gsl_min_fminimizer_f_minimum(b);
    gsl_min_fminimizer_free(b);
    if (!done)
        *conv = 0;
    if (fm > best->f) {
        best->mu = xm;
        best->f = fm;
    }
    return SS_OK;
}

static int cmp_pt(const void *p, const void *q)
{
    double a = *(const double *)p, b = *(const double *)q;
    return (a > b) - (a < b);
}

static ss_status profile_mu(prof_ws *w, cand *best, int *conv)
{
    double width = w->mhi - w->mlo;
    size_t G = (size_t)ceil(width / (PROF_GRID_H * w->s)) + 1;
    G = G < PROF_GRID_MIN ? PROF_GRID_MIN : G > PROF_GRID_MAX ? PROF_GRID_MAX
                                                              : G;
    if (width == 0)
        G = 1;
    /* (mu, f, dm) triples, the uniform grid first, then the points near
     * the fixed mean (PROF_NEAR) */
    double pt[3 * (PROF_GRID_MAX + PROF_NEAR)];
    for (size_t j = 0; j < G; j++) {
        double m = j + 1 == G ? w->mhi
                              : w->mlo + width * (double)j / (double)(G - 1);
        pt[3 * j] = m;
        pt[3 * j + 1] = eval_mu(w, m, NULL, &pt[3 * j + 2]);
    }
    double d2 = 0;
    for (size_t j = 1; j + 1 < G; j++) {
        double d = fabs(pt[3 * j - 2] - 2 * pt[3 * j + 1] + pt[3 * j + 4]);
        d2 = d > d2 ? d : d2;
    }
    double margin = PROF_MARGIN_K * d2 / 8;
    /* the mean-shift points w0 + c ybar / a_hi, ybar = mean(x) - w0 */
    double ybar = 0;
    for (size_t i = 0; i < w->n; i++)
        ybar += w->x[i] - w->w0;
    ybar /= (double)w->n;
    size_t N = G;
    static const double mult[PROF_NEAR] = {0.5, 1, 2, 4};
    for (size_t k = 0; k < PROF_NEAR && ybar != 0 && w->ahi > 0; k++) {
        double m = w->w0 + mult[k] * ybar / w->ahi;
        if (!(m > w->mlo && m < w->mhi))
            continue;
        pt[3 * N] = m;
        pt[3 * N + 1] = eval_mu(w, m, NULL, &pt[3 * N + 2]);
        N++;
    }
    if (w->bad)
        return SS_OK;
    qsort(pt, N, 3 * sizeof *pt, cmp_pt);
    double mu[PROF_GRID_MAX + PROF_NEAR], f[PROF_GRID_MAX + PROF_NEAR],
        dm[PROF_GRID_MAX + PROF_NEAR];
    size_t jb = 0;
    for (size_t j = 0; j < N; j++) {
        mu[j] = pt[3 * j];
        f[j] = pt[3 * j + 1];
        dm[j] = pt[3 * j + 2];
        if (f[j] > f[jb])
            jb = j;
    }
    best->mu = mu[jb];
    best->f = f[jb];
    /* the grid's local maxima within the margin, highest first */
    size_t pick[PROF_REFINE], np = 0;
    pick[np++] = jb;
    for (int round = 0; round < PROF_REFINE - 1; round++) {
        size_t jj = N;
        for (size_t j = 0; j < N; j++) {
            int used = 0;
            for (size_t q = 0; q < np; q++)
                used |= pick[q] == j;
            if (used || f[j] < best->f - margin)
                continue;
            if ((j > 0 && f[j - 1] > f[j]) || (j + 1 < N && f[j + 1] > f[j]))
                continue;
            if (jj == N || f[j] > f[jj])
                jj = j;
        }
        if (jj == N)
            break;
        pick[np++] = jj;
    }
    for (size_t q = 0; q < np; q++) {
        ss_status st = refine(w, mu, f, dm, N, pick[q], best, conv);
        if (st != SS_OK)
            return st;
    }
    return SS_OK;
}

/* theta's weight and mean from (a, mu). */
static void put(const prof_ws *w, double a, double mu, double *theta)
{
    theta[P_V] = w->mirror ? 1.0 - a : a;
    if (w->has_mu)
        theta[w->mu_i] = mu;
}

static ss_status profile_solve(fit_ctx *c, double *theta, fit_outcome *o)
{
    prof_ws *w = c->scratch;
    const gsl_matrix *X = c->data;
    size_t n = X->size1;
    ss_status st = ws_reserve(w, n);
    if (st != SS_OK)
        return st;
    w->n = n;
    for (size_t i = 0; i < n; i++) {
        w->x[i] = X->data[i * X->tda];
        if (!isfinite(w->x[i]))
            return SS_FAIL(SS_ERR_NUMERIC,
                           "fit method=profile: observation %zu (%g) is not "
                           "finite",
                           i + 1, w->x[i]);
    }
    w->w0 = theta[w->w0_i];
    w->evals = 0;
    w->newton_fail = 0;
    w->bad = 0;
    w->a_warm = NAN;
    double lstart;
    if ((st = fit_loglik(c, theta, &lstart)) != SS_OK)
        return st;
    int conv = 1;
    cand best = {theta[w->has_mu ? w->mu_i : P_W2], 0};
    double a = 0;
    if (w->has_mu) {
        if ((st = profile_mu(w, &best, &conv)) != SS_OK)
            return st;
    }
    if (w->bad)
        return SS_FAIL(SS_ERR_NUMERIC,
                       "fit method=profile: the log-likelihood is not "
                       "finite on the range");
    /* the maximiser in a at the optimum (the weight only: the one solve) */
    w->a_warm = NAN;
    eval_mu(w, best.mu, &a, NULL);
    double *th = malloc(c->m->P * sizeof *th);
    if (!th)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    memcpy(th, theta, c->m->P * sizeof *th);
    put(w, a, best.mu, th);
    double l;
    st = fit_loglik(c, th, &l);
    if (st != SS_OK) {
        free(th);
        return st;
    }
    o->iter = w->evals;
    o->converged = conv && !w->newton_fail;
    if (!(l >= lstart)) {
        /* the start is better: kept; beyond rounding (1e-9 (1 + |l|)) the
         * grid missed a basin, which is not convergence */
        o->loglik = lstart;
        free(th);
        if (lstart - l <= 1e3 * FIT_TOL_LOGLIK * (1 + fabs(l)))
            snprintf(o->why, sizeof o->why,
                     "profile: the start is the optimum to rounding");
        else {
            o->converged = 0;
            snprintf(o->why, sizeof o->why,
                     "the start's log-likelihood exceeds the profile's "
                     "optimum (a basin the grid missed); the start is kept");
        }
        return SS_OK;
    }
    memcpy(theta, th, c->m->P * sizeof *th);
    free(th);
    o->loglik = l;
    char nm[MODEL_NAME_MAX];
    model_param_name(c->m, w->mu_i, nm, sizeof nm);
    if (!w->has_mu)
        snprintf(o->why, sizeof o->why,
                 "v by safeguarded Newton, |step| <= %g (concave in v)%s",
                 PROF_TOL_A, o->converged ? "" : ": Newton did not converge");
    else if (o->converged)
        snprintf(o->why, sizeof o->why,
                 "profile over %.8s: grid, Brent to |bracket| <= %g "
                 "(1 + |%.8s|); v by Newton, |step| <= %g",
                 nm, PROF_TOL_MU, nm, PROF_TOL_A);
    else
        snprintf(o->why, sizeof o->why,
                 "profile over %.8s: %s did not meet its tolerance", nm,
                 w->newton_fail ? "a Newton solve for v" : "Brent");
    return SS_OK;
}

const fit_route fit_route_profile = {
    .name = "profile",
    .applies = profile_applies,
    .ws_alloc = profile_ws_alloc,
    .ws_free = profile_ws_free,
    .solve = profile_solve,
    .global = 1,
};

/* The pacf route (a series family whose parameters are the coefficient
 * groups `ar` and `ma`, as arma's): the exact Gaussian log-likelihood
 * maximised over unconstrained u, with partial autocorrelations
 * r = tanh(u) in (-1, 1) and the coefficients from r by the Durbin-Levinson
 * recursion (Monahan 1984; Jones 1980):
 *   a^(k)_k = r_k,  a^(k)_i = a^(k-1)_i - r_k a^(k-1)_{k-i}  (i < k),
 * ar = a^(p) (the polynomial 1 - sum ar_i z^i has its roots outside the
 * unit circle for every r in (-1, 1)^p) and ma_j = -a^(q)_j from the MA
 * group's own r (1 + sum ma_j z^j = 1 - sum a_j z^j: invertible). So every
 * iterate is stationary and invertible. The log-likelihood and its
 * gradient come straight from the ARMA Kalman filter's sums (kalman_sum:
 * nothing stored per term, the steady-state recursion once the gain has
 * converged); the gradient is analytic: the total score through the
 * recursion's Jacobian (forward mode) and dr/du = 1 - r^2. GSL's BFGS2 minimises -l/n; converged when the
 * gradient norm in u is below FIT_TOL_GRAD, or when the line search can
 * make no progress with the gradient below sqrt(FIT_TOL_GRAD). A group
 * must be all free or all fixed. A range from `bound` is kept for a group
 * of one free coefficient (ARMA(1,1), AR(1), MA(1), an ARMA(p,1)'s MA
 * part...), where the partial autocorrelation is the coefficient (up to
 * the MA sign): the coefficient is mid + half tanh(u) over the bound
 * intersected with (-1, 1), and an optimum that converges onto a closed
 * end is put on it (pacf_snap), so the driver reports it on the bound. A
 * bound on a coefficient of a longer group is refused: a box on one
 * coefficient is not a box in the partial autocorrelations.  The innovation variance sigma2 is
 * profiled out (pacf_eval): the objective is the concentrated
 * log-likelihood, and the driver reports sigma2hat = S/n. */
#include "infer/fit_int.h"

#include "model/kalman.h"

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_multimin.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PACF_MAX 16

typedef struct {
    size_t first, count; /* the group in theta */
    int is_free;
    int ma;              /* coefficients are -a */
    /* A single free coefficient with a range from `bound`: the coefficient
     * itself is mid + half tanh(u) over [lo, hi], the bound intersected
     * with (-1, 1) (for one coefficient the partial autocorrelation is the
     * coefficient, up to the MA sign). lo_closed / hi_closed: that end is
     * the user's bound strictly inside (-1, 1), where the optimum may lie
     * (pacf_snap); an end at -1 or 1 is open. */
    int bounded;
    double lo, hi;
    int lo_closed, hi_closed;
} pgroup;

typedef struct {
    pgroup g[2];
    size_t ng;
    size_t nu;           /* unconstrained coordinates */
    fit_ctx *c;
    double *theta;       /* P: the current point */
    double *grad;        /* P */
    gsl_vector *u;
    gsl_multimin_fdfminimizer *mz;
    int failed;
} pacf_ws;

static ss_status pacf_applies(const model *m)
{
    if (m->type->data_kind != MODEL_DATA_SERIES)
        return SS_FAIL(SS_ERR_USAGE, "fit method=pacf needs a series family");
    size_t covered = 0;
    for (size_t gi = 0; gi < m->ngroups; gi++) {
        const model_group *g = &m->groups[gi];
        if (strcmp(g->name, "ar") != 0 && strcmp(g->name, "ma") != 0)
            continue;
        covered += g->count;
        if (g->count > PACF_MAX)
            return SS_FAIL(SS_ERR_LIMIT, "fit method=pacf: at most %d "
                                         "coefficients per group",
                           PACF_MAX);
        int nf = 0;
        for (size_t i = g->first; i < g->first + g->count; i++)
            nf += m->is_free[i] != 0;
        if (nf != 0 && (size_t)nf != g->count)
            return SS_FAIL(SS_ERR_USAGE,
                           "fit method=pacf: the %s coefficients must be "
                           "all free or all fixed (stationarity and "
                           "invertibility are enforced on the whole "
                           "polynomial)",
                           g->name);
    }
    if (covered != m->P)
        return SS_FAIL(SS_ERR_USAGE, "fit method=pacf needs parameters that "
                                     "are the AR and MA coefficient groups "
                                     "ar and ma");
    if (m->type != &model_arma_type)
        return SS_FAIL(SS_ERR_USAGE, "fit method=pacf evaluates the ARMA "
                                     "Kalman filter: it needs an arma model");
    return SS_OK;
}

/* The ARMA log-likelihood with the innovation variance profiled out, and
 * its gradient (grad != NULL), at theta from the Kalman filter's sums
 * (model/kalman.h: nothing stored per term). With v_t, F_t the prediction
 * errors and their variances in units of sigma2, S = sum v_t^2 / F_t and
 * L = sum log F_t,
 *   l(theta, sigma2) = -(n/2) log(2 pi sigma2) - L/2 - S/(2 sigma2)
 * is maximised by sigma2hat = S/n, where
 *   l_c(theta) = -(n/2) (log(2 pi S/n) + 1) - L/2,
 *   dl_c = -(n/2) dS/S - dL/2.
 * theta must be stationary and invertible (the caller's). */
static ss_status pacf_eval(const fit_ctx *c, const double *theta, double *l,
                           double *grad, double *s2hat)
{
    const model *m = c->m;
    size_t p = 0, q = 0, fa = 0, fm = 0;
    for (size_t gi = 0; gi < m->ngroups; gi++) {
        const model_group *g = &m->groups[gi];
        if (strcmp(g->name, "ar") == 0)
            fa = g->first, p = g->count;
        else if (strcmp(g->name, "ma") == 0)
            fm = g->first, q = g->count;
    }
    double co[KALMAN_PMAX];
    memcpy(co, theta + fa, p * sizeof *co);
    memcpy(co + p, theta + fm, q * sizeof *co);
    kalman_ss f;
    kalman_init_arma(&f, p, q, co);
    kalman_sums ks;
    ss_status st = kalman_sum(&f, c->data, grad ? p + q : 0, 1, &ks);
    if (st != SS_OK)
        return st;
    double n = (double)c->n;
    if (!(ks.S > 0) || !isfinite(ks.S))
        return SS_FAIL(SS_ERR_NUMERIC,
                       "fit: the prediction errors are all zero (S = %g), "
                       "so sigma2 cannot be estimated",
                       ks.S);
    *l = -0.5 * n * (log(2.0 * M_PI * ks.S / n) + 1.0) - 0.5 * ks.L;
    if (s2hat)
        *s2hat = ks.S / n;
    for (size_t k = 0; grad && k < p + q; k++)
        grad[k < p ? fa + k : fm + k - p] =
            -0.5 * n * ks.dS[k] / ks.S - 0.5 * ks.dL[k];
    return SS_OK;
}

static ss_status pacf_profile(const fit_ctx *c, const double *theta,
                              double *l, double *s2hat)
{
    return pacf_eval(c, theta, l, NULL, s2hat);
}

/* a (the polynomial's coefficients) from r, and da[i][l] = d a_i / d r_l. */
static void dl_forward(const double *r, size_t p, double *a, double *da)
{
    double prev[PACF_MAX], dprev[PACF_MAX * PACF_MAX];
    for (size_t k = 0; k < p; k++) {
        memcpy(prev, a, k * sizeof *a);
        if (da)
            memcpy(dprev, da, PACF_MAX * k * sizeof *da);
        for (size_t i = 0; i < k; i++) {
            a[i] = prev[i] - r[k] * prev[k - 1 - i];
            if (da)
                for (size_t l = 0; l < p; l++)
                    da[i * PACF_MAX + l] =
                        dprev[i * PACF_MAX + l] -
                        r[k] * dprev[(k - 1 - i) * PACF_MAX + l] -
                        (l == k ? prev[k - 1 - i] : 0.0);
        }
        a[k] = r[k];
        if (da)
            for (size_t l = 0; l < p; l++)
                da[k * PACF_MAX + l] = l == k ? 1.0 : 0.0;
    }
}

/* r from a (the step-down recursion); fails outside the stationary set. */
static int dl_inverse(const double *a0, size_t p, double *r)
{
    double a[PACF_MAX], b[PACF_MAX];
    memcpy(a, a0, p * sizeof *a);
    for (size_t k = p; k-- > 0;) {
        double rk = a[k];
        if (!(fabs(rk) < 1))
            return 0;
        r[k] = rk;
        double d = 1 - rk * rk;
        for (size_t i = 0; i < k; i++)
            b[i] = (a[i] + rk * a[k - 1 - i]) / d;
        memcpy(a, b, k * sizeof *a);
    }
    return 1;
}

/* theta from u (the free groups), and d theta / d u into J (block per
 * group: J[g][i][l]) when wanted. */
static int u_to_theta(const pacf_ws *w, const gsl_vector *u, double *theta,
                      double (*J)[PACF_MAX * PACF_MAX])
{
    size_t o = 0;
    int inside = 1;
    for (size_t gi = 0; gi < w->ng; gi++) {
        const pgroup *g = &w->g[gi];
        if (!g->is_free)
            continue;
        if (g->bounded) {
            double t = tanh(gsl_vector_get(u, o));
            double mid = 0.5 * (g->lo + g->hi), half = 0.5 * (g->hi - g->lo);
            double v = mid + half * t;
            v = v < g->lo ? g->lo : v > g->hi ? g->hi : v;
            theta[g->first] = v;
            inside &= fabs(v) < 1;
            if (J)
                J[gi][0] = half * (1 - t * t);
            o++;
            continue;
        }
        double r[PACF_MAX], a[PACF_MAX], dr[PACF_MAX];
        for (size_t l = 0; l < g->count; l++) {
            r[l] = tanh(gsl_vector_get(u, o + l));
            dr[l] = 1 - r[l] * r[l];
            inside &= fabs(r[l]) < 1;
        }
        dl_forward(r, g->count, a, J ? J[gi] : NULL);
        double sgn = g->ma ? -1.0 : 1.0;
        for (size_t i = 0; i < g->count; i++) {
            theta[g->first + i] = sgn * a[i];
            if (J)
                for (size_t l = 0; l < g->count; l++)
                    J[gi][i * PACF_MAX + l] *= sgn * dr[l];
        }
        o += g->count;
    }
    return inside;
}

static double pacf_f(const gsl_vector *u, void *p)
{
    pacf_ws *w = p;
    double l;
    if (!u_to_theta(w, u, w->theta, NULL) ||
        pacf_eval(w->c, w->theta, &l, NULL, NULL) != SS_OK || !isfinite(l)) {
        ss_clear_error();
        return GSL_POSINF;
    }
    return -l / (double)w->c->n;
}

static void pacf_fdf(const gsl_vector *u, void *p, double *f, gsl_vector *g)
{
    pacf_ws *w = p;
    double J[2][PACF_MAX * PACF_MAX];
    double l;
    if (!u_to_theta(w, u, w->theta, J) ||
        pacf_eval(w->c, w->theta, &l, w->grad, NULL) != SS_OK || !isfinite(l)) {
        ss_clear_error();
        *f = GSL_POSINF;
        gsl_vector_set_zero(g);
        return;
    }
    double n = (double)w->c->n;
    *f = -l / n;
    size_t o = 0;
    for (size_t gi = 0; gi < w->ng; gi++) {
        const pgroup *gr = &w->g[gi];
        if (!gr->is_free)
            continue;
        for (size_t l2 = 0; l2 < gr->count; l2++) {
            double s = 0;
            for (size_t i = 0; i < gr->count; i++)
                s += w->grad[gr->first + i] * J[gi][i * PACF_MAX + l2];
            gsl_vector_set(g, o + l2, -s / n);
        }
        o += gr->count;
    }
}

static void pacf_df(const gsl_vector *u, void *p, gsl_vector *g)
{
    double f;
    pacf_fdf(u, p, &f, g);
}

static void pacf_ws_free(fit_ctx *c)
{
    pacf_ws *w = c->scratch;
    if (!w)
        return;
    if (w->mz)
        gsl_multimin_fdfminimizer_free(w->mz);
    gsl_vector_free(w->u);
    free(w->theta);
    free(w->grad);
    free(w);
    c->scratch = NULL;
}

/* A bound on one coefficient of a longer polynomial is not a box in the
 * partial autocorrelations: refused, not ignored. (Checked when the
 * workspace is made, so that fit's choice of route stays the family's and
 * the message reaches the user.) */
static ss_status pacf_check_bounds(const model *m)
{
    for (size_t gi = 0; gi < m->ngroups; gi++) {
        const model_group *g = &m->groups[gi];
        if (strcmp(g->name, "ar") != 0 && strcmp(g->name, "ma") != 0)
            continue;
        int nf = m->is_free[g->first] != 0;
        for (size_t i = g->first; nf && g->count > 1 &&
                                  i < g->first + g->count;
             i++)
            if (model_is_bounded(m, i))
                return SS_FAIL(SS_ERR_USAGE,
                               "fit (pacf route): a bound on %s of an "
                               "%s(%zu) group is not supported (the "
                               "partial autocorrelations map the whole "
                               "polynomial; a bound is kept for a group of "
                               "one coefficient, ARMA(1,1) and the like); "
                               "remove it with: bound MODEL %s",
                               MODEL_PNAME(m, i),
                               strcmp(g->name, "ar") == 0 ? "AR" : "MA",
                               g->count, MODEL_PNAME(m, i));
    }
    return SS_OK;
}

static ss_status pacf_ws_alloc(fit_ctx *c)
{
    const model *m = c->m;
    ss_status st0 = pacf_check_bounds(m);
    if (st0 != SS_OK)
        return st0;
    pacf_ws *w = calloc(1, sizeof *w);
    if (!w)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    c->scratch = w;
    w->c = c;
    for (size_t gi = 0; gi < m->ngroups; gi++) {
        const model_group *g = &m->groups[gi];
        int ma = strcmp(g->name, "ma") == 0;
        if (!ma && strcmp(g->name, "ar") != 0)
            continue;
        pgroup *pg = &w->g[w->ng];
        *pg = (pgroup){.first = g->first, .count = g->count,
                       .is_free = m->is_free[g->first] != 0, .ma = ma};
        if (pg->is_free && g->count == 1 && model_is_bounded(m, g->first)) {
            double lo = model_param_lo(m, g->first),
                   hi = model_param_hi(m, g->first);
            pg->bounded = 1;
            pg->lo_closed = lo > -1;
            pg->hi_closed = hi < 1;
            pg->lo = pg->lo_closed ? lo : -1;
            pg->hi = pg->hi_closed ? hi : 1;
            if (!(pg->lo < pg->hi)) {
                char nm[MODEL_NAME_MAX];
                model_param_name(m, g->first, nm, sizeof nm);
                pacf_ws_free(c);
                return SS_FAIL(SS_ERR_RANGE,
                               "fit: the range of %s [%g, %g] has no point "
                               "inside (-1, 1), where the model is %s",
                               nm, lo, hi,
                               ma ? "invertible" : "stationary");
            }
        }
        if (w->g[w->ng].is_free)
            w->nu += g->count;
        w->ng++;
    }
    w->theta = malloc(m->P * sizeof *w->theta);
    w->grad = malloc(m->P * sizeof *w->grad);
    w->u = gsl_vector_alloc(w->nu);
    w->mz = gsl_multimin_fdfminimizer_alloc(
        gsl_multimin_fdfminimizer_vector_bfgs2, w->nu);
    if (!w->theta || !w->grad || !w->u || !w->mz) {
        pacf_ws_free(c);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    return SS_OK;
}

/* Start 0: the model's point; 1-3: partial autocorrelations (0.5, -0.5),
 * (-0.5, 0.5), (0.8, 0.3) for the first AR and MA lags (0.1 beyond);
 * later ones uniform on (-0.9, 0.9) from the start's stream. */
static ss_status pacf_start(const fit_ctx *c, size_t j, gsl_rng *rng,
                            double *theta)
{
    const pacf_ws *w = c->scratch;
    static const double first[3][2] = {{0.5, -0.5}, {-0.5, 0.5}, {0.8, 0.3}};
    for (size_t gi = 0; gi < w->ng; gi++) {
        const pgroup *g = &w->g[gi];
        if (!g->is_free)
            continue;
        double r[PACF_MAX], a[PACF_MAX];
        for (size_t l = 0; l < g->count; l++)
            r[l] = j <= 3 ? (l == 0 ? first[j - 1][g->ma] : 0.1)
                          : -0.9 + 1.8 * gsl_rng_uniform(rng);
        if (g->bounded) {
            /* the same fraction of the bounded range (the coefficient is
             * -r for MA, as unbounded) */
            double s = g->ma ? -r[0] : r[0];
            theta[g->first] = 0.5 * (g->lo + g->hi) + 0.5 * (g->hi - g->lo) * s;
            continue;
        }
        dl_forward(r, g->count, a, NULL);
        for (size_t i = 0; i < g->count; i++)
            theta[g->first + i] = (g->ma ? -1.0 : 1.0) * a[i];
    }
    return SS_OK;
}

/* tanh reaches a closed end of a bounded coefficient's range only as
 * u -> infinity: BFGS stops once the gradient in u, half (1 - t^2) dl/dc,
 * is below the tolerance, at a distance of about tol / (2 |dl/dc / n|)
 * from the bound. A coefficient that close (within PACF_SNAP of the
 * range's width) is put on the bound when the concentrated likelihood
 * there is not lower (beyond rounding, 1e-12 relative) and its slope
 * there points outward (the condition
 * for a maximum on the bound with the other coefficients held). The
 * others, held, are then off their optimum by O(distance): the
 * log-likelihood by O(n distance^2), far below the fit's tolerance. */
#define PACF_SNAP 1e-3

static void pacf_snap(pacf_ws *w, double *theta)
{
    const fit_ctx *c = w->c;
    for (size_t gi = 0; gi < w->ng; gi++) {
        const pgroup *g = &w->g[gi];
        if (!g->is_free || !g->bounded)
            continue;
        size_t i = g->first;
        double v = theta[i], tol = PACF_SNAP * (g->hi - g->lo);
        double b = NAN;
        int up = 0;
        if (g->hi_closed && v < g->hi && g->hi - v <= tol)
            b = g->hi, up = 1;
        else if (g->lo_closed && v > g->lo && v - g->lo <= tol)
            b = g->lo;
        if (isnan(b))
            continue;
        double l0, l1;
        if (pacf_eval(c, theta, &l0, NULL, NULL) != SS_OK) {
            ss_clear_error();
            continue;
        }
        theta[i] = b;
        if (pacf_eval(c, theta, &l1, w->grad, NULL) != SS_OK ||
            !(l1 >= l0 - 1e-12 * (1 + fabs(l0))) ||
            (up ? w->grad[i] < 0 : w->grad[i] > 0)) {
            ss_clear_error();
            theta[i] = v;
        }
    }
}

static ss_status pacf_solve(fit_ctx *c, double *theta, fit_outcome *o)
{
    pacf_ws *w = c->scratch;
    size_t off = 0;
    for (size_t gi = 0; gi < w->ng; gi++) {
        const pgroup *g = &w->g[gi];
        if (!g->is_free)
            continue;
        double lim = 1 - 1e-12;
        if (g->bounded) {
            double v = theta[g->first];
            if (!(v >= g->lo && v <= g->hi && fabs(v) < 1))
                return SS_FAIL(SS_ERR_RANGE,
                               "fit: the start %s = %g is outside its "
                               "range [%g, %g]",
                               MODEL_PNAME(c->m, g->first), v, g->lo, g->hi);
            double sv = (v - 0.5 * (g->lo + g->hi)) / (0.5 * (g->hi - g->lo));
            sv = sv > lim ? lim : sv < -lim ? -lim : sv;
            gsl_vector_set(w->u, off, atanh(sv));
            off++;
            continue;
        }
        double a[PACF_MAX], r[PACF_MAX];
        for (size_t i = 0; i < g->count; i++)
            a[i] = (g->ma ? -1.0 : 1.0) * theta[g->first + i];
        if (!dl_inverse(a, g->count, r))
            return SS_FAIL(SS_ERR_RANGE,
                           "fit: the start is not %s",
                           g->ma ? "invertible" : "stationary");
        for (size_t l = 0; l < g->count; l++) {
            double rl = r[l];
            rl = rl > lim ? lim : rl < -lim ? -lim : rl;
            gsl_vector_set(w->u, off + l, atanh(rl));
        }
        off += g->count;
    }
    memcpy(w->theta, theta, c->m->P * sizeof *theta);
    gsl_multimin_function_fdf fn = {pacf_f, pacf_df, pacf_fdf, w->nu, w};
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    int rc = gsl_multimin_fdfminimizer_set(w->mz, &fn, w->u, 0.1, 0.1);
    o->converged = 0;
    o->iter = 0;
    snprintf(o->why, sizeof o->why,
             "stopped after maxiter = %zu iterations without meeting the "
             "tolerance",
             c->maxiter);
    while (rc == GSL_SUCCESS && o->iter < c->maxiter) {
        if (gsl_multimin_test_gradient(w->mz->gradient, FIT_TOL_GRAD) ==
            GSL_SUCCESS) {
            o->converged = 1;
            snprintf(o->why, sizeof o->why,
                     "gradient of l/n below %g in the pacf coordinates",
                     FIT_TOL_GRAD);
            break;
        }
        rc = gsl_multimin_fdfminimizer_iterate(w->mz);
        o->iter++;
    }
    gsl_set_error_handler(old);
    if (rc != GSL_SUCCESS && !o->converged) {
        double gn = gsl_blas_dnrm2(w->mz->gradient);
        if (gn < sqrt(FIT_TOL_GRAD)) {
            o->converged = 1;
            snprintf(o->why, sizeof o->why,
                     "no further progress in the line search with the "
                     "gradient of l/n at %.2g (below %g)",
                     gn, sqrt(FIT_TOL_GRAD));
        } else {
            snprintf(o->why, sizeof o->why,
                     "the line search stopped (%s) with the gradient of l/n "
                     "at %.2g",
                     gsl_strerror(rc), gn);
        }
    }
    ss_clear_error();
    (void)u_to_theta(w, gsl_multimin_fdfminimizer_x(w->mz), theta, NULL);
    pacf_snap(w, theta);
    o->loglik = -gsl_multimin_fdfminimizer_minimum(w->mz) * (double)c->n;
    /* the log-likelihood at the point reported, exactly */
    double l;
    ss_status st = fit_loglik(c, theta, &l);
    if (st == SS_OK)
        o->loglik = l;
    return st;
}

const fit_route fit_route_pacf = {
    .name = "pacf",
    .applies = pacf_applies,
    .start = pacf_start,
    .ws_alloc = pacf_ws_alloc,
    .ws_free = pacf_ws_free,
    .solve = pacf_solve,
    .scale_opt = "sigma2",
    .profile = pacf_profile,
};

/* The EM route: the family's em_step hook from each start, accelerated
 * by SQUAREM (em_solve says how). Each EM step does not decrease the
 * log-likelihood (Dempster, Laird & Rubin 1977) and stays within the
 * parameter bounds and on the fixed values (the hook's contract and
 * clip()); otherwise it stops after maxiter EM passes. */
#include "infer/fit_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static ss_status em_applies(const model *m)
{
    if (!m->type->em_step)
        return SS_FAIL(SS_ERR_USAGE,
                       "fit method=em needs a family with an EM step (%s "
                       "has none)",
                       m->type->name);
    if (m->type->data_kind != MODEL_DATA_IID)
        return SS_FAIL(SS_ERR_USAGE, "fit method=em needs i.i.d. data");
    return SS_OK;
}

static ss_status em_ws_alloc(fit_ctx *c)
{
    c->scratch = malloc(4 * c->m->P * sizeof(double));
    return c->scratch ? SS_OK : SS_FAIL(SS_ERR_NOMEM, "out of memory");
}

static void em_ws_free(fit_ctx *c)
{
    free(c->scratch);
    c->scratch = NULL;
}

/* Free parameters into their ranges (the family's and `bound`'s). The
 * M-step is separable per parameter (a weighted mean for each component
 * mean, a binomial proportion for v), each term concave, so clipping is
 * the exact constrained M-step and EM stays monotone. */
static void clip(const fit_ctx *c, double *th)
{
    for (size_t a = 0; a < c->k; a++) {
        size_t i = c->idx[a];
        th[i] = fmax(model_param_lo(c->m, i),
                     fmin(model_param_hi(c->m, i), th[i]));
    }
}

/* One EM step, clipped: out = M(in), *l = l(in) (the E-step's by-product). */
static ss_status em_step(fit_ctx *c, const double *in, double *out,
                         double *l)
{
    ss_status st = c->m->type->em_step(c->m, in, c->data, out, l);
    if (st == SS_OK)
        clip(c, out);
    if (st == SS_OK && !isfinite(*l))
        st = SS_FAIL(SS_ERR_NUMERIC, "EM: the log-likelihood is not finite");
    return st;
}

/* SQUAREM (Varadhan & Roland 2008, scheme S3): from theta, t1 = M(theta),
 * t2 = M(t1), r = t1 - theta, v = t2 - t1 - r, alpha = min(-1, -|r|/|v|),
 * the extrapolation tp = theta - 2 alpha r + alpha^2 v (clipped); it is
 * kept when l(tp) >= l(t1), else tp = t2 (alpha = -1, two plain steps).
 * So l never decreases, and each cycle costs three passes over the data
 * (the E-step at tp gives l(tp) and M(tp), the next cycle's t1). Where EM
 * crawls (a flat likelihood near a singular set) this takes a few times
 * fewer passes. Converged when one cycle changes l by at most
 * FIT_TOL_LOGLIK (1 + |l|) and every free parameter by at most
 * FIT_TOL_PARAM (1 + |theta|); o->iter counts EM passes. */
static ss_status em_solve(fit_ctx *c, double *theta, fit_outcome *o)
{
    size_t P = c->m->P;
    double *t1 = c->scratch, *t2 = t1 + P, *tp = t2 + P, *tn = tp + P;
    double l0, l1, lp;
    o->converged = 0;
    o->iter = 0;
    ss_status st = em_step(c, theta, t1, &l0);
    while (st == SS_OK && o->iter + 3 <= c->maxiter) {
        if ((st = em_step(c, t1, t2, &l1)) != SS_OK)
            break;
        double nr = 0, nv = 0;
        for (size_t a = 0; a < c->k; a++) {
            size_t i = c->idx[a];
            double r = t1[i] - theta[i], v = t2[i] - 2 * t1[i] + theta[i];
            nr += r * r;
            nv += v * v;
        }
        double al = nv > 0 ? -sqrt(nr / nv) : -1;
        al = al > -1 ? -1 : al;
        memcpy(tp, theta, P * sizeof *tp);
        for (size_t a = 0; a < c->k; a++) {
            size_t i = c->idx[a];
            double r = t1[i] - theta[i], v = t2[i] - 2 * t1[i] + theta[i];
            tp[i] = theta[i] - 2 * al * r + al * al * v;
        }
        clip(c, tp);
        /* the extrapolation may leave the valid region beyond the box
         * (gmm's weights summing past 1): then the plain steps */
        st = al < -1 && model_validate(c->m, tp) == SS_OK
                 ? em_step(c, tp, tn, &lp)
                 : SS_ERR_RANGE;
        if (st != SS_OK || !(lp >= l1)) { /* fall back to t2 */
            ss_clear_error();
            memcpy(tp, t2, P * sizeof *tp);
            if ((st = em_step(c, tp, tn, &lp)) != SS_OK)
                break;
        }
        o->iter += 3;
        double dmax = 0;
        for (size_t a = 0; a < c->k; a++) {
            size_t i = c->idx[a];
            double d = fabs(tp[i] - theta[i]) / (1 + fabs(theta[i]));
            dmax = d > dmax ? d : dmax;
        }
        double dl = fabs(lp - l0);
        memcpy(theta, tp, P * sizeof *theta);
        memcpy(t1, tn, P * sizeof *t1);
        l0 = lp;
        if (dl <= FIT_TOL_LOGLIK * (1 + fabs(lp)) && dmax <= FIT_TOL_PARAM) {
            o->converged = 1;
            break;
        }
    }
    if (st != SS_OK)
        return st;
    double l; /* the reported value through the likelihood hook itself */
    if ((st = fit_loglik(c, theta, &l)) != SS_OK)
        return st;
    o->loglik = l;
    if (o->converged)
        snprintf(o->why, sizeof o->why,
                 "log-likelihood change <= %g (1 + |l|) and parameter "
                 "change <= %g (1 + |theta|)",
                 FIT_TOL_LOGLIK, FIT_TOL_PARAM);
    else
        snprintf(o->why, sizeof o->why,
                 "stopped after maxiter = %zu EM steps without meeting the "
                 "tolerances",
                 c->maxiter);
    return SS_OK;
}

const fit_route fit_route_em = {
    .name = "em",
    .applies = em_applies,
    .ws_alloc = em_ws_alloc,
    .ws_free = em_ws_free,
    .solve = em_solve,
};

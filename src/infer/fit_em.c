/* The EM route: the family's em_step hook iterated from each start. Each
 * step does not decrease the log-likelihood (Dempster, Laird & Rubin
 * 1977) and stays within the parameter bounds and on the fixed values
 * (the hook's contract). Converged when the log-likelihood changes by at
 * most FIT_TOL_LOGLIK (1 + |l|) and every free parameter by at most
 * FIT_TOL_PARAM (1 + |theta|) in one step; otherwise it stops after
 * maxiter steps. */
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
    c->scratch = malloc(2 * c->m->P * sizeof(double));
    return c->scratch ? SS_OK : SS_FAIL(SS_ERR_NOMEM, "out of memory");
}

static void em_ws_free(fit_ctx *c)
{
    free(c->scratch);
    c->scratch = NULL;
}

static ss_status em_solve(fit_ctx *c, double *theta, fit_outcome *o)
{
    const model *m = c->m;
    size_t P = m->P;
    double *next = c->scratch;
    double l;
    ss_status st = fit_loglik(c, theta, &l);
    if (st != SS_OK)
        return st;
    o->converged = 0;
    for (o->iter = 0; o->iter < c->maxiter;) {
        st = m->type->em_step(m, theta, c->data, next);
        if (st != SS_OK)
            return st;
        /* `bound`: the M-step is separable per parameter (a weighted mean
         * for each component mean, a binomial proportion for v), each
         * term concave, so clipping every free parameter to its range is
         * the exact constrained M-step and EM stays monotone. */
        for (size_t a = 0; a < c->k; a++) {
            size_t i = c->idx[a];
            next[i] = fmax(model_param_lo(m, i),
                           fmin(model_param_hi(m, i), next[i]));
        }
        double ln;
        if ((st = fit_loglik(c, next, &ln)) != SS_OK)
            return st;
        o->iter++;
        double dmax = 0;
        for (size_t a = 0; a < c->k; a++) {
            size_t i = c->idx[a];
            double d = fabs(next[i] - theta[i]) / (1 + fabs(theta[i]));
            dmax = d > dmax ? d : dmax;
        }
        double dl = fabs(ln - l);
        memcpy(theta, next, P * sizeof *theta);
        l = ln;
        if (dl <= FIT_TOL_LOGLIK * (1 + fabs(l)) && dmax <= FIT_TOL_PARAM) {
            o->converged = 1;
            break;
        }
    }
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

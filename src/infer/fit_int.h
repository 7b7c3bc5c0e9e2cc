/* Inside the fit driver (infer/fit.c): one route per optimiser. */
#ifndef SS_INFER_FIT_INT_H
#define SS_INFER_FIT_INT_H

#include "infer/fit.h"

#include <gsl/gsl_rng.h>

typedef struct fit_ctx fit_ctx;
struct fit_ctx {
    const model *m;          /* a copy of the model (free flags, fixed values) */
    const gsl_matrix *data;
    size_t n;                /* likelihood terms */
    size_t maxiter;
    size_t k;                /* free parameters and their indices */
    size_t *idx;
    void *scratch;           /* the route's */
    /* The route's profile hook when it profiles a scale out of the
     * likelihood (fit_loglik then is the concentrated log-likelihood),
     * else NULL. */
    ss_status (*profile)(const fit_ctx *c, const double *theta, double *l,
                         double *scale);
};

typedef struct {
    double loglik;
    size_t iter;
    int converged;
    char why[160];
} fit_outcome;

typedef struct {
    const char *name;
    /* Whether the route applies to m; records why not. */
    ss_status (*applies)(const model *m);
    /* Start j into theta (all P; the fixed ones already set). NULL: the
     * driver's generic starts. */
    ss_status (*start)(const fit_ctx *c, size_t j, gsl_rng *r, double *theta);
    ss_status (*ws_alloc)(fit_ctx *c);
    void (*ws_free)(fit_ctx *c);
    /* From theta (a valid point) to a local maximum, in place. */
    ss_status (*solve)(fit_ctx *c, double *theta, fit_outcome *o);
    /* Optional: a scale parameter (the model option scale_opt, arma's
     * sigma2) maximised out of the likelihood in closed form: the
     * concentrated log-likelihood at theta (a valid point) and the scale's
     * maximiser there. Works without ws_alloc (the null model). */
    const char *scale_opt;
    ss_status (*profile)(const fit_ctx *c, const double *theta, double *l,
                         double *scale);
    /* solve finds the global maximum over the free parameters' ranges
     * from any valid start (profile): the drivers run one start */
    int global;
} fit_route;

extern const fit_route fit_route_em, fit_route_pacf, fit_route_lm,
    fit_route_profile;

/* The route method=auto picks for m (the first that applies in the
 * preference order: profile, em, pacf, lm), NULL when none does (the
 * error slot cleared). */
const fit_route *fit_route_auto(const model *m);

/* The total log-likelihood at theta (concentrated when c->profile). */
ss_status fit_loglik(const fit_ctx *c, const double *theta, double *l);

#endif

/* The lm route (a regression family with mean_jacobian and noise_var, as
 * mlp2): Levenberg-Marquardt (GSL's gsl_multifit_nlinear, trust region
 * with the LM step) on the residuals (y_i - f(x_i)) / sigma over the free
 * parameters, with the family's Jacobian. Maximising the Gaussian
 * log-likelihood with sigma known is minimising their sum of squares.
 * Converged when GSL's test is met: the step below FIT_TOL_PARAM relative
 * to the parameters or the gradient of the half sum of squares below
 * FIT_TOL_GRAD (scaled, GSL's gtol); otherwise maxiter iterations. The
 * response is the last column of a row, the inputs the ones before. */
#include "infer/fit_int.h"

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_multifit_nlinear.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    fit_ctx *c;
    double *theta;  /* P */
    double *mean;   /* n */
    gsl_matrix *J;  /* n x P */
    double sigma;
} lm_ws;

static ss_status lm_applies(const model *m)
{
    if (m->type->data_kind != MODEL_DATA_REGRESSION ||
        !m->type->mean_jacobian || !m->type->noise_var)
        return SS_FAIL(SS_ERR_USAGE,
                       "fit method=lm needs a regression family with a mean "
                       "Jacobian (%s has none)",
                       m->type->name);
    for (size_t i = 0; i < m->P; i++)
        if (m->is_free[i] && (isfinite(model_param_lo(m, i)) ||
                              isfinite(model_param_hi(m, i))))
            return SS_FAIL(SS_ERR_USAGE,
                           "fit method=lm takes unbounded parameters only "
                           "(%s is bounded)",
                           MODEL_PNAME(m, i));
    return SS_OK;
}

static void set_free(const fit_ctx *c, const gsl_vector *x, double *theta)
{
    for (size_t a = 0; a < c->k; a++)
        theta[c->idx[a]] = gsl_vector_get(x, a);
}

static int lm_f(const gsl_vector *x, void *p, gsl_vector *f)
{
    lm_ws *w = p;
    const fit_ctx *c = w->c;
    set_free(c, x, w->theta);
    if (c->m->type->mean_jacobian(c->m, w->theta, c->data, w->mean, NULL) !=
        SS_OK) {
        ss_clear_error();
        return GSL_EDOM;
    }
    size_t yc = c->data->size2 - 1;
    for (size_t i = 0; i < c->data->size1; i++)
        gsl_vector_set(f, i,
                       (gsl_matrix_get(c->data, i, yc) - w->mean[i]) /
                           w->sigma);
    return GSL_SUCCESS;
}

static int lm_df(const gsl_vector *x, void *p, gsl_matrix *Jf)
{
    lm_ws *w = p;
    const fit_ctx *c = w->c;
    set_free(c, x, w->theta);
    if (c->m->type->mean_jacobian(c->m, w->theta, c->data, w->mean, w->J) !=
        SS_OK) {
        ss_clear_error();
        return GSL_EDOM;
    }
    for (size_t i = 0; i < c->data->size1; i++)
        for (size_t a = 0; a < c->k; a++)
            gsl_matrix_set(Jf, i, a,
                           -gsl_matrix_get(w->J, i, c->idx[a]) / w->sigma);
    return GSL_SUCCESS;
}

static void lm_ws_free(fit_ctx *c)
{
    lm_ws *w = c->scratch;
    if (!w)
        return;
    free(w->theta);
    free(w->mean);
    gsl_matrix_free(w->J);
    free(w);
    c->scratch = NULL;
}

static ss_status lm_ws_alloc(fit_ctx *c)
{
    lm_ws *w = calloc(1, sizeof *w);
    if (!w)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    c->scratch = w;
    w->c = c;
    size_t n = c->data->size1;
    if (n < c->k) {
        lm_ws_free(c);
        return SS_FAIL(SS_ERR_USAGE,
                       "fit method=lm needs at least as many observations "
                       "(%zu) as free parameters (%zu)",
                       n, c->k);
    }
    w->sigma = sqrt(c->m->type->noise_var(c->m));
    w->theta = malloc(c->m->P * sizeof *w->theta);
    w->mean = malloc(n * sizeof *w->mean);
    w->J = gsl_matrix_alloc(n, c->m->P);
    if (!w->theta || !w->mean || !w->J) {
        lm_ws_free(c);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    return SS_OK;
}

static ss_status lm_solve(fit_ctx *c, double *theta, fit_outcome *o)
{
    lm_ws *w = c->scratch;
    size_t n = c->data->size1;
    memcpy(w->theta, theta, c->m->P * sizeof *theta);
    gsl_multifit_nlinear_parameters par =
        gsl_multifit_nlinear_default_parameters();
    par.trs = gsl_multifit_nlinear_trs_lm;
    gsl_multifit_nlinear_workspace *ws = gsl_multifit_nlinear_alloc(
        gsl_multifit_nlinear_trust, &par, n, c->k);
    gsl_vector *x = gsl_vector_alloc(c->k);
    if (!ws || !x) {
        if (ws)
            gsl_multifit_nlinear_free(ws);
        gsl_vector_free(x);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    for (size_t a = 0; a < c->k; a++)
        gsl_vector_set(x, a, theta[c->idx[a]]);
    gsl_multifit_nlinear_fdf fdf = {.f = lm_f, .df = lm_df, .fvv = NULL,
                                    .n = n, .p = c->k, .params = w};
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    int info = 0;
    int rc = gsl_multifit_nlinear_init(x, &fdf, ws);
    if (rc == GSL_SUCCESS)
        rc = gsl_multifit_nlinear_driver(c->maxiter, FIT_TOL_PARAM,
                                         FIT_TOL_GRAD, 0.0, NULL, NULL,
                                         &info, ws);
    gsl_set_error_handler(old);
    ss_clear_error();
    o->iter = gsl_multifit_nlinear_niter(ws);
    o->converged = rc == GSL_SUCCESS;
    if (o->converged)
        snprintf(o->why, sizeof o->why, "%s",
                 info == 1 ? "step below the relative tolerance"
                           : "gradient below the tolerance");
    else
        snprintf(o->why, sizeof o->why, "%s after %zu iterations",
                 rc == GSL_EMAXITER ? "maxiter reached" : gsl_strerror(rc),
                 o->iter);
    set_free(c, gsl_multifit_nlinear_position(ws), theta);
    gsl_multifit_nlinear_free(ws);
    gsl_vector_free(x);
    return fit_loglik(c, theta, &o->loglik);
}

const fit_route fit_route_lm = {
    .name = "lm",
    .applies = lm_applies,
    .ws_alloc = lm_ws_alloc,
    .ws_free = lm_ws_free,
    .solve = lm_solve,
};

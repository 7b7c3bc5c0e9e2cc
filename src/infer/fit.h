/* Maximum-likelihood fits (the infer layer: below the command language,
 * above models and FIMs; it knows nothing of the command language).
 *
 * fit_run maximises the log-likelihood of a data set over a model's free
 * parameters from several starts by a route the family's hooks choose:
 *
 *   em    the family's em_step hook (gmm): EM iterations
 *   pacf  a series family whose parameters are the AR and MA coefficient
 *         groups `ar` and `ma` (arma): quasi-Newton (GSL's BFGS2) on the
 *         exact likelihood over partial autocorrelations r = tanh(u), so
 *         every iterate is stationary and invertible
 *   lm    a regression family with mean_jacobian and noise_var (mlp2):
 *         Levenberg-Marquardt (gsl_multifit_nlinear) on the residuals
 *         (y - f(x)) / sigma
 *   profile  gmm with k=2 and s known, v free and at most one mean free
 *         (in a finite range), the other fixed: the global maximum of the
 *         profile likelihood max_v l over the mean (a grid, then Brent),
 *         v by safeguarded Newton (concave); auto picks it for that shape
 *         and runs one start (fit_profile.c)
 *
 * and reports the estimate, the maximised log-likelihood, iterations and
 * convergence, whether the optimum lies on a parameter bound or near a
 * singular set, standard errors from the observed information, and AIC,
 * BIC and MDL (docs/theory.md, "Maximum-likelihood fits"). */
#ifndef SS_INFER_FIT_H
#define SS_INFER_FIT_H

#include "core/iter.h"
#include "core/status.h"
#include "model/model.h"

#include <gsl/gsl_matrix.h>
#include <stdint.h>

#define FIT_STARTS_DEFAULT 10
#define FIT_STARTS_MAX 10000
#define FIT_MAXITER_DEFAULT 1000
/* Convergence: the relative change of the log-likelihood between
 * iterations below FIT_TOL_LOGLIK, |dl| <= tol (1 + |l|), and every free
 * parameter's change below FIT_TOL_PARAM, |dtheta| <= tol (1 + |theta|)
 * (em); the gradient of l/n below FIT_TOL_GRAD in the optimiser's
 * coordinates (pacf); the step below FIT_TOL_PARAM relative or the
 * gradient of the half sum of squares below FIT_TOL_GRAD (lm). */
#define FIT_TOL_LOGLIK 1e-12
#define FIT_TOL_PARAM 1e-9
#define FIT_TOL_GRAD 1e-9
/* A free parameter within FIT_ON_BOUND (1 + |bound|) of a finite bound
 * lies on it. */
#define FIT_ON_BOUND 1e-9
/* The optimum is near a singular set when its distance is below
 * FIT_NEAR_SINGULAR / sqrt(n), the scale of the sampling error. */
#define FIT_NEAR_SINGULAR 3.0

typedef struct {
    const char *method; /* NULL or "auto": the family's route */
    size_t starts;      /* 0: FIT_STARTS_DEFAULT */
    uint64_t seed;      /* the random starts' stream (seed, SS_STREAM_FIT, j) */
    size_t maxiter;     /* per start; 0: FIT_MAXITER_DEFAULT */
} fit_spec;

typedef struct {
    char source[64];           /* model name (the caller sets) */
    char data[64];             /* data set name (the caller sets) */
    char kind[MODEL_NAME_MAX]; /* model family */
    char method[16];           /* the route used ("none": nothing free) */
    size_t P, k, n;            /* parameters, free ones (of theta: the
                                  profiled scale is nscale), terms */
    double *theta;             /* P: the estimate */
    unsigned char *is_free;    /* P */
    char (*names)[MODEL_NAME_MAX];
    double *se;                /* P: standard errors (NAN: none) */
    int have_se;
    char se_why[640];          /* why there are none */
    double loglik, aic, bic, mdl;
    /* A scale profiled out of the likelihood (arma: the innovation
     * variance sigma2, R's arima and statsmodels' convention): nscale = 1,
     * its name (the model option), the estimate and its asymptotic
     * standard error sqrt(2/n) scale (the sigma2 block 2 sigma^4 / n of
     * the inverse information, orthogonal to the coefficients). The
     * information criteria count k + nscale parameters; `at` holds the
     * estimate in its option. nscale = 0: none. */
    size_t nscale;
    char scale_name[MODEL_NAME_MAX];
    double scale, scale_se;
    size_t starts, best_start, converged_starts;
    size_t starts_asked;       /* K */
    int interrupted;           /* Ctrl-C between starts: the best so far */
    size_t iterations;         /* of the best start */
    int converged;             /* the best start converged */
    char why[160];             /* how the best start stopped */
    double start_loglik_max;   /* the best log-likelihood at a start point */
    char bound[256];           /* "" or the parameters on a bound */
    char singular[256];        /* "" or the singular sets nearby */
    double near;               /* the distance threshold FIT_NEAR / sqrt n */
    char note[256];            /* relabelling and other remarks */
    model *at;                 /* a copy of the model at the estimate */
} fit_result;

/* Fit m (its free flags and, for fixed parameters, its values) to data.
 * Refuses data of the wrong shape, fewer than 2 likelihood terms, an
 * unknown method or one the family has no route for. Runs the fit's
 * iteration (below) to its end; Ctrl-C between starts (or inside a
 * route's pass over the data) keeps the best start finished, marked
 * interrupted, and fails only when none had finished. */
ss_status fit_run(const model *m, const gsl_matrix *data, const fit_spec *sp,
                  fit_result **out);

/* The fit as an iteration (core/iter.h), for a front end's progress and
 * Ctrl-C: alloc does every check fit_run does, allocates the route's
 * workspace and prepares the starts; each iterate runs one start to the
 * route's optimum (the null model: its log-likelihood, one step); the
 * progress is starts run of starts to run (1 for a global route and the
 * null model); take makes the report from the best start finished
 * (stopped: marked interrupted; an error when none had finished). Driven
 * to its end, take gives exactly what fit_run gives. m and data must
 * outlive the iteration. */
typedef struct fit_iter fit_iter;
extern const ss_iter_type fit_iter_type;
ss_status fit_iter_alloc(const model *m, const gsl_matrix *data,
                         const fit_spec *sp, fit_iter **out);
ss_status fit_iter_iterate(fit_iter *it);
int fit_iter_test(const fit_iter *it);
void fit_iter_progress(const fit_iter *it, size_t *done, size_t *total);
/* The result being filled (the best start so far in theta and loglik;
 * the report fields only after take). */
const fit_result *fit_iter_result(const fit_iter *it);
ss_status fit_iter_take(fit_iter *it, int stopped, fit_result **out);
void fit_iter_free(fit_iter *it);
void fit_result_free(fit_result *f);

/* The method= names ("auto" first), NULL past the end. */
const char *fit_method_name(size_t i);
/* Whether method (NULL: auto) applies to m; records why not. */
ss_status fit_method_check(const model *m, const char *method);

#endif

/* Priors on a model's parameters (`prior MODEL p=uniform(a,b) ...`): the
 * kinds, their checks and their log densities. The model keeps the spec
 * (model_prior in model/model.h: a kind and two numbers); this file gives
 * the kinds their meaning. Densities are GSL's (gsl_ran_*_pdf) in log form.
 *
 *   uniform(a, b)  a < b, finite: density 1/(b - a) on [a, b]
 *   normal(m, s)   s > 0: N(m, s^2) on the whole line
 *   beta(a, b)     a, b > 0: Beta(a, b) on [0, 1]
 *
 * A prior is accepted for parameter i only when its support lies inside
 * the parameter's range (model_param_lo/_hi: `bound` included), so it is a
 * proper prior on the parameter as the model allows it, and when the
 * model's value lies in the support with a finite log density (the chains
 * start there). */
#ifndef SS_BAYES_PRIOR_H
#define SS_BAYES_PRIOR_H

#include "core/status.h"
#include "model/model.h"

#include <stddef.h>

enum { PRIOR_NONE = 0, PRIOR_UNIFORM = 1, PRIOR_NORMAL = 2, PRIOR_BETA = 3 };

/* "uniform", "normal", "beta"; NULL for an unknown kind. */
const char *prior_kind_name(int kind);
/* The i-th kind's name (1-based kinds: i = 0 gives "uniform"), NULL past
 * the end: for help and completion. */
const char *prior_choice(size_t i);
/* A prior from its name and numbers, checked on its own (a < b, s > 0,
 * finite numbers, two of them); the error says what is wrong. */
ss_status prior_make(const char *name, const double *v, size_t n,
                     model_prior *out);
/* Whether p can be parameter i's prior (see above). */
ss_status prior_check(const model *m, size_t i, const model_prior *p);
/* The support [lo, hi]. */
void prior_support(const model_prior *p, double *lo, double *hi);
/* log density at x (-inf outside the support) and, when d != NULL, its
 * derivative (0 outside). */
double prior_logpdf(const model_prior *p, double x, double *d);
/* The prior's standard deviation. */
double prior_sd(const model_prior *p);
/* A draw (for tests and later estimators). */
double prior_draw(const model_prior *p, gsl_rng *r);
/* "normal(0, 1)" into buf. */
const char *prior_format(const model_prior *p, char *buf, size_t n);

#endif

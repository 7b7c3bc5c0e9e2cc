/* Population (nonlinear mixed-effects) structure shared by the PK families
 * (pk1, and the user-defined `expr` model): what the design layer needs to
 * build a population FIM, and the helpers that lay out, check and describe
 * the random-effect and residual parameters.
 *
 * Subject i's observation at time t_j after dose D is
 *     y_ij = f(psi_i, D, t_j) + residual,   psi_i = psi o exp(eta_i),
 * with eta_i ~ N(0, Omega) acting multiplicatively (exponential, that is
 * log-normal, random effects) on the fixed effects listed in eta_psi, and
 * the residual's variance g^2 = sigma2_add + sigma2_prop f^2 (error=add,
 * prop or comb: the NONMEM/PopED convention y = f (1 + e1) + e2).
 *
 * The parameter vector theta of such a model is, in this order:
 *   fixed effects psi (npsi, the family's own: CL V KA F, ...),
 *   Omega: its diagonal (cov=diag) or its lower triangle row by row
 *          (cov=full), group `omega`,
 *   residual: prop then add (whichever the error model has), group
 *          `sigma2` (variances) or `sigma` (SDs, scale=sd).
 * On the SD scale (scale=sd, cov=diag only) the Omega entries are the
 * standard deviations of the eta's, the residual ones those of e1, e2. */
#ifndef SS_POP_H
#define SS_POP_H

#include "core/sink.h"
#include "core/status.h"
#include "model/model.h"

#include <stddef.h>

#define POP_MAX_PSI 16
#define POP_MAX_ETA 8

enum { POP_ERR_ADD = 0, POP_ERR_PROP = 1, POP_ERR_COMB = 2 };

typedef struct pop_spec {
    size_t npsi;                 /* fixed effects: theta[0 .. npsi-1] */
    size_t neta;                 /* random effects */
    size_t eta_psi[POP_MAX_ETA]; /* eta_k multiplies psi[eta_psi[k]] */
    int omega_full;              /* Omega as a lower triangle (else diag) */
    size_t omega_first, nomega;  /* its parameters in theta */
    int err;                     /* POP_ERR_* */
    size_t sigma_first, nsigma;  /* residual parameters (prop, add) */
    int sd_scale;                /* Omega and residual parameters are SDs */
    /* The individual prediction at psi (npsi values) for a dose (NaN: the
     * family's own dose) at times t[0..nt): f[j], and when grad != NULL
     * its gradient over psi, row j of an nt x npsi row-major array. Records
     * why it fails (a division by zero, an invalid psi). */
    ss_status (*predict)(const model *m, const double *psi, double dose,
                         const double *t, size_t nt, double *f,
                         double *grad);
} pop_spec;

/* The population structure of m, or NULL when m's family has none. */
const pop_spec *pop_spec_of(const model *m);

/* Lay out Omega and the residual after the fixed effects already added
 * (spec->npsi and eta_psi set by the family), reading the options at
 * indices o_cov, o_err, o_scale of m->opt_choice (cov=diag|full,
 * error=prop|add|comb, scale=var|sd). Defaults: Omega 0.1 on the diagonal
 * (0 off it), residual variances 0.01 (prop) and 0.1 (add). Fills the rest
 * of spec. */
ss_status pop_configure(model *m, pop_spec *spec, size_t o_cov, size_t o_err,
                        size_t o_scale);

/* Omega positive semi-definite (a full Omega by Cholesky with a zero
 * tolerance of 1e-14 times its largest diagonal entry), variances and SDs
 * >= 0, at least one residual variance > 0. Records why not. */
ss_status pop_check(const pop_spec *spec, const double *theta);

/* Omega as a neta x neta covariance matrix (variances, whatever the
 * scale). */
void pop_omega(const pop_spec *spec, const double *theta, double *omega);
/* The residual variances: *s_prop, *s_add (0 when the model has none). */
void pop_sigma2(const pop_spec *spec, const double *theta, double *s_prop,
                double *s_add);

/* Kinds of parameter, for the RSE conventions (variance or SD scale). */
enum { POP_PAR_FIXED = 0, POP_PAR_VAR = 1, POP_PAR_COV = 2, POP_PAR_SD = 3 };
int pop_param_kind(const pop_spec *spec, size_t i);

/* Singular sets of the variance components: on the SD scale each SD at 0
 * (the information about it vanishes as 4 sd^2). Appends to out (at most
 * max) and returns how many. */
size_t pop_singular(const pop_spec *spec, const model *m,
                    const double *theta, model_singular *out, size_t max);

/* The model_type hooks every population family shares: a data row would
 * be (subject, t, y), but the families have no per-row likelihood (their
 * information is that of a design), so sample and loglik_terms refuse
 * with that explanation. */
size_t pop_data_cols(const model *m);
const char *pop_data_colname(const model *m, size_t col, char *buf,
                             size_t n);
ss_status pop_sample(const model *m, const double *theta, gsl_rng *r,
                     gsl_matrix *out);
ss_status pop_loglik_terms(const model *m, const double *theta,
                           const gsl_matrix *data, double *ell,
                           gsl_matrix *scores);

/* `show` lines: the error model, Omega with correlations, the scale. */
void pop_describe(const pop_spec *spec, const model *m, const double *theta,
                  const ss_sink *out);

#endif

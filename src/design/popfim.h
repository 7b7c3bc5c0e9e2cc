/* Population Fisher information of a design (docs/theory.md section 17):
 * a subject's observations y (n sampling times) are treated as normal with
 * mean mu(alpha) and covariance V(alpha), alpha = all P parameters of the
 * model (fixed effects, Omega, residual), and the subject's information is
 *     M_ab = mu_a^T V^-1 mu_b + 1/2 tr(V^-1 V_a V^-1 V_b).
 * The methods differ in mu and V:
 *   fo       first-order linearisation at eta = 0 (mu = f, V = Z Omega Z^T
 *            + Sigma), with V's dependence on the fixed effects dropped: the
 *            block-diagonal "reduced" FIM of PopED and PFIM;
 *   fo-full  the same with that dependence kept (PopED's full FIM; needs
 *            the fixed effects' second derivatives, by central
 *            differences of the exact gradient);
 *   quad     mu and V the exact moments of y over eta, by Gauss–Hermite
 *            quadrature (Leonov & Aliev's approach), derivatives by
 *            central differences of the moments on the same nodes;
 *   mc       the same moments by Monte Carlo on fixed draws (common
 *            random numbers, so the differences are smooth).
 * The design's FIM is the sum over groups of the group size times the
 * subject information of that group's times and dose. */
#ifndef SS_POPFIM_H
#define SS_POPFIM_H

#include "core/status.h"
#include "design/popdesign.h"
#include "model/model.h"

#include <gsl/gsl_matrix.h>
#include <stdint.h>

typedef enum {
    POPFIM_FO,
    POPFIM_FO_FULL,
    POPFIM_QUAD,
    POPFIM_MC
} popfim_method;

const char *popfim_method_name(popfim_method m);

/* The most draws of eta mc keeps (about 100 MB with 3 random effects). */
#define POPFIM_MC_MAX (1 << 22)

typedef struct {
    popfim_method method;
    size_t nquad;  /* quad: nodes per random effect (default 0: 8) */
    size_t nsim;   /* mc: draws of eta (default 0: 4096) */
    uint64_t seed; /* mc: the draws */
} popfim_opts;

/* One subject's information over all P parameters of m at theta, for
 * sampling times t[0..nt) after dose (NaN: the model's): M (P x P).
 * Refuses, with the reason, an observation whose variance is 0 (a
 * proportional error where f = 0, e.g. an oral sample at t = 0). */
ss_status popfim_subject(const model *m, const double *theta,
                         const popfim_opts *o, const double *t, size_t nt,
                         double dose, gsl_matrix *M);

/* The same for a theta that has passed model_validate already: the job
 * and the optimiser check the point once, not at every subject (for a full
 * Omega the check is an eigen-decomposition). */
ss_status popfim_subject_prevalidated(const model *m, const double *theta,
                                     const popfim_opts *o, const double *t,
                                     size_t nt, double dose, gsl_matrix *M);

/* The design's total information over the parameters idx[0..k) of m at
 * theta into M (k x k). */
ss_status popfim_design(const model *m, const double *theta,
                        const pop_design *d, const popfim_opts *o,
                        const size_t *idx, size_t k, gsl_matrix *M);

/* The same as a job (core/iter.h style): a step is one group's FIM (fo,
 * fo-full) or one moment evaluation of a group (quad, mc: P + 1 a group),
 * so front ends show progress and stop between steps. finish copies the
 * total into M (k x k) and frees the job; an unfinished job is refused
 * (SS_ERR_INTERRUPTED: nothing kept). */
typedef struct popfim_job popfim_job;
ss_status popfim_job_start(const model *m, const double *theta,
                           const pop_design *d, const popfim_opts *o,
                           const size_t *idx, size_t k, popfim_job **out);
ss_status popfim_job_step(popfim_job *j);
int popfim_job_done(const popfim_job *j);
void popfim_job_progress(const popfim_job *j, size_t *done, size_t *total);
ss_status popfim_job_finish(popfim_job *j, gsl_matrix *M);
void popfim_job_free(popfim_job *j);

/* Standard errors from a k x k FIM: the inverse's diagonal, refused (with
 * rank and lost directions named, through popfim_lost) when M is
 * singular. se[i] = sqrt((M^-1)_ii). */
ss_status popfim_se(const gsl_matrix *M, char (*names)[MODEL_NAME_MAX],
                    double *se);

/* ln det M through the Jacobi-scaled Cholesky factor (no overflow of
 * det itself); refused when M is not positive definite. */
ss_status popfim_lndet(const gsl_matrix *M, double *lndet);

/* Whether M is numerically singular after Jacobi scaling (D^-1 M D^-1,
 * D = sqrt(diag M), so the parameters' units do not matter); the rank and
 * up to three lost directions written as combinations of the named
 * parameters into buf. Returns the rank (k when regular). */
size_t popfim_lost(const gsl_matrix *M, char (*names)[MODEL_NAME_MAX],
                   char *buf, size_t n);

#endif

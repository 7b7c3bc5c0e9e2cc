/* The free energy by thermodynamic integration over a β ladder, WBIC and
 * the learning coefficient λ̂ two ways (`freeenergy`; docs/theory.md,
 * "Bayesian learning").
 *
 * With l_n(w) = Σ_i log p(x_i|w), nL_n = -l_n and a proper prior φ,
 * Z(β) = ∫ φ(w) exp(β l_n(w)) dw has Z(0) = 1 and
 * d log Z / dβ = E^β[l_n], so
 *
 *     F_n = -log Z(1) = ∫_0^1 E^β[n L_n] dβ.
 *
 * The ladder: u_j = j / K, β_j = u_j^FE_POWER (j = 0..K, K even; dense
 * near 0, where E^β[nL_n] changes on the scale β ~ 1/n). In u the
 * integrand g(u) = p u^(p-1) (E^{β(u)} - E^1) is smooth; composite
 * Simpson in u gives ∫ (E^β - E^1) dβ and E^1 is added exactly (the
 * constant part would otherwise carry Simpson's error on p u^(p-1) times
 * E^1 ~ n). The quadrature error estimate is |Simpson - trapezoid| on the
 * same nodes. F_n is linear in the rungs' means, F = Σ a_j E_j, so its
 * MC error is sqrt(Σ a_j² se_j²) (the rungs' chains are independent).
 *
 * Two more rungs: β_w = 1/log n (WBIC) and β_w2 = min(1, 2/log n). Then
 *   λ̂ (two temperatures) = (E^{β_w} - E^{β_w2}) / (1/β_w - 1/β_w2),
 *   λ̂ (slope) = the weighted least-squares slope of E^β against 1/β over
 *     every rung with β in [β_w/2, 2 β_w] (the two above included),
 *     weights 1/se², its error from the fit's covariance.
 * Rung j's chain c uses the stream (seed, SS_STREAM_POSTERIOR,
 * (j + 1) 2^32 + c) (bayes/posterior.h): the same numbers on any thread
 * count. */
#ifndef SS_BAYES_LADDER_H
#define SS_BAYES_LADDER_H

#include "bayes/posterior.h"
#include "core/iter.h"
#include "core/status.h"
#include "model/model.h"

#include <gsl/gsl_matrix.h>
#include <stddef.h>
#include <stdint.h>

#define FE_POWER 5
#define FE_BETAS_DEFAULT 20
#define FE_BETAS_MIN 2
#define FE_BETAS_MAX 1000

typedef struct {
    size_t K;             /* ladder intervals (even, >= 2): K + 1 nodes */
    size_t samples, chains, burnin;
    post_sampler sampler;
    uint64_t seed;
    unsigned threads;
} fe_spec;

typedef struct {
    fe_spec sp;
    char model[64], data[64], kind[32]; /* names (the caller sets) */
    size_t n, k;          /* observations, free parameters */
    size_t nr;            /* rungs: the K + 1 nodes, then β_w, β_w2 */
    post_rung *rung;      /* nr */
    double *weight;       /* nr: F's quadrature weight a_j (0 for β_w, β_w2) */
    double F, F_se, F_quad;  /* F_n, its MC error, the quadrature error
                                estimate */
    double beta_w, beta_w2;
    double wbic, wbic_se;
    double lam2, lam2_se;    /* two temperatures */
    double lams, lams_se;    /* slope; intercept lams_c (E = c + λ/β) */
    double lams_c;
    size_t lams_np;          /* rungs in the fit */
    char warn[1024];
} fe_result;

/* β_j of a ladder with K intervals (j = 0..K). */
double fe_beta(size_t j, size_t K);
/* The quadrature of F from E[0..K] on the ladder's nodes: F, its error
 * estimate and the weights a[0..K] with F = Σ a_j E_j (a may be NULL). */
void fe_quadrature(const double *E, size_t K, double *F, double *qerr,
                   double *a);
/* The slope fit: y = c + λ x over np points with errors se (weights
 * 1/se²; all equal weights when an se is 0). */
void fe_fit_slope(const double *x, const double *y, const double *se,
                  size_t np, double *lam, double *lam_se, double *c);

ss_status fe_check(const model *m, const gsl_matrix *data, const fe_spec *sp);

typedef struct fe_iter fe_iter;
ss_status fe_iter_alloc(const model *m, const gsl_matrix *data,
                        const fe_spec *sp, fe_iter **out);
ss_status fe_iter_take(fe_iter *it, fe_result **out);
void fe_iter_free(fe_iter *it);
extern const ss_iter_type fe_iter_type;

void fe_result_free(fe_result *r);

#endif

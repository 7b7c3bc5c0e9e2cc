/* gmm with K components and/or a free common standard deviation: the
 * general (scalar) route behind the hooks of gmm.c, which keeps its own
 * fast code for the classic layout (K = 2, s known).
 *
 * Layout for every K (the classic one is the case K = 2 without s):
 *   theta[0 .. K-2]      weights of components 2..K (K = 2: "v", else
 *                        "v2".."vK"); component 1 has 1 - their sum
 *   theta[K-1 .. 2K-2]   means w1..wK
 *   theta[2K-1]          the common standard deviation s (s=free only)
 * so P = 2K - 1 (+1) and the layout follows from P and the option. */
#ifndef SS_MODEL_GMM_K_H
#define SS_MODEL_GMM_K_H

#include "model/model.h"

#define GMM_KMAX 10
/* the exact route of the general layout refuses beyond this separation
 * (max - min mean) / s: its panels shrink like s / separation */
#define GMM_K_MAX_SEP 100.0
/* the weights may sum to 1 up to this rounding */
#define GMM_K_SUM_TOL 1e-12

typedef struct {
    size_t K;
    int sfree;
} gmm_layout;

gmm_layout gmm_layout_of(const model *m);
/* K = 2 with s known: the classic code of gmm.c */
int gmm_is_classic(const model *m);

ss_status gmm_k_check(const model *m, const double *theta);
ss_status gmm_k_sample(const model *m, const double *theta, gsl_rng *r,
                       gsl_matrix *out);
ss_status gmm_k_loglik_terms(const model *m, const double *theta,
                             const gsl_matrix *data, double *ell,
                             gsl_matrix *scores);
ss_status gmm_k_fim_exact(const model *m, const double *theta, gsl_matrix *G,
                          gsl_matrix **root);
ss_status gmm_k_em_step(const model *m, const double *theta,
                        const gsl_matrix *data, double *theta_out,
                        double *loglik);
/* log p(x) at theta for any layout (KL integrals) */
double gmm_k_logp(const model *m, const double *theta, double x);
size_t gmm_k_nsingular(const model *m);
size_t gmm_k_singular_distances(const model *m, const double *theta,
                                double *dist, size_t max);
size_t gmm_k_singular(const model *m, const double *theta,
                      model_singular *out, size_t max);
int gmm_k_canonical(const model *m, double *theta, char *note, size_t n);
void gmm_k_describe(const model *m, const double *theta, const ss_sink *out);

#endif

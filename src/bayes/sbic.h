/* The singular BIC of Drton & Plummer (2017, "A Bayesian information
 * criterion for singular models", JRSS-B 79:323-380) for a linearly
 * ordered collection of models M_1 < M_2 < ... < M_M (each a submodel of
 * the next), and the learning coefficients of 1-D Gaussian mixtures with
 * a known variance (docs/theory.md, section 11, "The singular BIC").
 *
 * With l_i the maximised log-likelihood of M_i, n observations and
 * lambda_ij, m_ij the learning coefficient and its multiplicity of M_i at
 * a truth in M_j (j <= i),
 *
 *     L'_ij = exp(l_i) n^(-lambda_ij) (log n)^(m_ij - 1),
 *
 * and L'(M_i) solves, for i = 1, 2, ... in order,
 *
 *     sum_{j <= i} (L'(M_i) - L'_ij) L'(M_j) p_j = 0,
 *
 * a quadratic a x^2 + b x + c = 0 in x = L'(M_i) with a = p_i,
 * b = sum_{j<i} L'(M_j) p_j - p_i L'_ii, c = -sum_{j<i} L'_ij L'(M_j) p_j
 * < 0: one positive root. sBIC_i = log L'(M_i); for M_1 it is
 * l_1 - lambda_11 log n (= -BIC/2 when lambda_11 = d_1/2, m_11 = 1).
 * The posterior model probabilities it implies are
 * L'(M_i) p_i / sum_j L'(M_j) p_j.
 *
 * Everything is computed in log space, each equation on its own scale, so
 * likelihoods like exp(-10^6) neither overflow nor underflow. */
#ifndef SS_BAYES_SBIC_H
#define SS_BAYES_SBIC_H

#include "core/status.h"

#include <stddef.h>

/* At most this many models (gmm's largest K). */
#define SBIC_MODELS_MAX 10

/* The learning coefficient of a 1-D Gaussian mixture with known variance
 * and Ki components at a truth with Kj <= Ki components (the bound of
 * Yamazaki & Watanabe that Drton & Plummer use for mixtures, with a
 * one-dimensional component parameter and phi = 1/2):
 * ((2 Kj - 1) + (Ki - Kj)/2) / 2; its multiplicity is 1. NaN when Kj > Ki
 * or either is 0. */
double sbic_gmm_lambda(size_t Ki, size_t Kj);

/* Solve for sBIC. M >= 1 models in order; ll[i] the maximised
 * log-likelihood of model i (finite); lambda[i*M + j] (j <= i, > 0) and
 * mult[i*M + j] (NULL: all 1; >= 1) their learning coefficients and
 * multiplicities (entries above the diagonal are not read); prior[i] > 0
 * (NULL: uniform; it need not sum to 1); n > 1 observations (n > e when
 * some multiplicity exceeds 1). Writes sbic[i] = log L'(M_i) and, when
 * post is not NULL, the posterior model probabilities. Refuses (nothing
 * written) input outside these ranges. */
ss_status sbic_solve(size_t M, const double *ll, const double *lambda,
                     const double *mult, const double *prior, double n,
                     double *sbic, double *post);

/* w[i] = exp(logw[i]) / sum_j exp(logw[j]), without overflow (the
 * posterior probabilities of a criterion on the log-evidence scale). */
void sbic_softmax(size_t M, const double *logw, double *w);

/* The report of `sbic` over nested gmm models (s known) with K[0] < K[1]
 * < ...: per model the maximised log-likelihood, BIC on the deviance
 * scale (-2 l + d log n, d = 2K - 1 free parameters), sBIC on the
 * log-evidence scale (log L', comparable with -BIC/2), and the posterior
 * model probabilities each implies under a uniform prior. */
typedef struct {
    size_t M, n;
    double s;                            /* the components' known sd */
    char data[64];                       /* the data set's name */
    char names[SBIC_MODELS_MAX][64];     /* the models' names */
    size_t K[SBIC_MODELS_MAX], d[SBIC_MODELS_MAX];
    double ll[SBIC_MODELS_MAX];
    int converged[SBIC_MODELS_MAX];      /* the fit's best start converged */
    double bic[SBIC_MODELS_MAX];         /* -2 l + d log n */
    double sbic[SBIC_MODELS_MAX];        /* log L'(M_i) */
    double post_bic[SBIC_MODELS_MAX];    /* prop. to exp(-BIC/2) */
    double post_sbic[SBIC_MODELS_MAX];   /* prop. to L'(M_i) */
    double lambda[SBIC_MODELS_MAX * SBIC_MODELS_MAX]; /* [i*M + j], j <= i */
    size_t pick_bic, pick_sbic;          /* the smallest BIC, the largest
                                            sBIC (the first on a tie) */
    int nonmonotone;                     /* some l_i < l_{i-1}: a fit found
                                            a local optimum */
} sbic_report;

/* Fill r (its names, data and converged left to the caller) from K
 * (strictly increasing, 1..SBIC_MODELS_MAX), ll and n. */
ss_status sbic_gmm_report(size_t M, const size_t *K, const double *ll,
                          size_t n, double s, sbic_report *r);

#endif

/* The exact Gaussian likelihood of an ARMA(p,q) process by the Kalman
 * filter on Harvey's state-space form (alpha_t in R^r, r = max(p, q + 1)):
 *   x_t = alpha_t[0],  alpha_{t+1} = T alpha_t + R e_{t+1},
 * T[i][0] = ar_{i+1} (0 beyond p), T[i][i+1] = 1; R = (1, ma1, .., maq, 0..),
 * started from the stationary distribution, with analytic derivatives of
 * every recursion in the p + q coefficients for the per-term scores.
 * Covariances are in units of the innovation variance. Everything works in
 * caller-owned fixed-size arrays; kalman_stationary allocates its LU
 * workspace per call. Used by arma.c (likelihood and sampling). */
#ifndef SS_MODEL_KALMAN_H
#define SS_MODEL_KALMAN_H

#include "core/status.h"

#include <gsl/gsl_matrix.h>
#include <stddef.h>

#define KALMAN_MAX_ORDER 8
#define KALMAN_RMAX (KALMAN_MAX_ORDER + 1) /* state dimension max(p, q+1) */
#define KALMAN_RR (KALMAN_RMAX * KALMAN_RMAX)
#define KALMAN_PMAX (2 * KALMAN_MAX_ORDER)

typedef struct {
    size_t p, q, r, P;
    double phi[KALMAN_RMAX]; /* first column of T */
    double R[KALMAN_RMAX];
} kalman_ss;

/* The form of ARMA(p, q) at theta = (ar1..arp, ma1..maq), p, q <=
 * KALMAN_MAX_ORDER. */
void kalman_init_arma(kalman_ss *f, size_t p, size_t q, const double *theta);

/* T[i][k]; out = T a; C = T A T^T for a symmetric r x r A (row-major). */
double kalman_T(const kalman_ss *f, size_t i, size_t k);
void kalman_Tvec(const kalman_ss *f, const double *a, double *out);
void kalman_Tsym(const kalman_ss *f, const double *A, double *C);

/* Add dT A T^T + T A dT^T + dR R^T + R dR^T of parameter k to D. */
void kalman_dterm(const kalman_ss *f, size_t k, const double *A, double *D);

/* P0 = T P0 T^T + R R^T and, for the first nd parameters, dP0[k] (each
 * KALMAN_RR doubles apart). */
ss_status kalman_stationary(const kalman_ss *f, double *P0, double *dP0,
                            size_t nd);

/* Whether P (and the nd derivatives dP) have reached the steady state
 * R R^T (dR R^T + R dR^T) to a few rounding errors. */
int kalman_is_steady(const kalman_ss *f, const double *Pm, const double *dP,
                     size_t nd);

/* The log-likelihood terms ell[t] = log p(x_t | x_1..x_{t-1}) of the series
 * in column 0 of data (innovation variance s2) and, when scores != NULL
 * (n x (p + q)), their derivatives in the coefficients (ell may be NULL
 * when only those are wanted). */
ss_status kalman_loglik(const kalman_ss *f, double s2, const gsl_matrix *data,
                        double *ell, gsl_matrix *scores);

/* The same filter reduced to its sums (innovation variance 1): with v_t
 * the prediction errors and F_t their variances,
 *   S = sum v_t^2 / F_t,  L = sum log F_t,
 * and their derivatives in the first nd coefficients, so that
 *   ell(sigma2) = -(n/2) log(2 pi sigma2) - L/2 - S/(2 sigma2)
 * and, with sigma2 profiled out (sigma2hat = S/n),
 *   ell_c = -(n/2) (log(2 pi S/n) + 1) - L/2.
 * Nothing is stored per term. With steady != 0 the filter switches to the
 * steady-state recursion (F = 1, only the means move) once the covariance
 * and its derivatives have converged (kalman_is_steady), as kalman_loglik
 * does; steady == 0 runs the full filter to the end (for tests). */
typedef struct {
    double S, L;
    double dS[KALMAN_PMAX], dL[KALMAN_PMAX];
    size_t steady_at; /* the first step of the steady recursion (n: none) */
} kalman_sums;

ss_status kalman_sum(const kalman_ss *f, const gsl_matrix *data, size_t nd,
                     int steady, kalman_sums *out);

#endif

/* The variants of `spectrum` (docs/theory.md 13.4): what matrix a random
 * network's eigenvalues are taken of, and the block-model prediction for
 * each.
 *   - the FIM of the parameters through its dual K = Jq Jq^T / T
 *     (regression, or softmax with Q_t: at most T (C - 1) non-zero
 *     eigenvalues and at most C - 1 outliers);
 *   - param=ntk: the NTK Theta = J J^T of the omega gradients (T C x T C,
 *     not divided by T; statistics over its T C eigenvalues);
 *   - centre: the outputs' mean over the T inputs subtracted, J_t <- J_t -
 *     (1/T) sum_s J_s, i.e. K <- H K H with H = I_T - 1 1^T / T acting on
 *     the inputs of every output (Karakida, Akaho & Amari 2019, the
 *     mean subtraction of the last layer);
 *   - metric: the metric the FIM induces on the input or on a hidden
 *     layer's activations, G = (1/T) sum_t A_t^T Q_t A_t, A_t = d f(x_t) /
 *     d h^l (M_l x M_l). */
#ifndef SS_WIDE_VARIANT_H
#define SS_WIDE_VARIANT_H

#include "core/status.h"
#include "fim/meanfield.h"
#include "fim/wide_spectrum.h"
#include "model/model.h"

#include <gsl/gsl_matrix.h>
#include <stddef.h>

/* SS_ERR_USAGE for a combination not covered: centre with softmax (the
 * centred logits would change Q_t) or with metric, param=ntk with softmax
 * (the NTK is the logits' kernel); SS_ERR_RANGE for a metric layer that is
 * not 0..L-1. */
ss_status wv_check(const model *m, const ws_variant *v);

/* The matrix's size n (eigenvalues computed) and the count nall the
 * statistics are normalised by (P, T C or M_l). */
size_t wv_size(const model *m, const ws_variant *v);
size_t wv_nall(const model *m, const ws_variant *v);

/* The symmetric n x n matrix of the variant at theta (allocated here). */
ss_status wv_matrix(const model *m, const ws_variant *v, const double *theta,
                    gsl_matrix **A);

/* K <- H K H over the inputs: K is T C x T C with row t C + c. */
void wv_centre(gsl_matrix *K, size_t T, size_t C);

/* The block model of the dual: per output, a T x T block
 * scale (d1 I + d2 (1 1^T - I)) (centred: H of it), C blocks orthogonal;
 * statistics over nall eigenvalues into th[WS_NSTAT] (bulk_centre NaN).
 * rank: the generic rank of the matrix (for zeros). */
void wv_block_model(double d1, double d2, double scale, int centred,
                    size_t T, size_t C, size_t nall, size_t rank,
                    double *th);

/* The prediction for the variant from the order parameters mf: 1 with
 * th filled (NaN where there is none, the reason in note) and, with d !=
 * NULL, the block's d1, d2 in d[0], d[1]; 0 with only the generic zeros
 * and the reason in note when there is none at all. */
int wv_theory(const model *m, const ws_variant *v, const mf_result *mf,
              double *th, double *d, char *note, size_t len);

/* The C eigenvalues (descending) of Qbar = (1/T) sum_t Q_t, the softmax
 * output metric of network theta averaged over the inputs (Q_t 1 = 0, so
 * the last is 0 to rounding): T forward passes. */
ss_status wv_qbar(const model *m, const double *theta, double *mu);

/* The softmax prediction given one network's Qbar eigenvalues mu:
 * the dual is R K_reg R (R = blockdiag Q_t^{1/2}); with the block model
 * of K_reg it is (d2/T) B B^T + ((d1 - d2)/T) blockdiag(Q_t), B = [R_t]_t,
 * so tr = d1 tr Qbar, and the first term's eigenvalues d2 mu_k(Qbar)
 * are the outliers (to within the second term's norm). Writes m_lambda,
 * lambda_max = d2 mu_1, top_c_mean = d2 sum_{k < C} mu_k / C. */
void wv_softmax_theory(const model *m, const ws_variant *v, double d1,
                       double d2, const double *mu, double *th);

/* What is measured, in words ("exact FIM spectrum", "NTK spectrum", ...). */
void wv_describe(const model *m, const ws_variant *v, char *buf, size_t len);

#endif

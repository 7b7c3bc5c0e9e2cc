/* The mini-batch measures of Liao, Drummond, Reid & Carneiro
 * ("Approximate Fisher information matrix to characterize the training of
 * deep neural networks"), as docs/theory.md 13.5 states them.
 *
 * At step k of mini-batch SGD the B per-sample loss gradients over the
 * free parameters are the rows of J_k (B x k); the mini-batch approximate
 * FIM is J_k^T J_k / B. Its spectrum is read from the B x B Gram
 * K = J_k J_k^T (never the k x k matrix): the singular values of J_k are
 * the square roots of K's eigenvalues. From them:
 *
 *   c_k = sigma_1 / sigma_r   the truncated condition number, r the
 *                             number of singular values >= LIAO_SV_CUT
 *                             sigma_1 (the others are taken as zero)
 *   l_k = (eta / B) ||J_k||_F  the energy of the step, ||J_k||_F^2 =
 *                             trace K
 *
 * and their running means over the steps so far. The critical learning
 * rate of full-batch gradient descent is 2 / lambda_max of the
 * Gauss-Newton matrix of the training loss (the dnn dual Gram at the data's
 * inputs). */
#ifndef SS_LEARN_LIAO_H
#define SS_LEARN_LIAO_H

#include "core/status.h"
#include "model/model.h"

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_matrix.h>
#include <stddef.h>

/* The cut of the truncated condition number. The Gram route resolves
 * singular values down to about sqrt(eps) sigma_1 ~ 1.5e-8 sigma_1
 * (an eigenvalue of K is accurate to eps lambda_1), so 1e-6 sits two
 * orders above its noise and well below any singular value that matters. */
#define LIAO_SV_CUT 1e-6
/* Largest batch (the B x B Gram's eigenproblem each step) and the most
 * score entries (B x free parameters) a step holds. */
#define LIAO_BATCH_MAX 4096u
#define LIAO_SCORES_MAX 64000000.0
/* Most rows of the Gauss-Newton dual (n C) for the critical rate: its
 * full symmetric eigenproblem (GSL has no Lanczos), about 4 s at 1280
 * rows here and 8 times that at twice the rows. */
#define LIAO_CRIT_MAX 1500u

/* The measures of one Gram K (B x B, symmetric positive semi-definite;
 * overwritten). sv: B singular values, descending (negative eigenvalues,
 * rounding, clipped to 0; those below the cut set to 0: at that level the
 * Gram route gives noise). *rank: those >= LIAO_SV_CUT sv[0]; *c: sv[0] /
 * sv[rank - 1] (NaN when sv[0] = 0: no gradient); *fro: sqrt(trace K).
 * ev and w: of size B. */
ss_status liao_from_gram(gsl_matrix *K, gsl_vector *ev,
                         gsl_eigen_symm_workspace *w, double *sv,
                         size_t *rank, double *c, double *fro);

/* l_k = eta / B * fro. */
double liao_energy(double eta, size_t B, double fro);

/* The largest eigenvalue of the Gauss-Newton matrix of the mean training
 * loss on data (rows: a dnn model's data columns) at theta, over the free
 * parameters, and 2 / it. Only for dnn students and n C <= LIAO_CRIT_MAX;
 * otherwise SS_ERR_USAGE with the reason in the error slot. */
ss_status liao_critical(const model *m, const double *theta,
                        const gsl_matrix *data, double *lmax, double *crit);

#endif

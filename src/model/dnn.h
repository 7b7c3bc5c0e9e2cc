/* The `dnn` family: a fully connected network of L weight layers with
 * i.i.d. Gaussian weights, T fixed standard-normal inputs (its design), and
 * a regression (p(y|x) = N(f(x), I_C)) or softmax (categorical with logits
 * f(x)) output. Parameters are blocks W1, b1, W2, b2, ..., WL, bL (W^l is
 * M_l x M_{l-1}, stored row by row). docs/theory.md, "Wide random
 * networks", derives the Jacobian and the dual (NTK) Gram used here. */
#ifndef SS_MODEL_DNN_H
#define SS_MODEL_DNN_H

#include "model/model.h"

#include <gsl/gsl_matrix.h>

#define DNN_LMAX 16 /* most weight layers */

enum { DNN_RELU, DNN_TANH, DNN_ERF, DNN_LINEAR };

typedef struct {
    size_t L;                  /* weight layers */
    size_t M[DNN_LMAX + 1];    /* M[0] = in, M[L] = out (C) */
    size_t woff[DNN_LMAX + 1]; /* offset of W^l in theta (l = 1..L) */
    size_t boff[DNN_LMAX + 1]; /* offset of b^l */
    size_t C, T, P;
    int act;                   /* DNN_RELU, ... */
    int softmax;               /* output=softmax */
    int ntk;                   /* param=ntk: W^l = s_l omega^l */
    double sw2, sb2;
    double s[DNN_LMAX + 1];    /* s_l = sqrt(sw2 / M_{l-1}) */
} dnn_layout;

extern const model_type model_dnn_type;

/* The layout of a dnn model (NULL for another family). */
const dnn_layout *dnn_layout_of(const model *m);
/* Its T x M0 fixed inputs. */
const gsl_matrix *dnn_inputs(const model *m);

/* The outputs f(x) (C entries) at one input x, and with grad != NULL the
 * gradient of r . f(x) over all P parameters (one backward pass). */
ss_status dnn_vjp(const model *m, const double *theta, const double *x,
                  const double *r, double *f, double *grad);

/* The dual Gram of the exact FIM over the free parameters at the model's
 * T inputs: K (TC x TC, allocated here) = Jq Jq^T / T, where Jq stacks
 * Q_t^{1/2} J_t (Q_t = I_C for regression), assembled layer by layer with
 * BLAS-3 calls; its non-zero eigenvalues are those of the FIM. */
ss_status dnn_gram(const model *m, const double *theta, gsl_matrix **K,
                   double *scale);

/* The same network at another width (the width sweep of `spectrum`): a
 * new dnn model with every hidden width M_l = alpha_l M, alpha_l =
 * M_l / M_1 of src (rounded to the nearest whole number, at least 1), and
 * src's other options (layers, in, out, act, sw2, sb2, output, param,
 * inputs, seed) and its T inputs. Its parameters are drawn from the seed
 * as `model` draws them, all free. SS_ERR_USAGE for a model that is not a
 * dnn or has no hidden layer; SS_ERR_RANGE for M = 0 or a hidden width
 * above the family's bound; SS_ERR_LIMIT for too many parameters. */
ss_status dnn_at_width(const model *src, size_t M, model **out);
/* The checks of dnn_at_width alone (nothing allocated), including the
 * family's bound on P. */
ss_status dnn_at_width_check(const model *src, size_t M);
/* The metric the FIM induces on layer `layer`'s activations (0: the input
 * x, 1..L-1: the hidden h^l) at the model's T inputs:
 * G (M_l x M_l, allocated here) = (1/T) sum_t A_t^T Q_t A_t with
 * A_t = d f(x_t) / d h^l = W^{l+1}^T delta^{l+1} (C rows), Q_t = I_C for
 * regression. SS_ERR_RANGE for layer >= L. */
ss_status dnn_metric(const model *m, const double *theta, size_t layer,
                     gsl_matrix **G);

/* The same at other inputs X (T' x M0, e.g. a data set's input columns):
 * K (T'C x T'C) = Jq Jq^T / T', *scale = T'. The Gauss-Newton matrix of
 * the mean loss over those inputs has the same non-zero eigenvalues. */
ss_status dnn_gram_at(const model *m, const double *theta,
                      const gsl_matrix *X, gsl_matrix **K, double *scale);

/* A mini-batch's per-sample score Gram (dnn_batch.c): for the B rows of X
 * (data columns), K (B x B) = S S^T with S the B x P scores (gradients
 * of the log-likelihood terms), ssum (P, or NULL) = the column sums of S,
 * ell (B, or NULL) the terms; never forms S. Every parameter must be
 * free (SS_ERR_USAGE otherwise: use loglik_terms). */
ss_status dnn_batch_gram(const model *m, const double *theta,
                         const gsl_matrix *X, gsl_matrix *K, double *ssum,
                         double *ell);

/* A synthetic classification task for a softmax dnn (dnn_task.c): C
 * Gaussian clusters in the input space, centre c ~ N(0, sep^2 I_M0) drawn
 * from the stream (the model's seed=, SS_STREAM_LIAO, 1), so every data
 * set of one model shares its centres; each row takes a class uniformly
 * from r and x ~ N(centre, I). Out: n x (M0 + 1), the class last. */
ss_status dnn_clusters(const model *m, double sep, gsl_rng *r,
                       gsl_matrix *out);

#endif

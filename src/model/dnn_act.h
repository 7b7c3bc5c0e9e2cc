/* What the dnn family's files share (private to src/model/): the
 * activations phi and their derivatives, used by the forward passes of
 * dnn.c (one input), dnn_gram.c (all T inputs) and dnn_batch.c (a
 * mini-batch), and the softmax output's probabilities and metric root.
 * erf is erf(u / sqrt 2), whose derivative is sqrt(2/pi) exp(-u^2/2). */
#ifndef SS_MODEL_DNN_ACT_H
#define SS_MODEL_DNN_ACT_H

#include "model/dnn.h"

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_matrix.h>
#include <math.h>

/* phi(u), with phi'(u) in *dp. */
static inline double dnn_act(int act, double u, double *dp)
{
    switch (act) {
    case DNN_RELU:
        *dp = u > 0 ? 1.0 : 0.0;
        return u > 0 ? u : 0.0;
    case DNN_TANH: {
        double t = tanh(u);
        *dp = 1.0 - t * t;
        return t;
    }
    case DNN_ERF:
        *dp = 0.79788456080286535588 * exp(-0.5 * u * u);
        return erf(u * M_SQRT1_2);
    default:
        *dp = 1.0;
        return u;
    }
}

/* Softmax probabilities g of logits f (C of them), shifted by the
 * largest logit so that exp cannot overflow. */
static inline void dnn_softmax(size_t C, const double *f, double *g)
{
    double mx = f[0], z = 0;
    for (size_t c = 1; c < C; c++)
        mx = f[c] > mx ? f[c] : mx;
    for (size_t c = 0; c < C; c++)
        z += (g[c] = exp(f[c] - mx));
    for (size_t c = 0; c < C; c++)
        g[c] /= z;
}

/* R = Q^{1/2} (C x C) for Q = diag(g) - g g^T, by the symmetric
 * eigendecomposition (eigenvalues clipped at 0); V, ev and ws are C-sized
 * workspaces (dnn.c). */
ss_status dnn_q_root(size_t C, const double *g, gsl_matrix *R,
                     gsl_matrix *V, gsl_vector *ev,
                     gsl_eigen_symmv_workspace *ws);

#endif

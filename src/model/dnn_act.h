/* The dnn family's activations phi and their derivatives, shared by the
 * forward passes of dnn.c (one input), dnn_gram.c (all T inputs) and
 * dnn_batch.c (a mini-batch). erf is erf(u / sqrt 2), whose derivative is
 * sqrt(2/pi) exp(-u^2/2). Private to src/model/. */
#ifndef SS_MODEL_DNN_ACT_H
#define SS_MODEL_DNN_ACT_H

#include "model/dnn.h"

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

#endif

/* The mean-field order parameters of a dnn model's architecture and the
 * FIM statistics they predict at its widths (fim/meanfield.h applied to
 * the network: alpha_l = M_l / M_1, standard-normal inputs). One place for
 * `show` and `spectrum`. */
#ifndef SS_DNN_MEANFIELD_H
#define SS_DNN_MEANFIELD_H
#include "fim/meanfield.h"
#include "model/model.h"
#include <stddef.h>

/* 1 with the order parameters *mf of the model's architecture (alpha_l =
 * M_l / M_1, its act, sw2 and sb2, standard-normal inputs); 0 with the
 * reason in why[len] (act=erf, no hidden layer, a failed recursion). The
 * error slot is left clear. */
int dnn_mf_solve(const model *m, mf_result *mf, char *why, size_t len);

/* 1 with *mf and *pred filled (mf_predict_finite at the model's widths,
 * T inputs, C outputs); 0 with the reason in why[len] where there is no
 * prediction (act=erf, output=softmax, param=ntk, no hidden layer, a
 * failed recursion). The error slot is left clear. */
int dnn_mf_predict(const model *m, mf_result *mf, mf_stats *pred,
                   char *why, size_t len);

#endif

/* The mean-field prediction of a dnn model (fim/dnn_meanfield.h). */
#include "fim/dnn_meanfield.h"

#include "model/dnn.h"

#include <stdio.h>

int dnn_mf_solve(const model *m, mf_result *mf, char *why, size_t len)
{
    const dnn_layout *y = dnn_layout_of(m);
    if (y->act == DNN_ERF) {
        snprintf(why, len, "no mean-field prediction for act=erf (the "
                           "network's erf(u/sqrt 2) is not the mean-field "
                           "module's erf(u))");
        return 0;
    }
    if (y->L < 2) {
        snprintf(why, len, "no mean-field prediction without a hidden "
                           "layer (layers=1)");
        return 0;
    }
    double alpha[DNN_LMAX];
    for (size_t l = 0; l < y->L; l++)
        alpha[l] = (double)y->M[l] / (double)y->M[1];
    static const mf_act acts[] = {MF_RELU, MF_TANH, MF_ERF, MF_LINEAR};
    mf_spec sp = {.L = (int)y->L, .alpha = alpha, .act = acts[y->act],
                  .sw2 = y->sw2, .sb2 = y->sb2, .q0_1 = 1.0, .q0_2 = 0.0};
    if (mf_solve(&sp, mf) != SS_OK) {
        snprintf(why, len, "no mean-field prediction: %.120s",
                 ss_last_error()->msg);
        ss_clear_error();
        return 0;
    }
    return 1;
}

int dnn_mf_predict(const model *m, mf_result *mf, mf_stats *pred,
                   char *why, size_t len)
{
    const dnn_layout *y = dnn_layout_of(m);
    if (y->act != DNN_ERF && (y->softmax || y->ntk)) {
        snprintf(why, len, "no mean-field prediction for %s here (these "
                           "are the standard regression FIM's; `spectrum` "
                           "has one, docs/theory.md 13.4)",
                 y->softmax ? "output=softmax" : "param=ntk");
        return 0;
    }
    if (!dnn_mf_solve(m, mf, why, len))
        return 0;
    if (mf_predict_finite(mf, y->M, (int)y->C, (int)y->T, pred) != SS_OK) {
        snprintf(why, len, "no mean-field prediction: %.120s",
                 ss_last_error()->msg);
        ss_clear_error();
        return 0;
    }
    return 1;
}

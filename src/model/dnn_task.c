/* Gaussian clusters as a classification task for a softmax dnn (dnn.h). */
#include "model/dnn.h"

#include "core/rng.h"

#include <gsl/gsl_randist.h>
#include <stdlib.h>

ss_status dnn_clusters(const model *m, double sep, gsl_rng *r,
                       gsl_matrix *out)
{
    const dnn_layout *y = dnn_layout_of(m);
    if (!y || !y->softmax)
        return SS_FAIL(SS_ERR_USAGE, "task=clusters draws classes for a dnn "
                                     "with output=softmax");
    size_t M0 = y->M[0], C = y->C;
    if (out->size2 != M0 + 1)
        return SS_FAIL(SS_ERR_USAGE, "dnn_clusters: %zu columns, not %zu",
                       out->size2, M0 + 1);
    if (!(sep >= 0))
        return SS_FAIL(SS_ERR_RANGE, "sep must be >= 0");
    double *mu = malloc(C * M0 * sizeof *mu);
    gsl_rng *cr = ss_rng_alloc();
    if (!mu || !cr) {
        free(mu);
        if (cr)
            ss_rng_free(cr);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    int so = model_opt_index(m->type, "seed");
    ss_rng_seed(cr, so >= 0 ? (uint64_t)m->opt[so] : 0, SS_STREAM_LIAO, 1);
    for (size_t i = 0; i < C * M0; i++)
        mu[i] = sep * gsl_ran_gaussian_ziggurat(cr, 1.0);
    ss_rng_free(cr);
    for (size_t i = 0; i < out->size1; i++) {
        size_t c = (size_t)gsl_rng_uniform_int(r, C);
        for (size_t j = 0; j < M0; j++)
            gsl_matrix_set(out, i, j,
                           mu[c * M0 + j] + gsl_ran_gaussian_ziggurat(r, 1.0));
        gsl_matrix_set(out, i, M0, (double)c);
    }
    free(mu);
    return SS_OK;
}

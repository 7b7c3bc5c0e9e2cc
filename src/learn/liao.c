/* Mini-batch measures and the critical learning rate (liao.h). */
#include "learn/liao.h"

#include "fim/spectrum.h"
#include "model/dnn.h"

#include <math.h>
#include <stdlib.h>

static int cmp_desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

ss_status liao_from_gram(gsl_matrix *K, gsl_vector *ev,
                         gsl_eigen_symm_workspace *w, double *sv,
                         size_t *rank, double *c, double *fro)
{
    size_t B = K->size1;
    double tr = 0;
    for (size_t i = 0; i < B; i++)
        tr += gsl_matrix_get(K, i, i);
    *fro = sqrt(tr > 0 ? tr : 0.0);
    ss_status rc = spec_symm_eigen(K, ev, w);
    if (rc != SS_OK)
        return rc;
    for (size_t i = 0; i < B; i++) {
        double l = gsl_vector_get(ev, i);
        sv[i] = l > 0 ? sqrt(l) : 0.0;
    }
    qsort(sv, B, sizeof *sv, cmp_desc);
    size_t r = 0;
    while (r < B && sv[0] > 0 && sv[r] >= LIAO_SV_CUT * sv[0])
        r++;
    for (size_t i = r; i < B; i++) /* below the cut: zero, not noise */
        sv[i] = 0.0;
    *rank = r;
    *c = r ? sv[0] / sv[r - 1] : NAN;
    return SS_OK;
}

double liao_energy(double eta, size_t B, double fro)
{
    return eta / (double)B * fro;
}

ss_status liao_critical(const model *m, const double *theta,
                        const gsl_matrix *data, double *lmax, double *crit)
{
    *lmax = *crit = NAN;
    const dnn_layout *y = dnn_layout_of(m);
    if (!y)
        return SS_FAIL(SS_ERR_USAGE, "the critical rate is computed for "
                                     "dnn students only (%s has no "
                                     "Gauss-Newton dual here)",
                       m->type->name);
    size_t n = data->size1, N = n * y->C;
    if (N > LIAO_CRIT_MAX)
        return SS_FAIL(SS_ERR_LIMIT, "not computed: its dual would be %zu "
                                     "x %zu (n C > %u)",
                       N, N, LIAO_CRIT_MAX);
    gsl_matrix_const_view X = gsl_matrix_const_submatrix(data, 0, 0, n,
                                                         y->M[0]);
    gsl_matrix *K = NULL;
    double scale;
    ss_status rc = dnn_gram_at(m, theta, &X.matrix, &K, &scale);
    if (rc != SS_OK)
        return rc;
    gsl_vector *ev = gsl_vector_alloc(N);
    gsl_eigen_symm_workspace *w = gsl_eigen_symm_alloc(N);
    if (!ev || !w)
        rc = SS_FAIL(SS_ERR_NOMEM, "out of memory");
    if (rc == SS_OK)
        rc = spec_symm_eigen(K, ev, w);
    if (rc == SS_OK) {
        double mx = 0;
        for (size_t i = 0; i < N; i++)
            mx = fmax(mx, gsl_vector_get(ev, i));
        *lmax = mx;
        *crit = mx > 0 ? 2.0 / mx : INFINITY;
    }
    if (ev)
        gsl_vector_free(ev);
    if (w)
        gsl_eigen_symm_free(w);
    gsl_matrix_free(K);
    return rc;
}

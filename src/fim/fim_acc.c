/* The accumulator of score products shared by the Monte-Carlo and
 * empirical estimators. */
#include "fim/fim_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int fim_all_finite(const gsl_matrix *A)
{
    for (size_t i = 0; i < A->size1; i++)
        for (size_t j = 0; j < A->size2; j++)
            if (!isfinite(gsl_matrix_get(A, i, j)))
                return 0;
    return 1;
}

ss_status fim_acc_init(fim_acc *a, size_t k)
{
    a->k = k;
    a->n = 0;
    a->sum = calloc(k * k, sizeof *a->sum);
    a->s2 = calloc(k * k, sizeof *a->s2);
    a->s3 = calloc(k * k, sizeof *a->s3);
    a->s4 = calloc(k * k, sizeof *a->s4);
    if (!a->sum || !a->s2 || !a->s3 || !a->s4)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    return SS_OK;
}

void fim_acc_done(fim_acc *a)
{
    free(a->sum);
    free(a->s2);
    free(a->s3);
    free(a->s4);
}

void fim_acc_add_rows(fim_acc *a, const gsl_matrix *S, const size_t *idx)
{
    for (size_t r = 0; r < S->size1; r++) {
        for (size_t i = 0; i < a->k; i++) {
            double si = gsl_matrix_get(S, r, idx[i]);
            for (size_t j = i; j < a->k; j++) {
                long double v = (long double)si * gsl_matrix_get(S, r, idx[j]);
                long double v2 = v * v;
                a->sum[i * a->k + j] += v;
                a->s2[i * a->k + j] += v2;
                a->s3[i * a->k + j] += v2 * v;
                a->s4[i * a->k + j] += v2 * v2;
            }
        }
    }
    a->n += S->size1;
}

/* Mean, standard error from the per-term variance (the terms i.i.d.) and
 * the kurtosis check, into f. */
ss_status fim_acc_result(const fim_acc *a, fim_result *f)
{
    f->se = gsl_matrix_alloc(a->k, a->k);
    if (!f->se)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    double n = (double)a->n, worst = 0;
    size_t wi = 0, wj = 0;
    for (size_t i = 0; i < a->k; i++)
        for (size_t j = i; j < a->k; j++) {
            size_t e = i * a->k + j;
            long double mean = a->sum[e] / n;
            long double var = a->s2[e] / n - mean * mean;
            if (var < 0)
                var = 0;
            /* undefined from one observation: not available */
            double se = n > 1 ? sqrt((double)var / (n - 1)) : NAN;
            gsl_matrix_set(f->G, i, j, (double)mean);
            gsl_matrix_set(f->G, j, i, (double)mean);
            gsl_matrix_set(f->se, i, j, se);
            gsl_matrix_set(f->se, j, i, se);
            long double m4 = a->s4[e] / n - 4 * mean * a->s3[e] / n +
                             6 * mean * mean * a->s2[e] / n -
                             3 * mean * mean * mean * mean;
            /* a variance at the rounding of the mean: nothing to judge */
            if (!(var > 1e-12L * mean * mean) || !(var > 0))
                continue;
            double kurt = (double)(m4 / (var * var));
            double rel = sqrt(fmax(kurt - 1.0, 0.0) / n);
            if (rel > worst) {
                worst = rel;
                wi = i;
                wj = j;
            }
        }
    f->n = a->n;
    if (worst > FIM_SE_RELERR_MAX)
        snprintf(f->warning, sizeof f->warning,
                 "the standard errors are unreliable: the terms of "
                 "[%s,%s] are heavy-tailed (kurtosis %.3g over %zu "
                 "terms: the standard error is known only to about "
                 "%.0f%%)",
                 f->names[wi], f->names[wj], worst * worst * n + 1.0,
                 a->n, 50.0 * fmin(worst, 99.99));
    return SS_OK;
}


/* The accumulator of score products shared by the Monte-Carlo and
 * empirical estimators. */
#include "fim/fim_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Two doubles operated on element by element (GCC and clang vector
 * extension: IEEE operations lane by lane, so the same bits as scalar
 * code), one register of the baseline x86-64 ISA (SSE2). */
typedef double fim_v2 __attribute__((vector_size(2 * sizeof(double))));

/* Branch-free: 0 * x is 0 for every finite x and NaN for an infinite or
 * NaN one, so the sum is NaN exactly when some entry is not finite (a
 * loop the compiler vectorises; gsl_matrix_get per entry cost as much as
 * a Monte-Carlo draw's scores). */
int fim_all_finite(const gsl_matrix *A)
{
    double z = 0.0;
    if (A->tda == A->size2) { /* contiguous: one loop */
        /* eight independent sums in four SSE2 registers (one sum would
         * wait for the previous addition at every entry); a NaN stays NaN
         * in whichever sum it enters */
        size_t n = A->size1 * A->size2, i = 0;
        const double *a = A->data;
        fim_v2 s0 = {0, 0}, s1 = s0, s2 = s0, s3 = s0;
        for (; i + 8 <= n; i += 8) {
            fim_v2 x0, x1, x2, x3;
            memcpy(&x0, a + i, sizeof x0);
            memcpy(&x1, a + i + 2, sizeof x1);
            memcpy(&x2, a + i + 4, sizeof x2);
            memcpy(&x3, a + i + 6, sizeof x3);
            s0 += 0.0 * x0;
            s1 += 0.0 * x1;
            s2 += 0.0 * x2;
            s3 += 0.0 * x3;
        }
        for (; i < n; i++)
            z += 0.0 * a[i];
        fim_v2 t = (s0 + s1) + (s2 + s3);
        return z == 0.0 && t[0] == 0.0 && t[1] == 0.0;
    }
    for (size_t i = 0; i < A->size1; i++) {
        const double *row = A->data + i * A->tda;
        for (size_t j = 0; j < A->size2; j++)
            z += 0.0 * row[j];
    }
    return z == 0.0;
}

/* Per group of FIM_LANES pairs (pair e = (i <= j) in row order; the last
 * group padded with copies of pair 0 whose sums are dropped), one pass
 * over the rows with the group's four power sums in vector registers.
 * Each pair's sums still add its terms one at a time in row order, as the
 * plain loop of fim_mc_power_sums_plain does: the same bits, in a
 * fraction of the instructions. */
void fim_mc_power_sums(const gsl_matrix *S, const size_t *idx, size_t k,
                       double *acc)
{
    size_t np = k * (k + 1) / 2, ng = (np + FIM_LANES - 1) / FIM_LANES;
    size_t pi = 0, pj = 0; /* the next pair */
    for (size_t g = 0; g < ng; g++) {
        size_t ci[FIM_LANES], cj[FIM_LANES];
        size_t nl = np - g * FIM_LANES < FIM_LANES ? np - g * FIM_LANES
                                                   : FIM_LANES;
        for (size_t l = 0; l < FIM_LANES; l++) {
            if (l < nl) {
                ci[l] = idx[pi];
                cj[l] = idx[pj];
                if (++pj == k)
                    pj = ++pi;
            } else {
                ci[l] = cj[l] = idx[0];
            }
        }
        /* two halves of FIM_LANES / 2: registers of the baseline ISA
         * (SSE2), where a wider generic vector would be spilt */
        fim_v2 a1 = {0, 0}, a2 = a1, a3 = a1, a4 = a1, b1 = a1, b2 = a1,
               b3 = a1, b4 = a1;
        const double *row = S->data;
        for (size_t t = 0; t < S->size1; t++, row += S->tda) {
            fim_v2 x = {row[ci[0]], row[ci[1]]}, y = {row[cj[0]], row[cj[1]]};
            fim_v2 z = {row[ci[2]], row[ci[3]]}, w = {row[cj[2]], row[cj[3]]};
            fim_v2 u = x * y, v = z * w, u2 = u * u, v2 = v * v;
            a1 += u;
            b1 += v;
            a2 += u2;
            b2 += v2;
            a3 += u2 * u;
            b3 += v2 * v;
            a4 += u2 * u2;
            b4 += v2 * v2;
        }
        double tmp[4][FIM_LANES];
        memcpy(tmp[0], &a1, sizeof a1);
        memcpy(tmp[0] + 2, &b1, sizeof b1);
        memcpy(tmp[1], &a2, sizeof a2);
        memcpy(tmp[1] + 2, &b2, sizeof b2);
        memcpy(tmp[2], &a3, sizeof a3);
        memcpy(tmp[2] + 2, &b3, sizeof b3);
        memcpy(tmp[3], &a4, sizeof a4);
        memcpy(tmp[3] + 2, &b4, sizeof b4);
        for (size_t l = 0; l < nl; l++)
            for (size_t q = 0; q < 4; q++)
                acc[4 * (g * FIM_LANES + l) + q] = tmp[q][l];
    }
}

void fim_mc_power_sums_plain(const gsl_matrix *S, const size_t *idx,
                             size_t k, double *acc)
{
    size_t np = k * (k + 1) / 2;
    for (size_t e = 0; e < 4 * np; e++)
        acc[e] = 0.0;
    for (size_t t = 0; t < S->size1; t++) {
        const double *srow = S->data + t * S->tda;
        size_t e = 0;
        for (size_t i = 0; i < k; i++) {
            double a = srow[idx[i]];
            for (size_t j = i; j < k; j++, e++) {
                double v = a * srow[idx[j]], v2 = v * v;
                acc[4 * e] += v;
                acc[4 * e + 1] += v2;
                acc[4 * e + 2] += v2 * v;
                acc[4 * e + 3] += v2 * v2;
            }
        }
    }
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


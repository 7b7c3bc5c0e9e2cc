/* Inside the estimators: what exact, Monte-Carlo and data-based
 * estimators share. Not for use outside src/fim/. */
#ifndef SS_FIM_INT_H
#define SS_FIM_INT_H

#include "fim/estimator.h"

int fim_all_finite(const gsl_matrix *A);

/* The power sums of one Monte-Carlo chunk: for the n x P scores S and the
 * k free columns idx, acc[4 e + q] = sum_t y_t^(q+1) with y_t the product
 * s_i s_j of pair e (pairs i <= j in row order), each sum added in double
 * one term at a time in row order. fim_mc_power_sums keeps FIM_LANES
 * pairs' sums in vector registers; fim_mc_power_sums_plain is the
 * per-draw loop it must equal bit for bit (the same additions in the same
 * order). */
#define FIM_LANES 4
void fim_mc_power_sums(const gsl_matrix *S, const size_t *idx, size_t k,
                       double *acc);
void fim_mc_power_sums_plain(const gsl_matrix *S, const size_t *idx,
                             size_t k, double *acc);

/* Running power sums of the products y = s_i s_j over free indices (up
 * to y^4, for the kurtosis that says whether the variance of y, hence the
 * standard error, is itself estimated well), in long double so millions
 * of terms add without visible rounding. */
typedef struct {
    size_t k, n;
    long double *sum, *s2, *s3, *s4;
} fim_acc;

ss_status fim_acc_init(fim_acc *a, size_t k);
void fim_acc_done(fim_acc *a);
void fim_acc_add_rows(fim_acc *a, const gsl_matrix *S, const size_t *idx);
/* Mean, standard error from the per-term variance (the terms i.i.d.) and
 * the kurtosis check, into f. */
ss_status fim_acc_result(const fim_acc *a, fim_result *f);

/* The relative error of the sample variance of n i.i.d. terms is
 * sqrt((kurtosis - 1) / n), half that of the standard error; beyond this
 * (a standard error known to worse than 25%) it is not to be trusted: a
 * few huge terms carry the variance (heavy-tailed scores). The same rule
 * judges the spread of the independent series means of a series family. */
#define FIM_SE_RELERR_MAX 0.5

extern const fim_estimator fim_est_exact, fim_est_mc, fim_est_empirical,
    fim_est_observed, fim_est_block;

#endif

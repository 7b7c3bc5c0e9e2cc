/* Limit laws of the likelihood-ratio statistic at a singular truth
 * (docs/theory.md, "Likelihood-ratio limit laws"): 2LLR converges in
 * distribution to the supremum over an index set of a squared Gaussian
 * process Z with unit variance and a known correlation, (positive part
 * when the free weight is one-sided). Offered for
 *
 *   gmm   Hartigan's form: null N(w1, s^2) with nothing free, alternative
 *         (1 - v) N(w1, s^2) + v N(w2, s^2) with v, w2 free (v >= 0), w1
 *         fixed and w2 in a bounded range [lo, hi]; index t = (w2 - w1)/s
 *         over [lo - w1, hi - w1]/s, correlation
 *         expm1(t u) / sqrt(expm1(t^2) expm1(u^2)), limit
 *         sup_t max(Z(t), 0)^2;
 *   arma  white noise (an ARMA(1,1) point with ar1 = -ma1, nothing free)
 *         against ARMA(1,1) with ar1, ma1 free and ma1 in a bounded range
 *         [lo, hi] inside (-1, 1); index a = atanh(ar1) over
 *         atanh([max(-hi, ar lo), min(-lo, ar hi)]), correlation
 *         1 / cosh(a - b), limit sup_a Z(a)^2.
 *
 * The process is simulated on a grid (LIMIT_GRID points) through a
 * Cholesky factor of its correlation matrix (GSL), with a diagonal jitter
 * added only as far as the factorisation needs and reported; simulation j
 * draws its normals from the stream (seed, SS_STREAM_LIMIT, j), so the
 * draws do not depend on how many are made or on the data's stream. */
#ifndef SS_INFER_LIMITLAW_H
#define SS_INFER_LIMITLAW_H

#include "core/status.h"
#include "model/model.h"

#include <stddef.h>
#include <stdint.h>

/* Grid points over the index range. The grid's sup underestimates the
 * continuum's by O(spacing^2) for these smooth processes (docs/theory.md);
 * the size of that error has not been measured yet. */
#define LIMIT_GRID 100
/* The largest diagonal jitter tried (relative to the unit variance). */
#define LIMIT_JITTER_MAX 1e-6

typedef enum { LIMIT_NONE = 0, LIMIT_GMM, LIMIT_ARMA } limit_kind;

typedef struct {
    limit_kind kind;
    double lo, hi;  /* the index range */
    int positive;   /* sup of max(Z, 0)^2 (a one-sided weight), else of Z^2 */
    size_t grid;    /* points */
    char what[240]; /* the law in words */
    char why[240];  /* kind NONE: why theory gives none here */
} limit_law;

/* Which law applies to data from truth, null nested in alt (already
 * checked by the caller); kind NONE with the reason otherwise. Never
 * fails. */
void limit_identify(const model *truth, const model *null, const model *alt,
                    limit_law *L);
/* Grid point i (i < L->grid) and the correlation of Z at two indices. */
double limit_point(const limit_law *L, size_t i);
double limit_corr(const limit_law *L, double s, double t);
/* sims draws of the limit (unsorted, simulation j in out[j]); the jitter
 * used (0 when none was needed) in *jitter. */
ss_status limit_simulate(const limit_law *L, uint64_t seed, size_t sims,
                         double *out, double *jitter);

#endif

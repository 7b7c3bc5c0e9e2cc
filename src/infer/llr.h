/* The likelihood-ratio experiment (`llr`): the Monte-Carlo distribution of
 * 2LLR = 2 (l1 - l0), the maximised log-likelihoods of a null model M0
 * nested in an alternative M1, over replicates of n observations drawn
 * from a truth T (docs/theory.md, "Likelihood-ratio limit laws").
 *
 * Nested: M0 and M1 are the same family with the same structural options;
 * every parameter free in M0 is free in M1 with M0's range inside M1's;
 * every parameter fixed in M0 but free in M1 is fixed at a value inside
 * M1's range; parameters fixed in both have the same value; M1 has k >= 1
 * more free parameters. Then l1 >= l0 and, at a regular truth in M0,
 * 2LLR -> chi^2_k.
 *
 * Replicate r (an absolute index, 0 <= r < reps) draws its data from T at
 * its point with the stream (seed, SS_STREAM_LLR, r) and fits M0 and M1
 * from deterministic starts (llr.c), so its row depends only on the spec
 * and r: a slice first .. first + count - 1 of the replicates run anywhere
 * gives those rows of the whole run. The result is a pure function of the
 * spec, the three models and the rows (llr_result_build): summaries, the
 * Kolmogorov distances and the limit-law simulation are recomputed from
 * them. */
#ifndef SS_INFER_LLR_H
#define SS_INFER_LLR_H

#include "core/expinfo.h"
#include "core/iter.h"
#include "core/reptable.h"
#include "core/status.h"
#include "infer/limitlaw.h"
#include "model/model.h"

#include <stddef.h>
#include <stdint.h>

#define LLR_REPS_MAX 1000000     /* replicates (rows held in memory) */
#define LLR_STARTS_DEFAULT 4     /* starts per fit (llr.c: which) */
#define LLR_STARTS_MAX 1000
#define LLR_SIMS_DEFAULT 20000   /* draws of the limit law */
#define LLR_SIMS_MAX 10000000
#define LLR_MAXITER 1000         /* iterations per start */
/* The most memory one worker's data set may take (n x columns doubles). */
#define LLR_MAX_BYTES ((size_t)256 << 20)

typedef struct {
    size_t n;        /* observations per replicate (>= 2) */
    size_t reps;     /* replicates of the whole experiment */
    size_t first;    /* the slice run: replicates first .. first+count-1 */
    size_t count;    /* 0: reps - first */
    uint64_t seed;
    unsigned threads; /* 0: the default; numbers do not depend on it */
    size_t starts;   /* 0: LLR_STARTS_DEFAULT */
    size_t sims;     /* draws of the limit law; 0: none (SIZE_MAX: default) */
} llr_spec;

/* The columns of a row: 2LLR, l0, l1, whether each fit's best start
 * converged (1/0), its iterations, whether the replicate failed (no start
 * of a fit reached a finite optimum: 2LLR is NaN), then M1's estimate of
 * each of its free parameters ("hat_NAME"). */
enum {
    LLR_COL_STAT, LLR_COL_L0, LLR_COL_L1, LLR_COL_CONV0, LLR_COL_CONV1,
    LLR_COL_ITER0, LLR_COL_ITER1, LLR_COL_FAIL, LLR_COL_HAT
};

typedef struct {
    llr_spec sp;               /* first and count resolved, starts, sims */
    char truth[RT_NAME_MAX], null[RT_NAME_MAX], alt[RT_NAME_MAX]; /* names
                                  (the caller sets) */
    char kind[RT_NAME_MAX];    /* the family */
    size_t k0, k1, k;          /* free parameters of M0, M1; k = k1 - k0 */
    char fit0[48], fit1[48];   /* how each model is fitted ("em, 4 starts") */
    size_t ncols;
    char (*colnames)[RT_NAME_MAX];
    double *rows;              /* count x ncols, row-major */
    size_t ndone;              /* rows 0 .. ndone-1 filled */
    int interrupted;           /* fewer than count replicates finished */
    /* summaries over the finite 2LLR of the rows done */
    rt_summary s;
    double q90, q99;
    double crit;               /* the chi^2_k 95% point */
    double reject, reject_se;  /* the rate 2LLR > crit and its binomial SE */
    double ks_chi2, ks_chi2_p; /* Kolmogorov distance to chi^2_k, p-value */
    size_t nonconv0, nonconv1, failed; /* replicates whose M0/M1 fit did not
                                          converge / that failed */
    /* the limit law (law.kind NONE: theory gives none here, law.why) */
    limit_law law;
    double *sims;              /* nsims draws, sorted */
    size_t nsims;
    double jitter;
    double lim_mean, lim_q95;
    double ks_limit, ks_limit_p; /* two-sample Kolmogorov distance to sims */
    double reject_limit;       /* the rate 2LLR > the limit's 95% point */
    exp_origin exp;            /* the experiment, set by the command (shards) */
} llr_result;

/* Check the experiment (nesting, the truth's data, n, reps, the slice,
 * starts, sims, a fitting route for each model); k = k1 - k0 into *k. */
ss_status llr_check(const model *truth, const model *null, const model *alt,
                    const llr_spec *sp, size_t *k);

/* The result of spec and models from count rows (the replicates first ..
 * first + count - 1, each ncols values as the runner writes them): every
 * summary, both Kolmogorov distances and the limit-law simulation are
 * computed here, so equal inputs give equal bits. */
ss_status llr_result_build(const llr_spec *sp, const model *truth,
                           const model *null, const model *alt,
                           const double *rows, size_t first, size_t count,
                           llr_result **out);
void llr_result_free(llr_result *r);
/* The number of columns for alt. */
size_t llr_ncols(const model *alt);

/* One replicate's row, as the runner computes it (for tests and merges):
 * row has llr_ncols(alt) entries. */
ss_status llr_row(const model *truth, const model *null, const model *alt,
                  const llr_spec *sp, size_t r, double *row);

/* The experiment as an iteration on the replicate runner. */
typedef struct llr_iter llr_iter;
ss_status llr_iter_alloc(const model *truth, const model *null,
                         const model *alt, const llr_spec *sp,
                         llr_iter **out);
ss_status llr_iter_iterate(llr_iter *it);
int llr_iter_test(const llr_iter *it);
/* The result so far (rows finished in order from the first; summaries are
 * those of the alloc until take). */
const llr_result *llr_iter_result(const llr_iter *it);
/* Join the workers, summarise and hand the result over (interrupted:
 * fewer rows, said so; none finished is an error). */
ss_status llr_iter_take(llr_iter *it, int interrupted, llr_result **out);
void llr_iter_free(llr_iter *it);
extern const ss_iter_type llr_iter_type; /* state: llr_iter */

/* The Kolmogorov distribution's upper tail P(K > lambda). */
double llr_kolmogorov_q(double lambda);

#endif

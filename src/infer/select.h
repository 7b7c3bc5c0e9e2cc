/* Model selection experiments (`select`): how often AIC, BIC and MDL pick
 * each of several models as the sample size grows, and the penalty that
 * would have been right (docs/theory.md, "Model selection experiments").
 *
 * The replicates are the pairs (n_j, rep) for j < nn and rep < reps, in
 * the absolute order r = rep * nn + j (every size once before the next
 * replicate of any, so a run stopped early keeps about as many replicates
 * of each size). Replicate r draws its data (n_j observations from the
 * truth) from the random stream (seed, SS_STREAM_SELECT, r) and an
 * independent test sample of the same size from (seed, SS_STREAM_SELECT_TEST,
 * r), fits every model by fit_run (its random starts from the seed
 * ss_rng_derive(seed, SS_STREAM_SELECT, r)) and records, per model, the
 * maximised log-likelihood, the log-likelihood of the estimate on the test
 * sample and whether the fit converged, plus the truth's log-likelihood on
 * both samples. A row depends only on the spec and r: a slice
 * first .. first + count - 1 of the replicates can be run on its own and
 * the rows of slices put together give the rows of the whole run.
 *
 * Everything reported is a pure function of the spec, the models and the
 * rows (select_result_build). */
#ifndef SS_INFER_SELECT_H
#define SS_INFER_SELECT_H

#include "core/expinfo.h"
#include "core/iter.h"
#include "core/status.h"
#include "model/model.h"

#include <stddef.h>
#include <stdint.h>

/* Limits (documented in `help select`). */
#define SELECT_MODELS_MAX 16
#define SELECT_SIZES_MAX 32
#define SELECT_REPS_MAX 100000       /* replicates per sample size */
#define SELECT_TOTAL_MAX 1000000     /* replicates over all sizes */
#define SELECT_STARTS_DEFAULT 4
/* The most memory one worker's two samples may take. */
#define SELECT_MAX_BYTES ((size_t)256 << 20)

typedef enum { SELECT_AIC, SELECT_BIC, SELECT_MDL, SELECT_NCRIT } select_crit;

/* "aic", "bic", "mdl"; NULL past the end. */
const char *select_crit_name(size_t i);
/* The criterion named (case as written), or -1. */
int select_crit_find(const char *name);

typedef struct {
    size_t n[SELECT_SIZES_MAX]; /* sample sizes, increasing, each >= 2 */
    size_t nn;
    size_t reps;                /* replicates per size */
    int crit[SELECT_NCRIT];     /* the criteria reported, in order */
    size_t ncrit;               /* 0: all three */
    uint64_t seed;
    size_t starts;              /* fit starts per model; 0: the default */
    unsigned threads;           /* 0: the default; numbers do not depend on it */
    size_t first, count;        /* the replicates run: first .. first+count-1
                                   (count 0: from first to the end) */
} select_spec;

/* Columns of a row: the truth's log-likelihood on the data and on the test
 * sample, then for model m (0-based) its maximised log-likelihood, that of
 * the estimate on the test sample, and 1 (converged), 0 (the best start
 * stopped at maxiter) or -1 (no start reached an optimum: both
 * log-likelihoods NaN). */
#define SELECT_COL_TRUTH_TRAIN 0
#define SELECT_COL_TRUTH_TEST 1
#define SELECT_COL_LL(m) (2 + 3 * (m))
#define SELECT_COL_LLTEST(m) (3 + 3 * (m))
#define SELECT_COL_CONV(m) (4 + 3 * (m))
#define SELECT_NCOLS(M) (2 + 3 * (M))

typedef struct {
    select_spec sp;           /* as run (ncrit and count filled in) */
    size_t M;                 /* models */
    char (*names)[64];        /* M */
    char (*kinds)[MODEL_NAME_MAX];
    size_t *k;                /* M: free parameters */
    char truth[64], truth_kind[MODEL_NAME_MAX];
    size_t ncols;             /* SELECT_NCOLS(M) */
    size_t first, ndone;      /* rows of replicates first .. first+ndone-1 */
    size_t nasked;            /* replicates asked for (sp.count) */
    int interrupted;
    double *rows;             /* ndone x ncols */
    /* per size j (nn), model m (M), criterion c (ncrit): */
    size_t *reps_at;          /* [j]: replicates of size n_j among the rows */
    double *freq, *freq_se;   /* [(j*M + m)*ncrit + c]: the share of the
                                 replicates in which c picks m, its binomial
                                 SE sqrt(p(1-p)/R) */
    size_t *nochoice;         /* [j*ncrit + c]: no model could be compared */
    size_t *nonconv, *failed; /* [j*M + m]: fits stopped at maxiter / with
                                 no optimum */
    double *opt, *opt_se;     /* [j*M + m]: the optimism estimate and its SE */
    size_t *opt_count;        /* [j*M + m]: replicates in it */
    exp_origin exp;           /* the experiment, set by the command (shards) */
} select_result;

/* The criterion's value (smaller is better) for log-likelihood ll, k free
 * parameters and n observations (likelihood terms). */
double select_crit_value(int crit, double ll, size_t k, size_t n);
/* The absolute replicate index's size index and replicate within it. */
static inline size_t select_rep_size(const select_spec *sp, size_t r)
{
    return r % sp->nn;
}
static inline size_t select_rep_within(const select_spec *sp, size_t r)
{
    return r / sp->nn;
}

/* The result from the rows of replicates first .. first + ndone - 1
 * (ndone x SELECT_NCOLS(M), copied); truth and names label it. Which model
 * each criterion picks in a replicate: the smallest value, the first in
 * models= on a tie, among the models whose fit reached an optimum. */
ss_status select_result_build(const select_spec *sp, const model *truth,
                              const char *truth_name,
                              const model *const *models,
                              const char *const *names, size_t M,
                              const double *rows, size_t first, size_t ndone,
                              select_result **out);
void select_result_free(select_result *r);
/* The model each criterion picks in row i of the result (-1: none). */
int select_result_choice(const select_result *r, size_t i, int crit);
/* The optimism of model m in row i: 2[(l_m - l_T) + (l_T' - l_m')] (NaN
 * when its fit failed). */
double select_result_optimism(const select_result *r, size_t i, size_t m);

/* The checks select_iter_alloc makes (below), and the spec as run: all
 * three criteria for ncrit 0, count to the end for count 0. */
ss_status select_check(const model *truth, const char *truth_name,
                       const model *const *models, const char *const *names,
                       size_t M, const select_spec *sp, select_spec *norm);

/* Check everything (at least 2 models, distinct names, data of the truth's
 * kind for every model, a fit route for each, the sizes, the replicate
 * caps, memory) and start the workers. The models and the truth must stay
 * alive and unchanged until the iteration is freed. */
typedef struct select_iter select_iter;
ss_status select_iter_alloc(const model *truth, const char *truth_name,
                            const model *const *models,
                            const char *const *names, size_t M,
                            const select_spec *sp, select_iter **out);
ss_status select_iter_iterate(select_iter *it);
int select_iter_test(const select_iter *it);
/* The result so far (the rows finished in order from the first). */
const select_result *select_iter_result(const select_iter *it);
/* Join the workers and hand the result over (interrupted: fewer rows;
 * none finished is an error). */
ss_status select_iter_take(select_iter *it, int interrupted,
                           select_result **out);
void select_iter_free(select_iter *it);
extern const ss_iter_type select_iter_type; /* state: select_iter */

#endif

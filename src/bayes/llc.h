/* The local learning coefficient (`rlct MODEL truth=T method=llc`):
 * lambda estimated by stochastic-gradient Langevin dynamics localised at
 * the true parameter w* (Lau, Furman, Wang, Murfet & Wei 2023, "The local
 * learning coefficient: a singularity-aware complexity measure"),
 * docs/theory.md 11, "The local learning coefficient".
 *
 * A data set of n observations (drawn from the truth on the stream
 * (seed, SS_STREAM_LLC, 0), or given) defines L_n(w) = -(1/n) sum_i log
 * p(x_i | w). The localised tempered posterior over the free parameters
 *
 *     p(w) ∝ exp(-n beta L_n(w) - (gamma/2) |w - w*|^2),  beta = 1/log n
 *
 * is sampled by C chains of SGLD started at w*,
 *
 *     w <- w + (eps/2) [ (n beta / B) sum_{i in batch} grad log p(x_i|w)
 *                        - gamma (w - w*) ] + N(0, eps I),
 *
 * with the families' analytic scores (a batch of B rows drawn without
 * replacement each step; B = n is full-batch Langevin). Chain c uses the
 * stream (seed, SS_STREAM_LLC, c + 1) on the replicate runner, so every
 * number is the same on any thread count. A step leaving a box bound is
 * reflected at it; one still outside (a jump past the whole range), outside
 * the family's check() or with a non-finite likelihood is refused (the
 * chain stays). Both are counted.
 *
 * After `burnin` steps, every one of `steps` steps records the full-data
 * loss at the chain's state, and
 *
 *     lambda-hat = n beta (E_w[L_n(w)] - L_n(w*)),
 *
 * the mean over all recorded steps of all chains, with a Monte-Carlo error
 * by batch means (LLC_BATCHES consecutive batches a chain). */
#ifndef SS_BAYES_LLC_H
#define SS_BAYES_LLC_H

#include "core/iter.h"
#include "core/status.h"
#include "model/model.h"

#include <gsl/gsl_matrix.h>
#include <stddef.h>
#include <stdint.h>

#define LLC_N_DEFAULT 1000
#define LLC_N_MAX 10000000
#define LLC_CHAINS_DEFAULT 4
#define LLC_CHAINS_MAX 256
#define LLC_STEPS_DEFAULT 10000
#define LLC_STEPS_MIN 100
#define LLC_STEPS_MAX 100000000
#define LLC_BURNIN_DEFAULT 2000
#define LLC_BURNIN_MAX 100000000
#define LLC_EPS_DEFAULT 5e-4
#define LLC_GAMMA_DEFAULT 1.0
#define LLC_BATCHES 10     /* batches a chain for the Monte-Carlo error */
#define LLC_TRACE 200      /* points of the stored loss trace a chain */
#define LLC_WARN_SPREAD 3.0  /* chain means' SD over the batch-means SE */
#define LLC_WARN_DRIFT 4.0   /* |z| of the second half against the first */
#define LLC_WARN_REFUSED 0.01 /* share of refused steps */

typedef struct {
    size_t n;             /* observations to draw (data == NULL) */
    const gsl_matrix *data; /* the data set, or NULL: draw n from the truth */
    double beta;          /* > 0; 0: 1 / log n */
    double eps;           /* the step, > 0 */
    double gamma;         /* the localisation, >= 0 */
    size_t steps;         /* recorded steps a chain */
    size_t burnin;        /* steps before, not recorded */
    size_t chains;
    size_t batch;         /* minibatch rows; 0: n (full batch) */
    int at_min;           /* centre at the data's minimiser of the
                           * localised loss near w* instead of w* */
    uint64_t seed;
    unsigned threads;     /* 0: the default */
    /* a shard (lang/shard.h): chains first .. first + count - 1 (count
     * 0: all) */
    size_t first, count;
} llc_spec;

typedef struct llc_result_s {
    char model[64], truth[64], data[64], kind[32]; /* names (caller sets) */
    llc_spec sp;          /* as run (data NULL, beta and batch resolved) */
    size_t k;             /* free parameters */
    size_t n;             /* likelihood terms */
    int drawn;            /* the data were drawn from the truth */
    double nbeta;         /* n beta */
    double Lstar;         /* L_n(w*), or L_n(w-hat) with at_min */
    double Ltruth;        /* L_n at the truth's point */
    double moved;         /* with at_min: |w-hat - w*| */
    size_t nchains;       /* chains kept (all unless interrupted) */
    int interrupted;
    double lambda, se;    /* the estimate and its batch-means error */
    double *cmean, *cse;  /* per chain: mean and batch-means error */
    double *bmean;        /* nchains x LLC_BATCHES batch means */
    /* per chain the loss n beta (L_n(w_t) - L_n(w*)) averaged over blocks
     * of trace_every recorded steps: nchains x ntrace */
    double *trace;
    size_t ntrace, trace_every;
    double first, second, drift_z; /* halves' means and the z between */
    double spread;        /* SD of the chain means over their expected SD */
    double reflected, refused; /* events over all chains' steps */
    double Lmin;          /* the smallest n beta (L_n(w_t) - L_n(w*)) seen */
    /* what theory says (rlct_known); NAN: nothing known */
    double known, m_known;
    char known_what[96];
    char warn[1024];      /* what failed, or "" */
} llc_result;

/* Checks everything (the truth of the same family and layout, realised by
 * the model at the truth's values with its fixed parameters held, the
 * options in range, the data's columns), draws the data when none is
 * given, and starts the chains. */
typedef struct llc_iter llc_iter;
ss_status llc_iter_alloc(const model *m, const model *truth,
                         const llc_spec *sp, llc_iter **out);
ss_status llc_iter_iterate(llc_iter *it);
int llc_iter_test(const llc_iter *it);
/* The result from the chains finished in order from the first (all of
 * them unless interrupted; none is an error). */
ss_status llc_iter_take(llc_iter *it, int interrupted, llc_result **out);
void llc_iter_free(llc_iter *it);
extern const ss_iter_type llc_iter_type;
/* A shard's raw rows: the chains finished from the slice's first, *n rows
 * of llc_row_len(it) values. */
ss_status llc_iter_take_rows(llc_iter *it, int interrupted, double **rows,
                             size_t *n);
size_t llc_row_len(const llc_iter *it);
/* The estimate from every chain's raw row (ncols values each, checked):
 * what a run of all the chains gives. */
ss_status llc_result_from_rows(const model *m, const model *t,
                               const llc_spec *sp, const double *rows,
                               size_t ncols, llc_result **out);

/* Run to the end (tests). */
ss_status llc_run(const model *m, const model *truth, const llc_spec *sp,
                  llc_result **out);
void llc_result_free(llc_result *r);

#endif

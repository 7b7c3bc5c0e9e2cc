/* The learning coefficient by WBIC over a ladder of sample sizes (`rlct
 * MODEL truth=T method=wbic`), docs/theory.md 11, "The learning
 * coefficient by WBIC over n".
 *
 * For n_1 < ... < n_J and R replicates per n, run (j, r) = run q = j R + r
 * draws a data set of n_j observations from the truth T on the stream
 * (seed, SS_STREAM_RLCT_WBIC, q), and samples the tempered posterior at
 * b1 = 1/log n and b2 = 2/log n (post_rungs_alloc: C chains each, seed
 * ss_rng_derive(seed, SS_STREAM_RLCT_WBIC, 2^32 + q)). With
 * nL_n(w0) = -sum_i log p(x_i | T) (known),
 *
 *     y = WBIC_n - n L_n(w0) = lambda log n - (m-1) log log n + O_p(sqrt(log n))
 *
 * and lambda-hat is the least-squares slope of y against log n over every
 * run, its standard error sqrt(s^2 / Sxx) from the residual scatter
 * (s^2 = RSS / (N - 2)); where m > 1 is known, also the slope of
 * y + (m-1) log log n. Per run, the two-temperature estimate
 * (E^b1 - E^b2) / (1/b1 - 1/b2) = 2 (E^b1 - E^b2) / log n; per n their mean
 * over the replicates, with the SD over sqrt(R) as error (R >= 2) or the
 * run's Monte-Carlo error (R = 1).
 *
 * The runs go one after another (each is parallel over its chains on the
 * replicate runner), so the numbers are the same on any thread count;
 * Ctrl-C keeps the n points whose R runs all finished. */
#ifndef SS_BAYES_RLCT_WBIC_H
#define SS_BAYES_RLCT_WBIC_H

#include "bayes/posterior.h"
#include "bayes/rlct.h"
#include "core/iter.h"
#include "core/status.h"
#include "model/model.h"

#include <stddef.h>
#include <stdint.h>

#define RLCTW_NMIN_DEFAULT 100
#define RLCTW_NMAX_DEFAULT 3000
#define RLCTW_POINTS_DEFAULT 10
#define RLCTW_POINTS_MAX 100
#define RLCTW_N_MIN 10      /* 2 / log n <= 1 needs n >= e^2 */
#define RLCTW_N_MAX 10000000
#define RLCTW_REPS_DEFAULT 2
#define RLCTW_REPS_MAX 10000
#define RLCTW_SAMPLES_DEFAULT 1000
#define RLCTW_BURNIN_DEFAULT 500

typedef struct {
    size_t J;              /* sample sizes */
    size_t *ns;            /* J, increasing */
    size_t reps;           /* R */
    size_t samples, chains, burnin;
    post_sampler sampler;
    uint64_t seed;
    unsigned threads;
    /* a shard (lang/shard.h): runs first .. first + count - 1 of the
     * J R (count 0: all) */
    size_t first, count;
} rlctw_spec;

/* The method-specific part of an rlct_result (r->wbic). */
typedef struct rlct_wbic_data {
    rlctw_spec sp;         /* sp.ns owned */
    size_t runs_done;      /* runs kept (Jdone R) */
    size_t Jdone;          /* n points with all R runs */
    /* per run q = j R + r (runs_done of them) */
    double *wbic, *wbic_se, *nl0, *y, *lam2, *lam2_se;
    /* per n point (Jdone) */
    double *lamn, *lamn_se;
    /* the two-temperature estimate over all runs: mean and its SE */
    double lam2_all, lam2_all_se;
    /* the fit's residual SD */
    double resid_sd;
    char warn[1024];
} rlct_wbic_data;

/* Sample sizes: J log-spaced, rounded, from nmin to nmax (distinct);
 * fails when rounding leaves fewer than 3 distinct sizes. ns has room for
 * J. */
ss_status rlctw_ladder(size_t nmin, size_t nmax, size_t J, size_t *ns,
                       size_t *got);

typedef struct rlctw_iter rlctw_iter;
/* Checks (a proper prior on every free parameter covering the truth, the
 * truth of the same data kind, the ladder: >= 3 increasing sizes >=
 * RLCTW_N_MIN) and makes the iteration; sp->ns is copied. */
ss_status rlctw_iter_alloc(const model *m, const model *truth,
                           const rlctw_spec *sp, rlctw_iter **out);
ss_status rlctw_iter_iterate(rlctw_iter *it);
int rlctw_iter_test(const rlctw_iter *it);
/* The result from the n points finished (all unless interrupted); at
 * least 3 n points are needed. */
ss_status rlctw_iter_take(rlctw_iter *it, int interrupted,
                          rlct_result **out);
void rlctw_iter_free(rlctw_iter *it);
extern const ss_iter_type rlctw_iter_type;
/* The runs (the experiment's replicates, J R) and a run's raw row. */
size_t rlctw_runs(const rlctw_spec *sp);
size_t rlctw_row_len(void);
/* A shard's raw rows: the runs finished from the slice's first. */
ss_status rlctw_iter_take_rows(rlctw_iter *it, int interrupted,
                               double **rows, size_t *n);
/* The estimate from every run's raw row: what a run of all gives. */
ss_status rlctw_result_from_rows(const model *m, const model *t,
                                 const rlctw_spec *sp, const double *rows,
                                 rlct_result **out);

ss_status rlctw_run(const model *m, const model *truth,
                    const rlctw_spec *sp, rlct_result **out);
void rlct_wbic_data_free(rlct_wbic_data *d);

#endif

/* The tempered posterior of a model given a data set (`posterior`):
 *
 *     pi_beta(w) ∝ prior(w) × exp(beta × l_n(w)),   l_n = Σ_i log p(x_i|w),
 *
 * over the model's free parameters (the fixed ones held), sampled by C
 * Markov chains (docs/theory.md, "Bayesian learning"). Chain c runs on the
 * replicate runner with its own stream (seed, SS_STREAM_POSTERIOR, c), so
 * every number is the same on any thread count. Each chain starts at the
 * model's point, spends `burnin` steps adapting its proposal (Haario's
 * covariance of the burn-in draws and a Robbins-Monro step scale toward a
 * target acceptance: 0.234 for random-walk Metropolis, 0.574 for MALA),
 * then keeps the proposal fixed and records `samples` draws, so the
 * recorded chain is a time-homogeneous Markov chain with pi_beta
 * invariant.
 *
 * Per draw the parameters and l_n(w) are stored. The per-observation
 * log-likelihoods are not (n × draws); what WAIC needs is accumulated per
 * observation online, in B = POST_BATCHES batches of each chain: the
 * log-sum-exp of log p(x_i|w) and the mean and sum of squared deviations
 * of log p(x_i|w) (Welford's update; a state repeated k times by rejected
 * proposals enters once with weight k), and for importance-sampling
 * leave-one-out the log-sum-exp of -log p(x_i|w) (relative to its largest
 * single term, which also gives the largest importance weight's share).
 * Memory: n × chains × B × 6 doubles besides the draws.
 *
 * Several temperatures at once (post_rungs_alloc: the β ladder of
 * bayes/ladder.h): rung j's chain c is replicate j C + c on one replicate
 * job, with the stream (seed, SS_STREAM_POSTERIOR, (j + 1) 2^32 + c), so
 * it never meets a `posterior` chain's stream (substream c < 2^32); β = 0
 * (the prior) is allowed there, and no per-observation sums are kept.
 *
 * Parallel tempering (temps = K > 1, `posterior` only): each chain holds K
 * replicas on the geometric ladder beta_r = beta (beta_min/beta)^(r/(K-1)),
 * each with its own adaptive proposal; after each sweep the adjacent pairs
 * (r, r+1) with r = t mod 2, t mod 2 + 2, ... exchange states with
 * probability min(1, exp((beta_r - beta_r+1)(l_n(w_r+1) - l_n(w_r)))),
 * from the chain's stream. Only replica 0 (beta) is recorded. */
#ifndef SS_BAYES_POSTERIOR_H
#define SS_BAYES_POSTERIOR_H

#include "core/iter.h"
#include "core/status.h"
#include "model/model.h"

#include <gsl/gsl_matrix.h>
#include <stddef.h>
#include <stdint.h>

#define POST_SAMPLES_DEFAULT 2000
#define POST_SAMPLES_MIN 100     /* per chain: for split R-hat and ESS */
#define POST_SAMPLES_MAX 100000000
#define POST_CHAINS_DEFAULT 4
#define POST_CHAINS_MAX 256
#define POST_BURNIN_DEFAULT 1000
#define POST_BURNIN_MAX 100000000
#define POST_BATCHES 10          /* batches per chain for Monte-Carlo errors */
#define POST_MAX_BYTES ((size_t)1 << 30) /* draws and WAIC sums together */
#define POST_RHAT_WARN 1.01
#define POST_ESS_WARN 100
#define POST_TEMPS_MAX 64       /* replicas per chain (parallel tempering) */
#define POST_BETAMIN_DEFAULT 0.01 /* the hottest replica's beta / beta */
#define POST_ACC_LOW 0.01        /* a chain accepting less is stuck */
#define POST_ACC_HIGH 0.95       /* ... more: its steps are too small */
#define POST_CHAIN_APART 3.0     /* a chain's mean this many within-chain
                                    sd from the median chain mean */
#define POST_LOO_WMAX_WARN 0.1   /* one draw's share of an observation's
                                    importance weights */

typedef enum { POST_RWM = 0, POST_MALA = 1 } post_sampler;

const char *post_sampler_name(size_t i); /* "rwm", "mala", NULL past */

typedef struct {
    double beta;          /* > 0; 1: the posterior */
    size_t samples;       /* recorded draws per chain (>= POST_SAMPLES_MIN) */
    size_t chains;        /* >= 1 */
    size_t burnin;        /* adaptation steps per chain, not recorded */
    post_sampler sampler;
    uint64_t seed;
    unsigned threads;     /* 0: the default; numbers do not depend on it */
    /* parallel tempering: temps replicas per chain (0 or 1: none) at
     * beta_r = beta (beta_min / beta)^(r / (temps - 1)), r = 0..temps-1;
     * beta_min 0: POST_BETAMIN_DEFAULT beta */
    size_t temps;
    double beta_min;
    /* a shard (lang/shard.h): chains first .. first + count - 1 of the
     * `chains` (count 0: all); chain c draws from its stream whatever
     * the slice, so the shards' chains are the full run's */
    size_t first, count;
} post_spec;

typedef struct {
    post_spec sp;
    char model[64], data[64], kind[32]; /* names (the caller sets) */
    model *m;             /* a copy of the model (priors, fixed values) */
    size_t k;             /* free parameters */
    size_t *idx;          /* their indices */
    char (*names)[MODEL_NAME_MAX];
    size_t n;             /* likelihood terms */
    int iid;              /* the terms are independent (not a series) */
    size_t nchains;       /* chains kept (all unless interrupted) */
    int interrupted;
    /* draws: nchains x samples x (k + 1): the k parameters, then l_n(w) */
    double *draws;
    double *accept;       /* per chain: acceptance rate after burn-in */
    double *scale;        /* per chain: the adapted step scale */
    /* per parameter over all draws */
    double *mean, *sd, *rhat, *ess;
    /* WAIC (Watanabe's per-sample scale) = T + V / n */
    double T, V, waic, waic_se, pwaic_se;
    /* importance-sampling leave-one-out (plain IS, no Pareto smoothing):
     * elpd_loo = Σ_i -log E_w[1 / p(x_i|w)], its batch-means error, and
     * the largest share of one draw in an observation's importance weights
     * (at observation loo_worst, 0-based) */
    double elpd_loo, elpd_loo_se, loo_wmax;
    size_t loo_worst;
    /* E_w[n L_n(w)] = mean over draws of -l_n(w), and its error */
    double enl, enl_se;
    double beta_wbic;     /* 1 / log n */
    int is_wbic;          /* beta = 1 / log n (relative 1e-9) */
    size_t nbatches;      /* batches behind the errors */
    /* parallel tempering (temps > 1): the ladder (temps betas, the first
     * beta) and per chain the swap acceptance rate of each adjacent pair
     * (nchains x (temps - 1), after burn-in) */
    size_t temps;
    double *ladder, *swap;
    /* per chain: the share of recorded steps whose proposal had a
     * non-finite likelihood inside the prior's support */
    double *nonfinite;
    char warn[4096];      /* diagnostics that failed, one a line, or "" */
} post_result;

/* Check the request: every free parameter has a proper prior, beta > 0,
 * samples >= POST_SAMPLES_MIN, the data's columns, the memory. */
ss_status post_check(const model *m, const gsl_matrix *data,
                     const post_spec *sp);

/* The log of the tempered target at the free values w (k entries; the
 * rest of theta from the model) and, for grad != NULL, its gradient:
 * log prior + beta l_n; -inf outside the support or the valid region. */
ss_status post_log_target(const model *m, const gsl_matrix *data,
                          double beta, const double *w, double *lp,
                          double *grad);

typedef struct post_iter post_iter;
ss_status post_iter_alloc(const model *m, const gsl_matrix *data,
                          const post_spec *sp, post_iter **out);
ss_status post_iter_iterate(post_iter *it);
int post_iter_test(const post_iter *it);
/* Join, summarise (diagnostics, WAIC) and hand over; interrupted: the
 * chains finished are kept (none is an error). */
ss_status post_iter_take(post_iter *it, int interrupted, post_result **out);
void post_iter_free(post_iter *it);
extern const ss_iter_type post_iter_type;

/* The chains' raw rows instead of the summary (a shard's rows, which
 * post_result_from_rows turns into the result): *C rows of *ncols, the
 * chains finished in order from the slice's first. */
ss_status post_iter_take_rows(post_iter *it, int interrupted, double **rows,
                              size_t *C, size_t *ncols);
/* Values a chain's raw row holds for this request. */
size_t post_row_len(const model *m, const gsl_matrix *data,
                    const post_spec *sp);
/* The result from every chain's raw row (sp->chains rows, as the
 * chains of one run would give them): the same summary a run makes. */
ss_status post_result_from_rows(const model *m, const gsl_matrix *data,
                                const post_spec *sp, const double *rows,
                                post_result **out);

void post_result_free(post_result *r);

/* One temperature of a multi-temperature run (post_rungs_alloc). */
typedef struct {
    double beta;
    double enl, enl_se;   /* E^beta[n L_n] and its batch-means error */
    double accept_min;    /* smallest acceptance rate over the chains */
    double rhat;          /* largest split R-hat over the parameters and -l_n */
    double ess;           /* the effective sample size of -l_n */
    double scale;         /* chain 1's adapted step scale */
} post_rung;

/* nb temperatures betas[] (each in [0, 1]) with sp's chains, samples,
 * burn-in, sampler and seed (sp->beta is not used); the result of take is
 * nb rungs. Interrupted runs fail (a ladder needs every rung). */
ss_status post_rungs_alloc(const model *m, const gsl_matrix *data,
                           const post_spec *sp, const double *betas,
                           size_t nb, post_iter **out);
ss_status post_rungs_take(post_iter *it, post_rung *out);
/* Chains finished and in all (for progress). */
void post_iter_counts(const post_iter *it, size_t *done, size_t *total);

/* The draws in a plane (`plot POST x=A y=B`): two axes, each a free
 * parameter or a blow-down coordinate of the family (model_axis), over the
 * range of the draws padded by 2%, cut into nx x ny cells. z[j nx + i] is
 * the share of the draws in cell (i, j) (row 0 at y0; NaN: none). The
 * plane through base (the free parameters at their posterior means; with
 * a blow-down axis the other coordinates are those of base) is tested
 * for the family's singular sets as `map` does: a cell is marked q + 1
 * (set q, the nearest) when the set's distance at its centre is no more
 * than that distance changes over half a cell; bit q of used says set q
 * was marked somewhere. */
#define POST_PLANE_MAX 160
typedef struct {
    size_t nx, ny;
    double x0, x1, y0, y1;
    double *z;
    unsigned char *mark;
    unsigned used;
    size_t nok;           /* draws with finite coordinates */
    double *base;         /* P: the plane's point */
} post_plane;

/* SS_ERR_RANGE: no draw has finite coordinates. */
ss_status post_plane_grid(const post_result *r, const model_axis *ax,
                          const model_axis *ay, size_t nx, size_t ny,
                          post_plane *out);
void post_plane_free(post_plane *g);

/* Diagnostics of one scalar over C chains of N draws (x[c * stride * N +
 * t * stride], i.e. draws of chain c at x + c * N * stride): split R-hat
 * and the effective sample size (docs/theory.md). */
void post_rhat_ess(const double *x, size_t C, size_t N, size_t stride,
                   double *rhat, double *ess);

#endif

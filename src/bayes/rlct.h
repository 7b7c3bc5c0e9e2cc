/* The learning coefficient (RLCT) by volume scaling (`rlct MODEL truth=T
 * method=volume`), docs/theory.md 11, "The learning coefficient by volume
 * scaling".
 *
 * V(t) = prior mass of {w : K(w) < t}, K(w) = KL(p_T || p_w) per
 * observation, behaves like c t^lambda (-log t)^(m-1) as t -> 0. N points
 * are drawn from the prior over the free parameters (the fixed ones held),
 * K is evaluated at each by the fastest route the family allows (below),
 * and lambda is the least-squares slope of log V(t) against log t over the
 * t between the qmax and qmin quantiles of the K distribution.
 *
 * Routes for K (rlct_route_name):
 *   chi2    gmm (K = 2, s known) against a single Gaussian: chi^2(p_w||p_T)/2
 *           in closed form, an equivalent function with the same lambda
 *           and m (theory.md 11)
 *   hermite gmm against a two-component mixture: a fixed Gauss-Hermite rule
 *           of RLCT_GH_NODES nodes per truth component in E_T[r - 1 - log r]
 *   cone    arma(1,1) against white noise of the same sigma^2:
 *           (ar1 + ma1)^2 / (2 (1 - ma1^2)), exact
 *   family  the family's kl_from hook (mlp2: the closed form; others)
 *
 * Draws come in chunks on the replicate runner; chunk c uses the random
 * stream (seed, SS_STREAM_RLCT, c), and writes a histogram of K on a fixed
 * grid (32 bins an octave, exact counts), so the result is the same bits
 * on any thread count. The chunks form RLCT_BATCHES consecutive batches;
 * each batch's slope at the same t gives the standard error. */
#ifndef SS_BAYES_RLCT_H
#define SS_BAYES_RLCT_H

#include "core/iter.h"
#include "core/status.h"
#include "model/model.h"

#include <stddef.h>
#include <stdint.h>

#define RLCT_DRAWS_DEFAULT 10000000
#define RLCT_DRAWS_MIN 10000
#define RLCT_DRAWS_MAX 1000000000.0
#define RLCT_BATCHES 10
#define RLCT_CHUNK 1048576     /* draws a chunk at most */
#define RLCT_FITPTS 16         /* t points of the fit */
#define RLCT_MINCOUNT 1000     /* draws below the smallest t, at least */
#define RLCT_GH_NODES 60
#define RLCT_QMAX_DEFAULT 1e-2
#define RLCT_QMIN_DEFAULT 1e-5
/* the K grid: bins [2^e (1 + j/32), 2^e (1 + (j+1)/32)) for e in
 * [RLCT_EMIN, RLCT_EMAX); bin 0 collects K below 2^RLCT_EMIN (and 0),
 * the last bin K from 2^RLCT_EMAX up (and +inf) */
#define RLCT_EMIN (-120)
#define RLCT_EMAX 16
#define RLCT_NBINS ((RLCT_EMAX - RLCT_EMIN) * 32 + 2)

enum { RLCT_METHOD_VOLUME = 0, RLCT_METHOD_WBIC = 1, RLCT_METHOD_LLC = 2 };

enum { RLCT_ROUTE_CHI2, RLCT_ROUTE_HERMITE, RLCT_ROUTE_CONE,
       RLCT_ROUTE_FAMILY };

typedef struct {
    size_t draws;
    uint64_t seed;
    unsigned threads;      /* 0: the default */
    double qmax, qmin;     /* quantile range of the fit; qmin is raised to
                              RLCT_MINCOUNT / draws */
    /* a shard (lang/shard.h): chunks first .. first + count - 1 (count
     * 0: all) of the rlct_nchunks(draws) */
    size_t first, count;
} rlct_spec;

typedef struct {
    char model[64], truth[64], kind[32];
    rlct_spec sp;
    size_t k;              /* free parameters */
    int route;
    size_t nchunks, chunks_done, draws_done;
    int interrupted;
    double *count;         /* RLCT_NBINS pooled counts */
    double kmin;           /* smallest K drawn */
    /* the fit */
    double qmin;           /* the quantile used (after raising) */
    size_t npts;
    double t[RLCT_FITPTS], V[RLCT_FITPTS];
    double lambda, se, icpt; /* slope, its SE, intercept (log V at log t=0) */
    size_t nbatches;
    double bslope[RLCT_BATCHES];
    /* the slope of log V - (m - 1) log(-log t) where m > 1 is known */
    int corrected;
    double lambda_c, se_c, icpt_c;
    /* what theory says (docs/theory.md, notes 5); NAN: nothing known */
    double known, m_known;  /* m_known 0: not known */
    char known_what[96];
    /* the method (RLCT_METHOD_*); for wbic the fields above from the
     * volume fit stay 0 except k, kind, the slope (lambda, se, icpt), the
     * corrected slope and the known value, and wbic holds the rest
     * (bayes/rlct_wbic.h) */
    int method;
    struct rlct_wbic_data *wbic;
    /* method=llc: the whole result is here (bayes/llc.h), the fields above
     * are unused but model, truth and kind */
    struct llc_result_s *llc;
} rlct_result;

/* The upper edge of bin b (the t at which V counts bins 0..b). */
double rlct_edge(size_t b);
/* The bin of a K value. */
size_t rlct_bin(double K);
const char *rlct_route_name(int route);
/* The method= choices ("volume", "wbic", "llc"), NULL past the end. */
const char *rlct_method_name(size_t i);

/* K at theta (all P parameters of m) by the route chosen for (m, truth):
 * for tests and the benchmark. */
ss_status rlct_k(const model *m, const model *truth, const double *theta,
                 double *K, int *route);

/* What theory knows of lambda for m (k free) at the truth t (docs/theory.md
 * 11, notes 5): *known (NAN: nothing), *m_known (0: not known) and what
 * into what[len]. */
void rlct_known(const model *m, const model *t, size_t k, double *known,
                double *m_known, char *what, size_t len);

typedef struct rlct_iter rlct_iter;
/* Checks everything (a proper prior on every free parameter, the truth of
 * the same data kind, a family with K, the prior covering the truth, the
 * truth realised at its values) and starts the chunks. */
ss_status rlct_iter_alloc(const model *m, const model *truth,
                          const rlct_spec *sp, rlct_iter **out);
ss_status rlct_iter_iterate(rlct_iter *it);
int rlct_iter_test(const rlct_iter *it);
/* The result from the chunks finished in order from the first (all of
 * them unless interrupted); fails when too few draws are in. */
ss_status rlct_iter_take(rlct_iter *it, int interrupted, rlct_result **out);
void rlct_iter_free(rlct_iter *it);
extern const ss_iter_type rlct_iter_type;
/* The chunks the draws come in (the experiment's replicates), a multiple
 * of RLCT_BATCHES. */
size_t rlct_nchunks(size_t draws);
/* A shard's raw rows: the chunks finished in order from the slice's
 * first (*n rows of rlct_row_len() values: the K histogram, the smallest
 * K). */
ss_status rlct_iter_take_rows(rlct_iter *it, int interrupted, double **rows,
                              size_t *n);
size_t rlct_row_len(void);
/* The estimate from every chunk's raw row: what a run gives. */
ss_status rlct_result_from_rows(const model *m, const model *t,
                                const rlct_spec *sp, const double *rows,
                                rlct_result **out);

/* Run to the end (tests, benchmark). */
ss_status rlct_run(const model *m, const model *truth, const rlct_spec *sp,
                   rlct_result **out);
void rlct_result_free(rlct_result *r);

#endif

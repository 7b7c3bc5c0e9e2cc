/* The FIM eigenvalue statistics of K random networks of a dnn model's
 * architecture against their mean-field prediction (Karakida, Akaho &
 * Amari 2019; docs/theory.md, "The spectrum over random networks").
 *
 * Network j (j = 0..K-1) has its weights and biases drawn afresh, as the
 * dnn family draws them (W^l ~ N(0, sw2 / M_{l-1}), b^l ~ N(0, sb2)), from
 * the stream (seed, SS_STREAM_SPECTRUM, j); the T inputs are the model's
 * own (its design). Its exact regression FIM F = J^T J / T is never formed:
 * the eigenvalues come from the TC x TC dual Gram K = J J^T / T
 * (dnn_gram), through the Gram route of fim/spectrum.h; the other P - TC
 * eigenvalues are exactly zero. Networks run on the replicate runner, each
 * from its own stream, so the numbers do not depend on the threads. */
#ifndef SS_WIDE_SPECTRUM_H
#define SS_WIDE_SPECTRUM_H

#include "core/iter.h"
#include "core/status.h"
#include "fim/meanfield.h"
#include "model/dnn.h"
#include "model/model.h"

#include <stddef.h>
#include <stdint.h>

/* The statistics, in this order (rows, mean, sd, theory). */
enum {
    WS_M_LAMBDA,   /* trace F / P: the mean over all P, zeros included */
    WS_S_LAMBDA,   /* sum lambda^2 / P */
    WS_LAMBDA_MAX, /* the largest eigenvalue */
    WS_TOP_C_MEAN, /* the mean of the C largest */
    WS_BULK,       /* the median of the non-zero eigenvalues */
    WS_ZEROS,      /* P - rank: eigenvalues exactly zero (or below the rank
                      threshold of fim/spectrum.h) */
    WS_OUTLIERS,   /* eigenvalues above WS_OUTLIER_FACTOR times the bulk
                      centre */
    WS_NSTAT
};

/* An outlier is an eigenvalue more than this many times the bulk centre:
 * the bulk of a wide network spreads by O(sqrt(T C / P)) (at most a few
 * times its median even for a square Jacobian), the regression outliers
 * sit about T kappa2 / kappa1 times above it (docs/theory.md 13.4). */
#define WS_OUTLIER_FACTOR 10.0

/* "m_lambda", "s_lambda", "lambda_max", "top_c_mean", "bulk_centre",
 * "zeros", "outliers". */
const char *ws_stat_name(int i);

/* What is measured (docs/theory.md 13.4); all zero: the FIM of the
 * parameters. The model chooses two variants itself: output=softmax (the
 * FIM with Q_t) and param=ntk (the NTK Theta = J J^T of the omega
 * gradients: its T C eigenvalues, not divided by T). */
typedef struct {
    int centre;          /* 1: the outputs' mean over the T inputs
                            subtracted (f_t - (1/T) sum_s f_s) */
    int metric;          /* 1: the metric of layer metric_layer's
                            activations instead of the parameters' FIM */
    size_t metric_layer; /* 0: the input x; 1..L-1: hidden h^l */
} ws_variant;

typedef struct {
    size_t nets;      /* K >= 1 */
    uint64_t seed;
    unsigned threads; /* 0: the default */
    /* Network j's stream (seed, stream, sub0 + j); stream 0 means
     * SS_STREAM_SPECTRUM (the width sweep, fim/wide_sweep.h, gives each
     * width its own). */
    uint64_t stream, sub0;
    ws_variant v;
    /* Called between waits on the networks (NULL: none): the front end's
     * progress line, networks done of nets. */
    ss_iter_tick_fn tick;
    void *tick_ctx;
} ws_request;

typedef struct {
    size_t nets;          /* networks finished (< requested if interrupted) */
    size_t requested;
    int interrupted;
    uint64_t seed;
    size_t P, N, C, T, L; /* parameters, eigenvalues computed (the Gram's
                             T C rows, or the metric's M_l), outputs,
                             inputs, weight layers */
    size_t nall;          /* the eigenvalues the statistics run over: P
                             (FIM), T C (NTK) or M_l (metric) */
    ws_variant v;
    int softmax, ntk;     /* the model's output=softmax, param=ntk */
    char what[200];       /* what was measured, in words */
    size_t widths[DNN_LMAX + 1]; /* M_0..M_L */
    double *stat;         /* nets x WS_NSTAT, row j: network j */
    double mean[WS_NSTAT], sd[WS_NSTAT]; /* sd: NaN for one network */
    /* The mean-field prediction (mf_predict_finite at the network's widths;
     * top_c_mean: lambda_max, C-fold; zeros: P - min(P, TC), the generic
     * count; bulk_centre: none). NaN where there is none, with the reason
     * in theory_note. */
    double theory[WS_NSTAT];
    char theory_note[320];
    mf_result mf;         /* the order parameters (when has_mf) */
    double d1, d2;        /* the block model's diagonal and off-diagonal
                             (when has_mf; wide_variant.h) */
    int has_mf;
    double *eval0;        /* the first network's N Gram eigenvalues,
                             descending */
    double *qbar;         /* nets x C: softmax, each network's Qbar
                             eigenvalues (descending; NaN otherwise) */
    char model[64];       /* the source's name (caller sets) */
} ws_result;

void ws_result_free(ws_result *r);

/* Network j's parameters (m->P of them) into theta. */
void ws_draw(const model *m, uint64_t seed, size_t j, double *theta);
/* The same from the stream (seed, stream, substream). */
void ws_draw_stream(const model *m, uint64_t seed, uint64_t stream,
                    uint64_t substream, double *theta);

/* The statistics (WS_NSTAT) of m at theta and, with eval != NULL, the N
 * Gram eigenvalues (descending). SS_ERR_USAGE for a model that is not a
 * regression dnn with every parameter free. */
ss_status ws_stats(const model *m, const double *theta, double *stat,
                   double *eval);

/* The same for the variant v (ws_stats is v all zero); eval holds the
 * ws_eval_count(m, v) eigenvalues. */
ss_status ws_stats_v(const model *m, const ws_variant *v,
                     const double *theta, double *stat, double *eval);
size_t ws_eval_count(const model *m, const ws_variant *v);

/* SS_ERR_USAGE (nothing computed) for a model spectrum does not cover:
 * another family, fixed parameters. ws_check_v also refuses a variant
 * that does not apply (see wide_variant.h). */
ss_status ws_check(const model *m);
ss_status ws_check_v(const model *m, const ws_variant *v);

/* The K networks and the prediction. Ctrl-C keeps the networks finished
 * in order from the first (interrupted set); none finished is an error. */
ss_status ws_run(const model *m, const ws_request *req, ws_result **out);

#endif

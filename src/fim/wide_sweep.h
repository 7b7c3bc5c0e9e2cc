/* The spectrum over random networks against the width (`spectrum NET
 * widths=[..]`; docs/theory.md, "The spectrum against the width").
 *
 * For each width M of the list, the network of the source model with every
 * hidden width M_l = alpha_l M (alpha_l = M_l / M_1 of the source; the
 * input dimension, outputs, inputs, activation and variances kept:
 * dnn_at_width) goes through ws_run: K random networks and the mean-field
 * prediction at those widths. Network j at width M is drawn from the
 * stream (seed, SS_STREAM_SPECTRUM_SWEEP, M 2^32 + j), so widths never
 * share draws and a width's numbers do not depend on the other widths in
 * the list.
 *
 * Then, for m_lambda, s_lambda and lambda_max, the least-squares line of
 * log(mean over the networks) on log M (gsl_fit_linear): its slope with two
 * standard errors, one from the residuals about the line (3 widths or
 * more) and one from the networks' own scatter at each width (the delta
 * method, 2 networks or more), beside the slope of the mean-field
 * prediction fitted the same way over the same widths and the asymptotic
 * slope. With the input dimension fixed, P grows like
 * M^p (p = 2 with two or more hidden layers, p = 1 with one) while every
 * d_i grows like M, so m_lambda ~ M^(1-p), s_lambda ~ M^(2-p) and
 * lambda_max ~ M: -1, 0, +1 for p = 2 (Karakida, Akaho & Amari 2019). */
#ifndef SS_WIDE_SWEEP_H
#define SS_WIDE_SWEEP_H

#include "core/status.h"
#include "fim/wide_spectrum.h"
#include "model/model.h"

#include <stddef.h>
#include <stdint.h>

#define WSW_WIDTHS_MAX 32

/* The fitted statistics: m_lambda, s_lambda, lambda_max (ws indices
 * WS_M_LAMBDA, WS_S_LAMBDA, WS_LAMBDA_MAX). */
#define WSW_NFIT 3
extern const int wsw_fit_stat[WSW_NFIT];

typedef struct {
    const size_t *widths; /* nw widths (the first hidden width M_1), each
                             >= 1, increasing */
    size_t nw;            /* 1..WSW_WIDTHS_MAX */
    size_t nets;          /* K >= 1 networks per width */
    uint64_t seed;
    unsigned threads;     /* 0: the default */
    /* Called after each finished width (may be NULL): progress, and the
     * tests' way to interrupt between widths. */
    void (*on_width)(void *ctx, size_t done, size_t total);
    void *ctx;
    /* Passed to each width's ws_run (ws_request.tick). */
    ss_iter_tick_fn tick;
    void *tick_ctx;
} wsw_request;

typedef struct {
    double slope, se, icpt; /* measured: log mean = icpt + slope log M; se
                               NaN for fewer than 3 widths; all NaN for
                               fewer than 2 */
    double se_nets;         /* from the networks' scatter (wsw_slope_se),
                               NaN for one network a width */
    double th_slope;        /* the prediction's own, NaN without one */
    double asym;            /* the asymptotic slope, 1 - p, 2 - p or 1 */
} wsw_fit;

typedef struct {
    size_t nw;          /* widths finished (< requested if interrupted) */
    size_t requested;
    int interrupted;
    size_t nets;
    uint64_t seed;
    size_t width[WSW_WIDTHS_MAX];  /* M of each finished width */
    ws_result *at[WSW_WIDTHS_MAX]; /* its networks and prediction */
    int p_exp;                     /* P ~ M^p_exp */
    wsw_fit fit[WSW_NFIT];
    char model[64];                /* the source's name (caller sets) */
} wsw_result;

void wsw_result_free(wsw_result *r);

/* Least squares of log y on log x over n points: slope, its standard error
 * (sqrt of GSL's cov11: the residual variance over n - 2 degrees of
 * freedom; NaN for n < 3) and intercept. SS_ERR_RANGE (nothing written)
 * for n < 2, a value that is not positive and finite, or all x equal. */
ss_status wsw_loglog_fit(const double *x, const double *y, size_t n,
                         double *slope, double *se, double *icpt);

/* The standard error of that least-squares slope when log y_i has
 * standard deviation sl[i] (independent points): with u = log x,
 * Var b = sum (u_i - mean u)^2 sl_i^2 / (sum (u_i - mean u)^2)^2. For a
 * mean of K networks with sd s_i, sl_i = s_i / (sqrt K mean_i) to first
 * order. NaN for n < 2, all x equal or a NaN sl. */
double wsw_slope_se(const double *x, const double *sl, size_t n);

/* The model's part of wsw_check: ws_check, and the plain regression FIM
 * in the standard parameterisation (SS_ERR_USAGE for softmax or ntk). */
ss_status wsw_check_model(const model *m);
/* SS_ERR_USAGE / SS_ERR_RANGE / SS_ERR_LIMIT (nothing computed) for a
 * model wsw_check_model refuses, one without a hidden layer, an empty or
 * too long list, widths not increasing or a width dnn_at_width refuses. */
ss_status wsw_check(const model *m, const wsw_request *req);

/* The sweep. Ctrl-C keeps the widths finished (a width interrupted
 * part-way is dropped); none finished is an error. */
ss_status wsw_run(const model *m, const wsw_request *req, wsw_result **out);

#endif

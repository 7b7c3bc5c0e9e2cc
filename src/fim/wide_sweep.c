/* The spectrum against the width (fim/wide_sweep.h). */
#include "fim/wide_sweep.h"

#include "core/interrupt.h"
#include "core/rng.h"
#include "model/dnn.h"

#include <gsl/gsl_fit.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const int wsw_fit_stat[WSW_NFIT] = {WS_M_LAMBDA, WS_S_LAMBDA,
                                    WS_LAMBDA_MAX};

void wsw_result_free(wsw_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nw; i++)
        ws_result_free(r->at[i]);
    free(r);
}

ss_status wsw_loglog_fit(const double *x, const double *y, size_t n,
                         double *slope, double *se, double *icpt)
{
    if (n < 2)
        return SS_FAIL(SS_ERR_RANGE, "a slope needs two points or more");
    double lx[WSW_WIDTHS_MAX], ly[WSW_WIDTHS_MAX];
    if (n > WSW_WIDTHS_MAX)
        return SS_FAIL(SS_ERR_RANGE, "at most %d points", WSW_WIDTHS_MAX);
    for (size_t i = 0; i < n; i++) {
        if (!(x[i] > 0 && y[i] > 0 && isfinite(x[i]) && isfinite(y[i])))
            return SS_FAIL(SS_ERR_RANGE,
                           "a log-log slope needs positive values (point "
                           "%zu: %g, %g)",
                           i + 1, x[i], y[i]);
        lx[i] = log(x[i]);
        ly[i] = log(y[i]);
    }
    int spread = 0;
    for (size_t i = 1; i < n; i++)
        spread |= lx[i] != lx[0];
    if (!spread)
        return SS_FAIL(SS_ERR_RANGE, "a slope needs two different x");
    double c0, c1, cov00, cov01, cov11, sumsq;
    gsl_fit_linear(lx, 1, ly, 1, n, &c0, &c1, &cov00, &cov01, &cov11,
                   &sumsq);
    *slope = c1;
    *icpt = c0;
    /* GSL divides the residual sum of squares by n - 2: no error estimate
     * from two points */
    *se = n >= 3 ? sqrt(cov11) : NAN;
    return SS_OK;
}

double wsw_slope_se(const double *x, const double *sl, size_t n)
{
    if (n < 2 || n > WSW_WIDTHS_MAX)
        return NAN;
    double u[WSW_WIDTHS_MAX], ub = 0;
    for (size_t i = 0; i < n; i++) {
        if (!(x[i] > 0) || isnan(sl[i]))
            return NAN;
        u[i] = log(x[i]);
        ub += u[i] / (double)n;
    }
    double sxx = 0, v = 0;
    for (size_t i = 0; i < n; i++) {
        double d = u[i] - ub;
        sxx += d * d;
        v += d * d * sl[i] * sl[i];
    }
    return sxx > 0 ? sqrt(v) / sxx : NAN;
}

ss_status wsw_check_model(const model *m)
{
    ss_status st = ws_check(m);
    if (st != SS_OK)
        return st;
    const dnn_layout *y = dnn_layout_of(m);
    if (y->softmax || y->ntk)
        return SS_FAIL(SS_ERR_USAGE,
                       "spectrum: widths= sweeps the regression FIM in the "
                       "standard parameterisation, whose slopes the "
                       "mean-field theory predicts; for %s give spectrum "
                       "one width at a time",
                       y->softmax ? "output=softmax" : "param=ntk");
    return SS_OK;
}

ss_status wsw_check(const model *m, const wsw_request *req)
{
    ss_status st = wsw_check_model(m);
    if (st != SS_OK)
        return st;
    const dnn_layout *y = dnn_layout_of(m);
    if (y->L < 2)
        return SS_FAIL(SS_ERR_USAGE,
                       "spectrum: widths= needs a hidden layer to widen "
                       "(this network has layers=1)");
    if (req->nw < 1)
        return SS_FAIL(SS_ERR_USAGE, "spectrum: widths= lists no width");
    if (req->nw > WSW_WIDTHS_MAX)
        return SS_FAIL(SS_ERR_LIMIT,
                       "spectrum: widths= takes at most %d widths, got %zu",
                       WSW_WIDTHS_MAX, req->nw);
    if (req->nets < 1)
        return SS_FAIL(SS_ERR_RANGE, "spectrum: nets= must be at least 1");
    for (size_t i = 0; i < req->nw; i++) {
        if (req->widths[i] < 1)
            return SS_FAIL(SS_ERR_RANGE,
                           "spectrum: width 0 has no network (widths= "
                           "entries are at least 1)");
        if (i && req->widths[i] <= req->widths[i - 1])
            return SS_FAIL(SS_ERR_USAGE,
                           "spectrum: widths= must increase (%zu after "
                           "%zu)",
                           req->widths[i], req->widths[i - 1]);
        if ((st = dnn_at_width_check(m, req->widths[i])) != SS_OK)
            return st;
    }
    return SS_OK;
}

static void fit_all(const model *m, wsw_result *r)
{
    const dnn_layout *y = dnn_layout_of(m);
    r->p_exp = y->L >= 3 ? 2 : 1;
    double x[WSW_WIDTHS_MAX], v[WSW_WIDTHS_MAX], t[WSW_WIDTHS_MAX],
        sl[WSW_WIDTHS_MAX];
    for (int k = 0; k < WSW_NFIT; k++) {
        wsw_fit *f = &r->fit[k];
        int i = wsw_fit_stat[k];
        f->slope = f->se = f->icpt = f->th_slope = f->se_nets = NAN;
        f->asym = i == WS_M_LAMBDA   ? 1.0 - r->p_exp
                  : i == WS_S_LAMBDA ? 2.0 - r->p_exp
                                     : 1.0;
        int has_th = 1;
        for (size_t w = 0; w < r->nw; w++) {
            x[w] = (double)r->width[w];
            v[w] = r->at[w]->mean[i];
            t[w] = r->at[w]->theory[i];
            has_th &= r->at[w]->has_mf && !isnan(t[w]);
            /* the sd of log(mean of K), to first order */
            sl[w] = r->at[w]->nets > 1
                        ? r->at[w]->sd[i] /
                              (sqrt((double)r->at[w]->nets) * v[w])
                        : NAN;
        }
        if (r->nw < 2)
            continue;
        f->se_nets = wsw_slope_se(x, sl, r->nw);
        if (wsw_loglog_fit(x, v, r->nw, &f->slope, &f->se, &f->icpt) !=
            SS_OK) {
            f->slope = f->se = f->icpt = NAN;
            ss_clear_error();
        }
        double se, c;
        if (has_th && wsw_loglog_fit(x, t, r->nw, &f->th_slope, &se, &c) !=
                          SS_OK) {
            f->th_slope = NAN;
            ss_clear_error();
        }
    }
}

ss_status wsw_run(const model *m, const wsw_request *req, wsw_result **out)
{
    *out = NULL;
    ss_status st = wsw_check(m, req);
    if (st != SS_OK)
        return st;
    wsw_result *r = calloc(1, sizeof *r);
    if (!r)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    r->requested = req->nw;
    r->nets = req->nets;
    r->seed = req->seed;
    for (size_t i = 0; i < req->nw; i++) {
        if (ss_interrupted()) {
            r->interrupted = 1;
            break;
        }
        size_t M = req->widths[i];
        model *mi = NULL;
        st = dnn_at_width(m, M, &mi);
        ws_result *ri = NULL;
        if (st == SS_OK) {
            ws_request rq = {.nets = req->nets, .seed = req->seed,
                             .threads = req->threads,
                             .stream = SS_STREAM_SPECTRUM_SWEEP,
                             .sub0 = (uint64_t)M << 32,
                             .tick = req->tick, .tick_ctx = req->tick_ctx};
            st = ws_run(mi, &rq, &ri);
            model_free(mi);
        }
        if (st == SS_ERR_INTERRUPTED) {
            ss_clear_error();
            r->interrupted = 1;
            break;
        }
        if (st != SS_OK) {
            wsw_result_free(r);
            return st;
        }
        if (ri->interrupted) { /* part of this width only: dropped */
            ws_result_free(ri);
            r->interrupted = 1;
            break;
        }
        r->width[r->nw] = M;
        r->at[r->nw++] = ri;
        if (req->on_width)
            req->on_width(req->ctx, r->nw, req->nw);
    }
    if (r->nw == 0) {
        wsw_result_free(r);
        return SS_FAIL(SS_ERR_INTERRUPTED,
                       "spectrum: interrupted before the first width "
                       "finished");
    }
    fit_all(m, r);
    *out = r;
    return SS_OK;
}

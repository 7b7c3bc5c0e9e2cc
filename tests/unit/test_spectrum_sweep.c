/* Unit tests of the spectrum against the width (fim/wide_sweep.c):
 *  - the sweep at a width is ws_run on a dnn built directly at that width
 *    (model_alloc with the scaled widths=, not dnn_at_width), on the
 *    sweep's stream: the same numbers, bit for bit, the same inputs and
 *    layer sizes;
 *  - the log-log fit recovers an exact power law, and on perturbed data
 *    equals the textbook least-squares formulas written out here;
 *  - the networks' standard error of the slope (the delta method) equals
 *    the scatter of slopes over Monte-Carlo replicates;
 *  - for relu, sw2 = 2 at M = 100, 200, 400 the measured slopes of
 *    m_lambda, s_lambda and lambda_max agree with the mean-field
 *    prediction's slope within their standard errors and the finite-width
 *    biases argued below, and the prediction's slope tends to -1, 0, +1;
 *  - refusals: one width gives no slope, widths not increasing, layers=1,
 *    a model spectrum does not cover, Ctrl-C before any width finished;
 *    Ctrl-C between widths keeps the widths finished, with their numbers. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/interrupt.h"
#include "core/rng.h"
#include "fim/meanfield.h"
#include "fim/wide_spectrum.h"
#include "fim/wide_sweep.h"
#include "model/dnn.h"
#include "model/model.h"
#include "testutil.h"

#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A relu dnn with the given hidden widths (nh of them), in=, out=,
 * inputs=, seed=. */
static model *make(const double *hidden, size_t nh, double in, double out,
                   double T, double seed, const char *act)
{
    tu_args b;
    tu_args_init(&b);
    tu_args_num(&b, "layers", (double)nh + 1);
    tu_args_vec(&b, "widths", hidden, nh);
    tu_args_num(&b, "in", in);
    tu_args_num(&b, "out", out);
    tu_args_num(&b, "inputs", T);
    tu_args_num(&b, "seed", seed);
    tu_args_num(&b, "sw2", 2);
    tu_args_num(&b, "sb2", 0);
    tu_args_str(&b, "act", act);
    model *m = NULL;
    if (model_alloc(&model_dnn_type, b.a, b.n, &m) != SS_OK)
        fail_msg("model_alloc: %s", ss_last_error()->msg);
    return m;
}

static void test_matches_direct(void **st)
{
    (void)st;
    /* unequal hidden widths: alpha = (1, 0.5) */
    const double src_w[] = {20, 10};
    model *m = make(src_w, 2, 6, 2, 5, 2, "relu");
    const size_t widths[] = {8, 16};
    wsw_request rq = {.widths = widths, .nw = 2, .nets = 3, .seed = 7};
    wsw_result *r = NULL;
    assert_int_equal(wsw_run(m, &rq, &r), SS_OK);
    assert_int_equal(r->nw, 2);
    for (size_t w = 0; w < 2; w++) {
        const double hw[] = {(double)widths[w], (double)widths[w] / 2};
        model *d = make(hw, 2, 6, 2, 5, 2, "relu");
        const dnn_layout *y = dnn_layout_of(d);
        const ws_result *a = r->at[w];
        assert_int_equal(a->P, d->P);
        for (size_t l = 0; l <= y->L; l++)
            assert_int_equal(a->widths[l], y->M[l]);
        /* the same T inputs as the source */
        const gsl_matrix *X0 = dnn_inputs(m), *X1 = dnn_inputs(d);
        for (size_t i = 0; i < X0->size1; i++)
            for (size_t j = 0; j < X0->size2; j++)
                assert_true(gsl_matrix_get(X0, i, j) ==
                            gsl_matrix_get(X1, i, j));
        ws_request q = {.nets = 3, .seed = 7,
                        .stream = SS_STREAM_SPECTRUM_SWEEP,
                        .sub0 = (uint64_t)widths[w] << 32};
        ws_result *b = NULL;
        assert_int_equal(ws_run(d, &q, &b), SS_OK);
        for (size_t k = 0; k < 3 * WS_NSTAT; k++)
            assert_true(a->stat[k] == b->stat[k]);
        for (int i = 0; i < WS_NSTAT; i++)
            assert_true(a->theory[i] == b->theory[i] ||
                        (isnan(a->theory[i]) && isnan(b->theory[i])));
        /* and not the plain spectrum's networks: the streams differ */
        ws_request p = {.nets = 3, .seed = 7};
        ws_result *c = NULL;
        assert_int_equal(ws_run(d, &p, &c), SS_OK);
        assert_true(c->stat[WS_M_LAMBDA] != a->stat[WS_M_LAMBDA]);
        ws_result_free(c);
        ws_result_free(b);
        model_free(d);
    }
    /* a width's numbers do not depend on the other widths listed */
    const size_t one[] = {16};
    wsw_request r1 = {.widths = one, .nw = 1, .nets = 3, .seed = 7};
    wsw_result *s = NULL;
    assert_int_equal(wsw_run(m, &r1, &s), SS_OK);
    for (size_t k = 0; k < 3 * WS_NSTAT; k++)
        assert_true(s->at[0]->stat[k] == r->at[1]->stat[k]);
    /* one width: no slope */
    for (int k = 0; k < WSW_NFIT; k++)
        assert_true(isnan(s->fit[k].slope) && isnan(s->fit[k].se));
    /* two widths: a slope, no residual standard error */
    for (int k = 0; k < WSW_NFIT; k++) {
        assert_true(isfinite(r->fit[k].slope));
        assert_true(isnan(r->fit[k].se));
        assert_true(isfinite(r->fit[k].se_nets));
    }
    wsw_result_free(s);
    wsw_result_free(r);
    model_free(m);
}

static void interrupt_after_first(void *ctx, size_t done, size_t total)
{
    (void)ctx;
    (void)total;
    if (done == 1)
        ss_interrupt_raise();
}

/* Ctrl-C between widths keeps the widths finished, with their numbers. */
static void test_interrupt_keeps(void **st)
{
    (void)st;
    const double hw[] = {20, 10};
    model *m = make(hw, 2, 6, 2, 5, 2, "relu");
    const size_t widths[] = {8, 16, 32};
    wsw_request rq = {.widths = widths, .nw = 3, .nets = 3, .seed = 7};
    wsw_result *all = NULL, *part = NULL;
    assert_int_equal(wsw_run(m, &rq, &all), SS_OK);
    assert_false(all->interrupted);
    rq.on_width = interrupt_after_first;
    assert_int_equal(wsw_run(m, &rq, &part), SS_OK);
    ss_interrupt_clear();
    assert_true(part->interrupted);
    assert_int_equal(part->nw, 1);
    assert_int_equal(part->requested, 3);
    assert_int_equal(part->width[0], 8);
    for (size_t k = 0; k < 3 * WS_NSTAT; k++)
        assert_true(part->at[0]->stat[k] == all->at[0]->stat[k]);
    assert_true(isnan(part->fit[0].slope));
    wsw_result_free(part);
    wsw_result_free(all);
    model_free(m);
}

static void test_powerlaw(void **st)
{
    (void)st;
    const double x[] = {50, 100, 200, 400, 800};
    double y[5];
    for (size_t i = 0; i < 5; i++)
        y[i] = 3.0 * pow(x[i], -1.3);
    double b, se, a;
    assert_int_equal(wsw_loglog_fit(x, y, 5, &b, &se, &a), SS_OK);
    /* exact data: only rounding (a few ulp of log y ~ 10) */
    assert_close(b, -1.3, 1e-12, 0);
    assert_close(a, log(3.0), 1e-12, 0);
    assert_true(se < 1e-12);

    /* perturbed: the textbook formulas, written out */
    const double e[] = {0.03, -0.05, 0.02, 0.04, -0.01};
    double u[5], ly[5], ub = 0, lb = 0;
    for (size_t i = 0; i < 5; i++) {
        y[i] = 0.7 * pow(x[i], 0.9) * exp(e[i]);
        u[i] = log(x[i]);
        ly[i] = log(y[i]);
        ub += u[i] / 5;
        lb += ly[i] / 5;
    }
    double sxy = 0, sxx = 0;
    for (size_t i = 0; i < 5; i++) {
        sxy += (u[i] - ub) * (ly[i] - lb);
        sxx += (u[i] - ub) * (u[i] - ub);
    }
    double bw = sxy / sxx, aw = lb - bw * ub, rss = 0;
    for (size_t i = 0; i < 5; i++)
        rss += pow(ly[i] - aw - bw * u[i], 2);
    double sew = sqrt(rss / 3 / sxx);
    assert_int_equal(wsw_loglog_fit(x, y, 5, &b, &se, &a), SS_OK);
    assert_close(b, bw, 1e-12, 0);
    assert_close(a, aw, 1e-12, 0);
    assert_close(se, sew, 1e-10, 0);
    /* two points: the line through them, no standard error */
    assert_int_equal(wsw_loglog_fit(x, y, 2, &b, &se, &a), SS_OK);
    assert_close(b, (ly[1] - ly[0]) / (u[1] - u[0]), 1e-12, 0);
    assert_true(isnan(se));
    /* refused: one point, a non-positive value, all x equal */
    assert_int_equal(wsw_loglog_fit(x, y, 1, &b, &se, &a), SS_ERR_RANGE);
    double yz[] = {1, 0, 2};
    assert_int_equal(wsw_loglog_fit(x, yz, 3, &b, &se, &a), SS_ERR_RANGE);
    double xs[] = {5, 5, 5};
    assert_int_equal(wsw_loglog_fit(xs, y, 3, &b, &se, &a), SS_ERR_RANGE);
    ss_clear_error();
}

/* The delta-method standard error against the scatter of the fitted
 * slope over R replicates of log y_i = c + b log x_i + sl_i z_i. The
 * sample sd of R slopes has relative standard error 1/sqrt(2(R-1)) =
 * 0.5% at R = 20000: allowed 3% (6 of them). */
static void test_slope_se_mc(void **st)
{
    (void)st;
    const double x[] = {100, 200, 400, 800};
    const double sl[] = {0.1, 0.05, 0.2, 0.1};
    double se = wsw_slope_se(x, sl, 4);
    assert_true(isfinite(se) && se > 0);
    gsl_rng *g = ss_rng_alloc();
    ss_rng_seed(g, 11, SS_STREAM_TEST, 0);
    size_t R = 20000;
    double s = 0, s2 = 0;
    for (size_t rep = 0; rep < R; rep++) {
        double y[4], b, e, a;
        for (size_t i = 0; i < 4; i++)
            y[i] = exp(0.3 - 1.0 * log(x[i]) +
                       sl[i] * gsl_ran_gaussian_ziggurat(g, 1.0));
        assert_int_equal(wsw_loglog_fit(x, y, 4, &b, &e, &a), SS_OK);
        s += b;
        s2 += b * b;
    }
    ss_rng_free(g);
    double mean = s / (double)R;
    double sd = sqrt((s2 - s * s / (double)R) / (double)(R - 1));
    printf("slope se: formula %.5g, Monte Carlo %.5g (mean slope %.5g)\n",
           se, sd, mean);
    assert_close(sd, se, 0.03, 0);
    /* unbiased: the mean slope within 4 standard errors of the mean */
    assert_true(fabs(mean + 1.0) < 4 * se / sqrt((double)R));
    /* a NaN sd (one network) gives none */
    const double sn[] = {0.1, NAN, 0.1, 0.1};
    assert_true(isnan(wsw_slope_se(x, sn, 4)));
}

/* The prediction's slope (fit over M, 2M, 4M) from mf_predict_finite. */
static double mf_slope(const mf_result *mf, int stat, size_t M0, double M)
{
    double x[3], y[3];
    for (size_t k = 0; k < 3; k++) {
        x[k] = M * (double)(1u << k);
        size_t w[3] = {M0, (size_t)x[k], (size_t)x[k]};
        mf_stats s;
        assert_int_equal(mf_predict_finite(mf, w, 2, 10, &s), SS_OK);
        y[k] = stat == WS_M_LAMBDA   ? s.m_lambda
               : stat == WS_S_LAMBDA ? s.s_lambda
                                     : s.lambda_max;
    }
    double b, se, a;
    assert_int_equal(wsw_loglog_fit(x, y, 3, &b, &se, &a), SS_OK);
    return b;
}

/* relu, sw2 = 2, sb2 = 0, layers = 3, in = 20, out = 2, T = 10, 48
 * networks at M = 100, 200, 400.
 *
 * The prediction's own slope. For relu at sw2 = 2 every moment is 1
 * (qh = q / 2 = 1, qt = sw2 E[phi'^2] qt = 1), so d1 = (in + 1) + 2 (M +
 * 1) = 2M + 23 and P = 21 M + M (M + 1) + 2 (M + 1): d log d1 / d log M =
 * 2M / (2M + 23) ~ 0.95 and d log P / d log M ~ 1.89 at M = 200, giving
 * m_lambda ~ 0.946 - 1.893 = -0.947, lambda_max ~ 0.95 (d2 alike) and
 * s_lambda ~ 2 (0.95) - 1.89 = 0.0: within 0.1 of -1, +1, 0 (the input
 * layer, fixed at 20 wide, is the difference), and within 0.01 at M ~ 1e5.
 *
 * Measured against predicted slope. Over the networks each slope has the
 * standard error se_nets; allowed 4 of them (se_nets is itself estimated
 * from 48 networks, about 10% uncertain) plus the drift of the finite-
 * width bias across the widths:
 *  - m_lambda: the trace is exact in expectation at the first layer and
 *    O(1/M) off beyond; for relu the trace is linear in each input's
 *    |x_t|^2 / M0, and the inputs are the same at every width, so their
 *    departure from 1 moves only the intercept; what is left, O(1/M)
 *    drifting over M = 100..400, allows 0.03;
 *  - lambda_max: the off-diagonal noise of the Gram blocks lifts the top
 *    eigenvalue by O(sqrt(T / M)) relatively (+15% at M = 100, +5% at 400
 *    here), which decays like M^(-1/2) and so lowers the slope by about
 *    half that excess: allowed 0.12 below the prediction, 0 above;
 *  - s_lambda: the squared noise entries add O(T / M) relatively to
 *    sum lambda^2 (+30% at M = 100, +12% at 400), decaying like 1/M and
 *    lowering the slope by up to that excess: 0.25 below, 0 above. */
static void test_relu_slopes(void **st)
{
    (void)st;
    const double hw[] = {50, 50};
    model *m = make(hw, 2, 20, 2, 10, 1, "relu");
    const size_t widths[] = {100, 200, 400};
    wsw_request rq = {.widths = widths, .nw = 3, .nets = 48, .seed = 3};
    wsw_result *r = NULL;
    assert_int_equal(wsw_run(m, &rq, &r), SS_OK);
    assert_int_equal(r->nw, 3);
    assert_int_equal(r->p_exp, 2);
    static const double below[WSW_NFIT] = {0.03, 0.25, 0.12};
    static const double above[WSW_NFIT] = {0.03, 0.0, 0.0};
    static const double asym[WSW_NFIT] = {-1, 0, 1};
    for (int k = 0; k < WSW_NFIT; k++) {
        const wsw_fit *f = &r->fit[k];
        printf("%-10s slope %.4f (se nets %.4f, fit %.4f), mean-field "
               "%.4f, asymptotic %g\n",
               ws_stat_name(wsw_fit_stat[k]), f->slope, f->se_nets, f->se,
               f->th_slope, f->asym);
        assert_true(f->asym == asym[k]);
        assert_true(fabs(f->th_slope - asym[k]) < 0.1);
        double lo = f->th_slope - below[k] - 4 * f->se_nets;
        double hi = f->th_slope + above[k] + 4 * f->se_nets;
        if (!(f->slope >= lo && f->slope <= hi))
            fail_msg("%s: slope %.4f outside [%.4f, %.4f]",
                     ws_stat_name(wsw_fit_stat[k]), f->slope, lo, hi);
        /* the standard error is small enough for this to say something */
        assert_true(f->se_nets < 0.1);
        /* the prediction's slope tends to the asymptotic one */
        assert_true(fabs(mf_slope(&r->at[0]->mf, wsw_fit_stat[k], 20, 1e5) -
                         asym[k]) < 0.01);
    }
    wsw_result_free(r);
    model_free(m);
}

static void test_refusals(void **st)
{
    (void)st;
    const double hw[] = {8, 8};
    model *m = make(hw, 2, 4, 1, 3, 1, "relu");
    wsw_result *r = NULL;
    const size_t dec[] = {20, 10};
    wsw_request rq = {.widths = dec, .nw = 2, .nets = 1, .seed = 1};
    assert_int_equal(wsw_run(m, &rq, &r), SS_ERR_USAGE);
    assert_null(r);
    assert_non_null(strstr(ss_last_error()->msg, "must increase"));
    const size_t zero[] = {0, 10};
    rq.widths = zero;
    assert_int_equal(wsw_run(m, &rq, &r), SS_ERR_RANGE);
    assert_non_null(strstr(ss_last_error()->msg, "width 0"));
    const size_t big[] = {10, 2000000};
    rq.widths = big;
    assert_int_equal(wsw_run(m, &rq, &r), SS_ERR_RANGE);
    rq.nw = 0;
    assert_int_equal(wsw_run(m, &rq, &r), SS_ERR_USAGE);
    /* Ctrl-C before the first width: nothing finished, an error */
    const size_t ok[] = {4, 8};
    rq.widths = ok;
    rq.nw = 2;
    ss_interrupt_raise();
    assert_int_equal(wsw_run(m, &rq, &r), SS_ERR_INTERRUPTED);
    assert_null(r);
    ss_interrupt_clear();
    model_free(m);
    /* layers=1: no hidden layer to widen */
    tu_args b;
    tu_args_init(&b);
    tu_args_num(&b, "layers", 1);
    tu_args_num(&b, "in", 3);
    tu_args_num(&b, "inputs", 2);
    assert_int_equal(model_alloc(&model_dnn_type, b.a, b.n, &m), SS_OK);
    const size_t w2[] = {4, 8};
    rq.widths = w2;
    rq.nw = 2;
    assert_int_equal(wsw_run(m, &rq, &r), SS_ERR_USAGE);
    assert_non_null(strstr(ss_last_error()->msg, "layers=1"));
    model_free(m);
    /* what spectrum does not cover: fixed parameters */
    m = make(hw, 2, 4, 1, 3, 1, "relu");
    m->is_free[0] = 0;
    assert_int_equal(wsw_run(m, &rq, &r), SS_ERR_USAGE);
    assert_non_null(strstr(ss_last_error()->msg, "fixed"));
    model_free(m);
    ss_clear_error();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matches_direct),
        cmocka_unit_test(test_interrupt_keeps),
        cmocka_unit_test(test_powerlaw),
        cmocka_unit_test(test_slope_se_mc),
        cmocka_unit_test(test_relu_slopes),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

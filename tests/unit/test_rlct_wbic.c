/* The learning coefficient by WBIC over n (bayes/rlct_wbic.h): the known
 * values of docs/theory.md 11 (notes 5) by the slope of
 * y = WBIC - n L_n(w0) against log n, k/2 rejected, a regular model at
 * k/2, the same bits on any thread count, and the refusals.
 *
 * Tolerance. lambda-hat is the least-squares slope over N = 10 R runs; its
 * SE (residual scatter) is the Monte-Carlo error, so 4 SE covers it. The
 * known finite-n biases come on top (docs/theory.md 11): Watanabe's
 * expansion y = lambda log n - (m-1) log log n + U_n sqrt(lambda log n / 2)
 * + O_p(1) with U_n tending to a centred Gaussian; a mean u of U_n at
 * finite n (|u| <= 1) adds u sqrt(lambda/2) / (2 sqrt(log n)) to the slope,
 * at most b = sqrt(lambda/2) / (2 sqrt(log n_min)) on n >= n_min = 100
 * (0.12 at lambda = 1/2, 0.19 at 5/4). Where m > 1 (Hartigan, m = 2) the
 * log log n term biases the raw slope by -(m-1)/log n, between
 * -(m-1)/log n_min and -(m-1)/log n_max; the corrected slope removes the
 * leading part only, so both are allowed (m-1)/log n_min more. k/2 is
 * rejected when the estimate lies more than 4 SE below it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bayes/prior.h"
#include "bayes/rlct_wbic.h"
#include "core/rng.h"
#include "model/model.h"

#include <gsl/gsl_matrix.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static model *mk(const model_type *t, const char *args, const char *fixed)
{
    model_testpoint tp = {"t", args, fixed, MODEL_TP_GENERIC, -1, 0};
    model *m = NULL;
    assert_int_equal(model_alloc_testpoint(t, &tp, &m), SS_OK);
    return m;
}

static void set_prior(model *m, const char *name, const char *kind, double a,
                      double b)
{
    int i = model_param_index(m, name);
    assert_true(i >= 0);
    model_prior p;
    assert_int_equal(prior_make(kind, (double[]){a, b}, 2, &p), SS_OK);
    assert_int_equal(model_set_prior(m, (size_t)i, p.kind, p.a, p.b), SS_OK);
}

#define NMIN 100
#define NMAX 2000

static rlct_result *run(const model *m, const model *t, size_t R,
                        unsigned threads, uint64_t seed)
{
    size_t ns[10], J;
    assert_int_equal(rlctw_ladder(NMIN, NMAX, 10, ns, &J), SS_OK);
    assert_int_equal(J, 10);
    rlctw_spec sp = {.J = J, .ns = ns, .reps = R, .samples = 500,
                     .chains = 4, .burnin = 300, .sampler = POST_RWM,
                     .seed = seed, .threads = threads};
    rlct_result *r = NULL;
    ss_status st = rlctw_run(m, t, &sp, &r);
    if (st != SS_OK)
        print_message("%s\n", ss_last_error()->msg);
    assert_int_equal(st, SS_OK);
    print_message("lambda %.4f +- %.4f corr %d %.4f +- %.4f known %g m %g "
                  "two-temp %.4f +- %.4f\n",
                  r->lambda, r->se, r->corrected, r->lambda_c, r->se_c,
                  r->known, r->m_known, r->wbic->lam2_all,
                  r->wbic->lam2_all_se);
    return r;
}

/* the checks of the header comment */
static void check(const rlct_result *r, double lambda, double m)
{
    assert_true(fabs(r->known - lambda) < 1e-12);
    double b = sqrt(lambda / 2) / (2 * sqrt(log(NMIN)));
    double bm = (m - 1) / log(NMIN);
    assert_true(r->se > 0 && r->se < 0.15);
    assert_true(fabs(r->lambda - lambda) < 4 * r->se + b + bm);
    double est = r->lambda, se = r->se;
    if (m > 1) {
        assert_true(r->corrected);
        assert_true(fabs(r->lambda_c - lambda) < 4 * r->se_c + b + bm);
        est = r->lambda_c;
        se = r->se_c;
    }
    double half = 0.5 * (double)r->k;
    if (lambda < half)
        assert_true(est < half - 4 * se); /* the regular k/2 rejected */
}

static void test_gmm34(void **state)
{
    (void)state;
    model *m = mk(model_gmm, "v=0.5 w1=0 w2=0", NULL);
    model *t = mk(model_gmm, "v=0 w1=0 w2=0", NULL);
    set_prior(m, "v", "uniform", 0, 1);
    set_prior(m, "w1", "uniform", -1, 1);
    set_prior(m, "w2", "uniform", -1, 1);
    rlct_result *r = run(m, t, 16, 2, 1);
    assert_true(r->m_known == 1 && !r->corrected);
    check(r, 0.75, 1);
    rlct_result_free(r);
    model_free(m);
    model_free(t);
}

static void test_hartigan(void **state)
{
    (void)state;
    model *m = mk(model_gmm, "v=0.5 w1=0 w2=0", "w1");
    model *t = mk(model_gmm, "v=0 w1=0 w2=0", NULL);
    set_prior(m, "v", "uniform", 0, 1);
    set_prior(m, "w2", "uniform", -1, 1);
    rlct_result *r = run(m, t, 10, 2, 1);
    assert_true(r->m_known == 2);
    check(r, 0.5, 2);
    rlct_result_free(r);
    model_free(m);
    model_free(t);
}

static void test_arma(void **state)
{
    (void)state;
    model *m = mk(model_arma, "p=1 q=1 ar1=0 ma1=0", NULL);
    model *t = mk(model_arma, "p=1 q=1 ar1=0 ma1=0", NULL);
    set_prior(m, "ar1", "uniform", -0.9, 0.9);
    set_prior(m, "ma1", "uniform", -0.9, 0.9);
    rlct_result *r = run(m, t, 10, 2, 1);
    check(r, 0.5, 1);
    rlct_result_free(r);
    model_free(m);
    model_free(t);
}

static void mlp2_priors(model *m)
{
    set_prior(m, "w1", "uniform", -2, 2);
    set_prior(m, "w2", "uniform", -2, 2);
    set_prior(m, "J1", "uniform", -2, 2);
    set_prior(m, "J2", "uniform", -2, 2);
}

static void test_mlp2_zero(void **state)
{
    (void)state;
    model *m = mk(model_mlp2, "w1=0 w2=0 J1=0 J2=0", NULL);
    model *t = mk(model_mlp2, "w1=0 w2=0 J1=0 J2=0", NULL);
    mlp2_priors(m);
    rlct_result *r = run(m, t, 10, 2, 1);
    check(r, 2.0 / 3.0, 1);
    rlct_result_free(r);
    model_free(m);
    model_free(t);
}

static void test_mlp2_teacher(void **state)
{
    (void)state;
    model *m = mk(model_mlp2, "w1=1 w2=0 J1=1 J2=0", NULL);
    model *t = mk(model_mlp2, "w1=1 w2=0 J1=1 J2=0", NULL);
    mlp2_priors(m);
    rlct_result *r = run(m, t, 10, 2, 1);
    check(r, 1.25, 1);
    rlct_result_free(r);
    model_free(m);
    model_free(t);
}

/* a regular model: the means of a fixed-weight mixture, the truth off
 * the singular set w1 = w2: lambda = k/2 = 1 */
static void test_regular(void **state)
{
    (void)state;
    model *m = mk(model_gmm, "v=0.5 w1=-1 w2=1", "v");
    model *t = mk(model_gmm, "v=0.5 w1=-1 w2=1", NULL);
    set_prior(m, "w1", "uniform", -3, 3);
    set_prior(m, "w2", "uniform", -3, 3);
    rlct_result *r = run(m, t, 10, 2, 1);
    assert_true(r->known == 1 && r->k == 2);
    check(r, 1, 1);
    rlct_result_free(r);
    model_free(m);
    model_free(t);
}

/* the numbers do not depend on the thread count */
static void test_threads(void **state)
{
    (void)state;
    model *m = mk(model_gmm, "v=0.5 w1=0 w2=0", NULL);
    model *t = mk(model_gmm, "v=0 w1=0 w2=0", NULL);
    set_prior(m, "v", "uniform", 0, 1);
    set_prior(m, "w1", "uniform", -1, 1);
    set_prior(m, "w2", "uniform", -1, 1);
    size_t ns[3] = {20, 40, 80};
    rlct_result *r[2];
    for (unsigned th = 1; th <= 2; th++) {
        rlctw_spec sp = {.J = 3, .ns = ns, .reps = 2, .samples = 100,
                         .chains = 3, .burnin = 50, .sampler = POST_RWM,
                         .seed = 7, .threads = th};
        assert_int_equal(rlctw_run(m, t, &sp, &r[th - 1]), SS_OK);
    }
    size_t N = r[0]->wbic->runs_done;
    assert_int_equal(N, 6);
    assert_memory_equal(r[0]->wbic->y, r[1]->wbic->y, N * sizeof(double));
    assert_memory_equal(r[0]->wbic->lam2, r[1]->wbic->lam2,
                        N * sizeof(double));
    assert_memory_equal(&r[0]->lambda, &r[1]->lambda, sizeof(double));
    /* y = WBIC - n L_n(w0) run by run, and the two-temperature estimate
     * 2 (E^b1 - E^b2) / log n from the same E's is positive at lambda > 0
     * only on average: check the identity for y */
    for (size_t q = 0; q < N; q++)
        assert_true(r[0]->wbic->y[q] ==
                    r[0]->wbic->wbic[q] - r[0]->wbic->nl0[q]);
    /* n L_n(w0) of run q: the data from (seed, rlct wbic, q), N(0, 1):
     * sum x^2 / 2 + (n/2) log 2 pi */
    gsl_rng *g = ss_rng_alloc();
    for (size_t q = 0; q < N; q++) {
        size_t n = ns[q / 2];
        gsl_matrix *X = gsl_matrix_alloc(n, 1);
        ss_rng_seed(g, 7, SS_STREAM_RLCT_WBIC, q);
        assert_int_equal(t->type->sample(t, t->theta, g, X), SS_OK);
        double s2 = 0;
        for (size_t i = 0; i < n; i++)
            s2 += gsl_matrix_get(X, i, 0) * gsl_matrix_get(X, i, 0);
        double want = 0.5 * s2 + 0.5 * (double)n * log(2 * M_PI);
        assert_true(fabs(r[0]->wbic->nl0[q] - want) < 1e-9 * want);
        gsl_matrix_free(X);
    }
    ss_rng_free(g);
    rlct_result_free(r[0]);
    rlct_result_free(r[1]);
    model_free(m);
    model_free(t);
}

/* Ctrl-C keeps the sample sizes whose runs all finished */
static void test_interrupt(void **state)
{
    (void)state;
    model *m = mk(model_gmm, "v=0.5 w1=0 w2=0", NULL);
    model *t = mk(model_gmm, "v=0 w1=0 w2=0", NULL);
    set_prior(m, "v", "uniform", 0, 1);
    set_prior(m, "w1", "uniform", -1, 1);
    set_prior(m, "w2", "uniform", -1, 1);
    size_t ns[5] = {20, 30, 40, 60, 80};
    rlctw_spec sp = {.J = 5, .ns = ns, .reps = 2, .samples = 100,
                     .chains = 2, .burnin = 50, .sampler = POST_RWM,
                     .seed = 3, .threads = 1};
    rlctw_iter *it = NULL;
    assert_int_equal(rlctw_iter_alloc(m, t, &sp, &it), SS_OK);
    size_t done = 0, total = 0;
    /* stop in the middle of the 4th n point's second run */
    while (done < 7) {
        assert_int_equal(rlctw_iter_iterate(it), SS_OK);
        rlctw_iter_type.progress(it, &done, &total);
    }
    assert_int_equal(total, 10);
    rlct_result *r = NULL;
    assert_int_equal(rlctw_iter_take(it, 1, &r), SS_OK);
    assert_true(r->interrupted);
    assert_int_equal(r->wbic->Jdone, 3);
    assert_int_equal(r->wbic->runs_done, 6);
    rlct_result_free(r);
    rlctw_iter_free(it);
    /* fewer than 3 n points: nothing */
    assert_int_equal(rlctw_iter_alloc(m, t, &sp, &it), SS_OK);
    done = 0;
    while (done < 4) {
        assert_int_equal(rlctw_iter_iterate(it), SS_OK);
        rlctw_iter_type.progress(it, &done, &total);
    }
    assert_int_not_equal(rlctw_iter_take(it, 1, &r), SS_OK);
    assert_null(r);
    rlctw_iter_free(it);
    model_free(m);
    model_free(t);
}

static void test_refusals(void **state)
{
    (void)state;
    model *m = mk(model_gmm, "v=0.5 w1=0.5 w2=0.5", NULL);
    model *t = mk(model_gmm, "v=0 w1=0 w2=0", NULL);
    size_t ns[3] = {20, 40, 80}, bad[3] = {20, 80, 40}, small[3] = {5, 40, 80};
    rlctw_spec sp = {.J = 3, .ns = ns, .reps = 1, .samples = 100,
                     .chains = 2, .burnin = 50, .sampler = POST_RWM,
                     .seed = 1, .threads = 1};
    rlctw_iter *it = NULL;
    /* no prior */
    assert_int_not_equal(rlctw_iter_alloc(m, t, &sp, &it), SS_OK);
    assert_non_null(strstr(ss_last_error()->msg, "proper prior"));
    set_prior(m, "v", "uniform", 0, 1);
    set_prior(m, "w1", "uniform", 0.2, 1); /* misses the truth's 0 */
    set_prior(m, "w2", "uniform", -1, 1);
    assert_int_not_equal(rlctw_iter_alloc(m, t, &sp, &it), SS_OK);
    assert_non_null(strstr(ss_last_error()->msg, "does not cover"));
    set_prior(m, "w1", "uniform", -1, 1);
    sp.ns = bad;
    assert_int_not_equal(rlctw_iter_alloc(m, t, &sp, &it), SS_OK);
    assert_non_null(strstr(ss_last_error()->msg, "must increase"));
    sp.ns = small;
    assert_int_not_equal(rlctw_iter_alloc(m, t, &sp, &it), SS_OK);
    assert_non_null(strstr(ss_last_error()->msg, "below"));
    sp.ns = ns;
    sp.J = 2;
    assert_int_not_equal(rlctw_iter_alloc(m, t, &sp, &it), SS_OK);
    sp.J = 3;
    sp.samples = 10; /* the posterior's own check */
    assert_int_not_equal(rlctw_iter_alloc(m, t, &sp, &it), SS_OK);
    assert_null(it);
    /* the truth not realised with w1 fixed away from it */
    model *h = mk(model_gmm, "v=0.5 w1=0.5 w2=0", "w1");
    set_prior(h, "v", "uniform", 0, 1);
    set_prior(h, "w2", "uniform", -1, 1);
    sp.samples = 100;
    assert_int_not_equal(rlctw_iter_alloc(h, t, &sp, &it), SS_OK);
    assert_non_null(strstr(ss_last_error()->msg, "realise"));
    /* the ladder */
    size_t got, buf[10];
    assert_int_equal(rlctw_ladder(100, 3000, 10, buf, &got), SS_OK);
    assert_int_equal(got, 10);
    assert_int_equal(buf[0], 100);
    assert_int_equal(buf[9], 3000);
    for (size_t j = 1; j < got; j++) /* log-spaced: ratios 30^(1/9) */
        assert_true(fabs(log((double)buf[j] / (double)buf[j - 1]) -
                         log(30.0) / 9) < 0.01);
    assert_int_not_equal(rlctw_ladder(10, 11, 5, buf, &got), SS_OK);
    model_free(h);
    model_free(m);
    model_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_interrupt),
        cmocka_unit_test(test_gmm34),
        cmocka_unit_test(test_hartigan),
        cmocka_unit_test(test_arma),
        cmocka_unit_test(test_mlp2_zero),
        cmocka_unit_test(test_mlp2_teacher),
        cmocka_unit_test(test_regular),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

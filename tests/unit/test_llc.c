/* The local learning coefficient by localised SGLD (bayes/llc.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bayes/llc.h"
#include "model/model.h"

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

static llc_result *run(const model *m, const model *t, llc_spec sp)
{
    llc_result *r = NULL;
    ss_status st = llc_run(m, t, &sp, &r);
    if (st != SS_OK)
        print_message("%s\n", ss_last_error()->msg);
    assert_int_equal(st, SS_OK);
    return r;
}

static llc_spec defaults(uint64_t seed)
{
    return (llc_spec){.n = LLC_N_DEFAULT, .eps = LLC_EPS_DEFAULT,
                      .gamma = LLC_GAMMA_DEFAULT, .steps = LLC_STEPS_DEFAULT,
                      .burnin = LLC_BURNIN_DEFAULT,
                      .chains = LLC_CHAINS_DEFAULT, .seed = seed,
                      .threads = 2};
}

/* The regular model N(w1, 1) (gmm, v = 0 and w2 fixed), where the
 * discrete chain itself is solvable. With a = n beta + gamma and
 * m = (n beta xbar + gamma w*) / a the full-batch update is
 *     w' - m = (1 - eps a / 2)(w - m) + sqrt(eps) z,
 * an AR(1) whose stationary law is N(m, s2), s2 = 1 / (a (1 - eps a / 4)).
 * L_n(w) - L_n(w*) = ((w - xbar)^2 - (w* - xbar)^2) / 2 exactly, so
 *     E[n beta (L_n(w) - L_n(w*))]
 *       = (n beta / 2) (s2 + (m - xbar)^2 - (w* - xbar)^2),
 * which is k/2 = 1/2 up to the offset -n beta (w* - xbar)^2 / 2 (the data's
 * own noise, O(beta)), the localisation's -gamma/(2 n beta) and the step's
 * +eps n beta / 8 (both small at the defaults). The burn-in leaves
 * (1 - eps a / 2)^burnin of the start: e^-70 here. */
static void test_regular_exact(void **state)
{
    (void)state;
    model *m = mk(model_gmm, "v=0 w1=0 w2=0", "v w2");
    model *t = mk(model_gmm, "v=0 w1=0 w2=0", NULL);
    gsl_matrix *X = gsl_matrix_alloc(400, 1);
    double xbar = 0;
    for (size_t i = 0; i < 400; i++) { /* a fixed, slightly off-centre set */
        double x = sin(1.7 * (double)i) + 0.05;
        gsl_matrix_set(X, i, 0, x);
        xbar += x / 400;
    }
    double gam[2] = {1, 20};
    for (int j = 0; j < 2; j++) {
        llc_spec sp = defaults(7);
        sp.data = X;
        sp.gamma = gam[j];
        sp.eps = 2e-3;
        sp.steps = 40000;
        llc_result *r = run(m, t, sp);
        double nb = 400 / log(400.0), a = nb + gam[j];
        double mu = nb * xbar / a, s2 = 1 / (a * (1 - sp.eps * a / 4));
        double want = nb / 2 * (s2 + (mu - xbar) * (mu - xbar) - xbar * xbar);
        print_message("gamma %g: lambda %.4f se %.4f exact %.4f\n", gam[j],
                      r->lambda, r->se, want);
        assert_true(fabs(r->nbeta - nb) < 1e-9);
        assert_true(fabs(r->lambda - want) < 4 * r->se);
        assert_true(r->se < 0.02);
        assert_true(r->reflected == 0 && r->refused == 0);
        assert_true(r->warn[0] == 0);
        llc_result_free(r);
    }
    gsl_matrix_free(X);
    model_free(m);
    model_free(t);
}

/* at_min on the same regular model: the minimiser of
 * n beta L_n(w) + (gamma/2)(w - w*)^2 is m0 = (n beta xbar + gamma w*)/a,
 * and the chains, localised at m0, are the AR(1) about
 * m1 = (n beta xbar + gamma m0)/a with the same s2, so
 *     E[lambda-hat] = (n beta / 2) (s2 + (m1 - xbar)^2 - (m0 - xbar)^2):
 * the data's offset -n beta (w* - xbar)^2 / 2 is gone (to O(gamma^2)).
 * The descent must find m0 to 1e-6 (it is a 1-d quadratic). */
static void test_at_min_exact(void **state)
{
    (void)state;
    model *m = mk(model_gmm, "v=0 w1=0 w2=0", "v w2");
    model *t = mk(model_gmm, "v=0 w1=0 w2=0", NULL);
    gsl_matrix *X = gsl_matrix_alloc(400, 1);
    double xbar = 0;
    for (size_t i = 0; i < 400; i++) {
        double x = sin(1.7 * (double)i) + 0.15;
        gsl_matrix_set(X, i, 0, x);
        xbar += x / 400;
    }
    llc_spec sp = defaults(7);
    sp.data = X;
    sp.eps = 2e-3;
    sp.steps = 40000;
    sp.at_min = 1;
    llc_result *r = run(m, t, sp);
    double nb = 400 / log(400.0), a = nb + 1;
    double m0 = nb * xbar / a, m1 = (nb * xbar + m0) / a;
    double s2 = 1 / (a * (1 - sp.eps * a / 4));
    double want = nb / 2 * (s2 + (m1 - xbar) * (m1 - xbar) -
                            (m0 - xbar) * (m0 - xbar));
    double off = nb / 2 * (s2 + (m0 - xbar) * (m0 - xbar) - xbar * xbar);
    print_message("at_min: lambda %.4f se %.4f exact %.4f (at w*: %.4f), "
                  "moved %.6f of %.6f\n",
                  r->lambda, r->se, want, off, r->moved, m0);
    assert_true(fabs(r->moved - fabs(m0)) < 1e-6);
    assert_true(fabs(r->lambda - want) < 4 * r->se);
    assert_true(fabs(off - want) > 8 * r->se); /* the offset is seen */
    /* L_n(w) = ((w - xbar)^2 + const) / 2 */
    assert_true(fabs(r->Ltruth - r->Lstar - xbar * xbar / 2 +
                     (m0 - xbar) * (m0 - xbar) / 2) < 1e-9);
    llc_result_free(r);
    gsl_matrix_free(X);
    model_free(m);
    model_free(t);
}

/* The same numbers on 1 and 2 threads: each chain has its own stream. */
static void test_threads(void **state)
{
    (void)state;
    model *m = mk(model_gmm, "v=0 w1=0 w2=0", "w1");
    model *t = mk(model_gmm, "v=0 w1=0 w2=0", NULL);
    llc_spec sp = defaults(5);
    sp.steps = 1000;
    sp.burnin = 200;
    sp.threads = 1;
    llc_result *a = run(m, t, sp);
    sp.threads = 2;
    llc_result *b = run(m, t, sp);
    assert_true(a->lambda == b->lambda && a->se == b->se);
    assert_memory_equal(a->trace, b->trace,
                        a->nchains * a->ntrace * sizeof *a->trace);
    llc_result_free(a);
    llc_result_free(b);
    model_free(m);
    model_free(t);
}

/* The mean of lambda-hat over D data sets (seeds 1..D) and its error from
 * their spread, which holds the data's own fluctuation: Watanabe's
 * E^beta[n L_n] = n L_n(w0) + lambda / beta + U_n sqrt(lambda / (2 beta))
 * makes one data set's n beta (E L_n - L_n(w*)) move by about
 * sqrt(lambda beta / 2) ~ 0.2 at n = 1000, far more than the chains'
 * error. */
static double over_data(const model *m, const model *t, llc_spec sp,
                        size_t D, double *sd_mean, double *known)
{
    double s = 0, s2 = 0;
    for (size_t d = 1; d <= D; d++) {
        sp.seed = d;
        llc_result *r = run(m, t, sp);
        print_message("  seed %zu: %.4f (se %.3f) %s\n", d, r->lambda, r->se,
                      r->warn);
        s += r->lambda;
        s2 += r->lambda * r->lambda;
        *known = r->known;
        llc_result_free(r);
    }
    double mu = s / (double)D;
    *sd_mean = sqrt(fmax(s2 / (double)D - mu * mu, 0) * (double)D /
                    (double)(D - 1) / (double)D);
    return mu;
}

/* gmm (v, w1, w2) at a single Gaussian: lambda = 3/4, m = 1. At n = 1000
 * (n beta = 145) with gamma = 1 the localisation and the finite-n terms
 * are O(1/log(n beta)) and partly cancel (docs/theory.md 11); over six
 * data sets the mean was 0.73 with the error 0.05. The tolerance 0.15 is
 * that error's 3x, and k/2 = 1.5 lies beyond 10 errors. */
static void test_gmm34(void **state)
{
    (void)state;
    model *m = mk(model_gmm, "v=0 w1=0 w2=0", NULL);
    model *t = mk(model_gmm, "v=0 w1=0 w2=0", NULL);
    llc_spec sp = defaults(1);
    sp.chains = 2;
    double se, known, mu = over_data(m, t, sp, 4, &se, &known);
    print_message("gmm 3/4: mean %.4f se %.4f\n", mu, se);
    assert_true(known == 0.75);
    assert_true(fabs(mu - 0.75) < 0.15);
    assert_true(mu < 1.5 - 0.5);
    model_free(m);
    model_free(t);
}

/* Hartigan's mixture (w1 = 0 fixed, v and w2 free): lambda = 1/2, m = 2.
 * From V(t) ~ t^lambda (-log t)^(m-1), Z(beta) ~ (n beta)^-lambda
 * (log n beta)^(m-1), so E^beta[n beta K] = -beta d log Z / d beta
 * = lambda - (m-1)/log(n beta) + O(1/log^2): 0.5 - 0.20 = 0.30 at
 * n = 1000. The estimate is checked against that, within 0.1 for the
 * O(1/log^2) term and the data's fluctuation, and against k/2 = 1. */
static void test_hartigan(void **state)
{
    (void)state;
    model *m = mk(model_gmm, "v=0 w1=0 w2=0", "w1");
    model *t = mk(model_gmm, "v=0 w1=0 w2=0", NULL);
    llc_spec sp = defaults(1);
    sp.chains = 2;
    double se, known, mu = over_data(m, t, sp, 4, &se, &known);
    double nb = 1000 / log(1000.0), lead = 0.5 - 1 / log(nb);
    print_message("hartigan: mean %.4f se %.4f leading order %.4f\n", mu, se,
                  lead);
    assert_true(known == 0.5);
    assert_true(fabs(mu - lead) < 0.1);
    assert_true(mu < 1.0 - 0.5);
    model_free(m);
    model_free(t);
}

/* ARMA(1,1) on white noise (lambda = 1/2, m = 1) with gamma = 10. At w*
 * itself the estimate fails for some data sets (-0.17 .. 0.49 over seeds
 * 1..4: the data's minimum near the flat line ar1 = -ma1 lies below
 * L_n(w*) by up to 0.7 in n beta units, and the chains find it). Centred
 * at the data's minimiser (at_min) the offset is gone; over seeds 1..4
 * the mean is checked within 0.15 of 1/2 (the data's own spread,
 * sqrt(lambda beta / 2) = 0.19 a set, is 0.1 for the mean of four), and
 * k/2 = 1 is rejected. */
static void test_arma_at_min(void **state)
{
    (void)state;
    model *m = mk(model_arma, "p=1 q=1 ar1=0 ma1=0", NULL);
    model *t = mk(model_arma, "p=1 q=1 ar1=0 ma1=0", NULL);
    llc_spec sp = defaults(1);
    sp.chains = 2;
    sp.gamma = 10;
    sp.at_min = 1;
    double se, known, mu = over_data(m, t, sp, 4, &se, &known);
    print_message("arma at_min: mean %.4f se %.4f\n", mu, se);
    assert_true(known == 0.5);
    assert_true(fabs(mu - 0.5) < 0.15);
    assert_true(mu < 1.0 - 0.3);
    model_free(m);
    model_free(t);
}

/* The value shown for a one-unit teacher: with the dead unit at
 * w2 = J2 = 0, w* is on the elimination branch alone, where the local
 * coefficient is 1/2 + 1/2 (the live unit) + 1/2 with m = 2 (J2 w2), not
 * the global 5/4 of the overlap branch w2 = w1 (docs/theory.md 11). With
 * w2 = 0.5, J2 = 0 nothing local is claimed and the global 5/4 stays. */
static void test_teacher_known(void **state)
{
    (void)state;
    model *m = mk(model_mlp2, "d=1 w1=1 w2=0 J1=1 J2=0", NULL);
    model *t2 = mk(model_mlp2, "d=1 w1=1 w2=0.5 J1=1 J2=0", NULL);
    llc_spec sp = defaults(1);
    sp.steps = 100;
    sp.burnin = 0;
    sp.chains = 1;
    sp.n = 50;
    llc_result *r = run(m, m, sp);
    assert_true(r->known == 1.5 && r->m_known == 2);
    assert_non_null(strstr(r->known_what, "locally at w*"));
    llc_result_free(r);
    r = run(t2, t2, sp);
    assert_true(r->known == 1.25);
    llc_result_free(r);
    model_free(m);
    model_free(t2);
}

/* mlp2 (2/3 at the zero function, 5/4 with a one-unit teacher) is not in
 * make check: see docs/theory.md 11 for what the estimates are and why. */

static void expect_fail(const model *m, const model *t, llc_spec sp,
                        const char *what)
{
    llc_result *r = NULL;
    ss_status st = llc_run(m, t, &sp, &r);
    assert_int_not_equal(st, SS_OK);
    assert_null(r);
    print_message("refused: %s\n", ss_last_error()->msg);
    assert_non_null(strstr(ss_last_error()->msg, what));
}

static void test_bad(void **state)
{
    (void)state;
    model *m = mk(model_gmm, "v=0 w1=0.3 w2=0", "w1");
    model *t = mk(model_gmm, "v=0 w1=0 w2=0", NULL);
    model *g = mk(model_gmm, "v=0 w1=0 w2=0", NULL);
    model *a = mk(model_arma, "p=1 q=1 ar1=0 ma1=0", NULL);
    llc_spec sp = defaults(1);
    expect_fail(m, t, sp, "does not realise the truth");
    expect_fail(g, a, sp, "the model's family");
    sp.eps = 0;
    expect_fail(g, t, sp, "eps=0");
    sp.eps = 1e-4;
    sp.gamma = -1;
    expect_fail(g, t, sp, "gamma=-1");
    sp.gamma = 1;
    sp.batch = 5000;
    expect_fail(g, t, sp, "batch=5000");
    sp.batch = 10;
    expect_fail(a, a, sp, "independent rows");
    sp.batch = 0;
    sp.steps = 10;
    expect_fail(g, t, sp, "steps=10");
    model_free(m);
    model_free(t);
    model_free(g);
    model_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_regular_exact), cmocka_unit_test(test_threads),
        cmocka_unit_test(test_at_min_exact),
        cmocka_unit_test(test_gmm34),        cmocka_unit_test(test_hartigan),
        cmocka_unit_test(test_arma_at_min),
        cmocka_unit_test(test_teacher_known),
        cmocka_unit_test(test_bad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

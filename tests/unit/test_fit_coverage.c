/* The Levenberg-Marquardt fit of mlp2 (infer/fit_lm.c) at a regular
 * teacher: over R replicates the estimate's sampling error is that of the
 * inverse Fisher information (docs/theory.md, "Maximum-likelihood fits";
 * the "EM and LM fits recover planted parameters ... coverage of
 * 95% intervals over replicates"; the EM half is test_gmm_coverage in
 * test_fit.c).
 *
 * Teacher: d = 2, erf, sigma = 0.5, w1 = 1, w2 = -1, J1 = (2, 1),
 * J2 = (-1, 2): no weight or input vector is zero and J1 != +-J2, so the
 * point is off every singular set of mlp2 and G is positive definite.
 * Replicate r draws n = 500 examples from the stream (1000 + r,
 * SS_STREAM_TEST, 0) and fits all six parameters by method=lm from 2
 * starts (the model's point and the first of the spread). |J| = 2.2 and
 * sigma = 0.5 make the units nonlinear enough for n = 500 to be
 * asymptotic: at J1 = (1, 0.5), J2 = (-0.5, 1), sigma = 1 the exact se of
 * w1 is 0.27 at n = 500 and the fits wander far along the near-linear
 * trade-off of w and |J| (several replicates beyond 5 se), which is no
 * test of the inverse FIM.
 *
 * Label switching: with g odd, f is unchanged by swapping the two units
 * and by flipping the sign of a unit's (w, J); these 8 maps send the
 * teacher to 8 distinct points. Each fit is mapped to the one of the 8
 * labellings nearest the teacher in the metric of the exact standard
 * errors (its standard errors permuted with it), and the nearest must be
 * unambiguous (the second nearest at least 10 times farther in squared
 * standardised distance), so the matching cannot manufacture coverage.
 *
 * Tolerances, with R = 400 (replicates independent, seeds fixed):
 *  - each parameter's coverage of theta_hat +- 1.96 se (se from the
 *    observed information, as `fit` reports it) is Binomial(400, 0.95)/400
 *    up to the O(1/n) error of the normal approximation: SD 0.0109; the
 *    band [0.91, 0.99] is 3.7 SD either side, so six parameters give a
 *    false alarm below 0.2% under the asymptotic law;
 *  - the coverage over all 2400 intervals: its SD is at most 0.0109
 *    (fully correlated intervals) and 0.0044 if independent; band
 *    [0.92, 0.98];
 *  - the replicates' SD of each estimate against the exact
 *    sqrt(diag(G^-1)/n) at the teacher (the closed-form exact FIM, an
 *    independent route from the observed information): a sample SD of 400
 *    normal draws has relative SD 1/sqrt(2 * 399) = 0.035; band 15%
 *    (4.2 SD);
 *  - the mean over replicates of the reported se against the exact one:
 *    the observed information's relative error per fit is O(n^-1/2) and
 *    averages out; its bias is O(1/n); band 10%. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testutil.h"

#include "core/rng.h"
#include "fim/fim.h"
#include "infer/fit.h"
#include "model/model.h"

#include <gsl/gsl_linalg.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define NP 6
#define NREP 400
#define NOBS 500

static model *teacher(void)
{
    double d = 2, w1 = 1, w2 = -1, J1[2] = {2, 1}, J2[2] = {-1, 2}, s = 0.5;
    model_arg a[] = {{"d", NULL, &d, 1, 0, 0, NULL, 0, 0},     {"sigma", NULL, &s, 1, 0, 0, NULL, 0, 0},
                     {"w1", NULL, &w1, 1, 0, 0, NULL, 0, 0},   {"w2", NULL, &w2, 1, 0, 0, NULL, 0, 0},
                     {"J1", NULL, J1, 2, 1, 0, NULL, 0, 0},    {"J2", NULL, J2, 2, 1, 0, NULL, 0, 0}};
    model *m = NULL;
    ss_status st = model_alloc(model_type_find("mlp2"), a, 6, &m);
    if (st != SS_OK)
        print_error("mlp2: %s\n", ss_last_error()->msg);
    assert_int_equal(st, SS_OK);
    assert_int_equal(m->P, NP);
    return m;
}

/* Exact standard errors sqrt(diag(G^-1)/n) at the teacher. */
static void exact_se(const model *t, size_t n, double *se)
{
    fim_request req = {.method = FIM_EXACT, .no_root = 1};
    fim_result *G = NULL;
    assert_int_equal(fim_compute(t, &req, &G), SS_OK);
    assert_int_equal(G->k, NP);
    gsl_matrix *A = gsl_matrix_alloc(NP, NP);
    gsl_matrix_memcpy(A, G->G);
    assert_int_equal(gsl_linalg_cholesky_decomp1(A), 0);
    assert_int_equal(gsl_linalg_cholesky_invert(A), 0);
    for (size_t a = 0; a < NP; a++)
        se[G->idx[a]] = sqrt(gsl_matrix_get(A, a, a) / (double)n);
    gsl_matrix_free(A);
    fim_result_free(G);
}

/* The 8 maps of the parameters (w1, w2, J1_1, J1_2, J2_1, J2_2) that leave
 * f unchanged: map m sends position src[i] of the fit, times sgn[i], to
 * position i. Bit 0: swap the units; bit 1: flip unit 1 (after the swap);
 * bit 2: flip unit 2. */
static void sym_map(int m, int src[NP], double sgn[NP])
{
    static const int id[NP] = {0, 1, 2, 3, 4, 5}, sw[NP] = {1, 0, 4, 5, 2, 3};
    for (int i = 0; i < NP; i++) {
        src[i] = (m & 1) ? sw[i] : id[i];
        sgn[i] = 1;
    }
    if (m & 2)
        sgn[0] = sgn[2] = sgn[3] = -1;
    if (m & 4)
        sgn[1] = sgn[4] = sgn[5] = -1;
}

/* The 8 images of the teacher are distinct: each is more than 10 exact
 * standard errors (in the standardised norm) from the teacher, so a
 * nearest-labelling match is meaningful. */
static void test_labellings_distinct(void **state)
{
    (void)state;
    model *t = teacher();
    double se[NP];
    exact_se(t, NOBS, se);
    for (int m = 1; m < 8; m++) {
        int src[NP];
        double sgn[NP], d2 = 0;
        sym_map(m, src, sgn);
        for (int i = 0; i < NP; i++) {
            double e = (sgn[i] * t->theta[src[i]] - t->theta[i]) / se[i];
            d2 += e * e;
        }
        assert_true(d2 > 100);
    }
    model_free(t);
}

static void test_lm_coverage(void **state)
{
    (void)state;
    model *t = teacher();
    double se0[NP];
    exact_se(t, NOBS, se0);
    gsl_matrix *X = gsl_matrix_alloc(NOBS, 3);
    gsl_rng *rng = ss_rng_alloc();
    size_t cover[NP] = {0}, all = 0, nonconv = 0;
    double sum[NP] = {0}, sum2[NP] = {0}, sumse[NP] = {0};
    for (int rep = 0; rep < NREP; rep++) {
        ss_rng_seed(rng, 1000 + (uint64_t)rep, SS_STREAM_TEST, 0);
        assert_int_equal(t->type->sample(t, t->theta, rng, X), SS_OK);
        fit_spec sp = {.method = "lm", .starts = 2, .seed = (uint64_t)rep};
        fit_result *r = NULL;
        ss_status st = fit_run(t, X, &sp, &r);
        if (st != SS_OK)
            print_error("replicate %d: %s\n", rep, ss_last_error()->msg);
        assert_int_equal(st, SS_OK);
        nonconv += !r->converged;
        if (!r->have_se)
            print_error("replicate %d: no standard errors: %s\n", rep,
                        r->se_why);
        assert_true(r->have_se);
        /* the labelling nearest the teacher, and the runner-up */
        int best = -1;
        double d1 = INFINITY, d2 = INFINITY;
        for (int m = 0; m < 8; m++) {
            int src[NP];
            double sgn[NP], d = 0;
            sym_map(m, src, sgn);
            for (int i = 0; i < NP; i++) {
                double e = (sgn[i] * r->theta[src[i]] - t->theta[i]) / se0[i];
                d += e * e;
            }
            if (d < d1) {
                d2 = d1;
                d1 = d;
                best = m;
            } else if (d < d2)
                d2 = d;
        }
        if (!(d2 >= 10 * d1))
            print_error("replicate %d: ambiguous labelling (%g, %g)\n", rep,
                        d1, d2);
        assert_true(d2 >= 10 * d1);
        int src[NP];
        double sgn[NP];
        sym_map(best, src, sgn);
        for (int i = 0; i < NP; i++) {
            double th = sgn[i] * r->theta[src[i]], se = r->se[src[i]];
            assert_true(isfinite(se) && se > 0);
            int in = fabs(th - t->theta[i]) <= 1.96 * se;
            cover[i] += (size_t)in;
            all += (size_t)in;
            sum[i] += th;
            sum2[i] += th * th;
            sumse[i] += se;
        }
        fit_result_free(r);
    }
    double c = (double)all / (NP * NREP);
    print_message("coverage over %d intervals: %.4f (%zu fits not "
                  "converged)\n", NP * NREP, c, nonconv);
    assert_int_equal(nonconv, 0);
    for (int i = 0; i < NP; i++) {
        double ci = (double)cover[i] / NREP;
        double mean = sum[i] / NREP;
        double sd = sqrt((sum2[i] - NREP * mean * mean) / (NREP - 1));
        double mse = sumse[i] / NREP;
        print_message("  %-5s coverage %.4f  sd %.4f  exact se %.4f  mean "
                      "reported se %.4f  bias/se %+.3f\n",
                      MODEL_PNAME(t, (size_t)i), ci, sd, se0[i], mse,
                      (mean - t->theta[i]) / se0[i]);
        assert_true(ci >= 0.91 && ci <= 0.99);
        assert_close_msg(sd, se0[i], 0.15, 0, "replicate SD against exact se");
        assert_close_msg(mse, se0[i], 0.10, 0, "mean reported se against exact se");
    }
    assert_true(c >= 0.92 && c <= 0.98);
    ss_rng_free(rng);
    gsl_matrix_free(X);
    model_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_labellings_distinct),
        cmocka_unit_test(test_lm_coverage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

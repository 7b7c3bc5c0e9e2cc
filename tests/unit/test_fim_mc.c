/* Monte-Carlo FIM statistics against the exact FIM: over seeded replicates
 * the reported 95% interval G +- 1.96 SE must cover the exact value as
 * often as the binomial distribution allows (ARMA's scores are correlated
 * along a series: batch means over independent series); a series burnt in
 * for the process's memory estimates the per-observation limit (the hidden
 * 4096-draw cut gave 239.7 for 500.25 near the unit circle); heavy-tailed
 * scores are flagged; the data-based FIMs work in pieces, stop on Ctrl-C
 * and refuse by bytes. Exact values: docs/theory.md section 2.3 (the
 * ARMA(1,1) closed form) and section 2.1 (Hartigan at v = 0:
 * e^{mu^2} - 1). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/interrupt.h"
#include "fim/fim.h"
#include "fim/fim_int.h"
#include "testutil.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPS 200

static model *make(const model_type *t, const char *const *keys,
                   const double *vals, size_t n)
{
    tu_args a;
    tu_args_init(&a);
    for (size_t i = 0; i < n; i++)
        tu_args_num(&a, keys[i], vals[i]);
    model *m = NULL;
    if (model_alloc(t, a.a, a.n, &m) != SS_OK)
        fail_msg("model_alloc: %s", ss_last_error()->msg);
    return m;
}

static model *make_arma(double ar, double ma)
{
    tu_args a;
    tu_args_init(&a);
    tu_args_vec(&a, "ar", &ar, 1);
    tu_args_vec(&a, "ma", &ma, 1);
    model *m = NULL;
    if (model_alloc(model_arma, a.a, a.n, &m) != SS_OK)
        fail_msg("model_alloc: %s", ss_last_error()->msg);
    return m;
}

static fim_result *mc(const model *m, size_t n, uint64_t seed)
{
    fim_request req = {0};
    req.method = FIM_MC;
    req.n = n;
    req.seed = seed;
    fim_result *f = NULL;
    if (fim_compute(m, &req, &f) != SS_OK)
        fail_msg("fim mc: %s", ss_last_error()->msg);
    return f;
}

/* Coverage count c of REPS intervals must be consistent with a coverage
 * of at least p_lo and at most p_hi: P(X <= c | p_lo) >= 1e-4 and
 * P(X >= c | p_hi) >= 1e-4 for X ~ Binomial(REPS, p). */
static void expect_coverage(const char *what, unsigned c, double p_lo,
                            double p_hi)
{
    double lo_tail = gsl_cdf_binomial_P(c, p_lo, REPS);
    double hi_tail = c == 0 ? 1.0 : gsl_cdf_binomial_Q(c - 1, p_hi, REPS);
    printf("  %s: %u of %d intervals cover\n", what, c, REPS);
    if (lo_tail < 1e-4 || hi_tail < 1e-4)
        fail_msg("%s: %u of %d intervals cover the exact value (expected "
                 "a coverage in [%g, %g]: tails %.3g, %.3g)",
                 what, c, REPS, p_lo, p_hi, lo_tail, hi_tail);
}

/* Replicates of the mc FIM of m with n draws: how often each entry's
 * 95% interval covers the exact G, and how many carried a warning. */
static void replicate(const model *m, size_t n, unsigned *cover,
                      unsigned *warned, gsl_matrix **exact_out)
{
    fim_request ex = {0};
    ex.method = FIM_EXACT;
    ex.no_root = 1;
    fim_result *g = NULL;
    if (fim_compute(m, &ex, &g) != SS_OK)
        fail_msg("exact: %s", ss_last_error()->msg);
    size_t k = g->k;
    memset(cover, 0, k * k * sizeof *cover);
    *warned = 0;
    for (uint64_t r = 0; r < REPS; r++) {
        fim_result *f = mc(m, n, 1000 + r);
        assert_int_equal(f->n, n);
        for (size_t i = 0; i < k; i++)
            for (size_t j = 0; j < k; j++) {
                double G = gsl_matrix_get(g->G, i, j);
                double est = gsl_matrix_get(f->G, i, j);
                double se = gsl_matrix_get(f->se, i, j);
                cover[i * k + j] += fabs(est - G) <= 1.96 * se;
            }
        *warned += f->warning[0] != 0;
        fim_result_free(f);
    }
    if (exact_out) {
        *exact_out = gsl_matrix_alloc(k, k);
        gsl_matrix_memcpy(*exact_out, g->G);
    }
    fim_result_free(g);
}

/* The case: coverage 0.77 for ar1 at ar=[0.9] ma=[0.5] with
 * per-term standard errors. Batch means over 64 independent series:
 * the interval is a t-interval with 63 degrees of freedom taken at the
 * normal quantile, coverage P(|t_63| < 1.96) = 0.945. */
static void test_arma_coverage(void **state)
{
    (void)state;
    model *m = make_arma(0.9, 0.5);
    unsigned cover[4], warned;
    replicate(m, 4096, cover, &warned, NULL);
    expect_coverage("arma(0.9, 0.5) I[ar1,ar1]", cover[0], 0.94, 0.95);
    expect_coverage("arma(0.9, 0.5) I[ar1,ma1]", cover[1], 0.94, 0.95);
    expect_coverage("arma(0.9, 0.5) I[ma1,ma1]", cover[3], 0.94, 0.95);
    assert_true(warned <= REPS / 20);
    model_free(m);
}

/* Near the unit circle (|z_MA| = 1.001) the estimate is the
 * per-observation limit 500.25, whatever n: a short series (n = 100, 0.40
 * before) and a long one agree with it within their errors. */
static void test_arma_near_unit_circle(void **state)
{
    (void)state;
    model *m = make_arma(0.5, 0.999);
    const double exact = 1.0 / (1.0 - 0.999 * 0.999);
    /* pooled over replicates: mean of the estimates and its error */
    const size_t ns[2] = {3200, 200000};
    const unsigned reps[2] = {12, 3};
    for (int c = 0; c < 2; c++) {
        double s = 0, s2 = 0;
        for (unsigned r = 0; r < reps[c]; r++) {
            fim_result *f = mc(m, ns[c], 77 + r);
            double v = gsl_matrix_get(f->G, 1, 1);
            s += v;
            s2 += v * v;
            fim_result_free(f);
        }
        double mean = s / reps[c];
        double sd = sqrt((s2 - s * mean) / (reps[c] - 1));
        double z = (mean - exact) / (sd / sqrt(reps[c]));
        printf("  n = %zu: mean %.4g, z = %.2f\n", ns[c], mean, z);
        if (!(fabs(z) < 4.5))
            fail_msg("n = %zu: I[ma1,ma1] averages %g over %u replicates, "
                     "exact %g (z = %.2f)",
                     ns[c], mean, reps[c], exact, z);
    }
    /* the short-series estimate's error is flagged */
    fim_result *f = mc(m, 100, 1);
    assert_true(f->warning[0] != 0);
    fim_result_free(f);
    model_free(m);
    /* a root too near the circle to burn in: refused, not wrong */
    m = make_arma(0.5, 0.99999);
    fim_request req = {0};
    req.method = FIM_MC;
    req.n = 100;
    fim_result *g = NULL;
    assert_int_equal(fim_compute(m, &req, &g), SS_ERR_RANGE);
    assert_null(g);
    assert_non_null(strstr(ss_last_error()->msg, "too long to burn in"));
    model_free(m);
}

/* An i.i.d. family keeps per-term standard errors: the mixture at a
 * regular point covers at 95% and is not flagged. */
static void test_gmm_coverage(void **state)
{
    (void)state;
    const char *keys[] = {"v", "w1", "w2"};
    const double vals[] = {0.3, 0, 1};
    model *m = make(model_gmm, keys, vals, 3);
    unsigned cover[9], warned;
    replicate(m, 2000, cover, &warned, NULL);
    expect_coverage("gmm I[v,v]", cover[0], 0.94, 0.96);
    expect_coverage("gmm I[w1,w2]", cover[5], 0.94, 0.96);
    expect_coverage("gmm I[w2,w2]", cover[8], 0.94, 0.96);
    assert_true(warned <= REPS / 20);
    model_free(m);
}

/* Hartigan at v = 0, mu = 2.5: the v score is e^{mu x - mu^2/2} - 1, its
 * square has mean e^{mu^2} - 1 = 517 but a fourth moment of e^{6 mu^2}:
 * the interval covers far less than 95% (30% in the issue), and the
 * estimate says so. */
static void test_heavy_tails_flagged(void **state)
{
    (void)state;
    const char *keys[] = {"v", "w1", "w2"};
    const double vals[] = {0, 0, 2.5};
    model *m = make(model_gmm, keys, vals, 3);
    m->is_free[1] = 0; /* fix g w1 */
    unsigned cover[4], warned;
    gsl_matrix *G;
    replicate(m, 5000, cover, &warned, &G);
    assert_close(gsl_matrix_get(G, 0, 0), expm1(6.25), 1e-6, 0);
    gsl_matrix_free(G);
    printf("  heavy: %u cover, %u warned\n", cover[0], warned);
    assert_true(cover[0] < 0.8 * REPS); /* the interval is not to be trusted */
    assert_true(warned >= 0.85 * REPS);  /* and that is said */
    model_free(m);
}

/* Empirical and observed FIMs in pieces of FIM_MC_CHUNK rows equal the
 * sums over all rows at once; Ctrl-C stops them; a series too long for
 * memory is refused by its bytes. */
static void test_data_fims_in_pieces(void **state)
{
    (void)state;
    const char *keys[] = {"v", "w1", "w2"};
    const double vals[] = {0.3, 0, 1};
    model *m = make(model_gmm, keys, vals, 3);
    size_t n = 3 * FIM_MC_CHUNK + 17;
    gsl_matrix *X = gsl_matrix_alloc(n, 1), *S = gsl_matrix_alloc(n, 3);
    double *ell = malloc(n * sizeof *ell);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 5);
    assert_int_equal(m->type->sample(m, m->theta, r, X), SS_OK);
    assert_int_equal(m->type->loglik_terms(m, m->theta, X, ell, S), SS_OK);
    fim_request req = {0};
    req.method = FIM_EMPIRICAL;
    req.data = X;
    fim_result *f = NULL;
    assert_int_equal(fim_compute(m, &req, &f), SS_OK);
    for (size_t i = 0; i < 3; i++)
        for (size_t j = 0; j < 3; j++) {
            long double s = 0;
            for (size_t t = 0; t < n; t++)
                s += (long double)gsl_matrix_get(S, t, i) *
                     gsl_matrix_get(S, t, j);
            assert_close(gsl_matrix_get(f->G, i, j), (double)(s / n), 1e-13,
                         1e-15);
        }
    fim_result_free(f);
    /* observed: -(1/n) sum of the Hessian = the exact FIM roughly;
     * checked against the empirical one at this sample size */
    req.method = FIM_OBSERVED;
    assert_int_equal(fim_compute(m, &req, &f), SS_OK);
    assert_close(gsl_matrix_get(f->G, 2, 2), 0.134, 0.15, 0);
    fim_result_free(f);
    /* Ctrl-C between pieces */
    for (int meth = 0; meth < 2; meth++) {
        req.method = meth ? FIM_OBSERVED : FIM_EMPIRICAL;
        ss_interrupt_raise();
        f = NULL;
        assert_int_equal(fim_compute(m, &req, &f), SS_ERR_INTERRUPTED);
        ss_interrupt_clear();
        assert_null(f);
    }
    model_free(m);
    /* a series: all of it at once, so bounded in bytes */
    m = make_arma(0.5, 0.3);
    double one = 0;
    gsl_matrix big = {0};
    big.size1 = (size_t)1 << 27; /* 2^27 x 3 doubles = 3.2 GB of scores */
    big.size2 = 1;
    big.tda = 1;
    big.data = &one; /* never read: the size is refused first */
    req.method = FIM_EMPIRICAL;
    req.data = &big;
    assert_int_equal(fim_compute(m, &req, &f), SS_ERR_LIMIT);
    assert_non_null(strstr(ss_last_error()->msg, "GB"));
    model_free(m);
    gsl_rng_free(r);
    free(ell);
    gsl_matrix_free(X);
    gsl_matrix_free(S);
}

/* The replicate runner's contract at the FIM level: the same numbers on
 * 1 and on 4 threads (chunks are drawn from their own random streams and
 * added in chunk order), and the same message when the draws fail. */
static int same_bits(const gsl_matrix *a, const gsl_matrix *b)
{
    return a && b && a->size1 == b->size1 && a->size2 == b->size2 &&
           memcmp(a->data, b->data, a->size1 * a->size2 * sizeof(double)) ==
               0;
}

static void test_threads_same_numbers(void **state)
{
    (void)state;
    const char *const keys[] = {"v", "w1", "w2"};
    const double vals[] = {0.385, -0.73, 0.9};
    model *m = make(model_gmm, keys, vals, 3);
    fim_result *f[2] = {NULL, NULL};
    const unsigned th[2] = {1, 4};
    for (int q = 0; q < 2; q++) {
        fim_request req = {0};
        req.method = FIM_MC;
        req.n = 20 * FIM_MC_CHUNK + 123;
        req.seed = 20261207;
        req.threads = th[q];
        if (fim_compute(m, &req, &f[q]) != SS_OK)
            fail_msg("mc on %u threads: %s", th[q], ss_last_error()->msg);
    }
    assert_int_equal(f[0]->n, f[1]->n);
    assert_true(same_bits(f[0]->G, f[1]->G));
    assert_true(same_bits(f[0]->se, f[1]->se));
    fim_result_free(f[0]);
    fim_result_free(f[1]);
    model_free(m);

    /* means far beyond the resolution of doubles near them: every chunk
     * refuses; the error is the first chunk's on any thread count */
    const double huge[] = {0.5, 1e16, 1e16};
    m = make(model_gmm, keys, huge, 3);
    char msg[2][1024];
    for (int q = 0; q < 2; q++) {
        fim_request req = {0};
        req.method = FIM_MC;
        req.n = 8 * FIM_MC_CHUNK;
        req.seed = 5;
        req.threads = th[q];
        fim_result *g = NULL;
        ss_clear_error();
        assert_int_not_equal(fim_compute(m, &req, &g), SS_OK);
        assert_null(g);
        snprintf(msg[q], sizeof msg[q], "%s", ss_last_error()->msg);
    }
    assert_true(msg[0][0] != 0);
    assert_string_equal(msg[0], msg[1]);
    model_free(m);
}

/* The Monte-Carlo chunk's power sums in vector lanes against the plain
 * per-draw loop on the same scores: the same additions in the same order,
 * so the same bits; and against the long-double accumulator of the
 * data-based estimators to 1e-12 relative. Free-index sets give 1, 6 and
 * 10 pairs (one group, a padded group, three groups), on a strided view,
 * with scores of mixed scale and sign. */
static void test_power_sums_lanes(void **state)
{
    (void)state;
    const size_t n = 3001, P = 5;
    gsl_matrix *A = gsl_matrix_alloc(n, P + 2);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 11);
    for (size_t t = 0; t < n; t++)
        for (size_t j = 0; j < P + 2; j++)
            gsl_matrix_set(A, t, j,
                           gsl_ran_gaussian(r, 1.0) * pow(10.0, (double)j - 2));
    gsl_matrix_view S = gsl_matrix_submatrix(A, 0, 1, n, P);
    const size_t sets[3][4] = {{3}, {0, 2, 4}, {0, 1, 3, 4}};
    const size_t ks[3] = {1, 3, 4};
    for (int q = 0; q < 3; q++) {
        size_t k = ks[q], np = k * (k + 1) / 2;
        double fast[40], plain[40];
        fim_mc_power_sums(&S.matrix, sets[q], k, fast);
        fim_mc_power_sums_plain(&S.matrix, sets[q], k, plain);
        assert_memory_equal(fast, plain, 4 * np * sizeof *fast);
        fim_acc acc;
        assert_int_equal(fim_acc_init(&acc, k), SS_OK);
        fim_acc_add_rows(&acc, &S.matrix, sets[q]);
        size_t e = 0;
        for (size_t i = 0; i < k; i++)
            for (size_t j = i; j < k; j++, e++) {
                const long double *ref[4] = {acc.sum, acc.s2, acc.s3, acc.s4};
                for (int p = 0; p < 4; p++) {
                    double want = (double)ref[p][i * k + j];
                    /* even powers are positive sums, their own scale;
                     * odd ones cancel: bound sum |y| and sum |y|^3 by
                     * Cauchy-Schwarz from the even ones */
                    double s2 = (double)acc.s2[i * k + j],
                           s4 = (double)acc.s4[i * k + j];
                    double scale = p == 0   ? sqrt(s2 * (double)n)
                                   : p == 1 ? s2
                                   : p == 2 ? sqrt(s2 * s4)
                                            : s4;
                    if (fabs(fast[4 * e + p] - want) > 1e-12 * scale)
                        fail_msg("k=%zu pair (%zu,%zu) power %d: %.17g, "
                                 "long double %.17g", k, i, j, p + 1,
                                 fast[4 * e + p], want);
                }
            }
        fim_acc_done(&acc);
    }
    /* the branch-free finiteness check, contiguous and strided */
    assert_true(fim_all_finite(&S.matrix));
    gsl_matrix_set(A, 17, 2, 1e308);
    assert_true(fim_all_finite(&S.matrix));
    gsl_matrix_set(A, 17, 0, INFINITY); /* outside the view */
    assert_true(fim_all_finite(&S.matrix));
    const double bad[2] = {-INFINITY, NAN};
    for (int q = 0; q < 2; q++) {
        gsl_matrix *C = gsl_matrix_alloc(n, P);
        gsl_matrix_memcpy(C, &S.matrix);
        assert_true(fim_all_finite(C));
        gsl_matrix_set(C, n - 1, P - 1, bad[q]);
        assert_false(fim_all_finite(C));
        gsl_matrix_set(A, 1234, 3, bad[q]);
        assert_false(fim_all_finite(&S.matrix));
        gsl_matrix_set(A, 1234, 3, 0.5);
        gsl_matrix_free(C);
    }
    /* contiguous, in eight sums and a tail: a bad entry anywhere of 1 to
     * 21 rows of 3 is found, and DBL_MAX everywhere is finite */
    for (size_t rows = 1; rows <= 21; rows++) {
        gsl_matrix *C = gsl_matrix_alloc(rows, 3);
        gsl_matrix_set_all(C, -DBL_MAX);
        assert_true(fim_all_finite(C));
        for (size_t e = 0; e < 3 * rows; e++)
            for (int q = 0; q < 2; q++) {
                C->data[e] = q ? NAN : INFINITY;
                assert_false(fim_all_finite(C));
                C->data[e] = DBL_MAX;
                assert_true(fim_all_finite(C));
            }
        gsl_matrix_free(C);
    }
    gsl_rng_free(r);
    gsl_matrix_free(A);
}

int main(void)
{
    ss_gsl_install_handler();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arma_coverage),
        cmocka_unit_test(test_arma_near_unit_circle),
        cmocka_unit_test(test_gmm_coverage),
        cmocka_unit_test(test_heavy_tails_flagged),
        cmocka_unit_test(test_data_fims_in_pieces),
        cmocka_unit_test(test_threads_same_numbers),
        cmocka_unit_test(test_power_sums_lanes),
    };
    return cmocka_run_group_tests_name("fim_mc", tests, NULL, NULL);
}

/* The singular BIC's recursion (bayes/sbic.h) against closed forms and a
 * hand computation, and the gmm learning coefficients against the values
 * theory knows (docs/theory.md section 11, "The singular BIC"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "testutil.h"

#include "bayes/sbic.h"

#include <math.h>

/* lambda_ij for K = 1..3 (row-major, i the fitted model) */
static void gmm_lambdas(size_t M, double *lam)
{
    for (size_t i = 0; i < M; i++)
        for (size_t j = 0; j < M; j++)
            lam[i * M + j] = j <= i ? sbic_gmm_lambda(i + 1, j + 1) : NAN;
}

/* Known values: K = 2 at a single Gaussian 3/4 (docs/theory.md section 5
 * and the rlct command's table), the regular lambda_jj = d_j / 2 =
 * (2j - 1)/2, each redundant component 1/4 more; nonsense NaN. */
static void test_lambda(void **state)
{
    (void)state;
    assert_true(sbic_gmm_lambda(2, 1) == 0.75);
    for (size_t j = 1; j <= 10; j++) {
        assert_true(sbic_gmm_lambda(j, j) == (2.0 * (double)j - 1) / 2);
        for (size_t i = j + 1; i <= 10; i++)
            assert_true(sbic_gmm_lambda(i, j) - sbic_gmm_lambda(i - 1, j) ==
                        0.25);
    }
    assert_true(isnan(sbic_gmm_lambda(1, 2)));
    assert_true(isnan(sbic_gmm_lambda(0, 0)));
}

/* (1) Two models, uniform prior: L1 = L'_11 and
 * L2 = (-(L1 - L'_22) + sqrt((L1 - L'_22)^2 + 4 L'_21 L1)) / 2, on
 * likelihoods of moderate size so that the closed form can be evaluated
 * directly. */
static void test_two_models_closed_form(void **state)
{
    (void)state;
    double lam[4];
    gmm_lambdas(2, lam);
    const double cases[][3] = {
        /* l1, l2, n */
        {-30.0, -28.0, 50},  {-30.0, -29.9, 50}, {-30.0, -20.0, 200},
        {-10.0, -10.0, 10},  {-45.5, -44.0, 1000}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        double ll[2] = {cases[c][0], cases[c][1]}, n = cases[c][2];
        double L1 = exp(ll[0]) * pow(n, -lam[0]);
        double L22 = exp(ll[1]) * pow(n, -lam[3]);
        double L21 = exp(ll[1]) * pow(n, -lam[2]);
        double b = L1 - L22;
        double L2 = (-b + sqrt(b * b + 4 * L21 * L1)) / 2;
        double sb[2], post[2];
        assert_int_equal(sbic_solve(2, ll, lam, NULL, NULL, n, sb, post),
                         SS_OK);
        assert_close_msg(sb[0], log(L1), 1e-12, 0, "sBIC_1");
        assert_close_msg(sb[1], log(L2), 1e-12, 0, "sBIC_2");
        assert_close_msg(post[1], L2 / (L1 + L2), 1e-12, 0, "P(M2)");
        assert_close_msg(post[0] + post[1], 1.0, 1e-15, 0, "sum");
    }
}

/* (1') With a non-uniform prior the quadratic is p2 x^2 + (p1 L1 - p2
 * L'_22) x - p1 L'_21 L1 = 0. */
static void test_two_models_prior(void **state)
{
    (void)state;
    double lam[4], ll[2] = {-30.0, -28.5}, n = 80, p[2] = {0.8, 0.2};
    gmm_lambdas(2, lam);
    double L1 = exp(ll[0]) * pow(n, -lam[0]);
    double L22 = exp(ll[1]) * pow(n, -lam[3]);
    double L21 = exp(ll[1]) * pow(n, -lam[2]);
    double b = p[0] * L1 - p[1] * L22;
    double L2 = (-b + sqrt(b * b + 4 * p[1] * p[0] * L21 * L1)) / (2 * p[1]);
    double sb[2], post[2];
    assert_int_equal(sbic_solve(2, ll, lam, NULL, p, n, sb, post), SS_OK);
    assert_close(sb[1], log(L2), 1e-12, 0);
    assert_close(post[1], p[1] * L2 / (p[0] * L1 + p[1] * L2), 1e-12, 0);
}

/* (2) A single model: sBIC = l - (d/2) log n = BIC / (-2) exactly, with
 * BIC = -2 l + d log n and d = 2K - 1. */
static void test_single_model_is_bic(void **state)
{
    (void)state;
    const double lls[] = {-1234.5678, -1e6 - 0.25, -3.0, 17.125};
    const double ns[] = {10, 1e3, 1e6, 123457};
    for (size_t K = 1; K <= 4; K++)
        for (size_t c = 0; c < 4; c++) {
            double lam = sbic_gmm_lambda(K, K), d = 2.0 * (double)K - 1;
            double sb, bic = -2 * lls[c] + d * log(ns[c]);
            assert_int_equal(
                sbic_solve(1, &lls[c], &lam, NULL, NULL, ns[c], &sb, NULL),
                SS_OK);
            assert_true(sb == bic / (-2));
        }
}

/* (3) A well-separated K = 2 truth at large n: the likelihood ratio of
 * M2 over M1 is e^(10^5), so L'(M1) is negligible in M2's equation and
 * sBIC_2 -> log L'_22 = l2 - (3/2) log n; with n = 10^6 and l ~ -10^6
 * nothing over- or underflows. Also the reverse: M1 true (l2 - l1 small),
 * sBIC_2 lies below sBIC_1, the posterior as the closed form says. */
static void test_large_ratio(void **state)
{
    (void)state;
    double lam[4], n = 1e6;
    gmm_lambdas(2, lam);
    double ll[2] = {-1.5e6, -1.4e6}, sb[2], post[2];
    assert_int_equal(sbic_solve(2, ll, lam, NULL, NULL, n, sb, post), SS_OK);
    assert_close(sb[0], ll[0] - 0.5 * log(n), 1e-15, 0);
    assert_close(sb[1], ll[1] - 1.5 * log(n), 1e-15, 0);
    assert_true(post[1] == 1.0);
    /* M1 true: l2 - l1 = 2 (a chi-square-sized gain) */
    double ll1[2] = {-1.4e6, -1.4e6 + 2.0};
    assert_int_equal(sbic_solve(2, ll1, lam, NULL, NULL, n, sb, post), SS_OK);
    assert_true(isfinite(sb[0]) && isfinite(sb[1]));
    assert_true(sb[1] < sb[0]);
    /* the closed form of (1) on the scale of L'(M1): x = L'(M2)/L'(M1)
     * solves x^2 + (1 - e^2/n) x - e^2 n^(-1/4) = 0, x = 0.1907...: M1
     * keeps 0.84 although l2 - l1 = 2 (BIC would give it 0.999) */
    double bq = 1 - exp(2.0) / n, cq = exp(2.0) * pow(n, -0.25);
    double xq = (-bq + sqrt(bq * bq + 4 * cq)) / 2;
    assert_close(post[0], 1 / (1 + xq), 1e-9, 0);
    /* the equation holds at the root, on the scale of L'(M1):
     * (x - L'_21) L1 + (x - L'_22) x = 0 with everything divided by L1
     * (to 1e-9: sb[1] - sb[0] of numbers near -1.4e6 carries about
     * 1.4e6 x 2^-52 = 3e-10 of rounding) */
    double x = exp(sb[1] - sb[0]);
    double a21 = exp(ll1[1] - lam[2] * log(n) - sb[0]);
    double a22 = exp(ll1[1] - lam[3] * log(n) - sb[0]);
    assert_true(fabs((x - a21) + (x - a22) * x) <= 1e-9 * (a21 + a22 * x));
}

/* (4) Three models K = 1, 2, 3, uniform prior, n = 100, l = (-140, -131.5,
 * -130.9). Computed once by an independent python3 script with the
 * quadratic in plain floating point:
 *
 *   lam = lambda i, j: ((2*j - 1) + (i - j)/2)/2
 *   Lp  = lambda i, j: math.exp(ll[i-1]) * n**(-lam(i, j))
 *   for i in 1, 2, 3:
 *       S = sum(L[j] for j < i); T = sum(Lp(i, j)*L[j] for j < i)
 *       b = S - Lp(i, i); L[i] = (-b + math.sqrt(b*b + 4*T))/2
 *
 * log L = -142.30258509299404, -138.05029380412353, -138.934307653003;
 * posterior 0.009970615704985406, 0.7005975590717489,
 * 0.2894318252232656 (BIC/(-2): -142.303, -138.408, -142.413). */
static void test_three_models_by_hand(void **state)
{
    (void)state;
    double lam[9], ll[3] = {-140.0, -131.5, -130.9}, sb[3], post[3];
    gmm_lambdas(3, lam);
    assert_int_equal(sbic_solve(3, ll, lam, NULL, NULL, 100, sb, post),
                     SS_OK);
    assert_close(sb[0], -142.30258509299404, 1e-13, 0);
    assert_close(sb[1], -138.05029380412353, 1e-13, 0);
    assert_close(sb[2], -138.934307653003, 1e-13, 0);
    assert_close(post[0], 0.009970615704985406, 1e-10, 0);
    assert_close(post[1], 0.7005975590717489, 1e-10, 0);
    assert_close(post[2], 0.2894318252232656, 1e-10, 0);
}

/* The multiplicity enters as (m - 1) log log n: with one model,
 * sBIC = l - lambda log n + (m - 1) log log n. */
static void test_multiplicity(void **state)
{
    (void)state;
    double ll = -50, lam = 0.5, m = 2, n = 1000, sb;
    assert_int_equal(sbic_solve(1, &ll, &lam, &m, NULL, n, &sb, NULL), SS_OK);
    assert_close(sb, ll - lam * log(n) + log(log(n)), 1e-15, 0);
}

/* The report: BIC = -2 l + (2K - 1) log n, the picks (smallest BIC,
 * largest sBIC), the BIC posterior prop. to exp(-BIC/2), the flag for a
 * larger model below a smaller one, gaps in K read at their K. */
static void test_report(void **state)
{
    (void)state;
    sbic_report r;
    size_t K[3] = {1, 2, 3};
    double ll[3] = {-140.0, -131.5, -130.9};
    assert_int_equal(sbic_gmm_report(3, K, ll, 100, 1.0, &r), SS_OK);
    for (size_t i = 0; i < 3; i++) {
        assert_true(r.d[i] == 2 * K[i] - 1);
        assert_close(r.bic[i], -2 * ll[i] + (double)r.d[i] * log(100.0),
                     1e-15, 0);
    }
    assert_true(r.pick_bic == 1 && r.pick_sbic == 1 && !r.nonmonotone);
    double e0 = exp(-r.bic[0] / 2 + r.bic[1] / 2),
           e2 = exp(-r.bic[2] / 2 + r.bic[1] / 2);
    assert_close(r.post_bic[1], 1 / (1 + e0 + e2), 1e-12, 0);
    assert_close(r.post_sbic[1], 0.7005975590717489, 1e-10, 0);
    /* a local optimum of the larger model is flagged */
    double bad[3] = {-140.0, -141.0, -130.9};
    assert_int_equal(sbic_gmm_report(3, K, bad, 100, 1.0, &r), SS_OK);
    assert_true(r.nonmonotone);
    /* K = 1, 3: lambda_31 = 1 */
    size_t Kg[2] = {1, 3};
    assert_int_equal(sbic_gmm_report(2, Kg, ll, 100, 1.0, &r), SS_OK);
    assert_true(r.lambda[1 * 2 + 0] == 1.0 && r.lambda[3] == 2.5);
    /* K not increasing */
    size_t Kb[2] = {2, 2};
    assert_int_not_equal(sbic_gmm_report(2, Kb, ll, 100, 1.0, &r), SS_OK);
}

static void test_refusals(void **state)
{
    (void)state;
    double lam[4], ll[2] = {-3, -2}, sb[2] = {7, 7};
    gmm_lambdas(2, lam);
    assert_int_not_equal(sbic_solve(0, ll, lam, NULL, NULL, 10, sb, NULL),
                         SS_OK);
    assert_int_not_equal(sbic_solve(2, ll, lam, NULL, NULL, 1, sb, NULL),
                         SS_OK);
    double bad[2] = {-3, NAN};
    assert_int_not_equal(sbic_solve(2, bad, lam, NULL, NULL, 10, sb, NULL),
                         SS_OK);
    double p[2] = {1, 0};
    assert_int_not_equal(sbic_solve(2, ll, lam, NULL, p, 10, sb, NULL), SS_OK);
    lam[2] = 0;
    assert_int_not_equal(sbic_solve(2, ll, lam, NULL, NULL, 10, sb, NULL),
                         SS_OK);
    /* nothing written */
    assert_true(sb[0] == 7 && sb[1] == 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lambda),
        cmocka_unit_test(test_two_models_closed_form),
        cmocka_unit_test(test_two_models_prior),
        cmocka_unit_test(test_single_model_is_bic),
        cmocka_unit_test(test_large_ratio),
        cmocka_unit_test(test_three_models_by_hand),
        cmocka_unit_test(test_multiplicity),
        cmocka_unit_test(test_report),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests of the gmm family's general layout (model/gmm_k.c): K
 * components and a free common s. Scores against finite differences of
 * the log-likelihood, the exact FIM against Monte Carlo and against the
 * classic K = 2 route, its null directions where two means coincide, the
 * sampler's moments, the log-likelihood against a direct sum of Gaussian
 * densities, EM against closed forms (K = 1) and planted parameters
 * (K = 3), labelling, singular sets and the errors of bad layouts. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/rng.h"
#include "core/status.h"
#include "infer/fit.h"
#include "model/gmm_k.h"
#include "model/model.h"
#include "testutil.h"

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A model from "k=3 v2=0.3 ..." (words for s=free). */
static ss_status try_make(const char *text, model **out)
{
    return tu_model_try(model_gmm, text, out);
}

static model *make(const char *text)
{
    model *m = NULL;
    ss_status st = try_make(text, &m);
    if (st != SS_OK)
        print_error("%s: %s\n", text, ss_last_error()->msg);
    assert_int_equal(st, SS_OK);
    return m;
}

static gsl_matrix *draws(const model *m, size_t n, unsigned long seed)
{
    gsl_matrix *X = gsl_matrix_alloc(n, 1);
    gsl_rng *r = ss_rng_alloc();
    ss_rng_seed(r, seed, SS_STREAM_TEST, 0);
    assert_int_equal(m->type->sample(m, m->theta, r, X), SS_OK);
    ss_rng_free(r);
    return X;
}

static double term(const model *m, const double *th, double x)
{
    gsl_matrix_view X = gsl_matrix_view_array(&x, 1, 1);
    double l = NAN;
    ss_status st = m->type->loglik_terms(m, th, &X.matrix, &l, NULL);
    if (st != SS_OK)
        print_error("loglik: %s\n", ss_last_error()->msg);
    assert_int_equal(st, SS_OK);
    return l;
}

/* ---- scores against finite differences ----------------------------------- */

static void check_scores(const char *text)
{
    model *m = make(text);
    size_t P = m->P, K = gmm_layout_of(m).K;
    const double xs[] = {-2.7, -0.4, 0.13, 0.9, 2.2, 4.1};
    for (size_t t = 0; t < sizeof xs / sizeof xs[0]; t++) {
        double x = xs[t];
        gsl_matrix_view X = gsl_matrix_view_array(&x, 1, 1);
        gsl_matrix *S = gsl_matrix_alloc(1, P);
        double l;
        assert_int_equal(m->type->loglik_terms(m, m->theta, &X.matrix, &l, S),
                         SS_OK);
        for (size_t i = 0; i < P; i++) {
            double h = 1e-5, *th = malloc(P * sizeof *th), fd;
            memcpy(th, m->theta, P * sizeof *th);
            double sum = 0;
            for (size_t k = 0; k + 1 < K; k++)
                sum += th[k];
            int weight = i + 1 < K;
            /* one-sided (second order) into the valid region at a weight
             * of 0 or on the face where the weights sum to 1 */
            int dir = 0;
            if (weight && th[i] < h)
                dir = 1;
            else if (weight && sum > 1 - 2 * h)
                dir = -1;
            double t0 = th[i];
            if (dir == 0) {
                th[i] = t0 + h;
                double fp = term(m, th, x);
                th[i] = t0 - h;
                double fm = term(m, th, x);
                th[i] = t0 + 2 * h;
                double fpp = term(m, th, x);
                th[i] = t0 - 2 * h;
                double fmm = term(m, th, x);
                fd = (8 * (fp - fm) - (fpp - fmm)) / (12 * h);
            } else {
                double f0 = term(m, m->theta, x);
                th[i] = t0 + dir * h;
                double f1 = term(m, th, x);
                th[i] = t0 + dir * 2 * h;
                double f2 = term(m, th, x);
                th[i] = t0 + dir * 3 * h;
                double f3 = term(m, th, x);
                /* third order one-sided */
                fd = dir * (-11 * f0 + 18 * f1 - 9 * f2 + 2 * f3) / (6 * h);
            }
            char what[160];
            snprintf(what, sizeof what, "%s: d/d%s at x = %g", text,
                     MODEL_PNAME(m, i), x);
            assert_close_msg(gsl_matrix_get(S, 0, i), fd, 1e-6, 1e-7, what);
            free(th);
        }
        gsl_matrix_free(S);
    }
    model_free(m);
}

static void test_scores_fd(void **state)
{
    (void)state;
    check_scores("k=1 w1=0.4");
    check_scores("k=1 s=free w1=0.4 s=1.3");
    check_scores("s=free v=0.35 w1=-0.5 w2=1.2 s=0.7");
    check_scores("k=3 v2=0.3 v3=0.25 w1=-1 w2=0.5 w3=1.5");
    check_scores("k=3 s=free v2=0.3 v3=0.25 w1=-1 w2=0.5 w3=1.5 s=0.8");
    check_scores("k=4 s=free v2=0.2 v3=0.25 v4=0.1 w1=-1 w2=0 w3=1 w4=2.5");
    /* singular points: a weight 0, component 1's weight 0, equal means */
    check_scores("k=3 v2=0.3 v3=0 w1=-1 w2=0.5 w3=1.5");
    check_scores("k=3 s=free v2=0.6 v3=0.4 w1=-1 w2=0.5 w3=1.5 s=1.1");
    check_scores("k=3 s=free v2=0.3 v3=0.25 w1=-1 w2=0.7 w3=0.7 s=1.1");
    check_scores("k=3 v2=0.3 v3=0.25 w1=0.2 w2=0.2 w3=0.2");
}

/* ---- the log-likelihood against a direct computation --------------------- */

static void test_loglik_direct(void **state)
{
    (void)state;
    model *m = make("s=free v=0.35 w1=-0.5 w2=1.2 s=0.7");
    model *m3 = make("k=3 s=free v2=0.2 v3=0.5 w1=-2 w2=0.1 w3=1 s=1.4");
    gsl_matrix *X = draws(m, 50, 3);
    double *ell = malloc(50 * sizeof *ell);
    assert_int_equal(m->type->loglik_terms(m, m->theta, X, ell, NULL), SS_OK);
    for (size_t i = 0; i < 50; i++) {
        double x = gsl_matrix_get(X, i, 0);
        double p = 0.65 * gsl_ran_gaussian_pdf(x + 0.5, 0.7) +
                   0.35 * gsl_ran_gaussian_pdf(x - 1.2, 0.7);
        assert_close(ell[i], log(p), 1e-13, 0);
    }
    assert_int_equal(m3->type->loglik_terms(m3, m3->theta, X, ell, NULL),
                     SS_OK);
    for (size_t i = 0; i < 50; i++) {
        double x = gsl_matrix_get(X, i, 0);
        double p = 0.3 * gsl_ran_gaussian_pdf(x + 2, 1.4) +
                   0.2 * gsl_ran_gaussian_pdf(x - 0.1, 1.4) +
                   0.5 * gsl_ran_gaussian_pdf(x - 1, 1.4);
        assert_close(ell[i], log(p), 1e-13, 0);
    }
    free(ell);
    gsl_matrix_free(X);
    model_free(m);
    model_free(m3);
}

/* The general route at the classic layout (K = 2, s known) equals the
 * classic code: log-likelihood, scores, the exact FIM (two different
 * quadratures) and one EM step. */
static void test_general_equals_classic(void **state)
{
    (void)state;
    const char *pts[] = {"v=0.3 w1=-1 w2=1.5", "v=0.5 w1=0.2 w2=0.2",
                         "v=0 w1=0 w2=1", "s=2 v=0.8 w1=1 w2=-3"};
    for (size_t p = 0; p < 4; p++) {
        model *m = make(pts[p]);
        gsl_matrix *X = draws(m, 300, 5);
        double e1[300], e2[300];
        gsl_matrix *S1 = gsl_matrix_alloc(300, 3), *S2 = gsl_matrix_alloc(300, 3);
        assert_int_equal(m->type->loglik_terms(m, m->theta, X, e1, S1), SS_OK);
        assert_int_equal(gmm_k_loglik_terms(m, m->theta, X, e2, S2), SS_OK);
        for (size_t i = 0; i < 300; i++) {
            assert_close_msg(e2[i], e1[i], 1e-12, 1e-300, pts[p]);
            for (size_t j = 0; j < 3; j++)
                assert_close_msg(gsl_matrix_get(S2, i, j),
                                 gsl_matrix_get(S1, i, j), 1e-9, 1e-12,
                                 pts[p]);
        }
        gsl_matrix *G1 = gsl_matrix_alloc(3, 3), *G2 = gsl_matrix_alloc(3, 3);
        assert_int_equal(m->type->fim_exact(m, m->theta, G1, NULL), SS_OK);
        assert_int_equal(gmm_k_fim_exact(m, m->theta, G2, NULL), SS_OK);
        for (size_t i = 0; i < 3; i++)
            for (size_t j = 0; j < 3; j++) {
                double sc = sqrt(gsl_matrix_get(G1, i, i) *
                                 gsl_matrix_get(G1, j, j));
                assert_close_msg(gsl_matrix_get(G2, i, j),
                                 gsl_matrix_get(G1, i, j), 0, 1e-10 * sc + 1e-300,
                                 pts[p]);
            }
        double t1[3], t2[3], l1, l2;
        assert_int_equal(m->type->em_step(m, m->theta, X, t1, &l1), SS_OK);
        assert_int_equal(gmm_k_em_step(m, m->theta, X, t2, &l2), SS_OK);
        assert_close_msg(l2, l1, 1e-12, 0, pts[p]);
        for (size_t j = 0; j < 3; j++)
            assert_close_msg(t2[j], t1[j], 1e-12, 1e-14, pts[p]);
        gsl_matrix_free(S1);
        gsl_matrix_free(S2);
        gsl_matrix_free(G1);
        gsl_matrix_free(G2);
        gsl_matrix_free(X);
        model_free(m);
    }
}

/* ---- the exact FIM --------------------------------------------------------- */

static gsl_matrix *exact(const model *m)
{
    gsl_matrix *G = gsl_matrix_alloc(m->P, m->P);
    ss_status st = m->type->fim_exact(m, m->theta, G, NULL);
    if (st != SS_OK)
        print_error("fim_exact: %s\n", ss_last_error()->msg);
    assert_int_equal(st, SS_OK);
    return G;
}

/* Exact against the mean of score outer products over n draws, within 5
 * standard errors of each entry (plus 1e-4 of the scale for the few
 * entries whose standard error is itself poorly estimated). */
static void check_exact_mc(const char *text)
{
    model *m = make(text);
    size_t P = m->P, n = 200000;
    gsl_matrix *G = exact(m), *X = draws(m, n, 11);
    gsl_matrix *S = gsl_matrix_alloc(n, P);
    assert_int_equal(m->type->loglik_terms(m, m->theta, X, NULL, S), SS_OK);
    for (size_t a = 0; a < P; a++)
        for (size_t b = a; b < P; b++) {
            double s1 = 0, s2 = 0;
            for (size_t i = 0; i < n; i++) {
                double v = gsl_matrix_get(S, i, a) * gsl_matrix_get(S, i, b);
                s1 += v;
                s2 += v * v;
            }
            double mean = s1 / n, se = sqrt((s2 / n - mean * mean) / n);
            double sc = sqrt(gsl_matrix_get(G, a, a) * gsl_matrix_get(G, b, b));
            char what[160];
            snprintf(what, sizeof what, "%s: G[%s,%s]", text,
                     MODEL_PNAME(m, a), MODEL_PNAME(m, b));
            assert_close_msg(gsl_matrix_get(G, a, b), mean, 0,
                             5 * se + 1e-4 * sc, what);
            assert_close_msg(gsl_matrix_get(G, b, a), gsl_matrix_get(G, a, b),
                             0, 0, what);
        }
    gsl_matrix_free(S);
    gsl_matrix_free(X);
    gsl_matrix_free(G);
    model_free(m);
}

static void test_exact_vs_mc(void **state)
{
    (void)state;
    check_exact_mc("k=1 s=free w1=0.4 s=1.3");
    check_exact_mc("s=free v=0.35 w1=-0.5 w2=1.2 s=0.7");
    check_exact_mc("k=3 s=free v2=0.3 v3=0.25 w1=-1 w2=0.5 w3=1.5 s=0.8");
    check_exact_mc("k=3 v2=0.3 v3=0 w1=-1 w2=0.5 w3=0.8");
}

/* K = 1 has a closed form: G = diag(1/s^2, 2/s^2) for (w1, s). */
static void test_exact_k1(void **state)
{
    (void)state;
    model *m = make("k=1 s=free w1=3 s=1.7");
    gsl_matrix *G = exact(m);
    double s2 = 1.7 * 1.7;
    assert_close(gsl_matrix_get(G, 0, 0), 1 / s2, 1e-12, 0);
    assert_close(gsl_matrix_get(G, 1, 1), 2 / s2, 1e-12, 0);
    assert_close(gsl_matrix_get(G, 0, 1), 0, 0, 1e-14);
    gsl_matrix_free(G);
    model_free(m);
}

/* Numerical rank of G from its eigenvalues at relative tolerance 1e-10. */
static size_t rank_of(const gsl_matrix *G)
{
    size_t P = G->size1;
    gsl_matrix *A = gsl_matrix_alloc(P, P);
    gsl_matrix_memcpy(A, G);
    gsl_vector *ev = gsl_vector_alloc(P);
    gsl_eigen_symm_workspace *w = gsl_eigen_symm_alloc(P);
    gsl_eigen_symm(A, ev, w);
    double mx = gsl_vector_max(ev);
    size_t r = 0;
    for (size_t i = 0; i < P; i++)
        r += gsl_vector_get(ev, i) > 1e-10 * mx;
    gsl_eigen_symm_free(w);
    gsl_vector_free(ev);
    gsl_matrix_free(A);
    return r;
}

/* At w2 = w3 = w the mixture is pi1 N(w1) + (v2 + v3) N(w): the scores
 * satisfy s_v2 = s_v3 and v3 s_w2 = v2 s_w3, so G has the null vectors
 * e_v2 - e_v3 and v3 e_w2 - v2 e_w3 and rank P - 2 (3 of 5; 4 of 6 with s
 * free); a zero weight v3 = 0 leaves s_w3 = 0 (rank P - 1). */
static void test_rank_merged(void **state)
{
    (void)state;
    model *m = make("k=3 v2=0.3 v3=0.25 w1=-1 w2=0.8 w3=0.8");
    gsl_matrix *G = exact(m);
    assert_int_equal(rank_of(G), 3);
    double n1[5] = {1, -1, 0, 0, 0}, n2[5] = {0, 0, 0, 0.25, -0.3};
    double sc = gsl_matrix_get(G, 0, 0);
    for (size_t a = 0; a < 5; a++) {
        double g1 = 0, g2 = 0;
        for (size_t b = 0; b < 5; b++) {
            g1 += gsl_matrix_get(G, a, b) * n1[b];
            g2 += gsl_matrix_get(G, a, b) * n2[b];
        }
        assert_close(g1, 0, 0, 1e-13 * sc);
        assert_close(g2, 0, 0, 1e-13 * sc);
    }
    gsl_matrix_free(G);
    model_free(m);
    m = make("k=3 s=free v2=0.3 v3=0.25 w1=-1 w2=0.8 w3=0.8 s=0.9");
    G = exact(m);
    assert_int_equal(rank_of(G), 4);
    gsl_matrix_free(G);
    model_free(m);
    m = make("k=3 v2=0.3 v3=0 w1=-1 w2=0.5 w3=1.5");
    G = exact(m);
    assert_int_equal(rank_of(G), 4);
    assert_close(gsl_matrix_get(G, 4, 4), 0, 0, 0);
    gsl_matrix_free(G);
    model_free(m);
    m = make("k=3 v2=0.3 v3=0.25 w1=-1 w2=0.5 w3=1.5");
    G = exact(m);
    assert_int_equal(rank_of(G), 5);
    gsl_matrix_free(G);
    model_free(m);
}

/* ---- sampling ------------------------------------------------------------- */

static void test_sampler_moments(void **state)
{
    (void)state;
    model *m = make("k=3 s=free v2=0.2 v3=0.5 w1=-2 w2=0.1 w3=1 s=0.6");
    size_t n = 200000;
    gsl_matrix *X = draws(m, n, 21);
    double pi[3] = {0.3, 0.2, 0.5}, w[3] = {-2, 0.1, 1}, mu = 0, m2 = 0;
    for (int k = 0; k < 3; k++) {
        mu += pi[k] * w[k];
        m2 += pi[k] * (w[k] * w[k] + 0.36);
    }
    double var = m2 - mu * mu, s1 = 0, s2 = 0;
    for (size_t i = 0; i < n; i++) {
        double x = gsl_matrix_get(X, i, 0);
        s1 += x;
        s2 += (x - mu) * (x - mu);
    }
    assert_close(s1 / n, mu, 0, 5 * sqrt(var / n));
    /* the variance of (x - mu)^2 is below E(x - mu)^4 <= 3 (max |x-mu|)^4
     * scale: 5 standard errors of it, estimated from the fourth moment of a
     * Gaussian of the same variance times 3 for the mixture's tails */
    assert_close(s2 / n, var, 0, 5 * sqrt(3 * 2 * var * var / n));
    gsl_matrix_free(X);
    model_free(m);
}

/* ---- EM --------------------------------------------------------------------- */

static fit_result *fit(const model *m, const gsl_matrix *X, size_t starts)
{
    fit_spec sp = {.starts = starts, .seed = 7};
    fit_result *f = NULL;
    ss_status st = fit_run(m, X, &sp, &f);
    if (st != SS_OK)
        print_error("fit: %s\n", ss_last_error()->msg);
    assert_int_equal(st, SS_OK);
    return f;
}

/* K = 1: the MLE is the sample mean and, with s free, the root of
 * (1/n) sum (x - mean)^2. */
static void test_em_k1_closed_form(void **state)
{
    (void)state;
    model *truth = make("k=1 s=free w1=2.5 s=0.7");
    gsl_matrix *X = draws(truth, 1000, 31);
    long double mean = 0, ss = 0;
    for (size_t i = 0; i < 1000; i++)
        mean += gsl_matrix_get(X, i, 0);
    mean /= 1000;
    for (size_t i = 0; i < 1000; i++) {
        long double e = gsl_matrix_get(X, i, 0) - mean;
        ss += e * e;
    }
    double s_mle = sqrt((double)(ss / 1000));
    fit_result *f = fit(truth, X, 3);
    assert_true(f->converged);
    assert_close(f->theta[0], (double)mean, 1e-10, 1e-10);
    assert_close(f->theta[1], s_mle, 1e-10, 0);
    fit_result_free(f);
    model *known = make("k=1 s=2 w1=0");
    f = fit(known, X, 2);
    assert_true(f->converged);
    assert_close(f->theta[0], (double)mean, 1e-10, 1e-10);
    fit_result_free(f);
    model_free(known);
    gsl_matrix_free(X);
    model_free(truth);
}

/* K = 3 at a regular, well separated truth: the fit (labelled by sorted
 * means) lies within 4.5 standard errors sqrt(diag(G^-1)/n) of the planted
 * point in every coordinate (the inverse exact FIM: the asymptotic
 * covariance of the MLE). */
static void check_recover(const char *text, size_t n)
{
    model *truth = make(text);
    size_t P = truth->P;
    gsl_matrix *X = draws(truth, n, 41);
    model *start = make(text);
    /* start away from the truth, with the labels shuffled: the fit must
     * find the optimum and report the canonical labelling */
    fit_result *f = fit(start, X, 10);
    assert_true(f->converged);
    gsl_matrix *G = exact(truth);
    gsl_linalg_cholesky_decomp1(G);
    gsl_linalg_cholesky_invert(G);
    for (size_t i = 0; i < P; i++) {
        double se = sqrt(gsl_matrix_get(G, i, i) / (double)n);
        char what[160];
        snprintf(what, sizeof what, "%s: %s (se %g)", text,
                 MODEL_PNAME(truth, i), se);
        assert_close_msg(f->theta[i], truth->theta[i], 0, 4.5 * se, what);
    }
    gsl_matrix_free(G);
    fit_result_free(f);
    model_free(start);
    gsl_matrix_free(X);
    model_free(truth);
}

static void test_em_recovers_k3(void **state)
{
    (void)state;
    check_recover("k=3 v2=0.3 v3=0.4 w1=-3 w2=0 w3=3", 20000);
    check_recover("k=3 s=free v2=0.35 v3=0.25 w1=-2.5 w2=0.5 w3=3.5 s=0.8",
                  20000);
    check_recover("s=free v=0.4 w1=-1.5 w2=1.5 s=0.9", 20000);
}

/* The EM step's weights are the exact constrained M-step: with v2 bounded
 * to [0, hi] the step's weights maximise sum_k S_k log pi_k over the
 * bounded simplex, checked against a fine grid over (v2, v3). */
static void test_em_bounded_weights(void **state)
{
    (void)state;
    model *m = make("k=3 v2=0.3 v3=0.3 w1=-2 w2=0 w3=2");
    gsl_matrix *X = draws(m, 400, 51);
    model *b = make("k=3 v2=0.1 v3=0.3 w1=-2 w2=0 w3=2");
    assert_int_equal(model_bound(b, 0, 0.0, 0.1), SS_OK);
    /* responsibilities at b's point: S_k */
    double th[8], l;
    assert_int_equal(b->type->em_step(b, b->theta, X, th, &l), SS_OK);
    double S[3] = {0, 0, 0};
    for (size_t i = 0; i < 400; i++) {
        double x = gsl_matrix_get(X, i, 0);
        double p[3] = {0.6 * gsl_ran_gaussian_pdf(x + 2, 1),
                       0.1 * gsl_ran_gaussian_pdf(x, 1),
                       0.3 * gsl_ran_gaussian_pdf(x - 2, 1)};
        double t = p[0] + p[1] + p[2];
        for (int k = 0; k < 3; k++)
            S[k] += p[k] / t;
    }
    double best = -INFINITY, bv2 = 0, bv3 = 0;
    /* the bound binds: the unconstrained step would move v2 above it */
    assert_true(S[1] / 400 > 0.1);
    for (int i = 1; i <= 100; i++)
        for (int j = 1; i + j < 1000; j++) {
            double v2 = i / 1000.0, v3 = j / 1000.0, v1 = 1 - v2 - v3;
            double q = S[0] * log(v1) + S[1] * log(v2) + S[2] * log(v3);
            if (q > best) {
                best = q;
                bv2 = v2;
                bv3 = v3;
            }
        }
    assert_close(th[0], 0.1, 0, 1e-15);
    assert_close(th[0], bv2, 0, 1.5e-3);
    assert_close(th[1], bv3, 0, 1.5e-3);
    double q = S[0] * log(1 - th[0] - th[1]) + S[1] * log(th[0]) +
               S[2] * log(th[1]);
    assert_true(q >= best - 1e-9);
    gsl_matrix_free(X);
    model_free(m);
    model_free(b);
}

/* ---- labels, singular sets, errors ---------------------------------------- */

static void test_canonical(void **state)
{
    (void)state;
    model *m = make("k=3 v2=0.2 v3=0.5 w1=2 w2=-1 w3=0.5");
    double th[5];
    memcpy(th, m->theta, sizeof th);
    char note[200];
    assert_int_equal(m->type->canonical(m, th, note, sizeof note), 1);
    /* components (pi, w): (0.3, 2), (0.2, -1), (0.5, 0.5) sorted by w */
    assert_close(th[2], -1, 0, 0);
    assert_close(th[3], 0.5, 0, 0);
    assert_close(th[4], 2, 0, 0);
    assert_close(th[0], 0.5, 0, 1e-15);
    assert_close(th[1], 0.3, 0, 1e-15);
    /* the same distribution */
    for (double x = -3; x < 3; x += 0.7)
        assert_close(term(m, th, x), term(m, m->theta, x), 1e-14, 0);
    model_free(m);
}

static void test_singular_sets(void **state)
{
    (void)state;
    model *m = make("k=3 s=free v2=0.3 v3=0.25 w1=-1 w2=0.5 w3=0.5 s=2");
    model_singular *list = NULL;
    size_t n = 0;
    assert_int_equal(model_singular_list(m, m->theta, &list, &n), SS_OK);
    assert_int_equal(n, 6);
    assert_string_equal(list[0].name, "v2 + v3 = 1");
    assert_close(list[0].distance, 0.45 / sqrt(2), 1e-14, 0);
    assert_string_equal(list[2].name, "v3 = 0");
    assert_close(list[2].distance, 0.25, 0, 0);
    assert_string_equal(list[5].name, "w2 = w3");
    assert_close(list[5].distance, 0, 0, 0);
    free(list);
    model_free(m);
    m = make("k=1 s=free");
    assert_int_equal(model_nsingular(m), 0);
    model_free(m);
}

static void expect_error(const char *text, const char *msg)
{
    model *m = NULL;
    ss_status st = try_make(text, &m);
    assert_int_not_equal(st, SS_OK);
    assert_null(m);
    if (!strstr(ss_last_error()->msg, msg))
        print_error("%s: '%s' lacks '%s'\n", text, ss_last_error()->msg, msg);
    assert_non_null(strstr(ss_last_error()->msg, msg));
    ss_clear_error();
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("k=3 v2=0.7 v3=0.4",
                 "the weights v2 + v3 = 1.1 exceed 1 (component 1 has weight "
                 "1 - (v2 + v3))");
    expect_error("k=0", "k = 0 must be a whole number of components in 1..10");
    expect_error("k=11", "k = 11 must be");
    expect_error("k=2.5", "k = 2.5 must be");
    expect_error("k=3 v2=-0.1", "v2 = -0.1 is outside");
    expect_error("k=1 s=free s=0", "s = 0 must be positive");
    expect_error("s=fre", "option s takes one number or free, not fre");
    /* a failed set changes nothing */
    model *m = make("k=3 v2=0.3 v3=0.3");
    double v = 0.8;
    model_arg a = {.key = "v3", .num = &v, .n = 1};
    assert_int_not_equal(model_set_params(m, &a, 1, -1), SS_OK);
    ss_clear_error();
    assert_close(m->theta[1], 0.3, 0, 0);
    model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scores_fd),
        cmocka_unit_test(test_loglik_direct),
        cmocka_unit_test(test_general_equals_classic),
        cmocka_unit_test(test_exact_vs_mc),
        cmocka_unit_test(test_exact_k1),
        cmocka_unit_test(test_rank_merged),
        cmocka_unit_test(test_sampler_moments),
        cmocka_unit_test(test_em_k1_closed_form),
        cmocka_unit_test(test_em_recovers_k3),
        cmocka_unit_test(test_em_bounded_weights),
        cmocka_unit_test(test_canonical),
        cmocka_unit_test(test_singular_sets),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The β ladder (bayes/ladder.h) and importance-sampling LOO
 * (bayes/posterior.h) on the conjugate normal model.
 *
 * gmm with v = 0 and w2 fixed is N(w1, 1); x_i ~ N(mu, 1) with mu = w1 and
 * the prior mu ~ N(0, 1). Closed forms, derived here (S1 = Σ x_i,
 * S2 = Σ x_i²):
 *
 *   Free energy. The marginal likelihood: x = mu 1 + e with mu ~ N(0, 1),
 *   e ~ N(0, I), so x ~ N(0, Σ), Σ = I + 1 1ᵀ; det Σ = 1 + n and
 *   Σ⁻¹ = I - 1 1ᵀ / (1 + n) (Sherman-Morrison). Hence
 *     F_n = -log p(x) = (n/2) log 2π + ½ log(1 + n)
 *           + ½ [S2 - S1² / (1 + n)].
 *   Tempered means (test_posterior.c): v_β = 1/(1 + βn), m_β = β S1 v_β,
 *     E^β[n L_n] = Σ ½ [(x_i - m_β)² + v_β] + (n/2) log 2π,
 *   and F_n = ∫_0^1 E^β[n L_n] dβ: both sides are checked to 1e-10 by
 *   adaptive quadrature, and F_n against -log of the quadrature of the
 *   code's own target at β = 1.
 *
 *   λ for this regular one-parameter model is k/2 = 1/2. Exactly,
 *   Σ (x_i - m_β)² = Σ (x_i - x̄)² + n x̄² / (1 + βn)², so with t = 1/β,
 *     E^β = C + (n/2) t / (t + n) + (n x̄² / 2) t² / (t + n)²,
 *   and (n/2) t/(t + n) = t/2 - t² / (2 (t + n)): the slope in t is
 *   ½ - O(t / n). Between t1 = log n and t2 = log n / 2 the two-temperature
 *   λ̂'s expectation differs from ½ by at most (t1 + t2)/(2n) + x̄² (t1 +
 *   t2)/n (each term's chord slope bounded by its largest derivative on
 *   [t2, t1]); the slope fit over t in [t1/2, 2 t1] by at most
 *   2 t1 (1 + 2 x̄²) / n. The tests check the estimates against their
 *   exact expectations (the same formulas applied to the closed-form E^β)
 *   within 4 MC errors, and those expectations against ½ within the bound.
 *
 *   Leave-one-out. Without x_i the posterior is N(m_-i, v_-i) with
 *   precision 1 + (n - 1) = n: v_-i = 1/n, m_-i = Σ_{j≠i} x_j / n; the
 *   leave-one-out predictive is N(x_i; m_-i, 1 + 1/n), and
 *     elpd_loo = Σ_i log N(x_i; m_-i, 1 + 1/n).
 *   The importance-sampling identity E_post[1/p(x_i|w)] = 1/p(x_i|x_-i)
 *   is checked by quadrature too; the estimator's variance is finite here
 *   (E_post[1/p²] < ∞ since the posterior variance 1/(n+1) < 1/2). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bayes/ladder.h"
#include "bayes/posterior.h"
#include "bayes/prior.h"
#include "core/rng.h"
#include "model/model.h"

#include <gsl/gsl_integration.h>
#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOBS 100

static model *normal_model(int with_prior)
{
    model_testpoint tp = {"normal", "v=0 w1=0 w2=0", "v w2", MODEL_TP_ON, -1,
                          0};
    model *m = NULL;
    assert_int_equal(model_alloc_testpoint(model_gmm, &tp, &m), SS_OK);
    if (!with_prior)
        return m;
    model_prior p;
    assert_int_equal(prior_make("normal", (double[]){0, 1}, 2, &p), SS_OK);
    assert_int_equal(model_set_prior(m, 1, p.kind, p.a, p.b), SS_OK);
    return m;
}

static gsl_matrix *normal_data(size_t n)
{
    gsl_matrix *X = gsl_matrix_alloc(n, 1);
    gsl_rng *r = ss_rng_alloc();
    ss_rng_seed(r, 8, SS_STREAM_TEST, 1);
    for (size_t i = 0; i < n; i++)
        gsl_matrix_set(X, i, 0, 0.3 + gsl_ran_gaussian(r, 1.0));
    ss_rng_free(r);
    return X;
}

typedef struct {
    const gsl_matrix *X;
    double S1, S2, n;
} cdata;

static cdata cdata_of(const gsl_matrix *X)
{
    cdata c = {X, 0, 0, (double)X->size1};
    for (size_t i = 0; i < X->size1; i++) {
        double x = gsl_matrix_get(X, i, 0);
        c.S1 += x;
        c.S2 += x * x;
    }
    return c;
}

static double E_closed(const cdata *c, double beta)
{
    double v = 1 / (1 + beta * c->n), m = beta * c->S1 * v;
    /* Σ ½ [(x_i - m)² + v] = ½ [S2 - 2 m S1 + n m² + n v] */
    return 0.5 * (c->S2 - 2 * m * c->S1 + c->n * m * m + c->n * v) +
           0.5 * c->n * log(2 * M_PI);
}

static double F_closed(const cdata *c)
{
    return 0.5 * c->n * log(2 * M_PI) + 0.5 * log(1 + c->n) +
           0.5 * (c->S2 - c->S1 * c->S1 / (1 + c->n));
}

static double elpd_closed(const cdata *c)
{
    double e = 0, s2 = 1 + 1 / c->n;
    for (size_t i = 0; i < c->X->size1; i++) {
        double x = gsl_matrix_get(c->X, i, 0);
        double m = (c->S1 - x) / c->n;
        e += -0.5 * log(2 * M_PI * s2) - (x - m) * (x - m) / (2 * s2);
    }
    return e;
}

static double E_integrand(double beta, void *p)
{
    return E_closed(p, beta);
}

typedef struct {
    const model *m;
    const gsl_matrix *X;
    double shift, c, s; /* mu = c + s u */
    int what; /* 0: posterior mass, 1: mass / p(x_i|mu) */
    size_t i;
} qctx;

static double post_integrand(double u, void *p)
{
    qctx *q = p;
    double mu = q->c + q->s * u, lp;
    assert_int_equal(post_log_target(q->m, q->X, 1, &mu, &lp, NULL), SS_OK);
    double w = exp(lp - q->shift);
    if (q->what == 0)
        return q->s * w;
    double x = gsl_matrix_get(q->X, q->i, 0);
    return q->s * w / gsl_ran_gaussian_pdf(x - mu, 1);
}

static double quad_mu(qctx *q)
{
    gsl_integration_workspace *ws = gsl_integration_workspace_alloc(1000);
    gsl_function f = {post_integrand, q};
    double v, e;
    /* the posterior has sd s: 40 sd either side leave exp(-800) out */
    assert_int_equal(gsl_integration_qags(&f, -40, 40, 0, 1e-12, 1000, ws,
                                          &v, &e), 0);
    gsl_integration_workspace_free(ws);
    return v;
}

static void test_closed_forms(void **state)
{
    (void)state;
    model *m = normal_model(1);
    gsl_matrix *X = normal_data(NOBS);
    cdata c = cdata_of(X);
    double F = F_closed(&c);
    /* F = ∫_0^1 E^β dβ */
    gsl_integration_workspace *ws = gsl_integration_workspace_alloc(1000);
    gsl_function f = {E_integrand, &c};
    double v, e;
    assert_int_equal(gsl_integration_qags(&f, 0, 1, 0, 1e-12, 1000, ws, &v,
                                          &e), 0);
    gsl_integration_workspace_free(ws);
    assert_true(fabs(v - F) <= 1e-10 * fabs(F));
    /* F = -log ∫ prior × likelihood, the code's own target */
    double mu0 = c.S1 / (1 + c.n), lp;
    qctx q = {m, X, 0, mu0, 1 / sqrt(1 + c.n), 0, 0};
    assert_int_equal(post_log_target(m, X, 1, &mu0, &lp, NULL), SS_OK);
    q.shift = lp;
    double Z = quad_mu(&q);
    assert_true(fabs(-(log(Z) + q.shift) - F) <= 1e-10 * fabs(F));
    /* LOO: E_post[1/p(x_i|mu)] = 1/p(x_i|x_-i) */
    double el = 0;
    for (size_t i = 0; i < X->size1; i++) {
        q.what = 1;
        q.i = i;
        el -= log(quad_mu(&q) / Z);
    }
    double ec = elpd_closed(&c);
    assert_true(fabs(el - ec) <= 1e-10 * fabs(ec));
    /* the ladder's quadrature on the exact E^β: its error within the
     * estimate, for a few n and K (with fewer rungs, or n >> 1000, the
     * transition at beta ~ 1/n is too coarsely resolved for it) */
    size_t ns[] = {20, 100, 1000}, Ks[] = {16, 20, 32};
    for (size_t a = 0; a < 3; a++) {
        gsl_matrix *Y = normal_data(ns[a]);
        cdata d = cdata_of(Y);
        for (size_t b = 0; b < 3; b++) {
            size_t K = Ks[b];
            double E[33], w[33], Fq, qe;
            for (size_t j = 0; j <= K; j++)
                E[j] = E_closed(&d, fe_beta(j, K));
            fe_quadrature(E, K, &Fq, &qe, w);
            double Fx = F_closed(&d), lin = 0;
            for (size_t j = 0; j <= K; j++)
                lin += w[j] * E[j];
            assert_true(fabs(lin - Fq) <= 1e-9 * fabs(Fq));
            assert_true(fabs(Fq - Fx) <= qe);
            assert_true(qe < 0.05);
        }
        gsl_matrix_free(Y);
    }
    assert_true(fe_beta(0, 20) == 0 && fe_beta(20, 20) == 1);
    assert_true(fabs(fe_beta(10, 20) - pow(0.5, 5)) < 1e-15);
    gsl_matrix_free(X);
    model_free(m);
}

static fe_result *run_fe(const model *m, const gsl_matrix *X, fe_spec sp)
{
    fe_iter *it = NULL;
    assert_int_equal(fe_iter_alloc(m, X, &sp, &it), SS_OK);
    while (!fe_iter_type.test(it))
        assert_int_equal(fe_iter_type.iterate(it), SS_OK);
    fe_result *r = NULL;
    assert_int_equal(fe_iter_take(it, &r), SS_OK);
    fe_iter_free(it);
    return r;
}

static void test_ladder(void **state)
{
    (void)state;
    model *m = normal_model(1);
    gsl_matrix *X = normal_data(NOBS);
    cdata c = cdata_of(X);
    fe_spec sp = {.K = 20, .samples = 5000, .chains = 4, .burnin = 1000,
                  .sampler = POST_RWM, .seed = 21, .threads = 2};
    fe_result *r = run_fe(m, X, sp);
    assert_int_equal(r->nr, 23);
    assert_int_equal(r->n, NOBS);
    /* every rung within 4 se of its closed form */
    for (size_t j = 0; j < r->nr; j++) {
        double want = E_closed(&c, r->rung[j].beta);
        assert_true(fabs(r->rung[j].enl - want) < 4 * r->rung[j].enl_se);
        assert_true(r->rung[j].rhat < 1.01);
    }
    double F = F_closed(&c);
    assert_true(fabs(r->F - F) < 4 * r->F_se + r->F_quad);
    assert_true(r->F_se < 0.5);
    /* WBIC at 1/log n */
    double t1 = log(c.n), t2 = t1 / 2;
    assert_true(fabs(r->beta_w - 1 / t1) < 1e-15);
    assert_true(fabs(r->wbic - E_closed(&c, 1 / t1)) < 4 * r->wbic_se);
    /* λ̂ from two temperatures: its expectation, and that against ½ */
    double l2 = (E_closed(&c, 1 / t1) - E_closed(&c, 1 / t2)) / (t1 - t2);
    double xb2 = (c.S1 / c.n) * (c.S1 / c.n);
    assert_true(fabs(r->lam2 - l2) < 4 * r->lam2_se);
    assert_true(fabs(l2 - 0.5) <= (t1 + t2) / (2 * c.n) + xb2 * (t1 + t2) / c.n);
    assert_true(r->lam2_se < 0.1);
    /* λ̂ from the slope: the same fit on the closed forms */
    double x[32], y[32], se[32];
    size_t np = 0;
    for (size_t j = 0; j < r->nr; j++) {
        double b = r->rung[j].beta;
        if (b >= r->beta_w / 2 * (1 - 1e-12) && b <= 2 * r->beta_w * (1 + 1e-12)) {
            x[np] = 1 / b;
            y[np] = E_closed(&c, b);
            se[np] = r->rung[j].enl_se;
            np++;
        }
    }
    assert_int_equal(np, r->lams_np);
    assert_true(np >= 3);
    double ls, lse, lc;
    fe_fit_slope(x, y, se, np, &ls, &lse, &lc);
    assert_true(fabs(lse - r->lams_se) < 1e-12);
    assert_true(fabs(r->lams - ls) < 4 * r->lams_se);
    assert_true(fabs(ls - 0.5) <= 2 * t1 * (1 + 2 * xb2) / c.n);
    assert_true(r->lams_se < 0.1);
    assert_string_equal(r->warn, "");
    fe_result_free(r);
    gsl_matrix_free(X);
    model_free(m);
}

/* The weighted fit on exact lines: slope and intercept back. */
static void test_fit(void **state)
{
    (void)state;
    double x[] = {1, 2, 4, 7}, y[4], se[] = {0.1, 0.2, 0.1, 0.3};
    for (int i = 0; i < 4; i++)
        y[i] = 3 + 0.75 * x[i];
    double l, ls, c;
    fe_fit_slope(x, y, se, 4, &l, &ls, &c);
    assert_true(fabs(l - 0.75) < 1e-12 && fabs(c - 3) < 1e-12);
    /* the error: 1 / sqrt(Σ w (x - x̄_w)²) */
    double W = 0, xm = 0, sxx = 0;
    for (int i = 0; i < 4; i++) {
        W += 1 / (se[i] * se[i]);
        xm += x[i] / (se[i] * se[i]);
    }
    xm /= W;
    for (int i = 0; i < 4; i++)
        sxx += (x[i] - xm) * (x[i] - xm) / (se[i] * se[i]);
    assert_true(fabs(ls - 1 / sqrt(sxx)) < 1e-12);
}

static void test_loo(void **state)
{
    (void)state;
    model *m = normal_model(1);
    gsl_matrix *X = normal_data(NOBS);
    cdata c = cdata_of(X);
    post_spec sp = {.beta = 1, .samples = 20000, .chains = 4, .burnin = 1000,
                    .sampler = POST_RWM, .seed = 13, .threads = 2};
    post_iter *it = NULL;
    assert_int_equal(post_iter_alloc(m, X, &sp, &it), SS_OK);
    while (!post_iter_test(it))
        assert_int_equal(post_iter_iterate(it), SS_OK);
    post_result *r = NULL;
    assert_int_equal(post_iter_take(it, 0, &r), SS_OK);
    post_iter_free(it);
    double ec = elpd_closed(&c);
    assert_true(fabs(r->elpd_loo - ec) < 4 * r->elpd_loo_se);
    assert_true(r->elpd_loo_se < 0.05);
    /* 80000 draws of a well-behaved weight: no draw near 10% */
    assert_true(r->loo_wmax > 1.0 / 80000 && r->loo_wmax < 0.01);
    assert_true(r->loo_worst < NOBS);
    /* LOO is below the in-sample fit: elpd_loo < Σ log E_w p = -n T_n */
    assert_true(r->elpd_loo < -c.n * r->T);
    post_result_free(r);
    gsl_matrix_free(X);
    model_free(m);
}

static void test_threads(void **state)
{
    (void)state;
    model *m = normal_model(1);
    gsl_matrix *X = normal_data(NOBS);
    for (int smp = 0; smp < 2; smp++) {
        fe_spec sp = {.K = 4, .samples = 300, .chains = 3, .burnin = 100,
                      .sampler = (post_sampler)smp, .seed = 5, .threads = 1};
        fe_result *a = run_fe(m, X, sp);
        sp.threads = 2;
        fe_result *b = run_fe(m, X, sp);
        assert_int_equal(a->nr, b->nr);
        assert_memory_equal(a->rung, b->rung, a->nr * sizeof *a->rung);
        assert_true(a->F == b->F && a->lam2 == b->lam2 && a->lams == b->lams);
        /* the rungs' streams are not `posterior`'s: the beta = 1 rung
         * (j = K = 4) draws other numbers than a posterior run with the
         * same seed and spec */
        post_spec ps = {.beta = 1, .samples = 300, .chains = 3, .burnin = 100,
                        .sampler = (post_sampler)smp, .seed = 5, .threads = 2};
        post_iter *it = NULL;
        assert_int_equal(post_iter_alloc(m, X, &ps, &it), SS_OK);
        while (!post_iter_test(it))
            assert_int_equal(post_iter_iterate(it), SS_OK);
        post_result *p = NULL;
        assert_int_equal(post_iter_take(it, 0, &p), SS_OK);
        post_iter_free(it);
        assert_true(p->enl != a->rung[4].enl);
        post_result_free(p);
        fe_result_free(a);
        fe_result_free(b);
    }
    gsl_matrix_free(X);
    model_free(m);
}

static void expect_fail(const model *m, const gsl_matrix *X, fe_spec sp,
                        const char *what)
{
    fe_iter *it = NULL;
    assert_int_not_equal(fe_iter_alloc(m, X, &sp, &it), SS_OK);
    assert_null(it);
    if (!strstr(ss_last_error()->msg, what)) {
        print_error("message '%s' lacks '%s'\n", ss_last_error()->msg, what);
        fail();
    }
    ss_clear_error();
}

static void test_errors(void **state)
{
    (void)state;
    model *m = normal_model(1), *bare = normal_model(0);
    gsl_matrix *X = normal_data(NOBS), *X2 = normal_data(2);
    fe_spec sp = {.K = 4, .samples = 300, .chains = 2, .burnin = 100};
    fe_spec bad = sp;
    bad.K = 1;
    expect_fail(m, X, bad, "betas=1 must be even");
    bad.K = 0;
    expect_fail(m, X, bad, "betas=0");
    bad.K = 5;
    expect_fail(m, X, bad, "betas=5 must be even");
    expect_fail(bare, X, sp, "w1 has none");
    expect_fail(m, X2, sp, "n >= 3");
    bad = sp;
    bad.samples = 50;
    expect_fail(m, X, bad, "samples=50 is too few");
    gsl_matrix_free(X);
    gsl_matrix_free(X2);
    model_free(m);
    model_free(bare);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_closed_forms),
        cmocka_unit_test(test_fit),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_loo),
        cmocka_unit_test(test_ladder),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

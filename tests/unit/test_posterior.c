/* The posterior layer (bayes/posterior.h) on the conjugate normal model.
 *
 * gmm with v = 0 fixed is (1 - 0) N(w1, 1) + 0 N(w2, 1) = N(w1, 1) for any
 * w2: x_i ~ N(mu, 1) with mu = w1, and the prior mu ~ N(0, 1)
 * (`prior g w1=normal(0,1)`). Closed forms, derived here:
 *
 *   tempered posterior: log pi_beta(mu) = -mu^2/2 - beta Σ (x_i - mu)^2/2
 *     + const, a Gaussian with precision 1 + beta n, so
 *     N(m_beta, v_beta), v_beta = 1/(1 + beta n), m_beta = beta Σx v_beta.
 *   E^beta[n L_n] = E[-Σ log p(x_i|mu)] = Σ ½ E[(x_i - mu)^2] + (n/2) log 2π
 *     = Σ ½ [(x_i - m_beta)^2 + v_beta] + (n/2) log 2π.
 *   WAIC at beta = 1 (m = m_1, v = v_1, d_i = x_i - m):
 *     the predictive E_w[p(x_i|w)] = ∫ N(x_i; mu, 1) N(mu; m, v) dmu
 *       = N(x_i; m, 1 + v), so
 *     T_n = (1/n) Σ [½ log(2π(1 + v)) + d_i^2 / (2(1 + v))];
 *     log p(x_i|mu) = -½ log 2π - a^2/2 with a = x_i - mu ~ N(d_i, v);
 *       Var(a^2) = E a^4 - (E a^2)^2 = (d^4 + 6 d^2 v + 3 v^2) - (d^2 + v)^2
 *       = 4 d^2 v + 2 v^2, so Var(a^2/2) = d_i^2 v + v^2/2, and
 *     V_n = Σ (d_i^2 v + v^2/2);  WAIC = T_n + V_n / n.
 * The closed forms are checked to 1e-10 against adaptive quadrature over
 * mu (gsl_integration_qagi) of the code's own target and the family's
 * likelihood terms, and the samplers against the closed forms within a
 * few Monte-Carlo standard errors. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

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

#define NOBS 50

static model *normal_model(void)
{
    model_testpoint tp = {"normal", "v=0 w1=0 w2=0", "v w2", MODEL_TP_ON, -1,
                          0};
    model *m = NULL;
    assert_int_equal(model_alloc_testpoint(model_gmm, &tp, &m), SS_OK);
    model_prior p;
    assert_int_equal(prior_make("normal", (double[]){0, 1}, 2, &p), SS_OK);
    assert_int_equal(prior_check(m, 1, &p), SS_OK);
    assert_int_equal(model_set_prior(m, 1, p.kind, p.a, p.b), SS_OK);
    return m;
}

static gsl_matrix *normal_data(size_t n)
{
    gsl_matrix *X = gsl_matrix_alloc(n, 1);
    gsl_rng *r = ss_rng_alloc();
    ss_rng_seed(r, 7, SS_STREAM_TEST, 1);
    for (size_t i = 0; i < n; i++)
        gsl_matrix_set(X, i, 0, 0.3 + gsl_ran_gaussian(r, 1.0));
    ss_rng_free(r);
    return X;
}

typedef struct {
    double m, v, enl, T, V;
} closed;

static closed closed_form(const gsl_matrix *X, double beta)
{
    size_t n = X->size1;
    double sx = 0;
    for (size_t i = 0; i < n; i++)
        sx += gsl_matrix_get(X, i, 0);
    closed c;
    c.v = 1 / (1 + beta * (double)n);
    c.m = beta * sx * c.v;
    c.enl = 0.5 * (double)n * log(2 * M_PI);
    double v1 = 1 / (1 + (double)n), m1 = sx * v1;
    c.T = c.V = 0;
    for (size_t i = 0; i < n; i++) {
        double x = gsl_matrix_get(X, i, 0);
        c.enl += 0.5 * ((x - c.m) * (x - c.m) + c.v);
        double d = x - m1;
        c.T += 0.5 * log(2 * M_PI * (1 + v1)) + d * d / (2 * (1 + v1));
        c.V += d * d * v1 + v1 * v1 / 2;
    }
    c.T /= (double)n;
    return c;
}

/* ---- quadrature over mu -------------------------------------------------- */

typedef struct {
    const model *m;
    const gsl_matrix *X;
    double beta, c, s, shift; /* mu = c + s u; target shifted by `shift` */
    int what;                 /* 0: 1, 1: -l_n, 2: p(x_i|mu), 3: log p,
                                 4: (log p)^2 */
    size_t i;
} qctx;

static double integrand(double u, void *p)
{
    qctx *q = p;
    double mu = q->c + q->s * u, lp;
    assert_int_equal(post_log_target(q->m, q->X, q->beta, &mu, &lp, NULL),
                     SS_OK);
    double w = exp(lp - q->shift);
    if (q->what == 0)
        return w;
    double theta[3] = {0, mu, 0}, ell[NOBS];
    assert_int_equal(q->m->type->loglik_terms(q->m, theta, q->X, ell, NULL),
                     SS_OK);
    if (q->what == 1) {
        double l = 0;
        for (size_t i = 0; i < q->X->size1; i++)
            l += ell[i];
        return -l * w;
    }
    double t = ell[q->i];
    return w * (q->what == 2 ? exp(t) : q->what == 3 ? t : t * t);
}

static double quad(qctx *q, int what, size_t i)
{
    gsl_integration_workspace *ws = gsl_integration_workspace_alloc(2000);
    gsl_function F = {integrand, q};
    q->what = what;
    q->i = i;
    double r, e;
    assert_int_equal(gsl_integration_qagi(&F, 0, 1e-13, 2000, ws, &r, &e), 0);
    gsl_integration_workspace_free(ws);
    return r;
}

static void test_closed_forms(void **state)
{
    (void)state;
    model *m = normal_model();
    gsl_matrix *X = normal_data(NOBS);
    size_t n = X->size1;
    double xbar = 0;
    for (size_t i = 0; i < n; i++)
        xbar += gsl_matrix_get(X, i, 0) / (double)n;
    for (int b = 0; b < 2; b++) {
        double beta = b ? 1 / log((double)n) : 1;
        closed c = closed_form(X, beta);
        qctx q = {m, X, beta, xbar, 1 / sqrt(1 + beta * (double)n), 0, 0, 0};
        double lp;
        assert_int_equal(post_log_target(m, X, beta, &xbar, &lp, NULL), SS_OK);
        q.shift = lp;
        double Z = quad(&q, 0, 0);
        double enl = quad(&q, 1, 0) / Z;
        assert_true(fabs(enl - c.enl) <= 1e-10 * fabs(c.enl));
        if (b)
            continue;
        double T = 0, V = 0;
        for (size_t i = 0; i < n; i++) {
            T -= log(quad(&q, 2, i) / Z);
            double e1 = quad(&q, 3, i) / Z, e2 = quad(&q, 4, i) / Z;
            V += e2 - e1 * e1;
        }
        T /= (double)n;
        assert_true(fabs(T - c.T) <= 1e-10 * fabs(c.T));
        assert_true(fabs(V - c.V) <= 1e-10 * fabs(c.V) + 1e-13);
    }
    gsl_matrix_free(X);
    model_free(m);
}

static post_result *run(const model *m, const gsl_matrix *X, post_spec sp)
{
    post_iter *it = NULL;
    assert_int_equal(post_iter_alloc(m, X, &sp, &it), SS_OK);
    while (!post_iter_test(it))
        assert_int_equal(post_iter_iterate(it), SS_OK);
    post_result *r = NULL;
    assert_int_equal(post_iter_take(it, 0, &r), SS_OK);
    post_iter_free(it);
    return r;
}

/* The samplers within 4 Monte-Carlo standard errors of the closed forms:
 * the posterior mean by sd / sqrt(ESS), E[n L_n] and WAIC by their batch
 * means errors. */
static void check_sampler(post_sampler smp)
{
    model *m = normal_model();
    gsl_matrix *X = normal_data(NOBS);
    size_t n = X->size1;
    for (int b = 0; b < 2; b++) {
        double beta = b ? 1 / log((double)n) : 1;
        closed c = closed_form(X, beta);
        post_spec sp = {.beta = beta, .samples = 20000, .chains = 4,
                        .burnin = 1000, .sampler = smp, .seed = 11,
                        .threads = 2};
        post_result *r = run(m, X, sp);
        assert_int_equal(r->k, 1);
        assert_int_equal(r->nchains, 4);
        double se = r->sd[0] / sqrt(r->ess[0]);
        assert_true(fabs(r->mean[0] - c.m) < 4 * se);
        assert_true(fabs(r->sd[0] * r->sd[0] - c.v) < 0.05 * c.v);
        assert_true(r->rhat[0] < 1.01);
        assert_true(r->ess[0] > 1000);
        assert_true(fabs(r->enl - c.enl) < 4 * r->enl_se);
        assert_true(r->enl_se < 0.05);
        assert_int_equal(r->is_wbic, b);
        if (!b) {
            double waic = c.T + c.V / (double)n;
            assert_true(fabs(r->waic - waic) < 4 * r->waic_se + 1e-4);
            assert_true(fabs(r->V - c.V) < 4 * r->pwaic_se + 1e-3);
        }
        for (size_t ch = 0; ch < 4; ch++)
            assert_true(r->accept[ch] > 0.1 && r->accept[ch] < 0.95);
        assert_string_equal(r->warn, "");
        post_result_free(r);
    }
    gsl_matrix_free(X);
    model_free(m);
}

static void test_rwm(void **state)
{
    (void)state;
    check_sampler(POST_RWM);
}

static void test_mala(void **state)
{
    (void)state;
    check_sampler(POST_MALA);
}

static void test_threads(void **state)
{
    (void)state;
    model *m = normal_model();
    gsl_matrix *X = normal_data(NOBS);
    for (int smp = 0; smp < 2; smp++) {
        post_spec sp = {.beta = 1, .samples = 500, .chains = 3, .burnin = 200,
                        .sampler = (post_sampler)smp, .seed = 5, .threads = 1};
        post_result *a = run(m, X, sp);
        sp.threads = 2;
        post_result *b = run(m, X, sp);
        assert_memory_equal(a->draws, b->draws, 3 * 500 * 2 * sizeof(double));
        assert_true(a->waic == b->waic && a->enl == b->enl &&
                    a->waic_se == b->waic_se);
        post_result_free(a);
        post_result_free(b);
    }
    gsl_matrix_free(X);
    model_free(m);
}

/* ESS against theory: i.i.d. draws (ESS near N) and an AR(1) chain with
 * coefficient phi, whose integrated autocorrelation time is
 * (1 + phi) / (1 - phi). R-hat near 1 for both, large for shifted chains. */
static void test_diagnostics(void **state)
{
    (void)state;
    size_t C = 4, N = 20000;
    double *x = malloc(C * N * sizeof *x);
    gsl_rng *r = ss_rng_alloc();
    ss_rng_seed(r, 3, SS_STREAM_TEST, 2);
    for (size_t t = 0; t < C * N; t++)
        x[t] = gsl_ran_gaussian(r, 1);
    double rh, ess;
    post_rhat_ess(x, C, N, 1, &rh, &ess);
    assert_true(fabs(rh - 1) < 0.005);
    assert_true(fabs(ess / (double)(C * N) - 1) < 0.1);
    double phi = 0.9;
    for (size_t c = 0; c < C; c++) {
        double y = gsl_ran_gaussian(r, 1) / sqrt(1 - phi * phi);
        for (size_t t = 0; t < N; t++) {
            y = phi * y + gsl_ran_gaussian(r, 1);
            x[c * N + t] = y;
        }
    }
    post_rhat_ess(x, C, N, 1, &rh, &ess);
    double want = (double)(C * N) * (1 - phi) / (1 + phi);
    assert_true(fabs(rh - 1) < 0.01);
    assert_true(fabs(ess / want - 1) < 0.15);
    for (size_t t = 0; t < N; t++)
        x[t] += 3; /* chain 0 elsewhere */
    post_rhat_ess(x, C, N, 1, &rh, &ess);
    assert_true(rh > 1.1);
    ss_rng_free(r);
    free(x);
}

static void test_errors(void **state)
{
    (void)state;
    model *m = normal_model();
    gsl_matrix *X = normal_data(NOBS);
    post_spec sp = {.beta = 1, .samples = 500, .chains = 2, .burnin = 100};
    post_iter *it = NULL;
    sp.beta = 0;
    assert_int_equal(post_iter_alloc(m, X, &sp, &it), SS_ERR_RANGE);
    assert_non_null(strstr(ss_last_error()->msg, "beta=0 must be > 0"));
    sp.beta = -1;
    assert_int_equal(post_iter_alloc(m, X, &sp, &it), SS_ERR_RANGE);
    sp.beta = 1;
    sp.samples = 50;
    assert_int_equal(post_iter_alloc(m, X, &sp, &it), SS_ERR_RANGE);
    assert_non_null(strstr(ss_last_error()->msg, "samples=50 is too few for "
                                                 "the diagnostics"));
    sp.samples = 500;
    m->is_free[2] = 1; /* w2 free without a prior */
    assert_int_equal(post_iter_alloc(m, X, &sp, &it), SS_ERR_USAGE);
    assert_string_equal(ss_last_error()->msg,
                        "posterior needs a proper prior on every free "
                        "parameter: w2 has none (`prior MODEL w2=...`)");
    assert_null(it);
    /* priors that do not fit the parameter */
    model_prior p;
    assert_int_equal(prior_make("normal", (double[]){0, 1}, 2, &p), SS_OK);
    assert_int_equal(prior_check(m, 0, &p), SS_ERR_RANGE); /* v in [0, 1] */
    assert_non_null(strstr(ss_last_error()->msg, "leaves v's range [0, 1]"));
    assert_int_equal(prior_make("uniform", (double[]){0.5, 1}, 2, &p), SS_OK);
    assert_int_equal(prior_check(m, 0, &p), SS_ERR_RANGE); /* v = 0 */
    assert_non_null(strstr(ss_last_error()->msg, "v = 0 has no support"));
    assert_int_equal(prior_make("beta", (double[]){2, 2}, 2, &p), SS_OK);
    assert_int_equal(prior_check(m, 0, &p), SS_ERR_RANGE); /* density 0 */
    assert_non_null(strstr(ss_last_error()->msg, "zero density"));
    assert_int_equal(prior_make("uniform", (double[]){1, 1}, 2, &p),
                     SS_ERR_RANGE);
    assert_int_equal(prior_make("normal", (double[]){0, 0}, 2, &p),
                     SS_ERR_RANGE);
    assert_int_equal(prior_make("gamma", (double[]){1, 1}, 2, &p),
                     SS_ERR_USAGE);
    assert_int_equal(prior_make("beta", (double[]){1}, 1, &p), SS_ERR_USAGE);
    gsl_matrix_free(X);
    model_free(m);
}

/* Log densities against GSL's pdfs. */
static void test_prior_density(void **state)
{
    (void)state;
    model_prior p;
    double d;
    prior_make("beta", (double[]){2.5, 0.7}, 2, &p);
    assert_true(fabs(prior_logpdf(&p, 0.3, &d) -
                     log(gsl_ran_beta_pdf(0.3, 2.5, 0.7))) < 1e-13);
    assert_true(fabs(d - (1.5 / 0.3 + 0.3 / 0.7)) < 1e-12);
    prior_make("normal", (double[]){1, 2}, 2, &p);
    assert_true(fabs(prior_logpdf(&p, -0.5, &d) -
                     log(gsl_ran_gaussian_pdf(-1.5, 2))) < 1e-13);
    assert_true(fabs(d - 1.5 / 4) < 1e-15);
    prior_make("uniform", (double[]){-1, 3}, 2, &p);
    assert_true(fabs(prior_logpdf(&p, 0, NULL) - log(0.25)) < 1e-15);
    assert_true(isinf(prior_logpdf(&p, 3.5, NULL)));
}


/* ---- parallel tempering --------------------------------------------------- */

/* gmm p = (1 - v) N(w1, 1) + v N(w2, 1), v, w1, w2 free, with a prior
 * symmetric under the label swap (v, w1, w2) -> (1 - v, w2, w1): v ~
 * uniform(0, 1), w1, w2 ~ N(0, 3^2). The likelihood is symmetric under the
 * swap too, so the posterior is: exactly half its mass has w1 < w2. With
 * data from 0.5 N(-2, 1) + 0.5 N(2, 1) (n = 200) the two modes (w1, w2)
 * near (-2, 2) and (2, -2) are separated by the set w1 = w2, where the
 * model is one Gaussian and the log-likelihood lower by an amount growing
 * like n (hundreds here), which a random walk does not cross; the chains
 * start at the
 * symmetric point w1 = w2 = 0 and each falls into one mode. */
static model *mixture_model(void)
{
    model_testpoint tp = {"mix", "v=0.5 w1=0 w2=0", "", MODEL_TP_ON, -1, 0};
    model *m = NULL;
    assert_int_equal(model_alloc_testpoint(model_gmm, &tp, &m), SS_OK);
    const char *kind[3] = {"uniform", "normal", "normal"};
    const double ab[3][2] = {{0, 1}, {0, 3}, {0, 3}};
    for (size_t i = 0; i < 3; i++) {
        model_prior p;
        assert_int_equal(prior_make(kind[i], ab[i], 2, &p), SS_OK);
        assert_int_equal(prior_check(m, i, &p), SS_OK);
        assert_int_equal(model_set_prior(m, i, p.kind, p.a, p.b), SS_OK);
    }
    return m;
}

static gsl_matrix *mixture_data(size_t n)
{
    gsl_matrix *X = gsl_matrix_alloc(n, 1);
    gsl_rng *r = ss_rng_alloc();
    ss_rng_seed(r, 9, SS_STREAM_TEST, 3);
    for (size_t i = 0; i < n; i++)
        gsl_matrix_set(X, i, 0, (i % 2 ? 2.0 : -2.0) +
                                    gsl_ran_gaussian(r, 1.0));
    ss_rng_free(r);
    return X;
}

/* The fraction of chain c's draws (in batch b of nb, or all: nb = 1) with
 * w1 < w2. */
static double frac_below(const post_result *r, size_t c, size_t b, size_t nb)
{
    size_t S = r->sp.samples, s0 = b * S / nb, s1 = (b + 1) * S / nb, cnt = 0;
    for (size_t t = s0; t < s1; t++) {
        const double *d = r->draws + (c * S + t) * (r->k + 1);
        cnt += d[1] < d[2];
    }
    return (double)cnt / (double)(s1 - s0);
}

static void test_tempering_modes(void **state)
{
    (void)state;
    model *m = mixture_model();
    gsl_matrix *X = mixture_data(200);
    /* without tempering: every chain in one mode, R-hat and the chain
     * means say so */
    post_spec sp = {.beta = 1, .samples = 2000, .chains = 6, .burnin = 1000,
                    .sampler = POST_RWM, .seed = 1, .threads = 2};
    post_result *r = run(m, X, sp);
    size_t below = 0, above = 0;
    for (size_t c = 0; c < 6; c++) {
        double f = frac_below(r, c, 0, 1);
        assert_true(f < 0.01 || f > 0.99);
        below += f > 0.99;
        above += f < 0.01;
    }
    assert_true(below > 0 && above > 0); /* both modes met */
    assert_true(r->rhat[1] > 1.5 && r->rhat[2] > 1.5);
    assert_non_null(strstr(r->warn, "split R-hat of w1 is"));
    assert_non_null(strstr(r->warn, "chains disagree on w1: the means of "
                                    "chains 1 ("));
    post_result_free(r);
    /* parallel tempering: the pooled fraction is 1/2 within its batch-means
     * error (10 batches per chain), every chain visits both modes */
    sp.temps = 6;
    sp.samples = 20000;
    sp.chains = 4;
    r = run(m, X, sp);
    assert_int_equal(r->temps, 6);
    assert_true(fabs(r->ladder[5] - 0.01) < 1e-15);
    double fb[40], fm = 0;
    for (size_t c = 0; c < 4; c++) {
        double f = frac_below(r, c, 0, 1);
        assert_true(f > 0.2 && f < 0.8);
        for (size_t b = 0; b < 10; b++) {
            fb[c * 10 + b] = frac_below(r, c, b, 10);
            fm += fb[c * 10 + b] / 40;
        }
    }
    double q = 0;
    for (size_t j = 0; j < 40; j++)
        q += (fb[j] - fm) * (fb[j] - fm);
    double se = sqrt(q / 39) / sqrt(40.0);
    assert_true(se > 0 && se < 0.05);
    assert_true(fabs(fm - 0.5) < 4 * se);
    for (size_t j = 0; j < 3; j++)
        assert_true(r->rhat[j] < POST_RHAT_WARN);
    assert_null(strstr(r->warn, "chains disagree"));
    for (size_t c = 0; c < 4; c++)
        for (size_t p = 0; p < 5; p++)
            assert_true(r->swap[c * 5 + p] > 0.2 && r->swap[c * 5 + p] < 1);
    post_result_free(r);
    gsl_matrix_free(X);
    model_free(m);
}

/* Tempering leaves the target invariant: the conjugate normal model with
 * temps=4 (sampler RWM and MALA) gives the closed-form posterior mean,
 * variance and E[n L_n]; the numbers do not depend on the threads. */
static void test_tempering_invariant(void **state)
{
    (void)state;
    model *m = normal_model();
    gsl_matrix *X = normal_data(NOBS);
    closed c = closed_form(X, 1);
    for (int smp = 0; smp < 2; smp++) {
        post_spec sp = {.beta = 1, .samples = 20000, .chains = 4,
                        .burnin = 1000, .sampler = (post_sampler)smp,
                        .seed = 12, .threads = 2, .temps = 4,
                        .beta_min = 0.05};
        post_result *r = run(m, X, sp);
        double se = r->sd[0] / sqrt(r->ess[0]);
        assert_true(fabs(r->mean[0] - c.m) < 4 * se);
        assert_true(fabs(r->sd[0] * r->sd[0] - c.v) < 0.05 * c.v);
        assert_true(fabs(r->enl - c.enl) < 4 * r->enl_se);
        assert_true(fabs(r->ladder[3] - 0.05) < 1e-15);
        assert_true(fabs(r->ladder[1] - pow(0.05, 1.0 / 3)) < 1e-15);
        assert_string_equal(r->warn, "");
        sp.threads = 1;
        sp.samples = 300;
        post_result *a = run(m, X, sp);
        sp.threads = 2;
        post_result *b = run(m, X, sp);
        assert_memory_equal(a->draws, b->draws, 4 * 300 * 2 * sizeof(double));
        assert_memory_equal(a->swap, b->swap, 4 * 3 * sizeof(double));
        post_result_free(a);
        post_result_free(b);
        post_result_free(r);
    }
    post_spec sp = {.beta = 1, .samples = 500, .chains = 2, .temps = 3,
                    .beta_min = 1.5};
    post_iter *it = NULL;
    assert_int_equal(post_iter_alloc(m, X, &sp, &it), SS_ERR_RANGE);
    assert_non_null(strstr(ss_last_error()->msg, "betamin=1.5 must lie in "
                                                 "(0, beta = 1)"));
    sp.beta_min = 0;
    sp.temps = POST_TEMPS_MAX + 1;
    assert_int_equal(post_iter_alloc(m, X, &sp, &it), SS_ERR_RANGE);
    assert_non_null(strstr(ss_last_error()->msg, "is outside 1..64"));
    assert_null(it);
    gsl_matrix_free(X);
    model_free(m);
}

/* ---- the warnings ----------------------------------------------------------- */

/* A chain stuck with a non-finite log-likelihood inside the prior's
 * support: data x_i = 1e154, the model at w1 = 1e154 with the prior
 * N(1e154, (1e154)^2), no burn-in. The first proposal scale is the prior
 * sd / sqrt(1 + n) ~ 1.4e153 (times 2.38), so a proposal's sum of n = 50
 * terms -(x - w)^2 / 2 overflows to -inf for |z| > ~0.8 (about 40% of
 * them), and every finite proposal is off by ~1e306 in log target:
 * nothing is accepted. */
static void test_warn_stuck_nonfinite(void **state)
{
    (void)state;
    model *m = normal_model();
    assert_int_equal(model_set_prior(m, 1, PRIOR_NORMAL, 1e154, 1e154),
                     SS_OK);
    m->theta[1] = 1e154;
    gsl_matrix *X = gsl_matrix_alloc(NOBS, 1);
    gsl_matrix_set_all(X, 1e154);
    post_spec sp = {.beta = 1, .samples = 200, .chains = 2, .burnin = 0,
                    .sampler = POST_RWM, .seed = 2, .threads = 1};
    post_result *r = run(m, X, sp);
    for (size_t c = 0; c < 2; c++) {
        assert_true(r->accept[c] < 0.01);
        assert_true(r->nonfinite[c] > 0.2 && r->nonfinite[c] < 0.6);
    }
    assert_non_null(strstr(r->warn, "chain 1 accepted 0% of its proposals "
                                    "(stuck)"));
    assert_non_null(strstr(r->warn, "chain 2 accepted 0% of its proposals "
                                    "(stuck)"));
    assert_non_null(strstr(r->warn, "non-finite log-likelihood met inside "
                                    "the prior's support by chains 1, 2"));
    post_result_free(r);
    gsl_matrix_free(X);
    model_free(m);
}

/* Steps too small: only w2 free with v = 0, where the likelihood does not
 * depend on w2, so the posterior is the prior N(0, 1); without burn-in the
 * step is the regular guess 2.38 / sqrt(1 + n) = 0.075 at n = 1000, and a
 * random walk with step sd h on N(0, 1) accepts (2/pi) atan(2/h) = 0.976 of
 * its proposals: > 95%. After a burn-in the adapted scale targets 0.234 in
 * vain in one dimension but stays near 0.44: no warning. */
static void test_warn_small_steps(void **state)
{
    (void)state;
    model *m = normal_model();
    m->is_free[1] = 0;
    m->is_free[2] = 1;
    assert_int_equal(model_set_prior(m, 2, PRIOR_NORMAL, 0, 1), SS_OK);
    gsl_matrix *X = normal_data(1000);
    post_spec sp = {.beta = 1, .samples = 4000, .chains = 2, .burnin = 0,
                    .sampler = POST_RWM, .seed = 3, .threads = 1};
    post_result *r = run(m, X, sp);
    double want = 2 / M_PI * atan(2 / (2.38 / sqrt(1001.0)));
    for (size_t c = 0; c < 2; c++)
        assert_true(fabs(r->accept[c] - want) < 0.02);
    assert_non_null(strstr(r->warn, "chain 1 accepted"));
    assert_non_null(strstr(r->warn, "of its proposals after adaptation (> "
                                    "95%: steps too small"));
    post_result_free(r);
    sp.burnin = 2000;
    r = run(m, X, sp);
    assert_null(strstr(r->warn, "accepted"));
    assert_null(strstr(r->warn, "non-finite"));
    assert_null(strstr(r->warn, "chains disagree"));
    post_result_free(r);
    gsl_matrix_free(X);
    model_free(m);
}

/* ---- the draws in a plane ----------------------------------------------------- */

/* Check a grid's singular-set marks against the line a x + b y = c of set
 * q (0-based): every marked cell is set q and within a cell of the line,
 * and in every column the cell holding the line is marked; the mass sums
 * to 1 and its largest cell lies within 0.5 of one of the modes (mx[],
 * my[]). */
static void check_plane(const post_plane *g, double a, double b, double c,
                        int q, const double *mx, const double *my)
{
    double dx = (g->x1 - g->x0) / (double)g->nx;
    double dy = (g->y1 - g->y0) / (double)g->ny;
    double nrm = sqrt(a * a + b * b), tot = 0, zmax = -1;
    size_t imax = 0;
    assert_int_equal(g->used, 1u << q);
    for (size_t j = 0; j < g->ny; j++)
        for (size_t i = 0; i < g->nx; i++) {
            double xc = g->x0 + ((double)i + 0.5) * dx;
            double yc = g->y0 + ((double)j + 0.5) * dy;
            size_t cidx = j * g->nx + i;
            if (g->mark[cidx]) {
                assert_int_equal(g->mark[cidx], q + 1);
                assert_true(fabs(a * xc + b * yc - c) / nrm <=
                            hypot(dx, dy));
            }
            if (!isnan(g->z[cidx])) {
                tot += g->z[cidx];
                if (g->z[cidx] > zmax) {
                    zmax = g->z[cidx];
                    imax = cidx;
                }
            }
        }
    assert_true(fabs(tot - 1) < 1e-12);
    for (size_t i = 0; i < g->nx && b != 0; i++) { /* the line, per column */
        double xc = g->x0 + ((double)i + 0.5) * dx, y = (c - a * xc) / b;
        if (y < g->y0 || y >= g->y1)
            continue;
        size_t j = (size_t)((y - g->y0) / dy);
        assert_int_equal(g->mark[j * g->nx + i], q + 1);
    }
    double xm = g->x0 + ((double)(imax % g->nx) + 0.5) * dx;
    double ym = g->y0 + ((double)(imax / g->nx) + 0.5) * dy;
    assert_true((fabs(xm - mx[0]) < 0.5 && fabs(ym - my[0]) < 0.5) ||
                (fabs(xm - mx[1]) < 0.5 && fabs(ym - my[1]) < 0.5));
}

/* The tempered mixture posterior in (w1, w2): the singular set w1 = w2 (v
 * = 0 and v = 1 do not meet the plane v = E v ~ 1/2) on the diagonal, the
 * mass at the modes (w1, w2) = (-2, 2), (2, -2); in the blow-down
 * coordinates (m, u) = ((1 - v) w1 + v w2, w2 - w1) the set is u = 0 and
 * the modes are near (0, 4), (0, -4). */
static void test_plane(void **state)
{
    (void)state;
    model *m = mixture_model();
    gsl_matrix *X = mixture_data(200);
    post_spec sp = {.beta = 1, .samples = 3000, .chains = 2, .burnin = 1000,
                    .sampler = POST_RWM, .seed = 4, .threads = 2, .temps = 6};
    post_result *r = run(m, X, sp);
    model_axis ax, ay;
    post_plane g;
    assert_int_equal(model_axis_find(r->m, "w1", &ax), SS_OK);
    assert_int_equal(model_axis_find(r->m, "w2", &ay), SS_OK);
    assert_int_equal(post_plane_grid(r, &ax, &ay, 50, 30, &g), SS_OK);
    assert_int_equal(g.nok, 6000);
    check_plane(&g, 1, -1, 0, 2, (double[]){-2, 2}, (double[]){2, -2});
    post_plane_free(&g);
    assert_int_equal(model_axis_find(r->m, "m", &ax), SS_OK);
    assert_int_equal(model_axis_find(r->m, "u", &ay), SS_OK);
    assert_true(ax.is_coord && ay.is_coord);
    assert_int_equal(post_plane_grid(r, &ax, &ay, 40, 24, &g), SS_OK);
    check_plane(&g, 0, 1, 0, 2, (double[]){0, 0}, (double[]){4, -4});
    post_plane_free(&g);
    post_result_free(r);
    gsl_matrix_free(X);
    model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_closed_forms),
        cmocka_unit_test(test_prior_density),
        cmocka_unit_test(test_diagnostics),
        cmocka_unit_test(test_rwm),
        cmocka_unit_test(test_mala),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_tempering_modes),
        cmocka_unit_test(test_tempering_invariant),
        cmocka_unit_test(test_warn_stuck_nonfinite),
        cmocka_unit_test(test_warn_small_steps),
        cmocka_unit_test(test_plane),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

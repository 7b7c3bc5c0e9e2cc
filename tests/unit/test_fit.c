/* Maximum-likelihood fits (infer/fit.c), checked against theory and
 * independent computations: stationarity of the likelihood at the
 * estimate, the fitted log-likelihood against the truth and every start,
 * recovery within 4 exact standard errors (the exact FIM^-1 / n), the
 * AR(1) exact MLE against a brute-force maximisation of its closed-form
 * likelihood written here, 95% interval coverage over replicates, the null
 * model, and the refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fixture.h"
#include "testutil.h"

#include "fim/fim.h"
#include "core/interrupt.h"
#include "infer/fit.h"
#include "model/model.h"

#include <gsl/gsl_linalg.h>
#include <math.h>

static model *get_model(fx *f, const char *name)
{
    ss_obj *o = session_find(f->s, name);
    assert_non_null(o);
    assert_ptr_equal(o->type, &obj_model);
    return o->ptr;
}

static const gsl_matrix *get_data(fx *f, const char *name)
{
    ss_obj *o = session_find(f->s, name);
    assert_non_null(o);
    assert_ptr_equal(o->type, &obj_data);
    return ((dataset *)o->ptr)->X;
}

static fit_result *do_fit(const model *m, const gsl_matrix *X, size_t starts)
{
    fit_spec sp = {.starts = starts, .seed = 7};
    fit_result *r = NULL;
    ss_status st = fit_run(m, X, &sp, &r);
    if (st != SS_OK)
        print_error("fit: %s\n", ss_last_error()->msg);
    assert_int_equal(st, SS_OK);
    return r;
}

static double loglik_at(const model *m, const double *theta,
                        const gsl_matrix *X)
{
    double l;
    assert_int_equal(model_loglik_grad(m, theta, X, &l, NULL), SS_OK);
    return l;
}

/* The gradient of l/n over the free parameters at the estimate. */
static double free_grad_max(const model *m, const fit_result *r,
                            const gsl_matrix *X)
{
    double l, g[64];
    assert_true(m->P <= 64);
    assert_int_equal(model_loglik_grad(m, r->theta, X, &l, g), SS_OK);
    double mx = 0;
    for (size_t i = 0; i < m->P; i++)
        if (m->is_free[i] && fabs(g[i]) / (double)r->n > mx)
            mx = fabs(g[i]) / (double)r->n;
    return mx;
}

/* Exact standard errors sqrt(diag(G^-1)/n) at the truth (model t). */
static void exact_se(const model *t, size_t n, double *se)
{
    fim_request req = {.method = FIM_EXACT, .no_root = 1};
    fim_result *G = NULL;
    assert_int_equal(fim_compute(t, &req, &G), SS_OK);
    size_t k = G->k;
    gsl_matrix *A = gsl_matrix_alloc(k, k);
    gsl_matrix_memcpy(A, G->G);
    assert_int_equal(gsl_linalg_cholesky_decomp1(A), 0);
    assert_int_equal(gsl_linalg_cholesky_invert(A), 0);
    for (size_t i = 0; i < t->P; i++)
        se[i] = NAN;
    for (size_t a = 0; a < k; a++)
        se[G->idx[a]] = sqrt(gsl_matrix_get(A, a, a) / (double)n);
    gsl_matrix_free(A);
    fim_result_free(G);
}

/* (a) Hartigan's direction: v and w1 fixed, w2 free; then all free. */
static void test_gmm_stationary(void **state)
{
    fx *f = *state;
    fx_ok_quiet(f, "model t gmm v=0.3 w1=0 w2=2");
    fx_ok_quiet(f, "sample t n=800 seed=11 as d");
    fx_ok_quiet(f, "model m gmm v=0.3 w1=0 w2=0.5");
    fx_ok_quiet(f, "fix m v w1");
    const model *m = get_model(f, "m"), *t = get_model(f, "t");
    const gsl_matrix *X = get_data(f, "d");
    fit_result *r = do_fit(m, X, 10);
    assert_int_equal(r->k, 1);
    assert_true(r->converged);
    assert_true(r->loglik >= loglik_at(m, t->theta, X) - 1e-9);
    assert_true(r->loglik >= r->start_loglik_max - 1e-9);
    assert_true(free_grad_max(m, r, X) < 1e-6);
    assert_close(r->theta[0], 0.3, 0, 0); /* fixed values kept */
    assert_close(r->theta[1], 0.0, 0, 0);
    fit_result_free(r);

    fx_ok_quiet(f, "model a gmm v=0.5 w1=0 w2=1");
    const model *a = get_model(f, "a");
    r = do_fit(a, X, 10);
    assert_int_equal(r->k, 3);
    assert_true(r->converged);
    assert_true(r->loglik >= loglik_at(a, t->theta, X) - 1e-9);
    assert_true(r->loglik >= r->start_loglik_max - 1e-9);
    assert_true(free_grad_max(a, r, X) < 1e-6);
    assert_true(r->theta[1] <= r->theta[2]); /* canonical labelling */
    assert_non_null(strstr(r->note, "w1 <= w2"));
    fit_result_free(r);
}

/* (b) recovery at a regular truth within 4 exact standard errors, and the
 * observed-information SE within 15% of the exact one. */
static void test_gmm_recovery(void **state)
{
    fx *f = *state;
    fx_ok_quiet(f, "model t gmm v=0.3 w1=-1 w2=1.5");
    fx_ok_quiet(f, "sample t n=3000 seed=5 as d");
    const model *t = get_model(f, "t");
    const gsl_matrix *X = get_data(f, "d");
    double se[3];
    exact_se(t, 3000, se);
    fit_result *r = do_fit(t, X, 10);
    assert_true(r->have_se);
    for (int i = 0; i < 3; i++) {
        assert_true(fabs(r->theta[i] - t->theta[i]) < 4 * se[i]);
        assert_close(r->se[i], se[i], 0.15, 0);
    }
    assert_close(r->aic, -2 * r->loglik + 6, 1e-14, 0);
    assert_close(r->bic, -2 * r->loglik + 3 * log(3000.0), 1e-14, 0);
    assert_close(r->mdl, -r->loglik + 1.5 * log(3000.0), 1e-14, 0);
    fit_result_free(r);
}

/* (c) AR(1): the closed-form exact likelihood with sigma2 profiled out
 * (fit estimates it, as R's arima does): with
 *   S(phi) = (1 - phi^2) x_1^2 + sum_{t>=2} (x_t - phi x_{t-1})^2,
 *   l_c(phi) = -(n/2) (log(2 pi S/n) + 1) + 1/2 log(1 - phi^2),
 * maximised by a grid and golden-section search; sigma2hat = S(phi)/n. */
static double ar1_ss(const gsl_matrix *X, double phi)
{
    size_t n = X->size1;
    double x1 = gsl_matrix_get(X, 0, 0);
    double ss = (1 - phi * phi) * x1 * x1;
    for (size_t t = 1; t < n; t++) {
        double e = gsl_matrix_get(X, t, 0) - phi * gsl_matrix_get(X, t - 1, 0);
        ss += e * e;
    }
    return ss;
}

static double ar1_loglik(const gsl_matrix *X, double phi)
{
    double n = (double)X->size1;
    return -0.5 * n * (log(2 * M_PI * ar1_ss(X, phi) / n) + 1) +
           0.5 * log(1 - phi * phi);
}

static void test_ar1_exact(void **state)
{
    fx *f = *state;
    fx_ok_quiet(f, "model t arma sigma2=1.5 ar=[0.6] ma=[]");
    fx_ok_quiet(f, "sample t n=400 seed=3 as x");
    fx_ok_quiet(f, "model m arma sigma2=1.5 ar=[-0.2] ma=[]");
    const gsl_matrix *X = get_data(f, "x");
    fit_result *r = do_fit(get_model(f, "m"), X, 4);
    double best = -0.999, bl = -INFINITY;
    for (int i = 0; i <= 1998; i++) {
        double p = -0.999 + 0.001 * i, l = ar1_loglik(X, p);
        if (l > bl)
            bl = l, best = p;
    }
    double a = best - 0.001, b = best + 0.001, g = (sqrt(5.0) - 1) / 2;
    for (int it = 0; it < 100; it++) {
        double c = b - g * (b - a), d = a + g * (b - a);
        if (ar1_loglik(X, c) > ar1_loglik(X, d))
            b = d;
        else
            a = c;
    }
    double phi = 0.5 * (a + b);
    assert_true(r->converged);
    assert_close(r->theta[0], phi, 0, 1e-6);
    assert_close(r->loglik, ar1_loglik(X, phi), 1e-10, 0);
    assert_int_equal(r->nscale, 1);
    assert_close(r->scale, ar1_ss(X, phi) / 400.0, 1e-6, 0);
    fit_result_free(r);
}

/* ARMA(1,1): stationary, the gradient ~0, recovery within 4 exact SE. */
static void test_arma11(void **state)
{
    fx *f = *state;
    fx_ok_quiet(f, "model t arma ar=[0.5] ma=[0.3]");
    fx_ok_quiet(f, "sample t n=2000 seed=8 as x");
    const model *t = get_model(f, "t");
    const gsl_matrix *X = get_data(f, "x");
    double se[2];
    exact_se(t, 2000, se);
    fit_result *r = do_fit(t, X, 10);
    assert_true(r->converged);
    /* sigma2 is profiled: the likelihood is stationary at (theta, sigma2hat),
     * the fitted copy */
    assert_true(free_grad_max(r->at, r, X) < 1e-6);
    assert_true(r->loglik >= loglik_at(t, t->theta, X) - 1e-9);
    for (int i = 0; i < 2; i++) {
        assert_true(fabs(r->theta[i] - t->theta[i]) < 4 * se[i]);
        assert_close(r->se[i], se[i], 0.15, 0);
    }
    fit_result_free(r);
}

/* (d) mlp2: the residual gradient J^T r ~ 0 at the estimate and recovery
 * (up to swapping the units, the same function). */
static void test_mlp2(void **state)
{
    fx *f = *state;
    fx_ok_quiet(f, "model t mlp2 d=2 w1=1.5 w2=-1 J1=[1,0.5] J2=[-0.5,1]");
    fx_ok_quiet(f, "sample t n=3000 seed=4 as y");
    const model *t = get_model(f, "t");
    const gsl_matrix *X = get_data(f, "y");
    double se[6];
    exact_se(t, 3000, se);
    fit_result *r = do_fit(t, X, 6);
    assert_true(r->converged);
    assert_true(free_grad_max(t, r, X) < 1e-6);
    assert_true(r->loglik >= loglik_at(t, t->theta, X) - 1e-9);
    static const int swap[6] = {1, 0, 4, 5, 2, 3};
    int ok = 1, okswap = 1;
    for (int i = 0; i < 6; i++) {
        ok &= fabs(r->theta[i] - t->theta[i]) < 4 * se[i];
        okswap &= fabs(r->theta[swap[i]] - t->theta[i]) < 4 * se[i];
    }
    assert_true(ok || okswap);
    assert_true(r->have_se);
    fit_result_free(r);
}

/* (e) coverage of the 95% intervals theta +- 1.96 se over 100 replicates
 * at a regular truth: 300 intervals (3 per replicate), expected 95%; the
 * band [0.88, 0.99] is about 3 binomial SD below and 2 above (the seeds
 * are fixed, so the test is deterministic). */
static void test_gmm_coverage(void **state)
{
    fx *f = *state;
    fx_ok_quiet(f, "model t gmm v=0.5 w1=-1.5 w2=1.5");
    const model *t = get_model(f, "t");
    size_t cover = 0, total = 0;
    for (int rep = 0; rep < 100; rep++) {
        char line[96];
        snprintf(line, sizeof line, "sample t n=500 seed=%d as d", 100 + rep);
        fx_ok_quiet(f, line);
        fit_result *r = do_fit(t, get_data(f, "d"), 3);
        assert_true(r->have_se);
        for (int i = 0; i < 3; i++) {
            total++;
            cover += fabs(r->theta[i] - t->theta[i]) <= 1.96 * r->se[i];
        }
        fit_result_free(r);
    }
    double c = (double)cover / (double)total;
    print_message("coverage %.3f of %zu intervals\n", c, total);
    assert_true(c >= 0.88 && c <= 0.99);
}

/* (f) the null model: nothing free, the log-likelihood at the point. */
static void test_null(void **state)
{
    fx *f = *state;
    fx_ok_quiet(f, "model t gmm v=0.3 w1=0 w2=1");
    fx_ok_quiet(f, "sample t n=200 seed=2 as d");
    fx_ok_quiet(f, "model m gmm v=0 w1=0 w2=0");
    fx_ok_quiet(f, "fix m v w1 w2");
    const gsl_matrix *X = get_data(f, "d");
    fit_result *r = do_fit(get_model(f, "m"), X, 0);
    assert_int_equal(r->k, 0);
    double l = 0; /* N(0, 1) by hand */
    for (size_t i = 0; i < X->size1; i++) {
        double x = gsl_matrix_get(X, i, 0);
        l += -0.5 * log(2 * M_PI) - 0.5 * x * x;
    }
    assert_close(r->loglik, l, 1e-12, 0);
    assert_close(r->aic, -2 * l, 1e-12, 0);
    assert_close(r->bic, -2 * l, 1e-12, 0);
    assert_close(r->mdl, -l, 1e-12, 0);
    assert_false(r->have_se);
    fit_result_free(r);
    fx_ok(f, "fit m data=d as f0");
    assert_non_null(strstr(fx_out(f), "k=0 free"));
}

/* (g) refusals: a failing fit stores and prints nothing. */
static void test_errors(void **state)
{
    fx *f = *state;
    fx_ok_quiet(f, "model g gmm v=0.3 w1=0 w2=1");
    fx_ok_quiet(f, "model p mlp2 d=2");
    fx_ok_quiet(f, "sample p n=50 seed=1 as y");
    fx_ok_quiet(f, "sample g n=1 seed=1 as one");
    fx_ok_quiet(f, "sample g n=50 seed=1 as d");
    fx_fail(f, "fit g data=y", 12, "the data set has 3 columns but a gmm "
                                   "model takes 1");
    fx_fail(f, "fit g data=one", 12, "at least 2 observations");
    fx_fail(f, "fit g data=d method=newton", 21, "unknown method");
    fx_fail(f, "fit g data=d method=lm", 21, "method=lm needs a regression");
    fx_fail(f, "fit g", 1, "data");
    fx_fail(f, "fit nosuch data=d", 5, "nosuch");
    fx_ok(f, "fit g data=d as ok");
    fx_ok(f, "show ok");
    assert_non_null(strstr(fx_out(f), "loglik"));
}

/* Ctrl-C between starts keeps the best of the finished ones (without
 * standard errors, and says so); before any start finished nothing is
 * stored. The interrupt is raised from inside the EM step of a copy of
 * the gmm family after a given number of steps. */
static model_type g_slow;
static size_t g_calls, g_raise_at;
static ss_status slow_em_step(const model *m, const double *theta,
                              const gsl_matrix *X, double *out, double *l)
{
    if (++g_calls == g_raise_at)
        ss_interrupt_raise();
    return model_gmm->em_step(m, theta, X, out, l);
}

static void test_interrupted(void **state)
{
    fx *f = *state;
    fx_ok(f, "model g gmm v=0.3 w1=-1 w2=1.5");
    fx_ok(f, "sample g n=500 seed=2 as d");
    model *m = get_model(f, "g");
    const gsl_matrix *X = get_data(f, "d");
    g_slow = *model_gmm;
    g_slow.em_step = slow_em_step;
    const model_type *keep = m->type;
    m->type = &g_slow;
    /* the EM steps of the first start alone */
    fit_spec one = {.starts = 1, .seed = 7};
    fit_result *r = NULL;
    g_calls = 0;
    g_raise_at = 0;
    assert_int_equal(fit_run(m, X, &one, &r), SS_OK);
    fit_result_free(r);
    r = NULL;
    size_t first = g_calls;
    /* Ctrl-C inside the second start: the first is kept */
    fit_spec sp = {.starts = 10, .seed = 7};
    g_calls = 0;
    g_raise_at = first + 3;
    assert_int_equal(fit_run(m, X, &sp, &r), SS_OK);
    assert_non_null(r);
    assert_true(r->interrupted);
    assert_int_equal(r->starts, 1);
    assert_int_equal(r->starts_asked, 10);
    assert_true(isfinite(r->loglik));
    assert_false(r->have_se);
    assert_non_null(strstr(r->se_why, "interrupted"));
    fit_result_free(r);
    ss_interrupt_clear();
    /* raised before anything: an error, nothing */
    ss_interrupt_raise();
    r = NULL;
    assert_int_equal(fit_run(m, X, &sp, &r), SS_ERR_INTERRUPTED);
    assert_null(r);
    ss_interrupt_clear();
    m->type = keep;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_gmm_stationary, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_gmm_recovery, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_ar1_exact, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_arma11, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_mlp2, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_gmm_coverage, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_null, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_interrupted, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_errors, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

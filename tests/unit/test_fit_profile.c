/* The profile route (infer/fit_profile.c) against independent
 * computations written here: a brute-force maximisation of the mixture
 * log-likelihood over a dense (v, mu) grid zoomed in around the coarse
 * grid's best local maxima, with log p from log-sum-exp of the two
 * component log-densities; the EM route from the same data; the boundary
 * optimum v = 0 where the derivative in v at 0 is negative for every mu
 * (checked here); extreme observations; the mirror layout; v alone; the
 * llr experiment with it (threads, convergence, 2LLR at least EM's); and
 * the refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fixture.h"
#include "testutil.h"

#include "core/rng.h"
#include "infer/fit.h"
#include "infer/llr.h"
#include "model/model.h"

#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

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

static fit_result *do_fit(const model *m, const gsl_matrix *X,
                          const char *method)
{
    fit_spec sp = {.method = method, .starts = 10, .seed = 3};
    fit_result *r = NULL;
    ss_status st = fit_run(m, X, &sp, &r);
    if (st != SS_OK)
        print_error("fit: %s\n", ss_last_error()->msg);
    assert_int_equal(st, SS_OK);
    return r;
}

/* ---- the brute force ------------------------------------------------------
 * l(v, mu) = sum log((1 - v) phi(x; w0, s) + v phi(x; mu, s)) with the weight
 * v on the component of mean mu (mirror: the caller maps v). */
static double bf_ll(const double *x, size_t n, double w0, double s, double v,
                    double mu)
{
    double l = 0, c = -log(s) - 0.5 * log(2 * M_PI);
    double l1v = v < 1 ? log1p(-v) : -INFINITY, lv = v > 0 ? log(v) : -INFINITY;
    for (size_t i = 0; i < n; i++) {
        double a = (x[i] - w0) / s, b = (x[i] - mu) / s;
        double la = l1v - 0.5 * a * a, lb = lv - 0.5 * b * b;
        double hi = la > lb ? la : lb, lo = la > lb ? lb : la;
        l += c + hi + (isfinite(lo) ? log1p(exp(lo - hi)) : 0);
    }
    return l;
}

typedef struct {
    double v, mu, l;
} bf_pt;

/* max over v in [vlo, vhi] at mu: golden-section search (l is concave in
 * v, a mixture weight, so unimodal), 64 steps (0.618^64 ~ 4e-14 of the
 * range), both ends compared too. */
static bf_pt bf_v(const double *x, size_t n, double w0, double s, double mu,
                  double vlo, double vhi)
{
    const double g = (sqrt(5.0) - 1) / 2;
    double a = vlo, b = vhi, c = b - g * (b - a), d = a + g * (b - a);
    double fc = bf_ll(x, n, w0, s, c, mu), fd = bf_ll(x, n, w0, s, d, mu);
    for (int it = 0; it < 64; it++) {
        if (fc >= fd) {
            b = d, d = c, fd = fc;
            c = b - g * (b - a);
            fc = bf_ll(x, n, w0, s, c, mu);
        } else {
            a = c, c = d, fc = fd;
            d = a + g * (b - a);
            fd = bf_ll(x, n, w0, s, d, mu);
        }
    }
    bf_pt best = fc >= fd ? (bf_pt){c, mu, fc} : (bf_pt){d, mu, fd};
    double l0 = bf_ll(x, n, w0, s, vlo, mu), l1 = bf_ll(x, n, w0, s, vhi, mu);
    if (l0 > best.l)
        best = (bf_pt){vlo, mu, l0};
    if (l1 > best.l)
        best = (bf_pt){vhi, mu, l1};
    return best;
}

/* The maximum over v in [vlo, vhi], mu in [mlo, mhi]: mu on a dense grid
 * of NM points (v exact at each, bf_v), then golden-section search in mu
 * over the two cells around each of the grid's 3 best local maxima. The
 * grid in mu is much finer than the route's (spacing (mhi - mlo) / 600
 * against 1/8), so it also resolves the feature of width |mean(x) - w0|
 * near mu = w0. */
static bf_pt brute(const double *x, size_t n, double w0, double s,
                   double vlo, double vhi, double mlo, double mhi)
{
    enum { NM = 601, NT = 3 };
    static bf_pt L[NM];
    for (int j = 0; j < NM; j++)
        L[j] = bf_v(x, n, w0, s, mlo + (mhi - mlo) * j / (NM - 1.0), vlo,
                    vhi);
    int top[NT], nt = 0;
    for (int j = 0; j < NM; j++) {
        if ((j > 0 && L[j - 1].l > L[j].l) || (j + 1 < NM && L[j + 1].l > L[j].l))
            continue;
        if (nt < NT)
            top[nt++] = j;
        else {
            int w = 0;
            for (int k = 1; k < NT; k++)
                if (L[top[k]].l < L[top[w]].l)
                    w = k;
            if (L[j].l > L[top[w]].l)
                top[w] = j;
        }
    }
    bf_pt best = {0, 0, -INFINITY};
    const double g = (sqrt(5.0) - 1) / 2;
    for (int k = 0; k < nt; k++) {
        int j = top[k];
        bf_pt b = L[j];
        double lo = L[j > 0 ? j - 1 : 0].mu, hi = L[j + 1 < NM ? j + 1 : j].mu;
        double c = hi - g * (hi - lo), d = lo + g * (hi - lo);
        bf_pt fc = bf_v(x, n, w0, s, c, vlo, vhi),
              fd = bf_v(x, n, w0, s, d, vlo, vhi);
        for (int it = 0; it < 60; it++) {
            if (fc.l > b.l)
                b = fc;
            if (fd.l > b.l)
                b = fd;
            if (fc.l >= fd.l) {
                hi = d, d = c, fd = fc;
                c = hi - g * (hi - lo);
                fc = bf_v(x, n, w0, s, c, vlo, vhi);
            } else {
                lo = c, c = d, fc = fd;
                d = lo + g * (hi - lo);
                fd = bf_v(x, n, w0, s, d, vlo, vhi);
            }
        }
        if (b.l > best.l)
            best = b;
    }
    return best;
}

static double *column(const gsl_matrix *X)
{
    double *x = malloc(X->size1 * sizeof *x);
    assert_non_null(x);
    for (size_t i = 0; i < X->size1; i++)
        x[i] = gsl_matrix_get(X, i, 0);
    return x;
}

/* The profile fit of m1 (v, w2 free, w2 in [lo, hi]) against the brute
 * force, EM and the bounds. */
static void check_against_brute(fx *f, const char *data, double lo,
                                double hi)
{
    model *m1 = get_model(f, "m1");
    const gsl_matrix *X = get_data(f, data);
    fit_result *p = do_fit(m1, X, NULL);
    assert_string_equal(p->method, "profile");
    assert_true(p->converged);
    double *x = column(X);
    bf_pt b = brute(x, X->size1, 0, 1, 0, 1, lo, hi);
    /* the brute force is a lower bound of the maximum: the profile is at
     * least it and within 1e-7 relative */
    if (!tu_close(p->loglik, b.l, 1e-7, 0))
        print_error("profile v %.10g mu %.10g l %.12g; brute v %.10g mu %.10g l %.12g\n", p->theta[0], p->theta[2], p->loglik, b.v, b.mu, b.l);
    assert_true(p->loglik >= b.l - 1e-7 * fabs(b.l));
    assert_close(p->loglik, b.l, 1e-7, 0);
    /* at least EM from ten starts */
    fit_result *e = do_fit(m1, X, "em");
    assert_string_equal(e->method, "em");
    assert_true(p->loglik >= e->loglik - 1e-9);
    /* the estimate inside the ranges; its log-likelihood recomputed here */
    assert_true(p->theta[0] >= 0 && p->theta[0] <= 1);
    assert_true(p->theta[2] >= lo && p->theta[2] <= hi);
    assert_close(bf_ll(x, X->size1, 0, 1, p->theta[0], p->theta[2]),
                 p->loglik, 1e-12, 0);
    free(x);
    fit_result_free(p);
    fit_result_free(e);
}

/* At the singular truth N(0, 1), three data sets. */
static void test_singular_truth(void **state)
{
    fx *f = *state;
    fx_ok_quiet(f, "model m0 gmm v=0 w1=0 w2=0\nfix m0 v w1 w2\n"
                   "model m1 gmm v=0.5 w1=0 w2=0.5\nfix m1 w1\n"
                   "bound m1 w2=-1..1");
    for (int seed = 1; seed <= 3; seed++) {
        char cmd[96];
        snprintf(cmd, sizeof cmd, "sample m0 n=300 seed=%d as d%d", seed,
                 seed);
        fx_ok_quiet(f, cmd);
        snprintf(cmd, sizeof cmd, "d%d", seed);
        check_against_brute(f, cmd, -1, 1);
    }
    /* a data set whose optimum is the mean shift v = 1, w2 = mean(x)
     * (0.0013 here), the feature near w2 = w1 that the grid alone misses */
    fx_ok_quiet(f, "sample m0 n=1000 seed=3 as big");
    check_against_brute(f, "big", -1, 1);
    const gsl_matrix *B = get_data(f, "big");
    double xbar = 0;
    for (size_t i = 0; i < B->size1; i++)
        xbar += gsl_matrix_get(B, i, 0) / (double)B->size1;
    fit_result *p = do_fit(get_model(f, "m1"), B, NULL);
    assert_true(p->theta[0] == 1);
    assert_close(p->theta[2], xbar, 0, 2e-7); /* Brent: 1e-7 (1 + |mu|) */
    fit_result_free(p);
}

/* At a regular truth 0.7 N(0, 1) + 0.3 N(2, 1), w2 in [-3, 3]. */
static void test_regular_truth(void **state)
{
    fx *f = *state;
    fx_ok_quiet(f, "model t gmm v=0.3 w1=0 w2=2\n"
                   "model m1 gmm v=0.5 w1=0 w2=0.5\nfix m1 w1\n"
                   "bound m1 w2=-3..3\nsample t n=400 seed=4 as d");
    check_against_brute(f, "d", -3, 3);
    /* near the truth */
    fit_result *p = do_fit(get_model(f, "m1"), get_data(f, "d"), NULL);
    assert_true(fabs(p->theta[0] - 0.3) < 0.1 && fabs(p->theta[2] - 2) < 0.4);
    fit_result_free(p);
}

/* |x| = 40 among N(0, 1) data: no overflow; the brute force (log-sum-exp)
 * agrees. */
static void test_extreme(void **state)
{
    fx *f = *state;
    fx_ok_quiet(f, "model m0 gmm v=0 w1=0 w2=0\nfix m0 v w1 w2\n"
                   "model m1 gmm v=0.5 w1=0 w2=0.5\nfix m1 w1\n"
                   "bound m1 w2=-3..3\nsample m0 n=300 seed=6 as d");
    const gsl_matrix *D = get_data(f, "d");
    gsl_matrix *X = gsl_matrix_alloc(D->size1 + 3, 1);
    for (size_t i = 0; i < D->size1; i++)
        gsl_matrix_set(X, i, 0, gsl_matrix_get(D, i, 0));
    gsl_matrix_set(X, D->size1, 0, 40);
    gsl_matrix_set(X, D->size1 + 1, 0, -40);
    gsl_matrix_set(X, D->size1 + 2, 0, 39);
    model *m1 = get_model(f, "m1");
    fit_result *p = do_fit(m1, X, "profile");
    assert_finite(p->loglik, "loglik");
    double *x = column(X);
    bf_pt b = brute(x, X->size1, 0, 1, 0, 1, -3, 3);
    assert_close(p->loglik, b.l, 1e-7, 0);
    /* the outliers pull w2 to its upper bound */
    assert_close(p->theta[2], 3, 0, 1e-9);
    fit_result *e = do_fit(m1, X, "em");
    assert_true(p->loglik >= e->loglik - 1e-9);
    /* the mirror: w1 free in [-3, 3], w2 = 0 fixed, the same optimum */
    fx_ok_quiet(f, "model m2 gmm v=0.5 w1=0.5 w2=0\nfix m2 w2\n"
                   "bound m2 w1=-3..3");
    fit_result *q = do_fit(get_model(f, "m2"), X, NULL);
    assert_string_equal(q->method, "profile");
    assert_close(q->loglik, p->loglik, 1e-12, 0);
    assert_close(q->theta[0], 1 - p->theta[0], 0, 1e-6);
    assert_close(q->theta[1], p->theta[2], 0, 1e-5);
    free(x);
    gsl_matrix_free(X);
    fit_result_free(p);
    fit_result_free(q);
    fit_result_free(e);
}

/* Symmetric data (x and -x) from N(0, 0.8^2): sum (r(mu) - 1) < 0 for all mu
 * (checked here on a fine grid), so by concavity the optimum is v = 0 and
 * the fit is the null model's log-likelihood exactly: 2LLR = 0. */
static void test_boundary(void **state)
{
    fx *f = *state;
    fx_ok_quiet(f, "model m0 gmm v=0 w1=0 w2=0\nfix m0 v w1 w2\n"
                   "model m1 gmm v=0.5 w1=0 w2=0.5\nfix m1 w1\n"
                   "bound m1 w2=-1..1");
    size_t n = 1000;
    gsl_matrix *X = gsl_matrix_alloc(n, 1);
    gsl_rng *r = ss_rng_alloc();
    ss_rng_seed(r, 11, 0, 0);
    for (size_t i = 0; i < n; i += 2) {
        double z = gsl_ran_gaussian(r, 0.8);
        gsl_matrix_set(X, i, 0, z);
        gsl_matrix_set(X, i + 1, 0, -z);
    }
    ss_rng_free(r);
    for (int j = 0; j <= 4000; j++) {
        double mu = -1 + j / 2000.0, d = 0;
        for (size_t i = 0; i < n; i++) {
            double x = gsl_matrix_get(X, i, 0);
            d += expm1(mu * x - 0.5 * mu * mu);
        }
        assert_true(d <= 0);
    }
    fit_result *p = do_fit(get_model(f, "m1"), X, NULL);
    fit_result *z = do_fit(get_model(f, "m0"), X, NULL);
    assert_true(p->converged);
    assert_true(p->theta[0] == 0);
    assert_true(p->loglik == z->loglik);
    assert_true(2 * (p->loglik - z->loglik) == 0);
    gsl_matrix_free(X);
    fit_result_free(p);
    fit_result_free(z);
}

/* v alone (both means fixed): a 1-D brute force. */
static void test_weight_only(void **state)
{
    fx *f = *state;
    fx_ok_quiet(f, "model t gmm v=0.4 w1=-1 w2=1.5\nsample t n=500 seed=8 "
                   "as d\nmodel m gmm v=0.5 w1=-1 w2=1.5\nfix m w1 w2");
    const gsl_matrix *X = get_data(f, "d");
    fit_result *p = do_fit(get_model(f, "m"), X, NULL);
    assert_string_equal(p->method, "profile");
    assert_true(p->converged);
    double *x = column(X);
    /* golden-section-free brute force: nested grids in v */
    double c = 0.5, h = 0.5, bl = -INFINITY;
    for (int round = 0; round < 20; round++) {
        double bc = c;
        for (int i = -50; i <= 50; i++) {
            double v = fmin(1, fmax(0, c + h * i / 50.0));
            double l = bf_ll(x, X->size1, -1, 1, v, 1.5);
            if (l > bl) {
                bl = l;
                bc = v;
            }
        }
        c = bc;
        h /= 10;
    }
    assert_close(p->loglik, bl, 1e-12, 0);
    assert_close(p->theta[0], c, 0, 1e-6);
    free(x);
    fit_result_free(p);
}

/* llr with the profile route: rows the same on 1 and 2 threads, every
 * alternative fit converged, and each replicate's 2LLR at least that of
 * EM fits on the same data (regenerated here from the replicate's
 * stream). */
static void test_llr(void **state)
{
    fx *f = *state;
    fx_ok_quiet(f, "model m0 gmm v=0 w1=0 w2=0\nfix m0 v w1 w2\n"
                   "model m1 gmm v=0.5 w1=0 w2=0.5\nfix m1 w1\n"
                   "bound m1 w2=-1..1");
    model *m0 = get_model(f, "m0"), *m1 = get_model(f, "m1");
    llr_spec sp = {.n = 300, .reps = 16, .seed = 5, .sims = 0,
                   .threads = 1};
    llr_result *a[2];
    for (int t = 0; t < 2; t++) {
        sp.threads = (unsigned)t + 1;
        llr_iter *it = NULL;
        assert_int_equal(llr_iter_alloc(m0, m0, m1, &sp, &it), SS_OK);
        ss_iter si = {&llr_iter_type, it};
        assert_int_equal(ss_iter_drive(&si, NULL, NULL), SS_OK);
        assert_int_equal(llr_iter_take(it, 0, &a[t]), SS_OK);
        llr_iter_free(it);
    }
    size_t nc = a[0]->ncols;
    assert_memory_equal(a[0]->rows, a[1]->rows, 16 * nc * sizeof(double));
    assert_int_equal(a[0]->nonconv1, 0);
    assert_int_equal(a[0]->nonconv0, 0);
    assert_int_equal(a[0]->failed, 0);
    gsl_matrix *X = gsl_matrix_alloc(sp.n, 1);
    gsl_rng *r = ss_rng_alloc();
    for (size_t rep = 0; rep < 16; rep++) {
        ss_rng_seed(r, sp.seed, SS_STREAM_LLR, rep);
        assert_int_equal(m0->type->sample(m0, m0->theta, r, X), SS_OK);
        fit_result *e = do_fit(m1, X, "em"), *z = do_fit(m0, X, NULL);
        double stat = a[0]->rows[rep * nc + LLR_COL_STAT];
        assert_true(a[0]->rows[rep * nc + LLR_COL_CONV1] == 1);
        assert_close(a[0]->rows[rep * nc + LLR_COL_L0], z->loglik, 0, 0);
        assert_true(stat >= 2 * (e->loglik - z->loglik) - 2e-9);
        fit_result_free(e);
        fit_result_free(z);
    }
    ss_rng_free(r);
    gsl_matrix_free(X);
    llr_result_free(a[0]);
    llr_result_free(a[1]);
}

static void test_refusals(void **state)
{
    fx *f = *state;
    fx_ok_quiet(f, "model g gmm v=0.3 w1=0 w2=1\nsample g n=50 seed=1 as d\n"
                   "model h gmm v=0.3 w1=0 w2=1\nfix h w1\n"
                   "model k3 gmm k=3\nmodel sf gmm s=free\n"
                   "model a arma ar=[0.5]\n"
                   "model fv gmm v=0.3 w1=0 w2=1\nfix fv v w1\n"
                   "bound fv w2=-1..1");
    const gsl_matrix *X = get_data(f, "d");
    struct {
        const char *model, *msg;
    } cases[] = {
        {"g", "one mean fixed (w1 and w2 are both free)"},
        {"h", "finite range for the free mean w2"},
        {"k3", "k=2 and s known (this one has k=3)"},
        {"sf", "(this one has k=2 and s=free)"},
        {"a", "is for gmm (a arma model"},
        {"fv", "needs v free"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        fit_spec sp = {.method = "profile"};
        fit_result *r = NULL;
        ss_status st = fit_run(get_model(f, cases[c].model), X, &sp, &r);
        assert_int_equal(st, SS_ERR_USAGE);
        assert_null(r);
        if (!strstr(ss_last_error()->msg, cases[c].msg))
            print_error("%s: %s\n", cases[c].model, ss_last_error()->msg);
        assert_non_null(strstr(ss_last_error()->msg, cases[c].msg));
        ss_clear_error();
    }
    /* auto picks em where profile does not apply */
    fit_result *e = do_fit(get_model(f, "g"), X, NULL);
    assert_string_equal(e->method, "em");
    fit_result_free(e);
    /* and through the command */
    fx_fail(f, "fit g data=d method=profile", 21,
            "fit method=profile needs one mean fixed (w1 and w2 are both "
            "free); use method=em");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_singular_truth, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_regular_truth, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_extreme, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_boundary, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_weight_only, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_llr, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_refusals, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Training rules (src/learn/train.c), each against an independent route:
 *
 * - one gd step is theta - eta * grad(-mean log-lik), the gradient by
 *   central differences of the log-likelihood (gmm, mlp2, arma);
 * - one ngd step is theta - eta G^-1 grad with G the exact FIM solved by
 *   GSL's Cholesky here (gmm, mlp2 on data);
 * - at a singular point ngd gives finite output and says it
 *   pseudo-inverted G;
 * - angd's recursive inverse approaches G^-1 on a regular problem;
 * - online sgd with a small eta follows the mean dynamics
 *   d theta / dt = -eta grad KL(teacher || student) (t in steps),
 *   integrated here with gsl_odeiv2 on the gradient of kl_from by central
 *   differences;
 * - the same seed gives the same numbers, another seed others (the fast
 *   mlp2 route and the generic one);
 * - em never lowers the likelihood and stops where gd stops;
 * - gd on an ARMA(1,1) series lowers the exact -log-likelihood;
 * - fixed parameters stay fixed; a divergent run keeps its records. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/rng.h"
#include "fim/fim.h"
#include "learn/train.h"
#include "testutil.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_odeiv2.h>
#include <math.h>
#include <string.h>

static model *mk(const char *kind, const char *args, const char *fixed)
{
    const model_type *t = model_type_find(kind);
    assert_non_null(t);
    model_testpoint tp = {"test", args, fixed, MODEL_TP_GENERIC, -1, 0};
    model *m = NULL;
    assert_int_equal(model_alloc_testpoint(t, &tp, &m), SS_OK);
    return m;
}

static gsl_matrix *draw(const model *m, size_t n, uint64_t seed)
{
    return tu_sample(m, n, seed);
}

static learn_run *run_spec(const model *m, const train_spec *sp,
                           train_iter **keep)
{
    train_iter *it = NULL;
    const char *bk = NULL;
    ss_status rc = train_iter_alloc(m, sp, &it, &bk);
    if (rc != SS_OK)
        fail_msg("train_iter_alloc: %s", ss_last_error()->msg);
    ss_iter iter = {&train_iter_type, it};
    assert_int_equal(ss_iter_drive(&iter, NULL, NULL), SS_OK);
    learn_run *r = NULL;
    assert_int_equal(train_iter_take(it, 0, &r), SS_OK);
    if (keep)
        *keep = it;
    else
        train_iter_free(it);
    return r;
}

static const double *last(const learn_run *r)
{
    return r->theta + (r->n - 1) * r->P;
}

/* minus the mean log-likelihood and its gradient by central differences */
static double mean_nll(const model *m, const double *th, const gsl_matrix *D)
{
    double ell;
    assert_int_equal(model_loglik_grad(m, th, D, &ell, NULL), SS_OK);
    return -ell / (double)model_nterms(m, D);
}

static void fd_grad(const model *m, const double *th, const gsl_matrix *D,
                    double *g)
{
    double t[64];
    memcpy(t, th, m->P * sizeof *t);
    for (size_t p = 0; p < m->P; p++) {
        double h = 1e-5 * (1 + fabs(th[p]));
        t[p] = th[p] + h;
        double fp = mean_nll(m, t, D);
        t[p] = th[p] - h;
        double fm = mean_nll(m, t, D);
        t[p] = th[p];
        g[p] = (fp - fm) / (2 * h);
    }
}

static void check_gd_step(const char *kind, const char *student,
                          const char *truth, size_t n, double eta)
{
    model *m = mk(kind, student, NULL), *t = mk(kind, truth, NULL);
    gsl_matrix *D = draw(t, n, 11);
    train_spec sp = {.algo = TRAIN_GD, .data = D, .eta = eta, .steps = 1};
    learn_run *r = run_spec(m, &sp, NULL);
    assert_int_equal(r->n, 2);
    double g[64];
    fd_grad(m, m->theta, D, g);
    for (size_t p = 0; p < m->P; p++)
        assert_close_msg(last(r)[p], m->theta[p] - eta * g[p], 1e-7, 1e-9,
                         kind);
    /* the recorded training loss is the mean -log-likelihood */
    assert_close(r->train[0], mean_nll(m, m->theta, D), 1e-12, 0);
    learn_run_free(r);
    gsl_matrix_free(D);
    model_free(m);
    model_free(t);
}

static void test_gd_step(void **state)
{
    (void)state;
    check_gd_step("gmm", "v=0.4 w1=-0.5 w2=0.7", "v=0.3 w1=-1 w2=1.5", 400,
                  0.3);
    check_gd_step("mlp2", "d=2 w1=0.5 w2=0.4 J1=[0.3,0.1] J2=[-0.2,0.5]",
                  "d=2 w1=1 w2=1 J1=[1,0] J2=[0,1]", 300, 0.2);
    check_gd_step("arma", "p=1 q=1 ar=[0.1] ma=[0.1]",
                  "p=1 q=1 ar=[0.5] ma=[0.3]", 300, 0.05);
}

static void check_ngd_step(const char *kind, const char *student,
                           const char *truth)
{
    model *m = mk(kind, student, NULL), *t = mk(kind, truth, NULL);
    gsl_matrix *D = draw(t, 500, 5);
    double eta = 0.1;
    train_spec sp = {.algo = TRAIN_NGD, .data = D, .eta = eta, .steps = 1};
    learn_run *r = run_spec(m, &sp, NULL);
    assert_int_equal(r->regularised, 0);
    fim_result *f = NULL;
    fim_request req = {.method = FIM_EXACT, .no_root = 1};
    assert_int_equal(fim_compute(m, &req, &f), SS_OK);
    size_t P = m->P;
    assert_int_equal(f->k, P);
    double ell, g[64];
    assert_int_equal(model_loglik_grad(m, m->theta, D, &ell, g), SS_OK);
    gsl_vector *b = gsl_vector_alloc(P), *x = gsl_vector_alloc(P);
    for (size_t p = 0; p < P; p++)
        gsl_vector_set(b, p, -g[p] / (double)D->size1);
    assert_int_equal(gsl_linalg_cholesky_decomp1(f->G), GSL_SUCCESS);
    assert_int_equal(gsl_linalg_cholesky_solve(f->G, b, x), GSL_SUCCESS);
    for (size_t p = 0; p < P; p++)
        assert_close_msg(last(r)[p],
                         m->theta[p] - eta * gsl_vector_get(x, p), 1e-9,
                         1e-12, kind);
    gsl_vector_free(b);
    gsl_vector_free(x);
    fim_result_free(f);
    learn_run_free(r);
    gsl_matrix_free(D);
    model_free(m);
    model_free(t);
}

static void test_ngd_regular(void **state)
{
    (void)state;
    check_ngd_step("gmm", "v=0.4 w1=-0.5 w2=0.9", "v=0.3 w1=-1 w2=1.5");
    check_ngd_step("mlp2", "d=1 w1=0.8 w2=-0.6 J1=1.2 J2=0.4",
                   "d=1 w1=1 w2=0.5 J1=1 J2=-0.5");
}

/* On w1 = w2 (gmm) and J1 = J2 (mlp2), G is singular: ngd pseudo-inverts
 * it, says so, and every recorded number is finite. */
static void check_ngd_singular(const char *kind, const char *student,
                               const char *truth)
{
    model *m = mk(kind, student, NULL), *t = mk(kind, truth, NULL);
    gsl_matrix *D = draw(t, 300, 9);
    train_spec sp = {.algo = TRAIN_NGD, .data = D, .eta = 0.05, .steps = 5,
                     .record = 1, .teacher = t};
    learn_run *r = run_spec(m, &sp, NULL);
    assert_false(r->diverged);
    assert_true(r->regularised >= 1);
    assert_non_null(strstr(r->note, "pseudo-inverted"));
    for (size_t i = 0; i < r->n; i++) {
        assert_finite(r->gen[i], "gen");
        assert_finite(r->train[i], "train");
        for (size_t p = 0; p < r->P; p++)
            assert_finite(r->theta[i * r->P + p], "theta");
    }
    learn_run_free(r);
    gsl_matrix_free(D);
    model_free(m);
    model_free(t);
}

static void test_ngd_singular(void **state)
{
    (void)state;
    check_ngd_singular("gmm", "v=0.3 w1=0.4 w2=0.4", "v=0.3 w1=-1 w2=1.5");
    check_ngd_singular("mlp2", "d=1 w1=0.8 w2=0.3 J1=0.7 J2=0.7",
                       "d=1 w1=1 w2=0.5 J1=1 J2=-0.5");
}

/* angd with schedule=decay: eps_n = eps/(1 + eps n) = 1/(n + 1/eps), so
 * to first order in eps_n its estimate Ghat = Ginv^-1 is
 * (I/eps + sum of n score outer products) / (n + 1/eps): the mean of
 * s s^T, whose expectation is G. With eta = 1e-9 theta stays put over
 * n = 2e5 fresh examples of a regular mixture (v = 0.4, w1 = -1,
 * w2 = 1.5: eigenvalues 3.0, 0.44, 0.14). The mean's relative sampling
 * error is about sqrt(E|s|^4 / n) / |G| ~ 1 %, the prior's weight
 * 20/n = 1e-4, both magnified by cond(G) ~ 22 at most in G^-1: a 10 %
 * bound in the Frobenius norm. */
static void test_angd_near_ngd(void **state)
{
    (void)state;
    model *m = mk("gmm", "v=0.4 w1=-1 w2=1.5", NULL);
    model *t = mk("gmm", "v=0.4 w1=-1 w2=1.5", NULL);
    train_spec sp = {.algo = TRAIN_ANGD, .teacher = t, .eta = 1e-9,
                     .steps = 200000, .seed = 3, .eps = 0.05,
                     .schedule = ANGD_DECAY};
    train_iter *it = NULL;
    learn_run *r = run_spec(m, &sp, &it);
    const gsl_matrix *Gi = train_iter_ginv(it);
    assert_non_null(Gi);
    fim_result *f = NULL;
    fim_request req = {.method = FIM_EXACT, .no_root = 1};
    assert_int_equal(fim_compute(m, &req, &f), SS_OK);
    size_t k = f->k;
    gsl_matrix *inv = gsl_matrix_alloc(k, k);
    gsl_permutation *pm = gsl_permutation_alloc(k);
    int sg;
    gsl_matrix *LU = gsl_matrix_alloc(k, k);
    gsl_matrix_memcpy(LU, f->G);
    gsl_linalg_LU_decomp(LU, pm, &sg);
    gsl_linalg_LU_invert(LU, pm, inv);
    double num = 0, den = 0;
    for (size_t i = 0; i < k; i++)
        for (size_t j = 0; j < k; j++) {
            double d = gsl_matrix_get(Gi, i, j) - gsl_matrix_get(inv, i, j);
            num += d * d;
            den += gsl_matrix_get(inv, i, j) * gsl_matrix_get(inv, i, j);
        }
    print_message("angd: relative error of Ginv %g\n", sqrt(num / den));
    assert_true(sqrt(num / den) < 0.1);
    gsl_matrix_free(inv);
    gsl_matrix_free(LU);
    gsl_permutation_free(pm);
    fim_result_free(f);
    learn_run_free(r);
    train_iter_free(it);
    model_free(m);
    model_free(t);
}

/* ---- sgd against the mean dynamics ---------------------------------------- */

typedef struct {
    model *m;
    const model *t;
    double eta;
} ode_ctx;

static int kl_rhs(double tt, const double *y, double *dy, void *p)
{
    (void)tt;
    ode_ctx *c = p;
    double th[8];
    size_t P = c->m->P;
    memcpy(th, y, P * sizeof *th);
    for (size_t q = 0; q < P; q++) {
        double h = 1e-6, kp, km;
        th[q] = y[q] + h;
        if (c->m->type->kl_from(c->m, th, c->t, &kp) != SS_OK)
            return GSL_EBADFUNC;
        th[q] = y[q] - h;
        if (c->m->type->kl_from(c->m, th, c->t, &km) != SS_OK)
            return GSL_EBADFUNC;
        th[q] = y[q];
        dy[q] = -c->eta * (kp - km) / (2 * h);
    }
    return GSL_SUCCESS;
}

/* E[grad of the loss of one example] = grad KL(teacher || student) for
 * mlp2 (the loss is (y - f)^2 / (2 sigma^2) + const), so sgd's mean
 * follows the flow. Over T = eta N with batches of B the fluctuation is
 * at most sqrt(eta^2 N / B) |s| ~ 0.03 (less: the flow contracts), the
 * bias O(eta) = 0.005; the parameters move by more than 0.4, so a
 * tolerance of 0.05 separates following the flow from not (observed:
 * 0.007). */
static void test_sgd_follows_flow(void **state)
{
    (void)state;
    model *m = mk("mlp2", "d=1 w1=0.3 w2=-0.2 J1=0.4 J2=1.5", NULL);
    model *t = mk("mlp2", "d=1 w1=1 w2=0.5 J1=1 J2=-0.5", NULL);
    double eta = 0.005;
    train_spec sp = {.algo = TRAIN_SGD, .teacher = t, .eta = eta,
                     .steps = 4000, .batch = 100, .record = 1000,
                     .seed = 17};
    learn_run *r = run_spec(m, &sp, NULL);
    assert_int_equal(r->n, 5);
    ode_ctx c = {m, t, eta};
    gsl_odeiv2_system sys = {kl_rhs, NULL, m->P, &c};
    gsl_odeiv2_driver *d = gsl_odeiv2_driver_alloc_y_new(
        &sys, gsl_odeiv2_step_rk8pd, 1.0, 1e-9, 1e-9);
    double y[8], tt = 0, moved = 0;
    memcpy(y, m->theta, m->P * sizeof *y);
    for (size_t i = 1; i < r->n; i++) {
        assert_int_equal(gsl_odeiv2_driver_apply(d, &tt, r->time[i], y),
                         GSL_SUCCESS);
        for (size_t p = 0; p < m->P; p++) {
            assert_close(r->theta[i * m->P + p], y[p], 0, 0.05);
            double mv = fabs(y[p] - m->theta[p]);
            moved = mv > moved ? mv : moved;
        }
    }
    assert_true(moved > 0.4);
    gsl_odeiv2_driver_free(d);
    learn_run_free(r);
    model_free(m);
    model_free(t);
}

static void check_seeds(const char *kind, const char *student,
                        const char *truth, uint64_t steps)
{
    model *m = mk(kind, student, NULL), *t = mk(kind, truth, NULL);
    train_spec sp = {.algo = TRAIN_SGD, .teacher = t, .eta = 0.01,
                     .steps = steps, .record = steps / 10, .seed = 42};
    learn_run *a = run_spec(m, &sp, NULL), *b = run_spec(m, &sp, NULL);
    sp.seed = 43;
    learn_run *c = run_spec(m, &sp, NULL);
    assert_int_equal(a->n, b->n);
    size_t nb = a->n * a->P * sizeof *a->theta;
    assert_memory_equal(a->theta, b->theta, nb);
    assert_memory_equal(a->gen, b->gen, a->n * sizeof *a->gen);
    assert_memory_not_equal(a->theta + a->P, c->theta + a->P,
                            (a->n - 1) * a->P * sizeof *a->theta);
    learn_run_free(a);
    learn_run_free(b);
    learn_run_free(c);
    model_free(m);
    model_free(t);
}

static void test_seeds(void **state)
{
    (void)state;
    check_seeds("mlp2", "d=2 w1=0.5 w2=0.4 J1=[0.3,0.1] J2=[-0.2,0.5]",
                "d=2 w1=1 w2=1 J1=[1,0] J2=[0,1]", 100000);
    check_seeds("gmm", "v=0.4 w1=-0.5 w2=0.7", "v=0.3 w1=-1 w2=1.5", 2000);
}

/* EM never lowers the log-likelihood (Dempster, Laird & Rubin), and its
 * limit is a stationary point: the gradient vanishes there and gd from
 * the same start stops at the same point. */
static void test_em(void **state)
{
    (void)state;
    model *m = mk("gmm", "v=0.5 w1=-0.5 w2=0.5", NULL),
          *t = mk("gmm", "v=0.3 w1=-1 w2=1.5", NULL);
    gsl_matrix *D = draw(t, 2000, 21);
    train_spec sp = {.algo = TRAIN_EM, .data = D, .eta = 1, .steps = 400,
                     .record = 1};
    learn_run *e = run_spec(m, &sp, NULL);
    for (size_t i = 1; i < e->n; i++)
        assert_true(e->train[i] <= e->train[i - 1] + 1e-14);
    assert_true(e->train[e->n - 1] < e->train[0] - 0.05);
    double g[3];
    fd_grad(m, last(e), D, g);
    for (size_t p = 0; p < 3; p++)
        assert_close(g[p], 0, 0, 1e-6);
    sp.algo = TRAIN_GD;
    sp.eta = 0.3;
    sp.steps = 4000;
    sp.record = 0;
    learn_run *gd = run_spec(m, &sp, NULL);
    for (size_t p = 0; p < 3; p++)
        assert_close(last(gd)[p], last(e)[p], 0, 1e-5);
    learn_run_free(gd);
    /* with w1 fixed, w1 never moves and v, w2 still do */
    model *h = mk("gmm", "v=0.5 w1=-1 w2=0.5", "w1");
    sp.algo = TRAIN_EM;
    sp.steps = 50;
    learn_run *hf = run_spec(h, &sp, NULL);
    for (size_t i = 0; i < hf->n; i++)
        assert_true(hf->theta[i * 3 + 1] == -1.0);
    assert_true(fabs(last(hf)[2] - 0.5) > 0.1);
    learn_run_free(hf);
    model_free(h);
    learn_run_free(e);
    gsl_matrix_free(D);
    model_free(m);
    model_free(t);
}

/* gd on an ARMA(1,1) series through the Kalman likelihood: with a small
 * step the exact -log-likelihood decreases at every step. */
static void test_arma_gd(void **state)
{
    (void)state;
    model *m = mk("arma", "p=1 q=1 ar=[0.1] ma=[0.1]", NULL),
          *t = mk("arma", "p=1 q=1 ar=[0.5] ma=[0.3]", NULL);
    gsl_matrix *D = draw(t, 400, 4);
    train_spec sp = {.algo = TRAIN_GD, .data = D, .eta = 0.05, .steps = 40,
                     .record = 1, .teacher = t};
    learn_run *r = run_spec(m, &sp, NULL);
    assert_int_equal(r->n, 41);
    for (size_t i = 1; i < r->n; i++)
        assert_true(r->train[i] < r->train[i - 1]);
    assert_close(r->train[r->n - 1], mean_nll(m, last(r), D), 1e-12, 0);
    assert_true(r->gen[r->n - 1] < r->gen[0]);
    learn_run_free(r);
    gsl_matrix_free(D);
    model_free(m);
    model_free(t);
}

/* A step size far too large: the run stops, keeps its finite records. */
static void test_diverges(void **state)
{
    (void)state;
    model *m = mk("mlp2", "d=1 w1=0.3 w2=-0.2 J1=0.4 J2=1.5", NULL),
          *t = mk("mlp2", "d=1 w1=1 w2=0.5 J1=1 J2=-0.5", NULL);
    train_spec sp = {.algo = TRAIN_SGD, .teacher = t, .eta = 1e5,
                     .steps = 100000, .record = 1, .seed = 1};
    learn_run *r = run_spec(m, &sp, NULL);
    assert_true(r->diverged);
    assert_true(r->n >= 1 && r->n < 100000);
    for (size_t i = 0; i < r->n * r->P; i++)
        assert_finite(r->theta[i], "theta");
    learn_run_free(r);
    model_free(m);
    model_free(t);
}

/* Bad input is refused naming the option, before any work. */
static void test_refusals(void **state)
{
    (void)state;
    model *m = mk("mlp2", "d=1", NULL), *g = mk("gmm", "v=0.3", NULL),
          *t2 = mk("mlp2", "d=2", NULL);
    struct {
        train_spec sp;
        const char *key;
    } bad[] = {
        {{.algo = TRAIN_SGD, .teacher = g, .eta = 0.1, .steps = 5},
         "teacher"},
        {{.algo = TRAIN_SGD, .teacher = t2, .eta = 0.1, .steps = 5},
         "teacher"},
        {{.algo = TRAIN_SGD, .teacher = m, .eta = 0, .steps = 5}, "eta"},
        {{.algo = TRAIN_SGD, .teacher = m, .eta = NAN, .steps = 5}, "eta"},
        {{.algo = TRAIN_SGD, .teacher = m, .eta = 0.1, .steps = 0},
         "steps"},
        {{.algo = TRAIN_GD, .teacher = m, .eta = 0.1, .steps = 5}, "data"},
        {{.algo = TRAIN_EM, .teacher = m, .eta = 0.1, .steps = 5}, "data"},
        {{.algo = TRAIN_SGD, .eta = 0.1, .steps = 5}, "teacher"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        train_iter *it = NULL;
        const char *bk = NULL;
        assert_int_not_equal(train_iter_alloc(m, &bad[i].sp, &it, &bk),
                             SS_OK);
        assert_null(it);
        assert_non_null(bk);
        assert_string_equal(bk, bad[i].key);
        ss_clear_error();
    }
    gsl_matrix *D = draw(m, 10, 1);
    train_spec em = {.algo = TRAIN_EM, .data = D, .eta = 1, .steps = 5};
    train_iter *it = NULL;
    const char *bk = NULL;
    assert_int_not_equal(train_iter_alloc(m, &em, &it, &bk), SS_OK);
    assert_string_equal(bk, "algo");
    ss_clear_error();
    gsl_matrix_free(D);
    model_free(m);
    model_free(g);
    model_free(t2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gd_step),
        cmocka_unit_test(test_ngd_regular),
        cmocka_unit_test(test_ngd_singular),
        cmocka_unit_test(test_angd_near_ngd),
        cmocka_unit_test(test_sgd_follows_flow),
        cmocka_unit_test(test_seeds),
        cmocka_unit_test(test_em),
        cmocka_unit_test(test_arma_gd),
        cmocka_unit_test(test_diverges),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

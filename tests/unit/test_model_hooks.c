/* The optional model hooks for structured families (model.h, "optional
 * hooks"), through the model layer only:
 *   - declared data kinds and likelihood-term counts;
 *   - model_loglik_grad against the summed loglik_terms scores and against
 *     central finite differences of the total log-likelihood (gmm and mlp2
 *     over several chunks, arma as one series);
 *   - mlp2's mean_jacobian against the formula and finite differences of
 *     the mean, and (1/(n sigma^2)) J^T J against the exact FIM;
 *   - kl_from against Monte-Carlo estimates on teacher samples (and, for
 *     arma, one long teacher series), closed forms, KL = 0 for the teacher
 *     itself or an equivalent parametrisation, KL > 0 otherwise;
 *   - teacher compatibility and the test-point builder's errors.
 * Statistical checks use fixed seeds and 5 standard errors (two-sided
 * normal tail 5.7e-7 per comparison). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "model/model.h"
#include "testutil.h"

#include <float.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ZMAX 5.0

/* A model from test-point text ("v=0.3 w1=0 w2=1"), which must work. */
static model *mk(const char *family, const char *args)
{
    const model_type *t = model_type_find(family);
    assert_non_null(t);
    model_testpoint tp = {"hooks", args, NULL, MODEL_TP_GENERIC, -1, 0};
    model *m = NULL;
    ss_status st = model_alloc_testpoint(t, &tp, &m);
    if (st != SS_OK)
        fail_msg("%s %s: %s", family, args, ss_last_error()->msg);
    return m;
}

static gsl_matrix *draw(const model *m, size_t n, unsigned long seed)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_matrix *X = gsl_matrix_alloc(n, m->type->data_cols(m));
    assert_non_null(r);
    assert_non_null(X);
    gsl_rng_set(r, seed);
    ss_status st = m->type->sample(m, m->theta, r, X);
    gsl_rng_free(r);
    if (st != SS_OK)
        fail_msg("%s: sample failed: %s", m->type->name,
                 ss_last_error()->msg);
    return X;
}

static double total_ll(const model *m, const double *th, const gsl_matrix *X)
{
    double ell;
    ss_status st = model_loglik_grad(m, th, X, &ell, NULL);
    if (st != SS_OK)
        fail_msg("model_loglik_grad: %s", ss_last_error()->msg);
    return ell;
}

/* ---- data kinds ------------------------------------------------------------ */

static void test_data_kind(void **state)
{
    (void)state;
    assert_int_equal(model_gmm->data_kind, MODEL_DATA_IID);
    assert_int_equal(model_mlp2->data_kind, MODEL_DATA_REGRESSION);
    assert_int_equal(model_arma->data_kind, MODEL_DATA_SERIES);
    size_t nt;
    const model_type *const *reg = model_registry(&nt);
    for (size_t f = 0; f < nt; f++) {
        model *m = NULL;
        assert_int_equal(model_alloc(reg[f], NULL, 0, &m), SS_OK);
        if (reg[f]->pop) { /* population: rows need a design */
            assert_int_equal(reg[f]->data_kind, MODEL_DATA_GROUPED);
            model_free(m);
            continue;
        }
        gsl_matrix *X = draw(m, 37, 1);
        /* one term per row (observation or time step) for these three */
        assert_int_equal(model_nterms(m, X), 37);
        assert_true(strlen(model_data_kind_name(reg[f]->data_kind)) > 0);
        gsl_matrix_free(X);
        model_free(m);
    }
}

/* ---- total log-likelihood and gradient ---------------------------------- */

/* ell and grad of model_loglik_grad vs the sums of loglik_terms over the
 * whole data set, and grad vs a 5-point central difference of the total
 * log-likelihood (error h^4 f^(5) / 30 + 1.5 eps |f| / h). */
static void check_grad(tu_ctx *c, const model *m, const gsl_matrix *X)
{
    size_t n = X->size1, P = m->P;
    double *terms = malloc(n * sizeof *terms);
    gsl_matrix *S = gsl_matrix_alloc(n, P);
    double *grad = malloc(P * sizeof *grad);
    assert_non_null(terms);
    assert_non_null(S);
    assert_non_null(grad);
    assert_int_equal(m->type->loglik_terms(m, m->theta, X, terms, S), SS_OK);
    long double ls = 0, la = 0;
    for (size_t i = 0; i < n; i++) {
        ls += terms[i];
        la += fabs(terms[i]);
    }
    double ell;
    TU_CHECK(c, model_loglik_grad(m, m->theta, X, &ell, grad) == SS_OK,
             "model_loglik_grad failed: %s", ss_last_error()->msg);
    TU_CHECK_CLOSE(c, ell, (double)ls, 0, 1e-13 * (double)la,
                   "total log-likelihood vs sum of terms");
    double *th = malloc(P * sizeof *th);
    assert_non_null(th);
    for (size_t j = 0; j < P; j++) {
        long double gs = 0, ga = 0;
        for (size_t i = 0; i < n; i++) {
            gs += gsl_matrix_get(S, i, j);
            ga += fabs(gsl_matrix_get(S, i, j));
        }
        TU_CHECK_CLOSE(c, grad[j], (double)gs, 0, 1e-13 * (double)ga,
                       "grad[%s] vs summed scores", MODEL_PNAME(m, j));
        double h = 1e-3 * fmax(1.0, fabs(m->theta[j]));
        double f[4];
        const double off[4] = {-2, -1, 1, 2};
        for (int k = 0; k < 4; k++) {
            memcpy(th, m->theta, P * sizeof *th);
            th[j] += off[k] * h;
            assert_int_equal(model_validate(m, th), SS_OK);
            f[k] = total_ll(m, th, X);
        }
        double fd = (f[0] - 8 * f[1] + 8 * f[2] - f[3]) / (12 * h);
        /* truncation: h^4 times a fifth derivative of at most about the
         * summed |scores| (the parameters are O(1)); rounding 1.5 eps
         * sum|ell| / h */
        double tol = 1e-9 * (double)ga + 1e-6 * fabs(grad[j]) +
                     10 * DBL_EPSILON * (double)la / h;
        TU_CHECK_CLOSE(c, grad[j], fd, 0, tol, "grad[%s] vs central FD",
                       MODEL_PNAME(m, j));
    }
    free(th);
    free(terms);
    free(grad);
    gsl_matrix_free(S);
}

static void test_loglik_grad(void **state)
{
    (void)state;
    static const struct {
        const char *family, *args;
        size_t n;
    } pts[] = {
        /* 100000 rows: more than one chunk of the summed fallback */
        {"gmm", "v=0.3 w1=-0.4 w2=0.9", 100000},
        {"gmm", "s=2 v=0.7 w1=1 w2=-0.5", 500},
        {"mlp2", "d=2 w1=0.385 w2=-0.73 J1=[0.9,-0.4] J2=[-0.2,1.1]", 60000},
        {"mlp2", "act=tanh sigma=0.5 w1=0.385 w2=-0.73 J1=0.9 J2=-0.4", 500},
        {"arma", "ar=[0.5,-0.3] ma=[0.4]", 3000},
        {"arma", "sigma2=2 ar=[-0.6] ma=[0.3,0.2]", 3000},
    };
    tu_ctx c = {0};
    for (size_t i = 0; i < sizeof pts / sizeof pts[0]; i++) {
        tu_where(&c, "%s %s", pts[i].family, pts[i].args);
        model *m = mk(pts[i].family, pts[i].args);
        gsl_matrix *X = draw(m, pts[i].n, 11 + i);
        check_grad(&c, m, X);
        /* ell alone (grad = NULL) is the same number */
        double e1, e2;
        TU_CHECK(&c, model_loglik_grad(m, m->theta, X, &e1, NULL) == SS_OK &&
                         model_loglik_grad(m, m->theta, X, &e2, NULL) ==
                             SS_OK &&
                         e1 == e2 && e1 == total_ll(m, m->theta, X),
                 "without grad");
        gsl_matrix_free(X);
        model_free(m);
    }
    tu_done(&c);
}

/* loglik_terms with ell = NULL (scores only, what a Monte-Carlo FIM asks
 * for) gives every family's scores bit for bit as with ell. */
static void test_scores_without_ell(void **state)
{
    (void)state;
    static const struct {
        const char *family, *args;
    } pts[] = {
        {"gmm", "v=0.3 w1=-0.4 w2=0.9"},
        {"gmm", "v=0 w1=0 w2=0.5"},
        {"mlp2", "d=2 w1=0.385 w2=-0.73 J1=[0.9,-0.4] J2=[-0.2,1.1]"},
        {"arma", "ar=[0.5,-0.3] ma=[0.4]"},
    };
    tu_ctx c = {0};
    for (size_t i = 0; i < sizeof pts / sizeof pts[0]; i++) {
        tu_where(&c, "%s %s", pts[i].family, pts[i].args);
        model *m = mk(pts[i].family, pts[i].args);
        gsl_matrix *X = draw(m, 700, 5 + i);
        gsl_matrix *Sa = gsl_matrix_alloc(700, m->P);
        gsl_matrix *Sb = gsl_matrix_alloc(700, m->P);
        double *ell = malloc(700 * sizeof *ell);
        gsl_matrix_set_all(Sb, 42.0);
        TU_CHECK(&c,
                 m->type->loglik_terms(m, m->theta, X, ell, Sa) == SS_OK &&
                     m->type->loglik_terms(m, m->theta, X, NULL, Sb) ==
                         SS_OK,
                 "loglik_terms");
        TU_CHECK(&c,
                 memcmp(Sa->data, Sb->data,
                        700 * m->P * sizeof(double)) == 0,
                 "scores without ell differ");
        free(ell);
        gsl_matrix_free(Sa);
        gsl_matrix_free(Sb);
        gsl_matrix_free(X);
        model_free(m);
    }
    tu_done(&c);
}

/* ---- mlp2 mean and Jacobian --------------------------------------------- */

static double g_act(int tanh_act, double t)
{
    return tanh_act ? tanh(t) : erf(t / M_SQRT2);
}

static void test_mlp2_mean_jacobian(void **state)
{
    (void)state;
    static const struct {
        const char *args;
        int tanh_act;
        size_t d;
    } pts[] = {
        {"d=2 sigma=0.7 w1=0.385 w2=-0.73 J1=[0.9,-0.4] J2=[-0.2,1.1]", 0, 2},
        {"act=tanh sigma=1.3 w1=0.385 w2=-0.73 J1=0.9 J2=-0.4", 1, 1},
        {"d=3 w1=1.2 w2=0.5 J1=[0.3,-0.8,0.5] J2=[0.7,0.1,-0.6]", 0, 3},
    };
    tu_ctx c = {0};
    for (size_t q = 0; q < sizeof pts / sizeof pts[0]; q++) {
        tu_where(&c, "mlp2 %s", pts[q].args);
        model *m = mk("mlp2", pts[q].args);
        size_t d = pts[q].d, P = m->P;
        assert_non_null(m->type->mean_jacobian);
        assert_non_null(m->type->noise_var);
        double sigma = m->opt[2];
        TU_CHECK_CLOSE(&c, m->type->noise_var(m), sigma * sigma, 1e-15, 0,
                       "noise_var");
        /* mean and J at 40 inputs (the data rows: d inputs and y) */
        gsl_matrix *X = draw(m, 40, 5 + q);
        double mean[40], mp[40], mm[40];
        gsl_matrix *J = gsl_matrix_alloc(40, P);
        TU_CHECK(&c, m->type->mean_jacobian(m, m->theta, X, mean, J) == SS_OK,
                 "mean_jacobian failed");
        double *th = malloc(P * sizeof *th);
        for (size_t i = 0; i < 40; i++) {
            double s1 = 0, s2 = 0;
            for (size_t k = 0; k < d; k++) {
                s1 += m->theta[2 + k] * gsl_matrix_get(X, i, k);
                s2 += m->theta[2 + d + k] * gsl_matrix_get(X, i, k);
            }
            double f = m->theta[0] * g_act(pts[q].tanh_act, s1) +
                       m->theta[1] * g_act(pts[q].tanh_act, s2);
            TU_CHECK_CLOSE(&c, mean[i], f, 1e-14, 1e-15, "mean[%zu]", i);
        }
        for (size_t j = 0; j < P; j++) {
            double h = 1e-5;
            memcpy(th, m->theta, P * sizeof *th);
            th[j] += h;
            m->type->mean_jacobian(m, th, X, mp, NULL);
            th[j] -= 2 * h;
            m->type->mean_jacobian(m, th, X, mm, NULL);
            for (size_t i = 0; i < 40; i++)
                /* central difference: h^2 f''' / 6 ~ 1e-10 |x|^3 */
                TU_CHECK_CLOSE(&c, gsl_matrix_get(J, i, j),
                               (mp[i] - mm[i]) / (2 * h), 0, 1e-8,
                               "J[%zu][%s] vs FD", i, MODEL_PNAME(m, j));
        }
        /* inputs only (d columns) give the same; too few columns refuse */
        gsl_matrix_const_view in = gsl_matrix_const_submatrix(X, 0, 0, 40, d);
        double mean2[40];
        TU_CHECK(&c, m->type->mean_jacobian(m, m->theta, &in.matrix, mean2,
                                            NULL) == SS_OK &&
                         memcmp(mean, mean2, sizeof mean) == 0,
                 "inputs without the response");
        if (d > 1) {
            gsl_matrix_const_view few =
                gsl_matrix_const_submatrix(X, 0, 0, 40, d - 1);
            ss_status st = m->type->mean_jacobian(m, m->theta, &few.matrix,
                                                  mean2, NULL);
            TU_CHECK(&c, st == SS_ERR_USAGE &&
                             strstr(ss_last_error()->msg, "columns"),
                     "too few columns: %s (%s)", ss_status_name(st),
                     ss_last_error()->msg);
            ss_clear_error();
        }
        free(th);
        gsl_matrix_free(J);
        gsl_matrix_free(X);
        model_free(m);
    }
    tu_done(&c);
}

/* (1/(n sigma^2)) J^T J over n = 200000 inputs vs the exact FIM, entrywise
 * within 5 standard errors of the mean of J_ia J_ib / sigma^2. */
static void test_mlp2_gram_vs_fim(void **state)
{
    (void)state;
    static const char *const pts[] = {
        "d=2 sigma=0.7 w1=0.385 w2=-0.73 J1=[0.9,-0.4] J2=[-0.2,1.1]",
        "act=tanh sigma=1.3 w1=0.385 w2=-0.73 J1=0.9 J2=-0.4",
        "w1=0.7 w2=0.4 J1=0.8 J2=0.8", /* on J1 = J2 */
    };
    const size_t n = 200000;
    tu_ctx c = {0};
    for (size_t q = 0; q < sizeof pts / sizeof pts[0]; q++) {
        tu_where(&c, "mlp2 %s", pts[q]);
        model *m = mk("mlp2", pts[q]);
        size_t P = m->P;
        gsl_matrix *X = draw(m, n, 100 + q);
        gsl_matrix *J = gsl_matrix_alloc(n, P);
        gsl_matrix *G = gsl_matrix_alloc(P, P);
        assert_int_equal(m->type->mean_jacobian(m, m->theta, X, NULL, J),
                         SS_OK);
        assert_int_equal(m->type->fim_exact(m, m->theta, G, NULL), SS_OK);
        double s2 = m->type->noise_var(m);
        for (size_t a = 0; a < P; a++)
            for (size_t b = a; b < P; b++) {
                long double s = 0, ss = 0;
                for (size_t i = 0; i < n; i++) {
                    double v = gsl_matrix_get(J, i, a) *
                               gsl_matrix_get(J, i, b) / s2;
                    s += v;
                    ss += (long double)v * v;
                }
                double mu = (double)(s / n);
                double var = (double)(ss / n) - mu * mu;
                double se = sqrt(fmax(var, 0) / (double)(n - 1));
                double g = gsl_matrix_get(G, a, b);
                if (se > 0) {
                    char lab[2 * MODEL_NAME_MAX + 16];
                    snprintf(lab, sizeof lab, "G[%s][%s]", MODEL_PNAME(m, a),
                             MODEL_PNAME(m, b));
                    tu_z(&c, (mu - g) / se, lab);
                }
                TU_CHECK_CLOSE(&c, mu, g, 0, ZMAX * se + 1e-12 * fabs(g),
                               "J^T J / (n sigma^2) [%s][%s] (se %.3g)",
                               MODEL_PNAME(m, a), MODEL_PNAME(m, b), se);
            }
        gsl_matrix_free(G);
        gsl_matrix_free(J);
        gsl_matrix_free(X);
        model_free(m);
    }
    tu_done(&c);
}

/* ---- KL to a teacher ------------------------------------------------------- */

static double kl_of(const model *m, const model *t)
{
    double kl = NAN;
    ss_status st = m->type->kl_from(m, m->theta, t, &kl);
    if (st != SS_OK)
        fail_msg("kl_from(%s <- %s): %s", m->type->name, t->type->name,
                 ss_last_error()->msg);
    return kl;
}

/* (1/n) sum [log p_t(x_i) - log p_m(x_i)] over n i.i.d. teacher draws and
 * its standard error. */
static void mc_kl(const model *m, const model *t, size_t n, unsigned long seed,
                  double *mean, double *se)
{
    gsl_matrix *X = draw(t, n, seed);
    double *lt = malloc(n * sizeof *lt), *lm = malloc(n * sizeof *lm);
    assert_non_null(lt);
    assert_non_null(lm);
    assert_int_equal(t->type->loglik_terms(t, t->theta, X, lt, NULL), SS_OK);
    assert_int_equal(m->type->loglik_terms(m, m->theta, X, lm, NULL), SS_OK);
    long double s = 0, ss = 0;
    for (size_t i = 0; i < n; i++) {
        double d = lt[i] - lm[i];
        s += d;
        ss += (long double)d * d;
    }
    *mean = (double)(s / n);
    *se = sqrt(fmax((double)(ss / n) - *mean * *mean, 0) / (double)(n - 1));
    free(lt);
    free(lm);
    gsl_matrix_free(X);
}

static void test_kl_vs_mc(void **state)
{
    (void)state;
    static const struct {
        const char *family, *teacher, *student;
    } pairs[] = {
        {"gmm", "v=0.3 w1=-0.5 w2=1", "v=0.6 w1=0 w2=0.8"},
        {"gmm", "s=1 v=0.3 w1=-0.5 w2=1", "s=1.3 v=0.2 w1=0.1 w2=2"},
        {"gmm", "s=0.5 v=0 w1=0 w2=3", "s=0.6 v=0.5 w1=-1 w2=1"},
        {"gmm", "v=0.5 w1=-4 w2=4", "v=0.4 w1=-3.5 w2=4.2"},
        /* erf with erf: the closed form */
        {"mlp2", "d=2 w1=0.385 w2=-0.73 J1=[0.9,-0.4] J2=[-0.2,1.1]",
         "d=2 sigma=0.8 w1=1 w2=0.2 J1=[0.3,0.5] J2=[-1,0.4]"},
        {"mlp2", "d=3 sigma=1.2 w1=1 w2=-1 J1=[1,0,0.5] J2=[0,2,-0.3]",
         "d=3 w1=0.5 w2=-0.6 J1=[0.8,0.2,0.2] J2=[0.1,1.5,0]"},
        /* tanh on either side: quadrature over the inputs */
        {"mlp2", "act=tanh w1=0.385 w2=-0.73 J1=0.9 J2=-0.4",
         "sigma=0.9 w1=1 w2=-0.2 J1=0.5 J2=1.5"},
        {"mlp2", "w1=1 w2=0.5 J1=2 J2=-0.7",
         "act=tanh sigma=1.1 w1=0.8 w2=0.6 J1=1.5 J2=-0.5"},
        {"mlp2", "d=2 act=tanh w1=0.385 w2=-0.73 J1=[0.9,-0.4] J2=[-0.2,1.1]",
         "d=2 act=tanh sigma=0.7 w1=0.2 w2=-0.9 J1=[1,-0.1] J2=[0.2,0.8]"},
    };
    const size_t n = 200000;
    tu_ctx c = {0};
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        tu_where(&c, "%s: teacher %s, model %s", pairs[i].family,
                 pairs[i].teacher, pairs[i].student);
        model *t = mk(pairs[i].family, pairs[i].teacher);
        model *m = mk(pairs[i].family, pairs[i].student);
        double kl = kl_of(m, t), mu, se;
        mc_kl(m, t, n, 31 + i, &mu, &se);
        tu_z(&c, (kl - mu) / se, "KL vs Monte Carlo");
        TU_CHECK(&c, kl > 0, "KL = %g, expected > 0", kl);
        TU_CHECK_CLOSE(&c, kl, mu, 0, ZMAX * se,
                       "KL vs Monte Carlo (se %.3g)", se);
        model_free(t);
        model_free(m);
    }
    tu_done(&c);
}

/* arma: the KL rate vs (1/n)(loglik_t - loglik_m) on one teacher series of
 * n = 200000; the standard error from batch means over 200 blocks of 1000
 * (long against the processes' memory, |root|^-1000 ~ 0), plus 20/n for
 * the start: E[loglik_t - loglik_m] / n is the rate plus c/n, c of the
 * order of the KL between the two stationary start distributions (a few
 * units at most here), 1e-4 against standard errors of ~1e-3. */
static void test_arma_kl(void **state)
{
    (void)state;
    static const struct {
        const char *teacher, *student;
    } pairs[] = {
        {"ar=[0.6] ma=[0.3]", "ar=[0.3,0.1] ma=[-0.2]"},
        {"sigma2=2 ar=[0.5,-0.3] ma=[0.4]", "sigma2=1.5 ar=[0.7] ma=[0.1]"},
        {"ar=[-0.6] ma=[0.3,0.2]", "sigma2=0.8 ar=[0.2] ma=[0.5,-0.1]"},
        {"ar=[0.9] ma=[-0.5]", "ar=[0.8] ma=[-0.3]"},
    };
    const size_t n = 200000, B = 200, L = n / B;
    tu_ctx c = {0};
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        tu_where(&c, "arma: teacher %s, model %s", pairs[i].teacher,
                 pairs[i].student);
        model *t = mk("arma", pairs[i].teacher);
        model *m = mk("arma", pairs[i].student);
        double kl = kl_of(m, t);
        gsl_matrix *X = draw(t, n, 71 + i);
        double *lt = malloc(n * sizeof *lt), *lm = malloc(n * sizeof *lm);
        assert_int_equal(t->type->loglik_terms(t, t->theta, X, lt, NULL),
                         SS_OK);
        assert_int_equal(m->type->loglik_terms(m, m->theta, X, lm, NULL),
                         SS_OK);
        long double s = 0, sbb = 0;
        for (size_t b = 0; b < B; b++) {
            long double blk = 0;
            for (size_t k = b * L; k < (b + 1) * L; k++)
                blk += lt[k] - lm[k];
            blk /= L;
            s += blk;
            sbb += blk * blk;
        }
        double mu = (double)(s / B);
        double var = (double)(sbb / B) - mu * mu;
        double se = sqrt(fmax(var, 0) / (double)(B - 1));
        tu_z(&c, (kl - mu) / se, "KL vs (1/n) log-likelihood ratio");
        TU_CHECK(&c, kl > 0, "KL = %g", kl);
        TU_CHECK_CLOSE(&c, kl, mu, 0, ZMAX * se + 20.0 / (double)n,
                       "KL vs (1/n) log-likelihood ratio (se %.3g)", se);
        free(lt);
        free(lm);
        gsl_matrix_free(X);
        model_free(t);
        model_free(m);
    }
    /* Closed form (docs/theory.md section 2.3, "The cone near the line"):
     * an ARMA(1,1) teacher against white noise of the same variance (the
     * (1,1) model at ar1 = ma1 = 0): KL = (var_t / sigma2 - 1) / 2 =
     * delta^2 / (2 (1 - ar1^2)), delta = ar1 + ma1, since the mean log
     * spectrum ratio vanishes (Kolmogorov). */
    static const double cf[][2] = {{0.6, 0.3}, {0.9, -0.5}, {-0.3, 0.8},
                                   {0.99, 0.2}, {0.5, -0.4999}};
    for (size_t i = 0; i < sizeof cf / sizeof cf[0]; i++) {
        char args[96];
        snprintf(args, sizeof args, "sigma2=1.7 ar=[%.17g] ma=[%.17g]",
                 cf[i][0], cf[i][1]);
        tu_where(&c, "arma closed form, teacher %s", args);
        model *t = mk("arma", args);
        model *m = mk("arma", "sigma2=1.7 ar=[0] ma=[0]");
        double dl = cf[i][0] + cf[i][1];
        double want = dl * dl / (2 * (1 - cf[i][0] * cf[i][0]));
        TU_CHECK_CLOSE(&c, kl_of(m, t), want, 1e-11, 0,
                       "KL(ARMA(1,1) || white noise)");
        model_free(t);
        model_free(m);
    }
    tu_done(&c);
}

/* KL(m || m) = 0, also against an equivalent parametrisation; any move of
 * one parameter at a generic point gives KL > 0. Over every registered
 * family with kl_from, at its default point and its declared generic
 * points. */
static void test_kl_zero_positive(void **state)
{
    (void)state;
    tu_ctx c = {0};
    size_t nt;
    const model_type *const *reg = model_registry(&nt);
    for (size_t f = 0; f < nt; f++) {
        const model_type *t = reg[f];
        if (!t->kl_from)
            continue;
        for (size_t i = 0; i <= t->ntestpoints; i++) {
            model *m = NULL;
            if (i == 0) {
                assert_int_equal(model_alloc(t, NULL, 0, &m), SS_OK);
                tu_where(&c, "%s @ default", t->name);
            } else {
                const model_testpoint *tp = &t->testpoints[i - 1];
                if (tp->where != MODEL_TP_GENERIC)
                    continue;
                assert_int_equal(model_alloc_testpoint(t, tp, &m), SS_OK);
                tu_where(&c, "%s @ %s", t->name, tp->label);
            }
            double kl = kl_of(m, m);
            TU_CHECK(&c, kl >= 0 && kl <= 1e-14, "KL(m || m) = %g", kl);
            model *s = model_clone(m);
            assert_non_null(s);
            for (size_t j = 0; j < m->P; j++) {
                memcpy(s->theta, m->theta, m->P * sizeof *s->theta);
                s->theta[j] += 0.05;
                if (model_validate(s, s->theta) != SS_OK) {
                    s->theta[j] -= 0.1;
                    if (model_validate(s, s->theta) != SS_OK) {
                        ss_clear_error();
                        continue;
                    }
                }
                double k2 = kl_of(s, m);
                TU_CHECK(&c, k2 > 1e-6, "moving %s by 0.05: KL = %g",
                         MODEL_PNAME(m, j), k2);
            }
            model_free(s);
            model_free(m);
        }
    }
    /* equivalent parametrisations: mlp2 with its units swapped; gmm with
     * its components swapped; ARMA(1,1) anywhere on ar1 = -ma1 is white
     * noise */
    static const struct {
        const char *family, *a, *b;
        double tol;
    } eq[] = {
        {"mlp2", "d=2 w1=0.385 w2=-0.73 J1=[0.9,-0.4] J2=[-0.2,1.1]",
         "d=2 w1=-0.73 w2=0.385 J1=[-0.2,1.1] J2=[0.9,-0.4]", 1e-14},
        {"mlp2", "act=tanh w1=0.385 w2=-0.73 J1=0.9 J2=-0.4",
         "act=tanh w1=-0.73 w2=0.385 J1=-0.4 J2=0.9", 1e-15},
        {"mlp2", "w1=0.7 w2=0.4 J1=0.8 J2=0.8", "w1=0.3 w2=0.8 J1=0.8 J2=0.8",
         1e-14},
        {"gmm", "v=0.3 w1=-0.4 w2=0.9", "v=0.7 w1=0.9 w2=-0.4", 1e-14},
        {"gmm", "v=0 w1=0.2 w2=5", "v=0 w1=0.2 w2=-3", 0},
        {"arma", "ar=[0.6] ma=[-0.6]", "ar=[-0.2] ma=[0.2]", 1e-14},
    };
    for (size_t i = 0; i < sizeof eq / sizeof eq[0]; i++) {
        tu_where(&c, "%s: %s vs %s", eq[i].family, eq[i].a, eq[i].b);
        model *a = mk(eq[i].family, eq[i].a), *b = mk(eq[i].family, eq[i].b);
        double kl = kl_of(b, a);
        TU_CHECK(&c, kl >= 0 && kl <= eq[i].tol, "KL = %g", kl);
        model_free(a);
        model_free(b);
    }
    tu_done(&c);
}

/* ---- compatibility and refusals ----------------------------------------- */

static void expect_fail(tu_ctx *c, ss_status st, ss_status want,
                        const char *const *words)
{
    const char *msg = ss_last_error()->msg;
    TU_CHECK(c, st == want, "status %s, expected %s (%s)", ss_status_name(st),
             ss_status_name(want), msg);
    for (size_t i = 0; words[i]; i++)
        TU_CHECK(c, strstr(msg, words[i]) != NULL,
                 "message '%s' does not say '%s'", msg, words[i]);
    ss_clear_error();
}

static void test_compatibility(void **state)
{
    (void)state;
    tu_ctx c = {0};
    model *g = mk("gmm", "v=0.3 w1=0 w2=1");
    model *n1 = mk("mlp2", "w1=1 w2=0.5 J1=2 J2=-0.7");
    model *n2 = mk("mlp2", "d=2 w1=1 w2=0.5 J1=[2,0] J2=[-0.7,1]");
    model *n3 = mk("mlp2", "d=3 act=tanh w1=1 w2=0.5 J1=[2,0,0] "
                           "J2=[-0.7,1,0]");
    model *a = mk("arma", "ar=[0.5] ma=[0.3]");
    double kl = 0;

    tu_where(&c, "mlp2 model, gmm teacher");
    expect_fail(&c, model_data_compatible(n1, g), SS_ERR_USAGE,
                (const char *const[]){"gmm", "mlp2", "i.i.d.", "regression",
                                      NULL});
    expect_fail(&c, n1->type->kl_from(n1, n1->theta, g, &kl), SS_ERR_USAGE,
                (const char *const[]){"gmm", "mlp2", NULL});
    TU_CHECK(&c, isnan(kl), "kl written on failure: %g", kl);
    tu_where(&c, "mlp2 d=1 model, d=2 teacher");
    expect_fail(&c, model_data_compatible(n1, n2), SS_ERR_USAGE,
                (const char *const[]){"3 data columns", "needs 2", NULL});
    expect_fail(&c, n1->type->kl_from(n1, n1->theta, n2, &kl), SS_ERR_USAGE,
                (const char *const[]){"columns", NULL});
    tu_where(&c, "gmm and arma");
    expect_fail(&c, model_data_compatible(g, a), SS_ERR_USAGE,
                (const char *const[]){"time series", NULL});
    expect_fail(&c, g->type->kl_from(g, g->theta, a, &kl), SS_ERR_USAGE,
                (const char *const[]){"arma teacher", "must be a gmm", NULL});
    expect_fail(&c, a->type->kl_from(a, a->theta, g, &kl), SS_ERR_USAGE,
                (const char *const[]){"gmm teacher", "must be an arma",
                                      NULL});
    tu_where(&c, "mlp2 tanh d=3");
    expect_fail(&c, n3->type->kl_from(n3, n3->theta, n3, &kl), SS_ERR_USAGE,
                (const char *const[]){"tanh", "d <= 2", NULL});
    tu_where(&c, "same kind and columns");
    TU_CHECK(&c, model_data_compatible(n1, n1) == SS_OK &&
                     model_data_compatible(a, a) == SS_OK,
             "compatible models refused: %s", ss_last_error()->msg);

    model_free(g);
    model_free(n1);
    model_free(n2);
    model_free(n3);
    model_free(a);
    tu_done(&c);
}

static void test_testpoint_errors(void **state)
{
    (void)state;
    tu_ctx c = {0};
    model *m = (model *)&c; /* must be reset to NULL */
    model_testpoint bad = {"broken", "v=0.3 w1 w2=1", NULL, MODEL_TP_GENERIC,
                           -1, 0};
    tu_where(&c, "bad token");
    expect_fail(&c, model_alloc_testpoint(model_gmm, &bad, &m), SS_ERR_SYNTAX,
                (const char *const[]){"gmm", "broken", "'w1'", NULL});
    TU_CHECK(&c, m == NULL, "model not NULL");
    model_testpoint badvec = {"vec", "ar=[0.5,x] ma=[0.1]", NULL,
                              MODEL_TP_GENERIC, -1, 0};
    tu_where(&c, "bad vector");
    expect_fail(&c, model_alloc_testpoint(model_arma, &badvec, &m),
                SS_ERR_SYNTAX, (const char *const[]){"vector", "ar", NULL});
    static const char *const unclosed[] = {"ar=[0.5,0.1 ma=[0.1]",
                                           "ar=[0.5]x ma=[0.1]"};
    for (size_t i = 0; i < 2; i++) {
        model_testpoint u = {"unclosed", unclosed[i], NULL, MODEL_TP_GENERIC,
                             -1, 0};
        tu_where(&c, "vector %s", unclosed[i]);
        expect_fail(&c, model_alloc_testpoint(model_arma, &u, &m),
                    SS_ERR_SYNTAX, (const char *const[]){"']'", NULL});
    }
    model_testpoint nofix = {"nofix", "v=0.3 w1=0 w2=1", "w1 w9",
                             MODEL_TP_GENERIC, -1, 0};
    tu_where(&c, "unknown fixed parameter");
    m = (model *)&c;
    expect_fail(&c, model_alloc_testpoint(model_gmm, &nofix, &m),
                SS_ERR_NAME, (const char *const[]){"no parameter w9", NULL});
    TU_CHECK(&c, m == NULL, "model not NULL");
    model_testpoint good = {"good", "v=0.3 w1=0 w2=1", "w1", MODEL_TP_GENERIC,
                            -1, 0};
    tu_where(&c, "fixed parameter");
    TU_CHECK(&c, model_alloc_testpoint(model_gmm, &good, &m) == SS_OK && m &&
                     m->is_free[0] && !m->is_free[1] && m->is_free[2] &&
                     m->theta[0] == 0.3 && m->theta[2] == 1.0,
             "v=0.3 w1=0 w2=1 with w1 fixed");
    model_free(m);
    tu_done(&c);
}

int main(void)
{
    ss_gsl_install_handler();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_data_kind),
        cmocka_unit_test(test_loglik_grad),
        cmocka_unit_test(test_scores_without_ell),
        cmocka_unit_test(test_mlp2_mean_jacobian),
        cmocka_unit_test(test_mlp2_gram_vs_fim),
        cmocka_unit_test(test_kl_vs_mc),
        cmocka_unit_test(test_arma_kl),
        cmocka_unit_test(test_kl_zero_positive),
        cmocka_unit_test(test_compatibility),
        cmocka_unit_test(test_testpoint_errors),
    };
    return cmocka_run_group_tests_name("model hooks", tests, NULL, NULL);
}

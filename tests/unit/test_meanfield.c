/* The mean-field order parameters of wide random networks (fim/meanfield.h)
 * checked three independent ways:
 *   - the quadratures against closed forms: relu's arc-cosine kernel
 *     (Cho & Saul), the step's 1/2 - acos(rho)/(2 pi), Williams' arcsine
 *     kernel for erf and the Gaussian integral for erf', the linear case,
 *     Stein's identity E[u f(u)] = q E[f'(u)] for tanh (no closed form);
 *   - the recursions against brute-force averages over random networks
 *     built here (forward pass and backprop written out plainly);
 *   - m_lambda against the trace of the regression FIM J^T J / T of a
 *     random network whose Jacobian J is formed here by backprop (and
 *     spot-checked by finite differences).
 *
 * Statistical tolerances. An empirical order parameter of one network is a
 * mean (or, for the deltas, a sum) of M roughly independent O(1) terms, so
 * it fluctuates by O(1/sqrt M) around its limit, and its expectation is off
 * the limit by O(1/M) (the next layer sees the fluctuating q, a Jensen
 * effect). Over R networks we therefore check
 *     |mean - theory| <= 5 sd / sqrt(R) + (4 / M) scale,
 * with sd the replicate standard deviation, and separately that
 * sd <= 6 scale / sqrt(M), i.e. the fluctuations really are O(1/sqrt M)
 * with an O(1) constant (the variance of a mean of M squared Gaussians is
 * 2/M in relative terms; a step derivative makes it 5/M; a few layers at
 * most double it), so a small se is not bought by a vacuous spread. The
 * seeds are fixed: the test is deterministic. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "fim/meanfield.h"
#include "testutil.h"

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- quadratures against closed forms ---------------------------------- */

static double f_relu(double x, void *c)
{
    (void)c;
    return x > 0 ? x : 0;
}
static double f_step(double x, void *c)
{
    (void)c;
    return x > 0 ? 1 : 0;
}
static double f_erf(double x, void *c)
{
    (void)c;
    return erf(x);
}
static double f_derf(double x, void *c)
{
    (void)c;
    return 2.0 / sqrt(M_PI) * exp(-x * x);
}
static double f_lin(double x, void *c)
{
    (void)c;
    return x;
}
static double f_one(double x, void *c)
{
    (void)c;
    (void)x;
    return 1.0;
}
static double f_tanh(double x, void *c)
{
    (void)c;
    return tanh(x);
}
static double f_sech2(double x, void *c)
{
    (void)c;
    double ch = cosh(x);
    return 1.0 / (ch * ch);
}
static double f_xtanh(double x, void *c)
{
    (void)c;
    return x * tanh(x);
}
/* f(x)^2 for the f a boxed pointer carries. */
typedef struct {
    mf_fn f;
} box;
static double f_sq(double x, void *c)
{
    double v = ((const box *)c)->f(x, NULL);
    return v * v;
}
#define SQ(fn) (&(box){fn})

static const double pairs[][3] = {
    /* qa, qb, qab */
    {1.0, 1.0, 0.0},   {1.0, 1.0, 0.3},  {1.0, 1.0, -0.7}, {2.0, 0.5, 0.6},
    {0.3, 1.7, -0.4},  {1.5, 1.5, 1.5},  {1.2, 1.2, -1.2}, {3.0, 2.0, 2.4},
    {0.05, 0.2, 0.09}, {1.0, 1.0, 0.999}};

static void test_closed_forms(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        double qa = pairs[i][0], qb = pairs[i][1], qab = pairs[i][2];
        double rho = qab / sqrt(qa * qb);
        if (rho > 1)
            rho = 1;
        if (rho < -1)
            rho = -1;
        double th = acos(rho);
        double want = sqrt(qa * qb) / (2 * M_PI) *
                      (sin(th) + (M_PI - th) * cos(th));
        assert_close_msg(mf_expect2(f_relu, NULL, f_relu, NULL, qa, qb, qab),
                         want, 1e-10, 1e-13, "relu arc-cosine kernel");
        assert_close_msg(mf_expect2(f_step, NULL, f_step, NULL, qa, qb, qab),
                         0.5 - th / (2 * M_PI), 1e-10, 1e-13, "step kernel");
        double s = sqrt((1 + 2 * qa) * (1 + 2 * qb));
        assert_close_msg(mf_expect2(f_erf, NULL, f_erf, NULL, qa, qb, qab),
                         2 / M_PI * asin(2 * qab / s), 1e-10, 1e-13,
                         "erf arcsine kernel");
        assert_close_msg(
            mf_expect2(f_derf, NULL, f_derf, NULL, qa, qb, qab),
            4 / M_PI / sqrt((1 + 2 * qa) * (1 + 2 * qb) - 4 * qab * qab),
            1e-10, 1e-13, "erf' kernel");
        assert_close_msg(mf_expect2(f_lin, NULL, f_lin, NULL, qa, qb, qab),
                         qab, 1e-10, 1e-13, "linear kernel");
        assert_close_msg(mf_expect2(f_one, NULL, f_one, NULL, qa, qb, qab),
                         1.0, 1e-12, 0, "normalisation");
        /* A mixed pair: E[relu(u) v] = Cov / 2 (Stein). */
        assert_close_msg(mf_expect2(f_relu, NULL, f_lin, NULL, qa, qb, qab),
                         qab / 2, 1e-10, 1e-13, "E[relu(u) v]");
    }
    const double qs[] = {0.01, 0.3, 1.0, 2.0, 5.0};
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
        double q = qs[i];
        assert_close(mf_expect1(f_sq, SQ(f_relu), q), q / 2, 1e-10, 0);
        assert_close(mf_expect1(f_sq, SQ(f_step), q), 0.5, 1e-10, 0);
        assert_close(mf_expect1(f_sq, SQ(f_lin), q), q, 1e-10, 0);
        assert_close(mf_expect1(f_sq, SQ(f_erf), q),
                     2 / M_PI * asin(2 * q / (1 + 2 * q)), 1e-10, 0);
        assert_close(mf_expect1(f_sq, SQ(f_derf), q),
                     4 / M_PI / sqrt(1 + 4 * q), 1e-10, 0);
        /* tanh: Stein's identity ties the phi and phi' integrands. */
        assert_close_msg(mf_expect1(f_xtanh, NULL, q),
                         q * mf_expect1(f_sech2, NULL, q), 1e-10, 0,
                         "Stein for tanh");
        /* The pair rule at rho = 1 is the one-variable rule, and at
         * rho = 0 it factorises. */
        assert_close_msg(mf_expect2(f_tanh, NULL, f_tanh, NULL, q, q, q),
                         mf_expect1(f_sq, SQ(f_tanh), q), 1e-10, 0,
                         "tanh pair at rho = 1");
        double e = mf_expect1(f_sech2, NULL, q);
        assert_close_msg(mf_expect2(f_sech2, NULL, f_sech2, NULL, q, q, 0),
                         e * e, 1e-10, 0, "sech^2 pair at rho = 0");
        assert_close_msg(mf_expect2(f_sech2, NULL, f_sech2, NULL, q, q, q),
                         mf_expect1(f_sq, SQ(f_sech2), q), 1e-10, 0,
                         "sech^2 pair at rho = 1");
    }
}

/* tanh has no closed form: against GSL's adaptive QUADPACK integration
 * (qagi, 1e-13), at variances up to 20 where tanh saturates and its
 * derivative is a narrow bump; the pair by nested adaptive integration
 * over the Cholesky coordinates. */
typedef struct {
    mf_fn f, g;
    double a, b, rho, z1;
    gsl_integration_workspace *w2;
} ref_ctx;

static double ref1_integrand(double z, void *c)
{
    ref_ctx *r = c;
    return exp(-0.5 * z * z) / sqrt(2 * M_PI) * r->f(r->a * z, NULL);
}

static double ref_inner(double z2, void *c)
{
    ref_ctx *r = c;
    return exp(-0.5 * z2 * z2) / sqrt(2 * M_PI) *
           r->g(r->b * (r->rho * r->z1 + sqrt(1 - r->rho * r->rho) * z2),
                NULL);
}

static double ref_outer(double z1, void *c)
{
    ref_ctx *r = c;
    r->z1 = z1;
    gsl_function F = {ref_inner, r};
    double v, e;
    gsl_integration_qagi(&F, 1e-15, 1e-13, 1000, r->w2, &v, &e);
    return exp(-0.5 * z1 * z1) / sqrt(2 * M_PI) * r->f(r->a * z1, NULL) * v;
}

static double f_tanh2(double x, void *c)
{
    return f_tanh(x, c) * f_tanh(x, c);
}

static void test_tanh_reference(void **state)
{
    (void)state;
    gsl_set_error_handler_off();
    gsl_integration_workspace *w1 = gsl_integration_workspace_alloc(1000),
                              *w2 = gsl_integration_workspace_alloc(1000);
    const double qs[] = {0.5, 2.0, 5.0, 20.0};
    for (size_t i = 0; i < 4; i++) {
        double q = qs[i], v, e;
        ref_ctx r = {.f = f_tanh2, .a = sqrt(q)};
        gsl_function F = {ref1_integrand, &r};
        gsl_integration_qagi(&F, 1e-15, 1e-13, 1000, w1, &v, &e);
        assert_close_msg(mf_expect1(f_tanh2, NULL, q), v, 1e-10, 0,
                         "E[tanh^2]");
        r.f = f_sech2;
        gsl_integration_qagi(&F, 1e-15, 1e-13, 1000, w1, &v, &e);
        assert_close_msg(mf_expect1(f_sech2, NULL, q), v, 1e-10, 0,
                         "E[sech^2]");
        /* The pair at correlation 0.6 (and unequal variances). */
        const mf_fn fs[2] = {f_tanh, f_sech2};
        for (int k = 0; k < 2; k++) {
            ref_ctx p = {.f = fs[k], .g = fs[k], .a = sqrt(q),
                         .b = sqrt(0.7 * q), .rho = 0.6, .w2 = w2};
            gsl_function G = {ref_outer, &p};
            gsl_integration_qagi(&G, 1e-15, 1e-12, 1000, w1, &v, &e);
            assert_close_msg(mf_expect2(fs[k], NULL, fs[k], NULL, q, 0.7 * q,
                                        0.6 * sqrt(0.7) * q),
                             v, 1e-9, 1e-14, k ? "sech^2 pair" : "tanh pair");
        }
    }
    gsl_integration_workspace_free(w1);
    gsl_integration_workspace_free(w2);
}

/* ---- the recursions in closed form ------------------------------------- */

static void test_linear_exact(void **state)
{
    (void)state;
    /* phi = id: q^{l+1} = sw2 q^l + sb2, qh = q, qt^l = sw2^{L-l}. */
    double alpha[3] = {2.0, 1.0, 0.5};
    mf_spec s = {.L = 3, .alpha = alpha, .act = MF_LINEAR, .sw2 = 1.3,
                 .sb2 = 0.2, .q0_1 = 1.1, .q0_2 = 0.4};
    mf_result r;
    assert_int_equal(mf_solve(&s, &r), SS_OK);
    double q1 = 1.1, q2 = 0.4, qh1[3], qh2[3];
    qh1[0] = q1;
    qh2[0] = q2;
    for (int l = 1; l <= 3; l++) {
        q1 = 1.3 * q1 + 0.2;
        q2 = 1.3 * q2 + 0.2;
        assert_close(r.q1[l], q1, 1e-12, 0);
        assert_close(r.q2[l], q2, 1e-12, 0);
        if (l < 3) {
            qh1[l] = q1;
            qh2[l] = q2;
            assert_close(r.qh1[l], q1, 1e-10, 0);
            assert_close(r.qh2[l], q2, 1e-10, 0);
        }
        assert_close(r.qt1[l], pow(1.3, 3 - l), 1e-10, 0);
        assert_close(r.qt2[l], pow(1.3, 3 - l), 1e-10, 0);
    }
    double a = 1.0 * 2.0 + 0.5 * 1.0, k1 = 0, k2 = 0;
    for (int l = 1; l <= 3; l++) {
        k1 += alpha[l - 1] / a * pow(1.3, 3 - l) * qh1[l - 1];
        k2 += alpha[l - 1] / a * pow(1.3, 3 - l) * qh2[l - 1];
    }
    assert_close(r.alpha, a, 1e-15, 0);
    assert_close(r.kappa1, k1, 1e-10, 0);
    assert_close(r.kappa2, k2, 1e-10, 0);

    mf_stats st;
    assert_int_equal(mf_predict(&r, 100, 4, 5, &st), SS_OK);
    assert_close(st.m_lambda, k1 * 4 / 100, 1e-14, 0);
    assert_close(st.lambda_max, a * 100 * (0.8 * k2 + k1 / 5), 1e-14, 0);
    assert_close(st.s_lambda, a * 4 * (0.8 * k2 * k2 + k1 * k1 / 5), 1e-14,
                 0);
}

static void test_relu_exact(void **state)
{
    (void)state;
    /* relu, sb2 = 0, rho^0 = 0: qh^l_1 = q^l/2, so q^{l+1} = sw2 q^l / 2;
     * E[step^2] = 1/2, so qt^l_1 = (sw2/2)^{L-l}; at sw2 = 2 everything
     * is 1 (the critical initialisation). */
    mf_spec s = {.L = 4, .act = MF_RELU, .sw2 = 2.0, .sb2 = 0.0,
                 .q0_1 = 1.0, .q0_2 = 0.0};
    mf_result r;
    assert_int_equal(mf_solve(&s, &r), SS_OK);
    for (int l = 1; l <= 4; l++) {
        assert_close(r.q1[l], 2.0, 1e-10, 0);
        assert_close(r.qt1[l], 1.0, 1e-10, 0);
    }
    /* Layer 1 sees uncorrelated inputs: qh^1_2 = q/(2 pi), and the step
     * kernel at rho = 0 is 1/4, so qt^1_2 = sw2 qt^2_2 / 4 = qt^2_2 / 2. */
    assert_close(r.qh2[1], 2.0 / (2 * M_PI), 1e-10, 0);
    assert_close(r.qt2[1], 0.5 * r.qt2[2], 1e-10, 0);
    assert_close(r.qt2[4], 1.0, 0, 0);
    assert_true(r.kappa2 > 0); /* relu is not centred: an outlier */
}

static void test_centred(void **state)
{
    (void)state;
    /* Odd phi, sb2 = 0, uncorrelated inputs: every qh_2 vanishes, hence
     * kappa2 = 0 and lambda_max = alpha M kappa1 / T (no outlier). */
    mf_act acts[] = {MF_TANH, MF_ERF, MF_LINEAR};
    for (size_t i = 0; i < 3; i++) {
        mf_spec s = {.L = 4, .act = acts[i], .sw2 = 1.7, .sb2 = 0.0,
                     .q0_1 = 1.0, .q0_2 = 0.0};
        mf_result r;
        assert_int_equal(mf_solve(&s, &r), SS_OK);
        assert_true(fabs(r.kappa2) < 1e-14);
        assert_true(r.kappa1 > 0.1);
        for (int l = 1; l < 4; l++)
            assert_true(r.qt2[l] > 0.01); /* the deltas stay correlated */
        mf_stats st;
        assert_int_equal(mf_predict(&r, 500, 10, 100, &st), SS_OK);
        assert_close(st.lambda_max, r.alpha * 500 * r.kappa1 / 100, 1e-12,
                     0);
        /* With a bias the pair correlates, and kappa2 > 0. */
        s.sb2 = 0.1;
        assert_int_equal(mf_solve(&s, &r), SS_OK);
        assert_true(r.kappa2 > 1e-3);
    }
}

static void test_bad(void **state)
{
    (void)state;
    mf_result r;
    memset(&r, 0x5a, sizeof r);
    mf_result before = r;
    mf_spec ok = {.L = 2, .act = MF_TANH, .sw2 = 1, .sb2 = 0, .q0_1 = 1,
                  .q0_2 = 0};
    mf_spec s = ok;
    s.L = 0;
    assert_int_equal(mf_solve(&s, &r), SS_ERR_RANGE);
    s = ok;
    s.sw2 = 0;
    assert_int_equal(mf_solve(&s, &r), SS_ERR_RANGE);
    s = ok;
    s.sb2 = -1;
    assert_int_equal(mf_solve(&s, &r), SS_ERR_RANGE);
    s = ok;
    s.q0_2 = 2;
    assert_int_equal(mf_solve(&s, &r), SS_ERR_RANGE);
    double al[2] = {1, 0};
    s = ok;
    s.alpha = al;
    assert_int_equal(mf_solve(&s, &r), SS_ERR_RANGE);
    assert_memory_equal(&r, &before, sizeof r); /* nothing written */
    assert_non_null(strstr(ss_last_error()->msg, "alpha_1"));

    s = ok;
    s.L = 1;
    assert_int_equal(mf_solve(&s, &r), SS_OK);
    assert_true(isnan(r.kappa1));
    mf_stats st;
    assert_int_equal(mf_predict(&r, 10, 1, 1, &st), SS_ERR_RANGE);
    assert_int_equal(mf_solve(&ok, &r), SS_OK);
    assert_int_equal(mf_predict(&r, 0, 1, 1, &st), SS_ERR_RANGE);
    assert_int_equal(mf_predict(&r, 10, 0, 1, &st), SS_ERR_RANGE);
    assert_int_equal(mf_predict(&r, 10, 1, 1, &st), SS_OK);

    mf_act a;
    assert_int_equal(mf_act_parse("erf", &a), 0);
    assert_int_equal(a, MF_ERF);
    assert_int_equal(mf_act_parse("sigmoid", &a), -1);
    assert_string_equal(mf_act_name(MF_RELU), "relu");
}

/* ---- random networks built here ---------------------------------------- */

typedef struct {
    int L, C;
    size_t w[MF_MAX_LAYERS + 1]; /* w[0..L-1] hidden/input, w[L] = C */
    double **W, **b;             /* W[l]: w[l] x w[l-1], row-major */
    mf_act act;
} net;

static void net_init(net *n, int L, const size_t *w, int C, mf_act act,
                     double sw2, double sb2, gsl_rng *rng)
{
    n->L = L;
    n->C = C;
    n->act = act;
    for (int l = 0; l < L; l++)
        n->w[l] = w[l];
    n->w[L] = (size_t)C;
    n->W = calloc((size_t)L + 1, sizeof *n->W);
    n->b = calloc((size_t)L + 1, sizeof *n->b);
    for (int l = 1; l <= L; l++) {
        size_t ni = n->w[l - 1], no = n->w[l];
        n->W[l] = malloc(ni * no * sizeof(double));
        n->b[l] = malloc(no * sizeof(double));
        double sd = sqrt(sw2 / (double)ni), sbd = sqrt(sb2);
        for (size_t k = 0; k < ni * no; k++)
            n->W[l][k] = gsl_ran_gaussian_ziggurat(rng, sd);
        for (size_t i = 0; i < no; i++)
            n->b[l][i] = sbd > 0 ? gsl_ran_gaussian_ziggurat(rng, sbd) : 0.0;
    }
}

static void net_free(net *n)
{
    for (int l = 1; l <= n->L; l++) {
        free(n->W[l]);
        free(n->b[l]);
    }
    free(n->W);
    free(n->b);
}

/* Forward pass of one input: u[l] (l = 1..L) and h[l] (l = 0..L-1), h[0]
 * the input. Buffers sized by the caller. */
static void net_forward(const net *n, double **u, double **h)
{
    for (int l = 1; l <= n->L; l++) {
        size_t ni = n->w[l - 1], no = n->w[l];
        for (size_t i = 0; i < no; i++) {
            double s = n->b[l][i];
            const double *row = n->W[l] + i * ni;
            for (size_t j = 0; j < ni; j++)
                s += row[j] * h[l - 1][j];
            u[l][i] = s;
            if (l < n->L)
                h[l][i] = mf_phi(n->act, s);
        }
    }
}

/* Backprop of output k: d[l][i] = d f_k / d u^l_i. */
static void net_backward(const net *n, double **u, int k, double **d)
{
    int L = n->L;
    for (size_t i = 0; i < n->w[L]; i++)
        d[L][i] = (int)i == k ? 1.0 : 0.0;
    for (int l = L - 1; l >= 1; l--) {
        size_t nl = n->w[l], nu = n->w[l + 1];
        for (size_t j = 0; j < nl; j++) {
            double s = 0.0;
            for (size_t i = 0; i < nu; i++)
                s += d[l + 1][i] * n->W[l + 1][i * nl + j];
            d[l][j] = s * mf_dphi(n->act, u[l][j]);
        }
    }
}

static double dot(const double *a, const double *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

/* Per-input buffers: u, h, d by layer. */
typedef struct {
    double *u[MF_MAX_LAYERS + 1], *h[MF_MAX_LAYERS + 1],
        *d[MF_MAX_LAYERS + 1];
} bufs;

static void bufs_init(bufs *B, const net *n)
{
    memset(B, 0, sizeof *B);
    for (int l = 0; l <= n->L; l++) {
        B->u[l] = calloc(n->w[l], sizeof(double));
        B->h[l] = calloc(n->w[l], sizeof(double));
        B->d[l] = calloc(n->w[l], sizeof(double));
    }
}

static void bufs_free(bufs *B, const net *n)
{
    for (int l = 0; l <= n->L; l++) {
        free(B->u[l]);
        free(B->h[l]);
        free(B->d[l]);
    }
}

/* Running mean and sd over replicates. */
typedef struct {
    double n, s, ss;
} acc;

static void acc_add(acc *a, double x)
{
    a->n += 1;
    a->s += x;
    a->ss += x * x;
}
static double acc_mean(const acc *a)
{
    return a->s / a->n;
}
static double acc_sd(const acc *a)
{
    double m = acc_mean(a), v = a->ss / a->n - m * m;
    return v > 0 ? sqrt(v * a->n / (a->n - 1)) : 0.0;
}

/* The tolerance described at the top. */
static void check_stat(const acc *a, double want, double scale, double M,
                       const char *what, int layer)
{
    double m = acc_mean(a), sd = acc_sd(a);
    double tol = 5 * sd / sqrt(a->n) + 4 / M * scale;
    char buf[128];
    snprintf(buf, sizeof buf, "%s at layer %d, M = %g", what, layer, M);
    assert_close_msg(m, want, 0, tol, buf);
    if (!(sd <= 6 * scale / sqrt(M))) {
        print_error("%s: replicate sd %g is not O(1/sqrt M) (scale %g)\n",
                    buf, sd, scale);
        fail();
    }
}

typedef struct {
    mf_act act;
    double sw2, sb2;
} mc_case;

static void test_order_parameters_mc(void **state)
{
    (void)state;
    const mc_case cases[] = {{MF_RELU, 2.0, 0.05},
                             {MF_TANH, 1.5, 0.05},
                             {MF_ERF, 1.2, 0.0}};
    const size_t Ms[] = {200, 500, 1000};
    const int L = 3, C = 4;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 20190411);
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        for (size_t mi = 0; mi < sizeof Ms / sizeof Ms[0]; mi++) {
            size_t M = Ms[mi];
            int R = (int)(12000 / M);
            /* Widths: input M, hidden M and M/2 (alpha = 1, 1, 1/2). */
            size_t w[3] = {M, M, M / 2};
            double alpha[3] = {1.0, 1.0, 0.5};
            acc q1[4] = {{0}}, q2[4] = {{0}}, qh1[4] = {{0}}, qh2[4] = {{0}},
                qt1[4] = {{0}}, qt2[4] = {{0}};
            mf_result th[1];
            mf_spec s = {.L = L, .alpha = alpha, .act = cases[ci].act,
                         .sw2 = cases[ci].sw2, .sb2 = cases[ci].sb2,
                         .q0_1 = 1.0, .q0_2 = 0.0};
            assert_int_equal(mf_solve(&s, th), SS_OK);
            for (int rep = 0; rep < R; rep++) {
                net n;
                net_init(&n, L, w, C, cases[ci].act, cases[ci].sw2,
                         cases[ci].sb2, rng);
                bufs B[2];
                bufs_init(&B[0], &n);
                bufs_init(&B[1], &n);
                /* Two Gaussian inputs made exactly orthogonal with
                 * |x|^2 = M, so q0_1 = 1 and q0_2 = 0 hold exactly and only
                 * the weights fluctuate. */
                for (int t = 0; t < 2; t++)
                    for (size_t j = 0; j < M; j++)
                        B[t].h[0][j] = gsl_ran_gaussian_ziggurat(rng, 1.0);
                double c = dot(B[0].h[0], B[1].h[0], M) /
                           dot(B[0].h[0], B[0].h[0], M);
                for (size_t j = 0; j < M; j++)
                    B[1].h[0][j] -= c * B[0].h[0][j];
                for (int t = 0; t < 2; t++) {
                    double nr = sqrt(dot(B[t].h[0], B[t].h[0], M) / (double)M);
                    for (size_t j = 0; j < M; j++)
                        B[t].h[0][j] /= nr;
                }
                net_forward(&n, B[0].u, B[0].h);
                net_forward(&n, B[1].u, B[1].h);
                for (int l = 1; l <= L; l++) {
                    double ml = (double)n.w[l];
                    acc_add(&q1[l], 0.5 * (dot(B[0].u[l], B[0].u[l], n.w[l]) +
                                           dot(B[1].u[l], B[1].u[l], n.w[l])) /
                                            ml - th->q1[l]);
                    acc_add(&q2[l],
                            dot(B[0].u[l], B[1].u[l], n.w[l]) / ml -
                                th->q2[l]);
                    if (l < L) {
                        acc_add(&qh1[l],
                                0.5 * (dot(B[0].h[l], B[0].h[l], n.w[l]) +
                                       dot(B[1].h[l], B[1].h[l], n.w[l])) /
                                        ml - th->qh1[l]);
                        acc_add(&qh2[l],
                                dot(B[0].h[l], B[1].h[l], n.w[l]) / ml -
                                    th->qh2[l]);
                    }
                }
                double s1[4] = {0}, s2[4] = {0};
                for (int k = 0; k < C; k++) {
                    net_backward(&n, B[0].u, k, B[0].d);
                    net_backward(&n, B[1].u, k, B[1].d);
                    for (int l = 1; l < L; l++) {
                        s1[l] += 0.5 * (dot(B[0].d[l], B[0].d[l], n.w[l]) +
                                        dot(B[1].d[l], B[1].d[l], n.w[l]));
                        s2[l] += dot(B[0].d[l], B[1].d[l], n.w[l]);
                    }
                }
                for (int l = 1; l < L; l++) {
                    acc_add(&qt1[l], s1[l] / C - th->qt1[l]);
                    acc_add(&qt2[l], s2[l] / C - th->qt2[l]);
                }
                bufs_free(&B[0], &n);
                bufs_free(&B[1], &n);
                net_free(&n);
            }
            /* Each statistic averages over its own layer's units: the
             * output's q over only C of them. */
            size_t wl[4] = {M, M, M / 2, (size_t)C};
            for (int l = 1; l <= L; l++) {
                double sc = th->q1[l], ml = (double)wl[l];
                check_stat(&q1[l], 0, sc, ml, "q1", l);
                check_stat(&q2[l], 0, sc, ml, "q2", l);
                if (l < L) {
                    check_stat(&qh1[l], 0, th->qh1[l], ml, "qh1", l);
                    check_stat(&qh2[l], 0, th->qh1[l], ml, "qh2", l);
                    check_stat(&qt1[l], 0, th->qt1[l], ml, "qt1", l);
                    check_stat(&qt2[l], 0, th->qt1[l], ml, "qt2", l);
                }
            }
        }
    }
    gsl_rng_free(rng);
}

/* ---- the regression FIM's trace ---------------------------------------- */

/* J (C T x P) of net n at the T inputs in X (T x w[0]), by backprop; the
 * parameters ordered layer by layer, W^l row-major then b^l. */
static size_t net_nparam(const net *n)
{
    size_t P = 0;
    for (int l = 1; l <= n->L; l++)
        P += n->w[l] * (n->w[l - 1] + 1);
    return P;
}

static gsl_matrix *net_jacobian(const net *n, const double *X, int T)
{
    size_t P = net_nparam(n);
    gsl_matrix *J = gsl_matrix_calloc((size_t)(n->C * T), P);
    bufs B;
    bufs_init(&B, n);
    for (int t = 0; t < T; t++) {
        memcpy(B.h[0], X + (size_t)t * n->w[0], n->w[0] * sizeof(double));
        net_forward(n, B.u, B.h);
        for (int k = 0; k < n->C; k++) {
            net_backward(n, B.u, k, B.d);
            double *row = gsl_matrix_ptr(J, (size_t)(t * n->C + k), 0);
            size_t off = 0;
            for (int l = 1; l <= n->L; l++) {
                size_t ni = n->w[l - 1], no = n->w[l];
                for (size_t i = 0; i < no; i++)
                    for (size_t j = 0; j < ni; j++)
                        row[off + i * ni + j] = B.d[l][i] * B.h[l - 1][j];
                off += ni * no;
                for (size_t i = 0; i < no; i++)
                    row[off + i] = B.d[l][i];
                off += no;
            }
        }
    }
    bufs_free(&B, n);
    return J;
}

static double *param_ptr(net *n, size_t p)
{
    for (int l = 1; l <= n->L; l++) {
        size_t nw = n->w[l] * n->w[l - 1];
        if (p < nw)
            return n->W[l] + p;
        p -= nw;
        if (p < n->w[l])
            return n->b[l] + p;
        p -= n->w[l];
    }
    return NULL;
}

static double net_out(const net *n, const double *x, int k)
{
    bufs B;
    bufs_init(&B, n);
    memcpy(B.h[0], x, n->w[0] * sizeof(double));
    net_forward(n, B.u, B.h);
    double v = B.u[n->L][k];
    bufs_free(&B, n);
    return v;
}

static void test_jacobian_fd(void **state)
{
    (void)state;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 7);
    size_t w[3] = {5, 4, 3};
    net n;
    net_init(&n, 3, w, 2, MF_TANH, 1.5, 0.1, rng);
    double X[10];
    for (int i = 0; i < 10; i++)
        X[i] = gsl_ran_gaussian(rng, 1.0);
    gsl_matrix *J = net_jacobian(&n, X, 2);
    size_t P = net_nparam(&n);
    assert_int_equal(P, 4 * 6 + 3 * 5 + 2 * 4);
    for (size_t p = 0; p < P; p++)
        for (int t = 0; t < 2; t++)
            for (int k = 0; k < 2; k++) {
                double *th = param_ptr(&n, p), h = 1e-6;
                if (!th) {
                    fail_msg("parameter %zu out of range", p);
                    continue;
                }
                double v = *th;
                *th = v + h;
                double fp = net_out(&n, X + 5 * t, k);
                *th = v - h;
                double fm = net_out(&n, X + 5 * t, k);
                *th = v;
                assert_close(gsl_matrix_get(J, (size_t)(t * 2 + k), p),
                             (fp - fm) / (2 * h), 1e-6, 1e-8);
            }
    gsl_matrix_free(J);
    net_free(&n);
    gsl_rng_free(rng);
}

/* m_lambda = tr F / P with F = J^T J / T, so tr F = |J|_F^2 / T. Against
 * kappa1 C / M the leading-order ratio also misses the O(1/M) parameters
 * (biases, the C x M output layer): P = alpha M^2 (1 + (C + L)/(alpha M))
 * up to O(1/M^2), and the bias share of the trace is smaller still; so
 * the leading-order check allows (C + L) / (alpha M) on top of the
 * statistical part 5 sd / sqrt(R), and the finite-width prediction, which
 * counts both, the statistical part and 4/M. One network's trace
 * fluctuates by O(1/sqrt M) with a constant near 2 (each output's squared
 * delta is a sum of about M/2 squared Gaussian weights for relu), which C
 * independent output rows and R networks average down.
 *
 * The C-fold outlier: the mean of the top C eigenvalues of the dual
 * J J^T / T against (d1 + (T-1) d2)/T. The outliers of different outputs
 * couple through O(1/sqrt M) overlaps of their deltas; the mean of the C
 * of them is their trace on the outlier subspace, to which the couplings
 * contribute only at second order, O(1/M). Checked for relu, where d2 is
 * half of d1 and the outlier group stands clear of the rest. */
static int cmp_desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

static void test_trace_fim(void **state)
{
    (void)state;
    const mc_case cases[] = {{MF_RELU, 2.0, 0.1}, {MF_TANH, 1.5, 0.1}};
    const size_t Ms[] = {60, 120, 240};
    const int L = 3, C = 10, T = 2, R = 8;
    const size_t N = (size_t)(C * T);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 99);
    gsl_eigen_symm_workspace *ws = gsl_eigen_symm_alloc(N);
    for (size_t ci = 0; ci < 2; ci++)
        for (size_t mi = 0; mi < 3; mi++) {
            size_t M = Ms[mi];
            size_t w[3] = {M, M, M};
            mf_spec s = {.L = L, .act = cases[ci].act, .sw2 = cases[ci].sw2,
                         .sb2 = cases[ci].sb2, .q0_1 = 1.0, .q0_2 = 0.0};
            mf_result r;
            assert_int_equal(mf_solve(&s, &r), SS_OK);
            mf_stats lead, fin;
            assert_int_equal(mf_predict(&r, (double)M, C, T, &lead), SS_OK);
            assert_int_equal(mf_predict_finite(&r, w, C, T, &fin), SS_OK);
            acc m = {0}, top = {0};
            double *X = malloc((size_t)T * M * sizeof(double));
            for (int rep = 0; rep < R; rep++) {
                net n;
                net_init(&n, L, w, C, cases[ci].act, cases[ci].sw2,
                         cases[ci].sb2, rng);
                for (size_t i = 0; i < (size_t)T * M; i++)
                    X[i] = gsl_ran_gaussian_ziggurat(rng, 1.0);
                gsl_matrix *J = net_jacobian(&n, X, T);
                size_t P = net_nparam(&n);
                double fro = 0;
                for (size_t i = 0; i < N; i++)
                    for (size_t j = 0; j < P; j++)
                        fro += gsl_matrix_get(J, i, j) *
                               gsl_matrix_get(J, i, j);
                acc_add(&m, fro / T / (double)P);
                gsl_matrix *K = gsl_matrix_alloc(N, N);
                for (size_t i = 0; i < N; i++)
                    for (size_t j = 0; j < N; j++)
                        gsl_matrix_set(K, i, j,
                                       dot(gsl_matrix_ptr(J, i, 0),
                                           gsl_matrix_ptr(J, j, 0), P) /
                                           T);
                gsl_vector *ev = gsl_vector_alloc(N);
                assert_int_equal(gsl_eigen_symm(K, ev, ws), 0);
                qsort(ev->data, N, sizeof(double), cmp_desc);
                double st = 0;
                for (int k = 0; k < C; k++)
                    st += ev->data[k];
                acc_add(&top, st / C);
                gsl_vector_free(ev);
                gsl_matrix_free(K);
                gsl_matrix_free(J);
                net_free(&n);
            }
            free(X);
            double bias = (double)(C + L) / (r.alpha * (double)M);
            char buf[96];
            snprintf(buf, sizeof buf, "m_lambda vs kappa1 C / M, %s, M = %zu",
                     mf_act_name(cases[ci].act), M);
            double se = 5 * acc_sd(&m) / sqrt(R);
            assert_close_msg(acc_mean(&m), lead.m_lambda, bias, se, buf);
            assert_close_msg(acc_mean(&m), fin.m_lambda, 4.0 / (double)M, se,
                             buf);
            /* The leading order has m_lambda exactly C kappa1 / M. */
            assert_close(lead.m_lambda * (double)M / C, r.kappa1, 1e-14, 0);
            if (cases[ci].act == MF_RELU) {
                snprintf(buf, sizeof buf, "top-%d mean, relu, M = %zu", C, M);
                assert_close_msg(acc_mean(&top), fin.lambda_max,
                                 4.0 / (double)M,
                                 5 * acc_sd(&top) / sqrt(R), buf);
            }
        }
    gsl_eigen_symm_free(ws);
    gsl_rng_free(rng);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_closed_forms),
        cmocka_unit_test(test_tanh_reference),
        cmocka_unit_test(test_linear_exact),
        cmocka_unit_test(test_relu_exact),
        cmocka_unit_test(test_centred),
        cmocka_unit_test(test_bad),
        cmocka_unit_test(test_jacobian_fd),
        cmocka_unit_test(test_order_parameters_mc),
        cmocka_unit_test(test_trace_fim),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

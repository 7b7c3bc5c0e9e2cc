/* Unit tests of the arma family, for the layouts (1,1), (2,1), (1,2),
 * (1,0), (0,1) and (2,2):
 *   - layout from the ar=[..] / ma=[..] lengths, options, defaults;
 *   - check() refusals (non-stationary, non-invertible) and their messages;
 *   - the exact log-likelihood term by term against a direct multivariate
 *     normal computation (autocovariances from the MA(inf) weights,
 *     Cholesky of the Toeplitz matrix);
 *   - analytic scores against finite differences of the exact loglik;
 *   - the Whittle FIM against the ARMA(1,1) closed form and against the
 *     Box-Jenkins autocovariance route, and against Monte Carlo;
 *   - the sampler: exact stationary start, autocovariances;
 *   - the singular sets, lambda_min near ar1 = -ma1 through the root
 *     factor, rank on the line, the KL "cone" formulas of the help text.
 *
 * Timing by hand: ARMA_BENCH=1 ./test_arma (meaningful without
 * sanitizers). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/sink.h"
#include "core/status.h"
#include "model/model.h"
#include "testutil.h"

#include <float.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Until model.h lists it with the built-in families. */

#define NPTS(a) (sizeof(a) / sizeof((a)[0]))
#define MAXP 16

/* ---- points ----------------------------------------------------------------- */

typedef struct {
    size_t p, q;
    double ar[8], ma[8];
    const char *label;
} apoint;

/* Generic points of every layout tested (stationary, invertible, away from
 * the common-root set). */
static const apoint generic[] = {
    {1, 1, {0.5}, {0.3}, "(1,1) default"},
    {1, 1, {-0.4}, {0.7}, "(1,1) ar1=-0.4 ma1=0.7"},
    {1, 1, {0.5}, {-0.45}, "(1,1) near ar1=-ma1"},
    {2, 1, {0.5, -0.2}, {0.4}, "(2,1) real"},
    {2, 1, {1.0, -0.5}, {-0.3}, "(2,1) complex AR roots 1+-i"},
    {1, 2, {0.6}, {0.3, -0.2}, "(1,2)"},
    {1, 2, {-0.385}, {0.5, 0.4}, "(1,2) complex MA roots"},
    {1, 0, {0.7}, {0}, "(1,0)"},
    {0, 1, {0}, {-0.6}, "(0,1)"},
    {2, 2, {0.3, 0.2}, {0.1, -0.3}, "(2,2)"},
};

static model *make_sigma(const apoint *pt, double sigma2)
{
    tu_args a;
    tu_args_init(&a);
    tu_args_vec(&a, "ar", pt->ar, pt->p);
    tu_args_vec(&a, "ma", pt->ma, pt->q);
    if (sigma2 > 0)
        tu_args_num(&a, "sigma2", sigma2);
    model *m = NULL;
    ss_status st = model_alloc(model_arma, a.a, a.n, &m);
    if (st != SS_OK)
        fail_msg("%s: model_alloc: %s", pt->label, ss_last_error()->msg);
    assert_non_null(m);
    return m;
}

static model *make(const apoint *pt)
{
    return make_sigma(pt, 0);
}

static model *make11(double ph, double th)
{
    apoint pt = {1, 1, {ph}, {th}, "(1,1)"};
    return make(&pt);
}

static gsl_matrix *exact_fim(const model *m, gsl_matrix **root)
{
    gsl_matrix *G = gsl_matrix_alloc(m->P, m->P);
    ss_status st = model_arma->fim_exact(m, m->theta, G, root);
    if (st != SS_OK)
        fail_msg("fim_exact: %s", ss_last_error()->msg);
    return G;
}

static gsl_matrix *simulate(const model *m, size_t n, unsigned long seed)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    gsl_matrix *X = gsl_matrix_alloc(n, 1);
    ss_status st = model_arma->sample(m, m->theta, r, X);
    gsl_rng_free(r);
    if (st != SS_OK)
        fail_msg("sample: %s", ss_last_error()->msg);
    return X;
}

/* ---- independent references ---------------------------------------------------- */

#define NPSI 4000

/* MA(inf) weights of b(z)/a(z) with a(z) = 1 - sum a_i z^i and
 * b(z) = 1 + sum b_j z^j, in long double; the points used decay at least
 * like 0.75^k, so 4000 terms leave nothing (0.75^4000 ~ 1e-500). */
static void psi_weights(size_t p, const double *a, size_t q, const double *b,
                        long double *psi)
{
    for (size_t k = 0; k < NPSI; k++) {
        long double v = k == 0 ? 1.0L : (k <= q ? b[k - 1] : 0.0L);
        for (size_t i = 1; i <= p && i <= k; i++)
            v += (long double)a[i - 1] * psi[k - i];
        psi[k] = v;
    }
}

/* Autocovariances gamma(0..H-1) in units of sigma2. */
static void autocov(const apoint *pt, long double *g, size_t H)
{
    static long double psi[NPSI];
    psi_weights(pt->p, pt->ar, pt->q, pt->ma, psi);
    for (size_t h = 0; h < H; h++) {
        long double s = 0;
        for (size_t k = 0; k + h < NPSI; k++)
            s += psi[k] * psi[k + h];
        g[h] = s;
    }
}

/* The Box-Jenkins route: the score in ar_i is -u_{t-i} e_t / sigma2 and in
 * ma_j -v_{t-j} e_t / sigma2 with u = e / phi(B), v = e / theta(B), so
 * G = Cov(u_{t-1..t-p}, v_{t-1..t-q}) / sigma2, from the MA(inf) weights
 * alpha of 1/phi and beta of 1/theta. */
static void bj_fim(const apoint *pt, gsl_matrix *G)
{
    static long double al[NPSI], be[NPSI];
    double negma[8];
    for (size_t j = 0; j < pt->q; j++)
        negma[j] = -pt->ma[j];
    psi_weights(pt->p, pt->ar, 0, NULL, al);
    psi_weights(pt->q, negma, 0, NULL, be);
    size_t p = pt->p, P = pt->p + pt->q;
    for (size_t a = 0; a < P; a++)
        for (size_t b = 0; b < P; b++) {
            int ia = a < p, ib = b < p;
            long i = (long)(ia ? a + 1 : a - p + 1);
            long j = (long)(ib ? b + 1 : b - p + 1);
            const long double *x = ia ? al : be, *y = ib ? al : be;
            /* E[w_{t-i} z_{t-j}] = sum_k x_k y_{k+i-j} */
            long double s = 0;
            for (long k = 0; k < NPSI; k++) {
                long l = k + i - j;
                if (l >= 0 && l < NPSI)
                    s += x[k] * y[l];
            }
            gsl_matrix_set(G, a, b, (double)s);
        }
}

/* Largest singular values of the root (descending) by one-sided Jacobi. */
static void root_sv(const gsl_matrix *R, double *sv)
{
    size_t k = R->size2;
    gsl_matrix *A = gsl_matrix_alloc(R->size1, k);
    gsl_matrix *V = gsl_matrix_alloc(k, k);
    gsl_vector *s = gsl_vector_alloc(k);
    gsl_matrix_memcpy(A, R);
    assert_int_equal(gsl_linalg_SV_decomp_jacobi(A, V, s), GSL_SUCCESS);
    for (size_t i = 0; i < k; i++)
        sv[i] = gsl_vector_get(s, i); /* sorted descending by GSL */
    gsl_vector_free(s);
    gsl_matrix_free(V);
    gsl_matrix_free(A);
}

/* ---- layout ------------------------------------------------------------------------ */

static void test_layout(void **state)
{
    (void)state;
    assert_string_equal(model_arma->name, "arma");
    assert_non_null(model_arma->summary);
    assert_non_null(strstr(model_arma->help, "statsmodels"));
    assert_non_null(strstr(model_arma->help, "KL"));
    assert_string_equal(model_arma->param_summary,
                        "ar1..arp ma1..maq (ar=[..] ma=[..])");
    assert_int_equal(model_arma->nopts, 3);
    assert_string_equal(model_arma->opts[0].name, "sigma2");
    assert_string_equal(model_arma->opts[1].name, "p");
    assert_string_equal(model_arma->opts[2].name, "q");

    /* defaults: ARMA(1,1) at ar1 = 0.5, ma1 = 0.3, sigma2 = 1 */
    model *m = NULL;
    assert_int_equal(model_alloc(model_arma, NULL, 0, &m), SS_OK);
    assert_int_equal(m->P, 2);
    assert_string_equal(MODEL_PNAME(m, 0), "ar1");
    assert_string_equal(MODEL_PNAME(m, 1), "ma1");
    assert_true(m->theta[0] == 0.5 && m->theta[1] == 0.3);
    assert_true(m->opt[0] == 1.0 && m->opt[1] == 1.0 && m->opt[2] == 1.0);
    assert_true(isinf(model_param_lo(m, 0)) && isinf(model_param_hi(m, 1)));
    assert_int_equal(model_arma->data_cols(m), 1);
    char buf[8];
    assert_string_equal(model_arma->data_colname(m, 0, buf, sizeof buf), "x");
    assert_int_equal(m->ngroups, 2);
    model_free(m);

    /* orders from the vector lengths; values through the groups */
    for (size_t k = 0; k < NPTS(generic); k++) {
        const apoint *pt = &generic[k];
        m = make(pt);
        assert_int_equal(m->P, pt->p + pt->q);
        assert_true(m->opt[1] == (double)pt->p && m->opt[2] == (double)pt->q);
        int ga = model_group_index(m, "ar"), gm = model_group_index(m, "ma");
        assert_true((ga >= 0) == (pt->p > 0) && (gm >= 0) == (pt->q > 0));
        if (ga >= 0)
            assert_true(m->groups[ga].first == 0 &&
                        m->groups[ga].count == pt->p);
        if (gm >= 0)
            assert_true(m->groups[gm].first == pt->p &&
                        m->groups[gm].count == pt->q);
        for (size_t i = 0; i < pt->p; i++) {
            char nm[32];
            snprintf(nm, sizeof nm, "ar%zu", i + 1);
            assert_string_equal(MODEL_PNAME(m, i), nm);
            assert_true(m->theta[i] == pt->ar[i]);
        }
        for (size_t j = 0; j < pt->q; j++) {
            char nm[32];
            snprintf(nm, sizeof nm, "ma%zu", j + 1);
            assert_string_equal(MODEL_PNAME(m, pt->p + j), nm);
            assert_true(m->theta[pt->p + j] == pt->ma[j]);
        }
        model_free(m);
    }

    /* `model a arma ar=[0.5] ma=[-0.45]` is ARMA(1,1) */
    {
        static const double ar[] = {0.5}, ma[] = {-0.45};
        tu_args a;
        tu_args_init(&a);
        tu_args_vec(&a, "ar", ar, 1);
        tu_args_vec(&a, "ma", ma, 1);
        assert_int_equal(model_alloc(model_arma, a.a, a.n, &m), SS_OK);
        assert_int_equal(m->P, 2);
        assert_true(m->theta[0] == 0.5 && m->theta[1] == -0.45);
        model_free(m);
    }

    /* p and q options without vectors; defaults ar1 = 0.5, higher 0, and
     * ma = coefficients of (1 + 0.3 z)^q */
    {
        tu_args a;
        tu_args_init(&a);
        tu_args_num(&a, "p", 3);
        tu_args_num(&a, "q", 2);
        assert_int_equal(model_alloc(model_arma, a.a, a.n, &m), SS_OK);
        assert_int_equal(m->P, 5);
        assert_string_equal(MODEL_PNAME(m, 3), "ma1");
        assert_true(m->theta[0] == 0.5 && m->theta[1] == 0 &&
                    m->theta[2] == 0);
        assert_close(m->theta[3], 0.6, 1e-15, 0);
        assert_close(m->theta[4], 0.09, 1e-15, 0);
        /* generic: not on the common-root set */
        model_singular s[16];
        assert_int_equal(model_arma->singular(m, m->theta, s, 16), 1);
        assert_true(s[0].distance > 0.29);
        model_free(m);
    }
    /* every default layout is valid and off the singular set */
    for (int p = 0; p <= 8; p++)
        for (int q = 0; q <= 8; q++) {
            if (p + q == 0)
                continue;
            tu_args a;
            tu_args_init(&a);
            tu_args_num(&a, "p", p);
            tu_args_num(&a, "q", q);
            ss_status st = model_alloc(model_arma, a.a, a.n, &m);
            if (st != SS_OK)
                fail_msg("p=%d q=%d: %s", p, q, ss_last_error()->msg);
            model_singular s[16];
            size_t ns = model_arma->singular(m, m->theta, s, 16);
            assert_int_equal(ns, (p > 0 && q > 0) ? 1 : 0);
            if (ns)
                assert_true(s[0].distance > 0.2);
            model_free(m);
        }

    /* ar=[] means p = 0; a scalar ar=0.2 keeps the option's order */
    {
        static const double ma[] = {0.4};
        tu_args a;
        tu_args_init(&a);
        tu_args_vec(&a, "ar", ma, 0);
        tu_args_vec(&a, "ma", ma, 1);
        assert_int_equal(model_alloc(model_arma, a.a, a.n, &m), SS_OK);
        assert_int_equal(m->P, 1);
        assert_string_equal(MODEL_PNAME(m, 0), "ma1");
        assert_true(m->theta[0] == 0.4);
        model_free(m);
        tu_args_init(&a);
        tu_args_num(&a, "p", 2);
        tu_args_num(&a, "ar", 0.2);
        assert_int_equal(model_alloc(model_arma, a.a, a.n, &m), SS_OK);
        assert_int_equal(m->P, 3);
        assert_true(m->theta[0] == 0.2 && m->theta[1] == 0.2);
        model_free(m);
    }

    /* errors: no parameters, conflicting order, too long, bad option */
    {
        tu_args a;
        tu_args_init(&a);
        tu_args_num(&a, "p", 0);
        tu_args_num(&a, "q", 0);
        assert_int_equal(model_alloc(model_arma, a.a, a.n, &m),
                         SS_ERR_USAGE);
        assert_null(m);
        assert_non_null(strstr(ss_last_error()->msg, "p + q >= 1"));

        static const double ar[] = {0.5, 0, 0, 0, 0, 0, 0, 0, 0};
        tu_args_init(&a);
        tu_args_num(&a, "p", 2);
        tu_args_vec(&a, "ar", ar, 1);
        assert_int_equal(model_alloc(model_arma, a.a, a.n, &m),
                         SS_ERR_USAGE);
        assert_non_null(strstr(ss_last_error()->msg, "conflicts"));
        tu_args_init(&a);
        tu_args_vec(&a, "ar", ar, 9);
        assert_int_equal(model_alloc(model_arma, a.a, a.n, &m),
                         SS_ERR_RANGE);
        assert_non_null(strstr(ss_last_error()->msg, "at most 8"));
        tu_args_init(&a);
        tu_args_num(&a, "q", 9);
        assert_int_equal(model_alloc(model_arma, a.a, a.n, &m),
                         SS_ERR_RANGE);
        tu_args_init(&a);
        tu_args_num(&a, "sigma2", 0);
        assert_int_equal(model_alloc(model_arma, a.a, a.n, &m),
                         SS_ERR_RANGE);
        /* the group has p components */
        static const double two[] = {0.1, 0.2};
        tu_args_init(&a);
        tu_args_vec(&a, "ar", ar, 1);
        model *m1 = NULL;
        assert_int_equal(model_alloc(model_arma, a.a, a.n, &m1), SS_OK);
        model_arg bad = {.key = "ar", .num = two, .n = 2, .is_vector = 1};
        assert_int_equal(model_set_params(m1, &bad, 1, -1), SS_ERR_USAGE);
        model_free(m1);
    }
}

/* ---- check ------------------------------------------------------------------------- */

static void expect_refusal(const apoint *pt, const char *msg)
{
    tu_args a;
    tu_args_init(&a);
    tu_args_vec(&a, "ar", pt->ar, pt->p);
    tu_args_vec(&a, "ma", pt->ma, pt->q);
    model *m = NULL;
    ss_status st = model_alloc(model_arma, a.a, a.n, &m);
    if (st != SS_ERR_RANGE || !strstr(ss_last_error()->msg, msg))
        fail_msg("%s: status %s, message '%s', expected '%s'", pt->label,
                 ss_status_name(st), ss_last_error()->msg, msg);
    assert_null(m);
}

static void test_check(void **state)
{
    (void)state;
    static const apoint bad[] = {
        {1, 0, {1.25}, {0}, "AR(1) 1.25"},
        {1, 1, {0.5}, {-2.0}, "MA root 0.5"},
        {1, 1, {1.0}, {0.3}, "AR unit root"},
        {0, 1, {0}, {1.0}, "MA unit root"},
        {2, 1, {1.0, -1.2}, {0.3}, "complex AR roots inside"},
        {1, 2, {0.5}, {0.0, 4.0}, "MA roots +-0.5i"},
        {3, 1, {0.5, 0.0, 0.0}, {-1.25}, "AR(3) with ar2 = ar3 = 0"},
    };
    static const char *const msg[] = {
        "not stationary: AR root 0.8 lies inside the unit circle "
        "(|z| = 0.8 <= 1)",
        "not invertible: MA root 0.5 lies inside the unit circle "
        "(|z| = 0.5 <= 1)",
        "not stationary: AR root 1 lies on the unit circle (|z| = 1 <= 1)",
        "not invertible: MA root -1 lies on the unit circle (|z| = 1 <= 1)",
        "not stationary: AR root 0.416667",
        "not invertible: MA root ",
        "not invertible: MA root 0.8 lies inside the unit circle",
    };
    for (size_t k = 0; k < NPTS(bad); k++)
        expect_refusal(&bad[k], msg[k]);
    /* the complex case names modulus sqrt(1/1.2) */
    expect_refusal(&bad[4], "(|z| = 0.912871 <= 1)");
    expect_refusal(&bad[5], "0.5i lies inside the unit circle "
                            "(|z| = 0.5 <= 1)");

    /* all or nothing: a refused assignment leaves theta alone */
    model *m = make(&generic[3]);
    static const double nonstat[] = {0.5, 0.6};
    model_arg a = {.key = "ar", .num = nonstat, .n = 2, .is_vector = 1};
    assert_int_equal(model_set_params(m, &a, 1, -1), SS_ERR_RANGE);
    assert_non_null(strstr(ss_last_error()->msg, "not stationary"));
    assert_true(m->theta[0] == 0.5 && m->theta[1] == -0.2);
    /* and the numerical hooks refuse such points too */
    double th[3] = {0.5, 0.6, 0.4};
    gsl_matrix *X = gsl_matrix_calloc(5, 1), *G = gsl_matrix_alloc(3, 3);
    double ell[5];
    assert_int_equal(model_arma->loglik_terms(m, th, X, ell, NULL),
                     SS_ERR_RANGE);
    gsl_matrix *R = NULL;
    assert_int_equal(model_arma->fim_exact(m, th, G, &R), SS_ERR_RANGE);
    assert_null(R);
    assert_int_equal(model_arma->fim_exact(m, th, G, NULL), SS_ERR_RANGE);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    assert_int_equal(model_arma->sample(m, th, r, X), SS_ERR_RANGE);
    gsl_rng_free(r);
    gsl_matrix_free(X);
    gsl_matrix_free(G);
    model_free(m);

    /* (1,1) closed form refuses as well */
    m = make11(0.5, 0.3);
    double t11[2] = {0.5, 1.5};
    G = gsl_matrix_alloc(2, 2);
    assert_int_equal(model_arma->fim_exact(m, t11, G, NULL), SS_ERR_RANGE);
    gsl_matrix_free(G);
    model_free(m);
}

/* ---- exact log-likelihood vs the multivariate normal -------------------------------- */

/* ell[t] = log N(x_t | x_1..x_{t-1}) = -log(2 pi)/2 - log L_tt - z_t^2 / 2
 * with Gamma = L L^T (Cholesky of the Toeplitz autocovariance matrix) and
 * z = L^{-1} x: the prefix structure of the Cholesky factor makes the
 * comparison term by term. */
static void check_mvn(const apoint *pt, double sigma2, size_t n,
                      unsigned long seed, tu_ctx *c)
{
    model *m = make_sigma(pt, sigma2);
    gsl_matrix *X = simulate(m, n, seed);
    double *ell = malloc(n * sizeof *ell), *z = malloc(n * sizeof *z);
    long double *g = malloc(n * sizeof *g);
    assert_true(ell && z && g);
    assert_int_equal(model_arma->loglik_terms(m, m->theta, X, ell, NULL),
                     SS_OK);
    autocov(pt, g, n);
    gsl_matrix *Gam = gsl_matrix_alloc(n, n);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            gsl_matrix_set(Gam, i, j,
                           sigma2 * (double)g[i > j ? i - j : j - i]);
    assert_int_equal(gsl_linalg_cholesky_decomp1(Gam), GSL_SUCCESS);
    for (size_t i = 0; i < n; i++) {
        double s = gsl_matrix_get(X, i, 0);
        for (size_t k = 0; k < i; k++)
            s -= gsl_matrix_get(Gam, i, k) * z[k];
        z[i] = s / gsl_matrix_get(Gam, i, i);
        double ref = -0.5 * log(2 * M_PI) - log(gsl_matrix_get(Gam, i, i)) -
                     0.5 * z[i] * z[i];
        TU_CHECK_CLOSE(c, ell[i], ref, 1e-12, 1e-12, "%s n=%zu ell[%zu]",
                       pt->label, n, i);
    }
    free(ell);
    free(z);
    free(g);
    gsl_matrix_free(Gam);
    gsl_matrix_free(X);
    model_free(m);
}

/* n = 5, 12, 20 as asked, and 300: long enough for the filter to reach
 * its steady state and switch to the O(n P r) recursion. */
static void test_loglik_mvn(void **state)
{
    (void)state;
    tu_ctx c = {0};
    tu_where(&c, "loglik vs MVN");
    static const size_t ns[] = {5, 12, 20, 300};
    unsigned long seed = 11;
    for (size_t k = 0; k < NPTS(generic); k++)
        for (size_t i = 0; i < NPTS(ns); i++)
            check_mvn(&generic[k], i == 1 ? 2.5 : 1.0, ns[i], seed++, &c);
    tu_done(&c);
}

/* ---- scores vs finite differences ---------------------------------------------------- */

/* Per-term scores against the 5-point central difference of each ell[t]
 * with h = 1e-3: truncation h^4 f^(5) / 30 ~ 3e-14 f^(5), rounding
 * 1.5 eps |ell| / h ~ 3e-13 |ell|; tolerance 1e-7 relative plus
 * 1e-9 (1 + |ell|). */
static void check_scores(const apoint *pt, double sigma2, unsigned long seed,
                         tu_ctx *c)
{
    const size_t n = 50;
    model *m = make_sigma(pt, sigma2);
    size_t P = m->P;
    gsl_matrix *X = simulate(m, n, seed);
    gsl_matrix *S = gsl_matrix_alloc(n, P);
    double ell0[50], ell[50], fd[50], th[MAXP];
    assert_int_equal(model_arma->loglik_terms(m, m->theta, X, ell0, S),
                     SS_OK);
    static const double off[4] = {-2, -1, 1, 2}, w[4] = {1, -8, 8, -1};
    for (size_t j = 0; j < P; j++) {
        double h = 1e-3;
        memset(fd, 0, sizeof fd);
        for (int s = 0; s < 4; s++) {
            memcpy(th, m->theta, P * sizeof *th);
            th[j] += off[s] * h;
            assert_int_equal(model_arma->loglik_terms(m, th, X, ell, NULL),
                             SS_OK);
            for (size_t t = 0; t < n; t++)
                fd[t] += w[s] * ell[t] / (12 * h);
        }
        for (size_t t = 0; t < n; t++)
            TU_CHECK_CLOSE(c, gsl_matrix_get(S, t, j), fd[t], 1e-7,
                           1e-9 * (1 + fabs(ell0[t])), "%s: d ell[%zu]/d %s",
                           pt->label, t, MODEL_PNAME(m, j));
    }
    gsl_matrix_free(S);
    gsl_matrix_free(X);
    model_free(m);
}

static void test_score_fd(void **state)
{
    (void)state;
    tu_ctx c = {0};
    tu_where(&c, "score vs FD");
    for (size_t k = 0; k < NPTS(generic); k++) {
        check_scores(&generic[k], 1.0, 300 + k, &c);
        check_scores(&generic[k], 0.3, 400 + k, &c);
    }
    /* on the singular line and at a zero top coefficient */
    static const apoint more[] = {
        {1, 1, {0.6}, {-0.6}, "(1,1) on ar1=-ma1"},
        {2, 2, {0.5, 0.0}, {0.3, 0.0}, "(2,2) ar2 = ma2 = 0"},
        {3, 0, {0.2, -0.1, 0.3}, {0}, "(3,0)"},
        {0, 3, {0}, {0.4, 0.1, -0.2}, "(0,3)"},
    };
    for (size_t k = 0; k < NPTS(more); k++)
        check_scores(&more[k], 1.0, 500 + k, &c);
    tu_done(&c);
}

/* The score sums over a series have mean zero (each term is a martingale
 * difference): a quick global sanity check on long series. */
static void test_score_mean_zero(void **state)
{
    (void)state;
    tu_ctx c = {0};
    for (size_t k = 0; k < NPTS(generic); k++) {
        const apoint *pt = &generic[k];
        tu_where(&c, "%s", pt->label);
        model *m = make(pt);
        size_t n = 20000, P = m->P;
        gsl_matrix *X = simulate(m, n, 900 + k);
        gsl_matrix *S = gsl_matrix_alloc(n, P);
        double *ell = malloc(n * sizeof *ell);
        gsl_matrix *G = exact_fim(m, NULL);
        assert_int_equal(model_arma->loglik_terms(m, m->theta, X, ell, S),
                         SS_OK);
        for (size_t j = 0; j < P; j++) {
            double s = 0;
            for (size_t t = 0; t < n; t++)
                s += gsl_matrix_get(S, t, j);
            /* sd of the sum ~ sqrt(n G_jj) */
            double z = s / sqrt(n * gsl_matrix_get(G, j, j));
            tu_z(&c, z, MODEL_PNAME(m, j));
            TU_CHECK(&c, fabs(z) < 5, "sum of scores %s: z = %.2f",
                     MODEL_PNAME(m, j), z);
        }
        free(ell);
        gsl_matrix_free(G);
        gsl_matrix_free(S);
        gsl_matrix_free(X);
        model_free(m);
    }
    tu_done(&c);
}

/* ---- Whittle FIM: closed form, autocovariance route ----------------------------------- */

/* In long double, with 1 - x^2 = (1 - x)(1 + x) (no cancellation near
 * |x| = 1): a reference good to ~1e-18. */
static void closed11(double ph, double th, double G[2][2])
{
    long double a = ph, b = th;
    G[0][0] = (double)(1 / ((1 - a) * (1 + a)));
    G[1][1] = (double)(1 / ((1 - b) * (1 + b)));
    G[0][1] = G[1][0] = (double)(1 / (1 + a * b));
}

static void test_fim_closed_form(void **state)
{
    (void)state;
    tu_ctx c = {0};
    static const double pts[][2] = {
        {0.5, 0.3},    {-0.4, 0.7},    {0.95, -0.9},  {0.99, 0.5},
        {0.5, -0.499}, {0.0, 0.0},     {-0.999, 0.2}, {0.3, -0.995},
        {0.6, -0.6},   {-0.385, 0.73},
    };
    for (size_t k = 0; k < NPTS(pts); k++) {
        double ph = pts[k][0], th = pts[k][1], ref[2][2];
        tu_where(&c, "(1,1) ar1=%g ma1=%g", ph, th);
        closed11(ph, th, ref);
        model *m = make11(ph, th);
        gsl_matrix *R = NULL;
        gsl_matrix *Gw = exact_fim(m, &R);  /* Whittle, with its root */
        gsl_matrix *Gc = exact_fim(m, NULL); /* closed form */
        TU_CHECK(&c, R != NULL && R->size2 == 2, "no root factor");
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++) {
                TU_CHECK_CLOSE(&c, gsl_matrix_get(Gw, i, j), ref[i][j],
                               1e-13, 0, "Whittle G[%d][%d]", i, j);
                TU_CHECK_CLOSE(&c, gsl_matrix_get(Gc, i, j), ref[i][j],
                               4e-16, 0, "closed G[%d][%d]", i, j);
            }
        /* the determinant through the root's singular values:
         * (ar1 + ma1)^2 / ((1 - ar1^2)(1 - ma1^2)(1 + ar1 ma1)^2) */
        if (R) {
            double sv[2];
            root_sv(R, sv);
            double det = (ph + th) * (ph + th) /
                         ((1 - ph * ph) * (1 - th * th) *
                          (1 + ph * th) * (1 + ph * th));
            double got = sv[0] * sv[0] * sv[1] * sv[1];
            TU_CHECK_CLOSE(&c, got, det, 1e-10, 1e-15 * sv[0] * sv[0],
                           "det from the root");
            gsl_matrix_free(R);
        }
        gsl_matrix_free(Gw);
        gsl_matrix_free(Gc);
        model_free(m);
    }
    tu_done(&c);
}

static void test_fim_autocov(void **state)
{
    (void)state;
    tu_ctx c = {0};
    static const apoint extra[] = {
        {2, 1, {0.9, -0.2}, {0.5}, "(2,1) AR root 1.28"},
        {1, 2, {0.3}, {-1.2, 0.4}, "(1,2) MA roots 1.5+-0.87i"},
        {2, 2, {0.5, 0.0}, {0.3, 0.1}, "(2,2) ar2 = 0"},
        {3, 2, {0.2, 0.1, -0.3}, {0.5, 0.3}, "(3,2)"},
    };
    for (size_t k = 0; k < NPTS(generic) + NPTS(extra); k++) {
        const apoint *pt = k < NPTS(generic) ? &generic[k]
                                             : &extra[k - NPTS(generic)];
        tu_where(&c, "%s", pt->label);
        model *m = make(pt);
        size_t P = m->P;
        gsl_matrix *R = NULL;
        gsl_matrix *G = exact_fim(m, &R);
        gsl_matrix *ref = gsl_matrix_alloc(P, P);
        bj_fim(pt, ref);
        for (size_t i = 0; i < P; i++)
            for (size_t j = 0; j < P; j++) {
                double sc = sqrt(gsl_matrix_get(ref, i, i) *
                                 gsl_matrix_get(ref, j, j));
                TU_CHECK_CLOSE(&c, gsl_matrix_get(G, i, j),
                               gsl_matrix_get(ref, i, j), 0, 1e-13 * sc,
                               "G[%s][%s] vs Box-Jenkins", MODEL_PNAME(m, i),
                               MODEL_PNAME(m, j));
            }
        /* R^T R = G */
        TU_CHECK(&c, R && R->size2 == P, "root missing");
        for (size_t i = 0; R && i < P; i++)
            for (size_t j = 0; j < P; j++) {
                double s = 0;
                for (size_t r = 0; r < R->size1; r++)
                    s += gsl_matrix_get(R, r, i) * gsl_matrix_get(R, r, j);
                TU_CHECK_CLOSE(&c, s, gsl_matrix_get(G, i, j), 1e-13, 0,
                               "(R^T R)[%zu][%zu]", i, j);
            }
        if (R)
            gsl_matrix_free(R);
        gsl_matrix_free(ref);
        gsl_matrix_free(G);
        model_free(m);
    }
    tu_done(&c);
}

/* Roots absurdly close to the unit circle: refused (general layouts) or
 * closed form without a root factor (ARMA(1,1)); moderately close is
 * still exact. */
static void test_fim_near_unit_circle(void **state)
{
    (void)state;
    /* AR inverse roots 0.999999 and 0.5 */
    apoint pt = {2, 1, {1.499999, -0.4999995}, {0.3}, "(2,1) near unit"};
    model *m = make(&pt);
    gsl_matrix *G = gsl_matrix_alloc(3, 3), *R = NULL;
    assert_int_equal(model_arma->fim_exact(m, m->theta, G, &R),
                     SS_ERR_RANGE);
    assert_null(R);
    assert_non_null(strstr(ss_last_error()->msg, "too close to the unit "
                                                 "circle"));
    assert_int_equal(model_arma->fim_exact(m, m->theta, G, NULL),
                     SS_ERR_RANGE);
    gsl_matrix_free(G);
    model_free(m);

    m = make11(0.999999, 0.2);
    G = gsl_matrix_alloc(2, 2);
    assert_int_equal(model_arma->fim_exact(m, m->theta, G, &R), SS_OK);
    assert_null(R);
    assert_close(gsl_matrix_get(G, 0, 0), 1 / (1 - 0.999999 * 0.999999),
                 1e-9, 0);
    gsl_matrix_free(G);
    model_free(m);

    /* |z| = 1.001: ~7e4 nodes, still to 1e-12 */
    m = make11(1 / 1.001, -0.5);
    G = exact_fim(m, &R);
    assert_non_null(R);
    double ref[2][2];
    closed11(m->theta[0], m->theta[1], ref);
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++)
            assert_close(gsl_matrix_get(G, i, j), ref[i][j], 1e-12, 0);
    gsl_matrix_free(R);
    gsl_matrix_free(G);
    model_free(m);
}

/* ---- exact FIM vs Monte Carlo ----------------------------------------------------------- */

/* 50 independent stationary series of 4096 (what fim.c's mc method draws
 * per chunk); per series the average of s_t s_t^T over all its terms.
 * Within a series the s_t are martingale differences, so E[s_t s_t^T]
 * sums to the series' expected information I_n = n G + O(1) (AR(1):
 * n G + (3 ar1^2 - 1)/(1 - ar1^2)^2): the per-series average has bias
 * O(1/n), allowed as 5 max|G| / n (~1e-3 relative, a tenth of the
 * statistical tolerance). The products s_t s_t^T are correlated within a
 * series, so the i.i.d. formula would understate the error; the 50 series
 * averages are independent and their spread gives an honest standard
 * error (t with 49 degrees of freedom: P(|t| > 5) ~ 8e-6 per entry). */
static void test_fim_vs_mc(void **state)
{
    (void)state;
    tu_ctx c = {0};
    const size_t ns = 50, n = 4096;
    static const size_t which[] = {0, 3, 5, 7, 8, 9};
    for (size_t w = 0; w < NPTS(which); w++) {
        const apoint *pt = &generic[which[w]];
        tu_where(&c, "%s", pt->label);
        model *m = make(pt);
        size_t P = m->P;
        gsl_matrix *G = exact_fim(m, NULL);
        gsl_matrix *S = gsl_matrix_alloc(n, P);
        double *ell = malloc(n * sizeof *ell);
        double sum[MAXP][MAXP] = {{0}}, sq[MAXP][MAXP] = {{0}};
        for (size_t s = 0; s < ns; s++) {
            gsl_matrix *X = simulate(m, n, 7000 + 100 * w + s);
            assert_int_equal(
                model_arma->loglik_terms(m, m->theta, X, ell, S), SS_OK);
            for (size_t a = 0; a < P; a++)
                for (size_t b = a; b < P; b++) {
                    double acc = 0;
                    for (size_t t = 0; t < n; t++)
                        acc += gsl_matrix_get(S, t, a) *
                               gsl_matrix_get(S, t, b);
                    acc /= n;
                    sum[a][b] += acc;
                    sq[a][b] += acc * acc;
                }
            gsl_matrix_free(X);
        }
        double gmax = 0;
        for (size_t a = 0; a < P; a++)
            for (size_t b = 0; b < P; b++)
                gmax = fmax(gmax, fabs(gsl_matrix_get(G, a, b)));
        for (size_t a = 0; a < P; a++)
            for (size_t b = a; b < P; b++) {
                double mean = sum[a][b] / ns;
                double var = (sq[a][b] - ns * mean * mean) / (ns - 1);
                double se = sqrt(fmax(var, 0) / ns);
                double ref = gsl_matrix_get(G, a, b);
                char lab[2 * MODEL_NAME_MAX + 8];
                snprintf(lab, sizeof lab, "G[%s][%s]", MODEL_PNAME(m, a),
                         MODEL_PNAME(m, b));
                tu_z(&c, (mean - ref) / se, lab);
                TU_CHECK_CLOSE(&c, mean, ref, 0, 5 * se + 5 * gmax / n,
                               "mc %s (se %.3g)", lab, se);
            }
        free(ell);
        gsl_matrix_free(S);
        gsl_matrix_free(G);
        model_free(m);
    }
    tu_done(&c);
}

/* ---- sampler ------------------------------------------------------------------------------ */

/* (a) The start is exactly stationary: over 20000 independent series the
 * first observations have E x_1^2 = gamma0, E x_1 x_2 = gamma1,
 * E x_1 x_4 = gamma3 (a short burn-in would fail this); standard errors
 * from the sample itself. (b) Sample autocovariances of long series, known
 * mean 0, sum x_t x_{t+h} / (n - h) (unbiased at every t for an exactly
 * stationary series), lags 0..3, against gamma_h; standard errors from
 * the spread over 40 series of 4096. */
static void test_sampler(void **state)
{
    (void)state;
    tu_ctx c = {0};
    static const size_t which[] = {0, 4, 6, 7, 8, 9};
    for (size_t w = 0; w < NPTS(which); w++) {
        const apoint *pt = &generic[which[w]];
        tu_where(&c, "%s", pt->label);
        const double s2 = 1.7;
        model *m = make_sigma(pt, s2);
        long double g[4];
        autocov(pt, g, 4);
        /* (a) */
        {
            const size_t reps = 20000;
            static const size_t lag[3] = {0, 1, 3};
            double s[3] = {0}, q[3] = {0};
            gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
            gsl_rng_set(r, 31 + w);
            gsl_matrix *X = gsl_matrix_alloc(4, 1);
            for (size_t k = 0; k < reps; k++) {
                assert_int_equal(model_arma->sample(m, m->theta, r, X),
                                 SS_OK);
                for (int l = 0; l < 3; l++) {
                    double v = gsl_matrix_get(X, 0, 0) *
                               gsl_matrix_get(X, lag[l], 0);
                    s[l] += v;
                    q[l] += v * v;
                }
            }
            for (int l = 0; l < 3; l++) {
                double mean = s[l] / reps;
                double se = sqrt((q[l] / reps - mean * mean) / reps);
                double ref = s2 * (double)g[lag[l]];
                char lab[48];
                snprintf(lab, sizeof lab, "E x1 x%zu", lag[l] + 1);
                tu_z(&c, (mean - ref) / se, lab);
                TU_CHECK_CLOSE(&c, mean, ref, 0, 5 * se, "%s (se %.3g)", lab,
                               se);
            }
            gsl_matrix_free(X);
            gsl_rng_free(r);
        }
        /* (b) */
        {
            const size_t ns = 40, n = 4096;
            double s[4] = {0}, q[4] = {0};
            for (size_t k = 0; k < ns; k++) {
                gsl_matrix *X = simulate(m, n, 5000 + 100 * w + k);
                for (size_t h = 0; h < 4; h++) {
                    double acc = 0;
                    for (size_t t = 0; t + h < n; t++)
                        acc += gsl_matrix_get(X, t, 0) *
                               gsl_matrix_get(X, t + h, 0);
                    acc /= (double)(n - h);
                    s[h] += acc;
                    q[h] += acc * acc;
                }
                gsl_matrix_free(X);
            }
            for (size_t h = 0; h < 4; h++) {
                double mean = s[h] / ns;
                double se = sqrt((q[h] - ns * mean * mean) / (ns - 1) / ns);
                double ref = s2 * (double)g[h];
                char lab[48];
                snprintf(lab, sizeof lab, "gamma(%zu)", h);
                tu_z(&c, (mean - ref) / se, lab);
                TU_CHECK_CLOSE(&c, mean, ref, 0, 5 * se, "%s (se %.3g)", lab,
                               se);
            }
        }
        /* deterministic given the seed */
        gsl_matrix *A = simulate(m, 100, 3), *B = simulate(m, 100, 3);
        TU_CHECK(&c, gsl_matrix_equal(A, B), "same seed, different draws");
        gsl_matrix_free(A);
        gsl_matrix_free(B);
        model_free(m);
    }
    tu_done(&c);
}

/* ---- singular sets ------------------------------------------------------------------------ */

static void test_singular_sets(void **state)
{
    (void)state;
    model_singular out[16];
    /* (1,1): the line ar1 = -ma1, parameter-space distance */
    model *m = make11(0.5, 0.3);
    assert_int_equal(model_arma->singular(m, m->theta, out, 16), 1);
    assert_string_equal(out[0].name, "ar1 = -ma1");
    assert_non_null(strstr(out[0].effect, "white noise"));
    assert_close(out[0].distance, 0.8 / sqrt(2.0), 1e-15, 0);
    assert_int_equal(model_arma->singular(m, m->theta, out, 0), 0);
    model_free(m);
    m = make11(0.6, -0.6);
    model_arma->singular(m, m->theta, out, 16);
    assert_true(out[0].distance == 0.0);
    model_free(m);

    /* no singular sets for pure AR or MA */
    m = make(&generic[7]);
    assert_int_equal(model_arma->singular(m, m->theta, out, 16), 0);
    model_free(m);
    m = make(&generic[8]);
    assert_int_equal(model_arma->singular(m, m->theta, out, 16), 0);
    model_free(m);

    /* (2,1): AR factors (1 - 0.5 z)(1 + 0.4 z), MA (1 - 0.5 z + d z)...
     * distance = |0.5 - xi_MA| in the inverse-root plane */
    /* The reduced model: one common pair cancels near the set (and on it
     * where only one pair coincides); where the AR and MA polynomials
     * are equal (1 - z + z^2/2 both), both pairs cancel and x is white
     * noise, ARMA(0,0). */
    static const struct {
        apoint pt;
        double dist;
        size_t common;
    } cases[] = {
        {{2, 1, {0.1, 0.2}, {-0.5}, "(2,1) common root z = 2"}, 0.0, 1},
        {{2, 1, {0.1, 0.2}, {-0.45}, "(2,1) near"}, 0.05, 1},
        {{1, 2, {0.3}, {0.1, -0.12}, "(1,2) common root"}, 0.0, 1},
        {{2, 2, {0.5, 0.0}, {0.3, 0.0}, "(2,2) ar2 = ma2 = 0"}, 0.0, 1},
        {{2, 2, {0.5, 0.0}, {0.3, 0.1}, "(2,2) ar2 = 0 only"}, -1, 1},
        {{2, 2, {1.0, -0.5}, {-1.0, 0.5}, "(2,2) common complex pair"}, 0.0,
         2},
    };
    for (size_t k = 0; k < NPTS(cases); k++) {
        m = make(&cases[k].pt);
        assert_int_equal(model_arma->singular(m, m->theta, out, 16), 1);
        assert_string_equal(out[0].name, "AR root = MA root");
        assert_non_null(strstr(out[0].effect, "1/z_AR - 1/z_MA"));
        char want[32];
        snprintf(want, sizeof want, "ARMA(%zu,%zu)",
                 cases[k].pt.p - cases[k].common,
                 cases[k].pt.q - cases[k].common);
        assert_non_null(strstr(out[0].effect, want));
        if (cases[k].dist >= 0)
            assert_close(out[0].distance, cases[k].dist, 1e-13, 0);
        else
            assert_true(out[0].distance > 0.1);
        /* the FIM is singular exactly at distance 0 (the root resolves
         * sigma_min / sigma_max down to ~1e-16) */
        gsl_matrix *R = NULL;
        gsl_matrix *G = exact_fim(m, &R);
        double sv[MAXP];
        root_sv(R, sv);
        double ratio = sv[m->P - 1] / sv[0];
        if (out[0].distance == 0.0) {
            if (ratio > 1e-13)
                fail_msg("%s: sigma_min/sigma_max = %g on the set",
                         cases[k].pt.label, ratio);
        } else if (ratio < 1e-3) {
            fail_msg("%s: sigma_min/sigma_max = %g off the set",
                     cases[k].pt.label, ratio);
        }
        gsl_matrix_free(R);
        gsl_matrix_free(G);
        model_free(m);
    }
}

/* ---- lambda_min near ar1 = -ma1 --------------------------------------------------------
 *
 * With delta = ar1 + ma1 and the foot of the perpendicular on the line at
 * (-mid, mid), mid = (ma1 - ar1)/2:
 *   lambda_min = delta^2 / (2 (1 - mid^2)^3) (1 + mid^2 delta^2 /
 *                (4 (1 - mid^2)^2) + O(delta^4))          (verified here
 * against the closed form; mpmath gives the same coefficient), and with
 * ma1 in place of mid the relative error is first order,
 * -3 ma1 delta / (1 - ma1^2). The reference lambda_min = det / lambda_max
 * from the closed form has no cancellation (det has the factor delta^2
 * explicitly); the root's SVD must match it to 1e-6 relative even at
 * delta = 1e-7, where lambda_min / lambda_max ~ 1e-14. */
static void test_lambda_min_law(void **state)
{
    (void)state;
    tu_ctx c = {0};
    static const double ths[] = {0.3, -0.6, 0.8};
    static const double deltas[] = {1e-3, 1e-5, 1e-7};
    for (size_t a = 0; a < NPTS(ths); a++)
        for (size_t b = 0; b < NPTS(deltas); b++) {
            double th = ths[a], ph = -th + deltas[b];
            double d = ph + th; /* exact (Sterbenz) */
            tu_where(&c, "ma1=%g delta=%g", th, d);
            model *m = make11(ph, th);
            gsl_matrix *R = NULL;
            gsl_matrix *G = exact_fim(m, &R);
            double sv[2];
            root_sv(R, sv);
            double lmin = sv[1] * sv[1], ref[2][2];
            closed11(ph, th, ref);
            double det = d * d / ((1 - ph * ph) * (1 - th * th) *
                                  (1 + ph * th) * (1 + ph * th));
            double A = ref[0][0], B = ref[1][1], C = ref[0][1];
            double lmax = 0.5 * (A + B + sqrt((A - B) * (A - B) + 4 * C * C));
            double exact = det / lmax;
            TU_CHECK_CLOSE(&c, lmin, exact, 1e-6, 0, "lambda_min (root SVD)");
            TU_CHECK_CLOSE(&c, sv[0] * sv[0], lmax, 1e-13, 0, "lambda_max");
            double mid = 0.5 * (th - ph), w = 1 - mid * mid;
            double law = d * d / (2 * w * w * w);
            double corr = mid * mid * d * d / (4 * w * w);
            /* the next term is O((delta / w)^4) */
            TU_CHECK_CLOSE(&c, exact / law, 1 + corr,
                           1e-13 + 10 * pow(d / w, 4), 0,
                           "law with mid, to second order");
            TU_CHECK_CLOSE(&c, lmin / law, 1.0, 1e-6 + 2 * corr, 0,
                           "root lambda_min / law");
            double wt = 1 - th * th;
            double law_t = d * d / (2 * wt * wt * wt);
            TU_CHECK_CLOSE(&c, exact / law_t, 1 - 3 * th * d / wt,
                           100 * d * d + 1e-12, 0,
                           "law with ma1: first-order term");
            if (b == 2)
                print_message("      ma1 = %4.1f: lambda_min / delta^2 = "
                              "%.12g, 1/(2(1-mid^2)^3) = %.12g\n",
                              th, lmin / (d * d), 1 / (2 * w * w * w));
            gsl_matrix_free(R);
            gsl_matrix_free(G);
            model_free(m);
        }
    /* exactly on the line: rank 1 of 2, lambda_max = 2 / (1 - ma1^2) */
    for (size_t a = 0; a < NPTS(ths); a++) {
        double th = ths[a];
        tu_where(&c, "on the line ma1=%g", th);
        model *m = make11(-th, th);
        gsl_matrix *R = NULL;
        gsl_matrix *G = exact_fim(m, &R);
        double sv[2];
        root_sv(R, sv);
        TU_CHECK(&c, sv[1] <= 1e-15 * sv[0], "sigma_min / sigma_max = %g",
                 sv[1] / sv[0]);
        TU_CHECK_CLOSE(&c, sv[0] * sv[0], 2 / (1 - th * th), 1e-13, 0,
                       "lambda_max on the line");
        gsl_matrix_free(R);
        gsl_matrix_free(G);
        model_free(m);
    }
    tu_done(&c);
}

/* ---- the cone: KL near the singular line ------------------------------------------
 *
 * Per observation, between stationary Gaussian processes with spectra
 * S1, S0: KL = (1/4pi) int (S1/S0 - 1 - log(S1/S0)) domega, by the
 * trapezoid rule (periodic analytic integrand, 4096 nodes). With x ARMA(1,1)
 * (ar1, ma1, sigma2 = 1) and delta = ar1 + ma1:
 *   KL(ARMA || N(0,1) white noise)      = delta^2 / (2 (1 - ar1^2)),
 *   min_s KL(ARMA || N(0,s) white)      = log(1 + delta^2/(1 - ar1^2)) / 2,
 *   min_s KL(N(0,s) white || ARMA)      = log(1 + delta^2/(1 - ma1^2)) / 2,
 *   KL(N(0,1) white || ARMA)            = delta^2 / (2 (1 - ma1^2)).
 * (docs/theory.md section 2.3, "The cone near the line"). The formula
 * "KL to white noise = log(1 + delta^2/(1 - theta^2)) / 2" sometimes quoted
 * is the third: the reverse direction with the white-noise variance fitted. */
static double kl_rate(double ph, double th, double s, int reverse)
{
    const int N = 4096;
    long double acc = 0;
    for (int k = 0; k < N; k++) {
        double w = 2 * M_PI * k / N, cw = cos(w);
        double num = 1 + 2 * th * cw + th * th, den = 1 - 2 * ph * cw + ph * ph;
        double r = num / den / s; /* S_ARMA / S_white */
        if (reverse)
            r = 1 / r;
        acc += r - 1 - log(r);
    }
    return (double)(acc / N) / 2;
}

static void test_kl_cone(void **state)
{
    (void)state;
    static const double pts[][2] = {{0.4, -0.3}, {-0.5, 0.45}, {0.7, -0.72}};
    for (size_t k = 0; k < NPTS(pts); k++) {
        double ph = pts[k][0], th = pts[k][1], d = ph + th;
        double ea = d * d / (1 - ph * ph), em = d * d / (1 - th * th);
        assert_close(kl_rate(ph, th, 1, 0), ea / 2, 1e-12, 1e-16);
        assert_close(kl_rate(ph, th, 1 + ea, 0), 0.5 * log1p(ea), 1e-12,
                     1e-16);
        assert_close(kl_rate(ph, th, 1 / (1 + em), 1), 0.5 * log1p(em),
                     1e-12, 1e-16);
        assert_close(kl_rate(ph, th, 1, 1), em / 2, 1e-12, 1e-16);
        /* and the fitted variance is the optimum: nearby s are worse */
        assert_true(kl_rate(ph, th, (1 + ea) * 1.01, 0) >
                    kl_rate(ph, th, 1 + ea, 0));
        assert_true(kl_rate(ph, th, (1 + ea) * 0.99, 0) >
                    kl_rate(ph, th, 1 + ea, 0));
    }
}

/* ---- describe and coordinates ------------------------------------------------------------- */

static void test_describe(void **state)
{
    (void)state;
    ss_membuf buf = {0};
    ss_sink k = ss_sink_mem(&buf);
    model *m = make11(0.5, 0.3);
    model_arma->describe(m, m->theta, &k);
    assert_non_null(buf.buf);
    assert_non_null(strstr(buf.buf, "AR roots of 1 - ar1 z - ... - arp z^p: "
                                    "z = 2 (|z| = 2); stationary"));
    assert_non_null(strstr(buf.buf, "MA roots of 1 + ma1 z + ... + maq z^q: "
                                    "z = -3.33333 (|z| = 3.33333); "
                                    "invertible"));
    assert_non_null(strstr(buf.buf, "closest AR/MA root pair: z_AR = 2, "
                                    "z_MA = -3.33333: |1/z_AR - 1/z_MA| = "
                                    "0.8 (|z_AR - z_MA| = 5.33333)"));
    model_free(m);

    ss_membuf_clear(&buf);
    apoint pt = {2, 2, {1.0, -0.5}, {0.3, 0.0}, ""};
    m = make(&pt);
    model_arma->describe(m, m->theta, &k);
    assert_non_null(strstr(buf.buf, "z = 1+1i (|z| = 1.41421), z = 1-1i "
                                    "(|z| = 1.41421); stationary"));
    assert_non_null(strstr(buf.buf, "1 at infinity (effective order 1)"));
    model_free(m);

    ss_membuf_clear(&buf);
    m = make(&generic[7]);
    model_arma->describe(m, m->theta, &k);
    assert_non_null(strstr(buf.buf, "MA part: none"));
    assert_null(strstr(buf.buf, "closest"));
    model_free(m);

    ss_membuf_clear(&buf);
    m = make11(0.6, -0.6);
    model_arma->describe(m, m->theta, &k);
    assert_non_null(strstr(buf.buf, "a common factor (singular)"));
    model_free(m);
    ss_membuf_free(&buf);
}

/* ---- extreme coefficients ------------------------------------------------------
 *
 * A stationary AR(p) polynomial 1 - ar1 z - ... - arp z^p = prod (1 - xi z)
 * with |xi| < 1 has |ar_k| = |e_k(xi)| < binomial(p, k) (likewise MA).
 * Coefficients at or beyond that are refused before the root finder runs:
 * GSL's companion-matrix solver spun forever on ar=[1e308,1e308,1e308]
 * (any order >= 3 with a coefficient near DBL_MAX). Every entry point that
 * finds roots (check, set, fim_exact, describe, singular) returns. */
static void test_coef_bound(void **state)
{
    (void)state;
    static const apoint huge[] = {
        {3, 0, {1e308, 1e308, 1e308}, {0}, "AR(3) 1e308"},
        {0, 3, {0}, {1e308, 1e308, 1e308}, "MA(3) 1e308"},
        {8, 8, {0.1, 0, 0, 0, 0, 0, 0, 1.7e308}, {0.1}, "(8,8) ar8 huge"},
        {3, 1, {0.5, 3.0, 0.1}, {0.2}, "AR(3) ar2 = 3 = binomial(3,2)"},
    };
    static const char *const msg[] = {
        "not stationary: |ar1| = 1e+308 is not below 3 = binomial(3,1)",
        "not invertible: |ma1| = 1e+308 is not below 3 = binomial(3,1)",
        "not stationary: |ar8| = 1.7e+308 is not below 1 = binomial(8,8)",
        "not stationary: |ar2| = 3 is not below 3 = binomial(3,2)",
    };
    for (size_t k = 0; k < NPTS(huge); k++)
        expect_refusal(&huge[k], msg[k]);

    /* the same through set and the numerical hooks, on a valid model */
    apoint ok = {3, 1, {0.5, 0.1, 0.05}, {0.2}, "AR(3)"};
    model *m = make(&ok);
    static const double big[] = {1e308, 1e308, 1e308};
    model_arg a = {.key = "ar", .num = big, .n = 3, .is_vector = 1};
    assert_int_equal(model_set_params(m, &a, 1, -1), SS_ERR_RANGE);
    assert_true(m->theta[0] == 0.5 && m->theta[2] == 0.05);
    double th[4] = {1e308, 1e308, 1e308, 0.2};
    gsl_matrix *G = gsl_matrix_alloc(4, 4), *R = NULL;
    assert_int_equal(model_arma->fim_exact(m, th, G, &R), SS_ERR_RANGE);
    assert_null(R);
    model_singular out[16];
    assert_int_equal(model_arma->singular(m, th, out, 16), 0);
    ss_membuf buf = {0};
    ss_sink k = ss_sink_mem(&buf);
    model_arma->describe(m, th, &k);
    assert_non_null(strstr(buf.buf, "binomial(3,1)"));
    ss_membuf_free(&buf);
    gsl_matrix_free(G);
    model_free(m);

    /* just inside the bound: (1 - 0.999 z)^3 has ar1 = 2.997 < 3 and is
     * stationary (all roots at 1/0.999) */
    apoint in = {3, 0, {3 * 0.999, -3 * 0.999 * 0.999, 0.999 * 0.999 * 0.999},
                 {0}, "(1 - 0.999 z)^3"};
    m = make(&in);
    model_free(m);
}

/* show on subnormal coefficients: AR(1) ar1 = 1e-320 has its root at
 * z = 1/ar1 = 1.00001e320 (ar1 is stored as 9.99989e-321), beyond
 * DBL_MAX; it is printed, not NaN. ARMA(8,8) with every coefficient 0 is
 * white noise: all eight pairs of roots at infinity cancel, ARMA(0,0). */
static void test_extreme_describe(void **state)
{
    (void)state;
    ss_membuf buf = {0};
    ss_sink k = ss_sink_mem(&buf);
    model *m = make11(1e-320, 5e-324);
    model_arma->describe(m, m->theta, &k);
    assert_null(strstr(buf.buf, "nan"));
    assert_non_null(strstr(buf.buf, "z = 1.00001e+320 (|z| = 1.00001e+320)"));
    /* ma1 = 5e-324 (the smallest subnormal, 4.94066e-324): z = -1/ma1 */
    assert_non_null(strstr(buf.buf, "z = -2.02402e+323 (|z| = 2.02402e+323)"));
    assert_non_null(strstr(buf.buf, "(|z_AR - z_MA| = 2.02502e+323)"));
    model_free(m);

    ss_membuf_clear(&buf);
    apoint c = {2, 2, {0.5, 1e-320}, {0.2, 1e-310}, "(2,2) subnormal"};
    m = make(&c);
    model_arma->describe(m, m->theta, &k);
    assert_null(strstr(buf.buf, "nan"));
    /* roots of z^2 - 0.5 z - 1e-320: 0.5 and -2e-320 (z = -5e319);
     * of z^2 + 0.2 z + 1e-310: -0.2 and -5e-310 (z = -2e309) */
    assert_non_null(strstr(buf.buf, "z = -5.00006e+319"));
    assert_non_null(strstr(buf.buf, "z = -2e+309"));
    model_free(m);

    apoint zero = {8, 8, {0}, {0}, "(8,8) all zero"};
    m = make(&zero);
    model_singular out[16];
    assert_int_equal(model_arma->singular(m, m->theta, out, 16), 1);
    assert_true(out[0].distance == 0.0);
    assert_non_null(strstr(out[0].effect, "ARMA(0,0), white noise"));
    model_free(m);
    /* one pair at infinity only: ARMA(7,7) */
    apoint one = {8, 8, {0.5}, {0.3}, "(8,8) ar1, ma1 only"};
    m = make(&one);
    assert_int_equal(model_arma->singular(m, m->theta, out, 16), 1);
    assert_non_null(strstr(out[0].effect, "ARMA(1,1)"));
    model_free(m);
    ss_membuf_free(&buf);
}

static void test_coords(void **state)
{
    (void)state;
    char names[MAXP][MODEL_NAME_MAX];
    model *m = make11(0.5, -0.45);
    assert_int_equal(model_arma->coord_names(m, names), 2);
    assert_string_equal(names[0], "delta");
    assert_string_equal(names[1], "m");
    double cc[2], th[2];
    assert_int_equal(model_arma->to_coords(m, m->theta, cc), SS_OK);
    assert_close(cc[0], 0.05, 1e-15, 0);
    assert_close(cc[1], -0.475, 1e-15, 0);
    assert_int_equal(model_arma->from_coords(m, cc, th), SS_OK);
    assert_close(th[0], 0.5, 1e-15, 0);
    assert_close(th[1], -0.45, 1e-15, 0);
    model_free(m);
    m = make(&generic[3]);
    assert_int_equal(model_arma->coord_names(m, names), 0);
    double c3[3];
    assert_int_equal(model_arma->to_coords(m, m->theta, c3), SS_ERR_USAGE);
    model_free(m);
}

/* ---- timing by hand -------------------------------------------------------------------------- */

static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static void test_bench(void **state)
{
    (void)state;
    if (!getenv("ARMA_BENCH"))
        skip();
    model *m = make11(0.5, 0.3);
    gsl_matrix *G = gsl_matrix_alloc(2, 2), *R = NULL;
    const int reps = 200000;
    volatile double sink = 0;
    double t0 = now_us();
    for (int k = 0; k < reps; k++) {
        m->theta[0] = -0.99 + 1.98 * (k % 200) / 199.0;
        model_arma->fim_exact(m, m->theta, G, NULL);
        sink += gsl_matrix_get(G, 0, 1);
    }
    double t_closed = (now_us() - t0) / reps;
    m->theta[0] = 0.5;
    t0 = now_us();
    for (int k = 0; k < reps; k++)
        model_validate(m, m->theta);
    double t_val = (now_us() - t0) / reps;
    t0 = now_us();
    for (int k = 0; k < 20000; k++) {
        model_arma->fim_exact(m, m->theta, G, &R);
        gsl_matrix_free(R);
    }
    double t_root = (now_us() - t0) / 20000;
    print_message("(1,1): fim_exact %.3f us (closed form), %.3f us with the "
                  "Whittle root; validate %.3f us\n",
                  t_closed, t_root, t_val);
    model_free(m);
    gsl_matrix_free(G);
    apoint pt = {2, 1, {0.5, -0.2}, {0.4}, ""};
    m = make(&pt);
    G = gsl_matrix_alloc(3, 3);
    t0 = now_us();
    for (int k = 0; k < 20000; k++)
        model_arma->fim_exact(m, m->theta, G, NULL);
    print_message("(2,1): fim_exact %.3f us\n", (now_us() - t0) / 20000);
    gsl_matrix *X = simulate(m, 4096, 1), *S = gsl_matrix_alloc(4096, 3);
    double *ell = malloc(4096 * sizeof *ell);
    t0 = now_us();
    for (int k = 0; k < 200; k++)
        model_arma->loglik_terms(m, m->theta, X, ell, S);
    print_message("(2,1): loglik_terms with scores, n = 4096: %.1f us\n",
                  (now_us() - t0) / 200);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    t0 = now_us();
    for (int k = 0; k < 200; k++)
        model_arma->sample(m, m->theta, r, X);
    print_message("(2,1): sample n = 4096: %.1f us\n",
                  (now_us() - t0) / 200);
    gsl_rng_free(r);
    free(ell);
    gsl_matrix_free(S);
    gsl_matrix_free(X);
    gsl_matrix_free(G);
    model_free(m);
    (void)sink;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_check),
        cmocka_unit_test(test_loglik_mvn),
        cmocka_unit_test(test_score_fd),
        cmocka_unit_test(test_score_mean_zero),
        cmocka_unit_test(test_fim_closed_form),
        cmocka_unit_test(test_fim_autocov),
        cmocka_unit_test(test_fim_near_unit_circle),
        cmocka_unit_test(test_fim_vs_mc),
        cmocka_unit_test(test_sampler),
        cmocka_unit_test(test_singular_sets),
        cmocka_unit_test(test_lambda_min_law),
        cmocka_unit_test(test_kl_cone),
        cmocka_unit_test(test_describe),
        cmocka_unit_test(test_coords),
        cmocka_unit_test(test_coef_bound),
        cmocka_unit_test(test_extreme_describe),
        cmocka_unit_test(test_bench),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

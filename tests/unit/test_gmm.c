/* Unit tests of the gmm family: scores against finite differences, the exact
 * FIM against an independent adaptive quadrature, Monte Carlo and closed
 * forms, the root factor and its tiny eigenvalues, the sampler's moments,
 * and behaviour on the singular sets v = 0, v = 1, w1 = w2.
 *
 * Timing by hand: GMM_BENCH=1 ./test_gmm prints the time per exact FIM
 * (meaningful only in a build without sanitizers). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/status.h"
#include "model/model.h"
#include "testutil.h"

#include <float.h>
#include <gsl/gsl_blas.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { I_V, I_W1, I_W2, NP };

/* ---- helpers ------------------------------------------------------------- */

static model *make(double s, double v, double w1, double w2)
{
    double val[4] = {s, v, w1, w2};
    model_arg args[4] = {
        {.key = "s", .num = &val[0], .n = 1},
        {.key = "v", .num = &val[1], .n = 1},
        {.key = "w1", .num = &val[2], .n = 1},
        {.key = "w2", .num = &val[3], .n = 1},
    };
    model *m = NULL;
    ss_status st = model_alloc(model_gmm, args, 4, &m);
    if (st != SS_OK)
        print_error("model_alloc: %s\n", ss_last_error()->msg);
    assert_int_equal(st, SS_OK);
    assert_non_null(m);
    return m;
}

/* The exact FIM (and root when wanted); fails the test on error. */
static gsl_matrix *exact_fim(const model *m, gsl_matrix **root)
{
    gsl_matrix *G = gsl_matrix_alloc(NP, NP);
    ss_status st = model_gmm->fim_exact(m, m->theta, G, root);
    if (st != SS_OK)
        print_error("fim_exact: %s\n", ss_last_error()->msg);
    assert_int_equal(st, SS_OK);
    return G;
}

typedef struct {
    double s, v, w1, w2;
    const char *label;
} point;

/* Generic points, points near and on the singular sets. */
static const point generic[] = {
    {1.0, 0.385, -0.73, 1.21, "generic"},
    {1.0, 0.3, 0.0, 1.5, "example"},
    {0.7, 0.385, -0.73, 1.21, "generic s=0.7"},
};
static const point near_sing[] = {
    {1.0, 1e-6, -0.73, -0.73 + 1e-4, "near v=0 and w1=w2"},
    {1.0, 0.385, -0.73, -0.73 + 1e-4, "near w1=w2"},
    {0.7, 1e-6, -0.73, 1.21, "near v=0"},
    {1.0, 1.0 - 1e-6, -0.73, 1.21, "near v=1"},
};
static const point on_sing[] = {
    {1.0, 0.0, -0.73, 1.21, "v=0"},
    {0.7, 1.0, -0.73, 1.21, "v=1"},
    {1.0, 0.385, -0.73, -0.73, "w1=w2"},
    {1.0, 0.0, -0.73, -0.73, "v=0 and w1=w2"},
};
#define NPTS(a) (sizeof(a) / sizeof((a)[0]))

/* ---- layout and metadata ------------------------------------------------- */

static void test_layout(void **state)
{
    (void)state;
    assert_string_equal(model_gmm->name, "gmm");
    assert_non_null(model_gmm->summary);
    assert_non_null(model_gmm->help);
    assert_string_equal(model_gmm->param_summary, "v=0.5 w1=0 w2=1");
    assert_int_equal(model_gmm->nopts, 1);
    assert_string_equal(model_gmm->opts[0].name, "s");
    /* check: the weights' sum and a free s (gmm_k.c); the classic
     * layout's box bounds suffice, so it accepts every classic point */
    assert_non_null(model_gmm->check);
    assert_null(model_gmm->release);
    assert_null(model_gmm->copy_state);

    model *m = NULL;
    assert_int_equal(model_alloc(model_gmm, NULL, 0, &m), SS_OK);
    assert_int_equal(m->P, 3);
    assert_int_equal(m->ngroups, 0);
    assert_null(m->state);
    assert_string_equal(MODEL_PNAME(m, I_V), "v");
    assert_string_equal(MODEL_PNAME(m, I_W1), "w1");
    assert_string_equal(MODEL_PNAME(m, I_W2), "w2");
    assert_true(m->theta[I_V] == 0.5 && m->theta[I_W1] == 0.0 &&
                m->theta[I_W2] == 1.0);
    assert_true(model_param_lo(m, I_V) == 0.0 && model_param_hi(m, I_V) == 1.0);
    assert_true(isinf(model_param_lo(m, I_W1)) && isinf(model_param_hi(m, I_W2)));
    assert_true(m->opt[0] == 1.0);
    assert_int_equal(model_gmm->data_cols(m), 1);
    char buf[16];
    assert_string_equal(model_gmm->data_colname(m, 0, buf, sizeof buf), "x");
    model_free(m);

    /* s is a structural option with bounds; v is bounded. */
    double bad = -1.0;
    model_arg a = {.key = "s", .num = &bad, .n = 1};
    assert_int_equal(model_alloc(model_gmm, &a, 1, &m), SS_ERR_RANGE);
    double v = 1.5;
    model_arg b = {.key = "v", .num = &v, .n = 1};
    assert_int_equal(model_alloc(model_gmm, &b, 1, &m), SS_ERR_RANGE);
}

/* The nearest singular set at the model's point (the array is the
 * interface's to allocate). */
static int nearest_index(const model *m, size_t *cnt)
{
    model_singular *all = NULL;
    int best = model_nearest_singular(m, &all, cnt);
    free(all);
    return best;
}

static void test_singular_sets(void **state)
{
    (void)state;
    model *m = make(1.0, 0.385, -0.73, 1.21);
    model_singular out[16];
    size_t n = model_gmm->singular(m, m->theta, out, 16);
    assert_int_equal(n, 3);
    assert_string_equal(out[0].name, "v = 0");
    assert_string_equal(out[1].name, "v = 1");
    assert_string_equal(out[2].name, "w1 = w2");
    assert_non_null(strstr(out[0].effect, "w2 unidentifiable"));
    assert_non_null(strstr(out[1].effect, "w1 unidentifiable"));
    assert_non_null(strstr(out[2].effect, "v unidentifiable"));
    assert_close_msg(out[0].distance, 0.385, 1e-15, 0, "dist v=0");
    assert_close_msg(out[1].distance, 0.615, 1e-15, 0, "dist v=1");
    assert_close_msg(out[2].distance, 1.94 / sqrt(2.0), 1e-15, 0, "dist w1=w2");
    /* a truncated request fills only what fits */
    assert_int_equal(model_gmm->singular(m, m->theta, out, 2), 2);
    size_t cnt;
    assert_int_equal(nearest_index(m, &cnt), 0);
    model_free(m);

    m = make(1.0, 0.9, 0.2, 0.2);
    n = model_gmm->singular(m, m->theta, out, 16);
    assert_int_equal(n, 3);
    assert_true(out[2].distance == 0.0);
    assert_int_equal(nearest_index(m, &cnt), 2);
    model_free(m);
}

/* ---- scores -------------------------------------------------------------- */

static double ell_at(const model *m, const double *theta, double x)
{
    gsl_matrix *d = gsl_matrix_alloc(1, 1);
    gsl_matrix_set(d, 0, 0, x);
    double ell;
    assert_int_equal(model_gmm->loglik_terms(m, theta, d, &ell, NULL),
                     SS_OK);
    gsl_matrix_free(d);
    return ell;
}

/* Fourth-order finite difference of ell in parameter k with step h: central
 * when [t - 2h, t + 2h] stays in the parameter's range, one-sided
 * otherwise (v at 0 or 1). Sets *coef to the sum of |weights| * h, which
 * scales the rounding floor. */
static double fd_deriv(const model *m, double x, int k, double h,
                       double *coef)
{
    double th[NP];
    memcpy(th, m->theta, sizeof th);
    double t0 = th[k], lo = model_param_lo(m, k), hi = model_param_hi(m, k);
    double f[5];
    if (t0 - 2 * h >= lo && t0 + 2 * h <= hi) {
        for (int j = -2; j <= 2; j++) {
            th[k] = t0 + j * h;
            f[j + 2] = ell_at(m, th, x);
        }
        *coef = 18.0 / 12.0;
        return (f[0] - 8 * f[1] + 8 * f[3] - f[4]) / (12 * h);
    }
    double dir = t0 - 2 * h < lo ? 1.0 : -1.0;
    for (int j = 0; j <= 4; j++) {
        th[k] = t0 + dir * j * h;
        f[j] = ell_at(m, th, x);
    }
    *coef = 128.0 / 12.0;
    return dir * (-25 * f[0] + 48 * f[1] - 36 * f[2] + 16 * f[3] - 3 * f[4]) /
           (12 * h);
}

static void check_scores_fd(const point *p)
{
    static const double xs[] = {-4.1, -2.3, -0.9, -0.2, 0.37,
                                1.05, 1.9,  3.3,  5.2};
    model *m = make(p->s, p->v, p->w1, p->w2);
    size_t n = NPTS(xs);
    gsl_matrix *d = gsl_matrix_alloc(n, 1), *sc = gsl_matrix_alloc(n, NP);
    double ell[NPTS(xs)];
    for (size_t i = 0; i < n; i++)
        gsl_matrix_set(d, i, 0, xs[i] * p->s + p->w1);
    assert_int_equal(model_gmm->loglik_terms(m, m->theta, d, ell, sc),
                     SS_OK);
    for (size_t i = 0; i < n; i++) {
        double x = gsl_matrix_get(d, i, 0);
        assert_finite(ell[i], "ell");
        for (int k = 0; k < NP; k++) {
            double an = gsl_matrix_get(sc, i, k);
            assert_finite(an, "score");
            /* Step: 1e-3 of the parameter's scale, divided by the local
             * rate of change so that truncation (~ (h * score)^4) stays
             * ~1e-12 relative. Rounding of ell (~eps |ell|) then bounds
             * the FD from below: floor = 100 eps (1 + |ell|) coef / h. */
            double scale = k == I_V ? 1.0 : p->s;
            double h = 1e-3 * scale / (1.0 + scale * fabs(an));
            double coef;
            double fd = fd_deriv(m, x, k, h, &coef);
            double floor = 100 * DBL_EPSILON * (1 + fabs(ell[i])) * coef / h;
            char what[96];
            snprintf(what, sizeof what, "%s: d ell/d %s at x=%g", p->label,
                     MODEL_PNAME(m, k), x);
            assert_close_msg(an, fd, 1e-6, floor, what);
        }
    }
    gsl_matrix_free(d);
    gsl_matrix_free(sc);
    model_free(m);
}

static void test_score_fd(void **state)
{
    (void)state;
    for (size_t i = 0; i < NPTS(generic); i++)
        check_scores_fd(&generic[i]);
    for (size_t i = 0; i < NPTS(near_sing); i++)
        check_scores_fd(&near_sing[i]);
    for (size_t i = 0; i < NPTS(on_sing); i++)
        check_scores_fd(&on_sing[i]);
}

/* The v-score (phi2 - phi1)/p near w1 = w2 against the naive formula in
 * long double (64-bit mantissa): with u = 1e-6 the naive long double loses
 * ~6 of its 19 digits, still ~1e-13; the naive double would be ~1e-10. */
static void test_score_v_no_cancellation(void **state)
{
    (void)state;
    const double v = 0.385, w1 = -0.73, u = 1e-6, w2 = w1 + u;
    model *m = make(1.0, v, w1, w2);
    double du = (double)((long double)w2 - (long double)w1); /* exact u */
    static const double xs[] = {-3.7, -1.1, 0.4, 2.9};
    for (size_t i = 0; i < NPTS(xs); i++) {
        double x = xs[i];
        gsl_matrix *d = gsl_matrix_alloc(1, 1), *sc = gsl_matrix_alloc(1, 3);
        gsl_matrix_set(d, 0, 0, x);
        double ell;
        model_gmm->loglik_terms(m, m->theta, d, &ell, sc);
        long double z1 = ((long double)x - w1), z2 = ((long double)x - w2);
        long double p1 = expl(-0.5L * z1 * z1), p2 = expl(-0.5L * z2 * z2);
        long double ref = (p2 - p1) / ((1 - (long double)v) * p1 + v * p2);
        assert_close_msg(gsl_matrix_get(sc, 0, I_V), (double)ref, 1e-11, 0,
                         "d ell/d v near w1 = w2");
        /* leading order u (x - w) as a sanity check of the scale */
        assert_close_msg(gsl_matrix_get(sc, 0, I_V), du * (x - w1), 1e-5, 0,
                         "d ell/d v ~ u (x - w)");
        gsl_matrix_free(d);
        gsl_matrix_free(sc);
    }
    model_free(m);
}

/* Extreme data and the boundary weights: never NaN, scores bounded by
 * dv in [-1/(1-v), 1/v]. */
static void test_extremes_no_nan(void **state)
{
    (void)state;
    static const double xs[] = {0.0,     1e3,    -1e3,     1e10,  -1e10,
                                1e200,   -1e200, 1e308,    -1e308, DBL_MAX,
                                -DBL_MAX, 4.5e-310, -0.73};
    static const double vs[] = {0.0, 1e-300, 1e-6, 0.385, 1 - 1e-12, 1.0};
    static const double ss[] = {1e-3, 0.7, 1e3};
    static const double us[] = {0.0, 1e-9, 1.94, -50.0};
    size_t n = NPTS(xs);
    gsl_matrix *d = gsl_matrix_alloc(n, 1), *sc = gsl_matrix_alloc(n, NP);
    double ell[NPTS(xs)];
    for (size_t i = 0; i < n; i++)
        gsl_matrix_set(d, i, 0, xs[i]);
    for (size_t a = 0; a < NPTS(vs); a++)
        for (size_t b = 0; b < NPTS(ss); b++)
            for (size_t c = 0; c < NPTS(us); c++) {
                double v = vs[a], s = ss[b];
                model *m = make(s, v, -0.73, -0.73 + us[c] * s);
                assert_int_equal(
                    model_gmm->loglik_terms(m, m->theta, d, ell, sc), SS_OK);
                for (size_t i = 0; i < n; i++) {
                    assert_false(isnan(ell[i]));
                    assert_true(ell[i] < INFINITY);
                    for (int k = 0; k < NP; k++)
                        assert_false(isnan(gsl_matrix_get(sc, i, k)));
                    double dv = gsl_matrix_get(sc, i, I_V);
                    if (v > 0)
                        assert_true(dv <= 1 / v * (1 + 1e-15));
                    if (v < 1)
                        assert_true(dv >= -1 / (1 - v) * (1 + 1e-15));
                }
                /* x within 10 s of the means and |u| <= 2 s: everything
                 * finite, even at v = 0 or 1 (elsewhere the v-score there,
                 * phi2/phi1 - 1, may exceed the double range for real) */
                for (size_t i = 0; i < n; i++)
                    if (fabs(xs[i] + 0.73) <= 10 * s && fabs(us[c]) <= 2) {
                        assert_finite(ell[i], "ell");
                        for (int k = 0; k < NP; k++)
                            assert_finite(gsl_matrix_get(sc, i, k), "score");
                    }
                model_free(m);
            }
    gsl_matrix_free(d);
    gsl_matrix_free(sc);
}

/* Scores without the log-likelihood terms (ell = NULL, the Monte-Carlo
 * FIM's call: in blocks, the exponentials in their own loops) are the
 * scores of the full route bit for bit: at the extreme data and boundary
 * weights of test_extremes_no_nan, far from the origin (|w| >> s), on a
 * strided column, and on sampled data over several blocks (1000 rows:
 * three full blocks of 256 and a partial one). */
static void scores_only_same(const model *m, const gsl_matrix *d,
                             const char *what)
{
    size_t n = d->size1;
    gsl_matrix *sa = gsl_matrix_alloc(n, NP), *sb = gsl_matrix_alloc(n, NP);
    double *ell = malloc(n * sizeof *ell);
    gsl_matrix_set_all(sb, 42.0);
    assert_int_equal(model_gmm->loglik_terms(m, m->theta, d, ell, sa), SS_OK);
    assert_int_equal(model_gmm->loglik_terms(m, m->theta, d, NULL, sb),
                     SS_OK);
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < NP; k++) {
            double a = gsl_matrix_get(sa, i, k), b = gsl_matrix_get(sb, i, k);
            if (memcmp(&a, &b, sizeof a) != 0)
                fail_msg("%s: x = %g, score %d: %a with ell, %a without",
                         what, gsl_matrix_get(d, i, 0), k, a, b);
        }
    free(ell);
    gsl_matrix_free(sa);
    gsl_matrix_free(sb);
}

static void test_scores_without_ell(void **state)
{
    (void)state;
    static const double xs[] = {0.0,     1e3,    -1e3,     1e10,  -1e10,
                                1e200,   -1e200, 1e308,    -1e308, DBL_MAX,
                                -DBL_MAX, 4.5e-310, -0.73, -0.73 + 0.97,
                                -0.7299999, 3.9, -5.2};
    static const double vs[] = {0.0, 4.9e-324, 1e-300, 1e-6, 0.385,
                                0.5, 1 - 1e-12, 1.0};
    static const double ss[] = {1e-3, 0.7, 1.0, 1e3};
    static const double us[] = {0.0, 1e-9, 1.94, -50.0, 700.0};
    size_t n = NPTS(xs);
    gsl_matrix *d = gsl_matrix_alloc(n, 1);
    for (size_t i = 0; i < n; i++)
        gsl_matrix_set(d, i, 0, xs[i]);
    for (size_t a = 0; a < NPTS(vs); a++)
        for (size_t b = 0; b < NPTS(ss); b++)
            for (size_t c = 0; c < NPTS(us); c++) {
                model *m = make(ss[b], vs[a], -0.73, -0.73 + us[c] * ss[b]);
                scores_only_same(m, d, "extremes");
                model_free(m);
            }
    gsl_matrix_free(d);

    /* sampled data: generic, near and on the singular sets, |w| >> s */
    const point pts[] = {generic[0], generic[2], near_sing[0], near_sing[1],
                         near_sing[3], on_sing[0], on_sing[1], on_sing[2],
                         {1.0, 0.3, 1e6, 1e6 + 2.5, "|w| >> s"},
                         {0.7, 0.6, -3e5, -3e5 - 40.0, "far apart"}};
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 2024);
    gsl_matrix *x = gsl_matrix_alloc(1000, 2);
    for (size_t i = 0; i < NPTS(pts); i++) {
        model *m = make(pts[i].s, pts[i].v, pts[i].w1, pts[i].w2);
        gsl_matrix_view col = gsl_matrix_submatrix(x, 0, 1, 1000, 1);
        assert_int_equal(model_gmm->sample(m, m->theta, r, &col.matrix),
                         SS_OK);
        scores_only_same(m, &col.matrix, pts[i].label);
        model_free(m);
    }
    gsl_matrix_free(x);
    gsl_rng_free(r);
}

static void test_loglik_value(void **state)
{
    (void)state;
    /* direct formula at a generic point, and the boundary weights */
    static const point pts[] = {{0.7, 0.385, -0.73, 1.21, ""},
                                {1.0, 0.0, -0.73, 1.21, ""},
                                {1.0, 1.0, -0.73, 1.21, ""}};
    for (size_t j = 0; j < NPTS(pts); j++) {
        const point *p = &pts[j];
        model *m = make(p->s, p->v, p->w1, p->w2);
        for (double x = -3.0; x <= 4.0; x += 0.7) {
            double ref = log((1 - p->v) * gsl_ran_gaussian_pdf(x - p->w1, p->s) +
                             p->v * gsl_ran_gaussian_pdf(x - p->w2, p->s));
            assert_close_msg(ell_at(m, m->theta, x), ref, 1e-14, 1e-15, "ell");
        }
        model_free(m);
    }
}

/* ---- exact FIM against adaptive quadrature ------------------------------- */

typedef struct {
    double s, v, w1, w2;
    int i, j;
} qagi_ctx;

/* Naive integrand s_i s_j p, straight from the score formulas of
 * docs/theory.md section 2.1. */
static double naive_integrand(double x, void *vp)
{
    const qagi_ctx *c = vp;
    double f1 = gsl_ran_gaussian_pdf(x - c->w1, c->s);
    double f2 = gsl_ran_gaussian_pdf(x - c->w2, c->s);
    double p = (1 - c->v) * f1 + c->v * f2;
    if (p == 0.0)
        return 0.0; /* far tails, where the integrand has long vanished */
    double sc[3] = {(f2 - f1) / p,
                    (1 - c->v) * (x - c->w1) * f1 / (c->s * c->s * p),
                    c->v * (x - c->w2) * f2 / (c->s * c->s * p)};
    return sc[c->i] * sc[c->j] * p;
}

static double qagi_entry(const point *p, int i, int j)
{
    qagi_ctx c = {p->s, p->v, p->w1, p->w2, i, j};
    gsl_function f = {naive_integrand, &c};
    gsl_integration_workspace *w = gsl_integration_workspace_alloc(2000);
    double r, err;
    gsl_set_error_handler_off();
    gsl_integration_qagi(&f, 0.0, 1e-12, 2000, w, &r, &err);
    gsl_integration_workspace_free(w);
    /* qagi's own error estimate must be well below the tolerance used */
    assert_true(err <= 1e-11 * fabs(r) + 1e-300 || r == 0.0);
    return r;
}

static void check_fim_qagi(const point *p, double rtol)
{
    model *m = make(p->s, p->v, p->w1, p->w2);
    gsl_matrix *G = exact_fim(m, NULL);
    double Q[NP][NP];
    for (int i = 0; i < NP; i++)
        for (int j = 0; j <= i; j++)
            Q[i][j] = Q[j][i] = qagi_entry(p, i, j);
    for (int i = 0; i < NP; i++)
        for (int j = 0; j < NP; j++) {
            /* an entry tiny next to sqrt(G_ii G_jj) has no relative
             * accuracy in either route; 1e-12 of that scale is absolute. */
            double atol = 1e-12 * sqrt(Q[i][i] * Q[j][j]);
            char what[96];
            snprintf(what, sizeof what, "%s: G[%d][%d] vs qagi", p->label, i,
                     j);
            assert_close_msg(gsl_matrix_get(G, i, j), Q[i][j], rtol, atol,
                             what);
        }
    gsl_matrix_free(G);
    model_free(m);
}

static void test_fim_vs_qagi(void **state)
{
    (void)state;
    for (size_t i = 0; i < NPTS(generic); i++)
        check_fim_qagi(&generic[i], 1e-9);
    /* Near the sets the naive (phi2 - phi1)/p cancels: relative error
     * ~eps / |d| ~ 1e-12 with u = 1e-4, still far below 1e-9. */
    for (size_t i = 0; i < NPTS(near_sing); i++)
        check_fim_qagi(&near_sing[i], 1e-9);
    for (size_t i = 0; i < NPTS(on_sing); i++)
        check_fim_qagi(&on_sing[i], 1e-9);
}

/* ---- exact FIM against Monte Carlo --------------------------------------- */

static void check_fim_mc(const point *p, size_t n, unsigned long seed)
{
    model *m = make(p->s, p->v, p->w1, p->w2);
    gsl_matrix *G = exact_fim(m, NULL);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    gsl_matrix *x = gsl_matrix_alloc(n, 1), *sc = gsl_matrix_alloc(n, NP);
    double *ell = malloc(n * sizeof *ell);
    assert_int_equal(model_gmm->sample(m, m->theta, r, x), SS_OK);
    assert_int_equal(model_gmm->loglik_terms(m, m->theta, x, ell, sc), SS_OK);
    for (int i = 0; i < NP; i++)
        for (int j = 0; j < NP; j++) {
            double sum = 0, sum2 = 0;
            for (size_t t = 0; t < n; t++) {
                double q = gsl_matrix_get(sc, t, i) * gsl_matrix_get(sc, t, j);
                sum += q;
                sum2 += q * q;
            }
            double mean = sum / n;
            double se = sqrt(fmax(sum2 / n - mean * mean, 0.0) / (n - 1));
            char what[96];
            snprintf(what, sizeof what, "%s: G[%d][%d] vs mc (se %.3g)",
                     p->label, i, j, se);
            /* 5 standard errors; an entry that is identically zero has
             * se = 0 and must then match to rounding. */
            assert_close_msg(gsl_matrix_get(G, i, j), mean, 0,
                             5 * se + 1e-15 * sqrt(gsl_matrix_get(G, i, i) *
                                                   gsl_matrix_get(G, j, j)),
                             what);
        }
    free(ell);
    gsl_matrix_free(x);
    gsl_matrix_free(sc);
    gsl_rng_free(r);
    gsl_matrix_free(G);
    model_free(m);
}

static void test_fim_vs_mc(void **state)
{
    (void)state;
    const size_t n = 200000;
    unsigned long seed = 20240611;
    for (size_t i = 0; i < NPTS(generic); i++)
        check_fim_mc(&generic[i], n, seed++);
    /* Near and at v = 0 (or 1) the v-score is phi2/phi1 - 1 up to the cap
     * 1/v, and E[s_v^4] ~ E_phi1[(phi2/phi1)^4] = e^{6 u^2 / s^2}: with
     * u/s ~ 2.8 (the other test points) s_v^2 is so heavy-tailed that 2e5
     * draws neither estimate G[v][v] (they give ~250 for the true 1640.8)
     * nor its standard error. Monte Carlo is a meaningful check only for
     * moderate separations there: u = 0.53 s and 0.33 / 0.7 s. */
    static const point mc_pts[] = {
        {1.0, 1e-6, -0.73, -0.73 + 1e-4, "near v=0 and w1=w2"},
        {1.0, 0.385, -0.73, -0.73 + 1e-4, "near w1=w2"},
        {1.0, 1e-6, -0.73, -0.2, "near v=0 (u=0.53)"},
        {0.7, 1.0 - 1e-6, -0.73, -0.4, "near v=1 (u=0.33)"},
        {1.0, 0.0, -0.73, -0.2, "v=0 (u=0.53)"},
        {0.7, 1.0, -0.73, -0.4, "v=1 (u=0.33)"},
        {1.0, 0.385, -0.73, -0.73, "w1=w2"},
    };
    for (size_t i = 0; i < NPTS(mc_pts); i++)
        check_fim_mc(&mc_pts[i], n, seed++);
}

/* Means far from 0 against s: doubles near w = 1e16 are 2 apart, so a
 * draw w + s z (s = 1) lands on a grid of step 2 s and the sampled
 * I[w1,w1] came out 0.326 where the exact value at w1 = w2 is
 * (1 - v)^2 / s^2 = 0.25 (G on w1 = w2, docs/theory.md section 2.1).
 * Sampling and scores refuse there; the log-likelihood alone is still
 * available. Where the grid is fine against s (w = 1e8, step 1.5e-8 s)
 * Monte Carlo agrees with the exact FIM, which depends on the means only
 * through w2 - w1. */
static void test_large_means(void **state)
{
    (void)state;
    model *m = make(1.0, 0.5, 1e16, 1e16);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_matrix *x = gsl_matrix_alloc(10, 1), *sc = gsl_matrix_alloc(10, NP);
    double ell[10];
    assert_int_equal(model_gmm->sample(m, m->theta, r, x), SS_ERR_RANGE);
    assert_non_null(strstr(ss_last_error()->msg, "too coarse"));
    assert_non_null(strstr(ss_last_error()->msg, "2 apart"));
    gsl_matrix_set_all(x, 1e16);
    assert_int_equal(model_gmm->loglik_terms(m, m->theta, x, ell, sc),
                     SS_ERR_RANGE);
    assert_int_equal(model_gmm->loglik_terms(m, m->theta, x, ell, NULL),
                     SS_OK);
    assert_close_msg(ell[0], -0.5 * log(2 * M_PI), 1e-15, 0, "ell at the mean");
    /* the exact value there, which the refusal protects */
    gsl_matrix *G = exact_fim(m, NULL);
    assert_close_msg(gsl_matrix_get(G, 1, 1), 0.25, 1e-12, 0, "exact I[w1,w1]");
    gsl_matrix_free(G);
    gsl_matrix_free(x);
    gsl_matrix_free(sc);
    gsl_rng_free(r);
    model_free(m);

    static const point far[] = {
        {1.0, 0.5, 1e8, 1e8, "w1 = w2 = 1e8"},
        {1.0, 0.3, -1e8, -1e8 + 1.5, "example shifted by -1e8"},
    };
    for (size_t i = 0; i < NPTS(far); i++)
        check_fim_mc(&far[i], 100000, 77 + i);
}

/* ---- root factor ---------------------------------------------------------- */

static void check_root(const point *p)
{
    model *m = make(p->s, p->v, p->w1, p->w2);
    gsl_matrix *R = NULL;
    gsl_matrix *G = exact_fim(m, &R);
    assert_non_null(R);
    assert_int_equal(R->size2, NP);
    gsl_matrix *RtR = gsl_matrix_alloc(NP, NP);
    gsl_blas_dgemm(CblasTrans, CblasNoTrans, 1.0, R, R, 0.0, RtR);
    gsl_matrix *G2 = exact_fim(m, NULL);
    for (int i = 0; i < NP; i++)
        for (int j = 0; j < NP; j++) {
            double scale = sqrt(gsl_matrix_get(G, i, i) *
                                gsl_matrix_get(G, j, j));
            /* same terms summed in another order */
            assert_close_msg(gsl_matrix_get(RtR, i, j), gsl_matrix_get(G, i, j),
                             0, 1e-13 * scale, "R^T R vs G");
            /* root == NULL takes the same path without the matrix */
            assert_true(gsl_matrix_get(G2, i, j) == gsl_matrix_get(G, i, j));
            assert_true(gsl_matrix_get(G, i, j) == gsl_matrix_get(G, j, i));
        }
    gsl_matrix_free(RtR);
    gsl_matrix_free(R);
    gsl_matrix_free(G);
    gsl_matrix_free(G2);
    model_free(m);
}

static void test_fim_root(void **state)
{
    (void)state;
    for (size_t i = 0; i < NPTS(generic); i++)
        check_root(&generic[i]);
    for (size_t i = 0; i < NPTS(near_sing); i++)
        check_root(&near_sing[i]);
    for (size_t i = 0; i < NPTS(on_sing); i++)
        check_root(&on_sing[i]);
}

/* Eigenvalues sigma^2 of G from the one-sided Jacobi SVD of R, descending. */
static void root_eigs(double s, double v, double w1, double w2, double *lam)
{
    model *m = make(s, v, w1, w2);
    gsl_matrix *R = NULL;
    gsl_matrix *G = exact_fim(m, &R);
    gsl_matrix *Vm = gsl_matrix_alloc(NP, NP);
    gsl_vector *S = gsl_vector_alloc(NP);
    assert_int_equal(gsl_linalg_SV_decomp_jacobi(R, Vm, S), GSL_SUCCESS);
    for (int i = 0; i < NP; i++)
        lam[i] = gsl_vector_get(S, i) * gsl_vector_get(S, i);
    assert_true(lam[0] >= lam[1] && lam[1] >= lam[2]);
    gsl_vector_free(S);
    gsl_matrix_free(Vm);
    gsl_matrix_free(R);
    gsl_matrix_free(G);
    model_free(m);
}

/* Near w1 = w2 the eigenvalues go like u^0, u^2, u^6 (docs/theory.md
 * section 2.1, "Eigenvalue laws"). The smallest is ~1e-25 at u = 1e-4, far
 * below eps * lambda_max; the root resolves it, so lambda/u^k converges as
 * u -> 0. */
static void test_tiny_eigenvalues(void **state)
{
    (void)state;
    static const double us[] = {1e-2, 1e-3, 1e-4};
    double lam[3][NP];
    for (int k = 0; k < 3; k++)
        root_eigs(1.0, 0.3, 0.0, us[k], lam[k]);
    for (int k = 1; k < 3; k++) {
        double u0 = us[k - 1], u1 = us[k];
        assert_close_msg(lam[k][0], lam[k - 1][0], 1e-2, 0, "lambda_max ~ u^0");
        assert_close_msg(lam[k][1] / (u1 * u1), lam[k - 1][1] / (u0 * u0), 1e-2,
                         0, "lambda_mid / u^2");
        assert_close_msg(lam[k][2] / pow(u1, 6), lam[k - 1][2] / pow(u0, 6),
                         1e-2, 0, "lambda_min / u^6");
    }
    /* lambda_max -> (1-v)^2 + v^2 at w1 = w2 (rank-one closed form) */
    assert_close_msg(lam[2][0], 0.49 + 0.09, 1e-6, 0, "lambda_max limit");

    /* On the set: two zero singular values to rounding. */
    double l0[NP];
    root_eigs(1.0, 0.3, 0.0, 0.0, l0);
    assert_true(sqrt(l0[1]) < 1e-14 * sqrt(l0[0]));
    assert_true(sqrt(l0[2]) < 1e-14 * sqrt(l0[0]));
    assert_close_msg(l0[0], 0.58, 1e-13, 0, "lambda_max at w1 = w2");
}

/* ---- closed forms on the singular sets ------------------------------------ */

static void test_closed_forms(void **state)
{
    (void)state;
    /* v = 0 (Hartigan, w1 = 0, s = 1): (v, w2) block diag(e^{mu^2} - 1, 0);
     * the w1 entries follow from E_phi1[(phi2/phi1 - 1)(x - w1)] = u:
     * G[v][w1] = u / s^2, G[w1][w1] = 1 / s^2. */
    static const point v0[] = {{1.0, 0.0, 0.0, 1.21, ""},
                               {1.0, 0.0, 0.0, -0.385, ""},
                               {0.7, 0.0, -0.73, 1.21, ""},
                               {1.0, 0.0, 0.0, 3.0, ""}};
    for (size_t k = 0; k < NPTS(v0); k++) {
        const point *p = &v0[k];
        model *m = make(p->s, p->v, p->w1, p->w2);
        gsl_matrix *G = exact_fim(m, NULL);
        double u = (p->w2 - p->w1) / p->s, s2 = p->s * p->s;
        assert_close_msg(gsl_matrix_get(G, I_V, I_V), expm1(u * u), 1e-13, 0,
                         "v=0: G[v][v] = e^{u^2/s^2} - 1");
        assert_close_msg(gsl_matrix_get(G, I_V, I_W1), (p->w2 - p->w1) / s2,
                         1e-13, 0, "v=0: G[v][w1]");
        assert_close_msg(gsl_matrix_get(G, I_W1, I_W1), 1 / s2, 1e-13, 0,
                         "v=0: G[w1][w1]");
        for (int i = 0; i < NP; i++) {
            assert_true(gsl_matrix_get(G, I_W2, i) == 0.0);
            assert_true(gsl_matrix_get(G, i, I_W2) == 0.0);
        }
        gsl_matrix_free(G);
        model_free(m);
    }
    /* v = 1 mirrors it with w1 unidentifiable. */
    {
        model *m = make(0.7, 1.0, -0.73, 1.21);
        gsl_matrix *G = exact_fim(m, NULL);
        double u = 1.94 / 0.7, s2 = 0.49;
        assert_close_msg(gsl_matrix_get(G, I_V, I_V), expm1(u * u), 1e-13, 0,
                         "v=1: G[v][v]");
        assert_close_msg(gsl_matrix_get(G, I_V, I_W2), 1.94 / s2, 1e-13, 0,
                         "v=1: G[v][w2]");
        assert_close_msg(gsl_matrix_get(G, I_W2, I_W2), 1 / s2, 1e-13, 0,
                         "v=1: G[w2][w2]");
        for (int i = 0; i < NP; i++)
            assert_true(gsl_matrix_get(G, I_W1, i) == 0.0 &&
                        gsl_matrix_get(G, i, I_W1) == 0.0);
        gsl_matrix_free(G);
        model_free(m);
    }
    /* w1 = w2 = w: [[0,0,0],[0,(1-v)^2,v(1-v)],[0,v(1-v),v^2]] / s^2. */
    static const point eq[] = {{1.0, 0.385, -0.73, -0.73, ""},
                               {0.7, 0.9, 1.21, 1.21, ""},
                               {1.0, 0.0, 0.5, 0.5, ""},
                               {1.0, 1.0, 0.5, 0.5, ""}};
    for (size_t k = 0; k < NPTS(eq); k++) {
        const point *p = &eq[k];
        model *m = make(p->s, p->v, p->w1, p->w2);
        gsl_matrix *G = exact_fim(m, NULL);
        double v = p->v, s2 = p->s * p->s;
        double ref[NP][NP] = {{0, 0, 0},
                              {0, (1 - v) * (1 - v), v * (1 - v)},
                              {0, v * (1 - v), v * v}};
        for (int i = 0; i < NP; i++)
            for (int j = 0; j < NP; j++)
                assert_close_msg(gsl_matrix_get(G, i, j), ref[i][j] / s2, 1e-13,
                                 0, "w1=w2 closed form");
        gsl_matrix_free(G);
        model_free(m);
    }
}

/* Reference values from mpmath (40 digits, tanh-sinh on panels of 0.2 s
 * over [min w - 16 s - 2|u|, max w + 16 s + 2|u|], agreeing with panels of
 * 0.5 s to 1e-15 or better), for the naive integrand s_i s_j p at the exact
 * double parameters, e.g.
 *   f1 = c exp(-(x-w1)^2/(2s^2)); f2 = ...; p = (1-v) f1 + v f2
 *   mp.quad(lambda x: sc(x)[i] * sc(x)[j] * p(x), breakpoints)
 * The points stress the quadrature: the poles of 1/p near the real axis
 * (u = 20 s: at height pi s / 20), the far-side window for tiny v, lopsided
 * weights, s != 1. Entries: G00, G10, G11, G20, G21, G22. */
static const struct {
    point p;
    double g[6];
} fim_refs[] = {
    {{1.0, 0.385, -0.73, 1.21, "generic"},
     {2.2123053593348090858, 0.50733718219060385619, 0.4186515333076679778,
      0.41645473098378723238, -0.036693570255237624702,
      0.23039779653358636661}},
    {{0.7, 0.385, -0.73, 1.21, "generic s=0.7"},
     {3.1765165439546336265, 0.52306297965928348398, 0.93865362734272065758,
      0.45834063848760383033, -0.17388950447970849397,
      0.52993890636719703468}},
    {{0.7, 0.9, 0.0, 2.8, "v=0.9 u=4s"},
     {9.9650939019211670327, 0.2395863250216115575, 0.1478140155024050649,
      0.34979395399036073176, -0.066948207146172644326,
      1.7237888675429670194}},
    {{1.0, 0.999999, 0.0, 7.0, "v=1-1e-6 u=7s"},
     {930270.68158518081362, 0.12950605114182565142,
      7.4491128491210648093e-7, 0.3586056894694262626,
      -6.5145273635984055938e-7, 0.99999714121542021274}},
    {{1.0, 0.3, 0.0, 20.0, "u=20s"},
     {4.7619047619047620055, 2.6144282306757754645e-22,
      0.7000000000000000111, 2.5928867854688009964e-22,
      -5.4663001251866215407e-22, 0.2999999999999999889}},
    {{1.0, 1e-40, 0.0, 4.0, "v=1e-40 u=4s"},
     {8886109.5205078726368, 4.0, 1.0, 3.5544442082031494725e-33,
      1.0000000000000365135e-40, 1.5106387884863934001e-72}},
    {{1.0, 1e-6, 0.0, -5.0, "v=1e-6 u=-5s"},
     {402151.72924947438705, -2.6249155816502136051, 0.99998718452579566628,
      -0.36432778286106079804, -1.309090579339436392e-6,
      4.8745348667304674435e-7}},
};

/* Near machine precision everywhere: 1e-13 of sqrt(G_ii G_jj) (the
 * v = 1e-40 point loses ~|log v| eps in its w2 entries: 4e-14). */
static void test_fim_reference(void **state)
{
    (void)state;
    static const int ii[6] = {0, 1, 1, 2, 2, 2}, jj[6] = {0, 0, 1, 0, 1, 2};
    static const int diag[3] = {0, 2, 5};
    for (size_t k = 0; k < NPTS(fim_refs); k++) {
        const point *p = &fim_refs[k].p;
        const double *g = fim_refs[k].g;
        model *m = make(p->s, p->v, p->w1, p->w2);
        gsl_matrix *G = exact_fim(m, NULL);
        for (int e = 0; e < 6; e++) {
            int i = ii[e], j = jj[e];
            char what[96];
            snprintf(what, sizeof what, "%s: G[%d][%d] vs mpmath", p->label,
                     i, j);
            assert_close_msg(gsl_matrix_get(G, i, j), g[e], 0,
                             1e-13 * sqrt(g[diag[i]] * g[diag[j]]), what);
        }
        gsl_matrix_free(G);
        model_free(m);
    }
}

/* Very near w1 = w2 the v-entries are O(u^2) and O(u): with s = 1, w1 = 0,
 * s_v = u x + O(u^2) and G[v][v] = u^2 (1 + O(u^2)), G[v][w1] =
 * (1-v) u (1 + O(u)), G[v][w2] = v u (1 + O(u)). At u = 1e-8 a naive
 * (phi2 - phi1)/p would lose half the digits. */
static void test_fim_near_coincident(void **state)
{
    (void)state;
    const double u = 1e-8, v = 0.3;
    model *m = make(1.0, v, 0.0, u);
    gsl_matrix *G = exact_fim(m, NULL);
    assert_close_msg(gsl_matrix_get(G, I_V, I_V), u * u, 1e-13, 0,
                     "G[v][v] ~ u^2");
    assert_close_msg(gsl_matrix_get(G, I_V, I_W1), (1 - v) * u, 1e-7, 0,
                     "G[v][w1] ~ (1-v) u");
    assert_close_msg(gsl_matrix_get(G, I_V, I_W2), v * u, 1e-7, 0,
                     "G[v][w2] ~ v u");
    gsl_matrix_free(G);
    model_free(m);
}

/* Translation and scale: G depends on (v, (w2 - w1)/s) and scales with s.
 * Exact shifts (powers of two) leave the parameters unrounded; the
 * quadrature works in offsets from the means, so the shifted G agrees to
 * rounding even when |w| >> s. */
static void test_fim_invariance(void **state)
{
    (void)state;
    model *m = make(0.5, 0.375, -0.75, 0.25);
    gsl_matrix *G = exact_fim(m, NULL);
    static const double shifts[] = {1024.0, -65536.0, 1048576.0};
    for (size_t k = 0; k < NPTS(shifts); k++) {
        model *ms = make(0.5, 0.375, -0.75 + shifts[k], 0.25 + shifts[k]);
        gsl_matrix *Gs = exact_fim(ms, NULL);
        for (int i = 0; i < NP; i++)
            for (int j = 0; j < NP; j++)
                assert_close_msg(gsl_matrix_get(Gs, i, j),
                                 gsl_matrix_get(G, i, j), 1e-14, 0,
                                 "shifted G");
        gsl_matrix_free(Gs);
        model_free(ms);
    }
    /* s -> 2s, w -> 2w: G[v][v] same, G[v][w] / 2, G[w][w] / 4. */
    model *m2 = make(1.0, 0.375, -1.5, 0.5);
    gsl_matrix *G2 = exact_fim(m2, NULL);
    for (int i = 0; i < NP; i++)
        for (int j = 0; j < NP; j++) {
            double f = (i == I_V ? 1.0 : 0.5) * (j == I_V ? 1.0 : 0.5);
            assert_close_msg(gsl_matrix_get(G2, i, j),
                             f * gsl_matrix_get(G, i, j), 1e-14, 0, "scaled G");
        }
    gsl_matrix_free(G2);
    model_free(m2);
    gsl_matrix_free(G);
    model_free(m);
}

/* v = 0 / v = 1 exactly: finite FIM; far-apart means: the limits
 * 1/(v(1-v)), (1-v)/s^2, v/s^2 with vanishing cross terms; the refusals. */
static void test_fim_limits(void **state)
{
    (void)state;
    model *m = make(1.0, 0.385, -30.0, 30.0);
    gsl_matrix *G = exact_fim(m, NULL);
    assert_close_msg(gsl_matrix_get(G, I_V, I_V), 1 / (0.385 * 0.615), 1e-13, 0,
                     "separated G[v][v]");
    assert_close_msg(gsl_matrix_get(G, I_W1, I_W1), 0.615, 1e-13, 0,
                     "separated G[w1][w1]");
    assert_close_msg(gsl_matrix_get(G, I_W2, I_W2), 0.385, 1e-13, 0,
                     "separated G[w2][w2]");
    assert_true(fabs(gsl_matrix_get(G, I_W1, I_W2)) < 1e-100);
    gsl_matrix_free(G);
    model_free(m);

    /* v = 0 with e^{u^2/s^2} beyond double range: a clear failure. */
    m = make(1.0, 0.0, 0.0, 30.0);
    G = gsl_matrix_alloc(NP, NP);
    gsl_matrix *R = NULL;
    assert_int_equal(model_gmm->fim_exact(m, m->theta, G, &R),
                     SS_ERR_NUMERIC);
    assert_null(R);
    assert_non_null(strstr(ss_last_error()->msg, "overflows"));
    model_free(m);

    /* separation beyond the node budget: refused */
    m = make(1e-3, 0.5, 0.0, 2.0);
    assert_int_equal(model_gmm->fim_exact(m, m->theta, G, &R), SS_ERR_RANGE);
    assert_null(R);
    assert_non_null(strstr(ss_last_error()->msg, "exceeds"));
    gsl_matrix_free(G);
    model_free(m);
}

/* ---- sampler -------------------------------------------------------------- */

static void check_moments(const point *p, size_t n, unsigned long seed)
{
    model *m = make(p->s, p->v, p->w1, p->w2);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    gsl_matrix *x = gsl_matrix_alloc(n, 1);
    assert_int_equal(model_gmm->sample(m, m->theta, r, x), SS_OK);
    double mean = 0;
    for (size_t i = 0; i < n; i++)
        mean += gsl_matrix_get(x, i, 0);
    mean /= n;
    double m2 = 0, m4 = 0;
    for (size_t i = 0; i < n; i++) {
        double d = gsl_matrix_get(x, i, 0) - mean;
        m2 += d * d;
        m4 += d * d * d * d;
    }
    m2 /= n;
    m4 /= n;
    double v = p->v, u = p->w2 - p->w1;
    double mu = (1 - v) * p->w1 + v * p->w2;
    double var = p->s * p->s + v * (1 - v) * u * u;
    char what[96];
    snprintf(what, sizeof what, "%s: sample mean", p->label);
    assert_close_msg(mean, mu, 0, 5 * sqrt(var / n), what);
    snprintf(what, sizeof what, "%s: sample variance", p->label);
    assert_close_msg(m2, var, 0, 5 * sqrt((m4 - m2 * m2) / n), what);
    gsl_matrix_free(x);
    gsl_rng_free(r);
    model_free(m);
}

static void test_sampler(void **state)
{
    (void)state;
    unsigned long seed = 7;
    for (size_t i = 0; i < NPTS(generic); i++)
        check_moments(&generic[i], 100000, seed++);
    for (size_t i = 0; i < NPTS(on_sing); i++)
        check_moments(&on_sing[i], 100000, seed++);
    check_moments(&near_sing[2], 100000, seed++);

    /* at v = 0 every draw comes from the first component (and v = 1 the
     * second): no draw lies beyond 10 s of that mean */
    model *m = make(1.0, 0.0, -0.73, 100.0);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_matrix *x = gsl_matrix_alloc(10000, 1);
    assert_int_equal(model_gmm->sample(m, m->theta, r, x), SS_OK);
    for (size_t i = 0; i < x->size1; i++)
        assert_true(fabs(gsl_matrix_get(x, i, 0) + 0.73) < 10);
    model_free(m);
    m = make(1.0, 1.0, -0.73, 100.0);
    assert_int_equal(model_gmm->sample(m, m->theta, r, x), SS_OK);
    for (size_t i = 0; i < x->size1; i++)
        assert_true(fabs(gsl_matrix_get(x, i, 0) - 100.0) < 10);
    model_free(m);
    gsl_matrix_free(x);
    gsl_rng_free(r);
}

/* The sampler draws, in order, a uniform u (component 2 when u < v) and a
 * standard normal z by GSL's ziggurat, x = w + s z: the same numbers, bit
 * for bit, as those two library calls on an identically seeded
 * generator. */
static void test_sampler_same_draws(void **state)
{
    (void)state;
    const double s = 0.7, v = 0.3, w1 = -0.4, w2 = 1.25;
    model *m = make(s, v, w1, w2);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937), *ref = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 99);
    gsl_rng_set(ref, 99);
    const size_t n = 20000;
    gsl_matrix *x = gsl_matrix_alloc(n, 1);
    assert_int_equal(model_gmm->sample(m, m->theta, r, x), SS_OK);
    for (size_t i = 0; i < n; i++) {
        double w = gsl_rng_uniform(ref) < v ? w2 : w1;
        double want = w + s * gsl_ran_gaussian_ziggurat(ref, 1.0);
        assert_true(gsl_matrix_get(x, i, 0) == want);
    }
    /* and the generators are left in the same state */
    assert_true(gsl_rng_get(r) == gsl_rng_get(ref));
    gsl_matrix_free(x);
    gsl_rng_free(ref);
    gsl_rng_free(r);
    model_free(m);
}

/* G is summed in linear space when both weights are at least 1e-100 and
 * in log space below: the two routes agree across the switch (v one ulp
 * apart on either side of it) to 1e-13 of sqrt(G_ii G_jj), and with and
 * without a root factor G is the same bit for bit on both sides. */
static void test_fim_routes_agree(void **state)
{
    (void)state;
    const double vs = 1e-100, us[] = {0.5, 4.0, -3.0};
    for (size_t k = 0; k < NPTS(us); k++) {
        model *ma = make(1.0, vs, 0.0, us[k]);
        model *mb = make(1.0, nextafter(vs, 0.0), 0.0, us[k]);
        gsl_matrix *Ra = NULL, *Rb = NULL;
        gsl_matrix *Ga = exact_fim(ma, NULL), *Gb = exact_fim(mb, NULL);
        gsl_matrix *Gar = exact_fim(ma, &Ra), *Gbr = exact_fim(mb, &Rb);
        for (int i = 0; i < NP; i++)
            for (int j = 0; j < NP; j++) {
                /* (G[w2][w2] ~ v^2 here: the product would underflow) */
                double scale = sqrt(gsl_matrix_get(Gb, i, i)) *
                               sqrt(gsl_matrix_get(Gb, j, j));
                assert_close_msg(gsl_matrix_get(Ga, i, j),
                             gsl_matrix_get(Gb, i, j), 0, 1e-13 * scale,
                             "linear vs log-space G at v = 1e-100");
                assert_true(gsl_matrix_get(Ga, i, j) ==
                            gsl_matrix_get(Gar, i, j));
                assert_true(gsl_matrix_get(Gb, i, j) ==
                            gsl_matrix_get(Gbr, i, j));
            }
        gsl_matrix_free(Ra);
        gsl_matrix_free(Rb);
        gsl_matrix_free(Ga);
        gsl_matrix_free(Gb);
        gsl_matrix_free(Gar);
        gsl_matrix_free(Gbr);
        model_free(ma);
        model_free(mb);
    }
}

/* ---- timing by hand --------------------------------------------------------- */

static void test_bench(void **state)
{
    (void)state;
    if (!getenv("GMM_BENCH"))
        skip();
    model *m = make(1.0, 0.3, 0.0, 1.5);
    gsl_matrix *G = gsl_matrix_alloc(NP, NP), *R = NULL;
    const int reps = 20000;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int k = 0; k < reps; k++)
        model_gmm->fim_exact(m, m->theta, G, NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double us = ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) /
                reps / 1e3;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int k = 0; k < reps; k++) {
        model_gmm->fim_exact(m, m->theta, G, &R);
        gsl_matrix_free(R);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double usr = ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) /
                 reps / 1e3;
    model_gmm->fim_exact(m, m->theta, G, &R);
    print_message("exact FIM at v=0.3 w1=0 w2=1.5: %.2f us (%.2f us with "
                  "root), %zu nodes\n",
                  us, usr, R->size1);
    gsl_matrix_free(R);
    gsl_matrix_free(G);
    model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_singular_sets),
        cmocka_unit_test(test_loglik_value),
        cmocka_unit_test(test_score_fd),
        cmocka_unit_test(test_score_v_no_cancellation),
        cmocka_unit_test(test_extremes_no_nan),
        cmocka_unit_test(test_fim_vs_qagi),
        cmocka_unit_test(test_fim_reference),
        cmocka_unit_test(test_fim_near_coincident),
        cmocka_unit_test(test_fim_vs_mc),
        cmocka_unit_test(test_large_means),
        cmocka_unit_test(test_fim_root),
        cmocka_unit_test(test_tiny_eigenvalues),
        cmocka_unit_test(test_closed_forms),
        cmocka_unit_test(test_fim_invariance),
        cmocka_unit_test(test_fim_limits),
        cmocka_unit_test(test_sampler),
        cmocka_unit_test(test_sampler_same_draws),
        cmocka_unit_test(test_scores_without_ell),
        cmocka_unit_test(test_fim_routes_agree),
        cmocka_unit_test(test_bench),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

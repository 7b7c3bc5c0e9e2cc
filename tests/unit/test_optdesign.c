/* The optimal-design library (design/optdesign.h) against theory:
 *   - polynomial regression on [-1, 1], where the optimal designs and their
 *     sensitivity functions are known in closed form (Kiefer-Wolfowitz for
 *     D; A for the line; Ds for the quadratic term; E for the quadratic);
 *   - the compartmental model eta(t) = th3 (exp(-th1 t) - exp(-th2 t)) of
 *     Atkinson, Chaloner, Herzberg & Juritz (1993), whose locally D-optimal
 *     design they report, checked also by the equivalence theorem;
 *   - multi-time sampling sequences, checked exhaustively over the
 *     candidates with the test's own 3 x 3 inverse;
 *   - efficiencies from determinants computed by hand here;
 *   - refusals: a singular start (the lost direction named), non-convergence
 *     reported, Ctrl-C, bad candidates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "testutil.h"

#include "core/interrupt.h"
#include "core/status.h"
#include "design/optdesign.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---- the models ----------------------------------------------------------- */

/* Polynomial regression with q coefficients: mu(x) = f f^T, f_k = x^k. */
static ss_status poly_info(void *ctx, const double *x, gsl_matrix *mu)
{
    size_t q = *(const size_t *)ctx;
    double f[8];
    for (size_t k = 0; k < q; k++)
        f[k] = k ? f[k - 1] * x[0] : 1.0;
    for (size_t i = 0; i < q; i++)
        for (size_t j = 0; j < q; j++)
            gsl_matrix_set(mu, i, j, f[i] * f[j]);
    return SS_OK;
}

static const size_t Q2 = 2, Q3 = 3;
static const char *const BNAMES[] = {"b0", "b1", "b2"};

static od_problem poly_problem(const size_t *q)
{
    od_problem pb = {*q, 1, poly_info, (void *)q, BNAMES};
    return pb;
}

/* The compartmental model's parameters (Atkinson et al. 1993). */
static const double TH[3] = {0.05884, 4.298, 21.80};

static double eta(const double *th, double t)
{
    return th[2] * (exp(-th[0] * t) - exp(-th[1] * t));
}

/* d eta / d th in closed form: (-th3 t e^{-th1 t}, th3 t e^{-th2 t},
 * e^{-th1 t} - e^{-th2 t}). */
static void eta_grad(const double *th, double t, double *g)
{
    double e1 = exp(-th[0] * t), e2 = exp(-th[1] * t);
    g[0] = -th[2] * t * e1;
    g[1] = th[2] * t * e2;
    g[2] = e1 - e2;
}

/* mu(x) = sum over the dim times of x of grad grad^T (constant variance,
 * independent observations). ctx points at dim. */
static ss_status pk_info(void *ctx, const double *x, gsl_matrix *mu)
{
    size_t dim = *(const size_t *)ctx;
    gsl_matrix_set_zero(mu);
    for (size_t k = 0; k < dim; k++) {
        double g[3];
        eta_grad(TH, x[k], g);
        for (size_t i = 0; i < 3; i++)
            for (size_t j = 0; j < 3; j++)
                gsl_matrix_set(mu, i, j, gsl_matrix_get(mu, i, j) + g[i] * g[j]);
    }
    return SS_OK;
}

static const size_t DIM1 = 1, DIM2 = 2, DIM3 = 3;

static od_problem pk_problem(const size_t *dim)
{
    od_problem pb = {3, *dim, pk_info, (void *)dim, NULL};
    return pb;
}

/* ---- the test's own 3 x 3 algebra ------------------------------------------ */

static double det3(double m[3][3])
{
    return m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
           m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
           m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
}

/* The inverse by the adjugate. */
static void inv3(double m[3][3], double r[3][3])
{
    double d = det3(m);
    r[0][0] = (m[1][1] * m[2][2] - m[1][2] * m[2][1]) / d;
    r[0][1] = (m[0][2] * m[2][1] - m[0][1] * m[2][2]) / d;
    r[0][2] = (m[0][1] * m[1][2] - m[0][2] * m[1][1]) / d;
    r[1][0] = (m[1][2] * m[2][0] - m[1][0] * m[2][2]) / d;
    r[1][1] = (m[0][0] * m[2][2] - m[0][2] * m[2][0]) / d;
    r[1][2] = (m[0][2] * m[1][0] - m[0][0] * m[1][2]) / d;
    r[2][0] = (m[1][0] * m[2][1] - m[1][1] * m[2][0]) / d;
    r[2][1] = (m[0][1] * m[2][0] - m[0][0] * m[2][1]) / d;
    r[2][2] = (m[0][0] * m[1][1] - m[0][1] * m[1][0]) / d;
}

/* M of a pk design by the closed-form gradient, summed here. */
static void pk_M(const od_design *xi, double M[3][3])
{
    memset(M, 0, 9 * sizeof(double));
    for (size_t i = 0; i < xi->n; i++)
        for (size_t k = 0; k < xi->dim; k++) {
            double g[3];
            eta_grad(TH, xi->x[i * xi->dim + k], g);
            for (size_t a = 0; a < 3; a++)
                for (size_t b = 0; b < 3; b++)
                    M[a][b] += xi->w[i] * g[a] * g[b];
        }
}

/* tr(Minv sum_k g_k g_k^T) over the times of one point. */
static double pk_d(double Mi[3][3], const double *x, size_t dim)
{
    double d = 0;
    for (size_t k = 0; k < dim; k++) {
        double g[3];
        eta_grad(TH, x[k], g);
        for (size_t a = 0; a < 3; a++)
            for (size_t b = 0; b < 3; b++)
                d += Mi[a][b] * g[a] * g[b];
    }
    return d;
}

static od_design *design_of(size_t n, size_t dim, const double *x,
                            const double *w)
{
    od_design *d = od_design_alloc(n, dim);
    assert_non_null(d);
    memcpy(d->x, x, n * dim * sizeof *x);
    memcpy(d->w, w, n * sizeof *w);
    return d;
}

/* The weight the design puts within 1e-9 of the single time t. */
static double weight_at(const od_design *d, double t)
{
    double s = 0;
    for (size_t i = 0; i < d->n; i++)
        if (fabs(d->x[i] - t) < 1e-9)
            s += d->w[i];
    return s;
}

/* ---- sensitivity functions in closed form ------------------------------------ */

/* Quadratic regression, {-1, 0, 1} with 1/3 each: M^-1 is [[3,0,-3],
 * [0,3/2,0],[-3,0,9/2]], so d(x) = 3 - 9/2 x^2 + 9/2 x^4 (<= 3, equal at
 * the support). Ds for b2 with weights (1/4, 1/2, 1/4): d = (1 - 2x^2)^2,
 * bound 1. E with (1/5, 3/5, 1/5): lambda_min = 1/5, simple (the others 2/5
 * and 6/5), v = (1, 0, -2)/sqrt 5, d = (1 - 2x^2)^2 / 5. A for the line
 * with 1/2 at +-1: M = I, d = 1 + x^2, bound tr M^-1 = 2. Rounding only:
 * 1e-12. */
static void test_sensitivity_closed_forms(void **state)
{
    (void)state;
    od_problem q3 = poly_problem(&Q3), q2 = poly_problem(&Q2);
    double x3[] = {-1, 0, 1}, x2[] = {-1, 1};
    double xs[41];
    for (int i = 0; i <= 40; i++)
        xs[i] = -1 + i / 20.0;
    double d[41], bound;
    size_t mult;

    od_design *xi = design_of(3, 1, x3, (double[]){1. / 3, 1. / 3, 1. / 3});
    od_criterion D = {OD_D, 0, NULL};
    assert_int_equal(od_sensitivity(&q3, &D, xi, xs, 41, d, &bound, NULL),
                     SS_OK);
    assert_close(bound, 3, 0, 1e-15);
    for (int i = 0; i <= 40; i++) {
        double x = xs[i];
        assert_close_msg(d[i], 3 - 4.5 * x * x + 4.5 * x * x * x * x, 1e-12,
                         1e-12, "D quadratic");
    }
    double lndet;
    assert_int_equal(od_criterion_value(&q3, &D, xi, &lndet), SS_OK);
    assert_close(lndet, log(4.0 / 27.0), 1e-12, 0); /* det = 2/3 * 2/9 */
    od_design_free(xi);

    xi = design_of(3, 1, x3, (double[]){0.25, 0.5, 0.25});
    size_t sub[] = {2};
    od_criterion Ds = {OD_DS, 1, sub};
    assert_int_equal(od_sensitivity(&q3, &Ds, xi, xs, 41, d, &bound, NULL),
                     SS_OK);
    assert_close(bound, 1, 0, 1e-15);
    for (int i = 0; i <= 40; i++) {
        double u = 1 - 2 * xs[i] * xs[i];
        assert_close_msg(d[i], u * u, 1e-12, 1e-12, "Ds quadratic");
    }
    double vds;
    assert_int_equal(od_criterion_value(&q3, &Ds, xi, &vds), SS_OK);
    assert_close(vds, log(0.25), 1e-12, 0); /* 1/(M^-1)_22 = 1/4 */
    od_design_free(xi);

    xi = design_of(3, 1, x3, (double[]){0.2, 0.6, 0.2});
    od_criterion E = {OD_E, 0, NULL};
    assert_int_equal(od_sensitivity(&q3, &E, xi, xs, 41, d, &bound, &mult),
                     SS_OK);
    assert_close(bound, 0.2, 1e-12, 0);
    assert_int_equal(mult, 1);
    for (int i = 0; i <= 40; i++) {
        double u = 1 - 2 * xs[i] * xs[i];
        assert_close_msg(d[i], u * u / 5, 1e-12, 1e-12, "E quadratic");
    }
    od_design_free(xi);

    xi = design_of(2, 1, x2, (double[]){0.5, 0.5});
    od_criterion A = {OD_A, 0, NULL};
    assert_int_equal(od_sensitivity(&q2, &A, xi, xs, 41, d, &bound, NULL),
                     SS_OK);
    assert_close(bound, 2, 1e-12, 0);
    for (int i = 0; i <= 40; i++)
        assert_close_msg(d[i], 1 + xs[i] * xs[i], 1e-12, 1e-12, "A line");
    /* E of the line's design: M = I, lambda_min double: reported */
    assert_int_equal(od_sensitivity(&q2, &E, xi, xs, 1, d, &bound, &mult),
                     SS_OK);
    assert_int_equal(mult, 2);
    od_design_free(xi);
}

/* ---- Fedorov-Wynn on regression ------------------------------------------------- */

static gsl_matrix *grid201(void)
{
    gsl_matrix *c;
    assert_int_equal(od_cand_grid(-1, 1, 201, &c), SS_OK);
    return c;
}

/* Max of d over 2001 points of [-1, 1]. */
static double maxd_fine(const od_problem *pb, const od_criterion *c,
                        const od_design *xi, double *bound)
{
    static double xs[2001], d[2001];
    for (int i = 0; i <= 2000; i++)
        xs[i] = -1 + i / 1000.0;
    assert_int_equal(od_sensitivity(pb, c, xi, xs, 2001, d, bound, NULL),
                     SS_OK);
    double m = -INFINITY;
    for (int i = 0; i <= 2000; i++)
        m = fmax(m, d[i]);
    return m;
}

/* Kiefer-Wolfowitz: D-optimal for the quadratic on [-1, 1] is 1/3 at
 * -1, 0, 1 with max d = 3. The grid holds the support, so FW's weights
 * converge there; with the relative gap tol 1e-6, the weights are within
 * ~sqrt(gap) ~ 1e-3 (the criterion is quadratic in them near the optimum).
 * The refinement then reaches them to the minimiser's precision (1e-6). */
static void test_fw_quadratic_D(void **state)
{
    (void)state;
    od_problem pb = poly_problem(&Q3);
    gsl_matrix *cand = grid201();
    for (int rule = 0; rule < 2; rule++) {
        od_fw_opts o;
        od_fw_opts_default(&o, OD_D);
        o.step = rule ? OD_STEP_CLOSED : OD_STEP_LINE;
        od_fw_result r;
        assert_int_equal(od_fedorov_wynn(&pb, cand, NULL, NULL, &o, &r),
                         SS_OK);
        assert_true(r.converged);
        assert_string_equal(r.warning, "");
        assert_int_equal(r.design->n, 3);
        for (int k = -1; k <= 1; k++)
            assert_close_msg(weight_at(r.design, k), 1.0 / 3, 0, 1e-3,
                             "FW weight");
        assert_close(r.bound, 3, 0, 1e-15);
        assert_true(r.maxd <= 3 * (1 + 1e-5));
        double bound, m = maxd_fine(&pb, &o.crit, r.design, &bound);
        assert_true(m <= 3 * (1 + 1e-5));
        assert_true(m >= 3); /* the average of d under xi is p */

        od_refine_opts ro;
        od_refine_opts_default(&ro, OD_D, -1, 1);
        od_refine_result rr;
        assert_int_equal(od_refine(&pb, &ro, r.design, &rr), SS_OK);
        assert_true(rr.value >= rr.value0);
        assert_close(rr.value, log(4.0 / 27.0), 1e-10, 0);
        for (size_t i = 0; i < 3; i++)
            assert_close_msg(r.design->w[i], 1.0 / 3, 0, 1e-6, "refined w");
        double xs[3] = {r.design->x[0], r.design->x[1], r.design->x[2]};
        for (int a = 0; a < 3; a++) /* sort the three for comparison */
            for (int b = a + 1; b < 3; b++)
                if (xs[b] < xs[a]) {
                    double t = xs[a];
                    xs[a] = xs[b], xs[b] = t;
                }
        assert_close(xs[0], -1, 0, 1e-6);
        assert_close(xs[1], 0, 0, 1e-6);
        assert_close(xs[2], 1, 0, 1e-6);
        od_fw_result_free(&r);
    }
    /* one addition from the uniform start: Fedorov's closed form is the
     * exact line maximiser for rank-one mu, so both rules agree */
    od_fw_opts o;
    od_fw_opts_default(&o, OD_D);
    o.exchange = OD_EXCH_NONE;
    o.max_iter = 1;
    o.prune = 0;
    od_fw_result r1, r2;
    assert_int_equal(od_fedorov_wynn(&pb, cand, NULL, NULL, &o, &r1), SS_OK);
    o.step = OD_STEP_CLOSED;
    assert_int_equal(od_fedorov_wynn(&pb, cand, NULL, NULL, &o, &r2), SS_OK);
    assert_int_equal(r1.nwork, 201);
    for (size_t j = 0; j < 201; j++)
        assert_close_msg(r1.wcand[j], r2.wcand[j], 1e-9, 1e-14, "one step");
    od_fw_result_free(&r1);
    od_fw_result_free(&r2);
    gsl_matrix_free(cand);
}

/* A for the line on [-1, 1]: tr M^-1 = (1 + m2)/(m2 - m1^2) >= 2, equality
 * only at 1/2 on +-1. Ds for b2 of the quadratic: (1/4, 1/2, 1/4) at
 * -1, 0, 1. E for the quadratic: (1/5, 3/5, 1/5), lambda_min 1/5. Weights
 * to 1e-3 (FW's gap tolerance, as above). */
static void test_fw_A_Ds_E(void **state)
{
    (void)state;
    gsl_matrix *cand = grid201();
    od_problem q2 = poly_problem(&Q2), q3 = poly_problem(&Q3);
    od_fw_opts o;
    od_fw_result r;

    od_fw_opts_default(&o, OD_A);
    assert_int_equal(od_fedorov_wynn(&q2, cand, NULL, NULL, &o, &r), SS_OK);
    assert_true(r.converged);
    assert_close(weight_at(r.design, -1), 0.5, 0, 1e-3);
    assert_close(weight_at(r.design, 1), 0.5, 0, 1e-3);
    assert_close(r.value, 2, 1e-5, 0);
    od_fw_result_free(&r);

    size_t sub[] = {2};
    od_fw_opts_default(&o, OD_DS);
    o.crit.s = 1;
    o.crit.sub = sub;
    assert_int_equal(od_fedorov_wynn(&q3, cand, NULL, NULL, &o, &r), SS_OK);
    assert_true(r.converged);
    assert_close(weight_at(r.design, -1), 0.25, 0, 1e-3);
    assert_close(weight_at(r.design, 0), 0.5, 0, 1e-3);
    assert_close(weight_at(r.design, 1), 0.25, 0, 1e-3);
    assert_close(r.bound, 1, 0, 1e-15);
    double bound;
    assert_true(maxd_fine(&q3, &o.crit, r.design, &bound) <= 1 + 1e-5);
    /* the weights alone refined: (1/4, 1/2, 1/4) to the minimiser's
     * precision, the points untouched, value ln(1/4) */
    od_refine_opts ro;
    od_refine_opts_default(&ro, OD_DS, -1, 1);
    ro.crit = o.crit;
    ro.over = OD_OVER_WEIGHTS;
    od_refine_result rr;
    double x_before[3];
    assert_int_equal(r.design->n, 3);
    memcpy(x_before, r.design->x, sizeof x_before);
    assert_int_equal(od_refine(&q3, &ro, r.design, &rr), SS_OK);
    assert_true(rr.converged);
    assert_close(rr.value, log(0.25), 1e-10, 0);
    assert_close(weight_at(r.design, -1), 0.25, 0, 1e-6);
    assert_close(weight_at(r.design, 0), 0.5, 0, 1e-6);
    assert_close(weight_at(r.design, 1), 0.25, 0, 1e-6);
    assert_memory_equal(x_before, r.design->x, sizeof x_before);
    od_fw_result_free(&r);

    od_fw_opts_default(&o, OD_E);
    assert_int_equal(od_fedorov_wynn(&q3, cand, NULL, NULL, &o, &r), SS_OK);
    assert_true(r.converged);
    assert_int_equal(r.multiplicity, 1);
    assert_close(weight_at(r.design, -1), 0.2, 0, 1e-3);
    assert_close(weight_at(r.design, 0), 0.6, 0, 1e-3);
    assert_close(weight_at(r.design, 1), 0.2, 0, 1e-3);
    assert_close(r.value, 0.2, 1e-5, 0);
    od_fw_result_free(&r);

    /* E for the line: lambda_min <= m2 <= 1, so the optimum is M = I (1/2
     * at +-1) with lambda_min double; one eigenvector's sensitivity cannot
     * certify it: not converged, said so, the value still near 1 */
    o.max_iter = 2000;
    assert_int_equal(od_fedorov_wynn(&q2, cand, NULL, NULL, &o, &r), SS_OK);
    assert_int_equal(r.converged, 0);
    assert_non_null(strstr(r.warning, "nearly multiple"));
    assert_true(r.value > 0.99 && r.value <= 1 + 1e-12);
    od_fw_result_free(&r);
    gsl_matrix_free(cand);
}

/* ---- the compartmental model ------------------------------------------------------ */

/* The closed-form gradient against central differences of eta: step
 * h = 1e-5 |th|, truncation ~ h^2 eta''' / 6, relative ~1e-9 (1e-7 allowed);
 * rounding adds ~eps |eta| / h absolute (4 eps |eta| / h allowed), which
 * dominates where a component is tiny (th2's at t = 5 is 5e-8). */
static void test_pk_gradient(void **state)
{
    (void)state;
    const double ts[] = {0.05, 0.2288, 1, 1.3886, 5, 18.417, 60};
    for (size_t i = 0; i < sizeof ts / sizeof *ts; i++) {
        double g[3];
        eta_grad(TH, ts[i], g);
        for (int k = 0; k < 3; k++) {
            double tp[3] = {TH[0], TH[1], TH[2]}, tm[3] = {TH[0], TH[1], TH[2]};
            double h = 1e-5 * TH[k];
            tp[k] += h, tm[k] -= h;
            double fd = (eta(tp, ts[i]) - eta(tm, ts[i])) / (2 * h);
            double round = 4 * DBL_EPSILON * fabs(eta(TH, ts[i])) / h;
            assert_close_msg(g[k], fd, 1e-7, round, "d eta / d th");
        }
    }
}

/* Atkinson, Chaloner, Herzberg & Juritz (1993): locally D-optimal on
 * (0, 60]: 0.2288, 1.3886, 18.417, 1/3 each (printed to 4-5 digits, so
 * 1e-3 relative). With n = p support points the optimal weights are 1/p;
 * the equivalence theorem: max d = 3 at the support. FW on a 0.01 grid,
 * neighbours merged, then refinement over times and weights. */
static void test_pk_D_optimal(void **state)
{
    (void)state;
    od_problem pb = pk_problem(&DIM1);
    gsl_matrix *cand;
    assert_int_equal(od_cand_grid(0.1, 60, 600, &cand), SS_OK);
    od_fw_opts o;
    od_fw_opts_default(&o, OD_D);
    o.merge = 0.15; /* neighbours on the 0.1 grid share an optimum's mass */
    o.prune = 1e-4;
    od_fw_result r;
    assert_int_equal(od_fedorov_wynn(&pb, cand, NULL, NULL, &o, &r), SS_OK);
    assert_true(r.converged);
    assert_int_equal(r.design->n, 3);

    od_refine_opts ro;
    od_refine_opts_default(&ro, OD_D, 0, 60);
    od_refine_result rr;
    assert_int_equal(od_refine(&pb, &ro, r.design, &rr), SS_OK);
    assert_true(rr.converged);
    od_design *xi = r.design;
    double want[3] = {0.2288, 1.3886, 18.417};
    double got[3] = {xi->x[0], xi->x[1], xi->x[2]};
    for (int a = 0; a < 3; a++)
        for (int b = a + 1; b < 3; b++)
            if (got[b] < got[a]) {
                double t = got[a];
                got[a] = got[b], got[b] = t;
            }
    for (int k = 0; k < 3; k++) {
        assert_close_msg(got[k], want[k], 1e-3, 0, "support time");
        assert_close_msg(xi->w[k], 1.0 / 3, 0, 1e-6, "weight");
    }

    /* the equivalence theorem on a fine grid of (0, 60], with the test's
     * own M^-1: max d = 3 to 1e-6, attained at the support points */
    double M[3][3], Mi[3][3];
    pk_M(xi, M);
    inv3(M, Mi);
    double dmax = -INFINITY;
    for (int i = 1; i <= 600000; i++) {
        double t = i * 1e-4;
        dmax = fmax(dmax, pk_d(Mi, &t, 1));
    }
    assert_close(dmax, 3, 1e-6, 0);
    for (int k = 0; k < 3; k++)
        assert_close_msg(pk_d(Mi, &xi->x[k], 1), 3, 1e-6, 0, "d at support");
    /* the library's sensitivity agrees with the hand-made one */
    double ts[3] = {0.1, 5, 40}, d[3], bound;
    assert_int_equal(od_sensitivity(&pb, &o.crit, xi, ts, 3, d, &bound, NULL),
                     SS_OK);
    for (int k = 0; k < 3; k++)
        assert_close(d[k], pk_d(Mi, &ts[k], 1), 1e-10, 0);

    /* a non-optimal design: max d > 3, and its D-efficiency is the cube
     * root of the determinant ratio (by the adjugate here) */
    od_design *bad = design_of(3, 1, (double[]){1, 5, 30},
                               (double[]){1. / 3, 1. / 3, 1. / 3});
    double Mb[3][3], Mbi[3][3];
    pk_M(bad, Mb);
    inv3(Mb, Mbi);
    double bmax = -INFINITY;
    for (int i = 1; i <= 6000; i++) {
        double t = i * 1e-2;
        bmax = fmax(bmax, pk_d(Mbi, &t, 1));
    }
    assert_true(bmax > 3.5);
    double eff;
    assert_int_equal(od_efficiency(&pb, &o.crit, bad, xi, &eff), SS_OK);
    assert_close(eff, cbrt(det3(Mb) / det3(M)), 1e-10, 0);
    assert_true(eff < 1);

    /* BFGS (numerical gradient) over the times alone, weights 1/3 fixed,
     * from the bad design reaches the same optimum; its gradient floor
     * (central differences, ~1e-8 in z) leaves the times ~1e-6 off, so
     * 1e-5 relative */
    od_refine_opts_default(&ro, OD_D, 0, 60);
    ro.over = OD_OVER_TIMES;
    ro.method = OD_BFGS;
    ro.tol = 1e-8;
    od_design *b2 = design_of(3, 1, bad->x, bad->w);
    assert_int_equal(od_refine(&pb, &ro, b2, &rr), SS_OK);
    assert_close(rr.value, log(det3(M)), 1e-9, 0);
    for (int k = 0; k < 3; k++) {
        assert_close_msg(b2->x[k], got[k], 1e-5, 0, "BFGS time");
        assert_close_msg(b2->w[k], 1.0 / 3, 1e-15, 0, "weights kept");
    }
    /* Ctrl-C during refinement: interrupted, the start kept */
    ss_interrupt_raise();
    memcpy(b2->x, bad->x, 3 * sizeof *b2->x);
    assert_int_equal(od_refine(&pb, &ro, b2, &rr), SS_ERR_INTERRUPTED);
    ss_interrupt_clear();
    assert_close(b2->x[1], 5, 0, 0);
    od_design_free(b2);
    od_design_free(bad);
    od_fw_result_free(&r);
    gsl_matrix_free(cand);
}

/* A given start design off the grid joins the working set; the optimum
 * (on the grid) takes all its weight. */
static void test_fw_start_design(void **state)
{
    (void)state;
    od_problem pb = poly_problem(&Q3);
    gsl_matrix *cand = grid201();
    od_design *st = design_of(3, 1, (double[]){-0.5123, 0.1234, 0.9876},
                              (double[]){0.3, 0.3, 0.4});
    od_fw_opts o;
    od_fw_opts_default(&o, OD_D);
    od_fw_result r;
    assert_int_equal(od_fedorov_wynn(&pb, cand, NULL, st, &o, &r), SS_OK);
    assert_true(r.converged);
    assert_int_equal(r.nwork, 204);
    for (int k = -1; k <= 1; k++)
        assert_close_msg(weight_at(r.design, k), 1.0 / 3, 0, 1e-3, "weight");
    for (size_t j = 201; j < 204; j++)
        assert_true(r.wcand[j] < 1e-6);
    od_fw_result_free(&r);
    od_design_free(st);
    gsl_matrix_free(cand);
}

/* Sampling sequences of 2 times (all pairs of a list) and of 3 (all
 * 3-subsets of the 8 warfarin times, C(8,3) = 56): FW's optimum satisfies
 * the equivalence theorem over every candidate, computed with the test's
 * own inverse; sum_i w_i d(x_i) = p holds at any design. */
static void test_multi_time(void **state)
{
    (void)state;
    const double wt[] = {0.5, 1, 2, 6, 24, 36, 72, 120};
    gsl_matrix *c3;
    assert_int_equal(od_cand_subsets(wt, 8, 3, &c3), SS_OK);
    assert_int_equal(c3->size1, 56);
    assert_int_equal(c3->size2, 3);
    assert_close(gsl_matrix_get(c3, 0, 0), 0.5, 0, 0);
    assert_close(gsl_matrix_get(c3, 0, 2), 2, 0, 0);
    assert_close(gsl_matrix_get(c3, 55, 0), 36, 0, 0);
    assert_close(gsl_matrix_get(c3, 55, 2), 120, 0, 0);
    for (size_t r = 0; r < 56; r++) {
        assert_true(gsl_matrix_get(c3, r, 0) < gsl_matrix_get(c3, r, 1));
        assert_true(gsl_matrix_get(c3, r, 1) < gsl_matrix_get(c3, r, 2));
        if (r) { /* strictly increasing lexicographically: all distinct */
            int k = 0;
            while (k < 3 &&
                   gsl_matrix_get(c3, r, k) == gsl_matrix_get(c3, r - 1, k))
                k++;
            assert_true(k < 3);
            assert_true(gsl_matrix_get(c3, r, k) >
                        gsl_matrix_get(c3, r - 1, k));
        }
    }

    const double tl[] = {0.1, 0.25, 0.5, 1, 1.5, 2, 4, 8, 12, 18, 24, 36};
    gsl_matrix *c2;
    assert_int_equal(od_cand_subsets(tl, 12, 2, &c2), SS_OK);
    assert_int_equal(c2->size1, 66);

    const size_t *dims[2] = {&DIM2, &DIM3};
    gsl_matrix *cands[2] = {c2, c3};
    for (int v = 0; v < 2; v++) {
        od_problem pb = pk_problem(dims[v]);
        od_fw_opts o;
        od_fw_opts_default(&o, OD_D);
        o.tol = 1e-8;
        od_fw_result r;
        assert_int_equal(od_fedorov_wynn(&pb, cands[v], NULL, NULL, &o, &r),
                         SS_OK);
        assert_true(r.converged);
        double M[3][3], Mi[3][3];
        pk_M(r.design, M);
        inv3(M, Mi);
        size_t dim = *dims[v];
        double dmax = -INFINITY, avg = 0;
        for (size_t j = 0; j < cands[v]->size1; j++) {
            double x[3];
            for (size_t k = 0; k < dim; k++)
                x[k] = gsl_matrix_get(cands[v], j, k);
            dmax = fmax(dmax, pk_d(Mi, x, dim));
        }
        for (size_t i = 0; i < r.design->n; i++)
            avg += r.design->w[i] * pk_d(Mi, r.design->x + i * dim, dim);
        /* pruning at 1e-6 moves M by at most that much */
        assert_true(dmax <= 3 * (1 + 1e-5));
        assert_close(avg, 3, 1e-10, 0);
        assert_close(r.maxd, dmax, 1e-8, 0);
        od_fw_result_free(&r);
    }

    /* refinement of pair designs keeps each pair sorted, apart, in bounds,
     * and does not lose */
    od_problem pb = pk_problem(&DIM2);
    od_design *xi = design_of(3, 2, (double[]){0.3, 2, 1, 30, 0.5, 10},
                              (double[]){0.3, 0.3, 0.4});
    od_refine_opts ro;
    od_refine_opts_default(&ro, OD_D, 0.1, 48);
    ro.min_gap = 0.05;
    od_refine_result rr;
    assert_int_equal(od_refine(&pb, &ro, xi, &rr), SS_OK);
    assert_true(rr.value > rr.value0);
    for (size_t i = 0; i < 3; i++) {
        assert_true(xi->x[2 * i] >= 0.1);
        assert_true(xi->x[2 * i + 1] - xi->x[2 * i] >= 0.05 * (1 - 1e-12));
        assert_true(xi->x[2 * i + 1] <= 48);
    }
    /* the pair optimum has the single-time optimum's value: M(pairs) =
     * 2 M(marginal), so ln det = 3 ln 2 + ln det of a one-time design;
     * the best one-time value is at the refined design of the test above
     * (computed here as its own route: 1/3 at the Atkinson times) */
    double Ma[3][3];
    od_design *at = design_of(3, 1, (double[]){0.2288, 1.3886, 18.417},
                              (double[]){1. / 3, 1. / 3, 1. / 3});
    pk_M(at, Ma);
    assert_true(rr.value <= 3 * log(2) + log(det3(Ma)) + 1e-6);
    assert_true(rr.value >= 3 * log(2) + log(det3(Ma)) - 1e-3);
    od_design_free(at);
    od_design_free(xi);
    gsl_matrix_free(c2);
    gsl_matrix_free(c3);
}

/* ---- efficiency ----------------------------------------------------------------- */

/* Uniform on {-1, -1/2, 0, 1/2, 1} for the quadratic: m2 = 1/2, m4 =
 * 0.425, det M = m2 (m4 - m2^2) (M has the pattern [[1,0,m2],[0,m2,0],
 * [m2,0,m4]]); D-optimal det 4/27. A of the line: uniform on {-1, 0, 1}
 * has M = diag(1, 2/3), tr M^-1 = 5/2 against 2. */
static void test_efficiency(void **state)
{
    (void)state;
    od_problem q3 = poly_problem(&Q3), q2 = poly_problem(&Q2);
    od_design *opt = design_of(3, 1, (double[]){-1, 0, 1},
                               (double[]){1. / 3, 1. / 3, 1. / 3});
    od_design *u5 = design_of(5, 1, (double[]){-1, -0.5, 0, 0.5, 1},
                              (double[]){0.2, 0.2, 0.2, 0.2, 0.2});
    size_t sub[] = {2};
    od_criterion cs[4] = {
        {OD_D, 0, NULL}, {OD_A, 0, NULL}, {OD_E, 0, NULL}, {OD_DS, 1, sub}};
    for (int k = 0; k < 4; k++) {
        double e;
        assert_int_equal(od_efficiency(&q3, &cs[k], u5, u5, &e), SS_OK);
        assert_close_msg(e, 1, 1e-14, 0, "self");
    }
    double e;
    assert_int_equal(od_efficiency(&q3, &cs[0], u5, opt, &e), SS_OK);
    double m2 = 0.5, m4 = (1 + 1.0 / 16 + 1.0 / 16 + 1) / 5;
    assert_close(e, cbrt(m2 * (m4 - m2 * m2) / (4.0 / 27)), 1e-12, 0);
    od_design *l3 = design_of(3, 1, (double[]){-1, 0, 1},
                              (double[]){1. / 3, 1. / 3, 1. / 3});
    od_design *l2 = design_of(2, 1, (double[]){-1, 1}, (double[]){0.5, 0.5});
    assert_int_equal(od_efficiency(&q2, &cs[1], l3, l2, &e), SS_OK);
    assert_close(e, 2 / 2.5, 1e-12, 0);
    /* a singular design is worth nothing for D */
    od_design *one = design_of(1, 1, (double[]){0.5}, (double[]){1});
    assert_int_equal(od_efficiency(&q3, &cs[0], one, opt, &e), SS_OK);
    assert_close(e, 0, 0, 0);
    /* a singular reference is refused */
    assert_int_equal(od_efficiency(&q3, &cs[0], opt, one, &e), SS_ERR_RANGE);
    od_design_free(one);
    od_design_free(l2);
    od_design_free(l3);
    od_design_free(u5);
    od_design_free(opt);
}

/* ---- refusals and reports ---------------------------------------------------------- */

/* Start on {-1, 1} only: f(-1) = (1,-1,1), f(1) = (1,1,1) leave the null
 * direction (1, 0, -1)/sqrt 2, i.e. b0 - b2, and nothing of b1. */
static void test_singular_start(void **state)
{
    (void)state;
    od_problem pb = poly_problem(&Q3);
    gsl_matrix *cand = grid201();
    double *w0 = calloc(201, sizeof *w0);
    w0[0] = w0[200] = 0.5;
    od_fw_opts o;
    od_fw_opts_default(&o, OD_D);
    od_fw_result r;
    assert_int_equal(od_fedorov_wynn(&pb, cand, w0, NULL, &o, &r),
                     SS_ERR_RANGE);
    const char *m = ss_last_error()->msg;
    assert_non_null(strstr(m, "singular"));
    assert_non_null(strstr(m, "rank 2 of 3"));
    assert_non_null(strstr(m, "0.7071 b0 - 0.7071 b2") ?
                    strstr(m, "0.7071 b0 - 0.7071 b2") :
                    strstr(m, "-0.7071 b0 + 0.7071 b2"));
    assert_null(strstr(m, "b1"));
    assert_null(r.design);
    free(w0);
    gsl_matrix_free(cand);
}

static void test_not_converged(void **state)
{
    (void)state;
    od_problem pb = poly_problem(&Q3);
    gsl_matrix *cand = grid201();
    od_fw_opts o;
    od_fw_opts_default(&o, OD_D);
    o.max_iter = 2;
    od_fw_result r;
    assert_int_equal(od_fedorov_wynn(&pb, cand, NULL, NULL, &o, &r), SS_OK);
    assert_int_equal(r.converged, 0);
    assert_int_equal(r.iter, 2);
    assert_non_null(strstr(r.warning, "not converged"));
    assert_true(r.fw_maxd > 3 * (1 + 1e-6));
    od_fw_result_free(&r);

    /* Ctrl-C: interrupted, the start kept */
    o.max_iter = 1000;
    ss_interrupt_raise();
    assert_int_equal(od_fedorov_wynn(&pb, cand, NULL, NULL, &o, &r),
                     SS_ERR_INTERRUPTED);
    ss_interrupt_clear();
    assert_non_null(r.design);
    assert_int_equal(r.iter, 0);
    assert_int_equal(r.design->n, 201);
    od_fw_result_free(&r);
    gsl_matrix_free(cand);
}

static void test_bad_input(void **state)
{
    (void)state;
    gsl_matrix *c;
    assert_int_equal(od_cand_subsets((double[]){1, 3, 2}, 3, 2, &c),
                     SS_ERR_RANGE);
    assert_null(c);
    assert_int_equal(od_cand_subsets((double[]){1, 2}, 2, 3, &c),
                     SS_ERR_RANGE);
    assert_int_equal(od_cand_grid(1, 1, 5, &c), SS_ERR_RANGE);
    /* unsorted candidate sequence */
    od_problem pb = pk_problem(&DIM2);
    gsl_matrix *bad = gsl_matrix_alloc(2, 2);
    gsl_matrix_set(bad, 0, 0, 1), gsl_matrix_set(bad, 0, 1, 2);
    gsl_matrix_set(bad, 1, 0, 5), gsl_matrix_set(bad, 1, 1, 3);
    od_fw_opts o;
    od_fw_opts_default(&o, OD_D);
    od_fw_result r;
    assert_int_equal(od_fedorov_wynn(&pb, bad, NULL, NULL, &o, &r),
                     SS_ERR_RANGE);
    assert_non_null(strstr(ss_last_error()->msg, "increase"));
    gsl_matrix_free(bad);
    /* Ds index out of range */
    od_problem q3 = poly_problem(&Q3);
    size_t sub[] = {3};
    od_criterion ds = {OD_DS, 1, sub};
    od_design *xi = design_of(3, 1, (double[]){-1, 0, 1},
                              (double[]){1. / 3, 1. / 3, 1. / 3});
    double v;
    assert_int_equal(od_criterion_value(&q3, &ds, xi, &v), SS_ERR_RANGE);
    /* a refinement start outside its box */
    od_refine_opts ro;
    od_refine_opts_default(&ro, OD_D, 0, 0.5);
    od_refine_result rr;
    assert_int_equal(od_refine(&q3, &ro, xi, &rr), SS_ERR_RANGE);
    od_design_free(xi);
}

int main(void)
{
    ss_gsl_install_handler();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sensitivity_closed_forms),
        cmocka_unit_test(test_fw_quadratic_D),
        cmocka_unit_test(test_fw_A_Ds_E),
        cmocka_unit_test(test_fw_start_design),
        cmocka_unit_test(test_pk_gradient),
        cmocka_unit_test(test_pk_D_optimal),
        cmocka_unit_test(test_multi_time),
        cmocka_unit_test(test_efficiency),
        cmocka_unit_test(test_singular_start),
        cmocka_unit_test(test_not_converged),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

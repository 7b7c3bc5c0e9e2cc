/* path and map: power-law exponents recovered on known cases, singular
 * sets marked, bad input refused with positions and nothing stored, export
 * writing files atomically. Runs the commands through the interpreter and
 * checks the stored result objects, so it tests numbers, not formatting. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/interrupt.h"
#include "core/sink.h"
#include "fim/map.h"
#include "fim/path.h"
#include "lang/interp.h"
#include "lang/results.h"
#include "lang/session.h"
#include "fixture.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const path_result *get_path(fx *f, const char *name)
{
    ss_obj *o = session_find(f->s, name);
    assert_non_null(o);
    assert_ptr_equal(o->type, &obj_path);
    return o->ptr;
}

static const map_result *get_map(fx *f, const char *name)
{
    ss_obj *o = session_find(f->s, name);
    assert_non_null(o);
    assert_ptr_equal(o->type, &obj_map);
    return o->ptr;
}

static void expect_exponent(const path_result *p, size_t j, double k,
                            double tol)
{
    assert_true(j < p->k);
    if (p->nfit[j] == 0 || !(fabs(p->expo[j] - k) < tol))
        fail_msg("eigenvalue %zu: exponent %g (+- %g, %zu points), want %g",
                 j + 1, p->expo[j], p->expo_se[j], p->nfit[j], k);
}

/* Near w1 = w2 with v fixed: 1, u^2, u^6 (docs/theory.md section 2.1,
 * "Eigenvalue laws"); the distance to the set is |u|/sqrt2, so the
 * exponents carry over. */
static void test_gmm_exponents(void **state)
{
    fx *f = *state;
    fx_ok(f, "model g gmm v=0.3 w1=0 w2=1");
    fx_ok(f, "path g w2: 1 -> 0 log steps=25 decades=8 as p");
    const path_result *p = get_path(f, "p");
    assert_string_equal(p->set_name, "w1 = w2");
    assert_int_equal(p->done, 25);
    expect_exponent(p, 0, 0, 1e-3);
    expect_exponent(p, 1, 2, 1e-3);
    expect_exponent(p, 2, 6, 1e-3);
    /* the same through the blow-down coordinate u = w2 - w1 */
    fx_ok(f, "set g w1=0.5 w2=1.5");
    fx_ok(f, "path g u: 1 -> 0 log steps=25 decades=8 as q");
    p = get_path(f, "q");
    expect_exponent(p, 1, 2, 1e-3);
    expect_exponent(p, 2, 6, 1e-3);
    /* the path kept the mean m = (1-v) w1 + v w2 = 0.8 fixed */
    double m_end = 0.7 * gsl_matrix_get(p->theta, 24, 1) +
                   0.3 * gsl_matrix_get(p->theta, 24, 2);
    assert_true(fabs(m_end - 0.8) < 1e-12);
}

/* Hartigan's form: lambda_min ~ mu^4/2; in d = mu/sqrt2 that is 2 d^4. */
static void test_hartigan(void **state)
{
    fx *f = *state;
    fx_ok(f, "model g gmm v=0.3 w1=0 w2=1");
    fx_ok(f, "fix g w1=0");
    fx_ok(f, "path g w2: 1 -> 0 log steps=21 as p");
    const path_result *p = get_path(f, "p");
    assert_int_equal(p->k, 2);
    expect_exponent(p, 1, 4, 1e-3);
    assert_true(fabs(p->prefactor[1] - 2.0) < 1e-3);
}

/* Linear spacing reaches the end exactly; at w1 = w2 the rank is 1. */
static void test_linear_path_reaches_end(void **state)
{
    fx *f = *state;
    fx_ok(f, "model g gmm v=0.3 w1=0 w2=1");
    fx_ok(f, "path g w2: 1 -> 0 steps=5 as p");
    const path_result *p = get_path(f, "p");
    assert_true(p->t[4] == 0.0);
    assert_int_equal(p->rank[4], 1);
    assert_true(isinf(p->logdet[4]) && p->logdet[4] < 0);
    assert_int_equal(p->rank[0], 3);
}

/* mlp2 near the overlap J1 = J2 (docs/theory.md section 2.2, "Eigenvalue
 * law near the overlap"): d eigenvalues ~ |u|^2 and one ~ |u|^6, the
 * others of order 1; both activations, d = 1 and 2. */
static void test_mlp2_overlap_exponents(void **state)
{
    fx *f = *state;
    const char *models[] = {
        "model n mlp2 d=1 w1=0.7 w2=0.3 J1=0.5 J2=1.5",
        "model n mlp2 d=1 act=tanh w1=0.7 w2=0.3 J1=0.5 J2=1.5",
        "model n mlp2 d=2 w1=0.7 w2=0.3 J1=[0.5,0.2] J2=[1.5,0.2]",
    };
    const char *paths[] = {"path n u: 1 -> 0 log steps=13 as p",
                           "path n u: 1 -> 0 log steps=9 decades=4 as p",
                           "path n u_1: 1 -> 0 log steps=13 as p"};
    for (int c = 0; c < 3; c++) {
        fx_ok(f, models[c]);
        fx_ok(f, paths[c]);
        const path_result *p = get_path(f, "p");
        assert_string_equal(p->set_name, "J1 = J2");
        size_t d = c == 2 ? 2 : 1, k = p->k;
        for (size_t j = 0; j + d + 1 < k; j++)
            expect_exponent(p, j, 0, 2e-3);
        for (size_t j = k - d - 1; j + 1 < k; j++)
            expect_exponent(p, j, 2, 2e-3);
        expect_exponent(p, k - 1, 6, 5e-3);
    }
}

/* ARMA(1,1) toward ar1 = -ma1: lambda_min ~ delta^2 / (2 (1 - m^2)^3)
 * with m = (ma1 - ar1)/2 held fixed; d = |delta|/sqrt2, so in d the
 * prefactor is 1/(1 - m^2)^3. */
static void test_arma_exponent_and_constant(void **state)
{
    fx *f = *state;
    fx_ok(f, "model a arma ar=[0.5] ma=[-0.45]");
    fx_ok(f, "path a delta: 0.5 -> 0 log steps=15 decades=7 as p");
    const path_result *p = get_path(f, "p");
    assert_string_equal(p->set_name, "ar1 = -ma1");
    expect_exponent(p, 0, 0, 1e-4);
    expect_exponent(p, 1, 2, 1e-4);
    double m = -0.475, want = 1.0 / pow(1.0 - m * m, 3);
    assert_true(fabs(p->prefactor[1] / want - 1.0) < 1e-4);
    /* on the line itself: rank 1 */
    fx_ok(f, "set a ar1=0.5 ma1=-0.5");
    fx_ok(f, "path a ar1: 0.5 -> 0.4 steps=2 as q");
    assert_int_equal(get_path(f, "q")->rank[0], 1);
}

/* A path through the non-stationary region is refused before any work. */
static void test_arma_path_leaves_stationary_region(void **state)
{
    fx *f = *state;
    fx_ok(f, "model a arma ar=[0.5] ma=[-0.45]");
    fx_fail(f, "path a ar1: 0.5 -> 1.5", 1,
            "leaves the valid region at step 11 (ar1 = 1.02632): not "
            "stationary");
    fx_ok(f, "map a x=ar1:-1.5..1.5 y=ma1:-0.9..0.9 res=7x5 as m");
    const map_result *r = get_map(f, "m");
    /* |ar1| >= 1 is outside: the columns at -1.5, -1, 1, 1.5 */
    assert_int_equal(r->n_invalid, 4 * 5);
}

/* Rows are computed on several threads: the map is the same on 1 and 4
 * (values, cell states, set marks, counts and the minimum). */
static void test_map_threads_identical(void **state)
{
    fx *f = *state;
    fx_ok(f, "model g gmm v=0.3 w1=0 w2=1.5");
    const model *m = session_find(f->s, "g")->ptr;
    map_spec sp = {0};
    assert_int_equal(model_axis_find(m, "w1", &sp.x), SS_OK);
    assert_int_equal(model_axis_find(m, "w2", &sp.y), SS_OK);
    sp.x0 = -1, sp.x1 = 1, sp.y0 = -1, sp.y1 = 1;
    sp.nx = 37, sp.ny = 29;
    sp.stat = MAP_LOGDET;
    sp.tol = 1e-10;
    map_result *r[2];
    const unsigned th[2] = {1, 4};
    for (int q = 0; q < 2; q++) {
        sp.threads = th[q];
        assert_int_equal(map_run(m, &sp, NULL, NULL, &r[q]), SS_OK);
    }
    size_t cells = sp.nx * sp.ny;
    assert_memory_equal(r[0]->val, r[1]->val, cells * sizeof(double));
    assert_memory_equal(r[0]->status, r[1]->status, cells);
    assert_memory_equal(r[0]->sing, r[1]->sing, cells);
    assert_int_equal(r[0]->n_floor, r[1]->n_floor);
    assert_int_equal(r[0]->n_singular, r[1]->n_singular);
    assert_true(r[0]->n_singular > 0);
    assert_int_equal(r[0]->imin, r[1]->imin);
    assert_int_equal(r[0]->rows_done, sp.ny);
    map_result_free(r[0]);
    map_result_free(r[1]);
}

/* A range whose width overflows a double still has finite grid points
 * (issue 7: -1e308..1e308 printed NaN coordinates). */
static void test_map_huge_range(void **state)
{
    fx *f = *state;
    fx_ok(f, "model g gmm");
    fx_ok(f, "map g x=w1:-1e308..1e308 y=w2:-1..1 res=5x3 as m");
    const map_result *r = get_map(f, "m");
    for (size_t i = 0; i < r->nx; i++)
        assert_true(isfinite(map_x(r, i)));
    assert_true(map_x(r, 0) == -1e308 && map_x(r, 4) == 1e308);
    assert_true(map_x(r, 2) == 0.0);
    assert_null(strstr(fx_out(f), "nan"));
}

/* map and eig agree where G alone cannot resolve the smallest eigenvalue:
 * near w1 = w2 it is ~1e-26 of the largest (the u^6 law), far below G's
 * floor 8 eps k lambda_max, and both take it from the root factor. */
static void test_map_floor_matches_eig(void **state)
{
    fx *f = *state;
    fx_ok(f, "model g gmm v=0.3 w1=0.2 w2=0.2001");
    fx_ok(f, "map g x=w1:0.2..0.3 y=w2:0.2001..0.3 res=2x2 stat=lambda_min "
             "as m");
    const map_result *r = get_map(f, "m");
    assert_int_equal(r->status[0], MAP_CELL_OK);
    fx_ok(f, "eig g as e");
    ss_obj *o = session_find(f->s, "e");
    assert_non_null(o);
    const eig_obj *e = o->ptr;
    double want = gsl_vector_get(e->spec->eval, e->spec->k - 1);
    assert_true(want > 0 && want > e->spec->floor);
    /* cell (0, 0) is the model's point itself */
    assert_close(r->val[0], want, 1e-9, 0);
    /* only the corner w1 = w2 = 0.3, on the set itself, is at the floor */
    assert_int_equal(r->n_floor, 1);
    assert_true(r->val[3] == 0.0);
}

/* `log` between two ends of one sign is numpy's geomspace: both ends
 * included, every ratio equal (issue 7: it used to crowd onto TO). */
static void test_log_spacing_geometric(void **state)
{
    fx *f = *state;
    fx_ok(f, "model g gmm v=0.3 w1=0 w2=1");
    fx_ok(f, "path g w2: 0.2 -> 0.01 steps=20 log as p");
    const path_result *p = get_path(f, "p");
    assert_int_equal(p->spacing, PATH_GEOMETRIC);
    assert_true(p->t[0] == 0.2 && p->t[19] == 0.01);
    for (size_t i = 0; i < 20; i++)
        assert_close(p->t[i], 0.2 * pow(0.05, (double)i / 19.0), 1e-14, 0);
    /* within 0.0003 of the end: one point, not 11 */
    size_t crowd = 0;
    for (size_t i = 0; i < 20; i++)
        crowd += p->t[i] - 0.01 < 3e-4;
    assert_int_equal(crowd, 1);
    /* and the fits now find the exponents 0, 2, 6 (d = w2/sqrt2) */
    for (size_t j = 0; j < 3; j++) {
        char what[96];
        path_fit_verdict(p, j, what, sizeof what);
        assert_null(strstr(what, "no clean"));
    }
    expect_exponent(p, 1, 2, 0.01);
    expect_exponent(p, 2, 6, 0.01);
    /* decreasing toward a negative end works too */
    fx_ok(f, "path g w2: -1 -> -0.001 steps=4 log as q");
    p = get_path(f, "q");
    assert_close(p->t[1], -0.1, 1e-14, 0);
    assert_close(p->t[2], -0.01, 1e-14, 0);
    /* a segment: the distance |w2|/sqrt2 to w1 = w2 goes geometrically */
    fx_ok(f, "path g from=[0.3, 0, 1] to=[0.3, 0, 0.1] steps=5 log as s");
    p = get_path(f, "s");
    assert_int_equal(p->spacing, PATH_GEOMETRIC);
    for (size_t i = 0; i < 5; i++)
        assert_close(p->dist[i], pow(0.1, (double)i / 4.0) / sqrt(2.0),
                     1e-13, 0);
    /* opposite signs have no geometric spacing */
    fx_fail(f, "path g w2: 1 -> -1 log", 1, "needs FROM and TO of one sign");
    fx_fail(f, "path g from=[0.3, 0, 1] to=[0.3, 1, 2] log", 1,
            "log spacing of a segment needs");
}

/* TO = 0, TO on a singular set, or TO on the edge of the valid region:
 * the distance to TO shrinks geometrically over decades=. */
static void test_log_spacing_decades(void **state)
{
    fx *f = *state;
    fx_ok(f, "model g gmm v=0.3 w1=0.5 w2=1");
    fx_ok(f, "path g w2: 1 -> 0.5 steps=7 log decades=3 as p"); /* w1 = w2 */
    const path_result *p = get_path(f, "p");
    assert_int_equal(p->spacing, PATH_DECADES);
    for (size_t i = 0; i < 7; i++)
        assert_close(p->t[i] - 0.5, 0.5 * pow(10.0, -0.5 * (double)i),
                     1e-12, 0);
    fx_ok(f, "path g v: 0.5 -> 1 steps=5 log decades=4 as q"); /* v = 1 */
    p = get_path(f, "q");
    assert_close(1.0 - p->t[4], 0.5e-4, 1e-10, 0);
    fx_ok(f, "model a arma ar=[0.5] ma=[0.3]"); /* ma1 = 1: not invertible */
    fx_ok(f, "path a ma1: 0.3 -> 1 steps=3 log decades=2 as r");
    p = get_path(f, "r");
    assert_int_equal(p->spacing, PATH_DECADES);
    assert_close(1.0 - p->t[2], 0.7e-2, 1e-12, 0);
}

/* The reported interval exponent +- uncertainty covers the exact exponent
 * (gmm along u: 0, 2, 6; Hartigan: 4; docs/theory.md section 2.1) for
 * every steps=, with log and even spacing, though the regression error
 * alone does not. */
static void test_exponent_interval_covers(void **state)
{
    fx *f = *state;
    static const unsigned steps[] = {8, 13, 20, 30, 50, 100};
    static const char *const spacing[] = {"log", "log decades=3", ""};
    size_t se_misses = 0, checked = 0;
    for (int hart = 0; hart < 2; hart++)
        for (size_t a = 0; a < sizeof steps / sizeof *steps; a++)
            for (size_t b = 0; b < 3; b++) {
                char cmd[128];
                fx_ok(f, "model g gmm v=0.3 w1=0 w2=1");
                if (hart)
                    fx_ok(f, "fix g w1=0");
                snprintf(cmd, sizeof cmd, "path g %s: 1 -> 0 steps=%u %s "
                                          "as p",
                         hart ? "w2" : "u", steps[a], spacing[b]);
                fx_ok(f, cmd);
                const path_result *p = get_path(f, "p");
                const double want3[] = {0, 2, 6}, want2[] = {0, 4};
                const double *want = hart ? want2 : want3;
                for (size_t j = 0; j < p->k; j++) {
                    if (p->nfit[j] == 0)
                        continue;
                    char what[96];
                    path_fit_verdict(p, j, what, sizeof what);
                    if (isnan(p->expo_unc[j])) { /* 3 points: no interval */
                        assert_non_null(strstr(what, "too few points"));
                        continue;
                    }
                    checked++;
                    double dev = fabs(p->expo[j] - want[j]);
                    if (!(dev <= p->expo_unc[j]))
                        fail_msg("%s: lambda%zu = %.6f +- %.3g misses %g",
                                 cmd, j + 1, p->expo[j], p->expo_unc[j],
                                 want[j]);
                    se_misses += dev > 2 * p->expo_se[j];
                    if (spacing[b][0] == 0 && !strstr(what, "unreliable") &&
                        !strstr(what, "no clean"))
                        fail_msg("%s: even spacing not marked: %s", cmd,
                                 what);
                }
            }
    assert_true(checked > 60);
    assert_true(se_misses > 10); /* the old "+- SE" was no interval */
    /* the case: 5.72 for 6 on an even path */
    fx_ok(f, "model g gmm v=0.3 w1=0 w2=1");
    fx_ok(f, "path g u: 1 -> 0 steps=30 as p");
    const path_result *p = get_path(f, "p");
    assert_true(fabs(p->expo[2] - 6) > 0.2);
    assert_true(fabs(p->expo[2] - 6) <= p->expo_unc[2]);
}

/* The fit sorts once: a long path given farthest-first (the worst case of
 * the old insertion sort, minutes at 10^5 points) fits at once, and a
 * Ctrl-C during the fit leaves the rest unfitted. */
static void test_fit_sorts_fast_and_stops(void **state)
{
    (void)state;
    size_t n = 200000;
    path_result *p = calloc(1, sizeof *p);
    assert_non_null(p);
    p->npts = p->done = n;
    p->k = 2;
    p->spacing = PATH_DECADES;
    p->dist = malloc(n * sizeof *p->dist);
    p->floor = calloc(n, sizeof *p->floor);
    p->eval = gsl_matrix_alloc(n, 2);
    p->expo = malloc(2 * sizeof(double));
    p->expo_se = malloc(2 * sizeof(double));
    p->expo_unc = malloc(2 * sizeof(double));
    p->prefactor = malloc(2 * sizeof(double));
    p->fit_dmin = malloc(2 * sizeof(double));
    p->fit_dmax = malloc(2 * sizeof(double));
    p->nfit = malloc(2 * sizeof(size_t));
    for (size_t i = 0; i < n; i++) {
        double d = pow(10.0, -6.0 * (double)(n - 1 - i) / (double)(n - 1));
        p->dist[i] = d; /* nearest last */
        gsl_matrix_set(p->eval, i, 0, 3 * d * d * d);
        gsl_matrix_set(p->eval, i, 1, 2 * d * d * (1 + 100 * d));
    }
    path_fit(p);
    assert_int_equal(p->nfit[0], n / 2);
    assert_close(p->expo[0], 3, 1e-9, 0);
    assert_close(p->prefactor[0], 3, 1e-8, 0);
    assert_true(fabs(p->expo[1] - 2) > 1e-4); /* curvature 1 + 100 d */
    assert_true(fabs(p->expo[1] - 2) <= p->expo_unc[1]);
    ss_interrupt_raise();
    path_fit(p);
    ss_interrupt_clear();
    assert_int_equal(p->nfit[0] + p->nfit[1], 0);
    path_result_free(p);
}

static void test_path_errors(void **state)
{
    fx *f = *state;
    fx_ok(f, "model g gmm v=0.3 w1=0 w2=1");
    fx_fail(f, "path g nosuch: 1 -> 0", 8,
            "no parameter or coordinate 'nosuch'");
    fx_fail(f, "path g w2: 1 -> 1", 12, "empty path");
    fx_fail(f, "path g w2: 1 0", 12, "expected w2: FROM -> TO");
    fx_fail(f, "path g v: 0.5 -> 1.5", 1,
            "leaves the valid region at step 11 (v = 1.02632)");
    fx_fail(f, "path g w2: 1 -> 0 steps=1", 25, "steps=1 is outside");
    fx_fail(f, "path g w2: 1 -> 0 log decades=40", 31, "decades= must lie");
    fx_fail(f, "path g from=[0.3, 0] to=[0.3, 0, 1]", 13,
            "needs a vector of all 3 parameters");
    fx_fail(f, "path g from=[0.3, 0, 1]", 8,
            "needs both from=[...] and to=[...]");
    fx_fail(f, "path nosuch w2: 1 -> 0", 6, "no model named 'nosuch'");
    /* a path stored under a model's name would replace it: refused */
    fx_fail(f, "path g w2: 1 -> 0 as g", 22, "'g' is a model");
}

static void test_map_marks_and_minimum(void **state)
{
    fx *f = *state;
    fx_ok(f, "model g gmm v=0.3 w1=0 w2=1");
    fx_ok(f, "map g x=w1:-1..1 y=w2:-1..1 res=21x21 as m");
    const map_result *r = get_map(f, "m");
    assert_int_equal(r->nx, 21);
    assert_int_equal(r->ny, 21);
    /* the diagonal is the singular set w1 = w2 and nothing else is: the
     * plane never meets v = 0 or v = 1 (v = 0.3 throughout) */
    size_t marked = 0;
    for (size_t j = 0; j < r->ny; j++)
        for (size_t i = 0; i < r->nx; i++) {
            signed char q = r->sing[j * r->nx + i];
            if (i == j) {
                assert_true(q >= 0);
                assert_string_equal(r->set_names[q], "w1 = w2");
                assert_true(isinf(r->val[j * r->nx + i]));
            }
            if (q >= 0)
                marked++;
        }
    assert_true(marked >= 21 && marked <= 3 * 21);
    assert_int_equal(r->n_floor, 21);
    assert_true(r->has_min);
    assert_int_equal(r->imin % r->nx, r->imin / r->nx); /* on the diagonal */
    /* a grid value against `eig` at the same point */
    fx_ok(f, "set g w1=-0.5 w2=0.5");
    fx_ok(f, "eig g as e");
    size_t c = 15 * r->nx + 5; /* w1 = -0.5, w2 = 0.5 */
    assert_true(fabs(map_x(r, 5) + 0.5) < 1e-15);
    assert_true(fabs(map_y(r, 15) - 0.5) < 1e-15);
    ss_obj *o = session_find(f->s, "e");
    assert_non_null(o);
    const eig_obj *ev = o->ptr;
    assert_true(fabs(r->val[c] - ev->spec->logdet) <
                1e-9 * fabs(ev->spec->logdet));
}

static void test_map_rank_plane(void **state)
{
    fx *f = *state;
    fx_ok(f, "model g gmm v=0.3 w1=0 w2=1");
    fx_ok(f, "map g x=v:0..1 y=u:-1..1 res=5x5 stat=rank as r");
    const map_result *r = get_map(f, "r");
    /* v = 0 and v = 1 columns: rank 2 (u != 0); u = 0 row: rank 1 */
    for (size_t j = 0; j < 5; j++)
        for (size_t i = 0; i < 5; i++) {
            double want = j == 2 ? 1 : (i == 0 || i == 4) ? 2 : 3;
            if (r->val[j * 5 + i] != want)
                fail_msg("rank at v=%g u=%g: %g, want %g", map_x(r, i),
                         map_y(r, j), r->val[j * 5 + i], want);
        }
}

static void test_map_errors(void **state)
{
    fx *f = *state;
    fx_ok(f, "model g gmm v=0.3 w1=0 w2=1");
    fx_fail(f, "map g x=nosuch:0..1 y=w2:0..1", 9,
            "no parameter or coordinate");
    fx_fail(f, "map g x=w1:1..1 y=w2:0..1", 9, "empty range");
    fx_fail(f, "map g x=w1:0..1 y=w1:0..1", 19, "different axes");
    fx_fail(f, "map g x=w1:0..1 y=w2:0..1 res=5000x5000", 31, "too large");
    fx_fail(f, "map g x=w1:0..1 y=w2:0..1 res=1x5", 31, "at least 2");
    fx_fail(f, "map g x=w1:0..1 y=w2:0..1 res=abc", 31, "res= takes WxH");
    fx_fail(f, "map g x=w1:0..1 y=w2:0..1 stat=volume", 32, "unknown stat");
    fx_fail(f, "map g x=w1 y=w2:0..1", 9, "x= needs PARAM:FROM..TO");
    fx_fail(f, "map g y=w2:0..1", 1, "map needs x=PARAM:FROM..TO");
}

static void test_map_invalid_region_and_interrupt(void **state)
{
    fx *f = *state;
    /* v beyond [0, 1] is outside the model: counted, not computed */
    fx_ok(f, "model g gmm v=0.3 w1=0 w2=1");
    fx_ok(f, "map g x=v:-0.5..1.5 y=w2:-1..1 res=9x3 as m");
    const map_result *r = get_map(f, "m");
    assert_int_equal(r->n_invalid, 2 * 2 * 3); /* v = -0.5,-0.25,1.25,1.5 */
    assert_true(isnan(r->val[0]));
}

static void test_export(void **state)
{
    fx *f = *state;
    char dir[] = "/tmp/ss_exportXXXXXX";
    assert_non_null(mkdtemp(dir));
    char cmd[256], path[200];
    fx_ok(f, "model g gmm v=0.3 w1=0 w2=1");
    fx_ok(f, "map g x=w1:-1..1 y=w2:-1..1 res=4x3 as m");
    snprintf(path, sizeof path, "%s/m.csv", dir);
    snprintf(cmd, sizeof cmd, "export m \"%s\"", path);
    fx_ok(f, cmd);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    char line[256];
    int lines = 0;
    assert_non_null(fgets(line, sizeof line, fp));
    assert_int_equal(line[0], '#'); /* what the file holds, as a comment */
    assert_non_null(fgets(line, sizeof line, fp));
    assert_string_equal(line, "w1,w2,logdet,status,singular_set\n");
    while (fgets(line, sizeof line, fp))
        lines++;
    fclose(fp);
    assert_int_equal(lines, 12);
    /* a data set row by row */
    fx_ok(f, "sample g n=7 seed=3 as d");
    snprintf(path, sizeof path, "%s/d.csv", dir);
    snprintf(cmd, sizeof cmd, "export d \"%s\"", path);
    fx_ok(f, cmd);
    fp = fopen(path, "r");
    assert_non_null(fp);
    lines = 0;
    while (fgets(line, sizeof line, fp))
        lines++;
    fclose(fp);
    assert_int_equal(lines, 9); /* comment, header, 7 rows */
    /* into a missing directory: a clear error, no stray temp file */
    fx_fail(f, "export d /nonexistent/dir/d.csv", 10, "cannot write");
    fx_fail(f, "export nosuch x.csv", 8, "no object named 'nosuch'");
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    ss_gsl_install_handler();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_gmm_exponents, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_hartigan, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_linear_path_reaches_end, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_mlp2_overlap_exponents, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_arma_exponent_and_constant,
                                        fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_arma_path_leaves_stationary_region,
                                        fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_path_errors, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_log_spacing_geometric, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_log_spacing_decades, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_exponent_interval_covers, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_fit_sorts_fast_and_stops, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_map_marks_and_minimum, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_map_rank_plane, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_map_errors, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_map_invalid_region_and_interrupt,
                                        fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_export, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_map_threads_identical, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_map_huge_range, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_map_floor_matches_eig, fx_setup,
                                        fx_teardown),
    };
    return cmocka_run_group_tests_name("scan", tests, NULL, NULL);
}

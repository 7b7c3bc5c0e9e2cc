/* Unit tests of the mlp2 family (two-hidden-unit perceptron,
 * docs/theory.md section 2.2): layout and options; scores against finite
 * differences; the exact FIM against Monte Carlo, the erf closed form
 * against its quadrature root and mpmath, tanh against mpmath and against
 * symmetries the tensor rule does not have (rotations, embedding d = 1 in
 * d = 2); ranks on every singular set; the eigenvalue laws |u|^2 and |u|^6
 * near J1 = J2 (and, by the symmetry (w2, J2) -> (-w2, -J2) of odd g, near
 * J1 = -J2); the blow-down chart and expansion; the refusals.
 *
 * Timing by hand: MLP2_BENCH=1 ./test_mlp2 prints the cost of one exact FIM
 * (meaningful only in a build without sanitizers). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/status.h"
#include "model/model.h"
#include "testutil.h"

#include <gsl/gsl_blas.h>
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort_vector.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Declared in model.h once the family is registered; repeated here so the
 * test builds either way. */

#define DMAXT 3
#define PMAXT (2 + 2 * DMAXT)

/* ---- points ---------------------------------------------------------------- */

typedef struct {
    const char *act;
    size_t d;
    double sigma, w1, w2;
    double J1[DMAXT], J2[DMAXT];
    const char *label;
} pt;

static model *make_pt(const pt *p)
{
    tu_args b;
    tu_args_init(&b);
    tu_args_num(&b, "d", (double)p->d);
    tu_args_str(&b, "act", p->act);
    tu_args_num(&b, "sigma", p->sigma);
    tu_args_num(&b, "w1", p->w1);
    tu_args_num(&b, "w2", p->w2);
    if (p->d == 1) {
        tu_args_num(&b, "J1", p->J1[0]);
        tu_args_num(&b, "J2", p->J2[0]);
    } else {
        tu_args_vec(&b, "J1", p->J1, p->d);
        tu_args_vec(&b, "J2", p->J2, p->d);
    }
    model *m = NULL;
    ss_status st = model_alloc(model_mlp2, b.a, b.n, &m);
    if (st != SS_OK)
        print_error("model_alloc(%s): %s\n", p->label, ss_last_error()->msg);
    assert_int_equal(st, SS_OK);
    assert_non_null(m);
    assert_int_equal(m->P, 2 + 2 * p->d);
    return m;
}

/* The point with parameters replaced by theta (same options). */
static pt with_theta(const pt *p, const double *th)
{
    pt q = *p;
    q.w1 = th[0];
    q.w2 = th[1];
    for (size_t k = 0; k < p->d; k++) {
        q.J1[k] = th[2 + k];
        q.J2[k] = th[2 + p->d + k];
    }
    return q;
}

static gsl_matrix *exact_fim(const model *m, gsl_matrix **root)
{
    gsl_matrix *G = gsl_matrix_alloc(m->P, m->P);
    ss_status st = model_mlp2->fim_exact(m, m->theta, G, root);
    if (st != SS_OK)
        print_error("fim_exact: %s\n", ss_last_error()->msg);
    assert_int_equal(st, SS_OK);
    return G;
}

static const char *const acts[] = {"erf", "tanh"};

/* Generic points and points near and on the singular sets, for d = 1, 2. */
static pt point(const char *act, size_t d, double sigma, int kind)
{
    pt p = {act, d, sigma, 0.385, -0.73, {0.9, -0.4}, {-0.2, 1.1}, ""};
    if (d == 1) {
        p.J1[0] = 0.9;
        p.J2[0] = -1.3;
    }
    switch (kind) {
    case 0: p.label = "generic"; break;
    case 1: /* J1 = J2 */
        memcpy(p.J2, p.J1, sizeof p.J2);
        p.label = "J1 = J2";
        break;
    case 2: /* near J1 = J2 */
        for (size_t k = 0; k < d; k++)
            p.J2[k] = p.J1[k] + 1e-3 * (k == 0 ? 0.6 : 0.8);
        p.label = "near J1 = J2";
        break;
    case 3: /* J1 = -J2 */
        for (size_t k = 0; k < d; k++)
            p.J2[k] = -p.J1[k];
        p.label = "J1 = -J2";
        break;
    case 4:
        p.w1 = 0.0;
        p.label = "w1 = 0";
        break;
    case 5:
        p.w2 = 1e-4;
        p.label = "near w2 = 0";
        break;
    case 6:
        memset(p.J1, 0, sizeof p.J1);
        p.label = "J1 = 0";
        break;
    case 7:
        p.J2[0] = 1e-4;
        if (d > 1)
            p.J2[1] = -1e-4;
        p.label = "near J2 = 0";
        break;
    default: break;
    }
    return p;
}
#define NKINDS 8

/* ---- layout and options ----------------------------------------------------- */

static void test_layout(void **state)
{
    (void)state;
    assert_string_equal(model_mlp2->name, "mlp2");
    assert_non_null(model_mlp2->summary);
    assert_non_null(model_mlp2->help);
    assert_non_null(strstr(model_mlp2->help, "J1 = J2"));
    assert_non_null(strstr(model_mlp2->help, "z = (w1 - w2)/w"));
    assert_string_equal(model_mlp2->param_summary, "w1 w2 J1[d] J2[d]");
    assert_int_equal(model_mlp2->nopts, 3);
    assert_string_equal(model_mlp2->opts[0].name, "d");
    assert_int_equal(model_mlp2->opts[0].kind, MOPT_INT);
    assert_true(model_mlp2->opts[0].def == 1 && model_mlp2->opts[0].lo == 1 &&
                model_mlp2->opts[0].hi == 16);
    assert_string_equal(model_mlp2->opts[1].name, "act");
    assert_int_equal(model_mlp2->opts[1].kind, MOPT_ENUM);
    assert_string_equal(model_mlp2->opts[1].choices[0], "erf");
    assert_string_equal(model_mlp2->opts[1].choices[1], "tanh");
    assert_null(model_mlp2->opts[1].choices[2]);
    assert_string_equal(model_mlp2->opts[2].name, "sigma");
    assert_true(model_mlp2->opts[2].def == 1 &&
                model_mlp2->opts[2].lo == 1e-6 &&
                model_mlp2->opts[2].hi == 1e6);
    assert_null(model_mlp2->check);
    assert_null(model_mlp2->describe);
    assert_null(model_mlp2->release);
    assert_null(model_mlp2->copy_state);

    /* defaults, d = 1 */
    model *m = NULL;
    assert_int_equal(model_alloc(model_mlp2, NULL, 0, &m), SS_OK);
    assert_int_equal(m->P, 4);
    assert_int_equal(m->ngroups, 0);
    static const char *n1[] = {"w1", "w2", "J1", "J2"};
    static const double d1[] = {1.0, -0.5, 1.0, -0.3};
    for (int i = 0; i < 4; i++) {
        assert_string_equal(MODEL_PNAME(m, i), n1[i]);
        assert_true(m->theta[i] == d1[i]);
        assert_true(isinf(model_param_lo(m, i)) && model_param_lo(m, i) < 0 &&
                    isinf(model_param_hi(m, i)) && model_param_hi(m, i) > 0);
        assert_int_equal(model_param_group(m, i), -1);
    }
    assert_true(m->opt[0] == 1.0 && m->opt[2] == 1.0);
    assert_string_equal(m->opt_choice[1], "erf");
    char buf[16];
    assert_int_equal(model_mlp2->data_cols(m), 2);
    assert_string_equal(model_mlp2->data_colname(m, 0, buf, sizeof buf), "x");
    assert_string_equal(model_mlp2->data_colname(m, 1, buf, sizeof buf), "y");
    model *c = model_clone(m);
    assert_non_null(c);
    assert_true(c->theta[3] == -0.3);
    model_free(c);
    model_free(m);

    /* d = 3: groups J1, J2, defaults, column names */
    tu_args b;
    tu_args_init(&b);
    tu_args_num(&b, "d", 3);
    tu_args_str(&b, "act", "tanh");
    assert_int_equal(model_alloc(model_mlp2, b.a, b.n, &m), SS_OK);
    assert_int_equal(m->P, 8);
    static const char *n3[] = {"w1",   "w2",   "J1_1", "J1_2",
                               "J1_3", "J2_1", "J2_2", "J2_3"};
    static const double d3[] = {1.0, -0.5, 1.0, 0.0, 0.0, -0.3, 0.8, 0.0};
    for (int i = 0; i < 8; i++) {
        assert_string_equal(MODEL_PNAME(m, i), n3[i]);
        assert_true(m->theta[i] == d3[i]);
    }
    assert_int_equal(m->ngroups, 2);
    assert_string_equal(m->groups[0].name, "J1");
    assert_int_equal(m->groups[0].first, 2);
    assert_int_equal(m->groups[0].count, 3);
    assert_string_equal(m->groups[1].name, "J2");
    assert_int_equal(m->groups[1].first, 5);
    assert_int_equal(m->groups[1].count, 3);
    assert_int_equal(model_param_group(m, 4), 0);
    assert_int_equal(model_param_group(m, 5), 1);
    assert_string_equal(m->opt_choice[1], "tanh");
    assert_int_equal(model_mlp2->data_cols(m), 4);
    assert_string_equal(model_mlp2->data_colname(m, 0, buf, sizeof buf), "x1");
    assert_string_equal(model_mlp2->data_colname(m, 2, buf, sizeof buf), "x3");
    assert_string_equal(model_mlp2->data_colname(m, 3, buf, sizeof buf), "y");
    model_free(m);

    /* J1=[1,0.5] assigns the group (d = 2); J2=0.25 sets all components */
    static const double j1[] = {1.0, 0.5};
    tu_args_init(&b);
    tu_args_num(&b, "d", 2);
    tu_args_vec(&b, "J1", j1, 2);
    tu_args_num(&b, "J2", 0.25);
    assert_int_equal(model_alloc(model_mlp2, b.a, b.n, &m), SS_OK);
    assert_true(m->theta[2] == 1.0 && m->theta[3] == 0.5);
    assert_true(m->theta[4] == 0.25 && m->theta[5] == 0.25);
    model_free(m);
}

static void test_option_errors(void **state)
{
    (void)state;
    model *m = NULL;
    tu_args b;
    static const double bad_d[] = {0, 17, 1.5};
    for (int i = 0; i < 3; i++) {
        tu_args_init(&b);
        tu_args_num(&b, "d", bad_d[i]);
        assert_int_equal(model_alloc(model_mlp2, b.a, b.n, &m), SS_ERR_RANGE);
        assert_null(m);
    }
    tu_args_init(&b);
    tu_args_str(&b, "act", "relu");
    assert_int_equal(model_alloc(model_mlp2, b.a, b.n, &m), SS_ERR_RANGE);
    assert_non_null(strstr(ss_last_error()->msg, "erf|tanh"));
    tu_args_init(&b);
    tu_args_num(&b, "sigma", 0.0);
    assert_int_equal(model_alloc(model_mlp2, b.a, b.n, &m), SS_ERR_RANGE);
    static const double j3[] = {1, 2, 3};
    tu_args_init(&b);
    tu_args_num(&b, "d", 2);
    tu_args_vec(&b, "J1", j3, 3);
    assert_int_equal(model_alloc(model_mlp2, b.a, b.n, &m), SS_ERR_USAGE);
    tu_args_init(&b);
    tu_args_num(&b, "J1_1", 1.0); /* d = 1: the parameter is J1 */
    assert_int_equal(model_alloc(model_mlp2, b.a, b.n, &m), SS_ERR_NAME);
    tu_args_init(&b);
    tu_args_num(&b, "w1", NAN);
    assert_int_equal(model_alloc(model_mlp2, b.a, b.n, &m), SS_ERR_RANGE);
    assert_null(m);

    /* wrong shapes */
    assert_int_equal(model_alloc(model_mlp2, NULL, 0, &m), SS_OK);
    gsl_matrix *X = gsl_matrix_alloc(5, 3), *S = gsl_matrix_alloc(5, 3);
    double ell[5];
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    assert_int_equal(model_mlp2->sample(m, m->theta, r, X), SS_ERR_USAGE);
    assert_int_equal(model_mlp2->loglik_terms(m, m->theta, X, ell, NULL),
                     SS_ERR_USAGE);
    gsl_matrix *X2 = gsl_matrix_calloc(5, 2);
    assert_int_equal(model_mlp2->loglik_terms(m, m->theta, X2, ell, S),
                     SS_ERR_USAGE);
    gsl_matrix *G = gsl_matrix_alloc(3, 3);
    assert_int_equal(model_mlp2->fim_exact(m, m->theta, G, NULL),
                     SS_ERR_USAGE);
    gsl_matrix_free(G);
    gsl_matrix_free(X2);
    gsl_matrix_free(X);
    gsl_matrix_free(S);
    gsl_rng_free(r);
    model_free(m);
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
    pt p = point("erf", 2, 1.0, 0);
    model *m = make_pt(&p);
    model_singular out[16];
    size_t n = model_mlp2->singular(m, m->theta, out, 16);
    assert_int_equal(n, 6);
    static const char *names[] = {"J1 = J2", "J1 = -J2", "w1 = 0",
                                  "w2 = 0",  "J1 = 0",   "J2 = 0"};
    for (int i = 0; i < 6; i++)
        assert_string_equal(out[i].name, names[i]);
    assert_non_null(strstr(out[0].effect, "w1, w2 enter only as w1 + w2"));
    assert_non_null(strstr(out[0].effect, "3 directions"));
    assert_non_null(strstr(out[1].effect, "3 directions"));
    assert_non_null(strstr(out[2].effect, "J1 unidentifiable"));
    assert_non_null(strstr(out[2].effect, "2 directions"));
    assert_non_null(strstr(out[3].effect, "J2 unidentifiable"));
    assert_non_null(strstr(out[4].effect, "w1 unidentifiable"));
    assert_non_null(strstr(out[5].effect, "w2 unidentifiable"));
    /* J1 - J2 = (1.1, -1.5), J1 + J2 = (0.7, 0.7) */
    assert_close(out[0].distance, sqrt(1.21 + 2.25) / M_SQRT2, 1e-15, 0);
    assert_close(out[1].distance, sqrt(0.98) / M_SQRT2, 1e-15, 0);
    assert_close(out[2].distance, 0.385, 1e-15, 0);
    assert_close(out[3].distance, 0.73, 1e-15, 0);
    assert_close(out[4].distance, sqrt(0.81 + 0.16), 1e-15, 0);
    assert_close(out[5].distance, sqrt(0.04 + 1.21), 1e-15, 0);
    assert_int_equal(model_mlp2->singular(m, m->theta, out, 2), 2);
    size_t cnt;
    assert_int_equal(nearest_index(m, &cnt), 2);
    model_free(m);

    /* on each set the distance is exactly 0 */
    for (int kind = 1; kind <= 6; kind++) {
        if (kind == 2 || kind == 5)
            continue;
        pt q = point("tanh", 1, 1.0, kind);
        m = make_pt(&q);
        n = model_mlp2->singular(m, m->theta, out, 16);
        int zero = 0;
        for (size_t i = 0; i < n; i++)
            zero += out[i].distance == 0.0;
        assert_int_equal(zero, 1);
        assert_int_equal(nearest_index(m, &cnt),
                         kind == 1 ? 0 : kind == 3 ? 1 : kind == 4 ? 2 : 4);
        assert_non_null(strstr(out[0].effect, "2 directions"));
        model_free(m);
    }
}

/* ---- likelihood and scores ----------------------------------------------- */

static double g_ref(const char *act, double t)
{
    return strcmp(act, "erf") == 0 ? erf(t / M_SQRT2) : tanh(t);
}

static void test_loglik_value(void **state)
{
    (void)state;
    for (int a = 0; a < 2; a++) {
        pt p = point(acts[a], 2, 0.7, 0);
        model *m = make_pt(&p);
        gsl_matrix *X = gsl_matrix_alloc(2, 3);
        static const double rows[2][3] = {{0.3, -1.2, 0.8}, {-2.0, 0.5, -0.1}};
        for (int i = 0; i < 2; i++)
            for (int k = 0; k < 3; k++)
                gsl_matrix_set(X, i, k, rows[i][k]);
        double ell[2];
        assert_int_equal(model_mlp2->loglik_terms(m, m->theta, X, ell, NULL),
                         SS_OK);
        for (int i = 0; i < 2; i++) {
            const double *x = rows[i];
            double f = p.w1 * g_ref(p.act, p.J1[0] * x[0] + p.J1[1] * x[1]) +
                       p.w2 * g_ref(p.act, p.J2[0] * x[0] + p.J2[1] * x[1]);
            double z = (x[2] - f) / 0.7;
            assert_close(ell[i], -0.5 * z * z - log(0.7 * sqrt(2 * M_PI)),
                         1e-14, 1e-15);
        }
        gsl_matrix_free(X);
        model_free(m);
    }
}

/* Scores against central differences of each term (h = 1e-6). */
static void check_score_fd(tu_ctx *c, const pt *p, unsigned long seed)
{
    model *m = make_pt(p);
    size_t n = 16, P = m->P, cols = p->d + 1;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    gsl_matrix *X = gsl_matrix_alloc(n, cols), *S = gsl_matrix_alloc(n, P);
    double ell[16], up[16], dn[16], th[PMAXT];
    assert_int_equal(model_mlp2->sample(m, m->theta, r, X), SS_OK);
    assert_int_equal(model_mlp2->loglik_terms(m, m->theta, X, ell, S), SS_OK);
    tu_where(c, "%s d=%zu %s sigma=%g", p->act, p->d, p->label, p->sigma);
    for (size_t q = 0; q < P; q++) {
        double h = 1e-6;
        memcpy(th, m->theta, P * sizeof *th);
        th[q] += h;
        assert_int_equal(model_mlp2->loglik_terms(m, th, X, up, NULL), SS_OK);
        th[q] -= 2 * h;
        assert_int_equal(model_mlp2->loglik_terms(m, th, X, dn, NULL), SS_OK);
        for (size_t i = 0; i < n; i++) {
            double fd = (up[i] - dn[i]) / (2 * h);
            TU_CHECK_CLOSE(c, gsl_matrix_get(S, i, q), fd, 1e-6, 1e-7,
                           "score[%zu][%s]", i, MODEL_PNAME(m, q));
        }
    }
    gsl_matrix_free(X);
    gsl_matrix_free(S);
    gsl_rng_free(r);
    model_free(m);
}

static void test_score_fd(void **state)
{
    (void)state;
    tu_ctx c = {0};
    unsigned long seed = 11;
    for (int a = 0; a < 2; a++)
        for (size_t d = 1; d <= 2; d++)
            for (int kind = 0; kind < NKINDS; kind++) {
                pt p = point(acts[a], d, kind % 2 ? 0.7 : 1.0, kind);
                check_score_fd(&c, &p, seed++);
            }
    tu_done(&c);
}

/* ---- exact FIM against Monte Carlo ---------------------------------------- */

static void check_fim_mc(tu_ctx *c, const pt *p, size_t n, unsigned long seed)
{
    model *m = make_pt(p);
    size_t P = m->P;
    gsl_matrix *G = exact_fim(m, NULL);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    gsl_matrix *X = gsl_matrix_alloc(n, p->d + 1), *S = gsl_matrix_alloc(n, P);
    double *ell = malloc(n * sizeof *ell);
    assert_int_equal(model_mlp2->sample(m, m->theta, r, X), SS_OK);
    assert_int_equal(model_mlp2->loglik_terms(m, m->theta, X, ell, S), SS_OK);
    double sum[PMAXT][PMAXT] = {{0}}, sum2[PMAXT][PMAXT] = {{0}};
    for (size_t t = 0; t < n; t++) {
        const double *s = S->data + t * S->tda;
        for (size_t i = 0; i < P; i++)
            for (size_t j = i; j < P; j++) {
                double q = s[i] * s[j];
                sum[i][j] += q;
                sum2[i][j] += q * q;
            }
    }
    tu_where(c, "%s d=%zu %s sigma=%g", p->act, p->d, p->label, p->sigma);
    double tr = 0;
    for (size_t i = 0; i < P; i++)
        tr += gsl_matrix_get(G, i, i);
    for (size_t i = 0; i < P; i++)
        for (size_t j = i; j < P; j++) {
            double mean = sum[i][j] / n;
            double se = sqrt(fmax(sum2[i][j] / n - mean * mean, 0) / (n - 1));
            double g = gsl_matrix_get(G, i, j);
            /* an entry that is identically zero has se = 0 */
            TU_CHECK_CLOSE(c, g, mean, 0, 5 * se + 1e-15 * tr, "G[%s][%s]",
                           MODEL_PNAME(m, i), MODEL_PNAME(m, j));
            if (se > 0) {
                char what[2 * MODEL_NAME_MAX + 8];
                snprintf(what, sizeof what, "G[%s][%s]", MODEL_PNAME(m, i),
                         MODEL_PNAME(m, j));
                tu_z(c, (g - mean) / se, what);
            }
            TU_CHECK(c, gsl_matrix_get(G, j, i) == g, "G symmetric");
        }
    free(ell);
    gsl_matrix_free(X);
    gsl_matrix_free(S);
    gsl_rng_free(r);
    gsl_matrix_free(G);
    model_free(m);
}

static void test_fim_vs_mc(void **state)
{
    (void)state;
    tu_ctx c = {0};
    const size_t n = 200000;
    unsigned long seed = 20240611;
    static const struct {
        int kind;
        double sigma;
    } cases[] = {{0, 1.0}, {0, 0.7}, {1, 1.0}, {2, 0.7}, {3, 1.0}, {4, 0.7}};
    for (int a = 0; a < 2; a++)
        for (size_t d = 1; d <= 2; d++)
            for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
                pt p = point(acts[a], d, cases[k].sigma, cases[k].kind);
                check_fim_mc(&c, &p, n, seed++);
            }
    /* erf in d = 3 (closed form only) */
    pt p3 = {"erf", 3, 0.7, 0.385, -0.73, {0.9, -0.4, 0.3},
             {-0.2, 1.1, -0.5}, "generic d=3"};
    check_fim_mc(&c, &p3, n, seed++);
    tu_done(&c);
}

/* ---- erf closed form against its quadrature and mpmath -------------------- */

/* R^T R against G, to rtol of sqrt(G_ii G_jj) (+ a floor for zero rows). */
static void check_gram(tu_ctx *c, const gsl_matrix *G, const gsl_matrix *R,
                       double rtol)
{
    size_t P = G->size1;
    gsl_matrix *RtR = gsl_matrix_alloc(P, P);
    gsl_blas_dgemm(CblasTrans, CblasNoTrans, 1.0, R, R, 0.0, RtR);
    double tr = 0;
    for (size_t i = 0; i < P; i++)
        tr += gsl_matrix_get(G, i, i);
    for (size_t i = 0; i < P; i++)
        for (size_t j = 0; j < P; j++) {
            double s = sqrt(gsl_matrix_get(G, i, i) * gsl_matrix_get(G, j, j));
            TU_CHECK_CLOSE(c, gsl_matrix_get(RtR, i, j),
                           gsl_matrix_get(G, i, j), 0, rtol * s + 1e-16 * tr,
                           "(R^T R)[%zu][%zu]", i, j);
        }
    gsl_matrix_free(RtR);
}

static void test_closed_vs_quadrature(void **state)
{
    (void)state;
    tu_ctx c = {0};
    for (size_t d = 1; d <= 2; d++)
        for (int kind = 0; kind < NKINDS; kind++)
            for (int s = 0; s < 2; s++) {
                pt p = point("erf", d, s ? 0.7 : 1.0, kind);
                model *m = make_pt(&p);
                gsl_matrix *R = NULL;
                gsl_matrix *G = exact_fim(m, &R);
                tu_where(&c, "erf d=%zu %s sigma=%g", d, p.label, p.sigma);
                TU_CHECK(&c, R != NULL, "root returned");
                if (R) {
                    TU_CHECK(&c, R->size2 == m->P, "root columns");
                    check_gram(&c, G, R, 1e-12);
                    gsl_matrix_free(R);
                }
                /* the same G without the root */
                gsl_matrix *G2 = exact_fim(m, NULL);
                TU_CHECK(&c, gsl_matrix_equal(G, G2), "G without root");
                gsl_matrix_free(G2);
                gsl_matrix_free(G);
                model_free(m);
            }
    /* larger weights: the Legendre rule takes over from Hermite (K > ~1.8),
     * and small ones (few Hermite nodes) */
    static const pt big[] = {
        {"erf", 2, 1.0, 1.3, -0.4, {2.5, -1.0}, {0.3, 2.2}, "K = 2.5"},
        {"erf", 1, 1.0, 0.7, 0.6, {3.9}, {-3.7}, "K = 3.9"},
        {"erf", 2, 1.0, 0.7, 0.6, {3.9, 1.0}, {3.95, 1.02}, "K = 3.95 near"},
        {"erf", 2, 1.0, 0.7, 0.6, {0.2, 0.1}, {-0.05, 0.3}, "K = 0.3"},
        {"erf", 1, 1.0, 0.7, 0.6, {1.0}, {1.0}, "K = 1 on J1 = J2"},
    };
    for (size_t k = 0; k < sizeof big / sizeof big[0]; k++) {
        model *m = make_pt(&big[k]);
        gsl_matrix *R = NULL;
        gsl_matrix *G = exact_fim(m, &R);
        tu_where(&c, "erf d=%zu %s", big[k].d, big[k].label);
        TU_CHECK(&c, R != NULL, "root returned");
        if (R) {
            check_gram(&c, G, R, 1e-12);
            gsl_matrix_free(R);
        }
        gsl_matrix_free(G);
        model_free(m);
    }
    tu_done(&c);
}

/* Reference values from mpmath (34 digits, tanh-sinh on two different sets
 * of breakpoints agreeing to 1e-25) of E[r_i r_j], r = (g(J1 x), g(J2 x),
 * w1 g'(J1 x) x, w2 g'(J2 x) x), x ~ N(0,1), at w1 = 0.385, w2 = -0.73,
 * J1 = 0.9, J2 = -1.3; entries (0,0), (1,0), (1,1), (2,0), ... (3,3). */
static const double ref_tanh[10] = {
    0.3563016877370185034,    -0.416045827705511705603,
    0.489881440028380990897,  0.0763198863077995496562,
    -0.0929834700838386306159, 0.0201017101740538907339,
    -0.0805672260240028105195, 0.101201671258652096613,
    -0.0238812201952219441862, 0.0309146005252703382966};
static const double ref_erf[10] = {
    0.295380936208444650991,   -0.355794475045804050119,
    0.43245926363152164043,    0.0752929202029388833207,
    -0.0940960965635103143126, 0.0222510057011950637471,
    -0.0831111306169143509079, 0.107314152502334758409,
    -0.0273250928328277292863, 0.0370096243886257026161};

static void test_fim_reference(void **state)
{
    (void)state;
    for (int a = 0; a < 2; a++)
        for (int s = 0; s < 2; s++) {
            double sigma = s ? 0.7 : 1.0;
            pt p = point(acts[a], 1, sigma, 0);
            model *m = make_pt(&p);
            gsl_matrix *R = NULL;
            gsl_matrix *G = exact_fim(m, &R);
            const double *ref = a ? ref_tanh : ref_erf;
            int e = 0;
            for (int i = 0; i < 4; i++)
                for (int j = 0; j <= i; j++, e++) {
                    double want = ref[e] / (sigma * sigma);
                    double sc = sqrt(ref[(i * (i + 3)) / 2] *
                                     ref[(j * (j + 3)) / 2]) /
                                (sigma * sigma);
                    assert_close(gsl_matrix_get(G, i, j), want, 0,
                                 2e-14 * sc);
                    assert_close(gsl_matrix_get(G, j, i), want, 0,
                                 2e-14 * sc);
                }
            gsl_matrix_free(R);
            gsl_matrix_free(G);
            model_free(m);
        }
}

/* ---- tanh: symmetries the tensor rule does not share ------------------------ */

/* G at theta with J1, J2 rotated by angle a (d = 2) equals T G T^T, T the
 * rotation on each J block: a check of the quadrature to ~1e-13, since the
 * tensor rule is not rotation invariant. And d = 1 embeds in d = 2 along
 * e1: G restricted to (w, J_1) is the d = 1 G, and the x2 entries are
 * orthogonal to the rest (odd in x2). */
static void test_tanh_invariance(void **state)
{
    (void)state;
    tu_ctx c = {0};
    static const double angles[] = {0.3, 1.1, 2.5};
    for (int a = 0; a < 2; a++)
        for (int kind = 0; kind < 4; kind++) {
            pt p = point(acts[a], 2, 1.0, kind);
            model *m = make_pt(&p);
            gsl_matrix *G = exact_fim(m, NULL);
            for (size_t k = 0; k < 3; k++) {
                double cs = cos(angles[k]), sn = sin(angles[k]);
                double th[6] = {p.w1, p.w2};
                for (int u = 0; u < 2; u++) {
                    const double *J = u ? p.J2 : p.J1;
                    th[2 + 2 * u] = cs * J[0] - sn * J[1];
                    th[3 + 2 * u] = sn * J[0] + cs * J[1];
                }
                pt q = with_theta(&p, th);
                model *mr = make_pt(&q);
                gsl_matrix *Gr = exact_fim(mr, NULL);
                /* T = diag(1, 1, Rot, Rot) */
                gsl_matrix *T = gsl_matrix_calloc(6, 6), *A = gsl_matrix_alloc(6, 6),
                           *B = gsl_matrix_alloc(6, 6);
                gsl_matrix_set(T, 0, 0, 1);
                gsl_matrix_set(T, 1, 1, 1);
                for (int u = 0; u < 2; u++) {
                    gsl_matrix_set(T, 2 + 2 * u, 2 + 2 * u, cs);
                    gsl_matrix_set(T, 2 + 2 * u, 3 + 2 * u, -sn);
                    gsl_matrix_set(T, 3 + 2 * u, 2 + 2 * u, sn);
                    gsl_matrix_set(T, 3 + 2 * u, 3 + 2 * u, cs);
                }
                gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, T, G, 0.0, A);
                gsl_blas_dgemm(CblasNoTrans, CblasTrans, 1.0, A, T, 0.0, B);
                tu_where(&c, "%s %s rotated by %g", p.act, p.label,
                         angles[k]);
                for (size_t i = 0; i < 6; i++)
                    for (size_t j = 0; j < 6; j++) {
                        double s = sqrt(gsl_matrix_get(B, i, i) *
                                        gsl_matrix_get(B, j, j));
                        TU_CHECK_CLOSE(&c, gsl_matrix_get(Gr, i, j),
                                       gsl_matrix_get(B, i, j), 0, 1e-13 * s,
                                       "G[%zu][%zu]", i, j);
                    }
                gsl_matrix_free(T);
                gsl_matrix_free(A);
                gsl_matrix_free(B);
                gsl_matrix_free(Gr);
                model_free(mr);
            }
            gsl_matrix_free(G);
            model_free(m);
        }

    /* embedding: J1 = (0.9, 0), J2 = (-1.3, 0) in d = 2 vs d = 1 */
    for (int a = 0; a < 2; a++) {
        pt p1 = point(acts[a], 1, 1.0, 0);
        pt p2 = {acts[a], 2, 1.0, p1.w1, p1.w2, {0.9, 0}, {-1.3, 0}, "e1"};
        model *m1 = make_pt(&p1), *m2 = make_pt(&p2);
        gsl_matrix *G1 = exact_fim(m1, NULL), *G2 = exact_fim(m2, NULL);
        static const size_t map[4] = {0, 1, 2, 4}; /* w1 w2 J1_1 J2_1 */
        tu_where(&c, "%s: d=1 embedded in d=2", acts[a]);
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++) {
                double s = sqrt(gsl_matrix_get(G1, i, i) *
                                gsl_matrix_get(G1, j, j));
                TU_CHECK_CLOSE(&c, gsl_matrix_get(G2, map[i], map[j]),
                               gsl_matrix_get(G1, i, j), 0, 1e-14 * s,
                               "G[%d][%d]", i, j);
            }
        /* the J1_2, J2_2 entries are orthogonal to the rest */
        for (int i = 0; i < 6; i++)
            if (i != 3 && i != 5) {
                TU_CHECK(&c, fabs(gsl_matrix_get(G2, 3, i)) < 1e-15,
                         "G[J1_2][%d] = 0", i);
                TU_CHECK(&c, fabs(gsl_matrix_get(G2, 5, i)) < 1e-15,
                         "G[J2_2][%d] = 0", i);
            }
        /* erf: G[J1_2][J1_2] = w1^2 E[g'(J1 x)^2] = w1^2 (2/pi) /
         * sqrt(1 + 2 J1^2) */
        if (a == 0) {
            double w1 = p1.w1, J = 0.9;
            TU_CHECK_CLOSE(&c, gsl_matrix_get(G2, 3, 3),
                           w1 * w1 * M_2_PI / sqrt(1 + 2 * J * J), 1e-14, 0,
                           "G[J1_2][J1_2]");
        }
        gsl_matrix_free(G1);
        gsl_matrix_free(G2);
        model_free(m1);
        model_free(m2);
    }
    tu_done(&c);
}

/* ---- root, ranks --------------------------------------------------------- */

/* Singular values squared of R (descending). */
static void root_eigs(gsl_matrix *R, double *lam)
{
    size_t P = R->size2;
    gsl_matrix *A = gsl_matrix_alloc(R->size1, P);
    gsl_matrix_memcpy(A, R);
    gsl_matrix *V = gsl_matrix_alloc(P, P);
    gsl_vector *S = gsl_vector_alloc(P);
    assert_int_equal(gsl_linalg_SV_decomp_jacobi(A, V, S), GSL_SUCCESS);
    for (size_t i = 0; i < P; i++)
        lam[i] = gsl_vector_get(S, i) * gsl_vector_get(S, i);
    for (size_t i = 1; i < P; i++)
        assert_true(lam[i] <= lam[i - 1]);
    gsl_vector_free(S);
    gsl_matrix_free(V);
    gsl_matrix_free(A);
}

/* Eigenvalues of a symmetric matrix (descending). */
static void sym_eigs(const gsl_matrix *G, double *lam)
{
    size_t P = G->size1;
    gsl_matrix *A = gsl_matrix_alloc(P, P);
    gsl_matrix_memcpy(A, G);
    gsl_vector *e = gsl_vector_alloc(P);
    gsl_eigen_symm_workspace *w = gsl_eigen_symm_alloc(P);
    gsl_eigen_symm(A, e, w);
    gsl_sort_vector(e);
    for (size_t i = 0; i < P; i++)
        lam[i] = gsl_vector_get(e, P - 1 - i);
    gsl_eigen_symm_free(w);
    gsl_vector_free(e);
    gsl_matrix_free(A);
}

static void test_root(void **state)
{
    (void)state;
    tu_ctx c = {0};
    /* tanh: G is the Gram matrix of the rows themselves */
    for (size_t d = 1; d <= 2; d++)
        for (int kind = 0; kind < NKINDS; kind++) {
            pt p = point("tanh", d, kind % 2 ? 0.7 : 1.0, kind);
            model *m = make_pt(&p);
            gsl_matrix *R = NULL;
            gsl_matrix *G = exact_fim(m, &R);
            gsl_matrix *G2 = exact_fim(m, NULL);
            tu_where(&c, "tanh d=%zu %s", d, p.label);
            TU_CHECK(&c, R != NULL, "root returned");
            TU_CHECK(&c, gsl_matrix_equal(G, G2), "G without root");
            if (R)
                check_gram(&c, G, R, 1e-13); /* another summation order */
            gsl_matrix_free(R);
            gsl_matrix_free(G);
            gsl_matrix_free(G2);
            model_free(m);
        }

    /* no root: erf with d = 3; erf with K beyond the node budget (G still
     * exact); tanh d = 2 with 2 < K <= 4 (G without root) */
    static const pt noroot[] = {
        {"erf", 3, 1.0, 0.4, 0.3, {1, 0, 0.5}, {0, 1, 0}, "d=3"},
        {"erf", 2, 1.0, 0.4, 0.3, {8, 0}, {0, 1}, "K=8"},
        {"tanh", 2, 1.0, 0.4, 0.3, {3, 0}, {0, 1}, "tanh K=3"},
    };
    for (size_t k = 0; k < 3; k++) {
        model *m = make_pt(&noroot[k]);
        gsl_matrix dummy, *R = &dummy; /* must be reset */
        gsl_matrix *G = exact_fim(m, &R);
        tu_where(&c, "%s", noroot[k].label);
        TU_CHECK(&c, R == NULL, "no root");
        gsl_matrix_free(G);
        model_free(m);
    }
    /* tanh d = 2, K = 3: against Monte Carlo-free checks: symmetric and
     * positive definite; erf K = 8: against the d = 1 closed form along
     * e1 (J1 = (8, 0)): G[J1_1][J1_1] = w1^2 (2/pi) / (1 + 2*64)^(3/2) */
    {
        model *m = make_pt(&noroot[1]);
        gsl_matrix *G = exact_fim(m, NULL);
        assert_close(gsl_matrix_get(G, 2, 2),
                     0.16 * M_2_PI / pow(1 + 2 * 64.0, 1.5), 1e-13, 0);
        gsl_matrix_free(G);
        model_free(m);
    }
    tu_done(&c);
}

/* On each singular set: the number of zero eigenvalues, from the root
 * (zero to rounding, far below the rest) and, for erf, from the closed-form
 * G (below 1e-13 lambda_max). */
static void test_ranks(void **state)
{
    (void)state;
    tu_ctx c = {0};
    static const int kinds[] = {1, 3, 4, 6};
    for (int a = 0; a < 2; a++)
        for (size_t d = 1; d <= 2; d++)
            for (size_t k = 0; k < 4; k++) {
                int kind = kinds[k];
                size_t want = kind == 1 || kind == 3 ? d + 1
                              : kind == 4            ? d
                                                     : 1;
                pt p = point(acts[a], d, 0.7, kind);
                model *m = make_pt(&p);
                gsl_matrix *R = NULL;
                gsl_matrix *G = exact_fim(m, &R);
                double lam[PMAXT];
                tu_where(&c, "%s d=%zu %s", p.act, d, p.label);
                assert_non_null(R);
                root_eigs(R, lam);
                size_t P = m->P, zero = 0;
                for (size_t i = 0; i < P; i++)
                    zero += lam[i] <= 1e-28 * lam[0];
                TU_CHECK(&c, zero == want, "%zu zero eigenvalues from the "
                                           "root, expected %zu",
                         zero, want);
                TU_CHECK(&c, lam[P - 1 - want] > 1e-6 * lam[0],
                         "the others are O(1): %g", lam[P - 1 - want]);
                if (a == 0) {
                    sym_eigs(G, lam);
                    zero = 0;
                    for (size_t i = 0; i < P; i++)
                        zero += fabs(lam[i]) <= 1e-13 * lam[0];
                    TU_CHECK(&c, zero == want,
                             "%zu zero eigenvalues of G, expected %zu", zero,
                             want);
                }
                gsl_matrix_free(R);
                gsl_matrix_free(G);
                model_free(m);
            }
    /* erf closed form on J1 = J2: the null vectors are exact, (1, -1, 0..)
     * bitwise and w2 e_J1 - w1 e_J2 to rounding */
    for (size_t d = 1; d <= 3; d++) {
        pt p = {"erf", d, 0.7, 0.385, -0.73, {0.9, -0.4, 0.3},
                {0.9, -0.4, 0.3}, "J1 = J2"};
        model *m = make_pt(&p);
        gsl_matrix *G = exact_fim(m, NULL);
        size_t P = m->P;
        double tr = 0;
        for (size_t q = 0; q < P; q++)
            tr += gsl_matrix_get(G, q, q);
        tu_where(&c, "erf d=%zu J1 = J2, closed form", d);
        for (size_t q = 0; q < P; q++) {
            TU_CHECK(&c, gsl_matrix_get(G, q, 0) == gsl_matrix_get(G, q, 1),
                     "G[%zu][w1] == G[%zu][w2]", q, q);
            for (size_t l = 0; l < d; l++) {
                double r = p.w2 * gsl_matrix_get(G, q, 2 + l) -
                           p.w1 * gsl_matrix_get(G, q, 2 + d + l);
                TU_CHECK(&c, fabs(r) <= 1e-16 * tr,
                         "(G (w2 e_J1 - w1 e_J2))[%zu] = %g", q, r);
            }
        }
        gsl_matrix_free(G);
        model_free(m);
    }
    /* erf d = 3 (closed form only): overlap d + 1 = 4, w1 = 0: 3 */
    {
        pt p = {"erf", 3, 1.0, 0.385, -0.73, {0.9, -0.4, 0.3},
                {0.9, -0.4, 0.3}, "d=3 J1 = J2"};
        for (int t = 0; t < 2; t++) {
            if (t) {
                p.J2[2] = -0.5;
                p.w1 = 0;
            }
            model *m = make_pt(&p);
            gsl_matrix *G = exact_fim(m, NULL);
            double lam[8];
            sym_eigs(G, lam);
            size_t zero = 0;
            for (size_t i = 0; i < 8; i++)
                zero += fabs(lam[i]) <= 1e-13 * lam[0];
            tu_where(&c, "erf d=3 %s", t ? "w1 = 0" : "J1 = J2");
            TU_CHECK(&c, zero == (t ? 3u : 4u), "%zu zero eigenvalues", zero);
            gsl_matrix_free(G);
            model_free(m);
        }
    }
    tu_done(&c);
}

/* ---- eigenvalue laws near the overlap ------------------------------------ */

/* Point with blow-down coordinates w = 1, z = 0.4, v = (0.6, -0.3) and
 * u = s (0.6, 0.8) (d = 2) or v = 0.6, u = s (d = 1). */
static void overlap_point(const model *m, double s, double *th)
{
    size_t d = (m->P - 2) / 2;
    double co[PMAXT] = {1.0, 0.4, 0.6};
    if (d == 1)
        co[3] = s;
    else {
        co[3] = -0.3;
        co[4] = 0.6 * s;
        co[5] = 0.8 * s;
    }
    assert_int_equal(model_mlp2->from_coords(m, co, th), SS_OK);
}

static void law_eigs(const pt *base, double s, int opposite, double *lam)
{
    model *m0 = make_pt(base);
    double th[PMAXT];
    overlap_point(m0, s, th);
    model_free(m0);
    if (opposite) /* (w2, J2) -> (-w2, -J2): same f for odd g */
        for (size_t p = 1; p < 2 + 2 * base->d; p++)
            if (p == 1 || p >= 2 + base->d)
                th[p] = -th[p];
    pt q = with_theta(base, th);
    model *m = make_pt(&q);
    gsl_matrix *R = NULL;
    gsl_matrix *G = exact_fim(m, &R);
    assert_non_null(R);
    root_eigs(R, lam);
    gsl_matrix_free(R);
    gsl_matrix_free(G);
    model_free(m);
}

static void test_eigenvalue_laws(void **state)
{
    (void)state;
    tu_ctx c = {0};
    static const double us[] = {1e-2, 1e-3, 1e-4};
    for (int a = 0; a < 2; a++)
        for (size_t d = 1; d <= 2; d++) {
            pt base = point(acts[a], d, 1.0, 0);
            size_t P = 2 + 2 * d;
            double lam[3][PMAXT], lop[PMAXT];
            for (int k = 0; k < 3; k++)
                law_eigs(&base, us[k], 0, lam[k]);
            tu_where(&c, "%s d=%zu near J1 = J2", acts[a], d);
            /* d + 1 eigenvalues O(1), d ~ |u|^2, one ~ |u|^6: lambda/|u|^k
             * converges (relative change O(|u|)) */
            for (int k = 1; k < 3; k++) {
                double u0 = us[k - 1], u1 = us[k];
                /* at 1e-4 the |u|^6 eigenvalue (1e-26) is resolved only to
                 * ~1e-3 by rounding in the rows */
                for (size_t i = 0; i < P; i++) {
                    double e = i <= d ? 0 : i < P - 1 ? 2 : 6;
                    TU_CHECK_CLOSE(&c, lam[k][i] / pow(u1, e),
                                   lam[k - 1][i] / pow(u0, e),
                                   k == 1 || i == P - 1 ? 3e-2 : 3e-3, 0,
                                   "lambda_%zu / |u|^%g at |u| = %g", i, e,
                                   u1);
                }
            }
            print_message("      %s d=%zu: lambda/|u|^2 ->", acts[a], d);
            for (size_t i = d + 1; i < P - 1; i++)
                print_message(" %.6g", lam[2][i] / (us[2] * us[2]));
            print_message(", lambda/|u|^6 -> %.6g (|u| = %g)\n",
                          lam[1][P - 1] / pow(us[1], 6), us[1]);
            /* opposite overlap: the same spectrum (G' = S G S) */
            law_eigs(&base, us[1], 1, lop);
            tu_where(&c, "%s d=%zu near J1 = -J2", acts[a], d);
            for (size_t i = 0; i < P; i++)
                TU_CHECK_CLOSE(&c, lop[i], lam[1][i], i < P - 1 ? 1e-10 : 1e-6,
                               0, "lambda_%zu", i);
        }
    tu_done(&c);
}

/* ---- blow-down coordinates ------------------------------------------------ */

static void test_blowdown(void **state)
{
    (void)state;
    char names[PMAXT][MODEL_NAME_MAX];
    model *m = NULL;
    assert_int_equal(model_alloc(model_mlp2, NULL, 0, &m), SS_OK);
    assert_int_equal(model_mlp2->coord_names(m, names), 4);
    assert_string_equal(names[0], "w");
    assert_string_equal(names[1], "z");
    assert_string_equal(names[2], "v");
    assert_string_equal(names[3], "u");
    double th[4] = {0.385, -0.73, 0.9, -1.3}, co[4], back[4];
    assert_int_equal(model_mlp2->to_coords(m, th, co), SS_OK);
    double w = 0.385 - 0.73;
    assert_close(co[0], w, 1e-15, 0);
    assert_close(co[1], (0.385 + 0.73) / w, 1e-15, 0);
    assert_close(co[2], (0.385 * 0.9 + 0.73 * 1.3) / w, 1e-14, 0);
    assert_close(co[3], -2.2, 1e-15, 0);
    assert_int_equal(model_mlp2->from_coords(m, co, back), SS_OK);
    for (int i = 0; i < 4; i++)
        assert_close(back[i], th[i], 1e-14, 1e-15);
    /* undefined at w1 + w2 = 0 */
    double bad[4] = {0.5, -0.5, 1, 2};
    assert_int_equal(model_mlp2->to_coords(m, bad, co), SS_ERR_RANGE);
    assert_string_equal(ss_last_error()->msg,
                        "blow-down coordinates need w1 + w2 != 0");
    model_free(m);

    /* d = 2: names and round trips at random points, both ways */
    tu_args b;
    tu_args_init(&b);
    tu_args_num(&b, "d", 2);
    assert_int_equal(model_alloc(model_mlp2, b.a, b.n, &m), SS_OK);
    assert_int_equal(model_mlp2->coord_names(m, names), 6);
    static const char *n2[] = {"w", "z", "v_1", "v_2", "u_1", "u_2"};
    for (int i = 0; i < 6; i++)
        assert_string_equal(names[i], n2[i]);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    for (int t = 0; t < 1000; t++) {
        double x[6], y[6], z[6];
        for (int i = 0; i < 6; i++)
            x[i] = gsl_ran_gaussian(r, 1.0);
        if (fabs(x[0] + x[1]) < 0.1)
            continue;
        assert_int_equal(model_mlp2->to_coords(m, x, y), SS_OK);
        assert_int_equal(model_mlp2->from_coords(m, y, z), SS_OK);
        double sc = 1 + fabs(y[1]); /* rounding scales with |z| */
        for (int i = 0; i < 6; i++)
            assert_close(z[i], x[i], 0, 1e-13 * sc * (1 + fabs(x[i])));
        /* and coordinates -> theta -> coordinates */
        assert_int_equal(model_mlp2->from_coords(m, x, y), SS_OK);
        if (fabs(y[0] + y[1]) < 1e-3)
            continue;
        assert_int_equal(model_mlp2->to_coords(m, y, z), SS_OK);
        for (int i = 0; i < 6; i++)
            assert_close(z[i], x[i], 0,
                         1e-12 * (1 + fabs(x[1])) * (1 + fabs(x[i])));
    }
    /* on u = 0, z drops out: J1 = J2 = v exactly */
    double co2[6] = {0.7, 0.3, 0.25, -0.5, 0, 0}, th2[6];
    assert_int_equal(model_mlp2->from_coords(m, co2, th2), SS_OK);
    assert_true(th2[2] == 0.25 && th2[4] == 0.25 && th2[3] == -0.5 &&
                th2[5] == -0.5);
    gsl_rng_free(r);
    model_free(m);
}

/* f = w g(v.x) + (w/8)(1 - z^2) g''(v.x)(u.x)^2 + O(|u|^3) (docs/theory.md
 * section 2.2, "Blow-down coordinates"):
 * the remainder shrinks by ~8 when u halves. */
static double gpp(const char *act, double t)
{
    if (strcmp(act, "erf") == 0)
        return -t * sqrt(2 / M_PI) * exp(-0.5 * t * t);
    double th = tanh(t);
    return -2 * th * (1 - th * th);
}

static void test_blowdown_expansion(void **state)
{
    (void)state;
    for (int a = 0; a < 2; a++) {
        tu_args b;
        tu_args_init(&b);
        tu_args_num(&b, "d", 2);
        tu_args_str(&b, "act", acts[a]);
        model *m = NULL;
        assert_int_equal(model_alloc(model_mlp2, b.a, b.n, &m), SS_OK);
        static const double xs[3][3] = {
            {0.7, -1.1, 0}, {1.5, 0.4, 0}, {-0.3, -0.9, 0}};
        for (int t = 0; t < 3; t++) {
            double rem[2];
            for (int h = 0; h < 2; h++) {
                double s = h ? 0.01 : 0.02;
                double co[6] = {0.8, 0.35, 0.6, -0.3, 0.6 * s, 0.8 * s}, th[6];
                assert_int_equal(model_mlp2->from_coords(m, co, th), SS_OK);
                gsl_matrix *X = gsl_matrix_alloc(1, 3);
                gsl_matrix_set(X, 0, 0, xs[t][0]);
                gsl_matrix_set(X, 0, 1, xs[t][1]);
                gsl_matrix_set(X, 0, 2, 0.0);
                /* with y = 0 the term is -f^2/2 - log sqrt(2 pi): a check
                 * of f computed here */
                double ell;
                assert_int_equal(
                    model_mlp2->loglik_terms(m, th, X, &ell, NULL), SS_OK);
                gsl_matrix_free(X);
                double f = th[0] * g_ref(acts[a], th[2] * xs[t][0] +
                                                       th[3] * xs[t][1]) +
                           th[1] * g_ref(acts[a], th[4] * xs[t][0] +
                                                      th[5] * xs[t][1]);
                assert_close(-0.5 * f * f - 0.5 * log(2 * M_PI), ell, 1e-13,
                             1e-15);
                double vx = 0.6 * xs[t][0] - 0.3 * xs[t][1];
                double ux = co[4] * xs[t][0] + co[5] * xs[t][1];
                double approx = 0.8 * g_ref(acts[a], vx) +
                                0.1 * (1 - 0.35 * 0.35) * gpp(acts[a], vx) *
                                    ux * ux;
                rem[h] = f - approx;
            }
            /* O(|u|^3): ratio ~8 (not 4, which a wrong u^2 term gives) */
            double ratio = rem[0] / rem[1];
            if (!(ratio > 7 && ratio < 9))
                fail_msg("%s x%d: remainder ratio %g", acts[a], t, ratio);
        }
        model_free(m);
    }
}

/* ---- refusals and the sampler --------------------------------------------- */

static void test_refusals(void **state)
{
    (void)state;
    /* tanh with d > 2 */
    pt p = {"tanh", 3, 1.0, 0.385, -0.73, {0.9, -0.4, 0.3}, {-0.2, 1.1, 0.5},
            "tanh d=3"};
    model *m = make_pt(&p);
    gsl_matrix *G = gsl_matrix_alloc(8, 8), *R = NULL;
    assert_int_equal(model_mlp2->fim_exact(m, m->theta, G, &R), SS_ERR_USAGE);
    assert_null(R);
    assert_string_equal(ss_last_error()->msg,
                        "mlp2 with act=tanh and d > 2 has no exact FIM; use "
                        "method=mc n=N");
    gsl_matrix_free(G);
    model_free(m);
    /* tanh with weights beyond the quadrature's reach */
    pt q = {"tanh", 2, 1.0, 0.385, -0.73, {6, 0}, {0, 1}, "tanh K=6"};
    m = make_pt(&q);
    G = gsl_matrix_alloc(6, 6);
    assert_int_equal(model_mlp2->fim_exact(m, m->theta, G, &R), SS_ERR_RANGE);
    assert_null(R);
    assert_non_null(strstr(ss_last_error()->msg, "method=mc"));
    gsl_matrix_free(G);
    model_free(m);
}

static void test_sampler(void **state)
{
    (void)state;
    /* erf: E[y] = 0, Var[y] = sum wi wj Q(Ji, Jj) + sigma^2; x ~ N(0, I) */
    pt p = point("erf", 2, 0.7, 0);
    model *m = make_pt(&p);
    const size_t n = 200000;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 99);
    gsl_matrix *X = gsl_matrix_alloc(n, 3);
    assert_int_equal(model_mlp2->sample(m, m->theta, r, X), SS_OK);
    gsl_matrix *G = exact_fim(m, NULL);
    /* G[wi][wj] sigma^2 = Q(Ji, Jj) */
    double s2 = 0.49, vy = s2;
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++)
            vy += m->theta[i] * m->theta[j] * gsl_matrix_get(G, i, j) * s2;
    double mom[3][3] = {{0}};
    for (size_t t = 0; t < n; t++)
        for (int k = 0; k < 3; k++) {
            double v = gsl_matrix_get(X, t, k);
            mom[k][0] += v;
            mom[k][1] += v * v;
            mom[k][2] += v * v * v * v;
        }
    for (int k = 0; k < 3; k++) {
        double mean = mom[k][0] / n, m2 = mom[k][1] / n, m4 = mom[k][2] / n;
        double var = k < 2 ? 1.0 : vy;
        assert_close(mean, 0.0, 0, 5 * sqrt(var / n));
        assert_close(m2, var, 0, 5 * sqrt((m4 - m2 * m2) / n));
    }
    gsl_matrix_free(G);
    gsl_matrix_free(X);
    gsl_rng_free(r);
    model_free(m);
}

/* ---- timing by hand -------------------------------------------------------- */

static double since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) +
           1e-9 * (double)(t1.tv_nsec - t0->tv_nsec);
}

static void bench_one(const pt *p, int with_root, int reps)
{
    model *m = make_pt(p);
    gsl_matrix *G = gsl_matrix_alloc(m->P, m->P), *R = NULL;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int k = 0; k < reps; k++) {
        model_mlp2->fim_exact(m, m->theta, G, with_root ? &R : NULL);
        if (R && k + 1 < reps) {
            gsl_matrix_free(R);
            R = NULL;
        }
    }
    double us = since(&t0) / reps * 1e6;
    double svd = 0;
    if (R) {
        double lam[PMAXT];
        clock_gettime(CLOCK_MONOTONIC, &t0);
        root_eigs(R, lam);
        svd = since(&t0) * 1e6;
    }
    print_message("%-5s d=%zu %-14s %s: %9.2f us", p->act, p->d, p->label,
                  with_root ? "G + root" : "G       ", us);
    if (R)
        print_message(" (%zu nodes; Jacobi SVD %.0f us)", R->size1, svd);
    print_message("\n");
    gsl_matrix_free(R);
    gsl_matrix_free(G);
    model_free(m);
}

static void test_bench(void **state)
{
    (void)state;
    if (!getenv("MLP2_BENCH"))
        skip();
    for (int a = 0; a < 2; a++)
        for (size_t d = 1; d <= 2; d++) {
            pt p = point(acts[a], d, 1.0, 0);
            bench_one(&p, 0, a ? 200 : 200000);
            bench_one(&p, 1, 200);
        }
    pt p2 = {"erf", 2, 1.0, 1.3, -0.4, {2.5, -1.0}, {0.3, 2.2}, "K=2.5"};
    bench_one(&p2, 1, 50);
    pt p3 = {"tanh", 2, 1.0, 1.3, -0.4, {2.5, -1.0}, {0.3, 2.2}, "K=2.5"};
    bench_one(&p3, 0, 10);
    pt p16 = {"erf", 3, 1.0, 1.3, -0.4, {0.5, -1.0, 0.2}, {0.3, 0.2, 0.1},
              "d=3"};
    bench_one(&p16, 0, 200000);

    /* a 200 x 200 map of log det G over (w1, J1_1), erf d = 2 */
    pt p = point("erf", 2, 1.0, 0);
    model *m = make_pt(&p);
    gsl_matrix *G = gsl_matrix_alloc(6, 6);
    gsl_vector *e = gsl_vector_alloc(6);
    gsl_eigen_symm_workspace *w = gsl_eigen_symm_alloc(6);
    double th[6], acc = 0;
    memcpy(th, m->theta, sizeof th);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < 200; i++)
        for (int j = 0; j < 200; j++) {
            th[0] = -2 + 4.0 * i / 199;
            th[2] = -2 + 4.0 * j / 199;
            model_mlp2->fim_exact(m, th, G, NULL);
            gsl_eigen_symm(G, e, w);
            for (int k = 0; k < 6; k++)
                acc += log(fabs(gsl_vector_get(e, k)));
        }
    print_message("200 x 200 map of log det (G + symmetric eigen): %.3f s "
                  "(%g)\n",
                  since(&t0), acc);
    gsl_eigen_symm_free(w);
    gsl_vector_free(e);
    gsl_matrix_free(G);
    model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_option_errors),
        cmocka_unit_test(test_singular_sets),
        cmocka_unit_test(test_loglik_value),
        cmocka_unit_test(test_score_fd),
        cmocka_unit_test(test_fim_vs_mc),
        cmocka_unit_test(test_closed_vs_quadrature),
        cmocka_unit_test(test_fim_reference),
        cmocka_unit_test(test_tanh_invariance),
        cmocka_unit_test(test_root),
        cmocka_unit_test(test_ranks),
        cmocka_unit_test(test_eigenvalue_laws),
        cmocka_unit_test(test_blowdown),
        cmocka_unit_test(test_blowdown_expansion),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_sampler),
        cmocka_unit_test(test_bench),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

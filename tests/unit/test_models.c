/* The model battery: every family in model_registry() is checked through
 * the generic model interface only, at its default point, at a generic
 * perturbed point, and at the test points the family declares
 * (model_type.testpoints: generic, near and on its singular sets, with the
 * expected rank), built by model_alloc_testpoint; a family that declares
 * none is checked at its two generic points only. Closed-form FIMs known
 * here are keyed by (family, test point label) in closed_forms[].
 *
 *   (a) score of loglik_terms vs finite differences of the log-likelihood
 *   (b) exact FIM vs Monte-Carlo FIM, within 5 standard errors
 *   (c) exact FIM symmetric and positive semidefinite
 *   (d) empirical and observed FIM on a large sample vs exact
 *   (e) sampler moments (two-sample tests)
 *   (f) nothing free -> SS_ERR_USAGE for every method
 *   (g) Monte-Carlo reproducibility by seed, including interrupted runs
 *   (h) rank and closed forms at the declared test points
 *   (i) interrupt before the first chunk
 * plus gmm-specific theory (docs/theory.md section 2.1):
 * exact sampler moments, the eigenvalue laws near w1 = w2 and in Hartigan's
 * form, and the blow-down expansion.
 *
 * Statistical tolerances: all random draws use fixed seeds, so every run is
 * deterministic; the bounds are "5 standard errors", whose two-sided normal
 * tail is 5.7e-7 per comparison: over the few hundred comparisons here a
 * correct implementation fails with probability < 1e-3 for a fresh seed. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/interrupt.h"
#include "fim/estimator.h"
#include "fim/fim.h"
#include "fim/spectrum.h"
#include "model/model.h"
#include "model/gmm_k.h"
#include "testutil.h"

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __GLIBC__
#endif

/* ---- sample sizes and tolerances ---------------------------------------- */

#define N_FD 64          /* observations for the finite-difference check */
#define N_MC 400000      /* Monte-Carlo draws for (b) */
#define N_EMP 200000     /* sample for the empirical / observed FIM (d) */
#define N_MOM 100000     /* each of the two samples in (e) */
#define ZMAX 5.0         /* standard errors allowed in statistical checks */

/* An exact FIM may be a quadrature (gmm: composite Gauss-Legendre, which
 * matches the closed forms below to ~1e-15 relative; test_singular_rows
 * holds it to 1e-10). 1e-9 of the largest entry is an allowance for that,
 * negligible next to statistical errors of ~1e-3. */
#define QUAD_RTOL 1e-9

/* ---- closed forms at declared test points ------------------------------ */

/* Closed-form FIM over all P parameters at a test point. */
typedef void (*expect_fn)(const model *m, gsl_matrix *G);

/* gmm closed forms (docs/theory.md section 2.1, "Singular sets", and
 * derived in the comments). With b = (w2 - w1) / s and z the standardised
 * observation:
 *   v = 0: s_v = phi2/phi1 - 1 = exp(b z - b^2/2) - 1, s_w1 = z / s, s_w2 = 0
 *     => G = [[e^{b^2} - 1, b/s, 0], [b/s, 1/s^2, 0], [0, 0, 0]]
 *     (with w1 fixed: Hartigan's diag(e^{mu^2} - 1, 0) of section 2.1);
 *   v = 1: mirror image, s_v = 1 - phi1/phi2 = 1 - exp(-b z - b^2/2)
 *     => G = [[e^{b^2} - 1, 0, b/s], [0, 0, 0], [b/s, 0, 1/s^2]];
 *   w1 = w2: s_v = 0, s_wk = pi_k z / s
 *     => G = [[0,0,0],[0,(1-v)^2,v(1-v)],[0,v(1-v),v^2]] / s^2. */
static void gmm_expect_v0(const model *m, gsl_matrix *G)
{
    double s = m->opt[0], b = (m->theta[2] - m->theta[1]) / s;
    gsl_matrix_set_zero(G);
    gsl_matrix_set(G, 0, 0, expm1(b * b));
    gsl_matrix_set(G, 0, 1, b / s);
    gsl_matrix_set(G, 1, 0, b / s);
    gsl_matrix_set(G, 1, 1, 1.0 / (s * s));
}

static void gmm_expect_v1(const model *m, gsl_matrix *G)
{
    double s = m->opt[0], b = (m->theta[2] - m->theta[1]) / s;
    gsl_matrix_set_zero(G);
    gsl_matrix_set(G, 0, 0, expm1(b * b));
    gsl_matrix_set(G, 0, 2, b / s);
    gsl_matrix_set(G, 2, 0, b / s);
    gsl_matrix_set(G, 2, 2, 1.0 / (s * s));
}

static void gmm_expect_equal_means(const model *m, gsl_matrix *G)
{
    double s2 = m->opt[0] * m->opt[0], v = m->theta[0];
    gsl_matrix_set_zero(G);
    gsl_matrix_set(G, 1, 1, (1 - v) * (1 - v) / s2);
    gsl_matrix_set(G, 1, 2, v * (1 - v) / s2);
    gsl_matrix_set(G, 2, 1, v * (1 - v) / s2);
    gsl_matrix_set(G, 2, 2, v * v / s2);
}

/* ARMA(1,1), docs/theory.md section 2.3 (the closed form under "Exact FIM:
 * Whittle's integral"):
 * G = [[1/(1-phi^2), 1/(1+phi theta)], [1/(1+phi theta), 1/(1-theta^2)]]. */
static void arma_expect_11(const model *m, gsl_matrix *G)
{
    double f = m->theta[0], t = m->theta[1];
    gsl_matrix_set(G, 0, 0, 1.0 / (1.0 - f * f));
    gsl_matrix_set(G, 0, 1, 1.0 / (1.0 + f * t));
    gsl_matrix_set(G, 1, 0, 1.0 / (1.0 + f * t));
    gsl_matrix_set(G, 1, 1, 1.0 / (1.0 - t * t));
}

/* Closed forms keyed by (family, test point label); an entry whose test
 * point is not declared (a renamed label) is reported by test_points. */
typedef struct {
    const char *family, *label;
    expect_fn expect;
} closed_form;

static const closed_form closed_forms[] = {
    {"arma", "(1,1) on ar1=-ma1", arma_expect_11},
    {"arma", "(1,1) ar1+ma1=1e-4", arma_expect_11},
    {"gmm", "v=0", gmm_expect_v0},
    {"gmm", "v=0 Hartigan (w1 fixed)", gmm_expect_v0},
    {"gmm", "v=1", gmm_expect_v1},
    {"gmm", "w1=w2", gmm_expect_equal_means},
    {"gmm", "w1=w2 s=2", gmm_expect_equal_means},
    {"gmm", "w1=w2 v=0", gmm_expect_equal_means},
};
#define NCLOSED (sizeof closed_forms / sizeof closed_forms[0])

static expect_fn closed_form_of(const model_type *t, const char *label)
{
    for (size_t i = 0; i < NCLOSED; i++)
        if (strcmp(closed_forms[i].family, t->name) == 0 &&
            strcmp(closed_forms[i].label, label) == 0)
            return closed_forms[i].expect;
    return NULL;
}

/* ---- the battery's points ----------------------------------------------- */

#define MAX_CASES 128

typedef struct {
    model *m;
    const model_type *t;
    char label[64];
    /* the declared test point, NULL for the default / generic points */
    const model_testpoint *row;
    expect_fn expect; /* closed-form G at the test point, or NULL */
} tcase;

typedef struct {
    tcase c[MAX_CASES];
    size_t n;
    char errors[2048]; /* problems building the points, reported by a test */
} battery;

static void note_error(battery *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void note_error(battery *b, const char *fmt, ...)
{
    size_t l = strlen(b->errors);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b->errors + l, sizeof b->errors - l, fmt, ap);
    va_end(ap);
}

static void add_case(battery *b, model *m, const char *label,
                     const model_testpoint *row)
{
    if (b->n >= MAX_CASES) {
        model_free(m);
        return;
    }
    tcase *c = &b->c[b->n++];
    c->m = m;
    c->t = m->type;
    c->row = row;
    c->expect = row ? closed_form_of(m->type, row->label) : NULL;
    snprintf(c->label, sizeof c->label, "%s", label);
}

/* theta_i = default + 0.385 (i + 1) - 0.73, kept inside finite bounds by
 * at least a tenth of the range (or 0.1), so that the point is generic and
 * not on a parameter bound. */
static model *generic_point(const model *def)
{
    model *m = model_clone(def);
    if (!m)
        return NULL;
    double *th = malloc(m->P * sizeof *th);
    if (!th) {
        model_free(m);
        return NULL;
    }
    for (size_t i = 0; i < m->P; i++) {
        double lo = model_param_lo(m, i), hi = model_param_hi(m, i);
        double x = m->theta[i] + 0.385 * (double)(i + 1) - 0.73;
        double margin = (isfinite(lo) && isfinite(hi)) ? 0.1 * (hi - lo)
                                                        : 0.1;
        if (isfinite(lo) && x < lo + margin)
            x = lo + margin;
        if (isfinite(hi) && x > hi - margin)
            x = hi - margin;
        th[i] = x;
    }
    if (model_validate(m, th) == SS_OK)
        memcpy(m->theta, th, m->P * sizeof *th);
    else
        print_message("note: %s: generic point invalid (%s); using the "
                      "defaults\n", m->type->name, ss_last_error()->msg);
    ss_clear_error();
    free(th);
    return m;
}

static int group_setup(void **state)
{
    ss_gsl_install_handler();
    battery *b = calloc(1, sizeof *b);
    if (!b)
        return -1;
    size_t nt;
    const model_type *const *reg = model_registry(&nt);
    for (size_t f = 0; f < nt; f++) {
        const model_type *t = reg[f];
        /* population families have no per-row likelihood: test_popfim
         * checks their design FIMs */
        if (t->pop)
            continue;
        model *def = NULL;
        if (model_alloc(t, NULL, 0, &def) != SS_OK) {
            note_error(b, "%s: default model_alloc failed: %s\n", t->name,
                       ss_last_error()->msg);
            continue;
        }
        model *gen = generic_point(def);
        add_case(b, def, "default", NULL);
        if (gen)
            add_case(b, gen, "generic", NULL);
        for (size_t r = 0; r < t->ntestpoints; r++) {
            const model_testpoint *tp = &t->testpoints[r];
            model *m = NULL;
            if (model_alloc_testpoint(t, tp, &m) != SS_OK) {
                note_error(b, "%s test point '%s': %s\n", t->name, tp->label,
                           ss_last_error()->msg);
                continue;
            }
            add_case(b, m, tp->label, tp);
        }
        if (t->ntestpoints == 0)
            print_message("note: family %s declares no test points; "
                          "checked at its default and generic points only\n",
                          t->name);
    }
    /* every closed form must meet its test point: a renamed label would
     * otherwise drop a check silently */
    for (size_t i = 0; i < NCLOSED; i++) {
        const model_type *t = model_type_find(closed_forms[i].family);
        if (!t) {
            print_message("note: closed form '%s' is for family '%s', which "
                          "is not registered\n", closed_forms[i].label,
                          closed_forms[i].family);
            continue;
        }
        size_t r = 0;
        while (r < t->ntestpoints &&
               strcmp(t->testpoints[r].label, closed_forms[i].label) != 0)
            r++;
        if (r == t->ntestpoints)
            note_error(b, "closed form for %s test point '%s': the family "
                          "declares no such test point\n",
                       closed_forms[i].family, closed_forms[i].label);
    }
    ss_clear_error();
    *state = b;
    return 0;
}

static int group_teardown(void **state)
{
    battery *b = *state;
    for (size_t i = 0; b && i < b->n; i++)
        model_free(b->c[i].m);
    free(b);
    return 0;
}

static void set_where(tu_ctx *c, const tcase *tc)
{
    tu_where(c, "%s @ %s", tc->t->name, tc->label);
}

/* ---- small helpers ------------------------------------------------------ */

static gsl_matrix *draw(const model *m, size_t n, unsigned long seed)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_matrix *X = gsl_matrix_alloc(n, m->type->data_cols(m));
    assert_non_null(r);
    assert_non_null(X);
    gsl_rng_set(r, seed);
    ss_status st = m->type->sample(m, m->theta, r, X);
    gsl_rng_free(r);
    if (st != SS_OK) {
        gsl_matrix_free(X);
        fail_msg("%s: sample failed: %s", m->type->name,
                 ss_last_error()->msg);
    }
    return X;
}

static double max_abs(const gsl_matrix *A)
{
    double x = 0;
    for (size_t i = 0; i < A->size1; i++)
        for (size_t j = 0; j < A->size2; j++)
            x = fmax(x, fabs(gsl_matrix_get(A, i, j)));
    return x;
}

/* fim_compute that must succeed; NULL (and a recorded failure) if not. */
static fim_result *fim_ok(tu_ctx *c, const model *m, const fim_request *rq)
{
    fim_result *f = NULL;
    ss_status st = fim_compute(m, rq, &f);
    TU_CHECK(c, st == SS_OK && f, "fim_compute(%s) failed: %s (%s)",
             fim_method_name(rq->method), ss_status_name(st),
             ss_last_error()->msg);
    return st == SS_OK ? f : NULL;
}

/* Reference FIM for the statistical comparisons: exact when the family has
 * it (se = NULL), else Monte-Carlo with its standard errors. */
static fim_result *reference(tu_ctx *c, const model *m)
{
    fim_request rq = {0};
    if (m->type->fim_exact) {
        rq.method = FIM_EXACT;
    } else {
        rq.method = FIM_MC;
        rq.n = N_MC;
        rq.seed = 977;
    }
    return fim_ok(c, m, &rq);
}

static double se_of(const fim_result *f, size_t a, size_t b)
{
    return f->se ? gsl_matrix_get(f->se, a, b) : 0.0;
}

/* |est - ref| <= ZMAX * sqrt(se_est^2 + se_ref^2 + se_extra^2) + bias +
 * QUAD_RTOL * max|ref| entrywise. */
static void compare_fim(tu_ctx *c, const char *what, const fim_result *est,
                        const gsl_matrix *se_est, const fim_result *ref,
                        const gsl_matrix *bias)
{
    double slack = QUAD_RTOL * max_abs(ref->G) + 1e-300;
    for (size_t a = 0; a < ref->k; a++)
        for (size_t b = 0; b < ref->k; b++) {
            double s1 = se_est ? gsl_matrix_get(se_est, a, b) : 0;
            double s2 = se_of(ref, a, b);
            double sd = sqrt(s1 * s1 + s2 * s2);
            double tol = ZMAX * sd + slack +
                         (bias ? gsl_matrix_get(bias, a, b) : 0);
            if (sd > 0) {
                char lab[128];
                snprintf(lab, sizeof lab, "%s G[%s][%s]", what,
                         est->names[a], est->names[b]);
                tu_z(c,
                     (gsl_matrix_get(est->G, a, b) -
                      gsl_matrix_get(ref->G, a, b)) / sd,
                     lab);
            }
            TU_CHECK_CLOSE(c, gsl_matrix_get(est->G, a, b),
                           gsl_matrix_get(ref->G, a, b), 0, tol,
                           "%s G[%s][%s] (se %.3g)", what, est->names[a],
                           est->names[b], s1);
        }
}

static int theta_ok(const model *m, const double *th)
{
    ss_status st = model_validate(m, th);
    ss_clear_error();
    return st == SS_OK;
}

/* ---- (0) the points themselves ------------------------------------------ */

static void test_points(void **state)
{
    battery *b = *state;
    size_t nt;
    model_registry(&nt);
    assert_true(nt >= 1);
    if (b->errors[0])
        fail_msg("building the test points failed:\n%s", b->errors);
    size_t npop = 0;
    for (size_t f = 0; f < nt; f++)
        npop += model_registry(&nt)[f]->pop != NULL;
    assert_true(b->n >= 2 * (nt - npop));
    tu_ctx c = {0};
    for (size_t i = 0; i < b->n; i++) {
        const tcase *tc = &b->c[i];
        set_where(&c, tc);
        TU_CHECK(&c, theta_ok(tc->m, tc->m->theta), "point is not valid");
        TU_CHECK(&c, tc->t->data_cols(tc->m) >= 1, "no data columns");
        /* the singular-set report covers rows that sit on a set */
        if (tc->row && tc->row->where == MODEL_TP_ON && tc->t->singular) {
            model_singular *all = NULL;
            size_t n;
            int best = model_nearest_singular(tc->m, &all, &n);
            TU_CHECK(&c, best >= 0 && all[best].distance == 0.0,
                     "row is on a singular set but the nearest reported "
                     "distance is %g",
                     best >= 0 ? all[best].distance : -1.0);
            free(all);
        }
        /* and generic or near points are off every set */
        if (tc->row && tc->row->where != MODEL_TP_ON && tc->t->singular) {
            model_singular *all = NULL;
            size_t n;
            int best = model_nearest_singular(tc->m, &all, &n);
            TU_CHECK(&c, best < 0 || all[best].distance > 0.0,
                     "point declared %s lies on the set %s",
                     tc->row->where == MODEL_TP_NEAR ? "near" : "generic",
                     all[best].name);
            free(all);
        }
    }
    tu_done(&c);
}

/* ---- (a) score vs finite differences of the log-likelihood -------------- */

/* 5-point stencils for f'(0): central, error h^4/30 f^(5), rounding
 * 1.5 eps|f|/h; one-sided (at a bound or the edge of the valid region),
 * error h^4/5 f^(5), rounding 10.7 eps|f|/h. */
static const double st_central[5][2] = {
    {-2, 1.0 / 12}, {-1, -8.0 / 12}, {1, 8.0 / 12}, {2, -1.0 / 12}, {0, 0}};
static const double st_forward[5][2] = {{0, -25.0 / 12},
                                        {1, 48.0 / 12},
                                        {2, -36.0 / 12},
                                        {3, 16.0 / 12},
                                        {4, -3.0 / 12}};

static void test_score_fd(void **state)
{
    battery *b = *state;
    tu_ctx c = {0};
    for (size_t ci = 0; ci < b->n; ci++) {
        const tcase *tc = &b->c[ci];
        const model *m = tc->m;
        size_t P = m->P;
        set_where(&c, tc);
        gsl_matrix *X = draw(m, N_FD, 101 + ci);
        gsl_matrix *S = gsl_matrix_alloc(N_FD, P);
        double ell0[N_FD], ell[N_FD], fd[N_FD];
        double *th = malloc(P * sizeof *th);
        assert_non_null(th);
        ss_status st = m->type->loglik_terms(m, m->theta, X, ell0, S);
        TU_CHECK(&c, st == SS_OK, "loglik_terms failed: %s",
                 ss_last_error()->msg);
        for (size_t j = 0; st == SS_OK && j < P; j++) {
            /* h ~ eps^(1/5) balances h^4 truncation and eps/h rounding */
            double h = 1e-3 * fmax(1.0, fabs(m->theta[j]));
            const double(*sten)[2] = NULL;
            double dir = 1;
            for (int tries = 0; tries < 4 && !sten; tries++, h *= 0.1) {
                const double(*cand[3])[2] = {st_central, st_forward,
                                             st_forward};
                const double dirs[3] = {1, 1, -1};
                for (int k = 0; k < 3 && !sten; k++) {
                    int ok = 1;
                    for (int q = 0; q < 5 && ok; q++) {
                        if (cand[k][q][1] == 0)
                            continue;
                        memcpy(th, m->theta, P * sizeof *th);
                        th[j] += dirs[k] * cand[k][q][0] * h;
                        ok = theta_ok(m, th);
                    }
                    if (ok) {
                        sten = cand[k];
                        dir = dirs[k];
                    }
                }
                if (sten)
                    break;
            }
            if (!sten) {
                print_message("note: %s @ %s: no room to differentiate in "
                              "%s\n", tc->t->name, tc->label,
                              MODEL_PNAME(m, j));
                continue;
            }
            for (size_t i = 0; i < N_FD; i++)
                fd[i] = 0;
            for (int q = 0; q < 5 && st == SS_OK; q++) {
                if (sten[q][1] == 0)
                    continue;
                memcpy(th, m->theta, P * sizeof *th);
                th[j] += dir * sten[q][0] * h;
                st = m->type->loglik_terms(m, th, X, ell, NULL);
                for (size_t i = 0; i < N_FD; i++)
                    fd[i] += sten[q][1] * ell[i] / (dir * h);
            }
            TU_CHECK(&c, st == SS_OK, "loglik_terms failed: %s",
                     ss_last_error()->msg);
            /* rtol 1e-6: the truncation error h^4 f^(5)/5 is ~1e-12 f^(5);
             * atol 1e-8 (1 + |ell|) is 4000x the rounding bound
             * 10.7 eps |ell| / h. */
            for (size_t i = 0; st == SS_OK && i < N_FD; i++)
                TU_CHECK_CLOSE(&c, gsl_matrix_get(S, i, j), fd[i], 1e-6,
                               1e-8 * (1 + fabs(ell0[i])),
                               "score %s at x[%zu] = %g", MODEL_PNAME(m, j),
                               i, gsl_matrix_get(X, i, 0));
        }
        /* the log-likelihood terms themselves are finite at model draws */
        for (size_t i = 0; st == SS_OK && i < N_FD; i++)
            TU_CHECK(&c, isfinite(ell0[i]), "ell[%zu] = %g", i, ell0[i]);
        free(th);
        gsl_matrix_free(S);
        gsl_matrix_free(X);
    }
    tu_done(&c);
}

/* ---- (b) exact vs Monte-Carlo ------------------------------------------- */

static void test_exact_vs_mc(void **state)
{
    battery *b = *state;
    tu_ctx c = {0};
    size_t done = 0;
    for (size_t ci = 0; ci < b->n; ci++) {
        const tcase *tc = &b->c[ci];
        set_where(&c, tc);
        if (!tc->t->fim_exact)
            continue;
        fim_request rq = {0};
        rq.method = FIM_EXACT;
        fim_result *ex = fim_ok(&c, tc->m, &rq);
        rq.method = FIM_MC;
        rq.n = N_MC;
        rq.seed = 20240 + ci;
        fim_result *mc = fim_ok(&c, tc->m, &rq);
        if (ex && mc) {
            TU_CHECK(&c, mc->n == N_MC && !mc->interrupted && mc->se,
                     "mc used %zu draws, interrupted %d", mc->n,
                     mc->interrupted);
            TU_CHECK(&c, ex->n == 0 && ex->se == NULL,
                     "exact result carries n = %zu / se", ex->n);
            TU_CHECK(&c, ex->method == FIM_EXACT && mc->method == FIM_MC,
                     "method labels");
            if (mc->se)
                compare_fim(&c, "mc vs exact", mc, mc->se, ex, NULL);
            done++;
        }
        fim_result_free(ex);
        fim_result_free(mc);
    }
    if (done == 0)
        print_message("note: no family with an exact FIM\n");
    tu_done(&c);
}

/* ---- (c) exact FIM symmetric and PSD ------------------------------------ */

static void test_exact_sym_psd(void **state)
{
    battery *b = *state;
    tu_ctx c = {0};
    for (size_t ci = 0; ci < b->n; ci++) {
        const tcase *tc = &b->c[ci];
        set_where(&c, tc);
        if (!tc->t->fim_exact)
            continue;
        /* the family hook over all parameters, and fim_compute's block */
        const model *m = tc->m;
        gsl_matrix *G = gsl_matrix_alloc(m->P, m->P);
        gsl_matrix *root = NULL;
        ss_status st = m->type->fim_exact(m, m->theta, G, &root);
        TU_CHECK(&c, st == SS_OK, "fim_exact failed: %s",
                 ss_last_error()->msg);
        if (st == SS_OK) {
            double mx = max_abs(G);
            /* symmetric to rounding: entries are sums of the same terms */
            for (size_t i = 0; i < m->P; i++)
                for (size_t j = 0; j < i; j++)
                    TU_CHECK_CLOSE(&c, gsl_matrix_get(G, i, j),
                                   gsl_matrix_get(G, j, i), 0,
                                   1e-14 * mx, "G[%zu][%zu] vs G[%zu][%zu]",
                                   i, j, j, i);
            gsl_matrix *A = gsl_matrix_alloc(m->P, m->P);
            gsl_vector *ev = gsl_vector_alloc(m->P);
            gsl_eigen_symm_workspace *w = gsl_eigen_symm_alloc(m->P);
            gsl_matrix_memcpy(A, G);
            gsl_eigen_symm(A, ev, w);
            /* E[s s^T] is PSD; a backward-stable solver perturbs
             * eigenvalues by ~P eps max|G| = 7e-16 max|G| */
            for (size_t j = 0; j < m->P; j++)
                TU_CHECK(&c, gsl_vector_get(ev, j) >= -1e-12 * mx,
                         "eigenvalue %g < -1e-12 * %g",
                         gsl_vector_get(ev, j), mx);
            gsl_eigen_symm_free(w);
            gsl_vector_free(ev);
            gsl_matrix_free(A);
            /* a root factor reproduces G = R^T R */
            if (root) {
                TU_CHECK(&c, root->size2 == m->P, "root has %zu columns",
                         root->size2);
                for (size_t i = 0; root->size2 == m->P && i < m->P; i++)
                    for (size_t j = 0; j < m->P; j++) {
                        long double sum = 0, sabs = 0;
                        for (size_t r = 0; r < root->size1; r++) {
                            double p = gsl_matrix_get(root, r, i) *
                                       gsl_matrix_get(root, r, j);
                            sum += p;
                            sabs += fabsl((long double)p);
                        }
                        /* G sums the same products in double */
                        TU_CHECK_CLOSE(&c, (double)sum,
                                       gsl_matrix_get(G, i, j), 0,
                                       4 * (double)root->size1 *
                                               GSL_DBL_EPSILON *
                                               (double)sabs,
                                       "(R^T R)[%zu][%zu]", i, j);
                    }
                gsl_matrix_free(root);
            }
        }
        gsl_matrix_free(G);
    }
    tu_done(&c);
}

/* ---- (d) empirical and observed FIM on a large sample ------------------- */

/* Per-observation observed-information terms H_i = -d s_a(x_i) / d theta_b
 * over the free parameters, by the differences fim.c documents (central,
 * step 1e-5 max(1, |theta|), one-sided at the edge of the valid region),
 * at step h (mult = 1) and 2h (mult = 2). Fills the mean and the standard
 * error of the mean of the h terms, and a bound on the finite-difference
 * bias from the h / 2h difference (one-sided: bias(h) ~ c h, so
 * D(2h) - D(h) ~ bias; central: ~ 3 bias), doubled for safety. */
static int observed_terms(const model *m, const gsl_matrix *X,
                          const fim_result *ref, gsl_matrix *mean,
                          gsl_matrix *se, gsl_matrix *bias)
{
    size_t n = X->size1, P = m->P, k = ref->k;
    gsl_matrix *Su = gsl_matrix_alloc(n, P), *Sd = gsl_matrix_alloc(n, P);
    double *ell = malloc(n * sizeof *ell), *th = malloc(P * sizeof *th);
    long double *mean2 = calloc(k, sizeof *mean2);
    int ok = Su && Sd && ell && th && mean2;
    for (size_t b = 0; ok && b < k; b++) {
        size_t j = ref->idx[b];
        for (int mult = 1; ok && mult <= 2; mult++) {
            double h = mult * 1e-5 * fmax(1.0, fabs(m->theta[j]));
            double hi = m->theta[j] + h, lo = m->theta[j] - h;
            memcpy(th, m->theta, P * sizeof *th);
            th[j] = hi;
            if (!theta_ok(m, th))
                hi = m->theta[j];
            th[j] = lo;
            if (!theta_ok(m, th))
                lo = m->theta[j];
            if (hi == lo) {
                /* no room at h: the estimator itself cannot work; no room
                 * at 2h only: leave the bias bound at 0 (noted) */
                if (mult == 1)
                    ok = 0;
                else
                    print_message("note: %s: no room for the 2h step in "
                                  "%s; no bias bound\n", m->type->name,
                                  MODEL_PNAME(m, j));
                break;
            }
            int central = hi != m->theta[j] && lo != m->theta[j];
            th[j] = hi;
            ok = m->type->loglik_terms(m, th, X, ell, Su) == SS_OK;
            th[j] = lo;
            ok = ok && m->type->loglik_terms(m, th, X, ell, Sd) == SS_OK;
            for (size_t a = 0; ok && a < k; a++) {
                size_t ia = ref->idx[a];
                long double s1 = 0, s2 = 0;
                for (size_t i = 0; i < n; i++) {
                    double t = -(gsl_matrix_get(Su, i, ia) -
                                 gsl_matrix_get(Sd, i, ia)) /
                               (hi - lo);
                    s1 += t;
                    s2 += (long double)t * t;
                }
                long double mu = s1 / n;
                if (mult == 1) {
                    long double var = (s2 / n - mu * mu) * n / (n - 1);
                    gsl_matrix_set(mean, a, b, (double)mu);
                    gsl_matrix_set(se, a, b,
                                   sqrt((double)(var > 0 ? var : 0) / n));
                    mean2[a] = mu;
                } else {
                    double d = fabs((double)(mu - mean2[a]));
                    gsl_matrix_set(bias, a, b, 2.0 * d / (central ? 3 : 1));
                }
            }
        }
    }
    /* symmetrise like fim.c: the estimate is (H + H^T) / 2 */
    for (size_t a = 0; ok && a < k; a++)
        for (size_t b = a + 1; b < k; b++) {
            double v = 0.5 * (gsl_matrix_get(mean, a, b) +
                              gsl_matrix_get(mean, b, a));
            double s = fmax(gsl_matrix_get(se, a, b),
                            gsl_matrix_get(se, b, a));
            double bb = fmax(gsl_matrix_get(bias, a, b),
                             gsl_matrix_get(bias, b, a));
            gsl_matrix_set(mean, a, b, v);
            gsl_matrix_set(mean, b, a, v);
            gsl_matrix_set(se, a, b, s);
            gsl_matrix_set(se, b, a, s);
            gsl_matrix_set(bias, a, b, bb);
            gsl_matrix_set(bias, b, a, bb);
        }
    free(mean2);
    free(th);
    free(ell);
    if (Su)
        gsl_matrix_free(Su);
    if (Sd)
        gsl_matrix_free(Sd);
    return ok;
}

static void test_empirical_observed(void **state)
{
    battery *b = *state;
    tu_ctx c = {0};
    for (size_t ci = 0; ci < b->n; ci++) {
        const tcase *tc = &b->c[ci];
        set_where(&c, tc);
        fim_result *ref = reference(&c, tc->m);
        if (!ref)
            continue;
        gsl_matrix *X = draw(tc->m, N_EMP, 5150 + ci);
        fim_request rq = {0};
        rq.method = FIM_EMPIRICAL;
        rq.data = X;
        fim_result *emp = fim_ok(&c, tc->m, &rq);
        if (emp) {
            TU_CHECK(&c, emp->n == N_EMP && emp->se, "empirical n = %zu",
                     emp->n);
            if (emp->se)
                compare_fim(&c, "empirical vs exact", emp, emp->se, ref,
                            NULL);
        }
        rq.method = FIM_OBSERVED;
        fim_result *obs = fim_ok(&c, tc->m, &rq);
        size_t k = ref->k;
        gsl_matrix *mean = gsl_matrix_calloc(k, k);
        gsl_matrix *se = gsl_matrix_calloc(k, k);
        gsl_matrix *bias = gsl_matrix_calloc(k, k);
        if (obs) {
            TU_CHECK(&c, obs->n == N_EMP, "observed n = %zu", obs->n);
            int ok = observed_terms(tc->m, X, ref, mean, se, bias);
            TU_CHECK(&c, ok, "per-observation Hessian terms failed");
            if (ok) {
                /* the same estimator summed in another order: rounding of
                 * score differences is ~ eps |s| / h = 2e-11 |s| */
                double scale = 1 + max_abs(ref->G);
                for (size_t a = 0; a < k; a++)
                    for (size_t bb = 0; bb < k; bb++)
                        TU_CHECK_CLOSE(&c, gsl_matrix_get(obs->G, a, bb),
                                       gsl_matrix_get(mean, a, bb), 0,
                                       1e-9 * scale,
                                       "observed vs mean of -Hessian terms "
                                       "G[%s][%s]",
                                       obs->names[a], obs->names[bb]);
                /* E[-Hessian] = G: 5 SE of the per-observation terms plus
                 * the finite-difference bias bound */
                compare_fim(&c, "observed vs exact", obs, se, ref, bias);
            }
        }
        gsl_matrix_free(mean);
        gsl_matrix_free(se);
        gsl_matrix_free(bias);
        fim_result_free(obs);
        fim_result_free(emp);
        fim_result_free(ref);
        gsl_matrix_free(X);
    }
    tu_done(&c);
}

/* ---- (e) sampler moments ------------------------------------------------ */

typedef struct {
    double mean, var, m4; /* sample mean, variance, 4th central moment */
} moments;

static moments col_moments(const gsl_matrix *X, size_t j)
{
    moments r = {0, 0, 0};
    size_t n = X->size1;
    long double s = 0;
    for (size_t i = 0; i < n; i++)
        s += gsl_matrix_get(X, i, j);
    r.mean = (double)(s / n);
    long double s2 = 0, s4 = 0;
    for (size_t i = 0; i < n; i++) {
        double d = gsl_matrix_get(X, i, j) - r.mean;
        s2 += d * d;
        s4 += (long double)d * d * d * d;
    }
    r.var = (double)(s2 / (n - 1));
    r.m4 = (double)(s4 / n);
    return r;
}

/* Mean and variance of a data column with standard errors by batch means:
 * NB contiguous batches, the spread of the batch statistics giving the
 * error. Equal to the i.i.d. formula in expectation for i.i.d. draws, and
 * still right when a family's sample is a dependent series (ARMA), where
 * var / n would understate the error. */
#define NB 100

typedef struct {
    double mean, var, se_mean, se_var;
} colstat;

static colstat col_stats(const gsl_matrix *X, size_t j)
{
    colstat r;
    size_t n = X->size1, L = n / NB;
    moments all = col_moments(X, j);
    double bm[NB], bq[NB];
    long double sm = 0, sq = 0;
    for (size_t b = 0; b < NB; b++) {
        long double s1 = 0, s2 = 0;
        for (size_t i = b * L; i < (b + 1) * L; i++) {
            double x = gsl_matrix_get(X, i, j), d = x - all.mean;
            s1 += x;
            s2 += d * d;
        }
        bm[b] = (double)(s1 / L);
        bq[b] = (double)(s2 / L);
        sm += bm[b];
        sq += bq[b];
    }
    double mm = (double)(sm / NB), mq = (double)(sq / NB);
    long double vm = 0, vq = 0;
    for (size_t b = 0; b < NB; b++) {
        vm += (bm[b] - mm) * (bm[b] - mm);
        vq += (bq[b] - mq) * (bq[b] - mq);
    }
    r.mean = all.mean;
    r.var = all.var;
    r.se_mean = sqrt((double)(vm / (NB - 1)) / NB);
    r.se_var = sqrt((double)(vq / (NB - 1)) / NB);
    return r;
}

/* Two independent samples from the same point must agree in the mean and
 * variance of every column (two-sample z within ZMAX; with 2 x 99 degrees
 * of freedom in the errors, P(|t| > 5) ~ 1e-6). */
static void test_sampler_moments(void **state)
{
    battery *b = *state;
    tu_ctx c = {0};
    for (size_t ci = 0; ci < b->n; ci++) {
        const tcase *tc = &b->c[ci];
        set_where(&c, tc);
        gsl_matrix *X1 = draw(tc->m, N_MOM, 7001 + 2 * ci);
        gsl_matrix *X2 = draw(tc->m, N_MOM, 7002 + 2 * ci);
        /* the sampler is deterministic given the generator's seed */
        gsl_matrix *X3 = draw(tc->m, N_MOM, 7001 + 2 * ci);
        TU_CHECK(&c, gsl_matrix_equal(X1, X3), "same seed, different draws");
        TU_CHECK(&c, !gsl_matrix_equal(X1, X2),
                 "different seeds, same draws");
        for (size_t j = 0; j < X1->size2; j++) {
            colstat a = col_stats(X1, j), d = col_stats(X2, j);
            TU_CHECK(&c, isfinite(a.mean) && isfinite(a.var),
                     "column %zu: non-finite draws", j);
            double sm = hypot(a.se_mean, d.se_mean);
            double sv = hypot(a.se_var, d.se_var);
            if (sm > 0)
                tu_z(&c, (a.mean - d.mean) / sm, "two-sample mean");
            if (sv > 0)
                tu_z(&c, (a.var - d.var) / sv, "two-sample variance");
            if (sm == 0)
                TU_CHECK(&c, a.mean == d.mean, "constant column %zu", j);
            else
                TU_CHECK(&c, fabs(a.mean - d.mean) < ZMAX * sm,
                         "column %zu: means %.6g vs %.6g, z = %.2f", j,
                         a.mean, d.mean, (a.mean - d.mean) / sm);
            if (sv > 0)
                TU_CHECK(&c, fabs(a.var - d.var) < ZMAX * sv,
                         "column %zu: variances %.6g vs %.6g, z = %.2f", j,
                         a.var, d.var, (a.var - d.var) / sv);
        }
        gsl_matrix_free(X1);
        gsl_matrix_free(X2);
        gsl_matrix_free(X3);
    }
    tu_done(&c);
}

/* gmm: mean sum_k pi_k w_k (K = 2: (1-v) w1 + v w2), variance
 * s^2 + sum_k pi_k d_k^2 and, for the standard error of the sample
 * variance, the 4th central moment sum_k pi_k (d_k^4 + 6 d_k^2 s^2 +
 * 3 s^4), d_k = w_k - mean. */
static void test_gmm_sampler_exact_moments(void **state)
{
    battery *b = *state;
    tu_ctx c = {0};
    size_t seen = 0;
    for (size_t ci = 0; ci < b->n; ci++) {
        const tcase *tc = &b->c[ci];
        if (strcmp(tc->t->name, "gmm") != 0)
            continue;
        seen++;
        set_where(&c, tc);
        const model *m = tc->m;
        /* any layout (model/gmm_k.h): weights of components 2..K first,
         * then the K means, then s when it is free */
        gmm_layout L = gmm_layout_of(m);
        size_t K = L.K;
        double pi[GMM_KMAX], w[GMM_KMAX], s = L.sfree ? m->theta[2 * K - 1]
                                                      : m->opt[0];
        pi[0] = 1;
        for (size_t k = 0; k < K; k++) {
            if (k) {
                pi[k] = m->theta[k - 1];
                pi[0] -= pi[k];
            }
            w[k] = m->theta[K - 1 + k];
        }
        double mu = 0, var = s * s, m4 = 0, s2 = s * s;
        for (size_t k = 0; k < K; k++)
            mu += pi[k] * w[k];
        for (size_t k = 0; k < K; k++) {
            double d = w[k] - mu;
            var += pi[k] * d * d;
            m4 += pi[k] * (pow(d, 4) + 6 * d * d * s2 + 3 * s2 * s2);
        }
        gsl_matrix *X = draw(m, N_MOM, 9100 + ci);
        moments a = col_moments(X, 0);
        double n = N_MOM;
        double zm = (a.mean - mu) / sqrt(var / n);
        double zv = (a.var - var) / sqrt((m4 - var * var) / n);
        tu_z(&c, zm, "mean vs theory");
        tu_z(&c, zv, "variance vs theory");
        TU_CHECK(&c, fabs(zm) < ZMAX, "mean %.6g, theory %.6g, z = %.2f",
                 a.mean, mu, zm);
        TU_CHECK(&c, fabs(zv) < ZMAX, "variance %.6g, theory %.6g, z = %.2f",
                 a.var, var, zv);
        gsl_matrix_free(X);
    }
    if (seen == 0)
        skip();
    tu_done(&c);
}

/* ---- (f) nothing free --------------------------------------------------- */

/* Stands for "not written": fim_compute must set *out to NULL on error. */
static fim_result sentinel;

static void test_all_fixed(void **state)
{
    battery *b = *state;
    tu_ctx c = {0};
    for (size_t ci = 0; ci < b->n; ci++) {
        const tcase *tc = &b->c[ci];
        if (tc->row)
            continue; /* one default and one generic point per family */
        set_where(&c, tc);
        model *m = model_clone(tc->m);
        assert_non_null(m);
        memset(m->is_free, 0, m->P);
        gsl_matrix *X = draw(m, 16, 3);
        const fim_method meths[] = {FIM_EXACT, FIM_MC, FIM_EMPIRICAL,
                                    FIM_OBSERVED};
        for (size_t q = 0; q < 4; q++) {
            fim_request rq = {0};
            rq.method = meths[q];
            rq.n = 1000;
            rq.seed = 1;
            rq.data = X;
            fim_result *f = &sentinel; /* must be reset to NULL */
            ss_clear_error();
            ss_status st = fim_compute(m, &rq, &f);
            TU_CHECK(&c, st == SS_ERR_USAGE, "%s with nothing free: %s",
                     fim_method_name(meths[q]), ss_status_name(st));
            TU_CHECK(&c, f == NULL, "%s: result not NULL on error",
                     fim_method_name(meths[q]));
            TU_CHECK(&c, ss_last_error()->code == SS_ERR_USAGE &&
                             ss_last_error()->msg[0],
                     "%s: no error recorded", fim_method_name(meths[q]));
            if (f != &sentinel)
                fim_result_free(f);
        }
        gsl_matrix_free(X);
        model_free(m);
    }
    tu_done(&c);
}

/* Requests fim_compute must refuse, with the status its header and
 * messages promise, leaving *out NULL. */
static void test_fim_usage_errors(void **state)
{
    battery *b = *state;
    tu_ctx c = {0};
    for (size_t ci = 0; ci < b->n; ci++) {
        const tcase *tc = &b->c[ci];
        if (tc->row)
            continue;
        set_where(&c, tc);
        size_t cols = tc->t->data_cols(tc->m);
        gsl_matrix *wrong = gsl_matrix_calloc(8, cols + 1);
        const struct {
            const char *what;
            fim_method method;
            size_t n;
            const gsl_matrix *data;
            ss_status want;
        } cases[] = {
            {"mc n=0", FIM_MC, 0, NULL, SS_ERR_RANGE},
            {"mc n=1", FIM_MC, 1, NULL, SS_ERR_RANGE},
            {"empirical without data", FIM_EMPIRICAL, 0, NULL, SS_ERR_USAGE},
            {"observed without data", FIM_OBSERVED, 0, NULL, SS_ERR_USAGE},
            {"empirical, wrong columns", FIM_EMPIRICAL, 0, wrong,
             SS_ERR_USAGE},
            {"observed, wrong columns", FIM_OBSERVED, 0, wrong,
             SS_ERR_USAGE},
            {"unknown method", (fim_method)99, 0, NULL, SS_ERR_USAGE},
            {"exact without an exact route", FIM_EXACT, 0, NULL,
             SS_ERR_USAGE},
        };
        for (size_t q = 0; q < sizeof cases / sizeof cases[0]; q++) {
            if (cases[q].method == FIM_EXACT && tc->t->fim_exact)
                continue;
            fim_request rq = {0};
            rq.method = cases[q].method;
            rq.n = cases[q].n;
            rq.seed = 1;
            rq.data = cases[q].data;
            fim_result *f = &sentinel;
            ss_status st = fim_compute(tc->m, &rq, &f);
            TU_CHECK(&c, st == cases[q].want && f == NULL,
                     "%s: status %s (expected %s), result %s", cases[q].what,
                     ss_status_name(st), ss_status_name(cases[q].want),
                     f ? "set" : "NULL");
            if (f && f != &sentinel)
                fim_result_free(f);
        }
        gsl_matrix_free(wrong);
    }
    tu_done(&c);
}

/* ---- (g) reproducibility ------------------------------------------------ */

static int same_bits(const gsl_matrix *A, const gsl_matrix *B)
{
    return A && B && A->size1 == B->size1 && A->size2 == B->size2 &&
           gsl_matrix_equal(A, B);
}



/* A Monte-Carlo FIM run as a job and stopped, as Ctrl-C would stop it,
 * once at least `after` draws are done. */
static fim_result *mc_stopped(const model *m, const fim_request *rq,
                              size_t after)
{
    fim_ws *w;
    fim_job *j;
    if (fim_ws_alloc(m, fim_request_estimator(rq), &w) != SS_OK)
        return NULL;
    if (fim_job_start(w, m->theta, rq, &j) != SS_OK) {
        fim_ws_free(w);
        return NULL;
    }
    ss_iter it = {&fim_job_iter_type, j};
    while (!it.type->test(j)) {
        if (it.type->iterate(j) != SS_OK)
            break;
        size_t done, total;
        it.type->progress(j, &done, &total);
        if (done >= after) {
            ss_iter_stop(&it);
            break;
        }
    }
    fim_result *f = NULL;
    if (fim_job_finish(j, 1) == SS_OK)
        f = fim_ws_take(w);
    fim_ws_free(w);
    return f;
}

static void test_mc_reproducible(void **state)
{
    battery *b = *state;
    tu_ctx c = {0};
    const size_t n = 3 * FIM_MC_CHUNK + 17; /* whole chunks and a partial */
    for (size_t ci = 0; ci < b->n; ci++) {
        const tcase *tc = &b->c[ci];
        set_where(&c, tc);
        fim_request rq = {0};
        rq.method = FIM_MC;
        rq.n = n;
        rq.seed = 42;
        fim_result *f1 = fim_ok(&c, tc->m, &rq);
        fim_result *f2 = fim_ok(&c, tc->m, &rq);
        rq.seed = 43;
        fim_result *f3 = fim_ok(&c, tc->m, &rq);
        if (f1 && f2 && f3) {
            TU_CHECK(&c, f1->n == n, "n = %zu", f1->n);
            TU_CHECK(&c, same_bits(f1->G, f2->G) && same_bits(f1->se, f2->se),
                     "same seed, different G or se");
            /* different seeds: some entry with a non-degenerate score
             * product must change */
            int differ = 0, random_entries = 0;
            for (size_t a = 0; a < f1->k; a++)
                for (size_t bb = 0; bb < f1->k; bb++) {
                    random_entries += gsl_matrix_get(f1->se, a, bb) > 0;
                    differ += gsl_matrix_get(f1->G, a, bb) !=
                              gsl_matrix_get(f3->G, a, bb);
                }
            TU_CHECK(&c, random_entries == 0 || differ > 0,
                     "seeds 42 and 43 give the same G");
        }
        if (tc->m->type->series_memory) {
            /* a series family draws FIM_MC_SERIES burnt-in series: an
             * interrupted run keeps the whole series finished (two here) */
            rq.seed = 42;
            size_t per = n / FIM_MC_SERIES;
            fim_result *fi = mc_stopped(tc->m, &rq, 2 * per);
            TU_CHECK(&c, fi && fi->interrupted && fi->n_requested == n &&
                             fi->n >= 2 * per && fi->n <= 2 * per + 2,
                     "interrupted series run: n %zu of %zu",
                     fi ? fi->n : 0, n);
            fim_result_free(f1);
            fim_result_free(f2);
            fim_result_free(f3);
            fim_result_free(fi);
            continue;
        }
        /* an interrupted run keeps whole chunks from the first on: it
         * equals the run of that many draws bit for bit, on any number of
         * threads (asked for far more than one step computes, so the
         * stop comes before the end however fast the workers are) */
        rq.seed = 42;
        rq.n = 4096 * FIM_MC_CHUNK;
        rq.threads = 2;
        fim_result *fi = mc_stopped(tc->m, &rq, FIM_MC_CHUNK);
        fim_result *f4 = NULL;
        if (fi) {
            rq.n = fi->n;
            rq.threads = 1;
            f4 = fim_ok(&c, tc->m, &rq);
        }
        if (fi && f4) {
            TU_CHECK(&c, fi->interrupted && fi->n % FIM_MC_CHUNK == 0 &&
                             fi->n >= FIM_MC_CHUNK &&
                             fi->n < 4096 * FIM_MC_CHUNK &&
                             fi->n_requested == 4096 * FIM_MC_CHUNK,
                     "interrupted run: interrupted %d, n %zu, requested %zu",
                     fi->interrupted, fi->n, fi->n_requested);
            TU_CHECK(&c, same_bits(fi->G, f4->G) && same_bits(fi->se, f4->se),
                     "interrupted after %zu draws differs from n = %zu",
                     fi->n, fi->n);
            TU_CHECK(&c, !f4->interrupted, "flag leaked into the next run");
        } else {
            TU_CHECK(&c, 0, "interrupted run failed");
        }
        fim_result_free(f1);
        fim_result_free(f2);
        fim_result_free(f3);
        fim_result_free(fi);
        fim_result_free(f4);
    }
    tu_done(&c);
}

/* ---- (h) singular sets -------------------------------------------------- */

static void test_singular_rows(void **state)
{
    battery *b = *state;
    tu_ctx c = {0};
    size_t rows = 0;
    for (size_t ci = 0; ci < b->n; ci++) {
        const tcase *tc = &b->c[ci];
        const model_testpoint *r = tc->row;
        if (!r)
            continue;
        rows++;
        set_where(&c, tc);
        if (!tc->t->fim_exact) {
            print_message("note: %s has no exact FIM; row '%s' checked by "
                          "the statistical tests only\n", tc->t->name,
                          r->label);
            continue;
        }
        fim_request rq = {0};
        rq.method = FIM_EXACT;
        fim_result *f = fim_ok(&c, tc->m, &rq);
        if (!f)
            continue;
        for (size_t a = 0; a < f->k; a++)
            for (size_t bb = 0; bb < f->k; bb++)
                TU_CHECK(&c, isfinite(gsl_matrix_get(f->G, a, bb)),
                         "G[%zu][%zu] not finite", a, bb);
        if (tc->expect) {
            const model *m = tc->m;
            gsl_matrix *E = gsl_matrix_alloc(m->P, m->P);
            tc->expect(m, E);
            double emx = max_abs(E);
            /* quadrature of smooth integrands: 1e-10 relative to the
             * largest entry covers the rule's error (~1e-14 observed) */
            for (size_t a = 0; a < f->k; a++)
                for (size_t bb = 0; bb < f->k; bb++)
                    TU_CHECK_CLOSE(&c, gsl_matrix_get(f->G, a, bb),
                                   gsl_matrix_get(E, f->idx[a], f->idx[bb]),
                                   1e-10, 1e-10 * emx,
                                   "G[%s][%s] vs closed form", f->names[a],
                                   f->names[bb]);
            gsl_matrix_free(E);
        }
        if (r->rank >= 0) {
            spec_result *s = NULL;
            double tol = r->tol > 0 ? r->tol : SPEC_DEFAULT_TOL;
            ss_status st = spec_analyze(f, tol, &s);
            TU_CHECK(&c, st == SS_OK, "spec_analyze failed");
            if (s) {
                TU_CHECK(&c, s->rank == (size_t)r->rank,
                         "rank %zu at tol %g, expected %d (eigenvalues "
                         "%.3g %.3g %.3g, floor %.3g)",
                         s->rank, tol, r->rank, gsl_vector_get(s->eval, 0),
                         s->k > 1 ? gsl_vector_get(s->eval, 1) : 0,
                         s->k > 2 ? gsl_vector_get(s->eval, s->k - 1) : 0,
                         s->floor);
                TU_CHECK(&c, s->negative == 0, "%zu negative eigenvalues",
                         s->negative);
                if (r->where == MODEL_TP_ON)
                    TU_CHECK(&c, s->logdet == -INFINITY &&
                                     s->cond == INFINITY,
                             "on the set: logdet %g, cond %g", s->logdet,
                             s->cond);
                else
                    TU_CHECK(&c, isfinite(s->logdet) && isfinite(s->cond),
                             "near the set: logdet %g, cond %g", s->logdet,
                             s->cond);
                /* zero eigenvalues of a PSD matrix are not "below zero"
                 * by more than the floor */
                for (size_t j = 0; j < s->k; j++)
                    TU_CHECK(&c, gsl_vector_get(s->eval, j) >= -s->floor,
                             "eigenvalue %g below -floor %g",
                             gsl_vector_get(s->eval, j), s->floor);
            }
            spec_result_free(s);
        }
        fim_result_free(f);
    }
    if (rows == 0)
        print_message("note: no declared test points for any family\n");
    tu_done(&c);
}

/* gmm on v = 0 with all parameters free: the w2 row and column vanish
 * identically (w2 does not enter the density), and on w1 = w2 the v row. */
static void test_gmm_zero_rows(void **state)
{
    battery *b = *state;
    tu_ctx c = {0};
    size_t seen = 0;
    for (size_t ci = 0; ci < b->n; ci++) {
        const tcase *tc = &b->c[ci];
        if (strcmp(tc->t->name, "gmm") != 0 || !tc->row ||
            tc->row->where != MODEL_TP_ON)
            continue;
        const model *m = tc->m;
        int zero = -1;
        if (m->theta[1] == m->theta[2])
            zero = 0;
        else if (m->theta[0] == 0)
            zero = 2;
        else if (m->theta[0] == 1)
            zero = 1;
        if (zero < 0 || !m->is_free[zero])
            continue;
        seen++;
        set_where(&c, tc);
        fim_request rq = {0};
        rq.method = FIM_EXACT;
        fim_result *f = fim_ok(&c, m, &rq);
        if (!f)
            continue;
        size_t a0 = 0;
        while (f->idx[a0] != (size_t)zero)
            a0++;
        for (size_t a = 0; a < f->k; a++) {
            TU_CHECK(&c, gsl_matrix_get(f->G, a0, a) == 0.0 &&
                             gsl_matrix_get(f->G, a, a0) == 0.0,
                     "G[%s][%s] = %g, expected exactly 0", f->names[a0],
                     f->names[a], gsl_matrix_get(f->G, a0, a));
        }
        /* and the null direction reported by the spectrum is that axis */
        spec_result *s = NULL;
        if (spec_analyze(f, SPEC_DEFAULT_TOL, &s) == SS_OK) {
            double best = 0;
            for (size_t j = s->rank; j < s->k; j++)
                best = fmax(best, fabs(gsl_matrix_get(s->evec, a0, j)));
            TU_CHECK_CLOSE(&c, best, 1.0, 1e-12, 0,
                           "|%s component| of the null space",
                           f->names[a0]);
        }
        spec_result_free(s);
        fim_result_free(f);
    }
    if (seen == 0)
        skip();
    tu_done(&c);
}

/* ---- gmm theory near the singular sets ---------------------------------- */

static model *gmm_at(double v, double w1, double w2)
{
    const model_type *t = model_type_find("gmm");
    if (!t)
        return NULL;
    tu_args a;
    tu_args_init(&a);
    tu_args_num(&a, "v", v);
    tu_args_num(&a, "w1", w1);
    tu_args_num(&a, "w2", w2);
    model *m = NULL;
    if (model_alloc(t, a.a, a.n, &m) != SS_OK)
        fail_msg("gmm v=%g w1=%g w2=%g: %s", v, w1, w2,
                 ss_last_error()->msg);
    return m;
}

/* Eigenvalues (descending) of the exact FIM over the free parameters. */
static void gmm_eigs(model *m, double *ev, int *from_root)
{
    fim_request rq = {0};
    rq.method = FIM_EXACT;
    fim_result *f = NULL;
    spec_result *s = NULL;
    if (fim_compute(m, &rq, &f) != SS_OK)
        fail_msg("exact FIM: %s", ss_last_error()->msg);
    assert_int_equal(spec_analyze(f, SPEC_DEFAULT_TOL, &s), SS_OK);
    for (size_t j = 0; j < s->k; j++) {
        ev[j] = gsl_vector_get(s->eval, j);
        /* the laws below concern eigenvalues the spectrum resolves */
        assert_true(ev[j] > s->floor);
    }
    *from_root = s->from_root;
    spec_result_free(s);
    fim_result_free(f);
}

/* Near w1 = w2 (u = w2 - w1 -> 0, v fixed) the eigenvalues are of order
 * 1, u^2 and u^6 (docs/theory.md section 2.1, "Eigenvalue laws"; derived).
 * Measured: lambda_1 -> (1-v)^2 + v^2 (the eigenvalue of the limit G at
 * w1 = w2), lambda_2 / u^2 and lambda_3 / u^6 converge with relative
 * corrections O(u^2) (~1e-6 at u = 1e-3). The exponents from u = 1e-3 and
 * u / 2 are therefore within 1e-3 of 2 and 6 even if the corrections were
 * O(u) with a constant up to ~0.7; the limit of lambda_1 within 1e-4 (its
 * correction is O(u^2) with a unit constant). Asymmetric v = 0.3 so that
 * odd terms could appear. */
static void test_gmm_near_equal_means(void **state)
{
    (void)state;
    if (!model_type_find("gmm"))
        skip();
    const double v = 0.3, w1 = 0.2, u = 1e-3;
    double e1[3], e2[3];
    int r1, r2;
    model *m = gmm_at(v, w1, w1 + u);
    gmm_eigs(m, e1, &r1);
    model_free(m);
    m = gmm_at(v, w1, w1 + u / 2);
    gmm_eigs(m, e2, &r2);
    model_free(m);
    assert_true(r1 && r2); /* resolved through the root factor */
    assert_close(e1[0], (1 - v) * (1 - v) + v * v, 1e-4, 0);
    assert_close(log2(e1[1] / e2[1]), 2.0, 0, 1e-3);
    assert_close(log2(e1[2] / e2[2]), 6.0, 0, 1e-3);
}

/* Hartigan's form (w1 = 0 fixed; parameters a = v and mu = w2):
 * lambda_min ~ mu^4 / 2 as mu -> 0, for any a (docs/theory.md section 2.1,
 * "Eigenvalue laws"; derived). Measured relative corrections ~ mu^2 / a^2
 * (1e-2 at mu = 1e-2, a = 0.1; 1e-4 at mu = 1e-3): tolerance 2e-3 at
 * mu = 1e-3 for a in {0.1,...,0.9}. */
static void test_gmm_hartigan_quartic(void **state)
{
    (void)state;
    if (!model_type_find("gmm"))
        skip();
    const double as[] = {0.1, 0.3, 0.5, 0.9}, mu = 1e-3;
    for (size_t i = 0; i < 4; i++) {
        model *m = gmm_at(as[i], 0, mu);
        m->is_free[1] = 0;
        double ev[3];
        int root;
        gmm_eigs(m, ev, &root);
        model_free(m);
        assert_true(root);
        assert_close(ev[1] / pow(mu, 4), 0.5, 2e-3, 0);
    }
}

/* Blow-down: with m = (1-v) w1 + v w2 and u = w2 - w1 (s = 1),
 * log p(x) = log phi(x - m) + log(1 + v(1-v) u^2/2 He2(x - m)) + O(u^3).
 * The remainder must shrink by 8 when u halves (third order; the u^3 term
 * v(1-v)(1-2v) u^3/6 He3 is non-zero at v = 0.3), checked within 5%
 * (next corrections are O(u) relative at u = 0.02). */
static void test_gmm_blowdown(void **state)
{
    (void)state;
    if (!model_type_find("gmm"))
        skip();
    const double v = 0.3, w1 = -0.4;
    const double xs[] = {-2.5, -1.2, 0.3, 1.7, 3.1};
    double err[2][5];
    for (int h = 0; h < 2; h++) {
        double u = h == 0 ? 0.02 : 0.01;
        model *m = gmm_at(v, w1, w1 + u);
        gsl_matrix *X = gsl_matrix_alloc(5, 1);
        double ell[5];
        for (size_t i = 0; i < 5; i++)
            gsl_matrix_set(X, i, 0, xs[i]);
        assert_int_equal(m->type->loglik_terms(m, m->theta, X, ell, NULL),
                         SS_OK);
        double mm = (1 - v) * w1 + v * (w1 + u);
        for (size_t i = 0; i < 5; i++) {
            double y = xs[i] - mm, he2 = y * y - 1;
            double approx = -0.5 * y * y - 0.5 * log(2 * M_PI) +
                            log1p(v * (1 - v) * u * u / 2 * he2);
            err[h][i] = ell[i] - approx;
        }
        gsl_matrix_free(X);
        model_free(m);
    }
    for (size_t i = 0; i < 5; i++) {
        double y = xs[i] - ((1 - v) * w1 + v * (w1 + 0.01));
        double he3 = y * y * y - 3 * y;
        if (fabs(he3) < 0.5)
            continue; /* the u^3 term nearly vanishes here */
        assert_close(err[0][i] / err[1][i], 8.0, 0.05, 0);
        /* and it is the predicted u^3 term */
        assert_close(err[1][i],
                     v * (1 - v) * (1 - 2 * v) * pow(0.01, 3) / 6 * he3,
                     0.05, 0);
    }
}

/* ---- (i) interrupt before the first chunk ------------------------------- */

static void test_interrupt(void **state)
{
    battery *b = *state;
    tu_ctx c = {0};
    for (size_t ci = 0; ci < b->n; ci++) {
        const tcase *tc = &b->c[ci];
        if (tc->row)
            continue;
        set_where(&c, tc);
        fim_request rq = {0};
        rq.method = FIM_MC;
        rq.n = N_MC;
        rq.seed = 7;
        fim_result *f = &sentinel; /* must be reset */
        /* (leaks on this path are LeakSanitizer's job in the sanitizer
         * build: malloc statistics count glibc's per-thread caches as "in
         * use" and gave false alarms) */
        ss_interrupt_raise();
        ss_status st = fim_compute(tc->m, &rq, &f);
        TU_CHECK(&c, ss_interrupted(), "the flag was consumed");
        ss_interrupt_clear();
        TU_CHECK(&c, st == SS_ERR_INTERRUPTED, "status %s, expected %s",
                 ss_status_name(st), ss_status_name(SS_ERR_INTERRUPTED));
        TU_CHECK(&c, f == NULL, "result not NULL");
        if (f != &sentinel)
            fim_result_free(f);
        /* after clearing, the same request completes */
        rq.n = 2 * FIM_MC_CHUNK;
        f = fim_ok(&c, tc->m, &rq);
        if (f)
            TU_CHECK(&c, !f->interrupted && f->n == rq.n, "n = %zu", f->n);
        fim_result_free(f);
    }
    tu_done(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_points),
        cmocka_unit_test(test_score_fd),
        cmocka_unit_test(test_exact_vs_mc),
        cmocka_unit_test(test_exact_sym_psd),
        cmocka_unit_test(test_empirical_observed),
        cmocka_unit_test(test_sampler_moments),
        cmocka_unit_test(test_gmm_sampler_exact_moments),
        cmocka_unit_test(test_all_fixed),
        cmocka_unit_test(test_fim_usage_errors),
        cmocka_unit_test(test_mc_reproducible),
        cmocka_unit_test(test_singular_rows),
        cmocka_unit_test(test_gmm_zero_rows),
        cmocka_unit_test(test_gmm_near_equal_means),
        cmocka_unit_test(test_gmm_hartigan_quartic),
        cmocka_unit_test(test_gmm_blowdown),
        cmocka_unit_test(test_interrupt),
    };
    return cmocka_run_group_tests_name("models", tests, group_setup,
                                       group_teardown);
}

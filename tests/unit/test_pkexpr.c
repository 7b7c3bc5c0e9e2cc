/* The user-defined population model (model/pkexpr.c) against independent
 * routes:
 *  - the oral one-compartment formula typed as an expression gives the
 *    population FIMs (fo, fo-full) of pk1's closed form for PopED's
 *    warfarin design: the same model by two independent codes (pk1's
 *    hand-written derivatives, the expression's dual numbers);
 *  - the biexponential's value against the formula computed in C and its
 *    gradient against central differences of values;
 *  - a parameter the formula does not contain: a singular set at distance
 *    0 and a zero row and column of every design's FIM;
 *  - the refusals (with the column in the user's line) and a domain error
 *    at a point reported by predict with the formula's column. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "design/popfim.h"
#include "model/pop.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const double warf_t[8] = {0.5, 1, 2, 6, 24, 36, 72, 120};

/* An expr model as `model u expr "FORMULA" params=[..] iiv=[..] ...` would
 * pass it: the formula's text starting at column fcol of the line, the
 * names lists, then key=value text (numbers, vectors, words) as tu_model
 * reads it. */
typedef struct {
    model_arg a[32];
    size_t n;
} ex_args;

static ss_status ex_try(const char *formula, int fcol,
                        const char *const *params, size_t np,
                        const char *const *iiv, size_t ni, const char *rest,
                        model **out)
{
    static double num[16], vec[16][16];
    static char buf[512];
    model_arg a[32];
    size_t n = 0;
    memset(a, 0, sizeof a);
    if (formula) {
        a[n].key = "formula";
        a[n].str = formula;
        a[n].col = fcol - 1;
        a[n].val_col = fcol;
        n++;
    }
    if (params) {
        a[n].key = "params";
        a[n].names = params;
        a[n].nnames = np;
        a[n].col = 100;
        n++;
    }
    if (iiv) {
        a[n].key = "iiv";
        a[n].names = iiv;
        a[n].nnames = ni;
        a[n].col = 200;
        n++;
    }
    snprintf(buf, sizeof buf, "%s", rest ? rest : "");
    char *save = NULL;
    size_t k0 = 0;
    for (char *tok = strtok_r(buf, " ", &save); tok && n < 32;
         tok = strtok_r(NULL, " ", &save), k0++) {
        char *eq = strchr(tok, '=');
        assert_non_null(eq);
        *eq = 0;
        a[n].key = tok;
        a[n].col = 300 + (int)k0;
        char *end;
        if (eq[1] == '[') {
            size_t k = 0;
            for (char *q = eq + 2; *q && *q != ']' && k < 16;
                 q = end + (*end == ','))
                vec[k0][k++] = strtod(q, &end);
            a[n].num = vec[k0];
            a[n].n = k;
            a[n].is_vector = 1;
        } else {
            num[k0] = strtod(eq + 1, &end);
            if (*end || end == eq + 1) {
                a[n].str = eq + 1;
            } else {
                a[n].num = &num[k0];
                a[n].n = 1;
            }
        }
        n++;
    }
    *out = NULL;
    return model_alloc(&model_expr_type, a, n, out);
}

static model *ex_model(const char *formula, const char *const *params,
                       size_t np, const char *const *iiv, size_t ni,
                       const char *rest)
{
    model *m = NULL;
    if (ex_try(formula, 15, params, np, iiv, ni, rest, &m) != SS_OK)
        fail_msg("expr model %s: %s", formula, ss_last_error()->msg);
    return m;
}

/* ---- the oral one-compartment model, typed and built in ---------------- */

static const char *const oral_params[] = {"CL", "V", "KA", "F"};
static const char *const oral_iiv[] = {"CL", "V", "KA"};

static void fims_equal(model *a, model *b, const pop_design *d,
                       popfim_method meth, double rtol)
{
    size_t ia[64], ib[64];
    size_t k = model_free_indices(a, ia);
    assert_int_equal(model_free_indices(b, ib), k);
    gsl_matrix *Ma = gsl_matrix_alloc(k, k), *Mb = gsl_matrix_alloc(k, k);
    popfim_opts o = {meth, 0, 0, 0};
    assert_int_equal(popfim_design(a, a->theta, d, &o, ia, k, Ma), SS_OK);
    assert_int_equal(popfim_design(b, b->theta, d, &o, ib, k, Mb), SS_OK);
    double worst = 0;
    for (size_t i = 0; i < k; i++)
        for (size_t j = 0; j < k; j++) {
            double x = gsl_matrix_get(Ma, i, j), y = gsl_matrix_get(Mb, i, j);
            /* an entry that is 0 in one (the reduced FIM's cross block)
             * is 0 in the other; the rest relative to the entry, scaled
             * by the geometric mean of the diagonal so tiny entries are
             * judged against their row's size */
            double s = sqrt(gsl_matrix_get(Mb, i, i) *
                            gsl_matrix_get(Mb, j, j));
            double e = fabs(x - y) / fmax(fabs(y), 1e-3 * s);
            worst = fmax(worst, e);
            if (!(e <= rtol))
                fail_msg("%s: M[%zu][%zu] = %.17g vs pk1 %.17g (rel %.3g)",
                         popfim_method_name(meth), i, j, x, y, e);
        }
    print_message("  %s: worst relative difference from pk1 %.3g\n",
                  popfim_method_name(meth), worst);
    gsl_matrix_free(Ma);
    gsl_matrix_free(Mb);
}

static void test_oral_equals_pk1(void **state)
{
    (void)state;
    model *p = tu_model(&model_pk1_type,
                        "route=oral dose=70 CL=0.15 V=8 KA=1 F=1 "
                        "omega=[0.07,0.02,0.6] error=prop sigma2=0.01");
    const char *rest = "CL=0.15 V=8 KA=1 F=1 omega=[0.07,0.02,0.6] "
                       "error=prop sigma2=0.01";
    /* the literal dose, and the name dose bound to the design's */
    model *u = ex_model("70*F*KA/(V*(KA-CL/V))*(exp(-CL/V*t)-exp(-KA*t))",
                        oral_params, 4, oral_iiv, 3, rest);
    model *w = ex_model("dose*F*KA/(V*(KA-CL/V))*(exp(-CL/V*t)-exp(-KA*t))",
                        oral_params, 4, oral_iiv, 3, rest);
    assert_int_equal(u->P, p->P);
    for (size_t i = 0; i < p->P; i++) {
        assert_string_equal(MODEL_PNAME(u, i), MODEL_PNAME(p, i));
        assert_true(u->theta[i] == p->theta[i]);
    }
    p->is_free[3] = u->is_free[3] = w->is_free[3] = 0; /* F fixed */
    size_t off[2] = {0, 8};
    double size = 32, dose = 70;
    pop_design *d, *dd;
    assert_int_equal(pd_alloc(1, off, warf_t, &size, NULL, &d, NULL, NULL),
                     SS_OK);
    assert_int_equal(pd_alloc(1, off, warf_t, &size, &dose, &dd, NULL, NULL),
                     SS_OK);
    /* fo: both are exact to rounding (f and its gradient to a few ulps,
     * with the cancellation in KA - CL/V and in the difference of
     * exponentials; then sums over 8 times and an 8 x 8 solve): seen
     * ~3e-14, so 1e-10 leaves a wide margin and still catches any wrong
     * term. fo-full adds the fixed effects' second derivatives, which
     * popfim takes by central differences (step 1e-5 of each value) of
     * the family's gradient: the two codes' gradients differ by their
     * rounding, ~3e-14 relative (what fo shows), and the difference
     * quotient divides that by the step, ~3e-9 at worst; seen ~6e-10.
     * 1e-8 is that bound with a margin; an error in a derivative would
     * show at O(1). */
    fims_equal(u, p, d, POPFIM_FO, 1e-10);
    fims_equal(u, p, d, POPFIM_FO_FULL, 1e-8);
    fims_equal(w, p, dd, POPFIM_FO, 1e-10);
    fims_equal(w, p, dd, POPFIM_FO_FULL, 1e-8);
    /* the model's own dose (dose=, default 70) when the design has none */
    fims_equal(w, p, d, POPFIM_FO, 1e-10);
    /* a clone predicts the same (its formula parsed again) and is the
     * same model; another formula with the same values is not */
    model *c = model_clone(w);
    assert_non_null(c);
    assert_true(model_fingerprint(c) == model_fingerprint(w));
    assert_true(model_fingerprint(u) != model_fingerprint(w));
    fims_equal(c, p, dd, POPFIM_FO, 1e-10);
    model_free(c);
    pd_free(d);
    pd_free(dd);
    model_free(p);
    model_free(u);
    model_free(w);
}

/* ---- the biexponential: values and gradient ---------------------------- */

static const char *const bi_params[] = {"A", "alpha", "B", "beta"};

static void test_biexp_gradient(void **state)
{
    (void)state;
    model *m = ex_model("A*exp(-alpha*t) + B*exp(-beta*t)", bi_params, 4,
                        bi_params, 2, "A=10 alpha=0.5 B=2 beta=0.05");
    const pop_spec *sp = pop_spec_of(m);
    assert_non_null(sp);
    assert_int_equal(sp->npsi, 4);
    assert_int_equal(sp->neta, 2);
    static const double t[5] = {0, 0.3, 2, 10, 48};
    double psi[4] = {10, 0.5, 2, 0.05}, f[5], g[5 * 4];
    assert_int_equal(sp->predict(m, psi, NAN, t, 5, f, g), SS_OK);
    for (size_t j = 0; j < 5; j++) {
        double want = 10 * exp(-0.5 * t[j]) + 2 * exp(-0.05 * t[j]);
        /* the same operations in another order: a few ulps */
        assert_close_msg(f[j], want, 1e-14, 0, "biexp value");
        for (size_t i = 0; i < 4; i++) {
            /* central differences, step 1e-5 of the value: truncation
             * h^2 f''' / 6 ~ 1e-10 relative, rounding eps |f| / h ~
             * 1e-11 of f, so 1e-7 of the derivative's scale is loose but
             * catches any wrong term (each is O(1) of f's scale) */
            double h = 1e-5 * fabs(psi[i]), fp, fm, x[4];
            memcpy(x, psi, sizeof x);
            x[i] += h;
            assert_int_equal(sp->predict(m, x, NAN, &t[j], 1, &fp, NULL),
                             SS_OK);
            x[i] = psi[i] - h;
            assert_int_equal(sp->predict(m, x, NAN, &t[j], 1, &fm, NULL),
                             SS_OK);
            double fd = (fp - fm) / (2 * h);
            double scale = fabs(want) / fabs(psi[i]);
            assert_close_msg(g[j * 4 + i], fd, 1e-7, 1e-7 * scale,
                             "biexp gradient");
        }
    }
    /* the closed form of one partial: d f / d alpha = -A t e^{-alpha t} */
    assert_close(g[3 * 4 + 1], -10 * 10 * exp(-5.0), 1e-14, 0);
    model_free(m);
}

/* ---- an unused parameter: structurally non-identifiable ---------------- */

static void test_unused_parameter(void **state)
{
    (void)state;
    static const char *const pr[] = {"A", "k", "Z"};
    model *m = ex_model("A*exp(-k*t)", pr, 3, pr, 2, "A=5 k=0.3 error=add");
    model_singular *s;
    size_t n;
    assert_int_equal(model_singular_list(m, m->theta, &s, &n), SS_OK);
    assert_true(n >= 1);
    assert_non_null(strstr(s[0].name, "Z"));
    assert_true(s[0].distance == 0.0);
    free(s);
    /* the FIM's row and column of Z vanish (exactly: df/dZ is 0) */
    size_t idx[16], k = model_free_indices(m, idx);
    gsl_matrix *M = gsl_matrix_alloc(k, k);
    size_t off[2] = {0, 4};
    double t[4] = {0.5, 1, 4, 8}, size = 10;
    pop_design *d;
    assert_int_equal(pd_alloc(1, off, t, &size, NULL, &d, NULL, NULL),
                     SS_OK);
    popfim_opts o = {POPFIM_FO, 0, 0, 0};
    assert_int_equal(popfim_design(m, m->theta, d, &o, idx, k, M), SS_OK);
    for (size_t j = 0; j < k; j++)
        assert_true(gsl_matrix_get(M, 2, j) == 0.0);
    assert_true(gsl_matrix_get(M, 0, 0) > 0);
    /* fixed, it is no longer reported */
    m->is_free[2] = 0;
    assert_int_equal(model_singular_list(m, m->theta, &s, &n), SS_OK);
    assert_int_equal(n, 0);
    free(s);
    gsl_matrix_free(M);
    pd_free(d);
    model_free(m);
}

/* ---- refusals ----------------------------------------------------------- */

static void refused(const char *formula, const char *const *params,
                    size_t np, const char *const *iiv, size_t ni,
                    const char *rest, ss_status code, int col,
                    const char *needle)
{
    model *m = (model *)1;
    ss_status st = ex_try(formula, 15, params, np, iiv, ni, rest, &m);
    const ss_error *e = ss_last_error();
    if (st != code || m != NULL || !strstr(e->msg, needle) ||
        (col >= 0 && e->col != col))
        fail_msg("%s: got status %d col %d '%s', expected %d col %d '%s'",
                 formula ? formula : "(default)", (int)st, e->col, e->msg,
                 (int)code, col, needle);
}

static void test_refusals(void **state)
{
    (void)state;
    static const char *const ak[] = {"A", "k"};
    /* the formula starts at column 15 of the line: its column c is 14 + c */
    refused("A*exp(-k*t) + C", ak, 2, NULL, 0, NULL, SS_ERR_NAME, 14 + 15,
            "unknown name 'C'");
    refused("A*exp(-k*t) +* 2", ak, 2, NULL, 0, NULL, SS_ERR_SYNTAX, 14 + 14,
            "column 14");
    refused("A*exp(-k*t", ak, 2, NULL, 0, NULL, SS_ERR_SYNTAX, -1,
            "unclosed");
    refused("A*k", ak, 2, NULL, 0, NULL, SS_ERR_USAGE, 14,
            "does not depend on t");
    static const char *const v[] = {"V"};
    refused("A*exp(-k*t)", ak, 2, v, 1, NULL, SS_ERR_NAME, 200,
            "'V' is not one of params=");
    static const char *const aka[] = {"A", "k", "A"};
    refused("A*exp(-k*t)", aka, 3, NULL, 0, NULL, SS_ERR_USAGE, 100,
            "'A' is named twice");
    static const char *const at[] = {"A", "t"};
    refused("A*exp(-k*t)", at, 2, NULL, 0, NULL, SS_ERR_USAGE, 100,
            "'t' is taken");
    static const char *const aa[] = {"A", "A"};
    refused("A*exp(-k*t)", ak, 2, aa, 2, NULL, SS_ERR_USAGE, 200,
            "named twice");
    refused("A*exp(-k*t)", NULL, 0, NULL, 0, NULL, SS_ERR_USAGE, -1,
            "needs params=");
    refused(NULL, ak, 2, NULL, 0, NULL, SS_ERR_USAGE, 100,
            "give the formula too");
    /* a random effect needs a positive fixed effect */
    static const char *const a[] = {"A"};
    refused("A*exp(-k*t)", ak, 2, a, 1, "A=0", SS_ERR_RANGE, -1,
            "needs A > 0");
    /* a clean state after each refusal: the default model is made */
    model *m = NULL;
    assert_int_equal(model_alloc(&model_expr_type, NULL, 0, &m), SS_OK);
    assert_int_equal(m->P, 4 + 1); /* A alpha B beta, sig2_prop */
    model_free(m);
}

/* A domain error at a point: predict says so with the formula's column. */
static void test_domain_error(void **state)
{
    (void)state;
    static const char *const ak[] = {"A", "k"};
    model *m = ex_model("A/(k-1)*exp(-t)", ak, 2, NULL, 0, "A=2 k=3");
    const pop_spec *sp = pop_spec_of(m);
    double t = 0.5, f, g[2], psi[2] = {2, 1};
    assert_int_equal(sp->predict(m, m->theta, NAN, &t, 1, &f, g), SS_OK);
    assert_close(f, 2.0 / 2.0 * exp(-0.5), 1e-15, 0);
    ss_status st = sp->predict(m, psi, NAN, &t, 1, &f, g);
    assert_int_equal(st, SS_ERR_RANGE);
    const char *msg = ss_last_error()->msg;
    if (!strstr(msg, "formula") || !strstr(msg, "division by zero") ||
        !strstr(msg, "column 2"))
        fail_msg("domain error message: %s", msg);
    /* and a design's FIM at that point refuses with it */
    m->theta[1] = 1;
    size_t idx[8], k = model_free_indices(m, idx);
    gsl_matrix *M = gsl_matrix_alloc(k, k);
    size_t off[2] = {0, 1};
    double size = 1;
    pop_design *d;
    assert_int_equal(pd_alloc(1, off, &t, &size, NULL, &d, NULL, NULL),
                     SS_OK);
    popfim_opts o = {POPFIM_FO, 0, 0, 0};
    assert_int_equal(popfim_design(m, m->theta, d, &o, idx, k, M),
                     SS_ERR_RANGE);
    assert_non_null(strstr(ss_last_error()->msg, "division by zero"));
    gsl_matrix_free(M);
    pd_free(d);
    model_free(m);
}

int main(void)
{
    ss_gsl_install_handler();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oral_equals_pk1),
        cmocka_unit_test(test_biexp_gradient),
        cmocka_unit_test(test_unused_parameter),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_domain_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

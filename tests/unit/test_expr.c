/* Expressions with exact derivatives (model/expr.h): values against the
 * same formulas written in C, gradients against analytic derivatives and
 * central differences, the grammar's precedence, every error with its
 * column, domain errors, and an exhaustive never-crash sweep. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"
#include "model/expr.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static expr *parse_ok(const char *text, const char *const *names, size_t n)
{
    expr *e = NULL;
    ss_status st = expr_parse(text, names, n, &e);
    if (st != SS_OK)
        print_error("'%s': %s (column %d)\n", text, ss_last_error()->msg,
                    ss_last_error()->col);
    assert_int_equal(st, SS_OK);
    assert_non_null(e);
    return e;
}

static double eval_ok(const expr *e, const double *p, double t, double *g)
{
    double v = NAN;
    ss_status st = expr_eval(e, p, t, &v, g);
    if (st != SS_OK)
        print_error("eval: %s\n", ss_last_error()->msg);
    assert_int_equal(st, SS_OK);
    return v;
}

/* A constant expression's value (no parameters). */
static double value_of(const char *text)
{
    expr *e = parse_ok(text, NULL, 0);
    double v = eval_ok(e, NULL, 0, NULL);
    expr_free(e);
    return v;
}

/* ---- the issue's two models --------------------------------------------- */

/* Both routes do the same floating-point operations in nearly the same
 * order, so they agree to a few ulps: 1e-14 relative leaves a margin of
 * ~50 ulps. The analytic gradient is again a handful of roundings. */
static void test_biexponential(void **state)
{
    (void)state;
    static const char *const names[] = {"A", "alpha", "B", "beta"};
    const double p[] = {2.0, 0.7, 0.5, 0.05};
    const double ts[] = {0, 0.25, 1, 3, 24, 120};
    expr *e = parse_ok("A*exp(-alpha*t) + B*exp(-beta*t)", names, 4);
    assert_int_equal(expr_nparams(e), 4);
    for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++) {
        double t = ts[i], g[4], v = eval_ok(e, p, t, g);
        double e1 = exp(-p[1] * t), e2 = exp(-p[3] * t);
        assert_close(v, p[0] * e1 + p[2] * e2, 1e-14, 0);
        assert_close(eval_ok(e, p, t, NULL), v, 0, 0); /* same without grad */
        assert_close(g[0], e1, 1e-14, 0);
        assert_close(g[1], -p[0] * t * e1, 1e-14, 0);
        assert_close(g[2], e2, 1e-14, 0);
        assert_close(g[3], -p[2] * t * e2, 1e-14, 0);
    }
    expr_free(e);
}

static double pk1(const double *q, double t)
{
    /* D, F, ka, V, CL */
    double ke = q[4] / q[3];
    return q[0] * q[1] * q[2] / (q[3] * (q[2] - ke)) *
           (exp(-ke * t) - exp(-q[2] * t));
}

static void test_pk_oral(void **state)
{
    (void)state;
    static const char *const names[] = {"D", "F", "ka", "V", "CL"};
    const double p[] = {70, 1, 1, 8, 0.15}; /* PopED's warfarin point */
    const double ts[] = {0.5, 1, 2, 6, 24, 36, 72, 120};
    expr *e = parse_ok("D*F*ka/(V*(ka-CL/V))*(exp(-CL/V*t)-exp(-ka*t))",
                       names, 5);
    for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++) {
        double t = ts[i], g[5], v = eval_ok(e, p, t, g);
        assert_close(v, pk1(p, t), 1e-14, 0);
        /* f is linear in D and F: the partials are f/D and f/F exactly */
        assert_close(g[0], v / p[0], 1e-14, 0);
        assert_close(g[1], v / p[1], 1e-14, 0);
        /* the others by central differences with step h = 1e-5 |p|:
         * truncation ~ h^2 f'''/6 ~ 1e-10 relative, rounding ~ eps/h
         * ~ 1e-11, so 1e-7 relative (plus 1e-12 f absolute for the
         * partials that pass through zero) is comfortably wide yet would
         * catch any wrong rule. */
        for (int k = 2; k < 5; k++) {
            double q[5], h = 1e-5 * p[k];
            memcpy(q, p, sizeof q);
            q[k] = p[k] + h;
            double fp = pk1(q, t);
            q[k] = p[k] - h;
            double fm = pk1(q, t);
            char what[64];
            snprintf(what, sizeof what, "df/d%s at t=%g", names[k], t);
            assert_close_msg(g[k], (fp - fm) / (2 * h), 1e-7, 1e-12 * v,
                             what);
        }
    }
    expr_free(e);
}

/* ---- grammar ------------------------------------------------------------- */

static void test_precedence(void **state)
{
    (void)state;
    assert_true(value_of("2^3^2") == 512);  /* right-associative: 2^(3^2) */
    assert_true(value_of("(2^3)^2") == 64);
    assert_true(value_of("-2^2") == -4);    /* -(2^2): '^' binds tighter */
    assert_true(value_of("(-2)^2") == 4);
    assert_true(value_of("2^-1") == 0.5);   /* a unary exponent */
    assert_true(value_of("2^-1^2") == 0.5); /* 2^(-(1^2)) */
    assert_true(value_of("10-4-3") == 3);   /* left-associative */
    assert_true(value_of("8/4/2") == 1);
    assert_true(value_of("2+3*4") == 14);
    assert_true(value_of("2*3+4") == 10);
    assert_true(value_of("2*-3") == -6);
    assert_true(value_of("--2") == 2);
    assert_true(value_of("+2") == 2);
    assert_true(value_of("-3-2") == -5);
    assert_true(value_of(" ( 1 + 2 ) * 3 ") == 9);
    assert_true(value_of("1e-3*1000") == 1);
    assert_true(value_of(".5") == 0.5);
    assert_true(value_of("2.5E+2") == 250);
    assert_true(value_of("pow(2, 10)") == 1024);
    assert_true(value_of("pow(2, 3)^2") == 64);
    assert_true(value_of("sqrt(16)") == 4);
    assert_true(value_of("abs(-3)") == 3);
    assert_true(value_of("tanh(0)") == 0);
    assert_close(value_of("exp(log(3))"), 3, 4e-16, 0); /* two roundings */
    assert_close(value_of("sin(1)^2+cos(1)^2"), 1, 4e-16, 0);
    assert_close(value_of("tan(0.3)"), sin(0.3) / cos(0.3), 4e-16, 0);
}

static void test_assoc_params(void **state)
{
    (void)state;
    static const char *const names[] = {"a", "b", "c"};
    const double p[] = {10, 4, 3};
    double g[3];
    expr *e = parse_ok("a-b-c", names, 3);
    assert_true(eval_ok(e, p, 0, g) == 3); /* (a-b)-c, not a-(b-c) = 9 */
    assert_true(g[0] == 1 && g[1] == -1 && g[2] == -1);
    expr_free(e);
    e = parse_ok("a/b/c", names, 3);
    assert_close(eval_ok(e, p, 0, g), 10.0 / 12, 1e-15, 0);
    assert_close(g[0], 1.0 / 12, 1e-15, 0);
    assert_close(g[1], -10.0 / (16 * 3), 1e-15, 0);
    assert_close(g[2], -10.0 / (4 * 9), 1e-15, 0);
    expr_free(e);
}

/* Every operation's rule against its derivative by hand. */
static void test_rules(void **state)
{
    (void)state;
    static const char *const names[] = {"x", "y"};
    const double p[] = {1.7, 2.3};
    const double x = p[0], y = p[1];
    struct {
        const char *text;
        double v, dx, dy;
    } c[] = {
        {"x^y", pow(x, y), y * pow(x, y - 1), pow(x, y) * log(x)},
        {"pow(x, y)", pow(x, y), y * pow(x, y - 1), pow(x, y) * log(x)},
        {"x*y", x * y, y, x},
        {"x/y", x / y, 1 / y, -x / (y * y)},
        {"-x+y", -x + y, -1, 1},
        {"exp(x*y)", exp(x * y), y * exp(x * y), x * exp(x * y)},
        {"log(x*y)", log(x * y), 1 / x, 1 / y},
        {"sqrt(x)", sqrt(x), 0.5 / sqrt(x), 0},
        {"sin(x)", sin(x), cos(x), 0},
        {"cos(y)", cos(y), 0, -sin(y)},
        {"tan(x)", tan(x), 1 / (cos(x) * cos(x)), 0},
        {"tanh(x)", tanh(x), 1 - tanh(x) * tanh(x), 0},
        {"abs(x-y)", fabs(x - y), -1, 1},
        {"x^3", x * x * x, 3 * x * x, 0},
        {"2^x", pow(2, x), pow(2, x) * log(2.0), 0},
        {"t*x", 5 * x, 5, 0},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        expr *e = parse_ok(c[i].text, names, 2);
        double g[2], v = eval_ok(e, p, 5, g);
        /* one or two roundings in each route: 1e-14 */
        assert_close_msg(v, c[i].v, 1e-14, 0, c[i].text);
        assert_close_msg(g[0], c[i].dx, 1e-14, 0, c[i].text);
        assert_close_msg(g[1], c[i].dy, 1e-14, 0, c[i].text);
        expr_free(e);
    }
    /* a negative base to a constant integer power */
    expr *e = parse_ok("x^3", names, 2);
    const double q[] = {-1.5, 0};
    double g[2];
    assert_true(eval_ok(e, q, 0, g) == -3.375);
    assert_true(g[0] == 3 * 2.25 && g[1] == 0);
    expr_free(e);
    /* 0^y at y > 0 is 0 for every y: its y-partial is 0, not 0 * -inf */
    e = parse_ok("x^y", names, 2);
    const double z[] = {0, 2};
    assert_true(eval_ok(e, z, 0, g) == 0);
    assert_true(g[0] == 0 && g[1] == 0);
    expr_free(e);
}

static void test_uses(void **state)
{
    (void)state;
    static const char *const names[] = {"A", "alpha", "B"};
    expr *e = parse_ok("A*exp(-alpha*t)", names, 3);
    assert_true(expr_uses(e, 0) && expr_uses(e, 1));
    assert_false(expr_uses(e, 2));
    assert_false(expr_uses(e, 3)); /* out of range */
    assert_true(expr_uses_t(e));
    double g[3] = {9, 9, 9};
    const double p[] = {1, 1, 1};
    eval_ok(e, p, 1, g);
    assert_true(g[2] == 0); /* an unused parameter has a zero partial */
    expr_free(e);
    e = parse_ok("A+B", names, 3);
    assert_false(expr_uses_t(e));
    assert_false(expr_uses(e, 1));
    expr_free(e);
}

/* ---- errors -------------------------------------------------------------- */

static void expect_err(const char *text, ss_status code, int col,
                       const char *msg)
{
    static const char *const names[] = {"A", "B"};
    expr *e = (expr *)1;
    ss_clear_error();
    ss_status st = expr_parse(text, names, 2, &e);
    const ss_error *er = ss_last_error();
    if (st != code || er->col != col || strcmp(er->msg, msg))
        print_error("'%s': got %d col %d '%s', want %d col %d '%s'\n", text,
                    (int)st, er->col, er->msg, (int)code, col, msg);
    assert_int_equal(st, code);
    assert_int_equal(er->col, col);
    assert_string_equal(er->msg, msg);
    assert_null(e);
}

static void test_errors(void **state)
{
    (void)state;
    expect_err("", SS_ERR_SYNTAX, 1, "empty expression");
    expect_err("   ", SS_ERR_SYNTAX, 1, "empty expression");
    expect_err("A + #", SS_ERR_SYNTAX, 5, "unexpected character '#'");
    expect_err("(A + 1", SS_ERR_SYNTAX, 1, "unclosed '('");
    expect_err("exp(A", SS_ERR_SYNTAX, 4, "unclosed '('");
    expect_err("A + 1)", SS_ERR_SYNTAX, 6, "unmatched ')'");
    expect_err("(A 1)", SS_ERR_SYNTAX, 4,
               "expected ')' to close the '(' at column 1, found '1'");
    expect_err("A *", SS_ERR_SYNTAX, 4, "missing operand after '*'");
    expect_err("A * * B", SS_ERR_SYNTAX, 5, "missing operand after '*'");
    expect_err("* A", SS_ERR_SYNTAX, 1, "missing operand before '*'");
    expect_err("()", SS_ERR_SYNTAX, 2, "missing operand after '('");
    expect_err("A^", SS_ERR_SYNTAX, 3, "missing operand after '^'");
    expect_err("foo(A)", SS_ERR_NAME, 1,
               "unknown function 'foo' (known: exp, log, sqrt, sin, cos, "
               "tan, tanh, abs, pow)");
    expect_err("2*pow(A)", SS_ERR_SYNTAX, 3,
               "function 'pow' takes 2 arguments, got 1");
    expect_err("exp(A, B)", SS_ERR_SYNTAX, 1,
               "function 'exp' takes 1 argument, got 2");
    expect_err("exp()", SS_ERR_SYNTAX, 1,
               "function 'exp' takes 1 argument, got 0");
    expect_err("exp(A B)", SS_ERR_SYNTAX, 7,
               "expected ',' or ')' in the arguments of 'exp', found 'B'");
    expect_err("exp + 1", SS_ERR_SYNTAX, 1,
               "function 'exp' needs its argument in parentheses");
    expect_err("A B", SS_ERR_SYNTAX, 3,
               "unexpected 'B' after a complete expression");
    expect_err("2x", SS_ERR_SYNTAX, 2,
               "unexpected 'x' after a complete expression");
    expect_err("A, B", SS_ERR_SYNTAX, 2,
               "unexpected ',' after a complete expression");
    expect_err("A + alpha", SS_ERR_NAME, 5,
               "unknown name 'alpha' (neither a parameter nor t)");
    expect_err("T*A", SS_ERR_NAME, 1,
               "unknown name 'T' (neither a parameter nor t)");
    expect_err("1 + 1e+", SS_ERR_SYNTAX, 5,
               "malformed number '1e+': an exponent needs digits");
    expect_err("1e400", SS_ERR_RANGE, 1,
               "number '1e400' is too large for a double");

    /* nesting beyond the limit is refused, not a stack overflow */
    char deep[2 * EXPR_MAX_DEPTH + 8];
    size_t k = 0;
    for (; k < EXPR_MAX_DEPTH; k++)
        deep[k] = '(';
    deep[k++] = '1';
    deep[k] = 0;
    expr *e = NULL;
    assert_int_equal(expr_parse(deep, NULL, 0, &e), SS_ERR_LIMIT);
    assert_null(e);
    memset(deep, '-', EXPR_MAX_DEPTH + 1);
    deep[EXPR_MAX_DEPTH + 1] = '1';
    deep[EXPR_MAX_DEPTH + 2] = 0;
    assert_int_equal(expr_parse(deep, NULL, 0, &e), SS_ERR_LIMIT);
    /* and just inside it is accepted: 50 parentheses */
    for (k = 0; k < 50; k++)
        deep[k] = '(';
    deep[k++] = '7';
    for (size_t j = 0; j < 50; j++)
        deep[k++] = ')';
    deep[k] = 0;
    assert_true(value_of(deep) == 7);

    /* bad parameter lists */
    static const char *const with_t[] = {"A", "t"};
    static const char *const twice[] = {"A", "A"};
    static const char *const bad[] = {"2x"};
    assert_int_equal(expr_parse("A", with_t, 2, &e), SS_ERR_USAGE);
    assert_string_equal(ss_last_error()->msg,
                        "parameter name 't' is taken by the independent "
                        "variable");
    assert_int_equal(expr_parse("A", twice, 2, &e), SS_ERR_USAGE);
    assert_string_equal(ss_last_error()->msg, "parameter 'A' named twice");
    assert_int_equal(expr_parse("A", bad, 1, &e), SS_ERR_USAGE);
    assert_null(e);
}

static void expect_range(const char *text, const double *p, int grad,
                         int col, const char *msg)
{
    static const char *const names[] = {"A", "B"};
    expr *e = parse_ok(text, names, 2);
    double v, g[2];
    ss_clear_error();
    ss_status st = expr_eval(e, p, 1, &v, grad ? g : NULL);
    const ss_error *er = ss_last_error();
    if (st != SS_ERR_RANGE || er->col != col || strcmp(er->msg, msg))
        print_error("'%s': got %d col %d '%s', want col %d '%s'\n", text,
                    (int)st, er->col, er->msg, col, msg);
    assert_int_equal(st, SS_ERR_RANGE);
    assert_int_equal(er->col, col);
    assert_string_equal(er->msg, msg);
    expr_free(e);
}

static void test_domain(void **state)
{
    (void)state;
    const double zero[] = {0, 0}, neg[] = {-2, 0.5}, big[] = {1000, 1};
    const double one0[] = {1, 0};
    expect_range("1 + A/B", one0, 1, 6, "division by zero at column 6");
    expect_range("1 + A/B", one0, 0, 6, "division by zero at column 6");
    expect_range("2*log(A)", zero, 1, 3,
                 "log at column 3 of the non-positive number 0");
    expect_range("log(A)", neg, 0, 1,
                 "log at column 1 of the non-positive number -2");
    expect_range("sqrt(A)", neg, 1, 1,
                 "sqrt at column 1 of the negative number -2");
    expect_range("sqrt(A)", zero, 1, 1, "sqrt at column 1: no derivative at 0");
    expect_range("abs(A)", zero, 1, 1, "abs at column 1: no derivative at 0");
    expect_range("exp(A)", big, 0, 1,
                 "exp at column 1 gives a non-finite value");
    expect_range("A^B", neg, 1, 2,
                 "the power at column 2: negative base -2 to a power that "
                 "depends on a parameter");
    expect_range("A^0.5", neg, 0, 2,
                 "the power at column 2: negative base -2 to the non-integer "
                 "power 0.5");
    expect_range("pow(A, B)", neg, 0, 1,
                 "the power at column 1: negative base -2 to a power that "
                 "depends on a parameter");
    expect_range("A^-1", zero, 0, 2,
                 "the power at column 2: division by zero (0 to the power "
                 "-1)");
    expect_range("A^0.5", zero, 1, 2,
                 "the power at column 2 gives a non-finite derivative");
    const double zz[] = {0, 0};
    expect_range("A^B", zz, 1, 2,
                 "the power at column 2: 0^b has no derivative in b at b = 0");

    /* without a derivative, sqrt and abs at 0 are fine */
    static const char *const names[] = {"A"};
    expr *e = parse_ok("sqrt(A) + abs(A)", names, 1);
    assert_true(eval_ok(e, zero, 0, NULL) == 0);
    expr_free(e);
    e = parse_ok("A^B", (const char *const[]){"A", "B"}, 2);
    assert_true(eval_ok(e, zz, 0, NULL) == 1); /* 0^0 = 1 as C's pow */
    expr_free(e);
    /* non-finite parameter values are refused at their column */
    e = parse_ok("1 + A", names, 1);
    double v, nan_p[] = {NAN};
    assert_int_equal(expr_eval(e, nan_p, 0, &v, NULL), SS_ERR_RANGE);
    assert_int_equal(ss_last_error()->col, 5);
    expr_free(e);
}

/* ---- never crash --------------------------------------------------------- */

/* Parse (and on success evaluate) text; an error must carry a message and
 * a column inside the text or one past its end. */
static void poke(const char *text, long *ok, long *bad)
{
    static const char *const names[] = {"A", "B"};
    const double p[] = {0.5, -1};
    expr *e = NULL;
    size_t len = strlen(text);
    ss_clear_error();
    if (expr_parse(text, names, 2, &e) == SS_OK) {
        double v, g[2];
        (*ok)++;
        if (expr_eval(e, p, 0.25, &v, g) == SS_OK) {
            assert_true(isfinite(v) && isfinite(g[0]) && isfinite(g[1]));
        } else {
            assert_true(ss_last_error()->msg[0] != 0);
        }
        expr_free(e);
    } else {
        const ss_error *er = ss_last_error();
        (*bad)++;
        assert_null(e);
        assert_true(er->msg[0] != 0);
        if (!(er->col >= 1 && (size_t)er->col <= len + 1))
            print_error("'%s': column %d\n", text, er->col);
        assert_true(er->col >= 1 && (size_t)er->col <= len + 1);
    }
}

/* Instead of random strings: every string of up to 4 symbols over an
 * alphabet that covers each token class (and a bad byte), then every
 * one-symbol deletion, replacement and insertion of the biexponential.
 * Deterministic, so a failure replays, and it covers what a random sample
 * of short strings would. */
static void test_sweep(void **state)
{
    (void)state;
    static const char alpha[] = "1.e+-*/^(),At x#\x80";
    const size_t na = sizeof alpha - 1;
    char s[128];
    long ok = 0, bad = 0;
    for (size_t len = 0; len <= 4; len++) {
        size_t total = 1, idx[4] = {0};
        for (size_t j = 0; j < len; j++)
            total *= na;
        for (size_t c = 0; c < total; c++) {
            size_t r = c;
            for (size_t j = 0; j < len; j++) {
                idx[j] = r % na;
                r /= na;
                s[j] = alpha[idx[j]];
            }
            s[len] = 0;
            poke(s, &ok, &bad);
        }
    }
    static const char base[] = "A*exp(-B*t) + pow(A, 2)/sqrt(B^2)";
    const size_t bl = sizeof base - 1;
    for (size_t i = 0; i <= bl; i++) {
        for (size_t a = 0; a <= na; a++) {
            /* insertion of alpha[a] at i (a == na: deletion of base[i]) */
            if (a < na) {
                memcpy(s, base, i);
                s[i] = alpha[a];
                memcpy(s + i + 1, base + i, bl - i + 1);
            } else if (i < bl) {
                memcpy(s, base, i);
                memcpy(s + i, base + i + 1, bl - i);
            } else {
                continue;
            }
            poke(s, &ok, &bad);
            if (i < bl && a < na) { /* replacement */
                memcpy(s, base, bl + 1);
                s[i] = alpha[a];
                poke(s, &ok, &bad);
            }
        }
    }
    print_message("sweep: %ld parsed, %ld refused\n", ok, bad);
    /* both outcomes occur: the sweep is not vacuous */
    assert_true(ok > 500 && bad > 10000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_biexponential),
        cmocka_unit_test(test_pk_oral),
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_assoc_params),
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_uses),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_domain),
        cmocka_unit_test(test_sweep),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "lang/parse.h"

#include <math.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ---- */

/* Parse text that must be valid; the caller frees the list. */
static ss_stmt_list parse_ok(const char *text)
{
    ss_stmt_list l;
    ss_status rc = parse_line(text, &l);
    if (rc != SS_OK)
        fail_msg("parse_line(\"%s\") failed: %s (col %d)", text,
                 ss_last_error()->msg, ss_last_error()->col);
    return l;
}

/* Parse text that must fail with exactly this code, column and message,
 * leaving the output list empty. */
static void expect_err(const char *text, ss_status code, int col,
                       const char *msg)
{
    ss_stmt_list l = {(ss_stmt *)&l, 99}; /* garbage that must be reset */
    ss_clear_error();
    assert_int_equal(parse_line(text, &l), code);
    assert_null(l.v);
    assert_int_equal(l.n, 0);
    assert_int_equal(ss_last_error()->code, code);
    assert_string_equal(ss_last_error()->msg, msg);
    assert_int_equal(ss_last_error()->col, col);
}

static void check_verb(const ss_stmt *s, const char *verb, int col, size_t nargs)
{
    assert_string_equal(s->verb, verb);
    assert_int_equal(s->verb_col, col);
    assert_int_equal(s->nargs, nargs);
}

/* Positional (key NULL) or keyword argument i with a value of kind k. */
static const ss_val *arg(const ss_stmt *s, size_t i, const char *key, int key_col,
                      ss_val_kind k, int col)
{
    const ss_stmt_arg *a;
    assert_true(i < s->nargs);
    a = &s->args[i];
    if (key) {
        assert_non_null(a->key);
        assert_string_equal(a->key, key);
        assert_int_equal(a->key_col, key_col);
    } else {
        assert_null(a->key);
    }
    assert_int_equal(a->v.kind, k);
    assert_int_equal(a->v.col, col);
    return &a->v;
}

static void check_str(const ss_stmt *s, size_t i, ss_val_kind k, const char *str,
                      int col)
{
    const ss_val *v = arg(s, i, NULL, 0, k, col);
    assert_string_equal(v->str, str);
}

static void check_num(const ss_stmt *s, size_t i, double num, int col)
{
    const ss_val *v = arg(s, i, NULL, 0, VAL_NUM, col);
    assert_true(v->num == num);
}


/* Calls NAME(a, b): the '(' glued to a name, numbers separated by commas
 * (the priors of `prior g w1=normal(0,1)`); '(' anywhere else stays an
 * unexpected character. */
static void test_call(void **state)
{
    (void)state;
    ss_stmt_list l = parse_ok("prior g w1=normal(0,1) v=beta( 2 , .5 ) "
                              "w2=uniform(-1,1e0) x=f()");
    const ss_stmt *s = &l.v[0];
    check_verb(s, "prior", 1, 5);
    const ss_val *v = arg(s, 1, "w1", 9, VAL_CALL, 12);
    assert_string_equal(v->str, "normal");
    assert_int_equal(v->n, 2);
    assert_true(v->vec[0] == 0 && v->vec[1] == 1);
    v = arg(s, 2, "v", 24, VAL_CALL, 26);
    assert_string_equal(v->str, "beta");
    assert_int_equal(v->n, 2);
    assert_true(v->vec[0] == 2 && v->vec[1] == 0.5);
    v = arg(s, 3, "w2", 41, VAL_CALL, 44);
    assert_string_equal(v->str, "uniform");
    assert_true(v->vec[0] == -1 && v->vec[1] == 1);
    v = arg(s, 4, "x", 60, VAL_CALL, 62);
    assert_string_equal(v->str, "f");
    assert_int_equal(v->n, 0);
    assert_string_equal(val_kind_name(VAL_CALL), "call");
    stmt_list_free(&l);
    /* a positional call and two statements */
    l = parse_ok("a f(1); b g(2,3)");
    assert_int_equal(l.n, 2);
    v = arg(&l.v[0], 0, NULL, 0, VAL_CALL, 3);
    assert_int_equal(v->n, 1);
    v = arg(&l.v[1], 0, NULL, 0, VAL_CALL, 11);
    assert_int_equal(v->n, 2);
    stmt_list_free(&l);

    expect_err("a (1)", SS_ERR_SYNTAX, 3, "unexpected character '('");
    expect_err("a f (1)", SS_ERR_SYNTAX, 5, "unexpected character '('");
    expect_err("a 1)", SS_ERR_SYNTAX, 4, "unexpected character ')'");
    expect_err("a f(1))", SS_ERR_SYNTAX, 7, "unexpected character ')'");
    expect_err("a w=normal(0,1", SS_ERR_SYNTAX, 11, "unclosed '('");
    expect_err("a w=normal(0,1; b", SS_ERR_SYNTAX, 11, "unclosed '('");
    expect_err("a w=normal(0 1)", SS_ERR_SYNTAX, 14,
               "expected ',' or ')' in NAME(a, b), found '1'");
    expect_err("a w=normal(0,)", SS_ERR_SYNTAX, 14,
               "expected a number in NAME(a, b), found ')'");
    expect_err("a w=normal(x)", SS_ERR_SYNTAX, 12,
               "expected a number in NAME(a, b), found 'x'");
    expect_err("a w=normal(,1)", SS_ERR_SYNTAX, 12,
               "expected a number in NAME(a, b), found ','");
}

/* ---- the documented example lines ---- */

static void test_example_model(void **state)
{
    (void)state;
    ss_stmt_list l = parse_ok("model g gmm v=0.3 w1=0 w2=1.5");
    assert_int_equal(l.n, 1);
    const ss_stmt *s = &l.v[0];
    check_verb(s, "model", 1, 5);
    check_str(s, 0, VAL_IDENT, "g", 7);
    check_str(s, 1, VAL_IDENT, "gmm", 9);
    assert_true(arg(s, 2, "v", 13, VAL_NUM, 15)->num == 0.3);
    assert_true(arg(s, 3, "w1", 19, VAL_NUM, 22)->num == 0);
    assert_true(arg(s, 4, "w2", 24, VAL_NUM, 27)->num == 1.5);
    assert_null(s->as_name);
    stmt_list_free(&l);
    assert_null(l.v);
    assert_int_equal(l.n, 0);
}

static void test_example_fim(void **state)
{
    (void)state;
    ss_stmt_list l = parse_ok("fim g method=mc n=200000");
    assert_int_equal(l.n, 1);
    const ss_stmt *s = &l.v[0];
    check_verb(s, "fim", 1, 3);
    check_str(s, 0, VAL_IDENT, "g", 5);
    assert_string_equal(arg(s, 1, "method", 7, VAL_IDENT, 14)->str, "mc");
    assert_true(arg(s, 2, "n", 17, VAL_NUM, 19)->num == 200000);
    stmt_list_free(&l);
}

static void test_example_sample_as(void **state)
{
    (void)state;
    ss_stmt_list l = parse_ok("sample g n=5000 seed=7 as d");
    const ss_stmt *s = &l.v[0];
    check_verb(s, "sample", 1, 3);
    check_str(s, 0, VAL_IDENT, "g", 8);
    assert_true(arg(s, 1, "n", 10, VAL_NUM, 12)->num == 5000);
    assert_true(arg(s, 2, "seed", 17, VAL_NUM, 22)->num == 7);
    assert_string_equal(s->as_name, "d");
    assert_int_equal(s->as_col, 27);
    stmt_list_free(&l);
}

static void test_example_map(void **state)
{
    (void)state;
    const char *text = "map g x=w1:-1..1 y=w2:-1..1 res=[200,200]";
    ss_stmt_list l = parse_ok(text);
    const ss_stmt *s = &l.v[0];
    const ss_val *v;
    check_verb(s, "map", 1, 4);
    check_str(s, 0, VAL_IDENT, "g", 5);
    v = arg(s, 1, "x", 7, VAL_AXIS, 9);
    assert_string_equal(v->str, "w1");
    assert_true(v->lo == -1 && v->hi == 1);
    v = arg(s, 2, "y", 18, VAL_AXIS, 20);
    assert_string_equal(v->str, "w2");
    assert_true(v->lo == -1 && v->hi == 1);
    v = arg(s, 3, "res", 29, VAL_VEC, 33);
    assert_int_equal(v->n, 2);
    assert_true(v->vec[0] == 200 && v->vec[1] == 200);
    stmt_list_free(&l);

    /* a grid size WxH is a bare word; glued to letters it is still bad */
    l = parse_ok("map g res=200x150");
    v = arg(&l.v[0], 1, "res", 7, VAL_STR, 11);
    assert_string_equal(v->str, "200x150");
    stmt_list_free(&l);
    expect_err("map g x=w1:-1..1 res=200x200y", SS_ERR_SYNTAX, 22,
               "malformed number '200x200y'");
    expect_err("map g res=200x", SS_ERR_SYNTAX, 11,
               "malformed number '200x'");
    /* a layout such as 1+2 is a word too; 1e+5 stays a number */
    l = parse_ok("layout 1+2+1 1e+5");
    check_str(&l.v[0], 0, VAL_STR, "1+2+1", 8);
    check_num(&l.v[0], 1, 1e5, 14);
    stmt_list_free(&l);
}

static void test_example_path(void **state)
{
    (void)state;
    ss_stmt_list l = parse_ok("path g v: 0.3 -> 0");
    const ss_stmt *s = &l.v[0];
    check_verb(s, "path", 1, 6);
    check_str(s, 0, VAL_IDENT, "g", 6);
    check_str(s, 1, VAL_IDENT, "v", 8);
    check_str(s, 2, VAL_PUNCT, ":", 9);
    check_num(s, 3, 0.3, 11);
    check_str(s, 4, VAL_PUNCT, "->", 15);
    check_num(s, 5, 0, 18);
    stmt_list_free(&l);

    /* '->' splits words and numbers without spaces */
    l = parse_ok("p a->b 1->2");
    s = &l.v[0];
    check_verb(s, "p", 1, 6);
    check_str(s, 0, VAL_IDENT, "a", 3);
    check_str(s, 1, VAL_PUNCT, "->", 4);
    check_str(s, 2, VAL_IDENT, "b", 6);
    check_num(s, 3, 1, 8);
    check_str(s, 4, VAL_PUNCT, "->", 9);
    check_num(s, 5, 2, 11);
    stmt_list_free(&l);
}

/* ---- values of every kind ---- */

static void test_numbers(void **state)
{
    (void)state;
    ss_stmt_list l = parse_ok("n 1e-3 -0.5 .5 5. 2E+10 +3 -.25 1.e2 007 0");
    const ss_stmt *s = &l.v[0];
    check_verb(s, "n", 1, 10);
    check_num(s, 0, 1e-3, 3);
    check_num(s, 1, -0.5, 8);
    check_num(s, 2, 0.5, 13);
    check_num(s, 3, 5.0, 16);
    check_num(s, 4, 2e10, 19);
    check_num(s, 5, 3, 25);
    check_num(s, 6, -0.25, 28);
    check_num(s, 7, 100, 33);
    check_num(s, 8, 7, 38);
    check_num(s, 9, 0, 42);
    stmt_list_free(&l);

    /* Subnormal values are kept (the smallest is 2^-1074 ~ 4.94e-324), and
     * a zero mantissa is 0 whatever its exponent; each number also keeps
     * its text as written. */
    l = parse_ok("n 5e-324 1e-310 0e-999 0.000e-400 -0.0");
    s = &l.v[0];
    assert_true(s->args[0].v.num == ldexp(1.0, -1074));
    assert_true(s->args[1].v.num > 0.99e-310 && s->args[1].v.num < 1.01e-310);
    check_num(s, 2, 0, 17);
    check_num(s, 3, 0, 24);
    check_num(s, 4, 0, 35);
    assert_string_equal(s->args[0].v.str, "5e-324");
    assert_string_equal(s->args[3].v.str, "0.000e-400");
    stmt_list_free(&l);
}

/* A non-zero literal below the smallest double is refused (like one above
 * the largest), not read as 0, at the column of the number. */
static void test_number_underflow(void **state)
{
    (void)state;
    const char *msg = "number out of range: '1e-400' is below the smallest "
                      "double (4.9e-324) and would be read as 0";
    expect_err("n 1e-400", SS_ERR_SYNTAX, 3, msg);
    expect_err("n v=-1e-400", SS_ERR_SYNTAX, 5,
               "number out of range: '-1e-400' is below the smallest "
               "double (4.9e-324) and would be read as 0");
    expect_err("n [1, 2e-999]", SS_ERR_SYNTAX, 7,
               "number out of range: '2e-999' is below the smallest "
               "double (4.9e-324) and would be read as 0");
    expect_err("n 0..1e-400", SS_ERR_SYNTAX, 6, msg);
    /* half of the smallest subnormal rounds to 0: refused as well */
    expect_err("n 2e-324", SS_ERR_SYNTAX, 3,
               "number out of range: '2e-324' is below the smallest "
               "double (4.9e-324) and would be read as 0");
    /* the leftmost problem is the one reported */
    expect_err("a; b 0.00001e-320 1e400", SS_ERR_SYNTAX, 6,
               "number out of range: '0.00001e-320' is below the smallest "
               "double (4.9e-324) and would be read as 0");
}

static void test_parse_u64(void **state)
{
    (void)state;
    uint64_t v = 7;
    assert_int_equal(parse_u64("0", &v), 1);
    assert_true(v == 0);
    assert_int_equal(parse_u64("4294967297", &v), 1);
    assert_true(v == 4294967297ull);
    assert_int_equal(parse_u64("9007199254740993", &v), 1); /* 2^53 + 1 */
    assert_true(v == 9007199254740993ull);
    assert_int_equal(parse_u64("18446744073709551615", &v), 1);
    assert_true(v == UINT64_MAX);
    assert_int_equal(parse_u64("00018446744073709551615", &v), 1);
    assert_true(v == UINT64_MAX);
    v = 7;
    const char *bad[] = {"18446744073709551616", "18446744073709551620",
                         "99999999999999999999", "-1", "+1", " 1", "1 ",
                         "", "1e3", "1.0", "0x10", "abc", "12abc", NULL};
    for (size_t i = 0; bad[i]; i++) {
        assert_int_equal(parse_u64(bad[i], &v), 0);
        assert_true(v == 7);
    }
    assert_int_equal(parse_u64(NULL, &v), 0);
}

/* echo takes the rest of its statement as one string. */
static void test_echo_text(void **state)
{
    (void)state;
    ss_stmt_list l = parse_ok("echo Hello, world!");
    check_verb(&l.v[0], "echo", 1, 1);
    check_str(&l.v[0], 0, VAL_STR, "Hello, world!", 6);
    stmt_list_free(&l);

    /* blanks collapse, quotes keep theirs; ';' and '#' end it */
    l = parse_ok("  echo   a  =b  \"c  d\"'e;f' [1 2 (x) : -> ! ; echo x#c\n"
                 "echo");
    assert_int_equal(l.n, 3);
    check_verb(&l.v[0], "echo", 3, 1);
    check_str(&l.v[0], 0, VAL_STR, "a =b c  de;f [1 2 (x) : -> !", 10);
    check_verb(&l.v[1], "echo", 47, 1);
    check_str(&l.v[1], 0, VAL_STR, "x", 52);
    check_verb(&l.v[2], "echo", 56, 0);
    stmt_list_free(&l);

    /* an empty quoted string is a value; `as` and numbers are just text */
    l = parse_ok("echo \"\"; echo 0.0010 as y; echo 1e400 \\x \xc3\xa9");
    check_str(&l.v[0], 0, VAL_STR, "", 6);
    check_str(&l.v[1], 0, VAL_STR, "0.0010 as y", 15);
    check_str(&l.v[2], 0, VAL_STR, "1e400 \\x \xc3\xa9", 33);
    stmt_list_free(&l);

    /* continuation lines join with one space; escapes in quotes */
    l = parse_ok("echo joined \\\n   across\t\\  \n lines \"a\\tb\\nc\"");
    check_str(&l.v[0], 0, VAL_STR, "joined across lines a\tb\nc", 6);
    stmt_list_free(&l);

    /* only a statement's first word: `help echo`, `echoes`, echo=1 */
    l = parse_ok("help echo; echoes 1");
    check_verb(&l.v[0], "help", 1, 1);
    check_str(&l.v[0], 0, VAL_IDENT, "echo", 6);
    check_verb(&l.v[1], "echoes", 12, 1);
    check_num(&l.v[1], 0, 1, 19);
    stmt_list_free(&l);
    /* a fraction of unsigned integers I/N is a word (shard=3/16) */
    l = parse_ok("llr shard=3/16 x=12/7");
    assert_string_equal(arg(&l.v[0], 0, "shard", 5, VAL_STR, 11)->str, "3/16");
    assert_string_equal(arg(&l.v[0], 1, "x", 16, VAL_STR, 18)->str, "12/7");
    stmt_list_free(&l);
    expect_err("llr shard=3/16x", SS_ERR_SYNTAX, 11,
               "malformed number '3/16x'");
    expect_err("llr shard=-3/16", SS_ERR_SYNTAX, 11,
               "malformed number '-3/16'");
    expect_err("llr shard=3/1.5", SS_ERR_SYNTAX, 11,
               "malformed number '3/1.5'");
    /* a quote right after a letter or digit is an apostrophe */
    l = parse_ok("echo it's 1 o'clock, Hartigan's \"form\" 5' 'x'y");
    check_str(&l.v[0], 0, VAL_STR, "it's 1 o'clock, Hartigan's form 5' xy", 6);
    stmt_list_free(&l);
    expect_err("echo=1", SS_ERR_SYNTAX, 5,
               "expected a parameter name before '='");
    expect_err("echo a 'b", SS_ERR_SYNTAX, 8, "unterminated string");
    expect_err("echo a; 1x", SS_ERR_SYNTAX, 9, "malformed number '1x'");
}

static void test_number_errors(void **state)
{
    (void)state;
    expect_err("n 1.2.3", SS_ERR_SYNTAX, 3, "malformed number '1.2.3'");
    expect_err("n 1e", SS_ERR_SYNTAX, 3, "malformed number '1e'");
    expect_err("n 1e+", SS_ERR_SYNTAX, 3, "malformed number '1e+'");
    expect_err("n x=12abc", SS_ERR_SYNTAX, 5, "malformed number '12abc'");
    expect_err("n 0x10", SS_ERR_SYNTAX, 3, "malformed number '0x10'");
    expect_err("n 5.x", SS_ERR_SYNTAX, 3, "malformed number '5.x'");
    expect_err("n 1-2", SS_ERR_SYNTAX, 3, "malformed number '1-2'");
    expect_err("n -1e5q", SS_ERR_SYNTAX, 3, "malformed number '-1e5q'");
    expect_err("n 0..1x", SS_ERR_SYNTAX, 6, "malformed number '1x'");
    expect_err("n 0../x", SS_ERR_SYNTAX, 3, "malformed number '0../x'");
    expect_err("n 1e999", SS_ERR_SYNTAX, 3, "number out of range '1e999'");
    expect_err("n v=-1e999", SS_ERR_SYNTAX, 5,
               "number out of range '-1e999'");
}

static void test_ranges(void **state)
{
    (void)state;
    ss_stmt_list l = parse_ok("r 0..1 -1 .. -2 1.5..0.5 x=2..3 0...5");
    const ss_stmt *s = &l.v[0];
    const ss_val *v;
    check_verb(s, "r", 1, 5);
    v = arg(s, 0, NULL, 0, VAL_RANGE, 3);
    assert_true(v->lo == 0 && v->hi == 1);
    v = arg(s, 1, NULL, 0, VAL_RANGE, 8);
    assert_true(v->lo == -1 && v->hi == -2);
    v = arg(s, 2, NULL, 0, VAL_RANGE, 17);
    assert_true(v->lo == 1.5 && v->hi == 0.5);
    v = arg(s, 3, "x", 26, VAL_RANGE, 28);
    assert_true(v->lo == 2 && v->hi == 3);
    /* "0...5" is 0 .. .5 */
    v = arg(s, 4, NULL, 0, VAL_RANGE, 33);
    assert_true(v->lo == 0 && v->hi == 0.5);
    stmt_list_free(&l);

    expect_err("r 0..", SS_ERR_SYNTAX, 6, "expected a number after '..'");
    expect_err("r 0.. ; x", SS_ERR_SYNTAX, 7, "expected a number after '..'");
    expect_err("r 0..x", SS_ERR_SYNTAX, 6,
               "expected a number after '..', found 'x'");
    expect_err("r ..5", SS_ERR_SYNTAX, 3, "expected a number before '..'");
    expect_err("r 0..1..2", SS_ERR_SYNTAX, 7, "expected a number before '..'");
}

static void test_vectors(void **state)
{
    (void)state;
    ss_stmt_list l = parse_ok("v [1, 0.5] [1 2 -3] [] [ ] [4,5,] [\n6,\n 7\n] "
                           "k=[1e3]");
    const ss_stmt *s = &l.v[0];
    const ss_val *v;
    check_verb(s, "v", 1, 7);
    v = arg(s, 0, NULL, 0, VAL_VEC, 3);
    assert_int_equal(v->n, 2);
    assert_true(v->vec[0] == 1 && v->vec[1] == 0.5);
    v = arg(s, 1, NULL, 0, VAL_VEC, 12);
    assert_int_equal(v->n, 3);
    assert_true(v->vec[0] == 1 && v->vec[1] == 2 && v->vec[2] == -3);
    v = arg(s, 2, NULL, 0, VAL_VEC, 21);
    assert_int_equal(v->n, 0);
    v = arg(s, 3, NULL, 0, VAL_VEC, 24);
    assert_int_equal(v->n, 0);
    v = arg(s, 4, NULL, 0, VAL_VEC, 28);
    assert_int_equal(v->n, 2);
    assert_true(v->vec[0] == 4 && v->vec[1] == 5);
    v = arg(s, 5, NULL, 0, VAL_VEC, 35);
    assert_int_equal(v->n, 2);
    assert_true(v->vec[0] == 6 && v->vec[1] == 7);
    v = arg(s, 6, "k", 45, VAL_VEC, 47);
    assert_int_equal(v->n, 1);
    assert_true(v->vec[0] == 1000);
    stmt_list_free(&l);

    /* a comment inside a multi-line vector */
    l = parse_ok("v [1, # one\n 2]");
    assert_int_equal(l.n, 1);
    assert_int_equal(l.v[0].args[0].v.n, 2);
    stmt_list_free(&l);
}

/* Lists of names: [x, y], strings among them, no numbers mixed in. */
static void test_name_lists(void **state)
{
    (void)state;
    ss_stmt_list l = parse_ok("v cols=[x, \"body mass\", y_2] [a b]");
    const ss_stmt *s = &l.v[0];
    check_verb(s, "v", 1, 2);
    const ss_val *v = arg(s, 0, "cols", 3, VAL_NAMES, 8);
    assert_int_equal(v->n, 3);
    assert_string_equal(v->names[0], "x");
    assert_string_equal(v->names[1], "body mass");
    assert_string_equal(v->names[2], "y_2");
    v = arg(s, 1, NULL, 0, VAL_NAMES, 30);
    assert_int_equal(v->n, 2);
    assert_string_equal(v->names[1], "b");
    assert_string_equal(val_kind_name(VAL_NAMES), "list of names");
    stmt_list_free(&l);
    expect_err("v [x, 1]", SS_ERR_SYNTAX, 7,
               "list elements must be names, found '1'");
    expect_err("v [x,,y]", SS_ERR_SYNTAX, 6,
               "list elements must be names, found ','");
    expect_err("v [x, y", SS_ERR_SYNTAX, 3, "unclosed '['");
}

static void test_vector_errors(void **state)
{
    (void)state;
    expect_err("v [1, abc]", SS_ERR_SYNTAX, 7,
               "vector elements must be numbers, found 'abc'");
    expect_err("v [1, \"2\"]", SS_ERR_SYNTAX, 7,
               "vector elements must be numbers, found '\"2\"'");
    expect_err("v [,1]", SS_ERR_SYNTAX, 4,
               "vector elements must be numbers, found ','");
    expect_err("v [1,,2]", SS_ERR_SYNTAX, 6,
               "vector elements must be numbers, found ','");
    expect_err("v [[1], x]", SS_ERR_SYNTAX, 9,
               "the rows of [[..], [..]] must be vectors [..], found 'x'");
    expect_err("v [[1], [a]]", SS_ERR_SYNTAX, 9,
               "the rows of [[..], [..]] must be numbers");
    expect_err("v [[1], [2]", SS_ERR_SYNTAX, 3, "unclosed '['");
    expect_err("v [[1], [[2]]]", SS_ERR_SYNTAX, 9,
               "the rows of [[..], [..]] must be numbers");
    expect_err("v [0..1]", SS_ERR_SYNTAX, 5,
               "vector elements must be numbers, found '..'");
    expect_err("v [1, 2", SS_ERR_SYNTAX, 3, "unclosed '['");
    expect_err("v x=[1,\n2", SS_ERR_SYNTAX, 5, "unclosed '['");
    expect_err("v [1; 2]", SS_ERR_SYNTAX, 3, "unclosed '['");
    expect_err("v [1 2.2.2]", SS_ERR_SYNTAX, 6, "malformed number '2.2.2'");
    expect_err("v ]", SS_ERR_SYNTAX, 3, "expected a value, found ']'");
    expect_err("v 1, 2", SS_ERR_SYNTAX, 4, "expected a value, found ','");
}

/* [[..], ..]: rows of numbers, concatenated with their lengths */
static void test_rows(void **state)
{
    (void)state;
    ss_stmt_list l = parse_ok("v t=[[0.5, 1], [], [2 3 4]]");
    const ss_val *v = &l.v[0].args[0].v;
    assert_int_equal(v->kind, VAL_ROWS);
    assert_int_equal(v->col, 5);
    assert_int_equal(v->nrows, 3);
    assert_int_equal(v->n, 5);
    assert_int_equal(v->rowlen[0], 2);
    assert_int_equal(v->rowlen[1], 0);
    assert_int_equal(v->rowlen[2], 3);
    static const double want[5] = {0.5, 1, 2, 3, 4};
    for (int i = 0; i < 5; i++)
        assert_true(v->vec[i] == want[i]);
    stmt_list_free(&l);
}

static void test_strings(void **state)
{
    (void)state;
    const char *text = "s \"a b\" 'x \"y\"' \"e\\\\\\\"\\'\\n\\t\\q\" "
                       "\"\xc3\xa9t\xc3\xa9\" '' f=\"two\nlines\" "
                       "\"jo\\\nin\"";
    ss_stmt_list l = parse_ok(text);
    const ss_stmt *s = &l.v[0];
    check_verb(s, "s", 1, 7);
    check_str(s, 0, VAL_STR, "a b", 3);
    check_str(s, 1, VAL_STR, "x \"y\"", 9);
    check_str(s, 2, VAL_STR, "e\\\"'\n\tq", 17);
    check_str(s, 3, VAL_STR, "\xc3\xa9t\xc3\xa9", 33);
    check_str(s, 4, VAL_STR, "", 41);
    assert_string_equal(arg(s, 5, "f", 44, VAL_STR, 46)->str, "two\nlines");
    check_str(s, 6, VAL_STR, "join", 58);
    stmt_list_free(&l);

    expect_err("s \"abc", SS_ERR_SYNTAX, 3, "unterminated string");
    expect_err("s 'abc\"", SS_ERR_SYNTAX, 3, "unterminated string");
    expect_err("s x=\"abc\\\"", SS_ERR_SYNTAX, 5, "unterminated string");
}

static void test_bare_words(void **state)
{
    (void)state;
    ss_stmt_list l = parse_ok("load tour.scn scenarios/tour.scn ../x.scn "
                           "/tmp/out-1.csv ~/a.scn ./x . a+b x_1 "
                           "out=res/a.csv");
    const ss_stmt *s = &l.v[0];
    check_verb(s, "load", 1, 10);
    check_str(s, 0, VAL_STR, "tour.scn", 6);
    check_str(s, 1, VAL_STR, "scenarios/tour.scn", 15);
    check_str(s, 2, VAL_STR, "../x.scn", 34);
    check_str(s, 3, VAL_STR, "/tmp/out-1.csv", 43);
    check_str(s, 4, VAL_STR, "~/a.scn", 58);
    check_str(s, 5, VAL_STR, "./x", 66);
    check_str(s, 6, VAL_STR, ".", 70);
    check_str(s, 7, VAL_STR, "a+b", 72);
    check_str(s, 8, VAL_IDENT, "x_1", 76);
    assert_string_equal(arg(s, 9, "out", 80, VAL_STR, 84)->str, "res/a.csv");
    stmt_list_free(&l);
}

static void test_axes(void **state)
{
    (void)state;
    ss_stmt_list l = parse_ok("a w1:0..1 w2: -1 .. 2.5 k=v:3..4 u :0..1");
    const ss_stmt *s = &l.v[0];
    const ss_val *v;
    check_verb(s, "a", 1, 6);
    v = arg(s, 0, NULL, 0, VAL_AXIS, 3);
    assert_string_equal(v->str, "w1");
    assert_true(v->lo == 0 && v->hi == 1);
    v = arg(s, 1, NULL, 0, VAL_AXIS, 11);
    assert_string_equal(v->str, "w2");
    assert_true(v->lo == -1 && v->hi == 2.5);
    v = arg(s, 2, "k", 25, VAL_AXIS, 27);
    assert_string_equal(v->str, "v");
    assert_true(v->lo == 3 && v->hi == 4);
    /* a ':' detached from the name is punctuation, then a range */
    check_str(s, 3, VAL_IDENT, "u", 34);
    check_str(s, 4, VAL_PUNCT, ":", 36);
    v = arg(s, 5, NULL, 0, VAL_RANGE, 37);
    assert_true(v->lo == 0 && v->hi == 1);
    stmt_list_free(&l);

    expect_err("map g x=w1:0..", SS_ERR_SYNTAX, 15,
               "expected a number after '..'");
    expect_err("map g x=w1:0..y", SS_ERR_SYNTAX, 15,
               "expected a number after '..', found 'y'");
    /* punctuation is not a keyword value */
    expect_err("map g x=:", SS_ERR_SYNTAX, 9,
               "expected a value after '=', found ':'");
    expect_err("map g x=->", SS_ERR_SYNTAX, 9,
               "expected a value after '=', found '->'");
}

/* ---- statements ---- */

static void test_multiple_statements(void **state)
{
    (void)state;
    const char *text = "a 1; b x=2\nc;;\n\n  d [1,\n2] ; e";
    ss_stmt_list l = parse_ok(text);
    assert_int_equal(l.n, 5);
    check_verb(&l.v[0], "a", 1, 1);
    check_num(&l.v[0], 0, 1, 3);
    check_verb(&l.v[1], "b", 6, 1);
    assert_true(arg(&l.v[1], 0, "x", 8, VAL_NUM, 10)->num == 2);
    check_verb(&l.v[2], "c", 12, 0);
    check_verb(&l.v[3], "d", 19, 1);
    assert_int_equal(arg(&l.v[3], 0, NULL, 0, VAL_VEC, 21)->n, 2);
    check_verb(&l.v[4], "e", 30, 0);
    stmt_list_free(&l);
}

static void test_blank_and_comments(void **state)
{
    (void)state;
    const char *blank[] = {"", "   ", "\n\n", ";", " ; ;\n; ", "# hi",
                           "  # only a comment [ \" '\n# another",
                           "\t\r\n", "\\\n", "\\"};
    for (size_t i = 0; i < sizeof blank / sizeof *blank; i++) {
        ss_stmt_list l = {(ss_stmt *)&l, 7};
        assert_int_equal(parse_line(blank[i], &l), SS_OK);
        assert_int_equal(l.n, 0);
        assert_null(l.v);
    }

    ss_stmt_list l = parse_ok("a x=1 # set x; b 2\nc # trailing \\\nd");
    assert_int_equal(l.n, 3);
    check_verb(&l.v[0], "a", 1, 1);
    check_verb(&l.v[1], "c", 20, 0);
    check_verb(&l.v[2], "d", 35, 0);
    stmt_list_free(&l);

    /* '#' inside a string is not a comment */
    l = parse_ok("show \"# not\" 'a#b'");
    check_verb(&l.v[0], "show", 1, 2);
    check_str(&l.v[0], 0, VAL_STR, "# not", 6);
    check_str(&l.v[0], 1, VAL_STR, "a#b", 14);
    stmt_list_free(&l);
    l = parse_ok("echo \"# not\" 'a#b' # but this is");
    check_verb(&l.v[0], "echo", 1, 1);
    check_str(&l.v[0], 0, VAL_STR, "# not a#b", 6);
    stmt_list_free(&l);

    /* the stray tokens of a comment do not reach the parser */
    l = parse_ok("a #@$ ( \x01 \xff");
    check_verb(&l.v[0], "a", 1, 0);
    stmt_list_free(&l);
}

static void test_continuation(void **state)
{
    (void)state;
    ss_stmt_list l = parse_ok("model g gmm \\\n v=0.3 \\  \t\n w1=0\nfim g");
    assert_int_equal(l.n, 2);
    check_verb(&l.v[0], "model", 1, 4);
    assert_true(arg(&l.v[0], 2, "v", 16, VAL_NUM, 18)->num == 0.3);
    assert_true(arg(&l.v[0], 3, "w1", 28, VAL_NUM, 31)->num == 0);
    check_verb(&l.v[1], "fim", 33, 1);
    stmt_list_free(&l);

    /* CRLF continuation */
    l = parse_ok("a 1 \\\r\n 2");
    check_verb(&l.v[0], "a", 1, 2);
    stmt_list_free(&l);

    /* a backslash not before a newline is an error */
    expect_err("a \\ b", SS_ERR_SYNTAX, 3, "unexpected character '\\'");
    expect_err("a \\ # c", SS_ERR_SYNTAX, 3, "unexpected character '\\'");
}

static void test_as_name(void **state)
{
    (void)state;
    ss_stmt_list l = parse_ok("as x as y; f as=3");
    check_verb(&l.v[0], "as", 1, 1);
    check_str(&l.v[0], 0, VAL_IDENT, "x", 4);
    assert_string_equal(l.v[0].as_name, "y");
    assert_int_equal(l.v[0].as_col, 9);
    /* 'as' used as a key */
    check_verb(&l.v[1], "f", 12, 1);
    assert_true(arg(&l.v[1], 0, "as", 14, VAL_NUM, 17)->num == 3);
    assert_null(l.v[1].as_name);
    stmt_list_free(&l);

    l = parse_ok("sample g as d\nsample h");
    assert_string_equal(l.v[0].as_name, "d");
    assert_int_equal(l.v[0].as_col, 13);
    assert_null(l.v[1].as_name);
    stmt_list_free(&l);

    expect_err("sample g as", SS_ERR_SYNTAX, 12, "expected a name after 'as'");
    expect_err("sample g as ; x", SS_ERR_SYNTAX, 13,
               "expected a name after 'as'");
    expect_err("sample g as 5", SS_ERR_SYNTAX, 13,
               "expected a name after 'as', found '5'");
    expect_err("sample g as d.csv", SS_ERR_SYNTAX, 13,
               "expected a name after 'as', found 'd.csv'");
    expect_err("sample g as \"d\"", SS_ERR_SYNTAX, 13,
               "expected a name after 'as', found '\"d\"'");
    expect_err("sample g as d n=5", SS_ERR_SYNTAX, 15,
               "expected end of statement after 'as d', found 'n'");
    expect_err("sample g as d @", SS_ERR_SYNTAX, 15,
               "unexpected character '@'");
}

static void test_keyword_errors(void **state)
{
    (void)state;
    ss_stmt_list l = parse_ok("f a = 1 b= 2 c =3");
    check_verb(&l.v[0], "f", 1, 3);
    assert_true(arg(&l.v[0], 0, "a", 3, VAL_NUM, 7)->num == 1);
    assert_true(arg(&l.v[0], 1, "b", 9, VAL_NUM, 12)->num == 2);
    assert_true(arg(&l.v[0], 2, "c", 14, VAL_NUM, 17)->num == 3);
    stmt_list_free(&l);

    expect_err("f v=", SS_ERR_SYNTAX, 5, "expected a value after '='");
    expect_err("f v=  ", SS_ERR_SYNTAX, 7, "expected a value after '='");
    expect_err("f v=;g", SS_ERR_SYNTAX, 5, "expected a value after '='");
    expect_err("f v=\ng", SS_ERR_SYNTAX, 5, "expected a value after '='");
    expect_err("f v==3", SS_ERR_SYNTAX, 5,
               "expected a value after '=', found '='");
    expect_err("f v=]", SS_ERR_SYNTAX, 5,
               "expected a value after '=', found ']'");
    expect_err("f = 3", SS_ERR_SYNTAX, 3,
               "expected a parameter name before '='");
    expect_err("f 5=3", SS_ERR_SYNTAX, 4,
               "expected a parameter name before '='");
    expect_err("f \"k\"=3", SS_ERR_SYNTAX, 6,
               "expected a parameter name before '='");
    expect_err("f a.b=3", SS_ERR_SYNTAX, 6,
               "expected a parameter name before '='");
    expect_err("f a=b=c", SS_ERR_SYNTAX, 6,
               "expected a parameter name before '='");
}

static void test_command_name_errors(void **state)
{
    (void)state;
    expect_err("[1] a", SS_ERR_SYNTAX, 1, "expected a command name, found '['");
    expect_err("ok; 5 a", SS_ERR_SYNTAX, 5, "expected a command name, found '5'");
    expect_err("tour.scn", SS_ERR_SYNTAX, 1,
               "expected a command name, found 'tour.scn'");
    expect_err("\"q\"", SS_ERR_SYNTAX, 1,
               "expected a command name, found '\"q\"'");
    expect_err(" = 1", SS_ERR_SYNTAX, 2, "expected a command name, found '='");
    expect_err("a\n: b", SS_ERR_SYNTAX, 3, "expected a command name, found ':'");
    expect_err("-> b", SS_ERR_SYNTAX, 1, "expected a command name, found '->'");
}

static void test_unexpected_chars(void **state)
{
    (void)state;
    expect_err("a @", SS_ERR_SYNTAX, 3, "unexpected character '@'");
    expect_err("a $x", SS_ERR_SYNTAX, 3, "unexpected character '$'");
    expect_err("a (1)", SS_ERR_SYNTAX, 3, "unexpected character '('");
    expect_err("a \x01", SS_ERR_SYNTAX, 3, "unexpected character '\\x01'");
    expect_err("a\x7f", SS_ERR_SYNTAX, 2, "unexpected character '\\x7f'");
    expect_err("a \xff", SS_ERR_SYNTAX, 3, "unexpected character '\\xff'");
    /* a valid UTF-8 sequence is reported as one character */
    expect_err("a \xc3\xa9", SS_ERR_SYNTAX, 3,
               "unexpected character '\\xc3\\xa9'");
    expect_err("a -x", SS_ERR_SYNTAX, 3, "unexpected character '-'");
    expect_err("a +", SS_ERR_SYNTAX, 3, "unexpected character '+'");
    expect_err("@", SS_ERR_SYNTAX, 1, "unexpected character '@'");
    expect_err("a x=@", SS_ERR_SYNTAX, 5, "unexpected character '@'");
    /* the leftmost problem wins over a later lexical error */
    expect_err("a ] @", SS_ERR_SYNTAX, 3, "expected a value, found ']'");
    expect_err("a 1; b @; c ]", SS_ERR_SYNTAX, 8, "unexpected character '@'");
}

static void test_too_long(void **state)
{
    (void)state;
    size_t n = PARSE_MAX_LINE + 10;
    char *text = malloc(n + 1);
    char msg[128];
    assert_non_null(text);
    memset(text, 'a', n);
    text[n] = 0;
    snprintf(msg, sizeof msg, "line too long (%zu bytes, limit 65536)", n);
    expect_err(text, SS_ERR_LIMIT, PARSE_MAX_LINE + 1, msg);

    /* exactly at the limit is accepted */
    text[PARSE_MAX_LINE] = 0;
    ss_stmt_list l = parse_ok(text);
    assert_int_equal(l.n, 1);
    assert_int_equal(strlen(l.v[0].verb), PARSE_MAX_LINE);
    stmt_list_free(&l);

    /* a long malformed number is quoted in part only */
    memset(text, '1', 100);
    memcpy(text, "n ", 2);
    text[100] = 'x';
    text[101] = 0;
    ss_clear_error();
    assert_int_equal(parse_line(text, &l), SS_ERR_SYNTAX);
    assert_true(strlen(ss_last_error()->msg) < 80);
    assert_non_null(strstr(ss_last_error()->msg, "...'"));
    free(text);
}

static void test_incomplete(void **state)
{
    (void)state;
    assert_int_equal(parse_incomplete(NULL), 0);
    assert_int_equal(parse_incomplete(""), 0);
    assert_int_equal(parse_incomplete("model g gmm v=0.3"), 0);
    assert_int_equal(parse_incomplete("v [1, 2"), 1);
    assert_int_equal(parse_incomplete("v [1, 2\n 3"), 1);
    assert_int_equal(parse_incomplete("v [1, 2]"), 0);
    assert_int_equal(parse_incomplete("v [[1]"), 1);
    assert_int_equal(parse_incomplete("v ]]"), 0);
    assert_int_equal(parse_incomplete("s \"abc"), 1);
    assert_int_equal(parse_incomplete("s 'abc"), 1);
    assert_int_equal(parse_incomplete("s 'ab\"c"), 1);
    assert_int_equal(parse_incomplete("s \"a\\\"\""), 0);
    assert_int_equal(parse_incomplete("s \"a\\\""), 1);
    assert_int_equal(parse_incomplete("s \"a[\""), 0);
    assert_int_equal(parse_incomplete("s # [ \""), 0);
    assert_int_equal(parse_incomplete("s # x\nt [ "), 1);
    assert_int_equal(parse_incomplete("s \\"), 1);
    assert_int_equal(parse_incomplete("s \\  \t"), 1);
    assert_int_equal(parse_incomplete("s \\ x"), 0);
    assert_int_equal(parse_incomplete("s # \\"), 0);
    assert_int_equal(parse_incomplete("s \\\n"), 0);
    assert_int_equal(parse_incomplete("s '\\"), 1);
    /* ';' ends the statement, so reading on cannot close the '[' */
    assert_int_equal(parse_incomplete("v [1; w"), 0);
    /* in an echo brackets are text; quotes and continuations still count */
    assert_int_equal(parse_incomplete("echo [1, 2"), 0);
    assert_int_equal(parse_incomplete("  echo Hello [world"), 0);
    assert_int_equal(parse_incomplete("echo 'abc"), 1);
    assert_int_equal(parse_incomplete("echo a \\"), 1);
    assert_int_equal(parse_incomplete("echo a \\\n ["), 0);
    assert_int_equal(parse_incomplete("echo x; v [1"), 1);
    assert_int_equal(parse_incomplete("echo x\nv [1"), 1);
    assert_int_equal(parse_incomplete("v [1]; echo ["), 0);
    assert_int_equal(parse_incomplete("x # c\necho ["), 0);
    assert_int_equal(parse_incomplete("v [1,\necho ["), 1);
    assert_int_equal(parse_incomplete("echoes ["), 1);
    assert_int_equal(parse_incomplete("echo it's"), 0);
    assert_int_equal(parse_incomplete("echo it's 'open"), 1);
    assert_int_equal(parse_incomplete("show it's"), 1);
}

static void test_kind_names(void **state)
{
    (void)state;
    assert_string_equal(val_kind_name(VAL_NUM), "number");
    assert_string_equal(val_kind_name(VAL_VEC), "vector");
    assert_string_equal(val_kind_name(VAL_RANGE), "range");
    assert_string_equal(val_kind_name(VAL_STR), "string");
    assert_string_equal(val_kind_name(VAL_IDENT), "name");
    assert_string_equal(val_kind_name(VAL_AXIS), "axis");
    assert_string_equal(val_kind_name(VAL_PUNCT), "punctuation");
}

static void test_free_empty(void **state)
{
    (void)state;
    ss_stmt_list l = {0};
    stmt_list_free(&l);
    stmt_list_free(&l);
    stmt_list_free(NULL);
    assert_null(l.v);
    assert_int_equal(l.n, 0);
    assert_int_equal(parse_line(NULL, &l), SS_OK);
    assert_int_equal(l.n, 0);
}

/* A small LCG so the test does not depend on the libc generator. */
static uint32_t lcg(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

static void test_fuzz(void **state)
{
    (void)state;
    /* grammar-heavy alphabet so that deep paths are reached too */
    static const char alpha[] = "ab_xs1209.e-+/~[],;=:>\"'\\#\n \t";
    uint32_t seed = 12345;
    char buf[97];
    size_t nok = 0;

    for (int iter = 0; iter < 2000; iter++) {
        size_t len = lcg(&seed) % (sizeof buf);
        for (size_t i = 0; i < len; i++) {
            uint32_t r = lcg(&seed);
            if (r % 5 == 0)
                buf[i] = (char)(1 + r / 5 % 255); /* any byte but NUL */
            else
                buf[i] = alpha[r / 5 % (sizeof alpha - 1)];
        }
        buf[len] = 0;

        ss_stmt_list l = {(ss_stmt *)buf, 3};
        ss_status rc = parse_line(buf, &l);
        (void)parse_incomplete(buf);
        if (rc == SS_OK) {
            nok++;
            for (size_t i = 0; i < l.n; i++) {
                assert_non_null(l.v[i].verb);
                assert_in_range(l.v[i].verb_col, 1, (int)len);
                for (size_t j = 0; j < l.v[i].nargs; j++)
                    assert_in_range(l.v[i].args[j].v.col, 1, (int)len);
            }
            stmt_list_free(&l);
        } else {
            assert_int_equal(rc, SS_ERR_SYNTAX);
            assert_null(l.v);
            assert_int_equal(l.n, 0);
            assert_in_range(ss_last_error()->col, 1, (int)len + 1);
            assert_true(ss_last_error()->msg[0] != 0);
        }
    }
    /* the alphabet must let some inputs through, or the loop tests little */
    assert_true(nok > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_example_model),
        cmocka_unit_test(test_example_fim),
        cmocka_unit_test(test_example_sample_as),
        cmocka_unit_test(test_example_map),
        cmocka_unit_test(test_example_path),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_number_errors),
        cmocka_unit_test(test_ranges),
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_vector_errors),
        cmocka_unit_test(test_rows),
        cmocka_unit_test(test_name_lists),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_bare_words),
        cmocka_unit_test(test_axes),
        cmocka_unit_test(test_multiple_statements),
        cmocka_unit_test(test_blank_and_comments),
        cmocka_unit_test(test_continuation),
        cmocka_unit_test(test_as_name),
        cmocka_unit_test(test_keyword_errors),
        cmocka_unit_test(test_command_name_errors),
        cmocka_unit_test(test_unexpected_chars),
        cmocka_unit_test(test_too_long),
        cmocka_unit_test(test_incomplete),
        cmocka_unit_test(test_kind_names),
        cmocka_unit_test(test_number_underflow),
        cmocka_unit_test(test_parse_u64),
        cmocka_unit_test(test_echo_text),
        cmocka_unit_test(test_free_empty),
        cmocka_unit_test(test_fuzz),
        cmocka_unit_test(test_call),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* tbl_*: aligned text and CSV output of tables (src/core/table.h).
 * Text: numbers right-aligned in columns holding numbers, strings
 * left-aligned, two spaces between columns, no padding after the last
 * column, 12 significant digits. CSV: RFC 4180 quoting, numbers in the
 * shortest form that reads back as the same double (at most 17 digits). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/interrupt.h"
#include "core/sink.h"
#include "core/table.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ------------------------------------------------------------ */

/* The table as printed; the caller frees. */
static char *render(const tbl *t, int csv, int indent)
{
    ss_membuf m = {0};
    ss_sink k = ss_sink_mem(&m);
    tbl_print(t, &k, csv, indent);
    if (!m.buf) {
        m.buf = malloc(1);
        assert_non_null(m.buf);
        m.buf[0] = 0;
    }
    return m.buf;
}

static void expect_render(const tbl *t, int csv, int indent,
                          const char *want)
{
    char *got = render(t, csv, indent);
    if (strcmp(got, want) != 0)
        fail_msg("%s output (indent %d) differs.\n--- got:\n%s--- "
                 "expected:\n%s---",
                 csv ? "csv" : "text", indent, got, want);
    free(got);
}

static const char *fmt(double v, int csv)
{
    static char buf[64];
    tbl_format_num(buf, sizeof buf, v, csv);
    return buf;
}

/* Significant digits of a decimal number: leading and trailing zeros of
 * the mantissa do not count ("-1.250e-07" -> 3, "20" -> 1, "0.05" -> 1,
 * "0" -> 1). */
static int sig_digits(const char *s)
{
    int n = 0, zeros = 0, started = 0;
    for (; *s && *s != 'e' && *s != 'E'; s++) {
        if (*s < '0' || *s > '9')
            continue;
        if (*s != '0')
            started = 1;
        if (!started)
            continue;
        if (*s == '0') {
            zeros++;
        } else {
            n += zeros + 1;
            zeros = 0;
        }
    }
    return n ? n : 1; /* "0" */
}

/* ---- text ------------------------------------------------------------- */

static void test_text_alignment(void **state)
{
    (void)state;
    tbl *t = tbl_alloc(3);
    assert_non_null(t);
    tbl_header(t, 0, "param");
    tbl_header(t, 1, "value");
    tbl_header(t, 2, "note");
    tbl_row(t);
    tbl_str(t, 0, "v");
    tbl_num(t, 1, 0.5);
    tbl_str(t, 2, "weight");
    tbl_row(t);
    tbl_str(t, 0, "w1");
    tbl_num(t, 1, -1.25);
    tbl_str(t, 2, "mean, first");
    tbl_row(t);
    tbl_str(t, 0, "w2");
    tbl_num(t, 1, 1e-20);
    tbl_str(t, 2, "x");
    assert_int_equal(tbl_rows(t), 3);
    expect_render(t, 0, 0,
                  "param  value  note\n"
                  "v        0.5  weight\n"
                  "w1     -1.25  mean, first\n"
                  "w2     1e-20  x\n");
    tbl_free(t);
}

/* A column holding any number is a numeric column: all of it, strings and
 * header included, is right-aligned; empty cells are blanks of the width. */
static void test_numeric_column(void **state)
{
    (void)state;
    tbl *t = tbl_alloc(2);
    tbl_header(t, 0, "x");
    tbl_header(t, 1, "y");
    tbl_row(t);
    tbl_num(t, 0, 123.5);
    tbl_str(t, 1, "a");
    tbl_row(t);
    tbl_str(t, 0, "n/a");
    tbl_str(t, 1, "bb");
    tbl_row(t); /* all empty */
    tbl_row(t);
    tbl_num(t, 0, 7);
    expect_render(t, 0, 0,
                  "    x  y\n"
                  "123.5  a\n"
                  "  n/a  bb\n"
                  "\n"
                  "    7\n"); /* no trailing blanks */
    tbl_free(t);
}

static void test_indent(void **state)
{
    (void)state;
    tbl *t = tbl_alloc(2);
    tbl_header(t, 0, "k");
    tbl_header(t, 1, "v");
    tbl_row(t);
    tbl_str(t, 0, "a");
    tbl_num(t, 1, 10);
    tbl_row(t);
    tbl_str(t, 0, "bcd");
    tbl_num(t, 1, 2);
    expect_render(t, 0, 4,
                  "    k     v\n"
                  "    a    10\n"
                  "    bcd   2\n");
    expect_render(t, 0, 0,
                  "k     v\n"
                  "a    10\n"
                  "bcd   2\n");
    /* CSV is for other tools: never indented */
    expect_render(t, 1, 4, "k,v\na,10\nbcd,2\n");
    tbl_free(t);
}

/* Display width counts UTF-8 code points, not bytes: sigma-squared (4
 * bytes) is 2 wide, lambda (2 bytes) 1 wide. */
static void test_utf8_width(void **state)
{
    (void)state;
    tbl *t = tbl_alloc(3);
    tbl_header(t, 0, "\xCF\x83\xC2\xB2");  /* σ² */
    tbl_header(t, 1, "\xCE\xBB");          /* λ */
    tbl_header(t, 2, "end");
    tbl_row(t);
    tbl_str(t, 0, "ab");
    tbl_num(t, 1, 1.5);
    tbl_str(t, 2, "z");
    tbl_row(t);
    tbl_str(t, 0, "\xCE\xB8\xE2\x82\x81\xE2\x82\x82"); /* θ₁₂: 3 wide */
    tbl_num(t, 1, 2);
    tbl_str(t, 2, "\xC3\xA9t\xC3\xA9"); /* été */
    expect_render(t, 0, 0,
                  "\xCF\x83\xC2\xB2     \xCE\xBB  end\n"
                  "ab   1.5  z\n"
                  "\xCE\xB8\xE2\x82\x81\xE2\x82\x82    2  "
                  "\xC3\xA9t\xC3\xA9\n");
    /* CSV passes UTF-8 through unchanged */
    expect_render(t, 1, 0,
                  "\xCF\x83\xC2\xB2,\xCE\xBB,end\n"
                  "ab,1.5,z\n"
                  "\xCE\xB8\xE2\x82\x81\xE2\x82\x82,2,\xC3\xA9t\xC3\xA9\n");
    tbl_free(t);
}

static void test_empty_tables(void **state)
{
    (void)state;
    /* nothing at all */
    tbl *t = tbl_alloc(2);
    assert_int_equal(tbl_rows(t), 0);
    expect_render(t, 0, 0, "");
    expect_render(t, 1, 0, "");
    expect_render(t, 0, 3, "");
    /* a header only */
    tbl_header(t, 0, "a");
    tbl_header(t, 1, "bb");
    expect_render(t, 0, 0, "a  bb\n");
    expect_render(t, 1, 0, "a,bb\n");
    tbl_free(t);
    /* rows without a header: no header line */
    t = tbl_alloc(2);
    tbl_row(t);
    tbl_str(t, 0, "x");
    tbl_num(t, 1, 1);
    expect_render(t, 0, 0, "x  1\n");
    expect_render(t, 1, 0, "x,1\n");
    tbl_free(t);
    /* a header for some columns only */
    t = tbl_alloc(2);
    tbl_header(t, 1, "v");
    tbl_row(t);
    tbl_str(t, 0, "name");
    tbl_num(t, 1, 3);
    expect_render(t, 0, 0, "      v\nname  3\n");
    expect_render(t, 1, 0, ",v\nname,3\n");
    tbl_free(t);
    tbl_free(NULL); /* like free() */
}

/* Writes outside a row or past the last column are ignored; a cell can be
 * overwritten with the other kind; NULL strings are empty. */
static void test_cell_edges(void **state)
{
    (void)state;
    tbl *t = tbl_alloc(2);
    tbl_str(t, 0, "lost"); /* no row yet */
    tbl_num(t, 1, 1);
    tbl_header(t, 5, "lost");
    tbl_row(t);
    tbl_str(t, 2, "lost");
    tbl_num(t, 7, 1);
    tbl_num(t, 0, 1);
    tbl_str(t, 0, "s"); /* number -> string */
    tbl_str(t, 1, "t");
    tbl_num(t, 1, 2.5); /* string -> number */
    tbl_row(t);
    tbl_str(t, 0, NULL);
    tbl_num(t, 1, 3);
    assert_int_equal(tbl_rows(t), 2);
    expect_render(t, 1, 0, "s,2.5\n,3\n");
    expect_render(t, 0, 0, "s  2.5\n     3\n");
    tbl_free(t);
}

/* Many rows (the cell array grows) come out complete and in order. */
static void test_many_rows(void **state)
{
    (void)state;
    tbl *t = tbl_alloc(2);
    tbl_header(t, 0, "i");
    tbl_header(t, 1, "sq");
    for (int i = 0; i < 1000; i++) {
        tbl_row(t);
        tbl_num(t, 0, i);
        tbl_num(t, 1, (double)i * i);
    }
    assert_int_equal(tbl_rows(t), 1000);
    char *out = render(t, 1, 0);
    const char *p = out;
    assert_int_equal(strncmp(p, "i,sq\n", 5), 0);
    p += 5;
    for (int i = 0; i < 1000; i++) {
        char line[64];
        snprintf(line, sizeof line, "%d,%d\n", i, i * i);
        if (strncmp(p, line, strlen(line)) != 0)
            fail_msg("row %d: expected %s", i, line);
        p += strlen(line);
    }
    assert_int_equal(*p, 0);
    free(out);
    /* text: every line as wide as the widest (numbers right-aligned) */
    out = render(t, 0, 0);
    char *save = NULL;
    size_t lines = 0;
    for (char *l = strtok_r(out, "\n", &save); l;
         l = strtok_r(NULL, "\n", &save), lines++)
        assert_int_equal(strlen(l), 3 + 2 + 6);
    assert_int_equal(lines, 1001);
    free(out);
    tbl_free(t);
}

/* A cell is printed whole, however long (a file name, a message). */
static void test_long_cell(void **state)
{
    (void)state;
    char big[1501];
    for (size_t i = 0; i < 1500; i++)
        big[i] = (char)('a' + i % 26);
    big[1500] = 0;
    tbl *t = tbl_alloc(2);
    tbl_row(t);
    tbl_str(t, 0, big);
    tbl_num(t, 1, 1);
    char *want = malloc(1600);
    assert_non_null(want);
    snprintf(want, 1600, "%s,1\n", big);
    int bad = 0;
    char *got = render(t, 1, 0);
    if (strcmp(got, want) != 0) {
        print_error("csv: a %zu-byte cell came out as %zu bytes\n",
                    strlen(big), strcspn(got, ","));
        bad++;
    }
    free(got);
    snprintf(want, 1600, "%s  1\n", big);
    got = render(t, 0, 0);
    if (strcmp(got, want) != 0) {
        print_error("text: a %zu-byte cell came out as %zu bytes\n",
                    strlen(big), strcspn(got, " "));
        bad++;
    }
    free(got);
    free(want);
    tbl_free(t);
    if (bad)
        fail_msg("long cells are truncated");
}

/* ---- CSV quoting ------------------------------------------------------ */

static void test_csv_quoting(void **state)
{
    (void)state;
    tbl *t = tbl_alloc(3);
    tbl_header(t, 0, "name");
    tbl_header(t, 1, "a,b");
    tbl_header(t, 2, "say \"hi\"");
    tbl_row(t);
    tbl_str(t, 0, "x,y");
    tbl_num(t, 1, 1.5);
    tbl_str(t, 2, "line1\nline2");
    tbl_row(t);
    tbl_str(t, 0, "plain text");
    tbl_num(t, 1, -2);
    tbl_str(t, 2, "q\"");
    tbl_row(t);
    tbl_str(t, 0, "");
    tbl_str(t, 1, "\"");
    tbl_str(t, 2, ",");
    expect_render(t, 1, 0,
                  "name,\"a,b\",\"say \"\"hi\"\"\"\n"
                  "\"x,y\",1.5,\"line1\nline2\"\n"
                  "plain text,-2,\"q\"\"\"\n"
                  ",\"\"\"\",\",\"\n");
    tbl_free(t);
}

/* ---- numbers ---------------------------------------------------------- */

static void test_number_text(void **state)
{
    (void)state;
    const struct {
        double v;
        const char *text;
    } cases[] = {
        {0.1, "0.1"},
        {1.0 / 3, "0.333333333333"},
        {2.0 / 3, "0.666666666667"},
        {123456789012345.0, "1.23456789012e+14"},
        {123456789012.0, "123456789012"},
        {1e12, "1e+12"},
        {1e6, "1000000"},
        {1e-300, "1e-300"},
        {-2.5e-7, "-2.5e-07"},
        {0.0, "0"},
        {-0.0, "0"},
        {M_PI, "3.14159265359"},
        {DBL_MAX, "1.79769313486e+308"},
        {INFINITY, "inf"},
        {-INFINITY, "-inf"},
        {NAN, "n/a"}, /* not available */
        {-NAN, "n/a"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *got = fmt(cases[i].v, 0);
        if (strcmp(got, cases[i].text) != 0)
            fail_msg("text %.17g: got \"%s\", expected \"%s\"", cases[i].v,
                     got, cases[i].text);
    }
}

static void test_number_csv(void **state)
{
    (void)state;
    const struct {
        double v;
        const char *csv;
    } cases[] = {
        {0.1, "0.1"},
        {0.1 + 0.2, "0.30000000000000004"},
        {1.0 / 3, "0.3333333333333333"},
        {2.0 / 3, "0.6666666666666666"},
        {123456789012345.0, "123456789012345"},
        {1e-300, "1e-300"},
        {-2.5e-7, "-2.5e-07"},
        {0.0, "0"},
        {-0.0, "0"},
        {M_PI, "3.141592653589793"},
        {DBL_MAX, "1.7976931348623157e+308"},
        {DBL_MIN, "2.2250738585072014e-308"},
        {INFINITY, "inf"},
        {-INFINITY, "-inf"},
        {NAN, ""}, /* an empty field */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *got = fmt(cases[i].v, 1);
        if (strcmp(got, cases[i].csv) != 0)
            fail_msg("csv %.17g: got \"%s\", expected \"%s\"", cases[i].v,
                     got, cases[i].csv);
    }
}

/* For doubles spread over the normal range: the CSV form reads back as the
 * same double, has at most 17 significant digits, and no %.Ng form with
 * fewer digits reads back (it is the shortest). */
static int shortest_prec(double v)
{
    char b[128];
    for (int p = 1; p <= 17; p++) {
        snprintf(b, sizeof b, "%.*g", p, v);
        if (strtod(b, NULL) == v)
            return p;
    }
    return 99;
}

static void check_shortest(double v)
{
    const char *got = fmt(v, 1);
    if (strtod(got, NULL) != v)
        fail_msg("csv %.17g -> \"%s\" does not read back", v, got);
    int p = shortest_prec(v);
    char want[128];
    snprintf(want, sizeof want, "%.*g", p, v);
    if (sig_digits(got) != p)
        fail_msg("csv %.17g -> \"%s\" (%d significant digits); \"%s\" "
                 "reads back with %d",
                 v, got, sig_digits(got), want, p);
}

static void test_csv_round_trip(void **state)
{
    (void)state;
    uint64_t x = 88172645463325252ULL; /* xorshift64 */
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        /* mantissa and exponent both random over the normal range */
        double m = (double)(x >> 11) / 9007199254740992.0; /* [0, 1) */
        int e = (int)(x % 2000) - 1000;
        double v = ldexp(0.5 + m / 2, e);
        if (i % 2)
            v = -v;
        check_shortest(v);
        /* short decimals too (few digits: the %.15g path) */
        check_shortest((double)(long)(x % 100000) / 1000.0);
    }
}

/* Subnormal doubles have fewer significant bits, so their shortest
 * round-trip form can be much shorter than 15 digits: the smallest one
 * reads back from "5e-324". */
static void test_csv_shortest_subnormal(void **state)
{
    (void)state;
    const double vals[] = {5e-324, 1e-320, 3 * 4.9406564584124654e-324,
                           DBL_MIN / 4};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++)
        check_shortest(vals[i]);
}

/* inf and nan in a numeric column: aligned like numbers; nan means "not
 * available" (n/a in text, an empty CSV field). */
static void test_inf_nan_in_tables(void **state)
{
    (void)state;
    tbl *t = tbl_alloc(2);
    tbl_header(t, 0, "what");
    tbl_header(t, 1, "value");
    const char *names[] = {"logdet", "cond", "ratio", "neg"};
    const double vals[] = {-INFINITY, INFINITY, NAN, -1.5};
    for (size_t i = 0; i < 4; i++) {
        tbl_row(t);
        tbl_str(t, 0, names[i]);
        tbl_num(t, 1, vals[i]);
    }
    expect_render(t, 0, 0,
                  "what    value\n"
                  "logdet   -inf\n"
                  "cond      inf\n"
                  "ratio     n/a\n"
                  "neg      -1.5\n");
    expect_render(t, 1, 0,
                  "what,value\nlogdet,-inf\ncond,inf\nratio,\nneg,-1.5\n");
    tbl_free(t);
}

/* ---- zeros, shortest digits, streaming ---------------------------------- */

/* A zero in CSV is "0" (either sign). Before the fix the exponent of every
 * number was taken as (int)floor(log10(|v|)), undefined behaviour for 0
 * (the int of -inf): the clang sanitizer build (float-cast-overflow) stops
 * here. */
static void test_csv_zero(void **state)
{
    (void)state;
    assert_string_equal(fmt(0.0, 1), "0");
    assert_string_equal(fmt(-0.0, 1), "0");
    tbl *t = tbl_alloc(2);
    tbl_header(t, 0, "a");
    tbl_header(t, 1, "b");
    tbl_row(t);
    tbl_num(t, 0, 0.0);
    tbl_num(t, 1, -0.0);
    expect_render(t, 1, 0, "a,b\n0,0\n");
    tbl_free(t);
}

/* The fewest digits that read back, against a linear search written here
 * (independent of the bisection in table.c), over doubles of every size. */
static void test_csv_fewest_digits(void **state)
{
    (void)state;
    uint64_t x = 88172645463325252ull;
    for (int k = 0; k < 20000; k++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double v;
        if (k % 3 == 0) { /* short decimals: 0.1, 2.5e-7, ... */
            v = (double)(x % 100000) * pow(10.0, (double)((int)(x >> 40) % 40 - 20));
        } else {
            uint64_t bits = x & 0x7fefffffffffffffull; /* finite */
            memcpy(&v, &bits, sizeof v);
        }
        int want = 1;
        char b[40];
        for (; want < 17; want++) {
            snprintf(b, sizeof b, "%.*g", want, v);
            if (strtod(b, NULL) == v)
                break;
        }
        const char *got = fmt(v, 1);
        if (strtod(got, NULL) != v || sig_digits(got) > want)
            fail_msg("%.17g: got '%s', %d digits; shortest has %d", v, got,
                     sig_digits(got), want);
    }
}

static void stream_row(void *ctx, size_t i, double *v)
{
    const double *m = ctx;
    v[0] = m[2 * i];
    v[1] = m[2 * i + 1];
}

/* Streaming prints what tbl_print prints for the same numbers. */
static void test_stream_matches_table(void **state)
{
    (void)state;
    const double m[] = {1, -2.5, 1e-300, 0, NAN, INFINITY, 123456789.125,
                        -0.0, 3.25e17, 7};
    const char *head[] = {"x", "long_name"};
    tbl *t = tbl_alloc(2);
    tbl_header(t, 0, head[0]);
    tbl_header(t, 1, head[1]);
    for (size_t i = 0; i < 5; i++) {
        tbl_row(t);
        tbl_num(t, 0, m[2 * i]);
        tbl_num(t, 1, m[2 * i + 1]);
    }
    for (int csv = 0; csv <= 1; csv++)
        for (int indent = 0; indent <= 2; indent += 2) {
            char *want = render(t, csv, indent);
            ss_membuf mb = {0};
            ss_sink k = ss_sink_mem(&mb);
            assert_int_equal(tbl_print_numeric(&k, head, 2, 5, stream_row,
                                               (void *)m, csv, indent),
                             0);
            assert_non_null(mb.buf);
            assert_string_equal(mb.buf, want);
            ss_membuf_free(&mb);
            free(want);
        }
    tbl_free(t);
}

/* Ctrl-C stops a streamed table before its rows; 1 says so. */
static void test_stream_interrupt(void **state)
{
    (void)state;
    const double m[] = {1, 2, 3, 4};
    const char *head[] = {"a", "b"};
    for (int csv = 0; csv <= 1; csv++) {
        ss_membuf mb = {0};
        ss_sink k = ss_sink_mem(&mb);
        ss_interrupt_raise();
        int r = tbl_print_numeric(&k, head, 2, 2, stream_row, (void *)m, csv,
                                  0);
        ss_interrupt_clear();
        assert_int_equal(r, 1);
        assert_true(mb.buf == NULL || strstr(mb.buf, "3") == NULL);
        ss_membuf_free(&mb);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_alignment),
        cmocka_unit_test(test_numeric_column),
        cmocka_unit_test(test_indent),
        cmocka_unit_test(test_utf8_width),
        cmocka_unit_test(test_empty_tables),
        cmocka_unit_test(test_cell_edges),
        cmocka_unit_test(test_many_rows),
        cmocka_unit_test(test_long_cell),
        cmocka_unit_test(test_csv_quoting),
        cmocka_unit_test(test_number_text),
        cmocka_unit_test(test_number_csv),
        cmocka_unit_test(test_csv_round_trip),
        cmocka_unit_test(test_csv_shortest_subnormal),
        cmocka_unit_test(test_inf_nan_in_tables),
        cmocka_unit_test(test_csv_zero),
        cmocka_unit_test(test_csv_fewest_digits),
        cmocka_unit_test(test_stream_matches_table),
        cmocka_unit_test(test_stream_interrupt),
    };
    return cmocka_run_group_tests_name("table", tests, NULL, NULL);
}

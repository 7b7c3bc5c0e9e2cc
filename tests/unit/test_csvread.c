/* The CSV reader (core/csvread.h): what it accepts, what it refuses (with
 * file:line:col), the columns it keeps, the memory bound, streaming over
 * several steps, and exact round trips of what the CSV writer prints. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/csvread.h"
#include "core/rng.h"
#include "core/table.h"
#include "testutil.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/ss_csv.XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Write text (len bytes; -1: strlen) to DIR/name; returns the path. */
static const char *put(const char *name, const char *text, long len)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    size_t n = len < 0 ? strlen(text) : (size_t)len;
    assert_int_equal(fwrite(text, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
    return path;
}

static gsl_matrix *read_ok(const char *path, const csv_select *sel,
                           char ***names)
{
    gsl_matrix *X = NULL;
    ss_status rc = csv_read_file(path, sel, &X, names);
    if (rc != SS_OK)
        fail_msg("%s: %s", path, ss_last_error()->msg);
    assert_non_null(X);
    return X;
}

/* The read fails with a message containing want (after the file name). */
static void read_fail(const char *name, const char *text,
                      const csv_select *sel, const char *want)
{
    const char *path = put(name, text, -1);
    gsl_matrix *X = (gsl_matrix *)1;
    char **names = (char **)1;
    ss_status rc = csv_read_file(path, sel, &X, &names);
    if (rc == SS_OK)
        fail_msg("%s: read, expected an error containing '%s'", name, want);
    assert_null(X);
    assert_null(names);
    const char *msg = ss_last_error()->msg;
    /* every message names the file first */
    if (strncmp(msg, path, strlen(path)) != 0 || !strstr(msg, want))
        fail_msg("%s: got '%s', expected '%s: ...%s...'", name, msg, path,
                 want);
}

static void expect_names(char **names, size_t n, const char *const *want)
{
    for (size_t j = 0; j < n; j++)
        assert_string_equal(names[j], want[j]);
}

static void test_header_and_columns(void **state)
{
    (void)state;
    const char *p = put("h.csv", "x,y,z\n1,2,3\n4,5,6\n", -1);
    char **nm;
    gsl_matrix *X = read_ok(p, NULL, &nm);
    assert_int_equal(X->size1, 2);
    assert_int_equal(X->size2, 3);
    expect_names(nm, 3, (const char *[]){"x", "y", "z"});
    assert_true(gsl_matrix_get(X, 1, 2) == 6.0);
    gsl_matrix_free(X);
    csv_names_free(nm, 3);

    /* by name, reordered */
    const char *pick[] = {"z", "x"};
    csv_select s = {.names = pick, .nnames = 2};
    X = read_ok(p, &s, &nm);
    assert_int_equal(X->size2, 2);
    expect_names(nm, 2, pick);
    assert_true(gsl_matrix_get(X, 0, 0) == 3.0 &&
                gsl_matrix_get(X, 0, 1) == 1.0 &&
                gsl_matrix_get(X, 1, 0) == 6.0 &&
                gsl_matrix_get(X, 1, 1) == 4.0);
    gsl_matrix_free(X);
    csv_names_free(nm, 2);

    /* by position (also with a header) */
    size_t idx[] = {2};
    csv_select si = {.index = idx, .nindex = 1};
    X = read_ok(p, &si, &nm);
    assert_int_equal(X->size2, 1);
    assert_string_equal(nm[0], "y");
    assert_true(gsl_matrix_get(X, 1, 0) == 5.0);
    gsl_matrix_free(X);
    csv_names_free(nm, 1);

    /* no header: the first row is data; names cK by file position */
    p = put("nh.csv", "1,2,3\n4,5,6\n", -1);
    size_t idx2[] = {3, 1};
    csv_select s2 = {.index = idx2, .nindex = 2};
    X = read_ok(p, &s2, &nm);
    assert_int_equal(X->size1, 2);
    expect_names(nm, 2, (const char *[]){"c3", "c1"});
    assert_true(gsl_matrix_get(X, 0, 0) == 3.0 &&
                gsl_matrix_get(X, 1, 1) == 4.0);
    gsl_matrix_free(X);
    csv_names_free(nm, 2);
}

/* A BOM, CRLF, comments anywhere, blank lines (also trailing), quoted
 * header names, blanks around fields, ';' and tab separators. */
static void test_format_variants(void **state)
{
    (void)state;
    const char *p = put("v.csv",
                        "\xEF\xBB\xBF# made by a test\r\n"
                        "\r\n"
                        " \"a, \"\"quoted\"\" name\" , b \r\n"
                        "# a comment between rows\r\n"
                        " 1.5 , -2e-3\r\n"
                        "\r\n"
                        "3,4\r\n"
                        "\r\n\r\n",
                        -1);
    char **nm;
    csv_reader *r;
    assert_int_equal(csv_reader_open(p, NULL, &r), SS_OK);
    assert_true(csv_reader_has_header(r));
    assert_int_equal(csv_reader_separator(r), ',');
    csv_reader_free(r);
    gsl_matrix *X = read_ok(p, NULL, &nm);
    assert_int_equal(X->size1, 2);
    expect_names(nm, 2, (const char *[]){"a, \"quoted\" name", "b"});
    assert_true(gsl_matrix_get(X, 0, 0) == 1.5 &&
                gsl_matrix_get(X, 0, 1) == -2e-3 &&
                gsl_matrix_get(X, 1, 0) == 3.0 &&
                gsl_matrix_get(X, 1, 1) == 4.0);
    gsl_matrix_free(X);
    csv_names_free(nm, 2);

    static const struct {
        const char *text;
        char sep;
    } seps[] = {{"1;2\n3;4\n", ';'},
                {"1\t2\n3\t4\n", '\t'},
                {"x;y\n1;2\n3;4\n", ';'}};
    for (size_t k = 0; k < 3; k++) {
        p = put("s.csv", seps[k].text, -1);
        assert_int_equal(csv_reader_open(p, NULL, &r), SS_OK);
        assert_int_equal(csv_reader_separator(r), seps[k].sep);
        csv_reader_free(r);
        X = read_ok(p, NULL, NULL);
        assert_int_equal(X->size1, 2);
        assert_int_equal(X->size2, 2);
        assert_true(gsl_matrix_get(X, 1, 0) == 3.0 &&
                    gsl_matrix_get(X, 1, 1) == 4.0);
        gsl_matrix_free(X);
    }
    /* one column, no final newline */
    p = put("one.csv", "7\n8", -1);
    X = read_ok(p, NULL, NULL);
    assert_int_equal(X->size1, 2);
    assert_int_equal(X->size2, 1);
    assert_true(gsl_matrix_get(X, 1, 0) == 8.0);
    gsl_matrix_free(X);
    /* a column not kept may hold anything */
    p = put("skip.csv", "date,v\n2024-01-01,1\nyesterday,2\n", -1);
    size_t idx[] = {2};
    csv_select s = {.index = idx, .nindex = 1};
    X = read_ok(p, &s, NULL);
    assert_true(gsl_matrix_get(X, 1, 0) == 2.0);
    gsl_matrix_free(X);
}

static void test_errors(void **state)
{
    (void)state;
    read_fail("empty.csv", "", NULL, ": no data: the file is empty");
    read_fail("comments.csv", "# only\n\n", NULL, "no data");
    read_fail("head.csv", "x,y\n\n# none\n", NULL,
              ":1: a header but no data rows");
    read_fail("ragged.csv", "x,y\n1,2\n3\n", NULL,
              ":3: this row has 1 field, the header has 2");
    read_fail("ragged2.csv", "1,2\n3,4,5\n", NULL,
              ":2: this row has 3 fields, the first row has 2");
    read_fail("nonnum.csv", "x,y\n1,2\n3,abc\n", NULL,
              ":3:3: field 2 is not a number: 'abc'");
    read_fail("nonnum2.csv", "x\n1\n2.5.1\n", NULL,
              ":3:1: field 1 is not a number: '2.5.1'");
    read_fail("missing.csv", "x,y\n1,\n", NULL,
              ":2:3: field 2 is empty (a missing value)");
    read_fail("missing1.csv", "1,,2\n", NULL,
              ":1:3: field 2 is empty");
    read_fail("nan.csv", "x\n1\nNaN\n", NULL, ":3:1: field 1 is NaN");
    read_fail("inf.csv", "x,y\n1,-inf\n", NULL, ":2:3: field 2 is infinite");
    read_fail("big.csv", "x\n1e309\n", NULL,
              ":2:1: field 1 ('1e309') is beyond the range of doubles");
    read_fail("quote.csv", "\"x,y\n1,2\n", NULL, ":1:1: field 1: unclosed "
                                                 "quote");
    const char *unk[] = {"x", "w"};
    csv_select s = {.names = unk, .nnames = 2};
    read_fail("unknown.csv", "x,y\n1,2\n", &s,
              ":1: no column 'w' in the header (columns: x, y)");
    read_fail("noheader.csv", "1,2\n", &s, "the file has no header");
    size_t idx[] = {3};
    csv_select si = {.index = idx, .nindex = 1};
    read_fail("range.csv", "1,2\n", &si, "no column 3: the file has 2 "
                                         "columns");
    size_t twice[] = {1, 1};
    csv_select st = {.index = twice, .nindex = 2};
    read_fail("twice.csv", "1,2\n", &st, "column 1 (no header) is chosen "
                                         "twice");
}

/* A file that cannot be opened or is not text. */
static void test_missing_file(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/none.csv", dir);
    gsl_matrix *X = NULL;
    assert_int_equal(csv_read_file(path, NULL, &X, NULL), SS_ERR_IO);
    assert_null(X);
    assert_non_null(strstr(ss_last_error()->msg, "cannot open"));
    assert_non_null(strstr(ss_last_error()->msg, "No such file"));
    assert_int_equal(csv_read_file(dir, NULL, &X, NULL), SS_ERR_IO);
    assert_non_null(strstr(ss_last_error()->msg, "is a directory"));
    /* a NUL byte: not a text file */
    const char *p = put("nul.bin", "x\n1\0\n", 5);
    assert_int_not_equal(csv_read_file(p, NULL, &X, NULL), SS_OK);
    assert_non_null(strstr(ss_last_error()->msg, ":2: a NUL byte"));
}

/* The memory bound counts kept values: 3 rows x 2 kept columns = 6. */
static void test_memory_bound(void **state)
{
    (void)state;
    const char *p = put("b.csv", "x,y,z\n1,2,3\n4,5,6\n7,8,9\n", -1);
    size_t idx[] = {1, 3};
    csv_select s = {.index = idx, .nindex = 2, .max_values = 6};
    gsl_matrix *X = read_ok(p, &s, NULL);
    assert_int_equal(X->size1, 3);
    gsl_matrix_free(X);
    s.max_values = 5;
    X = NULL;
    assert_int_equal(csv_read_file(p, &s, &X, NULL), SS_ERR_LIMIT);
    assert_null(X);
    assert_non_null(strstr(ss_last_error()->msg, ":4: more than 5 values"));
}

/* Doubles of every magnitude (random bit patterns: subnormals, huge,
 * tiny, both signs) written as the CSV writer writes them read back to
 * the same bits, over more rows than one step of the iteration. */
static void test_round_trip_bits(void **state)
{
    (void)state;
    size_t n = CSV_STEP_LINES + 1000;
    char path[128];
    snprintf(path, sizeof path, "%s/rt.csv", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    gsl_rng *r = ss_rng_alloc();
    ss_rng_seed(r, 42, SS_STREAM_SAMPLE, 0);
    double *want = malloc(2 * n * sizeof *want);
    assert_non_null(want);
    fprintf(f, "# a comment line as export writes\na,b\n");
    for (size_t i = 0; i < n; i++) {
        for (int j = 0; j < 2; j++) {
            double x;
            do {
                uint64_t u = ((uint64_t)gsl_rng_get(r) << 32) ^
                             (uint64_t)gsl_rng_get(r);
                memcpy(&x, &u, sizeof x);
            } while (!isfinite(x) || x == 0.0);
            if (i < 4) /* and the edges */
                x = (double[]){5e-324, -2.2250738585072014e-308,
                               1.7976931348623157e308, 0.1}[i] *
                    (j ? -1 : 1);
            want[2 * i + (size_t)j] = x;
            char buf[64];
            tbl_format_num(buf, sizeof buf, x, 1);
            fprintf(f, "%s%s", buf, j ? "\n" : ",");
        }
    }
    assert_int_equal(fclose(f), 0);
    gsl_rng_free(r);
    csv_reader *rd;
    assert_int_equal(csv_reader_open(path, NULL, &rd), SS_OK);
    int steps = 0;
    while (!csv_reader_iter.test(rd)) {
        assert_int_equal(csv_reader_iter.iterate(rd), SS_OK);
        steps++;
        size_t done, total;
        csv_reader_iter.progress(rd, &done, &total);
        assert_true(done <= total);
    }
    assert_true(steps >= 2); /* streamed in steps, not in one piece */
    gsl_matrix *X;
    assert_int_equal(csv_reader_take(rd, &X), SS_OK);
    csv_reader_free(rd);
    assert_int_equal(X->size1, n);
    assert_int_equal(X->size2, 2);
    assert_int_equal(X->tda, 2);
    assert_memory_equal(X->data, want, 2 * n * sizeof *want);
    gsl_matrix_free(X);
    free(want);
}

/* A locale with a decimal comma does not change how numbers are read. */
static void test_locale_independent(void **state)
{
    (void)state;
    static const char *const locs[] = {"de_DE.UTF-8", "de_DE.utf8",
                                       "fr_FR.UTF-8", "fr_FR.utf8"};
    const char *got = NULL;
    for (size_t k = 0; k < 4 && !got; k++)
        got = setlocale(LC_NUMERIC, locs[k]);
    if (!got)
        skip(); /* no such locale installed */
    const char *p = put("loc.csv", "x\n1.25\n", -1);
    gsl_matrix *X = read_ok(p, NULL, NULL);
    setlocale(LC_NUMERIC, "C");
    assert_true(gsl_matrix_get(X, 0, 0) == 1.25);
    gsl_matrix_free(X);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_and_columns),
        cmocka_unit_test(test_format_variants),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_memory_bound),
        cmocka_unit_test(test_round_trip_bits),
        cmocka_unit_test(test_locale_independent),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

/* plot_*: golden pictures and unit tests (src/plot/plot.h).
 *
 * Golden tests draw known plots at 72x20 cells in UTF-8 and in ASCII,
 * print them with canvas_print and compare with
 * $srcdir/tests/golden/NAME.utf8.txt and NAME.ascii.txt. With
 * SINGSCOPE_REGOLD=1 in the environment the files are written instead
 * (look at them before committing). Without srcdir the directory is
 * searched in ".", ".." and "../.." (a test run by hand). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/sink.h"
#include "core/status.h"
#include "plot/canvas.h"
#include "plot/plot.h"

#include <float.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define GW 72
#define GH 20

/* ---- helpers ------------------------------------------------------------ */

static char *print_canvas(const canvas *c)
{
    ss_membuf m = {0};
    ss_sink k = ss_sink_mem(&m);
    canvas_print(c, &k);
    if (!m.buf) {
        m.buf = malloc(1);
        assert_non_null(m.buf);
        m.buf[0] = 0;
    }
    return m.buf;
}

static int is_dir(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* The golden directory: $srcdir/tests/golden, else the first of
 * ./, ../, ../../ holding tests/golden (or, to regenerate, tests/). */
static const char *golden_dir(int create)
{
    static char dir[4096];
    const char *env = getenv("srcdir");
    const char *cands[] = {env, ".", "..", "../.."};
    for (size_t i = 0; i < sizeof cands / sizeof cands[0]; i++) {
        if (!cands[i] || !*cands[i])
            continue;
        snprintf(dir, sizeof dir, "%s/tests/golden", cands[i]);
        if (is_dir(dir))
            return dir;
        if (create) {
            char tests[4096];
            snprintf(tests, sizeof tests, "%s/tests", cands[i]);
            if (is_dir(tests) && mkdir(dir, 0777) == 0)
                return dir;
        }
        if (env && i == 0)
            break; /* srcdir given: do not look elsewhere */
    }
    return NULL;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, len = 0;
    char *b = malloc(cap);
    size_t r;
    while (b && (r = fread(b + len, 1, cap - len - 1, f)) > 0) {
        len += r;
        if (len + 1 >= cap) {
            char *nb = realloc(b, cap * 2);
            if (!nb) {
                free(b);
                b = NULL;
                break;
            }
            b = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (b)
        b[len] = 0;
    return b;
}

/* Compare (or, with SINGSCOPE_REGOLD=1, write) one golden picture. */
static void check_golden(const char *name, const canvas *c)
{
    const char *regold = getenv("SINGSCOPE_REGOLD");
    int write = regold && strcmp(regold, "1") == 0;
    const char *dir = golden_dir(write);
    if (!dir)
        fail_msg("golden directory tests/golden not found (srcdir=%s)",
                 getenv("srcdir") ? getenv("srcdir") : "(unset)");
    char path[4200];
    snprintf(path, sizeof path, "%s/%s.%s.txt", dir, name,
             c->ascii ? "ascii" : "utf8");
    char *got = print_canvas(c);
    if (write) {
        FILE *f = fopen(path, "wb");
        if (!f)
            fail_msg("cannot write %s", path);
        fputs(got, f);
        fclose(f);
        print_message("note: regenerated %s\n", path);
        free(got);
        return;
    }
    char *want = read_file(path);
    if (!want) {
        free(got);
        fail_msg("cannot read %s (regenerate with SINGSCOPE_REGOLD=1)",
                 path);
    }
    if (strcmp(got, want) != 0) {
        print_error("--- got (%s):\n%s--- expected:\n%s---\n", path, got,
                    want);
        free(got);
        free(want);
        fail_msg("%s differs from the drawing", path);
    }
    free(got);
    free(want);
}

static void check_shape(const canvas *c);

typedef ss_status (*draw_fn)(canvas *c);

static void golden(const char *name, draw_fn draw)
{
    for (int ascii = 0; ascii <= 1; ascii++) {
        canvas *c = canvas_alloc(GW, GH, ascii);
        assert_non_null(c);
        ss_status st = draw(c);
        if (st != SS_OK)
            fail_msg("%s: %s", name, ss_last_error()->msg);
        check_shape(c);
        check_golden(name, c);
        canvas_free(c);
    }
}

/* Every printed line has at most GW code points and no trailing blank. */
static void check_shape(const canvas *c)
{
    char *s = print_canvas(c);
    int lines = 0;
    for (char *p = s; *p;) {
        char *nl = strchr(p, '\n');
        assert_non_null(nl);
        int cps = 0;
        for (char *q = p; q < nl; q++)
            cps += ((unsigned char)*q & 0xc0) != 0x80;
        assert_true(cps <= c->w);
        if (nl > p)
            assert_true(nl[-1] != ' ');
        lines++;
        p = nl + 1;
    }
    assert_int_equal(lines, c->h);
    free(s);
}

/* ---- the golden plots ---------------------------------------------------- */

static ss_status draw_lines(canvas *c)
{
    enum { N = 61 };
    double x[N], y1[N], y2[N];
    for (int i = 0; i < N; i++) {
        x[i] = 2 * M_PI * i / (N - 1);
        y1[i] = sin(x[i]);
        y2[i] = 0.5 * cos(x[i]);
    }
    plot_series s[2] = {
        {x, y1, N, "sin t", 0, 0, 0},
        {x, y2, N, "cos t / 2", 1, 0, 0},
    };
    plot_opts o;
    plot_opts_init(&o);
    o.title = "two series";
    o.xlabel = "t";
    o.ylabel = "value";
    o.legend = 1;
    return plot_xy(c, s, 2, &o);
}

static ss_status draw_loglog(canvas *c)
{
    enum { N = 25 };
    double x[N], y0[N], y2[N], y6[N], yf[N];
    for (int i = 0; i < N; i++) {
        x[i] = pow(10.0, -6.0 + 6.0 * i / (N - 1));
        y0[i] = 1;
        y2[i] = x[i] * x[i];
        y6[i] = pow(x[i], 6);
        yf[i] = pow(x[i], 4);
    }
    plot_series s[4] = {
        {x, y0, N, "x^0", 0, 0, 0},
        {x, y2, N, "x^2", 1, 0, 0},
        {x, y6, N, "x^6", 2, 0, 0},
        {x, yf, N, "fit x^4", -1, 0, 1},
    };
    plot_opts o;
    plot_opts_init(&o);
    o.title = "power laws";
    o.xlabel = "x";
    o.ylabel = "y";
    o.xlog = o.ylog = 1;
    return plot_xy(c, s, 4, &o);
}

static ss_status draw_scatter(canvas *c)
{
    enum { N = 150 };
    double x1[N], y1[N], x2[N], y2[N];
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 1);
    for (int i = 0; i < N; i++) {
        x1[i] = gsl_ran_gaussian(r, 1.0);
        y1[i] = 0.8 * x1[i] + gsl_ran_gaussian(r, 0.4);
        x2[i] = 3 + gsl_ran_gaussian(r, 0.5);
        y2[i] = -1 + gsl_ran_gaussian(r, 0.5);
    }
    gsl_rng_free(r);
    plot_series s[2] = {
        {x1, y1, N, "cloud a", 0, 1, 0},
        {x2, y2, N, "cloud b", 1, 1, 0},
    };
    plot_opts o;
    plot_opts_init(&o);
    o.title = "scatter";
    o.xlabel = "u";
    o.ylabel = "v";
    return plot_xy(c, s, 2, &o);
}

static ss_status draw_heatmap(canvas *c)
{
    enum { N = 21 };
    double z[N * N];
    unsigned char mark[N * N];
    for (int j = 0; j < N; j++)
        for (int i = 0; i < N; i++) {
            double x = -1 + 2.0 * i / (N - 1), y = -1 + 2.0 * j / (N - 1);
            z[j * N + i] = x * x - y * y;
            mark[j * N + i] = i == j;
        }
    plot_opts o;
    plot_opts_init(&o);
    o.title = "z = x^2 - y^2";
    o.xlabel = "x";
    o.ylabel = "y";
    return plot_heatmap(c, z, N, N, -1, 1, -1, 1, mark, &o);
}

static ss_status draw_bars(canvas *c)
{
    const double v[5] = {3.2, 1.5, 4.75, 0.7, 2.9};
    const char *const lab[5] = {"gmm", "mlp2", "arma", "a-very-long-label",
                                "x"};
    plot_opts o;
    plot_opts_init(&o);
    o.title = "bars";
    o.ylabel = "value";
    return plot_bars(c, v, lab, 5, &o);
}

static ss_status draw_bars_log(canvas *c)
{
    const double v[6] = {1e-3, 0.2, 15, 3e4, NAN, 1};
    const char *const lab[6] = {"a", "b", "c", "d", "nan", "f"};
    plot_opts o;
    plot_opts_init(&o);
    o.title = "bars on a log axis";
    o.ylog = 1;
    return plot_bars(c, v, lab, 6, &o);
}

static ss_status draw_histogram(canvas *c)
{
    enum { N = 500, M = 121 };
    double d[N], cx[M], cy[M];
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 1);
    for (int i = 0; i < N; i++)
        d[i] = gsl_ran_gaussian(r, 1.0);
    gsl_rng_free(r);
    for (int i = 0; i < M; i++) {
        cx[i] = -4 + 8.0 * i / (M - 1);
        cy[i] = gsl_ran_gaussian_pdf(cx[i], 1.0);
    }
    plot_opts o;
    plot_opts_init(&o);
    o.title = "500 normal draws";
    o.xlabel = "x";
    o.ylabel = "density";
    return plot_histogram(c, d, N, 0, cx, cy, M, &o);
}

static void test_golden_lines(void **state)
{
    (void)state;
    golden("lines", draw_lines);
}

static void test_golden_loglog(void **state)
{
    (void)state;
    golden("loglog", draw_loglog);
}

static void test_golden_scatter(void **state)
{
    (void)state;
    golden("scatter", draw_scatter);
}

static void test_golden_heatmap(void **state)
{
    (void)state;
    golden("heatmap", draw_heatmap);
}

static void test_golden_bars(void **state)
{
    (void)state;
    golden("bars", draw_bars);
}

static void test_golden_bars_log(void **state)
{
    (void)state;
    golden("bars_log", draw_bars_log);
}

static void test_golden_histogram(void **state)
{
    (void)state;
    golden("histogram", draw_histogram);
}


/* ---- ticks and labels ----------------------------------------------------- */

static void expect_ticks(double lo, double hi, int max, int log,
                         const double *want, int nwant)
{
    double t[64];
    int n = plot_ticks(lo, hi, max, log, t);
    int ok = n == nwant;
    for (int i = 0; ok && i < n; i++)
        ok = fabs(t[i] - want[i]) <= 1e-12 * fmax(fabs(want[i]), 1e-300);
    if (!ok) {
        print_error("plot_ticks(%g, %g, %d, %d) = %d ticks:", lo, hi, max,
                    log, n);
        for (int i = 0; i < n; i++)
            print_error(" %.17g", t[i]);
        print_error("\n");
        fail_msg("expected %d ticks", nwant);
    }
}

/* n ticks, strictly increasing, inside [lo, hi] (up to rounding). */
static void check_tick_set(double lo, double hi, int max, int log)
{
    double t[64];
    int n = plot_ticks(lo, hi, max, log, t);
    if (n < 1 || n > max)
        fail_msg("plot_ticks(%g, %g, %d, %d) gave %d ticks", lo, hi, max,
                 log, n);
    double a = fmin(lo, hi), b = fmax(lo, hi);
    double tol = log ? 0 : (b * 0.5 - a * 0.5) * 1e-9;
    for (int i = 0; i < n; i++) {
        if (!isfinite(t[i]))
            fail_msg("tick %d not finite", i);
        if (i > 0 && !(t[i] > t[i - 1]))
            fail_msg("plot_ticks(%g, %g): ticks %d, %d not increasing", lo,
                     hi, i - 1, i);
        if (a != b && (t[i] < a - tol - fabs(a) * 1e-9 ||
                       t[i] > b + tol + fabs(b) * 1e-9))
            fail_msg("plot_ticks(%g, %g): tick %.17g outside", lo, hi, t[i]);
    }
}

static void test_ticks_linear(void **state)
{
    (void)state;
    const double a[] = {0, 0.2, 0.4, 0.6, 0.8, 1};
    expect_ticks(0, 1, 6, 0, a, 6);
    const double b[] = {0, 0.5, 1};
    expect_ticks(0, 1, 5, 0, b, 3);
    const double c[] = {0, 5, 10};
    expect_ticks(-3.7, 12.2, 5, 0, c, 3);
    expect_ticks(12.2, -3.7, 5, 0, c, 3); /* swapped */
    const double d[] = {-0.3, -0.2, -0.1, 0, 0.1, 0.2};
    expect_ticks(-0.33, 0.27, 8, 0, d, 6);
    const double e[] = {1000, 2000, 3000};
    expect_ticks(950, 3100, 4, 0, e, 3);
    /* exact decimals: 0.3, not 0.30000000000000004 */
    double t[16];
    int n = plot_ticks(0, 1, 11, 0, t);
    assert_int_equal(n, 11);
    assert_true(t[3] == 0.3);
    assert_true(t[7] == 0.7);
    /* never more than max */
    for (int max = 1; max <= 12; max++) {
        check_tick_set(0, 1, max, 0);
        check_tick_set(-7.3, 1234.5, max, 0);
        check_tick_set(0.001, 0.0013, max, 0);
        check_tick_set(-1e-9, 3e-9, max, 0);
    }
    /* a single tick when max is 1 */
    n = plot_ticks(0.3, 0.7, 1, 0, t);
    assert_int_equal(n, 1);
    assert_true(t[0] == 0.5);
}

static void test_ticks_degenerate(void **state)
{
    (void)state;
    double t[64];
    /* lo == hi: the range is expanded around the value */
    int n = plot_ticks(5, 5, 5, 0, t);
    assert_true(n >= 2 && n <= 5);
    int has5 = 0;
    for (int i = 0; i < n; i++)
        has5 |= t[i] == 5;
    assert_true(has5);
    n = plot_ticks(0, 0, 5, 0, t);
    assert_true(n >= 2 && n <= 5);
    n = plot_ticks(-2e-7, -2e-7, 4, 0, t);
    assert_true(n >= 1 && n <= 4);
    n = plot_ticks(1e300, 1e300, 4, 0, t);
    assert_true(n >= 1 && n <= 4);
    n = plot_ticks(1, 1 + 1e-15, 4, 0, t); /* below double resolution */
    assert_true(n >= 1 && n <= 4);
    /* huge and tiny ranges */
    check_tick_set(-1e308, 1e308, 5, 0);
    check_tick_set(-DBL_MAX, DBL_MAX, 7, 0);
    check_tick_set(0, DBL_MAX, 3, 0);
    check_tick_set(1e-300, 3e-300, 5, 0);
    check_tick_set(-1e-310, 1e-310, 5, 0);
    check_tick_set(1e15, 1e15 + 100, 6, 0);
    /* nonsense in: nothing out */
    assert_int_equal(plot_ticks(NAN, 1, 5, 0, t), 0);
    assert_int_equal(plot_ticks(0, NAN, 5, 0, t), 0);
    assert_int_equal(plot_ticks(0, INFINITY, 5, 0, t), 0);
    assert_int_equal(plot_ticks(-INFINITY, 0, 5, 1, t), 0);
    assert_int_equal(plot_ticks(0, 1, 0, 0, t), 0);
    assert_int_equal(plot_ticks(0, 1, -3, 0, t), 0);
    assert_int_equal(plot_ticks(0, 1, 5, 0, NULL), 0);
    assert_int_equal(plot_ticks(0, 10, 5, 1, t), 0);  /* log of 0 */
    assert_int_equal(plot_ticks(-5, 10, 5, 1, t), 0); /* log of < 0 */
}

static void test_ticks_log(void **state)
{
    (void)state;
    const double a[] = {1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1};
    expect_ticks(1e-6, 1, 10, 1, a, 7);
    expect_ticks(1, 1e-6, 10, 1, a, 7);
    /* 37 decades, at most 5 ticks: every tenth power */
    const double b[] = {1e-30, 1e-20, 1e-10, 1};
    expect_ticks(1e-36, 1, 5, 1, b, 4);
    const double c[] = {1e-6, 1e-3, 1};
    expect_ticks(1e-6, 1, 3, 1, c, 3);
    /* less than a decade: 1, 2, 5 multiples */
    const double d[] = {2, 5, 10, 20};
    expect_ticks(1.5, 30, 6, 1, d, 4);
    const double e[] = {0.5, 1, 2, 5};
    expect_ticks(0.5, 5, 6, 1, e, 4);
    /* within one 1-2-5 step: linear ticks */
    check_tick_set(3, 4.5, 5, 1);
    /* one value: a decade either side */
    const double f[] = {1, 10, 100};
    expect_ticks(10, 10, 5, 1, f, 3);
    for (int max = 1; max <= 10; max++) {
        check_tick_set(1e-300, 1e300, max, 1);
        check_tick_set(4.9e-324, 1, max, 1);
        check_tick_set(7, 7e5, max, 1);
        check_tick_set(0.2, 0.9, max, 1);
    }
}

static void expect_label(double v, int log, const char *want)
{
    char b[64];
    plot_tick_label(v, log, b, sizeof b);
    if (strcmp(b, want) != 0)
        fail_msg("plot_tick_label(%.17g, %d) = \"%s\", expected \"%s\"", v,
                 log, b, want);
}

static void test_tick_labels(void **state)
{
    (void)state;
    expect_label(0, 0, "0");
    expect_label(-0.0, 0, "0");
    expect_label(0.5, 0, "0.5");
    expect_label(0.1 + 0.2, 0, "0.3");
    expect_label(-2.5, 0, "-2.5");
    expect_label(100, 0, "100");
    expect_label(123456, 0, "123456");
    expect_label(1e6, 0, "1e+06");
    expect_label(2e-5, 0, "2e-05");
    expect_label(1e-4, 0, "0.0001");
    expect_label(1000000.2, 0, "1000000.2"); /* needs more digits */
    expect_label(NAN, 0, "nan");
    expect_label(INFINITY, 0, "inf");
    expect_label(-INFINITY, 0, "-inf");
    /* log axes: "1e-06" style from |exponent| 4 on */
    expect_label(1e-6, 1, "1e-06");
    expect_label(1e-4, 1, "1e-04");
    expect_label(1e-3, 1, "0.001");
    expect_label(1, 1, "1");
    expect_label(1000, 1, "1000");
    expect_label(1e4, 1, "1e+04");
    expect_label(2e-5, 1, "2e-05");
    expect_label(5000, 1, "5000");
    expect_label(0.2, 1, "0.2");
    expect_label(1e-36, 1, "1e-36");
    expect_label(pow(10.0, -30), 1, "1e-30");
    /* a short buffer is truncated, not overrun */
    char b[4];
    plot_tick_label(123456, 0, b, sizeof b);
    assert_string_equal(b, "123");
    plot_tick_label(1, 0, b, 0);
    plot_tick_label(1, 0, NULL, 8);
}

static void test_opts_init(void **state)
{
    (void)state;
    plot_opts o;
    memset(&o, 0x5a, sizeof o);
    plot_opts_init(&o);
    assert_null(o.title);
    assert_null(o.xlabel);
    assert_null(o.ylabel);
    assert_int_equal(o.xlog, 0);
    assert_int_equal(o.ylog, 0);
    assert_true(isnan(o.xmin) && isnan(o.xmax));
    assert_true(isnan(o.ymin) && isnan(o.ymax));
    assert_int_equal(o.legend, 1);
    plot_opts_init(NULL);
}

/* ---- error paths and awkward data --------------------------------------- */

static void expect_range_error(ss_status st, const char *needle)
{
    if (st != SS_ERR_RANGE)
        fail_msg("expected SS_ERR_RANGE, got %d", (int)st);
    const char *msg = ss_last_error()->msg;
    if (!strstr(msg, needle))
        fail_msg("error \"%s\" does not mention \"%s\"", msg, needle);
}

static void expect_ok_at(ss_status st, const canvas *c, int line)
{
    if (st != SS_OK)
        fail_msg("line %d: unexpected error: %s", line,
                 ss_last_error()->msg);
    check_shape(c);
}
#define expect_ok(st, c) expect_ok_at((st), (c), __LINE__)

static void test_too_small(void **state)
{
    (void)state;
    const double x[3] = {1, 2, 3}, y[3] = {3, 1, 2};
    const double z[4] = {1, 2, 3, 4};
    const char *const lab[3] = {"a", "b", "c"};
    plot_series s = {x, y, 3, "s", 0, 0, 0};
    const int sizes[][2] = {{19, 20}, {72, 5}, {1, 1}, {19, 5}};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        canvas *c = canvas_alloc(sizes[i][0], sizes[i][1], 0);
        assert_non_null(c);
        expect_range_error(plot_xy(c, &s, 1, NULL), "too small");
        expect_range_error(
            plot_heatmap(c, z, 2, 2, 0, 1, 0, 1, NULL, NULL), "too small");
        expect_range_error(plot_bars(c, x, lab, 3, NULL), "too small");
        expect_range_error(
            plot_histogram(c, x, 3, 0, NULL, NULL, 0, NULL), "too small");
        canvas_free(c);
    }
    assert_int_equal(plot_xy(NULL, &s, 1, NULL), SS_ERR_RANGE);
    assert_int_equal(plot_bars(NULL, x, lab, 3, NULL), SS_ERR_RANGE);

    /* the smallest canvas works, with every title */
    plot_opts o;
    plot_opts_init(&o);
    o.title = "t";
    o.xlabel = "x label";
    o.ylabel = "y";
    for (int ascii = 0; ascii <= 1; ascii++) {
        canvas *c = canvas_alloc(20, 6, ascii);
        assert_non_null(c);
        expect_ok(plot_xy(c, &s, 1, &o), c);
        expect_ok(plot_heatmap(c, z, 2, 2, 0, 1, 0, 1, NULL, &o), c);
        expect_ok(plot_bars(c, x, lab, 3, &o), c);
        expect_ok(plot_histogram(c, x, 3, 0, NULL, NULL, 0, &o), c);
        canvas_free(c);
    }
    /* titles too long for the canvas are clipped */
    o.title = "a title much longer than twenty cells";
    o.ylabel = "a y label longer than the canvas";
    o.xlabel = "an x label longer than the canvas";
    canvas *c = canvas_alloc(20, 8, 0);
    assert_non_null(c);
    expect_ok(plot_xy(c, &s, 1, &o), c);
    /* long tick labels leave no room */
    const double big[2] = {-1.234567e-300, 1.234567e-300};
    plot_series sb = {big, big, 2, NULL, 0, 0, 0};
    ss_status st = plot_xy(c, &sb, 1, NULL);
    if (st != SS_OK)
        expect_range_error(st, "too small");
    canvas_free(c);
    /* too many bars for the width */
    double many[100];
    for (int i = 0; i < 100; i++)
        many[i] = i;
    c = canvas_alloc(40, 10, 0);
    assert_non_null(c);
    expect_range_error(plot_bars(c, many, NULL, 100, NULL), "narrow");
    canvas_free(c);
}

static void test_nothing_finite(void **state)
{
    (void)state;
    canvas *c = canvas_alloc(40, 12, 0);
    assert_non_null(c);
    const double nan3[3] = {NAN, INFINITY, -INFINITY};
    const double one3[3] = {1, 2, 3}, neg3[3] = {-1, 0, -3};
    plot_series s = {one3, nan3, 3, "s", 0, 0, 0};
    expect_range_error(plot_xy(c, NULL, 0, NULL), "nothing to plot");
    expect_range_error(plot_xy(c, &s, 0, NULL), "nothing to plot");
    expect_range_error(plot_xy(c, &s, 1, NULL), "nothing to plot");
    plot_series sn = {NULL, NULL, 5, "s", 0, 0, 0};
    expect_range_error(plot_xy(c, &sn, 1, NULL), "nothing to plot");
    plot_series s0 = {one3, one3, 0, "s", 0, 0, 0};
    expect_range_error(plot_xy(c, &s0, 1, NULL), "nothing to plot");
    /* log axis without positive values */
    plot_series sl = {one3, neg3, 3, "s", 0, 0, 0};
    plot_opts o;
    plot_opts_init(&o);
    o.ylog = 1;
    expect_range_error(plot_xy(c, &sl, 1, &o), "log");
    /* contradictory or impossible limits */
    plot_series ok = {one3, one3, 3, "s", 0, 0, 0};
    plot_opts_init(&o);
    o.xmin = 2;
    o.xmax = 2;
    expect_range_error(plot_xy(c, &ok, 1, &o), "xmin");
    o.xmin = 3;
    o.xmax = 1;
    expect_range_error(plot_xy(c, &ok, 1, &o), "xmin");
    plot_opts_init(&o);
    o.ylog = 1;
    o.ymin = -1;
    expect_range_error(plot_xy(c, &ok, 1, &o), "positive");

    /* heat maps */
    expect_range_error(plot_heatmap(c, NULL, 2, 2, 0, 1, 0, 1, NULL, NULL),
                       "nothing to plot");
    expect_range_error(plot_heatmap(c, one3, 0, 3, 0, 1, 0, 1, NULL, NULL),
                       "nothing to plot");
    expect_range_error(plot_heatmap(c, one3, 3, 0, 0, 1, 0, 1, NULL, NULL),
                       "nothing to plot");
    {
        const double nan1[3] = {NAN, NAN, NAN};
        expect_range_error(
            plot_heatmap(c, nan1, 3, 1, 0, 1, 0, 1, NULL, NULL),
            "no finite");
        /* only NaN and the floor: drawn, the floor in its own colour */
        assert_int_equal(plot_heatmap(c, nan3, 3, 1, 0, 1, 0, 1, NULL, NULL),
                         SS_OK);
    }
    expect_range_error(
        plot_heatmap(c, one3, 3, 1, 0, NAN, 0, 1, NULL, NULL), "finite");
    expect_range_error(
        plot_heatmap(c, one3, 3, 1, 0, 1, -INFINITY, 1, NULL, NULL),
        "finite");

    /* bars */
    expect_range_error(plot_bars(c, NULL, NULL, 3, NULL), "nothing to plot");
    expect_range_error(plot_bars(c, one3, NULL, 0, NULL), "nothing to plot");
    expect_range_error(plot_bars(c, nan3, NULL, 3, NULL), "no finite");
    plot_opts_init(&o);
    o.ylog = 1;
    expect_range_error(plot_bars(c, neg3, NULL, 3, &o), "positive");

    /* histograms */
    expect_range_error(plot_histogram(c, NULL, 3, 0, NULL, NULL, 0, NULL),
                       "no data");
    expect_range_error(plot_histogram(c, one3, 0, 0, NULL, NULL, 0, NULL),
                       "no data");
    expect_range_error(plot_histogram(c, nan3, 3, 0, NULL, NULL, 0, NULL),
                       "no finite");
    canvas_free(c);
}

static void test_awkward_data(void **state)
{
    (void)state;
    const double cst[4] = {2.5, 2.5, 2.5, 2.5}, zero[4] = {0, 0, 0, 0};
    const double idx[4] = {0, 1, 2, 3};
    const double mixed[6] = {1, NAN, 3, INFINITY, -2, 1e-3};
    const double huge[4] = {-1e308, 1e308, -DBL_MAX, DBL_MAX};
    const double tiny[4] = {1e-310, 2e-310, 3e-310, 4e-320};
    const char *const lab[6] = {"a", NULL, "", "d", "eeeeeeeeeeeeeeee",
                                "f"};
    for (int ascii = 0; ascii <= 1; ascii++) {
        canvas *c = canvas_alloc(40, 12, ascii);
        assert_non_null(c);
        const double *ys[] = {cst, zero, huge, tiny};
        for (size_t k = 0; k < 4; k++) {
            /* constant, huge and tiny data: lines, points, one point */
            plot_series s[3] = {
                {idx, ys[k], 4, "line", 0, 0, 0},
                {ys[k], idx, 4, "points", 1, 1, 0},
                {idx, ys[k], 1, "one", -1, 0, 1},
            };
            expect_ok(plot_xy(c, s, 3, NULL), c);
            expect_ok(plot_xy(c, s + 2, 1, NULL), c);
            expect_ok(plot_heatmap(c, ys[k], 2, 2, 0, 1, 0, 1, NULL, NULL),
                      c);
            expect_ok(plot_bars(c, ys[k], lab, 4, NULL), c);
            /* densities of 1e-310-wide bins overflow: an error */
            ss_status st = plot_histogram(c, ys[k], 4, 0, NULL, NULL, 0, NULL);
            if (ys[k] == tiny)
                expect_range_error(st, "narrow");
            else
                expect_ok(st, c);
            st = plot_histogram(c, ys[k], 4, 3, idx, ys[k], 4, NULL);
            if (ys[k] == tiny)
                expect_range_error(st, "narrow");
            else
                expect_ok(st, c);
        }
        /* NaN and Inf among the values; log axes skip non-positive */
        plot_series m = {idx, mixed, 4, "m", 2, 0, 0};
        plot_series m2 = {mixed, mixed, 6, "m2", 3, 0, 1};
        plot_series ms[2] = {m, m2};
        expect_ok(plot_xy(c, ms, 2, NULL), c);
        plot_opts o;
        plot_opts_init(&o);
        o.xlog = o.ylog = 1;
        expect_ok(plot_xy(c, ms, 2, &o), c);
        expect_ok(plot_bars(c, mixed, lab, 6, NULL), c);
        o.xlog = 0;
        expect_ok(plot_bars(c, mixed, lab, 6, &o), c);
        expect_ok(plot_histogram(c, mixed, 6, 0, mixed, mixed, 6, NULL), c);
        expect_ok(plot_histogram(c, mixed, 6, 1000, NULL, NULL, 0, NULL), c);
        expect_ok(plot_histogram(c, mixed, 1, 0, NULL, NULL, 0, NULL), c);
        /* explicit limits far from the data: everything clipped */
        plot_opts_init(&o);
        o.xmin = 1e6;
        o.xmax = 2e6;
        o.ymin = -1e-9;
        expect_ok(plot_xy(c, ms, 2, &o), c);
        plot_series far = {huge, huge, 4, "far", 0, 0, 1};
        plot_opts_init(&o);
        o.xmin = -1;
        o.xmax = 1;
        o.ymin = -1;
        o.ymax = 1;
        expect_ok(plot_xy(c, &far, 1, &o), c);
        /* one explicit limit beyond all the data */
        plot_opts_init(&o);
        o.xmin = 100;
        expect_ok(plot_xy(c, ms, 2, &o), c);
        /* a heat map with NaN, -inf, +inf and reversed extents */
        const double z[6] = {NAN, -INFINITY, 1, 2, INFINITY, 3};
        const unsigned char mk[6] = {1, 0, 0, 1, 0, 1};
        expect_ok(plot_heatmap(c, z, 3, 2, 1, 0, 5, 5, mk, NULL), c);
        canvas_free(c);
    }
}

/* Heat map cells: NaN blank, -inf at level 0, +inf at the top, the mark
 * drawn in STY_SINGULAR, "-inf" labelling the scale. */
static void test_heatmap_levels(void **state)
{
    (void)state;
    const double z[4] = {-INFINITY, 0, NAN, 1}; /* 2 x 2 */
    const unsigned char mk[4] = {0, 1, 0, 0};
    canvas *c = canvas_alloc(40, 10, 0);
    assert_non_null(c);
    expect_ok(plot_heatmap(c, z, 2, 2, 0, 1, 0, 1, mk, NULL), c);
    int lev0 = 0, top = 0, sing = 0;
    for (int y = 0; y < c->h; y++)
        for (int x = 0; x < c->w; x++) {
            const canvas_cell *k = canvas_at(c, x, y);
            if (k->dots && k->style == STY_SINGULAR)
                sing++;
            if (k->ch == 0x2580 || k->ch == 0x2584 || k->dots) {
                lev0 += k->hi == 0 || k->lo == 0;
                top += k->hi == CANVAS_LEVELS - 1;
            }
        }
    assert_true(lev0 > 0);
    assert_true(top > 0);
    assert_true(sing > 0);
    /* -inf and +inf are at the floor: their own colour (not the ends of
     * the scale, which would call a finite colour "-inf"), its legend
     * entry, no "inf" label */
    int floor_px = 0;
    for (int y = 0; y < c->h; y++)
        for (int x = 0; x < c->w; x++) {
            const canvas_cell *k = canvas_at(c, x, y);
            floor_px += (k->hi == CANVAS_FLOOR) + (k->lo == CANVAS_FLOOR);
        }
    assert_true(floor_px > 4); /* more than the legend's swatch */
    char *s = print_canvas(c);
    assert_null(strstr(s, "inf"));
    assert_non_null(strstr(s, "\u00d7\u00d7 at floor"));
    free(s);
    /* the NaN quadrant (top left) holds no level: look at the area's
     * first row, first column (right of the y axis) */
    int ax = -1;
    for (int x = 0; x < c->w && ax < 0; x++)
        if (canvas_at(c, x, 0)->ch == 0x2524 || canvas_at(c, x, 0)->ch == 0x2502)
            ax = x + 1;
    assert_true(ax > 0);
    assert_int_equal(canvas_at(c, ax, 0)->hi, CANVAS_NO_LEVEL);
    assert_int_equal(canvas_at(c, ax, 0)->lo, CANVAS_NO_LEVEL);
    canvas_free(c);
}


/* A singular set one grid cell thin stays a continuous curve when the grid
 * is much finer than the canvas: the diagonal of a 200 x 200 map marks
 * every row of the area (issue 7: 10 of 18 rows before), and a horizontal
 * set on the middle row of an 81 x 81 grid (which no pixel samples) is
 * drawn across the whole width. */
static void test_singular_curves(void **state)
{
    (void)state;
    size_t n = 200;
    double *z = malloc(n * n * sizeof *z);
    unsigned char *mk = calloc(n * n, 1);
    assert_non_null(z);
    assert_non_null(mk);
    for (size_t j = 0; j < n; j++)
        for (size_t i = 0; i < n; i++) {
            z[j * n + i] = (double)i - (double)j;
            mk[j * n + i] = i == j;
        }
    canvas *c = canvas_alloc(60, 18, 0);
    assert_non_null(c);
    plot_opts o;
    plot_opts_init(&o);
    expect_ok(plot_heatmap(c, z, n, n, -1, 1, -1, 1, mk, &o), c);
    /* the area: rows whose first column right of the axis holds a level */
    int rows = 0, marked = 0;
    for (int y = 0; y < c->h; y++) {
        int any_level = 0, sing = 0;
        for (int x = 0; x < 50; x++) {
            const canvas_cell *k = canvas_at(c, x, y);
            any_level |= k->hi < CANVAS_LEVELS || k->lo < CANVAS_LEVELS;
            sing |= k->dots && k->style == STY_SINGULAR;
        }
        rows += any_level;
        marked += any_level && sing;
    }
    assert_true(rows >= 12);
    assert_int_equal(marked, rows);

    size_t m = 81;
    memset(mk, 0, n * n);
    for (size_t i = 0; i < m; i++)
        mk[40 * m + i] = 1; /* y = 0 on -2..2 */
    expect_ok(plot_heatmap(c, z, m, m, -2, 2, -2, 2, mk, &o), c);
    int best = 0;
    for (int y = 0; y < c->h; y++) {
        int cnt = 0;
        for (int x = 0; x < c->w; x++) {
            const canvas_cell *k = canvas_at(c, x, y);
            cnt += k->dots && k->style == STY_SINGULAR;
        }
        best = cnt > best ? cnt : best;
    }
    assert_true(best >= 40); /* the area is about 45 columns wide */
    canvas_free(c);
    free(z);
    free(mk);
}

/* The colour scale carries nice ticks (short labels inside the range)
 * and range= clips values to the end colours. */
static void test_heat_scale(void **state)
{
    (void)state;
    double z[6] = {0.123456789, 17.3, 33.3, 50, 71.1, 99.87654321};
    canvas *c = canvas_alloc(50, 16, 1);
    assert_non_null(c);
    plot_opts o;
    plot_opts_init(&o);
    expect_ok(plot_heatmap(c, z, 6, 1, 0, 1, 0, 1, NULL, &o), c);
    char *s = print_canvas(c);
    assert_null(strstr(s, "99.8765")); /* no raw ends with 10 digits */
    assert_null(strstr(s, "0.1234"));
    assert_non_null(strstr(s, " 20\n"));
    assert_non_null(strstr(s, " 80\n"));
    free(s);
    /* range: everything above 10 in the top colour */
    o.zmin = 0;
    o.zmax = 10;
    expect_ok(plot_heatmap(c, z, 6, 1, 0, 1, 0, 1, NULL, &o), c);
    int top = 0;
    for (int x = 0; x < c->w; x++)
        top += canvas_at(c, x, 8)->lo == CANVAS_LEVELS - 1;
    assert_true(top >= 30); /* 5 of the 6 columns of the area */
    o.zmin = 5;
    o.zmax = 5;
    expect_range_error(plot_heatmap(c, z, 6, 1, 0, 1, 0, 1, NULL, &o),
                       "empty");
    canvas_free(c);
}

/* A matrix: row 0 at the top, labelled by name; a signed matrix on the
 * diverging palette, symmetric about 0, negative entries with their own
 * glyphs in text. */
static void test_matrix(void **state)
{
    (void)state;
    const double a[4] = {4, -4, -4, 1};
    const char *names[2] = {"alpha", "beta"};
    canvas *c = canvas_alloc(40, 10, 0);
    assert_non_null(c);
    expect_ok(plot_matrix(c, a, 2, 2, names, names, NULL), c);
    assert_int_equal(c->palette, CANVAS_PAL_COOLWARM);
    int ra = -1, rb = -1;
    for (int y = 0; y < c->h; y++) {
        if (canvas_at(c, 0, y)->ch == 'a')
            ra = y;
        if (canvas_at(c, 1, y)->ch == 'b')
            rb = y;
    }
    assert_true(ra >= 0 && rb > ra); /* alpha above beta */
    /* the first block of alpha's row: +4, the top level; right of it -4,
     * the bottom level */
    const canvas_cell *k = canvas_at(c, 6, ra);
    assert_int_equal(k->hi, CANVAS_LEVELS - 1);
    int x = 6;
    while (x < c->w && canvas_at(c, x, ra)->hi == CANVAS_LEVELS - 1)
        x++;
    while (x < c->w && canvas_at(c, x, ra)->hi == CANVAS_NO_LEVEL)
        x++;
    assert_int_equal(canvas_at(c, x, ra)->hi, 0);
    char *s = print_canvas(c);
    assert_non_null(strstr(s, "\u25cf")); /* ● strong negative */
    assert_non_null(strstr(s, "\u2588")); /* █ strong positive */
    free(s);
    /* unsigned: the sequential default */
    const double b[4] = {4, 1, 1, 2};
    expect_ok(plot_matrix(c, b, 2, 2, names, names, NULL), c);
    assert_int_equal(c->palette, CANVAS_PAL_VIRIDIS);
    canvas_free(c);
}

static int dots_drawn(const canvas *c, int st)
{
    int n = 0;
    for (int y = 0; y < c->h; y++)
        for (int x = 0; x < c->w; x++) {
            const canvas_cell *k = canvas_at(c, x, y);
            if (k->dots && k->style == st)
                n += __builtin_popcount(k->dots);
        }
    return n;
}

/* Series differ without colour: the same curve as series 1 (solid) and
 * series 2 (dotted) draws about twice as many dots, and the legend
 * samples differ. */
static void test_series_patterns(void **state)
{
    (void)state;
    double x[2] = {0, 1}, y[2] = {0, 1};
    size_t counts[3];
    for (int st = 0; st < 3; st++) {
        canvas *c = canvas_alloc(50, 16, 0);
        assert_non_null(c);
        plot_series s = {x, y, 2, NULL, st, 0, 0};
        expect_ok(plot_xy(c, &s, 1, NULL), c);
        counts[st] = (size_t)dots_drawn(c, STY_SERIES1 + st);
        canvas_free(c);
    }
    assert_true(counts[0] > 0);
    assert_true(counts[1] * 2 >= counts[0] - 1 &&
                counts[1] * 2 <= counts[0] + 1);
    assert_true(counts[2] < counts[0] && counts[2] > counts[1]);
    /* legend samples */
    canvas *c = canvas_alloc(50, 16, 0);
    plot_series s2[2] = {{x, y, 2, "one", 0, 0, 0}, {x, y, 2, "two", 1, 0, 0}};
    expect_ok(plot_xy(c, s2, 2, NULL), c);
    char *txt = print_canvas(c);
    assert_non_null(strstr(txt, "\u2812\u2812\u2812\u2812 one"));
    assert_non_null(strstr(txt, "\u2802\u2802\u2802\u2802 two"));
    free(txt);
    canvas_free(c);
}

/* No legend without labels or with legend = 0. */
static void test_legend_switch(void **state)
{
    (void)state;
    const double x[3] = {1, 2, 3}, y[3] = {3, 1, 2};
    canvas *c = canvas_alloc(40, 12, 0);
    assert_non_null(c);
    plot_series s = {x, y, 3, NULL, 0, 0, 0};
    expect_ok(plot_xy(c, &s, 1, NULL), c);
    char *p = print_canvas(c);
    assert_null(strstr(p, "\xe2\x94\x8c")); /* ┌ */
    free(p);
    s.label = "lbl";
    expect_ok(plot_xy(c, &s, 1, NULL), c);
    p = print_canvas(c);
    assert_non_null(strstr(p, "\xe2\x94\x8c"));
    assert_non_null(strstr(p, "lbl"));
    free(p);
    plot_opts o;
    plot_opts_init(&o);
    o.legend = 0;
    expect_ok(plot_xy(c, &s, 1, &o), c);
    p = print_canvas(c);
    assert_null(strstr(p, "lbl"));
    free(p);
    canvas_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_lines),
        cmocka_unit_test(test_golden_loglog),
        cmocka_unit_test(test_golden_scatter),
        cmocka_unit_test(test_golden_heatmap),
        cmocka_unit_test(test_golden_bars),
        cmocka_unit_test(test_golden_bars_log),
        cmocka_unit_test(test_golden_histogram),
        cmocka_unit_test(test_ticks_linear),
        cmocka_unit_test(test_ticks_degenerate),
        cmocka_unit_test(test_ticks_log),
        cmocka_unit_test(test_tick_labels),
        cmocka_unit_test(test_opts_init),
        cmocka_unit_test(test_too_small),
        cmocka_unit_test(test_nothing_finite),
        cmocka_unit_test(test_awkward_data),
        cmocka_unit_test(test_heatmap_levels),
        cmocka_unit_test(test_legend_switch),
        cmocka_unit_test(test_singular_curves),
        cmocka_unit_test(test_heat_scale),
        cmocka_unit_test(test_matrix),
        cmocka_unit_test(test_series_patterns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* canvas_*: cells, braille dots, half-block levels, text, lines, printing
 * (src/plot/canvas.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/sink.h"
#include "plot/canvas.h"
#include "plot/palette.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BRAILLE 0x2800u
#define NOLEV CANVAS_NO_LEVEL

/* ---- helpers ------------------------------------------------------------ */

static char *printed(const canvas *c)
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

static void expect_print(const canvas *c, const char *want)
{
    char *got = printed(c);
    if (strcmp(got, want) != 0)
        fail_msg("printed canvas differs.\n--- got:\n%s--- expected:\n%s---",
                 got, want);
    free(got);
}

static const canvas_cell *at(const canvas *c, int x, int y)
{
    const canvas_cell *k = canvas_at(c, x, y);
    assert_non_null(k);
    return k;
}

/* Cells of the whole canvas holding dots. */
static int dotted_cells(const canvas *c)
{
    int n = 0;
    for (int y = 0; y < c->h; y++)
        for (int x = 0; x < c->w; x++)
            n += at(c, x, y)->dots != 0;
    return n;
}

/* ---- allocation ---------------------------------------------------------- */

static void test_alloc(void **state)
{
    (void)state;
    assert_null(canvas_alloc(0, 5, 0));
    assert_null(canvas_alloc(5, 0, 0));
    assert_null(canvas_alloc(-3, 4, 0));
    assert_null(canvas_alloc(INT_MAX, INT_MAX, 0));
    canvas_free(NULL);
    canvas_clear(NULL);

    canvas *c = canvas_alloc(7, 3, 1);
    assert_non_null(c);
    assert_int_equal(c->w, 7);
    assert_int_equal(c->h, 3);
    assert_int_equal(c->ascii, 1);
    for (int y = 0; y < 3; y++)
        for (int x = 0; x < 7; x++) {
            const canvas_cell *k = at(c, x, y);
            assert_int_equal(k->ch, 0);
            assert_int_equal(k->dots, 0);
            assert_int_equal(k->hi, NOLEV);
            assert_int_equal(k->lo, NOLEV);
        }
    assert_null(canvas_at(c, -1, 0));
    assert_null(canvas_at(c, 7, 0));
    assert_null(canvas_at(c, 0, 3));
    assert_null(canvas_at(c, 0, -1));
    expect_print(c, "\n\n\n");
    canvas_free(c);
}

/* ---- braille ------------------------------------------------------------- */

static void test_braille_bits(void **state)
{
    (void)state;
    /* dots 1,2,3,7 down the left column, 4,5,6,8 down the right */
    static const uint8_t want[4][2] = {
        {0x01, 0x08}, {0x02, 0x10}, {0x04, 0x20}, {0x40, 0x80}};
    canvas *c = canvas_alloc(3, 2, 0);
    assert_non_null(c);
    for (int row = 0; row < 4; row++)
        for (int col = 0; col < 2; col++) {
            canvas_clear(c);
            /* in cell (1, 1): dot (2 + col, 4 + row) */
            canvas_dot(c, 2 + col, 4 + row, STY_SERIES1);
            const canvas_cell *k = at(c, 1, 1);
            assert_int_equal(k->dots, want[row][col]);
            assert_int_equal(k->ch, BRAILLE + want[row][col]);
            assert_int_equal(canvas_glyph(c, k), BRAILLE + want[row][col]);
            assert_int_equal(dotted_cells(c), 1);
        }
    /* composition: all eight dots give U+28FF */
    canvas_clear(c);
    for (int row = 0; row < 4; row++)
        for (int col = 0; col < 2; col++)
            canvas_dot(c, col, row, STY_SERIES1);
    assert_int_equal(at(c, 0, 0)->dots, 0xff);
    assert_int_equal(at(c, 0, 0)->ch, 0x28ff);
    /* a dot drawn twice changes nothing */
    canvas_clear(c);
    canvas_dot(c, 0, 1, STY_SERIES1);
    canvas_dot(c, 0, 1, STY_SERIES1);
    canvas_dot(c, 1, 3, STY_SERIES1);
    assert_int_equal(at(c, 0, 0)->dots, 0x02 | 0x80);
    expect_print(c, "\xe2\xa2\x82\n\n"); /* U+2882 */
    canvas_free(c);
}

static void test_dot_style_last(void **state)
{
    (void)state;
    canvas *c = canvas_alloc(2, 1, 0);
    assert_non_null(c);
    canvas_dot(c, 0, 0, STY_SERIES1);
    assert_int_equal(at(c, 0, 0)->style, STY_SERIES1);
    canvas_dot(c, 1, 2, STY_FIT);
    assert_int_equal(at(c, 0, 0)->style, STY_FIT);
    assert_int_equal(at(c, 0, 0)->dots, 0x01 | 0x20);
    canvas_free(c);
}

static void test_text_dot_replacement(void **state)
{
    (void)state;
    canvas *c = canvas_alloc(4, 1, 0);
    assert_non_null(c);
    canvas_put(c, 1, 0, 'A', STY_LABEL);
    assert_int_equal(at(c, 1, 0)->ch, 'A');
    assert_int_equal(at(c, 1, 0)->style, STY_LABEL);
    /* a dot replaces the text */
    canvas_dot(c, 3, 0, STY_SERIES1 + 1);
    assert_int_equal(at(c, 1, 0)->dots, 0x08);
    assert_int_equal(at(c, 1, 0)->ch, BRAILLE + 0x08);
    assert_int_equal(at(c, 1, 0)->style, STY_SERIES1 + 1);
    /* text replaces the dots */
    canvas_put(c, 1, 0, 'B', STY_AXIS);
    assert_int_equal(at(c, 1, 0)->dots, 0);
    assert_int_equal(at(c, 1, 0)->ch, 'B');
    assert_int_equal(at(c, 1, 0)->style, STY_AXIS);
    /* and a new dot starts from an empty pattern */
    canvas_dot(c, 2, 3, STY_SERIES1);
    assert_int_equal(at(c, 1, 0)->dots, 0x40);
    /* putting 0 blanks a cell */
    canvas_put(c, 1, 0, 0, STY_AXIS);
    assert_int_equal(at(c, 1, 0)->ch, 0);
    assert_int_equal(at(c, 1, 0)->dots, 0);
    expect_print(c, "\n");
    canvas_free(c);
}

/* ---- half blocks --------------------------------------------------------- */

static void test_levels(void **state)
{
    (void)state;
    canvas *c = canvas_alloc(4, 2, 0);
    assert_non_null(c);
    canvas_level(c, 0, 0, 5); /* upper half of cell (0, 0) */
    const canvas_cell *k = at(c, 0, 0);
    assert_int_equal(k->hi, 5);
    assert_int_equal(k->lo, NOLEV);
    assert_int_equal(k->ch, 0x2580);
    canvas_level(c, 1, 3, 9); /* lower half of cell (1, 1) */
    k = at(c, 1, 1);
    assert_int_equal(k->hi, NOLEV);
    assert_int_equal(k->lo, 9);
    assert_int_equal(k->ch, 0x2584);
    canvas_level(c, 0, 1, 12); /* both halves: '▀' fg upper, bg lower */
    k = at(c, 0, 0);
    assert_int_equal(k->hi, 5);
    assert_int_equal(k->lo, 12);
    assert_int_equal(k->ch, 0x2580);
    /* text output: a shade of the mean level (5, 12 -> 9: '▓') */
    assert_int_equal(canvas_glyph(c, k), 0x2593);
    /* every level is visible and the ramp is monotone */
    uint32_t prev = 0;
    static const uint32_t ramp[] = {0x2591, 0x2592, 0x2593, 0x2588};
    for (int lev = 0; lev < CANVAS_LEVELS; lev++) {
        canvas_level(c, 2, 0, lev);
        uint32_t g = canvas_glyph(c, at(c, 2, 0));
        size_t idx = 0;
        while (idx < 4 && ramp[idx] != g)
            idx++;
        assert_true(idx < 4);
        assert_true(idx >= prev);
        prev = (uint32_t)idx;
    }
    assert_int_equal(canvas_glyph(c, at(c, 2, 0)), 0x2588);
    canvas_level(c, 2, 0, 0);
    assert_int_equal(canvas_glyph(c, at(c, 2, 0)), 0x2591);
    /* clamping and clearing */
    canvas_level(c, 3, 0, -7);
    assert_int_equal(at(c, 3, 0)->hi, 0);
    canvas_level(c, 3, 0, 99);
    assert_int_equal(at(c, 3, 0)->hi, CANVAS_LEVELS - 1);
    canvas_level(c, 3, 0, CANVAS_NO_LEVEL);
    assert_int_equal(at(c, 3, 0)->hi, NOLEV);
    assert_int_equal(at(c, 3, 0)->ch, 0);
    /* out of range: ignored */
    canvas_level(c, -1, 0, 3);
    canvas_level(c, 4, 0, 3);
    canvas_level(c, 0, 4, 3);
    canvas_level(c, 0, -1, 3);
    canvas_level(c, INT_MAX, INT_MAX, 3);
    canvas_level(c, INT_MIN, INT_MIN, 3);
    /* "▓ ░" / " ▓" (level 9 alone in cell (1, 1)) */
    expect_print(c, "\xe2\x96\x93 \xe2\x96\x91\n \xe2\x96\x93\n");
    canvas_free(c);
}

static void test_levels_ascii(void **state)
{
    (void)state;
    static const char ramp[] = ".:-=+*#%@";
    canvas *c = canvas_alloc(CANVAS_LEVELS, 1, 1);
    assert_non_null(c);
    char want[CANVAS_LEVELS + 2];
    int prev = 0;
    for (int lev = 0; lev < CANVAS_LEVELS; lev++) {
        canvas_level(c, lev, 0, lev);
        canvas_level(c, lev, 1, lev);
        uint32_t g = canvas_glyph(c, at(c, lev, 0));
        const char *p = strchr(ramp, (int)g);
        assert_non_null(p);
        assert_true(p - ramp >= prev);
        prev = (int)(p - ramp);
        want[lev] = (char)g;
        assert_int_equal(at(c, lev, 0)->ch, g); /* ASCII: ch is the shade */
    }
    want[CANVAS_LEVELS] = '\n';
    want[CANVAS_LEVELS + 1] = 0;
    assert_int_equal(want[0], '.');
    assert_int_equal(want[CANVAS_LEVELS - 1], '@');
    expect_print(c, want);
    canvas_free(c);
}

static void test_levels_and_dots(void **state)
{
    (void)state;
    canvas *c = canvas_alloc(2, 1, 0);
    assert_non_null(c);
    canvas_level(c, 0, 0, 4);
    canvas_level(c, 0, 1, 11);
    /* a dot over levels keeps them (the TUI colours the background) and
     * shows the dot */
    canvas_dot(c, 0, 3, STY_SINGULAR);
    const canvas_cell *k = at(c, 0, 0);
    assert_int_equal(k->hi, 4);
    assert_int_equal(k->lo, 11);
    assert_int_equal(k->dots, 0x40);
    assert_int_equal(canvas_glyph(c, k), BRAILLE + 0x40);
    assert_int_equal(k->style, STY_SINGULAR);
    /* text replaces dots and levels */
    canvas_put(c, 0, 0, 'z', STY_LABEL);
    assert_int_equal(k->hi, NOLEV);
    assert_int_equal(k->lo, NOLEV);
    assert_int_equal(k->dots, 0);
    /* a level replaces text */
    canvas_put(c, 1, 0, 'q', STY_LABEL);
    canvas_level(c, 1, 1, 2);
    assert_int_equal(at(c, 1, 0)->ch, 0x2584);
    assert_int_equal(at(c, 1, 0)->lo, 2);
    canvas_free(c);
}

/* ---- clipping and lines -------------------------------------------------- */

static void test_dot_clipping(void **state)
{
    (void)state;
    canvas *c = canvas_alloc(3, 2, 0);
    assert_non_null(c);
    const int bad[][2] = {{-1, 0}, {0, -1}, {6, 0}, {0, 8}, {INT_MAX, 0},
                          {0, INT_MAX}, {INT_MIN, INT_MIN}, {-2, -4}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        canvas_dot(c, bad[i][0], bad[i][1], STY_SERIES1);
    canvas_put(c, -1, 0, 'x', STY_LABEL);
    canvas_put(c, 3, 0, 'x', STY_LABEL);
    canvas_put(c, 0, 2, 'x', STY_LABEL);
    canvas_put(c, INT_MIN, INT_MAX, 'x', STY_LABEL);
    assert_int_equal(dotted_cells(c), 0);
    expect_print(c, "\n\n");
    /* the last dot inside */
    canvas_dot(c, 5, 7, STY_SERIES1);
    assert_int_equal(at(c, 2, 1)->dots, 0x80);
    canvas_free(c);
}

static void test_line_exact(void **state)
{
    (void)state;
    canvas *c = canvas_alloc(4, 2, 0);
    assert_non_null(c);
    /* a diagonal: (0,0) (1,1) in cell 0, (2,2) (3,3) in cell 1 */
    canvas_line(c, 0, 0, 3, 3, STY_SERIES1);
    assert_int_equal(at(c, 0, 0)->dots, 0x01 | 0x10);
    assert_int_equal(at(c, 1, 0)->dots, 0x04 | 0x80);
    assert_int_equal(dotted_cells(c), 2);
    /* reversed direction gives the same dots */
    canvas_clear(c);
    canvas_line(c, 3, 3, 0, 0, STY_SERIES1);
    assert_int_equal(at(c, 0, 0)->dots, 0x01 | 0x10);
    assert_int_equal(at(c, 1, 0)->dots, 0x04 | 0x80);
    /* horizontal across the whole canvas on dot row 1: '⠒' everywhere */
    canvas_clear(c);
    canvas_line(c, 0, 1, 7, 1, STY_SERIES1);
    for (int x = 0; x < 4; x++)
        assert_int_equal(at(c, x, 0)->dots, 0x12);
    /* vertical in the right column of cell (3, *) */
    canvas_clear(c);
    canvas_line(c, 7, 0, 7, 7, STY_SERIES1);
    assert_int_equal(at(c, 3, 0)->dots, 0x08 | 0x10 | 0x20 | 0x80);
    assert_int_equal(at(c, 3, 1)->dots, 0xb8);
    /* a single point */
    canvas_clear(c);
    canvas_line(c, 2, 5, 2, 5, STY_SERIES1);
    assert_int_equal(at(c, 1, 1)->dots, 0x02);
    assert_int_equal(dotted_cells(c), 1);
    canvas_free(c);
}

static void test_line_clipping(void **state)
{
    (void)state;
    canvas *c = canvas_alloc(5, 3, 0);
    assert_non_null(c);
    /* huge endpoints, horizontal: the whole dot row 1 */
    canvas_line(c, INT_MIN, 1, INT_MAX, 1, STY_SERIES1);
    for (int x = 0; x < 5; x++)
        assert_int_equal(at(c, x, 0)->dots, 0x12);
    assert_int_equal(dotted_cells(c), 5);
    /* vertical from far above to far below in dot column 0 */
    canvas_clear(c);
    canvas_line(c, 0, INT_MIN, 0, INT_MAX, STY_SERIES1);
    for (int y = 0; y < 3; y++)
        assert_int_equal(at(c, 0, y)->dots, 0x47);
    assert_int_equal(dotted_cells(c), 3);
    /* diagonal from corner to corner at huge distance: crosses the
     * canvas, every dot inside */
    canvas_clear(c);
    canvas_line(c, -1000000, -1000000, 1000000, 1000000, STY_SERIES1);
    assert_true(dotted_cells(c) >= 3);
    assert_int_not_equal(at(c, 0, 0)->dots & 0x01, 0);
    /* entirely outside: nothing */
    canvas_clear(c);
    canvas_line(c, -50, -50, -1, 100, STY_SERIES1);
    canvas_line(c, 10, -5, 100, -1, STY_SERIES1);
    canvas_line(c, INT_MIN, INT_MIN, INT_MIN, INT_MAX, STY_SERIES1);
    canvas_line(c, INT_MAX, INT_MAX, INT_MAX, INT_MAX, STY_SERIES1);
    canvas_line(c, INT_MIN, 0, -1, INT_MAX, STY_SERIES1);
    assert_int_equal(dotted_cells(c), 0);
    /* the anti-diagonal x + y = 0 touches the canvas at (0, 0) only */
    canvas_line(c, INT_MIN, INT_MAX, INT_MAX, INT_MIN, STY_SERIES1);
    assert_true(dotted_cells(c) <= 1);
    /* the last dot */
    canvas_clear(c);
    canvas_line(c, 9, 11, 9, 11, STY_SERIES1);
    assert_int_equal(at(c, 4, 2)->dots, 0x80);
    assert_int_equal(dotted_cells(c), 1);
    canvas_line(NULL, 0, 0, 1, 1, STY_SERIES1);
    canvas_dot(NULL, 0, 0, STY_SERIES1);
    canvas_level(NULL, 0, 0, 1);
    canvas_put(NULL, 0, 0, 'a', STY_LABEL);
    assert_int_equal(canvas_text(NULL, 0, 0, "a", STY_LABEL), 0);
    canvas_free(c);
}

/* ---- text ---------------------------------------------------------------- */

static void test_text_utf8(void **state)
{
    (void)state;
    canvas *c = canvas_alloc(8, 2, 0);
    assert_non_null(c);
    /* "é→█x": 2-, 3-, 3- and 1-byte code points, one cell each */
    int n = canvas_text(c, 1, 0, "\xc3\xa9\xe2\x86\x92\xe2\x96\x88x",
                        STY_LABEL);
    assert_int_equal(n, 4);
    assert_int_equal(at(c, 1, 0)->ch, 0xe9);
    assert_int_equal(at(c, 2, 0)->ch, 0x2192);
    assert_int_equal(at(c, 3, 0)->ch, 0x2588);
    assert_int_equal(at(c, 4, 0)->ch, 'x');
    assert_int_equal(at(c, 4, 0)->style, STY_LABEL);
    /* a 4-byte code point */
    n = canvas_text(c, 6, 0, "\xf0\x9f\x98\x80", STY_LABEL);
    assert_int_equal(n, 1);
    assert_int_equal(at(c, 6, 0)->ch, 0x1f600);
    expect_print(c, " \xc3\xa9\xe2\x86\x92\xe2\x96\x88x \xf0\x9f\x98\x80\n\n");

    /* clipped at the right edge: cells used */
    canvas_clear(c);
    n = canvas_text(c, 5, 1, "abcdef", STY_LABEL);
    assert_int_equal(n, 3);
    expect_print(c, "\n     abc\n");
    /* starting left of the canvas: the visible part */
    canvas_clear(c);
    n = canvas_text(c, -2, 0, "abcd", STY_LABEL);
    assert_int_equal(n, 2);
    assert_int_equal(at(c, 0, 0)->ch, 'c');
    assert_int_equal(at(c, 1, 0)->ch, 'd');
    n = canvas_text(c, INT_MIN, 0, "abcd", STY_LABEL);
    assert_int_equal(n, 0);
    n = canvas_text(c, INT_MAX, 0, "abcd", STY_LABEL);
    assert_int_equal(n, 0);
    n = canvas_text(c, 0, 2, "abcd", STY_LABEL);
    assert_int_equal(n, 0);
    n = canvas_text(c, 0, -1, "abcd", STY_LABEL);
    assert_int_equal(n, 0);
    n = canvas_text(c, 0, 0, "", STY_LABEL);
    assert_int_equal(n, 0);
    n = canvas_text(c, 0, 0, NULL, STY_LABEL);
    assert_int_equal(n, 0);
    canvas_free(c);
}

static void test_text_invalid(void **state)
{
    (void)state;
    canvas *c = canvas_alloc(16, 1, 0);
    assert_non_null(c);
    struct {
        const char *in;
        const char *out;
    } cases[] = {
        {"a\xff" "b", "a?b"},             /* invalid byte */
        {"\x80x", "?x"},                  /* stray continuation */
        {"\xe2\x82", "??"},               /* truncated at the end */
        {"\xe2\x82z", "??z"},             /* truncated before ASCII */
        {"\xc0\xaf", "??"},               /* overlong '/' */
        {"\xe0\x80\xaf", "???"},          /* overlong, 3 bytes */
        {"\xed\xa0\x80", "???"},          /* surrogate U+D800 */
        {"\xf4\x90\x80\x80", "????"},     /* above U+10FFFF */
        {"\xf5\x80", "??"},               /* never valid lead */
        {"t\tn\n", "t?n?"},               /* controls */
        {"\xc2\x85!", "?!"},              /* C1 control */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        canvas_clear(c);
        int n = canvas_text(c, 0, 0, cases[i].in, STY_LABEL);
        assert_int_equal(n, (int)strlen(cases[i].out));
        char want[32];
        snprintf(want, sizeof want, "%s\n", cases[i].out);
        expect_print(c, want);
    }
    canvas_free(c);
}

/* ---- printing ------------------------------------------------------------ */

static void test_print_trim(void **state)
{
    (void)state;
    canvas *c = canvas_alloc(6, 3, 0);
    assert_non_null(c);
    canvas_text(c, 1, 0, "ab", STY_LABEL);
    canvas_put(c, 5, 0, ' ', STY_LABEL); /* a space is trimmed too */
    canvas_put(c, 4, 2, 'z', STY_LABEL);
    canvas_dot(c, 0, 4, STY_SERIES1);
    canvas_put(c, 2, 1, ' ', STY_LABEL);
    expect_print(c, " ab\n\xe2\xa0\x81\n    z\n");
    canvas_free(c);
}

static void test_print_ascii(void **state)
{
    (void)state;
    canvas *c = canvas_alloc(12, 3, 1);
    assert_non_null(c);
    /* dots: one character per style */
    static const char ser[] = "*+ox#@%&";
    for (int i = 0; i < 8; i++)
        canvas_dot(c, 2 * i, 0, (canvas_style)(STY_SERIES1 + i));
    canvas_dot(c, 16, 0, STY_FIT);
    canvas_dot(c, 18, 0, STY_SINGULAR);
    canvas_dot(c, 20, 0, STY_HIGHLIGHT);
    for (int i = 0; i < 8; i++) {
        assert_int_equal(canvas_glyph(c, at(c, i, 0)), (uint32_t)ser[i]);
        assert_int_equal(at(c, i, 0)->ch, (uint32_t)ser[i]);
    }
    assert_int_equal(canvas_glyph(c, at(c, 8, 0)), '.');
    assert_int_equal(canvas_glyph(c, at(c, 9, 0)), '!');
    assert_int_equal(canvas_glyph(c, at(c, 10, 0)), '*');
    /* text above 127: box drawing, braille, others */
    canvas_text(c, 0, 1,
                "\xe2\x94\x80\xe2\x94\x82\xe2\x94\x94\xe2\x94\xac"
                "\xe2\x94\xa4\xe2\x95\x90\xe2\x95\x91\xe2\x94\xbc",
                STY_AXIS); /* ─│└┬┤═║┼ */
    canvas_put(c, 8, 1, 0x2812, STY_SERIES1 + 2); /* braille as text */
    canvas_put(c, 9, 1, 0xe9, STY_LABEL);         /* é */
    canvas_put(c, 10, 1, 0x2588, STY_SERIES1);    /* █ */
    canvas_put(c, 11, 1, 0x1f600, STY_LABEL);
    canvas_text(c, 0, 2, "plain ascii", STY_LABEL);
    expect_print(c, "*+ox#@%&.!*\n-|+++-|+o?#?\nplain ascii\n");
    /* the same cells in UTF-8 */
    c->ascii = 0;
    char *s = printed(c);
    assert_non_null(strstr(s, "\xe2\x94\x80\xe2\x94\x82\xe2\x94\x94"));
    assert_non_null(strstr(s, "\xc3\xa9"));
    free(s);
    canvas_free(c);
}

static void test_utf8_encode(void **state)
{
    (void)state;
    char b[5];
    assert_int_equal(canvas_utf8('A', b), 1);
    assert_string_equal(b, "A");
    assert_int_equal(canvas_utf8(0xe9, b), 2);
    assert_string_equal(b, "\xc3\xa9");
    assert_int_equal(canvas_utf8(0x7ff, b), 2);
    assert_string_equal(b, "\xdf\xbf");
    assert_int_equal(canvas_utf8(0x800, b), 3);
    assert_string_equal(b, "\xe0\xa0\x80");
    assert_int_equal(canvas_utf8(0x28ff, b), 3);
    assert_string_equal(b, "\xe2\xa3\xbf");
    assert_int_equal(canvas_utf8(0xffff, b), 3);
    assert_string_equal(b, "\xef\xbf\xbf");
    assert_int_equal(canvas_utf8(0x10000, b), 4);
    assert_string_equal(b, "\xf0\x90\x80\x80");
    assert_int_equal(canvas_utf8(0x10ffff, b), 4);
    assert_string_equal(b, "\xf4\x8f\xbf\xbf");
    /* not encodable: U+FFFD */
    assert_int_equal(canvas_utf8(0x110000, b), 3);
    assert_string_equal(b, "\xef\xbf\xbd");
    assert_int_equal(canvas_utf8(0xd800, b), 3);
    assert_string_equal(b, "\xef\xbf\xbd");
}

static void test_glyph_blank(void **state)
{
    (void)state;
    canvas *c = canvas_alloc(2, 1, 0);
    assert_non_null(c);
    assert_int_equal(canvas_glyph(c, at(c, 0, 0)), ' ');
    assert_int_equal(canvas_glyph(c, NULL), ' ');
    canvas_put(c, 0, 0, 0x07, STY_LABEL); /* a control put directly */
    assert_int_equal(canvas_glyph(c, at(c, 0, 0)), '?');
    canvas_free(c);
}


static char *ansi_of(const canvas *c, int depth)
{
    ss_membuf m = {0};
    ss_sink k = ss_sink_mem(&m);
    canvas_print_ansi(c, &k, depth);
    return m.buf;
}

/* Coloured text for a terminal (the line REPL): heat pixels as '▀' in
 * their level's colours, series in their colour, the floor in its own;
 * without a colour depth exactly canvas_print. */
static void test_print_ansi(void **state)
{
    (void)state;
    canvas *c = canvas_alloc(4, 1, 0);
    assert_non_null(c);
    canvas_level(c, 0, 0, 3);
    canvas_level(c, 0, 1, 12);
    canvas_level(c, 1, 0, CANVAS_FLOOR);
    canvas_dot(c, 4, 0, STY_SERIES1 + 1);
    char *s = ansi_of(c, 256);
    assert_non_null(s);
    char want[64];
    snprintf(want, sizeof want, "\033[0;38;5;%d;48;5;%dm\u2580",
             palette_heat(CANVAS_PAL_VIRIDIS, 3, 256),
             palette_heat(CANVAS_PAL_VIRIDIS, 12, 256));
    assert_non_null(strstr(s, want));
    snprintf(want, sizeof want, "38;5;%dm\u2580",
             palette_heat(0, CANVAS_FLOOR, 256));
    assert_non_null(strstr(s, want));
    snprintf(want, sizeof want, "38;5;%dm\u2801",
             palette_style(STY_SERIES1 + 1, 256));
    assert_non_null(strstr(s, want));
    assert_non_null(strstr(s, "\033[0m\n")); /* reset at the line's end */
    free(s);
    /* the floor colour is in no ramp; fits use the terminal's foreground
     * (visible on light and dark backgrounds) */
    for (int p = 0; p < CANVAS_PAL_COUNT; p++)
        for (int l = 0; l < CANVAS_LEVELS; l++)
            assert_int_not_equal(palette_heat(p, l, 256),
                                 palette_heat(p, CANVAS_FLOOR, 256));
    assert_int_equal(palette_style(STY_FIT, 256), -1);
    /* depth 0: plain text */
    ss_membuf m = {0};
    ss_sink k = ss_sink_mem(&m);
    canvas_print(c, &k);
    s = ansi_of(c, 0);
    assert_string_equal(s, m.buf);
    free(s);
    ss_membuf_free(&m);
    assert_int_equal(palette_parse("turbo"), CANVAS_PAL_TURBO);
    assert_int_equal(palette_parse("nope"), -1);
    canvas_free(c);
}

/* Floor pixels show as '×' ('x' in ASCII); a diverging canvas shows
 * negative levels as circles and positive ones as shades. */
static void test_floor_and_diverging_text(void **state)
{
    (void)state;
    canvas *c = canvas_alloc(3, 1, 0);
    assert_non_null(c);
    canvas_level(c, 0, 0, CANVAS_FLOOR);
    canvas_level(c, 1, 0, 0);
    canvas_level(c, 2, 0, CANVAS_LEVELS - 1);
    assert_int_equal(canvas_glyph(c, canvas_at(c, 0, 0)), 0x00d7);
    c->palette = CANVAS_PAL_COOLWARM;
    assert_int_equal(canvas_glyph(c, canvas_at(c, 1, 0)), 0x25cf);
    assert_int_equal(canvas_glyph(c, canvas_at(c, 2, 0)), 0x2588);
    c->ascii = 1;
    assert_int_equal(canvas_glyph(c, canvas_at(c, 0, 0)), 'x');
    assert_int_equal(canvas_glyph(c, canvas_at(c, 1, 0)), '@');
    assert_int_equal(canvas_glyph(c, canvas_at(c, 2, 0)), '#');
    canvas_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alloc),
        cmocka_unit_test(test_print_ansi),
        cmocka_unit_test(test_floor_and_diverging_text),
        cmocka_unit_test(test_braille_bits),
        cmocka_unit_test(test_dot_style_last),
        cmocka_unit_test(test_text_dot_replacement),
        cmocka_unit_test(test_levels),
        cmocka_unit_test(test_levels_ascii),
        cmocka_unit_test(test_levels_and_dots),
        cmocka_unit_test(test_dot_clipping),
        cmocka_unit_test(test_line_exact),
        cmocka_unit_test(test_line_clipping),
        cmocka_unit_test(test_text_utf8),
        cmocka_unit_test(test_text_invalid),
        cmocka_unit_test(test_print_trim),
        cmocka_unit_test(test_print_ascii),
        cmocka_unit_test(test_utf8_encode),
        cmocka_unit_test(test_glyph_blank),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

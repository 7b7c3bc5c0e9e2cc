/* The TUI's curses-free parts: soft wrapping of the log and information
 * panes at word boundaries (src/tui/text.h) and the layout grammar that
 * `layout`, `help layout` and F1 describe (src/tui/layout.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tui/layout.h"
#include "tui/text.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The rows of s at width w as "indent|text" strings joined by '\n'. */
static char *rows_of(const char *s, int w)
{
    static char out[4096];
    size_t n = 0, pos = 0;
    tui_row r;
    out[0] = 0;
    while (tui_text_row(s, w, &pos, &r)) {
        n += (size_t)snprintf(out + n, sizeof out - n, "%s%d|%.*s",
                              n ? "\n" : "", r.indent, (int)r.len,
                              s + r.start);
        assert_true(n < sizeof out);
    }
    return out;
}

static void expect_rows(const char *s, int w, const char *want)
{
    const char *got = rows_of(s, w);
    if (strcmp(got, want) != 0)
        fail_msg("wrapping '%s' at %d:\n--- got:\n%s\n--- expected:\n%s", s,
                 w, got, want);
}

/* The words stay whole: "invertible" is not split at the pane's edge. */
static void test_breaks_at_blanks(void **st)
{
    (void)st;
    /* 12 columns fit "the model is"; "invertible" (10) would need 23 */
    expect_rows("the model is invertible and stationary", 20,
                "0|the model is\n0|invertible and\n0|stationary");
    /* exactly full rows: the blank at the edge is the break */
    expect_rows("abcd efgh", 4, "0|abcd\n0|efgh");
    expect_rows("  abcd efgh", 4, "0|  ab\n2|cd\n2|ef\n2|gh");
    expect_rows("abc defg", 8, "0|abc defg");
    expect_rows("abc defgh", 8, "0|abc\n0|defgh");
    /* several blanks at a break vanish with it */
    expect_rows("one    two", 5, "0|one\n0|two");
}

/* Only a word wider than the row is cut, into pieces of the row width. */
static void test_long_words_cut(void **st)
{
    (void)st;
    expect_rows("abcdefghijklmnopqrstuvwxyz", 10,
                "0|abcdefghij\n0|klmnopqrst\n0|uvwxyz");
    expect_rows("x abcdefghijkl", 6, "0|x\n0|abcdef\n0|ghijkl");
}

/* Prose continues at the left edge; an indented line's continuation
 * rows hang under its indentation (+2), at most half the width; an empty line is one row; trailing blanks add none. */
static void test_indentation(void **st)
{
    (void)st;
    expect_rows("    path g u: 1 -> 0 log", 16,
                "0|    path g u: 1\n6|-> 0 log");
    assert_int_equal(tui_text_hang("      deep", 8), 4);
    assert_int_equal(tui_text_hang("flat", 60), 0);
    assert_int_equal(tui_text_hang("  two", 60), 4);
    expect_rows("", 10, "0|");
    expect_rows("ab      ", 4, "0|ab");
}

/* Columns, not bytes: multi-byte characters count once. */
static void test_utf8_columns(void **st)
{
    (void)st;
    if (!setlocale(LC_ALL, "C.UTF-8"))
        skip();
    /* "λ₁ ~ d²" is 7 columns (13 bytes) */
    expect_rows("\xce\xbb\xe2\x82\x81 ~ d\xc2\xb2 vanishes", 8,
                "0|\xce\xbb\xe2\x82\x81 ~ d\xc2\xb2\n0|vanishes");
    setlocale(LC_ALL, "C");
}

/* Over a long text of words of every length: each row fits its width,
 * a row ends at a blank or the end unless its word is wider than the
 * row, no text is lost but the blanks at breaks, and the buffer's row
 * count is the number of rows drawn. */
static void test_wrap_invariants(void **st)
{
    (void)st;
    char text[2000];
    size_t n = 0;
    unsigned x = 12345;
    while (n < sizeof text - 40) {
        x = x * 1103515245u + 12345u;
        int len = 1 + (int)((x >> 16) % 23);
        for (int i = 0; i < len; i++)
            text[n++] = (char)('a' + (i + len) % 26);
        x = x * 1103515245u + 12345u;
        int blanks = 1 + (int)((x >> 16) % 3 == 0);
        for (int i = 0; i < blanks; i++)
            text[n++] = ' ';
    }
    text[n] = 0;
    for (int w = 1; w <= 40; w++) {
        size_t pos = 0, prev_end = 0, kept = 0;
        long rows = 0;
        tui_row r;
        while (tui_text_row(text, w, &pos, &r)) {
            rows++;
            int avail = w - r.indent > 0 ? w - r.indent : 1;
            assert_true((int)r.len <= avail);
            assert_true(r.indent <= w / 2);
            for (size_t i = prev_end; i < r.start; i++)
                assert_int_equal(text[i], ' '); /* only blanks dropped */
            size_t end = r.start + r.len;
            if (text[end] && text[end] != ' ') { /* a cut inside a word */
                size_t b = r.start;
                while (b > 0 && text[b - 1] != ' ')
                    b--;
                size_t e = end;
                while (text[e] && text[e] != ' ')
                    e++;
                /* the word does not fit a row of its own */
                assert_true((int)(e - b) > avail ||
                            (r.start == 0 && (int)(e - b) > w));
            }
            kept += r.len;
            prev_end = end;
        }
        size_t words = 0;
        for (size_t i = 0; text[i]; i++)
            words += text[i] != ' ';
        assert_true(kept >= words);

        tui_text t;
        tui_text_init(&t, 100, 1);
        tui_text_append(&t, text, n, TEXT_NORMAL);
        tui_text_set_width(&t, w);
        assert_int_equal(t.total, rows);
        tui_text_free(&t);
    }
}

/* Every form `help layout` and F1 name is one that layout accepts, with
 * the number of panes the help says; and what they say is refused is. */
static void test_layout_forms(void **st)
{
    (void)st;
    static const struct {
        const char *spec;
        int slots, rows;
    } ok[] = {{"1", 1, 1},   {"2", 2, 1},     {"3", 3, 1},
              {"4", 4, 1},   {"2x2", 4, 2},   {"3x2", 6, 2},
              {"1x2", 2, 2}, {"3x3", 9, 3},   {"1+2", 3, 2},
              {"2+1", 3, 2}, {"1+2+1", 4, 3}, {"3x2:1,2,5,6,3,4", 6, 2},
              {"2:1,4", 2, 1},  {"2+1+2", 5, 3}, {"2:1,3", 2, 1}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        tui_layout l;
        char err[200];
        if (tui_layout_parse(ok[i].spec, &l, err, sizeof err) != 0)
            fail_msg("layout %s refused: %s", ok[i].spec, err);
        assert_int_equal(l.nslots, ok[i].slots);
        assert_int_equal(l.nrows, ok[i].rows);
    }
    static const char *bad[] = {"5",     "0",     "2x5",       "4x3",
                                "1+2+3+4", "2x2:1,2,3", "2:1,1", "x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tui_layout l;
        char err[200];
        if (tui_layout_parse(bad[i], &l, err, sizeof err) == 0)
            fail_msg("layout %s accepted", bad[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_breaks_at_blanks),
        cmocka_unit_test(test_long_words_cut),
        cmocka_unit_test(test_indentation),
        cmocka_unit_test(test_utf8_columns),
        cmocka_unit_test(test_wrap_invariants),
        cmocka_unit_test(test_layout_forms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

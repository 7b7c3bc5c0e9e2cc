/* Panes as a const class (src/tui/pane.h): pane.c does what every pane does
 * (window, border, the title and the footer in their places) and leaves the
 * rest to the class, so a new kind is one class instance. Checked with a
 * kind defined here, and on the three kinds the UI has: which pane numbers
 * take plots, the text panes' titles, footers and scrolling, the empty plot
 * pane. Curses draws into windows of a terminal whose output goes to
 * /dev/null; the cells are read back. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tui/tui_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static SCREEN *scr;
static FILE *scr_out, *scr_in;

static int setup(void **state)
{
    (void)state;
    /* the size of the (invisible) screen, whatever the terminal type says */
    setenv("LINES", "24", 1);
    setenv("COLUMNS", "80", 1);
    scr_out = fopen("/dev/null", "w");
    scr_in = fopen("/dev/null", "r");
    if (!scr_out || !scr_in)
        return -1;
    static const char *const terms[] = {"xterm-256color", "xterm", "vt100",
                                        "dumb"};
    for (size_t i = 0; !scr && i < sizeof terms / sizeof terms[0]; i++)
        scr = newterm(terms[i], scr_out, scr_in);
    return scr ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    if (scr) {
        endwin();
        delscreen(scr);
    }
    fclose(scr_out);
    fclose(scr_in);
    return 0;
}

/* The n cells of row y from column x of the pane's window, as text. */
static const char *cells(const pane *p, int y, int x, int n)
{
    static char buf[256];
    assert_true(n < (int)sizeof buf);
    int k = mvwinnstr(p->win, y, x, buf, n);
    assert_int_equal(k, n);
    buf[n] = 0;
    return buf;
}

/* What the bottom border says at its right end (the footer's place):
 * the len cells before the corner's neighbour. */
static const char *footer_cells(const pane *p, int len)
{
    return cells(p, p->r.h - 1, p->r.w - len - 2, len);
}

/* ---- a kind defined here: every call goes through its class ---------- */

static struct {
    int init, done, draw, key, draw_iw, draw_ih, fail_init;
} calls;

static int probe_init(pane *p)
{
    (void)p;
    calls.init++;
    return calls.fail_init ? -1 : 0;
}

static void probe_done(pane *p)
{
    (void)p;
    calls.done++;
}

static void probe_draw(pane *p, session *s, int iw, int ih)
{
    (void)s;
    calls.draw++;
    calls.draw_iw = iw;
    calls.draw_ih = ih;
    werase(p->win);
    mvwaddstr(p->win, 1, 1, "inside");
    p->stale = 0;
}

static void probe_title(const pane *p, char *buf, size_t len)
{
    snprintf(buf, len, " %d %s: here ", p->id, p->klass->name);
}

static void probe_footer(pane *p, char *buf, size_t len)
{
    (void)p;
    snprintf(buf, len, " at the end ");
}

static int probe_key(pane *p, int key)
{
    (void)p;
    calls.key++;
    return key == 'x' ? PANE_HANDLED | PANE_REDRAW : PANE_IGNORED;
}

static const pane_class probe_class = {
    .name = "probe",
    .label = "probe",
    .init = probe_init,
    .done = probe_done,
    .draw = probe_draw,
    .title = probe_title,
    .footer = probe_footer,
    .key = probe_key,
};

static void test_new_kind(void **state)
{
    (void)state;
    memset(&calls, 0, sizeof calls);
    calls.fail_init = 1; /* an init that fails makes no pane */
    assert_null(pane_new(7, &probe_class));
    assert_int_equal(calls.init, 1);
    assert_int_equal(calls.done, 0);

    memset(&calls, 0, sizeof calls);
    pane *p = pane_new(7, &probe_class);
    assert_non_null(p);
    assert_int_equal(calls.init, 1);
    assert_ptr_equal(p->klass, &probe_class);
    assert_true(pane_needs_draw(p)); /* new: never drawn */
    /* no window yet: keys pass by, drawing does nothing */
    assert_int_equal(pane_key(p, 'x'), PANE_IGNORED);
    assert_int_equal(calls.key, 0);
    pane_draw(p, NULL, 0);
    assert_int_equal(calls.draw, 0);
    /* no render and no outdated in the class: nothing to do */
    assert_int_equal(pane_render(p, NULL, 10, 5), SS_OK);
    assert_int_equal(pane_check_outdated(p, NULL), 0);

    assert_int_equal(pane_place(p, (tui_rect){.y = 2, .x = 3, .h = 8, .w = 30}),
                     0);
    assert_non_null(p->win);
    assert_int_equal(pane_key(p, 'x'), PANE_HANDLED | PANE_REDRAW);
    assert_int_equal(pane_key(p, 'y'), PANE_IGNORED);
    assert_int_equal(calls.key, 2);
    pane_draw(p, NULL, 1);
    assert_int_equal(calls.draw, 1);
    /* the contents get the inside of the border */
    assert_int_equal(calls.draw_iw, 28);
    assert_int_equal(calls.draw_ih, 6);
    assert_false(pane_needs_draw(p));
    assert_string_equal(cells(p, 1, 1, 6), "inside");
    /* the title two cells into the top border, the footer two cells
     * before the end of the bottom one */
    assert_string_equal(cells(p, 0, 2, 15), " 7 probe: here ");
    assert_string_equal(footer_cells(p, 12), " at the end ");

    pane_delete(p);
    assert_int_equal(calls.done, 1);
}

/* ---- the UI's kinds --------------------------------------------------- */

/* Plots go to panes 1, 2 and 5 to 9 (what `plot ... in=N` says when it
 * refuses the others); 3 is the information pane, 4 the log. */
static void test_kinds_by_number(void **state)
{
    (void)state;
    assert_null(tui_pane_class(0));
    assert_null(tui_pane_class(TUI_MAX_PANES + 1));
    for (int id = 1; id <= TUI_MAX_PANES; id++) {
        const pane_class *c = tui_pane_class(id);
        assert_non_null(c);
        if (id == 3) {
            assert_ptr_equal(c, &pane_info_class);
            assert_string_equal(c->label, "information");
        } else if (id == 4) {
            assert_ptr_equal(c, &pane_log_class);
            assert_string_equal(c->label, "log");
        } else {
            assert_ptr_equal(c, &pane_plot_class);
        }
        assert_int_equal(c->plots, id != 3 && id != 4);
        /* what a pane needs from its class */
        assert_non_null(c->name);
        assert_non_null(c->draw);
        assert_non_null(c->title);
    }
    assert_string_equal(pane_plot_class.name, "plot");
    assert_string_equal(pane_info_class.name, "info");
    assert_string_equal(pane_log_class.name, "log");
}

static void fill(pane *p, int n)
{
    for (int i = 1; i <= n; i++) {
        char line[32];
        int k = snprintf(line, sizeof line, "line %d\n", i);
        tui_text_append(&p->text, line, (size_t)k, TEXT_NORMAL);
    }
}

/* 30 short lines in a pane of 8 inner rows. The log follows its end:
 * lines 23 to 30 are in view, the last on the last inner row. PgUp moves
 * a page less one row (7): lines 16 to 23, and 30 - 15 - 8 = 7 rows are
 * below. The information pane starts at the top: lines 1 to 8. */
static void test_text_panes(void **state)
{
    (void)state;
    tui_rect r = {.y = 0, .x = 0, .h = 10, .w = 40};
    pane *log = pane_new(4, &pane_log_class);
    pane *info = pane_new(3, &pane_info_class);
    assert_non_null(log);
    assert_non_null(info);
    assert_int_equal(pane_place(log, r), 0);
    fill(log, 30);
    pane_draw(log, NULL, 0);
    assert_false(pane_needs_draw(log));
    assert_string_equal(cells(log, 0, 2, 7), " 4 log ");
    assert_string_equal(cells(log, 1, 1, 7), "line 23");
    assert_string_equal(cells(log, 8, 1, 7), "line 30");
    assert_string_equal(footer_cells(log, 13), " 23-30 of 30 ");

    assert_int_equal(pane_key(log, KEY_PPAGE), PANE_HANDLED | PANE_REDRAW);
    pane_draw(log, NULL, 1);
    assert_string_equal(cells(log, 1, 1, 7), "line 16");
    assert_string_equal(cells(log, 8, 1, 7), "line 23");
    assert_string_equal(footer_cells(log, 20), " 7 more below: PgDn ");
    /* End follows the end again; a key the pane does not take */
    assert_int_equal(pane_key(log, KEY_END), PANE_HANDLED | PANE_REDRAW);
    assert_int_equal(pane_key(log, KEY_END), PANE_HANDLED);
    assert_int_equal(pane_key(log, 'q'), PANE_IGNORED);
    pane_draw(log, NULL, 1);
    assert_string_equal(footer_cells(log, 13), " 23-30 of 30 ");

    assert_int_equal(pane_place(info, r), 0);
    snprintf(info->subject, sizeof info->subject, "g");
    fill(info, 30);
    pane_draw(info, NULL, 0);
    assert_string_equal(cells(info, 0, 2, 11), " 3 info: g ");
    assert_string_equal(cells(info, 1, 1, 7), "line 1 ");
    assert_string_equal(footer_cells(info, 11), " 1-8 of 30 ");
    assert_int_equal(pane_key(info, KEY_NPAGE), PANE_HANDLED | PANE_REDRAW);
    pane_draw(info, NULL, 0);
    assert_string_equal(cells(info, 1, 1, 7), "line 8 ");
    assert_string_equal(footer_cells(info, 12), " 8-15 of 30 ");

    /* all of it in view: no footer, the border runs on */
    tui_text_clear(&info->text);
    fill(info, 3);
    info->dirty = 1;
    pane_draw(info, NULL, 0);
    assert_int_equal(mvwinch(info->win, 9, 20) & A_CHARTEXT,
                     mvwinch(info->win, 9, 21) & A_CHARTEXT);
    pane_delete(log);
    pane_delete(info);
}

/* A plot pane with nothing plotted says how to plot; it takes no keys
 * (PgUp/PgDn then go to the log) and has nothing to render. */
static void test_empty_plot_pane(void **state)
{
    (void)state;
    pane *p = pane_new(5, &pane_plot_class);
    assert_non_null(p);
    assert_int_equal(pane_place(p, (tui_rect){.h = 12, .w = 50}), 0);
    assert_null(p->klass->key);
    assert_int_equal(pane_key(p, KEY_PPAGE), PANE_IGNORED);
    assert_int_equal(pane_check_outdated(p, NULL), 0);
    pane_draw(p, NULL, 0);
    assert_string_equal(cells(p, 0, 2, 8), " 5 plot ");
    int found = 0;
    for (int y = 1; y < 11; y++) {
        char row[64];
        mvwinnstr(p->win, y, 1, row, 48);
        found |= strstr(row, "No plot here yet.") != NULL;
    }
    assert_true(found);
    pane_delete(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_kind),
        cmocka_unit_test(test_kinds_by_number),
        cmocka_unit_test(test_text_panes),
        cmocka_unit_test(test_empty_plot_pane),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

/* Screen layout and one frame: pane windows placed from the layout table
 * (recomputed on KEY_RESIZE), dirty panes drawn, the status bar, the key
 * help overlay or the "too small" notice, then update_panels and a single
 * doupdate. */
#include "tui/cmdline.h"
#include "tui/draw.h"
#include "tui/text.h"
#include "tui/tui_int.h"

#include <stdio.h>
#include <string.h>

pane *tui_pane(tui *t, int id)
{
    if (id < 1 || id > TUI_MAX_PANES)
        return NULL;
    if (!t->panes[id])
        t->panes[id] = pane_new(id, id == TUI_PANE_INFO  ? PANE_INFO
                                    : id == TUI_PANE_LOG ? PANE_LOG
                                                         : PANE_PLOT);
    return t->panes[id];
}

int tui_pane_shown(const tui *t, int id)
{
    for (int i = 0; i < t->nshown; i++)
        if (t->shown[i] == id)
            return 1;
    return 0;
}

/* Which pane goes in which slot: the layout's own list, or plots first
 * and then the information and log panes; the focused pane is always
 * shown (in the first slot if it has no other). */
static void assign(tui *t)
{
    static const int plots[] = {1, 2, 5, 6, 7, 8, 9};
    int n = t->zoom ? 1 : t->layout.nslots;
    if (t->zoom) {
        t->shown[0] = t->focus;
    } else if (t->layout.panes[0]) {
        for (int i = 0; i < n; i++)
            t->shown[i] = t->layout.panes[i];
    } else if (n == 1) {
        t->shown[0] = 1;
    } else if (n == 2) {
        t->shown[0] = 1;
        t->shown[1] = TUI_PANE_LOG;
    } else { /* n - 2 plots, then the information and log panes */
        int k = 0;
        for (int i = 0; i < n - 2; i++)
            t->shown[k++] = plots[i];
        t->shown[k++] = TUI_PANE_INFO;
        t->shown[k++] = TUI_PANE_LOG;
    }
    t->nshown = n;
    for (int i = 0; i < n; i++)
        tui_pane(t, t->shown[i]);
    if (!tui_pane_shown(t, t->focus))
        t->shown[0] = t->focus;
}

static void drop_window(WINDOW **w, PANEL **p)
{
    if (*p)
        del_panel(*p);
    if (*w)
        delwin(*w);
    *p = NULL;
    *w = NULL;
}

void tui_relayout(tui *t)
{
    t->need_layout = 0;
    for (int i = 1; i <= TUI_MAX_PANES; i++)
        if (t->panes[i])
            pane_hide(t->panes[i]);
    drop_window(&t->status, &t->status_pan);
    drop_window(&t->cmd, &t->cmd_pan);
    drop_window(&t->help, &t->help_pan);
    tui_cmdline_set_window(NULL);
    werase(stdscr);
    int W = COLS, H = LINES;
    t->too_small = W < TUI_MIN_W || H < TUI_MIN_H;
    if (t->too_small) {
        curs_set(0);
        return;
    }
    curs_set(1);
    assign(t);
    tui_rect area = {0, 0, W, H - 2}, rects[TUI_MAX_SLOTS];
    if (t->zoom || t->nshown == 1)
        rects[0] = area;
    else
        tui_layout_rects(&t->layout, area, rects);
    for (int i = 0; i < t->nshown; i++) {
        pane *p = t->panes[t->shown[i]];
        pane_place(p, rects[i]);
        p->stale = 1;
    }
    t->status = newwin(1, W, H - 2, 0);
    if (t->status)
        t->status_pan = new_panel(t->status);
    t->cmd = newwin(1, W, H - 1, 0);
    if (t->cmd)
        t->cmd_pan = new_panel(t->cmd);
    tui_cmdline_set_window(t->cmd);
}

void tui_focus_step(tui *t, int dir)
{
    int id = t->focus;
    for (int k = 0; k < TUI_MAX_PANES; k++) {
        id += dir;
        if (id < 1)
            id = TUI_MAX_PANES;
        if (id > TUI_MAX_PANES)
            id = 1;
        if (t->panes[id])
            break;
    }
    if (id == t->focus)
        return;
    pane *old = t->panes[t->focus];
    t->focus = id;
    if (t->zoom || !tui_pane_shown(t, id)) {
        t->need_layout = 1;
    } else {
        if (old)
            old->dirty = 1;
        t->panes[id]->dirty = 1;
    }
}

/* ---- status bar ------------------------------------------------------ */

static void draw_status(tui *t)
{
    WINDOW *w = t->status;
    if (!w)
        return;
    int W = getmaxx(w);
    const char *sep = tui_utf8() ? " \u2502 " : " | ";
    const char *dash = tui_utf8() ? "\u2014" : "-";
    pane *f = t->panes[t->focus];
    char left[256], right[160];
    snprintf(left, sizeof left, " model: %s%sfocus: %d %s%slayout: %s%s",
             t->s->current[0] ? t->s->current : "(none)", sep, t->focus,
             f ? pane_kind_name(f->kind) : "?", sep, t->layout.spec,
             t->zoom ? " (zoom: F5)" : "");
    int progress = t->prog_on && t->prog_total > 0;
    if (progress)
        snprintf(right, sizeof right, " %s %.0f%% %s Ctrl-C stops ",
                 t->prog_what,
                 100.0 * (double)t->prog_done / (double)t->prog_total, dash);
    else if (t->busy)
        snprintf(right, sizeof right, " running %s Ctrl-C stops ", dash);
    else
        snprintf(right, sizeof right, " F1 keys  Ctrl-D quits ");
    if (t->nq) {
        size_t l = strlen(right);
        snprintf(right + l, sizeof right - l, "(%zu queued) ", t->nq);
    }
    tui_chrome_set(w, TUI_C_STATUS);
    mvwhline(w, 0, 0, ' ', W);
    int rw = tui_text_width(right);
    size_t k = tui_text_fit(left, W - rw > 0 ? W - rw : W, NULL);
    mvwaddnstr(w, 0, 0, left, (int)k);
    if (rw < W) {
        tui_chrome_set(w, progress || t->busy ? TUI_C_PROGRESS
                                              : TUI_C_STATUS);
        mvwaddstr(w, 0, W - rw, right);
    }
    tui_chrome_set(w, TUI_C_NORMAL);
}

/* ---- overlays -------------------------------------------------------- */

static const char *const help_lines[] = {
    "F1, ?         this help (? when the command line is empty)",
    "F2 / F3       focus the previous / next pane (or Alt-Left/Right)",
    "F5            zoom the focused pane to the whole screen and back",
    "PgUp / PgDn   scroll the focused text pane (else the log)",
    "Ctrl-L        redraw the screen",
    "Ctrl-C        stop a computation; at the prompt, clear the line",
    "Ctrl-D        quit (on an empty line); so does `quit`",
    "Tab, Up/Down  complete; command history",
    "",
    "layout 1|2|3|2x2|1+2|3x2    arrange the panes",
    "plot NAME [in=N]            draw a stored result in pane N",
    "",
    "Any key closes this help.",
};

static void draw_help(tui *t)
{
    int n = (int)(sizeof help_lines / sizeof help_lines[0]);
    int h = n + 4, w = 0;
    for (int i = 0; i < n; i++) {
        int lw = tui_text_width(help_lines[i]);
        w = lw > w ? lw : w;
    }
    w += 4;
    if (h > LINES - 2)
        h = LINES - 2;
    if (w > COLS)
        w = COLS;
    if (!t->help) {
        t->help = newwin(h, w, (LINES - 2 - h) / 2, (COLS - w) / 2);
        if (!t->help)
            return;
        t->help_pan = new_panel(t->help);
    }
    werase(t->help);
    tui_chrome_set(t->help, TUI_C_FOCUS);
    tui_box(t->help);
    mvwaddstr(t->help, 0, 2, " keys ");
    tui_chrome_set(t->help, TUI_C_NORMAL);
    for (int i = 0; i < n && i + 2 < h - 1; i++) {
        size_t k = tui_text_fit(help_lines[i], w - 4, NULL);
        mvwaddnstr(t->help, 2 + i, 2, help_lines[i], (int)k);
    }
    top_panel(t->help_pan);
}

static void draw_too_small(void)
{
    char msg[128], a[32], b[64];
    snprintf(a, sizeof a, "terminal too small");
    snprintf(b, sizeof b, "(%dx%d, need at least %dx%d)", COLS, LINES,
             TUI_MIN_W, TUI_MIN_H);
    snprintf(msg, sizeof msg, "%s %s", a, b);
    werase(stdscr);
    int len = (int)strlen(msg);
    if (len <= COLS) {
        mvwaddstr(stdscr, LINES / 2, (COLS - len) / 2, msg);
    } else { /* two lines, clipped */
        int la = (int)strlen(a), lb = (int)strlen(b);
        mvwaddnstr(stdscr, LINES / 2 - 1, la < COLS ? (COLS - la) / 2 : 0, a,
                   COLS);
        mvwaddnstr(stdscr, LINES / 2, lb < COLS ? (COLS - lb) / 2 : 0, b,
                   COLS);
    }
    wnoutrefresh(stdscr);
}

void tui_frame(tui *t)
{
    if (t->need_layout)
        tui_relayout(t);
    if (t->need_repaint) {
        clearok(curscr, TRUE);
        t->need_repaint = 0;
    }
    if (t->too_small) {
        draw_too_small();
    } else {
        for (int i = 0; i < t->nshown; i++) {
            pane *p = t->panes[t->shown[i]];
            if (p->dirty || (p->kind == PANE_PLOT && p->stale))
                pane_draw(p, t->s, p->id == t->focus);
        }
        draw_status(t);
        if (t->show_help)
            draw_help(t);
        else
            drop_window(&t->help, &t->help_pan);
        update_panels();
        if (t->cmd) /* last, so the cursor ends on the command line */
            wnoutrefresh(t->cmd);
    }
    doupdate();
    t->stats.frames++;
    if (t->stats.key_t0 > 0) {
        double d = tui_now() - t->stats.key_t0;
        t->stats.key_sum += d;
        t->stats.key_max = d > t->stats.key_max ? d : t->stats.key_max;
        t->stats.key_n++;
        t->stats.key_t0 = 0;
    }
}

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

const pane_class *tui_pane_class(int id)
{
    static const pane_class *const by_id[TUI_MAX_PANES + 1] = {
        [1] = &pane_plot_class, [2] = &pane_plot_class,
        [TUI_PANE_INFO] = &pane_info_class, [TUI_PANE_LOG] = &pane_log_class,
        [5] = &pane_plot_class, [6] = &pane_plot_class,
        [7] = &pane_plot_class, [8] = &pane_plot_class,
        [9] = &pane_plot_class,
    };
    return id >= 1 && id <= TUI_MAX_PANES ? by_id[id] : NULL;
}

pane *tui_pane(tui *t, int id)
{
    if (id < 1 || id > TUI_MAX_PANES)
        return NULL;
    if (!t->panes[id])
        t->panes[id] = pane_new(id, tui_pane_class(id));
    return t->panes[id];
}

int tui_pane_shown(const tui *t, int id)
{
    for (int i = 0; i < t->nshown; i++)
        if (t->shown[i] == id)
            return 1;
    return 0;
}

int tui_layout_panes(const tui *t, int *ids)
{
    static const int plots[] = {1, 2, 5, 6, 7, 8, 9};
    int n = t->layout.nslots;
    if (t->layout.panes[0]) {
        for (int i = 0; i < n; i++)
            ids[i] = t->layout.panes[i];
    } else if (n == 1) {
        ids[0] = 1;
    } else if (n == 2) {
        ids[0] = 1;
        ids[1] = TUI_PANE_LOG;
    } else { /* n - 2 plots, then the information and log panes */
        int k = 0;
        for (int i = 0; i < n - 2; i++)
            ids[k++] = plots[i];
        ids[k++] = TUI_PANE_INFO;
        ids[k++] = TUI_PANE_LOG;
    }
    return n;
}

void tui_pane_list(const int *ids, int n, char *buf, size_t len)
{
    size_t k = 0;
    buf[0] = 0;
    for (int i = 0; i < n && k < len; i++)
        k += (size_t)snprintf(buf + k, len - k, "%s%d",
                              i == 0 ? "" : i + 1 < n ? ", " : " and ",
                              ids[i]);
}

/* From the layout, not from the windows: right also before the relayout
 * that a `layout` command asks for. */
static int log_in_layout(const tui *t)
{
    int ids[TUI_MAX_SLOTS];
    int n = tui_layout_panes(t, ids);
    for (int i = 0; i < n; i++)
        if (ids[i] == TUI_PANE_LOG)
            return !t->zoom || t->focus == TUI_PANE_LOG;
    return 0;
}

int tui_log_visible(const tui *t)
{
    return !t->too_small && (log_in_layout(t) || t->log_overlay);
}

/* Which pane goes in which slot: the layout's own list, or plots first
 * and then the information and log panes. Only these panes are ever on
 * screen (focus keys and `plot in=` keep to them); zoomed, the focused
 * one alone. */
static void assign(tui *t)
{
    int ids[TUI_MAX_SLOTS];
    int n = tui_layout_panes(t, ids), in = 0;
    for (int i = 0; i < n; i++)
        in |= ids[i] == t->focus;
    if (!in)
        t->focus = ids[0];
    if (t->zoom) {
        t->shown[0] = t->focus;
        n = 1;
    } else {
        memcpy(t->shown, ids, (size_t)n * sizeof *ids);
    }
    t->nshown = n;
    for (int i = 0; i < n; i++)
        tui_pane(t, t->shown[i]);
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
    drop_window(&t->over, &t->over_pan);
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

/* The next pane of the layout in slot order (the panes on screen, or
 * the ones a zoom steps through): hidden panes are never visited. */
void tui_focus_step(tui *t, int dir)
{
    int ids[TUI_MAX_SLOTS];
    int n = tui_layout_panes(t, ids), at = 0;
    for (int i = 0; i < n; i++)
        if (ids[i] == t->focus)
            at = i;
    int id = ids[((at + dir) % n + n) % n];
    if (id == t->focus)
        return;
    pane *old = t->panes[t->focus];
    t->focus = id;
    tui_pane(t, id);
    if (t->zoom || !tui_pane_shown(t, id)) {
        t->need_layout = 1;
    } else {
        if (old)
            old->dirty = 1;
        t->panes[id]->dirty = 1;
    }
}

/* ---- status bar ------------------------------------------------------ */

/* What the last command wrote, while the log is hidden: its first error
 * line, else its last line, and how many more lines there are. */
static const tui_line *last_output(const tui *t, long *more)
{
    pane *log = t->panes[TUI_PANE_LOG];
    *more = 0;
    if (!log)
        return NULL;
    const tui_text *x = &log->text;
    long first = (long)x->n - (x->serial - t->log_mark);
    if (first < 0)
        first = 0;
    const tui_line *err = NULL, *last = NULL;
    long count = 0;
    for (size_t i = (size_t)first; i < x->n; i++) {
        const tui_line *l = &x->v[i];
        if (l->style == TEXT_ECHO || !l->s[strspn(l->s, " ")])
            continue;
        count++;
        if (l->style == TEXT_ERROR && !err)
            err = l;
        last = l;
    }
    *more = count > 0 ? count - 1 : 0;
    return err ? err : last;
}

static void draw_status(tui *t)
{
    WINDOW *w = t->status;
    if (!w)
        return;
    int W = getmaxx(w);
    const char *sep = tui_utf8() ? " \u2502 " : " | ";
    const char *dash = tui_utf8() ? "\u2014" : "-";
    pane *f = t->panes[t->focus];
    char left[512], right[200];
    long more = 0;
    const tui_line *said = tui_log_visible(t) ? NULL : last_output(t, &more);
    if (said)
        snprintf(left, sizeof left, " %s %s", tui_utf8() ? "\u25b8" : ">",
                 said->s + strspn(said->s, " "));
    else
        snprintf(left, sizeof left,
                 " model: %s%sfocus: %d %s%slayout: %s%s",
                 t->s->current[0] ? t->s->current : "(none)", sep, t->focus,
                 f ? f->klass->name : "?", sep, t->layout.spec,
                 t->zoom ? " (zoom: F5)" : "");
    int progress = t->prog_on && t->prog_total > 0;
    if (progress)
        snprintf(right, sizeof right, " %s %.0f%% %s Ctrl-C stops ",
                 t->prog_what,
                 100.0 * (double)t->prog_done / (double)t->prog_total, dash);
    else if (t->busy)
        snprintf(right, sizeof right, " running %s Ctrl-C stops ", dash);
    else if (said)
        right[0] = 0;
    else
        snprintf(right, sizeof right, " F1 keys  Ctrl-D quits ");
    if (t->nq) {
        size_t l = strlen(right);
        snprintf(right + l, sizeof right - l, "(%zu queued) ", t->nq);
    }
    int rw = tui_text_width(right);
    int room = W - rw > 0 ? W - rw : W;
    if (said) { /* the log is hidden: say that it has more */
        char mark[64];
        int lw = tui_text_width(left);
        if (more > 0)
            snprintf(mark, sizeof mark, " [+%ld line%s: F4 shows the log] ",
                     more, more == 1 ? "" : "s");
        else
            snprintf(mark, sizeof mark, " [F4 shows the log] ");
        if (more > 0 || lw > room - 1) {
            size_t l = strlen(right);
            memmove(right + strlen(mark), right, l + 1);
            memcpy(right, mark, strlen(mark));
            rw = tui_text_width(right);
            room = W - rw > 0 ? W - rw : W;
        }
    }
    tui_chrome_set(w, TUI_C_STATUS);
    mvwhline(w, 0, 0, ' ', W);
    if (said && said->style == TEXT_ERROR)
        tui_chrome_set(w, TUI_C_ERROR);
    size_t k = tui_text_fit(left, room, NULL);
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
    "F4            show or hide the log while its pane is not on screen",
    "F5            zoom the focused pane to the whole screen and back",
    "PgUp / PgDn   scroll the focused text pane (else the log)",
    "Ctrl-L        redraw the screen",
    "Ctrl-C        stop a computation; at the prompt, clear the line",
    "Ctrl-D        quit (on an empty line); so does `quit`",
    "Tab, Up/Down  complete; command history",
    "",
    "layout N|CxR|A+B[+C..][:P,..]   arrange the panes: N side by side",
    "        (1-4), C columns x R rows (2x2, 3x2, 1x2), rows of A, B..",
    "        panes (1+2, 2+1+2); :P,.. names the pane in each slot,",
    "        in quotes: layout \"3x2:1,2,5,6,3,4\"; `help layout` says more",
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

/* The log over the lower half of the pane area. */
static void draw_log_overlay(tui *t)
{
    pane *log = tui_pane(t, TUI_PANE_LOG);
    int H = LINES - 2, W = COLS;
    int h = H / 2 > 5 ? H / 2 : 5;
    if (!log || h > H)
        return;
    if (!t->over) {
        t->over = newwin(h, W, H - h, 0);
        if (!t->over)
            return;
        t->over_pan = new_panel(t->over);
    }
    werase(t->over);
    tui_chrome_set(t->over, TUI_C_FOCUS);
    tui_box(t->over);
    const char *title = t->log_overlay == 2
                            ? " 4 log: the command failed (F4 hides) "
                            : " 4 log (F4 hides) ";
    size_t k = tui_text_fit(title, W - 4, NULL);
    mvwaddnstr(t->over, 0, 2, title, (int)k);
    tui_chrome_set(t->over, TUI_C_NORMAL);
    pane_text_draw(t->over, &log->text, 1, 1, W - 2, h - 2);
    if (!log->text.follow) {
        char pos[64];
        long first = tui_text_first_row(&log->text, h - 2);
        int n = snprintf(pos, sizeof pos, " %ld more below: PgDn ",
                         log->text.total - first - (h - 2));
        if (n + 4 <= W) {
            tui_chrome_set(t->over, TUI_C_NOTE);
            mvwaddstr(t->over, h - 1, W - n - 2, pos);
            tui_chrome_set(t->over, TUI_C_NORMAL);
        }
    }
    top_panel(t->over_pan);
}

void tui_log_overlay(tui *t, int how)
{
    if (how == t->log_overlay)
        return;
    if (!how) /* uncover what it hid */
        for (int i = 0; i < t->nshown; i++)
            t->panes[t->shown[i]]->dirty = 1;
    t->log_overlay = how;
}

int tui_log_overlay_height(void)
{
    int H = LINES - 2;
    return (H / 2 > 5 ? H / 2 : 5) - 2;
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
            if (pane_needs_draw(p))
                pane_draw(p, t->s, p->id == t->focus);
        }
        if (t->log_overlay && !log_in_layout(t))
            draw_log_overlay(t);
        else
            drop_window(&t->over, &t->over_pan);
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

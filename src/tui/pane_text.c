/* The text panes: the information pane (what the current model is; it
 * starts at the top) and the log (commands and their output; it follows
 * the end). Both show a scrollable buffer wrapped at word boundaries,
 * scrolled with PgUp/PgDn/Home/End, and say on the bottom border where
 * the view is. */
#include "tui/pane.h"

#include "tui/draw.h"

#include <stdio.h>
#include <string.h>

static int info_init(pane *p)
{
    tui_text_init(&p->text, 2000, 0);
    return 0;
}

static int log_init(pane *p)
{
    tui_text_init(&p->text, 5000, 1);
    return 0;
}

static void text_done(pane *p)
{
    tui_text_free(&p->text);
}

void pane_text_draw(WINDOW *w, tui_text *t, int y0, int x0, int iw, int ih)
{
    tui_text_set_width(t, iw);
    long row = tui_text_first_row(t, ih), acc = 0;
    size_t i = 0;
    while (i < t->n && acc + t->v[i].rows <= row)
        acc += t->v[i++].rows;
    long skip = row - acc; /* wrapped rows of line i above the view */
    for (int y = 0; y < ih && i < t->n; i++) {
        const char *s = t->v[i].s;
        static const tui_chrome look[] = {TUI_C_NORMAL, TUI_C_ERROR,
                                          TUI_C_ECHO, TUI_C_NOTE};
        tui_chrome_set(w, look[t->v[i].style & 3]);
        size_t pos = 0;
        tui_row r;
        while (y < ih && tui_text_row(s, iw, &pos, &r)) {
            if (skip > 0) {
                skip--;
                continue;
            }
            if (r.len)
                mvwaddnstr(w, y0 + y, x0 + r.indent, s + r.start, (int)r.len);
            y++;
        }
    }
    tui_chrome_set(w, TUI_C_NORMAL);
}

static void text_draw(pane *p, session *s, int iw, int ih)
{
    (void)s;
    werase(p->win);
    pane_text_draw(p->win, &p->text, 1, 1, iw, ih);
    p->stale = 0; /* nothing to render: the text is the contents */
}

static void text_title(const pane *p, char *buf, size_t len)
{
    snprintf(buf, len, " %d %s%s%s ", p->id, p->klass->name,
             p->subject[0] ? ": " : "", p->subject);
}

/* Which rows are in view, when not all of them fit; with more_below, how
 * much is below instead while scrolled back from the end (the log). */
static void position(pane *p, int more_below, char *buf, size_t len)
{
    tui_text *t = &p->text;
    int ih = p->r.h - 2;
    if (t->total <= ih)
        return;
    long first = tui_text_first_row(t, ih);
    if (more_below && !t->follow)
        snprintf(buf, len, " %ld more below: PgDn ", t->total - first - ih);
    else
        snprintf(buf, len, " %ld-%ld of %ld ", first + 1, first + ih,
                 t->total);
}

static void info_footer(pane *p, char *buf, size_t len)
{
    position(p, 0, buf, len);
}

static void log_footer(pane *p, char *buf, size_t len)
{
    position(p, 1, buf, len);
}

static int text_key(pane *p, int key)
{
    int ih = p->r.h - 2, page = ih > 2 ? ih - 1 : 1;
    long d;
    switch (key) {
    case KEY_PPAGE: d = -page; break;
    case KEY_NPAGE: d = page; break;
    case KEY_HOME: d = -p->text.total; break;
    case KEY_END: d = p->text.total; break;
    default: return PANE_IGNORED;
    }
    tui_text_set_width(&p->text, p->r.w - 2);
    return PANE_HANDLED | (tui_text_scroll(&p->text, d, ih) ? PANE_REDRAW : 0);
}

const pane_class pane_info_class = {
    .name = "info",
    .label = "information",
    .init = info_init,
    .done = text_done,
    .draw = text_draw,
    .title = text_title,
    .footer = info_footer,
    .key = text_key,
};

const pane_class pane_log_class = {
    .name = "log",
    .label = "log",
    .init = log_init,
    .done = text_done,
    .draw = text_draw,
    .title = text_title,
    .footer = log_footer,
    .key = text_key,
};

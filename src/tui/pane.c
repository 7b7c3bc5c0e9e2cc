#include "tui/pane.h"

#include "model/model.h"
#include "tui/draw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

pane *pane_new(int id, pane_kind kind)
{
    pane *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->id = id;
    p->kind = kind;
    p->dirty = p->stale = 1;
    render_request_init(&p->req);
    tui_text_init(&p->text, kind == PANE_LOG ? 5000 : 2000,
                  kind == PANE_LOG);
    return p;
}

void pane_delete(pane *p)
{
    if (!p)
        return;
    pane_hide(p);
    canvas_free(p->cv);
    tui_text_free(&p->text);
    free(p);
}

const char *pane_kind_name(pane_kind k)
{
    switch (k) {
    case PANE_PLOT: return "plot";
    case PANE_INFO: return "info";
    case PANE_LOG: return "log";
    }
    return "?";
}

void pane_hide(pane *p)
{
    if (p->pan)
        del_panel(p->pan);
    if (p->win)
        delwin(p->win);
    p->pan = NULL;
    p->win = NULL;
}

int pane_place(pane *p, tui_rect r)
{
    pane_hide(p);
    p->r = r;
    p->dirty = 1;
    if (r.w < 3 || r.h < 3)
        return -1;
    p->win = newwin(r.h, r.w, r.y, r.x);
    if (!p->win)
        return -1;
    p->pan = new_panel(p->win);
    if (!p->pan) {
        delwin(p->win);
        p->win = NULL;
        return -1;
    }
    return 0;
}

static unsigned long fnv(unsigned long h, const void *data, size_t n)
{
    const unsigned char *b = data;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ul;
    return h;
}

unsigned long pane_model_print(session *s, const char *name)
{
    obj *o = name[0] ? session_find(s, name) : NULL;
    if (!o || o->type != &obj_model)
        return 0;
    const model *m = o->ptr;
    unsigned long h = 1469598103934665603ul;
    h = fnv(h, m->type->name, strlen(m->type->name));
    h = fnv(h, &m->P, sizeof m->P);
    h = fnv(h, m->theta, m->P * sizeof *m->theta);
    h = fnv(h, m->opt, m->type->nopts * sizeof *m->opt);
    for (size_t i = 0; i < m->type->nopts; i++) {
        if (m->opt_choice[i])
            h = fnv(h, m->opt_choice[i], strlen(m->opt_choice[i]));
        if (m->optvec[i].v)
            h = fnv(h, m->optvec[i].v, m->optvec[i].n * sizeof(double));
    }
    return h ? h : 1;
}

void pane_note_drawn(pane *p, session *s)
{
    obj *o = session_find(s, p->req.object);
    p->gen = o ? o->gen : 0;
    snprintf(p->origin, sizeof p->origin, "%s", o ? o->origin : "");
    /* a data set's picture uses the model it came from (its density) */
    p->dep[0] = 0;
    if (o && o->type == &obj_data)
        snprintf(p->dep, sizeof p->dep, "%s", ((dataset *)o->ptr)->from);
    p->dep_print = pane_model_print(s, p->dep);
    p->outdated = 0;
}

int pane_check_outdated(pane *p, session *s)
{
    if (p->kind != PANE_PLOT || !p->has_req)
        return 0;
    obj *o = session_find(s, p->req.object);
    int out = !o || o->gen != p->gen ||
              (p->dep[0] && pane_model_print(s, p->dep) != p->dep_print);
    int changed = out != p->outdated;
    p->outdated = out;
    return changed;
}

ss_status pane_render(pane *p, session *s, int w, int h)
{
    if (w < 1 || h < 1)
        return SS_OK;
    int ascii = p->req.ascii >= 0 ? p->req.ascii : render_want_ascii();
    if (!p->cv || p->cv->w != w || p->cv->h != h || p->cv->ascii != ascii) {
        canvas *c = canvas_alloc(w, h, ascii);
        if (!c)
            return SS_FAIL(SS_ERR_NOMEM, "out of memory for a %dx%d canvas",
                           w, h);
        canvas_free(p->cv);
        p->cv = c;
    }
    canvas_clear(p->cv);
    render_request rq = p->req;
    rq.width = w;
    rq.height = h;
    rq.ascii = ascii;
    p->stale = 0;
    if (p->live) {
        const session_job *j = p->live;
        render_request_init(&rq);
        rq.width = w;
        rq.height = h;
        rq.ascii = ascii;
        snprintf(rq.object, sizeof rq.object, "%s",
                 j->store_as ? j->store_as : j->what);
        return render_value(s, &rq, j->live_type, j->live(j->it.state),
                            p->cv);
    }
    return render_object(s, &rq, p->cv);
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

/* Where the view is, on the bottom border of a text pane. */
static void draw_position(pane *p)
{
    tui_text *t = &p->text;
    int ih = p->r.h - 2;
    if (t->total <= ih)
        return;
    char pos[64];
    long first = tui_text_first_row(t, ih);
    if (p->kind == PANE_LOG && !t->follow)
        snprintf(pos, sizeof pos, " %ld more below: PgDn ",
                 t->total - first - ih);
    else
        snprintf(pos, sizeof pos, " %ld-%ld of %ld ", first + 1, first + ih,
                 t->total);
    int len = (int)strlen(pos);
    if (len + 4 <= p->r.w) {
        tui_chrome_set(p->win, TUI_C_NOTE);
        mvwaddstr(p->win, p->r.h - 1, p->r.w - len - 2, pos);
        tui_chrome_set(p->win, TUI_C_NORMAL);
    }
}

static void draw_hint(pane *p, int iw, int ih)
{
    static const char *lines[] = {
        "No plot here yet.",
        "`plot NAME` draws a stored result",
        "(path, map, fim, eig, data) here.",
    };
    int n = (int)(sizeof lines / sizeof lines[0]);
    tui_chrome_set(p->win, TUI_C_NOTE);
    for (int i = 0; i < n && i < ih; i++) {
        int len = tui_text_width(lines[i]);
        int x = len < iw ? (iw - len) / 2 : 0;
        size_t k = tui_text_fit(lines[i], iw, NULL);
        mvwaddnstr(p->win, 1 + (ih - n) / 2 + i, 1 + x, lines[i], (int)k);
    }
    tui_chrome_set(p->win, TUI_C_NORMAL);
}

static void draw_border(pane *p, int focused)
{
    tui_chrome_set(p->win, focused ? TUI_C_FOCUS : TUI_C_BORDER);
    tui_box(p->win);
    char title[OBJ_NAME_MAX + 200];
    int plot = p->kind == PANE_PLOT && p->has_req;
    if (p->live) {
        size_t done = 0, total = 0;
        if (p->live->it.type->progress)
            p->live->it.type->progress(p->live->it.state, &done, &total);
        snprintf(title, sizeof title, " %d plot: %s (computing %zu/%zu) ",
                 p->id, p->live->store_as ? p->live->store_as
                                          : p->live->what,
                 done, total);
    } else {
        snprintf(title, sizeof title, " %d %s%s%s%s%s%s ", p->id,
                 pane_kind_name(p->kind), p->subject[0] ? ": " : "",
                 p->subject, plot && p->outdated ? " (stale)" : "",
                 plot && p->origin[0] ? (tui_utf8() ? " \u2190 " : " <- ")
                                      : "",
                 plot ? p->origin : "");
    }
    int room = p->r.w - 4;
    if (room > 0) {
        if (!focused)
            tui_chrome_set(p->win, TUI_C_TITLE);
        else
            wattron(p->win, A_BOLD);
        size_t k = tui_text_fit(title, room, NULL);
        mvwaddnstr(p->win, 0, 2, title, (int)k);
    }
    tui_chrome_set(p->win, TUI_C_NORMAL);
}

void pane_draw(pane *p, session *s, int focused)
{
    if (!p->win)
        return;
    int iw = p->r.w - 2, ih = p->r.h - 2;
    if (p->kind == PANE_PLOT) {
        if (p->has_req || p->live) {
            int resized = !p->cv || p->cv->w != iw || p->cv->h != ih;
            if (p->outdated && p->cv && !p->live) { /* kept as drawn */
                if (resized)
                    werase(p->win);
            } else if (p->stale || resized) {
                pane_render(p, s, iw, ih);
            }
            if (p->cv)
                tui_draw_canvas(p->win, 1, 1, p->cv);
            else
                werase(p->win);
        } else {
            werase(p->win);
            draw_hint(p, iw, ih);
        }
    } else {
        werase(p->win);
        pane_text_draw(p->win, &p->text, 1, 1, iw, ih);
    }
    draw_border(p, focused);
    if (p->kind != PANE_PLOT)
        draw_position(p);
    p->dirty = 0;
}

int pane_key(pane *p, int key)
{
    if (p->kind == PANE_PLOT || !p->win)
        return PANE_IGNORED;
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

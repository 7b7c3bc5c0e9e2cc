/* The plot pane: draws a render request (what `plot` asked for) into a
 * canvas of its inner size, or the partial result of a job while it is
 * computed; the title says what it shows, which command made it and
 * when it no longer matches the session. */
#include "tui/pane.h"

#include "model/model.h"
#include "tui/draw.h"

#include <stdio.h>
#include <string.h>

static int plot_init(pane *p)
{
    render_request_init(&p->req);
    return 0;
}

static void plot_done(pane *p)
{
    canvas_free(p->cv);
    p->cv = NULL;
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
    ss_obj *o = name[0] ? session_find(s, name) : NULL;
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
    ss_obj *o = session_find(s, p->req.object);
    p->gen = o ? o->gen : 0;
    snprintf(p->origin, sizeof p->origin, "%s", o ? o->origin : "");
    /* a data set's picture uses the model it came from (its density) */
    p->dep[0] = 0;
    if (o && o->type == &obj_data)
        snprintf(p->dep, sizeof p->dep, "%s", ((dataset *)o->ptr)->from);
    p->dep_print = pane_model_print(s, p->dep);
    p->outdated = 0;
}

static int plot_outdated(pane *p, session *s)
{
    if (!p->has_req)
        return 0;
    ss_obj *o = session_find(s, p->req.object);
    int out = !o || o->gen != p->gen ||
              (p->dep[0] && pane_model_print(s, p->dep) != p->dep_print);
    int changed = out != p->outdated;
    p->outdated = out;
    return changed;
}

static ss_status plot_render(pane *p, session *s, int w, int h)
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

static void draw_hint(pane *p, int iw, int ih)
{
    static const char *lines[] = {
        "No plot here yet.",
        "`plot NAME` draws a stored result",
        "here; `list` shows the stored ones.",
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

static void plot_draw(pane *p, session *s, int iw, int ih)
{
    if (!p->has_req && !p->live) {
        werase(p->win);
        draw_hint(p, iw, ih);
        return;
    }
    int resized = !p->cv || p->cv->w != iw || p->cv->h != ih;
    if (p->outdated && p->cv && !p->live) { /* kept as drawn */
        if (resized)
            werase(p->win);
    } else if (p->stale || resized) {
        plot_render(p, s, iw, ih);
    }
    if (p->cv)
        tui_draw_canvas(p->win, 1, 1, p->cv);
    else
        werase(p->win);
}

static void plot_title(const pane *p, char *buf, size_t len)
{
    if (p->live) {
        size_t done = 0, total = 0;
        if (p->live->it.type->progress)
            p->live->it.type->progress(p->live->it.state, &done, &total);
        snprintf(buf, len, " %d %s: %s (computing %zu/%zu) ", p->id,
                 p->klass->name,
                 p->live->store_as ? p->live->store_as : p->live->what,
                 done, total);
        return;
    }
    int drawn = p->has_req;
    snprintf(buf, len, " %d %s%s%s%s%s%s ", p->id, p->klass->name,
             p->subject[0] ? ": " : "", p->subject,
             drawn && p->outdated ? " (stale)" : "",
             drawn && p->origin[0] ? (tui_utf8() ? " \u2190 " : " <- ") : "",
             drawn ? p->origin : "");
}

const pane_class pane_plot_class = {
    .name = "plot",
    .label = "plot",
    .plots = 1,
    .init = plot_init,
    .done = plot_done,
    .draw = plot_draw,
    .title = plot_title,
    .footer = NULL,
    .key = NULL,
    .render = plot_render,
    .outdated = plot_outdated,
};

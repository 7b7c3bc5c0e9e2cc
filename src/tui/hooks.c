/* Where the session meets the screen: output sinks into the log pane, the
 * session_ui hooks (`plot`, `layout`), the progress callback that keeps
 * the screen alive during long computations, and the information pane
 * that follows the current model. */
#include "tui/text.h"
#include "tui/tui_int.h"

#include "lang/interp.h"

#include <stdio.h>
#include <string.h>

void tui_log(tui *t, const char *text, size_t len, int style)
{
    pane *p = tui_pane(t, TUI_PANE_LOG);
    if (!p)
        return;
    tui_text_append(&p->text, text, len, style);
    p->dirty = 1;
}

static void out_write(void *ctx, const char *text, size_t len)
{
    tui_log(ctx, text, len, TEXT_NORMAL);
}

static void err_write(void *ctx, const char *text, size_t len)
{
    tui_log(ctx, text, len, TEXT_ERROR);
}

/* ---- session_ui ------------------------------------------------------ */

/* The panes of the layout that take plots. */
static int layout_plots(const tui *t, const int *ids, int n, int *plots)
{
    int k = 0;
    for (int i = 0; i < n; i++)
        if (tui_pane_class(ids[i])->plots)
            plots[k++] = ids[i];
    (void)t;
    return k;
}

/* pane: 0-based (`plot x in=N` passes N - 1: pane N of the titles), or
 * -1 for the focused plot pane. Only a pane of the layout is drawn into:
 * a plot nobody can see is refused. */
static ss_status hook_plot(session *s, const void *req, int index)
{
    tui *t = s->ui;
    pane *p = NULL;
    int id = index < 0 ? -1 : index + 1;
    int ids[TUI_MAX_SLOTS], plots[TUI_MAX_SLOTS];
    int n = tui_layout_panes(t, ids), np = layout_plots(t, ids, n, plots);
    char have[64], where[64];
    tui_pane_list(ids, n, have, sizeof have);
    tui_pane_list(plots, np, where, sizeof where);
    if (id < 0) { /* the focused plot pane, else the layout's first */
        p = t->panes[t->focus];
        if (!p || !p->klass->plots) {
            if (np == 0)
                return SS_FAIL(SS_ERR_USAGE,
                               "layout %s shows no plot pane (it shows "
                               "pane%s %s): choose one that does, such as "
                               "`layout 2x2`",
                               t->layout.spec, n > 1 ? "s" : "", have);
            p = tui_pane(t, plots[0]);
        }
    } else if (id >= 1 && id <= TUI_MAX_PANES) {
        p = tui_pane(t, id);
        if (p && !p->klass->plots)
            return SS_FAIL(SS_ERR_USAGE,
                           "pane %d is the %s pane: plots go to panes 1, 2 "
                           "and 5 to 9",
                           id, p->klass->label);
        int in = 0;
        for (int i = 0; i < n; i++)
            in |= ids[i] == id;
        if (p && !in) {
            if (np) { /* suggest the layout with the pane in a plot slot */
                char alt[64];
                size_t k = (size_t)snprintf(alt, sizeof alt, "%.*s:",
                                            (int)strcspn(t->layout.spec, ":"),
                                            t->layout.spec);
                for (int i = 0, done = 0; i < n && k < sizeof alt; i++) {
                    int put = ids[i];
                    if (!done && put == plots[np - 1]) {
                        put = id;
                        done = 1;
                    }
                    k += (size_t)snprintf(alt + k, sizeof alt - k, "%s%d",
                                          i ? "," : "", put);
                }
                return SS_FAIL(SS_ERR_USAGE,
                               "pane %d is not on screen: layout %s shows "
                               "pane%s %s (plots go to %s%s); `layout \"%s\"` "
                               "would show it",
                               id, t->layout.spec, n > 1 ? "s" : "", have,
                               np > 1 ? "" : "pane ", where, alt);
            }
            return SS_FAIL(SS_ERR_USAGE,
                           "pane %d is not on screen: layout %s shows "
                           "pane%s %s, none of them a plot pane",
                           id, t->layout.spec, n > 1 ? "s" : "", have);
        }
    } else {
        return SS_FAIL(SS_ERR_RANGE,
                       "no pane %d: panes are numbered 1 to %d (see the "
                       "titles)",
                       id, TUI_MAX_PANES);
    }
    if (!p)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory for a pane");
    /* Draw it now, so a request that cannot be drawn fails the command
     * and the pane keeps what it showed. */
    render_request old = p->req;
    int had = p->has_req;
    p->req = *(const render_request *)req;
    p->has_req = 1;
    int w = p->win ? p->r.w - 2 : 78, h = p->win ? p->r.h - 2 : 20;
    ss_status rc = pane_render(p, s, w, h);
    if (rc != SS_OK) {
        p->req = old;
        p->has_req = had;
        p->stale = 1;
        return rc;
    }
    snprintf(p->subject, sizeof p->subject, "%s", p->req.object);
    pane_note_drawn(p, s);
    p->dirty = 1;
    /* a `plot` after a job (in a script: before tui_after_command) is
     * what the pane shows, not the job's default picture */
    if (t->follow_pane == p->id)
        t->follow_pane = 0;
    p->stale = !p->win;
    if (t->zoom && t->focus != p->id) { /* the zoom moves to the plot */
        t->focus = p->id;
        t->need_layout = 1;
    }
    return SS_OK;
}

static ss_status hook_layout(session *s, const char *spec)
{
    tui *t = s->ui;
    tui_layout l;
    char err[200];
    if (tui_layout_parse(spec, &l, err, sizeof err) != 0)
        return SS_FAIL(SS_ERR_USAGE, "%s", err);
    t->layout = l;
    t->zoom = 0;
    t->need_layout = 1;
    /* the focus stays on screen: on its pane, else the first plot pane
     * of the layout, else its first pane */
    int ids[TUI_MAX_SLOTS], plots[TUI_MAX_SLOTS];
    int n = tui_layout_panes(t, ids), np = layout_plots(t, ids, n, plots);
    int in = 0;
    for (int i = 0; i < n; i++)
        in |= ids[i] == t->focus;
    if (!in)
        t->focus = np ? plots[0] : ids[0];
    for (int i = 0; i < n; i++)
        tui_pane(t, ids[i]);
    return SS_OK;
}

static const session_ui hooks = {hook_plot, hook_layout, tui_drive};

void tui_session_attach(tui *t)
{
    session *s = t->s;
    t->saved_out = s->out;
    t->saved_err = s->err;
    t->saved_progress = s->progress;
    t->saved_hooks = s->ui_hooks;
    t->saved_ui = s->ui;
    s->out.write = out_write;
    s->out.ctx = t;
    s->err.write = err_write;
    s->err.ctx = t;
    s->progress = tui_progress;
    s->ui_hooks = &hooks;
    s->ui = t;
}

void tui_session_detach(tui *t)
{
    session *s = t->s;
    s->out = t->saved_out;
    s->err = t->saved_err;
    s->progress = t->saved_progress;
    s->ui_hooks = t->saved_hooks;
    s->ui = t->saved_ui;
}

/* ---- progress -------------------------------------------------------- */

void tui_progress(session *s, const char *what, size_t done, size_t total)
{
    tui *t = s->ui;
    if (!t || t->polling)
        return;
    double now = tui_now();
    int finished = done >= total;
    if (!finished && t->prog_on && now - t->prog_last < 1.0 / TUI_POLL_HZ)
        return;
    t->polling = 1;
    t->prog_last = now;
    snprintf(t->prog_what, sizeof t->prog_what, "%s", what ? what : "");
    t->prog_done = done;
    t->prog_total = total;
    t->prog_on = !finished;
    tui_poll(t);
    tui_frame(t);
    t->polling = 0;
}

/* ---- the information pane -------------------------------------------- */

static void info_refresh(tui *t)
{
    session *s = t->s;
    pane *p = tui_pane(t, TUI_PANE_INFO);
    if (!p)
        return;
    tui_text_clear(&p->text);
    p->dirty = 1;
    snprintf(p->subject, sizeof p->subject, "%s", s->current);
    ss_obj *o = s->current[0] ? session_find(s, s->current) : NULL;
    if (!o || o->type != &obj_model) {
        static const char hint[] =
            "No current model. Make one, for example\n"
            "  model g gmm v=0.3 w1=0 w2=1.5\n"
            "and its parameters, singular sets and FIM spectrum show here.";
        if (s->current[0]) {
            char gone[OBJ_NAME_MAX + 40];
            int n = snprintf(gone, sizeof gone, "%s no longer exists.\n\n",
                             s->current);
            tui_text_append(&p->text, gone, (size_t)n, TEXT_NOTE);
        }
        tui_text_append(&p->text, hint, sizeof hint - 1, TEXT_NOTE);
        return;
    }
    /* `show` and `eig` through the one input path, into memory. */
    ss_membuf m = {0};
    ss_sink out = s->out, err = s->err;
    const char *file = s->file;
    int line = s->line, csv = s->csv;
    s->out = s->err = ss_sink_mem(&m);
    s->file = NULL;
    s->csv = 0;
    char cmd[OBJ_NAME_MAX + 8];
    snprintf(cmd, sizeof cmd, "show %s", s->current);
    interp_exec(s, cmd);
    ss_sink_puts(&s->out, "\n");
    snprintf(cmd, sizeof cmd, "eig %s", s->current);
    interp_exec(s, cmd);
    s->out = out;
    s->err = err;
    s->file = file;
    s->line = line;
    s->csv = csv;
    if (m.buf)
        tui_text_append(&p->text, m.buf, m.len, TEXT_NORMAL);
    ss_membuf_free(&m);
}

void tui_after_command(tui *t)
{
    session *s = t->s;
    if (t->follow_pane) { /* a job drawn live: now show what was stored */
        int id = t->follow_pane;
        t->follow_pane = 0;
        if (session_find(s, t->follow_name)) {
            render_request rq;
            render_request_init(&rq);
            snprintf(rq.object, sizeof rq.object, "%s", t->follow_name);
            if (hook_plot(s, &rq, id - 1) != SS_OK)
                ss_clear_error();
        }
    }
    if (s->generation == t->seen_gen &&
        strcmp(s->current, t->seen_current) == 0)
        return;
    /* A picture stays as `plot` drew it; when what it shows has been
     * replaced or its model changed since, its title says "(stale)". */
    for (int i = 1; i <= TUI_MAX_PANES; i++) {
        pane *p = t->panes[i];
        if (p && pane_check_outdated(p, s))
            p->dirty = 1;
    }
    info_refresh(t);
    t->seen_gen = s->generation; /* after our own show/eig */
    snprintf(t->seen_current, sizeof t->seen_current, "%s", s->current);
}

/* `plot` and `layout`: pictures of stored results. Outside the TUI a plot
 * is printed as text at the terminal's width; inside it goes to a pane. */
#include "lang/args.h"
#include "lang/commands.h"
#include "lang/render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* Width of the terminal on stdout, else $COLUMNS, else 80. */
static int terminal_width(void)
{
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
        return ws.ws_col;
    const char *cols = getenv("COLUMNS");
    int c = cols ? atoi(cols) : 0;
    return c >= 20 && c <= 1000 ? c : 80;
}

/* The picture options of `plot`. */
static ss_status render_options(const stmt *st, render_request *req)
{
    uint64_t w, h;
    ss_status rc = args_key_count(st, "width", 0, 20, 1000, &w);
    if (rc == SS_OK)
        rc = args_key_count(st, "height", 0, 6, 500, &h);
    const char *title = NULL;
    if (rc == SS_OK)
        rc = args_key_word(st, "title", NULL, &title);
    for (int k = 0; rc == SS_OK && k < 2; k++) {
        const char *key = k ? "logy" : "logx";
        const stmt_arg *a = args_key(st, key);
        if (!a)
            continue;
        int v = -1;
        if (a->v.kind == VAL_NUM && (a->v.num == 0 || a->v.num == 1))
            v = (int)a->v.num;
        else if (a->v.kind == VAL_IDENT && strcmp(a->v.str, "yes") == 0)
            v = 1;
        else if (a->v.kind == VAL_IDENT && strcmp(a->v.str, "no") == 0)
            v = 0;
        if (v < 0)
            rc = SS_FAIL_COL(SS_ERR_USAGE, a->v.col, "%s= takes yes or no",
                             key);
        if (k)
            req->logy = v;
        else
            req->logx = v;
    }
    if (rc != SS_OK)
        return rc;
    req->width = (int)w;
    req->height = (int)h;
    if (title)
        snprintf(req->title, sizeof req->title, "%s", title);
    for (size_t i = 0; i < args_npos(st); i++) {
        const stmt_arg *a = args_pos(st, i);
        if (i > 0 && a->v.kind == VAL_IDENT && strcmp(a->v.str, "ascii") == 0)
            req->ascii = 1;
        else if (i > 0)
            return SS_FAIL_COL(SS_ERR_USAGE, a->v.col,
                               "unexpected %s (the only flag is `ascii`)",
                               val_kind_name(a->v.kind));
    }
    return SS_OK;
}

/* Draw into a canvas of the request's size and print it as text. */
static ss_status render_text(session *s, render_request *req)
{
    int w = req->width ? req->width : terminal_width();
    int h = req->height ? req->height : (w * 3 / 10 < 16 ? 16 : w * 3 / 10);
    if (h > 60 && !req->height)
        h = 60;
    int ascii = req->ascii >= 0 ? req->ascii : render_want_ascii();
    canvas *c = canvas_alloc(w, h, ascii);
    if (!c)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    ss_status rc = render_object(s, req, c);
    if (rc == SS_OK)
        canvas_print(c, &s->out);
    canvas_free(c);
    return rc;
}

ss_status cmd_plot(session *s, const stmt *st)
{
    ss_status rc = args_check(st, 1, 2, "width height in title logx logy");
    const char *name;
    obj *o;
    if (rc == SS_OK)
        rc = args_object(s, st, &name, &o);
    if (rc != SS_OK)
        return rc;
    render_request req;
    render_request_init(&req);
    snprintf(req.object, sizeof req.object, "%s", name);
    rc = render_options(st, &req);
    if (rc != SS_OK)
        return rc;
    uint64_t pane;
    rc = args_key_count(st, "in", 0, 1, 16, &pane);
    if (rc != SS_OK)
        return rc;
    if (s->ui_hooks && s->ui_hooks->plot) {
        /* check it draws at all before handing it to a pane */
        canvas *probe = canvas_alloc(80, 24, 1);
        if (!probe)
            return SS_FAIL(SS_ERR_NOMEM, "out of memory");
        rc = render_object(s, &req, probe);
        canvas_free(probe);
        if (rc != SS_OK)
            return rc;
        return s->ui_hooks->plot(s, &req,
                                 args_key(st, "in") ? (int)pane - 1 : -1);
    }
    /* in= picks a pane of the full-screen UI; a script that uses it still
     * runs in batch mode, where every plot is printed */
    return render_text(s, &req);
}

ss_status cmd_layout(session *s, const stmt *st)
{
    ss_status rc = args_check(st, 1, 1, NULL);
    if (rc != SS_OK)
        return rc;
    const stmt_arg *a = args_pos(st, 0);
    char spec[32];
    if (a->v.kind == VAL_NUM && a->v.num >= 1 && a->v.num <= 9 &&
        a->v.num == (int)a->v.num)
        snprintf(spec, sizeof spec, "%d", (int)a->v.num);
    else if (a->v.kind == VAL_STR || a->v.kind == VAL_IDENT)
        snprintf(spec, sizeof spec, "%s", a->v.str);
    else
        return SS_FAIL_COL(SS_ERR_USAGE, a->v.col,
                           "layout takes 1, 2, 2x2, 1+2, ...");
    if (!s->ui_hooks || !s->ui_hooks->layout) {
        /* the same script runs in batch mode: nothing to arrange there */
        if (!s->csv)
            session_printf(s, "(layout %s arranges the panes of the "
                              "full-screen UI; nothing to do here)\n",
                           spec);
        return SS_OK;
    }
    rc = s->ui_hooks->layout(s, spec);
    if (rc != SS_OK && ss_last_error()->col == 0)
        ss_error_set_col(a->v.col);
    return rc;
}

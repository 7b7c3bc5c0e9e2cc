/* `plot` and `layout`: pictures of stored results. Outside the TUI a plot
 * is printed as text at the terminal's width; inside it goes to a pane. */
#include "lang/args.h"
#include "lang/commands.h"
#include "lang/render.h"
#include "lang/results.h"
#include "plot/palette.h"

#include <math.h>
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

static int word_in(const char *list, const char *w)
{
    size_t n = strlen(w);
    for (const char *p = list; (p = strstr(p, w)) != NULL; p += n)
        if ((p == list || p[-1] == ' ') && (p[n] == 0 || p[n] == ' '))
            return 1;
    return 0;
}

/* Refuse keys the picture does not use (logy= on a histogram would be
 * silently ignored otherwise). */
static ss_status check_keys(const ss_stmt *st, const obj_type *pk)
{
    for (size_t i = 0; i < st->nargs; i++) {
        const ss_stmt_arg *a = &st->args[i];
        if (!a->key || word_in("width height in title", a->key) ||
            word_in(pk->plot_keys, a->key))
            continue;
        return SS_FAIL_COL(SS_ERR_USAGE, a->key_col,
                           "%s= does not apply to %s (it takes width=, "
                           "height=, in=, title=%s%s)",
                           a->key, pk->picture, *pk->plot_keys ? " and " : "",
                           *pk->plot_keys ? pk->plot_keys : "");
    }
    return SS_OK;
}

/* The picture options of `plot`. */
static ss_status render_options(session *s, const ss_stmt *st,
                                const obj_type *pk, render_request *req)
{
    uint64_t w, h;
    /* the table's bounds, raised to the smallest size of this picture */
    ss_status rc = args_count_min(st, "width", (uint64_t)pk->min_w, &w);
    if (rc == SS_OK)
        rc = args_count_min(st, "height", (uint64_t)pk->min_h, &h);
    const ss_stmt_arg *ra = args_key(st, "range"); /* checked: LO < HI */
    if (rc == SS_OK && ra) {
        req->zmin = ra->v.lo;
        req->zmax = ra->v.hi;
    }
    const char *pal = NULL, *title = NULL;
    if (rc == SS_OK)
        rc = args_word(st, "palette", &pal);
    if (rc == SS_OK && args_key(st, "palette"))
        req->palette = palette_parse(pal);
    if (rc == SS_OK)
        rc = args_word(st, "title", &title);
    const char *ax = NULL, *ay = NULL;
    if (rc == SS_OK)
        rc = args_word(st, "x", &ax);
    if (rc == SS_OK)
        rc = args_word(st, "y", &ay);
    if (ax && args_key(st, "x")) /* the table's defaults are prose */
        snprintf(req->x, sizeof req->x, "%s", ax);
    if (ay && args_key(st, "y"))
        snprintf(req->y, sizeof req->y, "%s", ay);
    if (rc == SS_OK)
        rc = args_bool(st, "logx", &req->logx);
    if (rc == SS_OK)
        rc = args_bool(st, "logy", &req->logy);
    const char *col = NULL;
    uint64_t bins = 0;
    if (rc == SS_OK)
        rc = args_word(st, "col", &col);
    if (rc == SS_OK)
        rc = args_count(st, "bins", &bins);
    if (rc != SS_OK)
        return rc;
    if (col) {
        snprintf(req->col, sizeof req->col, "%s", col);
        req->col_col = args_key(st, "col")->v.col;
    }
    req->bins = (int)bins;
    req->width = (int)w;
    req->height = (int)h;
    if (title)
        snprintf(req->title, sizeof req->title, "%s", title);
    for (size_t i = 0; i < args_npos(st); i++) {
        const ss_stmt_arg *a = args_pos(st, i);
        if (i > 0 && a->v.kind == VAL_IDENT && strcmp(a->v.str, "ascii") == 0)
            req->ascii = 1;
        else if (i > 0 && a->v.kind == VAL_IDENT && pk->overlay > 1) {
            /* plot A B ..: more objects of the same kind drawn over A */
            ss_obj *o = session_find(s, a->v.str);
            if (!o || o->type != pk)
                return SS_FAIL_COL(SS_ERR_NAME, a->v.col,
                                   "%s: no %s of that name to draw with %s",
                                   a->v.str, pk->name, req->object);
            if (req->nmore + 1 >= pk->overlay ||
                req->nmore >= RENDER_MAX_MORE)
                return SS_FAIL_COL(SS_ERR_USAGE, a->v.col,
                                   "at most %d %ss in one picture",
                                   pk->overlay < RENDER_MAX_MORE + 1
                                       ? pk->overlay
                                       : RENDER_MAX_MORE + 1,
                                   pk->name);
            snprintf(req->more[req->nmore++], OBJ_NAME_MAX, "%s", a->v.str);
        } else if (i > 0)
            return SS_FAIL_COL(SS_ERR_USAGE, a->v.col,
                               "unexpected %s (the only flag is "
                               "`ascii`%s%s%s)",
                               val_kind_name(a->v.kind),
                               pk->overlay > 1 ? "; more names are " : "",
                               pk->overlay > 1 ? pk->name : "",
                               pk->overlay > 1 ? "s to overlay" : "");
    }
    return SS_OK;
}

/* Colours for text output: only on a terminal (the line REPL, a batch run
 * on a terminal), never into a pipe or a file, nor with NO_COLOR or
 * TERM=dumb; 256 colours when TERM says so, else 8. */
static int color_depth(const session *s)
{
    ss_sink so = ss_sink_file(stdout);
    if (s->csv || s->out.write != so.write || s->out.ctx != so.ctx ||
        !isatty(STDOUT_FILENO) || palette_no_color())
        return 0;
    const char *term = getenv("TERM");
    if (!term || !*term || strcmp(term, "dumb") == 0)
        return 0;
    const char *ct = getenv("COLORTERM");
    return strstr(term, "256") || (ct && *ct) ? 256 : 8;
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
    int depth = color_depth(s);
    if (rc == SS_OK && depth && !ascii)
        canvas_print_ansi(c, &s->out, depth);
    else if (rc == SS_OK)
        canvas_print(c, &s->out);
    canvas_free(c);
    return rc;
}

ss_status cmd_plot(session *s, const ss_stmt *st)
{
    ss_status rc = args_check_opts(st, 1, 2 + RENDER_MAX_MORE);
    const char *name;
    ss_obj *o;
    if (rc == SS_OK)
        rc = args_object(s, st, &name, &o);
    if (rc != SS_OK)
        return rc;
    const obj_type *pk = o->type;
    if (!pk->draw)
        return SS_FAIL_COL(SS_ERR_USAGE, args_pos(st, 0)->v.col,
                           "nothing to draw for a %s: plot a path, map, "
                           "spectrum (eig ... as E), FIM (fim ... as F) or "
                           "data set",
                           o->type->name);
    if ((rc = check_keys(st, pk)) != SS_OK)
        return rc;
    render_request req;
    render_request_init(&req);
    snprintf(req.object, sizeof req.object, "%s", name);
    rc = render_options(s, st, pk, &req);
    if (rc != SS_OK)
        return rc;
    uint64_t pane;
    rc = args_count(st, "in", &pane);
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

ss_status cmd_layout(session *s, const ss_stmt *st)
{
    ss_status rc = args_check(st, 1, 1, NULL);
    if (rc != SS_OK)
        return rc;
    const ss_stmt_arg *a = args_pos(st, 0);
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

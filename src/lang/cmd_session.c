/* Commands about the session itself: output, seeds, scripts, help. */
#include "lang/args.h"
#include "lang/commands.h"
#include "lang/interp.h"

#include "core/table.h"
#include "model/model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

ss_status cmd_format(session *s, const stmt *st)
{
    ss_status rc = args_check(st, 1, 1, NULL);
    if (rc != SS_OK)
        return rc;
    const stmt_arg *a = args_pos(st, 0);
    if (a->v.kind != VAL_IDENT && a->v.kind != VAL_STR)
        return SS_FAIL_COL(SS_ERR_USAGE, a->v.col, "format takes text or csv");
    const char *f = a->v.str;
    if (strcmp(f, "text") == 0)
        s->csv = 0;
    else if (strcmp(f, "csv") == 0)
        s->csv = 1;
    else
        return SS_FAIL_COL(SS_ERR_USAGE, args_pos(st, 0)->v.col,
                           "unknown format '%s' (text or csv)", f);
    return SS_OK;
}

ss_status cmd_seed(session *s, const stmt *st)
{
    ss_status rc = args_check(st, 1, 1, NULL);
    if (rc != SS_OK)
        return rc;
    const stmt_arg *a = args_pos(st, 0);
    double v = a->v.num;
    /* Range first: converting an out-of-range double is undefined. */
    if (a->v.kind != VAL_NUM || !(v >= 0 && v <= 9007199254740992.0) ||
        v != floor(v))
        return SS_FAIL_COL(SS_ERR_USAGE, a->v.col,
                           "seed needs a whole number from 0 to 2^53");
    session_reseed(s, (uint64_t)v);
    return SS_OK;
}

static int is_file(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

ss_status cmd_source(session *s, const stmt *st)
{
    ss_status rc = args_check(st, 1, 1, NULL);
    if (rc != SS_OK)
        return rc;
    const stmt_arg *a = args_pos(st, 0);
    if (a->v.kind != VAL_STR && a->v.kind != VAL_IDENT)
        return SS_FAIL_COL(SS_ERR_USAGE, a->v.col, "source needs a file name");
    const char *path = a->v.str;
    char buf[4096];
    /* Relative to the script doing the sourcing, so scenario folders can be
     * run from anywhere (and from a read-only srcdir under distcheck). */
    if (path[0] != '/' && s->file && strchr(s->file, '/')) {
        const char *slash = strrchr(s->file, '/');
        snprintf(buf, sizeof buf, "%.*s/%s", (int)(slash - s->file),
                 s->file, path);
        if (is_file(buf))
            path = buf;
    }
    if (!is_file(path) && is_file(a->v.str))
        path = a->v.str;
    if (!is_file(path)) {
        struct stat sb;
        if (stat(path, &sb) == 0)
            return SS_FAIL_COL(SS_ERR_IO, a->v.col, "'%s' is not a file",
                               a->v.str);
        return SS_FAIL_COL(SS_ERR_IO, a->v.col, "cannot open '%s': no such "
                                                "file",
                           a->v.str);
    }
    rc = interp_run_file(s, path);
    if (rc == SS_ERR_LIMIT && ss_last_error()->col == 0)
        ss_error_set_col(a->v.col);
    return rc;
}

/* Print help text: lines that start with a space (examples, lists) as
 * they are, other lines word-wrapped to fit 78 columns. */
static void wrap(session *s, const char *text)
{
    const int width = 78;
    const char *line = text;
    while (*line) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (line[0] == ' ' || (int)len <= width) {
            session_printf(s, "%.*s\n", (int)len, line);
        } else {
            int col = 0;
            const char *p = line, *stop = line + len;
            while (p < stop) {
                while (p < stop && *p == ' ')
                    p++;
                const char *w = p;
                while (p < stop && *p != ' ')
                    p++;
                int wl = (int)(p - w);
                if (wl == 0)
                    break;
                if (col > 0 && col + 1 + wl > width) {
                    session_printf(s, "\n");
                    col = 0;
                }
                session_printf(s, "%s%.*s", col ? " " : "", wl, w);
                col += (col ? 1 : 0) + wl;
            }
            session_printf(s, "\n");
        }
        line += len;
        if (*line == '\n')
            line++;
    }
}

ss_status cmd_help(session *s, const stmt *st)
{
    ss_status rc = args_check(st, 0, 1, NULL);
    if (rc != SS_OK)
        return rc;
    const stmt_arg *a = args_pos(st, 0);
    if (!a) {
        size_t n;
        const cmd_def *t = cmd_table(&n);
        tbl *tb = tbl_alloc(2);
        for (size_t i = 0; i < n; i++) {
            tbl_row(tb);
            tbl_str(tb, 0, t[i].name);
            tbl_str(tb, 1, t[i].summary);
        }
        session_printf(s, "Commands (`help COMMAND` for details, `models` "
                          "for model kinds):\n");
        tbl_print(tb, &s->out, 0, 2);
        tbl_free(tb);
        return SS_OK;
    }
    if (a->v.kind != VAL_IDENT)
        return SS_FAIL_COL(SS_ERR_USAGE, a->v.col,
                           "help takes a command or model kind name");
    const cmd_def *c = cmd_find(a->v.str);
    if (c) {
        session_printf(s, "usage: %s\n%s.\n\n", c->usage, c->summary);
        wrap(s, c->help);
        return SS_OK;
    }
    const model_type *t = model_type_find(a->v.str);
    if (t) {
        session_printf(s, "model kind %s: %s\n\n", t->name, t->summary);
        wrap(s, t->help);
        session_printf(s, "\nparameters: %s\n", t->param_summary);
        for (size_t o = 0; o < t->nopts; o++)
            session_printf(s, "option %s: %s\n", t->opts[o].name,
                           t->opts[o].help);
        return SS_OK;
    }
    const char *near = cmd_suggest(a->v.str);
    if (near)
        return SS_FAIL_COL(SS_ERR_NAME, a->v.col,
                           "no command or model kind '%s'; did you mean "
                           "'%s'?",
                           a->v.str, near);
    return SS_FAIL_COL(SS_ERR_NAME, a->v.col,
                       "no command or model kind '%s'", a->v.str);
}

ss_status cmd_quit(session *s, const stmt *st)
{
    ss_status rc = args_check(st, 0, 0, NULL);
    if (rc == SS_OK)
        s->quit = 1;
    return rc;
}

ss_status cmd_list(session *s, const stmt *st)
{
    ss_status rc = args_check(st, 0, 0, NULL);
    if (rc != SS_OK)
        return rc;
    if (s->nobjs == 0 && !s->csv) {
        session_printf(s, "no objects yet (create a model with `model NAME "
                          "KIND`)\n");
        return SS_OK;
    }
    tbl *t = tbl_alloc(3);
    tbl_header(t, 0, "name");
    tbl_header(t, 1, "kind");
    tbl_header(t, 2, "made by");
    for (size_t i = 0; i < s->nobjs; i++) {
        tbl_row(t);
        tbl_str(t, 0, s->objs[i].name);
        tbl_str(t, 1, s->objs[i].type->name);
        tbl_str(t, 2, s->objs[i].origin);
    }
    tbl_print(t, &s->out, s->csv, 0);
    tbl_free(t);
    return SS_OK;
}

ss_status cmd_delete(session *s, const stmt *st)
{
    ss_status rc = args_check(st, 1, 64, NULL);
    if (rc != SS_OK)
        return rc;
    /* Check every name first so a typo deletes nothing. */
    for (size_t i = 0; i < args_npos(st); i++) {
        const stmt_arg *a = args_pos(st, i);
        if (a->v.kind != VAL_IDENT)
            return SS_FAIL_COL(SS_ERR_USAGE, a->v.col,
                               "delete takes object names, found a %s",
                               val_kind_name(a->v.kind));
        if (!session_find(s, a->v.str))
            return SS_FAIL_COL(SS_ERR_NAME, a->v.col, "no object named '%s'",
                               a->v.str);
    }
    for (size_t i = 0; i < args_npos(st); i++)
        session_remove(s, args_pos(st, i)->v.str);
    return SS_OK;
}

ss_status cmd_echo(session *s, const stmt *st)
{
    for (size_t i = 0; i < st->nargs; i++) {
        const stmt_arg *a = &st->args[i];
        if (i)
            ss_sink_puts(&s->out, " ");
        if (a->key)
            session_printf(s, "%s=", a->key);
        switch (a->v.kind) {
        case VAL_NUM: session_printf(s, "%.12g", a->v.num); break;
        case VAL_RANGE:
            session_printf(s, "%.12g..%.12g", a->v.lo, a->v.hi);
            break;
        case VAL_VEC:
            ss_sink_puts(&s->out, "[");
            for (size_t k = 0; k < a->v.n; k++)
                session_printf(s, "%s%.12g", k ? ", " : "", a->v.vec[k]);
            ss_sink_puts(&s->out, "]");
            break;
        case VAL_AXIS:
            session_printf(s, "%s:%.12g..%.12g", a->v.str, a->v.lo, a->v.hi);
            break;
        default: ss_sink_puts(&s->out, a->v.str); break;
        }
    }
    if (st->as_name)
        session_printf(s, "%sas %s", st->nargs ? " " : "", st->as_name);
    ss_sink_puts(&s->out, "\n");
    return SS_OK;
}

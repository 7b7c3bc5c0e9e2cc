/* `export OBJECT FILE`: any stored object to a file, atomically (a
 * temporary file in the same directory renamed over the target), so a
 * reader never sees half a file and a failure leaves the old one intact. */
#include "lang/args.h"
#include "lang/commands.h"

#include "core/table.h"
#include "model/model.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static void write_model(session *s, const obj *o)
{
    const model *m = o->ptr;
    tbl *t = tbl_alloc(5);
    tbl_header(t, 0, "param");
    tbl_header(t, 1, "value");
    tbl_header(t, 2, "free");
    tbl_header(t, 3, "lo");
    tbl_header(t, 4, "hi");
    for (size_t i = 0; i < m->P; i++) {
        tbl_row(t);
        tbl_str(t, 0, m->params[i].name);
        tbl_num(t, 1, m->theta[i]);
        tbl_str(t, 2, m->is_free[i] ? "yes" : "fixed");
        tbl_num(t, 3, m->params[i].lo);
        tbl_num(t, 4, m->params[i].hi);
    }
    tbl_print(t, &s->out, s->csv, 0);
    tbl_free(t);
}

ss_status cmd_export(session *s, const stmt *st)
{
    ss_status rc = args_check(st, 2, 3, "format width height");
    const char *name;
    obj *o;
    if (rc == SS_OK)
        rc = args_object(s, st, &name, &o);
    if (rc != SS_OK)
        return rc;
    const stmt_arg *fa = args_pos(st, 1);
    const stmt_arg *flag = args_pos(st, 2);
    if (flag && (flag->v.kind != VAL_IDENT || strcmp(flag->v.str, "ascii")))
        return SS_FAIL_COL(SS_ERR_USAGE, flag->v.col,
                           "unexpected %s (the only flag is `ascii`)",
                           val_kind_name(flag->v.kind));
    if (fa->v.kind != VAL_STR && fa->v.kind != VAL_IDENT)
        return SS_FAIL_COL(SS_ERR_USAGE, fa->v.col, "export needs a file "
                                                    "name");
    const char *path = fa->v.str;
    const char *fmt;
    int drawable = o->type != &obj_model;
    rc = args_key_word(st, "format",
                       ends_with(path, ".csv")                ? "csv"
                       : ends_with(path, ".txt") && drawable ? "picture"
                                                              : "text",
                       &fmt);
    if (rc != SS_OK)
        return rc;
    int csv = strcmp(fmt, "csv") == 0;
    int picture = strcmp(fmt, "picture") == 0;
    if (!csv && !picture && strcmp(fmt, "text") != 0)
        return SS_FAIL_COL(SS_ERR_USAGE, args_key(st, "format")->v.col,
                           "format= takes csv, text or picture");
    if (picture && !drawable)
        return SS_FAIL_COL(SS_ERR_USAGE, args_key(st, "format")
                                             ? args_key(st, "format")->v.col
                                             : fa->v.col,
                           "a model has no picture; export it as text or "
                           "csv");
    render_request req;
    render_request_init(&req);
    canvas *pic = NULL; /* the picture, drawn once */
    snprintf(req.object, sizeof req.object, "%s", name);
    if (picture) {
        uint64_t w, h;
        rc = args_key_count(st, "width", 80, 20, 1000, &w);
        if (rc == SS_OK)
            rc = args_key_count(st, "height", 24, 6, 500, &h);
        if (rc != SS_OK)
            return rc;
        req.width = (int)w;
        req.height = (int)h;
        req.ascii = flag ? 1 : 0;
        /* draw first: a failure must not leave a file behind */
        pic = canvas_alloc(req.width, req.height, req.ascii);
        if (!pic)
            return SS_FAIL(SS_ERR_NOMEM, "out of memory");
        rc = render_object(s, &req, pic);
        if (rc != SS_OK) {
            canvas_free(pic);
            return rc;
        }
    } else if (args_key(st, "width") || args_key(st, "height") || flag) {
        return SS_FAIL_COL(SS_ERR_USAGE, fa->v.col,
                           "width=, height= and ascii apply to pictures "
                           "(.txt or format=picture)");
    }

    size_t plen = strlen(path);
    char *tmp = malloc(plen + 16);
    if (!tmp) {
        canvas_free(pic);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    snprintf(tmp, plen + 16, "%s.tmpXXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        rc = SS_FAIL_COL(SS_ERR_IO, fa->v.col, "cannot write '%s': %s", path,
                         strerror(errno));
        free(tmp);
        canvas_free(pic);
        return rc;
    }
    FILE *f = fdopen(fd, "w");
    if (!f) {
        canvas_free(pic);
        close(fd);
        unlink(tmp);
        free(tmp);
        return SS_FAIL_COL(SS_ERR_IO, fa->v.col, "cannot write '%s'", path);
    }
    /* Print through the normal printers into the file. */
    ss_sink save_out = s->out;
    int save_csv = s->csv;
    s->out = ss_sink_file(f);
    s->csv = csv;
    if (picture)
        canvas_print(pic, &s->out);
    else if (o->type == &obj_model)
        write_model(s, o);
    else if (o->type == &obj_data)
        cmd_print_data_rows(s, o);
    else
        cmd_print_object(s, o);
    canvas_free(pic);
    s->out = save_out;
    s->csv = save_csv;
    int werr = ferror(f);
    if (fclose(f) != 0 || werr) {
        unlink(tmp);
        free(tmp);
        return SS_FAIL_COL(SS_ERR_IO, fa->v.col, "writing '%s' failed", path);
    }
    if (rename(tmp, path) != 0) {
        rc = SS_FAIL_COL(SS_ERR_IO, fa->v.col, "cannot replace '%s': %s",
                         path, strerror(errno));
        unlink(tmp);
        free(tmp);
        return rc;
    }
    free(tmp);
    if (!s->csv)
        session_printf(s, "wrote %s (%s, %s)\n", path, o->type->name,
                       csv ? "csv" : picture ? "picture" : "text");
    return SS_OK;
}

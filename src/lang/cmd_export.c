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
    ss_status rc = args_check(st, 2, 2, "format");
    const char *name;
    if (rc == SS_OK)
        rc = args_name(st, 0, "an object name", &name);
    if (rc != SS_OK)
        return rc;
    void *p;
    rc = session_get(s, name, NULL, args_pos(st, 0)->v.col, &p);
    if (rc != SS_OK)
        return rc;
    const obj *o = session_find(s, name);
    const stmt_arg *fa = args_pos(st, 1);
    if (fa->v.kind != VAL_STR && fa->v.kind != VAL_IDENT)
        return SS_FAIL_COL(SS_ERR_USAGE, fa->v.col, "export needs a file "
                                                    "name");
    const char *path = fa->v.str;
    const char *fmt;
    rc = args_key_word(st, "format", ends_with(path, ".csv") ? "csv" : "text",
                       &fmt);
    if (rc != SS_OK)
        return rc;
    int csv = strcmp(fmt, "csv") == 0;
    if (!csv && strcmp(fmt, "text") != 0)
        return SS_FAIL_COL(SS_ERR_USAGE, args_key(st, "format")->v.col,
                           "format= takes text or csv");

    size_t plen = strlen(path);
    char *tmp = malloc(plen + 16);
    if (!tmp)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    snprintf(tmp, plen + 16, "%s.tmpXXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        rc = SS_FAIL_COL(SS_ERR_IO, fa->v.col, "cannot write '%s': %s", path,
                         strerror(errno));
        free(tmp);
        return rc;
    }
    FILE *f = fdopen(fd, "w");
    if (!f) {
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
    if (o->type == &obj_model)
        write_model(s, o);
    else if (o->type == &obj_data)
        cmd_print_data_rows(s, o);
    else
        cmd_print_object(s, o);
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
                       csv ? "csv" : "text");
    return SS_OK;
}

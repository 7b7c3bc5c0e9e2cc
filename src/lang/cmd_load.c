/* Users' own data: `load FILE.csv [cols=...] as DATA` reads a CSV file
 * (core/csvread.h) into a data set, and `loglik MODEL data=D` is the
 * log-likelihood of a data set at a model's current parameters. */
#include "lang/args.h"
#include "lang/commands.h"

#include "core/csvread.h"
#include "core/table.h"
#include "model/model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Copy a name into a data set's 32-byte column name, cut at a UTF-8
 * character boundary when longer. */
static void copy_colname(char *dst, size_t n, const char *src)
{
    size_t len = strlen(src);
    if (len >= n) {
        len = n - 1;
        while (len > 0 && ((unsigned char)src[len] & 0xC0) == 0x80)
            len--;
    }
    memcpy(dst, src, len);
    dst[len] = 0;
}

/* cols= as a selection: [name, ...] (a header's names), [K, ...] (1-based
 * positions), or one name or position. The arrays point into the
 * statement or into idx (at most nidx). */
static ss_status read_cols(const ss_stmt *st, csv_select *sel, size_t *idx,
                           size_t nidx, const char **one)
{
    const ss_stmt_arg *a = args_key(st, "cols");
    if (!a)
        return SS_OK;
    const ss_val *v = &a->v;
    if (v->kind == VAL_NAMES) {
        sel->names = (const char *const *)v->names;
        sel->nnames = v->n;
        return SS_OK;
    }
    if (v->kind == VAL_IDENT || v->kind == VAL_STR) {
        *one = v->str;
        sel->names = one;
        sel->nnames = 1;
        return SS_OK;
    }
    const double *x = v->kind == VAL_VEC ? v->vec : &v->num;
    size_t n = v->kind == VAL_VEC ? v->n : 1;
    if (n > nidx)
        return SS_FAIL_COL(SS_ERR_LIMIT, v->col,
                           "cols= chooses at most %zu columns", nidx);
    for (size_t i = 0; i < n; i++)
        idx[i] = (size_t)x[i];
    sel->index = idx;
    sel->nindex = n;
    return SS_OK;
}

#define LOAD_MAX_COLS 4096

ss_status cmd_load(session *s, const ss_stmt *st)
{
    ss_status rc = args_check_opts(st, 1, 1);
    if (rc != SS_OK)
        return rc;
    const ss_stmt_arg *fa = args_pos(st, 0);
    if (fa->v.kind != VAL_STR && fa->v.kind != VAL_IDENT)
        return SS_FAIL_COL(SS_ERR_USAGE, fa->v.col,
                           "load needs a file name, not a %s",
                           val_kind_name(fa->v.kind));
    rc = session_check_name(s, st->as_name, &obj_data, st->as_col);
    if (rc != SS_OK)
        return rc;
    const char *path = fa->v.str, *one = NULL;
    size_t *idx = malloc(LOAD_MAX_COLS * sizeof *idx);
    if (!idx)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    csv_select sel = {.max_values = DATASET_MAX_BYTES / sizeof(double)};
    rc = read_cols(st, &sel, idx, LOAD_MAX_COLS, &one);
    csv_reader *r = NULL;
    if (rc == SS_OK)
        rc = csv_reader_open(path, &sel, &r);
    free(idx);
    if (rc != SS_OK && !r && args_key(st, "cols") &&
        ss_last_error()->code != SS_ERR_IO)
        ss_error_set_col(args_key(st, "cols")->v.col);
    if (rc != SS_OK) {
        ss_error_set_col(fa->v.col);
        return rc;
    }
    session_job job = {.it = {&csv_reader_iter, r}, .what = "load"};
    rc = session_drive(s, &job);
    if (rc == SS_ERR_INTERRUPTED)
        rc = SS_FAIL(SS_ERR_INTERRUPTED,
                     "load interrupted at line %zu of %s: nothing was "
                     "stored",
                     csv_reader_lines(r), path);
    gsl_matrix *X = NULL;
    if (rc == SS_OK)
        rc = csv_reader_take(r, &X);
    size_t cols = csv_reader_ncols(r);
    dataset *d = NULL;
    if (rc == SS_OK) {
        d = calloc(1, sizeof *d);
        if (d) {
            d->X = X;
            d->colnames = calloc(cols, sizeof *d->colnames);
            d->file = strdup(path);
        }
        if (!d || !d->colnames || !d->file) {
            if (d)
                dataset_free(d);
            else
                gsl_matrix_free(X);
            d = NULL;
            rc = SS_FAIL(SS_ERR_NOMEM, "out of memory");
        }
    }
    if (rc != SS_OK) {
        csv_reader_free(r);
        ss_error_set_col(fa->v.col);
        return rc;
    }
    for (size_t c = 0; c < cols; c++)
        copy_colname(d->colnames[c], sizeof d->colnames[c],
                     csv_reader_colname(r, c));
    int header = csv_reader_has_header(r);
    char sep = csv_reader_separator(r);
    csv_reader_free(r);
    char origin[160];
    args_origin(st, origin, sizeof origin);
    rc = session_put(s, st->as_name, &obj_data, d, origin);
    if (rc != SS_OK || s->csv)
        return rc;
    session_printf(s, "%s: %zu rows of %zu column%s (", st->as_name,
                   X->size1, cols, cols == 1 ? "" : "s");
    for (size_t c = 0; c < cols; c++)
        session_printf(s, "%s%s", c ? ", " : "", d->colnames[c]);
    session_printf(s, ") from %s; %s, separated by %s\n", path,
                   header ? "a header" : "no header",
                   sep == '\t' ? "tabs" : sep == ';' ? "';'" : "','");
    return SS_OK;
}

/* The columns a model's data have, for messages: "x1, x2, y". */
static void model_columns(const model *m, char *buf, size_t n)
{
    size_t len = 0, cols = m->type->data_cols(m);
    buf[0] = 0;
    for (size_t c = 0; c < cols && len + 1 < n; c++) {
        char nm[32];
        m->type->data_colname(m, c, nm, sizeof nm);
        int w = snprintf(buf + len, n - len, "%s%s", c ? ", " : "", nm);
        if (w < 0)
            break;
        len += (size_t)w;
    }
}

ss_status cmd_loglik(session *s, const ss_stmt *st)
{
    ss_status rc = args_check_opts(st, 1, 1);
    const char *name;
    model *m;
    if (rc == SS_OK)
        rc = args_model(s, st, &name, &m);
    if (rc != SS_OK)
        return rc;
    const ss_stmt_arg *da = args_key(st, "data");
    dataset *d;
    rc = session_get(s, da->v.str, &obj_data, da->v.col, (void **)&d);
    if (rc != SS_OK)
        return rc;
    size_t cols = m->type->data_cols(m);
    if (d->X->size2 != cols) {
        char want[256];
        model_columns(m, want, sizeof want);
        return SS_FAIL_COL(SS_ERR_USAGE, da->v.col,
                           "the data set %s has %zu column%s, but %s (%s) "
                           "takes %zu (%s)",
                           da->v.str, d->X->size2,
                           d->X->size2 == 1 ? "" : "s", name, m->type->name,
                           cols, want);
    }
    double ell;
    rc = model_loglik_grad(m, m->theta, d->X, &ell, NULL);
    if (rc != SS_OK) {
        if (ss_last_error()->col == 0)
            ss_error_set_col(st->verb_col);
        return rc;
    }
    size_t n = d->X->size1;
    if (s->csv) {
        tbl *t = tbl_alloc(5);
        const char *h[] = {"model", "data", "loglik", "n", "mean"};
        for (size_t j = 0; j < 5; j++)
            tbl_header(t, j, h[j]);
        tbl_row(t);
        tbl_str(t, 0, name);
        tbl_str(t, 1, da->v.str);
        tbl_num(t, 2, ell);
        tbl_num(t, 3, (double)n);
        tbl_num(t, 4, ell / (double)n);
        tbl_print(t, &s->out, 1, 0);
        tbl_free(t);
        return SS_OK;
    }
    char v[64], mean[64];
    tbl_format_num(v, sizeof v, ell, 0);
    tbl_format_num(mean, sizeof mean, ell / (double)n, 0);
    session_printf(s, "loglik = %s  (%s on %s: n = %zu, %s per "
                      "observation)\n",
                   v, name, da->v.str, n, mean);
    return SS_OK;
}

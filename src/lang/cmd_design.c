/* `design D size=[..] times=[[..], ..] dose=[..] [groups=G]`: a population
 * design (design/popdesign.h) stored as an object for `fim ... design=D`
 * and `optimize`. Every list may have one entry for all groups. */
#include "lang/commands.h"
#include "lang/results.h"

#include "design/popdesign.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A value as rows: [[..], [..]] as they are, [..] or a number as one row. */
static void as_rows(const ss_val *v, const double **x, const size_t **len,
                    size_t *nrows, size_t *one)
{
    if (v->kind == VAL_ROWS) {
        *x = v->vec;
        *len = v->rowlen;
        *nrows = v->nrows;
        return;
    }
    *one = v->kind == VAL_VEC ? v->n : 1;
    *x = v->kind == VAL_VEC ? v->vec : &v->num;
    *len = one;
    *nrows = 1;
}

/* A per-group list: a number or [..] of 1 or G entries (not rows). */
static ss_status group_list(const ss_stmt *st, const char *key, size_t G,
                            double def, double *out)
{
    const ss_stmt_arg *a = args_key(st, key);
    if (!a) {
        for (size_t j = 0; j < G; j++)
            out[j] = def;
        return SS_OK;
    }
    const ss_val *v = &a->v;
    if (v->kind != VAL_NUM && v->kind != VAL_VEC)
        return SS_FAIL_COL(SS_ERR_USAGE, v->col,
                           "%s= takes a number or a list [..] with one "
                           "entry per group",
                           key);
    size_t n = v->kind == VAL_VEC ? v->n : 1;
    const double *x = v->kind == VAL_VEC ? v->vec : &v->num;
    if (n != 1 && n != G)
        return SS_FAIL_COL(SS_ERR_USAGE, v->col,
                           "%s= has %zu entries for %zu groups (give one "
                           "for all, or one per group)",
                           key, n, G);
    for (size_t j = 0; j < G; j++)
        out[j] = x[n == 1 ? 0 : j];
    return SS_OK;
}

ss_status cmd_design(session *s, const ss_stmt *st)
{
    ss_status rc = args_check_opts(st, 1, 1);
    const char *name;
    if (rc == SS_OK)
        rc = args_name(st, 0, "a design name", &name);
    if (rc == SS_OK)
        rc = session_check_name(s, name, &obj_design,
                                args_pos(st, 0)->v.col);
    if (rc != SS_OK)
        return rc;
    const ss_stmt_arg *ta = args_key(st, "times");
    if (!ta)
        return SS_FAIL_COL(SS_ERR_USAGE, st->verb_col,
                           "design needs times=[[t1, t2, ..], ..], the "
                           "sampling times of each group");
    const ss_val *tv = &ta->v;
    if (tv->kind != VAL_ROWS && tv->kind != VAL_VEC && tv->kind != VAL_NUM)
        return SS_FAIL_COL(SS_ERR_USAGE, tv->col,
                           "times= takes [[t1, t2, ..], ..] (one list of "
                           "times per group) or [t1, t2, ..] (one group)");
    const double *tx;
    const size_t *tlen;
    size_t trows, one = 0;
    as_rows(tv, &tx, &tlen, &trows, &one);
    /* the number of groups: groups=, else the longest per-group list */
    size_t G = trows;
    const ss_stmt_arg *ga = args_key(st, "groups"), *gkey = ta;
    const char *keys[2] = {"size", "dose"};
    for (int k = 0; k < 2; k++) {
        const ss_stmt_arg *a = args_key(st, keys[k]);
        if (a && a->v.kind == VAL_VEC && a->v.n > G) {
            G = a->v.n;
            gkey = a;
        }
    }
    if (ga) {
        uint64_t g;
        if ((rc = args_count(st, "groups", &g)) != SS_OK)
            return rc;
        if (G > 1 && G != g)
            return SS_FAIL_COL(SS_ERR_USAGE, ga->v.col,
                               "groups=%llu, but the lists describe %zu "
                               "groups",
                               (unsigned long long)g, G);
        G = (size_t)g;
    }
    if (G > PD_MAX_GROUPS)
        return SS_FAIL_COL(SS_ERR_LIMIT, st->verb_col, "at most %d groups",
                           PD_MAX_GROUPS);
    if (trows != 1 && trows != G)
        return SS_FAIL_COL(SS_ERR_USAGE, gkey->v.col,
                           "%s= has %zu entries but times= %zu groups of "
                           "times: give one entry per group (or one for "
                           "all)",
                           gkey->key, G, trows);
    double *size = malloc(G * sizeof *size), *dose = malloc(G * sizeof *dose);
    size_t *off = malloc((G + 1) * sizeof *off);
    double *t = NULL;
    if (!size || !dose || !off) {
        rc = SS_FAIL(SS_ERR_NOMEM, "out of memory");
        goto done;
    }
    rc = group_list(st, "size", G, 1.0, size);
    if (rc == SS_OK)
        rc = group_list(st, "dose", G, NAN, dose);
    if (rc != SS_OK)
        goto done;
    size_t total = 0;
    for (size_t j = 0; j < G; j++)
        total += tlen[trows == 1 ? 0 : j];
    if (!(t = malloc((total ? total : 1) * sizeof *t))) {
        rc = SS_FAIL(SS_ERR_NOMEM, "out of memory");
        goto done;
    }
    size_t pos = 0;
    off[0] = 0;
    for (size_t j = 0; j < G; j++) {
        size_t r = trows == 1 ? 0 : j, start = 0;
        for (size_t i = 0; i < r; i++)
            start += tlen[i];
        memcpy(t + pos, tx + start, tlen[r] * sizeof *t);
        pos += tlen[r];
        off[j + 1] = pos;
    }
    pop_design *d;
    size_t bg, bt;
    rc = pd_alloc(G, off, t, size, dose, &d, &bg, &bt);
    if (rc != SS_OK) {
        /* point at the list the message is about */
        const char *msg = ss_last_error()->msg;
        const ss_stmt_arg *at = bt ? ta
                                : strstr(msg, "dose") ? args_key(st, "dose")
                                : strstr(msg, "subjects") || strstr(msg, "size")
                                    ? args_key(st, "size")
                                    : ta;
        ss_error_set_col(at ? at->v.col : st->verb_col);
        goto done;
    }
    design_obj *o = calloc(1, sizeof *o);
    if (!o) {
        pd_free(d);
        rc = SS_FAIL(SS_ERR_NOMEM, "out of memory");
        goto done;
    }
    o->d = d;
    char origin[160];
    args_origin(st, origin, sizeof origin);
    rc = session_put(s, name, &obj_design, o, origin);
    if (rc == SS_OK)
        obj_design.print(s, name, o);
done:
    free(size);
    free(dose);
    free(off);
    free(t);
    return rc;
}

/* Commands that create, change and describe models. */
#include "lang/args.h"
#include "lang/commands.h"

#include "core/table.h"
#include "model/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

ss_status cmd_model(session *s, const ss_stmt *st)
{
    const char *name, *kind;
    ss_status rc = args_name(st, 0, "a model name", &name);
    if (rc == SS_OK)
        rc = args_name(st, 1, "a model kind (see `models`)", &kind);
    if (rc != SS_OK)
        return rc;
    rc = session_check_name(s, name, &obj_model, args_pos(st, 0)->v.col);
    if (rc != SS_OK)
        return rc;
    const model_type *t = model_type_find(kind);
    if (!t) {
        size_t n;
        const model_type *const *list = model_registry(&n);
        char kinds[200] = "";
        for (size_t i = 0; i < n; i++) {
            size_t l = strlen(kinds);
            snprintf(kinds + l, sizeof kinds - l, "%s%s", i ? ", " : "",
                     list[i]->name);
        }
        return SS_FAIL_COL(SS_ERR_NAME, args_pos(st, 1)->v.col,
                           "unknown model kind '%s' (kinds: %s)", kind,
                           kinds);
    }
    /* A family with a positional key (expr's formula) takes one string
     * after the kind as that key's value; other kinds refuse it below as
     * before ("expected PARAM=VALUE"). */
    const ss_stmt_arg *p2 = t->positional_key ? args_pos(st, 2) : NULL;
    if (p2 && p2->v.kind != VAL_STR && p2->v.kind != VAL_IDENT)
        return SS_FAIL_COL(SS_ERR_USAGE, p2->v.col,
                           "%s takes its %s as a quoted string after the "
                           "kind, found a %s",
                           t->name, t->positional_key,
                           val_kind_name(p2->v.kind));
    model_arg *ma;
    size_t nma;
    rc = args_to_model(st, p2 ? 3 : 2, 0, &ma, &nma);
    if (rc != SS_OK)
        return rc;
    if (p2) {
        for (size_t i = 0; i < nma; i++)
            if (strcmp(ma[i].key, t->positional_key) == 0) {
                rc = SS_FAIL_COL(SS_ERR_USAGE, ma[i].col,
                                 "%s given twice (after the kind and as "
                                 "%s=)",
                                 t->positional_key, t->positional_key);
                free(ma);
                return rc;
            }
        model_arg *grown = realloc(ma, (nma + 1) * sizeof *ma);
        if (!grown) {
            free(ma);
            return SS_FAIL(SS_ERR_NOMEM, "out of memory");
        }
        ma = grown;
        memset(&ma[nma], 0, sizeof ma[nma]);
        ma[nma].key = t->positional_key;
        ma[nma].str = p2->v.str;
        ma[nma].col = p2->v.col;
        ma[nma].val_col = p2->v.col + (p2->v.kind == VAL_STR && p2->v.quoted);
        nma++;
    }
    model *m;
    rc = model_alloc(t, ma, nma, &m);
    free(ma);
    if (rc != SS_OK)
        return rc;
    char origin[160];
    args_origin(st, origin, sizeof origin);
    rc = session_put(s, name, &obj_model, m, origin);
    if (rc == SS_OK)
        snprintf(s->current, sizeof s->current, "%s", name);
    return rc;
}

ss_status cmd_models(session *s, const ss_stmt *st)
{
    ss_status rc = args_check(st, 0, 0, NULL);
    if (rc != SS_OK)
        return rc;
    size_t n;
    const model_type *const *list = model_registry(&n);
    tbl *t = tbl_alloc(4);
    tbl_header(t, 0, "kind");
    tbl_header(t, 1, "options");
    tbl_header(t, 2, "parameters");
    tbl_header(t, 3, "description");
    for (size_t i = 0; i < n; i++) {
        char opts[256] = "";
        for (size_t o = 0; o < list[i]->nopts; o++) {
            const model_optdef *d = &list[i]->opts[o];
            size_t l = strlen(opts);
            if (d->kind == MOPT_ENUM) {
                snprintf(opts + l, sizeof opts - l, "%s%s=", o ? " " : "",
                         d->name);
                for (int c = 0; d->choices[c]; c++) {
                    l = strlen(opts);
                    snprintf(opts + l, sizeof opts - l, "%s%s", c ? "|" : "",
                             d->choices[c]);
                }
            } else if (d->kind == MOPT_VECTOR) {
                char vec[128];
                snprintf(opts + l, sizeof opts - l, "%s%s=%s", o ? " " : "",
                         d->name,
                         model_format_vector(vec, sizeof vec, d->vec->def,
                                             d->vec->ndef));
            } else {
                snprintf(opts + l, sizeof opts - l, "%s%s=%g", o ? " " : "",
                         d->name, d->def);
            }
        }
        tbl_row(t);
        tbl_str(t, 0, list[i]->name);
        tbl_str(t, 1, opts);
        tbl_str(t, 2, list[i]->param_summary);
        tbl_str(t, 3, list[i]->summary);
    }
    tbl_print(t, &s->out, s->csv, 0);
    tbl_free(t);
    if (!s->csv)
        session_printf(s, "`help KIND` explains a kind; `model NAME KIND "
                          "...` creates one.\n");
    return SS_OK;
}

static ss_status get_model(session *s, const ss_stmt *st, model **m)
{
    const char *name;
    return args_model(s, st, &name, m);
}

static ss_status change_params(session *s, const ss_stmt *st, int bare_ok,
                               int mark_free)
{
    model *m;
    ss_status rc = get_model(s, st, &m);
    if (rc != SS_OK)
        return rc;
    model_arg *ma;
    size_t nma;
    rc = args_to_model(st, 1, bare_ok, &ma, &nma);
    if (rc != SS_OK)
        return rc;
    if (nma == 0) {
        free(ma);
        return SS_FAIL_COL(SS_ERR_USAGE, st->verb_col,
                           "%s needs at least one parameter", st->verb);
    }
    for (size_t i = 0; i < nma && mark_free == 1; i++)
        if (ma[i].num || ma[i].str || ma[i].names) {
            rc = SS_FAIL_COL(SS_ERR_USAGE, ma[i].col,
                             "free takes parameter names only "
                             "(use `set` to change a value)");
            free(ma);
            return rc;
        }
    rc = model_set_params(m, ma, nma, mark_free);
    free(ma);
    if (rc == SS_OK)
        snprintf(s->current, sizeof s->current, "%s",
                 args_pos(st, 0)->v.str);
    return rc;
}

/* bound MODEL p=lo..hi ... narrows, bound MODEL p ... restores. Every
 * argument is checked on a copy first, so an error changes nothing. */
ss_status cmd_bound(session *s, const ss_stmt *st)
{
    model *m;
    ss_status rc = get_model(s, st, &m);
    if (rc != SS_OK)
        return rc;
    if (st->nargs < 2)
        return SS_FAIL_COL(SS_ERR_USAGE, st->verb_col,
                           "bound needs a parameter: p=lo..hi narrows it, "
                           "a bare p restores the family's range");
    model *c = model_clone(m);
    if (!c)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    for (size_t k = 1; k < st->nargs && rc == SS_OK; k++) {
        const ss_stmt_arg *a = &st->args[k];
        const char *pname = a->key ? a->key : a->v.str;
        int col = a->key ? a->key_col : a->v.col;
        if (!a->key && a->v.kind != VAL_IDENT) {
            rc = SS_FAIL_COL(SS_ERR_USAGE, a->v.col,
                             "bound takes p=lo..hi or a parameter name, not "
                             "a %s", val_kind_name(a->v.kind));
            break;
        }
        if (a->key && a->v.kind != VAL_RANGE) {
            rc = SS_FAIL_COL(SS_ERR_USAGE, a->v.col,
                             "bound %s= takes a range lo..hi, not a %s",
                             a->key, val_kind_name(a->v.kind));
            break;
        }
        size_t i;
        rc = model_param_lookup(c, pname, &i);
        if (rc != SS_OK) {
            ss_error_set_col(col);
            break;
        }
        if (a->key) {
            rc = model_bound(c, i, a->v.lo, a->v.hi);
            if (rc != SS_OK)
                ss_error_set_col(a->v.col);
        } else {
            model_unbound(c, i);
        }
    }
    if (rc == SS_OK) { /* every argument held: the same on the model */
        for (size_t k = 1; k < st->nargs; k++) {
            const ss_stmt_arg *a = &st->args[k];
            size_t i;
            model_param_lookup(m, a->key ? a->key : a->v.str, &i);
            if (a->key)
                model_bound(m, i, a->v.lo, a->v.hi);
            else
                model_unbound(m, i);
        }
        snprintf(s->current, sizeof s->current, "%s",
                 args_pos(st, 0)->v.str);
    }
    model_free(c);
    return rc;
}

ss_status cmd_set(session *s, const ss_stmt *st)
{
    return change_params(s, st, 0, -1);
}

ss_status cmd_fix(session *s, const ss_stmt *st)
{
    return change_params(s, st, 1, 0);
}

ss_status cmd_free(session *s, const ss_stmt *st)
{
    return change_params(s, st, 1, 1);
}




ss_status cmd_show(session *s, const ss_stmt *st)
{
    const char *name;
    ss_obj *o;
    ss_status rc = args_check(st, 1, 1, NULL);
    if (rc == SS_OK)
        rc = args_object(s, st, &name, &o);
    if (rc != SS_OK)
        return rc;
    o->type->print(s, name, o->ptr);
    return SS_OK;
}

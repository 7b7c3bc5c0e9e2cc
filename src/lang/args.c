#include "lang/args.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int key_listed(const char *keys, const char *key)
{
    if (!keys)
        return 0;
    size_t n = strlen(key);
    for (const char *p = keys; *p;) {
        while (*p == ' ')
            p++;
        const char *e = p;
        while (*e && *e != ' ')
            e++;
        if ((size_t)(e - p) == n && strncmp(p, key, n) == 0)
            return 1;
        p = e;
    }
    return 0;
}

ss_status args_check(const stmt *st, size_t lo, size_t hi, const char *keys)
{
    size_t npos = 0;
    for (size_t i = 0; i < st->nargs; i++) {
        const stmt_arg *a = &st->args[i];
        if (!a->key) {
            if (++npos > hi)
                return SS_FAIL_COL(SS_ERR_USAGE, a->v.col,
                                   "%s takes at most %zu positional "
                                   "argument%s",
                                   st->verb, hi, hi == 1 ? "" : "s");
            continue;
        }
        if (!key_listed(keys, a->key))
            return SS_FAIL_COL(SS_ERR_USAGE, a->key_col,
                               "unknown option '%s' for %s%s%s%s", a->key,
                               st->verb, keys ? " (options: " : "",
                               keys ? keys : "", keys ? ")" : "");
        for (size_t j = 0; j < i; j++)
            if (st->args[j].key && strcmp(st->args[j].key, a->key) == 0)
                return SS_FAIL_COL(SS_ERR_USAGE, a->key_col,
                                   "option '%s' given twice", a->key);
    }
    if (npos < lo)
        return SS_FAIL_COL(SS_ERR_USAGE, st->verb_col,
                           "%s needs %zu argument%s (see `help %s`)",
                           st->verb, lo, lo == 1 ? "" : "s", st->verb);
    return SS_OK;
}

const stmt_arg *args_pos(const stmt *st, size_t i)
{
    for (size_t k = 0; k < st->nargs; k++)
        if (!st->args[k].key && i-- == 0)
            return &st->args[k];
    return NULL;
}

size_t args_npos(const stmt *st)
{
    size_t n = 0;
    for (size_t k = 0; k < st->nargs; k++)
        if (!st->args[k].key)
            n++;
    return n;
}

const stmt_arg *args_key(const stmt *st, const char *key)
{
    for (size_t k = 0; k < st->nargs; k++)
        if (st->args[k].key && strcmp(st->args[k].key, key) == 0)
            return &st->args[k];
    return NULL;
}

ss_status args_name(const stmt *st, size_t i, const char *what,
                    const char **out)
{
    const stmt_arg *a = args_pos(st, i);
    if (!a)
        return SS_FAIL_COL(SS_ERR_USAGE, st->verb_col, "%s needs %s",
                           st->verb, what);
    if (a->v.kind != VAL_IDENT)
        return SS_FAIL_COL(SS_ERR_USAGE, a->v.col, "expected %s, found a %s",
                           what, val_kind_name(a->v.kind));
    *out = a->v.str;
    return SS_OK;
}

ss_status args_key_num(const stmt *st, const char *key, double def,
                       double *out)
{
    const stmt_arg *a = args_key(st, key);
    if (!a) {
        *out = def;
        return SS_OK;
    }
    if (a->v.kind != VAL_NUM)
        return SS_FAIL_COL(SS_ERR_USAGE, a->v.col, "%s= needs a number",
                           key);
    *out = a->v.num;
    return SS_OK;
}

ss_status args_key_count(const stmt *st, const char *key, uint64_t def,
                         uint64_t lo, uint64_t hi, uint64_t *out)
{
    const stmt_arg *a = args_key(st, key);
    if (!a) {
        *out = def;
        return SS_OK;
    }
    double v = a->v.num;
    if (a->v.kind != VAL_NUM || v != floor(v))
        return SS_FAIL_COL(SS_ERR_USAGE, a->v.col,
                           "%s= needs a whole number", key);
    if (v < (double)lo || v > (double)hi)
        return SS_FAIL_COL(SS_ERR_RANGE, a->v.col,
                           "%s=%g is outside [%llu, %llu]", key, v,
                           (unsigned long long)lo, (unsigned long long)hi);
    *out = (uint64_t)v;
    return SS_OK;
}

ss_status args_key_word(const stmt *st, const char *key, const char *def,
                        const char **out)
{
    const stmt_arg *a = args_key(st, key);
    if (!a) {
        *out = def;
        return SS_OK;
    }
    if (a->v.kind != VAL_IDENT && a->v.kind != VAL_STR)
        return SS_FAIL_COL(SS_ERR_USAGE, a->v.col, "%s= needs a name", key);
    *out = a->v.str;
    return SS_OK;
}

/* Append to a bounded buffer; once full, further text is dropped (the
 * length never passes n - 1, so no later write can start past the end). */
typedef struct {
    char *buf;
    size_t n, len;
} strbuf;

static void sb_printf(strbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void sb_printf(strbuf *b, const char *fmt, ...)
{
    if (b->len + 1 >= b->n)
        return;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(b->buf + b->len, b->n - b->len, fmt, ap);
    va_end(ap);
    if (w < 0)
        return;
    b->len += (size_t)w;
    if (b->len > b->n - 1)
        b->len = b->n - 1;
}

void args_origin(const stmt *st, char *buf, size_t n)
{
    strbuf b = {buf, n, 0};
    if (n == 0)
        return;
    buf[0] = 0;
    sb_printf(&b, "%s", st->verb);
    for (size_t i = 0; i < st->nargs; i++) {
        const stmt_arg *a = &st->args[i];
        sb_printf(&b, " %s%s", a->key ? a->key : "", a->key ? "=" : "");
        switch (a->v.kind) {
        case VAL_NUM: sb_printf(&b, "%.12g", a->v.num); break;
        case VAL_VEC:
            sb_printf(&b, "[");
            for (size_t k = 0; k < a->v.n; k++)
                sb_printf(&b, "%s%.12g", k ? ", " : "", a->v.vec[k]);
            sb_printf(&b, "]");
            break;
        case VAL_RANGE:
            sb_printf(&b, "%.12g..%.12g", a->v.lo, a->v.hi);
            break;
        case VAL_AXIS:
            sb_printf(&b, "%s:%.12g..%.12g", a->v.str, a->v.lo, a->v.hi);
            break;
        case VAL_STR:
            /* quoted only when it would not read back as one word */
            sb_printf(&b, strpbrk(a->v.str, " \t\"'#;") ? "\"%s\"" : "%s",
                      a->v.str);
            break;
        default: sb_printf(&b, "%s", a->v.str); break;
        }
    }
    if (st->as_name)
        sb_printf(&b, " as %s", st->as_name);
}

ss_status args_to_model(const stmt *st, size_t from, int bare_ok,
                        model_arg **out, size_t *n)
{
    model_arg *ma = calloc(st->nargs ? st->nargs : 1, sizeof *ma);
    if (!ma)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    size_t k = 0, pos = 0;
    for (size_t i = 0; i < st->nargs; i++) {
        const stmt_arg *a = &st->args[i];
        if (!a->key) {
            if (pos++ < from)
                continue;
            if (!bare_ok || a->v.kind != VAL_IDENT) {
                free(ma);
                return SS_FAIL_COL(SS_ERR_USAGE, a->v.col,
                                   "expected PARAM=VALUE, found a %s",
                                   val_kind_name(a->v.kind));
            }
            for (size_t j = 0; j < k; j++)
                if (strcmp(ma[j].key, a->v.str) == 0) {
                    free(ma);
                    return SS_FAIL_COL(SS_ERR_USAGE, a->v.col,
                                       "'%s' given twice", a->v.str);
                }
            ma[k].key = a->v.str;
            ma[k].col = a->v.col;
            k++;
            continue;
        }
        for (size_t j = 0; j < k; j++)
            if (strcmp(ma[j].key, a->key) == 0) {
                free(ma);
                return SS_FAIL_COL(SS_ERR_USAGE, a->key_col,
                                   "'%s' given twice", a->key);
            }
        model_arg *m = &ma[k++];
        m->key = a->key;
        m->col = a->key_col;
        switch (a->v.kind) {
        case VAL_NUM:
            m->num = &a->v.num;
            m->n = 1;
            break;
        case VAL_VEC:
            m->num = a->v.vec ? a->v.vec : &a->v.num;
            m->n = a->v.n;
            m->is_vector = 1;
            break;
        case VAL_IDENT:
        case VAL_STR:
            m->str = a->v.str;
            break;
        default:
            free(ma);
            return SS_FAIL_COL(SS_ERR_USAGE, a->v.col,
                               "%s= cannot take a %s", a->key,
                               val_kind_name(a->v.kind));
        }
    }
    *out = ma;
    *n = k;
    return SS_OK;
}

ss_status args_model(session *s, const stmt *st, const char **name,
                     model **m)
{
    ss_status rc = args_name(st, 0, "a model name", name);
    const stmt_arg *a = args_pos(st, 0);
    if (rc != SS_OK || !a)
        return rc;
    return session_get(s, *name, &obj_model, a->v.col, (void **)m);
}

ss_status args_object(session *s, const stmt *st, const char **name,
                      obj **o)
{
    ss_status rc = args_name(st, 0, "an object name", name);
    const stmt_arg *a = args_pos(st, 0);
    if (rc != SS_OK || !a)
        return rc;
    void *p;
    rc = session_get(s, *name, NULL, a->v.col, &p);
    if (rc == SS_OK)
        *o = session_find(s, *name);
    return rc;
}

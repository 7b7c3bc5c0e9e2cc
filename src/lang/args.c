#include "lang/args.h"

#include "lang/commands.h"

#include "core/rng.h"

#include <ctype.h>
#include <limits.h>
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

ss_status args_check(const ss_stmt *st, size_t lo, size_t hi, const char *keys)
{
    size_t npos = 0;
    for (size_t i = 0; i < st->nargs; i++) {
        const ss_stmt_arg *a = &st->args[i];
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

const ss_stmt_arg *args_pos(const ss_stmt *st, size_t i)
{
    for (size_t k = 0; k < st->nargs; k++)
        if (!st->args[k].key && i-- == 0)
            return &st->args[k];
    return NULL;
}

size_t args_npos(const ss_stmt *st)
{
    size_t n = 0;
    for (size_t k = 0; k < st->nargs; k++)
        if (!st->args[k].key)
            n++;
    return n;
}

const ss_stmt_arg *args_key(const ss_stmt *st, const char *key)
{
    for (size_t k = 0; k < st->nargs; k++)
        if (st->args[k].key && strcmp(st->args[k].key, key) == 0)
            return &st->args[k];
    return NULL;
}

ss_status args_name(const ss_stmt *st, size_t i, const char *what,
                    const char **out)
{
    const ss_stmt_arg *a = args_pos(st, i);
    if (!a)
        return SS_FAIL_COL(SS_ERR_USAGE, st->verb_col, "%s needs %s",
                           st->verb, what);
    if (a->v.kind != VAL_IDENT)
        return SS_FAIL_COL(SS_ERR_USAGE, a->v.col, "expected %s, found a %s",
                           what, val_kind_name(a->v.kind));
    *out = a->v.str;
    return SS_OK;
}

ss_status args_key_num(const ss_stmt *st, const char *key, double def,
                       double *out)
{
    const ss_stmt_arg *a = args_key(st, key);
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

ss_status args_key_count(const ss_stmt *st, const char *key, uint64_t def,
                         uint64_t lo, uint64_t hi, uint64_t *out)
{
    const ss_stmt_arg *a = args_key(st, key);
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

ss_status args_key_word(const ss_stmt *st, const char *key, const char *def,
                        const char **out)
{
    const ss_stmt_arg *a = args_key(st, key);
    if (!a) {
        *out = def;
        return SS_OK;
    }
    if (a->v.kind != VAL_IDENT && a->v.kind != VAL_STR)
        return SS_FAIL_COL(SS_ERR_USAGE, a->v.col, "%s= needs a name", key);
    *out = a->v.str;
    return SS_OK;
}


/* A count's bound as an integer: 2^64 - 1 for a bound at or past 2^64
 * (the double nearest 2^64 - 1 is 2^64, which no cast may take). */
static unsigned long long count_bound(double hi)
{
    return hi >= 18446744073709551615.0 ? ULLONG_MAX
                                        : (unsigned long long)hi;
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

void args_origin(const ss_stmt *st, char *buf, size_t n)
{
    strbuf b = {buf, n, 0};
    if (n == 0)
        return;
    buf[0] = 0;
    sb_printf(&b, "%s", st->verb);
    for (size_t i = 0; i < st->nargs; i++) {
        const ss_stmt_arg *a = &st->args[i];
        sb_printf(&b, " %s%s", a->key ? a->key : "", a->key ? "=" : "");
        switch (a->v.kind) {
        case VAL_NUM: sb_printf(&b, "%.12g", a->v.num); break;
        case VAL_VEC:
            sb_printf(&b, "[");
            for (size_t k = 0; k < a->v.n; k++)
                sb_printf(&b, "%s%.12g", k ? ", " : "", a->v.vec[k]);
            sb_printf(&b, "]");
            break;
        case VAL_NAMES:
            sb_printf(&b, "[");
            for (size_t k = 0; k < a->v.n; k++)
                sb_printf(&b, strpbrk(a->v.names[k], " \t\"'#;,[]")
                                  ? "%s\"%s\""
                                  : "%s%s",
                          k ? ", " : "", a->v.names[k]);
            sb_printf(&b, "]");
            break;
        case VAL_RANGE:
            sb_printf(&b, "%.12g..%.12g", a->v.lo, a->v.hi);
            break;
        case VAL_AXIS:
            sb_printf(&b, "%s:%.12g..%.12g", a->v.str, a->v.lo, a->v.hi);
            break;
        case VAL_STR:
            /* quoted only when it would not read back as one word (a
             * formula's operators and parentheses included) */
            sb_printf(&b,
                      strpbrk(a->v.str, " \t\"'#;()*^+,=[]") ? "\"%s\""
                                                             : "%s",
                      a->v.str);
            break;
        case VAL_CALL:
            sb_printf(&b, "%s(", a->v.str);
            for (size_t k = 0; k < a->v.n; k++)
                sb_printf(&b, "%s%.12g", k ? ", " : "", a->v.vec[k]);
            sb_printf(&b, ")");
            break;
        default: sb_printf(&b, "%s", a->v.str); break;
        }
    }
    if (st->as_name)
        sb_printf(&b, " as %s", st->as_name);
}

ss_status args_to_model(const ss_stmt *st, size_t from, int bare_ok,
                        model_arg **out, size_t *n)
{
    model_arg *ma = calloc(st->nargs ? st->nargs : 1, sizeof *ma);
    if (!ma)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    size_t k = 0, pos = 0;
    for (size_t i = 0; i < st->nargs; i++) {
        const ss_stmt_arg *a = &st->args[i];
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
        m->val_col = a->v.col + (a->v.kind == VAL_STR && a->v.quoted);
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
        case VAL_NAMES:
            m->names = (const char *const *)a->v.names;
            m->nnames = a->v.n;
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

ss_status args_model(session *s, const ss_stmt *st, const char **name,
                     model **m)
{
    ss_status rc = args_name(st, 0, "a model name", name);
    const ss_stmt_arg *a = args_pos(st, 0);
    if (rc != SS_OK || !a)
        return rc;
    return session_get(s, *name, &obj_model, a->v.col, (void **)m);
}

ss_status args_object(session *s, const ss_stmt *st, const char **name,
                      ss_obj **o)
{
    ss_status rc = args_name(st, 0, "an object name", name);
    const ss_stmt_arg *a = args_pos(st, 0);
    if (rc != SS_OK || !a)
        return rc;
    void *p;
    rc = session_get(s, *name, NULL, a->v.col, &p);
    if (rc == SS_OK)
        *o = session_find(s, *name);
    return rc;
}

/* ---- option tables -------------------------------------------------- */

static const cmd_opt *table_of(const ss_stmt *st)
{
    const cmd_def *c = st->verb ? cmd_find(st->verb) : NULL;
    return c ? c->opts : NULL;
}

const cmd_opt *args_opt(const ss_stmt *st, const char *key)
{
    for (const cmd_opt *o = table_of(st); o && o->key; o++)
        if (o->kind != OPT_FLAG && strcmp(o->key, key) == 0)
            return o;
    return NULL;
}

const char *opt_choice(const cmd_opt *o, size_t i)
{
    if (o->kind == OPT_BOOL)
        return i == 0 ? "yes" : i == 1 ? "no" : NULL;
    if (o->kind != OPT_WORD && o->kind != OPT_NAMES)
        return NULL;
    if (o->choice)
        return o->choice(i);
    for (size_t k = 0; o->words && o->words[k]; k++)
        if (k == i)
            return o->words[k];
    return NULL;
}

static int is_choice(const cmd_opt *o, const char *w)
{
    const char *c;
    for (size_t i = 0; (c = opt_choice(o, i)) != NULL; i++)
        if (strcmp(c, w) == 0)
            return 1;
    return 0;
}

static void choices_joined(const cmd_opt *o, const char *sep, char *buf,
                           size_t n)
{
    strbuf b = {buf, n, 0};
    buf[0] = 0;
    const char *c;
    for (size_t i = 0; (c = opt_choice(o, i)) != NULL; i++)
        sb_printf(&b, "%s%s", i ? sep : "", c);
}

/* Whether the usage of o lists its choices (few and short, no meta). */
static int choices_shown(const cmd_opt *o)
{
    enum { MAX_CHOICES = 6, MAX_LEN = 40 };
    if (o->meta || (o->kind != OPT_WORD && o->kind != OPT_BOOL))
        return 0;
    size_t len = 0, i = 0;
    for (const char *c; (c = opt_choice(o, i)) != NULL; i++)
        len += strlen(c) + (i > 0);
    return i <= MAX_CHOICES && len <= MAX_LEN;
}

/* A default written as a number (the whole text); 0 otherwise. */
static double default_num(const cmd_opt *o)
{
    if (!o->def || !*o->def)
        return 0;
    char *end;
    double v = strtod(o->def, &end);
    return *end == 0 ? v : 0;
}

/* "WxH", "N" or [W, H] as two sizes; 0 when the text is not of that form. */
static int grid_parse(const ss_stmt_arg *a, const char *text, double *w,
                      double *h)
{
    if (a && a->v.kind == VAL_NUM) {
        *w = *h = a->v.num;
        return 1;
    }
    if (a && a->v.kind == VAL_VEC && a->v.n == 2) {
        *w = a->v.vec[0];
        *h = a->v.vec[1];
        return 1;
    }
    if (a && a->v.kind == VAL_STR)
        text = a->v.str;
    else if (a)
        return 0;
    if (!text)
        return 0;
    const char *x = strchr(text, 'x');
    *w = strtod(text, NULL);
    *h = x ? strtod(x + 1, NULL) : 0;
    return 1;
}

/* Whether a's value is of o's kind and within its bounds (lo: the lower
 * bound of a COUNT, raised by args_count_min). */
static ss_status check_value(const cmd_opt *o, const ss_stmt_arg *a, double lo)
{
    const char *k = o->key;
    const ss_val *v = &a->v;
    char list[512];
    switch (o->kind) {
    case OPT_COUNT:
        if (v->kind != VAL_NUM || v->num != floor(v->num))
            return SS_FAIL_COL(SS_ERR_USAGE, v->col,
                               "%s= needs a whole number", k);
        if (v->num < lo || v->num > o->hi)
            return SS_FAIL_COL(SS_ERR_RANGE, v->col,
                               "%s=%g is outside [%llu, %llu]", k, v->num,
                               (unsigned long long)lo, count_bound(o->hi));
        return SS_OK;
    case OPT_REAL: {
        if (v->kind != VAL_NUM)
            return SS_FAIL_COL(SS_ERR_USAGE, v->col, "%s= needs a number",
                               k);
        double x = v->num;
        int ok = 1;
        if (o->lo_br)
            ok = o->lo_br == '(' ? x > o->lo : x >= o->lo;
        if (ok && o->hi_br)
            ok = o->hi_br == ')' ? x < o->hi : x <= o->hi;
        if (!ok)
            return SS_FAIL_COL(SS_ERR_RANGE, v->col,
                               "%s= must lie in %c%g, %g%c", k, o->lo_br,
                               o->lo, o->hi, o->hi_br);
        return SS_OK;
    }
    case OPT_WORD: {
        int word = v->kind == VAL_IDENT || v->kind == VAL_STR;
        if (word && is_choice(o, v->str))
            return SS_OK;
        if (o->flags & OPT_MSG_TAKES) {
            choices_joined(o, ", ", list, sizeof list);
            return SS_FAIL_COL(SS_ERR_USAGE, v->col, "%s= takes one of %s",
                               k, list);
        }
        if (!word)
            return SS_FAIL_COL(SS_ERR_USAGE, v->col, "%s= needs a name", k);
        choices_joined(o, ", ", list, sizeof list);
        return SS_FAIL_COL(SS_ERR_USAGE, v->col, "unknown %s '%s' (%s)", k,
                           v->str, list);
    }
    case OPT_BOOL:
        if ((v->kind == VAL_NUM && (v->num == 0 || v->num == 1)) ||
            (v->kind == VAL_IDENT &&
             (strcmp(v->str, "yes") == 0 || strcmp(v->str, "no") == 0)))
            return SS_OK;
        return SS_FAIL_COL(SS_ERR_USAGE, v->col, "%s= takes yes or no", k);
    case OPT_TEXT:
        if (v->kind == VAL_IDENT || v->kind == VAL_STR)
            return SS_OK;
        return SS_FAIL_COL(SS_ERR_USAGE, v->col,
                           "%s= needs text (in quotes)", k);
    case OPT_OBJECT:
        if (v->kind == VAL_IDENT)
            return SS_OK;
        return SS_FAIL_COL(SS_ERR_USAGE, v->col, "%s= needs a %s name", k,
                           o->obj ? o->obj->name : "object");
    case OPT_FILE:
        if (v->kind == VAL_IDENT || v->kind == VAL_STR)
            return SS_OK;
        return SS_FAIL_COL(SS_ERR_USAGE, v->col, "%s= needs a file name", k);
    case OPT_AXIS:
        if (v->kind == VAL_AXIS)
            return SS_OK;
        return SS_FAIL_COL(SS_ERR_USAGE, v->col,
                           "%s= needs PARAM:FROM..TO (for example w1:-1..1)",
                           k);
    case OPT_RANGE:
        if (v->kind != VAL_RANGE || !isfinite(v->lo) || !isfinite(v->hi))
            return SS_FAIL_COL(SS_ERR_USAGE, v->col,
                               "%s= takes LO..HI (for example -5..0)", k);
        if (!(v->lo < v->hi))
            return SS_FAIL_COL(SS_ERR_RANGE, v->col,
                               "%s=%g..%g is empty (need LO < HI)", k, v->lo,
                               v->hi);
        return SS_OK;
    case OPT_GRID: {
        double w = 0, h = 0;
        if (!grid_parse(a, NULL, &w, &h))
            return SS_FAIL_COL(SS_ERR_USAGE, v->col,
                               "%s= takes WxH (200x200), N or [W, H]", k);
        if (w != floor(w) || h != floor(h) || w < o->lo || h < o->lo)
            return SS_FAIL_COL(SS_ERR_RANGE, v->col,
                               "%s= needs whole numbers of at least %g "
                               "points per axis",
                               k, o->lo);
        if (w * h > o->hi)
            return SS_FAIL_COL(SS_ERR_LIMIT, v->col,
                               "resolution %gx%g is too large (at most %.0f "
                               "points)",
                               w, h, o->hi);
        return SS_OK;
    }
    case OPT_COLUMNS: {
        if (v->kind == VAL_NAMES || v->kind == VAL_IDENT || v->kind == VAL_STR)
            return SS_OK;
        const double *x = v->kind == VAL_VEC ? v->vec : &v->num;
        size_t nx = v->kind == VAL_VEC ? v->n : v->kind == VAL_NUM ? 1 : 0;
        if (nx == 0)
            return SS_FAIL_COL(SS_ERR_USAGE, v->col,
                               "%s= takes column names [x, y] or positions "
                               "[1, 2]",
                               k);
        for (size_t i = 0; i < nx; i++)
            if (!(x[i] >= 1 && x[i] <= 1e9 && x[i] == floor(x[i])))
                return SS_FAIL_COL(SS_ERR_RANGE, v->col,
                                   "%s= positions are whole numbers from 1, "
                                   "not %g",
                                   k, x[i]);
        return SS_OK;
    }
    case OPT_NAMES: {
        size_t nx = v->kind == VAL_NAMES ? v->n
                    : (v->kind == VAL_IDENT || v->kind == VAL_STR) ? 1 : 0;
        if (nx == 0)
            return SS_FAIL_COL(SS_ERR_USAGE, v->col,
                               "%s= takes a list of names [a, b]", k);
        for (size_t i = 0; i < nx && (o->words || o->choice); i++) {
            const char *w = v->kind == VAL_NAMES ? v->names[i] : v->str;
            if (!is_choice(o, w)) {
                choices_joined(o, ", ", list, sizeof list);
                return SS_FAIL_COL(SS_ERR_USAGE, v->col,
                                   "unknown %s '%s' (%s)", k, w, list);
            }
        }
        return SS_OK;
    }
    case OPT_COUNTS: {
        const double *x = v->kind == VAL_VEC ? v->vec : &v->num;
        size_t nx = v->kind == VAL_VEC ? v->n : v->kind == VAL_NUM ? 1 : 0;
        if (nx == 0)
            return SS_FAIL_COL(SS_ERR_USAGE, v->col,
                               "%s= takes whole numbers [n1, n2]", k);
        for (size_t i = 0; i < nx; i++)
            if (!(x[i] >= o->lo && x[i] <= o->hi && x[i] == floor(x[i])))
                return SS_FAIL_COL(SS_ERR_RANGE, v->col,
                                   "%s= entries are whole numbers in "
                                   "[%llu, %llu], not %g",
                                   k, (unsigned long long)o->lo,
                                   count_bound(o->hi), x[i]);
        return SS_OK;
    }
    case OPT_NUMBERS:
        if (v->kind != VAL_NUM && v->kind != VAL_VEC && v->kind != VAL_ROWS)
            return SS_FAIL_COL(SS_ERR_USAGE, v->col,
                               "%s= takes a number, [a, b, ..] or "
                               "[[a, b], [c], ..]",
                               k);
        return SS_OK;
    case OPT_POINT: /* its length is the model's: the handler checks */
    case OPT_FLAG: break;
    }
    return SS_OK;
}

ss_status args_check_opts(const ss_stmt *st, size_t lo, size_t hi)
{
    const cmd_opt *tab = table_of(st);
    char keys[512];
    strbuf b = {keys, sizeof keys, 0};
    keys[0] = 0;
    for (const cmd_opt *o = tab; o && o->key; o++)
        if (o->kind != OPT_FLAG)
            sb_printf(&b, "%s%s", b.len ? " " : "", o->key);
    ss_status rc = args_check(st, lo, hi, b.len ? keys : NULL);
    for (size_t i = 0; rc == SS_OK && i < st->nargs; i++) {
        const ss_stmt_arg *a = &st->args[i];
        if (a->key)
            rc = check_value(args_opt(st, a->key), a,
                             args_opt(st, a->key)->lo);
    }
    for (const cmd_opt *o = tab; rc == SS_OK && o && o->key; o++)
        if ((o->flags & OPT_REQUIRED) && o->kind != OPT_FLAG)
            rc = args_require(st, o->key);
    const cmd_def *c = cmd_find(st->verb);
    if (rc == SS_OK && c && c->as == CMD_AS_REQUIRED &&
        !st->as_name)
        rc = SS_FAIL_COL(SS_ERR_USAGE, st->verb_col,
                         "%s needs `as NAME` to store the %s", st->verb,
                         c->stores ? c->stores->name : "result");
    return rc;
}

static ss_status lookup(const ss_stmt *st, const char *key, const cmd_opt **o,
                        const ss_stmt_arg **a)
{
    *o = args_opt(st, key);
    *a = args_key(st, key);
    if (!*o)
        return SS_FAIL(SS_ERR_USAGE, "internal: %s has no option %s= in its table",
                       st->verb, key);
    return SS_OK;
}

ss_status args_count_min(const ss_stmt *st, const char *key, uint64_t lo,
                         uint64_t *out)
{
    const cmd_opt *o;
    const ss_stmt_arg *a;
    ss_status rc = lookup(st, key, &o, &a);
    if (rc == SS_OK && o->kind != OPT_COUNT)
        rc = SS_FAIL(SS_ERR_USAGE, "internal: %s= is not a count", key);
    if (rc == SS_OK && a)
        rc = check_value(o, a, (double)lo);
    if (rc != SS_OK)
        return rc;
    if (!a) {
        *out = (uint64_t)default_num(o);
        return SS_OK;
    }
    /* Whole numbers are read from their digits, so counts beyond 2^53
     * (64-bit seeds) are exact; past 2^64 - 1 they are refused. */
    uint64_t u;
    if (a->v.str && parse_u64(a->v.str, &u)) {
        *out = u;
        return SS_OK;
    }
    if (!(a->v.num < 18446744073709551616.0))
        return SS_FAIL_COL(SS_ERR_RANGE, a->v.col,
                           "%s= is too large (at most %s)", key,
                           o->hi >= 18446744073709551615.0
                               ? "18446744073709551615"
                               : "the bound in `help`");
    *out = (uint64_t)a->v.num;
    return SS_OK;
}

ss_status args_count(const ss_stmt *st, const char *key, uint64_t *out)
{
    const cmd_opt *o = args_opt(st, key);
    return args_count_min(st, key, o ? (uint64_t)o->lo : 0, out);
}

ss_status args_real(const ss_stmt *st, const char *key, double *out)
{
    const cmd_opt *o;
    const ss_stmt_arg *a;
    ss_status rc = lookup(st, key, &o, &a);
    if (rc == SS_OK && o->kind != OPT_REAL)
        rc = SS_FAIL(SS_ERR_USAGE, "internal: %s= is not a number", key);
    if (rc == SS_OK && a)
        rc = check_value(o, a, o->lo);
    if (rc == SS_OK)
        *out = a ? a->v.num : default_num(o);
    return rc;
}

/* lookup, and the value (if given) checked against its option's kind and
 * bounds. */
static ss_status lookup_checked(const ss_stmt *st, const char *key,
                                const cmd_opt **o, const ss_stmt_arg **a)
{
    ss_status rc = lookup(st, key, o, a);
    if (rc == SS_OK && *a)
        rc = check_value(*o, *a, (*o)->lo);
    return rc;
}

ss_status args_word(const ss_stmt *st, const char *key, const char **out)
{
    const cmd_opt *o;
    const ss_stmt_arg *a;
    ss_status rc = lookup_checked(st, key, &o, &a);
    if (rc != SS_OK)
        return rc;
    if (a)
        *out = a->v.str;
    else
        *out = o->def && (o->kind != OPT_WORD || is_choice(o, o->def))
                   ? o->def
                   : NULL;
    return SS_OK;
}

ss_status args_bool(const ss_stmt *st, const char *key, int *out)
{
    const cmd_opt *o;
    const ss_stmt_arg *a;
    ss_status rc = lookup_checked(st, key, &o, &a);
    if (rc != SS_OK)
        return rc;
    if (!a)
        *out = -1;
    else if (a->v.kind == VAL_NUM)
        *out = a->v.num != 0;
    else
        *out = strcmp(a->v.str, "yes") == 0;
    return SS_OK;
}

ss_status args_grid(const ss_stmt *st, const char *key, size_t *nx, size_t *ny)
{
    const cmd_opt *o;
    const ss_stmt_arg *a;
    ss_status rc = lookup_checked(st, key, &o, &a);
    if (rc != SS_OK)
        return rc;
    double w = 0, h = 0;
    grid_parse(a, o->def, &w, &h);
    *nx = (size_t)w;
    *ny = (size_t)h;
    return SS_OK;
}

ss_status args_require(const ss_stmt *st, const char *key)
{
    const cmd_opt *o;
    const ss_stmt_arg *a;
    ss_status rc = lookup(st, key, &o, &a);
    if (rc == SS_OK && !a)
        rc = SS_FAIL_COL(SS_ERR_USAGE, st->verb_col, "%s needs %s=%s",
                         st->verb, key, o->meta ? o->meta : "...");
    return rc;
}

void opt_usage(const cmd_opt *o, char *buf, size_t n)
{
    if (o->kind == OPT_FLAG) {
        snprintf(buf, n, "%s", o->key);
        return;
    }
    char list[512];
    if (choices_shown(o))
        choices_joined(o, "|", list, sizeof list);
    else
        snprintf(list, sizeof list, "%s",
                 o->meta                ? o->meta
                 : o->kind == OPT_WORD ? "NAME"
                                       : "VALUE");
    snprintf(buf, n, "%s=%s", o->key, list);
}

void opt_detail(const cmd_opt *o, char *buf, size_t n)
{
    strbuf b = {buf, n, 0};
    if (n == 0)
        return;
    buf[0] = 0;
    char list[512];
    switch (o->kind) {
    case OPT_COUNT:
        sb_printf(&b, "a whole number in [%llu, %llu]",
                  (unsigned long long)o->lo, count_bound(o->hi));
        break;
    case OPT_REAL:
        if (o->lo_br)
            sb_printf(&b, "a number in %c%g, %g%c", o->lo_br, o->lo, o->hi,
                      o->hi_br);
        else
            sb_printf(&b, "a number");
        break;
    case OPT_WORD: /* the usage lists the choices unless a name stands in */
        if (!choices_shown(o)) {
            choices_joined(o, ", ", list, sizeof list);
            sb_printf(&b, "one of %s", list);
        }
        break;
    case OPT_BOOL: break;
    case OPT_TEXT: sb_printf(&b, "in quotes when it has blanks"); break;
    case OPT_OBJECT:
        sb_printf(&b, "the name of a stored %s",
                  o->obj ? o->obj->name : "object");
        break;
    case OPT_FILE: sb_printf(&b, "a file name"); break;
    case OPT_AXIS:
        sb_printf(&b, "a parameter or blow-down coordinate and its range");
        break;
    case OPT_RANGE: sb_printf(&b, "finite, LO < HI"); break;
    case OPT_GRID:
        sb_printf(&b, "at least %g points per axis, at most %.0f in all",
                  o->lo, o->hi);
        break;
    case OPT_POINT:
        sb_printf(&b, "every parameter, in model order");
        break;
    case OPT_NUMBERS:
        sb_printf(&b, "a number, a list [..] or a list of lists [[..], ..]");
        break;
    case OPT_COLUMNS:
        sb_printf(&b, "header names or 1-based positions, in the order "
                      "wanted");
        break;
    case OPT_NAMES:
        if (o->words || o->choice) {
            choices_joined(o, ", ", list, sizeof list);
            sb_printf(&b, "a list of %s", list);
        } else
            sb_printf(&b, "a list of names");
        break;
    case OPT_COUNTS:
        sb_printf(&b, "whole numbers in [%llu, %llu]",
                  (unsigned long long)o->lo, count_bound(o->hi));
        break;
    case OPT_FLAG: sb_printf(&b, "a flag"); break;
    }
    if (o->flags & OPT_REQUIRED)
        sb_printf(&b, "%srequired", b.len ? "; " : "");
    if (o->def)
        sb_printf(&b, "%sdefault %s", b.len ? "; " : "", o->def);
}

int args_col_in_msg(const ss_stmt *st, const char *msg)
{
    for (size_t i = 0; i < st->nargs; i++) {
        const ss_stmt_arg *a = &st->args[i];
        char k[80];
        if (!a->key || snprintf(k, sizeof k, "%s=", a->key) >= (int)sizeof k)
            continue;
        const char *p = strstr(msg, k);
        /* "n=" is not "burnin=": the key must start a word */
        while (p && p > msg && (isalnum((unsigned char)p[-1]) || p[-1] == '_'))
            p = strstr(p + 1, k);
        if (p)
            return a->v.col;
    }
    return 0;
}

ss_status args_seed_begin(session *s, const ss_stmt *st, uint64_t *seed,
                          gsl_rng **saved)
{
    *saved = NULL;
    uint64_t given = 0;
    ss_status rc = args_count(st, "seed", &given);
    if (rc != SS_OK)
        return rc;
    *saved = gsl_rng_clone(s->rng);
    if (!*saved)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    *seed = args_key(st, "seed") ? given : ss_rng_u64(s->rng);
    return SS_OK;
}

ss_status args_seed_end(session *s, gsl_rng *saved, ss_status rc)
{
    if (!saved)
        return rc;
    if (rc != SS_OK)
        gsl_rng_memcpy(s->rng, saved);
    gsl_rng_free(saved);
    return rc;
}

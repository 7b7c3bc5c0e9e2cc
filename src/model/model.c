#include "model/model.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every family, in the order `models` lists them: a static table sized by
 * its initialiser, so adding a family cannot overrun it (and no lazy
 * initialisation races between threads). */
static const model_type *const registry[] = {
    &model_gmm_type, &model_mlp2_type, &model_arma_type, &model_dnn_type,
    &model_pk1_type, &model_pk2_type, &model_expr_type,
};

const model_type *const *model_registry(size_t *count)
{
    *count = sizeof registry / sizeof *registry;
    return registry;
}

const model_type *model_type_find(const char *name)
{
    size_t n;
    const model_type *const *list = model_registry(&n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i]->name, name) == 0)
            return list[i];
    return NULL;
}

int model_opt_index(const model_type *t, const char *name)
{
    for (size_t i = 0; i < t->nopts; i++)
        if (strcmp(t->opts[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* ---- the parameter layout ---------------------------------------------------
 * Parameters 0..P-1 are covered by segments in order: a scalar (one
 * parameter with its own name and bounds, from model_add_param) or a block
 * (rows x cols components, from model_add_block, whose names come from its
 * group and whose bounds are the group's unless stored per component). */
struct model_seg {
    size_t first, count;
    int group;                 /* a block: index into m->groups; scalar: -1 */
    char name[MODEL_NAME_MAX]; /* a scalar's name */
    double lo, hi;             /* a scalar's bounds */
    double *lo_each, *hi_each; /* a block's per-component bounds, or NULL */
};

/* The segment holding parameter i (i < P). */
static const model_seg *seg_of(const model *m, size_t i)
{
    size_t a = 0, b = m->nsegs;
    while (b - a > 1) {
        size_t c = a + (b - a) / 2;
        if (m->segs[c].first <= i)
            a = c;
        else
            b = c;
    }
    return &m->segs[a];
}

const char *model_param_name(const model *m, size_t i, char *buf, size_t n)
{
    if (n == 0)
        return buf;
    buf[0] = 0;
    if (i >= m->P || m->nsegs == 0)
        return buf;
    const model_seg *sg = seg_of(m, i);
    if (sg->group < 0) {
        snprintf(buf, n, "%s", sg->name);
        return buf;
    }
    const model_group *g = &m->groups[sg->group];
    size_t k = i - sg->first;
    if (g->cols == 1)
        snprintf(buf, n, "%s_%zu", g->name, k + 1);
    else
        snprintf(buf, n, "%s_%zu_%zu", g->name, k / g->cols + 1,
                 k % g->cols + 1);
    return buf;
}

static double seg_lo(const model *m, const model_seg *sg, size_t k)
{
    if (sg->group < 0)
        return sg->lo;
    return sg->lo_each ? sg->lo_each[k] : m->groups[sg->group].lo;
}

static double seg_hi(const model *m, const model_seg *sg, size_t k)
{
    if (sg->group < 0)
        return sg->hi;
    return sg->hi_each ? sg->hi_each[k] : m->groups[sg->group].hi;
}

double model_family_lo(const model *m, size_t i)
{
    if (i >= m->P)
        return NAN;
    const model_seg *sg = seg_of(m, i);
    return seg_lo(m, sg, i - sg->first);
}

double model_family_hi(const model *m, size_t i)
{
    if (i >= m->P)
        return NAN;
    const model_seg *sg = seg_of(m, i);
    return seg_hi(m, sg, i - sg->first);
}

int model_is_bounded(const model *m, size_t i)
{
    return m->ubound && i < m->P && !isnan(m->ubound[2 * i]);
}

double model_param_lo(const model *m, size_t i)
{
    return model_is_bounded(m, i) ? m->ubound[2 * i] : model_family_lo(m, i);
}

double model_param_hi(const model *m, size_t i)
{
    return model_is_bounded(m, i) ? m->ubound[2 * i + 1]
                                  : model_family_hi(m, i);
}

ss_status model_bound(model *m, size_t i, double lo, double hi)
{
    char nm[MODEL_NAME_MAX];
    if (i >= m->P)
        return SS_FAIL(SS_ERR_RANGE, "no parameter %zu", i);
    model_param_name(m, i, nm, sizeof nm);
    double flo = model_family_lo(m, i), fhi = model_family_hi(m, i);
    if (!(lo < hi))
        return SS_FAIL(SS_ERR_RANGE, "bound %s=%g..%g is empty (a single "
                                     "value is `fix %s=%g`)",
                       nm, lo, hi, nm, lo);
    if (lo < flo || hi > fhi)
        return SS_FAIL(SS_ERR_RANGE, "bound %s=%g..%g leaves the family's "
                                     "range [%g, %g]",
                       nm, lo, hi, flo, fhi);
    double v = m->theta[i];
    if (!(v >= lo && v <= hi))
        return SS_FAIL(SS_ERR_RANGE, "%s = %g lies outside %g..%g: set it "
                                     "inside first",
                       nm, v, lo, hi);
    if (!m->ubound) {
        m->ubound = malloc(2 * m->P * sizeof *m->ubound);
        if (!m->ubound)
            return SS_FAIL(SS_ERR_NOMEM, "out of memory");
        for (size_t k = 0; k < 2 * m->P; k++)
            m->ubound[k] = NAN;
    }
    m->ubound[2 * i] = lo;
    m->ubound[2 * i + 1] = hi;
    return SS_OK;
}

const model_prior *model_prior_of(const model *m, size_t i)
{
    return m->prior && i < m->P && m->prior[i].kind ? &m->prior[i] : NULL;
}

ss_status model_set_prior(model *m, size_t i, int kind, double a, double b)
{
    if (i >= m->P)
        return SS_FAIL(SS_ERR_RANGE, "parameter %zu out of range", i);
    if (!m->prior) {
        if (!kind)
            return SS_OK;
        m->prior = calloc(m->P, sizeof *m->prior);
        if (!m->prior)
            return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    m->prior[i] = (model_prior){kind, a, b};
    return SS_OK;
}

void model_unbound(model *m, size_t i)
{
    if (model_is_bounded(m, i))
        m->ubound[2 * i] = m->ubound[2 * i + 1] = NAN;
}

int model_param_group(const model *m, size_t i)
{
    if (i >= m->P)
        return -1;
    const model_seg *sg = seg_of(m, i);
    if (sg->group >= 0)
        return sg->group;
    for (size_t g = 0; g < m->ngroups; g++)
        if (i >= m->groups[g].first && i < m->groups[g].first + m->groups[g].count)
            return (int)g;
    return -1;
}

size_t model_layout_bytes(const model *m)
{
    size_t b = m->nsegs * sizeof *m->segs + m->ngroups * sizeof *m->groups;
    for (size_t s = 0; s < m->nsegs; s++)
        if (m->segs[s].lo_each)
            b += 2 * m->segs[s].count * sizeof(double);
    return b;
}

/* Whether name lies in a block's namespace: NAME_ followed by a digit. */
static int in_namespace(const char *block, const char *name)
{
    size_t l = strlen(block);
    return strncmp(name, block, l) == 0 && name[l] == '_' &&
           name[l + 1] >= '0' && name[l + 1] <= '9';
}

/* A component number: decimal digits without a leading zero (so that each
 * component has one name); *p moves past them. 0 when there are none. */
static int parse_num(const char **p, size_t *v, int *leading_zero)
{
    const char *s = *p;
    size_t x = 0, nd = 0;
    *leading_zero = s[0] == '0' && s[1] >= '0' && s[1] <= '9';
    while (*s >= '0' && *s <= '9') {
        if (nd++ > 18) /* beyond any shape */
            x = (size_t)-1;
        else
            x = x * 10 + (size_t)(*s - '0');
        s++;
    }
    *p = s;
    *v = x;
    return nd > 0;
}

/* A reason into a buffer, truncated if it must be. */
static void whyf(char *why, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void whyf(char *why, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, n, fmt, ap);
    va_end(ap);
}

/* Find a parameter by name: 1 found, 0 no such name, -1 a block component
 * named outside the block's shape (why says how). */
static int find_param(const model *m, const char *name, size_t *idx,
                      char *why, size_t nwhy)
{
    why[0] = 0;
    for (size_t s = 0; s < m->nsegs; s++)
        if (m->segs[s].group < 0 && strcmp(m->segs[s].name, name) == 0) {
            *idx = m->segs[s].first;
            return 1;
        }
    for (size_t s = 0; s < m->nsegs; s++) {
        const model_seg *sg = &m->segs[s];
        if (sg->group < 0)
            continue;
        const model_group *g = &m->groups[sg->group];
        if (!in_namespace(g->name, name))
            continue;
        const char *p = name + strlen(g->name) + 1;
        size_t r = 0, c = 1;
        int lz1 = 0, lz2 = 0, two = 0;
        if (!parse_num(&p, &r, &lz1))
            continue;
        if (*p == '_') {
            p++;
            two = 1;
            if (!parse_num(&p, &c, &lz2))
                continue;
        }
        if (*p != 0)
            continue; /* not of the form NAME_ROW[_COL] */
        if (g->cols > 1 && !two) {
            whyf(why, nwhy, "%s is a %zu x %zu block: name a component "
                                "%s_ROW_COL (%s_1_1 .. %s_%zu_%zu)",
                     g->name, g->rows, g->cols, g->name, g->name, g->name,
                     g->rows, g->cols);
            return -1;
        }
        if (g->cols == 1 && two) {
            whyf(why, nwhy, "%s is a vector of %zu: name a component "
                                "%s_ROW (%s_1 .. %s_%zu)",
                     g->name, g->rows, g->name, g->name, g->name, g->rows);
            return -1;
        }
        if (lz1 || lz2) {
            whyf(why, nwhy, "%s: write component numbers without "
                                "leading zeros (%s_1%s)",
                     name, g->name, two ? "_1" : "");
            return -1;
        }
        if (r < 1 || r > g->rows || c < 1 || c > g->cols) {
            int bad_row = r < 1 || r > g->rows;
            if (g->cols == 1) {
                whyf(why, nwhy, "%s is a vector of %zu: %s is outside "
                                    "%s_1 .. %s_%zu",
                         g->name, g->rows, name, g->name, g->name, g->rows);
            } else {
                /* the offending number alone, not the rest of the name */
                const char *q = name + strlen(g->name) + 1;
                if (!bad_row)
                    q = strchr(q, '_') + 1;
                int l = (int)strcspn(q, "_");
                whyf(why, nwhy, "%s is a %zu x %zu block: %s %.*s in %s "
                                    "is outside 1..%zu",
                         g->name, g->rows, g->cols,
                         bad_row ? "row" : "column", l < 24 ? l : 24, q, name,
                         bad_row ? g->rows : g->cols);
            }
            return -1;
        }
        *idx = sg->first + (r - 1) * g->cols + (c - 1);
        return 1;
    }
    return 0;
}

int model_param_index(const model *m, const char *name)
{
    char why[200];
    size_t i;
    return find_param(m, name, &i, why, sizeof why) == 1 ? (int)i : -1;
}

ss_status model_param_lookup(const model *m, const char *name, size_t *index)
{
    char why[200];
    int r = find_param(m, name, index, why, sizeof why);
    if (r == 1)
        return SS_OK;
    if (r < 0)
        return SS_FAIL(SS_ERR_RANGE, "%s", why);
    return SS_FAIL(SS_ERR_NAME, "%s has no parameter '%s'", m->type->name,
                   name);
}

int model_group_index(const model *m, const char *name)
{
    for (size_t i = 0; i < m->ngroups; i++)
        if (strcmp(m->groups[i].name, name) == 0)
            return (int)i;
    return -1;
}

const double *model_opt_vector(const model *m, size_t o, size_t *n)
{
    *n = 0;
    if (o >= m->type->nopts || m->type->opts[o].kind != MOPT_VECTOR ||
        !m->optvec)
        return NULL;
    *n = m->optvec[o].n;
    return m->optvec[o].v;
}

const char *model_format_vector(char *buf, size_t n, const double *v,
                                size_t k)
{
    size_t l = 0;
    if (n == 0)
        return buf;
    buf[0] = 0;
    l += (size_t)snprintf(buf, n, "[");
    for (size_t i = 0; i < k && l < n; i++)
        l += (size_t)snprintf(buf + l, n - l, "%s%.12g", i ? "," : "", v[i]);
    if (l < n)
        snprintf(buf + l, n - l, "]");
    return buf;
}

const model_arg *model_arg_find(const model_arg *args, size_t nargs,
                                const char *key, unsigned char *used)
{
    for (size_t i = 0; i < nargs; i++)
        if (strcmp(args[i].key, key) == 0) {
            if (used)
                used[i] = 1;
            return &args[i];
        }
    return NULL;
}

/* Whether a new name (a scalar, or a block's own name) clashes with one
 * the layout already has. */
static ss_status name_clash(const model *m, const char *name, int is_block)
{
    char why[200];
    size_t i;
    if (find_param(m, name, &i, why, sizeof why) != 0 ||
        model_group_index(m, name) >= 0)
        return SS_FAIL(SS_ERR_USAGE, "%s: the name %s is used twice",
                       m->type->name, name);
    for (size_t s = 0; s < m->nsegs; s++) {
        const model_seg *sg = &m->segs[s];
        const char *other = sg->group < 0 ? sg->name
                                          : m->groups[sg->group].name;
        if ((sg->group >= 0 && in_namespace(other, name)) ||
            (is_block && in_namespace(name, other)))
            return SS_FAIL(SS_ERR_USAGE, "%s: the names of %s and %s "
                                         "overlap",
                           m->type->name, name, other);
    }
    return SS_OK;
}

/* Room for `count` more parameters and one more segment. */
static ss_status grow(model *m, size_t count)
{
    if (count > ((size_t)-1 / sizeof(double)) - m->P - 1)
        return SS_FAIL(SS_ERR_LIMIT, "too many parameters");
    size_t np = m->P + count;
    double *nt = realloc(m->theta, np * sizeof *nt);
    if (!nt)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory for %zu parameters", np);
    m->theta = nt;
    unsigned char *nf = realloc(m->is_free, np);
    if (!nf)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory for %zu parameters", np);
    m->is_free = nf;
    model_seg *ns = realloc(m->segs, (m->nsegs + 1) * sizeof *ns);
    if (!ns)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    m->segs = ns;
    return SS_OK;
}

ss_status model_add_param(model *m, const char *name, double def, double lo,
                          double hi)
{
    if (strlen(name) >= MODEL_NAME_MAX)
        return SS_FAIL(SS_ERR_LIMIT, "%s: parameter name %s is longer than "
                                     "%d characters",
                       m->type->name, name, MODEL_NAME_MAX - 1);
    ss_status st = name_clash(m, name, 0);
    if (st == SS_OK)
        st = grow(m, 1);
    if (st != SS_OK)
        return st;
    model_seg *sg = &m->segs[m->nsegs++];
    memset(sg, 0, sizeof *sg);
    snprintf(sg->name, sizeof sg->name, "%s", name);
    sg->first = m->P;
    sg->count = 1;
    sg->group = -1;
    sg->lo = lo;
    sg->hi = hi;
    m->theta[m->P] = def;
    m->is_free[m->P] = 1;
    m->P++;
    return SS_OK;
}

static size_t ndigits(size_t x)
{
    size_t d = 1;
    while (x >= 10) {
        x /= 10;
        d++;
    }
    return d;
}

static ss_status push_group(model *m, const model_group *g)
{
    model_group *ng = realloc(m->groups, (m->ngroups + 1) * sizeof *ng);
    if (!ng)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    m->groups = ng;
    m->groups[m->ngroups++] = *g;
    return SS_OK;
}

ss_status model_add_group(model *m, const char *name, size_t first,
                          size_t count)
{
    if (first > m->P || count > m->P - first)
        return SS_FAIL(SS_ERR_USAGE, "%s: group %s reaches past the %zu "
                                     "parameters",
                       m->type->name, name, m->P);
    model_group g;
    memset(&g, 0, sizeof g);
    snprintf(g.name, sizeof g.name, "%s", name);
    g.first = first;
    g.count = count;
    g.rows = count;
    g.cols = 1;
    g.lo = INFINITY;
    g.hi = -INFINITY;
    for (size_t i = first; i < first + count; i++) {
        double lo = model_param_lo(m, i), hi = model_param_hi(m, i);
        g.lo = lo < g.lo ? lo : g.lo;
        g.hi = hi > g.hi ? hi : g.hi;
    }
    return push_group(m, &g);
}

ss_status model_add_block(model *m, const char *name, size_t rows,
                          size_t cols, double def, double lo, double hi)
{
    if (rows == 0 || cols == 0)
        return SS_FAIL(SS_ERR_USAGE, "%s: block %s has no components "
                                     "(%zu x %zu)",
                       m->type->name, name, rows, cols);
    if (rows > (size_t)-1 / cols)
        return SS_FAIL(SS_ERR_LIMIT, "%s: block %s of %zu x %zu is too large",
                       m->type->name, name, rows, cols);
    size_t longest = strlen(name) + 1 + ndigits(rows) +
                     (cols > 1 ? 1 + ndigits(cols) : 0);
    if (longest >= MODEL_NAME_MAX)
        return SS_FAIL(SS_ERR_LIMIT, "%s: the component names of block %s "
                                     "(%zu x %zu) would be longer than %d "
                                     "characters",
                       m->type->name, name, rows, cols, MODEL_NAME_MAX - 1);
    if (!(lo <= hi))
        return SS_FAIL(SS_ERR_USAGE, "%s: block %s has bounds [%g, %g]",
                       m->type->name, name, lo, hi);
    size_t count = rows * cols;
    ss_status st = name_clash(m, name, 1);
    if (st == SS_OK)
        st = grow(m, count);
    if (st != SS_OK)
        return st;
    model_group g;
    memset(&g, 0, sizeof g);
    snprintf(g.name, sizeof g.name, "%s", name);
    g.first = m->P;
    g.count = count;
    g.rows = rows;
    g.cols = cols;
    g.lo = lo;
    g.hi = hi;
    g.generated = 1;
    st = push_group(m, &g);
    if (st != SS_OK)
        return st;
    model_seg *sg = &m->segs[m->nsegs++];
    memset(sg, 0, sizeof *sg);
    sg->first = m->P;
    sg->count = count;
    sg->group = (int)m->ngroups - 1;
    for (size_t i = 0; i < count; i++) {
        m->theta[m->P + i] = def;
        m->is_free[m->P + i] = 1;
    }
    m->P += count;
    return SS_OK;
}

ss_status model_set_param_bounds(model *m, size_t i, double lo, double hi)
{
    if (i >= m->P)
        return SS_FAIL(SS_ERR_RANGE, "%s has %zu parameters, not %zu",
                       m->type->name, m->P, i + 1);
    if (!(lo <= hi))
        return SS_FAIL(SS_ERR_USAGE, "bounds [%g, %g] of %s are empty", lo,
                       hi, MODEL_PNAME(m, i));
    model_seg *sg = (model_seg *)seg_of(m, i);
    if (sg->group < 0) {
        sg->lo = lo;
        sg->hi = hi;
        return SS_OK;
    }
    if (!sg->lo_each) {
        const model_group *g = &m->groups[sg->group];
        sg->lo_each = malloc(sg->count * sizeof *sg->lo_each);
        sg->hi_each = malloc(sg->count * sizeof *sg->hi_each);
        if (!sg->lo_each || !sg->hi_each) {
            free(sg->lo_each);
            free(sg->hi_each);
            sg->lo_each = sg->hi_each = NULL;
            return SS_FAIL(SS_ERR_NOMEM, "out of memory");
        }
        for (size_t k = 0; k < sg->count; k++) {
            sg->lo_each[k] = g->lo;
            sg->hi_each[k] = g->hi;
        }
    }
    sg->lo_each[i - sg->first] = lo;
    sg->hi_each[i - sg->first] = hi;
    return SS_OK;
}

static void free_layout(model *m)
{
    for (size_t s = 0; m->segs && s < m->nsegs; s++) {
        free(m->segs[s].lo_each);
        free(m->segs[s].hi_each);
    }
    free(m->segs);
    m->segs = NULL;
    m->nsegs = 0;
}

static void free_options(model *m)
{
    size_t no = m->type ? m->type->nopts : 0;
    for (size_t o = 0; m->optvec && o < no; o++)
        free(m->optvec[o].v);
    free(m->optvec);
    free(m->opt);
    free(m->opt_choice);
    m->optvec = NULL;
    m->opt = NULL;
    m->opt_choice = NULL;
}

void model_free(model *m)
{
    if (!m)
        return;
    if (m->type && m->type->release && m->state)
        m->type->release(m);
    free_options(m);
    free_layout(m);
    free(m->theta);
    free(m->is_free);
    free(m->groups);
    free(m->ubound);
    free(m->prior);
    free(m);
}

/* The parameter names for a message, as many as fit: a block as its first
 * and last component. */
static void append_names(char *buf, size_t n, const model *m)
{
    size_t len = strlen(buf);
    for (size_t s = 0; s < m->nsegs && len + 2 < n; s++) {
        const model_seg *sg = &m->segs[s];
        if (sg->group < 0) {
            len += (size_t)snprintf(buf + len, n - len, "%s%s", s ? ", " : "",
                                    sg->name);
        } else {
            char a[MODEL_NAME_MAX], b[MODEL_NAME_MAX];
            model_param_name(m, sg->first, a, sizeof a);
            model_param_name(m, sg->first + sg->count - 1, b, sizeof b);
            len += (size_t)snprintf(buf + len, n - len, "%s%s .. %s",
                                    s ? ", " : "", a, b);
        }
    }
}

static ss_status unknown_key(const model *m, const model_arg *a)
{
    char names[400] = "";
    append_names(names, sizeof names, m);
    for (size_t g = 0; g < m->ngroups; g++) {
        size_t l = strlen(names);
        snprintf(names + l, sizeof names - l, ", %s=[...]", m->groups[g].name);
    }
    return SS_FAIL_COL(SS_ERR_NAME, a->col,
                       "'%s' has no parameter '%s' (parameters: %s)",
                       m->type->name, a->key, names);
}

static ss_status parse_vector_option(model *m, size_t o, const model_arg *a)
{
    const model_optdef *d = &m->type->opts[o];
    if (!a->num || a->n == 0)
        return SS_FAIL_COL(SS_ERR_USAGE, a->col,
                           "option %s takes a vector of numbers, as in "
                           "%s=[1,2]",
                           d->name, d->name);
    if (a->n > d->vec->maxlen)
        return SS_FAIL_COL(SS_ERR_RANGE, a->col,
                           "option %s takes at most %zu entr%s, got %zu",
                           d->name, d->vec->maxlen, d->vec->maxlen == 1 ? "y" : "ies",
                           a->n);
    for (size_t k = 0; k < a->n; k++) {
        double v = a->num[k];
        if (!isfinite(v) || v < d->lo || v > d->hi)
            return SS_FAIL_COL(SS_ERR_RANGE, a->col,
                               "option %s: entry %zu = %g is outside "
                               "[%g, %g]",
                               d->name, k + 1, v, d->lo, d->hi);
        if (d->vec->whole && v != floor(v))
            return SS_FAIL_COL(SS_ERR_RANGE, a->col,
                               "option %s: entry %zu = %g must be a whole "
                               "number",
                               d->name, k + 1, v);
    }
    double *v = malloc(a->n * sizeof *v);
    if (!v)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    memcpy(v, a->num, a->n * sizeof *v);
    free(m->optvec[o].v);
    m->optvec[o].v = v;
    m->optvec[o].n = a->n;
    m->opt[o] = (double)a->n;
    return SS_OK;
}

static ss_status parse_options(model *m, const model_arg *args, size_t nargs,
                               unsigned char *used)
{
    const model_type *t = m->type;
    size_t no = t->nopts ? t->nopts : 1;
    m->opt = calloc(no, sizeof *m->opt);
    m->opt_choice = calloc(no, sizeof *m->opt_choice);
    m->optvec = calloc(no, sizeof *m->optvec);
    if (!m->opt || !m->opt_choice || !m->optvec)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    for (size_t o = 0; o < t->nopts; o++) {
        const model_optdef *d = &t->opts[o];
        m->opt[o] = d->def;
        m->opt_choice[o] = d->kind == MOPT_ENUM ? d->choices[0] : NULL;
        if (d->kind == MOPT_VECTOR && !d->vec)
            return SS_FAIL(SS_ERR_USAGE, "%s: vector option %s has no "
                                         "length or default",
                           t->name, d->name);
        if (d->kind == MOPT_VECTOR) {
            m->optvec[o].v = malloc((d->vec->ndef ? d->vec->ndef : 1) * sizeof(double));
            if (!m->optvec[o].v)
                return SS_FAIL(SS_ERR_NOMEM, "out of memory");
            if (d->vec->ndef)
                memcpy(m->optvec[o].v, d->vec->def, d->vec->ndef * sizeof(double));
            m->optvec[o].n = d->vec->ndef;
            m->opt[o] = (double)d->vec->ndef;
        }
        const model_arg *a = model_arg_find(args, nargs, d->name, used);
        if (!a)
            continue;
        if (d->kind == MOPT_VECTOR) {
            ss_status st = parse_vector_option(m, o, a);
            if (st != SS_OK)
                return st;
            continue;
        }
        if (d->kind == MOPT_ENUM) {
            const char *v = a->str;
            int found = -1;
            for (int c = 0; v && d->choices[c]; c++)
                if (strcmp(d->choices[c], v) == 0)
                    found = c;
            if (found < 0) {
                char list[200] = "";
                for (int c = 0; d->choices[c]; c++) {
                    size_t l = strlen(list);
                    snprintf(list + l, sizeof list - l, "%s%s", c ? "|" : "",
                             d->choices[c]);
                }
                return SS_FAIL_COL(SS_ERR_RANGE, a->col,
                                   "option %s must be one of %s", d->name,
                                   list);
            }
            m->opt_choice[o] = d->choices[found];
            continue;
        }
        /* a numeric option with choices also takes those words (gmm's
         * s=free): the word is kept in opt_choice, the number stays the
         * default */
        for (int c = 0; a->str && d->choices && d->choices[c]; c++)
            if (strcmp(d->choices[c], a->str) == 0)
                m->opt_choice[o] = d->choices[c];
        if (m->opt_choice[o])
            continue;
        if (a->str && d->choices)
            return SS_FAIL_COL(SS_ERR_USAGE, a->col,
                               "option %s takes one number or %s, not %s",
                               d->name, d->choices[0], a->str);
        if (!a->num || a->n != 1 || a->is_vector)
            return SS_FAIL_COL(SS_ERR_USAGE, a->col,
                               "option %s takes one number", d->name);
        double v = a->num[0];
        if (!isfinite(v) || v < d->lo || v > d->hi)
            return SS_FAIL_COL(SS_ERR_RANGE, a->col,
                               "option %s = %g is outside [%g, %g]", d->name,
                               v, d->lo, d->hi);
        if (d->kind == MOPT_INT && v != floor(v))
            return SS_FAIL_COL(SS_ERR_RANGE, a->col,
                               "option %s must be a whole number", d->name);
        m->opt[o] = v;
    }
    return SS_OK;
}

ss_status model_alloc(const model_type *t, const model_arg *args,
                      size_t nargs, model **out)
{
    *out = NULL;
    model *m = calloc(1, sizeof *m);
    unsigned char *used = calloc(nargs ? nargs : 1, 1);
    if (!m || !used) {
        free(m);
        free(used);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    m->type = t;
    ss_status st = parse_options(m, args, nargs, used);
    if (st == SS_OK)
        st = t->configure(m, args, nargs, used);
    if (st == SS_OK) {
        /* Remaining args set parameter values: collect and assign at once. */
        model_arg *rest = malloc((nargs ? nargs : 1) * sizeof *rest);
        size_t nrest = 0;
        if (!rest)
            st = SS_FAIL(SS_ERR_NOMEM, "out of memory");
        for (size_t i = 0; st == SS_OK && i < nargs; i++)
            if (!used[i])
                rest[nrest++] = args[i];
        if (st == SS_OK)
            st = model_set_params(m, rest, nrest, -1);
        if (st == SS_OK && nrest == 0)
            st = model_validate(m, m->theta);
        free(rest);
    }
    free(used);
    if (st != SS_OK) {
        model_free(m);
        return st;
    }
    *out = m;
    return SS_OK;
}

static double *dup_doubles(const double *v, size_t n)
{
    double *d = malloc((n ? n : 1) * sizeof *d);
    if (d && n)
        memcpy(d, v, n * sizeof *d);
    return d;
}

model *model_clone(const model *src)
{
    model *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    *m = *src;
    /* nothing of src's may be freed through m on failure */
    m->theta = NULL;
    m->is_free = NULL;
    m->groups = NULL;
    m->opt = NULL;
    m->opt_choice = NULL;
    m->optvec = NULL;
    m->segs = NULL;
    m->state = NULL;
    m->ubound = NULL;
    m->prior = NULL;
    size_t no = src->type->nopts ? src->type->nopts : 1;
    int ok = 1;
    if (src->ubound) {
        m->ubound = dup_doubles(src->ubound, 2 * src->P);
        ok = m->ubound != NULL;
    }
    if (ok && src->prior) {
        m->prior = malloc(src->P * sizeof *m->prior);
        ok = m->prior != NULL;
        if (ok)
            memcpy(m->prior, src->prior, src->P * sizeof *m->prior);
    }
    m->theta = dup_doubles(src->theta, src->P);
    m->is_free = malloc(src->P ? src->P : 1);
    m->groups = malloc((src->ngroups ? src->ngroups : 1) * sizeof *m->groups);
    m->segs = calloc(src->nsegs ? src->nsegs : 1, sizeof *m->segs);
    m->opt = dup_doubles(src->opt, src->type->nopts);
    m->opt_choice = calloc(no, sizeof *m->opt_choice);
    m->optvec = calloc(no, sizeof *m->optvec);
    if (!m->theta || !m->is_free || !m->groups || !m->segs || !m->opt ||
        !m->opt_choice || !m->optvec)
        ok = 0;
    if (ok) {
        memcpy(m->is_free, src->is_free, src->P);
        if (src->ngroups) /* groups may be NULL: memcpy must not see it */
            memcpy(m->groups, src->groups,
                   src->ngroups * sizeof *m->groups);
        for (size_t o = 0; o < src->type->nopts; o++)
            m->opt_choice[o] = src->opt_choice[o];
        m->nsegs = 0;
        for (size_t s = 0; s < src->nsegs && ok; s++) {
            const model_seg *a = &src->segs[s];
            model_seg *b = &m->segs[s];
            *b = *a;
            b->lo_each = b->hi_each = NULL;
            m->nsegs = s + 1;
            if (a->lo_each) {
                b->lo_each = dup_doubles(a->lo_each, a->count);
                b->hi_each = dup_doubles(a->hi_each, a->count);
                ok = b->lo_each && b->hi_each;
            }
        }
        for (size_t o = 0; ok && src->optvec && o < src->type->nopts; o++)
            if (src->optvec[o].v) {
                m->optvec[o].v =
                    dup_doubles(src->optvec[o].v, src->optvec[o].n);
                m->optvec[o].n = src->optvec[o].n;
                ok = m->optvec[o].v != NULL;
            }
    }
    if (!ok || (src->state && (!src->type->copy_state ||
                               src->type->copy_state(src, m) != SS_OK))) {
        model_free(m); /* m->state is NULL: nothing to release */
        return NULL;
    }
    return m;
}

ss_status model_validate(const model *m, const double *theta)
{
    for (size_t s = 0; s < m->nsegs; s++) {
        const model_seg *sg = &m->segs[s];
        for (size_t k = 0; k < sg->count; k++) {
            size_t i = sg->first + k;
            double lo = seg_lo(m, sg, k), hi = seg_hi(m, sg, k);
            if (!isfinite(theta[i]))
                return SS_FAIL(SS_ERR_RANGE, "%s must be finite",
                               MODEL_PNAME(m, i));
            if (theta[i] < lo || theta[i] > hi)
                return SS_FAIL(SS_ERR_RANGE, "%s = %g is outside [%g, %g]",
                               MODEL_PNAME(m, i), theta[i], lo, hi);
        }
    }
    if (m->type->check)
        return m->type->check(m, theta);
    return SS_OK;
}

ss_status model_set_params(model *m, const model_arg *args, size_t nargs,
                           int mark_free)
{
    double *trial = malloc((m->P ? m->P : 1) * sizeof *trial);
    unsigned char *fr = malloc(m->P ? m->P : 1);
    if (!trial || !fr) {
        free(trial);
        free(fr);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    memcpy(trial, m->theta, m->P * sizeof *trial);
    memcpy(fr, m->is_free, m->P);
    ss_status st = SS_OK;
    for (size_t i = 0; i < nargs && st == SS_OK; i++) {
        const model_arg *a = &args[i];
        char why[200];
        size_t pidx = 0;
        int found = find_param(m, a->key, &pidx, why, sizeof why);
        int pi = found == 1 ? (int)pidx : -1;
        int gi = pi < 0 ? model_group_index(m, a->key) : -1;
        if (pi < 0 && gi < 0) {
            if (found < 0)
                st = SS_FAIL_COL(SS_ERR_RANGE, a->col, "%s", why);
            else if (model_opt_index(m->type, a->key) >= 0)
                st = SS_FAIL_COL(SS_ERR_USAGE, a->col,
                                 "%s is a structural option of %s, fixed "
                                 "when the model is created (use `model` "
                                 "to re-create it)",
                                 a->key, m->type->name);
            else
                st = unknown_key(m, a);
            break;
        }
        size_t first = pi >= 0 ? (size_t)pi : m->groups[gi].first;
        size_t count = pi >= 0 ? 1 : m->groups[gi].count;
        if (a->names) { /* not a bare name: [a, b] is no value */
            st = SS_FAIL_COL(SS_ERR_USAGE, a->col,
                             "%s needs a number%s, not a list of names",
                             a->key, count > 1 ? " or a vector" : "");
            break;
        }
        if (!a->num) {
            if (mark_free >= 0 && !a->str) {
                for (size_t k = first; k < first + count; k++)
                    fr[k] = (unsigned char)mark_free;
                continue;
            }
            st = SS_FAIL_COL(SS_ERR_USAGE, a->col, "%s needs a number%s",
                             a->key, count > 1 ? " or a vector" : "");
            break;
        }
        if (a->n != count && !(a->n == 1 && !a->is_vector)) {
            st = SS_FAIL_COL(SS_ERR_USAGE, a->col,
                             "%s has %zu component%s, got %zu value%s",
                             a->key, count, count == 1 ? "" : "s", a->n,
                             a->n == 1 ? "" : "s");
            break;
        }
        for (size_t k = 0; k < count; k++) {
            double v = a->num[a->n == 1 ? 0 : k];
            double lo = model_param_lo(m, first + k),
                   hi = model_param_hi(m, first + k);
            if (!isfinite(v) || v < lo || v > hi) {
                st = SS_FAIL_COL(SS_ERR_RANGE, a->col,
                                 "%s = %g is outside its range [%g, %g]",
                                 MODEL_PNAME(m, first + k), v, lo, hi);
                break;
            }
            trial[first + k] = v;
            if (mark_free >= 0)
                fr[first + k] = (unsigned char)mark_free;
        }
    }
    if (st == SS_OK && m->type->check) {
        st = m->type->check(m, trial);
        if (st != SS_OK && nargs > 0)
            ss_error_set_col(args[0].col);
    }
    if (st == SS_OK) {
        memcpy(m->theta, trial, m->P * sizeof *trial);
        memcpy(m->is_free, fr, m->P);
    }
    free(trial);
    free(fr);
    return st;
}

size_t model_free_indices(const model *m, size_t *idx)
{
    size_t k = 0;
    for (size_t i = 0; i < m->P; i++)
        if (m->is_free[i])
            idx[k++] = i;
    return k;
}

/* ---- singular sets ------------------------------------------------------- */

size_t model_nsingular(const model *m)
{
    if (m->type->nsingular)
        return m->type->nsingular(m);
    if (!m->type->singular)
        return 0;
    /* the count at the current point: grow the array until it has room */
    for (size_t cap = 16; cap <= ((size_t)1 << 20); cap *= 2) {
        model_singular *buf = malloc(cap * sizeof *buf);
        if (!buf)
            return 0;
        size_t n = m->type->singular(m, m->theta, buf, cap);
        free(buf);
        if (n < cap)
            return n;
    }
    return (size_t)1 << 20;
}

ss_status model_singular_list(const model *m, const double *theta,
                              model_singular **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    size_t cap = model_nsingular(m);
    if (cap == 0)
        return SS_OK;
    model_singular *buf = calloc(cap, sizeof *buf);
    if (!buf)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory for %zu singular sets",
                       cap);
    *n = m->type->singular(m, theta, buf, cap);
    if (*n == 0)
        free(buf);
    else
        *out = buf;
    return SS_OK;
}

size_t model_singular_distances(const model *m, const double *theta,
                                double *dist, size_t max)
{
    if (m->type->singular_distances)
        return m->type->singular_distances(m, theta, dist, max);
    if (!m->type->singular || max == 0)
        return 0;
    model_singular *sing = malloc(max * sizeof *sing);
    if (!sing)
        return 0;
    size_t n = m->type->singular(m, theta, sing, max);
    for (size_t i = 0; i < n; i++)
        dist[i] = sing[i].distance;
    free(sing);
    return n;
}

ss_status model_free_index_list(const model *m, size_t **idx, size_t *k)
{
    *idx = malloc((m->P ? m->P : 1) * sizeof **idx);
    if (!*idx)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    *k = model_free_indices(m, *idx);
    if (*k == 0) {
        free(*idx);
        *idx = NULL;
        return SS_FAIL(SS_ERR_USAGE,
                       "no free parameters (use `free NAME PARAM`)");
    }
    return SS_OK;
}

int model_nearest_singular(const model *m, model_singular **all,
                           size_t *count)
{
    if (model_singular_list(m, m->theta, all, count) != SS_OK) {
        ss_clear_error(); /* a report: no sets shown */
        return -1;
    }
    int best = -1;
    for (size_t i = 0; i < *count; i++)
        if (best < 0 || (*all)[i].distance < (*all)[best].distance)
            best = (int)i;
    return best;
}

ss_status model_axis_find(const model *m, const char *name, model_axis *ax)
{
    memset(ax, 0, sizeof *ax);
    snprintf(ax->name, sizeof ax->name, "%s", name);
    int pi = model_param_index(m, name);
    if (pi >= 0) {
        ax->index = (size_t)pi;
        return SS_OK;
    }
    char(*names)[MODEL_NAME_MAX] = NULL;
    size_t nc = 0;
    if (m->type->coord_names) {
        names = calloc(m->P ? m->P : 1, sizeof *names);
        if (!names)
            return SS_FAIL(SS_ERR_NOMEM, "out of memory");
        nc = m->type->coord_names(m, names);
        for (size_t i = 0; i < nc; i++)
            if (strcmp(names[i], name) == 0) {
                ax->is_coord = 1;
                ax->index = i;
                free(names);
                return SS_OK;
            }
    }
    char list[400] = "";
    append_names(list, sizeof list, m);
    for (size_t i = 0; i < nc; i++) {
        size_t l = strlen(list);
        snprintf(list + l, sizeof list - l, "%s%s", i ? ", " : "; coordinates ",
                 names[i]);
    }
    free(names);
    return SS_FAIL(SS_ERR_NAME, "%s has no parameter or coordinate '%s' (%s)",
                   m->type->name, name, list);
}

ss_status model_axis_apply(const model *m, const double *theta,
                           const model_axis *ax, double value,
                           double *theta_out)
{
    memcpy(theta_out, theta, m->P * sizeof *theta);
    if (!ax->is_coord) {
        theta_out[ax->index] = value;
        return SS_OK;
    }
    double *c = malloc(m->P * sizeof *c);
    if (!c)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    ss_status st = m->type->to_coords(m, theta, c);
    if (st == SS_OK) {
        c[ax->index] = value;
        st = m->type->from_coords(m, c, theta_out);
    }
    free(c);
    return st;
}

ss_status model_axis_value(const model *m, const double *theta,
                           const model_axis *ax, double *value)
{
    if (!ax->is_coord) {
        *value = theta[ax->index];
        return SS_OK;
    }
    double *c = malloc(m->P * sizeof *c);
    if (!c)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    ss_status st = m->type->to_coords(m, theta, c);
    if (st == SS_OK)
        *value = c[ax->index];
    free(c);
    return st;
}

ss_status model_check_data_cols(const model *m, const gsl_matrix *data,
                                const char *who)
{
    size_t cols = m->type->data_cols(m);
    if (data->size2 != cols)
        return SS_FAIL(SS_ERR_USAGE,
                       "%s: the data set has %zu column%s but a %s model "
                       "takes %zu",
                       who, data->size2, data->size2 == 1 ? "" : "s",
                       m->type->name, cols);
    return SS_OK;
}

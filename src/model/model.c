#include "model/model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every family, in the order `models` lists them: a static table sized by
 * its initialiser, so adding a family cannot overrun it (and no lazy
 * initialisation races between threads). */
static const model_type *const registry[] = {
    &model_gmm_type, &model_mlp2_type, &model_arma_type,
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

int model_param_index(const model *m, const char *name)
{
    for (size_t i = 0; i < m->P; i++)
        if (strcmp(m->params[i].name, name) == 0)
            return (int)i;
    return -1;
}

int model_group_index(const model *m, const char *name)
{
    for (size_t i = 0; i < m->ngroups; i++)
        if (strcmp(m->groups[i].name, name) == 0)
            return (int)i;
    return -1;
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

ss_status model_add_param(model *m, const char *name, double def, double lo,
                          double hi)
{
    model_param *np = realloc(m->params, (m->P + 1) * sizeof *np);
    if (!np)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    m->params = np;
    double *nt = realloc(m->theta, (m->P + 1) * sizeof *nt);
    if (!nt)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    m->theta = nt;
    unsigned char *nf = realloc(m->is_free, m->P + 1);
    if (!nf)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    m->is_free = nf;
    model_param *p = &m->params[m->P];
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name);
    p->lo = lo;
    p->hi = hi;
    p->group = -1;
    m->theta[m->P] = def;
    m->is_free[m->P] = 1;
    m->P++;
    return SS_OK;
}

ss_status model_add_group(model *m, const char *name, size_t first,
                          size_t count)
{
    model_group *ng = realloc(m->groups, (m->ngroups + 1) * sizeof *ng);
    if (!ng)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    m->groups = ng;
    model_group *g = &m->groups[m->ngroups];
    snprintf(g->name, sizeof g->name, "%s", name);
    g->first = first;
    g->count = count;
    for (size_t i = first; i < first + count && i < m->P; i++)
        m->params[i].group = (int)m->ngroups;
    m->ngroups++;
    return SS_OK;
}

void model_free(model *m)
{
    if (!m)
        return;
    if (m->type && m->type->release)
        m->type->release(m);
    free(m->params);
    free(m->theta);
    free(m->is_free);
    free(m->groups);
    free(m);
}

static void append_names(char *buf, size_t n, const model *m)
{
    size_t len = strlen(buf);
    for (size_t i = 0; i < m->P && len + 2 < n; i++) {
        len += (size_t)snprintf(buf + len, n - len, "%s%s", i ? ", " : "",
                                m->params[i].name);
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

static ss_status parse_options(model *m, const model_arg *args, size_t nargs,
                               unsigned char *used)
{
    const model_type *t = m->type;
    for (size_t o = 0; o < t->nopts; o++) {
        const model_optdef *d = &t->opts[o];
        m->opt[o] = d->def;
        m->opt_choice[o] = d->kind == MOPT_ENUM ? d->choices[0] : NULL;
        const model_arg *a = model_arg_find(args, nargs, d->name, used);
        if (!a)
            continue;
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

model *model_clone(const model *src)
{
    model *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    *m = *src;
    m->params = malloc(src->P * sizeof *m->params);
    m->theta = malloc(src->P * sizeof *m->theta);
    m->is_free = malloc(src->P ? src->P : 1);
    m->groups = malloc((src->ngroups ? src->ngroups : 1) * sizeof *m->groups);
    m->state = NULL;
    if (!m->params || !m->theta || !m->is_free || !m->groups) {
        m->type = NULL;
        model_free(m);
        return NULL;
    }
    memcpy(m->params, src->params, src->P * sizeof *m->params);
    memcpy(m->theta, src->theta, src->P * sizeof *m->theta);
    memcpy(m->is_free, src->is_free, src->P);
    if (src->ngroups) /* groups may be NULL: memcpy must not see it */
        memcpy(m->groups, src->groups, src->ngroups * sizeof *m->groups);
    if (src->state && (!src->type->copy_state ||
                       src->type->copy_state(src, m) != SS_OK)) {
        m->type = NULL; /* no state to release */
        model_free(m);
        return NULL;
    }
    return m;
}

ss_status model_validate(const model *m, const double *theta)
{
    for (size_t i = 0; i < m->P; i++) {
        const model_param *p = &m->params[i];
        if (!isfinite(theta[i]))
            return SS_FAIL(SS_ERR_RANGE, "%s must be finite", p->name);
        if (theta[i] < p->lo || theta[i] > p->hi)
            return SS_FAIL(SS_ERR_RANGE, "%s = %g is outside [%g, %g]",
                           p->name, theta[i], p->lo, p->hi);
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
        int pi = model_param_index(m, a->key);
        int gi = pi < 0 ? model_group_index(m, a->key) : -1;
        if (pi < 0 && gi < 0) {
            if (model_opt_index(m->type, a->key) >= 0)
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
            const model_param *p = &m->params[first + k];
            if (!isfinite(v) || v < p->lo || v > p->hi) {
                st = SS_FAIL_COL(SS_ERR_RANGE, a->col,
                                 "%s = %g is outside its range [%g, %g]",
                                 p->name, v, p->lo, p->hi);
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

size_t model_singular_distances(const model *m, const double *theta,
                                double *dist, size_t max)
{
    if (m->type->singular_distances)
        return m->type->singular_distances(m, theta, dist, max);
    if (!m->type->singular)
        return 0;
    model_singular sing[MODEL_MAX_SINGULAR];
    size_t n = m->type->singular(m, theta, sing,
                                 max < MODEL_MAX_SINGULAR ? max
                                                          : MODEL_MAX_SINGULAR);
    for (size_t i = 0; i < n; i++)
        dist[i] = sing[i].distance;
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

int model_nearest_singular(const model *m, model_singular *all,
                           size_t *count)
{
    *count = m->type->singular
                 ? m->type->singular(m, m->theta, all, MODEL_MAX_SINGULAR)
                 : 0;
    int best = -1;
    for (size_t i = 0; i < *count; i++)
        if (best < 0 || all[i].distance < all[best].distance)
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

/* Generic parts of the model interface for structured families: data
 * kinds, the chunked total gradient, teacher compatibility and the test
 * points families declare. */
#include "model/model.h"

#include "core/hash.h"
#include "core/interrupt.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *model_data_kind_name(model_data_kind k)
{
    switch (k) {
    case MODEL_DATA_IID: return "i.i.d. observations";
    case MODEL_DATA_REGRESSION: return "regression (inputs and a response)";
    case MODEL_DATA_SERIES: return "a time series";
    case MODEL_DATA_GROUPED: return "grouped observations";
    }
    return "data";
}

size_t model_nterms(const model *m, const gsl_matrix *data)
{
    return m->type->nterms ? m->type->nterms(m, data) : data->size1;
}

/* Rows per chunk of the summed gradient: the scores matrix stays about
 * 2 MB whatever the data size. */
static size_t grad_chunk(size_t P)
{
    size_t c = (size_t)1 << 18;
    c /= P ? P : 1;
    return c < 16 ? 16 : c;
}

ss_status model_loglik_grad(const model *m, const double *theta,
                            const gsl_matrix *data, double *ell,
                            double *grad)
{
    if (m->type->loglik_grad)
        return m->type->loglik_grad(m, theta, data, ell, grad);
    size_t P = m->P, n = data->size1;
    *ell = 0;
    if (grad)
        memset(grad, 0, P * sizeof *grad);
    if (n == 0)
        return SS_OK;
    if (m->type->data_kind == MODEL_DATA_SERIES) {
        /* A series cannot be cut: its terms depend on the past. */
        double *terms = malloc(n * sizeof *terms);
        gsl_matrix *S = grad ? gsl_matrix_alloc(n, P) : NULL;
        if (!terms || (grad && !S)) {
            free(terms);
            if (S)
                gsl_matrix_free(S);
            return SS_FAIL(SS_ERR_NOMEM, "out of memory for %zu terms", n);
        }
        ss_status st = m->type->loglik_terms(m, theta, data, terms, S);
        long double acc = 0;
        for (size_t i = 0; st == SS_OK && i < n; i++)
            acc += terms[i];
        *ell = (double)acc;
        for (size_t j = 0; st == SS_OK && grad && j < P; j++) {
            long double g = 0;
            for (size_t i = 0; i < n; i++)
                g += gsl_matrix_get(S, i, j);
            grad[j] = (double)g;
        }
        free(terms);
        if (S)
            gsl_matrix_free(S);
        return st;
    }
    size_t chunk = grad_chunk(P);
    if (chunk > n)
        chunk = n;
    double *terms = malloc(chunk * sizeof *terms);
    gsl_matrix *S = grad ? gsl_matrix_alloc(chunk, P) : NULL;
    long double *g = grad ? calloc(P, sizeof *g) : NULL;
    if (!terms || (grad && (!S || !g))) {
        free(terms);
        free(g);
        if (S)
            gsl_matrix_free(S);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    long double acc = 0;
    ss_status st = SS_OK;
    for (size_t i0 = 0; i0 < n && st == SS_OK; i0 += chunk) {
        if (ss_interrupted()) {
            st = SS_FAIL(SS_ERR_INTERRUPTED, "interrupted");
            break;
        }
        size_t len = n - i0 < chunk ? n - i0 : chunk;
        gsl_matrix_const_view rows =
            gsl_matrix_const_submatrix(data, i0, 0, len, data->size2);
        gsl_matrix_view Sv;
        if (S)
            Sv = gsl_matrix_submatrix(S, 0, 0, len, P);
        st = m->type->loglik_terms(m, theta, &rows.matrix, terms,
                                   S ? &Sv.matrix : NULL);
        for (size_t i = 0; st == SS_OK && i < len; i++) {
            acc += terms[i];
            for (size_t j = 0; g && j < P; j++)
                g[j] += gsl_matrix_get(S, i, j);
        }
    }
    if (st == SS_OK) {
        *ell = (double)acc;
        for (size_t j = 0; g && j < P; j++)
            grad[j] = (double)g[j];
    }
    free(terms);
    free(g);
    if (S)
        gsl_matrix_free(S);
    return st;
}

ss_status model_data_compatible(const model *m, const model *teacher)
{
    size_t cm = m->type->data_cols(m), ct = teacher->type->data_cols(teacher);
    if (m->type->data_kind != teacher->type->data_kind)
        return SS_FAIL(SS_ERR_USAGE,
                       "%s produces %s, but %s models %s", teacher->type->name,
                       model_data_kind_name(teacher->type->data_kind),
                       m->type->name,
                       model_data_kind_name(m->type->data_kind));
    if (cm != ct)
        return SS_FAIL(SS_ERR_USAGE,
                       "%s produces %zu data columns, %s needs %zu",
                       teacher->type->name, ct, m->type->name, cm);
    return SS_OK;
}

/* ---- test points ---------------------------------------------------------- */

#define TP_MAX_ARGS 32
#define TP_MAX_VALS 64

ss_status model_alloc_testpoint(const model_type *t,
                                const model_testpoint *tp, model **out)
{
    *out = NULL;
    char buf[1024];
    if (strlen(tp->args) >= sizeof buf)
        return SS_FAIL(SS_ERR_LIMIT, "test point too long");
    strcpy(buf, tp->args);
    model_arg args[TP_MAX_ARGS];
    double vals[TP_MAX_ARGS][TP_MAX_VALS];
    size_t na = 0;
    for (char *save = NULL, *tok = strtok_r(buf, " ", &save); tok;
         tok = strtok_r(NULL, " ", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq || na == TP_MAX_ARGS)
            return SS_FAIL(SS_ERR_SYNTAX, "%s test point '%s': bad '%s'",
                           t->name, tp->label, tok);
        *eq = 0;
        model_arg *a = &args[na];
        memset(a, 0, sizeof *a);
        a->key = tok;
        char *v = eq + 1;
        if (*v == '[') {
            a->is_vector = 1;
            v++;
            while (*v && *v != ']' && a->n < TP_MAX_VALS) {
                char *end;
                errno = 0;
                vals[na][a->n++] = strtod(v, &end);
                if (end == v)
                    return SS_FAIL(SS_ERR_SYNTAX, "%s test point '%s': bad "
                                                  "vector for %s",
                                   t->name, tp->label, tok);
                v = *end == ',' ? end + 1 : end;
            }
            if (*v != ']' || v[1] != 0)
                return SS_FAIL(SS_ERR_SYNTAX, "%s test point '%s': vector "
                                              "for %s must be at most %d "
                                              "numbers ending in ']'",
                               t->name, tp->label, tok, TP_MAX_VALS);
            a->num = vals[na];
        } else {
            char *end;
            double x = strtod(v, &end);
            if (end != v && *end == 0) {
                vals[na][0] = x;
                a->num = vals[na];
                a->n = 1;
            } else {
                a->str = v;
            }
        }
        na++;
    }
    model *m;
    ss_status st = model_alloc(t, args, na, &m);
    if (st != SS_OK)
        return st;
    if (tp->fixed) {
        char fb[256];
        if (strlen(tp->fixed) >= sizeof fb) {
            model_free(m);
            return SS_FAIL(SS_ERR_LIMIT, "%s test point '%s': list of fixed "
                                         "parameters too long",
                           t->name, tp->label);
        }
        snprintf(fb, sizeof fb, "%s", tp->fixed);
        for (char *save = NULL, *tok = strtok_r(fb, " ", &save); tok;
             tok = strtok_r(NULL, " ", &save)) {
            int i = model_param_index(m, tok);
            if (i < 0) {
                model_free(m);
                return SS_FAIL(SS_ERR_NAME, "%s test point '%s': no "
                                            "parameter %s",
                               t->name, tp->label, tok);
            }
            m->is_free[i] = 0;
        }
    }
    *out = m;
    return SS_OK;
}

/* ---- designs -------------------------------------------------------------- */

struct model_design {
    model_design_kind kind;
    gsl_matrix *X;
    size_t *group;
    size_t ngroups;
};

ss_status model_design_alloc(model_design_kind kind, const gsl_matrix *X,
                             const size_t *group, model_design **out)
{
    *out = NULL;
    if (!X || X->size1 == 0 || X->size2 == 0)
        return SS_FAIL(SS_ERR_USAGE, "a design needs at least one row and "
                                     "one column");
    for (size_t i = 0; i < X->size1; i++)
        for (size_t j = 0; j < X->size2; j++)
            if (!isfinite(gsl_matrix_get(X, i, j)))
                return SS_FAIL(SS_ERR_RANGE, "design entry (%zu, %zu) is not "
                                             "finite",
                               i + 1, j + 1);
    model_design *d = calloc(1, sizeof *d);
    if (!d)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    d->kind = kind;
    d->X = gsl_matrix_alloc(X->size1, X->size2);
    d->group = calloc(X->size1, sizeof *d->group);
    if (!d->X || !d->group) {
        model_design_free(d);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory for a %zu x %zu design",
                       X->size1, X->size2);
    }
    gsl_matrix_memcpy(d->X, X);
    d->ngroups = 1;
    if (group) {
        d->ngroups = 0;
        for (size_t i = 0; i < X->size1; i++) {
            d->group[i] = group[i];
            if (group[i] + 1 > d->ngroups)
                d->ngroups = group[i] + 1;
        }
    }
    *out = d;
    return SS_OK;
}

void model_design_free(model_design *d)
{
    if (!d)
        return;
    if (d->X)
        gsl_matrix_free(d->X);
    free(d->group);
    free(d);
}

model_design_kind model_design_kind_of(const model_design *d)
{
    return d->kind;
}

const char *model_design_kind_name(model_design_kind k)
{
    switch (k) {
    case MODEL_DESIGN_INPUTS: return "inputs";
    case MODEL_DESIGN_TIMES: return "times";
    case MODEL_DESIGN_DOSES: return "doses";
    }
    return "design";
}

const gsl_matrix *model_design_matrix(const model_design *d)
{
    return d->X;
}

size_t model_design_rows(const model_design *d)
{
    return d->X->size1;
}

size_t model_design_group(const model_design *d, size_t row)
{
    return row < d->X->size1 ? d->group[row] : 0;
}

size_t model_design_ngroups(const model_design *d)
{
    return d->ngroups;
}

ss_status model_sample_design(const model *m, const double *theta,
                              const model_design *d, gsl_rng *r,
                              gsl_matrix *out)
{
    if (!m->type->sample_design)
        return SS_FAIL(SS_ERR_USAGE, "%s takes no design (it draws %s "
                                     "without one)",
                       m->type->name, model_data_kind_name(m->type->data_kind));
    size_t cols = m->type->data_cols(m);
    if (out->size1 != d->X->size1 || out->size2 != cols)
        return SS_FAIL(SS_ERR_USAGE, "a sample on a design of %zu rows needs "
                                     "a %zu x %zu matrix, not %zu x %zu",
                       d->X->size1, d->X->size1, cols, out->size1,
                       out->size2);
    return m->type->sample_design(m, theta, d, r, out);
}

ss_status model_fim_design(const model *m, const double *theta,
                           const model_design *d, gsl_matrix *G)
{
    if (!m->type->fim_design)
        return SS_FAIL(SS_ERR_USAGE, "%s has no Fisher information on a "
                                     "design (it takes none)",
                       m->type->name);
    if (G->size1 != m->P || G->size2 != m->P)
        return SS_FAIL(SS_ERR_USAGE, "the information of %s needs a %zu x %zu "
                                     "matrix, not %zu x %zu",
                       m->type->name, m->P, m->P, G->size1, G->size2);
    return m->type->fim_design(m, theta, d, G);
}

uint64_t model_fingerprint(const model *m)
{
    uint64_t h = ss_hash_str(SS_HASH_INIT, m->type->name);
    h = ss_hash_u64(h, m->P);
    for (size_t i = 0; i < m->P; i++) {
        h = ss_hash_double(h, m->theta[i]);
        h = ss_hash_u64(h, m->is_free[i]);
        h = ss_hash_double(h, m->ubound ? m->ubound[2 * i] : NAN);
        h = ss_hash_double(h, m->ubound ? m->ubound[2 * i + 1] : NAN);
        const model_prior *pr = model_prior_of(m, i);
        h = ss_hash_u64(h, pr ? (uint64_t)pr->kind : 0);
        h = ss_hash_double(h, pr ? pr->a : NAN);
        h = ss_hash_double(h, pr ? pr->b : NAN);
    }
    for (size_t o = 0; o < m->type->nopts; o++) {
        h = ss_hash_double(h, m->opt[o]);
        h = ss_hash_str(h, m->opt_choice[o]);
        h = ss_hash_u64(h, m->optvec[o].n);
        for (size_t k = 0; k < m->optvec[o].n; k++)
            h = ss_hash_double(h, m->optvec[o].v[k]);
    }
    if (m->type->fingerprint)
        h = m->type->fingerprint(m, h);
    return h;
}

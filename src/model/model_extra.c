/* Generic parts of the model interface for structured families: data
 * kinds, the chunked total gradient, teacher compatibility and the test
 * points families declare. */
#include "model/model.h"

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

#include "fim/fim.h"

#include "core/interrupt.h"
#include "core/rng.h"

#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *fim_method_name(fim_method m)
{
    switch (m) {
    case FIM_EXACT: return "exact";
    case FIM_MC: return "mc";
    case FIM_EMPIRICAL: return "empirical";
    case FIM_OBSERVED: return "observed";
    }
    return "?";
}

int fim_method_parse(const char *s)
{
    static const char *const names[] = {"exact", "mc", "empirical",
                                        "observed"};
    for (int i = 0; i < 4; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

fim_result *fim_result_alloc(size_t k)
{
    fim_result *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->k = k;
    f->idx = calloc(k ? k : 1, sizeof *f->idx);
    f->names = calloc(k ? k : 1, sizeof *f->names);
    f->G = gsl_matrix_calloc(k ? k : 1, k ? k : 1);
    if (!f->idx || !f->names || !f->G) {
        fim_result_free(f);
        return NULL;
    }
    return f;
}

void fim_result_free(fim_result *f)
{
    if (!f)
        return;
    free(f->idx);
    free(f->names);
    if (f->G)
        gsl_matrix_free(f->G);
    if (f->se)
        gsl_matrix_free(f->se);
    if (f->root)
        gsl_matrix_free(f->root);
    free(f);
}

static int all_finite(const gsl_matrix *A)
{
    for (size_t i = 0; i < A->size1; i++)
        for (size_t j = 0; j < A->size2; j++)
            if (!isfinite(gsl_matrix_get(A, i, j)))
                return 0;
    return 1;
}

static ss_status exact(const model *m, int want_root, fim_result *f)
{
    if (!m->type->fim_exact)
        return SS_FAIL(SS_ERR_USAGE,
                       "%s has no exact FIM; use method=mc n=N",
                       m->type->name);
    gsl_matrix *G = gsl_matrix_alloc(m->P, m->P);
    gsl_matrix *root = NULL;
    if (!G)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    ss_gsl_clear();
    ss_status st = m->type->fim_exact(m, m->theta, G,
                                      want_root ? &root : NULL);
    if (st == SS_OK && (!all_finite(G) || ss_gsl_last()))
        st = SS_FAIL(SS_ERR_NUMERIC,
                     "exact FIM of %s is not finite here%s%s (an overflow "
                     "at extreme parameter values: rescale them, or try "
                     "method=mc)",
                     m->type->name, ss_gsl_last() ? ": " : "",
                     ss_gsl_last() ? ss_gsl_last() : "");
    if (st == SS_OK) {
        for (size_t a = 0; a < f->k; a++)
            for (size_t b = 0; b < f->k; b++)
                gsl_matrix_set(f->G, a, b,
                               gsl_matrix_get(G, f->idx[a], f->idx[b]));
        if (root) {
            f->root = gsl_matrix_alloc(root->size1, f->k);
            if (!f->root)
                st = SS_FAIL(SS_ERR_NOMEM, "out of memory");
            for (size_t a = 0; st == SS_OK && a < f->k; a++) {
                gsl_vector_view c = gsl_matrix_column(root, f->idx[a]);
                gsl_matrix_set_col(f->root, a, &c.vector);
            }
        }
    }
    gsl_matrix_free(G);
    if (root)
        gsl_matrix_free(root);
    return st;
}

/* Running sums of s s^T and (s s^T)^2 over free indices, in long double so
 * millions of terms add without visible rounding. */
typedef struct {
    size_t k, n;
    long double *sum, *sumsq;
} outer_acc;

static ss_status acc_init(outer_acc *a, size_t k)
{
    a->k = k;
    a->n = 0;
    a->sum = calloc(k * k, sizeof *a->sum);
    a->sumsq = calloc(k * k, sizeof *a->sumsq);
    if (!a->sum || !a->sumsq)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    return SS_OK;
}

static void acc_done(outer_acc *a)
{
    free(a->sum);
    free(a->sumsq);
}

static void acc_add_rows(outer_acc *a, const gsl_matrix *S, const size_t *idx)
{
    for (size_t r = 0; r < S->size1; r++) {
        for (size_t i = 0; i < a->k; i++) {
            double si = gsl_matrix_get(S, r, idx[i]);
            for (size_t j = i; j < a->k; j++) {
                double v = si * gsl_matrix_get(S, r, idx[j]);
                a->sum[i * a->k + j] += v;
                a->sumsq[i * a->k + j] += (long double)v * v;
            }
        }
    }
    a->n += S->size1;
}

static ss_status acc_result(const outer_acc *a, fim_result *f)
{
    f->se = gsl_matrix_alloc(a->k, a->k);
    if (!f->se)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    double n = (double)a->n;
    for (size_t i = 0; i < a->k; i++)
        for (size_t j = i; j < a->k; j++) {
            long double mean = a->sum[i * a->k + j] / n;
            long double var = a->sumsq[i * a->k + j] / n - mean * mean;
            if (var < 0)
                var = 0;
            /* undefined from one observation: not available */
            double se = n > 1 ? sqrt((double)var / (n - 1)) : NAN;
            gsl_matrix_set(f->G, i, j, (double)mean);
            gsl_matrix_set(f->G, j, i, (double)mean);
            gsl_matrix_set(f->se, i, j, se);
            gsl_matrix_set(f->se, j, i, se);
        }
    f->n = a->n;
    return SS_OK;
}

static ss_status monte_carlo(const model *m, const fim_request *req,
                             fim_result *f)
{
    if (req->n < 2)
        return SS_FAIL(SS_ERR_RANGE, "method=mc needs n >= 2 draws");
    size_t cols = m->type->data_cols(m);
    size_t nchunks = (req->n + FIM_MC_CHUNK - 1) / FIM_MC_CHUNK;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_matrix *X = gsl_matrix_alloc(FIM_MC_CHUNK, cols);
    gsl_matrix *S = gsl_matrix_alloc(FIM_MC_CHUNK, m->P);
    double *ell = malloc(FIM_MC_CHUNK * sizeof *ell);
    outer_acc acc = {0};
    ss_status st = acc_init(&acc, f->k);
    if (!r || !X || !S || !ell)
        st = SS_FAIL(SS_ERR_NOMEM, "out of memory");
    f->n_requested = req->n;
    for (size_t c = 0; st == SS_OK && c < nchunks; c++) {
        if (ss_interrupted()) {
            f->interrupted = 1;
            break;
        }
        size_t len = c + 1 < nchunks ? FIM_MC_CHUNK
                                     : req->n - c * FIM_MC_CHUNK;
        gsl_matrix_view Xv = gsl_matrix_submatrix(X, 0, 0, len, cols);
        gsl_matrix_view Sv = gsl_matrix_submatrix(S, 0, 0, len, m->P);
        ss_rng_seed(r, req->seed, SS_STREAM_MC, c);
        st = m->type->sample(m, m->theta, r, &Xv.matrix);
        if (st == SS_OK)
            st = m->type->loglik_terms(m, m->theta, &Xv.matrix, ell,
                                       &Sv.matrix);
        if (st == SS_OK && !all_finite(&Sv.matrix))
            st = SS_FAIL(SS_ERR_NUMERIC,
                         "a score of %s is not finite at a sampled point",
                         m->type->name);
        if (st == SS_OK)
            acc_add_rows(&acc, &Sv.matrix, f->idx);
        if (req->progress)
            req->progress(req->progress_ctx, c * FIM_MC_CHUNK + len, req->n);
    }
    if (req->progress) /* done, even when stopped early: clear the display */
        req->progress(req->progress_ctx, req->n, req->n);
    if (st == SS_OK && acc.n < 2)
        st = SS_FAIL(SS_ERR_INTERRUPTED,
                     "interrupted before any Monte-Carlo draws finished");
    if (st == SS_OK)
        st = acc_result(&acc, f);
    acc_done(&acc);
    free(ell);
    if (S)
        gsl_matrix_free(S);
    if (X)
        gsl_matrix_free(X);
    if (r)
        gsl_rng_free(r);
    return st;
}

static ss_status check_data(const model *m, const gsl_matrix *data)
{
    if (!data)
        return SS_FAIL(SS_ERR_USAGE,
                       "this FIM variant needs a data set: data=NAME");
    size_t cols = m->type->data_cols(m);
    if (data->size2 != cols)
        return SS_FAIL(SS_ERR_USAGE,
                       "the data set has %zu column%s but a %s model "
                       "expects %zu",
                       data->size2, data->size2 == 1 ? "" : "s",
                       m->type->name, cols);
    if (data->size1 < 1)
        return SS_FAIL(SS_ERR_USAGE, "the data set is empty");
    return SS_OK;
}

static ss_status empirical(const model *m, const gsl_matrix *data,
                           fim_result *f)
{
    ss_status st = check_data(m, data);
    if (st != SS_OK)
        return st;
    size_t n = data->size1;
    gsl_matrix *S = gsl_matrix_alloc(n, m->P);
    double *ell = malloc(n * sizeof *ell);
    outer_acc acc = {0};
    st = acc_init(&acc, f->k);
    if (!S || !ell)
        st = SS_FAIL(SS_ERR_NOMEM, "out of memory");
    if (st == SS_OK)
        st = m->type->loglik_terms(m, m->theta, data, ell, S);
    if (st == SS_OK && !all_finite(S))
        st = SS_FAIL(SS_ERR_NUMERIC, "a score is not finite on this data");
    if (st == SS_OK) {
        acc_add_rows(&acc, S, f->idx);
        st = acc_result(&acc, f);
    }
    acc_done(&acc);
    free(ell);
    if (S)
        gsl_matrix_free(S);
    return st;
}

/* Total score over the data at theta, into tot (length P). */
static ss_status total_score(const model *m, const double *theta,
                             const gsl_matrix *data, gsl_matrix *S,
                             double *ell, double *tot)
{
    ss_status st = m->type->loglik_terms(m, theta, data, ell, S);
    if (st != SS_OK)
        return st;
    for (size_t p = 0; p < m->P; p++) {
        long double s = 0;
        for (size_t i = 0; i < S->size1; i++)
            s += gsl_matrix_get(S, i, p);
        tot[p] = (double)s;
        if (!isfinite(tot[p]))
            return SS_FAIL(SS_ERR_NUMERIC,
                           "the score is not finite on this data");
    }
    return SS_OK;
}

/* Whether moving parameter j to value v keeps the model valid; th is
 * scratch space of length P. */
static int in_domain(const model *m, double *th, size_t j, double v)
{
    if (v < m->params[j].lo || v > m->params[j].hi)
        return 0;
    if (!m->type->check)
        return 1;
    memcpy(th, m->theta, m->P * sizeof *th);
    th[j] = v;
    ss_status st = m->type->check(m, th);
    ss_clear_error(); /* probing, not failing */
    return st == SS_OK;
}

/* Observed information by central differences of the analytic score
 * (one-sided at a parameter bound, where the density may not exist). */
static ss_status observed(const model *m, const gsl_matrix *data,
                          fim_result *f)
{
    ss_status st = check_data(m, data);
    if (st != SS_OK)
        return st;
    size_t n = data->size1, P = m->P;
    gsl_matrix *S = gsl_matrix_alloc(n, P);
    double *ell = malloc(n * sizeof *ell);
    double *th = malloc(P * sizeof *th);
    double *up = malloc(P * sizeof *up), *dn = malloc(P * sizeof *dn);
    if (!S || !ell || !th || !up || !dn)
        st = SS_FAIL(SS_ERR_NOMEM, "out of memory");
    for (size_t b = 0; st == SS_OK && b < f->k; b++) {
        size_t j = f->idx[b];
        double h = 1e-5 * fmax(1.0, fabs(m->theta[j]));
        double hi = m->theta[j] + h, lo = m->theta[j] - h;
        if (!in_domain(m, th, j, hi))
            hi = m->theta[j];
        if (!in_domain(m, th, j, lo))
            lo = m->theta[j];
        if (hi == lo)
            st = SS_FAIL(SS_ERR_NUMERIC,
                         "cannot differentiate in %s: no room inside its "
                         "valid range", m->params[j].name);
        memcpy(th, m->theta, P * sizeof *th);
        th[j] = hi;
        if (st == SS_OK)
            st = total_score(m, th, data, S, ell, up);
        th[j] = lo;
        if (st == SS_OK)
            st = total_score(m, th, data, S, ell, dn);
        for (size_t a = 0; st == SS_OK && a < f->k; a++)
            gsl_matrix_set(f->G, a, b,
                           -(up[f->idx[a]] - dn[f->idx[a]]) / (hi - lo) /
                               (double)n);
    }
    if (st == SS_OK) {
        for (size_t a = 0; a < f->k; a++)
            for (size_t b = a + 1; b < f->k; b++) {
                double v = 0.5 * (gsl_matrix_get(f->G, a, b) +
                                  gsl_matrix_get(f->G, b, a));
                gsl_matrix_set(f->G, a, b, v);
                gsl_matrix_set(f->G, b, a, v);
            }
        f->n = n;
    }
    free(ell);
    free(th);
    free(up);
    free(dn);
    if (S)
        gsl_matrix_free(S);
    return st;
}

ss_status fim_compute(const model *m, const fim_request *req,
                      fim_result **out)
{
    *out = NULL;
    size_t *idx, k;
    ss_status fs = model_free_index_list(m, &idx, &k);
    if (fs != SS_OK)
        return fs;
    fim_result *f = fim_result_alloc(k);
    if (!f) {
        free(idx);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    memcpy(f->idx, idx, k * sizeof *idx);
    free(idx);
    for (size_t a = 0; a < k; a++)
        memcpy(f->names[a], m->params[f->idx[a]].name, MODEL_NAME_MAX);
    memcpy(f->model_kind, m->type->name,
           strlen(m->type->name) + 1 < MODEL_NAME_MAX
               ? strlen(m->type->name) + 1
               : MODEL_NAME_MAX);
    f->method = req->method;
    ss_status st;
    switch (req->method) {
    case FIM_EXACT: st = exact(m, !req->no_root, f); break;
    case FIM_MC: st = monte_carlo(m, req, f); break;
    case FIM_EMPIRICAL: st = empirical(m, req->data, f); break;
    case FIM_OBSERVED: st = observed(m, req->data, f); break;
    default: st = SS_FAIL(SS_ERR_USAGE, "unknown FIM method"); break;
    }
    if (st == SS_OK && !all_finite(f->G))
        st = SS_FAIL(SS_ERR_NUMERIC, "the %s FIM is not finite here",
                     fim_method_name(req->method));
    if (st != SS_OK) {
        fim_result_free(f);
        return st;
    }
    *out = f;
    return SS_OK;
}

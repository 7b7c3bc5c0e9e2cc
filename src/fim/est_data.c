/* FIMs from a data set: the empirical FIM (the mean outer product of the
 * scores) and the observed information (minus the mean Hessian, by
 * central differences of the analytic score). Both go through the data
 * piece by piece, one piece per step, so memory is O(piece x P) and
 * Ctrl-C stops them between pieces. Stopped early they fail: a FIM of
 * part of the data is not what was asked for. */
#include "fim/fim_int.h"

#include <gsl/gsl_blas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static ss_status check_data(const model *m, const fim_request *req)
{
    const gsl_matrix *data = req->data;
    if (!data)
        return SS_FAIL(SS_ERR_USAGE,
                       "this FIM variant needs a data set: data=NAME");
    ss_status st = model_check_data_cols(m, data, "fim");
    if (st != SS_OK)
        return st;
    if (data->size1 < 1)
        return SS_FAIL(SS_ERR_USAGE, "the data set is empty");
    return SS_OK;
}

/* Rows per piece: FIM_MC_CHUNK for i.i.d. data (the terms of separate
 * rows are separate), the whole series for a series family (its terms
 * depend on all earlier rows), refused when that series' n x P scores
 * would take more than FIM_SERIES_BYTES_MAX bytes. */
static ss_status data_piece(const model *m, const gsl_matrix *data,
                            const char *what, size_t *rows)
{
    size_t n = data->size1;
    if (!m->type->series_memory) {
        *rows = n < FIM_MC_CHUNK ? n : FIM_MC_CHUNK;
        return SS_OK;
    }
    size_t per = (m->P + 1) * sizeof(double);
    if (n > FIM_SERIES_BYTES_MAX / per)
        return SS_FAIL(SS_ERR_LIMIT,
                       "the %s FIM of a %s series needs the scores of all "
                       "%zu observations at once (%zu x %zu doubles, "
                       "%.3g GB), more than the %.3g GB allowed: use a "
                       "shorter series",
                       what, m->type->name, n, n, m->P + 1,
                       (double)n * (double)per / 1e9,
                       (double)FIM_SERIES_BYTES_MAX / 1e9);
    *rows = n;
    return SS_OK;
}

/* What both estimators walk through: the data in pieces. */
typedef struct {
    const model *m;
    const gsl_matrix *data;
    fim_result *f;
    size_t n, piece, r0;
    gsl_matrix *S;
    double *ell;
} walk;

static ss_status walk_init(walk *w, const model *m, const fim_request *req,
                           fim_result *f, const char *what)
{
    memset(w, 0, sizeof *w);
    ss_status st = data_piece(m, req->data, what, &w->piece);
    if (st != SS_OK)
        return st;
    w->m = m;
    w->data = req->data;
    w->f = f;
    w->n = req->data->size1;
    w->S = gsl_matrix_alloc(w->piece, m->P);
    w->ell = malloc(w->piece * sizeof *w->ell);
    if (!w->S || !w->ell)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    return SS_OK;
}

static void walk_done(walk *w)
{
    if (w->S)
        gsl_matrix_free(w->S);
    free(w->ell);
}

/* Scores of the piece at r0 at theta, into *Sv; the log-likelihood
 * terms into w->ell too when with_ell (the scores alone are the same
 * numbers and, for gmm, a faster route: no log1p, two points at a time). */
static ss_status walk_scores(walk *w, const double *theta, int with_ell,
                             size_t *len, gsl_matrix_view *Sv)
{
    *len = w->n - w->r0 < w->piece ? w->n - w->r0 : w->piece;
    gsl_matrix_const_view D =
        gsl_matrix_const_submatrix(w->data, w->r0, 0, *len, w->data->size2);
    *Sv = gsl_matrix_submatrix(w->S, 0, 0, *len, w->m->P);
    return w->m->type->loglik_terms(w->m, theta, &D.matrix,
                                    with_ell ? w->ell : NULL, &Sv->matrix);
}

/* ---- empirical ------------------------------------------------------------- */

/* The Gram dual: with the n x k score rows S, G = S^T S / n and K =
 * S S^T / n share their non-zero eigenvalues. It is the form to keep when
 * there are fewer rows than free parameters (form=auto) or when asked
 * (form=gram): K is n x n, G (k x k) is never formed. */
static size_t free_count(const model *m)
{
    size_t k = 0;
    for (size_t i = 0; i < m->P; i++)
        k += m->is_free[i] != 0;
    return k;
}

static fim_form emp_form(const model *m, const fim_request *req)
{
    if (req->form == FIM_WANT_GRAM)
        return FIM_FORM_GRAM;
    if (req->form == FIM_WANT_AUTO && req->data &&
        req->data->size1 < free_count(m))
        return FIM_FORM_GRAM;
    return FIM_FORM_DENSE;
}

typedef struct {
    walk w;
    fim_acc acc;
    gsl_matrix *S; /* Gram form: the n x k free score rows */
} emp_state;

static void emp_free(emp_state *s)
{
    walk_done(&s->w);
    fim_acc_done(&s->acc);
    if (s->S)
        gsl_matrix_free(s->S);
    free(s);
}

static ss_status emp_start(void *scratch, const model *m,
                           const fim_request *req, fim_result *f,
                           void **state)
{
    (void)scratch;
    emp_state *s = calloc(1, sizeof *s);
    if (!s)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    ss_status st = walk_init(&s->w, m, req, f, "empirical");
    if (st == SS_OK && emp_form(m, req) == FIM_FORM_GRAM) {
        s->S = gsl_matrix_alloc(s->w.n, f->k ? f->k : 1);
        if (!s->S)
            st = SS_FAIL(SS_ERR_NOMEM, "out of memory");
    } else if (st == SS_OK) {
        st = fim_acc_init(&s->acc, f->k);
    }
    if (st != SS_OK) {
        emp_free(s);
        return st;
    }
    *state = s;
    return SS_OK;
}

static ss_status emp_iterate(void *p)
{
    emp_state *s = p;
    size_t len;
    gsl_matrix_view Sv;
    ss_status st = walk_scores(&s->w, s->w.m->theta, 1, &len, &Sv);
    if (st == SS_OK && !fim_all_finite(&Sv.matrix))
        st = SS_FAIL(SS_ERR_NUMERIC, "a score is not finite on this data");
    if (st == SS_OK && s->S) {
        const fim_result *f = s->w.f;
        for (size_t i = 0; i < len; i++)
            for (size_t a = 0; a < f->k; a++)
                gsl_matrix_set(s->S, s->w.r0 + i, a,
                               gsl_matrix_get(&Sv.matrix, i, f->idx[a]));
        s->w.r0 += len;
    } else if (st == SS_OK) {
        fim_acc_add_rows(&s->acc, &Sv.matrix, s->w.f->idx);
        s->w.r0 += len;
    }
    return st;
}

static int emp_test(const void *p)
{
    const emp_state *s = p;
    return s->w.r0 >= s->w.n;
}

static void emp_progress(const void *p, size_t *done, size_t *total)
{
    const emp_state *s = p;
    *done = s->w.r0;
    *total = s->w.n;
}

/* K = S S^T / n (lower triangle by a rank-k update, then mirrored). */
static ss_status gram_result(const emp_state *s, fim_result *f)
{
    size_t n = s->w.n;
    gsl_matrix *K = gsl_matrix_alloc(n, n);
    if (!K)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    if (f->k == 0)
        gsl_matrix_set_zero(K);
    else
        gsl_blas_dsyrk(CblasLower, CblasNoTrans, 1.0 / (double)n, s->S, 0.0,
                       K);
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            gsl_matrix_set(K, i, j, gsl_matrix_get(K, j, i));
    f->K = K;
    f->gram_scale = (double)n;
    f->n = n;
    f->form = FIM_FORM_GRAM;
    return SS_OK;
}

static ss_status emp_finish(void *p, int interrupted, fim_result *f)
{
    emp_state *s = p;
    ss_status st;
    if (s->w.r0 < s->w.n)
        st = SS_FAIL(SS_ERR_INTERRUPTED,
                     "the empirical FIM was stopped after %zu of %zu "
                     "observations",
                     s->w.r0, s->w.n);
    else if (s->S)
        st = gram_result(s, f);
    else
        st = fim_acc_result(&s->acc, f);
    (void)interrupted;
    emp_free(s);
    return st;
}

static ss_status data_check(const model *m, const fim_request *req)
{
    return check_data(m, req);
}

/* The empirical FIM's check: the data, and in Gram form the memory its
 * n x k rows and n x n K take. */
static ss_status emp_check(const model *m, const fim_request *req)
{
    ss_status st = check_data(m, req);
    if (st != SS_OK || emp_form(m, req) != FIM_FORM_GRAM)
        return st;
    double n = (double)req->data->size1, k = (double)free_count(m);
    double bytes = 8.0 * (n * k + n * n);
    if (bytes > (double)FIM_GRAM_BYTES_MAX)
        return SS_FAIL(SS_ERR_LIMIT,
                       "the Gram form of %.0f observations keeps their "
                       "%.0f x %.0f scores and the %.0f x %.0f K = S S^T/n "
                       "(%.3g GB, more than the %.3g GB allowed): use "
                       "form=dense, or fewer observations",
                       n, n, k, n, n, bytes / 1e9,
                       (double)FIM_GRAM_BYTES_MAX / 1e9);
    return SS_OK;
}

const fim_estimator fim_est_empirical = {
    .name = "empirical",
    .label = "empirical FIM (outer products of scores)",
    .help = "(1/n) sum s(x_i) s(x_i)^T over a data set (data=)",
    .method = FIM_EMPIRICAL,
    .needs = FIM_NEEDS_DATA,
    .props = FIM_PROP_PSD | FIM_PROP_SAMPLED | FIM_PROP_SE | FIM_PROP_GRAM,
    .check = emp_check,
    .form = emp_form,
    .start = emp_start,
    .iterate = emp_iterate,
    .test = emp_test,
    .progress = emp_progress,
    .finish = emp_finish,
};

/* ---- observed ----------------------------------------------------------------- */

/* For each free parameter b, two passes over the data (the total score at
 * theta + h e_b and at theta - h e_b), a piece per step. */
typedef struct {
    walk w;
    size_t P, b;
    int pass;          /* 0: up, 1: down */
    double hi, lo;
    double *th, *up, *dn;
    long double *tot;  /* the running total score of the pass */
} obs_state;

static void obs_free(obs_state *s)
{
    walk_done(&s->w);
    free(s->th);
    free(s->up);
    free(s->dn);
    free(s->tot);
    free(s);
}

/* Whether moving parameter j to value v keeps the model valid; th is
 * scratch space of length P. */
static int in_domain(const model *m, double *th, size_t j, double v)
{
    if (v < model_param_lo(m, j) || v > model_param_hi(m, j))
        return 0;
    if (!m->type->check)
        return 1;
    memcpy(th, m->theta, m->P * sizeof *th);
    th[j] = v;
    ss_status st = m->type->check(m, th);
    ss_clear_error(); /* probing, not failing */
    return st == SS_OK;
}

/* Set up the two points of column b (one-sided at a bound of the valid
 * region, where the density may not exist). */
static ss_status obs_column(obs_state *s)
{
    const model *m = s->w.m;
    size_t j = s->w.f->idx[s->b];
    double h = 1e-5 * fmax(1.0, fabs(m->theta[j]));
    s->hi = m->theta[j] + h;
    s->lo = m->theta[j] - h;
    if (!in_domain(m, s->th, j, s->hi))
        s->hi = m->theta[j];
    if (!in_domain(m, s->th, j, s->lo))
        s->lo = m->theta[j];
    if (s->hi == s->lo)
        return SS_FAIL(SS_ERR_NUMERIC,
                       "cannot differentiate in %s: no room inside its "
                       "valid range",
                       MODEL_PNAME(m, j));
    s->pass = 0;
    s->w.r0 = 0;
    memset(s->tot, 0, s->P * sizeof *s->tot);
    return SS_OK;
}

static ss_status obs_start(void *scratch, const model *m,
                           const fim_request *req, fim_result *f,
                           void **state)
{
    (void)scratch;
    obs_state *s = calloc(1, sizeof *s);
    if (!s)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    s->P = m->P;
    ss_status st = walk_init(&s->w, m, req, f, "observed");
    s->th = malloc(s->P * sizeof *s->th);
    s->up = malloc(s->P * sizeof *s->up);
    s->dn = malloc(s->P * sizeof *s->dn);
    s->tot = calloc(s->P, sizeof *s->tot);
    if (st == SS_OK && (!s->th || !s->up || !s->dn || !s->tot))
        st = SS_FAIL(SS_ERR_NOMEM, "out of memory");
    if (st == SS_OK && f->k > 0)
        st = obs_column(s);
    if (st != SS_OK) {
        obs_free(s);
        return st;
    }
    *state = s;
    return SS_OK;
}

static ss_status obs_iterate(void *p)
{
    obs_state *s = p;
    const model *m = s->w.m;
    fim_result *f = s->w.f;
    size_t j = f->idx[s->b];
    memcpy(s->th, m->theta, s->P * sizeof *s->th);
    s->th[j] = s->pass ? s->lo : s->hi;
    size_t len;
    gsl_matrix_view Sv;
    ss_status st = walk_scores(&s->w, s->th, 0, &len, &Sv);
    if (st != SS_OK)
        return st;
    const double *S = Sv.matrix.data;
    const size_t tda = Sv.matrix.tda;
    for (size_t q = 0; q < s->P; q++) {
        long double t = s->tot[q];
        for (size_t i = 0; i < len; i++)
            t += S[i * tda + q];
        s->tot[q] = t;
    }
    s->w.r0 += len;
    if (s->w.r0 < s->w.n)
        return SS_OK;
    /* a pass is complete */
    double *dst = s->pass ? s->dn : s->up;
    for (size_t q = 0; q < s->P; q++) {
        dst[q] = (double)s->tot[q];
        if (!isfinite(dst[q]))
            return SS_FAIL(SS_ERR_NUMERIC,
                           "the score is not finite on this data");
    }
    if (s->pass == 0) {
        s->pass = 1;
        s->w.r0 = 0;
        memset(s->tot, 0, s->P * sizeof *s->tot);
        return SS_OK;
    }
    for (size_t a = 0; a < f->k; a++)
        gsl_matrix_set(f->G, a, s->b,
                       -(s->up[f->idx[a]] - s->dn[f->idx[a]]) /
                           (s->hi - s->lo) / (double)s->w.n);
    s->b++;
    return s->b < f->k ? obs_column(s) : SS_OK;
}

static int obs_test(const void *p)
{
    const obs_state *s = p;
    return s->b >= s->w.f->k;
}

static void obs_progress(const void *p, size_t *done, size_t *total)
{
    const obs_state *s = p;
    *total = 2 * s->w.f->k * s->w.n;
    *done = (2 * s->b + (size_t)s->pass) * s->w.n + s->w.r0;
    if (*done > *total)
        *done = *total;
}

static ss_status obs_finish(void *p, int interrupted, fim_result *f)
{
    obs_state *s = p;
    ss_status st = SS_OK;
    (void)interrupted;
    if (s->b < f->k) {
        size_t done, total;
        obs_progress(s, &done, &total);
        st = SS_FAIL(SS_ERR_INTERRUPTED,
                     "the observed information was stopped after %.0f%% of "
                     "its %zu passes over the data",
                     100.0 * (double)done / (double)total, 2 * f->k);
    } else {
        for (size_t a = 0; a < f->k; a++)
            for (size_t b = a + 1; b < f->k; b++) {
                double v = 0.5 * (gsl_matrix_get(f->G, a, b) +
                                  gsl_matrix_get(f->G, b, a));
                gsl_matrix_set(f->G, a, b, v);
                gsl_matrix_set(f->G, b, a, v);
            }
        f->n = s->w.n;
    }
    obs_free(s);
    return st;
}

const fim_estimator fim_est_observed = {
    .name = "observed",
    .label = "observed information (minus mean Hessian)",
    .help = "-(1/n) sum of the Hessian of log p(x_i) over a data set "
            "(data=), by differences of the score",
    .method = FIM_OBSERVED,
    .needs = FIM_NEEDS_DATA,
    .props = FIM_PROP_SAMPLED,
    .check = data_check,
    .start = obs_start,
    .iterate = obs_iterate,
    .test = obs_test,
    .progress = obs_progress,
    .finish = obs_finish,
};

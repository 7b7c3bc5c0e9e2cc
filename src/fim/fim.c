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

/* Running power sums of the products y = s_i s_j over free indices (up
 * to y^4, for the kurtosis that says whether the variance of y, hence the
 * standard error, is itself estimated well), in long double so millions
 * of terms add without visible rounding. */
typedef struct {
    size_t k, n;
    long double *sum, *s2, *s3, *s4;
} outer_acc;

static ss_status acc_init(outer_acc *a, size_t k)
{
    a->k = k;
    a->n = 0;
    a->sum = calloc(k * k, sizeof *a->sum);
    a->s2 = calloc(k * k, sizeof *a->s2);
    a->s3 = calloc(k * k, sizeof *a->s3);
    a->s4 = calloc(k * k, sizeof *a->s4);
    if (!a->sum || !a->s2 || !a->s3 || !a->s4)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    return SS_OK;
}

static void acc_done(outer_acc *a)
{
    free(a->sum);
    free(a->s2);
    free(a->s3);
    free(a->s4);
}

static void acc_add_rows(outer_acc *a, const gsl_matrix *S, const size_t *idx)
{
    for (size_t r = 0; r < S->size1; r++) {
        for (size_t i = 0; i < a->k; i++) {
            double si = gsl_matrix_get(S, r, idx[i]);
            for (size_t j = i; j < a->k; j++) {
                long double v = (long double)si * gsl_matrix_get(S, r, idx[j]);
                long double v2 = v * v;
                a->sum[i * a->k + j] += v;
                a->s2[i * a->k + j] += v2;
                a->s3[i * a->k + j] += v2 * v;
                a->s4[i * a->k + j] += v2 * v2;
            }
        }
    }
    a->n += S->size1;
}

/* The relative error of the sample variance of n i.i.d. terms is
 * sqrt((kurtosis - 1) / n), half that of the standard error; beyond this
 * (a standard error known to worse than 25%) it is not to be trusted: a
 * few huge terms carry the variance (heavy-tailed scores). The same rule
 * judges the spread of the independent series means of a series family. */
#define FIM_SE_RELERR_MAX 0.5

/* Mean, standard error from the per-term variance (the terms i.i.d.) and
 * the kurtosis check, into f. */
static ss_status acc_result(const outer_acc *a, fim_result *f)
{
    f->se = gsl_matrix_alloc(a->k, a->k);
    if (!f->se)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    double n = (double)a->n, worst = 0;
    size_t wi = 0, wj = 0;
    for (size_t i = 0; i < a->k; i++)
        for (size_t j = i; j < a->k; j++) {
            size_t e = i * a->k + j;
            long double mean = a->sum[e] / n;
            long double var = a->s2[e] / n - mean * mean;
            if (var < 0)
                var = 0;
            /* undefined from one observation: not available */
            double se = n > 1 ? sqrt((double)var / (n - 1)) : NAN;
            gsl_matrix_set(f->G, i, j, (double)mean);
            gsl_matrix_set(f->G, j, i, (double)mean);
            gsl_matrix_set(f->se, i, j, se);
            gsl_matrix_set(f->se, j, i, se);
            long double m4 = a->s4[e] / n - 4 * mean * a->s3[e] / n +
                             6 * mean * mean * a->s2[e] / n -
                             3 * mean * mean * mean * mean;
            /* a variance at the rounding of the mean: nothing to judge */
            if (!(var > 1e-12L * mean * mean) || !(var > 0))
                continue;
            double kurt = (double)(m4 / (var * var));
            double rel = sqrt(fmax(kurt - 1.0, 0.0) / n);
            if (rel > worst) {
                worst = rel;
                wi = i;
                wj = j;
            }
        }
    f->n = a->n;
    if (worst > FIM_SE_RELERR_MAX)
        snprintf(f->warning, sizeof f->warning,
                 "the standard errors are unreliable: the terms of "
                 "[%s,%s] are heavy-tailed (kurtosis %.3g over %zu "
                 "terms: the standard error is known only to about "
                 "%.0f%%)",
                 f->names[wi], f->names[wj], worst * worst * n + 1.0,
                 a->n, 50.0 * fmin(worst, 99.99));
    return SS_OK;
}

/* Monte-Carlo FIM of an i.i.d. family: FIM_MC_CHUNK draws per chunk, each
 * chunk seeded from (seed, chunk). */
static ss_status monte_carlo_iid(const model *m, const fim_request *req,
                                 fim_result *f)
{
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

/* Monte-Carlo FIM of a series family. The scores of one series are
 * correlated products and those of a finite series have a start-up bias
 * (the exact likelihood of x_1..x_n, not the per-observation limit), so:
 * nb independent series, series b seeded from (seed, b), each of
 * burnin + len_b draws of which only the last len_b scores count (after
 * the burn-in, stationary-state scores: unbiased for G whatever len_b);
 * G is the mean over all terms and its standard error that of a weighted
 * mean of the nb independent series means (batch means). */
static ss_status monte_carlo_series(const model *m, const fim_request *req,
                                    size_t burnin, fim_result *f)
{
    size_t n = req->n, k = f->k, kk = k * k;
    size_t nb = n < FIM_MC_SERIES ? n : FIM_MC_SERIES;
    if ((n + nb - 1) / nb > FIM_MC_SERIES_MAX)
        nb = (n + FIM_MC_SERIES_MAX - 1) / FIM_MC_SERIES_MAX;
    size_t lmax = (n + nb - 1) / nb, rows = burnin + lmax;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_matrix *X = gsl_matrix_alloc(rows, 1);
    gsl_matrix *S = gsl_matrix_alloc(rows, m->P);
    double *ell = malloc(rows * sizeof *ell);
    /* T[b kk + e]: the sum of the products of entry e over series b */
    long double *T = calloc(nb * kk, sizeof *T);
    size_t *len = calloc(nb, sizeof *len);
    ss_status st = SS_OK;
    if (!r || !X || !S || !ell || !T || !len)
        st = SS_FAIL(SS_ERR_NOMEM,
                     "out of memory (a series of %zu draws)", rows);
    if (st == SS_OK && m->type->data_cols(m) != 1)
        st = SS_FAIL(SS_ERR_USAGE, "a series family must have one column");
    f->n_requested = n;
    size_t used = 0, done_b = 0;
    for (size_t b = 0; st == SS_OK && b < nb; b++) {
        if (ss_interrupted()) {
            f->interrupted = 1;
            break;
        }
        size_t lb = n / nb + (b < n % nb);
        gsl_matrix_view Xv = gsl_matrix_submatrix(X, 0, 0, burnin + lb, 1);
        gsl_matrix_view Sv = gsl_matrix_submatrix(S, 0, 0, burnin + lb, m->P);
        ss_rng_seed(r, req->seed, SS_STREAM_MC, b);
        st = m->type->sample(m, m->theta, r, &Xv.matrix);
        if (st == SS_OK)
            st = m->type->loglik_terms(m, m->theta, &Xv.matrix, ell,
                                       &Sv.matrix);
        gsl_matrix_view Su = gsl_matrix_submatrix(S, burnin, 0, lb, m->P);
        if (st == SS_OK && !all_finite(&Su.matrix))
            st = SS_FAIL(SS_ERR_NUMERIC,
                         "a score of %s is not finite at a sampled point",
                         m->type->name);
        if (st != SS_OK)
            break;
        long double *Tb = T + b * kk;
        for (size_t t = 0; t < lb; t++)
            for (size_t i = 0; i < k; i++) {
                double si = gsl_matrix_get(&Su.matrix, t, f->idx[i]);
                for (size_t j = i; j < k; j++)
                    Tb[i * k + j] += (long double)si *
                                     gsl_matrix_get(&Su.matrix, t, f->idx[j]);
            }
        len[b] = lb;
        used += lb;
        done_b++;
        if (req->progress)
            req->progress(req->progress_ctx, used, n);
    }
    if (req->progress)
        req->progress(req->progress_ctx, n, n);
    if (st == SS_OK && done_b < 2)
        st = SS_FAIL(SS_ERR_INTERRUPTED,
                     "interrupted before two Monte-Carlo series finished");
    if (st == SS_OK && !(f->se = gsl_matrix_alloc(k, k)))
        st = SS_FAIL(SS_ERR_NOMEM, "out of memory");
    if (st == SS_OK) {
        /* The D_b = T_b - len_b G are independent with mean 0, so
         * Var(G^) = Var(sum_b T_b / N) is estimated by
         * nb/(nb - 1) sum_b D_b^2 / N^2. Their kurtosis says whether that
         * spread is itself trustworthy. */
        long double N = (long double)used, nbl = (long double)done_b;
        double worst = 0;
        size_t wi = 0, wj = 0;
        for (size_t i = 0; i < k; i++)
            for (size_t j = i; j < k; j++) {
                size_t e = i * k + j;
                long double sum = 0, d2 = 0, d4 = 0;
                for (size_t b = 0; b < done_b; b++)
                    sum += T[b * kk + e];
                long double G = sum / N;
                for (size_t b = 0; b < done_b; b++) {
                    long double d = T[b * kk + e] - (long double)len[b] * G;
                    d2 += d * d;
                    d4 += d * d * d * d;
                }
                double se = sqrt((double)(d2 * nbl / (nbl - 1)) /
                                 (double)(N * N));
                gsl_matrix_set(f->G, i, j, (double)G);
                gsl_matrix_set(f->G, j, i, (double)G);
                gsl_matrix_set(f->se, i, j, se);
                gsl_matrix_set(f->se, j, i, se);
                if (d2 > 1e-24L * G * G * N * N) {
                    double kurt = (double)(d4 * nbl / (d2 * d2));
                    if (kurt > worst) {
                        worst = kurt;
                        wi = i;
                        wj = j;
                    }
                }
            }
        f->n = used;
        /* the burn-in is about 30 e-folding times of the memory */
        size_t efold = burnin / 30, lmin = n / nb;
        double rel = sqrt(fmax(worst - 1.0, 0.0) / (double)done_b);
        if (done_b < 10)
            snprintf(f->warning, sizeof f->warning,
                     "the standard errors are rough: they come from the "
                     "spread of only %zu independent series", done_b);
        else if (lmin < efold)
            snprintf(f->warning, sizeof f->warning,
                     "the standard errors are unreliable: each of the %zu "
                     "series has %zu terms, fewer than the process's memory "
                     "(about %zu terms): use n >= %zu",
                     done_b, lmin, efold, efold * nb);
        else if (rel > FIM_SE_RELERR_MAX)
            snprintf(f->warning, sizeof f->warning,
                     "the standard errors are unreliable: the %zu series "
                     "means of [%s,%s] are heavy-tailed (kurtosis %.3g: the "
                     "standard error is known only to about %.0f%%)",
                     done_b, f->names[wi], f->names[wj], worst,
                     50.0 * fmin(rel, 99.99));
    }
    free(T);
    free(len);
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

/* Rows per piece of a data-based FIM: FIM_MC_CHUNK for i.i.d. data (the
 * terms of separate rows are separate), the whole series for a series
 * family (its terms depend on all earlier rows), refused when that series'
 * n x P scores would take more than FIM_SERIES_BYTES_MAX bytes. */
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

/* Empirical FIM: (1/n) sum s s^T over the data, accumulated piece by
 * piece (memory O(piece x P)); Ctrl-C between pieces stops it. */
static ss_status empirical(const model *m, const gsl_matrix *data,
                           fim_result *f)
{
    ss_status st = check_data(m, data);
    size_t n = data ? data->size1 : 0, piece = 0;
    if (st == SS_OK)
        st = data_piece(m, data, "empirical", &piece);
    if (st != SS_OK)
        return st;
    gsl_matrix *S = gsl_matrix_alloc(piece, m->P);
    double *ell = malloc(piece * sizeof *ell);
    outer_acc acc = {0};
    st = acc_init(&acc, f->k);
    if (!S || !ell)
        st = SS_FAIL(SS_ERR_NOMEM, "out of memory");
    for (size_t r0 = 0; st == SS_OK && r0 < n; r0 += piece) {
        if (ss_interrupted()) {
            st = SS_FAIL(SS_ERR_INTERRUPTED,
                         "the empirical FIM was stopped after %zu of %zu "
                         "observations",
                         r0, n);
            break;
        }
        size_t len = n - r0 < piece ? n - r0 : piece;
        gsl_matrix_const_view D =
            gsl_matrix_const_submatrix(data, r0, 0, len, data->size2);
        gsl_matrix_view Sv = gsl_matrix_submatrix(S, 0, 0, len, m->P);
        st = m->type->loglik_terms(m, m->theta, &D.matrix, ell, &Sv.matrix);
        if (st == SS_OK && !all_finite(&Sv.matrix))
            st = SS_FAIL(SS_ERR_NUMERIC,
                         "a score is not finite on this data");
        if (st == SS_OK)
            acc_add_rows(&acc, &Sv.matrix, f->idx);
    }
    if (st == SS_OK)
        st = acc_result(&acc, f);
    acc_done(&acc);
    free(ell);
    if (S)
        gsl_matrix_free(S);
    return st;
}

/* Total score over the data at theta, into tot (length P), piece by
 * piece with S and ell of piece rows. */
static ss_status total_score(const model *m, const double *theta,
                             const gsl_matrix *data, size_t piece,
                             gsl_matrix *S, double *ell, double *tot)
{
    size_t n = data->size1;
    long double *acc = calloc(m->P, sizeof *acc);
    if (!acc)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    ss_status st = SS_OK;
    for (size_t r0 = 0; st == SS_OK && r0 < n; r0 += piece) {
        if (ss_interrupted()) {
            st = SS_FAIL(SS_ERR_INTERRUPTED,
                         "the observed information was stopped after %zu "
                         "of %zu observations",
                         r0, n);
            break;
        }
        size_t len = n - r0 < piece ? n - r0 : piece;
        gsl_matrix_const_view D =
            gsl_matrix_const_submatrix(data, r0, 0, len, data->size2);
        gsl_matrix_view Sv = gsl_matrix_submatrix(S, 0, 0, len, m->P);
        st = m->type->loglik_terms(m, theta, &D.matrix, ell, &Sv.matrix);
        for (size_t p = 0; st == SS_OK && p < m->P; p++)
            for (size_t i = 0; i < len; i++)
                acc[p] += gsl_matrix_get(&Sv.matrix, i, p);
    }
    for (size_t p = 0; st == SS_OK && p < m->P; p++) {
        tot[p] = (double)acc[p];
        if (!isfinite(tot[p]))
            st = SS_FAIL(SS_ERR_NUMERIC,
                         "the score is not finite on this data");
    }
    free(acc);
    return st;
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

/* Observed information by central differences of the analytic score
 * (one-sided at a parameter bound, where the density may not exist),
 * the total score summed piece by piece. */
static ss_status observed(const model *m, const gsl_matrix *data,
                          fim_result *f)
{
    ss_status st = check_data(m, data);
    size_t piece = 0;
    if (st == SS_OK)
        st = data_piece(m, data, "observed", &piece);
    if (st != SS_OK)
        return st;
    size_t n = data->size1, P = m->P;
    gsl_matrix *S = gsl_matrix_alloc(piece, P);
    double *ell = malloc(piece * sizeof *ell);
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
                         "valid range", MODEL_PNAME(m, j));
        memcpy(th, m->theta, P * sizeof *th);
        th[j] = hi;
        if (st == SS_OK)
            st = total_score(m, th, data, piece, S, ell, up);
        th[j] = lo;
        if (st == SS_OK)
            st = total_score(m, th, data, piece, S, ell, dn);
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

/* Monte-Carlo FIM: i.i.d. chunks, or burnt-in independent series for a
 * series family (refused when its memory is too long to burn in). */
static ss_status monte_carlo(const model *m, const fim_request *req,
                             fim_result *f)
{
    if (req->n < 2)
        return SS_FAIL(SS_ERR_RANGE, "method=mc needs n >= 2 draws");
    if (!m->type->series_memory)
        return monte_carlo_iid(m, req, f);
    size_t burnin = m->type->series_memory(m, m->theta, FIM_MC_BURNIN_MAX);
    if (burnin == 0)
        return SS_FAIL(SS_ERR_RANGE,
                       "method=mc: the %s process at this point remembers "
                       "its start for more than %u terms (a root next to "
                       "the unit circle), too long to burn in: its "
                       "Monte-Carlo FIM would depend on the series length",
                       m->type->name, FIM_MC_BURNIN_MAX);
    return monte_carlo_series(m, req, burnin, f);
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
        model_param_name(m, f->idx[a], f->names[a], MODEL_NAME_MAX);
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

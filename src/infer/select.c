/* Model selection experiments (select.h). */
#include "infer/select.h"

#include "core/interrupt.h"
#include "core/replicate.h"
#include "core/rng.h"
#include "infer/fit.h"

#include <gsl/gsl_matrix.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const crit_names[SELECT_NCRIT] = {"aic", "bic", "mdl"};

const char *select_crit_name(size_t i)
{
    return i < SELECT_NCRIT ? crit_names[i] : NULL;
}

int select_crit_find(const char *name)
{
    for (int c = 0; c < SELECT_NCRIT; c++)
        if (name && strcasecmp(name, crit_names[c]) == 0)
            return c;
    return -1;
}

double select_crit_value(int crit, double ll, size_t k, size_t n)
{
    double kk = (double)k, ln = log((double)n);
    switch (crit) {
    case SELECT_AIC: return -2 * ll + 2 * kk;
    case SELECT_BIC: return -2 * ll + kk * ln;
    case SELECT_MDL: return -ll + 0.5 * kk * ln;
    default: return NAN;
    }
}

/* ---- the result: a pure function of the spec, the models and the rows -- */

void select_result_free(select_result *r)
{
    if (!r)
        return;
    free(r->names);
    free(r->kinds);
    free(r->k);
    free(r->rows);
    free(r->reps_at);
    free(r->freq);
    free(r->freq_se);
    free(r->nochoice);
    free(r->nonconv);
    free(r->failed);
    free(r->opt);
    free(r->opt_se);
    free(r->opt_count);
    free(r);
}

static size_t row_size(const select_result *r, size_t i)
{
    return r->sp.n[select_rep_size(&r->sp, r->first + i)];
}

int select_result_choice(const select_result *r, size_t i, int crit)
{
    const double *row = r->rows + i * r->ncols;
    size_t n = row_size(r, i);
    int best = -1;
    double bv = INFINITY;
    for (size_t m = 0; m < r->M; m++) {
        double ll = row[SELECT_COL_LL(m)];
        if (row[SELECT_COL_CONV(m)] < 0 || !isfinite(ll))
            continue;
        double v = select_crit_value(crit, ll, r->k[m], n);
        if (best < 0 || v < bv) {
            best = (int)m;
            bv = v;
        }
    }
    return best;
}

double select_result_optimism(const select_result *r, size_t i, size_t m)
{
    const double *row = r->rows + i * r->ncols;
    if (row[SELECT_COL_CONV(m)] < 0)
        return NAN;
    return 2 * ((row[SELECT_COL_LL(m)] - row[SELECT_COL_TRUTH_TRAIN]) +
                (row[SELECT_COL_TRUTH_TEST] - row[SELECT_COL_LLTEST(m)]));
}

ss_status select_result_build(const select_spec *sp, const model *truth,
                              const char *truth_name,
                              const model *const *models,
                              const char *const *names, size_t M,
                              const double *rows, size_t first, size_t ndone,
                              select_result **out)
{
    *out = NULL;
    select_result *r = calloc(1, sizeof *r);
    if (!r)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    r->sp = *sp;
    if (r->sp.ncrit == 0) {
        r->sp.ncrit = SELECT_NCRIT;
        for (int c = 0; c < SELECT_NCRIT; c++)
            r->sp.crit[c] = c;
    }
    size_t nn = sp->nn, C = r->sp.ncrit, total = sp->nn * sp->reps;
    if (r->sp.count == 0 && first < total)
        r->sp.count = total - first;
    r->M = M;
    r->ncols = SELECT_NCOLS(M);
    r->first = first;
    r->ndone = ndone;
    r->nasked = r->sp.count;
    snprintf(r->truth, sizeof r->truth, "%s", truth_name ? truth_name : "");
    snprintf(r->truth_kind, sizeof r->truth_kind, "%s", truth->type->name);
    r->names = calloc(M, sizeof *r->names);
    r->kinds = calloc(M, sizeof *r->kinds);
    r->k = calloc(M, sizeof *r->k);
    r->rows = malloc((ndone ? ndone : 1) * r->ncols * sizeof *r->rows);
    r->reps_at = calloc(nn, sizeof *r->reps_at);
    r->freq = calloc(nn * M * C, sizeof *r->freq);
    r->freq_se = calloc(nn * M * C, sizeof *r->freq_se);
    r->nochoice = calloc(nn * C, sizeof *r->nochoice);
    r->nonconv = calloc(nn * M, sizeof *r->nonconv);
    r->failed = calloc(nn * M, sizeof *r->failed);
    r->opt = calloc(nn * M, sizeof *r->opt);
    r->opt_se = calloc(nn * M, sizeof *r->opt_se);
    r->opt_count = calloc(nn * M, sizeof *r->opt_count);
    if (!r->names || !r->kinds || !r->k || !r->rows || !r->reps_at ||
        !r->freq || !r->freq_se || !r->nochoice || !r->nonconv ||
        !r->failed || !r->opt || !r->opt_se || !r->opt_count) {
        select_result_free(r);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory for a selection result");
    }
    for (size_t m = 0; m < M; m++) {
        snprintf(r->names[m], sizeof r->names[m], "%s", names[m]);
        snprintf(r->kinds[m], sizeof r->kinds[m], "%s",
                 models[m]->type->name);
        size_t k = 0;
        for (size_t i = 0; i < models[m]->P; i++)
            k += models[m]->is_free[i] != 0;
        r->k[m] = k;
    }
    if (ndone)
        memcpy(r->rows, rows, ndone * r->ncols * sizeof *rows);
    /* counts, then means: sums in row order (the same bits however the
     * rows were computed) */
    double *osum = calloc(nn * M, sizeof *osum);
    if (!osum) {
        select_result_free(r);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < ndone; i++) {
        size_t j = select_rep_size(sp, first + i);
        const double *row = r->rows + i * r->ncols;
        r->reps_at[j]++;
        for (size_t c = 0; c < C; c++) {
            int ch = select_result_choice(r, i, r->sp.crit[c]);
            if (ch < 0)
                r->nochoice[j * C + c]++;
            else
                r->freq[(j * M + (size_t)ch) * C + c] += 1;
        }
        for (size_t m = 0; m < M; m++) {
            double cv = row[SELECT_COL_CONV(m)];
            if (cv < 0)
                r->failed[j * M + m]++;
            else if (cv == 0)
                r->nonconv[j * M + m]++;
            double o = select_result_optimism(r, i, m);
            if (isfinite(o)) {
                r->opt_count[j * M + m]++;
                osum[j * M + m] += o;
            }
        }
    }
    for (size_t j = 0; j < nn; j++)
        for (size_t m = 0; m < M; m++) {
            size_t q = j * M + m, cnt = r->opt_count[q];
            r->opt[q] = cnt ? osum[q] / (double)cnt : NAN;
            r->opt_se[q] = NAN;
            double R = (double)r->reps_at[j];
            for (size_t c = 0; c < C; c++) {
                size_t e = q * C + c;
                if (R > 0) {
                    double p = r->freq[e] / R;
                    r->freq[e] = p;
                    r->freq_se[e] = sqrt(p * (1 - p) / R);
                } else {
                    r->freq[e] = NAN;
                    r->freq_se[e] = NAN;
                }
            }
        }
    /* the SD of the optimism about its mean: a second pass */
    double *ss = osum; /* reused */
    memset(ss, 0, nn * M * sizeof *ss);
    for (size_t i = 0; i < ndone; i++) {
        size_t j = select_rep_size(sp, first + i);
        for (size_t m = 0; m < M; m++) {
            double o = select_result_optimism(r, i, m);
            if (isfinite(o)) {
                double d = o - r->opt[j * M + m];
                ss[j * M + m] += d * d;
            }
        }
    }
    for (size_t q = 0; q < nn * M; q++)
        if (r->opt_count[q] > 1)
            r->opt_se[q] = sqrt(ss[q] / (double)(r->opt_count[q] - 1) /
                                (double)r->opt_count[q]);
    free(osum);
    *out = r;
    return SS_OK;
}

/* ---- the iteration ------------------------------------------------------- */

struct select_iter {
    select_spec sp;
    const model *truth;
    const char *truth_name;
    const model *const *models;
    const char *const *names;
    size_t M, cols, nmax, ncols;
    double *rows;       /* count x ncols: the rows finished in order */
    size_t ndone;
    rep_job *job;
    int finished;
    select_result *live;
    size_t live_done;   /* rows in live */
};

typedef struct {
    const select_iter *it;
    model *truth;
    model **m;          /* M clones */
    gsl_rng *r;
    gsl_matrix *X, *Y;  /* nmax x cols: data and test sample */
} worker;

static void worker_free(void *p)
{
    worker *w = p;
    if (!w)
        return;
    model_free(w->truth);
    for (size_t i = 0; w->m && i < w->it->M; i++)
        model_free(w->m[i]);
    free(w->m);
    if (w->r)
        ss_rng_free(w->r);
    if (w->X)
        gsl_matrix_free(w->X);
    if (w->Y)
        gsl_matrix_free(w->Y);
    free(w);
}

static void *worker_alloc(void *ctx)
{
    const select_iter *it = ctx;
    worker *w = calloc(1, sizeof *w);
    if (!w) {
        SS_FAIL(SS_ERR_NOMEM, "out of memory");
        return NULL;
    }
    w->it = it;
    w->truth = model_clone(it->truth);
    w->m = calloc(it->M, sizeof *w->m);
    w->r = ss_rng_alloc();
    w->X = gsl_matrix_alloc(it->nmax, it->cols);
    w->Y = gsl_matrix_alloc(it->nmax, it->cols);
    int ok = w->truth && w->m && w->r && w->X && w->Y;
    for (size_t i = 0; ok && i < it->M; i++)
        ok = (w->m[i] = model_clone(it->models[i])) != NULL;
    if (!ok) {
        worker_free(w);
        SS_FAIL(SS_ERR_NOMEM, "out of memory for a replicate's samples");
        return NULL;
    }
    return w;
}

/* A failure that is a Ctrl-C, not the replicate's own. */
static ss_status stopped(void)
{
    return SS_FAIL(SS_ERR_INTERRUPTED, "interrupted");
}

static ss_status run_rep(void *p, size_t i, double *row)
{
    worker *w = p;
    const select_iter *it = w->it;
    const select_spec *sp = &it->sp;
    size_t r = sp->first + i; /* the absolute index */
    size_t n = sp->n[select_rep_size(sp, r)];
    gsl_matrix_view xv = gsl_matrix_submatrix(w->X, 0, 0, n, it->cols);
    gsl_matrix_view yv = gsl_matrix_submatrix(w->Y, 0, 0, n, it->cols);
    gsl_matrix *X = &xv.matrix, *Y = &yv.matrix;
    const model *T = w->truth;
    ss_rng_seed(w->r, sp->seed, SS_STREAM_SELECT, r);
    ss_status st = T->type->sample(T, T->theta, w->r, X);
    if (st == SS_OK) {
        ss_rng_seed(w->r, sp->seed, SS_STREAM_SELECT_TEST, r);
        st = T->type->sample(T, T->theta, w->r, Y);
    }
    if (st == SS_OK)
        st = model_loglik_grad(T, T->theta, X, &row[SELECT_COL_TRUTH_TRAIN],
                               NULL);
    if (st == SS_OK)
        st = model_loglik_grad(T, T->theta, Y, &row[SELECT_COL_TRUTH_TEST],
                               NULL);
    fit_spec fs = {.starts = sp->starts ? sp->starts : SELECT_STARTS_DEFAULT,
                   .seed = ss_rng_derive(sp->seed, SS_STREAM_SELECT, r)};
    for (size_t m = 0; st == SS_OK && m < it->M; m++) {
        if (ss_interrupted())
            return stopped();
        fit_result *f = NULL;
        ss_status fst = fit_run(w->m[m], X, &fs, &f);
        if (fst == SS_ERR_INTERRUPTED || ss_interrupted() ||
            (f && f->interrupted)) {
            fit_result_free(f);
            return stopped();
        }
        if (fst == SS_ERR_NOMEM)
            return fst;
        if (fst != SS_OK) { /* no start reached an optimum: counted */
            ss_clear_error();
            row[SELECT_COL_LL(m)] = NAN;
            row[SELECT_COL_LLTEST(m)] = NAN;
            row[SELECT_COL_CONV(m)] = -1;
            continue;
        }
        row[SELECT_COL_LL(m)] = f->loglik;
        row[SELECT_COL_CONV(m)] = f->converged ? 1 : 0;
        st = model_loglik_grad(f->at, f->at->theta, Y,
                               &row[SELECT_COL_LLTEST(m)], NULL);
        fit_result_free(f);
    }
    if (st == SS_ERR_INTERRUPTED || ss_interrupted())
        return stopped();
    if (st != SS_OK) {
        char msg[sizeof ss_last_error()->msg];
        snprintf(msg, sizeof msg, "%s", ss_last_error()->msg);
        return SS_FAIL(st, "replicate %zu (n=%zu, seed %llu): %s", r + 1, n,
                       (unsigned long long)sp->seed, msg);
    }
    return SS_OK;
}

void select_iter_free(select_iter *it)
{
    if (!it)
        return;
    if (it->job && !it->finished)
        rep_abandon(it->job);
    free(it->rows);
    select_result_free(it->live);
    free(it);
}

static int size_t_cmp_ok(const size_t *n, size_t nn)
{
    for (size_t j = 1; j < nn; j++)
        if (n[j] <= n[j - 1])
            return 0;
    return 1;
}

ss_status select_check(const model *truth, const char *truth_name,
                       const model *const *models, const char *const *names,
                       size_t M, const select_spec *sp, select_spec *norm)
{
    if (M < 2)
        return SS_FAIL(SS_ERR_USAGE,
                       "select needs at least 2 models to choose between, "
                       "got %zu",
                       M);
    if (M > SELECT_MODELS_MAX)
        return SS_FAIL(SS_ERR_LIMIT, "select takes at most %d models, got %zu",
                       SELECT_MODELS_MAX, M);
    for (size_t a = 0; a < M; a++)
        for (size_t b = a + 1; b < M; b++)
            if (strcmp(names[a], names[b]) == 0)
                return SS_FAIL(SS_ERR_USAGE,
                               "models= lists %s twice (positions %zu and "
                               "%zu)",
                               names[a], a + 1, b + 1);
    for (size_t a = 0; a < M; a++) {
        if (model_data_compatible(models[a], truth) != SS_OK) {
            char msg[sizeof ss_last_error()->msg];
            snprintf(msg, sizeof msg, "%s", ss_last_error()->msg);
            return SS_FAIL(SS_ERR_USAGE,
                           "model %s cannot be fitted to data drawn from the "
                           "truth %s: %s",
                           names[a], truth_name, msg);
        }
        size_t k = 0;
        for (size_t i = 0; i < models[a]->P; i++)
            k += models[a]->is_free[i] != 0;
        if (k > 0 && fit_method_check(models[a], NULL) != SS_OK) {
            char msg[sizeof ss_last_error()->msg];
            snprintf(msg, sizeof msg, "%s", ss_last_error()->msg);
            return SS_FAIL(SS_ERR_USAGE, "model %s cannot be fitted: %s",
                           names[a], msg);
        }
    }
    if (sp->nn < 1 || sp->nn > SELECT_SIZES_MAX)
        return SS_FAIL(SS_ERR_USAGE,
                       "n= takes 1 to %d sample sizes, got %zu",
                       SELECT_SIZES_MAX, sp->nn);
    for (size_t j = 0; j < sp->nn; j++)
        if (sp->n[j] < 2)
            return SS_FAIL(SS_ERR_RANGE,
                           "n= sizes must be at least 2 (entry %zu is %zu)",
                           j + 1, sp->n[j]);
    if (!size_t_cmp_ok(sp->n, sp->nn))
        return SS_FAIL(SS_ERR_USAGE, "n= sizes must be distinct and "
                                     "increasing");
    if (sp->reps < 1 || sp->reps > SELECT_REPS_MAX)
        return SS_FAIL(SS_ERR_LIMIT,
                       "reps=%zu is outside [1, %d] (replicates per size)",
                       sp->reps, SELECT_REPS_MAX);
    size_t total = sp->reps * sp->nn;
    if (total > SELECT_TOTAL_MAX)
        return SS_FAIL(SS_ERR_LIMIT,
                       "reps=%zu at %zu sizes makes %zu replicates; at most "
                       "%d in one run",
                       sp->reps, sp->nn, total, SELECT_TOTAL_MAX);
    if (sp->first >= total || sp->count > total - sp->first)
        return SS_FAIL(SS_ERR_RANGE,
                       "replicates %zu .. %zu are outside the %zu of the "
                       "experiment",
                       sp->first + 1,
                       sp->first + (sp->count ? sp->count : 1), total);
    for (size_t c = 0; c < sp->ncrit; c++) {
        if (sp->crit[c] < 0 || sp->crit[c] >= SELECT_NCRIT)
            return SS_FAIL(SS_ERR_USAGE, "unknown criterion");
        for (size_t d = 0; d < c; d++)
            if (sp->crit[d] == sp->crit[c])
                return SS_FAIL(SS_ERR_USAGE, "criteria= lists %s twice",
                               crit_names[sp->crit[c]]);
    }
    size_t cols = truth->type->data_cols(truth), nmax = sp->n[sp->nn - 1];
    if (2.0 * (double)nmax * (double)cols * sizeof(double) > SELECT_MAX_BYTES)
        return SS_FAIL(SS_ERR_LIMIT,
                       "n=%zu observations of %zu column%s (a sample and a "
                       "test sample) take %.3g MB a replicate (each thread "
                       "holds one); the limit is %zu MB",
                       nmax, cols, cols == 1 ? "" : "s",
                       2.0 * (double)nmax * (double)cols * 8 / 1e6,
                       SELECT_MAX_BYTES >> 20);
    *norm = *sp;
    if (norm->ncrit == 0) {
        norm->ncrit = SELECT_NCRIT;
        for (int c = 0; c < SELECT_NCRIT; c++)
            norm->crit[c] = c;
    }
    if (norm->count == 0)
        norm->count = total - sp->first;
    return SS_OK;
}

ss_status select_iter_alloc(const model *truth, const char *truth_name,
                            const model *const *models,
                            const char *const *names, size_t M,
                            const select_spec *sp, select_iter **out)
{
    *out = NULL;
    select_spec norm;
    ss_status cst = select_check(truth, truth_name, models, names, M, sp,
                                 &norm);
    if (cst != SS_OK)
        return cst;
    size_t cols = truth->type->data_cols(truth), nmax = sp->n[sp->nn - 1];
    select_iter *it = calloc(1, sizeof *it);
    if (!it)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    it->sp = norm;
    it->truth = truth;
    it->truth_name = truth_name;
    it->models = models;
    it->names = names;
    it->M = M;
    it->cols = cols;
    it->nmax = nmax;
    it->ncols = SELECT_NCOLS(M);
    it->rows = malloc(it->sp.count * it->ncols * sizeof *it->rows);
    if (!it->rows) {
        size_t cnt = it->sp.count;
        free(it);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory for %zu replicates", cnt);
    }
    ss_status st = select_result_build(&it->sp, truth, truth_name, models,
                                       names, M, it->rows, sp->first, 0,
                                       &it->live);
    rep_spec rs = {.nrep = it->sp.count, .ncols = it->ncols,
                   .threads = sp->threads, .worker_alloc = worker_alloc,
                   .worker_free = worker_free, .run = run_rep, .ctx = it,
                   .tick_ms = 10};
    if (st == SS_OK)
        st = rep_start(&rs, &it->job);
    if (st != SS_OK) {
        select_iter_free(it);
        return st;
    }
    *out = it;
    return SS_OK;
}

/* Copy the replicates finished in order from ndone on. */
static void absorb(select_iter *it, const double *rows,
                   const unsigned char *done)
{
    it->ndone = rep_absorb_prefix(it->job, rows, done, it->rows, it->ncols,
                                  it->ndone, it->sp.count);
}

/* The live result, rebuilt when enough new rows arrived (about 20 times a
 * run, so the rebuilding costs a bounded multiple of the rows). */
static void refresh_live(select_iter *it, int force)
{
    size_t d = it->ndone;
    if (d == it->live_done)
        return;
    if (!force && d - it->live_done < 1 + it->live_done / 20)
        return;
    select_result *r = NULL;
    if (select_result_build(&it->sp, it->truth, it->truth_name, it->models,
                            it->names, it->M, it->rows, it->sp.first, d,
                            &r) != SS_OK) {
        ss_clear_error();
        return;
    }
    select_result_free(it->live);
    it->live = r;
    it->live_done = d;
}

ss_status select_iter_iterate(select_iter *it)
{
    if (it->ndone >= it->sp.count)
        return SS_OK;
    ss_status st = rep_iterate(it->job);
    absorb(it, NULL, NULL);
    refresh_live(it, it->ndone >= it->sp.count);
    return st;
}

int select_iter_test(const select_iter *it)
{
    return it->ndone >= it->sp.count || rep_test(it->job);
}

const select_result *select_iter_result(const select_iter *it)
{
    return it->live;
}

ss_status select_iter_take(select_iter *it, int interrupted,
                           select_result **out)
{
    *out = NULL;
    if (!it->finished) {
        rep_stop(it->job);
        double *rows = NULL;
        unsigned char *done = NULL;
        ss_status st = rep_finish(it->job, &rows, &done, NULL);
        it->finished = 1;
        /* A Ctrl-C inside a replicate fails that replicate: the rows
         * before it are kept like those of a run stopped between them. */
        if (st == SS_ERR_INTERRUPTED) {
            ss_clear_error();
            interrupted = 1;
            st = SS_OK;
        }
        if (st == SS_OK)
            absorb(it, rows, done);
        free(rows);
        free(done);
        if (st != SS_OK)
            return st;
    }
    if (it->ndone == 0)
        return SS_FAIL(SS_ERR_INTERRUPTED,
                       "interrupted before the first replicate finished: "
                       "nothing was stored");
    select_result *r = NULL;
    ss_status st = select_result_build(&it->sp, it->truth, it->truth_name,
                                       it->models, it->names, it->M, it->rows,
                                       it->sp.first, it->ndone, &r);
    if (st != SS_OK)
        return st;
    r->interrupted = interrupted || it->ndone < it->sp.count;
    *out = r;
    return SS_OK;
}

static ss_status it_iterate(void *s) { return select_iter_iterate(s); }
static int it_test(const void *s) { return select_iter_test(s); }
static void it_progress(const void *s, size_t *done, size_t *total)
{
    const select_iter *it = s;
    *done = it->ndone;
    *total = it->sp.count;
}
static void it_stop(void *s)
{
    const select_iter *it = s;
    rep_stop(it->job);
}

const ss_iter_type select_iter_type = {"select", it_iterate, it_test,
                                       it_progress, it_stop};

/* The learning coefficient by WBIC over n (bayes/rlct_wbic.h). */
#include "bayes/rlct_wbic.h"

#include "bayes/prior.h"
#include "core/rng.h"

#include <gsl/gsl_matrix.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rlct_wbic_data_free(rlct_wbic_data *d)
{
    if (!d)
        return;
    free(d->sp.ns);
    free(d->wbic);
    free(d->wbic_se);
    free(d->nl0);
    free(d->y);
    free(d->lam2);
    free(d->lam2_se);
    free(d->lamn);
    free(d->lamn_se);
    free(d);
}

ss_status rlctw_ladder(size_t nmin, size_t nmax, size_t J, size_t *ns,
                       size_t *got)
{
    *got = 0;
    if (!(nmin >= RLCTW_N_MIN && nmax > nmin && J >= 3))
        return SS_FAIL(SS_ERR_RANGE,
                       "rlct: the n ladder needs nmin >= %d, nmax > nmin "
                       "and points >= 3 (nmin=%zu, nmax=%zu, points=%zu)",
                       RLCTW_N_MIN, nmin, nmax, J);
    size_t k = 0;
    double l0 = log((double)nmin), l1 = log((double)nmax);
    for (size_t j = 0; j < J; j++) {
        size_t n = j == 0       ? nmin
                   : j == J - 1 ? nmax
                                : (size_t)floor(exp(l0 + (l1 - l0) *
                                                          (double)j /
                                                          (double)(J - 1)) +
                                                0.5);
        if (k == 0 || n > ns[k - 1])
            ns[k++] = n;
    }
    if (k < 3)
        return SS_FAIL(SS_ERR_RANGE,
                       "rlct: nmin=%zu..nmax=%zu give only %zu distinct "
                       "sample sizes; the slope needs at least 3",
                       nmin, nmax, k);
    *got = k;
    return SS_OK;
}

/* A run's row, the experiment's replicate (a shard's raw row): WBIC (E^b1
 * [n L_n]) and its error, n L_n(w0), the two-temperature estimate and its
 * error, then per temperature the largest R-hat, the ESS of n L_n and the
 * smallest acceptance rate (for the warnings). */
enum { RW_WBIC, RW_WBIC_SE, RW_NL0, RW_LAM2, RW_LAM2_SE, RW_RHAT,
       RW_ESS = RW_RHAT + 2, RW_ACC = RW_ESS + 2, RW_NCOLS = RW_ACC + 2 };

struct rlctw_iter {
    const model *m, *t;
    rlctw_spec sp;
    size_t k, nruns, q;    /* runs in all, runs finished */
    post_iter *pi;         /* the run q in progress */
    gsl_matrix *X;         /* its data */
    double nl0;            /* its n L_n(w0) */
    gsl_rng *r;
    size_t first, end;     /* the runs of this iteration (a shard's) */
    double *rows;          /* nruns x RW_NCOLS: run q's numbers (RW_*) */
};

void rlctw_iter_free(rlctw_iter *it)
{
    if (!it)
        return;
    post_iter_free(it->pi);
    if (it->X)
        gsl_matrix_free(it->X);
    if (it->r)
        ss_rng_free(it->r);
    free(it->sp.ns);
    free(it->rows);
    free(it);
}

static ss_status check(const model *m, const model *t, const rlctw_spec *sp,
                       size_t *k)
{
    ss_status st = model_data_compatible(m, t);
    if (st != SS_OK)
        return st;
    if (!t->type->sample)
        return SS_FAIL(SS_ERR_USAGE, "rlct: the truth's family %s cannot "
                                     "draw data",
                       t->type->name);
    if (sp->J < 3)
        return SS_FAIL(SS_ERR_RANGE, "rlct: ns= needs at least 3 sample "
                                     "sizes for the slope (got %zu)",
                       sp->J);
    for (size_t j = 0; j < sp->J; j++) {
        if (sp->ns[j] < RLCTW_N_MIN)
            return SS_FAIL(SS_ERR_RANGE,
                           "rlct: ns= sample size %zu is below %d (the "
                           "second temperature 2/log n must be <= 1)",
                           sp->ns[j], RLCTW_N_MIN);
        if (j && sp->ns[j] <= sp->ns[j - 1])
            return SS_FAIL(SS_ERR_RANGE,
                           "rlct: ns= must increase (%zu after %zu)",
                           sp->ns[j], sp->ns[j - 1]);
    }
    if (sp->reps < 1)
        return SS_FAIL(SS_ERR_RANGE, "rlct: reps= must be at least 1");
    size_t *idx = NULL;
    st = model_free_index_list(m, &idx, k);
    if (st != SS_OK)
        return st;
    char nm[MODEL_NAME_MAX];
    for (size_t j = 0; j < *k && st == SS_OK; j++) {
        const model_prior *p = model_prior_of(m, idx[j]);
        model_param_name(m, idx[j], nm, sizeof nm);
        if (!p || p->kind == PRIOR_NONE) {
            st = SS_FAIL(SS_ERR_USAGE,
                         "rlct needs a proper prior on every free "
                         "parameter: %s has none (`prior MODEL %s=...`)",
                         nm, nm);
            break;
        }
        if (t->type == m->type && t->P == m->P) {
            double lo, hi, x = t->theta[idx[j]];
            prior_support(p, &lo, &hi);
            if (!(x >= lo && x <= hi)) {
                char f_[96];
                st = SS_FAIL(SS_ERR_RANGE,
                             "rlct: the prior %s=%s does not cover the "
                             "truth's %s = %g: WBIC's lambda log n needs "
                             "prior mass at the true parameter",
                             nm, prior_format(p, f_, sizeof f_), nm, x);
            }
        }
    }
    if (st == SS_OK && t->type == m->type && t->P == m->P) {
        /* the truth realised with the fixed parameters held, where K is
         * known: otherwise y grows like n K, not lambda log n */
        double *w = malloc(m->P * sizeof *w), K;
        if (!w)
            st = SS_FAIL(SS_ERR_NOMEM, "out of memory");
        else {
            memcpy(w, m->theta, m->P * sizeof *w);
            for (size_t j = 0; j < *k; j++)
                w[idx[j]] = t->theta[idx[j]];
            if (rlct_k(m, t, w, &K, NULL) == SS_OK) {
                if (!(K <= 1e-10))
                    st = SS_FAIL(SS_ERR_RANGE,
                                 "rlct: the model does not realise the "
                                 "truth at the truth's values with its "
                                 "fixed parameters held (K = %.3g there); "
                                 "WBIC - n L_n(w0) would grow like n K",
                                 K);
            } else
                ss_clear_error();
            free(w);
        }
    }
    free(idx);
    return st;
}

static ss_status start_run(rlctw_iter *it);

ss_status rlctw_iter_alloc(const model *m, const model *t,
                           const rlctw_spec *sp, rlctw_iter **out)
{
    *out = NULL;
    size_t k = 0;
    ss_status st = check(m, t, sp, &k);
    if (st != SS_OK)
        return st;
    /* the posterior's own checks (samples, chains, memory) on the largest
     * data set, before anything runs */
    rlctw_iter *it = calloc(1, sizeof *it);
    if (!it)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    it->m = m;
    it->t = t;
    it->sp = *sp;
    it->k = k;
    it->nruns = sp->J * sp->reps;
    size_t nruns = it->nruns;
    if (sp->count && (sp->first >= nruns || sp->count > nruns - sp->first)) {
        free(it);
        return SS_FAIL(SS_ERR_RANGE, "rlct: runs %zu..%zu lie outside "
                                     "1..%zu",
                       sp->first + 1, sp->first + sp->count, nruns);
    }
    it->first = it->q = sp->count ? sp->first : 0;
    it->end = sp->count ? sp->first + sp->count : it->nruns;
    it->sp.ns = malloc(sp->J * sizeof *it->sp.ns);
    it->r = ss_rng_alloc();
    it->rows = calloc(it->nruns * RW_NCOLS, sizeof *it->rows);
    if (!it->sp.ns || !it->r || !it->rows) {
        rlctw_iter_free(it);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    memcpy(it->sp.ns, sp->ns, sp->J * sizeof *sp->ns);
    /* the first run starts here, so the posterior's own checks (samples,
     * chains, memory) fail before anything is stored */
    st = start_run(it);
    if (st != SS_OK) {
        rlctw_iter_free(it);
        return st;
    }
    *out = it;
    return SS_OK;
}

/* Start run q: its data, n L_n(w0) and the two temperatures. */
static ss_status start_run(rlctw_iter *it)
{
    size_t q = it->q, n = it->sp.ns[q / it->sp.reps];
    const model *t = it->t;
    if (it->X)
        gsl_matrix_free(it->X);
    it->X = gsl_matrix_alloc(n, t->type->data_cols(t));
    if (!it->X)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory for the data");
    ss_rng_seed(it->r, it->sp.seed, SS_STREAM_RLCT_WBIC, q);
    ss_status st = t->type->sample(t, t->theta, it->r, it->X);
    double l0 = 0;
    if (st == SS_OK)
        st = model_loglik_grad(t, t->theta, it->X, &l0, NULL);
    if (st != SS_OK)
        return st;
    it->nl0 = -l0;
    double b1 = 1 / log((double)n), betas[2] = {b1, 2 * b1};
    post_spec ps = {.beta = 1, .samples = it->sp.samples,
                    .chains = it->sp.chains, .burnin = it->sp.burnin,
                    .sampler = it->sp.sampler,
                    .seed = ss_rng_derive(it->sp.seed, SS_STREAM_RLCT_WBIC,
                                          ((uint64_t)1 << 32) + q),
                    .threads = it->sp.threads};
    return post_rungs_alloc(it->m, it->X, &ps, betas, 2, &it->pi);
}

static ss_status end_run(rlctw_iter *it)
{
    post_rung R[2];
    ss_status st = post_rungs_take(it->pi, R);
    post_iter_free(it->pi);
    it->pi = NULL;
    if (st != SS_OK)
        return st;
    size_t q = it->q;
    double logn = log((double)it->sp.ns[q / it->sp.reps]);
    double *row = it->rows + q * RW_NCOLS;
    row[RW_WBIC] = R[0].enl;
    row[RW_WBIC_SE] = R[0].enl_se;
    row[RW_NL0] = it->nl0;
    double den = logn - logn / 2;
    row[RW_LAM2] = (R[0].enl - R[1].enl) / den;
    row[RW_LAM2_SE] =
        sqrt(R[0].enl_se * R[0].enl_se + R[1].enl_se * R[1].enl_se) / den;
    for (size_t j = 0; j < 2; j++) {
        row[RW_RHAT + j] = R[j].rhat;
        row[RW_ESS + j] = R[j].ess;
        row[RW_ACC + j] = R[j].accept_min;
    }
    it->q++;
    return SS_OK;
}

ss_status rlctw_iter_iterate(rlctw_iter *it)
{
    if (it->q >= it->end)
        return SS_OK;
    if (!it->pi) {
        ss_status st = start_run(it);
        if (st != SS_OK)
            return st;
    }
    ss_status st = post_iter_iterate(it->pi);
    if (st != SS_OK)
        return st;
    if (post_iter_test(it->pi))
        return end_run(it);
    return SS_OK;
}

int rlctw_iter_test(const rlctw_iter *it) { return it->q >= it->end; }

/* A warning for the result, after the others (core/status.h) */
#define add_warn(res, ...) \
    ss_text_append((res)->warn, sizeof (res)->warn, "; ", __VA_ARGS__)

/* least squares y = a + b x over N points: b, its SE from the residuals
 * (sqrt(RSS / (N - 2) / Sxx)), a, and the residual SD */
static void ols(const double *x, const double *y, size_t N, double *b,
                double *se, double *a, double *sd)
{
    double mx = 0, my = 0;
    for (size_t i = 0; i < N; i++) {
        mx += x[i];
        my += y[i];
    }
    mx /= (double)N;
    my /= (double)N;
    double sxx = 0, sxy = 0;
    for (size_t i = 0; i < N; i++) {
        sxx += (x[i] - mx) * (x[i] - mx);
        sxy += (x[i] - mx) * (y[i] - my);
    }
    *b = sxy / sxx;
    *a = my - *b * mx;
    double rss = 0;
    for (size_t i = 0; i < N; i++) {
        double e = y[i] - *a - *b * x[i];
        rss += e * e;
    }
    double s2 = N > 2 ? rss / (double)(N - 2) : NAN;
    *se = sqrt(s2 / sxx);
    if (sd)
        *sd = sqrt(s2);
}

/* The first of the worst runs of a diagnostic over N runs' rows (two
 * temperatures each at column col): how many temperatures fail, the worst
 * value and its run. */
static size_t worst_of(const double *rows, size_t N, int col, int larger,
                       double limit, double *worst, size_t *at)
{
    size_t nbad = 0;
    for (size_t q = 0; q < N; q++)
        for (size_t j = 0; j < 2; j++) {
            double v = rows[q * RW_NCOLS + (size_t)col + j];
            int bad = larger ? !(v <= limit) : !(v >= limit);
            int worse = larger ? !(v <= *worst) : !(v >= *worst);
            if (bad && (nbad++ == 0 || worse)) {
                *worst = v;
                *at = q;
            }
        }
    return nbad;
}

/* The estimate from the rows of the runs of the first Jd n points. */
static ss_status build(const model *m, const model *t, const rlctw_spec *sp,
                       size_t k, const double *rows, size_t Jd,
                       rlct_result **out)
{
    *out = NULL;
    size_t R = sp->reps, N = Jd * R;
    rlct_result *r = calloc(1, sizeof *r);
    rlct_wbic_data *d = calloc(1, sizeof *d);
    double *x = calloc(N, sizeof *x), *yc = calloc(N, sizeof *yc);
    if (r)
        r->wbic = d;
    if (d) {
        d->sp = *sp;
        d->sp.first = d->sp.count = 0;
        d->sp.ns = malloc(sp->J * sizeof *d->sp.ns);
        d->wbic = malloc(N * sizeof *d->wbic);
        d->wbic_se = malloc(N * sizeof *d->wbic_se);
        d->nl0 = malloc(N * sizeof *d->nl0);
        d->y = malloc(N * sizeof *d->y);
        d->lam2 = malloc(N * sizeof *d->lam2);
        d->lam2_se = malloc(N * sizeof *d->lam2_se);
        d->lamn = malloc(Jd * sizeof *d->lamn);
        d->lamn_se = malloc(Jd * sizeof *d->lamn_se);
    }
    if (!r || !d || !x || !yc || !d->sp.ns || !d->wbic || !d->wbic_se ||
        !d->nl0 || !d->y || !d->lam2 || !d->lam2_se || !d->lamn ||
        !d->lamn_se) {
        if (r)
            rlct_result_free(r);
        else
            rlct_wbic_data_free(d);
        free(x);
        free(yc);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    memcpy(d->sp.ns, sp->ns, sp->J * sizeof *d->sp.ns);
    for (size_t q = 0; q < N; q++) {
        const double *row = rows + q * RW_NCOLS;
        d->wbic[q] = row[RW_WBIC];
        d->wbic_se[q] = row[RW_WBIC_SE];
        d->nl0[q] = row[RW_NL0];
        d->lam2[q] = row[RW_LAM2];
        d->lam2_se[q] = row[RW_LAM2_SE];
    }
    d->runs_done = N;
    d->Jdone = Jd;
    r->method = RLCT_METHOD_WBIC;
    r->k = k;
    r->interrupted = Jd < sp->J;
    r->sp.seed = sp->seed;
    r->sp.threads = sp->threads;
    snprintf(r->kind, sizeof r->kind, "%s", m->type->name);
    rlct_known(m, t, k, &r->known, &r->m_known, r->known_what,
               sizeof r->known_what);
    for (size_t q = 0; q < N; q++) {
        double ln = log((double)d->sp.ns[q / R]);
        d->y[q] = d->wbic[q] - d->nl0[q];
        x[q] = ln;
    }
    ols(x, d->y, N, &r->lambda, &r->se, &r->icpt, &d->resid_sd);
    r->corrected = r->m_known > 1;
    if (r->corrected) {
        for (size_t q = 0; q < N; q++)
            yc[q] = d->y[q] + (r->m_known - 1) * log(x[q]);
        ols(x, yc, N, &r->lambda_c, &r->se_c, &r->icpt_c, NULL);
    }
    double sa = 0, sa2 = 0;
    for (size_t j = 0; j < Jd; j++) {
        double m1 = 0, v = 0;
        for (size_t i = 0; i < R; i++)
            m1 += d->lam2[j * R + i];
        m1 /= (double)R;
        for (size_t i = 0; i < R; i++)
            v += (d->lam2[j * R + i] - m1) * (d->lam2[j * R + i] - m1);
        d->lamn[j] = m1;
        d->lamn_se[j] = R >= 2 ? sqrt(v / (double)(R - 1) / (double)R)
                               : d->lam2_se[j];
    }
    for (size_t q = 0; q < N; q++)
        sa += d->lam2[q];
    sa /= (double)N;
    for (size_t q = 0; q < N; q++)
        sa2 += (d->lam2[q] - sa) * (d->lam2[q] - sa);
    d->lam2_all = sa;
    d->lam2_all_se = sqrt(sa2 / (double)(N - 1) / (double)N);
    /* diagnostics of the runs kept */
    double worst = 0;
    size_t at = 0, nbad;
    if ((nbad = worst_of(rows, N, RW_RHAT, 1, POST_RHAT_WARN, &worst, &at)))
        add_warn(d, "split R-hat > %.2f at %zu temperatures of the runs "
                    "(largest %.4g, n=%zu: more burnin= or samples=)",
                 POST_RHAT_WARN, nbad, worst, sp->ns[at / R]);
    if ((nbad = worst_of(rows, N, RW_ESS, 0, POST_ESS_WARN, &worst, &at)))
        add_warn(d, "effective sample size of n L_n < %d at %zu "
                    "temperatures of the runs (smallest %.3g, n=%zu: more "
                    "samples=)",
                 POST_ESS_WARN, nbad, worst, sp->ns[at / R]);
    if ((nbad = worst_of(rows, N, RW_ACC, 0, 0.01, &worst, &at)))
        add_warn(d, "a chain accepted under 1%% of its proposals at %zu "
                    "temperatures of the runs (%.2g%%, n=%zu: stuck)",
                 nbad, 100 * worst, sp->ns[at / R]);
    free(x);
    free(yc);
    *out = r;
    return SS_OK;
}

ss_status rlctw_iter_take(rlctw_iter *it, int interrupted,
                          rlct_result **out)
{
    *out = NULL;
    post_iter_free(it->pi); /* a run Ctrl-C cut short */
    it->pi = NULL;
    size_t Jd = it->q / it->sp.reps;
    if (Jd < 3)
        return SS_FAIL(SS_ERR_INTERRUPTED,
                       "rlct: %s after %zu of %zu n points: the slope needs "
                       "at least 3, nothing was stored",
                       interrupted ? "interrupted" : "stopped", Jd,
                       it->sp.J);
    return build(it->m, it->t, &it->sp, it->k, it->rows, Jd, out);
}

size_t rlctw_row_len(void) { return RW_NCOLS; }

size_t rlctw_runs(const rlctw_spec *sp) { return sp->J * sp->reps; }

ss_status rlctw_iter_take_rows(rlctw_iter *it, int interrupted,
                               double **rows, size_t *n)
{
    *rows = NULL;
    *n = 0;
    post_iter_free(it->pi);
    it->pi = NULL;
    size_t got = it->q - it->first;
    if (got == 0)
        return SS_FAIL(SS_ERR_INTERRUPTED, "rlct: %s before the first run "
                                           "finished: nothing was stored",
                       interrupted ? "interrupted" : "stopped");
    *rows = malloc(got * RW_NCOLS * sizeof **rows);
    if (!*rows)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    memcpy(*rows, it->rows + it->first * RW_NCOLS,
           got * RW_NCOLS * sizeof **rows);
    *n = got;
    return SS_OK;
}

ss_status rlctw_result_from_rows(const model *m, const model *t,
                                 const rlctw_spec *sp, const double *rows,
                                 rlct_result **out)
{
    size_t k = 0;
    ss_status st = check(m, t, sp, &k);
    if (st != SS_OK)
        return st;
    return build(m, t, sp, k, rows, sp->J, out);
}

static ss_status i_iterate(void *s) { return rlctw_iter_iterate(s); }
static int i_test(const void *s) { return rlctw_iter_test(s); }
static void i_progress(const void *s, size_t *done, size_t *total)
{
    const rlctw_iter *it = s;
    *done = it->q - it->first;
    *total = it->end - it->first;
}
static void i_stop(void *s)
{
    rlctw_iter *it = s;
    if (it->pi)
        post_iter_type.stop(it->pi);
}

const ss_iter_type rlctw_iter_type = {"rlct wbic", i_iterate, i_test,
                                      i_progress, i_stop};

ss_status rlctw_run(const model *m, const model *truth,
                    const rlctw_spec *sp, rlct_result **out)
{
    rlctw_iter *it = NULL;
    ss_status st = rlctw_iter_alloc(m, truth, sp, &it);
    if (st == SS_OK) {
        ss_iter i = {&rlctw_iter_type, it};
        st = ss_iter_drive(&i, NULL, NULL);
        if (st == SS_OK)
            st = rlctw_iter_take(it, 0, out);
    }
    rlctw_iter_free(it);
    return st;
}

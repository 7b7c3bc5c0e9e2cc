/* Tempered posteriors by MCMC: adaptive random-walk Metropolis and MALA on
 * the replicate runner, one chain a replicate; diagnostics and WAIC
 * (bayes/posterior.h, docs/theory.md "Bayesian learning"). */
#include "bayes/posterior.h"

#include "bayes/prior.h"
#include "core/interrupt.h"
#include "core/replicate.h"
#include "core/rng.h"

#include <gsl/gsl_fft_halfcomplex.h>
#include <gsl/gsl_fft_real.h>
#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *post_sampler_name(size_t i)
{
    static const char *const names[] = {"rwm", "mala", NULL};
    return i < 2 ? names[i] : NULL;
}

/* ---- layout of a chain's row -------------------------------------------- */

/* [0] acceptance rate, [1] step scale, then samples x (k + 1) draws, then
 * POST_BATCHES x n x SUMW sums (max, scaled sum of exp, mean, M2 of
 * log p(x_i|w); max and scaled sum of exp of -log p(x_i|w)) and the
 * POST_BATCHES draw counts. n here is the observations with sums (0 for
 * the rungs of a ladder). */
#define ROW_DRAWS 2
#define SUMW 6
static size_t row_acc(size_t k, size_t S) { return ROW_DRAWS + S * (k + 1); }
static size_t row_cnt(size_t k, size_t S, size_t n)
{
    return row_acc(k, S) + (size_t)POST_BATCHES * n * SUMW;
}
static size_t row_len(size_t k, size_t S, size_t n)
{
    return row_cnt(k, S, n) + POST_BATCHES;
}

/* The priors: every free parameter has a proper one; k free. */
static ss_status check_priors(const model *m)
{
    size_t k = 0;
    for (size_t i = 0; i < m->P; i++) {
        if (!m->is_free[i])
            continue;
        k++;
        const model_prior *p = model_prior_of(m, i);
        if (!p)
            return SS_FAIL(SS_ERR_USAGE,
                           "posterior needs a proper prior on every free "
                           "parameter: %s has none (`prior MODEL %s=...`)",
                           MODEL_PNAME(m, i), MODEL_PNAME(m, i));
        ss_status st = prior_check(m, i, p);
        if (st != SS_OK)
            return st;
    }
    if (k == 0)
        return SS_FAIL(SS_ERR_USAGE, "posterior: the model has no free "
                                     "parameter");
    return SS_OK;
}

/* The rest of post_check with nchains chains in all, sums kept per
 * observation or not. */
static ss_status check_run(const model *m, const gsl_matrix *data,
                           const post_spec *sp, size_t nchains, int sums)
{
    size_t k = 0;
    for (size_t i = 0; i < m->P; i++)
        k += m->is_free[i] != 0;
    if (sp->samples < POST_SAMPLES_MIN)
        return SS_FAIL(SS_ERR_RANGE,
                       "posterior: samples=%zu is too few for the "
                       "diagnostics (split R-hat and the effective sample "
                       "size need at least %d draws per chain)",
                       sp->samples, POST_SAMPLES_MIN);
    if (sp->chains < 1 || sp->chains > POST_CHAINS_MAX)
        return SS_FAIL(SS_ERR_RANGE, "posterior: chains=%zu is outside 1..%d",
                       sp->chains, POST_CHAINS_MAX);
    ss_status st = model_check_data_cols(m, data, "posterior");
    if (st != SS_OK)
        return st;
    size_t n = model_nterms(m, data);
    if (n == 0)
        return SS_FAIL(SS_ERR_USAGE, "posterior: the data set is empty");
    double bytes = (double)nchains *
                   (double)row_len(k, sp->samples, sums ? n : 0) *
                   sizeof(double);
    if (bytes > (double)POST_MAX_BYTES)
        return SS_FAIL(SS_ERR_RANGE,
                       "posterior: %zu chains x (%zu draws of %zu values + "
                       "the WAIC and LOO sums over %zu observations) need "
                       "%.0f MB, more than %zu MB: fewer samples= or chains=",
                       nchains, sp->samples, k + 1, sums ? n : 0,
                       bytes / 1048576.0, POST_MAX_BYTES >> 20);
    return SS_OK;
}

ss_status post_check(const model *m, const gsl_matrix *data,
                     const post_spec *sp)
{
    ss_status st = check_priors(m);
    if (st != SS_OK)
        return st;
    if (!(sp->beta > 0) || !isfinite(sp->beta))
        return SS_FAIL(SS_ERR_RANGE, "posterior: beta=%g must be > 0 (the "
                                     "likelihood's power; 1 is the "
                                     "posterior)",
                       sp->beta);
    return check_run(m, data, sp, sp->chains, 1);
}

/* ---- the target ----------------------------------------------------------- */

typedef struct {
    const model *m;       /* the caller's model (read only) */
    const gsl_matrix *data;
    post_spec sp;
    size_t k, n, P;
    size_t *idx;
    const double *betas;  /* nb temperatures: chain r has betas[r / chains] */
    size_t nb;
    size_t ns;            /* observations with sums: n, or 0 (rungs) */
    int rungs;            /* a multi-temperature run (streams, no sums) */
} post_ctx;

typedef struct {
    post_ctx *c;
    model *m;             /* a clone */
    double *theta;        /* P */
    double *ell[2];       /* n terms: current, proposal */
    gsl_matrix *scores;   /* n x P for MALA */
    gsl_rng *r;
} worker;

/* log prior + beta l_n at free values w; terms into ell, gradient over the
 * free parameters into grad (k) when asked. -inf outside. */
static ss_status target(const model *m, const gsl_matrix *data, double beta,
                        const size_t *idx, size_t k, const double *w,
                        double *theta, double *ell, gsl_matrix *scores,
                        double *lp, double *lsum, double *grad)
{
    *lp = -INFINITY;
    double lpr = 0;
    for (size_t j = 0; j < k; j++) {
        size_t i = idx[j];
        if (!(w[j] >= model_param_lo(m, i) && w[j] <= model_param_hi(m, i)))
            return SS_OK;
        double d;
        lpr += prior_logpdf(model_prior_of(m, i), w[j], grad ? &d : NULL);
        if (grad)
            grad[j] = d;
        theta[i] = w[j];
    }
    if (!isfinite(lpr))
        return SS_OK;
    if (m->type->check && m->type->check(m, theta) != SS_OK) {
        ss_clear_error();
        return SS_OK;
    }
    ss_status st = m->type->loglik_terms(m, theta, data, ell,
                                         grad ? scores : NULL);
    if (st == SS_ERR_NOMEM || st == SS_ERR_INTERRUPTED)
        return st;
    if (st != SS_OK) { /* outside where the family computes: zero mass */
        ss_clear_error();
        return SS_OK;
    }
    size_t nt = model_nterms(m, data);
    /* four partial sums: the adds overlap instead of waiting on each other */
    double l0 = 0, l1 = 0, l2 = 0, l3 = 0;
    size_t q = 0;
    for (; q + 4 <= nt; q += 4) {
        l0 += ell[q];
        l1 += ell[q + 1];
        l2 += ell[q + 2];
        l3 += ell[q + 3];
    }
    for (; q < nt; q++)
        l0 += ell[q];
    double l = (l0 + l1) + (l2 + l3);
    if (!isfinite(l))
        return SS_OK;
    if (grad) {
        for (size_t j = 0; j < k; j++) {
            double g = 0;
            for (size_t t = 0; t < nt; t++)
                g += gsl_matrix_get(scores, t, idx[j]);
            if (!isfinite(g))
                return SS_OK;
            grad[j] += beta * g;
        }
    }
    *lp = lpr + beta * l;
    if (lsum)
        *lsum = l;
    return SS_OK;
}

ss_status post_log_target(const model *m, const gsl_matrix *data,
                          double beta, const double *w, double *lp,
                          double *grad)
{
    size_t *idx = NULL, k;
    ss_status st = model_free_index_list(m, &idx, &k);
    if (st != SS_OK)
        return st;
    size_t n = model_nterms(m, data);
    double *theta = malloc(m->P * sizeof *theta);
    double *ell = malloc((n ? n : 1) * sizeof *ell);
    gsl_matrix *S = grad ? gsl_matrix_alloc(n ? n : 1, m->P) : NULL;
    if (!theta || !ell || (grad && !S))
        st = SS_FAIL(SS_ERR_NOMEM, "out of memory");
    else {
        memcpy(theta, m->theta, m->P * sizeof *theta);
        st = target(m, data, beta, idx, k, w, theta, ell, S, lp, NULL, grad);
    }
    free(idx);
    free(theta);
    free(ell);
    if (S)
        gsl_matrix_free(S);
    return st;
}

/* ---- workers ---------------------------------------------------------------- */

static void worker_free(void *p)
{
    worker *w = p;
    if (!w)
        return;
    model_free(w->m);
    free(w->theta);
    free(w->ell[0]);
    free(w->ell[1]);
    if (w->scores)
        gsl_matrix_free(w->scores);
    ss_rng_free(w->r);
    free(w);
}

static void *worker_alloc(void *ctx)
{
    post_ctx *c = ctx;
    worker *w = calloc(1, sizeof *w);
    if (!w) {
        SS_FAIL(SS_ERR_NOMEM, "out of memory");
        return NULL;
    }
    w->c = c;
    w->m = model_clone(c->m);
    w->theta = malloc(c->P * sizeof *w->theta);
    w->ell[0] = malloc(c->n * sizeof(double));
    w->ell[1] = malloc(c->n * sizeof(double));
    w->r = ss_rng_alloc();
    if (c->sp.sampler == POST_MALA)
        w->scores = gsl_matrix_alloc(c->n, c->P);
    if (!w->m || !w->theta || !w->ell[0] || !w->ell[1] || !w->r ||
        (c->sp.sampler == POST_MALA && !w->scores)) {
        worker_free(w);
        SS_FAIL(SS_ERR_NOMEM, "out of memory for a chain");
        return NULL;
    }
    memcpy(w->theta, c->m->theta, c->P * sizeof *w->theta);
    return w;
}

/* Add the state with terms ell, repeated mult times, to a batch's sums. */
static void flush(double *acc, double *cnt, const double *ell, size_t n,
                  double mult)
{
    if (mult <= 0)
        return;
    double nb = *cnt + mult, lk = log(mult);
    for (size_t i = 0; i < n; i++) {
        double *a = acc + SUMW * i, t = ell[i];
        double tk = t + lk;
        if (tk > a[0]) {
            a[1] = a[1] * exp(a[0] - tk) + 1.0;
            a[0] = tk;
        } else {
            a[1] += exp(tk - a[0]);
        }
        double delta = t - a[2];
        a[2] += delta * mult / nb;
        a[3] += mult * delta * (t - a[2]);
        /* -log p: relative to the largest single term, so 1 / a[5] is the
         * largest draw's share of the importance weights */
        if (-t > a[4]) {
            a[5] = a[5] * exp(a[4] + t) + mult;
            a[4] = -t;
        } else {
            a[5] += mult * exp(-t - a[4]);
        }
    }
    *cnt = nb;
}

/* y = L x for the lower-triangular k x k L (row-major). */
static void lmul(const double *L, size_t k, const double *x, double *y)
{
    for (size_t a = 0; a < k; a++) {
        double s = 0;
        for (size_t b = 0; b <= a; b++)
            s += L[a * k + b] * x[b];
        y[a] = s;
    }
}

/* y = L^T x */
static void ltmul(const double *L, size_t k, const double *x, double *y)
{
    for (size_t b = 0; b < k; b++) {
        double s = 0;
        for (size_t a = b; a < k; a++)
            s += L[a * k + b] * x[a];
        y[b] = s;
    }
}

/* Solve L y = x. */
static void lsolve(const double *L, size_t k, const double *x, double *y)
{
    for (size_t a = 0; a < k; a++) {
        double s = x[a];
        for (size_t b = 0; b < a; b++)
            s -= L[a * k + b] * y[b];
        y[a] = s / L[a * k + a];
    }
}

/* Cholesky of the k x k symmetric C (row-major) into L; 0 when not
 * positive definite. */
static int chol(const double *C, size_t k, double *L)
{
    memset(L, 0, k * k * sizeof *L);
    for (size_t a = 0; a < k; a++)
        for (size_t b = 0; b <= a; b++) {
            double s = C[a * k + b];
            for (size_t q = 0; q < b; q++)
                s -= L[a * k + q] * L[b * k + q];
            if (a == b) {
                if (!(s > 0))
                    return 0;
                L[a * k + a] = sqrt(s);
            } else
                L[a * k + b] = s / L[b * k + b];
        }
    return 1;
}

/* The MALA proposal's log density up to a constant: -|L^-1 (to - mu)|^2 /
 * (2 h^2) with mu = from + h^2/2 L L^T g(from). */
static double mala_logq(const double *L, size_t k, double h,
                        const double *from, const double *gfrom,
                        const double *to, double *t1, double *t2)
{
    ltmul(L, k, gfrom, t1);
    lmul(L, k, t1, t2);
    for (size_t j = 0; j < k; j++)
        t1[j] = to[j] - from[j] - 0.5 * h * h * t2[j];
    lsolve(L, k, t1, t2);
    double q = 0;
    for (size_t j = 0; j < k; j++)
        q += t2[j] * t2[j];
    return -q / (2 * h * h);
}

static ss_status run_chain(void *p, size_t chain, double *row)
{
    worker *wk = p;
    post_ctx *c = wk->c;
    const size_t k = c->k, n = c->ns, S = c->sp.samples, B = c->sp.burnin;
    const int mala = c->sp.sampler == POST_MALA;
    const size_t rung = chain / c->sp.chains, cc = chain % c->sp.chains;
    const double beta = c->betas[rung];
    const double target_acc = mala ? 0.574 : 0.234;
    ss_rng_seed(wk->r, c->sp.seed, SS_STREAM_POSTERIOR,
                c->rungs ? ((uint64_t)(rung + 1) << 32) + cc : cc);
    memcpy(wk->theta, c->m->theta, c->P * sizeof *wk->theta);

    /* scratch: w, w', g, g', z, t1, t2, L, C (Welford), mean */
    size_t need = 7 * k + 3 * k * k + k;
    double *buf = calloc(need, sizeof *buf);
    if (!buf)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    double *w = buf, *wp = w + k, *g = wp + k, *gp = g + k, *z = gp + k;
    double *t1 = z + k, *t2 = t1 + k, *L = t2 + k, *Cm = L + k * k;
    double *mu = Cm + k * k, *Lnew = mu + k;
    for (size_t j = 0; j < k; j++) {
        size_t i = c->idx[j];
        w[j] = c->m->theta[i];
        /* a first guess at the posterior's scale: the prior's, shrunk by
         * the data as in a regular model */
        double s0 = prior_sd(model_prior_of(c->m, i)) /
                    sqrt(1.0 + beta * (double)c->n);
        L[j * k + j] = s0 > 0 && isfinite(s0) ? s0 : 1e-3;
    }
    double lp, lcur = NAN, lprop = NAN;
    double *cur = wk->ell[0], *prop = wk->ell[1];
    ss_status st = target(wk->m, c->data, beta, c->idx, k, w, wk->theta, cur,
                          wk->scores, &lp, &lcur, mala ? g : NULL);
    if (st == SS_OK && !isfinite(lp))
        st = SS_FAIL(SS_ERR_RANGE,
                     "posterior: the model's point has no mass under the "
                     "tempered posterior (log target -inf): `set` the model "
                     "where its likelihood is finite");
    double logh = mala ? log(1.0) : log(2.38 / sqrt((double)k));
    double wn = 0; /* Welford count for the covariance */
    size_t adapt_from = B / 4;
    size_t acc = 0;
    double *accs = row + row_acc(k, S), *cnts = row + row_cnt(k, S, n);
    for (size_t b = 0; b < POST_BATCHES; b++) {
        cnts[b] = 0;
        for (size_t i = 0; i < n; i++) {
            double *a = accs + (b * n + i) * SUMW;
            a[0] = a[4] = -INFINITY;
            a[1] = a[2] = a[3] = a[5] = 0;
        }
    }
    size_t batch = 0;
    double mult = 0;
    for (size_t t = 0; st == SS_OK && t < B + S; t++) {
        if ((t & 255) == 0 && ss_interrupted()) {
            st = SS_ERR_INTERRUPTED;
            break;
        }
        double h = exp(logh), lpp, la;
        for (size_t j = 0; j < k; j++)
            z[j] = gsl_ran_gaussian_ziggurat(wk->r, 1.0);
        lmul(L, k, z, t1);
        if (mala) {
            ltmul(L, k, g, t2);
            lmul(L, k, t2, z);
            for (size_t j = 0; j < k; j++)
                wp[j] = w[j] + 0.5 * h * h * z[j] + h * t1[j];
        } else {
            for (size_t j = 0; j < k; j++)
                wp[j] = w[j] + h * t1[j];
        }
        st = target(wk->m, c->data, beta, c->idx, k, wp, wk->theta, prop,
                    wk->scores, &lpp, &lprop, mala ? gp : NULL);
        if (st != SS_OK)
            break;
        if (!isfinite(lpp))
            la = -INFINITY;
        else {
            la = lpp - lp;
            if (mala)
                la += mala_logq(L, k, h, wp, gp, w, t1, t2) -
                      mala_logq(L, k, h, w, g, wp, t1, t2);
        }
        double a = la >= 0 ? 1.0 : exp(la);
        int accept = gsl_rng_uniform(wk->r) < a;
        if (accept) {
            if (t >= B) {
                flush(accs + batch * n * SUMW, &cnts[batch], cur, n, mult);
                mult = 0;
            }
            double *tmp = cur;
            cur = prop;
            prop = tmp;
            memcpy(w, wp, k * sizeof *w);
            if (mala)
                memcpy(g, gp, k * sizeof *g);
            lp = lpp;
            lcur = lprop;
        }
        if (t < B) { /* adaptation: the step scale, then the covariance */
            logh += (a - target_acc) / pow((double)t + 1.0, 0.6);
            if (t >= adapt_from) {
                wn += 1;
                for (size_t j = 0; j < k; j++)
                    t1[j] = w[j] - mu[j];
                for (size_t j = 0; j < k; j++)
                    mu[j] += t1[j] / wn;
                for (size_t q = 0; q < k; q++)
                    for (size_t j = 0; j < k; j++)
                        Cm[q * k + j] += t1[q] * (w[j] - mu[j]);
                if (wn >= (double)(2 * k + 20) && ((t - adapt_from) % 25) == 0) {
                    double tr = 0;
                    for (size_t j = 0; j < k; j++)
                        tr += Cm[j * k + j];
                    for (size_t q = 0; q < k * k; q++)
                        Lnew[q] = Cm[q] / (wn - 1);
                    for (size_t j = 0; j < k; j++)
                        Lnew[j * k + j] += 1e-10 * tr / (wn - 1) / (double)k +
                                           1e-300;
                    double *tmp = malloc(k * k * sizeof *tmp);
                    if (!tmp) {
                        st = SS_FAIL(SS_ERR_NOMEM, "out of memory");
                        break;
                    }
                    if (tr > 0 && chol(Lnew, k, tmp)) /* else keep L */
                        memcpy(L, tmp, k * k * sizeof *L);
                    free(tmp);
                }
            }
            continue;
        }
        size_t s = t - B;
        acc += (size_t)accept;
        size_t nb = s * POST_BATCHES / S;
        if (nb != batch) {
            flush(accs + batch * n * SUMW, &cnts[batch], cur, n, mult);
            mult = 0;
            batch = nb;
        }
        mult += 1;
        double *d = row + ROW_DRAWS + s * (k + 1);
        memcpy(d, w, k * sizeof *d);
        d[k] = lcur;
    }
    if (st == SS_OK)
        flush(accs + batch * n * SUMW, &cnts[batch], cur, n, mult);
    row[0] = (double)acc / (double)S;
    row[1] = exp(logh);
    wk->ell[0] = cur;
    wk->ell[1] = prop;
    free(buf);
    if (st != SS_OK && st != SS_ERR_INTERRUPTED) {
        char msg[sizeof ss_last_error()->msg];
        snprintf(msg, sizeof msg, "%s", ss_last_error()->msg);
        if (c->rungs)
            return SS_FAIL(st, "beta=%.6g chain %zu (seed %llu): %s", beta,
                           cc + 1, (unsigned long long)c->sp.seed, msg);
        return SS_FAIL(st, "posterior chain %zu (seed %llu): %s", chain + 1,
                       (unsigned long long)c->sp.seed, msg);
    }
    return st;
}

/* ---- diagnostics -------------------------------------------------------------- */

/* Autocovariances acov[0..h-1] (divided by h) of y[0..h-1] about its mean,
 * by FFT on a zero-padded power-of-two length; work holds L doubles. */
static void autocov(const double *y, size_t h, double mean, double *work,
                    size_t L, double *acov)
{
    for (size_t t = 0; t < L; t++)
        work[t] = t < h ? y[t] - mean : 0;
    gsl_fft_real_radix2_transform(work, 1, L);
    work[0] = work[0] * work[0];
    work[L / 2] = work[L / 2] * work[L / 2];
    for (size_t i = 1; i < L / 2; i++) {
        double re = work[i], im = work[L - i];
        work[i] = re * re + im * im;
        work[L - i] = 0;
    }
    gsl_fft_halfcomplex_radix2_inverse(work, 1, L);
    for (size_t t = 0; t < h; t++)
        acov[t] = work[t] / (double)h;
}

void post_rhat_ess(const double *x, size_t C, size_t N, size_t stride,
                   double *rhat, double *ess)
{
    *rhat = *ess = NAN;
    size_t h = N / 2, M = 2 * C;
    if (h < 2)
        return;
    size_t L = 1;
    while (L < 2 * h)
        L <<= 1;
    double *seq = malloc(M * h * sizeof *seq), *mean = malloc(M * sizeof *mean);
    double *var = malloc(M * sizeof *var), *work = malloc(L * sizeof *work);
    double *ac = malloc(M * h * sizeof *ac);
    if (!seq || !mean || !var || !work || !ac)
        goto done;
    /* the halves: draws 0..h-1 and N-h..N-1 of each chain */
    for (size_t c = 0; c < C; c++)
        for (size_t t = 0; t < h; t++) {
            seq[(2 * c) * h + t] = x[(c * N + t) * stride];
            seq[(2 * c + 1) * h + t] = x[(c * N + N - h + t) * stride];
        }
    double W = 0, mm = 0;
    for (size_t m = 0; m < M; m++) {
        double s = 0;
        for (size_t t = 0; t < h; t++)
            s += seq[m * h + t];
        mean[m] = s / (double)h;
        double q = 0;
        for (size_t t = 0; t < h; t++)
            q += (seq[m * h + t] - mean[m]) * (seq[m * h + t] - mean[m]);
        var[m] = q / (double)(h - 1);
        W += var[m];
        mm += mean[m];
    }
    W /= (double)M;
    mm /= (double)M;
    double Bh = 0; /* B / h: the variance of the sequence means */
    for (size_t m = 0; m < M; m++)
        Bh += (mean[m] - mm) * (mean[m] - mm);
    Bh /= (double)(M - 1);
    double vplus = (double)(h - 1) / (double)h * W + Bh;
    if (!(W > 0)) {
        *rhat = Bh > 0 ? INFINITY : 1.0;
        goto done;
    }
    *rhat = sqrt(vplus / W);
    for (size_t m = 0; m < M; m++)
        autocov(seq + m * h, h, mean[m], work, L, ac + m * h);
    /* rho_t = 1 - (W - mean_m acov_m(t)) / var+ ; Geyer's initial positive
     * and monotone sequence over pairs P_j = rho_2j + rho_2j+1 */
    double tau = -1, prev = INFINITY;
    for (size_t j = 0; 2 * j + 1 < h; j++) {
        double r[2];
        for (int e = 0; e < 2; e++) {
            size_t t = 2 * j + (size_t)e;
            double a = 0;
            for (size_t m = 0; m < M; m++)
                a += ac[m * h + t];
            a /= (double)M;
            r[e] = t == 0 ? 1.0 : 1.0 - (W - a) / vplus;
        }
        double P = r[0] + r[1];
        if (!(P > 0))
            break;
        if (P > prev)
            P = prev;
        prev = P;
        tau += 2 * P;
    }
    double tot = (double)(M * h);
    *ess = tau > 0 ? tot / tau : tot;
    if (*ess > tot * log10(tot))
        *ess = tot * log10(tot);
done:
    free(seq);
    free(mean);
    free(var);
    free(work);
    free(ac);
}

/* ---- the result ---------------------------------------------------------------- */

void post_result_free(post_result *r)
{
    if (!r)
        return;
    model_free(r->m);
    free(r->idx);
    free(r->names);
    free(r->draws);
    free(r->accept);
    free(r->scale);
    free(r->mean);
    free(r->sd);
    free(r->rhat);
    free(r->ess);
    free(r);
}

/* Merge sums b into a (each: max, scaled exp-sum, mean, M2) with counts. */
static void merge_sums(double *a, double na, const double *b, double nb)
{
    if (nb <= 0)
        return;
    if (b[0] > a[0]) {
        a[1] = a[1] * exp(a[0] - b[0]) + b[1];
        a[0] = b[0];
    } else
        a[1] += b[1] * exp(b[0] - a[0]);
    double n = na + nb, d = b[2] - a[2];
    a[2] += d * nb / n;
    a[3] += b[3] + d * d * na * nb / n;
    if (b[4] > a[4]) {
        a[5] = a[5] * exp(a[4] - b[4]) + b[5];
        a[4] = b[4];
    } else
        a[5] += b[5] * exp(b[4] - a[4]);
}

/* T, V and elpd_loo from n observations' sums over cnt draws. */
static void waic_parts(const double *sums, size_t n, double cnt, double *T,
                       double *V, double *elpd)
{
    double t = 0, v = 0, e = 0;
    for (size_t i = 0; i < n; i++) {
        const double *a = sums + SUMW * i;
        t += a[0] + log(a[1]) - log(cnt);
        v += cnt > 1 ? a[3] / (cnt - 1) : NAN;
        e -= a[4] + log(a[5]) - log(cnt);
    }
    *T = -t / (double)n;
    *V = v;
    *elpd = e;
}

static void add_warn(post_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void add_warn(post_result *r, const char *fmt, ...)
{
    size_t l = strlen(r->warn);
    if (l + 4 >= sizeof r->warn)
        return;
    if (l)
        l += (size_t)snprintf(r->warn + l, sizeof r->warn - l, "; ");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->warn + l, sizeof r->warn - l, fmt, ap);
    va_end(ap);
}

static double sd_of(const double *v, size_t m)
{
    if (m < 2)
        return NAN;
    double s = 0, q = 0;
    for (size_t j = 0; j < m; j++)
        s += v[j];
    s /= (double)m;
    for (size_t j = 0; j < m; j++)
        q += (v[j] - s) * (v[j] - s);
    return sqrt(q / (double)(m - 1));
}

/* Everything from the chains' rows (C of them). */
static ss_status summarize(const post_ctx *c, const double *rows, size_t C,
                           post_result *r)
{
    size_t k = c->k, n = c->n, S = c->sp.samples, nc = row_len(k, S, n);
    r->nchains = C;
    double *bl = malloc(C * POST_BATCHES * sizeof *bl);
    r->draws = malloc(C * S * (k + 1) * sizeof *r->draws);
    r->accept = malloc(C * sizeof *r->accept);
    r->scale = malloc(C * sizeof *r->scale);
    r->mean = malloc(k * sizeof *r->mean);
    r->sd = malloc(k * sizeof *r->sd);
    r->rhat = malloc(k * sizeof *r->rhat);
    r->ess = malloc(k * sizeof *r->ess);
    size_t J = C * POST_BATCHES;
    double *tot = malloc(n * SUMW * sizeof *tot);
    double *bw = malloc(J * sizeof *bw), *bv = malloc(J * sizeof *bv);
    double *be = malloc(J * sizeof *be);
    ss_status st = SS_OK;
    if (!r->draws || !r->accept || !r->scale || !r->mean || !r->sd ||
        !r->rhat || !r->ess || !tot || !bw || !bv || !be || !bl) {
        st = SS_FAIL(SS_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t ch = 0; ch < C; ch++) {
        const double *row = rows + ch * nc;
        r->accept[ch] = row[0];
        r->scale[ch] = row[1];
        memcpy(r->draws + ch * S * (k + 1), row + ROW_DRAWS,
               S * (k + 1) * sizeof *r->draws);
    }
    for (size_t j = 0; j < k; j++) {
        double s = 0, q = 0, N = (double)(C * S);
        for (size_t t = 0; t < C * S; t++)
            s += r->draws[t * (k + 1) + j];
        s /= N;
        for (size_t t = 0; t < C * S; t++) {
            double d = r->draws[t * (k + 1) + j] - s;
            q += d * d;
        }
        r->mean[j] = s;
        r->sd[j] = sqrt(q / (N - 1));
        post_rhat_ess(r->draws + j, C, S, k + 1, &r->rhat[j], &r->ess[j]);
    }
    /* WAIC and E[n L_n]: the totals, and per batch for the errors */
    for (size_t i = 0; i < n; i++) {
        tot[SUMW * i] = tot[SUMW * i + 4] = -INFINITY;
        tot[SUMW * i + 1] = tot[SUMW * i + 2] = tot[SUMW * i + 3] = 0;
        tot[SUMW * i + 5] = 0;
    }
    double cnt = 0, esum = 0;
    for (size_t ch = 0; ch < C; ch++) {
        const double *row = rows + ch * nc;
        const double *accs = row + row_acc(k, S), *cnts = row + row_cnt(k, S, n);
        for (size_t b = 0; b < POST_BATCHES; b++) {
            const double *sb = accs + b * n * SUMW;
            size_t jb = ch * POST_BATCHES + b;
            double T, V, El;
            waic_parts(sb, n, cnts[b], &T, &V, &El);
            bw[jb] = T + V / (double)n;
            bv[jb] = V;
            bl[jb] = El;
            for (size_t i = 0; i < n; i++)
                merge_sums(tot + SUMW * i, cnt, sb + SUMW * i, cnts[b]);
            cnt += cnts[b];
            /* the batch's draws: s with s * B / S == b */
            size_t s0 = (b * S + POST_BATCHES - 1) / POST_BATCHES;
            size_t s1 = ((b + 1) * S + POST_BATCHES - 1) / POST_BATCHES;
            double e = 0;
            for (size_t s = s0; s < s1; s++)
                e += -row[ROW_DRAWS + s * (k + 1) + k];
            be[jb] = e / (double)(s1 - s0);
            esum += e;
        }
    }
    r->nbatches = J;
    waic_parts(tot, n, cnt, &r->T, &r->V, &r->elpd_loo);
    r->waic = r->T + r->V / (double)n;
    r->elpd_loo_se = sd_of(bl, J) / sqrt((double)J);
    r->loo_wmax = 0;
    r->loo_worst = 0;
    for (size_t i = 0; i < n; i++) { /* the largest single weight's share */
        double sh = 1 / tot[SUMW * i + 5];
        if (sh > r->loo_wmax) {
            r->loo_wmax = sh;
            r->loo_worst = i;
        }
    }
    r->waic_se = sd_of(bw, J) / sqrt((double)J);
    r->pwaic_se = sd_of(bv, J) / sqrt((double)J);
    r->enl = esum / (double)(C * S);
    r->enl_se = sd_of(be, J) / sqrt((double)J);
    r->beta_wbic = n > 1 ? 1.0 / log((double)n) : NAN;
    r->is_wbic = n > 1 && fabs(c->sp.beta - r->beta_wbic) <= 1e-9 * r->beta_wbic;
    /* warnings */
    for (size_t j = 0; j < k; j++) {
        if (!(r->rhat[j] <= POST_RHAT_WARN))
            add_warn(r, "split R-hat of %s is %.4g > %.2f (chains disagree: "
                        "more burnin= or samples=)",
                     r->names[j], r->rhat[j], POST_RHAT_WARN);
        if (!(r->ess[j] >= POST_ESS_WARN))
            add_warn(r, "effective sample size of %s is %.3g < %d (more "
                        "samples=)",
                     r->names[j], r->ess[j], POST_ESS_WARN);
    }
    if (r->iid && fabs(c->sp.beta - 1) <= 1e-12 &&
        r->loo_wmax > POST_LOO_WMAX_WARN)
        add_warn(r, "one draw carries %.2g of observation %zu's importance "
                    "weights (> %.2g): the plain importance-sampling LOO "
                    "rests on few draws there",
                 r->loo_wmax, r->loo_worst + 1, POST_LOO_WMAX_WARN);
    for (size_t ch = 0; ch < C; ch++)
        if (r->accept[ch] < 0.01)
            add_warn(r, "chain %zu accepted %.2g%% of its proposals (stuck)",
                     ch + 1, 100 * r->accept[ch]);
done:
    free(bl);
    free(tot);
    free(bw);
    free(bv);
    free(be);
    return st;
}

/* ---- the iteration -------------------------------------------------------------- */

struct post_iter {
    post_ctx c;
    post_result *res;     /* NULL for rungs */
    rep_job *job;
    size_t ndone, nrep;
    int finished;
    double *betas;        /* c.nb */
};

void post_iter_free(post_iter *it)
{
    if (!it)
        return;
    if (it->job && !it->finished)
        rep_abandon(it->job);
    post_result_free(it->res);
    free(it->c.idx);
    free(it->betas);
    free(it);
}

/* The replicate job of it's nrep chains. */
static ss_status start_job(post_iter *it)
{
    rep_spec rs = {.nrep = it->nrep,
                   .ncols = row_len(it->c.k, it->c.sp.samples, it->c.ns),
                   .threads = it->c.sp.threads, .worker_alloc = worker_alloc,
                   .worker_free = worker_free, .run = run_chain,
                   .ctx = &it->c, .tick_ms = 10};
    return rep_start(&rs, &it->job);
}

static ss_status iter_new(const model *m, const gsl_matrix *data,
                          const post_spec *sp, const double *betas,
                          size_t nb, int rungs, post_iter **out)
{
    *out = NULL;
    post_iter *it = calloc(1, sizeof *it);
    double *b = malloc(nb * sizeof *b);
    if (!it || !b) {
        free(it);
        free(b);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    memcpy(b, betas, nb * sizeof *b);
    it->betas = b;
    it->nrep = nb * sp->chains;
    it->c = (post_ctx){.m = m, .data = data, .sp = *sp, .P = m->P,
                       .n = model_nterms(m, data), .betas = b, .nb = nb,
                       .rungs = rungs};
    it->c.ns = rungs ? 0 : it->c.n;
    ss_status st = model_free_index_list(m, &it->c.idx, &it->c.k);
    if (st != SS_OK) {
        post_iter_free(it);
        return st;
    }
    *out = it;
    return SS_OK;
}

ss_status post_rungs_alloc(const model *m, const gsl_matrix *data,
                           const post_spec *sp, const double *betas,
                           size_t nb, post_iter **out)
{
    *out = NULL;
    if (nb == 0)
        return SS_FAIL(SS_ERR_USAGE, "no temperature to sample");
    for (size_t j = 0; j < nb; j++)
        if (!(betas[j] >= 0 && betas[j] <= 1))
            return SS_FAIL(SS_ERR_RANGE, "temperature beta=%g is outside "
                                         "[0, 1]",
                           betas[j]);
    if (sp->chains > POST_CHAINS_MAX)
        return SS_FAIL(SS_ERR_RANGE, "chains=%zu is outside 1..%d",
                       sp->chains, POST_CHAINS_MAX);
    ss_status st = check_priors(m);
    if (st == SS_OK)
        st = check_run(m, data, sp, nb * sp->chains, 0);
    if (st != SS_OK)
        return st;
    post_iter *it = NULL;
    st = iter_new(m, data, sp, betas, nb, 1, &it);
    if (st != SS_OK)
        return st;
    st = start_job(it);
    if (st != SS_OK) {
        post_iter_free(it);
        return st;
    }
    *out = it;
    return SS_OK;
}

void post_iter_counts(const post_iter *it, size_t *done, size_t *total)
{
    *done = it->ndone;
    *total = it->nrep;
}

/* One rung's numbers from its C chains' rows. */
static ss_status summarize_rung(const post_ctx *c, const double *rows,
                                double beta, post_rung *o)
{
    size_t k = c->k, S = c->sp.samples, C = c->sp.chains;
    size_t nc = row_len(k, S, 0);
    double *x = malloc(C * S * (k + 1) * sizeof *x);
    double *be = malloc(C * POST_BATCHES * sizeof *be);
    if (!x || !be) {
        free(x);
        free(be);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    *o = (post_rung){.beta = beta, .accept_min = INFINITY,
                     .scale = rows[1]};
    double esum = 0;
    for (size_t ch = 0; ch < C; ch++) {
        const double *row = rows + ch * nc;
        if (row[0] < o->accept_min)
            o->accept_min = row[0];
        for (size_t t = 0; t < S; t++) {
            const double *d = row + ROW_DRAWS + t * (k + 1);
            double *y = x + (ch * S + t) * (k + 1);
            memcpy(y, d, k * sizeof *y);
            y[k] = -d[k];
        }
        for (size_t b = 0; b < POST_BATCHES; b++) {
            size_t s0 = (b * S + POST_BATCHES - 1) / POST_BATCHES;
            size_t s1 = ((b + 1) * S + POST_BATCHES - 1) / POST_BATCHES;
            double e = 0;
            for (size_t s = s0; s < s1; s++)
                e += -row[ROW_DRAWS + s * (k + 1) + k];
            be[ch * POST_BATCHES + b] = e / (double)(s1 - s0);
            esum += e;
        }
    }
    o->enl = esum / (double)(C * S);
    o->enl_se = sd_of(be, C * POST_BATCHES) / sqrt((double)(C * POST_BATCHES));
    o->rhat = 0;
    for (size_t j = 0; j <= k; j++) {
        double rh, ess;
        post_rhat_ess(x + j, C, S, k + 1, &rh, &ess);
        if (!(rh <= o->rhat)) /* NaN propagates */
            o->rhat = rh;
        if (j == k)
            o->ess = ess;
    }
    free(x);
    free(be);
    return SS_OK;
}

ss_status post_rungs_take(post_iter *it, post_rung *out)
{
    double *rows = NULL;
    unsigned char *done = NULL;
    rep_stop(it->job);
    ss_status st = rep_finish(it->job, &rows, &done, NULL);
    it->finished = 1;
    size_t ok = 0;
    while (st == SS_OK && done && ok < it->nrep && done[ok])
        ok++;
    if (st == SS_OK && ok < it->nrep)
        st = SS_FAIL(SS_ERR_INTERRUPTED,
                     "interrupted after %zu of %zu chains: a ladder needs "
                     "every temperature, nothing was stored",
                     ok, it->nrep);
    size_t nc = row_len(it->c.k, it->c.sp.samples, 0);
    for (size_t j = 0; st == SS_OK && j < it->c.nb; j++)
        st = summarize_rung(&it->c, rows + j * it->c.sp.chains * nc,
                            it->betas[j], &out[j]);
    free(rows);
    free(done);
    return st;
}

ss_status post_iter_alloc(const model *m, const gsl_matrix *data,
                          const post_spec *sp, post_iter **out)
{
    *out = NULL;
    ss_status st = post_check(m, data, sp);
    if (st != SS_OK)
        return st;
    post_iter *it = NULL;
    st = iter_new(m, data, sp, &sp->beta, 1, 0, &it);
    if (st != SS_OK)
        return st;
    post_result *r = calloc(1, sizeof *r);
    it->res = r;
    if (!r) {
        post_iter_free(it);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    {
        r->sp = *sp;
        r->k = it->c.k;
        r->n = it->c.n;
        r->iid = m->type->data_kind != MODEL_DATA_SERIES;
        snprintf(r->kind, sizeof r->kind, "%s", m->type->name);
        r->m = model_clone(m);
        r->idx = malloc(r->k * sizeof *r->idx);
        r->names = malloc(r->k * sizeof *r->names);
        if (!r->m || !r->idx || !r->names)
            st = SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    for (size_t j = 0; st == SS_OK && j < r->k; j++) {
        r->idx[j] = it->c.idx[j];
        model_param_name(m, r->idx[j], r->names[j], MODEL_NAME_MAX);
    }
    if (st == SS_OK)
        st = start_job(it);
    if (st != SS_OK) {
        post_iter_free(it);
        return st;
    }
    *out = it;
    return SS_OK;
}

ss_status post_iter_iterate(post_iter *it)
{
    ss_status st = rep_iterate(it->job);
    while (it->ndone < it->nrep && rep_row_done(it->job, it->ndone))
        it->ndone++;
    return st;
}

int post_iter_test(const post_iter *it)
{
    return it->ndone >= it->nrep || rep_test(it->job);
}

ss_status post_iter_take(post_iter *it, int interrupted, post_result **out)
{
    *out = NULL;
    double *rows = NULL;
    unsigned char *done = NULL;
    rep_stop(it->job);
    ss_status st = rep_finish(it->job, &rows, &done, NULL);
    it->finished = 1;
    if (st == SS_ERR_INTERRUPTED && interrupted) {
        ss_clear_error();
        st = SS_OK;
    }
    size_t C = 0;
    while (st == SS_OK && done && C < it->c.sp.chains && done[C])
        C++;
    if (st == SS_OK && C == 0)
        st = SS_FAIL(SS_ERR_INTERRUPTED, "interrupted before the first chain "
                                         "finished: nothing was stored");
    if (st == SS_OK)
        st = summarize(&it->c, rows, C, it->res);
    free(rows);
    free(done);
    if (st != SS_OK)
        return st;
    it->res->interrupted = C < it->c.sp.chains;
    *out = it->res;
    it->res = NULL;
    return SS_OK;
}

static ss_status it_iterate(void *s) { return post_iter_iterate(s); }
static int it_test(const void *s) { return post_iter_test(s); }
static void it_progress(const void *s, size_t *done, size_t *total)
{
    post_iter_counts(s, done, total);
}
static void it_stop(void *s)
{
    post_iter *it = s;
    rep_stop(it->job);
}

const ss_iter_type post_iter_type = {"posterior", it_iterate, it_test,
                                     it_progress, it_stop};

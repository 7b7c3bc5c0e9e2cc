/* Tempered posteriors by MCMC: adaptive random-walk Metropolis and MALA on
 * the replicate runner, one chain a replicate; diagnostics and WAIC
 * (bayes/posterior.h, docs/theory.md "Bayesian learning"). */
#include "bayes/posterior.h"

#include "bayes/prior.h"
#include "core/interrupt.h"
#include "core/replicate.h"
#include "core/vecmath.h"
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
/* ... then the share of recorded steps whose proposal had a non-finite
 * likelihood inside the prior's support, and the K - 1 swap acceptance
 * rates of adjacent replicas */
static size_t row_total(size_t k, size_t S, size_t n, size_t K)
{
    return row_len(k, S, n) + K;
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
    if (sp->temps > POST_TEMPS_MAX)
        return SS_FAIL(SS_ERR_RANGE, "posterior: temps=%zu is outside 1..%d "
                                     "(replicas per chain)",
                       sp->temps, POST_TEMPS_MAX);
    if (sp->temps > 1 && sp->beta_min != 0 &&
        !(sp->beta_min > 0 && sp->beta_min < sp->beta))
        return SS_FAIL(SS_ERR_RANGE,
                       "posterior: betamin=%g must lie in (0, beta = %g): "
                       "the hottest replica's power of the likelihood",
                       sp->beta_min, sp->beta);
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
    size_t K;             /* replicas per chain (parallel tempering; 1) */
    double beta_min;      /* the hottest replica's beta (K > 1) */
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
                        double *lp, double *lsum, double *grad, double *gl,
                        int *bad)
{
    *lp = -INFINITY;
    if (bad)
        *bad = 0;
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
    /* from here on w is inside the prior's support and the family's valid
     * region: a failure or a non-finite value is the likelihood's (*bad) */
    if (st != SS_OK) { /* outside where the family computes: zero mass */
        ss_clear_error();
        if (bad)
            *bad = 1;
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
    if (!isfinite(l)) {
        if (bad)
            *bad = 1;
        return SS_OK;
    }
    if (grad) {
        for (size_t j = 0; j < k; j++) {
            double g = 0;
            for (size_t t = 0; t < nt; t++)
                g += gsl_matrix_get(scores, t, idx[j]);
            if (!isfinite(g)) {
                if (bad)
                    *bad = 1;
                return SS_OK;
            }
            grad[j] += beta * g;
            if (gl)
                gl[j] = g;
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
        st = target(m, data, beta, idx, k, w, theta, ell, S, lp, NULL, grad,
                    NULL, NULL);
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

/* Add the state with terms ell, repeated mult times, to a batch's sums:
 * per observation two log-sum-exp updates (of log p and of -log p) and
 * Welford's. The 2n exps, a quarter of an RWM step when done one at a
 * time, go through vecmath a block at a time: the arguments first, then
 * the updates with no exp left in them. */
#define FLUSH_BLOCK 256
static void flush(double *acc, double *cnt, const double *ell, size_t n,
                  double mult)
{
    if (mult <= 0)
        return;
    double nb = *cnt + mult, lk = log(mult);
    double e[2 * FLUSH_BLOCK];
    for (size_t b = 0; b < n; b += FLUSH_BLOCK) {
        size_t m = n - b < FLUSH_BLOCK ? n - b : FLUSH_BLOCK;
        for (size_t q = 0; q < m; q++) {
            const double *a = acc + SUMW * (b + q);
            double tk = ell[b + q] + lk, nt = -ell[b + q];
            e[q] = tk > a[0] ? a[0] - tk : tk - a[0];
            e[FLUSH_BLOCK + q] = nt > a[4] ? a[4] - nt : nt - a[4];
        }
        ss_vexp(e, m);
        ss_vexp(e + FLUSH_BLOCK, m);
        for (size_t q = 0; q < m; q++) {
            double *a = acc + SUMW * (b + q), t = ell[b + q];
            double tk = t + lk;
            if (tk > a[0]) {
                a[1] = a[1] * e[q] + 1.0;
                a[0] = tk;
            } else {
                a[1] += e[q];
            }
            double delta = t - a[2];
            a[2] += delta * mult / nb;
            a[3] += mult * delta * (t - a[2]);
            /* -log p: relative to the largest single term, so 1 / a[5] is
             * the largest draw's share of the importance weights */
            if (-t > a[4]) {
                a[5] = a[5] * e[FLUSH_BLOCK + q] + mult;
                a[4] = -t;
            } else {
                a[5] += mult * e[FLUSH_BLOCK + q];
            }
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

/* The r-th of K betas from beta down to beta_min, geometric:
 * beta (beta_min / beta)^(r / (K - 1)). */
static double ladder_beta(double beta, double beta_min, size_t r, size_t K)
{
    if (r == 0)
        return beta;
    return beta * pow(beta_min / beta, (double)r / (double)(K - 1));
}

/* One temperature's state in a chain (one replica of parallel tempering;
 * a chain without tempering has one). */
typedef struct {
    double beta;
    double *w, *g, *gl;   /* the state, its log target's gradient, the
                             gradient of l_n (MALA; gl for swaps) */
    double *L, *Cm, *mu;  /* the proposal's factor, Welford's sums */
    double logh, wn;      /* log step scale, Welford count */
    double lp, lcur;      /* log target and l_n at w */
    double *cur;          /* log p(x_i|w) */
} replica;

/* The replica's first guess at its proposal and its log target at the
 * model's point. */
static ss_status replica_start(worker *wk, replica *R, int mala)
{
    post_ctx *c = wk->c;
    size_t k = c->k;
    for (size_t j = 0; j < k; j++) {
        size_t i = c->idx[j];
        R->w[j] = c->m->theta[i];
        /* a first guess at the posterior's scale: the prior's, shrunk by
         * the data as in a regular model */
        double s0 = prior_sd(model_prior_of(c->m, i)) /
                    sqrt(1.0 + R->beta * (double)c->n);
        R->L[j * k + j] = s0 > 0 && isfinite(s0) ? s0 : 1e-3;
    }
    R->lcur = NAN;
    ss_status st = target(wk->m, c->data, R->beta, c->idx, k, R->w,
                          wk->theta, R->cur, wk->scores, &R->lp, &R->lcur,
                          mala ? R->g : NULL, R->gl, NULL);
    if (st == SS_OK && !isfinite(R->lp))
        st = SS_FAIL(SS_ERR_RANGE,
                     "posterior: the model's point has no mass under the "
                     "tempered posterior (log target -inf): `set` the model "
                     "where its likelihood is finite");
    R->logh = mala ? log(1.0) : log(2.38 / sqrt((double)k));
    R->wn = 0;
    return st;
}

/* Scratch of a chain's step, shared by its replicas. */
typedef struct {
    double *wp, *gp, *glp, *z, *t1, *t2, *Lnew;
    double *prop;         /* log p(x_i|w') */
} step_scratch;

/* One Metropolis(-adjusted Langevin) step of replica R at step t (of B
 * burn-in); *accepted, the acceptance probability into *a; *bad: the
 * proposal's likelihood was not finite. flush_first (replica 1 after
 * burn-in): the WAIC sums of the state left are flushed before it
 * changes. */
static ss_status replica_step(worker *wk, replica *R, step_scratch *X,
                              size_t t, size_t B, double target_acc, int mala,
                              int *accepted, int *bad, double *flush_to,
                              double *flush_cnt, double *mult)
{
    post_ctx *c = wk->c;
    const size_t k = c->k, n = c->ns;
    double h = exp(R->logh), lpp, la, lprop = NAN;
    double *w = R->w, *wp = X->wp, *z = X->z, *t1 = X->t1, *t2 = X->t2;
    for (size_t j = 0; j < k; j++)
        z[j] = gsl_ran_gaussian_ziggurat(wk->r, 1.0);
    lmul(R->L, k, z, t1);
    if (mala) {
        ltmul(R->L, k, R->g, t2);
        lmul(R->L, k, t2, z);
        for (size_t j = 0; j < k; j++)
            wp[j] = w[j] + 0.5 * h * h * z[j] + h * t1[j];
    } else {
        for (size_t j = 0; j < k; j++)
            wp[j] = w[j] + h * t1[j];
    }
    ss_status st = target(wk->m, c->data, R->beta, c->idx, k, wp, wk->theta,
                          X->prop, wk->scores, &lpp, &lprop,
                          mala ? X->gp : NULL, X->glp, bad);
    if (st != SS_OK)
        return st;
    if (!isfinite(lpp))
        la = -INFINITY;
    else {
        la = lpp - R->lp;
        if (mala)
            la += mala_logq(R->L, k, h, wp, X->gp, w, t1, t2) -
                  mala_logq(R->L, k, h, w, R->g, wp, t1, t2);
    }
    double a = la >= 0 ? 1.0 : exp(la);
    int accept = gsl_rng_uniform(wk->r) < a;
    if (accept) {
        if (flush_to) {
            flush(flush_to, flush_cnt, R->cur, n, *mult);
            *mult = 0;
        }
        double *tmp = R->cur;
        R->cur = X->prop;
        X->prop = tmp;
        memcpy(w, wp, k * sizeof *w);
        if (mala) {
            memcpy(R->g, X->gp, k * sizeof *R->g);
            if (R->gl)
                memcpy(R->gl, X->glp, k * sizeof *R->gl);
        }
        R->lp = lpp;
        R->lcur = lprop;
    }
    *accepted = accept;
    if (t < B) { /* adaptation: the step scale, then the covariance */
        size_t adapt_from = B / 4;
        double *mu = R->mu, *Cm = R->Cm, *Lnew = X->Lnew;
        R->logh += (a - target_acc) / pow((double)t + 1.0, 0.6);
        if (t >= adapt_from) {
            R->wn += 1;
            double wn = R->wn;
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
                if (!tmp)
                    return SS_FAIL(SS_ERR_NOMEM, "out of memory");
                if (tr > 0 && chol(Lnew, k, tmp)) /* else keep L */
                    memcpy(R->L, tmp, k * k * sizeof *R->L);
                free(tmp);
            }
        }
    }
    return SS_OK;
}

/* Exchange the states of replicas a and b (their proposals stay with their
 * temperatures): log target and gradient at the new temperature. */
static void replica_swap(replica *A, replica *B, size_t k, int mala)
{
    for (size_t j = 0; j < k; j++) {
        double x = A->w[j];
        A->w[j] = B->w[j];
        B->w[j] = x;
        if (mala) {
            x = A->gl[j];
            A->gl[j] = B->gl[j];
            B->gl[j] = x;
            x = A->g[j];
            A->g[j] = B->g[j] + (A->beta - B->beta) * A->gl[j];
            B->g[j] = x + (B->beta - A->beta) * B->gl[j];
        }
    }
    double la = A->lcur, lpa = A->lp;
    A->lp = B->lp + (A->beta - B->beta) * B->lcur;
    B->lp = lpa + (B->beta - A->beta) * la;
    A->lcur = B->lcur;
    B->lcur = la;
    double *cur = A->cur;
    A->cur = B->cur;
    B->cur = cur;
}

static ss_status run_chain(void *p, size_t chain, double *row)
{
    worker *wk = p;
    post_ctx *c = wk->c;
    const size_t k = c->k, n = c->ns, S = c->sp.samples, B = c->sp.burnin;
    const size_t K = c->K;
    const int mala = c->sp.sampler == POST_MALA;
    chain += c->sp.first; /* a shard's chains are the full run's */
    const size_t rung = chain / c->sp.chains, cc = chain % c->sp.chains;
    const double beta = c->betas[rung];
    const double target_acc = mala ? 0.574 : 0.234;
    ss_rng_seed(wk->r, c->sp.seed, SS_STREAM_POSTERIOR,
                c->rungs ? ((uint64_t)(rung + 1) << 32) + cc : cc);
    memcpy(wk->theta, c->m->theta, c->P * sizeof *wk->theta);

    /* scratch: w', g', gl', z, t1, t2, Lnew; per replica w, g, gl, L, Cm,
     * mu; with tempering K + 1 arrays of n terms (else the worker's) */
    size_t per = 3 * k + 3 * k * k;
    double *buf = calloc(6 * k + k * k + K * per, sizeof *buf);
    replica *rep = calloc(K, sizeof *rep);
    double *ells = K > 1 ? malloc((K + 1) * (c->n ? c->n : 1) *
                                  sizeof *ells)
                         : NULL;
    size_t *sw_try = calloc(K, sizeof *sw_try), *sw_acc = calloc(K,
                                                           sizeof *sw_acc);
    if (!buf || !rep || (K > 1 && !ells) || !sw_try || !sw_acc) {
        free(buf);
        free(rep);
        free(ells);
        free(sw_try);
        free(sw_acc);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    step_scratch X;
    X.wp = buf;
    X.gp = X.wp + k;
    X.glp = X.gp + k;
    X.z = X.glp + k;
    X.t1 = X.z + k;
    X.t2 = X.t1 + k;
    X.Lnew = X.t2 + k;
    X.prop = K > 1 ? ells + K * c->n : wk->ell[1];
    double *q = X.Lnew + k * k;
    for (size_t r = 0; r < K; r++, q += per) {
        replica *R = &rep[r];
        R->beta = ladder_beta(beta, c->beta_min, r, K);
        R->w = q;
        R->g = q + k;
        R->gl = K > 1 ? q + 2 * k : NULL;
        R->L = q + 3 * k;
        R->Cm = R->L + k * k;
        R->mu = R->Cm + k * k;
        R->cur = K > 1 ? ells + r * c->n : wk->ell[0];
    }
    ss_status st = SS_OK;
    for (size_t r = 0; st == SS_OK && r < K; r++)
        st = replica_start(wk, &rep[r], mala);
    size_t acc = 0, nbad = 0;
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
        int accept = 0;
        for (size_t r = 0; st == SS_OK && r < K; r++) {
            int a = 0, bad = 0;
            int rec = r == 0 && t >= B;
            st = replica_step(wk, &rep[r], &X, t, B, target_acc, mala, &a,
                              &bad, rec ? accs + batch * n * SUMW : NULL,
                              &cnts[batch], &mult);
            if (r == 0)
                accept = a;
            nbad += (size_t)(bad && t >= B);
        }
        if (st != SS_OK)
            break;
        /* swaps of adjacent pairs (r, r + 1) with r = t mod 2, 2 + t mod
         * 2, ...: even pairs on even steps, odd pairs on odd steps */
        for (size_t r = t % 2; K > 1 && r + 1 < K; r += 2) {
            replica *A = &rep[r], *Bq = &rep[r + 1];
            double la = (A->beta - Bq->beta) * (Bq->lcur - A->lcur);
            int sw = gsl_rng_uniform(wk->r) < (la >= 0 ? 1.0 : exp(la));
            if (t >= B) {
                sw_try[r]++;
                sw_acc[r] += (size_t)sw;
            }
            if (!sw)
                continue;
            if (r == 0 && t >= B) {
                flush(accs + batch * n * SUMW, &cnts[batch], A->cur, n, mult);
                mult = 0;
            }
            replica_swap(A, Bq, k, mala);
        }
        if (t < B)
            continue;
        size_t s = t - B;
        acc += (size_t)accept;
        size_t nb = s * POST_BATCHES / S;
        if (nb != batch) {
            flush(accs + batch * n * SUMW, &cnts[batch], rep[0].cur, n, mult);
            mult = 0;
            batch = nb;
        }
        mult += 1;
        double *d = row + ROW_DRAWS + s * (k + 1);
        memcpy(d, rep[0].w, k * sizeof *d);
        d[k] = rep[0].lcur;
    }
    if (st == SS_OK)
        flush(accs + batch * n * SUMW, &cnts[batch], rep[0].cur, n, mult);
    row[0] = (double)acc / (double)S;
    row[1] = exp(rep[0].logh);
    double *ex = row + row_len(k, S, n);
    ex[0] = (double)nbad / (double)S;
    for (size_t r = 0; r + 1 < K; r++)
        ex[1 + r] = sw_try[r] ? (double)sw_acc[r] / (double)sw_try[r] : NAN;
    if (K == 1) { /* the worker's arrays, wherever the steps left them */
        wk->ell[0] = rep[0].cur;
        wk->ell[1] = X.prop;
    }
    free(buf);
    free(rep);
    free(ells);
    free(sw_try);
    free(sw_acc);
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

/* ---- the draws in a plane ------------------------------------------------------ */

/* theta of draw t (the fixed parameters from the model) */
static void draw_theta(const post_result *r, size_t t, double *theta)
{
    memcpy(theta, r->m->theta, r->m->P * sizeof *theta);
    for (size_t j = 0; j < r->k; j++)
        theta[r->idx[j]] = r->draws[t * (r->k + 1) + j];
}

/* The point of the plane at (x, y): base with the two axes set. */
static ss_status plane_point(const model *m, const double *base,
                             const model_axis *ax, const model_axis *ay,
                             double x, double y, double *tmp, double *theta)
{
    ss_status st = model_axis_apply(m, base, ax, x, tmp);
    if (st == SS_OK)
        st = model_axis_apply(m, tmp, ay, y, theta);
    return st;
}

/* Which singular set crosses the cell at (x, y) of half-sizes hx, hy (as
 * `map` marks them): the distance at the centre no more than it changes
 * over half a cell, the nearest such set; -1: none. */
static int cell_set(const model *m, const double *base, const model_axis *ax,
                    const model_axis *ay, double x, double y, double hx,
                    double hy, size_t ns, double *d, double *tmp,
                    double *theta)
{
    double *d0 = d;
    if (plane_point(m, base, ax, ay, x, y, tmp, theta) != SS_OK) {
        ss_clear_error();
        return -1;
    }
    size_t got = model_singular_distances(m, theta, d0, ns);
    double ch[2][64] = {{0}};
    const double off[4][2] = {{hx, 0}, {-hx, 0}, {0, hy}, {0, -hy}};
    for (int k = 0; k < 4; k++) {
        double dn[64];
        if (plane_point(m, base, ax, ay, x + off[k][0], y + off[k][1], tmp,
                        theta) != SS_OK) {
            ss_clear_error();
            continue;
        }
        size_t g = model_singular_distances(m, theta, dn, ns);
        for (size_t q = 0; q < g && q < got; q++)
            ch[k / 2][q] = fmax(ch[k / 2][q], fabs(dn[q] - d0[q]));
    }
    int best = -1;
    for (size_t q = 0; q < got; q++) {
        double reach = sqrt(ch[0][q] * ch[0][q] + ch[1][q] * ch[1][q]);
        if ((d0[q] == 0 || d0[q] <= reach) && (best < 0 || d0[q] < d0[best]))
            best = (int)q;
    }
    return best;
}

void post_plane_free(post_plane *g)
{
    free(g->z);
    free(g->mark);
    free(g->base);
    memset(g, 0, sizeof *g);
}

ss_status post_plane_grid(const post_result *r, const model_axis *ax,
                          const model_axis *ay, size_t nx, size_t ny,
                          post_plane *g)
{
    memset(g, 0, sizeof *g);
    const model *m = r->m;
    size_t N = r->nchains * r->sp.samples, P = m->P;
    size_t ns = model_nsingular(m);
    if (ns > 64)
        ns = 64;
    double *xv = malloc(N * sizeof *xv), *yv = malloc(N * sizeof *yv);
    double *th = malloc(3 * P * sizeof *th);
    double *dist = malloc((ns ? ns : 1) * sizeof *dist);
    g->z = malloc(nx * ny * sizeof *g->z);
    g->mark = calloc(nx * ny, 1);
    g->base = malloc(P * sizeof *g->base);
    g->nx = nx;
    g->ny = ny;
    ss_status st = SS_OK;
    if (!xv || !yv || !th || !dist || !g->z || !g->mark || !g->base) {
        st = SS_FAIL(SS_ERR_NOMEM, "out of memory");
        goto done;
    }
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    size_t nok = 0;
    for (size_t t = 0; t < N; t++) {
        draw_theta(r, t, th);
        if (model_axis_value(m, th, ax, &xv[t]) != SS_OK ||
            model_axis_value(m, th, ay, &yv[t]) != SS_OK ||
            !isfinite(xv[t]) || !isfinite(yv[t])) {
            ss_clear_error();
            xv[t] = NAN;
            continue;
        }
        nok++;
        x0 = fmin(x0, xv[t]);
        x1 = fmax(x1, xv[t]);
        y0 = fmin(y0, yv[t]);
        y1 = fmax(y1, yv[t]);
    }
    if (nok == 0) {
        st = SS_FAIL(SS_ERR_RANGE, "no draw has finite coordinates");
        goto done;
    }
    double px = x1 > x0 ? 0.02 * (x1 - x0) : 0.5;
    double py = y1 > y0 ? 0.02 * (y1 - y0) : 0.5;
    x0 -= px;
    x1 += px;
    y0 -= py;
    y1 += py;
    double dx = (x1 - x0) / (double)nx, dy = (y1 - y0) / (double)ny;
    double *z = g->z;
    for (size_t i = 0; i < nx * ny; i++)
        z[i] = 0;
    for (size_t t = 0; t < N; t++) {
        if (isnan(xv[t]))
            continue;
        size_t i = (size_t)((xv[t] - x0) / dx);
        size_t j = (size_t)((yv[t] - y0) / dy);
        z[(j < ny ? j : ny - 1) * nx + (i < nx ? i : nx - 1)] += 1;
    }
    for (size_t i = 0; i < nx * ny; i++) /* the share of the draws */
        z[i] = z[i] > 0 ? z[i] / (double)nok : NAN;
    /* the plane: the free parameters at their posterior means */
    double *base = g->base, *tmp = th + P, *pt = th + 2 * P;
    memcpy(base, m->theta, P * sizeof *base);
    for (size_t j = 0; j < r->k; j++)
        base[r->idx[j]] = r->mean[j];
    if (m->type->singular && ns)
        for (size_t j = 0; j < ny; j++)
            for (size_t i = 0; i < nx; i++) {
                int q = cell_set(m, base, ax, ay, x0 + ((double)i + 0.5) * dx,
                                 y0 + ((double)j + 0.5) * dy, 0.5 * dx,
                                 0.5 * dy, ns, dist, tmp, pt);
                if (q >= 0 && q < 31) {
                    g->mark[j * nx + i] = (unsigned char)(q + 1);
                    g->used |= 1u << q;
                }
            }
    g->x0 = x0;
    g->x1 = x1;
    g->y0 = y0;
    g->y1 = y1;
    g->nok = nok;
done:
    free(xv);
    free(yv);
    free(th);
    free(dist);
    if (st != SS_OK)
        post_plane_free(g);
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
    free(r->ladder);
    free(r->swap);
    free(r->nonfinite);
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

/* A warning for the result, after the others (core/status.h) */
#define add_warn(res, ...) \
    ss_text_append((res)->warn, sizeof (res)->warn, "\n", __VA_ARGS__)

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

/* Chains that disagree: for each parameter whose split R-hat fails, the
 * chains whose mean lies more than POST_CHAIN_APART pooled within-chain
 * sd from the median of the chain means, with their means. */
static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void disagree_warn(post_result *r, size_t S)
{
    size_t C = r->nchains, k = r->k;
    if (C < 2)
        return;
    double *m = malloc(2 * C * sizeof *m);
    if (!m)
        return;
    for (size_t j = 0; j < k; j++) {
        if (r->rhat[j] <= POST_RHAT_WARN)
            continue;
        double W = 0;
        for (size_t ch = 0; ch < C; ch++) {
            const double *x = r->draws + ch * S * (k + 1) + j;
            double s = 0, q = 0;
            for (size_t t = 0; t < S; t++)
                s += x[t * (k + 1)];
            s /= (double)S;
            for (size_t t = 0; t < S; t++)
                q += (x[t * (k + 1)] - s) * (x[t * (k + 1)] - s);
            m[ch] = m[C + ch] = s;
            W += q / (double)(S - 1);
        }
        W = sqrt(W / (double)C);
        qsort(m + C, C, sizeof *m, cmp_dbl);
        double med = C % 2 ? m[C + C / 2]
                           : 0.5 * (m[C + C / 2 - 1] + m[C + C / 2]);
        char list[400] = "";
        size_t nl = 0, nf = 0;
        for (size_t ch = 0; ch < C; ch++)
            if (!(fabs(m[ch] - med) <= POST_CHAIN_APART * W)) {
                nf++;
                if (nl + 40 < sizeof list)
                    nl += (size_t)snprintf(list + nl, sizeof list - nl,
                                           "%s%zu (%.4g)", nl ? ", " : "",
                                           ch + 1, m[ch]);
            }
        if (nf)
            add_warn(r, "chains disagree on %s: the mean%s of chain%s %s "
                        "lie%s more than %g within-chain sd (%.3g) from the "
                        "median chain mean %.4g (a chain stuck in one mode "
                        "or not yet mixed: temps= for a multimodal "
                        "posterior, more burnin= or samples=)",
                     r->names[j], nf == 1 ? "" : "s", nf == 1 ? "" : "s",
                     list, nf == 1 ? "s" : "", POST_CHAIN_APART, W, med);
    }
    free(m);
}

/* Everything from the chains' rows (C of them). */
static ss_status summarize(const post_ctx *c, const double *rows, size_t C,
                           post_result *r)
{
    size_t k = c->k, n = c->n, S = c->sp.samples;
    size_t nc = row_total(k, S, n, c->K);
    r->nchains = C;
    double *bl = malloc(C * POST_BATCHES * sizeof *bl);
    r->draws = malloc(C * S * (k + 1) * sizeof *r->draws);
    r->accept = malloc(C * sizeof *r->accept);
    r->scale = malloc(C * sizeof *r->scale);
    r->mean = malloc(k * sizeof *r->mean);
    r->sd = malloc(k * sizeof *r->sd);
    r->rhat = malloc(k * sizeof *r->rhat);
    r->ess = malloc(k * sizeof *r->ess);
    size_t K = c->K;
    r->temps = K;
    r->ladder = malloc(K * sizeof *r->ladder);
    r->swap = malloc((C * (K - 1) + 1) * sizeof *r->swap);
    r->nonfinite = malloc(C * sizeof *r->nonfinite);
    size_t J = C * POST_BATCHES;
    double *tot = malloc(n * SUMW * sizeof *tot);
    double *bw = malloc(J * sizeof *bw), *bv = malloc(J * sizeof *bv);
    double *be = malloc(J * sizeof *be);
    ss_status st = SS_OK;
    if (!r->draws || !r->accept || !r->scale || !r->mean || !r->sd ||
        !r->rhat || !r->ess || !tot || !bw || !bv || !be || !bl ||
        !r->ladder || !r->swap || !r->nonfinite) {
        st = SS_FAIL(SS_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t ch = 0; ch < C; ch++) {
        const double *row = rows + ch * nc;
        r->accept[ch] = row[0];
        r->scale[ch] = row[1];
        memcpy(r->draws + ch * S * (k + 1), row + ROW_DRAWS,
               S * (k + 1) * sizeof *r->draws);
        const double *ex = row + row_len(k, S, n);
        r->nonfinite[ch] = ex[0];
        for (size_t q = 0; q + 1 < K; q++)
            r->swap[ch * (K - 1) + q] = ex[1 + q];
    }
    for (size_t q = 0; q < K; q++)
        r->ladder[q] = ladder_beta(c->sp.beta, c->beta_min, q, K);
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
        if (r->accept[ch] < POST_ACC_LOW)
            add_warn(r, "chain %zu accepted %.2g%% of its proposals (stuck)",
                     ch + 1, 100 * r->accept[ch]);
        else if (r->accept[ch] > POST_ACC_HIGH)
            add_warn(r, "chain %zu accepted %.3g%% of its proposals after "
                        "adaptation (> %g%%: steps too small to explore; "
                        "more burnin=)",
                     ch + 1, 100 * r->accept[ch], 100 * POST_ACC_HIGH);
    disagree_warn(r, S);
    {
        char list[256] = "";
        size_t nl = 0, nbad = 0;
        double worst = 0;
        for (size_t ch = 0; ch < C; ch++)
            if (r->nonfinite[ch] > 0) {
                nbad++;
                if (r->nonfinite[ch] > worst)
                    worst = r->nonfinite[ch];
                if (nl + 16 < sizeof list)
                    nl += (size_t)snprintf(list + nl, sizeof list - nl,
                                           "%s%zu", nl ? ", " : "", ch + 1);
            }
        if (nbad)
            add_warn(r, "non-finite log-likelihood met inside the prior's "
                        "support by chain%s %s (up to %.3g%% of the "
                        "proposals after burn-in; treated as zero mass: "
                        "the likelihood overflows or the family fails "
                        "there)",
                     nbad == 1 ? "" : "s", list, 100 * worst);
    }
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
                   .ncols = row_total(it->c.k, it->c.sp.samples, it->c.ns,
                                      it->c.K),
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
    it->nrep = rungs || sp->count == 0 ? nb * sp->chains : sp->count;
    it->c = (post_ctx){.m = m, .data = data, .sp = *sp, .P = m->P,
                       .n = model_nterms(m, data), .betas = b, .nb = nb,
                       .rungs = rungs};
    it->c.ns = rungs ? 0 : it->c.n;
    it->c.K = rungs || sp->temps < 1 ? 1 : sp->temps;
    it->c.beta_min = sp->beta_min > 0 ? sp->beta_min
                                      : POST_BETAMIN_DEFAULT * sp->beta;
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
    size_t nc = row_total(k, S, 0, 1);
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
    size_t nc = row_total(it->c.k, it->c.sp.samples, 0, 1);
    for (size_t j = 0; st == SS_OK && j < it->c.nb; j++)
        st = summarize_rung(&it->c, rows + j * it->c.sp.chains * nc,
                            it->betas[j], &out[j]);
    free(rows);
    free(done);
    return st;
}

/* The result's description of the run (filled by summarize). */
static ss_status result_new(const model *m, const post_ctx *c,
                            post_result **out)
{
    post_result *r = calloc(1, sizeof *r);
    *out = r;
    if (!r)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    r->sp = c->sp;
    r->sp.first = 0; /* the result is of its chains, numbered from 1 */
    r->sp.count = 0;
    r->k = c->k;
    r->n = c->n;
    r->iid = m->type->data_kind != MODEL_DATA_SERIES;
    snprintf(r->kind, sizeof r->kind, "%s", m->type->name);
    r->m = model_clone(m);
    r->idx = malloc(r->k * sizeof *r->idx);
    r->names = malloc(r->k * sizeof *r->names);
    if (!r->m || !r->idx || !r->names)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    for (size_t j = 0; j < r->k; j++) {
        r->idx[j] = c->idx[j];
        model_param_name(m, r->idx[j], r->names[j], MODEL_NAME_MAX);
    }
    return SS_OK;
}

static ss_status check_slice(const post_spec *sp)
{
    if (sp->count > 0 && (sp->first >= sp->chains ||
                          sp->count > sp->chains - sp->first))
        return SS_FAIL(SS_ERR_RANGE, "posterior: chains %zu..%zu lie "
                                     "outside 1..%zu",
                       sp->first + 1, sp->first + sp->count, sp->chains);
    return SS_OK;
}

ss_status post_iter_alloc(const model *m, const gsl_matrix *data,
                          const post_spec *sp, post_iter **out)
{
    *out = NULL;
    ss_status st = post_check(m, data, sp);
    if (st == SS_OK)
        st = check_slice(sp);
    if (st != SS_OK)
        return st;
    post_iter *it = NULL;
    st = iter_new(m, data, sp, &sp->beta, 1, 0, &it);
    if (st != SS_OK)
        return st;
    st = result_new(m, &it->c, &it->res);
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
    size_t C = 0;
    ss_status st = rep_take_prefix(it->job, interrupted, "chain", &rows, &C);
    it->finished = 1;
    if (st == SS_OK)
        st = summarize(&it->c, rows, C, it->res);
    free(rows);
    if (st != SS_OK)
        return st;
    it->res->interrupted = C < it->c.sp.chains;
    *out = it->res;
    it->res = NULL;
    return SS_OK;
}

ss_status post_iter_take_rows(post_iter *it, int interrupted, double **rows,
                              size_t *C, size_t *ncols)
{
    *ncols = row_total(it->c.k, it->c.sp.samples, it->c.ns, it->c.K);
    ss_status st = rep_take_prefix(it->job, interrupted, "chain", rows, C);
    it->finished = 1;
    return st;
}

size_t post_row_len(const model *m, const gsl_matrix *data,
                    const post_spec *sp)
{
    size_t k = 0;
    for (size_t i = 0; i < m->P; i++)
        k += m->is_free[i] != 0;
    return row_total(k, sp->samples, model_nterms(m, data),
                     sp->temps < 1 ? 1 : sp->temps);
}

ss_status post_result_from_rows(const model *m, const gsl_matrix *data,
                                const post_spec *sp, const double *rows,
                                post_result **out)
{
    *out = NULL;
    post_spec whole = *sp;
    whole.first = whole.count = 0;
    ss_status st = post_check(m, data, &whole);
    post_iter *it = NULL;
    if (st == SS_OK)
        st = iter_new(m, data, &whole, &whole.beta, 1, 0, &it);
    if (st == SS_OK)
        st = result_new(m, &it->c, &it->res);
    if (st == SS_OK)
        st = summarize(&it->c, rows, whole.chains, it->res);
    if (st == SS_OK) {
        *out = it->res;
        it->res = NULL;
    }
    post_iter_free(it);
    return st;
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

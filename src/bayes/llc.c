/* The local learning coefficient by SGLD localised at w* (bayes/llc.h). */
#include "bayes/llc.h"

#include "bayes/rlct.h"
#include "core/interrupt.h"
#include "core/replicate.h"
#include "core/rng.h"

#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A chain's row: [0] reflections, [1] refused steps, [2] the smallest loss
 * n beta (L_n - L_n(w*)) recorded, then LLC_BATCHES batch means, then
 * ntrace block means of the loss. */
#define ROW_BATCH 3

typedef struct {
    const model *m;
    const gsl_matrix *data;  /* the data (the caller's or it->own) */
    llc_spec sp;
    size_t k, n, P, cols;
    size_t *idx;
    double *wstar;           /* P: the model's theta with w* in the free */
    double Lstar, nbeta;
    size_t ntrace, every;
    int iid;                 /* rows are independent (minibatches) */
} llc_ctx;

static size_t row_len(const llc_ctx *c)
{
    return ROW_BATCH + LLC_BATCHES + c->ntrace;
}

typedef struct {
    const llc_ctx *c;
    model *m;
    double *theta, *ell, *w, *wp, *g, *gp;
    gsl_matrix *scores;      /* n x P, or B x P with a minibatch */
    gsl_matrix *bdata;       /* B x cols, minibatch rows */
    double *bell;            /* B */
    size_t *perm;            /* n */
    gsl_rng *r;
} worker;

static void worker_free(void *p)
{
    worker *w = p;
    if (!w)
        return;
    model_free(w->m);
    free(w->theta);
    free(w->ell);
    free(w->w);
    free(w->bell);
    free(w->perm);
    if (w->scores)
        gsl_matrix_free(w->scores);
    if (w->bdata)
        gsl_matrix_free(w->bdata);
    ss_rng_free(w->r);
    free(w);
}

static void *worker_alloc(void *ctx)
{
    const llc_ctx *c = ctx;
    worker *w = calloc(1, sizeof *w);
    if (!w) {
        SS_FAIL(SS_ERR_NOMEM, "out of memory");
        return NULL;
    }
    size_t B = c->sp.batch;
    int mini = B < c->n;
    w->c = c;
    w->m = model_clone(c->m);
    w->theta = malloc(c->P * sizeof *w->theta);
    w->ell = malloc(c->n * sizeof *w->ell);
    w->w = malloc(4 * c->k * sizeof *w->w);
    w->scores = gsl_matrix_alloc(mini ? B : c->n, c->P);
    w->r = ss_rng_alloc();
    if (mini) {
        w->bdata = gsl_matrix_alloc(B, c->cols);
        w->bell = malloc(B * sizeof *w->bell);
        w->perm = malloc(c->n * sizeof *w->perm);
    }
    if (!w->m || !w->theta || !w->ell || !w->w || !w->scores || !w->r ||
        (mini && (!w->bdata || !w->bell || !w->perm))) {
        worker_free(w);
        SS_FAIL(SS_ERR_NOMEM, "out of memory for a chain");
        return NULL;
    }
    w->wp = w->w + c->k;
    w->g = w->wp + c->k;
    w->gp = w->g + c->k;
    return w;
}

/* The full-data log-likelihood at the free values w (theta carries the
 * rest), into *l, and with g != NULL and no minibatch the summed scores
 * over the free parameters. 0: outside the family's domain (check(), the
 * likelihood failing or not finite). */
static ss_status loglik(worker *wk, const double *w, double *l, double *g,
                        int *ok)
{
    const llc_ctx *c = wk->c;
    *ok = 0;
    for (size_t j = 0; j < c->k; j++)
        wk->theta[c->idx[j]] = w[j];
    if (wk->m->type->check && wk->m->type->check(wk->m, wk->theta) != SS_OK) {
        ss_clear_error();
        return SS_OK;
    }
    ss_status st = wk->m->type->loglik_terms(wk->m, wk->theta, c->data,
                                             wk->ell, g ? wk->scores : NULL);
    if (st == SS_ERR_NOMEM || st == SS_ERR_INTERRUPTED)
        return st;
    if (st != SS_OK) {
        ss_clear_error();
        return SS_OK;
    }
    double s = 0;
    for (size_t t = 0; t < c->n; t++)
        s += wk->ell[t];
    if (!isfinite(s))
        return SS_OK;
    if (g)
        for (size_t j = 0; j < c->k; j++) {
            double a = 0;
            for (size_t t = 0; t < c->n; t++)
                a += gsl_matrix_get(wk->scores, t, c->idx[j]);
            if (!isfinite(a))
                return SS_OK;
            g[j] = a;
        }
    *l = s;
    *ok = 1;
    return SS_OK;
}

/* The minibatch gradient: B rows without replacement (a partial
 * Fisher-Yates shuffle of perm), their scores summed and scaled by n / B,
 * so it estimates the full-data sum without bias. */
static ss_status batch_grad(worker *wk, double *g, int *ok)
{
    const llc_ctx *c = wk->c;
    size_t B = c->sp.batch, n = c->n;
    *ok = 0;
    for (size_t i = 0; i < B; i++) {
        size_t j = i + (size_t)gsl_rng_uniform_int(wk->r, (unsigned long)(n - i));
        size_t t = wk->perm[i];
        wk->perm[i] = wk->perm[j];
        wk->perm[j] = t;
        for (size_t q = 0; q < c->cols; q++)
            gsl_matrix_set(wk->bdata, i, q,
                           gsl_matrix_get(c->data, wk->perm[i], q));
    }
    ss_status st = wk->m->type->loglik_terms(wk->m, wk->theta, wk->bdata,
                                             wk->bell, wk->scores);
    if (st == SS_ERR_NOMEM || st == SS_ERR_INTERRUPTED)
        return st;
    if (st != SS_OK) {
        ss_clear_error();
        return SS_OK;
    }
    for (size_t j = 0; j < c->k; j++) {
        double a = 0;
        for (size_t t = 0; t < B; t++)
            a += gsl_matrix_get(wk->scores, t, c->idx[j]);
        if (!isfinite(a))
            return SS_OK;
        g[j] = a * (double)n / (double)B;
    }
    *ok = 1;
    return SS_OK;
}

static ss_status run_chain(void *p, size_t chain, double *row)
{
    worker *wk = p;
    const llc_ctx *c = wk->c;
    const size_t k = c->k, S = c->sp.steps, BI = c->sp.burnin;
    const int mini = c->sp.batch < c->n;
    const double eps = c->sp.eps, gam = c->sp.gamma, se = sqrt(eps);
    const double nb = c->nbeta, scale = c->sp.beta; /* nb / n = beta */
    chain += c->sp.first; /* a shard's chains are the full run's */
    ss_rng_seed(wk->r, c->sp.seed, SS_STREAM_LLC, (uint64_t)chain + 1);
    memset(row, 0, row_len(c) * sizeof *row);
    memcpy(wk->theta, c->wstar, c->P * sizeof *wk->theta);
    if (mini)
        for (size_t i = 0; i < c->n; i++)
            wk->perm[i] = i;
    double *w = wk->w, *wp = wk->wp, *g = wk->g, *gp = wk->gp;
    for (size_t j = 0; j < k; j++)
        w[j] = c->wstar[c->idx[j]];
    double l = 0, reflected = 0, refused = 0, lmin = INFINITY;
    int ok;
    ss_status st = loglik(wk, w, &l, mini ? NULL : g, &ok);
    if (st == SS_OK && !ok)
        st = SS_FAIL(SS_ERR_RANGE, "the likelihood is not finite at w*");
    double *bsum = row + ROW_BATCH, *tr = bsum + LLC_BATCHES;
    for (size_t t = 0; st == SS_OK && t < BI + S; t++) {
        if ((t & 63) == 0 && ss_interrupted()) {
            st = SS_ERR_INTERRUPTED;
            break;
        }
        if (t >= BI) { /* record the state's loss */
            size_t s = t - BI;
            double loss = nb * (-l / (double)c->n - c->Lstar);
            bsum[s * LLC_BATCHES / S] += loss;
            tr[s / c->every] += loss;
            if (loss < lmin)
                lmin = loss;
        }
        if (mini) {
            for (size_t j = 0; j < k; j++)
                wk->theta[c->idx[j]] = w[j];
            st = batch_grad(wk, g, &ok);
            if (st != SS_OK)
                break;
            if (!ok) { /* cannot happen where the full data is finite */
                refused += 1;
                continue;
            }
        }
        int out = 0;
        for (size_t j = 0; j < k; j++) {
            size_t i = c->idx[j];
            double x = w[j] + 0.5 * eps * (scale * g[j] -
                                           gam * (w[j] - c->wstar[i])) +
                       se * gsl_ran_gaussian_ziggurat(wk->r, 1.0);
            double lo = model_param_lo(c->m, i), hi = model_param_hi(c->m, i);
            if (x < lo) {
                x = 2 * lo - x;
                reflected += 1;
            } else if (x > hi) {
                x = 2 * hi - x;
                reflected += 1;
            }
            if (!(x >= lo && x <= hi))
                out = 1;
            wp[j] = x;
        }
        double lp = 0;
        ok = 0;
        if (!out) {
            st = loglik(wk, wp, &lp, mini ? NULL : gp, &ok);
            if (st != SS_OK)
                break;
        }
        if (!ok) { /* stay: theta back at w */
            refused += 1;
            for (size_t j = 0; j < k; j++)
                wk->theta[c->idx[j]] = w[j];
            continue;
        }
        memcpy(w, wp, k * sizeof *w);
        if (!mini) {
            double *tmp = g;
            g = gp;
            gp = tmp;
        }
        l = lp;
    }
    row[0] = reflected;
    row[1] = refused;
    row[2] = lmin;
    if (st == SS_OK) {
        for (size_t b = 0; b < LLC_BATCHES; b++) {
            size_t lo = (b * S + LLC_BATCHES - 1) / LLC_BATCHES;
            size_t hi = ((b + 1) * S + LLC_BATCHES - 1) / LLC_BATCHES;
            bsum[b] /= (double)(hi - lo);
        }
        for (size_t i = 0; i < c->ntrace; i++) {
            size_t lo = i * c->every, hi = lo + c->every;
            if (hi > S)
                hi = S;
            tr[i] /= (double)(hi - lo);
        }
    }
    if (st != SS_OK && st != SS_ERR_INTERRUPTED) {
        char msg[sizeof ss_last_error()->msg];
        snprintf(msg, sizeof msg, "%s", ss_last_error()->msg);
        return SS_FAIL(st, "llc chain %zu (seed %llu): %s", chain + 1,
                       (unsigned long long)c->sp.seed, msg);
    }
    return st;
}

/* at_min: the minimiser of the localised loss
 *     f(w) = n beta L_n(w) + (gamma / 2) |w - w*|^2
 * by gradient descent from w* with a backtracking (Armijo) step, inside
 * the box and the family's domain. w* (c->wstar) becomes that point and
 * c->Lstar its L_n: the chains are then centred, and lambda-hat measured,
 * at the data's own local minimum (as the literature does with a trained
 * w*), docs/theory.md 11. */
static double f_of(double b, double gam, double l, const double *x,
                   const double *x0, size_t k)
{
    double q = 0;
    for (size_t j = 0; j < k; j++)
        q += (x[j] - x0[j]) * (x[j] - x0[j]);
    return -b * l + 0.5 * gam * q;
}

static ss_status descend(llc_ctx *c)
{
    worker *wk = worker_alloc(c);
    if (!wk)
        return ss_last_error()->code ? ss_last_error()->code : SS_ERR_NOMEM;
    const size_t k = c->k;
    double *x = malloc(5 * k * sizeof *x);
    if (!x) {
        worker_free(wk);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    double *x0 = x + k, *g = x0 + k, *xt = g + k, *gt = xt + k;
    memcpy(wk->theta, c->wstar, c->P * sizeof *wk->theta);
    for (size_t j = 0; j < k; j++)
        x[j] = x0[j] = c->wstar[c->idx[j]];
    const double nb = c->nbeta, b = c->sp.beta, gam = c->sp.gamma;
    double l = 0, step = 1.0 / nb;
    int ok;
    ss_status st = loglik(wk, x, &l, g, &ok);
    if (st == SS_OK && !ok)
        st = SS_FAIL(SS_ERR_RANGE, "the likelihood is not finite at w*");
    double f = st == SS_OK ? f_of(b, gam, l, x, x0, k) : 0;
    for (int it = 0; st == SS_OK && it < 5000; it++) {
        double gn = 0; /* gradient of f: -b g + gam (x - x0) */
        for (size_t j = 0; j < k; j++) {
            g[j] = -b * g[j] + gam * (x[j] - x0[j]);
            gn += g[j] * g[j];
        }
        if (gn < 1e-24)
            break;
        int moved = 0;
        for (int h = 0; h < 60; h++, step *= 0.5) {
            int out = 0;
            for (size_t j = 0; j < k; j++) {
                size_t i = c->idx[j];
                xt[j] = x[j] - step * g[j];
                if (!(xt[j] >= model_param_lo(c->m, i) &&
                      xt[j] <= model_param_hi(c->m, i)))
                    out = 1;
            }
            double lt = 0;
            ok = 0;
            if (!out) {
                st = loglik(wk, xt, &lt, gt, &ok);
                if (st != SS_OK)
                    break;
            }
            double ft = ok ? f_of(b, gam, lt, xt, x0, k) : INFINITY;
            if (ok && ft <= f - 0.5 * step * gn) {
                memcpy(x, xt, k * sizeof *x);
                memcpy(g, gt, k * sizeof *g);
                l = lt;
                moved = f - ft > 1e-15 * fabs(f);
                f = ft;
                step *= 2;
                break;
            }
        }
        if (!moved)
            break;
    }
    if (st == SS_OK) {
        for (size_t j = 0; j < k; j++)
            c->wstar[c->idx[j]] = x[j];
        c->Lstar = -l / (double)c->n;
    }
    free(x);
    worker_free(wk);
    return st;
}

/* ---- the summary ----------------------------------------------------------- */

/* A warning for the result, after the others (core/status.h) */
#define add_warn(res, ...) \
    ss_text_append((res)->warn, sizeof (res)->warn, "; ", __VA_ARGS__)

/* mean and batch-means error of n values */
static void mean_se(const double *x, size_t n, size_t stride, double *m,
                    double *se)
{
    double a = 0, v = 0;
    for (size_t i = 0; i < n; i++)
        a += x[i * stride];
    a /= (double)n;
    for (size_t i = 0; i < n; i++)
        v += (x[i * stride] - a) * (x[i * stride] - a);
    *m = a;
    *se = n > 1 ? sqrt(v / (double)(n - 1) / (double)n) : NAN;
}

static ss_status summarize(const llc_ctx *c, const double *rows, size_t C,
                           llc_result *r)
{
    size_t B = LLC_BATCHES, L = row_len(c), S = c->sp.steps;
    r->nchains = C;
    r->cmean = malloc(C * sizeof *r->cmean);
    r->cse = malloc(C * sizeof *r->cse);
    r->bmean = malloc(C * B * sizeof *r->bmean);
    r->trace = malloc(C * c->ntrace * sizeof *r->trace);
    double *h1 = malloc(C * B / 2 * sizeof *h1),
           *h2 = malloc(C * (B - B / 2) * sizeof *h2);
    if (!r->cmean || !r->cse || !r->bmean || !r->trace || !h1 || !h2) {
        free(h1);
        free(h2);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    r->ntrace = c->ntrace;
    r->trace_every = c->every;
    r->reflected = r->refused = 0;
    r->Lmin = INFINITY;
    double tot = 0, sumsq = 0;
    for (size_t ch = 0; ch < C; ch++) {
        const double *row = rows + ch * L;
        r->reflected += row[0];
        r->refused += row[1];
        if (row[2] < r->Lmin)
            r->Lmin = row[2];
        const double *bm = row + ROW_BATCH;
        double cs = 0;
        for (size_t b = 0; b < B; b++) {
            size_t lo = (b * S + B - 1) / B, hi = ((b + 1) * S + B - 1) / B;
            r->bmean[ch * B + b] = bm[b];
            cs += bm[b] * (double)(hi - lo);
            if (b < B / 2)
                h1[ch * (B / 2) + b] = bm[b];
            else
                h2[ch * (B - B / 2) + b - B / 2] = bm[b];
        }
        tot += cs;
        r->cmean[ch] = cs / (double)S;
        double m;
        mean_se(bm, B, 1, &m, &r->cse[ch]);
        sumsq += r->cse[ch] * r->cse[ch];
        memcpy(r->trace + ch * c->ntrace, bm + B, c->ntrace * sizeof *r->trace);
    }
    r->lambda = tot / ((double)S * (double)C);
    double m;
    mean_se(r->bmean, C * B, 1, &m, &r->se);
    double s1, s2;
    mean_se(h1, C * (B / 2), 1, &r->first, &s1);
    mean_se(h2, C * (B - B / 2), 1, &r->second, &s2);
    r->drift_z = (r->second - r->first) / sqrt(s1 * s1 + s2 * s2);
    free(h1);
    free(h2);
    r->spread = NAN;
    if (C >= 2) {
        double cm, cse;
        mean_se(r->cmean, C, 1, &cm, &cse);
        double sd = cse * sqrt((double)C);
        r->spread = sd / sqrt(sumsq / (double)C);
    }
    r->warn[0] = 0;
    if (C >= 2 && r->spread > LLC_WARN_SPREAD)
        add_warn(r,
                 "the chains disagree: their means spread %.3g times what "
                 "their own batch means allow (warned above %g); more "
                 "steps=, a larger eps= or a larger gamma=",
                 r->spread, LLC_WARN_SPREAD);
    if (fabs(r->drift_z) > LLC_WARN_DRIFT)
        add_warn(r,
                 "the loss is not stationary: the second half of the "
                 "recorded steps averages %.4g against %.4g in the first "
                 "(z = %.2f, warned above %g); more burnin= or steps=",
                 r->second, r->first, r->drift_z, LLC_WARN_DRIFT);
    double all = (double)C * (double)(S + c->sp.burnin);
    if (r->refused > LLC_WARN_REFUSED * all)
        add_warn(r,
                 "%.0f of %.0f steps (%.2g%%) were refused (outside the "
                 "parameter domain or a non-finite likelihood): a smaller "
                 "eps=",
                 r->refused, all, 100 * r->refused / all);
    if (!(r->lambda > 0))
        add_warn(r,
                 "lambda-hat %.4g is not positive: the chains found a loss "
                 "below L_n(w*) (down to %.4g), so w* is far from a local "
                 "minimum of L_n for this data, or gamma= is too small",
                 r->lambda, r->Lmin);
    return SS_OK;
}

/* ---- checks and the iteration ------------------------------------------ */

struct llc_iter {
    llc_ctx c;
    llc_result *res;
    gsl_matrix *own;          /* drawn data */
    rep_job *job;
    size_t ndone, nrep;       /* nrep: the chains of this run (a shard's) */
    int finished;
};

void llc_iter_free(llc_iter *it)
{
    if (!it)
        return;
    if (it->job && !it->finished)
        rep_abandon(it->job);
    llc_result_free(it->res);
    if (it->own)
        gsl_matrix_free(it->own);
    free(it->c.idx);
    free(it->c.wstar);
    free(it);
}

static int same_layout(const model *m, const model *t)
{
    if (t->type != m->type || t->P != m->P)
        return 0;
    for (size_t o = 0; o < m->type->nopts; o++) {
        if (m->opt[o] != t->opt[o])
            return 0;
        const char *a = m->opt_choice ? m->opt_choice[o] : NULL;
        const char *b = t->opt_choice ? t->opt_choice[o] : NULL;
        if ((a || b) && (!a || !b || strcmp(a, b) != 0))
            return 0;
    }
    return 1;
}

/* w* and whether the model realises the truth there */
static ss_status check_truth(llc_ctx *c, const model *m, const model *t)
{
    if (!same_layout(m, t))
        return SS_FAIL(SS_ERR_USAGE,
                       "rlct llc: the truth (%s, %zu parameters) must "
                       "be the model's family with the same options (%s, "
                       "%zu parameters): w* is the model's point at the "
                       "truth's values",
                       t->type->name, t->P, m->type->name, m->P);
    c->wstar = malloc(m->P * sizeof *c->wstar);
    if (!c->wstar)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    memcpy(c->wstar, m->theta, m->P * sizeof *c->wstar);
    for (size_t j = 0; j < c->k; j++) {
        size_t i = c->idx[j];
        double x = t->theta[i];
        if (!(x >= model_param_lo(m, i) && x <= model_param_hi(m, i)))
            return SS_FAIL(SS_ERR_RANGE,
                           "rlct llc: the truth's %s = %g is outside "
                           "the model's range [%g, %g] of it",
                           MODEL_PNAME(m, i), x, model_param_lo(m, i),
                           model_param_hi(m, i));
        c->wstar[i] = x;
    }
    size_t bad = m->P;
    for (size_t i = 0; i < m->P; i++)
        if (c->wstar[i] != t->theta[i]) {
            bad = i;
            break;
        }
    if (bad < m->P) {
        /* a fixed parameter differs: the same distribution still? */
        double K = NAN;
        ss_status st = rlct_k(m, t, c->wstar, &K, NULL);
        if (st != SS_OK)
            ss_clear_error();
        if (!(K <= 1e-10)) {
            char why[96] = "";
            if (isfinite(K))
                snprintf(why, sizeof why, "; K = %.3g there", K);
            return SS_FAIL(SS_ERR_RANGE,
                           "rlct llc: the model does not realise the "
                           "truth at the truth's values with its fixed "
                           "parameters held (%s = %g fixed, the truth has "
                           "%g%s); the LLC needs L_n to be minimal at w*",
                           MODEL_PNAME(m, bad), c->wstar[bad],
                           t->theta[bad], why);
        }
    }
    if (m->type->check && m->type->check(m, c->wstar) != SS_OK) {
        char msg[sizeof ss_last_error()->msg];
        snprintf(msg, sizeof msg, "%s", ss_last_error()->msg);
        return SS_FAIL(SS_ERR_RANGE, "rlct llc: w* is not a valid "
                                     "point of the model: %s",
                       msg);
    }
    return SS_OK;
}

static ss_status check_spec(const llc_spec *sp)
{
    if (!(sp->eps > 0) || !isfinite(sp->eps))
        return SS_FAIL(SS_ERR_RANGE, "rlct llc: eps=%g must be a "
                                     "positive step",
                       sp->eps);
    if (!(sp->gamma >= 0) || !isfinite(sp->gamma))
        return SS_FAIL(SS_ERR_RANGE, "rlct llc: gamma=%g must be >= 0 "
                                     "(the localisation's strength)",
                       sp->gamma);
    if (!(sp->beta >= 0) || !isfinite(sp->beta))
        return SS_FAIL(SS_ERR_RANGE, "rlct llc: beta=%g must be > 0",
                       sp->beta);
    if (sp->steps < LLC_STEPS_MIN || sp->steps > LLC_STEPS_MAX)
        return SS_FAIL(SS_ERR_RANGE, "rlct llc: steps=%zu is outside "
                                     "%d..%d (the batch means need %d)",
                       sp->steps, LLC_STEPS_MIN, LLC_STEPS_MAX, LLC_STEPS_MIN);
    if (sp->burnin > LLC_BURNIN_MAX)
        return SS_FAIL(SS_ERR_RANGE, "rlct llc: burnin=%zu is more "
                                     "than %d",
                       sp->burnin, LLC_BURNIN_MAX);
    if (sp->chains < 1 || sp->chains > LLC_CHAINS_MAX)
        return SS_FAIL(SS_ERR_RANGE, "rlct llc: chains=%zu is outside "
                                     "1..%d",
                       sp->chains, LLC_CHAINS_MAX);
    return SS_OK;
}

/* Everything but the job: the checks, the data, w* and the result's
 * description. */
static ss_status iter_setup(const model *m, const model *t,
                            const llc_spec *sp, llc_iter **out)
{
    *out = NULL;
    ss_status st = check_spec(sp);
    if (st == SS_OK && sp->count &&
        (sp->first >= sp->chains || sp->count > sp->chains - sp->first))
        st = SS_FAIL(SS_ERR_RANGE, "rlct llc: chains %zu..%zu lie outside "
                                   "1..%zu",
                     sp->first + 1, sp->first + sp->count, sp->chains);
    if (st != SS_OK)
        return st;
    llc_iter *it = calloc(1, sizeof *it);
    llc_result *r = calloc(1, sizeof *r);
    if (it)
        it->res = r;
    if (!it || !r) {
        free(r);
        free(it);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    llc_ctx *c = &it->c;
    c->m = m;
    c->sp = *sp;
    c->P = m->P;
    st = model_free_index_list(m, &c->idx, &c->k);
    if (st == SS_OK)
        st = check_truth(c, m, t);
    if (st == SS_OK && sp->data) {
        st = model_check_data_cols(m, sp->data, "rlct llc");
        c->data = sp->data;
    } else if (st == SS_OK) {
        if (sp->n < 2 || sp->n > LLC_N_MAX)
            st = SS_FAIL(SS_ERR_RANGE, "rlct llc: n=%zu is outside "
                                       "2..%d",
                         sp->n, LLC_N_MAX);
        else if (!t->type->sample)
            st = SS_FAIL(SS_ERR_USAGE, "rlct llc: the %s family "
                                       "cannot draw data: give data=",
                         t->type->name);
        else {
            it->own = gsl_matrix_alloc(sp->n, t->type->data_cols(t));
            gsl_rng *g = ss_rng_alloc();
            if (!it->own || !g)
                st = SS_FAIL(SS_ERR_NOMEM, "out of memory for the data");
            else {
                ss_rng_seed(g, sp->seed, SS_STREAM_LLC, 0);
                st = t->type->sample(t, t->theta, g, it->own);
            }
            ss_rng_free(g);
            c->data = it->own;
            r->drawn = 1;
        }
    }
    if (st == SS_OK) {
        c->n = model_nterms(m, c->data);
        c->cols = c->data->size2;
        c->iid = m->type->data_kind == MODEL_DATA_IID ||
                 m->type->data_kind == MODEL_DATA_REGRESSION;
        if (c->n < 2)
            st = SS_FAIL(SS_ERR_USAGE, "rlct llc: the data has %zu "
                                       "likelihood terms (at least 2)",
                         c->n);
    }
    if (st == SS_OK) {
        if (c->sp.batch == 0)
            c->sp.batch = c->n;
        if (c->sp.batch > c->n)
            st = SS_FAIL(SS_ERR_RANGE, "rlct llc: batch=%zu is more "
                                       "than the %zu observations",
                         c->sp.batch, c->n);
        else if (c->sp.batch < c->n && !c->iid)
            st = SS_FAIL(SS_ERR_USAGE,
                         "rlct llc: batch=%zu < n needs independent "
                         "rows, and %s data is %s (its terms form one "
                         "series): leave batch= out",
                         c->sp.batch, m->type->name,
                         model_data_kind_name(m->type->data_kind));
        else if (c->sp.batch < c->n && c->n != c->data->size1)
            st = SS_FAIL(SS_ERR_USAGE, "rlct llc: batch= needs one "
                                       "likelihood term a row");
    }
    if (st == SS_OK) {
        if (c->sp.beta == 0)
            c->sp.beta = 1.0 / log((double)c->n);
        c->nbeta = (double)c->n * c->sp.beta;
        /* L_n(w*) */
        double *ell = malloc(c->n * sizeof *ell);
        if (!ell)
            st = SS_FAIL(SS_ERR_NOMEM, "out of memory");
        else
            st = m->type->loglik_terms(m, c->wstar, c->data, ell, NULL);
        double s = 0;
        for (size_t i = 0; st == SS_OK && i < c->n; i++)
            s += ell[i];
        free(ell);
        if (st == SS_OK && !isfinite(s))
            st = SS_FAIL(SS_ERR_NUMERIC, "rlct llc: the likelihood "
                                         "of the data is not finite at w*");
        c->Lstar = -s / (double)c->n;
        r->Ltruth = c->Lstar;
    }
    if (st == SS_OK && c->sp.at_min) {
        double *w0 = malloc(c->P * sizeof *w0);
        if (!w0)
            st = SS_FAIL(SS_ERR_NOMEM, "out of memory");
        else {
            memcpy(w0, c->wstar, c->P * sizeof *w0);
            st = descend(c);
            double d2 = 0;
            for (size_t i = 0; i < c->P; i++)
                d2 += (c->wstar[i] - w0[i]) * (c->wstar[i] - w0[i]);
            r->moved = sqrt(d2);
            free(w0);
        }
    }
    if (st == SS_OK) {
        size_t S = c->sp.steps;
        c->ntrace = S < LLC_TRACE ? S : LLC_TRACE;
        c->every = (S + c->ntrace - 1) / c->ntrace;
        c->ntrace = (S + c->every - 1) / c->every;
        r->sp = c->sp;
        r->sp.data = NULL;
        r->sp.first = r->sp.count = 0;
        r->k = c->k;
        r->n = c->n;
        r->nbeta = c->nbeta;
        r->Lstar = c->Lstar;
        snprintf(r->kind, sizeof r->kind, "%s", m->type->name);
        rlct_known(m, t, c->k, &r->known, &r->m_known, r->known_what,
                   sizeof r->known_what);
        /* mlp2 (d = 1) with a one-unit teacher and the other unit at
         * w = J = 0: w* is on the elimination branch only, where the
         * local coefficient is 1/2 + 1/2 + 1/2 = 3/2 with m = 2 (the
         * product J w of the dead unit); the global 5/4 lives on the
         * overlap branch, a distance |w_live| away (docs/theory.md 11). */
        if (r->known == 1.25 && m->P == 4 && t->P == 4) {
            int dead = -1;
            for (int u = 0; u < 2; u++)
                if (t->theta[u] == 0 && t->theta[2 + u] == 0)
                    dead = u;
            if (dead >= 0 && t->theta[1 - dead] != 0 &&
                t->theta[3 - dead] != 0) {
                r->known = 1.5;
                r->m_known = 2;
                snprintf(r->known_what, sizeof r->known_what,
                         "mlp2 (d = 1) one-unit teacher, locally at w*; "
                         "globally 5/4");
            }
        }
    }
    if (st != SS_OK) {
        llc_iter_free(it);
        return st;
    }
    it->nrep = sp->count ? sp->count : sp->chains;
    *out = it;
    return SS_OK;
}

ss_status llc_iter_alloc(const model *m, const model *t, const llc_spec *sp,
                         llc_iter **out)
{
    llc_iter *it = NULL;
    ss_status st = iter_setup(m, t, sp, &it);
    if (st != SS_OK)
        return st;
    llc_ctx *c = &it->c;
    rep_spec rs = {.nrep = it->nrep, .ncols = row_len(c),
                   .threads = c->sp.threads, .worker_alloc = worker_alloc,
                   .worker_free = worker_free, .run = run_chain, .ctx = c,
                   .tick_ms = 10};
    st = rep_start(&rs, &it->job);
    if (st != SS_OK) {
        llc_iter_free(it);
        return st;
    }
    *out = it;
    return SS_OK;
}

size_t llc_row_len(const llc_iter *it) { return row_len(&it->c); }

ss_status llc_iter_take_rows(llc_iter *it, int interrupted, double **rows,
                             size_t *n)
{
    ss_status st = rep_take_prefix(it->job, interrupted, "chain", rows, n);
    it->finished = 1;
    return st;
}

ss_status llc_result_from_rows(const model *m, const model *t,
                               const llc_spec *sp, const double *rows,
                               size_t ncols, llc_result **out)
{
    *out = NULL;
    llc_spec whole = *sp;
    whole.first = whole.count = 0;
    llc_iter *it = NULL;
    ss_status st = iter_setup(m, t, &whole, &it);
    if (st == SS_OK && ncols != row_len(&it->c))
        st = SS_FAIL(SS_ERR_USAGE, "rlct llc: the shards' rows hold %zu "
                                   "values, this run's %zu",
                     ncols, row_len(&it->c));
    if (st == SS_OK)
        st = summarize(&it->c, rows, whole.chains, it->res);
    if (st == SS_OK) {
        *out = it->res;
        it->res = NULL;
    }
    llc_iter_free(it);
    return st;
}

ss_status llc_iter_iterate(llc_iter *it)
{
    ss_status st = rep_iterate(it->job);
    while (it->ndone < it->nrep && rep_row_done(it->job, it->ndone))
        it->ndone++;
    return st;
}

int llc_iter_test(const llc_iter *it)
{
    return it->ndone >= it->nrep || rep_test(it->job);
}

ss_status llc_iter_take(llc_iter *it, int interrupted, llc_result **out)
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

static ss_status it_iterate(void *s) { return llc_iter_iterate(s); }
static int it_test(const void *s) { return llc_iter_test(s); }
static void it_progress(const void *s, size_t *done, size_t *total)
{
    const llc_iter *it = s;
    *done = it->ndone;
    *total = it->nrep;
}
static void it_stop(void *s)
{
    llc_iter *it = s;
    rep_stop(it->job);
}

const ss_iter_type llc_iter_type = {"llc", it_iterate, it_test, it_progress,
                                    it_stop};

ss_status llc_run(const model *m, const model *truth, const llc_spec *sp,
                  llc_result **out)
{
    llc_iter *it = NULL;
    ss_status st = llc_iter_alloc(m, truth, sp, &it);
    if (st == SS_OK) {
        ss_iter i = {&llc_iter_type, it};
        st = ss_iter_drive(&i, NULL, NULL);
        if (st == SS_OK)
            st = llc_iter_take(it, 0, out);
    }
    llc_iter_free(it);
    return st;
}

void llc_result_free(llc_result *r)
{
    if (!r)
        return;
    free(r->cmean);
    free(r->cse);
    free(r->bmean);
    free(r->trace);
    free(r);
}

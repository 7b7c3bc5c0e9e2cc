/* The learning coefficient by volume scaling (bayes/rlct.h). */
#include "bayes/rlct.h"

#include "bayes/llc.h"
#include "bayes/prior.h"
#include "bayes/rlct_wbic.h"
#include "core/replicate.h"
#include "core/rng.h"
#include "model/gmm_k.h"
#include "model/quad.h"

#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the K grid ---------------------------------------------------------- */

double rlct_edge(size_t b)
{
    if (b == 0)
        return ldexp(1.0, RLCT_EMIN);
    if (b >= RLCT_NBINS - 1)
        return INFINITY;
    size_t i = b; /* bins 1.. cover [2^e (1 + j/32), ...): upper edge of i */
    long e = RLCT_EMIN + (long)((i - 1) / 32);
    double j = (double)((i - 1) % 32 + 1);
    return ldexp(1.0 + j / 32.0, (int)e);
}

size_t rlct_bin(double K)
{
    if (isnan(K))
        return RLCT_NBINS - 1;
    if (!(K >= ldexp(1.0, RLCT_EMIN)))
        return 0;
    if (K >= ldexp(1.0, RLCT_EMAX))
        return RLCT_NBINS - 1;
    int e;
    double f = frexp(K, &e); /* K = f 2^e, f in [1/2, 1) */
    long j = (long)((2.0 * f - 1.0) * 32.0); /* 0..31 */
    if (j > 31)
        j = 31;
    return (size_t)((e - 1 - RLCT_EMIN) * 32 + j + 1);
}

const char *rlct_route_name(int route)
{
    static const char *const n[] = {
        "chi^2/2 in closed form (equivalent to K)",
        "Gauss-Hermite rule, 60 nodes per truth component",
        "closed form (ar1 + ma1)^2 / (2 (1 - ma1^2))",
        "the family's KL (kl_from)"};
    return route >= 0 && route <= 3 ? n[route] : "?";
}

const char *rlct_method_name(size_t i)
{
    static const char *const n[] = {"volume", "wbic", "llc"};
    return i < sizeof n / sizeof *n ? n[i] : NULL;
}

/* ---- routes -------------------------------------------------------------- */

typedef struct {
    const model *m, *t;
    int route;
    /* chi2: the truth's mean and s */
    double mu, s;
    /* hermite: nodes x, weights w (pi_c w_j), log p_T(x) */
    size_t nn;
    double *hx, *hw, *hl;
} kfun;

/* r - 1 - log r from rm1 = r - 1, without the cancellation near r = 1 */
static double hfun(double rm1)
{
    if (!(rm1 > -1.0))
        return INFINITY;
    double l = log1p(rm1);
    if (fabs(l) < 1e-3)
        return l * l *
               (0.5 + l * (1.0 / 6 + l * (1.0 / 24 + l * (1.0 / 120 +
                                                        l / 720.0))));
    return rm1 - l;
}

static int gmm_single(const model *t, double *mu)
{
    if (t->type != &model_gmm_type || !gmm_is_classic(t))
        return 0;
    const double *w = t->theta;
    if (w[0] == 0.0 || w[1] == w[2]) {
        *mu = w[1];
        return 1;
    }
    if (w[0] == 1.0) {
        *mu = w[2];
        return 1;
    }
    return 0;
}

static int arma_white(const model *t)
{
    if (t->type != &model_arma_type)
        return 0;
    if (t->P == 0)
        return 1;
    if (t->P == 2 && t->opt[1] == 1 && t->opt[2] == 1)
        return t->theta[0] + t->theta[1] == 0.0;
    for (size_t i = 0; i < t->P; i++)
        if (t->theta[i] != 0.0)
            return 0;
    return 1;
}

static void kfun_free(kfun *f)
{
    free(f->hx);
    free(f->hw);
    free(f->hl);
}

static ss_status kfun_init(kfun *f, const model *m, const model *t)
{
    memset(f, 0, sizeof *f);
    f->m = m;
    f->t = t;
    f->route = RLCT_ROUTE_FAMILY;
    if (m->type == &model_gmm_type && t->type == &model_gmm_type &&
        gmm_is_classic(m) && gmm_is_classic(t) && m->opt[0] == t->opt[0]) {
        f->s = m->opt[0];
        if (gmm_single(t, &f->mu)) {
            f->route = RLCT_ROUTE_CHI2;
            return SS_OK;
        }
        quad_rule q;
        ss_status st = quad_hermite_normal(RLCT_GH_NODES, &q);
        if (st != SS_OK)
            return st;
        f->nn = 2 * q.n;
        f->hx = malloc(f->nn * sizeof *f->hx);
        f->hw = malloc(f->nn * sizeof *f->hw);
        f->hl = malloc(f->nn * sizeof *f->hl);
        if (!f->hx || !f->hw || !f->hl) {
            quad_rule_free(&q);
            kfun_free(f);
            return SS_FAIL(SS_ERR_NOMEM, "out of memory");
        }
        const double *w = t->theta, s = f->s;
        double pi[2] = {1 - w[0], w[0]}, mu[2] = {w[1], w[2]};
        double ln = log(s) + 0.5 * log(2 * M_PI);
        for (size_t c = 0; c < 2; c++)
            for (size_t j = 0; j < q.n; j++) {
                size_t i = c * q.n + j;
                double x = mu[c] + s * q.x[j];
                double a = (x - mu[0]) / s, b = (x - mu[1]) / s;
                double la = log(pi[0]) - 0.5 * a * a,
                       lb = log(pi[1]) - 0.5 * b * b;
                double mx = la > lb ? la : lb;
                f->hx[i] = x;
                f->hw[i] = pi[c] * q.w[j];
                f->hl[i] = mx + log(exp(la - mx) + exp(lb - mx)) - ln;
            }
        quad_rule_free(&q);
        f->route = RLCT_ROUTE_HERMITE;
        return SS_OK;
    }
    if (m->type == &model_arma_type && m->P == 2 && m->opt[1] == 1 &&
        m->opt[2] == 1 && arma_white(t) && m->opt[0] == t->opt[0]) {
        f->route = RLCT_ROUTE_CONE;
        return SS_OK;
    }
    if (!m->type->kl_from)
        return SS_FAIL(SS_ERR_USAGE,
                       "rlct: the %s family has no K (no generalisation "
                       "error kl_from), so V(t) cannot be computed",
                       m->type->name);
    return SS_OK;
}

static ss_status keval(const kfun *f, const model *m, const model *t,
                       const double *w, double *K)
{
    switch (f->route) {
    case RLCT_ROUTE_CHI2: {
        double a1 = (w[1] - f->mu) / f->s, a2 = (w[2] - f->mu) / f->s;
        double v = w[0], u = 1 - v;
        double c2 = u * u * expm1(a1 * a1) + 2 * u * v * expm1(a1 * a2) +
                    v * v * expm1(a2 * a2);
        *K = c2 > 0 ? 0.5 * c2 : 0.0;
        return SS_OK;
    }
    case RLCT_ROUTE_HERMITE: {
        double v = w[0], s = f->s, ln = log(s) + 0.5 * log(2 * M_PI);
        double lp1 = log1p(-v), lp2 = log(v), acc = 0;
        for (size_t i = 0; i < f->nn; i++) {
            double x = f->hx[i];
            double a = (x - w[1]) / s, b = (x - w[2]) / s;
            /* r - 1 = sum_k pi_k phi_k / p_T - 1, as expm1's */
            double e1 = lp1 - 0.5 * a * a - ln - f->hl[i];
            double e2 = lp2 - 0.5 * b * b - ln - f->hl[i];
            double rm1;
            if (v == 0)
                rm1 = expm1(e1);
            else if (v == 1)
                rm1 = expm1(e2);
            else
                rm1 = (1 - v) * expm1(e1 - lp1) + v * expm1(e2 - lp2);
            acc += f->hw[i] * hfun(rm1);
        }
        *K = acc;
        return SS_OK;
    }
    case RLCT_ROUTE_CONE: {
        double d = w[0] + w[1], th = w[1];
        if (!(fabs(w[0]) < 1 && fabs(th) < 1))
            return SS_FAIL(SS_ERR_RANGE, "arma: ar1 = %g, ma1 = %g leave the "
                                         "stationary, invertible region",
                           w[0], th);
        *K = d * d / (2 * (1 - th * th));
        return SS_OK;
    }
    default:
        return m->type->kl_from(m, w, t, K);
    }
}

ss_status rlct_k(const model *m, const model *truth, const double *theta,
                 double *K, int *route)
{
    kfun f;
    ss_status st = kfun_init(&f, m, truth);
    if (st == SS_OK)
        st = keval(&f, m, truth, theta, K);
    if (route)
        *route = f.route;
    kfun_free(&f);
    return st;
}

/* ---- what theory knows --------------------------------------------------- */

static void known_value(const model *m, const model *t, size_t k,
                        rlct_result *r)
{
    r->known = NAN;
    r->m_known = 0;
    r->known_what[0] = 0;
    double mu;
    if (m->type == &model_gmm_type && gmm_is_classic(m) &&
        gmm_single(t, &mu) && m->opt[0] == t->opt[0]) {
        const unsigned char *fr = m->is_free;
        if (fr[0] && fr[1] && fr[2]) {
            r->known = 0.75;
            r->m_known = 1;
            snprintf(r->known_what, sizeof r->known_what,
                     "gmm (v, w1, w2) at a single Gaussian");
        } else if (fr[0] && ((!fr[1] && fr[2] && m->theta[1] == mu) ||
                             (!fr[2] && fr[1] && m->theta[2] == mu))) {
            r->known = 0.5;
            r->m_known = 2;
            snprintf(r->known_what, sizeof r->known_what,
                     "Hartigan's mixture");
        }
        if (!isnan(r->known))
            return;
    }
    if (m->type == &model_arma_type && m->P == 2 && m->opt[1] == 1 &&
        m->opt[2] == 1 && k == 2 && arma_white(t)) {
        r->known = 0.5;
        r->m_known = 1;
        snprintf(r->known_what, sizeof r->known_what,
                 "ARMA(1,1) on white noise");
        return;
    }
    if (m->type == &model_mlp2_type && m->P == 4 && k == 4 &&
        t->type == &model_mlp2_type && t->P == 4) {
        int live = 0;
        for (size_t u = 0; u < 2; u++)
            live += t->theta[u] != 0 && t->theta[2 + u] != 0;
        if (live < 2) {
            r->known = live ? 1.25 : 2.0 / 3.0;
            snprintf(r->known_what, sizeof r->known_what,
                     live ? "mlp2 (d = 1) with a one-unit teacher"
                          : "mlp2 (d = 1) at the zero function");
            return;
        }
    }
    /* a regular truth: every singular set at positive distance */
    if (t->type == m->type && t->P == m->P && m->type->singular) {
        size_t ns = model_nsingular(m);
        model_singular *sg = calloc(ns ? ns : 1, sizeof *sg);
        if (!sg)
            return;
        size_t got = m->type->singular(m, t->theta, sg, ns);
        int on = 0;
        for (size_t i = 0; i < got; i++)
            on |= !(sg[i].distance > 1e-8);
        free(sg);
        if (!on) {
            r->known = 0.5 * (double)k;
            r->m_known = 1;
            snprintf(r->known_what, sizeof r->known_what,
                     "a regular point (k/2)");
        }
    }
}

void rlct_known(const model *m, const model *t, size_t k, double *known,
                double *m_known, char *what, size_t len)
{
    rlct_result r;
    known_value(m, t, k, &r);
    *known = r.known;
    *m_known = r.m_known;
    snprintf(what, len, "%s", r.known_what);
}

/* ---- the chunks ---------------------------------------------------------- */

#define NCOLS (RLCT_NBINS + 1)

typedef struct {
    const model *m, *t;
    rlct_spec sp;
    kfun f;
    size_t *idx, k, nchunks;
} rlct_ctx;

typedef struct {
    const rlct_ctx *c;
    model *m, *t;
    gsl_rng *r;
    double *w;
} rlct_worker;

static size_t chunk_size(const rlct_ctx *c, size_t ch)
{
    size_t q = c->sp.draws / c->nchunks, rem = c->sp.draws % c->nchunks;
    return q + (ch < rem);
}

static void worker_free(void *p)
{
    rlct_worker *w = p;
    if (!w)
        return;
    model_free(w->m);
    model_free(w->t);
    ss_rng_free(w->r);
    free(w->w);
    free(w);
}

static void *worker_alloc(void *ctx)
{
    const rlct_ctx *c = ctx;
    rlct_worker *w = calloc(1, sizeof *w);
    if (!w) {
        SS_FAIL(SS_ERR_NOMEM, "out of memory");
        return NULL;
    }
    w->c = c;
    w->m = model_clone(c->m);
    w->t = model_clone(c->t);
    w->r = ss_rng_alloc_fast();
    w->w = malloc(c->m->P * sizeof *w->w);
    if (!w->m || !w->t || !w->r || !w->w) {
        worker_free(w);
        SS_FAIL(SS_ERR_NOMEM, "out of memory");
        return NULL;
    }
    memcpy(w->w, c->m->theta, c->m->P * sizeof *w->w);
    return w;
}

static ss_status run_chunk(void *p, size_t ch, double *row)
{
    rlct_worker *w = p;
    const rlct_ctx *c = w->c;
    ch += c->sp.first; /* a shard's chunks are the full run's */
    ss_rng_seed(w->r, c->sp.seed, SS_STREAM_RLCT, ch);
    memset(row, 0, NCOLS * sizeof *row);
    size_t n = chunk_size(c, ch), k = c->k;
    const model_prior *pr[16];
    const model_prior **prs = pr;
    if (k > 16) {
        prs = malloc(k * sizeof *prs);
        if (!prs)
            return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    for (size_t j = 0; j < k; j++)
        prs[j] = model_prior_of(w->m, c->idx[j]);
    double kmin = INFINITY;
    ss_status st = SS_OK;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < k; j++)
            w->w[c->idx[j]] = prior_draw(prs[j], w->r);
        double K;
        st = keval(&c->f, w->m, w->t, w->w, &K);
        if (st != SS_OK)
            break;
        row[rlct_bin(K)] += 1;
        if (K < kmin)
            kmin = K;
    }
    row[RLCT_NBINS] = kmin;
    if (prs != pr)
        free(prs);
    return st;
}

/* ---- the fit ------------------------------------------------------------- */

static double ls_slope(const double *x, const double *y, size_t n,
                       double *icpt)
{
    double mx = 0, my = 0;
    for (size_t i = 0; i < n; i++) {
        mx += x[i];
        my += y[i];
    }
    mx /= (double)n;
    my /= (double)n;
    double sxx = 0, sxy = 0;
    for (size_t i = 0; i < n; i++) {
        sxx += (x[i] - mx) * (x[i] - mx);
        sxy += (x[i] - mx) * (y[i] - my);
    }
    double b = sxy / sxx;
    if (icpt)
        *icpt = my - b * mx;
    return b;
}

/* slope of log V (minus (m - 1) log(-log t) when corr) at the bins b[] of
 * the cumulative counts cum[] out of N */
static double fit_at(const double *cum, double N, const size_t *b, size_t n,
                     double mcorr, double *icpt)
{
    double x[RLCT_FITPTS], y[RLCT_FITPTS];
    for (size_t i = 0; i < n; i++) {
        double t = rlct_edge(b[i]), V = cum[b[i]] / N;
        if (!(V > 0))
            return NAN;
        x[i] = log(t);
        y[i] = log(V) - (mcorr > 1 ? (mcorr - 1) * log(-log(t)) : 0);
    }
    return ls_slope(x, y, n, icpt);
}

static ss_status fit(const rlct_ctx *c, const double *rows, size_t done,
                     rlct_result *r)
{
    size_t C = c->nchunks, B = RLCT_BATCHES;
    double *cum = calloc(RLCT_NBINS, sizeof *cum);
    double *bc = calloc(RLCT_NBINS, sizeof *bc);
    r->count = calloc(RLCT_NBINS, sizeof *r->count);
    if (!cum || !bc || !r->count) {
        free(cum);
        free(bc);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    double N = 0;
    r->kmin = INFINITY;
    for (size_t ch = 0; ch < done; ch++) {
        const double *row = rows + ch * NCOLS;
        for (size_t b = 0; b < RLCT_NBINS; b++)
            r->count[b] += row[b];
        if (row[RLCT_NBINS] < r->kmin)
            r->kmin = row[RLCT_NBINS];
        N += (double)chunk_size(c, ch);
    }
    r->draws_done = (size_t)N;
    double acc = 0;
    for (size_t b = 0; b < RLCT_NBINS; b++)
        cum[b] = acc += r->count[b];
    double qmin = c->sp.qmin, floorq = RLCT_MINCOUNT / N;
    r->qmin = qmin > floorq ? qmin : floorq;
    ss_status st = SS_OK;
    size_t blo = 0, bhi = 0;
    while (blo < RLCT_NBINS - 1 && cum[blo] < r->qmin * N)
        blo++;
    while (bhi < RLCT_NBINS - 1 && cum[bhi] < c->sp.qmax * N)
        bhi++;
    if (!(r->qmin < c->sp.qmax))
        st = SS_FAIL(SS_ERR_USAGE,
                     "rlct: %zu draws put at most %d below the smallest t "
                     "only at the quantile %.3g, not below qmax=%g: give "
                     "more draws (at least %.0f)",
                     r->draws_done, RLCT_MINCOUNT, r->qmin, c->sp.qmax,
                     ceil(10 * RLCT_MINCOUNT / c->sp.qmax));
    else if (blo == 0 || bhi >= RLCT_NBINS - 1 || bhi < blo + 8)
        st = SS_FAIL(SS_ERR_NUMERIC,
                     "rlct: V(t) is not resolved between the quantiles %g "
                     "and %g (K at most %g there, at least %g); the prior "
                     "puts an atom at the truth or K does not vary",
                     r->qmin, c->sp.qmax, rlct_edge(bhi), rlct_edge(blo));
    if (st == SS_OK) {
        size_t J = RLCT_FITPTS, n = 0, b[RLCT_FITPTS];
        double l0 = log(rlct_edge(blo)), l1 = log(rlct_edge(bhi));
        for (size_t j = 0; j < J; j++) {
            double lt = l0 + (l1 - l0) * (double)j / (double)(J - 1);
            /* the nearest edge at or above */
            size_t bb = rlct_bin(exp(lt) * (1 - 1e-12));
            if (bb < blo)
                bb = blo;
            if (bb > bhi)
                bb = bhi;
            if (n == 0 || bb > b[n - 1])
                b[n++] = bb;
        }
        r->npts = n;
        for (size_t i = 0; i < n; i++) {
            r->t[i] = rlct_edge(b[i]);
            r->V[i] = cum[b[i]] / N;
        }
        r->lambda = fit_at(cum, N, b, n, 0, &r->icpt);
        r->corrected = r->m_known > 1 && r->t[n - 1] < 1;
        if (r->corrected)
            r->lambda_c = fit_at(cum, N, b, n, r->m_known, &r->icpt_c);
        /* the batches: chunks [b C / B, (b + 1) C / B) */
        double sl[RLCT_BATCHES], slc[RLCT_BATCHES];
        size_t nb = 0;
        for (size_t g = 0; g < B; g++) {
            size_t c0 = g * C / B, c1 = (g + 1) * C / B;
            if (c1 > done)
                break;
            memset(bc, 0, RLCT_NBINS * sizeof *bc);
            double Nb = 0;
            for (size_t ch = c0; ch < c1; ch++) {
                for (size_t q = 0; q < RLCT_NBINS; q++)
                    bc[q] += rows[ch * NCOLS + q];
                Nb += (double)chunk_size(c, ch);
            }
            double a = 0;
            for (size_t q = 0; q < RLCT_NBINS; q++)
                bc[q] = a += bc[q];
            double s1 = fit_at(bc, Nb, b, n, 0, NULL);
            double s2 = r->corrected ? fit_at(bc, Nb, b, n, r->m_known, NULL)
                                     : 0;
            if (isfinite(s1) && isfinite(s2)) {
                sl[nb] = s1;
                slc[nb] = s2;
                r->bslope[nb++] = s1;
            }
        }
        r->nbatches = nb;
        if (nb < 2) {
            st = SS_FAIL(SS_ERR_INTERRUPTED,
                         "rlct: fewer than two of the %d batches finished "
                         "with draws at every t of the fit: no standard "
                         "error (nothing was stored)",
                         RLCT_BATCHES);
        } else {
            double m1 = 0, m2 = 0, v1 = 0, v2 = 0;
            for (size_t g = 0; g < nb; g++) {
                m1 += sl[g];
                m2 += slc[g];
            }
            m1 /= (double)nb;
            m2 /= (double)nb;
            for (size_t g = 0; g < nb; g++) {
                v1 += (sl[g] - m1) * (sl[g] - m1);
                v2 += (slc[g] - m2) * (slc[g] - m2);
            }
            r->se = sqrt(v1 / (double)(nb - 1) / (double)nb);
            r->se_c = sqrt(v2 / (double)(nb - 1) / (double)nb);
        }
    }
    free(cum);
    free(bc);
    return st;
}

/* ---- checks and the iteration ------------------------------------------- */

static ss_status rlct_check(const model *m, const model *t,
                            const rlct_spec *sp, const kfun *f,
                            const size_t *idx, size_t k)
{
    if (k == 0)
        return SS_FAIL(SS_ERR_USAGE, "rlct: the model has no free parameter");
    char nm[MODEL_NAME_MAX];
    for (size_t j = 0; j < k; j++) {
        const model_prior *p = model_prior_of(m, idx[j]);
        model_param_name(m, idx[j], nm, sizeof nm);
        if (!p || p->kind == PRIOR_NONE)
            return SS_FAIL(SS_ERR_USAGE,
                           "rlct needs a proper prior on every free "
                           "parameter: %s has none (`prior MODEL %s=...`)",
                           nm, nm);
    }
    if (!(sp->qmax > 0 && sp->qmax < 1 && sp->qmin > 0 &&
          sp->qmin < sp->qmax))
        return SS_FAIL(SS_ERR_RANGE, "rlct: the quantiles need 0 < qmin < "
                                     "qmax < 1 (qmin=%g, qmax=%g)",
                       sp->qmin, sp->qmax);
    if (t->type == m->type && t->P == m->P) {
        for (size_t j = 0; j < k; j++) {
            const model_prior *p = model_prior_of(m, idx[j]);
            double lo, hi, x = t->theta[idx[j]];
            prior_support(p, &lo, &hi);
            if (!(x >= lo && x <= hi)) {
                char f_[96];
                model_param_name(m, idx[j], nm, sizeof nm);
                return SS_FAIL(SS_ERR_RANGE,
                               "rlct: the prior %s=%s does not cover the "
                               "truth's %s = %g: V(t) needs prior mass at "
                               "the true parameter",
                               nm, prior_format(p, f_, sizeof f_), nm, x);
            }
        }
        /* the truth realised at its own values (the fixed ones held) */
        double *w = malloc(m->P * sizeof *w);
        if (!w)
            return SS_FAIL(SS_ERR_NOMEM, "out of memory");
        memcpy(w, m->theta, m->P * sizeof *w);
        for (size_t j = 0; j < k; j++)
            w[idx[j]] = t->theta[idx[j]];
        double K;
        ss_status st = keval(f, m, t, w, &K);
        free(w);
        if (st != SS_OK)
            return st;
        if (!(K <= 1e-10))
            return SS_FAIL(SS_ERR_RANGE,
                           "rlct: the model does not realise the truth at "
                           "the truth's values with its fixed parameters "
                           "held (K = %.3g there); the volume law needs "
                           "min K = 0",
                           K);
    } else {
        /* another family of the same data kind: K at the model's point
         * says whether the family can compare them at all */
        double K;
        ss_status st = keval(f, m, t, m->theta, &K);
        if (st != SS_OK)
            return st;
    }
    return SS_OK;
}

struct rlct_iter {
    rlct_ctx c;
    rlct_result *res;
    rep_job *job;
    size_t ndone, nrep;   /* nrep: the chunks of this run (a shard's) */
    int finished;
};

void rlct_iter_free(rlct_iter *it)
{
    if (!it)
        return;
    if (it->job && !it->finished)
        rep_abandon(it->job);
    rlct_result_free(it->res);
    kfun_free(&it->c.f);
    free(it->c.idx);
    free(it);
}

size_t rlct_nchunks(size_t draws)
{
    size_t C = (draws + RLCT_CHUNK - 1) / RLCT_CHUNK;
    return (C + RLCT_BATCHES - 1) / RLCT_BATCHES * RLCT_BATCHES;
}

/* Everything but the job: the checks, the context and the result's
 * description. */
static ss_status iter_setup(const model *m, const model *t,
                            const rlct_spec *sp, rlct_iter **out)
{
    *out = NULL;
    if (t->type->data_kind != m->type->data_kind)
        return SS_FAIL(SS_ERR_USAGE,
                       "rlct: the truth (%s) models %s and the model "
                       "(%s) %s: K compares models of the same data kind",
                       t->type->name,
                       model_data_kind_name(t->type->data_kind),
                       m->type->name,
                       model_data_kind_name(m->type->data_kind));
    if (!m->type->kl_from)
        return SS_FAIL(SS_ERR_USAGE,
                       "rlct: the %s family has no K (no generalisation "
                       "error kl_from), so V(t) cannot be computed",
                       m->type->name);
    if (sp->draws < RLCT_DRAWS_MIN)
        return SS_FAIL(SS_ERR_RANGE, "rlct: draws=%zu is too few (at least "
                                     "%d)",
                       sp->draws, RLCT_DRAWS_MIN);
    rlct_iter *it = calloc(1, sizeof *it);
    rlct_result *r = calloc(1, sizeof *r);
    if (it)
        it->res = r;
    if (!it || !r) {
        free(r);
        free(it);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    it->c.m = m;
    it->c.t = t;
    it->c.sp = *sp;
    ss_status st = model_free_index_list(m, &it->c.idx, &it->c.k);
    if (st == SS_OK)
        st = kfun_init(&it->c.f, m, t);
    if (st == SS_OK)
        st = rlct_check(m, t, sp, &it->c.f, it->c.idx, it->c.k);
    if (st == SS_OK) {
        size_t C = rlct_nchunks(sp->draws);
        it->c.nchunks = C;
        if (sp->count && (sp->first >= C || sp->count > C - sp->first))
            st = SS_FAIL(SS_ERR_RANGE, "rlct: chunks %zu..%zu lie outside "
                                       "1..%zu",
                         sp->first + 1, sp->first + sp->count, C);
        r->sp = *sp;
        r->sp.first = r->sp.count = 0;
        r->k = it->c.k;
        r->route = it->c.f.route;
        r->nchunks = C;
        snprintf(r->kind, sizeof r->kind, "%s", m->type->name);
        known_value(m, t, it->c.k, r);
    }
    if (st != SS_OK) {
        rlct_iter_free(it);
        return st;
    }
    *out = it;
    return SS_OK;
}

ss_status rlct_iter_alloc(const model *m, const model *t,
                          const rlct_spec *sp, rlct_iter **out)
{
    rlct_iter *it = NULL;
    ss_status st = iter_setup(m, t, sp, &it);
    if (st != SS_OK)
        return st;
    rep_spec rs = {.nrep = sp->count ? sp->count : it->c.nchunks,
                   .ncols = NCOLS, .threads = sp->threads,
                   .worker_alloc = worker_alloc, .worker_free = worker_free,
                   .run = run_chunk, .ctx = &it->c, .tick_ms = 10};
    it->nrep = rs.nrep;
    st = rep_start(&rs, &it->job);
    if (st != SS_OK) {
        rlct_iter_free(it);
        return st;
    }
    *out = it;
    return SS_OK;
}

size_t rlct_row_len(void) { return NCOLS; }

ss_status rlct_result_from_rows(const model *m, const model *t,
                                const rlct_spec *sp, const double *rows,
                                rlct_result **out)
{
    *out = NULL;
    rlct_spec whole = *sp;
    whole.first = whole.count = 0;
    rlct_iter *it = NULL;
    ss_status st = iter_setup(m, t, &whole, &it);
    if (st == SS_OK)
        st = fit(&it->c, rows, it->c.nchunks, it->res);
    if (st == SS_OK) {
        it->res->chunks_done = it->c.nchunks;
        *out = it->res;
        it->res = NULL;
    }
    rlct_iter_free(it);
    return st;
}

ss_status rlct_iter_take_rows(rlct_iter *it, int interrupted, double **rows,
                              size_t *n)
{
    ss_status st = rep_take_prefix(it->job, interrupted, "chunk of draws",
                                   rows, n);
    it->finished = 1;
    return st;
}

ss_status rlct_iter_iterate(rlct_iter *it)
{
    ss_status st = rep_iterate(it->job);
    while (it->ndone < it->nrep && rep_row_done(it->job, it->ndone))
        it->ndone++;
    return st;
}

int rlct_iter_test(const rlct_iter *it)
{
    return it->ndone >= it->nrep || rep_test(it->job);
}

ss_status rlct_iter_take(rlct_iter *it, int interrupted, rlct_result **out)
{
    *out = NULL;
    double *rows = NULL;
    size_t C = 0;
    ss_status st = rep_take_prefix(it->job, interrupted, "chunk of draws",
                                   &rows, &C);
    it->finished = 1;
    if (st == SS_OK)
        st = fit(&it->c, rows, C, it->res);
    free(rows);
    if (st != SS_OK)
        return st;
    it->res->chunks_done = C;
    it->res->interrupted = C < it->c.nchunks;
    *out = it->res;
    it->res = NULL;
    return SS_OK;
}

static ss_status it_iterate(void *s) { return rlct_iter_iterate(s); }
static int it_test(const void *s) { return rlct_iter_test(s); }
static void it_progress(const void *s, size_t *done, size_t *total)
{
    const rlct_iter *it = s;
    *done = it->ndone;
    *total = it->nrep;
}
static void it_stop(void *s)
{
    rlct_iter *it = s;
    rep_stop(it->job);
}

const ss_iter_type rlct_iter_type = {"rlct", it_iterate, it_test,
                                     it_progress, it_stop};

ss_status rlct_run(const model *m, const model *truth, const rlct_spec *sp,
                   rlct_result **out)
{
    rlct_iter *it = NULL;
    ss_status st = rlct_iter_alloc(m, truth, sp, &it);
    if (st == SS_OK) {
        ss_iter i = {&rlct_iter_type, it};
        st = ss_iter_drive(&i, NULL, NULL);
        if (st == SS_OK)
            st = rlct_iter_take(it, 0, out);
    }
    rlct_iter_free(it);
    return st;
}

void rlct_result_free(rlct_result *r)
{
    if (!r)
        return;
    free(r->count);
    llc_result_free(r->llc);
    rlct_wbic_data_free(r->wbic);
    free(r);
}

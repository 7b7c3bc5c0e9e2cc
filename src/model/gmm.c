/* gmm: Gaussian mixture in one dimension (two components by default),
 *   p(x | v, w1, w2) = (1 - v) N(x; w1, s^2) + v N(x; w2, s^2),
 * with s known (structural option). Singular on v = 0, v = 1 and w1 = w2.
 *
 * Everything is evaluated in log space from two quantities per point: the
 * log densities of the components and d = log phi2 - log phi1, the latter in
 * the factored form (w2 - w1)(2x - w1 - w2) / (2 s^2) so that it is
 * relatively accurate when w1 ~ w2. The score in v is (phi2 - phi1) / p, an
 * expm1 of d times a bounded ratio: no cancellation near w1 = w2 and no
 * log(0) at v = 0 or 1. */
#include "model/model.h"
#include "model/gmm_k.h"
#include "core/vecmath.h"

#include <float.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

enum { P_V, P_W1, P_W2, NPAR };

/* Exact FIM quadrature (composite Gauss-Legendre, see gmm_fim_exact):
 * GL_N points per panel; panels at most GL_HMAX * s wide and at most GL_C
 * times their distance to the nearest complex pole of 1/p; windows reach
 * GL_L standard deviations beyond the outermost place where the integrand
 * has mass (tails below e^{-L^2/2} ~ 2e-22 relative). Tuned against a
 * 4x finer and wider rule (N = 20, HMAX = 0.25, C = 0.25, L = 14) over
 * random points with |w2 - w1|/s up to 1000, v down to 1e-13 and exactly
 * 0 or 1, s in [0.05, 20]: worst difference 9e-15 of sqrt(G_ii G_jj);
 * with C = 1 it is 5e-13, L = 8 9e-14, N = 6 4e-10. */
#define GMM_GL_N 10
#define GMM_GL_C 0.5
#define GMM_GL_L 10.0
#define GMM_GL_HMAX 1.0
/* Beyond this separation (in units of s) the quadrature would need more than
 * ~2 * GMM_MAX_SEP * GMM_GL_N nodes; the exact route refuses. */
#define GMM_MAX_SEP 1000.0

/* s is a number (known) or the word free (a parameter, the last one) */
static const char *const gmm_s_words[] = {"free", NULL};
static const model_optdef gmm_opts[] = {
    {"s", MOPT_REAL, 1.0, 1e-3, 1e3, gmm_s_words,
     "known component standard deviation", NULL},
};

/* Per-parameter-point constants. */
typedef struct {
    double v, w1, w2, s;
    double u;     /* w2 - w1 */
    double us;    /* u / s */
    double lv;    /* log v (-inf at v = 0) */
    double l1v;   /* log(1 - v) (-inf at v = 1) */
    double logit; /* log(v / (1 - v)), finite only for 0 < v < 1 */
    double lnorm; /* log(s sqrt(2 pi)) */
    /* 1 / s, used for x / s only where s is a power of two: then the
     * product is the quotient bit for bit (the default s = 1 saves four
     * divisions per point) */
    double inv_s;
    int s_pow2;
} gmm_par;

static double div_s(const gmm_par *g, double x)
{
    return g->s_pow2 ? x * g->inv_s : x / g->s;
}

/* Per-point quantities. */
typedef struct {
    double z1, z2;       /* (x - wk) / s */
    double lphi1, lphi2; /* log N(x; wk, s^2) */
    double d;            /* lphi2 - lphi1, factored form */
    double lp;           /* log p(x) */
    double r1, r2;       /* posterior responsibilities (1-v)phi1/p, v phi2/p */
} gmm_pt;

static void par_init(gmm_par *g, const model *m, const double *theta)
{
    g->v = theta[P_V];
    g->w1 = theta[P_W1];
    g->w2 = theta[P_W2];
    g->s = m->opt[0];
    g->u = g->w2 - g->w1;
    g->us = g->u / g->s;
    g->lv = log(g->v);        /* -inf at v = 0, by design */
    g->l1v = log1p(-g->v);    /* -inf at v = 1 */
    g->logit = g->lv - g->l1v;
    g->lnorm = log(g->s) + 0.5 * log(2.0 * M_PI);
    int ex;
    g->s_pow2 = frexp(g->s, &ex) == 0.5;
    g->inv_s = 1.0 / g->s;
}

/* Evaluate at the point with offsets y1 = x - w1, y2 = x - w2 (passed
 * separately so that the quadrature can form them without the rounding of
 * x itself when |x| >> s). */
static inline void pt_eval_lp(const gmm_par *g, double y1, double y2,
                              gmm_pt *q, int want_lp)
{
    q->z1 = div_s(g, y1);
    q->z2 = div_s(g, y2);
    if (want_lp) {
        q->lphi1 = -0.5 * q->z1 * q->z1 - g->lnorm;
        q->lphi2 = -0.5 * q->z2 * q->z2 - g->lnorm;
    }
    /* (z1^2 - z2^2) / 2 = (z1 - z2)(z1 + z2) / 2 with z1 - z2 = u / s; the
     * halves are added separately so that huge |x| cannot overflow early. */
    q->d = g->u == 0.0 ? 0.0 : g->us * (0.5 * q->z1 + 0.5 * q->z2);

    if (g->v == 0.0) {
        q->r1 = 1.0;
        q->r2 = 0.0;
        if (want_lp)
            q->lp = q->lphi1;
    } else if (g->v == 1.0) {
        q->r1 = 0.0;
        q->r2 = 1.0;
        if (want_lp)
            q->lp = q->lphi2;
    } else {
        /* e = log of the odds of component 2; finite or +-inf, never NaN.
         * t = e^{-|e|} <= 1 (exp(-e) for e >= 0, exp(e) below: the same
         * argument bits), and the side of e picks by selects rather than
         * a branch (it is taken at random from draw to draw). */
        double e = q->d + g->logit;
        int pos = e >= 0.0;
        double t = exp(-fabs(e));
        double rb = 1.0 / (1.0 + t), rt = t * rb;
        q->r2 = pos ? rb : rt;
        q->r1 = pos ? rt : rb;
        if (want_lp)
            q->lp = (pos ? g->lv + q->lphi2 : g->l1v + q->lphi1) + log1p(t);
    }
}

/* Everything, with log p (the log-likelihood term). */
static void pt_eval(const gmm_par *g, double y1, double y2, gmm_pt *q)
{
    pt_eval_lp(g, y1, y2, q, 1);
}

/* (phi2 - phi1) / p without cancellation: a ratio in (0, 1/min(v, 1-v)]
 * times expm1 of d, taking the sign of d so that exp never overflows. */
static double score_v(const gmm_par *g, const gmm_pt *q)
{
    /* e^{-|d|} and its expm1 from one call: expm1 where |d| <= ln 2 (then
     * e = 1 + em1 >= 1/2 to an ulp), exp beyond (em1 = e - 1 <= -1/2) */
    double ad = fabs(q->d), e, em1;
    if (ad <= M_LN2) {
        em1 = expm1(-ad);
        e = 1.0 + em1;
    } else {
        e = exp(-ad);
        em1 = e - 1.0;
    }
    /* -em1 / (v + (1 - v) e) for d >= 0, em1 / ((1 - v) + v e) below,
     * by selects (the sign of d is random from draw to draw) */
    int pos = q->d >= 0.0;
    double a = pos ? g->v : 1.0 - g->v, b = pos ? 1.0 - g->v : g->v;
    return (pos ? -em1 : em1) / (a + b * e);
}

/* r (x - w) / s^2 with r = 0 meaning exactly 0 even when (x - w)/s^2 is
 * huge. */
static double score_w(const gmm_par *g, double r, double z)
{
    return r == 0.0 ? 0.0 : r * div_s(g, z);
}

/* The scores of up to GMM_BLOCK points x[i * tda] at 0 < v < 1 into the
 * rows of S (stride stda), without log p: the formulas of pt_eval,
 * score_v and score_w, operation for operation (the same bits), in
 * passes over the block so that the arithmetic runs in loops without
 * calls and every exponential in a loop of nothing else: score_v's
 * choice between expm1 and exp (random from draw to draw) becomes two
 * index lists instead of a branch. */
#define GMM_BLOCK 256
typedef double gmm_v2 __attribute__((vector_size(2 * sizeof(double))));
typedef long long gmm_m2 __attribute__((vector_size(2 * sizeof(long long))));

/* a where the mask is set, else b (lane by lane) */
static inline gmm_v2 v2_sel(gmm_m2 m, gmm_v2 a, gmm_v2 b)
{
    return (gmm_v2)(((gmm_m2)a & m) | ((gmm_m2)b & ~m));
}
static void scores_block(const gmm_par *g, const double *x, size_t tda,
                         size_t n, double *S, size_t stda)
{
    double z1[GMM_BLOCK], z2[GMM_BLOCK], d[GMM_BLOCK], e[GMM_BLOCK];
    double t[GMM_BLOCK], ed[GMM_BLOCK], em1[GMM_BLOCK];
    unsigned short lo[GMM_BLOCK], hi[GMM_BLOCK];
    const int zero_u = g->u == 0.0;
    size_t nlo = 0, nhi = 0;
    for (size_t i = 0; i < n; i++) {
        double xi = x[i * tda];
        z1[i] = div_s(g, xi - g->w1);
        z2[i] = div_s(g, xi - g->w2);
        d[i] = zero_u ? 0.0 : g->us * (0.5 * z1[i] + 0.5 * z2[i]);
        e[i] = d[i] + g->logit;
        int small = fabs(d[i]) <= M_LN2;
        lo[nlo] = (unsigned short)i;
        hi[nhi] = (unsigned short)i;
        nlo += small;
        nhi += !small;
    }
    for (size_t i = 0; i < n; i++)
        t[i] = exp(-fabs(e[i]));
    for (size_t k = 0; k < nlo; k++) {
        size_t i = lo[k];
        em1[i] = expm1(-fabs(d[i]));
        ed[i] = 1.0 + em1[i];
    }
    for (size_t k = 0; k < nhi; k++) {
        size_t i = hi[k];
        ed[i] = exp(-fabs(d[i]));
        em1[i] = ed[i] - 1.0;
    }
    const double v = g->v, v1 = 1.0 - g->v;
    /* two points at a time in SSE2 registers, the selects by masks: the
     * signs of e and d are random from draw to draw, and branches on them
     * were mispredicted half the time (lane by lane IEEE operations: the
     * bits of the scalar loop below, which takes an odd last point) */
    const gmm_v2 zero = {0.0, 0.0}, one = {1.0, 1.0}, vv = {v, v},
                 v1v = {v1, v1}, inv = {g->inv_s, g->inv_s},
                 sv = {g->s, g->s};
    size_t i = 0;
    for (; i + 2 <= n; i += 2) {
        gmm_v2 tv, ev, dv, edv, emv, z1v, z2v;
        memcpy(&tv, t + i, sizeof tv);
        memcpy(&ev, e + i, sizeof ev);
        memcpy(&dv, d + i, sizeof dv);
        memcpy(&edv, ed + i, sizeof edv);
        memcpy(&emv, em1 + i, sizeof emv);
        memcpy(&z1v, z1 + i, sizeof z1v);
        memcpy(&z2v, z2 + i, sizeof z2v);
        gmm_m2 pe = ev >= zero, pd = dv >= zero;
        gmm_v2 rb = one / (one + tv), rt = tv * rb;
        gmm_v2 r2 = v2_sel(pe, rb, rt), r1 = v2_sel(pe, rt, rb);
        gmm_v2 a = v2_sel(pd, vv, v1v), b = v2_sel(pd, v1v, vv);
        gmm_v2 sc = v2_sel(pd, -emv, emv) / (a + b * edv);
        gmm_v2 q1 = g->s_pow2 ? z1v * inv : z1v / sv;
        gmm_v2 q2 = g->s_pow2 ? z2v * inv : z2v / sv;
        gmm_v2 w1 = v2_sel(r1 == zero, zero, r1 * q1);
        gmm_v2 w2 = v2_sel(r2 == zero, zero, r2 * q2);
        double *row = S + i * stda;
        row[P_V] = sc[0];
        row[P_W1] = w1[0];
        row[P_W2] = w2[0];
        row[stda + P_V] = sc[1];
        row[stda + P_W1] = w1[1];
        row[stda + P_W2] = w2[1];
    }
    for (; i < n; i++) {
        int pe = e[i] >= 0.0, pd = d[i] >= 0.0;
        double rb = 1.0 / (1.0 + t[i]), rt = t[i] * rb;
        double r2 = pe ? rb : rt, r1 = pe ? rt : rb;
        double a = pd ? v : v1, b = pd ? v1 : v;
        double *row = S + i * stda;
        row[P_V] = (pd ? -em1[i] : em1[i]) / (a + b * ed[i]);
        row[P_W1] = score_w(g, r1, z1[i]);
        row[P_W2] = score_w(g, r2, z2[i]);
    }
}

/* log p at up to GMM_BLOCK points x[i * tda] into ell: pt_eval's log p,
 *   log p = log pi_k + log phi_k + log1p(e^{-|e|}),
 * k the component with the larger share (k = 2 where the log-odds
 * e = d + logit(v) >= 0), with one exp and one log1p per point, each taken
 * over the whole block by core/vecmath (several points per instruction). The
 * log phi_k and d are polynomials in x; the side of e is a select. */
static inline void lp_block_v(const gmm_par *g, const double *x, size_t tda,
                              size_t n, double *ell, int pow2)
{
    double base[GMM_BLOCK], t[GMM_BLOCK];
    const int zero_u = g->u == 0.0;
    const double w1 = g->w1, w2 = g->w2, us = g->us, logit = g->logit,
                 lv = g->lv, l1v = g->l1v, lnorm = g->lnorm, inv = g->inv_s,
                 s = g->s;
    /* two points at a time in SSE2 registers (lane by lane IEEE
     * operations: the bits of the scalar loop below, which takes an odd
     * last point); d = 0 exactly at u = 0, as in pt_eval (0 * inf would
     * be NaN at |x| = inf, where the term is -inf) */
    const gmm_v2 zero = {0.0, 0.0}, half = {0.5, 0.5}, w1v = {w1, w1},
                 w2v = {w2, w2}, usv = {us, us}, lgv = {logit, logit},
                 lvv = {lv, lv}, l1vv = {l1v, l1v}, lnv = {lnorm, lnorm},
                 invv = {inv, inv}, sv = {s, s};
    const gmm_v2 negz = {-0.0, -0.0};
    const gmm_m2 sign = (gmm_m2)negz; /* the sign bits */
    size_t i = 0;
    for (; i + 2 <= n; i += 2) {
        gmm_v2 xv = {x[i * tda], x[(i + 1) * tda]};
        gmm_v2 z1 = pow2 ? (xv - w1v) * invv : (xv - w1v) / sv;
        gmm_v2 z2 = pow2 ? (xv - w2v) * invv : (xv - w2v) / sv;
        gmm_v2 d = zero_u ? zero : usv * (half * z1 + half * z2);
        gmm_v2 e = d + lgv;
        gmm_v2 l1 = -half * z1 * z1 - lnv, l2 = -half * z2 * z2 - lnv;
        gmm_v2 b = v2_sel(e >= zero, lvv + l2, l1vv + l1);
        gmm_v2 te = (gmm_v2)((gmm_m2)e | sign); /* -|e| */
        memcpy(base + i, &b, sizeof b);
        memcpy(t + i, &te, sizeof te);
    }
    for (; i < n; i++) {
        double xi = x[i * tda];
        double z1 = pow2 ? (xi - w1) * inv : (xi - w1) / s;
        double z2 = pow2 ? (xi - w2) * inv : (xi - w2) / s;
        double d = zero_u ? 0.0 : us * (0.5 * z1 + 0.5 * z2);
        double e = d + logit;
        double l1 = -0.5 * z1 * z1 - lnorm, l2 = -0.5 * z2 * z2 - lnorm;
        base[i] = e >= 0.0 ? lv + l2 : l1v + l1;
        t[i] = -fabs(e);
    }
    ss_vexp(t, n);
    ss_vlog1p(t, n);
    for (i = 0; i < n; i++)
        ell[i] = base[i] + t[i];
}

/* log p at v = 0 or 1: one component, a polynomial in x */
static void lp_one(const gmm_par *g, const double *x, size_t tda, size_t n,
                   double *ell)
{
    const double w = g->v == 0.0 ? g->w1 : g->w2;
    for (size_t i = 0; i < n; i++) {
        double z = div_s(g, x[i * tda] - w);
        ell[i] = -0.5 * z * z - g->lnorm;
    }
}

/* The log-likelihood terms at 0 <= v <= 1, block by block. */
static void lp_terms(const gmm_par *g, const double *x, size_t tda, size_t n,
                     double *ell)
{
    if (g->v == 0.0 || g->v == 1.0) {
        lp_one(g, x, tda, n, ell);
        return;
    }
    for (size_t i = 0; i < n; i += GMM_BLOCK) {
        size_t nb = n - i < GMM_BLOCK ? n - i : GMM_BLOCK;
        if (g->s_pow2)
            lp_block_v(g, x + i * tda, tda, nb, ell + i, 1);
        else
            lp_block_v(g, x + i * tda, tda, nb, ell + i, 0);
    }
}

/* ---- type hooks ---------------------------------------------------------- */

/* The layout (gmm_k.h): k=K components (default 2, at most GMM_KMAX),
 * read here as it decides the layout; K = 2 keeps v, w1, w2, other K have
 * v2..vK (weights 1/K) and w1..wK (at 0, 1, ..., K-1); s=free appends s
 * (starting at 1). */
static ss_status gmm_configure(model *m, const model_arg *args, size_t nargs,
                               unsigned char *used)
{
    size_t K = 2;
    const model_arg *ka = model_arg_find(args, nargs, "k", used);
    if (ka) {
        if (!ka->num || ka->n != 1 || ka->is_vector)
            return SS_FAIL_COL(SS_ERR_USAGE, ka->col,
                               "gmm: k takes one whole number, the number "
                               "of components (1..%d)",
                               GMM_KMAX);
        double k = ka->num[0];
        if (!(k >= 1 && k <= GMM_KMAX && k == floor(k)))
            return SS_FAIL_COL(SS_ERR_RANGE, ka->col,
                               "gmm: k = %g must be a whole number of "
                               "components in 1..%d",
                               k, GMM_KMAX);
        K = (size_t)k;
    }
    ss_status st = SS_OK;
    char nm[MODEL_NAME_MAX];
    if (K == 2) {
        st = model_add_param(m, "v", 0.5, 0.0, 1.0);
        if (st == SS_OK)
            st = model_add_param(m, "w1", 0.0, -INFINITY, INFINITY);
        if (st == SS_OK)
            st = model_add_param(m, "w2", 1.0, -INFINITY, INFINITY);
    } else {
        for (size_t k = 2; k <= K && st == SS_OK; k++) {
            snprintf(nm, sizeof nm, "v%zu", k);
            st = model_add_param(m, nm, 1.0 / (double)K, 0.0, 1.0);
        }
        for (size_t k = 1; k <= K && st == SS_OK; k++) {
            snprintf(nm, sizeof nm, "w%zu", k);
            st = model_add_param(m, nm, (double)(k - 1), -INFINITY,
                                 INFINITY);
        }
    }
    if (st == SS_OK && m->opt_choice[0])
        st = model_add_param(m, "s", 1.0, 0.0, INFINITY);
    return st;
}

static ss_status gmm_check(const model *m, const double *theta)
{
    return gmm_is_classic(m) ? SS_OK : gmm_k_check(m, theta);
}

static size_t gmm_data_cols(const model *m)
{
    (void)m;
    return 1;
}

static const char *gmm_data_colname(const model *m, size_t col, char *buf,
                                    size_t n)
{
    (void)m;
    (void)col;
    snprintf(buf, n, "x");
    return buf;
}

/* Doubles near the means are spaced ulp(max |w_k| + 10 s) apart: a draw
 * x = w + s z is rounded to that grid, and so is every data value near the
 * means. Where the spacing exceeds GMM_GRID_TOL * s (|w| / s above about
 * 5e9) the data cannot resolve the components' shape (at w1 = w2 = 1e16,
 * s = 1 the grid step is 2 s: the Monte-Carlo I[w1,w1] came out 0.326
 * for 0.25), so sampling and the sampled or data-based FIMs (scores)
 * refuse, as the exact route refuses beyond its reach. The FIM depends on
 * the means only through w2 - w1: shifting both is the remedy. */
#define GMM_GRID_TOL 1e-6

static ss_status check_grid(const double *theta, double s, const char *what)
{
    double M = fmax(fabs(theta[P_W1]), fabs(theta[P_W2]));
    if (!isfinite(M))
        return SS_FAIL(SS_ERR_RANGE, "gmm: %s needs finite means", what);
    double x = M + 10.0 * s, step = nextafter(x, INFINITY) - x;
    if (!(step <= GMM_GRID_TOL * s))
        return SS_FAIL(SS_ERR_RANGE,
                       "gmm: %s at |w| = %g with s = %g: doubles near the "
                       "means are %g apart (%.3g s), too coarse to resolve "
                       "the components; the FIM depends on the means only "
                       "through w2 - w1, so shift both (|w| / s up to "
                       "about %.2g)",
                       what, M, s, step, step / s,
                       GMM_GRID_TOL / (2.0 * DBL_EPSILON));
    return SS_OK;
}

static ss_status gmm_sample(const model *m, const double *theta, gsl_rng *r,
                            gsl_matrix *out)
{
    if (!gmm_is_classic(m))
        return gmm_k_sample(m, theta, r, out);
    double v = theta[P_V], s = m->opt[0];
    if (out->size2 != 1)
        return SS_FAIL(SS_ERR_USAGE, "gmm: sample matrix must have 1 column, "
                                     "got %zu", out->size2);
    ss_status st = check_grid(theta, s, "sampling");
    if (st != SS_OK)
        return st;
    /* Per draw one uniform for the component (the generator's get_double
     * called directly: gsl_rng_uniform without a library call) and one
     * standard normal by GSL's ziggurat (Marsaglia and Tsang 2000), which
     * takes one 32-bit output in about 99% of draws and no log or sqrt:
     * about 2 generator outputs per draw, where the polar Box-Muller
     * method took 3.5 and a log, a sqrt and a division. */
    double (*const get)(void *) = r->type->get_double;
    void *const rs = r->state;
    const double w1 = theta[P_W1], w2 = theta[P_W2];
    double *dst = out->data;
    const size_t tda = out->tda;
    for (size_t i = 0; i < out->size1; i++) {
        double w = get(rs) < v ? w2 : w1;
        dst[i * tda] = w + s * gsl_ran_gaussian_ziggurat(r, 1.0);
    }
    return SS_OK;
}

static ss_status gmm_loglik_terms(const model *m, const double *theta,
                                  const gsl_matrix *data, double *ell,
                                  gsl_matrix *scores)
{
    if (!gmm_is_classic(m))
        return gmm_k_loglik_terms(m, theta, data, ell, scores);
    if (data->size2 < 1)
        return SS_FAIL(SS_ERR_USAGE, "gmm: data needs 1 column (x)");
    if (!ell && !scores)
        return SS_OK;
    if (scores && (scores->size1 != data->size1 || scores->size2 != NPAR))
        return SS_FAIL(SS_ERR_USAGE, "gmm: scores must be %zu x %d, got "
                                     "%zu x %zu", data->size1, NPAR,
                       scores->size1, scores->size2);
    if (!(theta[P_V] >= 0.0 && theta[P_V] <= 1.0))
        return SS_FAIL(SS_ERR_RANGE, "gmm: v = %g is outside [0, 1]",
                       theta[P_V]);
    if (scores) {
        ss_status st = check_grid(theta, m->opt[0], "scores on data");
        if (st != SS_OK)
            return st;
    }
    gmm_par g;
    par_init(&g, m, theta);
    const double *src = data->data;
    const size_t tda = data->tda;
    /* The terms by one route whether or not the scores are asked for (the
     * same bits for RWM and MALA), the scores by their own. */
    if (ell)
        lp_terms(&g, src, tda, data->size1, ell);
    if (!scores)
        return SS_OK;
    if (g.v > 0.0 && g.v < 1.0) {
        for (size_t i = 0; i < data->size1; i += GMM_BLOCK) {
            size_t nb = data->size1 - i < GMM_BLOCK ? data->size1 - i
                                                    : GMM_BLOCK;
            scores_block(&g, src + i * tda, tda, nb,
                         scores->data + i * scores->tda, scores->tda);
        }
        return SS_OK;
    }
    for (size_t i = 0; i < data->size1; i++) { /* v = 0 or 1 */
        gmm_pt q;
        double x = src[i * tda];
        pt_eval_lp(&g, x - g.w1, x - g.w2, &q, 0);
        double *row = scores->data + i * scores->tda;
        row[P_V] = score_v(&g, &q);
        row[P_W1] = score_w(&g, q.r1, q.z1);
        row[P_W2] = score_w(&g, q.r2, q.z2);
    }
    return SS_OK;
}

/* ---- exact Fisher information -------------------------------------------
 *
 * G = int s s^T p dx by composite Gauss-Legendre over one interval covering
 * both components' windows and the gap between them. The integrands are
 * (phi_k - phi_l)^2 / p and the like: entire Gaussians times 1/p, whose
 * poles (0 < v < 1) lie where the log-odds e(x) = d(x) + logit(v) equals
 * i pi (2k+1), i.e. on the vertical line Re x = x_c (the crossover, e = 0)
 * at heights pi s^2 / |u| (2k+1). Panels are at most s wide and at most
 * GL_C times their distance to the nearest pole, so they shrink near x_c
 * only, geometrically, when the means are far apart.
 *
 * Window: the integrand phi_k^2 / p = phi_k / (pi_k + pi_o e^{-d_k}) grows
 * on the far side of component k (away from the other one) like
 * phi_k^2 / (pi_o phi_o), a Gaussian centred at 2 w_k - w_o with height
 * e^{b^2} (b = |u| / s), until capped by phi_k / pi_k. For small pi_k
 * (v near 0 on the w2 side, near 1 on the w1 side) the window therefore
 * extends to t_c + L standard deviations, t_c the capping point clamped to
 * [0, b]. Tails beyond are below e^{-L^2/2} relative.
 *
 * Each node x_j with weight omega_j contributes a row
 * sqrt(omega_j p(x_j)) s(x_j) to the root R, evaluated in log space so that
 * large factors (1/p at v = 0) and small ones (sqrt p) never meet as
 * inf * 0, and G accumulates R^T R in the same loop. Because every row is
 * relatively accurate, the SVD of R resolves eigenvalues like u^6. */

/* How far (in units of s) the window of a component with weight pk must
 * reach on its far side; po is the other weight, b the separation / s. */
static double far_reach(double pk, double po, double b, double L)
{
    if (pk == 0.0)
        return L + b;
    if (po == 0.0 || b == 0.0)
        return L;
    double tc = (-log(pk) - 0.5 * b * b + log(po)) / b;
    return L + (tc < 0.0 ? 0.0 : tc > b ? b : tc);
}

/* One stretch of panels, in offsets y = x - w_anchor from one of the means
 * (nodes near a mean are then exact to rounding however large |w| / s;
 * the other offset is y -+ u, relatively accurate where it matters). */
typedef struct {
    int anchor2;      /* 1: y = x - w2, 0: y = x - w1 */
    double lo, hi;    /* [lo, hi] in y */
    double hmax;
    int poles;        /* 1/p has poles (0 < v < 1, u / s != 0) */
    double yc, delta; /* their real part (in y) and nearest height */
} gmm_grid;

/* Width of the panel [a, a + h], or the clipped last one (*last set). The
 * counting and the integrating loop share it so that they agree. Panels
 * are at most hmax wide and at most GMM_GL_C times their distance to the
 * nearest pole, max(delta, real distance to yc). */
static double grid_next(const gmm_grid *gr, double a, int *last)
{
    double h = gr->hmax;
    if (gr->poles) {
        const double c = GMM_GL_C;
        double hp = a < gr->yc ? c * (gr->yc - a) / (1.0 + c) /* right end
                                   stays 1/c of a width away from yc */
                               : c * (a - gr->yc);
        if (hp < c * gr->delta)
            hp = c * gr->delta;
        if (hp < h)
            h = hp;
    }
    *last = a + h >= gr->hi;
    return *last ? gr->hi - a : h;
}

static size_t grid_panels(const gmm_grid *gr)
{
    size_t n = 0;
    int last = 0;
    for (double a = gr->lo; !last; n++)
        a += grid_next(gr, a, &last);
    return n;
}

/* Sums of R^T R (upper triangle) and the next free row of R. */
typedef struct {
    double vv, v1, v2, w11, w12, w22;
    gsl_matrix *R;
    size_t row;
} fim_acc;

static void grid_integrate(const gmm_par *g, const gmm_grid *gr,
                           const double *xi, const double *wi, fim_acc *acc)
{
    double s = g->s;
    int last = 0;
    for (double a = gr->lo; !last;) {
        double h = grid_next(gr, a, &last);
        double c = a + 0.5 * h, hh = 0.5 * h;
        for (size_t j = 0; j < GMM_GL_N; j++) {
            double y = c + hh * xi[j];
            gmm_pt q;
            if (gr->anchor2)
                pt_eval(g, y + g->u, y, &q);
            else
                pt_eval(g, y, y - g->u, &q);
            double sw = sqrt(hh * wi[j]);
            double sp = sw * exp(0.5 * q.lp);
            /* sqrt(p) (phi2 - phi1) / p = (phi_k / sqrt p) expm1(+-d), in
             * log space: at v = 0 the factor 1/sqrt(p) is huge where sqrt(p)
             * underflows. */
            double rv = q.d >= 0.0
                            ? sw * exp(q.lphi2 - 0.5 * q.lp) * -expm1(-q.d)
                            : sw * exp(q.lphi1 - 0.5 * q.lp) * expm1(q.d);
            double r1 = q.r1 == 0.0 ? 0.0 : sp * q.r1 * (q.z1 / s);
            double r2 = q.r2 == 0.0 ? 0.0 : sp * q.r2 * (q.z2 / s);
            acc->vv += rv * rv;
            acc->v1 += rv * r1;
            acc->v2 += rv * r2;
            acc->w11 += r1 * r1;
            acc->w12 += r1 * r2;
            acc->w22 += r2 * r2;
            if (acc->R) {
                gsl_matrix_set(acc->R, acc->row, P_V, rv);
                gsl_matrix_set(acc->R, acc->row, P_W1, r1);
                gsl_matrix_set(acc->R, acc->row, P_W2, r2);
            }
            acc->row++;
        }
        a += h;
    }
}

/* The same sums for G alone, in linear space, when both weights are at
 * least GMM_DIRECT_VMIN (then no factor under- or overflows where it
 * matters; see below). With k the larger component at the node (by the
 * sign of d), eps = phi_o / phi_k = e^{-|d|} and em1 = eps - 1, every
 * integrand is
 *   omega p s_i s_j = (omega phi_k / den) a_i a_j,   den = pi_k + pi_o eps
 *   a_v = -+em1,  a_1 = (den r1) z1 / s,  a_2 = (den r2) z2 / s
 * (den r_k = pi_k, den r_o = pi_o eps): two exponentials and one division
 * per node instead of the five transcendentals and the square root of the
 * row form, and the same cancellation-free expm1 in s_v. eps and em1 come
 * from one call: expm1 where |d| <= ln 2 (then eps = 1 + em1 >= 1/2 to an
 * ulp), exp beyond (then em1 = eps - 1 <= -1/2 to an ulp).
 * With pi_k >= GMM_DIRECT_VMIN = 1e-100 the window reaches at most
 * L + 230 / b standard deviations beyond a mean (far_reach), so phi_k
 * stays far above the underflow threshold there; where it does underflow
 * (between means more than ~75 s apart) the integrand is below 1e-190 of
 * G's entries. */
#define GMM_DIRECT_VMIN 1e-100

static void grid_integrate_direct(const gmm_par *g, const gmm_grid *gr,
                                  const double *xi, const double *wi,
                                  fim_acc *acc)
{
    const double s = g->s, is = 1.0 / s, us = g->us, lnorm = g->lnorm;
    const double p1 = 1.0 - g->v, p2 = g->v;
    const double du = gr->anchor2 ? g->u : -g->u; /* y_other = y + du */
    double vv = 0, v1 = 0, v2 = 0, w11 = 0, w12 = 0, w22 = 0;
    int last = 0;
    for (double a = gr->lo; !last;) {
        double h = grid_next(gr, a, &last);
        double c = a + 0.5 * h, hh = 0.5 * h;
        for (size_t j = 0; j < GMM_GL_N; j++) {
            double y = c + hh * xi[j];
            double y1 = gr->anchor2 ? y + du : y;
            double y2 = gr->anchor2 ? y : y - g->u;
            double z1 = y1 * is, z2 = y2 * is;
            double d = g->u == 0.0 ? 0.0 : us * (0.5 * z1 + 0.5 * z2);
            double ad = fabs(d), eps, em1;
            if (ad <= M_LN2) {
                em1 = expm1(-ad);
                eps = 1.0 + em1;
            } else {
                eps = exp(-ad);
                em1 = eps - 1.0;
            }
            double av, a1, a2, den, zk;
            if (d >= 0.0) { /* k = 2 */
                zk = z2;
                den = p2 + p1 * eps;
                av = -em1;
                a1 = p1 * eps * (z1 * is);
                a2 = p2 * (z2 * is);
            } else {
                zk = z1;
                den = p1 + p2 * eps;
                av = em1;
                a1 = p1 * (z1 * is);
                a2 = p2 * eps * (z2 * is);
            }
            double cw = hh * wi[j] * exp(-0.5 * zk * zk - lnorm) / den;
            double cav = cw * av, ca1 = cw * a1;
            vv += cav * av;
            v1 += cav * a1;
            v2 += cav * a2;
            w11 += ca1 * a1;
            w12 += ca1 * a2;
            w22 += cw * a2 * a2;
        }
        a += h;
    }
    acc->vv += vv;
    acc->v1 += v1;
    acc->v2 += v2;
    acc->w11 += w11;
    acc->w12 += w12;
    acc->w22 += w22;
}

/* Gauss-Legendre nodes and weights on [-1, 1], GMM_GL_N = 10 (the values
 * of GSL's glfixed table, bit for bit). */
static const double gl10_x[GMM_GL_N] = {
    -0x1.f2a3e062af2d8p-1, -0x1.bae995e9cb2f3p-1, -0x1.5bdb9228de198p-1,
    -0x1.bbcc009016adcp-2, -0x1.30e507891e27ap-3, 0x1.30e507891e27ap-3,
    0x1.bbcc009016adcp-2,  0x1.5bdb9228de198p-1,  0x1.bae995e9cb2f3p-1,
    0x1.f2a3e062af2d8p-1};
static const double gl10_w[GMM_GL_N] = {
    0x1.1115f8b62dc1fp-4, 0x1.32138c878efe5p-3, 0x1.c0b059d00bc31p-3,
    0x1.13baa7a559bfep-2, 0x1.2e9de7014d6efp-2, 0x1.2e9de7014d6efp-2,
    0x1.13baa7a559bfep-2, 0x1.c0b059d00bc31p-3, 0x1.32138c878efe5p-3,
    0x1.1115f8b62dc1fp-4};

static ss_status gmm_fim_exact(const model *m, const double *theta,
                               gsl_matrix *G, gsl_matrix **root)
{
    if (!gmm_is_classic(m))
        return gmm_k_fim_exact(m, theta, G, root);
    if (root)
        *root = NULL;
    if (G->size1 != NPAR || G->size2 != NPAR)
        return SS_FAIL(SS_ERR_USAGE, "gmm: G must be 3 x 3");
    if (!(theta[P_V] >= 0.0 && theta[P_V] <= 1.0))
        return SS_FAIL(SS_ERR_RANGE, "gmm: v = %g is outside [0, 1]",
                       theta[P_V]);
    gmm_par g;
    par_init(&g, m, theta);
    double s = g.s, b = fabs(g.us), L = GMM_GL_L;
    if (!(b <= GMM_MAX_SEP))
        return SS_FAIL(SS_ERR_RANGE,
                       "exact FIM of gmm: |w2 - w1| / s = %g exceeds %g; the "
                       "components are fully separated there and the "
                       "quadrature would need too many nodes (use the mc "
                       "method)", b, GMM_MAX_SEP);

    /* Two stretches meeting halfway between the means: the left one
     * anchored at the left mean, the right one at the right mean. */
    int right2 = g.u >= 0.0;
    double pl = right2 ? 1.0 - g.v : g.v, pr = right2 ? g.v : 1.0 - g.v;
    double half = 0.5 * fabs(g.u);
    int poles = g.v > 0.0 && g.v < 1.0 && g.us != 0.0;
    /* crossover (log-odds 0) as offsets from w1 and w2 (+-inf when u/s is
     * tiny: then no panel is near it) */
    double shift = poles ? g.logit / g.us * s : 0.0;
    double xc1 = 0.5 * g.u - shift, xc2 = -0.5 * g.u - shift;
    gmm_grid gl = {
        .anchor2 = !right2,
        .lo = -s * far_reach(pl, pr, b, L),
        .hi = half,
        .hmax = GMM_GL_HMAX * s,
        .poles = poles,
        .yc = right2 ? xc1 : xc2,
        .delta = poles ? M_PI * s / b : 0.0,
    };
    gmm_grid gr = gl;
    gr.anchor2 = right2;
    gr.lo = -half;
    gr.hi = s * far_reach(pr, pl, b, L);
    gr.yc = right2 ? xc2 : xc1;

    const double *xi = gl10_x, *wi = gl10_w;
    fim_acc acc = {0};
    /* G from the linear-space sums wherever they are valid, with or
     * without a root (so that G does not depend on whether one was asked
     * for); the rows of a root always in log space. */
    int direct = fmin(g.v, 1.0 - g.v) >= GMM_DIRECT_VMIN;
    if (root) {
        size_t n = (grid_panels(&gl) + grid_panels(&gr)) * GMM_GL_N;
        acc.R = gsl_matrix_alloc(n, NPAR);
        if (!acc.R)
            return SS_FAIL(SS_ERR_NOMEM,
                           "out of memory (%zu quadrature nodes)", n);
    }
    if (!direct || acc.R) {
        grid_integrate(&g, &gl, xi, wi, &acc);
        grid_integrate(&g, &gr, xi, wi, &acc);
    }
    if (direct) {
        fim_acc lin = {0};
        grid_integrate_direct(&g, &gl, xi, wi, &lin);
        grid_integrate_direct(&g, &gr, xi, wi, &lin);
        lin.R = acc.R;
        lin.row = acc.row;
        acc = lin;
    }
    if (acc.R && acc.row != acc.R->size1) {
        size_t want = acc.R->size1;
        gsl_matrix_free(acc.R);
        return SS_FAIL(SS_ERR_NUMERIC,
                       "gmm: quadrature grid miscounted (%zu of %zu rows)",
                       acc.row, want);
    }

    gsl_matrix_set(G, P_V, P_V, acc.vv);
    gsl_matrix_set(G, P_V, P_W1, acc.v1);
    gsl_matrix_set(G, P_W1, P_V, acc.v1);
    gsl_matrix_set(G, P_V, P_W2, acc.v2);
    gsl_matrix_set(G, P_W2, P_V, acc.v2);
    gsl_matrix_set(G, P_W1, P_W1, acc.w11);
    gsl_matrix_set(G, P_W1, P_W2, acc.w12);
    gsl_matrix_set(G, P_W2, P_W1, acc.w12);
    gsl_matrix_set(G, P_W2, P_W2, acc.w22);
    if (!isfinite(acc.vv + acc.v1 + acc.v2 + acc.w11 + acc.w12 + acc.w22)) {
        gsl_matrix_free(acc.R);
        return SS_FAIL(SS_ERR_NUMERIC,
                       "exact FIM of gmm overflows: at v = %g with "
                       "|w2 - w1| / s = %g the information on v grows like "
                       "exp((w2 - w1)^2 / s^2)", g.v, b);
    }
    if (root)
        *root = acc.R;
    return SS_OK;
}

/* ---- singular sets ------------------------------------------------------- */

static size_t gmm_singular_distances(const model *m, const double *theta,
                                     double *dist, size_t max)
{
    if (gmm_layout_of(m).K != 2)
        return gmm_k_singular_distances(m, theta, dist, max);
    const double d[3] = {fabs(theta[P_V]), fabs(1.0 - theta[P_V]),
                         fabs(theta[P_W1] - theta[P_W2]) / M_SQRT2};
    size_t n = max < 3 ? max : 3;
    for (size_t i = 0; i < n; i++)
        dist[i] = d[i];
    return n;
}

static size_t gmm_singular(const model *m, const double *theta,
                           model_singular *out, size_t max)
{
    static const char *const names[3][2] = {
        {"v = 0", "w2 unidentifiable (second component has zero weight)"},
        {"v = 1", "w1 unidentifiable (first component has zero weight)"},
        {"w1 = w2", "v unidentifiable (both components coincide)"},
    };
    if (gmm_layout_of(m).K != 2)
        return gmm_k_singular(m, theta, out, max);
    double d[3];
    size_t n = gmm_singular_distances(m, theta, d, max < 3 ? max : 3);
    for (size_t i = 0; i < n; i++) {
        snprintf(out[i].name, sizeof out[i].name, "%s", names[i][0]);
        snprintf(out[i].effect, sizeof out[i].effect, "%s", names[i][1]);
        out[i].distance = d[i];
    }
    return n;
}

static size_t gmm_nsingular(const model *m)
{
    return gmm_layout_of(m).K == 2 ? 3 : gmm_k_nsingular(m);
}

/* Blow-down chart (v, m, u): m = (1-v) w1 + v w2 is the mixture mean and
 * u = w2 - w1 the separation; on u = 0 the weight v drops out. K = 2 only
 * (with s free, s is the fourth coordinate, unchanged). */
static size_t gmm_coord_names(const model *m, char (*names)[MODEL_NAME_MAX])
{
    gmm_layout L = gmm_layout_of(m);
    if (L.K != 2)
        return 0;
    snprintf(names[0], MODEL_NAME_MAX, "v");
    snprintf(names[1], MODEL_NAME_MAX, "m");
    snprintf(names[2], MODEL_NAME_MAX, "u");
    if (L.sfree)
        snprintf(names[3], MODEL_NAME_MAX, "s");
    return L.sfree ? 4 : 3;
}

static ss_status gmm_to_coords(const model *m, const double *theta,
                               double *c)
{
    if (gmm_layout_of(m).K != 2)
        return SS_FAIL(SS_ERR_USAGE, "gmm: the blow-down chart (v, m, u) "
                                     "is for k = 2 only");
    c[0] = theta[0];
    c[1] = (1.0 - theta[0]) * theta[1] + theta[0] * theta[2];
    c[2] = theta[2] - theta[1];
    if (m->P == 4)
        c[3] = theta[3];
    return SS_OK;
}

static ss_status gmm_from_coords(const model *m, const double *c,
                                 double *theta)
{
    if (gmm_layout_of(m).K != 2)
        return SS_FAIL(SS_ERR_USAGE, "gmm: the blow-down chart (v, m, u) "
                                     "is for k = 2 only");
    theta[0] = c[0];
    theta[1] = c[1] - c[0] * c[2];
    theta[2] = c[1] + (1.0 - c[0]) * c[2];
    if (m->P == 4)
        theta[3] = c[3];
    return SS_OK;
}

static void gmm_describe(const model *m, const double *theta,
                         const ss_sink *out)
{
    if (!gmm_is_classic(m))
        gmm_k_describe(m, theta, out);
}

/* ---- generalisation error and test points -------------------------------- */

/* KL(p_t || p_m) = int p_t log(p_t / p_m) dx = sum_k pi_k int phi_k(x)
 * (log p_t - log p_m) dx over the teacher's components k, each in its own
 * standard units x = w_k + s_t z on the window |z| <= GMM_KL_L (the Gaussian
 * weight beyond is below e^{-L^2/2} ~ 1e-31 relative, while the log ratio
 * grows only like z^2), by GSL's adaptive Gauss-Kronrod (qags). Both log
 * densities come from pt_eval (log-sum-exp form), so separations of many s
 * and v at 0 or 1 cost no overflow. */
#include <gsl/gsl_errno.h>

#define GMM_KL_L 12.0
#define GMM_KL_LIMIT 200

typedef struct {
    gmm_par t, m; /* teacher and model */
    double wk;    /* centre of the teacher component */
} gmm_kl_ctx;

static double gmm_kl_integrand(double z, void *p)
{
    const gmm_kl_ctx *k = p;
    double off = k->t.s * z; /* x - wk */
    gmm_pt qt, qm;
    pt_eval(&k->t, (k->wk - k->t.w1) + off, (k->wk - k->t.w2) + off, &qt);
    pt_eval(&k->m, (k->wk - k->m.w1) + off, (k->wk - k->m.w2) + off, &qm);
    double lr = qt.lp - qm.lp;
    if (lr == 0.0)
        return 0.0;
    return exp(-0.5 * z * z) / sqrt(2.0 * M_PI) * lr;
}

/* The same integral for any layouts (gmm_k.h), log densities from the
 * general route. */
typedef struct {
    const model *t, *m;
    const double *theta;
    double wk, st;
} gmm_klk_ctx;

static double gmm_klk_integrand(double z, void *p)
{
    const gmm_klk_ctx *k = p;
    double x = k->wk + k->st * z;
    double lr = gmm_k_logp(k->t, k->t->theta, x) -
                gmm_k_logp(k->m, k->theta, x);
    if (lr == 0.0)
        return 0.0;
    return exp(-0.5 * z * z) / sqrt(2.0 * M_PI) * lr;
}

static ss_status gmm_kl_general(const model *m, const double *theta,
                                const model *teacher, double *kl)
{
    ss_status st = model_validate(m, theta);
    if (st == SS_OK)
        st = model_validate(teacher, teacher->theta);
    if (st != SS_OK)
        return st;
    gmm_layout L = gmm_layout_of(teacher);
    const double *tt = teacher->theta;
    gmm_klk_ctx k = {.t = teacher, .m = m, .theta = theta,
                     .st = L.sfree ? tt[2 * L.K - 1] : teacher->opt[0]};
    gsl_integration_workspace *ws =
        gsl_integration_workspace_alloc(GMM_KL_LIMIT);
    if (!ws)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    gsl_function F = {gmm_klk_integrand, &k};
    double total = 0.0, rest = 1.0;
    for (size_t c = 1; c < L.K; c++)
        rest -= tt[c - 1];
    for (size_t c = 0; c < L.K && st == SS_OK; c++) {
        double pc = c ? tt[c - 1] : (rest > 0.0 ? rest : 0.0);
        if (pc == 0.0)
            continue;
        k.wk = tt[L.K - 1 + c];
        double r, err;
        int rc = gsl_integration_qags(&F, -GMM_KL_L, GMM_KL_L, 1e-14, 1e-10,
                                      GMM_KL_LIMIT, ws, &r, &err);
        if (!isfinite(r) ||
            (rc != GSL_SUCCESS && !(err <= 1e-8 * fabs(r) + 1e-12)))
            st = SS_FAIL(SS_ERR_NUMERIC,
                         "gmm: the KL integral did not converge (%s, "
                         "estimated error %g)",
                         gsl_strerror(rc), err);
        total += pc * r;
    }
    gsl_integration_workspace_free(ws);
    if (st != SS_OK)
        return st;
    *kl = total > 0.0 ? total : 0.0;
    return SS_OK;
}

static ss_status gmm_kl_from(const model *m, const double *theta,
                             const model *teacher, double *kl)
{
    *kl = NAN;
    if (teacher->type != m->type)
        return SS_FAIL(SS_ERR_USAGE,
                       "gmm: KL from a %s teacher is not available (the "
                       "teacher must be a gmm)",
                       teacher->type->name);
    if (!gmm_is_classic(m) || !gmm_is_classic(teacher))
        return gmm_kl_general(m, theta, teacher, kl);
    if (!(theta[P_V] >= 0.0 && theta[P_V] <= 1.0) ||
        !(teacher->theta[P_V] >= 0.0 && teacher->theta[P_V] <= 1.0))
        return SS_FAIL(SS_ERR_RANGE, "gmm: v is outside [0, 1]");
    for (int i = 0; i < NPAR; i++)
        if (!isfinite(theta[i]) || !isfinite(teacher->theta[i]))
            return SS_FAIL(SS_ERR_RANGE, "gmm: KL needs finite parameters");
    gmm_kl_ctx k;
    par_init(&k.t, teacher, teacher->theta);
    par_init(&k.m, m, theta);
    gsl_integration_workspace *ws =
        gsl_integration_workspace_alloc(GMM_KL_LIMIT);
    if (!ws)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    gsl_function F = {gmm_kl_integrand, &k};
    double pis[2] = {1.0 - k.t.v, k.t.v}, ws_[2] = {k.t.w1, k.t.w2};
    double total = 0.0;
    ss_status st = SS_OK;
    for (int c = 0; c < 2 && st == SS_OK; c++) {
        if (pis[c] == 0.0)
            continue;
        k.wk = ws_[c];
        double r, err;
        int rc = gsl_integration_qags(&F, -GMM_KL_L, GMM_KL_L, 1e-14, 1e-10,
                                      GMM_KL_LIMIT, ws, &r, &err);
        /* rounding limits (GSL_EROUND) with a small error estimate are
         * accepted: the integrand is then below what doubles resolve */
        if (!isfinite(r) ||
            (rc != GSL_SUCCESS && !(err <= 1e-8 * fabs(r) + 1e-12)))
            st = SS_FAIL(SS_ERR_NUMERIC,
                         "gmm: the KL integral did not converge (%s, "
                         "estimated error %g)",
                         gsl_strerror(rc), err);
        total += pis[c] * r;
    }
    gsl_integration_workspace_free(ws);
    if (st != SS_OK)
        return st;
    /* KL >= 0; a negative total is quadrature rounding around 0 */
    *kl = total > 0.0 ? total : 0.0;
    return SS_OK;
}

/* ---- one EM step (learn/train.c: algo=em; infer/fit_em.c) ---------------- */

/* The E-step sums at 0 < v < 1 (responsibilities, their first moments and
 * the log-likelihood) over up to GMM_BLOCK points x[i * tda], bit for bit
 * those of the point-by-point loop (pt_eval_lp, sums in long double in
 * the order of the data), in passes as scores_block: z1, z2 and the
 * log-odds e operation for operation; t = e^{-|e|} (one glibc exp a point)
 * and log1p(t), each in a loop of its own; two points at a time in SSE2
 * registers r1, r2 and the log density of the heavier component (lane by
 * lane IEEE operations: the scalar bits); the long double sums last, in
 * a loop of additions only. */
typedef struct {
    long double s1, s2, x1, x2, ll;
} gmm_em_sums;

static void em_block(const gmm_par *g, const double *x, size_t tda, size_t n,
                     gmm_em_sums *S)
{
    double xs[GMM_BLOCK + 1], z1[GMM_BLOCK + 1], z2[GMM_BLOCK + 1],
        e[GMM_BLOCK + 1], t[GMM_BLOCK + 1], l1p[GMM_BLOCK + 1],
        r1[GMM_BLOCK + 1], r2[GMM_BLOCK + 1], lt[GMM_BLOCK + 1];
    for (size_t i = 0; i < n; i++)
        xs[i] = x[i * tda];
    /* an odd last point is paired with itself (its second lane unused) */
    const size_t np = n + (n & 1);
    if (n & 1)
        xs[n] = xs[n - 1];
    const gmm_v2 w1 = {g->w1, g->w1}, w2 = {g->w2, g->w2},
                 inv = {g->inv_s, g->inv_s}, sv = {g->s, g->s},
                 half = {0.5, 0.5}, us = {g->us, g->us},
                 lg = {g->logit, g->logit}, zero = {0.0, 0.0};
    const int zero_u = g->u == 0.0;
    for (size_t i = 0; i < np; i += 2) {
        gmm_v2 xv;
        memcpy(&xv, xs + i, sizeof xv);
        gmm_v2 z1v = g->s_pow2 ? (xv - w1) * inv : (xv - w1) / sv;
        gmm_v2 z2v = g->s_pow2 ? (xv - w2) * inv : (xv - w2) / sv;
        gmm_v2 dv = zero_u ? zero : us * (half * z1v + half * z2v);
        gmm_v2 ev = dv + lg;
        memcpy(z1 + i, &z1v, sizeof z1v);
        memcpy(z2 + i, &z2v, sizeof z2v);
        memcpy(e + i, &ev, sizeof ev);
    }
    for (size_t i = 0; i < n; i++)
        t[i] = exp(-fabs(e[i]));
    for (size_t i = 0; i < n; i++)
        l1p[i] = log1p(t[i]);
    if (n & 1)
        t[n] = t[n - 1];
    const gmm_v2 one = {1.0, 1.0}, mhalf = {-0.5, -0.5},
                 lnorm = {g->lnorm, g->lnorm}, lv = {g->lv, g->lv},
                 l1v = {g->l1v, g->l1v};
    for (size_t i = 0; i < np; i += 2) {
        gmm_v2 tv, ev, z1v, z2v;
        memcpy(&tv, t + i, sizeof tv);
        memcpy(&ev, e + i, sizeof ev);
        memcpy(&z1v, z1 + i, sizeof z1v);
        memcpy(&z2v, z2 + i, sizeof z2v);
        gmm_m2 pe = ev >= zero;
        gmm_v2 rb = one / (one + tv), rt = tv * rb;
        gmm_v2 r2v = v2_sel(pe, rb, rt), r1v = v2_sel(pe, rt, rb);
        gmm_v2 lphi1 = mhalf * z1v * z1v - lnorm,
               lphi2 = mhalf * z2v * z2v - lnorm;
        gmm_v2 ltv = v2_sel(pe, lv + lphi2, l1v + lphi1);
        memcpy(r1 + i, &r1v, sizeof r1v);
        memcpy(r2 + i, &r2v, sizeof r2v);
        memcpy(lt + i, &ltv, sizeof ltv);
    }
    long double s1 = S->s1, s2 = S->s2, x1 = S->x1, x2 = S->x2, ll = S->ll;
    for (size_t i = 0; i < n; i++) {
        s1 += r1[i];
        s2 += r2[i];
        x1 += r1[i] * xs[i];
        x2 += r2[i] * xs[i];
        ll += lt[i] + l1p[i];
    }
    S->s1 = s1;
    S->s2 = s2;
    S->x1 = x1;
    S->x2 = x2;
    S->ll = ll;
}

/* The M-step from the sums (see gmm_em_step). */
static void em_mstep(const model *m, const double *theta, long double s1,
                     long double s2, long double x1, long double x2,
                     double *theta_out)
{
    for (int i = 0; i < NPAR; i++)
        theta_out[i] = theta[i];
    if (m->is_free[P_V]) {
        double v = (double)(s2 / (s1 + s2));
        theta_out[P_V] = v < 0.0 ? 0.0 : v > 1.0 ? 1.0 : v;
    }
    if (m->is_free[P_W1] && s1 > 0)
        theta_out[P_W1] = (double)(x1 / s1);
    if (m->is_free[P_W2] && s2 > 0)
        theta_out[P_W2] = (double)(x2 / s2);
}

/* E-step: the responsibilities r1, r2 of the two components at theta
 * (in log space). M-step: the complete-data
 * log-likelihood separates into a v-part, sum (r1 log(1-v) + r2 log v), and one
 * Gaussian part per mean, so maximising over the free parameters with the
 * others fixed is exact: v = mean r2, wk = sum rk x / sum rk. v stays in
 * [0, 1] (a mean of responsibilities); a mean whose component has no
 * weight on the data (sum rk = 0: v = 0 or 1) keeps its value. Each step
 * does not decrease the log-likelihood (Dempster, Laird & Rubin 1977).
 * At 0 < v < 1 the E-step runs in blocks (em_block: the same bits, one
 * exp and one log1p a point, the arithmetic in loops without calls); at
 * v = 0 or 1 point by point (pt_eval_lp). */
static ss_status gmm_em_step(const model *m, const double *theta,
                             const gsl_matrix *data, double *theta_out,
                             double *loglik)
{
    if (!gmm_is_classic(m))
        return gmm_k_em_step(m, theta, data, theta_out, loglik);
    if (data->size2 < 1 || data->size1 == 0)
        return SS_FAIL(SS_ERR_USAGE, "gmm: EM needs a data set with a "
                                     "column x and at least one row");
    if (!(theta[P_V] >= 0.0 && theta[P_V] <= 1.0))
        return SS_FAIL(SS_ERR_RANGE, "gmm: v = %g is outside [0, 1]",
                       theta[P_V]);
    gmm_par g;
    par_init(&g, m, theta);
    const double *src = data->data;
    const size_t n = data->size1, tda = data->tda;
    if (g.v > 0.0 && g.v < 1.0) {
        gmm_em_sums S = {0, 0, 0, 0, 0};
        for (size_t i = 0; i < n; i += GMM_BLOCK)
            em_block(&g, src + i * tda, tda,
                     n - i < GMM_BLOCK ? n - i : GMM_BLOCK, &S);
        if (loglik)
            *loglik = (double)S.ll;
        em_mstep(m, theta, S.s1, S.s2, S.x1, S.x2, theta_out);
        return SS_OK;
    }
    long double s1 = 0, s2 = 0, x1 = 0, x2 = 0, ll = 0;
    for (size_t i = 0; i < n; i++) {
        gmm_pt q;
        double x = src[i * tda];
        pt_eval_lp(&g, x - g.w1, x - g.w2, &q, loglik != NULL);
        s1 += q.r1;
        s2 += q.r2;
        x1 += q.r1 * x;
        x2 += q.r2 * x;
        if (loglik)
            ll += q.lp;
    }
    if (loglik)
        *loglik = (double)ll;
    em_mstep(m, theta, s1, s2, x1, x2, theta_out);
    return SS_OK;
}

/* Label switching: with v, w1 and w2 all free, (v, w1, w2) and
 * (1 - v, w2, w1) are the same mixture; the canonical labelling has
 * w1 <= w2. */
static int gmm_canonical(const model *m, double *theta, char *note, size_t n)
{
    if (gmm_layout_of(m).K != 2)
        return gmm_k_canonical(m, theta, note, n);
    if (!m->is_free[P_V] || !m->is_free[P_W1] || !m->is_free[P_W2])
        return 0;
    if (theta[P_W1] > theta[P_W2]) {
        double t = theta[P_W1];
        theta[P_W1] = theta[P_W2];
        theta[P_W2] = t;
        theta[P_V] = 1.0 - theta[P_V];
    }
    snprintf(note, n, "labelled so that w1 <= w2 ((v, w1, w2) and "
                      "(1 - v, w2, w1) are the same mixture)");
    return 1;
}

/* The battery's points on and near the singular sets (theory.md, section
 * 2). Separations stay small (|w2 - w1| <= 0.5 s) at v = 0, 1 and near
 * them: there s_v is lognormal-like with log-sd b, and s s^T must have
 * moments of order 4 for Monte-Carlo standard errors to be trustworthy. */
static const model_testpoint gmm_testpoints[] = {
    {"v=0", "v=0 w1=0 w2=0.5", NULL, MODEL_TP_ON, 2, 0},
    {"v=0 Hartigan (w1 fixed)", "v=0 w1=0 w2=0.5", "w1", MODEL_TP_ON, 1, 0},
    {"v=1", "v=1 w1=-0.3 w2=0.2", NULL, MODEL_TP_ON, 2, 0},
    {"w1=w2", "v=0.3 w1=0.4 w2=0.4", NULL, MODEL_TP_ON, 1, 0},
    {"w1=w2 s=2", "s=2 v=0.5 w1=-1 w2=-1", NULL, MODEL_TP_ON, 1, 0},
    {"w1=w2 v=0", "v=0 w1=0.4 w2=0.4", NULL, MODEL_TP_ON, 1, 0},
    /* near v = 0: lambda_min ~ 1.2e-14 relative to lambda_max, resolved
     * through the root factor (floor ~ 1e-29 relative) */
    {"v=1e-6", "v=1e-6 w1=0.1 w2=0.6", NULL, MODEL_TP_NEAR, 3, 1e-20},
    /* near w1 = w2: lambda ~ 0.58, 1.5e-9, 4.2e-26 (orders 1, u^2, u^6) */
    {"|w1-w2|=1e-4", "v=0.3 w1=0.2 w2=0.2001", NULL, MODEL_TP_NEAR, 3,
     1e-27},
    /* the general layout (gmm_k.c): K = 1, K = 3, s free */
    {"k=1 s=free", "k=1 s=free w1=0.3", NULL, MODEL_TP_GENERIC, 2, 0},
    {"k=2 s=free", "s=free v=0.4 w1=-1 w2=1", NULL, MODEL_TP_GENERIC,
     4, 0},
    {"k=3", "k=3 v2=0.3 v3=0.25 w1=-1 w2=0.5 w3=1.5", NULL,
     MODEL_TP_GENERIC, 5, 0},
    {"k=3 s=free", "k=3 s=free v2=0.3 v3=0.25 w1=-1 w2=0.5 w3=1.5",
     NULL, MODEL_TP_GENERIC, 6, 0},
    /* w2 = w3 merges two components: a 2-component mixture with 3
     * parameters (total weight, w1, w2), so rank 3 of 5 */
    {"k=3 w2=w3", "k=3 v2=0.3 v3=0.25 w1=-1 w2=0.8 w3=0.8", NULL,
     MODEL_TP_ON, 3, 0},
    /* v3 = 0: w3 drops out, rank 4 of 5 */
    {"k=3 v3=0", "k=3 v2=0.3 v3=0 w1=-0.5 w2=0.4 w3=0.2", NULL, MODEL_TP_ON,
     4, 0},
};

const model_type model_gmm_type = {
    .name = "gmm",
    .summary = "1-D Gaussian mixture: k=K components (default 2), s known or free",
    .help =
        "p(x) = (1 - v) N(x; w1, s^2) + v N(x; w2, s^2), s known (option s, "
        "default 1).\n"
        "  v   weight of the second component, in [0, 1]\n"
        "  w1  mean of the first component\n"
        "  w2  mean of the second component\n"
        "Singular sets: v = 0 (w2 unidentifiable), v = 1 (w1 "
        "unidentifiable),\n"
        "w1 = w2 (v unidentifiable). Near w1 = w2 the FIM eigenvalues scale "
        "like 1, u^2, u^6 (u = w2 - w1).\n"
        "Fixing w1 = 0 gives Hartigan's model (1-a) N(0,1) + a N(mu,1).\n"
        "Blow-down coordinates: v, m = (1-v) w1 + v w2 (the mean) and "
        "u = w2 - w1 (path and map accept them as axes).\n"
        "k=K (1..10, default 2) gives K components: for K != 2 the "
        "parameters are v2..vK (weights of components 2..K, each in "
        "[0, 1], summing to at most 1; component 1 has weight "
        "1 - v2 - ... - vK) and the means w1..wK (K = 1: N(w1, s^2)); "
        "singular where a weight is 0 or two means are equal. "
        "s=free makes the common standard deviation s a parameter (the "
        "last, in (0, inf), starting at 1: set its value with `set`).",
    .opts = gmm_opts,
    .nopts = sizeof gmm_opts / sizeof gmm_opts[0],
    .param_summary = "v=0.5 w1=0 w2=1",
    .configure = gmm_configure,
    .check = gmm_check,
    .data_cols = gmm_data_cols,
    .data_colname = gmm_data_colname,
    .sample = gmm_sample,
    .loglik_terms = gmm_loglik_terms,
    .fim_exact = gmm_fim_exact,
    .singular = gmm_singular,
    .nsingular = gmm_nsingular,
    .singular_distances = gmm_singular_distances,
    .describe = gmm_describe,
    .coord_names = gmm_coord_names,
    .to_coords = gmm_to_coords,
    .from_coords = gmm_from_coords,
    .release = NULL,
    .copy_state = NULL,
    .data_kind = MODEL_DATA_IID,
    .kl_from = gmm_kl_from,
    .em_step = gmm_em_step,
    .canonical = gmm_canonical,
    .testpoints = gmm_testpoints,
    .ntestpoints = sizeof gmm_testpoints / sizeof gmm_testpoints[0],
};

const model_type *const model_gmm = &model_gmm_type;

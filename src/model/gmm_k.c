/* gmm, the general route (gmm_k.h): K components with weights
 * pi_1 = 1 - (v2 + ... + vK), pi_k = v_k (K = 2: pi_2 = v), means w_k and
 * a common standard deviation s, known (the option) or free (the last
 * parameter):
 *   p(x) = sum_k pi_k N(x; w_k, s^2).
 * Everything in log space per point: log phi_k = -z_k^2/2 - log(s sqrt(2pi))
 * with z_k = (x - w_k)/s, log p by log-sum-exp, responsibilities
 * r_k = pi_k phi_k / p. Scores (theory.md, gmm):
 *   d/dv_k log p = (phi_k - phi_1) / p      (k >= 2),
 *   d/dw_k log p = r_k z_k / s,
 *   d/ds   log p = (sum_k r_k z_k^2 - 1) / s,
 * the first from d = log phi_k - log phi_1 in the factored form
 * ((w_k - w_1)/s)(z_1 + z_k)/2 and an expm1, as the classic code does, so
 * it has no cancellation near w_k = w_1 and is finite at pi_k = 0. */
#include "model/gmm_k.h"

#include <float.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

gmm_layout gmm_layout_of(const model *m)
{
    gmm_layout L;
    L.sfree = m->opt_choice && m->opt_choice[0] != NULL;
    L.K = (m->P + 1 - (size_t)L.sfree) / 2;
    return L;
}

int gmm_is_classic(const model *m)
{
    gmm_layout L = gmm_layout_of(m);
    return L.K == 2 && !L.sfree;
}

/* Per-parameter-point constants. */
typedef struct {
    size_t K, P;
    int sfree;
    double pi[GMM_KMAX], lpi[GMM_KMAX], w[GMM_KMAX];
    double s, lnorm;
} gk_par;

static double weight_sum(size_t K, const double *theta)
{
    double t = 0;
    for (size_t k = 0; k + 1 < K; k++)
        t += theta[k];
    return t;
}

static void par_init(gk_par *g, const model *m, const double *theta)
{
    gmm_layout L = gmm_layout_of(m);
    g->K = L.K;
    g->sfree = L.sfree;
    g->P = m->P;
    double rest = 1.0 - weight_sum(L.K, theta);
    g->pi[0] = rest > 0.0 ? rest : 0.0;
    for (size_t k = 1; k < L.K; k++)
        g->pi[k] = theta[k - 1];
    for (size_t k = 0; k < L.K; k++) {
        g->lpi[k] = log(g->pi[k]); /* -inf at a zero weight, by design */
        g->w[k] = theta[L.K - 1 + k];
    }
    g->s = L.sfree ? theta[2 * L.K - 1] : m->opt[0];
    g->lnorm = log(g->s) + 0.5 * log(2.0 * M_PI);
}

/* Per point: z_k, log phi_k, log p, r_k. The offsets y_k = x - w_k come
 * from the caller (the quadrature forms them without rounding x). */
typedef struct {
    double z[GMM_KMAX], lphi[GMM_KMAX], r[GMM_KMAX];
    double lp;
} gk_pt;

static void pt_eval(const gk_par *g, const double *y, gk_pt *q)
{
    double lk[GMM_KMAX], mx = -INFINITY;
    for (size_t k = 0; k < g->K; k++) {
        q->z[k] = y[k] / g->s;
        q->lphi[k] = -0.5 * q->z[k] * q->z[k] - g->lnorm;
        lk[k] = g->lpi[k] + q->lphi[k];
        if (lk[k] > mx)
            mx = lk[k];
    }
    double sum = 0;
    for (size_t k = 0; k < g->K; k++)
        sum += lk[k] == -INFINITY ? 0.0 : exp(lk[k] - mx);
    q->lp = mx + log(sum);
    for (size_t k = 0; k < g->K; k++)
        q->r[k] = lk[k] == -INFINITY ? 0.0 : exp(lk[k] - q->lp);
}

static void offsets(const gk_par *g, double x, double *y)
{
    for (size_t k = 0; k < g->K; k++)
        y[k] = x - g->w[k];
}

/* (phi_k - phi_1) / p times exp(c) (c = 0: the score; c = lp/2: a row of
 * the root factor), from the larger of the two densities. */
static double weight_score(const gk_par *g, const gk_pt *q, size_t k,
                           double c)
{
    double u = (g->w[k] - g->w[0]) / g->s;
    double d = u == 0.0 ? 0.0 : u * (0.5 * q->z[0] + 0.5 * q->z[k]);
    if (d >= 0.0)
        return d == 0.0 ? 0.0 : exp(q->lphi[k] - q->lp + c) * -expm1(-d);
    return exp(q->lphi[0] - q->lp + c) * expm1(d);
}

/* The score row at a point (P entries). */
static void score_row(const gk_par *g, const gk_pt *q, double *row)
{
    size_t K = g->K;
    for (size_t k = 1; k < K; k++)
        row[k - 1] = weight_score(g, q, k, 0.0);
    double zz = 0;
    for (size_t k = 0; k < K; k++) {
        row[K - 1 + k] = q->r[k] == 0.0 ? 0.0 : q->r[k] * (q->z[k] / g->s);
        zz += q->r[k] == 0.0 ? 0.0 : q->r[k] * q->z[k] * q->z[k];
    }
    if (g->sfree)
        row[2 * K - 1] = (zz - 1.0) / g->s;
}

/* ---- validity ------------------------------------------------------------ */

static void sum_names(char *buf, size_t n, size_t K)
{
    if (K <= 4) {
        size_t o = 0;
        buf[0] = 0;
        for (size_t k = 2; k <= K && o < n; k++)
            o += (size_t)snprintf(buf + o, n - o, "%sv%zu", k > 2 ? " + " : "",
                                  k);
    } else {
        snprintf(buf, n, "v2 + ... + v%zu", K);
    }
}

ss_status gmm_k_check(const model *m, const double *theta)
{
    gmm_layout L = gmm_layout_of(m);
    if (L.sfree && !(theta[2 * L.K - 1] > 0.0))
        return SS_FAIL(SS_ERR_RANGE,
                       "gmm: s = %g must be positive (the common standard "
                       "deviation)",
                       theta[2 * L.K - 1]);
    if (L.K >= 3) {
        double t = weight_sum(L.K, theta);
        if (!(t <= 1.0 + GMM_K_SUM_TOL)) {
            char nm[64];
            sum_names(nm, sizeof nm, L.K);
            return SS_FAIL(SS_ERR_RANGE,
                           "gmm: the weights %s = %.12g exceed 1 (component "
                           "1 has weight 1 - (%s))",
                           nm, t, nm);
        }
    }
    return SS_OK;
}

static ss_status check_point(const model *m, const double *theta)
{
    gmm_layout L = gmm_layout_of(m);
    for (size_t k = 0; k + 1 < L.K; k++)
        if (!(theta[k] >= 0.0 && theta[k] <= 1.0))
            return SS_FAIL(SS_ERR_RANGE, "gmm: %s = %g is outside [0, 1]",
                           MODEL_PNAME(m, k), theta[k]);
    for (size_t i = 0; i < m->P; i++)
        if (!isfinite(theta[i]))
            return SS_FAIL(SS_ERR_RANGE, "gmm: %s = %g is not finite",
                           MODEL_PNAME(m, i), theta[i]);
    return gmm_k_check(m, theta);
}

/* The classic grid check (gmm.c, check_grid) for every mean. */
#define GMM_GRID_TOL 1e-6
static ss_status check_grid(const gk_par *g, const char *what)
{
    double M = 0;
    for (size_t k = 0; k < g->K; k++)
        M = fmax(M, fabs(g->w[k]));
    double x = M + 10.0 * g->s, step = nextafter(x, INFINITY) - x;
    if (!(step <= GMM_GRID_TOL * g->s))
        return SS_FAIL(SS_ERR_RANGE,
                       "gmm: %s at |w| = %g with s = %g: doubles near the "
                       "means are %g apart (%.3g s), too coarse to resolve "
                       "the components; shift the means",
                       what, M, g->s, step, step / g->s);
    return SS_OK;
}

/* ---- sampling and the likelihood ----------------------------------------- */

ss_status gmm_k_sample(const model *m, const double *theta, gsl_rng *r,
                       gsl_matrix *out)
{
    if (out->size2 != 1)
        return SS_FAIL(SS_ERR_USAGE, "gmm: sample matrix must have 1 column, "
                                     "got %zu", out->size2);
    ss_status st = check_point(m, theta);
    if (st != SS_OK)
        return st;
    gk_par g;
    par_init(&g, m, theta);
    if ((st = check_grid(&g, "sampling")) != SS_OK)
        return st;
    /* one uniform u for the component: component K when u < pi_K, then
     * K - 1 when u < pi_K + pi_{K-1}, ..., else component 1 (K = 2: the
     * classic rule u < v), and one standard normal by the ziggurat */
    for (size_t i = 0; i < out->size1; i++) {
        double u = gsl_rng_uniform(r), c = 0;
        size_t k = 0;
        for (size_t j = g.K; j-- > 1;) {
            c += g.pi[j];
            if (u < c) {
                k = j;
                break;
            }
        }
        out->data[i * out->tda] =
            g.w[k] + g.s * gsl_ran_gaussian_ziggurat(r, 1.0);
    }
    return SS_OK;
}

ss_status gmm_k_loglik_terms(const model *m, const double *theta,
                             const gsl_matrix *data, double *ell,
                             gsl_matrix *scores)
{
    if (data->size2 < 1)
        return SS_FAIL(SS_ERR_USAGE, "gmm: data needs 1 column (x)");
    if (!ell && !scores)
        return SS_OK;
    if (scores && (scores->size1 != data->size1 || scores->size2 != m->P))
        return SS_FAIL(SS_ERR_USAGE, "gmm: scores must be %zu x %zu, got "
                                     "%zu x %zu", data->size1, m->P,
                       scores->size1, scores->size2);
    ss_status st = check_point(m, theta);
    if (st != SS_OK)
        return st;
    gk_par g;
    par_init(&g, m, theta);
    if (scores && (st = check_grid(&g, "scores on data")) != SS_OK)
        return st;
    for (size_t i = 0; i < data->size1; i++) {
        double y[GMM_KMAX];
        gk_pt q;
        offsets(&g, data->data[i * data->tda], y);
        pt_eval(&g, y, &q);
        if (ell)
            ell[i] = q.lp;
        if (scores)
            score_row(&g, &q, scores->data + i * scores->tda);
    }
    return SS_OK;
}

double gmm_k_logp(const model *m, const double *theta, double x)
{
    gk_par g;
    par_init(&g, m, theta);
    double y[GMM_KMAX];
    gk_pt q;
    offsets(&g, x, y);
    pt_eval(&g, y, &q);
    return q.lp;
}

/* ---- exact Fisher information --------------------------------------------
 * G = int s s^T p dx by composite 10-point Gauss-Legendre (the classic
 * route's nodes) on one stretch [w_min - (L + b) s, w_max + (L + b) s],
 * b = (w_max - w_min)/s: the classic window for a zero weight on either
 * side (the far-side growth of phi_k^2 / p is centred b beyond a mean),
 * covering every smaller weight. The poles of 1/p come no closer to the
 * real axis than pi s / b (two components at separation b s cross over
 * with poles at heights pi s^2 / |u| (2j+1)); panels are at most s wide
 * and at most half that distance, the classic rule's ratio GL_C = 0.5.
 * Every node gives a row sqrt(omega p) s(x) of the root, in log space
 * (sqrt p times 1/p never meets as 0 * inf), and G = R^T R. */
#define GK_GL_N 10
#define GK_GL_L 10.0
static const double gk_x[GK_GL_N] = {
    -0x1.f2a3e062af2d8p-1, -0x1.bae995e9cb2f3p-1, -0x1.5bdb9228de198p-1,
    -0x1.bbcc009016adcp-2, -0x1.30e507891e27ap-3, 0x1.30e507891e27ap-3,
    0x1.bbcc009016adcp-2,  0x1.5bdb9228de198p-1,  0x1.bae995e9cb2f3p-1,
    0x1.f2a3e062af2d8p-1};
static const double gk_w[GK_GL_N] = {
    0x1.1115f8b62dc1fp-4, 0x1.32138c878efe5p-3, 0x1.c0b059d00bc31p-3,
    0x1.13baa7a559bfep-2, 0x1.2e9de7014d6efp-2, 0x1.2e9de7014d6efp-2,
    0x1.13baa7a559bfep-2, 0x1.c0b059d00bc31p-3, 0x1.32138c878efe5p-3,
    0x1.1115f8b62dc1fp-4};

ss_status gmm_k_fim_exact(const model *m, const double *theta, gsl_matrix *G,
                          gsl_matrix **root)
{
    if (root)
        *root = NULL;
    size_t P = m->P;
    if (G->size1 != P || G->size2 != P)
        return SS_FAIL(SS_ERR_USAGE, "gmm: G must be %zu x %zu", P, P);
    ss_status st = check_point(m, theta);
    if (st != SS_OK)
        return st;
    gk_par g;
    par_init(&g, m, theta);
    double lo = g.w[0], hi = g.w[0];
    for (size_t k = 1; k < g.K; k++) {
        lo = fmin(lo, g.w[k]);
        hi = fmax(hi, g.w[k]);
    }
    double s = g.s, b = (hi - lo) / s;
    if (!(b <= GMM_K_MAX_SEP))
        return SS_FAIL(SS_ERR_RANGE,
                       "exact FIM of gmm: (max - min mean) / s = %g exceeds "
                       "%g; the quadrature would need too many nodes (use "
                       "the mc method)",
                       b, GMM_K_MAX_SEP);
    double reach = (GK_GL_L + b) * s;
    double a0 = -reach, a1 = (hi - lo) + reach; /* offsets from lo */
    double h = s;
    if (b > 0.0 && 0.5 * M_PI * s / b < h)
        h = 0.5 * M_PI * s / b;
    size_t npan = (size_t)ceil((a1 - a0) / h);
    h = (a1 - a0) / (double)npan;
    size_t nodes = npan * GK_GL_N;
    gsl_matrix *R = NULL;
    if (root && !(R = gsl_matrix_alloc(nodes, P)))
        return SS_FAIL(SS_ERR_NOMEM, "out of memory (%zu quadrature nodes)",
                       nodes);
    double dw[GMM_KMAX];
    for (size_t k = 0; k < g.K; k++)
        dw[k] = g.w[k] - lo;
    gsl_matrix_set_zero(G);
    double row[2 * GMM_KMAX];
    for (size_t pn = 0; pn < npan; pn++) {
        double c = a0 + ((double)pn + 0.5) * h, hh = 0.5 * h;
        for (size_t j = 0; j < GK_GL_N; j++) {
            double t = c + hh * gk_x[j], y[GMM_KMAX];
            for (size_t k = 0; k < g.K; k++)
                y[k] = t - dw[k];
            gk_pt q;
            pt_eval(&g, y, &q);
            double sw = sqrt(hh * gk_w[j]), hp = 0.5 * q.lp;
            double sp = sw * exp(hp);
            for (size_t k = 1; k < g.K; k++)
                row[k - 1] = sw * weight_score(&g, &q, k, hp);
            double zz = 0;
            for (size_t k = 0; k < g.K; k++) {
                row[g.K - 1 + k] =
                    q.r[k] == 0.0 ? 0.0 : sp * q.r[k] * (q.z[k] / s);
                zz += q.r[k] == 0.0 ? 0.0 : q.r[k] * q.z[k] * q.z[k];
            }
            if (g.sfree)
                row[P - 1] = sp * ((zz - 1.0) / s);
            for (size_t a = 0; a < P; a++)
                for (size_t bb = a; bb < P; bb++)
                    G->data[a * G->tda + bb] += row[a] * row[bb];
            if (R)
                memcpy(R->data + (pn * GK_GL_N + j) * R->tda, row,
                       P * sizeof *row);
        }
    }
    int finite = 1;
    for (size_t a = 0; a < P; a++)
        for (size_t bb = a; bb < P; bb++) {
            double v = gsl_matrix_get(G, a, bb);
            finite &= isfinite(v);
            gsl_matrix_set(G, bb, a, v);
        }
    if (!finite) {
        gsl_matrix_free(R);
        return SS_FAIL(SS_ERR_NUMERIC,
                       "exact FIM of gmm overflows: with a weight near 0 "
                       "at (max - min mean) / s = %g the information on the "
                       "weights grows like exp(separation^2 / s^2)",
                       b);
    }
    if (root)
        *root = R;
    return SS_OK;
}

/* ---- EM ------------------------------------------------------------------
 * E-step: responsibilities r_ik at theta (and log p, summed). M-step over
 * the free parameters, exact:
 *   weights: maximise sum_k S_k log pi_k (S_k = sum_i r_ik) over the free
 *     pi_k (k >= 2 with v_k free, and pi_1) with the fixed ones held and
 *     the free ones inside their bounds, summing to R = 1 - the fixed:
 *     pi_k = clamp(c S_k, lo_k, hi_k), pi_1 = c S_1, c found by bisection
 *     where bounds bind (c = R / sum S when none does);
 *   means: w_k = sum_i r_ik x_i / S_k (kept where S_k = 0);
 *   s: s^2 = (1/n) sum_i sum_k r_ik (x_i - w_k)^2 with the new means (the
 *     joint maximum over means and s for the given weights), clipped into
 *     s's bounds (the term is unimodal in s).
 * Each step does not decrease the log-likelihood (Dempster, Laird & Rubin
 * 1977). */
static double clampd(double x, double lo, double hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

static void weights_mstep(const model *m, size_t K, const double *S,
                          const double *theta, double *out)
{
    int anyfree = 0;
    double R = 1.0;
    for (size_t k = 1; k < K; k++) {
        if (m->is_free[k - 1])
            anyfree = 1;
        else
            R -= theta[k - 1];
    }
    if (!anyfree)
        return;
    if (R < 0.0)
        R = 0.0;
    double lo[GMM_KMAX], hi[GMM_KMAX], tot = S[0];
    int bind = 0;
    for (size_t k = 1; k < K; k++) {
        if (!m->is_free[k - 1])
            continue;
        lo[k] = model_param_lo(m, k - 1);
        hi[k] = model_param_hi(m, k - 1);
        tot += S[k];
        bind |= lo[k] > 0.0 || hi[k] < 1.0;
    }
    if (!(tot > 0.0))
        return;
    double c = R / tot;
    if (bind) {
        /* g(c) = pi_1 + sum of the free pi_k is increasing in c */
        double clo = 0.0, chi = c;
        for (int it = 0; it < 200; it++) {
            double sum = S[0] * chi;
            for (size_t k = 1; k < K; k++)
                if (m->is_free[k - 1])
                    sum += clampd(chi * S[k], lo[k], hi[k]);
            if (sum >= R || chi > 1e300)
                break;
            chi *= 2.0;
        }
        for (int it = 0; it < 200 && chi - clo > 1e-17 * chi; it++) {
            double mid = 0.5 * (clo + chi), sum = S[0] * mid;
            for (size_t k = 1; k < K; k++)
                if (m->is_free[k - 1])
                    sum += clampd(mid * S[k], lo[k], hi[k]);
            if (sum >= R)
                chi = mid;
            else
                clo = mid;
        }
        c = chi;
    }
    double sum = 0;
    for (size_t k = 1; k < K; k++)
        if (m->is_free[k - 1]) {
            out[k - 1] =
                bind ? clampd(c * S[k], lo[k], hi[k]) : c * S[k];
            sum += out[k - 1];
        }
    /* rounding must not push the free weights past R */
    double fixed = 1.0 - R, all = sum + fixed;
    if (all > 1.0 && sum > 0.0)
        for (size_t k = 1; k < K; k++)
            if (m->is_free[k - 1])
                out[k - 1] *= (1.0 - fixed) / sum;
}

ss_status gmm_k_em_step(const model *m, const double *theta,
                        const gsl_matrix *data, double *theta_out,
                        double *loglik)
{
    if (data->size2 < 1 || data->size1 == 0)
        return SS_FAIL(SS_ERR_USAGE, "gmm: EM needs a data set with a "
                                     "column x and at least one row");
    ss_status st = check_point(m, theta);
    if (st != SS_OK)
        return st;
    gk_par g;
    par_init(&g, m, theta);
    size_t K = g.K, n = data->size1;
    /* sums over x - c with c the mixture mean at theta, so that the
     * residual sums of squares below do not cancel */
    double c = 0;
    for (size_t k = 0; k < K; k++)
        c += g.pi[k] * g.w[k];
    long double S[GMM_KMAX] = {0}, X[GMM_KMAX] = {0}, XX[GMM_KMAX] = {0},
                ll = 0;
    for (size_t i = 0; i < n; i++) {
        double x = data->data[i * data->tda], y[GMM_KMAX];
        gk_pt q;
        offsets(&g, x, y);
        pt_eval(&g, y, &q);
        ll += q.lp;
        double xc = x - c;
        for (size_t k = 0; k < K; k++) {
            S[k] += q.r[k];
            X[k] += q.r[k] * xc;
            XX[k] += q.r[k] * xc * xc;
        }
    }
    if (loglik)
        *loglik = (double)ll;
    memcpy(theta_out, theta, m->P * sizeof *theta_out);
    double Sd[GMM_KMAX];
    for (size_t k = 0; k < K; k++)
        Sd[k] = (double)S[k];
    weights_mstep(m, K, Sd, theta, theta_out);
    for (size_t k = 0; k < K; k++)
        if (m->is_free[K - 1 + k] && S[k] > 0)
            theta_out[K - 1 + k] = (double)(c + X[k] / S[k]);
    if (g.sfree && m->is_free[2 * K - 1]) {
        /* sum_i r_ik (x_i - w_k)^2 = XX_k - 2 e X_k + e^2 S_k, e = w_k - c */
        long double ss = 0;
        for (size_t k = 0; k < K; k++) {
            long double e = (long double)theta_out[K - 1 + k] - c;
            ss += XX[k] - 2 * e * X[k] + e * e * S[k];
        }
        double v = (double)(ss / (long double)n);
        if (!(v > 0.0))
            return SS_FAIL(SS_ERR_NUMERIC,
                           "gmm EM: the common variance collapsed to 0 (the "
                           "data sit on the means)");
        size_t is = 2 * K - 1;
        theta_out[is] = clampd(sqrt(v), model_param_lo(m, is),
                               model_param_hi(m, is));
        if (!(theta_out[is] > 0.0))
            theta_out[is] = theta[is];
    }
    return SS_OK;
}

/* ---- singular sets -------------------------------------------------------
 * For K != 2: each weight 0 (pi_k = 0: w_k unidentifiable; pi_1 = 0 is the
 * face v2 + ... + vK = 1, at distance |1 - sum| / sqrt(K - 1)), then every
 * pair of equal means w_j = w_k (only their total weight identifiable),
 * at distance |w_j - w_k| / sqrt 2. K = 1 has none. The common s is never
 * singular. */
size_t gmm_k_nsingular(const model *m)
{
    size_t K = gmm_layout_of(m).K;
    return K < 2 ? 0 : K + K * (K - 1) / 2;
}

size_t gmm_k_singular_distances(const model *m, const double *theta,
                                double *dist, size_t max)
{
    size_t K = gmm_layout_of(m).K, o = 0;
    if (K < 2)
        return 0;
    if (o < max)
        dist[o++] = fabs(1.0 - weight_sum(K, theta)) / sqrt((double)(K - 1));
    for (size_t k = 1; k < K && o < max; k++)
        dist[o++] = fabs(theta[k - 1]);
    for (size_t j = 0; j < K; j++)
        for (size_t k = j + 1; k < K && o < max; k++)
            dist[o++] =
                fabs(theta[K - 1 + j] - theta[K - 1 + k]) / M_SQRT2;
    return o;
}

size_t gmm_k_singular(const model *m, const double *theta,
                      model_singular *out, size_t max)
{
    size_t K = gmm_layout_of(m).K;
    double d[GMM_KMAX + GMM_KMAX * (GMM_KMAX - 1) / 2];
    size_t n = gmm_k_singular_distances(m, theta, d,
                                        max < sizeof d / sizeof d[0]
                                            ? max
                                            : sizeof d / sizeof d[0]);
    size_t o = 0;
    char nm[40];
    sum_names(nm, sizeof nm, K);
    for (size_t k = 0; k < K && o < n; k++, o++) {
        if (k == 0)
            snprintf(out[o].name, sizeof out[o].name, "%s = 1", nm);
        else
            snprintf(out[o].name, sizeof out[o].name, "v%zu = 0", k + 1);
        snprintf(out[o].effect, sizeof out[o].effect,
                 "w%zu unidentifiable (component %zu has zero weight)", k + 1,
                 k + 1);
        out[o].distance = d[o];
    }
    for (size_t j = 0; j < K; j++)
        for (size_t k = j + 1; k < K && o < n; k++, o++) {
            snprintf(out[o].name, sizeof out[o].name, "w%zu = w%zu", j + 1,
                     k + 1);
            snprintf(out[o].effect, sizeof out[o].effect,
                     "components %zu and %zu coincide: only their total "
                     "weight is identifiable",
                     j + 1, k + 1);
            out[o].distance = d[o];
        }
    return o;
}

/* ---- labelling and show -------------------------------------------------- */

int gmm_k_canonical(const model *m, double *theta, char *note, size_t n)
{
    size_t K = gmm_layout_of(m).K;
    if (K < 2)
        return 0;
    for (size_t i = 0; i < 2 * K - 1; i++)
        if (!m->is_free[i])
            return 0;
    double pi[GMM_KMAX], w[GMM_KMAX];
    double rest = 1.0 - weight_sum(K, theta);
    pi[0] = rest > 0.0 ? rest : 0.0;
    for (size_t k = 0; k < K; k++) {
        if (k)
            pi[k] = theta[k - 1];
        w[k] = theta[K - 1 + k];
    }
    /* stable insertion sort of the components by mean */
    for (size_t k = 1; k < K; k++)
        for (size_t j = k; j > 0 && w[j - 1] > w[j]; j--) {
            double t = w[j];
            w[j] = w[j - 1];
            w[j - 1] = t;
            t = pi[j];
            pi[j] = pi[j - 1];
            pi[j - 1] = t;
        }
    for (size_t k = 0; k < K; k++) {
        if (k)
            theta[k - 1] = pi[k];
        theta[K - 1 + k] = w[k];
    }
    snprintf(note, n, "labelled so that w1 <= ... <= w%zu (permuting the "
                      "components gives the same mixture)",
             K);
    return 1;
}

void gmm_k_describe(const model *m, const double *theta, const ss_sink *out)
{
    gmm_layout L = gmm_layout_of(m);
    if (L.K != 2) {
        double rest = 1.0 - weight_sum(L.K, theta);
        ss_sink_printf(out, "  %zu component%s", L.K, L.K == 1 ? "" : "s");
        if (L.K >= 2)
            ss_sink_printf(out, "; component 1 has weight 1 - (sum of the "
                                "others) = %.12g",
                           rest > 0.0 ? rest : 0.0);
        ss_sink_printf(out, "\n");
    }
    if (L.sfree)
        ss_sink_printf(out, "  s is a parameter (the common standard "
                            "deviation, free to fit)\n");
}

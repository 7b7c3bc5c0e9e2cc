/* mlp2: perceptron with two hidden units and no biases,
 *   y = w1 g(J1.x) + w2 g(J2.x) + e,   x ~ N(0, I_d),  e ~ N(0, sigma^2),
 * sigma known (structural option), g = erf(t / sqrt 2) (act=erf, default)
 * or tanh (act=tanh). Parameters in order: w1, w2, J1 (d components),
 * J2 (d components); for d > 1 the components are J1_1..J1_d, J2_1..J2_d
 * with groups J1 and J2.
 *
 * Regression model: the score is (y - f) / sigma^2 grad f and the exact
 * Fisher information G = sigma^-2 E_x[grad f grad f^T] (theory.md, 1).
 *
 * act=erf has closed forms for every entry (theory.md, 2, "mlp2"; checked
 * against quadrature and Monte Carlo in tests/unit/test_mlp2.c). With
 * a = J_i, b = J_j, c = a.b, D = (1+|a|^2)(1+|b|^2) - c^2
 *   = 1 + |a|^2 + |b|^2 + sum_{k<l} (a_k b_l - a_l b_k)^2   (>= 1):
 *   G[wi][wj] = (2/pi) asin(c / sqrt((1+|a|^2)(1+|b|^2)))
 *             = (2/pi) atan2(c, sqrt(D))      (no argument can round past 1)
 *   G[wi][Jj] = wj (2/pi) (J_i - (c / (1+|J_j|^2)) J_j) / sqrt(D)
 *   G[Ji][Jj] = wi wj (2/pi) D^{-1/2} M^{-1},  M = I + a a^T + b b^T,
 *     M^{-1} = I - ((1+|b|^2) a a^T - c (a b^T + b a^T) + (1+|a|^2) b b^T)/D
 *     (Woodbury; det M = D), all over sigma^2. This costs O(d^2) and
 *     allocates nothing.
 *
 * The root factor (d <= 2): rows sqrt(W_k) grad f(x_k) / sigma over a tensor
 * product quadrature rule for N(0, I_d). Each row is accurate to a few ulps,
 * so the SVD of R resolves eigenvalues of G far below eps * lambda_max (the
 * |u|^6 eigenvalue near J1 = J2). The rule:
 *   - erf: Gauss-Hermite. The integrand is entire; the slowest pieces are
 *     g'(a.x) g'(b.x) ~ exp(-(a_k^2 + b_k^2) x_k^2 / 2) along each axis,
 *     whose Hermite coefficients decay like (K^2 / (1 + K^2))^n with K the
 *     largest |J_ik|: ~60 nodes per axis at K = 1. For larger K (> ~1.8)
 *     Gauss-Legendre on [-L, L] needs fewer (linear rather than quadratic
 *     growth in K), and is used instead.
 *   - tanh: Gauss-Legendre on [-L, L] per axis (times the normal density).
 *     tanh has poles at J.x = i pi (k + 1/2): along an axis the integrand is
 *     analytic only in a strip of half-width delta = pi / (2K), where
 *     Gauss-Hermite converges only like exp(-c delta sqrt(n)) (~260 nodes
 *     at K = 1 for 1e-13) but Gauss-Legendre on a fixed interval
 *     geometrically, like exp(-1.78 asinh(delta / L) n) (measured): ~130
 *     nodes at K = 1.
 *     For tanh G itself is the Gram matrix of these rows.
 * Tensor nodes of negligible weight (below MLP2_PRUNE of the largest) are
 * dropped. */
#include "model/model.h"
#include "model/quad.h"

#include <gsl/gsl_integration.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MLP2_DMAX 16
#define MLP2_PMAX (2 + 2 * MLP2_DMAX)
/* Largest d with a quadrature (the root factor; tanh's G). */
#define MLP2_QUAD_DMAX 2

/* Rule orders per axis, K = max |J_ik| (measured over random points with
 * that K, d = 1 and 2, against the closed form for erf and against a rule
 * of 1024 nodes for tanh; targets ~1e-14 of sqrt(G_ii G_jj)):
 *  - erf, Gauss-Hermite: the error is ~30 (K^2/(1+K^2))^n, so
 *    n = GH_LOGC / log(1 + 1/K^2) + GH_EXTRA (even, >= GH_NMIN), with
 *    GH_LOGC = log(30 / 1e-14): 24 nodes at K <= 0.33, 60 at K = 1, 168 at
 *    K = 2.
 *  - erf, Gauss-Legendre on [-GL_L, GL_L]: n = GLE_A + GLE_B K + GLE_EXTRA
 *    (96 at K = 1, 144 at K = 2, 240 at K = 4). fim_exact takes whichever
 *    rule is smaller (Hermite up to K ~ 1.8). Beyond erf_root_nmax no root is
 *    returned (G stays exact; the spectrum then falls back to G).
 *  - tanh, Gauss-Legendre: the error is ~1e4 exp(-1.78 asinh(delta/L) n),
 *    delta = pi / (2K): n = GL_A / asinh(delta / GL_L) with GL_A =
 *    log(1e4 / 3e-14) / 1.78 (multiple of 8, >= GL_NMIN): 136 at K = 1, 264
 *    at K = 2, 520 at K = 4. Beyond gl_nmax the exact FIM is refused; beyond
 *    gl_root_nmax it is returned without a root.
 * The EXTRA nodes serve the tiny eigenvalues (their integrands carry higher
 * powers of x): with them, the |u|^6 eigenvalue near J1 = J2 agrees with a
 * rule of twice the order to ~3e-9 at |u| = 1e-2. */
#define GH_LOGC 35.6
#define GH_EXTRA 8
#define GH_NMIN 24
#define GL_L 9.0
#define GLE_A 40.0
#define GLE_B 48.0
#define GLE_EXTRA 8.0
#define GL_A 22.6
#define GL_NMIN 32
static const size_t erf_root_nmax[MLP2_QUAD_DMAX + 1] = {0, 2048, 256};
static const size_t gl_nmax[MLP2_QUAD_DMAX + 1] = {0, 2048, 512};
static const size_t gl_root_nmax[MLP2_QUAD_DMAX + 1] = {0, 2048, 256};

/* Tensor nodes with weight below MLP2_PRUNE * (largest weight) are dropped:
 * with |grad f|^2 <= ~1e3 there they change G by < 1e-17. */
#define MLP2_PRUNE 1e-22

enum { OPT_D, OPT_ACT, OPT_SIGMA, NOPTS };
enum { ACT_ERF, ACT_TANH };

static const char *const act_choices[] = {"erf", "tanh", NULL};

static const model_optdef mlp2_opts[] = {
    {"d", MOPT_INT, 1.0, 1.0, (double)MLP2_DMAX, NULL, "input dimension",
     NULL},
    {"act", MOPT_ENUM, 0.0, 0.0, 0.0, act_choices,
     "activation: erf (g(t) = erf(t/sqrt 2)) or tanh", NULL},
    {"sigma", MOPT_REAL, 1.0, 1e-6, 1e6, NULL,
     "known noise standard deviation", NULL},
};

typedef struct {
    size_t d, P;
    int act;
    double sigma;
} mlp2_cfg;

static void get_cfg(const model *m, mlp2_cfg *c)
{
    c->d = (size_t)m->opt[OPT_D];
    c->P = 2 + 2 * c->d;
    c->act = m->opt_choice[OPT_ACT] &&
                     strcmp(m->opt_choice[OPT_ACT], "tanh") == 0
                 ? ACT_TANH
                 : ACT_ERF;
    c->sigma = m->opt[OPT_SIGMA];
}

#define SQRT_2_OVER_PI 0.79788456080286535588 /* sqrt(2 / pi) */

/* g(t) and g'(t). For tanh, with e = exp(-2|t|): tanh|t| = (1-e)/(1+e) and
 * sech^2 t = 4e/(1+e)^2, from one expm1 (no 1 - tanh^2 cancellation). */
static inline void act_eval(int act, double t, double *g, double *gp)
{
    if (act == ACT_ERF) {
        *g = erf(t * M_SQRT1_2);
        *gp = SQRT_2_OVER_PI * exp(-0.5 * t * t);
    } else {
        double em = expm1(-2.0 * fabs(t)); /* e - 1, in (-1, 0] */
        double th = -em / (2.0 + em);
        *g = t < 0 ? -th : th;
        *gp = 4.0 * (1.0 + em) / ((2.0 + em) * (2.0 + em));
    }
}

/* f(x) and grad f(x) (P entries) at input x. */
static inline double grad_f(const mlp2_cfg *c, const double *theta,
                            const double *x, double *grad)
{
    size_t d = c->d;
    const double *J1 = theta + 2, *J2 = theta + 2 + d;
    double s1 = 0, s2 = 0;
    for (size_t k = 0; k < d; k++) {
        s1 += J1[k] * x[k];
        s2 += J2[k] * x[k];
    }
    double g1, gp1, g2, gp2;
    act_eval(c->act, s1, &g1, &gp1);
    act_eval(c->act, s2, &g2, &gp2);
    double a1 = theta[0] * gp1, a2 = theta[1] * gp2;
    grad[0] = g1;
    grad[1] = g2;
    for (size_t k = 0; k < d; k++) {
        grad[2 + k] = a1 * x[k];
        grad[2 + d + k] = a2 * x[k];
    }
    return theta[0] * g1 + theta[1] * g2;
}

/* ---- layout -------------------------------------------------------------- */

static ss_status mlp2_configure(model *m, const model_arg *args, size_t nargs,
                                unsigned char *used)
{
    (void)args;
    (void)nargs;
    (void)used;
    mlp2_cfg c;
    get_cfg(m, &c);
    if (c.d < 1 || c.d > MLP2_DMAX)
        return SS_FAIL(SS_ERR_RANGE, "mlp2: d = %zu is outside [1, %d]", c.d,
                       MLP2_DMAX);
    ss_status st = model_add_param(m, "w1", 1.0, -INFINITY, INFINITY);
    if (st == SS_OK)
        st = model_add_param(m, "w2", -0.5, -INFINITY, INFINITY);
    for (int u = 1; u <= 2 && st == SS_OK; u++) {
        for (size_t k = 0; k < c.d && st == SS_OK; k++) {
            char name[MODEL_NAME_MAX];
            if (c.d == 1)
                snprintf(name, sizeof name, "J%d", u);
            else
                snprintf(name, sizeof name, "J%d_%zu", u, k + 1);
            /* J1 = (1, 0, ...), J2 = (-0.3, 0.8, 0, ...): generic */
            double def = u == 1 ? (k == 0 ? 1.0 : 0.0)
                                : (k == 0 ? -0.3 : k == 1 ? 0.8 : 0.0);
            st = model_add_param(m, name, def, -INFINITY, INFINITY);
        }
    }
    if (st == SS_OK && c.d > 1)
        st = model_add_group(m, "J1", 2, c.d);
    if (st == SS_OK && c.d > 1)
        st = model_add_group(m, "J2", 2 + c.d, c.d);
    return st;
}

/* Block-diagonal FIM: one block per hidden unit, (w1, J1) and (w2, J2). */
static size_t mlp2_fim_block(const model *m, size_t i)
{
    size_t d = (size_t)m->opt[OPT_D];
    return i < 2 ? i : i < 2 + d ? 0 : 1;
}

static size_t mlp2_data_cols(const model *m)
{
    return (size_t)m->opt[OPT_D] + 1;
}

static const char *mlp2_data_colname(const model *m, size_t col, char *buf,
                                     size_t n)
{
    size_t d = (size_t)m->opt[OPT_D];
    if (col >= d)
        snprintf(buf, n, "y");
    else if (d == 1)
        snprintf(buf, n, "x");
    else
        snprintf(buf, n, "x%zu", col + 1);
    return buf;
}

/* ---- sampling and likelihood --------------------------------------------- */

static ss_status mlp2_sample(const model *m, const double *theta, gsl_rng *r,
                             gsl_matrix *out)
{
    mlp2_cfg c;
    get_cfg(m, &c);
    if (out->size2 != c.d + 1)
        return SS_FAIL(SS_ERR_USAGE,
                       "mlp2: sample matrix must have %zu columns, got %zu",
                       c.d + 1, out->size2);
    double x[MLP2_DMAX], grad[MLP2_PMAX];
    for (size_t i = 0; i < out->size1; i++) {
        for (size_t k = 0; k < c.d; k++) {
            x[k] = gsl_ran_gaussian(r, 1.0);
            gsl_matrix_set(out, i, k, x[k]);
        }
        double f = grad_f(&c, theta, x, grad);
        gsl_matrix_set(out, i, c.d, f + gsl_ran_gaussian(r, c.sigma));
    }
    return SS_OK;
}

static ss_status mlp2_loglik_terms(const model *m, const double *theta,
                                   const gsl_matrix *data, double *ell,
                                   gsl_matrix *scores)
{
    mlp2_cfg c;
    get_cfg(m, &c);
    if (data->size2 != c.d + 1)
        return SS_FAIL(SS_ERR_USAGE,
                       "mlp2: data needs %zu columns (%s, y), got %zu",
                       c.d + 1, c.d == 1 ? "x" : "x1..xd", data->size2);
    if (scores && (scores->size1 != data->size1 || scores->size2 != c.P))
        return SS_FAIL(SS_ERR_USAGE,
                       "mlp2: scores must be %zu x %zu, got %zu x %zu",
                       data->size1, c.P, scores->size1, scores->size2);
    double x[MLP2_DMAX], grad[MLP2_PMAX];
    double s2 = c.sigma * c.sigma;
    double lnorm = log(c.sigma) + 0.5 * log(2.0 * M_PI);
    for (size_t i = 0; i < data->size1; i++) {
        for (size_t k = 0; k < c.d; k++)
            x[k] = gsl_matrix_get(data, i, k);
        double f = grad_f(&c, theta, x, grad);
        double res = gsl_matrix_get(data, i, c.d) - f;
        double z = res / c.sigma;
        if (ell)
            ell[i] = -0.5 * z * z - lnorm;
        if (scores) {
            double a = res / s2;
            for (size_t p = 0; p < c.P; p++)
                gsl_matrix_set(scores, i, p, a * grad[p]);
        }
    }
    return SS_OK;
}

/* ---- exact Fisher information: closed form (erf) -------------------------- */

/* M^{-1} for M = I + a a^T + b b^T (d x d, row-major into out), without the
 * cancellation of I - (...)/det M when |a|, |b| are large: with A = [a b] =
 * Q R (Gram-Schmidt), M^{-1} = (I - Q Q^T) + Q (I + R R^T)^{-1} Q^T, and
 * det(I + R R^T) = 1 + r11^2 + r12^2 + r22^2 + r11^2 r22^2 is a sum of
 * positive terms. The projector part is accurate to rounding in absolute
 * terms, far below the 1 / |a|^2 of the directions a and b. */
static void inverse_rank2_update(const double *a, const double *b, size_t d,
                                 double *out)
{
    double q1[MLP2_DMAX] = {0}, q2[MLP2_DMAX] = {0};
    const double *u = a, *v = b;
    double nu = 0, nv = 0;
    for (size_t l = 0; l < d; l++) {
        nu += a[l] * a[l];
        nv += b[l] * b[l];
    }
    if (nu < nv) { /* the longer vector first: better conditioned */
        u = b;
        v = a;
    }
    double r11 = 0, r12 = 0, r22 = 0;
    for (size_t l = 0; l < d; l++)
        r11 += u[l] * u[l];
    r11 = sqrt(r11);
    if (r11 > 0) {
        for (size_t l = 0; l < d; l++)
            q1[l] = u[l] / r11;
        for (size_t l = 0; l < d; l++)
            r12 += q1[l] * v[l];
        double w[MLP2_DMAX];
        for (size_t l = 0; l < d; l++)
            w[l] = v[l] - r12 * q1[l];
        /* re-orthogonalise once: w is a small difference when v ~ u */
        double c2 = 0;
        for (size_t l = 0; l < d; l++)
            c2 += q1[l] * w[l];
        for (size_t l = 0; l < d; l++)
            w[l] -= c2 * q1[l];
        r12 += c2;
        for (size_t l = 0; l < d; l++)
            r22 += w[l] * w[l];
        r22 = sqrt(r22);
        if (r22 > 0)
            for (size_t l = 0; l < d; l++)
                q2[l] = w[l] / r22;
    }
    /* S = (I + R R^T)^{-1}, R R^T = [[r11^2 + r12^2, r12 r22],
     * [r12 r22, r22^2]] */
    double det = 1.0 + r11 * r11 + r12 * r12 + r22 * r22 +
                 r11 * r11 * r22 * r22;
    double s11 = (1.0 + r22 * r22) / det, s12 = -r12 * r22 / det,
           s22 = (1.0 + r11 * r11 + r12 * r12) / det;
    for (size_t l = 0; l < d; l++)
        for (size_t r = 0; r < d; r++) {
            double proj = (l == r ? 1.0 : 0.0) - q1[l] * q1[r] -
                          q2[l] * q2[r];
            out[l * d + r] = proj + s11 * q1[l] * q1[r] +
                             s12 * (q1[l] * q2[r] + q2[l] * q1[r]) +
                             s22 * q2[l] * q2[r];
        }
}

/* G (P x P, row stride tda) for act=erf at theta, any d. */
static void fim_closed_erf(const mlp2_cfg *c, const double *theta, double *G,
                           size_t tda)
{
    size_t d = c->d;
    const double *J[2] = {theta + 2, theta + 2 + d};
    double k2pi = M_2_PI / (c->sigma * c->sigma);
    double nrm[2] = {0, 0};
    for (int i = 0; i < 2; i++)
        for (size_t l = 0; l < d; l++)
            nrm[i] += J[i][l] * J[i][l];
#define GE(r, s) G[(r) * tda + (s)]
    for (int i = 0; i < 2; i++)
        for (int j = i; j < 2; j++) {
            const double *a = J[i], *b = J[j];
            double na = nrm[i], nb = nrm[j], cc = 0, X = 0;
            for (size_t l = 0; l < d; l++)
                cc += a[l] * b[l];
            /* |a|^2 |b|^2 - (a.b)^2 by Lagrange's identity: >= 0 exactly,
             * and exactly 0 when i == j. */
            if (i != j)
                for (size_t l = 0; l < d; l++)
                    for (size_t q = l + 1; q < d; q++) {
                        double t = a[l] * b[q] - a[q] * b[l];
                        X += t * t;
                    }
            double D = 1.0 + na + nb + X, sD = sqrt(D);
            double q = k2pi * atan2(cc, sD);
            GE(i, j) = q;
            GE(j, i) = q;
            /* G[wi][Jj] = wj k (J_i - c/(1+|J_j|^2) J_j) / sqrt(D) and
             * G[wj][Ji] likewise (the same when i == j), in the form
             * (a - b) + ((1 + b.(b - a)) / (1 + |b|^2)) b, free of
             * cancellation when a ~ b (and exactly a / (1 + |a|^2) when
             * a = b). */
            double wi = theta[i], wj = theta[j];
            double bba = 0, aab = 0;
            for (size_t l = 0; l < d; l++) {
                bba += b[l] * (b[l] - a[l]);
                aab += a[l] * (a[l] - b[l]);
            }
            double fij = wj * k2pi / sD, cj = (1.0 + bba) / (1.0 + nb);
            double fji = wi * k2pi / sD, ci = (1.0 + aab) / (1.0 + na);
            for (size_t l = 0; l < d; l++) {
                double vij = fij * ((a[l] - b[l]) + cj * b[l]);
                double vji = fji * ((b[l] - a[l]) + ci * a[l]);
                size_t pj = 2 + (size_t)j * d + l, pi = 2 + (size_t)i * d + l;
                GE((size_t)i, pj) = vij;
                GE(pj, (size_t)i) = vij;
                GE((size_t)j, pi) = vji;
                GE(pi, (size_t)j) = vji;
            }
            /* G[Ji][Jj] = wi wj k D^{-1/2} M^{-1}; for d = 1, M = D */
            double s = wi * wj * k2pi / sD, iD = 1.0 / D;
            if (d == 1) {
                GE(2 + (size_t)i, 2 + (size_t)j) = s * iD;
                GE(2 + (size_t)j, 2 + (size_t)i) = s * iD;
                continue;
            }
            double Minv[MLP2_DMAX * MLP2_DMAX];
            inverse_rank2_update(a, b, d, Minv);
            for (size_t l = 0; l < d; l++)
                for (size_t r = 0; r < d; r++) {
                    double mi = Minv[l * d + r];
                    size_t pl = 2 + (size_t)i * d + l;
                    size_t pr = 2 + (size_t)j * d + r;
                    GE(pl, pr) = s * mi;
                    GE(pr, pl) = s * mi;
                }
        }
#undef GE
}

/* ---- exact Fisher information: quadrature (d <= 2) ------------------------ */

/* Largest |J_ik|: sets the resolution a rule needs along every axis. */
static double max_abs_j(const mlp2_cfg *c, const double *theta)
{
    double K = 0;
    for (size_t p = 2; p < c->P; p++)
        K = fmax(K, fabs(theta[p]));
    return K;
}

/* Per-axis order of the rule (0 when K is not finite). */
static size_t gh_order(double K)
{
    if (!isfinite(K))
        return 0;
    double n = K > 0 ? GH_LOGC / log1p(1.0 / (K * K)) + GH_EXTRA : 0;
    if (n < GH_NMIN)
        n = GH_NMIN;
    if (n > 1e6)
        return (size_t)-1 / 2;
    size_t m = (size_t)ceil(n);
    return m + (m & 1);
}

static size_t gl_order(int act, double K)
{
    if (!isfinite(K))
        return 0;
    double n = act == ACT_ERF ? GLE_A + GLE_B * K + GLE_EXTRA
               : K > 0        ? GL_A / asinh(M_PI / (2.0 * K * GL_L))
                              : 0;
    if (n < GL_NMIN)
        n = GL_NMIN;
    if (n > 1e6)
        return (size_t)-1 / 2;
    size_t m = (size_t)ceil(n);
    return (m + 7) / 8 * 8;
}

/* Accumulate sigma^-2 sum_k W_k grad f grad f^T into G (when Gout != NULL,
 * P x P with stride tda) and the rows into R (when R != NULL, rows x P). The
 * sum is taken in blocks (per outer node) so that rounding grows with the
 * number of blocks, not of nodes. */
static void quad_fim(const mlp2_cfg *c, const double *theta, const quad_rule *r,
                     double *Gout, size_t tda, gsl_matrix *R)
{
    size_t d = c->d, P = c->P;
    double thr = quad_tensor_threshold(r, d, MLP2_PRUNE);
    double tot[MLP2_PMAX * MLP2_PMAX], blk[MLP2_PMAX * MLP2_PMAX];
    if (Gout) {
        memset(tot, 0, sizeof tot);
        memset(blk, 0, sizeof blk);
    }
    double is = 1.0 / c->sigma;
    size_t row = 0, nouter = d == 1 ? 1 : r->n, ninner = r->n;
    for (size_t o = 0; o < nouter; o++) {
        for (size_t k = 0; k < ninner; k++) {
            double W = d == 1 ? r->w[k] : r->w[o] * r->w[k];
            if (!(W >= thr))
                continue;
            double x[2] = {d == 1 ? r->x[k] : r->x[o], r->x[k]};
            double gr[MLP2_PMAX];
            grad_f(c, theta, x, gr);
            double sw = sqrt(W) * is;
            for (size_t p = 0; p < P; p++)
                gr[p] *= sw;
            if (R) {
                double *dst = R->data + row * R->tda;
                memcpy(dst, gr, P * sizeof *dst);
            }
            row++;
            if (Gout)
                for (size_t p = 0; p < P; p++) {
                    double gp = gr[p];
                    double *b = blk + p * P;
                    for (size_t q = p; q < P; q++)
                        b[q] += gp * gr[q];
                }
            if (Gout && d == 1 && (row % 64) == 0) {
                for (size_t e = 0; e < P * P; e++) {
                    tot[e] += blk[e];
                    blk[e] = 0;
                }
            }
        }
        if (Gout)
            for (size_t e = 0; e < P * P; e++) {
                tot[e] += blk[e];
                blk[e] = 0;
            }
    }
    if (Gout)
        for (size_t p = 0; p < P; p++)
            for (size_t q = p; q < P; q++) {
                Gout[p * tda + q] = tot[p * P + q];
                Gout[q * tda + p] = tot[p * P + q];
            }
}

static ss_status mlp2_fim_exact(const model *m, const double *theta,
                                gsl_matrix *G, gsl_matrix **root)
{
    if (root)
        *root = NULL;
    mlp2_cfg c;
    get_cfg(m, &c);
    if (G->size1 != c.P || G->size2 != c.P)
        return SS_FAIL(SS_ERR_USAGE, "mlp2: G must be %zu x %zu", c.P, c.P);
    if (c.act == ACT_TANH && c.d > MLP2_QUAD_DMAX)
        return SS_FAIL(SS_ERR_USAGE,
                       "mlp2 with act=tanh and d > 2 has no exact FIM; use "
                       "method=mc n=N");
    if (c.act == ACT_ERF) {
        fim_closed_erf(&c, theta, G->data, G->tda);
        if (!root || c.d > MLP2_QUAD_DMAX)
            return SS_OK;
    }

    double K = max_abs_j(&c, theta);
    size_t n;
    int hermite = 0, want_root = root != NULL;
    if (c.act == ACT_ERF) {
        /* whichever rule needs fewer nodes: Hermite for small K */
        size_t nh = gh_order(K), nl = gl_order(ACT_ERF, K);
        hermite = nh <= nl;
        n = hermite ? nh : nl;
        if (n == 0 || n > erf_root_nmax[c.d])
            return SS_OK; /* G is exact; the spectrum falls back to it */
    } else {
        n = gl_order(ACT_TANH, K);
        if (n == 0)
            return SS_FAIL(SS_ERR_RANGE, "mlp2: parameters must be finite");
        if (n > gl_nmax[c.d])
            return SS_FAIL(SS_ERR_RANGE,
                           "exact FIM of mlp2 with act=tanh: max |J| = %g is "
                           "too large for the quadrature (it would need "
                           "more than %zu nodes per axis); use method=mc "
                           "n=N",
                           K, gl_nmax[c.d]);
        if (n > gl_root_nmax[c.d])
            want_root = 0;
    }

    quad_rule r = {0};
    ss_status st = hermite ? quad_hermite_normal(n, &r)
                           : quad_legendre_normal(n, GL_L, &r);
    if (st != SS_OK)
        return st;
    gsl_matrix *R = NULL;
    if (want_root) {
        size_t rows = quad_tensor_count(&r, c.d, MLP2_PRUNE);
        R = gsl_matrix_alloc(rows, c.P);
        if (!R) {
            quad_rule_free(&r);
            return SS_FAIL(SS_ERR_NOMEM,
                           "out of memory (%zu quadrature nodes)", rows);
        }
    }
    quad_fim(&c, theta, &r, c.act == ACT_TANH ? G->data : NULL, G->tda, R);
    quad_rule_free(&r);
    if (root)
        *root = R;
    return SS_OK;
}

/* ---- singular sets ------------------------------------------------------- */

static double norm_comb(const double *a, const double *b, double sb, size_t d)
{
    double s = 0;
    for (size_t k = 0; k < d; k++) {
        double t = a[k] + sb * (b ? b[k] : 0.0);
        s += t * t;
    }
    return sqrt(s);
}

/* In the order of mlp2_singular's sets. */
static size_t mlp2_singular_distances(const model *m, const double *theta,
                                      double *dist, size_t max)
{
    mlp2_cfg c;
    get_cfg(m, &c);
    size_t d = c.d;
    const double *J1 = theta + 2, *J2 = theta + 2 + d;
    const double v[6] = {norm_comb(J1, J2, -1.0, d) / M_SQRT2,
                         norm_comb(J1, J2, 1.0, d) / M_SQRT2,
                         fabs(theta[0]),
                         fabs(theta[1]),
                         norm_comb(J1, NULL, 0.0, d),
                         norm_comb(J2, NULL, 0.0, d)};
    size_t n = max < 6 ? max : 6;
    for (size_t i = 0; i < n; i++)
        dist[i] = v[i];
    return n;
}

static size_t mlp2_singular(const model *m, const double *theta,
                            model_singular *out, size_t max)
{
    mlp2_cfg c;
    get_cfg(m, &c);
    size_t d = c.d;
    double dist[6];
    mlp2_singular_distances(m, theta, dist, 6);
    char e_ov[128], e_op[128], e_w1[128], e_w2[128];
    snprintf(e_ov, sizeof e_ov,
             "w1, w2 enter only as w1 + w2: %zu directions degenerate",
             d + 1);
    snprintf(e_op, sizeof e_op,
             "f = (w1 - w2) g(J1.x) for odd g: %zu directions degenerate",
             d + 1);
    snprintf(e_w1, sizeof e_w1,
             "J1 unidentifiable (unit 1 has zero output weight): %zu "
             "direction%s degenerate",
             d, d == 1 ? "" : "s");
    snprintf(e_w2, sizeof e_w2,
             "J2 unidentifiable (unit 2 has zero output weight): %zu "
             "direction%s degenerate",
             d, d == 1 ? "" : "s");
    const struct {
        const char *name, *effect;
        double dist;
    } sets[] = {
        {"J1 = J2", e_ov, dist[0]},
        {"J1 = -J2", e_op, dist[1]},
        {"w1 = 0", e_w1, dist[2]},
        {"w2 = 0", e_w2, dist[3]},
        {"J1 = 0", "w1 unidentifiable (unit 1 outputs g(0) = 0): 1 direction "
                   "degenerate",
         dist[4]},
        {"J2 = 0", "w2 unidentifiable (unit 2 outputs g(0) = 0): 1 direction "
                   "degenerate",
         dist[5]},
    };
    size_t n = sizeof sets / sizeof sets[0];
    for (size_t i = 0; i < n && i < max; i++) {
        snprintf(out[i].name, sizeof out[i].name, "%s", sets[i].name);
        snprintf(out[i].effect, sizeof out[i].effect, "%s", sets[i].effect);
        out[i].distance = sets[i].dist;
    }
    return n < max ? n : max;
}

/* ---- blow-down coordinates ------------------------------------------------
 * w = w1 + w2, z = (w1 - w2)/w, v = (w1 J1 + w2 J2)/w, u = J2 - J1, in the
 * order w, z, v (d), u (d). Inverse: w1 = w(1+z)/2, w2 = w(1-z)/2,
 * J1 = v - (1-z)/2 u, J2 = v + (1+z)/2 u. On u = 0, z drops out:
 * f = w g(v.x) + (w/8)(1 - z^2) g''(v.x) (u.x)^2 + O(|u|^3). */

static size_t mlp2_coord_names(const model *m, char (*names)[MODEL_NAME_MAX])
{
    size_t d = (size_t)m->opt[OPT_D];
    snprintf(names[0], MODEL_NAME_MAX, "w");
    snprintf(names[1], MODEL_NAME_MAX, "z");
    for (size_t k = 0; k < d; k++) {
        if (d == 1) {
            snprintf(names[2], MODEL_NAME_MAX, "v");
            snprintf(names[3], MODEL_NAME_MAX, "u");
        } else {
            snprintf(names[2 + k], MODEL_NAME_MAX, "v_%zu", k + 1);
            snprintf(names[2 + d + k], MODEL_NAME_MAX, "u_%zu", k + 1);
        }
    }
    return 2 + 2 * d;
}

static ss_status mlp2_to_coords(const model *m, const double *theta,
                                double *c)
{
    size_t d = (size_t)m->opt[OPT_D];
    double w1 = theta[0], w2 = theta[1], w = w1 + w2;
    if (w == 0.0)
        return SS_FAIL(SS_ERR_RANGE,
                       "blow-down coordinates need w1 + w2 != 0");
    const double *J1 = theta + 2, *J2 = theta + 2 + d;
    double r2 = w2 / w;
    c[0] = w;
    c[1] = (w1 - w2) / w;
    for (size_t k = 0; k < d; k++) {
        double u = J2[k] - J1[k];
        /* v = J1 + (w2/w) u: exactly J1 on u = 0 */
        c[2 + k] = J1[k] + r2 * u;
        c[2 + d + k] = u;
    }
    return SS_OK;
}

static ss_status mlp2_from_coords(const model *m, const double *c,
                                  double *theta)
{
    size_t d = (size_t)m->opt[OPT_D];
    double w = c[0], z = c[1];
    theta[0] = 0.5 * w * (1.0 + z);
    theta[1] = 0.5 * w * (1.0 - z);
    for (size_t k = 0; k < d; k++) {
        double v = c[2 + k], u = c[2 + d + k];
        theta[2 + k] = v - 0.5 * (1.0 - z) * u;
        theta[2 + d + k] = v + 0.5 * (1.0 + z) * u;
    }
    for (size_t p = 0; p < 2 + 2 * d; p++)
        if (!isfinite(theta[p]))
            return SS_FAIL(SS_ERR_RANGE,
                           "blow-down coordinates give a non-finite %s",
                           MODEL_PNAME(m, p));
    return SS_OK;
}

/* ---- regression hooks, generalisation error, test points ----------------- */

#include <gsl/gsl_errno.h>

/* The mean f(x_i) and its Jacobian (row i: grad f at x_i) at the inputs,
 * the first d columns of the rows of X. */
static ss_status mlp2_mean_jacobian(const model *m, const double *theta,
                                    const gsl_matrix *X, double *mean,
                                    gsl_matrix *J)
{
    mlp2_cfg c;
    get_cfg(m, &c);
    if (X->size2 < c.d)
        return SS_FAIL(SS_ERR_USAGE,
                       "mlp2: inputs need %zu columns (%s), got %zu", c.d,
                       c.d == 1 ? "x" : "x1..xd", X->size2);
    if (J && (J->size1 != X->size1 || J->size2 != c.P))
        return SS_FAIL(SS_ERR_USAGE,
                       "mlp2: the Jacobian must be %zu x %zu, got %zu x %zu",
                       X->size1, c.P, J->size1, J->size2);
    double x[MLP2_DMAX], grad[MLP2_PMAX];
    for (size_t i = 0; i < X->size1; i++) {
        for (size_t k = 0; k < c.d; k++)
            x[k] = gsl_matrix_get(X, i, k);
        double f = grad_f(&c, theta, x, grad);
        if (mean)
            mean[i] = f;
        for (size_t p = 0; J && p < c.P; p++)
            gsl_matrix_set(J, i, p, grad[p]);
    }
    return SS_OK;
}

static double mlp2_noise_var(const model *m)
{
    return m->opt[OPT_SIGMA] * m->opt[OPT_SIGMA];
}

/* E[g(a.x) g(b.x)] for g(t) = erf(t / sqrt 2), x ~ N(0, I):
 * (2/pi) asin(a.b / sqrt((1+|a|^2)(1+|b|^2))) = (2/pi) atan2(a.b, sqrt(D)),
 * D = 1 + |a|^2 + |b|^2 + sum_{k<l} (a_k b_l - a_l b_k)^2 (as in
 * fim_closed_erf: no argument rounds past 1). */
static double erf_kernel(const double *a, const double *b, size_t d)
{
    double na = 0, nb = 0, cc = 0, X = 0;
    for (size_t l = 0; l < d; l++) {
        na += a[l] * a[l];
        nb += b[l] * b[l];
        cc += a[l] * b[l];
        for (size_t q = l + 1; q < d; q++) {
            double t = a[l] * b[q] - a[q] * b[l];
            X += t * t;
        }
    }
    return M_2_PI * atan2(cc, sqrt(1.0 + na + nb + X));
}

/* E_x[(f_t - f_m)^2] by nested adaptive quadrature over x ~ N(0, I_d),
 * d <= 2, on |x_k| <= MLP2_KL_L (the Gaussian tail beyond is below 1e-31
 * relative; (f_t - f_m)^2 is bounded by (|w|_1 + |w'|_1)^2). The
 * integrand is a square, so the result is >= 0 and exactly 0 when the two
 * means agree. */
#define MLP2_KL_L 12.0
#define MLP2_KL_LIMIT 400

typedef struct {
    mlp2_cfg ct, cm;
    const double *tt, *tm;
    double x[2];
    gsl_integration_workspace *inner;
    int failed;
} mlp2_kl_ctx;

static double mlp2_kl_sq(const mlp2_kl_ctx *k)
{
    double g[MLP2_PMAX];
    double diff = grad_f(&k->ct, k->tt, k->x, g) -
                  grad_f(&k->cm, k->tm, k->x, g);
    return diff * diff;
}

static double mlp2_kl_f2(double x2, void *p)
{
    mlp2_kl_ctx *k = p;
    k->x[1] = x2;
    return exp(-0.5 * x2 * x2) / sqrt(2.0 * M_PI) * mlp2_kl_sq(k);
}

static double mlp2_kl_f1(double x1, void *p)
{
    mlp2_kl_ctx *k = p;
    k->x[0] = x1;
    double w = exp(-0.5 * x1 * x1) / sqrt(2.0 * M_PI);
    if (k->ct.d == 1)
        return w * mlp2_kl_sq(k);
    gsl_function F = {mlp2_kl_f2, k};
    double r, err;
    int rc = gsl_integration_qags(&F, -MLP2_KL_L, MLP2_KL_L, 1e-15, 1e-12,
                                  MLP2_KL_LIMIT, k->inner, &r, &err);
    if (!isfinite(r) || (rc != GSL_SUCCESS && !(err <= 1e-9 * r + 1e-14)))
        k->failed = 1;
    return w * r;
}

static ss_status mlp2_kl_quad(mlp2_kl_ctx *k, double *e2)
{
    gsl_integration_workspace *outer =
        gsl_integration_workspace_alloc(MLP2_KL_LIMIT);
    k->inner = k->ct.d == 2 ? gsl_integration_workspace_alloc(MLP2_KL_LIMIT)
                            : NULL;
    k->failed = 0;
    if (!outer || (k->ct.d == 2 && !k->inner)) {
        if (outer)
            gsl_integration_workspace_free(outer);
        if (k->inner)
            gsl_integration_workspace_free(k->inner);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    gsl_function F = {mlp2_kl_f1, k};
    double r, err;
    int rc = gsl_integration_qags(&F, -MLP2_KL_L, MLP2_KL_L, 1e-14, 1e-10,
                                  MLP2_KL_LIMIT, outer, &r, &err);
    gsl_integration_workspace_free(outer);
    if (k->inner)
        gsl_integration_workspace_free(k->inner);
    if (k->failed || !isfinite(r) ||
        (rc != GSL_SUCCESS && !(err <= 1e-8 * r + 1e-13)))
        return SS_FAIL(SS_ERR_NUMERIC,
                       "mlp2: the quadrature for E[(f_teacher - f_model)^2] "
                       "did not converge (%s, estimated error %g)",
                       gsl_strerror(rc), err);
    *e2 = r > 0.0 ? r : 0.0;
    return SS_OK;
}

/* grad_a Q(a, b) for Q = erf_kernel: (2/pi) (b - (a.b/(1+|a|^2)) a) / sqrt(D)
 * (theory.md, 2.2), written as (2/pi) ((b - a) + ((1 + a.(a - b)) /
 * (1 + |a|^2)) a) / sqrt(D), free of cancellation when a ~ b (as in
 * fim_closed_erf), into out[d]. */
static void erf_kernel_grad(const double *a, const double *b, size_t d,
                            double *out)
{
    double na = 0, nb = 0, aab = 0, X = 0;
    for (size_t l = 0; l < d; l++) {
        na += a[l] * a[l];
        nb += b[l] * b[l];
        aab += a[l] * (a[l] - b[l]);
        for (size_t q = l + 1; q < d; q++) {
            double t = a[l] * b[q] - a[q] * b[l];
            X += t * t;
        }
    }
    double f = M_2_PI / sqrt(1.0 + na + nb + X), ca = (1.0 + aab) / (1.0 + na);
    for (size_t l = 0; l < d; l++)
        out[l] = f * ((b[l] - a[l]) + ca * a[l]);
}

/* E_x[(f_t - f_m)^2] and, when grad != NULL, its gradient over the model's
 * P parameters, -2 E[(f_t - f_m) grad f_m], by a fixed tensor rule over
 * N(0, I_d) (d <= 2): Gauss-Legendre on [-GL_L, GL_L] of the order the FIM
 * quadrature uses for the largest |J| of teacher and model (the integrands
 * are the same products of two activations), summed per outer node.
 * K too large for the rule: SS_ERR_RANGE. */
static ss_status kl_quad_rule(const mlp2_cfg *ct, const double *tt,
                              const mlp2_cfg *cm, const double *tm,
                              double *e2, double *grad)
{
    size_t d = cm->d, P = cm->P;
    int act = ct->act == ACT_TANH || cm->act == ACT_TANH ? ACT_TANH : ACT_ERF;
    double K = fmax(max_abs_j(ct, tt), max_abs_j(cm, tm));
    size_t n = gl_order(act, K);
    if (n == 0 || n > gl_nmax[d])
        return SS_FAIL(SS_ERR_RANGE,
                       "mlp2: max |J| = %g is too large for the quadrature "
                       "of the KL gradient (more than %zu nodes per axis)",
                       K, gl_nmax[d]);
    quad_rule r = {0};
    ss_status st = quad_legendre_normal(n, GL_L, &r);
    if (st != SS_OK)
        return st;
    double thr = quad_tensor_threshold(&r, d, MLP2_PRUNE);
    long double tot = 0, gtot[MLP2_PMAX] = {0};
    size_t nouter = d == 1 ? 1 : r.n;
    for (size_t o = 0; o < nouter; o++) {
        double blk = 0, gblk[MLP2_PMAX] = {0};
        for (size_t k = 0; k < r.n; k++) {
            double W = d == 1 ? r.w[k] : r.w[o] * r.w[k];
            if (!(W >= thr))
                continue;
            double x[2] = {d == 1 ? r.x[k] : r.x[o], r.x[k]};
            double gt[MLP2_PMAX], gm[MLP2_PMAX];
            double res = grad_f(ct, tt, x, gt) - grad_f(cm, tm, x, gm);
            blk += W * res * res;
            if (grad)
                for (size_t p = 0; p < P; p++)
                    gblk[p] += W * res * gm[p];
        }
        tot += blk;
        for (size_t p = 0; grad && p < P; p++)
            gtot[p] += gblk[p];
    }
    quad_rule_free(&r);
    *e2 = tot > 0 ? (double)tot : 0.0;
    for (size_t p = 0; grad && p < P; p++)
        grad[p] = -2.0 * (double)gtot[p];
    return SS_OK;
}

/* KL(teacher || model) per observation for an mlp2 teacher with the same d
 * and, when grad != NULL, its gradient over the model's P parameters:
 *   E_x[(f_t - f_m)^2] / (2 sigma_m^2) + log(sigma_m / sigma_t)
 *     + sigma_t^2 / (2 sigma_m^2) - 1/2.
 * The mean term: in closed form when both use act=erf (any d) and quad is
 * 0: with the four units U = (J_t1, J_t2, J1, J2) and c = (w_t, -w_m),
 * E = sum_ab c_a c_b Q(U_a, U_b), dE/dw_i = -2 sum_b c_b Q(J_i, U_b) and
 * dE/dJ_i = -2 w_i sum_b c_b grad_a Q(J_i, U_b) (the b = a term counts
 * Q(a, a)'s dependence on both arguments: d/da Q(a, a) = 2 grad_a Q(a, a)
 * by symmetry). Otherwise by quadrature over the inputs (d <= 2): adaptive
 * for the value alone (kl_from), the fixed rule of kl_quad_rule for the
 * gradient or when quad is set. The noise term does not depend on the
 * model's parameters. */
static ss_status mlp2_kl_eval(const model *m, const double *theta,
                              const model *teacher, int quad, double *kl,
                              double *grad)
{
    *kl = NAN;
    ss_status st = model_data_compatible(m, teacher);
    if (st != SS_OK)
        return st;
    if (teacher->type != m->type)
        return SS_FAIL(SS_ERR_USAGE,
                       "mlp2: KL from a %s teacher is not available (the "
                       "teacher must be an mlp2)",
                       teacher->type->name);
    mlp2_kl_ctx k;
    get_cfg(teacher, &k.ct);
    get_cfg(m, &k.cm);
    k.tt = teacher->theta;
    k.tm = theta;
    for (size_t p = 0; p < k.cm.P; p++)
        if (!isfinite(theta[p]) || !isfinite(teacher->theta[p]))
            return SS_FAIL(SS_ERR_RANGE, "mlp2: KL needs finite parameters");
    size_t d = k.cm.d;
    double e2 = 0.0;
    double is2 = 1.0 / (k.cm.sigma * k.cm.sigma);
    if (k.ct.act == ACT_ERF && k.cm.act == ACT_ERF && !quad) {
        /* E[(sum_u c_u g(U_u.x))^2] over the four units, c = (w_t, -w_m) */
        const double *U[4] = {k.tt + 2, k.tt + 2 + d, theta + 2,
                              theta + 2 + d};
        double cu[4] = {k.tt[0], k.tt[1], -theta[0], -theta[1]};
        double Q[4][4];
        long double acc = 0;
        for (int a = 0; a < 4; a++) {
            Q[a][a] = erf_kernel(U[a], U[a], d);
            acc += (long double)cu[a] * cu[a] * Q[a][a];
            for (int b = a + 1; b < 4; b++) {
                Q[a][b] = Q[b][a] = erf_kernel(U[a], U[b], d);
                acc += 2.0L * cu[a] * cu[b] * Q[a][b];
            }
        }
        e2 = acc > 0 ? (double)acc : 0.0;
        for (int i = 0; grad && i < 2; i++) {
            int a = 2 + i;
            long double gw = 0, gJ[MLP2_DMAX] = {0};
            for (int b = 0; b < 4; b++) {
                gw += (long double)cu[b] * Q[a][b];
                double gq[MLP2_DMAX];
                erf_kernel_grad(U[a], U[b], d, gq);
                for (size_t l = 0; l < d; l++)
                    gJ[l] += (long double)cu[b] * gq[l];
            }
            /* dE/dc_a = 2 sum_b c_b Q_ab and dc_a/dw_i = -1; dE/dJ_i =
             * 2 c_a sum_b c_b grad Q_ab with c_a = -w_i */
            grad[i] = (double)(-2.0L * gw) * 0.5 * is2;
            for (size_t l = 0; l < d; l++)
                grad[2 + (size_t)i * d + l] =
                    (double)(2.0L * cu[a] * gJ[l]) * 0.5 * is2;
        }
    } else if (d <= 2) {
        if (grad || quad) {
            st = kl_quad_rule(&k.ct, k.tt, &k.cm, theta, &e2, grad);
            for (size_t p = 0; st == SS_OK && grad && p < k.cm.P; p++)
                grad[p] *= 0.5 * is2;
        } else {
            st = mlp2_kl_quad(&k, &e2);
        }
        if (st != SS_OK)
            return st;
    } else {
        return SS_FAIL(SS_ERR_USAGE,
                       "mlp2: KL with act=tanh (teacher or model) needs a "
                       "quadrature over the inputs, available for d <= 2 "
                       "only (d = %zu)",
                       d);
    }
    /* noise: (r - 1 - log r) / 2 with r = sigma_t^2 / sigma_m^2 */
    double lr = 2.0 * (log(k.ct.sigma) - log(k.cm.sigma));
    double noise = 0.5 * (expm1(lr) - lr);
    *kl = 0.5 * e2 * is2 + noise;
    return SS_OK;
}

static ss_status mlp2_kl_from(const model *m, const double *theta,
                              const model *teacher, double *kl)
{
    return mlp2_kl_eval(m, theta, teacher, 0, kl, NULL);
}

static ss_status mlp2_kl_grad(const model *m, const double *theta,
                              const model *teacher, double *kl, double *grad)
{
    return mlp2_kl_eval(m, theta, teacher, 0, kl, grad);
}

/* The quadrature route for any activation (d <= 2), for the tests that
 * check the closed form against it (declared there, not in a header). */
ss_status mlp2_kl_grad_quad(const model *m, const double *theta,
                            const model *teacher, double *kl, double *grad);
ss_status mlp2_kl_grad_quad(const model *m, const double *theta,
                            const model *teacher, double *kl, double *grad)
{
    if (m->type != &model_mlp2_type)
        return SS_FAIL(SS_ERR_USAGE, "mlp2_kl_grad_quad needs an mlp2");
    return mlp2_kl_eval(m, theta, teacher, 1, kl, grad);
}

/* Generic points of the layouts the defaults do not reach (both
 * activations, d = 2) and points on the singular sets (theory.md): overlap
 * J1 = J2 loses d + 1 directions, w_i = 0 loses d, J_i = 0 loses one;
 * P = 2 + 2d. */
static const model_testpoint mlp2_testpoints[] = {
    {"tanh d=1 generic", "act=tanh w1=0.385 w2=-0.73 J1=0.9 J2=-0.4", NULL,
     MODEL_TP_GENERIC, 4, 0},
    {"erf d=2 generic", "d=2 w1=0.385 w2=-0.73 J1=[0.9,-0.4] J2=[-0.2,1.1]",
     NULL, MODEL_TP_GENERIC, 6, 0},
    {"tanh d=2 generic",
     "d=2 act=tanh w1=0.385 w2=-0.73 J1=[0.9,-0.4] J2=[-0.2,1.1]", NULL,
     MODEL_TP_GENERIC, 6, 0},
    {"d=1 overlap J1=J2", "w1=0.7 w2=0.4 J1=0.8 J2=0.8", NULL, MODEL_TP_ON, 2,
     0},
    {"d=2 overlap J1=J2", "d=2 w1=0.7 w2=0.4 J1=[0.6,-0.3] J2=[0.6,-0.3]",
     NULL, MODEL_TP_ON, 3, 0},
    {"d=2 w2=0", "d=2 w1=0.7 w2=0 J1=[0.6,-0.3] J2=[-0.4,0.9]", NULL,
     MODEL_TP_ON, 4, 0},
    {"d=1 J1=0", "w1=0.7 w2=-0.4 J1=0 J2=0.9", NULL, MODEL_TP_ON, 3, 0},
};

/* ---- online learning from an mlp2 teacher (learn/train.c: algo=sgd) ------
 * The fast path of model_type.online_steps. Per example: x ~ N(0, I_d) as
 * d ziggurat draws (gsl_ran_gaussian_ziggurat), then the teacher's
 * response y = f_T(x) + sigma_T e with one more draw e; the loss is
 * -log p(y | x, theta) = (y - f(x))^2 / (2 sigma^2) + const, whose
 * gradient is -(y - f) grad f / sigma^2. A step moves every free
 * parameter by eta / sigma^2 times the batch mean of (y - f) grad f, all
 * from the parameters before the step. Per example that is d + 1
 * Gaussian draws, four activations (g of both teacher units, g and g' of
 * both student units: for erf 4 erf and 2 exp) and about 10 d + 15 flops;
 * nothing is allocated. d = 1 and d = 2 are compiled as their own loops. */
#if defined(__GNUC__)
#define MLP2_INLINE static inline __attribute__((always_inline))
#else
#define MLP2_INLINE static inline
#endif

MLP2_INLINE double act_g(int act, double t)
{
    if (act == ACT_ERF)
        return erf(t * M_SQRT1_2);
    double g, gp;
    act_eval(act, t, &g, &gp);
    return g;
}

/* One fresh example at theta: its input x (d draws), the residual e =
 * y - f(x) and the output-weight parts g1, g2 and input-weight factors
 * a1 = e w1 g'(s1), a2 = e w2 g'(s2) of the loss gradient's negative. */
typedef struct {
    double e, g1, g2, a1, a2;
} online_ex;

MLP2_INLINE online_ex online_example(size_t d, int act, int tact,
                                     const double *theta, const double *tt,
                                     double tsig, gsl_rng *r, double *x)
{
    double s1 = 0, s2 = 0, t1 = 0, t2 = 0;
    for (size_t k = 0; k < d; k++) {
        x[k] = gsl_ran_gaussian_ziggurat(r, 1.0);
        s1 += theta[2 + k] * x[k];
        s2 += theta[2 + d + k] * x[k];
        t1 += tt[2 + k] * x[k];
        t2 += tt[2 + d + k] * x[k];
    }
    double y = tt[0] * act_g(tact, t1) + tt[1] * act_g(tact, t2) +
               tsig * gsl_ran_gaussian_ziggurat(r, 1.0);
    online_ex o;
    double gp1, gp2;
    act_eval(act, s1, &o.g1, &gp1);
    act_eval(act, s2, &o.g2, &gp2);
    o.e = y - theta[0] * o.g1 - theta[1] * o.g2;
    o.a1 = o.e * theta[0] * gp1;
    o.a2 = o.e * theta[1] * gp2;
    return o;
}

MLP2_INLINE void online_run(size_t d, int act, int tact, double *theta,
                            const double *tt, double tsig,
                            const double *mask, gsl_rng *r, size_t batch,
                            size_t steps)
{
    const size_t P = 2 + 2 * d;
    double x[MLP2_DMAX], acc[MLP2_PMAX];
    for (size_t s = 0; s < steps; s++) {
        for (size_t p = 0; p < P; p++)
            acc[p] = 0.0;
        for (size_t b = 0; b < batch; b++) {
            online_ex o = online_example(d, act, tact, theta, tt, tsig, r, x);
            acc[0] += o.e * o.g1;
            acc[1] += o.e * o.g2;
            for (size_t k = 0; k < d; k++) {
                acc[2 + k] += o.a1 * x[k];
                acc[2 + d + k] += o.a2 * x[k];
            }
        }
        for (size_t p = 0; p < P; p++)
            theta[p] += mask[p] * acc[p];
    }
}

/* batch = 1, the setting of the theory: the same step without the
 * accumulator (measured 15% of a d = 2 step). */
MLP2_INLINE void online_run1(size_t d, int act, int tact, double *theta,
                             const double *tt, double tsig,
                             const double *mask, gsl_rng *r, size_t steps)
{
    double x[MLP2_DMAX];
    for (size_t s = 0; s < steps; s++) {
        online_ex o = online_example(d, act, tact, theta, tt, tsig, r, x);
        theta[0] += mask[0] * o.e * o.g1;
        theta[1] += mask[1] * o.e * o.g2;
        for (size_t k = 0; k < d; k++) {
            theta[2 + k] += mask[2 + k] * o.a1 * x[k];
            theta[2 + d + k] += mask[2 + d + k] * o.a2 * x[k];
        }
    }
}

static ss_status mlp2_online_steps(const model *m, double *theta,
                                   const model *teacher, gsl_rng *r,
                                   double eta, size_t batch, size_t steps)
{
    mlp2_cfg c, ct;
    if (teacher->type != &model_mlp2_type)
        return SS_FAIL(SS_ERR_USAGE, "mlp2: the fast online route needs an "
                                     "mlp2 teacher, not %s",
                       teacher->type->name);
    get_cfg(m, &c);
    get_cfg(teacher, &ct);
    if (ct.d != c.d)
        return SS_FAIL(SS_ERR_USAGE, "mlp2: the teacher has d = %zu, the "
                                     "student d = %zu", ct.d, c.d);
    if (batch == 0)
        return SS_FAIL(SS_ERR_USAGE, "mlp2: a batch needs an example");
    if (steps == 0)
        return SS_OK;
    double mask[MLP2_PMAX];
    double k = eta / (c.sigma * c.sigma * (double)batch);
    for (size_t p = 0; p < c.P; p++)
        mask[p] = m->is_free[p] ? k : 0.0;
    const double *tt = teacher->theta;
    int erf2 = c.act == ACT_ERF && ct.act == ACT_ERF;
    if (batch == 1 && c.d == 1 && erf2)
        online_run1(1, ACT_ERF, ACT_ERF, theta, tt, ct.sigma, mask, r, steps);
    else if (batch == 1 && c.d == 2 && erf2)
        online_run1(2, ACT_ERF, ACT_ERF, theta, tt, ct.sigma, mask, r, steps);
    else if (c.d == 1 && c.act == ACT_ERF && ct.act == ACT_ERF)
        online_run(1, ACT_ERF, ACT_ERF, theta, tt, ct.sigma, mask, r, batch,
                   steps);
    else if (c.d == 2 && c.act == ACT_ERF && ct.act == ACT_ERF)
        online_run(2, ACT_ERF, ACT_ERF, theta, tt, ct.sigma, mask, r, batch,
                   steps);
    else
        online_run(c.d, c.act, ct.act, theta, tt, ct.sigma, mask, r, batch,
                   steps);
    return SS_OK;
}

const model_type model_mlp2_type = {
    .name = "mlp2",
    .summary = "perceptron with two hidden units: y = w1 g(J1.x) + w2 "
               "g(J2.x) + noise",
    .help =
        "y = w1 g(J1.x) + w2 g(J2.x) + e,  x ~ N(0, I_d),  e ~ N(0, "
        "sigma^2), no biases.\n"
        "Options: d (input dimension, 1..16, default 1); act = erf "
        "(g(t) = erf(t/sqrt 2), default)\n"
        "  or tanh; sigma (known noise standard deviation, default 1).\n"
        "Parameters in order: w1, w2 (output weights), J1, J2 (input "
        "weights); for d > 1\n"
        "  J1_1..J1_d, J2_1..J2_d, assignable at once as J1=[..], "
        "J2=[..].\n"
        "Data: columns x (x1..xd for d > 1) and y.\n"
        "Exact FIM sigma^-2 E[grad f grad f^T]: closed form for erf (any "
        "d); Gauss-Legendre\n"
        "  quadrature for tanh (d <= 2 only; use method=mc for d > 2).\n"
        "Singular sets: J1 = J2 (only w1 + w2 matters: d+1 zero "
        "eigenvalues), J1 = -J2\n"
        "  (g odd: f = (w1 - w2) g(J1.x), d+1), w1 = 0 or w2 = 0 (that "
        "unit's J unidentifiable, d),\n"
        "  J1 = 0 or J2 = 0 (g(0) = 0: that unit's w unidentifiable, 1).\n"
        "Near J1 = J2 (u = J2 - J1 -> 0, w1 + w2 != 0, w1, w2 != 0) d "
        "eigenvalues vanish like |u|^2\n"
        "  and one like |u|^6.\n"
        "Blow-down coordinates (axes for path and map): w = w1 + w2, z = "
        "(w1 - w2)/w,\n"
        "  v = (w1 J1 + w2 J2)/w, u = J2 - J1 (v_1.., u_1.. for d > 1); "
        "on u = 0, z is unidentifiable.",
    .opts = mlp2_opts,
    .nopts = sizeof mlp2_opts / sizeof mlp2_opts[0],
    .param_summary = "w1 w2 J1[d] J2[d]",
    .configure = mlp2_configure,
    .check = NULL,
    .data_cols = mlp2_data_cols,
    .data_colname = mlp2_data_colname,
    .sample = mlp2_sample,
    .loglik_terms = mlp2_loglik_terms,
    .fim_exact = mlp2_fim_exact,
    .fim_block = mlp2_fim_block,
    .singular = mlp2_singular,
    .singular_distances = mlp2_singular_distances,
    .coord_names = mlp2_coord_names,
    .to_coords = mlp2_to_coords,
    .from_coords = mlp2_from_coords,
    .describe = NULL,
    .release = NULL,
    .copy_state = NULL,
    .online_steps = mlp2_online_steps,
    .data_kind = MODEL_DATA_REGRESSION,
    .mean_jacobian = mlp2_mean_jacobian,
    .noise_var = mlp2_noise_var,
    .kl_from = mlp2_kl_from,
    .kl_grad = mlp2_kl_grad,
    .testpoints = mlp2_testpoints,
    .ntestpoints = sizeof mlp2_testpoints / sizeof mlp2_testpoints[0],
};

const model_type *const model_mlp2 = &model_mlp2_type;

/* Mean-field order parameters of wide random networks (meanfield.h). */
#include "fim/meanfield.h"

#include <gsl/gsl_integration.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Rule sizes. Both variables of a Gaussian are integrated over a radius
 * 0 <= r <= MF_RMAX (the mass beyond is below e^{-50}) by composite
 * Gauss-Legendre, MF_PANELS panels of MF_N_PANEL nodes, and the angle of the
 * pair by MF_N_ARC Gauss-Legendre nodes on each of the four arcs between the
 * lines u = 0 and v = 0. Gauss-Hermite was the first choice and is not
 * used: its nodes are spread over the whole Gaussian, so a saturating phi
 * whose derivative is a bump of width 1/sqrt(q) is under-resolved (E[tanh^2]
 * at q = 20 is off by 4e-5 relative with 320 Hermite nodes, against 1e-14
 * here). The panels end at the kink (r = 0) and the arcs at the lines where
 * relu and its step jump, so those cost no accuracy either;
 * tests/unit/test_meanfield.c checks 1e-10 against the closed forms. */
#define MF_RMAX 10.0
enum { MF_PANELS = 32, MF_N_PANEL = 12, MF_N_ARC = 40 };

static const char *const act_names[] = {"relu", "tanh", "erf", "linear"};

const char *mf_act_name(mf_act act)
{
    if ((int)act < 0 || (int)act > (int)MF_LINEAR)
        return NULL;
    return act_names[act];
}

int mf_act_parse(const char *name, mf_act *out)
{
    for (int i = 0; i <= (int)MF_LINEAR; i++)
        if (name && strcmp(name, act_names[i]) == 0) {
            *out = (mf_act)i;
            return 0;
        }
    return -1;
}

double mf_phi(mf_act act, double u)
{
    switch (act) {
    case MF_RELU:
        return u > 0.0 ? u : 0.0;
    case MF_TANH:
        return tanh(u);
    case MF_ERF:
        return erf(u);
    case MF_LINEAR:
        return u;
    }
    return NAN;
}

double mf_dphi(mf_act act, double u)
{
    switch (act) {
    case MF_RELU:
        return u > 0.0 ? 1.0 : 0.0;
    case MF_TANH: {
        double c = cosh(u);
        return isfinite(c) ? 1.0 / (c * c) : 0.0;
    }
    case MF_ERF:
        return M_2_SQRTPI * exp(-u * u);
    case MF_LINEAR:
        return 1.0;
    }
    return NAN;
}

/* ---- Gaussian expectations ---------------------------------------------- */

/* The radial nodes r_i and weights w_i on [0, MF_RMAX] (composite) and
 * the angular nodes on [-1, 1]. */
typedef struct {
    double r[MF_PANELS * MF_N_PANEL], w[MF_PANELS * MF_N_PANEL];
    double t[MF_N_ARC], tw[MF_N_ARC];
} mf_rules;

static int rules_init(mf_rules *R)
{
    gsl_integration_fixed_workspace *g = gsl_integration_fixed_alloc(
        gsl_integration_fixed_legendre, MF_N_PANEL, -1.0, 1.0, 0.0, 0.0);
    gsl_integration_fixed_workspace *a = gsl_integration_fixed_alloc(
        gsl_integration_fixed_legendre, MF_N_ARC, -1.0, 1.0, 0.0, 0.0);
    int ok = g && a;
    if (ok) {
        const double *x = gsl_integration_fixed_nodes(g);
        const double *w = gsl_integration_fixed_weights(g);
        double h = 0.5 * MF_RMAX / MF_PANELS;
        for (int p = 0; p < MF_PANELS; p++)
            for (int i = 0; i < MF_N_PANEL; i++) {
                R->r[p * MF_N_PANEL + i] = h * (2 * p + 1 + x[i]);
                R->w[p * MF_N_PANEL + i] = h * w[i];
            }
        memcpy(R->t, gsl_integration_fixed_nodes(a), sizeof R->t);
        memcpy(R->tw, gsl_integration_fixed_weights(a), sizeof R->tw);
    }
    if (g)
        gsl_integration_fixed_free(g);
    if (a)
        gsl_integration_fixed_free(a);
    return ok ? 0 : -1;
}

enum { MF_NR = MF_PANELS * MF_N_PANEL };

/* E[f(u)] = int_0^inf phi(z) (f(sqrt(q) z) + f(-sqrt(q) z)) dz. */
static double expect1_r(const mf_rules *R, mf_fn f, void *ctx, double q)
{
    double sq = sqrt(q > 0.0 ? q : 0.0), s = 0.0;
    for (int i = 0; i < MF_NR; i++) {
        double z = R->r[i];
        s += R->w[i] * exp(-0.5 * z * z) *
             (f(sq * z, ctx) + f(-sq * z, ctx));
    }
    return s / sqrt(2.0 * M_PI);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* With z = r (cos t, sin t) standard normal, u = a r cos t and
 * v = b r cos(t - t0), cos t0 = rho (the Cholesky factor of the pair's
 * correlation written in polar form); the density is
 * (1/2 pi) r e^{-r^2/2} dr dt. */
static double expect2_r(const mf_rules *R, mf_fn f, void *fctx, mf_fn g,
                        void *gctx, double qa, double qb, double qab)
{
    double a = sqrt(qa > 0.0 ? qa : 0.0), b = sqrt(qb > 0.0 ? qb : 0.0);
    double rho = (a > 0.0 && b > 0.0) ? qab / (a * b) : 0.0;
    if (rho > 1.0)
        rho = 1.0;
    if (rho < -1.0)
        rho = -1.0;
    double t0 = acos(rho);
    /* The arcs end where u = 0 or v = 0. */
    double cut[5] = {0.5 * M_PI, 1.5 * M_PI, fmod(t0 + 0.5 * M_PI, 2 * M_PI),
                     fmod(t0 + 1.5 * M_PI, 2 * M_PI), 0.0};
    qsort(cut, 4, sizeof cut[0], cmp_double);
    cut[4] = cut[0] + 2.0 * M_PI;

    double rw[MF_NR];
    for (int i = 0; i < MF_NR; i++)
        rw[i] = R->w[i] * R->r[i] * exp(-0.5 * R->r[i] * R->r[i]);
    double total = 0.0;
    for (int k = 0; k < 4; k++) {
        double lo = cut[k], hi = cut[k + 1];
        if (hi - lo <= 0.0)
            continue;
        double half = 0.5 * (hi - lo), mid = 0.5 * (hi + lo), arc = 0.0;
        for (int j = 0; j < MF_N_ARC; j++) {
            double t = mid + half * R->t[j];
            double ca = a * cos(t), cb = b * cos(t - t0), rad = 0.0;
            for (int i = 0; i < MF_NR; i++)
                rad += rw[i] * f(ca * R->r[i], fctx) * g(cb * R->r[i], gctx);
            arc += R->tw[j] * rad;
        }
        total += half * arc;
    }
    return total / (2.0 * M_PI);
}

double mf_expect1(mf_fn f, void *ctx, double q)
{
    mf_rules R;
    return rules_init(&R) == 0 ? expect1_r(&R, f, ctx, q) : NAN;
}

double mf_expect2(mf_fn f, void *fctx, mf_fn g, void *gctx, double qa,
                  double qb, double qab)
{
    mf_rules R;
    return rules_init(&R) == 0 ? expect2_r(&R, f, fctx, g, gctx, qa, qb, qab)
                               : NAN;
}

/* ---- the recursions ---------------------------------------------------- */

static double phi_fn(double x, void *ctx)
{
    return mf_phi(*(const mf_act *)ctx, x);
}

static double phi_sq_fn(double x, void *ctx)
{
    double p = mf_phi(*(const mf_act *)ctx, x);
    return p * p;
}

static double dphi_fn(double x, void *ctx)
{
    return mf_dphi(*(const mf_act *)ctx, x);
}

static double dphi_sq_fn(double x, void *ctx)
{
    double p = mf_dphi(*(const mf_act *)ctx, x);
    return p * p;
}

static double alpha_at(const mf_spec *s, int l)
{
    return s->alpha ? s->alpha[l] : 1.0;
}

ss_status mf_solve(const mf_spec *spec, mf_result *out)
{
    if (!spec || spec->L < 1 || spec->L > MF_MAX_LAYERS)
        return SS_FAIL(SS_ERR_RANGE,
                       "mean field: layers must be 1..%d, got %d",
                       MF_MAX_LAYERS, spec ? spec->L : 0);
    if (!mf_act_name(spec->act))
        return SS_FAIL(SS_ERR_RANGE, "mean field: unknown activation %d",
                       (int)spec->act);
    if (!(spec->sw2 > 0.0) || !isfinite(spec->sw2))
        return SS_FAIL(SS_ERR_RANGE,
                       "mean field: sw2 must be positive and finite, got %g",
                       spec->sw2);
    if (!(spec->sb2 >= 0.0) || !isfinite(spec->sb2))
        return SS_FAIL(SS_ERR_RANGE,
                       "mean field: sb2 must be >= 0 and finite, got %g",
                       spec->sb2);
    if (!(spec->q0_1 > 0.0) || !isfinite(spec->q0_1) ||
        !(fabs(spec->q0_2) <= spec->q0_1))
        return SS_FAIL(SS_ERR_RANGE,
                       "mean field: input moments need q0_1 > 0 and "
                       "|q0_2| <= q0_1, got q0_1 = %g, q0_2 = %g",
                       spec->q0_1, spec->q0_2);
    for (int l = 0; l < spec->L; l++)
        if (!(alpha_at(spec, l) > 0.0) || !isfinite(alpha_at(spec, l)))
            return SS_FAIL(SS_ERR_RANGE,
                           "mean field: width ratio alpha_%d must be "
                           "positive, got %g",
                           l, alpha_at(spec, l));

    mf_rules R;
    if (rules_init(&R) != 0)
        return SS_FAIL(SS_ERR_NOMEM, "mean field: cannot allocate the "
                                     "quadrature rules");
    mf_result r;
    memset(&r, 0, sizeof r);
    r.L = spec->L;
    mf_act act = spec->act;
    int L = spec->L;

    /* Forward: qh^0 is the input's; q^l from qh^{l-1}; qh^l from q^l. */
    r.qh1[0] = spec->q0_1;
    r.qh2[0] = spec->q0_2;
    double e1[MF_MAX_LAYERS + 1] = {0}, e2[MF_MAX_LAYERS + 1] = {0};
    for (int l = 1; l <= L; l++) {
        r.q1[l] = spec->sw2 * r.qh1[l - 1] + spec->sb2;
        r.q2[l] = spec->sw2 * r.qh2[l - 1] + spec->sb2;
        if (l == L)
            break; /* the output is linear: no h^L */
        r.qh1[l] = expect1_r(&R, phi_sq_fn, &act, r.q1[l]);
        r.qh2[l] = expect2_r(&R, phi_fn, &act, phi_fn, &act, r.q1[l],
                             r.q1[l], r.q2[l]);
        /* The derivative moments the backward pass needs at layer l. */
        e1[l] = expect1_r(&R, dphi_sq_fn, &act, r.q1[l]);
        e2[l] = expect2_r(&R, dphi_fn, &act, dphi_fn, &act, r.q1[l],
                          r.q1[l], r.q2[l]);
    }

    /* Backward: delta^L = e_k for both inputs. */
    r.qt1[L] = 1.0;
    r.qt2[L] = 1.0;
    for (int l = L - 1; l >= 1; l--) {
        r.qt1[l] = spec->sw2 * r.qt1[l + 1] * e1[l];
        r.qt2[l] = spec->sw2 * r.qt2[l + 1] * e2[l];
    }

    r.alpha = 0.0;
    for (int l = 1; l <= L - 1; l++)
        r.alpha += alpha_at(spec, l) * alpha_at(spec, l - 1);
    if (r.alpha > 0.0) {
        double k1 = 0.0, k2 = 0.0;
        for (int l = 1; l <= L; l++) {
            double w = alpha_at(spec, l - 1) / r.alpha;
            k1 += w * r.qt1[l] * r.qh1[l - 1];
            k2 += w * r.qt2[l] * r.qh2[l - 1];
        }
        r.kappa1 = k1;
        r.kappa2 = k2;
    } else {
        r.kappa1 = r.kappa2 = NAN;
    }
    for (int l = 0; l <= L; l++)
        if (!isfinite(r.q1[l]) || !isfinite(r.q2[l]) ||
            !isfinite(r.qh1[l]) || !isfinite(r.qh2[l]) ||
            !isfinite(r.qt1[l]) || !isfinite(r.qt2[l]))
            return SS_FAIL(SS_ERR_NUMERIC,
                           "mean field: the order parameters overflow at "
                           "layer %d (sw2 = %g too large for %d layers?)",
                           l, spec->sw2, L);
    *out = r;
    return SS_OK;
}

static ss_status check_stats_args(const mf_result *r, int C, int T)
{
    if (!r || r->L < 2 || !(r->alpha > 0.0))
        return SS_FAIL(SS_ERR_RANGE,
                       "mean field: the FIM statistics need at least one "
                       "hidden layer (layers >= 2), got %d",
                       r ? r->L : 0);
    if (C < 1 || T < 1)
        return SS_FAIL(SS_ERR_RANGE,
                       "mean field: outputs and inputs must be >= 1, got "
                       "C = %d, T = %d",
                       C, T);
    return SS_OK;
}

ss_status mf_predict(const mf_result *r, double M, int C, int T,
                     mf_stats *out)
{
    ss_status st = check_stats_args(r, C, T);
    if (st != SS_OK)
        return st;
    if (!(M > 0.0) || !isfinite(M))
        return SS_FAIL(SS_ERR_RANGE, "mean field: width must be positive, "
                                     "got %g",
                       M);
    double f = (T - 1.0) / T;
    out->m_lambda = r->kappa1 * C / M;
    out->lambda_max = r->alpha * M * (f * r->kappa2 + r->kappa1 / T);
    out->s_lambda = r->alpha * C *
                    (f * r->kappa2 * r->kappa2 + r->kappa1 * r->kappa1 / T);
    return SS_OK;
}

ss_status mf_predict_finite(const mf_result *r, const size_t *widths, int C,
                            int T, mf_stats *out)
{
    ss_status st = check_stats_args(r, C, T);
    if (st != SS_OK)
        return st;
    int L = r->L;
    for (int l = 0; l < L; l++)
        if (widths[l] < 1)
            return SS_FAIL(SS_ERR_RANGE,
                           "mean field: layer %d has width 0", l);
    double P = 0.0, d1 = 0.0, d2 = 0.0;
    for (int l = 1; l <= L; l++) {
        double in = (double)widths[l - 1];
        double outw = l == L ? (double)C : (double)widths[l];
        P += outw * (in + 1.0);
        d1 += r->qt1[l] * (in * r->qh1[l - 1] + 1.0);
        d2 += r->qt2[l] * (in * r->qh2[l - 1] + 1.0);
    }
    double top = d1 + (T - 1.0) * d2, rest = d1 - d2;
    out->m_lambda = C * d1 / P;
    out->lambda_max = (T > 1 && rest > top ? rest : top) / T;
    out->s_lambda = C * (d1 * d1 + (T - 1.0) * d2 * d2) / (T * P);
    return SS_OK;
}

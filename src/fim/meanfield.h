/* Mean-field order parameters of wide random networks and the FIM
 * eigenvalue statistics they predict (Karakida, Akaho & Amari 2019; the
 * forward and backward recursions of Poole et al. 2016 and Schoenholz et al.
 * 2017). Pure numerics: no session, model or command code. docs/theory.md,
 * "Wide random networks: mean-field order parameters", derives everything.
 *
 * The network (layers l = 1..L, L weight layers):
 *   h^0 = x (M_0 = alpha_0 M entries),
 *   u^l = W^l h^{l-1} + b^l,  W^l_ij ~ N(0, sw2 / M_{l-1}),  b^l_i ~ N(0, sb2),
 *   h^l = phi(u^l) for l = 1..L-1,  f = u^L (C linear outputs, M_L = C).
 * Hidden widths M_l = alpha_l M for l = 0..L-1; the output width C stays
 * O(1) as M grows, so it has no alpha.
 *
 * Index conventions (array index = layer index l; unused slots are 0):
 *   q1[l], q2[l]    l = 1..L    pre-activation moments: q1 = |u^l|^2 / M_l,
 *                               q2 = u^l(x) . u^l(x') / M_l;
 *   qh1[l], qh2[l]  l = 0..L-1  activation moments: qh1 = |h^l|^2 / M_l,
 *                               qh2 = h^l(x) . h^l(x') / M_l; qh[0] is the
 *                               input's (the spec's q0_1, q0_2);
 *   qt1[l], qt2[l]  l = 1..L    backward moments of the deltas
 *                               delta^l_i = d f_k / d u^l_i for one output k:
 *                               qt1 = sum_i delta^l_i(x)^2 (a SUM over the
 *                               M_l units: each delta is O(1/sqrt M), so this
 *                               is M_l times the mean square),
 *                               qt2 = sum_i delta^l_i(x) delta^l_i(x');
 *                               qt[L] = 1 (delta^L = e_k).
 * Recursions:
 *   q^1 = sw2 qh^0 + sb2,   q^{l+1} = sw2 qh^l + sb2,
 *   qh^l_1 = E[phi(u)^2], qh^l_2 = E[phi(u) phi(v)],
 *   qt^l_1 = sw2 qt^{l+1}_1 E[phi'(u)^2], qt^l_2 = sw2 qt^{l+1}_2 E[phi'(u) phi'(v)],
 * with (u, v) centred Gaussian, Var u = Var v = q^l_1, Cov = q^l_2.
 *   alpha  = sum_{l=1}^{L-1} alpha_l alpha_{l-1}   (P ~ alpha M^2),
 *   kappa_i = sum_{l=1}^{L} (alpha_{l-1} / alpha) qt^l_i qh^{l-1}_i,
 * the bias terms (O(1/M) relative) left out, as in the paper.
 *
 * Gaussian expectations: the correlated pair in polar coordinates of the
 * Cholesky-whitened pair, composite Gauss-Legendre in the radius and
 * Gauss-Legendre in the angle split where u = 0 or v = 0, so the kink of
 * relu (and the jump of its derivative) costs no accuracy; one variable by
 * the same radial rule on both half-lines. (Gauss-Hermite under-resolves
 * saturating activations at large q; meanfield.c says by how much.)
 */
#ifndef SS_MEANFIELD_H
#define SS_MEANFIELD_H

#include "core/status.h"

#include <stddef.h>

#define MF_MAX_LAYERS 64

typedef enum { MF_RELU, MF_TANH, MF_ERF, MF_LINEAR } mf_act;

/* "relu", "tanh", "erf", "linear"; NULL for an unknown value. */
const char *mf_act_name(mf_act act);
/* 0 and *out set for a known name, -1 otherwise. */
int mf_act_parse(const char *name, mf_act *out);

double mf_phi(mf_act act, double u);
/* phi'(u); relu' is the step 1{u > 0}. */
double mf_dphi(mf_act act, double u);

typedef struct {
    int L;               /* weight layers, 1..MF_MAX_LAYERS */
    const double *alpha; /* alpha[0..L-1] (input, hidden widths / M), each
                            > 0; NULL: all 1 */
    mf_act act;
    double sw2, sb2;     /* sw2 > 0, sb2 >= 0 */
    double q0_1, q0_2;   /* |x|^2 / M_0 > 0 and x . x' / M_0, |q0_2| <= q0_1
                            (standard-normal inputs: 1 and 0) */
} mf_spec;

typedef struct {
    int L;
    double q1[MF_MAX_LAYERS + 1], q2[MF_MAX_LAYERS + 1];
    double qh1[MF_MAX_LAYERS + 1], qh2[MF_MAX_LAYERS + 1];
    double qt1[MF_MAX_LAYERS + 1], qt2[MF_MAX_LAYERS + 1];
    double alpha;        /* sum_{l=1}^{L-1} alpha_l alpha_{l-1}; 0 when L = 1 */
    double kappa1, kappa2; /* NaN when alpha = 0 (no hidden layer) */
} mf_result;

/* The order parameters of spec. SS_ERR_RANGE (nothing written) for an
 * invalid spec. */
ss_status mf_solve(const mf_spec *spec, mf_result *out);

/* The leading-order FIM eigenvalue statistics of the regression FIM
 * F = (1/T) sum_t J_t^T J_t (C outputs, T inputs, width M):
 *   m_lambda = kappa1 C / M,
 *   lambda_max = alpha M ((T-1)/T kappa2 + kappa1/T)   (C-fold),
 *   s_lambda = alpha C ((T-1)/T kappa2^2 + kappa1^2/T)  (sum lambda^2 / P). */
typedef struct {
    double m_lambda, s_lambda, lambda_max;
} mf_stats;

/* SS_ERR_RANGE for L = 1 (no hidden layer: P is O(M), not O(M^2)),
 * M <= 0, C < 1 or T < 1. */
ss_status mf_predict(const mf_result *r, double M, int C, int T,
                     mf_stats *out);

/* The same statistics at a finite width: the exact parameter count
 * P = sum_l M_l (M_{l-1} + 1) with M_l = alpha_l M (l < L), M_L = C, and
 * the bias parameters' share of the trace (qt^l_i per layer) kept. Each
 * output's T x T block of J J^T / T is modelled as d1 on the diagonal and d2
 * off it (blocks of different outputs orthogonal), where
 *   d_i = sum_l qt^l_i (M_{l-1} qh^{l-1}_i + 1):
 * m_lambda = C d1 / P, lambda_max = max(d1 + (T-1) d2, d1 - d2) / T,
 * s_lambda = C (d1^2 + (T-1) d2^2) / (T P). widths[l] (l = 0..L-1) are the
 * actual layer sizes. Errors as mf_predict, plus any width < 1. */
ss_status mf_predict_finite(const mf_result *r, const size_t *widths, int C,
                            int T, mf_stats *out);

/* Gaussian expectations, exposed for the tests and for callers with other
 * integrands. f and g may have kinks or jumps only at 0.
 *   mf_expect1: E[f(u)],         u ~ N(0, q), q >= 0;
 *   mf_expect2: E[f(u) g(v)],    Var u = qa, Var v = qb, Cov = qab
 *                                (|qab| <= sqrt(qa qb), clamped). */
typedef double (*mf_fn)(double x, void *ctx);
double mf_expect1(mf_fn f, void *ctx, double q);
double mf_expect2(mf_fn f, void *fctx, mf_fn g, void *gctx, double qa,
                  double qb, double qab);

#endif

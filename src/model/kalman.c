/* Kalman filter for ARMA processes in Harvey's state-space form, with the
 * stationary start from the discrete Lyapunov equation and the recursions
 * differentiated analytically (forward mode) for per-term scores (moved
 * out of arma.c; see kalman.h). */
#include "model/kalman.h"

#include <float.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_math.h>
#include <math.h>
#include <string.h>

/* ---- state-space form --------------------------------------------------------
 *
 * State alpha_t in R^r, r = max(p, q + 1) (Harvey's form):
 *   x_t = alpha_t[0],
 *   alpha_{t+1} = T alpha_t + R e_{t+1},
 * T[i][0] = ar_{i+1} (0 beyond p), T[i][i+1] = 1; R = (1, ma1, .., maq, 0..).
 * Covariances are kept in units of sigma2. */
void kalman_init_arma(kalman_ss *f, size_t p, size_t q, const double *theta)
{
    f->p = p;
    f->q = q;
    f->P = p + q;
    f->r = p > q + 1 ? p : q + 1;
    for (size_t i = 0; i < KALMAN_RMAX; i++) {
        f->phi[i] = i < p ? theta[i] : 0.0;
        f->R[i] = i == 0 ? 1.0 : i <= q ? theta[p + i - 1] : 0.0;
    }
}

double kalman_T(const kalman_ss *f, size_t i, size_t k)
{
    return (k == 0 ? f->phi[i] : 0.0) + (k == i + 1 ? 1.0 : 0.0);
}

/* out = T a */
void kalman_Tvec(const kalman_ss *f, const double *a, double *out)
{
    size_t r = f->r;
    for (size_t i = 0; i < r; i++)
        out[i] = f->phi[i] * a[0] + (i + 1 < r ? a[i + 1] : 0.0);
}

/* C = T A T^T for a symmetric r x r A (row-major); O(r^2). */
void kalman_Tsym(const kalman_ss *f, const double *A, double *C)
{
    size_t r = f->r;
    double B[KALMAN_RR];
    for (size_t i = 0; i < r; i++)
        for (size_t j = 0; j < r; j++)
            B[i * r + j] = f->phi[i] * A[j] + (i + 1 < r ? A[(i + 1) * r + j]
                                                         : 0.0);
    for (size_t i = 0; i < r; i++)
        for (size_t j = 0; j <= i; j++) {
            double v = f->phi[j] * B[i * r] + (j + 1 < r ? B[i * r + j + 1]
                                                         : 0.0);
            C[i * r + j] = v;
            C[j * r + i] = v;
        }
}

/* Add dT A T^T + T A dT^T + dR R^T + R dR^T of parameter k to D (symmetric
 * A): for ar_{k+1}, dT = E_{k,0} and the term is w e_k^T + e_k w^T with
 * w = T A e_0; for ma_j (k = p + j - 1), dR = e_j. */
void kalman_dterm(const kalman_ss *f, size_t k, const double *A, double *D)
{
    size_t r = f->r, row;
    double w[KALMAN_RMAX];
    if (k < f->p) {
        for (size_t b = 0; b < r; b++)
            w[b] = f->phi[b] * A[0] + (b + 1 < r ? A[(b + 1) * r] : 0.0);
        row = k;
    } else {
        memcpy(w, f->R, r * sizeof *w);
        row = k - f->p + 1;
    }
    for (size_t b = 0; b < r; b++) {
        D[row * r + b] += w[b];
        D[b * r + row] += w[b];
    }
}

/* The stationary state covariance P0 = T P0 T^T + R R^T and, for the first
 * nd parameters, its derivatives dP0[k] = T dP0[k] T^T + (the dterm of P0):
 * discrete Lyapunov equations with one matrix (I - T (x) T), solved by LU
 * on vec(P) (r^2 <= 81 unknowns). */
ss_status kalman_stationary(const kalman_ss *f, double *P0, double *dP0,
                               size_t nd)
{
    size_t r = f->r, n = r * r;
    gsl_matrix *A = gsl_matrix_alloc(n, n);
    gsl_permutation *perm = gsl_permutation_alloc(n);
    gsl_vector *b = gsl_vector_alloc(n);
    ss_status st = SS_OK;
    if (!A || !perm || !b)
        st = SS_FAIL(SS_ERR_NOMEM, "out of memory");
    int sgn = 0;
    if (st == SS_OK) {
        for (size_t i = 0; i < r; i++)
            for (size_t j = 0; j < r; j++)
                for (size_t k = 0; k < r; k++)
                    for (size_t l = 0; l < r; l++)
                        gsl_matrix_set(A, i * r + j, k * r + l,
                                       (i == k && j == l ? 1.0 : 0.0) -
                                           kalman_T(f, i, k) * kalman_T(f, j, l));
        if (gsl_linalg_LU_decomp(A, perm, &sgn) != GSL_SUCCESS)
            st = SS_FAIL(SS_ERR_NUMERIC,
                         "arma: the stationary covariance equation is "
                         "singular");
    }
    for (size_t k = 0; st == SS_OK && k <= nd; k++) {
        double *X = k == 0 ? P0 : dP0 + (k - 1) * KALMAN_RR;
        if (k == 0) {
            for (size_t i = 0; i < r; i++)
                for (size_t j = 0; j < r; j++)
                    X[i * r + j] = f->R[i] * f->R[j];
        } else {
            memset(X, 0, n * sizeof *X);
            kalman_dterm(f, k - 1, P0, X);
        }
        for (size_t i = 0; i < n; i++)
            gsl_vector_set(b, i, X[i]);
        if (gsl_linalg_LU_svx(A, perm, b) != GSL_SUCCESS) {
            st = SS_FAIL(SS_ERR_NUMERIC,
                         "arma: solving for the stationary covariance "
                         "failed");
            break;
        }
        for (size_t i = 0; i < r; i++)
            for (size_t j = 0; j <= i; j++) {
                double v = 0.5 * (gsl_vector_get(b, i * r + j) +
                                  gsl_vector_get(b, j * r + i));
                X[i * r + j] = v;
                X[j * r + i] = v;
            }
    }
    if (A)
        gsl_matrix_free(A);
    if (perm)
        gsl_permutation_free(perm);
    if (b)
        gsl_vector_free(b);
    return st;
}

/* ---- exact log-likelihood ----------------------------------------------------
 *
 * Kalman filter (covariances in units of sigma2), a_1 = 0, P_1 = P0:
 *   v_t = x_t - a_t[0],  F_t = P_t[0][0],  g = P_t e_0,
 *   ell_t = -(log(2 pi sigma2 F_t) + v_t^2 / (sigma2 F_t)) / 2,
 *   a_{t|t} = a_t + g v_t / F_t,  P_{t|t} = P_t - g g^T / F_t,
 *   a_{t+1} = T a_{t|t},  P_{t+1} = T P_{t|t} T^T + R R^T,
 * so ell_t = log N(x_t; xhat_t, sigma2 F_t). F_t >= 1 (the one-step
 * prediction variance is at least the innovation variance). The scores
 * differentiate every line in each parameter (dT, dR constant), starting
 * from dP0 of the Lyapunov equation: O(n P r^2).
 *
 * Steady state: for an invertible MA part P_t -> R R^T geometrically
 * (|xi_MA|^(2t); after r steps for a pure AR), and then exactly
 * F = 1, g = R, P_{t|t} = 0, dP = dR R^T + R dR^T, dF = 0, dg = dR: a
 * fixed point of the recursions. Once P_t and every dP_t are within
 * STEADY_TOL (a few rounding errors) of it, the filter continues with
 * those exact values and updates only the means: O(n P r). The switch
 * changes ell and the scores by about the rounding noise already there. */
#define STEADY_TOL (16.0 * DBL_EPSILON)

/* The derivative of the state mean and covariance with respect to
 * parameter k carried through one filter step (update, then predict):
 * dak and dPk in place, from the innovation v (derivative dv), its
 * variance's inverse iF (derivative dF of the variance), the gain
 * numerator g = P[:, 0], the filtered mean af and covariance Pf. The
 * per-term filter and the sums-only filter share it. */
static inline void deriv_update(const kalman_ss *f, size_t k, size_t p,
                                double v, double dv, double dF, double iF,
                                const double *g, const double *af,
                                const double *Pf, double *dak, double *dPk)
{
    size_t r = f->r;
    double dg[KALMAN_RMAX], daf[KALMAN_RMAX], dPf[KALMAN_RR];
    for (size_t i = 0; i < r; i++) {
        dg[i] = dPk[i * r];
        daf[i] = dak[i] + (dg[i] * v + g[i] * dv) * iF -
                 g[i] * v * dF * iF * iF;
    }
    for (size_t i = 0; i < r; i++)
        for (size_t j = 0; j < r; j++)
            dPf[i * r + j] = dPk[i * r + j] -
                             (dg[i] * g[j] + g[i] * dg[j]) * iF +
                             g[i] * g[j] * dF * iF * iF;
    kalman_Tvec(f, daf, dak);
    if (k < p)
        dak[k] += af[0];
    kalman_Tsym(f, dPf, dPk);
    kalman_dterm(f, k, Pf, dPk);
}

/* max |P - R R^T| and max_k |dP_k - (dR_k R^T + R dR_k^T)|, relative to
 * 1 + max R_i^2, within STEADY_TOL. */
int kalman_is_steady(const kalman_ss *f, const double *Pm, const double *dP,
                        size_t nd)
{
    size_t r = f->r;
    double scale = 1.0;
    for (size_t i = 0; i < r; i++)
        scale = fmax(scale, f->R[i] * f->R[i]);
    double tol = STEADY_TOL * scale;
    for (size_t i = 0; i < r; i++)
        for (size_t j = 0; j < r; j++)
            if (!(fabs(Pm[i * r + j] - f->R[i] * f->R[j]) <= tol))
                return 0;
    for (size_t k = 0; k < nd; k++) {
        const double *dPk = dP + k * KALMAN_RR;
        size_t row = k < f->p ? r : k - f->p + 1; /* dR_k = e_row */
        for (size_t i = 0; i < r; i++)
            for (size_t j = 0; j < r; j++) {
                double want = (i == row ? f->R[j] : 0.0) +
                              (j == row ? f->R[i] : 0.0);
                if (!(fabs(dPk[i * r + j] - want) <= tol))
                    return 0;
            }
    }
    return 1;
}

ss_status kalman_loglik(const kalman_ss *f, double s2, const gsl_matrix *data,
                        double *ell, gsl_matrix *scores)
{
    size_t p = f->p, r = f->r, nd = scores ? f->P : 0, n = data->size1;
    double Pm[KALMAN_RR], Pf[KALMAN_RR], a[KALMAN_RMAX] = {0}, af[KALMAN_RMAX];
    double g[KALMAN_RMAX], daf[KALMAN_RMAX];
    double dP[KALMAN_PMAX * KALMAN_RR];
    double da[KALMAN_PMAX][KALMAN_RMAX];
    memset(da, 0, sizeof da);
    ss_status st = kalman_stationary(f, Pm, dP, nd);
    if (st != SS_OK)
        return st;
    const double lc = log(2.0 * M_PI * s2);
    size_t t = 0;
    int steady = 0;
    for (; t < n && !steady; t++) {
        double x = gsl_matrix_get(data, t, 0);
        double F = Pm[0], iF = 1.0 / F, v = x - a[0];
        if (ell)
            ell[t] = -0.5 * (lc + log(F) + v * v * iF / s2);
        for (size_t i = 0; i < r; i++) {
            g[i] = Pm[i * r];
            af[i] = a[i] + g[i] * v * iF;
        }
        for (size_t i = 0; i < r; i++)
            for (size_t j = 0; j < r; j++)
                Pf[i * r + j] = Pm[i * r + j] - g[i] * g[j] * iF;
        for (size_t k = 0; k < nd; k++) {
            double *dPk = dP + k * KALMAN_RR, *dak = da[k];
            double dv = -dak[0], dF = dPk[0];
            double sc = -0.5 * dF * iF - v * dv * iF / s2 +
                        0.5 * v * v * dF * iF * iF / s2;
            gsl_matrix_set(scores, t, k, sc);
            if (t + 1 == n)
                continue;
            deriv_update(f, k, p, v, dv, dF, iF, g, af, Pf, dak, dPk);
        }
        kalman_Tvec(f, af, a);
        kalman_Tsym(f, Pf, Pm);
        for (size_t i = 0; i < r; i++)
            for (size_t j = 0; j < r; j++)
                Pm[i * r + j] += f->R[i] * f->R[j];
        steady = kalman_is_steady(f, Pm, dP, nd);
    }
    /* steady state: F = 1, g = R, dF = 0, dg_k = dR_k */
    for (; t < n; t++) {
        double x = gsl_matrix_get(data, t, 0), v = x - a[0];
        if (ell)
            ell[t] = -0.5 * (lc + v * v / s2);
        for (size_t k = 0; k < nd; k++) {
            double *dak = da[k], dv = -dak[0];
            gsl_matrix_set(scores, t, k, -v * dv / s2);
            if (t + 1 == n)
                continue;
            for (size_t i = 0; i < r; i++)
                daf[i] = dak[i] + f->R[i] * dv;
            if (k >= p)
                daf[k - p + 1] += v;
            kalman_Tvec(f, daf, dak);
            if (k < p)
                dak[k] += x; /* a_{t|t}[0] = x_t */
        }
        for (size_t i = 0; i < r; i++)
            af[i] = a[i] + f->R[i] * v;
        kalman_Tvec(f, af, a);
    }
    return SS_OK;
}


/* kalman_loglik reduced to its sums (see kalman.h): the same recursions,
 * nothing stored per term. In the steady state (F = 1, g = R, dF = 0,
 * dg_k = dR_k) a step costs O(nd r): v = x - a[0], S += v^2,
 * dS_k += 2 v dv_k, and the means a, da_k move by the plain recursion. */
ss_status kalman_sum(const kalman_ss *f, const gsl_matrix *data, size_t nd,
                     int steady, kalman_sums *out)
{
    size_t p = f->p, r = f->r, n = data->size1, tda = data->tda;
    const double *xs = data->data;
    double Pm[KALMAN_RR], Pf[KALMAN_RR], a[KALMAN_RMAX] = {0}, af[KALMAN_RMAX];
    double g[KALMAN_RMAX];
    double dP[KALMAN_PMAX * KALMAN_RR];
    double da[KALMAN_PMAX][KALMAN_RMAX];
    double S = 0, L = 0, dS[KALMAN_PMAX] = {0}, dL[KALMAN_PMAX] = {0};
    if (nd > f->P)
        nd = f->P;
    memset(da, 0, sizeof da);
    ss_status st = kalman_stationary(f, Pm, dP, nd);
    if (st != SS_OK)
        return st;
    size_t t = 0;
    int at_steady = 0;
    for (; t < n && !at_steady; t++) {
        double x = xs[t * tda];
        double F = Pm[0], iF = 1.0 / F, v = x - a[0];
        S += v * v * iF;
        L += log(F);
        for (size_t i = 0; i < r; i++) {
            g[i] = Pm[i * r];
            af[i] = a[i] + g[i] * v * iF;
        }
        for (size_t i = 0; i < r; i++)
            for (size_t j = 0; j < r; j++)
                Pf[i * r + j] = Pm[i * r + j] - g[i] * g[j] * iF;
        for (size_t k = 0; k < nd; k++) {
            double *dPk = dP + k * KALMAN_RR, *dak = da[k];
            double dv = -dak[0], dF = dPk[0];
            dS[k] += 2.0 * v * dv * iF - v * v * dF * iF * iF;
            dL[k] += dF * iF;
            if (t + 1 == n)
                continue;
            deriv_update(f, k, p, v, dv, dF, iF, g, af, Pf, dak, dPk);
        }
        kalman_Tvec(f, af, a);
        kalman_Tsym(f, Pf, Pm);
        for (size_t i = 0; i < r; i++)
            for (size_t j = 0; j < r; j++)
                Pm[i * r + j] += f->R[i] * f->R[j];
        if (steady)
            at_steady = kalman_is_steady(f, Pm, dP, nd);
    }
    out->steady_at = at_steady ? t : n;
    /* steady state: a_{t|t} = a + R v (its first entry is x_t), then
     * a_{t+1} = T a_{t|t}; da_k likewise with dv_k = -da_k[0], plus
     * dR_k v (MA) or e_k a_{t|t}[0] (AR) */
    const double *R = f->R, *phi = f->phi;
    for (; t < n; t++) {
        double x = xs[t * tda], v = x - a[0];
        S += v * v;
        for (size_t k = 0; k < nd; k++) {
            double *dak = da[k], dv = -dak[0];
            dS[k] += 2.0 * v * dv;
            /* daf = dak + R dv (+ v e_{k-p+1} for MA), dak = T daf */
            double d0 = dak[0] + dv; /* = 0: R[0] = 1 */
            for (size_t i = 0; i + 1 < r; i++)
                dak[i] = phi[i] * d0 + dak[i + 1] + R[i + 1] * dv;
            dak[r - 1] = phi[r - 1] * d0;
            if (k >= p) {
                size_t j = k - p + 1; /* daf[j] += v: dak[j - 1] += v */
                dak[j - 1] += v;
            }
            if (k < p)
                dak[k] += x;
        }
        for (size_t i = 0; i + 1 < r; i++)
            a[i] = phi[i] * x + a[i + 1] + R[i + 1] * v;
        a[r - 1] = phi[r - 1] * x;
    }
    out->S = S;
    out->L = L;
    for (size_t k = 0; k < nd; k++) {
        out->dS[k] = dS[k];
        out->dL[k] = dL[k];
    }
    return SS_OK;
}

/* The variants of `spectrum` (fim/wide_variant.h). */
#include "fim/wide_variant.h"

#include "model/dnn.h"

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_sort_vector.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

ss_status wv_check(const model *m, const ws_variant *v)
{
    const dnn_layout *y = dnn_layout_of(m);
    if (y->ntk && y->softmax)
        return SS_FAIL(SS_ERR_USAGE,
                       "spectrum: param=ntk with output=softmax is not "
                       "covered (the NTK is the kernel of the logits; for "
                       "the softmax FIM use param=standard)");
    if (v->centre && y->softmax)
        return SS_FAIL(SS_ERR_USAGE,
                       "spectrum: centre=output with output=softmax is not "
                       "covered (centring the logits would change every "
                       "Q_t; the mean subtraction is of the regression "
                       "FIM)");
    if (v->centre && v->metric)
        return SS_FAIL(SS_ERR_USAGE,
                       "spectrum: centre=output applies to the parameters' "
                       "FIM, not to metric=");
    if (v->metric && v->metric_layer >= y->L) {
        if (y->L == 1)
            return SS_FAIL(SS_ERR_RANGE,
                           "spectrum: metric=h%zu: the network (layers=1) "
                           "has no hidden layer; metric=input is its only "
                           "layer",
                           v->metric_layer);
        return SS_FAIL(SS_ERR_RANGE,
                       "spectrum: metric=h%zu: the network has hidden "
                       "layers h1..h%zu (layers=%zu)",
                       v->metric_layer, y->L - 1, y->L);
    }
    if (v->metric && 8.0 * (double)y->M[v->metric_layer] *
                             (double)y->M[v->metric_layer] > 2e9)
        return SS_FAIL(SS_ERR_LIMIT,
                       "spectrum: the metric of a layer of %zu units (%zu x "
                       "%zu) is too large",
                       y->M[v->metric_layer], y->M[v->metric_layer],
                       y->M[v->metric_layer]);
    return SS_OK;
}

size_t wv_size(const model *m, const ws_variant *v)
{
    const dnn_layout *y = dnn_layout_of(m);
    return v->metric ? y->M[v->metric_layer] : y->T * y->C;
}

size_t wv_nall(const model *m, const ws_variant *v)
{
    const dnn_layout *y = dnn_layout_of(m);
    if (v->metric)
        return y->M[v->metric_layer];
    return y->ntk ? y->T * y->C : m->P;
}

void wv_centre(gsl_matrix *K, size_t T, size_t C)
{
    size_t N = T * C;
    double *rm = calloc(N * C, sizeof *rm); /* row r's mean over t' per c' */
    double *gm = calloc(C * C, sizeof *gm);
    if (!rm || !gm) {
        free(rm);
        free(gm);
        return;
    }
    for (size_t r = 0; r < N; r++)
        for (size_t q = 0; q < N; q++)
            rm[r * C + q % C] += gsl_matrix_get(K, r, q) / (double)T;
    for (size_t r = 0; r < N; r++)
        for (size_t c = 0; c < C; c++)
            gm[(r % C) * C + c] += rm[r * C + c] / (double)T;
    /* K symmetric: the column mean of (r, q) over r is rm[q][r % C] */
    for (size_t r = 0; r < N; r++)
        for (size_t q = 0; q < N; q++)
            *gsl_matrix_ptr(K, r, q) += gm[(r % C) * C + q % C] -
                                        rm[r * C + q % C] -
                                        rm[q * C + r % C];
    /* exactly symmetric */
    for (size_t r = 0; r < N; r++)
        for (size_t q = r + 1; q < N; q++) {
            double s = 0.5 * (gsl_matrix_get(K, r, q) +
                              gsl_matrix_get(K, q, r));
            gsl_matrix_set(K, r, q, s);
            gsl_matrix_set(K, q, r, s);
        }
    free(rm);
    free(gm);
}

ss_status wv_matrix(const model *m, const ws_variant *v, const double *theta,
                    gsl_matrix **A)
{
    *A = NULL;
    const dnn_layout *y = dnn_layout_of(m);
    if (v->metric)
        return dnn_metric(m, theta, v->metric_layer, A);
    double scale = 1;
    ss_status st = dnn_gram(m, theta, A, &scale);
    if (st != SS_OK)
        return st;
    if (v->centre)
        wv_centre(*A, y->T, y->C);
    if (y->ntk) /* Theta = J J^T: T times the FIM's dual */
        gsl_matrix_scale(*A, (double)y->T);
    return SS_OK;
}

void wv_block_model(double d1, double d2, double scale, int centred,
                    size_t T, size_t C, size_t nall, size_t rank,
                    double *th)
{
    double top = centred ? 0.0 : scale * (d1 + (double)(T - 1) * d2);
    double rest = scale * (d1 - d2); /* T - 1 of them per output */
    double n = (double)nall, Cd = (double)C, Tm = (double)(T - 1);
    th[WS_M_LAMBDA] = Cd * (top + Tm * rest) / n;
    th[WS_S_LAMBDA] = Cd * (top * top + Tm * rest * rest) / n;
    th[WS_LAMBDA_MAX] = fmax(top, rest);
    th[WS_TOP_C_MEAN] = T > 1 || !centred ? fmax(top, rest) : 0.0;
    th[WS_BULK] = NAN;
    th[WS_ZEROS] = (double)(nall - (rank < nall ? rank : nall));
    /* no bulk (rest = 0: one eigenvalue per output), no outlier */
    th[WS_OUTLIERS] = rest > 0 && top > WS_OUTLIER_FACTOR * rest ? Cd : 0.0;
}

/* The generic rank of the dual's rows (before the min with nall). */
static size_t generic_rows(const dnn_layout *y, const ws_variant *v)
{
    size_t T = y->T, C = y->C;
    /* d f / d h^{L-1} = W^L at every input: rank C */
    if (v->metric && v->metric_layer + 1 == y->L)
        return y->softmax ? C - 1 : C;
    return y->softmax ? T * (C - 1) : (v->centre ? T - 1 : T) * C;
}

/* The block's d1, d2 (docs/theory.md 13.4). */
static void block_d(const dnn_layout *y, const ws_variant *v,
                    const mf_result *mf, double *d)
{
    const double *qt[2] = {mf->qt1, mf->qt2}, *qh[2] = {mf->qh1, mf->qh2};
    for (int i = 0; i < 2; i++) {
        d[i] = 0;
        if (v->metric) {
            d[i] = y->sw2 * qt[i][v->metric_layer + 1];
            continue;
        }
        for (size_t l = 1; l <= y->L; l++)
            d[i] += qt[i][l] * ((y->ntk ? y->sw2 : (double)y->M[l - 1]) *
                                    qh[i][l - 1] +
                                1.0);
    }
}

int wv_theory(const model *m, const ws_variant *v, const mf_result *mf,
              double *th, double *dout, char *note, size_t len)
{
    const dnn_layout *y = dnn_layout_of(m);
    size_t T = y->T, C = y->C, nall = wv_nall(m, v);
    size_t rows = generic_rows(y, v);
    size_t rank = v->metric ? (rows < nall ? rows : nall)
                            : (rows < m->P ? rows : m->P);
    for (int i = 0; i < WS_NSTAT; i++)
        th[i] = NAN;
    th[WS_ZEROS] = (double)(nall - (rank < nall ? rank : nall));
    note[0] = 0;
    if (!mf) {
        if (y->softmax)
            snprintf(note, len, "Q_t 1 = 0 leaves at most C - 1 = %zu "
                                "outliers",
                     C - 1);
        return 0;
    }
    double d[2], scale = y->ntk ? 1.0 : 1.0 / (double)T;
    block_d(y, v, mf, d);
    if (dout) {
        dout[0] = d[0];
        dout[1] = d[1];
    }
    if (y->softmax) {
        snprintf(note, len, "softmax: no closed form (Q_t depends on each "
                            "network's outputs); predicted given the "
                            "networks' Qbar = mean Q_t: m_lambda = d1 tr "
                            "Qbar / %s, the top C - 1 = %zu eigenvalues d2 "
                            "mu_k(Qbar) (Qbar 1 = 0: at most C - 1 "
                            "outliers)",
                 v->metric ? "M_l" : "P", C - 1);
        return 0;
    }
    wv_block_model(d[0], d[1], scale, v->centre, T, C, nall, rank, th);
    if (v->centre) {
        /* only the bulk is left; its O(sqrt(T / M)) spread, which sets
         * lambda_max and adds to s_lambda, is not modelled */
        th[WS_S_LAMBDA] = th[WS_LAMBDA_MAX] = th[WS_TOP_C_MEAN] = NAN;
        snprintf(note, len, "centre=output: the block model leaves the bulk "
                            "alone, (d1 - d2)%s (T-1) C-fold, whose spread "
                            "it does not model: only m_lambda, zeros and "
                            "outliers (none) are predicted",
                 y->ntk ? "" : "/T");
    }
    if (v->metric && nall < 4 * rows) {
        /* the T C rows of A in M_l units: a bulk of aspect ratio
         * gamma = T C / M_l spreads over (1 +- sqrt gamma)^2 times its
         * mean (Marchenko-Pastur), which the block model leaves out; at
         * gamma <= 1/4 that is within [0.25, 2.25] and the outliers
         * stand clear. Beyond, only the trace holds */
        th[WS_S_LAMBDA] = th[WS_LAMBDA_MAX] = th[WS_TOP_C_MEAN] = NAN;
        th[WS_OUTLIERS] = NAN;
        snprintf(note, len, "the block model needs M_l >= 4 T C (%zu < 4 x "
                            "%zu): only m_lambda (the trace) is predicted; "
                            "the bulk spreads over a continuum (an outlier "
                            "count means little)",
                 nall, rows);
    }
    return 1;
}

ss_status wv_qbar(const model *m, const double *theta, double *mu)
{
    const dnn_layout *y = dnn_layout_of(m);
    const gsl_matrix *X = dnn_inputs(m);
    size_t C = y->C, T = y->T;
    gsl_matrix *Q = gsl_matrix_calloc(C, C);
    gsl_vector *ev = gsl_vector_alloc(C);
    gsl_eigen_symm_workspace *w = gsl_eigen_symm_alloc(C);
    double *f = malloc(2 * C * sizeof *f);
    ss_status st = Q && ev && w && f ? SS_OK
                                     : SS_FAIL(SS_ERR_NOMEM, "out of memory");
    for (size_t t = 0; st == SS_OK && t < T; t++) {
        st = dnn_vjp(m, theta, gsl_matrix_const_ptr(X, t, 0), NULL, f, NULL);
        double mx = f[0], z = 0, *g = f + C;
        for (size_t c = 1; c < C; c++)
            mx = fmax(mx, f[c]);
        for (size_t c = 0; c < C; c++)
            z += (g[c] = exp(f[c] - mx));
        for (size_t a = 0; a < C; a++)
            for (size_t b = 0; b < C; b++)
                *gsl_matrix_ptr(Q, a, b) +=
                    ((a == b ? g[a] / z : 0.0) - g[a] * g[b] / (z * z)) /
                    (double)T;
    }
    if (st == SS_OK && gsl_eigen_symm(Q, ev, w) != GSL_SUCCESS)
        st = SS_FAIL(SS_ERR_NUMERIC, "spectrum: Qbar did not diagonalise");
    if (st == SS_OK) {
        gsl_sort_vector(ev);
        for (size_t k = 0; k < C; k++)
            mu[k] = gsl_vector_get(ev, C - 1 - k);
    }
    free(f);
    if (Q)
        gsl_matrix_free(Q);
    if (ev)
        gsl_vector_free(ev);
    if (w)
        gsl_eigen_symm_free(w);
    return st;
}

void wv_softmax_theory(const model *m, const ws_variant *v, double d1,
                       double d2, const double *mu, double *th)
{
    const dnn_layout *y = dnn_layout_of(m);
    size_t C = y->C, nall = wv_nall(m, v);
    double tr = 0, top = 0;
    for (size_t k = 0; k < C; k++) {
        tr += mu[k];
        if (k + 1 < C)
            top += mu[k];
    }
    th[WS_M_LAMBDA] = d1 * tr / (double)nall;
    th[WS_LAMBDA_MAX] = d2 * mu[0];
    th[WS_TOP_C_MEAN] = d2 * top / (double)C;
    /* the metric's rows far from orthogonal: only the trace (as for
     * regression) */
    if (v->metric && nall < 4 * generic_rows(y, v))
        th[WS_LAMBDA_MAX] = th[WS_TOP_C_MEAN] = NAN;
}

void wv_describe(const model *m, const ws_variant *v, char *buf, size_t len)
{
    const dnn_layout *y = dnn_layout_of(m);
    const char *fim = y->softmax ? "softmax FIM (1/T) sum J_t^T Q_t J_t"
                                 : "regression FIM J^T J / T";
    if (v->metric) {
        char lay[48];
        if (v->metric_layer)
            snprintf(lay, sizeof lay, "hidden layer h%zu", v->metric_layer);
        else
            snprintf(lay, sizeof lay, "the input");
        snprintf(buf, len, "the metric of %s's %zu activations (1/T) sum "
                           "A_t^T %sA_t, A_t = df/dh",
                 lay, y->M[v->metric_layer], y->softmax ? "Q_t " : "");
    } else if (y->ntk) {
        snprintf(buf, len, "the NTK Theta = J J^T (omega gradients, "
                           "param=ntk), its T C eigenvalues%s",
                 v->centre ? ", outputs' mean over the inputs subtracted"
                           : "");
    } else {
        snprintf(buf, len, "the exact %s%s", fim,
                 v->centre ? ", outputs' mean over the inputs subtracted"
                           : "");
    }
}

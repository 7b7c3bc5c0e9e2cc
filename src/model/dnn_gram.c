/* The dual (NTK) Gram of the dnn family's exact FIM (docs/theory.md, "Wide
 * random networks"). With the TC x M_l matrix D^l of deltas (row t C + c:
 * delta^l of output c at input t) and the T x M_{l-1} matrix H^{l-1} of
 * activations,
 *
 *   K = sum_l (D^l D^l^T) o (a_l^2 H^{l-1} H^{l-1}^T [rows by t] + 1),
 *
 * (o: elementwise; a_l = 1, or s_l in ntk; the 1 is the bias), then
 * K <- Q^{1/2} K Q^{1/2} blockwise for softmax, divided by T.
 *
 * Cost for L layers, N = TC rows: the backward pass D^l = (D^{l+1} W^{l+1})
 * o phi' is 2 N M_{l+1} M_l flops, each D^l D^l^T (dsyrk) N^2 M_l, the
 * forward pass 2 T M_l M_{l-1}; the output layer's D^L D^L^T = I_C per
 * input pair is written directly. For L = 3, M = 500, C = 10, T = 100:
 * 5e8 (backward) + 2 x 1e9 (two dsyrk) + 1e8 (forward) ~ 2.6e9 flops, and
 * O(N^2) per layer for the elementwise products. */
#include "model/dnn.h"
#include "model/dnn_act.h"

#include <gsl/gsl_blas.h>
#include <gsl/gsl_eigen.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

size_t dnn_gram_rows(const model *m);
size_t dnn_gram_rows(const model *m)
{
    const dnn_layout *y = dnn_layout_of(m);
    return y ? y->T * y->C : 0;
}

typedef struct {
    gsl_matrix *W[DNN_LMAX + 1];  /* effective weights M_l x M_{l-1} */
    gsl_matrix *H[DNN_LMAX + 1];  /* T x M_l, l < L (H[0]: the inputs) */
    gsl_matrix *Dp[DNN_LMAX + 1]; /* phi'(U^l), T x M_l, 0 < l < L */
    gsl_matrix *D[DNN_LMAX + 1];  /* N x M_l, 0 < l < L */
    gsl_matrix *F;                /* T x C outputs */
} net;

static void net_free(net *n, size_t L)
{
    for (size_t l = 0; l <= L; l++) {
        if (n->W[l])
            gsl_matrix_free(n->W[l]);
        if (l && n->H[l])
            gsl_matrix_free(n->H[l]);
        if (n->Dp[l])
            gsl_matrix_free(n->Dp[l]);
        if (n->D[l])
            gsl_matrix_free(n->D[l]);
    }
    if (n->H[0])
        gsl_matrix_free(n->H[0]);
    if (n->F)
        gsl_matrix_free(n->F);
}

/* Forward over all T inputs, then the deltas of every output. */
static ss_status net_run(const dnn_layout *y, const double *theta,
                         const gsl_matrix *X, net *n)
{
    size_t L = y->L, T = y->T, C = y->C, N = T * C;
    memset(n, 0, sizeof *n);
    n->H[0] = gsl_matrix_alloc(T, y->M[0]);
    n->F = gsl_matrix_alloc(T, C);
    int fail = !n->H[0] || !n->F;
    for (size_t l = 1; l <= L && !fail; l++) {
        fail |= !(n->W[l] = gsl_matrix_alloc(y->M[l], y->M[l - 1]));
        if (l < L) {
            fail |= !(n->H[l] = gsl_matrix_alloc(T, y->M[l]));
            fail |= !(n->Dp[l] = gsl_matrix_alloc(T, y->M[l]));
            fail |= !(n->D[l] = gsl_matrix_alloc(N, y->M[l]));
        }
    }
    if (fail)
        return SS_FAIL(SS_ERR_NOMEM, "dnn: out of memory for the Gram of "
                                     "%zu rows",
                       N);
    gsl_matrix_memcpy(n->H[0], X);
    for (size_t l = 1; l <= L; l++) {
        double a = y->ntk ? y->s[l] : 1.0;
        size_t ni = y->M[l], nj = y->M[l - 1];
        for (size_t i = 0; i < ni; i++)
            for (size_t j = 0; j < nj; j++)
                gsl_matrix_set(n->W[l], i, j, a * theta[y->woff[l] + i * nj + j]);
        gsl_matrix *U = l < L ? n->H[l] : n->F;
        gsl_blas_dgemm(CblasNoTrans, CblasTrans, 1.0, n->H[l - 1], n->W[l],
                       0.0, U);
        for (size_t t = 0; t < T; t++)
            for (size_t i = 0; i < ni; i++) {
                double u = gsl_matrix_get(U, t, i) + theta[y->boff[l] + i];
                if (l < L) {
                    double dp;
                    gsl_matrix_set(U, t, i, dnn_act(y->act, u, &dp));
                    gsl_matrix_set(n->Dp[l], t, i, dp);
                } else {
                    gsl_matrix_set(U, t, i, u);
                }
            }
    }
    /* D^{L-1}: row (t, c) = W^L_c o phi'(U^{L-1}_t); then down. */
    for (size_t l = L - 1; l >= 1; l--) {
        if (l == L - 1) {
            for (size_t t = 0; t < T; t++)
                for (size_t c = 0; c < C; c++)
                    for (size_t i = 0; i < y->M[l]; i++)
                        gsl_matrix_set(n->D[l], t * C + c, i,
                                       gsl_matrix_get(n->W[L], c, i));
        } else {
            gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, n->D[l + 1],
                           n->W[l + 1], 0.0, n->D[l]);
        }
        for (size_t t = 0; t < T; t++)
            for (size_t c = 0; c < C; c++)
                for (size_t i = 0; i < y->M[l]; i++)
                    *gsl_matrix_ptr(n->D[l], t * C + c, i) *=
                        gsl_matrix_get(n->Dp[l], t, i);
    }
    return SS_OK;
}

/* delta^l_{row, i} (the output layer's is the identity). */
static inline double dval(const dnn_layout *y, const net *n, size_t l,
                          size_t row, size_t i)
{
    return l == y->L ? (double)(row % y->C == i)
                     : gsl_matrix_get(n->D[l], row, i);
}

/* K += sign v v^T (lower) for parameter p's column v of the Jacobian. */
static void add_column(const dnn_layout *y, const net *n, size_t l,
                       int is_bias, size_t comp, double sign, gsl_vector *v,
                       gsl_matrix *K)
{
    size_t C = y->C, N = y->T * C, nj = y->M[l - 1];
    size_t i = is_bias ? comp : comp / nj, j = is_bias ? 0 : comp % nj;
    double a = y->ntk ? y->s[l] : 1.0;
    for (size_t r = 0; r < N; r++) {
        double d = dval(y, n, l, r, i);
        gsl_vector_set(v, r, is_bias ? d
                                     : a * d * gsl_matrix_get(n->H[l - 1],
                                                              r / C, j));
    }
    gsl_blas_dsyr(CblasLower, sign, v, K);
}

ss_status dnn_gram(const model *m, const double *theta, gsl_matrix **Kout,
                   double *scale)
{
    *Kout = NULL;
    if (!dnn_layout_of(m))
        return SS_FAIL(SS_ERR_USAGE, "dnn_gram: not a dnn model");
    return dnn_gram_at(m, theta, dnn_inputs(m), Kout, scale);
}

ss_status dnn_gram_at(const model *m, const double *theta,
                      const gsl_matrix *X, gsl_matrix **Kout, double *scale)
{
    *Kout = NULL;
    const dnn_layout *y0 = dnn_layout_of(m);
    if (!y0)
        return SS_FAIL(SS_ERR_USAGE, "dnn_gram: not a dnn model");
    if (X->size2 != y0->M[0] || X->size1 == 0)
        return SS_FAIL(SS_ERR_USAGE, "dnn_gram: inputs must be T x %zu "
                                     "(T >= 1), not %zu x %zu",
                       y0->M[0], X->size1, X->size2);
    /* the same network at these inputs: only T changes */
    dnn_layout yy = *y0;
    yy.T = X->size1;
    const dnn_layout *y = &yy;
    size_t L = y->L, T = y->T, C = y->C, N = T * C;
    net n;
    ss_status st = net_run(y, theta, X, &n);
    gsl_matrix *K = NULL, *A = NULL, *B = NULL;
    gsl_vector *v = NULL;
    if (st == SS_OK &&
        (!(K = gsl_matrix_calloc(N, N)) || !(A = gsl_matrix_alloc(N, N)) ||
         !(B = gsl_matrix_alloc(T, T)) || !(v = gsl_vector_alloc(N))))
        st = SS_FAIL(SS_ERR_NOMEM, "dnn: out of memory for a %zu x %zu Gram",
                     N, N);
    for (size_t l = 1; st == SS_OK && l <= L; l++) {
        /* which of the layer's weights and biases are free */
        size_t nW = y->M[l] * y->M[l - 1], nb = y->M[l], fW = 0, fb = 0;
        for (size_t p = 0; p < nW; p++)
            fW += m->is_free[y->woff[l] + p] != 0;
        for (size_t p = 0; p < nb; p++)
            fb += m->is_free[y->boff[l] + p] != 0;
        /* a block mostly free is added whole, its fixed columns taken out;
         * one mostly fixed gets its free columns added one by one */
        int wholeW = fW * 2 >= nW, wholeb = fb * 2 >= nb;
        if (wholeW || wholeb) {
            double a2 = y->ntk ? y->s[l] * y->s[l] : 1.0;
            if (l < L)
                gsl_blas_dsyrk(CblasLower, CblasNoTrans, 1.0, n.D[l], 0.0, A);
            gsl_blas_dsyrk(CblasLower, CblasNoTrans, 1.0, n.H[l - 1], 0.0, B);
            for (size_t r = 0; r < N; r++)
                for (size_t q = 0; q <= r; q++) {
                    double dd = l < L ? gsl_matrix_get(A, r, q)
                                      : (double)(r % C == q % C);
                    double hh = gsl_matrix_get(B, r / C, q / C);
                    *gsl_matrix_ptr(K, r, q) +=
                        dd * ((wholeW ? a2 * hh : 0.0) + (wholeb ? 1.0 : 0.0));
                }
        }
        for (size_t p = 0; p < nW; p++) {
            int fr = m->is_free[y->woff[l] + p] != 0;
            if (wholeW ? !fr : fr)
                add_column(y, &n, l, 0, p, wholeW ? -1.0 : 1.0, v, K);
        }
        for (size_t p = 0; p < nb; p++) {
            int fr = m->is_free[y->boff[l] + p] != 0;
            if (wholeb ? !fr : fr)
                add_column(y, &n, l, 1, p, wholeb ? -1.0 : 1.0, v, K);
        }
    }
    if (st == SS_OK)
        for (size_t r = 0; r < N; r++)
            for (size_t q = r + 1; q < N; q++)
                gsl_matrix_set(K, r, q, gsl_matrix_get(K, q, r));
    if (st == SS_OK && y->softmax) {
        /* K <- R K R with R = blockdiag(Q_t^{1/2}) */
        gsl_matrix *R = gsl_matrix_alloc(C, C), *V = gsl_matrix_alloc(C, C);
        gsl_matrix *Tr = gsl_matrix_alloc(C, N), *Tc = gsl_matrix_alloc(N, C);
        gsl_vector *ev = gsl_vector_alloc(C);
        gsl_eigen_symmv_workspace *ws = gsl_eigen_symmv_alloc(C);
        double *g = malloc(C * sizeof *g);
        if (!R || !V || !Tr || !Tc || !ev || !ws || !g)
            st = SS_FAIL(SS_ERR_NOMEM, "out of memory");
        for (int pass = 0; st == SS_OK && pass < 2; pass++)
            for (size_t t = 0; st == SS_OK && t < T; t++) {
                const double *f = gsl_matrix_const_ptr(n.F, t, 0);
                double mx = f[0], z = 0;
                for (size_t c = 1; c < C; c++)
                    mx = f[c] > mx ? f[c] : mx;
                for (size_t c = 0; c < C; c++)
                    z += (g[c] = exp(f[c] - mx));
                for (size_t a = 0; a < C; a++)
                    for (size_t b = 0; b < C; b++)
                        gsl_matrix_set(R, a, b, (a == b ? g[a] / z : 0.0) -
                                                    g[a] * g[b] / (z * z));
                if (gsl_eigen_symmv(R, ev, V, ws) != GSL_SUCCESS) {
                    st = SS_FAIL(SS_ERR_NUMERIC, "dnn: the softmax metric "
                                                 "did not diagonalise");
                    break;
                }
                gsl_matrix_set_zero(R);
                for (size_t k = 0; k < C; k++) {
                    double s = sqrt(fmax(gsl_vector_get(ev, k), 0.0));
                    for (size_t a = 0; a < C; a++)
                        for (size_t b = 0; b < C; b++)
                            *gsl_matrix_ptr(R, a, b) +=
                                s * gsl_matrix_get(V, a, k) *
                                gsl_matrix_get(V, b, k);
                }
                if (pass == 0) {
                    gsl_matrix_view rows = gsl_matrix_submatrix(K, t * C, 0, C, N);
                    gsl_matrix_memcpy(Tr, &rows.matrix);
                    gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, R, Tr,
                                   0.0, &rows.matrix);
                } else {
                    gsl_matrix_view cols = gsl_matrix_submatrix(K, 0, t * C, N, C);
                    gsl_matrix_memcpy(Tc, &cols.matrix);
                    gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, Tc, R,
                                   0.0, &cols.matrix);
                }
            }
        free(g);
        if (R)
            gsl_matrix_free(R);
        if (V)
            gsl_matrix_free(V);
        if (Tr)
            gsl_matrix_free(Tr);
        if (Tc)
            gsl_matrix_free(Tc);
        if (ev)
            gsl_vector_free(ev);
        if (ws)
            gsl_eigen_symmv_free(ws);
        /* symmetric up to rounding: make it exactly so */
        for (size_t r = 0; st == SS_OK && r < N; r++)
            for (size_t q = r + 1; q < N; q++) {
                double s = 0.5 * (gsl_matrix_get(K, r, q) +
                                  gsl_matrix_get(K, q, r));
                gsl_matrix_set(K, r, q, s);
                gsl_matrix_set(K, q, r, s);
            }
    }
    if (st == SS_OK) {
        gsl_matrix_scale(K, 1.0 / (double)T);
        *scale = (double)T;
        *Kout = K;
        K = NULL;
    }
    if (K)
        gsl_matrix_free(K);
    if (A)
        gsl_matrix_free(A);
    if (B)
        gsl_matrix_free(B);
    if (v)
        gsl_vector_free(v);
    net_free(&n, L);
    return st;
}

/* ---- the metric of a layer's activations (spectrum metric=) ---------------- */

/* R = Q^{1/2} for the softmax of the logits f (C of them), into R. */
static ss_status softmax_root(size_t C, const double *f, double *g,
                              gsl_matrix *R, gsl_matrix *V, gsl_vector *ev,
                              gsl_eigen_symmv_workspace *ws)
{
    dnn_softmax(C, f, g);
    return dnn_q_root(C, g, R, V, ev, ws);
}

ss_status dnn_metric(const model *m, const double *theta, size_t layer,
                     gsl_matrix **Gout)
{
    *Gout = NULL;
    const dnn_layout *y = dnn_layout_of(m);
    if (!y)
        return SS_FAIL(SS_ERR_USAGE, "dnn_metric: not a dnn model");
    if (layer >= y->L)
        return SS_FAIL(SS_ERR_RANGE,
                       "dnn: layer %zu has no metric (0 is the input, 1..%zu "
                       "the hidden layers)",
                       layer, y->L - 1);
    size_t L = y->L, T = y->T, C = y->C, N = T * C, Ml = y->M[layer];
    net n;
    ss_status st = net_run(y, theta, dnn_inputs(m), &n);
    gsl_matrix *A = NULL, *G = NULL;
    if (st == SS_OK &&
        (!(A = gsl_matrix_alloc(N, Ml)) || !(G = gsl_matrix_alloc(Ml, Ml))))
        st = SS_FAIL(SS_ERR_NOMEM, "dnn: out of memory for a %zu x %zu "
                                   "metric",
                     Ml, Ml);
    /* row (t, c) of A: d f_c(x_t) / d h^layer = W^{layer+1}^T delta^{layer+1}_c */
    if (st == SS_OK && layer + 1 == L) {
        for (size_t t = 0; t < T; t++)
            for (size_t c = 0; c < C; c++)
                for (size_t j = 0; j < Ml; j++)
                    gsl_matrix_set(A, t * C + c, j,
                                   gsl_matrix_get(n.W[L], c, j));
    } else if (st == SS_OK) {
        gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, n.D[layer + 1],
                       n.W[layer + 1], 0.0, A);
    }
    if (st == SS_OK && y->softmax) {
        /* rows of input t <- Q_t^{1/2} rows, so A^T A = sum J^T Q J */
        gsl_matrix *R = gsl_matrix_alloc(C, C), *V = gsl_matrix_alloc(C, C);
        gsl_matrix *Tr = gsl_matrix_alloc(C, Ml);
        gsl_vector *ev = gsl_vector_alloc(C);
        gsl_eigen_symmv_workspace *ws = gsl_eigen_symmv_alloc(C);
        double *g = malloc(C * sizeof *g);
        if (!R || !V || !Tr || !ev || !ws || !g)
            st = SS_FAIL(SS_ERR_NOMEM, "out of memory");
        for (size_t t = 0; st == SS_OK && t < T; t++) {
            st = softmax_root(C, gsl_matrix_const_ptr(n.F, t, 0), g, R, V,
                              ev, ws);
            if (st != SS_OK)
                break;
            gsl_matrix_view rows = gsl_matrix_submatrix(A, t * C, 0, C, Ml);
            gsl_matrix_memcpy(Tr, &rows.matrix);
            gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, R, Tr, 0.0,
                           &rows.matrix);
        }
        free(g);
        if (R)
            gsl_matrix_free(R);
        if (V)
            gsl_matrix_free(V);
        if (Tr)
            gsl_matrix_free(Tr);
        if (ev)
            gsl_vector_free(ev);
        if (ws)
            gsl_eigen_symmv_free(ws);
    }
    if (st == SS_OK) {
        gsl_blas_dsyrk(CblasLower, CblasTrans, 1.0 / (double)T, A, 0.0, G);
        for (size_t a = 0; a < Ml; a++)
            for (size_t b = a + 1; b < Ml; b++)
                gsl_matrix_set(G, a, b, gsl_matrix_get(G, b, a));
        *Gout = G;
        G = NULL;
    }
    if (A)
        gsl_matrix_free(A);
    if (G)
        gsl_matrix_free(G);
    net_free(&n, L);
    return st;
}

/* The per-sample gradient Gram of a mini-batch of a dnn (dnn.h), without
 * the B x P matrix of per-sample gradients. For row i with output
 * residual r_i (regression y - f, softmax e_y - g), the score of W^l is
 * a_l d_i^l (h_i^{l-1})^T and of b^l is d_i^l, with d_i^L = r_i and
 * d_i^{l-1} = phi'(u_i^{l-1}) o (W^l^T d_i^l) (effective weights). So
 *
 *   K_ij = <s_i, s_j> = sum_l (d_i^l . d_j^l) (a_l^2 h_i^{l-1} . h_j^{l-1} + 1)
 *
 * from the B x M_l matrices D^l and H^{l-1}, and the summed score of W^l
 * is a_l D^l^T H^{l-1}: BLAS-3 calls over the batch, O(B P) flops and
 * O(B sum M_l) memory, where the explicit scores take B P memory and B^2
 * P flops for their Gram. */
#include "model/dnn.h"
#include "model/dnn_act.h"

#include <gsl/gsl_blas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

ss_status dnn_batch_gram(const model *m, const double *theta,
                         const gsl_matrix *X, gsl_matrix *K, double *ssum,
                         double *ell)
{
    const dnn_layout *y = dnn_layout_of(m);
    if (!y)
        return SS_FAIL(SS_ERR_USAGE, "dnn_batch_gram: not a dnn model");
    for (size_t p = 0; p < y->P; p++)
        if (!m->is_free[p])
            return SS_FAIL(SS_ERR_USAGE, "dnn_batch_gram: fixed parameters "
                                         "(use the explicit scores)");
    size_t L = y->L, B = X->size1, C = y->C, M0 = y->M[0];
    if (X->size2 != M0 + (y->softmax ? 1 : C) || K->size1 != B ||
        K->size2 != B)
        return SS_FAIL(SS_ERR_USAGE, "dnn_batch_gram: sizes do not fit");
    gsl_matrix *W[DNN_LMAX + 1] = {0}, *H[DNN_LMAX + 1] = {0};
    gsl_matrix *Dp[DNN_LMAX + 1] = {0}, *D = NULL, *Dn = NULL, *A = NULL;
    gsl_matrix *Hg = NULL;
    size_t mx = 0;
    for (size_t l = 0; l <= L; l++)
        mx = y->M[l] > mx ? y->M[l] : mx;
    int fail = !(A = gsl_matrix_alloc(B, B)) || !(Hg = gsl_matrix_alloc(B, B));
    for (size_t l = 0; l <= L && !fail; l++) {
        fail |= !(H[l] = gsl_matrix_alloc(B, y->M[l]));
        if (l >= 1)
            fail |= !(W[l] = gsl_matrix_alloc(y->M[l], y->M[l - 1]));
        if (l >= 1 && l < L)
            fail |= !(Dp[l] = gsl_matrix_alloc(B, y->M[l]));
    }
    double *buf = fail ? NULL : malloc(2 * B * mx * sizeof *buf);
    ss_status st = fail || !buf ? SS_FAIL(SS_ERR_NOMEM, "out of memory for "
                                                        "a batch of %zu",
                                          B)
                                : SS_OK;
    /* forward: H[0] = x, H[l] = phi(H[l-1] W^T + b), H[L] = f */
    for (size_t i = 0; st == SS_OK && i < B; i++)
        for (size_t j = 0; j < M0; j++)
            gsl_matrix_set(H[0], i, j, gsl_matrix_get(X, i, j));
    for (size_t l = 1; st == SS_OK && l <= L; l++) {
        double a = y->ntk ? y->s[l] : 1.0;
        size_t ni = y->M[l], nj = y->M[l - 1];
        for (size_t i = 0; i < ni; i++)
            for (size_t j = 0; j < nj; j++)
                gsl_matrix_set(W[l], i, j,
                               a * theta[y->woff[l] + i * nj + j]);
        gsl_blas_dgemm(CblasNoTrans, CblasTrans, 1.0, H[l - 1], W[l], 0.0,
                       H[l]);
        for (size_t r = 0; r < B; r++)
            for (size_t i = 0; i < ni; i++) {
                double u = gsl_matrix_get(H[l], r, i) + theta[y->boff[l] + i];
                if (l < L) {
                    double dp;
                    gsl_matrix_set(H[l], r, i, dnn_act(y->act, u, &dp));
                    gsl_matrix_set(Dp[l], r, i, dp);
                } else {
                    gsl_matrix_set(H[l], r, i, u);
                }
            }
    }
    /* residuals d^L (B x C) and the log-likelihood terms */
    gsl_matrix_view Dv, Dnv;
    if (st == SS_OK) {
        Dv = gsl_matrix_view_array(buf, B, C);
        D = &Dv.matrix;
        double lnorm = 0.5 * (double)C * log(2.0 * M_PI);
        for (size_t r = 0; st == SS_OK && r < B; r++) {
            const double *f = gsl_matrix_const_ptr(H[L], r, 0);
            double l = 0;
            if (y->softmax) {
                double k = gsl_matrix_get(X, r, M0), mxf = f[0], z = 0;
                if (!(k >= 0 && k < (double)C && k == floor(k))) {
                    st = SS_FAIL(SS_ERR_RANGE, "dnn: row %zu has class %g, "
                                               "not a whole number in "
                                               "0..%zu",
                                 r + 1, k, C - 1);
                    break;
                }
                for (size_t c = 1; c < C; c++)
                    mxf = f[c] > mxf ? f[c] : mxf;
                for (size_t c = 0; c < C; c++)
                    z += exp(f[c] - mxf);
                for (size_t c = 0; c < C; c++)
                    gsl_matrix_set(D, r, c,
                                   (c == (size_t)k) - exp(f[c] - mxf) / z);
                l = f[(size_t)k] - mxf - log(z);
            } else {
                for (size_t c = 0; c < C; c++) {
                    double e = gsl_matrix_get(X, r, M0 + c) - f[c];
                    gsl_matrix_set(D, r, c, e);
                    l -= 0.5 * e * e;
                }
                l -= lnorm;
            }
            if (ell)
                ell[r] = l;
        }
    }
    /* backward, layer by layer: the Gram and the summed scores */
    if (st == SS_OK)
        gsl_matrix_set_zero(K);
    for (size_t l = L; st == SS_OK && l >= 1; l--) {
        double a = y->ntk ? y->s[l] : 1.0;
        size_t ni = y->M[l], nj = y->M[l - 1];
        gsl_blas_dsyrk(CblasLower, CblasNoTrans, 1.0, D, 0.0, A);
        gsl_blas_dsyrk(CblasLower, CblasNoTrans, a * a, H[l - 1], 0.0, Hg);
        for (size_t r = 0; r < B; r++)
            for (size_t q = 0; q <= r; q++)
                *gsl_matrix_ptr(K, r, q) += gsl_matrix_get(A, r, q) *
                                            (gsl_matrix_get(Hg, r, q) + 1.0);
        if (ssum) {
            gsl_matrix_view G = gsl_matrix_view_array(ssum + y->woff[l], ni,
                                                      nj);
            gsl_blas_dgemm(CblasTrans, CblasNoTrans, a, D, H[l - 1], 0.0,
                           &G.matrix);
            for (size_t i = 0; i < ni; i++) {
                double s = 0;
                for (size_t r = 0; r < B; r++)
                    s += gsl_matrix_get(D, r, i);
                ssum[y->boff[l] + i] = s;
            }
        }
        if (l == 1)
            break;
        /* d^{l-1} = (d^l W^l) o phi'(u^{l-1}) into the other half */
        double *nb = D->data == buf ? buf + B * mx : buf;
        Dnv = gsl_matrix_view_array(nb, B, nj);
        Dn = &Dnv.matrix;
        gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, D, W[l], 0.0, Dn);
        for (size_t r = 0; r < B; r++)
            for (size_t j = 0; j < nj; j++)
                *gsl_matrix_ptr(Dn, r, j) *= gsl_matrix_get(Dp[l - 1], r, j);
        Dv = Dnv;
        D = &Dv.matrix;
    }
    if (st == SS_OK)
        for (size_t r = 0; r < B; r++)
            for (size_t q = r + 1; q < B; q++)
                gsl_matrix_set(K, r, q, gsl_matrix_get(K, q, r));
    free(buf);
    for (size_t l = 0; l <= L; l++) {
        if (W[l])
            gsl_matrix_free(W[l]);
        if (H[l])
            gsl_matrix_free(H[l]);
        if (Dp[l])
            gsl_matrix_free(Dp[l]);
    }
    if (A)
        gsl_matrix_free(A);
    if (Hg)
        gsl_matrix_free(Hg);
    return st;
}

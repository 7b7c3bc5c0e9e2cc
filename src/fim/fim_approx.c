/* FIM approximations against the exact FIM (fim/fim_approx.h). */
#include "fim/fim_approx.h"

#include "core/interrupt.h"
#include "core/rng.h"
#include "model/dnn.h"

#include <gsl/gsl_blas.h>
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sort_vector.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RANK_TOL 1e-10 /* relative to lambda_max, as the spectrum code's */
#define EMP_CHUNK 512  /* score rows per dsyrk */

static const char *const kind_names[FA_NKIND] = {"exact", "diag", "block",
                                                 "kfac", "empirical"};
static const char *const label_names[] = {"model", "teacher"};

const char *fa_kind_name(size_t i)
{
    return i < FA_NKIND ? kind_names[i] : NULL;
}

const char *fa_kind_choice(size_t i)
{
    return i + 1 < FA_NKIND ? kind_names[i + 1] : NULL;
}

const char *fa_labels_name(size_t i) { return i < 2 ? label_names[i] : NULL; }

void fa_result_free(fa_result *r) { free(r); }

static int is_mlp2(const model *m) { return m && m->type == &model_mlp2_type; }

ss_status fa_layers(const model *m, size_t *first, size_t *size,
                    char (*name)[16], size_t *nl)
{
    const dnn_layout *y = dnn_layout_of(m);
    if (y) {
        for (size_t l = 1; l <= y->L; l++) {
            first[l - 1] = y->woff[l];
            size[l - 1] = y->M[l] * (y->M[l - 1] + 1);
            snprintf(name[l - 1], 16, "layer %zu", l);
        }
        *nl = y->L;
        return SS_OK;
    }
    if (is_mlp2(m)) {
        first[0] = 0, size[0] = 2;
        first[1] = 2, size[1] = m->P - 2;
        snprintf(name[0], 16, "out (w)");
        snprintf(name[1], 16, "in (J)");
        *nl = 2;
        return SS_OK;
    }
    return SS_FAIL(SS_ERR_USAGE,
                   "fimapprox: %s models are not covered (dnn and mlp2 "
                   "only: they have layers)",
                   m ? m->type->name : "this");
}

ss_status fa_check(const model *m)
{
    size_t first[FA_LAYERS_MAX], size[FA_LAYERS_MAX], nl;
    char name[FA_LAYERS_MAX][16];
    ss_status st = fa_layers(m, first, size, name, &nl);
    if (st != SS_OK)
        return st;
    if (m->P > FA_P_MAX)
        return SS_FAIL(SS_ERR_LIMIT,
                       "fimapprox: the network has P = %zu parameters; the "
                       "approximations are compared with the exact P x P "
                       "FIM, formed and eigen-decomposed, which is limited "
                       "to P <= %d",
                       m->P, FA_P_MAX);
    size_t nfixed = 0;
    for (size_t i = 0; i < m->P; i++)
        nfixed += !m->is_free[i];
    if (nfixed)
        return SS_FAIL(SS_ERR_USAGE,
                       "fimapprox: %zu parameter%s %s fixed; the layer "
                       "blocks and Kronecker factors need every parameter "
                       "free (free them first)",
                       nfixed, nfixed == 1 ? "" : "s",
                       nfixed == 1 ? "is" : "are");
    if (!m->type->fim_exact)
        return SS_FAIL(SS_ERR_USAGE, "fimapprox: %s has no exact FIM",
                       m->type->name);
    return SS_OK;
}

ss_status fa_exact(const model *m, gsl_matrix *F)
{
    gsl_matrix_set_zero(F);
    return m->type->fim_exact(m, m->theta, F, NULL);
}

void fa_diag(gsl_matrix *F)
{
    for (size_t i = 0; i < F->size1; i++)
        for (size_t j = 0; j < F->size2; j++)
            if (i != j)
                gsl_matrix_set(F, i, j, 0.0);
}

ss_status fa_block(const model *m, gsl_matrix *F)
{
    size_t first[FA_LAYERS_MAX], size[FA_LAYERS_MAX], nl;
    char name[FA_LAYERS_MAX][16];
    ss_status st = fa_layers(m, first, size, name, &nl);
    if (st != SS_OK)
        return st;
    size_t *lay = malloc(m->P * sizeof *lay);
    if (!lay)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    for (size_t l = 0; l < nl; l++)
        for (size_t i = 0; i < size[l]; i++)
            lay[first[l] + i] = l;
    for (size_t i = 0; i < F->size1; i++)
        for (size_t j = 0; j < F->size2; j++)
            if (lay[i] != lay[j])
                gsl_matrix_set(F, i, j, 0.0);
    free(lay);
    return SS_OK;
}

/* ---- K-FAC ------------------------------------------------------------------ */

/* phi as the dnn family defines it (act=erf is erf(u / sqrt 2)). */
static double act(int a, double u)
{
    switch (a) {
    case DNN_RELU:
        return u > 0 ? u : 0.0;
    case DNN_TANH:
        return tanh(u);
    case DNN_ERF:
        return erf(u * M_SQRT1_2);
    default:
        return u;
    }
}

/* The scaled inputs a_l h^{l-1} of every layer at input x, into h
 * (h + hoff[l] for layer l, M_{l-1} entries), and the output f. */
static void forward(const dnn_layout *y, const double *th, const double *x,
                    double *h, const size_t *hoff, double *f)
{
    memcpy(h + hoff[1], x, y->M[0] * sizeof *x);
    for (size_t l = 1; l <= y->L; l++) {
        const double *W = th + y->woff[l], *b = th + y->boff[l];
        const double *in = h + hoff[l];
        double a = y->ntk ? y->s[l] : 1.0;
        size_t ni = y->M[l], nj = y->M[l - 1];
        for (size_t i = 0; i < ni; i++) {
            double u = 0;
            for (size_t j = 0; j < nj; j++)
                u += W[i * nj + j] * in[j];
            u = a * u + b[i];
            if (l < y->L)
                h[hoff[l + 1] + i] = act(y->act, u);
            else
                f[i] = u;
        }
    }
}

/* Kronecker layer block: entry ((i, j), (i', j')) = G[i, i'] A[j, j'] with
 * the augmented input index j = nj meaning the bias. */
static void kron_dnn(const dnn_layout *y, size_t l, const gsl_matrix *G,
                     const gsl_matrix *A, gsl_matrix *K)
{
    size_t ni = y->M[l], nj = y->M[l - 1];
    for (size_t i = 0; i < ni; i++)
        for (size_t j = 0; j <= nj; j++) {
            size_t p = j < nj ? y->woff[l] + i * nj + j : y->boff[l] + i;
            for (size_t i2 = 0; i2 < ni; i2++)
                for (size_t j2 = 0; j2 <= nj; j2++) {
                    size_t q = j2 < nj ? y->woff[l] + i2 * nj + j2
                                       : y->boff[l] + i2;
                    gsl_matrix_set(K, p, q,
                                   gsl_matrix_get(G, i, i2) *
                                       gsl_matrix_get(A, j, j2));
                }
        }
}

static ss_status kfac_dnn(const model *m, const dnn_layout *y, gsl_matrix *K)
{
    const gsl_matrix *X = dnn_inputs(m);
    size_t L = y->L, C = y->C, T = y->T, P = m->P;
    size_t hoff[DNN_LMAX + 2], htot = 0;
    for (size_t l = 1; l <= L; l++) {
        hoff[l] = htot;
        htot += y->M[l - 1];
    }
    gsl_matrix *G[DNN_LMAX + 1] = {0}, *A[DNN_LMAX + 1] = {0};
    double *h = malloc(htot * sizeof *h), *f = malloc(2 * C * sizeof *f);
    double *e = calloc(C, sizeof *e), *Q = malloc(C * C * sizeof *Q);
    gsl_matrix *Jt = gsl_matrix_alloc(C, P);
    int ok = h && f && e && Q && Jt;
    for (size_t l = 1; ok && l <= L; l++) {
        G[l] = gsl_matrix_calloc(y->M[l], y->M[l]);
        A[l] = gsl_matrix_calloc(y->M[l - 1] + 1, y->M[l - 1] + 1);
        ok = G[l] && A[l];
    }
    ss_status st = ok ? SS_OK : SS_FAIL(SS_ERR_NOMEM, "out of memory");
    for (size_t t = 0; st == SS_OK && t < T; t++) {
        const double *x = gsl_matrix_const_ptr(X, t, 0);
        forward(y, m->theta, x, h, hoff, f);
        /* the output metric Q_t: I, or diag(g) - g g^T */
        for (size_t c = 0; c < C; c++)
            for (size_t c2 = 0; c2 < C; c2++)
                Q[c * C + c2] = c == c2;
        if (y->softmax) {
            double mx = f[0], z = 0, *g = f + C;
            for (size_t c = 1; c < C; c++)
                mx = f[c] > mx ? f[c] : mx;
            for (size_t c = 0; c < C; c++)
                z += (g[c] = exp(f[c] - mx));
            for (size_t c = 0; c < C; c++)
                g[c] /= z;
            for (size_t c = 0; c < C; c++)
                for (size_t c2 = 0; c2 < C; c2++)
                    Q[c * C + c2] = (c == c2) * g[c] - g[c] * g[c2];
        }
        /* the deltas: the bias columns of the Jacobian rows */
        for (size_t c = 0; st == SS_OK && c < C; c++) {
            e[c] = 1.0;
            st = dnn_vjp(m, m->theta, x, e, NULL, gsl_matrix_ptr(Jt, c, 0));
            e[c] = 0.0;
        }
        for (size_t l = 1; st == SS_OK && l <= L; l++) {
            size_t ni = y->M[l], nj = y->M[l - 1];
            double a = y->ntk ? y->s[l] : 1.0;
            for (size_t i = 0; i < ni; i++)
                for (size_t i2 = 0; i2 < ni; i2++) {
                    double s = 0;
                    for (size_t c = 0; c < C; c++)
                        for (size_t c2 = 0; c2 < C; c2++)
                            s += Q[c * C + c2] *
                                 gsl_matrix_get(Jt, c, y->boff[l] + i) *
                                 gsl_matrix_get(Jt, c2, y->boff[l] + i2);
                    *gsl_matrix_ptr(G[l], i, i2) += s / (double)T;
                }
            const double *in = h + hoff[l];
            for (size_t j = 0; j <= nj; j++)
                for (size_t j2 = 0; j2 <= nj; j2++) {
                    double u = j < nj ? a * in[j] : 1.0;
                    double v = j2 < nj ? a * in[j2] : 1.0;
                    *gsl_matrix_ptr(A[l], j, j2) += u * v / (double)T;
                }
        }
    }
    if (st == SS_OK) {
        gsl_matrix_set_zero(K);
        for (size_t l = 1; l <= L; l++)
            kron_dnn(y, l, G[l], A[l], K);
    }
    for (size_t l = 1; l <= L; l++) {
        if (G[l])
            gsl_matrix_free(G[l]);
        if (A[l])
            gsl_matrix_free(A[l]);
    }
    if (Jt)
        gsl_matrix_free(Jt);
    free(h), free(f), free(e), free(Q);
    return st;
}

/* mlp2, f = w1 g(J1.x) + w2 g(J2.x), x ~ N(0, I_d), noise sigma, act=erf:
 * out layer: G = 1/sigma^2, A = E[g_i g_j] = (2/pi) asin(c / sqrt((1 +
 * |Ji|^2)(1 + |Jj|^2))); in layer: A = E[x x^T] = I_d, G_ij = w_i w_j
 * E[g'(Ji.x) g'(Jj.x)] / sigma^2 = w_i w_j (2/pi) D_ij^{-1/2} / sigma^2
 * with D_ij = (1 + |Ji|^2)(1 + |Jj|^2) - (Ji.Jj)^2. */
static ss_status kfac_mlp2(const model *m, gsl_matrix *K)
{
    int ia = model_opt_index(m->type, "act"), id = model_opt_index(m->type, "d"),
        is = model_opt_index(m->type, "sigma");
    if (ia < 0 || id < 0 || is < 0)
        return SS_FAIL(SS_ERR_USAGE, "fimapprox: mlp2 options not found");
    if (m->opt_choice[ia] && strcmp(m->opt_choice[ia], "erf") != 0)
        return SS_FAIL(SS_ERR_USAGE,
                       "fimapprox: K-FAC of mlp2 needs act=erf (its "
                       "factors E[g'(J1.x) g'(J2.x)] are in closed form only "
                       "for erf)");
    size_t d = (size_t)m->opt[id];
    double s2 = m->opt[is] * m->opt[is];
    const double *w = m->theta, *J[2] = {m->theta + 2, m->theta + 2 + d};
    double nn[2][2];
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) {
            double c = 0;
            for (size_t k = 0; k < d; k++)
                c += J[i][k] * J[j][k];
            nn[i][j] = c;
        }
    gsl_matrix_set_zero(K);
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) {
            double pi = (1 + nn[i][i]) * (1 + nn[j][j]);
            double D = pi - nn[i][j] * nn[i][j];
            if (i == j)
                D = 1 + 2 * nn[i][i];
            double Aout = M_2_PI * atan2(nn[i][j], sqrt(D));
            gsl_matrix_set(K, (size_t)i, (size_t)j, Aout / s2);
            double Gin = w[i] * w[j] * M_2_PI / sqrt(D) / s2;
            for (size_t k = 0; k < d; k++)
                gsl_matrix_set(K, 2 + (size_t)i * d + k,
                               2 + (size_t)j * d + k, Gin);
        }
    return SS_OK;
}

ss_status fa_kfac(const model *m, gsl_matrix *K)
{
    const dnn_layout *y = dnn_layout_of(m);
    if (y)
        return kfac_dnn(m, y, K);
    if (is_mlp2(m))
        return kfac_mlp2(m, K);
    return SS_FAIL(SS_ERR_USAGE, "fimapprox: K-FAC needs a dnn or mlp2 model");
}

/* ---- the empirical Fisher ------------------------------------------------- */

void fa_teacher(const model *m, uint64_t seed, double *theta)
{
    gsl_rng *r = ss_rng_alloc();
    if (!r)
        return;
    ss_rng_seed(r, seed, SS_STREAM_FIMAPPROX, 1);
    const dnn_layout *y = dnn_layout_of(m);
    if (y) {
        double sb = sqrt(y->sb2);
        for (size_t l = 1; l <= y->L; l++) {
            double sw = y->ntk ? 1.0 : y->s[l];
            size_t nW = y->M[l] * y->M[l - 1];
            for (size_t i = 0; i < nW; i++)
                theta[y->woff[l] + i] = sw * gsl_ran_gaussian(r, 1.0);
            for (size_t i = 0; i < y->M[l]; i++)
                theta[y->boff[l] + i] = sb * gsl_ran_gaussian(r, 1.0);
        }
    } else {
        for (size_t i = 0; i < m->P; i++)
            theta[i] = gsl_ran_gaussian(r, 1.0);
    }
    ss_rng_free(r);
}

ss_status fa_empirical(const model *m, size_t n, int labels, uint64_t seed,
                       gsl_matrix *E)
{
    if (n < 1)
        return SS_FAIL(SS_ERR_RANGE, "fimapprox: n= must be at least 1");
    size_t P = m->P, cols = m->type->data_cols(m);
    size_t chunk = n < EMP_CHUNK ? n : EMP_CHUNK;
    gsl_matrix *D = gsl_matrix_alloc(chunk, cols),
               *S = gsl_matrix_alloc(chunk, P);
    double *teach = labels == FA_LABELS_TEACHER ? malloc(P * sizeof *teach)
                                                : NULL;
    gsl_rng *r = ss_rng_alloc();
    ss_status st = D && S && r && (teach || labels != FA_LABELS_TEACHER)
                       ? SS_OK
                       : SS_FAIL(SS_ERR_NOMEM, "out of memory");
    if (st == SS_OK) {
        ss_rng_seed(r, seed, SS_STREAM_FIMAPPROX, 0);
        if (teach)
            fa_teacher(m, seed, teach);
        gsl_matrix_set_zero(E);
    }
    for (size_t done = 0; st == SS_OK && done < n;) {
        if (ss_interrupted()) {
            st = SS_FAIL(SS_ERR_INTERRUPTED,
                         "fimapprox: interrupted after %zu of the %zu "
                         "observations of the empirical Fisher; nothing "
                         "stored",
                         done, n);
            break;
        }
        size_t k = n - done < chunk ? n - done : chunk;
        gsl_matrix_view Dv = gsl_matrix_submatrix(D, 0, 0, k, cols);
        gsl_matrix_view Sv = gsl_matrix_submatrix(S, 0, 0, k, P);
        st = m->type->sample(m, teach ? teach : m->theta, r, &Dv.matrix);
        if (st == SS_OK)
            st = m->type->loglik_terms(m, m->theta, &Dv.matrix, NULL,
                                       &Sv.matrix);
        if (st == SS_OK)
            gsl_blas_dsyrk(CblasLower, CblasTrans, 1.0, &Sv.matrix, 1.0, E);
        done += k;
    }
    if (st == SS_OK) {
        gsl_matrix_scale(E, 1.0 / (double)n);
        for (size_t i = 0; i < P; i++)
            for (size_t j = i + 1; j < P; j++)
                gsl_matrix_set(E, i, j, gsl_matrix_get(E, j, i));
    }
    if (D)
        gsl_matrix_free(D);
    if (S)
        gsl_matrix_free(S);
    free(teach);
    ss_rng_free(r);
    return st;
}

/* ---- comparison ----------------------------------------------------------- */

ss_status fa_compare(const gsl_matrix *F, const gsl_vector *eval,
                     const gsl_matrix *evec, size_t k, gsl_matrix *A,
                     fa_row *row)
{
    size_t P = F->size1;
    memset(row, 0, sizeof *row);
    double tr = 0, df = 0, nf = 0;
    for (size_t i = 0; i < P; i++) {
        tr += gsl_matrix_get(A, i, i);
        for (size_t j = 0; j < P; j++) {
            double a = gsl_matrix_get(A, i, j), f = gsl_matrix_get(F, i, j);
            df += (a - f) * (a - f);
            nf += f * f;
        }
    }
    /* the quadratic forms before A is overwritten */
    gsl_vector *Av = gsl_vector_alloc(P), *mu = gsl_vector_alloc(P);
    gsl_eigen_symm_workspace *ws = gsl_eigen_symm_alloc(P);
    if (!Av || !mu || !ws) {
        if (Av)
            gsl_vector_free(Av);
        if (mu)
            gsl_vector_free(mu);
        if (ws)
            gsl_eigen_symm_free(ws);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    double dq = 0, nl = 0, de = 0;
    for (size_t i = 0; i < k; i++) {
        gsl_vector_const_view v = gsl_matrix_const_column(evec, i);
        gsl_blas_dsymv(CblasLower, 1.0, A, &v.vector, 0.0, Av);
        double q, l = gsl_vector_get(eval, i);
        gsl_blas_ddot(&v.vector, Av, &q);
        dq += (q - l) * (q - l);
        nl += l * l;
    }
    int rc = gsl_eigen_symm(A, mu, ws);
    gsl_eigen_symm_free(ws);
    gsl_vector_free(Av);
    if (rc) {
        gsl_vector_free(mu);
        return SS_FAIL(SS_ERR_NUMERIC, "fimapprox: the eigensolver failed");
    }
    gsl_sort_vector(mu);
    gsl_vector_reverse(mu);
    for (size_t i = 0; i < k; i++) {
        double d = gsl_vector_get(mu, i) - gsl_vector_get(eval, i);
        de += d * d;
    }
    row->present = 1;
    row->lambda_max = gsl_vector_get(mu, 0);
    row->lambda_min = gsl_vector_get(mu, P - 1);
    row->trace = tr;
    for (size_t i = 0; i < P; i++)
        row->rank += gsl_vector_get(mu, i) > RANK_TOL * row->lambda_max &&
                     row->lambda_max > 0;
    row->eig_err = nl > 0 ? sqrt(de / nl) : NAN;
    row->qf_err = nl > 0 ? sqrt(dq / nl) : NAN;
    row->frob_err = nf > 0 ? sqrt(df / nf) : NAN;
    gsl_vector_free(mu);
    return SS_OK;
}

ss_status fa_run(const model *m, const fa_request *req, fa_result **out)
{
    *out = NULL;
    ss_status st = fa_check(m);
    if (st != SS_OK)
        return st;
    if (req->top < 1)
        return SS_FAIL(SS_ERR_RANGE, "fimapprox: top= must be at least 1");
    size_t P = m->P, k = req->top < P ? req->top : P;
    fa_result *r = calloc(1, sizeof *r);
    gsl_matrix *F = gsl_matrix_alloc(P, P), *A = gsl_matrix_alloc(P, P),
               *V = gsl_matrix_alloc(P, P);
    gsl_vector *ev = gsl_vector_alloc(P);
    gsl_eigen_symmv_workspace *ws = gsl_eigen_symmv_alloc(P);
    st = r && F && A && V && ev && ws ? SS_OK
                                      : SS_FAIL(SS_ERR_NOMEM, "out of memory");
    if (st == SS_OK) {
        r->P = P, r->top = k, r->n = req->n, r->labels = req->labels;
        r->seed = req->seed, r->is_mlp2 = is_mlp2(m);
        const dnn_layout *y = dnn_layout_of(m);
        r->rank_bound = P;
        if (y) {
            r->T = y->T, r->C = y->C;
            size_t b = y->T * (y->softmax ? y->C - 1 : y->C);
            r->rank_bound = b < P ? b : P;
        }
        st = fa_layers(m, r->layer_first, r->layer_size, r->layer_name,
                       &r->nlayers);
    }
    if (st == SS_OK)
        st = fa_exact(m, F);
    if (st == SS_OK) {
        gsl_matrix_memcpy(A, F);
        if (gsl_eigen_symmv(A, ev, V, ws))
            st = SS_FAIL(SS_ERR_NUMERIC, "fimapprox: the eigensolver failed");
        else
            gsl_eigen_symmv_sort(ev, V, GSL_EIGEN_SORT_VAL_DESC);
    }
    for (size_t kind = 0; st == SS_OK && kind < FA_NKIND; kind++) {
        if (kind != FA_EXACT && !(req->kinds & (1u << kind)))
            continue;
        ss_status s2 = SS_OK;
        switch (kind) {
        case FA_EXACT:
            gsl_matrix_memcpy(A, F);
            break;
        case FA_DIAG:
            gsl_matrix_memcpy(A, F);
            fa_diag(A);
            break;
        case FA_BLOCK:
            gsl_matrix_memcpy(A, F);
            s2 = fa_block(m, A);
            break;
        case FA_KFAC:
            s2 = fa_kfac(m, A);
            break;
        default:
            s2 = fa_empirical(m, req->n, req->labels, req->seed, A);
            break;
        }
        if (s2 != SS_OK && kind == FA_KFAC && r->is_mlp2) {
            /* no closed form: the row says why, the others go on */
            snprintf(r->row[kind].note, sizeof r->row[kind].note, "%.150s",
                     ss_last_error()->msg);
            ss_clear_error();
            continue;
        }
        st = s2 == SS_OK ? fa_compare(F, ev, V, k, A, &r->row[kind]) : s2;
    }
    if (F)
        gsl_matrix_free(F);
    if (A)
        gsl_matrix_free(A);
    if (V)
        gsl_matrix_free(V);
    if (ev)
        gsl_vector_free(ev);
    if (ws)
        gsl_eigen_symmv_free(ws);
    if (st != SS_OK) {
        fa_result_free(r);
        return st;
    }
    *out = r;
    return SS_OK;
}

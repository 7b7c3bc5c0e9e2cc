/* The `dnn` family (model/dnn.h): layout, random weights and inputs from a
 * seed, sampling, likelihood terms and scores by backprop, the exact FIM
 * as a dense matrix for tiny networks and as its dual (NTK) Gram for wide
 * ones (docs/theory.md, "Wide random networks").
 *
 * Notation: h^0 = x, u^l = W^l h^{l-1} + b^l, h^l = phi(u^l) (l < L),
 * f = u^L. W^l is the effective weight: the parameter itself (standard)
 * or s_l omega^l with s_l = sqrt(sw2 / M_{l-1}) (param=ntk, omega the
 * parameter). The backpropagated delta of output c is
 * delta^L_c = e_c, delta^{l-1}_c = phi'(u^{l-1}) o (W^l^T delta^l_c), and
 * d f_c / d W^l_ij = a_l delta^l_{c,i} h^{l-1}_j (a_l = 1, or s_l in ntk),
 * d f_c / d b^l_i = delta^l_{c,i}. */
#include "model/dnn.h"
#include "model/dnn_act.h"

#include "core/rng.h"

#include <gsl/gsl_blas.h>
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The most parameters a network may have (theta, free flags and one
 * effective-weight copy: about 17 bytes each, 1.7 GB at the limit). */
#define DNN_PMAX ((size_t)100000000)

enum {
    OPT_LAYERS, OPT_WIDTH, OPT_WIDTHS, OPT_IN, OPT_OUT, OPT_ACT, OPT_SW2,
    OPT_SB2, OPT_OUTPUT, OPT_PARAM, OPT_INPUTS, OPT_SEED, NOPTS
};

static const char *const act_choices[] = {"relu", "tanh", "erf", "linear",
                                          NULL};
static const char *const output_choices[] = {"linear", "softmax", NULL};
static const char *const param_choices[] = {"standard", "ntk", NULL};
static const model_optvecdef widths_vec = {NULL, 0, DNN_LMAX - 1, 1};

static const model_optdef dnn_opts[] = {
    {"layers", MOPT_INT, 2, 1, DNN_LMAX, NULL,
     "weight layers L (L - 1 hidden layers and the output layer)", NULL},
    {"width", MOPT_INT, 3, 1, 1e6, NULL, "width M of every hidden layer",
     NULL},
    {"widths", MOPT_VECTOR, 0, 1, 1e6, NULL,
     "hidden widths M_1..M_{L-1} (instead of width=)", &widths_vec},
    {"in", MOPT_INT, 2, 1, 1e6, NULL, "input dimension M0", NULL},
    {"out", MOPT_INT, 1, 1, 1e5, NULL, "outputs C", NULL},
    {"act", MOPT_ENUM, 0, 0, 0, act_choices,
     "activation phi: relu, tanh, erf (erf(u/sqrt 2)) or linear", NULL},
    {"sw2", MOPT_REAL, 1, 1e-12, 1e6, NULL,
     "weight variance sigma_w^2 (W^l ~ N(0, sw2/M_{l-1}))", NULL},
    {"sb2", MOPT_REAL, 0, 0, 1e6, NULL, "bias variance sigma_b^2", NULL},
    {"output", MOPT_ENUM, 0, 0, 0, output_choices,
     "linear: p(y|x) = N(f(x), I); softmax: a class with logits f(x)", NULL},
    {"param", MOPT_ENUM, 0, 0, 0, param_choices,
     "standard: W the parameter; ntk: W = sqrt(sw2/M_{l-1}) omega, omega "
     "~ N(0,1) the parameter",
     NULL},
    {"inputs", MOPT_INT, 4, 1, 1e6, NULL,
     "T fixed standard-normal inputs (the design)", NULL},
    {"seed", MOPT_INT, 1, 0, 9007199254740992.0, NULL,
     "seed of the weights and inputs", NULL},
};

typedef struct {
    dnn_layout lay;
    gsl_matrix *X; /* T x M0 inputs */
} dnn_state;

const dnn_layout *dnn_layout_of(const model *m)
{
    return m && m->type == &model_dnn_type && m->state
               ? &((const dnn_state *)m->state)->lay
               : NULL;
}

const gsl_matrix *dnn_inputs(const model *m)
{
    return m && m->type == &model_dnn_type && m->state
               ? ((const dnn_state *)m->state)->X
               : NULL;
}

static const dnn_layout *LAY(const model *m)
{
    return &((const dnn_state *)m->state)->lay;
}

static int choice(const model *m, size_t o, const char *const *ch)
{
    for (int i = 0; ch[i]; i++)
        if (m->opt_choice[o] && strcmp(m->opt_choice[o], ch[i]) == 0)
            return i;
    return 0;
}

/* ---- layout ---------------------------------------------------------------- */

static ss_status dnn_configure(model *m, const model_arg *args, size_t nargs,
                               unsigned char *used)
{
    (void)args;
    (void)nargs;
    (void)used;
    dnn_state *s = calloc(1, sizeof *s);
    if (!s)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    dnn_layout *y = &s->lay;
    y->L = (size_t)m->opt[OPT_LAYERS];
    size_t nw;
    const double *w = model_opt_vector(m, OPT_WIDTHS, &nw);
    ss_status st = SS_OK;
    if (nw && nw != y->L - 1)
        st = SS_FAIL(SS_ERR_USAGE,
                     "dnn: widths= gives %zu hidden width%s but layers=%zu "
                     "has %zu hidden layer%s",
                     nw, nw == 1 ? "" : "s", y->L, y->L - 1,
                     y->L - 1 == 1 ? "" : "s");
    y->M[0] = (size_t)m->opt[OPT_IN];
    for (size_t l = 1; l < y->L; l++)
        y->M[l] = nw && st == SS_OK ? (size_t)w[l - 1]
                                    : (size_t)m->opt[OPT_WIDTH];
    y->C = y->M[y->L] = (size_t)m->opt[OPT_OUT];
    y->T = (size_t)m->opt[OPT_INPUTS];
    y->act = choice(m, OPT_ACT, act_choices);
    y->softmax = choice(m, OPT_OUTPUT, output_choices) == 1;
    y->ntk = choice(m, OPT_PARAM, param_choices) == 1;
    y->sw2 = m->opt[OPT_SW2];
    y->sb2 = m->opt[OPT_SB2];
    if (st == SS_OK && y->softmax && y->C < 2)
        st = SS_FAIL(SS_ERR_USAGE,
                     "dnn: output=softmax needs at least 2 classes (out=%zu)",
                     y->C);
    double P = 0;
    for (size_t l = 1; l <= y->L; l++) {
        y->s[l] = sqrt(y->sw2 / (double)y->M[l - 1]);
        P += (double)y->M[l] * ((double)y->M[l - 1] + 1.0);
    }
    if (st == SS_OK && P > (double)DNN_PMAX)
        st = SS_FAIL(SS_ERR_LIMIT,
                     "dnn: %.0f parameters is more than the %zu allowed",
                     P, DNN_PMAX);
    if (st == SS_OK && (double)y->T * (double)y->M[0] > 1e8)
        st = SS_FAIL(SS_ERR_LIMIT,
                     "dnn: %zu inputs of dimension %zu is more than 1e8 "
                     "numbers",
                     y->T, y->M[0]);
    for (size_t l = 1; st == SS_OK && l <= y->L; l++) {
        char nm[MODEL_NAME_MAX];
        y->woff[l] = m->P;
        snprintf(nm, sizeof nm, "W%zu", l);
        st = model_add_block(m, nm, y->M[l], y->M[l - 1], 0.0, -INFINITY,
                             INFINITY);
        if (st != SS_OK)
            break;
        y->boff[l] = m->P;
        snprintf(nm, sizeof nm, "b%zu", l);
        st = model_add_block(m, nm, y->M[l], 1, 0.0, -INFINITY, INFINITY);
    }
    y->P = m->P;
    gsl_rng *r = NULL;
    if (st == SS_OK && (!(r = ss_rng_alloc()) ||
                        !(s->X = gsl_matrix_alloc(y->T, y->M[0]))))
        st = SS_FAIL(SS_ERR_NOMEM, "out of memory");
    if (st == SS_OK) {
        /* substream 0: the weights and biases, layer by layer; substream
         * 1: the inputs. */
        uint64_t seed = (uint64_t)m->opt[OPT_SEED];
        ss_rng_seed(r, seed, SS_STREAM_DNN, 0);
        double sb = sqrt(y->sb2);
        for (size_t l = 1; l <= y->L; l++) {
            double sd = y->ntk ? 1.0 : y->s[l];
            size_t nW = y->M[l] * y->M[l - 1];
            for (size_t i = 0; i < nW; i++)
                m->theta[y->woff[l] + i] = sd * gsl_ran_gaussian_ziggurat(r, 1.0);
            for (size_t i = 0; i < y->M[l]; i++)
                m->theta[y->boff[l] + i] =
                    sb > 0 ? sb * gsl_ran_gaussian_ziggurat(r, 1.0) : 0.0;
        }
        ss_rng_seed(r, seed, SS_STREAM_DNN, 1);
        for (size_t t = 0; t < y->T; t++)
            for (size_t j = 0; j < y->M[0]; j++)
                gsl_matrix_set(s->X, t, j, gsl_ran_gaussian_ziggurat(r, 1.0));
    }
    if (r)
        ss_rng_free(r);
    if (st != SS_OK) {
        if (s->X)
            gsl_matrix_free(s->X);
        free(s);
        return st;
    }
    m->state = s;
    return SS_OK;
}

static void dnn_release(model *m)
{
    dnn_state *s = m->state;
    if (s) {
        if (s->X)
            gsl_matrix_free(s->X);
        free(s);
    }
    m->state = NULL;
}

static ss_status dnn_copy_state(const model *src, model *dst)
{
    const dnn_state *a = src->state;
    dnn_state *b = calloc(1, sizeof *b);
    if (!b || !(b->X = gsl_matrix_alloc(a->X->size1, a->X->size2))) {
        free(b);
        dst->state = NULL;
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    b->lay = a->lay;
    gsl_matrix_memcpy(b->X, a->X);
    dst->state = b;
    return SS_OK;
}

static size_t dnn_data_cols(const model *m)
{
    const dnn_layout *y = LAY(m);
    return y->M[0] + (y->softmax ? 1 : y->C);
}

static const char *dnn_data_colname(const model *m, size_t col, char *buf,
                                    size_t n)
{
    const dnn_layout *y = LAY(m);
    if (col < y->M[0])
        snprintf(buf, n, "x%zu", col + 1);
    else if (y->softmax)
        snprintf(buf, n, "class");
    else if (y->C == 1)
        snprintf(buf, n, "y");
    else
        snprintf(buf, n, "y%zu", col - y->M[0] + 1);
    return buf;
}

/* Layer l's weight block and bias block. */
static size_t dnn_fim_block(const model *m, size_t i)
{
    const dnn_layout *y = LAY(m);
    size_t l = 1;
    while (l < y->L && i >= y->woff[l + 1])
        l++;
    return 2 * (l - 1) + (i >= y->boff[l]);
}

/* ---- one input at a time ---------------------------------------------------- */

/* Scratch for dnn_vjp: activations h^0..h^{L-1}, phi' of the hidden
 * layers, the output, and two delta buffers. */
typedef struct {
    double *h[DNN_LMAX + 1], *dp[DNN_LMAX + 1], *f, *d0, *d1;
    double *buf;
} vws;

static ss_status vws_alloc(const dnn_layout *y, vws *w)
{
    size_t tot = 0, mx = 0;
    for (size_t l = 0; l <= y->L; l++) {
        tot += 2 * y->M[l];
        mx = y->M[l] > mx ? y->M[l] : mx;
    }
    w->buf = malloc((tot + 2 * mx + y->C) * sizeof *w->buf);
    if (!w->buf)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    double *p = w->buf;
    for (size_t l = 0; l <= y->L; l++) {
        w->h[l] = p;
        p += y->M[l];
        w->dp[l] = p;
        p += y->M[l];
    }
    w->d0 = p;
    w->d1 = p + mx;
    w->f = p + 2 * mx;
    return SS_OK;
}

/* Forward pass: f = w->f (and w->h[L]). */
static void forward1(const dnn_layout *y, const double *theta,
                     const double *x, vws *w)
{
    memcpy(w->h[0], x, y->M[0] * sizeof *x);
    for (size_t l = 1; l <= y->L; l++) {
        const double *W = theta + y->woff[l], *b = theta + y->boff[l];
        double a = y->ntk ? y->s[l] : 1.0;
        size_t ni = y->M[l], nj = y->M[l - 1];
        for (size_t i = 0; i < ni; i++) {
            double u = 0;
            for (size_t j = 0; j < nj; j++)
                u += W[i * nj + j] * w->h[l - 1][j];
            u = a * u + b[i];
            if (l < y->L)
                w->h[l][i] = dnn_act(y->act, u, &w->dp[l][i]);
            else
                w->h[l][i] = w->f[i] = u;
        }
    }
}

/* Backward pass of r . f after forward1: grad (P entries). */
static void backward1(const dnn_layout *y, const double *theta,
                      const double *r, vws *w, double *grad)
{
    double *d = w->d0, *dn = w->d1;
    memcpy(d, r, y->C * sizeof *r);
    for (size_t l = y->L; l >= 1; l--) {
        const double *W = theta + y->woff[l];
        double a = y->ntk ? y->s[l] : 1.0;
        size_t ni = y->M[l], nj = y->M[l - 1];
        for (size_t i = 0; i < ni; i++) {
            for (size_t j = 0; j < nj; j++)
                grad[y->woff[l] + i * nj + j] = a * d[i] * w->h[l - 1][j];
            grad[y->boff[l] + i] = d[i];
        }
        if (l == 1)
            break;
        for (size_t j = 0; j < nj; j++) {
            double s = 0;
            for (size_t i = 0; i < ni; i++)
                s += W[i * nj + j] * d[i];
            dn[j] = a * s * w->dp[l - 1][j];
        }
        double *t = d;
        d = dn;
        dn = t;
    }
}

ss_status dnn_vjp(const model *m, const double *theta, const double *x,
                  const double *r, double *f, double *grad)
{
    const dnn_layout *y = dnn_layout_of(m);
    if (!y)
        return SS_FAIL(SS_ERR_USAGE, "dnn_vjp: not a dnn model");
    vws w;
    ss_status st = vws_alloc(y, &w);
    if (st != SS_OK)
        return st;
    forward1(y, theta, x, &w);
    if (f)
        memcpy(f, w.f, y->C * sizeof *f);
    if (grad)
        backward1(y, theta, r, &w, grad);
    free(w.buf);
    return SS_OK;
}


/* ---- sampling and likelihood ---------------------------------------------- */

/* An observation: one of the T inputs, uniformly, and a response drawn
 * from p(y | x); the exact FIM per observation is then the average over
 * the inputs, (1/T) sum_t J_t^T Q_t J_t. */
static ss_status dnn_sample(const model *m, const double *theta, gsl_rng *r,
                            gsl_matrix *out)
{
    const dnn_layout *y = LAY(m);
    const gsl_matrix *X = dnn_inputs(m);
    if (out->size2 != dnn_data_cols(m))
        return SS_FAIL(SS_ERR_USAGE,
                       "dnn: sample matrix must have %zu columns, got %zu",
                       dnn_data_cols(m), out->size2);
    vws w;
    ss_status st = vws_alloc(y, &w);
    double *g = malloc(y->C * sizeof *g);
    if (st == SS_OK && !g)
        st = SS_FAIL(SS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; st == SS_OK && i < out->size1; i++) {
        size_t t = (size_t)gsl_rng_uniform_int(r, y->T);
        const double *x = gsl_matrix_const_ptr(X, t, 0);
        forward1(y, theta, x, &w);
        for (size_t j = 0; j < y->M[0]; j++)
            gsl_matrix_set(out, i, j, x[j]);
        if (y->softmax) {
            dnn_softmax(y->C, w.f, g);
            double u = gsl_rng_uniform(r), cum = 0;
            size_t k = 0;
            for (; k + 1 < y->C; k++)
                if (u < (cum += g[k]))
                    break;
            gsl_matrix_set(out, i, y->M[0], (double)k);
        } else {
            for (size_t c = 0; c < y->C; c++)
                gsl_matrix_set(out, i, y->M[0] + c,
                               w.f[c] + gsl_ran_gaussian_ziggurat(r, 1.0));
        }
    }
    free(g);
    free(w.buf);
    return st;
}

static ss_status dnn_loglik_terms(const model *m, const double *theta,
                                  const gsl_matrix *data, double *ell,
                                  gsl_matrix *scores)
{
    const dnn_layout *y = LAY(m);
    size_t M0 = y->M[0], C = y->C;
    if (data->size2 != dnn_data_cols(m))
        return SS_FAIL(SS_ERR_USAGE,
                       "dnn: data needs %zu columns (x1..x%zu, %s), got %zu",
                       dnn_data_cols(m), M0,
                       y->softmax ? "class" : C == 1 ? "y" : "y1..yC",
                       data->size2);
    if (scores && (scores->size1 != data->size1 || scores->size2 != y->P))
        return SS_FAIL(SS_ERR_USAGE,
                       "dnn: scores must be %zu x %zu, got %zu x %zu",
                       data->size1, y->P, scores->size1, scores->size2);
    vws w;
    ss_status st = vws_alloc(y, &w);
    double *x = malloc((M0 + 2 * C) * sizeof *x);
    if (st == SS_OK && !x)
        st = SS_FAIL(SS_ERR_NOMEM, "out of memory");
    double *rr = x ? x + M0 : NULL, *g = x ? x + M0 + C : NULL;
    double lnorm = 0.5 * (double)C * log(2.0 * M_PI);
    for (size_t i = 0; st == SS_OK && i < data->size1; i++) {
        for (size_t j = 0; j < M0; j++)
            x[j] = gsl_matrix_get(data, i, j);
        forward1(y, theta, x, &w);
        double l = 0;
        if (y->softmax) {
            double k = gsl_matrix_get(data, i, M0);
            if (!(k >= 0 && k < (double)C && k == floor(k))) {
                st = SS_FAIL(SS_ERR_RANGE,
                             "dnn: row %zu has class %g, not a whole number "
                             "in 0..%zu",
                             i + 1, k, C - 1);
                break;
            }
            dnn_softmax(C, w.f, g);
            l = log(g[(size_t)k]);
            for (size_t c = 0; c < C; c++)
                rr[c] = (c == (size_t)k) - g[c];
        } else {
            for (size_t c = 0; c < C; c++) {
                rr[c] = gsl_matrix_get(data, i, M0 + c) - w.f[c];
                l -= 0.5 * rr[c] * rr[c];
            }
            l -= lnorm;
        }
        if (ell)
            ell[i] = l;
        if (scores)
            backward1(y, theta, rr, &w, gsl_matrix_ptr(scores, i, 0));
    }
    free(x);
    free(w.buf);
    return st;
}

/* ---- the output metric Q_t and its square root --------------------------- */

ss_status dnn_q_root(size_t C, const double *g, gsl_matrix *R,
                     gsl_matrix *V, gsl_vector *ev,
                     gsl_eigen_symmv_workspace *ws)
{
    for (size_t a = 0; a < C; a++)
        for (size_t b = 0; b < C; b++)
            gsl_matrix_set(R, a, b, (a == b ? g[a] : 0.0) - g[a] * g[b]);
    if (gsl_eigen_symmv(R, ev, V, ws) != GSL_SUCCESS)
        return SS_FAIL(SS_ERR_NUMERIC, "dnn: the softmax metric Q did not "
                                       "diagonalise");
    gsl_matrix_set_zero(R);
    for (size_t k = 0; k < C; k++) {
        double s = sqrt(fmax(gsl_vector_get(ev, k), 0.0));
        for (size_t a = 0; a < C; a++)
            for (size_t b = 0; b < C; b++)
                *gsl_matrix_ptr(R, a, b) += s * gsl_matrix_get(V, a, k) *
                                            gsl_matrix_get(V, b, k);
    }
    return SS_OK;
}

/* ---- the exact FIM, dense (tiny networks) ---------------------------------- */

/* G = Jq^T Jq / T over all P parameters, with Jq the TC x P stack of
 * Q_t^{1/2} J_t from one backward pass per (input, output); the root
 * Jq / sqrt(T) when asked. The P x P matrix limits this to small P: the
 * FIM layer takes the Gram route beyond FIM_DENSE_MAX. */
static ss_status dnn_fim_exact(const model *m, const double *theta,
                               gsl_matrix *G, gsl_matrix **root)
{
    const dnn_layout *y = LAY(m);
    const gsl_matrix *X = dnn_inputs(m);
    size_t C = y->C, T = y->T, N = T * C, P = y->P;
    gsl_matrix *J = gsl_matrix_alloc(N, P), *Jt = gsl_matrix_alloc(C, P);
    gsl_matrix *R = gsl_matrix_alloc(C, C), *V = gsl_matrix_alloc(C, C);
    gsl_vector *ev = gsl_vector_alloc(C);
    gsl_eigen_symmv_workspace *ws = gsl_eigen_symmv_alloc(C);
    double *e = calloc(2 * C, sizeof *e);
    vws w = {0};
    ss_status st = J && Jt && R && V && ev && ws && e
                       ? vws_alloc(y, &w)
                       : SS_FAIL(SS_ERR_NOMEM, "out of memory");
    for (size_t t = 0; st == SS_OK && t < T; t++) {
        forward1(y, theta, gsl_matrix_const_ptr(X, t, 0), &w);
        for (size_t c = 0; c < C; c++) {
            e[c] = 1.0;
            backward1(y, theta, e, &w, gsl_matrix_ptr(Jt, c, 0));
            e[c] = 0.0;
        }
        gsl_matrix_view Jb = gsl_matrix_submatrix(J, t * C, 0, C, P);
        if (y->softmax) {
            dnn_softmax(C, w.f, e + C);
            st = dnn_q_root(C, e + C, R, V, ev, ws);
            if (st == SS_OK)
                gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, R, Jt, 0.0,
                               &Jb.matrix);
        } else {
            gsl_matrix_memcpy(&Jb.matrix, Jt);
        }
    }
    if (st == SS_OK) {
        gsl_matrix_scale(J, 1.0 / sqrt((double)T));
        gsl_blas_dsyrk(CblasLower, CblasTrans, 1.0, J, 0.0, G);
        for (size_t a = 0; a < P; a++)
            for (size_t b = a + 1; b < P; b++)
                gsl_matrix_set(G, a, b, gsl_matrix_get(G, b, a));
        if (root) {
            *root = J;
            J = NULL;
        }
    }
    free(w.buf);
    free(e);
    if (J)
        gsl_matrix_free(J);
    if (Jt)
        gsl_matrix_free(Jt);
    if (R)
        gsl_matrix_free(R);
    if (V)
        gsl_matrix_free(V);
    if (ev)
        gsl_vector_free(ev);
    if (ws)
        gsl_eigen_symmv_free(ws);
    return st;
}

/* The dual (NTK) Gram is in dnn_gram.c. */
size_t dnn_gram_rows(const model *m);

static ss_status dnn_fim_gram(const model *m, const double *theta,
                              gsl_matrix **K, double *scale)
{
    return dnn_gram(m, theta, K, scale);
}

/* ---- show ----------------------------------------------------------------- */

static void dnn_describe(const model *m, const double *theta,
                         const ss_sink *out)
{
    (void)theta;
    const dnn_layout *y = LAY(m);
    char buf[512];
    size_t n = 0;
    for (size_t l = 0; l <= y->L && n < sizeof buf; l++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%zu",
                              l ? " -> " : "", y->M[l]);
    ss_sink_printf(out, "  network: %s (%zu weight layer%s), P = %zu "
                        "parameters\n",
                   buf, y->L, y->L == 1 ? "" : "s", y->P);
    ss_sink_printf(out, "  act %s, param %s, output %s: %s\n",
                   act_choices[y->act], param_choices[y->ntk],
                   output_choices[y->softmax],
                   y->softmax ? "p(y|x) categorical with logits f(x)"
                              : "p(y|x) = N(f(x), I)");
    ss_sink_printf(out, "  design: T = %zu standard-normal inputs; the "
                        "exact FIM goes through its %zu x %zu dual (NTK) "
                        "Gram when that is smaller than P x P\n",
                   y->T, y->T * y->C, y->T * y->C);
}

const model_type model_dnn_type = {
    .name = "dnn",
    .summary = "wide random network: L fully connected layers, Gaussian "
               "weights, T fixed inputs",
    .help =
        "f(x) = W^L h^{L-1} + b^L, h^l = phi(W^l h^{l-1} + b^l), h^0 = x, "
        "with W^l ~ N(0, sw2/M_{l-1}) and b^l ~ N(0, sb2) drawn from seed= "
        "(param=ntk: W^l = sqrt(sw2/M_{l-1}) omega^l, omega^l ~ N(0,1) the "
        "parameter). Regression p(y|x) = N(f(x), I_C), or output=softmax: "
        "a class with logits f(x). An observation is one of the T fixed "
        "standard-normal inputs (inputs=T) with its response, so the "
        "exact FIM is (1/T) sum_t J_t^T Q_t J_t (Q_t = I, or diag(g) - g "
        "g^T for softmax); for a wide network it is computed through its "
        "TC x TC dual Gram (the NTK), whose non-zero eigenvalues are its "
        "own. Parameters: blocks W1 (M1 x M0, W1_i_j), b1 (b1_i), ..., "
        "WL, bL.",
    .opts = dnn_opts,
    .nopts = sizeof dnn_opts / sizeof dnn_opts[0],
    .param_summary = "W1 b1 ... WL bL (blocks; W^l is M_l x M_{l-1})",
    .configure = dnn_configure,
    .data_cols = dnn_data_cols,
    .data_colname = dnn_data_colname,
    .sample = dnn_sample,
    .loglik_terms = dnn_loglik_terms,
    .fim_exact = dnn_fim_exact,
    .fim_block = dnn_fim_block,
    .describe = dnn_describe,
    .release = dnn_release,
    .copy_state = dnn_copy_state,
    .data_kind = MODEL_DATA_REGRESSION,
    .fim_gram = dnn_fim_gram,
    .fim_gram_rows = dnn_gram_rows,
};

/* ---- the same network at another width ------------------------------------ */

/* The hidden widths (w[0..L-2]) of src at width M, checked against the
 * family's bounds before anything is allocated. */
static ss_status scaled_widths(const model *src, size_t M, double *w)
{
    const dnn_layout *y = dnn_layout_of(src);
    if (!y)
        return SS_FAIL(SS_ERR_USAGE, "dnn_at_width: not a dnn model");
    if (y->L < 2)
        return SS_FAIL(SS_ERR_USAGE,
                       "dnn: layers=1 has no hidden layer whose width could "
                       "change");
    if (M < 1)
        return SS_FAIL(SS_ERR_RANGE, "dnn: a width must be at least 1");
    for (size_t l = 1; l < y->L; l++) {
        /* alpha_l M, rounded; the ratios are those of src */
        double v = floor((double)M * (double)y->M[l] / (double)y->M[1] + 0.5);
        w[l - 1] = v < 1 ? 1 : v;
        if (w[l - 1] > dnn_opts[OPT_WIDTHS].hi)
            return SS_FAIL(SS_ERR_RANGE,
                           "dnn: width %zu makes hidden layer %zu %.0f wide, "
                           "above the %.0f allowed",
                           M, l, w[l - 1], dnn_opts[OPT_WIDTHS].hi);
    }
    double P = 0, prev = (double)y->M[0];
    for (size_t l = 1; l <= y->L; l++) {
        double cur = l < y->L ? w[l - 1] : (double)y->C;
        P += cur * (prev + 1.0);
        prev = cur;
    }
    if (P > (double)DNN_PMAX)
        return SS_FAIL(SS_ERR_LIMIT,
                       "dnn: width %zu gives %.0f parameters, more than the "
                       "%zu allowed",
                       M, P, DNN_PMAX);
    return SS_OK;
}

ss_status dnn_at_width_check(const model *src, size_t M)
{
    double w[DNN_LMAX];
    return scaled_widths(src, M, w);
}

ss_status dnn_at_width(const model *src, size_t M, model **out)
{
    *out = NULL;
    double w[DNN_LMAX];
    ss_status st = scaled_widths(src, M, w);
    if (st != SS_OK)
        return st;
    const dnn_layout *y = dnn_layout_of(src);
    model_arg a[NOPTS];
    size_t n = 0;
    for (size_t o = 0; o < NOPTS; o++) {
        if (o == OPT_WIDTH)
            continue;
        model_arg *x = &a[n];
        memset(x, 0, sizeof *x);
        x->key = dnn_opts[o].name;
        if (o == OPT_WIDTHS) {
            x->num = w;
            x->n = y->L - 1;
            x->is_vector = 1;
        } else if (dnn_opts[o].kind == MOPT_ENUM) {
            if (!src->opt_choice[o])
                continue;
            x->str = src->opt_choice[o];
        } else {
            x->num = &src->opt[o];
            x->n = 1;
        }
        n++;
    }
    model *m = NULL;
    st = model_alloc(&model_dnn_type, a, n, &m);
    if (st != SS_OK)
        return st;
    /* the same design: the inputs come from the same seed, and are copied
     * so that nothing but the widths can differ */
    const gsl_matrix *X = ((const dnn_state *)src->state)->X;
    dnn_state *s = m->state;
    if (!s || X->size1 != s->X->size1 || X->size2 != s->X->size2) {
        model_free(m);
        return SS_FAIL(SS_ERR_USAGE, "dnn_at_width: the inputs differ in "
                                     "shape");
    }
    gsl_matrix_memcpy(s->X, X);
    *out = m;
    return SS_OK;
}

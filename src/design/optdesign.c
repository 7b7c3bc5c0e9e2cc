/* Approximate optimal designs: criteria, sensitivity functions, the
 * Fedorov-Wynn algorithm over candidates, continuous refinement and
 * efficiencies (optdesign.h; docs/theory.md, "Optimal designs"). */
#include "design/optdesign.h"

#include "core/interrupt.h"

#include <gsl/gsl_blas.h>
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_multimin.h>
#include <gsl/gsl_roots.h>

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Working points above this many doubles of cached mu are refused. */
#define OD_CACHE_MAX ((size_t)1 << 25)
/* Candidate sets above this many rows are refused. */
#define OD_CAND_MAX ((size_t)1 << 22)
/* The smallest eigenvalue counts as multiple when the next one is within
 * this relative distance. */
#define OD_MULT_RTOL 1e-6
/* M is rebuilt from the weights this often (the updates drift by rounding). */
#define OD_REBUILD_EVERY 64
/* The loss of a transformed design whose M is not positive definite. */
#define OD_BIG 1e300

/* ---- designs --------------------------------------------------------------- */

od_design *od_design_alloc(size_t n, size_t dim)
{
    od_design *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->n = n;
    d->dim = dim;
    size_t nx = n * dim;
    d->x = calloc(nx ? nx : 1, sizeof *d->x);
    d->w = calloc(n ? n : 1, sizeof *d->w);
    if (!d->x || !d->w) {
        od_design_free(d);
        return NULL;
    }
    return d;
}

void od_design_free(od_design *d)
{
    if (!d)
        return;
    free(d->x);
    free(d->w);
    free(d);
}

void od_design_prune(od_design *d, double wmin)
{
    size_t m = 0;
    double sum = 0;
    for (size_t i = 0; i < d->n; i++) {
        if (!(d->w[i] >= wmin) || d->w[i] <= 0)
            continue;
        if (m != i) {
            memmove(d->x + m * d->dim, d->x + i * d->dim,
                    d->dim * sizeof *d->x);
            d->w[m] = d->w[i];
        }
        sum += d->w[m];
        m++;
    }
    d->n = m;
    for (size_t i = 0; i < m; i++)
        d->w[i] /= sum;
}

/* ---- the criteria ------------------------------------------------------------ */

/* Scratch for one criterion at one M: its value, the gradient matrix G of
 * phi (d(x) = <G, mu(x)>, bound = <G, M>). */
typedef struct {
    od_kind kind;
    size_t p, q;  /* q nuisance parameters (Ds) */
    size_t *nuis; /* their indices */
    gsl_matrix *L, *Minv, *G, *M22, *E, *evec;
    gsl_vector *eval;
    gsl_eigen_symmv_workspace *ew;
    double value, bound;
    size_t mult;
    double egap; /* E: (lambda_2 - lambda_min) / lambda_min; INFINITY if p = 1 */
} crit_ws;

static void crit_ws_free(crit_ws *w)
{
    if (!w)
        return;
    free(w->nuis);
    gsl_matrix_free(w->L);
    gsl_matrix_free(w->Minv);
    gsl_matrix_free(w->G);
    gsl_matrix_free(w->M22);
    gsl_matrix_free(w->E);
    gsl_matrix_free(w->evec);
    gsl_vector_free(w->eval);
    if (w->ew)
        gsl_eigen_symmv_free(w->ew);
    free(w);
}

static ss_status crit_check(const od_problem *pb, const od_criterion *c)
{
    if (!pb || !pb->info || pb->p == 0 || pb->dim == 0)
        return SS_FAIL(SS_ERR_USAGE, "design problem: need p >= 1, "
                                     "dim >= 1 and an information callback");
    if (!c || c->kind > OD_DS)
        return SS_FAIL(SS_ERR_USAGE, "unknown design criterion");
    if (c->kind != OD_DS)
        return SS_OK;
    if (c->s == 0 || c->s > pb->p || !c->sub)
        return SS_FAIL(SS_ERR_RANGE,
                       "Ds criterion: need 1 <= s <= p = %zu parameters of "
                       "interest, got %zu",
                       pb->p, c->s);
    for (size_t i = 0; i < c->s; i++) {
        if (c->sub[i] >= pb->p)
            return SS_FAIL(SS_ERR_RANGE,
                           "Ds criterion: parameter index %zu is not below "
                           "p = %zu",
                           c->sub[i], pb->p);
        for (size_t j = 0; j < i; j++)
            if (c->sub[j] == c->sub[i])
                return SS_FAIL(SS_ERR_RANGE,
                               "Ds criterion: parameter index %zu given twice",
                               c->sub[i]);
    }
    return SS_OK;
}

static crit_ws *crit_ws_alloc(const od_problem *pb, const od_criterion *c)
{
    crit_ws *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    size_t p = pb->p;
    w->kind = c->kind;
    w->p = p;
    w->L = gsl_matrix_alloc(p, p);
    w->Minv = gsl_matrix_alloc(p, p);
    w->G = gsl_matrix_alloc(p, p);
    w->E = gsl_matrix_alloc(p, p);
    w->evec = gsl_matrix_alloc(p, p);
    w->eval = gsl_vector_alloc(p);
    w->ew = gsl_eigen_symmv_alloc(p);
    w->nuis = calloc(p, sizeof *w->nuis);
    if (!w->L || !w->Minv || !w->G || !w->E || !w->evec || !w->eval ||
        !w->ew || !w->nuis) {
        crit_ws_free(w);
        return NULL;
    }
    if (c->kind == OD_DS) {
        for (size_t i = 0; i < p; i++) {
            int in = 0;
            for (size_t j = 0; j < c->s; j++)
                in |= c->sub[j] == i;
            if (!in)
                w->nuis[w->q++] = i;
        }
        if (w->q) {
            w->M22 = gsl_matrix_alloc(w->q, w->q);
            if (!w->M22) {
                crit_ws_free(w);
                return NULL;
            }
        }
    }
    return w;
}

/* Cholesky of A into L (lower) and A^-1 into inv; ln det A into *ld.
 * Nonzero when A is not positive definite (no GSL error raised). */
static int chol_inv(const gsl_matrix *A, gsl_matrix *L, gsl_matrix *inv,
                    double *ld)
{
    gsl_matrix_memcpy(L, A);
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    int rc = gsl_linalg_cholesky_decomp1(L);
    double s = 0;
    if (rc == 0) {
        for (size_t i = 0; i < L->size1; i++) {
            double l = gsl_matrix_get(L, i, i);
            if (!(l > 0) || !isfinite(l))
                rc = GSL_EDOM;
            else
                s += log(l);
        }
    }
    if (rc == 0 && inv) {
        gsl_matrix_memcpy(inv, L);
        rc = gsl_linalg_cholesky_invert(inv);
    }
    gsl_set_error_handler(old);
    *ld = 2 * s;
    return rc;
}

static double frob(const gsl_matrix *A, const gsl_matrix *B)
{
    double s = 0;
    for (size_t i = 0; i < A->size1; i++) {
        const double *a = A->data + i * A->tda, *b = B->data + i * B->tda;
        for (size_t j = 0; j < A->size2; j++)
            s += a[j] * b[j];
    }
    return s;
}

/* Value, G and bound at M. Nonzero when M is not positive definite. */
static int crit_eval(crit_ws *w, const gsl_matrix *M)
{
    size_t p = w->p;
    double ld;
    w->mult = 1;
    switch (w->kind) {
    case OD_D:
        if (chol_inv(M, w->L, w->G, &ld))
            return 1;
        w->value = ld;
        w->bound = (double)p;
        return 0;
    case OD_A: {
        if (chol_inv(M, w->L, w->Minv, &ld))
            return 1;
        gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, w->Minv, w->Minv, 0.0,
                       w->G);
        double tr = 0;
        for (size_t i = 0; i < p; i++)
            tr += gsl_matrix_get(w->Minv, i, i);
        w->value = tr;
        w->bound = tr;
        return 0;
    }
    case OD_E: {
        gsl_matrix_memcpy(w->E, M);
        gsl_error_handler_t *old = gsl_set_error_handler_off();
        int rc = gsl_eigen_symmv(w->E, w->eval, w->evec, w->ew);
        gsl_set_error_handler(old);
        if (rc)
            return 1;
        gsl_eigen_symmv_sort(w->eval, w->evec, GSL_EIGEN_SORT_VAL_ASC);
        double l1 = gsl_vector_get(w->eval, 0);
        double lmax = gsl_vector_get(w->eval, p - 1);
        if (!(l1 > OD_SINGULAR_RTOL * lmax) || !isfinite(lmax))
            return 1;
        for (size_t k = 1; k < p; k++)
            if (gsl_vector_get(w->eval, k) - l1 <= OD_MULT_RTOL * l1)
                w->mult++;
        w->egap = p > 1 ? (gsl_vector_get(w->eval, 1) - l1) / l1 : INFINITY;
        gsl_vector_view v = gsl_matrix_column(w->evec, 0);
        gsl_matrix_set_zero(w->G);
        gsl_blas_dger(1.0, &v.vector, &v.vector, w->G);
        w->value = l1;
        w->bound = l1;
        return 0;
    }
    case OD_DS: {
        if (chol_inv(M, w->L, w->G, &ld))
            return 1;
        w->value = ld;
        if (w->q) {
            for (size_t a = 0; a < w->q; a++)
                for (size_t b = 0; b < w->q; b++)
                    gsl_matrix_set(w->M22, a, b,
                                   gsl_matrix_get(M, w->nuis[a], w->nuis[b]));
            gsl_matrix_view L22 =
                gsl_matrix_submatrix(w->L, 0, 0, w->q, w->q);
            gsl_matrix_view I22 =
                gsl_matrix_submatrix(w->Minv, 0, 0, w->q, w->q);
            double ld2;
            if (chol_inv(w->M22, &L22.matrix, &I22.matrix, &ld2))
                return 1;
            w->value -= ld2;
            for (size_t a = 0; a < w->q; a++)
                for (size_t b = 0; b < w->q; b++) {
                    size_t i = w->nuis[a], j = w->nuis[b];
                    gsl_matrix_set(w->G, i, j,
                                   gsl_matrix_get(w->G, i, j) -
                                       gsl_matrix_get(&I22.matrix, a, b));
                }
        }
        w->bound = (double)(p - w->q);
        return 0;
    }
    }
    return 1;
}

/* ---- singular information: say which directions are lost ---------------- */

static void param_name(const od_problem *pb, size_t i, char *buf, size_t n)
{
    if (pb->names && pb->names[i])
        snprintf(buf, n, "%s", pb->names[i]);
    else
        snprintf(buf, n, "th%zu", i + 1);
}

/* SS_OK when M's eigenvalues all exceed OD_SINGULAR_RTOL times the largest;
 * otherwise SS_FAIL naming the lost directions. what names the design. */
static ss_status check_nonsingular(const od_problem *pb, const gsl_matrix *M,
                                   const char *what)
{
    size_t p = pb->p;
    for (size_t i = 0; i < p; i++)
        for (size_t j = 0; j < p; j++)
            if (!isfinite(gsl_matrix_get(M, i, j)))
                return SS_FAIL(SS_ERR_NUMERIC,
                               "the information matrix of the %s is not "
                               "finite",
                               what);
    gsl_matrix *A = gsl_matrix_alloc(p, p), *V = gsl_matrix_alloc(p, p);
    gsl_vector *ev = gsl_vector_alloc(p);
    gsl_eigen_symmv_workspace *ew = gsl_eigen_symmv_alloc(p);
    if (!A || !V || !ev || !ew) {
        gsl_matrix_free(A), gsl_matrix_free(V), gsl_vector_free(ev);
        if (ew)
            gsl_eigen_symmv_free(ew);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    gsl_matrix_memcpy(A, M);
    gsl_eigen_symmv(A, ev, V, ew);
    gsl_eigen_symmv_sort(ev, V, GSL_EIGEN_SORT_VAL_ASC);
    double lmax = fmax(gsl_vector_get(ev, p - 1), 0);
    size_t lost = 0;
    while (lost < p && !(gsl_vector_get(ev, lost) > OD_SINGULAR_RTOL * lmax))
        lost++;
    ss_status st = SS_OK;
    if (lost) {
        char msg[900] = "";
        for (size_t k = 0; k < lost && k < 4; k++) {
            char dir[300] = "";
            size_t len = 0;
            double cmax = 0;
            for (size_t i = 0; i < p; i++)
                cmax = fmax(cmax, fabs(gsl_matrix_get(V, i, k)));
            for (size_t i = 0; i < p && len + 60 < sizeof dir; i++) {
                double c = gsl_matrix_get(V, i, k);
                if (fabs(c) < 1e-3 * cmax)
                    continue;
                char nm[48];
                param_name(pb, i, nm, sizeof nm);
                const char *sign = len == 0 ? (c < 0 ? "-" : "")
                                            : (c < 0 ? " - " : " + ");
                if (fabs(fabs(c) - 1) < 5e-5) /* a coordinate axis */
                    len += (size_t)snprintf(dir + len, sizeof dir - len,
                                            "%s%s", sign, nm);
                else
                    len += (size_t)snprintf(dir + len, sizeof dir - len,
                                            "%s%.4g %s", sign, fabs(c), nm);
            }
            ss_text_append(msg, sizeof msg, "; ", "%s (eigenvalue %.3g)", dir,
                           gsl_vector_get(ev, k));
        }
        if (lost > 4)
            ss_text_append(msg, sizeof msg, "; ", "and %zu more", lost - 4);
        st = SS_FAIL(SS_ERR_RANGE,
                     "the information matrix of the %s is singular (rank %zu "
                     "of %zu, largest eigenvalue %.3g): it cannot estimate "
                     "the lost direction%s %s",
                     what, p - lost, p, lmax, lost > 1 ? "s" : "", msg);
    }
    gsl_matrix_free(A), gsl_matrix_free(V), gsl_vector_free(ev);
    gsl_eigen_symmv_free(ew);
    return st;
}

/* ---- M of a design --------------------------------------------------------- */

static ss_status info_at(const od_problem *pb, const double *x, gsl_matrix *mu)
{
    ss_status st = pb->info(pb->ctx, x, mu);
    if (st != SS_OK)
        return st;
    size_t p = pb->p;
    for (size_t i = 0; i < p; i++)
        for (size_t j = 0; j <= i; j++) {
            double a = gsl_matrix_get(mu, i, j), b = gsl_matrix_get(mu, j, i);
            if (!isfinite(a) || !isfinite(b))
                return SS_FAIL(SS_ERR_NUMERIC,
                               "the elemental information is not finite at "
                               "a design point (x1 = %g)",
                               x[0]);
            gsl_matrix_set(mu, i, j, 0.5 * (a + b));
            gsl_matrix_set(mu, j, i, 0.5 * (a + b));
        }
    return SS_OK;
}

/* M = sum w_i mu(x_i) with mu scratch. */
static ss_status info_sum(const od_problem *pb, const od_design *xi,
                          gsl_matrix *mu, gsl_matrix *M)
{
    gsl_matrix_set_zero(M);
    for (size_t i = 0; i < xi->n; i++) {
        if (xi->w[i] == 0)
            continue;
        ss_status st = info_at(pb, xi->x + i * xi->dim, mu);
        if (st != SS_OK)
            return st;
        gsl_matrix_scale(mu, xi->w[i]);
        gsl_matrix_add(M, mu);
    }
    return SS_OK;
}

static ss_status design_check(const od_problem *pb, const od_design *xi)
{
    if (!xi || xi->n == 0 || xi->dim != pb->dim)
        return SS_FAIL(SS_ERR_USAGE, "a design needs at least one point of "
                                     "%zu coordinates",
                       pb->dim);
    double s = 0;
    for (size_t i = 0; i < xi->n; i++) {
        if (!(xi->w[i] >= 0) || !isfinite(xi->w[i]))
            return SS_FAIL(SS_ERR_RANGE,
                           "design weight %zu is %g: weights must be >= 0",
                           i + 1, xi->w[i]);
        s += xi->w[i];
        for (size_t k = 0; k < xi->dim; k++) {
            double t = xi->x[i * xi->dim + k];
            if (!isfinite(t))
                return SS_FAIL(SS_ERR_RANGE, "design point %zu is not finite",
                               i + 1);
            if (k && !(t > xi->x[i * xi->dim + k - 1]))
                return SS_FAIL(SS_ERR_RANGE,
                               "design point %zu: its times must increase "
                               "(%g after %g)",
                               i + 1, t, xi->x[i * xi->dim + k - 1]);
        }
    }
    if (fabs(s - 1) > 1e-9)
        return SS_FAIL(SS_ERR_RANGE, "design weights sum to %.12g, not 1", s);
    return SS_OK;
}

ss_status od_info_matrix(const od_problem *pb, const od_design *xi,
                         gsl_matrix *M)
{
    od_criterion c = {OD_D, 0, NULL};
    ss_status st = crit_check(pb, &c);
    if (st == SS_OK)
        st = design_check(pb, xi);
    if (st != SS_OK)
        return st;
    if (M->size1 != pb->p || M->size2 != pb->p)
        return SS_FAIL(SS_ERR_USAGE, "information matrix must be %zu x %zu",
                       pb->p, pb->p);
    gsl_matrix *mu = gsl_matrix_alloc(pb->p, pb->p);
    if (!mu)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    st = info_sum(pb, xi, mu, M);
    gsl_matrix_free(mu);
    return st;
}

/* M of xi checked nonsingular, and the criterion evaluated at it. */
static ss_status eval_design(const od_problem *pb, const od_criterion *c,
                             const od_design *xi, const char *what,
                             crit_ws **wsp, gsl_matrix **Mp)
{
    ss_status st = crit_check(pb, c);
    if (st != SS_OK)
        return st;
    gsl_matrix *M = gsl_matrix_alloc(pb->p, pb->p);
    crit_ws *ws = crit_ws_alloc(pb, c);
    if (!M || !ws) {
        gsl_matrix_free(M);
        crit_ws_free(ws);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    st = od_info_matrix(pb, xi, M);
    if (st == SS_OK)
        st = check_nonsingular(pb, M, what);
    if (st == SS_OK && crit_eval(ws, M))
        st = SS_FAIL(SS_ERR_NUMERIC,
                     "the %s's information matrix could not be factored",
                     what);
    if (st != SS_OK) {
        gsl_matrix_free(M);
        crit_ws_free(ws);
        return st;
    }
    *wsp = ws;
    if (Mp)
        *Mp = M;
    else
        gsl_matrix_free(M);
    return SS_OK;
}

ss_status od_criterion_value(const od_problem *pb, const od_criterion *c,
                             const od_design *xi, double *value)
{
    crit_ws *ws;
    ss_status st = eval_design(pb, c, xi, "design", &ws, NULL);
    if (st != SS_OK)
        return st;
    *value = ws->value;
    crit_ws_free(ws);
    return SS_OK;
}

ss_status od_sensitivity(const od_problem *pb, const od_criterion *c,
                         const od_design *xi, const double *x, size_t nx,
                         double *d, double *bound, size_t *mult)
{
    crit_ws *ws;
    ss_status st = eval_design(pb, c, xi, "design", &ws, NULL);
    if (st != SS_OK)
        return st;
    gsl_matrix *mu = gsl_matrix_alloc(pb->p, pb->p);
    if (!mu) {
        crit_ws_free(ws);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    for (size_t j = 0; j < nx && st == SS_OK; j++) {
        st = info_at(pb, x + j * pb->dim, mu);
        if (st == SS_OK)
            d[j] = frob(ws->G, mu);
    }
    if (bound)
        *bound = ws->bound;
    if (mult)
        *mult = ws->mult;
    gsl_matrix_free(mu);
    crit_ws_free(ws);
    return st;
}

/* ---- Fedorov-Wynn ------------------------------------------------------------ */

void od_fw_opts_default(od_fw_opts *o, od_kind kind)
{
    memset(o, 0, sizeof *o);
    o->crit.kind = kind;
    o->step = OD_STEP_LINE;
    o->tol = 1e-6;
    o->max_iter = 10000;
    o->exchange = OD_EXCH_PAIR;
    o->prune = 1e-6;
    o->merge = 0;
}

void od_fw_result_free(od_fw_result *r)
{
    if (!r)
        return;
    od_design_free(r->design);
    free(r->wcand);
    memset(r, 0, sizeof *r);
}

typedef struct {
    size_t p, nw;
    double *mus; /* nw cached p x p matrices */
    gsl_matrix *M, *Ma, *D; /* M, M(a), the direction mu_j - M */
    crit_ws *ws;
} fw_line;

static gsl_matrix_view mu_of(const fw_line *f, size_t j)
{
    return gsl_matrix_view_array(f->mus + j * f->p * f->p, f->p, f->p);
}

/* The slope of phi along the segment at a: <G(M + a D), D>; where M(a) is
 * not positive definite, a huge value of the sign the concave slope has
 * there (the segment's ends only). */
static double fw_slope(double a, void *vp)
{
    fw_line *f = vp;
    gsl_matrix_memcpy(f->Ma, f->D);
    gsl_matrix_scale(f->Ma, a);
    gsl_matrix_add(f->Ma, f->M);
    if (crit_eval(f->ws, f->Ma))
        return a < 0 ? OD_BIG : -OD_BIG;
    /* for A, G = M^-2 and d/da of -tr M(a)^-1 is <M(a)^-2, D> */
    return frob(f->ws->G, f->D);
}

/* The maximiser of phi over a in [lo, hi] (slope at lo > 0 > slope at hi
 * unless an end is the answer), by bisection of the concave slope. */
static double fw_line_search(fw_line *f, gsl_root_fsolver *rs, double lo,
                             double hi)
{
    double glo = fw_slope(lo, f), ghi = fw_slope(hi, f);
    if (ghi >= 0)
        return hi;
    if (glo <= 0)
        return lo;
    gsl_function F = {fw_slope, f};
    gsl_root_fsolver_set(rs, &F, lo, hi);
    double a = 0.5 * (lo + hi);
    for (int it = 0; it < 200; it++) {
        if (gsl_root_fsolver_iterate(rs))
            break;
        a = gsl_root_fsolver_root(rs);
        double xl = gsl_root_fsolver_x_lower(rs),
               xu = gsl_root_fsolver_x_upper(rs);
        if (gsl_root_test_interval(xl, xu, 1e-15, 1e-13) == GSL_SUCCESS)
            break;
    }
    return a;
}

/* M = sum w_j mu_j over the working points. */
static void fw_rebuild(const fw_line *f, const double *w, gsl_matrix *M)
{
    gsl_matrix_set_zero(M);
    for (size_t j = 0; j < f->nw; j++) {
        if (w[j] == 0)
            continue;
        gsl_matrix_view m = mu_of(f, j);
        for (size_t a = 0; a < f->p; a++)
            for (size_t b = 0; b < f->p; b++)
                gsl_matrix_set(M, a, b,
                               gsl_matrix_get(M, a, b) +
                                   w[j] * gsl_matrix_get(&m.matrix, a, b));
    }
}

/* The support of w (weights >= prune), near points merged, as a design. */
typedef struct {
    double w;
    size_t j;
} wpt;

static int wpt_heavier(const void *a, const void *b)
{
    double x = ((const wpt *)a)->w, y = ((const wpt *)b)->w;
    if (x != y)
        return x > y ? -1 : 1;
    size_t i = ((const wpt *)a)->j, k = ((const wpt *)b)->j;
    return (i > k) - (i < k);
}

static od_design *fw_support(const double *X, size_t nw, size_t dim,
                             const double *w, double prune, double merge)
{
    wpt *pts = malloc((nw ? nw : 1) * sizeof *pts);
    size_t *ord = malloc((nw ? nw : 1) * sizeof *ord);
    if (!pts || !ord) {
        free(pts), free(ord);
        return NULL;
    }
    size_t m = 0;
    for (size_t j = 0; j < nw; j++)
        if (w[j] > 0 && w[j] >= prune)
            pts[m++] = (wpt){w[j], j};
    /* heaviest first, so a cluster merges into its main point */
    qsort(pts, m, sizeof *pts, wpt_heavier);
    for (size_t i = 0; i < m; i++)
        ord[i] = pts[i].j;
    free(pts);
    od_design *d = od_design_alloc(m ? m : 1, dim);
    char *used = calloc(m ? m : 1, 1);
    if (!d || !used) {
        free(ord), free(used);
        od_design_free(d);
        return NULL;
    }
    size_t n = 0;
    double total = 0;
    for (size_t i = 0; i < m; i++) {
        if (used[i])
            continue;
        const double *xi = X + ord[i] * dim;
        double ws = 0;
        double *acc = d->x + n * dim;
        for (size_t k = 0; k < dim; k++)
            acc[k] = 0;
        for (size_t j = i; j < m; j++) {
            if (used[j])
                continue;
            const double *xj = X + ord[j] * dim;
            int near = 1;
            for (size_t k = 0; k < dim && near; k++)
                near = fabs(xj[k] - xi[k]) <= merge;
            if (j != i && !near)
                continue;
            used[j] = 1;
            ws += w[ord[j]];
            for (size_t k = 0; k < dim; k++)
                acc[k] += w[ord[j]] * xj[k];
        }
        for (size_t k = 0; k < dim; k++)
            acc[k] /= ws;
        d->w[n++] = ws;
        total += ws;
    }
    d->n = n;
    for (size_t i = 0; i < n; i++)
        d->w[i] /= total;
    free(ord), free(used);
    return d;
}

static ss_status fw_check(const od_problem *pb, const gsl_matrix *cand,
                          const double *w0, const od_design *start,
                          const od_fw_opts *o)
{
    ss_status st = crit_check(pb, o ? &o->crit : NULL);
    if (st != SS_OK)
        return st;
    if (!cand || cand->size1 == 0 || cand->size2 != pb->dim)
        return SS_FAIL(SS_ERR_USAGE,
                       "Fedorov-Wynn: the candidates must be a matrix with "
                       "%zu columns and at least one row",
                       pb->dim);
    if (!(o->tol > 0) || o->max_iter == 0 || !(o->prune >= 0) ||
        !(o->prune < 1) || !(o->merge >= 0))
        return SS_FAIL(SS_ERR_RANGE,
                       "Fedorov-Wynn: need tol > 0, max_iter >= 1, "
                       "0 <= prune < 1, merge >= 0");
    if (o->step != OD_STEP_LINE && o->step != OD_STEP_CLOSED)
        return SS_FAIL(SS_ERR_USAGE, "Fedorov-Wynn: unknown step rule");
    for (size_t i = 0; i < cand->size1; i++)
        for (size_t k = 0; k < pb->dim; k++) {
            double t = gsl_matrix_get(cand, i, k);
            if (!isfinite(t))
                return SS_FAIL(SS_ERR_RANGE, "candidate %zu is not finite",
                               i + 1);
            if (k && !(t > gsl_matrix_get(cand, i, k - 1)))
                return SS_FAIL(SS_ERR_RANGE,
                               "candidate %zu: its times must increase (%g "
                               "after %g)",
                               i + 1, t, gsl_matrix_get(cand, i, k - 1));
        }
    if (w0 && start)
        return SS_FAIL(SS_ERR_USAGE, "Fedorov-Wynn: give start weights or a "
                                     "start design, not both");
    if (start)
        return design_check(pb, start);
    if (w0) {
        double s = 0;
        for (size_t i = 0; i < cand->size1; i++) {
            if (!(w0[i] >= 0) || !isfinite(w0[i]))
                return SS_FAIL(SS_ERR_RANGE,
                               "start weight %zu is %g: weights must be >= 0",
                               i + 1, w0[i]);
            s += w0[i];
        }
        if (fabs(s - 1) > 1e-9)
            return SS_FAIL(SS_ERR_RANGE, "start weights sum to %.12g, not 1",
                           s);
    }
    return SS_OK;
}

/* Fill r from the weights w: the pruned, merged design, its value, bound,
 * max d over the working points. */
static ss_status fw_finish(const od_problem *pb, const od_criterion *c,
                           const double *X, fw_line *f, const double *w,
                           const od_fw_opts *o, od_fw_result *r)
{
    r->design = fw_support(X, f->nw, pb->dim, w, o->prune, o->merge);
    r->wcand = malloc(f->nw * sizeof *r->wcand);
    if (!r->design || !r->wcand)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    memcpy(r->wcand, w, f->nw * sizeof *w);
    r->nwork = f->nw;
    gsl_matrix *mu = gsl_matrix_alloc(pb->p, pb->p);
    if (!mu)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    ss_status st = info_sum(pb, r->design, mu, f->M);
    gsl_matrix_free(mu);
    if (st != SS_OK)
        return st;
    (void)c;
    if (crit_eval(f->ws, f->M)) {
        r->value = r->maxd = r->bound = NAN;
        ss_text_append(r->warning, sizeof r->warning, "; ",
                       "the pruned design's information matrix is not "
                       "positive definite (lower prune)");
        return SS_OK;
    }
    r->value = f->ws->value;
    r->bound = f->ws->bound;
    r->multiplicity = f->ws->mult;
    r->maxd = -INFINITY;
    for (size_t j = 0; j < f->nw; j++) {
        gsl_matrix_view m = mu_of(f, j);
        r->maxd = fmax(r->maxd, frob(f->ws->G, &m.matrix));
    }
    if (r->multiplicity > 1)
        ss_text_append(r->warning, sizeof r->warning, "; ",
                       "lambda_min has multiplicity %zu: E is not "
                       "differentiable there and the sensitivity v^T mu v "
                       "with one eigenvector does not test optimality",
                       r->multiplicity);
    return SS_OK;
}

ss_status od_fedorov_wynn(const od_problem *pb, const gsl_matrix *cand,
                          const double *w0, const od_design *start,
                          const od_fw_opts *o, od_fw_result *r)
{
    memset(r, 0, sizeof *r);
    ss_status st = fw_check(pb, cand, w0, start, o);
    if (st != SS_OK)
        return st;
    size_t p = pb->p, dim = pb->dim, nc = cand->size1;
    size_t nw = nc + (start ? start->n : 0);
    if (nw > OD_CACHE_MAX / (p * p))
        return SS_FAIL(SS_ERR_LIMIT,
                       "Fedorov-Wynn: %zu working points with p = %zu need "
                       "more than %zu cached numbers",
                       nw, p, OD_CACHE_MAX);
    double *X = malloc(nw * dim * sizeof *X);
    double *mus = malloc(nw * p * p * sizeof *mus);
    double *w = calloc(nw, sizeof *w), *dv = calloc(nw, sizeof *dv);
    fw_line f = {p, nw, mus, gsl_matrix_alloc(p, p), gsl_matrix_alloc(p, p),
                 gsl_matrix_alloc(p, p), crit_ws_alloc(pb, &o->crit)};
    gsl_root_fsolver *rs = gsl_root_fsolver_alloc(gsl_root_fsolver_bisection);
    if (!X || !mus || !w || !dv || !f.M || !f.Ma || !f.D || !f.ws || !rs) {
        st = SS_FAIL(SS_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < nc; i++)
        for (size_t k = 0; k < dim; k++)
            X[i * dim + k] = gsl_matrix_get(cand, i, k);
    if (start)
        memcpy(X + nc * dim, start->x, start->n * dim * sizeof *X);
    for (size_t j = 0; j < nw && st == SS_OK; j++) {
        gsl_matrix_view m = gsl_matrix_view_array(mus + j * p * p, p, p);
        st = info_at(pb, X + j * dim, &m.matrix);
    }
    if (st != SS_OK)
        goto out;
    for (size_t j = 0; j < nw; j++)
        w[j] = start ? (j < nc ? 0 : start->w[j - nc])
                     : (w0 ? w0[j] : 1.0 / (double)nc);
    fw_rebuild(&f, w, f.M);
    st = check_nonsingular(pb, f.M, "start design");
    if (st != SS_OK)
        goto out;

    double p_d = (double)p;
    size_t it = 0;
    int interrupted = 0;
    for (;;) {
        if (crit_eval(f.ws, f.M)) {
            st = check_nonsingular(pb, f.M, "current design");
            if (st == SS_OK)
                st = SS_FAIL(SS_ERR_NUMERIC,
                             "Fedorov-Wynn: the information matrix lost "
                             "positive definiteness after %zu steps",
                             it);
            goto out;
        }
        double bound = f.ws->bound, dmax = -INFINITY, dmin = INFINITY;
        size_t jmax = 0, jmin = 0;
        for (size_t j = 0; j < nw; j++) {
            gsl_matrix_view m = mu_of(&f, j);
            dv[j] = frob(f.ws->G, &m.matrix);
            if (dv[j] > dmax)
                dmax = dv[j], jmax = j;
            if (w[j] > 0 && dv[j] < dmin)
                dmin = dv[j], jmin = j;
        }
        r->fw_maxd = dmax;
        if (dmax - bound <= o->tol * fabs(bound)) {
            r->converged = 1;
            break;
        }
        if (it >= o->max_iter)
            break;
        if (ss_interrupted()) {
            interrupted = 1;
            break;
        }
        double a;
        size_t j;
        if (o->exchange == OD_EXCH_PAIR && jmin != jmax) {
            /* move weight from the worst support point to the best
             * candidate: M + g (mu_jmax - mu_jmin), 0 <= g <= w_jmin */
            gsl_matrix_view mp = mu_of(&f, jmax), mm = mu_of(&f, jmin);
            gsl_matrix_memcpy(f.D, &mp.matrix);
            gsl_matrix_sub(f.D, &mm.matrix);
            double g = fw_line_search(&f, rs, 0, w[jmin]);
            w[jmax] += g;
            w[jmin] = g >= w[jmin] ? 0 : w[jmin] - g;
            gsl_matrix_scale(f.D, g);
            gsl_matrix_add(f.M, f.D);
            it++;
            if (it % OD_REBUILD_EVERY == 0)
                fw_rebuild(&f, w, f.M);
            continue;
        }
        int away = o->exchange == OD_EXCH_AWAY &&
                   bound - dmin > dmax - bound && w[jmin] < 1;
        j = away ? jmin : jmax;
        gsl_matrix_view mj = mu_of(&f, j);
        gsl_matrix_memcpy(f.D, &mj.matrix);
        gsl_matrix_sub(f.D, f.M);
        double lo = away ? -w[j] / (1 - w[j]) : 0;
        if (away) {
            a = fw_line_search(&f, rs, lo, 0);
            if (a <= lo)
                a = lo;
        } else if (o->step == OD_STEP_CLOSED && o->crit.kind == OD_D) {
            a = (dmax - p_d) / (p_d * (dmax - 1));
            a = fmin(fmax(a, 0), 1);
        } else {
            a = fw_line_search(&f, rs, 0, 1);
        }
        double wj_new = (1 - a) * w[j] + a;
        for (size_t i = 0; i < nw; i++)
            w[i] *= 1 - a;
        /* a removal to the end of the segment drops the point exactly */
        w[j] = (away && a <= lo) ? 0 : wj_new;
        it++;
        if (it % OD_REBUILD_EVERY == 0) {
            double s = 0;
            for (size_t i = 0; i < nw; i++)
                s += w[i];
            for (size_t i = 0; i < nw; i++)
                w[i] /= s;
            fw_rebuild(&f, w, f.M);
        } else {
            gsl_matrix_scale(f.D, a);
            gsl_matrix_add(f.M, f.D);
        }
    }
    r->iter = it;
    {
        double s = 0;
        for (size_t i = 0; i < nw; i++)
            s += w[i];
        for (size_t i = 0; i < nw; i++)
            w[i] /= s;
    }
    st = fw_finish(pb, &o->crit, X, &f, w, o, r);
    if (st != SS_OK) {
        od_fw_result_free(r);
        goto out;
    }
    if (!r->converged && !interrupted) {
        ss_text_append(r->warning, sizeof r->warning, "; ",
                       "not converged after %zu steps: max d - bound = %.3g "
                       "(tolerance %.3g)",
                       it, r->fw_maxd - r->bound, o->tol * fabs(r->bound));
        if (o->crit.kind == OD_E && r->multiplicity == 1 &&
            f.ws->egap < 1e-2)
            ss_text_append(r->warning, sizeof r->warning, "; ",
                           "lambda_min is nearly multiple (the next "
                           "eigenvalue %.2g%% above): E-optimal designs "
                           "often have a multiple lambda_min, where one "
                           "eigenvector's sensitivity cannot converge",
                           100 * f.ws->egap);
    }
    if (interrupted)
        st = SS_FAIL(SS_ERR_INTERRUPTED,
                     "Fedorov-Wynn interrupted after %zu steps (the last "
                     "design is kept)",
                     it);
out:
    free(X), free(mus), free(w), free(dv);
    gsl_matrix_free(f.M), gsl_matrix_free(f.Ma), gsl_matrix_free(f.D);
    crit_ws_free(f.ws);
    if (rs)
        gsl_root_fsolver_free(rs);
    return st;
}

/* ---- continuous refinement -------------------------------------------------- */

void od_refine_opts_default(od_refine_opts *o, od_kind kind, double lo,
                            double hi)
{
    memset(o, 0, sizeof *o);
    o->crit.kind = kind;
    o->over = OD_OVER_BOTH;
    o->lo = lo;
    o->hi = hi;
    o->min_gap = 1e-6 * (hi - lo);
    o->method = OD_NMSIMPLEX;
    o->max_iter = 20000;
    o->tol = 1e-9;
}

typedef struct {
    const od_problem *pb;
    const od_refine_opts *o;
    const od_design *x0; /* the start: what is not refined comes from it */
    od_design *xs;       /* the decoded trial design */
    gsl_matrix *mu, *M;
    crit_ws *ws;
    size_t nt, nwp; /* time and weight parameters */
    gsl_vector *y;  /* scratch for the numerical gradient */
    ss_status err;  /* a callback's failure, reported after the run */
} rf_ctx;

/* The point's times from its z's (stick-breaking, s = sin^2 z). */
static void rf_times(const od_refine_opts *o, size_t dim, const double *z,
                     double *t)
{
    double g = o->min_gap;
    for (size_t k = 0; k < dim; k++) {
        double start = k ? t[k - 1] + g : o->lo;
        double upper = o->hi - (double)(dim - 1 - k) * g;
        double s = sin(z[k]);
        t[k] = start + s * s * (upper - start);
    }
}

static void rf_times_inv(const od_refine_opts *o, size_t dim, const double *t,
                         double *z, double nudge)
{
    double g = o->min_gap;
    for (size_t k = 0; k < dim; k++) {
        double start = k ? t[k - 1] + g : o->lo;
        double upper = o->hi - (double)(dim - 1 - k) * g;
        double s = upper > start ? (t[k] - start) / (upper - start) : 0.5;
        s = fmin(fmax(s, nudge), 1 - nudge);
        z[k] = asin(sqrt(s));
    }
}

static void rf_decode(rf_ctx *c, const gsl_vector *v)
{
    const od_design *x0 = c->x0;
    od_design *xs = c->xs;
    size_t n = x0->n, dim = x0->dim, at = 0;
    if (c->nt) {
        double z[64];
        for (size_t i = 0; i < n; i++) {
            for (size_t k = 0; k < dim; k++)
                z[k] = gsl_vector_get(v, at++);
            rf_times(c->o, dim, z, xs->x + i * dim);
        }
    } else {
        memcpy(xs->x, x0->x, n * dim * sizeof *xs->x);
    }
    if (c->nwp) {
        double zmax = 0;
        for (size_t i = 0; i + 1 < n; i++)
            zmax = fmax(zmax, gsl_vector_get(v, at + i));
        double s = exp(-zmax);
        for (size_t i = 0; i + 1 < n; i++)
            s += xs->w[i] = exp(gsl_vector_get(v, at + i) - zmax);
        xs->w[n - 1] = exp(-zmax);
        for (size_t i = 0; i < n; i++)
            xs->w[i] /= s;
    } else {
        memcpy(xs->w, x0->w, n * sizeof *xs->w);
    }
}

/* The loss to minimise: -phi (tr M^-1 for A). */
static double rf_loss(const gsl_vector *v, void *vp)
{
    rf_ctx *c = vp;
    rf_decode(c, v);
    ss_status st = info_sum(c->pb, c->xs, c->mu, c->M);
    if (st != SS_OK) {
        if (c->err == SS_OK)
            c->err = st;
        return OD_BIG;
    }
    if (crit_eval(c->ws, c->M))
        return OD_BIG;
    return c->ws->kind == OD_A ? c->ws->value : -c->ws->value;
}

/* Central differences in the transformed coordinates (BFGS only). */
static void rf_grad(const gsl_vector *v, void *vp, gsl_vector *g)
{
    gsl_vector *y = ((rf_ctx *)vp)->y;
    gsl_vector_memcpy(y, v);
    for (size_t i = 0; i < v->size; i++) {
        double zi = gsl_vector_get(v, i), h = 1e-6 * fmax(1, fabs(zi));
        gsl_vector_set(y, i, zi + h);
        double fp = rf_loss(y, vp);
        gsl_vector_set(y, i, zi - h);
        double fm = rf_loss(y, vp);
        gsl_vector_set(y, i, zi);
        gsl_vector_set(g, i, (fp - fm) / (2 * h));
    }
}

static void rf_fdf(const gsl_vector *v, void *vp, double *f, gsl_vector *g)
{
    *f = rf_loss(v, vp);
    rf_grad(v, vp, g);
}

static ss_status rf_check(const od_problem *pb, const od_refine_opts *o,
                          const od_design *xi)
{
    ss_status st = crit_check(pb, o ? &o->crit : NULL);
    if (st == SS_OK)
        st = design_check(pb, xi);
    if (st != SS_OK)
        return st;
    if (o->over < OD_OVER_TIMES || o->over > OD_OVER_BOTH ||
        (o->method != OD_NMSIMPLEX && o->method != OD_BFGS))
        return SS_FAIL(SS_ERR_USAGE, "refine: unknown over= or method");
    if (!(o->tol > 0) || o->max_iter == 0)
        return SS_FAIL(SS_ERR_RANGE, "refine: need tol > 0, max_iter >= 1");
    if (pb->dim > 64)
        return SS_FAIL(SS_ERR_LIMIT, "refine: at most 64 times per point");
    if (o->over & OD_OVER_TIMES) {
        if (!(o->hi > o->lo) || !isfinite(o->lo) || !isfinite(o->hi) ||
            !(o->min_gap > 0) ||
            !((double)(pb->dim - 1) * o->min_gap < o->hi - o->lo))
            return SS_FAIL(SS_ERR_RANGE,
                           "refine: need finite lo < hi and 0 < min_gap with "
                           "%zu times fitting in [lo, hi]",
                           pb->dim);
        for (size_t i = 0; i < xi->n; i++)
            for (size_t k = 0; k < xi->dim; k++) {
                double t = xi->x[i * xi->dim + k];
                double gap = k ? t - xi->x[i * xi->dim + k - 1] : INFINITY;
                if (t < o->lo || t > o->hi || gap < o->min_gap * (1 - 1e-9))
                    return SS_FAIL(SS_ERR_RANGE,
                                   "refine: design point %zu (time %g) is "
                                   "outside [%g, %g] or closer than %g to "
                                   "the time before",
                                   i + 1, t, o->lo, o->hi, o->min_gap);
            }
    }
    if (o->over & OD_OVER_WEIGHTS)
        for (size_t i = 0; i < xi->n; i++)
            if (!(xi->w[i] > 0))
                return SS_FAIL(SS_ERR_RANGE,
                               "refine: design weight %zu is 0 (prune the "
                               "design first)",
                               i + 1);
    return SS_OK;
}

ss_status od_refine(const od_problem *pb, const od_refine_opts *o,
                    od_design *xi, od_refine_result *r)
{
    memset(r, 0, sizeof *r);
    ss_status st = rf_check(pb, o, xi);
    if (st != SS_OK)
        return st;
    crit_ws *ws0;
    st = eval_design(pb, &o->crit, xi, "start design", &ws0, NULL);
    if (st != SS_OK)
        return st;
    double v0 = ws0->value;
    crit_ws_free(ws0);
    r->value0 = r->value = v0;

    size_t n = xi->n, dim = xi->dim;
    rf_ctx c = {pb, o, NULL, NULL, NULL, NULL, NULL, 0, 0, NULL, SS_OK};
    c.nt = (o->over & OD_OVER_TIMES) ? n * dim : 0;
    c.nwp = (o->over & OD_OVER_WEIGHTS) ? n - 1 : 0;
    size_t np = c.nt + c.nwp;
    if (np == 0)
        return SS_OK; /* one point, weights only: nothing to move */
    od_design *x0 = od_design_alloc(n, dim);
    c.xs = od_design_alloc(n, dim);
    c.mu = gsl_matrix_alloc(pb->p, pb->p);
    c.M = gsl_matrix_alloc(pb->p, pb->p);
    c.ws = crit_ws_alloc(pb, &o->crit);
    gsl_vector *z = gsl_vector_alloc(np), *step = gsl_vector_alloc(np);
    c.y = gsl_vector_alloc(np);
    gsl_multimin_fminimizer *nm =
        o->method == OD_NMSIMPLEX
            ? gsl_multimin_fminimizer_alloc(gsl_multimin_fminimizer_nmsimplex2,
                                            np)
            : NULL;
    gsl_multimin_fdfminimizer *bf =
        o->method == OD_BFGS
            ? gsl_multimin_fdfminimizer_alloc(
                  gsl_multimin_fdfminimizer_vector_bfgs2, np)
            : NULL;
    if (!x0 || !c.xs || !c.mu || !c.M || !c.ws || !z || !step || !c.y ||
        (!nm && !bf)) {
        st = SS_FAIL(SS_ERR_NOMEM, "out of memory");
        goto out;
    }
    memcpy(x0->x, xi->x, n * dim * sizeof *x0->x);
    memcpy(x0->w, xi->w, n * sizeof *x0->w);
    c.x0 = x0;
    /* the start in transformed coordinates; BFGS needs a non-zero slope of
     * sin^2 at the start, so it starts a hair inside the bounds */
    double nudge = bf ? 1e-6 : 0;
    for (size_t i = 0; c.nt && i < n; i++) {
        double zz[64];
        rf_times_inv(o, dim, xi->x + i * dim, zz, nudge);
        for (size_t k = 0; k < dim; k++)
            gsl_vector_set(z, i * dim + k, zz[k]);
    }
    for (size_t i = 0; i < c.nwp; i++)
        gsl_vector_set(z, c.nt + i, log(xi->w[i] / xi->w[n - 1]));
    for (size_t i = 0; i < np; i++)
        gsl_vector_set(step, i, i < c.nt ? 0.05 : 0.2);

    double best = rf_loss(z, &c);
    double loss0 = o->crit.kind == OD_A ? v0 : -v0;
    int interrupted = 0;
    gsl_multimin_function F = {rf_loss, np, &c};
    gsl_multimin_function_fdf FD = {rf_loss, rf_grad, rf_fdf, np, &c};
    /* Nelder-Mead restarted from its best point until a run gains nothing
     * (a simplex can collapse short of the optimum). A run ends at the size
     * tolerance or when its best value has not moved for 100 np steps: the
     * loss is then at its rounding floor (differences below ~1e-16
     * relative), which a size tolerance alone cannot see. */
    size_t stall_max = 100 * np;
    int stalled = 0;
    for (int run = 0; run < 8 && !interrupted; run++) {
        double before = best;
        int conv = 0;
        if (nm)
            gsl_multimin_fminimizer_set(nm, &F, z, step);
        else
            gsl_multimin_fdfminimizer_set(bf, &FD, z, 0.01, 0.1);
        double fbest = INFINITY;
        size_t since = 0;
        for (size_t it = 0; it < o->max_iter; it++) {
            if (ss_interrupted()) {
                interrupted = 1;
                break;
            }
            int rc = nm ? gsl_multimin_fminimizer_iterate(nm)
                        : gsl_multimin_fdfminimizer_iterate(bf);
            r->iter++;
            double fv = nm ? nm->fval : bf->f;
            if (fv < fbest) {
                fbest = fv;
                since = 0;
            } else if (++since >= stall_max) {
                stalled = 1;
                break;
            }
            if (nm) {
                if (rc)
                    break;
                if (gsl_multimin_test_size(gsl_multimin_fminimizer_size(nm),
                                           o->tol) == GSL_SUCCESS) {
                    conv = 1;
                    break;
                }
            } else {
                if (gsl_multimin_test_gradient(bf->gradient, o->tol) ==
                    GSL_SUCCESS) {
                    conv = 1;
                    break;
                }
                if (rc) { /* no progress: at the numerical gradient's floor */
                    stalled = 1;
                    break;
                }
            }
        }
        double fnow = nm ? nm->fval : bf->f;
        if (fnow <= best) {
            best = fnow;
            gsl_vector_memcpy(z, nm ? nm->x : bf->x);
        }
        int gained = before - best > 1e-14 * fabs(best);
        /* converged: the size test, or a restart that stalls without gain */
        r->converged = conv || (run > 0 && stalled && !gained);
        if (run > 0 && !gained)
            break;
        stalled = 0;
    }
    if (c.err != SS_OK) {
        st = c.err;
        goto out;
    }
    if (best <= loss0) {
        rf_decode(&c, z);
        memcpy(xi->x, c.xs->x, n * dim * sizeof *xi->x);
        memcpy(xi->w, c.xs->w, n * sizeof *xi->w);
        r->value = o->crit.kind == OD_A ? best : -best;
    }
    if (!r->converged && !interrupted)
        ss_text_append(r->warning, sizeof r->warning, "; ",
                       "refinement not converged within %zu iterations a "
                       "run (the best design found is kept)",
                       o->max_iter);
    if (interrupted)
        st = SS_FAIL(SS_ERR_INTERRUPTED,
                     "refinement interrupted after %zu iterations (the best "
                     "design so far is kept)",
                     r->iter);
out:
    od_design_free(x0);
    od_design_free(c.xs);
    gsl_matrix_free(c.mu), gsl_matrix_free(c.M);
    crit_ws_free(c.ws);
    gsl_vector_free(z), gsl_vector_free(step), gsl_vector_free(c.y);
    if (nm)
        gsl_multimin_fminimizer_free(nm);
    if (bf)
        gsl_multimin_fdfminimizer_free(bf);
    return st;
}

/* ---- efficiency ----------------------------------------------------------------- */

ss_status od_efficiency(const od_problem *pb, const od_criterion *c,
                        const od_design *xi, const od_design *ref,
                        double *eff)
{
    crit_ws *wr;
    ss_status st = eval_design(pb, c, ref, "reference design", &wr, NULL);
    if (st != SS_OK)
        return st;
    double vr = wr->value;
    crit_ws_free(wr);
    crit_ws *wx;
    st = eval_design(pb, c, xi, "design", &wx, NULL);
    if (st == SS_ERR_RANGE && c->kind != OD_DS) {
        /* singular: det 0, tr M^-1 infinite, lambda_min 0 */
        ss_clear_error();
        *eff = 0;
        return SS_OK;
    }
    if (st != SS_OK)
        return st;
    double vx = wx->value;
    crit_ws_free(wx);
    switch (c->kind) {
    case OD_D:
        *eff = exp((vx - vr) / (double)pb->p);
        break;
    case OD_A:
        *eff = vr / vx;
        break;
    case OD_E:
        *eff = vx / vr;
        break;
    case OD_DS:
        *eff = exp((vx - vr) / (double)c->s);
        break;
    }
    return SS_OK;
}

/* ---- candidates ------------------------------------------------------------------ */

ss_status od_cand_subsets(const double *times, size_t nt, size_t k,
                          gsl_matrix **out)
{
    *out = NULL;
    if (k == 0 || k > nt)
        return SS_FAIL(SS_ERR_RANGE,
                       "subsets: need 1 <= k <= %zu times, got k = %zu", nt,
                       k);
    for (size_t i = 0; i < nt; i++) {
        if (!isfinite(times[i]))
            return SS_FAIL(SS_ERR_RANGE, "subsets: time %zu is not finite",
                           i + 1);
        if (i && !(times[i] > times[i - 1]))
            return SS_FAIL(SS_ERR_RANGE,
                           "subsets: the times must increase (%g after %g)",
                           times[i], times[i - 1]);
    }
    /* C(nt, k), sized in floating point first so the exact product
     * C(n, j) = C(n, j-1) (n - j + 1) / j cannot overflow */
    double approx = 1;
    for (size_t j = 1; j <= k; j++)
        approx *= (double)(nt - j + 1) / (double)j;
    if (approx > (double)OD_CAND_MAX)
        return SS_FAIL(SS_ERR_LIMIT,
                       "subsets: more than %zu %zu-subsets of %zu times",
                       OD_CAND_MAX, k, nt);
    size_t count = 1;
    for (size_t j = 1; j <= k; j++)
        count = count * (nt - j + 1) / j;
    gsl_matrix *m = gsl_matrix_alloc(count, k);
    size_t *idx = malloc(k * sizeof *idx);
    if (!m || !idx) {
        gsl_matrix_free(m);
        free(idx);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    for (size_t j = 0; j < k; j++)
        idx[j] = j;
    for (size_t row = 0; row < count; row++) {
        for (size_t j = 0; j < k; j++)
            gsl_matrix_set(m, row, j, times[idx[j]]);
        /* next combination: raise the last index that can move */
        size_t j = k;
        while (j > 0 && idx[j - 1] == nt - k + j - 1)
            j--;
        if (j == 0)
            break;
        idx[j - 1]++;
        for (size_t l = j; l < k; l++)
            idx[l] = idx[l - 1] + 1;
    }
    free(idx);
    *out = m;
    return SS_OK;
}

ss_status od_cand_grid(double lo, double hi, size_t n, gsl_matrix **out)
{
    *out = NULL;
    if (n < 2 || !(hi > lo) || !isfinite(lo) || !isfinite(hi))
        return SS_FAIL(SS_ERR_RANGE,
                       "grid: need n >= 2 and finite lo < hi (got %zu, %g, "
                       "%g)",
                       n, lo, hi);
    if (n > OD_CAND_MAX)
        return SS_FAIL(SS_ERR_LIMIT, "grid: more than %zu points",
                       OD_CAND_MAX);
    gsl_matrix *m = gsl_matrix_alloc(n, 1);
    if (!m)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        gsl_matrix_set(m, i, 0,
                       i + 1 == n ? hi
                                  : lo + (hi - lo) * (double)i / (double)(n - 1));
    *out = m;
    return SS_OK;
}

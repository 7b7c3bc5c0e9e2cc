#include "fim/spectrum.h"

#include "fim/estimator.h"

#include <gsl/gsl_eigen.h>
#include <float.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_sort_vector.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>

spec_result *spec_result_alloc(size_t k)
{
    spec_result *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->k = s->neval = k;
    s->eval = gsl_vector_alloc(k ? k : 1);
    s->evec = gsl_matrix_alloc(k ? k : 1, k ? k : 1);
    if (!s->eval || !s->evec) {
        spec_result_free(s);
        return NULL;
    }
    return s;
}

void spec_result_free(spec_result *s)
{
    if (!s)
        return;
    if (s->eval)
        gsl_vector_free(s->eval);
    if (s->evec)
        gsl_matrix_free(s->evec);
    free(s->floors);
    free(s);
}

/* Eigenvectors are defined up to sign; make the largest entry positive so
 * output is stable across platforms and runs. */
static void fix_signs(gsl_matrix *V)
{
    for (size_t j = 0; j < V->size2; j++) {
        size_t best = 0;
        for (size_t i = 1; i < V->size1; i++)
            if (fabs(gsl_matrix_get(V, i, j)) >
                fabs(gsl_matrix_get(V, best, j)) + 1e-12)
                best = i;
        if (gsl_matrix_get(V, best, j) < 0) {
            gsl_vector_view c = gsl_matrix_column(V, j);
            gsl_vector_scale(&c.vector, -1.0);
        }
    }
}

/* ---- guarded symmetric eigensolvers ---------------------------------------- */

/* A matrix is of ordinary range when its largest entry lies within 2^+-256
 * and no non-zero entry is more than 2^256 below it: then every product
 * the QR iteration forms stays far from the underflow threshold and GSL's
 * solver is used unchanged. Anything else (the FIM of extreme points,
 * entries from O(1) down to 1e-305) takes the bounded route. */
#define SAFE_EXP 256

/* In the bounded route, on the copy scaled to max |entry| in [1/2, 1):
 * an entry or off-diagonal element below NEGLIGIBLE is zero. Its square
 * times eps would underflow (2^-960 - 52 > 2^-1074 just), which is what
 * stalls the iteration, and it moves no eigenvalue by more than
 * k 2^-480 ~ 1e-144 k relative to the largest: far below the resolution
 * 8 eps k. */
#define NEGLIGIBLE 0x1p-480

/* max |A_ij| and whether A (any shape) is finite and of ordinary range. */
static ss_status scan_range(const gsl_matrix *A, double *amax, int *ordinary)
{
    double hi = 0.0, lo = INFINITY;
    for (size_t i = 0; i < A->size1; i++)
        for (size_t j = 0; j < A->size2; j++) {
            double x = fabs(gsl_matrix_get(A, i, j));
            if (!isfinite(x))
                return SS_FAIL(SS_ERR_NUMERIC,
                               "eigen decomposition: entry [%zu,%zu] of "
                               "the matrix is not finite (%g)",
                               i + 1, j + 1, gsl_matrix_get(A, i, j));
            hi = fmax(hi, x);
            if (x > 0.0)
                lo = fmin(lo, x);
        }
    *amax = hi;
    *ordinary = hi >= 0x1p-256 && hi <= 0x1p+256 &&
                (lo == INFINITY || lo >= ldexp(hi, -SAFE_EXP));
    return SS_OK;
}

/* Scale A by 2^-x so that max |entry| = amax lands in [1/2, 1) (exact),
 * with entries that are then below tiny set to zero (subnormals at
 * least); returns x. */
static int scale_pow2(gsl_matrix *A, double amax, double tiny)
{
    int x;
    frexp(amax, &x);
    for (size_t i = 0; i < A->size1; i++)
        for (size_t j = 0; j < A->size2; j++) {
            double v = ldexp(gsl_matrix_get(A, i, j), -x);
            gsl_matrix_set(A, i, j, fabs(v) < tiny ? 0.0 : v);
        }
    return x;
}

/* The bounded route: scale_pow2 (entries below NEGLIGIBLE to 0), then
 * GSL's one-sided Jacobi SVD, whose sweeps are bounded (it returns
 * GSL_EMAXITER instead of spinning) and whose accuracy does not depend on
 * the tiny diagonal entries that stall the QR iteration. For symmetric A
 * = V diag(l) V^T the singular values are |l| with the same vectors; the
 * sign of each eigenvalue is that of its Rayleigh quotient v^T A v (exact
 * for a simple singular value; a pair +l, -l of equal size cannot be told
 * apart this way, which FIMs, positive semi-definite up to rounding, do
 * not have). A is overwritten. */
static ss_status bounded_eigen(gsl_matrix *A, double amax, gsl_vector *eval,
                               gsl_matrix *evec)
{
    size_t n = A->size1;
    int x = scale_pow2(A, amax, NEGLIGIBLE);
    if (n == 1) {
        gsl_vector_set(eval, 0, ldexp(gsl_matrix_get(A, 0, 0), x));
        if (evec)
            gsl_matrix_set(evec, 0, 0, 1.0);
        return SS_OK;
    }
    gsl_matrix *S = gsl_matrix_alloc(n, n), *V = gsl_matrix_alloc(n, n);
    gsl_vector *sv = gsl_vector_alloc(n), *Av = gsl_vector_alloc(n);
    ss_status st = SS_OK;
    if (!S || !V || !sv || !Av)
        st = SS_FAIL(SS_ERR_NOMEM, "out of memory");
    if (st == SS_OK) {
        gsl_matrix_memcpy(S, A);
        ss_gsl_clear();
        int rc = gsl_linalg_SV_decomp_jacobi(A, V, sv);
        if (rc != GSL_SUCCESS)
            st = SS_FAIL(SS_ERR_NUMERIC,
                         "eigen decomposition of a matrix with entries "
                         "from %g down to the underflow range did not "
                         "converge: %s",
                         amax, gsl_strerror(rc));
    }
    for (size_t j = 0; st == SS_OK && j < n; j++) {
        gsl_vector_view v = gsl_matrix_column(V, j);
        double q;
        gsl_blas_dsymv(CblasLower, 1.0, S, &v.vector, 0.0, Av);
        gsl_blas_ddot(&v.vector, Av, &q);
        double l = gsl_vector_get(sv, j);
        gsl_vector_set(eval, j, ldexp(q < 0 ? -l : l, x));
        if (evec)
            gsl_matrix_set_col(evec, j, &v.vector);
    }
    if (S)
        gsl_matrix_free(S);
    if (V)
        gsl_matrix_free(V);
    if (sv)
        gsl_vector_free(sv);
    if (Av)
        gsl_vector_free(Av);
    return st;
}

/* Both entry points: the range check, the zero matrix, the bounded route
 * for an extreme range, else GSL's solver (vectors when evec != NULL). */
static ss_status symm_eigen(gsl_matrix *A, gsl_vector *eval, gsl_matrix *evec,
                            gsl_eigen_symm_workspace *ws,
                            gsl_eigen_symmv_workspace *wv)
{
    double amax;
    int ordinary;
    ss_status st = scan_range(A, &amax, &ordinary);
    if (st != SS_OK)
        return st;
    if (amax == 0.0) {
        gsl_vector_set_zero(eval);
        if (evec)
            gsl_matrix_set_identity(evec);
        return SS_OK;
    }
    if (!ordinary || eval->stride != 1)
        return bounded_eigen(A, amax, eval, evec);
    ss_gsl_clear();
    int rc = evec ? gsl_eigen_symmv(A, eval, evec, wv)
                  : gsl_eigen_symm(A, eval, ws);
    if (rc != GSL_SUCCESS)
        return SS_FAIL(SS_ERR_NUMERIC, "eigen decomposition failed: %s",
                       ss_gsl_last() ? ss_gsl_last() : gsl_strerror(rc));
    return SS_OK;
}

ss_status spec_symm_eigen(gsl_matrix *A, gsl_vector *eval,
                          gsl_eigen_symm_workspace *ws)
{
    return symm_eigen(A, eval, NULL, ws, NULL);
}

ss_status spec_symm_eigenv(gsl_matrix *A, gsl_vector *eval, gsl_matrix *evec,
                           gsl_eigen_symmv_workspace *wv)
{
    return symm_eigen(A, eval, evec, NULL, wv);
}

/* A tall factor is first reduced by Householder QR to its k x k triangle:
 * the same singular values (QR's backward error is small column by column,
 * which is what the Jacobi SVD's accuracy rests on) at a fraction of the
 * cost for quadrature factors with thousands of rows. */
static gsl_matrix *compress(const gsl_matrix *R, size_t k)
{
    size_t N = R->size1;
    if (N <= 2 * k) {
        gsl_matrix *A = gsl_matrix_alloc(N, k);
        if (A)
            gsl_matrix_memcpy(A, R);
        return A;
    }
    gsl_matrix *W = gsl_matrix_alloc(N, k);
    gsl_vector *tau = gsl_vector_alloc(k);
    gsl_matrix *T = gsl_matrix_calloc(k, k);
    if (!W || !tau || !T || (gsl_matrix_memcpy(W, R),
                             gsl_linalg_QR_decomp(W, tau)) != GSL_SUCCESS) {
        if (T)
            gsl_matrix_free(T);
        T = NULL;
    } else {
        for (size_t i = 0; i < k; i++)
            for (size_t j = i; j < k; j++)
                gsl_matrix_set(T, i, j, gsl_matrix_get(W, i, j));
    }
    if (W)
        gsl_matrix_free(W);
    if (tau)
        gsl_vector_free(tau);
    return T;
}

static ss_status from_root(const gsl_matrix *R, spec_result *s)
{
    size_t k = s->k;
    ss_gsl_clear();
    gsl_matrix *A = compress(R, k);
    gsl_vector *sv = gsl_vector_alloc(k);
    if (!A || !sv) {
        if (A)
            gsl_matrix_free(A);
        if (sv)
            gsl_vector_free(sv);
        return SS_FAIL(SS_ERR_NUMERIC, "could not reduce the FIM factor");
    }
    /* A factor far from unit scale or with entries near the underflow
     * threshold is scaled by a power of two first (exact; subnormal
     * entries become zero): the Jacobi sweeps square column norms. The
     * sweeps are bounded: GSL reports non-convergence, it never spins. */
    double amax;
    int ordinary, xs = 0;
    ss_status st = scan_range(A, &amax, &ordinary);
    if (st == SS_OK && !ordinary && amax > 0.0)
        xs = scale_pow2(A, amax, DBL_MIN);
    ss_gsl_clear();
    /* One-sided Jacobi: small singular values to high relative accuracy. */
    int rc = st == SS_OK ? gsl_linalg_SV_decomp_jacobi(A, s->evec, sv)
                         : GSL_SUCCESS;
    if (st == SS_OK && rc != GSL_SUCCESS)
        st = SS_FAIL(SS_ERR_NUMERIC, "SVD of the FIM factor failed: %s",
                     ss_gsl_last() ? ss_gsl_last() : gsl_strerror(rc));
    if (st == SS_OK) {
        gsl_eigen_symmv_sort(sv, s->evec, GSL_EIGEN_SORT_VAL_DESC);
        for (size_t j = 0; j < k; j++)
            gsl_vector_set(sv, j, ldexp(gsl_vector_get(sv, j), xs));
        double smax = gsl_vector_get(sv, 0);
        /* Row entries carry a few ulps of error each: that perturbs every
         * singular value by about eps * ||R||_F. */
        double sfloor = 8.0 * GSL_DBL_EPSILON * smax * sqrt((double)k);
        for (size_t j = 0; j < k; j++) {
            double x = gsl_vector_get(sv, j);
            gsl_vector_set(s->eval, j, x * x);
        }
        s->floor = sfloor * sfloor;
        s->from_root = 1;
    }
    gsl_matrix_free(A);
    gsl_vector_free(sv);
    return st;
}

static ss_status from_matrix(const gsl_matrix *G, spec_result *s)
{
    size_t k = s->k;
    gsl_matrix *A = gsl_matrix_alloc(k, k);
    gsl_eigen_symmv_workspace *w = gsl_eigen_symmv_alloc(k);
    if (!A || !w) {
        if (A)
            gsl_matrix_free(A);
        if (w)
            gsl_eigen_symmv_free(w);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    gsl_matrix_memcpy(A, G);
    ss_status st = spec_symm_eigenv(A, s->eval, s->evec, w);
    if (st == SS_OK) {
        gsl_eigen_symmv_sort(s->eval, s->evec, GSL_EIGEN_SORT_VAL_DESC);
        double amax = 0;
        for (size_t j = 0; j < k; j++)
            amax = fmax(amax, fabs(gsl_vector_get(s->eval, j)));
        /* A backward-stable symmetric solver resolves eigenvalues only to
         * about eps * ||G||. */
        s->floor = 8.0 * GSL_DBL_EPSILON * (double)k * amax;
    }
    gsl_matrix_free(A);
    gsl_eigen_symmv_free(w);
    return st;
}

/* ---- the Gram route ------------------------------------------------------ */

/* The eigenvalues of K (N x N) through the guarded solver: the non-zero
 * spectrum of G. K is positive semi-definite by construction, so a
 * negative eigenvalue beyond the floor is rounding and raises it. */
static ss_status from_gram(const fim_result *f, spec_result **out)
{
    const gsl_matrix *K = f->K;
    size_t N = K->size1, k = f->k, m = N < k ? N : k;
    spec_result *s = calloc(1, sizeof *s);
    gsl_matrix *A = gsl_matrix_alloc(N, N);
    gsl_vector *ev = gsl_vector_alloc(N);
    gsl_eigen_symm_workspace *ws = gsl_eigen_symm_alloc(N);
    ss_status st = SS_OK;
    if (!s || !A || !ev || !ws ||
        !(s->eval = gsl_vector_alloc(m ? m : 1)))
        st = SS_FAIL(SS_ERR_NOMEM, "out of memory");
    if (st == SS_OK) {
        gsl_matrix_memcpy(A, K);
        st = spec_symm_eigen(A, ev, ws);
    }
    if (st == SS_OK) {
        gsl_sort_vector(ev);
        gsl_vector_reverse(ev);
        double amax = 0;
        for (size_t j = 0; j < N; j++)
            amax = fmax(amax, fabs(gsl_vector_get(ev, j)));
        s->k = k;
        s->neval = m;
        s->nzero = k - m;
        s->from_gram = 1;
        s->floor = 8.0 * GSL_DBL_EPSILON * (double)N * amax;
        double lmin = N ? gsl_vector_get(ev, N - 1) : 0;
        if (lmin < -s->floor) {
            s->floor = 2.0 * -lmin;
            s->floor_raised = 1;
        }
        for (size_t j = 0; j < m; j++)
            gsl_vector_set(s->eval, j, gsl_vector_get(ev, j));
    }
    if (A)
        gsl_matrix_free(A);
    if (ev)
        gsl_vector_free(ev);
    if (ws)
        gsl_eigen_symm_free(ws);
    if (st != SS_OK) {
        spec_result_free(s);
        return st;
    }
    *out = s;
    return SS_OK;
}

/* ---- the block route --------------------------------------------------------- */

typedef struct {
    double val, floor;
    size_t block, col;
} merged_eval;

static int by_value_desc(const void *a, const void *b)
{
    const merged_eval *x = a, *y = b;
    if (x->val != y->val)
        return x->val < y->val ? 1 : -1;
    /* ties: block order, then column, so the order is reproducible */
    if (x->block != y->block)
        return x->block < y->block ? -1 : 1;
    return x->col < y->col ? -1 : x->col > y->col;
}

/* One block's spectrum: its root's SVD when it has one (G's eigenvalues
 * if that fails), else the guarded eigensolver on its G; the PSD rule
 * raises the block's floor over a negative rounding eigenvalue. */
static ss_status block_spectrum(const fim_result *f, const fim_block *bl,
                                spec_result **out)
{
    spec_result *t = spec_result_alloc(bl->n);
    if (!t)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    ss_status st = SS_ERR_NUMERIC;
    if (bl->root && bl->root->size1 >= bl->n) {
        st = from_root(bl->root, t);
        t->root_failed = st != SS_OK;
        if (st != SS_OK)
            ss_clear_error();
    }
    if (st != SS_OK)
        st = from_matrix(bl->G, t);
    if (st == SS_OK && (fim_result_estimator(f)->props & FIM_PROP_PSD)) {
        double lmin = gsl_vector_get(t->eval, bl->n - 1);
        if (lmin < -t->floor) {
            t->floor = 2.0 * -lmin;
            t->floor_raised = 1;
        }
    }
    if (st != SS_OK) {
        spec_result_free(t);
        return st;
    }
    *out = t;
    return SS_OK;
}

static ss_status from_blocks(const fim_result *f, spec_result *s)
{
    size_t k = f->k, nb = f->nblocks, c = 0;
    merged_eval *me = calloc(k ? k : 1, sizeof *me);
    spec_result **bs = calloc(nb, sizeof *bs);
    s->floors = malloc((k ? k : 1) * sizeof *s->floors);
    ss_status st = me && bs && s->floors
                       ? SS_OK
                       : SS_FAIL(SS_ERR_NOMEM, "out of memory");
    int all_root = 1;
    for (size_t b = 0; st == SS_OK && b < nb; b++) {
        st = block_spectrum(f, &f->blocks[b], &bs[b]);
        if (st != SS_OK) {
            char why[sizeof ss_last_error()->msg];
            snprintf(why, sizeof why, "%s", ss_last_error()->msg);
            st = SS_FAIL(st, "block %zu: %s", b + 1, why);
            break;
        }
        all_root &= bs[b]->from_root;
        s->root_failed |= bs[b]->root_failed;
        s->floor_raised |= bs[b]->floor_raised;
        for (size_t j = 0; j < f->blocks[b].n && c < k; j++, c++)
            me[c] = (merged_eval){gsl_vector_get(bs[b]->eval, j),
                                  bs[b]->floor, b, j};
    }
    if (st == SS_OK && c != k)
        st = SS_FAIL(SS_ERR_NUMERIC,
                     "the FIM's blocks cover %zu of its %zu parameters", c,
                     k);
    if (st == SS_OK) {
        qsort(me, k, sizeof *me, by_value_desc);
        gsl_matrix_set_zero(s->evec);
        s->floor = 0;
        for (size_t j = 0; j < k; j++) {
            const fim_block *bl = &f->blocks[me[j].block];
            gsl_vector_set(s->eval, j, me[j].val);
            s->floors[j] = me[j].floor;
            s->floor = fmax(s->floor, me[j].floor);
            for (size_t i = 0; i < bl->n; i++)
                gsl_matrix_set(s->evec, bl->pos[i], j,
                               gsl_matrix_get(bs[me[j].block]->evec, i,
                                              me[j].col));
        }
        s->nblocks = nb;
        s->from_root = all_root && nb > 0;
    }
    for (size_t b = 0; bs && b < nb; b++)
        spec_result_free(bs[b]);
    free(bs);
    free(me);
    return st;
}

/* Rank, log det and condition from the stored eigenvalues, each judged
 * against its own floor; a Gram form's unstored zeros make G singular. */
static void summarise(spec_result *s)
{
    size_t n = s->neval;
    double lmax = 0;
    for (size_t j = 0; j < n; j++)
        lmax = fmax(lmax, fabs(gsl_vector_get(s->eval, j)));
    double logdet = 0, lmin_abs = INFINITY;
    int singular = s->nzero > 0;
    for (size_t j = 0; j < n; j++) {
        double l = gsl_vector_get(s->eval, j), fl = spec_floor_at(s, j);
        if (fabs(l) > fmax(s->tol * lmax, fl))
            s->rank++;
        if (l < -fl)
            s->negative++;
        if (fabs(l) <= fl)
            singular = 1;
        else
            logdet += log(fabs(l));
        lmin_abs = fmin(lmin_abs, fabs(l));
    }
    s->logdet = singular ? -INFINITY : logdet;
    s->cond = (singular || lmin_abs == 0) ? INFINITY : lmax / lmin_abs;
}

ss_status spec_analyze(const fim_result *f, double tol, spec_result **out)
{
    *out = NULL;
    if (!(tol > 0) || tol >= 1)
        return SS_FAIL(SS_ERR_RANGE, "tolerance must lie in (0, 1)");
    if (f->form == FIM_FORM_GRAM) {
        if (!f->K)
            return SS_FAIL(SS_ERR_NUMERIC, "this Gram-form FIM has no K");
        spec_result *s;
        ss_status st = from_gram(f, &s);
        if (st != SS_OK)
            return st;
        s->tol = tol;
        summarise(s);
        *out = s;
        return SS_OK;
    }
    spec_result *s = spec_result_alloc(f->k);
    if (!s)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    s->tol = tol;
    ss_status st = SS_ERR_NUMERIC;
    if (f->form == FIM_FORM_BLOCK && f->nblocks) {
        st = from_blocks(f, s);
        if (st != SS_OK) {
            spec_result_free(s);
            return st;
        }
        fix_signs(s->evec);
        summarise(s);
        *out = s;
        return SS_OK;
    }
    if (!f->G && !f->root) {
        spec_result_free(s);
        return SS_FAIL(SS_ERR_NUMERIC, "this %s-form FIM holds no matrix",
                       fim_form_name(f->form));
    }
    if (f->root && f->root->size1 >= f->k) {
        st = from_root(f->root, s);
        /* The Jacobi SVD can fail to converge on factors with columns near
         * the underflow threshold (v ~ 1e-300): fall back to G itself, at
         * its coarser floor, rather than give no spectrum at all. */
        s->root_failed = st != SS_OK;
        if (st != SS_OK)
            ss_clear_error();
    }
    if (st != SS_OK && f->G)
        st = from_matrix(f->G, s);
    if (st != SS_OK) {
        spec_result_free(s);
        return st;
    }
    fix_signs(s->evec);
    size_t k = s->k;
    /* An expected, Monte-Carlo or empirical FIM is positive semi-definite
     * by construction: a negative eigenvalue beyond the floor is rounding
     * in G itself (extreme parameters), so the floor is at least that. */
    if (k && (fim_result_estimator(f)->props & FIM_PROP_PSD)) {
        double lmin = gsl_vector_get(s->eval, k - 1);
        if (lmin < -s->floor) {
            s->floor = 2.0 * -lmin;
            s->floor_raised = 1;
        }
    }
    summarise(s);
    *out = s;
    return SS_OK;
}

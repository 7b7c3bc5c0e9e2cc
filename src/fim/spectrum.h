/* Spectral analysis of a FIM: eigenpairs (largest first), numerical rank,
 * log det, condition number and the floor below which eigenvalues are not
 * resolved. The route follows the result's form (fim_form):
 *   root  - the SVD of R (G = R^T R), which resolves eigenvalues down to
 *           about (eps * sigma_max)^2 instead of eps * lambda_max;
 *   dense - the guarded symmetric eigensolver on G;
 *   gram  - the guarded symmetric eigensolver on the N x N K = J J^T /
 *           scale: its eigenvalues are the non-zero ones of G = J^T J /
 *           scale (min(N, k) of them are stored; when N < k the other
 *           k - N eigenvalues of G are exactly 0 and counted in nzero);
 *           no eigenvectors of G (J is not kept);
 *   block - each diagonal block by its root's SVD (or its G), the
 *           eigenvalues merged and sorted, each with its block's floor,
 *           eigenvectors zero outside their block; log det is the sum over
 *           the blocks. */
#ifndef SS_SPECTRUM_H
#define SS_SPECTRUM_H

#include "core/status.h"
#include "fim/fim.h"

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_vector.h>

typedef struct {
    size_t k;
    size_t neval;       /* eigenvalues stored: k, or min(N, k) for a Gram form */
    size_t nzero;       /* Gram form with N < k: k - N eigenvalues exactly 0,
                           not stored (they make G singular) */
    gsl_vector *eval;   /* descending, neval of them */
    gsl_matrix *evec;   /* column j belongs to eval[j]; sign: largest |entry|
                           positive; NULL for a Gram form */
    double floor;       /* |eigenvalues| below this are rounding noise (a
                           block form: the largest of its blocks' floors) */
    double *floors;     /* block form: each eigenvalue's floor (its block's),
                           or NULL */
    size_t nblocks;     /* block form: the number of blocks (0 otherwise) */
    int from_gram;      /* computed from the Gram dual K */
    double tol;         /* relative rank tolerance used */
    size_t rank;        /* |eigenvalues| > max(tol * max|lambda|, floor) */
    size_t negative;    /* eigenvalues < -floor (observed information) */
    double logdet;      /* sum log |lambda| (log |det|); -inf when any is at
                           or below the floor */
    double cond;        /* max |lambda| / min |lambda|; inf when singular */
    int from_root;      /* computed through the root factor's SVD */
    int root_failed;    /* the root's SVD failed; G's eigenvalues used */
    int floor_raised;   /* G came out indefinite: floor set by rounding */
} spec_result;

spec_result *spec_result_alloc(size_t k);
void spec_result_free(spec_result *s);

/* The floor eigenvalue j is judged against. */
static inline double spec_floor_at(const spec_result *s, size_t j)
{
    return s->floors ? s->floors[j] : s->floor;
}

/* Analyse f by the route its form says (above). tol is the relative tolerance
 * for the rank (default SPEC_DEFAULT_TOL). */
ss_status spec_analyze(const fim_result *f, double tol, spec_result **out);

#define SPEC_DEFAULT_TOL 1e-10

/* Guarded symmetric eigensolvers: the eigenvalues (unsorted) of the
 * symmetric matrix A, which is overwritten, and with spec_symm_eigenv its
 * eigenvectors too (column j belongs to eval[j]). GSL's implicit QR has
 * no iteration limit and never deflates an off-diagonal entry beside
 * diagonal entries near the underflow threshold, so it spins forever on a
 * matrix whose entries span from O(1) down to 1e-305. These refuse a
 * non-finite entry, and route a matrix with such a range (or with its
 * largest entry far from 1) through GSL's one-sided Jacobi SVD (bounded
 * sweeps) on a copy scaled by a power of two, with entries below 2^-480 of the largest (the
 * subnormals among them) set to zero: they move no eigenvalue by more
 * than 1e-144 k of the largest, far below the floor. On a
 * matrix of ordinary range they give GSL's results bit for bit. A failure
 * is SS_ERR_NUMERIC with a message, never a hang. ws / wv are workspaces
 * of A's size (the bounded route needs only O(k) scratch of its own). */
ss_status spec_symm_eigen(gsl_matrix *A, gsl_vector *eval,
                          gsl_eigen_symm_workspace *ws);
ss_status spec_symm_eigenv(gsl_matrix *A, gsl_vector *eval, gsl_matrix *evec,
                           gsl_eigen_symmv_workspace *wv);

#endif

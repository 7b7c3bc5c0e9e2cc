/* Spectral analysis of a FIM: eigenpairs (largest first), numerical rank,
 * log det, condition number and the floor below which eigenvalues are not
 * resolved. When the FIM carries a root factor R (G = R^T R) the spectrum
 * comes from the SVD of R, which resolves eigenvalues down to about
 * (eps * sigma_max)^2 instead of eps * lambda_max. */
#ifndef SS_SPECTRUM_H
#define SS_SPECTRUM_H

#include "core/status.h"
#include "fim/fim.h"

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_vector.h>

typedef struct {
    size_t k;
    gsl_vector *eval;   /* descending */
    gsl_matrix *evec;   /* column j belongs to eval[j]; sign: largest |entry| positive */
    double floor;       /* |eigenvalues| below this are rounding noise */
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

/* Analyse f->G (or f->root when present). tol is the relative tolerance
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

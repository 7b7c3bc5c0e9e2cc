/* Spectral analysis of a FIM: eigenpairs (largest first), numerical rank,
 * log det, condition number and the floor below which eigenvalues are not
 * resolved. When the FIM carries a root factor R (G = R^T R) the spectrum
 * comes from the SVD of R, which resolves eigenvalues down to about
 * (eps * sigma_max)^2 instead of eps * lambda_max. */
#ifndef SS_SPECTRUM_H
#define SS_SPECTRUM_H

#include "core/status.h"
#include "fim/fim.h"

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

#endif

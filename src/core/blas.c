/* The CBLAS behind GSL (core/blas.h). */
#include "config.h"

#include "core/blas.h"

#ifdef HAVE_OPENBLAS
/* OpenBLAS's cblas.h would clash with gsl_cblas.h: declare the one call. */
void openblas_set_num_threads(int num_threads);
#endif

void ss_blas_init(void)
{
#ifdef HAVE_OPENBLAS
    openblas_set_num_threads(1);
#endif
}

const char *ss_blas_name(void)
{
#ifdef HAVE_OPENBLAS
    return "OpenBLAS";
#else
    return "GSL's own (libgslcblas)";
#endif
}

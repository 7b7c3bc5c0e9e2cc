/* Which CBLAS GSL's BLAS calls reach (chosen by configure: GSL's own
 * libgslcblas, or OpenBLAS with --with-openblas), and its set-up. */
#ifndef SS_BLAS_H
#define SS_BLAS_H

/* OpenBLAS runs each call on the calling thread only: singscope's own
 * threads (the replicate runner) decide the parallelism, so the numbers
 * do not depend on a thread count and two levels of threads never
 * oversubscribe the cores. Nothing to do for GSL's own CBLAS. Call once
 * at start-up. */
void ss_blas_init(void);
/* "OpenBLAS" or "GSL's own (libgslcblas)". */
const char *ss_blas_name(void);

#endif

/* vecmath: exp and log1p over arrays, several values per instruction where
 * the C library has vector variants (glibc's libmvec on x86_64: four lanes
 * on CPUs with AVX2, chosen at run time, else two), one at a time by the C
 * library's exp and log1p otherwise. Accurate to a few ulps (libmvec's
 * bound is 4); NaN and infinities as exp and log1p give them. */
#ifndef SS_MODEL_SS_VMATH_H
#define SS_MODEL_SS_VMATH_H

#include <stddef.h>

/* a[i] = exp(a[i]) for i < n */
void ss_vexp(double *a, size_t n);
/* a[i] = log1p(a[i]) for i < n */
void ss_vlog1p(double *a, size_t n);
/* The route taken: "avx2" (4 lanes), "sse2" (2 lanes) or "scalar". */
const char *ss_vmath_route(void);

#endif

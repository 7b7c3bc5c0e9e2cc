/* vecmath: array exp and log1p through glibc's vector math library when
 * configure found it (HAVE_LIBMVEC), called directly by the vector-ABI
 * names (_ZGV<isa>N<lanes>v_<fn>) rather than through the compiler's
 * auto-vectoriser: no -ffast-math or -fno-math-errno anywhere, the same
 * code with gcc and clang, and no -march: the AVX2 variants are used only
 * where the CPU has AVX2 (checked once at run time), from functions
 * compiled for AVX2 by a target attribute. */
#include "config.h"
#include "core/vecmath.h"

#include <math.h>
#include <string.h>

#if defined HAVE_LIBMVEC && defined __x86_64__
#define SS_VMATH_MVEC 1
typedef double v2d __attribute__((vector_size(2 * sizeof(double))));
typedef double v4d __attribute__((vector_size(4 * sizeof(double))));
v2d _ZGVbN2v_exp(v2d);
v2d _ZGVbN2v_log1p(v2d);
__attribute__((target("avx2"))) v4d _ZGVdN4v_exp(v4d);
__attribute__((target("avx2"))) v4d _ZGVdN4v_log1p(v4d);

/* The tail (n not a multiple of the lanes) goes through the same vector
 * function, padded with zeros, so that every value takes the same route. */
#define SS_VMATH_LOOP(T, L, F)                                                \
    do {                                                                     \
        size_t i = 0;                                                        \
        for (; i + (L) <= n; i += (L)) {                                     \
            T x;                                                             \
            memcpy(&x, a + i, sizeof x);                                     \
            x = F(x);                                                        \
            memcpy(a + i, &x, sizeof x);                                     \
        }                                                                    \
        if (i < n) {                                                         \
            double buf[L] = {0};                                             \
            memcpy(buf, a + i, (n - i) * sizeof *a);                         \
            T x;                                                             \
            memcpy(&x, buf, sizeof x);                                       \
            x = F(x);                                                        \
            memcpy(buf, &x, sizeof x);                                       \
            memcpy(a + i, buf, (n - i) * sizeof *a);                         \
        }                                                                    \
    } while (0)

static void exp2l_(double *a, size_t n) { SS_VMATH_LOOP(v2d, 2, _ZGVbN2v_exp); }
static void log1p2l_(double *a, size_t n)
{
    SS_VMATH_LOOP(v2d, 2, _ZGVbN2v_log1p);
}
__attribute__((target("avx2"))) static void exp4l_(double *a, size_t n)
{
    SS_VMATH_LOOP(v4d, 4, _ZGVdN4v_exp);
}
__attribute__((target("avx2"))) static void log1p4l_(double *a, size_t n)
{
    SS_VMATH_LOOP(v4d, 4, _ZGVdN4v_log1p);
}

/* libgcc's (or compiler-rt's) CPU model, filled in before main: a load and
 * a test */
static int have_avx2(void)
{
    return __builtin_cpu_supports("avx2") != 0;
}
#endif

void ss_vexp(double *a, size_t n)
{
#ifdef SS_VMATH_MVEC
    if (have_avx2())
        exp4l_(a, n);
    else
        exp2l_(a, n);
#else
    for (size_t i = 0; i < n; i++)
        a[i] = exp(a[i]);
#endif
}

void ss_vlog1p(double *a, size_t n)
{
#ifdef SS_VMATH_MVEC
    if (have_avx2())
        log1p4l_(a, n);
    else
        log1p2l_(a, n);
#else
    for (size_t i = 0; i < n; i++)
        a[i] = log1p(a[i]);
#endif
}

const char *ss_vmath_route(void)
{
#ifdef SS_VMATH_MVEC
    return have_avx2() ? "avx2" : "sse2";
#else
    return "scalar";
#endif
}

/* CHECK_CLOSE for the closed-form PK tests (test_pk, test_pk2): fail with
 * both values and the relative error when got is not within atol + rtol
 * |want| of want, or either is not finite. Include after cmocka.h. */
#ifndef SS_CHECKCLOSE_H
#define SS_CHECKCLOSE_H

#include <math.h>

static int close_to(double got, double want, double rtol, double atol)
{
    return isfinite(got) && isfinite(want) &&
           fabs(got - want) <= atol + rtol * fabs(want);
}

#define CHECK_CLOSE(got, want, rtol, atol, ...)                               \
    do {                                                                      \
        double g_ = (got), w_ = (want);                                       \
        if (!close_to(g_, w_, (rtol), (atol))) {                              \
            print_error(__VA_ARGS__);                                         \
            print_error(": got %.17g want %.17g (rel %.3g)\n", g_, w_,        \
                        fabs(g_ - w_) / fabs(w_));                            \
            fail();                                                           \
        }                                                                     \
    } while (0)

#endif

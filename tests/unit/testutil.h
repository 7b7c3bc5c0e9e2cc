/* Shared helpers for the numerical unit tests (header only).
 *
 * Include after <cmocka.h>. Provides
 *   - tu_close(): |got - want| <= atol + rtol |want|, with a NaN (got or
 *     want) never close and an infinity close only to the same infinity
 *     (never "close" by slack); test for NaN with isnan() itself;
 *   - assert_close(got, want, rtol, atol) and assert_close_msg(..., what):
 *     the fatal forms, printing both values (and the label) on failure;
 *   - assert_finite(x, what): fatal unless x is finite;
 *   - tu_ctx / TU_CHECK / TU_CHECK_CLOSE: non-fatal checks for batteries
 *     that loop over many families and points: every failure is printed
 *     with its context and the test fails once at the end (tu_done), so a
 *     single run shows all that is wrong instead of the first problem;
 *   - tu_args: a tiny builder for model_arg arrays (options and parameter
 *     values as the command language would pass them);
 *   - tu_model / tu_model_try: a model from "key=value ..." text.
 */
#ifndef SS_TESTUTIL_H
#define SS_TESTUTIL_H

#include "core/rng.h"
#include "model/model.h"

#include <gsl/gsl_matrix.h>

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- tolerances --------------------------------------------------------- */

static inline int tu_close(double got, double want, double rtol, double atol)
{
    if (isnan(want) || isnan(got))
        return 0;
    if (isinf(want))
        return got == want;
    if (!isfinite(got))
        return 0;
    return fabs(got - want) <= atol + rtol * fabs(want);
}

/* The body of assert_close and assert_close_msg: what labels the check
 * (NULL for none); the expressions are printed as written. */
static inline void tu_assert_close_at(double got, double want, double rtol,
                                      double atol, const char *what,
                                      const char *got_expr,
                                      const char *want_expr, const char *file,
                                      int line)
{
    if (tu_close(got, want, rtol, atol))
        return;
    print_error("%s%s%s = %.17g, expected %s = %.17g (rtol %g, atol %g, "
                "diff %.3g)\n",
                what ? what : "", what ? ": " : "", got_expr, got, want_expr,
                want, rtol, atol, got - want);
    _fail(file, line);
}

#define assert_close(got, want, rtol, atol)                                   \
    tu_assert_close_at((got), (want), (rtol), (atol), NULL, #got, #want,      \
                       __FILE__, __LINE__)

/* The same with a label, for checks inside loops ("G[1][2] at v=0"). */
#define assert_close_msg(got, want, rtol, atol, what)                         \
    tu_assert_close_at((got), (want), (rtol), (atol), (what), #got, #want,    \
                       __FILE__, __LINE__)

static inline void tu_assert_finite_at(double x, const char *what,
                                       const char *file, int line)
{
    if (isfinite(x))
        return;
    print_error("%s is not finite: %g\n", what, x);
    _fail(file, line);
}

#define assert_finite(x, what)                                                \
    tu_assert_finite_at((x), (what), __FILE__, __LINE__)

/* ---- non-fatal checks --------------------------------------------------- */

typedef struct {
    int checks, fails;
    char where[160]; /* current context: "gmm @ generic", ... */
    double zmax;     /* largest |deviation| / standard error seen (tu_z) */
    char zwhere[200];
    double worst;    /* largest |diff| / allowed over TU_CHECK_CLOSE */
} tu_ctx;

/* Failures printed per test; the rest are only counted. */
#define TU_MAX_PRINT 20

/* Record a statistical deviation in standard errors, for the summary. */
static inline void tu_z(tu_ctx *c, double z, const char *what)
{
    if (isfinite(z) && fabs(z) > c->zmax) {
        c->zmax = fabs(z);
        /* truncation is acceptable; using the result keeps
         * -Wformat-truncation quiet */
        if (snprintf(c->zwhere, sizeof c->zwhere, "%s: %s", c->where,
                     what) < 0)
            c->zwhere[0] = 0;
    }
}

/* Set the context printed with every failure (printf-style). */
static inline void tu_where(tu_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline void tu_where(tu_ctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->where, sizeof c->where, fmt, ap);
    va_end(ap);
}

#define TU_CHECK(ctx, cond, ...)                                              \
    do {                                                                      \
        (ctx)->checks++;                                                      \
        if (!(cond)) {                                                        \
            char tu_m_[2048];                                                 \
            snprintf(tu_m_, sizeof tu_m_, __VA_ARGS__);                       \
            if ((ctx)->fails < TU_MAX_PRINT)                                  \
                print_error("FAIL [%s] %s:%d: %s\n", (ctx)->where, __FILE__,  \
                            __LINE__, tu_m_);                                 \
            (ctx)->fails++;                                                   \
        }                                                                     \
    } while (0)

/* The trailing arguments label the quantity, printf-style. */
#define TU_CHECK_CLOSE(ctx, got, want, rtol, atol, ...)                       \
    do {                                                                      \
        double tu_g_ = (got), tu_w_ = (want);                                 \
        double tu_r_ = (rtol), tu_a_ = (atol);                                \
        double tu_al_ = tu_a_ + tu_r_ * fabs(tu_w_);                          \
        (ctx)->checks++;                                                      \
        if (isfinite(tu_g_ - tu_w_) && tu_al_ > 0 &&                          \
            fabs(tu_g_ - tu_w_) / tu_al_ > (ctx)->worst)                      \
            (ctx)->worst = fabs(tu_g_ - tu_w_) / tu_al_;                      \
        if (!tu_close(tu_g_, tu_w_, tu_r_, tu_a_)) {                          \
            char tu_m_[256];                                                  \
            snprintf(tu_m_, sizeof tu_m_, __VA_ARGS__);                       \
            if ((ctx)->fails < TU_MAX_PRINT)                                  \
                print_error("FAIL [%s] %s:%d: %s = %.17g, expected %.17g "    \
                            "(diff %.3g, allowed %.3g)\n",                    \
                            (ctx)->where, __FILE__, __LINE__, tu_m_, tu_g_,   \
                            tu_w_, tu_g_ - tu_w_, tu_al_);                    \
            (ctx)->fails++;                                                   \
        }                                                                     \
    } while (0)

/* Print a one-line summary (checks, margin left, largest deviation in
 * standard errors) and fail the test if any check failed. */
#define tu_done(ctx)                                                          \
    do {                                                                      \
        print_message("      %d checks", (ctx)->checks);                      \
        if ((ctx)->worst > 0)                                                 \
            print_message("; worst |diff| / allowed %.3g", (ctx)->worst);     \
        if ((ctx)->zmax > 0)                                                  \
            print_message("; largest deviation %.2f SE (%s)", (ctx)->zmax,    \
                          (ctx)->zwhere);                                     \
        print_message("\n");                                                  \
        if ((ctx)->fails)                                                     \
            fail_msg("%d of %d checks failed (see above)", (ctx)->fails,      \
                     (ctx)->checks);                                          \
    } while (0)

/* ---- model_arg builder -------------------------------------------------- */

#define TU_MAX_ARGS 16

/* Arguments point into the builder's own storage: do not copy a tu_args
 * by value after adding numeric arguments. */
typedef struct {
    model_arg a[TU_MAX_ARGS];
    double val[TU_MAX_ARGS];
    size_t n;
} tu_args;

static inline void tu_args_init(tu_args *b)
{
    memset(b, 0, sizeof *b);
}

/* key=value (a scalar option or parameter). */
static inline void tu_args_num(tu_args *b, const char *key, double v)
{
    if (b->n >= TU_MAX_ARGS)
        return;
    model_arg *a = &b->a[b->n];
    b->val[b->n] = v;
    memset(a, 0, sizeof *a);
    a->key = key;
    a->num = &b->val[b->n];
    a->n = 1;
    a->col = (int)b->n + 1;
    b->n++;
}

/* key=[v0, v1, ...]; v must outlive the builder. */
static inline void tu_args_vec(tu_args *b, const char *key, const double *v,
                               size_t n)
{
    if (b->n >= TU_MAX_ARGS)
        return;
    model_arg *a = &b->a[b->n];
    memset(a, 0, sizeof *a);
    a->key = key;
    a->num = v;
    a->n = n;
    a->is_vector = 1;
    a->col = (int)b->n + 1;
    b->n++;
}

/* key=identifier (an enum option such as act=tanh). */
static inline void tu_args_str(tu_args *b, const char *key, const char *s)
{
    if (b->n >= TU_MAX_ARGS)
        return;
    model_arg *a = &b->a[b->n];
    memset(a, 0, sizeof *a);
    a->key = key;
    a->str = s;
    a->col = (int)b->n + 1;
    b->n++;
}

/* ---- a model from text -------------------------------------------------- */

/* model_alloc(t) from "layers=2 act=tanh widths=[4,3] ..." as the command
 * language would pass it: numbers, [v0,v1,...] vectors and identifiers.
 * The arguments live in static storage until the next call (model_alloc
 * copies what it keeps). */
static inline ss_status tu_model_try(const model_type *t, const char *text,
                                     model **out)
{
    static char buf[512];
    static double num[32], vec[32][16];
    model_arg a[32];
    char *save = NULL;
    snprintf(buf, sizeof buf, "%s", text);
    size_t n = 0;
    for (char *tok = strtok_r(buf, " ", &save); tok && n < 32;
         tok = strtok_r(NULL, " ", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq)
            fail_msg("tu_model_try: '%s' is not key=value", tok);
        *eq = 0;
        memset(&a[n], 0, sizeof a[n]);
        a[n].key = tok;
        a[n].col = (int)n + 1;
        char *end;
        if (eq[1] == '[') {
            size_t k = 0;
            for (char *q = eq + 2; *q && *q != ']' && k < 16;
                 q = end + (*end == ',')) {
                vec[n][k++] = strtod(q, &end);
                if (end == q)
                    fail_msg("tu_model_try: bad vector in '%s'", eq + 1);
            }
            a[n].num = vec[n];
            a[n].n = k;
            a[n].is_vector = 1;
        } else {
            num[n] = strtod(eq + 1, &end);
            if (*end || end == eq + 1) {
                a[n].str = eq + 1;
            } else {
                a[n].num = &num[n];
                a[n].n = 1;
            }
        }
        n++;
    }
    *out = NULL;
    return model_alloc(t, a, n, out);
}

/* The same, failing the test with the model's message when it is refused. */
static inline model *tu_model(const model_type *t, const char *text)
{
    model *m = NULL;
    if (tu_model_try(t, text, &m) != SS_OK)
        fail_msg("model_alloc(%s): %s", text, ss_last_error()->msg);
    return m;
}

/* n observations drawn from m at its parameters, on the tests' stream
 * (seed, SS_STREAM_TEST, 0); the caller frees the matrix. */
static inline gsl_matrix *tu_sample(const model *m, size_t n, uint64_t seed)
{
    gsl_matrix *X = gsl_matrix_alloc(n, m->type->data_cols(m));
    gsl_rng *r = ss_rng_alloc();
    ss_rng_seed(r, seed, SS_STREAM_TEST, 0);
    if (m->type->sample(m, m->theta, r, X) != SS_OK)
        fail_msg("sample: %s", ss_last_error()->msg);
    ss_rng_free(r);
    return X;
}

#endif

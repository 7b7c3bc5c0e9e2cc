/* A replicate table: R replicates x C named numeric columns, the rows of
 * a replicate run (core/replicate.h) in replicate order, with where they
 * came from (a model and point, a seed, n) and optionally a reference
 * value per column (an exact value the replicates estimate). Summaries
 * per column: mean, SD, standard error of the mean, quantiles, extremes.
 * Nothing here knows what a model or a FIM is; the command that fills a
 * table names its columns and says what it holds. */
#ifndef SS_REPTABLE_H
#define SS_REPTABLE_H

#include "core/expinfo.h"
#include "core/status.h"

#include <stddef.h>
#include <stdint.h>

#define RT_NAME_MAX 80

typedef struct {
    size_t nrep;             /* replicates asked for (rows allocated) */
    size_t ndone;            /* rows filled: replicates 0 .. ndone-1 */
    size_t ncols;
    char (*colnames)[RT_NAME_MAX];
    double *v;               /* nrep x ncols, row-major; rows >= ndone: NaN */
    double *ref;             /* ncols references, NaN where there is none */
    int interrupted;         /* stopped before every replicate was done */
    char what[128];          /* what each replicate computes, for titles */
    char source[RT_NAME_MAX]; /* the model it came from */
    char kind[RT_NAME_MAX];  /* that model's family */
    double *point;           /* the point the model was at (npoint values) */
    size_t npoint;
    uint64_t seed;
    size_t n;                /* observations per replicate */
    size_t first;            /* row 0 is replicate first (0-based) of the
                                experiment: a shard's slice */
    exp_origin exp;          /* the experiment, set by the command
                                (exp.reps 0: not recorded) */
} reptable;

/* A table of nrep x ncols values (all NaN), no references, columns
 * unnamed; NULL when out of memory. */
reptable *reptable_alloc(size_t nrep, size_t ncols);
void reptable_free(reptable *t);
/* Record the point (copied). */
ss_status reptable_set_point(reptable *t, const double *theta, size_t n);
/* Column index of name, or -1. */
int reptable_col(const reptable *t, const char *name);
/* Entry (r, c) (r < ndone). */
static inline double reptable_at(const reptable *t, size_t r, size_t c)
{
    return t->v[r * t->ncols + c];
}

/* A summary of the finite values among n (stride apart): their count,
 * mean, SD (n - 1 in the denominator), the standard error of the mean
 * SD / sqrt(count), the 5%, 50% and 95% quantiles (linear interpolation
 * between order statistics at h = (count - 1) q: R's type 7, numpy's
 * default), minimum and maximum; nonfinite counts the values left out.
 * With no finite value everything is NaN; with one, SD and SE are NaN. */
typedef struct {
    size_t count, nonfinite;
    double mean, sd, se, q05, q50, q95, min, max;
} rt_summary;

ss_status rt_summarize(const double *x, size_t stride, size_t n,
                       rt_summary *out);
/* The q-quantile (0 <= q <= 1) of sorted finite values s[0..n-1] (n > 0),
 * as above. */
double rt_quantile_sorted(const double *s, size_t n, double q);
/* The summary of column c over the rows done. */
ss_status reptable_summary(const reptable *t, size_t c, rt_summary *out);

#endif

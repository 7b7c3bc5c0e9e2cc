/* Replicate tables and their per-column summaries (reptable.h). */
#include "core/reptable.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

reptable *reptable_alloc(size_t nrep, size_t ncols)
{
    if (nrep == 0 || ncols == 0 || nrep > SIZE_MAX / sizeof(double) / ncols)
        return NULL;
    reptable *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->nrep = nrep;
    t->ncols = ncols;
    t->v = malloc(nrep * ncols * sizeof *t->v);
    t->ref = malloc(ncols * sizeof *t->ref);
    t->colnames = calloc(ncols, sizeof *t->colnames);
    if (!t->v || !t->ref || !t->colnames) {
        reptable_free(t);
        return NULL;
    }
    for (size_t i = 0; i < nrep * ncols; i++)
        t->v[i] = NAN;
    for (size_t c = 0; c < ncols; c++)
        t->ref[c] = NAN;
    return t;
}

void reptable_free(reptable *t)
{
    if (!t)
        return;
    free(t->v);
    free(t->ref);
    free(t->colnames);
    free(t->point);
    free(t);
}

ss_status reptable_set_point(reptable *t, const double *theta, size_t n)
{
    double *p = malloc((n ? n : 1) * sizeof *p);
    if (!p)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    if (n)
        memcpy(p, theta, n * sizeof *p);
    free(t->point);
    t->point = p;
    t->npoint = n;
    return SS_OK;
}

int reptable_col(const reptable *t, const char *name)
{
    for (size_t c = 0; c < t->ncols; c++)
        if (strcmp(t->colnames[c], name) == 0)
            return (int)c;
    return -1;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double rt_quantile_sorted(const double *s, size_t n, double q)
{
    double h = (double)(n - 1) * q;
    size_t i = (size_t)floor(h);
    if (i + 1 >= n)
        return s[n - 1];
    return s[i] + (h - (double)i) * (s[i + 1] - s[i]);
}

ss_status rt_summarize(const double *x, size_t stride, size_t n,
                       rt_summary *o)
{
    memset(o, 0, sizeof *o);
    o->mean = o->sd = o->se = o->q05 = o->q50 = o->q95 = o->min = o->max =
        NAN;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        m += isfinite(x[i * stride]) != 0;
    o->count = m;
    o->nonfinite = n - m;
    if (m == 0)
        return SS_OK;
    double *s = malloc(m * sizeof *s);
    if (!s)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory for a summary of %zu "
                                     "values",
                       m);
    m = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i * stride]))
            s[m++] = x[i * stride];
    /* two passes in long double: the mean, then the squared deviations
     * (no cancellation however large the mean is against the spread) */
    long double sum = 0;
    for (size_t i = 0; i < m; i++)
        sum += s[i];
    long double mean = sum / (long double)m, ss = 0;
    for (size_t i = 0; i < m; i++)
        ss += ((long double)s[i] - mean) * ((long double)s[i] - mean);
    o->mean = (double)mean;
    if (m > 1) {
        o->sd = sqrt((double)(ss / (long double)(m - 1)));
        o->se = o->sd / sqrt((double)m);
    }
    qsort(s, m, sizeof *s, cmp_double);
    o->min = s[0];
    o->max = s[m - 1];
    o->q05 = rt_quantile_sorted(s, m, 0.05);
    o->q50 = rt_quantile_sorted(s, m, 0.50);
    o->q95 = rt_quantile_sorted(s, m, 0.95);
    free(s);
    return SS_OK;
}

ss_status reptable_summary(const reptable *t, size_t c, rt_summary *out)
{
    return rt_summarize(t->v + c, t->ncols, t->ndone, out);
}

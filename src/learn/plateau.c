#include "learn/plateau.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

void learn_plateau_opts_init(learn_plateau_opts *o)
{
    o->tol = LEARN_PLATEAU_TOL;
    o->span = LEARN_PLATEAU_SPAN;
    o->loss = -1;
}

static int any_finite(const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i]))
            return 1;
    return 0;
}

const double *learn_plateau_loss(const learn_run *r, int which,
                                 const char **name)
{
    int gen = any_finite(r->gen, r->n), train = any_finite(r->train, r->n);
    if (which < 0)
        which = gen ? 0 : 1;
    if (name)
        *name = which == 0 ? "generalisation loss" : "training loss";
    if (which == 0)
        return gen ? r->gen : NULL;
    return train ? r->train : NULL;
}

/* ln L at x, linear between the usable records (x ascending, m >= 2). */
static double interp(const double *x, const double *y, size_t m, double at)
{
    if (at <= x[0])
        return y[0];
    if (at >= x[m - 1])
        return y[m - 1];
    size_t lo = 0, hi = m - 1;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (x[mid] <= at)
            lo = mid;
        else
            hi = mid;
    }
    double w = x[hi] - x[lo];
    return w > 0 ? y[lo] + (y[hi] - y[lo]) * (at - x[lo]) / w : y[hi];
}

ss_status learn_plateaus(const learn_run *r, const learn_plateau_opts *o,
                         learn_plateau **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!(o->tol > 0) || !isfinite(o->tol))
        return SS_FAIL(SS_ERR_RANGE, "tol must be positive and finite");
    if (!(o->span > 0) || !isfinite(o->span))
        return SS_FAIL(SS_ERR_RANGE, "span must be positive and finite");
    const double *L = learn_plateau_loss(r, o->loss, NULL);
    if (!L || r->n < 2)
        return SS_OK;
    double *x = malloc(r->n * sizeof *x), *y = malloc(r->n * sizeof *y);
    double *rho = malloc(r->n * sizeof *rho);
    size_t *orig = malloc(r->n * sizeof *orig);
    learn_plateau *pl = NULL;
    size_t npl = 0, cap = 0;
    ss_status rc = SS_OK;
    if (!x || !y || !rho || !orig) {
        rc = SS_FAIL(SS_ERR_NOMEM, "out of memory");
        goto done;
    }
    size_t m = 0;
    for (size_t i = 0; i < r->n; i++) {
        double t = r->time[i], l = L[i];
        if (!(t > 0) || !isfinite(t) || !(l > 0) || !isfinite(l))
            continue;
        if (m && !(log10(t) > x[m - 1]))
            continue; /* time must increase */
        x[m] = log10(t);
        y[m] = log(l);
        orig[m] = i;
        m++;
    }
    if (m < 2)
        goto done;
    double h = o->span / 4;
    for (size_t j = 0; j < m; j++) {
        double a = fmax(x[j] - h, x[0]), b = fmin(x[j] + h, x[m - 1]);
        rho[j] = (interp(x, y, m, a) - interp(x, y, m, b)) / (b - a);
    }
    for (size_t j = 0; j < m;) {
        if (!(fabs(rho[j]) < o->tol)) {
            j++;
            continue;
        }
        size_t k = j;
        while (k + 1 < m && fabs(rho[k + 1]) < o->tol &&
               orig[k + 1] == orig[k] + 1)
            k++;
        if (x[k] - x[j] >= o->span) {
            if (npl == cap) {
                cap = cap ? 2 * cap : 4;
                learn_plateau *q = realloc(pl, cap * sizeof *q);
                if (!q) {
                    rc = SS_FAIL(SS_ERR_NOMEM, "out of memory");
                    goto done;
                }
                pl = q;
            }
            learn_plateau *p = &pl[npl++];
            p->first = orig[j];
            p->last = orig[k];
            p->t_in = r->time[p->first];
            p->t_out = r->time[p->last];
            p->decades = x[k] - x[j];
            double sum = 0;
            for (size_t i = p->first; i <= p->last; i++)
                sum += L[i];
            p->level = sum / (double)(p->last - p->first + 1);
            p->left = p->last + 1 < r->n;
            p->set = SIZE_MAX;
            p->set_dist = NAN;
            for (size_t s = 0; s < r->nsets; s++) {
                double ds = 0;
                size_t cnt = 0;
                for (size_t i = p->first; i <= p->last; i++) {
                    double d = r->dist[i * r->nsets + s];
                    if (isfinite(d)) {
                        ds += d;
                        cnt++;
                    }
                }
                if (cnt && (p->set == SIZE_MAX || ds / cnt < p->set_dist)) {
                    p->set = s;
                    p->set_dist = ds / (double)cnt;
                }
            }
        }
        j = k + 1;
    }
done:
    free(x), free(y), free(rho), free(orig);
    if (rc != SS_OK) {
        free(pl);
        return rc;
    }
    *out = pl;
    *n = npl;
    return SS_OK;
}

void learn_run_time_near(const learn_run *r, double eps, double *near)
{
    for (size_t k = 0; k < r->nsets; k++) {
        double sum = 0;
        for (size_t i = 0; i + 1 < r->n; i++) {
            double d0 = r->dist[i * r->nsets + k];
            double d1 = r->dist[(i + 1) * r->nsets + k];
            if (d0 < eps && d1 < eps)
                sum += r->time[i + 1] - r->time[i];
        }
        near[k] = sum;
    }
}

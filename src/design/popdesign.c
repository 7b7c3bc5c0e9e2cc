/* Population designs (design/popdesign.h). */
#include "design/popdesign.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void pd_free(pop_design *d)
{
    if (!d)
        return;
    for (size_t j = 0; j < d->ngroups; j++)
        free(d->g[j].t);
    free(d->g);
    free(d);
}

static ss_status bad(size_t *bg, size_t *bt, size_t g, size_t t)
{
    if (bg)
        *bg = g;
    if (bt)
        *bt = t;
    return ss_last_error()->code;
}

ss_status pd_alloc(size_t ngroups, const size_t *off, const double *t,
                   const double *size, const double *dose, pop_design **out,
                   size_t *bad_group, size_t *bad_time)
{
    *out = NULL;
    if (bad_group)
        *bad_group = 0;
    if (bad_time)
        *bad_time = 0;
    if (ngroups == 0)
        return SS_FAIL(SS_ERR_USAGE, "a design needs at least one group");
    if (ngroups > PD_MAX_GROUPS)
        return SS_FAIL(SS_ERR_LIMIT, "at most %d groups", PD_MAX_GROUPS);
    for (size_t j = 0; j < ngroups; j++) {
        size_t n = off[j + 1] - off[j];
        if (!(size[j] > 0.0) || !(size[j] <= PD_MAX_SIZE)) {
            SS_FAIL(SS_ERR_RANGE,
                    "group %zu has %g subjects: a group needs a positive "
                    "size, at most %g",
                    j + 1, size[j], PD_MAX_SIZE);
            return bad(bad_group, bad_time, j + 1, 0);
        }
        if (n == 0) {
            SS_FAIL(SS_ERR_USAGE, "group %zu has no sampling times", j + 1);
            return bad(bad_group, bad_time, j + 1, 0);
        }
        if (n > PD_MAX_TIMES) {
            SS_FAIL(SS_ERR_LIMIT, "group %zu: at most %d sampling times",
                    j + 1, PD_MAX_TIMES);
            return bad(bad_group, bad_time, j + 1, 0);
        }
        if (dose && !isnan(dose[j]) && (!(dose[j] >= 0.0) ||
                                         !isfinite(dose[j]))) {
            SS_FAIL(SS_ERR_RANGE, "group %zu: the dose %g must be >= 0",
                    j + 1, dose[j]);
            return bad(bad_group, bad_time, j + 1, 0);
        }
        for (size_t i = 0; i < n; i++) {
            double v = t[off[j] + i];
            if (!isfinite(v) || v < 0.0) {
                SS_FAIL(SS_ERR_RANGE,
                        "group %zu, time %zu: %g is not a time after the "
                        "dose (times are >= 0)",
                        j + 1, i + 1, v);
                return bad(bad_group, bad_time, j + 1, i + 1);
            }
            if (i > 0 && v < t[off[j] + i - 1]) {
                SS_FAIL(SS_ERR_USAGE,
                        "group %zu, time %zu: %g comes after %g: sampling "
                        "times must be sorted",
                        j + 1, i + 1, v, t[off[j] + i - 1]);
                return bad(bad_group, bad_time, j + 1, i + 1);
            }
        }
    }
    pop_design *d = calloc(1, sizeof *d);
    if (!d || !(d->g = calloc(ngroups, sizeof *d->g))) {
        free(d);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    d->ngroups = ngroups;
    for (size_t j = 0; j < ngroups; j++) {
        pd_group *g = &d->g[j];
        g->nt = off[j + 1] - off[j];
        g->size = size[j];
        g->dose = dose ? dose[j] : NAN;
        if (!(g->t = malloc(g->nt * sizeof *g->t))) {
            pd_free(d);
            return SS_FAIL(SS_ERR_NOMEM, "out of memory");
        }
        memcpy(g->t, t + off[j], g->nt * sizeof *g->t);
    }
    *out = d;
    return SS_OK;
}

pop_design *pd_copy(const pop_design *d)
{
    pop_design *c = calloc(1, sizeof *c);
    if (!c || !(c->g = calloc(d->ngroups, sizeof *c->g))) {
        free(c);
        return NULL;
    }
    c->ngroups = d->ngroups;
    for (size_t j = 0; j < d->ngroups; j++) {
        c->g[j] = d->g[j];
        c->g[j].t = malloc(d->g[j].nt * sizeof *c->g[j].t);
        if (!c->g[j].t) {
            c->ngroups = j;
            pd_free(c);
            return NULL;
        }
        memcpy(c->g[j].t, d->g[j].t, d->g[j].nt * sizeof *c->g[j].t);
    }
    return c;
}

double pd_subjects(const pop_design *d)
{
    double s = 0.0;
    for (size_t j = 0; j < d->ngroups; j++)
        s += d->g[j].size;
    return s;
}

double pd_samples(const pop_design *d)
{
    double s = 0.0;
    for (size_t j = 0; j < d->ngroups; j++)
        s += d->g[j].size * (double)d->g[j].nt;
    return s;
}

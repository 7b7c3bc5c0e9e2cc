#include "learn/run.h"

#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

learn_run *learn_run_alloc(const model *m, size_t cap, size_t neig,
                           size_t eig_every)
{
    learn_run *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->P = m->P;
    r->cap = cap ? cap : 16;
    r->neig = neig;
    r->eig_every = eig_every ? eig_every : 1;
    r->crit_lr = r->gn_lmax = NAN;
    snprintf(r->kind, sizeof r->kind, "%s", m->type->name);
    r->pnames = calloc(m->P ? m->P : 1, sizeof *r->pnames);
    r->cnames = calloc(m->P ? m->P : 1, sizeof *r->cnames);
    if (!r->pnames || !r->cnames) {
        learn_run_free(r);
        return NULL;
    }
    for (size_t i = 0; i < m->P; i++)
        model_param_name(m, i, r->pnames[i], sizeof r->pnames[i]);
    r->ncoords = m->type->coord_names ? m->type->coord_names(m, r->cnames)
                                      : 0;
    r->nsets = model_nsingular(m);
    model_singular *sets = NULL;
    size_t ns = 0;
    if (r->nsets) {
        r->snames = calloc(r->nsets, sizeof *r->snames);
        if (!r->snames ||
            model_singular_list(m, m->theta, &sets, &ns) != SS_OK) {
            free(sets);
            learn_run_free(r);
            return NULL;
        }
        for (size_t j = 0; j < r->nsets && j < ns; j++)
            snprintf(r->snames[j], sizeof r->snames[j], "%s", sets[j].name);
        free(sets);
    }
    r->time = malloc(r->cap * sizeof *r->time);
    r->gen = malloc(r->cap * sizeof *r->gen);
    r->train = malloc(r->cap * sizeof *r->train);
    r->theta = malloc(r->cap * (m->P ? m->P : 1) * sizeof *r->theta);
    r->coords = malloc(r->cap * (r->ncoords ? r->ncoords : 1) *
                       sizeof *r->coords);
    r->dist = malloc(r->cap * (r->nsets ? r->nsets : 1) * sizeof *r->dist);
    r->eig = neig ? malloc(r->cap * neig * sizeof *r->eig) : NULL;
    if (!r->time || !r->gen || !r->train || !r->theta || !r->coords ||
        !r->dist || (neig && !r->eig)) {
        learn_run_free(r);
        return NULL;
    }
    return r;
}

void learn_run_free(learn_run *r)
{
    if (!r)
        return;
    free(r->pnames);
    free(r->cnames);
    free(r->snames);
    free(r->time);
    free(r->gen);
    free(r->train);
    free(r->theta);
    free(r->coords);
    free(r->dist);
    free(r->eig);
    free(r->ck);
    free(r->lk);
    free(r->cbar);
    free(r->lbar);
    free(r->test);
    free(r->sv);
    free(r);
}

static void learn_run_liao_set_at(learn_run *r, size_t i, double ck,
                                  double lk, double cbar, double lbar,
                                  double test, const double *sv)
{
    r->ck[i] = ck;
    r->lk[i] = lk;
    r->cbar[i] = cbar;
    r->lbar[i] = lbar;
    r->test[i] = test;
    for (size_t k = 0; k < r->nsv; k++)
        r->sv[i * r->nsv + k] = sv ? sv[k] : NAN;
}

static int grow(double **p, size_t cap, size_t width)
{
    if (!width)
        width = 1;
    double *q = realloc(*p, cap * width * sizeof *q);
    if (!q)
        return 0;
    *p = q;
    return 1;
}

ss_status learn_run_record(learn_run *r, const model *m, double t,
                           const double *theta, double gen, double train,
                           const double *eig)
{
    if (r->n == r->cap) {
        size_t cap = r->cap * 2;
        if (!grow(&r->time, cap, 1) || !grow(&r->gen, cap, 1) ||
            !grow(&r->train, cap, 1) || !grow(&r->theta, cap, r->P) ||
            !grow(&r->coords, cap, r->ncoords) ||
            !grow(&r->dist, cap, r->nsets) ||
            (r->neig && !grow(&r->eig, cap, r->neig)) ||
            (r->liao &&
             (!grow(&r->ck, cap, 1) || !grow(&r->lk, cap, 1) ||
              !grow(&r->cbar, cap, 1) || !grow(&r->lbar, cap, 1) ||
              !grow(&r->test, cap, 1) || !grow(&r->sv, cap, r->nsv))))
            return SS_FAIL(SS_ERR_NOMEM, "out of memory for the trajectory "
                                         "(%zu records)",
                           r->n);
        r->cap = cap;
    }
    size_t i = r->n;
    r->time[i] = t;
    r->gen[i] = gen;
    r->train[i] = train;
    memcpy(r->theta + i * r->P, theta, r->P * sizeof *theta);
    double *c = r->coords + i * r->ncoords;
    if (r->ncoords && m->type->to_coords(m, theta, c) != SS_OK) {
        ss_clear_error(); /* the chart is undefined there (w1 + w2 = 0) */
        for (size_t k = 0; k < r->ncoords; k++)
            c[k] = NAN;
    }
    double *d = r->dist + i * r->nsets;
    size_t got = r->nsets ? model_singular_distances(m, theta, d, r->nsets)
                          : 0;
    for (size_t k = got; k < r->nsets; k++)
        d[k] = NAN;
    if (r->neig) {
        double *e = r->eig + i * r->neig;
        int take = learn_run_has_eig(r, i) && eig;
        for (size_t k = 0; k < r->neig; k++)
            e[k] = take ? eig[k] : NAN;
    }
    if (r->liao)
        learn_run_liao_set_at(r, i, NAN, NAN, NAN, NAN, NAN, NULL);
    r->n++;
    return SS_OK;
}

ss_status learn_run_liao_enable(learn_run *r, size_t nsv)
{
    r->liao = 1;
    r->nsv = nsv;
    size_t w = nsv ? nsv : 1;
    r->ck = malloc(r->cap * sizeof *r->ck);
    r->lk = malloc(r->cap * sizeof *r->lk);
    r->cbar = malloc(r->cap * sizeof *r->cbar);
    r->lbar = malloc(r->cap * sizeof *r->lbar);
    r->test = malloc(r->cap * sizeof *r->test);
    r->sv = malloc(r->cap * w * sizeof *r->sv);
    if (!r->ck || !r->lk || !r->cbar || !r->lbar || !r->test || !r->sv)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory for the mini-batch "
                                     "measures");
    return SS_OK;
}

void learn_run_liao_set(learn_run *r, double ck, double lk, double cbar,
                        double lbar, double test, const double *sv)
{
    if (r->liao && r->n)
        learn_run_liao_set_at(r, r->n - 1, ck, lk, cbar, lbar, test, sv);
}

int learn_run_has_eig(const learn_run *r, size_t i)
{
    return r->neig && i % r->eig_every == 0;
}

size_t learn_run_nearest(const learn_run *r, size_t i)
{
    size_t best = SIZE_MAX;
    const double *d = r->dist + i * r->nsets;
    for (size_t k = 0; k < r->nsets; k++)
        if (isfinite(d[k]) && (best == SIZE_MAX || d[k] < d[best]))
            best = k;
    return best;
}

/* The population FIMs of designs as FIM estimators (fim/estimator.h), so
 * `fim`, `eig`, `path` and `map` compute them through the same requests and
 * jobs as every other FIM: method=fo|fo-full|quad|mc with design=D. They
 * live in the design layer, above fim/, so their table is separate from
 * fim/'s (est_pop.h); lang looks a method up in it when a design is given
 * or the model is a population model. */
#include "design/est_pop.h"

#include "design/popfim.h"
#include "model/pop.h"

#include <stdlib.h>
#include <string.h>

static ss_status est_check(const model *m, const fim_request *req)
{
    if (!pop_spec_of(m))
        return SS_FAIL(SS_ERR_USAGE,
                       "%s is not a population model: design= and "
                       "method=fo|fo-full|quad|mc apply to pk1, pk2 and "
                       "expr models",
                       m->type->name);
    if (!req->design)
        return SS_FAIL(SS_ERR_USAGE,
                       "%s is a population model: its information is that "
                       "of a design, design=D (make one with `design D "
                       "size=[..] times=[[..]]`)",
                       m->type->name);
    return SS_OK;
}

/* The job's state: the design layer's job and what finish fills in. */
typedef struct {
    popfim_job *job;
    const model *m;
    popfim_method meth;
    const fim_request *req;
    size_t n;
    double subjects;
    char design[64];
} pop_state;

static ss_status start_with(popfim_method meth, const model *m,
                            const fim_request *req, fim_result *f,
                            void **state)
{
    *state = NULL;
    popfim_opts o = {meth, req->nquad, req->n, req->seed};
    const pop_design *d = (const pop_design *)req->design;
    pop_state *ps = calloc(1, sizeof *ps);
    if (!ps)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    ss_status rc = popfim_job_start(m, m->theta, d, &o, f->idx, f->k,
                                    &ps->job);
    if (rc != SS_OK) {
        free(ps);
        return rc;
    }
    if (!f->value) {
        f->value = malloc((f->k ? f->k : 1) * sizeof *f->value);
        f->pkind = malloc(f->k ? f->k : 1);
        if (!f->value || !f->pkind) {
            popfim_job_free(ps->job);
            free(ps);
            return SS_FAIL(SS_ERR_NOMEM, "out of memory");
        }
    }
    const pop_spec *sp = pop_spec_of(m);
    for (size_t i = 0; i < f->k; i++) {
        f->value[i] = m->theta[f->idx[i]];
        f->pkind[i] = (unsigned char)pop_param_kind(sp, f->idx[i]);
    }
    ps->m = m;
    ps->meth = meth;
    ps->subjects = pd_subjects(d);
    ps->n = meth == POPFIM_MC ? (req->n ? req->n : 4096) : 0;
    snprintf(ps->design, sizeof ps->design, "%s",
             req->design_name ? req->design_name : "");
    *state = ps;
    return SS_OK;
}

static ss_status pop_iterate(void *p)
{
    return popfim_job_step(((pop_state *)p)->job);
}

static int pop_test(const void *p)
{
    return popfim_job_done(((const pop_state *)p)->job);
}

static void pop_progress(const void *p, size_t *done, size_t *total)
{
    popfim_job_progress(((const pop_state *)p)->job, done, total);
}

static ss_status pop_finish(void *p, int interrupted, fim_result *f)
{
    (void)interrupted; /* an unfinished job says so itself */
    pop_state *ps = p;
    ss_status rc = popfim_job_finish(ps->job, f->G);
    if (rc == SS_OK) {
        f->subjects = ps->subjects;
        f->n = ps->n;
        snprintf(f->design, sizeof f->design, "%s", ps->design);
        f->form = FIM_FORM_DENSE;
    }
    free(ps);
    return rc;
}

#define START(fn, meth)                                                      \
    static ss_status fn(void *scratch, const model *m,                       \
                        const fim_request *req, fim_result *f, void **st)    \
    {                                                                        \
        (void)scratch;                                                       \
        return start_with(meth, m, req, f, st);                              \
    }
START(start_fo, POPFIM_FO)
START(start_fo_full, POPFIM_FO_FULL)
START(start_quad, POPFIM_QUAD)
START(start_mc, POPFIM_MC)

const fim_estimator est_pop_fo = {
    .name = "fo",
    .label = "population FIM, first-order linearisation, reduced "
             "(block-diagonal: PopED's default, PFIM)",
    .help = "population models: FO linearisation at eta = 0, the fixed "
            "effects' block without V's dependence on them",
    .method = FIM_POP,
    .needs = FIM_NEEDS_DESIGN,
    .props = FIM_PROP_PSD,
    .check = est_check,
    .start = start_fo,
    .iterate = pop_iterate,
    .test = pop_test,
    .progress = pop_progress,
    .finish = pop_finish,
};

const fim_estimator est_pop_fo_full = {
    .name = "fo-full",
    .label = "population FIM, first-order linearisation, full",
    .help = "population models: FO linearisation keeping V's dependence "
            "on the fixed effects (PopED's full FIM)",
    .method = FIM_POP,
    .needs = FIM_NEEDS_DESIGN,
    .props = FIM_PROP_PSD,
    .check = est_check,
    .start = start_fo_full,
    .iterate = pop_iterate,
    .test = pop_test,
    .progress = pop_progress,
    .finish = pop_finish,
};

const fim_estimator est_pop_quad = {
    .name = "quad",
    .label = "population FIM, normal with the exact moments of y "
             "(Gauss-Hermite quadrature over eta)",
    .help = "population models: y normal with its exact mean and "
            "covariance over eta, by Gauss-Hermite (nquad= nodes per "
            "random effect)",
    .method = FIM_POP,
    .needs = FIM_NEEDS_DESIGN,
    .props = FIM_PROP_PSD,
    .check = est_check,
    .start = start_quad,
    .iterate = pop_iterate,
    .test = pop_test,
    .progress = pop_progress,
    .finish = pop_finish,
};

const fim_estimator est_pop_mc = {
    .name = "mc",
    .label = "population FIM, normal with the moments of y by Monte Carlo "
             "over eta",
    .help = "population models: the same moments from n= draws of eta "
            "(common to every parameter's differences; seed=)",
    .method = FIM_POP,
    .needs = FIM_NEEDS_DESIGN | FIM_NEEDS_N | FIM_NEEDS_SEED,
    .props = FIM_PROP_PSD | FIM_PROP_SAMPLED,
    .check = est_check,
    .start = start_mc,
    .iterate = pop_iterate,
    .test = pop_test,
    .progress = pop_progress,
    .finish = pop_finish,
};

static const fim_estimator *const table[] = {&est_pop_fo, &est_pop_fo_full,
                                             &est_pop_quad, &est_pop_mc};
#define NTAB (sizeof table / sizeof *table)

const fim_estimator *est_pop_find(const char *name)
{
    for (size_t i = 0; i < NTAB; i++)
        if (strcmp(table[i]->name, name) == 0)
            return table[i];
    return NULL;
}

const fim_estimator *const *est_pop_table(size_t *n)
{
    *n = NTAB;
    return table;
}

const char *est_pop_names(void)
{
    return "fo, fo-full, quad, mc";
}

/* The fit class (infer/fit.h): `show` prints the estimate with standard
 * errors, the maximised log-likelihood, convergence, bounds, singular sets
 * and AIC/BIC/MDL (a profiled scale, arma's sigma2, as a row of its own,
 * counted in k); CSV (`--format csv`, `export FIT f.csv`) is one field
 * per line, `field,value`. No picture. */
#include "lang/commands.h"

#include "core/table.h"
#include "infer/fit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_csv(session *s, const fit_result *f)
{
    tbl *t = tbl_alloc(2);
    if (!t)
        return;
    tbl_header(t, 0, "field");
    tbl_header(t, 1, "value");
    struct {
        const char *k;
        double v;
    } nums[] = {{"loglik", f->loglik},
                {"n", (double)f->n},
                {"k", (double)(f->k + f->nscale)},
                {"aic", f->aic},
                {"bic", f->bic},
                {"mdl", f->mdl},
                {"iterations", (double)f->iterations},
                {"converged", (double)f->converged},
                {"starts", (double)f->starts},
                {"converged_starts", (double)f->converged_starts}};
    for (size_t i = 0; i < sizeof nums / sizeof *nums; i++) {
        tbl_row(t);
        tbl_str(t, 0, nums[i].k);
        tbl_num(t, 1, nums[i].v);
    }
    for (size_t i = 0; i < f->P; i++) {
        tbl_row(t);
        tbl_str(t, 0, f->names[i]);
        tbl_num(t, 1, f->theta[i]);
    }
    for (size_t i = 0; i < f->P; i++) {
        if (!f->is_free[i])
            continue;
        char k[MODEL_NAME_MAX + 4];
        snprintf(k, sizeof k, "se_%s", f->names[i]);
        tbl_row(t);
        tbl_str(t, 0, k);
        tbl_num(t, 1, f->se[i]); /* empty when there is none */
    }
    if (f->nscale) { /* the profiled scale and its standard error */
        char k[MODEL_NAME_MAX + 4];
        tbl_row(t);
        tbl_str(t, 0, f->scale_name);
        tbl_num(t, 1, f->scale);
        snprintf(k, sizeof k, "se_%s", f->scale_name);
        tbl_row(t);
        tbl_str(t, 0, k);
        tbl_num(t, 1, f->scale_se);
    }
    tbl_print(t, &s->out, 1, 0);
    tbl_free(t);
}

static void print_fit(session *s, const char *name, const void *p)
{
    const fit_result *f = p;
    if (s->csv) {
        print_csv(s, f);
        return;
    }
    session_printf(s, "%s: maximum-likelihood fit of %s (%s) to %s, n=%zu, "
                      "method %s\n",
                   name ? name : "fit", f->source, f->kind, f->data, f->n,
                   f->method);
    tbl *t = tbl_alloc(4);
    if (!t)
        return;
    tbl_header(t, 0, "param");
    tbl_header(t, 1, "estimate");
    tbl_header(t, 2, "se");
    tbl_header(t, 3, "");
    for (size_t i = 0; i < f->P; i++) {
        tbl_row(t);
        tbl_str(t, 0, f->names[i]);
        tbl_num(t, 1, f->theta[i]);
        if (f->is_free[i] && f->have_se)
            tbl_num(t, 2, f->se[i]);
        else
            tbl_str(t, 2, "-");
        tbl_str(t, 3, f->is_free[i] ? "free" : "fixed");
    }
    if (f->nscale) {
        tbl_row(t);
        tbl_str(t, 0, f->scale_name);
        tbl_num(t, 1, f->scale);
        tbl_num(t, 2, f->scale_se);
        tbl_str(t, 3, "profiled");
    }
    tbl_print(t, &s->out, 0, 2);
    tbl_free(t);
    session_printf(s, "  loglik %.12g (highest at a start point: %.12g)\n",
                   f->loglik, f->start_loglik_max);
    if (f->nscale)
        session_printf(s, "  k=%zu (%zu free + %s profiled): AIC %.10g  "
                          "BIC %.10g  MDL %.10g\n",
                       f->k + f->nscale, f->k, f->scale_name, f->aic, f->bic,
                       f->mdl);
    else
        session_printf(s, "  k=%zu free: AIC %.10g  BIC %.10g  MDL %.10g\n",
                       f->k, f->aic, f->bic, f->mdl);
    if (f->k > 0)
        session_printf(s, "  %s after %zu iteration%s (start %zu of %zu; "
                          "%zu converged): %s\n",
                       f->converged ? "converged" : "NOT converged",
                       f->iterations, f->iterations == 1 ? "" : "s",
                       f->best_start + 1, f->starts, f->converged_starts,
                       f->why);
    else
        session_printf(s, "  %s\n", f->why);
    if (f->interrupted)
        session_printf(s, "  interrupted (Ctrl-C) after %zu of %zu starts: "
                          "the best of those is kept\n",
                       f->starts, f->starts_asked);
    session_printf(s, "  on a bound: %s\n", f->bound[0] ? f->bound : "no");
    session_printf(s, "  within %.3g (%g/sqrt(n)) of a singular set: %s\n",
                   f->near, FIT_NEAR_SINGULAR,
                   f->singular[0] ? f->singular : "no");
    session_printf(s, "  standard errors: %s\n", f->se_why);
    if (f->note[0])
        session_printf(s, "  %s\n", f->note);
}

static void export_fit(session *s, const char *name, const void *p, int part)
{
    (void)name;
    (void)part;
    print_csv(s, p);
}

static void origin_fit(const void *p, obj_origin *o)
{
    const fit_result *f = p;
    o->model = f->source;
    o->kind = f->kind;
    o->point = f->theta;
    o->npoint = f->P;
    o->point_word = "estimate";
}

static void free_fit(void *p) { fit_result_free(p); }

const obj_type obj_fit = {
    .name = "fit",
    .free = free_fit,
    .print = print_fit,
    .export_rows = export_fit,
    .origin = origin_fit,
};

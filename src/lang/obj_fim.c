/* The FIM class: the matrix (with standard errors when sampled) for
 * `show` and `export`, a matrix of cells for `plot`. */
#include "lang/commands.h"
#include "lang/render.h"
#include "lang/results.h"

#include "core/interrupt.h"
#include "core/table.h"
#include "plot/plot.h"

#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fim/estimator.h"

void obj_fim_describe(char *buf, size_t n, const fim_result *f)
{
    switch (f->method) {
    case FIM_EXACT:
        snprintf(buf, n, "exact FIM (expected, per observation)");
        break;
    case FIM_MC:
        snprintf(buf, n, "mc FIM (Monte-Carlo, %zu draws%s)", f->n,
                 f->interrupted ? ", interrupted" : "");
        break;
    case FIM_EMPIRICAL:
        snprintf(buf, n, "empirical FIM (outer products of scores, %zu "
                         "observations)", f->n);
        break;
    case FIM_OBSERVED:
        snprintf(buf, n, "observed information (minus mean Hessian, %zu "
                         "observations)", f->n);
        break;
    }
}

static void print_matrix(session *s, const fim_result *f, const gsl_matrix *A,
                         int indent)
{
    tbl *t = tbl_alloc(f->k + 1);
    tbl_header(t, 0, "param");
    for (size_t j = 0; j < f->k; j++)
        tbl_header(t, j + 1, f->names[j]);
    for (size_t i = 0; i < f->k; i++) {
        tbl_row(t);
        tbl_str(t, 0, f->names[i]);
        for (size_t j = 0; j < f->k; j++)
            tbl_num(t, j + 1, gsl_matrix_get(A, i, j));
    }
    tbl_print(t, &s->out, s->csv, indent);
    tbl_free(t);
}

/* CSV: one row per parameter, its column of G under the parameter names;
 * a sampled FIM (mc, empirical) adds se_NAME columns holding the standard
 * error of the entry in the same row and the column NAME. */
static void print_matrix_csv(session *s, const fim_result *f)
{
    size_t k = f->k, ncol = 1 + k + (f->se ? k : 0);
    tbl *t = tbl_alloc(ncol);
    tbl_header(t, 0, "param");
    for (size_t j = 0; j < k; j++) {
        tbl_header(t, j + 1, f->names[j]);
        if (f->se) {
            char h[MODEL_NAME_MAX + 4];
            snprintf(h, sizeof h, "se_%s", f->names[j]);
            tbl_header(t, 1 + k + j, h);
        }
    }
    for (size_t i = 0; i < k; i++) {
        tbl_row(t);
        tbl_str(t, 0, f->names[i]);
        for (size_t j = 0; j < k; j++) {
            tbl_num(t, j + 1, gsl_matrix_get(f->G, i, j));
            if (f->se)
                tbl_num(t, 1 + k + j, gsl_matrix_get(f->se, i, j));
        }
    }
    tbl_print(t, &s->out, 1, 0);
    tbl_free(t);
}

static void print_fim(session *s, const fim_result *f)
{
    const char *model_name = f->source;
    if (s->csv) {
        print_matrix_csv(s, f);
        return;
    }
    char what[160];
    obj_fim_describe(what, sizeof what, f);
    session_printf(s, "%s (%s): %s\n", model_name, f->model_kind, what);
    print_matrix(s, f, f->G, 2);
    for (size_t i = 0; f->method != FIM_OBSERVED && i < f->k; i++)
        if (gsl_matrix_get(f->G, i, i) < 0) {
            session_printf(s, "  (rounding at these extreme parameter "
                              "values: G is not exactly positive "
                              "semi-definite; `eig` shows what is "
                              "resolved)\n");
            break;
        }
    if (f->se) {
        session_printf(s, "  standard errors:\n");
        print_matrix(s, f, f->se, 2);
    }
    if (f->interrupted)
        session_printf(s, "  (interrupted: %zu of %zu draws were used)\n",
                       f->n, f->n_requested);
    if (f->warning[0])
        session_printf(s, "  warning: %s\n", f->warning);
}
static ss_status draw_fim(const render_request *req, const fim_result *f,
                          canvas *c)
{
    size_t k = f->k;
    double *z = malloc(k * k * sizeof *z);
    if (!z)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < k; i++)
        for (size_t j = 0; j < k; j++)
            z[i * k + j] = gsl_matrix_get(f->G, i, j);
    const char **names = calloc(k, sizeof *names);
    if (!names) {
        free(z);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < k; i++)
        names[i] = f->names ? f->names[i] : NULL;
    plot_opts o;
    plot_opts_init(&o);
    char title[160];
    snprintf(title, sizeof title, "%s: %s FIM", f->source,
             fim_method_name(f->method));
    o.title = render_title_or(req, title);
    o.palette = req->palette;
    o.zmin = req->zmin;
    o.zmax = req->zmax;
    ss_status rc = plot_matrix(c, z, k, k, names, names, &o);
    free(names);
    free(z);
    return rc;
}

static void free_fim(void *p) { fim_result_free(p); }

static void show_fim(session *s, const char *name, const void *p)
{
    (void)name;
    print_fim(s, p);
}

static void origin_fim(const void *p, obj_origin *o)
{
    const fim_result *f = p;
    o->model = f->source;
    o->kind = f->model_kind;
}

static ss_status draw(session *s, const render_request *req, const void *p,
                      canvas *c)
{
    (void)s;
    return draw_fim(req, p, c);
}

const obj_type obj_fim = {
    .name = "FIM",
    .free = free_fim,
    .print = show_fim,
    .origin = origin_fim,
    .draw = draw,
    .picture = "a FIM matrix",
    .plot_keys = "range palette",
    .min_w = 20,
    .min_h = 6,
};

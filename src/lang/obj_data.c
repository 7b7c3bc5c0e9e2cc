/* The data-set class: a summary for `show`, every row (streamed) for
 * `export`, a picture chosen by the kind of data (a histogram with the
 * density the data came from, a scatter of a regression, a series). */
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

static void print_data(session *s, const char *name, const dataset *d)
{
    if (!s->csv && d->file)
        session_printf(s, "%s: data set of %zu observations loaded from "
                          "%s\n",
                       name, d->X->size1, d->file);
    else if (!s->csv)
        session_printf(s, "%s: data set of %zu observations drawn from %s "
                          "(%s)\n",
                       name, d->X->size1, d->from, d->kind);
    tbl *t = tbl_alloc(6);
    const char *h[] = {"column", "mean", "sd", "min", "max", "n"};
    for (size_t j = 0; j < 6; j++)
        tbl_header(t, j, h[j]);
    for (size_t c = 0; c < d->X->size2; c++) {
        gsl_vector_const_view col = gsl_matrix_const_column(d->X, c);
        const double *x = col.vector.data;
        size_t stride = col.vector.stride, n = col.vector.size;
        tbl_row(t);
        tbl_str(t, 0, d->colnames[c]);
        tbl_num(t, 1, gsl_stats_mean(x, stride, n));
        tbl_num(t, 2, n > 1 ? gsl_stats_sd(x, stride, n) : 0.0);
        tbl_num(t, 3, gsl_stats_min(x, stride, n));
        tbl_num(t, 4, gsl_stats_max(x, stride, n));
        tbl_num(t, 5, (double)n);
    }
    tbl_print(t, &s->out, s->csv, s->csv ? 0 : 2);
    tbl_free(t);
}

static void data_row(void *ctx, size_t i, double *v)
{
    const gsl_matrix *X = ctx;
    for (size_t c = 0; c < X->size2; c++)
        v[c] = gsl_matrix_get(X, i, c);
}

/* A data set's rows, fetched one at a time (no copy of the table in
 * memory): export streams them as a job. */
static int table_data(const void *p, int part, obj_table *out)
{
    (void)part;
    const dataset *d = p;
    out->head = calloc(d->X->size2 ? d->X->size2 : 1, sizeof *out->head);
    if (!out->head)
        return 0;
    for (size_t c = 0; c < d->X->size2; c++)
        out->head[c] = d->colnames[c];
    out->ncols = d->X->size2;
    out->nrows = d->X->size1;
    out->row = data_row;
    out->ctx = d->X;
    return 1;
}

void dataset_free(dataset *d)
{
    if (!d)
        return;
    if (d->X)
        gsl_matrix_free(d->X);
    free(d->colnames);
    free(d->file);
    model_free(d->gen);
    free(d);
}
/* Whether the model a data set came from has changed (or gone) since the
 * draw: a different kind, parameter count, option or parameter value. */
static int data_stale(session *s, const dataset *d)
{
    ss_obj *mo = session_find(s, d->from);
    if (!d->gen || !mo || mo->type != &obj_model)
        return 1;
    const model *now = mo->ptr, *then = d->gen;
    if (now->type != then->type || now->P != then->P)
        return 1;
    for (size_t i = 0; i < now->P; i++)
        if (memcmp(&now->theta[i], &then->theta[i], sizeof(double)) != 0)
            return 1;
    for (size_t i = 0; i < now->type->nopts; i++)
        if (memcmp(&now->opt[i], &then->opt[i], sizeof(double)) != 0 ||
            now->opt_choice[i] != then->opt_choice[i] ||
            now->optvec[i].n != then->optvec[i].n ||
            (now->optvec[i].n &&
             memcmp(now->optvec[i].v, then->optvec[i].v,
                    now->optvec[i].n * sizeof(double)) != 0))
            return 1;
    return 0;
}

/* Data: a mixture sample as a histogram with its model's density; a
 * perceptron sample as y against x1; a series as a line. */
static ss_status draw_data(session *s, const render_request *req,
                           const dataset *d, canvas *c)
{
    size_t n = d->X->size1, cols = d->X->size2;
    plot_opts o;
    plot_opts_init(&o);
    char title[256];
    ss_status rc;
    /* the picture follows the kind of data, not the family's name; a
     * loaded table: a scatter of its last column against its first, one
     * column a histogram */
    model_data_kind kind = d->gen    ? d->gen->type->data_kind
                           : cols > 1 ? MODEL_DATA_REGRESSION
                                      : MODEL_DATA_IID;
    const char *from = d->file ? d->file : d->from;
    if (kind == MODEL_DATA_REGRESSION) {
        gsl_vector_const_view xv = gsl_matrix_const_column(d->X, 0);
        gsl_vector_const_view yv = gsl_matrix_const_column(d->X, cols - 1);
        double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
        if (!x || !y) {
            free(x), free(y);
            return SS_FAIL(SS_ERR_NOMEM, "out of memory");
        }
        for (size_t i = 0; i < n; i++) {
            x[i] = gsl_vector_get(&xv.vector, i);
            y[i] = gsl_vector_get(&yv.vector, i);
        }
        plot_series sr = {x, y, n, NULL, 0, 1, 0};
        snprintf(title, sizeof title, "%s: %zu observations from %s%s",
                 req->object, n, from,
                 !d->file && data_stale(s, d) ? " (changed since)" : "");
        o.title = render_title_or(req, title);
        o.xlabel = d->colnames[0];
        o.ylabel = d->colnames[cols - 1];
        rc = plot_xy(c, &sr, 1, &o);
        free(x), free(y);
        return rc;
    }
    double *x = malloc(n * sizeof *x);
    if (!x)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        x[i] = gsl_matrix_get(d->X, i, 0);
    if (kind == MODEL_DATA_SERIES) {
        double *t = malloc(n * sizeof *t);
        if (!t) {
            free(x);
            return SS_FAIL(SS_ERR_NOMEM, "out of memory");
        }
        for (size_t i = 0; i < n; i++)
            t[i] = (double)(i + 1);
        plot_series sr = {t, x, n, NULL, 0, 0, 0};
        snprintf(title, sizeof title, "%s: series of %zu from %s%s",
                 req->object, n, from,
                 !d->file && data_stale(s, d) ? " (changed since)" : "");
        o.title = render_title_or(req, title);
        o.xlabel = "t";
        o.ylabel = "x";
        rc = plot_xy(c, &sr, 1, &o);
        free(t), free(x);
        return rc;
    }
    /* histogram, with the density the data were drawn from (the model as
     * it was then); the title says when the model has changed since */
    double cx[200], cy[200];
    size_t nc = 0;
    const model *m = d->gen;
    int stale = !d->file && data_stale(s, d);
    if (m) {
        double lo = x[0], hi = x[0];
        for (size_t i = 1; i < n; i++)
            lo = fmin(lo, x[i]), hi = fmax(hi, x[i]);
        gsl_matrix *G = gsl_matrix_alloc(200, 1);
        if (G && hi > lo) {
            for (size_t i = 0; i < 200; i++)
                gsl_matrix_set(G, i, 0, lo + (hi - lo) * (double)i / 199.0);
            double ell[200];
            if (m->type->loglik_terms(m, m->theta, G, ell, NULL) == SS_OK) {
                for (size_t i = 0; i < 200; i++) {
                    cx[i] = gsl_matrix_get(G, i, 0);
                    cy[i] = exp(ell[i]);
                }
                nc = 200;
            }
        }
        if (G)
            gsl_matrix_free(G);
        ss_clear_error();
    }
    snprintf(title, sizeof title, "%s: %zu %s %s%s%s", req->object, n,
             d->file ? "values from" : "draws from", from,
             stale ? " (changed since)" : "",
             nc ? " with its density" : "");
    o.title = render_title_or(req, title);
    o.xlabel = d->colnames[0];
    o.ylabel = "density";
    rc = plot_histogram(c, x, n, 0, nc ? cx : NULL, nc ? cy : NULL, nc, &o);
    free(x);
    return rc;
}

static void free_data(void *p) { dataset_free(p); }

static void show_data(session *s, const char *name, const void *p)
{
    print_data(s, name, p);
}

static void origin_data(const void *p, obj_origin *o)
{
    const dataset *d = p;
    o->model = d->from;
    o->kind = d->file ? NULL : d->kind;
}

static ss_status draw(session *s, const render_request *req, const void *p,
                      canvas *c)
{
    return draw_data(s, req, p, c);
}

const obj_type obj_data = {
    .name = "data set",
    .free = free_data,
    .print = show_data,
    .export_table = table_data,
    .origin = origin_data,
    .draw = draw,
    .picture = "a data picture",
    .plot_keys = "",
    .min_w = 30,
    .min_h = 8,
};

/* The path class: the points and the power-law fits for `show`; in CSV
 * the two tables go to two files (NAME.csv, NAME.fit.csv); the
 * eigenvalues against the distance to the singular set for `plot`. */
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
#include "fim/path.h"

static void print_path(session *s, const path_result *p)
{
    size_t k = p->k;
    if (!s->csv) {
        session_printf(s, "%s: %s FIM eigenvalues along %s (%zu of %zu "
                          "steps%s)\n",
                       p->source, fim_method_name(p->method),
                       strcmp(p->axis, "t") == 0 ? "a segment (t from 0 to 1)"
                                                 : p->axis,
                       p->done, p->npts,
                       p->interrupted ? ", interrupted" : "");
        if (p->set_name[0])
            session_printf(s, "  distance d to the singular set %s\n",
                           p->set_name);
    }
    tbl *t = tbl_alloc(k + 6);
    tbl_header(t, 0, "step");
    tbl_header(t, 1, p->axis);
    tbl_header(t, 2, "distance");
    for (size_t j = 0; j < k; j++) {
        char h[32];
        snprintf(h, sizeof h, "lambda%zu", j + 1);
        tbl_header(t, 3 + j, h);
    }
    tbl_header(t, 3 + k, "logdet");
    tbl_header(t, 4 + k, "cond");
    tbl_header(t, 5 + k, "rank");
    for (size_t i = 0; i < p->done; i++) {
        tbl_row(t);
        tbl_num(t, 0, (double)(i + 1));
        tbl_num(t, 1, p->t[i]);
        tbl_num(t, 2, p->dist[i]);
        for (size_t j = 0; j < k; j++) {
            double l = gsl_matrix_get(p->eval, i, j);
            if (fabs(l) <= p->floor[i] && !s->csv)
                tbl_str(t, 3 + j, "<floor");
            else
                tbl_num(t, 3 + j, fabs(l) <= p->floor[i] ? NAN : l);
        }
        tbl_num(t, 3 + k, p->logdet[i]);
        tbl_num(t, 4 + k, p->cond[i]);
        tbl_num(t, 5 + k, (double)p->rank[i]);
    }
    tbl_print(t, &s->out, s->csv, s->csv ? 0 : 2);
    tbl_free(t);

    if (s->csv)
        ss_sink_puts(&s->out, "\n");
    else
        session_printf(s, "  power laws lambda ~ C d^k (fit over the points "
                          "nearest the set, eigenvalues above the floor):\n");
    tbl *f = tbl_alloc(s->csv ? 5 : 5);
    tbl_header(f, 0, "eigenvalue");
    tbl_header(f, 1, "exponent");
    tbl_header(f, 2, s->csv ? "exponent_unc" : "+-");
    tbl_header(f, 3, "prefactor");
    tbl_header(f, 4, s->csv ? "points" : "behaviour");
    for (size_t j = 0; j < k; j++) {
        char name[32], what[96];
        snprintf(name, sizeof name, "lambda%zu", j + 1);
        tbl_row(f);
        tbl_str(f, 0, name);
        if (s->csv) {
            tbl_num(f, 1, p->nfit[j] ? p->expo[j] : NAN);
            tbl_num(f, 2, p->nfit[j] ? p->expo_unc[j] : NAN);
            tbl_num(f, 3, p->nfit[j] ? p->prefactor[j] : NAN);
            tbl_num(f, 4, (double)p->nfit[j]);
            continue;
        }
        path_fit_verdict(p, j, what, sizeof what);
        if (p->nfit[j]) {
            char e[32], se[32], c[32];
            snprintf(e, sizeof e, "%.4f", p->expo[j]);
            if (isnan(p->expo_unc[j]))
                snprintf(se, sizeof se, "?");
            else
                snprintf(se, sizeof se, "%.2g", p->expo_unc[j]);
            snprintf(c, sizeof c, "%.6g", p->prefactor[j]);
            tbl_str(f, 1, e);
            tbl_str(f, 2, se);
            tbl_str(f, 3, c);
        }
        tbl_str(f, 4, what);
    }
    tbl_print(f, &s->out, s->csv, s->csv ? 0 : 2);
    tbl_free(f);
}
/* Eigenvalues against the distance to the singular set, log-log, with
 * the fitted power laws dashed: the picture of degeneracy. */
static ss_status draw_path(const render_request *req, const path_result *p,
                           canvas *c)
{
    size_t n = p->done, k = p->k;
    int have_dist = p->set_name[0] != 0;
    for (size_t i = 0; i < n && have_dist; i++)
        if (!(p->dist[i] > 0))
            have_dist = 0;
    double *x = malloc((n ? n : 1) * sizeof *x);
    double *y = malloc((n * k > 0 ? n * k : 1) * sizeof *y);
    double *fx = malloc(2 * k * sizeof *fx), *fy = malloc(2 * k * sizeof *fy);
    plot_series *s = calloc(2 * k, sizeof *s);
    char(*labels)[48] = calloc(2 * k, sizeof *labels);
    if (!x || !y || !fx || !fy || !s || !labels) {
        free(x), free(y), free(fx), free(fy), free(s), free(labels);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    double dmin = INFINITY, dmax = 0;
    for (size_t i = 0; i < n; i++) {
        x[i] = have_dist ? p->dist[i] : p->t[i];
        dmin = fmin(dmin, x[i]);
        dmax = fmax(dmax, x[i]);
    }
    size_t ns = 0;
    for (size_t j = 0; j < k; j++) {
        for (size_t i = 0; i < n; i++) {
            double l = gsl_matrix_get(p->eval, i, j);
            y[j * n + i] = l > p->floor[i] ? l : NAN; /* floor: no noise */
        }
        snprintf(labels[ns], sizeof labels[ns], "lambda%zu", j + 1);
        s[ns] = (plot_series){x, y + j * n, n, labels[ns], (int)(j % 8), 0,
                              0};
        ns++;
    }
    /* fitted laws over the fitted distance range */
    for (size_t j = 0; j < k && have_dist; j++) {
        if (p->nfit[j] == 0 || p->fit_dmax[j] < 10 * p->fit_dmin[j])
            continue;
        fx[2 * j] = p->fit_dmin[j];
        fx[2 * j + 1] = p->fit_dmax[j];
        for (int e = 0; e < 2; e++)
            fy[2 * j + e] = p->prefactor[j] * pow(fx[2 * j + e], p->expo[j]);
        snprintf(labels[ns], sizeof labels[ns], "fit d^%.2f", p->expo[j]);
        s[ns] = (plot_series){fx + 2 * j, fy + 2 * j, 2, labels[ns], -1, 0,
                              1};
        ns++;
    }
    plot_opts o;
    plot_opts_init(&o);
    char title[160], xl[96];
    snprintf(title, sizeof title, "%s: %s FIM eigenvalues along %s",
             p->source, fim_method_name(p->method), p->axis);
    if (have_dist)
        snprintf(xl, sizeof xl, "distance to %s", p->set_name);
    else
        snprintf(xl, sizeof xl, "%s", p->axis);
    o.title = render_title_or(req, title);
    o.xlabel = xl;
    o.ylabel = "eigenvalue";
    o.xlog = req->logx >= 0 ? req->logx : (have_dist && dmax > 30 * dmin);
    o.ylog = req->logy >= 0 ? req->logy : 1;
    o.legend = 1;
    ss_status rc = plot_xy(c, s, ns, &o);
    free(x), free(y), free(fx), free(fy), free(s), free(labels);
    return rc;
}

static void free_path(void *p) { path_result_free(p); }

static void show_path(session *s, const char *name, const void *p)
{
    (void)name;
    print_path(s, p);
}

/* The printer writes its CSV as two tables separated by an empty line
 * (points, then fits): keep the one asked for. */
static void export_path(session *s, const char *name, const void *p,
                        int part)
{
    (void)name;
    if (!s->csv) {
        print_path(s, p);
        return;
    }
    ss_sink out = s->out;
    ss_membuf mb = {0};
    s->out = ss_sink_mem(&mb);
    print_path(s, p);
    s->out = out;
    const char *all = mb.buf ? mb.buf : "";
    const char *gap = strstr(all, "\n\n");
    if (part == 0)
        out.write(out.ctx, all, gap ? (size_t)(gap - all) + 1 : strlen(all));
    else if (gap)
        ss_sink_puts(&out, gap + 2);
    ss_membuf_free(&mb);
}

/* A path records the points it visited: it starts at the first. */
static void origin_path(const void *v, obj_origin *o)
{
    const path_result *p = v;
    o->model = p->source;
    if (p->theta && p->done > 0) {
        o->point = gsl_matrix_const_ptr(p->theta, 0, 0);
        o->npoint = p->theta->size2;
        o->point_word = "starting at";
    }
}

static ss_status draw(session *s, const render_request *req, const void *p,
                      canvas *c)
{
    (void)s;
    return draw_path(req, p, c);
}

static const char *const path_parts[] = {"points", "power-law fits"};

const obj_type obj_path = {
    .name = "path",
    .free = free_path,
    .print = show_path,
    .export_rows = export_path,
    .nparts = 2,
    .part_names = path_parts,
    .origin = origin_path,
    .draw = draw,
    .picture = "a path picture",
    .plot_keys = "logx logy",
    .min_w = 30,
    .min_h = 10,
};

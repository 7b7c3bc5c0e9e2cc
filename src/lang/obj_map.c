/* The map class: the summary (or, in CSV, every point) for `show` and
 * `export`, a heat map with the singular sets drawn for `plot`. */
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
#include "fim/map.h"

static void print_map(session *s, const map_result *r)
{
    size_t cells = r->nx * r->ny;
    if (s->csv) {
        tbl *t = tbl_alloc(5);
        tbl_header(t, 0, r->xname);
        tbl_header(t, 1, r->yname);
        tbl_header(t, 2, map_stat_name(r->stat));
        tbl_header(t, 3, "status");
        tbl_header(t, 4, "singular_set");
        for (size_t j = 0; j < r->rows_done; j++)
            for (size_t i = 0; i < r->nx; i++) {
                size_t c = j * r->nx + i;
                tbl_row(t);
                tbl_num(t, 0, map_x(r, i));
                tbl_num(t, 1, map_y(r, j));
                tbl_num(t, 2, r->val[c]);
                tbl_str(t, 3, r->status[c] == MAP_CELL_OK ? "ok"
                              : r->status[c] == MAP_CELL_INVALID
                                  ? "invalid"
                                  : "failed");
                tbl_str(t, 4, r->sing[c] >= 0 ? r->set_names[r->sing[c]]
                                              : "");
            }
        tbl_print(t, &s->out, 1, 0);
        tbl_free(t);
        return;
    }
    session_printf(s, "%s (%s): %s of the %s over %s in [%g, %g] x "
                      "%s in [%g, %g], %zux%zu points%s\n",
                   r->source, r->model_kind, map_stat_name(r->stat),
                   r->fim_label[0] ? r->fim_label : "exact FIM", r->xname,
                   r->x0, r->x1, r->yname, r->y0, r->y1, r->nx, r->ny,
                   r->interrupted ? " (interrupted)" : "");
    if (r->interrupted)
        session_printf(s, "  %zu of %zu rows finished\n", r->rows_done,
                       r->ny);
    if (r->has_min) {
        size_t i = r->imin % r->nx, j = r->imin / r->nx;
        char v[32];
        tbl_format_num(v, sizeof v, r->val[r->imin], 0);
        session_printf(s, "  minimum %s at %s = %.6g, %s = %.6g%s\n", v,
                       r->xname, map_x(r, i), r->yname, map_y(r, j),
                       r->sing[r->imin] >= 0 ? " (on the singular set)" : "");
    }
    if (r->n_floor)
        session_printf(s, "  %zu point%s where the smallest eigenvalue is at "
                          "the numerical floor (FIM singular there)\n",
                       r->n_floor, r->n_floor == 1 ? "" : "s");
    if (r->n_invalid)
        session_printf(s, "  %zu point%s outside the valid region\n",
                       r->n_invalid, r->n_invalid == 1 ? "" : "s");
    if (r->n_failed)
        session_printf(s, "  %zu point%s where the FIM could not be "
                          "computed\n",
                       r->n_failed, r->n_failed == 1 ? "" : "s");
    for (size_t q = 0; q < r->nsets; q++) {
        size_t n = 0;
        for (size_t c = 0; c < cells; c++)
            n += r->sing[c] == (signed char)q;
        if (n)
            session_printf(s, "  singular set %s crosses %zu point%s\n",
                           r->set_names[q], n, n == 1 ? "" : "s");
    }
    if (r->nx * r->ny > 441) {
        session_printf(s, "  (`export RESULT FILE.csv` writes every "
                          "point; --format csv prints them)\n");
        return;
    }
    /* small maps: the grid itself, y down the rows; * marks the set */
    tbl *t = tbl_alloc(r->nx + 1);
    char h[2 * MODEL_NAME_MAX + 8];
    snprintf(h, sizeof h, "%s \\ %s", r->yname, r->xname);
    tbl_header(t, 0, h);
    for (size_t i = 0; i < r->nx; i++) {
        snprintf(h, sizeof h, "%.4g", map_x(r, i));
        tbl_header(t, i + 1, h);
    }
    for (size_t jj = r->rows_done; jj-- > 0;) {
        tbl_row(t);
        snprintf(h, sizeof h, "%.4g", map_y(r, jj));
        tbl_str(t, 0, h);
        for (size_t i = 0; i < r->nx; i++) {
            size_t c = jj * r->nx + i;
            char v[48];
            if (r->status[c] != MAP_CELL_OK)
                snprintf(v, sizeof v, "%s",
                         r->status[c] == MAP_CELL_INVALID ? "invalid"
                                                          : "failed");
            else
                snprintf(v, sizeof v, "%.4g%s", r->val[c],
                         r->sing[c] >= 0 ? "*" : "");
            tbl_str(t, i + 1, v);
        }
    }
    tbl_print(t, &s->out, 0, 2);
    tbl_free(t);
    session_printf(s, "  (* marks points within a grid step of a singular "
                      "set)\n");
}
static ss_status draw_map(const render_request *req, const map_result *r,
                          canvas *c)
{
    unsigned char *mark = calloc(r->nx * r->ny, 1);
    if (!mark)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    /* rows not finished (interrupted) stay blank */
    double *z = malloc(r->nx * r->ny * sizeof *z);
    if (!z) {
        free(mark);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < r->nx * r->ny; i++)
        z[i] = i < r->rows_done * r->nx ? r->val[i] : NAN;
    int zlog = r->stat == MAP_LAMBDA_MIN || r->stat == MAP_COND;
    if (zlog) /* orders of magnitude; 0 is at the floor (-inf) */
        for (size_t i = 0; i < r->nx * r->ny; i++)
            z[i] = z[i] > 0 ? log10(z[i]) : (z[i] == 0 ? -INFINITY : z[i]);
    for (size_t i = 0; i < r->nx * r->ny; i++) /* one mark per set */
        mark[i] = r->sing[i] >= 0 ? (unsigned char)(r->sing[i] + 1) : 0;
    plot_opts o;
    plot_opts_init(&o);
    char title[200];
    snprintf(title, sizeof title, "%s: %s of the %s%s", r->source,
             map_stat_name(r->stat),
             r->fim_label[0] ? r->fim_label : "exact FIM",
             r->n_singular ? " (marked: singular set)" : "");
    o.title = render_title_or(req, title);
    o.xlabel = r->xname;
    o.ylabel = r->yname;
    o.zlog = zlog;
    o.palette = req->palette;
    o.zmin = req->zmin;
    o.zmax = req->zmax;
    if (zlog && (isfinite(req->zmin) || isfinite(req->zmax))) {
        if ((isfinite(req->zmin) && !(req->zmin > 0)) ||
            (isfinite(req->zmax) && !(req->zmax > 0))) {
            free(mark);
            free(z);
            return SS_FAIL(SS_ERR_RANGE,
                           "range= of a %s map must be positive (its "
                           "scale is logarithmic)",
                           map_stat_name(r->stat));
        }
        o.zmin = log10(req->zmin);
        o.zmax = log10(req->zmax);
    }
    ss_status rc = plot_heatmap(c, z, r->nx, r->ny, r->x0, r->x1, r->y0,
                                r->y1, mark, &o);
    free(mark);
    free(z);
    return rc;
}

static void free_map(void *p) { map_result_free(p); }

static void show_map(session *s, const char *name, const void *p)
{
    (void)name;
    print_map(s, p);
}

static void origin_map(const void *p, obj_origin *o)
{
    const map_result *r = p;
    o->model = r->source;
    o->kind = r->model_kind;
}

static ss_status draw(session *s, const render_request *req, const void *p,
                      canvas *c)
{
    (void)s;
    return draw_map(req, p, c);
}

const obj_type obj_map = {
    .name = "map",
    .free = free_map,
    .print = show_map,
    .origin = origin_map,
    .draw = draw,
    .picture = "a heat map",
    .plot_keys = "range palette",
    .min_w = 30,
    .min_h = 8,
};

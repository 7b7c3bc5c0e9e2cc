/* The replicate-table class: a summary per column for `show` (text, or
 * CSV with --format csv), one row per replicate for `export`, a histogram
 * of one column with its reference and its mean marked for `plot`. */
#include "lang/commands.h"
#include "lang/render.h"
#include "lang/shard.h"

#include "core/reptable.h"
#include "core/table.h"
#include "plot/plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "[0.3, 0, 1.5]" */
static void format_point(char *buf, size_t n, const reptable *t)
{
    size_t o = 0;
    o += (size_t)snprintf(buf + o, o < n ? n - o : 0, "[");
    for (size_t i = 0; i < t->npoint && o < n; i++)
        o += (size_t)snprintf(buf + o, o < n ? n - o : 0, "%s%.6g",
                              i ? ", " : "", t->point[i]);
    if (o < n)
        snprintf(buf + o, n - o, "]");
}

static void print_reptable(session *s, const char *name, const reptable *t)
{
    if (!s->csv) {
        char pt[512];
        format_point(pt, sizeof pt, t);
        session_printf(s, "%s: %zu replicate%s of the %s, n=%zu each, from "
                          "%s (%s) at %s, seed %llu\n",
                       name ? name : "replicates", t->ndone,
                       t->ndone == 1 ? "" : "s", t->what, t->n, t->source,
                       t->kind, pt, (unsigned long long)t->seed);
        if (t->exp.slice.n) {
            char sl[128];
            exp_origin_slice_text(&t->exp, sl, sizeof sl);
            session_printf(s, "  a shard: replicates %s; `export` it and "
                              "`merge` the shards\n",
                           sl);
        }
        if (t->interrupted)
            session_printf(s, "  interrupted: %zu of %zu replicates "
                              "finished (the first %zu)\n",
                           t->ndone, t->nrep, t->ndone);
    }
    static const char *h[] = {"column", "n",   "mean", "sd",  "se",
                              "q05",    "q50", "q95",  "min", "max",
                              "ref",    "z"};
    size_t nh = sizeof h / sizeof *h;
    tbl *tb = tbl_alloc(nh);
    if (!tb)
        return;
    for (size_t j = 0; j < nh; j++)
        tbl_header(tb, j, h[j]);
    int any_ref = 0;
    for (size_t c = 0; c < t->ncols; c++) {
        rt_summary m;
        if (reptable_summary(t, c, &m) != SS_OK) {
            ss_clear_error();
            continue;
        }
        tbl_row(tb);
        tbl_str(tb, 0, t->colnames[c]);
        tbl_num(tb, 1, (double)m.count);
        tbl_num(tb, 2, m.mean);
        tbl_num(tb, 3, m.sd);
        tbl_num(tb, 4, m.se);
        tbl_num(tb, 5, m.q05);
        tbl_num(tb, 6, m.q50);
        tbl_num(tb, 7, m.q95);
        tbl_num(tb, 8, m.min);
        tbl_num(tb, 9, m.max);
        double ref = t->ref[c];
        if (isfinite(ref)) {
            any_ref = 1;
            tbl_num(tb, 10, ref);
            tbl_num(tb, 11, m.se > 0 ? (m.mean - ref) / m.se : NAN);
        }
    }
    tbl_print(tb, &s->out, s->csv, s->csv ? 0 : 2);
    tbl_free(tb);
    if (!s->csv)
        session_printf(s, "  (n: finite values; se = sd/sqrt(n); %s)\n",
                       any_ref ? "ref: the exact FIM's value, z = "
                                 "(mean - ref)/se"
                               : "no exact FIM to compare with");
}

static void show_reptable(session *s, const char *name, const void *p)
{
    print_reptable(s, name, p);
}

static void rep_row(void *ctx, size_t i, double *v)
{
    const reptable *t = ctx;
    v[0] = (double)(t->first + i + 1); /* the experiment's numbering */
    for (size_t c = 0; c < t->ncols; c++) {
        double x = reptable_at(t, i, c);
        v[c + 1] = isfinite(x) ? x : NAN; /* empty in CSV */
    }
}

/* One row per replicate: its number and every column. */
static void export_reptable(session *s, const char *name, const void *p,
                            int part)
{
    (void)name;
    (void)part;
    const reptable *t = p;
    const char **head = calloc(t->ncols + 1, sizeof *head);
    if (!head)
        return;
    if (s->csv && t->exp.reps) /* what merge needs to read it back */
        exp_origin_write(s, &t->exp);
    head[0] = "rep";
    for (size_t c = 0; c < t->ncols; c++)
        head[c + 1] = t->colnames[c];
    tbl_print_numeric(&s->out, head, t->ncols + 1, t->ndone, rep_row,
                      (void *)t, s->csv, 0);
    free(head);
}

static void origin_reptable(const void *p, obj_origin *o)
{
    const reptable *t = p;
    o->model = t->source;
    o->kind = t->kind;
    o->point = t->point;
    o->npoint = t->npoint;
    o->point_word = "at";
}

/* col= by its name, or "w1,w2" for G[w1,w2]. */
static int find_col(const reptable *t, const char *name)
{
    int c = reptable_col(t, name);
    if (c < 0) {
        char g[RT_NAME_MAX + 4];
        snprintf(g, sizeof g, "G[%s]", name);
        c = reptable_col(t, g);
    }
    return c;
}

static ss_status draw_reptable(const render_request *req, const reptable *t,
                               canvas *c)
{
    int col = 0;
    if (req->col[0] && (col = find_col(t, req->col)) < 0) {
        char list[1024];
        size_t o = 0;
        for (size_t i = 0; i < t->ncols && o < sizeof list; i++)
            o += (size_t)snprintf(list + o, sizeof list - o, "%s%s",
                                  i ? ", " : "", t->colnames[i]);
        return SS_FAIL_COL(SS_ERR_NAME, req->col_col,
                           "no column '%s' in %s (columns: %s)", req->col,
                           req->object, list);
    }
    rt_summary m;
    ss_status st = reptable_summary(t, (size_t)col, &m);
    if (st != SS_OK)
        return st;
    if (m.count == 0)
        return SS_FAIL(SS_ERR_RANGE, "%s: no finite value of %s %s",
                       req->object, t->colnames[col],
                       t->ndone ? "in the replicates"
                                : "yet (no replicate finished)");
    double *x = malloc(t->ndone * sizeof *x);
    if (!x)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    for (size_t r = 0; r < t->ndone; r++)
        x[r] = reptable_at(t, r, (size_t)col);
    char lref[64], lmean[64], title[512];
    snprintf(lmean, sizeof lmean, "mean %.4g", m.mean);
    snprintf(lref, sizeof lref, "exact %.4g", t->ref[col]);
    plot_mark mk[2] = {{m.mean, lmean, 1, 0}, {t->ref[col], lref, -1, 1}};
    size_t nmk = isfinite(t->ref[col]) ? 2 : 1;
    char count[64];
    if (t->ndone < t->nrep)
        snprintf(count, sizeof count, "%zu of %zu replicates", t->ndone,
                 t->nrep);
    else
        snprintf(count, sizeof count, "%zu replicate%s", t->ndone,
                 t->ndone == 1 ? "" : "s");
    snprintf(title, sizeof title, "%s: %s over %s of the %s (n=%zu)",
             req->object, t->colnames[col], count, t->what, t->n);
    plot_opts o;
    plot_opts_init(&o);
    o.title = render_title_or(req, title);
    o.xlabel = t->colnames[col];
    o.ylabel = "density";
    st = plot_histogram_marked(c, x, t->ndone, (size_t)req->bins, NULL, NULL,
                               0, mk, nmk, &o);
    free(x);
    return st;
}

static ss_status draw(session *s, const render_request *req, const void *p,
                      canvas *c)
{
    (void)s;
    return draw_reptable(req, p, c);
}

static void free_reptable(void *p) { reptable_free(p); }

const obj_type obj_reptable = {
    .name = "replicate table",
    .free = free_reptable,
    .print = show_reptable,
    .export_rows = export_reptable,
    .origin = origin_reptable,
    .draw = draw,
    .picture = "a replicate histogram",
    .plot_keys = "col bins",
    .min_w = 30,
    .min_h = 8,
};

/* The phase-portrait class (learn/portrait.h).
 *
 * `show`: what made it, the singular lines of the plane, the overlap
 * line's analysis (kappa, the attracting/repelling rule), how many starts
 * landed where, the reduced theory's prediction against the landings
 * (split portraits), and one row per start. `export`: every trajectory's
 * records in one CSV table with a start column. `plot`: one path per
 * start (captured, escaped and the rest in three line styles), the starts
 * as +, the teacher as x, the singular lines of the plane dashed and the
 * split overlap line as a heavy bar where it attracts and a thin long-
 * dashed line where it repels, each named in the legend. */
#include "lang/commands.h"
#include "lang/render.h"
#include "lang/results.h"

#include "core/table.h"
#include "learn/portrait.h"
#include "plot/plot.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void free_portrait(void *p) { learn_portrait_free(p); }

static const char *algo_name(const learn_portrait *p)
{
    return p->algo == FLOW_GD ? "gd" : "ngd";
}

/* The split overlap line, or NULL. */
static const portrait_line *split_line(const learn_portrait *p)
{
    for (size_t i = 0; i < p->nlines; i++)
        if (p->lines[i].split)
            return &p->lines[i];
    return NULL;
}

/* Which part of a split line the along-coordinate value a is on. */
static int line_attracts(const portrait_line *l, double a)
{
    size_t part = 0;
    while (part < l->nat && a > l->at[part])
        part++;
    return l->attract[part];
}

/* F(z) = ln((1 + z^2)^2 / (4 z^2)), H = u^2 - w*^2 F(z) (theory.md §6). */
static double reduced_H(const learn_portrait *p, double z, double u)
{
    double F = log((1 + z * z) * (1 + z * z) / (4 * z * z));
    return u * u - p->w_line * p->w_line * F;
}

/* The start's z and u (split portraits: the plane is (z, u) in some
 * order). */
static void start_zu(const learn_portrait *p, const portrait_start *s,
                     int end, double *z, double *u)
{
    int zx = strcmp(p->xname, "z") == 0;
    double x = end ? s->x_end : s->x0, y = end ? s->y_end : s->y0;
    *z = zx ? x : y;
    *u = zx ? y : x;
}

/* The reduced theory's prediction: 1 captured, 0 escapes. */
static int predicted_capture(const learn_portrait *p, const portrait_start *s)
{
    double z, u;
    start_zu(p, s, 0, &z, &u);
    const portrait_line *l = split_line(p);
    return l && line_attracts(l, z) && reduced_H(p, z, u) < 0;
}

static void print_lines(session *s, const learn_portrait *p)
{
    if (!p->nlines) {
        session_printf(s, "  no singular set is a coordinate line of the "
                          "plane in the box\n");
        return;
    }
    session_printf(s, "  singular sets that are lines of the plane:");
    for (size_t i = 0; i < p->nlines; i++)
        session_printf(s, "%s %s (%s = %g)", i ? "," : "", p->lines[i].name,
                       p->lines[i].on_y ? p->yname : p->xname,
                       p->lines[i].c);
    session_printf(s, "\n");
}

static void start_table(session *s, const learn_portrait *p)
{
    const portrait_line *l = split_line(p);
    size_t nc = 10 + (l != NULL), c = 0;
    tbl *t = tbl_alloc(nc);
    if (!t)
        return;
    char h[4][MODEL_NAME_MAX + 8];
    snprintf(h[0], sizeof h[0], "%s0", p->xname);
    snprintf(h[1], sizeof h[1], "%s0", p->yname);
    snprintf(h[2], sizeof h[2], "%s_end", p->xname);
    snprintf(h[3], sizeof h[3], "%s_end", p->yname);
    tbl_header(t, c++, "start");
    tbl_header(t, c++, h[0]);
    tbl_header(t, c++, h[1]);
    if (l)
        tbl_header(t, c++, "H0");
    tbl_header(t, c++, "landing");
    tbl_header(t, c++, "set");
    tbl_header(t, c++, h[2]);
    tbl_header(t, c++, h[3]);
    tbl_header(t, c++, "gen_start");
    tbl_header(t, c++, "gen_end");
    tbl_header(t, c++, "note");
    for (size_t i = 0; i < p->done; i++) {
        const portrait_start *q = &p->starts[i];
        c = 0;
        tbl_row(t);
        tbl_num(t, c++, (double)i);
        tbl_num(t, c++, q->x0);
        tbl_num(t, c++, q->y0);
        if (l) {
            double z, u;
            start_zu(p, q, 0, &z, &u);
            tbl_num(t, c++, reduced_H(p, z, u));
        }
        tbl_str(t, c++, portrait_fate_name(q->fate));
        tbl_str(t, c++, q->set != SIZE_MAX ? p->snames[q->set]
                                           : (s->csv ? "" : "-"));
        tbl_num(t, c++, q->x_end);
        tbl_num(t, c++, q->y_end);
        tbl_num(t, c++, q->gen0);
        tbl_num(t, c++, q->gen_end);
        tbl_str(t, c++, *q->note ? q->note : (s->csv ? "" : "-"));
    }
    tbl_print(t, &s->out, s->csv, s->csv ? 0 : 2);
    tbl_free(t);
}

static void print_portrait(session *s, const char *name, const void *v)
{
    const learn_portrait *p = v;
    size_t cnt[PORTRAIT_FAILED + 1];
    learn_portrait_counts(p, cnt);
    const portrait_line *l = split_line(p);
    size_t agree = 0, on_attr = 0;
    for (size_t i = 0; l && i < p->done; i++) {
        const portrait_start *q = &p->starts[i];
        if (q->fate == PORTRAIT_LINE || q->fate == PORTRAIT_TEACHER)
            agree += predicted_capture(p, q) == (q->fate == PORTRAIT_LINE);
        if (q->fate == PORTRAIT_LINE) {
            double z, u;
            start_zu(p, q, 1, &z, &u);
            on_attr += line_attracts(l, z);
        }
    }
    if (s->csv) {
        tbl *t = tbl_alloc(2);
        if (t) {
            tbl_header(t, 0, "quantity");
            tbl_header(t, 1, "value");
#define KV_S(k, x) (tbl_row(t), tbl_str(t, 0, k), tbl_str(t, 1, x))
#define KV_N(k, x) (tbl_row(t), tbl_str(t, 0, k), tbl_num(t, 1, x))
            KV_S("student", p->student);
            KV_S("teacher", p->teacher);
            KV_S("algo", algo_name(p));
            KV_N("eta", p->eta);
            KV_N("t", p->tmax);
            KV_S("x", p->xname);
            KV_N("x_from", p->xa);
            KV_N("x_to", p->xb);
            KV_S("y", p->yname);
            KV_N("y_from", p->ya);
            KV_N("y_to", p->yb);
            KV_N("starts", (double)p->n);
            KV_N("done", (double)p->done);
            KV_N("kappa", p->kappa);
            KV_N("L_line", p->L_line);
            for (int f = PORTRAIT_TEACHER; f <= PORTRAIT_FAILED; f++)
                KV_N(portrait_fate_name((portrait_fate)f), (double)cnt[f]);
#undef KV_S
#undef KV_N
            tbl_print(t, &s->out, 1, 0);
            tbl_free(t);
        }
        ss_sink_puts(&s->out, "\n");
        start_table(s, p);
        return;
    }
    session_printf(s, "%s: phase portrait of %s (%s) against teacher %s: "
                      "flow %s, eta = %g, t = %g%s\n",
                   name ? name : "portrait", p->student, p->kind,
                   p->teacher, algo_name(p), p->eta, p->tmax,
                   p->interrupted ? ", interrupted" : "");
    session_printf(s, "  %zu of %zu starts done: the cell centres of a "
                      "%zux%zu grid over %s %g..%g, %s %g..%g\n",
                   p->done, p->n, p->W, p->H, p->xname, p->xa, p->xb,
                   p->yname, p->ya, p->yb);
    session_printf(s, "  at each start the other coordinates relaxed "
                      "first (L minimised over them, %s and %s held: BFGS "
                      "with a Newton polish), then the averaged flow\n",
                   p->xname, p->yname);
    print_lines(s, p);
    if (l) {
        const char *a = l->attract[2] ? "|z| > 1" : "|z| < 1";
        const char *r = l->attract[2] ? "|z| < 1" : "|z| > 1";
        session_printf(s, "  the overlap line %s (u = 0): kappa = %.6g "
                          "(L* = %.6g at w = %.6g, v = %.6g); the reduced "
                          "dynamics' normal drift u'/u = 4 eta kappa (1 - "
                          "z^2)/(1 + z^2): attracting for %s, repelling "
                          "for %s\n",
                       l->name, p->kappa, p->L_line, p->w_line, p->v_line,
                       a, r);
    }
    if (*p->note)
        session_printf(s, "  %s\n", p->note);
    session_printf(s, "  landing: %zu captured by a singular set, %zu "
                      "escaped to the teacher",
                   cnt[PORTRAIT_LINE], cnt[PORTRAIT_TEACHER]);
    if (cnt[PORTRAIT_TRANSIT])
        session_printf(s, ", %zu still moving at t = %g",
                       cnt[PORTRAIT_TRANSIT], p->tmax);
    if (cnt[PORTRAIT_ON_SET_START])
        session_printf(s, ", %zu started on a singular set and stayed on it "
                          "(invariant there: no landing)",
                       cnt[PORTRAIT_ON_SET_START]);
    if (cnt[PORTRAIT_DIVERGED])
        session_printf(s, ", %zu diverged", cnt[PORTRAIT_DIVERGED]);
    if (cnt[PORTRAIT_FAILED])
        session_printf(s, ", %zu failed", cnt[PORTRAIT_FAILED]);
    session_printf(s, "\n");
    if (l) {
        session_printf(s, "  captured on the attracting part: %zu of %zu\n",
                       on_attr, cnt[PORTRAIT_LINE]);
        session_printf(s, "  reduced theory (H0 = u0^2 - w*^2 F(z0), F(z) = "
                          "ln((1+z^2)^2/(4z^2)); captured iff the start is "
                          "beside the attracting part and H0 < 0): agrees "
                          "for %zu of the %zu captured or escaped starts\n",
                       agree, cnt[PORTRAIT_LINE] + cnt[PORTRAIT_TEACHER]);
    }
    start_table(s, p);
}

/* Every trajectory's records, a start column first. */
static void export_portrait(session *s, const char *name, const void *v,
                            int part)
{
    (void)name;
    (void)part;
    const learn_portrait *p = v;
    const learn_run *r0 = NULL;
    for (size_t i = 0; i < p->done && !r0; i++)
        r0 = p->starts[i].run;
    size_t P = r0 ? r0->P : 0, nco = r0 ? r0->ncoords : 0,
           ns = r0 ? r0->nsets : 0;
    tbl *t = tbl_alloc(4 + P + nco + ns);
    if (!t)
        return;
    size_t c = 0;
    tbl_header(t, c++, "start");
    tbl_header(t, c++, "landing");
    tbl_header(t, c++, "t");
    tbl_header(t, c++, "gen_loss");
    for (size_t j = 0; j < P; j++)
        tbl_header(t, c++, r0->pnames[j]);
    for (size_t j = 0; j < nco; j++) {
        char h[MODEL_NAME_MAX + 8];
        snprintf(h, sizeof h, "bd_%s", r0->cnames[j]);
        tbl_header(t, c++, h);
    }
    for (size_t j = 0; j < ns; j++) {
        char h[80];
        snprintf(h, sizeof h, "dist[%s]", r0->snames[j]);
        tbl_header(t, c++, h);
    }
    for (size_t i = 0; i < p->done; i++) {
        const learn_run *r = p->starts[i].run;
        for (size_t k = 0; r && k < r->n; k++) {
            c = 0;
            tbl_row(t);
            tbl_num(t, c++, (double)i);
            tbl_str(t, c++, portrait_fate_name(p->starts[i].fate));
            tbl_num(t, c++, r->time[k]);
            tbl_num(t, c++, r->gen[k]);
            for (size_t j = 0; j < P; j++)
                tbl_num(t, c++, r->theta[k * P + j]);
            for (size_t j = 0; j < nco; j++)
                tbl_num(t, c++, r->coords[k * nco + j]);
            for (size_t j = 0; j < ns; j++)
                tbl_num(t, c++, r->dist[k * ns + j]);
        }
    }
    tbl_print(t, &s->out, 1, 0);
    tbl_free(t);
}

static void origin_portrait(const void *v, obj_origin *o)
{
    const learn_portrait *p = v;
    o->model = p->student;
    o->kind = p->kind;
}

/* ---- the picture ------------------------------------------------------- */

typedef struct {
    plot_series *s;
    double **buf;
    char (*lab)[96];
    size_t n, cap;
} series_list;

static double *add(series_list *L, size_t len, const char *label, int style,
                   int points, int dashed)
{
    if (L->n >= L->cap)
        return NULL;
    double *b = malloc(2 * (len ? len : 1) * sizeof *b);
    if (!b)
        return NULL;
    size_t k = L->n++;
    L->buf[k] = b;
    const char *lp = NULL;
    if (label) {
        snprintf(L->lab[k], sizeof L->lab[k], "%s", label);
        lp = L->lab[k];
    }
    L->s[k] = (plot_series){b, b + len, len, lp, style, points, dashed};
    return b;
}

/* Trajectory styles: captured, escaped, the rest. */
static int traj_class(portrait_fate f)
{
    return f == PORTRAIT_LINE ? 0 : f == PORTRAIT_TEACHER ? 1 : 2;
}

static ss_status draw_portrait(session *s, const render_request *req,
                               const void *v, canvas *c)
{
    (void)s;
    const learn_portrait *p = v;
    if (*req->x || *req->y)
        return SS_FAIL(SS_ERR_USAGE, "a portrait is drawn in its own plane "
                                     "(%s, %s): no x= or y=",
                       p->xname, p->yname);
    if (!p->done)
        return SS_FAIL(SS_ERR_RANGE, "nothing to plot: portrait %s has no "
                                     "finished start",
                       req->object);
    series_list L = {.cap = p->done + 16};
    L.s = calloc(L.cap, sizeof *L.s);
    L.buf = calloc(L.cap, sizeof *L.buf);
    L.lab = calloc(L.cap, sizeof *L.lab);
    ss_status rc = SS_OK;
    if (!L.s || !L.buf || !L.lab) {
        rc = SS_FAIL(SS_ERR_NOMEM, "out of memory");
        goto done;
    }
    /* the view: the box, widened to the trajectories up to half its size
     * on each side (escapes run to the teacher; a few run off to infinity
     * where the chart ends, w1 + w2 -> 0) */
    double bw = p->xb - p->xa, bh = p->yb - p->ya;
    double xlo = p->xa, xhi = p->xb, ylo = p->ya, yhi = p->yb;
    for (size_t i = 0; i < p->done; i++) {
        const learn_run *r = p->starts[i].run;
        for (size_t k = 0; r && k < r->n; k++) {
            double x = r->coords[k * r->ncoords + p->xi],
                   y = r->coords[k * r->ncoords + p->yi];
            if (isfinite(x) && isfinite(y)) {
                xlo = fmin(xlo, x), xhi = fmax(xhi, x);
                ylo = fmin(ylo, y), yhi = fmax(yhi, y);
            }
        }
    }
    xlo = fmax(xlo, p->xa - bw / 4), xhi = fmin(xhi, p->xb + bw / 4);
    ylo = fmax(ylo, p->ya - bh / 4), yhi = fmin(yhi, p->yb + bh / 4);
    for (int k = 0; k < 2; k++)
        if (fabs(p->tx[k] - (p->xa + p->xb) / 2) <= bw &&
            fabs(p->ty[k] - (p->ya + p->yb) / 2) <= bh) {
            xlo = fmin(xlo, p->tx[k]), xhi = fmax(xhi, p->tx[k]);
            ylo = fmin(ylo, p->ty[k]), yhi = fmax(yhi, p->ty[k]);
        }

    /* the singular lines first, so the paths are drawn over them */
    for (size_t li = 0; li < p->nlines; li++) {
        const portrait_line *l = &p->lines[li];
        char lab[128];
        if (!l->split) {
            /* short labels: the legend must not hide the paths */
            snprintf(lab, sizeof lab, "%s=%g (%s)",
                     l->on_y ? p->yname : p->xname, l->c, l->name);
            double *b = add(&L, 2, lab, -2, 0, 1);
            if (!b)
                continue;
            if (l->on_y)
                b[0] = xlo, b[1] = xhi, b[2] = b[3] = l->c;
            else
                b[0] = b[1] = l->c, b[2] = ylo, b[3] = yhi;
            continue;
        }
        /* attracting: square markers one dot apart (a heavy bar);
         * repelling: a thin long-dashed line */
        double a0 = l->on_y ? xlo : ylo, a1 = l->on_y ? xhi : yhi;
        size_t dots = l->on_y ? 2 * (size_t)c->w : 4 * (size_t)c->h;
        if (dots < 2)
            dots = 2;
        for (int att = 1; att >= 0; att--) {
            size_t n = 0;
            for (size_t k = 0; k < dots; k++)
                n += line_attracts(l, a0 + (a1 - a0) * (double)k /
                                              (double)(dots - 1)) == att;
            if (!n)
                continue;
            const char *zr = att == l->attract[2] ? "|z|>1" : "|z|<1";
            snprintf(lab, sizeof lab, "%s=%g %s %s",
                     l->on_y ? p->yname : p->xname, l->c,
                     att ? "attracts" : "repels", zr);
            /* the repelling line is broken (NaN) between its parts */
            double *b = add(&L, att ? n : dots, lab, att ? 3 : 5, att, 0);
            if (!b)
                continue;
            size_t q = 0, len = att ? n : dots;
            for (size_t k = 0; k < dots; k++) {
                double a = a0 + (a1 - a0) * (double)k / (double)(dots - 1);
                int on = line_attracts(l, a) == att;
                if (att && !on)
                    continue;
                double along = on ? a : NAN;
                b[l->on_y ? q : len + q] = along;
                b[l->on_y ? len + q : q] = l->c;
                q++;
            }
        }
    }

    /* one path per start, labelled once per class */
    size_t ncls[3] = {0, 0, 0};
    for (size_t i = 0; i < p->done; i++)
        if (p->starts[i].run)
            ncls[traj_class(p->starts[i].fate)]++;
    int named[3] = {0, 0, 0};
    const char *what[3] = {"captured", "escaped", "other (see show)"};
    for (size_t i = 0; i < p->done; i++) {
        const portrait_start *q = &p->starts[i];
        const learn_run *r = q->run;
        if (!r)
            continue;
        int k = traj_class(q->fate);
        char lab[96];
        snprintf(lab, sizeof lab, "%s (%zu)", what[k], ncls[k]);
        double *b = add(&L, r->n, named[k] ? NULL : lab, k, 0, 0);
        named[k] = 1;
        if (!b) {
            rc = SS_FAIL(SS_ERR_NOMEM, "out of memory");
            goto done;
        }
        for (size_t j = 0; j < r->n; j++) {
            b[j] = r->coords[j * r->ncoords + p->xi];
            b[r->n + j] = r->coords[j * r->ncoords + p->yi];
        }
    }
    double *b = add(&L, p->done, "start", 5, 1, 0);
    for (size_t i = 0; b && i < p->done; i++)
        b[i] = p->starts[i].x0, b[p->done + i] = p->starts[i].y0;
    size_t nt = 0;
    for (int k = 0; k < 2; k++)
        nt += isfinite(p->tx[k]) && isfinite(p->ty[k]) && p->tx[k] >= xlo &&
              p->tx[k] <= xhi && p->ty[k] >= ylo && p->ty[k] <= yhi;
    if (nt && (b = add(&L, nt, "teacher", 6, 1, 0))) {
        size_t q = 0;
        for (int k = 0; k < 2; k++)
            if (isfinite(p->tx[k]) && isfinite(p->ty[k]) &&
                p->tx[k] >= xlo && p->tx[k] <= xhi && p->ty[k] >= ylo &&
                p->ty[k] <= yhi)
                b[q] = p->tx[k], b[nt + q] = p->ty[k], q++;
    }

    char title[512];
    snprintf(title, sizeof title,
             "%s: portrait of %s, flow %s to t = %g, %zu starts in (%s, %s)%s",
             req->object, p->student, algo_name(p), p->tmax, p->done,
             p->xname, p->yname, p->interrupted ? ", interrupted" : "");
    plot_opts o;
    plot_opts_init(&o);
    o.title = render_title_or(req, title);
    o.xlabel = p->xname;
    o.ylabel = p->yname;
    o.xlog = req->logx > 0;
    o.ylog = req->logy > 0;
    o.legend = 1;
    o.xmin = xlo, o.xmax = xhi;
    /* a band at the top for the legend, so it hides no path */
    int area = c->h - 4, need = 0;
    for (size_t k = 0; k < L.n; k++)
        need += L.s[k].label != NULL;
    need += 2;
    double w = yhi - ylo;
    o.ymin = ylo - 0.03 * w;
    o.ymax = yhi + 0.03 * w;
    if (!o.ylog && area > 2 * need)
        o.ymax = yhi + 0.03 * w + (1.06 * w) * need / (area - need);
    rc = plot_xy(c, L.s, L.n, &o);
done:
    for (size_t k = 0; k < L.n; k++)
        free(L.buf[k]);
    free(L.s);
    free(L.buf);
    free(L.lab);
    return rc;
}

const obj_type obj_portrait = {
    .name = "portrait",
    .free = free_portrait,
    .print = print_portrait,
    .export_rows = export_portrait,
    .origin = origin_portrait,
    .draw = draw_portrait,
    .picture = "a phase portrait",
    .plot_keys = "logx logy",
    .min_w = 40,
    .min_h = 12,
};

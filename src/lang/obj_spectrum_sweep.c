/* The class of `spectrum NET widths=[..]` results (fim/wide_sweep.h):
 * `show` prints m_lambda, s_lambda and lambda_max at each width (mean, sd
 * over the networks, the mean-field prediction, their ratio) and the fitted
 * log-log slopes beside the prediction's own and the asymptotic ones;
 * `export` writes one row per width and statistic (all six) and, as a
 * second file, the slopes; `plot` draws the three statistics against the
 * width on log-log axes, measured as points, the prediction as dashed
 * lines. */
#include "lang/commands.h"
#include "lang/render.h"

#include "core/table.h"
#include "fim/wide_sweep.h"
#include "plot/plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_points(session *s, const wsw_result *r)
{
    tbl *t = tbl_alloc(7);
    if (!t)
        return;
    static const char *const head[] = {"width", "P",  "nets",  "statistic",
                                       "mean",  "sd", "theory"};
    for (size_t c = 0; c < 7; c++)
        tbl_header(t, c, head[c]);
    for (size_t w = 0; w < r->nw; w++) {
        const ws_result *a = r->at[w];
        for (int i = 0; i < WS_NSTAT; i++) {
            tbl_row(t);
            tbl_num(t, 0, (double)r->width[w]);
            tbl_num(t, 1, (double)a->P);
            tbl_num(t, 2, (double)a->nets);
            tbl_str(t, 3, ws_stat_name(i));
            tbl_num(t, 4, a->mean[i]);
            tbl_num(t, 5, a->sd[i]);
            tbl_num(t, 6, a->theory[i]);
        }
    }
    tbl_print(t, &s->out, 1, 0);
    tbl_free(t);
}

static void print_fits(session *s, const wsw_result *r)
{
    tbl *t = tbl_alloc(7);
    if (!t)
        return;
    static const char *const head[] = {
        "statistic",    "slope",           "se_nets", "se_fit", "intercept",
        "theory_slope", "asymptotic_slope"};
    for (size_t c = 0; c < 7; c++)
        tbl_header(t, c, head[c]);
    for (int k = 0; k < WSW_NFIT; k++) {
        const wsw_fit *f = &r->fit[k];
        tbl_row(t);
        tbl_str(t, 0, ws_stat_name(wsw_fit_stat[k]));
        tbl_num(t, 1, f->slope);
        tbl_num(t, 2, f->se_nets);
        tbl_num(t, 3, f->se);
        tbl_num(t, 4, f->icpt);
        tbl_num(t, 5, f->th_slope);
        tbl_num(t, 6, f->asym);
    }
    tbl_print(t, &s->out, 1, 0);
    tbl_free(t);
}

/* "20 -> M -> 0.5 M -> 2": the layer sizes in units of M. */
static void arch(const wsw_result *r, char *buf, size_t n)
{
    const ws_result *a = r->at[r->nw - 1]; /* the widest: least rounding */
    size_t k = (size_t)snprintf(buf, n, "%zu", a->widths[0]);
    for (size_t l = 1; l <= a->L && k < n; l++) {
        if (l == a->L) {
            k += (size_t)snprintf(buf + k, n - k, " -> %zu", a->widths[l]);
            break;
        }
        double al = (double)a->widths[l] / (double)a->widths[1];
        if (al == 1)
            k += (size_t)snprintf(buf + k, n - k, " -> M");
        else
            k += (size_t)snprintf(buf + k, n - k, " -> %.3g M", al);
    }
}

static void show_sweep(session *s, const char *name, const void *p)
{
    const wsw_result *r = p;
    if (s->csv) {
        print_points(s, r);
        return;
    }
    char ab[256];
    arch(r, ab, sizeof ab);
    const ws_result *a0 = r->at[0];
    char nb[64];
    if (r->nw == 1)
        snprintf(nb, sizeof nb, "at the one width");
    else
        snprintf(nb, sizeof nb, "at each of %zu widths", r->nw);
    session_printf(s,
                   "%s: exact FIM spectrum against the width M of %s's "
                   "architecture (%s): %zu random network%s %s, at its T = "
                   "%zu inputs, through the %zu x %zu dual Gram; seed "
                   "%llu%s\n",
                   name ? name : "spectrum", r->model, ab, r->nets,
                   r->nets == 1 ? "" : "s", nb, a0->T, a0->N, a0->N,
                   (unsigned long long)r->seed,
                   r->interrupted ? " (interrupted)" : "");
    if (r->interrupted)
        session_printf(s, "  interrupted: %zu of the %zu widths finished\n",
                       r->nw, r->requested);
    tbl *t = tbl_alloc(7);
    if (!t)
        return;
    static const char *const head[] = {"statistic", "M",          "P",
                                       "mean",      "sd",         "mean-field",
                                       "ratio"};
    for (size_t c = 0; c < 7; c++)
        tbl_header(t, c, head[c]);
    for (int k = 0; k < WSW_NFIT; k++) {
        int i = wsw_fit_stat[k];
        for (size_t w = 0; w < r->nw; w++) {
            const ws_result *a = r->at[w];
            tbl_row(t);
            tbl_str(t, 0, w == 0 ? ws_stat_name(i) : "");
            tbl_num(t, 1, (double)r->width[w]);
            tbl_num(t, 2, (double)a->P);
            tbl_num(t, 3, a->mean[i]);
            if (a->nets > 1)
                tbl_num(t, 4, a->sd[i]);
            else
                tbl_str(t, 4, "-");
            if (isnan(a->theory[i])) {
                tbl_str(t, 5, "-");
                tbl_str(t, 6, "-");
            } else {
                tbl_num(t, 5, a->theory[i]);
                tbl_num(t, 6, a->mean[i] / a->theory[i]);
            }
        }
    }
    tbl_print(t, &s->out, 0, 2);
    tbl_free(t);
    if (r->nw < 2) {
        session_printf(s, "  one width: no slope (give two widths or more "
                          "to fit one)\n");
    } else {
        session_printf(s, "  log-log slopes: least squares of log(mean) on "
                          "log M over the %zu widths\n",
                       r->nw);
        t = tbl_alloc(6);
        if (!t)
            return;
        static const char *const fh[] = {"statistic",  "slope",
                                         "se (nets)",  "se (fit)",
                                         "mean-field", "asymptotic"};
        for (size_t c = 0; c < 6; c++)
            tbl_header(t, c, fh[c]);
        for (int k = 0; k < WSW_NFIT; k++) {
            const wsw_fit *f = &r->fit[k];
            const double v[4] = {f->slope, f->se_nets, f->se, f->th_slope};
            tbl_row(t);
            tbl_str(t, 0, ws_stat_name(wsw_fit_stat[k]));
            for (size_t c = 0; c < 4; c++)
                if (isnan(v[c]))
                    tbl_str(t, c + 1, "-");
                else
                    tbl_num(t, c + 1, v[c]);
            tbl_num(t, 5, f->asym);
        }
        tbl_print(t, &s->out, 0, 2);
        tbl_free(t);
        session_printf(s, "  se (nets): from the networks' scatter at each "
                          "width%s; se (fit): from the residuals about the "
                          "line%s\n",
                       r->nets < 2 ? " (none: one network a width)" : "",
                       r->nw == 2 ? " (none: two widths leave no degree of "
                                    "freedom)"
                                  : "");
        session_printf(s, "  mean-field: the slope of the finite-width "
                          "prediction over the same widths; asymptotic: M "
                          "-> infinity with in= fixed, P ~ M^%d, d_i ~ M%s\n",
                       r->p_exp,
                       r->p_exp == 1 ? " (one hidden layer: P grows only "
                                       "like M)"
                                     : "");
    }
    if (a0->theory_note[0])
        session_printf(s, "  %s\n", a0->theory_note);
}

static void export_sweep(session *s, const char *name, const void *p,
                         int part)
{
    (void)name;
    if (part == 1)
        print_fits(s, p);
    else
        print_points(s, p);
}

static void origin_sweep(const void *p, obj_origin *o)
{
    const wsw_result *r = p;
    o->model = r->model;
    o->kind = "dnn";
}

static ss_status draw(session *s, const render_request *req, const void *p,
                      canvas *c)
{
    (void)s;
    const wsw_result *r = p;
    double x[WSW_WIDTHS_MAX], y[WSW_NFIT][WSW_WIDTHS_MAX],
        th[WSW_NFIT][WSW_WIDTHS_MAX];
    for (size_t w = 0; w < r->nw; w++)
        x[w] = (double)r->width[w];
    /* the measured means as markers in a series style each, the
     * prediction as dashed lines in the fit style (one legend entry: each
     * line runs through its own statistic's markers) */
    plot_series ser[2 * WSW_NFIT];
    size_t ns = 0;
    int labelled = 0;
    double lo = INFINITY, hi = -INFINITY;
    for (int k = 0; k < WSW_NFIT; k++) {
        int i = wsw_fit_stat[k], has = 0;
        for (size_t w = 0; w < r->nw; w++) {
            y[k][w] = r->at[w]->mean[i];
            th[k][w] = r->at[w]->theory[i];
            has |= !isnan(th[k][w]);
            for (int j = 0; j < 2; j++) {
                double v = j ? th[k][w] : y[k][w];
                if (v > 0 && isfinite(v)) {
                    lo = fmin(lo, v);
                    hi = fmax(hi, v);
                }
            }
        }
        if (has) {
            ser[ns++] = (plot_series){
                x, th[k], r->nw, labelled ? NULL : "mean-field prediction",
                -1, 0, 1};
            labelled = 1;
        }
        /* after the lines: a marker is never hidden under a line */
        ser[ns++] = (plot_series){x, y[k], r->nw, ws_stat_name(i), k, 1, 0};
    }
    char title[256];
    snprintf(title, sizeof title,
             "%s: FIM statistics against the width (%zu network%s each)",
             req->object, r->nets, r->nets == 1 ? "" : "s");
    plot_opts o;
    plot_opts_init(&o);
    o.title = render_title_or(req, title);
    o.xlabel = "width M";
    o.ylabel = "mean over the networks";
    o.xlog = 1;
    o.ylog = 1;
    /* the legend needs 6 rows and 30 columns: on a smaller canvas it would
     * cover the data (the picture is then unlabelled, as a thumbnail) */
    o.legend = c->h >= 14 && c->w >= 50;
    if (hi >= lo && o.legend) {
        /* headroom above the largest statistic for the legend, which
         * would otherwise sit on lambda_max's markers */
        double span = log10(hi / lo) + 1.0;
        o.ymin = lo / pow(10.0, 0.1 * span);
        o.ymax = hi * pow(10.0, 0.6 * span);
    }
    /* a margin at both ends so the end markers are drawn whole; one
     * width: a decade around it, not a zero range */
    double pad = r->nw == 1 ? sqrt(10.0)
                            : pow(x[r->nw - 1] / x[0], 0.06);
    o.xmin = x[0] / pad;
    o.xmax = x[r->nw - 1] * pad;
    return plot_xy(c, ser, ns, &o);
}

static void free_sweep(void *p) { wsw_result_free(p); }

static const char *const sweep_parts[] = {"widths", "slopes"};

const obj_type obj_spectrum_sweep = {
    .name = "spectrum sweep",
    .free = free_sweep,
    .print = show_sweep,
    .export_rows = export_sweep,
    .nparts = 2,
    .part_names = sweep_parts,
    .origin = origin_sweep,
    .draw = draw,
    .picture = "m_lambda, s_lambda and lambda_max against the width "
               "(log-log) with the mean-field prediction",
    .plot_keys = "",
    .min_w = 30,
    .min_h = 8,
};

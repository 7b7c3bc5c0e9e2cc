/* plot_histogram: density histograms with an optional curve. */
#include "plot/plot_int.h"

/* ---- histograms -------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double quantile_sorted(const double *s, size_t n, double q)
{
    double h = (double)(n - 1) * q;
    size_t i = (size_t)floor(h);
    if (i + 1 >= n)
        return s[n - 1];
    return s[i] + (h - (double)i) * (s[i + 1] - s[i]);
}

/* Freedman-Diaconis bin count for sorted finite data on [lo, hi]. */
static size_t fd_bins(const double *s, size_t n, double lo, double hi)
{
    double iqr = quantile_sorted(s, n, 0.75) - quantile_sorted(s, n, 0.25);
    double width = 2 * iqr / cbrt((double)n);
    double span = hi * 0.5 - lo * 0.5;
    if (!(width > 0) || !isfinite(span / width))
        return 0;
    double b = ceil(span / width * 2);
    return b > 1e6 ? 1000000 : b >= 1 ? (size_t)b : 1;
}

ss_status plot_histogram(canvas *c, const double *data, size_t n,
                         size_t bins, const double *curve_x,
                         const double *curve_y, size_t ncurve,
                         const plot_opts *o)
{
    return plot_histogram_marked(c, data, n, bins, curve_x, curve_y, ncurve,
                                 NULL, 0, o);
}

static ss_status hist_core(canvas *c, const double *data, size_t n,
                           size_t bins, const double *curve_x,
                           const double *curve_y, size_t ncurve,
                           const plot_series *curves, size_t ncurves,
                           const plot_mark *marks, size_t nmarks,
                           const plot_opts *o);

ss_status plot_histogram_marked(canvas *c, const double *data, size_t n,
                                size_t bins, const double *curve_x,
                                const double *curve_y, size_t ncurve,
                                const plot_mark *marks, size_t nmarks,
                                const plot_opts *o)
{
    return hist_core(c, data, n, bins, curve_x, curve_y, ncurve, NULL, 0,
                     marks, nmarks, o);
}

ss_status plot_histogram_curves(canvas *c, const double *data, size_t n,
                                size_t bins, const plot_series *curves,
                                size_t ncurves, const plot_opts *o)
{
    return hist_core(c, data, n, bins, NULL, NULL, 0, curves,
                     ncurves > 8 ? 8 : ncurves, NULL, 0, o);
}

static ss_status hist_core(canvas *c, const double *data, size_t n,
                           size_t bins, const double *curve_x,
                           const double *curve_y, size_t ncurve,
                           const plot_series *curves, size_t ncurves,
                           const plot_mark *marks, size_t nmarks,
                           const plot_opts *o)
{
    plot_opts def;
    ss_status st = pl_start_plot(c, &o, &def);
    if (st)
        return st;
    if (!data || n == 0)
        return SS_FAIL(SS_ERR_RANGE, "nothing to plot: no data for the "
                                     "histogram");
    size_t nf = 0;
    for (size_t i = 0; i < n; i++)
        nf += isfinite(data[i]) != 0;
    if (nf == 0)
        return SS_FAIL(SS_ERR_RANGE, "nothing to plot: no finite data for "
                                     "the histogram");
    double *s = malloc(nf * sizeof *s);
    if (!s)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory for a histogram of %zu "
                                     "values",
                       nf);
    size_t *count = NULL;
    nf = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(data[i]))
            s[nf++] = data[i];
    qsort(s, nf, sizeof *s, cmp_double);
    double lo = s[0], hi = s[nf - 1];
    if (pl_degenerate(lo, hi)) { /* constant data: one bin around it */
        double d = fabs(lo) > 1e-200 ? fabs(lo) * 0.1 : 0.5;
        lo = fmax(lo - d, -DBL_MAX);
        hi = fmin(hi + d, DBL_MAX);
    }
    size_t auto_bins = bins ? bins : fd_bins(s, nf, lo, hi);

    /* the x range: the data and the curve */
    double xmn = lo, xmx = hi;
    double cmax = 0;
    for (size_t i = 0; curve_x && curve_y && i < ncurve; i++)
        if (isfinite(curve_x[i]) && isfinite(curve_y[i])) {
            xmn = fmin(xmn, curve_x[i]);
            xmx = fmax(xmx, curve_x[i]);
            cmax = fmax(cmax, curve_y[i]);
        }
    for (size_t k = 0; k < ncurves; k++)
        for (size_t i = 0; i < curves[k].n; i++)
            if (isfinite(curves[k].x[i]) && isfinite(curves[k].y[i])) {
                xmn = fmin(xmn, curves[k].x[i]);
                xmx = fmax(xmx, curves[k].x[i]);
                cmax = fmax(cmax, curves[k].y[i]);
            }
    for (size_t i = 0; marks && i < nmarks; i++)
        if (isfinite(marks[i].x)) {
            xmn = fmin(xmn, marks[i].x);
            xmx = fmax(xmx, marks[i].x);
        }

    frame f;
    memset(&f, 0, sizeof f);
    f.xticks = 1;
    if ((st = pl_axis_range('x', xmn, xmx, o->xmin, o->xmax, 0, 0, &f.xlo,
                         &f.xhi)))
        goto done;
    size_t nb = 0;
    double dmax = 0, binw = 0;
    /* The bin count depends on the area width, which depends on the y
     * labels, which depend on the heights: settle in two rounds. */
    for (int round = 0; round < 2; round++) {
        int awest = round == 0 ? c->w - 8 : f.aw;
        size_t cap = awest > 1 ? (size_t)awest : 1;
        size_t want = auto_bins;
        if (!bins)
            want = want < 5 ? 5 : want;
        if (want > cap)
            want = cap;
        if (want < 1)
            want = 1;
        if (round == 1 && want == nb)
            break;
        nb = want;
        free(count);
        count = calloc(nb, sizeof *count);
        if (!count) {
            st = SS_FAIL(SS_ERR_NOMEM, "out of memory for %zu bins", nb);
            goto done;
        }
        for (size_t i = 0; i < nf; i++) {
            double fr = pl_frac_of(s[i], lo, hi) * (double)nb;
            size_t k = fr >= (double)nb ? nb - 1 : fr > 0 ? (size_t)fr : 0;
            count[k]++;
        }
        binw = (hi / (double)nb - lo / (double)nb);
        dmax = 0;
        for (size_t k = 0; k < nb; k++)
            dmax = fmax(dmax, (double)count[k] / (double)nf / binw);
        if (!isfinite(dmax) || !(dmax > 0)) {
            st = SS_FAIL(SS_ERR_RANGE,
                         "histogram range too narrow for densities");
            goto done;
        }
        if ((st = pl_axis_range('y', 0, fmax(dmax, cmax), o->ymin, o->ymax, 0,
                             0, &f.ylo, &f.yhi)))
            goto done;
        if (isnan(o->ymax))
            f.yhi = fmin(f.yhi + 0.1 * (f.yhi * 0.5 - f.ylo * 0.5), DBL_MAX);
        canvas_clear(c);
        if ((st = pl_frame_plan(&f, c, o, 1, 1)))
            goto done;
    }
    pl_frame_draw(&f);

    int res = c->ascii ? 1 : 2;
    int base = pl_bar_pos(&f, fmin(fmax(0, f.ylo), f.yhi), res);
    for (size_t k = 0; k < nb; k++) {
        double e0 = lo + (double)k * binw, e1 = lo + (double)(k + 1) * binw;
        int c0 = pl_floor_clamp(pl_frac_of(e0, f.xlo, f.xhi) * f.aw + 1e-9, 0,
                             f.aw - 1);
        int c1 = k + 1 == nb ? pl_floor_clamp(pl_frac_of(hi, f.xlo, f.xhi) * f.aw -
                                               1e-9,
                                           0, f.aw - 1)
                             : pl_floor_clamp(pl_frac_of(e1, f.xlo, f.xhi) * f.aw +
                                               1e-9,
                                           0, f.aw) -
                                   1;
        if (c1 < c0)
            c1 = c0;
        if (!count[k] || pl_frac_of(e1, f.xlo, f.xhi) <= 0 ||
            pl_frac_of(e0, f.xlo, f.xhi) >= 1)
            continue;
        double d = (double)count[k] / (double)nf / binw;
        int p = pl_bar_pos(&f, d, res);
        if (p > base)
            pl_bar_cells(&f, f.ax + c0, f.ax + c1, base, p, res);
    }
    if (curve_x && curve_y) {
        int have = 0, dash = 0;
        double px = 0, py = 0;
        for (size_t i = 0; i < ncurve; i++) {
            if (!isfinite(curve_x[i]) || !isfinite(curve_y[i])) {
                have = 0;
                continue;
            }
            double qx = pl_xdot(&f, curve_x[i]), qy = pl_ydot(&f, curve_y[i]);
            if (have)
                pl_segment(&f, px, py, qx, qy, STY_FIT, 0x1u, 1, &dash, 1);
            else
                pl_point(&f, qx, qy, STY_FIT);
            px = qx;
            py = qy;
            have = 1;
        }
    }
    if (ncurves) { /* density curves over the bars, named in the legend */
        for (size_t k = 0; k < ncurves; k++)
            pl_line_series(&f, &curves[k]);
        if (o->legend)
            pl_legend(&f, curves, ncurves);
    }
    if (nmarks && marks) {
        /* vertical lines across the area, each in its series' style and
         * dash pattern, named in the legend */
        plot_series ls[8];
        double mx[8][2], my[8][2];
        size_t nl = 0;
        for (size_t i = 0; i < nmarks && nl < 8; i++) {
            if (!isfinite(marks[i].x))
                continue;
            mx[nl][0] = mx[nl][1] = marks[i].x;
            my[nl][0] = f.ylo;
            my[nl][1] = f.yhi;
            ls[nl] = (plot_series){mx[nl], my[nl], 2, marks[i].label,
                                   marks[i].style, 0, marks[i].dashed};
            pl_line_series(&f, &ls[nl]);
            nl++;
        }
        if (o->legend)
            pl_legend(&f, ls, nl);
    }
done:
    free(count);
    free(s);
    return st;
}


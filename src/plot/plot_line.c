/* plot_xy: line plots and scatter plots of several series (plot.h). */
#include "plot/plot_int.h"

/* ---- line plots -------------------------------------------------------- */

/* One connected series: segments between consecutive usable points, in
 * the series' own dash pattern (pl_pattern), an isolated point as a dot. */
void pl_line_series(const frame *f, const plot_series *p)
{
    canvas_style sty = pl_series_style(p->style);
    unsigned pat;
    int period;
    pl_pattern(p, &pat, &period);
    int dash = 0, have = 0;
    double px = 0, py = 0;
    for (size_t j = 0; j < p->n; j++) {
        if (!pl_usable(p->x[j], f->xlog) || !pl_usable(p->y[j], f->ylog)) {
            have = 0;
            continue;
        }
        double qx = pl_xdot(f, pl_to_axis(p->x[j], f->xlog));
        double qy = pl_ydot(f, pl_to_axis(p->y[j], f->ylog));
        if (have) {
            pl_segment(f, px, py, qx, qy, sty, pat, period, &dash, 1);
        } else {
            int next = j + 1 < p->n && pl_usable(p->x[j + 1], f->xlog) &&
                       pl_usable(p->y[j + 1], f->ylog);
            if (!next) /* an isolated point */
                pl_point(f, qx, qy, sty);
            else if (period > 1)
                pl_segment(f, qx, qy, qx, qy, sty, pat, period, &dash, 0);
        }
        px = qx;
        py = qy;
        have = 1;
    }
}

ss_status plot_xy(canvas *c, const plot_series *s, size_t ns,
                  const plot_opts *o)
{
    plot_opts def;
    ss_status st = pl_start_plot(c, &o, &def);
    if (st)
        return st;
    double xmn = INFINITY, xmx = -INFINITY, ymn = INFINITY, ymx = -INFINITY;
    size_t nfin = 0, nok = 0;
    for (size_t i = 0; s && i < ns; i++) {
        if (!s[i].x || !s[i].y)
            continue;
        for (size_t j = 0; j < s[i].n; j++) {
            double x = s[i].x[j], y = s[i].y[j];
            if (isfinite(x) && isfinite(y))
                nfin++;
            if (!pl_usable(x, o->xlog) || !pl_usable(y, o->ylog))
                continue;
            nok++;
            xmn = fmin(xmn, x);
            xmx = fmax(xmx, x);
            ymn = fmin(ymn, y);
            ymx = fmax(ymx, y);
        }
    }
    if (nfin == 0)
        return SS_FAIL(SS_ERR_RANGE, "nothing to plot: no finite data points");
    if (nok == 0)
        return SS_FAIL(SS_ERR_RANGE,
                       "nothing to plot: no positive values for the log "
                       "axis");
    frame f;
    memset(&f, 0, sizeof f);
    f.xlog = o->xlog != 0;
    f.ylog = o->ylog != 0;
    f.xticks = 1;
    if ((st = pl_axis_range('x', xmn, xmx, o->xmin, o->xmax, f.xlog, 0.05,
                         &f.xlo, &f.xhi)) ||
        (st = pl_axis_range('y', ymn, ymx, o->ymin, o->ymax, f.ylog, 0.05,
                         &f.ylo, &f.yhi)))
        return st;
    if ((st = pl_frame_plan(&f, c, o, 1, 1)))
        return st;
    pl_frame_draw(&f);

    for (size_t i = 0; s && i < ns; i++) {
        const plot_series *p = &s[i];
        if (!p->x || !p->y)
            continue;
        if (p->points)
            pl_scatter_series(&f, p);
        else
            pl_line_series(&f, p);
    }
    if (o->legend)
        pl_legend(&f, s, ns);
    return SS_OK;
}


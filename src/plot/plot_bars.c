/* plot_bars: bar charts on linear or log axes. */
#include "plot/plot_int.h"

/* ---- bars -------------------------------------------------------------- */

ss_status plot_bars(canvas *c, const double *v, const char *const *labels,
                    size_t n, const plot_opts *o)
{
    plot_opts def;
    ss_status st = pl_start_plot(c, &o, &def);
    if (st)
        return st;
    if (!v || n == 0)
        return SS_FAIL(SS_ERR_RANGE, "nothing to plot: no bars");
    int ylog = o->ylog != 0;
    double mn = INFINITY, mx = -INFINITY;
    for (size_t i = 0; i < n; i++)
        if (pl_usable(v[i], ylog)) {
            mn = fmin(mn, v[i]);
            mx = fmax(mx, v[i]);
        }
    if (!(mn <= mx))
        return SS_FAIL(SS_ERR_RANGE, ylog ? "nothing to plot: no positive "
                                            "finite bar values for the log "
                                            "axis"
                                          : "nothing to plot: no finite bar "
                                            "values");
    frame f;
    memset(&f, 0, sizeof f);
    f.ylog = ylog;
    f.xlo = 0;
    f.xhi = 1;
    if (ylog) {
        /* bars rise from the decade below the smallest value */
        double lo = pow(10.0, floor(log10(mn) - 1e-9));
        if ((st = pl_axis_range('y', lo, mx, o->ymin, o->ymax, 1, 0, &f.ylo,
                             &f.yhi)))
            return st;
    } else {
        double lo = fmin(mn, 0), hi = fmax(mx, 0);
        if ((st = pl_axis_range('y', lo, hi, o->ymin, o->ymax, 0, 0, &f.ylo,
                             &f.yhi)))
            return st;
        /* pad only away from the baseline */
        double span = f.yhi * 0.5 - f.ylo * 0.5;
        if (isnan(o->ymax) && f.yhi > 0)
            f.yhi = fmin(f.yhi + 0.1 * span, DBL_MAX);
        if (isnan(o->ymin) && f.ylo < 0)
            f.ylo = fmax(f.ylo - 0.1 * span, -DBL_MAX);
    }
    if ((st = pl_frame_plan(&f, c, o, 1, 1)))
        return st;
    if ((size_t)f.aw < n)
        return SS_FAIL(SS_ERR_RANGE,
                       "canvas too narrow for %zu bars (%d columns)", n,
                       f.aw);
    pl_frame_draw(&f);

    int slot = f.aw / (int)n;
    int off = (f.aw - slot * (int)n) / 2;
    int bw = slot >= 3 ? slot - (slot / 3 > 0 ? slot / 3 : 1) : 1;
    int res = c->ascii ? 1 : 2;
    int base = ylog ? 0
                    : pl_bar_pos(&f, fmin(fmax(0, f.ylo), f.yhi), res);
    for (size_t i = 0; i < n; i++) {
        int x0 = f.ax + off + (int)i * slot + (slot - bw) / 2;
        if (pl_usable(v[i], ylog)) {
            int p = pl_bar_pos(&f, pl_to_axis(v[i], ylog), res);
            int a = p < base ? p : base, b = p < base ? base : p;
            pl_bar_cells(&f, x0, x0 + bw - 1, a, b, res);
        }
        if (labels && labels[i]) {
            int maxw = slot > 1 ? slot - 1 : 1;
            int w = pl_text_width(labels[i]);
            if (w > maxw)
                w = maxw;
            int centre = x0 + (bw - 1) / 2;
            pl_put_text(c, pl_clampi(centre - (w - 1) / 2, 0, c->w - w),
                     f.ay + f.ah + 1, labels[i], w, STY_LABEL);
        }
    }
    return SS_OK;
}


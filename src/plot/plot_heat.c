/* plot_heatmap: heat maps with a colour scale and singular sets. */
#include "plot/plot_int.h"

/* ---- heat maps --------------------------------------------------------- */

static int level_of(double v, double zmin, double zmax)
{
    if (isnan(v))
        return CANVAS_NO_LEVEL;
    if (v == -INFINITY)
        return 0;
    if (v == INFINITY)
        return CANVAS_LEVELS - 1;
    if (!(zmax > zmin))
        return (CANVAS_LEVELS - 1) / 2;
    return pl_floor_clamp(pl_frac_of(v, zmin, zmax) * CANVAS_LEVELS, 0,
                       CANVAS_LEVELS - 1);
}

/* Nearest of n grid nodes for a pixel centre at fraction fr of the axis. */
static size_t nearest(double fr, size_t n, int reversed)
{
    if (n <= 1)
        return 0;
    double k = floor(fr * (double)(n - 1) + 0.5);
    size_t i = k >= (double)(n - 1) ? n - 1 : k > 0 ? (size_t)k : 0;
    return reversed ? n - 1 - i : i;
}

ss_status plot_heatmap(canvas *c, const double *z, size_t nx, size_t ny,
                       double x0, double x1, double y0, double y1,
                       const unsigned char *mark, const plot_opts *o)
{
    plot_opts def;
    ss_status st = pl_start_plot(c, &o, &def);
    if (st)
        return st;
    if (!z || nx == 0 || ny == 0 || nx > SIZE_MAX / ny)
        return SS_FAIL(SS_ERR_RANGE, "nothing to plot: empty heat map "
                                     "(%zu x %zu values)",
                       nx, ny);
    if (!isfinite(x0) || !isfinite(x1) || !isfinite(y0) || !isfinite(y1))
        return SS_FAIL(SS_ERR_RANGE, "heat map extent must be finite");
    double zmin = INFINITY, zmax = -INFINITY;
    int neginf = 0, posinf = 0;
    for (size_t i = 0; i < nx * ny; i++) {
        double v = z[i];
        if (isfinite(v)) {
            zmin = fmin(zmin, v);
            zmax = fmax(zmax, v);
        } else if (v == -INFINITY) {
            neginf = 1;
        } else if (v == INFINITY) {
            posinf = 1;
        }
    }
    if (!(zmin <= zmax))
        return SS_FAIL(SS_ERR_RANGE,
                       "nothing to plot: the heat map has no finite values");

    char lmax[LABEL_MAX], lmin[LABEL_MAX];
    plot_tick_label(posinf ? INFINITY : zmax, 0, lmax, sizeof lmax);
    plot_tick_label(neginf ? -INFINITY : zmin, 0, lmin, sizeof lmin);
    int lw = pl_text_width(lmax) > pl_text_width(lmin) ? pl_text_width(lmax)
                                                 : pl_text_width(lmin);
    int right = 1 + 2 + 1 + lw; /* gap, bar, gap, labels */

    frame f;
    memset(&f, 0, sizeof f);
    f.cellmap = 1;
    f.xticks = 1;
    int xrev = x1 < x0, yrev = y1 < y0;
    if ((st = pl_axis_range('x', fmin(x0, x1), fmax(x0, x1), NAN, NAN, 0, 0,
                         &f.xlo, &f.xhi)) ||
        (st = pl_axis_range('y', fmin(y0, y1), fmax(y0, y1), NAN, NAN, 0, 0,
                         &f.ylo, &f.yhi)))
        return st;
    if ((st = pl_frame_plan(&f, c, o, right, 1)))
        return st;
    pl_frame_draw(&f);

    int rows = 2 * f.ah;
    for (int j = 0; j < rows; j++) { /* j: pixel row from the bottom */
        size_t ky = nearest((j + 0.5) / rows, ny, yrev);
        int py = 2 * f.ay + rows - 1 - j;
        for (int i = 0; i < f.aw; i++) {
            size_t kx = nearest((i + 0.5) / f.aw, nx, xrev);
            size_t at = ky * nx + kx;
            int lev = level_of(z[at], zmin, zmax);
            if (lev != CANVAS_NO_LEVEL)
                canvas_level(c, f.ax + i, py, lev);
            if (mark && mark[at]) { /* the half cell of this pixel */
                int dy = 4 * (py / 2) + (py % 2 ? 2 : 0);
                for (int d = 0; d < 4; d++)
                    canvas_dot(c, 2 * (f.ax + i) + d % 2, dy + d / 2,
                               STY_SINGULAR);
            }
        }
    }

    /* the colour scale */
    int bx = f.ax + f.aw + 1;
    for (int j = 0; j < rows; j++) {
        int lev = rows > 1 ? (j * (CANVAS_LEVELS - 1) + (rows - 1) / 2) /
                                 (rows - 1)
                           : CANVAS_LEVELS - 1;
        int py = 2 * f.ay + rows - 1 - j;
        canvas_level(c, bx, py, lev);
        canvas_level(c, bx + 1, py, lev);
    }
    canvas_text(c, bx + 3, f.ay, lmax, STY_LABEL);
    canvas_text(c, bx + 3, f.ay + f.ah - 1, lmin, STY_LABEL);
    return SS_OK;
}


/* plot_heatmap: heat maps with a colour scale and singular sets. */
#include "plot/plot_int.h"

/* ---- heat maps --------------------------------------------------------- */

/* The level of a value on the scale [zmin, zmax]: values beyond it clip
 * to the ends; -inf and +inf (a singular FIM at the floor) are their own
 * colour, CANVAS_FLOOR. */
int pl_level_of(double v, double zmin, double zmax)
{
    if (isnan(v))
        return CANVAS_NO_LEVEL;
    if (isinf(v))
        return CANVAS_FLOOR;
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

/* ---- the colour scale (heat maps and matrices) --------------------------- */

#define SCALE_FLOOR_TEXT "at floor"

/* Tick values of a scale in z units and their labels; zlog: z holds log10
 * of the values, labelled as powers of ten. Returns the count. */
static int scale_ticks(double zlo, double zhi, int zlog, int max,
                       double *tk, char (*lab)[LABEL_MAX])
{
    int n = plot_ticks(zlo, zhi, max, 0, tk);
    int ints = 1;
    for (int i = 0; i < n; i++)
        if (tk[i] != floor(tk[i]))
            ints = 0;
    for (int i = 0; i < n; i++) {
        if (!zlog)
            plot_tick_label(tk[i], 0, lab[i], LABEL_MAX);
        else if (ints && fabs(tk[i]) <= 300)
            plot_tick_label(pow(10.0, tk[i]), 1, lab[i], LABEL_MAX);
        else if (ints)
            snprintf(lab[i], LABEL_MAX, "1e%d", (int)tk[i]);
        else
            snprintf(lab[i], LABEL_MAX, "%.2g", pow(10.0, tk[i]));
    }
    return n;
}

static int scale_max_ticks(int rows)
{
    return pl_clampi(rows / 2 + 1, 2, 12);
}

int pl_scale_width(const plot_scale *s, int rows)
{
    double tk[MAX_TICKS];
    char lab[MAX_TICKS][LABEL_MAX];
    int n = scale_ticks(s->zlo, s->zhi, s->zlog, scale_max_ticks(rows), tk,
                        lab);
    int lw = s->floor ? (int)strlen(SCALE_FLOOR_TEXT) : 1;
    for (int i = 0; i < n; i++)
        lw = lw > pl_text_width(lab[i]) ? lw : pl_text_width(lab[i]);
    return 1 + 2 + 1 + lw; /* gap, bar, gap, labels */
}

void pl_colour_scale(canvas *c, int bx, int ay, int ah, const plot_scale *s)
{
    int rows = 2 * ah;
    for (int j = 0; j < rows; j++) { /* the level at each pixel's centre */
        double v = s->zlo + (s->zhi - s->zlo) * ((j + 0.5) / rows);
        int lev = pl_level_of(v, s->zlo, s->zhi);
        int py = 2 * ay + rows - 1 - j;
        canvas_level(c, bx, py, lev);
        canvas_level(c, bx + 1, py, lev);
    }
    double tk[MAX_TICKS];
    char lab[MAX_TICKS][LABEL_MAX];
    int n = scale_ticks(s->zlo, s->zhi, s->zlog, scale_max_ticks(ah), tk,
                        lab);
    int last = -1;
    for (int i = 0; i < n; i++) {
        double fr = pl_frac_of(tk[i], s->zlo, s->zhi);
        if (fr < -1e-9 || fr > 1 + 1e-9)
            continue;
        int j = pl_floor_clamp(fr * rows, 0, rows - 1);
        int row = ay + ah - 1 - j / 2;
        if (row == last)
            continue;
        canvas_text(c, bx + 3, row, lab[i], STY_LABEL);
        last = row;
    }
    if (s->floor) { /* the legend entry of the floor colour */
        int row = ay + ah;
        for (int k = 0; k < 2; k++) {
            canvas_level(c, bx + k, 2 * row, CANVAS_FLOOR);
            canvas_level(c, bx + k, 2 * row + 1, CANVAS_FLOOR);
        }
        canvas_text(c, bx + 3, row, SCALE_FLOOR_TEXT, STY_LABEL);
    }
}

ss_status pl_scale_range(const plot_opts *o, double dlo, double dhi,
                         double *zlo, double *zhi)
{
    double a = isfinite(o->zmin) ? o->zmin : dlo;
    double b = isfinite(o->zmax) ? o->zmax : dhi;
    if (isfinite(o->zmin) && isfinite(o->zmax) && !(o->zmin < o->zmax))
        return SS_FAIL(SS_ERR_RANGE,
                       "the colour range %g..%g is empty (need lo < hi)",
                       o->zmin, o->zmax);
    if (a > b) { /* one explicit end beyond all the data */
        if (isfinite(o->zmin))
            b = a;
        else
            a = b;
    }
    if (pl_degenerate(a, b)) {
        double mag = fmax(fabs(a), fabs(b));
        double d = mag > 1e-200 ? mag * 0.1 : 1;
        if (!isfinite(o->zmin))
            a = fmax(a - d, -DBL_MAX);
        if (!isfinite(o->zmax))
            b = fmin(b + d, DBL_MAX);
        if (!(a < b))
            b = a + d;
    }
    *zlo = a;
    *zhi = b;
    return SS_OK;
}

/* ---- singular sets as curves ---------------------------------------------- */

/* Dot coordinate of grid node k of n along an area of `dots` dots from
 * d0, matching the nearest-node sampling of the pixels. */
static double node_dot(size_t k, size_t n, int reversed, int d0, int dots)
{
    double u = n > 1 ? (double)(reversed ? n - 1 - k : k) / (double)(n - 1)
                     : 0.5;
    double d = d0 + u * dots - 0.5;
    return fmin(fmax(d, d0), d0 + dots - 1);
}

/* Marked cells (same nonzero mark) joined to their marked neighbours by
 * lines on the dot grid, so a set one cell thin stays a continuous curve
 * at any canvas size; lone cells become dots. */
static void draw_sets(const frame *f, const unsigned char *mark, size_t nx,
                      size_t ny, int xrev, int yrev)
{
    static const int nb[4][2] = {{1, 0}, {0, 1}, {1, 1}, {-1, 1}};
    int dx0 = 2 * f->ax, ndx = 2 * f->aw;
    int dy0 = 4 * f->ay, ndy = 4 * f->ah;
    for (size_t j = 0; j < ny; j++)
        for (size_t i = 0; i < nx; i++) {
            unsigned char m = mark[j * nx + i];
            if (!m)
                continue;
            /* y dots grow downwards, rows upwards */
            int px = (int)lround(node_dot(i, nx, xrev, dx0, ndx));
            int py = (int)ceil(node_dot(j, ny, !yrev, dy0, ndy) - 0.5);
            int joined = 0;
            for (int k = 0; k < 4; k++) {
                long ii = (long)i + nb[k][0], jj = (long)j + nb[k][1];
                if (ii < 0 || ii >= (long)nx || jj >= (long)ny ||
                    mark[(size_t)jj * nx + (size_t)ii] != m)
                    continue;
                /* diagonals only where no straight step joins them */
                if (k >= 2 && (mark[j * nx + (size_t)ii] == m ||
                               mark[(size_t)jj * nx + i] == m))
                    continue;
                int qx = (int)lround(node_dot((size_t)ii, nx, xrev, dx0, ndx));
                int qy = (int)ceil(
                    node_dot((size_t)jj, ny, !yrev, dy0, ndy) - 0.5);
                canvas_line(f->c, px, py, qx, qy, STY_SINGULAR);
                joined = 1;
            }
            /* a cell joined only from below or the left was drawn then */
            if (!joined)
                canvas_dot(f->c, px, py, STY_SINGULAR);
        }
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
    int inf = 0;
    for (size_t i = 0; i < nx * ny; i++) {
        double v = z[i];
        if (isfinite(v)) {
            zmin = fmin(zmin, v);
            zmax = fmax(zmax, v);
        } else if (isinf(v)) {
            inf = 1;
        }
    }
    if (!(zmin <= zmax) && !inf)
        return SS_FAIL(SS_ERR_RANGE,
                       "nothing to plot: the heat map has no finite values");
    if (!(zmin <= zmax)) /* all at the floor: any scale will do */
        zmin = zmax = 0;
    plot_scale sc = {0, 0, o->zlog, inf};
    if ((st = pl_scale_range(o, zmin, zmax, &sc.zlo, &sc.zhi)))
        return st;
    c->palette = o->palette >= 0 && o->palette < CANVAS_PAL_COUNT
                     ? o->palette
                     : CANVAS_PAL_VIRIDIS;
    int right = pl_scale_width(&sc, c->h);

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
            int lev = pl_level_of(z[ky * nx + kx], sc.zlo, sc.zhi);
            if (lev != CANVAS_NO_LEVEL)
                canvas_level(c, f.ax + i, py, lev);
        }
    }
    if (mark)
        draw_sets(&f, mark, nx, ny, xrev, yrev);
    pl_colour_scale(c, f.ax + f.aw + 1, f.ay, f.ah, &sc);
    return SS_OK;
}

/* plot_matrix: a matrix drawn as cells (plot.h). Row 0 is at the top, as
 * a matrix is written; each entry is a block of cells (half-cell pixels
 * vertically) in the colour of its value; rows are labelled on the left,
 * columns above; the colour scale stands at the right, diverging about 0
 * when the entries have both signs.
 *
 *   title
 *          w1    w2    v          (column labels centred on the blocks)
 *     w1 ██████▓▓▓▓▓▓░░░░░░ ██╴2
 *     w2 ▓▓▓▓▓▓██████░░░░░░ ▓▓╴0
 *      v ░░░░░░░░░░░░██████ ░░╴-2
 */
#include "plot/plot_int.h"

static void label_of(const char *const *lab, size_t i, char *buf, size_t n)
{
    if (lab && lab[i] && *lab[i])
        snprintf(buf, n, "%s", lab[i]);
    else
        snprintf(buf, n, "%zu", i + 1);
}

ss_status plot_matrix(canvas *c, const double *a, size_t rows, size_t cols,
                      const char *const *rowlab, const char *const *collab,
                      const plot_opts *o)
{
    plot_opts def;
    ss_status st = pl_start_plot(c, &o, &def);
    if (st)
        return st;
    if (!a || rows == 0 || cols == 0 || rows > 4096 || cols > 4096)
        return SS_FAIL(SS_ERR_RANGE, "nothing to plot: a %zu x %zu matrix",
                       rows, cols);
    double mn = INFINITY, mx = -INFINITY;
    for (size_t i = 0; i < rows * cols; i++)
        if (isfinite(a[i])) {
            mn = fmin(mn, a[i]);
            mx = fmax(mx, a[i]);
        }
    if (!(mn <= mx))
        return SS_FAIL(SS_ERR_RANGE,
                       "nothing to plot: the matrix has no finite entries");
    int signed_ = mn < 0 && mx > 0;
    int pal = o->palette >= 0 && o->palette < CANVAS_PAL_COUNT
                  ? o->palette
                  : signed_ ? CANVAS_PAL_COOLWARM : CANVAS_PAL_VIRIDIS;
    double dlo = mn, dhi = mx;
    if (pal == CANVAS_PAL_COOLWARM) { /* symmetric: 0 in the middle */
        double m = fmax(fabs(mn), fabs(mx));
        dlo = -m;
        dhi = m;
    }
    plot_scale sc = {0, 0, o->zlog, 0};
    if ((st = pl_scale_range(o, dlo, dhi, &sc.zlo, &sc.zhi)))
        return st;
    c->palette = pal;

    const char *title = o->title && *o->title ? o->title : NULL;
    int top = title ? 1 : 0;
    int lw = 1;
    char lab[64];
    for (size_t i = 0; i < rows; i++) {
        label_of(rowlab, i, lab, sizeof lab);
        int w = pl_text_width(lab);
        lw = w > lw ? w : lw;
    }
    if (lw > c->w / 4)
        lw = c->w / 4 > 1 ? c->w / 4 : 1;
    int ay = top + 1; /* below the column labels */
    int ah = c->h - ay - (o->xlabel && *o->xlabel ? 1 : 0);
    int right = pl_scale_width(&sc, ah);
    int ax = lw + 1;
    int cw = (c->w - ax - right) / (int)cols;
    int hp = ah > 0 ? 2 * ah / (int)rows : 0; /* half rows per matrix row */
    if (cw < 1 || hp < 1)
        return SS_FAIL(SS_ERR_RANGE,
                       "canvas too small for a %zu x %zu matrix (%dx%d "
                       "cells)",
                       rows, cols, c->w, c->h);
    if (cw > 12)
        cw = 12;
    if (hp > 6)
        hp = 6;
    if (hp >= 2) /* whole cells, so text shows each row apart */
        hp -= hp % 2;
    int hcells = ((int)rows * hp + 1) / 2; /* cells the blocks cover */

    if (title) {
        int w = pl_text_width(title);
        canvas_text(c, w < c->w ? (c->w - w) / 2 : 0, 0, title, STY_TITLE);
    }
    /* blocks: a gap column between blocks when they are wide enough */
    int gap = cw >= 4 ? 1 : 0;
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++) {
            double v = a[i * cols + j];
            int lev = pl_level_of(v, sc.zlo, sc.zhi);
            if (lev == CANVAS_NO_LEVEL)
                continue;
            for (int p = 0; p < hp; p++)
                for (int x = 0; x < cw - gap; x++)
                    canvas_level(c, ax + (int)j * cw + x,
                                 2 * ay + (int)i * hp + p, lev);
        }
    for (size_t j = 0; j < cols; j++) {
        label_of(collab, j, lab, sizeof lab);
        int w = pl_text_width(lab);
        int room = cw - gap > 0 ? cw - gap : 1;
        if (w > room)
            w = room;
        int x = ax + (int)j * cw + (room - w) / 2;
        pl_put_text(c, x, top, lab, w, STY_LABEL);
    }
    for (size_t i = 0; i < rows; i++) {
        label_of(rowlab, i, lab, sizeof lab);
        int w = pl_text_width(lab);
        if (w > lw)
            w = lw;
        int row = ay + ((int)i * hp + hp / 2) / 2; /* the block's middle */
        pl_put_text(c, ax - 1 - w, row, lab, w, STY_LABEL);
    }
    pl_colour_scale(c, ax + (int)cols * cw + 1, ay, hcells, &sc);
    if (o->xlabel && *o->xlabel) {
        int w = pl_text_width(o->xlabel);
        int start = ax + ((int)cols * cw - w) / 2;
        canvas_text(c, start < 0 ? 0 : start, ay + hcells, o->xlabel,
                    STY_LABEL);
    }
    return SS_OK;
}

/* Scatter series of plot_xy: each usable point as its series' marker
 * (pl_marker), clipped to the plot area. */
#include "plot/plot_int.h"

void pl_scatter_series(const frame *f, const plot_series *p)
{
    canvas_style sty = pl_series_style(p->style);
    int dx[9], dy[9];
    int nm = pl_marker(p->style, dx, dy);
    for (size_t j = 0; j < p->n; j++) {
        if (!pl_usable(p->x[j], f->xlog) || !pl_usable(p->y[j], f->ylog))
            continue;
        double qx = pl_xdot(f, pl_to_axis(p->x[j], f->xlog));
        double qy = pl_ydot(f, pl_to_axis(p->y[j], f->ylog));
        if (nm == 1) {
            pl_point(f, qx, qy, sty);
            continue;
        }
        /* the marker's dots, only where the centre is in the area */
        double cx = floor(qx + 0.5), cy = floor(qy + 0.5);
        if (!(cx >= 2.0 * f->ax && cx < 2.0 * (f->ax + f->aw) &&
              cy >= 4.0 * f->ay && cy < 4.0 * (f->ay + f->ah)))
            continue;
        for (int k = 0; k < nm; k++)
            pl_point(f, cx + dx[k], cy + dy[k], sty);
    }
}

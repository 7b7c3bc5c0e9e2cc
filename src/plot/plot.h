/* Plots drawn from plain arrays onto a canvas: axes with nice ticks on
 * linear or log scales, titles, legends; line plots with several series,
 * scatter, heat maps with a colour scale and an overlay mask, bar charts,
 * histograms with a density curve. Nothing here knows what a model is. */
#ifndef SS_PLOT_H
#define SS_PLOT_H

#include "core/status.h"
#include "plot/canvas.h"

#include <stddef.h>

typedef struct {
    const double *x, *y; /* n points; non-finite points are skipped */
    size_t n;
    const char *label;   /* legend text, or NULL */
    int style;           /* 0..7: STY_SERIES1 + style, -1 for STY_FIT, -2 for
                            STY_SINGULAR (a singular set, dashed) */
    int points;          /* 1: draw points only (scatter), 0: connect */
    int dashed;          /* connect with a dashed line (fits) */
} plot_series;

typedef struct {
    const char *title;
    const char *xlabel, *ylabel;
    int xlog, ylog;      /* log10 axes (non-positive values skipped) */
    double xmin, xmax, ymin, ymax; /* NAN: from the data */
    int legend;          /* draw a legend box */
    /* heat maps and matrices */
    double zmin, zmax;   /* the colour scale's range; NAN: from the data
                            (values beyond it take the end colours) */
    int zlog;            /* z holds log10 of the values: the scale is
                            labelled in powers of ten */
    int palette;         /* canvas_palette; -1: automatic (viridis, or
                            coolwarm for a signed matrix) */
} plot_opts;

/* Fills opts with defaults (everything automatic). */
void plot_opts_init(plot_opts *o);

/* Nice tick positions covering [lo, hi] (at most max ticks; on a log axis
 * powers of ten). Returns their number. */
int plot_ticks(double lo, double hi, int max, int log, double *ticks);
/* A short label for a tick value ("0.5", "1e-06", "100"). */
void plot_tick_label(double v, int log, char *buf, size_t n);

ss_status plot_xy(canvas *c, const plot_series *s, size_t ns,
                  const plot_opts *o);

/* z: ny rows of nx values (row 0 = y0, the bottom); NaN cells blank;
 * -inf and +inf cells (at the numerical floor) in the floor colour
 * (CANVAS_FLOOR: '×' in text), with a legend entry under the scale.
 * mark (may be NULL): cells with the same nonzero value form one set, drawn
 * on top with STY_SINGULAR as connected curves on the dot grid (never lost
 * when the grid is finer than the canvas). A colour scale with nice ticks
 * is drawn at the right. */
ss_status plot_heatmap(canvas *c, const double *z, size_t nx, size_t ny,
                       double x0, double x1, double y0, double y1,
                       const unsigned char *mark, const plot_opts *o);

/* A matrix (rows x cols, row-major a[i*cols + j]) as cells: row 0 at the
 * top, rows and columns labelled (rowlab/collab may be NULL: numbers),
 * a colour scale at the right, diverging (coolwarm, symmetric about 0)
 * when entries of both signs occur and o->palette is automatic. */
ss_status plot_matrix(canvas *c, const double *a, size_t rows, size_t cols,
                      const char *const *rowlab, const char *const *collab,
                      const plot_opts *o);

/* Bars of values (one per label), log scale allowed. */
ss_status plot_bars(canvas *c, const double *v, const char *const *labels,
                    size_t n, const plot_opts *o);

/* Histogram of data in bins (0: automatic), scaled as a density, with an
 * optional density curve (curve_x/curve_y, ncurve points) on top. */
ss_status plot_histogram(canvas *c, const double *data, size_t n,
                         size_t bins, const double *curve_x,
                         const double *curve_y, size_t ncurve,
                         const plot_opts *o);

/* A vertical marker over a histogram (a reference value, a mean): at x,
 * in series style `style` (as plot_series), dashed or solid, named in
 * the legend by label (NULL: not listed). */
typedef struct {
    double x;
    const char *label;
    int style;
    int dashed;
} plot_mark;

/* plot_histogram with up to 8 vertical markers drawn over the bars (the
 * x range covers them too). */
ss_status plot_histogram_marked(canvas *c, const double *data, size_t n,
                                size_t bins, const double *curve_x,
                                const double *curve_y, size_t ncurve,
                                const plot_mark *marks, size_t nmarks,
                                const plot_opts *o);

/* plot_histogram with up to 8 density curves (plot_series: style, dashes,
 * legend labels) drawn over the bars; the y range covers them (clip a
 * curve that is infinite at an end by leaving its points out). */
ss_status plot_histogram_curves(canvas *c, const double *data, size_t n,
                                size_t bins, const plot_series *curves,
                                size_t ncurves, const plot_opts *o);

#endif

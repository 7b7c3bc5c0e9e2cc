/* Internal to the plot library: the frame engine shared by every kind of
 * plot (plot_frame.c) -- layout, axes, ticks, titles, legends, ranges and
 * the small numeric helpers -- and what the per-kind files use of it. */
#ifndef SS_PLOT_INT_H
#define SS_PLOT_INT_H

#include "plot/plot.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIN_W 20
#define MIN_H 6
#define MAX_TICKS 32
#define LABEL_MAX 32

#define CH_VLINE 0x2502u  /* │ */
#define CH_HLINE 0x2500u  /* ─ */
#define CH_CORNER 0x2514u /* └ */
#define CH_TICK_L 0x2524u /* ┤ */
#define CH_TICK_B 0x252cu /* ┬ */
#define CH_BOX_TL 0x250cu /* ┌ */
#define CH_BOX_TR 0x2510u /* ┐ */
#define CH_BOX_BL 0x2514u /* └ */
#define CH_BOX_BR 0x2518u /* ┘ */
#define CH_FULL 0x2588u   /* █ */
#define CH_UPPER 0x2580u  /* ▀ */
#define CH_LOWER 0x2584u  /* ▄ */

typedef struct {
    canvas *c;
    int ax, ay, aw, ah; /* plot area: cells [ax, ax+aw) x [ay, ay+ah) */
    int margin;         /* y axis column; tick labels end just left of it */
    int xlog, ylog;
    int cellmap;        /* ticks mapped to cell bins (heat maps) */
    int xticks;         /* draw numeric x ticks */
    double xlo, xhi, ylo, yhi; /* axis units */
    int ny;
    double yt[MAX_TICKS];
    char ylab[MAX_TICKS][LABEL_MAX];
    const char *title, *xlabel, *ylabel;
    int ylabel_row;
} frame;

int pl_clampi(int v, int lo, int hi);
int pl_floor_clamp(double v, int lo, int hi);
double pl_frac_of(double t, double lo, double hi);
int pl_degenerate(double a, double b);
int pl_text_width(const char *s);
int pl_put_text(canvas *c, int x, int y, const char *s, int maxw, canvas_style st);
int pl_usable(double v, int log);
double pl_to_axis(double v, int log);
double pl_from_axis(double t, int log);
ss_status pl_too_small(const canvas *c);
ss_status pl_check_canvas(canvas *c);
ss_status pl_start_plot(canvas *c, const plot_opts **o, plot_opts *def);
ss_status pl_axis_range(char name, double dlo, double dhi, double omin, double omax, int log, double pad, double *lo, double *hi);
double pl_xdot(const frame *f, double t);
double pl_ydot(const frame *f, double t);
int pl_tick_col(const frame *f, double t);
int pl_tick_row(const frame *f, double t);
int pl_in_range(double t, double lo, double hi);
ss_status pl_frame_plan(frame *f, canvas *c, const plot_opts *o, int right, int xtick_row);
void pl_frame_draw(const frame *f);
int pl_clip_area(const frame *f, double *x0, double *y0, double *x1, double *y1);
int pl_round_in(double v, int lo, int hi);
void pl_segment(const frame *f, double x0, double y0, double x1, double y1,
                canvas_style st, unsigned pattern, int period, int *dash,
                int skip_first);
void pl_pattern(const plot_series *p, unsigned *pattern, int *period);
int pl_marker(int style, int dx[9], int dy[9]);
/* The series drawers of plot_xy (plot_line.c, plot_scatter.c). */
void pl_line_series(const frame *f, const plot_series *p);
void pl_scatter_series(const frame *f, const plot_series *p);
void pl_point(const frame *f, double x, double y, canvas_style st);
canvas_style pl_series_style(int style);
int pl_dots_in(const canvas *c, int x0, int y0, int w, int h);
void pl_legend(const frame *f, const plot_series *s, size_t ns);
void pl_bar_cells(const frame *f, int x0, int x1, int a, int b, int res);
int pl_bar_pos(const frame *f, double t, int res);

/* A colour scale: the z range of the levels, whether z is log10 of the
 * values (labels as powers of ten), whether to add the floor's legend
 * entry. Drawn at column bx right of an area of rows [ay, ay+ah). */
typedef struct {
    double zlo, zhi;
    int zlog, floor;
} plot_scale;
int pl_level_of(double v, double zmin, double zmax);
/* Columns the scale needs right of the area (for `rows` rows). */
int pl_scale_width(const plot_scale *s, int rows);
void pl_colour_scale(canvas *c, int bx, int ay, int ah, const plot_scale *s);
/* The scale range from the data range and plot_opts zmin/zmax. */
ss_status pl_scale_range(const plot_opts *o, double dlo, double dhi,
                         double *zlo, double *zhi);

#endif

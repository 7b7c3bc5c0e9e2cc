/* plot_*: line plots, scatter, heat maps, bars and histograms drawn on a
 * canvas (plot.h).
 *
 * Layout, shared by every plot (rows top to bottom):
 *   title (centred on row 0) and the y-axis title (top-left; on the title's
 *   row when both fit, else on the next one), the plot area with the y tick
 *   labels right-aligned in a left margin as wide as the longest label and
 *   the y axis '│' with '┤' tick marks, the x axis '└───┬───' with '┬'
 *   tick marks, the x tick labels centred on their ticks (a label that
 *   would touch the previous one is dropped), and the x-axis title centred
 *   under the area. ASCII canvases show '|', '-', '+' (canvas_glyph).
 *
 * Coordinates: an axis range is kept in axis units (log10 of the value on
 * log axes). Lines and points use the braille dot grid: the first and last
 * dot columns/rows of the area are the ends of the range. Heat maps and
 * bars use whole cells (or half-block pixels) as bins of the range.
 * Fractions are computed with halved operands so that ranges as wide as
 * the doubles stay finite; doubles are converted to int only after
 * clipping to the area. */
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

void plot_opts_init(plot_opts *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->xmin = o->xmax = o->ymin = o->ymax = NAN;
    o->legend = 1;
}

/* ---- small helpers ---------------------------------------------------- */

static int clampi(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* floor() of a double known to be modest, as an int (NaN -> lo). */
static int floor_clamp(double v, int lo, int hi)
{
    if (!(v >= lo))
        return lo;
    if (v >= hi)
        return hi;
    return (int)floor(v);
}

/* (t - lo) / (hi - lo) without overflow for any finite operands. */
static double frac_of(double t, double lo, double hi)
{
    double d = hi * 0.5 - lo * 0.5;
    return d > 0 ? (t * 0.5 - lo * 0.5) / d : 0.5;
}

static int degenerate(double a, double b)
{
    double mag = fmax(fabs(a), fabs(b));
    return !(b - a > mag * 1e-14);
}

/* Cells used by UTF-8 text (one per code point, as canvas_text counts). */
static int text_width(const char *s)
{
    if (!s || !*s)
        return 0;
    size_t n = strlen(s);
    if (n > 4096)
        n = 4096;
    canvas *t = canvas_alloc((int)n, 1, 0);
    if (!t)
        return (int)n;
    int w = canvas_text(t, 0, 0, s, STY_DEFAULT);
    canvas_free(t);
    return w;
}

/* Text at (x, y), at most maxw cells (truncated); returns cells used. */
static int put_text(canvas *c, int x, int y, const char *s, int maxw,
                    canvas_style st)
{
    if (!s || !*s || maxw <= 0)
        return 0;
    canvas *t = canvas_alloc(maxw, 1, 0);
    if (!t)
        return 0;
    int n = canvas_text(t, 0, 0, s, st);
    for (int i = 0; i < n; i++)
        canvas_put(c, x + i, y, t->cells[i].ch, st);
    canvas_free(t);
    return n;
}

static int usable(double v, int log)
{
    return isfinite(v) && (!log || v > 0);
}

static double to_axis(double v, int log)
{
    return log ? log10(v) : v;
}

static double from_axis(double t, int log)
{
    return log ? pow(10.0, t) : t;
}

static ss_status too_small(const canvas *c)
{
    return SS_FAIL(SS_ERR_RANGE,
                   "canvas too small for a plot (%dx%d cells; need at least "
                   "%dx%d)",
                   c->w, c->h, MIN_W, MIN_H);
}

static ss_status check_canvas(canvas *c)
{
    if (!c)
        return SS_FAIL(SS_ERR_RANGE, "no canvas to draw on");
    if (c->w < MIN_W || c->h < MIN_H)
        return too_small(c);
    canvas_clear(c);
    return SS_OK;
}

/* Every plot: defaults for a NULL options pointer, and a canvas that is
 * big enough to draw in. */
static ss_status start_plot(canvas *c, const plot_opts **o, plot_opts *def)
{
    if (!*o) {
        plot_opts_init(def);
        *o = def;
    }
    return check_canvas(c);
}

/* ---- ticks and labels ------------------------------------------------- */

/* Ticks k * m * 10^e in [lo, hi] (lo < hi, finite). */
static int linear_ticks(double lo, double hi, int max, double *ticks)
{
    static const int mult[3] = {1, 2, 5};
    double span = hi * 0.5 - lo * 0.5; /* half the span, finite */
    double raw = span / max * 2;
    if (!(raw > 0))
        return 0;
    int e = (int)floor(log10(raw)) - 1;
    double prev_step = 0, prev_k0 = 0, prev_num = 1, prev_den = 1;
    for (int it = 0; it < 8; it++, e++) {
        double p = pow(10.0, abs(e));
        for (int i = 0; i < 3; i++) {
            /* step = num / den, exact for the usual decimal steps */
            double num = e < 0 ? mult[i] : mult[i] * p;
            double den = e < 0 ? p : 1;
            double step = num / den;
            if (!(step > 0) || !isfinite(step))
                continue;
            double k0 = ceil(lo / step - 1e-9);
            double k1 = floor(hi / step + 1e-9);
            double count = k1 - k0 + 1;
            if (count > max) {
                prev_step = step;
                prev_k0 = k0;
                prev_num = num;
                prev_den = den;
                continue;
            }
            if (count >= 1) {
                int n = (int)count;
                for (int j = 0; j < n; j++) {
                    double v = (k0 + j) * num / den;
                    ticks[j] = fabs(v) < step * 1e-9 ? 0 : v;
                }
                return n;
            }
            if (prev_step > 0) { /* the next step skipped them all */
                double v = prev_k0 * prev_num / prev_den;
                ticks[0] = fabs(v) < prev_step * 1e-9 ? 0 : v;
                return 1;
            }
            return 0;
        }
    }
    return 0;
}

int plot_ticks(double lo, double hi, int max, int log, double *ticks)
{
    if (!ticks || max < 1 || !isfinite(lo) || !isfinite(hi))
        return 0;
    if (lo > hi) {
        double t = lo;
        lo = hi;
        hi = t;
    }
    if (log) {
        if (!(lo > 0))
            return 0;
        double l0 = log10(lo), l1 = log10(hi);
        if (l1 - l0 < 1e-9) { /* one value: a decade either side */
            l0 -= 1;
            l1 += 1;
            lo = pow(10.0, l0);
            hi = pow(10.0, l1);
        }
        int e0 = (int)ceil(l0 - 1e-9), e1 = (int)floor(l1 + 1e-9);
        if (e1 - e0 + 1 >= 2) {
            /* every k-th power, k nice, exponents multiples of k */
            static const int steps[] = {1, 2, 3, 5, 10, 20, 30, 50, 100, 200,
                                        300, 500, 1000};
            for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
                int k = steps[i];
                int a = (int)ceil((double)e0 / k), b = (int)floor((double)e1 / k);
                int n = b - a + 1;
                if (n > max)
                    continue;
                if (n < 1) { /* max == 1 and k too coarse */
                    ticks[0] = pow(10.0, e0);
                    return 1;
                }
                for (int j = 0; j < n; j++)
                    ticks[j] = pow(10.0, (double)(a + j) * k);
                return n;
            }
            ticks[0] = pow(10.0, e0);
            return 1;
        }
        /* less than a decade: 1, 2, 5 times powers of ten */
        static const int mult[3] = {1, 2, 5};
        int n = 0;
        double tmp[MAX_TICKS];
        for (int e = e0 - 1; e <= e1 && n < MAX_TICKS; e++)
            for (int i = 0; i < 3 && n < MAX_TICKS; i++) {
                double v = mult[i] * pow(10.0, e);
                if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9))
                    tmp[n++] = v;
            }
        if (n >= 2 && n <= max) {
            memcpy(ticks, tmp, (size_t)n * sizeof *ticks);
            return n;
        }
        return linear_ticks(lo, hi, max, ticks);
    }
    if (degenerate(lo, hi)) {
        double mag = fmax(fabs(lo), fabs(hi));
        double d = mag > 1e-200 ? mag * 0.1 : 1;
        lo = fmax(lo - d, -DBL_MAX);
        hi = fmin(hi + d, DBL_MAX);
    }
    return linear_ticks(lo, hi, max, ticks);
}

static int reads_back(const char *s, double v)
{
    double b = strtod(s, NULL);
    return fabs(b - v) <= 1e-9 * fabs(v);
}

void plot_tick_label(double v, int log, char *buf, size_t n)
{
    if (!buf || n == 0)
        return;
    char tmp[64];
    if (isnan(v)) {
        snprintf(buf, n, "nan");
        return;
    }
    if (isinf(v)) {
        snprintf(buf, n, "%s", v > 0 ? "inf" : "-inf");
        return;
    }
    if (v == 0) {
        snprintf(buf, n, "0");
        return;
    }
    if (log) {
        /* the decimal exponent as printf sees it */
        snprintf(tmp, sizeof tmp, "%.9e", v);
        const char *ep = strchr(tmp, 'e');
        int ex = ep ? atoi(ep + 1) : 0;
        if (ex >= 4 || ex <= -4) {
            for (int p = 0; p <= 16; p++) {
                snprintf(tmp, sizeof tmp, "%.*e", p, v);
                if (reads_back(tmp, v))
                    break;
            }
        } else {
            for (int d = 0; d <= 16; d++) {
                snprintf(tmp, sizeof tmp, "%.*f", d, v);
                if (reads_back(tmp, v))
                    break;
            }
        }
    } else {
        for (int p = 6; p <= 17; p++) {
            snprintf(tmp, sizeof tmp, "%.*g", p, v);
            if (reads_back(tmp, v))
                break;
        }
    }
    snprintf(buf, n, "%s", tmp);
}

/* ---- axis ranges ------------------------------------------------------ */

/* The range of one axis in axis units from the data range [dlo, dhi]
 * (data units, usable values) and the explicit limits omin/omax (NaN:
 * automatic). pad: fraction added on automatic sides of a linear axis. */
static ss_status axis_range(char name, double dlo, double dhi, double omin,
                            double omax, int log, double pad, double *lo,
                            double *hi)
{
    int amin = !isfinite(omin), amax = !isfinite(omax);
    if (log && ((!amin && omin <= 0) || (!amax && omax <= 0)))
        return SS_FAIL(SS_ERR_RANGE,
                       "%c limits must be positive on a log axis", name);
    if (!amin && !amax && !(omin < omax))
        return SS_FAIL(SS_ERR_RANGE,
                       "%cmin (%g) must be less than %cmax (%g)", name, omin,
                       name, omax);
    double a = to_axis(amin ? dlo : omin, log);
    double b = to_axis(amax ? dhi : omax, log);
    if (a > b) { /* one explicit limit beyond all the data */
        if (amin)
            a = b;
        else
            b = a;
    }
    if (degenerate(a, b)) {
        double mag = fmax(fabs(a), fabs(b));
        double d = log ? 1 : mag > 1e-200 ? mag * 0.1 : 1;
        if (amin && amax) {
            a -= d;
            b += d;
        } else if (amin) {
            a = b - 2 * d;
        } else {
            b = a + 2 * d;
        }
    } else if (!log && pad > 0) {
        double span = b * 0.5 - a * 0.5; /* half */
        if (amin)
            a -= 2 * pad * span;
        if (amax)
            b += 2 * pad * span;
    }
    *lo = fmax(a, -DBL_MAX);
    *hi = fmin(b, DBL_MAX);
    return SS_OK;
}

/* ---- frame: layout, axes, ticks --------------------------------------- */

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

/* Dot coordinates (doubles) of a point in axis units. */
static double xdot(const frame *f, double t)
{
    return 2.0 * f->ax + frac_of(t, f->xlo, f->xhi) * (2.0 * f->aw - 1);
}

static double ydot(const frame *f, double t)
{
    return 4.0 * f->ay +
           (1 - frac_of(t, f->ylo, f->yhi)) * (4.0 * f->ah - 1);
}

static int tick_col(const frame *f, double t)
{
    double fr = frac_of(t, f->xlo, f->xhi);
    if (f->cellmap)
        return f->ax + floor_clamp(fr * f->aw, 0, f->aw - 1);
    double px = floor(xdot(f, t) + 0.5);
    return floor_clamp(px, 2 * f->ax, 2 * (f->ax + f->aw) - 1) / 2;
}

static int tick_row(const frame *f, double t)
{
    double fr = frac_of(t, f->ylo, f->yhi);
    if (f->cellmap)
        return f->ay + f->ah - 1 -
               floor_clamp(fr * 2 * f->ah, 0, 2 * f->ah - 1) / 2;
    double py = floor(ydot(f, t) + 0.5);
    return floor_clamp(py, 4 * f->ay, 4 * (f->ay + f->ah) - 1) / 4;
}

static int in_range(double t, double lo, double hi)
{
    double tol = (hi * 0.5 - lo * 0.5) * 2e-9;
    return t >= lo - tol && t <= hi + tol;
}

/* Sizes the frame: rows for titles, the plot area, y ticks and the left
 * margin; `right` columns are kept free right of the area. The axis
 * ranges must be set. */
static ss_status frame_plan(frame *f, canvas *c, const plot_opts *o,
                            int right, int xtick_row)
{
    f->c = c;
    f->title = o->title && *o->title ? o->title : NULL;
    f->xlabel = o->xlabel && *o->xlabel ? o->xlabel : NULL;
    f->ylabel = o->ylabel && *o->ylabel ? o->ylabel : NULL;
    int top = 0;
    f->ylabel_row = -1;
    if (f->title)
        top = 1;
    if (f->ylabel) {
        int tstart = (c->w - text_width(f->title)) / 2;
        if (f->title && text_width(f->ylabel) + 1 < tstart) {
            f->ylabel_row = 0;
        } else {
            f->ylabel_row = top;
            top++;
        }
    }
    int bottom = 1 + xtick_row + (f->xlabel ? 1 : 0);
    f->ay = top;
    f->ah = c->h - top - bottom;
    if (f->ah < 2)
        return SS_FAIL(SS_ERR_RANGE,
                       "canvas too small for a plot: %dx%d cells leave no "
                       "room for the plot area",
                       c->w, c->h);

    double tk[MAX_TICKS];
    int maxy = clampi(f->ah / 3 + 1, 2, MAX_TICKS);
    int n = plot_ticks(from_axis(f->ylo, f->ylog),
                       from_axis(f->yhi, f->ylog), maxy, f->ylog, tk);
    f->ny = 0;
    int wmax = 1;
    for (int i = 0; i < n; i++) {
        double t = to_axis(tk[i], f->ylog);
        if (!isfinite(t) || !in_range(t, f->ylo, f->yhi))
            continue;
        f->yt[f->ny] = t;
        plot_tick_label(tk[i], f->ylog, f->ylab[f->ny], LABEL_MAX);
        int w = text_width(f->ylab[f->ny]);
        if (w > wmax)
            wmax = w;
        f->ny++;
    }
    f->margin = wmax;
    f->ax = wmax + 1;
    f->aw = c->w - f->ax - right;
    if (f->aw < 4)
        return SS_FAIL(SS_ERR_RANGE,
                       "canvas too small for a plot: %dx%d cells leave no "
                       "room for the plot area",
                       c->w, c->h);
    return SS_OK;
}

static void frame_draw(const frame *f)
{
    canvas *c = f->c;
    if (f->title) {
        int w = text_width(f->title);
        canvas_text(c, w < c->w ? (c->w - w) / 2 : 0, 0, f->title,
                    STY_TITLE);
    }
    if (f->ylabel)
        canvas_text(c, 0, f->ylabel_row, f->ylabel, STY_LABEL);

    int base = f->ay + f->ah; /* the x axis row */
    for (int y = f->ay; y < base; y++)
        canvas_put(c, f->margin, y, CH_VLINE, STY_AXIS);
    canvas_put(c, f->margin, base, CH_CORNER, STY_AXIS);
    for (int x = f->ax; x < f->ax + f->aw; x++)
        canvas_put(c, x, base, CH_HLINE, STY_AXIS);

    int last_row = -1;
    for (int i = 0; i < f->ny; i++) {
        int row = tick_row(f, f->yt[i]);
        canvas_put(c, f->margin, row, CH_TICK_L, STY_AXIS);
        if (row == last_row)
            continue;
        int w = text_width(f->ylab[i]);
        canvas_text(c, f->margin - w, row, f->ylab[i], STY_LABEL);
        last_row = row;
    }

    if (f->xticks) {
        double tk[MAX_TICKS];
        int maxx = clampi(f->aw / 9, 2, MAX_TICKS);
        int n = plot_ticks(from_axis(f->xlo, f->xlog),
                           from_axis(f->xhi, f->xlog), maxx, f->xlog, tk);
        int prev_end = -2;
        for (int i = 0; i < n; i++) {
            double t = to_axis(tk[i], f->xlog);
            if (!isfinite(t) || !in_range(t, f->xlo, f->xhi))
                continue;
            int col = tick_col(f, t);
            canvas_put(c, col, base, CH_TICK_B, STY_AXIS);
            char lab[LABEL_MAX];
            plot_tick_label(tk[i], f->xlog, lab, sizeof lab);
            int w = text_width(lab);
            int start = clampi(col - w / 2, 0, c->w - w);
            if (start <= prev_end) /* would touch the previous label */
                continue;
            canvas_text(c, start, base + 1, lab, STY_LABEL);
            prev_end = start + w;
        }
    }
    if (f->xlabel) {
        int w = text_width(f->xlabel);
        int start = clampi(f->ax + (f->aw - w) / 2, 0, c->w);
        if (w > c->w)
            start = 0;
        canvas_text(c, start, c->h - 1, f->xlabel, STY_LABEL);
    }
}

/* ---- lines on the dot grid -------------------------------------------- */

/* Clip a segment (dot coordinates) to the plot area; 0 if nothing left. */
static int clip_area(const frame *f, double *x0, double *y0, double *x1,
                     double *y1)
{
    double xa = 2.0 * f->ax - 0.49, xb = 2.0 * (f->ax + f->aw) - 0.51;
    double ya = 4.0 * f->ay - 0.49, yb = 4.0 * (f->ay + f->ah) - 0.51;
    return canvas_clip(x0, y0, x1, y1, xa, xb, ya, yb);
}

static int round_in(double v, int lo, int hi)
{
    return clampi(floor_clamp(v + 0.5, lo, hi), lo, hi);
}

/* A segment between two points in dot coordinates, clipped to the area.
 * Dashed: runs of two dots on, two off, the phase kept in *dash across
 * the segments of a series. */
static void segment(const frame *f, double x0, double y0, double x1,
                    double y1, canvas_style st, int dashed, int *dash,
                    int skip_first)
{
    double cx0 = x0, cy0 = y0;
    if (!clip_area(f, &x0, &y0, &x1, &y1))
        return;
    if (x0 != cx0 || y0 != cy0)
        skip_first = 0; /* the start was clipped away: not shared */
    int xa = 2 * f->ax, xb = 2 * (f->ax + f->aw) - 1;
    int ya = 4 * f->ay, yb = 4 * (f->ay + f->ah) - 1;
    int px0 = round_in(x0, xa, xb), py0 = round_in(y0, ya, yb);
    int px1 = round_in(x1, xa, xb), py1 = round_in(y1, ya, yb);
    /* solid lines redraw the shared dot (harmless); dashes must not, or
     * the pattern's phase would slip */
    canvas_line_dashed(f->c, px0, py0, px1, py1, st, dashed ? dash : NULL,
                       dashed ? skip_first : 0);}

static void point(const frame *f, double x, double y, canvas_style st)
{
    if (!(x >= 2.0 * f->ax - 0.5 && x < 2.0 * (f->ax + f->aw) - 0.5 &&
          y >= 4.0 * f->ay - 0.5 && y < 4.0 * (f->ay + f->ah) - 0.5))
        return;
    canvas_dot(f->c, round_in(x, 2 * f->ax, 2 * (f->ax + f->aw) - 1),
               round_in(y, 4 * f->ay, 4 * (f->ay + f->ah) - 1), st);
}

/* ---- line plots -------------------------------------------------------- */

static canvas_style series_style(int style)
{
    if (style < 0)
        return STY_FIT;
    return (canvas_style)(STY_SERIES1 + style % 8);
}

static int dots_in(const canvas *c, int x0, int y0, int w, int h)
{
    int n = 0;
    for (int y = y0; y < y0 + h; y++)
        for (int x = x0; x < x0 + w; x++) {
            const canvas_cell *k = canvas_at(c, x, y);
            if (k && k->dots)
                n++;
        }
    return n;
}

/* The legend box in the corner of the area covering the fewest drawn
 * dots, the top-right one unless another hides less. */
static void legend(const frame *f, const plot_series *s, size_t ns)
{
    canvas *c = f->c;
    int ne = 0, wmax = 0;
    for (size_t i = 0; i < ns; i++)
        if (s[i].label && *s[i].label) {
            ne++;
            int w = text_width(s[i].label);
            if (w > wmax)
                wmax = w;
        }
    if (ne == 0)
        return;
    /* "│ ⠒⠒⠒ label │" */
    int bw = wmax + 8;
    if (bw > f->aw) {
        wmax -= bw - f->aw;
        bw = f->aw;
    }
    if (wmax < 1)
        return;
    if (ne + 2 > f->ah)
        ne = f->ah - 2;
    if (ne < 1)
        return;
    int bh = ne + 2;
    /* a column between the box and the y axis when there is room */
    int xr = f->ax + f->aw - bw, xl = f->ax + (bw < f->aw ? 1 : 0);
    int yt = f->ay, yb = f->ay + f->ah - bh;
    int cx[4] = {xr, xl, xr, xl}, cy[4] = {yt, yt, yb, yb};
    int best = 0, bestn = dots_in(c, cx[0], cy[0], bw, bh);
    for (int i = 1; i < 4; i++) {
        int n = dots_in(c, cx[i], cy[i], bw, bh);
        if (n < bestn) {
            best = i;
            bestn = n;
        }
    }
    int x0 = cx[best], y0 = cy[best];
    for (int y = y0; y < y0 + bh; y++)
        for (int x = x0; x < x0 + bw; x++) {
            uint32_t ch = ' ';
            int top = y == y0, bot = y == y0 + bh - 1;
            int lft = x == x0, rgt = x == x0 + bw - 1;
            if ((top || bot) && (lft || rgt))
                ch = top ? (lft ? CH_BOX_TL : CH_BOX_TR)
                         : (lft ? CH_BOX_BL : CH_BOX_BR);
            else if (top || bot)
                ch = CH_HLINE;
            else if (lft || rgt)
                ch = CH_VLINE;
            canvas_put(c, x, y, ch, STY_LEGEND);
        }
    int row = y0 + 1;
    for (size_t i = 0; i < ns && row < y0 + bh - 1; i++) {
        if (!s[i].label || !*s[i].label)
            continue;
        canvas_style st = series_style(s[i].style);
        int sx = 2 * (x0 + 2), sy = 4 * row + 1; /* dot row 1 of the cell */
        if (s[i].points) {
            canvas_dot(c, sx + 2, sy, st);
        } else {
            for (int d = 0; d < 6; d++)
                if (!s[i].dashed || d < 2 || d >= 4)
                    canvas_dot(c, sx + d, sy, st);
        }
        put_text(c, x0 + 6, row, s[i].label, wmax, STY_LEGEND);
        row++;
    }
}

ss_status plot_xy(canvas *c, const plot_series *s, size_t ns,
                  const plot_opts *o)
{
    plot_opts def;
    ss_status st = start_plot(c, &o, &def);
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
            if (!usable(x, o->xlog) || !usable(y, o->ylog))
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
    if ((st = axis_range('x', xmn, xmx, o->xmin, o->xmax, f.xlog, 0.05,
                         &f.xlo, &f.xhi)) ||
        (st = axis_range('y', ymn, ymx, o->ymin, o->ymax, f.ylog, 0.05,
                         &f.ylo, &f.yhi)))
        return st;
    if ((st = frame_plan(&f, c, o, 1, 1)))
        return st;
    frame_draw(&f);

    for (size_t i = 0; s && i < ns; i++) {
        const plot_series *p = &s[i];
        if (!p->x || !p->y)
            continue;
        canvas_style sty = series_style(p->style);
        int dash = 0, have = 0;
        double px = 0, py = 0;
        for (size_t j = 0; j < p->n; j++) {
            if (!usable(p->x[j], f.xlog) || !usable(p->y[j], f.ylog)) {
                have = 0;
                continue;
            }
            double qx = xdot(&f, to_axis(p->x[j], f.xlog));
            double qy = ydot(&f, to_axis(p->y[j], f.ylog));
            if (p->points) {
                point(&f, qx, qy, sty);
            } else if (have) {
                segment(&f, px, py, qx, qy, sty, p->dashed, &dash, 1);
            } else {
                int next = j + 1 < p->n && usable(p->x[j + 1], f.xlog) &&
                           usable(p->y[j + 1], f.ylog);
                if (!next) /* an isolated point */
                    point(&f, qx, qy, sty);
                else if (p->dashed)
                    segment(&f, qx, qy, qx, qy, sty, 1, &dash, 0);
            }
            px = qx;
            py = qy;
            have = 1;
        }
    }
    if (o->legend)
        legend(&f, s, ns);
    return SS_OK;
}

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
    return floor_clamp(frac_of(v, zmin, zmax) * CANVAS_LEVELS, 0,
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
    ss_status st = start_plot(c, &o, &def);
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
    int lw = text_width(lmax) > text_width(lmin) ? text_width(lmax)
                                                 : text_width(lmin);
    int right = 1 + 2 + 1 + lw; /* gap, bar, gap, labels */

    frame f;
    memset(&f, 0, sizeof f);
    f.cellmap = 1;
    f.xticks = 1;
    int xrev = x1 < x0, yrev = y1 < y0;
    if ((st = axis_range('x', fmin(x0, x1), fmax(x0, x1), NAN, NAN, 0, 0,
                         &f.xlo, &f.xhi)) ||
        (st = axis_range('y', fmin(y0, y1), fmax(y0, y1), NAN, NAN, 0, 0,
                         &f.ylo, &f.yhi)))
        return st;
    if ((st = frame_plan(&f, c, o, right, 1)))
        return st;
    frame_draw(&f);

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

/* ---- bars -------------------------------------------------------------- */

/* A bar over columns [x0, x1] between unit positions a < b measured from
 * the bottom of the area; res units per cell (2: half blocks, 1: cells). */
static void bar_cells(const frame *f, int x0, int x1, int a, int b, int res)
{
    uint32_t full = f->c->ascii ? '#' : CH_FULL;
    for (int r = 0; r < f->ah; r++) {
        int lo_in = r * res >= a && r * res < b;
        int hi_in = r * res + res - 1 >= a && r * res + res - 1 < b;
        uint32_t ch = lo_in && hi_in ? full
                      : lo_in        ? CH_LOWER
                      : hi_in        ? CH_UPPER
                                     : 0;
        if (!ch)
            continue;
        for (int x = x0; x <= x1; x++)
            canvas_put(f->c, x, f->ay + f->ah - 1 - r, ch, STY_SERIES1);
    }
}

/* Unit position (0 .. ah*res) of a value in axis units. */
static int bar_pos(const frame *f, double t, int res)
{
    int n = f->ah * res;
    return floor_clamp(frac_of(t, f->ylo, f->yhi) * n + 0.5, 0, n);
}

ss_status plot_bars(canvas *c, const double *v, const char *const *labels,
                    size_t n, const plot_opts *o)
{
    plot_opts def;
    ss_status st = start_plot(c, &o, &def);
    if (st)
        return st;
    if (!v || n == 0)
        return SS_FAIL(SS_ERR_RANGE, "nothing to plot: no bars");
    int ylog = o->ylog != 0;
    double mn = INFINITY, mx = -INFINITY;
    for (size_t i = 0; i < n; i++)
        if (usable(v[i], ylog)) {
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
        if ((st = axis_range('y', lo, mx, o->ymin, o->ymax, 1, 0, &f.ylo,
                             &f.yhi)))
            return st;
    } else {
        double lo = fmin(mn, 0), hi = fmax(mx, 0);
        if ((st = axis_range('y', lo, hi, o->ymin, o->ymax, 0, 0, &f.ylo,
                             &f.yhi)))
            return st;
        /* pad only away from the baseline */
        double span = f.yhi * 0.5 - f.ylo * 0.5;
        if (isnan(o->ymax) && f.yhi > 0)
            f.yhi = fmin(f.yhi + 0.1 * span, DBL_MAX);
        if (isnan(o->ymin) && f.ylo < 0)
            f.ylo = fmax(f.ylo - 0.1 * span, -DBL_MAX);
    }
    if ((st = frame_plan(&f, c, o, 1, 1)))
        return st;
    if ((size_t)f.aw < n)
        return SS_FAIL(SS_ERR_RANGE,
                       "canvas too narrow for %zu bars (%d columns)", n,
                       f.aw);
    frame_draw(&f);

    int slot = f.aw / (int)n;
    int off = (f.aw - slot * (int)n) / 2;
    int bw = slot >= 3 ? slot - (slot / 3 > 0 ? slot / 3 : 1) : 1;
    int res = c->ascii ? 1 : 2;
    int base = ylog ? 0
                    : bar_pos(&f, fmin(fmax(0, f.ylo), f.yhi), res);
    for (size_t i = 0; i < n; i++) {
        int x0 = f.ax + off + (int)i * slot + (slot - bw) / 2;
        if (usable(v[i], ylog)) {
            int p = bar_pos(&f, to_axis(v[i], ylog), res);
            int a = p < base ? p : base, b = p < base ? base : p;
            bar_cells(&f, x0, x0 + bw - 1, a, b, res);
        }
        if (labels && labels[i]) {
            int maxw = slot > 1 ? slot - 1 : 1;
            int w = text_width(labels[i]);
            if (w > maxw)
                w = maxw;
            int centre = x0 + (bw - 1) / 2;
            put_text(c, clampi(centre - (w - 1) / 2, 0, c->w - w),
                     f.ay + f.ah + 1, labels[i], w, STY_LABEL);
        }
    }
    return SS_OK;
}

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
    plot_opts def;
    ss_status st = start_plot(c, &o, &def);
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
    if (degenerate(lo, hi)) { /* constant data: one bin around it */
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

    frame f;
    memset(&f, 0, sizeof f);
    f.xticks = 1;
    if ((st = axis_range('x', xmn, xmx, o->xmin, o->xmax, 0, 0, &f.xlo,
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
            double fr = frac_of(s[i], lo, hi) * (double)nb;
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
        if ((st = axis_range('y', 0, fmax(dmax, cmax), o->ymin, o->ymax, 0,
                             0, &f.ylo, &f.yhi)))
            goto done;
        if (isnan(o->ymax))
            f.yhi = fmin(f.yhi + 0.1 * (f.yhi * 0.5 - f.ylo * 0.5), DBL_MAX);
        canvas_clear(c);
        if ((st = frame_plan(&f, c, o, 1, 1)))
            goto done;
    }
    frame_draw(&f);

    int res = c->ascii ? 1 : 2;
    int base = bar_pos(&f, fmin(fmax(0, f.ylo), f.yhi), res);
    for (size_t k = 0; k < nb; k++) {
        double e0 = lo + (double)k * binw, e1 = lo + (double)(k + 1) * binw;
        int c0 = floor_clamp(frac_of(e0, f.xlo, f.xhi) * f.aw + 1e-9, 0,
                             f.aw - 1);
        int c1 = k + 1 == nb ? floor_clamp(frac_of(hi, f.xlo, f.xhi) * f.aw -
                                               1e-9,
                                           0, f.aw - 1)
                             : floor_clamp(frac_of(e1, f.xlo, f.xhi) * f.aw +
                                               1e-9,
                                           0, f.aw) -
                                   1;
        if (c1 < c0)
            c1 = c0;
        if (!count[k] || frac_of(e1, f.xlo, f.xhi) <= 0 ||
            frac_of(e0, f.xlo, f.xhi) >= 1)
            continue;
        double d = (double)count[k] / (double)nf / binw;
        int p = bar_pos(&f, d, res);
        if (p > base)
            bar_cells(&f, f.ax + c0, f.ax + c1, base, p, res);
    }
    if (curve_x && curve_y) {
        int have = 0, dash = 0;
        double px = 0, py = 0;
        for (size_t i = 0; i < ncurve; i++) {
            if (!isfinite(curve_x[i]) || !isfinite(curve_y[i])) {
                have = 0;
                continue;
            }
            double qx = xdot(&f, curve_x[i]), qy = ydot(&f, curve_y[i]);
            if (have)
                segment(&f, px, py, qx, qy, STY_FIT, 0, &dash, 1);
            else
                point(&f, qx, qy, STY_FIT);
            px = qx;
            py = qy;
            have = 1;
        }
    }
done:
    free(count);
    free(s);
    return st;
}

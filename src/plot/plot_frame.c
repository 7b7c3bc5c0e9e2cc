/* The frame engine of every plot (plot_int.h): options, ticks, labels,
 * axis ranges, the layout of titles, axes and the plot area, legends.
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
#include "plot/plot_int.h"

void plot_opts_init(plot_opts *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->xmin = o->xmax = o->ymin = o->ymax = NAN;
    o->legend = 1;
    o->zmin = o->zmax = NAN;
    o->palette = -1;
}

/* ---- small helpers ---------------------------------------------------- */

int pl_clampi(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* floor() of a double known to be modest, as an int (NaN -> lo). */
int pl_floor_clamp(double v, int lo, int hi)
{
    if (!(v >= lo))
        return lo;
    if (v >= hi)
        return hi;
    return (int)floor(v);
}

/* (t - lo) / (hi - lo) without overflow for any finite operands. */
double pl_frac_of(double t, double lo, double hi)
{
    double d = hi * 0.5 - lo * 0.5;
    return d > 0 ? (t * 0.5 - lo * 0.5) / d : 0.5;
}

int pl_degenerate(double a, double b)
{
    double mag = fmax(fabs(a), fabs(b));
    return !(b - a > mag * 1e-14);
}

/* Cells used by UTF-8 text (one per code point, as canvas_text counts). */
int pl_text_width(const char *s)
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
int pl_put_text(canvas *c, int x, int y, const char *s, int maxw,
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

int pl_usable(double v, int log)
{
    return isfinite(v) && (!log || v > 0);
}

double pl_to_axis(double v, int log)
{
    return log ? log10(v) : v;
}

double pl_from_axis(double t, int log)
{
    return log ? pow(10.0, t) : t;
}

ss_status pl_too_small(const canvas *c)
{
    return SS_FAIL(SS_ERR_RANGE,
                   "canvas too small for a plot (%dx%d cells; need at least "
                   "%dx%d)",
                   c->w, c->h, MIN_W, MIN_H);
}

ss_status pl_check_canvas(canvas *c)
{
    if (!c)
        return SS_FAIL(SS_ERR_RANGE, "no canvas to draw on");
    if (c->w < MIN_W || c->h < MIN_H)
        return pl_too_small(c);
    canvas_clear(c);
    return SS_OK;
}

/* Every plot: defaults for a NULL options pointer, and a canvas that is
 * big enough to draw in. */
ss_status pl_start_plot(canvas *c, const plot_opts **o, plot_opts *def)
{
    if (!*o) {
        plot_opts_init(def);
        *o = def;
    }
    return pl_check_canvas(c);
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
        if (n >= 3 && n <= max) {
            memcpy(ticks, tmp, (size_t)n * sizeof *ticks);
            return n;
        }
        /* under half a decade (100..400): every digit times the power,
         * so that the ends are labelled too */
        int nd = 0;
        double dig[MAX_TICKS];
        for (int e = e0 - 1; e <= e1 && nd < MAX_TICKS; e++)
            for (int i = 1; i <= 9 && nd < MAX_TICKS; i++) {
                double v = i * pow(10.0, e);
                if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9))
                    dig[nd++] = v;
            }
        if (nd >= 3 && nd <= max) {
            memcpy(ticks, dig, (size_t)nd * sizeof *ticks);
            return nd;
        }
        if (n >= 2 && n <= max) {
            memcpy(ticks, tmp, (size_t)n * sizeof *ticks);
            return n;
        }
        return linear_ticks(lo, hi, max, ticks);
    }
    if (pl_degenerate(lo, hi)) {
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
ss_status pl_axis_range(char name, double dlo, double dhi, double omin,
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
    double a = pl_to_axis(amin ? dlo : omin, log);
    double b = pl_to_axis(amax ? dhi : omax, log);
    if (a > b) { /* one explicit limit beyond all the data */
        if (amin)
            a = b;
        else
            b = a;
    }
    if (pl_degenerate(a, b)) {
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


/* Dot coordinates (doubles) of a point in axis units. */
double pl_xdot(const frame *f, double t)
{
    return 2.0 * f->ax + pl_frac_of(t, f->xlo, f->xhi) * (2.0 * f->aw - 1);
}

double pl_ydot(const frame *f, double t)
{
    return 4.0 * f->ay +
           (1 - pl_frac_of(t, f->ylo, f->yhi)) * (4.0 * f->ah - 1);
}

int pl_tick_col(const frame *f, double t)
{
    double fr = pl_frac_of(t, f->xlo, f->xhi);
    if (f->cellmap)
        return f->ax + pl_floor_clamp(fr * f->aw, 0, f->aw - 1);
    double px = floor(pl_xdot(f, t) + 0.5);
    return pl_floor_clamp(px, 2 * f->ax, 2 * (f->ax + f->aw) - 1) / 2;
}

int pl_tick_row(const frame *f, double t)
{
    double fr = pl_frac_of(t, f->ylo, f->yhi);
    if (f->cellmap)
        return f->ay + f->ah - 1 -
               pl_floor_clamp(fr * 2 * f->ah, 0, 2 * f->ah - 1) / 2;
    double py = floor(pl_ydot(f, t) + 0.5);
    return pl_floor_clamp(py, 4 * f->ay, 4 * (f->ay + f->ah) - 1) / 4;
}

int pl_in_range(double t, double lo, double hi)
{
    double tol = (hi * 0.5 - lo * 0.5) * 2e-9;
    return t >= lo - tol && t <= hi + tol;
}

/* Sizes the frame: rows for titles, the plot area, y ticks and the left
 * margin; `right` columns are kept free right of the area. The axis
 * ranges must be set. */
ss_status pl_frame_plan(frame *f, canvas *c, const plot_opts *o,
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
        int tstart = (c->w - pl_text_width(f->title)) / 2;
        if (f->title && pl_text_width(f->ylabel) + 1 < tstart) {
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
    int maxy = pl_clampi(f->ah / 3 + 1, 2, MAX_TICKS);
    int n = plot_ticks(pl_from_axis(f->ylo, f->ylog),
                       pl_from_axis(f->yhi, f->ylog), maxy, f->ylog, tk);
    f->ny = 0;
    int wmax = 1;
    for (int i = 0; i < n; i++) {
        double t = pl_to_axis(tk[i], f->ylog);
        if (!isfinite(t) || !pl_in_range(t, f->ylo, f->yhi))
            continue;
        f->yt[f->ny] = t;
        plot_tick_label(tk[i], f->ylog, f->ylab[f->ny], LABEL_MAX);
        int w = pl_text_width(f->ylab[f->ny]);
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

void pl_frame_draw(const frame *f)
{
    canvas *c = f->c;
    if (f->title) {
        int w = pl_text_width(f->title);
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
        int row = pl_tick_row(f, f->yt[i]);
        canvas_put(c, f->margin, row, CH_TICK_L, STY_AXIS);
        if (row == last_row)
            continue;
        int w = pl_text_width(f->ylab[i]);
        canvas_text(c, f->margin - w, row, f->ylab[i], STY_LABEL);
        last_row = row;
    }

    if (f->xticks) {
        double tk[MAX_TICKS];
        int maxx = pl_clampi(f->aw / 9, 2, MAX_TICKS);
        int n = plot_ticks(pl_from_axis(f->xlo, f->xlog),
                           pl_from_axis(f->xhi, f->xlog), maxx, f->xlog, tk);
        int prev_end = -2;
        for (int i = 0; i < n; i++) {
            double t = pl_to_axis(tk[i], f->xlog);
            if (!isfinite(t) || !pl_in_range(t, f->xlo, f->xhi))
                continue;
            int col = pl_tick_col(f, t);
            canvas_put(c, col, base, CH_TICK_B, STY_AXIS);
            char lab[LABEL_MAX];
            plot_tick_label(tk[i], f->xlog, lab, sizeof lab);
            int w = pl_text_width(lab);
            int start = pl_clampi(col - w / 2, 0, c->w - w);
            if (start <= prev_end) /* would touch the previous label */
                continue;
            canvas_text(c, start, base + 1, lab, STY_LABEL);
            prev_end = start + w;
        }
    }
    if (f->xlabel) {
        int w = pl_text_width(f->xlabel);
        int start = pl_clampi(f->ax + (f->aw - w) / 2, 0, c->w);
        if (w > c->w)
            start = 0;
        canvas_text(c, start, c->h - 1, f->xlabel, STY_LABEL);
    }
}

/* ---- lines on the dot grid -------------------------------------------- */

/* Clip a segment (dot coordinates) to the plot area; 0 if nothing left. */
int pl_clip_area(const frame *f, double *x0, double *y0, double *x1,
                     double *y1)
{
    double xa = 2.0 * f->ax - 0.49, xb = 2.0 * (f->ax + f->aw) - 0.51;
    double ya = 4.0 * f->ay - 0.49, yb = 4.0 * (f->ay + f->ah) - 0.51;
    return canvas_clip(x0, y0, x1, y1, xa, xb, ya, yb);
}

int pl_round_in(double v, int lo, int hi)
{
    return pl_clampi(pl_floor_clamp(v + 0.5, lo, hi), lo, hi);
}

/* A segment between two points in dot coordinates, clipped to the area,
 * in a dash pattern (canvas_line_pattern; period 1: solid), the phase kept
 * in *dash across the segments of a series. */
void pl_segment(const frame *f, double x0, double y0, double x1, double y1,
                canvas_style st, unsigned pattern, int period, int *dash,
                int skip_first)
{
    double cx0 = x0, cy0 = y0;
    if (!pl_clip_area(f, &x0, &y0, &x1, &y1))
        return;
    if (x0 != cx0 || y0 != cy0)
        skip_first = 0; /* the start was clipped away: not shared */
    int xa = 2 * f->ax, xb = 2 * (f->ax + f->aw) - 1;
    int ya = 4 * f->ay, yb = 4 * (f->ay + f->ah) - 1;
    int px0 = pl_round_in(x0, xa, xb), py0 = pl_round_in(y0, ya, yb);
    int px1 = pl_round_in(x1, xa, xb), py1 = pl_round_in(y1, ya, yb);
    /* solid lines redraw the shared dot (harmless); dashes must not, or
     * the pattern's phase would slip */
    canvas_line_pattern(f->c, px0, py0, px1, py1, st, pattern, period,
                        period > 1 ? dash : NULL,
                        period > 1 ? skip_first : 0);
}

/* The dash pattern of a connected series, so that series stay apart
 * without colour (braille dots all look alike): bit k of *pattern says
 * whether dot k of each period is drawn. Series 1 is solid, the others
 * dotted, dashed, dash-dotted, ...; fitted curves (dashed) two on, two
 * off. */
void pl_pattern(const plot_series *p, unsigned *pattern, int *period)
{
    static const struct {
        unsigned bits;
        int period;
    } pats[8] = {
        {0x1u, 1},   /* ────── solid */
        {0x1u, 2},   /* ·-·-·- dotted */
        {0x0fu, 6},  /* ████░░ dashed */
        {0x2fu, 8},  /* ████░█░░ dash-dot */
        {0x1u, 3},   /* █░░ sparse dots */
        {0x3fu, 9},  /* ██████░░░ long dash */
        {0x1bu, 7},  /* ██░██░░ double dash */
        {0x5fu, 10}, /* █████░█░░░ long dash-dot */
    };
    if (p->dashed || p->style < 0) {
        *pattern = 0x3u;
        *period = 4;
        return;
    }
    int i = p->style % 8;
    *pattern = pats[i].bits;
    *period = pats[i].period;
}

/* The marker of a scatter series, as dot offsets around the point, so
 * that several point series stay apart without colour: a dot, a plus, a
 * cross, a square, ... Returns the number of offsets (at most 9). */
int pl_marker(int style, int dx[9], int dy[9])
{
    static const char *shapes[4] = {
        "0,0",                            /* · */
        "0,0 -1,0 1,0 0,-1 0,1",          /* + */
        "0,0 -1,-1 1,1 -1,1 1,-1",        /* x */
        "0,0 1,0 0,1 1,1",                /* ▪ */
    };
    const char *s = shapes[style < 0 ? 0 : style % 4];
    int n = 0;
    while (*s && n < 9) {
        char *e;
        dx[n] = (int)strtol(s, &e, 10);
        dy[n] = (int)strtol(e + 1, &e, 10);
        n++;
        s = e;
        while (*s == ' ')
            s++;
    }
    return n;
}

void pl_point(const frame *f, double x, double y, canvas_style st)
{
    if (!(x >= 2.0 * f->ax - 0.5 && x < 2.0 * (f->ax + f->aw) - 0.5 &&
          y >= 4.0 * f->ay - 0.5 && y < 4.0 * (f->ay + f->ah) - 0.5))
        return;
    canvas_dot(f->c, pl_round_in(x, 2 * f->ax, 2 * (f->ax + f->aw) - 1),
               pl_round_in(y, 4 * f->ay, 4 * (f->ay + f->ah) - 1), st);
}


/* ---- legend ---------------------------------------------------------- */

canvas_style pl_series_style(int style)
{
    if (style == -2)
        return STY_SINGULAR;
    if (style < 0)
        return STY_FIT;
    return (canvas_style)(STY_SERIES1 + style % 8);
}

int pl_dots_in(const canvas *c, int x0, int y0, int w, int h)
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
void pl_legend(const frame *f, const plot_series *s, size_t ns)
{
    canvas *c = f->c;
    int ne = 0, wmax = 0;
    for (size_t i = 0; i < ns; i++)
        if (s[i].label && *s[i].label) {
            ne++;
            int w = pl_text_width(s[i].label);
            if (w > wmax)
                wmax = w;
        }
    if (ne == 0)
        return;
    /* "│ ⠒⠒⠒⠒ label │": the sample shows the series' dash pattern or
     * marker, so the legend reads without colour */
    int bw = wmax + 9;
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
    int best = 0, bestn = pl_dots_in(c, cx[0], cy[0], bw, bh);
    for (int i = 1; i < 4; i++) {
        int n = pl_dots_in(c, cx[i], cy[i], bw, bh);
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
        canvas_style st = pl_series_style(s[i].style);
        int sx = 2 * (x0 + 2), sy = 4 * row + 1; /* dot row 1 of the cell */
        if (s[i].points) {
            int dx[9], dy[9];
            int nm = pl_marker(s[i].style, dx, dy);
            for (int k = 0; k < nm; k++)
                canvas_dot(c, sx + 3 + dx[k], sy + dy[k], st);
        } else {
            unsigned pat;
            int period;
            pl_pattern(&s[i], &pat, &period);
            for (int d = 0; d < 8; d++)
                if ((pat >> (d % period)) & 1u)
                    canvas_dot(c, sx + d, sy, st);
        }
        pl_put_text(c, x0 + 7, row, s[i].label, wmax, STY_LEGEND);
        row++;
    }
}


/* ---- bars of cells (bar charts, histograms) ----------------------------- */

/* A bar over columns [x0, x1] between unit positions a < b measured from
 * the bottom of the area; res units per cell (2: half blocks, 1: cells). */
void pl_bar_cells(const frame *f, int x0, int x1, int a, int b, int res)
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
int pl_bar_pos(const frame *f, double t, int res)
{
    int n = f->ah * res;
    return pl_floor_clamp(pl_frac_of(t, f->ylo, f->yhi) * n + 0.5, 0, n);
}


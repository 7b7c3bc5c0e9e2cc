/* canvas_*: a grid of character cells with semantic styles (canvas.h).
 *
 * A cell is one of
 *   - blank (ch 0, no dots, no levels);
 *   - text: a code point put there by canvas_put/canvas_text;
 *   - dots: braille dot bits (ch = U+2800 + bits, or the series' ASCII
 *     stand-in), style = the style of the last dot drawn;
 *   - levels: one or two half-block heat pixels (hi = upper, lo = lower;
 *     ch = U+2580 '▀' when the upper half is set, U+2584 '▄' when only the
 *     lower one is; in ASCII the shade of their mean level).
 * Dots replace text; text replaces dots and levels. Dots drawn over levels
 * keep the levels, so a TUI can still colour the background of a marked
 * heat-map cell; the glyph shown is then the dots'.
 *
 * canvas_glyph gives what text output shows: dots as braille (ASCII: a
 * character per series), levels as a shade of their mean level (colour is
 * lost in text), text as is (ASCII: code points above 127 mapped to a
 * stand-in). */
#include "plot/canvas.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define BRAILLE_BASE 0x2800u
#define UPPER_HALF 0x2580u
#define LOWER_HALF 0x2584u

/* Dot bit for (column 0..1, row 0..3) inside a cell. */
static const uint8_t dot_bit[4][2] = {
    {0x01, 0x08},
    {0x02, 0x10},
    {0x04, 0x20},
    {0x40, 0x80},
};

/* Shades for text output of level cells, darkest last. Level 0 is
 * already visible (index 1); a blank is only ever "no level". */
static const uint32_t shade_utf8[5] = {' ', 0x2591, 0x2592, 0x2593, 0x2588};
static const char shade_ascii[] = ".:-=+*#%@";

static void cell_blank(canvas_cell *k)
{
    k->ch = 0;
    k->style = STY_DEFAULT;
    k->dots = 0;
    k->hi = CANVAS_NO_LEVEL;
    k->lo = CANVAS_NO_LEVEL;
}

static int has_level(const canvas_cell *k)
{
    return k->hi != CANVAS_NO_LEVEL || k->lo != CANVAS_NO_LEVEL;
}

static canvas_cell *cell_at(canvas *c, int x, int y)
{
    if (!c || x < 0 || y < 0 || x >= c->w || y >= c->h)
        return NULL;
    return &c->cells[(size_t)y * (size_t)c->w + (size_t)x];
}

canvas *canvas_alloc(int w, int h, int ascii)
{
    if (w <= 0 || h <= 0 || (size_t)w > SIZE_MAX / sizeof(canvas_cell) /
                                            (size_t)h)
        return NULL;
    canvas *c = malloc(sizeof *c);
    if (!c)
        return NULL;
    c->cells = malloc((size_t)w * (size_t)h * sizeof *c->cells);
    if (!c->cells) {
        free(c);
        return NULL;
    }
    c->w = w;
    c->h = h;
    c->ascii = ascii ? 1 : 0;
    c->palette = CANVAS_PAL_VIRIDIS;
    canvas_clear(c);
    return c;
}

void canvas_free(canvas *c)
{
    if (!c)
        return;
    free(c->cells);
    free(c);
}

void canvas_clear(canvas *c)
{
    if (!c)
        return;
    size_t n = (size_t)c->w * (size_t)c->h;
    for (size_t i = 0; i < n; i++)
        cell_blank(&c->cells[i]);
}

void canvas_put(canvas *c, int x, int y, uint32_t ch, canvas_style st)
{
    canvas_cell *k = cell_at(c, x, y);
    if (!k)
        return;
    cell_blank(k);
    k->ch = ch;
    k->style = ch ? (uint8_t)st : STY_DEFAULT;
}

/* ---- UTF-8 ---------------------------------------------------------------- */

/* Decode one code point from s (NUL-terminated); *len receives the bytes
 * consumed (>= 1). Invalid, overlong, surrogate or truncated sequences
 * give '?' for their first byte (the rest is read again); control
 * characters give one '?'. */
static uint32_t utf8_next(const unsigned char *s, int *len)
{
    unsigned char b = s[0];
    *len = 1;
    if (b < 0x80)
        return (b < 0x20 || b == 0x7f) ? '?' : b;
    int n;
    uint32_t cp, min;
    if (b >= 0xc2 && b <= 0xdf) {
        n = 1;
        cp = b & 0x1f;
        min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
        n = 2;
        cp = b & 0x0f;
        min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
        n = 3;
        cp = b & 0x07;
        min = 0x10000;
    } else {
        return '?';
    }
    for (int i = 1; i <= n; i++) {
        if ((s[i] & 0xc0) != 0x80) /* also stops at the NUL */
            return '?';
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return '?';
    *len = n + 1;
    return cp < 0xa0 ? '?' : cp; /* C1 controls: one '?' */
}

int canvas_utf8(uint32_t cp, char *buf)
{
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        cp = 0xfffd;
    int n;
    if (cp < 0x80) {
        buf[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        buf[0] = (char)(0xc0 | (cp >> 6));
        buf[1] = (char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        buf[0] = (char)(0xe0 | (cp >> 12));
        buf[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        buf[2] = (char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        buf[0] = (char)(0xf0 | (cp >> 18));
        buf[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        buf[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        buf[3] = (char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    buf[n] = 0;
    return n;
}

int canvas_text(canvas *c, int x, int y, const char *utf8, canvas_style st)
{
    if (!c || !utf8 || y < 0 || y >= c->h)
        return 0;
    const unsigned char *s = (const unsigned char *)utf8;
    int used = 0;
    /* x may start left of the canvas: those code points are skipped. */
    long cx = x;
    while (*s && cx < c->w) {
        int len;
        uint32_t cp = utf8_next(s, &len);
        s += len;
        if (cx >= 0) {
            canvas_put(c, (int)cx, y, cp, st);
            used++;
        }
        cx++;
    }
    return used;
}

/* ---- dots, lines, levels ------------------------------------------------ */

static uint32_t series_char(int style)
{
    static const char ser[] = "*+ox#@%&";
    if (style >= STY_SERIES1 && style <= STY_SERIES8)
        return (uint32_t)ser[style - STY_SERIES1];
    if (style == STY_FIT)
        return '.';
    if (style == STY_SINGULAR)
        return '!';
    return '*';
}


static int has_floor(const canvas_cell *k)
{
    return k->hi == CANVAS_FLOOR || k->lo == CANVAS_FLOOR;
}

/* The mean level of a cell without its floor half (-1: all floor). */
static int mean_nonfloor(const canvas_cell *k)
{
    int h = k->hi < CANVAS_LEVELS ? k->hi : -1;
    int l = k->lo < CANVAS_LEVELS ? k->lo : -1;
    if (h >= 0 && l >= 0)
        return (h + l + 1) / 2;
    return h >= 0 ? h : l;
}

/* Text for a diverging level: magnitude by glyph size, sign by glyph
 * kind (see canvas.h). */
static uint32_t diverging(int ascii, int level)
{
    static const uint32_t neg_utf8[4] = {0x00b7, 0x2218, 0x25cb, 0x25cf};
    static const uint32_t pos_utf8[4] = {0x2591, 0x2592, 0x2593, 0x2588};
    static const char neg_ascii[] = ".oO@", pos_ascii[] = ":+*#";
    int half = CANVAS_LEVELS / 2;
    int neg = level < half;
    int m = neg ? half - 1 - level : level - half; /* 0 .. half-1 */
    int i = m * 4 / half;
    if (ascii)
        return (uint32_t)(neg ? neg_ascii[i] : pos_ascii[i]);
    return neg ? neg_utf8[i] : pos_utf8[i];
}

static uint32_t shade(int ascii, int level)
{
    if (level < 0)
        level = 0;
    if (level >= CANVAS_LEVELS)
        level = CANVAS_LEVELS - 1;
    if (ascii)
        return (uint32_t)shade_ascii[level * 9 / CANVAS_LEVELS];
    return shade_utf8[1 + level * 4 / CANVAS_LEVELS];
}

/* The text glyph of a level cell (no dots). */
static uint32_t level_glyph(const canvas *c, const canvas_cell *k)
{
    if (has_floor(k))
        return c->ascii ? 'x' : 0x00d7; /* × */
    int lev = mean_nonfloor(k);
    if (c->palette == CANVAS_PAL_COOLWARM)
        return diverging(c->ascii, lev);
    return shade(c->ascii, lev);
}

/* Recompute the composed code point of a dot or level cell. */
static void compose(const canvas *c, canvas_cell *k)
{
    if (k->dots)
        k->ch = c->ascii ? series_char(k->style) : BRAILLE_BASE + k->dots;
    else if (!has_level(k))
        k->ch = 0;
    else if (c->ascii || has_floor(k) || c->palette == CANVAS_PAL_COOLWARM)
        k->ch = level_glyph(c, k);
    else
        k->ch = k->hi != CANVAS_NO_LEVEL ? UPPER_HALF : LOWER_HALF;
}

void canvas_dot(canvas *c, int px, int py, canvas_style st)
{
    if (!c || px < 0 || py < 0 || px / 2 >= c->w || py / 4 >= c->h)
        return;
    canvas_cell *k = cell_at(c, px / 2, py / 4);
    if (!k->dots && !has_level(k)) /* text (or blank): replaced */
        cell_blank(k);
    k->dots |= dot_bit[py % 4][px % 2];
    k->style = (uint8_t)st;
    compose(c, k);
}

int canvas_clip(double *x0, double *y0, double *x1, double *y1, double xa,
                double xb, double ya, double yb)
{
    /* Liang-Barsky */
    if (!isfinite(*x0) || !isfinite(*y0) || !isfinite(*x1) ||
        !isfinite(*y1))
        return 0;
    double dx = *x1 - *x0, dy = *y1 - *y0;
    double p[4] = {-dx, dx, -dy, dy};
    double q[4] = {*x0 - xa, xb - *x0, *y0 - ya, yb - *y0};
    double t0 = 0, t1 = 1;
    for (int i = 0; i < 4; i++) {
        if (p[i] == 0) {
            if (q[i] < 0)
                return 0;
            continue;
        }
        double r = q[i] / p[i];
        if (p[i] < 0) {
            if (r > t1)
                return 0;
            if (r > t0)
                t0 = r;
        } else {
            if (r < t0)
                return 0;
            if (r < t1)
                t1 = r;
        }
    }
    double ax = *x0, ay = *y0;
    *x0 = ax + t0 * dx;
    *y0 = ay + t0 * dy;
    *x1 = ax + t1 * dx;
    *y1 = ay + t1 * dy;
    return 1;
}

void canvas_line_dashed(canvas *c, int px0, int py0, int px1, int py1,
                        canvas_style st, int *phase, int skip_first)
{
    canvas_line_pattern(c, px0, py0, px1, py1, st, phase ? 0x3u : 0x1u,
                        phase ? 4 : 1, phase, skip_first);
}

void canvas_line_pattern(canvas *c, int px0, int py0, int px1, int py1,
                         canvas_style st, unsigned pattern, int period,
                         int *phase, int skip_first)
{
    if (period < 1 || period > 32 || !phase) {
        period = 1;
        pattern = 1;
    }
    if (!c)
        return;
    int xm = 2 * c->w - 1, ym = 4 * c->h - 1;
    if (px0 < 0 || px0 > xm || py0 < 0 || py0 > ym || px1 < 0 ||
        px1 > xm || py1 < 0 || py1 > ym) {
        /* Clip in double (no overflow for any int), then walk the part
         * inside; its endpoints are rounded onto the dot grid. */
        double x0 = px0, y0 = py0, x1 = px1, y1 = py1;
        if (!canvas_clip(&x0, &y0, &x1, &y1, 0, xm, 0, ym))
            return;
        if (x0 != px0 || y0 != py0)
            skip_first = 0; /* the start was clipped away: not shared */
        px0 = (int)lround(x0);
        py0 = (int)lround(y0);
        px1 = (int)lround(x1);
        py1 = (int)lround(y1);
    }
    int dx = abs(px1 - px0), sx = px0 < px1 ? 1 : -1;
    int dy = -abs(py1 - py0), sy = py0 < py1 ? 1 : -1;
    int err = dx + dy;
    for (int first = 1;; first = 0) {
        if (!(first && skip_first)) {
            if (period == 1 || (pattern >> (*phase % period)) & 1u)
                canvas_dot(c, px0, py0, st);
            if (period > 1)
                *phase = (*phase + 1) % period;
        }
        if (px0 == px1 && py0 == py1)
            break;
        int e2 = 2 * err;
        if (e2 >= dy) {
            err += dy;
            px0 += sx;
        }
        if (e2 <= dx) {
            err += dx;
            py0 += sy;
        }
    }
}

void canvas_line(canvas *c, int px0, int py0, int px1, int py1,
                 canvas_style st)
{
    canvas_line_dashed(c, px0, py0, px1, py1, st, NULL, 0);
}

void canvas_level(canvas *c, int x, int py, int level)
{
    if (!c || py < 0)
        return;
    canvas_cell *k = cell_at(c, x, py / 2);
    if (!k)
        return;
    if (!k->dots && !has_level(k)) /* text (or blank): replaced */
        cell_blank(k);
    uint8_t v;
    if (level == CANVAS_NO_LEVEL || level == CANVAS_FLOOR)
        v = (uint8_t)level;
    else if (level < 0)
        v = 0;
    else if (level >= CANVAS_LEVELS)
        v = CANVAS_LEVELS - 1;
    else
        v = (uint8_t)level;
    if (py % 2 == 0)
        k->hi = v;
    else
        k->lo = v;
    compose(c, k);
}

const canvas_cell *canvas_at(const canvas *c, int x, int y)
{
    return cell_at((canvas *)c, x, y);
}

/* ---- output ------------------------------------------------------------- */

/* An ASCII stand-in for a code point above 127 in a text cell. */
static uint32_t ascii_of(uint32_t cp, int style)
{
    if (cp >= BRAILLE_BASE && cp <= BRAILLE_BASE + 0xff)
        return series_char(style);
    if (cp >= 0x2500 && cp <= 0x257f) { /* box drawing */
        switch (cp) {
        case 0x2500: case 0x2501: case 0x2504: case 0x2505: case 0x2508:
        case 0x2509: case 0x254c: case 0x254d: case 0x2550: case 0x2574:
        case 0x2576: case 0x2578: case 0x257a: case 0x257c: case 0x257e:
            return '-';
        case 0x2502: case 0x2503: case 0x2506: case 0x2507: case 0x250a:
        case 0x250b: case 0x254e: case 0x254f: case 0x2551: case 0x2575:
        case 0x2577: case 0x2579: case 0x257b: case 0x257d: case 0x257f:
            return '|';
        case 0x2571: return '/';
        case 0x2572: return '\\';
        case 0x2573: return 'X';
        default: return '+';
        }
    }
    switch (cp) {
    case 0x2588: case 0x2593: return '#'; /* full block, dark shade */
    case 0x2592: return '=';
    case 0x2591: return ':';
    case 0x2580: return '"';               /* upper half */
    case 0x2584: return '_';               /* lower half */
    case 0x00b7: return '.';
    case 0x00d7: return 'x';
    case 0x2212: case 0x2013: case 0x2014: return '-';
    case 0x2018: case 0x2019: return '\'';
    case 0x201c: case 0x201d: return '"';
    default: return '?';
    }
}

uint32_t canvas_glyph(const canvas *c, const canvas_cell *k)
{
    if (!k)
        return ' ';
    int ascii = c && c->ascii;
    if (k->dots)
        return ascii ? series_char(k->style) : BRAILLE_BASE + k->dots;
    if (has_level(k)) {
        if (c)
            return level_glyph(c, k);
        return has_floor(k) ? 'x' : shade(1, mean_nonfloor(k));
    }
    uint32_t ch = k->ch;
    if (ch == 0)
        return ' ';
    if (ch < 0x20 || ch == 0x7f)
        return '?';
    if (ascii && ch > 127)
        return ascii_of(ch, k->style);
    return ch;
}

void canvas_print(const canvas *c, const ss_sink *out)
{
    if (!c || !out)
        return;
    size_t cap = (size_t)c->w * 4 + 2;
    char *line = malloc(cap);
    if (!line)
        return;
    for (int y = 0; y < c->h; y++) {
        size_t len = 0, keep = 0;
        for (int x = 0; x < c->w; x++) {
            uint32_t g = canvas_glyph(c, canvas_at(c, x, y));
            len += (size_t)canvas_utf8(g, line + len);
            if (g != ' ')
                keep = len;
        }
        line[keep] = '\n';
        out->write(out->ctx, line, keep + 1);
    }
    free(line);
}

/* palette_*: terminal colours for canvases (palette.h). */
#include "plot/palette.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *names[CANVAS_PAL_COUNT] = {"viridis", "turbo", "light",
                                              "coolwarm"};

/* 16 levels each, low to high, as xterm 6x6x6-cube colours. */
static const short ramp256[CANVAS_PAL_COUNT][CANVAS_LEVELS] = {
    /* viridis: dark purple, blue, teal, green, yellow */
    {53, 54, 55, 61, 25, 31, 30, 36, 35, 71, 77, 113, 149, 185, 220, 226},
    /* turbo-like at mid lightness: nothing near black or white */
    {57, 63, 27, 33, 39, 37, 36, 35, 71, 107, 143, 179, 172, 166, 160, 124},
    /* light: pale yellow to dark blue */
    {230, 229, 193, 157, 122, 86, 80, 44, 38, 32, 31, 25, 24, 19, 18, 17},
    /* coolwarm: blue to light grey (middle) to red */
    {18, 19, 20, 26, 32, 68, 110, 152, 224, 217, 210, 203, 167, 160, 124,
     88},
};
/* 8 colours: COLOR_BLACK 0, RED 1, GREEN 2, YELLOW 3, BLUE 4, MAGENTA 5,
 * CYAN 6, WHITE 7; five steps spread over the 16 levels. */
static const short ramp8[CANVAS_PAL_COUNT][5] = {
    {4, 5, 1, 3, 7},
    {4, 6, 2, 3, 1},
    {7, 3, 6, 2, 4},
    {4, 6, 7, 5, 1},
};

const char *palette_name(int p)
{
    return p >= 0 && p < CANVAS_PAL_COUNT ? names[p] : "?";
}

int palette_parse(const char *name)
{
    for (int i = 0; name && i < CANVAS_PAL_COUNT; i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    return -1;
}

const char *palette_list(void)
{
    return "viridis, turbo, light, coolwarm";
}

int palette_heat(int palette, int level, int depth)
{
    if (palette < 0 || palette >= CANVAS_PAL_COUNT)
        palette = CANVAS_PAL_VIRIDIS;
    if (level == CANVAS_FLOOR) /* mid grey: in no ramp; black with 8 */
        return depth >= 256 ? 244 : 0;
    if (level < 0)
        level = 0;
    if (level >= CANVAS_LEVELS)
        level = CANVAS_LEVELS - 1;
    if (depth >= 256)
        return ramp256[palette][level];
    return ramp8[palette][level * 5 / CANVAS_LEVELS];
}

int palette_style(int style, int depth)
{
    /* series: blue, orange, green, magenta, teal, ochre, red, violet --
     * all of mid lightness, so they read on white and on black */
    static const short series256[8] = {33, 208, 34, 163, 37, 136, 203, 135};
    static const short series8[8] = {6, 3, 2, 5, 4, 1, -1, 6};
    int big = depth >= 256;
    switch (style) {
    case STY_AXIS:
        return big ? 244 : -1;
    case STY_SINGULAR: /* bright red-pink: in none of the heat ramps' ends */
        return big ? 197 : 1;
    case STY_FIT: /* the terminal's own foreground: visible on any bg */
        return -1;
    case STY_HIGHLIGHT:
        return big ? 166 : 3;
    default:
        break;
    }
    if (style >= STY_SERIES1 && style <= STY_SERIES8)
        return big ? series256[style - STY_SERIES1]
                   : series8[style - STY_SERIES1];
    return -1;
}

int palette_no_color(void)
{
    const char *nc = getenv("NO_COLOR");
    return nc && *nc;
}

/* SGR for a foreground (fg) and background (bg) colour; -1: default. */
static int sgr(char *buf, size_t n, int fg, int bg, int bold, int depth)
{
    int len = snprintf(buf, n, "\033[0");
    if (bold)
        len += snprintf(buf + len, n - (size_t)len, ";1");
    if (fg >= 0)
        len += depth >= 256
                   ? snprintf(buf + len, n - (size_t)len, ";38;5;%d", fg)
                   : snprintf(buf + len, n - (size_t)len, ";%d", 30 + fg);
    if (bg >= 0)
        len += depth >= 256
                   ? snprintf(buf + len, n - (size_t)len, ";48;5;%d", bg)
                   : snprintf(buf + len, n - (size_t)len, ";%d", 40 + bg);
    len += snprintf(buf + len, n - (size_t)len, "m");
    return len;
}

void canvas_print_ansi(const canvas *c, const ss_sink *out, int depth)
{
    if (!c || !out)
        return;
    if (depth != 256 && depth != 8) {
        canvas_print(c, out);
        return;
    }
    /* per cell: at most an SGR of ~40 bytes and a 4-byte glyph */
    size_t cap = (size_t)c->w * 48 + 16;
    char *line = malloc(cap);
    if (!line)
        return;
    for (int y = 0; y < c->h; y++) {
        size_t len = 0, keep = 0;
        int cur_fg = -2, cur_bg = -2, cur_bold = 0;
        for (int x = 0; x < c->w; x++) {
            const canvas_cell *k = canvas_at(c, x, y);
            uint32_t g = canvas_glyph(c, k);
            int fg = -1, bg = -1, bold = 0;
            int heat = k->hi != CANVAS_NO_LEVEL || k->lo != CANVAS_NO_LEVEL;
            if (heat && !k->dots && !c->ascii) {
                /* '▀': upper half in the foreground, lower as background */
                if (k->hi != CANVAS_NO_LEVEL) {
                    g = 0x2580;
                    fg = palette_heat(c->palette, k->hi, depth);
                    if (k->lo != CANVAS_NO_LEVEL)
                        bg = palette_heat(c->palette, k->lo, depth);
                } else {
                    g = 0x2584;
                    fg = palette_heat(c->palette, k->lo, depth);
                }
            } else {
                fg = palette_style(k->style, depth);
                bold = k->style == STY_TITLE || k->style == STY_SINGULAR;
                if (heat) /* dots over a heat cell: keep its colour */
                    bg = palette_heat(c->palette,
                                      k->lo != CANVAS_NO_LEVEL ? k->lo
                                                               : k->hi,
                                      depth);
            }
            if (g == ' ')
                fg = -1; /* a blank needs no foreground */
            if (fg != cur_fg || bg != cur_bg || bold != cur_bold) {
                if (fg == -1 && bg == -1 && !bold)
                    len += (size_t)snprintf(line + len, cap - len, "\033[0m");
                else
                    len += (size_t)sgr(line + len, cap - len, fg, bg, bold,
                                       depth);
                cur_fg = fg;
                cur_bg = bg;
                cur_bold = bold;
            }
            len += (size_t)canvas_utf8(g, line + len);
            if (g != ' ' || bg >= 0)
                keep = len;
        }
        len = keep; /* trailing blanks trimmed; colours always reset */
        len += (size_t)snprintf(line + len, cap - len, "\033[0m");
        line[len++] = '\n';
        out->write(out->ctx, line, len);
    }
    free(line);
}

/* A canvas of character cells with semantic styles, knowing nothing of
 * curses. Lines and points are drawn at sub-cell resolution on a braille
 * dot grid (2 x 4 dots per cell); colour maps on half-block pixels (1 x 2
 * per cell) holding a level 0..CANVAS_LEVELS-1. canvas_print writes the
 * picture as text (UTF-8, or ASCII when the canvas was made with ascii=1):
 * that is what batch mode prints and what golden tests compare. The TUI
 * copies the same cells into a window through a colour palette. */
#ifndef SS_CANVAS_H
#define SS_CANVAS_H

#include "core/sink.h"

#include <stddef.h>
#include <stdint.h>

typedef enum {
    STY_DEFAULT = 0,
    STY_AXIS,       /* frame, tick marks */
    STY_LABEL,      /* tick labels, axis titles */
    STY_TITLE,
    STY_LEGEND,
    STY_SINGULAR,   /* the singular set drawn over a plot */
    STY_FIT,        /* fitted curves (power laws, densities) */
    STY_HIGHLIGHT,  /* marked points: minimum, current parameter */
    STY_SERIES1,    /* series 1..8: STY_SERIES1 + i */
    STY_SERIES8 = STY_SERIES1 + 7,
    STY_COUNT
} canvas_style;

#define CANVAS_LEVELS 16 /* heat-map levels */
#define CANVAS_FLOOR 254 /* a heat pixel "at the floor" (-inf, +inf): its
                            own colour, '×' (ASCII 'x') in text */
#define CANVAS_NO_LEVEL 255

/* Colour ramps for heat levels (the terminal colours are in palette.h).
 * In text output every sequential ramp shows as the same shades; the
 * diverging one shows levels below the middle as '·∘○●' (ASCII ".oO@")
 * and above it as '░▒▓█' (ASCII ":+*#"), so signs read without colour. */
typedef enum {
    CANVAS_PAL_VIRIDIS = 0, /* dark purple to yellow (dark backgrounds) */
    CANVAS_PAL_TURBO,       /* blue, green, orange, red at mid lightness:
                               reads on light and dark backgrounds */
    CANVAS_PAL_LIGHT,       /* pale yellow to dark blue (light backgrounds) */
    CANVAS_PAL_COOLWARM,    /* diverging: blue, grey, red (signed values) */
    CANVAS_PAL_COUNT
} canvas_palette;

typedef struct {
    uint32_t ch;        /* code point shown (after braille/half-block
                           composition); 0 = blank */
    uint8_t style;      /* canvas_style of the glyph */
    uint8_t dots;       /* braille dot bits (0 if none) */
    uint8_t hi, lo;     /* half-block levels, CANVAS_NO_LEVEL if none */
} canvas_cell;

typedef struct canvas {
    int w, h;           /* cells */
    int ascii;          /* print and compose with ASCII only */
    int palette;        /* canvas_palette of the heat levels */
    canvas_cell *cells; /* h rows of w */
} canvas;

canvas *canvas_alloc(int w, int h, int ascii);
void canvas_free(canvas *c);
void canvas_clear(canvas *c);

/* A whole cell (replaces dots and levels there). Out of range: ignored. */
void canvas_put(canvas *c, int x, int y, uint32_t ch, canvas_style st);
/* UTF-8 text from cell (x, y) rightwards, clipped; returns cells used. */
int canvas_text(canvas *c, int x, int y, const char *utf8, canvas_style st);
/* Braille dot at dot coordinates (0 <= px < 2w, 0 <= py < 4h, y down). */
void canvas_dot(canvas *c, int px, int py, canvas_style st);
/* A straight line of dots between two dot positions (clipped). */
void canvas_line(canvas *c, int px0, int py0, int px1, int py1,
                 canvas_style st);
/* The same line, dashed when phase != NULL: runs of two dots on, two off,
 * the phase carried in *phase across the segments of one curve; with
 * skip_first the first dot (shared with the previous segment) is not drawn
 * again. */
void canvas_line_dashed(canvas *c, int px0, int py0, int px1, int py1,
                        canvas_style st, int *phase, int skip_first);
/* The same line in a dash pattern of period dots (1..32): dot k of the
 * walk (counted from *phase, carried across segments) is drawn when bit
 * k % period of pattern is set; period 1 or phase NULL: solid.
 * canvas_line_dashed is the pattern 0x3 of period 4. */
void canvas_line_pattern(canvas *c, int px0, int py0, int px1, int py1,
                         canvas_style st, unsigned pattern, int period,
                         int *phase, int skip_first);
/* Clip the segment (x0,y0)-(x1,y1) to [xa, xb] x [ya, yb] in place;
 * returns 0 when nothing of it is inside (or a coordinate is not finite). */
int canvas_clip(double *x0, double *y0, double *x1, double *y1, double xa,
                double xb, double ya, double yb);
/* A heat pixel: cell column x, half-row py (0 <= py < 2h), level
 * (0..CANVAS_LEVELS-1, CANVAS_FLOOR, or CANVAS_NO_LEVEL to clear). */
void canvas_level(canvas *c, int x, int py, int level);

const canvas_cell *canvas_at(const canvas *c, int x, int y);
/* The glyph to show for a cell in this canvas's charset (braille dots,
 * half blocks or their ASCII stand-ins), as a code point. */
uint32_t canvas_glyph(const canvas *c, const canvas_cell *cell);

/* Write the canvas as text, one line per row, trailing blanks trimmed. */
void canvas_print(const canvas *c, const ss_sink *out);

/* Encode a code point as UTF-8 into buf (>= 5 bytes); returns length. */
int canvas_utf8(uint32_t cp, char *buf);

#endif

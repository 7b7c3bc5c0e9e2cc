/* The terminal colours of canvas styles and heat levels, in one place for
 * the full-screen UI (src/tui/draw.c, through curses) and the line REPL
 * (canvas_print_ansi, through escape sequences): xterm's 256 colours or
 * the 8 basic ones. Chosen to read on light and dark backgrounds alike
 * (mid-lightness series colours; fits in the terminal's own foreground),
 * except that the viridis and light heat ramps are meant for dark and
 * light backgrounds respectively. */
#ifndef SS_PALETTE_H
#define SS_PALETTE_H

#include "core/sink.h"
#include "plot/canvas.h"

/* Names, for `plot ... palette=NAME` and help. */
const char *palette_name(int palette);
int palette_parse(const char *name); /* -1 when unknown */
/* "viridis, turbo, light, coolwarm" */
const char *palette_list(void);

/* Colour number of a heat level (0..CANVAS_LEVELS-1 or CANVAS_FLOOR) in
 * a palette for depth 256 (xterm colour) or 8 (COLOR_* 0..7). */
int palette_heat(int palette, int level, int depth);
/* Foreground colour of a canvas style; -1: the terminal's default. */
int palette_style(int style, int depth);

/* Whether the NO_COLOR convention (a non-empty $NO_COLOR) asks for none. */
int palette_no_color(void);

/* canvas_print with colours as SGR escape sequences (depth 256 or 8):
 * styles as foreground colours, heat pixels as '▀' with the upper level
 * as foreground and the lower as background, the picture the TUI shows.
 * ASCII canvases and depth 0 print as canvas_print does. */
void canvas_print_ansi(const canvas *c, const ss_sink *out, int depth);

#endif

/* Colours and the one place a canvas becomes curses cells: a palette for
 * the canvas styles and the screen chrome, chosen from what the terminal
 * offers (256 colours, 8, or none; NO_COLOR forces none), and the copy of
 * a canvas into a window (heat cells as '▀' with the upper level as
 * foreground and the lower as background, from a perceptual ramp). */
#ifndef SS_TUI_DRAW_H
#define SS_TUI_DRAW_H

#include "plot/canvas.h"

#include <curses.h>

/* Screen elements with their own look. */
typedef enum {
    TUI_C_NORMAL,
    TUI_C_BORDER,
    TUI_C_FOCUS,   /* border and title of the focused pane */
    TUI_C_TITLE,
    TUI_C_STATUS,
    TUI_C_ERROR,   /* error lines in the log */
    TUI_C_ECHO,    /* commands echoed in the log */
    TUI_C_NOTE,    /* captured stderr, hints */
    TUI_C_PROGRESS,
    TUI_C_COUNT
} tui_chrome;

/* Call once after initscr/newterm. Returns the colour depth in use:
 * 256, 8 or 0 (monochrome). */
int tui_palette_init(void);
int tui_palette_depth(void);
/* Number of distinct heat levels the terminal shows (0: text shades). */
int tui_palette_heat_levels(void);
/* Attributes and colour pair for a screen element. */
void tui_chrome_attr(tui_chrome c, attr_t *a, short *pair);
/* Set a window's attributes for a screen element. */
void tui_chrome_set(WINDOW *w, tui_chrome c);

/* Copy the whole canvas to (y0, x0) of the window. */
void tui_draw_canvas(WINDOW *w, int y0, int x0, const canvas *c);

/* A border: Unicode box lines in a UTF-8 locale (plain characters, so
 * every terminal and screen capture shows them), else curses' ACS box. */
void tui_box(WINDOW *w);

/* Whether the locale can show UTF-8 (box glyphs, '—', '▀'). */
int tui_utf8(void);

#endif

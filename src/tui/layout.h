/* Pane grids: a layout spec ("1", "2", "3", "2x2", "1+2", "3x2:1,2,5,6")
 * parsed into rows of slots, and the rectangles of the slots for a given
 * screen area. Knows nothing of curses, so it can be tested alone.
 *
 * Spec grammar:
 *   N          N panes side by side (1..4)
 *   CxR        C columns by R rows ("2x2", "1x2" = two stacked)
 *   A+B[+C]    rows of A, B, ... panes ("1+2": one big pane over two)
 *   SPEC:i,j,..  the same, naming the pane shown in each slot (pane
 *              numbers as in the titles), instead of the default choice */
#ifndef SS_TUI_LAYOUT_H
#define SS_TUI_LAYOUT_H

#include <stddef.h>

#define TUI_MAX_SLOTS 9
#define TUI_MAX_ROWS 4

typedef struct {
    int nrows;
    int cols[TUI_MAX_ROWS];  /* slots in each row */
    int weight[TUI_MAX_ROWS]; /* relative row heights */
    int nslots;
    int panes[TUI_MAX_SLOTS]; /* explicit pane numbers, or 0 (default) */
    char spec[32];           /* normalised spec, for the status bar */
} tui_layout;

typedef struct {
    int x, y, w, h;
} tui_rect;

/* 0 on success; -1 with a message in err otherwise. */
int tui_layout_parse(const char *spec, tui_layout *out, char *err,
                     size_t errlen);

/* Rectangles of the slots (row-major) tiling the area exactly. */
void tui_layout_rects(const tui_layout *l, tui_rect area, tui_rect *slots);

#endif

/* A scrollable text buffer for the log and information panes: lines with a
 * style, soft-wrapped at word boundaries to the pane width (wrap counts are
 * cached per width), a scroll position in display rows and a "follow the
 * end" mode. Input is
 * sanitised (control characters and escape sequences dropped, invalid
 * UTF-8 replaced), so a pane never prints garbage. No curses here. */
#ifndef SS_TUI_TEXT_H
#define SS_TUI_TEXT_H

#include <stddef.h>

enum { TEXT_NORMAL, TEXT_ERROR, TEXT_ECHO, TEXT_NOTE };

typedef struct {
    char *s;
    unsigned char style;
    int rows; /* display rows at the cached width */
} tui_line;

typedef struct {
    tui_line *v;
    size_t n, cap;
    size_t max;  /* oldest lines are dropped beyond this */
    int partial; /* the last line is still open (no newline yet) */
    int width;   /* wrap width the row counts are for (0: none yet) */
    long total;  /* display rows at width */
    long top;    /* first display row shown */
    int follow;  /* keep the end in view */
    int sticky;  /* follow again when scrolled back to the end (log) */
    long serial; /* lines ever started: line i has number serial - n + i */
} tui_text;

/* sticky: follow the end (the log); otherwise stay at the top (info). */
void tui_text_init(tui_text *t, size_t max, int sticky);
void tui_text_free(tui_text *t);
void tui_text_clear(tui_text *t);
void tui_text_append(tui_text *t, const char *s, size_t len, int style);
/* Wrap for this width (recounting rows when it changed). */
void tui_text_set_width(tui_text *t, int width);
/* Scroll by delta rows in a view of height rows; returns 1 if it moved. */
int tui_text_scroll(tui_text *t, long delta, int height);
/* First row to show in a view of this height (applies follow). */
long tui_text_first_row(tui_text *t, int height);
/* Soft wrapping: lines break at blanks (the blanks at a break are not
 * shown); only a word wider than the row is cut. Continuation rows are
 * indented by tui_text_hang columns. */
typedef struct {
    size_t start, len; /* bytes of the line shown on the row */
    int indent;        /* blank columns before them */
} tui_row;
/* The next display row of line s from byte *pos (0: the first row);
 * advances *pos. Returns 0 when the line has no more rows. */
int tui_text_row(const char *s, int width, size_t *pos, tui_row *row);
/* Indentation of continuation rows of s at this width. */
int tui_text_hang(const char *s, int width);
/* Bytes of s that fit in width columns (at least one character). */
size_t tui_text_fit(const char *s, int width, int *cols);
/* Display width of UTF-8 text. */
int tui_text_width(const char *s);

#endif

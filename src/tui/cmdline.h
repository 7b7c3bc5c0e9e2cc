/* The command line: GNU readline in callback mode, fed with the keys the
 * screen loop reads and drawn by us into a one-line window (prompt, the
 * line with horizontal scrolling, the cursor at rl_point). Continuation
 * lines, history (the plain REPL's file) and Tab completion (the REPL's
 * candidates) work as at the plain prompt. readline never touches the
 * terminal itself: no terminal preparation, no signal handlers, output to
 * /dev/null. */
#ifndef SS_TUI_CMDLINE_H
#define SS_TUI_CMDLINE_H

#include "lang/session.h"

#include <curses.h>
#include <wchar.h>

/* Called with each complete statement text (continuation lines joined
 * with '\n'), or NULL on Ctrl-D at an empty line. */
typedef void (*tui_line_fn)(const char *text);

/* Completion lists and abandoned lines ("...^C") are written to s->out
 * (the log pane while the screen runs). Returns 0, or -1 when no memory. */
int tui_cmdline_init(session *s, tui_line_fn on_line);
void tui_cmdline_done(void);

/* Where to draw (NULL while the screen is too small). */
void tui_cmdline_set_window(WINDOW *w);
/* Queue a typed character or a curses key code for readline. Returns 0
 * when a key code means nothing to the command line. */
void tui_cmdline_key_char(wint_t c);
int tui_cmdline_key_code(int code);
/* Typed input is never dropped: it waits, however much, for readline.
 * Only when memory runs out are bytes lost; then everything after the
 * first lost byte is dropped too (never a line with a hole in it) and
 * tui_cmdline_take_lost says how many (0 normally), once. */
size_t tui_cmdline_take_lost(void);
/* Forget the line being typed, its continuation and the queued input. */
void tui_cmdline_discard(void);
/* Hand the queued input to readline. */
void tui_cmdline_flush(void);
/* Nothing typed and no continuation pending. */
int tui_cmdline_empty(void);
/* Ctrl-C at the prompt: echo the abandoned line to the log and clear. */
void tui_cmdline_cancel(void);
/* Draw the line again (after the window changed). */
void tui_cmdline_draw(void);

#endif

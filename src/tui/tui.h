/* The full-screen UI: a grid of panes (plots, the current model, the log),
 * a status bar and a readline command line, in one htop-style loop. While
 * it runs it owns the session's output sinks, progress callback and UI
 * hooks, and the terminal (restored on every way out).
 *
 *     if (tui_start(s, why, sizeof why) == 0) {
 *         ... run -e items and scripts: their output lands in the log ...
 *         tui_update(s);
 *         tui_run(s);
 *         tui_stop(s);
 *     }
 */
#ifndef SS_TUI_H
#define SS_TUI_H

#include "lang/session.h"

#include <stddef.h>

/* Take over the terminal on stdin/stdout. Returns 0, or -1 with the
 * reason in why (the terminal is then untouched: use the plain REPL). */
int tui_start(session *s, char *why, size_t whylen);
/* Bring the screen up to date after commands run outside the loop. */
void tui_update(session *s);
/* Read keys and run commands until `quit`, Ctrl-D, SIGTERM or SIGHUP. */
int tui_run(session *s);
/* Give the terminal and the session back. If SIGTERM/SIGHUP ended the
 * loop, the signal is re-raised afterwards (the process ends with it). */
void tui_stop(session *s);

#endif

/* Terminal hygiene: taking the terminal over (newterm, cbreak so Ctrl-C
 * still raises SIGINT, keypad, short ESC delay) and giving it back on
 * every way out: tui_term_done, exit() (atexit), SIGTERM/SIGHUP (a flag
 * the loop sees; it restores and re-raises), fatal signals (restore, then
 * re-raise), and the second Ctrl-C that exits during a computation. While
 * the screen is ours, fd 2 is a pipe read into the log pane, so stray
 * stderr output never lands on the screen. */
#ifndef SS_TUI_TERM_H
#define SS_TUI_TERM_H

#include <stddef.h>
#include <stdio.h>

/* term: terminal type (NULL: $TERM). capture: redirect fd 2 into a pipe.
 * Returns 0, or -1 with the reason in why (the terminal is untouched). */
int tui_term_init(const char *term, FILE *out, FILE *in, int capture,
                  char *why, size_t whylen);
/* Give the terminal back (idempotent). Leftover captured stderr is
 * written to the real stderr. */
void tui_term_done(void);
int tui_term_active(void);

/* The read end of the stderr pipe (-1 without capture), and a
 * non-blocking read from it (0 when there is nothing). */
int tui_term_stderr_fd(void);
size_t tui_term_read_stderr(char *buf, size_t n);

/* SIGTERM or SIGHUP received: the signal number, else 0. */
int tui_term_signal(void);
/* Give the pending SIGTERM/SIGHUP its default effect (after cleanup). */
void tui_term_reraise(void);
/* A command is running (a second Ctrl-C then exits the program). */
void tui_term_set_busy(int busy);
/* 1 once after a signal handler had to give the terminal back and the
 * program went on: the screen must be painted again. */
int tui_term_take_resumed(void);

#endif

/* The one input path: the REPL, -e, scripts, `source`, batch stdin and the
 * TUI command line all hand text to these functions, which parse it, run
 * each statement through the command table and report errors as
 *     file:line:col: error: message     (just "error: message" at a prompt)
 * An error stops the rest of the text; state is unchanged by the failing
 * statement (handlers are all-or-nothing). */
#ifndef SS_INTERP_H
#define SS_INTERP_H

#include "lang/session.h"

#include <stdio.h>

/* Run complete text (one or more statements, maybe several physical lines
 * starting at s->line). Errors are printed to s->err. */
ss_status interp_exec(session *s, const char *text);

/* Read statements from a stream (script or batch stdin) until EOF, joining
 * continuation lines. Stops at the first error. name labels errors. */
ss_status interp_run_stream(session *s, FILE *f, const char *name);

/* Run a script file (used by main and by `source`). */
ss_status interp_run_file(session *s, const char *path);

#define INTERP_MAX_DEPTH 16

#endif

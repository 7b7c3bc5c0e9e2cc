/* The interactive line REPL on GNU readline's callback interface (the same
 * interface the TUI will feed from its key loop): history kept in the XDG
 * state directory, completion from the command table and the session's
 * objects, continuation prompts, Ctrl-C cancels the line or the running
 * computation, Ctrl-D quits. */
#ifndef SS_REPL_H
#define SS_REPL_H

#include "lang/session.h"

/* Runs until quit or end of input; returns 0. */
int repl_run(session *s);

/* Completion candidates for the word ending at `end` of `line` (exposed for
 * tests): a NULL-terminated malloc'd array of malloc'd strings, or NULL. */
char **repl_candidates(session *s, const char *line, int start,
                       const char *word);

/* Whether the word starting at `start` of `line` is a file name (source's
 * argument, export's second word): readline's own file completion then.
 * Shared by the plain REPL and the TUI command line. */
int repl_wants_files(const char *line, int start);

/* One physical line typed at a readline prompt (takes ownership of line):
 * joins it to *pending, an incomplete statement so far. Returns the
 * complete statement (caller frees), added to the history and appended to
 * hist_path, or NULL when it needs a continuation line (*pending then holds
 * it). Shared by the plain REPL and the TUI command line. */
char *repl_accept_line(char **pending, char *line, const char *hist_path);

/* Open the shared history: create the file if needed, read it, cap it.
 * Returns its path (caller frees), or NULL when no history can be saved:
 * no home, a directory that cannot be made, a path that is not a regular
 * file (a FIFO there is never opened blocking) or a file that cannot be
 * written (it is still read). Those cases, and a later failure to append,
 * are reported once to warn (NULL: silently). */
char *repl_history_open(const ss_sink *warn);

/* The one-line form of a statement typed over several lines, stored in the
 * history so that it runs the same when recalled: continuation backslashes
 * and comments dropped, newlines in brackets as blanks, in quotes as \n,
 * elsewhere as "; ". Caller frees; NULL when out of memory. */
char *repl_history_line(const char *text);

/* Trim the history file and release its path (NULL-safe). */
void repl_history_close(char **path);

/* Path of the history file (XDG_STATE_HOME or ~/.local/state), creating its
 * directory; NULL when no home is known. Caller frees. */
char *repl_history_path(void);

#endif

/* Status codes and the session's error slot.
 *
 * Every fallible function returns ss_status; the reason is recorded once,
 * where the failure is detected, with SS_FAIL (source file/line kept for
 * debugging, input column for user-facing positions). Callers propagate the
 * code without rewording, so the message the user sees is the precise one. */
#ifndef SS_STATUS_H
#define SS_STATUS_H

#include <stdarg.h>
#include <stddef.h>

typedef enum {
    SS_OK = 0,
    SS_ERR_SYNTAX,      /* malformed input line */
    SS_ERR_USAGE,       /* well-formed but wrong arguments for the command */
    SS_ERR_NAME,        /* unknown command, object, model kind or parameter */
    SS_ERR_RANGE,       /* value outside its domain */
    SS_ERR_NUMERIC,     /* a numerical method failed (GSL error, non-finite) */
    SS_ERR_IO,          /* file could not be read or written */
    SS_ERR_NOMEM,
    SS_ERR_INTERRUPTED, /* Ctrl-C: the computation stopped early */
    SS_ERR_LIMIT        /* a size or depth limit was hit */
} ss_status;

typedef struct {
    ss_status code;
    int col;             /* 1-based column in the input line, 0 if none */
    const char *src_file; /* C source that raised it (debugging aid) */
    int src_line;
    char msg[1024];
} ss_error;

ss_status ss_fail_at(ss_status code, int col, const char *src_file,
                     int src_line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

#define SS_FAIL(code, ...) ss_fail_at((code), 0, __FILE__, __LINE__, __VA_ARGS__)
#define SS_FAIL_COL(code, col, ...) \
    ss_fail_at((code), (col), __FILE__, __LINE__, __VA_ARGS__)

/* The calling thread's most recent failure; valid until its next
 * ss_fail_at/ss_clear_error. The slot and the GSL record are thread-local. */
const ss_error *ss_last_error(void);
void ss_clear_error(void);
/* Attach an input column to the pending error when it has none yet. */
void ss_error_set_col(int col);
/* Copy another thread's error into this thread's slot (a replicate worker's
 * failure reported by the runner). */
void ss_error_restore(const ss_error *e);

const char *ss_status_name(ss_status code);

/* Replace GSL's abort-on-error handler with one that records the error in
 * the slot; numerical code then checks return codes and reports cleanly. */
void ss_gsl_install_handler(void);
/* The last GSL error this thread's handler recorded since ss_gsl_clear(), or
 * NULL. Only for wording a message: success is judged by return codes. */
const char *ss_gsl_last(void);
void ss_gsl_clear(void);

/* Append a formatted diagnostic to the text buf (size bytes, NUL-ended),
 * after sep when buf is not empty; a full buf takes no more. How results
 * collect their warnings. */
void ss_text_append(char *buf, size_t size, const char *sep,
                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif

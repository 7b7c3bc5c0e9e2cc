#include "core/status.h"

#include <gsl/gsl_errno.h>
#include <stdio.h>
#include <string.h>

/* Per thread: replicate workers fail independently, and one worker's message
 * must never be read as another's. */
static _Thread_local ss_error slot;
static _Thread_local char gsl_msg[512];
static _Thread_local int gsl_pending;

ss_status ss_fail_at(ss_status code, int col, const char *src_file,
                     int src_line, const char *fmt, ...)
{
    va_list ap;
    slot.code = code;
    slot.col = col;
    slot.src_file = src_file;
    slot.src_line = src_line;
    va_start(ap, fmt);
    vsnprintf(slot.msg, sizeof slot.msg, fmt, ap);
    va_end(ap);
    return code;
}

const ss_error *ss_last_error(void) { return &slot; }

void ss_clear_error(void)
{
    memset(&slot, 0, sizeof slot);
}

void ss_error_restore(const ss_error *e) { slot = *e; }

void ss_error_set_col(int col)
{
    if (slot.col == 0)
        slot.col = col;
}

const char *ss_status_name(ss_status code)
{
    switch (code) {
    case SS_OK: return "ok";
    case SS_ERR_SYNTAX: return "syntax error";
    case SS_ERR_USAGE: return "usage error";
    case SS_ERR_NAME: return "unknown name";
    case SS_ERR_RANGE: return "out of range";
    case SS_ERR_NUMERIC: return "numerical failure";
    case SS_ERR_IO: return "i/o error";
    case SS_ERR_NOMEM: return "out of memory";
    case SS_ERR_INTERRUPTED: return "interrupted";
    case SS_ERR_LIMIT: return "limit exceeded";
    }
    return "error";
}

static void gsl_recorder(const char *reason, const char *file, int line,
                         int gsl_errno)
{
    snprintf(gsl_msg, sizeof gsl_msg, "%s (GSL: %s, %s:%d)", reason,
             gsl_strerror(gsl_errno), file, line);
    gsl_pending = 1;
}

void ss_gsl_install_handler(void) { gsl_set_error_handler(gsl_recorder); }

const char *ss_gsl_last(void) { return gsl_pending ? gsl_msg : NULL; }

void ss_gsl_clear(void)
{
    gsl_pending = 0;
    gsl_msg[0] = 0;
}

void ss_text_append(char *buf, size_t size, const char *sep,
                    const char *fmt, ...)
{
    size_t l = strlen(buf);
    if (l + 4 >= size)
        return;
    if (l)
        l += (size_t)snprintf(buf + l, size - l, "%s", sep);
    if (l + 1 >= size)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + l, size - l, fmt, ap);
    va_end(ap);
}

/* Where command output goes: stdout in batch and REPL modes, a pane's log in
 * the TUI, a memory buffer in tests. Commands never touch FILE* directly. */
#ifndef SS_SINK_H
#define SS_SINK_H

#include <stddef.h>
#include <stdio.h>

typedef struct {
    void (*write)(void *ctx, const char *text, size_t len);
    void *ctx;
} ss_sink;

ss_sink ss_sink_file(FILE *f);
void ss_sink_puts(const ss_sink *k, const char *text);
void ss_sink_printf(const ss_sink *k, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A file sink that remembers the first write error (errno value in err)
 * and stops writing once Ctrl-C is flagged (interrupted = 1), so any
 * printer writing through it can be abandoned part-way by its caller. */
typedef struct {
    FILE *f;
    int err;
    int interrupted;
} ss_filesink;

ss_sink ss_sink_checked(ss_filesink *fs);

/* A growable in-memory sink (tests, capture of stderr in the TUI). */
typedef struct {
    char *buf;
    size_t len, cap;
} ss_membuf;

ss_sink ss_sink_mem(ss_membuf *m);
void ss_membuf_clear(ss_membuf *m);
void ss_membuf_free(ss_membuf *m);

#endif

/* The session fixture for unit tests that run commands through the
 * interpreter (header only).
 *
 * Include after <cmocka.h>. An fx is a session whose output and error sinks
 * are memory buffers, positioned at t.scn line 1, so error messages read
 * "t.scn:1:COL: error: ...". Provides
 *   - fx_init / fx_fini on caller storage, fx_setup / fx_teardown as CMocka
 *     setup and teardown functions (the fx is then *state);
 *   - fx_reset(): forget what was printed; fx_out() / fx_err(): the text
 *     printed so far ("" when nothing);
 *   - fx_run_at() / fx_run(): reset, then run text through interp_exec as
 *     lines of t.scn from the given line (1 for fx_run);
 *   - fx_ok(): the text must succeed; fx_ok_quiet(): and print nothing on
 *     the error sink; fx_fail(): it must fail at a column with a message
 *     containing a phrase, printing nothing else and storing nothing;
 *   - fx_dir(): a temporary directory made on first use and removed with
 *     the fixture.
 * The checks fail the test at the line that called them. */
#ifndef SS_FIXTURE_H
#define SS_FIXTURE_H

#include "core/sink.h"
#include "core/status.h"
#include "lang/interp.h"
#include "lang/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    ss_membuf out, err;
    session *s;
    char dir[64]; /* fx_dir's directory; "" until made */
} fx;

/* A new session in *f (which must stay where it is while the session
 * lives: the sinks point into it). 0, or -1 when the session cannot be
 * made. */
static inline int fx_init(fx *f)
{
    memset(f, 0, sizeof *f);
    f->s = session_new(ss_sink_mem(&f->out), ss_sink_mem(&f->err), 1);
    if (!f->s)
        return -1;
    f->s->file = "t.scn";
    f->s->line = 1;
    return 0;
}

/* Free the session and the buffers and remove fx_dir's directory. 0, or
 * -1 when the directory could not be removed. */
static inline int fx_fini(fx *f)
{
    int rc = 0;
    if (f->dir[0]) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
        if (system(cmd) != 0) {
            fprintf(stderr, "could not remove %s\n", f->dir);
            rc = -1;
        }
        f->dir[0] = 0;
    }
    session_delete(f->s);
    f->s = NULL;
    ss_membuf_free(&f->out);
    ss_membuf_free(&f->err);
    return rc;
}

static inline int fx_setup(void **state)
{
    fx *f = malloc(sizeof *f);
    if (!f)
        return -1;
    if (fx_init(f) != 0) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static inline int fx_teardown(void **state)
{
    fx *f = *state;
    int rc = fx_fini(f);
    free(f);
    return rc;
}

/* A temporary directory of the fixture, made on first use. */
static inline const char *fx_dir(fx *f)
{
    if (!f->dir[0]) {
        snprintf(f->dir, sizeof f->dir, "/tmp/ss_test.XXXXXX");
        if (!mkdtemp(f->dir)) {
            f->dir[0] = 0;
            fail_msg("cannot make a temporary directory");
        }
    }
    return f->dir;
}

static inline void fx_reset(fx *f)
{
    ss_membuf_clear(&f->out);
    ss_membuf_clear(&f->err);
}

static inline const char *fx_out(const fx *f)
{
    return f->out.buf ? f->out.buf : "";
}

static inline const char *fx_err(const fx *f)
{
    return f->err.buf ? f->err.buf : "";
}

/* Run text as lines of t.scn starting at `line`, after fx_reset. */
static inline ss_status fx_run_at(fx *f, int line, const char *text)
{
    fx_reset(f);
    f->s->file = "t.scn";
    f->s->line = line;
    return interp_exec(f->s, text);
}

static inline ss_status fx_run(fx *f, const char *text)
{
    return fx_run_at(f, 1, text);
}

/* The checks below report the line of their caller. */

/* Text that must succeed (warnings on the error sink are allowed). */
static inline void fx_ok_at(fx *f, const char *text, const char *file,
                            int line)
{
    ss_status rc = fx_run(f, text);
    if (rc != SS_OK) {
        print_error("'%s' failed (%s): %s\n", text, ss_status_name(rc),
                    fx_err(f));
        _fail(file, line);
    }
}
#define fx_ok(f, text) fx_ok_at((f), (text), __FILE__, __LINE__)

/* Text that must succeed without any diagnostic. */
static inline void fx_ok_quiet_at(fx *f, const char *text, const char *file,
                                  int line)
{
    ss_status rc = fx_run(f, text);
    if (rc != SS_OK || f->err.len) {
        print_error("'%s' failed (%s): %s\n", text, ss_status_name(rc),
                    fx_err(f));
        _fail(file, line);
    }
}
#define fx_ok_quiet(f, text) fx_ok_quiet_at((f), (text), __FILE__, __LINE__)

/* Text that must fail at column col of t.scn line 1 with a message
 * containing want, print nothing on the output sink and store nothing. */
static inline void fx_fail_at(fx *f, const char *text, int col,
                              const char *want, const char *file, int line)
{
    size_t before = f->s->nobjs;
    ss_status rc = fx_run(f, text);
    if (rc == SS_OK) {
        print_error("'%s' succeeded; expected an error\n", text);
        _fail(file, line);
    }
    char pos[32];
    snprintf(pos, sizeof pos, "t.scn:1:%d: error:", col);
    if (!strstr(fx_err(f), pos) || !strstr(fx_err(f), want)) {
        print_error("'%s': expected %s ... %s, got %s\n", text, pos, want,
                    f->err.len ? fx_err(f) : "(nothing)");
        _fail(file, line);
    }
    if (f->s->nobjs != before) {
        print_error("'%s' failed but changed the number of objects from "
                    "%zu to %zu\n",
                    text, before, f->s->nobjs);
        _fail(file, line);
    }
    if (f->out.len) {
        print_error("'%s' failed but printed: %s\n", text, fx_out(f));
        _fail(file, line);
    }
}
#define fx_fail(f, text, col, want)                                           \
    fx_fail_at((f), (text), (col), (want), __FILE__, __LINE__)

#endif

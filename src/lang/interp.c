#include "lang/interp.h"

#include "core/interrupt.h"
#include "lang/commands.h"
#include "lang/parse.h"

#include <errno.h>
#include <stdio.h>
#include <sys/types.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

/* The error slot holds one message; once printed it must not be printed
 * again by the `source` statement (or script) that contains it. */
static int already_reported;

static void report(session *s, const char *text)
{
    const ss_error *e = ss_last_error();
    if (already_reported)
        return;
    already_reported = 1;
    if (e->code == SS_ERR_INTERRUPTED) {
        ss_sink_printf(&s->err, "interrupted: %s\n", e->msg);
        return;
    }
    if (!s->file) {
        ss_sink_printf(&s->err, "error: %s\n", e->msg);
        return;
    }
    /* Columns count from the start of text, which may span several lines. */
    int line = s->line, col = e->col;
    if (col > 0 && text) {
        int c = 1;
        for (int i = 0; i < e->col - 1 && text[i]; i++) {
            if (text[i] == '\n') {
                line++;
                c = 1;
            } else {
                c++;
            }
        }
        col = c;
    }
    if (col > 0)
        ss_sink_printf(&s->err, "%s:%d:%d: error: %s\n", s->file, line, col,
                       e->msg);
    else
        ss_sink_printf(&s->err, "%s:%d: error: %s\n", s->file, line, e->msg);
}

static ss_status run_stmt(session *s, const ss_stmt *st)
{
    const cmd_def *c = cmd_find(st->verb);
    if (!c) {
        const char *near = cmd_suggest(st->verb);
        if (near)
            return SS_FAIL_COL(SS_ERR_NAME, st->verb_col,
                               "unknown command '%s'; did you mean '%s'?",
                               st->verb, near);
        return SS_FAIL_COL(SS_ERR_NAME, st->verb_col,
                           "unknown command '%s' (type `help` for the list)",
                           st->verb);
    }
    if (st->as_name) {
        if (!c->stores)
            return SS_FAIL_COL(SS_ERR_USAGE, st->as_col,
                               "`as` does not apply to %s: it stores no "
                               "result",
                               st->verb);
        ss_status rc = c->stores == &obj_merged
                           ? SS_OK /* checked for the replayed command */
                           : session_check_name(s, st->as_name, c->stores,
                                                st->as_col);
        if (rc != SS_OK)
            return rc;
    }
    ss_clear_error();
    ss_interrupt_set_busy(1);
    ss_status rc = c->run(s, st);
    ss_interrupt_set_busy(0);
    if (rc == SS_OK)
        s->generation++;
    if (rc != SS_OK && ss_last_error()->col == 0)
        ss_error_set_col(st->verb_col);
    return rc;
}

ss_status interp_exec(session *s, const char *text)
{
    ss_stmt_list l = {0};
    already_reported = 0;
    ss_clear_error();
    ss_status rc = parse_line(text, &l);
    for (size_t i = 0; rc == SS_OK && i < l.n && !s->quit; i++) {
        if (ss_interrupted()) {
            rc = SS_FAIL(SS_ERR_INTERRUPTED, "stopped before '%s'",
                         l.v[i].verb);
            break;
        }
        rc = run_stmt(s, &l.v[i]);
    }
    stmt_list_free(&l);
    if (rc != SS_OK)
        report(s, text);
    return rc;
}

/* Append line to a growing buffer; the statement text joins physical lines
 * with '\n' so columns can be mapped back to lines. */
static int buf_append(char **buf, size_t *len, size_t *cap, const char *line,
                      size_t n)
{
    if (*len + n + 2 > *cap) {
        size_t nc = *cap ? *cap : 256;
        while (nc < *len + n + 2)
            nc *= 2;
        char *nb = realloc(*buf, nc);
        if (!nb)
            return 0;
        *buf = nb;
        *cap = nc;
    }
    if (*len)
        (*buf)[(*len)++] = '\n';
    memcpy(*buf + *len, line, n);
    *len += n;
    (*buf)[*len] = 0;
    return 1;
}

/* Read one physical line (its newline kept) into *line, at most max bytes:
 * the length read, -1 at the end of input or on an error (ferror and
 * errno tell), -2 when the line runs on past max bytes (the rest of it is
 * left unread) and -3 when out of memory. Unlike getline, a file with no
 * newline (/dev/zero) cannot make it grow without bound. */
static ssize_t read_line(FILE *f, char **line, size_t *cap, size_t max)
{
    size_t n = 0;
    int c;
    for (;;) {
        if (n + 2 > *cap) {
            size_t nc = *cap ? 2 * *cap : 256;
            char *nl = realloc(*line, nc);
            if (!nl)
                return -3;
            *line = nl;
            *cap = nc;
        }
        c = getc(f);
        if (c == EOF)
            break;
        if (n == max) {
            ungetc(c, f);
            return -2;
        }
        (*line)[n++] = (char)c;
        if (c == '\n')
            break;
    }
    (*line)[n] = 0;
    if (c == EOF && (n == 0 || ferror(f)))
        return -1;
    return (ssize_t)n;
}

ss_status interp_run_stream(session *s, FILE *f, const char *name)
{
    const char *save_file = s->file;
    int save_line = s->line;
    char *line = NULL, *buf = NULL;
    size_t lcap = 0, blen = 0, bcap = 0;
    int lineno = 0, start = 1;
    ss_status rc = SS_OK;
    s->file = name;
    for (;;) {
        errno = 0;
        /* the newline and a '\r' before it do not count */
        ssize_t n = read_line(f, &line, &lcap, PARSE_MAX_LINE + 2);
        if (n == -3) {
            s->line = lineno + 1;
            already_reported = 0;
            rc = SS_FAIL(SS_ERR_NOMEM, "out of memory reading %s", name);
            report(s, NULL);
            break;
        }
        if (n >= 0 && n > PARSE_MAX_LINE &&
            !(line[n - 1] == '\n' &&
              (n - 1 <= PARSE_MAX_LINE ||
               (line[n - 2] == '\r' && n - 2 <= PARSE_MAX_LINE))))
            n = -2;
        if (n == -2) {
            s->line = lineno + 1;
            already_reported = 0;
            rc = SS_FAIL(SS_ERR_LIMIT,
                         "line too long (more than %d bytes): not a script?",
                         PARSE_MAX_LINE);
            report(s, NULL);
            break;
        }
        if (n < 0) {
            if (errno == EINTR && ss_interrupted()) {
                rc = SS_FAIL(SS_ERR_INTERRUPTED, "reading %s", name);
                report(s, NULL);
                break;
            }
            if (ferror(f)) {
                s->line = lineno;
                already_reported = 0;
                rc = SS_FAIL(SS_ERR_IO, "error reading %s: %s", name,
                             strerror(errno));
                report(s, NULL);
                break;
            }
            if (blen) {
                /* EOF inside an open bracket or string: let the parser say
                 * what is unclosed. */
                s->line = start;
                rc = interp_exec(s, buf);
            }
            break;
        }
        lineno++;
        if (lineno == 1 && n >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0) {
            /* a UTF-8 byte-order mark, as some editors write: not text */
            memmove(line, line + 3, (size_t)n - 2);
            n -= 3;
        }
        if (n > 0 && line[n - 1] == '\n')
            line[--n] = 0;
        if (n > 0 && line[n - 1] == '\r')
            line[--n] = 0;
        if ((size_t)n != strlen(line)) {
            s->line = lineno;
            already_reported = 0;
            ss_fail_at(SS_ERR_SYNTAX, (int)strlen(line) + 1, __FILE__,
                       __LINE__, "a NUL byte in the input (binary file?)");
            report(s, NULL);
            rc = SS_ERR_SYNTAX;
            break;
        }
        if (blen == 0)
            start = lineno;
        if (!buf_append(&buf, &blen, &bcap, line, (size_t)n)) {
            rc = SS_FAIL(SS_ERR_NOMEM, "out of memory");
            report(s, NULL);
            break;
        }
        int incomplete = parse_incomplete(buf);
        s->line = start;
        if (incomplete && blen > PARSE_MAX_LINE) {
            /* A forgotten ']' or quote swallowed the lines after it: point
             * at the statement's first line rather than somewhere below. */
            char *nl = strchr(buf, '\n');
            if (nl)
                *nl = 0;
            ss_stmt_list first = {0};
            already_reported = 0;
            rc = parse_line(buf, &first); /* parsed only, never run */
            stmt_list_free(&first);
            if (rc == SS_OK)
                rc = SS_FAIL(SS_ERR_SYNTAX,
                             "statement runs on past %d bytes: unclosed "
                             "bracket or quote?",
                             PARSE_MAX_LINE);
            report(s, buf);
            break;
        }
        if (incomplete)
            continue;
        rc = interp_exec(s, buf);
        blen = 0;
        if (rc != SS_OK || s->quit)
            break;
    }
    free(line);
    free(buf);
    s->file = save_file;
    s->line = save_line;
    return rc;
}

ss_status interp_run_file(session *s, const char *path)
{
    if (s->source_depth >= INTERP_MAX_DEPTH)
        return SS_FAIL(SS_ERR_LIMIT,
                       "scripts nested too deeply (limit %d): does '%s' "
                       "source itself?",
                       INTERP_MAX_DEPTH, path);
    struct stat sb;
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        ss_status rc = SS_FAIL(SS_ERR_IO, "cannot run '%s': it is a directory",
                               path);
        if (s->source_depth == 0) {
            already_reported = 0;
            report(s, NULL);
        }
        return rc;
    }
    FILE *f = fopen(path, "r");
    if (!f) {
        ss_status rc = SS_FAIL(SS_ERR_IO, "cannot open '%s': %s", path,
                               strerror(errno));
        if (s->source_depth == 0) { /* a script named on the command line */
            already_reported = 0;
            report(s, NULL);
        }
        return rc;
    }
    s->source_depth++;
    ss_status rc = interp_run_stream(s, f, path);
    s->source_depth--;
    fclose(f);
    return rc;
}

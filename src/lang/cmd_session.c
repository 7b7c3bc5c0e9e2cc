/* Commands about the session itself: output, seeds, scripts, help. */
#include "lang/args.h"
#include "lang/commands.h"
#include "lang/interp.h"
#include "lang/parse.h"

#include "core/table.h"
#include "model/model.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

ss_status cmd_format(session *s, const ss_stmt *st)
{
    ss_status rc = args_check(st, 1, 1, NULL);
    if (rc != SS_OK)
        return rc;
    const ss_stmt_arg *a = args_pos(st, 0);
    if (a->v.kind != VAL_IDENT && a->v.kind != VAL_STR)
        return SS_FAIL_COL(SS_ERR_USAGE, a->v.col, "format takes text or csv");
    const char *f = a->v.str;
    if (strcmp(f, "text") == 0)
        s->csv = 0;
    else if (strcmp(f, "csv") == 0)
        s->csv = 1;
    else
        return SS_FAIL_COL(SS_ERR_USAGE, args_pos(st, 0)->v.col,
                           "unknown format '%s' (text or csv)", f);
    return SS_OK;
}

ss_status cmd_seed(session *s, const ss_stmt *st)
{
    ss_status rc = args_check(st, 1, 1, NULL);
    if (rc != SS_OK)
        return rc;
    const ss_stmt_arg *a = args_pos(st, 0);
    uint64_t v;
    /* From the digits as written: a double would keep only 53 bits. */
    if (a->v.kind != VAL_NUM || !parse_u64(a->v.str, &v))
        return SS_FAIL_COL(SS_ERR_USAGE, a->v.col,
                           "seed needs a whole number from 0 to "
                           "18446744073709551615 (2^64 - 1) in plain digits");
    session_reseed(s, v);
    return SS_OK;
}

static int is_file(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

ss_status cmd_source(session *s, const ss_stmt *st)
{
    ss_status rc = args_check(st, 1, 1, NULL);
    if (rc != SS_OK)
        return rc;
    const ss_stmt_arg *a = args_pos(st, 0);
    if (a->v.kind != VAL_STR && a->v.kind != VAL_IDENT)
        return SS_FAIL_COL(SS_ERR_USAGE, a->v.col, "source needs a file name");
    const char *path = a->v.str;
    char buf[4096];
    /* Relative to the script doing the sourcing, so scenario folders can be
     * run from anywhere (and from a read-only srcdir under distcheck). */
    if (path[0] != '/' && s->file && strchr(s->file, '/')) {
        const char *slash = strrchr(s->file, '/');
        snprintf(buf, sizeof buf, "%.*s/%s", (int)(slash - s->file),
                 s->file, path);
        if (is_file(buf))
            path = buf;
    }
    if (!is_file(path) && is_file(a->v.str))
        path = a->v.str;
    if (!is_file(path)) {
        struct stat sb;
        if (stat(path, &sb) == 0)
            return SS_FAIL_COL(SS_ERR_IO, a->v.col, "'%s' is not a file",
                               a->v.str);
        return SS_FAIL_COL(SS_ERR_IO, a->v.col, "cannot open '%s': no such "
                                                "file",
                           a->v.str);
    }
    rc = interp_run_file(s, path);
    if (rc == SS_ERR_LIMIT && ss_last_error()->col == 0)
        ss_error_set_col(a->v.col);
    return rc;
}

/* ---- help text ---- */

#define HELP_WIDTH 78

/* A word made of operator characters only ("=", "->", "<=", "+"): the
 * words on both sides stay on its line, so "d > 1" or "w1 = 0" is never
 * split across lines. */
static int is_operator(const char *w, size_t n)
{
    if (n == 0 || n > 3)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!strchr("=<>!~+-*/|^&", w[i]))
            return 0;
    return 1;
}

/* A paragraph being reflowed: its words, space-separated. */
typedef struct {
    char buf[4096];
    size_t len;
    int hang; /* indent of its second and later lines */
    int open;
} para;

static void para_add(para *p, const char *text, size_t n)
{
    for (size_t i = 0; i < n;) {
        while (i < n && text[i] == ' ')
            i++;
        size_t w = i;
        while (i < n && text[i] != ' ')
            i++;
        if (i > w && p->len + (i - w) + 2 < sizeof p->buf) {
            if (p->len)
                p->buf[p->len++] = ' ';
            memcpy(p->buf + p->len, text + w, i - w);
            p->len += i - w;
        }
    }
    p->buf[p->len] = 0;
    p->open = 1;
}

/* Brackets open after a word, as a bit stack: bit k set when level k is
 * "tight", a call or index ("erf(", "N(", "x_{") or nested in another
 * bracket, whose contents are one expression. Returns the new depth. */
static int brackets(const char *w, size_t n, int depth, unsigned *tight)
{
    for (size_t i = 0; i < n; i++) {
        char c = w[i];
        if (c == '(' || c == '[' || c == '{') {
            int call = i > 0 && (isalnum((unsigned char)w[i - 1]) ||
                                 w[i - 1] == '_');
            if (depth < 16) {
                if (call || depth > 0)
                    *tight |= 1u << depth;
                else
                    *tight &= ~(1u << depth);
            }
            depth++;
        } else if ((c == ')' || c == ']' || c == '}') && depth > 0) {
            depth--;
            if (depth < 16)
                *tight &= ~(1u << depth);
        }
    }
    return depth;
}

/* Print the paragraph greedily wrapped at word boundaries, then empty it.
 * Words are grouped into units that are never split: a word and the next
 * while either is an operator, or while a call or nested bracket opened in
 * the unit is still open and the unit stays short ("erf(t/sqrt 2)",
 * "N(0, sigma2)"). */
static void para_flush(session *s, para *p)
{
    enum { GROUP_MAX = 40 };
    const char *q = p->buf, *end = p->buf + p->len;
    int col = 0;
    while (q < end) {
        const char *u = q, *w = q, *e = q;
        int depth = 0;
        unsigned tight = 0;
        for (;;) {
            while (e < end && *e != ' ')
                e++;
            depth = brackets(w, (size_t)(e - w), depth, &tight);
            if (e >= end)
                break;
            const char *nw = e + 1, *ne = nw;
            while (ne < end && *ne != ' ')
                ne++;
            int glue = is_operator(w, (size_t)(e - w)) ||
                       is_operator(nw, (size_t)(ne - nw)) ||
                       (tight && ne - u <= GROUP_MAX);
            if (!glue)
                break;
            w = e = nw;
        }
        int ul = (int)(e - u);
        if (col > 0 && col + 1 + ul > HELP_WIDTH) {
            session_printf(s, "\n%*s", p->hang, "");
            col = p->hang;
        } else if (col > 0) {
            session_printf(s, " ");
            col++;
        }
        session_printf(s, "%.*s", ul, u);
        col += ul;
        q = e < end ? e + 1 : e;
    }
    if (p->open)
        session_printf(s, "\n");
    p->len = 0;
    p->buf[0] = 0;
    p->open = 0;
}

/* Print help text reflowed to HELP_WIDTH columns. The texts are written
 * with hard line breaks; a paragraph runs on over the next line unless the
 * line ends a sentence or a lead-in ('.' or ':'). A line indented by two
 * spaces continues the paragraph above it (and sets the indent of its
 * wrapped lines), or after a ':' is an item of a list, printed as it is;
 * lines indented by four or more (examples) and blank lines are printed as
 * they are. */
static void wrap_hang(session *s, const char *text, int hang)
{
    para p = {0};
    p.hang = hang;
    char last = 0; /* last character of the previous prose line */
    const char *line = text;
    while (*line) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        size_t ind = 0;
        while (ind < len && line[ind] == ' ')
            ind++;
        int joins = p.open && last != '.' && last != ':';
        if (ind == len) {
            para_flush(s, &p);
            p.hang = hang;
            session_printf(s, "\n");
            last = 0;
        } else if (ind >= 4 || (ind > 0 && !joins)) {
            para_flush(s, &p);
            p.hang = hang;
            session_printf(s, "%.*s\n", (int)len, line);
            last = 0;
        } else {
            if (!joins) {
                para_flush(s, &p);
                p.hang = hang;
            } else if (ind > 0 && p.hang == hang)
                p.hang = (int)ind;
            para_add(&p, line, len);
            size_t k = len;
            while (k > 0 && line[k - 1] == ' ')
                k--;
            last = line[k - 1];
        }
        line += len;
        if (*line == '\n')
            line++;
    }
    para_flush(s, &p);
}

static void wrap(session *s, const char *text) { wrap_hang(s, text, 0); }

ss_status cmd_help(session *s, const ss_stmt *st)
{
    ss_status rc = args_check(st, 0, 1, NULL);
    if (rc != SS_OK)
        return rc;
    const ss_stmt_arg *a = args_pos(st, 0);
    if (!a) {
        size_t n;
        const cmd_def *t = cmd_table(&n);
        tbl *tb = tbl_alloc(2);
        for (size_t i = 0; i < n; i++) {
            tbl_row(tb);
            tbl_str(tb, 0, t[i].name);
            tbl_str(tb, 1, t[i].summary);
        }
        session_printf(s, "Commands (`help COMMAND` for details, `models` "
                          "for model kinds):\n");
        tbl_print(tb, &s->out, 0, 2);
        tbl_free(tb);
        return SS_OK;
    }
    if (a->v.kind != VAL_IDENT)
        return SS_FAIL_COL(SS_ERR_USAGE, a->v.col,
                           "help takes a command or model kind name");
    const cmd_def *c = cmd_find(a->v.str);
    if (c) {
        char use[1024];
        cmd_usage(c, 7, HELP_WIDTH, use, sizeof use);
        session_printf(s, "usage: %s\n%s.\n\n", use, c->summary);
        wrap(s, c->help);
        if (c->opts && c->opts[0].key)
            session_printf(s, "\noptions:\n");
        for (const cmd_opt *o = c->opts; o && o->key; o++) {
            char line[1024];
            cmd_option_line(o, line, sizeof line);
            wrap_hang(s, line, 4);
        }
        return SS_OK;
    }
    const model_type *t = model_type_find(a->v.str);
    if (t) {
        char line[1024];
        snprintf(line, sizeof line, "model kind %s: %s", t->name, t->summary);
        wrap_hang(s, line, 2);
        session_printf(s, "\n");
        wrap(s, t->help);
        session_printf(s, "\nparameters: %s\n", t->param_summary);
        for (size_t o = 0; o < t->nopts; o++) {
            snprintf(line, sizeof line, "option %s: %s", t->opts[o].name,
                     t->opts[o].help);
            wrap_hang(s, line, 2);
        }
        return SS_OK;
    }
    const char *near = cmd_suggest(a->v.str);
    if (near)
        return SS_FAIL_COL(SS_ERR_NAME, a->v.col,
                           "no command or model kind '%s'; did you mean "
                           "'%s'?",
                           a->v.str, near);
    return SS_FAIL_COL(SS_ERR_NAME, a->v.col,
                       "no command or model kind '%s'", a->v.str);
}

ss_status cmd_quit(session *s, const ss_stmt *st)
{
    ss_status rc = args_check(st, 0, 0, NULL);
    if (rc == SS_OK)
        s->quit = 1;
    return rc;
}

ss_status cmd_list(session *s, const ss_stmt *st)
{
    ss_status rc = args_check(st, 0, 0, NULL);
    if (rc != SS_OK)
        return rc;
    if (s->nobjs == 0 && !s->csv) {
        session_printf(s, "no objects yet (create a model with `model NAME "
                          "KIND`)\n");
        return SS_OK;
    }
    tbl *t = tbl_alloc(3);
    tbl_header(t, 0, "name");
    tbl_header(t, 1, "kind");
    tbl_header(t, 2, "made by");
    for (size_t i = 0; i < s->nobjs; i++) {
        tbl_row(t);
        tbl_str(t, 0, s->objs[i].name);
        tbl_str(t, 1, s->objs[i].type->name);
        tbl_str(t, 2, s->objs[i].origin);
    }
    tbl_print(t, &s->out, s->csv, 0);
    tbl_free(t);
    return SS_OK;
}

ss_status cmd_delete(session *s, const ss_stmt *st)
{
    ss_status rc = args_check(st, 1, 64, NULL);
    if (rc != SS_OK)
        return rc;
    /* Check every name first so a typo deletes nothing. */
    for (size_t i = 0; i < args_npos(st); i++) {
        const ss_stmt_arg *a = args_pos(st, i);
        if (a->v.kind != VAL_IDENT)
            return SS_FAIL_COL(SS_ERR_USAGE, a->v.col,
                               "delete takes object names, found a %s",
                               val_kind_name(a->v.kind));
        if (!session_find(s, a->v.str))
            return SS_FAIL_COL(SS_ERR_NAME, a->v.col, "no object named '%s'",
                               a->v.str);
    }
    for (size_t i = 0; i < args_npos(st); i++)
        session_remove(s, args_pos(st, i)->v.str);
    return SS_OK;
}

/* Echo text to out with terminal control characters made visible, as
 * caret notation (ESC as ^[, DEL as ^?) and, for C1 controls and bytes that
 * are not UTF-8, as \xNN: a script cannot move the cursor, recolour or
 * retitle the terminal. Newline and tab (written \n and \t in quotes) pass. */
static void echo_text(session *s, const char *t)
{
    static const char hex[] = "0123456789abcdef";
    char buf[256];
    size_t o = 0;
    const unsigned char *u = (const unsigned char *)t;
    while (*u) {
        if (o + 8 > sizeof buf) {
            s->out.write(s->out.ctx, buf, o);
            o = 0;
        }
        unsigned char c = *u;
        size_t n = 1;
        if (c >= 0xc2 && c <= 0xdf)
            n = 2;
        else if (c >= 0xe0 && c <= 0xef)
            n = 3;
        else if (c >= 0xf0 && c <= 0xf4)
            n = 4;
        int valid = c < 0x80 || n > 1;
        for (size_t k = 1; valid && k < n; k++)
            valid = (u[k] & 0xc0) == 0x80;
        if (valid && n == 3)      /* overlong forms and surrogates */
            valid = !(c == 0xe0 && u[1] < 0xa0) && !(c == 0xed && u[1] >= 0xa0);
        if (valid && n == 4)
            valid = !(c == 0xf0 && u[1] < 0x90) && !(c == 0xf4 && u[1] >= 0x90);
        if (valid && n == 2 && c == 0xc2 && u[1] < 0xa0) /* C1 control */
            valid = 0;
        if (c == '\n' || c == '\t' || (c >= 0x20 && c < 0x7f)) {
            buf[o++] = (char)c;
        } else if (c < 0x20 || c == 0x7f) {
            buf[o++] = '^';
            buf[o++] = c == 0x7f ? '?' : (char)(c + 64);
        } else if (valid) {
            memcpy(buf + o, u, n);
            o += n;
            u += n;
            continue;
        } else {
            n = c == 0xc2 && u[1] >= 0x80 && u[1] < 0xa0 ? 2 : 1;
            for (size_t k = 0; k < n; k++) {
                buf[o++] = '\\';
                buf[o++] = 'x';
                buf[o++] = hex[u[k] >> 4];
                buf[o++] = hex[u[k] & 15];
            }
            u += n;
            continue;
        }
        u++;
    }
    s->out.write(s->out.ctx, buf, o);
}

ss_status cmd_echo(session *s, const ss_stmt *st)
{
    /* The parser hands echo its text as one string (see parse.h); other
     * values are printed as values. */
    for (size_t i = 0; i < st->nargs; i++) {
        const ss_stmt_arg *a = &st->args[i];
        if (i)
            ss_sink_puts(&s->out, " ");
        if (a->key)
            session_printf(s, "%s=", a->key);
        switch (a->v.kind) {
        case VAL_NUM: session_printf(s, "%.12g", a->v.num); break;
        case VAL_RANGE:
            session_printf(s, "%.12g..%.12g", a->v.lo, a->v.hi);
            break;
        case VAL_VEC:
            ss_sink_puts(&s->out, "[");
            for (size_t k = 0; k < a->v.n; k++)
                session_printf(s, "%s%.12g", k ? ", " : "", a->v.vec[k]);
            ss_sink_puts(&s->out, "]");
            break;
        case VAL_NAMES:
            ss_sink_puts(&s->out, "[");
            for (size_t k = 0; k < a->v.n; k++) {
                ss_sink_puts(&s->out, k ? ", " : "");
                echo_text(s, a->v.names[k]);
            }
            ss_sink_puts(&s->out, "]");
            break;
        case VAL_AXIS:
            echo_text(s, a->v.str);
            session_printf(s, ":%.12g..%.12g", a->v.lo, a->v.hi);
            break;
        default: echo_text(s, a->v.str); break;
        }
    }
    if (st->as_name)
        session_printf(s, "%sas %s", st->nargs ? " " : "", st->as_name);
    ss_sink_puts(&s->out, "\n");
    return SS_OK;
}

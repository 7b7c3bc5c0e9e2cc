#include "lang/parse.h"

#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parsing runs in two passes: the whole text is tokenized first, then the
 * token array is parsed statement by statement. A lexical error does not
 * fire immediately; it becomes a final T_ERR token, so a grammar error that
 * sits earlier in the text is still the one reported (errors always point
 * at the leftmost problem). */

typedef enum {
    T_IDENT,  /* [A-Za-z_][A-Za-z0-9_]* */
    T_WORD,   /* bare path-like word: tour.scn, ../x, ~/a */
    T_NUM,
    T_STR,    /* quoted; str holds the decoded text */
    T_DOTDOT, /* .. */
    T_EQ,
    T_COLON,
    T_ARROW,  /* -> */
    T_LBRACK,
    T_RBRACK,
    T_COMMA,
    T_LPAREN, /* '(' glued to a name: a call NAME(a, b) */
    T_RPAREN, /* ')' closing it */
    T_SEP,    /* ';' or a newline outside brackets */
    T_END,
    T_ERR     /* lexical error, always the last token */
} tok_kind;

typedef struct {
    tok_kind kind;
    size_t off, len; /* raw source extent */
    double num;
    char *str;       /* T_STR only, owned until moved into a value */
} tok;

typedef struct {
    const char *text;
    size_t textlen;
    tok *toks;
    size_t ntoks, cap;
    size_t pos;
    /* the deferred lexical error behind T_ERR */
    ss_status lex_code;
    int lex_col;
    char lex_msg[256];
} parser;

#define SNIPPET_MAX 40 /* source bytes quoted in a message */

static ss_status nomem(void)
{
    return SS_FAIL(SS_ERR_NOMEM, "out of memory while parsing");
}

static int is_alpha(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static int is_digit(int c) { return c >= '0' && c <= '9'; }

static int is_ident_char(int c) { return is_alpha(c) || is_digit(c); }

/* Characters of a bare word. '-' is not one when it starts "->", so
 * a->b splits into a, ->, b. */
static int is_word_char(const char *s)
{
    int c = (unsigned char)*s;
    if (is_ident_char(c) || c == '.' || c == '/' || c == '~' || c == '+')
        return 1;
    return c == '-' && s[1] != '>';
}

static int is_blank(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Length of a well-formed UTF-8 sequence at s, or 0. Used only so that an
 * unexpected multibyte character is shown as one unit. */
static size_t utf8_len(const unsigned char *s)
{
    size_t n;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        n = 2;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        n = 3;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        n = 4;
    else
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    return n;
}

/* Copy up to SNIPPET_MAX bytes of source into buf for quoting in a message.
 * Anything outside printable ASCII is written as \xNN so messages stay
 * safe to print on any terminal. */
static void snippet(char *buf, size_t cap, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    size_t n = len > SNIPPET_MAX ? SNIPPET_MAX : len;
    for (size_t i = 0; i < n && o + 8 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f) {
            buf[o++] = (char)c;
        } else {
            buf[o++] = '\\';
            buf[o++] = 'x';
            buf[o++] = hex[c >> 4];
            buf[o++] = hex[c & 15];
        }
    }
    if (n < len && o + 4 < cap) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o] = 0;
}

static int tok_col(const tok *t) { return (int)t->off + 1; }

/* ---- lexer ---- */

static int push(parser *p, tok_kind kind, size_t off, size_t len)
{
    if (p->ntoks == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 32;
        tok *nt = realloc(p->toks, cap * sizeof *nt);
        if (!nt)
            return -1;
        p->toks = nt;
        p->cap = cap;
    }
    tok *t = &p->toks[p->ntoks++];
    memset(t, 0, sizeof *t);
    t->kind = kind;
    t->off = off;
    t->len = len;
    return 0;
}

/* Record a lexical error and end the token stream with T_ERR. */
static int lex_error(parser *p, size_t off, ss_status code, const char *what,
                     const char *s, size_t len)
{
    char q[SNIPPET_MAX * 4 + 8];
    p->lex_code = code;
    p->lex_col = (int)off + 1;
    if (s) {
        snippet(q, sizeof q, s, len);
        snprintf(p->lex_msg, sizeof p->lex_msg, "%s '%s'", what, q);
    } else {
        snprintf(p->lex_msg, sizeof p->lex_msg, "%s", what);
    }
    return push(p, T_ERR, off, len);
}

/* strtod honours LC_NUMERIC, but the language always uses '.'; swap in the
 * locale's decimal point so "0.5" means one half whatever the locale. */
static double to_double(const char *s, size_t len, int *ok)
{
    char small[64];
    char *buf = len < sizeof small ? small : malloc(len + 1);
    const struct lconv *lc = localeconv();
    char *end;
    double d;

    *ok = 0;
    if (!buf)
        return 0;
    memcpy(buf, s, len);
    buf[len] = 0;
    if (lc && lc->decimal_point && lc->decimal_point[0] &&
        lc->decimal_point[0] != '.' && !lc->decimal_point[1]) {
        char *dot = strchr(buf, '.');
        if (dot)
            *dot = lc->decimal_point[0];
    }
    d = strtod(buf, &end);
    *ok = end == buf + len;
    if (buf != small)
        free(buf);
    return d;
}

/* Whether s starts with a grid size as a whole word: DIGITSxDIGITS
 * (res=200x200) or DIGITS+DIGITS[+...] (layout 1+2). No leading zeros, so
 * 0x10 stays a malformed number; *end is set past it. */
static int is_size(const char *s, size_t *end)
{
    size_t j = 0;
    if (s[0] == '0')
        return 0;
    while (is_digit(s[j]))
        j++;
    if (j == 0 || (s[j] != 'x' && s[j] != '+') || !is_digit(s[j + 1]) ||
        s[j + 1] == '0')
        return 0;
    char sep = s[j];
    while (s[j] == sep && is_digit(s[j + 1]) && s[j + 1] != '0') {
        j++;
        while (is_digit(s[j]))
            j++;
        if (sep == 'x')
            break;
    }
    if (is_word_char(s + j))
        return 0;
    *end = (size_t)j;
    return 1;
}

/* Whether a number literal has a non-zero digit before its exponent (so
 * that a value of 0 means it underflowed). */
static int nonzero_mantissa(const char *s, size_t len)
{
    for (size_t k = 0; k < len && s[k] != 'e' && s[k] != 'E'; k++)
        if (s[k] >= '1' && s[k] <= '9')
            return 1;
    return 0;
}

/* A number starts at s+i (sign, digits or ".digit"). */
static int lex_number(parser *p, size_t i, size_t *next)
{
    const char *s = p->text;
    size_t j = i, digits = 0;
    int bad = 0, ok;
    double d;

    if (s[j] == '+' || s[j] == '-')
        j++;
    while (is_digit(s[j]))
        j++, digits++;
    /* "0..1" is a range: a '.' followed by '.' is not a fraction point */
    if (s[j] == '.' && s[j + 1] != '.') {
        j++;
        while (is_digit(s[j]))
            j++, digits++;
    }
    if (digits == 0)
        bad = 1;
    if (!bad && (s[j] == 'e' || s[j] == 'E')) {
        j++;
        if (s[j] == '+' || s[j] == '-')
            j++;
        if (!is_digit(s[j]))
            bad = 1;
        while (is_digit(s[j]))
            j++;
    }
    /* I/N with unsigned integers ("3/16", shard=) is a word, not a number */
    if (digits > 0 && j == i + digits && s[j] == '/' && is_digit(s[j + 1])) {
        size_t k = j + 1;
        while (is_digit(s[k]))
            k++;
        if (!is_word_char(s + k)) {
            *next = k;
            return push(p, T_WORD, i, k - i);
        }
    }
    /* glued to a word character ("12abc", "1.2.3", "0x10", "0../x") - but
     * "0..1" and "1->2" are fine */
    if (is_word_char(s + j) &&
        !(s[j] == '.' && s[j + 1] == '.' && s[j + 2] != '/'))
        bad = 1;
    if (bad) {
        size_t k = i + 1;
        while (is_word_char(s + k))
            k++;
        /* quote at least what was scanned ("1e-" before "->") */
        if (k < j)
            k = j;
        *next = k;
        return lex_error(p, i, SS_ERR_SYNTAX, "malformed number", s + i,
                         k - i);
    }
    d = to_double(s + i, j - i, &ok);
    if (!ok)
        return lex_error(p, i, SS_ERR_SYNTAX, "malformed number", s + i,
                         j - i);
    if (isinf(d) || isnan(d))
        return lex_error(p, i, SS_ERR_SYNTAX, "number out of range", s + i,
                         j - i);
    if (d == 0 && nonzero_mantissa(s + i, j - i)) {
        /* Refused like an overflow rather than silently read as 0;
         * subnormal values (below 2.2e-308) are kept as they are. */
        char q[SNIPPET_MAX * 4 + 8], msg[256];
        snippet(q, sizeof q, s + i, j - i);
        snprintf(msg, sizeof msg,
                 "number out of range: '%s' is below the smallest double "
                 "(4.9e-324) and would be read as 0",
                 q);
        return lex_error(p, i, SS_ERR_SYNTAX, msg, NULL, 0);
    }
    if (push(p, T_NUM, i, j - i) < 0)
        return -1;
    p->toks[p->ntoks - 1].num = d;
    *next = j;
    return 0;
}

/* Decode the quoted string starting at s+i into o (room for the raw
 * length is enough). A backslash-newline inside it joins the lines; other
 * escapes stand for the escaped character (\n and \t for newline and tab).
 * Returns the end of o, with *end set past the closing quote, or NULL when
 * the string is not terminated. */
static char *decode_quoted(const char *s, size_t i, size_t *end, char *o)
{
    char q = s[i];
    size_t j = i + 1;

    while (s[j] && s[j] != q) {
        if (s[j] == '\\' && s[j + 1])
            j++;
        j++;
    }
    if (!s[j])
        return NULL;
    for (size_t k = i + 1; k < j; k++) {
        if (s[k] != '\\') {
            *o++ = s[k];
            continue;
        }
        k++;
        switch (s[k]) {
        case 'n': *o++ = '\n'; break;
        case 't': *o++ = '\t'; break;
        case '\n': break; /* continuation */
        default: *o++ = s[k]; break;
        }
    }
    *end = j + 1;
    return o;
}

/* A quoted string starts at s+i. */
static int lex_string(parser *p, size_t i, size_t *next)
{
    const char *s = p->text;
    size_t j;
    char *buf = malloc(strlen(s + i) + 1), *o;

    if (!buf)
        return -1;
    o = decode_quoted(s, i, &j, buf);
    if (!o) {
        free(buf);
        return lex_error(p, i, SS_ERR_SYNTAX, "unterminated string", NULL, 0);
    }
    *o = 0;
    if (push(p, T_STR, i, j - i) < 0) {
        free(buf);
        return -1;
    }
    p->toks[p->ntoks - 1].str = buf;
    *next = j;
    return 0;
}

/* Whether the statement starting at s is an echo: the word "echo" then a
 * blank, a continuation, a comment or the end of the statement. */
static int is_echo(const char *s)
{
    if (strncmp(s, "echo", 4) != 0)
        return 0;
    return s[4] == 0 || is_blank((unsigned char)s[4]) || s[4] == '\n' ||
           s[4] == ';' || s[4] == '#' || s[4] == '\\';
}

/* In echo text a quote right after a letter or digit is an apostrophe
 * ("it's", "Hartigan's"), not the start of a quoted string. */
static int echo_literal_quote(const char *s, size_t j)
{
    return j > 0 && is_ident_char((unsigned char)s[j - 1]);
}

int parse_echo_literal_quote(const char *text, size_t at)
{
    return echo_literal_quote(text, at);
}

int parse_is_echo(const char *s) { return is_echo(s); }

/* The text of an echo, from s+i to the end of the statement (an unquoted
 * ';', '#' or newline): one T_STR token holding it with quotes removed
 * (their contents kept exactly, escapes decoded) and each run of blanks
 * or line continuations outside quotes written as one space. No token
 * when the text is empty. */
static int lex_echo_text(parser *p, size_t i, size_t *next)
{
    const char *s = p->text;
    size_t j = i, start = i, end = i;
    int any = 0, space = 0;
    char *buf = malloc(strlen(s + i) + 1), *o;

    if (!buf)
        return -1;
    o = buf;
    for (;;) {
        char c = s[j];
        if (c == 0 || c == '\n' || c == ';' || c == '#')
            break;
        if (is_blank((unsigned char)c)) {
            space = any;
            j++;
            continue;
        }
        if (c == '\\') {
            size_t k = j + 1;
            while (s[k] == ' ' || s[k] == '\t' || s[k] == '\r')
                k++;
            if (s[k] == '\n' || s[k] == 0) {
                j = s[k] ? k + 1 : k;
                space = any;
                continue;
            }
        }
        if (!any)
            start = j;
        if (space)
            *o++ = ' ';
        space = 0;
        any = 1;
        if ((c == '"' || c == '\'') && !echo_literal_quote(s, j)) {
            char *e = decode_quoted(s, j, &j, o);
            if (!e) {
                free(buf);
                return lex_error(p, j, SS_ERR_SYNTAX, "unterminated string",
                                 NULL, 0);
            }
            o = e;
        } else {
            *o++ = c;
            j++;
        }
        end = j;
    }
    *next = j;
    if (!any) {
        free(buf);
        return 0;
    }
    *o = 0;
    if (push(p, T_STR, start, end - start) < 0) {
        free(buf);
        return -1;
    }
    p->toks[p->ntoks - 1].str = buf;
    return 0;
}

static int lex_word(parser *p, size_t i, size_t *next)
{
    const char *s = p->text;
    size_t j = i;
    int ident = is_alpha((unsigned char)s[i]);

    while (is_word_char(s + j)) {
        if (!is_ident_char((unsigned char)s[j]))
            ident = 0;
        j++;
    }
    *next = j;
    return push(p, ident ? T_IDENT : T_WORD, i, j - i);
}

static int lex_unexpected(parser *p, size_t i)
{
    const unsigned char *u = (const unsigned char *)p->text + i;
    size_t n = u[0] >= 0x80 ? utf8_len(u) : 0;
    return lex_error(p, i, SS_ERR_SYNTAX, "unexpected character", p->text + i,
                     n ? n : 1);
}

/* Tokenize the whole text. Returns -1 only when out of memory; a lexical
 * error ends the stream with T_ERR instead of T_END. */
static int lex_all(parser *p)
{
    const char *s = p->text;
    size_t i = 0, next;
    int depth = 0; /* '[' nesting: newlines inside brackets are blanks */
    int paren = 0; /* open calls NAME( ... ) */

    for (;;) {
        int c = (unsigned char)s[i];
        int rc = 0;

        if (c == 0)
            return push(p, T_END, i, 0);
        if (is_blank(c)) {
            i++;
            continue;
        }
        if (c == '\n' && depth > 0) {
            i++;
            continue;
        }
        if (c == '#') {
            while (s[i] && s[i] != '\n')
                i++;
            continue;
        }
        if (c == '\\') {
            /* line continuation: backslash, optional blanks, newline (or
             * the end of the text) */
            size_t j = i + 1;
            while (s[j] == ' ' || s[j] == '\t' || s[j] == '\r')
                j++;
            if (s[j] == '\n' || s[j] == 0) {
                i = s[j] ? j + 1 : j;
                continue;
            }
            return lex_unexpected(p, i);
        }

        next = i + 1;
        switch (c) {
        case '\n':
        case ';':
            depth = 0;
            paren = 0;
            rc = push(p, T_SEP, i, 1);
            break;
        case '[':
            depth++;
            rc = push(p, T_LBRACK, i, 1);
            break;
        case ']':
            if (depth > 0)
                depth--;
            rc = push(p, T_RBRACK, i, 1);
            break;
        case ',': rc = push(p, T_COMMA, i, 1); break;
        case '(':
            /* only right after a name: uniform(0,1) */
            if (p->ntoks == 0 || p->toks[p->ntoks - 1].kind != T_IDENT ||
                p->toks[p->ntoks - 1].off + p->toks[p->ntoks - 1].len != i)
                return lex_unexpected(p, i);
            paren++;
            rc = push(p, T_LPAREN, i, 1);
            break;
        case ')':
            if (paren == 0)
                return lex_unexpected(p, i);
            paren--;
            rc = push(p, T_RPAREN, i, 1);
            break;
        case '=': rc = push(p, T_EQ, i, 1); break;
        case ':': rc = push(p, T_COLON, i, 1); break;
        case '"':
        case '\'':
            rc = lex_string(p, i, &next);
            break;
        case '.':
            if (is_digit(s[i + 1]))
                rc = lex_number(p, i, &next);
            else if (s[i + 1] == '.' && s[i + 2] != '/') {
                rc = push(p, T_DOTDOT, i, 2);
                next = i + 2;
            } else
                rc = lex_word(p, i, &next);
            break;
        case '+':
        case '-':
            if (is_digit(s[i + 1]) || (s[i + 1] == '.' && is_digit(s[i + 2])))
                rc = lex_number(p, i, &next);
            else if (c == '-' && s[i + 1] == '>') {
                rc = push(p, T_ARROW, i, 2);
                next = i + 2;
            } else
                return lex_unexpected(p, i);
            break;
        default: {
            size_t len;
            if (is_digit(c) && is_size(s + i, &len)) {
                /* "200x200" (a grid size) is a word, not a bad number */
                rc = push(p, T_WORD, i, len);
                next = i + len;
            } else if (is_digit(c))
                rc = lex_number(p, i, &next);
            else if (is_alpha(c) && is_echo(s + i) &&
                     (p->ntoks == 0 ||
                      p->toks[p->ntoks - 1].kind == T_SEP)) {
                rc = push(p, T_IDENT, i, 4);
                if (rc == 0)
                    rc = lex_echo_text(p, i + 4, &next);
            } else if (is_alpha(c) || c == '/' || c == '~')
                rc = lex_word(p, i, &next);
            else
                return lex_unexpected(p, i);
            break;
        }
        }
        if (rc < 0)
            return -1;
        if (p->toks[p->ntoks - 1].kind == T_ERR)
            return 0;
        i = next;
    }
}

/* ---- parser ---- */

static const tok *peek(const parser *p, size_t k)
{
    size_t i = p->pos + k;
    /* the last token (T_END or T_ERR) repeats forever */
    return &p->toks[i < p->ntoks ? i : p->ntoks - 1];
}

static int at_end(const tok *t) { return t->kind == T_SEP || t->kind == T_END; }

static ss_status raise_lex(const parser *p)
{
    return SS_FAIL_COL(p->lex_code, p->lex_col, "%s", p->lex_msg);
}

/* Report "<what>, found '<t>'" at t; at the end of a statement there is
 * nothing to quote. A T_ERR token reports its own, more precise error. */
static ss_status fail_found(const parser *p, const tok *t, const char *what)
{
    char q[SNIPPET_MAX * 4 + 8];
    if (t->kind == T_ERR)
        return raise_lex(p);
    if (at_end(t))
        return SS_FAIL_COL(SS_ERR_SYNTAX, tok_col(t), "%s", what);
    snippet(q, sizeof q, p->text + t->off, t->len);
    return SS_FAIL_COL(SS_ERR_SYNTAX, tok_col(t), "%s, found '%s'", what, q);
}

static char *tok_strdup(const parser *p, const tok *t)
{
    char *s = malloc(t->len + 1);
    if (s) {
        memcpy(s, p->text + t->off, t->len);
        s[t->len] = 0;
    }
    return s;
}

static void val_clear(ss_val *v)
{
    for (size_t i = 0; v->names && i < v->n; i++)
        free(v->names[i]);
    free(v->names);
    free(v->str);
    free(v->vec);
    free(v->rowlen);
    memset(v, 0, sizeof *v);
}

static ss_status parse_vector(parser *p, ss_val *v);

/* [[1, 2], [3]]: rows of numbers, the cursor on the outer '['; the numbers
 * end up concatenated in vec with rowlen[r] per row. */
static ss_status parse_rows(parser *p, ss_val *v)
{
    const tok *lb = peek(p, 0);
    double *vec = NULL;
    size_t *rowlen = NULL, n = 0, nrows = 0;
    int need_elem = 1;
    ss_status rc = SS_OK;
    p->pos++;
    for (;;) {
        const tok *t = peek(p, 0);
        if (t->kind == T_RBRACK) {
            p->pos++;
            break;
        }
        if (t->kind == T_COMMA && !need_elem) {
            need_elem = 1;
            p->pos++;
            continue;
        }
        if (t->kind != T_LBRACK) {
            rc = at_end(t) ? SS_FAIL_COL(SS_ERR_SYNTAX, tok_col(lb),
                                         "unclosed '['")
                           : fail_found(p, t, "the rows of [[..], [..]] "
                                              "must be vectors [..]");
            break;
        }
        ss_val row;
        memset(&row, 0, sizeof row);
        if ((rc = parse_vector(p, &row)) != SS_OK)
            break;
        if (row.kind != VAL_VEC) {
            rc = SS_FAIL_COL(SS_ERR_SYNTAX, row.col,
                             "the rows of [[..], [..]] must be numbers");
            val_clear(&row);
            break;
        }
        double *nv = realloc(vec, (n + row.n + 1) * sizeof *nv);
        size_t *nr = realloc(rowlen, (nrows + 1) * sizeof *nr);
        if (nv)
            vec = nv;
        if (nr)
            rowlen = nr;
        if (!nv || !nr) {
            val_clear(&row);
            rc = nomem();
            break;
        }
        if (row.n)
            memcpy(vec + n, row.vec, row.n * sizeof *vec);
        n += row.n;
        rowlen[nrows++] = row.n;
        val_clear(&row);
        need_elem = 0;
    }
    if (rc != SS_OK) {
        free(vec);
        free(rowlen);
        return rc;
    }
    v->kind = VAL_ROWS;
    v->col = tok_col(lb);
    v->vec = vec;
    v->n = n;
    v->rowlen = rowlen;
    v->nrows = nrows;
    return SS_OK;
}

static ss_status parse_vector(parser *p, ss_val *v)
{
    if (peek(p, 1)->kind == T_LBRACK)
        return parse_rows(p, v);
    const tok *lb = peek(p, 0);
    double *vec = NULL;
    char **names = NULL; /* a list of names: [x, y] or ["a b", c] */
    size_t n = 0, cap = 0;
    int need_elem = 1; /* at the start or right after a comma */
    ss_status rc = SS_OK;

    p->pos++;
    for (;;) {
        const tok *t = peek(p, 0);
        if (t->kind == T_RBRACK) {
            p->pos++;
            break;
        }
        int num = t->kind == T_NUM;
        int name = t->kind == T_IDENT || t->kind == T_STR;
        if (num || name) {
            if ((num && names) || (name && vec)) {
                rc = fail_found(p, t, vec ? "vector elements must be "
                                            "numbers"
                                          : "list elements must be names");
                break;
            }
            if (n == cap) {
                size_t nc = cap ? 2 * cap : 4;
                void *nv = num ? realloc(vec, nc * sizeof *vec)
                               : realloc(names, nc * sizeof *names);
                if (!nv) {
                    rc = nomem();
                    break;
                }
                if (num)
                    vec = nv;
                else
                    names = nv;
                cap = nc;
            }
            if (num) {
                vec[n] = t->num;
            } else if (t->kind == T_STR) {
                names[n] = p->toks[p->pos].str; /* move ownership */
                p->toks[p->pos].str = NULL;
            } else if (!(names[n] = tok_strdup(p, t))) {
                rc = nomem();
                break;
            }
            n++;
            need_elem = 0;
            p->pos++;
            continue;
        }
        if (t->kind == T_COMMA && !need_elem) {
            need_elem = 1;
            p->pos++;
            continue;
        }
        if (at_end(t))
            rc = SS_FAIL_COL(SS_ERR_SYNTAX, tok_col(lb), "unclosed '['");
        else
            rc = fail_found(p, t, names ? "list elements must be names"
                                        : "vector elements must be numbers");
        break;
    }
    if (rc != SS_OK) {
        free(vec);
        for (size_t i = 0; names && i < n; i++)
            free(names[i]);
        free(names);
        return rc;
    }
    v->kind = names ? VAL_NAMES : VAL_VEC;
    v->col = tok_col(lb);
    v->vec = vec;
    v->names = names;
    v->n = n;
    return SS_OK;
}

/* NAME '(' [NUM {',' NUM}] ')', the cursor on NAME (v->str set). */
static ss_status parse_call(parser *p, ss_val *v)
{
    const tok *lp = peek(p, 1);
    double *vec = NULL;
    size_t n = 0, cap = 0;
    int need_elem = 1;
    ss_status rc = SS_OK;

    p->pos += 2;
    for (;;) {
        const tok *t = peek(p, 0);
        if (t->kind == T_RPAREN && (n == 0 || !need_elem)) {
            p->pos++;
            break;
        }
        if (t->kind == T_NUM && need_elem) {
            if (n == cap) {
                size_t nc = cap ? 2 * cap : 4;
                double *nv = realloc(vec, nc * sizeof *nv);
                if (!nv) {
                    rc = nomem();
                    break;
                }
                vec = nv;
                cap = nc;
            }
            vec[n++] = t->num;
            need_elem = 0;
            p->pos++;
            continue;
        }
        if (t->kind == T_COMMA && !need_elem) {
            need_elem = 1;
            p->pos++;
            continue;
        }
        if (at_end(t))
            rc = SS_FAIL_COL(SS_ERR_SYNTAX, tok_col(lp), "unclosed '('");
        else
            rc = fail_found(p, t, need_elem ? "expected a number in "
                                              "NAME(a, b)"
                                            : "expected ',' or ')' in "
                                              "NAME(a, b)");
        break;
    }
    if (rc != SS_OK) {
        free(vec);
        return rc;
    }
    v->kind = VAL_CALL;
    v->vec = vec;
    v->n = n;
    return SS_OK;
}

/* NUM '..' NUM, the cursor on the first number. */
static ss_status parse_range(parser *p, double *lo, double *hi)
{
    const tok *a = peek(p, 0), *b = peek(p, 2);
    if (b->kind != T_NUM)
        return fail_found(p, b, "expected a number after '..'");
    *lo = a->num;
    *hi = b->num;
    p->pos += 3;
    return SS_OK;
}

/* One value at the cursor. keyword: it follows '=' (punctuation is then
 * not a value). */
static ss_status parse_value(parser *p, ss_val *v, int keyword)
{
    const tok *t = peek(p, 0);
    const char *expected = keyword ? "expected a value after '='"
                                   : "expected a value";

    memset(v, 0, sizeof *v);
    v->col = tok_col(t);
    switch (t->kind) {
    case T_NUM:
        if (peek(p, 1)->kind == T_DOTDOT) {
            v->kind = VAL_RANGE;
            return parse_range(p, &v->lo, &v->hi);
        }
        v->kind = VAL_NUM;
        v->num = t->num;
        v->str = tok_strdup(p, t); /* as written, for whole-number checks */
        if (!v->str)
            return nomem();
        p->pos++;
        return SS_OK;
    case T_DOTDOT:
        return SS_FAIL_COL(SS_ERR_SYNTAX, tok_col(t),
                           "expected a number before '..'");
    case T_IDENT: {
        /* NAME:lo..hi with the ':' glued to the name; "v: 0.3" stays a
         * name followed by punctuation */
        const tok *c = peek(p, 1);
        int axis = c->kind == T_COLON && c->off == t->off + t->len &&
                   peek(p, 2)->kind == T_NUM && peek(p, 3)->kind == T_DOTDOT;
        v->kind = axis ? VAL_AXIS : VAL_IDENT;
        v->str = tok_strdup(p, t);
        if (!v->str)
            return nomem();
        if (c->kind == T_LPAREN)
            return parse_call(p, v);
        if (!axis) {
            p->pos++;
            return SS_OK;
        }
        p->pos += 2;
        return parse_range(p, &v->lo, &v->hi);
    }
    case T_WORD:
        v->kind = VAL_STR;
        v->str = tok_strdup(p, t);
        if (!v->str)
            return nomem();
        p->pos++;
        return SS_OK;
    case T_STR:
        v->kind = VAL_STR;
        v->str = p->toks[p->pos].str; /* move ownership */
        v->quoted = 1;
        p->toks[p->pos].str = NULL;
        p->pos++;
        return SS_OK;
    case T_LBRACK:
        return parse_vector(p, v);
    case T_COLON:
    case T_ARROW:
        if (keyword)
            break;
        v->kind = VAL_PUNCT;
        v->str = tok_strdup(p, t);
        if (!v->str)
            return nomem();
        p->pos++;
        return SS_OK;
    default:
        break;
    }
    return fail_found(p, t, expected);
}

static void stmt_clear(ss_stmt *s)
{
    free(s->verb);
    for (size_t i = 0; i < s->nargs; i++) {
        free(s->args[i].key);
        val_clear(&s->args[i].v);
    }
    free(s->args);
    free(s->as_name);
    memset(s, 0, sizeof *s);
}

static int is_as(const parser *p, const tok *t)
{
    return t->kind == T_IDENT && t->len == 2 &&
           memcmp(p->text + t->off, "as", 2) == 0;
}

/* "as NAME", the cursor on 'as'; it must end the statement. */
static ss_status parse_as(parser *p, ss_stmt *st)
{
    const tok *name = peek(p, 1), *after = peek(p, 2);
    if (name->kind != T_IDENT)
        return fail_found(p, name, "expected a name after 'as'");
    if (!at_end(after)) {
        char q[SNIPPET_MAX * 4 + 8], what[sizeof q + 64];
        snippet(q, sizeof q, p->text + name->off, name->len);
        snprintf(what, sizeof what, "expected end of statement after 'as %s'",
                 q);
        return fail_found(p, after, what);
    }
    st->as_name = tok_strdup(p, name);
    if (!st->as_name)
        return nomem();
    st->as_col = tok_col(name);
    p->pos += 2;
    return SS_OK;
}

/* One statement; the cursor is on its first token (not a separator). */
static ss_status parse_stmt(parser *p, ss_stmt *st)
{
    const tok *t = peek(p, 0);
    size_t cap = 0;

    if (t->kind != T_IDENT)
        return fail_found(p, t, "expected a command name");
    st->verb = tok_strdup(p, t);
    if (!st->verb)
        return nomem();
    st->verb_col = tok_col(t);
    p->pos++;

    for (;;) {
        ss_stmt_arg *a;
        ss_status rc;

        t = peek(p, 0);
        if (at_end(t))
            return SS_OK;
        if (t->kind == T_EQ)
            return SS_FAIL_COL(SS_ERR_SYNTAX, tok_col(t),
                               "expected a parameter name before '='");
        if (is_as(p, t) && peek(p, 1)->kind != T_EQ)
            return parse_as(p, st);

        if (st->nargs == cap) {
            size_t nc = cap ? 2 * cap : 4;
            ss_stmt_arg *na = realloc(st->args, nc * sizeof *na);
            if (!na)
                return nomem();
            st->args = na;
            cap = nc;
        }
        /* counted before it is filled so that whatever a failing
         * parse_value leaves in it is freed with the statement */
        a = &st->args[st->nargs++];
        memset(a, 0, sizeof *a);
        if (t->kind == T_IDENT && peek(p, 1)->kind == T_EQ) {
            a->key = tok_strdup(p, t);
            if (!a->key)
                return nomem();
            a->key_col = tok_col(t);
            p->pos += 2;
            rc = parse_value(p, &a->v, 1);
        } else {
            rc = parse_value(p, &a->v, 0);
        }
        if (rc != SS_OK)
            return rc;
    }
}

static ss_status parse_all(parser *p, ss_stmt_list *out)
{
    size_t cap = 0;
    for (;;) {
        const tok *t = peek(p, 0);
        ss_status rc;
        ss_stmt *nv;

        if (t->kind == T_SEP) {
            p->pos++;
            continue;
        }
        if (t->kind == T_END)
            return SS_OK;
        if (out->n == cap) {
            size_t nc = cap ? 2 * cap : 4;
            nv = realloc(out->v, nc * sizeof *nv);
            if (!nv)
                return nomem();
            out->v = nv;
            cap = nc;
        }
        memset(&out->v[out->n], 0, sizeof out->v[out->n]);
        out->n++; /* counted before parsing so a partial ss_stmt is freed */
        rc = parse_stmt(p, &out->v[out->n - 1]);
        if (rc != SS_OK)
            return rc;
    }
}

ss_status parse_line(const char *text, ss_stmt_list *out)
{
    parser p;
    ss_stmt_list l = {0};
    ss_status rc;

    if (!out)
        return SS_FAIL(SS_ERR_USAGE, "parse_line: no output list");
    out->v = NULL;
    out->n = 0;
    if (!text)
        return SS_OK;

    memset(&p, 0, sizeof p);
    p.text = text;
    p.textlen = strlen(text);
    if (p.textlen > PARSE_MAX_LINE)
        return SS_FAIL_COL(SS_ERR_LIMIT, PARSE_MAX_LINE + 1,
                           "line too long (%zu bytes, limit %d)", p.textlen,
                           PARSE_MAX_LINE);

    if (lex_all(&p) < 0)
        rc = nomem();
    else
        rc = parse_all(&p, &l);

    for (size_t i = 0; i < p.ntoks; i++)
        free(p.toks[i].str);
    free(p.toks);
    if (rc != SS_OK) {
        stmt_list_free(&l);
        return rc;
    }
    *out = l;
    return SS_OK;
}

void stmt_list_free(ss_stmt_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        stmt_clear(&l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

int parse_incomplete(const char *text)
{
    int depth = 0, comment = 0;
    int start = 1; /* at the start of a statement */
    int echo = 0;  /* in an echo statement: brackets are text */
    char quote = 0;
    char last = 0; /* last non-blank character outside comments */

    if (!text)
        return 0;
    for (const char *s = text; *s; s++) {
        char c = *s;
        if (comment) {
            if (c == '\n') {
                comment = 0;
                if (depth == 0)
                    start = 1, echo = 0;
                last = c;
            }
            continue;
        }
        if (quote) {
            if (c == '\\' && s[1])
                s++;
            else if (c == quote)
                quote = 0;
            last = c;
            continue;
        }
        if (start && c != ' ' && c != '\t' && c != '\r' && c != '\n' &&
            c != ';') {
            start = 0;
            echo = is_echo(s);
        }
        switch (c) {
        case '#': comment = 1; break;
        case '"':
        case '\'':
            if (!echo || !echo_literal_quote(text, (size_t)(s - text)))
                quote = c;
            break;
        case '[':
            if (!echo)
                depth++;
            break;
        case ']':
            if (!echo && depth > 0)
                depth--;
            break;
        case ';': /* as the lexer: a new statement */
            depth = 0;
            start = 1;
            echo = 0;
            break;
        case '\n':
            if (depth == 0 && last != '\\')
                start = 1, echo = 0;
            break;
        default: break;
        }
        if (!comment && c != ' ' && c != '\t' && c != '\r')
            last = c;
    }
    if (quote || depth > 0)
        return 1;
    return !comment && last == '\\';
}

int parse_u64(const char *text, uint64_t *out)
{
    uint64_t v = 0;
    if (!text || !is_digit((unsigned char)text[0]))
        return 0;
    for (const char *c = text; *c; c++) {
        if (!is_digit((unsigned char)*c))
            return 0;
        unsigned d = (unsigned)(*c - '0');
        if (v > (UINT64_MAX - d) / 10)
            return 0;
        v = v * 10 + d;
    }
    *out = v;
    return 1;
}

const char *val_kind_name(ss_val_kind k)
{
    switch (k) {
    case VAL_NUM: return "number";
    case VAL_VEC: return "vector";
    case VAL_ROWS: return "list of vectors";
    case VAL_RANGE: return "range";
    case VAL_STR: return "string";
    case VAL_IDENT: return "name";
    case VAL_AXIS: return "axis";
    case VAL_PUNCT: return "punctuation";
    case VAL_NAMES: return "list of names";
    case VAL_CALL: return "call";
    }
    return "value";
}

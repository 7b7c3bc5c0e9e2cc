/* The singscope command language: one statement is
 *     verb arg arg key=value ... [as NAME]
 * statements separated by ';' or newlines, '#' starts a comment.
 * Values: numbers (1e-3, -0.5, .5), vectors [1, 0.5] (commas optional,
 * may be empty), lists of vectors [[0.5, 1], [2]] (rows of numbers), lists of names [x, y, "body mass"] (names or strings,
 * not mixed with numbers), ranges 0..1, strings in double or single quotes,
 * identifiers, bare paths (tour.scn, scenarios/x.scn), fractions of
 * unsigned integers read as words (shard=3/16), axes NAME:lo..hi
 * (map x=w1:-1..1), calls NAME(a, b, ...) of numbers with the '(' glued
 * to the name (prior g w1=normal(0,1)); '(' anywhere else is refused)
 * and the punctuation ':' and '->' (path g v: 0.3 -> 0).
 * A number whose value would underflow to 0 (1e-400) is refused like one
 * that overflows (1e400); subnormal values are kept.
 *
 * `echo` is the exception: the rest of its statement (up to an unquoted
 * ';', '#' or newline) is one string value, quotes removed and their
 * contents kept exactly, each run of blanks outside quotes one space
 * (echo Hello, world! prints "Hello, world!"). A quote right after a letter
 * or digit is an apostrophe there (echo it's 1 o'clock).
 *
 * Columns are 1-based offsets into the text handed to parse_line (which
 * may hold several physical lines joined with '\n'). */
#ifndef SS_PARSE_H
#define SS_PARSE_H

#include "core/status.h"

#include <stddef.h>
#include <stdint.h>

#define PARSE_MAX_LINE 65536 /* longer input is refused, not truncated */

typedef enum {
    VAL_NUM,   /* num */
    VAL_VEC,   /* vec[0..n-1] */
    VAL_RANGE, /* lo..hi */
    VAL_STR,   /* str: quoted string or bare path */
    VAL_IDENT, /* str: [A-Za-z_][A-Za-z0-9_]* */
    VAL_AXIS,  /* str:lo..hi */
    VAL_PUNCT, /* str: ":" or "->" */
    VAL_NAMES, /* names[0..n-1]: [x, y] */
    VAL_CALL,  /* str(vec[0..n-1]): normal(0, 1) */
    VAL_ROWS   /* [[1, 2], [3]]: vec[0..n-1] holds the rows one after the
                  other, rowlen[0..nrows-1] their lengths */
} ss_val_kind;

typedef struct {
    ss_val_kind kind;
    int col;      /* column of the value's first character */
    double num;   /* VAL_NUM; str then holds the literal as written */
    double *vec;
    char **names; /* VAL_NAMES */
    size_t n;
    double lo, hi;
    char *str;
    size_t *rowlen; /* VAL_ROWS */
    size_t nrows;
    int quoted;   /* VAL_STR written in quotes: its text starts at col + 1 */
} ss_val;

typedef struct {
    char *key; /* NULL for a positional argument */
    int key_col;
    ss_val v;
} ss_stmt_arg;

typedef struct {
    char *verb;
    int verb_col;
    ss_stmt_arg *args;
    size_t nargs;
    char *as_name; /* NULL without `as NAME` */
    int as_col;
} ss_stmt;

typedef struct {
    ss_stmt *v;
    size_t n;
} ss_stmt_list;

/* Parse complete input into statements (none for blank/comment-only text).
 * On a syntax error returns SS_ERR_SYNTAX (recorded with SS_FAIL_COL, the
 * column pointing at the offending character) and leaves out empty. */
ss_status parse_line(const char *text, ss_stmt_list *out);
void stmt_list_free(ss_stmt_list *l);

/* 1 when the text cannot be complete yet and a continuation line should be
 * read: an unclosed '[' or quote, or a trailing backslash. */
int parse_incomplete(const char *text);

/* A whole number 0..2^64-1 written in decimal digits only (no sign,
 * blanks, fraction or exponent): 1 and *out set, or 0 when the text is
 * not one or overflows. For seeds, which must keep all 64 bits. */
int parse_u64(const char *text, uint64_t *out);

/* For tools that rewrite statement text (the REPL's history): whether the
 * statement at s is an echo, and whether the quote at text[at] inside an
 * echo is an apostrophe rather than the start of a string. */
int parse_is_echo(const char *s);
int parse_echo_literal_quote(const char *text, size_t at);

const char *val_kind_name(ss_val_kind k);

#endif

/* Checked access to a statement's arguments for command handlers. Every
 * failure records an error positioned at the offending argument. */
#ifndef SS_ARGS_H
#define SS_ARGS_H

#include "lang/parse.h"
#include "lang/session.h"
#include "model/model.h"

#include <stddef.h>
#include <stdint.h>

/* ---- option tables ---------------------------------------------------
 * Every command declares its keyword options (and bare flags) in a table
 * (cmd_def.opts in commands.c). Argument checking, the readers below,
 * completion, the "options:" block of `help` and docs/commands.md all read
 * it, so a key, its default and its bounds are written in one place. */
typedef enum {
    OPT_COUNT,  /* whole number in [lo, hi] */
    OPT_REAL,   /* number; lo and hi bound it when lo_br/hi_br are set */
    OPT_WORD,   /* one of the choices (words or choice()) */
    OPT_BOOL,   /* yes or no (also 1 or 0) */
    OPT_TEXT,   /* a word or a string in quotes */
    OPT_OBJECT, /* the name of a stored object of type ss_obj */
    OPT_FILE,   /* a file name */
    OPT_AXIS,   /* PARAM:FROM..TO (a parameter or blow-down coordinate) */
    OPT_RANGE,  /* LO..HI, finite, LO < HI */
    OPT_GRID,   /* WxH, N or [W, H]: at least lo per axis, at most hi cells */
    OPT_POINT,  /* [a, b, ...]: every parameter of the model, in order
                 * (its length is checked against the model by the handler) */
    OPT_COLUMNS, /* [NAME, ...] or [K, ...] (or one): columns of a table by
                  * header name or 1-based position */
    OPT_NAMES,  /* [a, b, ...] (or one name): names, each one of the
                 * choices when the option has them */
    OPT_COUNTS, /* [n1, n2, ...] (or one number): whole numbers in [lo, hi] */
    OPT_NUMBERS, /* a number, [a, b, ..] or [[a, b], [c], ..] (rows): checked
                  * by the handler */
    OPT_FLAG    /* a bare word after the positional arguments (ascii, log) */
} opt_kind;

enum {
    OPT_REQUIRED = 1, /* the command fails without it ("map needs x=...") */
    OPT_MSG_TAKES = 2, /* a bad value: "KEY= takes one of A, B" (else
                        * "unknown KEY 'V' (A, B)") */
    OPT_ALT = 4        /* a key of the command's second form (cmd_def.alt),
                        * shown there and not in the first */
};

typedef struct cmd_opt {
    const char *key;
    opt_kind kind;
    const char *meta; /* the value in help: N, T, DATA, PARAM:FROM..TO */
    /* The default as text for help; NULL: none. A number (COUNT, REAL), a
     * choice (WORD) or WxH (GRID) is also the value read when the key is
     * absent; any other text (e.g. "the terminal's width") reads as 0 or
     * NULL and the handler supplies it. */
    const char *def;
    double lo, hi;          /* bounds of COUNT, REAL and GRID */
    char lo_br, hi_br;      /* REAL: '[' / '(' and ']' / ')'; 0: unbounded */
    const char *const *words; /* WORD: the choices, NULL-terminated, or */
    const char *(*choice)(size_t i); /* the i-th choice, NULL past the end */
    const obj_type *obj;       /* OBJECT: the type of object named */
    unsigned flags;
    const char *help;       /* one line */
} cmd_opt;

/* The option key of the statement's command (cmd_find(st->verb)); NULL
 * when its table has no such key. */
const cmd_opt *args_opt(const ss_stmt *st, const char *key);
/* The i-th choice of a WORD option (or yes/no of a BOOL), NULL past the
 * end. */
const char *opt_choice(const cmd_opt *o, size_t i);
/* "n=N" (a flag: its name) and a description of the value: "a whole
 * number in [2, 1000000000]; default 100000", for help. A WORD or BOOL
 * without meta shows its choices ("method=exact|mc|...") when they are few
 * and short (else KEY=NAME, and the description lists them). */
void opt_usage(const cmd_opt *o, char *buf, size_t n);
void opt_detail(const cmd_opt *o, char *buf, size_t n);

/* args_check against the command's table: positional arguments between lo
 * and hi, every key in the table (once), every value of its key's kind and
 * within its bounds, every OPT_REQUIRED key present (args_require) and
 * `as NAME` given where the command requires it; bare flags stay
 * positional for the handler. */
ss_status args_check_opts(const ss_stmt *st, size_t lo, size_t hi);
/* Readers with the default and bounds of the table (the value was checked
 * by args_check_opts; absent: the default). args_count_min raises the
 * lower bound (a picture's smallest size). */
ss_status args_count(const ss_stmt *st, const char *key, uint64_t *out);
ss_status args_count_min(const ss_stmt *st, const char *key, uint64_t lo,
                         uint64_t *out);
ss_status args_real(const ss_stmt *st, const char *key, double *out);
ss_status args_word(const ss_stmt *st, const char *key, const char **out);
/* BOOL: 1 yes, 0 no, -1 absent. */
ss_status args_bool(const ss_stmt *st, const char *key, int *out);
ss_status args_grid(const ss_stmt *st, const char *key, size_t *nx,
                    size_t *ny);
/* A REQUIRED option that is absent: "map needs x=PARAM:FROM..TO". */
ss_status args_require(const ss_stmt *st, const char *key);

/* Positional arguments must number between lo and hi; keyword arguments
 * must be listed in keys (space separated, NULL = none allowed). */
ss_status args_check(const ss_stmt *st, size_t lo, size_t hi, const char *keys);

/* The i-th positional argument, or NULL. */
const ss_stmt_arg *args_pos(const ss_stmt *st, size_t i);
size_t args_npos(const ss_stmt *st);
/* The keyword argument named key, or NULL. */
const ss_stmt_arg *args_key(const ss_stmt *st, const char *key);

/* Positional i must be an identifier; the name is stored in *out. */
ss_status args_name(const ss_stmt *st, size_t i, const char *what,
                    const char **out);
/* Readers with the default and bounds written by the caller, for keys
 * outside an option table; a command's own options use args_count,
 * args_real and args_word below, which read them from its table. */
ss_status args_key_num(const ss_stmt *st, const char *key, double def,
                       double *out);
/* Whole number in [lo, hi]. */
ss_status args_key_count(const ss_stmt *st, const char *key, uint64_t def,
                         uint64_t lo, uint64_t hi, uint64_t *out);
/* Identifier or string; def when absent. */
ss_status args_key_word(const ss_stmt *st, const char *key, const char *def,
                        const char **out);

/* Keyword arguments (and, with positional_free, bare identifiers from
 * positional index `from` on) as model arguments. The arrays borrow the
 * statement's strings and numbers; free *out with free(). */
ss_status args_to_model(const ss_stmt *st, size_t from, int bare_ok,
                        model_arg **out, size_t *n);

/* Positional 0 names a stored model: its name and the model. */
ss_status args_model(session *s, const ss_stmt *st, const char **name,
                     model **m);

/* Positional 0 names any stored object: its name and the object. */
ss_status args_object(session *s, const ss_stmt *st, const char **name,
                      ss_obj **o);

/* The statement as text (numbers with 12 digits), for `list`. */
void args_origin(const ss_stmt *st, char *buf, size_t n);
/* The value column of the first keyword argument of st whose "KEY=" the
 * message msg mentions (keys in statement order), or 0: where an error
 * about an option belongs. */
int args_col_in_msg(const ss_stmt *st, const char *msg);

/* The seed a random command runs from: seed= when given, else a fresh one
 * drawn from the session generator. *saved keeps the generator as it was,
 * so that a command that fails leaves no trace: args_seed_end puts it
 * back when rc is not SS_OK, frees it either way and returns rc. */
ss_status args_seed_begin(session *s, const ss_stmt *st, uint64_t *seed,
                          gsl_rng **saved);
ss_status args_seed_end(session *s, gsl_rng *saved, ss_status rc);

#endif

/* Checked access to a statement's arguments for command handlers. Every
 * failure records an error positioned at the offending argument. */
#ifndef SS_ARGS_H
#define SS_ARGS_H

#include "lang/parse.h"
#include "lang/session.h"
#include "model/model.h"

#include <stdint.h>

/* Positional arguments must number between lo and hi; keyword arguments
 * must be listed in keys (space separated, NULL = none allowed). */
ss_status args_check(const stmt *st, size_t lo, size_t hi, const char *keys);

/* The i-th positional argument, or NULL. */
const stmt_arg *args_pos(const stmt *st, size_t i);
size_t args_npos(const stmt *st);
/* The keyword argument named key, or NULL. */
const stmt_arg *args_key(const stmt *st, const char *key);

/* Positional i must be an identifier; the name is stored in *out. */
ss_status args_name(const stmt *st, size_t i, const char *what,
                    const char **out);
ss_status args_key_num(const stmt *st, const char *key, double def,
                       double *out);
/* Whole number in [lo, hi]. */
ss_status args_key_count(const stmt *st, const char *key, uint64_t def,
                         uint64_t lo, uint64_t hi, uint64_t *out);
/* Identifier or string; def when absent. */
ss_status args_key_word(const stmt *st, const char *key, const char *def,
                        const char **out);

/* Keyword arguments (and, with positional_free, bare identifiers from
 * positional index `from` on) as model arguments. The arrays borrow the
 * statement's strings and numbers; free *out with free(). */
ss_status args_to_model(const stmt *st, size_t from, int bare_ok,
                        model_arg **out, size_t *n);

/* Positional 0 names a stored model: its name and the model. */
ss_status args_model(session *s, const stmt *st, const char **name,
                     model **m);

/* Positional 0 names any stored object: its name and the object. */
ss_status args_object(session *s, const stmt *st, const char **name,
                      obj **o);

/* The statement as text (numbers with 12 digits), for `list`. */
void args_origin(const stmt *st, char *buf, size_t n);

#endif

/* Arithmetic expressions in named parameters and the independent variable t,
 * parsed once and evaluated with exact first derivatives (forward-mode dual
 * numbers). The foundation of the user-defined model ("model u expr ...").
 *
 * Grammar (docs/theory.md section 16):
 *   sum     := product (('+' | '-') product)*
 *   product := unary (('*' | '/') unary)*
 *   unary   := ('-' | '+') unary | power
 *   power   := primary ('^' unary)?          right-associative
 *   primary := NUMBER | NAME | FUNC '(' sum (',' sum)* ')' | '(' sum ')'
 * so 2^3^2 = 2^9, -2^2 = -(2^2) = -4 (as in mathematics and Fortran), and
 * 2^-1 = 0.5. Numbers are C-locale decimals (1, .5, 2.5e-3). Names are
 * [A-Za-z_][A-Za-z0-9_]*: the parameters given to expr_parse and t.
 * Functions: exp log sqrt sin cos tan tanh abs (one argument), pow(a, b).
 *
 * Errors carry a 1-based column inside the expression text (the caller adds
 * the offset of the text in its own input line). */
#ifndef SS_EXPR_H
#define SS_EXPR_H

#include "core/status.h"

#include <stddef.h>

typedef struct expr expr;

/* Longest expression text and deepest nesting of parentheses/operators
 * accepted (SS_ERR_LIMIT beyond): recursion depth must stay bounded. */
#define EXPR_MAX_LEN 4096
#define EXPR_MAX_DEPTH 200

/* Parse text with the n parameter names (n may be 0, names then NULL).
 * A name may not be "t", be repeated or be empty (SS_ERR_USAGE). An unknown
 * name is SS_ERR_NAME; malformed text is SS_ERR_SYNTAX; both with the
 * column. On success *out owns a copy of everything it needs. */
ss_status expr_parse(const char *text, const char *const *names, size_t n,
                     expr **out);
void expr_free(expr *e);

size_t expr_nparams(const expr *e);
/* Whether parameter i (0-based) occurs in the expression; an unused
 * parameter is structurally non-identifiable. */
int expr_uses(const expr *e, size_t i);
/* Whether t occurs. */
int expr_uses_t(const expr *e);

/* The value at params (n values) and time t, and when grad is not NULL the
 * n partial derivatives d value / d params[i], exact up to rounding.
 * A domain error (division by zero, log of a non-positive number, sqrt of
 * a negative one, a negative base to a non-integer power, a non-finite
 * value or derivative) is SS_ERR_RANGE naming the operation and its column;
 * *value and grad are then unspecified. sqrt and abs at 0, and 0^b at
 * b = 0 with b depending on a parameter, have a value but no derivative:
 * they are refused only when grad is asked for. Thread-safe on a shared
 * expr (no state but the caller's stack). */
ss_status expr_eval(const expr *e, const double *params, double t,
                    double *value, double *grad);

#endif

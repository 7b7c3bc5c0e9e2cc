/* Expressions with exact derivatives (expr.h; docs/theory.md section 16).
 *
 * Parsing is recursive descent straight into a postfix program, so
 * evaluation is one loop over an array with a small value stack, no tree
 * walk and no allocation for the usual sizes.
 *
 * Derivatives: forward mode with one vector dual number per stack slot, the
 * value and all n partials together, so one pass gives the whole gradient.
 * One pass per parameter would redo every exp/log n times; the vector form
 * costs one transcendental call per operation plus O(n) multiply-adds, and
 * a model's n is small (a handful of PK parameters). */
#include "model/expr.h"

#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef enum {
    OP_NUM, OP_PAR, OP_T, OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_POW, OP_NEG,
    OP_EXP, OP_LOG, OP_SQRT, OP_SIN, OP_COS, OP_TAN, OP_TANH, OP_ABS
} opcode;

typedef struct {
    opcode code;
    int col;       /* 1-based column of the operator or function name */
    int dep;       /* OP_POW: whether the exponent depends on a parameter */
    size_t idx;    /* OP_PAR */
    double num;    /* OP_NUM */
} op;

struct expr {
    op *ops;
    size_t nops, cap;
    size_t n;
    unsigned char *used;
    int uses_t;
    size_t sp, maxstack; /* stack depth while emitting, and its maximum */
};

/* Functions by name; pow is the only one with two arguments. */
static const struct {
    const char *name;
    opcode code;
    int arity;
} funcs[] = {
    {"exp", OP_EXP, 1},  {"log", OP_LOG, 1}, {"sqrt", OP_SQRT, 1},
    {"sin", OP_SIN, 1},  {"cos", OP_COS, 1}, {"tan", OP_TAN, 1},
    {"tanh", OP_TANH, 1}, {"abs", OP_ABS, 1}, {"pow", OP_POW, 2},
};
#define NFUNCS (sizeof funcs / sizeof funcs[0])

/* ---- lexer -------------------------------------------------------------- */

typedef enum { T_END, T_NUM, T_NAME, T_OP, T_LP, T_RP, T_COMMA } tkind;

typedef struct {
    tkind kind;
    size_t off, len;
    double num;
} tok;

typedef struct {
    const char *s;
    size_t len, pos;
    const char *const *names;
    expr *e;
    int depth;
    tok prev; /* the last token consumed (prev.len 0 before the first) */
} parser;

static int col_of(size_t off) { return (int)off + 1; }

/* ASCII classes by hand: <ctype.h> follows the locale, and the grammar
 * must not (a Latin-1 locale would make byte 0xe9 a letter). */
static int is_digit(int c) { return c >= '0' && c <= '9'; }
static int is_name_start(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
static int is_name_char(int c) { return is_name_start(c) || is_digit(c); }
static int is_space(int c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

/* strtod in the C convention whatever LC_NUMERIC says (as lang/parse.c). */
static double c_strtod(const char *s, size_t len)
{
    char buf[128];
    const struct lconv *lc = localeconv();
    if (len >= sizeof buf)
        len = sizeof buf - 1; /* digits past 127 do not change a double much;
                                 the lexer caps a number at that length */
    memcpy(buf, s, len);
    buf[len] = 0;
    if (lc && lc->decimal_point && lc->decimal_point[0] &&
        lc->decimal_point[0] != '.' && !lc->decimal_point[1]) {
        char *dot = strchr(buf, '.');
        if (dot)
            *dot = lc->decimal_point[0];
    }
    return strtod(buf, NULL);
}

/* The token at p->pos (not consumed). */
static ss_status lex(const parser *p, tok *t)
{
    const char *s = p->s;
    size_t i = p->pos;
    while (i < p->len && is_space((unsigned char)s[i]))
        i++;
    t->off = i;
    t->len = 1;
    t->num = 0;
    if (i >= p->len) {
        t->kind = T_END;
        t->len = 0;
        return SS_OK;
    }
    unsigned char c = (unsigned char)s[i];
    if (is_digit(c) || (c == '.' && i + 1 < p->len &&
                       is_digit((unsigned char)s[i + 1]))) {
        size_t j = i;
        while (j < p->len && is_digit((unsigned char)s[j]))
            j++;
        if (j < p->len && s[j] == '.') {
            j++;
            while (j < p->len && is_digit((unsigned char)s[j]))
                j++;
        }
        if (j < p->len && (s[j] == 'e' || s[j] == 'E')) {
            size_t k = j + 1;
            if (k < p->len && (s[k] == '+' || s[k] == '-'))
                k++;
            if (k >= p->len || !is_digit((unsigned char)s[k]))
                return SS_FAIL_COL(SS_ERR_SYNTAX, col_of(i),
                                   "malformed number '%.*s': an exponent "
                                   "needs digits",
                                   (int)(k - i), s + i);
            while (k < p->len && is_digit((unsigned char)s[k]))
                k++;
            j = k;
        }
        if (j - i > 100)
            return SS_FAIL_COL(SS_ERR_SYNTAX, col_of(i),
                               "number longer than 100 characters");
        t->kind = T_NUM;
        t->len = j - i;
        t->num = c_strtod(s + i, j - i);
        if (!isfinite(t->num))
            return SS_FAIL_COL(SS_ERR_RANGE, col_of(i),
                               "number '%.*s' is too large for a double",
                               (int)t->len, s + i);
        return SS_OK;
    }
    if (is_name_start(c)) {
        size_t j = i;
        while (j < p->len && is_name_char((unsigned char)s[j]))
            j++;
        t->kind = T_NAME;
        t->len = j - i;
        return SS_OK;
    }
    switch (c) {
    case '+': case '-': case '*': case '/': case '^':
        t->kind = T_OP;
        return SS_OK;
    case '(': t->kind = T_LP; return SS_OK;
    case ')': t->kind = T_RP; return SS_OK;
    case ',': t->kind = T_COMMA; return SS_OK;
    default:
        break;
    }
    if (c >= 0x20 && c < 0x7f)
        return SS_FAIL_COL(SS_ERR_SYNTAX, col_of(i),
                           "unexpected character '%c'", c);
    return SS_FAIL_COL(SS_ERR_SYNTAX, col_of(i),
                       "unexpected character (byte 0x%02x)", c);
}

static void advance(parser *p, const tok *t)
{
    p->prev = *t;
    p->pos = t->off + t->len;
}

static int is_op(const parser *p, const tok *t, char c)
{
    return t->kind == T_OP && p->s[t->off] == c;
}

/* ---- emitting ----------------------------------------------------------- */

static ss_status emit(parser *p, op o)
{
    expr *e = p->e;
    if (e->nops == e->cap) {
        size_t cap = e->cap ? 2 * e->cap : 16;
        op *ops = realloc(e->ops, cap * sizeof *ops);
        if (!ops)
            return SS_FAIL(SS_ERR_NOMEM, "out of memory for an expression");
        e->ops = ops;
        e->cap = cap;
    }
    e->ops[e->nops++] = o;
    if (o.code == OP_NUM || o.code == OP_PAR || o.code == OP_T) {
        if (++e->sp > e->maxstack)
            e->maxstack = e->sp;
    } else if (o.code == OP_ADD || o.code == OP_SUB || o.code == OP_MUL ||
               o.code == OP_DIV || o.code == OP_POW) {
        e->sp--;
    }
    return SS_OK;
}

static ss_status emit_op(parser *p, opcode code, int col, int dep)
{
    return emit(p, (op){.code = code, .col = col, .dep = dep});
}

/* ---- grammar (expr.h) ---------------------------------------------------- */

static ss_status p_sum(parser *p, int *dep);
static ss_status p_unary(parser *p, int *dep);

static ss_status deeper(parser *p, const tok *t)
{
    if (++p->depth > EXPR_MAX_DEPTH)
        return SS_FAIL_COL(SS_ERR_LIMIT, col_of(t->off),
                           "expression nested deeper than %d levels",
                           EXPR_MAX_DEPTH);
    return SS_OK;
}

/* The error for a token that cannot start an operand. */
static ss_status missing_operand(const parser *p, const tok *t)
{
    int col = col_of(t->off);
    if (p->prev.len == 0)
        return SS_FAIL_COL(SS_ERR_SYNTAX, col, "missing operand before '%.*s'",
                           (int)t->len, p->s + t->off);
    return SS_FAIL_COL(SS_ERR_SYNTAX, col, "missing operand after '%.*s'",
                       (int)p->prev.len, p->s + p->prev.off);
}

static ss_status p_call(parser *p, const tok *name, int *dep)
{
    size_t f;
    ss_status rc;
    tok lp, t;
    int nargs = 0, d = 0;
    for (f = 0; f < NFUNCS; f++)
        if (strlen(funcs[f].name) == name->len &&
            !strncmp(funcs[f].name, p->s + name->off, name->len))
            break;
    if (f == NFUNCS)
        return SS_FAIL_COL(SS_ERR_NAME, col_of(name->off),
                           "unknown function '%.*s' (known: exp, log, sqrt, "
                           "sin, cos, tan, tanh, abs, pow)",
                           (int)name->len, p->s + name->off);
    if ((rc = lex(p, &lp)) != SS_OK)
        return rc;
    advance(p, &lp);
    *dep = 0;
    if ((rc = lex(p, &t)) != SS_OK)
        return rc;
    if (t.kind != T_RP) {
        for (;;) {
            if ((rc = p_sum(p, &d)) != SS_OK)
                return rc;
            *dep |= d;
            nargs++;
            if ((rc = lex(p, &t)) != SS_OK)
                return rc;
            if (t.kind != T_COMMA)
                break;
            advance(p, &t);
        }
    }
    if (t.kind == T_END)
        return SS_FAIL_COL(SS_ERR_SYNTAX, col_of(lp.off), "unclosed '('");
    if (t.kind != T_RP)
        return SS_FAIL_COL(SS_ERR_SYNTAX, col_of(t.off),
                           "expected ',' or ')' in the arguments of '%.*s', "
                           "found '%.*s'",
                           (int)name->len, p->s + name->off, (int)t.len,
                           p->s + t.off);
    advance(p, &t);
    if (nargs != funcs[f].arity)
        return SS_FAIL_COL(SS_ERR_SYNTAX, col_of(name->off),
                           "function '%s' takes %d argument%s, got %d",
                           funcs[f].name, funcs[f].arity,
                           funcs[f].arity == 1 ? "" : "s", nargs);
    /* For pow(a, b), d is the last argument's: the exponent's dependence
     * decides the negative-base rule, as for '^'. */
    return emit_op(p, funcs[f].code, col_of(name->off), d);
}

static ss_status p_name(parser *p, const tok *t, int *dep)
{
    const char *s = p->s + t->off;
    size_t i;
    tok nx;
    ss_status rc;
    advance(p, t);
    if ((rc = lex(p, &nx)) != SS_OK)
        return rc;
    if (nx.kind == T_LP)
        return p_call(p, t, dep);
    *dep = 0;
    if (t->len == 1 && s[0] == 't') {
        p->e->uses_t = 1;
        return emit(p, (op){.code = OP_T, .col = col_of(t->off)});
    }
    for (i = 0; i < p->e->n; i++)
        if (strlen(p->names[i]) == t->len && !strncmp(p->names[i], s, t->len)) {
            p->e->used[i] = 1;
            *dep = 1;
            return emit(p, (op){.code = OP_PAR, .col = col_of(t->off),
                                .idx = i});
        }
    for (i = 0; i < NFUNCS; i++)
        if (strlen(funcs[i].name) == t->len &&
            !strncmp(funcs[i].name, s, t->len))
            return SS_FAIL_COL(SS_ERR_SYNTAX, col_of(t->off),
                               "function '%s' needs its argument%s in "
                               "parentheses",
                               funcs[i].name, funcs[i].arity == 1 ? "" : "s");
    return SS_FAIL_COL(SS_ERR_NAME, col_of(t->off),
                       "unknown name '%.*s' (neither a parameter nor t)",
                       (int)t->len, s);
}

static ss_status p_primary(parser *p, int *dep)
{
    tok t, r;
    ss_status rc;
    if ((rc = lex(p, &t)) != SS_OK)
        return rc;
    switch (t.kind) {
    case T_NUM:
        advance(p, &t);
        *dep = 0;
        return emit(p, (op){.code = OP_NUM, .col = col_of(t.off),
                            .num = t.num});
    case T_NAME:
        return p_name(p, &t, dep);
    case T_LP: /* nesting is counted by p_unary, which every level passes */
        advance(p, &t);
        if ((rc = p_sum(p, dep)) != SS_OK)
            return rc;
        if ((rc = lex(p, &r)) != SS_OK)
            return rc;
        if (r.kind == T_END)
            return SS_FAIL_COL(SS_ERR_SYNTAX, col_of(t.off), "unclosed '('");
        if (r.kind != T_RP)
            return SS_FAIL_COL(SS_ERR_SYNTAX, col_of(r.off),
                               "expected ')' to close the '(' at column %d, "
                               "found '%.*s'",
                               col_of(t.off), (int)r.len, p->s + r.off);
        advance(p, &r);
        return SS_OK;
    default:
        return missing_operand(p, &t);
    }
}

static ss_status p_power(parser *p, int *dep)
{
    tok t;
    int d;
    ss_status rc;
    if ((rc = p_primary(p, dep)) != SS_OK)
        return rc;
    if ((rc = lex(p, &t)) != SS_OK)
        return rc;
    if (!is_op(p, &t, '^'))
        return SS_OK;
    advance(p, &t);
    /* The exponent is a unary: right-associative, and 2^-1 is allowed. */
    if ((rc = p_unary(p, &d)) != SS_OK)
        return rc;
    *dep |= d;
    return emit_op(p, OP_POW, col_of(t.off), d);
}

static ss_status p_unary(parser *p, int *dep)
{
    tok t;
    ss_status rc;
    if ((rc = lex(p, &t)) != SS_OK)
        return rc;
    if (is_op(p, &t, '-') || is_op(p, &t, '+')) {
        if ((rc = deeper(p, &t)) != SS_OK)
            return rc;
        advance(p, &t);
        if ((rc = p_unary(p, dep)) != SS_OK)
            return rc;
        p->depth--;
        if (p->s[t.off] == '-')
            return emit_op(p, OP_NEG, col_of(t.off), 0);
        return SS_OK;
    }
    if ((rc = deeper(p, &t)) != SS_OK)
        return rc;
    rc = p_power(p, dep);
    p->depth--;
    return rc;
}

static ss_status p_product(parser *p, int *dep)
{
    tok t;
    int d;
    ss_status rc;
    if ((rc = p_unary(p, dep)) != SS_OK)
        return rc;
    for (;;) {
        if ((rc = lex(p, &t)) != SS_OK)
            return rc;
        if (!is_op(p, &t, '*') && !is_op(p, &t, '/'))
            return SS_OK;
        advance(p, &t);
        if ((rc = p_unary(p, &d)) != SS_OK)
            return rc;
        *dep |= d;
        rc = emit_op(p, p->s[t.off] == '*' ? OP_MUL : OP_DIV, col_of(t.off),
                     0);
        if (rc != SS_OK)
            return rc;
    }
}

static ss_status p_sum(parser *p, int *dep)
{
    tok t;
    int d;
    ss_status rc;
    if ((rc = p_product(p, dep)) != SS_OK)
        return rc;
    for (;;) {
        if ((rc = lex(p, &t)) != SS_OK)
            return rc;
        if (!is_op(p, &t, '+') && !is_op(p, &t, '-'))
            return SS_OK;
        advance(p, &t);
        if ((rc = p_product(p, &d)) != SS_OK)
            return rc;
        *dep |= d;
        rc = emit_op(p, p->s[t.off] == '+' ? OP_ADD : OP_SUB, col_of(t.off),
                     0);
        if (rc != SS_OK)
            return rc;
    }
}

static int is_name(const char *s)
{
    if (!s || !is_name_start((unsigned char)s[0]))
        return 0;
    for (; *s; s++)
        if (!is_name_char((unsigned char)*s))
            return 0;
    return 1;
}

static ss_status check_names(const char *const *names, size_t n)
{
    size_t i, j;
    for (i = 0; i < n; i++) {
        if (!is_name(names[i]))
            return SS_FAIL(SS_ERR_USAGE,
                           "parameter name '%s' is not a name (a letter or _ "
                           "then letters, digits or _)",
                           names[i] ? names[i] : "(null)");
        if (!strcmp(names[i], "t"))
            return SS_FAIL(SS_ERR_USAGE,
                           "parameter name 't' is taken by the independent "
                           "variable");
        for (j = 0; j < i; j++)
            if (!strcmp(names[i], names[j]))
                return SS_FAIL(SS_ERR_USAGE, "parameter '%s' named twice",
                               names[i]);
    }
    return SS_OK;
}

ss_status expr_parse(const char *text, const char *const *names, size_t n,
                     expr **out)
{
    parser p;
    expr *e;
    tok t;
    int dep;
    ss_status rc;
    size_t len, i;

    *out = NULL;
    if (!text)
        return SS_FAIL_COL(SS_ERR_SYNTAX, 1, "empty expression");
    if ((rc = check_names(names, n)) != SS_OK)
        return rc;
    len = strlen(text);
    if (len > EXPR_MAX_LEN)
        return SS_FAIL_COL(SS_ERR_LIMIT, EXPR_MAX_LEN + 1,
                           "expression longer than %d characters",
                           EXPR_MAX_LEN);
    for (i = 0; i < len && is_space((unsigned char)text[i]); i++)
        ;
    if (i == len)
        return SS_FAIL_COL(SS_ERR_SYNTAX, 1, "empty expression");

    e = calloc(1, sizeof *e);
    if (!e || !(e->used = calloc(n ? n : 1, 1))) {
        free(e);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory for an expression");
    }
    e->n = n;
    p = (parser){.s = text, .len = len, .names = names, .e = e};
    rc = p_sum(&p, &dep);
    if (rc == SS_OK)
        rc = lex(&p, &t);
    if (rc == SS_OK && t.kind != T_END) {
        if (t.kind == T_RP)
            rc = SS_FAIL_COL(SS_ERR_SYNTAX, col_of(t.off), "unmatched ')'");
        else
            rc = SS_FAIL_COL(SS_ERR_SYNTAX, col_of(t.off),
                             "unexpected '%.*s' after a complete expression",
                             (int)t.len, text + t.off);
    }
    if (rc != SS_OK) {
        expr_free(e);
        return rc;
    }
    *out = e;
    return SS_OK;
}

void expr_free(expr *e)
{
    if (!e)
        return;
    free(e->ops);
    free(e->used);
    free(e);
}

size_t expr_nparams(const expr *e) { return e->n; }

int expr_uses(const expr *e, size_t i) { return i < e->n && e->used[i]; }

int expr_uses_t(const expr *e) { return e->uses_t; }

/* ---- evaluation ---------------------------------------------------------- */

static const char *op_name(opcode c)
{
    switch (c) {
    case OP_ADD: return "'+'";
    case OP_SUB: return "'-'";
    case OP_MUL: return "'*'";
    case OP_DIV: return "'/'";
    case OP_POW: return "the power";
    case OP_NEG: return "unary '-'";
    case OP_EXP: return "exp";
    case OP_LOG: return "log";
    case OP_SQRT: return "sqrt";
    case OP_SIN: return "sin";
    case OP_COS: return "cos";
    case OP_TAN: return "tan";
    case OP_TANH: return "tanh";
    case OP_ABS: return "abs";
    default: return "a value";
    }
}

static int any_nonzero(const double *g, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (g[k] != 0)
            return 1;
    return 0;
}

/* a ^ b on dual numbers: x = (value, g partials) in place of a, y of b.
 * Returns SS_OK or the domain error. */
static ss_status dual_pow(double *x, const double *y, size_t g, const op *o)
{
    double a = x[0], b = y[0], v;
    int da = any_nonzero(x + 1, g), db = any_nonzero(y + 1, g);
    size_t k;
    if (a < 0) {
        /* Defined only at integer exponents, so not on any neighbourhood of
         * an exponent that moves with a parameter. */
        if (o->dep)
            return SS_FAIL_COL(SS_ERR_RANGE, o->col,
                               "%s at column %d: negative base %g to a power "
                               "that depends on a parameter",
                               op_name(o->code), o->col, a);
        if (b != floor(b))
            return SS_FAIL_COL(SS_ERR_RANGE, o->col,
                               "%s at column %d: negative base %g to the "
                               "non-integer power %g",
                               op_name(o->code), o->col, a, b);
    }
    if (a == 0 && b < 0)
        return SS_FAIL_COL(SS_ERR_RANGE, o->col,
                           "%s at column %d: division by zero (0 to the "
                           "power %g)",
                           op_name(o->code), o->col, b);
    if (a == 0 && b == 0 && db)
        return SS_FAIL_COL(SS_ERR_RANGE, o->col,
                           "%s at column %d: 0^b has no derivative in b at "
                           "b = 0",
                           op_name(o->code), o->col);
    v = pow(a, b);
    if (g) {
        /* d(a^b) = b a^(b-1) da + a^b ln(a) db; the first term is 0 when
         * b = 0 (a^0 = 1 for every a), the second is 0 at a = 0 < b (0^b
         * = 0 for every b > 0), and a < 0 has db = 0 here. */
        double ca = da && b != 0 ? b * pow(a, b - 1) : 0;
        double cb = db && a > 0 ? v * log(a) : 0;
        for (k = 1; k <= g; k++)
            x[k] = (x[k] != 0 ? ca * x[k] : 0) + (y[k] != 0 ? cb * y[k] : 0);
    }
    x[0] = v;
    return SS_OK;
}

/* A one-argument function on the dual number x in place. */
static ss_status dual_fn(double *x, size_t g, const op *o)
{
    double a = x[0], v, d; /* value and derivative of the function at a */
    size_t k;
    switch (o->code) {
    case OP_NEG: v = -a; d = -1; break;
    case OP_EXP: v = exp(a); d = v; break;
    case OP_LOG:
        if (!(a > 0))
            return SS_FAIL_COL(SS_ERR_RANGE, o->col,
                               "log at column %d of the non-positive number "
                               "%g",
                               o->col, a);
        v = log(a);
        d = 1 / a;
        break;
    case OP_SQRT:
        if (a < 0)
            return SS_FAIL_COL(SS_ERR_RANGE, o->col,
                               "sqrt at column %d of the negative number %g",
                               o->col, a);
        v = sqrt(a);
        if (v == 0 && any_nonzero(x + 1, g))
            return SS_FAIL_COL(SS_ERR_RANGE, o->col,
                               "sqrt at column %d: no derivative at 0",
                               o->col);
        d = v > 0 ? 0.5 / v : 0;
        break;
    case OP_SIN: v = sin(a); d = cos(a); break;
    case OP_COS: v = cos(a); d = -sin(a); break;
    case OP_TAN: v = tan(a); d = 1 + v * v; break;
    case OP_TANH: v = tanh(a); d = 1 - v * v; break;
    case OP_ABS:
        if (a == 0 && any_nonzero(x + 1, g))
            return SS_FAIL_COL(SS_ERR_RANGE, o->col,
                               "abs at column %d: no derivative at 0",
                               o->col);
        v = fabs(a);
        d = a < 0 ? -1 : 1;
        break;
    default:
        return SS_FAIL(SS_ERR_NUMERIC, "expression: bad opcode %d",
                       (int)o->code);
    }
    x[0] = v;
    for (k = 1; k <= g; k++)
        x[k] *= d;
    return SS_OK;
}

static ss_status dual_bin(double *x, const double *y, size_t g, const op *o)
{
    double a = x[0], b = y[0], v;
    size_t k;
    switch (o->code) {
    case OP_ADD:
        for (k = 0; k <= g; k++)
            x[k] += y[k];
        return SS_OK;
    case OP_SUB:
        for (k = 0; k <= g; k++)
            x[k] -= y[k];
        return SS_OK;
    case OP_MUL:
        for (k = 1; k <= g; k++)
            x[k] = a * y[k] + b * x[k];
        x[0] = a * b;
        return SS_OK;
    case OP_DIV:
        if (b == 0)
            return SS_FAIL_COL(SS_ERR_RANGE, o->col,
                               "division by zero at column %d", o->col);
        v = a / b;
        for (k = 1; k <= g; k++)
            x[k] = (x[k] - v * y[k]) / b;
        x[0] = v;
        return SS_OK;
    case OP_POW:
        return dual_pow(x, y, g, o);
    default:
        return SS_FAIL(SS_ERR_NUMERIC, "expression: bad opcode %d",
                       (int)o->code);
    }
}

ss_status expr_eval(const expr *e, const double *params, double t,
                    double *value, double *grad)
{
    double local[512], *st = local;
    size_t g = grad ? e->n : 0, w = g + 1, sp = 0, i, k;
    ss_status rc = SS_OK;

    if (e->maxstack * w > sizeof local / sizeof local[0]) {
        st = malloc(e->maxstack * w * sizeof *st);
        if (!st)
            return SS_FAIL(SS_ERR_NOMEM, "out of memory evaluating an "
                                         "expression");
    }
    for (i = 0; i < e->nops && rc == SS_OK; i++) {
        const op *o = &e->ops[i];
        double *x;
        switch (o->code) {
        case OP_NUM: case OP_PAR: case OP_T:
            x = st + w * sp++;
            memset(x, 0, w * sizeof *x);
            if (o->code == OP_NUM) {
                x[0] = o->num;
            } else if (o->code == OP_T) {
                x[0] = t;
            } else {
                x[0] = params[o->idx];
                if (g)
                    x[1 + o->idx] = 1;
            }
            if (!isfinite(x[0]))
                rc = SS_FAIL_COL(SS_ERR_RANGE, o->col,
                                 "non-finite value %g at column %d", x[0],
                                 o->col);
            continue;
        case OP_ADD: case OP_SUB: case OP_MUL: case OP_DIV: case OP_POW:
            sp--;
            x = st + w * (sp - 1);
            rc = dual_bin(x, st + w * sp, g, o);
            break;
        default:
            x = st + w * (sp - 1);
            rc = dual_fn(x, g, o);
            break;
        }
        if (rc != SS_OK)
            break;
        for (k = 0; k <= g; k++)
            if (!isfinite(x[k])) {
                rc = SS_FAIL_COL(SS_ERR_RANGE, o->col,
                                 "%s at column %d gives a non-finite %s",
                                 op_name(o->code), o->col,
                                 k ? "derivative" : "value");
                break;
            }
    }
    if (rc == SS_OK) {
        *value = st[0];
        for (k = 0; k < g; k++)
            grad[k] = st[1 + k];
    }
    if (st != local)
        free(st);
    return rc;
}

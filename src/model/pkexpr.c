/* expr: the user-defined population model. The individual curve is a
 * formula in named fixed effects and t (model/expr.h: parsed once,
 * evaluated with exact gradients by dual numbers); the random effects and
 * the residual are model/pop.c's, as for pk1 (docs/theory.md 16.1).
 *
 *   model u expr "A*exp(-alpha*t) + B*exp(-beta*t)" params=[A,alpha,B,beta]
 *         iiv=[A,alpha] error=prop A=10 alpha=0.5 ...
 *
 * The name `dose` in the formula is the group's dose (a design's dose=[..],
 * else the option dose=); it is no parameter. Errors in the formula point
 * at its column in the user's line (model_arg.val_col, the first character
 * after the opening quote, plus the column inside the formula minus 1). */
#include "core/hash.h"
#include "model/expr.h"
#include "model/pop.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { O_DOSE, O_COV, O_ERROR, O_SCALE };

static const char *const cov_choices[] = {"diag", "full", NULL};
static const char *const err_choices[] = {"prop", "add", "comb", NULL};
static const char *const scale_choices[] = {"var", "sd", NULL};

static const model_optdef ex_opts[] = {
    {"dose", MOPT_REAL, 70.0, 0.0, 1e12, NULL,
     "the value of `dose` in the formula (a design's dose=[..] overrides "
     "it per group)",
     NULL},
    {"cov", MOPT_ENUM, 0, 0, 0, cov_choices,
     "Omega diagonal or full (lower triangle row by row)", NULL},
    {"error", MOPT_ENUM, 0, 0, 0, err_choices,
     "residual error: proportional, additive or combined", NULL},
    {"scale", MOPT_ENUM, 0, 0, 0, scale_choices,
     "Omega and residual parameters as variances or SDs", NULL},
};

/* Without a formula: the biexponential of the issue that asked for the
 * family, with every parameter 1 until set. */
static const char default_formula[] = "A*exp(-alpha*t) + B*exp(-beta*t)";
static const char *const default_params[] = {"A", "alpha", "B", "beta"};

typedef struct {
    pop_spec spec;
    expr *e;        /* over the npsi fixed effects, then `dose` */
    char *formula;
    size_t nused;   /* fixed effects the formula uses */
    int uses_dose;
} ex_state;

static const ex_state *st_of(const model *m)
{
    return m->state;
}

static const pop_spec *ex_pop(const model *m)
{
    return &st_of(m)->spec;
}

static ss_status ex_predict(const model *m, const double *psi, double dose,
                            const double *t, size_t nt, double *f,
                            double *grad)
{
    const ex_state *s = st_of(m);
    size_t np = s->spec.npsi;
    double x[POP_MAX_PSI + 1], g[POP_MAX_PSI + 1];
    memcpy(x, psi, np * sizeof *x);
    x[np] = isnan(dose) ? m->opt[O_DOSE] : dose;
    for (size_t j = 0; j < nt; j++) {
        ss_status rc = expr_eval(s->e, x, t[j], &f[j], grad ? g : NULL);
        if (rc != SS_OK) {
            /* the expression's message names the column inside the
             * formula; say it is the formula's and at which time */
            char msg[sizeof ss_last_error()->msg];
            snprintf(msg, sizeof msg, "%s", ss_last_error()->msg);
            return SS_FAIL(rc, "formula: %s (at t = %g)", msg, t[j]);
        }
        if (grad)
            memcpy(grad + j * np, g, np * sizeof *g);
    }
    return SS_OK;
}

/* The column in the user's line of column c (1-based) inside the formula,
 * 0 when the formula's own column is unknown. */
static int line_col(const model_arg *fa, int c)
{
    return fa && fa->val_col > 0 && c > 0 ? fa->val_col + c - 1 : 0;
}

/* A names value (params=[A,k], or one name) into names[0..*n). */
static ss_status read_names(const model_arg *a, const char **names,
                            size_t max, size_t *n, const char *what)
{
    if (a->names) {
        if (a->nnames > max)
            return SS_FAIL_COL(SS_ERR_LIMIT, a->col,
                               "%s= takes at most %zu names, got %zu", a->key,
                               max, a->nnames);
        for (size_t i = 0; i < a->nnames; i++)
            names[i] = a->names[i];
        *n = a->nnames;
        return SS_OK;
    }
    if (a->str) {
        names[0] = a->str;
        *n = 1;
        return SS_OK;
    }
    if (a->num && a->n == 0 && a->is_vector) { /* [] */
        *n = 0;
        return SS_OK;
    }
    return SS_FAIL_COL(SS_ERR_USAGE, a->col,
                       "%s= takes a list of %s, as in %s=[A,alpha]", a->key,
                       what, a->key);
}

/* params=[..]: names of fixed effects, none `t` or `dose`, none twice. */
static ss_status read_params(const model_arg *a, const char **names,
                             size_t *n)
{
    ss_status st = read_names(a, names, POP_MAX_PSI, n, "parameter names");
    if (st != SS_OK)
        return st;
    if (*n == 0)
        return SS_FAIL_COL(SS_ERR_USAGE, a->col,
                           "params= names at least one parameter");
    for (size_t i = 0; i < *n; i++) {
        const char *nm = names[i];
        int ok = (nm[0] == '_' || (nm[0] >= 'A' && nm[0] <= 'Z') ||
                  (nm[0] >= 'a' && nm[0] <= 'z'));
        for (const char *c = nm; ok && *c; c++)
            ok = *c == '_' || (*c >= 'A' && *c <= 'Z') ||
                 (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9');
        if (!ok)
            return SS_FAIL_COL(SS_ERR_USAGE, a->col,
                               "params=: '%s' is not a name (a letter or _ "
                               "then letters, digits or _)",
                               nm);
        /* room for the Omega names om_NAME / sd_NAME */
        if (strlen(nm) + 3 >= MODEL_NAME_MAX)
            return SS_FAIL_COL(SS_ERR_LIMIT, a->col,
                               "params=: '%s' is longer than %d characters",
                               nm, MODEL_NAME_MAX - 4);
        if (strcmp(nm, "t") == 0 || strcmp(nm, "dose") == 0)
            return SS_FAIL_COL(SS_ERR_USAGE, a->col,
                               "params=: '%s' is taken (t is the time, dose "
                               "the group's dose)",
                               nm);
        for (size_t j = 0; j < i; j++)
            if (strcmp(nm, names[j]) == 0)
                return SS_FAIL_COL(SS_ERR_USAGE, a->col,
                                   "params=: '%s' is named twice", nm);
    }
    return SS_OK;
}

/* iiv=[..] (or all, or none): which fixed effects carry a random effect,
 * as indices into the parameters, in the order given. */
static ss_status read_iiv(const model_arg *a, const char *const *params,
                          size_t np, size_t *eta, size_t *neta)
{
    *neta = 0;
    if (!a)
        return SS_OK;
    if (a->str && strcmp(a->str, "all") == 0) {
        if (np > POP_MAX_ETA)
            return SS_FAIL_COL(SS_ERR_LIMIT, a->col,
                               "iiv=all: at most %d random effects, the "
                               "formula has %zu parameters",
                               POP_MAX_ETA, np);
        for (size_t i = 0; i < np; i++)
            eta[i] = i;
        *neta = np;
        return SS_OK;
    }
    if (a->str && strcmp(a->str, "none") == 0)
        return SS_OK;
    const char *names[POP_MAX_ETA];
    size_t n;
    ss_status st = read_names(a, names, POP_MAX_ETA, &n, "parameter names");
    if (st != SS_OK)
        return st;
    for (size_t k = 0; k < n; k++) {
        size_t i = 0;
        while (i < np && strcmp(params[i], names[k]) != 0)
            i++;
        if (i == np)
            return SS_FAIL_COL(SS_ERR_NAME, a->col,
                               "iiv=: '%s' is not one of params=", names[k]);
        for (size_t l = 0; l < k; l++)
            if (eta[l] == i)
                return SS_FAIL_COL(SS_ERR_USAGE, a->col,
                                   "iiv=: '%s' is named twice", names[k]);
        eta[k] = i;
    }
    *neta = n;
    return SS_OK;
}

/* Parse the formula over the parameters and `dose`, the errors at their
 * column in the user's line. */
static ss_status parse_formula(const char *text, const char *const *params,
                               size_t np, const model_arg *fa, expr **out)
{
    const char *names[POP_MAX_PSI + 1];
    for (size_t i = 0; i < np; i++)
        names[i] = params[i];
    names[np] = "dose";
    ss_status st = expr_parse(text, names, np + 1, out);
    if (st == SS_OK)
        return SS_OK;
    const ss_error *e = ss_last_error();
    int c = e->col;
    char msg[sizeof e->msg];
    snprintf(msg, sizeof msg, "%s", e->msg);
    if (c > 0 && st == SS_ERR_NAME && strstr(msg, "unknown name")) {
        char list[POP_MAX_PSI * (MODEL_NAME_MAX + 2)] = "";
        for (size_t i = 0; i < np; i++)
            ss_text_append(list, sizeof list, ", ", "%s", params[i]);
        return SS_FAIL_COL(st, line_col(fa, c),
                           "formula, column %d: %s; the names are params= "
                           "(%s), t and dose",
                           c, msg, list);
    }
    if (c > 0)
        return SS_FAIL_COL(st, line_col(fa, c), "formula, column %d: %s", c,
                           msg);
    return SS_FAIL_COL(st, fa ? fa->col : 0, "formula: %s", msg);
}

static ss_status ex_configure(model *m, const model_arg *args, size_t nargs,
                              unsigned char *used)
{
    ex_state *s = calloc(1, sizeof *s);
    if (!s)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    m->state = s;
    const model_arg *fa = model_arg_find(args, nargs, "formula", used);
    const model_arg *pa = model_arg_find(args, nargs, "params", used);
    const model_arg *ia = model_arg_find(args, nargs, "iiv", used);
    const char *params[POP_MAX_PSI];
    size_t np = 0;
    ss_status st = SS_OK;
    const char *text = default_formula;
    if (fa) {
        if (!fa->str)
            return SS_FAIL_COL(SS_ERR_USAGE, fa->col,
                               "the formula is a quoted string, as in "
                               "\"A*exp(-k*t)\"");
        if (!pa)
            return SS_FAIL_COL(SS_ERR_USAGE, fa->col,
                               "expr needs params=[...] naming the "
                               "formula's fixed effects in order");
        text = fa->str;
        st = read_params(pa, params, &np);
    } else {
        if (pa)
            return SS_FAIL_COL(SS_ERR_USAGE, pa->col,
                               "params= names the parameters of a formula: "
                               "give the formula too (model u expr "
                               "\"...\" params=[...])");
        np = sizeof default_params / sizeof *default_params;
        for (size_t i = 0; i < np; i++)
            params[i] = default_params[i];
    }
    pop_spec *sp = &s->spec;
    if (st == SS_OK)
        st = read_iiv(ia, params, np, sp->eta_psi, &sp->neta);
    if (st == SS_OK)
        st = parse_formula(text, params, np, fa, &s->e);
    if (st != SS_OK)
        return st;
    if (!expr_uses_t(s->e))
        return SS_FAIL_COL(SS_ERR_USAGE, fa ? fa->col : 0,
                           "the formula does not depend on t: no design "
                           "(sampling times) can inform it");
    s->formula = malloc(strlen(text) + 1);
    if (!s->formula)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    memcpy(s->formula, text, strlen(text) + 1);
    s->uses_dose = expr_uses(s->e, np);
    for (size_t i = 0; i < np; i++)
        s->nused += expr_uses(s->e, i) != 0;
    /* exponential random effects keep the sign of psi: those carrying one
     * are positive (check() refuses 0), the others any real number */
    for (size_t i = 0; st == SS_OK && i < np; i++) {
        int iiv = 0;
        for (size_t k = 0; k < sp->neta; k++)
            iiv |= sp->eta_psi[k] == i;
        st = model_add_param(m, params[i], 1.0, iiv ? 0.0 : -INFINITY,
                             INFINITY);
    }
    if (st != SS_OK)
        return st;
    sp->npsi = np;
    sp->predict = ex_predict;
    return pop_configure(m, sp, O_COV, O_ERROR, O_SCALE);
}

static void ex_release(model *m)
{
    ex_state *s = m->state;
    if (s) {
        expr_free(s->e);
        free(s->formula);
    }
    free(s);
    m->state = NULL;
}

/* The clone parses the same text again (an expr is immutable but owned). */
static ss_status ex_copy_state(const model *src, model *dst)
{
    const ex_state *a = st_of(src);
    ex_state *b = malloc(sizeof *b);
    if (!b)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    *b = *a;
    b->e = NULL;
    b->formula = malloc(strlen(a->formula) + 1);
    if (!b->formula) {
        free(b);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    memcpy(b->formula, a->formula, strlen(a->formula) + 1);
    dst->state = b;
    char nm[POP_MAX_PSI][MODEL_NAME_MAX];
    const char *names[POP_MAX_PSI];
    for (size_t i = 0; i < a->spec.npsi; i++)
        names[i] = model_param_name(src, i, nm[i], sizeof nm[i]);
    return parse_formula(a->formula, names, a->spec.npsi, NULL, &b->e);
}

static ss_status ex_check(const model *m, const double *theta)
{
    const pop_spec *sp = &st_of(m)->spec;
    for (size_t k = 0; k < sp->neta; k++) {
        size_t i = sp->eta_psi[k];
        if (!(theta[i] > 0.0))
            return SS_FAIL(SS_ERR_RANGE,
                           "%s = %g: an exponential random effect (iiv) "
                           "needs %s > 0 (subject i has %s exp(eta_i))",
                           MODEL_PNAME(m, i), theta[i], MODEL_PNAME(m, i),
                           MODEL_PNAME(m, i));
    }
    return pop_check(sp, theta);
}

/* A free parameter the formula does not contain: the curve, hence every
 * design's FIM, does not move along it (distance 0, on the set). */
static size_t ex_singular(const model *m, const double *theta,
                          model_singular *out, size_t max)
{
    const ex_state *s = st_of(m);
    size_t n = 0;
    for (size_t i = 0; i < s->spec.npsi && n < max; i++) {
        if (expr_uses(s->e, i) || !m->is_free[i])
            continue;
        const char *nm = MODEL_PNAME(m, i);
        snprintf(out[n].name, sizeof out[n].name, "%s not in the formula",
                 nm);
        snprintf(out[n].effect, sizeof out[n].effect,
                 "f does not depend on %s: not identifiable from any "
                 "design (fix it)",
                 nm);
        out[n++].distance = 0.0;
    }
    return n + pop_singular(&s->spec, m, theta, out + n, max - n);
}

static size_t ex_nsingular(const model *m)
{
    const ex_state *s = st_of(m);
    const pop_spec *sp = &s->spec;
    return (sp->npsi - s->nused) +
           (sp->sd_scale ? sp->nomega + sp->nsigma : 0);
}

/* The formula and the parameter names: two expr models with the same
 * values but another curve are other models. */
static uint64_t ex_fingerprint(const model *m, uint64_t h)
{
    h = ss_hash_str(h, st_of(m)->formula);
    for (size_t i = 0; i < m->P; i++)
        h = ss_hash_str(h, MODEL_PNAME(m, i));
    return h;
}

static void ex_describe(const model *m, const double *theta,
                        const ss_sink *out)
{
    const ex_state *s = st_of(m);
    const pop_spec *sp = &s->spec;
    ss_sink_printf(out, "  f(t) = %s\n  fixed effects:", s->formula);
    for (size_t i = 0; i < sp->npsi; i++)
        ss_sink_printf(out, " %s", MODEL_PNAME(m, i));
    ss_sink_printf(out, "\n");
    if (s->nused < sp->npsi) {
        ss_sink_printf(out, "  not in the formula (structurally "
                            "non-identifiable, fix them):");
        for (size_t i = 0; i < sp->npsi; i++)
            if (!expr_uses(s->e, i))
                ss_sink_printf(out, " %s", MODEL_PNAME(m, i));
        ss_sink_printf(out, "\n");
    }
    if (s->uses_dose)
        ss_sink_printf(out, "  dose: the group's (a design's dose=[..]), "
                            "else %.6g\n",
                       m->opt[O_DOSE]);
    else
        ss_sink_printf(out, "  the formula does not use dose: a design's "
                            "doses do not change it\n");
    pop_describe(sp, m, theta, out);
}

const model_type model_expr_type = {
    .name = "expr",
    .summary = "user-defined population model: a formula in named fixed "
               "effects and t (exponential random effects)",
    .help =
        "model u expr \"FORMULA\" params=[A,alpha,...] [iiv=[A,...]|all] "
        "[error=prop|add|comb] [cov=diag|full] [scale=var|sd] [dose=70] "
        "A=1 ...: the individual curve f(t) is the formula (or "
        "formula=\"...\"), in the fixed effects named by params= (in that "
        "order the first parameters, each 1 until set), the time t and the "
        "group's dose `dose` (a design's dose=[..], else the option).\n"
        "Operators + - * / ^ (right-associative, -2^2 = -4), functions exp "
        "log sqrt sin cos tan tanh abs pow(a, b); derivatives exact (dual "
        "numbers). Without a formula: A*exp(-alpha*t) + B*exp(-beta*t) "
        "with params=[A,alpha,B,beta].\n"
        "iiv= names those with an exponential random effect psi_i = psi "
        "exp(eta_i), eta_i ~ N(0, Omega), in that order (default none): "
        "they must be > 0. Omega group omega (om_A ...; cov=full adds "
        "om_A_B; scale=sd: sd_A), residual group sigma2 (sig2_prop, "
        "sig2_add; scale=sd: sigma), as for pk1.\n"
        "Errors in the formula give its column in the line; a domain error "
        "(division by zero, log of a negative number) at a point is "
        "reported, with the formula's column, when a FIM meets it. A "
        "formula without t is refused (no design can inform it).\n"
        "Information: of a design, `fim u design=D method=fo|fo-full`.\n"
        "Singular sets: a free parameter the formula does not contain "
        "(distance 0); SDs at 0 on the SD scale; those of the formula "
        "itself (a flip-flop, a sum of exponentials with equal rates) show "
        "in the design's FIM.",
    .opts = ex_opts,
    .nopts = sizeof ex_opts / sizeof ex_opts[0],
    .param_summary = "params=[..] omega sigma2|sigma",
    .positional_key = "formula",
    .configure = ex_configure,
    .check = ex_check,
    .data_cols = pop_data_cols,
    .data_colname = pop_data_colname,
    .sample = pop_sample,
    .loglik_terms = pop_loglik_terms,
    .singular = ex_singular,
    .nsingular = ex_nsingular,
    .describe = ex_describe,
    .fingerprint = ex_fingerprint,
    .release = ex_release,
    .copy_state = ex_copy_state,
    .data_kind = MODEL_DATA_GROUPED,
    .pop = ex_pop,
};

/* The FIM class: the matrix (with standard errors when sampled) for
 * `show` and `export`, a matrix of cells for `plot`. */
#include "lang/commands.h"
#include "lang/render.h"
#include "lang/results.h"

#include "core/interrupt.h"
#include "core/table.h"
#include "plot/plot.h"

#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fim/estimator.h"
#include "design/popfim.h"
#include "model/pop.h"

void obj_fim_describe(char *buf, size_t n, const fim_result *f)
{
    switch (f->method) {
    case FIM_EXACT:
        snprintf(buf, n, "exact FIM (expected, per observation)");
        break;
    case FIM_MC:
        snprintf(buf, n, "mc FIM (Monte-Carlo, %zu draws%s)", f->n,
                 f->interrupted ? ", interrupted" : "");
        break;
    case FIM_EMPIRICAL:
        snprintf(buf, n, "empirical FIM (outer products of scores, %zu "
                         "observations)", f->n);
        break;
    case FIM_OBSERVED:
        snprintf(buf, n, "observed information (minus mean Hessian, %zu "
                         "observations)", f->n);
        break;
    case FIM_BLOCK:
        snprintf(buf, n, "exact FIM, block-diagonal approximation (%zu "
                         "block%s)", f->nblocks, f->nblocks == 1 ? "" : "s");
        break;
    case FIM_POP:
        snprintf(buf, n, "%s; total over the %g subject%s of design %s%s",
                 f->est ? f->est->label : "population FIM", f->subjects,
                 f->subjects == 1 ? "" : "s", f->design[0] ? f->design : "?",
                 f->n ? " (Monte Carlo)" : "");
        break;
    }
    if (f->form == FIM_FORM_GRAM) {
        size_t len = strlen(buf);
        if (len < n)
            snprintf(buf + len, n - len, ", Gram form");
    }
}

/* "w1, J1_1, J1_2" for block b, into buf. */
static void block_names(char *buf, size_t n, const fim_result *f,
                        const fim_block *bl)
{
    size_t len = 0;
    buf[0] = 0;
    for (size_t i = 0; i < bl->n && len + MODEL_NAME_MAX + 8 < n; i++)
        len += (size_t)snprintf(buf + len, n - len, "%s%s", i ? ", " : "",
                                f->names[bl->pos[i]]);
    if (len + MODEL_NAME_MAX + 8 >= n && bl->n)
        snprintf(buf + len, n - len, ", ...");
}

/* A over the parameters at positions pos (NULL: all k, in order). */
static void print_sub(session *s, const fim_result *f, const gsl_matrix *A,
                      const size_t *pos, size_t n, int indent)
{
    tbl *t = tbl_alloc(n + 1);
    tbl_header(t, 0, "param");
    for (size_t j = 0; j < n; j++)
        tbl_header(t, j + 1, f->names[pos ? pos[j] : j]);
    for (size_t i = 0; i < n; i++) {
        tbl_row(t);
        tbl_str(t, 0, f->names[pos ? pos[i] : i]);
        for (size_t j = 0; j < n; j++)
            tbl_num(t, j + 1, gsl_matrix_get(A, i, j));
    }
    tbl_print(t, &s->out, s->csv, indent);
    tbl_free(t);
}

static void print_matrix(session *s, const fim_result *f, const gsl_matrix *A,
                         int indent)
{
    print_sub(s, f, A, NULL, f->k, indent);
}

/* The Gram form as CSV: K, one row and column per observation. */
static void print_gram_csv(session *s, const fim_result *f)
{
    size_t N = f->K->size1;
    tbl *t = tbl_alloc(N + 1);
    tbl_header(t, 0, "obs");
    for (size_t j = 0; j < N; j++) {
        char h[32];
        snprintf(h, sizeof h, "K_%zu", j + 1);
        tbl_header(t, j + 1, h);
    }
    for (size_t i = 0; i < N; i++) {
        tbl_row(t);
        tbl_num(t, 0, (double)(i + 1));
        for (size_t j = 0; j < N; j++)
            tbl_num(t, j + 1, gsl_matrix_get(f->K, i, j));
    }
    tbl_print(t, &s->out, 1, 0);
    tbl_free(t);
}

/* CSV: one row per parameter, its column of G under the parameter names;
 * a sampled FIM (mc, empirical) adds se_NAME columns holding the standard
 * error of the entry in the same row and the column NAME. */
static void print_matrix_csv(session *s, const fim_result *f)
{
    size_t k = f->k, ncol = 1 + k + (f->se ? k : 0);
    tbl *t = tbl_alloc(ncol);
    tbl_header(t, 0, "param");
    for (size_t j = 0; j < k; j++) {
        tbl_header(t, j + 1, f->names[j]);
        if (f->se) {
            char h[MODEL_NAME_MAX + 4];
            snprintf(h, sizeof h, "se_%s", f->names[j]);
            tbl_header(t, 1 + k + j, h);
        }
    }
    for (size_t i = 0; i < k; i++) {
        tbl_row(t);
        tbl_str(t, 0, f->names[i]);
        for (size_t j = 0; j < k; j++) {
            tbl_num(t, j + 1, gsl_matrix_get(f->G, i, j));
            if (f->se)
                tbl_num(t, 1 + k + j, gsl_matrix_get(f->se, i, j));
        }
    }
    tbl_print(t, &s->out, 1, 0);
    tbl_free(t);
}

/* ln det and the relative standard errors of a population FIM, on the
 * scale of each parameter and converted to the other (PopED reports
 * variances, PFIM standard deviations: RSE(sd) = RSE(var)/2 by the delta
 * method). A singular FIM gets its rank and lost directions instead. */
static void obj_fim_print_population(session *s, const fim_result *f)
{
    double lndet;
    if (popfim_lost(f->G, f->names, NULL, 0) < f->k) {
        session_printf(s, "  ln det = -inf, det = 0: singular\n");
    } else if (popfim_lndet(f->G, &lndet) == SS_OK) {
        session_printf(s, "  ln det = %.10g, det = %.6g (D-criterion)\n",
                       lndet, exp(lndet));
    } else {
        ss_clear_error();
    }
    double *se = malloc((f->k ? f->k : 1) * sizeof *se);
    if (!se)
        return;
    if (popfim_se(f->G, f->names, se) != SS_OK) {
        session_printf(s, "  %s\n", ss_last_error()->msg);
        session_printf(s, "  (the design cannot estimate those combinations: "
                          "add sampling times or subjects, or fix "
                          "parameters)\n");
        ss_clear_error();
        free(se);
        return;
    }
    static const char *const kinds[] = {"fixed effect", "variance",
                                        "covariance", "SD"};
    tbl *t = tbl_alloc(6);
    tbl_header(t, 0, "param");
    tbl_header(t, 1, "kind");
    tbl_header(t, 2, "value");
    tbl_header(t, 3, "SE");
    tbl_header(t, 4, "RSE% var scale (PopED)");
    tbl_header(t, 5, "RSE% SD scale (PFIM)");
    for (size_t i = 0; i < f->k; i++) {
        int kd = f->pkind[i];
        double v = f->value[i], rse = 100.0 * se[i] / fabs(v);
        tbl_row(t);
        tbl_str(t, 0, f->names[i]);
        tbl_str(t, 1, kinds[kd < 4 ? kd : 0]);
        tbl_num(t, 2, v);
        tbl_num(t, 3, se[i]);
        if (v == 0.0) { /* no relative error of a zero */
            tbl_str(t, 4, "-");
            tbl_str(t, 5, "-");
        } else if (kd == POP_PAR_FIXED) {
            tbl_num(t, 4, rse);
            tbl_num(t, 5, rse);
        } else if (kd == POP_PAR_VAR) {
            tbl_num(t, 4, rse);
            tbl_num(t, 5, rse / 2.0);
        } else if (kd == POP_PAR_SD) {
            tbl_num(t, 4, 2.0 * rse);
            tbl_num(t, 5, rse);
        } else {
            tbl_num(t, 4, rse);
            tbl_str(t, 5, "-");
        }
    }
    tbl_print(t, &s->out, s->csv, 2);
    tbl_free(t);
    free(se);
}

static void print_fim(session *s, const fim_result *f)
{
    const char *model_name = f->source;
    if (s->csv && f->form == FIM_FORM_GRAM) {
        print_gram_csv(s, f);
        return;
    }
    if (s->csv && !f->G) {
        session_printf(s, "# the %zu x %zu G of this %s-form FIM is not "
                          "formed\n",
                       f->k, f->k, fim_form_name(f->form));
        return;
    }
    if (s->csv) {
        print_matrix_csv(s, f);
        return;
    }
    char what[160];
    obj_fim_describe(what, sizeof what, f);
    session_printf(s, "%s (%s): %s\n", model_name, f->model_kind, what);
    if (f->form == FIM_FORM_GRAM) {
        size_t N = f->K ? f->K->size1 : 0;
        session_printf(s, "  only K = S S^T/n (%zu x %zu, S the %zu x %zu "
                          "score rows) is stored: its eigenvalues are the "
                          "non-zero eigenvalues of G = S^T S/n, which is "
                          "never formed (%zu x %zu); `eig` gives the "
                          "spectrum, form=dense gives G\n",
                       N, N, N, f->k, f->k, f->k);
        if (N < f->k)
            session_printf(s, "  (%zu observations < %zu free parameters: "
                              "G has rank at most %zu)\n",
                           N, f->k, N);
        return;
    }
    if (f->form == FIM_FORM_BLOCK) {
        if (f->nblocks == 1)
            session_printf(s, "  (one parameter block among the free "
                              "parameters: the approximation is the exact "
                              "FIM)\n");
        for (size_t b = 0; b < f->nblocks; b++) {
            const fim_block *bl = &f->blocks[b];
            char nm[256];
            block_names(nm, sizeof nm, f, bl);
            session_printf(s, "  block %zu (%s):\n", b + 1, nm);
            print_sub(s, f, bl->G, bl->pos, bl->n, 4);
        }
        if (f->nblocks > 1)
            session_printf(s, "  (entries between blocks are dropped: "
                              "zero)\n");
        return;
    }
    print_matrix(s, f, f->G, 2);
    for (size_t i = 0; f->method != FIM_OBSERVED && i < f->k; i++)
        if (gsl_matrix_get(f->G, i, i) < 0) {
            session_printf(s, "  (rounding at these extreme parameter "
                              "values: G is not exactly positive "
                              "semi-definite; `eig` shows what is "
                              "resolved)\n");
            break;
        }
    if (f->value)
        obj_fim_print_population(s, f);
    if (f->se) {
        session_printf(s, "  standard errors:\n");
        print_matrix(s, f, f->se, 2);
    }
    if (f->interrupted)
        session_printf(s, "  (interrupted: %zu of %zu draws were used)\n",
                       f->n, f->n_requested);
    if (f->warning[0])
        session_printf(s, "  warning: %s\n", f->warning);
}
static ss_status draw_fim(const render_request *req, const fim_result *f,
                          canvas *c)
{
    size_t k = f->k;
    if (f->form == FIM_FORM_GRAM)
        return SS_FAIL(SS_ERR_USAGE,
                       "a Gram-form FIM stores only K = S S^T/n, not the "
                       "%zu x %zu G, so there is no matrix to draw (`eig` "
                       "of it `as E`, then `plot E`, draws its spectrum)",
                       k, k);
    if (!f->G)
        return SS_FAIL(SS_ERR_USAGE,
                       "the %zu x %zu G of this %s-form FIM is not formed: "
                       "no matrix to draw",
                       k, k, fim_form_name(f->form));
    double *z = malloc(k * k * sizeof *z);
    if (!z)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < k; i++)
        for (size_t j = 0; j < k; j++)
            z[i * k + j] = gsl_matrix_get(f->G, i, j);
    const char **names = calloc(k, sizeof *names);
    if (!names) {
        free(z);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < k; i++)
        names[i] = f->names ? f->names[i] : NULL;
    plot_opts o;
    plot_opts_init(&o);
    char title[160];
    snprintf(title, sizeof title, "%s: %s FIM", f->source,
             fim_method_name(f->method));
    o.title = render_title_or(req, title);
    o.palette = req->palette;
    o.zmin = req->zmin;
    o.zmax = req->zmax;
    ss_status rc = plot_matrix(c, z, k, k, names, names, &o);
    free(names);
    free(z);
    return rc;
}

static void free_fim(void *p) { fim_result_free(p); }

static void show_fim(session *s, const char *name, const void *p)
{
    (void)name;
    print_fim(s, p);
}

static void origin_fim(const void *p, obj_origin *o)
{
    const fim_result *f = p;
    o->model = f->source;
    o->kind = f->model_kind;
}

static ss_status draw(session *s, const render_request *req, const void *p,
                      canvas *c)
{
    (void)s;
    return draw_fim(req, p, c);
}

const obj_type obj_fim = {
    .name = "FIM",
    .free = free_fim,
    .print = show_fim,
    .origin = origin_fim,
    .draw = draw,
    .picture = "a FIM matrix",
    .plot_keys = "range palette",
    .min_w = 20,
    .min_h = 6,
};

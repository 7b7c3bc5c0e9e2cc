/* The spectrum class (`eig ... as E`): eigenpairs, rank, log det and
 * condition for `show` and `export`, bars for `plot`. */
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

void eig_obj_free(eig_obj *e)
{
    if (!e)
        return;
    fim_result_free(e->fim);
    spec_result_free(e->spec);
    free(e);
}

static void format_direction(char *buf, size_t n, const fim_result *f,
                             const gsl_matrix *V, size_t col)
{
    size_t len = 0;
    buf[0] = 0;
    for (size_t i = 0; i < f->k && len + 40 < n; i++) {
        double c = gsl_matrix_get(V, i, col);
        if (fabs(c) < 1e-8)
            continue;
        len += (size_t)snprintf(buf + len, n - len, "%s%.6g %s",
                                len == 0 ? (c < 0 ? "-" : "")
                                         : (c < 0 ? " - " : " + "),
                                fabs(c), f->names[i]);
    }
}

static void print_eig(session *s, const eig_obj *e)
{
    const char *model_name = e->model;
    const fim_result *f = e->fim;
    const spec_result *sp = e->spec;
    size_t nv = sp->evec ? f->k : 0; /* eigenvector columns */
    if (!s->csv) {
        char what[160], route[128] = "";
        obj_fim_describe(what, sizeof what, f);
        if (sp->from_gram)
            snprintf(route, sizeof route,
                     ", from its Gram dual K = S S^T/n (%zu x %zu)",
                     f->K->size1, f->K->size1);
        else if (sp->nblocks)
            snprintf(route, sizeof route, ", block by block%s",
                     sp->from_root ? " via the SVDs of their square-root "
                                     "factors"
                                   : "");
        else if (sp->from_root)
            snprintf(route, sizeof route,
                     ", via the SVD of its square-root factor");
        session_printf(s, "%s (%s): eigen-analysis of the %s%s\n",
                       model_name, f->model_kind, what, route);
    }
    tbl *t = tbl_alloc(nv + 2);
    tbl_header(t, 0, "k");
    tbl_header(t, 1, "eigenvalue");
    for (size_t j = 0; j < nv; j++)
        tbl_header(t, j + 2, f->names[j]);
    for (size_t j = 0; j < sp->neval; j++) {
        double l = gsl_vector_get(sp->eval, j), fl = spec_floor_at(sp, j);
        int below = fabs(l) <= fl;
        tbl_row(t);
        tbl_num(t, 0, (double)(j + 1));
        if (below && !s->csv && fl == 0) {
            tbl_str(t, 1, "0 (the FIM is zero)");
        } else if (below && !s->csv) {
            char b[64];
            snprintf(b, sizeof b, "0 (< floor %.3g)", fl);
            tbl_str(t, 1, b);
        } else {
            tbl_num(t, 1, below ? NAN : l); /* CSV: empty = unresolved */
        }
        for (size_t i = 0; i < nv; i++)
            tbl_num(t, i + 2, gsl_matrix_get(sp->evec, i, j));
    }
    /* CSV: the Gram form's exact zeros as rows, so the table has k */
    for (size_t j = sp->neval; s->csv && j < sp->neval + sp->nzero; j++) {
        tbl_row(t);
        tbl_num(t, 0, (double)(j + 1));
        tbl_num(t, 1, 0.0);
    }
    tbl_print(t, &s->out, s->csv, s->csv ? 0 : 2);
    tbl_free(t);
    if (s->csv)
        return;
    if (sp->nzero)
        session_printf(s, "  and %zu eigenvalue%s exactly 0 (not listed): G "
                          "= S^T S/n of %zu observation%s has rank at most "
                          "%zu < %zu parameters\n",
                       sp->nzero, sp->nzero == 1 ? "" : "s", f->n,
                       f->n == 1 ? "" : "s", sp->neval, sp->k);
    if (sp->from_gram)
        session_printf(s, "  (the Gram form keeps no scores: no "
                          "eigenvectors of G; form=dense gives them)\n");
    if (sp->nblocks)
        session_printf(s, "  rank %zu of %zu at relative tolerance %g "
                          "(numerical floor of each block, at most %.3g)\n",
                       sp->rank, sp->k, sp->tol, sp->floor);
    else
        session_printf(s, "  rank %zu of %zu at relative tolerance %g "
                          "(numerical floor %.3g)\n",
                       sp->rank, sp->k, sp->tol, sp->floor);
    if (sp->root_failed)
        session_printf(s, "  (the SVD of the square-root factor did not "
                          "converge here; eigenvalues of G itself, at its "
                          "coarser floor)\n");
    if (sp->floor_raised)
        session_printf(s, "  (rounding in %s at these parameter values "
                          "reaches %.3g: eigenvalues below are not "
                          "resolved)\n",
                       sp->from_gram ? "K" : "G", sp->floor / 2);
    if (sp->negative)
        session_printf(s, "  indefinite: %zu negative eigenvalue%s "
                          "(observed information away from a maximum)\n",
                       sp->negative, sp->negative == 1 ? "" : "s");
    char ld[32], cn[32];
    tbl_format_num(ld, sizeof ld, sp->logdet, 0);
    tbl_format_num(cn, sizeof cn, sp->cond, 0);
    if (sp->nzero) {
        /* the sum of the logs of the non-zero eigenvalues, when resolved */
        double pl = 0;
        int resolved = 1;
        for (size_t j = 0; j < sp->neval; j++) {
            double l = gsl_vector_get(sp->eval, j);
            if (fabs(l) <= sp->floor)
                resolved = 0;
            else
                pl += log(fabs(l));
        }
        char pd[32];
        tbl_format_num(pd, sizeof pd, pl, 0);
        session_printf(s, "  log det -inf: det G = 0, from its %zu zero "
                          "eigenvalues%s%s%s; condition number %s\n",
                       sp->nzero,
                       resolved ? " (the log of the product of the "
                                  "non-zero ones is "
                                : "",
                       resolved ? pd : "", resolved ? ")" : "", cn);
    } else if (sp->nblocks) {
        char nb[64];
        if (sp->nblocks == 1)
            snprintf(nb, sizeof nb, "of its one block");
        else
            snprintf(nb, sizeof nb, "the sum over the %zu blocks' log dets",
                     sp->nblocks);
        session_printf(s, "  log det %s (%s); condition number %s\n", ld,
                       nb, cn);
    } else {
        session_printf(s, "  log det %s%s; condition number %s\n", ld,
                       sp->negative ? " (of |det|)" : "", cn);
    }
    for (size_t j = sp->rank; sp->evec && j < sp->neval; j++) {
        char dir[256];
        format_direction(dir, sizeof dir, f, sp->evec, j);
        session_printf(s, "  %s direction: %s\n",
                       fabs(gsl_vector_get(sp->eval, j)) <=
                               spec_floor_at(sp, j)
                           ? "null"
                           : "near-null",
                       dir);
    }
    if ((fim_result_estimator(f)->props & FIM_PROP_SE) && !sp->from_gram)
        session_printf(s, "  (sampled FIM: eigenvalues below the standard "
                          "errors of its entries are not meaningful)\n");
}
static ss_status draw_eig(const render_request *req, const eig_obj *e,
                          canvas *c)
{
    size_t k = e->spec->neval;
    double *v = malloc((k ? k : 1) * sizeof *v);
    char(*lab)[24] = calloc(k ? k : 1, sizeof *lab);
    const char **labels = calloc(k ? k : 1, sizeof *labels);
    if (!v || !lab || !labels) {
        free(v), free(lab), free(labels);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    int all_pos = 1;
    for (size_t j = 0; j < k; j++) {
        double l = gsl_vector_get(e->spec->eval, j);
        v[j] = fabs(l) <= spec_floor_at(e->spec, j) ? NAN : l;
        if (!(v[j] > 0))
            all_pos = 0;
        snprintf(lab[j], sizeof lab[j], "l%zu", j + 1);
        labels[j] = lab[j];
    }
    plot_opts o;
    plot_opts_init(&o);
    char title[160];
    if (e->spec->nzero)
        snprintf(title, sizeof title,
                 "%s: non-zero eigenvalues of the %s FIM (rank %zu of %zu; "
                 "%zu more are 0)",
                 e->model, fim_method_name(e->fim->method), e->spec->rank,
                 e->spec->k, e->spec->nzero);
    else
        snprintf(title, sizeof title,
                 "%s: eigenvalues of the %s FIM (rank %zu of %zu)", e->model,
                 fim_method_name(e->fim->method), e->spec->rank, k);
    o.title = render_title_or(req, title);
    o.ylog = req->logy >= 0 ? req->logy : all_pos;
    o.ylabel = "eigenvalue";
    ss_status rc = plot_bars(c, v, labels, k, &o);
    free(v), free(lab), free(labels);
    return rc;
}

static void free_eig(void *p) { eig_obj_free(p); }

static void show_eig(session *s, const char *name, const void *p)
{
    (void)name;
    print_eig(s, p);
}

static void origin_eig(const void *p, obj_origin *o)
{
    const eig_obj *e = p;
    o->model = e->model;
    o->kind = e->fim->model_kind;
}

static ss_status draw(session *s, const render_request *req, const void *p,
                      canvas *c)
{
    (void)s;
    return draw_eig(req, p, c);
}

const obj_type obj_eig = {
    .name = "spectrum",
    .free = free_eig,
    .print = show_eig,
    .origin = origin_eig,
    .draw = draw,
    .picture = "a spectrum's bars",
    .plot_keys = "logy",
    .min_w = 20,
    .min_h = 8,
};

/* The class of `fimapprox` results (fim/fim_approx.h): `show` prints one
 * row per approximation (the exact FIM first) with lambda_max, lambda_min,
 * the trace, the rank and the errors against the exact FIM, then says in
 * words whether the point is singular and which approximations see it;
 * `export` one CSV row per approximation; `plot` bars of one column
 * (col=, default eig_err; the exact row, the reference, is left out of the
 * error columns, where it is 0 by definition). */
#include "lang/commands.h"
#include "lang/render.h"

#include "core/table.h"
#include "fim/fim_approx.h"
#include "plot/plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { C_LMAX, C_LMIN, C_TRACE, C_RANK, C_EIG, C_QF, C_FROB, NCOL };
static const char *const col_names[NCOL] = {
    "lambda_max", "lambda_min", "trace", "rank", "eig_err", "qf_err",
    "frob_err"};

static double col_value(const fa_row *w, int c)
{
    switch (c) {
    case C_LMAX:
        return w->lambda_max;
    case C_LMIN:
        return w->lambda_min;
    case C_TRACE:
        return w->trace;
    case C_RANK:
        return (double)w->rank;
    case C_EIG:
        return w->eig_err;
    case C_QF:
        return w->qf_err;
    default:
        return w->frob_err;
    }
}

static void table(session *s, const fa_result *r, int csv)
{
    tbl *t = tbl_alloc(1 + NCOL);
    if (!t)
        return;
    tbl_header(t, 0, "kind");
    for (int c = 0; c < NCOL; c++)
        tbl_header(t, (size_t)c + 1, col_names[c]);
    for (size_t k = 0; k < FA_NKIND; k++) {
        const fa_row *w = &r->row[k];
        if (!w->present)
            continue;
        tbl_row(t);
        tbl_str(t, 0, fa_kind_name(k));
        for (int c = 0; c < NCOL; c++)
            tbl_num(t, (size_t)c + 1, col_value(w, c));
    }
    tbl_print(t, &s->out, csv, csv ? 0 : 2);
    tbl_free(t);
}

/* What the ranks say about the point, in words. */
static void verdict(session *s, const fa_result *r)
{
    const fa_row *x = &r->row[FA_EXACT];
    if (x->rank < r->P)
        session_printf(s,
                       "  The exact FIM is singular here: rank %zu of P = "
                       "%zu (lambda_min = %.3g, below 1e-10 of lambda_max "
                       "= %.3g).\n",
                       x->rank, r->P, x->lambda_min, x->lambda_max);
    if (x->rank < r->P && r->rank_bound < r->P) {
        size_t per = r->rank_bound / (r->T ? r->T : 1);
        if (x->rank >= r->rank_bound)
            session_printf(s,
                           "  That is no special point: the FIM averages "
                           "T = %zu terms of rank at most %zu, so its rank "
                           "is at most %zu < P at every point of this "
                           "network.\n",
                           r->T, per, r->rank_bound);
        else
            session_printf(s,
                           "  Every point of this network has rank at most "
                           "%zu (T = %zu terms of rank at most %zu); rank "
                           "%zu is lower still, a degeneracy of this point "
                           "(dead or saturated units, equal units).\n",
                           r->rank_bound, r->T, per, x->rank);
    }
    if (x->rank < r->P)
        ;
    else
        session_printf(s, "  The exact FIM is regular here: full rank P = "
                          "%zu (lambda_min = %.3g).\n",
                       r->P, x->lambda_min);
    for (size_t k = 1; k < FA_NKIND; k++) {
        const fa_row *w = &r->row[k];
        if (!w->present)
            continue;
        const char *nm = fa_kind_name(k);
        if (x->rank < r->P && w->rank == r->P)
            session_printf(s,
                           "  %s has full rank %zu: it does not see the "
                           "singularity (its smallest eigenvalue %.3g "
                           "calls the point regular).\n",
                           nm, w->rank, w->lambda_min);
        else if (x->rank < r->P && w->rank < r->P)
            session_printf(s, "  %s is singular too: rank %zu%s.\n", nm,
                           w->rank,
                           w->rank == x->rank ? ", as the exact FIM"
                                              : " (not the exact FIM's)");
        else if (w->rank < r->P)
            session_printf(s,
                           "  %s is rank-deficient (rank %zu of %zu) where "
                           "the exact FIM is not.\n",
                           nm, w->rank, r->P);
    }
}

static void show(session *s, const char *name, const void *p)
{
    const fa_result *r = p;
    if (s->csv) {
        table(s, r, 1);
        return;
    }
    char lay[256];
    size_t n = 0;
    for (size_t l = 0; l < r->nlayers && n < sizeof lay; l++)
        n += (size_t)snprintf(lay + n, sizeof lay - n, "%s%s (%zu)",
                              l ? ", " : "", r->layer_name[l],
                              r->layer_size[l]);
    session_printf(s,
                   "%s: FIM approximations of %s (P = %zu) against its "
                   "exact FIM, top %zu eigenpairs compared; layers: %s\n",
                   name ? name : "fimapprox", r->model, r->P, r->top, lay);
    table(s, r, 0);
    session_printf(s,
                   "  eig_err = |mu_1..k - lambda_1..k| / |lambda_1..k| "
                   "(eigenvalues, largest first, of the approximation and "
                   "of the exact FIM); qf_err = |(v_i^T A v_i - "
                   "lambda_i)_i| / |lambda_1..k| along the exact top "
                   "eigenvectors v_i; frob_err = |A - F|_F / |F|_F; rank: "
                   "eigenvalues above 1e-10 of its lambda_max\n");
    if (r->row[FA_EMPIRICAL].present)
        session_printf(s,
                       "  empirical: %zu observations, labels from %s, seed "
                       "%llu (a sample: its errors shrink like 1/sqrt(n)%s)\n",
                       r->n,
                       r->labels == FA_LABELS_TEACHER
                           ? "a fixed random teacher"
                           : "the model itself",
                       (unsigned long long)r->seed,
                       r->labels == FA_LABELS_TEACHER
                           ? " to a bias: its mean is not the FIM"
                           : "; its mean is the FIM");
    for (size_t k = 0; k < FA_NKIND; k++)
        if (r->row[k].note[0])
            session_printf(s, "  %s: not computed: %s\n", fa_kind_name(k),
                           r->row[k].note);
    verdict(s, r);
}

static void export_rows(session *s, const char *name, const void *p,
                        int part)
{
    (void)name;
    (void)part;
    table(s, p, 1);
}

static void origin(const void *p, obj_origin *o)
{
    const fa_result *r = p;
    o->model = r->model;
    o->kind = r->is_mlp2 ? "mlp2" : "dnn";
}

static ss_status draw(session *s, const render_request *req, const void *p,
                      canvas *c)
{
    (void)s;
    const fa_result *r = p;
    int col = C_EIG;
    if (req->col[0]) {
        col = -1;
        for (int k = 0; k < NCOL; k++)
            if (strcmp(req->col, col_names[k]) == 0)
                col = k;
        if (col < 0)
            return SS_FAIL_COL(SS_ERR_NAME, req->col_col,
                               "no column '%s' in %s (columns: lambda_max, "
                               "lambda_min, trace, rank, eig_err, qf_err, "
                               "frob_err)",
                               req->col, req->object);
    }
    int err = col == C_EIG || col == C_QF || col == C_FROB;
    double v[FA_NKIND];
    const char *lab[FA_NKIND];
    size_t n = 0;
    for (size_t k = err ? 1 : 0; k < FA_NKIND; k++)
        if (r->row[k].present) {
            v[n] = col_value(&r->row[k], col);
            lab[n++] = fa_kind_name(k);
        }
    if (!n)
        return SS_FAIL(SS_ERR_USAGE,
                       "%s: no approximation was computed: nothing to "
                       "compare with the exact FIM",
                       req->object);
    char title[200];
    if (err)
        snprintf(title, sizeof title,
                 "%s: %s against the exact FIM (0: equal)",
                 req->object, col_names[col]);
    else
        snprintf(title, sizeof title, "%s: %s, exact FIM and approximations "
                                      "(P = %zu)",
                 req->object, col_names[col], r->P);
    plot_opts o;
    plot_opts_init(&o);
    o.title = render_title_or(req, title);
    /* errors span decades (an empirical Fisher's 1e-2 beside a diagonal's
     * 0.8 would be an empty bar on a linear axis): log when all positive */
    int allpos = 1;
    for (size_t i = 0; i < n; i++)
        allpos &= v[i] > 0 && isfinite(v[i]);
    o.ylog = req->logy >= 0 ? req->logy : err && allpos;
    if (o.ylog && allpos && req->logy < 0) {
        /* bars from two decades below the smallest, so that the smallest
         * is a visible bar and not the axis itself */
        double mn = v[0];
        for (size_t i = 1; i < n; i++)
            mn = fmin(mn, v[i]);
        o.ymin = pow(10.0, floor(log10(mn)) - 1);
    }
    o.ylabel = col_names[col];
    if (!o.ylog && col != C_LMIN)
        o.ymin = 0;
    return plot_bars(c, v, lab, n, &o);
}

static void free_fa(void *p) { fa_result_free(p); }

const obj_type obj_fimapprox = {
    .name = "FIM approximations",
    .free = free_fa,
    .print = show,
    .export_rows = export_rows,
    .origin = origin,
    .draw = draw,
    .picture = "bars of one column (col=, default eig_err) per "
               "approximation",
    .plot_keys = "col",
    .min_w = 30,
    .min_h = 8,
};

/* The selection-experiment class (infer/select.h): for `show` the share of
 * replicates in which each criterion picks each model at each n (with
 * binomial standard errors) and the estimated right penalty against 2k and
 * k log n; for `export` one row per (n, replicate); for `plot` the
 * selection frequencies against n. */
#include "lang/commands.h"
#include "lang/render.h"
#include "lang/results.h"
#include "lang/shard.h"

#include "core/table.h"
#include "infer/select.h"
#include "plot/plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_select(session *s, const char *name, const void *p)
{
    const select_result *r = p;
    const select_spec *sp = &r->sp;
    size_t M = r->M, C = sp->ncrit;
    if (!s->csv) {
        session_printf(s, "%s: selection among", name ? name : "select");
        for (size_t m = 0; m < M; m++)
            session_printf(s, "%s %s (%s, k=%zu)", m ? "," : "", r->names[m],
                           r->kinds[m], r->k[m]);
        session_printf(s, "; data from %s (%s), %zu replicate%s of each n, "
                          "seed %llu\n",
                       r->truth, r->truth_kind, sp->reps,
                       sp->reps == 1 ? "" : "s",
                       (unsigned long long)sp->seed);
        if (r->exp.slice.n) {
            char sl[128];
            exp_origin_slice_text(&r->exp, sl, sizeof sl);
            session_printf(s, "  a shard: replicates %s; `export` it and "
                              "`merge` the shards\n",
                           sl);
        } else if (r->first != 0 || r->nasked != sp->reps * sp->nn) {
            session_printf(s, "  replicates %zu .. %zu of %zu\n",
                           r->first + 1, r->first + r->nasked,
                           sp->reps * sp->nn);
        }
        if (r->interrupted)
            session_printf(s, "  interrupted: %zu of %zu replicates "
                              "finished (the first %zu)\n",
                           r->ndone, r->nasked, r->ndone);
    }
    /* the frequencies */
    size_t nh = 4 + 2 * C + 2;
    tbl *tb = tbl_alloc(nh);
    if (!tb)
        return;
    tbl_header(tb, 0, "n");
    tbl_header(tb, 1, "model");
    tbl_header(tb, 2, "k");
    tbl_header(tb, 3, "reps");
    char hb[2 * SELECT_NCRIT][16];
    for (size_t c = 0; c < C; c++) {
        snprintf(hb[2 * c], sizeof hb[0], "%s", select_crit_name(
                                                    (size_t)sp->crit[c]));
        snprintf(hb[2 * c + 1], sizeof hb[0], "se_%s",
                 select_crit_name((size_t)sp->crit[c]));
        tbl_header(tb, 4 + 2 * c, hb[2 * c]);
        tbl_header(tb, 5 + 2 * c, hb[2 * c + 1]);
    }
    tbl_header(tb, 4 + 2 * C, "nonconv");
    tbl_header(tb, 5 + 2 * C, "failed");
    for (size_t j = 0; j < sp->nn; j++)
        for (size_t m = 0; m < M; m++) {
            tbl_row(tb);
            tbl_num(tb, 0, (double)sp->n[j]);
            tbl_str(tb, 1, r->names[m]);
            tbl_num(tb, 2, (double)r->k[m]);
            tbl_num(tb, 3, (double)r->reps_at[j]);
            for (size_t c = 0; c < C; c++) {
                size_t e = (j * M + m) * C + c;
                tbl_num(tb, 4 + 2 * c, r->freq[e]);
                tbl_num(tb, 5 + 2 * c, r->freq_se[e]);
            }
            tbl_num(tb, 4 + 2 * C, (double)r->nonconv[j * M + m]);
            tbl_num(tb, 5 + 2 * C, (double)r->failed[j * M + m]);
        }
    tbl_print(tb, &s->out, s->csv, s->csv ? 0 : 2);
    tbl_free(tb);
    if (!s->csv) {
        session_printf(s, "  (the share of the replicates in which each "
                          "criterion picks the model; se = "
                          "sqrt(p(1-p)/reps); nonconv: fits stopped at "
                          "maxiter, kept; failed: no optimum, not "
                          "compared)\n");
        size_t none = 0;
        for (size_t q = 0; q < sp->nn * C; q++)
            none += r->nochoice[q];
        if (none)
            session_printf(s, "  %zu criterion choice%s had no model to "
                              "compare (every fit failed)\n",
                           none, none == 1 ? "" : "s");
        session_printf(s, "\n  the penalty that would have been right: the "
                          "optimism 2E[l(train) - l(test)] of the "
                          "fitted model\n");
    } else
        session_printf(s, "\n");
    tbl *pt = tbl_alloc(7);
    if (!pt)
        return;
    static const char *const ph[] = {"n", "model", "k", "penalty",
                                     "se", "2k", "k_log_n"};
    for (size_t i = 0; i < 7; i++)
        tbl_header(pt, i, ph[i]);
    for (size_t j = 0; j < sp->nn; j++)
        for (size_t m = 0; m < M; m++) {
            size_t q = j * M + m;
            tbl_row(pt);
            tbl_num(pt, 0, (double)sp->n[j]);
            tbl_str(pt, 1, r->names[m]);
            tbl_num(pt, 2, (double)r->k[m]);
            tbl_num(pt, 3, r->opt[q]);
            tbl_num(pt, 4, r->opt_se[q]);
            tbl_num(pt, 5, 2.0 * (double)r->k[m]);
            tbl_num(pt, 6, (double)r->k[m] * log((double)sp->n[j]));
        }
    tbl_print(pt, &s->out, s->csv, s->csv ? 0 : 2);
    tbl_free(pt);
    if (!s->csv)
        session_printf(s, "  (penalty: the mean over the replicates of "
                          "2[(l - l_T) + (l_T' - l')], l and l' the fitted "
                          "model's log-likelihood on the data and on a "
                          "fresh sample of the same n, l_T and l_T' the "
                          "truth's; 2k for a regular model, the AIC "
                          "derivation)\n");
}

static void export_row(void *ctx, size_t i, double *v)
{
    const select_result *r = ctx;
    const select_spec *sp = &r->sp;
    size_t abs = r->first + i, M = r->M;
    const double *row = r->rows + i * r->ncols;
    size_t o = 0;
    v[o++] = (double)(abs + 1);
    v[o++] = (double)sp->n[select_rep_size(sp, abs)];
    v[o++] = (double)(select_rep_within(sp, abs) + 1);
    v[o++] = row[SELECT_COL_TRUTH_TRAIN];
    v[o++] = row[SELECT_COL_TRUTH_TEST];
    for (size_t m = 0; m < M; m++) {
        v[o++] = row[SELECT_COL_LL(m)];
        v[o++] = row[SELECT_COL_LLTEST(m)];
        v[o++] = row[SELECT_COL_CONV(m)];
        v[o++] = select_result_optimism(r, i, m);
    }
    for (size_t c = 0; c < sp->ncrit; c++) {
        int ch = select_result_choice(r, i, sp->crit[c]);
        v[o++] = ch < 0 ? NAN : (double)(ch + 1);
    }
}

/* One row per (n, replicate): the absolute replicate number, n, the
 * replicate within n, the truth's log-likelihoods, per model its
 * log-likelihoods, convergence and optimism, per criterion the position
 * in models= of the model it picks. */
size_t obj_select_colnames(const select_spec *sp, const char *const *names,
                           size_t M, char (*out)[96])
{
    size_t o = 0;
    static const char *const fixed[] = {"n", "rep_at_n", "truth_loglik",
                                        "truth_loglik_test"};
    for (size_t q = 0; q < 4; q++)
        snprintf(out[o++], sizeof *out, "%s", fixed[q]);
    static const char *const suf[] = {"loglik", "loglik_test", "converged",
                                      "optimism"};
    for (size_t m = 0; m < M; m++)
        for (size_t q = 0; q < 4; q++)
            snprintf(out[o++], sizeof *out, "%s_%s", names[m], suf[q]);
    for (size_t c = 0; c < sp->ncrit; c++)
        snprintf(out[o++], sizeof *out, "choice_%s",
                 select_crit_name((size_t)sp->crit[c]));
    return o;
}

static void export_select(session *s, const char *name, const void *p,
                          int part)
{
    (void)name;
    (void)part;
    const select_result *r = p;
    size_t M = r->M, nc = OBJ_SELECT_NCOLS(M, r->sp.ncrit) + 1;
    const char **head = calloc(nc, sizeof *head);
    char(*buf)[96] = calloc(nc, sizeof *buf);
    const char **mn = calloc(M, sizeof *mn);
    if (!head || !buf || !mn) {
        free(head);
        free(buf);
        free(mn);
        return;
    }
    for (size_t m = 0; m < M; m++)
        mn[m] = r->names[m];
    obj_select_colnames(&r->sp, mn, M, buf);
    head[0] = "rep";
    for (size_t c = 1; c < nc; c++)
        head[c] = buf[c - 1];
    if (s->csv && r->exp.reps) /* what merge needs to read it back */
        exp_origin_write(s, &r->exp);
    tbl_print_numeric(&s->out, head, nc, r->ndone, export_row, (void *)r,
                      s->csv, 0);
    free(head);
    free(buf);
    free(mn);
}

static void origin_select(const void *p, obj_origin *o)
{
    const select_result *r = p;
    o->model = r->truth;
    o->kind = r->truth_kind;
    o->point = NULL;
    o->npoint = 0;
    o->point_word = "drawn from";
}

/* The selection frequencies against n: one line per model after the first
 * and criterion (col=CRIT: that criterion's alone), each with its own
 * colour and dash pattern and a legend entry. */
static ss_status draw(session *s, const render_request *req, const void *p,
                      canvas *c)
{
    (void)s;
    const select_result *r = p;
    const select_spec *sp = &r->sp;
    size_t M = r->M, C = sp->ncrit, nn = sp->nn;
    int only = -1;
    if (req->col[0]) {
        for (size_t k = 0; k < C; k++)
            if (strcmp(req->col, select_crit_name((size_t)sp->crit[k])) == 0)
                only = (int)k;
        if (only < 0) {
            char list[64] = "";
            for (size_t k = 0; k < C; k++)
                snprintf(list + strlen(list), sizeof list - strlen(list),
                         "%s%s", k ? ", " : "",
                         select_crit_name((size_t)sp->crit[k]));
            return SS_FAIL_COL(SS_ERR_NAME, req->col_col,
                               "%s has no criterion '%s' (criteria: %s)",
                               req->object, req->col, list);
        }
    }
    double *x = malloc(nn * sizeof *x), *y = malloc(nn * M * C * sizeof *y);
    plot_series *sr = calloc(M * C, sizeof *sr);
    char(*lab)[80] = calloc(M * C, sizeof *lab);
    if (!x || !y || !sr || !lab) {
        free(x), free(y), free(sr), free(lab);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    for (size_t j = 0; j < nn; j++)
        x[j] = (double)sp->n[j];
    size_t ns = 0;
    /* MDL = BIC / 2 picks what BIC picks: its lines would hide under
     * BIC's, so the picture names it in the title instead */
    int bic = -1, mdl_same = 0;
    for (size_t k = 0; k < C; k++)
        if (sp->crit[k] == SELECT_BIC)
            bic = (int)k;
    for (size_t k = 0; k < C; k++) {
        if (only >= 0 && (size_t)only != k)
            continue;
        if (only < 0 && bic >= 0 && sp->crit[k] == SELECT_MDL) {
            mdl_same = 1;
            continue;
        }
        /* the first model's share is 1 minus the others': leaving it
         * out lets the axis zoom on how often a larger model wins */
        for (size_t m = 1; m < M; m++) {
            double *yy = y + ns * nn;
            for (size_t j = 0; j < nn; j++)
                yy[j] = r->freq[(j * M + m) * C + k];
            int crit = sp->crit[k];
            snprintf(lab[ns], sizeof lab[ns], "%s %s", r->names[m],
                     select_crit_name((size_t)crit));
            /* a colour and dash pattern of its own for each line, so
             * every line reads without colour too */
            sr[ns] = (plot_series){x, yy, nn, lab[ns], (int)(ns % 8), 0, 0};
            ns++;
        }
    }
    plot_opts o;
    plot_opts_init(&o);
    char title[256];
    snprintf(title, sizeof title, "%s: how often %s picks a model other "
                                  "than %s (data from %s)%s",
             req->object,
             only >= 0 ? select_crit_name((size_t)sp->crit[only])
                       : "each criterion",
             r->names[0], r->truth, mdl_same ? "; mdl = bic" : "");
    o.title = render_title_or(req, title);
    o.xlabel = "n";
    o.ylabel = "share picked";
    o.xlog = req->logx >= 0 ? req->logx
                            : (nn > 1 && x[nn - 1] >= 10 * x[0]);
    o.ylog = req->logy >= 0 ? req->logy : 0;
    o.ymin = 0;
    double top = 0;
    for (size_t i = 0; i < ns * nn; i++)
        if (isfinite(y[i]) && y[i] > top)
            top = y[i];
    o.ymax = top > 0.5 || top == 0 ? 1 : top * 1.15;
    o.legend = 1;
    ss_status st = plot_xy(c, sr, ns, &o);
    free(x), free(y), free(sr), free(lab);
    return st;
}

static void free_select(void *p) { select_result_free(p); }

const obj_type obj_select = {
    .name = "selection experiment",
    .free = free_select,
    .print = print_select,
    .export_rows = export_select,
    .origin = origin_select,
    .draw = draw,
    .picture = "a selection-frequency picture",
    .plot_keys = "col",
    .min_w = 30,
    .min_h = 8,
};

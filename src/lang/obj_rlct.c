/* The rlct estimate's class (bayes/rlct.h): `show` prints lambda-hat with
 * its standard error beside the value theory knows and k/2; `export` the
 * V(t) curve (one row per bin edge from the first draw to the last);
 * `plot` log V against log t with the fitted slope and reference slopes
 * lambda_known and k/2 through the fit's last point. */
#include "lang/commands.h"
#include "lang/render.h"
#include "lang/rlct_llc.h"
#include "lang/rlct_wbic_lang.h"

#include "bayes/rlct.h"
#include "core/table.h"
#include "plot/plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void show_rlct(session *s, const char *name, const void *p)
{
    const rlct_result *r = p;
    if (r->llc) {
        rlct_llc_show(s, name, r->llc);
        return;
    }
    if (r->method == RLCT_METHOD_WBIC) {
        rlct_wbic_show(s, name, r);
        return;
    }
    double half = 0.5 * (double)r->k;
    if (s->csv) {
        tbl *t = tbl_alloc(2);
        if (!t)
            return;
        tbl_header(t, 0, "field");
        tbl_header(t, 1, "value");
        tbl_field(t, "draws", (double)r->draws_done);
        tbl_field(t, "seed", (double)r->sp.seed);
        tbl_field(t, "k", (double)r->k);
        tbl_field(t, "t_min", r->t[0]);
        tbl_field(t, "t_max", r->t[r->npts - 1]);
        tbl_field(t, "q_min", r->qmin);
        tbl_field(t, "q_max", r->sp.qmax);
        tbl_field(t, "lambda", r->lambda);
        tbl_field(t, "lambda_se", r->se);
        tbl_field(t, "lambda_corrected", r->corrected ? r->lambda_c : NAN);
        tbl_field(t, "lambda_corrected_se", r->corrected ? r->se_c : NAN);
        tbl_field(t, "lambda_known", r->known);
        tbl_field(t, "m_known", r->m_known > 0 ? r->m_known : NAN);
        tbl_field(t, "k_half", half);
        tbl_print(t, &s->out, 1, 0);
        tbl_free(t);
        return;
    }
    session_printf(s,
                   "%s: learning coefficient of %s (%s, k=%zu free) at the "
                   "truth %s, volume scaling, %zu prior draws, seed %llu\n",
                   name ? name : "rlct", r->model, r->kind, r->k, r->truth,
                   r->draws_done, (unsigned long long)r->sp.seed);
    if (r->interrupted)
        session_printf(s, "  interrupted: %zu of %zu chunks finished (the "
                          "first %zu)\n",
                       r->chunks_done, r->nchunks, r->chunks_done);
    session_printf(s, "  K by %s; smallest K drawn %.3g\n",
                   rlct_route_name(r->route), r->kmin);
    session_printf(s,
                   "  fit: log V(t) on log t at %zu points, t in [%.3g, "
                   "%.3g] (V from %.3g to %.3g)\n",
                   r->npts, r->t[0], r->t[r->npts - 1], r->V[0],
                   r->V[r->npts - 1]);
    session_printf(s, "  lambda-hat (slope): %.4f (se %.2g, %zu batches)\n",
                   r->lambda, r->se, r->nbatches);
    if (r->corrected)
        session_printf(s,
                       "  lambda-hat (slope of log V - (m-1) log(-log t), "
                       "m = %g): %.4f (se %.2g)\n",
                       r->m_known, r->lambda_c, r->se_c);
    if (!isnan(r->known)) {
        char m[32] = "m not known";
        if (r->m_known > 0)
            snprintf(m, sizeof m, "m = %g", r->m_known);
        double est = r->corrected ? r->lambda_c : r->lambda;
        double se = r->corrected ? r->se_c : r->se;
        session_printf(s, "  theory: lambda = %.4g (%s; %s); z = %.2f\n",
                       r->known, r->known_what, m,
                       se > 0 ? (est - r->known) / se : NAN);
        if (!r->corrected && r->m_known != 1)
            session_printf(s, "  (with m > 1 unknown the slope carries a "
                              "bias of about -(m-1)/log(1/t))\n");
    } else {
        session_printf(s, "  theory: no known value for this model and "
                          "truth\n");
    }
    session_printf(s, "  regular k/2 = %g; z = %.2f\n", half,
                   r->se > 0 ? ((r->corrected ? r->lambda_c : r->lambda) -
                                half) / (r->corrected ? r->se_c : r->se)
                             : NAN);
}

typedef struct {
    const rlct_result *r;
    size_t b0;
    double N;
} curve_ctx;

static void row_fn(void *ctx, size_t i, double *v)
{
    const curve_ctx *c = ctx;
    double cum = 0;
    for (size_t b = 0; b <= c->b0 + i; b++)
        cum += c->r->count[b];
    v[0] = rlct_edge(c->b0 + i);
    v[1] = cum / c->N;
    v[2] = cum;
}

static void curve_range(const rlct_result *r, size_t *b0, size_t *n)
{
    size_t lo = 0, hi = RLCT_NBINS - 2;
    while (lo < hi && r->count[lo] == 0)
        lo++;
    while (hi > lo && r->count[hi] == 0)
        hi--;
    *b0 = lo;
    *n = hi - lo + 1;
}

static void export_rlct(session *s, const char *name, const void *p, int part)
{
    (void)name;
    (void)part;
    const rlct_result *r = p;
    if (r->llc) {
        rlct_llc_export(s, r->llc);
        return;
    }
    if (r->method == RLCT_METHOD_WBIC) {
        rlct_wbic_export(s, r);
        return;
    }
    static const char *head[] = {"t", "V", "count_below"};
    curve_ctx c = {r, 0, (double)r->draws_done};
    size_t n;
    curve_range(r, &c.b0, &n);
    tbl_print_numeric(&s->out, head, 3, n, row_fn, &c, s->csv, 0);
}

static void origin_rlct(const void *p, obj_origin *o)
{
    const rlct_result *r = p;
    o->model = r->model;
    o->kind = r->kind;
}

static ss_status draw(session *s, const render_request *req, const void *p,
                      canvas *c)
{
    (void)s;
    const rlct_result *r = p;
    if (r->llc)
        return rlct_llc_draw(req, r->llc, c);
    if (r->method == RLCT_METHOD_WBIC)
        return rlct_wbic_draw(req, r, c);
    size_t b0, n;
    curve_range(r, &b0, &n);
    double *x = malloc((n + 6) * sizeof *x), *y = malloc((n + 6) * sizeof *y);
    if (!x || !y) {
        free(x);
        free(y);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    double cum = 0, N = (double)r->draws_done;
    for (size_t b = 0; b < b0; b++)
        cum += r->count[b];
    for (size_t i = 0; i < n; i++) {
        cum += r->count[b0 + i];
        x[i] = rlct_edge(b0 + i);
        y[i] = cum / N;
    }
    /* lines through the fit's ends: the fitted slope, lambda_known, k/2,
     * anchored at the last fit point */
    double *fx = x + n, *fy = y + n;
    double ta = r->t[0], tb = r->t[r->npts - 1], Vb = r->V[r->npts - 1];
    double sl[3] = {r->corrected ? r->lambda_c : r->lambda, r->known,
                    0.5 * (double)r->k};
    plot_series ser[4];
    char lab[3][48];
    size_t ns = 0;
    ser[ns++] = (plot_series){x, y, n, "V(t)", 0, 0, 0};
    snprintf(lab[0], sizeof lab[0], "fit %.3g", r->lambda);
    snprintf(lab[1], sizeof lab[1], "theory %.3g", r->known);
    snprintf(lab[2], sizeof lab[2], "k/2 = %g", sl[2]);
    sl[0] = r->lambda;
    for (size_t j = 0; j < 3; j++) {
        if (isnan(sl[j]))
            continue;
        fx[2 * j] = ta;
        fy[2 * j] = Vb * pow(ta / tb, sl[j]);
        fx[2 * j + 1] = tb;
        fy[2 * j + 1] = Vb;
        /* a dash pattern each (dotted, dashed, dash-dot), so the three
         * slopes stay apart without colour */
        ser[ns++] = (plot_series){fx + 2 * j, fy + 2 * j, 2, lab[j],
                                  (int)j + 1, 0, 0};
    }
    char title[256];
    snprintf(title, sizeof title, "%s: V(t) = prior mass of K < t (log-log)",
             req->object);
    plot_opts o;
    plot_opts_init(&o);
    o.title = render_title_or(req, title);
    o.xlabel = "t";
    o.ylabel = "V(t)";
    o.xlog = 1;
    o.ylog = 1;
    o.legend = 1;
    ss_status st = plot_xy(c, ser, ns, &o);
    free(x);
    free(y);
    return st;
}

static void free_rlct(void *p) { rlct_result_free(p); }

const obj_type obj_rlct = {
    .name = "rlct",
    .free = free_rlct,
    .print = show_rlct,
    .export_rows = export_rlct,
    .origin = origin_rlct,
    .draw = draw,
    .picture = "log V(t) against log t with the fitted and reference "
               "slopes (volume); lambda-hat against n with the known "
               "lambda and k/2 (wbic)",
    .min_w = 30,
    .min_h = 8,
};

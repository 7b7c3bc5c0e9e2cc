/* The class of `spectrum` results (fim/wide_spectrum.h): `show` prints the
 * statistics over the networks (mean, sd), the mean-field prediction and
 * their ratio; `export` one statistic a line (statistic, mean, sd,
 * theory); `plot` the first network's non-zero eigenvalues as a histogram
 * of log10 lambda with the predicted m_lambda (solid) and lambda_max
 * (dashed) marked, and the outlier threshold (WS_OUTLIER_FACTOR times
 * network 1's bulk centre, dashed). */
#include "lang/commands.h"
#include "lang/render.h"

#include "core/table.h"
#include "fim/wide_spectrum.h"
#include "plot/plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_csv(session *s, const ws_result *r)
{
    tbl *t = tbl_alloc(4);
    if (!t)
        return;
    tbl_header(t, 0, "statistic");
    tbl_header(t, 1, "mean");
    tbl_header(t, 2, "sd");
    tbl_header(t, 3, "theory");
    for (int i = 0; i < WS_NSTAT; i++) {
        tbl_row(t);
        tbl_str(t, 0, ws_stat_name(i));
        tbl_num(t, 1, r->mean[i]);
        tbl_num(t, 2, r->sd[i]);
        tbl_num(t, 3, r->theory[i]);
    }
    tbl_print(t, &s->out, 1, 0);
    tbl_free(t);
}

static void show_spec(session *s, const char *name, const void *p)
{
    const ws_result *r = p;
    if (s->csv) {
        print_csv(s, r);
        return;
    }
    char buf[256];
    size_t n = 0;
    for (size_t l = 0; l <= r->L && n < sizeof buf; l++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%zu",
                              l ? " -> " : "", r->widths[l]);
    int plain = !r->v.centre && !r->v.metric && !r->ntk && !r->softmax;
    session_printf(s,
                   "%s: %s of %zu random network%s of %s's "
                   "architecture (%s, P = %zu) at its T = %zu inputs, "
                   "through the %zu x %zu %s; seed %llu%s\n",
                   name ? name : "spectrum",
                   plain ? "exact FIM spectrum" : "spectrum", r->nets,
                   r->nets == 1 ? "" : "s", r->model, buf, r->P, r->T, r->N,
                   r->N, r->v.metric ? "metric" : "dual Gram",
                   (unsigned long long)r->seed,
                   r->interrupted ? " (interrupted)" : "");
    if (!plain)
        session_printf(s, "  variant: %s\n", r->what);
    tbl *t = tbl_alloc(5);
    if (!t)
        return;
    static const char *const head[] = {"statistic", "mean", "sd",
                                       "mean-field", "ratio"};
    for (size_t c = 0; c < 5; c++)
        tbl_header(t, c, head[c]);
    for (int i = 0; i < WS_NSTAT; i++) {
        tbl_row(t);
        tbl_str(t, 0, ws_stat_name(i));
        tbl_num(t, 1, r->mean[i]);
        if (r->nets > 1)
            tbl_num(t, 2, r->sd[i]);
        else
            tbl_str(t, 2, "-");
        if (isnan(r->theory[i])) {
            tbl_str(t, 3, "-");
            tbl_str(t, 4, "-");
        } else {
            tbl_num(t, 3, r->theory[i]);
            if (r->theory[i] != 0)
                tbl_num(t, 4, r->mean[i] / r->theory[i]);
            else
                tbl_str(t, 4, r->mean[i] == 0 ? "=" : "-");
        }
    }
    tbl_print(t, &s->out, 0, 2);
    tbl_free(t);
    const char *nm = r->v.metric ? "M_l" : r->ntk ? "TC" : "P";
    if (plain)
        session_printf(s, "  m_lambda = trace/P and s_lambda = sum "
                          "lambda^2/P over all P eigenvalues (zeros "
                          "included); top_c_mean: the %zu largest; "
                          "bulk_centre: the median of the non-zero ones; "
                          "zeros = P - rank; outliers: above %g x "
                          "bulk_centre\n",
                       r->C, WS_OUTLIER_FACTOR);
    else
        session_printf(s, "  m_lambda = trace/%s and s_lambda = sum "
                          "lambda^2/%s over all %s = %zu eigenvalues (zeros "
                          "included); top_c_mean: the %zu largest; "
                          "bulk_centre: the median of the non-zero ones; "
                          "zeros = %s - rank; outliers: above %g x "
                          "bulk_centre\n",
                       nm, nm, nm, r->nall, r->C, nm, WS_OUTLIER_FACTOR);
    if (r->has_mf && !plain)
        session_printf(s, "  block model (finite widths, docs/theory.md "
                          "13.4): d1 = %.6g, d2 = %.6g on and off the "
                          "diagonal of each output's T x T block%s\n",
                       r->d1, r->d2, r->ntk ? "" : ", divided by T");
    if (r->has_mf && plain)
        session_printf(s, "  mean-field (finite widths): kappa1 = %.6g, "
                          "kappa2 = %.6g; lambda_max is C-fold, zeros "
                          "predicted P - min(P, TC)\n",
                       r->mf.kappa1, r->mf.kappa2);
    if (r->theory_note[0])
        session_printf(s, "  %s\n", r->theory_note);
}

static void export_spec(session *s, const char *name, const void *p,
                        int part)
{
    (void)name;
    (void)part;
    print_csv(s, p);
}

static void origin_spec(const void *p, obj_origin *o)
{
    const ws_result *r = p;
    o->model = r->model;
    o->kind = "dnn";
}

static ss_status draw(session *s, const render_request *req, const void *p,
                      canvas *c)
{
    (void)s;
    const ws_result *r = p;
    size_t nz = r->nall - (size_t)r->stat[WS_ZEROS];
    double *x = malloc((nz ? nz : 1) * sizeof *x);
    if (!x)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    /* the first network's non-zero eigenvalues: the first nz of eval0 */
    size_t n = 0;
    for (size_t j = 0; j < nz && j < r->N; j++)
        if (r->eval0[j] > 0)
            x[n++] = log10(r->eval0[j]);
    plot_mark mk[3];
    size_t nm = 0;
    if (!isnan(r->theory[WS_M_LAMBDA]) && r->theory[WS_M_LAMBDA] > 0)
        mk[nm++] = (plot_mark){log10(r->theory[WS_M_LAMBDA]),
                               "predicted m_lambda", 1, 0};
    if (!isnan(r->theory[WS_LAMBDA_MAX]) && r->theory[WS_LAMBDA_MAX] > 0)
        mk[nm++] = (plot_mark){log10(r->theory[WS_LAMBDA_MAX]),
                               "predicted lambda_max", 2, 1};
    /* what counts as an outlier: above this (network 1's bulk centre) */
    double bulk = r->stat[WS_BULK];
    if (isfinite(bulk) && bulk > 0)
        mk[nm++] = (plot_mark){log10(WS_OUTLIER_FACTOR * bulk),
                               "outlier threshold (10 x bulk centre)", 3, 1};
    char title[256];
    int plain = !r->v.centre && !r->v.metric && !r->ntk && !r->softmax;
    if (plain)
        snprintf(title, sizeof title,
                 "%s: non-zero FIM eigenvalues of network 1 (%zu of P = "
                 "%zu)",
                 req->object, n, r->P);
    else
        snprintf(title, sizeof title,
                 "%s: non-zero eigenvalues of network 1 (%zu of %zu)",
                 req->object, n, r->nall);
    plot_opts o;
    plot_opts_init(&o);
    o.title = render_title_or(req, title);
    o.xlabel = "log10 eigenvalue";
    o.ylabel = "density";
    o.legend = nm > 0;
    ss_status st = n ? plot_histogram_marked(c, x, n, 0, NULL, NULL, 0, mk,
                                             nm, &o)
                     : SS_FAIL(SS_ERR_NUMERIC,
                               "%s: the first network has no non-zero "
                               "eigenvalue to draw",
                               req->object);
    free(x);
    return st;
}

static void free_spec(void *p) { ws_result_free(p); }

const obj_type obj_spectrum = {
    .name = "network spectrum",
    .free = free_spec,
    .print = show_spec,
    .export_rows = export_spec,
    .origin = origin_spec,
    .draw = draw,
    .picture = "the eigenvalue histogram (log10) with the predicted "
               "m_lambda and lambda_max and the outlier threshold",
    .plot_keys = "",
    .min_w = 30,
    .min_h = 8,
};

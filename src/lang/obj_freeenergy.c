/* The free-energy ladder's class (bayes/ladder.h): `show` prints the table
 * of temperatures (β, E^β[nL_n] with its MC error, the smallest acceptance,
 * the largest R-hat, the ESS of nL_n, F's quadrature weight), F_n with its
 * MC and quadrature errors, WBIC, λ̂ two ways and k/2 for reference;
 * `export` the table; `plot` E^β[nL_n] against β (log axis) with the
 * slope fit E = c + λ̂/β over its range dashed. */
#include "lang/commands.h"
#include "lang/render.h"

#include "bayes/ladder.h"
#include "core/table.h"
#include "plot/plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_csv(session *s, const fe_result *r)
{
    tbl *t = tbl_alloc(2);
    if (!t)
        return;
    tbl_header(t, 0, "field");
    tbl_header(t, 1, "value");
    tbl_field(t, "n", (double)r->n);
    tbl_field(t, "betas", (double)r->sp.K);
    tbl_field(t, "chains", (double)r->sp.chains);
    tbl_field(t, "samples", (double)r->sp.samples);
    tbl_field(t, "burnin", (double)r->sp.burnin);
    tbl_field(t, "seed", (double)r->sp.seed);
    tbl_field(t, "F_n", r->F);
    tbl_field(t, "F_n_se", r->F_se);
    tbl_field(t, "F_n_quadrature_error", r->F_quad);
    tbl_field(t, "beta_wbic", r->beta_w);
    tbl_field(t, "wbic", r->wbic);
    tbl_field(t, "wbic_se", r->wbic_se);
    tbl_field(t, "lambda_two_temperatures", r->lam2);
    tbl_field(t, "lambda_two_temperatures_se", r->lam2_se);
    tbl_field(t, "lambda_slope", r->lams);
    tbl_field(t, "lambda_slope_se", r->lams_se);
    tbl_field(t, "lambda_slope_points", (double)r->lams_np);
    tbl_field(t, "half_k", (double)r->k / 2);
    tbl_print(t, &s->out, 1, 0);
    tbl_free(t);
}

static void show_fe(session *s, const char *name, const void *p)
{
    const fe_result *r = p;
    if (s->csv) {
        print_csv(s, r);
        return;
    }
    session_printf(s,
                   "%s: free energy of %s (%s, %zu free) given %s (n=%zu) "
                   "by thermodynamic integration over beta_j = (j/%zu)^%d, "
                   "j = 0..%zu, with 1/log n and 2/log n added; %s, %zu "
                   "chain%s x %zu draws after %zu burn-in per temperature, "
                   "seed %llu\n",
                   name ? name : "freeenergy", r->model, r->kind, r->k,
                   r->data, r->n, r->sp.K, FE_POWER, r->sp.K,
                   r->sp.sampler == POST_MALA ? "MALA"
                                              : "random-walk Metropolis",
                   r->sp.chains, r->sp.chains == 1 ? "" : "s", r->sp.samples,
                   r->sp.burnin, (unsigned long long)r->sp.seed);
    tbl *t = tbl_alloc(7);
    if (!t)
        return;
    static const char *const head[] = {"beta", "E[nL_n]", "MC se",
                                       "accept", "R-hat", "ESS", "weight"};
    for (size_t c = 0; c < 7; c++)
        tbl_header(t, c, head[c]);
    for (size_t j = 0; j < r->nr; j++) {
        const post_rung *q = &r->rung[j];
        tbl_row(t);
        tbl_num(t, 0, q->beta);
        tbl_num(t, 1, q->enl);
        tbl_num(t, 2, q->enl_se);
        tbl_num(t, 3, q->accept_min);
        tbl_num(t, 4, q->rhat);
        tbl_num(t, 5, q->ess);
        if (j <= r->sp.K)
            tbl_num(t, 6, r->weight[j]);
        else
            tbl_str(t, 6, j == r->sp.K + 1 ? "WBIC" : "2/log n");
    }
    tbl_print(t, &s->out, 0, 2);
    tbl_free(t);
    session_printf(s, "  F_n (Simpson in (beta)^(1/%d) over the ladder): "
                      "%.8g (MC se %.2g; quadrature error estimate %.2g)\n",
                   FE_POWER, r->F, r->F_se, r->F_quad);
    session_printf(s, "  WBIC (E^beta[n L_n] at beta = 1/log n = %.6g): "
                      "%.8g (MC se %.2g)\n",
                   r->beta_w, r->wbic, r->wbic_se);
    session_printf(s, "  lambda-hat (two temperatures, 1/log n and %.6g): "
                      "%.6g (MC se %.2g)\n",
                   r->beta_w2, r->lam2, r->lam2_se);
    session_printf(s, "  lambda-hat (slope of E^beta[n L_n] against 1/beta, "
                      "%zu temperatures in [%.4g, %.4g]): %.6g (MC se "
                      "%.2g)\n",
                   r->lams_np, r->beta_w / 2, 2 * r->beta_w, r->lams,
                   r->lams_se);
    session_printf(s, "  k/2 (the regular value, for reference): %.6g\n",
                   (double)r->k / 2);
    session_printf(s, "  acceptance: the smallest over a temperature's "
                      "chains; R-hat: the largest over the parameters and "
                      "n L_n; ESS: of n L_n; MC errors: batch means (%d per "
                      "chain)\n",
                   POST_BATCHES);
    if (r->warn[0])
        session_printf(s, "  warning: %s\n", r->warn);
}

static void row_fn(void *ctx, size_t i, double *v)
{
    const fe_result *r = ctx;
    const post_rung *q = &r->rung[i];
    v[0] = q->beta;
    v[1] = q->enl;
    v[2] = q->enl_se;
    v[3] = q->accept_min;
    v[4] = q->rhat;
    v[5] = q->ess;
    v[6] = r->weight[i];
}

static void export_fe(session *s, const char *name, const void *p, int part)
{
    (void)name;
    (void)part;
    const fe_result *r = p;
    static const char *const head[] = {"beta", "E_nL", "E_nL_se",
                                       "accept_min", "rhat", "ess_nL",
                                       "weight"};
    tbl_print_numeric(&s->out, head, 7, r->nr, row_fn, (void *)r, s->csv, 0);
}

static void origin_fe(const void *p, obj_origin *o)
{
    const fe_result *r = p;
    o->model = r->model;
    o->kind = r->kind;
}

static ss_status draw(session *s, const render_request *req, const void *p,
                      canvas *c)
{
    (void)s;
    const fe_result *r = p;
    size_t K = r->sp.K, nf = 40;
    double *x = malloc((K + 1 + 2 + 2 * nf) * sizeof *x);
    double *y = malloc((K + 1 + 2 + 2 * nf) * sizeof *y);
    if (!x || !y) {
        free(x);
        free(y);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    /* the ladder (beta > 0 on the log axis), the two WBIC rungs, the fit */
    for (size_t j = 0; j <= K; j++) {
        x[j] = r->rung[j].beta;
        y[j] = r->rung[j].enl;
    }
    double *xw = x + K + 1, *yw = y + K + 1;
    for (size_t j = 0; j < 2; j++) {
        xw[j] = r->rung[K + 1 + j].beta;
        yw[j] = r->rung[K + 1 + j].enl;
    }
    double *xf = xw + 2, *yf = yw + 2;
    double b0 = r->beta_w / 2, b1 = 2 * r->beta_w;
    for (size_t i = 0; i < nf; i++) {
        double b = b0 * pow(b1 / b0, (double)i / (double)(nf - 1));
        xf[i] = b;
        yf[i] = r->lams_c + r->lams / b;
    }
    char lf[64];
    snprintf(lf, sizeof lf, "fit c + %.3g/beta", r->lams);
    plot_series ser[3] = {
        {x, y, K + 1, "ladder", 0, 0, 0},
        {xw, yw, 2, "1/log n, 2/log n", 1, 1, 0},
        {xf, yf, nf, lf, -1, 0, 1},
    };
    char title[256];
    snprintf(title, sizeof title, "%s: E^beta[n L_n] over the ladder, F_n = "
                                  "%.6g",
             req->object, r->F);
    plot_opts o;
    plot_opts_init(&o);
    o.title = render_title_or(req, title);
    o.xlabel = "beta";
    o.ylabel = "E[n L_n]";
    o.xlog = req->logx != 0;
    o.ylog = req->logy == 1;
    o.legend = 1;
    ss_status st = plot_xy(c, ser, 3, &o);
    free(x);
    free(y);
    return st;
}

static void free_fe(void *p) { fe_result_free(p); }

const obj_type obj_freeenergy = {
    .name = "freeenergy",
    .free = free_fe,
    .print = show_fe,
    .export_rows = export_fe,
    .origin = origin_fe,
    .draw = draw,
    .picture = "E^beta[n L_n] against beta with the slope fit",
    .plot_keys = "logx logy",
    .min_w = 30,
    .min_h = 8,
};

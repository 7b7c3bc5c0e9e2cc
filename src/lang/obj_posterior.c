/* The posterior's class (bayes/posterior.h): `show` prints the run, the
 * diagnostics per parameter and chain, WAIC, importance-sampling LOO and
 * E_w[n L_n] (WBIC when
 * beta = 1/log n) with their Monte-Carlo errors on labelled lines;
 * `export` one row per draw (chain, draw, parameters, log-likelihood);
 * `plot` the trace of a parameter (col=NAME, default the first), one line
 * per chain. */
#include "lang/commands.h"
#include "lang/render.h"

#include "bayes/posterior.h"
#include "bayes/prior.h"
#include "core/table.h"
#include "plot/plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_csv(session *s, const post_result *r)
{
    tbl *t = tbl_alloc(2);
    if (!t)
        return;
    tbl_header(t, 0, "field");
    tbl_header(t, 1, "value");
    tbl_field(t, "n", (double)r->n);
    tbl_field(t, "beta", r->sp.beta);
    tbl_field(t, "chains", (double)r->nchains);
    tbl_field(t, "samples", (double)r->sp.samples);
    tbl_field(t, "burnin", (double)r->sp.burnin);
    tbl_field(t, "seed", (double)r->sp.seed);
    for (size_t j = 0; j < r->k; j++) {
        char k[MODEL_NAME_MAX + 16];
        snprintf(k, sizeof k, "mean_%s", r->names[j]);
        tbl_field(t, k, r->mean[j]);
        snprintf(k, sizeof k, "sd_%s", r->names[j]);
        tbl_field(t, k, r->sd[j]);
        snprintf(k, sizeof k, "rhat_%s", r->names[j]);
        tbl_field(t, k, r->rhat[j]);
        snprintf(k, sizeof k, "ess_%s", r->names[j]);
        tbl_field(t, k, r->ess[j]);
    }
    tbl_field(t, "waic", r->waic);
    tbl_field(t, "waic_se", r->waic_se);
    tbl_field(t, "waic_deviance", 2 * (double)r->n * r->waic);
    tbl_field(t, "p_waic", r->V);
    tbl_field(t, "p_waic_se", r->pwaic_se);
    tbl_field(t, "T_n", r->T);
    tbl_field(t, "elpd_loo", r->elpd_loo);
    tbl_field(t, "elpd_loo_se", r->elpd_loo_se);
    tbl_field(t, "loo_weight_max", r->loo_wmax);
    tbl_field(t, "E_nL", r->enl);
    tbl_field(t, "E_nL_se", r->enl_se);
    tbl_field(t, "is_wbic", r->is_wbic);
    if (r->temps > 1) {
        tbl_field(t, "temps", (double)r->temps);
        tbl_field(t, "beta_min", r->ladder[r->temps - 1]);
        for (size_t q = 0; q + 1 < r->temps; q++) {
            double sum = 0;
            for (size_t ch = 0; ch < r->nchains; ch++)
                sum += r->swap[ch * (r->temps - 1) + q];
            char k[56];
            snprintf(k, sizeof k, "swap_%zu_%zu", q + 1, q + 2);
            tbl_field(t, k, sum / (double)r->nchains);
        }
    }
    tbl_print(t, &s->out, 1, 0);
    tbl_free(t);
}

static void show_tempering(session *s, const post_result *r);

static void show_post(session *s, const char *name, const void *p)
{
    const post_result *r = p;
    if (s->csv) {
        print_csv(s, r);
        return;
    }
    session_printf(s,
                   "%s: posterior of %s (%s, %zu free) given %s (n=%zu), "
                   "beta=%.6g, %s, %zu chain%s x %zu draws after %zu "
                   "burn-in, seed %llu\n",
                   name ? name : "posterior", r->model, r->kind, r->k,
                   r->data, r->n, r->sp.beta,
                   r->sp.sampler == POST_MALA ? "MALA" : "random-walk "
                                                         "Metropolis",
                   r->nchains, r->nchains == 1 ? "" : "s", r->sp.samples,
                   r->sp.burnin, (unsigned long long)r->sp.seed);
    if (r->interrupted)
        session_printf(s, "  interrupted: %zu of %zu chains finished (the "
                          "first %zu)\n",
                       r->nchains, r->sp.chains, r->nchains);
    tbl *t = tbl_alloc(6);
    if (!t)
        return;
    static const char *const head[] = {"param", "prior", "mean", "sd",
                                       "R-hat", "ESS"};
    for (size_t c = 0; c < 6; c++)
        tbl_header(t, c, head[c]);
    for (size_t j = 0; j < r->k; j++) {
        char f[96];
        tbl_row(t);
        tbl_str(t, 0, r->names[j]);
        tbl_str(t, 1, prior_format(model_prior_of(r->m, r->idx[j]), f,
                                   sizeof f));
        tbl_num(t, 2, r->mean[j]);
        tbl_num(t, 3, r->sd[j]);
        tbl_num(t, 4, r->rhat[j]);
        tbl_num(t, 5, r->ess[j]);
    }
    tbl_print(t, &s->out, 0, 2);
    tbl_free(t);
    session_printf(s, "  acceptance per chain:");
    for (size_t c = 0; c < r->nchains; c++)
        session_printf(s, " %.3g", r->accept[c]);
    session_printf(s, "\n");
    if (r->temps > 1)
        show_tempering(s, r);
    const char *beta_note = fabs(r->sp.beta - 1) <= 1e-12
                                ? ""
                                : " (WAIC assumes beta = 1)";
    if (r->iid) {
        session_printf(s, "  WAIC (per sample, T_n + V_n/n): %.8g (MC se "
                          "%.2g)%s\n",
                       r->waic, r->waic_se, beta_note);
        session_printf(s, "  WAIC (deviance scale, 2n WAIC): %.8g (MC se "
                          "%.2g)\n",
                       2 * (double)r->n * r->waic,
                       2 * (double)r->n * r->waic_se);
        session_printf(s, "  p_WAIC (V_n): %.6g (MC se %.2g); T_n %.8g\n",
                       r->V, r->pwaic_se, r->T);
        session_printf(s, "  LOO (importance sampling, plain, no Pareto "
                          "smoothing): elpd_loo %.8g (MC se %.2g); per "
                          "sample -elpd_loo/n %.8g%s\n",
                       r->elpd_loo, r->elpd_loo_se,
                       -r->elpd_loo / (double)r->n,
                       fabs(r->sp.beta - 1) <= 1e-12 ? ""
                                                     : " (LOO assumes beta "
                                                       "= 1)");
        session_printf(s, "  LOO's largest importance weight: %.3g of "
                          "observation %zu's weights in one draw\n",
                       r->loo_wmax, r->loo_worst + 1);
    } else {
        session_printf(s, "  WAIC and LOO: not computed for a series (its "
                          "terms are not independent observations)\n");
    }
    if (r->is_wbic)
        session_printf(s, "  WBIC (E_w[n L_n] at beta = 1/log n): %.8g (MC "
                          "se %.2g)\n",
                       r->enl, r->enl_se);
    else
        session_printf(s, "  E_w[n L_n] at beta = %.6g: %.8g (MC se %.2g); "
                          "not WBIC (that needs beta = 1/log n = %.6g: "
                          "wbic=yes)\n",
                       r->sp.beta, r->enl, r->enl_se, r->beta_wbic);
    session_printf(s, "  Monte-Carlo errors: batch means over %zu batches "
                      "(%d per chain)\n",
                   r->nbatches, POST_BATCHES);
    for (const char *w = r->warn; *w;) { /* one a line */
        const char *e = strchr(w, '\n');
        int len = e ? (int)(e - w) : (int)strlen(w);
        session_printf(s, "  warning: %.*s\n", len, w);
        w += len + (e != NULL);
    }
}

/* Parallel tempering: the ladder and the swap acceptance per adjacent
 * pair (mean and smallest over the chains). */
static void show_tempering(session *s, const post_result *r)
{
    size_t K = r->temps, C = r->nchains;
    session_printf(s, "  parallel tempering: %zu replicas per chain at beta "
                      "=",
                   K);
    for (size_t q = 0; q < K; q++)
        session_printf(s, "%s %.4g", q ? "," : "", r->ladder[q]);
    session_printf(s, " (geometric; adjacent pairs swap, even pairs on even "
                      "steps, odd on odd; only beta = %.6g is recorded)\n",
                   r->ladder[0]);
    tbl *t = tbl_alloc(4);
    if (!t)
        return;
    static const char *const head[] = {"swap", "betas", "accepted (mean)",
                                       "min over chains"};
    for (size_t c = 0; c < 4; c++)
        tbl_header(t, c, head[c]);
    for (size_t q = 0; q + 1 < K; q++) {
        char a[48], b[64];
        double sum = 0, mn = INFINITY;
        for (size_t ch = 0; ch < C; ch++) {
            double v = r->swap[ch * (K - 1) + q];
            sum += v;
            if (!(v >= mn))
                mn = v;
        }
        snprintf(a, sizeof a, "%zu-%zu", q + 1, q + 2);
        snprintf(b, sizeof b, "%.4g-%.4g", r->ladder[q], r->ladder[q + 1]);
        tbl_row(t);
        tbl_str(t, 0, a);
        tbl_str(t, 1, b);
        tbl_num(t, 2, sum / (double)C);
        tbl_num(t, 3, mn);
    }
    tbl_print(t, &s->out, 0, 2);
    tbl_free(t);
}

static void row_fn(void *ctx, size_t i, double *v)
{
    const post_result *r = ctx;
    size_t S = r->sp.samples;
    v[0] = (double)(i / S + 1);
    v[1] = (double)(i % S + 1);
    memcpy(v + 2, r->draws + i * (r->k + 1), (r->k + 1) * sizeof *v);
}

static void export_post(session *s, const char *name, const void *p, int part)
{
    (void)name;
    (void)part;
    const post_result *r = p;
    const char **head = calloc(r->k + 3, sizeof *head);
    if (!head)
        return;
    head[0] = "chain";
    head[1] = "draw";
    for (size_t j = 0; j < r->k; j++)
        head[j + 2] = r->names[j];
    head[r->k + 2] = "loglik";
    tbl_print_numeric(&s->out, head, r->k + 3, r->nchains * r->sp.samples,
                      row_fn, (void *)r, s->csv, 0);
    free(head);
}

static void origin_post(const void *p, obj_origin *o)
{
    const post_result *r = p;
    o->model = r->model;
    o->kind = r->kind;
}

/* ---- the draws in a plane, with the singular sets ------------------------ */

/* An axis of the picture: a free parameter or a blow-down coordinate. */
static ss_status find_axis(const post_result *r, const render_request *req,
                           const char *key, const char *name, model_axis *ax)
{
    ss_status st = model_axis_find(r->m, name, ax);
    if (st != SS_OK || (!ax->is_coord && !r->m->is_free[ax->index])) {
        char(*coords)[MODEL_NAME_MAX] = calloc(r->m->P + 1, sizeof *coords);
        size_t nc = coords && r->m->type->coord_names
                        ? r->m->type->coord_names(r->m, coords)
                        : 0;
        char list[400] = "";
        size_t l = 0;
        for (size_t j = 0; j < r->k && l + MODEL_NAME_MAX + 3 < sizeof list;
             j++)
            l += (size_t)snprintf(list + l, sizeof list - l, "%s%s",
                                  j ? ", " : "", r->names[j]);
        for (size_t j = 0; j < nc && l + MODEL_NAME_MAX + 30 < sizeof list;
             j++)
            l += (size_t)snprintf(list + l, sizeof list - l, "%s%s%s",
                                  j ? ", " : "; blow-down coordinates ",
                                  coords[j], "");
        free(coords);
        ss_clear_error();
        return SS_FAIL(SS_ERR_NAME,
                       "%s has no free parameter or blow-down coordinate "
                       "'%s' (%s= takes one of: %s)",
                       req->object, name, key, list);
    }
    return SS_OK;
}

static ss_status draw_plane(const render_request *req, const post_result *r,
                            canvas *c)
{
    if (!req->x[0] || !req->y[0])
        return SS_FAIL(SS_ERR_USAGE,
                       "plot %s: give both x=NAME and y=NAME (free "
                       "parameters or blow-down coordinates) for the "
                       "draws in a plane, or neither for the trace",
                       req->object);
    const model *m = r->m;
    model_axis ax, ay;
    ss_status st = find_axis(r, req, "x", req->x, &ax);
    if (st == SS_OK)
        st = find_axis(r, req, "y", req->y, &ay);
    if (st != SS_OK)
        return st;
    if (ax.is_coord == ay.is_coord && ax.index == ay.index)
        return SS_FAIL(SS_ERR_USAGE, "plot %s: x= and y= name the same axis "
                                     "'%s'",
                       req->object, req->x);
    size_t P = m->P;
    size_t nx = c->w > 20 ? (size_t)(c->w - 12) : 8;
    size_t ny = c->h > 8 ? (size_t)(c->h - 5) * 2 : 6;
    if (nx > POST_PLANE_MAX)
        nx = POST_PLANE_MAX;
    if (ny > POST_PLANE_MAX)
        ny = POST_PLANE_MAX;
    post_plane g;
    st = post_plane_grid(r, &ax, &ay, nx, ny, &g);
    if (st != SS_OK) {
        if (st == SS_ERR_RANGE)
            return SS_FAIL(st, "plot %s: no draw has finite (%s, %s)",
                           req->object, req->x, req->y);
        return st;
    }
    double *base = g.base;
    model_singular *sets = NULL;
    size_t nsets = 0;
    if (g.used && model_singular_list(m, base, &sets, &nsets) != SS_OK) {
        ss_clear_error();
        nsets = 0;
    }
    unsigned used = g.used;
    char drawn[200] = "", others[200] = "";
    size_t l = 0;
    for (size_t q = 0; q < nsets && q < 31; q++)
        if (used >> q & 1u)
            l += (size_t)snprintf(drawn + l, l < sizeof drawn ? sizeof drawn - l : 0,
                                  "%s%s", l ? ", " : "", sets[q].name);
    if (l >= sizeof drawn)
        drawn[sizeof drawn - 1] = 0;
    /* what the rest of the point is held at: in parameters the other free
     * ones at their posterior means; in blow-down coordinates the other
     * coordinates at those of the posterior mean */
    int coord = ax.is_coord || ay.is_coord;
    l = 0;
    for (size_t j = 0; !coord && j < r->k; j++) {
        if (ax.index == r->idx[j] || ay.index == r->idx[j])
            continue;
        if (l + 40 < sizeof others)
            l += (size_t)snprintf(others + l, sizeof others - l, "%s%s=%.3g",
                                  l ? " " : " at ", r->names[j],
                                  r->mean[j]);
    }
    if (coord && m->type->coord_names && m->type->to_coords) {
        /* the other coordinates at those of the posterior mean */
        char(*cn)[MODEL_NAME_MAX] = calloc(P + 1, sizeof *cn);
        double *cv = malloc((P + 1) * sizeof *cv);
        size_t nc = cn && cv ? m->type->coord_names(m, cn) : 0;
        if (nc && m->type->to_coords(m, base, cv) == SS_OK)
            for (size_t j = 0; j < nc; j++) {
                if ((ax.is_coord && ax.index == j) ||
                    (ay.is_coord && ay.index == j))
                    continue;
                if (l + 40 < sizeof others)
                    l += (size_t)snprintf(others + l, sizeof others - l,
                                          "%s%s=%.3g", l ? " " : " at ",
                                          cn[j], cv[j]);
            }
        ss_clear_error();
        free(cn);
        free(cv);
    }
    char title[400];
    snprintf(title, sizeof title,
             "%s: draws in (%s, %s)%s; singular set%s %s",
             req->object, req->x, req->y, coord ? " (blow-down)" : "",
             strchr(drawn, ',') ? "s" : "", drawn[0] ? drawn : "none in view");
    /* where the plane of the singular sets lies, under the x axis (the
     * title is cut in narrow panes) */
    char xlab[300];
    snprintf(xlab, sizeof xlab, "%s%s%s%s", req->x, others[0] ? "   (plane" : "",
             others, others[0] ? ")" : "");
    plot_opts o;
    plot_opts_init(&o);
    o.title = render_title_or(req, title);
    o.xlabel = xlab;
    o.ylabel = req->y;
    o.palette = req->palette;
    o.zmin = req->zmin;
    o.zmax = req->zmax;
    st = plot_heatmap(c, g.z, nx, ny, g.x0, g.x1, g.y0, g.y1, g.mark, &o);
    post_plane_free(&g);
    free(sets);
    return st;
}

static ss_status draw(session *s, const render_request *req, const void *p,
                      canvas *c)
{
    (void)s;
    const post_result *r = p;
    if (req->x[0] || req->y[0])
        return draw_plane(req, r, c);
    size_t j = 0;
    if (req->col[0]) {
        for (j = 0; j < r->k && strcmp(r->names[j], req->col); j++)
            ;
        if (j == r->k)
            return SS_FAIL_COL(SS_ERR_NAME, req->col_col,
                               "%s has no parameter '%s' (col= takes one of "
                               "the free parameters)",
                               req->object, req->col);
    }
    size_t S = r->sp.samples, C = r->nchains > 8 ? 8 : r->nchains;
    double *x = malloc(S * sizeof *x), *y = malloc(C * S * sizeof *y);
    plot_series ser[8];
    char lab[8][16];
    if (!x || !y) {
        free(x);
        free(y);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    for (size_t t = 0; t < S; t++)
        x[t] = (double)(t + 1);
    for (size_t ch = 0; ch < C; ch++) {
        for (size_t t = 0; t < S; t++)
            y[ch * S + t] = r->draws[(ch * S + t) * (r->k + 1) + j];
        snprintf(lab[ch], sizeof lab[ch], "chain %zu", ch + 1);
        ser[ch] = (plot_series){x, y + ch * S, S, lab[ch], (int)ch, 0, 0};
    }
    char title[256];
    snprintf(title, sizeof title, "%s: trace of %s (%zu chain%s)",
             req->object, r->names[j], r->nchains,
             r->nchains == 1 ? "" : "s");
    plot_opts o;
    plot_opts_init(&o);
    o.title = render_title_or(req, title);
    o.xlabel = "draw";
    o.ylabel = r->names[j];
    o.legend = C > 1;
    ss_status st = plot_xy(c, ser, C, &o);
    free(x);
    free(y);
    return st;
}

static void free_post(void *p) { post_result_free(p); }

const obj_type obj_posterior = {
    .name = "posterior",
    .free = free_post,
    .print = show_post,
    .export_rows = export_post,
    .origin = origin_post,
    .draw = draw,
    .picture = "a trace plot, or the draws in a plane (x= y=)",
    .plot_keys = "col x y range palette",
    .min_w = 30,
    .min_h = 8,
};

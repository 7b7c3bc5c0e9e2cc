/* The sBIC report's class (bayes/sbic.h): `show` prints per model K, the
 * free parameters, the maximised log-likelihood, BIC (deviance scale),
 * -BIC/2 and sBIC (log-evidence scale) and the posterior model
 * probabilities each implies, which model each picks, and the learning
 * coefficients used; CSV (`--format csv`, `export S f.csv`) one row per
 * model; `plot S` -BIC/2 and sBIC against K less the best of them (a
 * log Bayes factor; solid, and dashed with + markers). */
#include "lang/commands.h"
#include "lang/render.h"

#include "bayes/sbic.h"
#include "core/table.h"
#include "plot/plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const csv_head[] = {
    "model", "K", "d", "loglik", "bic", "minus_half_bic", "sbic",
    "post_bic", "post_sbic", "lambda_own", "converged"};
#define NCSV (sizeof csv_head / sizeof *csv_head)

/* the picture shows log Bayes factors down to -SBIC_PLOT_LOW */
#define SBIC_PLOT_LOW 30.0

static void print_csv(session *s, const sbic_report *r)
{
    tbl *t = tbl_alloc(NCSV);
    if (!t)
        return;
    for (size_t c = 0; c < NCSV; c++)
        tbl_header(t, c, csv_head[c]);
    for (size_t i = 0; i < r->M; i++) {
        tbl_row(t);
        tbl_str(t, 0, r->names[i]);
        tbl_num(t, 1, (double)r->K[i]);
        tbl_num(t, 2, (double)r->d[i]);
        tbl_num(t, 3, r->ll[i]);
        tbl_num(t, 4, r->bic[i]);
        tbl_num(t, 5, r->bic[i] / -2.0);
        tbl_num(t, 6, r->sbic[i]);
        tbl_num(t, 7, r->post_bic[i]);
        tbl_num(t, 8, r->post_sbic[i]);
        tbl_num(t, 9, r->lambda[i * r->M + i]);
        tbl_num(t, 10, (double)r->converged[i]);
    }
    tbl_print(t, &s->out, 1, 0);
    tbl_free(t);
}

static void show_sbic(session *s, const char *name, const void *p)
{
    const sbic_report *r = p;
    if (s->csv) {
        print_csv(s, r);
        return;
    }
    session_printf(s,
                   "%s: singular BIC (Drton & Plummer 2017) of nested gmm "
                   "models (s = %g known) on %s, n = %zu\n",
                   name ? name : "sbic", r->s, r->data, r->n);
    tbl *t = tbl_alloc(9);
    if (!t)
        return;
    static const char *head[] = {"model",   "K",       "d",
                                 "max loglik", "BIC", "-BIC/2",
                                 "sBIC",    "P(BIC)",  "P(sBIC)"};
    for (size_t c = 0; c < 9; c++)
        tbl_header(t, c, head[c]);
    for (size_t i = 0; i < r->M; i++) {
        char mk[80];
        snprintf(mk, sizeof mk, "%s%s", r->names[i],
                 r->converged[i] ? "" : " (*)");
        tbl_row(t);
        tbl_str(t, 0, mk);
        tbl_num(t, 1, (double)r->K[i]);
        tbl_num(t, 2, (double)r->d[i]);
        tbl_num(t, 3, r->ll[i]);
        tbl_num(t, 4, r->bic[i]);
        tbl_num(t, 5, r->bic[i] / -2.0);
        tbl_num(t, 6, r->sbic[i]);
        char pb[32], ps[32];
        snprintf(pb, sizeof pb, "%.4f", r->post_bic[i]);
        snprintf(ps, sizeof ps, "%.4f", r->post_sbic[i]);
        tbl_str(t, 7, pb);
        tbl_str(t, 8, ps);
    }
    tbl_print(t, &s->out, 0, 2);
    tbl_free(t);
    session_printf(s,
                   "  scales: BIC = -2 l + d log n, the deviance scale "
                   "(smaller is better);\n"
                   "  -BIC/2 and sBIC = log L' approximate the log marginal "
                   "likelihood (larger is better);\n"
                   "  P: posterior model probabilities under a uniform prior "
                   "over the models\n");
    session_printf(s, "  BIC picks %s (K = %zu); sBIC picks %s (K = %zu)\n",
                   r->names[r->pick_bic], r->K[r->pick_bic],
                   r->names[r->pick_sbic], r->K[r->pick_sbic]);
    session_printf(s, "  learning coefficients lambda_ij (row: K fitted, "
                      "column: K of the truth; m = 1):");
    for (size_t i = 0; i < r->M; i++) {
        session_printf(s, "\n    K=%zu:", r->K[i]);
        for (size_t j = 0; j <= i; j++)
            session_printf(s, " %g", r->lambda[i * r->M + j]);
    }
    session_printf(s, "\n");
    for (size_t i = 0; i < r->M; i++)
        if (!r->converged[i]) {
            session_printf(s, "  (*) the best start of this fit stopped at "
                              "maxiter without converging\n");
            break;
        }
    if (r->nonmonotone)
        session_printf(s, "  warning: a larger model's maximised "
                          "log-likelihood is below a smaller one's: a fit "
                          "found only a local optimum (try more starts=)\n");
}

static void export_sbic(session *s, const char *name, const void *p, int part)
{
    (void)name;
    (void)part;
    print_csv(s, p);
}

static ss_status draw(session *s, const render_request *req, const void *p,
                      canvas *c)
{
    (void)s;
    const sbic_report *r = p;
    /* both on the log-evidence scale, less the largest value: a log Bayes
     * factor against the best model, so differences of a few units show
     * beside a model thousands of units worse (clipped at -SBIC_PLOT_LOW) */
    double x[SBIC_MODELS_MAX], yb[SBIC_MODELS_MAX], ys[SBIC_MODELS_MAX];
    double ref = -INFINITY, low = INFINITY;
    for (size_t i = 0; i < r->M; i++)
        ref = fmax(ref, fmax(r->bic[i] / -2.0, r->sbic[i]));
    for (size_t i = 0; i < r->M; i++) {
        x[i] = (double)r->K[i];
        yb[i] = r->bic[i] / -2.0 - ref;
        ys[i] = r->sbic[i] - ref;
        low = fmin(low, fmin(yb[i], ys[i]));
    }
    /* solid and dashed lines, and + markers on sBIC's points, so the two
     * stay apart without colour */
    plot_series ser[3] = {
        {x, yb, r->M, "-BIC/2", 0, 0, 0},
        {x, ys, r->M, "sBIC", 2, 0, 0},
        {x, ys, r->M, NULL, 1, 1, 0},
    };
    char title[256];
    snprintf(title, sizeof title,
             "%s: -BIC/2 and sBIC against K, less the best (%.6g)",
             req->object, ref);
    plot_opts o;
    plot_opts_init(&o);
    o.title = render_title_or(req, title);
    o.xlabel = "K";
    o.ylabel = low < -SBIC_PLOT_LOW ? "log evidence - best (clipped)"
                                    : "log evidence - best";
    o.legend = 1;
    if (low < -SBIC_PLOT_LOW) {
        o.ymin = -SBIC_PLOT_LOW;
        o.ymax = 0.05 * SBIC_PLOT_LOW;
    }
    return plot_xy(c, ser, 3, &o);
}

static void free_sbic(void *p) { free(p); }

const obj_type obj_sbic = {
    .name = "sbic",
    .free = free_sbic,
    .print = show_sbic,
    .export_rows = export_sbic,
    .draw = draw,
    .picture = "-BIC/2 and sBIC against K, less the best",
    .min_w = 30,
    .min_h = 8,
};

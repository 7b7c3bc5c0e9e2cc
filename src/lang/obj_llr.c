/* The likelihood-ratio experiment's class (infer/llr.h): `show` prints the
 * summary (mean with its standard error, quantiles, chi^2_k and the limit
 * law), `export` one row per replicate, `plot` the histogram of 2LLR with
 * the chi^2_k density and the limit law's density overlaid. */
#include "lang/commands.h"
#include "lang/shard.h"
#include "lang/render.h"

#include "core/table.h"
#include "infer/llr.h"
#include "plot/plot.h"

#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The replicates whose fit did not converge (col), the first few by
 * number, into buf. */
static void list_nonconv(const llr_result *r, size_t col, char *buf, size_t n)
{
    size_t o = 0, shown = 0;
    buf[0] = 0;
    for (size_t i = 0; i < r->ndone && o < n; i++) {
        if (r->rows[i * r->ncols + col] != 0)
            continue;
        if (shown++ == 8) {
            snprintf(buf + o, n - o, ", ...");
            return;
        }
        o += (size_t)snprintf(buf + o, n - o, "%s%zu", o ? ", " : "",
                              r->sp.first + i + 1);
    }
}

static void print_csv(session *s, const llr_result *r)
{
    tbl *t = tbl_alloc(2);
    if (!t)
        return;
    tbl_header(t, 0, "field");
    tbl_header(t, 1, "value");
    tbl_field(t, "replicates", (double)r->ndone);
    tbl_field(t, "first", (double)r->sp.first + 1);
    tbl_field(t, "reps", (double)r->sp.reps);
    tbl_field(t, "n", (double)r->sp.n);
    tbl_field(t, "seed", (double)r->sp.seed);
    tbl_field(t, "k", (double)r->k);
    tbl_field(t, "mean", r->s.mean);
    tbl_field(t, "se", r->s.se);
    tbl_field(t, "sd", r->s.sd);
    tbl_field(t, "q05", r->s.q05);
    tbl_field(t, "q50", r->s.q50);
    tbl_field(t, "q90", r->q90);
    tbl_field(t, "q95", r->s.q95);
    tbl_field(t, "q99", r->q99);
    tbl_field(t, "chi2_crit95", r->crit);
    tbl_field(t, "reject_chi2", r->reject);
    tbl_field(t, "reject_chi2_se", r->reject_se);
    tbl_field(t, "ks_chi2", r->ks_chi2);
    tbl_field(t, "ks_chi2_p", r->ks_chi2_p);
    tbl_field(t, "limit_mean", r->lim_mean);
    tbl_field(t, "limit_q95", r->lim_q95);
    tbl_field(t, "reject_limit", r->reject_limit);
    tbl_field(t, "ks_limit", r->ks_limit);
    tbl_field(t, "ks_limit_p", r->ks_limit_p);
    tbl_field(t, "nonconverged_null", (double)r->nonconv0);
    tbl_field(t, "nonconverged_alt", (double)r->nonconv1);
    tbl_field(t, "failed", (double)r->failed);
    tbl_print(t, &s->out, 1, 0);
    tbl_free(t);
}

static void show_llr(session *s, const char *name, const void *p)
{
    const llr_result *r = p;
    if (s->csv) {
        print_csv(s, r);
        return;
    }
    session_printf(s,
                   "%s: 2LLR of %s (%zu free) against %s (%zu free), k = "
                   "%zu, over %zu replicate%s of n=%zu from %s (%s), seed "
                   "%llu\n  fits: %s: %s; %s: %s\n",
                   name ? name : "llr", r->null, r->k0, r->alt, r->k1, r->k,
                   r->ndone, r->ndone == 1 ? "" : "s", r->sp.n, r->truth,
                   r->kind, (unsigned long long)r->sp.seed, r->null, r->fit0,
                   r->alt, r->fit1);
    if (r->sp.first || r->sp.count != r->sp.reps)
        session_printf(s, "  replicates %zu .. %zu of %zu\n",
                       r->sp.first + 1, r->sp.first + r->sp.count,
                       r->sp.reps);
    if (r->interrupted)
        session_printf(s, "  interrupted: %zu of %zu replicates finished "
                          "(the first %zu)\n",
                       r->ndone, r->sp.count, r->ndone);
    session_printf(s, "  mean %.6g (se %.3g), sd %.6g over %zu finite "
                      "values\n",
                   r->s.mean, r->s.se, r->s.sd, r->s.count);
    session_printf(s, "  quantiles: 5%% %.4g, 50%% %.4g, 90%% %.4g, 95%% "
                      "%.4g, 99%% %.4g; max %.4g\n",
                   r->s.q05, r->s.q50, r->q90, r->s.q95, r->q99, r->s.max);
    session_printf(s, "  chi^2_%zu: mean %zu, 95%% point %.4g; rejection "
                      "rate %.4g (se %.2g, nominal 0.05); Kolmogorov "
                      "distance %.4g (p = %.3g)\n",
                   r->k, r->k, r->crit, r->reject, r->reject_se, r->ks_chi2,
                   r->ks_chi2_p);
    if (r->law.kind == LIMIT_NONE)
        session_printf(s, "  limit law: none offered (%s)\n", r->law.why);
    else if (!r->nsims)
        session_printf(s, "  limit law: %s (not simulated: sims=0)\n",
                       r->law.what);
    else {
        session_printf(s, "  limit law: %s\n", r->law.what);
        session_printf(s, "    %zu simulations on %zu grid points (jitter "
                          "%g): mean %.4g, 95%% point %.4g; rejection rate "
                          "at it %.4g; Kolmogorov distance %.4g (p = %.3g, "
                          "two-sample)\n",
                       r->nsims, r->law.grid, r->jitter, r->lim_mean,
                       r->lim_q95, r->reject_limit, r->ks_limit,
                       r->ks_limit_p);
    }
    char l0[160], l1[160];
    list_nonconv(r, LLR_COL_CONV0, l0, sizeof l0);
    list_nonconv(r, LLR_COL_CONV1, l1, sizeof l1);
    session_printf(s, "  fits not converged: null %zu%s%s%s, alt %zu%s%s%s; "
                      "failed (2LLR missing) %zu\n",
                   r->nonconv0, l0[0] ? " (replicates " : "", l0,
                   l0[0] ? ")" : "", r->nonconv1, l1[0] ? " (replicates " : "",
                   l1, l1[0] ? ")" : "", r->failed);
}

static void row_fn(void *ctx, size_t i, double *v)
{
    const llr_result *r = ctx;
    v[0] = (double)(r->sp.first + i + 1);
    for (size_t c = 0; c < r->ncols; c++) {
        double x = r->rows[i * r->ncols + c];
        v[c + 1] = isfinite(x) ? x : NAN;
    }
}

static void export_llr(session *s, const char *name, const void *p, int part)
{
    (void)name;
    (void)part;
    const llr_result *r = p;
    const char **head = calloc(r->ncols + 1, sizeof *head);
    if (!head)
        return;
    head[0] = "rep";
    for (size_t c = 0; c < r->ncols; c++)
        head[c + 1] = r->colnames[c];
    if (s->csv && r->exp.reps) /* what merge needs to read it back */
        exp_origin_write(s, &r->exp);
    tbl_print_numeric(&s->out, head, r->ncols + 1, r->ndone, row_fn,
                      (void *)r, s->csv, 0);
    free(head);
}

static void origin_llr(const void *p, obj_origin *o)
{
    const llr_result *r = p;
    o->model = r->alt;
    o->kind = r->kind;
}

#define NCURVE 160

/* A kernel density of sorted draws at x (Gaussian kernel, Silverman's
 * bandwidth, reflected at 0 since the statistic is >= 0). */
static double kde(const double *s, size_t n, double h, double x)
{
    double acc = 0;
    for (size_t i = 0; i < n; i++) {
        double a = (x - s[i]) / h, b = (x + s[i]) / h;
        if (fabs(a) < 8)
            acc += exp(-0.5 * a * a);
        if (fabs(b) < 8)
            acc += exp(-0.5 * b * b);
    }
    return acc / ((double)n * h * sqrt(2 * M_PI));
}

static ss_status draw(session *s, const render_request *req, const void *p,
                      canvas *c)
{
    (void)s;
    const llr_result *r = p;
    double *x = malloc((r->ndone ? r->ndone : 1) * sizeof *x);
    double *cx = malloc(NCURVE * sizeof *cx), *cy = malloc(NCURVE * sizeof *cy);
    double *lx = malloc(NCURVE * sizeof *lx), *ly = malloc(NCURVE * sizeof *ly);
    ss_status st = SS_OK;
    if (!x || !cx || !cy || !lx || !ly) {
        st = SS_FAIL(SS_ERR_NOMEM, "out of memory");
        goto done;
    }
    size_t m = 0;
    double xmax = 0;
    for (size_t i = 0; i < r->ndone; i++) {
        double v = r->rows[i * r->ncols + LLR_COL_STAT];
        if (isfinite(v)) {
            x[m++] = v;
            xmax = fmax(xmax, v);
        }
    }
    if (m == 0) {
        st = SS_FAIL(SS_ERR_RANGE, "%s: no finite 2LLR %s", req->object,
                     r->ndone ? "in the replicates"
                              : "yet (no replicate finished)");
        goto done;
    }
    /* the curves over [0, xmax]; chi^2_1's density is infinite at 0, so
     * points above 3x the density at x = xmax/40 are left out */
    double top = xmax > 0 ? xmax : 1, K = (double)r->k;
    double cap = 3 * gsl_ran_chisq_pdf(top / 40, K);
    for (size_t i = 0; i < NCURVE; i++) {
        double t = top * (double)(i + 1) / NCURVE;
        cx[i] = t;
        double d = gsl_ran_chisq_pdf(t, K);
        cy[i] = d <= cap || K > 2 ? d : NAN;
    }
    plot_series cs[2];
    char lchi[32];
    snprintf(lchi, sizeof lchi, "chi^2_%zu", r->k);
    cs[0] = (plot_series){cx, cy, NCURVE, lchi, -1, 0, 1};
    size_t nc = 1;
    if (r->nsims > 1) {
        double sd = 0, mean = r->lim_mean;
        for (size_t j = 0; j < r->nsims; j++)
            sd += (r->sims[j] - mean) * (r->sims[j] - mean);
        sd = sqrt(sd / (double)(r->nsims - 1));
        /* subsample the sorted draws evenly: at most 4000 kernel centres */
        size_t step = r->nsims > 4000 ? r->nsims / 4000 : 1, ns = 0;
        double *sub = malloc((r->nsims / step + 1) * sizeof *sub);
        if (!sub) {
            st = SS_FAIL(SS_ERR_NOMEM, "out of memory");
            goto done;
        }
        for (size_t j = step / 2; j < r->nsims; j += step)
            sub[ns++] = r->sims[j];
        double h = 0.9 * sd * pow((double)ns, -0.2);
        for (size_t i = 0; i < NCURVE; i++) {
            lx[i] = top * (double)(i + 1) / NCURVE;
            ly[i] = h > 0 ? kde(sub, ns, h, lx[i]) : NAN;
        }
        free(sub);
        cs[nc++] = (plot_series){lx, ly, NCURVE, "limit law", 1, 0, 0};
    }
    char title[512], count[64];
    if (r->ndone < r->sp.count)
        snprintf(count, sizeof count, "%zu of %zu replicates", r->ndone,
                 r->sp.count);
    else
        snprintf(count, sizeof count, "%zu replicates", r->ndone);
    snprintf(title, sizeof title, "%s: 2LLR %s vs %s over %s (n=%zu)",
             req->object, r->null, r->alt, count, r->sp.n);
    plot_opts o;
    plot_opts_init(&o);
    o.title = render_title_or(req, title);
    o.xlabel = "2LLR";
    o.ylabel = "density";
    o.legend = 1;
    st = plot_histogram_curves(c, x, m, (size_t)req->bins, cs, nc, &o);
done:
    free(x);
    free(cx);
    free(cy);
    free(lx);
    free(ly);
    return st;
}

static void free_llr(void *p) { llr_result_free(p); }

const obj_type obj_llr = {
    .name = "likelihood-ratio experiment",
    .free = free_llr,
    .print = show_llr,
    .export_rows = export_llr,
    .origin = origin_llr,
    .draw = draw,
    .picture = "a histogram of 2LLR",
    .plot_keys = "bins",
    .min_w = 30,
    .min_h = 8,
};

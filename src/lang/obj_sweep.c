/* The sweep class (learn/sweep.h): a grid of mini-batch sgd runs.
 *
 * `show` prints what made it, the critical learning rate 2 / lambda_max
 * at the start, and one row per run: batch, eta, eta over the critical
 * rate, steps, the running means C_K and L_K after the last step, the
 * final training, test and generalisation losses, whether it diverged
 * (CSV: the same, one table). `export` writes the rows. `plot` draws every
 * run as a point in the (C_K, L_K) plane (log-log by default), coloured
 * and, so that it reads without colour too, shaped by the tercile of its
 * final test loss (the training loss without test data): + the lowest
 * third, x the middle, a square the highest, a dot the runs that
 * diverged; the legend gives each group's loss range. */
#include "lang/commands.h"
#include "lang/render.h"

#include "core/table.h"
#include "learn/sweep.h"
#include "plot/plot.h"

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const double *row_of(const learn_sweep *w, size_t r)
{
    return w->rows + r * SW_NCOLS;
}

static void sweep_table(session *s, const learn_sweep *w, int indent)
{
    static const char *h[] = {"batch",  "eta",        "eta_over_crit",
                              "steps",  "C_K",        "L_K",
                              "train_loss", "test_loss", "gen_loss",
                              "diverged"};
    size_t nh = sizeof h / sizeof *h;
    tbl *t = tbl_alloc(nh);
    if (!t)
        return;
    for (size_t j = 0; j < nh; j++)
        tbl_header(t, j, h[j]);
    for (size_t r = 0; r < w->ndone; r++) {
        const double *x = row_of(w, r);
        tbl_row(t);
        tbl_num(t, 0, x[SW_BATCH]);
        tbl_num(t, 1, x[SW_LR]);
        tbl_num(t, 2, isfinite(w->crit_lr) ? x[SW_LR] / w->crit_lr : NAN);
        tbl_num(t, 3, x[SW_STEPS]);
        tbl_num(t, 4, x[SW_CBAR]);
        tbl_num(t, 5, x[SW_LBAR]);
        tbl_num(t, 6, x[SW_TRAIN]);
        tbl_num(t, 7, x[SW_TEST]);
        tbl_num(t, 8, x[SW_GEN]);
        tbl_str(t, 9, x[SW_DIVERGED] != 0 ? "yes" : "no");
    }
    tbl_print(t, &s->out, s->csv, indent);
    tbl_free(t);
}

static void print_sweep(session *s, const char *name, const void *p)
{
    const learn_sweep *w = p;
    if (s->csv) {
        sweep_table(s, w, 0);
        return;
    }
    session_printf(s, "%s: %zu mini-batch sgd run%s of %s (%s) on %s (%zu "
                      "rows), %llu epoch%s each, seed %llu%s\n",
                   name ? name : "sweep", w->ndone,
                   w->ndone == 1 ? "" : "s", w->student, w->kind, w->data,
                   w->n, (unsigned long long)w->epochs,
                   w->epochs == 1 ? "" : "s", (unsigned long long)w->seed,
                   w->interrupted ? ", interrupted" : "");
    if (*w->test)
        session_printf(s, "  test data: %s\n", w->test);
    if (isfinite(w->crit_lr))
        session_printf(s, "  critical learning rate 2/lambda_max = %.6g "
                          "(lambda_max = %.6g of the Gauss-Newton matrix of "
                          "the training loss at the start)\n",
                       w->crit_lr, w->gn_lmax);
    else if (*w->crit_note)
        session_printf(s, "  critical learning rate: %s\n", w->crit_note);
    session_printf(s, "  C_K, L_K: running means of the truncated condition "
                      "number and of the energy over all steps; run r "
                      "shuffles from stream (seed, 23, r)\n");
    if (w->interrupted)
        session_printf(s, "  interrupted: %zu of %zu runs finished (the "
                          "first %zu)\n",
                       w->ndone, w->nrun, w->ndone);
    sweep_table(s, w, 2);
}

static void export_sweep(session *s, const char *name, const void *p,
                         int part)
{
    (void)name;
    (void)part;
    sweep_table(s, p, 0);
}

static void origin_sweep(const void *p, obj_origin *o)
{
    const learn_sweep *w = p;
    o->model = w->student;
    o->kind = w->kind;
    o->point = w->theta0; /* every run starts there */
    o->npoint = w->P;
    o->point_word = "starting at";
}

static void free_sweep(void *p) { learn_sweep_free(p); }

/* ---- the (C_K, L_K) picture ---------------------------------------------- */

/* The loss that colours a run: the test loss, else the training loss. */
static double colour_loss(const learn_sweep *w, const double *x)
{
    return *w->test ? x[SW_TEST] : x[SW_TRAIN];
}

/* The range of the values v[g][0..cnt[g]-1] widened by the fractions
 * below and above of its span (in decades on a log axis); unchanged (NaN,
 * automatic) when the values do not span a range. */
static void pad_range(double *const v[4], const size_t cnt[4], int log,
                      double below, double above, double *lo_out,
                      double *hi_out)
{
    double lo = INFINITY, hi = -INFINITY;
    for (size_t g = 0; g < 4; g++)
        for (size_t i = 0; i < cnt[g]; i++)
            if (isfinite(v[g][i]) && (!log || v[g][i] > 0)) {
                lo = fmin(lo, v[g][i]);
                hi = fmax(hi, v[g][i]);
            }
    if (!(lo < hi))
        return;
    if (log) {
        double r = hi / lo;
        *lo_out = lo / pow(r, below);
        *hi_out = hi * pow(r, above);
    } else {
        double d = hi - lo;
        *lo_out = lo - below * d;
        *hi_out = hi + above * d;
    }
}

static ss_status draw_sweep(session *s, const render_request *req,
                            const void *p, canvas *c)
{
    (void)s;
    const learn_sweep *w = p;
    size_t n = w->ndone;
    double *buf = malloc((8 * (n ? n : 1) + n + 1) * sizeof *buf);
    if (!buf)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    double *loss = buf + 8 * (n ? n : 1);
    size_t nl = 0;
    for (size_t r = 0; r < n; r++) {
        const double *x = row_of(w, r);
        double v = colour_loss(w, x);
        if (x[SW_DIVERGED] == 0 && isfinite(v))
            loss[nl++] = v;
    }
    double q1 = NAN, q2 = NAN;
    if (nl) {
        gsl_sort(loss, 1, nl);
        q1 = gsl_stats_quantile_from_sorted_data(loss, 1, nl, 1.0 / 3.0);
        q2 = gsl_stats_quantile_from_sorted_data(loss, 1, nl, 2.0 / 3.0);
    }
    /* groups: 0 low, 1 middle, 2 high, 3 diverged or no loss */
    size_t cnt[4] = {0, 0, 0, 0};
    double *gx[4], *gy[4];
    for (int g = 0; g < 4; g++) {
        gx[g] = buf + (size_t)(2 * g) * (n ? n : 1);
        gy[g] = gx[g] + (n ? n : 1);
    }
    for (size_t r = 0; r < n; r++) {
        const double *x = row_of(w, r);
        double v = colour_loss(w, x);
        int g = x[SW_DIVERGED] != 0 || !isfinite(v) ? 3
                : v <= q1                          ? 0
                : v <= q2                          ? 1
                                                   : 2;
        gx[g][cnt[g]] = x[SW_CBAR];
        gy[g][cnt[g]] = x[SW_LBAR];
        cnt[g]++;
    }
    const char *what = *w->test ? "test loss" : "train loss";
    char lab[4][96];
    snprintf(lab[0], sizeof lab[0], "<= %.4g (%zu)", q1, cnt[0]);
    snprintf(lab[1], sizeof lab[1], "%.4g..%.4g (%zu)", q1, q2, cnt[1]);
    snprintf(lab[2], sizeof lab[2], "> %.4g (%zu)", q2, cnt[2]);
    snprintf(lab[3], sizeof lab[3], "diverged (%zu)", cnt[3]);
    /* marker shapes: style 1 +, 2 x, 3 square, 0 a dot */
    static const int style[4] = {1, 2, 3, 0};
    plot_series ser[4];
    size_t ns = 0;
    for (int g = 0; g < 4; g++)
        if (cnt[g])
            ser[ns++] = (plot_series){gx[g], gy[g], cnt[g], lab[g],
                                      style[g], 1, 0};
    plot_opts o;
    plot_opts_init(&o);
    char title[192];
    snprintf(title, sizeof title, "%s: %zu runs of %s, marked by the "
                                  "tercile of the final %s",
             req->object, n, w->student, what);
    o.title = render_title_or(req, title);
    o.xlabel = "C_K (mean truncated condition number)";
    o.ylabel = "L_K (mean energy)";
    o.xlog = req->logx >= 0 ? req->logx : 1;
    o.ylog = req->logy >= 0 ? req->logy : 1;
    o.legend = 1;
    /* headroom above the points (the legend goes into an empty corner
     * instead of over a run) and a margin around them (markers at the
     * edge stay whole) */
    pad_range(gy, cnt, o.ylog, 0.08, 0.6, &o.ymin, &o.ymax);
    pad_range(gx, cnt, o.xlog, 0.05, 0.05, &o.xmin, &o.xmax);
    ss_status rc = ns ? plot_xy(c, ser, ns, &o)
                      : SS_FAIL(SS_ERR_RANGE, "nothing to plot: no run "
                                              "finished");
    free(buf);
    return rc;
}

const obj_type obj_sweep = {
    .name = "sweep",
    .free = free_sweep,
    .print = print_sweep,
    .export_rows = export_sweep,
    .origin = origin_sweep,
    .draw = draw_sweep,
    .picture = "a sweep picture",
    .plot_keys = "logx logy",
    .min_w = 30,
    .min_h = 10,
};

/* The rlct class for method=wbic (bayes/rlct_wbic.h): `show` prints the
 * slope of WBIC - n L_n(w0) against log n with its standard error beside
 * the known value and k/2, and the two-temperature estimate per n;
 * `export` one row per run; `plot` lambda-hat(n) against n (log axis) with
 * error bars, the slope, the known lambda and k/2 as horizontal lines. */
#include "lang/rlct_wbic_lang.h"

#include "lang/commands.h"

#include "bayes/rlct_wbic.h"
#include "core/table.h"
#include "plot/plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rlct_wbic_show(session *s, const char *name, const rlct_result *r)
{
    const rlct_wbic_data *d = r->wbic;
    const rlctw_spec *sp = &d->sp;
    double half = 0.5 * (double)r->k;
    double est = r->corrected ? r->lambda_c : r->lambda;
    double se = r->corrected ? r->se_c : r->se;
    size_t R = sp->reps;
    if (s->csv) {
        tbl *t = tbl_alloc(2);
        if (!t)
            return;
        tbl_header(t, 0, "field");
        tbl_header(t, 1, "value");
        tbl_field(t, "runs", (double)d->runs_done);
        tbl_field(t, "n_points", (double)d->Jdone);
        tbl_field(t, "reps", (double)R);
        tbl_field(t, "seed", (double)r->sp.seed);
        tbl_field(t, "k", (double)r->k);
        tbl_field(t, "n_min", (double)sp->ns[0]);
        tbl_field(t, "n_max", (double)sp->ns[d->Jdone - 1]);
        tbl_field(t, "lambda", r->lambda);
        tbl_field(t, "lambda_se", r->se);
        tbl_field(t, "lambda_corrected", r->corrected ? r->lambda_c : NAN);
        tbl_field(t, "lambda_corrected_se", r->corrected ? r->se_c : NAN);
        tbl_field(t, "lambda_two_temp", d->lam2_all);
        tbl_field(t, "lambda_two_temp_se", d->lam2_all_se);
        tbl_field(t, "lambda_known", r->known);
        tbl_field(t, "m_known", r->m_known > 0 ? r->m_known : NAN);
        tbl_field(t, "k_half", half);
        tbl_print(t, &s->out, 1, 0);
        tbl_free(t);
        return;
    }
    session_printf(s,
                   "%s: learning coefficient of %s (%s, k=%zu free) at the "
                   "truth %s, WBIC over n, %zu sample sizes %zu..%zu x %zu "
                   "replicate%s, seed %llu\n",
                   name ? name : "rlct", r->model, r->kind, r->k, r->truth,
                   d->Jdone, sp->ns[0], sp->ns[d->Jdone - 1], R,
                   R == 1 ? "" : "s", (unsigned long long)r->sp.seed);
    if (r->interrupted)
        session_printf(s, "  interrupted: %zu of %zu sample sizes finished "
                          "(n up to %zu)\n",
                       d->Jdone, sp->J, sp->ns[d->Jdone - 1]);
    session_printf(s,
                   "  each run: a data set from the truth, %zu chains x %zu "
                   "draws (burn-in %zu, %s) at beta = 1/log n and 2/log n\n",
                   sp->chains, sp->samples, sp->burnin,
                   sp->sampler == POST_MALA ? "mala" : "rwm");
    session_printf(s,
                   "  fit: y = WBIC - n L_n(w0) on log n over %zu runs "
                   "(residual sd %.3g)\n",
                   d->runs_done, d->resid_sd);
    session_printf(s,
                   "  lambda-hat (slope): %.4f (se %.2g, from the residual "
                   "scatter)\n",
                   r->lambda, r->se);
    if (r->corrected)
        session_printf(s,
                       "  lambda-hat (slope of y + (m-1) log log n, m = %g): "
                       "%.4f (se %.2g)\n",
                       r->m_known, r->lambda_c, r->se_c);
    session_printf(s,
                   "  lambda-hat (two temperatures, mean over the runs): "
                   "%.4f (se %.2g; biased low at finite n)\n",
                   d->lam2_all, d->lam2_all_se);
    if (!isnan(r->known)) {
        char m[32] = "m not known";
        if (r->m_known > 0)
            snprintf(m, sizeof m, "m = %g", r->m_known);
        session_printf(s, "  theory: lambda = %.4g (%s; %s); z = %.2f\n",
                       r->known, r->known_what, m,
                       se > 0 ? (est - r->known) / se : NAN);
    } else {
        session_printf(s, "  theory: no known value for this model and "
                          "truth\n");
    }
    session_printf(s, "  regular k/2 = %g; z = %.2f\n", half,
                   se > 0 ? (est - half) / se : NAN);
    if (d->warn[0])
        session_printf(s, "  warning: %s\n", d->warn);
    session_printf(s, "  %8s %10s %12s %9s\n", "n", "mean y",
                   "lambda-hat(n)", R >= 2 ? "se (reps)" : "se (MC)");
    for (size_t j = 0; j < d->Jdone; j++) {
        double my = 0;
        for (size_t i = 0; i < R; i++)
            my += d->y[j * R + i];
        session_printf(s, "  %8zu %10.4g %12.4f %9.2g\n", sp->ns[j],
                       my / (double)R, d->lamn[j], d->lamn_se[j]);
    }
}

static void row_fn(void *ctx, size_t q, double *v)
{
    const rlct_wbic_data *d = ctx;
    size_t R = d->sp.reps;
    v[0] = (double)d->sp.ns[q / R];
    v[1] = (double)(q % R);
    v[2] = d->wbic[q];
    v[3] = d->wbic_se[q];
    v[4] = d->nl0[q];
    v[5] = d->y[q];
    v[6] = d->lam2[q];
    v[7] = d->lam2_se[q];
}

void rlct_wbic_export(session *s, const rlct_result *r)
{
    static const char *head[] = {"n",        "rep",      "wbic",
                                 "wbic_se",  "nL_n_w0",  "y",
                                 "lambda2",  "lambda2_se"};
    tbl_print_numeric(&s->out, head, 8, r->wbic->runs_done, row_fn,
                      r->wbic, s->csv, 0);
}

ss_status rlct_wbic_draw(const render_request *req, const rlct_result *r,
                         canvas *c)
{
    const rlct_wbic_data *d = r->wbic;
    size_t J = d->Jdone;
    /* points, error bars (lo, hi, gap per n), three horizontal lines */
    size_t nt = J + 3 * J + 6;
    double *x = malloc(nt * sizeof *x), *y = malloc(nt * sizeof *y);
    if (!x || !y) {
        free(x);
        free(y);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    double *ex = x + J, *ey = y + J, *hx = ex + 3 * J, *hy = ey + 3 * J;
    for (size_t j = 0; j < J; j++) {
        double n = (double)d->sp.ns[j], e = 2 * d->lamn_se[j];
        x[j] = n;
        y[j] = d->lamn[j];
        ex[3 * j] = ex[3 * j + 1] = n;
        ey[3 * j] = d->lamn[j] - e;
        ey[3 * j + 1] = d->lamn[j] + e;
        ex[3 * j + 2] = ey[3 * j + 2] = NAN;
    }
    /* the horizontal lines span the n range, a little beyond */
    double xa = (double)d->sp.ns[0] / 1.15,
           xb = (double)d->sp.ns[J - 1] * 1.15;
    double lv[3] = {r->corrected ? r->lambda_c : r->lambda, r->known,
                    0.5 * (double)r->k};
    char lab[5][64];
    snprintf(lab[0], sizeof lab[0], "lambda-hat(n) +-2 se");
    lab[1][0] = 0;
    snprintf(lab[2], sizeof lab[2], "WBIC slope %.3g", lv[0]);
    snprintf(lab[3], sizeof lab[3], "theory %.3g", lv[1]);
    snprintf(lab[4], sizeof lab[4], "k/2 = %g", lv[2]);
    plot_series ser[5];
    size_t ns = 0;
    /* the estimates as plus signs over solid bars */
    ser[ns++] = (plot_series){ex, ey, 3 * J, NULL, 0, 0, 0};
    ser[ns++] = (plot_series){x, y, J, lab[0], 1, 1, 0};
    /* each line its own dash pattern (sparse dots, dashed, dash-dot), so
     * they stay apart without colour */
    static const int style[3] = {4, 2, 3};
    for (size_t i = 0; i < 3; i++) {
        if (isnan(lv[i]))
            continue;
        hx[2 * i] = xa;
        hx[2 * i + 1] = xb;
        hy[2 * i] = hy[2 * i + 1] = lv[i];
        ser[ns++] = (plot_series){hx + 2 * i, hy + 2 * i, 2, lab[2 + i],
                                  style[i], 0, 0};
    }
    char title[256];
    snprintf(title, sizeof title,
             "%s: lambda-hat against n", 
             req->object);
    plot_opts o;
    plot_opts_init(&o);
    o.title = render_title_or(req, title);
    o.xlabel = "n";
    o.ylabel = "lambda";
    o.xlog = 1;
    o.legend = 1;
    /* from 0 (or the lowest bar) to well above k/2: the legend's room
     * above the lines */
    double lo = 0, hi = 0;
    for (size_t i = 0; i < 3 * J; i++)
        if (isfinite(ey[i])) {
            lo = fmin(lo, ey[i]);
            hi = fmax(hi, ey[i]);
        }
    for (size_t i = 0; i < 3; i++)
        if (isfinite(lv[i]))
            hi = fmax(hi, lv[i]);
    o.ymin = lo;
    o.ymax = 1.6 * hi;
    ss_status st = plot_xy(c, ser, ns, &o);
    free(x);
    free(y);
    return st;
}

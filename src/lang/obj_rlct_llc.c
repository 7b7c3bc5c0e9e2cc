/* The rlct estimate of method=llc (bayes/llc.h): `show` prints lambda-hat
 * with its batch-means error, the run's settings, the chains' agreement
 * and the known value and k/2 with z-scores; `export` the loss trace per
 * chain (means over blocks of steps); `plot` each chain's running
 * lambda-hat with the estimate and the reference levels. */
#include "lang/rlct_llc.h"

#include "bayes/llc.h"
#include "core/table.h"
#include "plot/plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double z_of(double est, double ref, double se)
{
    return se > 0 ? (est - ref) / se : NAN;
}

void rlct_llc_show(session *s, const char *name, const llc_result *r)
{
    double half = 0.5 * (double)r->k;
    const llc_spec *sp = &r->sp;
    double all = (double)r->nchains * (double)(sp->steps + sp->burnin);
    if (s->csv) {
        tbl *t = tbl_alloc(2);
        if (!t)
            return;
        tbl_header(t, 0, "field");
        tbl_header(t, 1, "value");
        tbl_field(t, "n", (double)r->n);
        tbl_field(t, "seed", (double)sp->seed);
        tbl_field(t, "k", (double)r->k);
        tbl_field(t, "beta", sp->beta);
        tbl_field(t, "n_beta", r->nbeta);
        tbl_field(t, "eps", sp->eps);
        tbl_field(t, "gamma", sp->gamma);
        tbl_field(t, "batch", (double)sp->batch);
        tbl_field(t, "chains", (double)r->nchains);
        tbl_field(t, "steps", (double)sp->steps);
        tbl_field(t, "burnin", (double)sp->burnin);
        tbl_field(t, "L_n_wstar", r->Lstar);
        tbl_field(t, "lambda", r->lambda);
        tbl_field(t, "lambda_se", r->se);
        tbl_field(t, "chain_spread", r->spread);
        tbl_field(t, "drift_z", r->drift_z);
        tbl_field(t, "reflected", r->reflected);
        tbl_field(t, "refused", r->refused);
        tbl_field(t, "lambda_known", r->known);
        tbl_field(t, "m_known", r->m_known > 0 ? r->m_known : NAN);
        tbl_field(t, "k_half", half);
        tbl_print(t, &s->out, 1, 0);
        tbl_free(t);
        return;
    }
    session_printf(s,
                   "%s: local learning coefficient of %s (%s, k=%zu free) "
                   "at the truth %s, SGLD localised at w*, seed %llu\n",
                   name ? name : "rlct", r->model, r->kind, r->k, r->truth,
                   (unsigned long long)sp->seed);
    if (r->drawn)
        session_printf(s, "  data: %zu observations drawn from %s\n", r->n,
                       r->truth);
    else
        session_printf(s, "  data: %s (%zu likelihood terms)\n", r->data,
                       r->n);
    char bt[48];
    if (sp->batch >= r->n)
        snprintf(bt, sizeof bt, "full batch");
    else
        snprintf(bt, sizeof bt, "minibatch %zu", sp->batch);
    session_printf(s,
                   "  beta %.4g%s (n beta = %.4g), eps %g, gamma %g, %s\n",
                   sp->beta,
                   fabs(sp->beta * log((double)r->n) - 1) < 1e-12
                       ? " = 1/log n"
                       : "",
                   r->nbeta, sp->eps, sp->gamma, bt);
    session_printf(s,
                   "  %zu chains x %zu steps after %zu burn-in; the "
                   "full-data L_n at every step\n",
                   r->nchains, sp->steps, sp->burnin);
    if (r->interrupted)
        session_printf(s, "  interrupted: %zu of %zu chains finished (the "
                          "first %zu)\n",
                       r->nchains, sp->chains, r->nchains);
    if (sp->at_min)
        session_printf(s,
                       "  at=min: centred at the minimiser w-hat of n beta "
                       "L_n + (gamma/2)|w - w*|^2, %.4g from w*; L_n there "
                       "%.6g, at the truth %.6g (below it by %.4g in n "
                       "beta units); w* below is w-hat\n",
                       r->moved, r->Lstar, r->Ltruth,
                       r->nbeta * (r->Ltruth - r->Lstar));
    session_printf(s,
                   "  L_n(w*) = %.6g; steps reflected at a bound %.0f, "
                   "refused %.0f (of %.0f)\n",
                   r->Lstar, r->reflected, r->refused, all);
    session_printf(s,
                   "  lambda-hat = n beta (E_w[L_n] - L_n(w*)): %.4f (se "
                   "%.2g, %zu batches)\n",
                   r->lambda, r->se, r->nchains * LLC_BATCHES);
    if (r->nchains >= 2)
        session_printf(s,
                       "  chains agree: their means spread %.2f times their "
                       "errors; halves %.4f then %.4f (z = %.2f)\n",
                       r->spread, r->first, r->second, r->drift_z);
    else
        session_printf(s, "  halves %.4f then %.4f (z = %.2f)\n", r->first,
                       r->second, r->drift_z);
    if (!isnan(r->known)) {
        char mk[32] = "m not known";
        if (r->m_known > 0)
            snprintf(mk, sizeof mk, "m = %g", r->m_known);
        session_printf(s, "  theory: lambda = %.4g (%s; %s); z = %.2f\n",
                       r->known, r->known_what, mk,
                       z_of(r->lambda, r->known, r->se));
        if (r->m_known > 1)
            session_printf(s,
                           "  (m > 1: at finite n beta the expectation is "
                           "about lambda - (m-1)/log(n beta) = %.3f)\n",
                           r->known - (r->m_known - 1) / log(r->nbeta));
    } else {
        session_printf(s, "  theory: no known value for this model and "
                          "truth\n");
    }
    session_printf(s, "  regular k/2 = %g; z = %.2f\n", half,
                   z_of(r->lambda, half, r->se));
    session_printf(s, "  (the error is the chains' own; a different data "
                      "set moves lambda-hat by about sqrt(lambda beta / 2) "
                      "= %.2g)\n",
                   sqrt(fabs(r->lambda) * sp->beta / 2));
    if (r->warn[0])
        session_printf(s, "  warning: %s\n", r->warn);
}

typedef struct {
    const llc_result *r;
} tr_ctx;

static void row_fn(void *ctx, size_t i, double *v)
{
    const llc_result *r = ((tr_ctx *)ctx)->r;
    size_t lo = i * r->trace_every, hi = lo + r->trace_every;
    if (hi > r->sp.steps)
        hi = r->sp.steps;
    v[0] = 0.5 * (double)(lo + 1 + hi);
    double a = 0;
    for (size_t c = 0; c < r->nchains; c++) {
        v[1 + c] = r->trace[c * r->ntrace + i];
        a += v[1 + c];
    }
    v[1 + r->nchains] = a / (double)r->nchains;
}

void rlct_llc_export(session *s, const llc_result *r)
{
    size_t nc = r->nchains + 2;
    char (*names)[24] = malloc(nc * sizeof *names);
    const char **head = malloc(nc * sizeof *head);
    if (!names || !head) {
        free(names);
        free(head);
        return;
    }
    snprintf(names[0], sizeof names[0], "step");
    for (size_t c = 0; c < r->nchains; c++)
        snprintf(names[1 + c], sizeof names[0], "chain%zu", c + 1);
    snprintf(names[nc - 1], sizeof names[0], "mean");
    for (size_t j = 0; j < nc; j++)
        head[j] = names[j];
    tr_ctx c = {r};
    tbl_print_numeric(&s->out, head, nc, r->ntrace, row_fn, &c, s->csv, 0);
    free(names);
    free(head);
}

ss_status rlct_llc_draw(const render_request *req, const llc_result *r,
                        canvas *cv)
{
    size_t N = r->ntrace, C = r->nchains;
    double *x = malloc((N + 6) * sizeof *x);
    double *run = malloc(N * C * sizeof *run);
    plot_series *ser = malloc((C + 3) * sizeof *ser);
    if (!x || !ser || !run) {
        free(x);
        free(run);
        free(ser);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    /* each chain's running lambda-hat: the mean of its loss so far */
    for (size_t c = 0; c < C; c++) {
        double a = 0, w = 0;
        for (size_t i = 0; i < N; i++) {
            size_t lo = i * r->trace_every, hi = lo + r->trace_every;
            if (hi > r->sp.steps)
                hi = r->sp.steps;
            a += r->trace[c * N + i] * (double)(hi - lo);
            w += (double)(hi - lo);
            run[c * N + i] = a / w;
        }
    }
    for (size_t i = 0; i < N; i++) {
        size_t lo = i * r->trace_every, hi = lo + r->trace_every;
        if (hi > r->sp.steps)
            hi = r->sp.steps;
        x[i] = (double)hi;
    }
    double *hx = x + N, hy[6];
    size_t ns = 0;
    for (size_t c = 0; c < C; c++)
        ser[ns++] = (plot_series){x, run + c * N, N,
                                  c == 0 ? "chains" : NULL, 0, 0, 0};
    /* levels: the estimate, theory's lambda, k/2: a dash pattern each
     * (dotted, dashed, dash-dot), apart without colour */
    double lv[3] = {r->lambda, r->known, 0.5 * (double)r->k};
    char lab[3][48];
    snprintf(lab[0], sizeof lab[0], "lambda-hat %.3g", r->lambda);
    snprintf(lab[1], sizeof lab[1], "theory %.3g", r->known);
    snprintf(lab[2], sizeof lab[2], "k/2 = %g", lv[2]);
    for (size_t j = 0; j < 3; j++) {
        if (isnan(lv[j]))
            continue;
        hx[2 * j] = x[0];
        hx[2 * j + 1] = x[N - 1];
        hy[2 * j] = hy[2 * j + 1] = lv[j];
        ser[ns++] = (plot_series){hx + 2 * j, hy + 2 * j, 2, lab[j],
                                  (int)j + 1, 0, 0};
    }
    char title[256];
    snprintf(title, sizeof title,
             "%s: running lambda-hat = mean of n beta (L_n(w_t) - "
             "L_n(w*)) per chain",
             req->object);
    plot_opts o;
    plot_opts_init(&o);
    o.title = render_title_or(req, title);
    o.xlabel = "step after burn-in";
    o.ylabel = "lambda-hat so far";
    o.legend = 1;
    ss_status st = plot_xy(cv, ser, ns, &o);
    free(x);
    free(run);
    free(ser);
    return st;
}

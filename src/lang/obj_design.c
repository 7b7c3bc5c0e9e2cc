/* The population design class: its groups for `show`, one row per sample
 * for `export` (group, size, dose, time). A design made by `optimize`
 * also carries its optimality certificate: the criterion, the efficiency
 * of the start, and the sensitivity d(x, xi) that `plot` draws with the
 * line at its bound, so the equivalence theorem can be seen to hold. */
#include "lang/commands.h"
#include "lang/render.h"
#include "lang/results.h"

#include "core/table.h"
#include "design/popdesign.h"
#include "plot/plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void design_obj_free(design_obj *o)
{
    if (!o)
        return;
    pd_free(o->d);
    popopt_result_free(&o->opt);
    free(o);
}

static const char *crit_name(od_kind k)
{
    static const char *const n[] = {"D", "A", "E", "Ds"};
    return n[k];
}

static void print_groups(session *s, const pop_design *d)
{
    for (size_t j = 0; j < d->ngroups; j++) {
        const pd_group *g = &d->g[j];
        char dose[32];
        if (isnan(g->dose))
            snprintf(dose, sizeof dose, "the model's");
        else
            snprintf(dose, sizeof dose, "%g", g->dose);
        session_printf(s, "  group %zu: %.6g subject%s, dose %s, %zu time%s:",
                       j + 1, g->size, g->size == 1 ? "" : "s", dose, g->nt,
                       g->nt == 1 ? "" : "s");
        for (size_t i = 0; i < g->nt; i++)
            session_printf(s, " %.6g", g->t[i]);
        session_printf(s, "\n");
    }
}

static void print_opt(session *s, const design_obj *o)
{
    const popopt_result *r = &o->opt;
    const char *c = crit_name(o->crit);
    session_printf(s,
                   "  %s-optimal for %s (%s FIM, %zu free parameters), "
                   "from design %s: %zu candidate sequence%s of %zu "
                   "time%s, %zu Fedorov-Wynn steps%s\n",
                   c, o->model, o->fim_method, r->p, o->from, r->ncand,
                   r->ncand == 1 ? "" : "s", r->k, r->k == 1 ? "" : "s",
                   r->iter, o->refined ? ", then refined" : "");
    char v0[48];
    if (isfinite(r->value0))
        snprintf(v0, sizeof v0, "%.10g", r->value0);
    else
        snprintf(v0, sizeof v0, "singular");
    const char *what = o->crit == OD_A   ? "tr M^-1"
                       : o->crit == OD_E ? "lambda_min"
                       : o->crit == OD_D ? "ln det M"
                                         : "ln det of the subset's "
                                           "information";
    session_printf(s, "  %s per subject: %.10g (start %s)\n", what,
                   r->value, v0);
    if (isfinite(r->value0))
        session_printf(s, "  %s-efficiency of the start design: %.6g (%.4g%% "
                          "of the optimum)\n",
                       c, r->eff, 100.0 * r->eff);
    session_printf(s,
                   "  equivalence theorem: max d(x, xi) = %.8g against the "
                   "bound %.8g (%s)\n",
                   r->maxd, r->bound,
                   r->maxd <= r->bound * (1 + 1e-4) + 1e-9
                       ? "holds: no candidate improves the design"
                       : "exceeded: not optimal over every candidate");
    if (!r->converged || r->warning[0])
        session_printf(s, "  warning: %s\n",
                       r->warning[0] ? r->warning : "did not converge");
}

static void print_design(session *s, const char *name, const void *p)
{
    const design_obj *o = p;
    const pop_design *d = o->d;
    if (s->csv) {
        tbl *t = tbl_alloc(4);
        tbl_header(t, 0, "group");
        tbl_header(t, 1, "size");
        tbl_header(t, 2, "dose");
        tbl_header(t, 3, "time");
        for (size_t j = 0; j < d->ngroups; j++)
            for (size_t i = 0; i < d->g[j].nt; i++) {
                tbl_row(t);
                tbl_num(t, 0, (double)(j + 1));
                tbl_num(t, 1, d->g[j].size);
                if (isnan(d->g[j].dose))
                    tbl_str(t, 2, "model");
                else
                    tbl_num(t, 2, d->g[j].dose);
                tbl_num(t, 3, d->g[j].t[i]);
            }
        tbl_print(t, &s->out, 1, 0);
        tbl_free(t);
        return;
    }
    double N = pd_subjects(d);
    session_printf(s,
                   "%s: population design, %zu group%s, %.6g subject%s, "
                   "%.6g sample%s\n",
                   name, d->ngroups, d->ngroups == 1 ? "" : "s", N,
                   N == 1 ? "" : "s", pd_samples(d),
                   pd_samples(d) == 1 ? "" : "s");
    print_groups(s, d);
    if (o->optimized)
        print_opt(s, o);
}

/* d(x, xi) with the line at the bound and the support marked */
static ss_status draw_design(session *s, const render_request *req,
                             const void *p, canvas *c)
{
    (void)s;
    const design_obj *o = p;
    const popopt_result *r = &o->opt;
    if (!o->optimized || r->ncurve == 0)
        return SS_FAIL(SS_ERR_USAGE,
                       "only a design made by `optimize` has a picture "
                       "(its sensitivity function)");
    double bx[2] = {r->cx[0], r->cx[r->ncurve - 1]};
    double by[2] = {r->bound, r->bound};
    char lb[64], ls[64];
    snprintf(lb, sizeof lb, "bound %.4g", r->bound);
    snprintf(ls, sizeof ls, "support");
    plot_series sr[3] = {
        {r->cx, r->cd, r->ncurve, "d(x, xi)", 0, r->curve_is_time ? 0 : 1,
         0},
        {bx, by, 2, lb, -2, 0, 1},
        {r->sx, r->sd, r->curve_is_time ? r->nsupport : 0, ls, 1, 1, 0},
    };
    plot_opts po;
    plot_opts_init(&po);
    char title[160];
    snprintf(title, sizeof title, "%s: %s-optimal design, sensitivity",
             o->model, crit_name(o->crit));
    po.title = render_title_or(req, title);
    po.xlabel = r->curve_is_time ? "t" : "candidate sequence";
    po.ylabel = "d";
    po.ymin = 0;
    po.ymax = 1.15 * fmax(r->maxd, r->bound); /* the bound off the frame */
    po.legend = 1;
    return plot_xy(c, sr, r->curve_is_time ? 3 : 2, &po);
}

static void free_design(void *p) { design_obj_free(p); }

static void origin_design(const void *p, obj_origin *out)
{
    const design_obj *o = p;
    if (o->optimized)
        out->model = o->model;
}

const obj_type obj_design = {
    .name = "design",
    .free = free_design,
    .print = print_design,
    .origin = origin_design,
    .draw = draw_design,
    .picture = "a design's sensitivity function",
    .plot_keys = "",
    .min_w = 30,
    .min_h = 8,
};

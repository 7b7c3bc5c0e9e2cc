/* The model class: parameters, options, singular sets and blow-down
 * coordinates for `show`; the parameter table for `export`. A model has
 * no picture: plot what is computed from it. */
#include "fim/dnn_meanfield.h"
#include "model/dnn.h"
#include "lang/commands.h"

#include "bayes/prior.h"
#include "lang/render.h"
#include "lang/results.h"

#include "core/interrupt.h"
#include "core/table.h"
#include "plot/plot.h"

#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A dnn's mean-field order parameters (fim/dnn_meanfield.h) and the FIM
 * statistics they predict: the theory `spectrum` is compared with. */
static void print_dnn_meanfield(session *s, const model *m)
{
    mf_result mf;
    mf_stats ms;
    char why[200];
    if (!dnn_mf_predict(m, &mf, &ms, why, sizeof why)) {
        session_printf(s, "  mean field: %s\n", why);
        return;
    }
    session_printf(s, "  mean-field order parameters (standard-normal "
                      "inputs; index 1: one input, 2: two different "
                      "ones):\n");
    session_printf(s, "    %-5s %12s %12s %12s %12s %12s %12s\n", "layer",
                   "q1", "q2", "qhat1", "qhat2", "qtilde1", "qtilde2");
    for (int l = 0; l <= mf.L; l++) {
        char c[6][16];
        double v[6] = {mf.q1[l], mf.q2[l], mf.qh1[l], mf.qh2[l], mf.qt1[l],
                       mf.qt2[l]};
        for (int j = 0; j < 6; j++) {
            int none = (l == 0 && j < 2) || (l == mf.L && (j == 2 || j == 3)) ||
                       (l == 0 && j >= 4);
            if (none)
                snprintf(c[j], sizeof c[j], "-");
            else
                snprintf(c[j], sizeof c[j], "%.6g", v[j]);
        }
        session_printf(s, "    %-5d %12s %12s %12s %12s %12s %12s\n", l, c[0],
                       c[1], c[2], c[3], c[4], c[5]);
    }
    session_printf(s, "    kappa1 = %.6g, kappa2 = %.6g, alpha = %.6g%s\n",
                   mf.kappa1, mf.kappa2, mf.alpha,
                   mf.kappa2 == 0 ? " (centred: no outlier)" : "");
    session_printf(s, "  predicted FIM at these widths (spectrum compares): "
                      "m_lambda = %.6g, s_lambda = %.6g, lambda_max = %.6g "
                      "(C-fold)\n",
                   ms.m_lambda, ms.s_lambda, ms.lambda_max);
}

static void print_range(char *buf, size_t n, double lo, double hi)
{
    char a[32], b[32];
    tbl_format_num(a, sizeof a, lo, 0);
    tbl_format_num(b, sizeof b, hi, 0);
    snprintf(buf, n, "[%s, %s]", a, b);
}

/* A range from `bound`, with the family's range it narrows. */
static void print_bounded(char *buf, size_t n, const model *m, size_t i)
{
    char fam[80];
    print_range(fam, sizeof fam, model_family_lo(m, i),
                model_family_hi(m, i));
    size_t l = strlen(buf);
    snprintf(buf + l, n - l, " (bound; family %s)", fam);
}

/* The blow-down coordinates of the current point, when the family has a
 * chart (or why they are undefined here). */
static void show_coords(session *s, const model *m)
{
    if (!m->type->coord_names)
        return;
    char(*names)[MODEL_NAME_MAX] = calloc(m->P, sizeof *names);
    double *c = calloc(m->P, sizeof *c);
    size_t nc = names && c ? m->type->coord_names(m, names) : 0;
    if (nc == m->P) {
        if (m->type->to_coords(m, m->theta, c) == SS_OK) {
            session_printf(s, "  blow-down coordinates:");
            for (size_t i = 0; i < nc; i++)
                session_printf(s, " %s = %.12g%s", names[i], c[i],
                               i + 1 < nc ? "," : "\n");
        } else {
            session_printf(s, "  blow-down coordinates undefined here: %s\n",
                           ss_last_error()->msg);
            ss_clear_error();
        }
    }
    free(names);
    free(c);
}

/* Blocks larger than this are summarised by `show` in text mode (one row
 * with their shape, mean, sd and extremes); export or CSV lists them. */
#define SHOW_BLOCK_MAX 64

static void summary_row(tbl *t, const model *m, const model_group *g)
{
    double sum = 0, sq = 0, lo = INFINITY, hi = -INFINITY;
    size_t nfree = 0;
    for (size_t i = g->first; i < g->first + g->count; i++) {
        double v = m->theta[i];
        sum += v;
        lo = fmin(lo, v);
        hi = fmax(hi, v);
        nfree += m->is_free[i] != 0;
    }
    double mean = sum / (double)g->count;
    for (size_t i = g->first; i < g->first + g->count; i++)
        sq += (m->theta[i] - mean) * (m->theta[i] - mean);
    double sd = g->count > 1 ? sqrt(sq / (double)(g->count - 1)) : 0;
    char nm[96], val[160], fr[64], r[192], a[32], b[32], c[32], d[32];
    if (g->cols > 1)
        snprintf(nm, sizeof nm, "%s (%zu x %zu)", g->name, g->rows, g->cols);
    else
        snprintf(nm, sizeof nm, "%s (%zu)", g->name, g->rows);
    tbl_format_num(a, sizeof a, mean, 0);
    tbl_format_num(b, sizeof b, sd, 0);
    tbl_format_num(c, sizeof c, lo, 0);
    tbl_format_num(d, sizeof d, hi, 0);
    snprintf(val, sizeof val, "mean %s sd %s in [%s, %s]", a, b, c, d);
    if (nfree == g->count)
        snprintf(fr, sizeof fr, "yes");
    else if (nfree == 0)
        snprintf(fr, sizeof fr, "fixed");
    else
        snprintf(fr, sizeof fr, "%zu of %zu", nfree, g->count);
    print_range(r, sizeof r, g->lo, g->hi);
    tbl_row(t);
    tbl_str(t, 0, nm);
    tbl_str(t, 1, val);
    tbl_str(t, 2, fr);
    tbl_str(t, 3, r);
}

static void show_model(session *s, const char *name, const model *m)
{
    if (!s->csv) {
        session_printf(s, "%s: %s model, %s\n", name, m->type->name,
                       m->type->summary);
        for (size_t o = 0; o < m->type->nopts; o++) {
            const model_optdef *d = &m->type->opts[o];
            char vec[256];
            size_t nv;
            const double *v = model_opt_vector(m, o, &nv);
            if (d->kind != MOPT_ENUM && m->opt_choice[o]) /* s=free */
                session_printf(s, "  option %s = %s\n", d->name,
                               m->opt_choice[o]);
            else if (d->kind == MOPT_ENUM)
                session_printf(s, "  option %s = %s (%s)\n", d->name,
                               m->opt_choice[o], d->help);
            else if (d->kind == MOPT_VECTOR)
                session_printf(s, "  option %s = %s (%s)\n", d->name,
                               model_format_vector(vec, sizeof vec, v, nv),
                               d->help);
            else
                session_printf(s, "  option %s = %.12g (%s)\n", d->name,
                               m->opt[o], d->help);
        }
    }
    /* CSV gets the bounds as two numeric columns. */
    tbl *t = tbl_alloc(s->csv ? 5 : 4);
    tbl_header(t, 0, "param");
    tbl_header(t, 1, "value");
    tbl_header(t, 2, "free");
    tbl_header(t, 3, s->csv ? "lo" : "range");
    if (s->csv)
        tbl_header(t, 4, "hi");
    for (size_t i = 0; i < m->P; i++) {
        char r[192];
        /* text: a large block (a network's W1) is one summary row */
        int gi = s->csv ? -1 : model_param_group(m, i);
        const model_group *g = gi >= 0 ? &m->groups[gi] : NULL;
        if (g && g->generated && g->count > SHOW_BLOCK_MAX &&
            i == g->first) {
            summary_row(t, m, g);
            i = g->first + g->count - 1;
            continue;
        }
        print_range(r, sizeof r, model_param_lo(m, i), model_param_hi(m, i));
        if (model_is_bounded(m, i)) /* `bound`: say so, and what it narrows */
            print_bounded(r, sizeof r, m, i);
        tbl_row(t);
        tbl_str(t, 0, MODEL_PNAME(m, i));
        tbl_num(t, 1, m->theta[i]);
        tbl_str(t, 2, m->is_free[i] ? "yes" : "fixed");
        if (s->csv) {
            tbl_num(t, 3, model_param_lo(m, i));
            tbl_num(t, 4, model_param_hi(m, i));
        } else {
            tbl_str(t, 3, r);
        }
    }
    tbl_print(t, &s->out, s->csv, s->csv ? 0 : 2);
    tbl_free(t);
    if (s->csv)
        return;
    if (m->prior) { /* `prior` */
        session_printf(s, "  priors:");
        int any = 0;
        for (size_t i = 0; i < m->P; i++) {
            const model_prior *p = model_prior_of(m, i);
            char f[96];
            if (p)
                session_printf(s, "%s %s = %s", any++ ? "," : "",
                               MODEL_PNAME(m, i),
                               prior_format(p, f, sizeof f));
        }
        session_printf(s, "%s\n", any ? "" : " none");
    }
    show_coords(s, m);
    if (m->type->describe)
        m->type->describe(m, m->theta, &s->out);
    if (m->type == &model_dnn_type)
        print_dnn_meanfield(s, m);
    model_singular *sing = NULL;
    size_t ns;
    int near = model_nearest_singular(m, &sing, &ns);
    if (near < 0) {
        free(sing);
        session_printf(s, "  no singular sets known for this kind\n");
        return;
    }
    if (sing[near].distance == 0)
        session_printf(s, "  ON the singular set %s: %s\n", sing[near].name,
                       sing[near].effect);
    else
        session_printf(s, "  nearest singular set: %s at distance %.12g: "
                          "%s\n",
                       sing[near].name, sing[near].distance,
                       sing[near].effect);
    tbl *u = tbl_alloc(3);
    tbl_header(u, 0, "singular set");
    tbl_header(u, 1, "distance");
    tbl_header(u, 2, "what degenerates");
    for (size_t i = 0; i < ns; i++) {
        tbl_row(u);
        tbl_str(u, 0, sing[i].name);
        tbl_num(u, 1, sing[i].distance);
        tbl_str(u, 2, sing[i].effect);
    }
    tbl_print(u, &s->out, 0, 2);
    tbl_free(u);
    free(sing);
}
static void write_model(session *s, const model *m)
{
    tbl *t = tbl_alloc(5);
    tbl_header(t, 0, "param");
    tbl_header(t, 1, "value");
    tbl_header(t, 2, "free");
    tbl_header(t, 3, "lo");
    tbl_header(t, 4, "hi");
    for (size_t i = 0; i < m->P; i++) {
        tbl_row(t);
        tbl_str(t, 0, MODEL_PNAME(m, i));
        tbl_num(t, 1, m->theta[i]);
        tbl_str(t, 2, m->is_free[i] ? "yes" : "fixed");
        tbl_num(t, 3, model_param_lo(m, i));
        tbl_num(t, 4, model_param_hi(m, i));
    }
    tbl_print(t, &s->out, s->csv, 0);
    tbl_free(t);
}

static void free_model(void *p) { model_free(p); }

static void show(session *s, const char *name, const void *p)
{
    show_model(s, name, p);
}

static void export_model(session *s, const char *name, const void *p,
                         int part)
{
    (void)name;
    (void)part;
    write_model(s, p);
}

static void origin_model(const void *p, obj_origin *o)
{
    const model *m = p;
    o->model = NULL; /* it is the model */
    o->kind = m->type->name;
    o->point = m->theta;
    o->npoint = m->P;
    o->point_word = "at";
}

const obj_type obj_model = {
    .name = "model",
    .free = free_model,
    .print = show,
    .export_rows = export_model,
    .origin = origin_model,
};

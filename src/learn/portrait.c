/* The phase portrait (portrait.h): one iterate relaxes one start, runs
 * its averaged flow through flow.h's iteration and classifies where it
 * went. */
#include "learn/portrait.h"

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_multimin.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *portrait_fate_name(portrait_fate f)
{
    switch (f) {
    case PORTRAIT_PENDING: return "pending";
    case PORTRAIT_TEACHER: return "teacher";
    case PORTRAIT_LINE: return "line";
    case PORTRAIT_ON_SET_START: return "on set";
    case PORTRAIT_TRANSIT: return "transit";
    case PORTRAIT_DIVERGED: return "diverged";
    case PORTRAIT_FAILED: return "failed";
    }
    return "?";
}

void learn_portrait_free(learn_portrait *p)
{
    if (!p)
        return;
    for (size_t i = 0; p->starts && i < p->n; i++)
        learn_run_free(p->starts[i].run);
    free(p->starts);
    free(p->snames);
    free(p);
}

void learn_portrait_counts(const learn_portrait *p, size_t *counts)
{
    for (int f = 0; f <= PORTRAIT_FAILED; f++)
        counts[f] = 0;
    for (size_t i = 0; i < p->done; i++)
        counts[p->starts[i].fate]++;
}

/* ---- relaxing the fast variables ---------------------------------------- */

typedef struct {
    const model *m, *teacher;
    size_t P, k;
    size_t idx[64];  /* the chart coordinates that move */
    double *c, *theta, *grad, *tp, *tm;
    int bad;         /* a non-finite value or a failed hook was met */
} relax_ctx;

static void set_free(relax_ctx *x, const gsl_vector *v)
{
    for (size_t j = 0; j < x->k; j++)
        x->c[x->idx[j]] = gsl_vector_get(v, j);
}

static double relax_f(const gsl_vector *v, void *params)
{
    relax_ctx *x = params;
    set_free(x, v);
    double kl;
    if (x->m->type->from_coords(x->m, x->c, x->theta) != SS_OK ||
        x->m->type->kl_grad(x->m, x->theta, x->teacher, &kl, x->grad) !=
            SS_OK ||
        !isfinite(kl)) {
        ss_clear_error();
        x->bad = 1;
        return GSL_NAN;
    }
    return kl;
}

static void relax_fdf(const gsl_vector *v, void *params, double *f,
                      gsl_vector *g)
{
    relax_ctx *x = params;
    *f = relax_f(v, params);
    if (!isfinite(*f)) {
        gsl_vector_set_all(g, GSL_NAN);
        return;
    }
    /* dL/dc_j = grad_theta L . dtheta/dc_j, the latter by central
     * differences of the chart's inverse (for mlp2 a quadratic map, so
     * exact up to rounding) */
    for (size_t j = 0; j < x->k; j++) {
        size_t q = x->idx[j];
        double c0 = x->c[q], h = 1e-6 * fmax(1, fabs(c0));
        x->c[q] = c0 + h;
        ss_status a = x->m->type->from_coords(x->m, x->c, x->tp);
        x->c[q] = c0 - h;
        ss_status b = x->m->type->from_coords(x->m, x->c, x->tm);
        x->c[q] = c0;
        if (a != SS_OK || b != SS_OK) {
            ss_clear_error();
            x->bad = 1;
            gsl_vector_set(g, j, GSL_NAN);
            continue;
        }
        double s = 0;
        for (size_t p = 0; p < x->P; p++)
            s += x->grad[p] * (x->tp[p] - x->tm[p]) / (2 * h);
        gsl_vector_set(g, j, s);
    }
}

static void relax_df(const gsl_vector *v, void *params, gsl_vector *g)
{
    double f;
    relax_fdf(v, params, &f, g);
}

ss_status portrait_relax(const model *student, const model *teacher,
                         size_t xi, size_t yi, double x, double y,
                         const double *from, double *theta_out,
                         int *converged)
{
    *converged = 0;
    const model_type *t = student->type;
    size_t P = student->P;
    if (!t->to_coords || !t->from_coords || !t->kl_grad)
        return SS_FAIL(SS_ERR_USAGE, "portrait: the %s family has no "
                                     "blow-down chart or no KL gradient",
                       t->name);
    if (P > 64 + 2)
        return SS_FAIL(SS_ERR_RANGE, "portrait: at most 66 parameters");
    double *buf = malloc(5 * P * sizeof *buf);
    if (!buf)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    relax_ctx cx = {.m = student, .teacher = teacher, .P = P, .c = buf,
                    .theta = buf + P, .grad = buf + 2 * P, .tp = buf + 3 * P,
                    .tm = buf + 4 * P};
    ss_status st = t->to_coords(student, from, cx.c);
    if (st != SS_OK) {
        free(buf);
        return st;
    }
    cx.c[xi] = x;
    cx.c[yi] = y;
    for (size_t q = 0; q < P; q++)
        if (q != xi && q != yi)
            cx.idx[cx.k++] = q;
    if (cx.k == 0) {
        st = t->from_coords(student, cx.c, theta_out);
        *converged = 1;
        free(buf);
        return st;
    }
    gsl_multimin_function_fdf F = {relax_f, relax_df, relax_fdf, cx.k, &cx};
    gsl_vector *v = gsl_vector_alloc(cx.k);
    gsl_multimin_fdfminimizer *mn = gsl_multimin_fdfminimizer_alloc(
        gsl_multimin_fdfminimizer_vector_bfgs2, cx.k);
    if (!v || !mn) {
        if (v)
            gsl_vector_free(v);
        free(buf);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    for (size_t j = 0; j < cx.k; j++)
        gsl_vector_set(v, j, cx.c[cx.idx[j]]);
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    int rc = gsl_multimin_fdfminimizer_set(mn, &F, v, 0.01, 0.1);
    for (int iter = 0; rc == GSL_SUCCESS && !cx.bad &&
                       iter < PORTRAIT_RELAX_ITER;
         iter++) {
        if (gsl_multimin_test_gradient(mn->gradient, PORTRAIT_RELAX_GRAD) ==
            GSL_SUCCESS) {
            *converged = 1;
            break;
        }
        rc = gsl_multimin_fdfminimizer_iterate(mn);
    }
    if (!*converged && !cx.bad &&
        gsl_multimin_test_gradient(mn->gradient, PORTRAIT_RELAX_GRAD) ==
            GSL_SUCCESS)
        *converged = 1;
    /* BFGS's line search stalls (GSL_ENOPROG) once the loss changes by
     * less than its rounding, at |grad| ~ 1e-9: polish by Newton steps on
     * grad_c L = 0 (the Hessian by central differences of the gradient),
     * each kept only when it shrinks |grad| */
    gsl_vector *xb = gsl_vector_alloc(cx.k), *g0 = gsl_vector_alloc(cx.k),
               *g1 = gsl_vector_alloc(cx.k), *dx = gsl_vector_alloc(cx.k);
    gsl_matrix *Hm = gsl_matrix_alloc(cx.k, cx.k);
    gsl_permutation *perm = gsl_permutation_alloc(cx.k);
    int finite = isfinite(gsl_multimin_fdfminimizer_minimum(mn));
    if (xb && g0 && g1 && dx && Hm && perm) {
        gsl_vector_memcpy(xb, gsl_multimin_fdfminimizer_x(mn));
        relax_df(xb, &cx, g0);
        for (int it = 0; !*converged && !cx.bad && it < 8; it++) {
            for (size_t j = 0; j < cx.k; j++) {
                double x0 = gsl_vector_get(xb, j),
                       h = 1e-5 * fmax(1, fabs(x0));
                gsl_vector_set(xb, j, x0 + h);
                relax_df(xb, &cx, g1);
                gsl_vector_set(xb, j, x0 - h);
                relax_df(xb, &cx, dx);
                gsl_vector_set(xb, j, x0);
                for (size_t i = 0; i < cx.k; i++)
                    gsl_matrix_set(Hm, i, j,
                                   (gsl_vector_get(g1, i) -
                                    gsl_vector_get(dx, i)) /
                                       (2 * h));
            }
            int sg;
            if (gsl_linalg_LU_decomp(Hm, perm, &sg) != GSL_SUCCESS ||
                gsl_linalg_LU_solve(Hm, perm, g0, dx) != GSL_SUCCESS)
                break;
            gsl_vector_sub(xb, dx);
            relax_df(xb, &cx, g1);
            if (cx.bad || !(gsl_blas_dnrm2(g1) < gsl_blas_dnrm2(g0))) {
                gsl_vector_add(xb, dx); /* no better: keep the last */
                cx.bad = 0;
                break;
            }
            gsl_vector_memcpy(g0, g1);
            if (gsl_multimin_test_gradient(g0, PORTRAIT_RELAX_GRAD) ==
                GSL_SUCCESS)
                *converged = 1;
        }
    } else
        finite = 0;
    gsl_set_error_handler(old);
    for (size_t j = 0; finite && j < cx.k; j++) {
        cx.c[cx.idx[j]] = gsl_vector_get(xb, j);
        finite &= isfinite(cx.c[cx.idx[j]]);
    }
    if (xb)
        gsl_vector_free(xb);
    gsl_multimin_fdfminimizer_free(mn);
    gsl_vector_free(v);
    if (g0)
        gsl_vector_free(g0);
    if (g1)
        gsl_vector_free(g1);
    if (dx)
        gsl_vector_free(dx);
    if (Hm)
        gsl_matrix_free(Hm);
    if (perm)
        gsl_permutation_free(perm);
    if (!finite)
        st = SS_FAIL(SS_ERR_NUMERIC, "portrait: relaxing the fast "
                                     "variables at (%g, %g) met a "
                                     "non-finite loss",
                     x, y);
    else
        st = t->from_coords(student, cx.c, theta_out);
    free(buf);
    return st;
}

/* ---- the iteration -------------------------------------------------------- */

struct portrait_iter {
    portrait_spec sp;
    model *m, *teacher;
    double *theta, *dist;
    learn_portrait *p;
};

void portrait_iter_free(portrait_iter *it)
{
    if (!it)
        return;
    model_free(it->m);
    model_free(it->teacher);
    free(it->theta);
    free(it->dist);
    learn_portrait_free(it->p);
    free(it);
}

/* Whether singular set k is the line {coordinate q = c} of the plane: at
 * the corners and centre of the box (the other coordinates the
 * student's), moving onto q = c lands on the set. */
static int is_line(portrait_iter *it, const double *c0, size_t q, double c,
                   size_t k)
{
    const learn_portrait *p = it->p;
    const model *m = it->m;
    size_t P = m->P;
    double cv[128], th[64];
    if (P > 64)
        return 0;
    const double fx[5] = {0, 1, 0, 1, 0.5}, fy[5] = {0, 0, 1, 1, 0.5};
    for (int s = 0; s < 5; s++) {
        memcpy(cv, c0, P * sizeof *cv);
        cv[p->xi] = p->xa + fx[s] * (p->xb - p->xa);
        cv[p->yi] = p->ya + fy[s] * (p->yb - p->ya);
        cv[q] = c;
        if (m->type->from_coords(m, cv, th) != SS_OK) {
            ss_clear_error();
            return 0;
        }
        double scale = 1;
        for (size_t j = 0; j < P; j++)
            scale = fmax(scale, fabs(th[j]));
        if (model_singular_distances(m, th, it->dist, p->nsets) <= k ||
            !(it->dist[k] <= 1e-9 * scale))
            return 0;
    }
    return 1;
}

/* The overlap line's analysis for mlp2, d = 1, plane (z, u): the relaxed
 * point on u = 0 at z = 0 and kappa from the curvature across the line. */
static ss_status overlap_analysis(portrait_iter *it, size_t zi, size_t ui)
{
    learn_portrait *p = it->p;
    const model *m = it->m;
    double th[4], c[4];
    int conv;
    ss_status st = portrait_relax(m, it->teacher, zi, ui, 0.0, 0.0,
                                  m->theta, th, &conv);
    if (st != SS_OK)
        return st;
    if ((st = m->type->to_coords(m, th, c)) != SS_OK)
        return st;
    double L[3];
    const double hs[3] = {0, PORTRAIT_KAPPA_H, -PORTRAIT_KAPPA_H};
    double g[4];
    for (int i = 0; i < 3; i++) {
        c[ui] = hs[i];
        if ((st = m->type->from_coords(m, c, th)) != SS_OK ||
            (st = m->type->kl_grad(m, th, it->teacher, &L[i], g)) != SS_OK)
            return st;
    }
    p->L_line = L[0];
    p->w_line = c[0];
    p->v_line = c[2];
    p->kappa = (2 * L[0] - L[1] - L[2]) /
               (2 * PORTRAIT_KAPPA_H * PORTRAIT_KAPPA_H);
    if (!conv)
        snprintf(p->note, sizeof p->note,
                 "the line's relaxed point did not meet the gradient test");
    return SS_OK;
}

static size_t chart_index(char (*names)[MODEL_NAME_MAX], size_t n,
                          const char *s)
{
    for (size_t q = 0; q < n; q++)
        if (strcmp(names[q], s) == 0)
            return q;
    return SIZE_MAX;
}

ss_status portrait_iter_alloc(const model *student, const model *teacher,
                              portrait_spec *sp, portrait_iter **out)
{
    *out = NULL;
    sp->bad_key = NULL;
    const model_type *t = student->type;
    size_t P = student->P;
    char names[64][MODEL_NAME_MAX];
    size_t nc = (t->coord_names && P <= 64) ? t->coord_names(student, names)
                                            : 0;
    if (!nc || !t->to_coords || !t->from_coords)
        return SS_FAIL(SS_ERR_USAGE, "portrait: the %s family has no "
                                     "blow-down chart to draw a portrait in",
                       t->name);
    if (!t->kl_grad)
        return SS_FAIL(SS_ERR_USAGE,
                       "portrait: the %s family has no generalisation-error "
                       "gradient (kl_grad), so it has no averaged flow",
                       t->name);
    if (teacher->type != t)
        return sp->bad_key = "teacher", SS_FAIL(SS_ERR_USAGE,
                       "portrait: the teacher is a %s, the student a %s (the "
                       "flow needs a teacher of the student's family)",
                       teacher->type->name, t->name);
    ss_status st = model_data_compatible(student, teacher);
    if (st != SS_OK)
        return sp->bad_key = "teacher", st;
    char list[256] = "";
    for (size_t q = 0; q < nc; q++) {
        size_t l = strlen(list);
        snprintf(list + l, sizeof list - l, "%s%s", q ? ", " : "", names[q]);
    }
    const char *axn[2] = {sp->x, sp->y};
    size_t ai[2];
    for (int a = 0; a < 2; a++) {
        ai[a] = chart_index(names, nc, axn[a]);
        if (ai[a] == SIZE_MAX)
            return sp->bad_key = a ? "y" : "x", SS_FAIL(SS_ERR_USAGE, "portrait: %s=%s is not a "
                                         "blow-down coordinate of %s (%s)",
                           a ? "y" : "x", axn[a], t->name, list);
    }
    if (ai[0] == ai[1])
        return sp->bad_key = "y", SS_FAIL(SS_ERR_USAGE, "portrait: x and y are both %s (a "
                                     "portrait needs two coordinates)",
                       sp->x);
    const double lo[2] = {sp->xa, sp->ya}, hi[2] = {sp->xb, sp->yb};
    for (int a = 0; a < 2; a++)
        if (!isfinite(lo[a]) || !isfinite(hi[a]) || !(lo[a] < hi[a]))
            return sp->bad_key = a ? "y" : "x", SS_FAIL(SS_ERR_RANGE,
                           "portrait: %s=%s:%g..%g is %s (need FROM < TO, "
                           "both finite)",
                           a ? "y" : "x", axn[a], lo[a], hi[a],
                           lo[a] == hi[a] ? "empty" : "reversed or not finite");
    if (sp->W < 1 || sp->H < 1 || sp->W * sp->H > PORTRAIT_MAX_STARTS ||
        sp->W > PORTRAIT_MAX_STARTS || sp->H > PORTRAIT_MAX_STARTS)
        return sp->bad_key = "starts", SS_FAIL(SS_ERR_RANGE, "portrait: starts=%zux%zu: at most %d "
                                     "starts in all",
                       sp->W, sp->H, PORTRAIT_MAX_STARTS);
    if (!(sp->eta > 0) || !isfinite(sp->eta))
        return sp->bad_key = "eta", SS_FAIL(SS_ERR_RANGE,
                       "portrait: eta must be positive and finite (got %g)",
                       sp->eta);
    if (!(sp->tmax > 0) || !isfinite(sp->tmax))
        return sp->bad_key = "t", SS_FAIL(SS_ERR_RANGE,
                       "portrait: t must be positive and finite (got %g)",
                       sp->tmax);
    if (!(sp->damping >= 0) || !isfinite(sp->damping))
        return sp->bad_key = "damping", SS_FAIL(SS_ERR_RANGE,
                       "portrait: damping must be >= 0 and finite");
    for (size_t j = 0; j < P; j++)
        if (!student->is_free[j])
            return SS_FAIL(SS_ERR_USAGE,
                           "portrait: %s is fixed; the portrait relaxes and "
                           "flows every parameter (free it first)",
                           MODEL_PNAME(student, j));

    portrait_iter *it = calloc(1, sizeof *it);
    learn_portrait *p = calloc(1, sizeof *p);
    if (!it || !p) {
        free(it);
        free(p);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    it->p = p;
    it->sp = *sp;
    it->m = model_clone(student);
    it->teacher = model_clone(teacher);
    it->theta = malloc(P * sizeof(double));
    p->nsets = model_nsingular(student);
    it->dist = malloc((p->nsets + 1) * sizeof(double));
    p->n = sp->W * sp->H;
    p->starts = calloc(p->n, sizeof *p->starts);
    p->snames = calloc(p->nsets + 1, sizeof *p->snames);
    if (!it->m || !it->teacher || !it->theta || !it->dist || !p->starts ||
        !p->snames) {
        portrait_iter_free(it);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    snprintf(p->kind, sizeof p->kind, "%s", t->name);
    snprintf(p->xname, sizeof p->xname, "%s", sp->x);
    snprintf(p->yname, sizeof p->yname, "%s", sp->y);
    p->xi = ai[0], p->yi = ai[1];
    p->xa = sp->xa, p->xb = sp->xb, p->ya = sp->ya, p->yb = sp->yb;
    p->W = sp->W, p->H = sp->H;
    p->algo = sp->algo;
    p->eta = sp->eta, p->tmax = sp->tmax, p->damping = sp->damping;
    p->L_line = p->w_line = p->v_line = p->kappa = NAN;
    for (size_t j = 0; j < p->H; j++)
        for (size_t i = 0; i < p->W; i++) {
            portrait_start *s = &p->starts[j * p->W + i];
            s->x0 = sp->xa + ((double)i + 0.5) * (sp->xb - sp->xa) /
                                 (double)sp->W;
            s->y0 = sp->ya + ((double)j + 0.5) * (sp->yb - sp->ya) /
                                 (double)sp->H;
            s->x_end = s->y_end = s->gen0 = s->gen_end = NAN;
            s->set = SIZE_MAX;
            s->set_dist = NAN;
        }
    model_singular *sets = NULL;
    size_t ns = 0;
    st = model_singular_list(student, student->theta, &sets, &ns);
    for (size_t k = 0; st == SS_OK && k < ns && k < p->nsets; k++)
        snprintf(p->snames[k], sizeof p->snames[k], "%s", sets[k].name);
    free(sets);
    double c0[64];
    if (st == SS_OK)
        st = t->to_coords(student, student->theta, c0);
    if (st != SS_OK) {
        portrait_iter_free(it);
        return st;
    }

    /* the singular sets that are coordinate lines of the plane, in the box */
    for (int a = 0; a < 2; a++) {
        size_t q = ai[a];
        for (int cc = -1; cc <= 1; cc++) {
            if (cc < lo[a] || cc > hi[a])
                continue;
            for (size_t k = 0; k < p->nsets; k++)
                if (p->nlines < PORTRAIT_MAX_LINES &&
                    is_line(it, c0, q, cc, k)) {
                    portrait_line *l = &p->lines[p->nlines++];
                    l->on_y = a;
                    l->c = cc;
                    l->set = k;
                    snprintf(l->name, sizeof l->name, "%s", p->snames[k]);
                }
        }
    }

    /* the overlap line of mlp2, d = 1, in the (z, u) plane */
    size_t zi = chart_index(names, nc, "z"), ui = chart_index(names, nc, "u");
    int zu = strcmp(t->name, "mlp2") == 0 && P == 4 && zi != SIZE_MAX &&
             ui != SIZE_MAX &&
             ((ai[0] == zi && ai[1] == ui) || (ai[0] == ui && ai[1] == zi));
    if (zu) {
        st = overlap_analysis(it, zi, ui);
        if (st != SS_OK) {
            portrait_iter_free(it);
            return st;
        }
        for (size_t li = 0; li < p->nlines; li++) {
            portrait_line *l = &p->lines[li];
            if (ai[l->on_y] != ui || l->c != 0)
                continue;
            if (sp->algo != FLOW_GD || !(p->kappa != 0)) {
                size_t n = strlen(p->note);
                snprintf(p->note + n, sizeof p->note - n, "%s%s",
                         n ? "; " : "",
                         sp->algo != FLOW_GD
                             ? "the attracting/repelling split of the line "
                               "is derived for gd only: not drawn"
                             : "kappa = 0: the line is neither attracting "
                               "nor repelling at this order");
                continue;
            }
            l->split = 1;
            l->nat = 2;
            l->at[0] = -1, l->at[1] = 1;
            /* lambda ~ kappa (1 - z^2): < 0 (attracting) for |z| > 1 when
             * kappa > 0 */
            l->attract[0] = l->attract[2] = p->kappa > 0;
            l->attract[1] = p->kappa < 0;
        }
    }

    /* the teacher (and, for mlp2, its unit swap) in the plane */
    p->tx[0] = p->ty[0] = p->tx[1] = p->ty[1] = NAN;
    for (int sw = 0; sw < 2; sw++) {
        double th[64], c[64];
        memcpy(th, teacher->theta, P * sizeof *th);
        if (sw) {
            if (strcmp(t->name, "mlp2") != 0)
                break;
            size_t d = (P - 2) / 2;
            double w = th[0];
            th[0] = th[1], th[1] = w;
            for (size_t q = 0; q < d; q++) {
                double j = th[2 + q];
                th[2 + q] = th[2 + d + q], th[2 + d + q] = j;
            }
        }
        if (t->to_coords(student, th, c) == SS_OK) {
            p->tx[sw] = c[ai[0]];
            p->ty[sw] = c[ai[1]];
        } else
            ss_clear_error();
    }
    *out = it;
    return SS_OK;
}

/* Where start s went. */
static void classify(const learn_portrait *p, portrait_start *s)
{
    const learn_run *r = s->run;
    size_t n = r->n;
    s->gen0 = r->gen[0];
    s->gen_end = r->gen[n - 1];
    s->t_end = r->time[n - 1];
    if (r->ncoords) {
        s->x_end = r->coords[(n - 1) * r->ncoords + p->xi];
        s->y_end = r->coords[(n - 1) * r->ncoords + p->yi];
    }
    if (s->fate == PORTRAIT_ON_SET_START) {
        /* started on a set: a landing only if the flow left it (the
         * overlap with relaxed fast variables is invariant, w2 = 0 is
         * not) */
        double d1 = r->dist[(n - 1) * r->nsets + s->set];
        if (d1 <= PORTRAIT_ON_SET_STAY)
            return;
        snprintf(s->note, sizeof s->note, "started on %s",
                 p->snames[s->set]);
        s->fate = PORTRAIT_PENDING;
        s->set = SIZE_MAX;
        s->set_dist = NAN;
    }
    if (r->diverged) {
        s->fate = PORTRAIT_DIVERGED;
        return;
    }
    double Lref = p->L_line > 0 ? p->L_line : s->gen0;
    if (s->gen_end < PORTRAIT_TEACHER_FRAC * Lref) {
        s->fate = PORTRAIT_TEACHER;
        return;
    }
    size_t best = SIZE_MAX;
    for (size_t k = 0; k < r->nsets; k++) {
        double d0 = r->dist[k], d1 = r->dist[(n - 1) * r->nsets + k];
        if (d1 < PORTRAIT_CAPTURE_DIST && d1 < PORTRAIT_CAPTURE_FRAC * d0 &&
            (best == SIZE_MAX || d1 < r->dist[(n - 1) * r->nsets + best]))
            best = k;
    }
    if (best != SIZE_MAX) {
        s->fate = PORTRAIT_LINE;
        s->set = best;
        s->set_dist = r->dist[(n - 1) * r->nsets + best];
        return;
    }
    s->fate = PORTRAIT_TRANSIT;
}

ss_status portrait_iter_iterate(void *state)
{
    portrait_iter *it = state;
    learn_portrait *p = it->p;
    if (p->done >= p->n)
        return SS_OK;
    portrait_start *s = &p->starts[p->done];
    int conv = 0;
    ss_status st = portrait_relax(it->m, it->teacher, p->xi, p->yi, s->x0,
                                  s->y0, it->m->theta, it->theta, &conv);
    model *m = NULL;
    if (st == SS_OK && !(m = model_clone(it->m)))
        st = SS_FAIL(SS_ERR_NOMEM, "out of memory");
    if (st == SS_OK) {
        memcpy(m->theta, it->theta, m->P * sizeof(double));
        if (!conv)
            snprintf(s->note, sizeof s->note,
                     "relaxation stopped before |grad| <= %g",
                     PORTRAIT_RELAX_GRAD);
        size_t ns = model_singular_distances(m, m->theta, it->dist,
                                             p->nsets);
        for (size_t k = 0; k < ns; k++)
            if (it->dist[k] <= PORTRAIT_ON_SET &&
                (s->set == SIZE_MAX || it->dist[k] < s->set_dist)) {
                s->fate = PORTRAIT_ON_SET_START;
                s->set = k;
                s->set_dist = it->dist[k];
            }
        flow_spec fs = {.algo = p->algo, .eta = p->eta, .tmax = p->tmax,
                        .records = PORTRAIT_RECORDS, .tol = 0,
                        .damping = p->damping};
        flow_iter *fi = NULL;
        st = flow_iter_alloc(m, it->teacher, &fs, &fi);
        /* a trajectory is bounded work: run it whole (Ctrl-C is seen
         * between starts, so every kept trajectory is complete) */
        while (st == SS_OK && !flow_iter_test(fi))
            st = flow_iter_iterate(fi);
        if (st == SS_OK)
            st = flow_iter_take(fi, 0, &s->run);
        flow_iter_free(fi);
    }
    model_free(m);
    if (st == SS_ERR_NOMEM) {
        p->done++; /* counted as failed, the portrait stops */
        s->fate = PORTRAIT_FAILED;
        return st;
    }
    if (st != SS_OK) {
        /* this start alone fails: say why and go on */
        s->fate = PORTRAIT_FAILED;
        snprintf(s->note, sizeof s->note, "%.120s", ss_last_error()->msg);
        ss_clear_error();
        learn_run_free(s->run);
        s->run = NULL;
    } else {
        snprintf(s->run->student, sizeof s->run->student, "%s", p->student);
        snprintf(s->run->teacher, sizeof s->run->teacher, "%s", p->teacher);
        classify(p, s);
    }
    p->done++;
    return SS_OK;
}

int portrait_iter_test(const void *state)
{
    const portrait_iter *it = state;
    return it->p->done >= it->p->n;
}

static void portrait_iter_progress(const void *state, size_t *done,
                                   size_t *total)
{
    const portrait_iter *it = state;
    *done = it->p->done;
    *total = it->p->n;
}

const learn_portrait *portrait_iter_result(const void *state)
{
    return ((const portrait_iter *)state)->p;
}

ss_status portrait_iter_take(portrait_iter *it, int interrupted,
                             learn_portrait **out)
{
    learn_portrait *p = it->p;
    p->interrupted = interrupted && p->done < p->n;
    it->p = NULL;
    *out = p;
    return SS_OK;
}

const ss_iter_type portrait_iter_type = {
    .name = "portrait",
    .iterate = portrait_iter_iterate,
    .test = portrait_iter_test,
    .progress = portrait_iter_progress,
    .stop = NULL,
};

ss_status portrait_run(const model *student, const model *teacher,
                       portrait_spec *sp, learn_portrait **out)
{
    *out = NULL;
    portrait_iter *it;
    ss_status st = portrait_iter_alloc(student, teacher, sp, &it);
    if (st != SS_OK)
        return st;
    ss_iter i = {&portrait_iter_type, it};
    st = ss_iter_drive(&i, NULL, NULL);
    if (st == SS_OK)
        st = portrait_iter_take(it, 0, out);
    portrait_iter_free(it);
    return st;
}

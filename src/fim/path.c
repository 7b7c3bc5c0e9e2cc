#include "fim/path.h"

#include "fim/estimator.h"

#include "core/interrupt.h"

#include <gsl/gsl_fit.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void path_result_free(path_result *p)
{
    if (!p)
        return;
    free(p->names);
    free(p->t);
    free(p->dist);
    if (p->theta)
        gsl_matrix_free(p->theta);
    if (p->eval)
        gsl_matrix_free(p->eval);
    free(p->floor);
    free(p->logdet);
    free(p->cond);
    free(p->rank);
    free(p->expo);
    free(p->expo_se);
    free(p->expo_unc);
    free(p->prefactor);
    free(p->nfit);
    free(p->fit_dmin);
    free(p->fit_dmax);
    free(p);
}

static path_result *alloc_result(size_t npts, size_t k, size_t P)
{
    path_result *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->npts = npts;
    p->k = k;
    p->names = calloc(k, sizeof *p->names);
    p->t = calloc(npts, sizeof *p->t);
    p->dist = calloc(npts, sizeof *p->dist);
    p->theta = gsl_matrix_alloc(npts, P);
    p->eval = gsl_matrix_alloc(npts, k);
    p->floor = calloc(npts, sizeof *p->floor);
    p->logdet = calloc(npts, sizeof *p->logdet);
    p->cond = calloc(npts, sizeof *p->cond);
    p->rank = calloc(npts, sizeof *p->rank);
    p->expo = calloc(k, sizeof *p->expo);
    p->expo_se = calloc(k, sizeof *p->expo_se);
    p->expo_unc = calloc(k, sizeof *p->expo_unc);
    p->prefactor = calloc(k, sizeof *p->prefactor);
    p->nfit = calloc(k, sizeof *p->nfit);
    p->fit_dmin = calloc(k, sizeof *p->fit_dmin);
    p->fit_dmax = calloc(k, sizeof *p->fit_dmax);
    if (!p->fit_dmin || !p->fit_dmax || !p->names || !p->t || !p->dist || !p->theta || !p->eval ||
        !p->floor || !p->logdet || !p->cond || !p->rank || !p->expo ||
        !p->expo_se || !p->expo_unc || !p->prefactor || !p->nfit) {
        path_result_free(p);
        return NULL;
    }
    return p;
}

/* The spacing chosen, with what it needs: for a geometric segment the
 * distances of the two ends to the set approached (assumed affine along the
 * segment, as for the linear sets w1 = w2, v = 0, J1 = J2). */
typedef struct {
    path_spacing kind;
    double d_from, d_to;
} spacing_plan;

/* Remaining fraction r of step i (the point is end + r (start - end)), so
 * points near the end carry their tiny offsets exactly. */
static double remaining(const path_spec *sp, const spacing_plan *pl, size_t i)
{
    double s = (double)i / (double)(sp->steps - 1);
    if (i + 1 == sp->steps && pl->kind != PATH_DECADES)
        return 0.0; /* both ends exactly */
    switch (pl->kind) {
    case PATH_LINEAR: return 1.0 - s;
    case PATH_DECADES: return pow(10.0, -sp->decades * s);
    case PATH_GEOMETRIC: break;
    }
    if (!sp->theta_from) /* t = FROM (TO/FROM)^s, as a fraction of the way */
        return (sp->from * pow(sp->to / sp->from, s) - sp->to) /
               (sp->from - sp->to);
    double d = pl->d_from * pow(pl->d_to / pl->d_from, s);
    return (d - pl->d_to) / (pl->d_from - pl->d_to);
}

static ss_status point_at(const model *m, const path_spec *sp,
                          const spacing_plan *pl, size_t i, double *theta,
                          double *t)
{
    double r = remaining(sp, pl, i);
    if (sp->theta_from) {
        for (size_t j = 0; j < m->P; j++)
            theta[j] = sp->theta_to[j] +
                       r * (sp->theta_from[j] - sp->theta_to[j]);
        *t = 1.0 - r;
        return SS_OK;
    }
    if (pl->kind == PATH_GEOMETRIC) /* exactly geomspace's values */
        *t = r == 0.0 ? sp->to
                      : sp->from * pow(sp->to / sp->from,
                                       (double)i / (double)(sp->steps - 1));
    else
        *t = sp->to + r * (sp->from - sp->to);
    return model_axis_apply(m, m->theta, &sp->axis, *t, theta);
}

/* Where the path would end exactly (r = 0): its singular distances, or 0
 * when that point is not valid (the boundary of the valid region). */
static size_t end_distances(const model *m, const double *theta_at,
                            double *dist, size_t max, int *valid)
{
    *valid = model_validate(m, theta_at) == SS_OK;
    ss_clear_error(); /* probing, not failing */
    if (!*valid)
        return 0;
    return model_singular_distances(m, theta_at, dist, max);
}

static ss_status plan_from_ends(const path_spec *sp, spacing_plan *pl,
                                const double *d0, size_t n0, int v0,
                                const double *d1, size_t n1, int v1);

/* Decide the spacing of a `log` path (path_spacing in path.h). */
static ss_status plan_spacing(const model *m, const path_spec *sp,
                              spacing_plan *pl)
{
    pl->kind = PATH_LINEAR;
    pl->d_from = pl->d_to = NAN;
    if (!sp->log_spacing)
        return SS_OK;
    double *a = malloc(m->P * sizeof *a), *b = malloc(m->P * sizeof *b);
    size_t nsmax = model_nsingular(m);
    double *d0 = malloc((nsmax ? nsmax : 1) * sizeof *d0);
    double *d1 = malloc((nsmax ? nsmax : 1) * sizeof *d1);
    if (!a || !b || !d0 || !d1) {
        free(a);
        free(b);
        free(d0);
        free(d1);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    if (sp->theta_from) {
        memcpy(a, sp->theta_from, m->P * sizeof *a);
        memcpy(b, sp->theta_to, m->P * sizeof *b);
    } else {
        /* outside the chart counts as not valid (NaN fails validation);
         * the walk itself reports a bad start */
        if (model_axis_apply(m, m->theta, &sp->axis, sp->from, a) != SS_OK)
            a[0] = NAN;
        if (model_axis_apply(m, m->theta, &sp->axis, sp->to, b) != SS_OK)
            b[0] = NAN;
        ss_clear_error();
    }
    int v0, v1;
    size_t n0 = end_distances(m, a, d0, nsmax, &v0);
    size_t n1 = end_distances(m, b, d1, nsmax, &v1);
    free(a);
    free(b);
    ss_status rc = plan_from_ends(sp, pl, d0, n0, v0, d1, n1, v1);
    free(d0);
    free(d1);
    return rc;
}

/* The spacing from the distances to the singular sets at the two ends
 * (valid: whether the end is a valid point). */
static ss_status plan_from_ends(const path_spec *sp, spacing_plan *pl,
                                const double *d0, size_t n0, int v0,
                                const double *d1, size_t n1, int v1)
{
    int end_on_set = !v1;
    for (size_t j = 0; j < n1; j++)
        if (d1[j] == 0.0)
            end_on_set = 1;
    if (end_on_set || (!sp->theta_from && sp->to == 0.0)) {
        pl->kind = PATH_DECADES;
        return SS_OK;
    }
    if (!sp->theta_from) {
        if (!(sp->from / sp->to > 0.0))
            return SS_FAIL(SS_ERR_RANGE,
                           "log spacing from %g to %g: geometric spacing "
                           "needs FROM and TO of one sign (or TO = 0, or TO "
                           "on a singular set, where the distance to it "
                           "shrinks over decades=D)",
                           sp->from, sp->to);
        pl->kind = PATH_GEOMETRIC;
        return SS_OK;
    }
    /* a segment: the set approached (shrinking, nearest at the end) */
    int target = -1;
    for (size_t j = 0; v0 && j < n1 && j < n0; j++)
        if (d1[j] < d0[j] && (target < 0 || d1[j] < d1[target]))
            target = (int)j;
    for (size_t j = 0; target < 0 && v0 && j < n1 && j < n0; j++)
        if (target < 0 || d1[j] < d1[target])
            target = (int)j;
    if (target < 0 || !(d0[target] > 0.0) ||
        !(fabs(log(d0[target] / d1[target])) > 1e-3))
        return SS_FAIL(SS_ERR_RANGE,
                       "log spacing of a segment needs its end on a "
                       "singular set, or a distance to one that changes "
                       "along it (spaced geometrically between the ends)");
    pl->kind = PATH_GEOMETRIC;
    pl->d_from = d0[target];
    pl->d_to = d1[target];
    return SS_OK;
}

/* The iteration: set validates every point and creates the result; each
 * iterate computes one point; the fit runs when the last point is in. */
struct path_iter {
    path_spec sp;
    const model *m;
    model *work;
    fim_ws *fw;   /* the estimator's workspace, allocated once */
    path_result *p;
    int target;   /* the singular set approached, -1 if none */
    size_t next;  /* next step to compute */
    int failed;   /* a step failed: nothing more to do */
};

void path_iter_free(path_iter *it)
{
    if (!it)
        return;
    model_free(it->work);
    fim_ws_free(it->fw);
    path_result_free(it->p);
    free(it);
}

ss_status path_iter_alloc(const model *m, const path_spec *sp,
                          path_iter **out)
{
    *out = NULL;
    if (sp->steps < 2)
        return SS_FAIL(SS_ERR_RANGE, "a path needs at least 2 steps");
    if (!sp->theta_from && sp->from == sp->to)
        return SS_FAIL(SS_ERR_RANGE, "empty path: %s goes from %g to %g",
                       sp->axis.name, sp->from, sp->to);
    size_t *idx, k;
    ss_status fs = model_free_index_list(m, &idx, &k);
    if (fs != SS_OK)
        return fs;
    path_iter *it = calloc(1, sizeof *it);
    path_result *p = alloc_result(sp->steps, k, m->P);
    model *work = model_clone(m);
    if (!it || !p || !work) {
        free(idx);
        free(it);
        path_result_free(p);
        model_free(work);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    ss_status ws = fim_ws_alloc(m, fim_request_estimator(&sp->fim), &it->fw);
    if (ws != SS_OK) {
        free(idx);
        path_result_free(p);
        model_free(work);
        free(it);
        return ws;
    }
    it->sp = *sp;
    it->m = m;
    it->work = work;
    it->p = p;
    it->target = -1;
    for (size_t a = 0; a < k; a++)
        model_param_name(m, idx[a], p->names[a], MODEL_NAME_MAX);
    free(idx);
    snprintf(p->axis, sizeof p->axis, "%s",
             sp->theta_from ? "t" : sp->axis.name);
    p->method = sp->fim.method;

    spacing_plan plan;
    ss_status st = plan_spacing(m, sp, &plan);
    p->spacing = plan.kind;

    /* Every point must be valid before anything is computed. */
    for (size_t i = 0; i < sp->steps && st == SS_OK; i++) {
        gsl_vector_view row = gsl_matrix_row(p->theta, i);
        st = point_at(m, sp, &plan, i, row.vector.data, &p->t[i]);
        if (st == SS_OK)
            st = model_validate(m, row.vector.data);
        if (st != SS_OK) {
            char why[sizeof ss_last_error()->msg];
            snprintf(why, sizeof why, "%s", ss_last_error()->msg);
            st = SS_FAIL(st, "the path leaves the valid region at step %zu "
                             "(%s = %.6g): %s",
                         i + 1, p->axis, p->t[i], why);
        }
    }
    if (st != SS_OK) {
        path_iter_free(it);
        return st;
    }

    /* The singular set approached: of the sets whose distance shrinks
     * along the path, the nearest at the end; a set the whole path lies in
     * (distance 0 throughout) is not "approached". Failing that, the
     * nearest at the end. */
    model_singular *sing = NULL, *sing0 = NULL;
    int target = -1;
    if (m->type->singular) {
        gsl_vector_view first = gsl_matrix_row(p->theta, 0);
        gsl_vector_view last = gsl_matrix_row(p->theta, sp->steps - 1);
        size_t n0 = 0, ns = 0;
        ss_status rs = model_singular_list(m, first.vector.data, &sing0, &n0);
        if (rs == SS_OK)
            rs = model_singular_list(m, last.vector.data, &sing, &ns);
        if (rs != SS_OK) {
            free(sing0);
            path_iter_free(it);
            return rs;
        }
        for (size_t j = 0; j < ns && j < n0; j++)
            if (sing[j].distance < sing0[j].distance &&
                (target < 0 || sing[j].distance < sing[target].distance))
                target = (int)j;
        if (target < 0)
            for (size_t j = 0; j < ns; j++)
                if (target < 0 || sing[j].distance < sing[target].distance)
                    target = (int)j;
        if (target >= 0)
            snprintf(p->set_name, sizeof p->set_name, "%s",
                     sing[target].name);
        free(sing);
        free(sing0);
    }
    it->target = target;
    *out = it;
    return SS_OK;
}

int path_iter_test(const path_iter *it)
{
    return it->failed || it->next >= it->sp.steps;
}

ss_status path_iter_iterate(path_iter *it)
{
    if (path_iter_test(it))
        return SS_OK;
    const model *m = it->m;
    path_result *p = it->p;
    size_t i = it->next, k = p->k;
    model *work = it->work;
    memcpy(work->theta, gsl_matrix_const_ptr(p->theta, i, 0),
           m->P * sizeof *work->theta);
    p->dist[i] = NAN;
    if (it->target >= 0) {
        model_singular *sing = NULL;
        size_t ns = 0;
        ss_status rs = model_singular_list(m, work->theta, &sing, &ns);
        if (rs != SS_OK) {
            it->failed = 1;
            return rs;
        }
        if ((size_t)it->target < ns)
            p->dist[i] = sing[it->target].distance;
        free(sing);
    }
    fim_request req = it->sp.fim;
    req.seed = it->sp.fim.seed + i; /* each step its own fixed stream */
    spec_result *s = NULL;
    ss_status st = fim_ws_compute(it->fw, work->theta, &req);
    if (st == SS_OK)
        st = spec_analyze(fim_ws_result(it->fw), it->sp.tol, &s);
    if (st == SS_OK) {
        for (size_t j = 0; j < k; j++)
            gsl_matrix_set(p->eval, i, j, gsl_vector_get(s->eval, j));
        p->floor[i] = s->floor;
        p->logdet[i] = s->logdet;
        p->cond[i] = s->cond;
        p->rank[i] = s->rank;
        p->done = i + 1;
        it->next = i + 1;
    } else {
        char why[sizeof ss_last_error()->msg];
        snprintf(why, sizeof why, "%s", ss_last_error()->msg);
        st = SS_FAIL(st, "at step %zu (%s = %.6g): %s", i + 1, p->axis,
                     p->t[i], why);
        it->failed = 1;
    }
    spec_result_free(s);
    return st;
}

const path_result *path_iter_result(const path_iter *it) { return it->p; }

void path_iter_set_source(path_iter *it, const char *name)
{
    snprintf(it->p->source, sizeof it->p->source, "%s", name);
}

ss_status path_iter_take(path_iter *it, int interrupted, path_result **out)
{
    *out = NULL;
    path_result *p = it->p;
    if (p->done == 0)
        return SS_FAIL(SS_ERR_INTERRUPTED, "interrupted before the first step");
    p->interrupted = interrupted || p->done < p->npts;
    path_fit(p);
    it->p = NULL;
    *out = p;
    return SS_OK;
}

static ss_status it_iterate(void *s) { return path_iter_iterate(s); }
static int it_test(const void *s) { return path_iter_test(s); }
static void it_progress(const void *s, size_t *done, size_t *total)
{
    const path_iter *it = s;
    *done = it->next;
    *total = it->sp.steps;
}

const ss_iter_type path_iter_type = {"path", it_iterate, it_test,
                                     it_progress, NULL};

ss_status path_run(const model *m, const path_spec *sp,
                   path_progress_fn progress, void *ctx, path_result **out)
{
    *out = NULL;
    path_iter *it;
    ss_status st = path_iter_alloc(m, sp, &it);
    if (st != SS_OK)
        return st;
    while (st == SS_OK && !path_iter_test(it) && !ss_interrupted()) {
        st = path_iter_iterate(it);
        if (progress)
            progress(ctx, it->next, sp->steps);
    }
    if (st == SS_OK)
        st = path_iter_take(it, ss_interrupted(), out);
    path_iter_free(it);
    return st;
}

/* Points by distance, ties by step: sorted once for every eigenvalue. */
typedef struct {
    double d;
    size_t i;
} by_dist;

static int cmp_dist(const void *a, const void *b)
{
    const by_dist *x = a, *y = b;
    if (x->d != y->d)
        return x->d < y->d ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* Least squares slope of y on x over n points, with its standard error
 * (0 for an exact fit or n = 2). */
static int fit_line(const double *x, const double *y, size_t n, double *c0,
                    double *c1, double *se1)
{
    double c00, c01, c11, sumsq;
    if (gsl_fit_linear(x, 1, y, 1, n, c0, c1, &c00, &c01, &c11, &sumsq) !=
        GSL_SUCCESS)
        return 0;
    *se1 = n > 2 ? sqrt(c11) : 0.0;
    return isfinite(*c1);
}

/* cov(d, log d) / var(log d) over the first n points, x = log d. */
static double drift_weight(const double *x, size_t n)
{
    double mx = 0, md = 0;
    for (size_t i = 0; i < n; i++) {
        mx += x[i];
        md += exp(x[i]);
    }
    mx /= (double)n;
    md /= (double)n;
    double sxd = 0, sxx = 0;
    for (size_t i = 0; i < n; i++) {
        sxd += (x[i] - mx) * (exp(x[i]) - md);
        sxx += (x[i] - mx) * (x[i] - mx);
    }
    return sxd / sxx;
}

void path_fit(path_result *p)
{
    size_t cap = p->done ? p->done : 1;
    double *x = malloc(cap * sizeof *x);
    double *y = malloc(cap * sizeof *y);
    by_dist *ord = malloc(cap * sizeof *ord);
    size_t *use_idx = malloc(cap * sizeof *use_idx);
    for (size_t j = 0; j < p->k; j++) {
        p->nfit[j] = 0;
        p->expo[j] = p->expo_se[j] = p->expo_unc[j] = p->prefactor[j] = NAN;
    }
    if (!x || !y || !ord || !use_idx) {
        free(x);
        free(y);
        free(ord);
        free(use_idx);
        return;
    }
    /* points with a positive distance, nearest first: O(n log n) once */
    size_t nd = 0;
    for (size_t i = 0; i < p->done; i++)
        if (isfinite(p->dist[i]) && p->dist[i] > 0)
            ord[nd++] = (by_dist){p->dist[i], i};
    qsort(ord, nd, sizeof *ord, cmp_dist);
    for (size_t j = 0; j < p->k; j++) {
        if (ss_interrupted())
            break; /* the rest stay without a fit */
        /* usable: an eigenvalue resolved well above the floor */
        size_t n = 0;
        for (size_t a = 0; a < nd; a++) {
            size_t i = ord[a].i;
            double l = gsl_matrix_get(p->eval, i, j);
            if (isfinite(l) && l > 4 * p->floor[i])
                use_idx[n++] = i;
        }
        /* nearest half (the asymptotic regime), at least 3 points */
        size_t use = n < 6 ? n : (n + 1) / 2;
        if (use < 3)
            continue;
        for (size_t a = 0; a < use; a++) {
            x[a] = log(p->dist[use_idx[a]]);
            y[a] = log(gsl_matrix_get(p->eval, use_idx[a], j));
        }
        /* a path parallel to the set: log d is constant, no slope */
        if (x[use - 1] - x[0] < 1e-3) {
            p->flat_distance = 1;
            continue;
        }
        double c0, c1, se;
        if (!fit_line(x, y, use, &c0, &c1, &se))
            continue;
        /* The curvature the regression error does not see: the local
         * slope drifts as k(d) = k + a d^m + ..., and a window's slope is
         * then k + a c_W with c_W = cov_W(d^m, log d) / var_W(log d).
         * Taking m = 1 and the slopes of this window and of its nearer
         * half gives a and the bias a c_W of this window's slope; for
         * a single power m >= 1 that over-estimates the bias (c_far/c_near
         * is smallest for m = 1); twice it leaves room for the next terms
         * of the series (a drift that saturates, 100 d / (1 + 100 d)), so
         * the interval covers the limit k. */
        double unc = NAN;
        size_t near = use / 2 < 3 ? 3 : use / 2;
        double b0, b1, bse;
        if (near < use && x[near - 1] - x[0] > 1e-3 &&
            fit_line(x, y, near, &b0, &b1, &bse)) {
            double cf = drift_weight(x, use), cn = drift_weight(x, near);
            double bias = cf > cn ? (c1 - b1) / (cf - cn) * cf : INFINITY;
            unc = 2 * fabs(bias) + fmax(se, bse * cf / (cf - cn));
            if (!isfinite(unc))
                unc = INFINITY;
        }
        p->nfit[j] = use;
        p->fit_dmin[j] = exp(x[0]);
        p->fit_dmax[j] = exp(x[use - 1]);
        p->expo[j] = c1;
        p->expo_se[j] = se;
        p->expo_unc[j] = unc;
        p->prefactor[j] = exp(c0);
    }
    free(x);
    free(y);
    free(ord);
    free(use_idx);
}

void path_fit_verdict(const path_result *p, size_t j, char *buf, size_t n)
{
    if (p->nfit[j] == 0)
        snprintf(buf, n, "%s",
                 p->flat_distance ? "no fit: the distance to the set hardly "
                                    "changes along this path"
                                  : "too few resolved points to fit");
    /* A power law is only read off a fit over points spaced
     * geometrically, spanning at least half a decade of distance, whose
     * uncertainty (curvature included) leaves little doubt about it. */
    else if (p->fit_dmax[j] < 3 * p->fit_dmin[j])
        snprintf(buf, n, "no clean power law: d spans only %.3g..%.3g",
                 p->fit_dmin[j], p->fit_dmax[j]);
    else if (p->spacing == PATH_LINEAR)
        snprintf(buf, n, "unreliable: evenly spaced points (use log)");
    else if (isnan(p->expo_unc[j]))
        snprintf(buf, n, "no clean power law (too few points to judge "
                         "the curvature)");
    else if (p->expo_unc[j] > 0.05)
        snprintf(buf, n, "no clean power law (exponent uncertain)");
    else if (p->expo[j] > 0.5)
        snprintf(buf, n, "vanishes like d^%.3g", p->expo[j]);
    else if (p->expo[j] < -0.5)
        snprintf(buf, n, "grows like d^%.3g", p->expo[j]);
    else
        snprintf(buf, n, "stays of order 1");
}

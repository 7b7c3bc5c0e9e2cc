#include "fim/path.h"

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
    p->prefactor = calloc(k, sizeof *p->prefactor);
    p->nfit = calloc(k, sizeof *p->nfit);
    p->fit_dmin = calloc(k, sizeof *p->fit_dmin);
    p->fit_dmax = calloc(k, sizeof *p->fit_dmax);
    if (!p->fit_dmin || !p->fit_dmax || !p->names || !p->t || !p->dist || !p->theta || !p->eval ||
        !p->floor || !p->logdet || !p->cond || !p->rank || !p->expo ||
        !p->expo_se || !p->prefactor || !p->nfit) {
        path_result_free(p);
        return NULL;
    }
    return p;
}

/* Position of step i in [0, 1] from the start; log spacing makes the
 * remaining distance to the end shrink geometrically, so the end point
 * itself (often the singular set, where lambda = 0) is approached but not
 * reached. */
static double remaining(const path_spec *sp, size_t i)
{
    double s = (double)i / (double)(sp->steps - 1);
    if (!sp->log_spacing)
        return 1.0 - s;
    return pow(10.0, -sp->decades * s);
}

/* Points are written as end + r (start - end), r the remaining fraction,
 * so log-spaced points near the end carry their tiny offsets exactly. */
static ss_status point_at(const model *m, const path_spec *sp, size_t i,
                          double *theta, double *t)
{
    double r = remaining(sp, i);
    if (sp->theta_from) {
        for (size_t j = 0; j < m->P; j++)
            theta[j] = sp->theta_to[j] +
                       r * (sp->theta_from[j] - sp->theta_to[j]);
        *t = 1.0 - r;
        return SS_OK;
    }
    *t = sp->to + r * (sp->from - sp->to);
    return model_axis_apply(m, m->theta, &sp->axis, *t, theta);
}

/* The iteration: set validates every point and creates the result; each
 * iterate computes one point; the fit runs when the last point is in. */
struct path_iter {
    path_spec sp;
    const model *m;
    model *work;
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
    it->sp = *sp;
    it->m = m;
    it->work = work;
    it->p = p;
    it->target = -1;
    for (size_t a = 0; a < k; a++)
        memcpy(p->names[a], m->params[idx[a]].name, MODEL_NAME_MAX);
    free(idx);
    snprintf(p->axis, sizeof p->axis, "%s",
             sp->theta_from ? "t" : sp->axis.name);
    p->method = sp->fim.method;

    /* Every point must be valid before anything is computed. */
    ss_status st = SS_OK;
    for (size_t i = 0; i < sp->steps && st == SS_OK; i++) {
        gsl_vector_view row = gsl_matrix_row(p->theta, i);
        st = point_at(m, sp, i, row.vector.data, &p->t[i]);
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
    model_singular sing[MODEL_MAX_SINGULAR], sing0[MODEL_MAX_SINGULAR];
    int target = -1;
    if (m->type->singular) {
        gsl_vector_view first = gsl_matrix_row(p->theta, 0);
        gsl_vector_view last = gsl_matrix_row(p->theta, sp->steps - 1);
        size_t n0 = m->type->singular(m, first.vector.data, sing0,
                                      MODEL_MAX_SINGULAR);
        size_t ns = m->type->singular(m, last.vector.data, sing,
                                      MODEL_MAX_SINGULAR);
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
        model_singular sing[MODEL_MAX_SINGULAR];
        size_t ns = m->type->singular(m, work->theta, sing,
                                      MODEL_MAX_SINGULAR);
        if ((size_t)it->target < ns)
            p->dist[i] = sing[it->target].distance;
    }
    fim_request req = it->sp.fim;
    req.seed = it->sp.fim.seed + i; /* each step its own fixed stream */
    req.progress = NULL;
    fim_result *f = NULL;
    spec_result *s = NULL;
    ss_status st = fim_compute(work, &req, &f);
    if (st == SS_OK)
        st = spec_analyze(f, it->sp.tol, &s);
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
    fim_result_free(f);
    spec_result_free(s);
    return st;
}

const path_result *path_iter_result(const path_iter *it) { return it->p; }

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

void path_fit(path_result *p)
{
    double *x = malloc((p->done ? p->done : 1) * sizeof *x);
    double *y = malloc((p->done ? p->done : 1) * sizeof *y);
    size_t *ord = malloc((p->done ? p->done : 1) * sizeof *ord);
    if (!x || !y || !ord) {
        free(x);
        free(y);
        free(ord);
        return;
    }
    for (size_t j = 0; j < p->k; j++) {
        p->nfit[j] = 0;
        p->expo[j] = p->expo_se[j] = p->prefactor[j] = NAN;
        /* usable points: a positive distance and an eigenvalue resolved
         * well above the floor */
        size_t n = 0;
        for (size_t i = 0; i < p->done; i++) {
            double d = p->dist[i], l = gsl_matrix_get(p->eval, i, j);
            if (isfinite(d) && d > 0 && isfinite(l) && l > 4 * p->floor[i])
                ord[n++] = i;
        }
        /* nearest half (the asymptotic regime), at least 3 points */
        for (size_t a = 1; a < n; a++) /* insertion sort by distance */
            for (size_t b = a; b > 0 && p->dist[ord[b]] < p->dist[ord[b - 1]];
                 b--) {
                size_t tmp = ord[b];
                ord[b] = ord[b - 1];
                ord[b - 1] = tmp;
            }
        size_t use = n < 6 ? n : (n + 1) / 2;
        if (use < 3)
            continue;
        for (size_t a = 0; a < use; a++) {
            x[a] = log(p->dist[ord[a]]);
            y[a] = log(gsl_matrix_get(p->eval, ord[a], j));
        }
        /* a path parallel to the set: log d is constant, no slope */
        if (x[use - 1] - x[0] < 1e-3) {
            p->flat_distance = 1;
            continue;
        }
        double c0, c1, c00, c01, c11, sumsq;
        if (gsl_fit_linear(x, 1, y, 1, use, &c0, &c1, &c00, &c01, &c11,
                           &sumsq) != GSL_SUCCESS)
            continue;
        p->nfit[j] = use;
        p->fit_dmin[j] = exp(x[0]);
        p->fit_dmax[j] = exp(x[use - 1]);
        p->expo[j] = c1;
        p->expo_se[j] = sqrt(c11);
        p->prefactor[j] = exp(c0);
    }
    free(x);
    free(y);
    free(ord);
}

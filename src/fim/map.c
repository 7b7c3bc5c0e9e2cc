#include "fim/map.h"

#include "core/interrupt.h"
#include "core/replicate.h"
#include "fim/estimator.h"
#include "fim/spectrum.h"

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_machine.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *map_stat_name(map_stat s)
{
    switch (s) {
    case MAP_LOGDET: return "logdet";
    case MAP_LAMBDA_MIN: return "lambda_min";
    case MAP_COND: return "cond";
    case MAP_RANK: return "rank";
    }
    return "?";
}

int map_stat_parse(const char *s)
{
    for (int i = 0; i <= MAP_RANK; i++)
        if (strcmp(s, map_stat_name((map_stat)i)) == 0)
            return i;
    return -1;
}

void map_result_free(map_result *r)
{
    if (!r)
        return;
    free(r->val);
    free(r->status);
    free(r->sing);
    free(r->set_names);
    free(r);
}

/* The i-th of n points from a to b, as (1 - t) a + t b: finite for any
 * finite ends (b - a overflows for -1e308..1e308), exact at both ends. */
static double grid_at(double a, double b, size_t i, size_t n)
{
    if (n == 1)
        return a;
    double t = (double)i / (double)(n - 1);
    return i + 1 == n ? b : (1.0 - t) * a + t * b;
}

/* The grid step, without forming b - a. */
static double grid_step(double a, double b, size_t n)
{
    return b / (double)(n - 1) - a / (double)(n - 1);
}

double map_x(const map_result *r, size_t i)
{
    return grid_at(r->x0, r->x1, i, r->nx);
}

double map_y(const map_result *r, size_t j)
{
    return grid_at(r->y0, r->y1, j, r->ny);
}

typedef struct {
    fim_ws *fw;            /* the exact estimator's workspace, as eig uses */
    gsl_matrix *Gk;
    gsl_vector *eval;
    gsl_eigen_symm_workspace *ws;
    double *th, *thx, *thy;
    size_t *idx;
    size_t nsmax;          /* singular sets the family can report */
    double *sd;            /* 5 x nsmax distances: centre, 4 neighbours */
    model_singular *sing;  /* nsmax */
    const struct map_iter *it; /* the map a worker computes */
} map_work;

static void work_free(map_work *w)
{
    fim_ws_free(w->fw);
    if (w->Gk)
        gsl_matrix_free(w->Gk);
    if (w->eval)
        gsl_vector_free(w->eval);
    if (w->ws)
        gsl_eigen_symm_free(w->ws);
    free(w->th);
    free(w->thx);
    free(w->thy);
    free(w->idx);
    free(w->sd);
    free(w->sing);
}

/* The statistic at one point, from the same exact FIM and with the same
 * floor as `eig`: the eigenvalues of G (no vectors, no root factor) where
 * they are resolved, and where the smallest is at G's floor
 * (8 eps k lambda_max) the spectrum `eig` computes, through the root
 * factor's SVD when the family has one. The cost of a resolved cell is
 * one exact FIM and a k x k eigenvalue problem, with nothing allocated. */
static map_cell_status cell_value(const model *m, const map_spec *sp,
                                  map_work *w, size_t k, double *out,
                                  int *at_floor)
{
    *at_floor = 0;
    if (model_validate(m, w->th) != SS_OK)
        return MAP_CELL_INVALID;
    fim_request rq = sp->fim;
    if (!rq.est)
        rq.method = FIM_EXACT;
    rq.no_root = 1;
    if (fim_ws_compute(w->fw, w->th, &rq) != SS_OK)
        return MAP_CELL_FAILED;
    gsl_matrix_memcpy(w->Gk, fim_ws_result(w->fw)->G);
    if (spec_symm_eigen(w->Gk, w->eval, w->ws) != SS_OK) {
        ss_clear_error();
        return MAP_CELL_FAILED;
    }
    double lmax = 0, lmin = INFINITY;
    for (size_t a = 0; a < k; a++) {
        double l = gsl_vector_get(w->eval, a);
        lmax = fmax(lmax, fabs(l));
        lmin = fmin(lmin, l);
    }
    double floor = 8.0 * GSL_DBL_EPSILON * (double)k * lmax;
    if (lmin <= floor) {
        /* below G's resolution: what eig would say here */
        rq.no_root = 0;
        spec_result *s = NULL;
        if (fim_ws_compute(w->fw, w->th, &rq) == SS_OK &&
            fim_ws_result(w->fw)->root &&
            spec_analyze(fim_ws_result(w->fw), sp->tol, &s) == SS_OK) {
            gsl_vector_memcpy(w->eval, s->eval);
            floor = s->floor;
            lmax = lmin = gsl_vector_get(s->eval, 0);
            for (size_t a = 0; a < k; a++) {
                double l = gsl_vector_get(s->eval, a);
                lmax = fmax(lmax, fabs(l));
                lmin = fmin(lmin, l);
            }
        }
        spec_result_free(s);
        ss_clear_error();
    }
    *at_floor = lmin <= floor;
    switch (sp->stat) {
    case MAP_LOGDET: {
        double s = 0;
        for (size_t a = 0; a < k; a++)
            s += log(gsl_vector_get(w->eval, a));
        *out = *at_floor ? -INFINITY : s;
        break;
    }
    case MAP_LAMBDA_MIN: *out = *at_floor ? 0.0 : lmin; break;
    case MAP_COND: *out = *at_floor ? INFINITY : lmax / lmin; break;
    case MAP_RANK: {
        size_t r = 0;
        double th = fmax(sp->tol * lmax, floor);
        for (size_t a = 0; a < k; a++)
            if (gsl_vector_get(w->eval, a) > th)
                r++;
        *out = (double)r;
        break;
    }
    }
    return MAP_CELL_OK;
}

/* Distances to every singular set at the point (x, y) of the plane. */
static size_t set_distances(const model *m, const map_spec *sp, map_work *w,
                            double x, double y, double *d)
{
    if (model_axis_apply(m, m->theta, &sp->x, x, w->thx) != SS_OK ||
        model_axis_apply(m, w->thx, &sp->y, y, w->thy) != SS_OK) {
        ss_clear_error();
        return 0;
    }
    return model_singular_distances(m, w->thy, d, w->nsmax);
}

/* Which singular set (if any) crosses the cell around (x, y). A set is
 * marked when its distance could fall to zero within half a grid step in
 * the plane: the distance at the centre is compared with how much it
 * changes over half a step along each axis. That way a set the plane never
 * meets (v = 0 on a w1-w2 map with v = 0.3) is not marked however close it
 * is, while one the plane cuts through (w1 = w2) is. */
static int mark_singular(const model *m, const map_spec *sp, map_work *w,
                         double x, double y, double hx, double hy)
{
    double *d0 = w->sd, *dn[4];
    for (int k = 0; k < 4; k++)
        dn[k] = w->sd + (size_t)(k + 1) * w->nsmax;
    size_t ns = model_singular_distances(m, w->th, d0, w->nsmax);
    if (ns > SCHAR_MAX) /* the cell marks hold a signed char */
        ns = SCHAR_MAX;
    /* The distance is 1-Lipschitz in the parameters: a set farther than
     * the cell reaches in parameter space cannot cross it. */
    double bound = 0;
    for (int k = 0; k < 2; k++) {
        const model_axis *ax = k ? &sp->y : &sp->x;
        double v0, dd = 0;
        if (model_axis_value(m, w->th, ax, &v0) == SS_OK &&
            model_axis_apply(m, w->th, ax, v0 + (k ? hy : hx), w->thx) ==
                SS_OK)
            for (size_t i = 0; i < m->P; i++)
                dd += (w->thx[i] - w->th[i]) * (w->thx[i] - w->th[i]);
        else
            dd = INFINITY;
        ss_clear_error();
        bound += dd;
    }
    bound = 2 * sqrt(bound); /* margin for charts that are not isometric */
    int any = 0;
    for (size_t q = 0; q < ns; q++)
        any |= d0[q] <= bound;
    if (!any)
        return -1;
    const double off[4][2] = {{hx, 0}, {-hx, 0}, {0, hy}, {0, -hy}};
    size_t got[4];
    for (int k = 0; k < 4; k++)
        got[k] = set_distances(m, sp, w, x + off[k][0], y + off[k][1],
                               dn[k]);
    int best = -1;
    for (size_t q = 0; q < ns; q++) {
        double ch[2] = {0, 0};
        for (int k = 0; k < 4; k++)
            if (got[k] > q)
                ch[k / 2] = fmax(ch[k / 2], fabs(dn[k][q] - d0[q]));
        double reach = sqrt(ch[0] * ch[0] + ch[1] * ch[1]);
        if ((d0[q] == 0 || d0[q] <= reach) &&
            (best < 0 || d0[q] < d0[best]))
            best = (int)q;
    }
    return best;
}

/* The iteration: set checks the spec and allocates the result and the
 * workspaces once; each iterate fills one row of the grid. */
/* Rows are computed on the replicate runner's threads, each worker with
 * its own workspace; a worker writes its row's cells (disjoint memory)
 * and the row's counts, which are added in row order as the run of
 * finished rows from the first grows: the same map for any thread count,
 * and a live picture that fills from the top. */
struct map_iter {
    map_spec sp;
    const model *m;
    map_work w; /* for the names of the sets (the workers have their own) */
    size_t k;
    double dx, dy;
    map_result *r;
    rep_job *job;
    int finished; /* the runner has been joined */
};

/* Per row: invalid, failed, at floor, marked cells; the row's minimum
 * cell (-1: none) and value. */
enum { ROW_INVALID, ROW_FAILED, ROW_FLOOR, ROW_SING, ROW_IMIN, ROW_MIN,
       ROW_NCOLS };

/* One worker's buffers for maps of m (free parameters k of them). */
/* The estimator every cell uses: the request's (a population FIM of a
 * design), else the exact FIM. */
static const fim_estimator *cell_estimator(const map_spec *sp)
{
    return sp->fim.est ? sp->fim.est : fim_estimator_builtin(FIM_EXACT);
}

static ss_status work_alloc(const model *m, const map_spec *sp,
                            map_work *w)
{
    memset(w, 0, sizeof *w);
    size_t P = m->P, k;
    ss_status st = model_free_index_list(m, &w->idx, &k);
    if (st != SS_OK)
        return st;
    if (fim_ws_alloc(m, cell_estimator(sp), &w->fw) != SS_OK)
        ss_clear_error(); /* reported as out of memory below */
    w->Gk = gsl_matrix_alloc(k ? k : 1, k ? k : 1);
    w->eval = gsl_vector_alloc(k ? k : 1);
    w->ws = gsl_eigen_symm_alloc(k ? k : 1);
    w->th = malloc(P * sizeof *w->th);
    w->thx = malloc(P * sizeof *w->thx);
    w->thy = malloc(P * sizeof *w->thy);
    w->nsmax = model_nsingular(m);
    size_t ns1 = w->nsmax ? w->nsmax : 1;
    w->sd = malloc(5 * ns1 * sizeof *w->sd);
    w->sing = malloc(ns1 * sizeof *w->sing);
    if (!w->fw || !w->Gk || !w->eval || !w->ws || !w->th || !w->thx ||
        !w->thy || !w->sd || !w->sing) {
        work_free(w);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory for a map");
    }
    return SS_OK;
}

static void *worker_alloc(void *ctx)
{
    const map_iter *it = ctx;
    map_work *w = malloc(sizeof *w);
    if (!w || work_alloc(it->m, &it->sp, w) != SS_OK) {
        free(w);
        return NULL;
    }
    w->it = it;
    return w;
}

static void worker_free(void *p)
{
    work_free(p);
    free(p);
}

static ss_status compute_row(void *worker, size_t j, double *cnt);

void map_iter_free(map_iter *it)
{
    if (!it)
        return;
    if (it->job && !it->finished)
        rep_abandon(it->job);
    work_free(&it->w);
    map_result_free(it->r);
    free(it);
}

ss_status map_iter_alloc(const model *m, const map_spec *sp, map_iter **out)
{
    *out = NULL;
    if (!sp->fim.est && !m->type->fim_exact)
        return SS_FAIL(SS_ERR_USAGE, "map needs an exact FIM, which %s does "
                                     "not have",
                       m->type->name);
    if (sp->nx < 2 || sp->ny < 2)
        return SS_FAIL(SS_ERR_RANGE, "a map needs at least 2x2 points");
    if (sp->nx * sp->ny > MAP_MAX_CELLS)
        return SS_FAIL(SS_ERR_LIMIT,
                       "resolution %zux%zu is too large (at most %d points)",
                       sp->nx, sp->ny, MAP_MAX_CELLS);
    if (sp->x0 == sp->x1 || sp->y0 == sp->y1)
        return SS_FAIL(SS_ERR_RANGE, "empty range on the %s axis",
                       sp->x0 == sp->x1 ? sp->x.name : sp->y.name);
    if (sp->x.is_coord == sp->y.is_coord && sp->x.index == sp->y.index)
        return SS_FAIL(SS_ERR_USAGE, "x and y must be different axes");

    map_iter *it = calloc(1, sizeof *it);
    if (!it)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    map_work *w = &it->w;
    size_t cells = sp->nx * sp->ny;
    ss_status fs = work_alloc(m, sp, w);
    if (fs != SS_OK) {
        free(it);
        return fs;
    }
    size_t k = 0;
    for (size_t i = 0; i < m->P; i++)
        k += m->is_free[i] != 0;
    map_result *r = calloc(1, sizeof *r);
    it->r = r;
    if (r) {
        r->val = malloc(cells * sizeof *r->val);
        r->status = calloc(cells, 1);
        r->sing = malloc(cells);
        r->set_names = calloc(w->nsmax ? w->nsmax : 1, sizeof *r->set_names);
    }
    if (!r || !r->val || !r->status || !r->sing || !r->set_names) {
        map_iter_free(it);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory for a %zux%zu map",
                       sp->nx, sp->ny);
    }
    /* the names of the sets, from the full description at the model's
     * point (the cells hold indices into them) */
    if (m->type->singular && w->nsmax) {
        size_t nn = m->type->singular(m, m->theta, w->sing, w->nsmax);
        for (size_t q = 0; q < nn; q++) {
            memcpy(r->set_names[q], w->sing[q].name, sizeof r->set_names[q]);
            r->set_names[q][sizeof r->set_names[q] - 1] = 0;
        }
        r->nsets = nn;
    }
    it->sp = *sp;
    it->m = m;
    it->k = k;
    r->nx = sp->nx;
    r->ny = sp->ny;
    r->k = k;
    r->x0 = sp->x0;
    r->x1 = sp->x1;
    r->y0 = sp->y0;
    r->y1 = sp->y1;
    r->stat = sp->stat;
    snprintf(r->xname, sizeof r->xname, "%s", sp->x.name);
    snprintf(r->yname, sizeof r->yname, "%s", sp->y.name);
    snprintf(r->model_kind, sizeof r->model_kind, "%s", m->type->name);
    if (sp->fim.est)
        snprintf(r->fim_label, sizeof r->fim_label, "%s FIM of design %s",
                 sp->fim.est->name,
                 sp->fim.design_name ? sp->fim.design_name : "?");
    else
        snprintf(r->fim_label, sizeof r->fim_label, "exact FIM");
    for (size_t c = 0; c < cells; c++) {
        r->val[c] = NAN;
        r->sing[c] = -1;
    }
    it->dx = grid_step(sp->x0, sp->x1, sp->nx);
    it->dy = grid_step(sp->y0, sp->y1, sp->ny);
    rep_spec rs = {.nrep = sp->ny, .ncols = ROW_NCOLS, .threads = sp->threads,
                   .worker_alloc = worker_alloc, .worker_free = worker_free,
                   .run = compute_row, .ctx = it, .tick_ms = 10};
    fs = rep_start(&rs, &it->job);
    if (fs != SS_OK) {
        map_iter_free(it);
        return fs;
    }
    *out = it;
    return SS_OK;
}

int map_iter_test(const map_iter *it)
{
    return it->r->rows_done >= it->sp.ny || rep_test(it->job);
}

/* Row j's cells into the result (memory no other row touches) and its
 * counts into cnt. */
static ss_status compute_row(void *worker, size_t j, double *cnt)
{
    map_work *w = worker;
    const map_iter *it = w->it;
    const model *m = it->m;
    const map_spec *sp = &it->sp;
    map_result *r = it->r;
    for (int q = 0; q < ROW_NCOLS; q++)
        cnt[q] = 0;
    cnt[ROW_IMIN] = -1;
    for (size_t i = 0; i < sp->nx; i++) {
        size_t c = j * sp->nx + i;
        double x = map_x(r, i), y = map_y(r, j);
        /* the point, and its neighbours half a step away in x and y,
         * which bound how far the cell reaches in parameter space */
        if (model_axis_apply(m, m->theta, &sp->x, x, w->thx) != SS_OK ||
            model_axis_apply(m, w->thx, &sp->y, y, w->th) != SS_OK) {
            r->status[c] = MAP_CELL_INVALID;
            cnt[ROW_INVALID]++;
            ss_clear_error();
            continue;
        }
        int at_floor;
        map_cell_status cs = cell_value(m, sp, w, it->k, &r->val[c],
                                        &at_floor);
        ss_clear_error();
        r->status[c] = (unsigned char)cs;
        if (cs == MAP_CELL_INVALID) {
            cnt[ROW_INVALID]++;
            r->val[c] = NAN;
            continue;
        }
        if (cs == MAP_CELL_FAILED) {
            cnt[ROW_FAILED]++;
            r->val[c] = NAN;
            continue;
        }
        cnt[ROW_FLOOR] += at_floor;
        if (cnt[ROW_IMIN] < 0 || r->val[c] < cnt[ROW_MIN]) {
            cnt[ROW_IMIN] = (double)c;
            cnt[ROW_MIN] = r->val[c];
        }
        if (!m->type->singular)
            continue;
        int best = mark_singular(m, sp, w, x, y, 0.5 * it->dx,
                                 0.5 * it->dy);
        if (best >= 0) {
            r->sing[c] = (signed char)best;
            cnt[ROW_SING]++;
        }
    }
    return SS_OK;
}

/* Add the rows finished in order from rows_done on. */
static void absorb(map_iter *it, const double *rows, const unsigned char *done)
{
    map_result *r = it->r;
    while (r->rows_done < r->ny &&
           (done ? done[r->rows_done] != 0
                 : rep_row_done(it->job, r->rows_done))) {
        const double *c = rows ? rows + r->rows_done * ROW_NCOLS
                               : rep_row(it->job, r->rows_done);
        r->n_invalid += (size_t)c[ROW_INVALID];
        r->n_failed += (size_t)c[ROW_FAILED];
        r->n_floor += (size_t)c[ROW_FLOOR];
        r->n_singular += (size_t)c[ROW_SING];
        if (c[ROW_IMIN] >= 0) {
            size_t cell = (size_t)c[ROW_IMIN];
            if (!r->has_min || r->val[cell] < r->val[r->imin]) {
                r->imin = cell;
                r->has_min = 1;
            }
        }
        r->rows_done++;
    }
}

/* absorb as the replicate runner's drain callback */
static void absorb_rows(void *ctx, const double *rows,
                        const unsigned char *done)
{
    absorb(ctx, rows, done);
}

ss_status map_iter_iterate(map_iter *it)
{
    if (it->r->rows_done >= it->sp.ny)
        return SS_OK;
    ss_status st = rep_iterate(it->job);
    absorb(it, NULL, NULL);
    return st;
}

const map_result *map_iter_result(const map_iter *it) { return it->r; }

void map_iter_set_source(map_iter *it, const char *name)
{
    snprintf(it->r->source, sizeof it->r->source, "%s", name);
}

ss_status map_iter_take(map_iter *it, int interrupted, map_result **out)
{
    *out = NULL;
    map_result *r = it->r;
    if (!it->finished) {
        ss_status st = rep_drain(it->job, absorb_rows, it);
        it->finished = 1;
        if (st != SS_OK)
            return st;
        /* rows past the first unfinished one are not part of the map */
        for (size_t c = r->rows_done * r->nx; c < r->nx * r->ny; c++) {
            r->val[c] = NAN;
            r->status[c] = MAP_CELL_OK;
            r->sing[c] = -1;
        }
    }
    if (r->rows_done == 0)
        return SS_FAIL(SS_ERR_INTERRUPTED, "interrupted before the first row");
    r->interrupted = interrupted || r->rows_done < r->ny;
    it->r = NULL;
    *out = r;
    return SS_OK;
}

static ss_status it_iterate(void *s) { return map_iter_iterate(s); }
static int it_test(const void *s) { return map_iter_test(s); }
static void it_progress(const void *s, size_t *done, size_t *total)
{
    const map_iter *it = s;
    *done = it->r->rows_done * it->sp.nx;
    *total = it->sp.nx * it->sp.ny;
}

static void it_stop(void *s)
{
    const map_iter *it = s;
    rep_stop(it->job);
}

const ss_iter_type map_iter_type = {"map", it_iterate, it_test, it_progress,
                                    it_stop};

ss_status map_run(const model *m, const map_spec *sp,
                  map_progress_fn progress, void *ctx, map_result **out)
{
    *out = NULL;
    map_iter *it;
    ss_status st = map_iter_alloc(m, sp, &it);
    if (st != SS_OK)
        return st;
    while (!map_iter_test(it) && !ss_interrupted()) {
        map_iter_iterate(it);
        if (progress)
            progress(ctx, it->r->rows_done * sp->nx, sp->nx * sp->ny);
    }
    st = map_iter_take(it, ss_interrupted(), out);
    map_iter_free(it);
    return st;
}

#include "lang/render.h"

#include "fim/map.h"
#include "fim/path.h"
#include "lang/results.h"
#include "model/model.h"
#include "plot/plot.h"

#include <langinfo.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void render_request_init(render_request *r)
{
    memset(r, 0, sizeof *r);
    r->ascii = -1;
    r->logx = r->logy = -1;
    r->zmin = r->zmax = NAN;
    r->palette = -1;
}

int render_want_ascii(void)
{
    const char *cs = nl_langinfo(CODESET);
    return !(cs && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0));
}

/* A failure leaves its message in the canvas, so a pane is never blank
 * without a reason. */
static ss_status fail_in_canvas(canvas *c, ss_status rc)
{
    canvas_clear(c);
    const char *msg = ss_last_error()->msg;
    int y = c->h / 2, len = (int)strlen(msg);
    /* wrap long messages over a few lines */
    for (int off = 0, row = y - 1; off < len && row < c->h; row++) {
        char line[512];
        int n = len - off < c->w ? len - off : c->w;
        snprintf(line, sizeof line, "%.*s", n, msg + off);
        canvas_text(c, 0, row < 0 ? 0 : row, line, STY_TITLE);
        off += n;
    }
    return rc;
}

static const char *title_or(const render_request *req, const char *def)
{
    return req->title[0] ? req->title : def;
}

/* Eigenvalues against the distance to the singular set, log-log, with
 * the fitted power laws dashed: the picture of degeneracy. */
static ss_status draw_path(const render_request *req, const path_result *p,
                           canvas *c)
{
    size_t n = p->done, k = p->k;
    int have_dist = p->set_name[0] != 0;
    for (size_t i = 0; i < n && have_dist; i++)
        if (!(p->dist[i] > 0))
            have_dist = 0;
    double *x = malloc((n ? n : 1) * sizeof *x);
    double *y = malloc((n * k > 0 ? n * k : 1) * sizeof *y);
    double *fx = malloc(2 * k * sizeof *fx), *fy = malloc(2 * k * sizeof *fy);
    plot_series *s = calloc(2 * k, sizeof *s);
    char(*labels)[48] = calloc(2 * k, sizeof *labels);
    if (!x || !y || !fx || !fy || !s || !labels) {
        free(x), free(y), free(fx), free(fy), free(s), free(labels);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    double dmin = INFINITY, dmax = 0;
    for (size_t i = 0; i < n; i++) {
        x[i] = have_dist ? p->dist[i] : p->t[i];
        dmin = fmin(dmin, x[i]);
        dmax = fmax(dmax, x[i]);
    }
    size_t ns = 0;
    for (size_t j = 0; j < k; j++) {
        for (size_t i = 0; i < n; i++) {
            double l = gsl_matrix_get(p->eval, i, j);
            y[j * n + i] = l > p->floor[i] ? l : NAN; /* floor: no noise */
        }
        snprintf(labels[ns], sizeof labels[ns], "lambda%zu", j + 1);
        s[ns] = (plot_series){x, y + j * n, n, labels[ns], (int)(j % 8), 0,
                              0};
        ns++;
    }
    /* fitted laws over the fitted distance range */
    for (size_t j = 0; j < k && have_dist; j++) {
        if (p->nfit[j] == 0 || p->fit_dmax[j] < 10 * p->fit_dmin[j])
            continue;
        fx[2 * j] = p->fit_dmin[j];
        fx[2 * j + 1] = p->fit_dmax[j];
        for (int e = 0; e < 2; e++)
            fy[2 * j + e] = p->prefactor[j] * pow(fx[2 * j + e], p->expo[j]);
        snprintf(labels[ns], sizeof labels[ns], "fit d^%.2f", p->expo[j]);
        s[ns] = (plot_series){fx + 2 * j, fy + 2 * j, 2, labels[ns], -1, 0,
                              1};
        ns++;
    }
    plot_opts o;
    plot_opts_init(&o);
    char title[160], xl[96];
    snprintf(title, sizeof title, "%s: %s FIM eigenvalues along %s",
             p->source, fim_method_name(p->method), p->axis);
    if (have_dist)
        snprintf(xl, sizeof xl, "distance to %s", p->set_name);
    else
        snprintf(xl, sizeof xl, "%s", p->axis);
    o.title = title_or(req, title);
    o.xlabel = xl;
    o.ylabel = "eigenvalue";
    o.xlog = req->logx >= 0 ? req->logx : (have_dist && dmax > 30 * dmin);
    o.ylog = req->logy >= 0 ? req->logy : 1;
    o.legend = 1;
    ss_status rc = plot_xy(c, s, ns, &o);
    free(x), free(y), free(fx), free(fy), free(s), free(labels);
    return rc;
}

static ss_status draw_map(const render_request *req, const map_result *r,
                          canvas *c)
{
    unsigned char *mark = calloc(r->nx * r->ny, 1);
    if (!mark)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    /* rows not finished (interrupted) stay blank */
    double *z = malloc(r->nx * r->ny * sizeof *z);
    if (!z) {
        free(mark);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < r->nx * r->ny; i++)
        z[i] = i < r->rows_done * r->nx ? r->val[i] : NAN;
    int zlog = r->stat == MAP_LAMBDA_MIN || r->stat == MAP_COND;
    if (zlog) /* orders of magnitude; 0 is at the floor (-inf) */
        for (size_t i = 0; i < r->nx * r->ny; i++)
            z[i] = z[i] > 0 ? log10(z[i]) : (z[i] == 0 ? -INFINITY : z[i]);
    for (size_t i = 0; i < r->nx * r->ny; i++) /* one mark per set */
        mark[i] = r->sing[i] >= 0 ? (unsigned char)(r->sing[i] + 1) : 0;
    plot_opts o;
    plot_opts_init(&o);
    char title[200];
    snprintf(title, sizeof title, "%s: %s of the exact FIM%s", r->source,
             map_stat_name(r->stat),
             r->n_singular ? " (marked: singular set)" : "");
    o.title = title_or(req, title);
    o.xlabel = r->xname;
    o.ylabel = r->yname;
    o.zlog = zlog;
    o.palette = req->palette;
    o.zmin = req->zmin;
    o.zmax = req->zmax;
    if (zlog && (isfinite(req->zmin) || isfinite(req->zmax))) {
        if ((isfinite(req->zmin) && !(req->zmin > 0)) ||
            (isfinite(req->zmax) && !(req->zmax > 0))) {
            free(mark);
            free(z);
            return SS_FAIL(SS_ERR_RANGE,
                           "range= of a %s map must be positive (its "
                           "scale is logarithmic)",
                           map_stat_name(r->stat));
        }
        o.zmin = log10(req->zmin);
        o.zmax = log10(req->zmax);
    }
    ss_status rc = plot_heatmap(c, z, r->nx, r->ny, r->x0, r->x1, r->y0,
                                r->y1, mark, &o);
    free(mark);
    free(z);
    return rc;
}

static ss_status draw_eig(const render_request *req, const eig_obj *e,
                          canvas *c)
{
    size_t k = e->spec->k;
    double *v = malloc(k * sizeof *v);
    char(*lab)[24] = calloc(k, sizeof *lab);
    const char **labels = calloc(k, sizeof *labels);
    if (!v || !lab || !labels) {
        free(v), free(lab), free(labels);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    int all_pos = 1;
    for (size_t j = 0; j < k; j++) {
        double l = gsl_vector_get(e->spec->eval, j);
        v[j] = fabs(l) <= e->spec->floor ? NAN : l;
        if (!(v[j] > 0))
            all_pos = 0;
        snprintf(lab[j], sizeof lab[j], "l%zu", j + 1);
        labels[j] = lab[j];
    }
    plot_opts o;
    plot_opts_init(&o);
    char title[160];
    snprintf(title, sizeof title, "%s: eigenvalues of the %s FIM (rank %zu "
                                  "of %zu)",
             e->model, fim_method_name(e->fim->method), e->spec->rank, k);
    o.title = title_or(req, title);
    o.ylog = req->logy >= 0 ? req->logy : all_pos;
    o.ylabel = "eigenvalue";
    ss_status rc = plot_bars(c, v, labels, k, &o);
    free(v), free(lab), free(labels);
    return rc;
}

static ss_status draw_fim(const render_request *req, const fim_result *f,
                          canvas *c)
{
    size_t k = f->k;
    double *z = malloc(k * k * sizeof *z);
    if (!z)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < k; i++)
        for (size_t j = 0; j < k; j++)
            z[i * k + j] = gsl_matrix_get(f->G, i, j);
    const char **names = calloc(k, sizeof *names);
    if (!names) {
        free(z);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < k; i++)
        names[i] = f->names ? f->names[i] : NULL;
    plot_opts o;
    plot_opts_init(&o);
    char title[160];
    snprintf(title, sizeof title, "%s: %s FIM", f->source,
             fim_method_name(f->method));
    o.title = title_or(req, title);
    o.palette = req->palette;
    o.zmin = req->zmin;
    o.zmax = req->zmax;
    ss_status rc = plot_matrix(c, z, k, k, names, names, &o);
    free(names);
    free(z);
    return rc;
}

/* Whether the model a data set came from has changed (or gone) since the
 * draw: a different kind, parameter count, option or parameter value. */
static int data_stale(session *s, const dataset *d)
{
    obj *mo = session_find(s, d->from);
    if (!d->gen || !mo || mo->type != &obj_model)
        return 1;
    const model *now = mo->ptr, *then = d->gen;
    if (now->type != then->type || now->P != then->P)
        return 1;
    for (size_t i = 0; i < now->P; i++)
        if (memcmp(&now->theta[i], &then->theta[i], sizeof(double)) != 0)
            return 1;
    for (size_t i = 0; i < now->type->nopts; i++)
        if (memcmp(&now->opt[i], &then->opt[i], sizeof(double)) != 0 ||
            now->opt_choice[i] != then->opt_choice[i] ||
            now->optvec[i].n != then->optvec[i].n ||
            (now->optvec[i].n &&
             memcmp(now->optvec[i].v, then->optvec[i].v,
                    now->optvec[i].n * sizeof(double)) != 0))
            return 1;
    return 0;
}

/* Data: a mixture sample as a histogram with its model's density; a
 * perceptron sample as y against x1; a series as a line. */
static ss_status draw_data(session *s, const render_request *req,
                           const dataset *d, canvas *c)
{
    size_t n = d->X->size1, cols = d->X->size2;
    plot_opts o;
    plot_opts_init(&o);
    char title[256];
    ss_status rc;
    /* the picture follows the kind of data, not the family's name */
    model_data_kind kind = d->gen ? d->gen->type->data_kind : MODEL_DATA_IID;
    if (kind == MODEL_DATA_REGRESSION) {
        gsl_vector_const_view xv = gsl_matrix_const_column(d->X, 0);
        gsl_vector_const_view yv = gsl_matrix_const_column(d->X, cols - 1);
        double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
        if (!x || !y) {
            free(x), free(y);
            return SS_FAIL(SS_ERR_NOMEM, "out of memory");
        }
        for (size_t i = 0; i < n; i++) {
            x[i] = gsl_vector_get(&xv.vector, i);
            y[i] = gsl_vector_get(&yv.vector, i);
        }
        plot_series sr = {x, y, n, NULL, 0, 1, 0};
        snprintf(title, sizeof title, "%s: %zu observations from %s%s",
                 req->object, n, d->from,
                 data_stale(s, d) ? " (changed since)" : "");
        o.title = title_or(req, title);
        o.xlabel = d->colnames[0];
        o.ylabel = d->colnames[cols - 1];
        rc = plot_xy(c, &sr, 1, &o);
        free(x), free(y);
        return rc;
    }
    double *x = malloc(n * sizeof *x);
    if (!x)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        x[i] = gsl_matrix_get(d->X, i, 0);
    if (kind == MODEL_DATA_SERIES) {
        double *t = malloc(n * sizeof *t);
        if (!t) {
            free(x);
            return SS_FAIL(SS_ERR_NOMEM, "out of memory");
        }
        for (size_t i = 0; i < n; i++)
            t[i] = (double)(i + 1);
        plot_series sr = {t, x, n, NULL, 0, 0, 0};
        snprintf(title, sizeof title, "%s: series of %zu from %s%s",
                 req->object, n, d->from,
                 data_stale(s, d) ? " (changed since)" : "");
        o.title = title_or(req, title);
        o.xlabel = "t";
        o.ylabel = "x";
        rc = plot_xy(c, &sr, 1, &o);
        free(t), free(x);
        return rc;
    }
    /* histogram, with the density the data were drawn from (the model as
     * it was then); the title says when the model has changed since */
    double cx[200], cy[200];
    size_t nc = 0;
    const model *m = d->gen;
    int stale = data_stale(s, d);
    if (m) {
        double lo = x[0], hi = x[0];
        for (size_t i = 1; i < n; i++)
            lo = fmin(lo, x[i]), hi = fmax(hi, x[i]);
        gsl_matrix *G = gsl_matrix_alloc(200, 1);
        if (G && hi > lo) {
            for (size_t i = 0; i < 200; i++)
                gsl_matrix_set(G, i, 0, lo + (hi - lo) * (double)i / 199.0);
            double ell[200];
            if (m->type->loglik_terms(m, m->theta, G, ell, NULL) == SS_OK) {
                for (size_t i = 0; i < 200; i++) {
                    cx[i] = gsl_matrix_get(G, i, 0);
                    cy[i] = exp(ell[i]);
                }
                nc = 200;
            }
        }
        if (G)
            gsl_matrix_free(G);
        ss_clear_error();
    }
    snprintf(title, sizeof title, "%s: %zu draws from %s%s%s", req->object,
             n, d->from, stale ? " (changed since)" : "",
             nc ? " with its density" : "");
    o.title = title_or(req, title);
    o.xlabel = d->colnames[0];
    o.ylabel = "density";
    rc = plot_histogram(c, x, n, 0, nc ? cx : NULL, nc ? cy : NULL, nc, &o);
    free(x);
    return rc;
}

ss_status render_value(session *s, const render_request *req,
                       const obj_type *type, const void *ptr, canvas *c)
{
    canvas_clear(c);
    ss_status rc;
    if (type == &obj_path)
        rc = draw_path(req, ptr, c);
    else if (type == &obj_map)
        rc = draw_map(req, ptr, c);
    else if (type == &obj_eig)
        rc = draw_eig(req, ptr, c);
    else if (type == &obj_fim)
        rc = draw_fim(req, ptr, c);
    else if (type == &obj_data)
        rc = draw_data(s, req, ptr, c);
    else
        rc = SS_FAIL(SS_ERR_USAGE,
                     "nothing to draw for a %s: plot a path, map, spectrum "
                     "(eig ... as E), FIM (fim ... as F) or data set",
                     type->name);
    return rc == SS_OK ? rc : fail_in_canvas(c, rc);
}

ss_status render_object(session *s, const render_request *req, canvas *c)
{
    obj *o = session_find(s, req->object);
    if (!o) {
        canvas_clear(c);
        return fail_in_canvas(
            c, SS_FAIL(SS_ERR_NAME, "no object named '%s'", req->object));
    }
    return render_value(s, req, o->type, o->ptr, c);
}

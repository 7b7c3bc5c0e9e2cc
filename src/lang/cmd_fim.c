/* Data sets, Fisher information and its eigen-analysis. */
#include "lang/args.h"
#include "lang/commands.h"
#include "design/est_pop.h"
#include "model/pop.h"
#include "lang/results.h"

#include "core/interrupt.h"
#include "core/rng.h"
#include "core/table.h"
#include "core/replicate.h"
#include "fim/estimator.h"
#include "fim/fim.h"
#include "fim/spectrum.h"
#include "model/dnn.h"
#include "model/model.h"

#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* A data set's memory bound (n x columns doubles), and the rows drawn
 * between two checks of Ctrl-C. */
#define SAMPLE_MAX_BYTES DATASET_MAX_BYTES
#define SAMPLE_CHUNK ((size_t)65536)

static uint64_t fresh_seed(session *s)
{
    return ss_rng_u64(s->rng);
}

/* Drawing a data set as a job: one block of SAMPLE_CHUNK rows a step
 * (a series in one piece: its rows are not independent). Rows of i.i.d.
 * and regression data are independent, so the blocks are the same draws
 * as one call, and a run stopped by Ctrl-C keeps the first rows of the
 * full draw. */
typedef struct {
    const model *m;
    gsl_rng *r;
    gsl_matrix *X;
    size_t next, chunk;
} sample_state;

static ss_status sample_iterate(void *state)
{
    sample_state *st = state;
    size_t n = st->X->size1, len = n - st->next;
    if (len > st->chunk)
        len = st->chunk;
    gsl_matrix_view v =
        gsl_matrix_submatrix(st->X, st->next, 0, len, st->X->size2);
    ss_status rc = st->m->type->sample(st->m, st->m->theta, st->r, &v.matrix);
    if (rc == SS_OK)
        st->next += len;
    return rc;
}

static int sample_test(const void *state)
{
    const sample_state *st = state;
    return st->next == st->X->size1;
}

static void sample_progress(const void *state, size_t *done, size_t *total)
{
    const sample_state *st = state;
    *done = st->next;
    *total = st->X->size1;
}

static const ss_iter_type sample_iter = {
    .name = "sample",
    .iterate = sample_iterate,
    .test = sample_test,
    .progress = sample_progress,
};

/* The first `rows` rows of X as a matrix of their own (X freed). */
static gsl_matrix *keep_rows(gsl_matrix *X, size_t rows)
{
    gsl_matrix *Y = gsl_matrix_alloc(rows, X->size2);
    if (Y) {
        gsl_matrix_const_view v =
            gsl_matrix_const_submatrix(X, 0, 0, rows, X->size2);
        gsl_matrix_memcpy(Y, &v.matrix);
    }
    gsl_matrix_free(X);
    return Y;
}

ss_status cmd_sample(session *s, const ss_stmt *st)
{
    ss_status rc = args_check_opts(st, 1, 1);
    const char *name;
    if (rc == SS_OK)
        rc = args_name(st, 0, "a model name", &name);
    if (rc != SS_OK)
        return rc;
    if (!st->as_name)
        return SS_FAIL_COL(SS_ERR_USAGE, st->verb_col,
                           "sample needs `as NAME` to store the data set");
    model *m;
    rc = session_get(s, name, &obj_model, args_pos(st, 0)->v.col,
                     (void **)&m);
    uint64_t n, seed = 0;
    if (rc == SS_OK)
        rc = args_require(st, "n");
    if (rc == SS_OK)
        rc = args_count(st, "n", &n);
    if (rc == SS_OK)
        rc = args_count(st, "seed", &seed);
    /* teacher=T: the data come from T (for fitting or analysing m on data
     * from another truth); T must produce the same kind of observations. */
    const ss_stmt_arg *ta = args_key(st, "teacher");
    const char *from = name;
    if (rc == SS_OK && ta) {
        model *t;
        rc = session_get(s, ta->v.str, &obj_model, ta->v.col, (void **)&t);
        /* a teacher of another family serves when its rows are the same
         * kind of data with the same columns */
        if (rc == SS_OK && model_data_compatible(m, t) != SS_OK) {
            char why[sizeof ss_last_error()->msg];
            snprintf(why, sizeof why, "%s", ss_last_error()->msg);
            rc = SS_FAIL_COL(SS_ERR_USAGE, ta->v.col,
                             "teacher %s does not produce data for %s: %s",
                             ta->v.str, name, why);
        }
        if (rc == SS_OK) {
            m = t;
            from = ta->v.str;
        }
    }
    const char *task = NULL;
    double sep = 3;
    if (rc == SS_OK)
        rc = args_word(st, "task", &task);
    if (rc == SS_OK)
        rc = args_real(st, "sep", &sep);
    int clusters = task && strcmp(task, "clusters") == 0;
    if (rc == SS_OK && clusters && ta)
        rc = SS_FAIL_COL(SS_ERR_USAGE, ta->v.col,
                         "sample: task=clusters draws its own classes; it "
                         "takes no teacher=");
    if (rc == SS_OK && clusters) {
        const dnn_layout *y = dnn_layout_of(m);
        if (!y || !y->softmax)
            rc = SS_FAIL_COL(SS_ERR_USAGE, args_key(st, "task")->v.col,
                             "task=clusters draws classes for a dnn with "
                             "output=softmax, not %s",
                             y ? "a regression dnn" : m->type->name);
    }
    if (rc == SS_OK && args_key(st, "sep") && !clusters)
        rc = SS_FAIL_COL(SS_ERR_USAGE, args_key(st, "sep")->v.col,
                         "sep= goes with task=clusters");
    if (rc != SS_OK)
        return rc;
    if (!args_key(st, "seed"))
        seed = fresh_seed(s);
    size_t cols = m->type->data_cols(m);
    /* Bound the memory, not the row count: n x columns doubles. */
    if ((double)n * (double)cols * sizeof(double) > SAMPLE_MAX_BYTES)
        return SS_FAIL_COL(SS_ERR_LIMIT, args_key(st, "n")->v.col,
                           "n=%llu observations of %zu columns need %.3g GB "
                           "(8 bytes a value); the limit is %llu bytes: use "
                           "n <= %llu",
                           (unsigned long long)n, cols,
                           (double)n * (double)cols * 8 / 1e9,
                           (unsigned long long)SAMPLE_MAX_BYTES,
                           (unsigned long long)(SAMPLE_MAX_BYTES /
                                                (cols * sizeof(double))));
    dataset *d = calloc(1, sizeof *d);
    gsl_rng *r = ss_rng_alloc();
    if (d)
        d->X = gsl_matrix_alloc(n, cols);
    if (d)
        d->colnames = calloc(cols, sizeof *d->colnames);
    if (!d || !r || !d->X || !d->colnames) {
        dataset_free(d);
        if (r)
            gsl_rng_free(r);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory for %llu observations",
                       (unsigned long long)n);
    }
    ss_rng_seed(r, seed, SS_STREAM_SAMPLE, 0);
    if (clusters) { /* one pass: a Gaussian draw or two a value */
        rc = dnn_clusters(m, sep, r, d->X);
        gsl_rng_free(r);
        if (rc != SS_OK) {
            dataset_free(d);
            return rc;
        }
        snprintf(d->kind, sizeof d->kind, "%s", m->type->name);
        snprintf(d->from, sizeof d->from, "%s", name);
        /* the model the rows are for (its data kind and layout; the
         * classes are the clusters', not its p(y | x)) */
        d->gen = model_clone(m);
        for (size_t c = 0; c < cols; c++)
            m->type->data_colname(m, c, d->colnames[c],
                                  sizeof d->colnames[c]);
        char origin[160];
        snprintf(origin, sizeof origin,
                 "sample %s n=%llu seed=%llu task=clusters sep=%g", name,
                 (unsigned long long)n, (unsigned long long)seed, sep);
        rc = session_put(s, st->as_name, &obj_data, d, origin);
        if (rc == SS_OK && !s->csv)
            session_printf(s, "%s: %llu observations of %zu Gaussian "
                              "clusters (task=clusters, sep %g) for %s\n",
                           st->as_name, (unsigned long long)n,
                           dnn_layout_of(m)->C, sep, name);
        return rc;
    }
    sample_state ss = {
        .m = m,
        .r = r,
        .X = d->X,
        .chunk = n > SAMPLE_CHUNK && m->type->data_kind != MODEL_DATA_SERIES
                     ? SAMPLE_CHUNK
                     : n,
    };
    session_job job = {.it = {&sample_iter, &ss}, .what = "sample"};
    rc = session_drive(s, &job);
    gsl_rng_free(r);
    int stopped = rc == SS_ERR_INTERRUPTED;
    if (stopped && ss.next == 0)
        rc = SS_FAIL(SS_ERR_INTERRUPTED,
                     "sample interrupted before the first block of rows: "
                     "nothing was stored");
    else if (stopped && !(d->X = keep_rows(d->X, ss.next)))
        rc = SS_FAIL(SS_ERR_NOMEM, "out of memory");
    else if (stopped)
        rc = SS_OK, ss_clear_error();
    if (rc != SS_OK) {
        dataset_free(d);
        return rc;
    }
    snprintf(d->kind, sizeof d->kind, "%s", m->type->name);
    snprintf(d->from, sizeof d->from, "%s", from);
    d->gen = model_clone(m); /* the density it came from (NULL: unknown) */
    for (size_t c = 0; c < cols; c++)
        m->type->data_colname(m, c, d->colnames[c], sizeof d->colnames[c]);
    char origin[160], cut[64] = "";
    if (stopped)
        snprintf(cut, sizeof cut, " (interrupted: the first %zu)", ss.next);
    snprintf(origin, sizeof origin, "sample %s n=%llu seed=%llu%s%s%s", name,
             (unsigned long long)n, (unsigned long long)seed,
             ta ? " teacher=" : "", ta ? from : "", cut);
    rc = session_put(s, st->as_name, &obj_data, d, origin);
    if (rc == SS_OK && !s->csv && stopped)
        session_printf(s, "%s: interrupted after %zu of %llu observations "
                          "from %s; kept them (the first rows of the full "
                          "draw)\n",
                       st->as_name, ss.next, (unsigned long long)n, from);
    else if (rc == SS_OK && !s->csv)
        session_printf(s, "%s: %llu observations from %s\n", st->as_name,
                       (unsigned long long)n, from);
    return rc;
}











/* The FIM request that `fim`, `eig` and `path` describe with their
 * options; which options apply comes from the estimator's needs. */
ss_status cmd_fim_request(session *s, const ss_stmt *st, fim_request *req)
{
    const char *method;
    ss_status rc = args_word(st, "method", &method);
    if (rc != SS_OK)
        return rc;
    /* A population model, or design=, takes the design layer's estimators
     * (fo by default); everything else fim/'s. */
    const ss_stmt_arg *dz = args_key(st, "design");
    const ss_stmt_arg *mk = args_key(st, "method");
    int population = dz != NULL;
    if (!population && args_npos(st) > 0 && args_pos(st, 0)->v.str) {
        ss_obj *o = session_find(s, args_pos(st, 0)->v.str);
        population = o && o->type == &obj_model &&
                     pop_spec_of((const model *)o->ptr) != NULL;
    }
    const fim_estimator *e;
    if (population) {
        e = est_pop_find(mk ? method : "fo");
        if (!e)
            return SS_FAIL_COL(SS_ERR_USAGE,
                               mk ? mk->v.col : st->verb_col,
                               "method=%s is not a population FIM: with a "
                               "design, methods are %s",
                               method, est_pop_names());
    } else {
        e = fim_estimator_find(method);
        if (!e && est_pop_find(method))
            return SS_FAIL_COL(SS_ERR_USAGE, mk->v.col,
                               "method=%s is a population FIM: it needs a "
                               "population model (pk1, expr) and design=D",
                               method);
    }
    if (!e)
        return SS_FAIL_COL(SS_ERR_USAGE, args_key(st, "method")->v.col,
                           "unknown method '%s' (%s)", method,
                           fim_estimator_names());
    memset(req, 0, sizeof *req);
    req->est = e;
    req->method = e->method;
    if (dz) {
        design_obj *pd;
        rc = session_get(s, dz->v.str, &obj_design, dz->v.col, (void **)&pd);
        if (rc != SS_OK)
            return rc;
        req->design = pd->d;
        req->design_name = dz->v.str;
    }
    if (args_key(st, "nquad") && e != &est_pop_quad)
        return SS_FAIL_COL(SS_ERR_USAGE, args_key(st, "nquad")->key_col,
                           "nquad= applies to method=quad");
    uint64_t nquad;
    rc = args_count(st, "nquad", &nquad);
    if (rc != SS_OK)
        return rc;
    req->nquad = (size_t)nquad;
    uint64_t n, seed, threads;
    rc = args_count(st, "n", &n);
    if (rc == SS_OK)
        rc = args_count(st, "seed", &seed);
    if (rc == SS_OK)
        rc = args_count(st, "threads", &threads);
    if (rc != SS_OK)
        return rc;
    const ss_stmt_arg *da = args_key(st, "data");
    int data_method = (e->needs & FIM_NEEDS_DATA) != 0;
    if (data_method && !da)
        return SS_FAIL_COL(SS_ERR_USAGE, st->verb_col,
                           "method=%s needs data=DATA (make one with "
                           "`sample`)",
                           method);
    if (da && !data_method)
        return SS_FAIL_COL(SS_ERR_USAGE, da->key_col,
                           "data= applies to method=empirical or observed");
    static const struct {
        const char *key;
        unsigned need;
    } only[] = {{"n", FIM_NEEDS_N}, {"seed", FIM_NEEDS_SEED},
                {"threads", FIM_NEEDS_N}};
    for (size_t i = 0; i < sizeof only / sizeof *only; i++)
        if (args_key(st, only[i].key) && !(e->needs & only[i].need))
            return SS_FAIL_COL(SS_ERR_USAGE, args_key(st, only[i].key)->key_col,
                               "%s= applies to method=mc", only[i].key);
    if (da) {
        dataset *d;
        rc = session_get(s, da->v.str, &obj_data, da->v.col, (void **)&d);
        if (rc != SS_OK)
            return rc;
        req->data = d->X;
    }
    /* form= (fim and eig; path and the scans keep G): auto by default */
    if (args_opt(st, "form")) {
        const char *form;
        rc = args_word(st, "form", &form);
        if (rc != SS_OK)
            return rc;
        req->form = strcmp(form, "gram") == 0    ? FIM_WANT_GRAM
                    : strcmp(form, "dense") == 0 ? FIM_WANT_DENSE
                                                 : FIM_WANT_AUTO;
        const char *mname;
        model *fm = NULL;
        if (args_model(s, st, &mname, &fm) != SS_OK) {
            ss_clear_error();
            fm = NULL;
        }
        if (fim_form_check_model(e, fm, req) != SS_OK) {
            ss_error_set_col(args_key(st, "form")->v.col);
            return ss_last_error()->code;
        }
    }
    req->n = n;
    req->threads = (unsigned)threads;
    /* Only estimators that draw take a seed: exact and data-based FIMs
     * leave the session generator alone, so adding a `fim` line never
     * changes later samples. */
    if (e->needs & FIM_NEEDS_SEED)
        req->seed = args_key(st, "seed") ? seed : fresh_seed(s);
    return SS_OK;
}

/* Run one FIM computation as a session job (the front end drives it,
 * shows progress and stops it on Ctrl-C). An interrupted Monte-Carlo FIM
 * keeps the draws it finished; the result says so. */
ss_status cmd_fim_run(session *s, const model *m, const fim_request *req,
                      fim_result **out)
{
    *out = NULL;
    fim_ws *w;
    ss_status rc = fim_ws_alloc(m, fim_request_estimator(req), &w);
    if (rc != SS_OK)
        return rc;
    fim_job *j;
    rc = fim_job_start(w, m->theta, req, &j);
    if (rc == SS_OK) {
        session_job job = {{&fim_job_iter_type, j}, "FIM", NULL, NULL, NULL};
        ss_status dr = session_drive(s, &job);
        int interrupted = dr == SS_ERR_INTERRUPTED;
        if (interrupted)
            ss_clear_error();
        rc = fim_job_finish(j, interrupted);
    }
    if (rc == SS_OK)
        *out = fim_ws_take(w);
    fim_ws_free(w);
    return rc;
}

static ss_status compute_fim(session *s, const ss_stmt *st, model *m,
                             fim_result **out)
{
    fim_request req;
    ss_status rc = cmd_fim_request(s, st, &req);
    /* The root factor serves spectra only: `fim` printing G does not need
     * it (for mlp2 it is a tensor quadrature of thousands of rows); one
     * stored `as F` keeps it for a later `eig F`. */
    req.no_root = strcmp(st->verb, "fim") == 0 && !st->as_name;
    if (rc == SS_OK)
        rc = cmd_fim_run(s, m, &req, out);
    if (rc != SS_OK && ss_last_error()->col == 0)
        ss_error_set_col(st->verb_col);
    return rc;
}

ss_status cmd_fim(session *s, const ss_stmt *st)
{
    ss_status rc = args_check_opts(st, 1, 1);
    const char *name;
    model *m;
    if (rc == SS_OK)
        rc = args_model(s, st, &name, &m);
    fim_result *f;
    if (rc == SS_OK)
        rc = compute_fim(s, st, m, &f);
    if (rc != SS_OK)
        return rc;
    snprintf(f->source, sizeof f->source, "%s", name);
    obj_fim.print(s, name, f);
    char origin[160];
    args_origin(st, origin, sizeof origin);
    if (st->as_name)
        return session_put(s, st->as_name, &obj_fim, f, origin);
    fim_result_free(f);
    return SS_OK;
}

ss_status cmd_eig(session *s, const ss_stmt *st)
{
    ss_status rc = args_check_opts(st, 1, 1);
    const char *name;
    if (rc == SS_OK)
        rc = args_name(st, 0, "a model or FIM name", &name);
    if (rc != SS_OK)
        return rc;
    double tol;
    rc = args_real(st, "tol", &tol);
    if (rc != SS_OK)
        return rc;
    ss_obj *o = session_find(s, name);
    fim_result *f = NULL;
    if (o && o->type == &obj_fim) {
        for (size_t i = 0; i < st->nargs; i++)
            if (st->args[i].key && strcmp(st->args[i].key, "tol") != 0)
                return SS_FAIL_COL(SS_ERR_USAGE, st->args[i].key_col,
                                   "'%s' is a stored FIM: only tol= applies",
                                   name);
        f = fim_result_copy(o->ptr);
        if (!f)
            return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    } else {
        model *m;
        rc = session_get(s, name, &obj_model, args_pos(st, 0)->v.col,
                         (void **)&m);
        if (rc == SS_OK)
            rc = compute_fim(s, st, m, &f);
        if (rc != SS_OK)
            return rc;
        snprintf(f->source, sizeof f->source, "%s", name);
    }
    eig_obj *e = calloc(1, sizeof *e);
    if (!e) {
        fim_result_free(f);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    e->fim = f;
    snprintf(e->model, sizeof e->model, "%s",
             o && o->type == &obj_fim ? f->source : name);
    rc = spec_analyze(f, tol, &e->spec);
    if (rc != SS_OK) {
        eig_obj_free(e);
        return rc;
    }
    obj_eig.print(s, name, e);
    char origin[160];
    args_origin(st, origin, sizeof origin);
    if (st->as_name)
        return session_put(s, st->as_name, &obj_eig, e, origin);
    eig_obj_free(e);
    return SS_OK;
}

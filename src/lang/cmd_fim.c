/* Data sets, Fisher information and its eigen-analysis. */
#include "lang/args.h"
#include "lang/commands.h"
#include "lang/results.h"

#include "core/interrupt.h"
#include "core/rng.h"
#include "core/table.h"
#include "core/replicate.h"
#include "fim/estimator.h"
#include "fim/fim.h"
#include "fim/spectrum.h"
#include "model/model.h"

#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void eig_obj_free(eig_obj *e)
{
    if (!e)
        return;
    fim_result_free(e->fim);
    spec_result_free(e->spec);
    free(e);
}

/* A data set's memory bound (n x columns doubles), and the rows drawn
 * between two checks of Ctrl-C. */
#define SAMPLE_MAX_BYTES ((uint64_t)2 << 30)
#define SAMPLE_CHUNK ((size_t)65536)

static uint64_t fresh_seed(session *s)
{
    return ss_rng_u64(s->rng);
}

/* Fill X, in blocks of SAMPLE_CHUNK rows when the family allows it, with
 * Ctrl-C checked between blocks (nothing is kept when it comes). */
static ss_status sample_rows(const model *m, gsl_rng *r, gsl_matrix *X)
{
    size_t n = X->size1, cols = X->size2;
    /* Rows of i.i.d. and regression data are independent, so blocks give
     * the same draws as one call; a series must be drawn in one piece. */
    size_t chunk = n > SAMPLE_CHUNK && m->type->data_kind != MODEL_DATA_SERIES
                       ? SAMPLE_CHUNK
                       : n;
    for (size_t i = 0; i < n; i += chunk) {
        if (ss_interrupted())
            return SS_FAIL(SS_ERR_INTERRUPTED,
                           "sample interrupted after %zu of %zu "
                           "observations: nothing was stored",
                           i, n);
        size_t len = n - i < chunk ? n - i : chunk;
        gsl_matrix_view v = gsl_matrix_submatrix(X, i, 0, len, cols);
        ss_status rc = m->type->sample(m, m->theta, r, &v.matrix);
        if (rc != SS_OK)
            return rc;
    }
    if (ss_interrupted())
        return SS_FAIL(SS_ERR_INTERRUPTED,
                       "sample interrupted: nothing was stored");
    return SS_OK;
}

ss_status cmd_sample(session *s, const stmt *st)
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
    const stmt_arg *ta = args_key(st, "teacher");
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
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
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
    rc = sample_rows(m, r, d->X);
    gsl_rng_free(r);
    if (rc != SS_OK) {
        dataset_free(d);
        return rc;
    }
    snprintf(d->kind, sizeof d->kind, "%s", m->type->name);
    snprintf(d->from, sizeof d->from, "%s", from);
    d->gen = model_clone(m); /* the density it came from (NULL: unknown) */
    for (size_t c = 0; c < cols; c++)
        m->type->data_colname(m, c, d->colnames[c], sizeof d->colnames[c]);
    char origin[160];
    snprintf(origin, sizeof origin, "sample %s n=%llu seed=%llu%s%s", name,
             (unsigned long long)n, (unsigned long long)seed,
             ta ? " teacher=" : "", ta ? from : "");
    rc = session_put(s, st->as_name, &obj_data, d, origin);
    if (rc == SS_OK && !s->csv)
        session_printf(s, "%s: %llu observations from %s\n", st->as_name,
                       (unsigned long long)n, from);
    return rc;
}

static void print_data(session *s, const char *name, const dataset *d)
{
    if (!s->csv)
        session_printf(s, "%s: data set of %zu observations drawn from %s "
                          "(%s)\n",
                       name, d->X->size1, d->from, d->kind);
    tbl *t = tbl_alloc(6);
    const char *h[] = {"column", "mean", "sd", "min", "max", "n"};
    for (size_t j = 0; j < 6; j++)
        tbl_header(t, j, h[j]);
    for (size_t c = 0; c < d->X->size2; c++) {
        gsl_vector_const_view col = gsl_matrix_const_column(d->X, c);
        const double *x = col.vector.data;
        size_t stride = col.vector.stride, n = col.vector.size;
        tbl_row(t);
        tbl_str(t, 0, d->colnames[c]);
        tbl_num(t, 1, gsl_stats_mean(x, stride, n));
        tbl_num(t, 2, n > 1 ? gsl_stats_sd(x, stride, n) : 0.0);
        tbl_num(t, 3, gsl_stats_min(x, stride, n));
        tbl_num(t, 4, gsl_stats_max(x, stride, n));
        tbl_num(t, 5, (double)n);
    }
    tbl_print(t, &s->out, s->csv, s->csv ? 0 : 2);
    tbl_free(t);
}

static void describe_fim(char *buf, size_t n, const fim_result *f)
{
    switch (f->method) {
    case FIM_EXACT:
        snprintf(buf, n, "exact FIM (expected, per observation)");
        break;
    case FIM_MC:
        snprintf(buf, n, "mc FIM (Monte-Carlo, %zu draws%s)", f->n,
                 f->interrupted ? ", interrupted" : "");
        break;
    case FIM_EMPIRICAL:
        snprintf(buf, n, "empirical FIM (outer products of scores, %zu "
                         "observations)", f->n);
        break;
    case FIM_OBSERVED:
        snprintf(buf, n, "observed information (minus mean Hessian, %zu "
                         "observations)", f->n);
        break;
    }
}

static void print_matrix(session *s, const fim_result *f, const gsl_matrix *A,
                         int indent)
{
    tbl *t = tbl_alloc(f->k + 1);
    tbl_header(t, 0, "param");
    for (size_t j = 0; j < f->k; j++)
        tbl_header(t, j + 1, f->names[j]);
    for (size_t i = 0; i < f->k; i++) {
        tbl_row(t);
        tbl_str(t, 0, f->names[i]);
        for (size_t j = 0; j < f->k; j++)
            tbl_num(t, j + 1, gsl_matrix_get(A, i, j));
    }
    tbl_print(t, &s->out, s->csv, indent);
    tbl_free(t);
}

/* CSV: one row per parameter, its column of G under the parameter names;
 * a sampled FIM (mc, empirical) adds se_NAME columns holding the standard
 * error of the entry in the same row and the column NAME. */
static void print_matrix_csv(session *s, const fim_result *f)
{
    size_t k = f->k, ncol = 1 + k + (f->se ? k : 0);
    tbl *t = tbl_alloc(ncol);
    tbl_header(t, 0, "param");
    for (size_t j = 0; j < k; j++) {
        tbl_header(t, j + 1, f->names[j]);
        if (f->se) {
            char h[MODEL_NAME_MAX + 4];
            snprintf(h, sizeof h, "se_%s", f->names[j]);
            tbl_header(t, 1 + k + j, h);
        }
    }
    for (size_t i = 0; i < k; i++) {
        tbl_row(t);
        tbl_str(t, 0, f->names[i]);
        for (size_t j = 0; j < k; j++) {
            tbl_num(t, j + 1, gsl_matrix_get(f->G, i, j));
            if (f->se)
                tbl_num(t, 1 + k + j, gsl_matrix_get(f->se, i, j));
        }
    }
    tbl_print(t, &s->out, 1, 0);
    tbl_free(t);
}

static void print_fim(session *s, const fim_result *f)
{
    const char *model_name = f->source;
    if (s->csv) {
        print_matrix_csv(s, f);
        return;
    }
    char what[160];
    describe_fim(what, sizeof what, f);
    session_printf(s, "%s (%s): %s\n", model_name, f->model_kind, what);
    print_matrix(s, f, f->G, 2);
    for (size_t i = 0; f->method != FIM_OBSERVED && i < f->k; i++)
        if (gsl_matrix_get(f->G, i, i) < 0) {
            session_printf(s, "  (rounding at these extreme parameter "
                              "values: G is not exactly positive "
                              "semi-definite; `eig` shows what is "
                              "resolved)\n");
            break;
        }
    if (f->se) {
        session_printf(s, "  standard errors:\n");
        print_matrix(s, f, f->se, 2);
    }
    if (f->interrupted)
        session_printf(s, "  (interrupted: %zu of %zu draws were used)\n",
                       f->n, f->n_requested);
    if (f->warning[0])
        session_printf(s, "  warning: %s\n", f->warning);
}

static void format_direction(char *buf, size_t n, const fim_result *f,
                             const gsl_matrix *V, size_t col)
{
    size_t len = 0;
    buf[0] = 0;
    for (size_t i = 0; i < f->k && len + 40 < n; i++) {
        double c = gsl_matrix_get(V, i, col);
        if (fabs(c) < 1e-8)
            continue;
        len += (size_t)snprintf(buf + len, n - len, "%s%.6g %s",
                                len == 0 ? (c < 0 ? "-" : "")
                                         : (c < 0 ? " - " : " + "),
                                fabs(c), f->names[i]);
    }
}

static void print_eig(session *s, const eig_obj *e)
{
    const char *model_name = e->model;
    const fim_result *f = e->fim;
    const spec_result *sp = e->spec;
    if (!s->csv) {
        char what[160];
        describe_fim(what, sizeof what, f);
        session_printf(s, "%s (%s): eigen-analysis of the %s%s\n",
                       model_name, f->model_kind, what,
                       sp->from_root ? ", via the SVD of its square-root "
                                       "factor"
                                     : "");
    }
    tbl *t = tbl_alloc(f->k + 2);
    tbl_header(t, 0, "k");
    tbl_header(t, 1, "eigenvalue");
    for (size_t j = 0; j < f->k; j++)
        tbl_header(t, j + 2, f->names[j]);
    for (size_t j = 0; j < f->k; j++) {
        double l = gsl_vector_get(sp->eval, j);
        int below = fabs(l) <= sp->floor;
        tbl_row(t);
        tbl_num(t, 0, (double)(j + 1));
        if (below && !s->csv && sp->floor == 0) {
            tbl_str(t, 1, "0 (the FIM is zero)");
        } else if (below && !s->csv) {
            char b[64];
            snprintf(b, sizeof b, "0 (< floor %.3g)", sp->floor);
            tbl_str(t, 1, b);
        } else {
            tbl_num(t, 1, below ? NAN : l); /* CSV: empty = unresolved */
        }
        for (size_t i = 0; i < f->k; i++)
            tbl_num(t, i + 2, gsl_matrix_get(sp->evec, i, j));
    }
    tbl_print(t, &s->out, s->csv, s->csv ? 0 : 2);
    tbl_free(t);
    if (s->csv)
        return;
    session_printf(s, "  rank %zu of %zu at relative tolerance %g "
                      "(numerical floor %.3g)\n",
                   sp->rank, sp->k, sp->tol, sp->floor);
    if (sp->root_failed)
        session_printf(s, "  (the SVD of the square-root factor did not "
                          "converge here; eigenvalues of G itself, at its "
                          "coarser floor)\n");
    if (sp->floor_raised)
        session_printf(s, "  (rounding in G at these parameter values "
                          "reaches %.3g: eigenvalues below are not "
                          "resolved)\n",
                       sp->floor / 2);
    if (sp->negative)
        session_printf(s, "  indefinite: %zu negative eigenvalue%s "
                          "(observed information away from a maximum)\n",
                       sp->negative, sp->negative == 1 ? "" : "s");
    char ld[32], cn[32];
    tbl_format_num(ld, sizeof ld, sp->logdet, 0);
    tbl_format_num(cn, sizeof cn, sp->cond, 0);
    session_printf(s, "  log det %s%s; condition number %s\n", ld,
                   sp->negative ? " (of |det|)" : "", cn);
    for (size_t j = sp->rank; j < sp->k; j++) {
        char dir[256];
        format_direction(dir, sizeof dir, f, sp->evec, j);
        session_printf(s, "  %s direction: %s\n",
                       fabs(gsl_vector_get(sp->eval, j)) <= sp->floor
                           ? "null"
                           : "near-null",
                       dir);
    }
    if (fim_result_estimator(f)->props & FIM_PROP_SE)
        session_printf(s, "  (sampled FIM: eigenvalues below the standard "
                          "errors of its entries are not meaningful)\n");
}

static void data_row(void *ctx, size_t i, double *v)
{
    const gsl_matrix *X = ctx;
    for (size_t c = 0; c < X->size2; c++)
        v[c] = gsl_matrix_get(X, i, c);
}

/* A data set's rows, streamed (no copy of the table in memory); stops
 * part-way at Ctrl-C. */
void cmd_print_data_rows(session *s, const obj *o)
{
    const dataset *d = o->ptr;
    const char **head = calloc(d->X->size2 ? d->X->size2 : 1, sizeof *head);
    if (!head)
        return;
    for (size_t c = 0; c < d->X->size2; c++)
        head[c] = d->colnames[c];
    tbl_print_numeric(&s->out, head, d->X->size2, d->X->size1, data_row,
                      d->X, s->csv, 0);
    free(head);
}

void cmd_print_object(session *s, const obj *o)
{
    if (o->type == &obj_data)
        print_data(s, o->name, o->ptr);
    else if (o->type == &obj_fim)
        print_fim(s, o->ptr);
    else if (o->type == &obj_eig)
        print_eig(s, o->ptr);
    else if (o->type == &obj_path)
        cmd_print_path(s, o->ptr);
    else if (o->type == &obj_map)
        cmd_print_map(s, o->ptr);
    else
        session_printf(s, "%s: %s\n", o->name, o->type->name);
}

/* The FIM request that `fim`, `eig` and `path` describe with their
 * options; which options apply comes from the estimator's needs. */
ss_status cmd_fim_request(session *s, const stmt *st, fim_request *req)
{
    const char *method;
    ss_status rc = args_word(st, "method", &method);
    if (rc != SS_OK)
        return rc;
    const fim_estimator *e = fim_estimator_find(method);
    if (!e)
        return SS_FAIL_COL(SS_ERR_USAGE, args_key(st, "method")->v.col,
                           "unknown method '%s' (%s)", method,
                           fim_estimator_names());
    memset(req, 0, sizeof *req);
    req->est = e;
    req->method = e->method;
    uint64_t n, seed, threads;
    rc = args_count(st, "n", &n);
    if (rc == SS_OK)
        rc = args_count(st, "seed", &seed);
    if (rc == SS_OK)
        rc = args_count(st, "threads", &threads);
    if (rc != SS_OK)
        return rc;
    const stmt_arg *da = args_key(st, "data");
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

static ss_status compute_fim(session *s, const stmt *st, model *m,
                             fim_result **out)
{
    fim_request req;
    ss_status rc = cmd_fim_request(s, st, &req);
    if (rc == SS_OK)
        rc = cmd_fim_run(s, m, &req, out);
    if (rc != SS_OK && ss_last_error()->col == 0)
        ss_error_set_col(st->verb_col);
    return rc;
}

ss_status cmd_fim(session *s, const stmt *st)
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
    print_fim(s, f);
    char origin[160];
    args_origin(st, origin, sizeof origin);
    if (st->as_name)
        return session_put(s, st->as_name, &obj_fim, f, origin);
    fim_result_free(f);
    return SS_OK;
}

static fim_result *fim_copy(const fim_result *src)
{
    fim_result *f = fim_result_alloc(src->k);
    if (!f)
        return NULL;
    gsl_matrix *G = f->G;
    size_t *idx = f->idx;
    char(*names)[MODEL_NAME_MAX] = f->names;
    *f = *src;
    f->G = G;
    f->idx = idx;
    f->names = names;
    f->se = NULL;
    f->root = NULL;
    gsl_matrix_memcpy(f->G, src->G);
    memcpy(f->idx, src->idx, src->k * sizeof *idx);
    memcpy(f->names, src->names, src->k * sizeof *names);
    if (src->se && (f->se = gsl_matrix_alloc(src->k, src->k)))
        gsl_matrix_memcpy(f->se, src->se);
    if (src->root &&
        (f->root = gsl_matrix_alloc(src->root->size1, src->root->size2)))
        gsl_matrix_memcpy(f->root, src->root);
    return f;
}

ss_status cmd_eig(session *s, const stmt *st)
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
    obj *o = session_find(s, name);
    fim_result *f = NULL;
    if (o && o->type == &obj_fim) {
        for (size_t i = 0; i < st->nargs; i++)
            if (st->args[i].key && strcmp(st->args[i].key, "tol") != 0)
                return SS_FAIL_COL(SS_ERR_USAGE, st->args[i].key_col,
                                   "'%s' is a stored FIM: only tol= applies",
                                   name);
        f = fim_copy(o->ptr);
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
    print_eig(s, e);
    char origin[160];
    args_origin(st, origin, sizeof origin);
    if (st->as_name)
        return session_put(s, st->as_name, &obj_eig, e, origin);
    eig_obj_free(e);
    return SS_OK;
}

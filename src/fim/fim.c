/* FIM results, the estimator table, workspaces and jobs. The estimators
 * themselves are in est_exact.c, est_mc.c and est_data.c. */
#include "fim/fim_int.h"

#include "core/interrupt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the table ----------------------------------------------------------- */

static const fim_estimator *const table[] = {
    &fim_est_exact, &fim_est_mc, &fim_est_empirical, &fim_est_observed,
};
#define NEST (sizeof table / sizeof *table)

const fim_estimator *const *fim_estimator_table(size_t *n)
{
    *n = NEST;
    return table;
}

const fim_estimator *fim_estimator_find(const char *name)
{
    for (size_t i = 0; i < NEST; i++)
        if (strcmp(table[i]->name, name) == 0)
            return table[i];
    return NULL;
}

const fim_estimator *fim_estimator_builtin(fim_method m)
{
    for (size_t i = 0; i < NEST; i++)
        if (table[i]->method == m)
            return table[i];
    return NULL;
}

const char *fim_estimator_names(void)
{
    static char buf[256];
    if (!buf[0]) {
        size_t len = 0;
        for (size_t i = 0; i < NEST && len < sizeof buf; i++)
            len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s",
                                    i ? ", " : "", table[i]->name);
    }
    return buf;
}

const fim_estimator *fim_request_estimator(const fim_request *req)
{
    return req->est ? req->est : fim_estimator_builtin(req->method);
}

const fim_estimator *fim_result_estimator(const fim_result *f)
{
    return f->est ? f->est : fim_estimator_builtin(f->method);
}

const char *fim_method_name(fim_method m)
{
    const fim_estimator *e = fim_estimator_builtin(m);
    return e ? e->name : "?";
}

int fim_method_parse(const char *s)
{
    const fim_estimator *e = fim_estimator_find(s);
    return e ? (int)e->method : -1;
}

/* ---- results -------------------------------------------------------------- */

fim_result *fim_result_alloc(size_t k)
{
    fim_result *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->k = k;
    f->idx = calloc(k ? k : 1, sizeof *f->idx);
    f->names = calloc(k ? k : 1, sizeof *f->names);
    f->G = gsl_matrix_calloc(k ? k : 1, k ? k : 1);
    if (!f->idx || !f->names || !f->G) {
        fim_result_free(f);
        return NULL;
    }
    return f;
}

void fim_result_free(fim_result *f)
{
    if (!f)
        return;
    free(f->idx);
    free(f->names);
    if (f->G)
        gsl_matrix_free(f->G);
    if (f->se)
        gsl_matrix_free(f->se);
    if (f->root)
        gsl_matrix_free(f->root);
    free(f);
}

/* ---- workspaces ------------------------------------------------------------- */

struct fim_ws {
    const fim_estimator *est;
    model *work;   /* moved to each point */
    size_t k;
    size_t *idx;
    void *scratch; /* the estimator's */
    fim_result *f; /* filled by each job */
};

static fim_result *new_result(const fim_ws *w)
{
    fim_result *f = fim_result_alloc(w->k);
    if (!f)
        return NULL;
    memcpy(f->idx, w->idx, w->k * sizeof *w->idx);
    for (size_t a = 0; a < w->k; a++)
        model_param_name(w->work, w->idx[a], f->names[a], MODEL_NAME_MAX);
    snprintf(f->model_kind, sizeof f->model_kind, "%s",
             w->work->type->name);
    f->est = w->est;
    f->method = w->est->method;
    return f;
}

void fim_ws_free(fim_ws *w)
{
    if (!w)
        return;
    if (w->scratch && w->est->ws_free)
        w->est->ws_free(w->scratch);
    fim_result_free(w->f);
    model_free(w->work);
    free(w->idx);
    free(w);
}

ss_status fim_ws_alloc(const model *m, const fim_estimator *est,
                       fim_ws **out)
{
    *out = NULL;
    fim_ws *w = calloc(1, sizeof *w);
    if (!w)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    w->est = est;
    ss_status st = model_free_index_list(m, &w->idx, &w->k);
    if (st != SS_OK) {
        free(w);
        return st;
    }
    w->work = model_clone(m);
    if (!w->work)
        st = SS_FAIL(SS_ERR_NOMEM, "out of memory");
    if (st == SS_OK && est->ws_alloc)
        st = est->ws_alloc(m, &w->scratch);
    if (st == SS_OK && !(w->f = new_result(w)))
        st = SS_FAIL(SS_ERR_NOMEM, "out of memory");
    if (st != SS_OK) {
        fim_ws_free(w);
        return st;
    }
    *out = w;
    return SS_OK;
}

const fim_result *fim_ws_result(const fim_ws *w) { return w->f; }

fim_result *fim_ws_take(fim_ws *w)
{
    fim_result *f = w->f;
    w->f = new_result(w); /* NULL on OOM: the next job start reports it */
    return f;
}

/* Clear what a previous job left in the reused result. */
static void reset_result(fim_result *f)
{
    if (f->se)
        gsl_matrix_free(f->se);
    if (f->root)
        gsl_matrix_free(f->root);
    f->se = f->root = NULL;
    gsl_matrix_set_zero(f->G);
    f->n = f->n_requested = 0;
    f->interrupted = 0;
    f->warning[0] = 0;
}

/* ---- jobs ----------------------------------------------------------------- */

struct fim_job {
    fim_ws *w;
    void *state; /* the estimator's, NULL when start did everything */
    ss_status failed;
};

ss_status fim_job_start(fim_ws *w, const double *theta,
                        const fim_request *req, fim_job **out)
{
    *out = NULL;
    const fim_estimator *e = w->est;
    if (!w->f && !(w->f = new_result(w)))
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    if (theta != w->work->theta)
        memcpy(w->work->theta, theta, w->work->P * sizeof *theta);
    reset_result(w->f);
    ss_status st = e->check ? e->check(w->work, req) : SS_OK;
    fim_job *j = NULL;
    if (st == SS_OK && !(j = calloc(1, sizeof *j)))
        st = SS_FAIL(SS_ERR_NOMEM, "out of memory");
    if (st == SS_OK) {
        j->w = w;
        st = e->start(w->scratch, w->work, req, w->f, &j->state);
    }
    if (st != SS_OK) {
        free(j);
        return st;
    }
    *out = j;
    return SS_OK;
}

static ss_status job_iterate(void *s)
{
    fim_job *j = s;
    if (!j->state)
        return SS_OK;
    ss_status st = j->w->est->iterate(j->state);
    if (st != SS_OK)
        j->failed = st;
    return st;
}

static int job_test(const void *s)
{
    const fim_job *j = s;
    return !j->state || j->failed || j->w->est->test(j->state);
}

static void job_progress(const void *s, size_t *done, size_t *total)
{
    const fim_job *j = s;
    *done = *total = 1;
    if (j->state && j->w->est->progress)
        j->w->est->progress(j->state, done, total);
}

static void job_stop(void *s)
{
    fim_job *j = s;
    if (j->state && j->w->est->stop)
        j->w->est->stop(j->state);
}

const ss_iter_type fim_job_iter_type = {"FIM", job_iterate, job_test,
                                        job_progress, job_stop};

ss_status fim_job_finish(fim_job *j, int interrupted)
{
    fim_ws *w = j->w;
    ss_status st = SS_OK;
    if (j->state) {
        /* a step's error is kept across the finish, which must still free
         * the state */
        ss_error failed = *ss_last_error();
        st = w->est->finish(j->state, interrupted && !j->failed, w->f);
        if (j->failed) {
            ss_error_restore(&failed);
            st = j->failed;
        }
    }
    free(j);
    if (st == SS_OK && !fim_all_finite(w->f->G))
        st = SS_FAIL(SS_ERR_NUMERIC, "the %s FIM is not finite here",
                     w->est->name);
    return st;
}

ss_status fim_ws_compute(fim_ws *w, const double *theta,
                         const fim_request *req)
{
    fim_job *j;
    ss_status st = fim_job_start(w, theta, req, &j);
    if (st != SS_OK)
        return st;
    ss_iter it = {&fim_job_iter_type, j};
    ss_status dst = ss_iter_drive(&it, NULL, NULL);
    int interrupted = dst == SS_ERR_INTERRUPTED;
    if (interrupted)
        ss_clear_error();
    return fim_job_finish(j, interrupted);
}

ss_status fim_compute(const model *m, const fim_request *req,
                      fim_result **out)
{
    *out = NULL;
    const fim_estimator *e = fim_request_estimator(req);
    if (!e)
        return SS_FAIL(SS_ERR_USAGE, "unknown FIM method (known: %s)",
                       fim_estimator_names());
    fim_ws *w;
    ss_status st = fim_ws_alloc(m, e, &w);
    if (st != SS_OK)
        return st;
    st = fim_ws_compute(w, m->theta, req);
    if (st == SS_OK)
        *out = fim_ws_take(w);
    fim_ws_free(w);
    return st;
}

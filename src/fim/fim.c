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
    &fim_est_block,
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
    if (m == FIM_POP) /* several estimators of the design layer */
        return "population";
    const fim_estimator *e = fim_estimator_builtin(m);
    return e ? e->name : "?";
}

int fim_method_parse(const char *s)
{
    const fim_estimator *e = fim_estimator_find(s);
    return e ? (int)e->method : -1;
}

ss_status fim_form_check(const fim_estimator *e, const fim_request *req)
{
    if (req->form != FIM_WANT_GRAM || (e->props & FIM_PROP_GRAM))
        return SS_OK;
    char can[128] = "";
    size_t len = 0;
    for (size_t i = 0; i < NEST && len < sizeof can; i++)
        if (table[i]->props & FIM_PROP_GRAM)
            len += (size_t)snprintf(can + len, sizeof can - len, "%s%s",
                                    len ? ", " : "", table[i]->name);
    if (e->method == FIM_OBSERVED)
        return SS_FAIL(SS_ERR_USAGE,
                       "form=gram: the observed information is minus a mean "
                       "Hessian, not a Gram matrix S^T S/n of score rows, "
                       "so it has no Gram dual (form=gram applies to "
                       "method=%s)",
                       can);
    return SS_FAIL(SS_ERR_USAGE,
                   "form=gram: the %s FIM is not computed from score rows, "
                   "so it has no Gram dual (form=gram applies to "
                   "method=%s)",
                   e->name, can);
}

ss_status fim_form_check_model(const fim_estimator *e, const model *m,
                               const fim_request *req)
{
    if (m && req->form == FIM_WANT_GRAM && e->form &&
        e->form(m, req) == FIM_FORM_GRAM)
        return SS_OK;
    return fim_form_check(e, req);
}

/* ---- results -------------------------------------------------------------- */

const char *fim_form_name(fim_form f)
{
    switch (f) {
    case FIM_FORM_DENSE:
        return "dense";
    case FIM_FORM_ROOT:
        return "root";
    case FIM_FORM_GRAM:
        return "gram";
    case FIM_FORM_BLOCK:
        return "block";
    }
    return "?";
}

fim_result *fim_result_alloc(size_t k)
{
    fim_result *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->k = k;
    f->idx = calloc(k ? k : 1, sizeof *f->idx);
    f->names = calloc(k ? k : 1, sizeof *f->names);
    if (k <= FIM_DENSE_MAX)
        f->G = gsl_matrix_calloc(k ? k : 1, k ? k : 1);
    if (!f->idx || !f->names || (k <= FIM_DENSE_MAX && !f->G)) {
        fim_result_free(f);
        return NULL;
    }
    return f;
}

static void free_blocks(fim_result *f)
{
    for (size_t b = 0; b < f->nblocks; b++) {
        free(f->blocks[b].pos);
        if (f->blocks[b].G)
            gsl_matrix_free(f->blocks[b].G);
        if (f->blocks[b].root)
            gsl_matrix_free(f->blocks[b].root);
    }
    free(f->blocks);
    f->blocks = NULL;
    f->nblocks = 0;
}

void fim_result_clear_forms(fim_result *f)
{
    free_blocks(f);
    if (f->K)
        gsl_matrix_free(f->K);
    if (f->root)
        gsl_matrix_free(f->root);
    f->K = f->root = NULL;
    f->gram_scale = 0;
    f->form = FIM_FORM_DENSE;
}

void fim_result_free(fim_result *f)
{
    if (!f)
        return;
    fim_result_clear_forms(f);
    free(f->idx);
    free(f->names);
    if (f->G)
        gsl_matrix_free(f->G);
    if (f->se)
        gsl_matrix_free(f->se);
    free(f->value);
    free(f->pkind);
    free(f);
}

static gsl_matrix *mat_dup(const gsl_matrix *A, int *fail)
{
    if (!A)
        return NULL;
    gsl_matrix *B = gsl_matrix_alloc(A->size1, A->size2);
    if (!B)
        *fail = 1;
    else
        gsl_matrix_memcpy(B, A);
    return B;
}

fim_result *fim_result_copy(const fim_result *src)
{
    fim_result *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    *f = *src;
    f->idx = NULL;
    f->names = NULL;
    f->G = f->se = f->root = f->K = NULL;
    f->blocks = NULL;
    f->nblocks = 0;
    size_t k = src->k ? src->k : 1;
    int fail = 0;
    f->idx = malloc(k * sizeof *f->idx);
    f->names = malloc(k * sizeof *f->names);
    fail = !f->idx || !f->names;
    if (!fail) {
        memcpy(f->idx, src->idx, k * sizeof *f->idx);
        memcpy(f->names, src->names, k * sizeof *f->names);
    }
    f->value = NULL;
    f->pkind = NULL;
    if (!fail && src->value) {
        f->value = malloc(k * sizeof *f->value);
        f->pkind = malloc(k);
        fail = !f->value || !f->pkind;
        if (!fail) {
            memcpy(f->value, src->value, k * sizeof *f->value);
            memcpy(f->pkind, src->pkind, k);
        }
    }
    f->G = mat_dup(src->G, &fail);
    f->se = mat_dup(src->se, &fail);
    f->root = mat_dup(src->root, &fail);
    f->K = mat_dup(src->K, &fail);
    if (!fail && src->nblocks) {
        f->blocks = calloc(src->nblocks, sizeof *f->blocks);
        fail = !f->blocks;
        for (size_t b = 0; !fail && b < src->nblocks; b++) {
            const fim_block *sb = &src->blocks[b];
            fim_block *db = &f->blocks[b];
            f->nblocks = b + 1;
            db->n = sb->n;
            db->pos = malloc(sb->n * sizeof *db->pos);
            if (!db->pos) {
                fail = 1;
                break;
            }
            memcpy(db->pos, sb->pos, sb->n * sizeof *db->pos);
            db->G = mat_dup(sb->G, &fail);
            db->root = mat_dup(sb->root, &fail);
        }
    }
    if (fail) {
        fim_result_free(f);
        return NULL;
    }
    return f;
}

ss_status fim_result_form_G(fim_result *f)
{
    if (f->G)
        return SS_OK;
    if (f->form == FIM_FORM_GRAM)
        return SS_FAIL(SS_ERR_USAGE,
                       "this FIM is stored in Gram form: only K = S S^T/n "
                       "(%zu x %zu) is kept, whose eigenvalues are the "
                       "non-zero ones of G; the %zu x %zu G itself is "
                       "never formed (use eig for its spectrum, or "
                       "form=dense)",
                       f->K ? f->K->size1 : 0, f->K ? f->K->size1 : 0,
                       f->k, f->k);
    if (f->k > FIM_DENSE_MAX)
        return SS_FAIL(SS_ERR_LIMIT,
                       "a dense G of %zu parameters would take %.3g GB "
                       "(at most %d parameters are formed densely): use "
                       "eig for the spectrum",
                       f->k, 8e-9 * (double)f->k * (double)f->k,
                       FIM_DENSE_MAX);
    if (!(f->G = gsl_matrix_calloc(f->k ? f->k : 1, f->k ? f->k : 1)))
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    for (size_t b = 0; b < f->nblocks; b++) {
        const fim_block *bl = &f->blocks[b];
        for (size_t i = 0; i < bl->n; i++)
            for (size_t j = 0; j < bl->n; j++)
                gsl_matrix_set(f->G, bl->pos[i], bl->pos[j],
                               gsl_matrix_get(bl->G, i, j));
    }
    return SS_OK;
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
    f->se = NULL;
    fim_result_clear_forms(f);
    if (f->G)
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
    ss_status st = fim_form_check_model(e, w->work, req);
    if (st == SS_OK && e->check)
        st = e->check(w->work, req);
    if (st != SS_OK)
        return st;
    /* A Gram form fills K only: no k x k G (it may be too large to
     * form); every other form gets a zero G to fill. */
    fim_form form = e->form ? e->form(w->work, req) : FIM_FORM_DENSE;
    if (form == FIM_FORM_GRAM && w->f->G) {
        gsl_matrix_free(w->f->G);
        w->f->G = NULL;
    } else if (form != FIM_FORM_GRAM && !w->f->G) {
        st = fim_result_form_G(w->f);
    }
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
    if (st == SS_OK && ((w->f->G && !fim_all_finite(w->f->G)) ||
                        (w->f->K && !fim_all_finite(w->f->K))))
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

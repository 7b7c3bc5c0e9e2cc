/* Discrete training rules (train.h): sgd, gd, ngd, angd, em as one
 * iteration over the model interface. */
#include "learn/train.h"

#include "core/interrupt.h"
#include "core/rng.h"
#include "fim/estimator.h"
#include "fim/spectrum.h"
#include "learn/liao.h"
#include "model/dnn.h"

#include <gsl/gsl_blas.h>
#include <gsl/gsl_randist.h>

#include <gsl/gsl_eigen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const algo_names[TRAIN_NALGO] = {"sgd", "gd", "ngd",
                                                    "angd", "em"};

const char *train_algo_name(train_algo a)
{
    return (unsigned)a < TRAIN_NALGO ? algo_names[a] : "?";
}

int train_algo_find(const char *name)
{
    for (int i = 0; i < TRAIN_NALGO; i++)
        if (strcmp(name, algo_names[i]) == 0)
            return i;
    return -1;
}

const char *train_algo_names(void) { return "sgd, gd, ngd, angd, em"; }

/* Work per iterate: about a few milliseconds, so the full-screen UI stays
 * responsive (fast online steps, generic online steps, data terms). */
#define FAST_CHUNK ((uint64_t)1 << 17)
#define GENERIC_CHUNK ((uint64_t)1 << 11)
#define DATA_CHUNK ((uint64_t)1 << 19)

struct train_iter {
    train_spec sp;
    model *m;       /* the student (a copy); m->theta is the iterate */
    model *teacher; /* a copy, or NULL */
    size_t P, k, *idx;
    size_t nterms;  /* of the data (0: none) */
    double *grad, *dir, *prev;
    gsl_rng *r;
    int fast;       /* online_steps applies */
    int online;     /* the gradient comes from fresh teacher examples */
    gsl_matrix *X;  /* batch x cols: fresh examples (or data rows) */
    gsl_matrix *S;  /* batch x P: their scores (angd) */
    double *ell;    /* batch */
    fim_ws *ws;     /* exact FIM (ngd, eig) */
    gsl_matrix *A, *V;
    gsl_vector *ev, *gk;
    gsl_eigen_symmv_workspace *esv;
    gsl_eigen_symm_workspace *es;
    gsl_matrix *Ginv; /* angd */
    double *eigbuf;
    uint64_t t, next_record, row_next, examples;
    size_t pinv_steps;
    int done;
    learn_run *run;
    /* mini-batch SGD with Liao's measures (sp.epochs > 0) */
    int liao, liao_dnn;  /* liao_dnn: the Gram by dnn_batch_gram */
    uint64_t spe;        /* steps an epoch: floor(n / batch) */
    size_t *perm;        /* the current order of the data's rows */
    gsl_matrix *Sf;      /* batch x k free scores (k < P), else NULL */
    gsl_matrix *K;       /* batch x batch Gram */
    gsl_vector *kev;
    gsl_eigen_symm_workspace *kes;
    double *sv;          /* the last step's singular values */
    double c_last, l_last, c_sum, l_sum;
    uint64_t c_count;
};

/* ---- allocation ---------------------------------------------------------- */

static ss_status bad(const char **bad_key, const char *key, ss_status rc)
{
    if (bad_key)
        *bad_key = key;
    return rc;
}

void train_iter_free(train_iter *it)
{
    if (!it)
        return;
    model_free(it->m);
    model_free(it->teacher);
    free(it->idx);
    free(it->grad);
    free(it->dir);
    free(it->prev);
    if (it->r)
        ss_rng_free(it->r);
    if (it->X)
        gsl_matrix_free(it->X);
    if (it->S)
        gsl_matrix_free(it->S);
    free(it->ell);
    fim_ws_free(it->ws);
    if (it->A)
        gsl_matrix_free(it->A);
    if (it->V)
        gsl_matrix_free(it->V);
    if (it->ev)
        gsl_vector_free(it->ev);
    if (it->gk)
        gsl_vector_free(it->gk);
    if (it->esv)
        gsl_eigen_symmv_free(it->esv);
    if (it->es)
        gsl_eigen_symm_free(it->es);
    if (it->Ginv)
        gsl_matrix_free(it->Ginv);
    free(it->eigbuf);
    free(it->perm);
    if (it->Sf)
        gsl_matrix_free(it->Sf);
    if (it->K)
        gsl_matrix_free(it->K);
    if (it->kev)
        gsl_vector_free(it->kev);
    if (it->kes)
        gsl_eigen_symm_free(it->kes);
    free(it->sv);
    learn_run_free(it->run);
    free(it);
}

/* Whether the batch Gram goes through dnn_batch_gram (a dnn with every
 * parameter free) rather than the explicit B x P scores. */
static int liao_dnn_route(const model *m)
{
    if (!dnn_layout_of(m))
        return 0;
    for (size_t p = 0; p < m->P; p++)
        if (!m->is_free[p])
            return 0;
    return 1;
}

/* Mini-batch sgd over data (sp->epochs > 0); sp->steps is already
 * epochs x floor(n / batch) when the batch fits. */
static ss_status check_liao(const model *m, const train_spec *sp,
                            const char **bk)
{
    const model_type *t = m->type;
    if (sp->algo != TRAIN_SGD)
        return bad(bk, "epochs",
                   SS_FAIL(SS_ERR_USAGE, "epochs= is for mini-batch sgd "
                                         "(algo=sgd data=D); %s counts "
                                         "steps=",
                           algo_names[sp->algo]));
    if (!sp->data)
        return bad(bk, "data", SS_FAIL(SS_ERR_USAGE, "epochs= passes over "
                                                     "a data set: it needs "
                                                     "data=D"));
    if (t->data_kind == MODEL_DATA_SERIES)
        return bad(bk, "algo",
                   SS_FAIL(SS_ERR_USAGE, "mini-batch sgd needs independent "
                                         "examples with their own "
                                         "gradients, which a %s series "
                                         "does not have: use gd",
                           t->name));
    if (model_check_data_cols(m, sp->data, "train") != SS_OK)
        return bad(bk, "data", ss_last_error()->code);
    size_t n = sp->data->size1, B = sp->batch ? (size_t)sp->batch : 1;
    if (B > n)
        return bad(bk, "batch",
                   SS_FAIL(SS_ERR_RANGE, "batch=%zu is larger than the "
                                         "data set (%zu rows)",
                           B, n));
    if (B > LIAO_BATCH_MAX)
        return bad(bk, "batch",
                   SS_FAIL(SS_ERR_LIMIT, "batch=%zu: mini-batch sgd takes "
                                         "at most %u (a B x B "
                                         "eigenproblem every step)",
                           B, LIAO_BATCH_MAX));
    if (!liao_dnn_route(m) && (double)B * (double)m->P > LIAO_SCORES_MAX)
        return bad(bk, "batch",
                   SS_FAIL(SS_ERR_LIMIT, "batch=%zu x %zu parameters of "
                                         "per-sample gradients is more "
                                         "than %.0e numbers: use a smaller "
                                         "batch",
                           B, m->P, LIAO_SCORES_MAX));
    if (sp->test) {
        if (model_check_data_cols(m, sp->test, "train") != SS_OK)
            return bad(bk, "test", ss_last_error()->code);
        if (sp->test->size1 == 0)
            return bad(bk, "test", SS_FAIL(SS_ERR_USAGE, "the test data "
                                                         "set is empty"));
    }
    if ((double)sp->epochs * (double)(n / B) > TRAIN_STEPS_MAX)
        return bad(bk, "epochs",
                   SS_FAIL(SS_ERR_LIMIT, "epochs x floor(n / batch) must "
                                         "be at most %.0e steps",
                           TRAIN_STEPS_MAX));
    return SS_OK;
}

static ss_status check_spec(const model *m, const train_spec *sp,
                            const char **bk)
{
    const model_type *t = m->type;
    if ((unsigned)sp->algo >= TRAIN_NALGO)
        return bad(bk, "algo",
                   SS_FAIL(SS_ERR_USAGE, "unknown training rule (%s)",
                           train_algo_names()));
    const char *an = algo_names[sp->algo];
    if (!(sp->eta > 0.0) || !isfinite(sp->eta))
        return bad(bk, "eta",
                   SS_FAIL(SS_ERR_RANGE, "eta must be positive and finite, "
                                         "not %g",
                           sp->eta));
    if (sp->epochs) {
        ss_status rc = check_liao(m, sp, bk);
        if (rc != SS_OK)
            return rc;
    } else if (sp->test) {
        return bad(bk, "test", SS_FAIL(SS_ERR_USAGE, "test= goes with "
                                                     "mini-batch sgd "
                                                     "(algo=sgd data=D "
                                                     "epochs=E)"));
    }
    if (sp->steps < 1 || (double)sp->steps > TRAIN_STEPS_MAX)
        return bad(bk, "steps",
                   SS_FAIL(SS_ERR_LIMIT, "steps must be in [1, %.0e]",
                           TRAIN_STEPS_MAX));
    if (sp->batch > TRAIN_BATCH_MAX)
        return bad(bk, "batch", SS_FAIL(SS_ERR_LIMIT, "batch must be at "
                                                      "most %u",
                                        TRAIN_BATCH_MAX));
    if (!(sp->damping >= 0.0) || !isfinite(sp->damping))
        return bad(bk, "damping",
                   SS_FAIL(SS_ERR_RANGE, "damping must be >= 0 and finite"));
    if (!(sp->rcond >= 0.0 && sp->rcond < 1.0))
        return bad(bk, "rcond", SS_FAIL(SS_ERR_RANGE, "rcond must be in "
                                                      "[0, 1)"));
    if (!(sp->eps >= 0.0 && sp->eps < 1.0))
        return bad(bk, "eps", SS_FAIL(SS_ERR_RANGE, "eps must be in (0, 1)"));
    if (sp->teacher) {
        if (sp->teacher->type != t)
            return bad(bk, "teacher",
                       SS_FAIL(SS_ERR_USAGE, "the teacher is a %s, the "
                                             "student a %s: train needs a "
                                             "teacher of the student's "
                                             "family",
                               sp->teacher->type->name, t->name));
        if (model_data_compatible(m, sp->teacher) != SS_OK) {
            char why[sizeof ss_last_error()->msg];
            snprintf(why, sizeof why, "%s", ss_last_error()->msg);
            return bad(bk, "teacher",
                       SS_FAIL(SS_ERR_USAGE, "the teacher does not produce "
                                             "data for the student: %s",
                               why));
        }
    }
    if (sp->data) {
        if (model_check_data_cols(m, sp->data, "train") != SS_OK)
            return bad(bk, "data", ss_last_error()->code);
        if (model_nterms(m, sp->data) == 0)
            return bad(bk, "data", SS_FAIL(SS_ERR_USAGE, "the data set is "
                                                         "empty"));
    }
    switch (sp->algo) {
    case TRAIN_SGD:
        if (sp->epochs)
            break; /* checked above */
        if (!sp->teacher)
            return bad(bk, "teacher",
                       SS_FAIL(SS_ERR_USAGE, "sgd learns online from fresh "
                                             "examples: it needs teacher=T "
                                             "(use gd for a data set)"));
        if (t->data_kind == MODEL_DATA_SERIES)
            return bad(bk, "algo",
                       SS_FAIL(SS_ERR_USAGE, "sgd draws independent "
                                             "examples, which a %s series "
                                             "does not have: use gd "
                                             "data=SERIES",
                               t->name));
        break;
    case TRAIN_GD:
    case TRAIN_EM:
        if (!sp->data)
            return bad(bk, "data",
                       SS_FAIL(SS_ERR_USAGE, "%s needs a training data set "
                                             "(data=D)%s",
                               an, sp->algo == TRAIN_GD
                                       ? "; for online learning from the "
                                         "teacher use sgd"
                                       : ""));
        if (sp->algo == TRAIN_EM && !t->em_step)
            return bad(bk, "algo",
                       SS_FAIL(SS_ERR_USAGE, "em is not available for %s "
                                             "(it is for gmm)",
                               t->name));
        break;
    case TRAIN_NGD:
    case TRAIN_ANGD:
        if (!sp->data && !sp->teacher)
            return bad(bk, "data",
                       SS_FAIL(SS_ERR_USAGE, "%s needs a data set (data=D) "
                                             "or a teacher for fresh "
                                             "examples (teacher=T)",
                               an));
        if (!sp->data && t->data_kind == MODEL_DATA_SERIES)
            return bad(bk, "data",
                       SS_FAIL(SS_ERR_USAGE, "%s on a %s needs a series "
                                             "(data=D)",
                               an, t->name));
        if (sp->algo == TRAIN_ANGD && t->data_kind == MODEL_DATA_SERIES)
            return bad(bk, "algo",
                       SS_FAIL(SS_ERR_USAGE, "angd updates per independent "
                                             "example, which a %s series "
                                             "does not have: use ngd",
                               t->name));
        if (sp->algo == TRAIN_NGD && !t->fim_exact)
            return bad(bk, "algo",
                       SS_FAIL(SS_ERR_USAGE, "ngd needs the exact FIM, "
                                             "which %s does not have",
                               t->name));
        break;
    default:
        break;
    }
    if (sp->eig_every && !t->fim_exact)
        return bad(bk, "eig", SS_FAIL(SS_ERR_USAGE, "eig= needs the exact "
                                                    "FIM, which %s does "
                                                    "not have",
                                      t->name));
    return SS_OK;
}

ss_status train_iter_alloc(const model *student, const train_spec *spec,
                           train_iter **out, const char **bad_key)
{
    *out = NULL;
    if (bad_key)
        *bad_key = NULL;
    train_spec sp = *spec;
    if (sp.epochs && sp.data && sp.algo == TRAIN_SGD) {
        size_t B = sp.batch ? (size_t)sp.batch : 1;
        sp.steps = B <= sp.data->size1 ? sp.epochs * (sp.data->size1 / B)
                                       : 1;
    }
    ss_status rc = check_spec(student, &sp, bad_key);
    if (rc != SS_OK)
        return rc;
    if (!sp.batch)
        sp.batch = 1;
    if (!sp.rcond)
        sp.rcond = TRAIN_RCOND_DEFAULT;
    if (!sp.eps)
        sp.eps = TRAIN_EPS_DEFAULT;
    if (!sp.record)
        sp.record = (sp.steps + TRAIN_RECORDS_DEFAULT - 1) /
                    TRAIN_RECORDS_DEFAULT;
    if (sp.steps / sp.record + 2 > TRAIN_RECORDS_MAX)
        return bad(bad_key, "record",
                   SS_FAIL(SS_ERR_LIMIT, "steps/record = %llu records; at "
                                         "most %u are kept: raise record=",
                           (unsigned long long)(sp.steps / sp.record),
                           TRAIN_RECORDS_MAX));
    rc = model_validate(student, student->theta);
    if (rc != SS_OK)
        return rc;
    train_iter *it = calloc(1, sizeof *it);
    if (!it)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    it->sp = sp;
    it->m = model_clone(student);
    it->teacher = sp.teacher ? model_clone(sp.teacher) : NULL;
    it->P = student->P;
    if (!it->m || (sp.teacher && !it->teacher)) {
        train_iter_free(it);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    it->sp.teacher = it->teacher;
    rc = model_free_index_list(it->m, &it->idx, &it->k);
    if (rc != SS_OK) {
        train_iter_free(it);
        return bad(bad_key, NULL, rc);
    }
    size_t P = it->P, k = it->k;
    it->grad = calloc(P, sizeof *it->grad);
    it->dir = calloc(P, sizeof *it->dir);
    it->prev = calloc(P, sizeof *it->prev);
    if (!it->grad || !it->dir || !it->prev)
        goto nomem;
    it->nterms = sp.data ? model_nterms(it->m, sp.data) : 0;
    it->online = !sp.data && (sp.algo == TRAIN_SGD || sp.algo == TRAIN_NGD ||
                              sp.algo == TRAIN_ANGD);
    it->liao = sp.algo == TRAIN_SGD && sp.epochs > 0;
    if (sp.algo == TRAIN_SGD && !it->liao)
        it->online = 1; /* online sgd learns from fresh examples */
    if (it->online) {
        it->r = ss_rng_alloc_fast();
        if (!it->r)
            goto nomem;
        ss_rng_seed(it->r, sp.seed, SS_STREAM_TRAIN, 0);
        if (sp.algo == TRAIN_SGD && it->m->type->online_steps) {
            it->fast = it->m->type->online_steps(it->m, it->m->theta,
                                                 it->teacher, it->r, sp.eta,
                                                 sp.batch, 0) == SS_OK;
            if (!it->fast)
                ss_clear_error();
        }
    }
    size_t cols = it->m->type->data_cols(it->m);
    if (it->liao) {
        size_t B = (size_t)sp.batch, n = sp.data->size1;
        it->spe = n / B;
        it->r = ss_rng_alloc();
        it->perm = malloc(n * sizeof *it->perm);
        it->liao_dnn = liao_dnn_route(it->m);
        it->S = it->liao_dnn ? NULL : gsl_matrix_alloc(B, P);
        it->Sf = k < P ? gsl_matrix_alloc(B, k ? k : 1) : NULL;
        it->K = gsl_matrix_alloc(B, B);
        it->kev = gsl_vector_alloc(B);
        it->kes = gsl_eigen_symm_alloc(B);
        it->sv = malloc(B * sizeof *it->sv);
        if (!it->r || !it->perm || (!it->liao_dnn && !it->S) ||
            (k < P && !it->Sf) || !it->K ||
            !it->kev || !it->kes || !it->sv)
            goto nomem;
        ss_rng_seed(it->r, sp.seed,
                    sp.shuffle_stream ? sp.shuffle_stream : SS_STREAM_LIAO,
                    sp.shuffle_sub);
        for (size_t i = 0; i < n; i++)
            it->perm[i] = i;
    }
    if ((it->online && !it->fast) || sp.algo == TRAIN_ANGD || it->liao) {
        it->X = gsl_matrix_alloc(sp.batch, cols);
        it->ell = malloc(sp.batch * sizeof *it->ell);
        if (!it->X || !it->ell)
            goto nomem;
    }
    if (sp.algo == TRAIN_ANGD) {
        it->S = gsl_matrix_alloc(sp.batch, P);
        it->Ginv = gsl_matrix_alloc(k, k);
        if (!it->S || !it->Ginv)
            goto nomem;
        gsl_matrix_set_identity(it->Ginv);
    }
    if (sp.algo == TRAIN_NGD || sp.eig_every) {
        rc = fim_ws_alloc(it->m, fim_estimator_find("exact"), &it->ws);
        if (rc != SS_OK) {
            train_iter_free(it);
            return rc;
        }
        it->A = gsl_matrix_alloc(k, k);
        it->V = gsl_matrix_alloc(k, k);
        it->ev = gsl_vector_alloc(k);
        it->gk = gsl_vector_alloc(k);
        it->esv = gsl_eigen_symmv_alloc(k);
        it->es = gsl_eigen_symm_alloc(k);
        it->eigbuf = malloc(k * sizeof *it->eigbuf);
        if (!it->A || !it->V || !it->ev || !it->gk || !it->esv || !it->es ||
            !it->eigbuf)
            goto nomem;
    }
    uint64_t nrec = sp.steps / sp.record + 2;
    it->run = learn_run_alloc(it->m, nrec < 1024 ? (size_t)nrec : 1024,
                              sp.eig_every ? k : 0,
                              sp.eig_every ? (size_t)sp.eig_every : 1);
    if (!it->run)
        goto nomem;
    learn_run *run = it->run;
    snprintf(run->algo, sizeof run->algo, "%s", algo_names[sp.algo]);
    run->eta = sp.eta;
    run->seed = sp.seed;
    run->steps_asked = (size_t)sp.steps;
    if (it->liao) {
        if (learn_run_liao_enable(run, (size_t)sp.batch) != SS_OK) {
            train_iter_free(it);
            return ss_last_error()->code;
        }
        run->batch = (size_t)sp.batch;
        run->epochs = sp.epochs;
        run->sv_cut = LIAO_SV_CUT;
    }
    /* The critical learning rate of full-batch descent on the data, at
     * the start (dnn students). */
    if (sp.data && !sp.no_crit && dnn_layout_of(it->m) &&
        (sp.algo == TRAIN_GD || it->liao)) {
        if (liao_critical(it->m, it->m->theta, sp.data, &run->gn_lmax,
                          &run->crit_lr) != SS_OK) {
            if (ss_last_error()->code == SS_ERR_INTERRUPTED) {
                train_iter_free(it);
                return SS_ERR_INTERRUPTED;
            }
            snprintf(run->crit_note, sizeof run->crit_note, "%.180s",
                     ss_last_error()->msg);
            ss_clear_error();
        }
    }
    *out = it;
    return SS_OK;
nomem:
    train_iter_free(it);
    return SS_FAIL(SS_ERR_NOMEM, "out of memory for the training state");
}

/* ---- losses and records -------------------------------------------------- */

static double gen_loss(train_iter *it, const double *theta)
{
    if (!it->teacher || !it->m->type->kl_from)
        return NAN;
    double kl;
    if (it->m->type->kl_from(it->m, theta, it->teacher, &kl) != SS_OK) {
        ss_clear_error();
        return NAN;
    }
    return kl;
}

static ss_status train_loss(train_iter *it, const double *theta, double *out)
{
    *out = NAN;
    if (!it->sp.data)
        return SS_OK;
    double ell;
    ss_status rc = model_loglik_grad(it->m, theta, it->sp.data, &ell, NULL);
    if (rc == SS_ERR_INTERRUPTED)
        return rc;
    if (rc != SS_OK) {
        ss_clear_error();
        return SS_OK;
    }
    *out = -ell / (double)it->nterms;
    return SS_OK;
}

/* The exact FIM over the free parameters at theta into it->A. */
static ss_status exact_fim(train_iter *it, const double *theta)
{
    fim_request req = {.method = FIM_EXACT, .no_root = 1};
    ss_status rc = fim_ws_compute(it->ws, theta, &req);
    if (rc != SS_OK)
        return rc;
    gsl_matrix_memcpy(it->A, fim_ws_result(it->ws)->G);
    return SS_OK;
}

static int cmp_desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

static void stop_diverged(train_iter *it, const char *why)
{
    learn_run *run = it->run;
    run->diverged = 1;
    run->diverged_at = (double)it->t;
    snprintf(run->note, sizeof run->note, "%s", why);
    it->done = 1;
}

static int all_finite(const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return 0;
    return 1;
}

/* -mean log-likelihood of the test data (NaN when there is none or it
 * is not finite there). */
static double test_loss(train_iter *it, const double *theta)
{
    const gsl_matrix *D = it->sp.test;
    if (!D)
        return NAN;
    double ell;
    if (model_loglik_grad(it->m, theta, D, &ell, NULL) != SS_OK) {
        ss_clear_error();
        return NAN;
    }
    return -ell / (double)model_nterms(it->m, D);
}

static ss_status record_now(train_iter *it)
{
    const double *theta = it->m->theta;
    if (!all_finite(theta, it->P)) {
        stop_diverged(it, "the parameters became non-finite");
        return SS_OK;
    }
    double gen = gen_loss(it, theta), tr;
    ss_status rc = train_loss(it, theta, &tr);
    if (rc != SS_OK)
        return rc;
    if ((it->teacher && it->m->type->kl_from && !isfinite(gen)) ||
        (it->sp.data && !isfinite(tr))) {
        stop_diverged(it, "the loss became non-finite");
        return SS_OK;
    }
    const double *eig = NULL;
    learn_run *run = it->run;
    if (learn_run_has_eig(run, run->n)) {
        if (exact_fim(it, theta) == SS_OK &&
            spec_symm_eigen(it->A, it->ev, it->es) == SS_OK) {
            for (size_t j = 0; j < it->k; j++)
                it->eigbuf[j] = gsl_vector_get(it->ev, j);
            qsort(it->eigbuf, it->k, sizeof *it->eigbuf, cmp_desc);
            eig = it->eigbuf;
        } else {
            ss_clear_error(); /* no spectrum there: a NaN row */
        }
    }
    rc = learn_run_record(run, it->m, (double)it->t, theta, gen, tr, eig);
    if (rc == SS_OK && it->liao) {
        double te = test_loss(it, theta);
        if (it->t == 0)
            learn_run_liao_set(run, NAN, NAN, NAN, NAN, te, NULL);
        else
            learn_run_liao_set(run, it->c_last, it->l_last,
                               it->c_count ? it->c_sum /
                                                 (double)it->c_count
                                           : NAN,
                               it->l_sum / (double)it->t, te, it->sv);
    }
    if (rc == SS_OK) {
        run->steps_done = (size_t)it->t;
        run->t_end = (double)it->t;
    }
    return rc;
}

/* ---- one step of the generic rules --------------------------------------- */

/* Fresh teacher examples into it->X. */
static ss_status draw_batch(train_iter *it)
{
    return it->teacher->type->sample(it->teacher, it->teacher->theta, it->r,
                                     it->X);
}

/* The gradient of the loss (minus the mean log-likelihood) over all P
 * parameters at theta: of the data, or of a fresh batch. */
static ss_status loss_grad(train_iter *it, const double *theta)
{
    double ell;
    const gsl_matrix *D = it->sp.data;
    size_t n = it->nterms;
    ss_status rc;
    if (it->online) {
        rc = draw_batch(it);
        if (rc != SS_OK)
            return rc;
        D = it->X;
        n = it->X->size1;
    }
    rc = model_loglik_grad(it->m, theta, D, &ell, it->grad);
    if (rc != SS_OK)
        return rc;
    for (size_t p = 0; p < it->P; p++)
        it->grad[p] = -it->grad[p] / (double)n;
    return SS_OK;
}

/* The measures of the Gram in it->K (destroyed), added to the sums. */
static ss_status liao_measures(train_iter *it)
{
    size_t rank;
    double c, fro;
    ss_status rc = liao_from_gram(it->K, it->kev, it->kes, it->sv, &rank,
                                  &c, &fro);
    if (rc != SS_OK)
        return rc;
    it->c_last = c;
    it->l_last = liao_energy(it->sp.eta, (size_t)it->sp.batch, fro);
    if (isfinite(c)) {
        it->c_sum += c;
        it->c_count++;
    }
    it->l_sum += it->l_last;
    return SS_OK;
}

/* Mini-batch step t (it->t) over the data: the batch's per-sample
 * scores, their Gram and measures, and the mean loss gradient. */
static ss_status liao_grad(train_iter *it, const double *theta)
{
    size_t B = (size_t)it->sp.batch, P = it->P, k = it->k;
    const gsl_matrix *D = it->sp.data;
    uint64_t pos = it->t % it->spe;
    if (pos == 0) /* a new epoch: a fresh order */
        gsl_ran_shuffle(it->r, it->perm, D->size1, sizeof *it->perm);
    for (size_t b = 0; b < B; b++) {
        size_t row = it->perm[pos * B + b];
        for (size_t c = 0; c < D->size2; c++)
            gsl_matrix_set(it->X, b, c, gsl_matrix_get(D, row, c));
    }
    ss_status rc;
    if (it->liao_dnn) { /* the Gram and the summed scores, no B x P */
        rc = dnn_batch_gram(it->m, theta, it->X, it->K, it->dir, it->ell);
        if (rc != SS_OK)
            return rc;
        for (size_t p = 0; p < P; p++)
            it->grad[p] = -it->dir[p] / (double)B;
        return liao_measures(it);
    }
    rc = it->m->type->loglik_terms(it->m, theta, it->X, it->ell, it->S);
    if (rc != SS_OK)
        return rc;
    gsl_matrix *J = it->S;
    if (it->Sf) { /* the free columns */
        for (size_t b = 0; b < B; b++)
            for (size_t j = 0; j < k; j++)
                gsl_matrix_set(it->Sf, b, j,
                               gsl_matrix_get(it->S, b, it->idx[j]));
        J = it->Sf;
    }
    /* the scores are minus the loss gradients: the same Gram */
    gsl_blas_dsyrk(CblasLower, CblasNoTrans, 1.0, J, 0.0, it->K);
    for (size_t a = 0; a < B; a++)
        for (size_t b = a + 1; b < B; b++)
            gsl_matrix_set(it->K, a, b, gsl_matrix_get(it->K, b, a));
    for (size_t p = 0; p < P; p++) {
        double g = 0;
        for (size_t b = 0; b < B; b++)
            g += gsl_matrix_get(it->S, b, p);
        it->grad[p] = -g / (double)B;
    }
    return liao_measures(it);
}

/* dir (free components) = (A + damping I)^+ g, A = G over the free ones. */
static ss_status ngd_dir(train_iter *it, const double *theta)
{
    size_t k = it->k;
    ss_status rc = exact_fim(it, theta);
    if (rc != SS_OK)
        return rc;
    for (size_t j = 0; j < k; j++)
        gsl_matrix_set(it->A, j, j,
                       gsl_matrix_get(it->A, j, j) + it->sp.damping);
    rc = spec_symm_eigenv(it->A, it->ev, it->V, it->esv);
    if (rc != SS_OK)
        return rc;
    double lmax = 0;
    for (size_t j = 0; j < k; j++)
        if (gsl_vector_get(it->ev, j) > lmax)
            lmax = gsl_vector_get(it->ev, j);
    double cut = it->sp.rcond * lmax;
    int dropped = 0;
    for (size_t j = 0; j < k; j++)
        it->dir[j] = 0;
    for (size_t j = 0; j < k; j++) {
        double l = gsl_vector_get(it->ev, j);
        if (!(l > cut) || lmax == 0) {
            dropped = 1;
            continue;
        }
        double c = 0;
        for (size_t i = 0; i < k; i++)
            c += gsl_matrix_get(it->V, i, j) * it->grad[it->idx[i]];
        c /= l;
        for (size_t i = 0; i < k; i++)
            it->dir[i] += c * gsl_matrix_get(it->V, i, j);
    }
    if (dropped)
        it->pinv_steps++;
    return SS_OK;
}

/* Examples for angd into it->X: fresh, or the next rows of the data. */
static ss_status angd_examples(train_iter *it)
{
    if (it->online)
        return draw_batch(it);
    const gsl_matrix *D = it->sp.data;
    for (size_t b = 0; b < it->X->size1; b++) {
        for (size_t c = 0; c < D->size2; c++)
            gsl_matrix_set(it->X, b, c, gsl_matrix_get(D, it->row_next, c));
        it->row_next = (it->row_next + 1) % D->size1;
    }
    return SS_OK;
}

/* Update Ginv with each example's score, then dir = Ginv * mean gradient. */
static ss_status angd_dir(train_iter *it, const double *theta)
{
    size_t k = it->k, B = it->X->size1;
    ss_status rc = angd_examples(it);
    if (rc == SS_OK)
        rc = it->m->type->loglik_terms(it->m, theta, it->X, it->ell, it->S);
    if (rc != SS_OK)
        return rc;
    double *v = it->dir, *gm = it->grad; /* scratch of P >= k */
    for (size_t j = 0; j < k; j++)
        gm[j] = 0;
    gsl_matrix *Gi = it->Ginv;
    for (size_t b = 0; b < B; b++) {
        double e = it->sp.eps;
        if (it->sp.schedule == ANGD_DECAY)
            e = e / (1.0 + e * (double)it->examples);
        it->examples++;
        const double *s = it->S->data + b * it->S->tda;
        for (size_t i = 0; i < k; i++) {
            double a = 0;
            for (size_t j = 0; j < k; j++)
                a += gsl_matrix_get(Gi, i, j) * s[it->idx[j]];
            v[i] = a;
        }
        for (size_t i = 0; i < k; i++)
            for (size_t j = 0; j < k; j++) {
                double g = (1.0 + e) * gsl_matrix_get(Gi, i, j) -
                           e * v[i] * v[j];
                gsl_matrix_set(Gi, i, j, g);
            }
        for (size_t j = 0; j < k; j++)
            gm[j] -= s[it->idx[j]] / (double)B; /* loss gradient */
    }
    for (size_t i = 0; i < k; i++) {
        double a = 0;
        for (size_t j = 0; j < k; j++)
            a += gsl_matrix_get(Gi, i, j) * gm[j];
        it->dir[i] = a;
    }
    return SS_OK;
}

/* One step of a generic rule. Returns SS_OK with it->done set when the
 * step was refused (left the valid region), the run kept. */
static ss_status generic_step(train_iter *it)
{
    model *m = it->m;
    double *theta = m->theta;
    size_t k = it->k;
    ss_status rc = SS_OK;
    memcpy(it->prev, theta, it->P * sizeof *theta);
    switch (it->sp.algo) {
    case TRAIN_EM:
        rc = m->type->em_step(m, it->prev, it->sp.data, theta, NULL);
        break;
    case TRAIN_ANGD:
        rc = angd_dir(it, it->prev);
        break;
    default:
        rc = it->liao ? liao_grad(it, it->prev) : loss_grad(it, it->prev);
        if (rc == SS_OK && it->sp.algo == TRAIN_NGD)
            rc = ngd_dir(it, it->prev);
        else
            for (size_t j = 0; j < k; j++)
                it->dir[j] = it->grad[it->idx[j]];
        break;
    }
    if (rc == SS_OK && it->sp.algo != TRAIN_EM) {
        for (size_t j = 0; j < k; j++) {
            size_t p = it->idx[j];
            double x = theta[p] - it->sp.eta * it->dir[j];
            double lo = model_param_lo(m, p), hi = model_param_hi(m, p);
            theta[p] = x < lo ? lo : x > hi ? hi : x;
        }
    }
    if (rc == SS_ERR_INTERRUPTED) {
        memcpy(theta, it->prev, it->P * sizeof *theta);
        return rc;
    }
    if (rc == SS_OK && !all_finite(theta, it->P))
        rc = SS_FAIL(SS_ERR_NUMERIC, "the parameters became non-finite");
    if (rc == SS_OK)
        rc = model_validate(m, theta);
    if (rc != SS_OK) {
        char why[sizeof it->run->note];
        snprintf(why, sizeof why, "step %llu was refused (%.160s); the "
                                  "point before it is the last record",
                 (unsigned long long)(it->t + 1), ss_last_error()->msg);
        ss_clear_error();
        memcpy(theta, it->prev, it->P * sizeof *theta);
        stop_diverged(it, why);
        return SS_OK;
    }
    it->t++;
    return SS_OK;
}

/* ---- the iteration ------------------------------------------------------- */

static uint64_t chunk_of(const train_iter *it)
{
    if (it->fast)
        return FAST_CHUNK / it->sp.batch ? FAST_CHUNK / it->sp.batch : 1;
    if (it->liao) { /* B P for the scores and B^3 for the eigenproblem */
        double B = (double)it->sp.batch;
        double c = 4e7 / (B * (double)it->P + B * B * B + 1.0);
        return c >= 1 ? (uint64_t)c : 1;
    }
    uint64_t per = it->online ? it->sp.batch : it->nterms;
    uint64_t c = (it->online ? GENERIC_CHUNK * 32 : DATA_CHUNK) /
                 (per ? per : 1);
    if (it->sp.algo == TRAIN_NGD && c > 64)
        c = 64;
    return c ? c : 1;
}

static ss_status train_iterate(void *state)
{
    train_iter *it = state;
    if (it->done)
        return SS_OK;
    ss_status rc = SS_OK;
    if (it->run->n == 0) {
        rc = record_now(it);
        it->next_record = it->sp.record < it->sp.steps ? it->sp.record
                                                       : it->sp.steps;
        if (rc != SS_OK || it->done)
            return rc;
    }
    uint64_t budget = chunk_of(it);
    while (budget && !it->done && it->t < it->sp.steps) {
        uint64_t n = it->next_record - it->t;
        if (n > budget)
            n = budget;
        if (it->fast) {
            rc = it->m->type->online_steps(it->m, it->m->theta, it->teacher,
                                           it->r, it->sp.eta, it->sp.batch,
                                           (size_t)n);
            if (rc != SS_OK)
                return rc;
            it->t += n;
        } else {
            for (uint64_t i = 0; i < n && !it->done; i++) {
                rc = generic_step(it);
                if (rc != SS_OK)
                    return rc;
            }
            if (it->done) { /* the point before the refusal */
                learn_run *run = it->run;
                if (run->time[run->n - 1] < (double)it->t)
                    return record_now(it);
                return SS_OK;
            }
        }
        budget -= n;
        if (it->t == it->next_record) {
            rc = record_now(it);
            if (rc != SS_OK)
                return rc;
            uint64_t nx = it->next_record + it->sp.record;
            it->next_record = nx < it->sp.steps ? nx : it->sp.steps;
        }
    }
    if (it->t >= it->sp.steps)
        it->done = 1;
    return SS_OK;
}

static int train_test(const void *state)
{
    return ((const train_iter *)state)->done;
}

static void train_progress(const void *state, size_t *done, size_t *total)
{
    const train_iter *it = state;
    *done = (size_t)it->t;
    *total = (size_t)it->sp.steps;
}

const ss_iter_type train_iter_type = {
    .name = "train",
    .iterate = train_iterate,
    .test = train_test,
    .progress = train_progress,
};

const learn_run *train_iter_run(const train_iter *it) { return it->run; }
learn_run *train_iter_run_mut(train_iter *it) { return it->run; }

const gsl_matrix *train_iter_ginv(const train_iter *it) { return it->Ginv; }

const double *train_iter_theta(const train_iter *it) { return it->m->theta; }

ss_status train_iter_take(train_iter *it, int interrupted, learn_run **out)
{
    learn_run *run = it->run;
    *out = NULL;
    if (run->n && run->time[run->n - 1] < (double)it->t && !run->diverged) {
        ss_status rc = record_now(it);
        if (rc != SS_OK)
            return rc;
    }
    run->interrupted = interrupted && !it->done;
    if (it->sp.algo == TRAIN_NGD && !run->diverged) {
        if (it->pinv_steps)
            snprintf(run->note, sizeof run->note,
                     "ngd: G%s was pseudo-inverted (eigenvalues below "
                     "rcond = %g of the largest dropped) at %zu of %llu "
                     "steps",
                     it->sp.damping > 0 ? " + damping I" : "", it->sp.rcond,
                     it->pinv_steps, (unsigned long long)it->t);
        else if (it->sp.damping > 0)
            snprintf(run->note, sizeof run->note,
                     "ngd: damped (G + %g I) at every step, never "
                     "pseudo-inverted",
                     it->sp.damping);
        else
            snprintf(run->note, sizeof run->note,
                     "ngd: G was regular (above rcond = %g) at every step",
                     it->sp.rcond);
    } else if (it->sp.algo == TRAIN_ANGD && !run->diverged) {
        snprintf(run->note, sizeof run->note,
                 "angd: Ginv from I, eps = %g (%s), %llu examples",
                 it->sp.eps,
                 it->sp.schedule == ANGD_DECAY ? "decay: eps/(1 + eps n)"
                                               : "constant",
                 (unsigned long long)it->examples);
    }
    if (it->liao && !run->diverged)
        snprintf(run->note, sizeof run->note,
                 "mini-batch sgd: %llu epoch%s of %llu batches of %zu rows "
                 "(%zu of %zu rows each epoch), shuffled from seed %llu",
                 (unsigned long long)it->sp.epochs,
                 it->sp.epochs == 1 ? "" : "s",
                 (unsigned long long)it->spe, (size_t)it->sp.batch,
                 (size_t)(it->spe * it->sp.batch), it->sp.data->size1,
                 (unsigned long long)it->sp.seed);
    run->regularised = it->sp.algo == TRAIN_NGD ? it->pinv_steps : 0;
    it->run = NULL;
    *out = run;
    return SS_OK;
}

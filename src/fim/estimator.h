/* FIM estimators as a table of types (like gsl_multimin_fminimizer_type).
 *
 * Each estimator declares its name (the method= value), a label for
 * output, what it needs from the request, and what its results are; it is
 * computed at an explicit point in a workspace allocated once, so a scan
 * that evaluates it at many points allocates nothing per point (exact
 * without a root factor). Every computation is a job (core/iter.h): the
 * exact route finishes in its first step, Monte Carlo runs its chunks on
 * the replicate runner's threads, data-based estimators go piece by piece,
 * so every front end shows progress and stops on Ctrl-C between steps.
 *
 * Adding an estimator: a file with its `fim_estimator` (hooks below), one
 * line in the table in fim.c; method= parsing, completion, `help fim`
 * and the spectrum's choice of route come from these fields. */
#ifndef SS_ESTIMATOR_H
#define SS_ESTIMATOR_H

#include "core/iter.h"
#include "fim/fim.h"

/* What an estimator takes from the request. */
enum {
    FIM_NEEDS_DATA = 1,  /* data= */
    FIM_NEEDS_N = 2,     /* n= */
    FIM_NEEDS_SEED = 4,  /* seed= (random draws) */
    FIM_NEEDS_DESIGN = 8 /* a design object (population models) */
};

/* What its results are. */
enum {
    FIM_PROP_PSD = 1,     /* positive semi-definite by construction */
    FIM_PROP_SAMPLED = 2, /* a random estimate (draws or data) */
    FIM_PROP_SE = 4,      /* carries standard errors */
    FIM_PROP_ROOT = 8,    /* may carry a root factor G = R^T R */
    FIM_PROP_GRAM = 16,   /* can give its result as a Gram dual K = J J^T /
                             scale (form=gram|auto) */
    FIM_PROP_BLOCK = 32   /* gives a block-diagonal result (FIM_FORM_BLOCK) */
};

struct fim_estimator {
    const char *name;  /* method= value */
    const char *label; /* "exact FIM (expected, per observation)" */
    const char *help;  /* one line for `help fim` */
    fim_method method; /* the built-in id (kept in results) */
    unsigned needs, props;
    /* Whether the estimator applies to m with this request (records why
     * not: no exact route, no data, n too small, ...). */
    ss_status (*check)(const model *m, const fim_request *req);
    /* The form a job with this request will produce (NULL: dense or root).
     * A job whose form is FIM_FORM_GRAM gets no G to fill. */
    fim_form (*form)(const model *m, const fim_request *req);
    /* Scratch for many evaluations on models of m's layout (may be NULL). */
    ss_status (*ws_alloc)(const model *m, void **scratch);
    void (*ws_free)(void *scratch);
    /* Begin at the point m->theta into f (G, k and idx are set up): the
     * job's state in *state (NULL when start did all the work). */
    ss_status (*start)(void *scratch, const model *m, const fim_request *req,
                       fim_result *f, void **state);
    /* The job's steps (unused when start leaves no state). */
    ss_status (*iterate)(void *state);
    int (*test)(const void *state);
    void (*progress)(const void *state, size_t *done, size_t *total);
    void (*stop)(void *state);
    /* Fill f from what was finished (interrupted: fewer steps) and free
     * the state. */
    ss_status (*finish)(void *state, int interrupted, fim_result *f);
};

const fim_estimator *const *fim_estimator_table(size_t *n);
const fim_estimator *fim_estimator_find(const char *name);
const fim_estimator *fim_estimator_builtin(fim_method m);
/* "exact, mc, empirical, observed" (for messages). */
const char *fim_estimator_names(void);
/* The estimator a request names (est, else method), and the one that made
 * a result. */
const fim_estimator *fim_request_estimator(const fim_request *req);
const fim_estimator *fim_result_estimator(const fim_result *f);
/* Whether e can give the form req asks for (form=gram needs
 * FIM_PROP_GRAM; the message says why not and which estimators can). */
ss_status fim_form_check(const fim_estimator *e, const fim_request *req);
/* The same for a model (NULL: as fim_form_check): the exact FIM of a
 * family with a Gram route (model_type.fim_gram) takes form=gram. */
ss_status fim_form_check_model(const fim_estimator *e, const model *m,
                               const fim_request *req);

/* A workspace: the estimator, a model of the layout to move to each
 * point, the free indices and names, the estimator's scratch and the
 * result it fills (reused between points). */
typedef struct fim_ws fim_ws;
ss_status fim_ws_alloc(const model *m, const fim_estimator *est,
                       fim_ws **out);
void fim_ws_free(fim_ws *w);
/* The result last filled (owned by the workspace). */
const fim_result *fim_ws_result(const fim_ws *w);
/* Hand the result over to the caller (the workspace makes a new one). */
fim_result *fim_ws_take(fim_ws *w);

/* One FIM at theta as a job: start it (checks, then the estimator's
 * start), drive it (ss_iter_drive or a front end's driver), finish. */
typedef struct fim_job fim_job;
ss_status fim_job_start(fim_ws *w, const double *theta,
                        const fim_request *req, fim_job **out);
extern const ss_iter_type fim_job_iter_type; /* state: fim_job */
/* Fill the workspace's result from what the job finished and free the
 * job. interrupted: stopped early (the result says so). */
ss_status fim_job_finish(fim_job *j, int interrupted);

/* Start, drive to the end (Ctrl-C keeps what finished), finish. */
ss_status fim_ws_compute(fim_ws *w, const double *theta,
                         const fim_request *req);

#endif

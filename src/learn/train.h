/* Discrete training rules as an iteration (core/iter.h): each iterate
 * does a bounded block of steps, recording every K steps into a learning
 * run (learn/run.h). Any family with scores can be trained; the rules
 * reach a family only through the model interface (loglik_grad /
 * loglik_terms, sample, fim_exact through the FIM layer's exact
 * estimator, kl_from, and the optional em_step and online_steps hooks).
 *
 * The loss of one example is -log p(example | theta); a rule moves only
 * the free parameters, and after each step clamps them to their bounds
 * (gmm's v in [0, 1]). The rules (docs/theory.md, "Training rules"):
 *
 *   sgd   online: a fresh batch of B teacher examples per step,
 *         theta <- theta - eta * mean gradient of the loss; with data=
 *         and epochs=, mini-batches of the data in shuffled passes and
 *         Liao et al.'s measures each step (below)
 *   gd    batch: theta <- theta - eta * gradient of the mean loss on data
 *   ngd   theta <- theta - eta (G + damping I)^+ gradient, G the
 *         student's exact FIM over the free parameters; the gradient from
 *         data when there is a data set, else from fresh teacher batches.
 *         Eigenvalues of G + damping I below rcond * the largest are
 *         dropped (a pseudo-inverse); steps where that happened are counted
 *         in learn_run.regularised
 *   angd  Park, Amari & Fukumizu (2000): per example with score s,
 *         Ginv <- (1 + e) Ginv - e (Ginv s)(Ginv s)^T, then
 *         theta <- theta - eta Ginv * gradient; Ginv starts at I;
 *         e = eps (schedule const, the default) or eps / (1 + eps n) after
 *         n examples (schedule decay); eps defaults to 0.01. Examples are
 *         fresh from the teacher, or the rows of the data in turn
 *   em    one EM step on data per step (families with em_step: gmm)
 *
 * Records: step 0, every K steps, and the last step. Same seed, same
 * numbers. A non-finite loss or parameter, or a step out of the valid
 * region, stops the run with `diverged` set; the records so far stay. */
#ifndef SS_LEARN_TRAIN_H
#define SS_LEARN_TRAIN_H

#include "core/iter.h"
#include "learn/run.h"
#include "model/model.h"

#include <gsl/gsl_matrix.h>
#include <stdint.h>

typedef enum {
    TRAIN_SGD,
    TRAIN_GD,
    TRAIN_NGD,
    TRAIN_ANGD,
    TRAIN_EM,
    TRAIN_NALGO
} train_algo;

typedef enum { ANGD_CONST, ANGD_DECAY } angd_schedule;

/* Most steps a run takes (steps=), most records it keeps, the records a
 * run keeps by default (record= is then ceil(steps / 1000)), and angd's
 * default eps and ngd's default relative eigenvalue cut. */
#define TRAIN_STEPS_MAX 1000000000000.0
#define TRAIN_RECORDS_MAX 10000000u
#define TRAIN_RECORDS_DEFAULT 1000u
#define TRAIN_EPS_DEFAULT 0.01
#define TRAIN_RCOND_DEFAULT 1e-10
#define TRAIN_BATCH_MAX 1000000u

typedef struct {
    train_algo algo;
    const model *teacher;   /* fresh examples and the generalisation
                               error (NULL: none) */
    const gsl_matrix *data; /* the training data (NULL: none); borrowed */
    double eta;             /* > 0, finite */
    uint64_t steps;         /* 1 .. TRAIN_STEPS_MAX */
    uint64_t batch;         /* examples per online step (0: 1) */
    uint64_t record;        /* steps between records (0: the default) */
    uint64_t eig_every;     /* records between spectra (0: none) */
    uint64_t seed;          /* the examples' stream (seed, TRAIN, 0) */
    double damping;         /* ngd: >= 0 */
    double rcond;           /* ngd: in [0, 1) (0: the default) */
    double eps;             /* angd: in (0, 1) (0: the default) */
    angd_schedule schedule;
    /* Mini-batch SGD over a finite data set (Liao et al.; learn/liao.h):
     * with algo sgd, data= and epochs = E > 0 the run makes E passes over
     * the data, each in a fresh random order (a permutation from stream
     * (seed, shuffle_stream, shuffle_sub); 0, 0: (seed, SS_STREAM_LIAO,
     * 0)) cut into floor(n / batch) mini-batches of batch rows (the last
     * n mod batch rows of an order sit that epoch out), one step each:
     * steps = E floor(n / batch) (steps= is not read). Every step
     * records the measures of its batch's per-sample gradients; a
     * teacher only gives the generalisation error. */
    uint64_t epochs;
    const gsl_matrix *test; /* test loss at every record (NULL: none) */
    uint64_t shuffle_stream, shuffle_sub;
    int no_crit;            /* skip the critical learning rate */
} train_spec;

const char *train_algo_name(train_algo a);
/* The algorithm called name; -1 when none is. */
int train_algo_find(const char *name);
/* "sgd, gd, ngd, angd, em" */
const char *train_algo_names(void);

typedef struct train_iter train_iter;

/* Check everything (the algorithm applies to the student's family, the
 * teacher is of the same family and dimension, the data fit, eta, steps,
 * record, ...) and create the run. *bad_key: the option the failure is
 * about ("teacher", "data", "eta", "algo", "steps", ...), or NULL. The
 * student is copied; nothing it points to is changed. */
ss_status train_iter_alloc(const model *student, const train_spec *sp,
                           train_iter **out, const char **bad_key);
void train_iter_free(train_iter *it);
extern const ss_iter_type train_iter_type; /* state: train_iter */

/* The run so far (for live pictures). */
const learn_run *train_iter_run(const train_iter *it);
learn_run *train_iter_run_mut(train_iter *it);
/* angd: the current estimate of G^-1 over the free parameters (k x k);
 * NULL for the other rules. */
const gsl_matrix *train_iter_ginv(const train_iter *it);
/* The student's current parameters (P values). */
const double *train_iter_theta(const train_iter *it);
/* Hand the run over (interrupted: stopped by Ctrl-C); a final record of
 * the point reached is added when the last record is older. */
ss_status train_iter_take(train_iter *it, int interrupted, learn_run **out);

#endif

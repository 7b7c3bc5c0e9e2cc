/* The averaged learning dynamics (the eta -> 0 limit of online learning,
 * theory.md "Learning dynamics near the overlap singularity"):
 *
 *   gd:   theta' = -eta grad L(theta)
 *   ngd:  theta' = -eta (G(theta) + damping I)^+ grad L(theta)
 *
 * with L = KL(teacher || student) per observation (the family's kl_grad
 * hook: closed form for mlp2 with erf, quadrature for tanh) and G the
 * exact FIM of the student (fim/estimator.h, one workspace), both over
 * the free parameters only (fixed ones stay put). Integrated by GSL's
 * odeiv2 (BDF, see flow.c), recorded into a learn_run at t = 0 and at
 * `records` log-spaced times ending at tmax. An iteration (core/iter.h):
 * each iterate advances to the next record time. Nothing is sampled: two
 * runs give the same numbers. */
#ifndef SS_LEARN_FLOW_H
#define SS_LEARN_FLOW_H

#include "core/iter.h"
#include "learn/run.h"
#include "model/model.h"

typedef enum { FLOW_GD, FLOW_NGD } flow_algo;

/* Defaults: records, tolerances (flow.c says why they differ), and the
 * first recorded time after 0 as a fraction of tmax. */
#define FLOW_RECORDS_DEFAULT 1000
#define FLOW_TOL_GD_DEFAULT 1e-13
#define FLOW_TOL_NGD_DEFAULT 1e-10
#define FLOW_T1_FRACTION 1e-6
/* damping = 0 (NGD): eigen-directions of G with lambda <= FLOW_PINV_RCOND
 * lambda_max are dropped (pseudo-inverse). */
#define FLOW_PINV_RCOND 1e-12

typedef struct {
    flow_algo algo;
    double eta;       /* > 0 */
    double tmax;      /* > 0 */
    size_t records;   /* >= 1 log-spaced times (plus t = 0) */
    double tol;       /* the integrator's relative error per step
                         (0: the algorithm's default) */
    double damping;   /* NGD: added to G's diagonal (0: pseudo-inverse) */
    size_t eig_every; /* spectrum every K records (0: none) */
} flow_spec;

typedef struct flow_iter flow_iter;

/* Check everything (the family has kl_grad, the teacher fits, eta, tmax,
 * NGD's exact FIM, NGD exactly on a singular set with damping = 0) and
 * create the run with its record at t = 0. student is copied (its point is
 * the start; its free flags choose what moves). */
ss_status flow_iter_alloc(const model *student, const model *teacher,
                          const flow_spec *sp, flow_iter **out);
void flow_iter_free(flow_iter *it);
ss_status flow_iter_iterate(void *state);
int flow_iter_test(const void *state);
/* The run so far (the UI draws it growing). */
const learn_run *flow_iter_result(const void *state);
/* Hand the run over (interrupted: stopped by Ctrl-C); the note says how
 * NGD was regularised. */
ss_status flow_iter_take(flow_iter *it, int interrupted, learn_run **out);
extern const ss_iter_type flow_iter_type;

/* Run to the end with the plain driver (tests, benches). */
ss_status flow_run(const model *student, const model *teacher,
                   const flow_spec *sp, learn_run **out);

#endif

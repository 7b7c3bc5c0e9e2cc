/* A phase portrait of the averaged learning dynamics (docs/theory.md,
 * "The phase portrait"): averaged-flow trajectories (learn/flow.h) from a
 * W x H grid of starts in a plane of two blow-down coordinates of the
 * student's chart (mlp2: two of w, z, v, u), with the singular sets that
 * are coordinate lines of the plane and, for the overlap line u = 0 of
 * the (z, u) plane of mlp2 with d = 1 under gd, its attracting and
 * repelling parts.
 *
 * Starts: the cell centres of the grid, x_i = a + (i + 1/2)(b - a)/W,
 * y_j = c + (j + 1/2)(d - c)/H, row j = 0 (the bottom) first. At each the
 * fast variables (every other coordinate of the chart) are relaxed first:
 * the plane's two coordinates held fixed, L = KL(teacher || student)
 * minimised over the rest by GSL's BFGS (vector_bfgs2), from the
 * student's own values of them, the gradient by the chain rule through
 * the chart (dtheta/dc by central differences of from_coords), until
 * |grad_c L| <= PORTRAIT_RELAX_GRAD or PORTRAIT_RELAX_ITER iterations.
 * Then the flow runs from the relaxed point with PORTRAIT_RECORDS
 * log-spaced records.
 *
 * Landing (per start, at the end of its flow):
 *   teacher  the loss fell below PORTRAIT_TEACHER_FRAC of the line's loss
 *            L* (the relaxed loss on u = 0) or, without a line, of the
 *            start's loss: it escaped to the teacher;
 *   line     the distance to a singular set is below PORTRAIT_CAPTURE_DIST
 *            and below PORTRAIT_CAPTURE_FRAC of its distance at the start:
 *            captured by that set;
 *   on set   the relaxed start is on a singular set (distance <=
 *            PORTRAIT_ON_SET) and the flow stayed on it (distance at the
 *            end <= PORTRAIT_ON_SET_STAY): the set is invariant there
 *            (the overlap u = 0 with the fast variables relaxed), so there
 *            is no landing; a start on a set the flow leaves (w2 = 0) is
 *            classified as any other, its note saying where it started;
 *   transit  none of these at t = TMAX (still on a plateau or moving);
 *   diverged / failed  the flow blew up, or the start could not be
 *            relaxed or flowed (the reason kept).
 *
 * The attracting/repelling split (gd, mlp2 d = 1, plane (z, u) in either
 * order): the reduced dynamics near u = 0 is u' = lambda(z) u with
 * lambda(z) = 4 eta kappa (1 - z^2) / (1 + z^2) (theory.md §6), so the
 * line attracts where kappa (1 - z^2) < 0 and repels where it is > 0.
 * kappa = (2 L(0) - L(h) - L(-h)) / (2 h^2) at z = 0 (zeta = 1) with the
 * fast variables at the line's relaxed point (w*, v*), h =
 * PORTRAIT_KAPPA_H: the curvature of L ~ L* - kappa zeta u^2 across the
 * line. */
#ifndef SS_LEARN_PORTRAIT_H
#define SS_LEARN_PORTRAIT_H

#include "core/iter.h"
#include "learn/flow.h"
#include "learn/run.h"
#include "model/model.h"

#define PORTRAIT_STARTS_DEFAULT_W 8
#define PORTRAIT_STARTS_DEFAULT_H 8
#define PORTRAIT_MAX_STARTS 2500 /* W x H at most (50 x 50) */
#define PORTRAIT_T_DEFAULT 1e5
#define PORTRAIT_RECORDS 100
#define PORTRAIT_RELAX_GRAD 1e-11
#define PORTRAIT_RELAX_ITER 500
#define PORTRAIT_TEACHER_FRAC 1e-3
#define PORTRAIT_CAPTURE_DIST 1e-3
#define PORTRAIT_CAPTURE_FRAC 0.1
#define PORTRAIT_ON_SET 1e-12
#define PORTRAIT_ON_SET_STAY 1e-9
#define PORTRAIT_KAPPA_H 1e-3
#define PORTRAIT_MAX_LINES 8

typedef enum {
    PORTRAIT_PENDING = 0,
    PORTRAIT_TEACHER,
    PORTRAIT_LINE,
    PORTRAIT_ON_SET_START,
    PORTRAIT_TRANSIT,
    PORTRAIT_DIVERGED,
    PORTRAIT_FAILED
} portrait_fate;

/* "teacher", "line", "on set", "transit", "diverged", "failed". */
const char *portrait_fate_name(portrait_fate f);

typedef struct {
    double x0, y0;       /* the grid start in the plane */
    double x_end, y_end; /* the plane's coordinates at the end (NaN: none) */
    double gen0, gen_end;
    portrait_fate fate;
    size_t set;          /* line, on set: the singular set (SIZE_MAX) */
    double set_dist;     /* its distance at the end (at the start: on set) */
    double t_end;
    learn_run *run;      /* NULL when failed before the flow */
    char note[128];      /* failed: why; relaxation not converged: that */
} portrait_start;

/* A singular set that is a coordinate line of the plane: x = c (on_y 0)
 * or y = c (on_y 1). split: the line is divided at the along-coordinate
 * values `at` (sorted, nat of them) into parts, attracting or repelling
 * by the sign of lambda on each (attract[0..nat]). */
typedef struct {
    int on_y;
    double c;
    size_t set;
    char name[64];
    int split;
    size_t nat;
    double at[2];
    int attract[3];
} portrait_line;

typedef struct {
    char student[64], teacher[64], kind[MODEL_NAME_MAX];
    char xname[MODEL_NAME_MAX], yname[MODEL_NAME_MAX];
    size_t xi, yi;        /* indices in the chart */
    double xa, xb, ya, yb;
    size_t W, H, n, done; /* starts: n = W x H, done finished */
    flow_algo algo;
    double eta, tmax, damping;
    portrait_start *starts;
    size_t nsets;
    char (*snames)[64];
    size_t nlines;
    portrait_line lines[PORTRAIT_MAX_LINES];
    /* the overlap line's analysis (split lines only; NaN otherwise) */
    double L_line, w_line, v_line, kappa;
    /* the teacher in the plane, and its unit swap (NaN: no chart there) */
    double tx[2], ty[2];
    int interrupted;
    char note[256];
} learn_portrait;

void learn_portrait_free(learn_portrait *p);
/* How many starts have each fate (counts[PORTRAIT_FAILED + 1]). */
void learn_portrait_counts(const learn_portrait *p, size_t *counts);

typedef struct {
    const char *x, *y;   /* chart coordinate names */
    double xa, xb, ya, yb;
    size_t W, H;
    flow_algo algo;
    double eta, tmax, damping;
    /* out: the option an error of portrait_iter_alloc is about ("x",
     * "y", "starts", "teacher", "eta", "t", "damping"), or NULL */
    const char *bad_key;
} portrait_spec;

typedef struct portrait_iter portrait_iter;

/* Check everything (a chart with both coordinates, distinct, ranges
 * finite and increasing, W x H in 1..PORTRAIT_MAX_STARTS, a teacher of
 * the student's family, eta, tmax, damping, every parameter free) and
 * create the portrait with no start done. Nothing is flowed yet. */
ss_status portrait_iter_alloc(const model *student, const model *teacher,
                              portrait_spec *sp, portrait_iter **out);
void portrait_iter_free(portrait_iter *it);
/* One start: relax, flow, classify. */
ss_status portrait_iter_iterate(void *state);
int portrait_iter_test(const void *state);
const learn_portrait *portrait_iter_result(const void *state);
ss_status portrait_iter_take(portrait_iter *it, int interrupted,
                             learn_portrait **out);
extern const ss_iter_type portrait_iter_type;

/* Relax the fast variables at plane point (x, y): theta_out (P values)
 * minimises L over the other chart coordinates, starting from those of
 * `from` (P parameters). *converged says whether the gradient test was
 * met. Exposed for the tests. */
ss_status portrait_relax(const model *student, const model *teacher,
                         size_t xi, size_t yi, double x, double y,
                         const double *from, double *theta_out,
                         int *converged);

/* Run to the end with the plain driver (tests, benches). */
ss_status portrait_run(const model *student, const model *teacher,
                       portrait_spec *sp, learn_portrait **out);

#endif

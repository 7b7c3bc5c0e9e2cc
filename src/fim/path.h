/* FIM spectra along a path: one parameter (or blow-down coordinate) moved
 * from one value to another, or a straight segment between two full
 * parameter points, typically into a singular set. At every step the
 * eigenvalues, log det, condition number and rank are recorded with the
 * distance to the singular set the path approaches; then each eigenvalue
 * gets a power-law fit lambda ~ C d^k against that distance. */
#ifndef SS_PATH_H
#define SS_PATH_H

#include "core/iter.h"
#include "fim/fim.h"
#include "fim/spectrum.h"
#include "model/model.h"

typedef struct {
    /* Either an axis move ... */
    model_axis axis;
    double from, to;
    /* ... or a segment between full points (when theta_from != NULL). */
    const double *theta_from, *theta_to;
    size_t steps;       /* points, >= 2 */
    int log_spacing;    /* `log`: geometric spacing (path_spacing) */
    double decades;     /* how many decades the distance to an end on a
                           set (or at 0) shrinks over */
    fim_request fim;    /* method, n, data; seed is offset per step */
    double tol;         /* rank tolerance */
} path_spec;

/* How the points of a path are spaced. `log` picks GEOMETRIC when FROM
 * and TO are of one sign (numpy's geomspace: t_i = FROM (TO/FROM)^(i/(N-1)),
 * both ends included; for a segment, the distance to the set approached
 * goes geometrically from its value at one end to the other), and DECADES
 * when TO is 0 or lies on a singular set or on the boundary of the valid
 * region: the distance to TO then shrinks geometrically over decades=D
 * decades, never reaching it. */
typedef enum {
    PATH_LINEAR,
    PATH_GEOMETRIC,
    PATH_DECADES
} path_spacing;

typedef struct {
    size_t npts, k, done;
    path_spacing spacing;
    int interrupted;
    char axis[MODEL_NAME_MAX]; /* axis name, or "t" for a segment */
    fim_method method;
    char (*names)[MODEL_NAME_MAX];
    char set_name[64];       /* the singular set approached ("" if none) */
    double *t;               /* axis value (segment: fraction 0..1) */
    double *dist;            /* distance to that set */
    gsl_matrix *theta;       /* npts x P points visited */
    gsl_matrix *eval;        /* npts x k, descending */
    double *floor, *logdet, *cond;
    size_t *rank;
    /* power law per eigenvalue index: expo is the slope of the fit over
     * the nearest half of the usable points, expo_se its regression error;
     * expo_unc an uncertainty meant to cover the limit slope as d -> 0:
     * twice the drift of the slope to its limit, extrapolated linearly in
     * d from this fit and the fit over its nearer half (the curvature the
     * regression error ignores), plus the larger regression error. NaN
     * when 3 points leave no nearer half to compare with. */
    double *expo, *expo_se, *expo_unc, *prefactor;
    size_t *nfit;            /* points used; 0 = no fit possible */
    int flat_distance;       /* the distance hardly changes: nothing to fit */
    double *fit_dmin, *fit_dmax; /* distance range of the fitted points */
    char source[64];
} path_result;

void path_result_free(path_result *p);

typedef void (*path_progress_fn)(void *ctx, size_t done, size_t total);

/* The path as an iteration (core/iter.h): alloc checks every point first
 * (nothing is computed if one is invalid) and creates the result; each
 * iterate computes one point; take fits the power laws to the points
 * finished and hands the result over (interrupted: fewer than all). The
 * result can be drawn while it grows (path_iter_result). */
typedef struct path_iter path_iter;
ss_status path_iter_alloc(const model *m, const path_spec *spec,
                          path_iter **out);
ss_status path_iter_iterate(path_iter *it);
int path_iter_test(const path_iter *it);
const path_result *path_iter_result(const path_iter *it);
/* Name the model the result describes (for titles while it grows). */
void path_iter_set_source(path_iter *it, const char *name);
ss_status path_iter_take(path_iter *it, int interrupted, path_result **out);
void path_iter_free(path_iter *it);
extern const ss_iter_type path_iter_type; /* state: path_iter */

/* alloc, iterate to the end (or Ctrl-C, keeping the steps finished), take. */
ss_status path_run(const model *m, const path_spec *spec,
                   path_progress_fn progress, void *ctx, path_result **out);

/* Fit log lambda_j = log C + k log d over the half of the usable points
 * nearest the singular set (at least 3); fills expo/expo_se/expo_unc/
 * prefactor. Sorts once (O(n log n)); stops early on Ctrl-C, leaving the
 * eigenvalues not yet fitted without a fit. */
void path_fit(path_result *p);

/* What fit j says, as one phrase for a table ("vanishes like d^2",
 * "unreliable: ..."). */
void path_fit_verdict(const path_result *p, size_t j, char *buf, size_t n);

#endif

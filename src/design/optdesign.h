/* Approximate optimal designs for a generic information model
 * (docs/theory.md, section "Optimal designs").
 *
 * A design point x is a vector of `dim` coordinates (a sampling sequence of
 * dim times, sorted increasing and distinct when dim > 1); the elemental
 * information mu(x) (p x p, positive semi-definite) comes from a callback.
 * An approximate design xi is support points x_i with weights w_i summing
 * to 1, and M(xi) = sum_i w_i mu(x_i). This layer knows nothing of PK: a
 * population model supplies its FIM per sampling sequence as mu.
 *
 * Criteria (all written as phi(M), to be maximised, except A):
 *   D   phi = ln det M                      d(x) = tr(M^-1 mu(x))      <= p
 *   A   value tr M^-1 (minimised)           d(x) = tr(M^-1 mu M^-1)    <= tr M^-1
 *   E   phi = lambda_min(M)                 d(x) = v^T mu(x) v         <= lambda_min
 *   Ds  phi = ln det [(M^-1)_SS]^-1 = ln det M - ln det M_22
 *                                        d(x) = tr(M^-1 mu) - tr(M_22^-1 mu_22) <= s
 * (S the s parameters of interest, 2 the others.) Each d is <G, mu(x)> with
 * G the gradient matrix of phi at M, and the bound is <G, M>. The general
 * equivalence theorem: xi is optimal iff max_x d(x, xi) = bound, attained at
 * the support points. For E this holds as stated only when lambda_min is
 * simple (v its unit eigenvector); a multiple smallest eigenvalue is
 * reported (`multiplicity`, a warning) because the criterion is then not
 * differentiable and v^T mu v is one of several directional terms.
 *
 * A singular M is never inverted: the functions refuse it with SS_FAIL
 * naming the lost directions (eigenvectors of eigenvalues <= OD_SINGULAR_RTOL
 * times the largest, written with the parameter names). */
#ifndef SS_DESIGN_OPTDESIGN_H
#define SS_DESIGN_OPTDESIGN_H

#include "core/status.h"

#include <gsl/gsl_matrix.h>

#include <stddef.h>

/* Eigenvalues at or below this times the largest count as lost (the same
 * relative tolerance as the spectrum's default rank test). */
#define OD_SINGULAR_RTOL 1e-10

/* Fill mu (p x p) with the elemental information at the point x (dim
 * coordinates). */
typedef ss_status (*od_info_fn)(void *ctx, const double *x, gsl_matrix *mu);

typedef struct {
    size_t p, dim;
    od_info_fn info;
    void *ctx;
    const char *const *names; /* p parameter names for messages; NULL: th1.. */
} od_problem;

typedef enum { OD_D, OD_A, OD_E, OD_DS } od_kind;

typedef struct {
    od_kind kind;
    size_t s;          /* Ds: the number of parameters of interest */
    const size_t *sub; /* Ds: their indices (distinct, < p) */
} od_criterion;

/* A design: n support points (row-major n x dim in x) and weights. */
typedef struct {
    size_t n, dim;
    double *x;
    double *w;
} od_design;

od_design *od_design_alloc(size_t n, size_t dim);
void od_design_free(od_design *d);
/* Drop the points with weight below wmin and renormalise. */
void od_design_prune(od_design *d, double wmin);

/* M(xi) into M (p x p). */
ss_status od_info_matrix(const od_problem *pb, const od_design *xi,
                         gsl_matrix *M);

/* The criterion's value at xi: ln det M (D), tr M^-1 (A), lambda_min (E),
 * ln det M - ln det M_22 (Ds). Refuses a singular M (lost directions). */
ss_status od_criterion_value(const od_problem *pb, const od_criterion *c,
                             const od_design *xi, double *value);

/* d(x_j, xi) for the nx points in x (row-major nx x dim) into d[j], and the
 * bound it must not exceed at the optimum into *bound. Multiplicity of
 * lambda_min (E only; 1 otherwise) into *mult when not NULL. */
ss_status od_sensitivity(const od_problem *pb, const od_criterion *c,
                         const od_design *xi, const double *x, size_t nx,
                         double *d, double *bound, size_t *mult);

/* ---- Fedorov-Wynn over a finite candidate set --------------------------- */

typedef enum {
    OD_STEP_LINE,  /* the exact maximiser of phi along the segment */
    OD_STEP_CLOSED /* D: Fedorov's a = (d - p)/(p (d - 1)) for additions
                      (exact when mu(x) has rank one); the line search for
                      removals, exchanges and the other criteria */
} od_step;

/* Which first-order steps: toward the best candidate only (Wynn's
 * algorithm); also away from the worst support point when that gains more
 * (Atwood's); or weight moved from the worst support point to the best
 * candidate (Boehning's vertex exchange, the default: much faster when
 * the optimum lies between candidates). */
typedef enum { OD_EXCH_NONE, OD_EXCH_AWAY, OD_EXCH_PAIR } od_exchange;

typedef struct {
    od_criterion crit;
    od_step step;
    double tol;      /* stop when max d - bound <= tol * |bound| */
    size_t max_iter; /* steps */
    od_exchange exchange;
    double prune;    /* final weights below this are dropped */
    double merge;    /* final points within this (every coordinate) merge */
} od_fw_opts;

/* tol 1e-6, max_iter 10000, line search, pairwise exchange, prune 1e-6,
 * merge 0. */
void od_fw_opts_default(od_fw_opts *o, od_kind kind);

typedef struct {
    od_design *design; /* pruned and merged support */
    double *wcand;     /* weights over the working points: candidates, then
                          the start design's points */
    size_t nwork;
    size_t iter;
    int converged;
    double fw_maxd;      /* max d at the last iterate (the stopping test) */
    double maxd, bound;  /* of the returned design, over the working points */
    double value;        /* criterion at the returned design */
    size_t multiplicity; /* E: of lambda_min at the returned design */
    char warning[512];   /* non-convergence, multiple lambda_min; "" if none */
} od_fw_result;

void od_fw_result_free(od_fw_result *r);

/* Run the algorithm over the ncand x dim candidates cand. The start is
 * w0 (ncand weights, summing to 1; NULL: uniform) or, when start is not
 * NULL (w0 then NULL), that design, whose points join the working set. A
 * singular start is refused (SS_FAIL, the lost directions). Not converged
 * within max_iter: SS_OK, converged = 0 and a warning. Ctrl-C:
 * SS_ERR_INTERRUPTED with r holding the last iterate. On other errors r is
 * left empty. */
ss_status od_fedorov_wynn(const od_problem *pb, const gsl_matrix *cand,
                          const double *w0, const od_design *start,
                          const od_fw_opts *o, od_fw_result *r);

/* ---- continuous refinement ---------------------------------------------- */

typedef enum {
    OD_OVER_TIMES = 1,
    OD_OVER_WEIGHTS = 2,
    OD_OVER_BOTH = 3
} od_over;

typedef enum { OD_NMSIMPLEX, OD_BFGS } od_minimizer;

typedef struct {
    od_criterion crit;
    od_over over;
    double lo, hi;   /* every coordinate in [lo, hi] */
    double min_gap;  /* times of one point at least this apart (> 0) */
    od_minimizer method;
    size_t max_iter; /* minimiser iterations per run */
    double tol;      /* simplex size (NM) or gradient norm (BFGS), in the
                        transformed coordinates */
} od_refine_opts;

/* over both, Nelder-Mead, 20000 iterations, tol 1e-9, min_gap 1e-6 (hi - lo). */
void od_refine_opts_default(od_refine_opts *o, od_kind kind, double lo,
                            double hi);

typedef struct {
    double value0, value; /* criterion before and after */
    size_t iter;
    int converged;
    char warning[512];
} od_refine_result;

/* Improve xi in place (same support size). Coordinates go through
 * t_1 = lo + s_1 (hi - lo - (dim-1) g), t_k = t_(k-1) + g + s_k (hi -
 * (dim-k) g - t_(k-1) - g), s_k = sin^2 z_k (g = min_gap), so every point
 * stays sorted, g apart and inside [lo, hi], the bounds reachable; weights
 * through a softmax. A start outside the box, unsorted, or singular is
 * refused. Ctrl-C: SS_ERR_INTERRUPTED with xi the best found so far. */
ss_status od_refine(const od_problem *pb, const od_refine_opts *o,
                    od_design *xi, od_refine_result *r);

/* ---- efficiency ---------------------------------------------------------- */

/* The efficiency of xi relative to ref (usually the optimum):
 * D (det M(xi) / det M(ref))^(1/p), A tr M(ref)^-1 / tr M(xi)^-1,
 * E lambda_min(xi) / lambda_min(ref), Ds exp((phi(xi) - phi(ref)) / s).
 * A singular M(xi) has efficiency 0 for D, A and E; Ds refuses it (its
 * subset may still be estimable, which we do not compute). A singular ref
 * is refused. */
ss_status od_efficiency(const od_problem *pb, const od_criterion *c,
                        const od_design *xi, const od_design *ref,
                        double *eff);

/* ---- candidates ------------------------------------------------------------ */

/* All k-subsets of the nt sorted, distinct times, in lexicographic order,
 * as a C(nt, k) x k matrix (*out, caller frees). */
ss_status od_cand_subsets(const double *times, size_t nt, size_t k,
                          gsl_matrix **out);
/* n >= 2 equally spaced single times lo .. hi (both included), n x 1. */
ss_status od_cand_grid(double lo, double hi, size_t n, gsl_matrix **out);

#endif

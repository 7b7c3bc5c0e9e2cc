/* Optimising a population design (docs/theory.md section 18): the
 * subjects' sampling sequences are the points of an approximate design,
 * a subject's population FIM (popfim_subject over the free parameters) its
 * elemental information, and optdesign.h does the rest — Fedorov–Wynn over
 * candidate sequences, then continuous refinement of the times and/or the
 * weights. The result is again a population design: its groups are the
 * support sequences, with the subjects shared out by weight. */
#ifndef SS_POPOPT_H
#define SS_POPOPT_H

#include "design/optdesign.h"
#include "design/popdesign.h"
#include "design/popfim.h"
#include "model/model.h"

typedef struct {
    od_kind crit;
    const size_t *sub;   /* Ds: parameters of interest, positions among the
                            free parameters */
    size_t s;
    int refine;          /* 0 none, else OD_OVER_TIMES/WEIGHTS/BOTH */
    double lo, hi;       /* bounds of every time (refinement; grid) */
    const double *times; /* candidate times (NULL: the design's own) */
    size_t ntimes;
    size_t grid;         /* > 0: that many equally spaced candidate times
                            in [lo, hi] instead */
    popfim_opts fim;     /* the FIM of a subject (fo by default) */
} popopt_spec;

#define POPOPT_MAX_CAND 200000 /* candidate sequences at most */
#define POPOPT_CURVE 401       /* points of the k = 1 sensitivity curve */

typedef struct {
    pop_design *design;        /* the optimised design (caller frees) */
    size_t p, k;               /* free parameters, samples per subject */
    double value0, value;      /* criterion at the start and at the end */
    double eff;                /* efficiency of the start relative to the
                                  optimised design (<= 1 when optimal) */
    double maxd, bound;        /* max sensitivity over the candidates and
                                  the support, and the bound (p for D) */
    size_t ncand, iter;
    int converged;
    char warning[512];
    /* d(x, xi) for the picture: over time when k = 1 (ncurve points), or
     * over the candidate sequences (x the index) when k > 1 */
    size_t ncurve;
    double *cx, *cd;
    int curve_is_time;
    size_t nsupport;
    double *sx, *sd;           /* the support's x (time or candidate
                                  position) and d */
} popopt_result;

void popopt_result_free(popopt_result *r);

/* Optimise start for m at its current point. Every group of start must
 * have the same number of times and the same dose (the candidate
 * sequences are of that length, at that dose). Records why it fails; a
 * run that does not converge returns SS_OK with converged = 0 and the
 * warning. Ctrl-C: SS_ERR_INTERRUPTED, nothing kept. */
ss_status popopt_run(const model *m, const pop_design *start,
                     const popopt_spec *sp, popopt_result *out);

#endif

/* Plateaus of a learning run and the time it spends near each singular
 * set (docs/theory.md, "Plateaus").
 *
 * The rule. Work on a logarithmic time axis x = log10 t (records with
 * t <= 0 or a loss that is not positive and finite are left out), and
 * measure how fast the loss falls by its rate per decade of time,
 *
 *     rho(x) = (ln L(x - h) - ln L(x + h)) / (2h),
 *
 * the fall of ln L across a window of half-width h decades centred on x
 * (ln L linear in x between records, the window clipped to the records).
 * A plateau is a maximal run of records where |rho| < tol that lasts at
 * least `span` decades. Its entry and exit are the first and last records
 * of the run; its level is the mean loss over those records; the set it
 * hugs is the singular set with the smallest mean distance over them.
 * A power law L = C t^-k has rho = k ln 10 everywhere (k = 2: 4.6 per
 * decade) and so never forms a plateau, whatever C or the unit of time;
 * rescaling time (another eta) shifts x and changes nothing.
 *
 * On the flank of a plateau where the exact rate grows monotonically the
 * window moves the detected entry or exit by at most h decades from the
 * point where the exact rate crosses tol, plus one record spacing. */
#ifndef SS_LEARN_PLATEAU_H
#define SS_LEARN_PLATEAU_H

#include "core/status.h"
#include "learn/run.h"

#include <stddef.h>

#define LEARN_PLATEAU_TOL 0.1  /* ln L falls by less than 0.1 a decade */
#define LEARN_PLATEAU_SPAN 0.5 /* for at least half a decade of time */
#define LEARN_NEAR_DIST 0.1    /* "near a singular set": distance < 0.1 */

typedef struct {
    double tol;  /* |rho| below this (per decade) */
    double span; /* minimum length in decades */
    int loss;    /* 0: generalisation, 1: training, -1: generalisation
                    when any is recorded, else training */
} learn_plateau_opts;

typedef struct {
    size_t first, last;  /* records of entry and exit */
    double t_in, t_out;  /* their times */
    double decades;      /* log10(t_out / t_in) */
    double level;        /* mean loss over the records */
    int left;            /* 0: the run ended on it (no later record
                            outside it) */
    size_t set;          /* the nearest set over it (SIZE_MAX: none) */
    double set_dist;     /* its mean distance there */
} learn_plateau;

void learn_plateau_opts_init(learn_plateau_opts *o);

/* The loss the rule uses (o->loss resolved): r->gen or r->train, and its
 * name; NULL when neither has a finite value. */
const double *learn_plateau_loss(const learn_run *r, int which,
                                 const char **name);

/* Find the plateaus of r (in time order) into a malloc'd array (*out,
 * *n; NULL and 0 when none). Fails only on bad options or memory. */
ss_status learn_plateaus(const learn_run *r, const learn_plateau_opts *o,
                         learn_plateau **out, size_t *n);

/* The time spent within distance eps of each singular set: an interval
 * between consecutive records counts for set k when the distance to k is
 * below eps at both its ends. near[k] gets the sum (nsets entries). */
void learn_run_time_near(const learn_run *r, double eps, double *near);

#endif

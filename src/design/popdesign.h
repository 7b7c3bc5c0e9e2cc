/* Population designs: groups of subjects, each group with its number of
 * subjects, its sampling times and its dose. What `design D ...` stores,
 * what population FIMs are computed for and what `optimize` changes.
 * A value type: no links to models; the dose may be left to the model. */
#ifndef SS_POPDESIGN_H
#define SS_POPDESIGN_H

#include "core/status.h"

#include <stddef.h>

#define PD_MAX_GROUPS 256
#define PD_MAX_TIMES 1024
#define PD_MAX_SIZE 1e9 /* subjects in a group */

typedef struct {
    double size; /* subjects in the group (> 0; a real number so that an
                    optimised allocation can be fractional) */
    size_t nt;   /* sampling times */
    double *t;   /* nt times, sorted, >= 0 */
    double dose; /* the group's dose, NaN: the model's own */
} pd_group;

typedef struct pop_design_s {
    size_t ngroups;
    pd_group *g;
} pop_design;

/* A design of ngroups groups: times of group j are t[off[j] .. off[j+1])
 * (off has ngroups + 1 entries), size[j] subjects, dose[j] (dose may be
 * NULL: every group takes the model's dose). Checked: at least one group,
 * sizes > 0 and finite, every group at least one time, times finite,
 * >= 0 and non-decreasing, doses >= 0 and finite. Errors name the group
 * and time ("group 2, time 3: 1 comes after 2: times must be sorted")
 * and set *bad_group / *bad_time (1-based; 0 when not about one) when
 * those are not NULL, so a caller can point at the column. */
ss_status pd_alloc(size_t ngroups, const size_t *off, const double *t,
                   const double *size, const double *dose, pop_design **out,
                   size_t *bad_group, size_t *bad_time);
pop_design *pd_copy(const pop_design *d);
void pd_free(pop_design *d);

/* Total subjects and total samples (sum over groups of size x nt). */
double pd_subjects(const pop_design *d);
double pd_samples(const pop_design *d);

#endif

/* Population FIM estimators of designs (est_pop.c): fo, fo-full, quad, mc.
 * A request names one with req->est, carries the design in req->design
 * and gets a total over the design's subjects (method FIM_POP). */
#ifndef SS_EST_POP_H
#define SS_EST_POP_H

#include "design/popdesign.h"
#include "fim/estimator.h"

extern const fim_estimator est_pop_fo, est_pop_fo_full, est_pop_quad,
    est_pop_mc;

const fim_estimator *est_pop_find(const char *name);
const fim_estimator *const *est_pop_table(size_t *n);
/* "fo, fo-full, quad, mc" (for messages). */
const char *est_pop_names(void);

#endif

/* Long computations as iteration objects, in GSL's manner:
 * alloc/set creates the state and the result it fills, iterate does one
 * bounded step (a path point, a map row, a block of replicates), test says
 * whether it is done. Nothing calls back into the front end: the plain
 * driver below loops until done or Ctrl-C, and the full-screen UI steps the
 * same object a few times per frame so the result can be drawn while it
 * grows. Stopping between steps keeps every step finished. */
#ifndef SS_ITER_H
#define SS_ITER_H

#include "core/status.h"

#include <stddef.h>

typedef struct {
    const char *name; /* "path", "map", "fim mc", ... (status line) */
    /* One bounded step (about a frame's work at most). An error ends the
     * iteration; the state still describes what was finished. */
    ss_status (*iterate)(void *state);
    /* 1 when there is nothing left to do. */
    int (*test)(const void *state);
    /* Work done out of total, in the computation's own units. */
    void (*progress)(const void *state, size_t *done, size_t *total);
    /* Optional: stop work running outside iterate (replicate workers);
     * called once when the driver gives up early. */
    void (*stop)(void *state);
} ss_iter_type;

typedef struct {
    const ss_iter_type *type;
    void *state;
} ss_iter;

/* Called between steps by ss_iter_drive (may be NULL). */
typedef void (*ss_iter_tick_fn)(void *ctx, const ss_iter *it);

/* Run it to the end: iterate while !test and no Ctrl-C. Returns SS_OK,
 * the step's error, or SS_ERR_INTERRUPTED (recorded in the error slot)
 * when Ctrl-C stopped it; the state keeps the finished steps either way. */
ss_status ss_iter_drive(const ss_iter *it, ss_iter_tick_fn tick, void *ctx);

/* Stop early (interrupt): calls the type's stop hook if any. */
void ss_iter_stop(const ss_iter *it);

#endif

#include "core/iter.h"

#include "core/interrupt.h"

void ss_iter_stop(const ss_iter *it)
{
    if (it->type->stop)
        it->type->stop(it->state);
}

ss_status ss_iter_drive(const ss_iter *it, ss_iter_tick_fn tick, void *ctx)
{
    while (!it->type->test(it->state)) {
        if (ss_interrupted()) {
            ss_iter_stop(it);
            return SS_FAIL(SS_ERR_INTERRUPTED, "interrupted");
        }
        ss_status st = it->type->iterate(it->state);
        if (st != SS_OK) {
            ss_iter_stop(it);
            return st;
        }
        if (tick)
            tick(ctx, it);
    }
    return SS_OK;
}

/* What an experiment is and which of its replicates a result holds: the
 * description lang/shard.h makes and checks, kept with a result (a
 * replicate table, an llr or select experiment) so its export can say it
 * and `merge` can put shards back together. Plain data. */
#ifndef SS_EXPINFO_H
#define SS_EXPINFO_H

#include <stddef.h>
#include <stdint.h>

#define EXP_COMMAND_MAX 1024

/* Which replicates a run does: all, or slice i of n (1-based), the
 * replicates first .. first + count - 1 (0-based) with
 * first = floor((i - 1) R / n), the next slice's first its end. */
typedef struct {
    unsigned i, n;       /* 0 0: no shard= */
    size_t first, count; /* 0-based */
} shard_slice;

/* The experiment's command without shard=, threads= and `as` (the numbers
 * depend on neither), the fingerprint of that command, of every model and
 * data set it names and of the program's version, and the whole
 * experiment's replicate count. */
typedef struct {
    char command[EXP_COMMAND_MAX];
    uint64_t fingerprint;
    size_t reps;
    shard_slice slice;
} exp_origin;

#endif

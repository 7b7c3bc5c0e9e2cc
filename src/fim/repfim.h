/* Replicates of a sampled FIM estimator: replicate r draws a fresh data
 * set of n observations from the model at its point from the random
 * stream (seed, SS_STREAM_REPFIM, r) (r counted over the whole experiment,
 * so a slice of it gives the same rows), computes the estimator (empirical or
 * observed) on it, and records every free entry G[i][j] (i <= j), log det
 * G and the smallest eigenvalue (the spectrum `eig` computes). The exact
 * FIM's values are the references when the family has one. The
 * replicates run on the replicate runner's threads, each worker with its
 * own model clone, generator, data buffer and estimator workspace; the
 * table holds the run of finished replicates from the first, so it is the
 * same for any thread count and an interrupted run keeps replicates
 * 0 .. k-1 exactly as a full run has them. */
#ifndef SS_REPFIM_H
#define SS_REPFIM_H

#include "core/iter.h"
#include "core/reptable.h"
#include "fim/estimator.h"
#include "model/model.h"

typedef struct {
    const fim_estimator *est; /* an estimator that needs data */
    size_t n;                 /* observations per replicate */
    size_t nrep;              /* replicates of the whole experiment */
    size_t first, count;      /* the slice run (shard=): replicates first ..
                                 first + count - 1; count 0: to the end */
    uint64_t seed;
    unsigned threads;         /* 0: the default; numbers do not depend on it */
} repfim_spec;

/* The most memory one worker's data set may take (n x columns doubles). */
#define REPFIM_MAX_BYTES ((size_t)256 << 20)

typedef struct repfim_iter repfim_iter;
/* Check everything (an estimator on data, free parameters, the size of a
 * data set), compute the references and start the workers. */
ss_status repfim_iter_alloc(const model *m, const repfim_spec *sp,
                            repfim_iter **out);
ss_status repfim_iter_iterate(repfim_iter *it);
int repfim_iter_test(const repfim_iter *it);
/* The table so far (the rows finished in order from the first). */
const reptable *repfim_iter_result(const repfim_iter *it);
void repfim_iter_set_source(repfim_iter *it, const char *name);
/* Join the workers and hand the table over (interrupted: fewer rows;
 * none finished is an error). */
ss_status repfim_iter_take(repfim_iter *it, int interrupted, reptable **out);
void repfim_iter_free(repfim_iter *it);
extern const ss_iter_type repfim_iter_type; /* state: repfim_iter */

/* The table a run of sp gives, with its rows still to fill (all NaN,
 * ndone 0): for `merge`, which fills them from shard files. */
ss_status repfim_table_new(const model *m, const repfim_spec *sp,
                           reptable **out);

/* Column of G[a][b] (a <= b < k) in the table: entries by rows of the
 * upper triangle, then log det, then the smallest eigenvalue. */
size_t repfim_entry_col(size_t k, size_t a, size_t b);

#endif

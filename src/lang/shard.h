/* Experiments in shards: `shard=I/N` on an experiment command (replicate,
 * llr, select) runs only the I-th of N disjoint slices of its replicates;
 * `export` writes them with a header that says which experiment and which
 * slice; `merge FILES... as NAME` reads shard files back, checks that they
 * come from the same experiment and together hold every replicate once,
 * and replays the experiment's command with the rows taken from the files
 * instead of computed, so the result is the one a single run gives (the
 * same code builds it from the same numbers, written in round-trip
 * precision).
 *
 * Replicate r of an experiment depends only on the command, the objects it
 * names and r (its random stream is keyed by r), never on the slice or the
 * thread count: that is what makes shards add up.
 *
 * The shard file is the experiment's CSV export:
 *   # singscope ... export of ... (the usual first line)
 *   # experiment: llr truth=m0 null=m0 alt=m1 n=1000 reps=2000 seed=5
 *   # fingerprint: 0f1e2d3c4b5a6978
 *   # replicates: 501..1000 of 2000 (shard 2/4)
 *   rep,col1,col2,...
 *   501,...
 * with rep the 1-based replicate number. */
#ifndef SS_SHARD_H
#define SS_SHARD_H

#include "core/expinfo.h"
#include "core/status.h"
#include "lang/parse.h"
#include "lang/session.h"

#include <stddef.h>
#include <stdint.h>

#define SHARD_FILES_MAX 100000

/* Rows merged from shard files, handed to the replayed command through
 * s->merge: every replicate of the experiment, in order. */
typedef struct exp_rows {
    exp_origin origin;       /* slice: the whole experiment */
    size_t ncols;
    char **colnames;         /* ncols, after `rep` */
    double *rows;            /* reps x ncols, row-major */
    size_t nfiles;
} exp_rows;

/* The experiment st describes, with reps replicates in all drawn from
 * seed (given by seed= or drawn by the command: the command recorded
 * always has seed= last): parses
 * shard=I/N (1 <= I <= N <= reps; shard= needs seed=, since a seed drawn
 * by each shard would make them different experiments) and fingerprints
 * the objects st names. */
ss_status exp_origin_make(session *s, const ss_stmt *st, size_t reps,
                          uint64_t seed, exp_origin *out);
/* "1..500 of 2000 (shard 1/4)" or "1..2000 of 2000". */
void exp_origin_slice_text(const exp_origin *o, char *buf, size_t n);
/* The three header lines above (CSV export only). */
void exp_origin_write(session *s, const exp_origin *o);

/* For an experiment command: whether it is being replayed by `merge`;
 * then checks that the merged rows are of this experiment (its current
 * fingerprint and ncols columns of these names; colnames NULL: the
 * caller compares them with exp_merged_name) and gives them. */
int exp_is_merge(const session *s);
ss_status exp_merged_rows(session *s, const exp_origin *o, size_t ncols,
                          const char *const *colnames, const double **rows);

/* The merged files' column names after `rep` (valid during the replay). */
const char *exp_merged_name(const session *s, size_t c);
void exp_rows_free(exp_rows *r);
/* Read and check shard files into rows (the experiment's command in
 * r->origin.command); errors name the file and line. */
ss_status exp_rows_read(const char *const *paths, size_t npaths,
                        exp_rows **out);

/* A shard of an experiment whose slice has no result of its own (the
 * Bayesian ones: a posterior's chains, rlct's chunks or runs): the raw
 * replicate rows, stored as a `shard` (obj_shard) until merge. */
typedef struct {
    exp_origin origin;
    char what[32];           /* "posterior", "learning coefficient" */
    char unit[16];           /* "chains", "chunks", "runs" */
    double *rows;            /* nrows x ncols: replicates first.. */
    size_t nrows, ncols;
} exp_shard;

extern const obj_type obj_shard; /* exp_shard * */

/* Store rows (owned, nrows x ncols, the slice's replicates from its
 * first: fewer than the slice's count when interrupted) as NAME, printing
 * what the shard is. */
ss_status exp_shard_store(session *s, const char *name,
                          const exp_origin *o, const char *what,
                          const char *unit, double *rows, size_t nrows,
                          size_t ncols, const char *origin);
void exp_shard_free(exp_shard *sh);
/* The merged files' values a row (during the replay). */
size_t exp_merged_ncols(const session *s);
/* exp_merged_rows for a shard of raw rows (columns v1..vN). */
ss_status exp_merged_raw(session *s, const exp_origin *o, size_t ncols,
                         const double **rows);

#endif

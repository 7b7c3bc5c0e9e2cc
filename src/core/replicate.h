/* The replicate runner: N independent replicates on K threads.
 *
 * Each worker thread gets its own context from worker_alloc (a clone of the
 * model, its workspaces, a generator) and takes replicate indices in
 * increasing order from a shared counter. Replicate r writes row r of the
 * table and draws from its own random substream, so the table is the same
 * for any thread count. A failure stops the hand-out; workers finish what
 * they hold, and the error reported is that of the lowest failing index,
 * which is the one a single thread would have met first, so messages do not
 * depend on the thread count either.
 *
 * The runner is an iteration (core/iter.h): rep_start spawns the workers,
 * rep_iterate waits up to a tick for progress (on the calling thread, so
 * progress and Ctrl-C are handled there and never inside the numerics),
 * rep_test says when every replicate is done, rep_stop stops early. */
#ifndef SS_REPLICATE_H
#define SS_REPLICATE_H

#include "core/iter.h"
#include "core/status.h"

#include <stddef.h>

typedef struct {
    size_t nrep;   /* replicates */
    size_t ncols;  /* values each replicate writes */
    unsigned threads; /* 0: ss_threads_default() */
    /* Per-thread context; NULL fails the run with the recorded error. */
    void *(*worker_alloc)(void *ctx);
    void (*worker_free)(void *worker);
    /* Fill row[0..ncols-1] for replicate rep. */
    ss_status (*run)(void *worker, size_t rep, double *row);
    void *ctx;
    unsigned tick_ms; /* how long rep_iterate waits at most; 0: 20 ms */
} rep_spec;

typedef struct rep_job rep_job;

/* Threads to use by default (set by --threads; initially the online
 * cores) and the override. n = 0 restores the number of cores. */
unsigned ss_threads_default(void);
void ss_threads_set_default(unsigned n);
/* Upper bound accepted for --threads and threads=. */
#define SS_THREADS_MAX 256

ss_status rep_start(const rep_spec *spec, rep_job **out);
ss_status rep_iterate(rep_job *j);
int rep_test(const rep_job *j);
void rep_progress(const rep_job *j, size_t *done, size_t *total);
void rep_stop(rep_job *j);
/* Whether replicate r has finished, and its row (valid once it has; the
 * check orders the read after the worker's writes). */
int rep_row_done(rep_job *j, size_t r);
const double *rep_row(const rep_job *j, size_t r);
/* Joins the workers and frees the job; ownership of the rows passes to the
 * caller: rows (nrep x ncols, row-major) and done[] (1 for each finished
 * replicate). Returns SS_OK, or the error of the lowest failing replicate
 * (restored into the caller's error slot). */
ss_status rep_finish(rep_job *j, double **rows, unsigned char **done,
                     size_t *ndone);

/* Stop early, join and free the job, handing the rows and done[] (as
 * rep_finish gives them) to absorb before freeing them; absorb is not
 * called when the job failed. Returns what rep_finish returns. */
typedef void (*rep_absorb_fn)(void *ctx, const double *rows,
                              const unsigned char *done);
ss_status rep_drain(rep_job *j, rep_absorb_fn absorb, void *ctx);

/* Stop, join and free a job whose rows nobody wants (its iteration freed
 * before the end); its error, if any, is dropped. */
void rep_abandon(rep_job *j);
/* The rows finished in order after the first ndone, copied into dst (row r
 * at dst + r * ncols), from the running job (rows NULL) or from the rows
 * and done[] rep_drain hands over; returns the new count (<= nrep). How an
 * experiment keeps exactly the run of finished replicates from the first. */
size_t rep_absorb_prefix(rep_job *j, const double *rows,
                         const unsigned char *done, double *dst, size_t ncols,
                         size_t ndone, size_t nrep);

/* Stop, join and free the job, handing over its rows and the count of
 * replicates finished in order from the first (*n); interrupted (the
 * caller's Ctrl-C) makes an interruption no error, and then n = 0 fails
 * with "interrupted before the first WHAT finished: nothing was stored".
 * How an iteration's take keeps exactly the finished prefix. */
ss_status rep_take_prefix(rep_job *j, int interrupted, const char *what,
                          double **rows, size_t *n);

/* The runner as an iteration (the state is the rep_job). */
extern const ss_iter_type rep_iter_type;

/* Convenience: start, drive to the end (Ctrl-C stops it, keeping finished
 * replicates), finish. With tick != NULL it is called after each wait. */
ss_status rep_run(const rep_spec *spec, ss_iter_tick_fn tick, void *ctx,
                  double **rows, unsigned char **done, size_t *ndone);

#endif

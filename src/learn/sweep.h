/* A grid of mini-batch sgd runs (learn/train.h with epochs=): every batch
 * size against every learning rate from the same start on the same data,
 * each run summarised by Liao et al.'s running means (C_K, L_K) after its
 * last step and its final losses. Run r (batch index r / nlr, rate r mod
 * nlr) shuffles from stream (seed, SS_STREAM_LIAO_SWEEP, r); the runs go
 * to the replicate runner and the table keeps the run of finished runs
 * from the first, so it is the same on any number of threads. */
#ifndef SS_LEARN_SWEEP_H
#define SS_LEARN_SWEEP_H

#include "core/iter.h"
#include "model/model.h"

#include <gsl/gsl_matrix.h>
#include <stdint.h>

/* The columns of a run's row. */
enum {
    SW_BATCH, SW_LR, SW_STEPS, SW_CBAR, SW_LBAR, SW_TRAIN, SW_TEST, SW_GEN,
    SW_DIVERGED, SW_NCOLS
};
#define SWEEP_RUNS_MAX 10000u

typedef struct {
    const gsl_matrix *data, *test; /* test: NULL for none */
    const model *teacher;          /* NULL: none */
    const uint64_t *batches;
    size_t nbatch;
    const double *lrs;
    size_t nlr;
    uint64_t epochs, seed;
    unsigned threads;              /* 0: the default */
} sweep_spec;

typedef struct {
    char student[64], data[64], test[64], teacher[64];
    char kind[MODEL_NAME_MAX];
    size_t nbatch, nlr, nrun, ndone;
    uint64_t *batches;
    double *lrs;
    uint64_t epochs, seed;
    size_t n;                      /* rows of the data */
    double *rows;                  /* nrun x SW_NCOLS (NaN past ndone) */
    int interrupted;
    double crit_lr, gn_lmax;       /* at the start (NaN: see crit_note) */
    size_t P;
    double *theta0;                /* the start point (P values) */
    char crit_note[192];
} learn_sweep;

void learn_sweep_free(learn_sweep *w);

typedef struct sweep_iter sweep_iter;
/* Check everything (each batch size and rate as train would), compute
 * the critical rate and start the runs. *bad_key: "batches", "lrs",
 * "data", "test", "epochs" or NULL. */
ss_status sweep_iter_alloc(const model *student, const sweep_spec *sp,
                           sweep_iter **out, const char **bad_key);
void sweep_iter_free(sweep_iter *it);
const learn_sweep *sweep_iter_result(const sweep_iter *it);
learn_sweep *sweep_iter_result_mut(sweep_iter *it);
/* Join the workers and hand the result over (none finished: an error). */
ss_status sweep_iter_take(sweep_iter *it, int interrupted,
                          learn_sweep **out);
extern const ss_iter_type sweep_iter_type; /* state: sweep_iter */

#endif

#include "core/replicate.h"

#include "core/interrupt.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static unsigned threads_override;

unsigned ss_threads_default(void)
{
    if (threads_override)
        return threads_override;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        return 1;
    return n > SS_THREADS_MAX ? SS_THREADS_MAX : (unsigned)n;
}

void ss_threads_set_default(unsigned n)
{
    threads_override = n > SS_THREADS_MAX ? SS_THREADS_MAX : n;
}

struct rep_job {
    rep_spec spec;
    double *rows;
    unsigned char *done;
    pthread_t *tid;
    unsigned nthreads, started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t next;      /* next index to hand out */
    size_t ndone;     /* finished replicates */
    unsigned running; /* workers not yet exited */
    int go;           /* work is handed out from the first rep_iterate on,
                         so a Ctrl-C pending at the start runs nothing */
    int stop;
    size_t fail_rep;  /* lowest failing index, nrep if none */
    ss_error fail_err;
    ss_status fail_st;
};

static void record_failure(rep_job *j, size_t rep, ss_status st)
{
    /* Caller holds the lock. Keep the lowest index: the one a sequential
     * run would have reported. */
    if (rep < j->fail_rep) {
        j->fail_rep = rep;
        j->fail_st = st;
        j->fail_err = *ss_last_error();
        if (j->fail_err.code == SS_OK)
            j->fail_err.code = st;
    }
    j->stop = 1;
}

static void *worker_main(void *arg)
{
    rep_job *j = arg;
    const rep_spec *sp = &j->spec;
    ss_clear_error();
    void *w = sp->worker_alloc ? sp->worker_alloc(sp->ctx) : sp->ctx;
    pthread_mutex_lock(&j->mu);
    if (sp->worker_alloc && !w) {
        /* A context that cannot be made fails the replicate it would have
         * taken first, so the report names a replicate like any other. */
        record_failure(j, j->next, ss_last_error()->code != SS_OK
                                       ? ss_last_error()->code
                                       : SS_ERR_NOMEM);
    }
    while (!j->go && !j->stop)
        pthread_cond_wait(&j->cv, &j->mu);
    while (w && !j->stop && j->next < sp->nrep) {
        size_t rep = j->next++;
        pthread_mutex_unlock(&j->mu);
        ss_clear_error();
        ss_status st = sp->run(w, rep, j->rows + rep * sp->ncols);
        pthread_mutex_lock(&j->mu);
        if (st == SS_OK) {
            j->done[rep] = 1;
            j->ndone++;
        } else {
            record_failure(j, rep, st);
        }
        pthread_cond_broadcast(&j->cv);
    }
    j->running--;
    pthread_cond_broadcast(&j->cv);
    pthread_mutex_unlock(&j->mu);
    if (sp->worker_alloc && w && sp->worker_free)
        sp->worker_free(w);
    return NULL;
}

ss_status rep_start(const rep_spec *spec, rep_job **out)
{
    *out = NULL;
    if (spec->ncols && spec->nrep > ((size_t)-1) / sizeof(double) / spec->ncols)
        return SS_FAIL(SS_ERR_LIMIT, "too many replicates");
    rep_job *j = calloc(1, sizeof *j);
    if (!j)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    j->spec = *spec;
    j->nthreads = spec->threads ? spec->threads : ss_threads_default();
    if (j->nthreads > SS_THREADS_MAX)
        j->nthreads = SS_THREADS_MAX;
    if (spec->nrep && j->nthreads > spec->nrep)
        j->nthreads = (unsigned)spec->nrep;
    if (j->nthreads == 0)
        j->nthreads = 1;
    j->fail_rep = spec->nrep;
    j->rows = calloc(spec->nrep * spec->ncols + 1, sizeof *j->rows);
    j->done = calloc(spec->nrep + 1, 1);
    j->tid = calloc(j->nthreads, sizeof *j->tid);
    if (!j->rows || !j->done || !j->tid) {
        free(j->rows);
        free(j->done);
        free(j->tid);
        free(j);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory for %zu replicates",
                       spec->nrep);
    }
    pthread_mutex_init(&j->mu, NULL);
    pthread_cond_init(&j->cv, NULL);
    pthread_mutex_lock(&j->mu);
    for (unsigned t = 0; t < j->nthreads; t++) {
        if (pthread_create(&j->tid[t], NULL, worker_main, j) != 0)
            break;
        j->started++;
        j->running++;
    }
    int none = j->started == 0;
    pthread_mutex_unlock(&j->mu);
    if (none) {
        pthread_mutex_destroy(&j->mu);
        pthread_cond_destroy(&j->cv);
        free(j->rows);
        free(j->done);
        free(j->tid);
        free(j);
        return SS_FAIL(SS_ERR_NOMEM, "could not start a worker thread");
    }
    *out = j;
    return SS_OK;
}

static int finished_locked(const rep_job *j)
{
    return j->running == 0 ||
           (!j->stop && j->ndone == j->spec.nrep);
}

ss_status rep_iterate(rep_job *j)
{
    unsigned ms = j->spec.tick_ms ? j->spec.tick_ms : 20;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += (long)ms * 1000000L;
    until.tv_sec += until.tv_nsec / 1000000000L;
    until.tv_nsec %= 1000000000L;
    pthread_mutex_lock(&j->mu);
    if (!j->go) {
        j->go = 1;
        pthread_cond_broadcast(&j->cv);
    }
    size_t before = j->ndone;
    while (!finished_locked(j) && j->ndone == before && !j->stop) {
        if (pthread_cond_timedwait(&j->cv, &j->mu, &until) == ETIMEDOUT)
            break;
    }
    pthread_mutex_unlock(&j->mu);
    return SS_OK;
}

int rep_test(const rep_job *j)
{
    rep_job *mj = (rep_job *)j; /* the lock is not part of the value */
    pthread_mutex_lock(&mj->mu);
    int done = finished_locked(j) || j->stop;
    pthread_mutex_unlock(&mj->mu);
    return done;
}

void rep_progress(const rep_job *j, size_t *done, size_t *total)
{
    rep_job *mj = (rep_job *)j;
    pthread_mutex_lock(&mj->mu);
    *done = j->ndone;
    pthread_mutex_unlock(&mj->mu);
    *total = j->spec.nrep;
}

int rep_row_done(rep_job *j, size_t r)
{
    pthread_mutex_lock(&j->mu);
    int d = r < j->spec.nrep && j->done[r];
    pthread_mutex_unlock(&j->mu);
    return d;
}

const double *rep_row(const rep_job *j, size_t r)
{
    return j->rows + r * j->spec.ncols;
}

void rep_stop(rep_job *j)
{
    pthread_mutex_lock(&j->mu);
    j->stop = 1;
    pthread_cond_broadcast(&j->cv); /* wakes workers waiting for go */
    pthread_mutex_unlock(&j->mu);
}

ss_status rep_finish(rep_job *j, double **rows, unsigned char **done,
                     size_t *ndone)
{
    if (!j->go)
        rep_stop(j); /* finished before any work was handed out */
    for (unsigned t = 0; t < j->started; t++)
        pthread_join(j->tid[t], NULL);
    ss_status st = SS_OK;
    if (j->fail_rep < j->spec.nrep) {
        /* Rows past the failing index exist only on some thread counts. */
        for (size_t r = j->fail_rep; r < j->spec.nrep; r++)
            if (j->done[r]) {
                j->done[r] = 0;
                j->ndone--;
            }
        ss_error_restore(&j->fail_err);
        st = j->fail_st;
    }
    if (rows)
        *rows = j->rows;
    else
        free(j->rows);
    if (done)
        *done = j->done;
    else
        free(j->done);
    if (ndone)
        *ndone = j->ndone;
    pthread_mutex_destroy(&j->mu);
    pthread_cond_destroy(&j->cv);
    free(j->tid);
    free(j);
    return st;
}

ss_status rep_take_prefix(rep_job *j, int interrupted, const char *what,
                          double **rows, size_t *n)
{
    unsigned char *done = NULL;
    size_t nrep = j->spec.nrep, c = 0;
    *rows = NULL;
    *n = 0;
    rep_stop(j);
    ss_status st = rep_finish(j, rows, &done, NULL);
    if (st == SS_ERR_INTERRUPTED && interrupted) {
        ss_clear_error();
        st = SS_OK;
    }
    while (st == SS_OK && done && c < nrep && done[c])
        c++;
    free(done);
    if (st == SS_OK && c == 0)
        st = SS_FAIL(SS_ERR_INTERRUPTED,
                     "interrupted before the first %s finished: nothing was "
                     "stored",
                     what);
    if (st != SS_OK) {
        free(*rows);
        *rows = NULL;
        return st;
    }
    *n = c;
    return SS_OK;
}

static ss_status it_iterate(void *s) { return rep_iterate(s); }
static int it_test(const void *s) { return rep_test(s); }
static void it_progress(const void *s, size_t *d, size_t *t)
{
    rep_progress(s, d, t);
}
static void it_stop(void *s) { rep_stop(s); }

const ss_iter_type rep_iter_type = {"replicates", it_iterate, it_test,
                                    it_progress, it_stop};

ss_status rep_run(const rep_spec *spec, ss_iter_tick_fn tick, void *ctx,
                  double **rows, unsigned char **done, size_t *ndone)
{
    rep_job *j;
    ss_status st = rep_start(spec, &j);
    if (st != SS_OK)
        return st;
    ss_iter it = {&rep_iter_type, j};
    ss_status dst = ss_iter_drive(&it, tick, ctx);
    ss_error interrupted_err = *ss_last_error();
    st = rep_finish(j, rows, done, ndone);
    if (st == SS_OK && dst != SS_OK) {
        ss_error_restore(&interrupted_err);
        st = dst;
    }
    return st;
}

ss_status rep_drain(rep_job *j, rep_absorb_fn absorb, void *ctx)
{
    rep_stop(j);
    double *rows = NULL;
    unsigned char *done = NULL;
    ss_status st = rep_finish(j, &rows, &done, NULL);
    if (st == SS_OK)
        absorb(ctx, rows, done);
    free(rows);
    free(done);
    return st;
}

void rep_abandon(rep_job *j)
{
    if (!j)
        return;
    rep_stop(j);
    double *rows = NULL;
    unsigned char *done = NULL;
    rep_finish(j, &rows, &done, NULL);
    free(rows);
    free(done);
    ss_clear_error(); /* nobody asks for its error any more */
}

size_t rep_absorb_prefix(rep_job *j, const double *rows,
                         const unsigned char *done, double *dst, size_t ncols,
                         size_t ndone, size_t nrep)
{
    while (ndone < nrep &&
           (done ? done[ndone] != 0 : rep_row_done(j, ndone))) {
        const double *r = rows ? rows + ndone * ncols : rep_row(j, ndone);
        memcpy(dst + ndone * ncols, r, ncols * sizeof *r);
        ndone++;
    }
    return ndone;
}

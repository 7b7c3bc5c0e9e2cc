/* The thread-safe core: random streams (core/rng), the thread-local error
 * slot and the replicate runner (core/replicate). The runner's contract is
 * checked against a plain sequential loop over the same replicates: the
 * rows, and the error of a failing run, must be the same on 1 and on 4
 * threads. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/interrupt.h"
#include "core/replicate.h"
#include "core/rng.h"
#include "core/status.h"

#include <gsl/gsl_randist.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- random streams ------------------------------------------------------ */

static int g_fast; /* which generator the stream tests use */

static gsl_rng *alloc_gen(void)
{
    return g_fast ? ss_rng_alloc_fast() : ss_rng_alloc();
}

static unsigned long first_draw(uint64_t seed, uint64_t stream, uint64_t sub)
{
    gsl_rng *r = alloc_gen();
    assert_non_null(r);
    ss_rng_seed(r, seed, stream, sub);
    unsigned long v = gsl_rng_get(r);
    ss_rng_free(r);
    return v;
}

static void seeds_use_64_bits(void)
{
    /* gsl_rng_set maps 0 to 4357 and keeps only 32 bits of the seed. */
    assert_true(first_draw(0, SS_STREAM_SAMPLE, 0) !=
                first_draw(4357, SS_STREAM_SAMPLE, 0));
    assert_true(first_draw(1, SS_STREAM_SAMPLE, 0) !=
                first_draw(4294967297ULL, SS_STREAM_SAMPLE, 0));
    assert_true(first_draw(UINT64_MAX, SS_STREAM_SAMPLE, 0) !=
                first_draw(UINT64_MAX - 1, SS_STREAM_SAMPLE, 0));
    /* Streams and substreams are distinct, and the key is ordered. */
    assert_true(first_draw(7, SS_STREAM_SAMPLE, 0) !=
                first_draw(7, SS_STREAM_MC, 0));
    assert_true(first_draw(7, SS_STREAM_MC, 0) !=
                first_draw(7, SS_STREAM_MC, 1));
    assert_true(first_draw(1, 2, 3) != first_draw(2, 1, 3));
    /* The same key gives the same sequence. */
    assert_int_equal(first_draw(42, 3, 9), first_draw(42, 3, 9));
}

static void stream_is_uniform(void)
{
    /* Mean and variance of U(0,1) draws: 1/2 and 1/12, checked to 5
     * standard errors (var of U is 1/12, of U^2 is 4/45); and the lag-1
     * correlation of successive draws, 0 to 5 standard errors (1/sqrt n),
     * for several keys, so a seeding that left the first outputs related
     * to the key would show. */
    const int n = 200000;
    for (uint64_t seed = 0; seed < 4; seed++) {
        gsl_rng *r = alloc_gen();
        ss_rng_seed(r, seed, SS_STREAM_TEST, 0);
        double s = 0, s2 = 0, sl = 0, prev = 0.5;
        for (int i = 0; i < n; i++) {
            double u = gsl_rng_uniform(r);
            s += u;
            s2 += u * u;
            sl += (u - 0.5) * (prev - 0.5);
            prev = u;
        }
        ss_rng_free(r);
        assert_true(fabs(s / n - 0.5) < 5 * sqrt(1.0 / 12 / n));
        assert_true(fabs(s2 / n - 1.0 / 3) < 5 * sqrt(4.0 / 45 / n));
        assert_true(fabs(sl / n * 12) < 5 / sqrt((double)n));
    }
}

static void test_seeds_use_64_bits(void **state)
{
    (void)state;
    g_fast = 0;
    seeds_use_64_bits();
    g_fast = 1;
    seeds_use_64_bits();
    g_fast = 0;
}

static void test_stream_is_uniform(void **state)
{
    (void)state;
    g_fast = 0;
    stream_is_uniform();
    g_fast = 1;
    stream_is_uniform();
    g_fast = 0;
}

/* The first draws of many consecutive seeds of the fast stream: their
 * mean is 1/2 to 5 standard errors (a seeding that kept bits of the
 * seed, as an unmixed state would, fails this). */
static void test_fast_first_draws(void **state)
{
    (void)state;
    const int n = 20000;
    double s = 0;
    gsl_rng *r = ss_rng_alloc_fast();
    for (int i = 0; i < n; i++) {
        ss_rng_seed(r, (uint64_t)i, SS_STREAM_TRAIN, 0);
        s += gsl_rng_uniform(r);
    }
    ss_rng_free(r);
    assert_true(fabs(s / n - 0.5) < 5 * sqrt(1.0 / 12 / n));
}

/* ---- thread-local error slot --------------------------------------------- */

static void *fail_repeatedly(void *arg)
{
    long id = (long)(intptr_t)arg;
    for (int round = 0; round < 2000; round++) {
        SS_FAIL(SS_ERR_RANGE, "thread %ld round %d", id, round);
        char want[64];
        snprintf(want, sizeof want, "thread %ld round %d", id, round);
        if (strcmp(ss_last_error()->msg, want) != 0)
            return (void *)1;
    }
    return NULL;
}

static void test_error_slot_is_per_thread(void **state)
{
    (void)state;
    pthread_t t[4];
    for (long i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, fail_repeatedly,
                                        (void *)(intptr_t)i),
                         0);
    for (int i = 0; i < 4; i++) {
        void *res;
        pthread_join(t[i], &res);
        assert_null(res);
    }
}

/* ---- replicate runner ----------------------------------------------------- */

typedef struct {
    uint64_t seed;
    size_t fail_at[2]; /* replicates that fail (SIZE_MAX: none) */
    int interrupt_at;  /* raise Ctrl-C when this replicate starts (-1) */
} job_ctx;

typedef struct {
    const job_ctx *c;
    gsl_rng *r;
} worker;

static void *w_alloc(void *ctx)
{
    worker *w = malloc(sizeof *w);
    if (!w)
        return NULL;
    w->c = ctx;
    w->r = ss_rng_alloc();
    return w;
}

static void w_free(void *p)
{
    worker *w = p;
    ss_rng_free(w->r);
    free(w);
}

/* Row r: mean and variance of 2000 normal draws of substream r. */
static ss_status row_of(gsl_rng *r, uint64_t seed, size_t rep, double *row)
{
    ss_rng_seed(r, seed, SS_STREAM_REPLICATE, rep);
    double s = 0, s2 = 0;
    for (int i = 0; i < 2000; i++) {
        double x = gsl_ran_gaussian_ziggurat(r, 1.0);
        s += x;
        s2 += x * x;
    }
    row[0] = s / 2000;
    row[1] = s2 / 2000 - row[0] * row[0];
    return SS_OK;
}

static ss_status w_run(void *p, size_t rep, double *row)
{
    worker *w = p;
    if (w->c->interrupt_at >= 0 && rep == (size_t)w->c->interrupt_at)
        ss_interrupt_raise();
    if (rep == w->c->fail_at[0] || rep == w->c->fail_at[1])
        return SS_FAIL(SS_ERR_NUMERIC, "replicate %zu did not converge",
                       rep);
    return row_of(w->r, w->c->seed, rep, row);
}

static ss_status run_on(unsigned threads, const job_ctx *c, size_t nrep,
                        double **rows, unsigned char **done, size_t *ndone)
{
    rep_spec sp = {.nrep = nrep, .ncols = 2, .threads = threads,
                   .worker_alloc = w_alloc, .worker_free = w_free,
                   .run = w_run, .ctx = (void *)c, .tick_ms = 2};
    return rep_run(&sp, NULL, NULL, rows, done, ndone);
}

static void test_rows_identical_on_any_thread_count(void **state)
{
    (void)state;
    job_ctx c = {.seed = 20261207, .fail_at = {SIZE_MAX, SIZE_MAX},
                 .interrupt_at = -1};
    const size_t n = 300;
    double *r1, *r4;
    unsigned char *d1, *d4;
    size_t n1, n4;
    assert_int_equal(run_on(1, &c, n, &r1, &d1, &n1), SS_OK);
    assert_int_equal(run_on(4, &c, n, &r4, &d4, &n4), SS_OK);
    assert_int_equal(n1, n);
    assert_int_equal(n4, n);
    assert_memory_equal(r1, r4, n * 2 * sizeof *r1);
    /* ... and the same as a sequential loop over the substreams. */
    gsl_rng *g = ss_rng_alloc();
    double mean = 0;
    for (size_t i = 0; i < n; i++) {
        double row[2];
        row_of(g, c.seed, i, row);
        assert_memory_equal(row, r4 + 2 * i, sizeof row);
        mean += row[0] / (double)n;
    }
    ss_rng_free(g);
    /* The replicate means are N(0, 1/2000): their average over 300 is
     * within 5 standard errors of 0. */
    assert_true(fabs(mean) < 5 * sqrt(1.0 / 2000 / (double)n));
    free(r1);
    free(r4);
    free(d1);
    free(d4);
}

static void test_error_is_the_lowest_failing_replicate(void **state)
{
    (void)state;
    job_ctx c = {.seed = 3, .fail_at = {137, 61}, .interrupt_at = -1};
    char msg[2][1024];
    size_t ndone[2];
    unsigned th[2] = {1, 4};
    for (int k = 0; k < 2; k++) {
        double *rows;
        unsigned char *done;
        ss_clear_error();
        assert_int_equal(run_on(th[k], &c, 200, &rows, &done, &ndone[k]),
                         SS_ERR_NUMERIC);
        snprintf(msg[k], sizeof msg[k], "%s", ss_last_error()->msg);
        /* Everything before the failure finished, nothing after counts. */
        for (size_t i = 0; i < 200; i++)
            assert_int_equal(done[i], i < 61);
        free(rows);
        free(done);
    }
    assert_string_equal(msg[0], "replicate 61 did not converge");
    assert_string_equal(msg[0], msg[1]);
    assert_int_equal(ndone[0], 61);
    assert_int_equal(ndone[1], 61);
}

static void test_interrupt_keeps_finished_rows(void **state)
{
    (void)state;
    job_ctx c = {.seed = 11, .fail_at = {SIZE_MAX, SIZE_MAX},
                 .interrupt_at = 40};
    double *rows;
    unsigned char *done;
    size_t nd;
    ss_interrupt_clear();
    ss_status st = run_on(2, &c, 100000, &rows, &done, &nd);
    ss_interrupt_clear();
    assert_int_equal(st, SS_ERR_INTERRUPTED);
    assert_true(nd >= 1 && nd < 100000);
    gsl_rng *g = ss_rng_alloc();
    size_t seen = 0;
    for (size_t i = 0; i < 100000; i++) {
        if (!done[i])
            continue;
        double row[2];
        row_of(g, c.seed, i, row);
        assert_memory_equal(row, rows + 2 * i, sizeof row);
        seen++;
    }
    assert_int_equal(seen, nd);
    ss_rng_free(g);
    free(rows);
    free(done);
}

static void test_threads_default(void **state)
{
    (void)state;
    assert_true(ss_threads_default() >= 1);
    ss_threads_set_default(3);
    assert_int_equal(ss_threads_default(), 3);
    ss_threads_set_default(0);
    assert_true(ss_threads_default() >= 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seeds_use_64_bits),
        cmocka_unit_test(test_stream_is_uniform),
        cmocka_unit_test(test_fast_first_draws),
        cmocka_unit_test(test_error_slot_is_per_thread),
        cmocka_unit_test(test_rows_identical_on_any_thread_count),
        cmocka_unit_test(test_error_is_the_lowest_failing_replicate),
        cmocka_unit_test(test_interrupt_keeps_finished_rows),
        cmocka_unit_test(test_threads_default),
    };
    return cmocka_run_group_tests_name("core", tests, NULL, NULL);
}

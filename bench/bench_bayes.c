/* bench_bayes: random-walk Metropolis on gmm (v, w1, w2 free, n = 1000),
 * one chain on one thread, process CPU time: steps per second (each step a
 * full likelihood over the n observations), with WAIC's and LOO's
 * per-observation sums as `posterior` keeps them (on accepted steps) and
 * without them (a temperature of `freeenergy`, which keeps no sums), and
 * the likelihood alone (loglik_terms) for comparison. The target:
 * >= 10^5 steps per second per core. Then the volume-scaling rlct of
 * Hartigan's mixture (v, w2 uniform, truth N(0, 1)) with 10^8 prior draws
 * on 2 threads, wall-clock time (the target: < 10 s on 2 cores);
 * `--draws N` for a shorter run. */
#include "bayes/posterior.h"
#include "bayes/rlct.h"
#include "core/rng.h"
#include "model/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double wall(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void fail(const char *what)
{
    fprintf(stderr, "bench_bayes: %s: %s\n", what, ss_last_error()->msg);
    exit(1);
}

int main(int argc, char **argv)
{
    double draws = 1e8;
    if (argc == 3 && !strcmp(argv[1], "--draws"))
        draws = atof(argv[2]);
    const size_t n = 1000, S = 20000, B = 2000;
    double v = 0.3, w1 = -1, w2 = 1;
    model_arg g[] = {{"v", NULL, &v, 1, 0, 0, NULL, 0, 0},
                     {"w1", NULL, &w1, 1, 0, 0, NULL, 0, 0},
                     {"w2", NULL, &w2, 1, 0, 0, NULL, 0, 0}};
    model *m = NULL;
    if (model_alloc(model_type_find("gmm"), g, 3, &m) != SS_OK)
        fail("gmm");
    if (model_set_prior(m, 0, 1, 0, 1) != SS_OK ||   /* uniform(0, 1) */
        model_set_prior(m, 1, 1, -4, 4) != SS_OK ||
        model_set_prior(m, 2, 1, -4, 4) != SS_OK)
        fail("prior");
    gsl_matrix *X = gsl_matrix_alloc(n, 1);
    gsl_rng *r = ss_rng_alloc();
    ss_rng_seed(r, 1, SS_STREAM_TEST, 0);
    m->type->sample(m, m->theta, r, X);
    /* the likelihood alone */
    double *ell = malloc(n * sizeof *ell);
    size_t reps = 20000;
    double t0 = now();
    for (size_t i = 0; i < reps; i++) {
        m->theta[1] = -1 + 1e-6 * (double)(i & 7);
        if (m->type->loglik_terms(m, m->theta, X, ell, NULL) != SS_OK)
            fail("loglik");
    }
    double tl = now() - t0;
    m->theta[1] = -1;
    printf("gmm n=%zu loglik_terms: %.0f evaluations/s (%.1f ns per term)\n",
           n, (double)reps / tl, 1e9 * tl / ((double)reps * (double)n));
    /* posterior (with the sums) */
    post_spec sp = {.beta = 1, .samples = S, .chains = 1, .burnin = B,
                    .sampler = POST_RWM, .seed = 1, .threads = 1};
    post_iter *it = NULL;
    t0 = now();
    if (post_iter_alloc(m, X, &sp, &it) != SS_OK)
        fail("posterior");
    while (!post_iter_test(it))
        if (post_iter_iterate(it) != SS_OK)
            fail("posterior");
    post_result *res = NULL;
    if (post_iter_take(it, 0, &res) != SS_OK)
        fail("posterior");
    double tp = now() - t0;
    printf("gmm n=%zu RWM with WAIC/LOO sums: %.0f steps/s (acceptance "
           "%.2f)\n",
           n, (double)(S + B) / tp, res->accept[0]);
    post_result_free(res);
    post_iter_free(it);
    /* one temperature of a ladder (no sums) */
    double beta = 1;
    t0 = now();
    if (post_rungs_alloc(m, X, &sp, &beta, 1, &it) != SS_OK)
        fail("rungs");
    while (!post_iter_test(it))
        if (post_iter_iterate(it) != SS_OK)
            fail("rungs");
    post_rung rung;
    if (post_rungs_take(it, &rung) != SS_OK)
        fail("rungs");
    double tr = now() - t0;
    printf("gmm n=%zu RWM without sums: %.0f steps/s (acceptance %.2f)\n", n,
           (double)(S + B) / tr, rung.accept_min);
    post_iter_free(it);
    /* rlct method=volume: Hartigan's mixture at its singular truth */
    double v0 = 0, z0 = 0;
    model_arg ta[] = {{"v", NULL, &v0, 1, 0, 0, NULL, 0, 0},
                      {"w1", NULL, &z0, 1, 0, 0, NULL, 0, 0},
                      {"w2", NULL, &z0, 1, 0, 0, NULL, 0, 0}};
    model *tm = NULL, *hm = NULL;
    if (model_alloc(model_type_find("gmm"), ta, 3, &tm) != SS_OK ||
        model_alloc(model_type_find("gmm"), ta, 3, &hm) != SS_OK)
        fail("gmm");
    hm->is_free[1] = 0; /* w1 held at 0 */
    if (model_set_prior(hm, 0, 1, 0, 1) != SS_OK ||
        model_set_prior(hm, 2, 1, -1, 1) != SS_OK)
        fail("prior");
    rlct_spec rs = {.draws = (size_t)draws, .seed = 1, .threads = 2,
                    .qmax = RLCT_QMAX_DEFAULT, .qmin = RLCT_QMIN_DEFAULT};
    rlct_result *rr = NULL;
    t0 = wall();
    if (rlct_run(hm, tm, &rs, &rr) != SS_OK)
        fail("rlct");
    double tv = wall() - t0;
    printf("gmm rlct method=volume draws=%.0f threads=2: %.2f s wall "
           "(lambda %.3f +- %.3f, route %s)\n",
           draws, tv, rr->lambda, rr->se, rlct_route_name(rr->route));
    rlct_result_free(rr);
    model_free(tm);
    model_free(hm);
    free(ell);
    ss_rng_free(r);
    gsl_matrix_free(X);
    model_free(m);
    return 0;
}

/* bench_llr: the llr experiment of issue 9 (Hartigan's mixture at its
 * singular truth): truth and null N(0, 1) (nothing free), alt
 * (1 - v) N(0, 1) + v N(w2, 1) with v and w2 in [-1, 1] free, 1000
 * replicates of n = 1000, wall-clock time on 1 and 2 threads (the limit
 * law's 20000 draws included, as the command runs it), with the count of
 * alternative fits that did not converge; and the CPU time of one fit of
 * the alternative on one such data set by the profile route (method=auto)
 * and by EM (method=em, 4 starts as llr used before the profile route). */
#include "core/iter.h"
#include "core/rng.h"
#include "infer/fit.h"
#include "infer/llr.h"
#include "model/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(clockid_t c)
{
    struct timespec t;
    clock_gettime(c, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static model *make(double v, double w2)
{
    double w1 = 0;
    model_arg a[] = {{"v", NULL, &v, 1, 0, 0, NULL, 0, 0},
                     {"w1", NULL, &w1, 1, 0, 0, NULL, 0, 0},
                     {"w2", NULL, &w2, 1, 0, 0, NULL, 0, 0}};
    model *m = NULL;
    if (model_alloc(model_type_find("gmm"), a, 3, &m) != SS_OK) {
        fprintf(stderr, "bench_llr: %s\n", ss_last_error()->msg);
        exit(1);
    }
    return m;
}

static void die(void)
{
    fprintf(stderr, "bench_llr: %s\n", ss_last_error()->msg);
    exit(1);
}

static void fit_time(const char *what, const model *m, const gsl_matrix *X,
                     const char *method, size_t starts)
{
    fit_spec sp = {.method = method, .starts = starts, .seed = 1};
    double best = 1e300, ll = 0;
    size_t it = 0;
    int conv = 0;
    for (int rep = 0; rep < 20; rep++) {
        fit_result *f = NULL;
        double t0 = now(CLOCK_PROCESS_CPUTIME_ID);
        if (fit_run(m, X, &sp, &f) != SS_OK)
            die();
        double t = now(CLOCK_PROCESS_CPUTIME_ID) - t0;
        best = t < best ? t : best;
        ll = f->loglik;
        it = f->iterations;
        conv = f->converged;
        fit_result_free(f);
    }
    printf("%-44s %.3f ms  (%zu iterations, %sconverged; loglik %.10g)\n",
           what, best * 1e3, it, conv ? "" : "NOT ", ll);
}

int main(void)
{
    model *m0 = make(0, 0), *m1 = make(0.5, 0.5);
    for (size_t i = 0; i < 3; i++)
        m0->is_free[i] = 0;
    m1->is_free[1] = 0;
    if (model_bound(m1, 2, -1, 1) != SS_OK)
        die();
    /* one fit */
    gsl_matrix *X = gsl_matrix_alloc(1000, 1);
    gsl_rng *r = ss_rng_alloc();
    ss_rng_seed(r, 5, SS_STREAM_LLR, 0);
    m0->type->sample(m0, m0->theta, r, X);
    fit_time("fit of alt, n=1000, profile (auto, 1 start)", m1, X, NULL, 1);
    fit_time("fit of alt, n=1000, em (4 starts)", m1, X, "em", 4);
    /* the experiment */
    for (unsigned th = 1; th <= 2; th++) {
        llr_spec sp = {.n = 1000, .reps = 1000, .seed = 5,
                       .sims = SIZE_MAX, .threads = th};
        double t0 = now(CLOCK_MONOTONIC);
        llr_iter *it = NULL;
        if (llr_iter_alloc(m0, m0, m1, &sp, &it) != SS_OK)
            die();
        ss_iter si = {&llr_iter_type, it};
        if (ss_iter_drive(&si, NULL, NULL) != SS_OK)
            die();
        llr_result *res = NULL;
        if (llr_iter_take(it, 0, &res) != SS_OK)
            die();
        llr_iter_free(it);
        double t = now(CLOCK_MONOTONIC) - t0;
        printf("llr Hartigan M=1, 1000 reps x n=1000, %u thread%s  %.3f s  "
               "(mean 2LLR %.4g; alt fits not converged: %zu)\n",
               th, th == 1 ? " " : "s", t, res->s.mean, res->nonconv1);
        llr_result_free(res);
    }
    gsl_matrix_free(X);
    ss_rng_free(r);
    model_free(m0);
    model_free(m1);
    return 0;
}

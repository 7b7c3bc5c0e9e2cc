/* bench_fit: time of one maximum-likelihood fit (infer/fit.c), best of a
 * few repeats, process CPU time: gmm K = 2 by EM (n = 1000, every
 * parameter free, the default starts) and ARMA(1,1) exact MLE (n = 1000,
 * the default starts), each including the observed information at the
 * estimate; also gmm K = 2 with the common SD free (s=free) on the same
 * sample. `--series FILE` also writes the ARMA series (CSV, column x)
 * for bench/fit_peer.py, which times R's arima and statsmodels on it;
 * `--gmm FILE` the gmm sample (column x) for bench/gmm_peer.py (R's
 * mclust and scikit-learn). `--gmm1` runs only the gmm K = 2 fit from
 * one start (for a profiler: valgrind --tool=callgrind). */
#include "core/rng.h"
#include "infer/fit.h"
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

static model *make(const char *kind, const model_arg *a, size_t na)
{
    model *m = NULL;
    if (model_alloc(model_type_find(kind), a, na, &m) != SS_OK) {
        fprintf(stderr, "bench_fit: %s: %s\n", kind, ss_last_error()->msg);
        exit(1);
    }
    return m;
}

/* Time the fit of m to data (NULL: n draws from m at its point, stream
 * (1, SS_STREAM_TEST, 0), written to `series` when that is not NULL). */
static void bench(const char *what, model *m, size_t n, size_t starts,
                  const char *series, const gsl_matrix *data)
{
    gsl_matrix *X = gsl_matrix_alloc(n, 1);
    gsl_rng *r = ss_rng_alloc();
    ss_rng_seed(r, 1, SS_STREAM_TEST, 0);
    if (data)
        gsl_matrix_memcpy(X, data);
    else
        m->type->sample(m, m->theta, r, X);
    if (series) {
        FILE *fp = fopen(series, "w");
        if (!fp) {
            perror(series);
            exit(1);
        }
        fprintf(fp, "x\n");
        for (size_t i = 0; i < n; i++)
            fprintf(fp, "%.17g\n", gsl_matrix_get(X, i, 0));
        fclose(fp);
    }
    fit_spec sp = {.starts = starts, .seed = 1};
    double best = 1e300;
    size_t it = 0;
    double ll = 0;
    for (int rep = 0; rep < 20; rep++) {
        fit_result *f = NULL;
        double t0 = now();
        if (fit_run(m, X, &sp, &f) != SS_OK) {
            fprintf(stderr, "bench_fit: %s\n", ss_last_error()->msg);
            exit(1);
        }
        double t = now() - t0;
        best = t < best ? t : best;
        it = f->iterations;
        ll = f->loglik;
        fit_result_free(f);
    }
    printf("%-34s n=%zu starts=%zu  %.3f ms  (best start: %zu iterations; "
           "loglik %.10g)\n",
           what, n, starts, best * 1e3, it, ll);
    gsl_matrix_free(X);
    ss_rng_free(r);
}

int main(int argc, char **argv)
{
    const char *series = NULL, *gdata = NULL;
    int gmm1 = 0;
    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && strcmp(argv[i], "--series") == 0)
            series = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "--gmm") == 0)
            gdata = argv[++i];
        else if (strcmp(argv[i], "--gmm1") == 0)
            gmm1 = 1;
        else {
            fprintf(stderr, "usage: bench_fit [--series FILE] [--gmm FILE] "
                            "[--gmm1]\n");
            return 2;
        }
    }
    double v = 0.3, w1 = -1, w2 = 1.5;
    model_arg g[] = {{"v", NULL, &v, 1, 0, 0, NULL, 0, 0},
                     {"w1", NULL, &w1, 1, 0, 0, NULL, 0, 0},
                     {"w2", NULL, &w2, 1, 0, 0, NULL, 0, 0}};
    model *mg = make("gmm", g, 3);
    if (gmm1) {
        bench("gmm K=2 EM fit", mg, 1000, 1, NULL, NULL);
        model_free(mg);
        return 0;
    }
    bench("gmm K=2 EM fit", mg, 1000, FIT_STARTS_DEFAULT, NULL, NULL);
    bench("gmm K=2 EM fit", mg, 1000, 1, gdata, NULL);
    /* the same sample, the common SD a parameter */
    gsl_matrix *X = gsl_matrix_alloc(1000, 1);
    gsl_rng *r = ss_rng_alloc();
    ss_rng_seed(r, 1, SS_STREAM_TEST, 0);
    mg->type->sample(mg, mg->theta, r, X);
    ss_rng_free(r);
    double sfree = 1;
    model_arg gf[] = {{"v", NULL, &v, 1, 0, 0, NULL, 0, 0},
                      {"w1", NULL, &w1, 1, 0, 0, NULL, 0, 0},
                      {"w2", NULL, &w2, 1, 0, 0, NULL, 0, 0},
                      {"s", "free", NULL, 0, 0, 0, NULL, 0, 0}};
    model *mgf = make("gmm", gf, 4);
    mgf->theta[3] = sfree;
    bench("gmm K=2 s=free EM fit", mgf, 1000, FIT_STARTS_DEFAULT, NULL, X);
    bench("gmm K=2 s=free EM fit", mgf, 1000, 1, NULL, X);
    double ar = 0.5, ma = 0.3;
    model_arg a[] = {{"ar", NULL, &ar, 1, 1, 0, NULL, 0, 0}, {"ma", NULL, &ma, 1, 1, 0, NULL, 0, 0}};
    model *ma11 = make("arma", a, 2);
    bench("ARMA(1,1) exact MLE (pacf, BFGS2)", ma11, 1000, FIT_STARTS_DEFAULT,
          NULL, NULL);
    bench("ARMA(1,1) exact MLE (pacf, BFGS2)", ma11, 1000, 1, series, NULL);
    model_free(mg);
    model_free(mgf);
    gsl_matrix_free(X);
    model_free(ma11);
    return 0;
}

/* bench_wide: one exact FIM spectrum of the wide network (L = 3
 * weight layers, M = 500, M0 = 500, C = 10, T = 100, relu, sw2 = 2: P =
 * 506 010 parameters, a 1000 x 1000 dual Gram) on one thread, the way
 * `spectrum n nets=1` computes it (ws_stats: the NTK Gram assembled layer
 * by layer from backpropagated deltas, then its eigenvalues), wall and
 * process CPU time; the target is < 3 s on one core. Also the
 * Gram alone, to split the time. `--reps R` repeats (the best is
 * printed). bench/wide_peer.py times the same spectrum in PyTorch. */
#include "config.h"

#include "core/blas.h"
#include "core/replicate.h"
#include "fim/wide_spectrum.h"
#include "model/dnn.h"
#include "model/model.h"

#include <gsl/gsl_matrix.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double cpu(void)
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
    fprintf(stderr, "bench_wide: %s: %s\n", what, ss_last_error()->msg);
    exit(1);
}

int main(int argc, char **argv)
{
    int reps = 3;
    if (argc == 3 && !strcmp(argv[1], "--reps"))
        reps = atoi(argv[2]);
    ss_blas_init();
    ss_threads_set_default(1);
    double L = 3, M = 500, in = 500, out = 10, sw2 = 2, sb2 = 0, T = 100,
           seed = 1;
    model_arg a[] = {{"layers", NULL, &L, 1, 0, 0, NULL, 0, 0},
                     {"width", NULL, &M, 1, 0, 0, NULL, 0, 0},
                     {"in", NULL, &in, 1, 0, 0, NULL, 0, 0},
                     {"out", NULL, &out, 1, 0, 0, NULL, 0, 0},
                     {"act", "relu", NULL, 0, 0, 0, NULL, 0, 0},
                     {"sw2", NULL, &sw2, 1, 0, 0, NULL, 0, 0},
                     {"sb2", NULL, &sb2, 1, 0, 0, NULL, 0, 0},
                     {"inputs", NULL, &T, 1, 0, 0, NULL, 0, 0},
                     {"seed", NULL, &seed, 1, 0, 0, NULL, 0, 0}};
    model *m = NULL;
    if (model_alloc(&model_dnn_type, a, sizeof a / sizeof *a, &m) != SS_OK)
        fail("dnn");
    size_t N = 1000;
    double stat[WS_NSTAT], *ev = malloc(N * sizeof *ev);
    if (!ev)
        return 1;
    double best_w = 1e30, best_c = 1e30, gram_w = 1e30;
    for (int r = 0; r < reps; r++) {
        double w0 = wall(), c0 = cpu();
        double scale = 0;
        gsl_matrix *G = NULL;
        if (m->type->fim_gram(m, m->theta, &G, &scale) != SS_OK)
            fail("gram");
        double w1 = wall();
        gsl_matrix_free(G);
        if (w1 - w0 < gram_w)
            gram_w = w1 - w0;
        w0 = wall();
        c0 = cpu();
        if (ws_stats(m, m->theta, stat, ev) != SS_OK)
            fail("spectrum");
        double w = wall() - w0, c = cpu() - c0;
        if (w < best_w)
            best_w = w;
        if (c < best_c)
            best_c = c;
    }
    printf("dnn L=3 M=500 M0=500 C=10 T=100 relu: P = %zu, dual %zu x %zu "
           "(BLAS: %s)\n",
           m->P, N, N, ss_blas_name());
    printf("one exact spectrum (Gram + eigenvalues), 1 thread: %.3f s wall, "
           "%.3f s CPU (best of %d; target < 3 s)\n",
           best_w, best_c, reps);
    printf("  of which the Gram J J^T / T: %.3f s\n", gram_w);
    printf("  m_lambda %.6g, lambda_max %.6g, top-C mean %.6g\n",
           stat[WS_M_LAMBDA], stat[WS_LAMBDA_MAX], stat[WS_TOP_C_MEAN]);
    free(ev);
    model_free(m);
    return 0;
}

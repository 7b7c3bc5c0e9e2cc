/* Per-call cost of the families' hot paths on one core:
 *   - the exact FIM hook with no root factor (what `map` and a printed G
 *     need): mlp2 erf d = 1 and d = 2 (closed form), ARMA(1,1) (closed
 *     form), gmm at points from generic to nearly singular (quadrature);
 *   - gmm draws and scores per draw (with the log-likelihood terms and
 *     without, as the Monte-Carlo FIM calls it), and
 *     `fim method=mc n=10^6`;
 *   - one exact FIM plus eigen-analysis through the platform (root SVD).
 * Each figure is the minimum over BENCH_REPS timed batches (the machine is
 * shared: the minimum is the least disturbed run), in microseconds per
 * call. With `--tsv FILE` the figures are also written as `key<TAB>us`
 * lines, which bench/numpy_peer.py reads to print ratios against numpy;
 * `--mc` runs only the gmm draw, score and Monte-Carlo FIM rows (the
 * Monte-Carlo FIM on 1 and on 2 threads).
 * Run with `make bench`; figures go into README.md by hand. */
#include "fim/fim.h"
#include "fim/spectrum.h"
#include "model/model.h"

#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BENCH_REPS 9
#define BENCH_BATCH_S 0.01 /* each timed batch lasts about this long */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static FILE *tsv;

static void report(const char *key, const char *label, double us)
{
    if (us >= 1000.0)
        printf("%-44s %12.2f ms\n", label, us * 1e-3);
    else
        printf("%-44s %12.3f us\n", label, us);
    if (tsv)
        fprintf(tsv, "%s\t%.6g\n", key, us);
}

typedef struct {
    const model *m;
    gsl_matrix *G;
} hook_ctx;

static int call_hook(hook_ctx *c)
{
    return c->m->type->fim_exact(c->m, c->m->theta, c->G, NULL) == SS_OK;
}

/* Minimum over BENCH_REPS batches of the time per call, in us. */
static double time_hook(hook_ctx *c)
{
    size_t k = 1;
    for (;;) { /* calibrate the batch length */
        double t0 = now();
        for (size_t i = 0; i < k; i++)
            call_hook(c);
        if (now() - t0 >= BENCH_BATCH_S || k > ((size_t)1 << 30))
            break;
        k *= 2;
    }
    double best = INFINITY;
    for (int r = 0; r < BENCH_REPS; r++) {
        double t0 = now();
        for (size_t i = 0; i < k; i++)
            call_hook(c);
        double t = (now() - t0) / (double)k;
        if (t < best)
            best = t;
    }
    return 1e6 * best;
}

static model *make(const char *family, const char *assign)
{
    const model_type *t = model_type_find(family);
    model_testpoint tp = {.label = "bench", .args = assign};
    model *m = NULL;
    if (!t || model_alloc_testpoint(t, &tp, &m) != SS_OK) {
        fprintf(stderr, "bench: %s %s: %s\n", family, assign,
                ss_last_error()->msg);
        return NULL;
    }
    return m;
}

static int bench_hook(const char *key, const char *label, const char *family,
                      const char *assign)
{
    model *m = make(family, assign);
    if (!m)
        return 1;
    hook_ctx c = {m, gsl_matrix_alloc(m->P, m->P)};
    if (!call_hook(&c)) {
        fprintf(stderr, "bench: %s: %s\n", label, ss_last_error()->msg);
        return 1;
    }
    report(key, label, time_hook(&c));
    gsl_matrix_free(c.G);
    model_free(m);
    return 0;
}

/* gmm draws and scores for n = 10^6 (per draw), and the Monte-Carlo FIM. */
static int bench_gmm_mc(void)
{
    model *m = make("gmm", "v=0.3 w1=0 w2=1.5");
    if (!m)
        return 1;
    const size_t n = 1000000;
    gsl_matrix *X = gsl_matrix_alloc(n, 1), *S = gsl_matrix_alloc(n, 3);
    double *ell = malloc(n * sizeof *ell);
    gsl_rng *r = ss_rng_alloc_fast(); /* the Monte-Carlo FIM's generator */
    double ts = INFINITY, tl = INFINITY, to = INFINITY, tm = INFINITY;
    for (int rep = 0; rep < 3; rep++) {
        gsl_rng_set(r, 1);
        double t0 = now();
        m->type->sample(m, m->theta, r, X);
        double t1 = now();
        m->type->loglik_terms(m, m->theta, X, ell, S);
        double t2 = now();
        m->type->loglik_terms(m, m->theta, X, NULL, S);
        double t3 = now();
        ts = t1 - t0 < ts ? t1 - t0 : ts;
        tl = t2 - t1 < tl ? t2 - t1 : tl;
        to = t3 - t2 < to ? t3 - t2 : to;
    }
    report("gmm_draw", "gmm sample, per draw", 1e6 * ts / (double)n);
    report("gmm_score", "gmm log-lik + scores, per draw",
           1e6 * tl / (double)n);
    /* what the Monte-Carlo FIM asks for: ell = NULL */
    report("gmm_score_only", "gmm scores only (no log-lik), per draw",
           1e6 * to / (double)n);
    /* threads = 1 (one core), then 2: the same numbers either way */
    double tm2 = INFINITY;
    for (unsigned th = 1; th <= 2; th++) {
        fim_request req = {.method = FIM_MC, .n = n, .seed = 1,
                           .threads = th};
        double best = INFINITY;
        for (int rep = 0; rep < 5; rep++) {
            fim_result *f;
            double t0 = now();
            if (fim_compute(m, &req, &f) != SS_OK) {
                fprintf(stderr, "bench: mc: %s\n", ss_last_error()->msg);
                return 1;
            }
            double t = now() - t0;
            best = t < best ? t : best;
            fim_result_free(f);
        }
        if (th == 1)
            tm = best;
        else
            tm2 = best;
    }
    report("gmm_mc", "gmm fim method=mc n=10^6 (whole, 1 thread)", 1e6 * tm);
    report("gmm_mc_t2", "gmm fim method=mc n=10^6 (whole, 2 threads)",
           1e6 * tm2);
    gsl_rng_free(r);
    free(ell);
    gsl_matrix_free(S);
    gsl_matrix_free(X);
    model_free(m);
    return 0;
}

/* One exact FIM with its root factor plus the spectrum (what `eig` does). */
static int bench_fim_eig(const char *key, const char *label,
                         const char *family, const char *assign)
{
    model *m = make(family, assign);
    if (!m)
        return 1;
    fim_request req = {.method = FIM_EXACT};
    double best = INFINITY;
    for (int rep = 0; rep < BENCH_REPS; rep++) {
        int k = 0;
        double t0 = now(), t;
        do {
            fim_result *f;
            spec_result *s;
            if (fim_compute(m, &req, &f) != SS_OK)
                return 1;
            if (spec_analyze(f, SPEC_DEFAULT_TOL, &s) == SS_OK)
                spec_result_free(s);
            fim_result_free(f);
            k++;
            t = now() - t0;
        } while (t < BENCH_BATCH_S);
        if (t / k < best)
            best = t / k;
    }
    report(key, label, 1e6 * best);
    model_free(m);
    return 0;
}

int main(int argc, char **argv)
{
    ss_gsl_install_handler();
    int mc_only = 0;
    for (int a = 1; a < argc; a++) {
        if (strcmp(argv[a], "--tsv") == 0 && a + 1 < argc) {
            tsv = fopen(argv[++a], "w");
            if (!tsv) {
                perror(argv[a]);
                return 1;
            }
        } else if (strcmp(argv[a], "--mc") == 0) {
            mc_only = 1;
        } else {
            fprintf(stderr, "usage: bench_fim [--tsv FILE] [--mc]\n");
            return 2;
        }
    }
    if (mc_only) { /* the Monte-Carlo rows only (a short run) */
        int bad = bench_gmm_mc();
        if (tsv)
            fclose(tsv);
        return bad;
    }
    printf("%-44s %15s\n", "one core, minimum of repeated batches",
           "per call");
    int bad = 0;
    bad |= bench_hook("mlp2_d1", "exact FIM, mlp2 erf d=1 (G only)", "mlp2",
                      "w1=1 w2=-0.5 J1=1 J2=-0.3");
    bad |= bench_hook("mlp2_d2", "exact FIM, mlp2 erf d=2 (G only)", "mlp2",
                      "d=2 w1=0.385 w2=-0.73 J1=[0.9,-0.4] J2=[-0.2,1.1]");
    bad |= bench_hook("arma11", "exact FIM, ARMA(1,1) (G only)", "arma",
                      "ar=[0.5] ma=[0.3]");
    bad |= bench_hook("gmm_generic", "exact FIM, gmm (0.3, 0, 1.5)", "gmm",
                      "v=0.3 w1=0 w2=1.5");
    bad |= bench_hook("gmm_sym", "exact FIM, gmm (0.5, -1, 1)", "gmm",
                      "v=0.5 w1=-1 w2=1");
    bad |= bench_hook("gmm_near", "exact FIM, gmm (0.3, 0, 0.001)", "gmm",
                      "v=0.3 w1=0 w2=0.001");
    bad |= bench_hook("gmm_sep", "exact FIM, gmm (0.3, 0, 6)", "gmm",
                      "v=0.3 w1=0 w2=6");
    bad |= bench_hook("gmm_v0", "exact FIM, gmm (0, 0, 0.5)", "gmm",
                      "v=0 w1=0 w2=0.5");
    bad |= bench_gmm_mc();
    bad |= bench_fim_eig("gmm_eig", "fim + eig (root SVD), gmm (0.3, 0, 1.5)",
                         "gmm", "v=0.3 w1=0 w2=1.5");
    bad |= bench_fim_eig("mlp2_d2_eig", "fim + eig (root SVD), mlp2 d=2",
                         "mlp2",
                         "d=2 w1=0.385 w2=-0.73 J1=[0.9,-0.4] J2=[-0.2,1.1]");
    if (tsv)
        fclose(tsv);
    return bad;
}

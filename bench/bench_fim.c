/* Throughput of the FIM estimators: exact gmm FIMs per second at points
 * from generic to nearly singular, and one Monte-Carlo FIM of 10^6 draws.
 * Run with `make bench`; figures go into README.md by hand. */
#include "fim/fim.h"
#include "fim/spectrum.h"
#include "model/model.h"

#include <stdio.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static model *gmm_at(double v, double w1, double w2)
{
    double vals[3] = {v, w1, w2};
    model_arg a[3] = {{"v", NULL, &vals[0], 1, 0, 0},
                      {"w1", NULL, &vals[1], 1, 0, 0},
                      {"w2", NULL, &vals[2], 1, 0, 0}};
    model *m = NULL;
    if (model_alloc(model_gmm, a, 3, &m) != SS_OK)
        fprintf(stderr, "bench: %s\n", ss_last_error()->msg);
    return m;
}

int main(void)
{
    ss_gsl_install_handler();
    const double pts[][3] = {
        {0.3, 0.0, 1.5}, {0.5, -1.0, 1.0}, {0.3, 0.0, 1e-3}, {0.3, 0.0, 6.0}};
    printf("%-28s %12s %14s\n", "exact gmm FIM at (v,w1,w2)", "us/FIM",
           "FIMs/second");
    for (size_t p = 0; p < sizeof pts / sizeof pts[0]; p++) {
        model *m = gmm_at(pts[p][0], pts[p][1], pts[p][2]);
        if (!m)
            return 1;
        gsl_matrix *G = gsl_matrix_alloc(3, 3);
        size_t reps = 0;
        double t0 = now(), t;
        do {
            for (int i = 0; i < 100; i++)
                model_gmm->fim_exact(m, m->theta, G, NULL);
            reps += 100;
            t = now() - t0;
        } while (t < 1.0);
        char label[64];
        snprintf(label, sizeof label, "(%g, %g, %g)", pts[p][0], pts[p][1],
                 pts[p][2]);
        printf("%-28s %12.2f %14.0f\n", label, 1e6 * t / (double)reps,
               (double)reps / t);
        gsl_matrix_free(G);
        model_free(m);
    }

    model *m = gmm_at(0.3, 0.0, 1.5);
    fim_request req = {.method = FIM_EXACT};
    fim_result *f;
    double t0 = now();
    int reps = 0;
    do {
        fim_compute(m, &req, &f);
        spec_result *s;
        spec_analyze(f, SPEC_DEFAULT_TOL, &s);
        spec_result_free(s);
        fim_result_free(f);
        reps++;
    } while (now() - t0 < 1.0);
    printf("%-28s %12.2f\n", "fim+eig (root SVD), us", 1e6 * (now() - t0) / reps);

    req.method = FIM_MC;
    req.n = 1000000;
    req.seed = 1;
    t0 = now();
    if (fim_compute(m, &req, &f) == SS_OK) {
        double t = now() - t0;
        printf("%-28s %12.3f s  (%.0f draws/second)\n", "fim method=mc n=10^6",
               t, 1e6 / t);
        fim_result_free(f);
    }
    model_free(m);
    return 0;
}

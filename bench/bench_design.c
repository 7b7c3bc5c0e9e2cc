/* Population designs: the per-call cost of the FIMs of PopED's warfarin
 * design and of design optimisation (bench/README.md). Every figure is the
 * minimum over repeated timed batches, on one core. */
#include "design/popfim.h"
#include "design/popopt.h"
#include "model/model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static model *make(const char *const *keys, const double *vals, size_t n,
                   const char *route, const char *error)
{
    model_arg a[16];
    memset(a, 0, sizeof a);
    size_t k = 0;
    a[k].key = "route";
    a[k++].str = route;
    a[k].key = "error";
    a[k++].str = error;
    for (size_t i = 0; i < n; i++) {
        a[k].key = keys[i];
        a[k].num = &vals[i];
        a[k++].n = 1;
    }
    model *m = NULL;
    if (model_alloc(&model_pk1_type, a, k, &m) != SS_OK) {
        fprintf(stderr, "model: %s\n", ss_last_error()->msg);
        exit(1);
    }
    return m;
}

static pop_design *one_group(const double *t, size_t n, double size)
{
    size_t off[2] = {0, n};
    pop_design *d;
    if (pd_alloc(1, off, t, &size, NULL, &d, NULL, NULL) != SS_OK)
        exit(1);
    return d;
}

/* minimum over `rounds` batches of the time per call of `calls` calls */
#define TIME_MIN(rounds, calls, stmt, out)                                   \
    do {                                                                     \
        double best_ = INFINITY;                                             \
        for (int r_ = 0; r_ < (rounds); r_++) {                              \
            double t0_ = now();                                              \
            for (int c_ = 0; c_ < (calls); c_++) {                           \
                if ((stmt) != SS_OK) {                                       \
                    fprintf(stderr, "%s\n", ss_last_error()->msg);           \
                    exit(1);                                                 \
                }                                                            \
            }                                                                \
            double dt_ = (now() - t0_) / (calls);                            \
            if (dt_ < best_)                                                 \
                best_ = dt_;                                                 \
        }                                                                    \
        (out) = best_;                                                       \
    } while (0)

int main(void)
{
    ss_gsl_install_handler();
    static const char *const wk[] = {"dose", "CL", "V", "KA", "F",
                                     "sig2_prop"};
    static const double wv[] = {70, 0.15, 8, 1, 1, 0.01};
    model *m = make(wk, wv, 6, "oral", "prop");
    double om[3] = {0.07, 0.02, 0.6};
    memcpy(m->theta + 4, om, sizeof om);
    m->is_free[3] = 0; /* F */
    static const double wt[8] = {0.5, 1, 2, 6, 24, 36, 72, 120};
    pop_design *d = one_group(wt, 8, 32);
    size_t idx[16], k = model_free_indices(m, idx);
    gsl_matrix *M = gsl_matrix_alloc(k, k);
    popfim_opts fo = {POPFIM_FO, 0, 0, 0}, full = {POPFIM_FO_FULL, 0, 0, 0},
                quad = {POPFIM_QUAD, 8, 0, 0};
    double t_fo, t_full, t_quad;
    TIME_MIN(20, 2000, popfim_design(m, m->theta, d, &fo, idx, k, M), t_fo);
    TIME_MIN(20, 500, popfim_design(m, m->theta, d, &full, idx, k, M),
             t_full);
    TIME_MIN(5, 5, popfim_design(m, m->theta, d, &quad, idx, k, M), t_quad);
    printf("warfarin design (1 group of 32, 8 times, 7 free parameters):\n");
    printf("  reduced FO FIM (fo)            %10.2f us per FIM\n",
           1e6 * t_fo);
    printf("  full FO FIM (fo-full)          %10.2f us per FIM\n",
           1e6 * t_full);
    printf("  exact moments, 8^3 Gauss-Hermite nodes (quad) %8.2f ms per "
           "FIM\n",
           1e3 * t_quad);

    /* Fedorov-Wynn over the 56 three-point subsets of the 8 times */
    double t3[3] = {0.5, 2, 24};
    pop_design *d3 = one_group(t3, 3, 32);
    popopt_spec sp;
    memset(&sp, 0, sizeof sp);
    sp.crit = OD_D;
    sp.lo = 0.5;
    sp.hi = 120;
    sp.times = wt;
    sp.ntimes = 8;
    popopt_result r;
    double t_fw = INFINITY;
    for (int rep = 0; rep < 20; rep++) {
        double t0 = now();
        if (popopt_run(m, d3, &sp, &r) != SS_OK) {
            fprintf(stderr, "%s\n", ss_last_error()->msg);
            return 1;
        }
        t_fw = fmin(t_fw, now() - t0);
        if (rep < 19)
            popopt_result_free(&r);
    }
    printf("  Fedorov-Wynn over the %zu three-point subsets   %8.2f ms "
           "(%zu steps, max d %.6g vs %g)\n",
           r.ncand, 1e3 * t_fw, r.iter, r.maxd, r.bound);
    popopt_result_free(&r);

    /* the compartmental D-optimal design (Atkinson et al. 1993) */
    static const char *const ak[] = {"dose", "K", "KA", "V", "F",
                                     "sig2_add"};
    double KA = 4.298, K = 0.05884;
    double av[] = {1, K, KA, KA / (21.80 * (KA - K)), 1, 1};
    model_arg a[12];
    memset(a, 0, sizeof a);
    size_t na = 0;
    a[na].key = "route";
    a[na++].str = "oral";
    a[na].key = "param";
    a[na++].str = "k";
    a[na].key = "error";
    a[na++].str = "add";
    for (size_t i = 0; i < 6; i++) {
        a[na].key = ak[i];
        a[na].num = &av[i];
        a[na++].n = 1;
    }
    model *b;
    if (model_alloc(&model_pk1_type, a, na, &b) != SS_OK) {
        fprintf(stderr, "%s\n", ss_last_error()->msg);
        return 1;
    }
    for (size_t i = 3; i < b->P; i++) { /* F, Omega, residual known */
        b->is_free[i] = 0;
        if (i >= 4 && i <= 6)
            b->theta[i] = 0;
    }
    double one = 1;
    pop_design *d1 = one_group(&one, 1, 1);
    memset(&sp, 0, sizeof sp);
    sp.crit = OD_D;
    sp.refine = OD_OVER_BOTH;
    sp.lo = 0;
    sp.hi = 60;
    sp.grid = 601;
    double t_at = INFINITY;
    for (int rep = 0; rep < 5; rep++) {
        double t0 = now();
        if (popopt_run(b, d1, &sp, &r) != SS_OK) {
            fprintf(stderr, "%s\n", ss_last_error()->msg);
            return 1;
        }
        t_at = fmin(t_at, now() - t0);
        if (rep < 4)
            popopt_result_free(&r);
    }
    printf("compartmental model, D-optimal on (0, 60] from a 601-point "
           "grid, then refined: %.2f ms\n  support",
           1e3 * t_at);
    for (size_t g = 0; g < r.design->ngroups; g++)
        printf(" %.5g (w %.4f)", r.design->g[g].t[0],
               r.design->g[g].size);
    printf(", max d %.8g\n", r.maxd);
    popopt_result_free(&r);
    printf("PopED and PFIM are R packages from CRAN, not in Debian: no "
           "side-by-side run (bench/README.md)\n");
    gsl_matrix_free(M);
    pd_free(d);
    pd_free(d3);
    pd_free(d1);
    model_free(m);
    model_free(b);
    return 0;
}

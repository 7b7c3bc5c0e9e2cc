/* Time of a 200x200 `map` of log det (the targets: mlp2/erf d=2
 * and ARMA(1,1) under 0.2 s, gmm under 2 s on one core), and of a 25-step
 * `path` with the root-factor spectra. */
#include "fim/map.h"
#include "fim/path.h"
#include "model/model.h"

#include <stdio.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct {
    const char *kind, *label, *x, *y;
    double x0, x1, y0, y1;
    model_arg args[6];
    size_t nargs;
} map_case;

int main(void)
{
    ss_gsl_install_handler();
    static const double v03 = 0.3, w0 = 0, w1 = 1, d2 = 2, one = 1, mhalf = -0.5;
    static const double J1[] = {1, 0.5}, J2[] = {-0.3, 0.8}, ar[] = {0.5},
                        ma[] = {-0.45};
    map_case cases[] = {
        {"gmm", "gmm (quadrature)", "w1", "w2", -1, 1, -1, 1,
         {{"v", NULL, &v03, 1, 0, 0, NULL, 0, 0}, {"w1", NULL, &w0, 1, 0, 0, NULL, 0, 0},
          {"w2", NULL, &w1, 1, 0, 0, NULL, 0, 0}},
         3},
        {"mlp2", "mlp2 erf d=2 (closed form)", "J1_1", "J2_1", -1, 1, -1, 1,
         {{"d", NULL, &d2, 1, 0, 0, NULL, 0, 0}, {"w1", NULL, &one, 1, 0, 0, NULL, 0, 0},
          {"w2", NULL, &mhalf, 1, 0, 0, NULL, 0, 0}, {"J1", NULL, J1, 2, 1, 0, NULL, 0, 0},
          {"J2", NULL, J2, 2, 1, 0, NULL, 0, 0}},
         5},
        {"arma", "ARMA(1,1)", "ar1", "ma1", -0.95, 0.95, -0.95, 0.95,
         {{"ar", NULL, ar, 1, 1, 0, NULL, 0, 0}, {"ma", NULL, ma, 1, 1, 0, NULL, 0, 0}},
         2},
    };
    printf("%-30s %12s\n", "200x200 map of log det", "seconds");
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        model *m;
        if (model_alloc(model_type_find(cases[c].kind), cases[c].args,
                        cases[c].nargs, &m) != SS_OK) {
            fprintf(stderr, "bench: %s\n", ss_last_error()->msg);
            return 1;
        }
        map_spec sp = {.x0 = cases[c].x0, .x1 = cases[c].x1,
                       .y0 = cases[c].y0, .y1 = cases[c].y1,
                       .nx = 200, .ny = 200, .stat = MAP_LOGDET,
                       .tol = 1e-10};
        model_axis_find(m, cases[c].x, &sp.x);
        model_axis_find(m, cases[c].y, &sp.y);
        double best = 1e9;
        for (int rep = 0; rep < 3; rep++) {
            map_result *r;
            double t0 = now();
            if (map_run(m, &sp, NULL, NULL, &r) != SS_OK) {
                fprintf(stderr, "bench: %s\n", ss_last_error()->msg);
                return 1;
            }
            double t = now() - t0;
            best = t < best ? t : best;
            map_result_free(r);
        }
        printf("%-30s %12.3f\n", cases[c].label, best);

        path_spec ps = {.steps = 25, .log_spacing = 1, .decades = 6,
                        .fim = {.method = FIM_EXACT}, .tol = 1e-10};
        const char *ax = c == 0 ? "u" : c == 1 ? "u_1" : "delta";
        model_axis_find(m, ax, &ps.axis);
        ps.from = 1.0;
        ps.to = 0.0;
        if (c == 2)
            ps.from = 0.5;
        path_result *p;
        double t0 = now();
        if (path_run(m, &ps, NULL, NULL, &p) == SS_OK) {
            printf("%-30s %12.3f\n", "  25-step log path (root SVD)",
                   now() - t0);
            path_result_free(p);
        }
        model_free(m);
    }
    return 0;
}

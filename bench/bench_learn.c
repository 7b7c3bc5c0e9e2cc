/* Online SGD through the train iteration (learn/train.h), mlp2 erf d = 2
 * learning from an mlp2 teacher, record=1000 (the target: at
 * least 20 million steps a second on one core), and the generic route
 * (gmm: sample() and loglik_grad per step) for comparison. The arithmetic
 * of one mlp2 step: 3 Gaussian draws (ziggurat on taus2, 4.8 ns each
 * here), 4 erf (7 ns each) and 2 exp, about 35 flops: about 43 ns, 2.3e7
 * steps a second, is the limit of this recipe on one core. */
#include "learn/flow.h"
#include "learn/portrait.h"
#include "learn/train.h"
#include "model/model.h"

#include <stdio.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int run(const char *label, model *m, model *t, uint64_t steps)
{
    train_spec sp = {.algo = TRAIN_SGD, .teacher = t, .eta = 1e-3,
                     .steps = steps, .record = 1000, .seed = 1};
    train_iter *it = NULL;
    if (train_iter_alloc(m, &sp, &it, NULL) != SS_OK) {
        fprintf(stderr, "bench: %s\n", ss_last_error()->msg);
        return 1;
    }
    ss_iter iter = {&train_iter_type, it};
    double t0 = now();
    ss_status rc = ss_iter_drive(&iter, NULL, NULL);
    double dt = now() - t0;
    learn_run *r = NULL;
    if (rc == SS_OK)
        rc = train_iter_take(it, 0, &r);
    train_iter_free(it);
    if (rc != SS_OK) {
        fprintf(stderr, "bench: %s\n", ss_last_error()->msg);
        return 1;
    }
    printf("%-34s %12llu %10.3f %14.3g  (%zu records)\n", label,
           (unsigned long long)steps, dt, (double)steps / dt, r->n);
    learn_run_free(r);
    return 0;
}

/* The averaged flow to t = 1e5 through the overlap plateau (the student
 * of scenarios/plateau.scn), 1000 records, at the default tolerance:
 * best of five. */
static int run_flow(const char *label, model *s, model *t, flow_algo a,
                    double damping)
{
    flow_spec sp = {a, 1.0, 1e5, 1000, 0, damping, 0};
    double best = 1e300;
    size_t n = 0;
    for (int rep = 0; rep < 5; rep++) {
        learn_run *r = NULL;
        double t0 = now();
        if (flow_run(s, t, &sp, &r) != SS_OK) {
            fprintf(stderr, "bench: %s\n", ss_last_error()->msg);
            return 1;
        }
        double dt = now() - t0;
        best = dt < best ? dt : best;
        n = r->n;
        learn_run_free(r);
    }
    printf("%-40s %10.2f ms  (%zu records)\n", label, 1e3 * best, n);
    return 0;
}

int main(void)
{
    ss_gsl_install_handler();
    static const double d2 = 2, one = 1, half = 0.5, w1s = 0.3, w2s = -0.2;
    static const double J1[] = {1, 0}, J2[] = {0, 1}, S1[] = {0.4, 0.1},
                        S2[] = {-0.2, 0.6};
    model_arg targs[] = {{"d", NULL, &d2, 1, 0, 0, NULL, 0, 0}, {"w1", NULL, &one, 1, 0, 0, NULL, 0, 0},
                         {"w2", NULL, &half, 1, 0, 0, NULL, 0, 0},
                         {"J1", NULL, J1, 2, 1, 0, NULL, 0, 0}, {"J2", NULL, J2, 2, 1, 0, NULL, 0, 0}};
    model_arg sargs[] = {{"d", NULL, &d2, 1, 0, 0, NULL, 0, 0}, {"w1", NULL, &w1s, 1, 0, 0, NULL, 0, 0},
                         {"w2", NULL, &w2s, 1, 0, 0, NULL, 0, 0},
                         {"J1", NULL, S1, 2, 1, 0, NULL, 0, 0}, {"J2", NULL, S2, 2, 1, 0, NULL, 0, 0}};
    model *t, *m, *g, *gt;
    if (model_alloc(model_mlp2, targs, 5, &t) != SS_OK ||
        model_alloc(model_mlp2, sargs, 5, &m) != SS_OK ||
        model_alloc(model_gmm, NULL, 0, &g) != SS_OK ||
        model_alloc(model_gmm, NULL, 0, &gt) != SS_OK) {
        fprintf(stderr, "bench: %s\n", ss_last_error()->msg);
        return 1;
    }
    printf("%-34s %12s %10s %14s\n", "online sgd, record=1000", "steps",
           "seconds", "steps/s");
    int bad = run("mlp2 erf d=2 (fast route)", m, t, 100000000) ||
              run("gmm (generic route)", g, gt, 1000000);
    static const double pt[] = {1, 1, 0.5, 2},
                        ps[] = {0.8177, 0.8177, 1.4067, 1.4167};
    model *ft = NULL, *fs = NULL;
    if (model_alloc(model_mlp2, NULL, 0, &ft) != SS_OK ||
        model_alloc(model_mlp2, NULL, 0, &fs) != SS_OK)
        return 1;
    for (int i = 0; i < 4; i++) {
        ft->theta[i] = pt[i];
        fs->theta[i] = ps[i];
    }
    printf("\n%-40s\n", "averaged flow to t = 1e5, mlp2 erf d = 1");
    bad = bad || run_flow("gd through the overlap plateau", fs, ft,
                          FLOW_GD, 0) ||
          run_flow("ngd (damping 1e-10)", fs, ft, FLOW_NGD, 1e-10);
    /* the 20x20 portrait (target < 2 s): best of three */
    portrait_spec ps2 = {.x = "z", .y = "u", .xa = 0.5, .xb = 2.5,
                         .ya = -0.9, .yb = 0.9, .W = 20, .H = 20,
                         .algo = FLOW_GD, .eta = 1, .tmax = 1e5};
    double pbest = 1e300;
    for (int rep = 0; rep < 3 && !bad; rep++) {
        learn_portrait *pp = NULL;
        double t0 = now();
        if (portrait_run(fs, ft, &ps2, &pp) != SS_OK) {
            fprintf(stderr, "bench: %s\n", ss_last_error()->msg);
            bad = 1;
            break;
        }
        double dt = now() - t0;
        pbest = dt < pbest ? dt : pbest;
        learn_portrait_free(pp);
    }
    if (!bad)
        printf("%-40s %10.2f ms  (400 starts, t = 1e5)\n",
               "portrait 20x20 in (z, u), gd", 1e3 * pbest);
    model_free(ft);
    model_free(fs);
    model_free(t);
    model_free(m);
    model_free(g);
    model_free(gt);
    return bad;
}

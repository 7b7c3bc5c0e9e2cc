/* Mini-batch sgd with Liao et al.'s measures (learn/liao.c, train.c with
 * epochs=) and the sweep (learn/sweep.c), each against an independent
 * route:
 *
 * - the singular values the run records through the B x B Gram equal
 *   gsl_linalg_SV_decomp of the explicitly formed P x B matrix of the
 *   batch's per-sample gradients (its transpose), with some parameters
 *   fixed (their columns left out);
 * - the dnn route of the batch Gram (dnn_batch_gram, every parameter
 *   free) equals S S^T of the explicit scores, with their sums;
 * - the per-sample gradients (dnn scores) equal central differences of
 *   the per-term log-likelihood (regression and softmax);
 * - c_k, l_k, C_K, L_K and the step itself, step by step, recomputed here
 *   from the explicit SVD of each batch, the batches rebuilt from the
 *   documented shuffle (stream (seed, SS_STREAM_LIAO, 0), one
 *   gsl_ran_shuffle of the running order an epoch);
 * - the critical learning rate of a linear model (layers=1, act=linear:
 *   the loss is exactly quadratic, Hessian = Gauss-Newton = the
 *   augmented inputs' second moment, formed here) and full-batch gd at
 *   0.9 and 1.1 of it: the excess loss along the top eigenvector shrinks
 *   by (1 - 1.8)^2 = 0.64 and grows by (1 - 2.2)^2 = 1.44 a step;
 * - a sweep's rows are the same bits on 1 and 3 threads, and row r is the
 *   train run with the orders of stream (seed, SS_STREAM_LIAO_SWEEP, r);
 * - refusals: batch larger than the data, a series family;
 * - Gaussian clusters: centres from the documented stream, class means
 *   and frequencies within their standard errors. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/rng.h"
#include "learn/liao.h"
#include "learn/sweep.h"
#include "learn/train.h"
#include "model/dnn.h"
#include "testutil.h"

#include <gsl/gsl_blas.h>
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static model *mk(const char *args, const char *fixed)
{
    const model_type *t = model_type_find("dnn");
    assert_non_null(t);
    model_testpoint tp = {"test", args, fixed, MODEL_TP_GENERIC, -1, 0};
    model *m = NULL;
    if (model_alloc_testpoint(t, &tp, &m) != SS_OK)
        fail_msg("model: %s", ss_last_error()->msg);
    return m;
}

static gsl_matrix *draw(const model *m, size_t n, uint64_t seed)
{
    return tu_sample(m, n, seed);
}

static learn_run *run_train(const model *m, const train_spec *sp)
{
    train_iter *it = NULL;
    const char *bk = NULL;
    if (train_iter_alloc(m, sp, &it, &bk) != SS_OK)
        fail_msg("train_iter_alloc: %s", ss_last_error()->msg);
    ss_iter iter = {&train_iter_type, it};
    assert_int_equal(ss_iter_drive(&iter, NULL, NULL), SS_OK);
    learn_run *r = NULL;
    assert_int_equal(train_iter_take(it, 0, &r), SS_OK);
    train_iter_free(it);
    return r;
}

/* The singular values (descending) of the per-sample gradients of rows
 * rows[0..B-1] of D at theta over the free parameters: the scores formed
 * explicitly as a k x B matrix (k >= B) and decomposed by GSL's SVD. */
static void explicit_sv(const model *m, const double *theta,
                        const gsl_matrix *D, const size_t *rows, size_t B,
                        double *sv, double *grad_mean)
{
    size_t P = m->P, k = 0;
    for (size_t p = 0; p < P; p++)
        k += m->is_free[p] != 0;
    assert_true(k >= B);
    gsl_matrix *X = gsl_matrix_alloc(B, D->size2);
    for (size_t b = 0; b < B; b++)
        for (size_t c = 0; c < D->size2; c++)
            gsl_matrix_set(X, b, c, gsl_matrix_get(D, rows[b], c));
    gsl_matrix *S = gsl_matrix_alloc(B, P);
    double *ell = malloc(B * sizeof *ell);
    assert_int_equal(m->type->loglik_terms(m, theta, X, ell, S), SS_OK);
    gsl_matrix *A = gsl_matrix_alloc(k, B), *V = gsl_matrix_alloc(B, B);
    gsl_vector *s = gsl_vector_alloc(B), *w = gsl_vector_alloc(B);
    for (size_t p = 0, j = 0; p < P; p++) {
        double g = 0;
        for (size_t b = 0; b < B; b++)
            g += gsl_matrix_get(S, b, p);
        if (grad_mean)
            grad_mean[p] = -g / (double)B;
        if (!m->is_free[p])
            continue;
        for (size_t b = 0; b < B; b++)
            gsl_matrix_set(A, j, b, -gsl_matrix_get(S, b, p));
        j++;
    }
    assert_int_equal(gsl_linalg_SV_decomp(A, V, s, w), GSL_SUCCESS);
    for (size_t b = 0; b < B; b++)
        sv[b] = gsl_vector_get(s, b); /* GSL sorts them descending */
    gsl_matrix_free(X);
    gsl_matrix_free(S);
    gsl_matrix_free(A);
    gsl_matrix_free(V);
    gsl_vector_free(s);
    gsl_vector_free(w);
    free(ell);
}

/* A singular value through the Gram is sqrt of an eigenvalue accurate to
 * about eps lambda_1: relative error <= eps/2 (s_1/s_i)^2 plus the SVD's
 * own eps-level error; 1e-12 (s_1/s_i)^2 + 1e-10 covers both with room. */
static void assert_sv_close(const double *got, const double *want, size_t B)
{
    for (size_t i = 0; i < B; i++) {
        /* under the cut the run records 0 (the Gram's noise level); near
         * it either side will do */
        if (want[i] < 2 * LIAO_SV_CUT * want[0] && got[i] == 0)
            continue;
        if (want[i] < 0.5 * LIAO_SV_CUT * want[0])
            fail_msg("sv%zu: %.17g recorded where the SVD gives %.17g, "
                     "under the cut",
                     i + 1, got[i], want[i]);
        double ratio = want[0] / want[i];
        double tol = (1e-12 * ratio * ratio + 1e-10) * want[i];
        if (!(fabs(got[i] - want[i]) <= tol))
            fail_msg("sv%zu: Gram %.17g, SVD %.17g (tol %g)", i + 1, got[i],
                     want[i], tol);
    }
}

/* One epoch, one batch = the whole data set (in a shuffled order, which
 * the singular values do not see): the recorded singular values of step
 * 1 are those of the explicit matrix at the start. With b1 fixed. */
static void test_gram_sv_equal_svd(void **state)
{
    (void)state;
    model *m = mk("layers=2 width=4 in=3 out=1 act=tanh inputs=40 seed=3",
                  "b1_1 b1_2 b1_3 b1_4 W2_1_2");
    model *t = mk("layers=2 width=4 in=3 out=1 act=tanh inputs=40 seed=4",
                  NULL);
    size_t B = 6;
    gsl_matrix *D = draw(t, B, 1);
    train_spec sp = {.algo = TRAIN_SGD, .data = D, .eta = 0.01,
                     .batch = B, .epochs = 1, .seed = 5};
    learn_run *r = run_train(m, &sp);
    assert_int_equal(r->n, 2);
    assert_int_equal(r->nsv, B);
    size_t rows[6] = {0, 1, 2, 3, 4, 5};
    double sv[6];
    explicit_sv(m, m->theta, D, rows, B, sv, NULL);
    assert_sv_close(r->sv + r->nsv, sv, B);
    /* step 0 carries no measures */
    assert_true(isnan(r->ck[0]) && isnan(r->sv[0]));
    learn_run_free(r);
    gsl_matrix_free(D);
    model_free(m);
    model_free(t);
}

/* Scores of each term against central differences of its log-likelihood;
 * h = 1e-5 gives truncation ~ h^2 f''' ~ 1e-10 and rounding ~ eps/h ~
 * 1e-11 on terms of order 1: 1e-7 absolute + relative is safe. */
static void check_scores_fd(const char *args)
{
    model *m = mk(args, NULL);
    gsl_matrix *D = draw(m, 3, 2);
    size_t P = m->P, n = D->size1;
    gsl_matrix *S = gsl_matrix_alloc(n, P);
    double ell[3], lp[3], lm[3];
    assert_int_equal(m->type->loglik_terms(m, m->theta, D, ell, S), SS_OK);
    double *th = malloc(P * sizeof *th);
    memcpy(th, m->theta, P * sizeof *th);
    double h = 1e-5;
    for (size_t p = 0; p < P; p++) {
        th[p] = m->theta[p] + h;
        assert_int_equal(m->type->loglik_terms(m, th, D, lp, NULL), SS_OK);
        th[p] = m->theta[p] - h;
        assert_int_equal(m->type->loglik_terms(m, th, D, lm, NULL), SS_OK);
        th[p] = m->theta[p];
        for (size_t i = 0; i < n; i++) {
            double fd = (lp[i] - lm[i]) / (2 * h);
            double g = gsl_matrix_get(S, i, p);
            if (!(fabs(fd - g) <= 1e-7 * (1 + fabs(fd))))
                fail_msg("%s: term %zu, parameter %zu: score %.12g, finite "
                         "difference %.12g",
                         args, i, p, g, fd);
        }
    }
    free(th);
    gsl_matrix_free(S);
    gsl_matrix_free(D);
    model_free(m);
}

static void test_per_sample_gradients_fd(void **state)
{
    (void)state;
    check_scores_fd("layers=3 width=4 in=2 out=2 act=tanh sb2=0.1 inputs=9 "
                    "seed=7");
    check_scores_fd("layers=2 width=5 in=3 out=3 act=erf output=softmax "
                    "inputs=9 seed=8");
}

/* Every step by hand: the order from the documented stream, each batch's
 * explicit SVD at the recorded point before the step, c_k with the cut,
 * l_k = eta/B sqrt(sum s^2), the running means, and theta_k = theta_{k-1}
 * - eta * mean loss gradient. 2 epochs of floor(10/3) = 3 batches (one
 * row sits each epoch out). */
static void test_measures_by_hand(void **state)
{
    (void)state;
    model *m = mk("layers=2 width=4 in=3 out=1 act=tanh inputs=40 seed=3",
                  NULL);
    model *t = mk("layers=2 width=4 in=3 out=1 act=tanh inputs=40 seed=4",
                  NULL);
    size_t n = 10, B = 3, E = 2, spe = n / B;
    gsl_matrix *D = draw(t, n, 3);
    double eta = 0.05;
    uint64_t seed = 11;
    train_spec sp = {.algo = TRAIN_SGD, .data = D, .eta = eta, .batch = B,
                     .epochs = E, .seed = seed};
    learn_run *r = run_train(m, &sp);
    assert_int_equal(r->n, E * spe + 1);
    assert_int_equal(r->steps_done, E * spe);
    gsl_rng *g = ss_rng_alloc();
    ss_rng_seed(g, seed, SS_STREAM_LIAO, 0);
    size_t perm[10];
    for (size_t i = 0; i < n; i++)
        perm[i] = i;
    size_t P = m->P;
    double *grad = malloc(P * sizeof *grad), sv[3];
    double csum = 0, lsum = 0;
    for (size_t k = 1; k <= E * spe; k++) {
        size_t pos = (k - 1) % spe;
        if (pos == 0)
            gsl_ran_shuffle(g, perm, n, sizeof *perm);
        const double *th0 = r->theta + (k - 1) * P;
        explicit_sv(m, th0, D, perm + pos * B, B, sv, grad);
        assert_sv_close(r->sv + k * r->nsv, sv, B);
        size_t rank = 0;
        while (rank < B && sv[rank] >= LIAO_SV_CUT * sv[0])
            rank++;
        double c = sv[0] / sv[rank - 1], fro2 = 0;
        for (size_t i = 0; i < B; i++)
            fro2 += sv[i] * sv[i];
        double l = eta / (double)B * sqrt(fro2);
        csum += c;
        lsum += l;
        /* c = s_1/s_r carries the relative error of s_r (above) */
        double ctol = 1e-12 * c * c + 1e-9;
        assert_true(fabs(r->ck[k] - c) <= ctol * c);
        assert_true(fabs(r->lk[k] - l) <= 1e-12 * l);
        assert_true(fabs(r->cbar[k] - csum / (double)k) <=
                    ctol * csum / (double)k);
        assert_true(fabs(r->lbar[k] - lsum / (double)k) <=
                    1e-12 * lsum / (double)k);
        /* the step: rounding of sums of order-1 terms */
        for (size_t p = 0; p < P; p++)
            assert_true(fabs(r->theta[k * P + p] - (th0[p] - eta * grad[p])) <=
                        1e-13 * (1 + fabs(th0[p])));
    }
    ss_rng_free(g);
    free(grad);
    learn_run_free(r);
    gsl_matrix_free(D);
    model_free(m);
    model_free(t);
}

/* c_k and l_k from a Gram by hand: diag(9, 4, 1e-14) has singular values
 * 3, 2, 1e-7; 1e-7 < 1e-6 * 3 is cut, so c = 3/2; ||J||_F = sqrt(13). */
static void test_measures_of_a_gram(void **state)
{
    (void)state;
    gsl_matrix *K = gsl_matrix_calloc(3, 3);
    gsl_matrix_set(K, 0, 0, 4);
    gsl_matrix_set(K, 1, 1, 9);
    gsl_matrix_set(K, 2, 2, 1e-14);
    gsl_vector *ev = gsl_vector_alloc(3);
    gsl_eigen_symm_workspace *w = gsl_eigen_symm_alloc(3);
    double sv[3], c, fro;
    size_t rank;
    assert_int_equal(liao_from_gram(K, ev, w, sv, &rank, &c, &fro), SS_OK);
    assert_int_equal(rank, 2);
    assert_true(fabs(sv[0] - 3) < 1e-15 && fabs(sv[1] - 2) < 1e-15);
    assert_true(fabs(c - 1.5) < 1e-15);
    assert_true(fabs(fro - sqrt(13.0)) < 1e-14);
    assert_true(fabs(liao_energy(0.2, 4, fro) - 0.05 * sqrt(13.0)) < 1e-15);
    /* a zero Gram: no gradient, no condition number */
    gsl_matrix_set_zero(K);
    assert_int_equal(liao_from_gram(K, ev, w, sv, &rank, &c, &fro), SS_OK);
    assert_int_equal(rank, 0);
    assert_true(isnan(c) && fro == 0);
    gsl_matrix_free(K);
    gsl_vector_free(ev);
    gsl_eigen_symm_free(w);
}

/* Linear regression f = W x + b (layers=1 act=linear, one output): the
 * mean loss is L(theta) = L* + 1/2 (theta - theta*)^T H (theta - theta*)
 * exactly, H = (1/n) sum x~ x~^T with x~ = (x, 1), which is also the
 * Gauss-Newton matrix. */
static void test_critical_rate(void **state)
{
    (void)state;
    model *m = mk("layers=1 in=3 out=1 act=linear inputs=60 seed=2", NULL);
    model *t = mk("layers=1 in=3 out=1 act=linear inputs=60 seed=9", NULL);
    size_t n = 50, P = m->P; /* W1_1_1..W1_1_3, b1_1 */
    assert_int_equal(P, 4);
    gsl_matrix *D = draw(t, n, 4);
    gsl_matrix *H = gsl_matrix_calloc(4, 4);
    gsl_vector *rhs = gsl_vector_calloc(4);
    for (size_t i = 0; i < n; i++) {
        double xt[4] = {gsl_matrix_get(D, i, 0), gsl_matrix_get(D, i, 1),
                        gsl_matrix_get(D, i, 2), 1.0};
        double y = gsl_matrix_get(D, i, 3);
        for (size_t a = 0; a < 4; a++) {
            *gsl_vector_ptr(rhs, a) += xt[a] * y / (double)n;
            for (size_t b = 0; b < 4; b++)
                *gsl_matrix_ptr(H, a, b) += xt[a] * xt[b] / (double)n;
        }
    }
    gsl_matrix *Hc = gsl_matrix_alloc(4, 4), *V = gsl_matrix_alloc(4, 4);
    gsl_vector *ev = gsl_vector_alloc(4), *tstar = gsl_vector_alloc(4);
    gsl_matrix_memcpy(Hc, H);
    gsl_eigen_symmv_workspace *w = gsl_eigen_symmv_alloc(4);
    gsl_eigen_symmv(Hc, ev, V, w);
    gsl_eigen_symmv_sort(ev, V, GSL_EIGEN_SORT_VAL_DESC);
    double lmax = gsl_vector_get(ev, 0);
    gsl_matrix_memcpy(Hc, H);
    gsl_linalg_cholesky_decomp1(Hc);
    gsl_linalg_cholesky_solve(Hc, rhs, tstar);

    double got_l, got_c;
    assert_int_equal(liao_critical(m, m->theta, D, &got_l, &got_c), SS_OK);
    /* two eigen-solvers on 4 x 4 and 50 x 50 of order-1 entries */
    assert_true(fabs(got_l - lmax) <= 1e-10 * lmax);
    assert_true(fabs(got_c - 2.0 / lmax) <= 1e-10 * got_c);

    /* start at theta* + v_top: the excess loss is exactly along the top
     * eigenvector and scales by (1 - eta lmax)^2 each step */
    double *theta = m->theta;
    for (size_t p = 0; p < 4; p++)
        theta[p] = gsl_vector_get(tstar, p) + 0.5 * gsl_matrix_get(V, p, 0);
    double Lstar;
    assert_int_equal(model_loglik_grad(m, tstar->data, D, &Lstar, NULL),
                     SS_OK);
    Lstar = -Lstar / (double)n;
    const double fac[2] = {0.9, 1.1};
    for (int f = 0; f < 2; f++) {
        double eta = fac[f] * got_c, q = (1 - eta * lmax) * (1 - eta * lmax);
        train_spec sp = {.algo = TRAIN_GD, .data = D, .eta = eta,
                         .steps = 5};
        learn_run *r = run_train(m, &sp);
        assert_true(fabs(r->crit_lr - got_c) <= 1e-12 * got_c);
        double ex0 = r->train[0] - Lstar;
        assert_true(ex0 > 0.01);
        for (size_t k = 1; k < r->n; k++) {
            double ex = r->train[k] - Lstar;
            /* excess of order 0.1 against losses of order 1: the
             * differences lose ~1e-15 absolute; 1e-9 relative is ample */
            assert_true(fabs(ex - ex0 * pow(q, (double)k)) <=
                        1e-9 * ex0 * pow(q, (double)k) + 1e-13);
            if (f == 0)
                assert_true(r->train[k] < r->train[k - 1]);
            else
                assert_true(r->train[k] > r->train[k - 1]);
        }
        learn_run_free(r);
    }
    /* a generic start: below the rate every component contracts (0 <
     * eta lambda_i <= 1.8), so the loss falls at every step; above it the
     * top component grows by 1.44 a step and the loss ends above where it
     * started */
    for (size_t p = 0; p < 4; p++)
        theta[p] = gsl_vector_get(tstar, p) + (p % 2 ? 0.7 : -0.4);
    for (int f = 0; f < 2; f++) {
        train_spec sp = {.algo = TRAIN_GD, .data = D,
                         .eta = fac[f] * got_c, .steps = 60};
        learn_run *r = run_train(m, &sp);
        if (f == 0)
            for (size_t k = 1; k < r->n; k++)
                assert_true(r->train[k] < r->train[k - 1]);
        else
            assert_true(r->train[r->n - 1] > r->train[0]);
        learn_run_free(r);
    }
    gsl_matrix_free(H);
    gsl_matrix_free(Hc);
    gsl_matrix_free(V);
    gsl_vector_free(rhs);
    gsl_vector_free(ev);
    gsl_vector_free(tstar);
    gsl_eigen_symmv_free(w);
    gsl_matrix_free(D);
    model_free(m);
    model_free(t);
}

static learn_sweep *run_sweep(const model *m, const sweep_spec *sp)
{
    sweep_iter *it = NULL;
    const char *bk = NULL;
    if (sweep_iter_alloc(m, sp, &it, &bk) != SS_OK)
        fail_msg("sweep_iter_alloc: %s", ss_last_error()->msg);
    ss_iter iter = {&sweep_iter_type, it};
    assert_int_equal(ss_iter_drive(&iter, NULL, NULL), SS_OK);
    learn_sweep *w = NULL;
    assert_int_equal(sweep_iter_take(it, 0, &w), SS_OK);
    sweep_iter_free(it);
    return w;
}

static void test_sweep_threads(void **state)
{
    (void)state;
    model *m = mk("layers=2 width=4 in=3 out=1 act=tanh inputs=40 seed=3",
                  NULL);
    model *t = mk("layers=2 width=4 in=3 out=1 act=tanh inputs=40 seed=4",
                  NULL);
    gsl_matrix *D = draw(t, 30, 5), *T = draw(t, 20, 6);
    uint64_t batches[2] = {2, 5};
    double lrs[3] = {0.01, 0.05, 0.2};
    sweep_spec sp = {.data = D, .test = T, .batches = batches, .nbatch = 2,
                     .lrs = lrs, .nlr = 3, .epochs = 2, .seed = 7,
                     .threads = 1};
    learn_sweep *a = run_sweep(m, &sp);
    sp.threads = 3;
    learn_sweep *b = run_sweep(m, &sp);
    assert_int_equal(a->ndone, 6);
    assert_int_equal(b->ndone, 6);
    assert_memory_equal(a->rows, b->rows, 6 * SW_NCOLS * sizeof(double));
    /* row r is the train run on the orders of (seed, 23, r) */
    for (size_t r = 0; r < 6; r++) {
        train_spec ts = {.algo = TRAIN_SGD, .data = D, .test = T,
                         .eta = lrs[r % 3], .batch = batches[r / 3],
                         .epochs = 2, .seed = 7,
                         .shuffle_stream = SS_STREAM_LIAO_SWEEP,
                         .shuffle_sub = r};
        learn_run *run = run_train(m, &ts);
        const double *x = a->rows + r * SW_NCOLS;
        size_t i = run->n - 1;
        assert_true(x[SW_CBAR] == run->cbar[i]);
        assert_true(x[SW_LBAR] == run->lbar[i]);
        assert_true(x[SW_TEST] == run->test[i]);
        assert_true(x[SW_STEPS] == (double)(2 * (30 / batches[r / 3])));
        learn_run_free(run);
    }
    /* the critical rate is the train run's */
    double lm, cr;
    assert_int_equal(liao_critical(m, m->theta, D, &lm, &cr), SS_OK);
    assert_true(a->crit_lr == cr);
    learn_sweep_free(a);
    learn_sweep_free(b);
    gsl_matrix_free(D);
    gsl_matrix_free(T);
    model_free(m);
    model_free(t);
}

static void test_refusals(void **state)
{
    (void)state;
    model *m = mk("layers=2 width=4 in=3 out=1 act=tanh inputs=40 seed=3",
                  NULL);
    gsl_matrix *D = draw(m, 5, 5);
    train_iter *it = NULL;
    const char *bk = NULL;
    train_spec sp = {.algo = TRAIN_SGD, .data = D, .eta = 0.1, .batch = 6,
                     .epochs = 1};
    assert_int_equal(train_iter_alloc(m, &sp, &it, &bk), SS_ERR_RANGE);
    assert_string_equal(bk, "batch");
    sp.batch = 2;
    sp.algo = TRAIN_GD;
    assert_int_equal(train_iter_alloc(m, &sp, &it, &bk), SS_ERR_USAGE);
    assert_string_equal(bk, "epochs");
    sp.algo = TRAIN_SGD;
    sp.data = NULL;
    assert_int_equal(train_iter_alloc(m, &sp, &it, &bk), SS_ERR_USAGE);
    assert_string_equal(bk, "data");
    assert_null(it);
    /* a sweep with a non-positive rate */
    uint64_t batches[1] = {2};
    double lrs[2] = {0.1, 0};
    sweep_spec ws = {.data = D, .batches = batches, .nbatch = 1, .lrs = lrs,
                     .nlr = 2, .epochs = 1};
    sweep_iter *si = NULL;
    assert_int_equal(sweep_iter_alloc(m, &ws, &si, &bk), SS_ERR_RANGE);
    assert_string_equal(bk, "lrs");
    assert_null(si);
    gsl_matrix_free(D);
    model_free(m);
}

/* Gaussian clusters: the centres, recomputed here from the documented
 * stream (the model's seed, SS_STREAM_LIAO, 1), are shared by draws with
 * different seeds; each class's sample mean lies within 4.5 standard
 * errors (1/sqrt(n_c) a coordinate, unit variance) of its centre, and the
 * class frequencies within 4.5 binomial standard errors of 1/C. */
static void test_clusters(void **state)
{
    (void)state;
    model *m = mk("layers=2 width=3 in=2 out=3 output=softmax inputs=5 "
                  "seed=13",
                  NULL);
    size_t n = 6000, C = 3, M0 = 2;
    double sep = 2.5, mu[6];
    gsl_rng *g = ss_rng_alloc();
    ss_rng_seed(g, 13, SS_STREAM_LIAO, 1);
    for (size_t i = 0; i < C * M0; i++)
        mu[i] = sep * gsl_ran_gaussian_ziggurat(g, 1.0);
    for (uint64_t seed = 1; seed <= 2; seed++) {
        gsl_matrix *X = gsl_matrix_alloc(n, M0 + 1);
        ss_rng_seed(g, seed, SS_STREAM_TEST, 0);
        assert_int_equal(dnn_clusters(m, sep, g, X), SS_OK);
        double sum[6] = {0}, cnt[3] = {0};
        for (size_t i = 0; i < n; i++) {
            double c = gsl_matrix_get(X, i, M0);
            assert_true(c == 0 || c == 1 || c == 2);
            cnt[(size_t)c]++;
            for (size_t j = 0; j < M0; j++)
                sum[(size_t)c * M0 + j] += gsl_matrix_get(X, i, j);
        }
        for (size_t c = 0; c < C; c++) {
            double p = 1.0 / (double)C;
            assert_true(fabs(cnt[c] / (double)n - p) <=
                        4.5 * sqrt(p * (1 - p) / (double)n));
            for (size_t j = 0; j < M0; j++)
                assert_true(fabs(sum[c * M0 + j] / cnt[c] - mu[c * M0 + j]) <=
                            4.5 / sqrt(cnt[c]));
        }
        gsl_matrix_free(X);
    }
    ss_rng_free(g);
    /* a regression network has no classes */
    model *r = mk("layers=2 width=3 in=2 out=1 inputs=5 seed=1", NULL);
    gsl_matrix *X = gsl_matrix_alloc(4, 3);
    g = ss_rng_alloc();
    assert_int_equal(dnn_clusters(r, 1, g, X), SS_ERR_USAGE);
    ss_rng_free(g);
    gsl_matrix_free(X);
    model_free(r);
    model_free(m);
}

/* dnn_batch_gram against the explicit B x P scores: K = S S^T (to 1e-12
 * of its largest entry: sums of order-1 products in two orders), the
 * summed scores and the terms, for regression with biases, softmax and
 * param=ntk. */
static void check_batch_gram(const char *args)
{
    model *m = mk(args, NULL);
    size_t B = 7, P = m->P;
    gsl_matrix *X = draw(m, B, 9);
    gsl_matrix *S = gsl_matrix_alloc(B, P), *K = gsl_matrix_alloc(B, B);
    gsl_matrix *K0 = gsl_matrix_alloc(B, B);
    double ell0[7], ell[7], *ss = malloc(P * sizeof *ss);
    assert_int_equal(m->type->loglik_terms(m, m->theta, X, ell0, S), SS_OK);
    gsl_blas_dgemm(CblasNoTrans, CblasTrans, 1.0, S, S, 0.0, K0);
    assert_int_equal(dnn_batch_gram(m, m->theta, X, K, ss, ell), SS_OK);
    double mx = 0;
    for (size_t i = 0; i < B * B; i++)
        mx = fmax(mx, fabs(K0->data[i]));
    for (size_t i = 0; i < B; i++)
        for (size_t j = 0; j < B; j++)
            if (!(fabs(gsl_matrix_get(K, i, j) - gsl_matrix_get(K0, i, j)) <=
                  1e-12 * mx))
                fail_msg("%s: K[%zu][%zu] %.15g, explicit %.15g", args, i, j,
                         gsl_matrix_get(K, i, j), gsl_matrix_get(K0, i, j));
    for (size_t p = 0; p < P; p++) {
        double g = 0, a = 0;
        for (size_t b = 0; b < B; b++) {
            g += gsl_matrix_get(S, b, p);
            a += fabs(gsl_matrix_get(S, b, p));
        }
        assert_true(fabs(ss[p] - g) <= 1e-12 * (a + 1));
    }
    for (size_t b = 0; b < B; b++)
        assert_true(fabs(ell[b] - ell0[b]) <= 1e-12 * (1 + fabs(ell0[b])));
    free(ss);
    gsl_matrix_free(S);
    gsl_matrix_free(K);
    gsl_matrix_free(K0);
    gsl_matrix_free(X);
    model_free(m);
}

static void test_batch_gram(void **state)
{
    (void)state;
    check_batch_gram("layers=3 width=4 in=3 out=2 act=tanh sb2=0.2 "
                     "inputs=20 seed=5");
    check_batch_gram("layers=2 width=5 in=2 out=3 act=erf output=softmax "
                     "sb2=0.1 inputs=20 seed=6");
    check_batch_gram("layers=3 width=6 in=2 out=1 act=relu param=ntk "
                     "sw2=2 sb2=0.1 inputs=20 seed=7");
    /* fixed parameters: refused, for the explicit route */
    model *m = mk("layers=2 width=3 in=2 out=1 inputs=5 seed=1", "b1_1");
    gsl_matrix *X = draw(m, 3, 1), *K = gsl_matrix_alloc(3, 3);
    assert_int_equal(dnn_batch_gram(m, m->theta, X, K, NULL, NULL),
                     SS_ERR_USAGE);
    gsl_matrix_free(X);
    gsl_matrix_free(K);
    model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gram_sv_equal_svd),
        cmocka_unit_test(test_per_sample_gradients_fd),
        cmocka_unit_test(test_measures_by_hand),
        cmocka_unit_test(test_measures_of_a_gram),
        cmocka_unit_test(test_critical_rate),
        cmocka_unit_test(test_sweep_threads),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_clusters),
        cmocka_unit_test(test_batch_gram),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

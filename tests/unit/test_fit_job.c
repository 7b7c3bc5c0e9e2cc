/* The fit as an iteration (infer/fit.h fit_iter): driven step by step its
 * progress runs 0, 1, ..., total (one start a step; one step for a global
 * route and for the null model); driven to the end it gives the same bits
 * as fit_run; stopped after the first start it gives the first start's
 * optimum (the same as a fit with starts=1) marked interrupted, without
 * standard errors; and the `fit` command drives it through the session
 * (progress between starts, Ctrl-C keeping the best start finished). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fixture.h"
#include "testutil.h"

#include "core/interrupt.h"
#include "infer/fit.h"
#include "model/model.h"

#include <math.h>
#include <string.h>

static model *get_model(fx *f, const char *name)
{
    ss_obj *o = session_find(f->s, name);
    assert_non_null(o);
    assert_ptr_equal(o->type, &obj_model);
    return o->ptr;
}

static const gsl_matrix *get_data(fx *f, const char *name)
{
    ss_obj *o = session_find(f->s, name);
    assert_non_null(o);
    assert_ptr_equal(o->type, &obj_data);
    return ((dataset *)o->ptr)->X;
}

static void same_bits(const double *a, const double *b, size_t n)
{
    assert_memory_equal(a, b, n * sizeof *a);
}

/* Every field of two fits, bit for bit. */
static void assert_same_fit(const fit_result *a, const fit_result *b)
{
    assert_int_equal(a->P, b->P);
    assert_int_equal(a->k, b->k);
    assert_int_equal(a->n, b->n);
    assert_string_equal(a->method, b->method);
    same_bits(a->theta, b->theta, a->P);
    same_bits(a->se, b->se, a->P);
    same_bits(a->at->theta, b->at->theta, a->P);
    same_bits(&a->loglik, &b->loglik, 1);
    same_bits(&a->aic, &b->aic, 1);
    same_bits(&a->bic, &b->bic, 1);
    same_bits(&a->mdl, &b->mdl, 1);
    same_bits(&a->start_loglik_max, &b->start_loglik_max, 1);
    same_bits(&a->scale, &b->scale, 1);
    same_bits(&a->scale_se, &b->scale_se, 1);
    assert_int_equal(a->nscale, b->nscale);
    assert_int_equal(a->have_se, b->have_se);
    assert_string_equal(a->se_why, b->se_why);
    assert_int_equal(a->starts, b->starts);
    assert_int_equal(a->starts_asked, b->starts_asked);
    assert_int_equal(a->best_start, b->best_start);
    assert_int_equal(a->converged_starts, b->converged_starts);
    assert_int_equal(a->iterations, b->iterations);
    assert_int_equal(a->converged, b->converged);
    assert_int_equal(a->interrupted, b->interrupted);
    assert_string_equal(a->why, b->why);
    assert_string_equal(a->bound, b->bound);
    assert_string_equal(a->singular, b->singular);
    assert_string_equal(a->note, b->note);
}

/* Step it by hand: before each step test() is 0 and the progress is
 * (steps so far, total); afterwards (total, total) and test() is 1.
 * Returns the total. */
static size_t step_through(fit_iter *it)
{
    size_t done, total, total0, steps = 0;
    fit_iter_progress(it, &done, &total0);
    assert_int_equal(done, 0);
    assert_true(total0 > 0);
    while (!fit_iter_test(it)) {
        fit_iter_progress(it, &done, &total);
        assert_int_equal(done, steps);
        assert_int_equal(total, total0);
        assert_int_equal(fit_iter_iterate(it), SS_OK);
        steps++;
        assert_true(steps <= total0);
    }
    fit_iter_progress(it, &done, &total);
    assert_int_equal(done, total0);
    assert_int_equal(total, total0);
    assert_int_equal(steps, total0);
    return total0;
}

static fit_result *run_fit(const model *m, const gsl_matrix *X,
                           const fit_spec *sp)
{
    fit_result *r = NULL;
    ss_status st = fit_run(m, X, sp, &r);
    if (st != SS_OK)
        print_error("fit: %s\n", ss_last_error()->msg);
    assert_int_equal(st, SS_OK);
    return r;
}

static fit_result *drive_fit(const model *m, const gsl_matrix *X,
                             const fit_spec *sp, size_t *total)
{
    fit_iter *it = NULL;
    assert_int_equal(fit_iter_alloc(m, X, sp, &it), SS_OK);
    *total = step_through(it);
    fit_result *r = NULL;
    assert_int_equal(fit_iter_take(it, 0, &r), SS_OK);
    fit_iter_free(it);
    assert_non_null(r);
    return r;
}

/* One start a step for each local route; one step for the global profile
 * route and the null model; the same bits as fit_run in every case. */
static void test_steps_and_identity(void **state)
{
    fx *f = *state;
    fx_ok(f, "model g gmm v=0.3 w1=-1 w2=1.5");
    fx_ok(f, "sample g n=600 seed=2 as d");
    fx_ok(f, "model h gmm v=0.5 w1=0 w2=0.5\nfix h w1\nbound h w2=-1..1");
    fx_ok(f, "model z gmm v=0 w1=0 w2=0\nfix z v w1 w2");
    fx_ok(f, "model a arma ar=[0.5] ma=[0.2]");
    fx_ok(f, "sample a n=300 seed=3 as x");
    fx_ok(f, "model n mlp2");
    fx_ok(f, "sample n n=200 seed=5 as y");
    static const struct {
        const char *model, *data, *method;
        size_t starts, steps;
    } cases[] = {
        {"g", "d", NULL, 12, 12},  /* em */
        {"g", "d", NULL, 0, FIT_STARTS_DEFAULT},
        {"h", "d", NULL, 7, 1},    /* profile: global, one start */
        {"h", "d", "em", 4, 4},
        {"z", "d", NULL, 9, 1},    /* nothing free */
        {"a", "x", NULL, 5, 5},    /* pacf */
        {"n", "y", NULL, 3, 3},    /* lm */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const model *m = get_model(f, cases[i].model);
        const gsl_matrix *X = get_data(f, cases[i].data);
        fit_spec sp = {.method = cases[i].method, .starts = cases[i].starts,
                       .seed = 11 + i};
        size_t total = 0;
        fit_result *a = run_fit(m, X, &sp), *b = drive_fit(m, X, &sp, &total);
        assert_int_equal(total, cases[i].steps);
        assert_false(b->interrupted);
        assert_same_fit(a, b);
        fit_result_free(a);
        fit_result_free(b);
    }
}

/* Stopped after the first start: the first start's optimum, which is
 * what a fit with starts=1 finds (start 0 is the model's point either
 * way), marked interrupted, 1 of 10 starts, no standard errors; the
 * criteria are those of that estimate. */
static void test_stop_after_first(void **state)
{
    fx *f = *state;
    fx_ok(f, "model g gmm v=0.3 w1=-1 w2=1.5");
    fx_ok(f, "sample g n=600 seed=2 as d");
    const model *m = get_model(f, "g");
    const gsl_matrix *X = get_data(f, "d");
    fit_spec one = {.starts = 1, .seed = 7}, ten = {.starts = 10, .seed = 7};
    fit_result *r1 = run_fit(m, X, &one);
    fit_iter *it = NULL;
    assert_int_equal(fit_iter_alloc(m, X, &ten, &it), SS_OK);
    assert_int_equal(fit_iter_iterate(it), SS_OK);
    size_t done, total;
    fit_iter_progress(it, &done, &total);
    assert_int_equal(done, 1);
    assert_int_equal(total, 10);
    assert_false(fit_iter_test(it));
    /* the partial result holds the first start's optimum already */
    same_bits(&fit_iter_result(it)->loglik, &r1->loglik, 1);
    fit_result *r = NULL;
    assert_int_equal(fit_iter_take(it, 1, &r), SS_OK);
    fit_iter_free(it);
    assert_non_null(r);
    assert_true(r->interrupted);
    assert_int_equal(r->starts, 1);
    assert_int_equal(r->starts_asked, 10);
    assert_int_equal(r->best_start, 0);
    same_bits(r->theta, r1->theta, r->P);
    same_bits(&r->loglik, &r1->loglik, 1);
    same_bits(&r->aic, &r1->aic, 1);
    same_bits(&r->bic, &r1->bic, 1);
    same_bits(&r->mdl, &r1->mdl, 1);
    assert_int_equal(r->iterations, r1->iterations);
    assert_false(r->have_se);
    assert_non_null(strstr(r->se_why, "interrupted"));
    assert_true(r1->have_se);
    fit_result_free(r);
    /* stopped before any start: an error, nothing handed over */
    assert_int_equal(fit_iter_alloc(m, X, &ten, &it), SS_OK);
    r = NULL;
    assert_int_equal(fit_iter_take(it, 1, &r), SS_ERR_INTERRUPTED);
    assert_null(r);
    assert_non_null(strstr(ss_last_error()->msg, "nothing was stored"));
    ss_clear_error();
    fit_iter_free(it);
    fit_result_free(r1);
}

/* The command through the session's plain driver: the progress function
 * sees 1..10 of 10 in order; raising Ctrl-C once the first start is done
 * keeps it (the stored fit is the starts=1 estimate, the report says it
 * was interrupted). */
static size_t g_seen[64], g_nseen, g_total, g_stop_at;
static char g_what[32];

static void record_progress(session *s, const char *what, size_t done,
                            size_t total)
{
    (void)s;
    if (g_nseen < sizeof g_seen / sizeof *g_seen)
        g_seen[g_nseen++] = done;
    g_total = total;
    snprintf(g_what, sizeof g_what, "%s", what);
    if (g_stop_at && done == g_stop_at)
        ss_interrupt_raise();
}

static void test_command(void **state)
{
    fx *f = *state;
    fx_ok(f, "model g gmm v=0.3 w1=-1 w2=1.5");
    fx_ok(f, "sample g n=600 seed=2 as d");
    f->s->progress = record_progress;
    g_nseen = 0;
    g_stop_at = 0;
    fx_ok(f, "fit g data=d starts=10 seed=7 as all");
    assert_int_equal(g_nseen, 10);
    for (size_t i = 0; i < 10; i++)
        assert_int_equal(g_seen[i], i + 1);
    assert_int_equal(g_total, 10);
    assert_string_equal(g_what, "fit");
    const model *m = get_model(f, "g");
    const gsl_matrix *X = get_data(f, "d");
    fit_spec ten = {.starts = 10, .seed = 7}, one = {.starts = 1, .seed = 7};
    fit_result *r10 = run_fit(m, X, &ten), *r1 = run_fit(m, X, &one);
    ss_obj *o = session_find(f->s, "all");
    assert_non_null(o);
    assert_ptr_equal(o->type, &obj_fit);
    fit_result *c = o->ptr;
    same_bits(c->theta, r10->theta, c->P);
    same_bits(&c->loglik, &r10->loglik, 1);
    assert_false(c->interrupted);
    /* Ctrl-C after the first start */
    g_nseen = 0;
    g_stop_at = 1;
    fx_ok(f, "fit g data=d starts=10 seed=7 as part");
    ss_interrupt_clear();
    g_stop_at = 0;
    assert_int_equal(g_nseen, 1);
    assert_non_null(strstr(fx_out(f), "interrupted (Ctrl-C) after 1 of 10 "
                                      "starts"));
    o = session_find(f->s, "part");
    assert_non_null(o);
    c = o->ptr;
    assert_true(c->interrupted);
    assert_int_equal(c->starts, 1);
    same_bits(c->theta, r1->theta, c->P);
    same_bits(&c->loglik, &r1->loglik, 1);
    f->s->progress = NULL;
    fit_result_free(r10);
    fit_result_free(r1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_steps_and_identity, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_stop_after_first, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_command, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

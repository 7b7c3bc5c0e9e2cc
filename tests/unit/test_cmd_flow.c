/* The `flow` command (src/lang/cmd_flow.c) over the learning layer's
 * averaged flow: a run is stored with its records at t = 0 and at the
 * log-spaced times ending exactly at TMAX; the loss at t = 0 is the KL
 * from the teacher at the start (kl_from, an independent route); the
 * flow descends it; two runs are identical; bad input is refused at its
 * column and stores nothing. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "learn/run.h"
#include "lang/session.h"
#include "model/model.h"
#include "fixture.h"
#include "testutil.h"

#include <math.h>
#include <string.h>

static void setup_models(fx *f)
{
    fx_ok(f, "model t mlp2 w1=1 w2=1 J1=0.5 J2=2");
    fx_ok(f, "model s mlp2 w1=0.8 w2=0.8 J1=1.4 J2=1.41");
    fx_ok(f, "model a gmm");
}

static learn_run *get_run(fx *f, const char *name)
{
    learn_run *r = NULL;
    assert_int_equal(session_get(f->s, name, &obj_run, 0, (void **)&r),
                     SS_OK);
    return r;
}

static void test_flow_runs(void **state)
{
    fx *f = *state;
    setup_models(f);
    fx_ok(f, "flow s teacher=t t=1000 records=20 as r1");
    fx_ok(f, "flow s teacher=t t=1000 records=20 as r2");
    learn_run *r = get_run(f, "r1"), *q = get_run(f, "r2");
    assert_int_equal(r->n, 21);
    assert_true(r->time[0] == 0 && r->time[20] == 1000);
    for (size_t i = 1; i < r->n; i++)
        assert_true(r->time[i] > r->time[i - 1]);
    model *s, *t;
    assert_int_equal(session_get(f->s, "s", &obj_model, 0, (void **)&s),
                     SS_OK);
    assert_int_equal(session_get(f->s, "t", &obj_model, 0, (void **)&t),
                     SS_OK);
    double kl0;
    assert_int_equal(s->type->kl_from(s, s->theta, t, &kl0), SS_OK);
    assert_close(r->gen[0], kl0, 1e-12, 0);
    assert_true(r->gen[20] < r->gen[0]);
    /* GD descends L: never up by more than the integrator's error */
    for (size_t i = 1; i < r->n; i++)
        assert_true(r->gen[i] <= r->gen[i - 1] * (1 + 1e-8) + 1e-15);
    assert_memory_equal(r->theta, q->theta, r->n * r->P * sizeof(double));
    /* the model itself is not moved */
    assert_true(s->theta[0] == 0.8 && s->theta[3] == 1.41);
    assert_non_null(strstr(fx_out(f), "r2: flow gd of s"));
}

static void test_flow_refusals(void **state)
{
    fx *f = *state;
    setup_models(f);
    size_t before = f->s->nobjs;
    fx_fail(f, "flow s t=10 as r", 1, "teacher");
    fx_fail(f, "flow s teacher=t as r", 1, "t=");
    fx_fail(f, "flow s teacher=t t=0 as r", 20, "t=");
    fx_fail(f, "flow s teacher=t t=10 algo=sgd as r", 28, "algo");
    fx_fail(f, "flow s teacher=t t=10 eta=-1 as r", 27, "eta");
    fx_fail(f, "flow s teacher=nope t=10 as r", 16, "nope");
    fx_fail(f, "flow s teacher=a t=10 as r", 16, "teacher a is a gmm");
    fx_ok(f, "model s2 mlp2 d=2");
    fx_fail(f, "flow s2 teacher=t t=10 as r", 17, "data columns");
    fx_fail(f, "flow a teacher=a t=10 as r", 1, "kl_grad");
    assert_int_equal(f->s->nobjs, before + 1); /* s2 */
    assert_null(session_find(f->s, "r"));
}

int main(void)
{
    ss_gsl_install_handler();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_flow_runs, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_flow_refusals, fx_setup,
                                        fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The `portrait` command (lang/cmd_portrait.c, obj_portrait.c): bad
 * input is refused at the offending option's column and stores nothing;
 * a run stores the portrait, which show, plot and export handle. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "lang/session.h"
#include "model/model.h"
#include "fixture.h"
#include "testutil.h"

#include <string.h>

static void setup_models(fx *f)
{
    fx_ok(f, "model t mlp2 w1=1 w2=1 J1=0.5 J2=2");
    fx_ok(f, "model s mlp2 w1=0.8177 w2=0.8177 J1=1.4067 J2=1.4167");
    fx_ok(f, "model g gmm");
}

static void test_portrait_refusals(void **state)
{
    fx *f = *state;
    setup_models(f);
    size_t before = f->s->nobjs;
    /*        1234567890123456789012345678901234567890 */
    fx_fail(f, "portrait s teacher=t x=w1:0..1 y=u:0..1", 24,
            "not a blow-down coordinate");
    fx_fail(f, "portrait s teacher=t x=z:2..1 y=u:0..1", 24, "reversed");
    fx_fail(f, "portrait s teacher=t x=z:0..1 y=u:1..1", 33, "empty");
    fx_fail(f, "portrait s teacher=t x=z:0..1 y=z:0..1", 33, "both z");
    fx_fail(f, "portrait s teacher=t x=z:0..1 y=u:0..1 starts=60x60", 47,
            "2500");
    fx_fail(f, "portrait s teacher=t x=z:0..1 y=u:0..1 starts=[0, 3]", 47,
            "at least 1");
    fx_fail(f, "portrait s teacher=t x=z:0..1 y=u:0..1 starts=abc", 47,
            "WxH");
    fx_fail(f, "portrait s teacher=g x=z:0..1 y=u:0..1", 20, "gmm");
    fx_fail(f, "portrait s teacher=t y=u:0..1", 1, "x=");
    fx_fail(f, "portrait s teacher=t x=z:0..1 y=u:0..1 eta=0", 44, "eta");
    fx_fail(f, "portrait g teacher=g x=m:0..1 y=u:0..1", 1, "kl_grad");
    assert_int_equal(f->s->nobjs, before);
    assert_null(session_find(f->s, "portrait"));
}

static void test_portrait_stores(void **state)
{
    fx *f = *state;
    setup_models(f);
    fx_ok(f, "portrait s teacher=t x=z:0.6..2.2 y=u:-0.6..0.6 starts=2x2 "
             "t=1e4 as P");
    ss_obj *o = session_find(f->s, "P");
    assert_non_null(o);
    assert_ptr_equal(o->type, &obj_portrait);
    assert_non_null(strstr(fx_out(f), "P: portrait of s in (z, u)"));
    fx_ok(f, "show P");
    assert_non_null(strstr(fx_out(f), "attracting for |z| > 1"));
    fx_ok(f, "plot P width=60 height=20");
    assert_non_null(strstr(fx_out(f), "u=0 attracts |z|>1"));
    assert_non_null(strstr(fx_out(f), "u=0 repels |z|<1"));
    /* the model is not moved */
    fx_ok(f, "show s");
    assert_non_null(strstr(fx_out(f), "1.4167"));
}

int main(void)
{
    ss_gsl_install_handler();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_portrait_refusals, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_portrait_stores, fx_setup,
                                        fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* `bound` (src/lang/cmd_model.c over model_bound in src/model/model.c): a
 * user's narrower range is what every user of the bounds sees (set, fix,
 * training's clamp), it survives a clone, `bound NAME p` restores the
 * family's range, and every refusal names its column and changes
 * nothing. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "infer/fit.h"
#include "learn/run.h"
#include "lang/session.h"
#include "model/model.h"
#include "fixture.h"
#include "testutil.h"

#include <math.h>
#include <string.h>

static model *get_model(fx *f, const char *name)
{
    model *m = NULL;
    assert_int_equal(session_get(f->s, name, &obj_model, 0, (void **)&m),
                     SS_OK);
    return m;
}

static void test_bound_narrows(void **state)
{
    fx *f = *state;
    fx_ok(f, "model g gmm v=0.5 w1=0 w2=0.5");
    fx_ok(f, "bound g w2=-1..1");
    model *g = get_model(f, "g");
    assert_true(model_is_bounded(g, 2));
    assert_true(model_param_lo(g, 2) == -1 && model_param_hi(g, 2) == 1);
    assert_true(isinf(model_family_lo(g, 2)) && model_family_lo(g, 2) < 0);
    assert_false(model_is_bounded(g, 1));
    /* set and fix now keep w2 inside, and say where */
    fx_fail(f, "set g w2=1.5", 7, "outside its range [-1, 1]");
    fx_fail(f, "fix g w2=-2", 7, "outside its range [-1, 1]");
    fx_ok(f, "set g w2=0.9");
    /* a clone (what train and the estimators work on) keeps the bound */
    model *c = model_clone(g);
    assert_non_null(c);
    assert_true(model_param_lo(c, 2) == -1 && model_param_hi(c, 2) == 1);
    model_free(c);
    /* show marks it with the family's range */
    fx_ok(f, "show g");
    assert_non_null(strstr(fx_out(f), "[-1, 1] (bound; family [-inf, inf])"));
    /* restoring */
    fx_ok(f, "bound g w2");
    assert_false(model_is_bounded(g, 2));
    fx_ok(f, "set g w2=1.5");
}

static void test_bound_refusals(void **state)
{
    fx *f = *state;
    fx_ok(f, "model g gmm v=0.5 w1=0 w2=0.5");
    fx_fail(f, "bound g", 1, "needs a parameter");
    fx_fail(f, "bound g v=0.2..2", 11, "family's range [0, 1]");
    fx_fail(f, "bound g w2=2..3", 12, "w2 = 0.5 lies outside 2..3");
    fx_fail(f, "bound g w2=1..1", 12, "empty");
    fx_fail(f, "bound g nope=1..2", 9, "no parameter 'nope'");
    fx_fail(f, "bound g w2=3", 12, "takes a range");
    fx_fail(f, "bound h w2=0..1", 7, "h");
    /* all or nothing: the first is fine, the second is not */
    fx_fail(f, "bound g w1=-1..1 w2=5..6", 21, "lies outside");
    model *g = get_model(f, "g");
    assert_false(model_is_bounded(g, 1));
    assert_false(model_is_bounded(g, 2));
}

/* Training's clamp reads the bounds: with v bounded to [0.4, 0.6], gd on
 * data drawn at v = 0.9 (the means fixed at the truth) pushes v up to 0.6
 * and no further; without the bound it passes 0.6. */
static void test_bound_clamps_training(void **state)
{
    fx *f = *state;
    fx_ok(f, "model t gmm v=0.9 w1=0 w2=2");
    fx_ok(f, "sample t n=2000 seed=4 as d");
    fx_ok(f, "model g gmm v=0.5 w1=0 w2=2");
    fx_ok(f, "fix g w1 w2");
    fx_ok(f, "train g algo=gd data=d eta=0.5 steps=300 as free_run");
    fx_ok(f, "bound g v=0.4..0.6");
    fx_ok(f, "train g algo=gd data=d eta=0.5 steps=300 as r");
    learn_run *a = NULL, *b = NULL;
    assert_int_equal(session_get(f->s, "free_run", &obj_run, 0,
                                 (void **)&a), SS_OK);
    assert_int_equal(session_get(f->s, "r", &obj_run, 0, (void **)&b),
                     SS_OK);
    assert_true(a->theta[(a->n - 1) * a->P] > 0.6);
    for (size_t j = 0; j < b->n; j++)
        assert_true(b->theta[j * b->P] <= 0.6);
    assert_true(b->theta[(b->n - 1) * b->P] == 0.6);
}

/* A fit respects the bound: the data's second mean is 2.5, the bound
 * stops w2 at 1, and the constrained optimum there is the fit with w2
 * fixed at 1 (the same v and log-likelihood: an independent route to the
 * boundary optimum, since the unconstrained one lies beyond it). */
static void test_bound_fit(void **state)
{
    fx *f = *state;
    fx_ok(f, "model t gmm v=0.5 w1=0 w2=2.5");
    fx_ok(f, "sample t n=2000 seed=3 as d");
    fx_ok(f, "model m gmm v=0.5 w1=0 w2=0.5");
    fx_ok(f, "fix m w1");
    fx_ok(f, "bound m w2=-1..1");
    fx_ok(f, "fit m data=d as fb");
    fx_ok(f, "model m2 gmm v=0.5 w1=0 w2=1");
    fx_ok(f, "fix m2 w1 w2");
    fx_ok(f, "fit m2 data=d as ff");
    fit_result *a = NULL, *b = NULL;
    assert_int_equal(session_get(f->s, "fb", &obj_fit, 0, (void **)&a),
                     SS_OK);
    assert_int_equal(session_get(f->s, "ff", &obj_fit, 0, (void **)&b),
                     SS_OK);
    assert_true(a->theta[2] == 1);
    assert_close(a->theta[0], b->theta[0], 1e-7, 0);
    assert_close(a->loglik, b->loglik, 1e-12, 0);
}

int main(void)
{
    ss_gsl_install_handler();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bound_narrows, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_bound_refusals, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_bound_clamps_training,
                                        fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_bound_fit, fx_setup,
                                        fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The trajectory record of a learning run (src/learn/run.c): records
 * grow past the first allocation, the blow-down coordinates are the
 * perceptron's w = w1 + w2, z = (w1 - w2)/(w1 + w2), v, u = J2 - J1
 * (computed here by hand), undefined (NaN) where w1 + w2 = 0, the
 * distance to the overlap set is 0 on it, and spectra are kept only on
 * every eig_every-th record. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "learn/run.h"
#include "testutil.h"

#include <string.h>

static model *mlp2_d1(void)
{
    const model_type *t = model_type_find("mlp2");
    assert_non_null(t);
    model *m = NULL;
    assert_int_equal(model_alloc(t, NULL, 0, &m), SS_OK);
    return m;
}

static void test_records_and_coords(void **state)
{
    (void)state;
    model *m = mlp2_d1();
    assert_int_equal(m->P, 4); /* w1, w2, J1, J2 */
    learn_run *r = learn_run_alloc(m, 2, 2, 3);
    assert_non_null(r);
    assert_int_equal(r->ncoords, 4);
    size_t overlap = SIZE_MAX;
    for (size_t k = 0; k < r->nsets; k++)
        if (strstr(r->snames[k], "J1 = J2"))
            overlap = k;
    assert_true(overlap != SIZE_MAX);
    double eig[2] = {1.5, 0.25};
    for (size_t i = 0; i < 10; i++) {
        double w1 = 0.3 + 0.1 * (double)i, w2 = 0.5, J1 = 0.7,
               J2 = 0.7 + 0.05 * (double)i;
        double th[4] = {w1, w2, J1, J2};
        assert_int_equal(learn_run_record(r, m, (double)i, th, 0.1 * i,
                                          NAN, eig),
                         SS_OK);
    }
    assert_int_equal(r->n, 10);
    for (size_t i = 0; i < 10; i++) {
        const double *th = r->theta + i * 4, *c = r->coords + i * 4;
        double w = th[0] + th[1];
        assert_close(r->time[i], (double)i, 0, 0);
        assert_close(c[0], w, 1e-15, 0);
        assert_close(c[1], (th[0] - th[1]) / w, 1e-14, 1e-16);
        assert_close(c[2], (th[0] * th[2] + th[1] * th[3]) / w, 1e-14, 0);
        assert_close(c[3], th[3] - th[2], 1e-14, 1e-16);
        double d = r->dist[i * r->nsets + overlap];
        if (i == 0)
            assert_close(d, 0.0, 0, 1e-15);
        else
            assert_true(d > 0);
        assert_int_equal(learn_run_has_eig(r, i), i % 3 == 0);
        const double *e = r->eig + i * 2;
        if (i % 3 == 0)
            assert_true(e[0] == 1.5 && e[1] == 0.25);
        else
            assert_true(isnan(e[0]) && isnan(e[1]));
    }
    assert_int_equal(learn_run_nearest(r, 0), overlap);
    /* the chart is undefined at w1 + w2 = 0: NaN, and the record kept */
    double bad[4] = {0.5, -0.5, 0.1, 0.2};
    assert_int_equal(learn_run_record(r, m, 10, bad, NAN, NAN, NULL),
                     SS_OK);
    assert_true(isnan(r->coords[10 * 4 + 1]));
    assert_int_equal(ss_last_error()->code, SS_OK);
    learn_run_free(r);
    model_free(m);
}

int main(void)
{
    ss_gsl_install_handler();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_records_and_coords),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

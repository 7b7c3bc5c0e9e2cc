/* Population design optimisation (design/popopt.h) against theory:
 *  - the classical compartmental design: eta(t) = th3 (e^{-th1 t} -
 *    e^{-th2 t}), th = (0.05884, 4.298, 21.80), constant variance. As pk1
 *    (oral, param=k, dose 1, F 1, no random effects, known residual) the
 *    same curve has K = th1, KA = th2, V = KA / (th3 (KA - K)): a
 *    reparametrisation, under which D-optimal designs do not change. Its
 *    locally D-optimal design (Atkinson, Chaloner, Herzberg & Juritz 1993)
 *    has support 0.2288, 1.3886, 18.417 with weights 1/3, and max d = 3;
 *  - the warfarin design over all 56 three-point subsets of its 8 times:
 *    the equivalence theorem checked by recomputing every candidate's
 *    sensitivity tr(M^-1 mu) from popfim_design here, and the efficiency
 *    of the start from determinants computed here;
 *  - the refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "design/popopt.h"
#include "model/pop.h"
#include "testutil.h"

#include <gsl/gsl_linalg.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static pop_design *one_group(const double *t, size_t n, double size)
{
    size_t off[2] = {0, n};
    pop_design *d;
    assert_int_equal(pd_alloc(1, off, t, &size, NULL, &d, NULL, NULL),
                     SS_OK);
    return d;
}

static void test_atkinson(void **state)
{
    (void)state;
    double K = 0.05884, KA = 4.298, th3 = 21.80;
    char txt[256];
    snprintf(txt, sizeof txt,
             "route=oral param=k dose=1 K=%.17g KA=%.17g V=%.17g F=1 "
             "omega=[0,0,0] error=add sigma2=1",
             K, KA, KA / (th3 * (KA - K)));
    model *m = tu_model(&model_pk1_type, txt);
    for (const char *const *f = (const char *const[]){"F", "om_K", "om_V",
                                                      "om_KA", "sig2_add",
                                                      NULL};
         *f; f++)
        m->is_free[model_param_index(m, *f)] = 0;
    double t1 = 1;
    pop_design *d = one_group(&t1, 1, 1);
    popopt_spec sp;
    memset(&sp, 0, sizeof sp);
    sp.crit = OD_D;
    sp.refine = OD_OVER_BOTH;
    sp.lo = 0;
    sp.hi = 60;
    sp.grid = 601;
    popopt_result r;
    assert_int_equal(popopt_run(m, d, &sp, &r), SS_OK);
    assert_int_equal(r.design->ngroups, 3);
    static const double want[3] = {0.2288, 1.3886, 18.417};
    for (int i = 0; i < 3; i++) {
        /* published to 4-5 digits */
        assert_close_msg(r.design->g[i].t[0], want[i], 2e-4, 0, "support");
        assert_close_msg(r.design->g[i].size, 1.0 / 3, 1e-6, 0, "weight");
    }
    assert_close(r.maxd, 3, 1e-6, 0);
    assert_close(r.bound, 3, 1e-12, 0);
    /* the curve never exceeds 3 and touches it at the support */
    for (size_t i = 0; i < r.ncurve; i++)
        assert_true(r.cd[i] <= 3 * (1 + 1e-6));
    for (size_t i = 0; i < r.nsupport; i++)
        assert_close(r.sd[i], 3, 1e-6, 0);
    assert_true(r.converged);
    popopt_result_free(&r);
    pd_free(d);
    model_free(m);
}

/* tr(A^-1 B) through LU */
static double tr_inv(const gsl_matrix *A, const gsl_matrix *B)
{
    size_t k = A->size1;
    gsl_matrix *LU = gsl_matrix_alloc(k, k), *X = gsl_matrix_alloc(k, k);
    gsl_permutation *p = gsl_permutation_alloc(k);
    int sg;
    gsl_matrix_memcpy(LU, A);
    gsl_linalg_LU_decomp(LU, p, &sg);
    double tr = 0;
    for (size_t j = 0; j < k; j++) {
        gsl_vector_const_view b = gsl_matrix_const_column(B, j);
        gsl_vector_view x = gsl_matrix_column(X, j);
        gsl_linalg_LU_solve(LU, p, &b.vector, &x.vector);
        tr += gsl_matrix_get(X, j, j);
    }
    gsl_permutation_free(p);
    gsl_matrix_free(LU);
    gsl_matrix_free(X);
    return tr;
}

static double lndet(const gsl_matrix *A)
{
    size_t k = A->size1;
    gsl_matrix *LU = gsl_matrix_alloc(k, k);
    gsl_permutation *p = gsl_permutation_alloc(k);
    int sg;
    gsl_matrix_memcpy(LU, A);
    gsl_linalg_LU_decomp(LU, p, &sg);
    double v = gsl_linalg_LU_lndet(LU);
    gsl_permutation_free(p);
    gsl_matrix_free(LU);
    return v;
}

static void test_warfarin_subsets(void **state)
{
    (void)state;
    model *m = tu_model(&model_pk1_type,
                        "route=oral dose=70 CL=0.15 V=8 KA=1 F=1 "
                        "omega=[0.07,0.02,0.6] error=prop sigma2=0.01");
    m->is_free[3] = 0;
    static const double wt[8] = {0.5, 1, 2, 6, 24, 36, 72, 120};
    double t3[3] = {0.5, 2, 24};
    pop_design *d = one_group(t3, 3, 32);
    popopt_spec sp;
    memset(&sp, 0, sizeof sp);
    sp.crit = OD_D;
    sp.lo = 0.5;
    sp.hi = 120;
    sp.times = wt;
    sp.ntimes = 8;
    popopt_result r;
    assert_int_equal(popopt_run(m, d, &sp, &r), SS_OK);
    assert_int_equal(r.ncand, 56);
    size_t idx[16], k = model_free_indices(m, idx);
    assert_int_equal(k, 7);
    /* M(xi*) per subject from the returned design, here */
    gsl_matrix *M = gsl_matrix_alloc(k, k), *mu = gsl_matrix_alloc(k, k);
    popfim_opts fo = {POPFIM_FO, 0, 0, 0};
    assert_int_equal(popfim_design(m, m->theta, r.design, &fo, idx, k, M),
                     SS_OK);
    gsl_matrix_scale(M, 1.0 / 32);
    /* every candidate: d = tr(M^-1 mu(x)) <= 7, and the support at 7 */
    double dmax = 0;
    for (int a = 0; a < 8; a++)
        for (int b = a + 1; b < 8; b++)
            for (int c = b + 1; c < 8; c++) {
                double x[3] = {wt[a], wt[b], wt[c]};
                pop_design *dx = one_group(x, 3, 1);
                assert_int_equal(
                    popfim_design(m, m->theta, dx, &fo, idx, k, mu), SS_OK);
                dmax = fmax(dmax, tr_inv(M, mu));
                pd_free(dx);
            }
    print_message("max d over the 56 candidates: %.9g\n", dmax);
    assert_true(dmax <= 7 * (1 + 1e-5));
    double wsum = 0, wd = 0;
    for (size_t g = 0; g < r.design->ngroups; g++) {
        pop_design *dx = one_group(r.design->g[g].t, 3, 1);
        assert_int_equal(popfim_design(m, m->theta, dx, &fo, idx, k, mu),
                         SS_OK);
        double w = r.design->g[g].size / 32;
        wsum += w;
        wd += w * tr_inv(M, mu);
        pd_free(dx);
    }
    assert_close(wsum, 1, 1e-12, 0);
    assert_close(wd, 7, 1e-9, 0); /* sum w d = tr(M^-1 M) = p */
    /* the efficiency of the start, from determinants */
    gsl_matrix *M0 = gsl_matrix_alloc(k, k);
    assert_int_equal(popfim_design(m, m->theta, d, &fo, idx, k, M0), SS_OK);
    gsl_matrix_scale(M0, 1.0 / 32);
    double eff = exp((lndet(M0) - lndet(M)) / 7);
    assert_close(r.eff, eff, 1e-9, 0);
    assert_true(r.eff < 1);
    assert_close(r.value, lndet(M), 1e-9, 0);
    gsl_matrix_free(M0);
    gsl_matrix_free(M);
    gsl_matrix_free(mu);
    popopt_result_free(&r);
    pd_free(d);
    model_free(m);
}

static void test_refusals(void **state)
{
    (void)state;
    model *m = tu_model(&model_pk1_type, "route=oral");
    m->is_free[3] = 0;
    popopt_spec sp;
    memset(&sp, 0, sizeof sp);
    sp.crit = OD_D;
    sp.lo = 0.5;
    sp.hi = 24;
    popopt_result r;
    /* groups of different lengths */
    size_t off[3] = {0, 2, 5};
    double t[5] = {1, 2, 1, 4, 8}, size[2] = {10, 10};
    pop_design *d;
    assert_int_equal(pd_alloc(2, off, t, size, NULL, &d, NULL, NULL), SS_OK);
    assert_int_equal(popopt_run(m, d, &sp, &r), SS_ERR_USAGE);
    assert_non_null(strstr(ss_last_error()->msg, "has 3 times"));
    pd_free(d);
    /* with F free only F/V enters: every design is singular, and the
     * refusal names the lost direction in F and V */
    d = one_group(t, 2, 10);
    double ct[4] = {1, 2, 4, 8};
    sp.times = ct;
    sp.ntimes = 4;
    m->is_free[3] = 1;
    ss_status rc = popopt_run(m, d, &sp, &r);
    print_message("%s\n", ss_last_error()->msg);
    assert_int_equal(rc, SS_ERR_RANGE);
    assert_non_null(strstr(ss_last_error()->msg, "singular"));
    assert_non_null(strstr(ss_last_error()->msg, " F"));
    m->is_free[3] = 0;
    /* too few candidate times */
    sp.ntimes = 1;
    assert_int_equal(popopt_run(m, d, &sp, &r), SS_ERR_USAGE);
    pd_free(d);
    model_free(m);
}

int main(void)
{
    ss_gsl_install_handler(); /* as the program: GSL errors are codes */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_atkinson),
        cmocka_unit_test(test_warfarin_subsets),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

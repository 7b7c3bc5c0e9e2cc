/* Population FIMs (design/popfim.h) against independent routes:
 *  - fo and fo-full: the Hessian, by finite differences of function values
 *    only, of KL(N(mu0, V0) || N(mu(alpha), V(alpha))) for the linearised
 *    model, whose V is built from derivatives in eta taken by central
 *    differences of the concentration (not from the family's gradient);
 *    that Hessian is the Gaussian model's FIM;
 *  - quad: closed-form moments where they exist (an IV bolus observed at
 *    t = 0 with a random effect on V: y = D/(V e^eta) + e, so
 *    E y = D/V e^{w/2}, Var y = (D/V)^2 (e^{2w} - e^w) + s2);
 *  - mc against quad (the same moments by another integration);
 *  - the flip-flop point, the rank bound and the refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "design/popfim.h"
#include "model/pop.h"
#include "testutil.h"

#include <gsl/gsl_blas.h>
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_linalg.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static const double warf_t[8] = {0.5, 1, 2, 6, 24, 36, 72, 120};

static model *warfarin(void)
{
    model *m = tu_model(&model_pk1_type,
                        "route=oral dose=70 CL=0.15 V=8 KA=1 F=1 "
                        "omega=[0.07,0.02,0.6] error=prop sigma2=0.01");
    m->is_free[3] = 0; /* F */
    return m;
}

/* ---- the linearised model from function values --------------------------*/

typedef struct {
    const model *m;
    const double *t;
    size_t n;
    int full;              /* V follows the fixed effects */
    const double *theta0;  /* the point (reduced: V's fixed effects) */
} lin_model;

static void lin_moments(const lin_model *L, const double *theta, double *mu,
                        double *V)
{
    const pop_spec *sp = pop_spec_of(L->m);
    size_t n = L->n, q = sp->neta, np = sp->npsi;
    double f[16], fp[16], fm[16], Z[16 * POP_MAX_ETA], psi[POP_MAX_PSI];
    assert_int_equal(sp->predict(L->m, theta, NAN, L->t, n, f, NULL), SS_OK);
    memcpy(mu, f, n * sizeof *mu);
    const double *vb = L->full ? theta : L->theta0; /* V's fixed effects */
    double fv[16];
    assert_int_equal(sp->predict(L->m, vb, NAN, L->t, n, fv, NULL), SS_OK);
    /* Z_k = df/deta_k at eta = 0: central differences, step 1e-4 (error
     * ~1e-8 relative, smooth in theta) */
    double h = 1e-4;
    for (size_t k = 0; k < q; k++) {
        memcpy(psi, vb, np * sizeof *psi);
        psi[sp->eta_psi[k]] = vb[sp->eta_psi[k]] * exp(h);
        assert_int_equal(sp->predict(L->m, psi, NAN, L->t, n, fp, NULL),
                         SS_OK);
        psi[sp->eta_psi[k]] = vb[sp->eta_psi[k]] * exp(-h);
        assert_int_equal(sp->predict(L->m, psi, NAN, L->t, n, fm, NULL),
                         SS_OK);
        for (size_t j = 0; j < n; j++)
            Z[j * q + k] = (fp[j] - fm[j]) / (2 * h);
    }
    double om[POP_MAX_ETA * POP_MAX_ETA], sp2, sa2;
    pop_omega(sp, theta, om);
    pop_sigma2(sp, theta, &sp2, &sa2);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            double v = 0;
            for (size_t k = 0; k < q; k++)
                for (size_t l = 0; l < q; l++)
                    v += Z[i * q + k] * om[k * q + l] * Z[j * q + l];
            if (i == j)
                v += sa2 + sp2 * fv[i] * fv[i];
            V[i * n + j] = v;
        }
}

/* KL(N(mu0, V0) || N(mu, V)) */
static double lin_kl(const lin_model *L, const double *theta)
{
    size_t n = L->n;
    double mu0[16], V0[256], mu[16], V[256], W[256];
    lin_moments(L, L->theta0, mu0, V0);
    lin_moments(L, theta, mu, V);
    gsl_matrix_view Vv = gsl_matrix_view_array(V, n, n);
    gsl_matrix_view V0v = gsl_matrix_view_array(V0, n, n);
    gsl_linalg_cholesky_decomp1(&Vv.matrix);
    double ld = 0, ld0 = 0, quad = 0, tr = 0;
    for (size_t i = 0; i < n; i++)
        ld += 2 * log(gsl_matrix_get(&Vv.matrix, i, i));
    memcpy(W, V0, sizeof W);
    gsl_matrix_view Wv = gsl_matrix_view_array(W, n, n);
    gsl_linalg_cholesky_decomp1(&Wv.matrix);
    for (size_t i = 0; i < n; i++)
        ld0 += 2 * log(gsl_matrix_get(&Wv.matrix, i, i));
    double d[16], col[16];
    for (size_t i = 0; i < n; i++)
        d[i] = mu[i] - mu0[i];
    gsl_vector_view dv = gsl_vector_view_array(d, n);
    memcpy(col, d, n * sizeof *col);
    gsl_vector_view cv = gsl_vector_view_array(col, n);
    gsl_linalg_cholesky_svx(&Vv.matrix, &cv.vector);
    gsl_blas_ddot(&dv.vector, &cv.vector, &quad);
    for (size_t c = 0; c < n; c++) {
        for (size_t r = 0; r < n; r++)
            col[r] = gsl_matrix_get(&V0v.matrix, r, c);
        gsl_linalg_cholesky_svx(&Vv.matrix, &cv.vector);
        tr += col[c];
    }
    return 0.5 * (tr + quad - (double)n + ld - ld0);
}

/* The Hessian of KL at theta0 over the parameters idx: the FIM. Steps
 * 1e-3 of each value: truncation ~1e-6 relative, rounding (KL a
 * difference of O(n) terms) ~1e-15 n / 1e-6 ~ 1e-8 in the scaled entry. */
static void kl_hessian(const lin_model *L, const size_t *idx, size_t k,
                       gsl_matrix *H)
{
    size_t P = L->m->P;
    double th[64];
    for (size_t a = 0; a < k; a++)
        for (size_t b = 0; b <= a; b++) {
            size_t ia = idx[a], ib = idx[b];
            double ha = 1e-3 * fabs(L->theta0[ia]);
            double hb = 1e-3 * fabs(L->theta0[ib]);
            double s = 0;
            for (int sa = -1; sa <= 1; sa += 2)
                for (int sb = -1; sb <= 1; sb += 2) {
                    memcpy(th, L->theta0, P * sizeof *th);
                    th[ia] += sa * ha;
                    th[ib] += sb * hb;
                    s += sa * sb * lin_kl(L, th);
                }
            double v = s / (4 * ha * hb);
            gsl_matrix_set(H, a, b, v);
            gsl_matrix_set(H, b, a, v);
        }
}

/* max over entries of |A - B| after scaling by the values, against the
 * largest scaled entry of B */
static double scaled_diff(const gsl_matrix *A, const gsl_matrix *B,
                          const double *val)
{
    double dmax = 0, bmax = 0;
    for (size_t i = 0; i < A->size1; i++)
        for (size_t j = 0; j < A->size2; j++) {
            double s = fabs(val[i] * val[j]);
            dmax = fmax(dmax, s * fabs(gsl_matrix_get(A, i, j) -
                                       gsl_matrix_get(B, i, j)));
            bmax = fmax(bmax, s * fabs(gsl_matrix_get(B, i, j)));
        }
    return dmax / bmax;
}

static void check_fo_against_kl(model *m, const double *t, size_t n,
                                int full)
{
    size_t idx[64], k = model_free_indices(m, idx);
    gsl_matrix *M = gsl_matrix_alloc(k, k), *H = gsl_matrix_alloc(k, k);
    popfim_opts o = {full ? POPFIM_FO_FULL : POPFIM_FO, 0, 0, 0};
    size_t off[2] = {0, n};
    double size = 1;
    pop_design *d;
    assert_int_equal(pd_alloc(1, off, t, &size, NULL, &d, NULL, NULL),
                     SS_OK);
    assert_int_equal(popfim_design(m, m->theta, d, &o, idx, k, M), SS_OK);
    lin_model L = {m, t, n, full, m->theta};
    kl_hessian(&L, idx, k, H);
    double val[64] = {0};
    for (size_t i = 0; i < k; i++)
        val[i] = m->theta[idx[i]];
    double e = scaled_diff(M, H, val);
    if (!(e < 2e-5))
        fail_msg("%s %s: scaled difference %.3g from the KL Hessian",
                 m->type->name, full ? "fo-full" : "fo", e);
    /* reduced: the blocks between fixed effects and variances are 0 */
    const pop_spec *sp = pop_spec_of(m);
    if (!full)
        for (size_t i = 0; i < k; i++)
            for (size_t j = 0; j < k; j++)
                if ((idx[i] < sp->npsi) != (idx[j] < sp->npsi))
                    assert_true(gsl_matrix_get(M, i, j) == 0.0);
    pd_free(d);
    gsl_matrix_free(M);
    gsl_matrix_free(H);
}

static void test_fo_warfarin_kl(void **state)
{
    (void)state;
    model *m = warfarin();
    check_fo_against_kl(m, warf_t, 8, 0);
    check_fo_against_kl(m, warf_t, 8, 1);
    model_free(m);
}

/* other routes, error models, scales and a full Omega */
static void test_fo_variants_kl(void **state)
{
    (void)state;
    static const char *const cases[] = {
        "route=bolus dose=100 CL=2 V=20 omega=[0.1,0.05] error=add "
        "sigma2=0.5",
        "route=infusion tinf=2 dose=100 CL=2 V=20 omega=[0.1,0.05] "
        "error=comb sigma2=[0.02,0.3]",
        "route=oral param=k K=0.1 V=10 KA=0.8 F=1 scale=sd "
        "omega=[0.3,0.2,0.5] error=comb sigma=[0.1,0.5]",
        "route=oral cov=full CL=1 V=10 KA=2 F=1 "
        "omega=[0.1,0.03,0.08,0.01,-0.02,0.3] error=prop sigma2=0.02",
        "route=oral doses=3 tau=12 CL=1 V=10 KA=2 F=1 error=prop",
        "route=bolus steady=yes tau=12 CL=1 V=10 error=add sigma2=0.1",
    };
    static const double t[6] = {0.5, 1.5, 3, 6, 9, 11.5};
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        model *m = tu_model(&model_pk1_type, cases[c]);
        int f = model_param_index(m, "F");
        if (f >= 0)
            m->is_free[f] = 0;
        print_message("case %zu: %s\n", c, cases[c]);
        check_fo_against_kl(m, t, 6, 0);
        check_fo_against_kl(m, t, 6, 1);
        model_free(m);
    }
}

/* the two-compartment family through the same route */
static void test_fo_pk2_kl(void **state)
{
    (void)state;
    static const char *const cases[] = {
        "route=oral CL=1 V1=10 Q=2 V2=30 KA=1.5 F=1 error=prop",
        "route=bolus dose=100 CL=2 V1=10 Q=1 V2=20 error=comb "
        "sigma2=[0.02,0.1]",
        "route=infusion tinf=1 dose=100 param=k K=0.2 V1=10 Q=1 V2=20 "
        "scale=sd error=add sigma=0.3",
    };
    static const double t[6] = {0.25, 1, 2, 5, 8, 11.5};
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        model *m = tu_model(&model_pk2_type, cases[c]);
        int f = model_param_index(m, "F");
        if (f >= 0)
            m->is_free[f] = 0;
        print_message("pk2 case %zu: %s\n", c, cases[c]);
        check_fo_against_kl(m, t, 6, 0);
        check_fo_against_kl(m, t, 6, 1);
        model_free(m);
    }
}

/* pk2 with Q = 0 is the one-compartment model: the fixed-effect rows of
 * CL and V1 of its FO FIM equal pk1's for CL and V, and V2's vanish */
static void test_pk2_q0_is_pk1(void **state)
{
    (void)state;
    model *m1 = tu_model(&model_pk1_type, "route=bolus dose=100 CL=2 V=10 "
                                          "omega=[0.1,0.05] error=add "
                                          "sigma2=0.1");
    model *m2 = tu_model(&model_pk2_type,
                         "route=bolus dose=100 CL=2 V1=10 Q=0 V2=5 "
                         "omega=[0.1,0.05,0.1,0.1] error=add sigma2=0.1");
    static const double t[4] = {0.5, 1, 4, 8};
    size_t off[2] = {0, 4};
    double size = 10;
    pop_design *d;
    assert_int_equal(pd_alloc(1, off, t, &size, NULL, &d, NULL, NULL),
                     SS_OK);
    popfim_opts o = {POPFIM_FO, 0, 0, 0};
    size_t i1[2] = {0, 1}, i2[3] = {0, 1, 3};
    gsl_matrix *M1 = gsl_matrix_alloc(2, 2), *M2 = gsl_matrix_alloc(3, 3);
    assert_int_equal(popfim_design(m1, m1->theta, d, &o, i1, 2, M1), SS_OK);
    assert_int_equal(popfim_design(m2, m2->theta, d, &o, i2, 3, M2), SS_OK);
    for (int a = 0; a < 2; a++) {
        for (int b = 0; b < 2; b++)
            assert_close(gsl_matrix_get(M2, a, b), gsl_matrix_get(M1, a, b),
                         1e-11, 0);
        assert_true(fabs(gsl_matrix_get(M2, a, 2)) <=
                    1e-12 * gsl_matrix_get(M2, a, a));
    }
    assert_true(fabs(gsl_matrix_get(M2, 2, 2)) <= 1e-20);
    gsl_matrix_free(M1);
    gsl_matrix_free(M2);
    pd_free(d);
    model_free(m1);
    model_free(m2);
}

/* An IV bolus observed at t = 0: the concentration D/V_i does not depend
 * on CL, and with the random effect on V, y = (D/V) e^{-eta} + e, so
 * E y = c e^{w/2}, Var y = c^2 (e^{2w} - e^w) + s2 (c = D/V); the FIM of one
 * normal observation is mu_a mu_b / v + v_a v_b / (2 v^2). FO: mu = c,
 * v = c^2 w + s2. */
static void test_bolus_t0_closed_form(void **state)
{
    (void)state;
    model *m = tu_model(&model_pk1_type, "route=bolus dose=100 CL=2 V=20 "
                                         "omega=[0.1,0.3] error=add "
                                         "sigma2=0.4");
    /* free: V, om_V, sig2_add (CL and om_CL do not enter at t = 0) */
    size_t idx[3] = {1, 3, 4};
    double c = 100.0 / 20.0, w = 0.3, s2 = 0.4, V = 20;
    double t0 = 0.0;
    pop_design *d;
    size_t off[2] = {0, 1};
    double size = 1;
    assert_int_equal(pd_alloc(1, off, &t0, &size, NULL, &d, NULL, NULL),
                     SS_OK);
    gsl_matrix *M = gsl_matrix_alloc(3, 3);
    for (int method = 0; method < 2; method++) {
        double mu, v, dmu[3], dv[3];
        if (method == 0) { /* fo */
            mu = c;
            v = c * c * w + s2;
            dmu[0] = -c / V, dmu[1] = 0, dmu[2] = 0;
            dv[0] = 0 /* reduced */, dv[1] = c * c, dv[2] = 1;
        } else { /* exact moments */
            mu = c * exp(w / 2);
            v = c * c * (exp(2 * w) - exp(w)) + s2;
            dmu[0] = -mu / V, dmu[1] = mu / 2, dmu[2] = 0;
            dv[0] = -2 * (v - s2) / V;
            dv[1] = c * c * (2 * exp(2 * w) - exp(w)), dv[2] = 1;
        }
        popfim_opts o = {method == 0 ? POPFIM_FO : POPFIM_QUAD, 12, 0, 0};
        assert_int_equal(popfim_design(m, m->theta, d, &o, idx, 3, M),
                         SS_OK);
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < 3; b++) {
                double want = dmu[a] * dmu[b] / v +
                              dv[a] * dv[b] / (2 * v * v);
                if (method == 0 && (a == 0) != (b == 0))
                    want = 0; /* reduced: no cross block */
                /* quad: 12 Hermite nodes integrate e^{-eta} to 1e-12;
                 * the derivatives are central differences, ~1e-8 */
                assert_close_msg(gsl_matrix_get(M, a, b), want,
                                 method ? 1e-6 : 1e-12,
                                 method ? 1e-9 : 1e-15, "bolus t=0 M");
            }
    }
    gsl_matrix_free(M);
    pd_free(d);
    model_free(m);
}

/* mc estimates the same moments as quad: with 2^16 draws they agree to
 * the Monte-Carlo error (a few 1/sqrt(N), here 2%) */
static void test_mc_against_quad(void **state)
{
    (void)state;
    model *m = warfarin();
    size_t idx[64], k = model_free_indices(m, idx);
    gsl_matrix *Mq = gsl_matrix_alloc(k, k), *Mm = gsl_matrix_alloc(k, k);
    size_t off[2] = {0, 8};
    double size = 32;
    pop_design *d;
    assert_int_equal(pd_alloc(1, off, warf_t, &size, NULL, &d, NULL, NULL),
                     SS_OK);
    popfim_opts q = {POPFIM_QUAD, 10, 0, 0}, mc = {POPFIM_MC, 0, 1 << 16, 7};
    assert_int_equal(popfim_design(m, m->theta, d, &q, idx, k, Mq), SS_OK);
    assert_int_equal(popfim_design(m, m->theta, d, &mc, idx, k, Mm), SS_OK);
    double val[64] = {0};
    for (size_t i = 0; i < k; i++)
        val[i] = m->theta[idx[i]];
    double e = scaled_diff(Mm, Mq, val);
    print_message("mc vs quad: scaled difference %.3g\n", e);
    assert_true(e < 0.03);
    /* and the RSEs to 3% */
    double sq[64], sm[64];
    char names[64][MODEL_NAME_MAX];
    for (size_t i = 0; i < k; i++)
        snprintf(names[i], MODEL_NAME_MAX, "%s", MODEL_PNAME(m, idx[i]));
    assert_int_equal(popfim_se(Mq, names, sq), SS_OK);
    assert_int_equal(popfim_se(Mm, names, sm), SS_OK);
    for (size_t i = 0; i < k; i++)
        assert_close_msg(sm[i], sq[i], 0.03, 0, "mc vs quad se");
    /* quad converges in the number of nodes */
    popfim_opts q2 = {POPFIM_QUAD, 14, 0, 0};
    gsl_matrix *M2 = gsl_matrix_alloc(k, k);
    assert_int_equal(popfim_design(m, m->theta, d, &q2, idx, k, M2), SS_OK);
    print_message("quad 10 vs 14 nodes: %.3g\n", scaled_diff(Mq, M2, val));
    assert_true(scaled_diff(Mq, M2, val) < 1e-3);
    gsl_matrix_free(M2);
    gsl_matrix_free(Mq);
    gsl_matrix_free(Mm);
    pd_free(d);
    model_free(m);
}

/* se = sqrt(diag M^-1) against GSL's LU inverse of the unscaled matrix */
static void test_se_inverse(void **state)
{
    (void)state;
    model *m = warfarin();
    size_t idx[64], k = model_free_indices(m, idx);
    gsl_matrix *M = gsl_matrix_alloc(k, k), *C = gsl_matrix_alloc(k, k);
    size_t off[2] = {0, 8};
    double size = 32;
    pop_design *d;
    assert_int_equal(pd_alloc(1, off, warf_t, &size, NULL, &d, NULL, NULL),
                     SS_OK);
    popfim_opts o = {POPFIM_FO, 0, 0, 0};
    assert_int_equal(popfim_design(m, m->theta, d, &o, idx, k, M), SS_OK);
    gsl_matrix *LU = gsl_matrix_alloc(k, k);
    gsl_matrix_memcpy(LU, M);
    gsl_permutation *p = gsl_permutation_alloc(k);
    int sg;
    gsl_linalg_LU_decomp(LU, p, &sg);
    gsl_linalg_LU_invert(LU, p, C);
    double se[64];
    char names[64][MODEL_NAME_MAX];
    for (size_t i = 0; i < k; i++)
        snprintf(names[i], MODEL_NAME_MAX, "%s", MODEL_PNAME(m, idx[i]));
    assert_int_equal(popfim_se(M, names, se), SS_OK);
    for (size_t i = 0; i < k; i++)
        assert_close_msg(se[i], sqrt(gsl_matrix_get(C, i, i)), 1e-9, 0,
                         "se");
    /* 32 subjects: the total is 32 times one subject's */
    gsl_matrix *M1 = gsl_matrix_alloc(k, k);
    size = 1;
    pop_design *d1;
    assert_int_equal(pd_alloc(1, off, warf_t, &size, NULL, &d1, NULL, NULL),
                     SS_OK);
    assert_int_equal(popfim_design(m, m->theta, d1, &o, idx, k, M1), SS_OK);
    for (size_t i = 0; i < k; i++)
        for (size_t j = 0; j < k; j++)
            assert_close(gsl_matrix_get(M, i, j),
                         32 * gsl_matrix_get(M1, i, j), 1e-14, 0);
    pd_free(d1);
    gsl_matrix_free(M1);
    gsl_permutation_free(p);
    gsl_matrix_free(LU);
    gsl_matrix_free(M);
    gsl_matrix_free(C);
    pd_free(d);
    model_free(m);
}

/* smallest eigenvalue of the Jacobi-scaled fixed-effects block */
static double lambda_min_scaled(const gsl_matrix *M)
{
    size_t k = M->size1;
    gsl_matrix *A = gsl_matrix_alloc(k, k);
    for (size_t i = 0; i < k; i++)
        for (size_t j = 0; j < k; j++)
            gsl_matrix_set(A, i, j,
                           gsl_matrix_get(M, i, j) /
                               sqrt(gsl_matrix_get(M, i, i) *
                                    gsl_matrix_get(M, j, j)));
    gsl_vector *ev = gsl_vector_alloc(k);
    gsl_eigen_symm_workspace *w = gsl_eigen_symm_alloc(k);
    gsl_eigen_symm(A, ev, w);
    double l = gsl_vector_min(ev);
    gsl_eigen_symm_free(w);
    gsl_vector_free(ev);
    gsl_matrix_free(A);
    return l;
}

/* At KA = ke the curve's gradient in (CL, V, KA) loses rank (the two
 * branches of the flip-flop meet), so the fixed-effects block of the FO
 * FIM, F^T V^-1 F, has lambda_min ~ (KA - ke)^2: a tenth of the distance
 * gives a hundredth of lambda_min. */
static void test_flipflop_rank(void **state)
{
    (void)state;
    double lam[3];
    double delta[3] = {1e-1, 1e-2, 1e-3};
    for (int i = 0; i < 3; i++) {
        char txt[256];
        snprintf(txt, sizeof txt,
                 "route=oral CL=1 V=10 KA=%.17g F=1 omega=[0.1,0.1,0.1] "
                 "error=add sigma2=0.01",
                 0.1 * (1 + delta[i]));
        model *m = tu_model(&model_pk1_type, txt);
        size_t idx[3] = {0, 1, 2};
        gsl_matrix *M = gsl_matrix_alloc(3, 3);
        size_t off[2] = {0, 6};
        double t[6] = {1, 3, 6, 12, 24, 48}, size = 1;
        pop_design *d;
        assert_int_equal(pd_alloc(1, off, t, &size, NULL, &d, NULL, NULL),
                         SS_OK);
        popfim_opts o = {POPFIM_FO, 0, 0, 0};
        assert_int_equal(popfim_design(m, m->theta, d, &o, idx, 3, M),
                         SS_OK);
        lam[i] = lambda_min_scaled(M);
        pd_free(d);
        gsl_matrix_free(M);
        model_free(m);
    }
    print_message("lambda_min: %.4g %.4g %.4g\n", lam[0], lam[1], lam[2]);
    assert_close(lam[1] / lam[2], 100, 0.05, 0);
    assert_close(lam[0] / lam[1], 100, 0.2, 0);
}

/* Fewer samples than parameters: one time per subject cannot give a
 * regular 7-parameter FIM; the refusal names the lost directions. And a
 * proportional error at t = 0 of an oral dose has zero variance. */
static void test_rank_bound_and_refusals(void **state)
{
    (void)state;
    model *m = warfarin();
    size_t idx[64], k = model_free_indices(m, idx);
    gsl_matrix *M = gsl_matrix_alloc(k, k);
    double t1[2] = {2, 24}, size = 32;
    size_t off[2] = {0, 2};
    pop_design *d;
    assert_int_equal(pd_alloc(1, off, t1, &size, NULL, &d, NULL, NULL),
                     SS_OK);
    popfim_opts o = {POPFIM_FO, 0, 0, 0};
    assert_int_equal(popfim_design(m, m->theta, d, &o, idx, k, M), SS_OK);
    char names[64][MODEL_NAME_MAX], buf[512];
    for (size_t i = 0; i < k; i++)
        snprintf(names[i], MODEL_NAME_MAX, "%s", MODEL_PNAME(m, idx[i]));
    size_t rank = popfim_lost(M, names, buf, sizeof buf);
    print_message("two times: rank %zu, lost %s\n", rank, buf);
    assert_true(rank < k);
    double se[64] = {-1};
    assert_int_equal(popfim_se(M, names, se), SS_ERR_NUMERIC);
    assert_non_null(strstr(ss_last_error()->msg, "singular"));
    assert_true(se[0] == -1); /* nothing written */
    pd_free(d);
    double t0[2] = {0, 2};
    assert_int_equal(pd_alloc(1, off, t0, &size, NULL, &d, NULL, NULL),
                     SS_OK);
    assert_int_equal(popfim_design(m, m->theta, d, &o, idx, k, M),
                     SS_ERR_RANGE);
    assert_non_null(strstr(ss_last_error()->msg, "zero variance"));
    pd_free(d);
    /* bad designs */
    double tb[3] = {1, 0.5, 2};
    size_t off3[2] = {0, 3}, bg, bt;
    assert_int_equal(pd_alloc(1, off3, tb, &size, NULL, &d, &bg, &bt),
                     SS_ERR_USAGE);
    assert_true(bg == 1 && bt == 2);
    double tn[3] = {-1, 0.5, 2};
    assert_int_equal(pd_alloc(1, off3, tn, &size, NULL, &d, &bg, &bt),
                     SS_ERR_RANGE);
    double z = 0;
    assert_int_equal(pd_alloc(1, off3, warf_t, &z, NULL, &d, &bg, &bt),
                     SS_ERR_RANGE);
    assert_non_null(strstr(ss_last_error()->msg, "positive size"));
    gsl_matrix_free(M);
    model_free(m);
}

/* The job: quad takes P + 1 steps a group (the moments, then one
 * difference per parameter), fo one; progress counts them; the total
 * equals popfim_design's; an unfinished job keeps nothing. */
static void test_job_steps(void **state)
{
    (void)state;
    model *m = warfarin();
    size_t idx[64], k = model_free_indices(m, idx);
    size_t off[3] = {0, 3, 6};
    double t[6] = {0.5, 2, 24, 1, 6, 72}, size[2] = {10, 22};
    pop_design *d;
    assert_int_equal(pd_alloc(2, off, t, size, NULL, &d, NULL, NULL), SS_OK);
    for (int meth = 0; meth < 2; meth++) {
        popfim_opts o = {meth ? POPFIM_QUAD : POPFIM_FO, 5, 0, 0};
        popfim_job *j;
        assert_int_equal(popfim_job_start(m, m->theta, d, &o, idx, k, &j),
                         SS_OK);
        size_t steps = 0, done, total;
        popfim_job_progress(j, &done, &total);
        assert_int_equal(done, 0);
        assert_int_equal(total, meth ? 2 * (m->P + 1) : 2);
        while (!popfim_job_done(j)) {
            assert_int_equal(popfim_job_step(j), SS_OK);
            steps++;
            popfim_job_progress(j, &done, &total);
            assert_int_equal(done, steps);
        }
        assert_int_equal(steps, total);
        gsl_matrix *M = gsl_matrix_alloc(k, k), *M2 = gsl_matrix_alloc(k, k);
        assert_int_equal(popfim_job_finish(j, M), SS_OK);
        assert_int_equal(popfim_design(m, m->theta, d, &o, idx, k, M2),
                         SS_OK);
        for (size_t a = 0; a < k; a++)
            for (size_t b = 0; b < k; b++)
                assert_true(gsl_matrix_get(M, a, b) ==
                            gsl_matrix_get(M2, a, b));
        /* stopped after one step: refused, nothing written */
        assert_int_equal(popfim_job_start(m, m->theta, d, &o, idx, k, &j),
                         SS_OK);
        assert_int_equal(popfim_job_step(j), SS_OK);
        gsl_matrix_set_all(M, -1);
        assert_int_equal(popfim_job_finish(j, M), SS_ERR_INTERRUPTED);
        assert_true(gsl_matrix_get(M, 0, 0) == -1);
        gsl_matrix_free(M);
        gsl_matrix_free(M2);
    }
    pd_free(d);
    model_free(m);
}

/* Omega not positive semi-definite is refused at creation */
static void test_omega_psd(void **state)
{
    (void)state;
    model *m = NULL;
    assert_int_equal(tu_model_try(&model_pk1_type,
                                  "route=bolus cov=full omega=[0.1,0.5,0.1]",
                                  &m),
                     SS_ERR_RANGE);
    assert_null(m);
    assert_non_null(strstr(ss_last_error()->msg, "positive semi-definite"));
}

int main(void)
{
    ss_gsl_install_handler(); /* as the program: GSL errors are codes */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fo_warfarin_kl),
        cmocka_unit_test(test_fo_variants_kl),
        cmocka_unit_test(test_fo_pk2_kl),
        cmocka_unit_test(test_pk2_q0_is_pk1),
        cmocka_unit_test(test_bolus_t0_closed_form),
        cmocka_unit_test(test_mc_against_quad),
        cmocka_unit_test(test_se_inverse),
        cmocka_unit_test(test_flipflop_rank),
        cmocka_unit_test(test_rank_bound_and_refusals),
        cmocka_unit_test(test_job_steps),
        cmocka_unit_test(test_omega_psd),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

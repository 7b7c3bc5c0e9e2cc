/* The forms of a FIM result against independent routes: the Gram dual's
 * spectrum against GSL's eigenvalues of S^T S/n formed here from the
 * family's scores; the block-diagonal spectrum against GSL's eigenvalues
 * of the exact FIM with its off-block entries zeroed here, and its log det
 * against per-block Cholesky factorisations; every refusal stores and
 * prints nothing and leaves a stored result as it was. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "fim/estimator.h"
#include "fim/spectrum.h"
#include "fixture.h"
#include "lang/results.h"
#include "testutil.h"

#include <gsl/gsl_blas.h>
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_sort_vector.h>
#include <math.h>
#include <string.h>

static void *stored(fx *f, const char *name)
{
    ss_obj *o = session_find(f->s, name);
    assert_non_null(o);
    return o->ptr;
}

/* GSL's eigenvalues of the symmetric A (copied), descending. */
static gsl_vector *gsl_eigs(const gsl_matrix *A)
{
    size_t n = A->size1;
    gsl_matrix *B = gsl_matrix_alloc(n, n);
    gsl_vector *ev = gsl_vector_alloc(n);
    gsl_eigen_symm_workspace *w = gsl_eigen_symm_alloc(n);
    gsl_matrix_memcpy(B, A);
    assert_int_equal(gsl_eigen_symm(B, ev, w), GSL_SUCCESS);
    gsl_sort_vector(ev);
    gsl_vector_reverse(ev);
    gsl_eigen_symm_free(w);
    gsl_matrix_free(B);
    return ev;
}

/* ---- the Gram dual ---------------------------------------------------- */

/* mlp2 d = 16 (k = 34) on n rows: the Gram form's eigenvalues are the
 * non-zero eigenvalues of G = S^T S / n, computed here by GSL from the
 * family's own scores; with n < k the other k - n are zero (G's dense
 * eigenvalues beyond n are at its floor). */
static void gram_case(fx *f, size_t n)
{
    char line[160];
    snprintf(line, sizeof line, "sample m n=%zu seed=11 as D", n);
    fx_ok_quiet(f, line);
    fx_ok_quiet(f, "fim m method=empirical data=D form=gram as F");
    const model *m = stored(f, "m");
    const dataset *d = stored(f, "D");
    const fim_result *F = stored(f, "F");
    size_t k = m->P;
    assert_int_equal(k, 34);
    assert_int_equal(F->form, FIM_FORM_GRAM);
    assert_null(F->G);
    assert_non_null(F->K);
    assert_int_equal(F->K->size1, n);

    /* S (n x k) from loglik_terms, G = S^T S / n by BLAS */
    gsl_matrix *S = gsl_matrix_alloc(n, k), *G = gsl_matrix_alloc(k, k);
    double *ell = malloc(n * sizeof *ell);
    assert_int_equal(m->type->loglik_terms(m, m->theta, d->X, ell, S), SS_OK);
    gsl_blas_dgemm(CblasTrans, CblasNoTrans, 1.0 / (double)n, S, S, 0.0, G);
    gsl_vector *want = gsl_eigs(G);
    double lmax = gsl_vector_get(want, 0);
    double dense_floor = 8.0 * GSL_DBL_EPSILON * (double)k * lmax;

    spec_result *sp;
    assert_int_equal(spec_analyze(F, SPEC_DEFAULT_TOL, &sp), SS_OK);
    size_t m_nz = n < k ? n : k;
    assert_int_equal(sp->neval, m_nz);
    assert_int_equal(sp->nzero, k - m_nz);
    assert_true(sp->from_gram);
    assert_null(sp->evec);
    for (size_t j = 0; j < m_nz; j++) {
        double got = gsl_vector_get(sp->eval, j), w = gsl_vector_get(want, j);
        /* relative 1e-10, plus the two routes' floors for the ones near
         * them */
        assert_close_msg(got, w, 1e-10, dense_floor + sp->floor, "eigenvalue");
    }
    /* what G has beyond the Gram dual's is zero up to its floor */
    for (size_t j = m_nz; j < k; j++)
        assert_true(fabs(gsl_vector_get(want, j)) <= dense_floor);
    if (n < k) {
        assert_true(sp->rank <= n);
        assert_true(sp->logdet == -INFINITY && isinf(sp->cond));
    } else {
        double ld = 0;
        for (size_t j = 0; j < k; j++)
            ld += log(gsl_vector_get(want, j));
        assert_close(sp->logdet, ld, 1e-10, 0);
    }
    spec_result_free(sp);
    gsl_vector_free(want);
    gsl_matrix_free(S);
    gsl_matrix_free(G);
    free(ell);
}

static void test_gram_spectrum(void **state)
{
    fx *f = *state;
    fx_ok_quiet(f, "model m mlp2 d=16");
    /* a generic point: every input weight non-zero */
    fx_ok_quiet(f, "set m w1=0.9 w2=-0.7 "
                   "J1=[0.3,-0.2,0.5,0.1,-0.4,0.6,0.2,-0.3,0.1,0.4,-0.1,0.2,"
                   "-0.5,0.3,0.2,-0.2] "
                   "J2=[-0.4,0.3,0.1,0.5,0.2,-0.3,0.4,0.1,-0.2,0.3,0.5,-0.4,"
                   "0.2,0.1,-0.3,0.4]");
    gram_case(f, 10);
    gram_case(f, 100);
}

/* form=auto: Gram when the data has fewer rows than free parameters,
 * dense otherwise; and the Gram form's show and eig say what is stored. */
static void test_gram_auto(void **state)
{
    fx *f = *state;
    fx_ok_quiet(f, "model m mlp2 d=16");
    fx_ok_quiet(f, "sample m n=10 seed=1 as D10");
    fx_ok_quiet(f, "sample m n=34 seed=1 as D34");
    fx_ok(f, "fim m method=empirical data=D10 as A");
    assert_non_null(strstr(fx_out(f), "only K = S S^T/n (10 x 10"));
    assert_int_equal(((fim_result *)stored(f, "A"))->form, FIM_FORM_GRAM);
    fx_ok_quiet(f, "fim m method=empirical data=D34 as B");
    assert_int_equal(((fim_result *)stored(f, "B"))->form, FIM_FORM_DENSE);
    assert_non_null(((fim_result *)stored(f, "B"))->G);
    fx_ok(f, "eig A");
    /* 34 - 10 zero eigenvalues, and why log det is -inf */
    assert_non_null(strstr(fx_out(f), "and 24 eigenvalues exactly 0"));
    assert_non_null(strstr(fx_out(f), "log det -inf: det G = 0"));
    /* a stored Gram form copies whole (eig works on a copy) */
    fx_ok_quiet(f, "eig A as E");
    const eig_obj *e = stored(f, "E");
    assert_int_equal(e->fim->form, FIM_FORM_GRAM);
    assert_int_equal(e->spec->neval, 10);
}

/* ---- the block-diagonal approximation -------------------------------- */

/* Block of parameter i of mlp2 as the test sees it: unit 1 is w1 and the
 * J1 components, unit 2 w2 and J2 (by name). */
static int unit_of(const char *name)
{
    return strcmp(name, "w1") == 0 || strncmp(name, "J1", 2) == 0 ? 0 : 1;
}

static void block_case(fx *f, const char *model_line, int mlp2)
{
    fx_ok_quiet(f, model_line);
    fx_ok_quiet(f, "fim m as X");
    fx_ok_quiet(f, "fim m method=block as B");
    const fim_result *X = stored(f, "X"), *B = stored(f, "B");
    size_t k = X->k;
    assert_int_equal(B->form, FIM_FORM_BLOCK);
    assert_int_equal(B->nblocks, mlp2 ? 2 : 1);
    /* the exact FIM with the entries between units zeroed, here */
    gsl_matrix *Z = gsl_matrix_alloc(k, k);
    gsl_matrix_memcpy(Z, X->G);
    for (size_t a = 0; mlp2 && a < k; a++)
        for (size_t b = 0; b < k; b++)
            if (unit_of(X->names[a]) != unit_of(X->names[b]))
                gsl_matrix_set(Z, a, b, 0.0);
    gsl_vector *want = gsl_eigs(Z);
    double lmax = gsl_vector_get(want, 0);
    spec_result *sp;
    assert_int_equal(spec_analyze(B, SPEC_DEFAULT_TOL, &sp), SS_OK);
    assert_int_equal(sp->neval, k);
    assert_int_equal(sp->nblocks, B->nblocks);
    for (size_t j = 0; j < k; j++)
        assert_close_msg(gsl_vector_get(sp->eval, j),
                         gsl_vector_get(want, j), 1e-10,
                         8.0 * GSL_DBL_EPSILON * (double)k * lmax,
                         "block eigenvalue");
    /* eigenvectors: unit length, zero outside their block */
    for (size_t j = 0; j < k; j++) {
        int u = -1;
        double nrm = 0;
        for (size_t i = 0; i < k; i++) {
            double v = gsl_matrix_get(sp->evec, i, j);
            nrm += v * v;
            if (v != 0.0) {
                if (u < 0)
                    u = unit_of(X->names[i]);
                else if (mlp2)
                    assert_int_equal(unit_of(X->names[i]), u);
            }
        }
        assert_close(nrm, 1.0, 1e-12, 0);
    }
    /* log det: the sum of per-block Cholesky log dets, here */
    double ld = 0;
    for (int u = 0; u < (mlp2 ? 2 : 1); u++) {
        size_t pos[64], n = 0;
        for (size_t a = 0; a < k; a++)
            if (!mlp2 || unit_of(X->names[a]) == u)
                pos[n++] = a;
        gsl_matrix *C = gsl_matrix_alloc(n, n);
        for (size_t r = 0; r < n; r++)
            for (size_t q = 0; q < n; q++)
                gsl_matrix_set(C, r, q, gsl_matrix_get(X->G, pos[r], pos[q]));
        assert_int_equal(gsl_linalg_cholesky_decomp1(C), GSL_SUCCESS);
        for (size_t r = 0; r < n; r++)
            ld += 2.0 * log(gsl_matrix_get(C, r, r));
        gsl_matrix_free(C);
    }
    assert_close(sp->logdet, ld, 1e-10, 0);
    spec_result_free(sp);
    gsl_vector_free(want);
    gsl_matrix_free(Z);
}

static void test_block_spectrum(void **state)
{
    fx *f = *state;
    /* d = 2: the exact route has a root factor (blocks by SVD) */
    block_case(f, "model m mlp2 d=2 w1=0.8 w2=-0.6 J1=[1,0.3] J2=[-0.4,0.9]",
               1);
    /* d = 5: erf closed form, no root factor (blocks by the eigensolver) */
    block_case(f, "model m mlp2 d=5 w1=1.1 w2=0.4 J1=[0.5,-0.2,0.3,0.1,0.7] "
                  "J2=[-0.3,0.6,0.2,-0.5,0.1]",
               1);
    /* tanh d = 1 */
    block_case(f, "model m mlp2 act=tanh w1=0.7 w2=-1.2 J1=0.9 J2=-0.4", 1);
    /* gmm declares no blocks: one block, the exact FIM */
    block_case(f, "model m gmm v=0.3 w1=0.2 w2=1", 0);
    fx_ok(f, "fim m method=block");
    assert_non_null(strstr(fx_out(f), "the approximation is the exact FIM"));
}

/* Fixed parameters leave their block: blocks over the free ones only. */
static void test_block_free_only(void **state)
{
    fx *f = *state;
    fx_ok_quiet(f, "model m mlp2 d=2 w1=0.8 w2=-0.6 J1=[1,0.3] J2=[-0.4,0.9]");
    fx_ok_quiet(f, "fix m w1 J1_2");
    fx_ok_quiet(f, "fim m method=block as B");
    const fim_result *B = stored(f, "B");
    assert_int_equal(B->k, 4);
    assert_int_equal(B->nblocks, 2);
    assert_int_equal(B->blocks[0].n, 1); /* J1_1 */
    assert_int_equal(B->blocks[1].n, 3); /* w2, J2_1, J2_2 */
    fx_ok_quiet(f, "fix m w2 J2");
    fx_ok_quiet(f, "fim m method=block as C");
    assert_int_equal(((fim_result *)stored(f, "C"))->nblocks, 1);
}

/* ---- refusals ------------------------------------------------------------ */

static void test_refusals(void **state)
{
    fx *f = *state;
    fx_ok_quiet(f, "model m mlp2 d=2");
    fx_ok_quiet(f, "sample m n=4 seed=2 as D");
    fx_ok_quiet(f, "fim m method=empirical data=D as F");
    const fim_result *F = stored(f, "F");
    fim_result *keep = fim_result_copy(F);
    /* the observed information is not a Gram matrix */
    fx_fail(f, "fim m method=observed data=D form=gram as F", 35,
            "the observed information is minus a mean Hessian");
    fx_fail(f, "eig m method=observed data=D form=gram", 35,
            "no Gram dual (form=gram applies to method=empirical)");
    /* nor the exact, Monte-Carlo or block FIMs */
    fx_fail(f, "fim m form=gram as F", 12,
            "the exact FIM is not computed from score rows");
    fx_fail(f, "fim m method=block form=gram as F", 25,
            "the block FIM is not computed from score rows");
    fx_fail(f, "fim m method=mc n=100 form=gram as F", 28, "mc FIM");
    fx_fail(f, "fim m method=empirical data=D form=sparse as F", 36,
            "unknown form 'sparse' (auto, dense, gram)");
    /* path and the scans keep G: form= is not theirs */
    fx_fail(f, "path m w1: 1 -> 0 form=gram", 19, "unknown option 'form'");
    /* a Gram form has no matrix to draw */
    fx_fail(f, "plot F", 1, "stores only K = S S^T/n");
    /* a Gram form too large to keep */
    fx_ok_quiet(f, "model g gmm");
    fx_ok_quiet(f, "sample g n=12000 seed=1 as Big");
    fx_fail(f, "fim g method=empirical data=Big form=gram as F", 1,
            "more than the 1.07 GB allowed): use form=dense");
    /* F is still the Gram form it was */
    F = stored(f, "F");
    assert_int_equal(F->form, FIM_FORM_GRAM);
    assert_int_equal(F->K->size1, keep->K->size1);
    assert_memory_equal(F->K->data, keep->K->data,
                        keep->K->size1 * keep->K->size1 * sizeof(double));
    fim_result_free(keep);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_gram_spectrum, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_gram_auto, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_block_spectrum, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_block_free_only, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_refusals, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

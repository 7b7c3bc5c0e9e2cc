/* Replicate tables (core/reptable.h), the replicates of a sampled FIM
 * (fim/repfim.h) and the `replicate` command. The expectations come from
 * hand computation and from theory: the empirical FIM is an unbiased mean
 * of n i.i.d. score products, so over replicates its entries have mean
 * I[a][b] (the exact FIM) and SD sqrt(Var(s_a s_b) / n), with the variance
 * estimated here from a separate large sample of scores. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "fixture.h"
#include "testutil.h"

#include "core/interrupt.h"
#include "core/reptable.h"
#include "core/rng.h"
#include "fim/estimator.h"
#include "fim/repfim.h"

#include <math.h>

/* ---- summaries on known inputs ----------------------------------------- */

static void test_summary_by_hand(void **state)
{
    (void)state;
    /* 1..10 shuffled, with a NaN and an infinity that must be left out,
     * stored two apart (a column of a two-column table) */
    double v[] = {7, 0, 3, 0, NAN, 0, 10, 0, 1, 0, 5, 0, INFINITY, 0,
                  2, 0, 9, 0, 4, 0, 8, 0, 6, 0};
    rt_summary m;
    assert_int_equal(rt_summarize(v, 2, 12, &m), SS_OK);
    assert_int_equal(m.count, 10);
    assert_int_equal(m.nonfinite, 2);
    assert_close(m.mean, 5.5, 1e-15, 0);
    /* sum of squared deviations 82.5 over 9 */
    assert_close(m.sd, sqrt(82.5 / 9), 1e-15, 0);
    assert_close(m.se, sqrt(82.5 / 9) / sqrt(10), 1e-15, 0);
    /* type 7: h = 9 q; 0.45 -> 1.45, 4.5 -> 5.5, 8.55 -> 9.55 */
    assert_close(m.q05, 1.45, 1e-15, 0);
    assert_close(m.q50, 5.5, 1e-15, 0);
    assert_close(m.q95, 9.55, 1e-15, 0);
    assert_true(m.min == 1 && m.max == 10);

    /* a mean far from zero keeps its small spread: 1e9 + {-1, 0, 1} */
    double w[] = {1e9 + 1, 1e9 - 1, 1e9};
    assert_int_equal(rt_summarize(w, 1, 3, &m), SS_OK);
    assert_true(m.mean == 1e9);
    assert_close(m.sd, 1.0, 1e-15, 0);
    assert_true(m.q50 == 1e9);

    /* one value: no spread; none: nothing */
    double one = 4;
    assert_int_equal(rt_summarize(&one, 1, 1, &m), SS_OK);
    assert_true(m.mean == 4 && m.q05 == 4 && m.q95 == 4 && isnan(m.sd) &&
                isnan(m.se));
    double none[] = {NAN, -INFINITY};
    assert_int_equal(rt_summarize(none, 1, 2, &m), SS_OK);
    assert_int_equal(m.count, 0);
    assert_true(isnan(m.mean) && isnan(m.q50) && isnan(m.min));
}

static void test_entry_columns(void **state)
{
    (void)state;
    /* k = 3: (0,0) (0,1) (0,2) (1,1) (1,2) (2,2) */
    size_t want[3][3] = {{0, 1, 2}, {0, 3, 4}, {0, 0, 5}};
    for (size_t a = 0; a < 3; a++)
        for (size_t b = a; b < 3; b++)
            assert_int_equal(repfim_entry_col(3, a, b), want[a][b]);
}

/* ---- the empirical FIM against theory ------------------------------------- */

static const reptable *table_of(fx *f, const char *name)
{
    ss_obj *o = session_find(f->s, name);
    assert_non_null(o);
    assert_ptr_equal(o->type, &obj_reptable);
    return o->ptr;
}

static void test_empirical_matches_theory(void **state)
{
    fx *f = *state;
    fx_ok(f, "model g gmm v=0.3 w1=0 w2=1.5");
    const size_t n = 400, R = 400;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "replicate g n=%zu reps=%zu seed=3 as T", n, R);
    fx_ok(f, cmd);
    const reptable *t = table_of(f, "T");
    assert_int_equal(t->ndone, R);
    assert_false(t->interrupted);
    model *m = session_find(f->s, "g")->ptr;
    size_t k = m->P; /* all free */
    /* the exact FIM, independently of the table's references */
    fim_request rq = {.method = FIM_EXACT};
    fim_result *ex;
    assert_int_equal(fim_compute(m, &rq, &ex), SS_OK);
    /* Var(s_a s_b) from a large sample of scores (a stream of its own) */
    const size_t N = 400000;
    gsl_matrix *X = gsl_matrix_alloc(N, 1), *S = gsl_matrix_alloc(N, k);
    double *ell = malloc(N * sizeof *ell);
    gsl_rng *r = ss_rng_alloc();
    ss_rng_seed(r, 12345, SS_STREAM_TEST, 0);
    assert_int_equal(m->type->sample(m, m->theta, r, X), SS_OK);
    assert_int_equal(m->type->loglik_terms(m, m->theta, X, ell, S), SS_OK);
    for (size_t a = 0; a < k; a++)
        for (size_t b = a; b < k; b++) {
            long double s1 = 0, s2 = 0;
            for (size_t i = 0; i < N; i++) {
                double y = gsl_matrix_get(S, i, a) * gsl_matrix_get(S, i, b);
                s1 += y;
                s2 += (long double)y * y;
            }
            double mu = (double)(s1 / N);
            double var = (double)(s2 / N) - mu * mu;
            double sd_theory = sqrt(var / (double)n);
            size_t c = repfim_entry_col(k, a, b);
            rt_summary sm;
            assert_int_equal(reptable_summary(t, c, &sm), SS_OK);
            double I = gsl_matrix_get(ex->G, a, b);
            /* the reference is the exact FIM */
            assert_close_msg(t->ref[c], I, 1e-12, 1e-15, t->colnames[c]);
            /* unbiased: the mean within 4 standard errors */
            if (fabs(sm.mean - I) > 4 * sm.se)
                fail_msg("%s: mean %.6g, exact %.6g, se %.3g",
                         t->colnames[c], sm.mean, I, sm.se);
            /* the spread: the SD of an SD over R replicates is about
             * sd / sqrt(2 (R - 1)) (5% here); 4 of those, plus the
             * theory's own sampling error */
            if (fabs(sm.sd / sd_theory - 1) > 0.2)
                fail_msg("%s: SD over replicates %.6g, theory %.6g",
                         t->colnames[c], sm.sd, sd_theory);
        }
    ss_rng_free(r);
    free(ell);
    gsl_matrix_free(X);
    gsl_matrix_free(S);
    fim_result_free(ex);
}

/* ---- the same bits on any number of threads ------------------------------ */

static void test_threads_identical(void **state)
{
    fx *f = *state;
    fx_ok(f, "model g gmm v=0.3 w1=0 w2=1.5");
    fx_ok(f, "replicate g n=300 reps=37 seed=9 threads=1 as A");
    fx_ok(f, "replicate g n=300 reps=37 seed=9 threads=4 as B");
    fx_ok(f, "replicate g n=300 reps=37 seed=9 threads=3 method=observed "
             "as C");
    fx_ok(f, "replicate g n=300 reps=37 seed=9 threads=1 method=observed "
             "as D");
    const reptable *a = table_of(f, "A"), *b = table_of(f, "B");
    assert_int_equal(a->ndone, 37);
    assert_int_equal(b->ndone, 37);
    assert_memory_equal(a->v, b->v, 37 * a->ncols * sizeof *a->v);
    const reptable *c = table_of(f, "C"), *d = table_of(f, "D");
    assert_memory_equal(c->v, d->v, 37 * c->ncols * sizeof *c->v);
    /* another seed gives other samples */
    fx_ok(f, "replicate g n=300 reps=37 seed=10 threads=2 as E");
    assert_memory_not_equal(a->v, table_of(f, "E")->v,
                            a->ncols * sizeof *a->v);
}

/* ---- interruption keeps the first k replicates ---------------------------- */

static void test_interrupt_keeps_prefix(void **state)
{
    fx *f = *state;
    fx_ok(f, "model g gmm v=0.3 w1=0 w2=1.5");
    fx_ok(f, "replicate g n=2000 reps=60 seed=4 threads=2 as FULL");
    const reptable *full = table_of(f, "FULL");
    model *m = session_find(f->s, "g")->ptr;
    repfim_spec sp = {.est = fim_estimator_find("empirical"), .n = 2000,
                      .nrep = 60, .seed = 4, .threads = 2};
    repfim_iter *it;
    assert_int_equal(repfim_iter_alloc(m, &sp, &it), SS_OK);
    while (repfim_iter_result(it)->ndone < 3 && !repfim_iter_test(it))
        assert_int_equal(repfim_iter_iterate(it), SS_OK);
    ss_iter si = {&repfim_iter_type, it};
    ss_iter_stop(&si);
    reptable *t;
    assert_int_equal(repfim_iter_take(it, 1, &t), SS_OK);
    repfim_iter_free(it);
    size_t k = t->ndone;
    assert_true(k >= 3 && k < 60); /* two workers stop after what they hold */
    assert_true(t->interrupted);
    assert_memory_equal(t->v, full->v, k * t->ncols * sizeof *t->v);
    for (size_t i = k * t->ncols; i < t->nrep * t->ncols; i++)
        assert_true(isnan(t->v[i]));
    reptable_free(t);

    /* Ctrl-C through the command: it stores what finished, and says so */
    ss_interrupt_raise();
    ss_status rc = fx_run(f, "replicate g n=2000 reps=60 seed=4 as P");
    ss_interrupt_clear();
    /* a Ctrl-C pending at the start runs nothing: nothing is stored */
    assert_int_equal(rc, SS_ERR_INTERRUPTED);
    assert_null(session_find(f->s, "P"));
}

/* ---- export: one row per replicate ---------------------------------------- */

static char *slurp(const char *path)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    fclose(fp);
    buf[n] = 0;
    return buf;
}

static void test_export_rows(void **state)
{
    fx *f = *state;
    /* on the singular set w1 = w2 the mixture does not depend on v: its
     * score is 0, so G[v,v] = 0 exactly, G is singular and log det is
     * -inf in every replicate: an empty cell, left out of the summary */
    fx_ok(f, "model s gmm v=0.3 w1=0.5 w2=0.5");
    fx_ok(f, "replicate s n=50 reps=4 seed=2 threads=2 as S");
    char path[256], cmd[320];
    snprintf(path, sizeof path, "%s/s.csv", fx_dir(f));
    snprintf(cmd, sizeof cmd, "export S %s", path);
    fx_ok(f, cmd);
    const reptable *t = table_of(f, "S");
    char *got = slurp(path);
    /* the origin line, the header, then rows 1..4 */
    assert_non_null(strstr(got, "# singscope"));
    assert_non_null(strstr(got, "replicate table S"));
    assert_non_null(strstr(got, "model s (gmm) at v=0.3, w1=0.5, w2=0.5"));
    /* then what merge needs: the experiment (without threads=), its
     * fingerprint and the replicates the file holds */
    char *exp = strchr(got, '\n') + 1;
    const char *want_exp = "# experiment: replicate s n=50 reps=4 seed=2\n"
                           "# fingerprint: ";
    assert_memory_equal(exp, want_exp, strlen(want_exp));
    char *slice = strchr(exp + strlen(want_exp), '\n') + 1;
    const char *want_slice = "# replicates: 1..4 of 4\n";
    assert_memory_equal(slice, want_slice, strlen(want_slice));
    char *hdr = slice + strlen(want_slice);
    const char *want_hdr = "rep,\"G[v,v]\",\"G[v,w1]\",\"G[v,w2]\","
                           "\"G[w1,w1]\",\"G[w1,w2]\",\"G[w2,w2]\","
                           "logdet,lambda_min\n";
    assert_memory_equal(hdr, want_hdr, strlen(want_hdr));
    char *line = hdr + strlen(want_hdr);
    size_t ld = reptable_col(t, "logdet") + 1; /* after rep */
    for (size_t r = 0; r < 4; r++) {
        char *end = strchr(line, '\n');
        assert_non_null(end);
        *end = 0;
        /* fields: rep number, then the values; logdet empty */
        char *fld[16];
        size_t nf = 0;
        for (char *p = line; nf < 16;) {
            fld[nf++] = p;
            char *c = strchr(p, ',');
            if (!c)
                break;
            *c = 0;
            p = c + 1;
        }
        assert_int_equal(nf, t->ncols + 1);
        assert_int_equal(atoi(fld[0]), (int)r + 1);
        assert_string_equal(fld[ld], "");
        assert_true(isinf(reptable_at(t, r, ld - 1)));
        /* every other value reads back as the table holds it */
        for (size_t c = 0; c < t->ncols; c++)
            if (c + 1 != ld)
                assert_true(strtod(fld[c + 1], NULL) ==
                            reptable_at(t, r, c));
        line = end + 1;
    }
    assert_string_equal(line, "");
    rt_summary m;
    assert_int_equal(reptable_summary(t, ld - 1, &m), SS_OK);
    assert_int_equal(m.count, 0);
    assert_int_equal(m.nonfinite, 4);
    assert_true(reptable_at(t, 0, 0) == 0); /* G[v,v] */
}

/* ---- errors say where and change nothing ---------------------------------- */

static void test_errors(void **state)
{
    fx *f = *state;
    fx_ok(f, "model g gmm v=0.3 w1=0 w2=1.5");
    fx_ok(f, "replicate g n=100 reps=5 seed=1 as T");
    /* the session generator is left alone by a failing command */
    fx_ok(f, "seed 1");
    fx_fail(f, "replicate g n=100 reps=0 as U", 24, "reps=");
    fx_fail(f, "replicate g n=100 as U", 1, "reps=");
    fx_fail(f, "replicate g n=100 reps=3 method=exact as U", 33,
            "unknown method 'exact' (empirical, observed)");
    fx_fail(f, "replicate g n=100 reps=3", 1, "as NAME");
    fx_fail(f, "replicate nothere n=100 reps=3 as U", 11, "nothere");
    fx_fail(f, "plot T col=bogus width=60 height=12", 12,
            "no column 'bogus' in T");
    fx_fail(f, "plot T logy=yes", 8, "logy=");
    fx_fail(f, "plot T bins=0", 13, "bins=");
    fx_ok(f, "model h gmm v=0.3 w1=0 w2=1.5");
    fx_ok(f, "fix h v w1 w2");
    fx_fail(f, "replicate h n=100 reps=3 as U", 11, "free");
    uint64_t after = ss_rng_u64(f->s->rng);
    fx_ok(f, "seed 1");
    assert_true(ss_rng_u64(f->s->rng) == after);
    /* and the table is still there as it was */
    assert_int_equal(table_of(f, "T")->ndone, 5);
    fx_ok(f, "plot T col=\"w1,w2\" bins=7 width=60 height=12");
    fx_ok(f, "plot T col=\"G[v,v]\" width=60 height=12");
    fx_ok(f, "plot T col=lambda_min width=60 height=12");
}

int main(void)
{
    ss_gsl_install_handler();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_summary_by_hand),
        cmocka_unit_test(test_entry_columns),
        cmocka_unit_test_setup_teardown(test_empirical_matches_theory,
                                        fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_threads_identical, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_interrupt_keeps_prefix, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_export_rows, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_errors, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* export and sample under Ctrl-C, sampling in blocks, and the byte bound
 * on data sets (src/lang/cmd_export.c, cmd_sample in src/lang/cmd_fim.c).
 * Ctrl-C is simulated by raising the flag and running the command itself
 * (the interpreter refuses to start a statement once the flag is up). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/interrupt.h"
#include "core/rng.h"
#include "lang/commands.h"
#include "lang/interp.h"
#include "lang/parse.h"
#include "lang/session.h"
#include "model/model.h"
#include "fixture.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Run one statement's command with Ctrl-C already flagged. */
static ss_status run_interrupted(fx *f, const char *text,
                                 ss_status (*cmd)(session *, const ss_stmt *))
{
    ss_stmt_list l = {0};
    assert_int_equal(parse_line(text, &l), SS_OK);
    assert_int_equal(l.n, 1);
    ss_clear_error();
    ss_interrupt_raise();
    ss_status rc = cmd(f->s, &l.v[0]);
    ss_interrupt_clear();
    stmt_list_free(&l);
    return rc;
}

static char *slurp(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    char *buf = calloc(1, 1 << 20);
    size_t n = buf ? fread(buf, 1, (1 << 20) - 1, fp) : 0;
    (void)n;
    fclose(fp);
    return buf;
}

static int files_in(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

/* An interrupted export leaves the old file as it was and no temporary
 * file behind, and says so. */
static void test_export_interrupted(void **state)
{
    fx *f = *state;
    char path[128], cmd[200];
    snprintf(path, sizeof path, "%s/d.csv", fx_dir(f));
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("old content\n", fp);
    fclose(fp);
    fx_ok(f, "model g gmm");
    fx_ok(f, "sample g n=5000 seed=2 as d");
    snprintf(cmd, sizeof cmd, "export d \"%s\"", path);
    assert_int_equal(run_interrupted(f, cmd, cmd_export),
                     SS_ERR_INTERRUPTED);
    assert_non_null(strstr(ss_last_error()->msg, "left as it was"));
    char *got = slurp(path);
    assert_non_null(got);
    assert_string_equal(got, "old content\n");
    free(got);
    assert_int_equal(files_in(fx_dir(f)), 1);
    /* a path's two files: neither is created */
    fx_ok(f, "path g w2: 1 -> 0 steps=5");
    snprintf(cmd, sizeof cmd, "export path \"%s/p.csv\"", fx_dir(f));
    assert_int_equal(run_interrupted(f, cmd, cmd_export),
                     SS_ERR_INTERRUPTED);
    assert_int_equal(files_in(fx_dir(f)), 1);
    /* and without Ctrl-C the same export replaces it */
    snprintf(cmd, sizeof cmd, "export d \"%s\"", path);
    fx_ok(f, cmd);
    got = slurp(path);
    assert_non_null(got);
    assert_non_null(strstr(got, "\nx\n"));
    free(got);
    assert_int_equal(files_in(fx_dir(f)), 1);
}

/* Ctrl-C before the first block of a sample: nothing is stored. */
static void test_sample_interrupted(void **state)
{
    fx *f = *state;
    fx_ok(f, "model g gmm");
    size_t before = f->s->nobjs;
    assert_int_equal(run_interrupted(f, "sample g n=200000 seed=1 as d",
                                     cmd_sample),
                     SS_ERR_INTERRUPTED);
    assert_non_null(strstr(ss_last_error()->msg, "nothing was stored"));
    assert_int_equal(f->s->nobjs, before);
    assert_null(session_find(f->s, "d"));
}

/* Ctrl-C once `at` units of a job are done (the plain driver reports
 * progress between steps, as the UI's driver reads keys there). */
static size_t interrupt_at;
static void raise_after(session *s, const char *what, size_t done,
                        size_t total)
{
    (void)s, (void)what, (void)total;
    if (done >= interrupt_at)
        ss_interrupt_raise();
}

/* Ctrl-C part-way through a sample keeps the blocks drawn: the data set
 * holds the first rows of the full draw, and the command succeeds. */
static void test_sample_interrupted_keeps_blocks(void **state)
{
    fx *f = *state;
    fx_ok(f, "model g gmm v=0.3 w1=-1 w2=2");
    fx_ok(f, "sample g n=300000 seed=9 as full");
    interrupt_at = 1; /* after the first block */
    f->s->progress = raise_after;
    ss_status rc = fx_run(f, "sample g n=300000 seed=9 as part");
    f->s->progress = NULL;
    ss_interrupt_clear();
    assert_int_equal(rc, SS_OK);
    dataset *full, *part;
    assert_int_equal(session_get(f->s, "full", &obj_data, 0, (void **)&full),
                     SS_OK);
    assert_int_equal(session_get(f->s, "part", &obj_data, 0, (void **)&part),
                     SS_OK);
    /* the sampler's block is 65536 rows */
    assert_int_equal(part->X->size1, 65536);
    gsl_matrix_const_view head =
        gsl_matrix_const_submatrix(full->X, 0, 0, 65536, 1);
    assert_true(gsl_matrix_equal(&head.matrix, part->X));
    ss_obj *o = session_find(f->s, "part");
    assert_non_null(strstr(o->origin, "interrupted: the first 65536"));
}

/* Ctrl-C part-way through streaming a big data set to a file (a job, so
 * the UI sees the key between blocks) leaves the old file as it was and
 * no temporary file. */
static void test_export_interrupted_midway(void **state)
{
    fx *f = *state;
    char path[128], cmd[200];
    snprintf(path, sizeof path, "%s/big.csv", fx_dir(f));
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("old content\n", fp);
    fclose(fp);
    fx_ok(f, "model g gmm");
    fx_ok(f, "sample g n=100000 seed=2 as d");
    interrupt_at = 20000; /* after the first block of rows */
    f->s->progress = raise_after;
    snprintf(cmd, sizeof cmd, "export d \"%s\"", path);
    ss_status rc = fx_run(f, cmd);
    f->s->progress = NULL;
    ss_interrupt_clear();
    assert_int_equal(rc, SS_ERR_INTERRUPTED);
    assert_non_null(strstr(fx_err(f), "left as it was"));
    char *got = slurp(path);
    assert_non_null(got);
    assert_string_equal(got, "old content\n");
    free(got);
    assert_int_equal(files_in(fx_dir(f)), 1);
}

/* Drawn in blocks (between Ctrl-C checks) or not, a data set is the one a
 * single call of the family's sampler gives with the same seed: i.i.d.
 * families row by row, a series (ARMA) in one piece. */
static void check_same_as_one_call(fx *f, const char *model_cmd, size_t n)
{
    char cmd[128];
    fx_ok(f, model_cmd);
    snprintf(cmd, sizeof cmd, "sample m n=%zu seed=77 as d", n);
    fx_ok(f, cmd);
    model *m;
    dataset *d;
    assert_int_equal(session_get(f->s, "m", &obj_model, 0, (void **)&m),
                     SS_OK);
    assert_int_equal(session_get(f->s, "d", &obj_data, 0, (void **)&d),
                     SS_OK);
    gsl_matrix *X = gsl_matrix_alloc(n, m->type->data_cols(m));
    gsl_rng *r = ss_rng_alloc();
    assert_non_null(X);
    assert_non_null(r);
    ss_rng_seed(r, 77, SS_STREAM_SAMPLE, 0);
    assert_int_equal(m->type->sample(m, m->theta, r, X), SS_OK);
    if (!gsl_matrix_equal(X, d->X))
        fail_msg("%s: sample differs from one call of the sampler",
                 model_cmd);
    gsl_rng_free(r);
    gsl_matrix_free(X);
}

static void test_sample_blocks(void **state)
{
    fx *f = *state;
    /* more rows than one block (65536) */
    check_same_as_one_call(f, "model m gmm v=0.3 w1=-1 w2=2", 140000);
    check_same_as_one_call(f, "model m mlp2 d=2", 70000);
    check_same_as_one_call(f, "model m arma ar=[0.5] ma=[0.3]", 70000);
}

/* The bound is on bytes: 10^8 rows of 17 columns (mlp2 d = 16) would be
 * 13.6 GB; the message gives the limit and the largest n allowed. */
static void test_sample_byte_bound(void **state)
{
    fx *f = *state;
    fx_ok(f, "model m mlp2 d=16");
    assert_int_equal(fx_run(f, "sample m n=100000000 as d"), SS_ERR_LIMIT);
    const char *e = fx_err(f);
    /* 2^31 bytes / (17 * 8) = 15790320 rows */
    if (!strstr(e, "13.6 GB") || !strstr(e, "2147483648 bytes") ||
        !strstr(e, "n <= 15790320"))
        fail_msg("unexpected message: %s", e);
    assert_null(session_find(f->s, "d"));
}

int main(void)
{
    ss_gsl_install_handler();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_export_interrupted, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_sample_interrupted, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_sample_interrupted_keeps_blocks,
                                        fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_export_interrupted_midway,
                                        fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_sample_blocks, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_sample_byte_bound, fx_setup,
                                        fx_teardown),
    };
    return cmocka_run_group_tests_name("export", tests, NULL, NULL);
}

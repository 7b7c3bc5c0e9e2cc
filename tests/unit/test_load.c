/* `load` and `loglik` through the interpreter: export then load gives the
 * same bits; loaded data serve fim and train like sampled data; bad files
 * are refused at the file argument and store nothing; loglik agrees with
 * the log-likelihoods written out here (the mixture density, the Gaussian
 * regression, the exact AR(1) likelihood). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fixture.h"
#include "testutil.h"

#include "core/csvread.h"
#include "core/interrupt.h"
#include "lang/repl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void runf(fx *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void runf(fx *f, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fx_ok(f, line);
}

static const dataset *data_of(fx *f, const char *name)
{
    ss_obj *o = session_find(f->s, name);
    assert_non_null(o);
    assert_ptr_equal(o->type, &obj_data);
    return o->ptr;
}

static void same_bits(const gsl_matrix *A, const gsl_matrix *B)
{
    assert_int_equal(A->size1, B->size1);
    assert_int_equal(A->size2, B->size2);
    for (size_t i = 0; i < A->size1; i++)
        assert_memory_equal(A->data + i * A->tda, B->data + i * B->tda,
                            A->size2 * sizeof(double));
}

/* export then load: the same numbers, bit for bit, for each family's
 * kind of data; and the names of the columns come back. */
static void test_round_trip(void **state)
{
    fx *f = *state;
    const char *dir = fx_dir(f);
    fx_ok(f, "model g gmm v=0.3 w1=-0.5 w2=1.2 s=0.8");
    fx_ok(f, "model n mlp2 d=2 w1=0.8 w2=-0.4 J1=[0.5,-1.2] J2=[1.1,0.3]");
    fx_ok(f, "model a arma ar=[0.6] ma=[0.3]");
    static const char *const models[] = {"g", "n", "a"};
    for (size_t k = 0; k < 3; k++) {
        runf(f, "sample %s n=3000 seed=%zu as d%zu", models[k], k + 1, k);
        runf(f, "export d%zu %s/d%zu.csv", k, dir, k);
        runf(f, "load %s/d%zu.csv as e%zu", dir, k, k);
        const dataset *d = data_of(f, (char[]){'d', (char)('0' + k), 0});
        const dataset *e = data_of(f, (char[]){'e', (char)('0' + k), 0});
        same_bits(d->X, e->X);
        for (size_t c = 0; c < d->X->size2; c++)
            assert_string_equal(d->colnames[c], e->colnames[c]);
        /* and once more: a loaded set exports to the same rows */
        runf(f, "export e%zu %s/e%zu.csv", k, dir, k);
        runf(f, "load %s/e%zu.csv as r%zu", dir, k, k);
        same_bits(d->X, data_of(f, (char[]){'r', (char)('0' + k), 0})->X);
    }
    /* mlp2: chosen columns in another order are those columns */
    runf(f, "load %s/d1.csv cols=[y, x1] as yx", dir);
    const dataset *d = data_of(f, "d1"), *yx = data_of(f, "yx");
    assert_int_equal(yx->X->size2, 2);
    for (size_t i = 0; i < d->X->size1; i++) {
        assert_true(gsl_matrix_get(yx->X, i, 0) == gsl_matrix_get(d->X, i, 2));
        assert_true(gsl_matrix_get(yx->X, i, 1) == gsl_matrix_get(d->X, i, 0));
    }
    fx_ok(f, "show yx");
    assert_non_null(strstr(fx_out(f), "loaded from"));
}

/* Loaded data pass the same checks and give the same numbers as the data
 * they were written from: the empirical FIM, training on data, loglik. */
static void test_loaded_data_serve(void **state)
{
    fx *f = *state;
    const char *dir = fx_dir(f);
    fx_ok(f, "model g gmm v=0.3 w1=-0.5 w2=1.2");
    fx_ok(f, "sample g n=2000 seed=4 as d");
    runf(f, "export d %s/g.csv", dir);
    runf(f, "load %s/g.csv as e", dir);
    char *a, *b;
    fx_ok(f, "fim g method=empirical data=d");
    a = strdup(fx_out(f));
    fx_ok(f, "fim g method=empirical data=e");
    b = strdup(fx_out(f));
    assert_string_equal(a, b);
    free(a), free(b);
    fx_ok(f, "loglik g data=d");
    a = strdup(fx_out(f));
    fx_ok(f, "loglik g data=e");
    b = strdup(fx_out(f));
    /* the same text but the data set's name */
    assert_non_null(strstr(b, "g on e:"));
    assert_memory_equal(a, b, (size_t)(strstr(a, "g on d") - a));
    free(a), free(b);

    fx_ok(f, "model t mlp2 w1=0.8 w2=-0.4 J1=0.5 J2=1.1");
    fx_ok(f, "model s mlp2 w1=0.5 w2=0.5 J1=0.3 J2=0.9");
    fx_ok(f, "sample t n=500 seed=2 as td");
    runf(f, "export td %s/t.csv", dir);
    runf(f, "load %s/t.csv as tl", dir);
    fx_ok(f, "train s algo=gd eta=0.1 steps=20 data=td teacher=t as r1");
    fx_ok(f, "train s algo=gd eta=0.1 steps=20 data=tl teacher=t as r2");
    /* the wrong shape is refused by the same check */
    fx_fail(f, "train s algo=gd eta=0.1 steps=20 data=e", 39,
            "train: the data set has 1 column but a mlp2 model takes 2");
    fx_fail(f, "fim s method=empirical data=e", 1,
            "the data set has 1 column but a mlp2 model takes 2");
}

/* The progress hook between two steps of a job: Ctrl-C. */
static void press_ctrl_c(session *s, const char *what, size_t done,
                         size_t total)
{
    (void)s, (void)what, (void)done, (void)total;
    ss_interrupt_raise();
}

/* Bad files: refused at the file argument (column 6), nothing stored,
 * nothing printed; the message carries the file's line and column. */
static void test_load_errors(void **state)
{
    fx *f = *state;
    const char *dir = fx_dir(f);
    static const struct {
        const char *name, *text, *want;
    } bad[] = {
        {"ragged", "x,y\n1,2\n3\n", "ragged.csv:3: this row has 1 field"},
        {"word", "x\n1\nabc\n", "word.csv:3:1: field 1 is not a number"},
        {"empty", "", "empty.csv: no data: the file is empty"},
        {"head", "x,y\n", "head.csv:1: a header but no data rows"},
        {"nan", "x\n1\nnan\n", "nan.csv:3:1: field 1 is NaN"},
        {"inf", "x\nInf\n", "inf.csv:2:1: field 1 is infinite"},
    };
    char path[256], line[512];
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        snprintf(path, sizeof path, "%s/%s.csv", dir, bad[k].name);
        FILE *fp = fopen(path, "w");
        assert_non_null(fp);
        fputs(bad[k].text, fp);
        fclose(fp);
        snprintf(line, sizeof line, "load %s as z", path);
        fx_fail(f, line, 6, bad[k].want);
    }
    snprintf(line, sizeof line, "load %s/none.csv as z", dir);
    fx_fail(f, line, 6, "cannot open");
    /* unknown names in cols=: at the cols= value */
    snprintf(path, sizeof path, "%s/xy.csv", dir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("x,y\n1,2\n", fp);
    fclose(fp);
    snprintf(line, sizeof line, "load %s cols=[x, w] as z", path);
    fx_fail(f, line, (int)strlen(path) + 12,
            "no column 'w' in the header (columns: x, y)");
    snprintf(line, sizeof line, "load %s cols=[0] as z", path);
    fx_fail(f, line, (int)strlen(path) + 12, "whole numbers from 1");
    snprintf(line, sizeof line, "load %s cols=[1, x] as z", path);
    fx_fail(f, line, (int)strlen(path) + 16, "vector elements must be "
                                             "numbers");
    snprintf(line, sizeof line, "load %s", path);
    fx_fail(f, line, 1, "load needs `as NAME`");
    /* a model's name is not overwritten by a data set */
    fx_ok(f, "model g gmm");
    snprintf(line, sizeof line, "load %s cols=[x] as g", path);
    fx_fail(f, line, (int)strlen(path) + 19, "'g' is a model");
    /* Ctrl-C after the first block of lines: nothing stored */
    snprintf(path, sizeof path, "%s/long.csv", dir);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("x\n", fp);
    for (size_t i = 0; i < CSV_STEP_LINES + 10; i++)
        fputs("1.5\n", fp);
    fclose(fp);
    snprintf(line, sizeof line, "load %s as z", path);
    char want[64];
    f->s->progress = press_ctrl_c;
    size_t before = f->s->nobjs;
    assert_int_equal(fx_run(f, line), SS_ERR_INTERRUPTED);
    f->s->progress = NULL;
    ss_interrupt_clear();
    assert_int_equal(f->s->nobjs, before);
    assert_null(session_find(f->s, "z"));
    /* the header, then the first step's CSV_STEP_LINES rows */
    snprintf(want, sizeof want, "load interrupted at line %d of",
             CSV_STEP_LINES + 1);
    assert_non_null(strstr(fx_err(f), want));
    assert_non_null(strstr(fx_err(f), "nothing was stored"));
    fx_ok(f, line);
    snprintf(want, sizeof want, "z: %zu rows of 1 column (x) from",
             (size_t)CSV_STEP_LINES + 10);
    assert_non_null(strstr(fx_out(f), want));
}

/* The printed loglik (CSV: shortest round-trip digits) and its n, mean. */
static double loglik_of(fx *f, const char *mname, const char *data,
                        size_t n)
{
    f->s->csv = 1;
    runf(f, "loglik %s data=%s", mname, data);
    f->s->csv = 0;
    const char *o = fx_out(f);
    assert_non_null(strstr(o, "model,data,loglik,n,mean\n"));
    const char *row = strchr(o, '\n') + 1;
    char m[32], d[32];
    double ell, nn, mean;
    assert_int_equal(sscanf(row, "%31[^,],%31[^,],%lf,%lf,%lf", m, d, &ell,
                            &nn, &mean),
                     5);
    assert_string_equal(m, mname);
    assert_string_equal(d, data);
    assert_true(nn == (double)n);
    assert_close(mean, ell / (double)n, 1e-15, 0);
    /* the text form names the same numbers */
    runf(f, "loglik %s data=%s", mname, data);
    char want[128];
    snprintf(want, sizeof want, "loglik = %.12g  (%s on %s: n = %zu, ", ell,
             mname, data, n);
    if (strncmp(fx_out(f), want, strlen(want)) != 0)
        fail_msg("got '%s', expected '%s...'", fx_out(f), want);
    return ell;
}

static const char *write_rows(fx *f, const char *name, const char *head,
                              const double *v, size_t n, size_t cols)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", fx_dir(f), name);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    if (head)
        fprintf(fp, "%s\n", head);
    for (size_t i = 0; i < n; i++)
        for (size_t c = 0; c < cols; c++)
            fprintf(fp, "%.17g%s", v[i * cols + c], c + 1 < cols ? "," : "\n");
    assert_int_equal(fclose(fp), 0);
    return path;
}

static double log_normal(double x, double mu, double s)
{
    double z = (x - mu) / s;
    return -0.5 * z * z - log(s) - 0.5 * log(2 * M_PI);
}

/* gmm: sum_i log((1 - v) N(x_i; w1, s^2) + v N(x_i; w2, s^2)). */
static void test_loglik_gmm(void **state)
{
    fx *f = *state;
    static const double x[] = {-1.7, -0.42, 0.0, 0.31, 0.9, 1.25, 2.6, 4.1,
                               -3.3, 1.1};
    size_t n = sizeof x / sizeof *x;
    const double v = 0.3, w1 = -0.5, w2 = 1.2, s = 0.8;
    runf(f, "load %s as d", write_rows(f, "g.csv", "x", x, n, 1));
    fx_ok(f, "model g gmm v=0.3 w1=-0.5 w2=1.2 s=0.8");
    long double want = 0;
    for (size_t i = 0; i < n; i++)
        want += log((1 - v) * exp(log_normal(x[i], w1, s)) +
                    v * exp(log_normal(x[i], w2, s)));
    assert_close(loglik_of(f, "g", "d", n), (double)want, 1e-13, 0);
    /* at the singular point v = 0 it is the sum of one normal */
    fx_ok(f, "set g v=0");
    want = 0;
    for (size_t i = 0; i < n; i++)
        want += log_normal(x[i], w1, s);
    assert_close(loglik_of(f, "g", "d", n), (double)want, 1e-13, 0);
    /* data of the wrong shape: at data= */
    runf(f, "load %s as two", write_rows(f, "two.csv", "a,b", x, n / 2, 2));
    fx_fail(f, "loglik g data=two", 15,
            "the data set two has 2 columns, but g (gmm) takes 1 (x)");
    fx_fail(f, "loglik g", 1, "loglik needs data=D");
    fx_fail(f, "loglik g data=g", 15, "'g' is a model");
}

/* mlp2: sum_i log N(y_i; w1 erf(J1.x_i/sqrt2) + w2 erf(J2.x_i/sqrt2),
 * sigma^2), the inputs' own density not included (theory.md). */
static void test_loglik_mlp2(void **state)
{
    fx *f = *state;
    static const double r[] = {0.3, -1.1, 0.25,  1.4,  0.2, -0.8, -0.6, 0.7,
                               1.9, 2.2,  -0.3,  0.05, 0.0, 0.0,  0.4,  -1.5,
                               0.9, -2.1, -0.75, 0.33, 1.0};
    size_t n = sizeof r / sizeof *r / 3;
    const double w1 = 0.8, w2 = -0.4, J1[] = {0.5, -1.2}, J2[] = {1.1, 0.3},
                 sg = 0.7;
    runf(f, "load %s as d", write_rows(f, "n.csv", NULL, r, n, 3));
    fx_ok(f, "model n mlp2 d=2 sigma=0.7 w1=0.8 w2=-0.4 J1=[0.5,-1.2] "
             "J2=[1.1,0.3]");
    long double want = 0;
    for (size_t i = 0; i < n; i++) {
        const double *x = r + 3 * i;
        double mu = w1 * erf((J1[0] * x[0] + J1[1] * x[1]) / sqrt(2)) +
                    w2 * erf((J2[0] * x[0] + J2[1] * x[1]) / sqrt(2));
        want += log_normal(x[2], mu, sg);
    }
    assert_close(loglik_of(f, "n", "d", n), (double)want, 1e-13, 0);
}

/* AR(1), x_t = phi x_{t-1} + e_t, e ~ N(0, s2): the exact likelihood is
 * log N(x_1; 0, s2/(1 - phi^2)) + sum_{t>=2} log N(x_t; phi x_{t-1}, s2). */
static void test_loglik_ar1(void **state)
{
    fx *f = *state;
    static const double x[] = {0.5, 1.3, 0.2, -0.9, -1.4, -0.3, 0.8,
                               2.1, 1.0, 0.45, -0.2, 0.6};
    size_t n = sizeof x / sizeof *x;
    const double phi = 0.6, s2 = 1.3;
    runf(f, "load %s as x", write_rows(f, "x.csv", "x", x, n, 1));
    fx_ok(f, "model a arma ar=[0.6] ma=[] sigma2=1.3");
    long double want = log_normal(x[0], 0, sqrt(s2 / (1 - phi * phi)));
    for (size_t t = 1; t < n; t++)
        want += log_normal(x[t], phi * x[t - 1], sqrt(s2));
    assert_close(loglik_of(f, "a", "x", n), (double)want, 1e-12, 0);
    /* white noise: ar1 = 0 */
    fx_ok(f, "set a ar1=0");
    want = 0;
    for (size_t t = 0; t < n; t++)
        want += log_normal(x[t], 0, sqrt(s2));
    assert_close(loglik_of(f, "a", "x", n), (double)want, 1e-13, 0);
}

/* Tab completion: load's first word is a file name, loglik's a model. */
static void test_completion(void **state)
{
    (void)state;
    assert_int_equal(repl_wants_files("load ", 5), 1);
    assert_int_equal(repl_wants_files("load da", 5), 1);
    assert_int_equal(repl_wants_files("loglik ", 7), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_completion),
        cmocka_unit_test_setup_teardown(test_round_trip, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_loaded_data_serve, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_load_errors, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_loglik_gmm, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_loglik_mlp2, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_loglik_ar1, fx_setup,
                                        fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The model interface for large and structured families (issue 7, point 5),
 * through test-only families defined here and registered nowhere:
 *   - "blocky": a scalar s, a 500 x 500 block W2 and a vector block b whose
 *     length is the number of entries of the vector option widths: names
 *     generated and parsed (W2_123_456), O(blocks) memory for names and
 *     bounds, clear errors for components outside a block, per-component
 *     bounds only where set, clones, and the command language (set, fix,
 *     show, models-style listing of the vector option);
 *   - "clashy": layouts that must be refused (overlapping names, names too
 *     long for MODEL_NAME_MAX);
 *   - "many": 40 singular sets and 12 options, past the old fixed caps of
 *     16 and 8, through model_nsingular / model_singular_list, the nearest
 *     set, and a map that marks sets beyond the 16th;
 *   - "linreg": y = x.beta + sigma e on a design X, whose exact information
 *     per row X^T X / (n sigma^2) is checked against the Monte-Carlo mean of
 *     score outer products on data drawn through the design (5 standard
 *     errors, fixed seed).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "fim/map.h"
#include "lang/interp.h"
#include "lang/session.h"
#include "model/model.h"
#include "testutil.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- "blocky" ------------------------------------------------------------- */

enum { B_ROWS, B_COLS, B_WIDTHS };
static const double widths_def[] = {200, 200};
static const model_optvecdef widths_vec = {widths_def, 2, 4, 1};
static const model_optdef blocky_opts[] = {
    {"rows", MOPT_INT, 500, 1, 1000, NULL, "rows of W2", NULL},
    {"cols", MOPT_INT, 500, 1, 1000, NULL, "columns of W2", NULL},
    {"widths", MOPT_VECTOR, 0, 1, 1000, NULL, "layer widths", &widths_vec},
};

static ss_status blocky_configure(model *m, const model_arg *args,
                                  size_t nargs, unsigned char *used)
{
    (void)args;
    (void)nargs;
    (void)used;
    size_t nw;
    model_opt_vector(m, B_WIDTHS, &nw);
    ss_status st = model_add_param(m, "s", 1.0, 0.0, 10.0);
    if (st == SS_OK)
        st = model_add_block(m, "W2", (size_t)m->opt[B_ROWS],
                             (size_t)m->opt[B_COLS], 0.0, -100.0, 100.0);
    if (st == SS_OK)
        st = model_add_block(m, "b", nw, 1, 1.0, 0.0, 5.0);
    return st;
}

static size_t one_col(const model *m)
{
    (void)m;
    return 1;
}

static const model_type blocky_type = {
    .name = "blocky",
    .summary = "test-only: a large parameter block",
    .help = "test-only",
    .opts = blocky_opts,
    .nopts = 3,
    .param_summary = "s, W2 (rows x cols), b (one per width)",
    .configure = blocky_configure,
    .data_cols = one_col,
};

static model *blocky(const char *opt, const double *v, size_t n)
{
    model_arg a = {.key = opt, .num = v, .n = n, .is_vector = n > 1};
    model *m = NULL;
    ss_status st = model_alloc(&blocky_type, &a, opt ? 1 : 0, &m);
    if (st != SS_OK)
        fail_msg("blocky: %s", ss_last_error()->msg);
    return m;
}

static ss_status set1(model *m, const char *key, double v)
{
    model_arg a = {.key = key, .num = &v, .n = 1};
    return model_set_params(m, &a, 1, -1);
}

static void test_block_names(void **state)
{
    (void)state;
    model *m = blocky(NULL, NULL, 0);
    assert_int_equal(m->P, 1 + 250000 + 2);
    assert_int_equal(m->ngroups, 2);
    const model_group *g = &m->groups[0];
    assert_string_equal(g->name, "W2");
    assert_true(g->first == 1 && g->count == 250000 && g->rows == 500 &&
                g->cols == 500 && g->generated);
    assert_true(m->groups[1].rows == 2 && m->groups[1].cols == 1);

    /* names on demand, row by row, counted from 1 */
    char buf[MODEL_NAME_MAX];
    assert_string_equal(model_param_name(m, 0, buf, sizeof buf), "s");
    assert_string_equal(model_param_name(m, 1, buf, sizeof buf), "W2_1_1");
    assert_string_equal(model_param_name(m, 2, buf, sizeof buf), "W2_1_2");
    assert_string_equal(model_param_name(m, 501, buf, sizeof buf), "W2_2_1");
    assert_string_equal(model_param_name(m, 250000, buf, sizeof buf),
                        "W2_500_500");
    assert_string_equal(model_param_name(m, 250001, buf, sizeof buf), "b_1");
    assert_string_equal(model_param_name(m, 250002, buf, sizeof buf), "b_2");
    assert_string_equal(model_param_name(m, 250003, buf, sizeof buf), "");
    size_t want = 1 + 122 * 500 + 455;
    assert_int_equal(model_param_index(m, "W2_123_456"), (int)want);
    assert_string_equal(MODEL_PNAME(m, want), "W2_123_456");
    assert_int_equal(model_param_index(m, "b_2"), 250002);
    assert_int_equal(model_param_index(m, "s"), 0);
    assert_int_equal(model_group_index(m, "W2"), 0);
    /* every name parses back to its index (a stride through the block) */
    for (size_t i = 0; i < m->P; i += 997) {
        char nm[MODEL_NAME_MAX];
        model_param_name(m, i, nm, sizeof nm);
        assert_int_equal(model_param_index(m, nm), (int)i);
    }
    /* bounds per block */
    assert_true(model_param_lo(m, want) == -100 &&
                model_param_hi(m, want) == 100);
    assert_true(model_param_lo(m, 0) == 0 && model_param_hi(m, 0) == 10);
    assert_true(model_param_lo(m, 250002) == 0 &&
                model_param_hi(m, 250002) == 5);
    assert_int_equal(model_param_group(m, want), 0);
    assert_int_equal(model_param_group(m, 0), -1);

    /* O(blocks): the same layout bytes for 2 x 2 as for 500 x 500, and far
     * below one stored name per component */
    size_t big = model_layout_bytes(m);
    double two = 2;
    model_arg a[2] = {{.key = "rows", .num = &two, .n = 1},
                      {.key = "cols", .num = &two, .n = 1}};
    model *small = NULL;
    assert_int_equal(model_alloc(&blocky_type, a, 2, &small), SS_OK);
    assert_int_equal(small->P, 1 + 4 + 2);
    assert_int_equal(model_layout_bytes(small), big);
    assert_true(big < 1024);
    model_free(small);

    /* per-component bounds only where a family sets them */
    assert_int_equal(model_set_param_bounds(m, want, -1, 1), SS_OK);
    assert_true(model_layout_bytes(m) == big + 2 * 250000 * sizeof(double));
    assert_true(model_param_lo(m, want) == -1 &&
                model_param_lo(m, want + 1) == -100);
    assert_int_equal(set1(m, "W2_123_456", 2.0), SS_ERR_RANGE);
    assert_non_null(strstr(ss_last_error()->msg, "W2_123_456 = 2"));
    assert_non_null(strstr(ss_last_error()->msg, "[-1, 1]"));
    ss_clear_error();

    /* a clone has its own copy of the layout */
    model *c = model_clone(m);
    assert_non_null(c);
    assert_int_equal(model_set_param_bounds(c, want, -3, 3), SS_OK);
    assert_true(model_param_lo(m, want) == -1 && model_param_lo(c, want) == -3);
    assert_int_equal(model_param_index(c, "W2_500_500"), 250000);
    size_t nw;
    const double *w = model_opt_vector(c, B_WIDTHS, &nw);
    assert_true(nw == 2 && w[0] == 200 && w[1] == 200 &&
                w != model_opt_vector(m, B_WIDTHS, &nw));
    model_free(c);
    model_free(m);
}

static void test_block_errors(void **state)
{
    (void)state;
    model *m = blocky(NULL, NULL, 0);
    size_t i = 99;
    static const struct {
        const char *name;
        ss_status code;
        const char *msg;
    } cases[] = {
        {"W2_501_1", SS_ERR_RANGE,
         "W2 is a 500 x 500 block: row 501 in W2_501_1 is outside 1..500"},
        {"W2_0_7", SS_ERR_RANGE,
         "W2 is a 500 x 500 block: row 0 in W2_0_7 is outside 1..500"},
        {"W2_3_501", SS_ERR_RANGE,
         "W2 is a 500 x 500 block: column 501 in W2_3_501 is outside 1..500"},
        {"W2_99999999999999999999999_1", SS_ERR_RANGE, "is outside 1..500"},
        {"W2_7", SS_ERR_RANGE,
         "W2 is a 500 x 500 block: name a component W2_ROW_COL "
         "(W2_1_1 .. W2_500_500)"},
        {"b_3", SS_ERR_RANGE, "b is a vector of 2: b_3 is outside b_1 .. b_2"},
        {"b_1_1", SS_ERR_RANGE, "b is a vector of 2: name a component b_ROW"},
        {"W2_01_1", SS_ERR_RANGE, "without leading zeros"},
        {"W3_1_1", SS_ERR_NAME, "blocky has no parameter 'W3_1_1'"},
        {"W2_1_1x", SS_ERR_NAME, "no parameter"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        assert_int_equal(model_param_index(m, cases[k].name), -1);
        assert_int_equal(model_param_lookup(m, cases[k].name, &i),
                         cases[k].code);
        if (!strstr(ss_last_error()->msg, cases[k].msg))
            fail_msg("%s: '%s' lacks '%s'", cases[k].name,
                     ss_last_error()->msg, cases[k].msg);
        ss_clear_error();
    }
    assert_int_equal(i, 99); /* untouched on failure */

    /* assignments: the same reasons, and no change on failure */
    assert_int_equal(set1(m, "W2_123_456", 3.5), SS_OK);
    assert_true(m->theta[1 + 122 * 500 + 455] == 3.5);
    assert_int_equal(set1(m, "W2_501_1", 1.0), SS_ERR_RANGE);
    assert_non_null(strstr(ss_last_error()->msg, "row 501 in W2_501_1"));
    ss_clear_error();
    assert_int_equal(set1(m, "W2_9_9", 1000.0), SS_ERR_RANGE);
    assert_non_null(strstr(ss_last_error()->msg,
                           "W2_9_9 = 1000 is outside its range [-100, 100]"));
    ss_clear_error();
    /* a block assigned whole, all or nothing */
    assert_int_equal(set1(m, "W2", 0.25), SS_OK);
    assert_true(m->theta[1] == 0.25 && m->theta[250000] == 0.25);
    double bv[3] = {1, 2, 3};
    model_arg a = {.key = "b", .num = bv, .n = 3, .is_vector = 1};
    assert_int_equal(model_set_params(m, &a, 1, -1), SS_ERR_USAGE);
    assert_non_null(strstr(ss_last_error()->msg, "b has 2 components"));
    ss_clear_error();
    a.n = 2;
    assert_int_equal(model_set_params(m, &a, 1, -1), SS_OK);
    assert_true(m->theta[250001] == 1 && m->theta[250002] == 2);
    /* a parameter outside its bounds names itself in validation */
    m->theta[250002] = 7;
    assert_int_equal(model_validate(m, m->theta), SS_ERR_RANGE);
    assert_non_null(strstr(ss_last_error()->msg, "b_2 = 7 is outside [0, 5]"));
    ss_clear_error();
    model_free(m);
}

/* ---- layouts that must be refused ------------------------------------- */

static const char *const clash_cases[] = {"overlap", "overlap2", "dup",
                                          "long", "empty", NULL};
static const model_optdef clashy_opts[] = {
    {"case", MOPT_ENUM, 0, 0, 0, clash_cases, "what to get wrong", NULL},
};

static ss_status clashy_configure(model *m, const model_arg *args,
                                  size_t nargs, unsigned char *used)
{
    (void)args;
    (void)nargs;
    (void)used;
    const char *c = m->opt_choice[0];
    ss_status st = SS_OK;
    if (strcmp(c, "overlap") == 0) { /* W_1 would name a component of W */
        st = model_add_param(m, "W_1", 0, -1, 1);
        if (st == SS_OK)
            st = model_add_block(m, "W", 3, 1, 0, -1, 1);
    } else if (strcmp(c, "overlap2") == 0) {
        st = model_add_block(m, "W", 3, 3, 0, -1, 1);
        if (st == SS_OK)
            st = model_add_param(m, "W_2_2", 0, -1, 1);
    } else if (strcmp(c, "dup") == 0) {
        st = model_add_param(m, "a", 0, -1, 1);
        if (st == SS_OK)
            st = model_add_block(m, "a", 2, 2, 0, -1, 1);
    } else if (strcmp(c, "long") == 0) {
        st = model_add_block(m, "a_rather_long_block_name_xx", 500, 500, 0,
                             -1, 1);
    } else {
        st = model_add_block(m, "E", 0, 3, 0, -1, 1);
    }
    return st;
}

static const model_type clashy_type = {
    .name = "clashy",
    .summary = "test-only",
    .help = "test-only",
    .opts = clashy_opts,
    .nopts = 1,
    .param_summary = "",
    .configure = clashy_configure,
    .data_cols = one_col,
};

static void test_block_refused(void **state)
{
    (void)state;
    static const struct {
        const char *c;
        ss_status code;
        const char *msg;
    } cases[] = {
        {"overlap", SS_ERR_USAGE, "the names of W and W_1 overlap"},
        {"overlap2", SS_ERR_USAGE, "the name W_2_2 is used twice"},
        {"dup", SS_ERR_USAGE, "the name a is used twice"},
        {"long", SS_ERR_LIMIT, "would be longer than 31 characters"},
        {"empty", SS_ERR_USAGE, "block E has no components (0 x 3)"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        model_arg a = {.key = "case", .str = cases[k].c};
        model *m = (model *)1;
        assert_int_equal(model_alloc(&clashy_type, &a, 1, &m), cases[k].code);
        assert_null(m);
        if (!strstr(ss_last_error()->msg, cases[k].msg))
            fail_msg("%s: '%s' lacks '%s'", cases[k].c, ss_last_error()->msg,
                     cases[k].msg);
        ss_clear_error();
    }
}

/* ---- vector options ------------------------------------------------------ */

static void test_vector_option(void **state)
{
    (void)state;
    size_t n;
    model *m = blocky(NULL, NULL, 0);
    const double *w = model_opt_vector(m, B_WIDTHS, &n);
    assert_true(n == 2 && w[0] == 200 && w[1] == 200 && m->opt[B_WIDTHS] == 2);
    assert_null(model_opt_vector(m, B_ROWS, &n));
    assert_int_equal(n, 0);
    char buf[64];
    assert_string_equal(model_format_vector(buf, sizeof buf, w, 2),
                        "[200,200]");
    model_free(m);

    /* the length decides the layout: b gets one component per width */
    double three[3] = {10, 20, 30};
    m = blocky("widths", three, 3);
    w = model_opt_vector(m, B_WIDTHS, &n);
    assert_true(n == 3 && w[2] == 30);
    assert_int_equal(m->P, 1 + 250000 + 3);
    assert_int_equal(model_param_index(m, "b_3"), 250003);
    model_free(m);

    static const struct {
        double v[5];
        size_t n;
        int vec;
        const char *msg;
    } bad[] = {
        {{1, 2, 3, 4, 5}, 5, 1, "option widths takes at most 4 entries, got 5"},
        {{3, 0}, 2, 1, "option widths: entry 2 = 0 is outside [1, 1000]"},
        {{2.5}, 1, 1, "option widths: entry 1 = 2.5 must be a whole number"},
        {{1e4, 1}, 2, 1, "entry 1 = 10000 is outside [1, 1000]"},
        {{0}, 0, 1, "option widths takes a vector of numbers"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        model_arg a = {.key = "widths", .num = bad[k].n ? bad[k].v : NULL,
                       .n = bad[k].n, .is_vector = bad[k].vec, .col = 7};
        model *x = (model *)1;
        ss_status st = model_alloc(&blocky_type, &a, 1, &x);
        assert_int_not_equal(st, SS_OK);
        assert_null(x);
        if (!strstr(ss_last_error()->msg, bad[k].msg))
            fail_msg("case %zu: '%s' lacks '%s'", k, ss_last_error()->msg,
                     bad[k].msg);
        assert_int_equal(ss_last_error()->col, 7);
        ss_clear_error();
    }
    /* a single number is a vector of one */
    double one = 64;
    m = blocky("widths", &one, 1);
    w = model_opt_vector(m, B_WIDTHS, &n);
    assert_true(n == 1 && w[0] == 64 && m->P == 1 + 250000 + 1);
    model_free(m);
}

/* ---- the command language on a block model ------------------------------ */

typedef struct {
    ss_membuf out, err;
    session *s;
} fx;

static void test_block_commands(void **state)
{
    (void)state;
    fx f;
    memset(&f, 0, sizeof f);
    f.s = session_new(ss_sink_mem(&f.out), ss_sink_mem(&f.err), 1);
    assert_non_null(f.s);
    double two = 2, wv[3] = {4, 8, 16};
    model_arg a[3] = {{.key = "rows", .num = &two, .n = 1},
                      {.key = "cols", .num = &two, .n = 1},
                      {.key = "widths", .num = wv, .n = 3, .is_vector = 1}};
    model *m = NULL;
    assert_int_equal(model_alloc(&blocky_type, a, 3, &m), SS_OK);
    assert_int_equal(session_put(f.s, "B", &obj_model, m, "test"), SS_OK);

    /* component names are identifiers of the command language */
    assert_int_equal(interp_exec(f.s, "set B W2_2_1=0.75 b_3=2"), SS_OK);
    m = session_find(f.s, "B")->ptr;
    assert_true(m->theta[1 + 2] == 0.75 && m->theta[1 + 4 + 2] == 2);
    assert_int_equal(interp_exec(f.s, "fix B W2_1_2"), SS_OK);
    assert_true(m->is_free[2] == 0 && m->is_free[1] == 1);
    assert_int_not_equal(interp_exec(f.s, "set B W2_3_1=1"), SS_OK);
    assert_non_null(strstr(f.err.buf, "row 3 in W2_3_1 is outside 1..2"));
    assert_true(m->theta[1 + 2] == 0.75); /* unchanged */

    ss_membuf_clear(&f.out);
    assert_int_equal(interp_exec(f.s, "show B"), SS_OK);
    const char *o = f.out.buf;
    assert_non_null(strstr(o, "option widths = [4,8,16] (layer widths)"));
    assert_non_null(strstr(o, "option rows = 2 (rows of W2)"));
    assert_non_null(strstr(o, "W2_2_1"));
    assert_non_null(strstr(o, "W2_1_2"));
    assert_non_null(strstr(o, "b_3"));
    assert_non_null(strstr(o, "no singular sets known"));
    session_delete(f.s);
    ss_membuf_free(&f.out);
    ss_membuf_free(&f.err);
}

/* ---- 40 singular sets, 12 options ------------------------------------- */

#define MANY_SETS 40
#define MANY_OPTS 12

static const model_optdef many_opts[MANY_OPTS] = {
    {"o1", MOPT_REAL, 1, -100, 100, NULL, "option 1", NULL},
    {"o2", MOPT_REAL, 2, -100, 100, NULL, "option 2", NULL},
    {"o3", MOPT_REAL, 3, -100, 100, NULL, "option 3", NULL},
    {"o4", MOPT_REAL, 4, -100, 100, NULL, "option 4", NULL},
    {"o5", MOPT_REAL, 5, -100, 100, NULL, "option 5", NULL},
    {"o6", MOPT_REAL, 6, -100, 100, NULL, "option 6", NULL},
    {"o7", MOPT_REAL, 7, -100, 100, NULL, "option 7", NULL},
    {"o8", MOPT_REAL, 8, -100, 100, NULL, "option 8", NULL},
    {"o9", MOPT_REAL, 9, -100, 100, NULL, "option 9", NULL},
    {"o10", MOPT_REAL, 10, -100, 100, NULL, "option 10", NULL},
    {"o11", MOPT_INT, 11, -100, 100, NULL, "option 11", NULL},
    {"o12", MOPT_VECTOR, 0, -100, 100, NULL, "option 12", &widths_vec},
};

static ss_status many_configure(model *m, const model_arg *args,
                                size_t nargs, unsigned char *used)
{
    (void)args;
    (void)nargs;
    (void)used;
    ss_status st = model_add_param(m, "t0", 0.3, -10, 10);
    if (st == SS_OK)
        st = model_add_param(m, "t1", 0.0, -10, 10);
    return st;
}

/* Set k is the line t0 = k / 20 (k = 0..39). */
static size_t many_singular(const model *m, const double *theta,
                            model_singular *out, size_t max)
{
    (void)m;
    size_t n = max < MANY_SETS ? max : MANY_SETS;
    for (size_t k = 0; k < n; k++) {
        snprintf(out[k].name, sizeof out[k].name, "t0 = %zu/20", k);
        snprintf(out[k].effect, sizeof out[k].effect, "set %zu", k);
        out[k].distance = fabs(theta[0] - (double)k / 20);
    }
    return n;
}

/* An information that ignores the sets: the map only marks them. */
static ss_status many_fim(const model *m, const double *theta, gsl_matrix *G,
                          gsl_matrix **root)
{
    (void)m;
    (void)theta;
    if (root)
        *root = NULL;
    gsl_matrix_set_identity(G);
    return SS_OK;
}

static const model_type many_type = {
    .name = "many",
    .summary = "test-only: 40 singular sets",
    .help = "test-only",
    .opts = many_opts,
    .nopts = MANY_OPTS,
    .param_summary = "t0, t1",
    .configure = many_configure,
    .data_cols = one_col,
    .fim_exact = many_fim,
    .singular = many_singular,
};

static void test_many_sets_and_options(void **state)
{
    (void)state;
    model_arg a[MANY_OPTS];
    double v[MANY_OPTS];
    char names[MANY_OPTS][8];
    for (size_t o = 0; o + 1 < MANY_OPTS; o++) {
        v[o] = -(double)(o + 1);
        snprintf(names[o], sizeof names[o], "o%zu", o + 1);
        a[o] = (model_arg){.key = names[o], .num = &v[o], .n = 1};
    }
    model *m = NULL;
    assert_int_equal(model_alloc(&many_type, a, MANY_OPTS - 1, &m), SS_OK);
    for (size_t o = 0; o + 1 < MANY_OPTS; o++)
        assert_true(m->opt[o] == -(double)(o + 1));
    size_t nw;
    assert_non_null(model_opt_vector(m, MANY_OPTS - 1, &nw));
    assert_int_equal(nw, 2);
    model *c = model_clone(m);
    assert_non_null(c);
    assert_true(c->opt[10] == -11 && c->opt != m->opt);
    model_free(c);

    /* the count first, then arrays of that size */
    assert_int_equal(model_nsingular(m), MANY_SETS);
    model_singular *all = NULL;
    size_t n = 0;
    assert_int_equal(model_singular_list(m, m->theta, &all, &n), SS_OK);
    assert_int_equal(n, MANY_SETS);
    assert_string_equal(all[39].name, "t0 = 39/20");
    free(all);
    double d[MANY_SETS];
    assert_int_equal(model_singular_distances(m, m->theta, d, MANY_SETS),
                     MANY_SETS);
    assert_close(d[39], 39.0 / 20 - 0.3, 1e-15, 0);
    /* the nearest is found among all 40, not the first 16 */
    double t = 1.76;
    model_arg at = {.key = "t0", .num = &t, .n = 1};
    assert_int_equal(model_set_params(m, &at, 1, -1), SS_OK);
    int best = model_nearest_singular(m, &all, &n);
    assert_int_equal(n, MANY_SETS);
    assert_int_equal(best, 35);
    assert_close(all[best].distance, 0.01, 1e-12, 0);
    free(all);

    /* a map across t0 in [1.2, 1.95] marks sets 24..39 */
    map_spec sp;
    memset(&sp, 0, sizeof sp);
    assert_int_equal(model_axis_find(m, "t0", &sp.x), SS_OK);
    assert_int_equal(model_axis_find(m, "t1", &sp.y), SS_OK);
    sp.x0 = 1.2;
    sp.x1 = 1.95;
    sp.nx = 16;
    sp.y0 = -1;
    sp.y1 = 1;
    sp.ny = 2;
    sp.stat = MAP_LOGDET;
    map_result *r = NULL;
    assert_int_equal(map_run(m, &sp, NULL, NULL, &r), SS_OK);
    assert_int_equal(r->nsets, MANY_SETS);
    int seen[MANY_SETS] = {0};
    for (size_t cidx = 0; cidx < r->nx * r->ny; cidx++)
        if (r->sing[cidx] >= 0)
            seen[r->sing[cidx]] = 1;
    for (int k = 24; k < MANY_SETS; k++)
        if (!seen[k])
            fail_msg("the map does not mark set %d (t0 = %d/20)", k, k);
    assert_string_equal(r->set_names[39], "t0 = 39/20");
    map_result_free(r);
    model_free(m);
}

/* ---- a design: linear regression ---------------------------------------- */

static const model_optdef linreg_opts[] = {
    {"k", MOPT_INT, 3, 1, 20, NULL, "number of regressors", NULL},
    {"sigma", MOPT_REAL, 0.5, 1e-6, 1e6, NULL, "noise sd", NULL},
};

static ss_status linreg_configure(model *m, const model_arg *args,
                                  size_t nargs, unsigned char *used)
{
    (void)args;
    (void)nargs;
    (void)used;
    return model_add_block(m, "beta", (size_t)m->opt[0], 1, 0.0, -INFINITY,
                           INFINITY);
}

static size_t linreg_cols(const model *m)
{
    return m->P + 1;
}

static double dot_row(const gsl_matrix *X, size_t i, const double *theta,
                      size_t k)
{
    double s = 0;
    for (size_t j = 0; j < k; j++)
        s += gsl_matrix_get(X, i, j) * theta[j];
    return s;
}

static ss_status linreg_sample_design(const model *m, const double *theta,
                                      const model_design *d, gsl_rng *r,
                                      gsl_matrix *out)
{
    const gsl_matrix *X = model_design_matrix(d);
    if (model_design_kind_of(d) != MODEL_DESIGN_INPUTS || X->size2 != m->P)
        return SS_FAIL(SS_ERR_USAGE, "linreg needs %zu inputs per row",
                       m->P);
    for (size_t i = 0; i < X->size1; i++) {
        for (size_t j = 0; j < m->P; j++)
            gsl_matrix_set(out, i, j, gsl_matrix_get(X, i, j));
        gsl_matrix_set(out, i, m->P,
                       dot_row(X, i, theta, m->P) +
                           gsl_ran_gaussian(r, m->opt[1]));
    }
    return SS_OK;
}

static ss_status linreg_fim_design(const model *m, const double *theta,
                                   const model_design *d, gsl_matrix *G)
{
    (void)theta;
    const gsl_matrix *X = model_design_matrix(d);
    double s2 = m->opt[1] * m->opt[1], n = (double)X->size1;
    for (size_t a = 0; a < m->P; a++)
        for (size_t b = 0; b < m->P; b++) {
            double s = 0;
            for (size_t i = 0; i < X->size1; i++)
                s += gsl_matrix_get(X, i, a) * gsl_matrix_get(X, i, b);
            gsl_matrix_set(G, a, b, s / (n * s2));
        }
    return SS_OK;
}

/* Scores of one row (x, y): (y - x.beta) x / sigma^2. */
static void linreg_score(const model *m, const double *theta,
                         const gsl_matrix *data, size_t i, double *s)
{
    double s2 = m->opt[1] * m->opt[1];
    double res = gsl_matrix_get(data, i, m->P) - dot_row(data, i, theta, m->P);
    for (size_t j = 0; j < m->P; j++)
        s[j] = res * gsl_matrix_get(data, i, j) / s2;
}

static const model_type linreg_type = {
    .name = "linreg",
    .summary = "test-only: y = x.beta + e on a design",
    .help = "test-only",
    .opts = linreg_opts,
    .nopts = 2,
    .param_summary = "beta (k)",
    .configure = linreg_configure,
    .data_cols = linreg_cols,
    .data_kind = MODEL_DATA_REGRESSION,
    .sample_design = linreg_sample_design,
    .fim_design = linreg_fim_design,
};

static void test_design(void **state)
{
    (void)state;
    model *m = NULL;
    double beta[3] = {0.5, -1.0, 2.0};
    model_arg a = {.key = "beta", .num = beta, .n = 3, .is_vector = 1};
    assert_int_equal(model_alloc(&linreg_type, &a, 1, &m), SS_OK);
    assert_string_equal(MODEL_PNAME(m, 2), "beta_3");

    /* a design: an intercept and two correlated inputs, in 4 groups */
    const size_t n = 200000, k = 3;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 20240607);
    gsl_matrix *X = gsl_matrix_alloc(n, k);
    size_t *grp = malloc(n * sizeof *grp);
    for (size_t i = 0; i < n; i++) {
        double u = gsl_ran_gaussian(r, 1.0), w = gsl_ran_gaussian(r, 1.0);
        gsl_matrix_set(X, i, 0, 1.0);
        gsl_matrix_set(X, i, 1, u);
        gsl_matrix_set(X, i, 2, 0.6 * u + 0.8 * w + 0.5);
        grp[i] = i % 4;
    }
    model_design *d = NULL;
    assert_int_equal(model_design_alloc(MODEL_DESIGN_INPUTS, X, grp, &d),
                     SS_OK);
    assert_int_equal(model_design_rows(d), n);
    assert_int_equal(model_design_ngroups(d), 4);
    assert_int_equal(model_design_group(d, 7), 3);
    assert_string_equal(model_design_kind_name(model_design_kind_of(d)),
                        "inputs");
    gsl_matrix_set(X, 0, 1, 99); /* the design holds its own copy */
    assert_true(gsl_matrix_get(model_design_matrix(d), 0, 1) != 99);
    free(grp);

    gsl_matrix *G = gsl_matrix_alloc(k, k);
    assert_int_equal(model_fim_design(m, m->theta, d, G), SS_OK);
    gsl_matrix *data = gsl_matrix_alloc(n, k + 1);
    assert_int_equal(model_sample_design(m, m->theta, d, r, data), SS_OK);
    /* the Monte-Carlo mean of score outer products, with its standard
     * error from the spread of the products over rows */
    double sum[3][3] = {{0}}, sq[3][3] = {{0}}, s[3];
    for (size_t i = 0; i < n; i++) {
        linreg_score(m, m->theta, data, i, s);
        for (size_t p = 0; p < k; p++)
            for (size_t q = 0; q < k; q++) {
                sum[p][q] += s[p] * s[q];
                sq[p][q] += s[p] * s[q] * s[p] * s[q];
            }
    }
    const gsl_matrix *Xd = model_design_matrix(d);
    for (size_t p = 0; p < k; p++)
        for (size_t q = 0; q < k; q++) {
            double mean = sum[p][q] / (double)n;
            double var = sq[p][q] / (double)n - mean * mean;
            double se = sqrt(var / (double)n);
            /* X^T X / (n sigma^2) written out, against the hook */
            double xx = 0;
            for (size_t i = 0; i < n; i++)
                xx += gsl_matrix_get(Xd, i, p) * gsl_matrix_get(Xd, i, q);
            double exact = xx / ((double)n * 0.25);
            assert_close(gsl_matrix_get(G, p, q), exact, 1e-12, 0);
            if (fabs(mean - exact) > 5 * se)
                fail_msg("G[%zu][%zu]: Monte Carlo %g +- %g, exact %g", p, q,
                         mean, se, exact);
        }
    /* the rows carry the design's inputs */
    assert_true(gsl_matrix_get(data, 5, 1) == gsl_matrix_get(Xd, 5, 1));

    /* shapes and families without a design are refused, clearly */
    gsl_matrix *bad = gsl_matrix_alloc(n, k);
    assert_int_equal(model_sample_design(m, m->theta, d, r, bad),
                     SS_ERR_USAGE);
    assert_non_null(
        strstr(ss_last_error()->msg, "needs a 200000 x 4 matrix"));
    ss_clear_error();
    gsl_matrix_free(bad);
    model *g = NULL;
    assert_int_equal(model_alloc(model_gmm, NULL, 0, &g), SS_OK);
    gsl_matrix *G3 = gsl_matrix_alloc(3, 3), *D1 = gsl_matrix_alloc(n, 1);
    assert_int_equal(model_fim_design(g, g->theta, d, G3), SS_ERR_USAGE);
    assert_non_null(strstr(ss_last_error()->msg, "gmm has no Fisher "
                                                 "information on a design"));
    ss_clear_error();
    assert_int_equal(model_sample_design(g, g->theta, d, r, D1),
                     SS_ERR_USAGE);
    assert_non_null(strstr(ss_last_error()->msg, "gmm takes no design"));
    ss_clear_error();
    gsl_matrix_set(X, 3, 2, NAN);
    model_design *d2 = (model_design *)1;
    assert_int_equal(model_design_alloc(MODEL_DESIGN_TIMES, X, NULL, &d2),
                     SS_ERR_RANGE);
    assert_null(d2);
    assert_non_null(strstr(ss_last_error()->msg, "(4, 3) is not finite"));
    ss_clear_error();

    gsl_matrix_free(G3);
    gsl_matrix_free(D1);
    model_free(g);
    gsl_matrix_free(G);
    gsl_matrix_free(data);
    gsl_matrix_free(X);
    model_design_free(d);
    gsl_rng_free(r);
    model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_block_names),
        cmocka_unit_test(test_block_errors),
        cmocka_unit_test(test_block_refused),
        cmocka_unit_test(test_vector_option),
        cmocka_unit_test(test_block_commands),
        cmocka_unit_test(test_many_sets_and_options),
        cmocka_unit_test(test_design),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Tests of the interpreter (lang/interp.c) through the command table: error
 * text and positions ("file:line:col: error: ..." and "error: ..."), the
 * all-or-nothing rule (a failing statement leaves the session unchanged),
 * scripts (nesting, binary input, long lines), `help` covering the whole
 * command table, and REPL completion candidates. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/sink.h"
#include "core/status.h"
#include "lang/commands.h"
#include "lang/interp.h"
#include "lang/parse.h"
#include "lang/repl.h"
#include "lang/session.h"
#include "model/model.h"
#include "fixture.h"

#include <gsl/gsl_rng.h>
#include <readline/history.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- fixture (fixture.h) ---------------------------------------------- */

/* The generator clone of the snapshot in progress, freed by teardown when
 * a failed assertion skipped snap_check. */
static gsl_rng *live_snap_rng;

static int teardown(void **state)
{
    if (live_snap_rng)
        gsl_rng_free(live_snap_rng);
    live_snap_rng = NULL;
    return fx_teardown(state);
}

/* ---- session snapshots: the all-or-nothing rule ------------------------ */

#define SNAP_MAX 16

typedef struct {
    size_t n;
    char names[SNAP_MAX][OBJ_NAME_MAX];
    const obj_type *types[SNAP_MAX];
    void *ptrs[SNAP_MAX];
    size_t P[SNAP_MAX];
    double theta[SNAP_MAX][8];
    unsigned char fr[SNAP_MAX][8];
    int csv, quit;
    uint64_t seed;
    gsl_rng *rng; /* a clone of the session generator */
} snap;

static void snap_take(const session *s, snap *sn)
{
    memset(sn, 0, sizeof *sn);
    assert_true(s->nobjs <= SNAP_MAX);
    sn->n = s->nobjs;
    for (size_t i = 0; i < s->nobjs; i++) {
        const ss_obj *o = &s->objs[i];
        memcpy(sn->names[i], o->name, OBJ_NAME_MAX);
        sn->types[i] = o->type;
        sn->ptrs[i] = o->ptr;
        if (o->type == &obj_model) {
            const model *m = o->ptr;
            assert_true(m->P <= 8);
            sn->P[i] = m->P;
            memcpy(sn->theta[i], m->theta, m->P * sizeof *m->theta);
            memcpy(sn->fr[i], m->is_free, m->P);
        }
    }
    sn->csv = s->csv;
    sn->quit = s->quit;
    sn->seed = s->seed;
    sn->rng = gsl_rng_clone(s->rng);
    assert_non_null(sn->rng);
    if (live_snap_rng)
        gsl_rng_free(live_snap_rng);
    live_snap_rng = sn->rng;
}

/* The session must be exactly as it was (objects, values, free flags,
 * settings and the position of the random generator); frees the snapshot. */
static void snap_check(const session *s, snap *sn, const char *text)
{
    if (s->nobjs != sn->n)
        fail_msg("\"%s\": %zu objects before, %zu after", text, sn->n,
                 s->nobjs);
    for (size_t i = 0; i < sn->n; i++) {
        const ss_obj *o = &s->objs[i];
        if (strcmp(o->name, sn->names[i]) != 0 || o->type != sn->types[i] ||
            o->ptr != sn->ptrs[i])
            fail_msg("\"%s\": object %zu ('%s') was replaced", text, i,
                     sn->names[i]);
        if (o->type == &obj_model) {
            const model *m = o->ptr;
            assert_int_equal(m->P, sn->P[i]);
            for (size_t k = 0; k < m->P; k++) {
                if (m->theta[k] != sn->theta[i][k])
                    fail_msg("\"%s\": %s.%s changed from %g to %g", text,
                             o->name, MODEL_PNAME(m, k), sn->theta[i][k],
                             m->theta[k]);
                if (m->is_free[k] != sn->fr[i][k])
                    fail_msg("\"%s\": free flag of %s.%s changed", text,
                             o->name, MODEL_PNAME(m, k));
            }
        }
    }
    assert_int_equal(s->csv, sn->csv);
    assert_int_equal(s->quit, sn->quit);
    assert_true(s->seed == sn->seed);
    gsl_rng *now = gsl_rng_clone(s->rng);
    assert_non_null(now);
    int moved = 0;
    for (int k = 0; k < 4; k++)
        if (gsl_rng_get(now) != gsl_rng_get(sn->rng))
            moved = 1;
    gsl_rng_free(now);
    if (moved)
        fail_msg("\"%s\": the session generator advanced", text);
    gsl_rng_free(sn->rng);
    sn->rng = NULL;
    live_snap_rng = NULL;
}

/* Text that must fail with this code, reported exactly once as
 * t.scn:LINE:COL: error: MSG, printing nothing else and changing nothing. */
static void err_at(fx *f, int line, const char *text, ss_status code,
                   int eline, int col, const char *msg)
{
    char want[2048];
    snap sn;
    snap_take(f->s, &sn);
    ss_status rc = fx_run_at(f, line, text);
    snprintf(want, sizeof want, "t.scn:%d:%d: error: %s\n", eline, col, msg);
    assert_string_equal(fx_err(f), want);
    assert_string_equal(fx_out(f), "");
    assert_int_equal(rc, code);
    snap_check(f->s, &sn, text);
}

static void err(fx *f, const char *text, ss_status code, int col,
                const char *msg)
{
    err_at(f, 1, text, code, 1, col, msg);
}

/* A model g with known, non-default values. */
static void make_g(fx *f)
{
    fx_ok_quiet(f, "model g gmm v=0.3 w1=0.25 w2=1.5");
}

static const model *get_model(fx *f, const char *name)
{
    ss_obj *o = session_find(f->s, name);
    assert_non_null(o);
    assert_ptr_equal(o->type, &obj_model);
    return o->ptr;
}

static double param(fx *f, const char *name, const char *p)
{
    const model *m = get_model(f, name);
    int i = model_param_index(m, p);
    assert_true(i >= 0);
    return m->theta[i];
}

/* Write a file into the fixture's temporary directory; returns its path
 * (static buffer). */
static const char *write_file(fx *f, const char *name, const char *data,
                              size_t len)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", fx_dir(f), name);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    assert_int_equal(fclose(fp), 0);
    return path;
}

static size_t count_substr(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* ---- blank input and the two error formats ----------------------------- */

static void test_blank_and_comment_lines(void **state)
{
    fx *f = *state;
    static const char *const blank[] = {
        "", "   ", "\t", "\n", "\n\n\n", ";", " ; ;; ", "# a comment",
        "   # indented comment", "# one\n# two\n", "\\", "\r",
    };
    for (size_t i = 0; i < sizeof blank / sizeof blank[0]; i++) {
        snap sn;
        snap_take(f->s, &sn);
        assert_int_equal(fx_run_at(f, 5, blank[i]), SS_OK);
        assert_string_equal(fx_out(f), "");
        assert_string_equal(fx_err(f), "");
        snap_check(f->s, &sn, blank[i]);
    }
}

static void test_error_format_with_and_without_file(void **state)
{
    fx *f = *state;
    err_at(f, 42, "zzzzzz", SS_ERR_NAME, 42, 1,
           "unknown command 'zzzzzz' (type `help` for the list)");
    err_at(f, 7, "   zzzzzz  ", SS_ERR_NAME, 7, 4,
           "unknown command 'zzzzzz' (type `help` for the list)");

    /* At the prompt (no file) there is no position. */
    ss_membuf_clear(&f->err);
    f->s->file = NULL;
    f->s->line = 3;
    assert_int_equal(interp_exec(f->s, "zzzzzz"), SS_ERR_NAME);
    assert_string_equal(fx_err(f), "error: unknown command 'zzzzzz' "
                                   "(type `help` for the list)\n");
    ss_membuf_clear(&f->err);
    assert_int_equal(interp_exec(f->s, "model g gmm v=2"), SS_ERR_RANGE);
    assert_string_equal(fx_err(f),
                        "error: v = 2 is outside its range [0, 1]\n");
    assert_null(session_find(f->s, "g"));
    f->s->file = "t.scn";
}

/* ---- unknown names ----------------------------------------------------- */

static void test_unknown_command_suggestion(void **state)
{
    fx *f = *state;
    err(f, "modle g gmm", SS_ERR_NAME, 1,
        "unknown command 'modle'; did you mean 'model'?");
    assert_null(session_find(f->s, "g"));
    err(f, "qiut", SS_ERR_NAME, 1,
        "unknown command 'qiut'; did you mean 'quit'?");
    err(f, "  hlep fim", SS_ERR_NAME, 3,
        "unknown command 'hlep'; did you mean 'help'?");
    /* Too far from every command, or too short to guess from. */
    err(f, "frobnicate", SS_ERR_NAME, 1,
        "unknown command 'frobnicate' (type `help` for the list)");
    err(f, "x", SS_ERR_NAME, 1,
        "unknown command 'x' (type `help` for the list)");

    /* Statements before the bad one ran; the ones after did not. */
    assert_int_equal(fx_run_at(f, 9, "echo a; lsit; echo b"), SS_ERR_NAME);
    assert_string_equal(fx_out(f), "a\n");
    assert_string_equal(fx_err(f), "t.scn:9:9: error: unknown command "
                                   "'lsit'; did you mean 'list'?\n");
}

/* "unknown model kind 'foo' (kinds: gmm, mlp2, ...)" from the registry */
static const char *unknown_kind_msg(void)
{
    static char msg[256];
    size_t n, len;
    const model_type *const *list = model_registry(&n);
    len = (size_t)snprintf(msg, sizeof msg,
                           "unknown model kind 'foo' (kinds: ");
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(msg + len, sizeof msg - len, "%s%s",
                                i ? ", " : "", list[i]->name);
    snprintf(msg + len, sizeof msg - len, ")");
    return msg;
}

static void test_unknown_model_kind_and_parameter(void **state)
{
    fx *f = *state;
    err(f, "model g foo", SS_ERR_NAME, 9, unknown_kind_msg());
    err(f, "model g gmm q=1", SS_ERR_NAME, 13,
        "'gmm' has no parameter 'q' (parameters: v, w1, w2)");
    assert_null(session_find(f->s, "g"));
    make_g(f);
    err(f, "set g w1=1 q=1", SS_ERR_NAME, 12,
        "'gmm' has no parameter 'q' (parameters: v, w1, w2)");
    err(f, "fix g zz", SS_ERR_NAME, 7,
        "'gmm' has no parameter 'zz' (parameters: v, w1, w2)");
    err(f, "free g zz", SS_ERR_NAME, 8,
        "'gmm' has no parameter 'zz' (parameters: v, w1, w2)");
    err(f, "set h v=0.1", SS_ERR_NAME, 5, "no model named 'h' (have: g)");
    err(f, "show nosuch", SS_ERR_NAME, 6,
        "no object named 'nosuch' (have: g)");
    err(f, "model g gmm 3", SS_ERR_USAGE, 13,
        "expected PARAM=VALUE, found a number");
    err(f, "model 3 gmm", SS_ERR_USAGE, 7,
        "expected a model name, found a number");
    err(f, "model g", SS_ERR_USAGE, 1,
        "model needs a model kind (see `models`)");
}

static void test_unknown_option_key(void **state)
{
    fx *f = *state;
    make_g(f);
    err(f, "fim g bogus=1", SS_ERR_USAGE, 7,
        "unknown option 'bogus' for fim (options: method n data seed threads "
        "design nquad form)");
    err(f, "eig g n=10 bogus=1", SS_ERR_USAGE, 12,
        "unknown option 'bogus' for eig (options: method n data seed threads "
        "design nquad form tol)");
    err(f, "sample g n=5 x=1 as d", SS_ERR_USAGE, 14,
        "unknown option 'x' for sample (options: n seed teacher task sep)");
    err(f, "list x=1", SS_ERR_USAGE, 6, "unknown option 'x' for list");
    err(f, "fim g method=mc n=10 method=exact", SS_ERR_USAGE, 22,
        "option 'method' given twice");
    err(f, "fim g method=bogus", SS_ERR_USAGE, 14,
        "unknown method 'bogus' (exact, mc, empirical, observed, block, fo, "
        "fo-full, quad)");
    err(f, "fim g method=3", SS_ERR_USAGE, 14, "method= needs a name");
    err(f, "quit now", SS_ERR_USAGE, 6,
        "quit takes at most 0 positional arguments");
    err(f, "models x", SS_ERR_USAGE, 8,
        "models takes at most 0 positional arguments");
}

/* ---- values: range, numbers, vectors ----------------------------------- */

static void test_out_of_range_value(void **state)
{
    fx *f = *state;
    err(f, "model g gmm v=2", SS_ERR_RANGE, 13,
        "v = 2 is outside its range [0, 1]");
    err(f, "model g gmm v=-0.5", SS_ERR_RANGE, 13,
        "v = -0.5 is outside its range [0, 1]");
    assert_null(session_find(f->s, "g"));
    make_g(f);

    /* All or nothing: w1 is valid, but it must not change either. */
    err(f, "set g v=2 w1=0.5", SS_ERR_RANGE, 7,
        "v = 2 is outside its range [0, 1]");
    err(f, "set g w1=0.5 v=2", SS_ERR_RANGE, 14,
        "v = 2 is outside its range [0, 1]");
    assert_true(param(f, "g", "w1") == 0.25);
    assert_true(param(f, "g", "v") == 0.3);
    err(f, "fix g w1=0.5 v=2", SS_ERR_RANGE, 14,
        "v = 2 is outside its range [0, 1]");
    assert_true(get_model(f, "g")->is_free[1]);

    /* The boundary itself is allowed. */
    fx_ok_quiet(f, "set g v=1");
    fx_ok_quiet(f, "set g v=0");
    assert_true(param(f, "g", "v") == 0);
}

static void test_model_replace_failure_keeps_old(void **state)
{
    fx *f = *state;
    make_g(f);
    const model *old = get_model(f, "g");
    err(f, "model g gmm v=7", SS_ERR_RANGE, 13,
        "v = 7 is outside its range [0, 1]");
    err(f, "model g gmm s=0", SS_ERR_RANGE, 13,
        "option s = 0 is outside [0.001, 1000]");
    err(f, "model g gmm s=[1,2]", SS_ERR_USAGE, 13,
        "option s takes one number");
    err(f, "model g foo v=0.5", SS_ERR_NAME, 9, unknown_kind_msg());
    err(f, "model g gmm w1=x", SS_ERR_USAGE, 13, "w1 needs a number");
    err(f, "model g gmm v=0..1", SS_ERR_USAGE, 15,
        "v= cannot take a range");
    assert_ptr_equal(get_model(f, "g"), old);
    assert_true(param(f, "g", "v") == 0.3);
    assert_true(param(f, "g", "w1") == 0.25);
    assert_true(param(f, "g", "w2") == 1.5);

    /* A successful `model` replaces it. */
    fx_ok_quiet(f, "model g gmm v=0.5");
    assert_true(param(f, "g", "w2") == 1);
    assert_int_equal(f->s->nobjs, 1);
}

static void test_malformed_numbers(void **state)
{
    fx *f = *state;
    make_g(f);
    err(f, "set g v=1e", SS_ERR_SYNTAX, 9, "malformed number '1e'");
    err(f, "set g v=0.5.5", SS_ERR_SYNTAX, 9, "malformed number '0.5.5'");
    err(f, "show 12abc", SS_ERR_SYNTAX, 6, "malformed number '12abc'");
    err(f, "set g w1=1e400", SS_ERR_SYNTAX, 10,
        "number out of range '1e400'");
    err(f, "set g v=", SS_ERR_SYNTAX, 9, "expected a value after '='");
    err(f, "show =1", SS_ERR_SYNTAX, 6,
        "expected a parameter name before '='");
    /* Nothing of an earlier statement in a text that fails to parse runs. */
    assert_int_equal(fx_run_at(f, 1, "set g v=0.9; set g v=1e"), SS_ERR_SYNTAX);
    assert_true(param(f, "g", "v") == 0.3);
}

static void test_malformed_vectors(void **state)
{
    fx *f = *state;
    make_g(f);
    err(f, "show [1, x]", SS_ERR_SYNTAX, 10,
        "vector elements must be numbers, found 'x'");
    err(f, "show [1,,2]", SS_ERR_SYNTAX, 9,
        "vector elements must be numbers, found ','");
    err(f, "show [,1]", SS_ERR_SYNTAX, 7,
        "vector elements must be numbers, found ','");
    err(f, "set g v=[0.5", SS_ERR_SYNTAX, 9, "unclosed '['");
    err(f, "show ]", SS_ERR_SYNTAX, 6, "expected a value, found ']'");
}

static void test_wrong_vector_length(void **state)
{
    fx *f = *state;
    make_g(f);
    err(f, "set g v=[0.1, 0.2]", SS_ERR_USAGE, 7,
        "v has 1 component, got 2 values");
    err(f, "set g w1=0.5 v=[]", SS_ERR_USAGE, 14,
        "v has 1 component, got 0 values");
    err(f, "model g gmm w2=[1 2 3]", SS_ERR_USAGE, 13,
        "w2 has 1 component, got 3 values");
    assert_true(param(f, "g", "w1") == 0.25);
    /* A one-element vector for a scalar is fine. */
    fx_ok_quiet(f, "set g w1=[0.75]");
    assert_true(param(f, "g", "w1") == 0.75);
}

static void test_structural_option_in_set(void **state)
{
    fx *f = *state;
    make_g(f);
    err(f, "set g w1=0 s=2", SS_ERR_USAGE, 12,
        "s is a structural option of gmm, fixed when the model is created "
        "(use `model` to re-create it)");
    err(f, "fix g s=2", SS_ERR_USAGE, 7,
        "s is a structural option of gmm, fixed when the model is created "
        "(use `model` to re-create it)");
    err(f, "free g v=0.2", SS_ERR_USAGE, 8,
        "free takes parameter names only (use `set` to change a value)");
    err(f, "set g", SS_ERR_USAGE, 1, "set needs at least one parameter");
    err(f, "set g v", SS_ERR_USAGE, 7, "expected PARAM=VALUE, found a name");
    assert_true(get_model(f, "g")->opt[0] == 1);
}

/* ---- scripts ----------------------------------------------------------- */

static void test_source_missing(void **state)
{
    fx *f = *state;
    err(f, "source nosuch.scn", SS_ERR_IO, 8,
        "cannot open 'nosuch.scn': no such file");
    err(f, "source \"no such.scn\"", SS_ERR_IO, 8,
        "cannot open 'no such.scn': no such file");
    err(f, "source /", SS_ERR_IO, 8, "'/' is not a file");
    err(f, "source 3", SS_ERR_USAGE, 8, "source needs a file name");
    err(f, "source", SS_ERR_USAGE, 1,
        "source needs 1 argument (see `help source`)");

    /* A script that cannot be opened, named directly. */
    char want[512];
    snap sn;
    snap_take(f->s, &sn);
    ss_membuf_clear(&f->err);
    f->s->file = NULL;
    assert_int_equal(interp_run_file(f->s, "/nonexistent/x.scn"), SS_ERR_IO);
    snprintf(want, sizeof want,
             "error: cannot open '/nonexistent/x.scn': No such file or "
             "directory\n");
    assert_string_equal(fx_err(f), want);
    snap_check(f->s, &sn, "interp_run_file(missing)");
    assert_int_equal(f->s->source_depth, 0);
}

static void test_source_runs_and_restores_position(void **state)
{
    fx *f = *state;
    const char inner[] = "echo inner\n\nmodel h gmm v=3\necho never\n";
    const char *ip = write_file(f, "inner.scn", inner, sizeof inner - 1);
    char ipath[256], want[512], cmd[300];
    snprintf(ipath, sizeof ipath, "%s", ip);
    snprintf(cmd, sizeof cmd, "echo before\nsource \"%s\"\necho after",
             ipath);
    assert_int_equal(fx_run_at(f, 20, cmd), SS_ERR_RANGE);
    assert_string_equal(fx_out(f), "before\ninner\n");
    /* The error names the inner file and line, once. */
    snprintf(want, sizeof want,
             "%s:3:13: error: v = 3 is outside its range [0, 1]\n", ipath);
    assert_string_equal(fx_err(f), want);
    assert_null(session_find(f->s, "h"));
    assert_string_equal(f->s->file, "t.scn");
    assert_int_equal(f->s->line, 20);
    assert_int_equal(f->s->source_depth, 0);

    /* Relative names are found next to the sourcing script. */
    const char outer[] = "source inner.scn\n";
    const char *op = write_file(f, "outer.scn", outer, sizeof outer - 1);
    char opath[256];
    snprintf(opath, sizeof opath, "%s", op);
    fx_reset(f);
    assert_int_equal(interp_run_file(f->s, opath), SS_ERR_RANGE);
    assert_string_equal(fx_out(f), "inner\n");
    assert_string_equal(fx_err(f), want);
    assert_string_equal(f->s->file, "t.scn");
    assert_int_equal(f->s->source_depth, 0);
}

static void test_source_self_depth_limit(void **state)
{
    fx *f = *state;
    const char self[] = "echo in\nsource self.scn\necho never\n";
    const char *p = write_file(f, "self.scn", self, sizeof self - 1);
    char path[256], want[1024];
    snprintf(path, sizeof path, "%s", p);
    make_g(f);
    snap sn;
    snap_take(f->s, &sn);
    fx_reset(f);
    assert_int_equal(interp_run_file(f->s, path), SS_ERR_LIMIT);
    snprintf(want, sizeof want,
             "%s:2:8: error: scripts nested too deeply (limit %d): does "
             "'%s' source itself?\n",
             path, INTERP_MAX_DEPTH, path);
    assert_string_equal(fx_err(f), want);
    assert_int_equal(count_substr(fx_out(f), "in\n"), INTERP_MAX_DEPTH);
    assert_null(strstr(fx_out(f), "never"));
    assert_int_equal(f->s->source_depth, 0);
    assert_string_equal(f->s->file, "t.scn");
    snap_check(f->s, &sn, "self-sourcing script");
}

static void test_binary_input(void **state)
{
    fx *f = *state;
    char path[256], want[512];
    snap sn;

    /* A NUL byte in the middle of line 2. */
    const char nul[] = "echo hi\nab\0cd\necho never\n";
    snprintf(path, sizeof path, "%s", write_file(f, "nul.scn", nul,
                                                 sizeof nul - 1));
    snap_take(f->s, &sn);
    fx_reset(f);
    assert_int_equal(interp_run_file(f->s, path), SS_ERR_SYNTAX);
    assert_string_equal(fx_out(f), "hi\n");
    snprintf(want, sizeof want,
             "%s:2:3: error: a NUL byte in the input (binary file?)\n", path);
    assert_string_equal(fx_err(f), want);
    snap_check(f->s, &sn, "nul.scn");

    /* Control and non-UTF-8 bytes are quoted as \xNN. */
    const char garbage[] = "\x01\xff\xfe model\n";
    snprintf(path, sizeof path, "%s",
             write_file(f, "garbage.scn", garbage, sizeof garbage - 1));
    snap_take(f->s, &sn);
    fx_reset(f);
    assert_int_equal(interp_run_file(f->s, path), SS_ERR_SYNTAX);
    snprintf(want, sizeof want,
             "%s:1:1: error: unexpected character '\\x01'\n", path);
    assert_string_equal(fx_err(f), want);
    snap_check(f->s, &sn, "garbage.scn");

    /* Random binary data: an error, no crash, nothing run. */
    unsigned char bin[4096];
    unsigned x = 12345;
    for (size_t i = 0; i < sizeof bin; i++) {
        x = x * 1103515245u + 12345u;
        bin[i] = (unsigned char)(x >> 16);
    }
    snprintf(path, sizeof path, "%s",
             write_file(f, "bin.scn", (const char *)bin, sizeof bin));
    snap_take(f->s, &sn);
    fx_reset(f);
    assert_int_not_equal(interp_run_file(f->s, path), SS_OK);
    assert_int_equal(count_substr(fx_err(f), "error: "), 1);
    snap_check(f->s, &sn, "bin.scn");

    /* Bytes >= 0x80 straight into interp_exec. */
    err(f, "show \xff", SS_ERR_SYNTAX, 6, "unexpected character '\\xff'");
    err(f, "show \xc3\xa9", SS_ERR_SYNTAX, 6,
        "unexpected character '\\xc3\\xa9'");
    err(f, "\x1b[2J", SS_ERR_SYNTAX, 1, "unexpected character '\\x1b'");
}

/* echo prints the rest of its statement as text, with terminal control
 * characters shown (caret notation, \xNN for C1 controls and bytes that
 * are not UTF-8) instead of passed to the terminal. */
static void test_echo(void **state)
{
    fx *f = *state;
    fx_ok_quiet(f, "echo Hello, world!");
    assert_string_equal(fx_out(f), "Hello, world!\n");
    fx_ok_quiet(f, "echo  (a = 1)  [b  ->  c]   ok? 100%");
    assert_string_equal(fx_out(f), "(a = 1) [b -> c] ok? 100%\n");
    fx_ok_quiet(f, "echo 'quoted;  #kept' and; echo two # comment");
    assert_string_equal(fx_out(f), "quoted;  #kept and\ntwo\n");
    fx_ok_quiet(f, "echo");
    assert_string_equal(fx_out(f), "\n");
    fx_ok_quiet(f, "echo 0.0010 1e400 1e-400 as x");
    assert_string_equal(fx_out(f), "0.0010 1e400 1e-400 as x\n");
    assert_int_equal(f->s->nobjs, 0);
    /* escape sequences: clear screen, colour, title, bell, CR, DEL */
    fx_ok_quiet(
        f, "echo \x1b[2J\x1b[31mred\x1b[0m '\x1b]0;title\x07' 'a\rb' \x7f");
    assert_string_equal(fx_out(f),
                        "^[[2J^[[31mred^[[0m ^[]0;title^G a^Mb ^?\n");
    fx_ok_quiet(f, "echo \"tab\\there\" x\x01y");
    assert_string_equal(fx_out(f), "tab\there x^Ay\n");
    /* UTF-8 passes; a C1 CSI (U+009B), a lone byte, an overlong form and
     * a surrogate do not */
    fx_ok_quiet(f, "echo \xc3\xa9t\xc3\xa9 \xe2\x86\x92 \xc2\x9b"
                   "2J \xff \xc0\xaf "
                   "\xed\xa0\x80");
    assert_string_equal(fx_out(f), "\xc3\xa9t\xc3\xa9 \xe2\x86\x92 "
                                   "\\xc2\\x9b2J \\xff \\xc0\\xaf "
                                   "\\xed\\xa0\\x80\n");
    /* errors in echo: an unterminated quote */
    err(f, "echo 'abc", SS_ERR_SYNTAX, 6, "unterminated string");
}

static void test_empty_and_crlf_scripts(void **state)
{
    fx *f = *state;
    char path[256];
    snprintf(path, sizeof path, "%s", write_file(f, "empty.scn", "", 0));
    fx_reset(f);
    assert_int_equal(interp_run_file(f->s, path), SS_OK);
    assert_string_equal(fx_out(f), "");
    assert_string_equal(fx_err(f), "");

    const char crlf[] = "# comment\r\necho a\r\n\r\necho \"b\r\n c\"\r\n"
                        "help [\r\n 1]\r\n";
    snprintf(path, sizeof path, "%s",
             write_file(f, "crlf.scn", crlf, sizeof crlf - 1));
    fx_reset(f);
    assert_int_equal(interp_run_file(f->s, path), SS_ERR_USAGE);
    assert_string_equal(fx_out(f), "a\nb\n c\n");
    char w[512];
    snprintf(w, sizeof w, "%s:6:6: error: help takes a command or model kind "
                          "name\n", path);
    assert_string_equal(fx_err(f), w);

    /* EOF inside an open bracket: reported at the statement's first line */
    const char unclosed[] = "echo ok\nmodel g gmm v=[0.5,\n  1\n";
    snprintf(path, sizeof path, "%s",
             write_file(f, "unclosed.scn", unclosed, sizeof unclosed - 1));
    fx_reset(f);
    assert_int_equal(interp_run_file(f->s, path), SS_ERR_SYNTAX);
    char want[512];
    snprintf(want, sizeof want, "%s:2:15: error: unclosed '['\n", path);
    assert_string_equal(fx_err(f), want);
    assert_string_equal(fx_out(f), "ok\n");
    assert_null(session_find(f->s, "g"));
}

static void test_very_long_line(void **state)
{
    fx *f = *state;
    size_t n = 70000;
    char *text = malloc(n + 1);
    assert_non_null(text);
    memcpy(text, "echo ", 5);
    memset(text + 5, 'a', n - 5);
    text[n] = 0;
    char msg[128];
    snprintf(msg, sizeof msg, "line too long (%zu bytes, limit %d)", n,
             PARSE_MAX_LINE);
    err(f, text, SS_ERR_LIMIT, PARSE_MAX_LINE + 1, msg);

    /* Exactly at the limit is fine. */
    text[PARSE_MAX_LINE] = 0;
    fx_ok_quiet(f, text);
    assert_int_equal(f->out.len, PARSE_MAX_LINE - 5 + 1);

    /* Through a script, too. */
    text[PARSE_MAX_LINE] = 'a';
    text[n - 1] = '\n';
    char path[256];
    snprintf(path, sizeof path, "%s", write_file(f, "long.scn", text, n));
    fx_reset(f);
    assert_int_equal(interp_run_file(f->s, path), SS_ERR_LIMIT);
    assert_string_equal(fx_out(f), "");
    assert_int_equal(count_substr(fx_err(f), "error: line too long"), 1);
    free(text);
}

/* ---- FIM, eig, sample -------------------------------------------------- */

static void test_fim_data_errors(void **state)
{
    fx *f = *state;
    make_g(f);
    fx_ok_quiet(f, "sample g n=50 seed=3 as d; fim g as F");
    err(f, "fim g method=empirical", SS_ERR_USAGE, 1,
        "method=empirical needs data=DATA (make one with `sample`)");
    err(f, "eig g method=observed", SS_ERR_USAGE, 1,
        "method=observed needs data=DATA (make one with `sample`)");
    err(f, "fim g method=empirical data=g", SS_ERR_USAGE, 29,
        "'g' is a model, not a data set");
    err(f, "fim g method=empirical data=F", SS_ERR_USAGE, 29,
        "'F' is a FIM, not a data set");
    err(f, "fim g method=empirical data=nosuch", SS_ERR_NAME, 29,
        "no data set named 'nosuch' (have: d)");
    err(f, "fim g method=empirical data=3", SS_ERR_USAGE, 29,
        "data= needs a data set name");
    err(f, "fim g data=d", SS_ERR_USAGE, 7,
        "data= applies to method=empirical or observed");
    err(f, "fim g n=10", SS_ERR_USAGE, 7, "n= applies to method=mc");
    err(f, "fim d", SS_ERR_USAGE, 5, "'d' is a data set, not a model");
    err(f, "fim nosuch", SS_ERR_NAME, 5, "no model named 'nosuch' (have: g)");
    err(f, "fim 3", SS_ERR_USAGE, 5, "expected a model name, found a number");
    err(f, "fim", SS_ERR_USAGE, 1, "fim needs 1 argument (see `help fim`)");
    fx_ok_quiet(f, "fim g method=empirical data=d");
    assert_non_null(strstr(fx_out(f), "empirical FIM"));
}

static void test_eig_on_stored_fim(void **state)
{
    fx *f = *state;
    make_g(f);
    fx_ok_quiet(f, "fim g as F");
    fx_ok_quiet(f, "eig F");
    assert_non_null(strstr(fx_out(f), "eigen-analysis of the exact FIM"));
    assert_non_null(strstr(fx_out(f), "rank 3 of 3"));
    fx_ok_quiet(f, "eig F tol=1e-3 as E");
    assert_ptr_equal(session_find(f->s, "E")->type, &obj_eig);
    err(f, "eig F method=mc", SS_ERR_USAGE, 7,
        "'F' is a stored FIM: only tol= applies");
    err(f, "eig F tol=0.5 seed=3", SS_ERR_USAGE, 15,
        "'F' is a stored FIM: only tol= applies");
    err(f, "eig E", SS_ERR_USAGE, 5, "'E' is a spectrum, not a model");
    err(f, "eig nosuch", SS_ERR_NAME, 5,
        "no model named 'nosuch' (have: g)");
}

static void test_tol_out_of_range(void **state)
{
    fx *f = *state;
    make_g(f);
    static const char *const bad[] = {"eig g tol=2", "eig g tol=0",
                                      "eig g tol=-1", "eig g tol=1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        err(f, bad[i], SS_ERR_RANGE, 11, "tol= must lie in (0, 1)");
    err(f, "eig g tol=x", SS_ERR_USAGE, 11, "tol= needs a number");
    fx_ok_quiet(f, "eig g tol=0.5");
    assert_non_null(strstr(fx_out(f), "relative tolerance 0.5"));
}

static void test_sample_errors(void **state)
{
    fx *f = *state;
    make_g(f);
    err(f, "sample g n=10", SS_ERR_USAGE, 1,
        "sample needs `as NAME` to store the data set");
    err(f, "sample g as d", SS_ERR_USAGE, 1, "sample needs n=N");
    err(f, "sample g n=0 as d", SS_ERR_RANGE, 12,
        "n=0 is outside [1, 100000000]");
    err(f, "sample g n=-3 as d", SS_ERR_RANGE, 12,
        "n=-3 is outside [1, 100000000]");
    err(f, "sample g n=1e9 as d", SS_ERR_RANGE, 12,
        "n=1e+09 is outside [1, 100000000]");
    err(f, "sample g n=1.5 as d", SS_ERR_USAGE, 12, "n= needs a whole number");
    err(f, "sample g n=x as d", SS_ERR_USAGE, 12, "n= needs a whole number");
    err(f, "sample g n=5 seed=-1 as d", SS_ERR_RANGE, 19,
        "seed=-1 is outside [0, 18446744073709551615]");
    err(f, "sample h n=5 as d", SS_ERR_NAME, 8,
        "no model named 'h' (have: g)");
    err(f, "fim g method=mc n=1", SS_ERR_RANGE, 19,
        "n=1 is outside [2, 1000000000]");
    err(f, "sample g n=5 as", SS_ERR_SYNTAX, 16, "expected a name after 'as'");
    assert_null(session_find(f->s, "d"));
    fx_ok_quiet(f, "sample g n=5 seed=2 as d");
    assert_string_equal(fx_out(f), "d: 5 observations from g\n");
}

/* ---- session commands -------------------------------------------------- */

static void test_format(void **state)
{
    fx *f = *state;
    err(f, "format xml", SS_ERR_USAGE, 8,
        "unknown format 'xml' (text or csv)");
    fx_ok_quiet(f, "format csv");
    assert_int_equal(f->s->csv, 1);
    err(f, "format xml", SS_ERR_USAGE, 8,
        "unknown format 'xml' (text or csv)");
    err(f, "format", SS_ERR_USAGE, 1,
        "format needs 1 argument (see `help format`)");
    err(f, "format csv text", SS_ERR_USAGE, 12,
        "format takes at most 1 positional argument");
    assert_int_equal(f->s->csv, 1);
    fx_ok_quiet(f, "format text");
    assert_int_equal(f->s->csv, 0);
}

static void test_seed(void **state)
{
    fx *f = *state;
    const char *msg = "seed needs a whole number from 0 to "
                      "18446744073709551615 (2^64 - 1) in plain digits";
    err(f, "seed -1", SS_ERR_USAGE, 6, msg);
    err(f, "seed 1.5", SS_ERR_USAGE, 6, msg);
    err(f, "seed x", SS_ERR_USAGE, 6, msg);
    /* 2^64 and beyond overflow; 1e3 and 1.0 are not plain digits; -0 is
     * negative */
    err(f, "seed 18446744073709551616", SS_ERR_USAGE, 6, msg);
    err(f, "seed 36893488147419103232", SS_ERR_USAGE, 6, msg);
    err(f, "seed 1e3", SS_ERR_USAGE, 6, msg);
    err(f, "seed 1.0", SS_ERR_USAGE, 6, msg);
    err(f, "seed -0", SS_ERR_USAGE, 6, msg);
    err(f, "seed +5", SS_ERR_USAGE, 6, msg);
    err(f, "seed [1]", SS_ERR_USAGE, 6, msg);
    fx_ok_quiet(f, "seed 42");
    assert_true(f->s->seed == 42);
    /* all 64 bits are kept, beyond 2^32 and beyond a double's 2^53 */
    fx_ok_quiet(f, "seed 4294967297");
    assert_true(f->s->seed == 4294967297ull);
    fx_ok_quiet(f, "seed 9007199254740993");
    assert_true(f->s->seed == 9007199254740993ull);
    fx_ok_quiet(f, "seed 18446744073709551615");
    assert_true(f->s->seed == UINT64_MAX);
    fx_ok_quiet(f, "seed 0");
    assert_true(f->s->seed == 0);
}

static void test_help_errors(void **state)
{
    fx *f = *state;
    err(f, "help nosuch", SS_ERR_NAME, 6, "no command or model kind 'nosuch'");
    err(f, "help modl", SS_ERR_NAME, 6,
        "no command or model kind 'modl'; did you mean 'model'?");
    err(f, "help 3", SS_ERR_USAGE, 6,
        "help takes a command or model kind name");
    err(f, "help a b", SS_ERR_USAGE, 8,
        "help takes at most 1 positional argument");
    fx_ok_quiet(f, "help gmm");
    assert_true(strncmp(fx_out(f), "model kind gmm: ", 16) == 0);
}

static void test_quit(void **state)
{
    fx *f = *state;
    err(f, "quit now", SS_ERR_USAGE, 6,
        "quit takes at most 0 positional arguments");
    assert_int_equal(f->s->quit, 0);
    assert_int_equal(fx_run_at(f, 1, "echo a; quit; echo b"), SS_OK);
    assert_int_equal(f->s->quit, 1);
    assert_string_equal(fx_out(f), "a\n");
    assert_string_equal(fx_err(f), "");
    f->s->quit = 0;
    fx_ok_quiet(f, "exit");
    assert_int_equal(f->s->quit, 1);
    f->s->quit = 0;

    /* quit inside a sourced script ends everything. */
    const char q[] = "echo in\nquit\necho never\n";
    char cmd[300];
    snprintf(cmd, sizeof cmd, "source \"%s\"; echo after",
             write_file(f, "quit.scn", q, sizeof q - 1));
    assert_int_equal(fx_run_at(f, 1, cmd), SS_OK);
    assert_string_equal(fx_out(f), "in\n");
    assert_int_equal(f->s->quit, 1);
    f->s->quit = 0;
}

static void test_delete(void **state)
{
    fx *f = *state;
    make_g(f);
    fx_ok_quiet(f, "model h gmm");
    err(f, "delete g nosuch", SS_ERR_NAME, 10, "no object named 'nosuch'");
    err(f, "delete nosuch g", SS_ERR_NAME, 8, "no object named 'nosuch'");
    err(f, "delete", SS_ERR_USAGE, 1,
        "delete needs 1 argument (see `help delete`)");
    assert_int_equal(f->s->nobjs, 2);
    fx_ok_quiet(f, "delete g h");
    assert_int_equal(f->s->nobjs, 0);
    fx_ok_quiet(f, "list");
    assert_string_equal(fx_out(f), "no objects yet (create a model with "
                                   "`model NAME KIND`)\n");
}

/* ---- statements over several physical lines ---------------------------- */

static void test_multiline_positions(void **state)
{
    fx *f = *state;
    make_g(f);
    /* backslash continuation: the error is on the 2nd physical line */
    err_at(f, 10, "set g w1=0 \\\n  v=2", SS_ERR_RANGE, 11, 3,
           "v = 2 is outside its range [0, 1]");
    /* inside an open bracket */
    err_at(f, 10, "show [1,\n  2, x]", SS_ERR_SYNTAX, 11, 6,
           "vector elements must be numbers, found 'x'");
    /* third physical line */
    err_at(f, 10, "set g \\\n  w1=0 \\\n    w2=1 q=3", SS_ERR_NAME, 12, 10,
           "'gmm' has no parameter 'q' (parameters: v, w1, w2)");
    /* a command's own position (verb) on a later line */
    err_at(f, 4, "\n\n  zzzzzz", SS_ERR_NAME, 6, 3,
           "unknown command 'zzzzzz' (type `help` for the list)");
    /* the unclosed bracket is on the first line */
    err_at(f, 10, "show a \\\n [1,\n 2", SS_ERR_SYNTAX, 11, 2,
           "unclosed '['");

    /* several statements: the second one fails, the first ran */
    assert_int_equal(fx_run_at(f, 30, "echo ok\nset g v=[0.1,\n 0.2]"),
                     SS_ERR_USAGE);
    assert_string_equal(fx_out(f), "ok\n");
    assert_string_equal(fx_err(f), "t.scn:31:7: error: v has 1 "
                                   "component, got 2 values\n");

    /* the same through a script file */
    const char ml[] = "# header\nset g w1=0 \\\n  v=2\n";
    char path[256], want[512];
    snprintf(path, sizeof path, "%s", write_file(f, "ml.scn", ml,
                                                 sizeof ml - 1));
    ss_membuf_clear(&f->err);
    assert_int_equal(interp_run_file(f->s, path), SS_ERR_RANGE);
    snprintf(want, sizeof want,
             "%s:3:3: error: v = 2 is outside its range [0, 1]\n", path);
    assert_string_equal(fx_err(f), want);
    assert_true(param(f, "g", "w1") == 0.25);
    fx_ok_quiet(f, "set g w1=0 \\\n  v=1");
    assert_true(param(f, "g", "v") == 1);
}

/* ---- help covers the whole command table ------------------------------- */

/* Append the blank-separated words of text to a growing list. */
static void words_of(const char *text, char ***v, size_t *n)
{
    const char *p = text;
    for (;;) {
        while (*p == ' ' || *p == '\n')
            p++;
        if (!*p)
            return;
        const char *e = p;
        while (*e && *e != ' ' && *e != '\n')
            e++;
        *v = realloc(*v, (*n + 1) * sizeof **v);
        assert_non_null(*v);
        (*v)[(*n)++] = strndup(p, (size_t)(e - p));
        p = e;
    }
}

static int is_op_word(const char *w, size_t n)
{
    if (n == 0 || n > 3)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!strchr("=<>!~+-*/|^&", w[i]))
            return 0;
    return 1;
}

/* help KIND and help COMMAND reflow the hard-wrapped help texts: the same
 * words in the same order, every reflowed line within 78 columns, no line
 * ending or starting with an operator ("d >" / "1"), and the expressions
 * of the examples kept whole. */
static void check_help_wrap(fx *f, const char *what, const char *src)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "help %s", what);
    fx_ok_quiet(f, cmd);
    const char *out = fx_out(f);
    const char *body = strstr(out, "\n\n"); /* after the header */
    assert_non_null(body);
    char **a = NULL, **b = NULL;
    size_t na = 0, nb = 0;
    words_of(src, &a, &na);
    words_of(body, &b, &nb);
    /* the body is the help text, then (for kinds) parameters/options */
    if (nb < na)
        fail_msg("help %s lost words (%zu of %zu)", what, nb, na);
    for (size_t i = 0; i < na; i++) {
        if (strcmp(a[i], b[i]) != 0)
            fail_msg("help %s: word %zu is '%s', expected '%s'", what, i,
                     b[i], a[i]);
    }
    for (size_t i = 0; i < na; i++)
        free(a[i]);
    for (size_t i = 0; i < nb; i++)
        free(b[i]);
    free(a);
    free(b);
    for (const char *ln = out; *ln;) {
        const char *e = strchr(ln, '\n');
        size_t len = e ? (size_t)(e - ln) : strlen(ln);
        int verbatim = strncmp(ln, "usage: ", 7) == 0 ||
                       strncmp(ln, "    ", 4) == 0 ||
                       (strncmp(ln, "  ", 2) == 0 && ln[2] != ' ' &&
                        strstr(ln + 2, "  ") && strchr(src, ':'));
        if (!verbatim && len > 78)
            fail_msg("help %s: a line of %zu columns: %.*s", what, len,
                     (int)len, ln);
        if (!verbatim && len > 0) {
            size_t k = len;
            while (k > 0 && ln[k - 1] != ' ')
                k--;
            size_t j = 0;
            while (j < len && ln[j] == ' ')
                j++;
            size_t je = j;
            while (je < len && ln[je] != ' ')
                je++;
            if (is_op_word(ln + k, len - k) || is_op_word(ln + j, je - j))
                fail_msg("help %s: a line broken at an operator: %.*s", what,
                         (int)len, ln);
        }
        ln += len;
        if (*ln)
            ln++;
    }
}

static void test_help_wraps_at_word_boundaries(void **state)
{
    fx *f = *state;
    size_t nk;
    const model_type *const *kinds = model_registry(&nk);
    for (size_t i = 0; i < nk; i++)
        check_help_wrap(f, kinds[i]->name, kinds[i]->help);
    size_t nc;
    const cmd_def *t = cmd_table(&nc);
    for (size_t i = 0; i < nc; i++)
        check_help_wrap(f, t[i].name, t[i].help);
    fx_ok_quiet(f, "help mlp2");
    assert_non_null(strstr(fx_out(f), "(g(t) = erf(t/sqrt 2), default)"));
    assert_non_null(strstr(fx_out(f), " d > 1 "));
    fx_ok_quiet(f, "help arma");
    assert_non_null(strstr(fx_out(f), "[[1/(1-ar1^2), 1/(1+ar1 ma1)], "
                                      "[1/(1+ar1 ma1), 1/(1-ma1^2)]]"));
    assert_non_null(strstr(fx_out(f), "KL(ARMA || WN)"));
}

/* A byte-order mark opens a script without error; columns count after it. */
static void test_bom(void **state)
{
    fx *f = *state;
    char path[256], want[512];
    const char bom[] = "\xef\xbb\xbf" "echo first\nbogus\n";
    snprintf(path, sizeof path, "%s", write_file(f, "bom.scn", bom,
                                                 sizeof bom - 1));
    fx_reset(f);
    assert_int_equal(interp_run_file(f->s, path), SS_ERR_NAME);
    assert_string_equal(fx_out(f), "first\n");
    snprintf(want, sizeof want, "%s:2:1: error: unknown command 'bogus' "
                                "(type `help` for the list)\n", path);
    assert_string_equal(fx_err(f), want);

    const char bom2[] = "\xef\xbb\xbf" "bogus\n";
    snprintf(path, sizeof path, "%s", write_file(f, "bom2.scn", bom2,
                                                 sizeof bom2 - 1));
    ss_membuf_clear(&f->err);
    assert_int_equal(interp_run_file(f->s, path), SS_ERR_NAME);
    snprintf(want, sizeof want, "%s:1:1: error: unknown command 'bogus' "
                                "(type `help` for the list)\n", path);
    assert_string_equal(fx_err(f), want);

    /* only at the very start: elsewhere it is an unexpected character */
    const char mid[] = "echo a\n\xef\xbb\xbf" "echo b\n";
    snprintf(path, sizeof path, "%s", write_file(f, "mid.scn", mid,
                                                 sizeof mid - 1));
    fx_reset(f);
    assert_int_equal(interp_run_file(f->s, path), SS_ERR_SYNTAX);
    assert_string_equal(fx_out(f), "a\n");
    snprintf(want, sizeof want, "%s:2:1: error: unexpected character "
                                "'\\xef\\xbb\\xbf'\n", path);
    assert_string_equal(fx_err(f), want);
}

/* Input with no newline is read up to the line limit, not without bound:
 * a stream of 10 MB of 'a' stops with one error at line 1 and runs
 * nothing; a line just at the limit runs. */
static void test_endless_line(void **state)
{
    fx *f = *state;
    size_t n = 10u << 20;
    char *big = malloc(n);
    assert_non_null(big);
    memset(big, 'a', n);
    FILE *in = fmemopen(big, n, "r");
    assert_non_null(in);
    fx_reset(f);
    assert_int_equal(interp_run_stream(f->s, in, "big"), SS_ERR_LIMIT);
    /* stopped right after the limit: the rest was never read */
    assert_true(ftell(in) <= (long)PARSE_MAX_LINE + 2);
    fclose(in);
    char want[256];
    snprintf(want, sizeof want, "big:1: error: line too long (more than %d "
                                "bytes): not a script?\n", PARSE_MAX_LINE);
    assert_string_equal(fx_err(f), want);
    assert_string_equal(fx_out(f), "");

    /* PARSE_MAX_LINE bytes and then "\r\n": fine */
    memcpy(big, "echo ", 5);
    memcpy(big + PARSE_MAX_LINE, "\r\necho b", 8);
    in = fmemopen(big, PARSE_MAX_LINE + 8, "r");
    assert_non_null(in);
    fx_reset(f);
    assert_int_equal(interp_run_stream(f->s, in, "ok"), SS_OK);
    fclose(in);
    assert_int_equal(f->out.len, PARSE_MAX_LINE - 5 + 1 + 2);
    assert_string_equal(fx_err(f), "");
    free(big);
}

/* 1e-400 is refused at its column, as 1e400 is; nothing changes. */
static void test_number_underflow_refused(void **state)
{
    fx *f = *state;
    make_g(f);
    err(f, "set g w1=1e-400", SS_ERR_SYNTAX, 10,
        "number out of range: '1e-400' is below the smallest double "
        "(4.9e-324) and would be read as 0");
    assert_true(param(f, "g", "w1") != 0);
    err(f, "set g w1=1e400", SS_ERR_SYNTAX, 10, "number out of range '1e400'");
    fx_ok_quiet(f, "set g w1=5e-324");
    assert_true(param(f, "g", "w1") > 0);
}

static void test_help_lists_every_command(void **state)
{
    fx *f = *state;
    size_t n;
    const cmd_def *t = cmd_table(&n);
    assert_true(n > 0);
    fx_ok_quiet(f, "help");
    const char *all = fx_out(f);
    char *copy = strdup(all);
    assert_non_null(copy);
    for (size_t i = 0; i < n; i++) {
        const cmd_def *c = &t[i];
        if (!c->synopsis || !c->synopsis[0] || !c->summary ||
            !c->summary[0] || !c->help || !c->help[0])
            fail_msg("command '%s' lacks usage, summary or help", c->name);
        if (strncmp(c->synopsis, c->name, strlen(c->name)) != 0)
            fail_msg("usage of '%s' does not start with its name", c->name);
        assert_ptr_equal(cmd_find(c->name), c);
        /* a line "  NAME  summary" in the listing */
        int found = 0;
        char *save = NULL;
        char *buf = strdup(copy);
        assert_non_null(buf);
        for (char *ln = strtok_r(buf, "\n", &save); ln;
             ln = strtok_r(NULL, "\n", &save)) {
            size_t nl = strlen(c->name);
            if (strncmp(ln, "  ", 2) == 0 &&
                strncmp(ln + 2, c->name, nl) == 0 && ln[2 + nl] == ' ' &&
                strstr(ln, c->summary))
                found = 1;
        }
        free(buf);
        if (!found)
            fail_msg("`help` does not list '%s'", c->name);

        /* help NAME prints the usage, summary and help text */
        char cmd[64], head[2048];
        snprintf(cmd, sizeof cmd, "help %s", c->name);
        fx_ok_quiet(f, cmd);
        char use[1024];
        cmd_usage(c, 7, 78, use, sizeof use);
        snprintf(head, sizeof head, "usage: %s\n%s.\n\n", use, c->summary);
        if (strncmp(fx_out(f), head, strlen(head)) != 0)
            fail_msg("`help %s` starts with: %.80s", c->name, fx_out(f));
        /* the first line of the help text appears verbatim */
        /* (long lines are word-wrapped: compare the first few words) */
        char first[256];
        int flen = (int)strcspn(c->help, "\n");
        snprintf(first, sizeof first, "%.*s", flen < 50 ? flen : 50,
                 c->help);
        if (flen > 50 && strrchr(first, ' '))
            *strrchr(first, ' ') = 0;
        if (first[0] && !strstr(fx_out(f), first))
            fail_msg("`help %s` lacks its help text", c->name);
    }
    free(copy);
    /* and the listing has exactly one line per command */
    fx_ok_quiet(f, "help");
    assert_int_equal(count_substr(fx_out(f), "\n"), n + 1);
}

/* ---- completion -------------------------------------------------------- */

/* Candidates for the last word of line; must equal want (any order). */
static void cands(fx *f, const char *line, const char *const *want)
{
    const char *sp = strrchr(line, ' ');
    const char *word = sp ? sp + 1 : line;
    char **v = repl_candidates(f->s, line, (int)(word - line), word);
    size_t nv = 0, nw = 0;
    while (v && v[nv])
        nv++;
    while (want[nw])
        nw++;
    for (size_t i = 0; i < nw; i++) {
        int found = 0;
        for (size_t j = 0; j < nv; j++)
            if (strcmp(v[j], want[i]) == 0)
                found = 1;
        if (!found)
            fail_msg("completing \"%s\": '%s' missing (%zu candidates)", line,
                     want[i], nv);
    }
    if (nv != nw)
        fail_msg("completing \"%s\": %zu candidates, expected %zu (first "
                 "'%s')",
                 line, nv, nw, nv ? v[0] : "");
    for (size_t j = 0; j < nv; j++)
        free(v[j]);
    free(v);
}

/* ---- history ------------------------------------------------------------ */

/* A statement typed over several lines is stored on one line that runs the
 * same: the same output (or parameter values) from both, no newline. */
static void same_when_recalled(fx *f, const char *typed, const char *want)
{
    char *h = repl_history_line(typed);
    assert_non_null(h);
    if (strchr(h, '\n'))
        fail_msg("history line of \"%s\" has a newline: \"%s\"", typed, h);
    if (want)
        assert_string_equal(h, want);
    fx_ok_quiet(f, typed);
    char *first = strdup(fx_out(f));
    assert_non_null(first);
    fx_ok_quiet(f, h);
    assert_string_equal(fx_out(f), first);
    free(first);
    free(h);
}

static void test_history_line(void **state)
{
    fx *f = *state;
    same_when_recalled(f, "echo joined \\\nmore", "echo joined more");
    same_when_recalled(f, "echo joined \\\n     across \\  \n three lines",
                       NULL);
    same_when_recalled(f, "echo trailing \\\n", "echo trailing");
    same_when_recalled(f, "echo 'a\nb' \"c\\\nd\"", "echo 'a\\nb' \"cd\"");
    same_when_recalled(f, "echo a # note\n", "echo a");
    same_when_recalled(f, "echo 'x # kept' \\\n  y", "echo 'x # kept'   y");
    same_when_recalled(f, "echo it's \\\n fine # really\n",
                       "echo it's  fine");
    same_when_recalled(f, "echo Hartigan's [ \\\n form", NULL);
    make_g(f);
    same_when_recalled(f, "set g w1=[  # first\n 0.25\n]; show g",
                       "set g w1=[    0.25 ]; show g");
    assert_true(param(f, "g", "w1") == 0.25);
    same_when_recalled(f, "set g \\\n  v=[0.125, \\\n]\nshow g", NULL);
    assert_true(param(f, "g", "v") == 0.125);

    /* through the line reader the REPL and the UI share */
    char *pending = NULL;
    clear_history();
    assert_null(repl_accept_line(&pending, strdup("echo joined \\"), NULL));
    assert_non_null(pending);
    char *text = repl_accept_line(&pending, strdup("more"), NULL);
    assert_non_null(text);
    assert_null(pending);
    assert_int_equal(history_length, 1);
    assert_string_equal(history_get(history_base)->line, "echo joined more");
    fx_ok_quiet(f, history_get(history_base)->line);
    assert_string_equal(fx_out(f), "joined more\n");
    free(text);
    clear_history();
}

static char *open_history_in(fx *f, const char *state_home, ss_membuf *warn)
{
    ss_sink w = ss_sink_mem(warn);
    (void)f;
    setenv("XDG_STATE_HOME", state_home, 1);
    alarm(20); /* a hang fails the test instead of stalling the suite */
    char *p = repl_history_open(&w);
    alarm(0);
    return p;
}

/* A FIFO at the history path is never opened blocking; a history that
 * cannot be kept says so once; a readable one is still read. */
static void test_history_open(void **state)
{
    fx *f = *state;
    char dir[256], path[300];
    ss_membuf warn = {0};
    const char *save = getenv("XDG_STATE_HOME");
    char *saved = save ? strdup(save) : NULL;

    write_file(f, "x", "", 0); /* makes fx_dir's directory */
    snprintf(dir, sizeof dir, "%s/state", f->dir);
    snprintf(path, sizeof path, "%s/singscope", dir);
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof path, "%s/singscope/history", dir);

    /* a FIFO */
    assert_int_equal(mkfifo(path, 0600), 0);
    clear_history();
    char *h = open_history_in(f, dir, &warn);
    assert_null(h);
    char want[600];
    snprintf(want, sizeof want,
             "warning: no command history: %s is not a regular file\n", path);
    assert_int_equal(warn.len, strlen(want));
    assert_memory_equal(warn.buf, want, warn.len);
    unlink(path);

    /* a regular file: read, appended to, no warning */
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("echo from before\n", fp);
    fclose(fp);
    ss_membuf_clear(&warn);
    clear_history();
    h = open_history_in(f, dir, &warn);
    assert_non_null(h);
    assert_string_equal(h, path);
    assert_int_equal(warn.len, 0);
    assert_int_equal(history_length, 1);
    assert_string_equal(history_get(history_base)->line, "echo from before");
    char *pending = NULL;
    free(repl_accept_line(&pending, strdup("echo new"), h));
    repl_history_close(&h);
    fp = fopen(path, "r");
    char line[64] = "";
    assert_non_null(fgets(line, sizeof line, fp));
    assert_non_null(fgets(line, sizeof line, fp));
    fclose(fp);
    assert_string_equal(line, "echo new\n");

    /* not writable (meaningless as root): read, warned once */
    if (geteuid() != 0) {
        assert_int_equal(chmod(path, 0400), 0);
        ss_membuf_clear(&warn);
        clear_history();
        h = open_history_in(f, dir, &warn);
        assert_null(h);
        assert_int_equal(history_length, 2);
        assert_true(warn.len > 0);
        assert_non_null(strstr(warn.buf, "commands will not be saved"));
        chmod(path, 0600);
    }

    /* no directory can be made there: warned once */
    ss_membuf_clear(&warn);
    clear_history();
    h = open_history_in(f, "/proc/self/no/such", &warn);
    assert_null(h);
    assert_true(warn.len > 0);
    assert_true(strncmp(warn.buf, "warning: no command history: cannot "
                                  "create the directory of "
                                  "/proc/self/no/such/singscope/history: ",
                        warn.len > 60 ? 60 : warn.len) == 0);

    /* appending fails later: one warning for any number of lines */
    ss_membuf_clear(&warn);
    h = open_history_in(f, dir, &warn);
    assert_non_null(h);
    for (int i = 0; i < 3; i++)
        free(repl_accept_line(&pending, strdup("echo x"),
                              "/proc/self/no/such/history"));
    assert_int_equal(count_substr(warn.buf ? warn.buf : "", "warning:"), 1);
    assert_non_null(strstr(warn.buf, "commands are no longer saved: cannot "
                                     "write /proc/self/no/such/history"));
    repl_history_close(&h);

    clear_history();
    ss_membuf_free(&warn);
    if (saved) {
        setenv("XDG_STATE_HOME", saved, 1);
        free(saved);
    } else {
        unsetenv("XDG_STATE_HOME");
    }
}

static void test_completion(void **state)
{
    fx *f = *state;
    static const char *const none[] = {NULL};
    cands(f, "mo", (const char *const[]){"model", "models", NULL});
    cands(f, "fi", (const char *const[]){"fim", "fimapprox", "fit", "fix", NULL});
    cands(f, "zz", none);
    cands(f, "model g g", (const char *const[]){"gmm", NULL});
    cands(f, "model g gmm w", (const char *const[]){"w1=", "w2=", NULL});
    cands(f, "model g gmm s", (const char *const[]){"s=", NULL});

    make_g(f);
    fx_ok_quiet(
        f, "model h gmm; sample g n=5 seed=1 as d1; sample g n=5 seed=2 as d2;"
           " fim g as F");
    cands(f, "set g w", (const char *const[]){"w1=", "w2=", NULL});
    cands(f, "set g ", (const char *const[]){"v=", "w1=", "w2=", NULL});
    cands(f, "fix g w", (const char *const[]){"w1", "w2", NULL});
    cands(f, "set ", (const char *const[]){"g", "h", NULL});
    cands(f, "show ", (const char *const[]){"g", "h", "d1", "d2", "F", NULL});
    cands(f, "fim g method=e",
          (const char *const[]){"method=empirical", "method=exact", NULL});
    cands(f, "fim g method=",
          (const char *const[]){"method=exact", "method=mc",
                                "method=empirical", "method=observed",
                                "method=block", "method=fo",
                                "method=fo-full", "method=quad", NULL});
    cands(f, "fim g data=", (const char *const[]){"data=d1", "data=d2", NULL});
    cands(f, "fim g method=empirical data=d",
          (const char *const[]){"data=d1", "data=d2", NULL});
    cands(f, "fim g n", (const char *const[]){"n=", "nquad=", NULL});
    cands(f, "eig g t", (const char *const[]){"tol=", "threads=", NULL});
    cands(f, "sample g a", (const char *const[]){"as", NULL});
    cands(f, "format c", (const char *const[]){"csv", NULL});
    cands(f, "help mo", (const char *const[]){"model", "models", NULL});
    cands(f, "help gm", (const char *const[]){"gmm", NULL});
    /* only the current statement counts */
    cands(f, "echo x; mo", (const char *const[]){"model", "models", NULL});
    cands(f, "nosuch g w", none);

    /* path g <tab>: its axes, parameters and blow-down coordinates (gmm's
     * are v, m and u), written NAME: */
    cands(f, "path g ",
          (const char *const[]){"v:", "w1:", "w2:", "m:", "u:", NULL});
    cands(f, "path g w", (const char *const[]){"w1:", "w2:", NULL});
    cands(f, "path g w2: 1 -> 0 st", (const char *const[]){"steps=", NULL});
    /* map g x=<tab>: the same axes after x= and y= */
    cands(f, "map g x=",
          (const char *const[]){"x=v:", "x=w1:", "x=w2:", "x=m:", "x=u:",
                                NULL});
    cands(f, "map g x=w1:-1..1 y=w",
          (const char *const[]){"y=w1:", "y=w2:", NULL});
    cands(f, "map g x=w1:-1..1 y=u", (const char *const[]){"y=u:", NULL});
    cands(f, "map F x=", none); /* not a model */
    fx_ok_quiet(f, "model n mlp2 d=2");
    cands(f, "path n J1_", (const char *const[]){"J1_1:", "J1_2:", NULL});
    cands(f, "map n y=u", (const char *const[]){"y=u_1:", "y=u_2:", NULL});
    /* plot: only what can be drawn, never a model */
    cands(f, "plot ", (const char *const[]){"d1", "d2", "F", NULL});
    fx_ok_quiet(f, "path g w2: 1 -> 0.5 steps=3 as P");
    cands(f, "plot ", (const char *const[]){"d1", "d2", "F", "P", NULL});
    cands(f, "plot g", none);
    cands(f, "export ", (const char *const[]){"g", "h", "n", "d1", "d2", "F",
                                              "P", NULL});
    /* file names where a file goes: source's argument, export's second */
    assert_int_equal(repl_wants_files("source ", 7), 1);
    assert_int_equal(repl_wants_files("export P ", 9), 1);
    assert_int_equal(repl_wants_files("export P p.c", 9), 1);
    assert_int_equal(repl_wants_files("export ", 7), 0);
    assert_int_equal(repl_wants_files("export P p.csv ", 15), 0);
    assert_int_equal(repl_wants_files("echo a; export P ", 17), 1);
    assert_int_equal(repl_wants_files("plot P ", 7), 0);
    assert_int_equal(repl_wants_files("", 0), 0);
}

/* ---- regressions: bugs found in review, fixed ------------------------- */

static void test_review_regressions(void **state)
{
    fx *f = *state;
    char longname[80];
    memset(longname, 'a', 70);
    longname[70] = 0;
    char cmd[200];
    make_g(f);

    /* A failing fim must not draw from the session generator. */
    fx_ok_quiet(f, "fix g v w1 w2");
    err(f, "fim g", SS_ERR_USAGE, 1,
        "no free parameters (use `free NAME PARAM`)");
    fx_ok_quiet(f, "free g v w1 w2");

    /* A failing sample must not draw either; the error should point at
     * the name after `as`. */
    snprintf(cmd, sizeof cmd, "sample g n=3 as %s", longname);
    err(f, cmd, SS_ERR_LIMIT, 17, "name too long (limit 63 characters)");
    snprintf(cmd, sizeof cmd, "model %s gmm", longname);
    err(f, cmd, SS_ERR_LIMIT, 7, "name too long (limit 63 characters)");
    /* fim prints its result and then fails to store it */
    snprintf(cmd, sizeof cmd, "fim g as %s", longname);
    err(f, cmd, SS_ERR_LIMIT, 10, "name too long (limit 63 characters)");

    /* The exact FIM is deterministic and should not consume random
     * numbers (adding `fim g` to a script changes later samples). */
    snap sn;
    snap_take(f->s, &sn);
    fx_ok_quiet(f, "fim g");
    snap_check(f->s, &sn, "fim g");

    /* `as` on a command that stores nothing is silently ignored. */
    assert_int_not_equal(fx_run_at(f, 1, "model k gmm as h"), SS_OK);

    /* The same key twice is silently accepted (last wins). */
    assert_int_not_equal(fx_run_at(f, 1, "set g v=0.1 v=0.2"), SS_OK);

    /* a duplicated structural option blames `model` for not being used */
    assert_int_equal(fx_run_at(f, 1, "model k gmm s=2 s=3"), SS_ERR_USAGE);
    assert_null(strstr(fx_err(f), "use `model` to re-create it"));

    /* 1e300 is a whole number >= 0: the message should give the range */
    assert_int_equal(fx_run_at(f, 1, "seed 1e300"), SS_ERR_USAGE);
    assert_null(strstr(fx_err(f), "whole number >= 0\n"));

    /* `delete 3` reports "no object named '?'" */
    assert_int_not_equal(fx_run_at(f, 1, "delete 3"), SS_OK);
    assert_null(strstr(fx_err(f), "'?'"));

    /* A directory named as a script reads as an empty file: SS_OK. */
    ss_membuf_clear(&f->err);
    assert_int_not_equal(interp_run_file(f->s, "/tmp"), SS_OK);

    /* A forgotten ']' in a long script is reported as "line too long"
     * somewhere in the middle of the file instead of at the bracket. */
    size_t len = 0, cap = 200000;
    char *big = malloc(cap);
    assert_non_null(big);
    len += (size_t)snprintf(big, cap, "model k gmm v=[0.5\n");
    for (int i = 0; i < 3000; i++)
        len += (size_t)snprintf(big + len, cap - len, "%s\n",
                                "set g v=0.25 w1=0 w2=1.5   # a typical line");
    char path[256];
    snprintf(path, sizeof path, "%s", write_file(f, "forgot.scn", big, len));
    free(big);
    ss_membuf_clear(&f->err);
    assert_int_equal(interp_run_file(f->s, path), SS_ERR_SYNTAX);
    assert_null(strstr(fx_err(f), "line too long"));
}

int main(void)
{
    ss_gsl_install_handler();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_blank_and_comment_lines, fx_setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_error_format_with_and_without_file,
                                        fx_setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_command_suggestion,
                                        fx_setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_model_kind_and_parameter,
                                        fx_setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_option_key, fx_setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_out_of_range_value, fx_setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_model_replace_failure_keeps_old,
                                        fx_setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_numbers, fx_setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_malformed_vectors, fx_setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_wrong_vector_length, fx_setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_structural_option_in_set, fx_setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_source_missing, fx_setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_source_runs_and_restores_position,
                                        fx_setup, teardown),
        cmocka_unit_test_setup_teardown(test_source_self_depth_limit, fx_setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_binary_input, fx_setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_and_crlf_scripts, fx_setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_very_long_line, fx_setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_fim_data_errors, fx_setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_eig_on_stored_fim, fx_setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_tol_out_of_range, fx_setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_sample_errors, fx_setup, teardown),
        cmocka_unit_test_setup_teardown(test_format, fx_setup, teardown),
        cmocka_unit_test_setup_teardown(test_seed, fx_setup, teardown),
        cmocka_unit_test_setup_teardown(test_echo, fx_setup, teardown),
        cmocka_unit_test_setup_teardown(test_help_wraps_at_word_boundaries,
                                        fx_setup, teardown),
        cmocka_unit_test_setup_teardown(test_bom, fx_setup, teardown),
        cmocka_unit_test_setup_teardown(test_endless_line, fx_setup, teardown),
        cmocka_unit_test_setup_teardown(test_number_underflow_refused, fx_setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_help_errors, fx_setup, teardown),
        cmocka_unit_test_setup_teardown(test_quit, fx_setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete, fx_setup, teardown),
        cmocka_unit_test_setup_teardown(test_multiline_positions, fx_setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_help_lists_every_command, fx_setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_completion, fx_setup, teardown),
        cmocka_unit_test_setup_teardown(test_history_line, fx_setup, teardown),
        cmocka_unit_test_setup_teardown(test_history_open, fx_setup, teardown),
        cmocka_unit_test_setup_teardown(test_review_regressions, fx_setup,
                                        teardown),
    };
    return cmocka_run_group_tests_name("interp", tests, NULL, NULL);
}

/* The option tables of the commands (cmd_def.opts): each table is
 * consistent in itself (help, defaults within bounds, choices that the
 * rest of the program parses), the handlers accept exactly the keys of
 * their table, and the checks made from it (kinds, bounds) fail with the
 * column of the value and change nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fixture.h"

#include "design/est_pop.h"
#include "fim/estimator.h"
#include "fim/map.h"
#include "lang/args.h"
#include "lang/commands.h"
#include "lang/parse.h"
#include "lang/repl.h"
#include "plot/palette.h"

#include <math.h>

/* Commands whose keywords are model parameters or whose words are text:
 * they have no option table and are not checked key by key. */
static int takes_params(const char *name)
{
    static const char *const v[] = {"model", "set", "fix", "free", "bound", "prior",
                                    "echo"};
    for (size_t i = 0; i < sizeof v / sizeof *v; i++)
        if (strcmp(name, v[i]) == 0)
            return 1;
    return 0;
}

static int is_number(const char *t, double *v)
{
    char *end;
    if (!t || !*t)
        return 0;
    *v = strtod(t, &end);
    return *end == 0;
}

static void test_tables_consistent(void **state)
{
    (void)state;
    size_t nc;
    const cmd_def *t = cmd_table(&nc);
    size_t nopts = 0;
    for (size_t c = 0; c < nc; c++) {
        for (const cmd_opt *o = t[c].opts; o && o->key; o++, nopts++) {
            const char *cn = t[c].name;
            if (!o->help || !o->help[0])
                fail_msg("%s %s= has no help", cn, o->key);
            for (const cmd_opt *p = t[c].opts; p != o; p++)
                if (strcmp(p->key, o->key) == 0)
                    fail_msg("%s lists %s twice", cn, o->key);
            double d;
            int num = is_number(o->def, &d);
            switch (o->kind) {
            case OPT_COUNT:
                if (!(o->lo <= o->hi) || o->lo != floor(o->lo) ||
                    o->hi != floor(o->hi) || o->lo < 0)
                    fail_msg("%s %s=: bad bounds", cn, o->key);
                if (num && !(d >= o->lo && d <= o->hi && d == floor(d)))
                    fail_msg("%s %s=: default %s outside [%g, %g]", cn,
                             o->key, o->def, o->lo, o->hi);
                break;
            case OPT_REAL:
                if (o->lo_br && num &&
                    !((o->lo_br == '(' ? d > o->lo : d >= o->lo) &&
                      (o->hi_br == ')' ? d < o->hi : d <= o->hi)))
                    fail_msg("%s %s=: default %s outside its bounds", cn,
                             o->key, o->def);
                if (o->def && !num)
                    fail_msg("%s %s=: default is not a number", cn, o->key);
                break;
            case OPT_WORD:
                if (!opt_choice(o, 0))
                    fail_msg("%s %s=: no choices", cn, o->key);
                break;
            case OPT_OBJECT:
                assert_non_null(o->obj);
                break;
            case OPT_GRID: {
                unsigned w = 0, h = 0;
                if (!o->def || sscanf(o->def, "%ux%u", &w, &h) != 2 ||
                    w < o->lo || h < o->lo || (double)w * h > o->hi)
                    fail_msg("%s %s=: default %s outside its bounds", cn,
                             o->key, o->def ? o->def : "(none)");
                break;
            }
            default: break;
            }
            if ((o->flags & OPT_REQUIRED) && o->def)
                fail_msg("%s %s= is required and has a default", cn, o->key);
        }
        if (t[c].opts && takes_params(t[c].name))
            fail_msg("%s takes parameters and an option table", t[c].name);
    }
    assert_true(nopts >= 30);

    /* method= lists the estimator table, in its order */
    const cmd_def *fim = cmd_find("fim");
    const cmd_opt *m = NULL;
    for (const cmd_opt *o = fim->opts; o->key; o++)
        if (strcmp(o->key, "method") == 0)
            m = o;
    assert_non_null(m);
    size_t ne;
    const fim_estimator *const *est = fim_estimator_table(&ne);
    for (size_t i = 0; i < ne; i++)
        assert_string_equal(opt_choice(m, i), est[i]->name);
    /* then the design layer's population estimators not named already */
    size_t np, k2 = ne;
    const fim_estimator *const *pe = est_pop_table(&np);
    for (size_t i = 0; i < np; i++)
        if (!fim_estimator_find(pe[i]->name))
            assert_string_equal(opt_choice(m, k2++), pe[i]->name);
    assert_true(k2 > ne);
    assert_null(opt_choice(m, k2));
    /* stat= and palette= list what map and the plots parse */
    const cmd_def *map = cmd_find("map"), *plot = cmd_find("plot");
    size_t k = 0;
    for (const cmd_opt *o = map->opts; o->key; o++)
        if (strcmp(o->key, "stat") == 0)
            for (const char *c; (c = opt_choice(o, k)) != NULL; k++)
                assert_int_equal(map_stat_parse(c), (int)k);
    assert_int_equal(k, MAP_RANK + 1);
    k = 0;
    for (const cmd_opt *o = plot->opts; o->key; o++)
        if (strcmp(o->key, "palette") == 0)
            for (const char *c; (c = opt_choice(o, k)) != NULL; k++)
                assert_int_equal(palette_parse(c), (int)k);
    assert_int_equal(k, CANVAS_PAL_COUNT);
}

/* Objects of every kind, for statements that name them. */
static void make_objects(fx *f)
{
    fx_ok_quiet(f, "model g gmm v=0.3 w1=0.25 w2=1.5");
    fx_ok_quiet(f, "sample g n=200 seed=3 as d");
    fx_ok_quiet(f, "fim g as F");
    fx_ok_quiet(f, "eig g as E");
    fx_ok_quiet(f, "path g w2: 1.5 -> 1 steps=3 as P");
    fx_ok_quiet(f, "map g x=w1:-1..1 y=w2:-1..1 res=3x3 as M");
    fx_ok_quiet(f, "design D times=[1,2,4]");
    char line[256];
    snprintf(line, sizeof line, "export d %s/d.csv", fx_dir(f));
    fx_ok(f, line);
}

/* A statement of each command that reaches its options. */
static const char *base_of(fx *f, const char *cmd, char *buf, size_t n)
{
    static const struct {
        const char *cmd, *base;
    } b[] = {{"sample", "sample g n=5 as d2"},
             {"fim", "fim g"},
             {"eig", "eig g"},
             {"path", "path g w2: 1.5 -> 1 steps=3"},
             {"map", "map g res=3x3"},
             {"replicate", "replicate g n=5 reps=2 seed=1 as R2"},
             {"export", "export P DIR/p.txt"},
             {"plot", "plot F"},
             {"train", "train g algo=gd eta=0.1 steps=2"},
             {"plateaus", "plateaus g"},
             {"flow", "flow g t=1"},
             {"fit", "fit g"},
             {"load", "load DIR/d.csv as L"},
             {"loglik", "loglik g data=d"},
             {"portrait", "portrait g"},
             {"posterior", "posterior g"},
             {"freeenergy", "freeenergy g"},
             {"rlct", "rlct g"},
             {"spectrum", "spectrum g"},
             {"fimapprox", "fimapprox g"},
             {"sweep", "sweep g"},
             {"design", "design D2"},
             {"optimize", "optimize D"}};
    for (size_t i = 0; i < sizeof b / sizeof *b; i++)
        if (strcmp(b[i].cmd, cmd) == 0) {
            const char *d = strstr(b[i].base, "DIR");
            if (d)
                snprintf(buf, n, "%.*s%s%s", (int)(d - b[i].base), b[i].base,
                         fx_dir(f), d + 3);
            else
                snprintf(buf, n, "%s", b[i].base);
            return buf;
        }
    snprintf(buf, n, "%s", cmd);
    return buf;
}

/* A valid value of the option's kind. */
static const char *value_of(const cmd_opt *o, char *buf, size_t n)
{
    switch (o->kind) {
    case OPT_COUNT: snprintf(buf, n, "%.0f", o->lo < 3 ? 3 : o->lo); break;
    case OPT_REAL: snprintf(buf, n, "%g", (o->lo + o->hi) / 2); break;
    case OPT_WORD:
    case OPT_BOOL: snprintf(buf, n, "%s", opt_choice(o, 0)); break;
    case OPT_TEXT: snprintf(buf, n, "\"a title\""); break;
    case OPT_OBJECT:
        snprintf(buf, n, "%s", o->obj == &obj_model ? "g" : "d");
        break;
    case OPT_FILE: snprintf(buf, n, "x.txt"); break;
    case OPT_AXIS:
        snprintf(buf, n, "%s", strcmp(o->key, "y") == 0 ? "w2:-1..1"
                                                          : "w1:-1..1");
        break;
    case OPT_RANGE: snprintf(buf, n, "0..1"); break;
    case OPT_GRID: snprintf(buf, n, "3x3"); break;
    case OPT_POINT: snprintf(buf, n, "[0.3, 0.25, 1.5]"); break;
    case OPT_COLUMNS: snprintf(buf, n, "[1]"); break;
    case OPT_NAMES:
        snprintf(buf, n, "[%s]", o->words || o->choice ? opt_choice(o, 0)
                                                        : "g");
        break;
    case OPT_COUNTS: snprintf(buf, n, "[%.0f]", o->lo < 3 ? 3 : o->lo); break;
    case OPT_NUMBERS: snprintf(buf, n, "[[1, 2], [3]]"); break;
    case OPT_FLAG: buf[0] = 0; break;
    }
    return buf;
}

/* Every key of a table is known to its handler and a valid value of its
 * kind passes the table's checks. */
static void test_handlers_accept_their_keys(void **state)
{
    fx *f = *state;
    make_objects(f);
    size_t nc;
    const cmd_def *t = cmd_table(&nc);
    for (size_t c = 0; c < nc; c++)
        for (const cmd_opt *o = t[c].opts; o && o->key; o++) {
            char base[256], vbuf[64], line[512], bad[128];
            base_of(f, t[c].name, base, sizeof base);
            if (o->kind == OPT_FLAG)
                snprintf(line, sizeof line, "%s %s", base, o->key);
            else
                snprintf(line, sizeof line, "%s %s=%s", base, o->key,
                         value_of(o, vbuf, sizeof vbuf));
            fx_run(f, line);
            const char *e = fx_err(f);
            snprintf(bad, sizeof bad, "unknown option '%s'", o->key);
            if (strstr(e, bad) || strstr(e, "unexpected"))
                fail_msg("%s: %s", line, e);
            /* the kind and bound messages of args.c */
            static const char *const refusals[] = {" needs", " takes",
                                                   " must lie"};
            for (size_t r = 0; r < 3; r++) {
                snprintf(bad, sizeof bad, "error: %s=%s", o->key,
                         refusals[r]);
                if (strstr(e, bad))
                    fail_msg("%s: a valid value refused: %s", line, e);
            }
            snprintf(bad, sizeof bad, "error: %s=%s is outside", o->key,
                     vbuf);
            if (o->kind != OPT_FLAG && strstr(e, bad))
                fail_msg("%s: a valid value refused: %s", line, e);
        }
    /* and, where one suffices, the statement succeeds */
    fx_ok_quiet(f, "fim g method=mc n=1000 seed=5 threads=2");
    fx_ok_quiet(f, "eig g tol=1e-8");
    fx_ok_quiet(f, "path g w2: 1.5 -> 1 steps=3 decades=15 log");
    fx_ok_quiet(f, "map g x=w1:-1..1 y=w2:-1..1 res=3x2 stat=cond tol=0.5");
    fx_ok_quiet(f, "plot M width=40 height=10 range=-5..0 palette=turbo "
                   "title=\"t\" ascii");
    fx_ok_quiet(f, "plot P logx=no logy=yes");
}

/* A key of no table (or another command's) is unknown, and the message
 * lists exactly this command's keys in table order. */
static void test_other_keys_unknown(void **state)
{
    fx *f = *state;
    size_t nc;
    const cmd_def *t = cmd_table(&nc);
    for (size_t c = 0; c < nc; c++) {
        if (takes_params(t[c].name))
            continue;
        char list[256] = "";
        for (const cmd_opt *o = t[c].opts; o && o->key; o++)
            if (o->kind != OPT_FLAG) {
                if (list[0])
                    strcat(list, " ");
                strcat(list, o->key);
            }
        for (size_t d = 0; d <= nc; d++) {
            const cmd_opt *keys = d < nc ? t[d].opts : NULL;
            static const cmd_opt bogus[] = {{.key = "bogus"}, {.key = NULL}};
            if (d == nc)
                keys = bogus;
            for (const cmd_opt *k = keys; k && k->key; k++) {
                int own = 0;
                for (const cmd_opt *o = t[c].opts; o && o->key; o++)
                    if (strcmp(o->key, k->key) == 0 && o->kind != OPT_FLAG)
                        own = 1;
                if (own || k->kind == OPT_FLAG)
                    continue;
                char line[128], want[512];
                snprintf(line, sizeof line, "%s %s=1", t[c].name, k->key);
                snprintf(want, sizeof want,
                         "t.scn:1:%zu: error: unknown option '%s' for %s%s%s%s"
                         "\n",
                         strlen(t[c].name) + 2, k->key, t[c].name,
                         list[0] ? " (options: " : "", list,
                         list[0] ? ")" : "");
                assert_int_equal(fx_run(f, line), SS_ERR_USAGE);
                assert_string_equal(fx_err(f), want);
                assert_false(f->s->quit);
            }
        }
    }
}

/* Kind and bound errors point at the value, come before any lookup of
 * the objects named and store nothing. */
static void test_kind_and_bound_errors(void **state)
{
    fx *f = *state;
    make_objects(f);
    /* bounds: open and closed ends as the table says */
    fx_fail(f, "eig g tol=1", 11, "tol= must lie in (0, 1)");
    fx_fail(f, "eig g tol=0", 11, "tol= must lie in (0, 1)");
    fx_fail(f, "path g w2: 1.5 -> 1 decades=0", 29,
            "decades= must lie in (0, 15]");
    fx_fail(f, "path g w2: 1.5 -> 1 decades=15.5", 29,
            "decades= must lie in (0, 15]");
    fx_fail(f, "path g w2: 1.5 -> 1 steps=1", 27,
            "steps=1 is outside [2, 100000]");
    fx_fail(f, "fim g threads=0", 15, "threads=0 is outside [1, 256]");
    fx_fail(f, "plot P in=17", 11, "in=17 is outside [1, 16]");
    fx_fail(f, "export P x.txt width=19", 22,
            "width=19 is outside [20, 1000]");
    /* a picture raises the table's lower bound to its own */
    fx_fail(f, "plot P width=25", 14, "width=25 is outside [30, 1000]");
    fx_fail(f, "map g x=w1:-1..1 y=w2:-1..1 res=1x5", 33,
            "res= needs whole numbers of at least 2 points per axis");
    fx_fail(f, "map g x=w1:-1..1 y=w2:-1..1 res=1001x1000", 33,
            "resolution 1001x1000 is too large (at most 1000000 points)");
    /* kinds */
    fx_fail(f, "fim g method=bogus", 14,
            "unknown method 'bogus' (exact, mc, empirical, observed, block, fo, "
            "fo-full, quad)");
    fx_fail(f, "map g x=w1:-1..1 y=w2:-1..1 stat=max", 34,
            "unknown stat 'max' (logdet, lambda_min, cond, rank)");
    fx_fail(f, "plot M palette=5", 16,
            "palette= takes one of viridis, turbo, light, coolwarm");
    fx_fail(f, "export P x.txt format=png", 23,
            "format= takes one of csv, text, picture");
    fx_fail(f, "fim g method=empirical data=[1]", 29,
            "data= needs a data set name");
    fx_fail(f, "sample g n=5 teacher=2 as d3", 22,
            "teacher= needs a model name");
    fx_fail(f, "plot P logx=maybe", 13, "logx= takes yes or no");
    fx_fail(f, "plot P title=5", 14, "title= needs text");
    fx_fail(f, "plot M range=1..0", 14, "range=1..0 is empty (need LO < HI)");
    fx_fail(f, "plot M range=3", 14, "range= takes LO..HI");
    fx_fail(f, "map g x=3 y=w2:-1..1", 9, "x= needs PARAM:FROM..TO");
    fx_fail(f, "fim g n=2.5", 9, "n= needs a whole number");
    /* the whole statement is checked before the objects it names */
    fx_fail(f, "fim nosuch n=1", 14, "n=1 is outside [2, 1000000000]");
    fx_fail(f, "map nosuch x=w1:-1..1 y=w2:-1..1 stat=max", 39,
            "unknown stat 'max'");
    /* required options name their form */
    fx_fail(f, "sample g as d4", 1, "sample needs n=N");
    fx_fail(f, "map g y=w2:-1..1", 1, "map needs x=PARAM:FROM..TO");
    fx_fail(f, "map g x=w1:-1..1", 1, "map needs y=PARAM:FROM..TO");
}

/* The readers return the table's defaults when a key is absent: the
 * defaults the hand-written help promises. */
/* seed= keeps all 64 bits: seeds that are one apart beyond 2^53 (the
 * same double) give different data, and 2^64 is refused at its column. */
static void test_seed_all_bits(void **state)
{
    fx *f = *state;
    fx_ok(f, "model g gmm");
    fx_ok(f, "sample g n=4 seed=9007199254740992 as a");
    fx_ok(f, "sample g n=4 seed=9007199254740993 as b");
    fx_ok(f, "sample g n=4 seed=18446744073709551615 as c");
    const dataset *a = session_find(f->s, "a")->ptr;
    const dataset *b = session_find(f->s, "b")->ptr;
    assert_true(memcmp(a->X->data, b->X->data, 4 * sizeof(double)) != 0);
    fx_fail(f, "sample g n=4 seed=18446744073709551616 as d", 19,
            "seed= is too large (at most 18446744073709551615)");
}

static void test_defaults_from_table(void **state)
{
    (void)state;
    static const struct {
        const char *line, *key;
        double want;
    } c[] = {{"fim g", "n", 100000},         {"eig g", "n", 100000},
             {"path g w2: 1 -> 0", "n", 20000}, {"path g w2: 1 -> 0", "steps", 20},
             {"path g w2: 1 -> 0", "decades", 6}, {"eig g", "tol", 1e-10},
             {"map g", "tol", 1e-10},        {"export P f.txt", "width", 80},
             {"export P f.txt", "height", 24}, {"plot P", "width", 0}};
    for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
        ss_stmt_list l;
        assert_int_equal(parse_line(c[i].line, &l), SS_OK);
        const cmd_opt *o = args_opt(&l.v[0], c[i].key);
        assert_non_null(o);
        double got;
        if (o->kind == OPT_COUNT) {
            uint64_t u;
            assert_int_equal(args_count(&l.v[0], c[i].key, &u), SS_OK);
            got = (double)u;
        } else {
            assert_int_equal(args_real(&l.v[0], c[i].key, &got), SS_OK);
        }
        if (got != c[i].want)
            fail_msg("%s: %s= reads %g, expected %g", c[i].line, c[i].key,
                     got, c[i].want);
        stmt_list_free(&l);
    }
    ss_stmt_list l;
    size_t nx, ny;
    const char *w;
    assert_int_equal(parse_line("map g", &l), SS_OK);
    assert_int_equal(args_grid(&l.v[0], "res", &nx, &ny), SS_OK);
    assert_int_equal(nx, 41);
    assert_int_equal(ny, 41);
    assert_int_equal(args_word(&l.v[0], "stat", &w), SS_OK);
    assert_string_equal(w, "logdet");
    stmt_list_free(&l);
    /* a default that is a description, not a choice, reads as none */
    assert_int_equal(parse_line("export P f.txt", &l), SS_OK);
    assert_int_equal(args_word(&l.v[0], "format", &w), SS_OK);
    assert_null(w);
    stmt_list_free(&l);
}

static size_t ncands(fx *f, const char *line, const char *want)
{
    const char *sp = strrchr(line, ' ');
    const char *word = sp ? sp + 1 : line;
    char **v = repl_candidates(f->s, line, (int)(word - line), word);
    size_t n = 0;
    int found = 0;
    while (v && v[n]) {
        if (want && strcmp(v[n], want) == 0)
            found = 1;
        free(v[n++]);
    }
    free(v);
    if (want && !found)
        fail_msg("completing \"%s\": no '%s'", line, want);
    return n;
}

/* Completion offers the table's keys, flags and values. */
static void test_completion_from_table(void **state)
{
    fx *f = *state;
    make_objects(f);
    size_t ne;
    const fim_estimator *const *est = fim_estimator_table(&ne);
    for (size_t i = 0; i < ne; i++) {
        char want[64];
        snprintf(want, sizeof want, "method=%s", est[i]->name);
        ncands(f, "eig g method=", want);
        ncands(f, "path g w2: 1 -> 0 method=", want);
    }
    /* and the design layer's population estimators with new names */
    size_t np, extra = 0;
    const fim_estimator *const *pe = est_pop_table(&np);
    for (size_t i = 0; i < np; i++)
        extra += fim_estimator_find(pe[i]->name) == NULL;
    for (size_t i = 0; i < np; i++) {
        char w2[64];
        snprintf(w2, sizeof w2, "method=%s", pe[i]->name);
        assert_int_equal(ncands(f, "fim g method=", w2), ne + extra);
    }
    assert_int_equal(ncands(f, "fim g method=", NULL), ne + extra);
    assert_int_equal(ncands(f, "map g stat=", "stat=lambda_min"), 4);
    assert_int_equal(ncands(f, "plot M palette=", "palette=coolwarm"),
                     CANVAS_PAL_COUNT);
    assert_int_equal(ncands(f, "plot P logx=", "logx=no"), 2);
    assert_int_equal(ncands(f, "sample g n=3 teacher=", "teacher=g"), 1);
    assert_int_equal(ncands(f, "export P p.txt format=", "format=picture"),
                     3);
    assert_int_equal(ncands(f, "plot P a", "ascii"), 1);
    assert_int_equal(ncands(f, "path g w2: 1 -> 0 l", "log"), 1);
    assert_int_equal(ncands(f, "fim g th", "threads="), 1);
    assert_int_equal(ncands(f, "fim g bogus=", NULL), 0);
    /* every key of every table, from the empty word */
    size_t nc;
    const cmd_def *t = cmd_table(&nc);
    for (size_t c = 0; c < nc; c++) {
        char base[256], line[300], want[64];
        base_of(f, t[c].name, base, sizeof base);
        snprintf(line, sizeof line, "%s ", base);
        for (const cmd_opt *o = t[c].opts; o && o->key; o++) {
            snprintf(want, sizeof want, "%s%s", o->key,
                     o->kind == OPT_FLAG ? "" : "=");
            ncands(f, line, want);
        }
    }
}

/* `help CMD` ends with an options block, a line per option; the Markdown
 * reference has the same. */
static void test_help_options_block(void **state)
{
    fx *f = *state;
    size_t nc;
    const cmd_def *t = cmd_table(&nc);
    ss_membuf md = {0};
    ss_sink mds = ss_sink_mem(&md);
    cmd_write_markdown(&mds);
    for (size_t c = 0; c < nc; c++) {
        char line[64];
        snprintf(line, sizeof line, "help %s", t[c].name);
        fx_ok_quiet(f, line);
        const char *out = fx_out(f);
        const char *blk = strstr(out, "\noptions:\n");
        if (!t[c].opts) {
            assert_null(blk);
            continue;
        }
        if (!blk)
            fail_msg("help %s has no options block", t[c].name);
        /* the block with its wrapped lines joined again */
        char *flat = strdup(blk);
        assert_non_null(flat);
        char *w = flat;
        for (const char *r = flat; *r; r++) {
            if (*r == '\n' && strncmp(r + 1, "    ", 4) == 0) {
                *w++ = ' ';
                r += 4;
            } else {
                *w++ = *r;
            }
        }
        *w = 0;
        for (const cmd_opt *o = t[c].opts; o->key; o++) {
            char use[256], want[1100];
            opt_usage(o, use, sizeof use);
            want[0] = '\n';
            cmd_option_line(o, want + 1, sizeof want - 1);
            if (!strstr(flat, want))
                fail_msg("help %s lacks the line of %s:%s", t[c].name, o->key,
                         want);
            if (o->def && !strstr(want, o->def))
                fail_msg("%s %s=: help omits the default", t[c].name, o->key);
            snprintf(want, sizeof want, "- `%s`: %s", use, o->help);
            if (!strstr(md.buf, want))
                fail_msg("docs lack the option %s of %s", o->key, t[c].name);
        }
        free(flat);
    }
    ss_membuf_free(&md);
}

/* ---- usage lines generated from the tables ---------------------------- */

/* The words of one form of a usage line; "[as NAME]" and "as NAME" are one
 * word. */
static size_t usage_tokens(char *line, char **tok, size_t max)
{
    size_t n = 0;
    for (char *save = NULL, *w = strtok_r(line, " ", &save); w && n < max;
         w = strtok_r(NULL, " ", &save)) {
        if (n > 0 && (strcmp(tok[n - 1], "[as") == 0 ||
                      strcmp(tok[n - 1], "as") == 0)) {
            tok[n - 1][strlen(tok[n - 1])] = ' '; /* rejoin */
            continue;
        }
        tok[n++] = w;
    }
    return n;
}

/* A placeholder of a synopsis as a value the objects of make_objects
 * satisfy. */
static const char *placeholder(const char *w)
{
    static const struct {
        const char *meta, *value;
    } p[] = {{"NAME", "g"},   {"OBJECT", "P"}, {"FILE", "x.txt"},
             {"PARAM:", "w2:"}, {"FROM", "1.5"}, {"TO", "1"}};
    for (size_t i = 0; i < sizeof p / sizeof *p; i++)
        if (strcmp(p[i].meta, w) == 0)
            return p[i].value;
    return w;
}

/* Does the statement pass the table's checks? The error, if not. */
static ss_status check_line(const char *line, char *err, size_t n)
{
    ss_stmt_list l;
    ss_status rc = parse_line(line, &l);
    if (rc != SS_OK) {
        snprintf(err, n, "does not parse: %s", ss_last_error()->msg);
        return rc;
    }
    ss_clear_error();
    rc = args_check_opts(&l.v[0], 0, 16);
    snprintf(err, n, "%s", rc == SS_OK ? "" : ss_last_error()->msg);
    stmt_list_free(&l);
    return rc;
}

/* Every key of a table appears in its command's usage exactly once, in
 * table order: required keys bare, optional ones and flags in brackets,
 * the keys of a second form bare in that form only; `as NAME` as declared;
 * the choices listed are the table's (method=: the estimator table). The
 * usage read back with placeholder values passes the table's checks, and
 * without a required key or `as` fails naming what is missing. */
static void test_usage_from_table(void **state)
{
    (void)state;
    size_t nc;
    const cmd_def *t = cmd_table(&nc);
    for (size_t c = 0; c < nc; c++) {
        const cmd_def *cd = &t[c];
        char use[2048], wrapped[2048];
        size_t need = cmd_usage(cd, 0, 0, use, sizeof use);
        assert_int_equal(need, strlen(use));
        if ((cd->as == CMD_AS_NONE) != (cd->stores == NULL))
            fail_msg("%s: `as` declared %d but stores %p", cd->name, cd->as,
                     (const void *)cd->stores);
        /* wrapped for help: no line past 78 columns, same words */
        cmd_usage(cd, 7, 78, wrapped, sizeof wrapped);
        size_t col = 7;
        for (const char *q = wrapped; *q; q++) {
            col = *q == '\n' ? 0 : col + 1;
            if (col > 78)
                fail_msg("usage of %s passes 78 columns: %s", cd->name,
                         wrapped);
        }
        char a[2048], b[2048];
        size_t la = 0, lb = 0;
        for (const char *q = use; *q; q++)
            if (*q != '\n' && *q != ' ')
                a[la++] = *q;
        for (const char *q = wrapped; *q; q++)
            if (*q != '\n' && *q != ' ')
                b[lb++] = *q;
        a[la] = b[lb] = 0;
        assert_string_equal(a, b);
        /* the forms: one per synopsis line */
        char *forms[2] = {use, strchr(use, '\n')};
        if (forms[1])
            *forms[1]++ = 0;
        size_t nform = forms[1] ? 2 : 1;
        size_t seen[64] = {0};
        size_t nopt = 0;
        for (const cmd_opt *o = cd->opts; o && o->key; o++)
            nopt++;
        assert_true(nopt < 64);
        for (size_t fi = 0; fi < nform; fi++) {
            char *tok[64];
            size_t nt = usage_tokens(forms[fi], tok, 64);
            /* the positional words of this form's synopsis line */
            const char *syn = cd->synopsis;
            for (size_t k = 0; k < fi; k++)
                syn = strchr(syn, '\n') + 1;
            size_t npos = 0;
            for (const char *q = syn; *q && *q != '\n';) {
                q += strspn(q, " ");
                if (*q && *q != '\n')
                    npos++;
                q += strcspn(q, " \n");
            }
            assert_true(npos >= 1 && npos <= nt);
            if (strcmp(tok[0], cd->name) != 0)
                fail_msg("usage of %s starts with %s", cd->name, tok[0]);
            char ex[2048];
            size_t el = 0;
            el += (size_t)snprintf(ex, sizeof ex, "%s", cd->name);
            for (size_t k = 1; k < npos; k++)
                el += (size_t)snprintf(ex + el, sizeof ex - el, " %s",
                                       placeholder(tok[k]));
            long last = -1;
            int as_seen = 0, more = 0;
            size_t drop_at[64], drop_len[64], ndrop = 0;
            const char *drop_what[64];
            for (size_t k = npos; k < nt; k++) {
                char *w = tok[k];
                size_t wl = strlen(w);
                int br = w[0] == '[' && w[wl - 1] == ']';
                char inner[512];
                snprintf(inner, sizeof inner, "%.*s", (int)(wl - 2 * br),
                         w + br);
                if (strcmp(inner, "...") == 0) {
                    assert_int_equal(fi, 1); /* the second form's others */
                    more = 1;
                    continue;
                }
                if (strncmp(inner, "as ", 3) == 0) {
                    const char *meta = cd->as_meta ? cd->as_meta : "RESULT";
                    assert_string_equal(inner + 3, meta);
                    if (br != (cd->as == CMD_AS_OPTIONAL))
                        fail_msg("%s: `as` bracketed %d, declared %d",
                                 cd->name, br, cd->as);
                    as_seen = 1;
                    drop_at[ndrop] = el;
                    drop_what[ndrop] = "`as NAME`";
                    el += (size_t)snprintf(ex + el, sizeof ex - el,
                                           " as R1");
                    drop_len[ndrop] = el - drop_at[ndrop];
                    ndrop += cd->as == CMD_AS_REQUIRED;
                    continue;
                }
                if (more || as_seen)
                    fail_msg("usage of %s: '%s' after `as` or ...", cd->name,
                             w);
                char *eq = strchr(inner, '=');
                size_t kl = eq ? (size_t)(eq - inner) : strlen(inner);
                long idx = -1;
                size_t i = 0;
                for (const cmd_opt *o = cd->opts; o && o->key; o++, i++)
                    if (strlen(o->key) == kl &&
                        strncmp(o->key, inner, kl) == 0 &&
                        (o->kind == OPT_FLAG) == (eq == NULL))
                        idx = (long)i;
                if (idx < 0)
                    fail_msg("usage of %s: '%s' is no key of its table",
                             cd->name, w);
                const cmd_opt *o = &cd->opts[idx];
                seen[idx]++;
                if (idx <= last)
                    fail_msg("usage of %s: %s out of table order", cd->name,
                             o->key);
                last = idx;
                int alt = (o->flags & OPT_ALT) != 0;
                if (alt != (fi == 1))
                    fail_msg("usage of %s: %s in the wrong form", cd->name,
                             o->key);
                int bare = alt || (o->kind != OPT_FLAG &&
                                   (o->flags & OPT_REQUIRED));
                if (bare == br)
                    fail_msg("usage of %s: %s %s brackets", cd->name, o->key,
                             br ? "in" : "without");
                /* the value: the first choice the usage lists, else one of
                 * the option's kind */
                char val[128];
                if (eq && strchr(eq + 1, '|')) {
                    /* the choices listed are the table's, in order */
                    char want[512] = "";
                    const char *ch;
                    for (size_t j = 0; (ch = opt_choice(o, j)) != NULL; j++)
                        snprintf(want + strlen(want),
                                 sizeof want - strlen(want), "%s%s",
                                 j ? "|" : "", ch);
                    assert_string_equal(eq + 1, want);
                    snprintf(val, sizeof val, "%.*s",
                             (int)strcspn(eq + 1, "|"), eq + 1);
                } else {
                    value_of(o, val, sizeof val);
                }
                drop_at[ndrop] = el;
                drop_what[ndrop] = o->key;
                if (o->kind == OPT_FLAG)
                    el += (size_t)snprintf(ex + el, sizeof ex - el, " %s",
                                           o->key);
                else
                    el += (size_t)snprintf(ex + el, sizeof ex - el, " %s=%s",
                                           o->key, val);
                drop_len[ndrop] = el - drop_at[ndrop];
                ndrop += bare && !alt;
            }
            if (cd->as != CMD_AS_NONE && fi == 0 && !as_seen)
                fail_msg("usage of %s lacks `as`", cd->name);
            if (fi == 1 && !more)
                fail_msg("second form of %s lacks ...", cd->name);
            if (!cd->opts)
                continue; /* parameters and text: no table to check */
            char err[1100];
            if (check_line(ex, err, sizeof err) != SS_OK)
                fail_msg("%s (from the usage of %s): %s", ex, cd->name, err);
            /* without a required key or `as`, refused by the table */
            for (size_t k = 0; k < ndrop; k++) {
                char cut[2048], want[128];
                snprintf(cut, sizeof cut, "%.*s%s", (int)drop_at[k], ex,
                         ex + drop_at[k] + drop_len[k]);
                if (strcmp(drop_what[k], "`as NAME`") == 0)
                    snprintf(want, sizeof want, "%s needs `as NAME`",
                             cd->name);
                else
                    snprintf(want, sizeof want, "%s needs %s=", cd->name,
                             drop_what[k]);
                assert_int_equal(check_line(cut, err, sizeof err),
                                 SS_ERR_USAGE);
                if (!strstr(err, want))
                    fail_msg("%s: '%s', expected '%s'", cut, err, want);
                assert_int_equal(ss_last_error()->col, 1);
            }
        }
        for (size_t i = 0; i < nopt; i++)
            if (seen[i] != 1)
                fail_msg("usage of %s shows %s %zu times", cd->name,
                         cd->opts[i].key, seen[i]);
    }
    /* method= lists the estimator table, in its order, from the table */
    size_t ne;
    const fim_estimator *const *est = fim_estimator_table(&ne);
    /* too many to list in the usage (method=NAME): the option's line in
     * `help` lists every one */
    char use[2048], line[1024];
    for (const char *const *v = (const char *const[]){"fim", "eig", "path",
                                                       NULL};
         *v; v++) {
        cmd_usage(cmd_find(*v), 0, 0, use, sizeof use);
        if (!strstr(use, "[method=NAME]"))
            fail_msg("usage of %s lacks [method=NAME]: %s", *v, use);
        const cmd_opt *mo = NULL;
        for (const cmd_opt *o = cmd_find(*v)->opts; o->key; o++)
            if (strcmp(o->key, "method") == 0)
                mo = o;
        assert_non_null(mo);
        cmd_option_line(mo, line, sizeof line);
        for (size_t i = 0; i < ne; i++)
            if (!strstr(line, est[i]->name))
                fail_msg("help of %s method= lacks %s: %s", *v,
                         est[i]->name, line);
        if (!strstr(line, "fo-full"))
            fail_msg("help of %s method= lacks fo-full: %s", *v, line);
    }
    /* the forms as written before the usage was generated, where the
     * order of the table was already theirs */
    cmd_usage(cmd_find("sample"), 0, 0, use, sizeof use);
    assert_string_equal(use, "sample NAME n=N [seed=S] [teacher=T] "
                             "[task=model|clusters] [sep=S] as DATA");
    cmd_usage(cmd_find("export"), 0, 0, use, sizeof use);
    assert_string_equal(use, "export OBJECT FILE [format=csv|text|picture] "
                             "[width=W] [height=H] [ascii]");
    cmd_usage(cmd_find("layout"), 0, 0, use, sizeof use);
    assert_string_equal(use, "layout N|CxR|A+B[+C..][:P,..]");
    /* help prints the wrapped form after "usage: ": continued lines under
     * the first argument, a second form on a line of its own */
    cmd_usage(cmd_find("map"), 7, 78, use, sizeof use);
    assert_string_equal(use, "map NAME x=PARAM:FROM..TO y=PARAM:FROM..TO\n"
                             "           [stat=logdet|lambda_min|cond|rank] "
                             "[res=WxH] [tol=T] [design=D]\n"
                             "           [method=fo|fo-full|quad] [nquad=K] "
                             "[as RESULT]");
    cmd_usage(cmd_find("path"), 7, 78, use, sizeof use);
    const char *second = strchr(use, '\n');
    while (second && second[8] == ' ')
        second = strchr(second + 1, '\n');
    assert_non_null(second);
    assert_string_equal(second, "\n       path NAME from=[...] to=[...] ...");
}

static int teardown(void **state) { return fx_teardown(state); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tables_consistent),
        cmocka_unit_test_setup_teardown(test_handlers_accept_their_keys,
                                        fx_setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_keys_unknown, fx_setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_kind_and_bound_errors, fx_setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_seed_all_bits, fx_setup,
                                        fx_teardown),
        cmocka_unit_test(test_defaults_from_table),
        cmocka_unit_test_setup_teardown(test_completion_from_table, fx_setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_help_options_block, fx_setup,
                                        teardown),
        cmocka_unit_test(test_usage_from_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

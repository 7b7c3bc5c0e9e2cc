/* What a user sees of a learning run (lang/obj_run.c, learn/plateau.c),
 * on runs built here from trajectories whose answers are known:
 *
 * - plateaus on synthetic losses: a sigmoid in log time (a plateau at the
 *   start and the final level), two steps (three flats), a power law
 *   t^-2 (none: its rate is 2 ln 10 per decade everywhere), invariance
 *   under a rescaling of time; entry and exit within h + one record
 *   spacing (decades) of where the exact rate -d ln L / d log10 t, known
 *   in closed form, crosses tol (docs/theory.md, "Plateaus");
 * - the time within 0.1 of each singular set, counted by hand;
 * - `show` (summary, thinned table), `plateaus`, the CSV export
 *   round-tripping every number, `plot` errors;
 * - golden pictures (tests/golden/run_*.txt, SINGSCOPE_REGOLD=1 rewrites
 *   them): the losses log-log with the plateaus, the (z, u) trajectory
 *   with the overlap line u = 0 and the lines z = +-1 (w2 = 0, w1 = 0),
 *   two runs overlaid. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "fixture.h"
#include "testutil.h"

#include "learn/plateau.h"
#include "learn/run.h"
#include "lang/render.h"
#include "model/model.h"
#include "plot/canvas.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static model *mlp2_d1(void)
{
    const model_type *t = model_type_find("mlp2");
    assert_non_null(t);
    model *m = NULL;
    assert_int_equal(model_alloc(t, NULL, 0, &m), SS_OK);
    return m;
}

typedef double (*loss_fn)(double t);

/* n records at t = 10^(x0 + (x1 - x0) i / (n - 1)), gen = L(t), train =
 * 1.1 L(t) when train is set, theta fixed at the model's defaults. */
static learn_run *log_run(const model *m, size_t n, double x0, double x1,
                          loss_fn L, int train)
{
    learn_run *r = learn_run_alloc(m, 8, 0, 1);
    assert_non_null(r);
    snprintf(r->algo, sizeof r->algo, "gd");
    snprintf(r->student, sizeof r->student, "s");
    snprintf(r->teacher, sizeof r->teacher, "T");
    r->eta = 0.1;
    r->is_flow = 1;
    for (size_t i = 0; i < n; i++) {
        double t = pow(10, x0 + (x1 - x0) * (double)i / (double)(n - 1));
        assert_int_equal(learn_run_record(r, m, t, m->theta, L(t),
                                          train ? 1.1 * L(t) : NAN, NULL),
                         SS_OK);
    }
    r->t_end = r->time[n - 1];
    return r;
}

/* ---- plateaus ------------------------------------------------------------ */

/* L = a + sum_k b_k s_k, s_k = 1/(1 + exp((ln t - ln T_k)/w)) */
typedef struct {
    double a, b[2], T[2], w;
    int nk;
} sig;
static sig S;

static double sig_L(double t)
{
    double L = S.a;
    for (int k = 0; k < S.nk; k++)
        L += S.b[k] / (1 + exp((log(t) - log(S.T[k])) / S.w));
    return L;
}

/* the exact rate -d ln L / d log10 t = ln 10 sum_k (b_k/w) s_k(1-s_k) / L */
static double sig_rate(double x)
{
    double t = pow(10, x), d = 0;
    for (int k = 0; k < S.nk; k++) {
        double s = 1 / (1 + exp((log(t) - log(S.T[k])) / S.w));
        d += S.b[k] / S.w * s * (1 - s);
    }
    return log(10) * d / sig_L(t);
}

/* The x in [lo, hi] where the exact rate crosses tol (it does once). */
static double crossing(double lo, double hi, double tol)
{
    int up = sig_rate(lo) < tol;
    assert_true(up ? sig_rate(hi) >= tol : sig_rate(hi) < tol);
    for (int it = 0; it < 200; it++) {
        double mid = 0.5 * (lo + hi);
        if ((sig_rate(mid) < tol) == up)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

#define NREC 601 /* 6 decades: a record every 0.01 decade */
#define NREC2 701 /* 7 decades */
#define DX 0.01

static void test_plateau_sigmoid(void **state)
{
    (void)state;
    model *m = mlp2_d1();
    S = (sig){.a = 0.01, .b = {1, 0}, .T = {100, 0}, .w = 0.3, .nk = 1};
    learn_run *r = log_run(m, NREC, -1, 5, sig_L, 0);
    learn_plateau_opts o;
    learn_plateau_opts_init(&o);
    double h = o.span / 4, tol_x = h + DX;
    learn_plateau *p;
    size_t n;
    assert_int_equal(learn_plateaus(r, &o, &p, &n), SS_OK);
    /* on the plateau from the start; the final level a to the end */
    assert_int_equal(n, 2);
    assert_true(p[0].first == 0 && p[0].left);
    double out = crossing(-1, 2, o.tol), in = crossing(2, 5, o.tol);
    assert_true(fabs(log10(p[0].t_out) - out) <= tol_x);
    assert_true(fabs(log10(p[1].t_in) - in) <= tol_x);
    assert_true(p[1].last == NREC - 1 && !p[1].left);
    /* levels: a + b before, a after (the loss within tol per decade) */
    assert_close(p[0].level, S.a + S.b[0], 0.05, 0);
    assert_close(p[1].level, S.a, 0.1, 0);
    /* the set hugged: the nearest on average (theta is fixed here, so the
     * nearest at the defaults: J2 = 0 at 0.3) */
    assert_true(p[0].set != SIZE_MAX);
    assert_string_equal(r->snames[p[0].set], "J2 = 0");
    assert_close(p[0].set_dist, 0.3, 1e-12, 0);
    free(p);

    /* a tighter rule: a shorter plateau, exit where the rate crosses the
     * new tol */
    o.tol = 0.01;
    assert_int_equal(learn_plateaus(r, &o, &p, &n), SS_OK);
    assert_true(n >= 1);
    assert_true(fabs(log10(p[0].t_out) - crossing(-1, 2, 0.01)) <= tol_x);
    free(p);
    learn_run_free(r);
    model_free(m);
}

static void test_plateau_two_steps(void **state)
{
    (void)state;
    model *m = mlp2_d1();
    S = (sig){.a = 1e-3, .b = {0.5, 0.5}, .T = {10, 1e4}, .w = 0.25,
              .nk = 2};
    learn_run *r = log_run(m, NREC2, -1, 6, sig_L, 0);
    learn_plateau_opts o;
    learn_plateau_opts_init(&o);
    double tol_x = o.span / 4 + DX;
    learn_plateau *p;
    size_t n;
    assert_int_equal(learn_plateaus(r, &o, &p, &n), SS_OK);
    assert_int_equal(n, 3);
    /* the middle one: between the two steps, at a + b2 */
    double in = crossing(1, 2.5, o.tol), out = crossing(2.5, 4, o.tol);
    assert_true(fabs(log10(p[1].t_in) - in) <= tol_x);
    assert_true(fabs(log10(p[1].t_out) - out) <= tol_x);
    assert_close(p[1].level, S.a + S.b[1], 0.05, 0);
    assert_close(p[1].decades, log10(p[1].t_out / p[1].t_in), 1e-12, 0);
    assert_true(p[1].left && !p[2].left);
    free(p);

    /* rescaling time (another eta) shifts log t and changes nothing */
    learn_run *q = learn_run_alloc(m, r->n, 0, 1);
    assert_non_null(q);
    for (size_t i = 0; i < r->n; i++)
        assert_int_equal(learn_run_record(q, m, 1000 * r->time[i], m->theta,
                                          r->gen[i], NAN, NULL),
                         SS_OK);
    learn_plateau *pq;
    size_t nq;
    assert_int_equal(learn_plateaus(q, &o, &p, &n), SS_OK);
    assert_int_equal(learn_plateaus(r, &o, &pq, &nq), SS_OK);
    assert_int_equal(n, nq);
    for (size_t i = 0; i < n; i++) {
        assert_true(p[i].first == pq[i].first && p[i].last == pq[i].last);
        assert_close(p[i].decades, pq[i].decades, 1e-9, 1e-12);
    }
    free(p);
    free(pq);
    learn_run_free(q);
    learn_run_free(r);
    model_free(m);
}

static double pow_L(double t) { return 3.0 / (t * t); }

static void test_plateau_power_law_none(void **state)
{
    (void)state;
    model *m = mlp2_d1();
    learn_run *r = log_run(m, NREC, 0, 6, pow_L, 0);
    learn_plateau_opts o;
    learn_plateau_opts_init(&o);
    learn_plateau *p;
    size_t n;
    assert_int_equal(learn_plateaus(r, &o, &p, &n), SS_OK);
    assert_int_equal(n, 0);
    assert_null(p);
    /* its rate is 2 ln 10 = 4.6 a decade: a rule looser than that calls
     * the whole run one plateau, a rule just tighter finds none */
    o.tol = 4.7;
    assert_int_equal(learn_plateaus(r, &o, &p, &n), SS_OK);
    assert_int_equal(n, 1);
    free(p);
    o.tol = 4.5;
    assert_int_equal(learn_plateaus(r, &o, &p, &n), SS_OK);
    assert_int_equal(n, 0);
    /* bad options */
    o.tol = 0;
    assert_int_equal(learn_plateaus(r, &o, &p, &n), SS_ERR_RANGE);
    ss_clear_error();
    learn_run_free(r);
    model_free(m);
}

/* ---- time near the singular sets ---------------------------------------- */

static void test_time_near(void **state)
{
    (void)state;
    model *m = mlp2_d1();
    learn_run *r = learn_run_alloc(m, 8, 0, 1);
    assert_non_null(r);
    /* w1 = 1, w2 = 0.5, J1 = 0.5, J2 = 0.5 + t on t = 0, 0.01, .., 1:
     * distance to J1 = J2 is t/sqrt 2, below 0.1 for t < 0.1414; an
     * interval counts when both ends are: [0, 0.01] .. [0.13, 0.14], 14
     * intervals, 0.14. Every other set stays at least 0.5 away. */
    for (int i = 0; i <= 100; i++) {
        double t = i / 100.0, th[4] = {1, 0.5, 0.5, 0.5 + t};
        assert_int_equal(learn_run_record(r, m, t, th, NAN, NAN, NULL),
                         SS_OK);
    }
    double near[16];
    assert_true(r->nsets <= 16);
    learn_run_time_near(r, LEARN_NEAR_DIST, near);
    for (size_t k = 0; k < r->nsets; k++) {
        if (!strcmp(r->snames[k], "J1 = J2"))
            assert_close(near[k], 0.14, 1e-12, 0);
        else
            assert_close(near[k], 0.0, 0, 0);
    }
    learn_run_free(r);
    model_free(m);
}

/* ---- through the session ------------------------------------------------- */

/* the trajectory picture's run: in (w, z, v, u), w = 1, v = 0.8, z from
 * 1.5 to 0.5, u falling toward the overlap and escaping */
static learn_run *zu_run(const model *m, const char *algo, double z0)
{
    learn_run *r = learn_run_alloc(m, 8, 0, 1);
    assert_non_null(r);
    snprintf(r->algo, sizeof r->algo, "%s", algo);
    snprintf(r->student, sizeof r->student, "s");
    r->is_flow = 1;
    r->eta = 1;
    for (int i = 0; i < 200; i++) {
        double tau = i / 199.0, t = pow(10, 4 * tau);
        double c[4] = {1, z0 - tau, 0.8,
                       0.6 * exp(-6 * tau) + 0.4 * pow(tau, 4)};
        double th[4];
        assert_int_equal(m->type->from_coords(m, c, th), SS_OK);
        /* gd: a plateau to t = 100; ngd: no plateau */
        double L = strcmp(algo, "gd") == 0
                       ? 0.01 + 0.3 / (1 + exp((log(t) - log(100)) / 0.5))
                       : 0.01 + 0.3 * exp(-t / 3);
        assert_int_equal(learn_run_record(r, m, t, th, L, NAN, NULL), SS_OK);
    }
    return r;
}

static int fx_setup_runs(void **state)
{
    if (fx_setup(state))
        return -1;
    fx *f = *state;
    if (interp_exec(f->s, "model s mlp2") != SS_OK)
        return -1;
    ss_obj *o = session_find(f->s, "s");
    const model *m = o->ptr;
    S = (sig){.a = 1e-3, .b = {0.5, 0.5}, .T = {10, 1e4}, .w = 0.25,
              .nk = 2};
    learn_run *r = log_run(m, NREC2, -1, 6, sig_L, 1);
    session_put(f->s, "r", &obj_run, r, "test");
    session_put(f->s, "zu", &obj_run, zu_run(m, "gd", 1.5), "test");
    session_put(f->s, "zu2", &obj_run, zu_run(m, "ngd", 1.2), "test");
    learn_run *e = learn_run_alloc(m, 8, 2, 5); /* a spectrum every 5 */
    for (int i = 0; i < 50; i++) {
        double t = i + 1.0, ev[2] = {2.0, 1e-3 * exp(-0.1 * t)};
        learn_run_record(e, m, t, m->theta, 1.0 / t, NAN, ev);
    }
    session_put(f->s, "e", &obj_run, e, "test");
    return 0;
}

static void test_show(void **state)
{
    fx *f = *state;
    fx_ok_quiet(f, "show r");
    const char *o = fx_out(f);
    if (getenv("RUN_OBJ_PRINT"))
        fputs(o, stderr);
    assert_non_null(strstr(o, "r: gd run of s (mlp2) against teacher T"));
    char want[128];
    snprintf(want, sizeof want, "generalisation loss: final %.6g (t = 1e+06)",
             sig_L(1e6));
    assert_non_null(strstr(o, want));
    assert_non_null(strstr(o, "training loss: final"));
    assert_non_null(strstr(o, "plateaus of the generalisation loss"));
    assert_non_null(strstr(o, "no (run ended)"));
    assert_non_null(strstr(o, "time within distance 0.1"));
    assert_non_null(strstr(o, "records (21 of 701, evenly spaced"));
    /* the thinned table: 21 rows after its header, the last record last */
    const char *tab = strstr(o, "records (21");
    tab = strchr(tab, '\n') + 1;
    int lines = 0;
    for (const char *q = tab; *q; q++)
        lines += *q == '\n';
    assert_int_equal(lines, 22);
    assert_non_null(strstr(tab, " 1000000 "));
    assert_non_null(strstr(tab, " 0.1 "));
    /* the plateaus command with the same rule lists the same three */
    fx_ok_quiet(f, "plateaus r");
    assert_non_null(strstr(fx_out(f), "r: 3 plateaus of the generalisation"));
    fx_ok_quiet(f, "plateaus r loss=train tol=0.05 span=1");
    assert_non_null(strstr(fx_out(f), "of the training loss"));
    fx_fail(f, "plateaus r tol=0", 16, "tol= must lie in (0,");
    fx_fail(f, "plateaus s", 10, "run");
    fx_fail(f, "plateaus r loss=x", 17, "loss= takes");
    /* CSV: the sections as tables */
    f->s->csv = 1;
    fx_ok_quiet(f, "show r");
    f->s->csv = 0;
    assert_non_null(strstr(fx_out(f), "quantity,value\nalgo,gd\n"));
    assert_non_null(strstr(fx_out(f), "\nentry,exit,decades,level,left,"));
}

/* export writes every record; each number reads back to the same double */
static void test_export_round_trip(void **state)
{
    fx *f = *state;
    char path[128], cmd[160];
    snprintf(path, sizeof path, "%s/r.csv", fx_dir(f));
    snprintf(cmd, sizeof cmd, "export r %s", path);
    fx_ok_quiet(f, cmd);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    char line[8192];
    ss_obj *ob = session_find(f->s, "r");
    const learn_run *r = ob->ptr;
    size_t row = 0;
    int header = 0;
    while (fgets(line, sizeof line, fp)) {
        if (line[0] == '#')
            continue;
        if (!header) {
            header = 1;
            assert_true(strncmp(line, "t,gen_loss,train_loss,w1,", 25) == 0);
            continue;
        }
        assert_true(row < r->n);
        char *p = line;
        double v[64];
        size_t nv = 0;
        while (*p && *p != '\n' && nv < 64) {
            char *e;
            v[nv++] = strtod(p, &e);
            p = *e == ',' ? e + 1 : e;
        }
        assert_int_equal(nv, 3 + r->P + r->ncoords + r->nsets);
        assert_true(v[0] == r->time[row] && v[1] == r->gen[row] &&
                    v[2] == r->train[row]);
        for (size_t j = 0; j < r->P; j++)
            assert_true(v[3 + j] == r->theta[row * r->P + j]);
        for (size_t j = 0; j < r->nsets; j++)
            assert_true(v[3 + r->P + r->ncoords + j] ==
                        r->dist[row * r->nsets + j]);
        row++;
    }
    fclose(fp);
    assert_int_equal(row, r->n);
}

static void test_plot_errors(void **state)
{
    fx *f = *state;
    fx_fail(f, "plot r x=z", 1, "x=z needs y=");
    fx_fail(f, "plot r range=0..1", 8, "range= does not apply to a "
                                       "learning-run picture");
    fx_fail(f, "plot r y=eig", 1, "recorded no spectrum");
    fx_fail(f, "plot r y=nonsense", 1, "no such axis (t, gen, train, w1");
    fx_fail(f, "plot r s", 8, "s: no run of that name");
    fx_fail(f, "plot r zu zu2 e r", 17, "at most 4 runs");
    fx_fail(f, "plot e zu y=eig", 1, "one run at a time");
    fx_fail(f, "plot e x=u y=eig", 1, "y=eig is drawn against time");
    /* a path still refuses x= */
    fx_ok_quiet(f, "plot r zu width=60 height=16 ascii");
    fx_ok_quiet(f, "plot e y=eig width=60 height=16 ascii");
    assert_non_null(strstr(fx_out(f), "lambda2"));
    fx_ok_quiet(f, "plot zu x=t y=u width=60 height=16 ascii");
}

/* ---- golden pictures ----------------------------------------------------- */

static int is_dir(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static const char *golden_dir(void)
{
    static char dir[4096];
    const char *env = getenv("srcdir");
    const char *cands[] = {env, ".", "..", "../.."};
    for (size_t i = 0; i < 4; i++) {
        if (!cands[i] || !*cands[i])
            continue;
        snprintf(dir, sizeof dir, "%s/tests/golden", cands[i]);
        if (is_dir(dir))
            return dir;
        if (env && i == 0)
            break;
    }
    return NULL;
}

static void golden(fx *f, const char *name, const char *obj, const char *x,
                   const char *y, const char *more)
{
    for (int ascii = 0; ascii <= 1; ascii++) {
        render_request rq;
        render_request_init(&rq);
        snprintf(rq.object, sizeof rq.object, "%s", obj);
        snprintf(rq.x, sizeof rq.x, "%s", x);
        snprintf(rq.y, sizeof rq.y, "%s", y);
        if (more)
            snprintf(rq.more[rq.nmore++], OBJ_NAME_MAX, "%s", more);
        canvas *c = canvas_alloc(72, 20, ascii);
        assert_non_null(c);
        if (render_object(f->s, &rq, c) != SS_OK)
            fail_msg("%s: %s", name, ss_last_error()->msg);
        ss_membuf mb = {0};
        ss_sink k = ss_sink_mem(&mb);
        canvas_print(c, &k);
        canvas_free(c);
        const char *dir = golden_dir();
        if (!dir)
            fail_msg("tests/golden not found");
        char path[4200];
        snprintf(path, sizeof path, "%s/%s.%s.txt", dir, name,
                 ascii ? "ascii" : "utf8");
        const char *regold = getenv("SINGSCOPE_REGOLD");
        if (regold && !strcmp(regold, "1")) {
            FILE *fp = fopen(path, "wb");
            assert_non_null(fp);
            fputs(mb.buf ? mb.buf : "", fp);
            fclose(fp);
            print_message("note: regenerated %s\n", path);
        } else {
            FILE *fp = fopen(path, "rb");
            if (!fp)
                fail_msg("cannot read %s (make regold)", path);
            static char want[1 << 16];
            size_t len = fread(want, 1, sizeof want - 1, fp);
            want[len] = 0;
            fclose(fp);
            if (strcmp(want, mb.buf ? mb.buf : "") != 0) {
                print_error("--- got:\n%s--- expected (%s):\n%s", mb.buf,
                            path, want);
                fail_msg("%s differs", path);
            }
        }
        ss_membuf_free(&mb);
    }
}

static void test_golden_loss(void **state)
{
    golden(*state, "run_loss", "r", "", "", NULL);
}

static void test_golden_trajectory(void **state)
{
    fx *f = *state;
    golden(f, "run_zu", "zu", "z", "u", NULL);
    /* the lines found: u = 0 (J1 = J2), z = 1 (w2 = 0), z = -1 is outside
     * the widened range of z (0.5 .. 1.5) and not drawn */
    fx_ok_quiet(f, "plot zu x=z y=u width=100 height=30 ascii");
    assert_non_null(strstr(fx_out(f), "J1 = J2: u = 0"));
    assert_non_null(strstr(fx_out(f), "w2 = 0: z = 1"));
    assert_null(strstr(fx_out(f), "J1 = -J2"));
    /* parameters as axes: w2 = 0 is the line w2 = 0 in (w1, w2) */
    fx_ok_quiet(f, "plot zu x=w1 y=w2 width=100 height=30 ascii");
    assert_non_null(strstr(fx_out(f), "w2 = 0: w2 = 0"));
    /* without the student the lines cannot be found, and the title says so */
    fx_ok(f, "model s gmm");
    fx_ok_quiet(f, "plot zu x=z y=u width=100 height=30 ascii");
    assert_non_null(strstr(fx_out(f), "singular sets not drawn"));
    fx_ok(f, "model s mlp2");
}

static void test_golden_overlay(void **state)
{
    golden(*state, "run_overlay", "zu", "", "", "zu2");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plateau_sigmoid),
        cmocka_unit_test(test_plateau_two_steps),
        cmocka_unit_test(test_plateau_power_law_none),
        cmocka_unit_test(test_time_near),
        cmocka_unit_test_setup_teardown(test_show, fx_setup_runs,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_export_round_trip,
                                        fx_setup_runs, fx_teardown),
        cmocka_unit_test_setup_teardown(test_plot_errors, fx_setup_runs,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_golden_loss, fx_setup_runs,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_golden_trajectory,
                                        fx_setup_runs, fx_teardown),
        cmocka_unit_test_setup_teardown(test_golden_overlay, fx_setup_runs,
                                        fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

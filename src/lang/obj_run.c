/* The learning-run class (learn/run.h).
 *
 * `show` prints what made the run, a summary (final and smallest losses,
 * the plateaus of learn/plateau.h with the default rule, the time within
 * LEARN_NEAR_DIST of each singular set, regularised NGD steps, interrupted
 * or diverged) and the records: all of them up to SHOW_FULL, else
 * SHOW_THIN rows evenly spaced in record number (first and last kept);
 * in CSV every section is a table, the records in full. `export` writes
 * the records as one CSV table.
 *
 * `plot` draws, through plot_xy only: the losses against time (log-log,
 * records with t <= 0 or a loss <= 0 left out and counted in the title,
 * the plateaus as dashed segments at their level); x=A y=B, a trajectory
 * in two parameters or blow-down coordinates with its start and end
 * marked and the singular sets that are coordinate lines of the plane
 * (see singular_lines); y=eig, the recorded spectrum against time; and
 * up to four runs overlaid (plot R1 R2 ..), one dash pattern each. */
#include "lang/commands.h"
#include "lang/render.h"
#include "lang/results.h"

#include "core/table.h"
#include "learn/plateau.h"
#include "learn/run.h"
#include "plot/plot.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHOW_FULL 40 /* records printed in full up to this many */
#define SHOW_THIN 21 /* rows of a thinned table */
#define RUN_OVERLAY 4

/* ---- the records table ------------------------------------------------- */

/* Columns: time, gen, train, the parameters, the coordinates, the distance
 * to each singular set, the spectrum. */
static size_t run_ncols(const learn_run *r)
{
    return 3 + r->P + r->ncoords + r->nsets + r->neig +
           (r->liao ? 5 + r->nsv : 0);
}

static const char *time_name(const learn_run *r)
{
    return r->is_flow ? "t" : "step";
}

/* thin: print SHOW_THIN evenly spaced records instead of all */
static void run_table(session *s, const learn_run *r, int thin)
{
    size_t nc = run_ncols(r), c = 0;
    tbl *t = tbl_alloc(nc);
    if (!t)
        return;
    tbl_header(t, c++, time_name(r));
    tbl_header(t, c++, "gen_loss");
    tbl_header(t, c++, "train_loss");
    for (size_t j = 0; j < r->P; j++)
        tbl_header(t, c++, r->pnames[j]);
    for (size_t j = 0; j < r->ncoords; j++) {
        char h[MODEL_NAME_MAX + 8];
        snprintf(h, sizeof h, "bd_%s", r->cnames[j]);
        tbl_header(t, c++, h);
    }
    for (size_t j = 0; j < r->nsets; j++) {
        char h[80];
        snprintf(h, sizeof h, "dist[%s]", r->snames[j]);
        tbl_header(t, c++, h);
    }
    for (size_t j = 0; j < r->neig; j++) {
        char h[32];
        snprintf(h, sizeof h, "lambda%zu", j + 1);
        tbl_header(t, c++, h);
    }
    if (r->liao) {
        tbl_header(t, c++, "c_k");
        tbl_header(t, c++, "l_k");
        tbl_header(t, c++, "C_K");
        tbl_header(t, c++, "L_K");
        tbl_header(t, c++, "test_loss");
        for (size_t j = 0; j < r->nsv; j++) {
            char h[32];
            snprintf(h, sizeof h, "sv%zu", j + 1);
            tbl_header(t, c++, h);
        }
    }
    size_t rows = thin ? SHOW_THIN : r->n;
    for (size_t k = 0; k < rows; k++) {
        size_t i = thin ? (size_t)((double)k * (double)(r->n - 1) /
                                       (double)(SHOW_THIN - 1) +
                                   0.5)
                        : k;
        c = 0;
        tbl_row(t);
        tbl_num(t, c++, r->time[i]);
        tbl_num(t, c++, r->gen[i]);
        tbl_num(t, c++, r->train[i]);
        for (size_t j = 0; j < r->P; j++)
            tbl_num(t, c++, r->theta[i * r->P + j]);
        for (size_t j = 0; j < r->ncoords; j++)
            tbl_num(t, c++, r->coords[i * r->ncoords + j]);
        for (size_t j = 0; j < r->nsets; j++)
            tbl_num(t, c++, r->dist[i * r->nsets + j]);
        for (size_t j = 0; j < r->neig; j++)
            tbl_num(t, c++, r->eig[i * r->neig + j]);
        if (r->liao) {
            tbl_num(t, c++, r->ck[i]);
            tbl_num(t, c++, r->lk[i]);
            tbl_num(t, c++, r->cbar[i]);
            tbl_num(t, c++, r->lbar[i]);
            tbl_num(t, c++, r->test[i]);
            for (size_t j = 0; j < r->nsv; j++)
                tbl_num(t, c++, r->sv[i * r->nsv + j]);
        }
    }
    tbl_print(t, &s->out, s->csv, s->csv ? 0 : 2);
    tbl_free(t);
}

/* ---- the summary --------------------------------------------------------- */

/* The last finite value and the smallest, with their records; 0 when the
 * loss was never recorded. */
static int loss_stats(const learn_run *r, const double *L, size_t *last,
                      size_t *min)
{
    int any = 0;
    for (size_t i = 0; i < r->n; i++) {
        if (!isfinite(L[i]))
            continue;
        if (!any || L[i] < L[*min])
            *min = i;
        *last = i;
        any = 1;
    }
    return any;
}

void obj_run_print_plateaus(session *s, const learn_run *r,
                            const learn_plateau *pl, size_t n)
{
    tbl *t = tbl_alloc(7);
    if (!t)
        return;
    const char *h[7] = {"entry", "exit", "decades", "level", "left",
                        "nearest_set", "mean_distance"};
    for (int j = 0; j < 7; j++)
        tbl_header(t, (size_t)j, h[j]);
    for (size_t i = 0; i < n; i++) {
        tbl_row(t);
        tbl_num(t, 0, pl[i].t_in);
        tbl_num(t, 1, pl[i].t_out);
        tbl_num(t, 2, pl[i].decades);
        tbl_num(t, 3, pl[i].level);
        tbl_str(t, 4, pl[i].left ? "yes" : "no (run ended)");
        if (pl[i].set != SIZE_MAX) {
            tbl_str(t, 5, r->snames[pl[i].set]);
            tbl_num(t, 6, pl[i].set_dist);
        } else {
            tbl_str(t, 5, s->csv ? "" : "-");
            tbl_num(t, 6, NAN);
        }
    }
    tbl_print(t, &s->out, s->csv, s->csv ? 0 : 4);
    tbl_free(t);
}

static void print_summary_text(session *s, const learn_run *r)
{
    if (r->n)
        session_printf(s, "  %s from %g to %g", time_name(r), r->time[0],
                       r->time[r->n - 1]);
    else
        session_printf(s, "  no records");
    if (r->steps_asked)
        session_printf(s, " (%zu of %zu steps)", r->steps_done,
                       r->steps_asked);
    session_printf(s, "\n");
    const double *L[2] = {r->gen, r->train};
    const char *what[2] = {"generalisation loss", "training loss"};
    for (int k = 0; k < 2; k++) {
        size_t last = 0, min = 0;
        if (!loss_stats(r, L[k], &last, &min))
            continue;
        session_printf(s, "  %s: final %.6g (%s = %g), smallest %.6g at "
                          "%s = %g\n",
                       what[k], L[k][last], time_name(r), r->time[last],
                       L[k][min], time_name(r), r->time[min]);
    }
    if (r->liao && r->n) {
        size_t i = r->n - 1, last = 0, min = 0;
        session_printf(s, "  mini-batch measures (batch %zu): after the "
                          "last step C_K = %.6g, L_K = %.6g (running means "
                          "of c_k = s_1/s_r, singular values below %g s_1 "
                          "not counted, and of l_k = (eta/B) ||J_k||_F)\n",
                       r->batch, r->cbar[i], r->lbar[i], r->sv_cut);
        if (loss_stats(r, r->test, &last, &min))
            session_printf(s, "  test loss (%s): final %.6g, smallest "
                              "%.6g at step %g\n",
                           r->test_data, r->test[last], r->test[min],
                           r->time[min]);
    }
    if (isfinite(r->crit_lr))
        session_printf(s, "  critical learning rate 2/lambda_max = %.6g "
                          "(lambda_max = %.6g of the Gauss-Newton matrix of "
                          "the training loss at the start); eta = %.4g of "
                          "it\n",
                       r->crit_lr, r->gn_lmax, r->eta / r->crit_lr);
    else if (*r->crit_note)
        session_printf(s, "  critical learning rate: %s\n", r->crit_note);
    if (r->regularised || strstr(r->algo, "ngd"))
        session_printf(s, "  natural gradient: G regularised (damped or "
                          "pseudo-inverted) at %zu %s\n",
                       r->regularised,
                       r->is_flow ? "evaluations" : "steps");
    if (r->interrupted)
        session_printf(s, "  interrupted (Ctrl-C) at %s = %g; the records "
                          "so far are kept\n",
                       time_name(r), r->n ? r->time[r->n - 1] : 0.0);
}

static void print_run(session *s, const char *name, const void *p)
{
    const learn_run *r = p;
    learn_plateau_opts po;
    learn_plateau_opts_init(&po);
    learn_plateau *pl = NULL;
    size_t npl = 0;
    if (learn_plateaus(r, &po, &pl, &npl) != SS_OK) {
        ss_clear_error(); /* out of memory: the summary goes without */
        npl = 0;
    }
    const char *lname = NULL;
    const double *L = learn_plateau_loss(r, po.loss, &lname);
    double *near = calloc(r->nsets ? r->nsets : 1, sizeof *near);
    if (near)
        learn_run_time_near(r, LEARN_NEAR_DIST, near);
    double span = r->n ? r->time[r->n - 1] - r->time[0] : 0;

    if (!s->csv) {
        session_printf(s, "%s: %s run of %s (%s)%s%s%s, eta = %g: %zu "
                          "records%s%s\n",
                       name ? name : "run", r->algo, r->student, r->kind,
                       *r->teacher ? " against teacher " : "", r->teacher,
                       *r->data ? " on data" : "", r->eta, r->n,
                       r->interrupted ? ", interrupted" : "",
                       r->diverged ? ", diverged" : "");
        if (*r->data)
            session_printf(s, "  training data: %s\n", r->data);
        if (r->diverged)
            session_printf(s, "  stopped at %s = %g: the loss or the "
                              "parameters became non-finite\n",
                           time_name(r), r->diverged_at);
        if (*r->note)
            session_printf(s, "  %s\n", r->note);
        print_summary_text(s, r);
        if (!L)
            session_printf(s, "  plateaus: no loss recorded\n");
        else if (!npl)
            session_printf(s, "  plateaus of the %s: none (ln L falls by "
                              "at least %g a decade of time everywhere, or "
                              "for less than %g decades)\n",
                           lname, po.tol, po.span);
        else {
            session_printf(s, "  plateaus of the %s (ln L falls by less "
                              "than %g a decade for at least %g decades; "
                              "`plateaus %s tol=T span=D` to change):\n",
                           lname, po.tol, po.span, name ? name : "RUN");
            obj_run_print_plateaus(s, r, pl, npl);
        }
        if (near && r->nsets && r->n > 1) {
            session_printf(s, "  time within distance %g of each singular "
                              "set (between records both within it):\n",
                           LEARN_NEAR_DIST);
            tbl *t = tbl_alloc(3);
            if (t) {
                tbl_header(t, 0, "set");
                tbl_header(t, 1, r->is_flow ? "time" : "steps");
                tbl_header(t, 2, "fraction");
                for (size_t k = 0; k < r->nsets; k++) {
                    tbl_row(t);
                    tbl_str(t, 0, r->snames[k]);
                    tbl_num(t, 1, near[k]);
                    tbl_num(t, 2, span > 0 ? near[k] / span : NAN);
                }
                tbl_print(t, &s->out, 0, 4);
                tbl_free(t);
            }
        }
        if (r->n > SHOW_FULL)
            session_printf(s, "  records (%d of %zu, evenly spaced; `export "
                              "%s FILE.csv` writes all):\n",
                           SHOW_THIN, r->n, name ? name : "RUN");
        else
            session_printf(s, "  records:\n");
        run_table(s, r, r->n > SHOW_FULL);
    } else {
        /* CSV: summary, plateaus, time near the sets, records */
        tbl *t = tbl_alloc(2);
        if (t) {
            tbl_header(t, 0, "quantity");
            tbl_header(t, 1, "value");
#define KV_S(k, v) (tbl_row(t), tbl_str(t, 0, k), tbl_str(t, 1, v))
#define KV_N(k, v) (tbl_row(t), tbl_str(t, 0, k), tbl_num(t, 1, v))
            KV_S("algo", r->algo);
            KV_S("student", r->student);
            KV_S("teacher", r->teacher);
            KV_S("data", r->data);
            KV_N("eta", r->eta);
            KV_N("records", (double)r->n);
            KV_N("steps_done", (double)r->steps_done);
            KV_N("steps_asked", (double)r->steps_asked);
            KV_N("t_end", r->n ? r->time[r->n - 1] : NAN);
            size_t last = 0, min = 0;
            int g = loss_stats(r, r->gen, &last, &min);
            KV_N("gen_final", g ? r->gen[last] : NAN);
            KV_N("gen_min", g ? r->gen[min] : NAN);
            KV_N("gen_min_at", g ? r->time[min] : NAN);
            g = loss_stats(r, r->train, &last, &min);
            KV_N("train_final", g ? r->train[last] : NAN);
            KV_N("train_min", g ? r->train[min] : NAN);
            KV_N("train_min_at", g ? r->time[min] : NAN);
            KV_N("regularised", (double)r->regularised);
            KV_N("interrupted", (double)r->interrupted);
            KV_N("diverged", (double)r->diverged);
            KV_N("diverged_at", r->diverged ? r->diverged_at : NAN);
            KV_N("near_distance", LEARN_NEAR_DIST);
            if (r->liao) {
                size_t i = r->n ? r->n - 1 : 0;
                KV_N("batch", (double)r->batch);
                KV_N("epochs", (double)r->epochs);
                KV_N("C_K", r->n ? r->cbar[i] : NAN);
                KV_N("L_K", r->n ? r->lbar[i] : NAN);
                KV_N("test_final", r->n ? r->test[i] : NAN);
                KV_N("sv_cut", r->sv_cut);
            }
            if (isfinite(r->crit_lr)) {
                KV_N("crit_lr", r->crit_lr);
                KV_N("gn_lambda_max", r->gn_lmax);
            }
            for (size_t k = 0; near && k < r->nsets; k++) {
                char key[96];
                snprintf(key, sizeof key, "time_near[%s]", r->snames[k]);
                KV_N(key, near[k]);
            }
#undef KV_S
#undef KV_N
            tbl_print(t, &s->out, 1, 0);
            tbl_free(t);
        }
        ss_sink_puts(&s->out, "\n");
        obj_run_print_plateaus(s, r, pl, npl);
        ss_sink_puts(&s->out, "\n");
        run_table(s, r, 0);
    }
    free(near);
    free(pl);
}

static void export_run(session *s, const char *name, const void *p, int part)
{
    (void)name;
    (void)part;
    run_table(s, p, 0);
}

static void origin_run(const void *p, obj_origin *o)
{
    const learn_run *r = p;
    o->model = r->student;
    o->kind = r->kind;
    if (r->n) { /* the point it started from */
        o->point = r->theta;
        o->npoint = r->P;
        o->point_word = "starting at";
    }
}

static void free_run(void *p) { learn_run_free(p); }

/* ---- pictures ------------------------------------------------------------ */

typedef enum {
    AX_TIME, AX_GEN, AX_TRAIN, AX_PARAM, AX_COORD, AX_EIG, AX_CK, AX_LK,
    AX_CBAR, AX_LBAR, AX_TEST
} ax_kind;

typedef struct {
    ax_kind kind;
    size_t j; /* AX_PARAM, AX_COORD */
} axis;

/* An axis by name: t/step/time, gen, train, eig, a parameter, a blow-down
 * coordinate (also as bd_NAME; parameters first, as gmm's v is both). */
static ss_status find_axis(const learn_run *r, const char *rname,
                           const char *key, const char *name, axis *out)
{
    if (!strcmp(name, "t") || !strcmp(name, "step") || !strcmp(name, "time"))
        return (*out = (axis){AX_TIME, 0}), SS_OK;
    if (!strcmp(name, "gen"))
        return (*out = (axis){AX_GEN, 0}), SS_OK;
    if (!strcmp(name, "train"))
        return (*out = (axis){AX_TRAIN, 0}), SS_OK;
    static const char *const lnames[5] = {"c_k", "l_k", "C_K", "L_K",
                                          "test"};
    for (int k = 0; k < 5; k++)
        if (!strcmp(name, lnames[k])) {
            if (!r->liao)
                return SS_FAIL(SS_ERR_USAGE, "%s=%s: run %s has no "
                                             "mini-batch measures (train "
                                             "algo=sgd data=D epochs=E)",
                               key, name, rname);
            return (*out = (axis){(ax_kind)(AX_CK + k), 0}), SS_OK;
        }
    if (!strcmp(name, "eig")) {
        if (!r->neig)
            return SS_FAIL(SS_ERR_USAGE, "%s=eig: run %s recorded no "
                                         "spectrum (train ... eig=K)",
                           key, rname);
        return (*out = (axis){AX_EIG, 0}), SS_OK;
    }
    for (size_t j = 0; j < r->P; j++)
        if (!strcmp(name, r->pnames[j]))
            return (*out = (axis){AX_PARAM, j}), SS_OK;
    const char *bare = strncmp(name, "bd_", 3) == 0 ? name + 3 : name;
    for (size_t j = 0; j < r->ncoords; j++)
        if (!strcmp(bare, r->cnames[j]))
            return (*out = (axis){AX_COORD, j}), SS_OK;
    char list[256] = "";
    size_t len = 0;
    for (size_t j = 0; j < r->P + r->ncoords && len + 1 < sizeof list; j++) {
        const char *nm = j < r->P ? r->pnames[j] : r->cnames[j - r->P];
        int k = snprintf(list + len, sizeof list - len, ", %s", nm);
        len += k > 0 ? (size_t)k : 0;
    }
    if (len >= sizeof list)
        len = sizeof list - 1;
    return SS_FAIL(SS_ERR_USAGE, "%s=%s: run %s has no such axis (t, gen, "
                                 "train%s%s%s)",
                   key, name, rname, r->neig ? ", eig" : "",
                   r->liao ? ", c_k, l_k, C_K, L_K, test" : "", list);
}

static double axis_value(const learn_run *r, axis a, size_t i)
{
    switch (a.kind) {
    case AX_TIME: return r->time[i];
    case AX_GEN: return r->gen[i];
    case AX_TRAIN: return r->train[i];
    case AX_PARAM: return r->theta[i * r->P + a.j];
    case AX_COORD: return r->coords[i * r->ncoords + a.j];
    case AX_CK: return r->ck[i];
    case AX_LK: return r->lk[i];
    case AX_CBAR: return r->cbar[i];
    case AX_LBAR: return r->lbar[i];
    case AX_TEST: return r->test[i];
    case AX_EIG: break;
    }
    return NAN;
}

static const char *axis_label(const learn_run *r, axis a)
{
    switch (a.kind) {
    case AX_TIME: return time_name(r);
    case AX_GEN: return "generalisation loss";
    case AX_TRAIN: return "training loss";
    case AX_PARAM: return r->pnames[a.j];
    case AX_COORD: return r->cnames[a.j];
    case AX_EIG: return "FIM eigenvalue";
    case AX_CK: return "c_k (truncated condition number)";
    case AX_LK: return "l_k (energy)";
    case AX_CBAR: return "C_K (running mean of c_k)";
    case AX_LBAR: return "L_K (running mean of l_k)";
    case AX_TEST: return "test loss";
    }
    return "";
}

typedef struct {
    const char *name;
    const learn_run *r;
} run_ref;

/* The runs of the picture: the one drawn and those named after it. */
static ss_status gather(session *s, const render_request *req, const void *p,
                        run_ref *runs, size_t *n)
{
    runs[0] = (run_ref){req->object, p};
    *n = 1;
    for (int k = 0; k < req->nmore && *n < RUN_OVERLAY; k++) {
        ss_obj *o = session_find(s, req->more[k]);
        if (!o || o->type != &obj_run)
            return SS_FAIL(SS_ERR_NAME, "no run named '%s' to draw with %s",
                           req->more[k], req->object);
        runs[(*n)++] = (run_ref){o->name, o->ptr};
    }
    return SS_OK;
}

/* Whether every value of the series is positive (for a log axis's
 * default) and how many finite ones are not. */
static size_t nonpositive(const double *v, size_t n, size_t *finite)
{
    size_t bad = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i])) {
            (*finite)++;
            bad += !(v[i] > 0);
        }
    return bad;
}

/* Storage for the series of one picture. */
typedef struct {
    plot_series s[16];
    char label[16][96];
    double *buf[16];
    size_t n;
} series_set;

static double *series_add(series_set *ss, size_t len, const char *label,
                          int style, int points, int dashed)
{
    if (ss->n >= 16)
        return NULL;
    double *b = malloc(2 * (len ? len : 1) * sizeof *b);
    if (!b)
        return NULL;
    size_t k = ss->n++;
    ss->buf[k] = b;
    snprintf(ss->label[k], sizeof ss->label[k], "%s", label ? label : "");
    ss->s[k] = (plot_series){b, b + len, len, label ? ss->label[k] : NULL,
                             style, points, dashed};
    return b;
}

static void series_free(series_set *ss)
{
    for (size_t k = 0; k < ss->n; k++)
        free(ss->buf[k]);
}

/* Draw a set of series against the run's time with a legend: the losses
 * and the spectrum pictures share this. */
static ss_status draw_against_time(canvas *c, const render_request *req,
                                   const char *title, const learn_run *r,
                                   const char *ylabel, int logx, int logy,
                                   const series_set *ss)
{
    plot_opts o;
    plot_opts_init(&o);
    o.title = render_title_or(req, title);
    o.xlabel = time_name(r);
    o.ylabel = ylabel;
    o.xlog = logx;
    o.ylog = logy;
    o.legend = 1;
    return plot_xy(c, ss->s, ss->n, &o);
}

/* The losses against time. */
static ss_status draw_losses(const render_request *req, const run_ref *runs,
                             size_t nr, canvas *c)
{
    series_set ss = {.n = 0};
    int logx = req->logx >= 0 ? req->logx : 1;
    int logy = req->logy >= 0 ? req->logy : 1;
    size_t skipped = 0, nser = 0;
    ss_status rc = SS_OK;
    for (size_t k = 0; k < nr; k++) {
        const learn_run *r = runs[k].r;
        const double *L[3] = {r->gen, r->train, r->test};
        const char *what[3] = {"gen", "train", "test"};
        static const char *const full[3] = {"generalisation loss",
                                            "training loss", "test loss"};
        for (int w = 0; w < (r->liao ? 3 : 2); w++) {
            size_t fin = 0;
            nonpositive(L[w], r->n, &fin);
            if (!fin)
                continue;
            char lab[96];
            if (nr > 1)
                snprintf(lab, sizeof lab, "%s %s", runs[k].name, what[w]);
            else
                snprintf(lab, sizeof lab, "%s", full[w]);
            double *b = series_add(&ss, r->n, lab, (int)(nser++ % 8), 0, 0);
            if (!b) {
                rc = SS_FAIL(SS_ERR_NOMEM, "out of memory");
                goto done;
            }
            for (size_t i = 0; i < r->n; i++) {
                b[i] = r->time[i];
                b[r->n + i] = L[w][i];
                if (isfinite(L[w][i]) && isfinite(r->time[i]) &&
                    ((logx && !(r->time[i] > 0)) || (logy && !(L[w][i] > 0))))
                    skipped++;
            }
        }
    }
    if (!ss.n) {
        rc = SS_FAIL(SS_ERR_RANGE, "nothing to plot: run %s recorded no "
                                   "loss (no teacher and no data)",
                     runs[0].name);
        goto done;
    }
    /* the plateaus of a single run, dashed at their level */
    learn_plateau_opts po;
    learn_plateau_opts_init(&po);
    learn_plateau *pl = NULL;
    size_t npl = 0;
    if (nr == 1 && learn_plateaus(runs[0].r, &po, &pl, &npl) == SS_OK &&
        npl) {
        double *b = series_add(&ss, 3 * npl, "plateau", -1, 0, 1);
        for (size_t i = 0; b && i < npl; i++) {
            b[3 * i] = pl[i].t_in, b[3 * i + 1] = pl[i].t_out;
            b[3 * i + 2] = NAN;
            b[3 * npl + 3 * i] = b[3 * npl + 3 * i + 1] = pl[i].level;
            b[3 * npl + 3 * i + 2] = NAN;
        }
    }
    ss_clear_error();
    free(pl);
    char title[192], note[64] = "";
    if (skipped)
        snprintf(note, sizeof note, " (%zu value%s <= 0 not drawn)", skipped,
                 skipped == 1 ? "" : "s");
    if (nr > 1)
        snprintf(title, sizeof title, "losses of %zu runs%s", nr, note);
    else
        snprintf(title, sizeof title, "%s: %s run of %s, loss%s",
                 runs[0].name, runs[0].r->algo, runs[0].r->student, note);
    rc = draw_against_time(c, req, title, runs[0].r, "loss", logx, logy,
                           &ss);
done:
    series_free(&ss);
    return rc;
}

/* The recorded spectrum against time (records that carry one). */
static ss_status draw_eig(const render_request *req, const run_ref *run,
                          axis ax, canvas *c)
{
    const learn_run *r = run->r;
    if (ax.kind != AX_TIME)
        return SS_FAIL(SS_ERR_USAGE, "y=eig is drawn against time (x=%s "
                                     "or no x=)",
                       time_name(r));
    series_set ss = {.n = 0};
    int logx = req->logx >= 0 ? req->logx : 0;
    int logy = req->logy >= 0 ? req->logy : 1;
    size_t m = 0, skipped = 0;
    for (size_t i = 0; i < r->n; i++)
        m += learn_run_has_eig(r, i);
    ss_status rc = SS_OK;
    size_t fin = 0;
    for (size_t j = 0; j < r->neig && j < 8; j++) {
        char lab[32];
        snprintf(lab, sizeof lab, "lambda%zu", j + 1);
        double *b = series_add(&ss, m, lab, (int)j, 0, 0);
        if (!b) {
            rc = SS_FAIL(SS_ERR_NOMEM, "out of memory");
            goto done;
        }
        size_t q = 0;
        for (size_t i = 0; i < r->n; i++) {
            if (!learn_run_has_eig(r, i))
                continue;
            double e = r->eig[i * r->neig + j];
            b[q] = r->time[i];
            b[m + q] = e;
            if (isfinite(e))
                fin++;
            if (isfinite(e) && ((logy && !(e > 0)) ||
                                (logx && !(r->time[i] > 0))))
                skipped++;
            q++;
        }
    }
    if (!fin) {
        rc = SS_FAIL(SS_ERR_RANGE, "nothing to plot: run %s has no finite "
                                   "eigenvalue recorded",
                     run->name);
        goto done;
    }
    char title[192], note[80] = "";
    if (skipped)
        snprintf(note, sizeof note, " (%zu eigenvalue%s <= 0 not drawn)",
                 skipped, skipped == 1 ? "" : "s");
    snprintf(title, sizeof title, "%s: exact FIM spectrum along the run%s%s",
             run->name, r->neig > 8 ? " (largest 8)" : "", note);
    rc = draw_against_time(c, req, title, r, "eigenvalue", logx, logy, &ss);
done:
    series_free(&ss);
    return rc;
}

/* Whether singular set k of m is the line {a = c} in a's own chart near
 * run r: moving each of (up to 64, evenly spaced) records onto a = c, the
 * rest of that chart kept, lands it on the set (distance below 1e-9 of
 * the point's scale). */
static int on_line(const model *m, const learn_run *r, axis a, double c,
                   size_t k, double *theta, double *cv, double *dist)
{
    size_t step = r->n > 64 ? r->n / 64 : 1, checked = 0;
    for (size_t i = 0; i < r->n; i += step) {
        memcpy(theta, r->theta + i * r->P, r->P * sizeof *theta);
        if (a.kind == AX_PARAM) {
            theta[a.j] = c;
        } else {
            memcpy(cv, r->coords + i * r->ncoords, r->P * sizeof *cv);
            int ok = 1;
            for (size_t q = 0; q < r->P; q++)
                ok &= isfinite(cv[q]);
            if (!ok)
                continue;
            cv[a.j] = c;
            if (m->type->from_coords(m, cv, theta) != SS_OK) {
                ss_clear_error();
                return 0;
            }
        }
        double scale = 1;
        for (size_t q = 0; q < r->P; q++)
            scale = fmax(scale, fabs(theta[q]));
        if (model_singular_distances(m, theta, dist, r->nsets) <= k ||
            !(dist[k] <= 1e-9 * scale))
            return 0;
        checked++;
    }
    return checked > 0;
}

/* The student model, if the session still holds one of the run's layout
 * (the run does not keep a copy of it). */
static const model *student_of(session *s, const learn_run *r)
{
    ss_obj *o = *r->student ? session_find(s, r->student) : NULL;
    if (!o || o->type != &obj_model)
        return NULL;
    const model *m = o->ptr;
    if (strcmp(m->type->name, r->kind) != 0 || m->P != r->P ||
        model_nsingular(m) != r->nsets)
        return NULL;
    for (size_t j = 0; j < r->P; j++)
        if (strcmp(MODEL_PNAME(m, j), r->pnames[j]) != 0)
            return NULL;
    if (r->ncoords && !m->type->from_coords)
        return NULL;
    return m;
}

/* A trajectory in two parameters or coordinates, start and end marked,
 * with the singular sets that are lines a = -1, 0 or 1 of the plane. */
static ss_status draw_path_xy(session *s, const render_request *req,
                              const run_ref *runs, size_t nr, canvas *c)
{
    axis ax[RUN_OVERLAY], ay[RUN_OVERLAY];
    for (size_t k = 0; k < nr; k++) {
        ss_status rc = find_axis(runs[k].r, runs[k].name, "x", req->x,
                                 &ax[k]);
        if (rc == SS_OK)
            rc = find_axis(runs[k].r, runs[k].name, "y", req->y, &ay[k]);
        if (rc != SS_OK)
            return rc;
    }
    series_set ss = {.n = 0};
    ss_status rc = SS_OK;
    double xmn = INFINITY, xmx = -INFINITY, ymn = INFINITY, ymx = -INFINITY;
    double *st = malloc(4 * nr * sizeof *st);
    if (!st)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    size_t nst = 0, nen = 0;
    double *en = st + 2 * nr;
    for (size_t k = 0; k < nr; k++) {
        const learn_run *r = runs[k].r;
        double *b = series_add(&ss, r->n, nr > 1 ? runs[k].name
                                                 : "trajectory",
                               (int)k, 0, 0);
        if (!b) {
            rc = SS_FAIL(SS_ERR_NOMEM, "out of memory");
            goto done;
        }
        size_t first = SIZE_MAX, last = SIZE_MAX;
        for (size_t i = 0; i < r->n; i++) {
            b[i] = axis_value(r, ax[k], i);
            b[r->n + i] = axis_value(r, ay[k], i);
            if (isfinite(b[i]) && isfinite(b[r->n + i])) {
                if (first == SIZE_MAX)
                    first = i;
                last = i;
                xmn = fmin(xmn, b[i]), xmx = fmax(xmx, b[i]);
                ymn = fmin(ymn, b[r->n + i]), ymx = fmax(ymx, b[r->n + i]);
            }
        }
        if (first != SIZE_MAX) {
            st[nst] = b[first], st[nr + nst] = b[r->n + first], nst++;
            en[nen] = b[last], en[nr + nen] = b[r->n + last], nen++;
        }
    }
    if (!nst) {
        rc = SS_FAIL(SS_ERR_RANGE, "nothing to plot: no record of %s has "
                                   "both %s and %s defined",
                     runs[0].name, req->x, req->y);
        goto done;
    }
    /* start (+) and end (square): styles whose markers are those, past
     * the trajectories' own */
    double *b = series_add(&ss, nst, "start", 5, 1, 0);
    for (size_t i = 0; b && i < nst; i++)
        b[i] = st[i], b[nst + i] = st[nr + i];
    b = series_add(&ss, nen, "end", 7, 1, 0);
    for (size_t i = 0; b && i < nen; i++)
        b[i] = en[i], b[nen + i] = en[nr + i];

    /* singular sets that are coordinate lines of the plane (first run) */
    const learn_run *r0 = runs[0].r;
    const model *m = student_of(s, r0);
    char note[160] = "";
    int traj = ax[0].kind >= AX_PARAM && ax[0].kind <= AX_COORD &&
               ay[0].kind >= AX_PARAM && ay[0].kind <= AX_COORD;
    if (traj && r0->nsets && !m)
        snprintf(note, sizeof note, " (singular sets not drawn: model %s "
                                    "is gone or changed)",
                 *r0->student ? r0->student : "?");
    if (traj && m) {
        double *th = malloc(3 * (r0->P + r0->nsets + 1) * sizeof *th);
        if (!th) {
            rc = SS_FAIL(SS_ERR_NOMEM, "out of memory");
            goto done;
        }
        double *cv = th + r0->P, *dist = cv + r0->P;
        for (int which = 0; which < 2; which++) {
            axis a = which ? ay[0] : ax[0];
            double lo = which ? ymn : xmn, hi = which ? ymx : xmx;
            double wid = hi - lo > 0 ? hi - lo : 1;
            for (size_t k = 0; k < r0->nsets; k++)
                for (int cc = -1; cc <= 1; cc++) {
                    double cval = cc;
                    if (cval < lo - wid || cval > hi + wid ||
                        !on_line(m, r0, a, cval, k, th, cv, dist))
                        continue;
                    char lab[96];
                    snprintf(lab, sizeof lab, "%s: %s = %g", r0->snames[k],
                             axis_label(r0, a), cval);
                    double *l = series_add(&ss, 2, lab, -2, 0, 1);
                    if (!l)
                        continue;
                    double olo = which ? xmn : ymn, ohi = which ? xmx : ymx;
                    double ow = ohi - olo > 0 ? (ohi - olo) * 0.05 : 0.5;
                    if (which)
                        l[0] = olo - ow, l[1] = ohi + ow, l[2] = l[3] = cval;
                    else
                        l[0] = l[1] = cval, l[2] = olo - ow, l[3] = ohi + ow;
                }
        }
        free(th);
    }
    char title[256];
    if (nr > 1)
        snprintf(title, sizeof title, "%zu runs in (%s, %s)%s", nr,
                 axis_label(r0, ax[0]), axis_label(r0, ay[0]), note);
    else
        snprintf(title, sizeof title, "%s: %s run of %s in (%s, %s)%s",
                 runs[0].name, r0->algo, r0->student, axis_label(r0, ax[0]),
                 axis_label(r0, ay[0]), note);
    plot_opts o;
    plot_opts_init(&o);
    o.title = render_title_or(req, title);
    o.xlabel = axis_label(r0, ax[0]);
    o.ylabel = axis_label(r0, ay[0]);
    /* log axes by default for the losses, and for time when every record
     * has t > 0 and they span more than a factor 30 */
    int tlog = r0->n > 1 && r0->time[0] > 0 &&
               r0->time[r0->n - 1] > 30 * r0->time[0];
    int xdef = ax[0].kind == AX_GEN || ax[0].kind == AX_TRAIN ||
               (ax[0].kind == AX_TIME && tlog);
    int ydef = ay[0].kind == AX_GEN || ay[0].kind == AX_TRAIN ||
               (ay[0].kind == AX_TIME && tlog);
    o.xlog = req->logx >= 0 ? req->logx : xdef;
    o.ylog = req->logy >= 0 ? req->logy : ydef;
    o.legend = 1;
    /* a trajectory may pass through every corner: keep a band at the top
     * free for the legend, so it never hides the path or its end marks */
    int area = c->h - 4, need = (int)ss.n + 2;
    if (!o.ylog && area > 2 * need) {
        double lo = ymn, hi = ymx;
        for (size_t k = 0; k < ss.n; k++)
            if (ss.s[k].style == -2 && ss.s[k].y[0] == ss.s[k].y[1])
                lo = fmin(lo, ss.s[k].y[0]), hi = fmax(hi, ss.s[k].y[0]);
        double w = hi - lo > 0 ? hi - lo : 1;
        o.ymin = lo - 0.05 * w;
        o.ymax = hi + 0.05 * w + (1.1 * w) * need / (area - need);
    }
    rc = plot_xy(c, ss.s, ss.n, &o);
done:
    free(st);
    series_free(&ss);
    return rc;
}

static ss_status draw_run(session *s, const render_request *req,
                          const void *p, canvas *c)
{
    run_ref runs[RUN_OVERLAY];
    size_t nr;
    ss_status rc = gather(s, req, p, runs, &nr);
    if (rc != SS_OK)
        return rc;
    if (!*req->x && !*req->y)
        return draw_losses(req, runs, nr, c);
    if (!*req->y)
        return SS_FAIL(SS_ERR_USAGE, "x=%s needs y= (a run is drawn as y "
                                     "against x)",
                       req->x);
    axis ax = {AX_TIME, 0}, ay;
    if (*req->x &&
        (rc = find_axis(runs[0].r, runs[0].name, "x", req->x, &ax)) != SS_OK)
        return rc;
    if ((rc = find_axis(runs[0].r, runs[0].name, "y", req->y, &ay)) != SS_OK)
        return rc;
    if (ax.kind == AX_EIG)
        return SS_FAIL(SS_ERR_USAGE, "x=eig: the spectrum goes on y "
                                     "(y=eig)");
    if (ay.kind == AX_EIG) {
        if (nr > 1)
            return SS_FAIL(SS_ERR_USAGE, "y=eig draws one run at a time");
        return draw_eig(req, &runs[0], ax, c);
    }
    render_request rq = *req;
    if (!*rq.x)
        snprintf(rq.x, sizeof rq.x, "t");
    return draw_path_xy(s, &rq, runs, nr, c);
}

const obj_type obj_run = {
    .name = "run",
    .free = free_run,
    .print = print_run,
    .export_rows = export_run,
    .origin = origin_run,
    .draw = draw_run,
    .picture = "a learning-run picture",
    .plot_keys = "x y logx logy",
    .min_w = 30,
    .min_h = 10,
    .overlay = RUN_OVERLAY,
};

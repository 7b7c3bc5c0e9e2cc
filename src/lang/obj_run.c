/* The learning-run class (learn/run.h): `show` prints what made the run
 * and its records (time, losses, parameters, blow-down coordinates, the
 * distance to the nearest singular set); `export` writes the records as
 * one CSV table. */
#include "lang/commands.h"
#include "lang/results.h"

#include "core/table.h"
#include "learn/run.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Columns: time, gen, train, the parameters, the coordinates, the distance
 * to each singular set, the spectrum. */
static size_t run_ncols(const learn_run *r)
{
    return 3 + r->P + r->ncoords + r->nsets + r->neig;
}

static void run_table(session *s, const learn_run *r)
{
    size_t nc = run_ncols(r), c = 0;
    tbl *t = tbl_alloc(nc);
    if (!t)
        return;
    tbl_header(t, c++, r->is_flow ? "t" : "step");
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
    for (size_t i = 0; i < r->n; i++) {
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
    }
    tbl_print(t, &s->out, s->csv, s->csv ? 0 : 2);
    tbl_free(t);
}

static void print_run(session *s, const char *name, const void *p)
{
    const learn_run *r = p;
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
                           r->is_flow ? "t" : "step", r->diverged_at);
        if (*r->note)
            session_printf(s, "  %s\n", r->note);
    }
    run_table(s, r);
}

static void export_run(session *s, const char *name, const void *p, int part)
{
    (void)name;
    (void)part;
    run_table(s, p);
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

const obj_type obj_run = {
    .name = "run",
    .free = free_run,
    .print = print_run,
    .export_rows = export_run,
    .origin = origin_run,
};

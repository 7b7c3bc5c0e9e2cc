/* Degeneracy analysis: spectra along paths (`path`) and statistics over
 * parameter planes (`map`). */
#include "lang/args.h"
#include "lang/commands.h"

#include "core/interrupt.h"
#include "core/table.h"
#include "fim/map.h"
#include "fim/path.h"
#include "model/model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Run a scan job; Ctrl-C is not a failure: the steps finished are kept
 * (the result says it was interrupted). */
static ss_status drive_keeping(session *s, const session_job *job)
{
    ss_status rc = session_drive(s, job);
    if (rc == SS_ERR_INTERRUPTED) {
        ss_clear_error();
        return SS_OK;
    }
    return rc;
}

static const void *live_path(const void *state)
{
    return path_iter_result(state);
}

static const void *live_map(const void *state)
{
    return map_iter_result(state);
}

/* ---- path ------------------------------------------------------------- */

void cmd_print_path(session *s, const path_result *p)
{
    size_t k = p->k;
    if (!s->csv) {
        session_printf(s, "%s: %s FIM eigenvalues along %s (%zu of %zu "
                          "steps%s)\n",
                       p->source, fim_method_name(p->method),
                       strcmp(p->axis, "t") == 0 ? "a segment (t from 0 to 1)"
                                                 : p->axis,
                       p->done, p->npts,
                       p->interrupted ? ", interrupted" : "");
        if (p->set_name[0])
            session_printf(s, "  distance d to the singular set %s\n",
                           p->set_name);
    }
    tbl *t = tbl_alloc(k + 6);
    tbl_header(t, 0, "step");
    tbl_header(t, 1, p->axis);
    tbl_header(t, 2, "distance");
    for (size_t j = 0; j < k; j++) {
        char h[32];
        snprintf(h, sizeof h, "lambda%zu", j + 1);
        tbl_header(t, 3 + j, h);
    }
    tbl_header(t, 3 + k, "logdet");
    tbl_header(t, 4 + k, "cond");
    tbl_header(t, 5 + k, "rank");
    for (size_t i = 0; i < p->done; i++) {
        tbl_row(t);
        tbl_num(t, 0, (double)(i + 1));
        tbl_num(t, 1, p->t[i]);
        tbl_num(t, 2, p->dist[i]);
        for (size_t j = 0; j < k; j++) {
            double l = gsl_matrix_get(p->eval, i, j);
            if (fabs(l) <= p->floor[i] && !s->csv)
                tbl_str(t, 3 + j, "<floor");
            else
                tbl_num(t, 3 + j, fabs(l) <= p->floor[i] ? NAN : l);
        }
        tbl_num(t, 3 + k, p->logdet[i]);
        tbl_num(t, 4 + k, p->cond[i]);
        tbl_num(t, 5 + k, (double)p->rank[i]);
    }
    tbl_print(t, &s->out, s->csv, s->csv ? 0 : 2);
    tbl_free(t);

    if (s->csv)
        ss_sink_puts(&s->out, "\n");
    else
        session_printf(s, "  power laws lambda ~ C d^k (fit over the points "
                          "nearest the set, eigenvalues above the floor):\n");
    tbl *f = tbl_alloc(s->csv ? 5 : 5);
    tbl_header(f, 0, "eigenvalue");
    tbl_header(f, 1, "exponent");
    tbl_header(f, 2, s->csv ? "exponent_unc" : "+-");
    tbl_header(f, 3, "prefactor");
    tbl_header(f, 4, s->csv ? "points" : "behaviour");
    for (size_t j = 0; j < k; j++) {
        char name[32], what[96];
        snprintf(name, sizeof name, "lambda%zu", j + 1);
        tbl_row(f);
        tbl_str(f, 0, name);
        if (s->csv) {
            tbl_num(f, 1, p->nfit[j] ? p->expo[j] : NAN);
            tbl_num(f, 2, p->nfit[j] ? p->expo_unc[j] : NAN);
            tbl_num(f, 3, p->nfit[j] ? p->prefactor[j] : NAN);
            tbl_num(f, 4, (double)p->nfit[j]);
            continue;
        }
        path_fit_verdict(p, j, what, sizeof what);
        if (p->nfit[j]) {
            char e[32], se[32], c[32];
            snprintf(e, sizeof e, "%.4f", p->expo[j]);
            if (isnan(p->expo_unc[j]))
                snprintf(se, sizeof se, "?");
            else
                snprintf(se, sizeof se, "%.2g", p->expo_unc[j]);
            snprintf(c, sizeof c, "%.6g", p->prefactor[j]);
            tbl_str(f, 1, e);
            tbl_str(f, 2, se);
            tbl_str(f, 3, c);
        }
        tbl_str(f, 4, what);
    }
    tbl_print(f, &s->out, s->csv, s->csv ? 0 : 2);
    tbl_free(f);
}

static ss_status read_full_point(const model *m, const stmt_arg *a,
                                 double *theta)
{
    if (a->v.kind != VAL_VEC || a->v.n != m->P)
        return SS_FAIL_COL(SS_ERR_USAGE, a->v.col,
                           "%s= needs a vector of all %zu parameters in "
                           "model order",
                           a->key, m->P);
    memcpy(theta, a->v.vec, m->P * sizeof *theta);
    return SS_OK;
}

ss_status cmd_path(session *s, const stmt *st)
{
    ss_status rc = args_check_opts(st, 1, 7);
    const char *name;
    model *m;
    if (rc == SS_OK)
        rc = args_model(s, st, &name, &m);
    if (rc == SS_OK && !st->as_name)
        rc = session_check_name(s, "path", &obj_path, st->verb_col);
    if (rc != SS_OK)
        return rc;
    path_spec sp = {0};
    double *th0 = NULL, *th1 = NULL;
    const stmt_arg *fa = args_key(st, "from"), *ta = args_key(st, "to");
    size_t npos = args_npos(st);
    int log_flag = 0;
    if (npos > 1 && args_pos(st, npos - 1)->v.kind == VAL_IDENT &&
        strcmp(args_pos(st, npos - 1)->v.str, "log") == 0) {
        log_flag = 1;
        npos--;
    }
    if (fa || ta) {
        if (!fa || !ta)
            return SS_FAIL_COL(SS_ERR_USAGE, (fa ? fa : ta)->key_col,
                               "a segment needs both from=[...] and "
                               "to=[...]");
        if (npos > 1)
            return SS_FAIL_COL(SS_ERR_USAGE, args_pos(st, 1)->v.col,
                               "give either PARAM: FROM -> TO or from=[...] "
                               "to=[...], not both");
        th0 = malloc(m->P * sizeof *th0);
        th1 = malloc(m->P * sizeof *th1);
        if (!th0 || !th1) {
            free(th0);
            free(th1);
            return SS_FAIL(SS_ERR_NOMEM, "out of memory");
        }
        rc = read_full_point(m, fa, th0);
        if (rc == SS_OK)
            rc = read_full_point(m, ta, th1);
        sp.theta_from = th0;
        sp.theta_to = th1;
    } else {
        /* PARAM [:] FROM -> TO */
        const stmt_arg *ax = args_pos(st, 1);
        size_t i = 2;
        if (!ax || ax->v.kind != VAL_IDENT)
            rc = SS_FAIL_COL(SS_ERR_USAGE, ax ? ax->v.col : st->verb_col,
                             "expected PARAM: FROM -> TO (or from=[...] "
                             "to=[...])");
        if (rc == SS_OK && i < npos && args_pos(st, i)->v.kind == VAL_PUNCT &&
            strcmp(args_pos(st, i)->v.str, ":") == 0)
            i++;
        const stmt_arg *a0 = args_pos(st, i), *ar = args_pos(st, i + 1),
                       *a1 = args_pos(st, i + 2);
        if (rc == SS_OK &&
            (i + 3 != npos || !a0 || !ar || !a1 || a0->v.kind != VAL_NUM ||
             ar->v.kind != VAL_PUNCT || strcmp(ar->v.str, "->") != 0 ||
             a1->v.kind != VAL_NUM))
            rc = SS_FAIL_COL(SS_ERR_USAGE,
                             a0 ? a0->v.col : ax->v.col,
                             "expected %s: FROM -> TO with two numbers",
                             ax->v.str);
        if (rc == SS_OK) {
            rc = model_axis_find(m, ax->v.str, &sp.axis);
            if (rc != SS_OK)
                ss_error_set_col(ax->v.col);
        }
        if (rc == SS_OK) {
            sp.from = a0->v.num;
            sp.to = a1->v.num;
            if (sp.from == sp.to)
                rc = SS_FAIL_COL(SS_ERR_RANGE, a0->v.col,
                                 "empty path: %s goes from %g to %g",
                                 ax->v.str, sp.from, sp.to);
        }
    }
    uint64_t steps = 0;
    if (rc == SS_OK)
        rc = args_count(st, "steps", &steps);
    if (rc == SS_OK)
        rc = args_real(st, "decades", &sp.decades);
    if (rc == SS_OK)
        rc = args_real(st, "tol", &sp.tol);
    if (rc == SS_OK)
        rc = cmd_fim_request(s, st, &sp.fim);
    sp.steps = steps;
    sp.log_spacing = log_flag;
    path_result *p = NULL;
    if (rc == SS_OK) {
        path_iter *it = NULL;
        rc = path_iter_alloc(m, &sp, &it);
        if (rc == SS_OK) {
            session_job job = {{&path_iter_type, it}, "path", &obj_path,
                               live_path,
                               st->as_name ? st->as_name : "path"};
            rc = drive_keeping(s, &job);
            if (rc == SS_OK)
                rc = path_iter_take(it, ss_interrupted(), &p);
        }
        path_iter_free(it);
        if (rc != SS_OK && ss_last_error()->col == 0)
            ss_error_set_col(st->verb_col);
    }
    free(th0);
    free(th1);
    if (rc != SS_OK)
        return rc;
    snprintf(p->source, sizeof p->source, "%s", name);
    cmd_print_path(s, p);
    char origin[160];
    args_origin(st, origin, sizeof origin);
    return session_put(s, st->as_name ? st->as_name : "path", &obj_path, p,
                       origin);
}

/* ---- map -------------------------------------------------------------- */

void cmd_print_map(session *s, const map_result *r)
{
    size_t cells = r->nx * r->ny;
    if (s->csv) {
        tbl *t = tbl_alloc(5);
        tbl_header(t, 0, r->xname);
        tbl_header(t, 1, r->yname);
        tbl_header(t, 2, map_stat_name(r->stat));
        tbl_header(t, 3, "status");
        tbl_header(t, 4, "singular_set");
        for (size_t j = 0; j < r->rows_done; j++)
            for (size_t i = 0; i < r->nx; i++) {
                size_t c = j * r->nx + i;
                tbl_row(t);
                tbl_num(t, 0, map_x(r, i));
                tbl_num(t, 1, map_y(r, j));
                tbl_num(t, 2, r->val[c]);
                tbl_str(t, 3, r->status[c] == MAP_CELL_OK ? "ok"
                              : r->status[c] == MAP_CELL_INVALID
                                  ? "invalid"
                                  : "failed");
                tbl_str(t, 4, r->sing[c] >= 0 ? r->set_names[r->sing[c]]
                                              : "");
            }
        tbl_print(t, &s->out, 1, 0);
        tbl_free(t);
        return;
    }
    session_printf(s, "%s (%s): %s of the exact FIM over %s in [%g, %g] x "
                      "%s in [%g, %g], %zux%zu points%s\n",
                   r->source, r->model_kind, map_stat_name(r->stat), r->xname,
                   r->x0, r->x1, r->yname, r->y0, r->y1, r->nx, r->ny,
                   r->interrupted ? " (interrupted)" : "");
    if (r->interrupted)
        session_printf(s, "  %zu of %zu rows finished\n", r->rows_done,
                       r->ny);
    if (r->has_min) {
        size_t i = r->imin % r->nx, j = r->imin / r->nx;
        char v[32];
        tbl_format_num(v, sizeof v, r->val[r->imin], 0);
        session_printf(s, "  minimum %s at %s = %.6g, %s = %.6g%s\n", v,
                       r->xname, map_x(r, i), r->yname, map_y(r, j),
                       r->sing[r->imin] >= 0 ? " (on the singular set)" : "");
    }
    if (r->n_floor)
        session_printf(s, "  %zu point%s where the smallest eigenvalue is at "
                          "the numerical floor (FIM singular there)\n",
                       r->n_floor, r->n_floor == 1 ? "" : "s");
    if (r->n_invalid)
        session_printf(s, "  %zu point%s outside the valid region\n",
                       r->n_invalid, r->n_invalid == 1 ? "" : "s");
    if (r->n_failed)
        session_printf(s, "  %zu point%s where the FIM could not be "
                          "computed\n",
                       r->n_failed, r->n_failed == 1 ? "" : "s");
    for (size_t q = 0; q < r->nsets; q++) {
        size_t n = 0;
        for (size_t c = 0; c < cells; c++)
            n += r->sing[c] == (signed char)q;
        if (n)
            session_printf(s, "  singular set %s crosses %zu point%s\n",
                           r->set_names[q], n, n == 1 ? "" : "s");
    }
    if (r->nx * r->ny > 441) {
        session_printf(s, "  (`export RESULT FILE.csv` writes every "
                          "point; --format csv prints them)\n");
        return;
    }
    /* small maps: the grid itself, y down the rows; * marks the set */
    tbl *t = tbl_alloc(r->nx + 1);
    char h[2 * MODEL_NAME_MAX + 8];
    snprintf(h, sizeof h, "%s \\ %s", r->yname, r->xname);
    tbl_header(t, 0, h);
    for (size_t i = 0; i < r->nx; i++) {
        snprintf(h, sizeof h, "%.4g", map_x(r, i));
        tbl_header(t, i + 1, h);
    }
    for (size_t jj = r->rows_done; jj-- > 0;) {
        tbl_row(t);
        snprintf(h, sizeof h, "%.4g", map_y(r, jj));
        tbl_str(t, 0, h);
        for (size_t i = 0; i < r->nx; i++) {
            size_t c = jj * r->nx + i;
            char v[48];
            if (r->status[c] != MAP_CELL_OK)
                snprintf(v, sizeof v, "%s",
                         r->status[c] == MAP_CELL_INVALID ? "invalid"
                                                          : "failed");
            else
                snprintf(v, sizeof v, "%.4g%s", r->val[c],
                         r->sing[c] >= 0 ? "*" : "");
            tbl_str(t, i + 1, v);
        }
    }
    tbl_print(t, &s->out, 0, 2);
    tbl_free(t);
    session_printf(s, "  (* marks points within a grid step of a singular "
                      "set)\n");
}

static ss_status read_axis(const model *m, const stmt *st, const char *key,
                           model_axis *ax, double *lo, double *hi)
{
    ss_status rc = args_require(st, key);
    if (rc != SS_OK)
        return rc;
    const stmt_arg *a = args_key(st, key);
    rc = model_axis_find(m, a->v.str, ax);
    if (rc != SS_OK) {
        ss_error_set_col(a->v.col);
        return rc;
    }
    if (a->v.lo == a->v.hi)
        return SS_FAIL_COL(SS_ERR_RANGE, a->v.col,
                           "empty range %g..%g for %s", a->v.lo, a->v.hi,
                           a->v.str);
    *lo = a->v.lo;
    *hi = a->v.hi;
    return SS_OK;
}

ss_status cmd_map(session *s, const stmt *st)
{
    ss_status rc = args_check_opts(st, 1, 1);
    const char *name;
    model *m;
    if (rc == SS_OK)
        rc = args_model(s, st, &name, &m);
    if (rc == SS_OK && !st->as_name)
        rc = session_check_name(s, "map", &obj_map, st->verb_col);
    if (rc != SS_OK)
        return rc;
    map_spec sp = {0};
    rc = read_axis(m, st, "x", &sp.x, &sp.x0, &sp.x1);
    if (rc == SS_OK)
        rc = read_axis(m, st, "y", &sp.y, &sp.y0, &sp.y1);
    if (rc == SS_OK && sp.x.is_coord == sp.y.is_coord &&
        sp.x.index == sp.y.index)
        rc = SS_FAIL_COL(SS_ERR_USAGE, args_key(st, "y")->v.col,
                         "x and y must be different axes");
    const char *stat = NULL;
    if (rc == SS_OK)
        rc = args_word(st, "stat", &stat);
    if (rc == SS_OK) /* a choice of the table: parses */
        sp.stat = (map_stat)map_stat_parse(stat);
    if (rc == SS_OK)
        rc = args_grid(st, "res", &sp.nx, &sp.ny);
    if (rc == SS_OK)
        rc = args_real(st, "tol", &sp.tol);
    if (rc != SS_OK)
        return rc;
    map_result *r;
    map_iter *it = NULL;
    rc = map_iter_alloc(m, &sp, &it);
    if (rc == SS_OK) {
        session_job job = {{&map_iter_type, it}, "map", &obj_map, live_map,
                           st->as_name ? st->as_name : "map"};
        rc = drive_keeping(s, &job);
        if (rc == SS_OK)
            rc = map_iter_take(it, ss_interrupted(), &r);
    }
    map_iter_free(it);
    if (rc != SS_OK) {
        if (ss_last_error()->col == 0)
            ss_error_set_col(st->verb_col);
        return rc;
    }
    snprintf(r->source, sizeof r->source, "%s", name);
    cmd_print_map(s, r);
    char origin[160];
    args_origin(st, origin, sizeof origin);
    return session_put(s, st->as_name ? st->as_name : "map", &obj_map, r,
                       origin);
}

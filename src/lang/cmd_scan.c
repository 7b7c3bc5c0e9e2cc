/* Degeneracy analysis: spectra along paths (`path`) and statistics over
 * parameter planes (`map`). */
#include "lang/args.h"
#include "lang/commands.h"

#include "core/interrupt.h"
#include "core/table.h"
#include "fim/map.h"
#include "fim/path.h"
#include "design/est_pop.h"
#include "lang/results.h"
#include "model/pop.h"
#include "model/model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Run a scan job; Ctrl-C is not a failure: the steps finished are kept
 * (the result says it was interrupted). */
static ss_status drive_keeping(session *s, const session_job *job)
{
    int stopped;
    return session_drive_keeping(s, job, &stopped);
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


static ss_status read_full_point(const model *m, const ss_stmt_arg *a,
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

ss_status cmd_path(session *s, const ss_stmt *st)
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
    const ss_stmt_arg *fa = args_key(st, "from"), *ta = args_key(st, "to");
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
        const ss_stmt_arg *ax = args_pos(st, 1);
        size_t i = 2;
        if (!ax || ax->v.kind != VAL_IDENT)
            rc = SS_FAIL_COL(SS_ERR_USAGE, ax ? ax->v.col : st->verb_col,
                             "expected PARAM: FROM -> TO (or from=[...] "
                             "to=[...])");
        if (rc == SS_OK && i < npos && args_pos(st, i)->v.kind == VAL_PUNCT &&
            strcmp(args_pos(st, i)->v.str, ":") == 0)
            i++;
        const ss_stmt_arg *a0 = args_pos(st, i), *ar = args_pos(st, i + 1),
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
            path_iter_set_source(it, name);
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
    obj_path.print(s, NULL, p);
    char origin[160];
    args_origin(st, origin, sizeof origin);
    return session_put(s, st->as_name ? st->as_name : "path", &obj_path, p,
                       origin);
}

/* ---- map -------------------------------------------------------------- */


static ss_status read_axis(const model *m, const ss_stmt *st, const char *key,
                           model_axis *ax, double *lo, double *hi)
{
    ss_status rc = args_require(st, key);
    if (rc != SS_OK)
        return rc;
    const ss_stmt_arg *a = args_key(st, key);
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

ss_status cmd_map(session *s, const ss_stmt *st)
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
    /* a population model maps the FIM of a design */
    const ss_stmt_arg *dz = args_key(st, "design");
    if (pop_spec_of(m) || dz) {
        const char *method;
        uint64_t nquad;
        rc = args_word(st, "method", &method);
        if (rc == SS_OK)
            rc = args_count(st, "nquad", &nquad);
        if (rc != SS_OK)
            return rc;
        sp.fim.est = est_pop_find(method);
        sp.fim.method = FIM_POP;
        sp.fim.nquad = (size_t)nquad;
        if (!pop_spec_of(m))
            return SS_FAIL_COL(SS_ERR_USAGE, dz->key_col,
                               "design= applies to population models (pk1, "
                               "pk2, expr)");
        if (!dz)
            return SS_FAIL_COL(SS_ERR_USAGE, st->verb_col,
                               "%s is a population model: map the FIM of a "
                               "design, design=D",
                               name);
        design_obj *pd;
        rc = session_get(s, dz->v.str, &obj_design, dz->v.col, (void **)&pd);
        if (rc != SS_OK)
            return rc;
        sp.fim.design = pd->d;
        sp.fim.design_name = dz->v.str;
    } else if (args_key(st, "method") || args_key(st, "nquad")) {
        const ss_stmt_arg *k = args_key(st, "method") ? args_key(st, "method")
                                                      : args_key(st, "nquad");
        return SS_FAIL_COL(SS_ERR_USAGE, k->key_col,
                           "%s= applies to population models with design=",
                           k->key);
    }
    map_result *r;
    map_iter *it = NULL;
    rc = map_iter_alloc(m, &sp, &it);
    if (rc == SS_OK) {
        map_iter_set_source(it, name);
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
    obj_map.print(s, NULL, r);
    char origin[160];
    args_origin(st, origin, sizeof origin);
    return session_put(s, st->as_name ? st->as_name : "map", &obj_map, r,
                       origin);
}

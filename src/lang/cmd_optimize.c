/* `optimize D model=M [criterion=D|A|E|Ds] [params=[..]]
 *  [over=times|weights|both|none] [candidates=[t..] | grid=N]
 *  [bounds=LO..HI] [method=fo|fo-full|quad] [as NAME]`: an approximate
 * optimal design (design/popopt.h) stored as a design with its
 * certificate; the start D is left as it is. */
#include "lang/commands.h"
#include "lang/results.h"

#include "core/interrupt.h"
#include "design/popopt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Ds: the positions among m's free parameters of the names listed */
static ss_status ds_subset(const ss_stmt *st, const model *m, size_t **sub,
                           size_t *s)
{
    const ss_stmt_arg *a = args_key(st, "params");
    if (!a)
        return SS_FAIL_COL(SS_ERR_USAGE, st->verb_col,
                           "criterion=Ds needs params=[NAME, ..], the "
                           "parameters of interest");
    size_t n = a->v.kind == VAL_NAMES ? a->v.n : 1;
    *sub = calloc(n, sizeof **sub);
    if (!*sub)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const char *nm = a->v.kind == VAL_NAMES ? a->v.names[i] : a->v.str;
        int pi = model_param_index(m, nm);
        if (pi < 0 || !m->is_free[pi]) {
            free(*sub);
            *sub = NULL;
            return SS_FAIL_COL(SS_ERR_NAME, a->v.col,
                               "params=: '%s' is not a free parameter of "
                               "the model",
                               nm);
        }
        size_t pos = 0;
        for (int j = 0; j < pi; j++)
            pos += m->is_free[j] != 0;
        for (size_t j = 0; j < i; j++)
            if ((*sub)[j] == pos) {
                free(*sub);
                *sub = NULL;
                return SS_FAIL_COL(SS_ERR_USAGE, a->v.col,
                                   "params=: '%s' is listed twice", nm);
            }
        (*sub)[i] = pos;
    }
    *s = n;
    return SS_OK;
}

ss_status cmd_optimize(session *s, const ss_stmt *st)
{
    ss_status rc = args_check_opts(st, 1, 1);
    const char *dname;
    if (rc == SS_OK)
        rc = args_name(st, 0, "a design name", &dname);
    design_obj *start;
    if (rc == SS_OK)
        rc = session_get(s, dname, &obj_design, args_pos(st, 0)->v.col,
                         (void **)&start);
    if (rc != SS_OK)
        return rc;
    const ss_stmt_arg *ma = args_key(st, "model");
    model *m;
    rc = session_get(s, ma->v.str, &obj_model, ma->v.col, (void **)&m);
    if (rc != SS_OK)
        return rc;
    const char *crit, *over, *method;
    rc = args_word(st, "criterion", &crit);
    if (rc == SS_OK)
        rc = args_word(st, "over", &over);
    if (rc == SS_OK)
        rc = args_word(st, "method", &method);
    uint64_t grid;
    if (rc == SS_OK)
        rc = args_count(st, "grid", &grid);
    if (rc != SS_OK)
        return rc;
    popopt_spec sp;
    memset(&sp, 0, sizeof sp);
    sp.crit = strcmp(crit, "A") == 0    ? OD_A
              : strcmp(crit, "E") == 0  ? OD_E
              : strcmp(crit, "Ds") == 0 ? OD_DS
                                        : OD_D;
    sp.refine = strcmp(over, "times") == 0     ? OD_OVER_TIMES
                : strcmp(over, "weights") == 0 ? OD_OVER_WEIGHTS
                : strcmp(over, "both") == 0    ? OD_OVER_BOTH
                                               : 0;
    sp.fim.method = strcmp(method, "fo-full") == 0 ? POPFIM_FO_FULL
                    : strcmp(method, "quad") == 0  ? POPFIM_QUAD
                                                   : POPFIM_FO;
    if (args_key(st, "params") && sp.crit != OD_DS)
        return SS_FAIL_COL(SS_ERR_USAGE, args_key(st, "params")->key_col,
                           "params= applies to criterion=Ds");
    const ss_stmt_arg *ca = args_key(st, "candidates");
    if (ca && args_key(st, "grid"))
        return SS_FAIL_COL(SS_ERR_USAGE, args_key(st, "grid")->key_col,
                           "give candidates=[..] or grid=N, not both");
    if (ca) {
        if (ca->v.kind == VAL_ROWS)
            return SS_FAIL_COL(SS_ERR_USAGE, ca->v.col,
                               "candidates= takes a list of times "
                               "[t1, t2, ..]");
        sp.times = ca->v.kind == VAL_VEC ? ca->v.vec : &ca->v.num;
        sp.ntimes = ca->v.kind == VAL_VEC ? ca->v.n : 1;
        for (size_t i = 0; i < sp.ntimes; i++)
            if (!(sp.times[i] >= 0) || !isfinite(sp.times[i]))
                return SS_FAIL_COL(SS_ERR_RANGE, ca->v.col,
                                   "candidates=: %g is not a time after the "
                                   "dose (>= 0)",
                                   sp.times[i]);
    }
    sp.grid = (size_t)grid;
    /* bounds: given, else the range of the candidate times */
    const ss_stmt_arg *ba = args_key(st, "bounds");
    if (ba) {
        sp.lo = ba->v.lo;
        sp.hi = ba->v.hi;
    } else {
        sp.lo = INFINITY;
        sp.hi = -INFINITY;
        if (sp.times) {
            for (size_t i = 0; i < sp.ntimes; i++) {
                sp.lo = fmin(sp.lo, sp.times[i]);
                sp.hi = fmax(sp.hi, sp.times[i]);
            }
        } else {
            if (sp.grid)
                return SS_FAIL_COL(SS_ERR_USAGE, st->verb_col,
                                   "grid=N needs bounds=LO..HI, the range "
                                   "of the candidate times");
            for (size_t g = 0; g < start->d->ngroups; g++)
                for (size_t i = 0; i < start->d->g[g].nt; i++) {
                    sp.lo = fmin(sp.lo, start->d->g[g].t[i]);
                    sp.hi = fmax(sp.hi, start->d->g[g].t[i]);
                }
        }
        if (!(sp.hi > sp.lo))
            sp.refine = 0; /* a single time: nothing to move */
    }
    if (ba && sp.lo < 0)
        return SS_FAIL_COL(SS_ERR_RANGE, ba->v.col,
                           "bounds=: times are >= 0");
    size_t *sub = NULL;
    if (sp.crit == OD_DS) {
        rc = ds_subset(st, m, &sub, &sp.s);
        if (rc != SS_OK)
            return rc;
        sp.sub = sub;
    }
    design_obj *o = calloc(1, sizeof *o);
    if (!o) {
        free(sub);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    rc = popopt_run(m, start->d, &sp, &o->opt);
    free(sub);
    if (rc != SS_OK) {
        free(o);
        if (ss_last_error()->col == 0)
            ss_error_set_col(st->verb_col);
        return rc;
    }
    o->d = o->opt.design;
    o->opt.design = NULL;
    o->optimized = 1;
    o->crit = sp.crit;
    o->refined = sp.refine != 0;
    snprintf(o->model, sizeof o->model, "%s", ma->v.str);
    snprintf(o->from, sizeof o->from, "%s", dname);
    snprintf(o->fim_method, sizeof o->fim_method, "%s",
             popfim_method_name(sp.fim.method));
    char name[80], origin[160];
    snprintf(name, sizeof name, "%s_opt", dname);
    const char *as = st->as_name ? st->as_name : name;
    args_origin(st, origin, sizeof origin);
    obj_design.print(s, as, o);
    return session_put(s, as, &obj_design, o, origin);
}

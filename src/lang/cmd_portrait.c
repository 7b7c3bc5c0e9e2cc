/* `portrait`: a phase portrait of the averaged flow (learn/portrait.h)
 * run as a job, one start a step, stored as a portrait (obj_portrait).
 * The command only reads options; every check of substance is the
 * learning layer's, which names the option it is about. */
#include "lang/args.h"
#include "lang/commands.h"

#include "learn/portrait.h"
#include "model/model.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const void *live_portrait(const void *state)
{
    return portrait_iter_result(state);
}

ss_status cmd_portrait(session *s, const ss_stmt *st)
{
    ss_status rc = args_check_opts(st, 1, 1);
    const char *name;
    model *m = NULL, *teacher = NULL;
    if (rc == SS_OK)
        rc = args_model(s, st, &name, &m);
    const char *store = st->as_name ? st->as_name : "portrait";
    if (rc == SS_OK && !st->as_name)
        rc = session_check_name(s, "portrait", &obj_portrait, st->verb_col);
    const ss_stmt_arg *ta = args_key(st, "teacher");
    const ss_stmt_arg *xa = args_key(st, "x"), *ya = args_key(st, "y");
    if (rc == SS_OK)
        rc = args_require(st, "teacher");
    if (rc == SS_OK)
        rc = args_require(st, "x");
    if (rc == SS_OK)
        rc = args_require(st, "y");
    if (rc == SS_OK)
        rc = session_get(s, ta->v.str, &obj_model, ta->v.col,
                         (void **)&teacher);
    portrait_spec sp = {0};
    const char *algo = NULL;
    if (rc == SS_OK)
        rc = args_word(st, "algo", &algo);
    if (rc == SS_OK)
        rc = args_grid(st, "starts", &sp.W, &sp.H);
    if (rc == SS_OK)
        rc = args_real(st, "t", &sp.tmax);
    if (rc == SS_OK)
        rc = args_real(st, "eta", &sp.eta);
    if (rc == SS_OK)
        rc = args_real(st, "damping", &sp.damping);
    if (rc != SS_OK)
        return rc;
    sp.algo = algo && strcmp(algo, "ngd") == 0 ? FLOW_NGD : FLOW_GD;
    sp.x = xa->v.str, sp.xa = xa->v.lo, sp.xb = xa->v.hi;
    sp.y = ya->v.str, sp.ya = ya->v.lo, sp.yb = ya->v.hi;
    portrait_iter *it = NULL;
    rc = portrait_iter_alloc(m, teacher, &sp, &it);
    if (rc != SS_OK) {
        const ss_stmt_arg *bad = sp.bad_key ? args_key(st, sp.bad_key)
                                            : NULL;
        if (ss_last_error()->col == 0)
            ss_error_set_col(bad ? bad->v.col : st->verb_col);
        return rc;
    }
    learn_portrait *p = (learn_portrait *)portrait_iter_result(it);
    snprintf(p->student, sizeof p->student, "%s", name);
    snprintf(p->teacher, sizeof p->teacher, "%s", ta->v.str);
    session_job job = {{&portrait_iter_type, it}, "portrait", &obj_portrait,
                       live_portrait, store};
    int stopped;
    rc = session_drive_keeping(s, &job, &stopped);
    if (rc == SS_OK)
        rc = portrait_iter_take(it, stopped, &p);
    portrait_iter_free(it);
    if (rc != SS_OK) {
        if (ss_last_error()->col == 0)
            ss_error_set_col(st->verb_col);
        return rc;
    }
    if (!s->csv) {
        size_t cnt[PORTRAIT_FAILED + 1];
        learn_portrait_counts(p, cnt);
        session_printf(s, "%s: portrait of %s in (%s, %s), flow %s to t = "
                          "%g: %zu of %zu starts, %zu captured by a "
                          "singular set, %zu escaped to the teacher%s\n",
                       store, name, p->xname, p->yname,
                       p->algo == FLOW_GD ? "gd" : "ngd", p->tmax, p->done,
                       p->n, cnt[PORTRAIT_LINE], cnt[PORTRAIT_TEACHER],
                       p->interrupted ? ", interrupted" : "");
    }
    char origin[160];
    args_origin(st, origin, sizeof origin);
    return session_put(s, store, &obj_portrait, p, origin);
}

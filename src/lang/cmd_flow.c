/* `flow`: the averaged learning dynamics (learn/flow.h) run as a job,
 * stored as a learning run (obj_run). The command only reads options;
 * every check of substance is the learning layer's. */
#include "lang/args.h"
#include "lang/commands.h"

#include "learn/flow.h"
#include "model/model.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const void *live_flow(const void *state)
{
    return flow_iter_result(state);
}

ss_status cmd_flow(session *s, const ss_stmt *st)
{
    ss_status rc = args_check_opts(st, 1, 1);
    const char *name;
    model *m = NULL, *teacher = NULL;
    if (rc == SS_OK)
        rc = args_model(s, st, &name, &m);
    const char *store = st->as_name ? st->as_name : "run";
    if (rc == SS_OK && !st->as_name)
        rc = session_check_name(s, "run", &obj_run, st->verb_col);
    const ss_stmt_arg *ta = args_key(st, "teacher");
    if (rc == SS_OK)
        rc = args_require(st, "teacher");
    if (rc == SS_OK)
        rc = args_require(st, "t");
    if (rc == SS_OK)
        rc = session_get(s, ta->v.str, &obj_model, ta->v.col,
                         (void **)&teacher);
    /* the teacher's fit is checked here so the error points at it */
    if (rc == SS_OK && teacher->type != m->type)
        rc = SS_FAIL_COL(SS_ERR_USAGE, ta->v.col,
                         "flow: the teacher %s is a %s, the student %s a %s "
                         "(the flow needs a teacher of the student's "
                         "family)",
                         ta->v.str, teacher->type->name, name,
                         m->type->name);
    if (rc == SS_OK && model_data_compatible(m, teacher) != SS_OK)
        ss_error_set_col(ta->v.col), rc = ss_last_error()->code;
    flow_spec sp = {.records = FLOW_RECORDS_DEFAULT};
    const char *algo = NULL;
    uint64_t records = FLOW_RECORDS_DEFAULT, eig = 0;
    if (rc == SS_OK)
        rc = args_word(st, "algo", &algo);
    if (rc == SS_OK)
        rc = args_real(st, "eta", &sp.eta);
    if (rc == SS_OK)
        rc = args_real(st, "t", &sp.tmax);
    if (rc == SS_OK)
        rc = args_count(st, "records", &records);
    if (rc == SS_OK)
        rc = args_real(st, "tol", &sp.tol);
    if (rc == SS_OK)
        rc = args_real(st, "damping", &sp.damping);
    if (rc == SS_OK)
        rc = args_count(st, "eig", &eig);
    if (rc != SS_OK)
        return rc;
    sp.algo = algo && strcmp(algo, "ngd") == 0 ? FLOW_NGD : FLOW_GD;
    sp.records = (size_t)records;
    sp.eig_every = (size_t)eig;
    flow_iter *it = NULL;
    rc = flow_iter_alloc(m, teacher, &sp, &it);
    if (rc != SS_OK) {
        if (ss_last_error()->col == 0)
            ss_error_set_col(st->verb_col);
        return rc;
    }
    learn_run *run = (learn_run *)flow_iter_result(it);
    snprintf(run->student, sizeof run->student, "%s", name);
    snprintf(run->teacher, sizeof run->teacher, "%s", ta->v.str);
    session_job job = {{&flow_iter_type, it}, "flow", &obj_run, live_flow,
                       store};
    int stopped;
    rc = session_drive_keeping(s, &job, &stopped);
    if (rc == SS_OK)
        rc = flow_iter_take(it, stopped, &run);
    flow_iter_free(it);
    if (rc != SS_OK) {
        if (ss_last_error()->col == 0)
            ss_error_set_col(st->verb_col);
        return rc;
    }
    if (!s->csv) {
        size_t n = run->n;
        session_printf(s, "%s: %s of %s to t = %g, eta = %g: %zu records%s%s\n",
                       store, run->algo, name, run->t_end, run->eta, n,
                       run->interrupted ? ", interrupted" : "",
                       run->diverged ? ", diverged" : "");
        if (n)
            session_printf(s, "  final: gen_loss = %.6g\n", run->gen[n - 1]);
        if (*run->note)
            session_printf(s, "  %s\n", run->note);
    }
    char origin[160];
    args_origin(st, origin, sizeof origin);
    return session_put(s, store, &obj_run, run, origin);
}

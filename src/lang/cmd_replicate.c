/* `replicate`: the sampling distribution of a FIM estimator, replicate by
 * replicate, as a replicate table (core/reptable.h, fim/repfim.h). */
#include "lang/args.h"
#include "lang/commands.h"
#include "lang/shard.h"

#include "core/interrupt.h"
#include "core/reptable.h"
#include "core/rng.h"
#include "fim/estimator.h"
#include "fim/repfim.h"
#include "model/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const void *live_table(const void *state)
{
    return repfim_iter_result(state);
}

static ss_status merged_table(session *s, const char *name, const model *m,
                              const repfim_spec *sp, const exp_origin *eo,
                              reptable **out)
{
    reptable *t = NULL;
    ss_status rc = repfim_table_new(m, sp, &t);
    if (rc == SS_OK)
        snprintf(t->source, sizeof t->source, "%s", name);
    const char **names = t ? malloc(t->ncols * sizeof *names) : NULL;
    const double *rows = NULL;
    if (rc == SS_OK && !names)
        rc = SS_FAIL(SS_ERR_NOMEM, "out of memory");
    for (size_t c = 0; rc == SS_OK && c < t->ncols; c++)
        names[c] = t->colnames[c];
    if (rc == SS_OK)
        rc = exp_merged_rows(s, eo, t->ncols, names, &rows);
    free(names);
    if (rc != SS_OK) {
        reptable_free(t);
        return rc;
    }
    memcpy(t->v, rows, t->nrep * t->ncols * sizeof *rows);
    t->ndone = t->nrep;
    *out = t;
    return SS_OK;
}

ss_status cmd_replicate(session *s, const ss_stmt *st)
{
    ss_status rc = args_check_opts(st, 1, 1);
    const char *name;
    model *m;
    if (rc == SS_OK)
        rc = args_model(s, st, &name, &m);
    if (rc == SS_OK && !st->as_name)
        rc = SS_FAIL_COL(SS_ERR_USAGE, st->verb_col,
                         "replicate needs `as NAME` to store the table");
    const char *method = NULL;
    uint64_t n = 0, reps = 0, threads = 0;
    if (rc == SS_OK)
        rc = args_require(st, "n");
    if (rc == SS_OK)
        rc = args_require(st, "reps");
    if (rc == SS_OK)
        rc = args_count(st, "n", &n);
    if (rc == SS_OK)
        rc = args_count(st, "reps", &reps);
    if (rc == SS_OK)
        rc = args_count(st, "threads", &threads);
    if (rc == SS_OK)
        rc = args_word(st, "method", &method);
    if (rc != SS_OK)
        return rc;
    size_t *idx, k;
    if ((rc = model_free_index_list(m, &idx, &k)) != SS_OK) {
        ss_error_set_col(args_pos(st, 0)->v.col);
        return rc;
    }
    free(idx);
    repfim_spec sp = {.est = fim_estimator_find(method), .n = (size_t)n,
                      .nrep = (size_t)reps, .threads = (unsigned)threads};
    exp_origin eo;
    gsl_rng *saved;
    if ((rc = args_seed_begin(s, st, &sp.seed, &saved)) != SS_OK)
        return rc;
    if ((rc = exp_origin_make(s, st, (size_t)reps, sp.seed, &eo)) != SS_OK)
        return args_seed_end(s, saved, rc);
    sp.first = eo.slice.first;
    sp.count = eo.slice.count;
    repfim_iter *it = NULL;
    reptable *t = NULL;
    if (exp_is_merge(s)) /* the rows from shard files, not computed */
        rc = merged_table(s, name, m, &sp, &eo, &t);
    else
        rc = repfim_iter_alloc(m, &sp, &it);
    if (rc == SS_OK && it) {
        repfim_iter_set_source(it, name);
        session_job job = {{&repfim_iter_type, it}, "replicate",
                           &obj_reptable, live_table, st->as_name};
        int stopped; /* Ctrl-C keeps the replicates finished */
        rc = session_drive_keeping(s, &job, &stopped);
        if (rc == SS_OK)
            rc = repfim_iter_take(it, stopped, &t);
    }
    repfim_iter_free(it);
    if (args_seed_end(s, saved, rc) != SS_OK) {
        if (ss_last_error()->col == 0)
            ss_error_set_col(st->verb_col);
        return rc;
    }
    t->exp = eo;
    obj_reptable.print(s, st->as_name, t);
    /* the experiment as it is (the seed drawn, no threads=), for `list`
     * and exports: a merge of its shards records the same */
    char origin[EXP_COMMAND_MAX + OBJ_NAME_MAX + 8];
    snprintf(origin, sizeof origin, "%s as %s", eo.command, st->as_name);
    return session_put(s, st->as_name, &obj_reptable, t, origin);
}

/* `rlct MODEL truth=T method=volume ...`: the learning coefficient by
 * volume scaling (bayes/rlct.h), stored as an rlct estimate (obj_rlct).
 * The command only reads its options. */
#include "lang/args.h"
#include "lang/commands.h"
#include "lang/rlct_llc.h"
#include "lang/shard.h"
#include "lang/rlct_wbic_lang.h"

#include "bayes/rlct.h"
#include "core/rng.h"
#include "model/model.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Which methods each method-specific option belongs to (the rest, truth,
 * method, seed, threads, belong to all): one given with another method
 * is refused at its column rather than ignored. */
enum { VOL = 1, WB = 2, LLC = 4 };
static const struct {
    const char *key;
    int methods;
} method_keys[] = {
    {"draws", VOL},  {"qmax", VOL},   {"qmin", VOL},    {"ns", WB},
    {"nmin", WB},    {"nmax", WB},    {"points", WB},   {"reps", WB},
    {"samples", WB}, {"sampler", WB}, {"chains", WB | LLC},
    {"burnin", WB | LLC}, {"n", LLC}, {"data", LLC},    {"beta", LLC},
    {"eps", LLC},    {"gamma", LLC},  {"steps", LLC},   {"batch", LLC},
    {"at", LLC}};

static ss_status method_keys_check(const ss_stmt *st, const char *method)
{
    static const char *const names[] = {"volume", "wbic", "llc"};
    int me = 0;
    for (int b = 0; b < 3; b++)
        if (strcmp(method, names[b]) == 0)
            me = 1 << b;
    for (size_t i = 0; i < sizeof method_keys / sizeof *method_keys; i++) {
        const ss_stmt_arg *a = args_key(st, method_keys[i].key);
        if (!a || (method_keys[i].methods & me))
            continue;
        char owners[32] = "";
        for (int b = 0; b < 3; b++)
            if (method_keys[i].methods & (1 << b))
                snprintf(owners + strlen(owners),
                         sizeof owners - strlen(owners), "%s%s",
                         owners[0] ? " or method=" : "", names[b]);
        return SS_FAIL_COL(SS_ERR_USAGE, a->key_col,
                           "rlct: %s= belongs to method=%s, not method=%s",
                           method_keys[i].key, owners, method);
    }
    return SS_OK;
}

ss_status cmd_rlct(session *s, const ss_stmt *st)
{
    ss_status rc = args_check_opts(st, 1, 1);
    const char *name;
    model *m = NULL, *t = NULL;
    if (rc == SS_OK)
        rc = args_model(s, st, &name, &m);
    if (rc == SS_OK && !st->as_name)
        rc = SS_FAIL_COL(SS_ERR_USAGE, st->verb_col,
                         "rlct needs `as NAME` to store the estimate");
    if (rc == SS_OK) /* a shard is stored as one (lang/shard.h) */
        rc = session_check_name(s, st->as_name,
                                args_key(st, "shard") ? &obj_shard
                                                      : &obj_rlct,
                                st->verb_col);
    if (rc == SS_OK)
        rc = args_require(st, "truth");
    if (rc == SS_OK) {
        const ss_stmt_arg *a = args_key(st, "truth");
        rc = session_get(s, a->v.str, &obj_model, a->v.col, (void **)&t);
    }
    uint64_t draws = RLCT_DRAWS_DEFAULT, threads = 0;
    double qmax = RLCT_QMAX_DEFAULT, qmin = RLCT_QMIN_DEFAULT;
    const char *method = "volume";
    if (rc == SS_OK)
        rc = args_word(st, "method", &method);
    if (rc == SS_OK)
        rc = method_keys_check(st, method);
    if (rc == SS_OK && strcmp(method, "wbic") == 0)
        return cmd_rlct_wbic(s, st, name, m, t);
    if (rc == SS_OK && strcmp(method, "llc") == 0)
        return cmd_rlct_llc(s, st, name, m, t);
    if (rc == SS_OK)
        rc = args_count(st, "draws", &draws);
    if (rc == SS_OK)
        rc = args_count(st, "threads", &threads);
    if (rc == SS_OK)
        rc = args_real(st, "qmax", &qmax);
    if (rc == SS_OK)
        rc = args_real(st, "qmin", &qmin);
    if (rc != SS_OK)
        return rc;
    rlct_spec sp = {.draws = (size_t)draws, .threads = (unsigned)threads,
                    .qmax = qmax, .qmin = qmin};
    gsl_rng *saved;
    if ((rc = args_seed_begin(s, st, &sp.seed, &saved)) != SS_OK)
        return rc;
    /* the chunks of draws are the experiment's replicates */
    exp_origin eo;
    rc = exp_origin_make(s, st, rlct_nchunks(sp.draws), sp.seed, &eo);
    sp.first = eo.slice.first;
    sp.count = eo.slice.n ? eo.slice.count : 0;
    rlct_iter *it = NULL;
    rlct_result *r = NULL;
    double *rows = NULL;
    size_t nrows = 0;
    if (rc != SS_OK)
        ; /* shard= is wrong: the error is placed */
    else if (exp_is_merge(s)) {
        const double *mr = NULL;
        rc = exp_merged_raw(s, &eo, rlct_row_len(), &mr);
        if (rc == SS_OK)
            rc = rlct_result_from_rows(m, t, &sp, mr, &r);
    } else {
        rc = rlct_iter_alloc(m, t, &sp, &it);
    }
    if (rc == SS_OK && it) {
        session_job job = {{&rlct_iter_type, it}, "rlct", NULL, NULL,
                           st->as_name};
        int stopped;
        rc = session_drive_keeping(s, &job, &stopped);
        if (rc == SS_OK && eo.slice.n)
            rc = rlct_iter_take_rows(it, stopped, &rows, &nrows);
        else if (rc == SS_OK)
            rc = rlct_iter_take(it, stopped, &r);
    }
    rlct_iter_free(it);
    if (args_seed_end(s, saved, rc) != SS_OK) {
        free(rows);
        if (ss_last_error()->col == 0) {
            const ss_stmt_arg *a = args_key(st, "truth");
            ss_error_set_col(strstr(ss_last_error()->msg, "prior") || !a
                                 ? args_pos(st, 0)->v.col
                                 : a->v.col);
        }
        return rc;
    }
    char origin[160];
    args_origin(st, origin, sizeof origin);
    if (eo.slice.n) {
        return exp_shard_store(s, st->as_name, &eo, "learning coefficient",
                               "chunks", rows, nrows, rlct_row_len(),
                               origin);
    }
    snprintf(r->model, sizeof r->model, "%s", name);
    snprintf(r->truth, sizeof r->truth, "%s", args_key(st, "truth")->v.str);
    obj_rlct.print(s, st->as_name, r);
    return session_put(s, st->as_name, &obj_rlct, r, origin);
}

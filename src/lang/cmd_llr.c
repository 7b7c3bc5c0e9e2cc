/* `llr`: the Monte-Carlo distribution of the likelihood-ratio statistic
 * (infer/llr.h), stored as an llr experiment (obj_llr). The command only
 * reads its options. */
#include "lang/args.h"
#include "lang/commands.h"
#include "lang/shard.h"

#include "core/rng.h"
#include "infer/llr.h"
#include "model/model.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const void *live_result(const void *state)
{
    return llr_iter_result(state);
}

static ss_status get_model(session *s, const ss_stmt *st, const char *key,
                           model **m)
{
    const ss_stmt_arg *a = args_key(st, key);
    return session_get(s, a->v.str, &obj_model, a->v.col, (void **)m);
}

/* The column of the option an error is about, from its message. */
static int error_col(const ss_stmt *st)
{
    const char *msg = ss_last_error()->msg;
    int c = args_col_in_msg(st, msg);
    if (c)
        return c;
    if (strstr(msg, "nested") || strstr(msg, "null and alt") ||
        strstr(msg, "alt model") ||
        strstr(msg, "alt must"))
        return args_key(st, "alt")->v.col;
    if (strstr(msg, "teacher") || strstr(msg, "data") ||
        strstr(msg, "truth"))
        return args_key(st, "truth")->v.col;
    return st->verb_col;
}

/* `merge`: the result from the rows of shard files. */
static ss_status merged_result(session *s, const model *truth,
                               const model *null, const model *alt,
                               const llr_spec *sp, const exp_origin *eo,
                               llr_result **out)
{
    size_t k;
    ss_status rc = llr_check(truth, null, alt, sp, &k);
    const double *rows = NULL;
    size_t nc = llr_ncols(alt);
    if (rc == SS_OK)
        rc = exp_merged_rows(s, eo, nc, NULL, &rows);
    if (rc == SS_OK)
        rc = llr_result_build(sp, truth, null, alt, rows, 0, sp->reps, out);
    for (size_t c = 0; rc == SS_OK && c < nc; c++)
        if (strcmp((*out)->colnames[c], exp_merged_name(s, c))) {
            rc = SS_FAIL(SS_ERR_USAGE, "the shards' column %zu is '%s', the "
                                       "experiment's '%s'",
                         c + 2, exp_merged_name(s, c), (*out)->colnames[c]);
            llr_result_free(*out);
            *out = NULL;
        }
    return rc;
}

ss_status cmd_llr(session *s, const ss_stmt *st)
{
    ss_status rc = args_check_opts(st, 0, 0);
    if (rc == SS_OK && !st->as_name)
        rc = SS_FAIL_COL(SS_ERR_USAGE, st->verb_col,
                         "llr needs `as NAME` to store the experiment");
    if (rc == SS_OK)
        rc = session_check_name(s, st->as_name, &obj_llr, st->verb_col);
    static const char *const req[] = {"truth", "null", "alt", "n", "reps"};
    for (size_t i = 0; rc == SS_OK && i < sizeof req / sizeof *req; i++)
        rc = args_require(st, req[i]);
    model *truth = NULL, *null = NULL, *alt = NULL;
    if (rc == SS_OK)
        rc = get_model(s, st, "truth", &truth);
    if (rc == SS_OK)
        rc = get_model(s, st, "null", &null);
    if (rc == SS_OK)
        rc = get_model(s, st, "alt", &alt);
    uint64_t n = 0, reps = 0, threads = 0, starts = 0;
    uint64_t sims = LLR_SIMS_DEFAULT;
    if (rc == SS_OK)
        rc = args_count(st, "n", &n);
    if (rc == SS_OK)
        rc = args_count(st, "reps", &reps);
    if (rc == SS_OK)
        rc = args_count(st, "threads", &threads);
    if (rc == SS_OK)
        rc = args_count(st, "starts", &starts);
    if (rc == SS_OK && args_key(st, "sims"))
        rc = args_count(st, "sims", &sims);
    if (rc != SS_OK)
        return rc;
    llr_spec sp = {.n = (size_t)n, .reps = (size_t)reps, .first = 0,
                   .count = 0, .threads = (unsigned)threads,
                   .starts = (size_t)starts, .sims = (size_t)sims};
    gsl_rng *saved;
    if ((rc = args_seed_begin(s, st, &sp.seed, &saved)) != SS_OK)
        return rc;
    exp_origin eo;
    rc = exp_origin_make(s, st, sp.reps, sp.seed, &eo);
    sp.first = eo.slice.first;
    sp.count = eo.slice.count;
    llr_iter *it = NULL;
    llr_result *r = NULL;
    if (rc != SS_OK)
        ; /* shard= is wrong: the error is placed */
    else if (exp_is_merge(s))
        rc = merged_result(s, truth, null, alt, &sp, &eo, &r);
    else
        rc = llr_iter_alloc(truth, null, alt, &sp, &it);
    if (rc == SS_OK && it) {
        session_job job = {{&llr_iter_type, it}, "llr", &obj_llr,
                           live_result, st->as_name};
        llr_result *lr = (llr_result *)llr_iter_result(it);
        snprintf(lr->truth, sizeof lr->truth, "%s", args_key(st, "truth")->v.str);
        snprintf(lr->null, sizeof lr->null, "%s", args_key(st, "null")->v.str);
        snprintf(lr->alt, sizeof lr->alt, "%s", args_key(st, "alt")->v.str);
        int stopped; /* Ctrl-C keeps the replicates finished */
        rc = session_drive_keeping(s, &job, &stopped);
        if (rc == SS_OK)
            rc = llr_iter_take(it, stopped, &r);
    }
    llr_iter_free(it);
    if (args_seed_end(s, saved, rc) != SS_OK) {
        if (ss_last_error()->col == 0)
            ss_error_set_col(error_col(st));
        return rc;
    }
    r->exp = eo;
    snprintf(r->truth, sizeof r->truth, "%s", args_key(st, "truth")->v.str);
    snprintf(r->null, sizeof r->null, "%s", args_key(st, "null")->v.str);
    snprintf(r->alt, sizeof r->alt, "%s", args_key(st, "alt")->v.str);
    obj_llr.print(s, st->as_name, r);
    /* the experiment as it is (the seed drawn, no threads=), for `list`
     * and exports: a merge of its shards records the same */
    char origin[EXP_COMMAND_MAX + OBJ_NAME_MAX + 8];
    snprintf(origin, sizeof origin, "%s as %s", eo.command, st->as_name);
    return session_put(s, st->as_name, &obj_llr, r, origin);
}

/* `spectrum NET widths=[M1,M2,...] [nets=K] [seed=S] [threads=K] as SPEC`:
 * the spectrum statistics of K random networks at each width against the
 * width, with fitted log-log slopes (fim/wide_sweep.h), stored as
 * obj_spectrum_sweep. cmd_spectrum hands over when widths= is given; the
 * command only reads its options. */
#include "lang/args.h"
#include "lang/commands.h"

#include "core/rng.h"
#include "fim/wide_sweep.h"
#include "model/model.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* The keys the sweep understands; any other option of spectrum is refused
 * with widths= rather than silently ignored. */
static const char *const sweep_keys[] = {"widths", "nets", "seed",
                                         "threads", NULL};

ss_status cmd_spectrum_sweep(session *s, const ss_stmt *st)
{
    ss_status rc = args_check_opts(st, 1, 1);
    const char *name;
    model *m;
    if (rc == SS_OK)
        rc = args_model(s, st, &name, &m);
    for (size_t i = 0; rc == SS_OK && i < st->nargs; i++) {
        const ss_stmt_arg *a = &st->args[i];
        if (!a->key)
            continue;
        int ok = 0;
        for (size_t k = 0; sweep_keys[k]; k++)
            ok |= strcmp(a->key, sweep_keys[k]) == 0;
        if (!ok)
            rc = SS_FAIL_COL(SS_ERR_USAGE, a->key_col,
                             "spectrum: %s= does not go with widths= (the "
                             "width sweep covers the plain spectrum only)",
                             a->key);
    }
    uint64_t nets = 0, threads = 0;
    if (rc == SS_OK)
        rc = args_count(st, "nets", &nets);
    if (rc == SS_OK)
        rc = args_count(st, "threads", &threads);
    if (rc != SS_OK)
        return rc;
    const ss_stmt_arg *wa = args_key(st, "widths");
    size_t nw = wa->v.kind == VAL_VEC ? wa->v.n : 1;
    if (nw > WSW_WIDTHS_MAX)
        return SS_FAIL_COL(SS_ERR_LIMIT, wa->v.col,
                           "spectrum: widths= takes at most %d widths, got "
                           "%zu",
                           WSW_WIDTHS_MAX, nw);
    size_t widths[WSW_WIDTHS_MAX];
    for (size_t i = 0; i < nw; i++)
        widths[i] = (size_t)(wa->v.kind == VAL_VEC ? wa->v.vec[i]
                                                   : wa->v.num);
    wsw_request req = {.widths = widths, .nw = nw, .nets = (size_t)nets,
                       .threads = (unsigned)threads, .tick = session_tick,
                       .tick_ctx = s};
    /* the model's fault (at its name), or the list's (at widths=) */
    if ((rc = wsw_check_model(m)) != SS_OK) {
        ss_error_set_col(args_pos(st, 0)->v.col);
        return rc;
    }
    if ((rc = wsw_check(m, &req)) != SS_OK) {
        ss_error_set_col(wa->v.col);
        return rc;
    }
    gsl_rng *saved;
    if ((rc = args_seed_begin(s, st, &req.seed, &saved)) != SS_OK)
        return rc;
    wsw_result *r = NULL;
    if ((rc = args_seed_end(s, saved, wsw_run(m, &req, &r))) != SS_OK)
        return rc;
    snprintf(r->model, sizeof r->model, "%s", name);
    for (size_t i = 0; i < r->nw; i++)
        snprintf(r->at[i]->model, sizeof r->at[i]->model, "%s", name);
    obj_spectrum_sweep.print(s, st->as_name, r);
    char origin[160];
    args_origin(st, origin, sizeof origin);
    return session_put(s, st->as_name, &obj_spectrum_sweep, r, origin);
}

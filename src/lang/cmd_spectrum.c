/* `spectrum NET [nets=K] [seed=S] [threads=K] [centre=none|output]
 * [metric=params|input|hL] as SPEC`: the FIM eigenvalue
 * statistics of K random networks of a dnn model's architecture beside
 * their mean-field prediction (fim/wide_spectrum.h), stored as a spectrum
 * (obj_spectrum). The command only reads its options. */
#include "lang/args.h"
#include "lang/commands.h"

#include "core/rng.h"
#include "fim/wide_spectrum.h"
#include "model/model.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* centre= and metric= as a variant (the words were checked against the
 * option table). */
static ss_status read_variant(const ss_stmt *st, ws_variant *v)
{
    const char *w = NULL;
    memset(v, 0, sizeof *v);
    ss_status rc = args_word(st, "centre", &w);
    if (rc == SS_OK)
        v->centre = w && strcmp(w, "output") == 0;
    if (rc == SS_OK)
        rc = args_word(st, "metric", &w);
    if (rc == SS_OK && w && strcmp(w, "params") != 0) {
        v->metric = 1;
        v->metric_layer = w[0] == 'h' ? (size_t)strtoul(w + 1, NULL, 10) : 0;
    }
    return rc;
}

ss_status cmd_spectrum(session *s, const ss_stmt *st)
{
    if (args_key(st, "widths")) /* the width sweep */
        return cmd_spectrum_sweep(s, st);
    ss_status rc = args_check_opts(st, 1, 1);
    const char *name;
    model *m;
    if (rc == SS_OK)
        rc = args_model(s, st, &name, &m);
    uint64_t nets = 0, threads = 0;
    if (rc == SS_OK)
        rc = args_count(st, "nets", &nets);
    if (rc == SS_OK)
        rc = args_count(st, "threads", &threads);
    ws_variant v;
    if (rc == SS_OK)
        rc = read_variant(st, &v);
    if (rc == SS_OK && (rc = ws_check_v(m, &v)) != SS_OK) {
        /* a bad variant points at its option, anything else at the model */
        int col = args_col_in_msg(st, ss_last_error()->msg);
        ss_error_set_col(col ? col : args_pos(st, 0)->v.col);
    }
    if (rc != SS_OK)
        return rc;
    ws_request req = {.nets = (size_t)nets, .threads = (unsigned)threads,
                      .v = v, .tick = session_tick, .tick_ctx = s};
    gsl_rng *saved;
    if ((rc = args_seed_begin(s, st, &req.seed, &saved)) != SS_OK)
        return rc;
    ws_result *r = NULL;
    if ((rc = args_seed_end(s, saved, ws_run(m, &req, &r))) != SS_OK)
        return rc;
    snprintf(r->model, sizeof r->model, "%s", name);
    obj_spectrum.print(s, st->as_name, r);
    char origin[160];
    args_origin(st, origin, sizeof origin);
    return session_put(s, st->as_name, &obj_spectrum, r, origin);
}

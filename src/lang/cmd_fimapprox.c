/* `fimapprox NET [kinds=[..]] [top=K] [n=N] [labels=model|teacher]
 * [seed=S] as A`: the diagonal, layer-block, K-FAC and empirical Fisher
 * approximations of a small dnn or mlp2 model's FIM measured against the
 * exact FIM (fim/fim_approx.h), stored as obj_fimapprox. The command only
 * reads its options. */
#include "lang/args.h"
#include "lang/commands.h"

#include "core/rng.h"
#include "fim/fim_approx.h"
#include "model/model.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

ss_status cmd_fimapprox(session *s, const ss_stmt *st)
{
    ss_status rc = args_check_opts(st, 1, 1);
    const char *name;
    model *m;
    if (rc == SS_OK)
        rc = args_model(s, st, &name, &m);
    uint64_t top = 0, n = 0;
    const char *labels = NULL;
    if (rc == SS_OK)
        rc = args_count(st, "top", &top);
    if (rc == SS_OK)
        rc = args_count(st, "n", &n);
    if (rc == SS_OK)
        rc = args_word(st, "labels", &labels);
    if (rc != SS_OK)
        return rc;
    fa_request req = {.top = (size_t)top, .n = (size_t)n,
                      .labels = strcmp(labels, "teacher") == 0
                                    ? FA_LABELS_TEACHER
                                    : FA_LABELS_MODEL};
    const ss_stmt_arg *ka = args_key(st, "kinds");
    if (!ka) {
        req.kinds = (1u << FA_DIAG) | (1u << FA_BLOCK) | (1u << FA_KFAC) |
                    (1u << FA_EMPIRICAL);
    } else {
        size_t nk = ka->v.kind == VAL_NAMES ? ka->v.n : 1;
        for (size_t i = 0; i < nk; i++) {
            const char *w = ka->v.kind == VAL_NAMES ? ka->v.names[i]
                                                    : ka->v.str;
            for (size_t k = 1; k < FA_NKIND; k++)
                if (strcmp(w, fa_kind_name(k)) == 0) {
                    if (req.kinds & (1u << k))
                        return SS_FAIL_COL(SS_ERR_USAGE, ka->v.col,
                                           "kinds= lists %s twice", w);
                    req.kinds |= 1u << k;
                }
        }
    }
    if ((rc = fa_check(m)) != SS_OK) {
        ss_error_set_col(args_pos(st, 0)->v.col);
        return rc;
    }
    gsl_rng *saved;
    if ((rc = args_seed_begin(s, st, &req.seed, &saved)) != SS_OK)
        return rc;
    fa_result *r = NULL;
    if ((rc = args_seed_end(s, saved, fa_run(m, &req, &r))) != SS_OK)
        return rc;
    snprintf(r->model, sizeof r->model, "%s", name);
    obj_fimapprox.print(s, st->as_name, r);
    char org[160];
    args_origin(st, org, sizeof org);
    return session_put(s, st->as_name, &obj_fimapprox, r, org);
}

/* `prior MODEL p=uniform(a,b)|normal(m,s)|beta(a,b) ...` sets priors, and
 * `prior MODEL p ...` removes them (bayes/prior.h). Every argument is
 * checked on a copy first, so an error changes nothing. */
#include "lang/args.h"
#include "lang/commands.h"

#include "bayes/prior.h"
#include "model/model.h"

#include <stdio.h>
#include <string.h>

ss_status cmd_prior(session *s, const ss_stmt *st)
{
    const char *name;
    model *m;
    ss_status rc = args_model(s, st, &name, &m);
    if (rc != SS_OK)
        return rc;
    if (st->nargs < 2)
        return SS_FAIL_COL(SS_ERR_USAGE, st->verb_col,
                           "prior needs a parameter: p=normal(m,s), "
                           "p=uniform(a,b) or p=beta(a,b) sets its prior, a "
                           "bare p removes it");
    model *c = model_clone(m);
    if (!c)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    for (size_t k = 1; k < st->nargs && rc == SS_OK; k++) {
        const ss_stmt_arg *a = &st->args[k];
        const char *pname = a->key ? a->key : a->v.str;
        int col = a->key ? a->key_col : a->v.col;
        if (!a->key && a->v.kind != VAL_IDENT) {
            rc = SS_FAIL_COL(SS_ERR_USAGE, a->v.col,
                             "prior takes p=normal(m,s) or a parameter "
                             "name, not a %s", val_kind_name(a->v.kind));
            break;
        }
        if (a->key && a->v.kind != VAL_CALL) {
            rc = SS_FAIL_COL(SS_ERR_USAGE, a->v.col,
                             "prior %s= takes uniform(a,b), normal(m,s) or "
                             "beta(a,b), not a %s",
                             a->key, val_kind_name(a->v.kind));
            break;
        }
        size_t i;
        rc = model_param_lookup(c, pname, &i);
        if (rc != SS_OK) {
            ss_error_set_col(col);
            break;
        }
        if (!a->key) {
            rc = model_set_prior(c, i, PRIOR_NONE, 0, 0);
            continue;
        }
        model_prior p;
        rc = prior_make(a->v.str, a->v.vec, a->v.n, &p);
        if (rc == SS_OK)
            rc = prior_check(c, i, &p);
        if (rc == SS_OK)
            rc = model_set_prior(c, i, p.kind, p.a, p.b);
        if (rc != SS_OK)
            ss_error_set_col(a->v.col);
    }
    if (rc == SS_OK) { /* every argument held: the model takes the copy's */
        for (size_t i = 0; i < m->P; i++) {
            const model_prior *p = model_prior_of(c, i);
            rc = model_set_prior(m, i, p ? p->kind : PRIOR_NONE,
                                 p ? p->a : 0, p ? p->b : 0);
            if (rc != SS_OK)
                break;
        }
        snprintf(s->current, sizeof s->current, "%s", name);
    }
    model_free(c);
    return rc;
}

/* `plateaus RUN [tol=T] [span=D] [loss=gen|train]`: the plateaus of a
 * learning run by the rule of learn/plateau.h, as a table. */
#include "lang/args.h"
#include "lang/commands.h"
#include "lang/results.h"

#include "learn/plateau.h"

#include <stdlib.h>
#include <string.h>

ss_status cmd_plateaus(session *s, const ss_stmt *st)
{
    ss_status rc = args_check_opts(st, 1, 1);
    const char *name;
    learn_run *r = NULL;
    if (rc == SS_OK)
        rc = args_name(st, 0, "a learning run", &name);
    if (rc == SS_OK)
        rc = session_get(s, name, &obj_run, args_pos(st, 0)->v.col,
                         (void **)&r);
    learn_plateau_opts o;
    learn_plateau_opts_init(&o);
    const char *loss = NULL;
    if (rc == SS_OK)
        rc = args_real(st, "tol", &o.tol);
    if (rc == SS_OK)
        rc = args_real(st, "span", &o.span);
    if (rc == SS_OK)
        rc = args_word(st, "loss", &loss);
    if (rc != SS_OK)
        return rc;
    if (args_key(st, "loss"))
        o.loss = strcmp(loss, "train") == 0;
    const char *lname = NULL;
    if (!learn_plateau_loss(r, o.loss, &lname)) {
        const ss_stmt_arg *a = args_key(st, "loss");
        return SS_FAIL_COL(SS_ERR_USAGE, a ? a->v.col : args_pos(st, 0)->v.col,
                           "run %s recorded no %s", name,
                           lname ? lname : "loss");
    }
    learn_plateau *pl;
    size_t n;
    if ((rc = learn_plateaus(r, &o, &pl, &n)) != SS_OK)
        return rc;
    if (!s->csv) {
        if (n)
            session_printf(s, "%s: %zu plateau%s of the %s (ln L falls by "
                              "less than %g a decade of time for at least "
                              "%g decades):\n",
                           name, n, n == 1 ? "" : "s", lname, o.tol, o.span);
        else
            session_printf(s, "%s: no plateau of the %s (nowhere does ln L "
                              "fall by less than %g a decade of time for %g "
                              "decades or more)\n",
                           name, lname, o.tol, o.span);
    }
    if (n || s->csv)
        obj_run_print_plateaus(s, r, pl, n);
    free(pl);
    return SS_OK;
}

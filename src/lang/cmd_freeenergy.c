/* `freeenergy MODEL data=D ...`: F_n by thermodynamic integration over a β
 * ladder, WBIC and λ̂ two ways (bayes/ladder.h), stored as a free-energy
 * ladder (obj_freeenergy). The command only reads its options. */
#include "lang/args.h"
#include "lang/commands.h"

#include "bayes/ladder.h"
#include "core/rng.h"
#include "model/model.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

ss_status cmd_freeenergy(session *s, const ss_stmt *st)
{
    mcmc_args ma;
    ss_status rc = mcmc_args_read(s, st, &obj_freeenergy, "ladder", &ma);
    uint64_t K = 0;
    if (rc == SS_OK)
        rc = args_count(st, "betas", &K);
    if (rc != SS_OK)
        return rc;
    const char *name = ma.name;
    model *m = ma.m;
    dataset *d = ma.d;
    fe_spec sp = {.K = (size_t)K, .samples = (size_t)ma.samples,
                  .chains = (size_t)ma.chains, .burnin = (size_t)ma.burnin,
                  .sampler = ma.mala ? POST_MALA : POST_RWM,
                  .threads = (unsigned)ma.threads};
    gsl_rng *saved;
    if ((rc = args_seed_begin(s, st, &sp.seed, &saved)) != SS_OK)
        return rc;
    fe_iter *it = NULL;
    fe_result *r = NULL;
    rc = fe_iter_alloc(m, d->X, &sp, &it);
    if (rc == SS_OK) {
        session_job job = {{&fe_iter_type, it}, "freeenergy", NULL, NULL,
                           st->as_name};
        rc = session_drive(s, &job);
        if (rc == SS_OK)
            rc = fe_iter_take(it, &r);
    }
    fe_iter_free(it);
    if (args_seed_end(s, saved, rc) != SS_OK) {
        if (ss_last_error()->col == 0)
            ss_error_set_col(mcmc_error_col(st));
        return rc;
    }
    snprintf(r->model, sizeof r->model, "%s", name);
    snprintf(r->data, sizeof r->data, "%s", args_key(st, "data")->v.str);
    obj_freeenergy.print(s, st->as_name, r);
    char origin[160];
    args_origin(st, origin, sizeof origin);
    return session_put(s, st->as_name, &obj_freeenergy, r, origin);
}

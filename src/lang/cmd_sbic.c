/* `sbic models=[g1,g2,...] data=D`: each nested gmm model fitted by
 * maximum likelihood (infer/fit.h, as `fit`), then BIC and the singular
 * BIC of Drton & Plummer (bayes/sbic.h) side by side, stored as an sBIC
 * report (obj_sbic). The command reads its options, checks the models
 * are a nested gmm family, fits and hands the numbers to bayes/sbic. */
#include "lang/args.h"
#include "lang/commands.h"

#include "bayes/sbic.h"
#include "infer/fit.h"
#include "model/gmm_k.h"
#include "model/model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The known s of a gmm model (its option s). */
static double known_s(const model *m)
{
    int o = model_opt_index(m->type, "s");
    return o >= 0 ? m->opt[o] : NAN;
}

/* Whether m is a gmm with s known and every parameter free; *K its
 * components. Records why not, at col. */
static ss_status check_model(const model *m, const char *name, int col,
                             size_t *K)
{
    if (m->type != model_gmm)
        return SS_FAIL_COL(SS_ERR_USAGE, col,
                           "sbic takes gmm models only: %s is a %s model",
                           name, m->type->name);
    gmm_layout L = gmm_layout_of(m);
    if (L.sfree)
        return SS_FAIL_COL(SS_ERR_USAGE, col,
                           "sbic needs gmm with a known s: %s has s=free "
                           "(its learning coefficients differ)",
                           name);
    for (size_t i = 0; i < m->P; i++)
        if (!m->is_free[i])
            return SS_FAIL_COL(SS_ERR_USAGE, col,
                               "sbic needs every parameter free (the full "
                               "K-component mixture): %s has %s fixed "
                               "(`free %s %s`)",
                               name, MODEL_PNAME(m, i), name,
                               MODEL_PNAME(m, i));
    *K = L.K;
    return SS_OK;
}

ss_status cmd_sbic(session *s, const ss_stmt *st)
{
    ss_status rc = args_check_opts(st, 0, 0);
    const char *store = st->as_name ? st->as_name : "sbic";
    if (rc == SS_OK)
        rc = session_check_name(s, store, &obj_sbic, st->verb_col);
    uint64_t starts = 0, seed = 0, maxiter = 0;
    if (rc == SS_OK)
        rc = args_count(st, "starts", &starts);
    if (rc == SS_OK)
        rc = args_count(st, "seed", &seed);
    if (rc == SS_OK)
        rc = args_count(st, "maxiter", &maxiter);
    if (rc != SS_OK)
        return rc;
    const ss_stmt_arg *ma = args_key(st, "models"), *da = args_key(st, "data");
    size_t M = ma->v.kind == VAL_NAMES ? ma->v.n : 1;
    if (M < 2)
        return SS_FAIL_COL(SS_ERR_USAGE, ma->v.col,
                           "sbic needs at least 2 models to compare: "
                           "models=[g1, g2, ...] with K = 1, 2, ...");
    if (M > SBIC_MODELS_MAX)
        return SS_FAIL_COL(SS_ERR_LIMIT, ma->v.col,
                           "sbic takes at most %d models, got %zu",
                           SBIC_MODELS_MAX, M);
    const char *names[SBIC_MODELS_MAX];
    const model *models[SBIC_MODELS_MAX];
    size_t K[SBIC_MODELS_MAX];
    for (size_t i = 0; i < M; i++) {
        names[i] = ma->v.names[i];
        for (size_t j = 0; j < i; j++)
            if (strcmp(names[i], names[j]) == 0)
                return SS_FAIL_COL(SS_ERR_USAGE, ma->v.col,
                                   "models= names %s twice", names[i]);
        model *m;
        if ((rc = session_get(s, names[i], &obj_model, ma->v.col,
                              (void **)&m)) != SS_OK)
            return rc;
        if ((rc = check_model(m, names[i], ma->v.col, &K[i])) != SS_OK)
            return rc;
        models[i] = m;
        if (i > 0 && K[i] <= K[i - 1])
            return SS_FAIL_COL(SS_ERR_USAGE, ma->v.col,
                               "sbic needs nested models in increasing K: "
                               "%s has K = %zu after %s with K = %zu",
                               names[i], K[i], names[i - 1], K[i - 1]);
        if (i > 0 && known_s(m) != known_s(models[0]))
            return SS_FAIL_COL(SS_ERR_USAGE, ma->v.col,
                               "sbic needs the same known s in every model "
                               "(nested): %s has s = %g, %s s = %g",
                               names[i], known_s(m), names[0],
                               known_s(models[0]));
    }
    dataset *d;
    if ((rc = session_get(s, da->v.str, &obj_data, da->v.col, (void **)&d)) !=
        SS_OK)
        return rc;
    if (d->X->size2 != 1)
        return SS_FAIL_COL(SS_ERR_USAGE, da->v.col,
                           "sbic: gmm data have 1 column, %s has %zu",
                           da->v.str, d->X->size2);
    if (d->X->size1 < 2)
        return SS_FAIL_COL(SS_ERR_USAGE, da->v.col,
                           "sbic needs at least 2 observations, %s has %zu",
                           da->v.str, d->X->size1);
    sbic_report *r = calloc(1, sizeof *r);
    if (!r)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    double ll[SBIC_MODELS_MAX];
    fit_spec sp = {.starts = (size_t)starts, .seed = seed,
                   .maxiter = (size_t)maxiter};
    for (size_t i = 0; i < M && rc == SS_OK; i++) {
        fit_iter *it = NULL;
        fit_result *f = NULL;
        rc = fit_iter_alloc(models[i], d->X, &sp, &it);
        if (rc == SS_OK) {
            /* a start a step; Ctrl-C stops the command (nothing stored) */
            session_job job = {{&fit_iter_type, it}, "sbic fit", NULL, NULL,
                               store};
            rc = session_drive(s, &job);
            if (rc == SS_OK)
                rc = fit_iter_take(it, 0, &f);
        }
        fit_iter_free(it);
        if (rc == SS_OK) {
            ll[i] = f->loglik;
            r->converged[i] = f->converged;
            snprintf(r->names[i], sizeof r->names[i], "%s", names[i]);
        } else if (ss_last_error()->col == 0) {
            ss_error_set_col(ma->v.col);
        }
        fit_result_free(f);
    }
    if (rc == SS_OK)
        rc = sbic_gmm_report(M, K, ll, d->X->size1, known_s(models[0]), r);
    if (rc != SS_OK) {
        free(r);
        if (ss_last_error()->col == 0)
            ss_error_set_col(st->verb_col);
        return rc;
    }
    snprintf(r->data, sizeof r->data, "%s", da->v.str);
    obj_sbic.print(s, store, r);
    char origin[160];
    args_origin(st, origin, sizeof origin);
    return session_put(s, store, &obj_sbic, r, origin);
}

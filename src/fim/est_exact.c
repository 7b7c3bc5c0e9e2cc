/* The exact FIM: the family's own route (closed form or quadrature), over
 * the free parameters. The P x P matrix the family fills lives in the
 * workspace, so evaluating at many points allocates nothing unless a root
 * factor is asked for. */
#include "fim/fim_int.h"

#include <stdlib.h>

static ss_status exact_check(const model *m, const fim_request *req)
{
    (void)req;
    if (!m->type->fim_exact)
        return SS_FAIL(SS_ERR_USAGE,
                       "%s has no exact FIM; use method=mc n=N",
                       m->type->name);
    return SS_OK;
}

static ss_status exact_ws_alloc(const model *m, void **scratch)
{
    *scratch = gsl_matrix_alloc(m->P, m->P);
    return *scratch ? SS_OK : SS_FAIL(SS_ERR_NOMEM, "out of memory");
}

static void exact_ws_free(void *scratch) { gsl_matrix_free(scratch); }

static ss_status exact_start(void *scratch, const model *m,
                             const fim_request *req, fim_result *f,
                             void **state)
{
    *state = NULL;
    gsl_matrix *G = scratch, *root = NULL;
    ss_gsl_clear();
    ss_status st = m->type->fim_exact(m, m->theta, G,
                                      req->no_root ? NULL : &root);
    /* success is the family's return code; a GSL message only words the
     * failure of a G that came out non-finite */
    if (st == SS_OK && !fim_all_finite(G))
        st = SS_FAIL(SS_ERR_NUMERIC,
                     "exact FIM of %s is not finite here%s%s (an overflow "
                     "at extreme parameter values: rescale them, or try "
                     "method=mc)",
                     m->type->name, ss_gsl_last() ? ": " : "",
                     ss_gsl_last() ? ss_gsl_last() : "");
    if (st == SS_OK) {
        for (size_t a = 0; a < f->k; a++)
            for (size_t b = 0; b < f->k; b++)
                gsl_matrix_set(f->G, a, b,
                               gsl_matrix_get(G, f->idx[a], f->idx[b]));
        if (root) {
            f->root = gsl_matrix_alloc(root->size1, f->k);
            if (!f->root)
                st = SS_FAIL(SS_ERR_NOMEM, "out of memory");
            for (size_t a = 0; st == SS_OK && a < f->k; a++) {
                gsl_vector_view c = gsl_matrix_column(root, f->idx[a]);
                gsl_matrix_set_col(f->root, a, &c.vector);
            }
        }
    }
    if (root)
        gsl_matrix_free(root);
    return st;
}

const fim_estimator fim_est_exact = {
    .name = "exact",
    .label = "exact FIM (expected, per observation)",
    .help = "the expectation E[s s^T] by the family's closed form or "
            "quadrature",
    .method = FIM_EXACT,
    .needs = 0,
    .props = FIM_PROP_PSD | FIM_PROP_ROOT,
    .check = exact_check,
    .ws_alloc = exact_ws_alloc,
    .ws_free = exact_ws_free,
    .start = exact_start,
};

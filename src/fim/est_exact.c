/* The exact FIM and its block-diagonal approximation: the family's own
 * route (closed form or quadrature), over the free parameters. The P x P matrix the family fills lives in the
 * workspace, so evaluating at many points allocates nothing unless a root
 * factor is asked for. */
#include "fim/fim_int.h"

#include <stdlib.h>
#include <string.h>

/* A family with a Gram route (model_type.fim_gram) gives the N x N dual
 * when asked (form=gram), or by default when N is below the number of
 * free parameters or the k x k G could not be formed. */
static size_t free_count(const model *m)
{
    size_t k = 0;
    for (size_t i = 0; i < m->P; i++)
        k += m->is_free[i] != 0;
    return k;
}

static fim_form exact_form(const model *m, const fim_request *req)
{
    if (!m->type->fim_gram)
        return FIM_FORM_DENSE;
    if (req->form == FIM_WANT_GRAM)
        return FIM_FORM_GRAM;
    if (req->form == FIM_WANT_AUTO &&
        (m->type->fim_gram_rows(m) < free_count(m) || m->P > FIM_DENSE_MAX))
        return FIM_FORM_GRAM;
    return FIM_FORM_DENSE;
}

static ss_status exact_check(const model *m, const fim_request *req)
{
    if (!m->type->fim_exact && !m->type->fim_gram)
        return SS_FAIL(SS_ERR_USAGE,
                       "%s has no exact FIM; use method=mc n=N",
                       m->type->name);
    if (exact_form(m, req) == FIM_FORM_GRAM) {
        double N = (double)m->type->fim_gram_rows(m);
        if (16.0 * N * N > (double)FIM_GRAM_BYTES_MAX)
            return SS_FAIL(SS_ERR_LIMIT,
                           "the exact FIM's Gram dual of %s is %.0f x %.0f "
                           "(%.3g GB with its workspace, more than the "
                           "%.3g GB allowed): use fewer inputs or outputs",
                           m->type->name, N, N, 16e-9 * N * N,
                           (double)FIM_GRAM_BYTES_MAX / 1e9);
    } else if (!m->type->fim_exact || m->P > FIM_DENSE_MAX) {
        return SS_FAIL(SS_ERR_LIMIT,
                       "the dense exact FIM of %s would be %zu x %zu "
                       "(%.3g GB; at most %d parameters are formed densely): "
                       "use form=auto or form=gram, whose %zu x %zu dual "
                       "has the same non-zero eigenvalues (eig)",
                       m->type->name, m->P, m->P,
                       8e-9 * (double)m->P * (double)m->P, FIM_DENSE_MAX,
                       m->type->fim_gram_rows(m), m->type->fim_gram_rows(m));
    }
    return SS_OK;
}

static ss_status exact_ws_alloc(const model *m, void **scratch)
{
    /* a family with a Gram route may be too large for P x P: the matrix
     * is then not allocated and only the Gram form is computed */
    *scratch = NULL;
    if (m->type->fim_gram && (m->P > FIM_DENSE_MAX || !m->type->fim_exact))
        return SS_OK;
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
    if (exact_form(m, req) == FIM_FORM_GRAM) {
        double scale = 1;
        ss_status gs = m->type->fim_gram(m, m->theta, &f->K, &scale);
        if (gs == SS_OK) {
            f->gram_scale = scale;
            f->n = f->K->size1; /* its rows: input x output pairs */
            f->form = FIM_FORM_GRAM;
        }
        return gs;
    }
    if (!G)
        return SS_FAIL(SS_ERR_LIMIT, "the dense exact FIM of %s (%zu "
                                     "parameters) is not formed",
                       m->type->name, m->P);
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
    f->form = f->root ? FIM_FORM_ROOT : FIM_FORM_DENSE;
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
    .form = exact_form,
    .ws_alloc = exact_ws_alloc,
    .ws_free = exact_ws_free,
    .start = exact_start,
};

/* ---- block ---------------------------------------------------------------- */

/* The block-diagonal approximation of the exact FIM: the exact FIM with
 * the entries between the family's parameter blocks (model_type.fim_block:
 * for mlp2 one block per hidden unit, (w1, J1) and (w2, J2)) dropped, as
 * layer-wise and block natural-gradient methods and "reduced" population
 * FIMs use it. A family that declares no blocks has one: the result is
 * then the exact FIM itself. Each block keeps its columns of the exact
 * root factor when there is one (G_bb = R_b^T R_b), so its spectrum comes
 * from an SVD as the exact one does. */

/* The block of free parameter a (0 when the family declares none). */
static size_t block_of(const model *m, const fim_result *f, size_t a)
{
    return m->type->fim_block ? m->type->fim_block(m, f->idx[a]) : 0;
}

static int by_id(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

/* Split f (G k x k, root N x k or NULL, from the exact route) into its
 * blocks, in the order of the family's block numbers (blocks without a
 * free parameter are left out); G keeps the blocks with zeros between
 * them, the whole root is dropped. */
static ss_status split(const model *m, fim_result *f)
{
    size_t k = f->k;
    size_t *id = malloc((k ? k : 1) * sizeof *id);
    size_t *seen = malloc((k ? k : 1) * sizeof *seen);
    size_t nb = 0;
    ss_status st = id && seen ? SS_OK : SS_FAIL(SS_ERR_NOMEM, "out of memory");
    for (size_t a = 0; st == SS_OK && a < k; a++) {
        size_t b = block_of(m, f, a), j;
        for (j = 0; j < nb && seen[j] != b; j++)
            ;
        if (j == nb)
            seen[nb++] = b;
    }
    if (st == SS_OK)
        qsort(seen, nb, sizeof *seen, by_id);
    for (size_t a = 0; st == SS_OK && a < k; a++) {
        size_t b = block_of(m, f, a), j;
        for (j = 0; seen[j] != b; j++)
            ;
        id[a] = j;
    }
    if (st == SS_OK && nb && !(f->blocks = calloc(nb, sizeof *f->blocks)))
        st = SS_FAIL(SS_ERR_NOMEM, "out of memory");
    if (st == SS_OK)
        f->nblocks = nb;
    for (size_t j = 0; st == SS_OK && j < nb; j++) {
        fim_block *bl = &f->blocks[j];
        for (size_t a = 0; a < k; a++)
            bl->n += id[a] == j;
        bl->pos = malloc(bl->n * sizeof *bl->pos);
        bl->G = gsl_matrix_alloc(bl->n, bl->n);
        if (f->root)
            bl->root = gsl_matrix_alloc(f->root->size1, bl->n);
        if (!bl->pos || !bl->G || (f->root && !bl->root)) {
            st = SS_FAIL(SS_ERR_NOMEM, "out of memory");
            break;
        }
        size_t c = 0;
        for (size_t a = 0; a < k; a++)
            if (id[a] == j)
                bl->pos[c++] = a;
        for (size_t r = 0; r < bl->n; r++) {
            for (size_t q = 0; q < bl->n; q++)
                gsl_matrix_set(bl->G, r, q,
                               gsl_matrix_get(f->G, bl->pos[r], bl->pos[q]));
            if (bl->root) {
                gsl_vector_view col = gsl_matrix_column(f->root, bl->pos[r]);
                gsl_matrix_set_col(bl->root, r, &col.vector);
            }
        }
    }
    for (size_t a = 0; st == SS_OK && a < k; a++)
        for (size_t b = 0; b < k; b++)
            if (id[a] != id[b])
                gsl_matrix_set(f->G, a, b, 0.0);
    if (st == SS_OK && f->root) {
        gsl_matrix_free(f->root);
        f->root = NULL;
    }
    free(id);
    free(seen);
    return st;
}

static ss_status block_start(void *scratch, const model *m,
                             const fim_request *req, fim_result *f,
                             void **state)
{
    ss_status st = exact_start(scratch, m, req, f, state);
    if (st == SS_OK)
        st = split(m, f);
    f->form = FIM_FORM_BLOCK;
    return st;
}

static fim_form block_form(const model *m, const fim_request *req)
{
    (void)m;
    (void)req;
    return FIM_FORM_BLOCK;
}

const fim_estimator fim_est_block = {
    .name = "block",
    .label = "exact FIM, block-diagonal approximation",
    .help = "the exact FIM with the entries between the family's parameter "
            "blocks dropped (mlp2: one block per hidden unit; a family "
            "without blocks: the exact FIM)",
    .method = FIM_BLOCK,
    .needs = 0,
    .props = FIM_PROP_PSD | FIM_PROP_ROOT | FIM_PROP_BLOCK,
    .check = exact_check,
    .form = block_form,
    .ws_alloc = exact_ws_alloc,
    .ws_free = exact_ws_free,
    .start = block_start,
};

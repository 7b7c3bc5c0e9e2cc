/* Approximations of the Fisher information measured against the exact FIM
 * on the same network (docs/theory.md, "FIM approximations"):
 *
 *   diag       the diagonal of F
 *   block      F with the entries between layers dropped (a layer's weights
 *              and biases are one block)
 *   kfac       per layer the Kronecker product G_l (x) A_l of the output-
 *              gradient second moment G_l = E[sum_cc' Q_cc' d_c d_c'^T] and
 *              the input second moment A_l = E[a a^T], a = (h^{l-1}, 1),
 *              expectations taken separately (Martens & Grosse 2015)
 *   empirical  (1/n) sum_i s_i s_i^T over n observations whose labels are
 *              drawn from the model itself (E = F) or from a fixed teacher
 *
 * on dnn models small enough for the P x P matrices (P <= FA_P_MAX) and on
 * mlp2 (the two-unit toy, its exact FIM from the family: two "layers",
 * the output weights (w1, w2) and the input weights (J1, J2)). Pure
 * numerics on GSL; every parameter must be free. */
#ifndef SS_FIM_APPROX_H
#define SS_FIM_APPROX_H

#include "core/status.h"
#include "model/model.h"

#include <gsl/gsl_matrix.h>
#include <stddef.h>
#include <stdint.h>

/* The largest P: five dense P x P matrices and their eigenvalues. */
#define FA_P_MAX 1000
#define FA_TOP_DEFAULT 3
#define FA_N_DEFAULT 10000
#define FA_N_MAX 1000000
#define FA_LAYERS_MAX 17

enum { FA_EXACT, FA_DIAG, FA_BLOCK, FA_KFAC, FA_EMPIRICAL, FA_NKIND };
enum { FA_LABELS_MODEL, FA_LABELS_TEACHER };

/* "exact", "diag", "block", "kfac", "empirical"; NULL past the end. */
const char *fa_kind_name(size_t i);
/* The kinds a user can ask for (kinds=): diag..empirical; NULL past. */
const char *fa_kind_choice(size_t i);
/* "model", "teacher"; NULL past the end. */
const char *fa_labels_name(size_t i);

typedef struct {
    unsigned kinds;   /* bit FA_DIAG.. set: computed (exact always) */
    size_t top;       /* k: the top eigenpairs compared (capped at P) */
    size_t n;         /* observations of the empirical Fisher */
    int labels;       /* FA_LABELS_* */
    uint64_t seed;    /* labels (substream 0), teacher (substream 1) */
} fa_request;

/* One approximation A against the exact F (top-k eigenpairs
 * (lambda_i, v_i) of F, eigenvalues mu of A, both descending):
 * eig_err = |mu_1..k - lambda_1..k| / |lambda_1..k|,
 * qf_err = |(v_i^T A v_i - lambda_i)_i| / |lambda_1..k|,
 * frob_err = |A - F|_F / |F|_F (Euclidean norms). */
typedef struct {
    int present;      /* computed */
    double lambda_max, lambda_min, trace;
    size_t rank;      /* eigenvalues above 1e-10 lambda_max */
    double eig_err, qf_err, frob_err;
    char note[160];   /* why it is absent, or "" */
} fa_row;

typedef struct {
    size_t P, top, n;
    int labels;
    uint64_t seed;
    int is_mlp2;
    /* dnn: the rank the T inputs allow, T C (softmax: T (C - 1)), and T, C;
     * mlp2: P, 0, 0 */
    size_t rank_bound, T, C;
    size_t nlayers;
    size_t layer_first[FA_LAYERS_MAX], layer_size[FA_LAYERS_MAX];
    char layer_name[FA_LAYERS_MAX][16];
    fa_row row[FA_NKIND];
    char model[64];   /* the source's name (caller sets) */
} fa_result;

/* The layers of m (parameter ranges, in order), at most FA_LAYERS_MAX:
 * dnn layer l = W^l then b^l; mlp2 "out" = (w1, w2), "in" = (J1, J2).
 * SS_ERR_USAGE for another family. */
ss_status fa_layers(const model *m, size_t *first, size_t *size,
                    char (*name)[16], size_t *nl);

/* SS_ERR_USAGE / SS_ERR_LIMIT (nothing computed) for a model fimapprox
 * does not cover: another family, P > FA_P_MAX, fixed parameters. */
ss_status fa_check(const model *m);

/* The exact FIM at m's point (the family's fim_exact) into F (P x P). */
ss_status fa_exact(const model *m, gsl_matrix *F);
/* F with its off-diagonal (diag) or between-layer (block) entries set to
 * zero, in place. */
void fa_diag(gsl_matrix *F);
ss_status fa_block(const model *m, gsl_matrix *F);
/* The K-FAC approximation at m's point into K (P x P). SS_ERR_USAGE for
 * an mlp2 with act=tanh (no closed form for E[g'g']). */
ss_status fa_kfac(const model *m, gsl_matrix *K);
/* The empirical Fisher of n observations at m's point into E (P x P):
 * inputs as the family draws them (dnn: one of its T inputs, uniformly;
 * mlp2: x ~ N(0, I)), labels from the model at its own point (labels =
 * FA_LABELS_MODEL) or at a teacher point (fa_teacher), drawn from the
 * stream (seed, SS_STREAM_FIMAPPROX, 0). Ctrl-C between blocks of 512
 * observations: SS_ERR_INTERRUPTED. */
ss_status fa_empirical(const model *m, size_t n, int labels, uint64_t seed,
                       gsl_matrix *E);
/* The teacher: dnn weights drawn as the family draws them (W^l ~
 * N(0, sw2/M_{l-1}), or omega ~ N(0, 1) for param=ntk; b ~ N(0, sb2));
 * mlp2 every parameter N(0, 1); from the stream (seed, SS_STREAM_FIMAPPROX,
 * 1). theta has m->P entries. */
void fa_teacher(const model *m, uint64_t seed, double *theta);

/* The row of A against F (evec: F's eigenvectors as columns, eval
 * descending, from gsl_eigen_symmv), k top pairs. A is overwritten. */
ss_status fa_compare(const gsl_matrix *F, const gsl_vector *eval,
                     const gsl_matrix *evec, size_t k, gsl_matrix *A,
                     fa_row *row);

/* Everything the request asks for. */
ss_status fa_run(const model *m, const fa_request *req, fa_result **out);
void fa_result_free(fa_result *r);

#endif

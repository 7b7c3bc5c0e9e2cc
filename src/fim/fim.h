/* Fisher information estimators over a model's free parameters.
 * Every result carries its variant label: the literature disagrees on what
 * "Fisher information" means, so output always says which one it shows. */
#ifndef SS_FIM_H
#define SS_FIM_H

#include "core/status.h"
#include "model/model.h"

#include <gsl/gsl_matrix.h>
#include <stdint.h>

typedef enum {
    FIM_EXACT,     /* E[s s^T] under the model itself, per observation */
    FIM_MC,        /* Monte-Carlo average of s s^T over model draws */
    FIM_EMPIRICAL, /* (1/n) sum s(x_i) s(x_i)^T on a data set */
    FIM_OBSERVED,  /* -(1/n) sum Hessian of log p(x_i) on a data set */
    FIM_BLOCK,     /* exact, with the entries between parameter blocks
                      dropped (block-diagonal approximation) */
    FIM_POP        /* a population FIM of a design (the design layer's
                      estimators fo, fo-full, quad, mc: design/est_pop.c);
                      a total over the design's subjects */
} fim_method;

const char *fim_method_name(fim_method m);
/* Parse "exact|mc|empirical|observed"; returns -1 when unknown. */
int fim_method_parse(const char *s);

typedef struct fim_estimator fim_estimator; /* fim/estimator.h */

/* How a result holds the information; the spectrum (spectrum.c) picks its
 * route from it, and every reader of a result handles each form or says
 * why it cannot. */
typedef enum {
    FIM_FORM_DENSE, /* G (k x k) */
    FIM_FORM_ROOT,  /* G and a factor R (N x k) with G = R^T R */
    FIM_FORM_GRAM,  /* only the Gram dual K = J J^T / scale (N x N) of the
                       N x k rows J (scores): G = J^T J / scale is never
                       formed (G is NULL); the non-zero eigenvalues of G
                       are those of K, and when N < k the other k - N are
                       exactly 0 */
    FIM_FORM_BLOCK  /* diagonal blocks over disjoint sets of the free
                       parameters (entries between blocks dropped); G, when
                       formed, holds them with zeros off the blocks */
} fim_form;

const char *fim_form_name(fim_form f);

/* One diagonal block of a FIM_FORM_BLOCK result. */
typedef struct {
    size_t n;         /* parameters in the block */
    size_t *pos;      /* their positions among the result's k (increasing) */
    gsl_matrix *G;    /* n x n */
    gsl_matrix *root; /* N x n factor of this block (G = root^T root), or NULL */
} fim_block;

/* The form a request asks for (zero: dense, as every estimator gives). */
typedef enum {
    FIM_WANT_DENSE = 0, /* G (with a root factor where the estimator has one) */
    FIM_WANT_AUTO,      /* the Gram dual when the estimator can give one and
                           there are fewer rows than free parameters */
    FIM_WANT_GRAM       /* the Gram dual (estimators with FIM_PROP_GRAM) */
} fim_want;

/* The most free parameters for which a k x k G is formed (8 k^2 bytes:
 * 128 MB here); beyond it only a Gram or block form is possible. */
#define FIM_DENSE_MAX 4096
/* The most bytes a Gram form's rows and K (N k + N^2 doubles) may take. */
#define FIM_GRAM_BYTES_MAX ((size_t)1 << 30)

typedef struct {
    fim_method method;
    const fim_estimator *est; /* the estimator that made it */
    size_t k;                /* number of free parameters */
    size_t *idx;             /* their indices in the model */
    char (*names)[MODEL_NAME_MAX];
    fim_form form;           /* what is stored (above) */
    gsl_matrix *G;           /* k x k, per observation; NULL for a Gram form
                                (and a block form that did not form it) */
    gsl_matrix *se;          /* k x k standard errors (mc, empirical), or NULL */
    gsl_matrix *root;        /* N x k factor with G = root^T root, or NULL */
    gsl_matrix *K;           /* Gram form: N x N, K = J J^T / gram_scale */
    double gram_scale;       /* Gram form: the divisor (n for empirical) */
    size_t nblocks;          /* block form: the diagonal blocks */
    fim_block *blocks;
    size_t n;                /* draws or observations used; 0 for exact */
    size_t n_requested;      /* mc: draws asked for (n < n_requested if stopped) */
    int interrupted;         /* stopped by Ctrl-C; G holds the draws finished */
    char warning[256];       /* mc/empirical: why the standard errors may
                                not be trusted ("" when nothing is known) */
    char model_kind[MODEL_NAME_MAX];
    char source[64];         /* name of the model it describes (caller sets) */
    /* population FIMs (method FIM_POP): the design's name and subjects, and
     * for relative standard errors the k parameters' values and kinds
     * (model/pop.h POP_PAR_*: fixed effect, variance, covariance, SD);
     * value and pkind are NULL otherwise */
    char design[64];
    double subjects;
    double *value;
    unsigned char *pkind;
} fim_result;

/* G is allocated (zero) when k <= FIM_DENSE_MAX. */
fim_result *fim_result_alloc(size_t k);
void fim_result_free(fim_result *f);
/* A deep copy (every form), or NULL when out of memory. */
fim_result *fim_result_copy(const fim_result *src);
/* Drop the blocks, K and any root (form back to dense). */
void fim_result_clear_forms(fim_result *f);
/* A block form's G with zeros off the blocks, formed into f->G when it is
 * missing and k <= FIM_DENSE_MAX; a Gram form has no G (the message says
 * why and what to use instead). */
ss_status fim_result_form_G(fim_result *f);

typedef struct {
    fim_method method;        /* a built-in estimator, unless est is set */
    const fim_estimator *est; /* the estimator (NULL: from method) */
    size_t n;                 /* mc: number of draws */
    uint64_t seed;            /* mc: seed; draws are split in fixed chunks
                                 seeded from (seed, chunk) so results do not
                                 depend on how chunks are scheduled */
    const gsl_matrix *data;   /* empirical / observed */
    int no_root;              /* exact: skip the square-root factor (fast
                                 scans that need G only) */
    fim_want form;            /* the form asked for (0: dense) */
    unsigned threads;         /* mc: worker threads (0: the default); the
                                 numbers are the same for any count */
    /* population estimators (FIM_POP): the design (design/popdesign.h),
     * its name for the result, and quad's nodes per random effect (0: the
     * default); mc takes n (draws of eta) and seed */
    const struct pop_design_s *design;
    const char *design_name;
    size_t nquad;
} fim_request;

/* Compute the FIM of m at its current parameters over its free parameters
 * (a workspace and a job, driven to the end: fim/estimator.h). Ctrl-C
 * returns SS_OK with result->interrupted set when some draws were kept. */
ss_status fim_compute(const model *m, const fim_request *req,
                      fim_result **out);

/* Draws per reproducibility chunk of the Monte-Carlo estimator (i.i.d.
 * families), and rows per chunk of the empirical and observed FIMs. */
#define FIM_MC_CHUNK 4096

/* Series families (model_type.series_memory): the Monte-Carlo FIM draws
 * FIM_MC_SERIES independent series (fewer when n is smaller), each burnt
 * in for the process's memory so every score used is a stationary-state
 * one, and takes standard errors from the spread of their means (batch
 * means); longer than FIM_MC_SERIES_MAX terms, more series are drawn. */
#define FIM_MC_SERIES 64
#define FIM_MC_SERIES_MAX 65536
/* The longest burn-in accepted (terms); beyond it mc refuses. */
#define FIM_MC_BURNIN_MAX (1u << 20)
/* The most memory one series' scores may take (bytes) in the empirical
 * and observed FIMs, which need the whole series at once. */
#define FIM_SERIES_BYTES_MAX ((size_t)1 << 30)

#endif

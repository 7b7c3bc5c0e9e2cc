/* The model interface: one const type struct per model family (like
 * gsl_root_fsolver_type) plus a model instance holding the parameter layout
 * and values. Commands, completion, help and the test battery iterate over
 * model_registry(); adding a family is one file and one registry line.
 *
 * Parameters are a flat vector theta[0..P-1] in the family's documented
 * order. Vector-valued parameters (J1 of a d-dimensional perceptron, the AR
 * coefficients) are "groups" of consecutive components that can be assigned
 * at once (J1=[1,0.5], ar=[0.5,-0.2]). Structural options (gmm's known s,
 * the perceptron's d and activation) fix the layout and cannot change after
 * creation.
 *
 * Large families declare parameter blocks with a shape instead of one
 * parameter per call: model_add_block(m, "W2", 500, 500, ...) adds 250 000
 * components whose names are generated on demand (model_param_name) and
 * parsed back (model_param_index): a matrix block's components are named
 * NAME_ROW_COL (W2_123_456, rows and columns counted from 1, stored row by
 * row: W2_1_1, W2_1_2, ...), a vector block's (cols = 1) NAME_ROW (b_7).
 * These are plain identifiers, so the command language takes them as
 * parameter names anywhere (`set m W2_1_2=0.5`, `fix m W2_3_4`); the whole
 * block is assigned as a group (`W2=0`, `b=[1,2,3]`). Memory for names and
 * bounds is O(number of blocks); per-component bounds are stored only for a
 * block that sets them (model_set_param_bounds). */
#ifndef SS_MODEL_H
#define SS_MODEL_H

#include "core/sink.h"
#include "core/status.h"

#include <gsl/gsl_matrix.h>
#include <gsl/gsl_rng.h>
#include <stddef.h>
#include <stdint.h>

#define MODEL_NAME_MAX 32

typedef struct model model;
typedef struct model_type model_type;
typedef struct model_design model_design; /* below: designs */

/* A key=value argument handed to a model, free of the command language.
 * At most one of str / num / names is set (none: a bare name, for fix and
 * free). */
typedef struct {
    const char *key;
    const char *str;   /* identifier or string value, or NULL */
    const double *num; /* numeric value(s), or NULL */
    size_t n;          /* number of values in num */
    int is_vector;     /* written as [..] */
    int col;           /* input column of the key, for error positions */
    const char *const *names; /* a list of names [A, alpha], or NULL */
    size_t nnames;     /* number of names */
    /* Input column of the first character of the value's text (after the
     * opening quote of a quoted string), 0 when unknown: where a family
     * that parses a string value (expr's formula) points its errors. */
    int val_col;
} model_arg;

/* MOPT_VECTOR: a list of numbers (widths=[200,200]), each in [lo, hi]
 * (whole numbers when `whole` is set), 1 to maxlen entries. */
typedef enum { MOPT_REAL, MOPT_INT, MOPT_ENUM, MOPT_VECTOR } model_opt_kind;

/* What a vector option takes besides its bounds lo, hi per entry. */
typedef struct {
    const double *def; /* default entries */
    size_t ndef;       /* their number */
    size_t maxlen;     /* most entries accepted */
    int whole;         /* entries must be whole numbers */
} model_optvecdef;

/* A structural option: fixed at creation, shown by `models` and `show`. */
typedef struct {
    const char *name;
    model_opt_kind kind;
    double def, lo, hi;          /* MOPT_REAL / MOPT_INT: default and bounds;
                                    MOPT_VECTOR: bounds of every entry */
    const char *const *choices;  /* MOPT_ENUM: NULL-terminated, default first */
    const char *help;
    const model_optvecdef *vec;  /* MOPT_VECTOR: default and length */
} model_optdef;

/* The value of a vector option (MOPT_VECTOR); m->opt[o] holds n. */
typedef struct {
    double *v;
    size_t n;
} model_optvec;

/* A group of consecutive components assigned at once (J1=[1,0.5],
 * ar=[0.5,-0.2], W2=0) with a shape. A block from model_add_block has
 * generated component names (see the top of this file) and bounds lo, hi
 * for every component unless model_set_param_bounds stored its own; a group
 * over parameters added one by one (model_add_group) keeps their names and
 * bounds, and lo, hi are then the widest of them. */
typedef struct {
    char name[MODEL_NAME_MAX]; /* "J1", "ar", "W2" */
    size_t first, count;
    size_t rows, cols;         /* count = rows x cols; vectors are count x 1 */
    double lo, hi;
    int generated;             /* component names generated from name */
} model_group;

/* The parameter layout in segments (model.c): reach it through
 * model_param_name / _lo / _hi / _group. */
typedef struct model_seg model_seg;

/* What one row of a data set is, so estimators and pictures stop assuming
 * one likelihood term per row or comparing family names. */
typedef enum {
    MODEL_DATA_IID,        /* i.i.d. observations (gmm) */
    MODEL_DATA_REGRESSION, /* inputs x and a response y per row (mlp2) */
    MODEL_DATA_SERIES,     /* one time series, a row per time (arma) */
    MODEL_DATA_GROUPED     /* rows grouped into subjects (population PK) */
} model_data_kind;

const char *model_data_kind_name(model_data_kind k);

/* A point the family declares for the test battery and the singular-point
 * sweep: options and parameter values as they would be typed
 * ("v=0.3 w1=0.4 w2=0.4"), parameters held fixed, where it lies, and the
 * rank the FIM must have there (-1: not checked). New families are then
 * covered without editing the tests. */
typedef enum {
    MODEL_TP_GENERIC, /* away from every singular set: full rank */
    MODEL_TP_NEAR,    /* close to a singular set, not on it */
    MODEL_TP_ON       /* on a singular set */
} model_tp_where;

typedef struct {
    const char *label;  /* "on w1 = w2" */
    const char *args;   /* options and values, space-separated key=value */
    const char *fixed;  /* space-separated parameter names, or NULL */
    model_tp_where where;
    int rank;           /* expected numerical rank over the free ones */
    double tol;         /* rank tolerance (0: the spectrum default) */
} model_testpoint;

/* One singular set of the family and how far the current point is from it. */
typedef struct {
    char name[64];    /* "w1 = w2" */
    char effect[128]; /* "v unidentifiable" */
    double distance;  /* Euclidean distance in parameter space, 0 = on it */
} model_singular;

struct model_type {
    const char *name;    /* kind, as typed after `model NAME` */
    const char *summary; /* one line for `models` */
    const char *help;    /* formula, parameters, singular sets */
    const model_optdef *opts;
    size_t nopts;
    /* Parameter names in order with defaults, for `models`
     * (a textual summary when the layout depends on options). */
    const char *param_summary;
    /* The key a quoted string right after the kind stands for (expr's
     * formula: `model u expr "A*exp(-k*t)" ...`); NULL: the family takes
     * no positional argument. */
    const char *positional_key;

    /* Lay out parameters (model_add_param/model_add_group) from the options
     * in m->opt / m->opt_choice and from any args whose length decides the
     * layout (ARMA's ar=[..]); set defaults in m->theta. Args it uses must
     * be marked in used[]. */
    ss_status (*configure)(model *m, const model_arg *args, size_t nargs,
                           unsigned char *used);

    /* Validity beyond the per-parameter bounds (stationarity...). NULL when
     * the box bounds suffice. Must record a clear reason with SS_FAIL. */
    ss_status (*check)(const model *m, const double *theta);

    /* Columns of one observation in a data set (gmm: 1; mlp2: d+1). */
    size_t (*data_cols)(const model *m);
    const char *(*data_colname)(const model *m, size_t col, char *buf,
                                size_t n);

    /* Draw n observations (rows of out, n x data_cols). */
    ss_status (*sample)(const model *m, const double *theta, gsl_rng *r,
                        gsl_matrix *out);

    /* The log-likelihood of a data set as a sum of terms (one per i.i.d.
     * observation; the prediction-error decomposition for a series): fills
     * ell[i] and, when scores != NULL, row i of scores (n x P) with the
     * gradient of term i over all P parameters. ell may be NULL when only
     * the scores are wanted (a Monte-Carlo FIM): the terms are then not
     * computed. */
    ss_status (*loglik_terms)(const model *m, const double *theta,
                              const gsl_matrix *data, double *ell,
                              gsl_matrix *scores);

    /* Exact per-observation Fisher information over all P parameters into G
     * (P x P). When root != NULL the family may also return a factor R
     * (N x P, allocated here, caller frees) with G = R^T R from which small
     * eigenvalues are recovered far below the rounding floor of G itself.
     * NULL when the family has no exact route. */
    ss_status (*fim_exact)(const model *m, const double *theta,
                           gsl_matrix *G, gsl_matrix **root);

    /* Fill out[] with every singular set of the family and the distance of
     * theta to it, at most max of them; returns how many. */
    size_t (*singular)(const model *m, const double *theta,
                       model_singular *out, size_t max);
    /* How many sets singular() can report at this layout, for any theta
     * (callers size their arrays with it: model_nsingular). NULL: the
     * count at the model's current point, which suits a family whose
     * count does not depend on theta. */
    size_t (*nsingular)(const model *m);
    /* Optional fast path for scans (map): the same distances in the same
     * order, without formatting names. NULL: singular() is used. */
    size_t (*singular_distances)(const model *m, const double *theta,
                                 double *dist, size_t max);

    /* Optional reparametrisation ("blow-down" coordinates such as
     * w, z, v, u of the perceptron, or m, u of the mixture): a chart of the
     * same dimension P. coord_names fills P names and returns P (0 when the
     * family has none at this layout); to/from convert a full vector. The
     * chart may be undefined at some points (w1 + w2 = 0): to_coords then
     * records why with SS_FAIL(SS_ERR_RANGE, ...). */
    size_t (*coord_names)(const model *m, char (*names)[MODEL_NAME_MAX]);
    ss_status (*to_coords)(const model *m, const double *theta, double *c);
    ss_status (*from_coords)(const model *m, const double *c, double *theta);

    /* Extra lines for `show` in text mode (ARMA roots, ...); may be NULL. */
    void (*describe)(const model *m, const double *theta,
                     const ss_sink *out);

    /* Series families only (NULL for i.i.d. data): how many terms of a
     * series drawn by sample() pass before its loglik_terms scores equal
     * those of the infinite past to about 1e-13 (the process's memory at
     * theta), so that estimators can burn them in; 0 when that would need
     * more than max terms. */
    size_t (*series_memory)(const model *m, const double *theta, size_t max);

    /* Release state allocated by configure, and copy it into a clone whose
     * other fields are already copied (both NULL for stateless families). */
    void (*release)(model *m);
    ss_status (*copy_state)(const model *src, model *dst);

    /* ---- optional hooks for larger and structured families ---------- */

    /* What a data row is (default MODEL_DATA_IID). */
    model_data_kind data_kind;
    /* Likelihood terms in a data set (NULL: one per row). */
    size_t (*nterms)(const model *m, const gsl_matrix *data);
    /* The total log-likelihood of a data set and its gradient over all P
     * parameters (grad may be NULL). NULL: summed from loglik_terms in
     * chunks (model_loglik_grad). Learning rules use this. */
    ss_status (*loglik_grad)(const model *m, const double *theta,
                             const gsl_matrix *data, double *ell,
                             double *grad);
    /* Regression families: the mean response f(x_i; theta) at the inputs
     * (the first input columns of the rows of X) into mean[i], and its
     * Jacobian into row i of J (n x P). Gives J^T J / sigma^2, the Gram
     * dual J J^T and first-order linearisations without the response. */
    ss_status (*mean_jacobian)(const model *m, const double *theta,
                               const gsl_matrix *X, double *mean,
                               gsl_matrix *J);
    /* Noise variance of a regression family (for J^T J / sigma^2). */
    double (*noise_var)(const model *m);
    /* Generalisation error: KL(teacher || model) per observation (per
     * time step for a series), where the teacher may be of another family
     * with the same data kind and columns. Records why when it cannot. */
    ss_status (*kl_from)(const model *m, const double *theta,
                         const model *teacher, double *kl);
    /* The same KL and its gradient over all P parameters of the model
     * (grad[P]), for learning dynamics (the averaged flow). NULL: the
     * family has no exact generalisation-error gradient. */
    ss_status (*kl_grad)(const model *m, const double *theta,
                         const model *teacher, double *kl, double *grad);
    /* Learning rules (learn/train.h), both optional. One EM step on an
     * i.i.d. data set: theta_out maximises the expected complete-data
     * log-likelihood at theta over the free parameters (m->is_free; the
     * fixed ones are copied), within the parameter bounds; loglik (may be
     * NULL) gets the log-likelihood at theta, which the E-step computes
     * anyway (so a fit needs no second pass a step). NULL: the family has
     * no EM. */
    ss_status (*em_step)(const model *m, const double *theta,
                         const gsl_matrix *data, double *theta_out,
                         double *loglik);
    /* Online learning, the fast path: `steps` steps of
     * theta <- theta - eta * (mean over `batch` fresh examples drawn from
     * the teacher with r of the gradient of -log p(example | theta)),
     * free parameters only (m->is_free), in place, allocating nothing.
     * With steps = 0 it only says whether it handles this teacher: SS_OK,
     * or an error (recorded) and the learning layer uses the generic route
     * (sample() and loglik_grad per step). The draws are the family's own
     * (documented with the hook), not those of sample(). */
    ss_status (*online_steps)(const model *m, double *theta,
                              const model *teacher, gsl_rng *r, double eta,
                              size_t batch, size_t steps);
    /* Label switching (infer/fit.c): when the free parameters allow
     * swapping labels without changing the distribution, move theta to
     * the family's canonical labelling in place, write the rule into
     * note (n bytes) and return 1; return 0 when no swap applies. NULL:
     * the family has no label symmetry. */
    int (*canonical)(const model *m, double *theta, char *note, size_t n);
    /* Test points for the battery and the sweep, and how many. */
    const model_testpoint *testpoints;
    size_t ntestpoints;

    /* Families with a design (inputs, times or doses per row and a group
     * per row; model_design below). Draw one observation per design row
     * into out (rows x data_cols), and the exact Fisher information per
     * design row, averaged over the rows, into G (P x P). NULL: the family
     * takes no design (model_sample_design / model_fim_design say so). */
    ss_status (*sample_design)(const model *m, const double *theta,
                               const model_design *d, gsl_rng *r,
                               gsl_matrix *out);
    ss_status (*fim_design)(const model *m, const double *theta,
                            const model_design *d, gsl_matrix *G);
    /* The parameter blocks of the block-diagonal FIM approximation
     * (method=block): the block (0, 1, ...) parameter i belongs to.
     * NULL: one block, the approximation is the exact FIM itself. */
    size_t (*fim_block)(const model *m, size_t i);
    /* Families whose exact FIM is Jq^T Jq / scale for N x P rows Jq with N
     * often far below P (wide networks): the N x N dual K = Jq Jq^T /
     * scale over the free parameters (m->is_free) into *K (allocated
     * here, caller frees) and the scale; fim_gram_rows gives N. The exact
     * estimator uses it when N is below the number of free parameters
     * (form=auto) or when asked (form=gram). NULL: no Gram route. */
    ss_status (*fim_gram)(const model *m, const double *theta, gsl_matrix **K,
                          double *scale);
    size_t (*fim_gram_rows)(const model *m);
    /* What makes the model what it is beyond its options and parameters
     * (expr's formula), mixed into model_fingerprint's hash h (core/hash.h)
     * and returned. NULL: nothing more. */
    uint64_t (*fingerprint)(const model *m, uint64_t h);
    /* Population families (model/pop.h): the nonlinear mixed-effects
     * structure the design layer builds population FIMs from. NULL: not
     * a population model. */
    const struct pop_spec *(*pop)(const model *m);
};

struct model {
    const model_type *type;
    size_t P;
    double *theta;
    unsigned char *is_free;
    model_group *groups;
    size_t ngroups;
    /* one entry per option of the type (type->nopts) */
    double *opt;                /* numeric values (a vector's length) */
    const char **opt_choice;    /* enum values, else NULL */
    model_optvec *optvec;       /* vector values, else {NULL, 0} */
    void *state;                /* family-private, from configure */
    model_seg *segs;            /* the layout: private to model.c */
    size_t nsegs;
    /* `bound`: a user's narrower range per parameter (lo at 2i, hi at
     * 2i + 1), or NULL when no parameter has one (allocated on first use;
     * NaN entries: the family's range). */
    double *ubound;
    /* `prior`: a prior per parameter (src/bayes/prior.h gives kinds their
     * meaning and densities), or NULL when no parameter has one
     * (allocated on first use; kind 0: none). Clones keep it. */
    struct model_prior *prior;
};

/* A prior on one parameter as the model stores it: a kind (0: none; the
 * bayes layer numbers the others) and its two numbers. The model layer
 * only keeps it; checking and densities are the bayes layer's. */
typedef struct model_prior {
    int kind;
    double a, b;
} model_prior;
/* Parameter i's prior, or NULL when it has none. */
const model_prior *model_prior_of(const model *m, size_t i);
/* Set parameter i's prior (kind 0 clears it). Only out of memory fails. */
ss_status model_set_prior(model *m, size_t i, int kind, double a, double b);

/* Registry */
const model_type *const *model_registry(size_t *count);
const model_type *model_type_find(const char *name);

/* Create a model of a kind from key=value arguments: options and parameter
 * values (scalars, or vectors for groups). On error nothing is allocated. */
ss_status model_alloc(const model_type *t, const model_arg *args,
                      size_t nargs, model **out);
model *model_clone(const model *m);
void model_free(model *m);

/* Helpers for configure(). */
ss_status model_add_param(model *m, const char *name, double def, double lo,
                          double hi);
ss_status model_add_group(model *m, const char *name, size_t first,
                          size_t count);
/* A block of rows x cols components (cols = 1: a vector), all starting at
 * def and bounded by [lo, hi], appended after the parameters so far; it is
 * also a group (the last of m->groups). Its generated names must fit in
 * MODEL_NAME_MAX and clash with no other name. */
ss_status model_add_block(model *m, const char *name, size_t rows,
                          size_t cols, double def, double lo, double hi);
/* Bounds of one component, stored per component only for a block that
 * needs it. */
ss_status model_set_param_bounds(model *m, size_t i, double lo, double hi);
const model_arg *model_arg_find(const model_arg *args, size_t nargs,
                                const char *key, unsigned char *used);

/* Parameter i's name into buf (at most n bytes, n >= MODEL_NAME_MAX holds
 * every name); returns buf ("" when i is out of range). */
const char *model_param_name(const model *m, size_t i, char *buf, size_t n);
/* The same into a temporary that lives to the end of the enclosing block,
 * for one printf or comparison. */
#define MODEL_PNAME(m, i)                                                    \
    model_param_name((m), (i), (char[MODEL_NAME_MAX]){0}, MODEL_NAME_MAX)
double model_param_lo(const model *m, size_t i);
double model_param_hi(const model *m, size_t i);
/* The family's own range, whatever `bound` narrowed it to. */
double model_family_lo(const model *m, size_t i);
double model_family_hi(const model *m, size_t i);
/* `bound`: narrow parameter i to [lo, hi] (lo < hi, inside the family's
 * range, containing the current value), which model_param_lo/_hi then
 * report to every user of the bounds (set, fits, training, experiments).
 * On error nothing changes. */
ss_status model_bound(model *m, size_t i, double lo, double hi);
/* Back to the family's range. */
void model_unbound(model *m, size_t i);
/* 1 when parameter i has a range from `bound`. */
int model_is_bounded(const model *m, size_t i);
/* Index into m->groups of the group parameter i belongs to, or -1. */
int model_param_group(const model *m, size_t i);
/* Bytes the layout takes for names and bounds (segments, groups and any
 * per-component bounds): O(blocks), not O(P). */
size_t model_layout_bytes(const model *m);

/* Lookup; returns -1 when absent. */
int model_param_index(const model *m, const char *name);
/* The same, recording why a name is not a parameter: an unknown name
 * (SS_ERR_NAME), or a block component out of its shape (SS_ERR_RANGE,
 * "W2 is a 500 x 500 block: row 501 in W2_501_1 is outside 1..500"). */
ss_status model_param_lookup(const model *m, const char *name, size_t *index);
int model_group_index(const model *m, const char *name);
int model_opt_index(const model_type *t, const char *name);
/* A vector option's entries (NULL and *n = 0 for other kinds). */
const double *model_opt_vector(const model *m, size_t o, size_t *n);
/* "[200,200]": a vector's entries as typed, into buf. */
const char *model_format_vector(char *buf, size_t n, const double *v,
                                size_t k);

/* Assign key=value arguments to parameters (scalars to parameters, vectors
 * to groups, or to all components of a group when n == 1), all or nothing:
 * theta is changed only if every value is valid (bounds and check()).
 * With mark_free >= 0, also sets the free flag of each named parameter. */
ss_status model_set_params(model *m, const model_arg *args, size_t nargs,
                           int mark_free);
/* Validate a full parameter vector (bounds, finiteness, check()). */
ss_status model_validate(const model *m, const double *theta);

/* Indices of the free parameters; returns their number. */
size_t model_free_indices(const model *m, size_t *idx);
/* The same into a new array (caller frees); fails when nothing is free,
 * which every FIM computation must refuse. */
ss_status model_free_index_list(const model *m, size_t **idx, size_t *k);

/* Likelihood terms in a data set (the hook, or one per row). */
size_t model_nterms(const model *m, const gsl_matrix *data);
/* Total log-likelihood and gradient (P entries, or NULL) of a data set:
 * the family's hook, or loglik_terms summed over chunks of rows so memory
 * stays O(chunk x P). Ctrl-C between chunks returns SS_ERR_INTERRUPTED. */
ss_status model_loglik_grad(const model *m, const double *theta,
                            const gsl_matrix *data, double *ell,
                            double *grad);
/* Whether data drawn from `teacher` can be used with m (same data kind and
 * columns); records why not. */
ss_status model_data_compatible(const model *m, const model *teacher);
/* A data set has the columns m takes (who: the command or estimator, for
 * the message, e.g. "fit"); an error recorded otherwise. */
ss_status model_check_data_cols(const model *m, const gsl_matrix *data,
                                const char *who);
/* A 64-bit fingerprint of everything that makes the model what it is:
 * family, options, parameter values, free flags, bounds and priors
 * (core/hash.h),
 * so an experiment's shards can tell they came from the same models. */
uint64_t model_fingerprint(const model *m);
/* Build a model of type t from a test point's argument text. */
ss_status model_alloc_testpoint(const model_type *t,
                                const model_testpoint *tp, model **out);

/* How many singular sets the family can report at this layout (the
 * nsingular hook, or the count at the current point): the size of the
 * arrays handed to singular() and model_singular_distances(). */
size_t model_nsingular(const model *m);
/* Every singular set at theta into a new array (*out, caller frees; NULL
 * when *n = 0). */
ss_status model_singular_list(const model *m, const double *theta,
                              model_singular **out, size_t *n);
/* Distances to every singular set, at most max (the fast hook when there
 * is one). */
size_t model_singular_distances(const model *m, const double *theta,
                                double *dist, size_t max);

/* Every singular set at the current point into a new array (*all, caller
 * frees) and the nearest (its index), -1 if none. */
int model_nearest_singular(const model *m, model_singular **all,
                           size_t *count);

/* ---- designs ---------------------------------------------------------------
 * What an experiment fixes before the data are drawn: a matrix with a row
 * per observation (inputs of a regression, sampling times, doses) and the
 * group (subject) of each row, with a tag saying which. Opaque to the
 * commands; a family that takes one declares sample_design / fim_design. */
typedef enum {
    MODEL_DESIGN_INPUTS, /* regression inputs x per row */
    MODEL_DESIGN_TIMES,  /* observation times per row */
    MODEL_DESIGN_DOSES   /* doses (and times) per row */
} model_design_kind;

/* A copy of X (rows x columns) and of group[] (one per row, or NULL: all
 * rows in group 0). */
ss_status model_design_alloc(model_design_kind kind, const gsl_matrix *X,
                             const size_t *group, model_design **out);
void model_design_free(model_design *d);
model_design_kind model_design_kind_of(const model_design *d);
const char *model_design_kind_name(model_design_kind k);
const gsl_matrix *model_design_matrix(const model_design *d);
size_t model_design_rows(const model_design *d);
size_t model_design_group(const model_design *d, size_t row);
size_t model_design_ngroups(const model_design *d);

/* The hooks behind checks of the shapes; a family without them says it
 * takes no design. out: design rows x data_cols; G: P x P. */
ss_status model_sample_design(const model *m, const double *theta,
                              const model_design *d, gsl_rng *r,
                              gsl_matrix *out);
ss_status model_fim_design(const model *m, const double *theta,
                           const model_design *d, gsl_matrix *G);

/* An axis to move along: a parameter, or a blow-down coordinate of the
 * family's chart (parameters win when names coincide). */
typedef struct {
    int is_coord;
    size_t index;
    char name[MODEL_NAME_MAX];
} model_axis;

ss_status model_axis_find(const model *m, const char *name, model_axis *ax);
/* theta_out = theta with the axis set to value (through the chart for a
 * coordinate: the other coordinates stay as they are at theta). */
ss_status model_axis_apply(const model *m, const double *theta,
                           const model_axis *ax, double value,
                           double *theta_out);
/* The axis value at theta. */
ss_status model_axis_value(const model *m, const double *theta,
                           const model_axis *ax, double *value);

/* Built-in families (the structs are what the registry table lists). */
extern const model_type model_gmm_type, model_mlp2_type, model_arma_type,
    model_dnn_type, model_pk1_type, model_pk2_type, model_expr_type;
extern const model_type *const model_gmm;
extern const model_type *const model_mlp2;
extern const model_type *const model_arma;

#endif

#include "lang/commands.h"
#include "design/est_pop.h"

#include "core/replicate.h"
#include "fim/estimator.h"
#include "fim/map.h"
#include "fim/spectrum.h"
#include "fim/fim_approx.h"
#include "infer/fit.h"
#include "infer/select.h"
#include "infer/llr.h"
#include "bayes/ladder.h"
#include "bayes/posterior.h"
#include "bayes/rlct.h"
#include "bayes/llc.h"
#include "bayes/rlct_wbic.h"
#include "bayes/sbic.h"
#include "learn/flow.h"
#include "learn/portrait.h"
#include "learn/liao.h"
#include "learn/train.h"
#include "learn/plateau.h"
#include "plot/palette.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STR_(x) #x
#define STR(x) STR_(x)

/* ---- option tables ------------------------------------------------------
 * One entry per keyword option (and bare flag) of a command: its kind,
 * default, bounds and help. args_check_opts, the readers in args.c,
 * completion, `help` and docs/commands.md all read these. */

/* method= values: the estimator table (fim/estimator.h). */
/* fim/'s estimators, then the population ones of design/ (est_pop.h)
 * whose names are new (mc is both: a design's mc when design= is given) */
static const char *method_choice(size_t i)
{
    size_t n, np;
    const fim_estimator *const *t = fim_estimator_table(&n);
    if (i < n)
        return t[i]->name;
    const fim_estimator *const *pt = est_pop_table(&np);
    for (size_t j = 0, k = n; j < np; j++) {
        if (fim_estimator_find(pt[j]->name))
            continue;
        if (k++ == i)
            return pt[j]->name;
    }
    return NULL;
}

static const char *stat_choice(size_t i)
{
    return i <= MAP_RANK ? map_stat_name((map_stat)i) : NULL;
}

static const char *palette_choice(size_t i)
{
    return i < CANVAS_PAL_COUNT ? palette_name((int)i) : NULL;
}

/* Largest seed= (2^64 - 1; counts are read from the digits as written, so
 * every seed is exact). */
#define SEED_MAX 18446744073709551615.0

/* The FIM request of fim, eig and path; ndef: the default of n=. */
#define FIM_OPTS(ndef)                                                       \
    {.key = "method", .kind = OPT_WORD, .choice = method_choice,            \
     .def = "exact", .help = "the FIM estimator"},              \
    {.key = "n", .kind = OPT_COUNT, .meta = "N", .def = ndef, .lo = 2,      \
     .hi = 1e9, .help = "draws of method=mc"},                              \
    {.key = "data", .kind = OPT_OBJECT, .meta = "DATA", .obj = &obj_data,   \
     .help = "the data set of method=empirical and observed"},              \
    {.key = "seed", .kind = OPT_COUNT, .meta = "S", .lo = 0,                \
     .hi = SEED_MAX, .def = "from the session generator",                   \
     .help = "seed of the draws of method=mc"},                             \
    {.key = "threads", .kind = OPT_COUNT, .meta = "K", .lo = 1,             \
     .hi = SS_THREADS_MAX, .def = "--threads, else all cores",              \
     .help = "threads of method=mc (the numbers do not depend on it)"},   \
    {.key = "design", .kind = OPT_OBJECT, .meta = "D", .obj = &obj_design, \
     .help = "population models: the design whose FIM is computed"},        \
    {.key = "nquad", .kind = OPT_COUNT, .meta = "K", .lo = 2, .hi = 40,     \
     .def = "8", .help = "Gauss-Hermite nodes per random effect of "        \
                         "method=quad"}

#define TOL_OPT                                                              \
    {.key = "tol", .kind = OPT_REAL, .meta = "T", .lo = 0, .hi = 1,         \
     .lo_br = '(', .hi_br = ')', .def = STR(SPEC_DEFAULT_TOL),               \
     .help = "relative tolerance of the numerical rank"}

static const cmd_opt design_opts[] = {
    {.key = "times", .kind = OPT_NUMBERS, .meta = "[[T,..],..]",
     .flags = OPT_REQUIRED,
     .help = "sampling times of each group (one list: every group)"},
    {.key = "size", .kind = OPT_NUMBERS, .meta = "[N,..]", .def = "1",
     .help = "subjects per group"},
    {.key = "dose", .kind = OPT_NUMBERS, .meta = "[D,..]",
     .def = "the model's dose=", .help = "dose per group"},
    {.key = "groups", .kind = OPT_COUNT, .meta = "G", .lo = 1,
     .hi = PD_MAX_GROUPS, .def = "the lists' length",
     .help = "number of groups"},
    {.key = NULL}};

static const cmd_opt optimize_opts[] = {
    {.key = "model", .kind = OPT_OBJECT, .meta = "M", .obj = &obj_model,
     .flags = OPT_REQUIRED, .help = "the population model (at its values)"},
    {.key = "criterion", .kind = OPT_WORD,
     .words = (const char *const[]){"D", "A", "E", "Ds", NULL}, .def = "D",
     .help = "ln det M, tr M^-1, lambda_min, or ln det for params="},
    {.key = "params", .kind = OPT_NAMES, .meta = "[NAME,..]",
     .help = "criterion=Ds: the parameters of interest"},
    {.key = "over", .kind = OPT_WORD,
     .words = (const char *const[]){"times", "weights", "both", "none",
                                    NULL},
     .def = "times",
     .help = "what the continuous refinement after Fedorov-Wynn moves"},
    {.key = "candidates", .kind = OPT_NUMBERS, .meta = "[T,..]",
     .def = "the design's times",
     .help = "candidate times; the sequences are their k-subsets"},
    {.key = "grid", .kind = OPT_COUNT, .meta = "N", .lo = 2, .hi = 100000,
     .def = "none", .help = "N equally spaced candidate times over bounds="},
    {.key = "bounds", .kind = OPT_RANGE, .meta = "LO..HI",
     .def = "the candidates' range", .help = "range of every time"},
    {.key = "method", .kind = OPT_WORD,
     .words = (const char *const[]){"fo", "fo-full", "quad", NULL},
     .def = "fo", .help = "the population FIM of a subject"},
    {.key = NULL}};

static const cmd_opt sample_opts[] = {
    {.key = "n", .kind = OPT_COUNT, .meta = "N", .lo = 1, .hi = 1e8,
     .flags = OPT_REQUIRED, .help = "observations to draw"},
    {.key = "seed", .kind = OPT_COUNT, .meta = "S", .lo = 0, .hi = SEED_MAX,
     .def = "from the session generator",
     .help = "seed of this draw alone"},
    {.key = "teacher", .kind = OPT_OBJECT, .meta = "T", .obj = &obj_model,
     .help = "draw from this model instead (same kind of data)"},
    {.key = "task", .kind = OPT_WORD, .flags = OPT_MSG_TAKES,
     .words = (const char *const[]){"model", "clusters", NULL},
     .def = "model",
     .help = "clusters (a softmax dnn): classes of C Gaussian clusters, "
             "x ~ N(centre, I), centres N(0, sep^2 I) fixed by the model's "
             "seed"},
    {.key = "sep", .kind = OPT_REAL, .meta = "S", .lo = 0, .hi = 1e6,
     .lo_br = '[', .hi_br = ']', .def = "3",
     .help = "task=clusters: the spread of the centres"},
    {.key = NULL}};

static const char *form_choice(size_t i)
{
    static const char *const forms[] = {"auto", "dense", "gram"};
    return i < sizeof forms / sizeof *forms ? forms[i] : NULL;
}

/* The form of the result of fim and eig (fim/fim.h). */
#define FORM_OPT                                                             \
    {.key = "form", .kind = OPT_WORD, .choice = form_choice, .def = "auto", \
     .help = "gram: keep only K = S S^T/n (n x n), whose eigenvalues are "  \
             "the non-zero ones of G = S^T S/n (method=empirical); dense: "  \
             "G; auto: gram when the data has fewer rows than free "         \
             "parameters"}

static const cmd_opt fim_opts[] = {FIM_OPTS("100000"), FORM_OPT,
                                   {.key = NULL}};

static const cmd_opt eig_opts[] = {FIM_OPTS("100000"), FORM_OPT, TOL_OPT,
                                   {.key = NULL}};

static const cmd_opt path_opts[] = {
    {.key = "from", .kind = OPT_POINT, .meta = "[...]", .flags = OPT_ALT,
     .help = "start of a segment"},
    {.key = "to", .kind = OPT_POINT, .meta = "[...]", .flags = OPT_ALT,
     .help = "end of a segment"},
    {.key = "steps", .kind = OPT_COUNT, .meta = "N", .lo = 2, .hi = 100000,
     .def = "20", .help = "points on the path"},
    {.key = "decades", .kind = OPT_REAL, .meta = "D", .lo = 0, .hi = 15,
     .lo_br = '(', .hi_br = ']', .def = "6",
     .help = "decades the distance to a singular end shrinks over (log)"},
    FIM_OPTS("20000"),
    TOL_OPT,
    {.key = "log", .kind = OPT_FLAG,
     .help = "space the points geometrically (see above)"},
    {.key = NULL}};

static const cmd_opt map_opts[] = {
    {.key = "x", .kind = OPT_AXIS, .meta = "PARAM:FROM..TO",
     .flags = OPT_REQUIRED, .help = "the horizontal axis"},
    {.key = "y", .kind = OPT_AXIS, .meta = "PARAM:FROM..TO",
     .flags = OPT_REQUIRED, .help = "the vertical axis"},
    {.key = "stat", .kind = OPT_WORD, .choice = stat_choice,
     .def = "logdet", .help = "the statistic of the exact FIM"},
    {.key = "res", .kind = OPT_GRID, .meta = "WxH", .lo = 2,
     .hi = MAP_MAX_CELLS, .def = "41x41", .help = "points of the grid"},
    TOL_OPT,
    {.key = "design", .kind = OPT_OBJECT, .meta = "D", .obj = &obj_design,
     .help = "population models: the design whose FIM is mapped"},
    {.key = "method", .kind = OPT_WORD,
     .words = (const char *const[]){"fo", "fo-full", "quad", NULL},
     .def = "fo", .help = "the population FIM with design="},
    {.key = "nquad", .kind = OPT_COUNT, .meta = "K", .lo = 2, .hi = 40,
     .def = "8", .help = "Gauss-Hermite nodes per random effect of "
                         "method=quad"},
    {.key = NULL}};

static const cmd_opt train_opts[] = {
    {.key = "algo", .kind = OPT_WORD, .flags = OPT_REQUIRED | OPT_MSG_TAKES,
     .words = (const char *const[]){"sgd", "gd", "ngd", "angd", "em", NULL},
     .help = "the training rule"},
    {.key = "eta", .kind = OPT_REAL, .meta = "ETA", .lo = 0, .hi = 1e6,
     .lo_br = '(', .hi_br = ']',
     .help = "the learning rate (required: this or lr=)"},
    {.key = "lr", .kind = OPT_REAL, .meta = "ETA", .lo = 0, .hi = 1e6,
     .lo_br = '(', .hi_br = ']',
     .help = "the learning rate under Liao et al.'s name (the same as "
             "eta=)"},
    {.key = "steps", .kind = OPT_COUNT, .meta = "N", .lo = 1,
     .hi = TRAIN_STEPS_MAX,
     .help = "steps to take (required unless epochs= is given)"},
    {.key = "teacher", .kind = OPT_OBJECT, .meta = "T", .obj = &obj_model,
     .help = "the truth: fresh examples and the generalisation error "
             "(same family and dimension)"},
    {.key = "data", .kind = OPT_OBJECT, .meta = "D", .obj = &obj_data,
     .help = "the training data (gd, em, sgd with epochs=; ngd and angd "
             "instead of fresh examples)"},
    {.key = "epochs", .kind = OPT_COUNT, .meta = "E", .lo = 1,
     .hi = TRAIN_STEPS_MAX,
     .help = "sgd: E shuffled passes over data=D in mini-batches of "
             "batch=B rows, with the mini-batch measures (instead of "
             "steps=)"},
    {.key = "test", .kind = OPT_OBJECT, .meta = "D2", .obj = &obj_data,
     .help = "with epochs=: a test data set, its loss at every record"},
    {.key = "batch", .kind = OPT_COUNT, .meta = "B", .lo = 1,
     .hi = TRAIN_BATCH_MAX, .def = "1",
     .help = "examples per sgd step (fresh ones, or rows of data=D with "
             "epochs=)"},
    {.key = "record", .kind = OPT_COUNT, .meta = "K", .lo = 1,
     .hi = TRAIN_STEPS_MAX, .def = "ceil(steps/1000)",
     .help = "steps between records"},
    {.key = "eig", .kind = OPT_COUNT, .meta = "K", .lo = 1, .hi = 1e7,
     .help = "the exact FIM spectrum every K records"},
    {.key = "damping", .kind = OPT_REAL, .meta = "D", .lo = 0, .hi = 1e300,
     .lo_br = '[', .hi_br = ']', .def = "0",
     .help = "ngd: G + D I"},
    {.key = "rcond", .kind = OPT_REAL, .meta = "R", .lo = 0, .hi = 1,
     .lo_br = '[', .hi_br = ')', .def = STR(TRAIN_RCOND_DEFAULT),
     .help = "ngd: eigenvalues below R x the largest are dropped "
             "(pseudo-inverse)"},
    {.key = "eps", .kind = OPT_REAL, .meta = "E", .lo = 0, .hi = 1,
     .lo_br = '(', .hi_br = ')', .def = STR(TRAIN_EPS_DEFAULT),
     .help = "angd: the rate of the inverse-FIM estimate"},
    {.key = "schedule", .kind = OPT_WORD, .flags = OPT_MSG_TAKES,
     .words = (const char *const[]){"const", "decay", NULL}, .def = "const",
     .help = "angd: eps constant, or eps/(1 + eps n) after n examples"},
    {.key = "seed", .kind = OPT_COUNT, .meta = "S", .lo = 0, .hi = SEED_MAX,
     .def = "from the session generator",
     .help = "seed of the fresh examples or of the epochs' orders"},
    {.key = NULL}};

static const cmd_opt sweep_opts[] = {
    {.key = "data", .kind = OPT_OBJECT, .meta = "D", .obj = &obj_data,
     .flags = OPT_REQUIRED, .help = "the training data"},
    {.key = "batches", .kind = OPT_COUNTS, .meta = "[B1,B2,..]", .lo = 1,
     .hi = LIAO_BATCH_MAX, .flags = OPT_REQUIRED,
     .help = "the batch sizes of the grid"},
    {.key = "lrs", .kind = OPT_POINT, .meta = "[ETA1,ETA2,..]",
     .flags = OPT_REQUIRED,
     .help = "the learning rates of the grid (each > 0)"},
    {.key = "epochs", .kind = OPT_COUNT, .meta = "E", .lo = 1, .hi = 1e9,
     .flags = OPT_REQUIRED, .help = "passes over the data of each run"},
    {.key = "test", .kind = OPT_OBJECT, .meta = "D2", .obj = &obj_data,
     .help = "a test data set: the final test loss colours the runs"},
    {.key = "teacher", .kind = OPT_OBJECT, .meta = "T", .obj = &obj_model,
     .help = "the truth, for the generalisation error"},
    {.key = "seed", .kind = OPT_COUNT, .meta = "S", .lo = 0, .hi = SEED_MAX,
     .def = "from the session generator",
     .help = "seed of the runs' orders (run r: substream r)"},
    {.key = "threads", .kind = OPT_COUNT, .meta = "K", .lo = 1,
     .hi = SS_THREADS_MAX, .def = "--threads, else all cores",
     .help = "threads (the numbers do not depend on it)"},
    {.key = NULL}};

static const cmd_opt flow_opts[] = {
    {.key = "teacher", .kind = OPT_OBJECT, .meta = "T", .obj = &obj_model,
     .flags = OPT_REQUIRED,
     .help = "the truth: the flow descends KL(teacher || student)"},
    {.key = "t", .kind = OPT_REAL, .meta = "TMAX", .lo = 0, .hi = 1e300,
     .lo_br = '(', .hi_br = ']', .flags = OPT_REQUIRED,
     .help = "the time to integrate to"},
    {.key = "algo", .kind = OPT_WORD, .flags = OPT_MSG_TAKES,
     .words = (const char *const[]){"gd", "ngd", NULL}, .def = "gd",
     .help = "gradient or natural-gradient flow"},
    {.key = "eta", .kind = OPT_REAL, .meta = "ETA", .lo = 0, .hi = 1e6,
     .lo_br = '(', .hi_br = ']', .def = "1",
     .help = "the learning rate (time is eta x steps of online learning)"},
    {.key = "records", .kind = OPT_COUNT, .meta = "N", .lo = 1, .hi = 1e7,
     .def = STR(FLOW_RECORDS_DEFAULT),
     .help = "log-spaced record times after t = 0, the last at TMAX"},
    {.key = "tol", .kind = OPT_REAL, .meta = "TOL", .lo = 0, .hi = 1,
     .lo_br = '(', .hi_br = ')',
     .help = "the integrator's relative error per step (default "
             STR(FLOW_TOL_GD_DEFAULT) " for gd, " STR(FLOW_TOL_NGD_DEFAULT)
             " for ngd, whose right side carries the rounding of G^-1)"},
    {.key = "damping", .kind = OPT_REAL, .meta = "D", .lo = 0, .hi = 1e300,
     .lo_br = '[', .hi_br = ']', .def = "0",
     .help = "ngd: G + D I (0: the pseudo-inverse of G)"},
    {.key = "eig", .kind = OPT_COUNT, .meta = "K", .lo = 1, .hi = 1e7,
     .help = "the exact FIM spectrum every K records"},
    {.key = NULL}};

static const cmd_opt portrait_opts[] = {
    {.key = "teacher", .kind = OPT_OBJECT, .meta = "T", .obj = &obj_model,
     .flags = OPT_REQUIRED,
     .help = "the truth: every flow descends KL(teacher || student)"},
    {.key = "x", .kind = OPT_AXIS, .meta = "COORD:FROM..TO",
     .flags = OPT_REQUIRED,
     .help = "the horizontal blow-down coordinate and its range"},
    {.key = "y", .kind = OPT_AXIS, .meta = "COORD:FROM..TO",
     .flags = OPT_REQUIRED,
     .help = "the vertical blow-down coordinate and its range"},
    {.key = "algo", .kind = OPT_WORD, .flags = OPT_MSG_TAKES,
     .words = (const char *const[]){"gd", "ngd", NULL}, .def = "gd",
     .help = "gradient or natural-gradient flow"},
    {.key = "starts", .kind = OPT_GRID, .meta = "WxH", .lo = 1,
     .hi = PORTRAIT_MAX_STARTS, .def = "8x8",
     .help = "the grid of starts (cell centres)"},
    {.key = "t", .kind = OPT_REAL, .meta = "TMAX", .lo = 0, .hi = 1e300,
     .lo_br = '(', .hi_br = ']', .def = STR(PORTRAIT_T_DEFAULT),
     .help = "the time every flow runs to"},
    {.key = "eta", .kind = OPT_REAL, .meta = "ETA", .lo = 0, .hi = 1e6,
     .lo_br = '(', .hi_br = ']', .def = "1",
     .help = "the learning rate (time is eta x steps of online learning)"},
    {.key = "damping", .kind = OPT_REAL, .meta = "D", .lo = 0, .hi = 1e300,
     .lo_br = '[', .hi_br = ']', .def = "0",
     .help = "ngd: G + D I (0: the pseudo-inverse of G)"},
    {.key = NULL}};

/* method= of replicate: the estimators computed on data. */
static const char *data_method_choice(size_t i)
{
    size_t n;
    const fim_estimator *const *t = fim_estimator_table(&n);
    for (size_t j = 0; j < n; j++)
        if ((t[j]->needs & FIM_NEEDS_DATA) && i-- == 0)
            return t[j]->name;
    return NULL;
}

/* shard= of every experiment command (lang/shard.h) */
#define SHARD_OPT_OF(what)                                                  \
    {.key = "shard", .kind = OPT_TEXT, .meta = "I/N",                       \
     .help = "run only the I-th of N slices of the " what " (needs "        \
             "seed=); export them and `merge` the files"}
#define SHARD_OPT SHARD_OPT_OF("replicates")

static const cmd_opt replicate_opts[] = {
    {.key = "n", .kind = OPT_COUNT, .meta = "N", .lo = 1, .hi = 1e8,
     .flags = OPT_REQUIRED, .help = "observations in each replicate's sample"},
    {.key = "reps", .kind = OPT_COUNT, .meta = "R", .lo = 1, .hi = 1e7,
     .flags = OPT_REQUIRED, .help = "replicates"},
    {.key = "method", .kind = OPT_WORD, .choice = data_method_choice,
     .def = "empirical", .help = "the FIM estimator computed on each sample"},
    {.key = "seed", .kind = OPT_COUNT, .meta = "S", .lo = 0, .hi = SEED_MAX,
     .def = "from the session generator",
     .help = "seed of the samples (replicate r uses its own stream of it)"},
    {.key = "threads", .kind = OPT_COUNT, .meta = "K", .lo = 1,
     .hi = SS_THREADS_MAX, .def = "--threads, else all cores",
     .help = "worker threads (the numbers do not depend on it)"},
    SHARD_OPT,
    {.key = NULL}};

static const cmd_opt select_opts[] = {
    {.key = "truth", .kind = OPT_OBJECT, .meta = "T", .obj = &obj_model,
     .flags = OPT_REQUIRED, .help = "the model the data are drawn from"},
    {.key = "models", .kind = OPT_NAMES, .meta = "[M1,M2,...]",
     .flags = OPT_REQUIRED,
     .help = "the models to choose between (at least 2, distinct)"},
    {.key = "n", .kind = OPT_COUNTS, .meta = "[n1,n2,...]", .lo = 2,
     .hi = 1e8, .flags = OPT_REQUIRED,
     .help = "sample sizes, increasing"},
    {.key = "reps", .kind = OPT_COUNT, .meta = "R", .lo = 1,
     .hi = SELECT_REPS_MAX, .flags = OPT_REQUIRED,
     .help = "replicates of each sample size (at most "
             STR(SELECT_TOTAL_MAX) " in all)"},
    {.key = "criteria", .kind = OPT_NAMES, .meta = "[aic,bic,mdl]",
     .words = (const char *const[]){"aic", "bic", "mdl", NULL},
     .def = "[aic,bic,mdl]", .help = "the criteria reported"},
    {.key = "seed", .kind = OPT_COUNT, .meta = "S", .lo = 0, .hi = SEED_MAX,
     .def = "from the session generator",
     .help = "seed of the samples (replicate r uses its own streams)"},
    {.key = "threads", .kind = OPT_COUNT, .meta = "K", .lo = 1,
     .hi = SS_THREADS_MAX, .def = "--threads, else all cores",
     .help = "worker threads (the numbers do not depend on it)"},
    {.key = "starts", .kind = OPT_COUNT, .meta = "J", .lo = 1,
     .hi = FIT_STARTS_MAX, .def = STR(SELECT_STARTS_DEFAULT),
     .help = "starting points of each fit (as fit's starts=)"},
    SHARD_OPT,
    {.key = NULL}};

static const cmd_opt fit_opts[] = {
    {.key = "data", .kind = OPT_OBJECT, .meta = "D", .obj = &obj_data,
     .flags = OPT_REQUIRED, .help = "the data set to fit"},
    {.key = "starts", .kind = OPT_COUNT, .meta = "K", .lo = 1,
     .hi = FIT_STARTS_MAX, .def = STR(FIT_STARTS_DEFAULT),
     .help = "starting points: the model's point, a deterministic spread, "
             "then random ones"},
    {.key = "method", .kind = OPT_WORD, .choice = fit_method_name,
     .def = "auto", .help = "the optimiser (auto: the family's route)"},
    {.key = "seed", .kind = OPT_COUNT, .meta = "S", .lo = 0, .hi = SEED_MAX,
     .def = "0", .help = "seed of the random starts (start j uses its own "
                         "stream)"},
    {.key = "maxiter", .kind = OPT_COUNT, .meta = "N", .lo = 1, .hi = 1e8,
     .def = STR(FIT_MAXITER_DEFAULT), .help = "iterations per start"},
    {.key = NULL}};

static const cmd_opt llr_opts[] = {
    {.key = "truth", .kind = OPT_OBJECT, .meta = "T", .obj = &obj_model,
     .flags = OPT_REQUIRED, .help = "the model the data are drawn from, at "
                                    "its point"},
    {.key = "null", .kind = OPT_OBJECT, .meta = "M0", .obj = &obj_model,
     .flags = OPT_REQUIRED, .help = "the null model, nested in alt"},
    {.key = "alt", .kind = OPT_OBJECT, .meta = "M1", .obj = &obj_model,
     .flags = OPT_REQUIRED, .help = "the alternative model"},
    {.key = "n", .kind = OPT_COUNT, .meta = "N", .lo = 2, .hi = 1e8,
     .flags = OPT_REQUIRED, .help = "observations in each replicate"},
    {.key = "reps", .kind = OPT_COUNT, .meta = "R", .lo = 1,
     .hi = LLR_REPS_MAX, .flags = OPT_REQUIRED, .help = "replicates"},
    {.key = "seed", .kind = OPT_COUNT, .meta = "S", .lo = 0, .hi = SEED_MAX,
     .def = "from the session generator",
     .help = "seed of the data (replicate r uses its own stream) and of the "
             "limit law's simulation (another stream)"},
    {.key = "threads", .kind = OPT_COUNT, .meta = "K", .lo = 1,
     .hi = SS_THREADS_MAX, .def = "--threads, else all cores",
     .help = "worker threads (the numbers do not depend on it)"},
    {.key = "starts", .kind = OPT_COUNT, .meta = "J", .lo = 1,
     .hi = LLR_STARTS_MAX, .def = STR(LLR_STARTS_DEFAULT),
     .help = "starts per fit: M0's estimate (for M1), then a spread over "
             "the bounded ranges"},
    {.key = "sims", .kind = OPT_COUNT, .meta = "L", .lo = 0,
     .hi = LLR_SIMS_MAX, .def = STR(LLR_SIMS_DEFAULT),
     .help = "draws of the limit law where theory gives one (0: none)"},
    SHARD_OPT,
    {.key = NULL}};

static const char *const llc_at_words[] = {"truth", "min", NULL};

static const cmd_opt rlct_opts[] = {
    {.key = "truth", .kind = OPT_OBJECT, .meta = "T", .obj = &obj_model,
     .flags = OPT_REQUIRED, .help = "the true distribution, a model at its "
                                    "point"},
    {.key = "method", .kind = OPT_WORD, .choice = rlct_method_name,
     .def = "volume", .flags = OPT_MSG_TAKES,
     .help = "volume: the slope of the prior mass of {K < t}; wbic: the "
             "slope of WBIC - n L_n(w0) against log n; llc: the local "
             "learning coefficient by SGLD localised at the truth"},
    {.key = "draws", .kind = OPT_COUNT, .meta = "N", .lo = RLCT_DRAWS_MIN,
     .hi = RLCT_DRAWS_MAX, .def = STR(RLCT_DRAWS_DEFAULT),
     .help = "prior draws"},
    {.key = "qmax", .kind = OPT_REAL, .meta = "Q", .def = "0.01",
     .help = "the largest t of the fit: this quantile of K"},
    {.key = "qmin", .kind = OPT_REAL, .meta = "Q", .def = "1e-05",
     .help = "the smallest t: this quantile of K (raised to "
             STR(RLCT_MINCOUNT) "/N)"},
    {.key = "seed", .kind = OPT_COUNT, .meta = "S", .lo = 0, .hi = SEED_MAX,
     .def = "from the session generator",
     .help = "chunk c draws from its own stream (S, rlct, c); wbic: run "
             "q's data from (S, rlct wbic, q)"},
    {.key = "threads", .kind = OPT_COUNT, .meta = "K", .lo = 1,
     .hi = SS_THREADS_MAX, .def = "--threads, else all cores",
     .help = "worker threads (the numbers do not depend on it)"},
    {.key = "n", .kind = OPT_COUNT, .meta = "N", .lo = 2, .hi = LLC_N_MAX,
     .def = STR(LLC_N_DEFAULT),
     .help = "llc: observations drawn from the truth (stream (S, llc, 0))"},
    {.key = "data", .kind = OPT_OBJECT, .meta = "D", .obj = &obj_data,
     .help = "llc: this data set instead of a draw"},
    {.key = "beta", .kind = OPT_REAL, .meta = "B",
     .help = "llc: the likelihood's power (> 0; default 1/log n)"},
    {.key = "eps", .kind = OPT_REAL, .meta = "E", .def = STR(LLC_EPS_DEFAULT),
     .help = "llc: the SGLD step (> 0; the bias grows like eps n beta)"},
    {.key = "gamma", .kind = OPT_REAL, .meta = "G",
     .def = STR(LLC_GAMMA_DEFAULT),
     .help = "llc: the localisation (gamma/2) |w - w*|^2 (>= 0)"},
    {.key = "steps", .kind = OPT_COUNT, .meta = "N", .lo = LLC_STEPS_MIN,
     .hi = LLC_STEPS_MAX, .def = STR(LLC_STEPS_DEFAULT),
     .help = "llc: recorded steps per chain"},
    {.key = "batch", .kind = OPT_COUNT, .meta = "B", .lo = 1,
     .hi = LLC_N_MAX, .def = "n (full batch)",
     .help = "llc: rows of each step's minibatch gradient"},
    {.key = "at", .kind = OPT_WORD, .words = llc_at_words, .def = "truth",
     .help = "llc: centre the chains at the truth's point w*, or at min: "
             "the data's minimiser of n beta L_n + (gamma/2)|w - w*|^2"},
    {.key = "ns", .kind = OPT_COUNTS, .meta = "[n1,n2,...]",
     .lo = RLCTW_N_MIN, .hi = RLCTW_N_MAX,
     .help = "wbic: the sample sizes, increasing (at least 3)"},
    {.key = "nmin", .kind = OPT_COUNT, .meta = "N", .lo = RLCTW_N_MIN,
     .hi = RLCTW_N_MAX, .def = STR(RLCTW_NMIN_DEFAULT),
     .help = "wbic: the smallest sample size of the log-spaced ladder"},
    {.key = "nmax", .kind = OPT_COUNT, .meta = "N", .lo = RLCTW_N_MIN,
     .hi = RLCTW_N_MAX, .def = STR(RLCTW_NMAX_DEFAULT),
     .help = "wbic: the largest sample size"},
    {.key = "points", .kind = OPT_COUNT, .meta = "J", .lo = 3,
     .hi = RLCTW_POINTS_MAX, .def = STR(RLCTW_POINTS_DEFAULT),
     .help = "wbic: sample sizes of the ladder"},
    {.key = "reps", .kind = OPT_COUNT, .meta = "R", .lo = 1,
     .hi = RLCTW_REPS_MAX, .def = STR(RLCTW_REPS_DEFAULT),
     .help = "wbic: data sets per sample size"},
    {.key = "samples", .kind = OPT_COUNT, .meta = "N", .lo = 1,
     .hi = POST_SAMPLES_MAX, .def = STR(RLCTW_SAMPLES_DEFAULT),
     .help = "wbic: draws kept per chain (at least " STR(POST_SAMPLES_MIN)
             ")"},
    {.key = "sampler", .kind = OPT_WORD, .choice = post_sampler_name,
     .def = "rwm", .flags = OPT_MSG_TAKES,
     .help = "wbic: rwm or mala (as posterior's)"},
    {.key = "chains", .kind = OPT_COUNT, .meta = "C", .lo = 1,
     .hi = POST_CHAINS_MAX, .def = STR(POST_CHAINS_DEFAULT),
     .help = "wbic: chains per temperature and run; llc: chains, chain c "
             "on the stream (S, llc, c + 1)"},
    {.key = "burnin", .kind = OPT_COUNT, .meta = "B", .lo = 0,
     .hi = POST_BURNIN_MAX,
     .help = "steps per chain before the kept ones (wbic: "
             STR(RLCTW_BURNIN_DEFAULT) ", adapting the proposal; llc: "
             STR(LLC_BURNIN_DEFAULT) ")"},
    SHARD_OPT_OF("chunks of draws (volume), runs (wbic) or "
                 "chains (llc)"),
    {.key = NULL}};

/* spectrum metric=: the parameters, the input or hidden layer h1..h15 */
static const char *const spectrum_metric_words[] = {
    "params", "input", "h1", "h2", "h3", "h4", "h5", "h6", "h7", "h8",
    "h9", "h10", "h11", "h12", "h13", "h14", "h15", NULL};

static const cmd_opt spectrum_opts[] = {
    {.key = "nets", .kind = OPT_COUNT, .meta = "K", .lo = 1, .hi = 100000,
     .def = "1", .help = "random networks of the architecture (at each "
                         "width with widths=)"},
    {.key = "widths", .kind = OPT_COUNTS, .meta = "[M1,M2,...]", .lo = 1,
     .hi = 1e6,
     .help = "the width sweep: the first hidden width M at each, the "
             "others scaled with it (increasing, at most 32)"},
    {.key = "seed", .kind = OPT_COUNT, .meta = "S", .lo = 0, .hi = SEED_MAX,
     .def = "from the session generator",
     .help = "seed of the weights (network j uses its own stream of it)"},
    {.key = "threads", .kind = OPT_COUNT, .meta = "K", .lo = 1,
     .hi = SS_THREADS_MAX, .def = "--threads, else all cores",
     .help = "worker threads (the numbers do not depend on it)"},
    {.key = "centre", .kind = OPT_WORD,
     .words = (const char *const[]){"none", "output", NULL}, .def = "none",
     .flags = OPT_MSG_TAKES,
     .help = "output: subtract the outputs' mean over the T inputs (the "
             "last layer's mean subtraction; removes the outliers)"},
    {.key = "metric", .kind = OPT_WORD, .meta = "LAYER",
     .words = spectrum_metric_words, .def = "params",
     .flags = OPT_MSG_TAKES,
     .help = "params: the FIM of the parameters; input or hL: the metric "
             "it induces on the input or on hidden layer L's activations"},
    {.key = NULL}};

static const cmd_opt fimapprox_opts[] = {
    {.key = "kinds", .kind = OPT_NAMES, .meta = "[diag,block,kfac,empirical]",
     .words = (const char *const[]){"diag", "block", "kfac", "empirical",
                                    NULL},
     .def = "[diag,block,kfac,empirical]",
     .help = "the approximations compared with the exact FIM"},
    {.key = "top", .kind = OPT_COUNT, .meta = "K", .lo = 1, .hi = FA_P_MAX,
     .def = STR(FA_TOP_DEFAULT),
     .help = "top eigenpairs of the exact FIM compared (at most P)"},
    {.key = "n", .kind = OPT_COUNT, .meta = "N", .lo = 1, .hi = FA_N_MAX,
     .def = STR(FA_N_DEFAULT),
     .help = "observations of the empirical Fisher"},
    {.key = "labels", .kind = OPT_WORD,
     .words = (const char *const[]){"model", "teacher", NULL},
     .def = "model", .flags = OPT_MSG_TAKES,
     .help = "the empirical Fisher's labels: drawn from the model itself "
             "(its mean is the FIM) or from a fixed random teacher"},
    {.key = "seed", .kind = OPT_COUNT, .meta = "S", .lo = 0, .hi = SEED_MAX,
     .def = "from the session generator",
     .help = "seed of the labels (stream fimapprox, 0) and the teacher (1)"},
    {.key = NULL}};

static const cmd_opt sbic_opts[] = {
    {.key = "models", .kind = OPT_NAMES, .meta = "[G1,G2,...]",
     .flags = OPT_REQUIRED,
     .help = "nested gmm models (s known, all free), K increasing"},
    {.key = "data", .kind = OPT_OBJECT, .meta = "D", .obj = &obj_data,
     .flags = OPT_REQUIRED, .help = "the data set (one column)"},
    {.key = "starts", .kind = OPT_COUNT, .meta = "J", .lo = 1,
     .hi = FIT_STARTS_MAX, .def = STR(FIT_STARTS_DEFAULT),
     .help = "starting points of each fit (as fit's starts=)"},
    {.key = "seed", .kind = OPT_COUNT, .meta = "S", .lo = 0, .hi = SEED_MAX,
     .def = "0", .help = "seed of the fits' random starts (as fit's seed=)"},
    {.key = "maxiter", .kind = OPT_COUNT, .meta = "N", .lo = 1, .hi = 1e8,
     .def = STR(FIT_MAXITER_DEFAULT), .help = "EM iterations per start"},
    {.key = NULL}};

static const cmd_opt posterior_opts[] = {
    {.key = "data", .kind = OPT_OBJECT, .meta = "D", .obj = &obj_data,
     .flags = OPT_REQUIRED, .help = "the data set of the likelihood"},
    {.key = "beta", .kind = OPT_REAL, .meta = "B", .def = "1",
     .help = "the likelihood's power (the tempered posterior; > 0)"},
    {.key = "wbic", .kind = OPT_BOOL, .def = "no",
     .help = "beta = 1/log n: E_w[n L_n] is then WBIC"},
    {.key = "samples", .kind = OPT_COUNT, .meta = "N",
     .lo = 1, .hi = POST_SAMPLES_MAX, .def = STR(POST_SAMPLES_DEFAULT),
     .help = "draws kept per chain (at least " STR(POST_SAMPLES_MIN)
             " for the diagnostics)"},
    {.key = "chains", .kind = OPT_COUNT, .meta = "C", .lo = 1,
     .hi = POST_CHAINS_MAX, .def = STR(POST_CHAINS_DEFAULT),
     .help = "chains, each with its own random stream"},
    {.key = "sampler", .kind = OPT_WORD, .choice = post_sampler_name,
     .def = "rwm", .flags = OPT_MSG_TAKES,
     .help = "rwm: adaptive random-walk Metropolis; mala: Langevin "
             "proposals from the analytic scores"},
    {.key = "burnin", .kind = OPT_COUNT, .meta = "B", .lo = 0,
     .hi = POST_BURNIN_MAX, .def = STR(POST_BURNIN_DEFAULT),
     .help = "steps per chain adapting the proposal, not kept"},
    {.key = "temps", .kind = OPT_COUNT, .meta = "K", .lo = 1,
     .hi = POST_TEMPS_MAX, .def = "1",
     .help = "parallel tempering: K replicas per chain on a geometric "
             "beta ladder down to betamin (1: none)"},
    {.key = "betamin", .kind = OPT_REAL, .meta = "B",
     .help = "the hottest replica's beta with temps= (0 < B < beta; "
             "default beta/100)"},
    {.key = "seed", .kind = OPT_COUNT, .meta = "S", .lo = 0, .hi = SEED_MAX,
     .def = "from the session generator",
     .help = "seed of the chains (chain c uses its own stream)"},
    {.key = "threads", .kind = OPT_COUNT, .meta = "K", .lo = 1,
     .hi = SS_THREADS_MAX, .def = "--threads, else all cores",
     .help = "worker threads (the numbers do not depend on it)"},
    SHARD_OPT_OF("chains"),
    {.key = NULL}};

static const cmd_opt freeenergy_opts[] = {
    {.key = "data", .kind = OPT_OBJECT, .meta = "D", .obj = &obj_data,
     .flags = OPT_REQUIRED, .help = "the data set of the likelihood"},
    {.key = "betas", .kind = OPT_COUNT, .meta = "K", .lo = FE_BETAS_MIN,
     .hi = FE_BETAS_MAX, .def = STR(FE_BETAS_DEFAULT),
     .help = "ladder intervals, even: temperatures beta_j = (j/K)^5, "
             "j = 0..K"},
    {.key = "samples", .kind = OPT_COUNT, .meta = "N",
     .lo = 1, .hi = POST_SAMPLES_MAX, .def = STR(POST_SAMPLES_DEFAULT),
     .help = "draws kept per chain and temperature (at least "
             STR(POST_SAMPLES_MIN) ")"},
    {.key = "chains", .kind = OPT_COUNT, .meta = "C", .lo = 1,
     .hi = POST_CHAINS_MAX, .def = STR(POST_CHAINS_DEFAULT),
     .help = "chains per temperature, each with its own random stream"},
    {.key = "sampler", .kind = OPT_WORD, .choice = post_sampler_name,
     .def = "rwm", .flags = OPT_MSG_TAKES,
     .help = "rwm: adaptive random-walk Metropolis; mala: Langevin "
             "proposals from the analytic scores"},
    {.key = "burnin", .kind = OPT_COUNT, .meta = "B", .lo = 0,
     .hi = POST_BURNIN_MAX, .def = STR(POST_BURNIN_DEFAULT),
     .help = "steps per chain adapting the proposal, not kept"},
    {.key = "seed", .kind = OPT_COUNT, .meta = "S", .lo = 0, .hi = SEED_MAX,
     .def = "from the session generator",
     .help = "seed of the chains (each temperature and chain its own "
             "stream)"},
    {.key = "threads", .kind = OPT_COUNT, .meta = "K", .lo = 1,
     .hi = SS_THREADS_MAX, .def = "--threads, else all cores",
     .help = "worker threads (the numbers do not depend on it)"},
    {.key = NULL}};

static const cmd_opt load_opts[] = {
    {.key = "cols", .kind = OPT_COLUMNS, .meta = "[COL,...]",
     .def = "every column, in file order",
     .help = "the columns to keep, in this order: names of the header "
             "([x, y]) or positions from 1 ([2, 3])"},
    {.key = NULL}};

static const cmd_opt loglik_opts[] = {
    {.key = "data", .kind = OPT_OBJECT, .meta = "D", .obj = &obj_data,
     .flags = OPT_REQUIRED, .help = "the data set"},
    {.key = NULL}};

static const cmd_opt export_opts[] = {
    {.key = "format", .kind = OPT_WORD,
     .words = (const char *const[]){"csv", "text", "picture", NULL},
     .flags = OPT_MSG_TAKES,
     .def = "from the name: csv for .csv, picture for .txt, else text",
     .help = "what to write"},
    {.key = "width", .kind = OPT_COUNT, .meta = "W", .lo = 20, .hi = 1000,
     .def = "80", .help = "columns of a picture"},
    {.key = "height", .kind = OPT_COUNT, .meta = "H", .lo = 6, .hi = 500,
     .def = "24", .help = "rows of a picture"},
    {.key = "ascii", .kind = OPT_FLAG,
     .help = "a picture in ASCII characters only"},
    {.key = NULL}};

/* The smallest sizes are those of the smallest picture (a spectrum's bars
 * and a FIM); each picture raises them to its own. */
static const cmd_opt plot_opts[] = {
    {.key = "width", .kind = OPT_COUNT, .meta = "W", .lo = 20, .hi = 1000,
     .def = "the terminal's width",
     .help = "columns of the text picture (some pictures need more)"},
    {.key = "height", .kind = OPT_COUNT, .meta = "H", .lo = 6, .hi = 500,
     .def = "3/10 of the width, 16 to 60",
     .help = "rows of the text picture (some pictures need more)"},
    {.key = "in", .kind = OPT_COUNT, .meta = "N", .lo = 1, .hi = 16,
     .def = "the focused plot pane",
     .help = "pane of the full-screen UI (ignored elsewhere)"},
    {.key = "title", .kind = OPT_TEXT, .meta = "\"...\"",
     .help = "title of the picture"},
    {.key = "logx", .kind = OPT_BOOL,
     .def = "yes when the distances span more than a factor 30",
     .help = "logarithmic distance axis (paths)"},
    {.key = "logy", .kind = OPT_BOOL,
     .def = "yes (a spectrum: when every eigenvalue is positive)",
     .help = "logarithmic value axis (paths, spectra)"},
    {.key = "range", .kind = OPT_RANGE, .meta = "LO..HI",
     .def = "the values' range", .help = "the colour scale (maps, FIMs)"},
    {.key = "palette", .kind = OPT_WORD, .choice = palette_choice,
     .flags = OPT_MSG_TAKES,
     .def = "viridis (coolwarm for a FIM with entries of both signs)",
     .help = "colour ramp (maps, FIMs)"},
    {.key = "x", .kind = OPT_TEXT, .meta = "NAME",
     .def = "the time",
     .help = "horizontal axis of a run: t (or step), a parameter or a "
             "blow-down coordinate"},
    {.key = "y", .kind = OPT_TEXT, .meta = "NAME",
     .def = "the losses",
     .help = "vertical axis of a run: gen, train, a parameter, a blow-down "
             "coordinate, or eig (the recorded spectrum)"},
    {.key = "col", .kind = OPT_TEXT, .meta = "NAME",
     .help = "the column of a replicate table to draw (default: the "
             "first; col=\"G[w1,w2]\" in quotes, or col=\"w1,w2\", "
             "col=logdet)"},
    {.key = "bins", .kind = OPT_COUNT, .meta = "K", .lo = 1, .hi = 1000,
     .def = "Freedman-Diaconis", .help = "histogram bins (replicate tables)"},
    {.key = "ascii", .kind = OPT_FLAG,
     .help = "ASCII characters only (also when the locale is not UTF-8)"},
    {.key = NULL}};

static const cmd_opt plateaus_opts[] = {
    {.key = "tol", .kind = OPT_REAL, .meta = "T", .lo = 0, .hi = 1e6,
     .lo_br = '(', .hi_br = ']', .def = STR(LEARN_PLATEAU_TOL),
     .help = "a plateau: ln L falls by less than T per decade of time"},
    {.key = "span", .kind = OPT_REAL, .meta = "D", .lo = 0, .hi = 100,
     .lo_br = '(', .hi_br = ']', .def = STR(LEARN_PLATEAU_SPAN),
     .help = "for at least D decades of time"},
    {.key = "loss", .kind = OPT_WORD,
     .words = (const char *const[]){"gen", "train", NULL},
     .flags = OPT_MSG_TAKES,
     .def = "gen when the run has it, else train",
     .help = "which loss the rule reads"},
    {.key = NULL}};

static const cmd_def table[] = {
    {"model", "model NAME KIND [\"FORMULA\"] [option=value ...] [param=value ...]",
     "create or replace a model of a kind listed by `models`",
     "Creates the model NAME of kind KIND. Structural options (such as "
     "gmm's known s) are fixed at creation; parameters not given take their "
     "defaults. Vector parameters take [a, b, ...]. All parameters start "
     "free. If anything is invalid nothing is created and an existing model "
     "of that name is kept. The kind expr takes its formula as a quoted "
     "string after the kind (`help expr`).\n\n"
     "    model g gmm v=0.3 w1=0 w2=1.5\n"
     "    model h gmm s=0.5 v=0.5 w1=-1 w2=1\n"
     "    model u expr \"A*exp(-k*t)\" params=[A,k] iiv=[k] A=10 k=0.3",
     cmd_model, COMPL_NONE, NULL, NULL, CMD_AS_NONE, NULL},
    {"models", "models",
     "list model kinds with their options, parameters and defaults",
     "Lists every registered model kind: a one-line summary, structural "
     "options with defaults and ranges, and parameters with defaults. "
     "`help KIND` prints the formula and the singular sets of a kind.",
     cmd_models, COMPL_NONE, NULL, NULL, CMD_AS_NONE, NULL},
    {"set", "set NAME param=value ...",
     "change parameter values (all or nothing)",
     "Assigns new values to parameters of the model NAME. Values are "
     "checked against each parameter's range; if any is invalid, no value "
     "changes.\n\n    set g v=0.25 w2=1",
     cmd_set, COMPL_MODEL, NULL, NULL, CMD_AS_NONE, NULL},
    {"fix", "fix NAME param[=value] ...",
     "hold parameters fixed (optionally setting them)",
     "Marks parameters as fixed: FIMs, eigen-analyses and fits use only the "
     "free parameters. `fix g w1=0` sets and fixes w1 (Hartigan's form of "
     "the mixture).",
     cmd_fix, COMPL_MODEL, NULL, NULL, CMD_AS_NONE, NULL},
    {"free", "free NAME param ...", "release fixed parameters",
     "Marks parameters as free again.\n\n    free g w1", cmd_free,
     COMPL_MODEL, NULL, NULL, CMD_AS_NONE, NULL},
    {"bound", "bound NAME param=lo..hi ... | bound NAME param ...",
     "narrow a parameter's range (or restore the family's)",
     "`bound g w2=-1..1` narrows w2 to [-1, 1] inside the family's range: "
     "`set`, `fix`, training and fits then keep w2 there (a compact range "
     "for the second mean is what the theory of the likelihood ratio of a "
     "mixture needs). The current value must lie inside the new range, and "
     "lo < hi (a single value is `fix`). `bound g w2` restores the family's "
     "range. `show` marks a bounded range with the family's beside it. "
     "Every parameter named is checked first: an error changes nothing."
     "\n\n    bound g w2=-1..1\n    bound g w1=-2..2 w2=-1..1\n    bound g "
     "w2",
     cmd_bound, COMPL_MODEL, NULL, NULL, CMD_AS_NONE, NULL},
    {"prior", "prior NAME param=KIND(a,b) ... | prior NAME param ...",
     "set parameters' priors (uniform, normal, beta) or remove them",
     "`prior g w1=normal(0,1)` gives w1 the prior N(0, 1); the kinds are "
     "uniform(a,b) on [a, b], normal(m,s) with standard deviation s and "
     "beta(a,b) on [0, 1]. A prior's support must lie inside the "
     "parameter's range (with `bound`), and the model's value must have a "
     "positive prior density there (the chains of `posterior` start at "
     "it). `prior g w1` removes w1's prior. Parameters have no prior until "
     "given one, and `posterior` refuses a free parameter without one. "
     "`show` lists the priors. Every parameter named is checked first: an "
     "error changes nothing.\n\n"
     "    prior g w1=normal(0,1)\n"
     "    prior g v=uniform(0,1) w1=uniform(-1,1) w2=uniform(-1,1)",
     cmd_prior, COMPL_MODEL, NULL, NULL, CMD_AS_NONE, NULL},
    {"posterior", "posterior NAME",
     "sample the tempered posterior by MCMC: diagnostics, WAIC, WBIC",
     "Samples prior(w) x likelihood(w)^beta over the model's free "
     "parameters (the fixed ones held) with C chains run in parallel, each "
     "from the model's point with its own random stream, so the draws are "
     "the same on any number of threads. Each chain adapts its proposal "
     "during burnin= steps (the covariance of the burn-in draws and a step "
     "scale toward acceptance 0.234 for rwm, 0.574 for mala), then keeps "
     "it fixed for samples= draws. `show` prints per parameter the "
     "posterior mean, sd, split R-hat and effective sample size, the "
     "acceptance per chain, WAIC (per sample and on the deviance scale, "
     "with p_WAIC) and E_w[n L_n] (WBIC when beta = 1/log n, wbic=yes), "
     "each with a batch-means Monte-Carlo error, and warnings on labelled "
     "lines when R-hat > 1.01 or ESS < 100, when chains disagree (naming "
     "the chains whose means lie more than 3 within-chain sd from the "
     "median chain mean), when a chain accepts under 1% or over 95% of its "
     "proposals, and when proposals inside the prior's support met a "
     "non-finite likelihood.\n\n"
     "For multimodal posteriors (a mixture's label switching) temps=K runs "
     "parallel tempering: each chain becomes K replicas at beta_1 = beta > "
     "... > beta_K = betamin (geometric, default beta/100), each with its "
     "own adaptive proposal; after every sweep the adjacent pairs (r, r+1) "
     "with r of the step's parity propose to exchange states, accepted "
     "with probability min(1, exp((beta_r - beta_r+1) (l_n(w_r+1) - "
     "l_n(w_r)))) (the prior cancels), all from the chain's own stream. "
     "Only the beta_1 replica is recorded (draws, WAIC, diagnostics); "
     "`show` adds the swap acceptance per adjacent pair.\n\n"
     "`export POST f.csv` writes one row per draw (chain, draw, "
     "parameters, log-likelihood); `plot POST col=PARAM` the trace (the "
     "default); `plot POST x=A y=B` the draws' density in two free "
     "parameters, or in two blow-down coordinates of the family (gmm: m, "
     "u), with the family's singular sets that cross that plane drawn as "
     "lines (the other parameters at their posterior means, named in the "
     "title). Every free parameter needs a prior (`prior`).\n\n"
     "    posterior g data=d samples=20000 seed=3 as p\n"
     "    posterior g data=d wbic=yes sampler=mala as w\n"
     "    posterior g data=d temps=8 seed=1 as pt",
     cmd_posterior, COMPL_MODEL, posterior_opts, &obj_posterior,
     CMD_AS_REQUIRED, "POST"},
    {"freeenergy", "freeenergy NAME",
     "the free energy F_n over a beta ladder, WBIC, lambda-hat two ways",
     "Samples the tempered posteriors prior(w) x likelihood(w)^beta at "
     "beta_j = (j/K)^5, j = 0..K (betas=K, even; dense near 0, beta = 0 "
     "being the prior), and at 1/log n and 2/log n, each with C chains "
     "(their own streams: the numbers do not depend on the threads), "
     "adapted as `posterior` does. F_n = -log of the marginal likelihood "
     "is the integral of E^beta[n L_n] over beta in [0, 1] (thermodynamic "
     "integration), by Simpson's rule in beta^(1/5) with a quadrature "
     "error estimate (against the trapezoid rule) and the Monte-Carlo "
     "error propagated. WBIC is E^beta[n L_n] at beta = 1/log n. The "
     "learning coefficient lambda-hat comes from the two temperatures 1/log "
     "n and 2/log n, (E1 - E2) / (1/beta1 - 1/beta2), and from the "
     "weighted least-squares slope of E^beta[n L_n] against 1/beta over "
     "the temperatures in [1/(2 log n), 2/log n]; k/2 is printed beside "
     "them. `show` prints the table of temperatures (E^beta[n L_n] with "
     "its batch-means error, the smallest acceptance, the largest R-hat, "
     "the ESS of n L_n, F's quadrature weight); `export` writes it; `plot` "
     "draws E^beta[n L_n] against beta with the slope's fit. Every free "
     "parameter needs a proper prior (`prior`). Ctrl-C stores nothing: "
     "the integral needs every temperature.\n\n"
     "    freeenergy g data=d samples=4000 seed=3 as fe",
     cmd_freeenergy, COMPL_MODEL, freeenergy_opts, &obj_freeenergy,
     CMD_AS_REQUIRED, "FE"},
    {"rlct", "rlct NAME",
     "the learning coefficient (RLCT): volume scaling, WBIC over n, LLC",
     "Draws N points from the prior over the model's free parameters (the "
     "fixed ones held), evaluates K(w) = KL(p_T || p_w) per observation at "
     "each, and estimates lambda from V(t) = c t^lambda (-log t)^(m-1), "
     "V(t) the prior mass of {K < t}: the least-squares slope of log V "
     "against log t at 16 points between the qmin and qmax quantiles of "
     "K, with a standard error from 10 batches of the draws. Where theory "
     "gives m > 1 (Hartigan's mixture, m = 2) it also fits log V - (m-1) "
     "log(-log t), which removes the log factor's bias. K comes in closed "
     "form where one is known (gmm against a single Gaussian: chi^2/2, an "
     "equivalent function; arma(1,1) against white noise), by a fixed "
     "Gauss-Hermite rule (gmm against a mixture) or from the family. Every "
     "free parameter needs a prior (`prior`) whose support covers the "
     "truth's value. `show` prints the estimate beside the known value "
     "(docs/theory.md) and k/2; `export EST f.csv` the V(t) curve; `plot "
     "EST` log V against log t with the fitted and reference slopes.\n\n"
     "method=wbic: for the sample sizes ns=[...] (or points= log-spaced "
     "from nmin= to nmax=) and reps= data sets of each drawn from the "
     "truth, samples the tempered posterior at beta = 1/log n and 2/log n "
     "(as posterior, run after run) and fits the least-squares slope of "
     "y = WBIC - n L_n(w0) against log n, n L_n(w0) the truth's own "
     "-log-likelihood of the data; the standard error is from the "
     "residual scatter. Where theory gives m > 1 it also fits y + (m-1) "
     "log log n. Per n it gives the two-temperature estimate (E^b1 - "
     "E^b2) / (1/b1 - 1/b2); `plot EST` draws it against n with the known "
     "lambda and k/2 as reference lines; `export` writes one row per run. "
     "Ctrl-C keeps the sample sizes finished.\n\n"
      "method=llc estimates the local learning coefficient instead: on n "
     "observations drawn from the truth (or data=), chains of SGLD from w* "
     "(the model's point at the truth's values) sample exp(-n beta L_n(w) "
     "- gamma/2 |w - w*|^2), beta = 1/log n, and lambda-hat = n beta "
     "(E_w[L_n] - L_n(w*)) with a batch-means error; no prior is needed. "
     "It is biased at finite n (about -(m-1)/log(n beta)) and by gamma; "
     "see docs/theory.md. `export` gives the loss trace per chain, `plot` "
     "draws it with lambda-hat, the known value and k/2.\n\n"
      "    model t gmm v=0 w1=0 w2=0\n"
     "    prior g v=uniform(0,1) w1=uniform(-1,1) w2=uniform(-1,1)\n"
     "    rlct g truth=t method=volume as r\n"
     "    rlct g truth=t method=wbic reps=2 seed=1 as rw\n"
     "    rlct g truth=t method=llc seed=1 as l",
     cmd_rlct, COMPL_MODEL, rlct_opts, &obj_rlct, CMD_AS_REQUIRED, "EST"},
    {"sbic", "sbic",
     "BIC and the singular BIC (Drton & Plummer) of nested gmm models",
     "Fits every model of models=[G1,G2,...] to data=D by maximum "
     "likelihood (as `fit`: EM from starts=J starts) and reports per model "
     "K, the free parameters d = 2K - 1, the maximised log-likelihood l, "
     "BIC = -2l + d log n (deviance scale: smaller is better), -BIC/2 and "
     "sBIC (log-evidence scale: larger is better), and the posterior model "
     "probabilities each implies under a uniform prior over the models, "
     "with the model each picks. sBIC (Drton & Plummer 2017) solves, for "
     "i = 1, 2, ... in order, sum_{j<=i} (L'_i - L'_ij) L'_j = 0 with "
     "L'_ij = e^(l_i) n^(-lambda_ij), lambda_ij the learning coefficient "
     "of i components at a truth with j: ((2j - 1) + (i - j)/2)/2 (each "
     "redundant component adds 1/4; 3/4 for K = 2 at one Gaussian). The "
     "models must be gmm with the same known s and every parameter free, "
     "in strictly increasing K (gaps allowed: the collection is the models "
     "given), at least 2 of them; the data one column (docs/theory.md, "
     "section 11). Without `as` it is stored as sbic. `show REPORT` "
     "prints the table again with the lambda_ij used; `export REPORT "
     "f.csv` writes one row per model; `plot REPORT` draws -BIC/2 and sBIC "
     "against K less the best of them (a log Bayes factor against the "
     "best model, clipped at -30). Ctrl-C stops the fits and stores "
     "nothing.\n\n"
     "    model g1 gmm k=1 w1=0\n"
     "    model g2 gmm v=0.5 w1=-1 w2=1\n"
     "    model g3 gmm k=3 v2=0.3 v3=0.3 w1=-1 w2=0 w3=1\n"
     "    sbic models=[g1,g2,g3] data=d as sb",
     cmd_sbic, COMPL_NONE, sbic_opts, &obj_sbic, CMD_AS_OPTIONAL, "REPORT"},
    {"spectrum", "spectrum NET",
     "the FIM spectrum of random wide networks against mean-field theory",
     "For K random networks of the architecture of the dnn model NET "
     "(weights and biases drawn afresh as the family draws them, network j "
     "from its own stream of seed=, so the numbers do not depend on the "
     "threads; the inputs are NET's T), the exact regression FIM's "
     "eigenvalues through its TC x TC dual Gram (never P x P) and their "
     "statistics: m_lambda = trace/P and s_lambda = sum lambda^2/P over "
     "all P eigenvalues (zeros included), lambda_max, the mean of the top "
     "C, the bulk centre (the median of the non-zero ones) and the number "
     "of exact zeros P - rank; mean and sd over the networks beside the "
     "mean-field prediction at the network's widths (Karakida, Akaho & "
     "Amari; docs/theory.md section 13) and their ratio. `show` prints "
     "them, `export` writes one statistic a line (statistic, mean, sd, "
     "theory), `plot` draws the first network's non-zero eigenvalues as a "
     "histogram of log10 lambda with the predicted m_lambda (solid) and "
     "lambda_max (dashed) marked, and the outlier threshold. An outlier is "
     "an eigenvalue above 10 times the bulk centre. Variants "
     "(docs/theory.md section 13.4): on an output=softmax model the FIM is "
     "(1/T) sum J_t^T Q_t J_t (rank at most T(C-1), at most C - 1 "
     "outliers, predicted given each network's mean Q_t); on a param=ntk "
     "model the spectrum is the NTK J J^T of the omega gradients, its TC "
     "eigenvalues (mean d1, no M in it; lambda_max grows with T); "
     "centre=output subtracts the outputs' mean over the T inputs (the last "
     "layer's mean subtraction of Karakida, Akaho & Amari: the outliers "
     "go); metric=input or metric=hL takes the metric the FIM induces on "
     "the input or on hidden layer L's activations, (1/T) sum A_t^T Q_t "
     "A_t with A_t = df/dh (M_l x M_l). Every parameter must be free; "
     "act=erf gets no prediction; softmax with param=ntk or with "
     "centre=output, and centre with metric, are refused. Ctrl-C keeps the "
     "networks finished from the first.\n\n"
     "With widths=[M1,M2,...] (increasing; the plain FIM of a regression "
     "model in the standard parameterisation) the same at each width M: NET "
     "with its first hidden width set to M and the others scaled with it "
     "(M_l = alpha_l M, the ratios alpha_l = M_l/M_1 of NET; in=, out=, "
     "the inputs, act, sw2 and sb2 kept), K networks a width, network j at "
     "width M from the stream (seed, M 2^32 + j) of its own, so a width's "
     "numbers do not depend on the other widths listed. `show` prints "
     "m_lambda, s_lambda and lambda_max at each width beside the "
     "prediction, then the least-squares slopes of log(mean) on log M with "
     "two standard errors (from the networks' scatter, and from the "
     "residuals: three widths or more), the slope of the prediction over "
     "the same widths and the asymptotic one (-1, 0, +1 for m_lambda, "
     "s_lambda, lambda_max when there are two hidden layers or more: P ~ "
     "M^2 with in= fixed; 0, +1, +1 with one); one width has no slope. "
     "`export` writes one row per width and statistic (width, P, nets, "
     "statistic, mean, sd, theory) and the slopes to a second file "
     "(NAME.fit.csv); `plot` draws the three statistics against the width "
     "on log-log axes, the means as markers and the prediction as dashed "
     "lines. Ctrl-C keeps the widths finished.\n\n"
     "    model n dnn layers=3 width=500 in=500 out=10 act=relu sw2=2 "
     "sb2=0 inputs=100 seed=1\n"
     "    spectrum n nets=2 as s\n"
     "    export s s.csv\n"
     "    spectrum n widths=[100,200,400] nets=4 as sw\n"
     "    plot sw\n"
     "    spectrum n centre=output as sc\n"
     "    spectrum n metric=h1 as sm",
     cmd_spectrum, COMPL_MODEL, spectrum_opts, &obj_spectrum,
     CMD_AS_REQUIRED, "SPEC"},
    {"fimapprox", "fimapprox NET",
     "FIM approximations (diagonal, block, K-FAC, empirical) against the "
     "exact FIM",
     "Measures approximations of the FIM of the model NET (a dnn with at "
     "most " STR(FA_P_MAX) " parameters, all free, or mlp2) against its "
     "exact FIM at the current point: diag (the diagonal), block (the "
     "layer blocks: a dnn layer's weights and biases together; mlp2's two "
     "layers are the output weights (w1, w2) and the input weights (J1, "
     "J2), not `fim method=block`'s hidden units), kfac (per layer the "
     "Kronecker product of the output-gradient and input second moments, "
     "each averaged on its own; mlp2: act=erf only) and empirical (the "
     "mean of s s^T over n observations, labels from the model itself or a "
     "fixed random teacher). For each, and for the exact FIM: lambda_max, "
     "lambda_min, the trace, the rank, the relative error of the top K "
     "eigenvalues, of the quadratic forms along the exact top K "
     "eigenvectors and in Frobenius norm (docs/theory.md, section 13.2); "
     "then whether the point is singular and which approximations see it. "
     "`export` writes one row per approximation, `plot A col=C` draws bars "
     "of a column (default eig_err).\n\n"
     "    model t mlp2 w1=1 w2=0.5 J1=0.7 J2=0.7\n"
     "    fimapprox t seed=1 as a\n"
     "    model n dnn layers=2 width=8 in=4 out=2 act=tanh inputs=20 seed=1\n"
     "    fimapprox n kinds=[kfac,empirical] top=5 n=20000 seed=2 as b\n"
     "    plot b col=qf_err",
     cmd_fimapprox, COMPL_MODEL, fimapprox_opts, &obj_fimapprox,
     CMD_AS_REQUIRED, "A"},
    {"show", "show NAME",
     "parameters, free flags and distance to the singular sets",
     "For a model: every parameter with its value, whether it is free and "
     "its range; every singular set of the family with the distance of the "
     "current point to it, and the nearest one with what becomes "
     "unidentifiable there. For a stored result (data set, FIM, spectrum): "
     "prints it again. For a learning run: a summary (final and smallest "
     "losses, the plateaus as `plateaus` finds them, the time spent within "
     "distance 0.1 of each singular set, regularised NGD steps, whether it "
     "was interrupted or diverged) and then its records, thinned to 21 "
     "rows (evenly spaced in record number, first and last kept) when "
     "there are more than 40; `export RUN FILE.csv` writes them all. In "
     "CSV (format csv) the sections are tables separated by empty lines, "
     "the records in full.",
     cmd_show, COMPL_OBJECT, NULL, NULL, CMD_AS_NONE, NULL},
    {"sample", "sample NAME",
     "draw a data set from a model",
     "Draws n independent observations from the model NAME at its current "
     "parameters and stores them as DATA. With seed= the draw is fixed by "
     "that seed alone; without it, draws come from the session generator "
     "(set by --seed or `seed`), so a script is reproducible either way. "
     "teacher=T draws from the model T instead (same kind): data from "
     "another truth, such as a one-unit teacher for a two-unit "
     "perceptron. Ctrl-C part-way keeps the rows drawn so far (blocks of "
     "65536: the first rows of the full draw) and says so. For a "
     "classification task, task=clusters on a dnn with output=softmax "
     "draws a class uniformly and x ~ N(centre, I) around one of C "
     "centres ~ N(0, sep^2 I) (default sep 3), the centres fixed by the "
     "model's seed= (stream 22, substream 1), so a training and a test "
     "set drawn with different seeds share them.\n\n"
     "    sample g n=5000 seed=7 as d\n"
     "    sample n n=1000 teacher=t as d",
     cmd_sample, COMPL_MODEL, sample_opts, &obj_data, CMD_AS_REQUIRED, "DATA"},
    {"design", "design NAME",
     "a population design: groups of subjects, their times and doses",
     "Stores a design for population models (pk1, pk2, expr): groups of "
     "subjects, each with its number of subjects (size=), its sampling "
     "times after the dose (times=, sorted, >= 0) and its dose (dose=; "
     "absent: the model's dose=). Each list takes one entry per group, or "
     "one for all groups; groups=G repeats single entries G times. A "
     "design's FIM is `fim MODEL design=NAME method=fo|fo-full|quad|mc`; "
     "`optimize NAME model=MODEL` improves its times.\n\n"
     "    design d size=[32] times=[[0.5,1,2,6,24,36,72,120]] dose=[70]\n"
     "    design two size=[20,20] times=[[0.5,2,8],[1,4,24]] dose=70\n"
     "    design g groups=3 size=10 times=[1,4,24] dose=[50,100,200]",
     cmd_design, COMPL_NONE, design_opts, NULL, CMD_AS_NONE, NULL},
    {"optimize", "optimize DESIGN",
     "an optimal population design: Fedorov-Wynn, then refined times",
     "Finds an approximate optimal design for model=M at its current "
     "values, starting from DESIGN (whose groups must share their number "
     "of times k and their dose). The candidates are every k-subset of "
     "the candidate times (candidates=, grid=N over bounds=, or the "
     "design's own times); Fedorov-Wynn (vertex exchange) puts weights on "
     "them, then over=times moves the support's times continuously within "
     "bounds= (over=weights the weights, both, or none). The criterion is "
     "the subject's population FIM (method=fo by default) over the free "
     "parameters: D (ln det M), A (tr M^-1), E (lambda_min) or Ds (the "
     "parameters params=[..]). The result is a design stored as NAME "
     "(default DESIGN_opt) whose groups are the support sequences, with "
     "the subjects of DESIGN shared out by weight; `show` gives the "
     "criterion, the efficiency of the start and the check of the "
     "equivalence theorem (max d(x, xi) against its bound: p for D), "
     "`plot` the sensitivity d(x, xi) over time (k = 1) or over the "
     "candidate sequences, with the line at the bound, and `fim M "
     "design=NAME` its FIM.\n\n"
     "    optimize d model=p criterion=D\n"
     "    optimize one model=b grid=600 bounds=0.01..60 over=both as best\n"
     "    optimize d model=p criterion=Ds params=[CL,V] candidates=[0.5,1,2,"
     "6,24,36,72,120]",
     cmd_optimize, COMPL_OBJECT, optimize_opts, &obj_design,
     CMD_AS_OPTIONAL, "DESIGN"},
    {"fim", "fim NAME",
     "Fisher information matrix over the free parameters",
     "Prints the per-observation Fisher information of model NAME at its "
     "current parameters over its free parameters, labelled with the "
     "variant:\n"
     "  exact      E[s s^T] under the model (quadrature or closed form)\n"
     "  mc         Monte-Carlo mean of s s^T over n draws (default 100000), "
     "with standard errors\n"
     "  empirical  (1/n) sum s(x_i) s(x_i)^T over data=DATA\n"
     "  observed   -(1/n) sum of Hessians of log p(x_i) over data=DATA\n"
     "  block      exact, entries between parameter blocks dropped (mlp2: "
     "per hidden unit)\n"
     "Population models (pk1, pk2, expr) have the information of a design, "
     "design=D (see `design`), as a total over its subjects:\n"
     "  fo         first-order linearisation at eta = 0, reduced "
     "(block-diagonal; PopED's default, PFIM); the default\n"
     "  fo-full    the same keeping V's dependence on the fixed effects "
     "(PopED's full FIM)\n"
     "  quad       y normal with its exact moments over eta, by "
     "Gauss-Hermite quadrature (nquad= nodes per random effect)\n"
     "  mc         the same moments by Monte Carlo (n= draws of eta, "
     "seed=)\n"
     "and print ln det and the relative standard errors of every "
     "parameter on the variance scale (PopED) and the SD scale (PFIM), or "
     "the directions a singular design cannot estimate.\n"
     "The block-diagonal approximation keeps the family's parameter blocks "
     "(mlp2: (w1, J1) and (w2, J2); a family without blocks has one, and "
     "it is the exact FIM) and prints them block by block.\n"
     "The empirical FIM of n observations is G = S^T S/n with S the n x k "
     "scores; form=gram keeps only K = S S^T/n (n x n), which has the same "
     "non-zero eigenvalues, and never forms G (form=auto, the default, "
     "does so when n < k; `eig` then gives the non-zero spectrum and "
     "counts the k - n zeros). The observed information is not a Gram "
     "matrix: form=gram is refused for it.\n"
     "With --format csv: a header `param,<names>` and one line per "
     "parameter (a Gram form: K, one line per observation).\n\n"
     "    fim g\n    fim g method=mc n=200000\n"
     "    fim g method=empirical data=d\n"
     "    fim n method=empirical data=d10 form=gram as F\n"
     "    fim n method=block\n"
     "    fim p design=d method=fo-full",
     cmd_fim, COMPL_MODEL, fim_opts, &obj_fim, CMD_AS_OPTIONAL, NULL},
    {"eig", "eig NAME",
     "eigenvalues and eigenvectors of a FIM, rank, log det, condition",
     "Eigen-analysis of the FIM of model NAME (options as for `fim`) or of "
     "a FIM stored with `fim ... as F`. Eigenvalues are listed largest "
     "first with eigenvectors named by parameter; then the numerical rank "
     "at relative tolerance tol (default 1e-10), log det, condition number "
     "and the null directions. Eigenvalues below the numerical floor are "
     "reported as such, not as rounding noise. For the exact FIM of a "
     "family that provides a square-root factor (gmm) the spectrum comes "
     "from its SVD and resolves eigenvalues about 1e-28 below the "
     "largest. A Gram-form FIM (form=gram) gives the non-zero eigenvalues "
     "from its n x n K, without eigenvectors, and says how many are "
     "exactly 0; a block-diagonal one (method=block) is analysed block by "
     "block, its log det the sum over the blocks.\n\n"
     "    eig g\n    eig g method=mc n=1e6",
     cmd_eig, COMPL_OBJECT, eig_opts, &obj_eig, CMD_AS_OPTIONAL, NULL},
    {"path", "path NAME PARAM: FROM -> TO\npath NAME",
     "FIM spectrum along a path into a singular set, with power laws",
     "Moves one parameter, or a blow-down coordinate (see `help KIND`), "
     "from FROM to TO in steps=N points (default 20) with the other "
     "parameters as set, or walks the straight segment between two full "
     "parameter points. At each point it tabulates every FIM eigenvalue, log "
     "det, condition number and rank, with the distance d to the singular "
     "set nearest the end point. Then it fits lambda ~ C d^k to each "
     "eigenvalue over the nearest half of the points (log lambda against "
     "log d) and prints the exponent k with an uncertainty +- that covers "
     "the limit d -> 0, not only the regression error: the local slope "
     "drifts with d, and twice its drift to the limit, extrapolated "
     "linearly in d from that fit and the fit over its nearer half, is "
     "added to the regression error. A "
     "fit over evenly spaced points is marked unreliable.\n"
     "Spacing: points are evenly spaced unless `log` is given. With `log`, "
     "when TO is 0, lies on a singular set or on the edge of the valid "
     "region, the distance to TO shrinks geometrically over decades=D "
     "decades (default 6), never reaching TO; otherwise FROM and TO must "
     "have one sign and the points are spaced geometrically between them, "
     "both included, as numpy's geomspace (a segment: the distance to the "
     "set approached goes geometrically between its values at the ends). "
     "Every point is checked first: a path that leaves the valid region is "
     "refused. Stored as RESULT (default `path`).\n\n"
     "    path g w2: 1 -> 0 log steps=25\n"
     "    path g w2: 0.2 -> 0.01 log      # geometric: 0.2, 0.171, ..., 0.01\n"
     "    path g u: 1 -> 0 log       # blow-down coordinate u = w2 - w1\n"
     "    path g from=[0.3, 0, 1] to=[0.3, 0, 0.001]",
     cmd_path, COMPL_MODEL, path_opts, &obj_path, CMD_AS_OPTIONAL, NULL},
    {"map", "map NAME",
     "a FIM statistic over a parameter plane, singular sets marked",
     "Evaluates a statistic of the exact FIM (log det by default) on a grid "
     "of res=WxH points (default 41x41) over two parameters or blow-down "
     "coordinates, the others as set. It reports where the minimum lies, "
     "the points where the FIM is singular at the numerical floor, the "
     "points outside the valid region, and which singular sets cross the "
     "plane. Small maps print their grid (* marks the singular set); "
     "--format csv prints every point; `export RESULT file.csv` saves it. "
     "Stored as RESULT (default `map`).\n\n"
     "    map g x=w1:-1..1 y=w2:-1..1 res=200x200\n"
     "    map g x=v:0..1 y=u:-2..2 stat=lambda_min",
     cmd_map, COMPL_MODEL, map_opts, &obj_map, CMD_AS_OPTIONAL, NULL},
    {"flow", "flow STUDENT",
     "integrate the averaged learning dynamics against a teacher",
     "Integrates the averaged (eta -> 0) dynamics of online learning from "
     "the point of the model STUDENT (a copy: the model is not moved): "
     "algo=gd follows theta' = -eta grad L, algo=ngd theta' = -eta (G + "
     "damping I)^+ grad L, with L = KL(teacher || student) per observation "
     "computed exactly (closed form for mlp2 with act=erf, quadrature over "
     "the inputs for tanh with d <= 2) and G the student's exact FIM; only "
     "free parameters move. GSL's BDF integrator with adaptive steps (long "
     "plateaus are stiff). Records t = 0 and records=N log-spaced times up "
     "to TMAX (the last exactly TMAX): no sampling, so two runs give the "
     "same numbers. With damping=0 NGD uses the pseudo-inverse of G "
     "(eigenvalues below 1e-12 of the largest dropped) and the run says at "
     "how many evaluations; starting exactly on a singular set then needs "
     "damping > 0. A flow that blows up stops with the time it did, the "
     "records so far kept; Ctrl-C keeps them too. Stored as RUN (default "
     "`run`): show, plot, plateaus and export it.\n\n"
     "    model t mlp2 w1=1 w2=1 J1=0.5 J2=2\n"
     "    model s mlp2 w1=0.8 w2=0.8 J1=1.4 J2=1.41\n"
     "    flow s teacher=t t=1e5 as gd\n"
     "    flow s teacher=t t=1e5 algo=ngd damping=1e-8 as ngd\n"
     "    plot gd ngd",
     cmd_flow, COMPL_MODEL, flow_opts, &obj_run, CMD_AS_OPTIONAL, "RUN"},
    {"portrait", "portrait STUDENT",
     "a phase portrait: averaged-flow trajectories from a grid of starts",
     "Runs the averaged flow (as `flow`, algo=gd or ngd) from each of the "
     "starts=WxH cell centres (default 8x8, at most 2500 starts) of a plane "
     "of two blow-down coordinates of STUDENT's chart (mlp2: w, z, v, u; "
     "x=COORD:FROM..TO and y=COORD:FROM..TO, FROM < TO), every flow to t = "
     "TMAX (default 1e5) with 100 log-spaced records. The fast variables "
     "come first: at each start the other coordinates are set where L = "
     "KL(teacher || student) is smallest with the plane's two held (BFGS "
     "from STUDENT's own values, then Newton steps), so the flow starts on "
     "the slow manifold. Each start lands on the teacher (L below 1e-3 of "
     "the line's L*), on a singular set (its distance below 1e-3 and a "
     "tenth of the start's), is still moving at TMAX, started on a "
     "singular set (invariant there: no landing), diverged or failed (the "
     "reason kept). For mlp2 with d = 1 in the (z, u) plane under gd the "
     "overlap line u = 0 is split where the reduced dynamics' normal drift "
     "u'/u = 4 eta kappa (1 - z^2)/(1 + z^2) changes sign (kappa from the "
     "curvature of L across the line): it attracts where the drift is "
     "negative (|z| > 1 when kappa > 0: the Milnor attractor) and repels "
     "elsewhere. `show` lists the landings and the reduced theory's "
     "prediction, `plot` draws the picture, `export` writes every "
     "trajectory with its start index. Ctrl-C keeps the finished starts. "
     "Stored as P (default `portrait`).\n\n"
     "    model t mlp2 w1=1 w2=1 J1=0.5 J2=2\n"
     "    model s mlp2 w1=0.8 w2=0.8 J1=1.4 J2=1.41\n"
     "    portrait s teacher=t x=z:-0.5..2.5 y=u:-1..1 as P\n"
     "    plot P",
     cmd_portrait, COMPL_MODEL, portrait_opts, &obj_portrait,
     CMD_AS_OPTIONAL, "P"},
    {"train", "train STUDENT",
     "train a model by a discrete learning rule, recording the trajectory",
     "Runs steps=N steps of a training rule on a copy of the model STUDENT "
     "(the model itself is not moved) and stores the trajectory as RUN "
     "(default `run`). The loss of an example is -log p; only free "
     "parameters move, clamped to their bounds.\n"
     "  sgd   online: batch=B fresh examples of teacher=T per step "
     "(default 1), theta -= eta * mean gradient\n"
     "  gd    batch gradient descent on data=D (mean log-likelihood; a "
     "series through the exact Kalman likelihood)\n"
     "  ngd   theta -= eta (G + damping I)^+ gradient, G the student's "
     "exact FIM; the gradient of data=D, else of fresh teacher batches. "
     "Eigenvalues below rcond of the largest are dropped (a "
     "pseudo-inverse): the run says at how many steps; on a singular set "
     "with damping=0 a warning says so first\n"
     "  angd  Park-Amari-Fukumizu: per example with score s, Ginv <- "
     "(1+e) Ginv - e (Ginv s)(Ginv s)^T, theta -= eta Ginv gradient; Ginv "
     "starts at I, e = eps (default 0.01) or with schedule=decay "
     "eps/(1 + eps n) after n examples; fresh teacher examples or the "
     "rows of data=D in turn\n"
     "  em    one EM step on data=D per step (gmm)\n"
     "Mini-batch sgd over a data set (Liao et al.): algo=sgd data=D "
     "epochs=E batch=B (instead of steps=) makes E passes over D, each in "
     "a fresh random order (seed=, stream 22) cut into floor(n/B) batches "
     "of B rows, one step each (a teacher only gives the generalisation "
     "error). Every step takes the B per-sample loss gradients J_k over "
     "the free parameters and, through their B x B Gram, its singular "
     "values, the truncated condition number c_k = s_1/s_r (singular "
     "values below 1e-6 s_1 not counted), the energy l_k = (eta/B) "
     "||J_k||_F and their running means C_K and L_K; test=D2 adds the "
     "test loss at every record. The run's table gains these columns and "
     "the batch's singular values; `plot RUN y=c_k` (l_k, C_K, L_K, "
     "test) draws them. For a dnn student, gd and mini-batch sgd also "
     "report the critical learning rate 2/lambda_max, lambda_max of the "
     "Gauss-Newton matrix of the training loss at the start (from its "
     "nC x nC dual): full-batch gd below it is locally stable, above it "
     "the loss grows along the top eigenvector.\n"
     "Records every record=K steps (default: about 1000 records), the "
     "first and last step always: the generalisation error KL(teacher || "
     "student) per observation, the training loss on data=D, every "
     "parameter, the blow-down coordinates and the distances to the "
     "singular sets; eig=K adds the exact FIM spectrum every K records. "
     "steps is at most 1e12. Fresh examples come from the stream of seed= "
     "(default: the session generator): the same seed gives the same "
     "numbers. A non-finite loss or parameter, or a step out of the "
     "valid region, stops the run (`diverged`), keeping the records. "
     "Ctrl-C keeps the records so far.\n\n"
     "    model t mlp2 d=2 w1=1 w2=1 J1=[1,0] J2=[0,1]\n"
     "    model m mlp2 d=2 w1=0.5 w2=0.4 J1=[0.3,0.1] J2=[0.2,0.2]\n"
     "    train m teacher=t algo=sgd eta=0.01 steps=1e6 seed=1 as r\n"
     "    train g algo=em data=d eta=1 steps=200 as e\n"
     "    train n algo=sgd data=d test=d2 batch=16 eta=0.05 epochs=5 as r",
     cmd_train, COMPL_MODEL, train_opts, &obj_run, CMD_AS_OPTIONAL, "RUN"},
    {"sweep", "sweep STUDENT",
     "mini-batch sgd over a grid of batch sizes and learning rates",
     "Runs `train STUDENT algo=sgd data=D epochs=E batch=B eta=ETA` for "
     "every B of batches= and every ETA of lrs= (batch-major), each from "
     "the student's point on a copy, run r shuffling from stream (seed, "
     "23, r), on the replicate runner's threads (the numbers do not "
     "depend on them), and stores per run the running means C_K (truncated "
     "condition number) and L_K (energy) after its last step with the "
     "final training, test (test=D2) and generalisation (teacher=T) "
     "losses, as SWEEP (default `sweep`). `show` also gives the critical "
     "learning rate 2/lambda_max of a dnn student and each rate over it; "
     "`plot` draws the runs in the (C_K, L_K) plane, log-log, shaped and "
     "coloured by the tercile of their final test loss (+ lowest, x "
     "middle, a square highest, a dot diverged). Each batch size must fit "
     "the data. Ctrl-C keeps the runs finished in order from the first.\n\n"
     "    sweep n data=d test=d2 batches=[8,32] lrs=[0.01,0.1] epochs=5 "
     "as sw\n"
     "    plot sw",
     cmd_sweep, COMPL_MODEL, sweep_opts, &obj_sweep, CMD_AS_OPTIONAL,
     "SWEEP"},
    {"replicate", "replicate NAME",
     "the sampling distribution of a FIM estimator over replicates",
     "Draws reps=R independent samples of n=N observations from the model "
     "NAME at its current point (replicate r from its own random stream "
     "of the seed, so the table is the same on any number of threads), "
     "computes the FIM estimator method= (empirical: the mean outer "
     "product of the scores; observed: minus the mean Hessian) on each, "
     "and stores a replicate table: one row per replicate with every "
     "free entry G[a,b] (a <= b), log det G and the smallest eigenvalue "
     "lambda_min (the spectrum `eig` computes). When the family has an "
     "exact FIM its values are the references. `show TABLE` prints per "
     "column the count of finite values, mean, SD, the standard error of "
     "the mean (SD/sqrt(n)), the 5%, 50% and 95% quantiles (R's type 7), "
     "min, max, the reference and z = (mean - ref)/se (the entries are "
     "unbiased for the exact FIM when the model is true, so |z| stays "
     "small; log det and lambda_min are nonlinear in G and their means "
     "differ from the exact values by a bias of order 1/n, which z then "
     "shows); `export TABLE "
     "t.csv` writes one row per replicate (non-finite values empty); "
     "`plot TABLE col=NAME bins=K` draws a histogram of one column with "
     "the mean and the reference marked. In the full-screen UI the "
     "histogram grows in the focused pane while the replicates run. "
     "Ctrl-C keeps the replicates finished (the first k: the same rows a "
     "full run has). shard=I/N with seed= runs the I-th of N slices of the "
     "replicates (the same rows the full run has there), for a cluster: "
     "`export` each and `merge` the files.\n\n"
     "    replicate g n=1000 reps=500 seed=1 as T\n"
     "    plot T col=\"w1,w2\"\n"
     "    replicate g n=200 reps=100 method=observed as T2",
     cmd_replicate, COMPL_MODEL, replicate_opts, &obj_reptable, CMD_AS_REQUIRED, "TABLE"},
    {"llr", "llr",
     "the Monte-Carlo distribution of the likelihood-ratio statistic 2LLR",
     "Draws reps=R data sets of n=N observations from truth=T (at its "
     "point; replicate r from its own stream of seed=), fits the null "
     "null=M0 and the alternative alt=M1 to each by maximum likelihood "
     "(starts=J per fit: M1's first start is M0's estimate, so l1 >= l0; "
     "the others spread over the bounded parameters' ranges) and stores "
     "the distribution of 2LLR = 2 (l1 - l0). M0 must be nested in M1: "
     "the same family and options, every parameter free in M0 free in M1 "
     "(within M1's range), every parameter fixed in M0 but free in M1 "
     "fixed inside M1's range, the others fixed at the same values; k = "
     "free(M1) - free(M0) >= 1. The truth must give data of M1's kind. "
     "It reports the mean (with its standard error), quantiles, the "
     "rejection rate at chi^2_k's 95% point, the Kolmogorov distance to "
     "chi^2_k (with its p-value) and, where theory gives the limit law "
     "at a singular truth (docs/theory.md), sims=L draws of it (the sup "
     "of a squared Gaussian process on a grid) with the rate at its 95% "
     "point and the two-sample Kolmogorov distance: gmm in Hartigan's "
     "form (v, w2 free, w1 fixed, w2 bounded, truth N(w1, s^2)) and "
     "ARMA(1,1) against white noise (ma1 bounded inside (-1, 1)); for "
     "others it says why none. Fits that do not converge are counted "
     "and listed by replicate; a replicate whose fit fails has no 2LLR "
     "and is counted. reps= is at most " STR(LLR_REPS_MAX) ". The "
     "replicates run on every core with the same numbers for any thread "
     "count; Ctrl-C keeps the finished ones (the first k) and says so. "
     "`export EXP f.csv` writes one row per replicate (2llr, l0, l1, "
     "convergence, iterations, fail, M1's estimate); `plot EXP` draws "
     "the histogram with the chi^2_k and limit densities.\n\n"
     "    model m0 gmm v=0 w1=0 w2=0\n"
     "    fix m0 v w1 w2\n"
     "    model m1 gmm v=0.5 w1=0 w2=0.5\n"
     "    fix m1 w1\n"
     "    bound m1 w2=-1..1\n"
     "    llr truth=m0 null=m0 alt=m1 n=1000 reps=2000 seed=5 as e\n"
     "    plot e",
     cmd_llr, COMPL_NONE, llr_opts, &obj_llr, CMD_AS_REQUIRED, "EXP"},
    {"fit", "fit NAME",
     "the maximum-likelihood estimate of a model's free parameters on a data set",
     "Maximises the log-likelihood of data=D over the free parameters of "
     "the model NAME (fixed ones keep their values) from starts=K starting "
     "points: the model's point, a deterministic spread, then random ones "
     "from the stream of seed= (the same seed, the same fit). The route is "
     "the family's (method=auto):\n"
     "  em    EM steps (gmm), within the parameter bounds\n"
     "  pacf  BFGS on the exact Kalman likelihood over partial "
     "autocorrelations tanh(u) (arma): stationary and invertible at every "
     "iterate; the innovation variance sigma2 is estimated too (profiled "
     "out: sigma2 = S/n), reported with its SE and counted in k for "
     "AIC, BIC and MDL\n"
     "  lm    Levenberg-Marquardt on the residuals (y - f(x))/sigma "
     "(mlp2)\n"
     "  profile  gmm (k=2, s known) with v free, one mean free in a finite "
     "range (bound) and the other fixed, or both fixed: the global maximum "
     "of max_v l over the mean (grid, then Brent; v by Newton), one start; "
     "auto picks it there\n"
     "Prints every parameter (free or fixed) with its standard error from "
     "the observed information at the estimate (none, with the reason, when "
     "that is not positive definite, the optimum is on a bound, or it lies "
     "within 3/sqrt(n) of a singular set), the maximised log-likelihood l, "
     "the iterations and how the best start stopped, and with k free "
     "parameters AIC = -2l + 2k, BIC = -2l + k log n, MDL = -l + (k/2) log n. "
     "A gmm estimate whose means are all free is labelled w1 <= w2 <= "
     "... With "
     "nothing free it gives the log-likelihood at the point (k = 0). `show "
     "FIT` prints it again; `export FIT f.csv` (or --format csv) writes one "
     "field per line: loglik, n, k, aic, bic, mdl, iterations, converged, "
     "starts, converged_starts, each parameter, se_ of each free one (and "
     "sigma2, se_sigma2 for arma). "
     "Ctrl-C keeps the best of the starts finished (without standard "
     "errors, and says so).\n\n"
     "    model g gmm v=0.3 w1=-1 w2=1.5\n"
     "    sample g n=1000 seed=1 as d\n"
     "    fit g data=d as f\n"
     "    model a arma ar=[0.5] ma=[0.3]\n"
     "    sample a n=500 seed=2 as x\n"
     "    fit a data=x starts=4 as fa",
     cmd_fit, COMPL_MODEL, fit_opts, &obj_fit, CMD_AS_OPTIONAL, "FIT"},
    {"merge", "merge FILE...",
     "an experiment's shards, run apart, put back together",
     "Reads shard files (the CSV `export` of an experiment run with "
     "shard=I/N, or of a whole run) and builds the result one run of the "
     "experiment gives: the same numbers, the same `show`, `plot` and "
     "`export`. The files must come from the same experiment (the command "
     "in their '# experiment:' line and the fingerprint of the models and "
     "data it names, and of this version of singscope) and hold every "
     "replicate exactly once. The session must hold the same models and "
     "data the shards were run with (run the same script first): merge "
     "replays the experiment's command with the rows read instead of "
     "computed, and refuses when an object differs. Patterns in quotes "
     "(\"shard-*.csv\") are expanded.\n\n"
     "    replicate g n=1000 reps=4000 seed=7 shard=1/4 as T1\n"
     "    export T1 shard-1.csv\n"
     "    # ... shards 2..4, on other machines ...\n"
     "    merge shard-1.csv shard-2.csv shard-3.csv shard-4.csv as T",
     cmd_merge, COMPL_FILE, NULL, &obj_merged, CMD_AS_REQUIRED, "RESULT"},
    {"select", "select",
     "how often AIC, BIC and MDL pick each model as n grows",
     "For each sample size n in n=[...] and each of reps=R replicates, "
     "draws n observations from the model truth=T, fits every model of "
     "models=[M1,M2,...] by maximum likelihood (as `fit`, starts=J starts "
     "each), and records which model each criterion picks: the smallest "
     "AIC = -2l + 2k, BIC = -2l + k log n or MDL = -l + (k/2) log n (MDL "
     "is BIC/2 and always agrees with it), the first listed on a tie, "
     "among the fits that reached an optimum. Every model must take the "
     "truth's data. It also draws a fresh test sample of the same n and "
     "estimates the penalty that would have been right: the optimism "
     "2E[l(train) - l(test)] of each fitted model (2k for a regular model, "
     "the AIC derivation), with its standard error, the truth's own "
     "log-likelihoods subtracted to remove their noise (docs/theory.md, "
     "Model selection experiments). Replicate r = rep x (number of sizes) "
     "+ j (size j) draws its data from the stream (seed, 12, r) and its "
     "test sample from (seed, 13, r): the numbers are the same on any "
     "number of threads. Fits stopped at maxiter are counted (nonconv, "
     "kept) and fits with no optimum are counted (failed, not compared). "
     "At most " STR(SELECT_REPS_MAX) " replicates per size, "
     STR(SELECT_TOTAL_MAX) " in all, " STR(SELECT_SIZES_MAX) " sizes and "
     STR(SELECT_MODELS_MAX) " models. `show EXP` prints, per n and model, "
     "the share of replicates each criterion picks it with its binomial "
     "SE, the counts of fits that did not converge, and the estimated "
     "right penalty next to 2k and k log n; `plot EXP [col=CRIT]` draws "
     "the shares against n (aic solid, bic dashed, mdl points); `export "
     "EXP e.csv` writes one row per (n, replicate). Ctrl-C keeps the "
     "replicates finished (the first k) and says how many.\n\n"
     "    model m0 gmm v=0 w1=0 w2=0\n"
     "    fix m0 v w1 w2\n"
     "    model m1 gmm v=0.5 w1=0 w2=0.5\n"
     "    fix m1 w1\n"
     "    bound m1 w2=-1..1\n"
     "    select truth=m0 models=[m0,m1] n=[20,200,2000] reps=500 seed=1 as e\n"
     "    plot e",
     cmd_select, COMPL_NONE, select_opts, &obj_select, CMD_AS_REQUIRED, "EXP"},
    {"load", "load FILE",
     "read a data set from a CSV file",
     "Reads a table of numbers from FILE (CSV) into the data set DATA, "
     "which every command taking data= accepts: one column for gmm, "
     "x1..xd,y for mlp2 (the inputs, then the response), one column (the "
     "series in time order) for arma. A data set is checked against a "
     "model by its number of columns where it is used. The first line is "
     "a header when one of its fields is not a number; cols= then chooses "
     "and orders columns by name (cols=[x, y]), and by position from 1 "
     "in any file (cols=[2, 3]). Fields are separated by ',', ';' or a "
     "tab, whichever occurs most often on the first line (decimal commas "
     "are not read); header names may be quoted. Numbers are read as C "
     "reads them, whatever the locale, so a file written by `export` "
     "loads back to the same bits. Blank lines, lines starting with '#' "
     "(the `#` line export writes), a UTF-8 byte-order mark and CRLF line "
     "ends are accepted. Refused, with FILE:LINE:COLUMN and nothing "
     "stored: a missing or empty file, a header without rows, a row with "
     "another number of fields than the first, a field that is not a "
     "number, empty (a missing value), NaN or infinite, an unknown name "
     "in cols=, and more values than the memory bound of data sets "
     "(2 GiB of doubles, as for `sample`). The file is read a block of "
     "lines at a time: only the kept numbers are held, and Ctrl-C stops "
     "it (nothing is stored).\n\n"
     "    load faithful.csv cols=[waiting] as w\n"
     "    load xy.csv cols=[2, 3] as d\n"
     "    load series.csv as x",
     cmd_load, COMPL_FILE, load_opts, &obj_data, CMD_AS_REQUIRED, "DATA"},
    {"loglik", "loglik NAME",
     "log-likelihood of a data set",
     "Prints the log-likelihood of the data set D under the model NAME at "
     "its current parameters: the sum of the family's log-likelihood terms "
     "(docs/theory.md), with the number of observations n and the mean "
     "per observation. For gmm the sum of log p(x_i) of the mixture; for "
     "mlp2 the Gaussian regression likelihood of y given x; for arma the "
     "exact Gaussian likelihood of the series (the Kalman filter), its "
     "first term from the stationary distribution. D must have the columns "
     "the model's data have.\n\n"
     "    loglik g data=d\n"
     "    loglik a data=x",
     cmd_loglik, COMPL_MODEL, loglik_opts, NULL, CMD_AS_NONE, NULL},
    {"export", "export OBJECT FILE",
     "write a stored object to a file",
     "Writes any stored object (model, data set, FIM, spectrum, path, map) "
     "to FILE: as CSV when the name ends in .csv; as the text picture that "
     "`plot` draws when it ends in .txt (tables for a model); as the text "
     "tables when it has no extension; or as format= says. Other "
     "extensions (.png, .pdf, ...) are refused: export writes text only. "
     "A CSV file holds one table under one `#` comment line naming the "
     "object, the command that made it and the model and point it came "
     "from (pandas: comment='#'; R: comment.char='#'); a path's power-law "
     "fits go to a second file NAME.fit.csv. In CSV an empty field is a "
     "value not available (an eigenvalue below the numerical floor, a "
     "failed point); a sampled FIM adds columns se_NAME, the standard "
     "error of the entry in that row and column NAME. A data set is "
     "streamed row by row. A regular file is replaced atomically (written "
     "to a temporary file, synced, renamed; symbolic links are followed and "
     "the old mode kept, a new file gets the umask's); one with several "
     "hard links is rewritten in place once the new content is complete; "
     "a device or FIFO (/dev/stdout) is written directly. Ctrl-C stops an "
     "export and leaves the old file as it was.\n\n"
     "    export d d.csv\n    export map logdet.csv\n"
     "    export path spectrum.txt width=100 height=30",
     cmd_export, COMPL_OBJECT, export_opts, NULL, CMD_AS_NONE, NULL},
    {"plot", "plot OBJECT",
     "draw a stored result",
     "Draws a stored result: a path as its eigenvalues against the distance "
     "to the singular set on log-log axes with the fitted power laws "
     "dashed; a map as a heat map with the singular sets drawn as lines and "
     "cells at the numerical floor in their own colour ('x' in text); a "
     "spectrum as bars; a FIM as a matrix of cells labelled by parameter "
     "(a diverging scale when entries have both signs); a data set as a "
     "histogram with the density it was drawn from (gmm), a scatter of y "
     "against x (mlp2) or a series (arma), the title saying when the "
     "model has changed since. Maps and FIMs take range=LO..HI (the colour "
     "scale; positive values for lambda_min and cond, whose scale is "
     "logarithmic) and palette= viridis (dark backgrounds), turbo (light "
     "and dark), light (light backgrounds) or coolwarm (diverging); paths "
     "take logx= and logy=, spectra logy=; other options are refused. "
     "A learning run is drawn as its generalisation and training losses "
     "against time on log-log axes (records with a time or loss <= 0 are "
     "left out and the title counts them); with x=NAME y=NAME as its "
     "trajectory in two parameters or blow-down coordinates, start (+) and "
     "end (square) marked, with every singular set that is the line "
     "NAME = -1, 0 or 1 in that plane drawn dashed (the overlap u = 0 and "
     "the lines z = +-1, where w2 or w1 vanishes, in the (z, u) plane); "
     "y=eig draws the recorded FIM spectrum against time (log y); x=t "
     "with y=NAME a coordinate against time. Up to four runs are drawn "
     "together by naming them one after another (plot R1 R2 R3: "
     "positional names, no commas), each with its own dash pattern and a "
     "legend; runs take x=, y=, logx= and logy=. "
     "Series are told apart by dash pattern and marker as well as colour. "
     "In the full-screen UI the plot goes to the "
     "focused plot pane or to pane in=N and is redrawn on resize; "
     "elsewhere it is printed as text at the terminal's width (or width= "
     "and height=), in braille and block characters, or ASCII when the "
     "locale is not UTF-8 or `ascii` is given; on a terminal (not NO_COLOR) "
     "in colour.\n\n"
     "    plot path\n    plot map in=2\n    plot d width=72 height=20 ascii\n"
     "    plot run1 run2\n    plot run1 x=z y=u",
     cmd_plot, COMPL_OBJECT, plot_opts,
     NULL, CMD_AS_NONE, NULL},
    {"plateaus", "plateaus RUN",
     "the plateaus of a learning run",
     "Lists the plateaus of a learning run: entry and exit time, length in "
     "decades, loss level, and the singular set the trajectory hugs there "
     "(the set with the smallest mean distance over the plateau) with that "
     "distance. The rule works on log time: at each record the rate "
     "rho = (ln L(t/10^h) - ln L(t*10^h)) / (2h), the fall of ln L per "
     "decade across a window of h = D/4 decades (clipped to the records, "
     "ln L linear in log t between them); a plateau is a maximal run of "
     "records with |rho| < T lasting at least D decades. A power law "
     "L ~ t^-k has rho = k ln 10 (4.6 for k = 2) and never forms one; "
     "rescaling time (another eta) changes nothing. Records with t <= 0 "
     "or a loss that is not positive are left out. A plateau the run "
     "never left (it ended on it: converged, or stopped too early) is "
     "marked so. The same list, with the default T and D, is part of "
     "`show RUN`. docs/theory.md, \"Plateaus\", derives the accuracy of "
     "the entry and exit (within h decades plus one record spacing).\n\n"
     "    plateaus run\n    plateaus run tol=0.02 span=1",
     cmd_plateaus, COMPL_OBJECT, plateaus_opts, NULL, CMD_AS_NONE, NULL},
    {"layout", "layout N|CxR|A+B[+C..][:P,..]",
     "arrange the panes of the full-screen UI",
     "Chooses the grid of panes. N: N panes side by side (1 to 4). CxR: C "
     "columns by R rows (2x2, the default: two plots, information and log; "
     "3x2; 1x2 stacks two). A+B[+C..]: rows of A, B, ... panes (1+2: one "
     "wide pane over two; 2+1+2). Grids go up to 4 rows and 9 panes. "
     "Without :P,.. the plot panes (1, 2, 5 to 9) come first and the "
     "information pane 3 and the log 4 last (one slot: pane 1; two: pane 1 "
     "and the log); :P,.. names the pane of each slot by the numbers in the "
     "titles, in quotes for the commas (layout \"3x2:1,2,5,6,3,4\", layout "
     "\"2:1,3\"). Only the panes shown take the focus "
     "and `plot in=N`; while the log is hidden, F4 shows it. Outside the "
     "full-screen UI it does nothing (so scripts run unchanged in batch "
     "mode); likewise plot's in= is ignored there.",
     cmd_layout, COMPL_NONE, NULL, NULL, CMD_AS_NONE, NULL},
    {"list", "list", "list stored objects",
     "Lists every named object (models, data sets, results) with its kind "
     "and the command that made it.",
     cmd_list, COMPL_NONE, NULL, NULL, CMD_AS_NONE, NULL},
    {"delete", "delete NAME ...", "remove stored objects",
     "Removes the named objects.", cmd_delete, COMPL_OBJECT, NULL, NULL,
     CMD_AS_NONE, NULL},
    {"format", "format text|csv", "choose how results are printed",
     "text: aligned, labelled tables (12 significant digits). csv: "
     "comma-separated tables with a header line, numbers in the shortest "
     "form that reads back exactly, for other tools.",
     cmd_format, COMPL_FORMAT, NULL, NULL, CMD_AS_NONE, NULL},
    {"seed", "seed N", "reseed the session random number generator",
     "Reseeds the session generator (Mersenne Twister, GSL mt19937) used "
     "by commands without their own seed=. The same seed gives the same "
     "numbers. N is a whole number from 0 to 18446744073709551615 "
     "(2^64 - 1) in plain digits; all 64 bits count.",
     cmd_seed, COMPL_NONE, NULL, NULL, CMD_AS_NONE, NULL},
    {"source", "source FILE", "run the commands in a script file",
     "Runs FILE statement by statement. Relative names are looked up next "
     "to the current script first, then in the working directory. Errors "
     "stop the script and name the file, line and column. Scripts may "
     "source others up to a depth of 16.",
     cmd_source, COMPL_FILE, NULL, NULL, CMD_AS_NONE, NULL},
    {"echo", "echo [TEXT ...]", "print text (narration in scenarios)",
     "Prints the rest of the statement as text, as written: up to an "
     "unquoted ';', '#' or the end of the line (a trailing backslash "
     "continues it). Quotes are removed and keep what is inside them "
     "exactly (with \\n and \\t for newline and tab); a quote right after a "
     "letter or digit is an apostrophe (it's); each run of blanks outside "
     "quotes prints as one space. Terminal control characters are "
     "shown, not sent: ESC as ^[, others as ^X or \\xNN.\n\n"
     "    echo Hello, world!\n"
     "    echo \"The FIM degenerates as w2 approaches w1; watch rank.\"",
     cmd_echo, COMPL_NONE, NULL, NULL, CMD_AS_NONE, NULL},
    {"help", "help [COMMAND|KIND]", "list commands or explain one",
     "Without argument, lists every command. With a command name, prints "
     "its usage and description; with a model kind, the model's formula, "
     "parameters and singular sets.",
     cmd_help, COMPL_COMMAND, NULL, NULL, CMD_AS_NONE, NULL},
    {"quit", "quit", "leave singscope (also: exit, Ctrl-D)",
     "Ends the session. History is saved.", cmd_quit, COMPL_NONE, NULL, NULL,
     CMD_AS_NONE, NULL},
    {"exit", "exit", "leave singscope (same as quit)",
     "Ends the session.", cmd_quit, COMPL_NONE, NULL, NULL, CMD_AS_NONE,
     NULL},
};

const cmd_def *cmd_table(size_t *n)
{
    *n = sizeof table / sizeof table[0];
    return table;
}

const cmd_def *cmd_find(const char *name)
{
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(table[i].name, name) == 0)
            return &table[i];
    return NULL;
}

static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return 99;
    size_t d[65][65];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            size_t sub = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            size_t del = d[i - 1][j] + 1, ins = d[i][j - 1] + 1;
            size_t best = sub < del ? sub : del;
            d[i][j] = best < ins ? best : ins;
            /* a swap of neighbours counts as one edit */
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
                a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < d[i][j])
                d[i][j] = d[i - 2][j - 2] + 1;
        }
    return d[la][lb];
}

const char *cmd_suggest(const char *name)
{
    const char *best = NULL;
    size_t bd = 99;
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        size_t d = edit_distance(name, table[i].name);
        if (d < bd) {
            bd = d;
            best = table[i].name;
        }
    }
    size_t len = strlen(name);
    return (bd <= 2 && bd < len) ? best : NULL;
}

/* ---- usage lines ----------------------------------------------------- */

typedef struct {
    char *buf;
    size_t n, len; /* len: what the whole text needs */
    size_t col, indent, hang, width;
    int fresh; /* nothing on the current line yet */
} usage_out;

static void usage_put(usage_out *u, const char *t, size_t len)
{
    for (size_t i = 0; i < len; i++, u->len++)
        if (u->len + 1 < u->n)
            u->buf[u->len] = t[i];
    if (u->n)
        u->buf[u->len < u->n ? u->len : u->n - 1] = 0;
}

static void usage_spaces(usage_out *u, size_t k)
{
    while (k--)
        usage_put(u, " ", 1);
}

/* One unit (never split): on the current line when it fits, else on a
 * continued line under the first argument. */
static void usage_unit(usage_out *u, const char *t, size_t len)
{
    if (!u->fresh && u->width && u->col + 1 + len > u->width) {
        usage_put(u, "\n", 1);
        usage_spaces(u, u->hang);
        u->col = u->hang;
    } else if (!u->fresh) {
        usage_put(u, " ", 1);
        u->col++;
    }
    usage_put(u, t, len);
    u->col += len;
    u->fresh = 0;
}

/* The words of a positional synopsis, each a unit. */
static void usage_words(usage_out *u, const char *t)
{
    while (*t) {
        size_t k = strcspn(t, " ");
        if (k)
            usage_unit(u, t, k);
        t += k;
        t += strspn(t, " ");
    }
}

static void usage_opt(usage_out *u, const cmd_opt *o, int bare)
{
    char use[512], unit[520];
    opt_usage(o, use, sizeof use);
    int n = snprintf(unit, sizeof unit, bare ? "%s" : "[%s]", use);
    usage_unit(u, unit, (size_t)n);
}

size_t cmd_usage(const cmd_def *c, size_t indent, size_t width, char *buf,
                 size_t n)
{
    usage_out u = {buf, n, 0, indent, indent, indent + strlen(c->name) + 1,
                   width, 1};
    if (n)
        buf[0] = 0;
    const char *nl = strchr(c->synopsis, '\n');
    size_t l1 = nl ? (size_t)(nl - c->synopsis) : strlen(c->synopsis);
    char first[256];
    snprintf(first, sizeof first, "%.*s", (int)l1, c->synopsis);
    usage_words(&u, first);
    for (const cmd_opt *o = c->opts; o && o->key; o++)
        if (!(o->flags & OPT_ALT))
            usage_opt(&u, o, o->kind != OPT_FLAG &&
                                 (o->flags & OPT_REQUIRED));
    if (c->as != CMD_AS_NONE) {
        char as[128];
        int k = snprintf(as, sizeof as,
                         c->as == CMD_AS_REQUIRED ? "as %s" : "[as %s]",
                         c->as_meta ? c->as_meta : "RESULT");
        usage_unit(&u, as, (size_t)k);
    }
    if (nl) {
        usage_put(&u, "\n", 1);
        usage_spaces(&u, indent);
        u.col = indent;
        u.fresh = 1;
        usage_words(&u, nl + 1);
        int others = c->as != CMD_AS_NONE;
        for (const cmd_opt *o = c->opts; o && o->key; o++) {
            if (o->flags & OPT_ALT)
                usage_opt(&u, o, 1);
            else
                others = 1;
        }
        if (others)
            usage_unit(&u, "...", 3);
    }
    return u.len;
}

void cmd_option_line(const cmd_opt *o, char *buf, size_t n)
{
    char use[512], detail[512];
    opt_usage(o, use, sizeof use);
    opt_detail(o, detail, sizeof detail);
    snprintf(buf, n, "%s: %s%s%s", use, o->help, *detail ? "; " : "",
             detail);
}

void cmd_write_markdown(const ss_sink *out)
{
    ss_sink_puts(out,
                 "# singscope command reference\n\n"
                 "Generated from the command table (`singscope "
                 "--commands-markdown`); `help COMMAND` prints the same "
                 "text.\n\n"
                 "A statement is `verb arguments key=value ... [as NAME]`; "
                 "`#` starts a comment, `;` separates statements, a "
                 "trailing `\\`, an open `[` or quote continue onto the "
                 "next line. Values: numbers (`1e-3`, `-0.5`), vectors "
                 "`[1, 0.5]`, ranges `0..1`, strings in quotes, names.\n\n");
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        const cmd_def *c = &table[i];
        char line[1024];
        cmd_usage(c, 4, 78, line, sizeof line);
        ss_sink_printf(out, "## %s\n\n    %s\n\n%s.\n\n", c->name, line,
                       c->summary);
        /* Indented example lines stay code blocks in Markdown. */
        ss_sink_printf(out, "%s\n\n", c->help);
        if (!c->opts || !c->opts[0].key)
            continue;
        ss_sink_puts(out, "Options:\n\n");
        for (const cmd_opt *o = c->opts; o->key; o++) {
            char use[512], detail[512];
            opt_usage(o, use, sizeof use);
            opt_detail(o, detail, sizeof detail);
            ss_sink_printf(out, "- `%s`: %s%s%s.\n", use, o->help,
                           *detail ? "; " : "", detail);
        }
        ss_sink_puts(out, "\n");
    }
}

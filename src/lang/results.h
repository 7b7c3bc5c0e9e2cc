/* Stored result objects that pair numbers with what they came from. */
#ifndef SS_RESULTS_H
#define SS_RESULTS_H

#include "design/popopt.h"
#include "fim/fim.h"
#include "fim/spectrum.h"
#include "infer/select.h"
#include "learn/plateau.h"
#include "learn/run.h"
#include "lang/session.h"

typedef struct {
    fim_result *fim;   /* owned */
    spec_result *spec; /* owned */
    char model[64];
} eig_obj;

void eig_obj_free(eig_obj *e);

/* "exact FIM (expected, per observation)", "mc FIM (Monte-Carlo, n
 * draws)", ...: what a FIM is, for titles and headings. */
void obj_fim_describe(char *buf, size_t n, const fim_result *f);

/* The plateaus of a run as a table (obj_run.c; `show` and `plateaus`). */
void obj_run_print_plateaus(session *s, const learn_run *r,
                            const learn_plateau *pl, size_t n);

/* The columns of a selection experiment's export after `rep` (M models,
 * C criteria): n, rep_at_n, the truth's log-likelihoods, four per model,
 * one per criterion. out holds OBJ_SELECT_NCOLS(M, C) names. */
#define OBJ_SELECT_NCOLS(M, C) (4 + 4 * (M) + (C))
size_t obj_select_colnames(const select_spec *sp, const char *const *names,
                           size_t M, char (*out)[96]);

/* A stored population design (`design`, `optimize`): the design, and
 * when `optimize` made it, its certificate (criterion, efficiency of the
 * start, sensitivity curve). */
typedef struct {
    pop_design *d;
    int optimized;
    popopt_result opt; /* optimized only; opt.design is NULL (moved to d) */
    od_kind crit;
    int refined;
    char model[64], from[64], fim_method[16];
} design_obj;
void design_obj_free(design_obj *o);

#endif

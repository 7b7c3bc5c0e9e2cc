/* A learning run: the trajectory a training rule or an averaged flow
 * leaves, one record per recorded time. The learning layer (src/learn/)
 * fills it; the result class (lang/obj_run.c) shows, plots and exports it.
 *
 * Each record holds the time (steps for a discrete rule, t for a flow),
 * the generalisation error KL(teacher || student) per observation (NaN
 * without a teacher or where the family has no KL), the training loss
 * (minus the mean log-likelihood per term of the training data; NaN
 * without data), every parameter, the family's blow-down coordinates
 * (when it has a chart and it is defined there; NaN otherwise), the
 * distance to each singular set, and optionally the FIM spectrum
 * (eig=K: every K-th record; NaN rows in between). Memory is
 * O(records x (P + coordinates + sets + spectrum)). */
#ifndef SS_LEARN_RUN_H
#define SS_LEARN_RUN_H

#include "core/status.h"
#include "model/model.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    /* what made it */
    char algo[16];                 /* "sgd", "gd", "ngd", "angd", "em",
                                      "flow gd", "flow ngd" */
    char student[64], teacher[64]; /* object names ("" when none) */
    char data[64];                 /* training data set ("" when none) */
    char kind[MODEL_NAME_MAX];     /* the student's family */
    double eta;
    uint64_t seed;                 /* sgd: the stream's seed */
    int is_flow;                   /* time is continuous (t), not steps */
    size_t P;
    char (*pnames)[MODEL_NAME_MAX]; /* P names */
    size_t ncoords;                 /* blow-down chart (0: none) */
    char (*cnames)[MODEL_NAME_MAX];
    size_t nsets;                   /* singular sets of the family */
    char (*snames)[64];
    size_t neig;                    /* spectrum length (0: not recorded) */
    size_t eig_every;               /* records between spectra */

    /* the records: n of cap */
    size_t n, cap;
    double *time;       /* n */
    double *gen;        /* n: KL(teacher || student), NaN if none */
    double *train;      /* n: training loss, NaN if none */
    double *theta;      /* n x P */
    double *coords;     /* n x ncoords, NaN where the chart is undefined */
    double *dist;       /* n x nsets */
    double *eig;        /* n x neig, descending, NaN rows where not taken */

    /* how it went */
    size_t steps_done, steps_asked; /* steps, or for a flow, 0 */
    double t_end;                   /* the time reached */
    int interrupted;                /* stopped by Ctrl-C */
    int diverged;                   /* stopped: non-finite loss/parameters */
    double diverged_at;             /* the time it happened */
    size_t regularised;             /* NGD: steps where G was damped or
                                       pseudo-inverted beyond the default */
    char note[256];                 /* what the run wants the user to know */

    /* Mini-batch measures of Liao et al. (train algo=sgd data=D
     * epochs=E; learn/liao.h): 0 / NULL otherwise. Record i holds those
     * of the step that led to it (NaN at step 0): the truncated
     * condition number c_k, the energy l_k, their running means over
     * steps 1..k, the test loss, and the batch's singular values. */
    int liao;
    size_t batch, nsv;              /* |B|; singular values a record */
    uint64_t epochs;
    double sv_cut;                  /* singular values below sv_cut x
                                       the largest are not counted */
    char test_data[64];             /* test data set ("" when none) */
    double *ck, *lk, *cbar, *lbar, *test; /* n each */
    double *sv;                     /* n x nsv, descending */
    /* The critical learning rate 2 / lambda_max of the Gauss-Newton
     * matrix of the training loss at the start (NaN: not computed, and
     * crit_note says why). */
    double crit_lr, gn_lmax;
    char crit_note[192];
} learn_run;

/* Give run r the mini-batch measures with nsv singular values a record
 * (before any record is taken). */
ss_status learn_run_liao_enable(learn_run *r, size_t nsv);
/* The measures of the last record (after learn_run_record). */
void learn_run_liao_set(learn_run *r, double ck, double lk, double cbar,
                        double lbar, double test, const double *sv);

/* A run for student m (its layout names, chart and singular sets), with
 * room for cap records (grown on demand); neig > 0 reserves the spectrum
 * of that length every eig_every records. NULL when out of memory. */
learn_run *learn_run_alloc(const model *m, size_t cap, size_t neig,
                           size_t eig_every);
void learn_run_free(learn_run *r);

/* Append one record at time t: theta (P values), the losses, and the
 * chart and singular distances computed from m's family at theta (m's own
 * theta is not read). eig (neig values, or NULL) is stored when this
 * record is an eig_every-th one. */
ss_status learn_run_record(learn_run *r, const model *m, double t,
                           const double *theta, double gen, double train,
                           const double *eig);

/* Whether record i carries a spectrum. */
int learn_run_has_eig(const learn_run *r, size_t i);

/* The index of the singular set nearest at record i (SIZE_MAX: none). */
size_t learn_run_nearest(const learn_run *r, size_t i);

#endif

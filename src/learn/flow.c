/* The averaged flow (flow.h).
 *
 * Integrator: GSL odeiv2's msbdf (variable-order, variable-step BDF in
 * Nordsieck form) driven by gsl_odeiv2_driver. Why BDF: on a plateau the
 * trajectory creeps along a singular set at a rate of order |u|^2 or
 * less, while the fast variables (w, v relaxed to the best one-unit fit)
 * are pulled back at a rate of order eta: the stiffness ratio grows like
 * 1/|u|^2 and a plateau lasts ~1/u0. An explicit method (rk8pd, rkf45)
 * is held to steps ~ 1/eta by stability for the whole plateau (10^5 steps
 * to t = 10^5); BDF takes steps of the size the slow motion allows, which
 * grow with t (log-spaced record times are reached in a few steps each).
 * Its Newton iteration needs the Jacobian of the right-hand side, taken
 * here by forward differences of the analytic gradient (k extra
 * evaluations; it only steers Newton's convergence, not the accuracy,
 * which the error control sets).
 *
 * Error control: relative tol per step on every free parameter, absolute
 * tol x FLOW_ABS_SCALE x max(1, |theta0|_inf): a parameter that decays
 * to 0 is still controlled where it matters for L, and one that is tiny
 * beside the others (two input weights of 1e-3 under output weights of
 * 1e3) is not held to a precision the gradient's rounding cannot give,
 * which made the controller crawl (10^7 evaluations for t = 10^4). The gd default tol = 1e-13 keeps L
 * to 3e-9 relative through a plateau and its escape, measured against an
 * independent rk8pd integration at tol 1e-14 (tests/unit/test_flow.c);
 * BDF's error scales with tol (1.4e-8 at 1e-12, 5.5e-7 at 1e-10), and
 * 1e-13 costs about four times the work of 1e-10. NGD's right-hand side
 * carries the rounding of G^-1 grad L, about cond(G) eps, which grows
 * without bound on the way to a singular set: past tol ~ 1e-10 the
 * controller only shrinks steps to chase that noise (on the
 * over-realisable NGD test, 1e-11 costs ten times 1e-10 and 1e-13 five
 * hundred times, with no gain in L), so its default is 1e-10 (L to 1e-7
 * relative there). */
#include "learn/flow.h"

#include "core/interrupt.h"
#include "fim/estimator.h"
#include "fim/spectrum.h"

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_odeiv2.h>
#include <gsl/gsl_sort_vector.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FLOW_ABS_SCALE 1e-3
/* Steps the driver may take between two record times before it gives up
 * (a record interval never needs nearly as many). */
#define FLOW_NMAX 2000000
/* More gradient evaluations than this at tol < 1e-10 earn a note. */
#define FLOW_NFEV_NOTE 2000000

struct flow_iter {
    flow_spec sp;
    model *m;       /* the student, moved along the flow */
    model *teacher; /* a copy */
    size_t P, k;
    size_t *idx;    /* free indices */
    double *theta, *grad, *y, *f0, *f1, *ytmp;
    double *sx, *sc; /* the pseudo-inverse's scratch */
    /* NGD */
    fim_ws *fw;
    gsl_matrix *A, *evec;
    gsl_vector *eval, *b;
    gsl_eigen_symmv_workspace *ev_ws;
    gsl_eigen_symm_workspace *e_ws;
    gsl_matrix *Aeig;
    gsl_vector *eig1;
    double *eigbuf;
    /* integrator */
    gsl_odeiv2_system sys;
    gsl_odeiv2_driver *drv;
    double t;
    double *times; /* record times after 0 */
    size_t ntimes, next;
    int done;
    ss_status rhs_err; /* an error (not a divergence) met in the RHS */
    int rhs_nonfinite;
    size_t nfev, nreg;
    learn_run *run;
};

/* theta (free entries from y) -> the KL and its gradient at it. */
static ss_status eval_grad(flow_iter *it, const double *y, double *kl)
{
    for (size_t j = 0; j < it->k; j++)
        it->theta[it->idx[j]] = y[j];
    return it->m->type->kl_grad(it->m, it->theta, it->teacher, kl, it->grad);
}

/* G over the free parameters at it->theta into it->A (k x k). */
static ss_status fim_at(flow_iter *it)
{
    fim_request rq = {.method = FIM_EXACT, .no_root = 1};
    ss_status st = fim_ws_compute(it->fw, it->theta, &rq);
    if (st != SS_OK)
        return st;
    gsl_matrix_memcpy(it->A, fim_ws_result(it->fw)->G);
    return SS_OK;
}

/* x = (G + damping I)^+ b in place of b (it->b), G in it->A (destroyed). */
static ss_status ngd_solve(flow_iter *it)
{
    size_t k = it->k;
    if (it->sp.damping > 0) {
        for (size_t i = 0; i < k; i++)
            gsl_matrix_set(it->A, i, i,
                           gsl_matrix_get(it->A, i, i) + it->sp.damping);
        gsl_error_handler_t *old = gsl_set_error_handler_off();
        int rc = gsl_linalg_cholesky_decomp1(it->A);
        if (rc == GSL_SUCCESS)
            rc = gsl_linalg_cholesky_svx(it->A, it->b);
        gsl_set_error_handler(old);
        if (rc != GSL_SUCCESS)
            return SS_FAIL(SS_ERR_NUMERIC,
                           "NGD: G + damping I is not positive definite");
        return SS_OK;
    }
    ss_status st = spec_symm_eigenv(it->A, it->eval, it->evec, it->ev_ws);
    if (st != SS_OK)
        return st;
    double lmax = 0;
    for (size_t i = 0; i < k; i++)
        lmax = fmax(lmax, gsl_vector_get(it->eval, i));
    double cut = FLOW_PINV_RCOND * lmax;
    double *x = it->sx, *c = it->sc;
    int dropped = 0;
    for (size_t i = 0; i < k; i++) {
        double s = 0;
        for (size_t r = 0; r < k; r++)
            s += gsl_matrix_get(it->evec, r, i) * gsl_vector_get(it->b, r);
        double l = gsl_vector_get(it->eval, i);
        if (l > cut && l > 0)
            c[i] = s / l;
        else {
            c[i] = 0;
            dropped = 1;
        }
    }
    for (size_t r = 0; r < k; r++) {
        x[r] = 0;
        for (size_t i = 0; i < k; i++)
            x[r] += gsl_matrix_get(it->evec, r, i) * c[i];
    }
    for (size_t r = 0; r < k; r++)
        gsl_vector_set(it->b, r, x[r]);
    if (dropped)
        it->nreg++;
    return SS_OK;
}

static int rhs(double t, const double *y, double *dydt, void *params)
{
    (void)t;
    flow_iter *it = params;
    it->nfev++;
    for (size_t j = 0; j < it->k; j++)
        if (!isfinite(y[j])) {
            it->rhs_nonfinite = 1;
            return GSL_EBADFUNC;
        }
    double kl;
    ss_status st = eval_grad(it, y, &kl);
    if (st != SS_OK) {
        it->rhs_err = st;
        return GSL_EBADFUNC;
    }
    if (it->sp.algo == FLOW_GD) {
        for (size_t j = 0; j < it->k; j++)
            dydt[j] = -it->sp.eta * it->grad[it->idx[j]];
    } else {
        st = fim_at(it);
        for (size_t j = 0; st == SS_OK && j < it->k; j++)
            gsl_vector_set(it->b, j, it->grad[it->idx[j]]);
        if (st == SS_OK)
            st = ngd_solve(it);
        if (st != SS_OK) {
            it->rhs_err = st;
            return GSL_EBADFUNC;
        }
        for (size_t j = 0; j < it->k; j++)
            dydt[j] = -it->sp.eta * gsl_vector_get(it->b, j);
    }
    for (size_t j = 0; j < it->k; j++)
        if (!isfinite(dydt[j])) {
            it->rhs_nonfinite = 1;
            return GSL_EBADFUNC;
        }
    return GSL_SUCCESS;
}

/* Forward differences of the right-hand side (autonomous: dfdt = 0). */
static int jac(double t, const double *y, double *dfdy, double *dfdt,
               void *params)
{
    flow_iter *it = params;
    size_t k = it->k;
    int rc = rhs(t, y, it->f0, params);
    if (rc != GSL_SUCCESS)
        return rc;
    memcpy(it->ytmp, y, k * sizeof *y);
    for (size_t j = 0; j < k; j++) {
        double h = 1.5e-8 * fmax(fabs(y[j]), 1e-2);
        volatile double yh = y[j] + h;
        h = yh - y[j];
        it->ytmp[j] = yh;
        rc = rhs(t, it->ytmp, it->f1, params);
        it->ytmp[j] = y[j];
        if (rc != GSL_SUCCESS)
            return rc;
        for (size_t i = 0; i < k; i++)
            dfdy[i * k + j] = (it->f1[i] - it->f0[i]) / h;
    }
    for (size_t i = 0; i < k; i++)
        dfdt[i] = 0;
    return GSL_SUCCESS;
}

/* Record the state y at time t (the KL recomputed there; the spectrum of
 * G when this record takes one). */
static ss_status record(flow_iter *it, double t, const double *y)
{
    double kl;
    ss_status st = eval_grad(it, y, &kl);
    if (st != SS_OK)
        return st;
    const double *eig = NULL;
    if (it->sp.eig_every && learn_run_has_eig(it->run, it->run->n)) {
        st = fim_at(it);
        if (st == SS_OK) {
            gsl_matrix_memcpy(it->Aeig, it->A);
            st = spec_symm_eigen(it->Aeig, it->eig1, it->e_ws);
        }
        if (st != SS_OK)
            return st;
        gsl_sort_vector(it->eig1);
        for (size_t i = 0; i < it->k; i++)
            it->eigbuf[i] = gsl_vector_get(it->eig1, it->k - 1 - i);
        eig = it->eigbuf;
    }
    return learn_run_record(it->run, it->m, t, it->theta, kl, NAN, eig);
}

void flow_iter_free(flow_iter *it)
{
    if (!it)
        return;
    if (it->drv)
        gsl_odeiv2_driver_free(it->drv);
    fim_ws_free(it->fw);
    if (it->A)
        gsl_matrix_free(it->A);
    if (it->evec)
        gsl_matrix_free(it->evec);
    if (it->Aeig)
        gsl_matrix_free(it->Aeig);
    if (it->eval)
        gsl_vector_free(it->eval);
    if (it->eig1)
        gsl_vector_free(it->eig1);
    if (it->b)
        gsl_vector_free(it->b);
    if (it->ev_ws)
        gsl_eigen_symmv_free(it->ev_ws);
    if (it->e_ws)
        gsl_eigen_symm_free(it->e_ws);
    free(it->eigbuf);
    free(it->idx);
    free(it->theta);
    free(it->grad);
    free(it->y);
    free(it->f0);
    free(it->f1);
    free(it->ytmp);
    free(it->sx);
    free(it->sc);
    free(it->times);
    learn_run_free(it->run);
    model_free(it->m);
    model_free(it->teacher);
    free(it);
}

ss_status flow_iter_alloc(const model *student, const model *teacher,
                          const flow_spec *sp, flow_iter **out)
{
    *out = NULL;
    const model_type *t = student->type;
    if (!t->kl_grad)
        return SS_FAIL(SS_ERR_USAGE,
                       "flow: the %s family has no generalisation-error "
                       "gradient (kl_grad), so it has no averaged flow",
                       t->name);
    if (teacher->type != t)
        return SS_FAIL(SS_ERR_USAGE,
                       "flow: the teacher is a %s, the student a %s (the "
                       "flow needs a teacher of the student's family)",
                       teacher->type->name, t->name);
    ss_status st = model_data_compatible(student, teacher);
    if (st != SS_OK)
        return st;
    if (!(sp->eta > 0) || !isfinite(sp->eta))
        return SS_FAIL(SS_ERR_RANGE, "flow: eta must be positive and "
                                     "finite (got %g)",
                       sp->eta);
    if (!(sp->tmax > 0) || !isfinite(sp->tmax))
        return SS_FAIL(SS_ERR_RANGE,
                       "flow: t must be positive and finite (got %g)",
                       sp->tmax);
    if (sp->records < 1)
        return SS_FAIL(SS_ERR_RANGE, "flow: records must be at least 1");
    if (!(sp->tol >= 0 && sp->tol < 1))
        return SS_FAIL(SS_ERR_RANGE, "flow: tol must be in (0, 1)");
    if (!(sp->damping >= 0) || !isfinite(sp->damping))
        return SS_FAIL(SS_ERR_RANGE,
                       "flow: damping must be >= 0 and finite");
    size_t *idx = NULL, k = 0;
    st = model_free_index_list(student, &idx, &k);
    if (st != SS_OK)
        return st;
    flow_iter *it = calloc(1, sizeof *it);
    if (!it) {
        free(idx);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    it->sp = *sp;
    if (it->sp.tol == 0)
        it->sp.tol = sp->algo == FLOW_NGD ? FLOW_TOL_NGD_DEFAULT
                                          : FLOW_TOL_GD_DEFAULT;
    it->idx = idx;
    it->k = k;
    it->P = student->P;
    it->m = model_clone(student);
    it->teacher = model_clone(teacher);
    it->theta = malloc(it->P * sizeof(double));
    it->grad = malloc(it->P * sizeof(double));
    it->y = malloc(k * sizeof(double));
    it->f0 = malloc(k * sizeof(double));
    it->f1 = malloc(k * sizeof(double));
    it->ytmp = malloc(k * sizeof(double));
    it->sx = malloc(k * sizeof(double));
    it->sc = malloc(k * sizeof(double));
    size_t nt = sp->records;
    it->times = malloc(nt * sizeof(double));
    if (!it->m || !it->teacher || !it->theta || !it->grad || !it->y ||
        !it->f0 || !it->f1 || !it->ytmp || !it->sx || !it->sc ||
        !it->times) {
        flow_iter_free(it);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    memcpy(it->theta, student->theta, it->P * sizeof(double));
    for (size_t j = 0; j < k; j++)
        it->y[j] = it->theta[idx[j]];
    /* t_i = tmax * f^(1 - i/(N-1)), i = 0..N-1: log-spaced from
     * FLOW_T1_FRACTION tmax to tmax, the last exactly tmax */
    for (size_t i = 0; i < nt; i++)
        it->times[i] =
            nt == 1 ? sp->tmax
                    : sp->tmax * pow(FLOW_T1_FRACTION,
                                     1.0 - (double)i / (double)(nt - 1));
    it->times[nt - 1] = sp->tmax;
    it->ntimes = nt;

    int need_fim = sp->algo == FLOW_NGD || sp->eig_every > 0;
    if (need_fim) {
        const fim_estimator *ex = fim_estimator_find("exact");
        fim_request rq = {.method = FIM_EXACT, .no_root = 1};
        st = ex ? ex->check(student, &rq)
                : SS_FAIL(SS_ERR_USAGE, "no exact FIM estimator");
        if (st == SS_OK)
            st = fim_ws_alloc(student, ex, &it->fw);
        if (st == SS_OK) {
            it->A = gsl_matrix_alloc(k, k);
            it->Aeig = gsl_matrix_alloc(k, k);
            it->evec = gsl_matrix_alloc(k, k);
            it->eval = gsl_vector_alloc(k);
            it->eig1 = gsl_vector_alloc(k);
            it->b = gsl_vector_alloc(k);
            it->ev_ws = gsl_eigen_symmv_alloc(k);
            it->e_ws = gsl_eigen_symm_alloc(k);
            it->eigbuf = malloc(k * sizeof(double));
            if (!it->A || !it->Aeig || !it->evec || !it->eval || !it->eig1 ||
                !it->b || !it->ev_ws || !it->e_ws || !it->eigbuf)
                st = SS_FAIL(SS_ERR_NOMEM, "out of memory");
        }
        if (st != SS_OK) {
            flow_iter_free(it);
            return st;
        }
    }
    if (sp->algo == FLOW_NGD && sp->damping == 0) {
        model_singular *sets = NULL;
        size_t ns = 0;
        st = model_singular_list(student, student->theta, &sets, &ns);
        for (size_t i = 0; st == SS_OK && i < ns; i++)
            if (sets[i].distance == 0)
                st = SS_FAIL(SS_ERR_RANGE,
                             "flow algo=ngd: the student is on the singular "
                             "set %s (%s), where G has no inverse; give "
                             "damping=E (> 0) or move it off the set",
                             sets[i].name, sets[i].effect);
        free(sets);
        if (st != SS_OK) {
            flow_iter_free(it);
            return st;
        }
    }
    it->run = learn_run_alloc(student, nt + 1, sp->eig_every ? k : 0,
                              sp->eig_every ? sp->eig_every : 1);
    if (!it->run) {
        flow_iter_free(it);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    learn_run *r = it->run;
    snprintf(r->algo, sizeof r->algo, "flow %s",
             sp->algo == FLOW_GD ? "gd" : "ngd");
    snprintf(r->kind, sizeof r->kind, "%s", t->name);
    r->eta = sp->eta;
    r->is_flow = 1;
    st = record(it, 0.0, it->y);
    if (st == SS_OK && !isfinite(r->gen[0]))
        st = SS_FAIL(SS_ERR_NUMERIC, "flow: the loss at the start is not "
                                     "finite");
    if (st != SS_OK) {
        flow_iter_free(it);
        return st;
    }
    it->sys = (gsl_odeiv2_system){rhs, jac, k, it};
    double h0 = fmin(1e-3 / sp->eta, it->times[0]);
    double ymax = 1;
    for (size_t j = 0; j < k; j++)
        ymax = fmax(ymax, fabs(it->y[j]));
    it->drv = gsl_odeiv2_driver_alloc_standard_new(
        &it->sys, gsl_odeiv2_step_msbdf, h0,
        it->sp.tol * FLOW_ABS_SCALE * ymax,
        it->sp.tol, 1.0, 0.0);
    if (!it->drv) {
        flow_iter_free(it);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    gsl_odeiv2_driver_set_nmax(it->drv, FLOW_NMAX);
    *out = it;
    return SS_OK;
}

ss_status flow_iter_iterate(void *state)
{
    flow_iter *it = state;
    if (it->done)
        return SS_OK;
    double t1 = it->times[it->next];
    it->rhs_nonfinite = 0;
    it->rhs_err = SS_OK;
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    int rc = gsl_odeiv2_driver_apply(it->drv, &it->t, t1, it->y);
    gsl_set_error_handler(old);
    learn_run *r = it->run;
    int nonfinite = it->rhs_nonfinite;
    for (size_t j = 0; j < it->k; j++)
        if (!isfinite(it->y[j]))
            nonfinite = 1;
    if (rc != GSL_SUCCESS && it->rhs_err != SS_OK && !nonfinite) {
        it->done = 1;
        r->t_end = it->t;
        return it->rhs_err; /* recorded in the error slot by the hook */
    }
    if (rc != GSL_SUCCESS || nonfinite) {
        it->done = 1;
        r->diverged = 1;
        r->diverged_at = it->t;
        r->t_end = it->t;
        if (rc == GSL_EMAXITER && !nonfinite)
            snprintf(r->note, sizeof r->note,
                     "the integrator gave up at t = %.6g after %d steps "
                     "between two records (rounding in the gradient or "
                     "stiffness it cannot take: a looser tol may pass); the "
                     "records before it are kept",
                     it->t, FLOW_NMAX);
        else
            snprintf(r->note, sizeof r->note,
                     "the flow blew up at t = %.6g (%s); the records before "
                     "it are kept",
                     it->t,
                     nonfinite ? "non-finite parameters or gradient"
                               : gsl_strerror(rc));
        return SS_OK;
    }
    ss_status st = record(it, t1, it->y);
    if (st != SS_OK) {
        it->done = 1;
        return st;
    }
    r->t_end = t1;
    if (++it->next == it->ntimes)
        it->done = 1;
    return SS_OK;
}

int flow_iter_test(const void *state)
{
    return ((const flow_iter *)state)->done;
}

static void flow_iter_progress(const void *state, size_t *done,
                               size_t *total)
{
    const flow_iter *it = state;
    *done = it->next;
    *total = it->ntimes;
}

const learn_run *flow_iter_result(const void *state)
{
    return ((const flow_iter *)state)->run;
}

/* Add a remark to the run's note, "; "-separated. */
static void note_append(learn_run *r, const char *text)
{
    size_t l = strlen(r->note);
    snprintf(r->note + l, sizeof r->note - l, "%s%s", l ? "; " : "", text);
}

ss_status flow_iter_take(flow_iter *it, int interrupted, learn_run **out)
{
    learn_run *r = it->run;
    r->interrupted = interrupted && !it->done;
    if (it->sp.algo == FLOW_NGD) {
        r->regularised = it->nreg;
        char buf[160];
        if (it->sp.damping > 0)
            snprintf(buf, sizeof buf,
                     "NGD damped: (G + %g I)^-1 at every one of %zu "
                     "evaluations",
                     it->sp.damping, it->nfev);
        else
            snprintf(buf, sizeof buf,
                     "NGD pseudo-inverse: directions with lambda <= %g "
                     "lambda_max dropped in %zu of %zu evaluations",
                     FLOW_PINV_RCOND, it->nreg, it->nfev);
        note_append(r, buf);
    }
    if (it->nfev > FLOW_NFEV_NOTE && it->sp.tol < 1e-10) {
        /* the step controller chased rounding in the gradient (flow.c's
         * head comment): say so, and what is faster */
        char buf[200];
        snprintf(buf, sizeof buf,
                 "the integrator needed %zu gradient evaluations: rounding "
                 "in the gradient limits what tol = %g can buy here; "
                 "tol=1e-10 is much faster",
                 it->nfev, it->sp.tol);
        note_append(r, buf);
    }
    it->run = NULL;
    *out = r;
    return SS_OK;
}

const ss_iter_type flow_iter_type = {
    .name = "flow",
    .iterate = flow_iter_iterate,
    .test = flow_iter_test,
    .progress = flow_iter_progress,
    .stop = NULL,
};

ss_status flow_run(const model *student, const model *teacher,
                   const flow_spec *sp, learn_run **out)
{
    *out = NULL;
    flow_iter *it;
    ss_status st = flow_iter_alloc(student, teacher, sp, &it);
    if (st != SS_OK)
        return st;
    ss_iter i = {&flow_iter_type, it};
    st = ss_iter_drive(&i, NULL, NULL);
    if (st == SS_OK)
        st = flow_iter_take(it, 0, out);
    flow_iter_free(it);
    return st;
}

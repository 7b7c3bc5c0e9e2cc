/* The fit driver: checks, starts, the route's optimiser from each start,
 * the best of them, and the report (bounds, singular sets, standard
 * errors from the observed information, information criteria). */
#include "infer/fit_int.h"

#include "core/interrupt.h"

#include "core/rng.h"
#include "fim/fim.h"

#include <gsl/gsl_linalg.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* the method= names in this order; auto tries them in auto_order */
static const fit_route *const routes[] = {&fit_route_em, &fit_route_pacf,
                                          &fit_route_lm, &fit_route_profile};
#define NROUTES (sizeof routes / sizeof routes[0])
static const fit_route *const auto_order[] = {
    &fit_route_profile, &fit_route_em, &fit_route_pacf, &fit_route_lm};

const fit_route *fit_route_auto(const model *m)
{
    for (size_t i = 0; i < NROUTES; i++) {
        if (auto_order[i]->applies(m) == SS_OK)
            return auto_order[i];
        ss_clear_error();
    }
    return NULL;
}

const char *fit_method_name(size_t i)
{
    if (i == 0)
        return "auto";
    return i <= NROUTES ? routes[i - 1]->name : NULL;
}

/* The route method names (NULL/auto: the first that applies). */
static ss_status find_route(const model *m, const char *method,
                            const fit_route **out)
{
    *out = NULL;
    if (!method || strcmp(method, "auto") == 0) {
        if ((*out = fit_route_auto(m)))
            return SS_OK;
        return SS_FAIL(SS_ERR_USAGE,
                       "fit: no maximum-likelihood route for a %s model "
                       "(em needs an EM step, pacf an ARMA layout, lm a "
                       "regression mean Jacobian)",
                       m->type->name);
    }
    for (size_t i = 0; i < NROUTES; i++)
        if (strcmp(method, routes[i]->name) == 0) {
            if (routes[i]->applies(m) != SS_OK)
                return ss_last_error()->code;
            *out = routes[i];
            return SS_OK;
        }
    return SS_FAIL(SS_ERR_NAME,
                   "fit: unknown method '%s' (choices: auto, em, pacf, lm, "
                   "profile)",
                   method);
}

ss_status fit_method_check(const model *m, const char *method)
{
    const fit_route *r;
    return find_route(m, method, &r);
}

ss_status fit_loglik(const fit_ctx *c, const double *theta, double *l)
{
    if (c->profile)
        return c->profile(c, theta, l, NULL);
    return model_loglik_grad(c->m, theta, c->data, l, NULL);
}

void fit_result_free(fit_result *f)
{
    if (!f)
        return;
    free(f->theta);
    free(f->is_free);
    free(f->names);
    free(f->se);
    model_free(f->at);
    free(f);
}

/* ---- generic starts --------------------------------------------------------
 * Start 0 is the model's point. Starts 1-3 are a deterministic spread: a
 * parameter bounded on both sides at 50%, 30%, 70% of its range; for
 * i.i.d. data the u-th of U unbounded free parameters at the data's
 * quantile 0.5 + s ((u + 1)/(U + 1) - 0.5) with s = 1, 1.6, 0.5; for other
 * data the model's value plus 0.5, -0.5, 1 with alternating signs. Later
 * starts are random from (seed, SS_STREAM_FIT, j): uniform over a
 * two-sided range; for i.i.d. data mean + sd N(0, 1); otherwise the
 * model's value + N(0, 1) (a one-sided bound reflects). */
typedef struct {
    int iid;
    double mean, sd;
    double *sorted; /* column 0, sorted (i.i.d.) */
    size_t n;
} start_info;

static ss_status generic_start(const fit_ctx *c, const start_info *si,
                               size_t j, gsl_rng *r, double *theta)
{
    const model *m = c->m;
    size_t U = 0;
    for (size_t a = 0; a < c->k; a++) {
        size_t i = c->idx[a];
        if (!isfinite(model_param_lo(m, i)) &&
            !isfinite(model_param_hi(m, i)))
            U++;
    }
    static const double frac[3] = {0.5, 0.3, 0.7}, spread[3] = {1, 1.6, 0.5},
                        shift[3] = {0.5, -0.5, 1.0};
    size_t u = 0;
    for (size_t a = 0; a < c->k; a++) {
        size_t i = c->idx[a];
        double lo = model_param_lo(m, i), hi = model_param_hi(m, i);
        double t0 = m->theta[i], v;
        if (isfinite(lo) && isfinite(hi)) {
            v = j <= 3 ? lo + frac[j - 1] * (hi - lo)
                       : lo + gsl_rng_uniform(r) * (hi - lo);
        } else if (si->iid) {
            if (j <= 3) {
                double pr = 0.5 + spread[j - 1] *
                                      ((double)(u + 1) / (double)(U + 1) - 0.5);
                pr = pr < 0.01 ? 0.01 : pr > 0.99 ? 0.99 : pr;
                v = gsl_stats_quantile_from_sorted_data(si->sorted, 1, si->n,
                                                        pr);
            } else {
                v = si->mean + si->sd * gsl_ran_gaussian_ziggurat(r, 1.0);
            }
        } else {
            v = j <= 3 ? t0 + ((a + j) % 2 ? -1 : 1) * shift[j - 1]
                       : t0 + gsl_ran_gaussian_ziggurat(r, 1.0);
        }
        if (isfinite(lo) && v < lo)
            v = lo + (lo - v);
        if (isfinite(hi) && v > hi)
            v = hi - (v - hi);
        if (!isfinite(lo) || !isfinite(hi))
            u++;
        theta[i] = v;
    }
    return SS_OK;
}

/* ---- the report --------------------------------------------------------- */

static void find_bounds(fit_result *f, const model *m)
{
    size_t o = 0;
    f->bound[0] = 0;
    for (size_t i = 0; i < f->P; i++) {
        if (!f->is_free[i])
            continue;
        double lo = model_param_lo(m, i), hi = model_param_hi(m, i);
        double t = f->theta[i];
        const char *which = NULL;
        if (isfinite(lo) && fabs(t - lo) <= FIT_ON_BOUND * (1 + fabs(lo)))
            which = "lower";
        else if (isfinite(hi) && fabs(t - hi) <= FIT_ON_BOUND * (1 + fabs(hi)))
            which = "upper";
        if (which && o < sizeof f->bound)
            o += (size_t)snprintf(f->bound + o, sizeof f->bound - o,
                                  "%s%s = %g (%s bound)", o ? ", " : "",
                                  f->names[i], which[0] == 'l' ? lo : hi,
                                  which);
    }
}

static ss_status find_singular(fit_result *f, const model *at)
{
    model_singular *list = NULL;
    size_t ns = 0;
    ss_status st = model_singular_list(at, f->theta, &list, &ns);
    if (st != SS_OK)
        return st;
    size_t o = 0;
    f->singular[0] = 0;
    for (size_t s = 0; s < ns; s++)
        if (list[s].distance < f->near && o < sizeof f->singular)
            o += (size_t)snprintf(f->singular + o, sizeof f->singular - o,
                                  "%s%s (distance %.3g)", o ? ", " : "",
                                  list[s].name, list[s].distance);
    free(list);
    return SS_OK;
}

/* Standard errors sqrt(diag((n I)^-1)) with I the observed information
 * per term at the estimate, or the reason there are none. */
static void standard_errors(fit_result *f, const model *at,
                            const gsl_matrix *data)
{
    for (size_t i = 0; i < f->P; i++)
        f->se[i] = NAN;
    f->have_se = 0;
    if (f->bound[0]) {
        snprintf(f->se_why, sizeof f->se_why,
                 "none: the optimum lies on a bound (%s), where the MLE is "
                 "not asymptotically normal",
                 f->bound);
        return;
    }
    if (f->singular[0]) {
        snprintf(f->se_why, sizeof f->se_why,
                 "none: the optimum lies within %.3g (%.3g/sqrt(n)) of a "
                 "singular set (%.250s), where the inverse information does not "
                 "describe the MLE",
                 f->near, FIT_NEAR_SINGULAR, f->singular);
        return;
    }
    fim_request req = {.method = FIM_OBSERVED, .data = data};
    fim_result *G = NULL;
    ss_status st = fim_compute(at, &req, &G);
    if (st != SS_OK || !G || !G->G) {
        snprintf(f->se_why, sizeof f->se_why,
                 "none: the observed information failed (%.300s)",
                 st != SS_OK ? ss_last_error()->msg : "no matrix");
        ss_clear_error();
        fim_result_free(G);
        return;
    }
    size_t k = G->k;
    gsl_matrix *A = gsl_matrix_alloc(k, k);
    if (!A) {
        fim_result_free(G);
        snprintf(f->se_why, sizeof f->se_why, "none: out of memory");
        return;
    }
    gsl_matrix_memcpy(A, G->G);
    gsl_matrix_scale(A, (double)f->n);
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    int rc = gsl_linalg_cholesky_decomp1(A);
    if (rc == 0)
        rc = gsl_linalg_cholesky_invert(A);
    gsl_set_error_handler(old);
    if (rc != 0) {
        snprintf(f->se_why, sizeof f->se_why,
                 "none: the observed information is not positive definite "
                 "at the estimate");
    } else {
        f->have_se = 1;
        for (size_t a = 0; a < k; a++) {
            double v = gsl_matrix_get(A, a, a);
            f->se[G->idx[a]] = v > 0 ? sqrt(v) : NAN;
            if (!(v > 0))
                f->have_se = 0;
        }
        if (!f->have_se)
            snprintf(f->se_why, sizeof f->se_why,
                     "none: the inverse observed information has a "
                     "non-positive diagonal");
        else
            snprintf(f->se_why, sizeof f->se_why,
                     "from the observed information at the estimate");
    }
    gsl_matrix_free(A);
    fim_result_free(G);
}

/* ---- the driver ------------------------------------------------------------ */

static ss_status check_input(const model *m, const gsl_matrix *data,
                             size_t *n)
{
    if (!data)
        return SS_FAIL(SS_ERR_USAGE, "fit needs a data set: data=NAME");
    ss_status st = model_check_data_cols(m, data, "fit");
    if (st != SS_OK)
        return st;
    *n = data->size1 ? model_nterms(m, data) : 0;
    if (*n < 2)
        return SS_FAIL(SS_ERR_USAGE,
                       "fit needs at least 2 observations; the data set "
                       "has %zu",
                       *n);
    return SS_OK;
}

static ss_status alloc_result(const model *m, size_t n, fit_result **out)
{
    fit_result *f = calloc(1, sizeof *f);
    if (!f)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    f->P = m->P;
    f->n = n;
    f->theta = malloc(m->P * sizeof *f->theta);
    f->is_free = malloc(m->P);
    f->names = malloc(m->P * sizeof *f->names);
    f->se = malloc(m->P * sizeof *f->se);
    if (!f->theta || !f->is_free || !f->names || !f->se) {
        fit_result_free(f);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    memcpy(f->theta, m->theta, m->P * sizeof *f->theta);
    memcpy(f->is_free, m->is_free, m->P);
    for (size_t i = 0; i < m->P; i++) {
        model_param_name(m, i, f->names[i], MODEL_NAME_MAX);
        f->se[i] = NAN;
    }
    snprintf(f->kind, sizeof f->kind, "%s", m->type->name);
    f->near = FIT_NEAR_SINGULAR / sqrt((double)n);
    *out = f;
    return SS_OK;
}


/* ---- the fit as an iteration ----------------------------------------------
 * alloc: the checks, the route and its workspace, the starts' material
 * (the sorted column for generic i.i.d. starts, a generator); iterate: one
 * start from its point to the route's optimum (the null model: its
 * log-likelihood, one step); take: the best start and the report. */
struct fit_iter {
    const model *m;
    const gsl_matrix *data;
    fit_spec sp;             /* method is not kept (used by alloc only) */
    const fit_route *rt;     /* NULL: nothing free */
    const fit_route *pr;     /* the route whose scale is profiled, or NULL */
    int scale_opt;           /* its option index, -1: none */
    fit_ctx c;
    int ws;                  /* ws_alloc was called: ws_free is due */
    fit_result *f;           /* filled; handed over by take */
    size_t j, Krun;          /* the next start, the starts to run */
    double *th;
    gsl_rng *r;
    start_info si;
    int have;                /* a start finished */
    ss_status first_err;
    char first_msg[256];
};

/* The route's workspace and the starts' material. */
static void release_starts(fit_iter *it)
{
    if (it->ws && it->rt->ws_free)
        it->rt->ws_free(&it->c);
    it->ws = 0;
    free(it->si.sorted);
    it->si.sorted = NULL;
    free(it->th);
    it->th = NULL;
    ss_rng_free(it->r);
    it->r = NULL;
}

void fit_iter_free(fit_iter *it)
{
    if (!it)
        return;
    release_starts(it);
    free(it->c.idx);
    fit_result_free(it->f);
    free(it);
}

static ss_status prepare_starts(fit_iter *it)
{
    fit_ctx *c = &it->c;
    const model *m = it->m;
    it->th = malloc(m->P * sizeof *it->th);
    it->r = ss_rng_alloc();
    it->si.iid = m->type->data_kind == MODEL_DATA_IID;
    if (!it->th || !it->r)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    if (it->si.iid && !it->rt->start) {
        start_info *si = &it->si;
        si->n = c->data->size1;
        si->sorted = malloc(si->n * sizeof *si->sorted);
        if (!si->sorted)
            return SS_FAIL(SS_ERR_NOMEM, "out of memory");
        for (size_t i = 0; i < si->n; i++)
            si->sorted[i] = gsl_matrix_get(c->data, i, 0);
        gsl_sort(si->sorted, 1, si->n);
        si->mean = gsl_stats_mean(si->sorted, 1, si->n);
        si->sd = gsl_stats_sd_m(si->sorted, 1, si->n, si->mean);
    }
    return SS_OK;
}

ss_status fit_iter_alloc(const model *m, const gsl_matrix *data,
                         const fit_spec *sp, fit_iter **out)
{
    *out = NULL;
    size_t n = 0;
    ss_status st = check_input(m, data, &n);
    if (st != SS_OK)
        return st;
    size_t k = 0;
    for (size_t i = 0; i < m->P; i++)
        k += m->is_free[i] != 0;
    const fit_route *rt = NULL;
    if (k > 0 && (st = find_route(m, sp->method, &rt)) != SS_OK)
        return st;
    if (k == 0 && sp->method && strcmp(sp->method, "auto") != 0 &&
        (st = find_route(m, sp->method, &rt)) != SS_OK)
        return st;
    fit_iter *it = calloc(1, sizeof *it);
    if (!it)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    it->m = m;
    it->data = data;
    it->sp = *sp;
    it->sp.method = NULL;
    it->rt = k > 0 ? rt : NULL;
    it->scale_opt = -1;
    if ((st = alloc_result(m, n, &it->f)) != SS_OK) {
        fit_iter_free(it);
        return st;
    }
    fit_result *f = it->f;
    it->c = (fit_ctx){.m = m, .data = data, .n = n,
                      .maxiter = sp->maxiter ? sp->maxiter
                                             : FIT_MAXITER_DEFAULT,
                      .k = k};
    it->c.idx = malloc((k ? k : 1) * sizeof *it->c.idx);
    if (!it->c.idx) {
        fit_iter_free(it);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    model_free_indices(m, it->c.idx);
    f->k = k;
    /* a scale profiled out by the route (also for the null model, whose
     * route is the one auto would choose) */
    const fit_route *pr = rt;
    if (!pr && find_route(m, NULL, &pr) != SS_OK) {
        ss_clear_error();
        pr = NULL;
    }
    it->pr = pr;
    it->scale_opt = pr && pr->profile ? model_opt_index(m->type, pr->scale_opt)
                                      : -1;
    if (it->scale_opt >= 0)
        it->c.profile = pr->profile;
    size_t K = sp->starts ? sp->starts : FIT_STARTS_DEFAULT;
    f->loglik = -INFINITY;
    f->start_loglik_max = -INFINITY;
    if (k == 0) {
        snprintf(f->method, sizeof f->method, "none");
        it->Krun = 1; /* one step: the log-likelihood at the given point */
    } else {
        snprintf(f->method, sizeof f->method, "%s", rt->name);
        f->starts_asked = K;
        it->Krun = rt->global ? 1 : K; /* a global route: one start */
        /* ws_free follows ws_alloc whatever it returned, as the routes
         * expect */
        it->ws = 1;
        st = rt->ws_alloc ? rt->ws_alloc(&it->c) : SS_OK;
        if (st == SS_OK)
            st = prepare_starts(it);
        if (st != SS_OK) {
            fit_iter_free(it);
            return st;
        }
    }
    *out = it;
    return SS_OK;
}

/* The null model: the log-likelihood at the given point. */
static ss_status null_step(fit_iter *it)
{
    fit_result *f = it->f;
    ss_status st = fit_loglik(&it->c, it->m->theta, &f->loglik);
    if (st != SS_OK)
        return st;
    it->have = 1;
    f->start_loglik_max = f->loglik;
    f->starts = f->converged_starts = 1;
    f->converged = 1;
    if (it->c.profile)
        snprintf(f->why, sizeof f->why,
                 "no coefficient free: the log-likelihood at the given "
                 "point, maximised over %s",
                 it->pr->scale_opt);
    else
        snprintf(f->why, sizeof f->why, "nothing free: the "
                                        "log-likelihood at the given "
                                        "point");
    return SS_OK;
}

/* Start j: its point, the route's optimum from there, the best so far.
 * A start that fails or ends at a non-finite log-likelihood is counted
 * out (the first such error is kept for the report); Ctrl-C inside the
 * route (SS_ERR_INTERRUPTED) and running out of memory end the fit. */
ss_status fit_iter_iterate(fit_iter *it)
{
    if (it->j >= it->Krun)
        return SS_OK;
    size_t j = it->j++;
    if (!it->rt)
        return null_step(it);
    const fit_ctx *c = &it->c;
    const fit_route *rt = it->rt;
    const model *m = it->m;
    fit_result *f = it->f;
    size_t P = m->P;
    double *th = it->th;
    memcpy(th, m->theta, P * sizeof *th);
    ss_rng_seed(it->r, it->sp.seed, SS_STREAM_FIT, j);
    ss_status s2 = SS_OK;
    if (j > 0)
        s2 = rt->start ? rt->start(c, j, it->r, th)
                       : generic_start(c, &it->si, j, it->r, th);
    /* a generic start outside the valid region (gmm's weights summing
     * past 1) moves the free parameters bounded on both sides halfway to
     * their lower bounds until it is valid */
    for (int h = 0; j > 0 && !rt->start && s2 == SS_OK && h < 60 &&
                    model_validate(m, th) != SS_OK;
         h++) {
        ss_clear_error();
        for (size_t a = 0; a < c->k; a++) {
            double lo = model_param_lo(m, c->idx[a]);
            if (isfinite(lo) && isfinite(model_param_hi(m, c->idx[a])))
                th[c->idx[a]] = lo + 0.5 * (th[c->idx[a]] - lo);
        }
    }
    if (s2 == SS_OK)
        s2 = model_validate(m, th);
    double l0 = -INFINITY;
    if (s2 == SS_OK)
        s2 = fit_loglik(c, th, &l0);
    fit_outcome o = {0};
    if (s2 == SS_OK) {
        if (l0 > f->start_loglik_max)
            f->start_loglik_max = l0;
        s2 = rt->solve(&it->c, th, &o);
    }
    if (s2 == SS_ERR_INTERRUPTED || s2 == SS_ERR_NOMEM) {
        it->j = it->Krun; /* nothing more: the finished starts stay */
        return s2;
    }
    if (s2 != SS_OK || !isfinite(o.loglik)) {
        if (it->first_err == SS_OK) {
            it->first_err = s2 != SS_OK ? s2 : SS_ERR_NUMERIC;
            snprintf(it->first_msg, sizeof it->first_msg, "%.200s",
                     s2 != SS_OK ? ss_last_error()->msg
                                 : "a non-finite log-likelihood");
        }
        ss_clear_error();
        return SS_OK;
    }
    f->starts++;
    if (o.converged)
        f->converged_starts++;
    if (!it->have || o.loglik > f->loglik) {
        it->have = 1;
        f->loglik = o.loglik;
        f->best_start = j;
        f->iterations = o.iter;
        f->converged = o.converged;
        snprintf(f->why, sizeof f->why, "%s", o.why);
        memcpy(f->theta, th, P * sizeof *th);
    }
    return SS_OK;
}

int fit_iter_test(const fit_iter *it) { return it->j >= it->Krun; }

void fit_iter_progress(const fit_iter *it, size_t *done, size_t *total)
{
    *done = it->j;
    *total = it->Krun;
}

const fit_result *fit_iter_result(const fit_iter *it) { return it->f; }

/* The report at the best start: labelling, the model at the estimate, the
 * profiled scale, the information criteria, bounds, singular sets and
 * standard errors. */
static ss_status report(fit_iter *it)
{
    fit_result *f = it->f;
    const model *m = it->m;
    fit_ctx *c = &it->c;
    size_t k = c->k, n = c->n;
    ss_status st = SS_OK;
    if (m->type->canonical)
        m->type->canonical(m, f->theta, f->note, sizeof f->note);
    if (!(f->at = model_clone(m)))
        st = SS_FAIL(SS_ERR_NOMEM, "out of memory");
    if (st == SS_OK && c->profile) {
        double l;
        st = c->profile(c, f->theta, &l, &f->scale);
        f->nscale = 1;
        snprintf(f->scale_name, sizeof f->scale_name, "%s",
                 it->pr->scale_opt);
        f->scale_se = f->scale * sqrt(2.0 / (double)n);
        if (st == SS_OK)
            f->at->opt[it->scale_opt] = f->scale;
    }
    if (st == SS_OK) {
        memcpy(f->at->theta, f->theta, m->P * sizeof *f->theta);
        double kk = (double)(k + f->nscale), ln = log((double)n);
        f->aic = -2 * f->loglik + 2 * kk;
        f->bic = -2 * f->loglik + kk * ln;
        f->mdl = -f->loglik + 0.5 * kk * ln;
        find_bounds(f, m);
        st = find_singular(f, f->at);
    }
    if (st == SS_OK && f->interrupted)
        snprintf(f->se_why, sizeof f->se_why,
                 "none: the fit was interrupted (Ctrl-C); fit again for "
                 "standard errors");
    else if (st == SS_OK && k > 0)
        standard_errors(f, f->at, it->data);
    else if (st == SS_OK)
        snprintf(f->se_why, sizeof f->se_why, "%s",
                 f->nscale ? "none for the coefficients: none is free"
                           : "none: nothing is free");
    return st;
}

ss_status fit_iter_take(fit_iter *it, int stopped, fit_result **out)
{
    *out = NULL;
    fit_result *f = it->f;
    ss_status st = SS_OK;
    /* stopped before every start ran: the best of those finished */
    if (stopped && it->have && it->rt)
        f->interrupted = 1;
    release_starts(it);
    if (!it->have && stopped)
        st = SS_FAIL(SS_ERR_INTERRUPTED, "fit interrupted before a start "
                                         "finished: nothing was stored");
    else if (!it->have && !fit_iter_test(it))
        st = SS_FAIL(SS_ERR_USAGE, "fit: taken before it ran");
    else if (!it->have)
        st = SS_FAIL(it->first_err, "fit: no start reached an optimum (%s)",
                     it->first_msg);
    if (st == SS_OK)
        st = report(it);
    if (st != SS_OK)
        return st;
    *out = f;
    it->f = NULL;
    return SS_OK;
}

static ss_status iter_iterate(void *p) { return fit_iter_iterate(p); }
static int iter_test(const void *p) { return fit_iter_test(p); }
static void iter_progress(const void *p, size_t *done, size_t *total)
{
    fit_iter_progress(p, done, total);
}

const ss_iter_type fit_iter_type = {
    .name = "fit",
    .iterate = iter_iterate,
    .test = iter_test,
    .progress = iter_progress,
};

/* The same without a front end (llr and select call it from worker
 * threads): every start, Ctrl-C checked between starts as the driver
 * does, the best of those finished kept. */
ss_status fit_run(const model *m, const gsl_matrix *data, const fit_spec *sp,
                  fit_result **out)
{
    *out = NULL;
    fit_iter *it = NULL;
    ss_status st = fit_iter_alloc(m, data, sp, &it);
    int stopped = 0;
    while (st == SS_OK && !fit_iter_test(it)) {
        if (ss_interrupted()) {
            stopped = 1;
            break;
        }
        st = fit_iter_iterate(it);
        if (st == SS_ERR_INTERRUPTED) {
            ss_clear_error();
            stopped = 1;
            st = SS_OK;
            break;
        }
    }
    if (st == SS_OK)
        st = fit_iter_take(it, stopped, out);
    fit_iter_free(it);
    return st;
}

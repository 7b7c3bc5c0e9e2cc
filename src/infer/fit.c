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

static ss_status run_starts(fit_ctx *c, const fit_route *rt,
                            const fit_spec *sp, fit_result *f)
{
    const model *m = c->m;
    size_t P = m->P, K = sp->starts ? sp->starts : FIT_STARTS_DEFAULT;
    size_t Krun = rt->global ? 1 : K; /* a global route: one start */
    double *th = malloc(P * sizeof *th);
    gsl_rng *r = ss_rng_alloc();
    start_info si = {.iid = m->type->data_kind == MODEL_DATA_IID};
    ss_status st = SS_OK, first_err = SS_OK;
    char first_msg[256] = "";
    if (!th || !r)
        st = SS_FAIL(SS_ERR_NOMEM, "out of memory");
    if (st == SS_OK && si.iid && !rt->start) {
        si.n = c->data->size1;
        si.sorted = malloc(si.n * sizeof *si.sorted);
        if (!si.sorted)
            st = SS_FAIL(SS_ERR_NOMEM, "out of memory");
        else {
            for (size_t i = 0; i < si.n; i++)
                si.sorted[i] = gsl_matrix_get(c->data, i, 0);
            gsl_sort(si.sorted, 1, si.n);
            si.mean = gsl_stats_mean(si.sorted, 1, si.n);
            si.sd = gsl_stats_sd_m(si.sorted, 1, si.n, si.mean);
        }
    }
    f->loglik = -INFINITY;
    f->start_loglik_max = -INFINITY;
    int have = 0;
    f->starts_asked = K;
    for (size_t j = 0; st == SS_OK && j < Krun; j++) {
        /* Ctrl-C between starts keeps the best of those finished (a start
         * is bounded work: maxiter steps) */
        if (ss_interrupted()) {
            f->interrupted = 1;
            break;
        }
        memcpy(th, m->theta, P * sizeof *th);
        ss_rng_seed(r, sp->seed, SS_STREAM_FIT, j);
        ss_status s2 = SS_OK;
        if (j > 0)
            s2 = rt->start ? rt->start(c, j, r, th)
                           : generic_start(c, &si, j, r, th);
        /* a generic start outside the valid region (gmm's weights
         * summing past 1) moves the free parameters bounded on both sides
         * halfway to their lower bounds until it is valid */
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
            s2 = rt->solve(c, th, &o);
        }
        if (s2 == SS_ERR_INTERRUPTED && have) { /* keep the finished */
            ss_clear_error();
            f->interrupted = 1;
            break;
        }
        if (s2 == SS_ERR_INTERRUPTED || s2 == SS_ERR_NOMEM) {
            st = s2;
            break;
        }
        if (s2 != SS_OK || !isfinite(o.loglik)) {
            if (first_err == SS_OK) {
                first_err = s2 != SS_OK ? s2 : SS_ERR_NUMERIC;
                snprintf(first_msg, sizeof first_msg, "%.200s",
                         s2 != SS_OK ? ss_last_error()->msg
                                     : "a non-finite log-likelihood");
            }
            ss_clear_error();
            continue;
        }
        f->starts++;
        if (o.converged)
            f->converged_starts++;
        if (!have || o.loglik > f->loglik) {
            have = 1;
            f->loglik = o.loglik;
            f->best_start = j;
            f->iterations = o.iter;
            f->converged = o.converged;
            snprintf(f->why, sizeof f->why, "%s", o.why);
            memcpy(f->theta, th, P * sizeof *th);
        }
    }
    if (st == SS_OK && !have && f->interrupted)
        st = SS_FAIL(SS_ERR_INTERRUPTED, "fit interrupted before a start "
                                         "finished: nothing was stored");
    else if (st == SS_OK && !have)
        st = SS_FAIL(first_err, "fit: no start reached an optimum (%s)",
                     first_msg);
    free(si.sorted);
    free(th);
    ss_rng_free(r);
    return st;
}

ss_status fit_run(const model *m, const gsl_matrix *data, const fit_spec *sp,
                  fit_result **out)
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
    fit_result *f = NULL;
    if ((st = alloc_result(m, n, &f)) != SS_OK)
        return st;
    fit_ctx c = {.m = m, .data = data, .n = n,
                 .maxiter = sp->maxiter ? sp->maxiter : FIT_MAXITER_DEFAULT,
                 .k = k};
    c.idx = malloc((k ? k : 1) * sizeof *c.idx);
    if (!c.idx) {
        fit_result_free(f);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    model_free_indices(m, c.idx);
    f->k = k;
    /* a scale profiled out by the route (also for the null model, whose
     * route is the one auto would choose) */
    const fit_route *pr = rt;
    if (!pr && find_route(m, NULL, &pr) != SS_OK) {
        ss_clear_error();
        pr = NULL;
    }
    int scale_opt = pr && pr->profile ? model_opt_index(m->type, pr->scale_opt)
                                      : -1;
    if (scale_opt >= 0)
        c.profile = pr->profile;
    if (k == 0) {
        /* the null model: the log-likelihood at the given point */
        snprintf(f->method, sizeof f->method, "none");
        st = fit_loglik(&c, m->theta, &f->loglik);
        f->start_loglik_max = f->loglik;
        f->starts = f->converged_starts = 1;
        f->converged = 1;
        if (c.profile)
            snprintf(f->why, sizeof f->why,
                     "no coefficient free: the log-likelihood at the given "
                     "point, maximised over %s",
                     pr->scale_opt);
        else
            snprintf(f->why, sizeof f->why, "nothing free: the "
                                            "log-likelihood at the given "
                                            "point");
    } else {
        snprintf(f->method, sizeof f->method, "%s", rt->name);
        st = rt->ws_alloc ? rt->ws_alloc(&c) : SS_OK;
        if (st == SS_OK)
            st = run_starts(&c, rt, sp, f);
        if (rt->ws_free)
            rt->ws_free(&c);
    }
    free(c.idx);
    if (st == SS_OK && m->type->canonical)
        m->type->canonical(m, f->theta, f->note, sizeof f->note);
    if (st == SS_OK && !(f->at = model_clone(m)))
        st = SS_FAIL(SS_ERR_NOMEM, "out of memory");
    if (st == SS_OK && c.profile) {
        double l;
        st = c.profile(&c, f->theta, &l, &f->scale);
        f->nscale = 1;
        snprintf(f->scale_name, sizeof f->scale_name, "%s", pr->scale_opt);
        f->scale_se = f->scale * sqrt(2.0 / (double)n);
        if (st == SS_OK)
            f->at->opt[scale_opt] = f->scale;
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
        standard_errors(f, f->at, data);
    else if (st == SS_OK)
        snprintf(f->se_why, sizeof f->se_why, "%s",
                 f->nscale ? "none for the coefficients: none is free"
                           : "none: nothing is free");
    if (st != SS_OK) {
        fit_result_free(f);
        return st;
    }
    *out = f;
    return SS_OK;
}

/* The β ladder: F_n by thermodynamic integration, WBIC and λ̂ two ways
 * (bayes/ladder.h). */
#include "bayes/ladder.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

double fe_beta(size_t j, size_t K)
{
    return j >= K ? 1.0 : pow((double)j / (double)K, FE_POWER);
}

void fe_quadrature(const double *E, size_t K, double *F, double *qerr,
                   double *a)
{
    /* g(u_j) = p u_j^(p-1) (E_j - E_K); Simpson weights h/3 (1,4,2,...,4,1),
     * trapezoid h (1/2,1,...,1,1/2) */
    double h = 1.0 / (double)K, S = 0, T = 0, sw = 0;
    for (size_t j = 0; j <= K; j++) {
        double u = (double)j / (double)K;
        double d = FE_POWER * pow(u, FE_POWER - 1);
        double ws = h / 3 * (j == 0 || j == K ? 1 : (j % 2 ? 4 : 2));
        double wt = h * (j == 0 || j == K ? 0.5 : 1);
        S += ws * d * (E[j] - E[K]);
        T += wt * d * (E[j] - E[K]);
        if (a)
            a[j] = ws * d;
        sw += ws * d;
    }
    if (a)
        a[K] += 1 - sw; /* E_K enters exactly: F = E_K + Σ a_j (E_j - E_K) */
    *F = E[K] + S;
    *qerr = fabs(S - T);
}

void fe_fit_slope(const double *x, const double *y, const double *se,
                  size_t np, double *lam, double *lam_se, double *c)
{
    int equal = 0;
    for (size_t i = 0; i < np; i++)
        if (!(se[i] > 0))
            equal = 1;
    double W = 0, xm = 0, ym = 0;
    for (size_t i = 0; i < np; i++) {
        double w = equal ? 1 : 1 / (se[i] * se[i]);
        W += w;
        xm += w * x[i];
        ym += w * y[i];
    }
    xm /= W;
    ym /= W;
    double sxx = 0, sxy = 0;
    for (size_t i = 0; i < np; i++) {
        double w = equal ? 1 : 1 / (se[i] * se[i]);
        sxx += w * (x[i] - xm) * (x[i] - xm);
        sxy += w * (x[i] - xm) * (y[i] - ym);
    }
    *lam = sxx > 0 ? sxy / sxx : NAN;
    *lam_se = sxx > 0 && !equal ? sqrt(1 / sxx) : NAN;
    *c = ym - *lam * xm;
}

ss_status fe_check(const model *m, const gsl_matrix *data, const fe_spec *sp)
{
    if (sp->K < FE_BETAS_MIN || sp->K > FE_BETAS_MAX || sp->K % 2)
        return SS_FAIL(SS_ERR_RANGE,
                       "freeenergy: betas=%zu must be even and in %d..%d "
                       "(Simpson's rule over the ladder's intervals)",
                       sp->K, FE_BETAS_MIN, FE_BETAS_MAX);
    post_spec ps = {.beta = 1, .samples = sp->samples, .chains = sp->chains,
                    .burnin = sp->burnin, .sampler = sp->sampler,
                    .seed = sp->seed, .threads = sp->threads};
    ss_status st = post_check(m, data, &ps);
    if (st != SS_OK)
        return st;
    size_t n = model_nterms(m, data);
    if (n < 3)
        return SS_FAIL(SS_ERR_USAGE,
                       "freeenergy needs n >= 3 observations (WBIC's "
                       "temperature 1/log n must be below 1); the data set "
                       "has %zu",
                       n);
    return SS_OK;
}

struct fe_iter {
    post_iter *pi;
    fe_spec sp;
    size_t n, k, nr;
    double *betas;
    char kind[32];
};

void fe_iter_free(fe_iter *it)
{
    if (!it)
        return;
    post_iter_free(it->pi);
    free(it->betas);
    free(it);
}

ss_status fe_iter_alloc(const model *m, const gsl_matrix *data,
                        const fe_spec *sp, fe_iter **out)
{
    *out = NULL;
    ss_status st = fe_check(m, data, sp);
    if (st != SS_OK)
        return st;
    fe_iter *it = calloc(1, sizeof *it);
    if (!it)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    it->sp = *sp;
    it->n = model_nterms(m, data);
    for (size_t i = 0; i < m->P; i++)
        it->k += m->is_free[i] != 0;
    it->nr = sp->K + 3;
    snprintf(it->kind, sizeof it->kind, "%s", m->type->name);
    it->betas = malloc(it->nr * sizeof *it->betas);
    if (!it->betas) {
        fe_iter_free(it);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    for (size_t j = 0; j <= sp->K; j++)
        it->betas[j] = fe_beta(j, sp->K);
    double bw = 1 / log((double)it->n);
    it->betas[sp->K + 1] = bw;
    it->betas[sp->K + 2] = 2 * bw < 1 ? 2 * bw : 1.0;
    post_spec ps = {.beta = 1, .samples = sp->samples, .chains = sp->chains,
                    .burnin = sp->burnin, .sampler = sp->sampler,
                    .seed = sp->seed, .threads = sp->threads};
    st = post_rungs_alloc(m, data, &ps, it->betas, it->nr, &it->pi);
    if (st != SS_OK) {
        fe_iter_free(it);
        return st;
    }
    *out = it;
    return SS_OK;
}

/* A warning for the result, after the others (core/status.h) */
#define add_warn(res, ...) \
    ss_text_append((res)->warn, sizeof (res)->warn, "; ", __VA_ARGS__)

void fe_result_free(fe_result *r)
{
    if (!r)
        return;
    free(r->rung);
    free(r->weight);
    free(r);
}

ss_status fe_iter_take(fe_iter *it, fe_result **out)
{
    *out = NULL;
    fe_result *r = calloc(1, sizeof *r);
    post_rung *R = calloc(it->nr, sizeof *R);
    size_t K = it->sp.K;
    double *E = malloc((K + 1) * sizeof *E), *a = malloc((K + 1) * sizeof *a);
    double *x = calloc(it->nr, sizeof *x), *y = calloc(it->nr, sizeof *y);
    double *se = calloc(it->nr, sizeof *se);
    ss_status st = SS_OK;
    if (r)
        r->weight = calloc(it->nr, sizeof *r->weight);
    if (!r || !R || !E || !a || !x || !y || !se || !r->weight)
        st = SS_FAIL(SS_ERR_NOMEM, "out of memory");
    if (st == SS_OK)
        st = post_rungs_take(it->pi, R);
    if (st == SS_OK) {
        r->sp = it->sp;
        r->n = it->n;
        r->k = it->k;
        r->nr = it->nr;
        r->rung = R;
        R = NULL;
        snprintf(r->kind, sizeof r->kind, "%s", it->kind);
        for (size_t j = 0; j <= K; j++)
            E[j] = r->rung[j].enl;
        fe_quadrature(E, K, &r->F, &r->F_quad, a);
        double v = 0;
        for (size_t j = 0; j <= K; j++) {
            v += a[j] * a[j] * r->rung[j].enl_se * r->rung[j].enl_se;
            r->weight[j] = a[j];
        }
        r->F_se = sqrt(v);
        const post_rung *w1 = &r->rung[K + 1], *w2 = &r->rung[K + 2];
        r->beta_w = w1->beta;
        r->beta_w2 = w2->beta;
        r->wbic = w1->enl;
        r->wbic_se = w1->enl_se;
        double den = 1 / w1->beta - 1 / w2->beta;
        r->lam2 = (w1->enl - w2->enl) / den;
        r->lam2_se = sqrt(w1->enl_se * w1->enl_se + w2->enl_se * w2->enl_se) /
                     fabs(den);
        size_t np = 0;
        for (size_t j = 0; j < r->nr; j++) {
            double b = r->rung[j].beta;
            if (b >= r->beta_w / 2 * (1 - 1e-12) &&
                b <= 2 * r->beta_w * (1 + 1e-12)) {
                x[np] = 1 / b;
                y[np] = r->rung[j].enl;
                se[np] = r->rung[j].enl_se;
                np++;
            }
        }
        r->lams_np = np;
        fe_fit_slope(x, y, se, np, &r->lams, &r->lams_se, &r->lams_c);
        /* the diagnostics, one line each over the temperatures */
        size_t nrh = 0, ness = 0, nacc = 0, jr = 0, je = 0, ja = 0;
        for (size_t j = 0; j < r->nr; j++) {
            const post_rung *q = &r->rung[j];
            if (!(q->rhat <= POST_RHAT_WARN) &&
                (nrh++ == 0 || !(q->rhat <= r->rung[jr].rhat)))
                jr = j;
            if (!(q->ess >= POST_ESS_WARN) &&
                (ness++ == 0 || !(q->ess >= r->rung[je].ess)))
                je = j;
            if (q->accept_min < 0.01 &&
                (nacc++ == 0 || q->accept_min < r->rung[ja].accept_min))
                ja = j;
        }
        if (nrh)
            add_warn(r, "split R-hat > %.2f at %zu of %zu temperatures "
                        "(largest %.4g at beta=%.4g: more burnin= or "
                        "samples=)",
                     POST_RHAT_WARN, nrh, r->nr, r->rung[jr].rhat,
                     r->rung[jr].beta);
        if (ness)
            add_warn(r, "effective sample size of n L_n < %d at %zu of %zu "
                        "temperatures (smallest %.3g at beta=%.4g: more "
                        "samples=)",
                     POST_ESS_WARN, ness, r->nr, r->rung[je].ess,
                     r->rung[je].beta);
        if (nacc)
            add_warn(r, "a chain accepted under 1%% of its proposals at %zu "
                        "temperatures (%.2g%% at beta=%.4g: stuck)",
                     nacc, 100 * r->rung[ja].accept_min, r->rung[ja].beta);
    }
    free(R);
    free(E);
    free(a);
    free(x);
    free(y);
    free(se);
    if (st != SS_OK) {
        fe_result_free(r);
        return st;
    }
    *out = r;
    return SS_OK;
}

static ss_status it_iterate(void *s)
{
    fe_iter *it = s;
    return post_iter_iterate(it->pi);
}
static int it_test(const void *s)
{
    const fe_iter *it = s;
    return post_iter_test(it->pi);
}
static void it_progress(const void *s, size_t *done, size_t *total)
{
    const fe_iter *it = s;
    post_iter_counts(it->pi, done, total);
}
static void it_stop(void *s)
{
    fe_iter *it = s;
    post_iter_type.stop(it->pi);
}

const ss_iter_type fe_iter_type = {"freeenergy", it_iterate, it_test,
                                   it_progress, it_stop};

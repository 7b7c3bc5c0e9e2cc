/* Limit laws of 2LLR at a singular truth (limitlaw.h). */
#include "infer/limitlaw.h"

#include "core/rng.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double pval(const model *m, const char *name)
{
    int i = model_param_index(m, name);
    return i < 0 ? NAN : m->theta[i];
}

static int pfree(const model *m, const char *name)
{
    int i = model_param_index(m, name);
    return i >= 0 && m->is_free[i];
}

static size_t nfree(const model *m)
{
    size_t k = 0;
    for (size_t i = 0; i < m->P; i++)
        k += m->is_free[i] != 0;
    return k;
}

static double opt(const model *m, const char *name)
{
    int o = model_opt_index(m->type, name);
    return o < 0 ? NAN : m->opt[o];
}

static int none(limit_law *L, const char *why)
{
    L->kind = LIMIT_NONE;
    snprintf(L->why, sizeof L->why, "%s", why);
    return 0;
}

/* The distribution of a gmm point is N(w1, s^2). */
static int gmm_is_null_at(const model *m, double w1)
{
    double v = pval(m, "v"), a = pval(m, "w1"), b = pval(m, "w2");
    return (v == 0 && a == w1) || (v == 1 && b == w1) || (a == w1 && b == w1);
}

static int identify_gmm(const model *truth, const model *null,
                         const model *alt, limit_law *L)
{
    if (alt->P != 3 || model_param_index(alt, "w2") != 2)
        return none(L, "theory gives a limit law for the two-component "
                       "mixture only");
    if (!(pfree(alt, "v") && pfree(alt, "w2") && !pfree(alt, "w1") &&
          nfree(alt) == 2))
        return none(L, "a limit law is offered for Hartigan's form only: v "
                       "and w2 free, w1 fixed");
    double w1 = pval(alt, "w1"), s = opt(alt, "s");
    if (nfree(null) != 0 || !gmm_is_null_at(null, w1))
        return none(L, "a limit law is offered for a null N(w1, s^2) with "
                       "nothing free");
    if (truth->type != alt->type || truth->P != 3 ||
        opt(truth, "s") != s || !gmm_is_null_at(truth, w1))
        return none(L, "the truth is not the null distribution N(w1, s^2): "
                       "no singular limit law applies");
    if (model_param_lo(alt, 0) != 0)
        return none(L, "v's range must start at 0 (the singular truth)");
    double lo = model_param_lo(alt, 2), hi = model_param_hi(alt, 2);
    if (!isfinite(lo) || !isfinite(hi))
        return none(L, "w2's range is unbounded: 2LLR diverges like log log n "
                       "(Hartigan); bound it (bound M w2=-M..M)");
    lo = (lo - w1) / s;
    hi = (hi - w1) / s;
    if (fmax(fabs(lo), fabs(hi)) > 20)
        return none(L, "|w2 - w1|/s reaches beyond 20: the correlation "
                       "exp(t u) overflows the simulation");
    L->kind = LIMIT_GMM;
    L->lo = lo;
    L->hi = hi;
    L->positive = 1;
    L->grid = LIMIT_GRID;
    snprintf(L->what, sizeof L->what,
             "sup max(Z(t),0)^2, t = (w2-w1)/s in [%.4g, %.4g], corr "
             "(e^(tu)-1)/sqrt((e^(t^2)-1)(e^(u^2)-1))",
             lo, hi);
    return 1;
}

static int identify_arma(const model *truth, const model *null,
                          const model *alt, limit_law *L)
{
    int ia = model_param_index(alt, "ar1"), im = model_param_index(alt, "ma1");
    if (alt->P != 2 || ia < 0 || im < 0)
        return none(L, "theory gives a limit law for ARMA(1,1) only");
    if (nfree(alt) != 2)
        return none(L, "a limit law is offered with ar1 and ma1 free");
    if (nfree(null) != 0 || null->theta[ia] != -null->theta[im])
        return none(L, "a limit law is offered for a white-noise null "
                       "(ar1 = -ma1, nothing free)");
    if (truth->type != alt->type || truth->P != 2 ||
        opt(truth, "sigma2") != opt(alt, "sigma2") ||
        truth->theta[0] != -truth->theta[1])
        return none(L, "the truth is not white noise with the alternative's "
                       "sigma2: no singular limit law applies");
    double lo = fmax(-model_param_hi(alt, (size_t)im),
                     model_param_lo(alt, (size_t)ia));
    double hi = fmin(-model_param_lo(alt, (size_t)im),
                     model_param_hi(alt, (size_t)ia));
    if (!(lo > -1 && hi < 1))
        return none(L, "the range of ma1 (or ar1) reaches |1|: 2LLR diverges "
                       "as rho -> 1; bound it (bound M ma1=-rho..rho)");
    if (!(lo < hi))
        return none(L, "the ranges of ar1 and -ma1 do not overlap");
    L->kind = LIMIT_ARMA;
    L->lo = atanh(lo);
    L->hi = atanh(hi);
    L->positive = 0;
    L->grid = LIMIT_GRID;
    snprintf(L->what, sizeof L->what,
             "sup Z(a)^2, a = atanh(ar1) in atanh([%.4g, %.4g]), corr "
             "1/cosh(a-b)",
             lo, hi);
    return 1;
}

void limit_identify(const model *truth, const model *null, const model *alt,
                    limit_law *L)
{
    memset(L, 0, sizeof *L);
    if (strcmp(alt->type->name, "gmm") == 0)
        identify_gmm(truth, null, alt, L);
    else if (strcmp(alt->type->name, "arma") == 0)
        identify_arma(truth, null, alt, L);
    else
        (void)none(L, "theory.md gives no limit law for this family here (the "
                "mlp2 cone is not offered): compare with chi^2 only");
}

double limit_point(const limit_law *L, size_t i)
{
    double G = (double)L->grid;
    if (L->kind == LIMIT_GMM) {
        /* cell midpoints: t = 0, where Z jumps from -Z(0+) to Z(0+), is
         * never a grid point (nudged if a range makes it one) */
        double t = L->lo + ((double)i + 0.5) * (L->hi - L->lo) / G;
        return t == 0 ? 1e-9 * (L->hi - L->lo) : t;
    }
    return L->lo + (double)i * (L->hi - L->lo) / (G - 1);
}

double limit_corr(const limit_law *L, double s, double t)
{
    if (L->kind == LIMIT_GMM)
        return expm1(s * t) / sqrt(expm1(s * s) * expm1(t * t));
    return 1 / cosh(s - t);
}

ss_status limit_simulate(const limit_law *L, uint64_t seed, size_t sims,
                         double *out, double *jitter)
{
    *jitter = 0;
    if (L->kind == LIMIT_NONE)
        return SS_FAIL(SS_ERR_USAGE, "no limit law: %s", L->why);
    size_t G = L->grid;
    double *t = malloc(G * sizeof *t), *xi = malloc(G * sizeof *xi);
    gsl_matrix *C = gsl_matrix_alloc(G, G);
    gsl_rng *r = ss_rng_alloc_fast();
    ss_status st = SS_OK;
    if (!t || !xi || !C || !r) {
        st = SS_FAIL(SS_ERR_NOMEM, "out of memory for the limit law");
        goto done;
    }
    for (size_t i = 0; i < G; i++)
        t[i] = limit_point(L, i);
    /* The correlation of an analytic kernel on a fine grid is singular to
     * rounding: add eps I, eps = 0, then 1e-14, 1e-13, ... until the
     * factorisation succeeds (each point then has variance 1 + eps and an
     * independent N(0, eps) part: the sup changes by O(eps)). */
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    int rc = 1;
    for (double eps = 0; rc != 0 && eps <= LIMIT_JITTER_MAX;
         eps = eps == 0 ? 1e-14 : eps * 10) {
        for (size_t i = 0; i < G; i++)
            for (size_t j = 0; j <= i; j++) {
                double c = i == j ? 1 + eps : limit_corr(L, t[i], t[j]);
                gsl_matrix_set(C, i, j, c);
                gsl_matrix_set(C, j, i, c);
            }
        rc = gsl_linalg_cholesky_decomp1(C);
        *jitter = eps;
    }
    gsl_set_error_handler(old);
    if (rc != 0) {
        st = SS_FAIL(SS_ERR_NUMERIC, "limit law: the correlation matrix is "
                                     "not positive definite even with a "
                                     "jitter of %g",
                     LIMIT_JITTER_MAX);
        goto done;
    }
    for (size_t j = 0; j < sims; j++) {
        ss_rng_seed(r, seed, SS_STREAM_LIMIT, j);
        for (size_t i = 0; i < G; i++)
            xi[i] = gsl_ran_gaussian_ziggurat(r, 1.0);
        double sup = 0;
        for (size_t i = 0; i < G; i++) {
            const double *row = gsl_matrix_const_ptr(C, i, 0);
            double z = 0;
            for (size_t k = 0; k <= i; k++)
                z += row[k] * xi[k];
            if (L->positive && z < 0)
                z = 0;
            sup = fmax(sup, z * z);
        }
        out[j] = sup;
    }
done:
    free(t);
    free(xi);
    gsl_matrix_free(C);
    ss_rng_free(r);
    return st;
}

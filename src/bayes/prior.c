/* Priors: kinds, checks, log densities (bayes/prior.h). */
#include "bayes/prior.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const kinds[] = {"uniform", "normal", "beta", NULL};

const char *prior_kind_name(int kind)
{
    return kind >= 1 && kind <= 3 ? kinds[kind - 1] : NULL;
}

const char *prior_choice(size_t i) { return i < 3 ? kinds[i] : NULL; }

ss_status prior_make(const char *name, const double *v, size_t n,
                     model_prior *out)
{
    int kind = 0;
    for (int k = 1; k <= 3; k++)
        if (strcmp(name, kinds[k - 1]) == 0)
            kind = k;
    if (!kind)
        return SS_FAIL(SS_ERR_USAGE, "unknown prior '%s': the priors are "
                                     "uniform(a,b), normal(m,s) and "
                                     "beta(a,b)",
                       name);
    if (n != 2)
        return SS_FAIL(SS_ERR_USAGE, "%s takes two numbers, %s(a, b); got "
                                     "%zu",
                       name, name, n);
    double a = v[0], b = v[1];
    if (!isfinite(a) || !isfinite(b))
        return SS_FAIL(SS_ERR_RANGE, "%s(%g, %g): the numbers must be "
                                     "finite", name, a, b);
    if (kind == PRIOR_UNIFORM && !(a < b))
        return SS_FAIL(SS_ERR_RANGE, "uniform(%g, %g) is empty: it needs "
                                     "a < b", a, b);
    if (kind == PRIOR_NORMAL && !(b > 0))
        return SS_FAIL(SS_ERR_RANGE, "normal(%g, %g): the standard "
                                     "deviation must be > 0", a, b);
    if (kind == PRIOR_BETA && !(a > 0 && b > 0))
        return SS_FAIL(SS_ERR_RANGE, "beta(%g, %g): both shapes must be "
                                     "> 0", a, b);
    *out = (model_prior){kind, a, b};
    return SS_OK;
}

void prior_support(const model_prior *p, double *lo, double *hi)
{
    switch (p->kind) {
    case PRIOR_UNIFORM:
        *lo = p->a;
        *hi = p->b;
        return;
    case PRIOR_BETA:
        *lo = 0;
        *hi = 1;
        return;
    default:
        *lo = -INFINITY;
        *hi = INFINITY;
        return;
    }
}

const char *prior_format(const model_prior *p, char *buf, size_t n)
{
    const char *k = prior_kind_name(p->kind);
    snprintf(buf, n, "%s(%.12g, %.12g)", k ? k : "none", p->a, p->b);
    return buf;
}

double prior_logpdf(const model_prior *p, double x, double *d)
{
    if (d)
        *d = 0;
    switch (p->kind) {
    case PRIOR_UNIFORM:
        return x >= p->a && x <= p->b ? -log(p->b - p->a) : -INFINITY;
    case PRIOR_NORMAL: {
        double z = (x - p->a) / p->b;
        if (d)
            *d = -z / p->b;
        /* log of gsl_ran_gaussian_pdf, without its underflow beyond 38 s */
        return -0.5 * z * z - log(p->b) - 0.5 * log(2 * M_PI);
    }
    case PRIOR_BETA: {
        if (!(x >= 0 && x <= 1))
            return -INFINITY;
        double a = p->a, b = p->b;
        /* log form: (a-1) log x + (b-1) log(1-x) - log B(a, b); a = 1 or
         * b = 1 at the ends is finite */
        double l = -gsl_sf_lnbeta(a, b);
        if (a != 1)
            l += (a - 1) * log(x);
        if (b != 1)
            l += (b - 1) * log1p(-x);
        if (d)
            *d = (a != 1 ? (a - 1) / x : 0) - (b != 1 ? (b - 1) / (1 - x) : 0);
        if (d && !isfinite(*d))
            *d = 0;
        return l;
    }
    default:
        return -INFINITY;
    }
}

double prior_sd(const model_prior *p)
{
    switch (p->kind) {
    case PRIOR_UNIFORM: return (p->b - p->a) / sqrt(12.0);
    case PRIOR_NORMAL: return p->b;
    case PRIOR_BETA: {
        double s = p->a + p->b;
        return sqrt(p->a * p->b / (s * s * (s + 1)));
    }
    default: return NAN;
    }
}

double prior_draw(const model_prior *p, gsl_rng *r)
{
    switch (p->kind) {
    case PRIOR_UNIFORM: return gsl_ran_flat(r, p->a, p->b);
    case PRIOR_NORMAL: return p->a + gsl_ran_gaussian(r, p->b);
    case PRIOR_BETA: return gsl_ran_beta(r, p->a, p->b);
    default: return NAN;
    }
}

ss_status prior_check(const model *m, size_t i, const model_prior *p)
{
    char f[96];
    double lo, hi, plo = model_param_lo(m, i), phi = model_param_hi(m, i);
    prior_support(p, &lo, &hi);
    prior_format(p, f, sizeof f);
    if (lo < plo || hi > phi)
        return SS_FAIL(SS_ERR_RANGE,
                       "prior %s=%s: its support [%g, %g] leaves %s's range "
                       "[%g, %g]; choose a prior inside the range (uniform "
                       "or beta on a bounded parameter)",
                       MODEL_PNAME(m, i), f, lo, hi, MODEL_PNAME(m, i), plo,
                       phi);
    double x = m->theta[i];
    if (!isfinite(prior_logpdf(p, x, NULL)))
        return SS_FAIL(SS_ERR_RANGE,
                       "prior %s=%s: the model's value %s = %g has %s under "
                       "it (the chains start at the model's point; `set` "
                       "it inside)",
                       MODEL_PNAME(m, i), f, MODEL_PNAME(m, i), x,
                       x < lo || x > hi ? "no support" : "zero density");
    return SS_OK;
}

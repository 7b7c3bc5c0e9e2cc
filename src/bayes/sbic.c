/* The singular BIC's recursion (bayes/sbic.h, docs/theory.md section 11). */
#include "bayes/sbic.h"

#include <math.h>

double sbic_gmm_lambda(size_t Ki, size_t Kj)
{
    if (Ki == 0 || Kj == 0 || Kj > Ki)
        return NAN;
    return ((2.0 * (double)Kj - 1.0) + 0.5 * (double)(Ki - Kj)) / 2.0;
}

/* log sum_k exp(v[k]) over k < n (n >= 1, all finite). */
static double log_sum_exp(const double *v, size_t n)
{
    double mx = v[0];
    for (size_t k = 1; k < n; k++)
        if (v[k] > mx)
            mx = v[k];
    double s = 0;
    for (size_t k = 0; k < n; k++)
        s += exp(v[k] - mx);
    return mx + log(s);
}

/* log(1 + sqrt(1 + e^r)) for any finite r, without overflow. */
static double log1p_sqrt1p_exp(double r)
{
    if (r > 40) {
        /* sqrt(1 + e^r) = e^(r/2) (1 + O(e^-r)) */
        return 0.5 * r + log1p(exp(-0.5 * r));
    }
    return log1p(sqrt(1.0 + exp(r)));
}

void sbic_softmax(size_t M, const double *logw, double *w)
{
    if (M == 0)
        return;
    double mx = -INFINITY;
    for (size_t i = 0; i < M; i++)
        if (logw[i] > mx)
            mx = logw[i];
    double s = 0;
    for (size_t i = 0; i < M; i++)
        s += (w[i] = exp(logw[i] - mx));
    for (size_t i = 0; i < M; i++)
        w[i] /= s;
}

ss_status sbic_solve(size_t M, const double *ll, const double *lambda,
                     const double *mult, const double *prior, double n,
                     double *sbic, double *post)
{
    if (M == 0 || M > SBIC_MODELS_MAX)
        return SS_FAIL(SS_ERR_RANGE, "sbic takes 1 to %d models, got %zu",
                       SBIC_MODELS_MAX, M);
    if (!(n > 1) || !isfinite(n))
        return SS_FAIL(SS_ERR_RANGE,
                       "sbic needs more than 1 observation, got n = %g", n);
    double logn = log(n);
    int need_loglog = 0;
    for (size_t i = 0; i < M; i++) {
        if (!isfinite(ll[i]))
            return SS_FAIL(SS_ERR_NUMERIC,
                           "sbic: the log-likelihood of model %zu is %g", i + 1,
                           ll[i]);
        if (prior && !(prior[i] > 0 && isfinite(prior[i])))
            return SS_FAIL(SS_ERR_RANGE,
                           "sbic: the prior of model %zu must be positive, "
                           "got %g", i + 1, prior[i]);
        for (size_t j = 0; j <= i; j++) {
            double lam = lambda[i * M + j];
            double m = mult ? mult[i * M + j] : 1.0;
            if (!(lam > 0) || !isfinite(lam))
                return SS_FAIL(SS_ERR_RANGE,
                               "sbic: lambda_%zu%zu must be positive, got %g",
                               i + 1, j + 1, lam);
            if (!(m >= 1) || !isfinite(m))
                return SS_FAIL(SS_ERR_RANGE,
                               "sbic: m_%zu%zu must be at least 1, got %g",
                               i + 1, j + 1, m);
            if (m > 1)
                need_loglog = 1;
        }
    }
    if (need_loglog && !(logn > 1))
        return SS_FAIL(SS_ERR_RANGE,
                       "sbic: a multiplicity above 1 needs n > e (log log n "
                       "> 0), got n = %g", n);
    double loglogn = need_loglog ? log(logn) : 0.0;
    double lp[SBIC_MODELS_MAX], out[SBIC_MODELS_MAX];
    for (size_t i = 0; i < M; i++)
        lp[i] = prior ? log(prior[i]) : 0.0;
    /* log L'_ij */
#define LOGLP(i, j)                                                          \
    (ll[i] - lambda[(i) * M + (j)] * logn +                                  \
     ((mult ? mult[(i) * M + (j)] : 1.0) - 1.0) * loglogn)
    out[0] = LOGLP(0, 0);
    for (size_t i = 1; i < M; i++) {
        double vs[SBIC_MODELS_MAX], vt[SBIC_MODELS_MAX];
        for (size_t j = 0; j < i; j++) {
            vs[j] = out[j] + lp[j];
            vt[j] = LOGLP(i, j) + out[j] + lp[j];
        }
        double logS = log_sum_exp(vs, i), logT = log_sum_exp(vt, i);
        double lii = LOGLP(i, i) + lp[i]; /* log(p_i L'_ii) */
        /* a x^2 + b x - T = 0 with a = p_i, b = S - p_i L'_ii; in units
         * x = e^C y with C large enough that |b| e^-C <= 1 and
         * a T e^-2C <= 1 */
        double C = fmax(fmax(logS, lii), 0.5 * (logT - lp[i]));
        double bt = exp(logS - C) - exp(lii - C);
        double lt = logT - 2.0 * C; /* log of T e^-2C */
        double ly;
        if (bt == 0) {
            ly = 0.5 * (lt - lp[i]);
        } else {
            double lb = log(fabs(bt));
            /* r = log(4 a T~ / b~^2): sqrt(b~^2 + 4 a T~) = |b~|
             * sqrt(1 + e^r) */
            double r = log(4.0) + lp[i] + lt - 2.0 * lb;
            if (bt > 0) /* y = 2 T~ / (b~ + sqrt(..)), no cancellation */
                ly = log(2.0) + lt - lb - log1p_sqrt1p_exp(r);
            else        /* y = (|b~| + sqrt(..)) / (2a) */
                ly = lb + log1p_sqrt1p_exp(r) - log(2.0) - lp[i];
        }
        out[i] = C + ly;
        if (!isfinite(out[i]))
            return SS_FAIL(SS_ERR_NUMERIC,
                           "sbic: the equation of model %zu has no finite "
                           "positive root", i + 1);
    }
#undef LOGLP
    for (size_t i = 0; i < M; i++)
        sbic[i] = out[i];
    if (post) {
        double lw[SBIC_MODELS_MAX];
        for (size_t i = 0; i < M; i++)
            lw[i] = out[i] + lp[i];
        sbic_softmax(M, lw, post);
    }
    return SS_OK;
}

ss_status sbic_gmm_report(size_t M, const size_t *K, const double *ll,
                          size_t n, double s, sbic_report *r)
{
    if (M == 0 || M > SBIC_MODELS_MAX)
        return SS_FAIL(SS_ERR_RANGE, "sbic takes 1 to %d models, got %zu",
                       SBIC_MODELS_MAX, M);
    for (size_t i = 0; i < M; i++)
        if (K[i] < 1 || K[i] > SBIC_MODELS_MAX || (i > 0 && K[i] <= K[i - 1]))
            return SS_FAIL(SS_ERR_USAGE,
                           "sbic needs strictly increasing K in 1..%d",
                           SBIC_MODELS_MAX);
    double lam[SBIC_MODELS_MAX * SBIC_MODELS_MAX];
    for (size_t i = 0; i < M; i++)
        for (size_t j = 0; j < M; j++)
            lam[i * M + j] = j <= i ? sbic_gmm_lambda(K[i], K[j]) : NAN;
    double sb[SBIC_MODELS_MAX], post[SBIC_MODELS_MAX];
    ss_status rc = sbic_solve(M, ll, lam, NULL, NULL, (double)n, sb, post);
    if (rc != SS_OK)
        return rc;
    r->M = M;
    r->n = n;
    r->s = s;
    r->nonmonotone = 0;
    double mb[SBIC_MODELS_MAX];
    for (size_t i = 0; i < M; i++) {
        r->K[i] = K[i];
        r->d[i] = 2 * K[i] - 1;
        r->ll[i] = ll[i];
        r->bic[i] = -2.0 * ll[i] + (double)r->d[i] * log((double)n);
        mb[i] = r->bic[i] / -2.0;
        r->sbic[i] = sb[i];
        r->post_sbic[i] = post[i];
        if (i > 0 && ll[i] < ll[i - 1] - 1e-9 * (1 + fabs(ll[i - 1])))
            r->nonmonotone = 1;
    }
    for (size_t k = 0; k < M * M; k++)
        r->lambda[k] = lam[k];
    sbic_softmax(M, mb, r->post_bic);
    r->pick_bic = r->pick_sbic = 0;
    for (size_t i = 1; i < M; i++) {
        if (r->bic[i] < r->bic[r->pick_bic])
            r->pick_bic = i;
        if (r->sbic[i] > r->sbic[r->pick_sbic])
            r->pick_sbic = i;
    }
    return SS_OK;
}

/* The random-effect and residual part of a population model's layout
 * (model/pop.h): shared by every family with a pop_spec, so each PK family
 * writes only its fixed effects and its prediction. */
#include "model/pop.h"

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_matrix.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

const pop_spec *pop_spec_of(const model *m)
{
    return m && m->type->pop ? m->type->pop(m) : NULL;
}

static int choice_is(const model *m, size_t o, const char *s)
{
    return m->opt_choice[o] && strcmp(m->opt_choice[o], s) == 0;
}

ss_status pop_configure(model *m, pop_spec *spec, size_t o_cov, size_t o_err,
                        size_t o_scale)
{
    spec->omega_full = choice_is(m, o_cov, "full");
    spec->sd_scale = choice_is(m, o_scale, "sd");
    spec->err = choice_is(m, o_err, "add")    ? POP_ERR_ADD
                : choice_is(m, o_err, "comb") ? POP_ERR_COMB
                                              : POP_ERR_PROP;
    if (spec->omega_full && spec->sd_scale)
        return SS_FAIL(SS_ERR_USAGE,
                       "cov=full takes variances and covariances: scale=sd "
                       "applies to cov=diag only");
    if (spec->neta > POP_MAX_ETA || spec->npsi > POP_MAX_PSI)
        return SS_FAIL(SS_ERR_LIMIT, "at most %d random effects",
                       POP_MAX_ETA);
    char name[3 * MODEL_NAME_MAX], a[MODEL_NAME_MAX], b[MODEL_NAME_MAX];
    const char *pre = spec->sd_scale ? "sd" : "om";
    ss_status st = SS_OK;
    spec->omega_first = m->P;
    for (size_t k = 0; st == SS_OK && k < spec->neta; k++) {
        model_param_name(m, spec->eta_psi[k], a, sizeof a);
        size_t lmax = spec->omega_full ? k : 0;
        for (size_t l = 0; st == SS_OK && l <= lmax; l++) {
            int diag = !spec->omega_full || l == k;
            if (diag)
                snprintf(name, sizeof name, "%s_%s", pre, a);
            else
                snprintf(name, sizeof name, "om_%s_%s",
                         model_param_name(m, spec->eta_psi[l], b, sizeof b),
                         a);
            if (strlen(name) >= MODEL_NAME_MAX)
                st = SS_FAIL(SS_ERR_LIMIT, "parameter name %s is too long",
                             name);
            else if (diag)
                st = model_add_param(m, name,
                                     spec->sd_scale ? sqrt(0.1) : 0.1, 0.0,
                                     1e6);
            else
                st = model_add_param(m, name, 0.0, -1e6, 1e6);
        }
    }
    spec->nomega = m->P - spec->omega_first;
    if (st == SS_OK && spec->nomega > 0)
        st = model_add_group(m, "omega", spec->omega_first, spec->nomega);
    spec->sigma_first = m->P;
    const char *rp = spec->sd_scale ? "sd" : "sig2";
    if (st == SS_OK && spec->err != POP_ERR_ADD) {
        snprintf(name, sizeof name, "%s_prop", rp);
        st = model_add_param(m, name, spec->sd_scale ? 0.1 : 0.01, 0.0, 1e6);
    }
    if (st == SS_OK && spec->err != POP_ERR_PROP) {
        snprintf(name, sizeof name, "%s_add", rp);
        st = model_add_param(m, name, spec->sd_scale ? sqrt(0.1) : 0.1, 0.0,
                             1e12);
    }
    spec->nsigma = m->P - spec->sigma_first;
    if (st == SS_OK)
        st = model_add_group(m, spec->sd_scale ? "sigma" : "sigma2",
                             spec->sigma_first, spec->nsigma);
    return st;
}

void pop_omega(const pop_spec *spec, const double *theta, double *omega)
{
    size_t q = spec->neta;
    const double *w = theta + spec->omega_first;
    memset(omega, 0, q * q * sizeof *omega);
    if (!spec->omega_full) {
        for (size_t k = 0; k < q; k++)
            omega[k * q + k] = spec->sd_scale ? w[k] * w[k] : w[k];
        return;
    }
    for (size_t k = 0, p = 0; k < q; k++)
        for (size_t l = 0; l <= k; l++, p++)
            omega[k * q + l] = omega[l * q + k] = w[p];
}

void pop_sigma2(const pop_spec *spec, const double *theta, double *s_prop,
                double *s_add)
{
    const double *s = theta + spec->sigma_first;
    double p = spec->err != POP_ERR_ADD ? s[0] : 0.0;
    double a = spec->err == POP_ERR_ADD    ? s[0]
               : spec->err == POP_ERR_COMB ? s[1]
                                           : 0.0;
    *s_prop = spec->sd_scale ? p * p : p;
    *s_add = spec->sd_scale ? a * a : a;
}

ss_status pop_check(const pop_spec *spec, const double *theta)
{
    double sp, sa;
    pop_sigma2(spec, theta, &sp, &sa);
    if (!(sp > 0.0 || sa > 0.0))
        return SS_FAIL(SS_ERR_RANGE,
                       "the residual variance is 0: the observations would "
                       "be exact and the likelihood degenerate");
    if (!spec->omega_full || spec->neta == 0)
        return SS_OK;
    size_t q = spec->neta;
    double om[POP_MAX_ETA * POP_MAX_ETA], dmax = 0.0;
    pop_omega(spec, theta, om);
    for (size_t k = 0; k < q; k++)
        dmax = fmax(dmax, om[k * q + k]);
    /* PSD test by the eigenvalues: a zero variance with its covariances
     * at 0 is allowed (no random effect there), anything indefinite not */
    gsl_matrix_view A = gsl_matrix_view_array(om, q, q);
    gsl_vector *ev = gsl_vector_alloc(q);
    gsl_eigen_symm_workspace *w = gsl_eigen_symm_alloc(q);
    if (!ev || !w) {
        gsl_vector_free(ev);
        gsl_eigen_symm_free(w);
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    }
    gsl_eigen_symm(&A.matrix, ev, w);
    double lmin = gsl_vector_min(ev);
    gsl_vector_free(ev);
    gsl_eigen_symm_free(w);
    if (lmin < -1e-14 * (dmax > 0.0 ? dmax : 1.0))
        return SS_FAIL(SS_ERR_RANGE,
                       "Omega is not positive semi-definite (smallest "
                       "eigenvalue %.6g): a covariance exceeds what its "
                       "variances allow (|om_a_b| <= sqrt(om_a om_b))",
                       lmin);
    return SS_OK;
}

int pop_param_kind(const pop_spec *spec, size_t i)
{
    if (i < spec->npsi)
        return POP_PAR_FIXED;
    if (i >= spec->omega_first && i < spec->omega_first + spec->nomega) {
        if (spec->sd_scale)
            return POP_PAR_SD;
        if (!spec->omega_full)
            return POP_PAR_VAR;
        size_t p = i - spec->omega_first, k = 0;
        while ((k + 1) * (k + 2) / 2 <= p)
            k++;
        return p == k * (k + 1) / 2 + k ? POP_PAR_VAR : POP_PAR_COV;
    }
    return spec->sd_scale ? POP_PAR_SD : POP_PAR_VAR;
}

size_t pop_singular(const pop_spec *spec, const model *m,
                    const double *theta, model_singular *out, size_t max)
{
    if (!spec->sd_scale)
        return 0;
    size_t n = 0;
    size_t first[2] = {spec->omega_first, spec->sigma_first};
    size_t cnt[2] = {spec->nomega, spec->nsigma};
    for (int g = 0; g < 2; g++)
        for (size_t j = 0; j < cnt[g] && n < max; j++, n++) {
            size_t i = first[g] + j;
            const char *nm = MODEL_PNAME(m, i);
            snprintf(out[n].name, sizeof out[n].name, "%s = 0", nm);
            snprintf(out[n].effect, sizeof out[n].effect,
                     "the information on %s vanishes as 4 %s^2 (SD scale)",
                     nm, nm);
            out[n].distance = fabs(theta[i]);
        }
    return n;
}

void pop_describe(const pop_spec *spec, const model *m, const double *theta,
                  const ss_sink *out)
{
    static const char *const err[] = {
        "additive: y = f + e, Var = sig2_add",
        "proportional: y = f (1 + e), Var = sig2_prop f^2",
        "combined: y = f (1 + e1) + e2, Var = sig2_add + sig2_prop f^2"};
    ss_sink_printf(out, "  residual error %s\n", err[spec->err]);
    double sp, sa;
    pop_sigma2(spec, theta, &sp, &sa);
    ss_sink_printf(out, "  residual variances: prop %.6g, add %.6g%s\n", sp,
                   sa, spec->sd_scale ? " (the parameters are SDs)" : "");
    size_t q = spec->neta;
    if (q == 0) {
        ss_sink_printf(out, "  no random effects\n");
        return;
    }
    double om[POP_MAX_ETA * POP_MAX_ETA];
    pop_omega(spec, theta, om);
    ss_sink_printf(out,
                   "  random effects (exponential: psi_i = psi exp(eta_i), "
                   "eta ~ N(0, Omega)), Omega%s:\n",
                   spec->omega_full ? " (correlations below the diagonal)"
                                    : " (diagonal)");
    for (size_t k = 0; k < q; k++) {
        ss_sink_printf(out, "    %-6s", MODEL_PNAME(m, spec->eta_psi[k]));
        for (size_t l = spec->omega_full ? 0 : k; l <= k; l++) {
            double v = om[k * q + l];
            if (l == k) {
                ss_sink_printf(out, " var %.6g (CV %.3g%%)", v,
                               100.0 * sqrt(expm1(v)));
            } else {
                double d = sqrt(om[k * q + k] * om[l * q + l]);
                if (d > 0.0)
                    ss_sink_printf(out, " %7.4f", v / d);
                else
                    ss_sink_printf(out, "       -");
            }
        }
        ss_sink_printf(out, "\n");
    }
}

size_t pop_data_cols(const model *m)
{
    (void)m;
    return 3;
}

const char *pop_data_colname(const model *m, size_t col, char *buf,
                             size_t n)
{
    (void)m;
    static const char *const names[3] = {"id", "t", "y"};
    snprintf(buf, n, "%s", names[col < 3 ? col : 2]);
    return buf;
}

static ss_status no_rows(const model *m)
{
    return SS_FAIL(SS_ERR_USAGE,
                   "%s is a population model: its information is that of "
                   "a design (`design D ...` then `fim MODEL design=D "
                   "method=fo`); it has no per-row likelihood",
                   m->type->name);
}

ss_status pop_sample(const model *m, const double *theta, gsl_rng *r,
                     gsl_matrix *out)
{
    (void)theta;
    (void)r;
    (void)out;
    return no_rows(m);
}

ss_status pop_loglik_terms(const model *m, const double *theta,
                           const gsl_matrix *data, double *ell,
                           gsl_matrix *scores)
{
    (void)theta;
    (void)data;
    (void)ell;
    (void)scores;
    return no_rows(m);
}

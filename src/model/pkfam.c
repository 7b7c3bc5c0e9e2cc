/* pk1 and pk2: the one- and two-compartment pharmacokinetic models as
 * population families, one implementation with the number of compartments
 * in its state. The individual curve is model/pk.c's or model/pk2.c's
 * closed form (oral, bolus or infusion; single, repeated or steady-state
 * dosing); the random effects and the residual are model/pop.c's. Their
 * information is that of a design (`fim p design=D method=fo`): the
 * families have no per-row likelihood. */
#include "model/pk.h"
#include "model/pk2.h"
#include "model/pop.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    O_ROUTE,
    O_PARAM,
    O_DOSE,
    O_TAU,
    O_DOSES,
    O_STEADY,
    O_TINF,
    O_COV,
    O_ERROR,
    O_SCALE
};

static const char *const route_choices[] = {"oral", "bolus", "infusion",
                                            NULL};
static const char *const param_choices[] = {"cl", "k", NULL};
static const char *const noyes[] = {"no", "yes", NULL};
static const char *const cov_choices[] = {"diag", "full", NULL};
static const char *const err_choices[] = {"prop", "add", "comb", NULL};
static const char *const scale_choices[] = {"var", "sd", NULL};

static const model_optdef pk1_opts[] = {
    {"route", MOPT_ENUM, 0, 0, 0, route_choices,
     "oral (first-order absorption), IV bolus or zero-order infusion", NULL},
    {"param", MOPT_ENUM, 0, 0, 0, param_choices,
     "elimination as clearance CL or as rate constant K = CL/V", NULL},
    {"dose", MOPT_REAL, 70.0, 0.0, 1e12, NULL,
     "amount per dose (a design's dose=[..] overrides it per group)", NULL},
    {"tau", MOPT_REAL, 24.0, 1e-9, 1e9, NULL,
     "dosing interval (with doses > 1 or steady=yes)", NULL},
    {"doses", MOPT_INT, 1.0, 1.0, 10000.0, NULL,
     "number of doses, at 0, tau, 2 tau, ...", NULL},
    {"steady", MOPT_ENUM, 0, 0, 0, noyes,
     "steady state: times are read as time since the last dose", NULL},
    {"tinf", MOPT_REAL, 1.0, 1e-9, 1e9, NULL,
     "infusion duration (route=infusion)", NULL},
    {"cov", MOPT_ENUM, 0, 0, 0, cov_choices,
     "Omega diagonal or full (lower triangle row by row)", NULL},
    {"error", MOPT_ENUM, 0, 0, 0, err_choices,
     "residual error: proportional, additive or combined", NULL},
    {"scale", MOPT_ENUM, 0, 0, 0, scale_choices,
     "Omega and residual parameters as variances or SDs", NULL},
};

typedef struct {
    pop_spec spec;
    pk_dosing dosing;
    int param_k;
    int ncmt;   /* 1 or 2 compartments */
    size_t ika; /* index of KA among the fixed effects (oral) */
} pk1_state;

static const pk1_state *st_of(const model *m)
{
    return m->state;
}

static const pop_spec *pk1_pop(const model *m)
{
    return &st_of(m)->spec;
}

static int is_oral(const model *m)
{
    return st_of(m)->dosing.route == PK_ORAL;
}

/* theta's fixed effects to pk_conc's (CL, V, KA, F) or pk2_conc's
 * (CL, V1, Q, V2, KA, F); with param=k the first is K = CL/V(1) */
static void to_pk(const model *m, const double *psi, double *th)
{
    const pk1_state *s = st_of(m);
    int oral = is_oral(m);
    if (s->ncmt == 1) {
        th[PK_CL] = s->param_k ? psi[0] * psi[1] : psi[0];
        th[PK_V] = psi[1];
        th[PK_KA] = oral ? psi[2] : 1.0;
        th[PK_F] = oral ? psi[3] : 1.0;
        return;
    }
    th[PK2_CL] = s->param_k ? psi[0] * psi[1] : psi[0];
    th[PK2_V1] = psi[1];
    th[PK2_Q] = psi[2];
    th[PK2_V2] = psi[3];
    th[PK2_KA] = oral ? psi[4] : 1.0;
    th[PK2_F] = oral ? psi[5] : 1.0;
}

static ss_status pk1_predict(const model *m, const double *psi, double dose,
                             const double *t, size_t nt, double *f,
                             double *grad)
{
    const pk1_state *s = st_of(m);
    pk_dosing d = s->dosing;
    if (!isnan(dose))
        d.dose = dose;
    double th[PK2_NPAR], g[PK2_NPAR];
    to_pk(m, psi, th);
    size_t np = s->spec.npsi;
    for (size_t j = 0; j < nt; j++) {
        ss_status rc = s->ncmt == 1
                           ? pk_conc(&d, th, t[j], &f[j], grad ? g : NULL)
                           : pk2_conc(&d, th, t[j], &f[j], grad ? g : NULL);
        if (rc != SS_OK)
            return rc;
        if (!grad)
            continue;
        double *row = grad + j * np;
        /* the gradient in pk's order is theta's, but for param=k, where
         * CL = K V: d/dK = V d/dCL, d/dV|K = d/dV|CL + K d/dCL */
        for (size_t i = 0; i < np; i++)
            row[i] = g[i];
        if (s->param_k) {
            row[0] = g[0] * psi[1];
            row[1] = g[1] + g[0] * psi[0];
        }
    }
    return SS_OK;
}

static ss_status pk_configure(model *m, int ncmt)
{
    pk1_state *s = calloc(1, sizeof *s);
    if (!s)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    m->state = s;
    s->ncmt = ncmt;
    const char *route = m->opt_choice[O_ROUTE];
    s->dosing.route = strcmp(route, "bolus") == 0      ? PK_BOLUS
                      : strcmp(route, "infusion") == 0 ? PK_INFUSION
                                                       : PK_ORAL;
    s->dosing.dose = m->opt[O_DOSE];
    s->dosing.tau = m->opt[O_TAU];
    s->dosing.ndoses = (size_t)m->opt[O_DOSES];
    s->dosing.steady = strcmp(m->opt_choice[O_STEADY], "yes") == 0;
    s->dosing.tinf = m->opt[O_TINF];
    s->param_k = strcmp(m->opt_choice[O_PARAM], "k") == 0;
    ss_status st = pk_dosing_check(&s->dosing);
    if (st != SS_OK)
        return st;
    if (s->dosing.steady && s->dosing.ndoses > 1)
        return SS_FAIL(SS_ERR_USAGE,
                       "steady=yes is the limit of infinitely many doses: "
                       "give it or doses=, not both");
    /* The warfarin example of PopED as defaults (CL 0.15, V 8, KA 1); the
     * peripheral compartment of pk2 as large as the central one */
    int oral = s->dosing.route == PK_ORAL;
    st = model_add_param(m, s->param_k ? "K" : "CL",
                         s->param_k ? 0.15 / 8.0 : 0.15, 1e-12, 1e12);
    if (st == SS_OK)
        st = model_add_param(m, ncmt == 1 ? "V" : "V1", 8.0, 1e-12, 1e12);
    if (st == SS_OK && ncmt == 2)
        st = model_add_param(m, "Q", 0.5, 0.0, 1e12);
    if (st == SS_OK && ncmt == 2)
        st = model_add_param(m, "V2", 8.0, 1e-12, 1e12);
    s->ika = m->P;
    if (st == SS_OK && oral)
        st = model_add_param(m, "KA", 1.0, 1e-12, 1e12);
    if (st == SS_OK && oral)
        st = model_add_param(m, "F", 1.0, 0.0, 1e6);
    if (st != SS_OK)
        return st;
    pop_spec *sp = &s->spec;
    sp->npsi = m->P;
    /* random effects on every PK parameter but F */
    sp->neta = oral ? m->P - 1 : m->P;
    for (size_t k = 0; k < sp->neta; k++)
        sp->eta_psi[k] = k;
    sp->predict = pk1_predict;
    st = pop_configure(m, sp, O_COV, O_ERROR, O_SCALE);
    if (st != SS_OK)
        return st;
    /* PopED's warfarin variances on CL, V and KA, 0.1 on Q and V2 */
    double om_def[POP_MAX_ETA];
    for (size_t k = 0; k < sp->neta; k++)
        om_def[k] = k == 0 ? 0.07 : k == 1 ? 0.02 : k == s->ika ? 0.6 : 0.1;
    for (size_t k = 0, p = 0; k < sp->neta; k++)
        for (size_t l = 0; l <= (sp->omega_full ? k : 0); l++, p++) {
            int diag = !sp->omega_full || l == k;
            double v = diag ? om_def[k] : 0.0;
            m->theta[sp->omega_first + p] = sp->sd_scale ? sqrt(v) : v;
        }
    return SS_OK;
}

static ss_status pk1_configure(model *m, const model_arg *args, size_t nargs,
                               unsigned char *used)
{
    (void)args;
    (void)nargs;
    (void)used;
    return pk_configure(m, 1);
}

static ss_status pk2_configure(model *m, const model_arg *args, size_t nargs,
                               unsigned char *used)
{
    (void)args;
    (void)nargs;
    (void)used;
    return pk_configure(m, 2);
}

static void pk1_release(model *m)
{
    free(m->state);
    m->state = NULL;
}

static ss_status pk1_copy_state(const model *src, model *dst)
{
    pk1_state *b = malloc(sizeof *b);
    if (!b)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    *b = *st_of(src);
    dst->state = b;
    return SS_OK;
}

static ss_status pk1_check(const model *m, const double *theta)
{
    return pop_check(&st_of(m)->spec, theta);
}

/* Flip-flop: ka = ke with ke = CL/V (or K). To first order the distance
 * of the point to the surface g = KA - ke = 0 is |g| / |grad g|. */
static double flipflop_distance(const model *m, const double *theta)
{
    if (st_of(m)->param_k)
        return fabs(theta[2] - theta[0]) / sqrt(2.0);
    double cl = theta[0], v = theta[1];
    double g = theta[2] - cl / v;
    return fabs(g) / sqrt(1.0 + 1.0 / (v * v) + cl * cl / (v * v * v * v));
}

static size_t pk1_singular(const model *m, const double *theta,
                           model_singular *out, size_t max)
{
    const pk1_state *s = st_of(m);
    size_t n = 0;
    if (is_oral(m) && s->ncmt == 1 && n < max) {
        snprintf(out[n].name, sizeof out[n].name, "KA = ke (flip-flop)");
        snprintf(out[n].effect, sizeof out[n].effect,
                 "(KA, ke) and (ke, KA) with V' = V ke/KA give the same "
                 "curve; the branches meet here");
        out[n++].distance = flipflop_distance(m, theta);
    }
    if (s->ncmt == 2 && n < max) {
        snprintf(out[n].name, sizeof out[n].name, "Q = 0");
        snprintf(out[n].effect, sizeof out[n].effect,
                 "the peripheral compartment is cut off: V2 does not "
                 "enter the curve");
        out[n++].distance = fabs(theta[2]);
    }
    if (is_oral(m) && m->is_free[s->ika + 1] && n < max) {
        snprintf(out[n].name, sizeof out[n].name, "F free (oral data)");
        snprintf(out[n].effect, sizeof out[n].effect,
                 "only F/V enters the curve: F and the volumes are not "
                 "separately identifiable (fix F)");
        out[n++].distance = 0.0;
    }
    return n + pop_singular(&s->spec, m, theta, out + n, max - n);
}

static size_t pk1_nsingular(const model *m)
{
    const pop_spec *sp = &st_of(m)->spec;
    return 2 + (sp->sd_scale ? sp->nomega + sp->nsigma : 0);
}

static void pk1_describe(const model *m, const double *theta,
                         const ss_sink *out)
{
    const pk1_state *s = st_of(m);
    static const char *const routes[] = {"oral (first-order absorption)",
                                         "IV bolus", "zero-order infusion"};
    double th[PK2_NPAR];
    to_pk(m, theta, th);
    double ke = th[PK_CL] / th[PK_V];
    double ka = s->ncmt == 1 ? th[PK_KA] : th[PK2_KA];
    ss_sink_printf(out, "  route %s, dose %.6g", routes[s->dosing.route],
                   s->dosing.dose);
    if (s->dosing.route == PK_INFUSION)
        ss_sink_printf(out, " over %.6g", s->dosing.tinf);
    if (s->dosing.steady)
        ss_sink_printf(out, ", steady state every %.6g", s->dosing.tau);
    else if (s->dosing.ndoses > 1)
        ss_sink_printf(out, ", %zu doses every %.6g", s->dosing.ndoses,
                       s->dosing.tau);
    if (s->ncmt == 2) {
        double a, b;
        pk2_macro(ke, th[PK2_Q] / th[PK2_V1], th[PK2_Q] / th[PK2_V2], &a,
                  &b);
        ss_sink_printf(out,
                       "\n  k10 = CL/V1 = %.6g; macro rates alpha = %.6g, "
                       "beta = %.6g (half-lives %.6g, %.6g)",
                       ke, a, b, log(2.0) / a, b > 0 ? log(2.0) / b : INFINITY);
        if (is_oral(m))
            ss_sink_printf(out, ", KA = %.6g", ka);
        ss_sink_printf(out, "\n");
        pop_describe(&s->spec, m, theta, out);
        return;
    }
    ss_sink_printf(out, "\n  ke = CL/V = %.6g, half-life %.6g", ke,
                   log(2.0) / ke);
    if (is_oral(m)) {
        double r = ka / ke;
        ss_sink_printf(out, ", KA/ke = %.6g%s", r,
                       r < 1.0 ? " (flip-flop: absorption is the slower "
                                 "rate and sets the terminal slope)"
                               : "");
    }
    ss_sink_printf(out, "\n");
    pop_describe(&s->spec, m, theta, out);
}

const model_type model_pk1_type = {
    .name = "pk1",
    .summary = "one-compartment pharmacokinetic population model "
               "(oral, bolus, infusion; exponential random effects)",
    .help =
        "Concentration after a dose D at t = 0 (first-order absorption):\n"
        "  f = D F KA / (V (KA - ke)) (exp(-ke t) - exp(-KA t)),  ke = CL/V,\n"
        "at KA = ke its limit D F ke t exp(-ke t)/V (computed stably "
        "nearby);\n"
        "IV bolus f = D/V exp(-ke t); infusion over tinf at rate D/tinf. "
        "doses=n every tau\n"
        "by superposition, steady=yes the infinite sum (t = time since the "
        "last dose).\n"
        "Fixed effects CL (param=k: K = CL/V instead), V, and for oral "
        "KA, F (defaults:\n"
        "PopED's warfarin example, CL 0.15, V 8, KA 1, F 1, dose 70).\n"
        "Subject i: psi_i = psi exp(eta_i), eta_i ~ N(0, Omega) on CL, V "
        "(and KA); group omega\n"
        "(om_CL om_V om_KA; cov=full adds om_CL_V ...; scale=sd: sd_CL "
        "...). Default Omega\n"
        "diag(0.07, 0.02, 0.6). Residual error=prop|add|comb: Var = "
        "sig2_add + sig2_prop f^2\n"
        "(group sigma2; scale=sd: sigma = SDs). Fix a parameter to leave it "
        "out of the FIM\n"
        "(`fix p F`; a zero variance fixed at 0 removes that random "
        "effect).\n"
        "Information: of a design, `fim p design=D method=fo|fo-full`.\n"
        "Singular sets: KA = ke (flip-flop: two branches meet, the "
        "individual FIM loses\n"
        "rank, lambda_min ~ (KA - ke)^2); F free with oral data (only F/V "
        "enters);\n"
        "SDs at 0 on the SD scale; fewer samples per subject than "
        "parameters.",
    .opts = pk1_opts,
    .nopts = sizeof pk1_opts / sizeof pk1_opts[0],
    .param_summary = "CL|K V [KA F] omega sigma2|sigma",
    .configure = pk1_configure,
    .check = pk1_check,
    .data_cols = pop_data_cols,
    .data_colname = pop_data_colname,
    .sample = pop_sample,
    .loglik_terms = pop_loglik_terms,
    .singular = pk1_singular,
    .nsingular = pk1_nsingular,
    .describe = pk1_describe,
    .release = pk1_release,
    .copy_state = pk1_copy_state,
    .data_kind = MODEL_DATA_GROUPED,
    .pop = pk1_pop,
};

const model_type model_pk2_type = {
    .name = "pk2",
    .summary = "two-compartment pharmacokinetic population model "
               "(oral, bolus, infusion; exponential random effects)",
    .help =
        "A central volume V1 (clearance CL, or K = CL/V1 with param=k) "
        "exchanges with a\n"
        "peripheral volume V2 at the intercompartmental clearance Q; "
        "f is the central\n"
        "concentration, a sum of exponentials in the macro rates alpha > "
        "beta (and KA),\n"
        "computed as divided differences so KA = alpha or beta is an "
        "ordinary point.\n"
        "Routes, dosing, random effects (on CL V1 Q V2 and KA), Omega, "
        "residual and scales\n"
        "as for pk1 (`help pk1`); defaults CL 0.15, V1 8, Q 0.5, V2 8, KA 1, "
        "F 1, dose 70.\n"
        "Information: of a design, `fim p design=D method=fo|fo-full`.\n"
        "Singular sets: Q = 0 (V2 does not enter), F free with oral data, "
        "SDs at 0 on\n"
        "the SD scale, and designs with fewer samples than parameters. "
        "Steady state needs\n"
        "Q > 0.",
    .opts = pk1_opts,
    .nopts = sizeof pk1_opts / sizeof pk1_opts[0],
    .param_summary = "CL|K V1 Q V2 [KA F] omega sigma2|sigma",
    .configure = pk2_configure,
    .check = pk1_check,
    .data_cols = pop_data_cols,
    .data_colname = pop_data_colname,
    .sample = pop_sample,
    .loglik_terms = pop_loglik_terms,
    .singular = pk1_singular,
    .nsingular = pk1_nsingular,
    .describe = pk1_describe,
    .release = pk1_release,
    .copy_state = pk1_copy_state,
    .data_kind = MODEL_DATA_GROUPED,
    .pop = pk1_pop,
};

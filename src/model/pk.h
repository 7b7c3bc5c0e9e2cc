/* One-compartment pharmacokinetic models in closed form: the concentration
 * f(t) and its exact gradient with respect to θ = (CL, V, KA, F).
 *
 * Routes: first-order absorption (oral), IV bolus, zero-order infusion of
 * duration tinf. Dosing: a single dose at t = 0, ndoses doses every tau
 * (superposition), or steady state (the infinite sum in closed form).
 * The oral form stays accurate at and near the flip-flop point ka = ke,
 * where the textbook formula is 0/0 (docs/theory.md section 15).
 *
 * Pure functions: no state, no allocation; thread-safe. */
#ifndef SS_PK_H
#define SS_PK_H

#include "core/status.h"

#include <stddef.h>

enum { PK_ORAL = 0, PK_BOLUS = 1, PK_INFUSION = 2 };

/* Indices of θ and of the gradient. KA and F act on the oral route only;
 * for bolus and infusion their gradient entries are 0 and their values are
 * not checked. */
enum { PK_CL = 0, PK_V = 1, PK_KA = 2, PK_F = 3, PK_NPAR = 4 };

typedef struct {
    int route;      /* PK_ORAL, PK_BOLUS, PK_INFUSION */
    double dose;    /* amount per dose, >= 0 */
    double tau;     /* dosing interval, > 0 when ndoses > 1 or steady */
    double tinf;    /* infusion duration, > 0 for PK_INFUSION */
    size_t ndoses;  /* doses at 0, tau, ..., (ndoses-1) tau; 0 or 1: one */
    int steady;     /* nonzero: steady state (ndoses ignored); t is read
                       modulo tau, i.e. as the time since the last dose */
} pk_dosing;

/* Check a dosing description (route known, dose >= 0, tau > 0 where it
 * is used, tinf > 0 for an infusion, everything finite; steady-state
 * infusion is not supported). */
ss_status pk_dosing_check(const pk_dosing *d);

/* Concentration at time t (t < 0 before the first dose: 0, gradient 0;
 * a bolus given at time t counts at t). theta = (CL, V, KA, F) with CL, V
 * > 0, and for the oral route KA > 0 and F >= 0. grad: PK_NPAR entries or
 * NULL. SS_ERR_RANGE/SS_ERR_USAGE on invalid input (nothing written). */
ss_status pk_conc(const pk_dosing *d, const double *theta, double t,
                  double *f, double *grad);

/* The stable kernels (exported for the tests and later design code), all
 * for x >= 0 and finite there, with their values at 0:
 * phi(x) = (1 - e^-x)/x          = ∫_0^1 e^{-xu} du,        phi(0) = 1
 * psi(x) = (x - 1 + e^-x)/x^2    = ∫_0^1 (1-u) e^{-xu} du,  psi(0) = 1/2
 * chi(x) = (1 - (1+x) e^-x)/x^2  = ∫_0^1 u e^{-xu} du,      chi(0) = 1/2 */
double pk_phi(double x);
double pk_psi(double x);
double pk_chi(double x);

#endif

/* Two-compartment pharmacokinetic models in closed form: the central
 * concentration f(t) and its exact gradient with respect to
 * θ = (CL, V1, Q, V2, KA, F).
 *
 * A central volume V1 with elimination clearance CL exchanges with a
 * peripheral volume V2 at the intercompartmental clearance Q. Routes and
 * dosing as in pk.h (the same pk_dosing): oral (first-order absorption KA,
 * bioavailability F), IV bolus, zero-order infusion; one dose, n doses
 * every tau, or steady state (oral and bolus). Every formula is a divided
 * difference of exponentials over the nodes {KA, alpha, beta}, so KA equal
 * to a macro rate is an ordinary point (docs/theory.md section 15.1).
 *
 * Q = 0 is accepted for single and repeated doses: beta = 0, the
 * peripheral compartment is cut off and f is exactly the one-compartment
 * pk_conc. Steady state needs Q > 0 (at Q = 0 the infinite sum over the
 * peripheral mode, beta = 0, does not converge).
 *
 * Pure functions: no state, no allocation; thread-safe. */
#ifndef SS_PK2_H
#define SS_PK2_H

#include "core/status.h"
#include "model/pk.h"

/* Indices of θ and of the gradient. KA and F act on the oral route only;
 * for bolus and infusion their gradient entries are 0 and their values
 * are not checked. */
enum {
    PK2_CL = 0,
    PK2_V1 = 1,
    PK2_Q = 2,
    PK2_V2 = 3,
    PK2_KA = 4,
    PK2_F = 5,
    PK2_NPAR = 6
};

/* Concentration in the central compartment at time t (t < 0 before the
 * first dose: 0, gradient 0; a bolus given at t counts at t). CL, V1,
 * V2 > 0, Q >= 0 (> 0 at steady state), and on the oral route KA > 0,
 * F >= 0. grad: PK2_NPAR entries or NULL. SS_ERR_RANGE/SS_ERR_USAGE on
 * invalid input (nothing written). */
ss_status pk2_conc(const pk_dosing *d, const double *theta, double t,
                   double *f, double *grad);

/* The macro rates alpha > beta >= 0 (the roots of
 * x^2 - (k10 + k12 + k21) x + k10 k21) of micro rates k10 > 0,
 * k12, k21 >= 0, without cancellation (beta as a product over alpha). */
void pk2_macro(double k10, double k12, double k21, double *alpha,
               double *beta);

/* The divided difference e_t[y_0, ..., y_{n-1}] of y -> e^{-y t} over n
 * (1..6) nodes y_i >= 0, repeats allowed (then the derivative), for
 * t >= 0; accurate to a few ulp times a small factor for any spread of
 * the nodes (exported for the tests). */
double pk2_edd(double t, const double *y, int n);

#endif

/* Stored result objects that pair numbers with what they came from. */
#ifndef SS_RESULTS_H
#define SS_RESULTS_H

#include "fim/fim.h"
#include "fim/spectrum.h"

typedef struct {
    fim_result *fim;   /* owned */
    spec_result *spec; /* owned */
    char model[64];
} eig_obj;

void eig_obj_free(eig_obj *e);

#endif

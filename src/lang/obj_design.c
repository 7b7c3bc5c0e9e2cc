/* The population design class: its groups for `show`, one row per sample
 * for `export` (group, size, dose, time). */
#include "lang/commands.h"
#include "lang/results.h"

#include "core/table.h"
#include "design/popdesign.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static void print_design(session *s, const char *name, const void *p)
{
    const pop_design *d = p;
    if (s->csv) {
        tbl *t = tbl_alloc(4);
        tbl_header(t, 0, "group");
        tbl_header(t, 1, "size");
        tbl_header(t, 2, "dose");
        tbl_header(t, 3, "time");
        for (size_t j = 0; j < d->ngroups; j++)
            for (size_t i = 0; i < d->g[j].nt; i++) {
                tbl_row(t);
                tbl_num(t, 0, (double)(j + 1));
                tbl_num(t, 1, d->g[j].size);
                if (isnan(d->g[j].dose))
                    tbl_str(t, 2, "model");
                else
                    tbl_num(t, 2, d->g[j].dose);
                tbl_num(t, 3, d->g[j].t[i]);
            }
        tbl_print(t, &s->out, 1, 0);
        tbl_free(t);
        return;
    }
    session_printf(s,
                   "%s: population design, %zu group%s, %g subject%s, %g "
                   "samples\n",
                   name, d->ngroups, d->ngroups == 1 ? "" : "s",
                   pd_subjects(d), pd_subjects(d) == 1 ? "" : "s",
                   pd_samples(d));
    for (size_t j = 0; j < d->ngroups; j++) {
        const pd_group *g = &d->g[j];
        char dose[32];
        if (isnan(g->dose))
            snprintf(dose, sizeof dose, "the model's");
        else
            snprintf(dose, sizeof dose, "%g", g->dose);
        session_printf(s, "  group %zu: %g subject%s, dose %s, %zu time%s:",
                       j + 1, g->size, g->size == 1 ? "" : "s", dose, g->nt,
                       g->nt == 1 ? "" : "s");
        for (size_t i = 0; i < g->nt; i++)
            session_printf(s, " %.6g", g->t[i]);
        session_printf(s, "\n");
    }
}

static void free_design(void *p) { pd_free(p); }

const obj_type obj_design = {
    .name = "design",
    .free = free_design,
    .print = print_design,
};

/* `rlct MODEL truth=T method=llc`: the local learning coefficient
 * (bayes/llc.h), stored as an rlct estimate whose llc part is set
 * (cmd_rlct_llc.c, obj_rlct_llc.c). */
#ifndef SS_LANG_RLCT_LLC_H
#define SS_LANG_RLCT_LLC_H

#include "lang/session.h"
#include "lang/parse.h"
#include "lang/render.h"
#include "model/model.h"

struct llc_result_s;

/* The rest of `rlct` for method=llc: options, the run, the store. */
ss_status cmd_rlct_llc(session *s, const ss_stmt *st, const char *name,
                       const model *m, const model *t);

void rlct_llc_show(session *s, const char *name,
                   const struct llc_result_s *r);
void rlct_llc_export(session *s, const struct llc_result_s *r);
ss_status rlct_llc_draw(const render_request *req,
                        const struct llc_result_s *r, canvas *c);

#endif

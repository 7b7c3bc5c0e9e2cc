/* `rlct ... method=wbic` in the language (cmd_rlct_wbic.c reads the
 * options and runs it; obj_rlct_wbic.c shows, exports and draws the
 * result for the rlct class, obj_rlct.c). */
#ifndef SS_LANG_RLCT_WBIC_H
#define SS_LANG_RLCT_WBIC_H

#include "bayes/rlct.h"
#include "lang/parse.h"
#include "lang/render.h"
#include "lang/session.h"
#include "model/model.h"
#include "plot/canvas.h"

/* The wbic method after cmd_rlct read the model (name, m), the truth t
 * and method=. */
ss_status cmd_rlct_wbic(session *s, const ss_stmt *st, const char *name,
                        model *m, model *t);

void rlct_wbic_show(session *s, const char *name, const rlct_result *r);
void rlct_wbic_export(session *s, const rlct_result *r);
ss_status rlct_wbic_draw(const render_request *req, const rlct_result *r,
                         canvas *c);

#endif

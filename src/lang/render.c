#include "lang/render.h"

#include "fim/map.h"
#include "fim/path.h"
#include "lang/results.h"
#include "model/model.h"
#include "plot/plot.h"

#include <langinfo.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void render_request_init(render_request *r)
{
    memset(r, 0, sizeof *r);
    r->ascii = -1;
    r->logx = r->logy = -1;
    r->zmin = r->zmax = NAN;
    r->palette = -1;
}

int render_want_ascii(void)
{
    const char *cs = nl_langinfo(CODESET);
    return !(cs && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0));
}

/* A failure leaves its message in the canvas, so a pane is never blank
 * without a reason. */
static ss_status fail_in_canvas(canvas *c, ss_status rc)
{
    canvas_clear(c);
    const char *msg = ss_last_error()->msg;
    int y = c->h / 2, len = (int)strlen(msg);
    /* wrap long messages over a few lines */
    for (int off = 0, row = y - 1; off < len && row < c->h; row++) {
        char line[512];
        int n = len - off < c->w ? len - off : c->w;
        snprintf(line, sizeof line, "%.*s", n, msg + off);
        canvas_text(c, 0, row < 0 ? 0 : row, line, STY_TITLE);
        off += n;
    }
    return rc;
}

const char *render_title_or(const render_request *req, const char *def)
{
    return req->title[0] ? req->title : def;
}







ss_status render_value(session *s, const render_request *req,
                       const obj_type *type, const void *ptr, canvas *c)
{
    canvas_clear(c);
    ss_status rc;
    if (type->draw)
        rc = type->draw(s, req, ptr, c);
    else
        rc = SS_FAIL(SS_ERR_USAGE,
                     "nothing to draw for a %s: plot a path, map, spectrum "
                     "(eig ... as E), FIM (fim ... as F) or data set",
                     type->name);
    return rc == SS_OK ? rc : fail_in_canvas(c, rc);
}

ss_status render_object(session *s, const render_request *req, canvas *c)
{
    ss_obj *o = session_find(s, req->object);
    if (!o) {
        canvas_clear(c);
        return fail_in_canvas(
            c, SS_FAIL(SS_ERR_NAME, "no object named '%s'", req->object));
    }
    return render_value(s, req, o->type, o->ptr, c);
}

/* Drawing stored objects: what `plot` shows for each kind of result. The
 * same function fills a canvas for batch output (printed as text) and for
 * a TUI pane (copied into a window), so pictures are tested as text. */
#ifndef SS_RENDER_H
#define SS_RENDER_H

#include "lang/session.h"
#include "plot/canvas.h"

#define RENDER_MAX_MORE 3 /* objects overlaid on the first */

typedef struct render_request {
    char object[OBJ_NAME_MAX]; /* what to draw */
    int width, height;         /* cells; 0: the caller decides */
    int ascii;                 /* 1: ASCII only, 0: UTF-8, -1: from locale */
    int logx, logy;            /* -1: the object's natural choice */
    char title[128];           /* "" = automatic */
    double zmin, zmax;         /* colour range (range=); NAN: automatic */
    int palette;               /* canvas_palette; -1: automatic */
    char x[64], y[64];         /* axes by name (runs: x=z y=u); "": default */
    /* more objects of the same kind drawn over the first (plot A B C, for
     * classes with obj_type.overlay > 1) */
    char more[RENDER_MAX_MORE][OBJ_NAME_MAX];
    int nmore;
    char col[80];              /* column of a table (col=); "": the first */
    int col_col;               /* input column of col='s value (errors) */
    int bins;                  /* histogram bins (bins=); 0: automatic */
} render_request;

void render_request_init(render_request *r);

/* Draw the object named in req onto c (already sized). Errors (unknown
 * object, nothing to draw) are recorded as usual; the canvas then holds
 * the message so a pane never shows garbage. */
ss_status render_object(session *s, const render_request *req, canvas *c);

/* Draw an object that is not (yet) in the session: a result while it is
 * being computed. req->object names it in titles. */
ss_status render_value(session *s, const render_request *req,
                       const obj_type *type, const void *ptr, canvas *c);

/* req's title if it has one, else def. */
const char *render_title_or(const render_request *req, const char *def);

/* Whether text output should be ASCII (locale not UTF-8, or asked). */
int render_want_ascii(void);

#endif

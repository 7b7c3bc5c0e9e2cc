#include "lang/session.h"

#include "core/rng.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void session_tick(void *ctx, const ss_iter *it)
{
    session *s = ctx;
    if (!s->progress || !it->type->progress)
        return;
    size_t done, total;
    it->type->progress(it->state, &done, &total);
    s->progress(s, it->type->name, done, total);
}

ss_status session_drive(session *s, const session_job *job)
{
    if (s->ui_hooks && s->ui_hooks->drive)
        return s->ui_hooks->drive(s, job);
    return ss_iter_drive(&job->it, session_tick, s);
}

ss_status session_drive_keeping(session *s, const session_job *job,
                                int *stopped)
{
    ss_status rc = session_drive(s, job);
    *stopped = rc == SS_ERR_INTERRUPTED;
    if (*stopped) {
        ss_clear_error();
        rc = SS_OK;
    }
    return rc;
}

session *session_new(ss_sink out, ss_sink err, uint64_t seed)
{
    session *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->out = out;
    s->err = err;
    s->rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!s->rng) {
        free(s);
        return NULL;
    }
    session_reseed(s, seed);
    return s;
}

void session_delete(session *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nobjs; i++)
        s->objs[i].type->free(s->objs[i].ptr);
    free(s->objs);
    gsl_rng_free(s->rng);
    free(s);
}

void session_reseed(session *s, uint64_t seed)
{
    s->seed = seed;
    ss_rng_seed(s->rng, seed, SS_STREAM_SESSION, 0);
}

ss_obj *session_find(session *s, const char *name)
{
    for (size_t i = 0; i < s->nobjs; i++)
        if (strcmp(s->objs[i].name, name) == 0)
            return &s->objs[i];
    return NULL;
}

ss_status session_get(session *s, const char *name, const obj_type *type,
                      int col, void **out)
{
    ss_obj *o = session_find(s, name);
    if (!o) {
        char have[300] = "";
        size_t len = 0;
        for (size_t i = 0; i < s->nobjs && len + 40 < sizeof have; i++)
            if (!type || s->objs[i].type == type)
                len += (size_t)snprintf(have + len, sizeof have - len,
                                        "%s%s", len ? ", " : "",
                                        s->objs[i].name);
        if (len)
            return SS_FAIL_COL(SS_ERR_NAME, col, "no %s named '%s' (have: %s)",
                               type ? type->name : "object", name, have);
        return SS_FAIL_COL(SS_ERR_NAME, col, "no %s named '%s'%s",
                           type ? type->name : "object", name,
                           type == &obj_model
                               ? " (create one with `model NAME KIND`)"
                               : "");
    }
    if (type && o->type != type)
        return SS_FAIL_COL(SS_ERR_USAGE, col, "'%s' is a %s, not a %s", name,
                           o->type->name, type->name);
    *out = o->ptr;
    return SS_OK;
}

ss_status session_put(session *s, const char *name, const obj_type *type,
                      void *ptr, const char *origin)
{
    if (strlen(name) >= OBJ_NAME_MAX) {
        type->free(ptr);
        return SS_FAIL(SS_ERR_LIMIT, "name too long (limit %d characters)",
                       OBJ_NAME_MAX - 1);
    }
    ss_obj *o = session_find(s, name);
    if (!o) {
        ss_obj *no = realloc(s->objs, (s->nobjs + 1) * sizeof *no);
        if (!no) {
            type->free(ptr);
            return SS_FAIL(SS_ERR_NOMEM, "out of memory");
        }
        s->objs = no;
        o = &s->objs[s->nobjs++];
    } else {
        o->type->free(o->ptr);
    }
    snprintf(o->name, sizeof o->name, "%s", name);
    o->type = type;
    o->ptr = ptr;
    o->gen = ++s->puts;
    snprintf(o->origin, sizeof o->origin, "%s", origin ? origin : "");
    return SS_OK;
}

ss_status session_check_name(session *s, const char *name,
                             const obj_type *type, int col)
{
    if (strlen(name) >= OBJ_NAME_MAX)
        return SS_FAIL_COL(SS_ERR_LIMIT, col,
                           "name too long (limit %d characters)",
                           OBJ_NAME_MAX - 1);
    ss_obj *o = session_find(s, name);
    if (o && o->type != type)
        return SS_FAIL_COL(SS_ERR_USAGE, col,
                           "'%s' is a %s; choose another name for the %s or "
                           "`delete %s` first",
                           name, o->type->name, type->name, name);
    return SS_OK;
}

ss_status session_remove(session *s, const char *name)
{
    ss_obj *o = session_find(s, name);
    if (!o)
        return SS_FAIL(SS_ERR_NAME, "no object named '%s'", name);
    o->type->free(o->ptr);
    size_t i = (size_t)(o - s->objs);
    memmove(&s->objs[i], &s->objs[i + 1],
            (s->nobjs - i - 1) * sizeof *s->objs);
    s->nobjs--;
    return SS_OK;
}

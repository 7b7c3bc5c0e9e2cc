/* `merge FILES... as NAME`: shards of an experiment back into the result
 * one run gives (lang/shard.h). The experiment's own command is replayed
 * with the rows read from the files, so the same code builds the result
 * from the same numbers. */
#include "lang/args.h"
#include "lang/commands.h"
#include "lang/shard.h"

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The files named, with shell patterns ("shard-*.csv", quoted in the
 * command language) expanded in sorted order. */
static ss_status file_list(const ss_stmt *st, char ***paths, size_t *n)
{
    size_t cap = 0, k = 0;
    char **v = NULL;
    ss_status rc = SS_OK;
    for (size_t i = 0; rc == SS_OK && i < args_npos(st); i++) {
        const ss_stmt_arg *a = args_pos(st, i);
        if (a->v.kind != VAL_STR && a->v.kind != VAL_IDENT) {
            rc = SS_FAIL_COL(SS_ERR_USAGE, a->v.col,
                             "merge takes file names (shard files written "
                             "by export)");
            break;
        }
        glob_t g;
        int pattern = strpbrk(a->v.str, "*?[") != NULL;
        int gr = pattern ? glob(a->v.str, 0, NULL, &g) : GLOB_NOMATCH;
        size_t add = pattern && gr == 0 ? g.gl_pathc : 1;
        if (pattern && gr != 0) {
            if (gr != GLOB_NOMATCH)
                globfree(&g);
            rc = SS_FAIL_COL(SS_ERR_IO, a->v.col, "no file matches '%s'",
                             a->v.str);
            break;
        }
        if (k + add > SHARD_FILES_MAX) {
            rc = SS_FAIL_COL(SS_ERR_LIMIT, a->v.col,
                             "more than %d shard files", SHARD_FILES_MAX);
        } else if (k + add > cap) {
            size_t nc = (k + add) * 2;
            char **nv = realloc(v, nc * sizeof *nv);
            if (nv) {
                v = nv;
                cap = nc;
            } else {
                rc = SS_FAIL(SS_ERR_NOMEM, "out of memory");
            }
        }
        for (size_t j = 0; rc == SS_OK && j < add; j++)
            if (!(v[k++] = strdup(pattern ? g.gl_pathv[j] : a->v.str)))
                rc = SS_FAIL(SS_ERR_NOMEM, "out of memory");
        if (pattern)
            globfree(&g);
    }
    *paths = v;
    *n = k;
    return rc;
}

static void free_list(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* Whether c's option table has shard= (an experiment command). */
static int shardable(const cmd_def *c)
{
    for (const cmd_opt *o = c->opts; o && o->key; o++)
        if (!strcmp(o->key, "shard"))
            return 1;
    return 0;
}

const obj_type obj_merged = {.name = "experiment"};

ss_status cmd_merge(session *s, const ss_stmt *st)
{
    ss_status rc = args_check_opts(st, 1, SIZE_MAX);
    if (rc != SS_OK)
        return rc;
    if (!st->as_name)
        return SS_FAIL_COL(SS_ERR_USAGE, st->verb_col,
                           "merge needs `as NAME` to store the result");
    char **paths = NULL;
    size_t np = 0;
    exp_rows *rows = NULL;
    rc = file_list(st, &paths, &np);
    if (rc == SS_OK) {
        rc = exp_rows_read((const char *const *)paths, np, &rows);
        if (rc != SS_OK)
            ss_error_set_col(args_pos(st, 0)->v.col);
    }
    free_list(paths, np);
    if (rc != SS_OK)
        return rc;
    ss_stmt_list l = {0};
    rc = parse_line(rows->origin.command, &l);
    const cmd_def *c = rc == SS_OK && l.n == 1 ? cmd_find(l.v[0].verb) : NULL;
    if (rc == SS_OK && (!c || !shardable(c)))
        rc = SS_FAIL(SS_ERR_USAGE, "the shards' command `%s` is not an "
                                   "experiment merge can replay",
                     rows->origin.command);
    if (rc == SS_OK)
        rc = session_check_name(s, st->as_name, c->stores, st->as_col);
    if (rc == SS_OK && !(l.v[0].as_name = strdup(st->as_name)))
        rc = SS_FAIL(SS_ERR_NOMEM, "out of memory");
    if (rc == SS_OK) {
        s->merge = rows;
        rc = c->run(s, &l.v[0]);
        s->merge = NULL;
        if (rc != SS_OK) {
            /* the position is in the replayed command, not this line */
            ss_error e = *ss_last_error();
            char msg[sizeof e.msg + EXP_COMMAND_MAX + 64];
            snprintf(msg, sizeof msg, "replaying `%s` from the shards: %s",
                     rows->origin.command, e.msg);
            msg[sizeof e.msg - 1] = 0; /* the slot's size: cut the end */
            memcpy(e.msg, msg, sizeof e.msg);
            e.col = st->verb_col;
            ss_error_restore(&e);
        }
    } else if (ss_last_error()->col == 0) {
        ss_error_set_col(st->verb_col);
    }
    stmt_list_free(&l);
    exp_rows_free(rows);
    return rc;
}

/* `export OBJECT FILE`: any stored object to a file.
 *
 * How the file is written depends on what FILE names (symbolic links are
 * followed to their target first, so a link keeps pointing at the data):
 *   - a new file, or an existing regular file with one link: the content
 *     goes to a temporary file in the target's directory, is fsynced, and
 *     is renamed over the target, so a reader never sees half a file and a
 *     failure or Ctrl-C leaves the old file as it was. The new file gets the
 *     old file's permission bits (a new one: 0666 less the umask);
 *   - a regular file with several hard links: the content is first written
 *     to a temporary file (Ctrl-C or an error there leaves the target
 *     untouched), then copied into the target in place, so every link sees
 *     the new content and mode and owner stay;
 *   - anything else (a terminal, /dev/stdout, a FIFO, a device): written
 *     directly; Ctrl-C stops the output part-way.
 * A data set is streamed row by row (memory does not grow with its size).
 * CSV files start with one `#` comment line naming the object, the command
 * that made it and the model and point it came from; a path's power-law
 * fits go to a second file NAME.fit.csv (one table per file). */
#include "lang/args.h"
#include "lang/commands.h"

#include "config.h"
#include "core/interrupt.h"
#include "core/table.h"
#include "fim/path.h"
#include "lang/results.h"
#include "model/model.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- file names ------------------------------------------------------- */

/* The extension of the last path component (after its last '.', not a
 * leading one), or NULL. */
static const char *extension(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    return dot && dot != base && dot[1] ? dot + 1 : NULL;
}

/* Follow symbolic links (up to 40) to the name that holds the data; a
 * dangling link gives the name it points to. Caller frees. */
static char *resolve_links(const char *path)
{
    char *p = strdup(path);
    for (int depth = 0; p && depth < 40; depth++) {
        struct stat st;
        if (lstat(p, &st) != 0 || !S_ISLNK(st.st_mode))
            return p;
        char link[PATH_MAX];
        ssize_t n = readlink(p, link, sizeof link - 1);
        if (n < 0)
            return p;
        link[n] = 0;
        char *next;
        const char *slash = strrchr(p, '/');
        if (link[0] == '/' || !slash) {
            next = strdup(link);
        } else {
            size_t dl = (size_t)(slash - p) + 1;
            next = malloc(dl + (size_t)n + 1);
            if (next) {
                memcpy(next, p, dl);
                memcpy(next + dl, link, (size_t)n + 1);
            }
        }
        free(p);
        p = next;
    }
    return p;
}

static mode_t new_file_mode(void)
{
    mode_t u = umask(0);
    umask(u);
    return 0666 & ~u;
}

/* ---- one output file -------------------------------------------------- */

typedef enum { OUT_RENAME, OUT_COPY, OUT_DIRECT } out_route;

typedef struct {
    const char *name; /* as the user typed it (messages) */
    char *target;     /* symlinks followed */
    char *tmp;        /* temporary file (RENAME, COPY), or NULL */
    out_route route;
    FILE *f;
    ss_filesink fs;
    int col;
} outfile;

static ss_status io_fail(const outfile *o, const char *what, int err)
{
    return SS_FAIL_COL(SS_ERR_IO, o->col, "cannot %s '%s': %s", what,
                       o->name, strerror(err));
}

/* Remove what was started; the target is left as it was (except a direct
 * write, which cannot be taken back). */
static void out_abort(outfile *o)
{
    if (o->f)
        fclose(o->f);
    o->f = NULL;
    if (o->tmp)
        unlink(o->tmp);
    free(o->tmp);
    free(o->target);
    o->tmp = o->target = NULL;
}

static ss_status out_open(outfile *o, const char *name, int col)
{
    memset(o, 0, sizeof *o);
    o->name = name;
    o->col = col;
    /* An existing name is resolved by the kernel (which also follows
     * /proc's links such as /dev/stdout -> /proc/self/fd/1 -> pipe:[..]);
     * a dangling link by reading the links, to create what it names. */
    struct stat st;
    int exists = stat(name, &st) == 0;
    int err = errno;
    if (exists && !S_ISREG(st.st_mode))
        o->target = strdup(name);
    else if (exists)
        o->target = realpath(name, NULL);
    else
        o->target = resolve_links(name);
    if (!o->target && exists && errno != ENOMEM) {
        ss_status rc = io_fail(o, "write", errno);
        out_abort(o);
        return rc;
    }
    if (!o->target)
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    errno = err;
    if (!exists && errno != ENOENT) {
        ss_status rc = io_fail(o, "write", errno);
        out_abort(o);
        return rc;
    }
    if (exists && S_ISDIR(st.st_mode)) {
        out_abort(o);
        return SS_FAIL_COL(SS_ERR_IO, col, "cannot write '%s': it is a "
                                           "directory", name);
    }
    int fd;
    if (exists && !S_ISREG(st.st_mode)) {
        o->route = OUT_DIRECT;
        fd = open(o->target, O_WRONLY | O_NOCTTY | O_CLOEXEC);
    } else {
        o->route = exists && st.st_nlink > 1 ? OUT_COPY : OUT_RENAME;
        size_t l = strlen(o->target);
        o->tmp = malloc(l + 16);
        if (!o->tmp) {
            out_abort(o);
            return SS_FAIL(SS_ERR_NOMEM, "out of memory");
        }
        snprintf(o->tmp, l + 16, "%s.tmpXXXXXX", o->target);
        fd = mkstemp(o->tmp);
        if (fd < 0) {
            free(o->tmp);
            o->tmp = NULL;
        } else if (o->route == OUT_RENAME) {
            /* the old file's permissions (and owner, where allowed), or
             * the umask's for a new file: never mkstemp's 0600 */
            if (fchmod(fd, exists ? st.st_mode & 07777 : new_file_mode()))
                (void)0; /* a filesystem without modes: keep its default */
            if (exists && (st.st_uid != geteuid() || st.st_gid != getegid()))
                (void)!fchown(fd, st.st_uid, st.st_gid);
        }
    }
    if (fd < 0) {
        ss_status rc = io_fail(o, "write", errno);
        out_abort(o);
        return rc;
    }
    o->f = fdopen(fd, "w");
    if (!o->f) {
        ss_status rc = io_fail(o, "write", errno);
        close(fd);
        out_abort(o);
        return rc;
    }
    o->fs.f = o->f;
    return SS_OK;
}

/* Copy the finished temporary file into the (hard-linked) target. */
static int copy_into(const char *from, const char *to)
{
    int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return errno;
    int out = open(to, O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (out < 0) {
        int e = errno;
        close(in);
        return e;
    }
    char buf[65536];
    int err = 0;
    for (;;) {
        ssize_t n = read(in, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            err = n < 0 ? errno : 0;
            break;
        }
        for (ssize_t off = 0; off < n && !err;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0)
                err = errno;
            else
                off += w;
        }
        if (err)
            break;
    }
    if (!err && fsync(out) != 0)
        err = errno;
    if (close(out) != 0 && !err)
        err = errno;
    close(in);
    return err;
}

static void sync_dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash ? strndup(path, (size_t)(slash - path) + 1)
                      : strdup(".");
    if (!dir)
        return;
    int fd = open(dir, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd); /* best effort: the data itself is synced */
        close(fd);
    }
    free(dir);
}

/* Flush and sync the content (not yet visible for RENAME/COPY). */
static ss_status out_finish(outfile *o)
{
    if (o->fs.interrupted || ss_interrupted()) {
        int direct = o->route == OUT_DIRECT;
        out_abort(o);
        return SS_FAIL_COL(SS_ERR_INTERRUPTED, o->col,
                           direct ? "export interrupted: '%s' received only "
                                    "part of the output"
                                  : "export interrupted: '%s' was left as "
                                    "it was",
                           o->name);
    }
    int err = o->fs.err;
    if (!err && fflush(o->f) != 0)
        err = errno;
    if (!err && ferror(o->f))
        err = EIO;
    if (!err && o->route != OUT_DIRECT && fsync(fileno(o->f)) != 0)
        err = errno;
    if (fclose(o->f) != 0 && !err)
        err = errno;
    o->f = NULL;
    if (err) {
        ss_status rc = io_fail(o, "write", err);
        out_abort(o);
        return rc;
    }
    return SS_OK;
}

/* Make the finished content the target's. */
static ss_status out_commit(outfile *o)
{
    ss_status rc = SS_OK;
    if (o->route == OUT_RENAME) {
        if (rename(o->tmp, o->target) != 0)
            rc = io_fail(o, "replace", errno);
        else {
            free(o->tmp);
            o->tmp = NULL;
            sync_dir_of(o->target);
        }
    } else if (o->route == OUT_COPY) {
        int err = copy_into(o->tmp, o->target);
        if (err)
            rc = io_fail(o, "write", err);
    }
    out_abort(o); /* removes a temporary file left over */
    return rc;
}

/* ---- content ---------------------------------------------------------- */


/* Points of more parameters than this are not spelled out in a header. */
#define EXPORT_POINT_MAX 64

/* "v=0.25, w1=0, w2=1.5" for a full parameter vector of m. */
static void format_point(char *buf, size_t n, const model *m,
                         const double *theta)
{
    size_t len = 0;
    buf[0] = 0;
    for (size_t i = 0; i < m->P && len + 1 < n; i++) {
        char v[40];
        tbl_format_num(v, sizeof v, theta[i], 1);
        int w = snprintf(buf + len, n - len, "%s%s=%s", i ? ", " : "",
                         MODEL_PNAME(m, i), v);
        if (w < 0 || (size_t)w >= n - len) {
            snprintf(buf + (n > 4 ? n - 4 : 0), n > 4 ? 4 : n, "...");
            return;
        }
        len += (size_t)w;
    }
}

/* The `#` line at the top of a CSV file: what the object is, the command
 * that made it, and the model and parameter point it came from. Newlines
 * in names cannot occur (names are identifiers). */
static void csv_comment(session *s, const ss_sink *out, const ss_obj *o,
                        const char *part)
{
    obj_origin org = {.point_word = "currently at"};
    if (o->type->origin)
        o->type->origin(o->ptr, &org);
    const model *m = NULL;
    const double *point = NULL;
    if (!org.model && org.point) { /* the object is the model */
        m = o->ptr;
        point = org.point;
    } else {
        ss_obj *mo = org.model && *org.model ? session_find(s, org.model) : NULL;
        if (mo && mo->type == &obj_model) {
            m = mo->ptr;
            if (!org.kind)
                org.kind = m->type->name;
            /* the point it records, when it fits the model as it is now;
             * else the model's current values */
            point = org.point && org.npoint == m->P ? org.point : m->theta;
            if (point == m->theta)
                org.point_word = "currently at";
        }
    }
    ss_sink_printf(out, "# singscope %s export of %s %s%s%s", PACKAGE_VERSION,
                   o->type->name, o->name, part ? " " : "",
                   part ? part : "");
    if (*o->origin)
        ss_sink_printf(out, " (made by: %s)", o->origin);
    if (!org.model && org.kind)
        ss_sink_printf(out, "; %s model", org.kind);
    else if (org.model && *org.model)
        ss_sink_printf(out, "; model %s%s%s%s", org.model,
                       org.kind ? " (" : "", org.kind ? org.kind : "",
                       org.kind ? ")" : "");
    if (m && point && m->P > EXPORT_POINT_MAX) {
        /* a wide network's point is no header line */
        if (!org.model)
            ss_sink_printf(out, " at a point of %zu parameters (the rows "
                                "below)",
                           m->P);
        else
            ss_sink_printf(out, " %s a point of %zu parameters (not listed: "
                                "`export %s FILE` writes them)",
                           org.point_word, m->P, org.model);
    } else if (m && point) {
        char pt[2048];
        format_point(pt, sizeof pt, m, point);
        ss_sink_printf(out, " %s %s", org.point_word, pt);
    }
    ss_sink_puts(out, "\n");
}

/* A big table (obj_table) written as a job: progress and Ctrl-C between
 * blocks of rows, in every front end. */
static ss_status write_table_job(session *s, const ss_obj *o, int part,
                                 const ss_sink *out, int csv)
{
    obj_table tb = {0};
    if (!o->type->export_table(o->ptr, part, &tb))
        return SS_FAIL(SS_ERR_NOMEM, "out of memory");
    tbl_stream *t = tbl_stream_alloc(out, tb.head, tb.ncols, tb.nrows,
                                     tb.row, tb.ctx, csv, 0);
    ss_status rc = SS_OK;
    if (!t) {
        rc = SS_FAIL(SS_ERR_NOMEM, "out of memory");
    } else {
        session_job job = {.it = {&tbl_stream_type, t}, .what = "export"};
        rc = session_drive(s, &job);
    }
    tbl_stream_free(t);
    free(tb.head);
    return rc;
}

/* Print the object through its class into out: part -1 everything, else
 * table `part` of a class with several (one per CSV file). Returns
 * SS_ERR_INTERRUPTED when Ctrl-C stopped a streamed table part-way. */
static ss_status write_object(session *s, const ss_obj *o, const canvas *pic,
                              ss_sink out, int csv, int part)
{
    ss_sink save_out = s->out;
    int save_csv = s->csv;
    ss_status rc = SS_OK;
    s->out = out;
    s->csv = csv;
    if (csv)
        csv_comment(s, &out, o,
                    part >= 0 && o->type->part_names
                        ? o->type->part_names[part]
                        : NULL);
    if (pic)
        canvas_print(pic, &s->out);
    else if (o->type->export_table)
        rc = write_table_job(s, o, part < 0 ? 0 : part, &out, csv);
    else if (o->type->export_rows)
        o->type->export_rows(s, o->name, o->ptr, part < 0 ? 0 : part);
    else
        o->type->print(s, o->name, o->ptr);
    s->out = save_out;
    s->csv = save_csv;
    return rc;
}

/* NAME.csv -> NAME.fit.csv (NAME -> NAME.fit.csv without .csv). */
static char *fit_name(const char *path)
{
    const char *e = extension(path);
    size_t stem = e && strcasecmp(e, "csv") == 0 ? (size_t)(e - path) - 1
                                                  : strlen(path);
    char *f = malloc(stem + 9);
    if (f) {
        memcpy(f, path, stem);
        memcpy(f + stem, ".fit.csv", 9);
    }
    return f;
}

ss_status cmd_export(session *s, const ss_stmt *st)
{
    ss_status rc = args_check_opts(st, 2, 3);
    const char *name;
    ss_obj *o;
    if (rc == SS_OK)
        rc = args_object(s, st, &name, &o);
    if (rc != SS_OK)
        return rc;
    const ss_stmt_arg *fa = args_pos(st, 1);
    const ss_stmt_arg *flag = args_pos(st, 2);
    if (flag && (flag->v.kind != VAL_IDENT || strcmp(flag->v.str, "ascii")))
        return SS_FAIL_COL(SS_ERR_USAGE, flag->v.col,
                           "unexpected %s (the only flag is `ascii`)",
                           val_kind_name(flag->v.kind));
    if (fa->v.kind != VAL_STR && fa->v.kind != VAL_IDENT)
        return SS_FAIL_COL(SS_ERR_USAGE, fa->v.col, "export needs a file "
                                                    "name");
    const char *path = fa->v.str;
    /* Every format export writes is text: a name promising something else
     * (.png, .pdf, .json, .xlsx) would be a lie. */
    const char *ext = extension(path);
    int is_csv = ext && strcasecmp(ext, "csv") == 0;
    int is_txt = ext && strcasecmp(ext, "txt") == 0;
    if (ext && !is_csv && !is_txt)
        return SS_FAIL_COL(SS_ERR_USAGE, fa->v.col,
                           "export writes text only, not .%s: name the file "
                           ".csv (CSV tables), .txt (the text picture, or "
                           "the tables of a model) or give no extension "
                           "(text tables, or format=csv|text|picture)",
                           ext);
    const char *fmt;
    int drawable = o->type->draw != NULL;
    rc = args_word(st, "format", &fmt);
    if (rc != SS_OK)
        return rc;
    if (!fmt) /* the default comes from the name */
        fmt = is_csv ? "csv" : is_txt && drawable ? "picture" : "text";
    int csv = strcmp(fmt, "csv") == 0;
    int picture = strcmp(fmt, "picture") == 0;
    if (is_csv && !csv)
        return SS_FAIL_COL(SS_ERR_USAGE, args_key(st, "format")->v.col,
                           "a .csv file holds CSV: format=%s needs a .txt "
                           "name (or none)",
                           fmt);
    if (picture && !drawable)
        return SS_FAIL_COL(SS_ERR_USAGE, args_key(st, "format")
                                             ? args_key(st, "format")->v.col
                                             : fa->v.col,
                           "a %s has no picture; export it as text or csv",
                           o->type->name);
    render_request req;
    render_request_init(&req);
    canvas *pic = NULL; /* the picture, drawn once */
    snprintf(req.object, sizeof req.object, "%s", name);
    if (picture) {
        uint64_t w, h;
        rc = args_count(st, "width", &w);
        if (rc == SS_OK)
            rc = args_count(st, "height", &h);
        if (rc != SS_OK)
            return rc;
        req.width = (int)w;
        req.height = (int)h;
        req.ascii = flag ? 1 : 0;
        /* draw first: a failure must not leave a file behind */
        pic = canvas_alloc(req.width, req.height, req.ascii);
        if (!pic)
            return SS_FAIL(SS_ERR_NOMEM, "out of memory");
        rc = render_object(s, &req, pic);
        if (rc != SS_OK) {
            canvas_free(pic);
            return rc;
        }
    } else if (args_key(st, "width") || args_key(st, "height") || flag) {
        return SS_FAIL_COL(SS_ERR_USAGE, fa->v.col,
                           "width=, height= and ascii apply to pictures "
                           "(.txt or format=picture)");
    }

    /* An object of two tables (a path: points, fits) in CSV writes the
     * second to a second file (not next to a device or FIFO, which has no
     * directory of its own to put it in). */
    int two = csv && o->type->nparts >= 2;
    outfile out[2];
    size_t nout = 0;
    char *fname = NULL;
    rc = out_open(&out[0], path, fa->v.col);
    if (rc == SS_OK) {
        nout = 1;
        if (two && out[0].route == OUT_DIRECT)
            two = 0;
        else if (two && !(fname = fit_name(path)))
            rc = SS_FAIL(SS_ERR_NOMEM, "out of memory");
        else if (two && (rc = out_open(&out[1], fname, fa->v.col)) == SS_OK)
            nout = 2;
    }
    if (rc == SS_OK) {
        ss_status wr = write_object(s, o, pic, ss_sink_checked(&out[0].fs),
                                    csv, csv && o->type->nparts >= 2 ? 0 : -1);
        if (wr == SS_OK && nout == 2)
            wr = write_object(s, o, NULL, ss_sink_checked(&out[1].fs), csv, 1);
        /* stopped part-way (Ctrl-C in the job driver): out_finish then
         * discards or reports the partial output */
        for (size_t i = 0; wr == SS_ERR_INTERRUPTED && i < nout; i++)
            out[i].fs.interrupted = 1;
        if (wr != SS_OK && wr != SS_ERR_INTERRUPTED)
            rc = wr;
    }
    canvas_free(pic);
    /* finish both before making either visible: an interrupted or failed
     * export changes neither file */
    for (size_t i = 0; rc == SS_OK && i < nout; i++)
        rc = out_finish(&out[i]);
    for (size_t i = 0; rc == SS_OK && i < nout; i++)
        rc = out_commit(&out[i]);
    for (size_t i = 0; i < nout; i++)
        out_abort(&out[i]);
    if (rc == SS_OK && !s->csv) {
        session_printf(s, "wrote %s (%s, %s)\n", path, o->type->name,
                       csv ? "csv" : picture ? "picture" : "text");
        if (nout == 2)
            session_printf(s, "wrote %s (the %s, csv)\n", fname,
                           o->type->part_names[1]);
        else if (o->type->nparts >= 2 && csv)
            session_printf(s, "(the %s are not written: they go to a second "
                              "file, and '%s' is not a regular file)\n",
                           o->type->part_names[1], path);
    }
    free(fname);
    return rc;
}

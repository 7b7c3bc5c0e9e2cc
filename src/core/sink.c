#include "core/sink.h"
#include "core/interrupt.h"

#include <errno.h>

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static void file_write(void *ctx, const char *text, size_t len)
{
    fwrite(text, 1, len, (FILE *)ctx);
}

ss_sink ss_sink_file(FILE *f)
{
    ss_sink k = {file_write, f};
    return k;
}

static void checked_write(void *ctx, const char *text, size_t len)
{
    ss_filesink *fs = ctx;
    if (fs->err || fs->interrupted)
        return;
    if (ss_interrupted()) {
        fs->interrupted = 1;
        return;
    }
    errno = 0;
    if (len && fwrite(text, 1, len, fs->f) != len)
        fs->err = errno ? errno : EIO;
}

ss_sink ss_sink_checked(ss_filesink *fs)
{
    ss_sink k = {checked_write, fs};
    return k;
}

void ss_sink_puts(const ss_sink *k, const char *text)
{
    k->write(k->ctx, text, strlen(text));
}

void ss_sink_printf(const ss_sink *k, const char *fmt, ...)
{
    char small[512];
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        va_end(ap2);
        return;
    }
    if ((size_t)n < sizeof small) {
        k->write(k->ctx, small, (size_t)n);
    } else {
        char *big = malloc((size_t)n + 1);
        if (big) {
            vsnprintf(big, (size_t)n + 1, fmt, ap2);
            k->write(k->ctx, big, (size_t)n);
            free(big);
        }
    }
    va_end(ap2);
}

static void mem_write(void *ctx, const char *text, size_t len)
{
    ss_membuf *m = ctx;
    if (m->len + len + 1 > m->cap) {
        size_t cap = m->cap ? m->cap : 256;
        while (cap < m->len + len + 1)
            cap *= 2;
        char *nb = realloc(m->buf, cap);
        if (!nb)
            return;
        m->buf = nb;
        m->cap = cap;
    }
    memcpy(m->buf + m->len, text, len);
    m->len += len;
    m->buf[m->len] = 0;
}

ss_sink ss_sink_mem(ss_membuf *m)
{
    ss_sink k = {mem_write, m};
    return k;
}

void ss_membuf_clear(ss_membuf *m)
{
    m->len = 0;
    if (m->buf)
        m->buf[0] = 0;
}

void ss_membuf_free(ss_membuf *m)
{
    free(m->buf);
    m->buf = NULL;
    m->len = m->cap = 0;
}

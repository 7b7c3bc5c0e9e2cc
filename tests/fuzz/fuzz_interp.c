/* libFuzzer target over the interpreter: each input is a script, run in a
 * fresh session through interp_run_stream (the path a script file takes:
 * byte-order mark, CRLF, line caps, continuation lines, then the parser
 * and every command). Built by `make fuzz` when clang accepts
 * -fsanitize=fuzzer; see tests/fuzz/README.md.
 *
 * Two commands touch the file system and are left out: `source` (could
 * read a FIFO or /dev/stdin and block) and `export` (would write anywhere).
 * An input naming either is skipped. Work is bounded the way a user
 * bounds it, with Ctrl-C: after a second of CPU time a timer raises the
 * interrupt flag that every long loop polls. A loop that ignores it shows
 * up as a libFuzzer timeout (-timeout=). */
#include "config.h"

#include "core/interrupt.h"
#include "core/sink.h"
#include "core/status.h"
#include "lang/interp.h"
#include "lang/session.h"

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Output is produced (formatting runs), then dropped; with
 * FUZZ_INTERP_SHOW=1 in the environment it goes to stderr, to see what an
 * input found by the fuzzer does. */
static int show;

static void discard(void *ctx, const char *text, size_t len)
{
    (void)ctx;
    if (show)
        fwrite(text, 1, len, stderr);
}

static void on_cpu_timer(int sig)
{
    (void)sig;
    ss_interrupt_raise(); /* as a Ctrl-C would */
}

static void cpu_timer(long usec)
{
    struct itimerval it;
    memset(&it, 0, sizeof it);
    it.it_value.tv_sec = usec / 1000000;
    it.it_value.tv_usec = usec % 1000000;
    setitimer(ITIMER_VIRTUAL, &it, NULL);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_cpu_timer;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGVTALRM, &sa, NULL);
    ss_gsl_install_handler();
    const char *e = getenv("FUZZ_INTERP_SHOW");
    show = e && e[0] == '1';
    return 0;
}

static int mentions(const uint8_t *data, size_t size, const char *word)
{
    size_t n = strlen(word);
    for (size_t i = 0; i + n <= size; i++)
        if (memcmp(data + i, word, n) == 0)
            return 1;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (mentions(data, size, "source") || mentions(data, size, "export"))
        return -1; /* not added to the corpus */
    FILE *in = fmemopen(size ? (void *)data : (void *)"", size ? size : 1,
                        "r");
    if (!in)
        return 0;
    if (!size)
        getc(in); /* an empty script */
    ss_sink out = {discard, NULL};
    session *s = session_new(out, out, 1);
    if (s) {
        ss_interrupt_clear();
        cpu_timer(1000000);
        (void)interp_run_stream(s, in, "fuzz.scn");
        cpu_timer(0);
        session_delete(s);
    }
    fclose(in);
    ss_interrupt_clear();
    return 0;
}

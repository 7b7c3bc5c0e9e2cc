/* singscope: options, mode choice (full-screen UI, plain REPL or batch) and
 * teardown. */
#include "config.h"

#include "core/blas.h"
#include "core/interrupt.h"
#include "core/replicate.h"
#include "core/sink.h"
#include "core/status.h"
#include "lang/commands.h"
#include "lang/interp.h"
#include "lang/parse.h"
#include "lang/repl.h"
#include "lang/session.h"
#include "tui/tui.h"

#include <getopt.h>
#include <locale.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Diagnostics go to stderr, but only after the results printed before
 * them, so a piped or captured transcript keeps its order. */
static void err_write(void *ctx, const char *text, size_t len)
{
    (void)ctx;
    fflush(stdout);
    fwrite(text, 1, len, stderr);
}

typedef struct {
    int is_cmd; /* 1: -e text, 0: script path */
    const char *text;
} input_item;

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: singscope [OPTIONS] [SCRIPT...]\n"
            "Explore singular statistical models (Gaussian mixtures, two-unit\n"
            "perceptrons, ARMA series): the Fisher information, its spectrum\n"
            "and how it degenerates near the singular sets, along paths, on\n"
            "maps and in plots; FIM estimators over replicates; learning\n"
            "dynamics (training rules, averaged flows, plateaus, phase\n"
            "portraits) near them; your own data (CSV) and their\n"
            "maximum-likelihood fits; likelihood-ratio and model-\n"
            "selection experiments (on all cores, or in shards on a\n"
            "cluster); posteriors, WAIC, WBIC, free energies and\n"
            "learning coefficients; the singular BIC; the FIM spectra of\n"
            "wide random networks; population pharmacokinetic models,\n"
            "the FIMs of their sampling designs and optimal designs.\n"
            "\n"
            "  -b, --batch          run SCRIPTs and -e commands in order "
            "without\n"
            "                       any terminal UI; exit at the first "
            "error\n"
            "  -e, --execute=CMD    run CMD (repeatable; in order with "
            "SCRIPTs)\n"
            "  -k, --keep-going     in batch mode, continue after errors "
            "(exit 1\n"
            "                       at the end if any command failed)\n"
            "  -f, --format=FMT     print results as text (default) or csv\n"
            "  -s, --seed=N         seed the session random generator "
            "(default 1;\n"
            "                       0 to 18446744073709551615)\n"
            "  -t, --threads=N      worker threads for Monte-Carlo FIMs "
            "(default:\n"
            "                       all cores; results do not depend on "
            "it)\n"
            "      --plain          line REPL without the full-screen UI\n"
            "      --commands-markdown  print the command reference "
            "(docs/commands.md)\n"
            "  -h, --help           show this help and exit\n"
            "  -V, --version        show version information and exit\n"
            "\n"
            "Without --batch and with a terminal on stdin and stdout, "
            "singscope\n"
            "starts the full-screen UI (the line prompt with --plain), runs "
            "the\n"
            "SCRIPTs and -e commands in it, then waits for commands.\n"
            "With stdin not a terminal it runs in batch mode and, when no\n"
            "SCRIPT or -e is given, reads commands from stdin.\n"
            "\n"
            "Exit status: 0 success, 1 a command failed (or output could "
            "not be\n"
            "written), 2 bad options, 130 interrupted (Ctrl-C) in batch "
            "mode.\n"
            "Report bugs to: %s\n",
            PACKAGE_BUGREPORT);
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"batch", no_argument, NULL, 'b'},
        {"execute", required_argument, NULL, 'e'},
        {"keep-going", no_argument, NULL, 'k'},
        {"format", required_argument, NULL, 'f'},
        {"seed", required_argument, NULL, 's'},
        {"threads", required_argument, NULL, 't'},
        {"plain", no_argument, NULL, 'p'},
        {"commands-markdown", no_argument, NULL, 'M'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    setlocale(LC_ALL, "");
    ss_blas_init();
    input_item *items = calloc((size_t)argc + 1, sizeof *items);
    size_t nitems = 0;
    int batch = 0, keep_going = 0, csv = 0, plain = 0;
    unsigned long long seed = 1;
    int c;
    if (!items)
        return 2;
    /* A leading '-' keeps SCRIPTs and -e in command-line order. */
    while ((c = getopt_long(argc, argv, "-be:kf:s:t:hV", longopts, NULL)) !=
           -1) {
        switch (c) {
        case 1:
            items[nitems].is_cmd = 0;
            items[nitems++].text = optarg;
            break;
        case 'e':
            items[nitems].is_cmd = 1;
            items[nitems++].text = optarg;
            break;
        case 'b': batch = 1; break;
        case 'k': keep_going = 1; break;
        case 'p': plain = 1; break;
        case 'f':
            if (strcmp(optarg, "text") == 0)
                csv = 0;
            else if (strcmp(optarg, "csv") == 0)
                csv = 1;
            else {
                fprintf(stderr, "singscope: --format must be text or csv, "
                                "not '%s'\n", optarg);
                free(items);
                return 2;
            }
            break;
        case 't': {
            uint64_t v;
            if (!parse_u64(optarg, &v) || v < 1 || v > SS_THREADS_MAX) {
                fprintf(stderr, "singscope: --threads needs a whole number "
                                "from 1 to %d, not '%s'\n",
                        SS_THREADS_MAX, optarg);
                free(items);
                return 2;
            }
            ss_threads_set_default((unsigned)v);
            break;
        }
        case 's': {
            uint64_t v;
            /* all 64 bits, digits only: no sign, blanks or wrap-around */
            if (!parse_u64(optarg, &v)) {
                fprintf(stderr, "singscope: --seed needs a whole number from "
                                "0 to 18446744073709551615, not '%s'\n",
                        optarg);
                free(items);
                return 2;
            }
            seed = v;
            break;
        }
        case 'M': {
            ss_sink out = ss_sink_file(stdout);
            cmd_write_markdown(&out);
            free(items);
            return 0;
        }
        case 'h':
            usage(stdout);
            free(items);
            return 0;
        case 'V':
            printf("singscope %s (BLAS: %s)\n"
                   "Copyright (C) 2026 the singscope authors.\n"
                   "License MIT: free to use, change and share; no "
                   "warranty.\n",
                   PACKAGE_VERSION, ss_blas_name());
            free(items);
            return 0;
        default:
            fprintf(stderr, "Try 'singscope --help' for more information.\n");
            free(items);
            return 2;
        }
    }
    if (!isatty(STDIN_FILENO))
        batch = 1;

    ss_gsl_install_handler();
    ss_interrupt_install();
    ss_sink err = {err_write, NULL};
    session *s = session_new(ss_sink_file(stdout), err, (uint64_t)seed);
    if (!s) {
        fprintf(stderr, "singscope: out of memory\n");
        free(items);
        return 1;
    }
    s->csv = csv;
    /* The full-screen UI starts first, so -e and script output lands in
     * its log pane; without a usable terminal, the plain prompt. */
    int screen = !batch && !plain && isatty(STDIN_FILENO) &&
                 isatty(STDOUT_FILENO);
    if (screen) {
        char why[160];
        if (tui_start(s, why, sizeof why) != 0) {
            fprintf(stderr, "singscope: no full-screen UI (%s); using the "
                            "plain prompt\n", why);
            screen = 0;
        }
    }
    int failed = 0, interrupted_reported = 0;
    for (size_t i = 0; i < nitems && !s->quit; i++) {
        ss_status rc;
        if (items[i].is_cmd) {
            s->file = "-e";
            s->line = 1;
            rc = interp_exec(s, items[i].text);
            s->file = NULL;
        } else {
            rc = interp_run_file(s, items[i].text);
        }
        fflush(stdout);
        if (screen)
            tui_update(s);
        if (rc == SS_ERR_INTERRUPTED)
            interrupted_reported = 1;
        if (rc != SS_OK) {
            failed = 1;
            if (batch && (!keep_going || ss_interrupted()))
                break;
        }
    }
    if (batch && nitems == 0) {
        ss_status rc = interp_run_stream(s, stdin, "<stdin>");
        failed = rc != SS_OK;
        if (rc == SS_ERR_INTERRUPTED)
            interrupted_reported = 1;
    } else if (screen) {
        if (!s->quit) {
            tui_run(s);
            failed = 0;
        }
        tui_stop(s); /* re-raises a SIGTERM/SIGHUP that ended it */
    } else if (!batch && !s->quit) {
        repl_run(s);
        failed = 0;
    }
    session_delete(s);
    free(items);
    /* Output that could not be written (a full disk, a closed pipe) is a
     * failure too. */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "singscope: error writing the output\n");
        failed = 1;
    }
    /* A batch run stopped by Ctrl-C says so in its status, also when the
     * command it stopped kept what it had finished and returned. */
    if (batch && ss_interrupted()) {
        if (!interrupted_reported)
            fprintf(stderr, "singscope: interrupted\n");
        return 130;
    }
    return failed ? 1 : 0;
}

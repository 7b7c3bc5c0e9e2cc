#include "core/interrupt.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t flag;
static volatile sig_atomic_t busy;

static void on_sigint(int sig)
{
    (void)sig;
    if (busy && flag) {
        static const char msg[] = "\nsingscope: interrupted twice, exiting\n";
        (void)!write(STDERR_FILENO, msg, sizeof msg - 1);
        _exit(130);
    }
    flag = 1;
}

void ss_interrupt_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: a blocking read returns EINTR */
    sigaction(SIGINT, &sa, NULL);
}

int ss_interrupted(void) { return flag != 0; }
void ss_interrupt_clear(void) { flag = 0; }
void ss_interrupt_raise(void) { flag = 1; }
void ss_interrupt_set_busy(int b) { busy = b; }

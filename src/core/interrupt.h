/* Ctrl-C as a flag. Long loops poll ss_interrupted() between iterations and
 * return SS_ERR_INTERRUPTED, keeping what they finished. A second Ctrl-C
 * while a computation is already flagged exits the program. */
#ifndef SS_INTERRUPT_H
#define SS_INTERRUPT_H

void ss_interrupt_install(void);
int ss_interrupted(void);
void ss_interrupt_clear(void);
/* Raise the flag by hand (tests, and the UI's own key handling). */
void ss_interrupt_raise(void);
/* While "busy" is 0 (waiting at a prompt) a Ctrl-C only sets the flag;
 * while 1, a second Ctrl-C exits with status 130. */
void ss_interrupt_set_busy(int busy);

#endif

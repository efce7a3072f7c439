#ifndef MVM_SANDBOX_H
#define MVM_SANDBOX_H

/*
 * Restricts every thread of the process to the system calls a running
 * monitor needs (seccomp). Anything else fails with EPERM: no files are
 * opened, no programs run and no sockets created once the guest runs.
 */
int sandbox_enter(void);

#endif

/*
 * How mvm confines itself, in the order main() takes the steps:
 *
 *  1. sandbox_unshare_mounts(), before anything else (unshare(2) wants a
 *     process of one thread): a mount namespace of its own, whose mounts
 *     never propagate back to the host;
 *  2. every file, device and socket the VM needs is opened, as the user mvm
 *     was started as (root, for the jail);
 *  3. sandbox_enter_root(): an empty, read-only file system becomes its root
 *     and the host's is detached, so there is nothing left to open;
 *  4. sandbox_drop_privileges(): no supplementary groups, every uid and gid
 *     the unprivileged ones given, no capability in any set;
 *  5. the vCPU threads are created, held before their first KVM_RUN;
 *  6. sandbox_filter_system_calls(): the seccomp allowlist, on every thread;
 *  7. the vCPUs are let go.
 *
 * Each returns 0 or a negative errno.
 */
#ifndef MVM_SANDBOX_H
#define MVM_SANDBOX_H

#include <sys/types.h>

int sandbox_unshare_mounts(void);

/*
 * Mounts an empty read-only tmpfs on directory (in mvm's own mount
 * namespace only: the host's directory stays as it is) and makes it the root
 * with pivot_root(2); the old root is detached, the working directory is /.
 */
int sandbox_enter_root(const char *directory);

/* setgroups(0), setresgid, setresuid; then checks that no capability is left. */
int sandbox_drop_privileges(uid_t uid, gid_t gid);

/*
 * Restricts every thread of the process to the system calls a running
 * monitor makes, ioctl to the request numbers it uses and mmap/mprotect to
 * memory that is not executable; anything else fails with EPERM. No file is
 * opened, no program run, no socket or thread created once this is on.
 */
int sandbox_filter_system_calls(void);

#endif

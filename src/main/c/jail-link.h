/*
 * Moving a network interface into a jail's network namespace over rtnetlink,
 * what "ip link set dev NAME netns PID name NEW_NAME" does, without an ip
 * process on the jail's way to starting.
 */
#ifndef JAIL_LINK_H
#define JAIL_LINK_H

#include <sys/types.h>

/*
 * Moves interface NAME of the caller's network namespace into the network
 * namespace of process PID, renamed NEW_NAME (at most IFNAMSIZ - 1 bytes).
 * Returns 0, or a negative errno (the kernel's answer where it refused).
 */
int jail_link_move(const char *name, pid_t pid, const char *new_name);

#endif

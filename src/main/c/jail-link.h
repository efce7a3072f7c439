/*
 * A jail's veth pair over rtnetlink, what "ip link add HOST_NAME master BRIDGE
 * up type veth peer name eth0 address MAC netns PID" does, without an ip
 * process on the jail's way to starting.
 */
#ifndef JAIL_LINK_H
#define JAIL_LINK_H

#include <sys/types.h>

/*
 * Creates a veth pair in one request: HOST_NAME in the caller's network
 * namespace, up, a port of BRIDGE; its peer JAIL_NAME with the MAC MAC
 * ("xx:xx:xx:xx:xx:xx") in the network namespace of process PID, down (the
 * jail configures it). Returns 0, or a negative errno (the kernel's answer
 * where it refused).
 */
int jail_link_veth(const char *host_name, const char *bridge, const char *mac, pid_t pid, const char *jail_name);

#endif

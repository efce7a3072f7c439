/**
 * The host agent: plain Java, no CDI, and nothing of the control plane but
 * {@link io.multiplicity.host.contract} (kept so by {@code HostSeamTest}).
 *
 * <p>{@link io.multiplicity.agent.Agent} serves the whole {@link io.multiplicity.host.contract.HostDriver}
 * contract of a Linux host by dispatching to one {@link io.multiplicity.agent.driver.InstanceDriver}
 * per kind:
 * <ul>
 * <li>{@code jail} — {@link io.multiplicity.agent.jail.JailDriver}: ZFS clones run by an OCI runtime
 *     ({@link io.multiplicity.agent.jail.OciBundle}, {@link io.multiplicity.agent.jail.OciRuntime}),
 *     their consoles held by the native console keeper ({@code src/main/c/console-keeper.c});
 *     {@link io.multiplicity.agent.jail.FreeBsdJailConf} renders the same spec for FreeBSD;</li>
 * <li>{@code vm} — {@link io.multiplicity.agent.vm.VmDriver}: one monitor (mvm or QEMU) per VM;</li>
 * <li>{@code storage} — {@link io.multiplicity.agent.storage.ZfsStorage}: the pool (created on a
 *     file under the data directory when none exists, starting zfs-fuse if that is the ZFS in use),
 *     image datasets with {@code @v<n>} snapshots, instance datasets cloned from them;</li>
 * <li>{@code image} — the host's image store: imports checked before anything is written;</li>
 * <li>{@code network} — {@link io.multiplicity.agent.network.HostNetwork}: a bridge per tenant
 *     network, a veth pair per jail, isolation between tenants;</li>
 * <li>{@code support} — what both drivers need: per-instance state directories, processes,
 *     commands, image references;</li>
 * <li>{@code local} — the Quarkus adapter that runs the agent in the panel's process.</li>
 * </ul>
 *
 * <p>On disk, under the data directory ({@link io.multiplicity.agent.driver.AgentConfig}):
 * <pre>
 * jails/&lt;id&gt;/config.json   OCI bundle (its root is the dataset's mountpoint)
 * jails/&lt;id&gt;/spec.json     the spec last provisioned
 * jails/&lt;id&gt;/state.json    whether it should run, its console keeper, its id base
 * jails/&lt;id&gt;/init.pid      its init's pid as the runtime wrote it
 * vms/&lt;id&gt;/spec.json       the spec last provisioned
 * vms/&lt;id&gt;/state.json      whether it should run, its monitor and hypervisor
 * run/&lt;id&gt;.console         a jail console keeper's socket
 * run/vm/&lt;id&gt;.serial|.vnc|.control  a VM monitor's sockets
 * run/oci/                  the runtime's state (--root)
 * zfs/pool.img              the pool's file when the agent created the pool
 * </pre>
 * Nothing else holds state, so a new agent over the same directory adopts what runs.
 *
 * <p>Operations need root. The native helper is built by {@code make -C src/main/c} into
 * {@code target/native/}; {@code scripts/host-deps.sh} installs the host packages.
 */
package io.multiplicity.agent;

/**
 * The host agent's jail machinery on Linux, behind {@link io.multiplicity.host.HostDriver}.
 *
 * <p>{@link io.multiplicity.agent.LinuxHostDriver} ties together:
 * <ul>
 * <li>{@code storage} — {@link io.multiplicity.agent.storage.ZfsStorage}: the pool (created on a
 *     file under the data directory when none exists, starting zfs-fuse if that is the ZFS in use),
 *     image datasets with {@code @v<n>} snapshots, instance datasets cloned from them with the disk
 *     size as quota, tenant snapshots, rollback and space readings;</li>
 * <li>{@code image} — {@link io.multiplicity.agent.image.BusyboxImageBuilder}: the first image,
 *     built from the host's static busybox;</li>
 * <li>{@code jail} — {@link io.multiplicity.agent.jail.OciBundle} (the OCI configuration),
 *     {@link io.multiplicity.agent.jail.OciRuntime} (runc or crun), the native console keeper
 *     ({@code src/main/c/console-keeper.c}) with {@link io.multiplicity.agent.jail.ConsoleKeeper}
 *     and {@link io.multiplicity.agent.jail.ConsoleConnection}, and
 *     {@link io.multiplicity.agent.jail.FreeBsdJailConf}, the FreeBSD rendering of the same spec;</li>
 * <li>{@code network} — {@link io.multiplicity.agent.network.HostNetwork}: a bridge per tenant
 *     network, a veth pair per jail, isolation between tenants.</li>
 * </ul>
 *
 * <p>On disk, under the data directory ({@link io.multiplicity.agent.AgentConfig}):
 * <pre>
 * jails/&lt;id&gt;/config.json   OCI bundle (its root is the dataset's mountpoint)
 * jails/&lt;id&gt;/spec.json     the spec last provisioned
 * jails/&lt;id&gt;/state.json    whether it should run, its console keeper, its id base
 * jails/&lt;id&gt;/init.pid      its init's pid as the runtime wrote it
 * run/&lt;id&gt;.console         the console keeper's socket
 * run/oci/                  the runtime's state (--root)
 * zfs/pool.img              the pool's file when the agent created the pool
 * </pre>
 * Nothing else holds state, so a new driver over the same directory adopts what runs.
 *
 * <p>Operations need root. The native helper is built by {@code make -C src/main/c} into
 * {@code target/native/}; {@code scripts/host-deps.sh} installs the host packages.
 */
package io.multiplicity.agent;

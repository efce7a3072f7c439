package io.multiplicity.agent.storage;

import io.multiplicity.agent.support.Command;
import io.multiplicity.agent.support.Command.Result;
import io.multiplicity.agent.support.Processes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * Instance storage on ZFS, driven through the {@code zfs} and {@code zpool} commands only, so the
 * same code runs on OpenZFS (Linux, FreeBSD) and on zfs-fuse. It sticks to what all of them
 * share: no zvols, and {@code zfs get -H -p} for machine-readable values (zfs-fuse has no
 * {@code zfs list -p}).
 *
 * <pre>
 * &lt;pool&gt;/multiplicity/images/&lt;image&gt;@v&lt;version&gt;   read-only image snapshots
 * &lt;pool&gt;/multiplicity/instances/&lt;id&gt;               clone of an image snapshot, quota = disk size
 * &lt;pool&gt;/multiplicity/instances/&lt;id&gt;@&lt;snapshot&gt;    tenant snapshots
 * &lt;pool&gt;/multiplicity/warm/v&lt;version&gt;-r&lt;range&gt;-q&lt;GiB&gt;-&lt;image&gt;
 *                                                 clones made ahead ({@link WarmClone}), renamed into
 *                                                 instances/ when an instance is provisioned
 * </pre>
 */
public final class ZfsStorage {

    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,62}");
    private static final long GIB = 1L << 30;

    private final String pool;
    private final String root;
    /** Instances whose dataset is a clone made ahead that they took. */
    private final Map<UUID, WarmClone> adoptedWarm = new ConcurrentHashMap<>();
    /** Image versions being retired: no clone of them is made ahead any more. */
    private final Set<String> retiredVersions = new HashSet<>();
    private final List<Consumer<List<WarmClone>>> warmDestroyedListeners = new CopyOnWriteArrayList<>();
    private final List<java.util.function.BiConsumer<String, Integer>> warmRetiringListeners = new CopyOnWriteArrayList<>();

    public ZfsStorage(String pool) {
        this.pool = pool;
        this.root = pool + "/multiplicity";
    }

    public String pool() {
        return pool;
    }

    public String imageDataset(String image) {
        return root + "/images/" + checkName(image);
    }

    /** The instance's dataset: {@code instances/<id>}, or the clone made ahead it took ({@link #adoptWarm}). */
    public String instanceDataset(UUID id) {
        WarmClone adopted = adoptedWarm.get(id);
        return adopted != null ? adopted.dataset() : root + "/instances/" + id;
    }

    /**
     * Makes sure the pool exists: starts the zfs-fuse daemon when that is the ZFS in use and it is
     * not running, and creates the pool on {@code poolFile} (a sparse file of {@code sizeGiB}) when
     * no pool of that name is imported. Then creates the dataset hierarchy.
     */
    public void ensurePool(Path poolFile, int sizeGiB, Path mountpoint, Path daemonPidFile) {
        Result probe = Command.run("zpool", "list", "-H", "-o", "name");
        if (!probe.ok() && isFuseDaemonMissing(probe)) {
            startFuseDaemon(daemonPidFile);
            probe = Command.run("zpool", "list", "-H", "-o", "name");
        }
        probe.check();
        if (!probe.stdout().lines().toList().contains(pool)) {
            try {
                Files.createDirectories(poolFile.getParent());
                Files.createDirectories(mountpoint);
                if (!Files.exists(poolFile)) {
                    try (var file = new java.io.RandomAccessFile(poolFile.toFile(), "rw")) {
                        file.setLength(sizeGiB * GIB);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Result imported = Command.run("zpool", "import", "-d", poolFile.getParent().toString(), pool);
            if (!imported.ok()) {
                Command.run("zpool", "create", "-f", "-m", mountpoint.toString(), pool, poolFile.toString()).check();
            }
        }
        for (String dataset : List.of(root, root + "/images", root + "/instances", warmRoot())) {
            if (!exists(dataset)) {
                Command.run("zfs", "create", "-p", dataset).check();
            }
        }
        // Image datasets hold what tenants upload: no set-user-ID program and no device node of
        // theirs takes effect on the host's mount. Instances are clones below instances/ and do
        // not inherit this.
        Command.run("zfs", "set", "setuid=off", root + "/images");
        Command.run("zfs", "set", "devices=off", root + "/images");
        // Only host root enters where images and instances are mounted: no other host user reaches
        // a set-user-ID program or a device node in them (zfs-fuse mounts without nosuid and nodev
        // whatever the properties say). Jails reach their own root through a gate of their own.
        for (String dataset : List.of(root + "/images", root + "/instances", warmRoot())) {
            try {
                Files.setPosixFilePermissions(mountpoint(dataset),
                        java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot close " + dataset + " to other users", e);
            }
        }
        learnInstancesMountpoint();
    }

    /** Destroys the pool (tests and uninstall); the backing file stays for the caller to delete. */
    public void destroyPool() {
        Result result = null;
        for (int attempt = 0; attempt < 10; attempt++) {
            if (!Command.run("zpool", "list", "-H", "-o", "name", pool).ok()) {
                return;
            }
            result = Command.run("zpool", "destroy", "-f", pool);
            if (result.ok()) {
                return;
            }
            Processes.sleep(200L * (attempt + 1));
        }
        result.check();
    }

    private static boolean isFuseDaemonMissing(Result probe) {
        String text = probe.stderr() + probe.stdout();
        return text.contains("zfs-fuse daemon") || text.contains("connect: No such file");
    }

    private static void startFuseDaemon(Path pidFile) {
        try {
            Files.createDirectories(pidFile.getParent());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // The daemon forks away; its output goes to a log beside the pid file, never to a pipe we wait on.
        Path log = pidFile.resolveSibling("zfs-fuse.log");
        try {
            Process process = new ProcessBuilder("zfs-fuse", "--pidfile", pidFile.toString())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectErrorStream(true).start();
            if (!process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IllegalStateException("zfs-fuse did not start; see " + log);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run zfs-fuse: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        for (int attempt = 0; attempt < 100; attempt++) {
            if (Command.run("zpool", "list").ok()) {
                return;
            }
            Processes.sleep(50);
        }
        throw new IllegalStateException("zfs-fuse started but does not answer");
    }

    public boolean exists(String dataset) {
        return Command.run("zfs", "get", "-H", "-o", "value", "name", dataset).ok();
    }

    /** The version of the ZFS tools, as far as they tell. */
    public String version() {
        Result result = Command.run("zfs", "version");
        if (result.ok()) {
            return result.stdout().lines().findFirst().orElse("zfs").strip();
        }
        return Files.exists(Path.of("/usr/sbin/zfs-fuse")) || Command.run("which", "zfs-fuse").ok()
                ? "zfs-fuse" : "zfs";
    }

    /** Creates an empty image dataset to fill, or returns the mountpoint of the existing one. */
    public Path createImageDataset(String image) {
        String dataset = imageDataset(image);
        if (!exists(dataset)) {
            Command.run("zfs", "create", "-p", dataset).check();
        }
        return mountpoint(dataset);
    }

    /** ZFS user property of the pool's {@code multiplicity} dataset: the identity of the host that holds it. */
    public static final String HOST_ID_PROPERTY = "multiplicity:host-id";

    /** The host identity recorded in the pool, empty when none is (or the pool is not there). */
    public Optional<String> hostId() {
        Result result = Command.run("zfs", "get", "-H", "-p", "-o", "value", HOST_ID_PROPERTY, root);
        String value = result.ok() ? result.stdout().strip() : "";
        return value.isEmpty() || value.equals("-") ? Optional.empty() : Optional.of(value);
    }

    /** Records the host identity in the pool. */
    public void setHostId(String id) {
        Command.run("zfs", "set", HOST_ID_PROPERTY + "=" + id, root).check();
    }

    /** ZFS user property: the host id that is root of the user namespace an image's files are shifted for. */
    public static final String ID_BASE_PROPERTY = "multiplicity:idbase";

    /** Records that an image's files are owned by the user namespace range starting at {@code base}. */
    public void setImageIdBase(String image, int base) {
        Command.run("zfs", "set", ID_BASE_PROPERTY + "=" + base, imageDataset(image)).check();
    }

    /** The id base an image was shifted for, -1 when its files are owned by host root. */
    public int imageIdBase(String image) {
        String value = get(imageDataset(image), ID_BASE_PROPERTY);
        return value.matches("\\d+") ? Integer.parseInt(value) : -1;
    }

    public boolean imageVersionExists(String image, int version) {
        return exists(imageDataset(image) + "@v" + version);
    }

    /** Seals an image version: snapshot {@code @v<version>}. */
    public void snapshotImage(String image, int version) {
        String snapshot = imageDataset(image) + "@v" + version;
        if (!exists(snapshot)) {
            Command.run("zfs", "snapshot", snapshot).check();
        }
    }

    /** The newest {@code @v<n>} snapshot of an image. */
    public Optional<Integer> latestImageVersion(String image) {
        List<Integer> versions = imageVersions(image);
        return versions.isEmpty() ? Optional.empty() : Optional.of(versions.get(versions.size() - 1));
    }

    /**
     * The ZFS guid of an image version's snapshot: zfs receive keeps it, so a copy on another host
     * has the same one (on every ZFS, where a send stream's bytes differ with the pool's name).
     */
    public String imageVersionGuid(String image, int version) {
        return Command.run("zfs", "get", "-H", "-p", "-o", "value", "guid", imageDataset(image) + "@v" + version)
                .check().stdout().strip();
    }

    /** The versions ({@code @v<n>} snapshots) an image has. */
    public List<Integer> imageVersions(String image) {
        Result result = Command.run("zfs", "list", "-H", "-t", "snapshot", "-o", "name", "-r", imageDataset(image));
        if (!result.ok()) {
            if (exists(imageDataset(image))) {
                // The image is there but its versions could not be read: say so, never "none".
                result.check();
            }
            return List.of();
        }
        String prefix = imageDataset(image) + "@v";
        return result.stdout().lines().filter(line -> line.startsWith(prefix))
                .map(line -> line.substring(prefix.length()))
                .filter(version -> version.matches("\\d+")).map(Integer::parseInt).sorted().toList();
    }

    /** Rolls an image's dataset back to its newest version, undoing a failed import of the next. */
    public void rollbackImage(String image, int version) {
        retryBusy(List.of("zfs", "rollback", imageDataset(image) + "@v" + version), imageDataset(image));
    }

    /** Destroys an image's dataset with its versions; refused by ZFS while clones of it exist. */
    public void destroyImage(String image) {
        String dataset = imageDataset(image);
        if (exists(dataset)) {
            Command.run("zfs", "unmount", "-f", dataset);
            retryBusy(List.of("zfs", "destroy", "-r", dataset), dataset);
        }
    }

    /** Destroys one version of an image; refused by ZFS while clones of it exist. */
    public void destroyImageVersion(String image, int version) {
        String snapshot = imageDataset(image) + "@v" + version;
        if (exists(snapshot)) {
            Command.run("zfs", "destroy", snapshot).check();
        }
    }

    /** The clones made from an image version (instance datasets). */
    public List<String> clonesOf(String image, int version) {
        // By the clones' origin: zfs-fuse has no "clones" property.
        // Instances' datasets are below instances/, or clones made ahead below warm/.
        String origin = imageDataset(image) + "@v" + version;
        Result result = Command.run("zfs", "get", "-H", "-o", "name,value", "-r", "origin", root);
        if (!result.ok()) {
            return List.of();
        }
        return result.stdout().lines().map(line -> line.split("\t")).filter(parts -> parts.length == 2)
                .filter(parts -> parts[1].equals(origin)).map(parts -> parts[0]).toList();
    }

    /** The SHA-256 of {@code zfs send image@v<version>}: what a replica of the version receives. */
    public String sendDigest(String image, int version) {
        try {
            Process process = new ProcessBuilder("zfs", "send", imageDataset(image) + "@v" + version)
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            java.security.MessageDigest digest = java.security.MessageDigest.getInstance("SHA-256");
            try (var in = process.getInputStream()) {
                byte[] buffer = new byte[1 << 16];
                int read;
                while ((read = in.read(buffer)) > 0) {
                    digest.update(buffer, 0, read);
                }
            }
            if (process.waitFor() != 0) {
                throw new IllegalStateException("zfs send of " + image + "@v" + version + " failed");
            }
            return java.util.HexFormat.of().formatHex(digest.digest());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * The stream of one image version for another host, in {@link MoveStream}'s framing (one part):
     * the whole version with the image's properties ({@code zfs send -p}, which carries the id base
     * its files are shifted for) when {@code base} is 0, else the difference from version
     * {@code base}, which the receiver holds already ({@code zfs send -i}).
     */
    public java.io.InputStream sendImage(String image, int version, int base) throws IOException {
        String snapshot = imageDataset(image) + "@v" + version;
        if (!exists(snapshot)) {
            throw new IllegalArgumentException("image " + image + " has no version " + version);
        }
        List<String> command;
        if (base == 0) {
            command = List.of("zfs", "send", "-p", snapshot);
        } else {
            if (base >= version || !imageVersionExists(image, base)) {
                throw new IllegalArgumentException("image " + image + " has no version " + base + " before " + version);
            }
            command = List.of("zfs", "send", "-i", "@v" + base, snapshot);
        }
        return new SendStream(List.of(command), () -> { });
    }

    /**
     * Receives the stream of {@link #sendImage} into the image's dataset: a whole version where the
     * image has none here, the difference from the newest one otherwise. A stream that breaks off
     * fails with an IOException, one zfs refuses with an IllegalStateException giving zfs's reason;
     * either way the image is left as it was (no dataset where it had none, no new snapshot).
     */
    public void receiveImage(String image, int version, java.io.InputStream stream) throws IOException {
        String dataset = imageDataset(image);
        List<Integer> before = imageVersions(image);
        boolean existed = exists(dataset);
        if (existed && before.isEmpty()) {
            // An image dataset with no version is the leftover of an import that never sealed one.
            destroyImage(image);
            existed = false;
        }
        try {
            MoveStream.Reader reader = new MoveStream.Reader(stream);
            if (reader.parts() != 1) {
                throw new IOException("an image version's stream has one part, not " + reader.parts());
            }
            receivePart(dataset, reader, existed ? List.of("zfs", "receive", "-F", dataset)
                    : List.of("zfs", "receive", dataset));
            reader.expectEnd();
            if (!imageVersionExists(image, version)) {
                throw new IllegalStateException("the stream of " + dataset + " did not bring version " + version);
            }
        } catch (IOException e) {
            undoReceive(image, version, existed, before);
            throw new IOException("the stream of " + dataset + "@v" + version + " broke off: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            undoReceive(image, version, existed, before);
            throw e;
        }
        if (!existed) {
            Command.run("zfs", "mount", dataset);
        }
    }

    /** Leaves an image as it was before a receive of {@code version} failed. */
    private void undoReceive(String image, int version, boolean existed, List<Integer> before) {
        if (!existed) {
            destroyImage(image);
            return;
        }
        if (!before.contains(version)) {
            destroyImageVersion(image, version);
        }
        if (!before.isEmpty()) {
            rollbackImage(image, before.get(before.size() - 1));
        }
    }

    /**
     * Clones the instance's dataset from {@code image@v<version>} with a quota of
     * {@code diskGiB}; does nothing if the dataset exists. Returns its mountpoint.
     */
    public Path cloneInstance(UUID id, String image, int version, int diskGiB) {
        String dataset = instanceDataset(id);
        Result cloned = Command.run("zfs", "clone", "-o", "quota=" + diskGiB * GIB,
                imageDataset(image) + "@v" + version, dataset);
        if (!cloned.ok() && !exists(dataset)) {
            cloned.check();
        }
        if (cloned.ok() && instancesMountpoint != null) {
            // A fresh clone inherits its parent's mountpoint; skip asking zfs when the kernel's
            // mount table already shows it mounted there.
            Path expected = instancesMountpoint.resolve(id.toString());
            if (isMountedAt(expected)) {
                return expected;
            }
        }
        return mountpoint(dataset);
    }

    private volatile Path instancesMountpoint;

    /**
     * Whether the instance has a dataset mounted (read from the kernel's mount table, no zfs
     * call): a clone made ahead it took, or its own below instances/ (a received one is mounted).
     */
    public boolean instanceMounted(UUID id) {
        return adoptedWarm.containsKey(id)
                || instancesMountpoint != null && isMountedAt(instancesMountpoint.resolve(id.toString()));
    }

    /** Remembers where instance datasets are mounted (their parent's mountpoint). */
    private void learnInstancesMountpoint() {
        String value = get(root + "/instances", "mountpoint");
        instancesMountpoint = value.startsWith("/") ? Path.of(value) : null;
        String warm = get(warmRoot(), "mountpoint");
        warmMountpointRoot = warm.startsWith("/") ? Path.of(warm) : null;
    }

    private volatile Path warmMountpointRoot;

    private static boolean isMountedAt(Path path) {
        Path mountinfo = Path.of("/proc/self/mountinfo");
        if (!Files.isReadable(mountinfo)) {
            return false;
        }
        String target = " " + path + " ";
        try (var lines = Files.lines(mountinfo)) {
            return lines.anyMatch(line -> line.contains(target));
        } catch (IOException | UncheckedIOException e) {
            return false;
        }
    }

    // ---------------------------------------------------------------- clones made ahead

    /** The parent of the clones made ahead of demand ({@link WarmClone}); the provider's, in no tenant's quota. */
    public String warmRoot() {
        return root + "/warm";
    }

    /**
     * Clones {@code image@v<version>} ahead of demand, with the quota {@code diskGiB} and named for
     * the id range {@code idBase} its files are (or are about to be) shifted into. Refused for a
     * version being retired.
     */
    public WarmClone cloneWarm(String image, int version, int idBase, int diskGiB) {
        WarmClone clone = new WarmClone(warmRoot() + "/" + WarmClone.name(checkName(image), version, idBase, diskGiB),
                image, version, idBase, diskGiB);
        synchronized (retiredVersions) {
            if (retiredVersions.contains(image + "@v" + version)) {
                throw new IllegalStateException("version " + version + " of image " + image + " is being retired");
            }
            Command.run("zfs", "clone", "-o", "quota=" + diskGiB * GIB, imageDataset(image) + "@v" + version,
                    clone.dataset()).check();
        }
        return clone;
    }

    /** The clones made ahead that are on the pool and no instance took (also those an earlier run made). */
    public List<WarmClone> warmClones() {
        Result result = Command.run("zfs", "list", "-H", "-o", "name", "-r", warmRoot());
        if (!result.ok()) {
            return List.of();
        }
        Set<WarmClone> adopted = Set.copyOf(adoptedWarm.values());
        return result.stdout().lines().map(line -> WarmClone.parse(warmRoot(), line.strip()))
                .flatMap(Optional::stream).filter(clone -> !adopted.contains(clone)).toList();
    }

    /** Where a clone made ahead is mounted (mounting it if it is not). */
    public Path warmMountpoint(WarmClone clone) {
        return mountpoint(clone.dataset());
    }

    /**
     * Makes a clone made ahead the dataset of instance {@code id} where it is (a rename would cost
     * as much as a clone, and zfs-fuse refuses it while the dataset is busy): from now on
     * {@link #instanceDataset} names it, so snapshots, usage, moves and destroying follow. Sets the
     * quota {@code diskGiB} when it was made with another. The caller records that the instance's
     * root is the clone's mountpoint, and gives it back after a restart ({@link #restoreAdopted}).
     */
    public void adoptWarm(WarmClone clone, UUID id, int diskGiB) {
        adoptedWarm.put(id, clone);
        if (clone.diskGiB() != diskGiB) {
            setQuota(id, diskGiB);
        }
    }

    /** Says again, after a restart, that instance {@code id}'s dataset is a clone made ahead it took. */
    public void restoreAdopted(UUID id, WarmClone clone) {
        adoptedWarm.put(id, clone);
    }

    /** Where clones made ahead are mounted (each in a directory named as its dataset's last part). */
    public Path warmMountpointRoot() {
        return warmMountpointRoot;
    }

    /** Destroys a clone made ahead that no instance took; nothing to do if it is gone. */
    public void destroyWarm(WarmClone clone) {
        if (exists(clone.dataset())) {
            Command.run("zfs", "unmount", "-f", clone.dataset());
            retryBusy(List.of("zfs", "destroy", "-r", "-f", clone.dataset()), clone.dataset());
        }
    }

    /**
     * Calls {@code listener} with an image version's name and number before {@link #destroyWarmClones}
     * destroys its clones: whoever makes clones stops making them of it and returns once none is
     * being made (destroying a clone whose owners are being moved left zfs-fuse hung).
     */
    public void onWarmClonesRetiring(java.util.function.BiConsumer<String, Integer> listener) {
        warmRetiringListeners.add(listener);
    }

    /** Calls {@code listener} with the clones made ahead that {@link #destroyWarmClones} destroyed. */
    public void onWarmClonesDestroyed(Consumer<List<WarmClone>> listener) {
        warmDestroyedListeners.add(listener);
    }

    /**
     * Destroys the clones made ahead of an image version that no instance took, because the
     * version is being retired (ZFS keeps a snapshot that has clones); none is made of it any more.
     * Returns them.
     */
    public List<WarmClone> destroyWarmClones(String image, int version) {
        List<WarmClone> destroyed = new ArrayList<>();
        synchronized (retiredVersions) {
            retiredVersions.add(image + "@v" + version);
        }
        warmRetiringListeners.forEach(listener -> listener.accept(image, version));
        for (WarmClone clone : warmClones()) {
            if (clone.image().equals(image) && clone.version() == version) {
                destroyWarm(clone);
                destroyed.add(clone);
            }
        }
        if (!destroyed.isEmpty()) {
            warmDestroyedListeners.forEach(listener -> listener.accept(destroyed));
        }
        return destroyed;
    }

    public void setQuota(UUID id, int diskGiB) {
        Command.run("zfs", "set", "quota=" + diskGiB * GIB, instanceDataset(id)).check();
    }

    public Path mountpoint(String dataset) {
        Map<String, String> values = getAll(dataset, "mountpoint,mounted");
        String value = values.get("mountpoint");
        if (!"yes".equals(values.get("mounted"))) {
            Command.run("zfs", "mount", dataset).check();
        }
        return Path.of(value);
    }

    public Path instanceMountpoint(UUID id) {
        return mountpoint(instanceDataset(id));
    }

    public void snapshot(UUID id, String name) {
        String snapshot = instanceDataset(id) + "@" + checkName(name);
        if (!exists(snapshot)) {
            Command.run("zfs", "snapshot", snapshot).check();
        }
    }

    /** Rolls the instance back to a snapshot, destroying any later snapshots. */
    public void rollback(UUID id, String name) {
        retryBusy(List.of("zfs", "rollback", "-r", instanceDataset(id) + "@" + checkName(name)), instanceDataset(id));
    }

    public void destroySnapshot(UUID id, String name) {
        String snapshot = instanceDataset(id) + "@" + checkName(name);
        if (exists(snapshot)) {
            Command.run("zfs", "destroy", snapshot).check();
        }
    }

    public List<String> snapshots(UUID id) {
        Result result = Command.run("zfs", "list", "-H", "-t", "snapshot", "-o", "name", "-r", instanceDataset(id));
        List<String> names = new ArrayList<>();
        if (result.ok()) {
            String prefix = instanceDataset(id) + "@";
            result.stdout().lines().filter(line -> line.startsWith(prefix))
                    .forEach(line -> names.add(line.substring(prefix.length())));
        }
        return names;
    }

    /** The snapshot a move sends up to; it exists only while a move runs. */
    public static final String MOVE_SNAPSHOT = "multiplicity-move";

    /**
     * The stream of a moving instance: its dataset with its properties (quota) and every snapshot,
     * up to a snapshot taken for the move, in {@link MoveStream}'s framing. Not one
     * {@code zfs send -R}: an instance is a clone of an image snapshot, and a replication stream of
     * a clone can only be received where that very snapshot (the same GUID) exists, while every host
     * builds or imports its images itself. So the oldest snapshot goes whole ({@code zfs send -p}),
     * the later ones as one incremental package ({@code zfs send -I}); the received dataset is a
     * dataset of its own, no clone. Reading to the end fails (IOException) when a zfs send did not
     * succeed; closing the stream removes the move's snapshot.
     */
    public java.io.InputStream send(UUID id) throws IOException {
        String dataset = instanceDataset(id);
        String snapshot = dataset + "@" + MOVE_SNAPSHOT;
        if (exists(snapshot)) {
            Command.run("zfs", "destroy", snapshot).check();
        }
        Command.run("zfs", "snapshot", snapshot).check();
        List<String> snapshots = snapshots(id);
        String oldest = dataset + "@" + snapshots.get(0);
        List<List<String>> parts = new ArrayList<>();
        parts.add(List.of("zfs", "send", "-p", oldest));
        if (!oldest.equals(snapshot)) {
            parts.add(List.of("zfs", "send", "-I", oldest, snapshot));
        }
        return new SendStream(parts, () -> Command.run("zfs", "destroy", snapshot));
    }

    /** The parts of a move's stream, each the output of a zfs send run when the reader gets to it. */
    private static final class SendStream extends java.io.InputStream {

        private final java.util.Iterator<List<String>> parts;
        private final Runnable cleanUp;
        private final byte[] chunk = new byte[1 << 16];
        private byte[] pending;
        private int position;
        private Process current;
        private String currentCommand;
        private Path errors;
        private boolean closed;

        SendStream(List<List<String>> parts, Runnable cleanUp) {
            this.parts = parts.iterator();
            this.cleanUp = cleanUp;
            this.pending = MoveStream.header(parts.size());
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            if (length == 0) {
                return 0;
            }
            while (position >= pending.length) {
                if (!fill()) {
                    return -1;
                }
            }
            int count = Math.min(length, pending.length - position);
            System.arraycopy(pending, position, buffer, offset, count);
            position += count;
            return count;
        }

        /** Frames the next bytes of the current zfs send (starting the next one when it ended); false at the end. */
        private boolean fill() throws IOException {
            if (current == null) {
                if (!parts.hasNext()) {
                    return false;
                }
                List<String> command = parts.next();
                currentCommand = String.join(" ", command);
                errors = Files.createTempFile("zfs-send-", ".err");
                current = new ProcessBuilder(command).redirectError(errors.toFile()).start();
                current.getOutputStream().close();
            }
            int read = current.getInputStream().read(chunk);
            position = 0;
            if (read > 0) {
                pending = MoveStream.record(chunk, read);
                return true;
            }
            if (read == 0) {
                pending = new byte[0];
                return true;
            }
            int exit;
            try {
                exit = current.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while waiting for " + currentCommand);
            }
            String why = Files.readString(errors).strip();
            Files.deleteIfExists(errors);
            current = null;
            if (exit != 0) {
                throw new IOException(currentCommand + " failed: " + why);
            }
            pending = MoveStream.record(chunk, 0);
            return true;
        }

        @Override
        public void close() throws IOException {
            if (closed) {
                return;
            }
            closed = true;
            try {
                if (current != null) {
                    current.destroy();
                    current.getInputStream().close();
                    Files.deleteIfExists(errors);
                }
            } finally {
                cleanUp.run();
            }
        }
    }

    /**
     * Receives the stream of {@link #send} as the instance's dataset (with its snapshots and
     * properties), each part by a {@code zfs receive} of its own, then removes the move's snapshot
     * and makes sure it is mounted. A stream that breaks off fails with an IOException, one that zfs
     * refuses with an IllegalStateException giving zfs's reason; either way no dataset is left.
     */
    public void receive(UUID id, java.io.InputStream stream) throws IOException {
        String dataset = instanceDataset(id);
        try {
            MoveStream.Reader reader = new MoveStream.Reader(stream);
            for (int part = 0; part < reader.parts(); part++) {
                // No -u: zfs-fuse's receive lacks it; the dataset is mounted where its parent says.
                // -F on the later parts: the dataset just received may have been touched since (atime).
                receivePart(dataset, reader, part == 0 ? List.of("zfs", "receive", dataset)
                        : List.of("zfs", "receive", "-F", dataset));
            }
            reader.expectEnd();
            if (!exists(dataset + "@" + MOVE_SNAPSHOT)) {
                throw new IllegalStateException("the stream of " + dataset + " did not bring the move's snapshot");
            }
        } catch (IOException e) {
            destroyInstance(id);
            throw new IOException("the stream of " + dataset + " broke off: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            destroyInstance(id);
            throw e;
        }
        Command.run("zfs", "destroy", dataset + "@" + MOVE_SNAPSHOT);
        Command.run("zfs", "mount", dataset);
    }

    /**
     * Feeds one part of a move's stream to {@code command}. A zfs receive that stops reading (it
     * refused the stream and exited) is reported with its own reason, not as the broken pipe its
     * stdin became.
     */
    private static void receivePart(String dataset, MoveStream.Reader reader, List<String> command)
            throws IOException {
        Path errors = Files.createTempFile("zfs-receive-", ".err");
        Process process = new ProcessBuilder(command)
                .redirectError(errors.toFile()).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            boolean refused = false;
            java.io.OutputStream in = process.getOutputStream();
            try {
                for (byte[] data = reader.next(); data.length > 0 && !refused; data = reader.next()) {
                    try {
                        in.write(data);
                    } catch (IOException writeFailed) {
                        refused = true;
                    }
                }
            } catch (IOException brokeOff) {
                process.destroy();
                process.waitFor();
                throw brokeOff;
            }
            try {
                in.close();
            } catch (IOException closeFailed) {
                refused = true;
            }
            int exit = process.waitFor();
            if (exit != 0 || refused) {
                throw new IllegalStateException(String.join(" ", command) + " failed: "
                        + Files.readString(errors).strip());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroy();
            throw new java.io.InterruptedIOException("interrupted while receiving " + dataset);
        } finally {
            Files.deleteIfExists(errors);
        }
    }

    /** Destroys the instance's dataset and its snapshots; nothing to do if it is gone. */
    public void destroyInstance(UUID id) {
        String dataset = instanceDataset(id);
        if (exists(dataset)) {
            Command.run("zfs", "unmount", "-f", dataset);
            retryBusy(List.of("zfs", "destroy", "-r", "-f", dataset), dataset);
        }
        adoptedWarm.remove(id);
    }

    /** Space readings for metering. */
    public DatasetUsage usage(UUID id) {
        Map<String, String> values = getAll(instanceDataset(id), "used,referenced,usedbysnapshots,quota,compressratio");
        return new DatasetUsage(
                parseLong(values.get("used")),
                parseLong(values.get("referenced")),
                parseLong(values.get("usedbysnapshots")),
                parseLong(values.get("quota")),
                parseRatio(values.get("compressratio")));
    }

    /** Pool size and free space in bytes: {size, free}. */
    public long[] poolSpace() {
        Map<String, String> values = getAll(root, "used,available");
        long used = parseLong(values.get("used"));
        long available = parseLong(values.get("available"));
        return new long[] {used + available, available};
    }

    public String get(String dataset, String property) {
        return Command.run("zfs", "get", "-H", "-p", "-o", "value", property, dataset).check().stdout().strip();
    }

    /** Several properties of a dataset in one call (user properties that are not set read "-"). */
    public Map<String, String> properties(String dataset, List<String> names) {
        return getAll(dataset, String.join(",", names));
    }

    private Map<String, String> getAll(String dataset, String properties) {
        Map<String, String> values = new HashMap<>();
        Command.run("zfs", "get", "-H", "-p", "-o", "property,value", properties, dataset).check().stdout()
                .lines().map(line -> line.split("\t")).filter(parts -> parts.length == 2)
                .forEach(parts -> values.put(parts[0], parts[1]));
        return values;
    }

    /**
     * zfs-fuse can answer "dataset is busy" for a dataset just unmounted, for seconds on a loaded
     * host (a drain's delete once failed after 3.6 s of retries): unmount and retry, for up to 12 s.
     */
    private static void retryBusy(List<String> command, String dataset) {
        Result result = null;
        for (int attempt = 0; attempt < 15; attempt++) {
            result = Command.run(command, null);
            if (result.ok()) {
                return;
            }
            if (!result.stderr().contains("busy")) {
                break;
            }
            Command.run("zfs", "unmount", "-f", dataset);
            Processes.sleep(100L * (attempt + 1));
        }
        result.check();
    }

    private static long parseLong(String value) {
        if (value == null || value.isBlank() || value.equals("-") || value.equals("none")) {
            return 0;
        }
        return Long.parseLong(value);
    }

    private static double parseRatio(String value) {
        if (value == null || value.isBlank() || value.equals("-")) {
            return 1.0;
        }
        return Double.parseDouble(value.replace("x", ""));
    }

    private static String checkName(String name) {
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("not a valid image or snapshot name: " + name);
        }
        return name;
    }
}

package io.multiplicity.agent.bench;

import io.multiplicity.agent.jail.JailDriver;
import io.multiplicity.agent.jail.JailHost;
import io.multiplicity.agent.storage.ZfsStorage;
import io.multiplicity.agent.support.Command;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.UUID;

/**
 * Time to provision an instance's disk from an image of 10 MB and from one of 2 GB (a ZFS clone of
 * the image version, as the agent does for every instance), their ratio (about 1: a clone does
 * not depend on the image's size), beside the time a full copy of the 2 GB image takes. The
 * images hold incompressible data. Runs on a throw-away pool of its own.
 */
public final class ProvisionBench {

    static final int SAMPLES = 15;
    static final long SMALL = 10L << 20;
    static final long LARGE = 2L << 30;

    private ProvisionBench() {
    }

    public static void main(String[] arguments) throws Exception {
        String reason = JailHost.unavailableReason();
        if (reason != null) {
            System.out.println("provision: cannot run here: " + reason);
            System.out.println("{\"bench\":\"provision\",\"skipped\":\"" + reason.replace("\"", "'") + "\"}");
            return;
        }
        try (JailHost host = new JailHost("provision", 64, 8)) {
            JailDriver driver = host.start();
            ZfsStorage storage = driver.storage();
            System.err.println("provision: writing a 10 MB and a 2 GB image");
            image(storage, "bench-small", SMALL);
            image(storage, "bench-large", LARGE);

            double[] small = clones(storage, "bench-small");
            double[] large = clones(storage, "bench-large");

            System.err.println("provision: copying the 2 GB image in full");
            UUID copy = UUID.randomUUID();
            Command.run("zfs", "create", "-p", storage.instanceDataset(copy)).check();
            Path target = storage.instanceMountpoint(copy);
            Path source = storage.mountpoint(storage.imageDataset("bench-large"));
            long started = System.nanoTime();
            Command.run("cp", "-a", source + "/.", target.toString()).check();
            Command.run("sync").check();
            double copyMillis = (System.nanoTime() - started) / 1e6;
            storage.destroyInstance(copy);

            double smallP50 = median(small);
            double largeP50 = median(large);
            double ratio = largeP50 / smallP50;
            System.out.println();
            System.out.printf(Locale.ROOT, "%-52s %10s %10s%n", "instance disk from an image (" + SAMPLES + " samples)",
                    "p50 ms", "max ms");
            System.out.printf(Locale.ROOT, "%-52s %10.1f %10.1f%n", "clone of a 10 MB image", smallP50, max(small));
            System.out.printf(Locale.ROOT, "%-52s %10.1f %10.1f%n", "clone of a 2 GB image", largeP50, max(large));
            System.out.printf(Locale.ROOT, "%-52s %10.1f%n", "full copy of the 2 GB image (cp -a, sync)", copyMillis);
            System.out.printf(Locale.ROOT, "%-52s %10.2f%n", "ratio 2 GB / 10 MB (target about 1)", ratio);
            System.out.printf(Locale.ROOT, "%-52s %10.0f%n", "full copy / clone of the 2 GB image", copyMillis / largeP50);
            System.out.printf(Locale.ROOT,
                    "{\"bench\":\"provision\",\"small_p50_ms\":%.1f,\"large_p50_ms\":%.1f,\"ratio\":%.2f,"
                            + "\"full_copy_ms\":%.0f,\"copy_vs_clone\":%.0f,\"load\":%s}%n",
                    smallP50, largeP50, ratio, copyMillis, copyMillis / largeP50,
                    Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
        }
    }

    /** An image dataset holding {@code bytes} of random data, sealed as version 1. */
    private static void image(ZfsStorage storage, String key, long bytes) throws Exception {
        Path root = storage.createImageDataset(key);
        SplittableRandom random = new SplittableRandom(bytes);
        byte[] block = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(root.resolve("data"))) {
            for (long written = 0; written < bytes; written += block.length) {
                for (int i = 0; i < block.length; i += 8) {
                    long value = random.nextLong();
                    for (int b = 0; b < 8; b++) {
                        block[i + b] = (byte) (value >>> (8 * b));
                    }
                }
                out.write(block, 0, (int) Math.min(block.length, bytes - written));
            }
        }
        Command.run("sync").check();
        storage.snapshotImage(key, 1);
    }

    /** Provisions and removes instance disks from an image, timing the provisioning. */
    private static double[] clones(ZfsStorage storage, String key) {
        double[] millis = new double[SAMPLES];
        for (int i = -2; i < SAMPLES; i++) {
            UUID id = UUID.randomUUID();
            long started = System.nanoTime();
            storage.cloneInstance(id, key, 1, 4);
            double elapsed = (System.nanoTime() - started) / 1e6;
            if (i >= 0) {
                millis[i] = elapsed;
            }
            storage.destroyInstance(id);
        }
        return millis;
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    private static double max(double[] values) {
        return Arrays.stream(values).max().orElse(0);
    }
}

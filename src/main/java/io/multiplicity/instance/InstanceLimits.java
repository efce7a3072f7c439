package io.multiplicity.instance;

/** Bounds on the size of one instance, whatever its tenant's quota. */
public final class InstanceLimits {

    public static final int MAX_VCPUS = 64;
    public static final int MIN_MEMORY_MIB = 16;
    public static final int MAX_MEMORY_MIB = 262_144;
    public static final int MAX_DISK_GIB = 4096;

    /** User-data an instance is given, in bytes (UTF-8). */
    public static final int MAX_USER_DATA_BYTES = 64 * 1024;

    private InstanceLimits() {
    }
}

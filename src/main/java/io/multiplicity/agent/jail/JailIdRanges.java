package io.multiplicity.agent.jail;

import java.util.Collection;
import java.util.HashSet;
import java.util.Set;

/**
 * The host's user-namespace id ranges for jails, one of {@link IdShift#RANGE} ids per jail, so
 * that no two jails (of one tenant or of two) share a host uid: root of one jail is nobody in
 * another, and a process that escaped one jail owns none of another's files.
 *
 * <p>Images are shifted into {@link #IMAGE_BASE} (no jail runs with that range since ranges
 * became per jail; jails provisioned before keep it). Jail ranges start at {@link #FIRST_JAIL_BASE},
 * above the image range and the VM monitors' ids, and end below 2^31. A range is recorded in its
 * jail's record on the host (which is where it is used, also by an agent that runs apart from the
 * control plane), taken at provisioning and free again once the jail is destroyed.
 */
public final class JailIdRanges {

    /** First host id of the range images' files are shifted into. */
    public static final int IMAGE_BASE = 1 << 20;

    /** First host id of the first jail's range. */
    public static final int FIRST_JAIL_BASE = 1 << 24;

    /** How many jails can hold a range at once on one host. */
    public static final int CAPACITY = (int) ((Integer.MAX_VALUE - (long) FIRST_JAIL_BASE) / IdShift.RANGE);

    private final Set<Integer> taken = new HashSet<>();

    /** @param inUse the ranges jails on this host already hold (their first ids) */
    public JailIdRanges(Collection<Integer> inUse) {
        taken.addAll(inUse);
    }

    /** Takes the lowest free range and returns its first host id. */
    public synchronized int take() {
        for (int slot = 0; slot < CAPACITY; slot++) {
            int base = FIRST_JAIL_BASE + slot * IdShift.RANGE;
            if (taken.add(base)) {
                return base;
            }
        }
        throw new IllegalStateException("every jail id range of this host is in use (" + CAPACITY + ")");
    }

    /** Takes the range at {@code base} if it is free (a clone made ahead found again); false when it is held. */
    public synchronized boolean claim(int base) {
        return taken.add(base);
    }

    /** Gives a destroyed jail's range back. */
    public synchronized void release(int base) {
        taken.remove(base);
    }

    /** Whether {@code base} is the first id of a jail's own range (not the shared image range). */
    public static boolean isJailRange(int base) {
        return base >= FIRST_JAIL_BASE && (base - FIRST_JAIL_BASE) % IdShift.RANGE == 0;
    }
}

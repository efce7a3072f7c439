package io.multiplicity.agent.support;

import java.util.OptionalInt;

/**
 * How the control plane names an image on a host: {@code name} (its newest version here) or
 * {@code name@v<version>} (that version's snapshot).
 *
 * @param name    the image's dataset name on the host
 * @param version the version asked for, empty for the newest
 */
public record ImageReference(String name, OptionalInt version) {

    public static ImageReference parse(String reference) {
        int at = reference.indexOf('@');
        if (at < 0) {
            return new ImageReference(reference, OptionalInt.empty());
        }
        String name = reference.substring(0, at);
        String version = reference.substring(at + 1);
        if (version.matches("v[0-9]{1,9}")) {
            return new ImageReference(name, OptionalInt.of(Integer.parseInt(version.substring(1))));
        }
        throw new IllegalArgumentException("an image version is v<number>: " + reference);
    }
}

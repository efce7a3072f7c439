package io.multiplicity.catalog;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.util.List;
import java.util.Optional;

/** The image catalog: import limits and sources. */
@ConfigMapping(prefix = "multiplicity.images")
public interface ImagesConfig {

    /** Largest upload or download of one image version, in bytes. */
    @WithDefault("8589934592")
    long maxUploadBytes();

    /** Bytes of file data an archive may unpack to, and the largest virtual size of a disk image. */
    @WithDefault("34359738368")
    long maxUnpackedBytes();

    /** Entries an archive may hold. */
    @WithDefault("1000000")
    long maxEntries();

    /** Versions one image may keep; delete old ones to add more. */
    @WithDefault("20")
    int maxVersions();

    /** Imports running at once on this panel; more are refused (429) until one ends. */
    @WithDefault("4")
    int maxConcurrentImports();

    /** Archives may hold device nodes (most root file systems need none: the runtime makes /dev). */
    @WithDefault("false")
    boolean allowDeviceNodes();

    /**
     * URL prefixes images may be imported from, e.g. {@code https://cloud.debian.org/images/}.
     * Empty: no URL imports.
     */
    Optional<List<String>> urlAllowList();

    /**
     * How often deleted versions that a host still holds (it did not answer when the version was
     * deleted, or an instance there still used it) are destroyed again on it.
     */
    @WithDefault("60s")
    java.time.Duration copySweep();
}

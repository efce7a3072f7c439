package io.multiplicity;

import io.multiplicity.platform.EmbeddedDatabase;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;

/**
 * Starts the panel. Without a configured database it first starts the embedded PostgreSQL of the
 * single-node install, whose data persists in the data directory.
 */
@QuarkusMain
public class Main {

    public static void main(String... args) {
        EmbeddedDatabase.startIfNeeded();
        Quarkus.run(args);
    }
}

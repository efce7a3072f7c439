package io.multiplicity.agent.support;

import java.nio.file.Files;
import java.nio.file.Path;

/** Finds the host programs the agent runs. */
public final class Programs {

    private Programs() {
    }

    /**
     * The configured program, else the project's build output, else {@code name} on the PATH; the
     * build output's path when none is there (so a problem names where it was expected).
     */
    public static Path locate(Path configured, Path built, String name) {
        if (configured != null) {
            return configured.toAbsolutePath();
        }
        Path absolute = built.toAbsolutePath();
        if (Files.isExecutable(absolute)) {
            return absolute;
        }
        for (String directory : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path candidate = Path.of(directory.isEmpty() ? "." : directory, name);
            if (Files.isExecutable(candidate)) {
                return candidate.toAbsolutePath();
            }
        }
        return absolute;
    }
}

package io.multiplicity.agent.jail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * How a jail's init ended, as its console keeper recorded it when it reaped it: an exit status,
 * or the signal that killed it. An init in a PID namespace that calls reboot(2) is killed by the
 * kernel with SIGINT for a power-off or halt and SIGHUP for a restart, so a jail whose root ran
 * {@code poweroff} (or whose init exited 0) stopped from inside, one that asked for a reboot wants
 * to run again, and anything else crashed.
 *
 * @param exited whether it exited (else it was killed)
 * @param code   its exit status, or the signal's number
 */
public record ExitStatus(boolean exited, int code) {

    /** The file in the jail's directory the keeper writes. */
    public static final String FILE = "exit-status";

    private static final int SIGHUP = 1;
    private static final int SIGINT = 2;

    /** It stopped because it was asked to from inside: exit status 0, or a power-off or halt. */
    public boolean stoppedFromInside() {
        return exited ? code == 0 : code == SIGINT;
    }

    /** What a person reads. */
    public String describe() {
        if (exited) {
            return code == 0 ? "its init exited with status 0: stopped from inside"
                    : "its init exited with status " + code;
        }
        return switch (code) {
            case SIGINT -> "powered off from inside";
            case SIGHUP -> "its init asked for a reboot";
            default -> "its init was killed by signal " + code;
        };
    }

    /** What the keeper recorded in {@code directory}, if anything. */
    public static Optional<ExitStatus> read(Path directory) {
        Path file = directory.resolve(FILE);
        try {
            if (!Files.exists(file)) {
                return Optional.empty();
            }
            String[] words = Files.readString(file).strip().split("\\s+");
            if (words.length != 2 || !words[1].matches("\\d{1,3}")) {
                return Optional.empty();
            }
            return switch (words[0]) {
                case "exited" -> Optional.of(new ExitStatus(true, Integer.parseInt(words[1])));
                case "signal" -> Optional.of(new ExitStatus(false, Integer.parseInt(words[1])));
                default -> Optional.empty();
            };
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Forgets what an earlier run recorded. */
    static void clear(Path directory) {
        try {
            Files.deleteIfExists(directory.resolve(FILE));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

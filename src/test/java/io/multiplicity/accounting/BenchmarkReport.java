package io.multiplicity.accounting;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A benchmark's readable table, ending with one line of JSON, printed and kept under target/bench. */
public final class BenchmarkReport {

    private final String name;
    private final List<String> lines = new ArrayList<>();

    public BenchmarkReport(String name, String title) {
        this.name = name;
        lines.add(title);
        lines.add("-".repeat(title.length()));
    }

    public BenchmarkReport row(String label, Object value) {
        lines.add(String.format("%-44s %s", label, value));
        return this;
    }

    public void finish(String json) {
        lines.add(json);
        String text = String.join("\n", lines) + "\n";
        System.out.print(text);
        try {
            Path directory = Path.of("target", "bench");
            Files.createDirectories(directory);
            Files.writeString(directory.resolve(name + ".txt"), text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

package io.multiplicity.console;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Records a serial session as an asciicast v2 file: a JSON header line, then one
 * {@code [seconds, "o"|"i", text]} event per line.
 */
final class AsciicastRecorder implements AutoCloseable {

    private final Path file;
    private final BufferedWriter writer;
    private final long start = System.nanoTime();

    AsciicastRecorder(Path file, int width, int height, String title) throws IOException {
        Files.createDirectories(file.getParent());
        this.file = file;
        this.writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
        writer.write("{\"version\":2,\"width\":" + width + ",\"height\":" + height + ",\"timestamp\":"
                + System.currentTimeMillis() / 1000 + ",\"title\":" + json(title) + "}\n");
    }

    Path file() {
        return file;
    }

    synchronized void output(byte[] data) {
        event("o", data);
    }

    synchronized void input(byte[] data) {
        event("i", data);
    }

    private void event(String kind, byte[] data) {
        double seconds = (System.nanoTime() - start) / 1e9;
        try {
            writer.write(String.format(Locale.ROOT, "[%.6f,\"%s\",%s]%n", seconds, kind, json(text(data))));
        } catch (IOException e) {
            // a recording that cannot be written must not break the console
        }
    }

    @Override
    public synchronized void close() {
        try {
            writer.close();
        } catch (IOException e) {
            // nothing more to do
        }
    }

    private static String text(byte[] data) {
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(data)).toString();
        } catch (CharacterCodingException e) {
            return new String(data, StandardCharsets.ISO_8859_1);
        }
    }

    static String json(String value) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : value.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }
}

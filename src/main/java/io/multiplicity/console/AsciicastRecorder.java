package io.multiplicity.console;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Records a serial session as an asciicast v2 file: a JSON header line, then one
 * {@code [seconds, "o"|"i"|"r", text]} event per line ({@code "r"}: the terminal was resized to
 * {@code "COLUMNSxROWS"}). Output and input are decoded as UTF-8 streams, so a character cut between
 * two chunks is recorded whole; bytes that are not UTF-8 become U+FFFD.
 */
final class AsciicastRecorder implements AutoCloseable {

    private final Path file;
    private final BufferedWriter writer;
    private final long start = System.nanoTime();
    private final Stream output = new Stream("o");
    private final Stream input = new Stream("i");
    private final CharBuffer decoded = CharBuffer.allocate(8192);

    /** A recording holds what was typed (passwords too): readable by the panel's user only. */
    private static final FileAttribute<Set<PosixFilePermission>> PRIVATE_DIRECTORY =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
    private static final FileAttribute<Set<PosixFilePermission>> PRIVATE_FILE =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

    AsciicastRecorder(Path file, int width, int height, String title) throws IOException {
        if (!Files.isDirectory(file.getParent())) {
            Files.createDirectories(file.getParent(), PRIVATE_DIRECTORY);
        }
        Files.setPosixFilePermissions(file.getParent(), PosixFilePermissions.fromString("rwx------"));
        this.file = file;
        this.writer = new BufferedWriter(new java.io.OutputStreamWriter(Files.newOutputStream(
                Files.createFile(file, PRIVATE_FILE)), StandardCharsets.UTF_8), 1 << 16);
        writer.write("{\"version\":2,\"width\":" + width + ",\"height\":" + height + ",\"timestamp\":"
                + System.currentTimeMillis() / 1000 + ",\"title\":" + json(title) + "}\n");
    }

    Path file() {
        return file;
    }

    synchronized void output(byte[] data) {
        output.event(data);
    }

    synchronized void input(byte[] data) {
        input.event(data);
    }

    synchronized void resize(int columns, int rows) {
        try {
            writer.write("[" + seconds() + ",\"r\",\"" + columns + "x" + rows + "\"]\n");
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

    /** Seconds since the start, with microseconds, without the cost of a formatter. */
    private String seconds() {
        long micros = (System.nanoTime() - start) / 1000;
        String fraction = Long.toString(1_000_000 + micros % 1_000_000).substring(1);
        return micros / 1_000_000 + "." + fraction;
    }

    /** One direction: its decoder and the bytes of a character not yet complete. */
    private final class Stream {
        private final String kind;
        private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPLACE)
                .onUnmappableCharacter(CodingErrorAction.REPLACE);
        private final byte[] partial = new byte[4];
        private int partialLength;

        Stream(String kind) {
            this.kind = kind;
        }

        void event(byte[] data) {
            try {
                writer.write("[" + seconds() + ",\"" + kind + "\",\"");
                ByteBuffer bytes;
                if (partialLength > 0) {
                    byte[] joined = new byte[partialLength + data.length];
                    System.arraycopy(partial, 0, joined, 0, partialLength);
                    System.arraycopy(data, 0, joined, partialLength, data.length);
                    bytes = ByteBuffer.wrap(joined);
                } else {
                    bytes = ByteBuffer.wrap(data);
                }
                while (true) {
                    decoded.clear();
                    boolean overflow = decoder.decode(bytes, decoded, false).isOverflow();
                    decoded.flip();
                    escape(decoded.array(), 0, decoded.limit(), writer);
                    if (!overflow) {
                        break;
                    }
                }
                partialLength = bytes.remaining();      // at most 3: the start of a character
                bytes.get(partial, 0, partialLength);
                writer.write("\"]\n");
            } catch (IOException e) {
                // a recording that cannot be written must not break the console
            }
        }
    }

    /** Writes {@code chars[from, to)} as the inside of a JSON string. */
    private static void escape(char[] chars, int from, int to, Writer out) throws IOException {
        int plain = from;
        for (int i = from; i < to; i++) {
            char c = chars[i];
            if (c >= 0x20 && c != '"' && c != '\\') {
                continue;
            }
            out.write(chars, plain, i - plain);
            plain = i + 1;
            switch (c) {
                case '"' -> out.write("\\\"");
                case '\\' -> out.write("\\\\");
                case '\n' -> out.write("\\n");
                case '\r' -> out.write("\\r");
                case '\t' -> out.write("\\t");
                default -> {
                    out.write("\\u00");
                    out.write(Character.forDigit(c >> 4, 16));
                    out.write(Character.forDigit(c & 0xf, 16));
                }
            }
        }
        out.write(chars, plain, to - plain);
    }

    static String json(String value) {
        StringWriter out = new StringWriter();
        out.write('"');
        try {
            escape(value.toCharArray(), 0, value.length(), out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.write('"');
        return out.toString();
    }
}

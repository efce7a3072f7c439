package io.multiplicity.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AsciicastRecorderTest {

    private final ObjectMapper json = new ObjectMapper();

    @Test
    void eventsAreJsonLinesWithTheTextEscapedAndCharactersKeptWholeAcrossChunks(@TempDir Path directory) throws Exception {
        Path file = directory.resolve("session.cast");
        byte[] euro = "€".getBytes(StandardCharsets.UTF_8);
        try (AsciicastRecorder recorder = new AsciicastRecorder(file, 80, 24, "bob on \"web\"")) {
            recorder.output("a\"b\\c\r\n\u0007\t".getBytes(StandardCharsets.UTF_8));
            recorder.output(new byte[] {'x', euro[0]});
            recorder.input("ls\r".getBytes(StandardCharsets.UTF_8));
            recorder.output(new byte[] {euro[1], euro[2], 'y'});
            recorder.resize(132, 43);
            recorder.output(new byte[] {(byte) 0xff, 'z'});
        }
        List<String> lines = Files.readAllLines(file);
        JsonNode header = json.readTree(lines.get(0));
        assertThat(header.path("version").asInt()).isEqualTo(2);
        assertThat(header.path("title").asText()).isEqualTo("bob on \"web\"");
        List<JsonNode> events = lines.subList(1, lines.size()).stream().map(this::parse).toList();
        assertThat(events).extracting(e -> e.get(1).asText()).containsExactly("o", "o", "i", "o", "r", "o");
        assertThat(events).extracting(e -> e.get(2).asText())
                .containsExactly("a\"b\\c\r\n\u0007\t", "x", "ls\r", "€y", "132x43", "\ufffdz");
        assertThat(events).allMatch(e -> e.get(0).isNumber());
        assertThat(events.get(5).get(0).asDouble()).isGreaterThanOrEqualTo(events.get(0).get(0).asDouble());
    }

    private JsonNode parse(String line) {
        try {
            return json.readTree(line);
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + line, e);
        }
    }

    /** A recording holds what was typed, passwords too: no other local user may read it. */
    @Test
    void aRecordingIsReadableByThePanelsUserOnly(@TempDir Path directory) throws Exception {
        Path file = directory.resolve("recordings").resolve("session.cast");
        try (AsciicastRecorder recorder = new AsciicastRecorder(file, 80, 24, "alice on web")) {
            recorder.input("secret\r".getBytes(StandardCharsets.UTF_8));
        }
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                .isEqualTo("rw-------");
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent())))
                .isEqualTo("rwx------");
    }
}

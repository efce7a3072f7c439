package io.multiplicity.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.agroal.api.AgroalDataSource;
import io.multiplicity.support.Api;
import io.multiplicity.support.RecordingHostProfile;
import io.multiplicity.support.TestKeycloak;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import jakarta.inject.Inject;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The event stream as a client sees it: events in commit order (a transaction that drew an
 * earlier id but commits later is delivered, first, never skipped), a reconnect with
 * Last-Event-ID resumes exactly after the last event seen, and one user holds a bounded number
 * of streams.
 */
@QuarkusTest
@TestProfile(RecordingHostProfile.class)
class EventStreamTest {

    /** One server-sent event as the client parsed it. */
    record Received(String id, String name, String data) {
    }

    /** An open stream whose events a reader thread collects. */
    static final class Stream implements AutoCloseable {
        final int status;
        final String body;
        final String retryAfter;
        private final List<Received> received = new ArrayList<>();
        private final InputStream input;

        Stream(String user, String lastEventId) throws Exception {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(
                            RestAssured.baseURI + ":" + RestAssured.port + "/api/v1/events"))
                    .header("Authorization", "Bearer " + TestKeycloak.token(user))
                    .header("Accept", "text/event-stream");
            if (lastEventId != null) {
                request.header("Last-Event-ID", lastEventId);
            }
            HttpResponse<InputStream> response = HttpClient.newHttpClient().send(request.build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            status = response.statusCode();
            retryAfter = response.headers().firstValue("Retry-After").orElse(null);
            input = response.body();
            if (status != 200) {
                body = new String(input.readAllBytes(), StandardCharsets.UTF_8);
                return;
            }
            body = null;
            Thread.ofVirtual().start(this::read);
        }

        private void read() {
            String id = null, name = null;
            StringBuilder data = new StringBuilder();
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(input, StandardCharsets.UTF_8))) {
                for (String line; (line = lines.readLine()) != null; ) {
                    if (line.isEmpty()) {
                        synchronized (received) {
                            received.add(new Received(id, name, data.toString()));
                        }
                        id = null;
                        name = null;
                        data.setLength(0);
                    } else if (line.startsWith("id:")) {
                        id = line.substring(3).strip();
                    } else if (line.startsWith("event:")) {
                        name = line.substring(6).strip();
                    } else if (line.startsWith("data:")) {
                        data.append(line.substring(5).strip());
                    }
                }
            } catch (Exception closed) {
                // the test closed the stream
            }
        }

        List<Received> named(String prefix) {
            synchronized (received) {
                return received.stream().filter(event -> event.name() != null && event.name().startsWith(prefix)).toList();
            }
        }

        List<Received> await(String prefix, int count, Duration timeout) throws InterruptedException {
            Instant deadline = Instant.now().plus(timeout);
            while (named(prefix).size() < count && Instant.now().isBefore(deadline)) {
                Thread.sleep(50);
            }
            return named(prefix);
        }

        @Override
        public void close() throws Exception {
            input.close();
        }
    }

    @Inject
    AgroalDataSource dataSource;

    @Inject
    EventsConfig config;

    static UUID tenantOf(String user) {
        return UUID.fromString(Api.as(user).get("/api/v1/me").then().statusCode(200).extract().path("tenantId"));
    }

    /** Inserts an event in an open transaction on {@code connection}, as the panel's services do. */
    static void insert(Connection connection, UUID tenant, String type) throws Exception {
        try (PreparedStatement insert = connection.prepareStatement(
                "insert into events (tenant_id, type, target_type, created_at) values (?, ?, 'tenant', now())")) {
            insert.setObject(1, tenant);
            insert.setString(2, type);
            insert.executeUpdate();
        }
    }

    @Test
    void aTransactionThatCommitsLateIsDeliveredNotSkipped() throws Exception {
        UUID tenant = tenantOf("carol");
        String run = "test.order." + UUID.randomUUID().toString().substring(0, 8) + ".";
        try (Stream stream = new Stream("carol", null);
             Connection late = dataSource.getConnection();
             Connection early = dataSource.getConnection()) {
            assertEquals(200, stream.status);
            late.setAutoCommit(false);
            early.setAutoCommit(false);
            insert(late, tenant, run + "first-id");   // draws the smaller id, commits last
            insert(early, tenant, run + "second-id");
            early.commit();
            Thread.sleep(1500);
            assertThat(stream.named(run)).as("nothing is delivered past a transaction still running").isEmpty();
            late.commit();
            List<Received> seen = stream.await(run, 2, Duration.ofSeconds(10));
            assertThat(seen).extracting(Received::name).containsExactly(run + "first-id", run + "second-id");
            Thread.sleep(500);
            assertThat(stream.named(run)).as("each event exactly once").hasSize(2);
        }
    }

    @Test
    void aReconnectWithLastEventIdResumesRightAfterIt() throws Exception {
        UUID tenant = tenantOf("carol");
        String run = "test.resume." + UUID.randomUUID().toString().substring(0, 8) + ".";
        List<Received> first;
        try (Stream stream = new Stream("carol", null); Connection connection = dataSource.getConnection()) {
            for (String name : List.of("one", "two", "three")) {
                insert(connection, tenant, run + name); // autocommit: three transactions
            }
            first = stream.await(run, 3, Duration.ofSeconds(10));
            assertThat(first).extracting(Received::name).containsExactly(run + "one", run + "two", run + "three");
            assertThat(first.get(0).id()).as("the SSE id is the event's position").matches("\\d+\\.\\d+");
        }
        try (Stream again = new Stream("carol", first.get(0).id())) {
            assertThat(again.await(run, 2, Duration.ofSeconds(10))).extracting(Received::name)
                    .containsExactly(run + "two", run + "three");
        }
        try (Stream byEventId = new Stream("carol", first.get(1).data().replaceAll(".*\"id\":(\\d+).*", "$1"))) {
            assertThat(byEventId.await(run, 1, Duration.ofSeconds(10))).extracting(Received::name)
                    .as("a bare event id (what older clients kept) resumes after that event")
                    .containsExactly(run + "three");
        }
        try (Stream bad = new Stream("carol", "not-a-position")) {
            assertEquals(400, bad.status);
            assertThat(bad.body).contains("\"error\"");
        }
    }

    @Test
    void aUserHoldsAtMostTheLimitOfStreams() throws Exception {
        int limit = config.maxStreamsPerUser();
        List<Stream> streams = new ArrayList<>();
        try {
            for (int i = 0; i < limit; i++) {
                streams.add(new Stream("dave", null));
                assertEquals(200, streams.get(i).status, "stream " + (i + 1));
            }
            try (Stream oneMore = new Stream("dave", null)) {
                assertEquals(429, oneMore.status);
                assertThat(oneMore.body).contains("too_many_streams");
                assertThat(oneMore.retryAfter).isNotBlank();
            }
            try (Stream other = new Stream("carol", null)) {
                assertEquals(200, other.status, "the limit is per user");
            }
            streams.remove(0).close();
            Instant deadline = Instant.now().plusSeconds(10);
            int status = 0;
            while (Instant.now().isBefore(deadline) && status != 200) {
                try (Stream retry = new Stream("dave", null)) {
                    status = retry.status;
                }
                if (status != 200) {
                    Thread.sleep(200);
                }
            }
            assertEquals(200, status, "a closed stream gives its slot back (found at a keep-alive)");
        } finally {
            for (Stream stream : streams) {
                stream.close();
            }
        }
    }

}

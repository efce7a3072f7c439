package io.multiplicity.console;

import static org.assertj.core.api.Assertions.assertThat;

import io.multiplicity.host.HostDrivers;
import io.multiplicity.host.contract.ConsoleStream;
import io.multiplicity.host.contract.HostDriver;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The broker's flow control and window sizes, on a console the test feeds and viewers it steers. */
class SerialBrokerTest {

    private static final int VIEWER_BUFFER = 1000;

    private final FakeConsole console = new FakeConsole();
    /** The admin's idle timeout for the broker under test. */
    private volatile Duration idleTimeout = Duration.ofMinutes(30);
    private final SerialBroker broker = broker(console);
    private final UUID instance = UUID.randomUUID();

    @AfterEach
    void release() {
        broker.release(instance);
    }

    @Test
    void aViewerThatIsBehindPausesTheConsoleAndOneThatStaysBehindIsDropped() throws Exception {
        FakeViewer slow = new FakeViewer("slow");
        FakeViewer quick = new FakeViewer("quick");
        broker.attach(instance, slow, false);
        broker.attach(instance, quick, false);

        console.print("one");
        await(() -> quick.received().equals("one") && slow.received().equals("one"));

        slow.pending = VIEWER_BUFFER + 1;
        console.print("two");
        Thread.sleep(500);
        assertThat(quick.received()).as("the console waits for the viewer that is behind").isEqualTo("one");
        slow.pending = 0;
        await(() -> quick.received().equals("onetwo") && slow.received().equals("onetwo"));

        slow.pending = VIEWER_BUFFER + 1;
        Instant start = Instant.now();
        console.print("three");
        await(() -> quick.received().equals("onetwothree"));
        assertThat(Duration.between(start, Instant.now())).isGreaterThanOrEqualTo(SerialBroker.STALL_LIMIT.minusMillis(100));
        assertThat(slow.closeCode).isEqualTo(CloseCodes.TOO_SLOW);
        assertThat(slow.received()).isEqualTo("onetwo");

        console.print("four");
        await(() -> quick.received().equals("onetwothreefour"));
    }

    @Test
    void onlyTheWritersWindowSizeReachesTheConsoleAndATakeoverBringsTheNewWritersSize() throws Exception {
        FakeViewer bob = new FakeViewer("bob");
        FakeViewer alice = new FakeViewer("alice");
        FakeViewer watcher = new FakeViewer("watcher");
        SerialBroker.Attachment bobs = broker.attach(instance, bob, false);
        SerialBroker.Attachment alices = broker.attach(instance, alice, false);
        SerialBroker.Attachment watchers = broker.attach(instance, watcher, true);

        assertThat(bobs.resize(132, 43)).isTrue();
        assertThat(alices.resize(100, 30)).as("a reader's size waits").isFalse();
        assertThat(watchers.resize(90, 20)).isFalse();
        assertThat(console.sizes).containsExactly("132x43");

        alices.takeOver();
        assertThat(console.sizes).containsExactly("132x43", "100x30");
        watchers.takeOver();
        assertThat(console.sizes).as("a read-only viewer cannot take over").containsExactly("132x43", "100x30");
        assertThat(bobs.resize(80, 24)).isFalse();
        assertThat(console.sizes).hasSize(2);

        bobs.takeOver();
        assertThat(console.sizes).containsExactly("132x43", "100x30", "80x24");
        assertThat(bobs.input("ls\n".getBytes(StandardCharsets.UTF_8))).isTrue();
        assertThat(alices.input("x".getBytes(StandardCharsets.UTF_8))).isFalse();
        assertThat(console.typed.toString(StandardCharsets.UTF_8)).isEqualTo("ls\n");
    }

    @Test
    void everyViewerIsToldWhenAnotherJoinsOrLeaves() throws Exception {
        FakeViewer bob = new FakeViewer("bob");
        FakeViewer alice = new FakeViewer("alice");
        FakeViewer watcher = new FakeViewer("watcher");
        broker.attach(instance, bob, false);
        assertThat(bob.lastControl).isEqualTo("{\"type\":\"writer\",\"writer\":\"bob\",\"you\":\"writer\",\"viewers\":1}");

        SerialBroker.Attachment alices = broker.attach(instance, alice, false);
        assertThat(bob.lastControl).as("bob hears alice join").contains("\"viewers\":2").contains("\"you\":\"writer\"");
        broker.attach(instance, watcher, true);
        assertThat(bob.lastControl).contains("\"viewers\":3");
        assertThat(alice.lastControl).contains("\"viewers\":3").contains("\"you\":\"reader\"");

        alices.detach();
        assertThat(bob.lastControl).as("a reader who leaves is counted out too").contains("\"viewers\":2");
        assertThat(watcher.lastControl).contains("\"viewers\":2").contains("\"writer\":\"bob\"");
    }

    @Test
    void aConsoleNoOneViewsIsLetGoAfterTheLingerAndOpenedAgainForTheNextViewer() throws Exception {
        FakeViewer bob = new FakeViewer("bob");
        SerialBroker.Attachment bobs = broker.attach(instance, bob, false);
        console.print("boot");
        await(() -> bob.received().equals("boot"));
        bobs.detach();
        broker.closeIdle(Instant.now().plus(SerialBroker.LINGER).minusSeconds(5));
        assertThat(broker.held()).as("a reload within the linger finds the console open").containsExactly(instance);
        assertThat(console.closed).isFalse();
        broker.closeIdle(Instant.now().plus(SerialBroker.LINGER).plusSeconds(1));
        assertThat(broker.held()).as("no one viewed it for the linger").isEmpty();
        assertThat(console.closed).as("the connection to the host's console is closed").isTrue();

        Thread.sleep(200);  // the closed connection's reader sees its end
        console.closed = false;
        FakeViewer alice = new FakeViewer("alice");
        broker.attach(instance, alice, false);
        assertThat(broker.held()).containsExactly(instance);
        console.print("again");
        await(() -> alice.received().endsWith("again"));
    }

    @Test
    void viewersIdleForTheAdminsTimeoutAreClosedAndActiveOnesStay() throws Exception {
        idleTimeout = Duration.ofMillis(1000);
        FakeViewer idle = new FakeViewer("idle");
        FakeViewer typing = new FakeViewer("typing");
        broker.attach(instance, idle, false);
        SerialBroker.Attachment typings = broker.attach(instance, typing, false);

        broker.closeIdle();
        assertThat(idle.closeCode).as("not idle long enough yet").isZero();
        Thread.sleep(600);
        typings.takeOver();
        assertThat(typings.input("x".getBytes(StandardCharsets.UTF_8))).isTrue();
        Thread.sleep(600);
        broker.closeIdle();
        assertThat(idle.closeCode).isEqualTo(CloseCodes.IDLE);
        assertThat(idle.closeReason).isEqualTo("idle for 1 s");
        assertThat(typing.closeCode).as("typed 600 ms ago").isZero();

        console.print("output");                          // output counts as activity for every viewer left
        await(() -> typing.received().equals("output"));
        Thread.sleep(500);
        broker.closeIdle();
        assertThat(typing.closeCode).isZero();
        Thread.sleep(700);
        broker.closeIdle();
        assertThat(typing.closeCode).isEqualTo(CloseCodes.IDLE);

        idleTimeout = Duration.ofMinutes(30);
        FakeViewer later = new FakeViewer("later");
        broker.attach(instance, later, false);
        Thread.sleep(1200);
        broker.closeIdle();
        assertThat(later.closeCode).as("the timeout in force at the check applies").isZero();
        assertThat(SerialBroker.spoken(Duration.ofMinutes(30))).isEqualTo("30 minutes");
        assertThat(SerialBroker.spoken(Duration.ofHours(2))).isEqualTo("2 hours");
        assertThat(SerialBroker.spoken(Duration.ofSeconds(90))).isEqualTo("90 s");
    }

    private SerialBroker broker(FakeConsole stream) {
        SerialBroker serial = new SerialBroker();
        HostDriver driver = (HostDriver) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {HostDriver.class},
                (proxy, method, arguments) -> {
                    if (method.getName().equals("openConsole")) {
                        return stream;
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
        serial.hosts = new HostDrivers() {
            @Override
            public HostDriver forInstance(UUID instanceId) {
                return driver;
            }
        };
        serial.config = new ConsoleConfig() {
            @Override
            public Duration ticketLifetime() {
                return Duration.ofSeconds(30);
            }

            @Override
            public int scrollbackBytes() {
                return 1 << 16;
            }

            @Override
            public int viewerBufferBytes() {
                return VIEWER_BUFFER;
            }

            @Override
            public Duration idleTimeout() {
                return idleTimeout;
            }

            @Override
            public Duration heartbeat() {
                return Duration.ofSeconds(60);
            }

            @Override
            public Duration accessCheck() {
                return Duration.ofSeconds(30);
            }

            @Override
            public boolean record() {
                return false;
            }
        };
        return serial;
    }

    private static void await(BooleanSupplier condition) throws InterruptedException {
        Instant deadline = Instant.now().plusSeconds(10);
        while (!condition.getAsBoolean()) {
            assertThat(Instant.now()).as("waited in vain").isBefore(deadline);
            Thread.sleep(10);
        }
    }

    /** A console whose output the test prints, which records what is typed and the window sizes it is given. */
    private static final class FakeConsole implements ConsoleStream {
        private final BlockingQueue<byte[]> output = new LinkedBlockingQueue<>();
        final ByteArrayOutputStream typed = new ByteArrayOutputStream();
        final List<String> sizes = new CopyOnWriteArrayList<>();
        volatile boolean closed;

        void print(String text) {
            output.add(text.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public InputStream fromConsole() {
            return new InputStream() {
                @Override
                public int read() {
                    throw new UnsupportedOperationException();
                }

                @Override
                public int read(byte[] buffer, int offset, int length) throws IOException {
                    try {
                        byte[] next = null;
                        while (next == null && !closed) {
                            next = output.poll(50, TimeUnit.MILLISECONDS);
                        }
                        if (next == null) {
                            return -1;
                        }
                        System.arraycopy(next, 0, buffer, offset, next.length);
                        return next.length;
                    } catch (InterruptedException e) {
                        throw new IOException(e);
                    }
                }
            };
        }

        @Override
        public OutputStream toConsole() {
            return typed;
        }

        @Override
        public boolean resize(int columns, int rows) {
            sizes.add(columns + "x" + rows);
            return true;
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    /** A viewer that keeps what it receives and reports the backlog the test sets. */
    private static final class FakeViewer implements Viewer {
        private final String name;
        private final StringBuffer received = new StringBuffer();
        volatile long pending;
        volatile int closeCode;
        volatile String closeReason;

        FakeViewer(String name) {
            this.name = name;
        }

        String received() {
            return received.toString();
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public boolean output(byte[] data) {
            received.append(new String(data, StandardCharsets.UTF_8));
            return true;
        }

        @Override
        public long pending() {
            return pending;
        }

        /** The last control message the viewer was sent (who types, how many watch). */
        volatile String lastControl;

        @Override
        public void control(String json) {
            lastControl = json;
        }

        @Override
        public void close(int code, String reason) {
            closeCode = code;
            closeReason = reason;
        }
    }
}

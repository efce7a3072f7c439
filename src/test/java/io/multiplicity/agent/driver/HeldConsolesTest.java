package io.multiplicity.agent.driver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.multiplicity.host.contract.ConsoleStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The host holds each running instance's console: a reader that comes later gets what the console
 * printed before (the scrollback), then what it prints; several readers share one console; input
 * reaches it from any of them; the readers end with the console or its release; a reader that falls
 * far behind is cut off without holding the others up.
 */
class HeldConsolesTest {

    private final UUID instance = UUID.randomUUID();
    private final FakeConsole console = new FakeConsole();
    private final AtomicInteger opens = new AtomicInteger();
    private final HeldConsoles consoles = new HeldConsoles(id -> {
        opens.incrementAndGet();
        return console;
    }, 1024 * 1024);

    @Test
    void aLaterReaderGetsTheBootLogThenWhatFollowsAndSharesTheConsole() throws Exception {
        consoles.holdAfterStart(instance);
        await(() -> consoles.heldNow().contains(instance));
        console.print("Linux version 6.1\nlogin: ");
        Thread.sleep(200);

        ConsoleStream first = consoles.open(instance);
        assertThat(read(first, "login: ")).isEqualTo("Linux version 6.1\nlogin: ");
        ConsoleStream second = consoles.open(instance);
        assertThat(read(second, "login: ")).as("every new reader gets the scrollback").isEqualTo("Linux version 6.1\nlogin: ");
        assertThat(opens.get()).as("one connection to the instance's console, however many readers").isEqualTo(1);

        console.print("root\n");
        assertThat(read(first, "root\n")).isEqualTo("root\n");
        assertThat(read(second, "root\n")).isEqualTo("root\n");

        second.toConsole().write("ls\n".getBytes(StandardCharsets.US_ASCII));
        await(() -> console.typed().equals("ls\n"));

        second.close();
        console.print("after");
        assertThat(read(first, "after")).as("closing one reader leaves the others").isEqualTo("after");
        assertThatThrownBy(() -> second.toConsole().write('x')).isInstanceOf(IOException.class);
    }

    @Test
    void readersEndWithTheConsoleAndWithItsRelease() throws Exception {
        ConsoleStream reader = consoles.open(instance);
        consoles.release(instance);
        assertThat(reader.fromConsole().read()).as("a released console ends its readers").isEqualTo(-1);
        assertThat(consoles.heldNow()).doesNotContain(instance);

        FakeConsole next = new FakeConsole();
        HeldConsoles others = new HeldConsoles(id -> next, 4096);
        ConsoleStream tap = others.open(instance);
        next.print("bye");
        assertThat(read(tap, "bye")).isEqualTo("bye");
        next.end();
        assertThat(tap.fromConsole().read()).as("the console's end ends its readers").isEqualTo(-1);
        await(() -> others.heldNow().isEmpty());
    }

    @Test
    void aReaderFarBehindIsCutOffWithoutHoldingTheOthersUp() throws Exception {
        ConsoleStream stuck = consoles.open(instance);
        ConsoleStream reading = consoles.open(instance);
        CompletableFuture<Long> drained = CompletableFuture.supplyAsync(() -> {
            long total = 0;
            byte[] buffer = new byte[64 * 1024];
            try (InputStream in = reading.fromConsole()) {
                int read;
                while (total < HeldConsoles.TAP_LIMIT + 2L * 1024 * 1024 && (read = in.read(buffer)) >= 0) {
                    total += read;
                }
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            return total;
        });
        byte[] chunk = new byte[64 * 1024];
        for (long printed = 0; printed < HeldConsoles.TAP_LIMIT + 2L * 1024 * 1024; printed += chunk.length) {
            console.print(chunk);
        }
        assertThat(drained.get(20, TimeUnit.SECONDS)).as("the reader that keeps up gets everything")
                .isGreaterThanOrEqualTo(HeldConsoles.TAP_LIMIT + 2L * 1024 * 1024);
        long got = 0;
        InputStream in = stuck.fromConsole();
        byte[] buffer = new byte[1024 * 1024];
        int read;
        while ((read = in.read(buffer)) >= 0) {
            got += read;
        }
        assertThat(got).as("the stuck reader got at most its limit, then its end").isLessThanOrEqualTo(HeldConsoles.TAP_LIMIT);
    }

    private static String read(ConsoleStream stream, String until) throws Exception {
        CompletableFuture<String> text = CompletableFuture.supplyAsync(() -> {
            StringBuilder seen = new StringBuilder();
            byte[] buffer = new byte[4096];
            try {
                InputStream in = stream.fromConsole();
                while (!seen.toString().endsWith(until)) {
                    int read = in.read(buffer);
                    if (read < 0) {
                        break;
                    }
                    seen.append(new String(buffer, 0, read, StandardCharsets.US_ASCII));
                }
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            return seen.toString();
        });
        return text.get(10, TimeUnit.SECONDS);
    }

    private static void await(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met in 10 s");
            }
            Thread.sleep(20);
        }
    }

    /** A console whose output the test prints and whose input it reads back. */
    private static final class FakeConsole implements ConsoleStream {

        private final PipedOutputStream printer = new PipedOutputStream();
        private final PipedInputStream output;
        private final ByteArrayOutputStream typed = new ByteArrayOutputStream();

        FakeConsole() {
            try {
                output = new PipedInputStream(printer, 1024 * 1024);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        void print(String text) throws IOException {
            print(text.getBytes(StandardCharsets.US_ASCII));
        }

        void print(byte[] bytes) throws IOException {
            printer.write(bytes);
            printer.flush();
        }

        void end() throws IOException {
            printer.close();
        }

        String typed() {
            synchronized (typed) {
                return typed.toString(StandardCharsets.US_ASCII);
            }
        }

        @Override
        public InputStream fromConsole() {
            return output;
        }

        @Override
        public OutputStream toConsole() {
            return new OutputStream() {
                @Override
                public void write(int b) {
                    synchronized (typed) {
                        typed.write(b);
                    }
                }
            };
        }

        @Override
        public void close() {
        }
    }
}

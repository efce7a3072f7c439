package io.multiplicity.agent.driver;

import io.multiplicity.host.contract.ConsoleStream;
import io.multiplicity.host.contract.Scrollback;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * The serial consoles of a host's running instances, held open by the host's agent whether or not
 * anyone watches, each with its last output (the scrollback), as Incus keeps a console log and
 * OpenStack's compute hosts a console.log: the host holds what its own instances print, so the
 * control plane opens a console only while someone views it, and a fleet's consoles cost each
 * control-plane replica nothing until they are viewed. Every open of a held console is a tap: it
 * reads the scrollback first, then what the console prints from then on; what it writes goes to
 * the console. A tap that falls {@link #TAP_LIMIT} bytes behind is cut off (its reader reconnects
 * and gets the scrollback), so a stuck reader never holds the console up or makes the agent hold
 * more than that.
 */
public final class HeldConsoles implements AutoCloseable {

    /** A function that opens an instance's console on its runtime (a jail's keeper, a VM's UART). */
    public interface Opener {
        ConsoleStream open(UUID instanceId) throws IOException;
    }

    private static final Logger LOG = Logger.getLogger(HeldConsoles.class);
    /** Output a tap may have unread before it is cut off. */
    static final int TAP_LIMIT = 16 * 1024 * 1024;
    /** How long a hold taken at an instance's start keeps trying while the console is not up yet. */
    static final Duration OPEN_RETRIES = Duration.ofSeconds(10);
    /** The most read from the console at once: what the keeper has ready, as one chunk for every tap. */
    private static final int READ_BUFFER = 256 * 1024;

    private final Opener opener;
    private final int scrollbackBytes;
    private final Map<UUID, Held> held = new ConcurrentHashMap<>();

    /**
     * @param opener          opens a console on the instance's runtime
     * @param scrollbackBytes output kept per console for new taps (memory grows with output, up to this)
     */
    public HeldConsoles(Opener opener, int scrollbackBytes) {
        this.opener = opener;
        this.scrollbackBytes = scrollbackBytes;
    }

    /**
     * Starts holding the console of an instance that was just started, in the background: its
     * runtime may need a moment before the console answers, so the open is tried again for
     * {@link #OPEN_RETRIES}. An instance whose console never answers is held at its first tap.
     */
    public void holdAfterStart(UUID instanceId) {
        Thread.ofVirtual().name("console-hold-" + instanceId).start(() -> {
            long deadline = System.nanoTime() + OPEN_RETRIES.toNanos();
            while (true) {
                try {
                    held(instanceId);
                    return;
                } catch (IOException | RuntimeException e) {
                    if (System.nanoTime() > deadline) {
                        LOG.debugf("console of %s not held: %s", instanceId, e.getMessage());
                        return;
                    }
                }
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
    }

    /** A new tap on the instance's console, which is held from now on if it was not. */
    public ConsoleStream open(UUID instanceId) throws IOException {
        return held(instanceId).tap();
    }

    /** Lets go of the instance's console (it stops or goes away); its taps end. */
    public void release(UUID instanceId) {
        Held console = held.remove(instanceId);
        if (console != null) {
            console.shut();
        }
    }

    /** The instances whose consoles are held now. */
    public Set<UUID> heldNow() {
        return Set.copyOf(held.keySet());
    }

    @Override
    public void close() {
        for (UUID instanceId : Set.copyOf(held.keySet())) {
            release(instanceId);
        }
    }

    private Held held(UUID instanceId) throws IOException {
        Held existing = held.get(instanceId);
        if (existing != null && existing.open) {
            return existing;
        }
        synchronized (this) {
            existing = held.get(instanceId);
            if (existing != null && existing.open) {
                return existing;
            }
            Held console = new Held(instanceId, opener.open(instanceId));
            held.put(instanceId, console);
            Thread.ofVirtual().name("console-" + instanceId).start(console::pump);
            return console;
        }
    }

    /** One held console: the runtime's stream, its scrollback, its taps. */
    private final class Held {

        private final UUID instanceId;
        private final ConsoleStream stream;
        private final Scrollback scrollback = new Scrollback(scrollbackBytes);
        private final Set<Tap> taps = ConcurrentHashMap.newKeySet();
        private volatile boolean open = true;

        Held(UUID instanceId, ConsoleStream stream) {
            this.instanceId = instanceId;
            this.stream = stream;
        }

        void pump() {
            // A quiet console keeps a small buffer; one whose reads fill it gets a larger one, up to
            // READ_BUFFER, so that a flood is read in large chunks.
            byte[] buffer = new byte[4096];
            try (InputStream in = stream.fromConsole()) {
                int read;
                while ((read = in.read(buffer)) >= 0) {
                    if (read == 0) {
                        continue;
                    }
                    byte[] chunk = Arrays.copyOf(buffer, read);
                    if (read == buffer.length && buffer.length < READ_BUFFER) {
                        buffer = new byte[buffer.length * 4];
                    }
                    synchronized (this) {
                        scrollback.append(chunk, 0, chunk.length);
                        for (Tap tap : taps) {
                            tap.offer(chunk);
                        }
                    }
                }
            } catch (IOException e) {
                LOG.debugf("console of %s ended: %s", instanceId, e.getMessage());
            } finally {
                shut();
                held.remove(instanceId, this);
            }
        }

        synchronized Tap tap() throws IOException {
            if (!open) {
                throw new IOException("the console of " + instanceId + " ended");
            }
            Tap tap = new Tap(this);
            byte[] history = scrollback.snapshot();
            if (history.length > 0) {
                tap.offer(history);
            }
            taps.add(tap);
            return tap;
        }

        synchronized void write(byte[] data, int offset, int length) throws IOException {
            OutputStream out = stream.toConsole();
            out.write(data, offset, length);
            out.flush();
        }

        boolean resize(int columns, int rows) throws IOException {
            return stream.resize(columns, rows);
        }

        synchronized void shut() {
            if (!open) {
                return;
            }
            open = false;
            for (Tap tap : taps) {
                tap.end();
            }
            taps.clear();
            try {
                stream.close();
            } catch (IOException e) {
                LOG.debug("closing console stream", e);
            }
        }
    }

    /** One reader of a held console. */
    private static final class Tap implements ConsoleStream {

        private static final byte[] END = new byte[0];

        private final Held console;
        private final LinkedBlockingDeque<byte[]> chunks = new LinkedBlockingDeque<>();
        private long queued;
        private volatile boolean closed;

        Tap(Held console) {
            this.console = console;
        }

        /** Called with the console's lock held. */
        void offer(byte[] chunk) {
            if (closed) {
                return;
            }
            synchronized (this) {
                if (queued + chunk.length > TAP_LIMIT) {
                    LOG.debugf("a reader of the console of %s fell %d bytes behind: cut off", console.instanceId, queued);
                    closed = true;
                    console.taps.remove(this);
                    chunks.add(END);
                    return;
                }
                queued += chunk.length;
            }
            chunks.add(chunk);
        }

        void end() {
            closed = true;
            chunks.add(END);
        }

        @Override
        public InputStream fromConsole() {
            return new InputStream() {
                private byte[] current;
                private int position;

                @Override
                public int read() throws IOException {
                    byte[] one = new byte[1];
                    int read = read(one, 0, 1);
                    return read < 0 ? -1 : one[0] & 0xff;
                }

                @Override
                public int read(byte[] into, int offset, int length) throws IOException {
                    if (length == 0) {
                        return 0;
                    }
                    if (current == null || position == current.length) {
                        try {
                            current = chunks.poll(Long.MAX_VALUE, TimeUnit.DAYS);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            throw new InterruptedIOException("interrupted while reading the console");
                        }
                        position = 0;
                        if (current == END) {
                            chunks.addFirst(END);
                            current = null;
                            return -1;
                        }
                        synchronized (Tap.this) {
                            queued -= current.length;
                        }
                    }
                    int count = Math.min(length, current.length - position);
                    System.arraycopy(current, position, into, offset, count);
                    position += count;
                    return count;
                }
            };
        }

        @Override
        public OutputStream toConsole() {
            return new OutputStream() {
                @Override
                public void write(int b) throws IOException {
                    write(new byte[] {(byte) b}, 0, 1);
                }

                @Override
                public void write(byte[] data, int offset, int length) throws IOException {
                    if (closed) {
                        throw new IOException("the console was closed");
                    }
                    console.write(data, offset, length);
                }
            };
        }

        @Override
        public boolean resize(int columns, int rows) throws IOException {
            return !closed && console.resize(columns, rows);
        }

        @Override
        public void close() {
            closed = true;
            console.taps.remove(this);
            chunks.add(END);
        }
    }
}

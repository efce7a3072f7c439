package io.multiplicity.console;

import io.multiplicity.host.HostDrivers;
import io.multiplicity.host.contract.ConsoleStream;
import io.multiplicity.host.contract.Scrollback;
import io.multiplicity.instance.InstanceRunState;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * Opens an instance's serial console while someone views it, keeps its output (the scrollback) and
 * fans it out to every viewer. The host's agent holds each running instance's console whether or
 * not anyone watches and replays its own scrollback to each new reader, so the first viewer still
 * sees the boot log; a replica holds a console only while it has viewers (and {@link #LINGER} after
 * the last leaves, so a reload costs no new connection), which keeps a fleet's consoles off every
 * replica. A new viewer first gets the scrollback, so a reload or a late viewer sees the boot log
 * and the current screen. One viewer at a time is the writer; the others are read-only until one
 * takes over, which every viewer is told.
 *
 * <p>Flow control: while a viewer is more than its buffer behind, the broker stops reading the
 * console (the instance's output waits, as on a slow serial line); a viewer that stays behind for
 * {@link #STALL_LIMIT} is dropped (it reconnects and gets the scrollback), so a stuck browser holds
 * the others up briefly at most and never makes the broker hold more than a bounded amount.
 */
@ApplicationScoped
public class SerialBroker {

    private static final Logger LOG = Logger.getLogger(SerialBroker.class);

    @Inject
    HostDrivers hosts;

    @Inject
    ConsoleConfig config;

    /** How long one viewer that is behind may hold the console's output up before it is dropped. */
    static final java.time.Duration STALL_LIMIT = java.time.Duration.ofSeconds(2);

    /** How often a wait for a slow viewer looks whether the viewer is still there. */
    private static final long ROOM_CHECK_NANOS = 50_000_000;

    /** The most read from the console at once: what the keeper has ready, in one chunk for every viewer. */
    static final int READ_BUFFER = 256 * 1024;

    private final Map<UUID, Channel> channels = new ConcurrentHashMap<>();

    /** How long a console stays open here after its last viewer left. */
    static final java.time.Duration LINGER = java.time.Duration.ofSeconds(30);

    /** Lets go of the console of an instance that is about to stop. */
    void onRunState(@Observes InstanceRunState state) {
        if (!state.running()) {
            release(state.instanceId());
        }
    }

    /** Lets go of the instance's console (it stopped or was deleted). */
    public void release(UUID instanceId) {
        Channel channel = channels.remove(instanceId);
        if (channel != null) {
            channel.shut(CloseCodes.UNAVAILABLE, "the instance's console ended");
        }
    }

    /** Attaches a viewer: replays the scrollback, then streams. Writers may type; read-only viewers may not. */
    public Attachment attach(UUID instanceId, Viewer viewer, boolean readOnly) throws IOException {
        Channel channel = channel(instanceId);
        return channel.attach(viewer, readOnly);
    }

    /** Instances whose console is held now. */
    public Set<UUID> held() {
        return Set.copyOf(channels.keySet());
    }

    /**
     * Closes sessions that saw neither input nor output for the idle timeout, and the consoles no one
     * has viewed for {@link #LINGER}.
     */
    public void closeIdle() {
        closeIdle(Instant.now());
    }

    void closeIdle(Instant now) {
        Instant limit = now.minus(config.idleTimeout());
        for (Channel channel : channels.values()) {
            channel.closeIdleViewers(limit);
            if (channel.unviewedSince(now.minus(LINGER)) && channels.remove(channel.instanceId, channel)) {
                channel.shut(CloseCodes.UNAVAILABLE, "no one views the console");
            }
        }
    }

    private Channel channel(UUID instanceId) throws IOException {
        Channel existing = channels.get(instanceId);
        if (existing != null && existing.open) {
            return existing;
        }
        synchronized (this) {
            existing = channels.get(instanceId);
            if (existing != null && existing.open) {
                return existing;
            }
            ConsoleStream stream = hosts.forInstance(instanceId).openConsole(instanceId);
            Channel channel = new Channel(instanceId, stream, new Scrollback(config.scrollbackBytes()));
            channels.put(instanceId, channel);
            Thread.ofVirtual().name("console-" + instanceId).start(channel::pump);
            return channel;
        }
    }

    /** One viewer's handle on a console. */
    public interface Attachment {

        /** Types into the console; returns false (and tells the viewer) when the viewer is read-only. */
        boolean input(byte[] data) throws IOException;

        /** Makes this viewer the writer, and tells every viewer; the console takes the viewer's window size. */
        void takeOver();

        /**
         * Records the viewer's window size and, while the viewer is the writer, gives it to the console
         * (see {@link ConsoleStream#resize}). Returns whether the console took it now: not
         * while another viewer writes, nor on a console without a window size (a VM's serial line).
         */
        boolean resize(int columns, int rows);

        boolean isWriter();

        void detach();
    }

    private final class Channel {

        private final UUID instanceId;
        private final ConsoleStream stream;
        private final Scrollback scrollback;
        private final Map<Viewer, ViewerState> viewers = new ConcurrentHashMap<>();
        private volatile Viewer writer;
        private volatile boolean open = true;
        /** When the last viewer left; null while someone views it. */
        private Instant emptySince;

        private final class ViewerState {
            volatile Instant lastActivity = Instant.now();
            /** The viewer's window, 0 until it said; given to the console while the viewer writes. */
            volatile int columns;
            volatile int rows;
        }

        Channel(UUID instanceId, ConsoleStream stream, Scrollback scrollback) {
            this.instanceId = instanceId;
            this.stream = stream;
            this.scrollback = scrollback;
        }

        void pump() {
            byte[] buffer = new byte[READ_BUFFER];
            try (InputStream in = stream.fromConsole()) {
                int read;
                while ((read = in.read(buffer)) >= 0) {
                    if (read == 0) {
                        continue;
                    }
                    byte[] chunk = java.util.Arrays.copyOf(buffer, read);
                    awaitRoom();
                    synchronized (this) {
                        scrollback.append(chunk, 0, read);
                        Instant now = Instant.now();
                        for (Map.Entry<Viewer, ViewerState> entry : viewers.entrySet()) {
                            entry.getValue().lastActivity = now;
                            if (!entry.getKey().output(chunk)) {
                                drop(entry.getKey(), CloseCodes.TOO_SLOW,
                                        "the viewer fell too far behind; reconnect to get the scrollback");
                            }
                        }
                    }
                }
            } catch (IOException e) {
                LOG.debugf("console of %s ended: %s", instanceId, e.getMessage());
            } finally {
                shut(CloseCodes.UNAVAILABLE, "the instance's console ended");
                channels.remove(instanceId, this);
            }
        }

        /** Waits while a viewer is more than its buffer behind; drops one that stays behind too long. */
        private void awaitRoom() {
            long limit = config.viewerBufferBytes();
            for (Viewer viewer : viewers.keySet()) {
                if (viewer.pending() <= limit) {
                    continue;
                }
                long deadline = System.nanoTime() + STALL_LIMIT.toNanos();
                try {
                    // In slices, so that a viewer that leaves meanwhile stops holding the console up.
                    while (viewers.containsKey(viewer) && System.nanoTime() < deadline
                            && !viewer.awaitPending(limit, Math.min(ROOM_CHECK_NANOS, deadline - System.nanoTime()))) {
                        // still behind
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                if (viewers.containsKey(viewer) && viewer.pending() > limit) {
                    synchronized (this) {
                        drop(viewer, CloseCodes.TOO_SLOW,
                                "the viewer fell too far behind; reconnect to get the scrollback");
                    }
                }
            }
        }

        synchronized Attachment attach(Viewer viewer, boolean readOnly) {
            byte[] history = scrollback.snapshot();
            if (history.length > 0 && !viewer.output(history)) {
                viewer.close(CloseCodes.TOO_SLOW, "could not send the scrollback");
            }
            viewers.put(viewer, new ViewerState());
            emptySince = null;
            if (!readOnly && writer == null) {
                writer = viewer;
            }
            // Every viewer hears of the newcomer: the presence line counts viewers.
            announce();
            return new Attachment() {
                @Override
                public boolean input(byte[] data) throws IOException {
                    ViewerState state = viewers.get(viewer);
                    if (state != null) {
                        state.lastActivity = Instant.now();
                    }
                    if (writer != viewer) {
                        viewer.control("{\"type\":\"error\",\"message\":\"read-only: take over to type\"}");
                        return false;
                    }
                    OutputStream out = stream.toConsole();
                    out.write(data);
                    out.flush();
                    return true;
                }

                @Override
                public void takeOver() {
                    if (readOnly) {
                        viewer.control("{\"type\":\"error\",\"message\":\"your role lets you watch, not type\"}");
                        return;
                    }
                    writer = viewer;
                    announce();
                    ViewerState state = viewers.get(viewer);
                    if (state != null && state.columns > 0) {
                        applySize(state.columns, state.rows);
                    }
                }

                @Override
                public boolean resize(int columns, int rows) {
                    ViewerState state = viewers.get(viewer);
                    if (state == null) {
                        return false;
                    }
                    state.columns = columns;
                    state.rows = rows;
                    return writer == viewer && applySize(columns, rows);
                }

                @Override
                public boolean isWriter() {
                    return writer == viewer;
                }

                @Override
                public void detach() {
                    Channel.this.detach(viewer);
                }
            };
        }

        /** Gives the console a window size; a console that cannot take it keeps its own. */
        private boolean applySize(int columns, int rows) {
            try {
                return stream.resize(columns, rows);
            } catch (IOException | RuntimeException e) {
                LOG.debugf("console of %s keeps its window size: %s", instanceId, e.getMessage());
                return false;
            }
        }

        synchronized void detach(Viewer viewer) {
            if (viewers.remove(viewer) == null) {
                return;
            }
            if (writer == viewer) {
                writer = null;
            }
            noteEmpty();
            // A reader who leaves changes the count too, not only a writer.
            announce();
        }

        private void noteEmpty() {
            if (viewers.isEmpty() && emptySince == null) {
                emptySince = Instant.now();
            }
        }

        /** Whether no one has viewed it since before {@code limit}. */
        synchronized boolean unviewedSince(Instant limit) {
            return viewers.isEmpty() && emptySince != null && emptySince.isBefore(limit);
        }

        private void drop(Viewer viewer, int code, String reason) {
            viewers.remove(viewer);
            if (writer == viewer) {
                writer = null;
            }
            viewer.close(code, reason);
            noteEmpty();
            if (open) {
                announce();
            }
        }

        private void announce() {
            for (Viewer each : viewers.keySet()) {
                each.control(roleMessage(each));
            }
        }

        private String roleMessage(Viewer viewer) {
            Viewer current = writer;
            return "{\"type\":\"writer\",\"writer\":" + (current == null ? "null" : "\"" + escape(current.name()) + "\"")
                    + ",\"you\":\"" + (current == viewer ? "writer" : "reader") + "\",\"viewers\":" + viewers.size() + "}";
        }

        synchronized void closeIdleViewers(Instant limit) {
            for (Map.Entry<Viewer, ViewerState> entry : Map.copyOf(viewers).entrySet()) {
                if (entry.getValue().lastActivity.isBefore(limit)) {
                    drop(entry.getKey(), CloseCodes.IDLE, "idle for " + spoken(config.idleTimeout()));
                }
            }
        }

        synchronized void shut(int code, String reason) {
            if (!open) {
                return;
            }
            open = false;
            for (Viewer viewer : Map.copyOf(viewers).keySet()) {
                viewer.close(code, reason);
            }
            viewers.clear();
            try {
                stream.close();
            } catch (IOException e) {
                LOG.debug("closing console stream", e);
            }
        }
    }

    /** A timeout as people say it: "30 minutes", "1 hour", "45 s", "400 ms". */
    static String spoken(java.time.Duration duration) {
        if (duration.toMillis() < 1000) {
            return duration.toMillis() + " ms";
        }
        if (duration.toSeconds() < 60 || duration.toSecondsPart() != 0) {
            return duration.toSeconds() + " s";
        }
        if (duration.toMinutes() < 60 || duration.toMinutesPart() != 0) {
            return duration.toMinutes() + (duration.toMinutes() == 1 ? " minute" : " minutes");
        }
        return duration.toHours() + (duration.toHours() == 1 ? " hour" : " hours");
    }

    static String escape(String value) {
        return value.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    @io.quarkus.scheduler.Scheduled(every = "30s", delayed = "30s")
    void scheduledIdleCheck() {
        closeIdle();
    }
}

package io.multiplicity.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.multiplicity.common.ClientAddresses;
import io.multiplicity.host.HostDrivers;
import io.multiplicity.host.contract.ConsoleStream;
import io.quarkus.websockets.next.CloseReason;
import io.quarkus.websockets.next.OnBinaryMessage;
import io.quarkus.websockets.next.OnClose;
import io.quarkus.websockets.next.OnError;
import io.quarkus.websockets.next.OnOpen;
import io.quarkus.websockets.next.OnTextMessage;
import io.quarkus.websockets.next.PathParam;
import io.quarkus.websockets.next.WebSocket;
import io.quarkus.websockets.next.WebSocketConnection;
import io.vertx.core.buffer.Buffer;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * The browser side of consoles: {@code /ws/console/serial/{ticket}} and
 * {@code /ws/console/vnc/{ticket}}. The ticket is the only credential; it is redeemed when the
 * socket opens. Serial: binary frames carry terminal bytes both ways, JSON text frames carry
 * control ({@code resize}, {@code ping}, {@code takeover}); the writer's {@code resize} sets the
 * window size of a jail's terminal, a VM's serial line has none. VNC: the RFB byte stream both
 * ways, for noVNC (subprotocol {@code binary}); each viewer has an RFB connection of its own to the
 * VM's monitor, and only the writer's input passes ({@link GraphicsBroker}; who types and the
 * takeover travel on the companion control socket, {@link GraphicsControlSocket}).
 */
@WebSocket(path = "/ws/console/{type}/{ticket}")
public class ConsoleGateway {

    private static final Logger LOG = Logger.getLogger(ConsoleGateway.class);

    /**
     * The most one message may type into a serial console; the portal sends a long paste in parts
     * of this size. (Any WebSocket message is held to 256 KiB, {@code max-message-size}; a larger
     * frame ends the connection without a close frame.)
     */
    static final int MAX_INPUT_MESSAGE = 64 * 1024;

    @Inject
    ConsoleTickets tickets;

    @Inject
    SerialBroker broker;

    @Inject
    GraphicsBroker graphicsBroker;

    @Inject
    HostDrivers hosts;

    @Inject
    ConsoleConfig config;

    @Inject
    ObjectMapper json;

    @ConfigProperty(name = "multiplicity.data-dir", defaultValue = "data")
    Path dataDir;

    @Inject
    io.quarkus.websockets.next.OpenConnections connections;

    private final Map<String, Session> sessions = new ConcurrentHashMap<>();

    /** Closes graphics sessions whose viewer gave no input (keys, pointer, clipboard) since {@code limit}. */
    void closeIdleGraphics(java.time.Instant limit, String idleFor) {
        for (Map.Entry<String, Session> entry : sessions.entrySet()) {
            Session session = entry.getValue();
            if (session.graphics != null && session.rfb != null && session.rfb.lastInput().isBefore(limit)) {
                session.reason = "no input for " + idleFor;
                WebSocketConnection connection = connections.findByConnectionId(entry.getKey()).orElse(null);
                if (connection != null) {
                    connection.closeAndAwait(new CloseReason(CloseCodes.IDLE, truncate(session.reason)));
                }
            }
        }
    }

    /** The grants of the console sessions this replica serves now, by connection. */
    Map<String, ConsoleTickets.Grant> liveGrants() {
        Map<String, ConsoleTickets.Grant> grants = new java.util.HashMap<>();
        sessions.forEach((connection, session) -> grants.put(connection, session.grant));
        return grants;
    }

    /** Ends the session of one connection with {@code code} and {@code reason} (recorded as its end). */
    void end(String connectionId, int code, String reason) {
        Session session = sessions.get(connectionId);
        if (session == null) {
            return;
        }
        session.reason = reason;
        connections.findByConnectionId(connectionId)
                .ifPresent(connection -> connection.closeAndAwait(new CloseReason(code, truncate(reason))));
    }

    /** The console sessions this replica serves now. */
    public java.util.List<java.util.UUID> liveSessions() {
        return sessions.values().stream().map(session -> session.grant.sessionId()).toList();
    }

    private final class Session {
        final ConsoleTickets.Grant grant;
        final SocketViewer viewer;
        final AsciicastRecorder recorder;
        volatile SerialBroker.Attachment serial;
        volatile ConsoleStream graphics;
        volatile RfbInput rfb;
        volatile GraphicsBroker.Seat seat;
        volatile String reason;

        Session(ConsoleTickets.Grant grant, SocketViewer viewer, AsciicastRecorder recorder) {
            this.grant = grant;
            this.viewer = viewer;
            this.recorder = recorder;
        }
    }

    @OnOpen
    public void open(WebSocketConnection connection, @PathParam String type, @PathParam String ticket) {
        String address = ClientAddresses.normalize(connection.handshakeRequest().remoteAddress());
        ConsoleTickets.Grant grant;
        try {
            if (!type.equals("serial") && !type.equals("vnc")) {
                throw new ConsoleTickets.Refusal(CloseCodes.WRONG_TICKET, "unknown console type " + type);
            }
            grant = tickets.redeem(ticket, type, address);
        } catch (ConsoleTickets.Refusal refusal) {
            LOG.infof("console ticket refused from %s: %s", address, refusal.getMessage());
            connection.closeAndAwait(new CloseReason(refusal.code(), refusal.getMessage()));
            return;
        }
        AsciicastRecorder recorder = null;
        if (config.record() && type.equals("serial")) {
            try {
                recorder = new AsciicastRecorder(dataDir.toAbsolutePath().resolve("recordings").resolve(grant.sessionId() + ".cast"),
                        80, 24, grant.username() + " on " + grant.instanceId());
            } catch (IOException e) {
                LOG.warnf("cannot record console session %s: %s", grant.sessionId(), e.getMessage());
            }
        }
        SocketViewer viewer = new SocketViewer(connection, grant.username(), config.viewerBufferBytes(), recorder);
        Session session = new Session(grant, viewer, recorder);
        sessions.put(connection.id(), session);
        try {
            if (type.equals("serial")) {
                session.serial = broker.attach(grant.instanceId(), viewer, grant.readOnly());
            } else {
                session.graphics = hosts.forInstance(grant.instanceId()).openGraphics(grant.instanceId());
                GraphicsBroker.Seat seat = graphicsBroker.join(grant.instanceId(), ticket, grant.username(), address,
                        grant.readOnly());
                session.seat = seat;
                session.rfb = new RfbInput(seat::mayType, java.time.Instant.now());
                Thread.ofVirtual().name("vnc-" + grant.sessionId()).start(() -> pumpGraphics(connection, session));
            }
        } catch (IOException | RuntimeException e) {
            session.reason = "console unavailable: " + e.getMessage();
            connection.closeAndAwait(new CloseReason(CloseCodes.UNAVAILABLE, truncate(session.reason)));
        }
    }

    @OnBinaryMessage
    public void binary(WebSocketConnection connection, Buffer data) {
        Session session = sessions.get(connection.id());
        if (session == null) {
            return;
        }
        if (session.serial != null && data.length() > MAX_INPUT_MESSAGE) {
            session.reason = "a message of " + data.length() + " bytes; the console takes at most " + MAX_INPUT_MESSAGE
                    + " per message";
            connection.closeAndAwait(new CloseReason(CloseCodes.TOO_BIG, truncate(session.reason)));
            return;
        }
        byte[] bytes = data.getBytes();
        try {
            if (session.serial != null) {
                if (session.serial.input(bytes)) {
                    session.viewer.bytesIn.addAndGet(bytes.length);
                    if (session.recorder != null) {
                        session.recorder.input(bytes);
                    }
                }
            } else if (session.graphics != null) {
                // only the writer's keys, pointer and clipboard reach the VM (never a read-only viewer's)
                byte[] forward = session.rfb.accept(bytes, java.time.Instant.now());
                session.seat.dropped.set(session.rfb.dropped());
                session.viewer.bytesIn.addAndGet(bytes.length);
                if (forward.length > 0) {
                    session.graphics.toConsole().write(forward);
                    session.graphics.toConsole().flush();
                }
                if (session.rfb.failure() != null) {
                    session.reason = session.rfb.failure();
                    connection.closeAndAwait(new CloseReason(CloseCodes.POLICY, truncate(session.reason)));
                }
            }
        } catch (IOException e) {
            session.reason = "console write failed: " + e.getMessage();
            connection.closeAndAwait(new CloseReason(CloseCodes.UNAVAILABLE, truncate(session.reason)));
        }
    }

    @OnTextMessage
    public void text(WebSocketConnection connection, String message) {
        Session session = sessions.get(connection.id());
        if (session == null) {
            return;
        }
        JsonNode control;
        try {
            control = json.readTree(message);
        } catch (IOException e) {
            session.viewer.control("{\"type\":\"error\",\"message\":\"control frames are JSON objects\"}");
            return;
        }
        String type = control.path("type").asText("");
        switch (type) {
            case "ping" -> session.viewer.control("{\"type\":\"pong\"}");
            case "takeover" -> {
                if (session.serial != null) {
                    session.serial.takeOver();
                } else if (session.seat != null) {
                    session.seat.takeOver();
                }
            }
            case "resize" -> {
                int cols = whole(control.path("cols"));
                int rows = whole(control.path("rows"));
                if (cols < 1 || cols > 1000 || rows < 1 || rows > 1000) {
                    session.viewer.control("{\"type\":\"error\",\"message\":\"resize wants cols and rows from 1 to 1000\"}");
                } else if (session.serial != null && session.serial.resize(cols, rows) && session.recorder != null) {
                    // The console follows the writer's window (a jail's PTY; a VM's serial line has no size).
                    session.recorder.resize(cols, rows);
                }
            }
            default -> session.viewer.control("{\"type\":\"error\",\"message\":\"unknown control frame type '"
                    + SerialBroker.escape(type) + "'\"}");
        }
    }

    @OnClose
    public void close(WebSocketConnection connection) {
        Session session = sessions.remove(connection.id());
        if (session == null) {
            return;
        }
        if (session.serial != null) {
            session.serial.detach();
        }
        if (session.seat != null) {
            session.seat.leave();
        }
        if (session.graphics != null) {
            try {
                session.graphics.close();
            } catch (IOException e) {
                LOG.debug("closing graphics stream", e);
            }
        }
        if (session.recorder != null) {
            session.recorder.close();
        }
        CloseReason closeReason = connection.closeReason();
        String reason = session.reason != null ? session.reason
                : closeReason == null ? "closed"
                : closeReason.getCode() + (closeReason.getMessage() == null || closeReason.getMessage().isEmpty()
                        ? "" : " " + closeReason.getMessage());
        if (session.rfb != null && session.rfb.dropped() > 0) {
            reason = reason + "; " + session.rfb.dropped() + " input messages dropped while "
                    + (session.grant.readOnly() ? "watching read-only" : "another viewer typed");
        }
        tickets.finish(session.grant.sessionId(), session.viewer.bytesIn.get(), session.viewer.bytesOut.get(), reason,
                session.recorder == null ? null : session.recorder.file().toString());
    }

    @OnError
    public void error(WebSocketConnection connection, Throwable failure) {
        Session session = sessions.get(connection.id());
        if (session != null) {
            session.reason = "error: " + failure.getMessage();
        }
        LOG.debugf("console connection %s failed: %s", connection.id(), failure.getMessage());
    }

    /** Copies RFB bytes to the browser, pausing while the browser is more than its buffer behind. */
    private void pumpGraphics(WebSocketConnection connection, Session session) {
        byte[] buffer = new byte[65536];
        try (InputStream in = session.graphics.fromConsole()) {
            int read;
            while (!connection.isClosed() && (read = in.read(buffer)) >= 0) {
                // Until the browser has taken enough of what was sent: woken when a frame leaves.
                while (!connection.isClosed() && !session.viewer.awaitPending(config.viewerBufferBytes(), 50_000_000L)) {
                    // still behind
                }
                session.viewer.send(java.util.Arrays.copyOf(buffer, read));
            }
        } catch (IOException e) {
            LOG.debugf("graphics console of %s ended: %s", session.grant.instanceId(), e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!connection.isClosed()) {
            session.reason = "the instance's graphics console ended";
            connection.close(new CloseReason(CloseCodes.UNAVAILABLE, session.reason)).subscribe().with(done -> { },
                    failure -> { });
        }
    }

    /** A JSON whole number that fits an int, else 0 (strings, fractions and huge numbers are not sizes). */
    private static int whole(JsonNode value) {
        return value.isIntegralNumber() && value.canConvertToInt() ? value.intValue() : 0;
    }

    private static String truncate(String reason) {
        // A close frame's reason is at most 123 bytes.
        return reason.length() > 120 ? reason.substring(0, 120) : reason;
    }

}

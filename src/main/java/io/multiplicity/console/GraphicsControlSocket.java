package io.multiplicity.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.multiplicity.common.ClientAddresses;
import io.quarkus.websockets.next.CloseReason;
import io.quarkus.websockets.next.OnClose;
import io.quarkus.websockets.next.OnOpen;
import io.quarkus.websockets.next.OnTextMessage;
import io.quarkus.websockets.next.PathParam;
import io.quarkus.websockets.next.WebSocket;
import io.quarkus.websockets.next.WebSocketConnection;
import jakarta.inject.Inject;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The control socket of a graphical console, {@code /ws/console/vnc/{ticket}/control}: JSON text
 * frames beside noVNC's RFB socket, which carries RFB bytes only. The browser opens it once its RFB
 * socket is connected, with the same ticket: the ticket was redeemed by the RFB socket, and here it
 * only finds that socket's seat (from the same client address, once). The server tells who types
 * ({@code {"type":"writer","writer":…,"you":"writer"|"reader","viewers":n,"dropped":n}}) and when
 * another viewer took over ({@code {"type":"taken-over","by":…}}); the browser asks to take over
 * ({@code {"type":"takeover"}}) and pings ({@code {"type":"ping"}} → {@code {"type":"pong"}}).
 * It closes with the RFB socket.
 */
@WebSocket(path = "/ws/console/vnc/{ticket}/control")
public class GraphicsControlSocket {

    /** Control frames the browser sends. */
    static final String TAKEOVER = "takeover";
    static final String PING = "ping";

    record Pong(String type) {
    }

    record ErrorFrame(String type, String message) {
    }

    @Inject
    GraphicsBroker broker;

    @Inject
    ConsoleConfig config;

    @Inject
    ObjectMapper json;

    private final Map<String, Attached> attached = new ConcurrentHashMap<>();

    private record Attached(GraphicsBroker.Seat seat, SocketViewer viewer) {
    }

    @OnOpen
    public void open(WebSocketConnection connection, @PathParam String ticket) {
        String address = ClientAddresses.normalize(connection.handshakeRequest().remoteAddress());
        GraphicsBroker.Seat seat = broker.seatOf(ticket);
        if (seat == null || !seat.clientAddress.equals(address)) {
            connection.closeAndAwait(new CloseReason(CloseCodes.UNKNOWN_TICKET,
                    "no open graphical console of this ticket"));
            return;
        }
        SocketViewer viewer = new SocketViewer(connection, seat.name, config.viewerBufferBytes(), null);
        if (!seat.attachControl(viewer)) {
            connection.closeAndAwait(new CloseReason(CloseCodes.TICKET_USED,
                    "this graphical console has its control socket already"));
            return;
        }
        attached.put(connection.id(), new Attached(seat, viewer));
    }

    @OnTextMessage
    public void text(WebSocketConnection connection, String message) {
        Attached session = attached.get(connection.id());
        if (session == null) {
            return;
        }
        String type;
        try {
            JsonNode control = json.readTree(message);
            type = control.path("type").asText("");
        } catch (IOException e) {
            send(session.viewer, new ErrorFrame("error", "control frames are JSON objects"));
            return;
        }
        switch (type) {
            case PING -> send(session.viewer, new Pong("pong"));
            case TAKEOVER -> {
                if (!session.seat.takeOver()) {
                    send(session.viewer, new ErrorFrame("error", "your role lets you watch, not type"));
                }
            }
            default -> send(session.viewer, new ErrorFrame("error", "unknown control frame type '" + type + "'"));
        }
    }

    @OnClose
    public void close(WebSocketConnection connection) {
        Attached session = attached.remove(connection.id());
        if (session != null) {
            session.seat.detachControl(session.viewer);
        }
    }

    private void send(SocketViewer viewer, Object frame) {
        try {
            viewer.control(json.writeValueAsString(frame));
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode a control frame", e);
        }
    }
}

package io.multiplicity.console;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The shared-session model of graphical consoles, as {@link SerialBroker} has it for serial: the
 * viewers of one VM's screen, one of whom is the writer (whose keys, pointer and clipboard reach the
 * VM) while the others watch until one of them takes over, which every viewer is told.
 *
 * <p>Every viewer has an RFB connection of its own to the VM's monitor: QEMU's and mvm's VNC servers
 * both serve several clients the same framebuffer (the gateway asks for a shared session on each,
 * so no viewer's ClientInit can disconnect the others from QEMU). What makes a viewer the writer is
 * therefore only the gateway's filter ({@link RfbInput}) on its input, asking {@link Seat#mayType()}
 * message by message.
 *
 * <p>noVNC's WebSocket carries RFB bytes only, so the presence messages travel on a second, small
 * WebSocket of the same browser ({@code /ws/console/vnc/{ticket}/control}), bound to its seat by the
 * ticket the RFB socket redeemed ({@link #seatOf}).
 */
@ApplicationScoped
public class GraphicsBroker {

    /** Control frame types of the graphics control socket. */
    static final String WRITER = "writer";
    static final String TAKEN_OVER = "taken-over";

    /** Who types, whether it is you, how many watch, and how many of your inputs were dropped. */
    record WriterFrame(String type, String writer, String you, int viewers, long dropped) {
    }

    /** Sent to the former writer when another viewer takes over. */
    record TakenOverFrame(String type, String by) {
    }

    @Inject
    ObjectMapper json;

    private final Map<UUID, Channel> channels = new ConcurrentHashMap<>();
    /** Seats by the ticket that opened their RFB socket, for the control socket to find them. */
    private final Map<String, Seat> byTicket = new ConcurrentHashMap<>();

    /** A viewer joins the instance's screen; the first viewer who may type becomes the writer. */
    Seat join(UUID instanceId, String ticket, String name, String clientAddress, boolean readOnly) {
        Seat seat = new Seat(instanceId, ticket, name, clientAddress, readOnly);
        channels.compute(instanceId, (id, channel) -> {
            Channel joined = channel == null ? new Channel() : channel;
            joined.add(seat);
            return joined;
        });
        byTicket.put(ticket, seat);
        announce(instanceId);
        return seat;
    }

    /** The seat whose RFB socket redeemed {@code ticket}, if it is still open. */
    Seat seatOf(String ticket) {
        return byTicket.get(ticket);
    }

    /** The viewers of the instance's screen now. */
    int viewers(UUID instanceId) {
        Channel channel = channels.get(instanceId);
        return channel == null ? 0 : channel.size();
    }

    private void announce(UUID instanceId) {
        Channel channel = channels.get(instanceId);
        if (channel == null) {
            return;
        }
        List<Seat> seats;
        Seat writer;
        synchronized (channel) {
            seats = new ArrayList<>(channel.seats.keySet());
            writer = channel.writer;
        }
        for (Seat seat : seats) {
            seat.send(new WriterFrame(WRITER, writer == null ? null : writer.name,
                    writer == seat ? "writer" : "reader", seats.size(), seat.dropped.get()));
        }
    }

    private String encode(Object frame) {
        try {
            return json.writeValueAsString(frame);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode a control frame", e);
        }
    }

    /** The viewers of one instance's screen and its writer; guarded by itself. */
    private static final class Channel {
        final Map<Seat, Boolean> seats = new LinkedHashMap<>();
        Seat writer;

        synchronized void add(Seat seat) {
            seats.put(seat, Boolean.TRUE);
            if (writer == null && !seat.readOnly) {
                writer = seat;
            }
        }

        synchronized int size() {
            return seats.size();
        }
    }

    /** One viewer's place at a VM's screen. */
    final class Seat {
        final UUID instanceId;
        final String ticket;
        final String name;
        final String clientAddress;
        final boolean readOnly;
        /** Input messages (keys, pointer, clipboard) dropped because this viewer was not the writer. */
        final AtomicLong dropped = new AtomicLong();
        private volatile Viewer control;
        private volatile WriterFrame last;

        private Seat(UUID instanceId, String ticket, String name, String clientAddress, boolean readOnly) {
            this.instanceId = instanceId;
            this.ticket = ticket;
            this.name = name;
            this.clientAddress = clientAddress;
            this.readOnly = readOnly;
        }

        /** Whether this viewer's input reaches the VM now. */
        boolean mayType() {
            Channel channel = channels.get(instanceId);
            if (channel == null) {
                return false;
            }
            synchronized (channel) {
                return channel.writer == this;
            }
        }

        /**
         * Makes this viewer the writer; the former writer is told it was taken over, everyone hears
         * who types. Returns false for a viewer whose role lets it watch only.
         */
        boolean takeOver() {
            if (readOnly) {
                return false;
            }
            Channel channel = channels.get(instanceId);
            if (channel == null) {
                return false;
            }
            Seat former;
            synchronized (channel) {
                if (!channel.seats.containsKey(this)) {
                    return false;
                }
                former = channel.writer;
                channel.writer = this;
            }
            if (former != null && former != this) {
                former.send(new TakenOverFrame(TAKEN_OVER, name));
            }
            announce(instanceId);
            return true;
        }

        /**
         * Attaches the browser's control socket; it is told the presence at once. Returns false when
         * a control socket is attached already.
         */
        synchronized boolean attachControl(Viewer viewer) {
            if (control != null) {
                return false;
            }
            control = viewer;
            WriterFrame current = last;
            if (current != null) {
                viewer.control(encode(current));
            }
            return true;
        }

        /** The control socket went away (the RFB session stays). */
        synchronized void detachControl(Viewer viewer) {
            if (control == viewer) {
                control = null;
            }
        }

        /** The viewer's RFB socket closed: it leaves, and its control socket with it. */
        void leave() {
            byTicket.remove(ticket, this);
            Channel remaining = channels.computeIfPresent(instanceId, (id, channel) -> {
                synchronized (channel) {
                    channel.seats.remove(this);
                    if (channel.writer == this) {
                        channel.writer = null;
                    }
                    return channel.seats.isEmpty() ? null : channel;
                }
            });
            Viewer attached = control;
            if (attached != null) {
                attached.close(CloseCodes.NORMAL, "the graphical console closed");
            }
            if (remaining != null) {
                announce(instanceId);
            }
        }

        private synchronized void send(Object frame) {
            if (frame instanceof WriterFrame writer) {
                last = writer;
            }
            Viewer attached = control;
            if (attached != null) {
                attached.control(encode(frame));
            }
        }
    }
}

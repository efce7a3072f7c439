package io.multiplicity.console;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;

/**
 * What a VNC viewer sends to a VM's RFB server (RFC 6143), read message by message so that a
 * read-only viewer's input never reaches the VM: the handshake (protocol version, security type,
 * VNC authentication's response, ClientInit) and the messages that only shape what the viewer sees
 * (SetPixelFormat, SetEncodings, FramebufferUpdateRequest, EnableContinuousUpdates, ClientFence)
 * pass; KeyEvent, PointerEvent, ClientCutText, xvp (power actions) and QEMU's client messages
 * (extended key events) are dropped and counted. A message of a type it does not know cannot be
 * delimited: for a viewer who does not type that ends the session ({@link #failure}); a writer's
 * stream is passed on unread from there (and ends the session should the viewer stop being the
 * writer). Bytes may arrive split anywhere across WebSocket messages.
 *
 * <p>Whether the viewer types is asked message by message: a read-only ticket never does, and of
 * the viewers of a shared graphics session only the writer does ({@link GraphicsBroker}). The
 * ClientInit's shared flag is always sent as "shared", so no viewer can ask the VM's VNC server for
 * an exclusive session that would disconnect the others (QEMU honours the flag).
 *
 * <p>It also notes when the viewer last gave input (keys, pointer, clipboard), for the idle
 * timeout of graphics sessions.
 */
final class RfbInput {

    private enum Stage { VERSION, SECURITY, VNC_AUTH, CLIENT_INIT, MESSAGES, UNREAD }

    /** RFC 6143 §7.5 client-to-server message types, and the extensions noVNC sends. */
    static final int SET_PIXEL_FORMAT = 0;
    static final int SET_ENCODINGS = 2;
    static final int FRAMEBUFFER_UPDATE_REQUEST = 3;
    static final int KEY_EVENT = 4;
    static final int POINTER_EVENT = 5;
    static final int CLIENT_CUT_TEXT = 6;
    static final int ENABLE_CONTINUOUS_UPDATES = 150;
    static final int CLIENT_FENCE = 248;
    static final int XVP = 250;
    static final int QEMU = 255;

    private final java.util.function.BooleanSupplier mayType;
    private Stage stage = Stage.VERSION;
    private byte[] pending = new byte[0];
    private long dropped;
    private String failure;
    private volatile Instant lastInput;

    RfbInput(boolean readOnly, Instant now) {
        this(() -> !readOnly, now);
    }

    /** A viewer whose input passes while {@code mayType} says so. */
    RfbInput(java.util.function.BooleanSupplier mayType, Instant now) {
        this.mayType = mayType;
        this.lastInput = now;
    }

    /** Input messages dropped because the viewer did not type. */
    long dropped() {
        return dropped;
    }

    /** Why the stream cannot be filtered any further, or null. */
    String failure() {
        return failure;
    }

    /** When the viewer last gave input (or the session began). */
    Instant lastInput() {
        return lastInput;
    }

    /** Takes what the viewer sent; returns what goes on to the VM. */
    synchronized byte[] accept(byte[] chunk, Instant now) {
        if (stage == Stage.UNREAD) {
            if (mayType.getAsBoolean()) {
                return chunk;
            }
            failure = "input that cannot be read from a viewer who no longer types";
            stage = Stage.MESSAGES;
            return new byte[0];
        }
        if (failure != null) {
            return new byte[0];
        }
        byte[] data = pending.length == 0 ? chunk : concat(pending, chunk);
        ByteArrayOutputStream forward = new ByteArrayOutputStream(data.length);
        int at = 0;
        while (at < data.length) {
            int length = unitLength(data, at);
            if (length == NEED_MORE || at + length > data.length) {
                break;
            }
            if (length == UNKNOWN) {
                if (!mayType.getAsBoolean()) {
                    failure = "a message of unknown type " + (data[at] & 0xff) + " from a viewer who does not type";
                    pending = new byte[0];
                    return forward.toByteArray();
                }
                stage = Stage.UNREAD;
                forward.write(data, at, data.length - at);
                at = data.length;
                break;
            }
            boolean input = stage == Stage.MESSAGES && isInput(data[at] & 0xff);
            if (input) {
                lastInput = now;
            }
            if (input && !mayType.getAsBoolean()) {
                dropped++;
            } else if (stage == Stage.CLIENT_INIT) {
                forward.write(SHARED);
            } else {
                forward.write(data, at, length);
            }
            advance(data, at, length);
            at += length;
        }
        pending = Arrays.copyOfRange(data, at, data.length);
        return forward.toByteArray();
    }

    /** RFC 6143 §7.3.1: a ClientInit's shared-flag, non-zero to leave other clients connected. */
    private static final int SHARED = 1;

    private static final int NEED_MORE = -1;
    private static final int UNKNOWN = -2;

    /** The length of the unit that starts at {@code at}, or NEED_MORE to tell, or UNKNOWN. */
    private int unitLength(byte[] data, int at) {
        int available = data.length - at;
        switch (stage) {
            case VERSION:
                return 12;
            case SECURITY:
            case CLIENT_INIT:
                return 1;
            case VNC_AUTH:
                return 16;
            default:
                break;
        }
        int type = data[at] & 0xff;
        switch (type) {
            case SET_PIXEL_FORMAT:
                return 20;
            case SET_ENCODINGS:
                return available < 4 ? NEED_MORE : 4 + 4 * u16(data, at + 2);
            case FRAMEBUFFER_UPDATE_REQUEST:
            case ENABLE_CONTINUOUS_UPDATES:
                return 10;
            case KEY_EVENT:
                return 8;
            case POINTER_EVENT:
                return 6;
            case CLIENT_CUT_TEXT: {
                if (available < 8) {
                    return NEED_MORE;
                }
                long length = s32(data, at + 4);
                // the extended clipboard sends a negative length: its absolute value follows
                long bytes = Math.abs(length);
                return bytes > 1024 * 1024 ? UNKNOWN : (int) (8 + bytes);
            }
            case CLIENT_FENCE:
                return available < 9 ? NEED_MORE : 9 + (data[at + 8] & 0xff);
            case XVP:
                return 4;
            case QEMU: {
                if (available < 2) {
                    return NEED_MORE;
                }
                int subtype = data[at + 1] & 0xff;
                return subtype == 0 ? 12 : UNKNOWN;  // 0: extended key event; audio is not carried
            }
            default:
                return UNKNOWN;
        }
    }

    private static boolean isInput(int type) {
        return type == KEY_EVENT || type == POINTER_EVENT || type == CLIENT_CUT_TEXT || type == XVP || type == QEMU;
    }

    private void advance(byte[] data, int at, int length) {
        switch (stage) {
            case VERSION -> {
                String version = new String(data, at, length, StandardCharsets.US_ASCII);
                // RFB 3.3: the server chooses the security type and the client answers nothing
                stage = version.startsWith("RFB 003.003") ? Stage.CLIENT_INIT : Stage.SECURITY;
            }
            case SECURITY -> stage = (data[at] & 0xff) == 2 ? Stage.VNC_AUTH : Stage.CLIENT_INIT;
            case VNC_AUTH -> stage = Stage.CLIENT_INIT;
            case CLIENT_INIT -> stage = Stage.MESSAGES;
            default -> { }
        }
    }

    private static int u16(byte[] data, int at) {
        return ((data[at] & 0xff) << 8) | (data[at + 1] & 0xff);
    }

    private static int s32(byte[] data, int at) {
        return ((data[at] & 0xff) << 24) | ((data[at + 1] & 0xff) << 16) | ((data[at + 2] & 0xff) << 8)
                | (data[at + 3] & 0xff);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] joined = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, joined, a.length, b.length);
        return joined;
    }
}

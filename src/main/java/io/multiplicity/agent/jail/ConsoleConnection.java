package io.multiplicity.agent.jail;

import io.multiplicity.host.contract.ConsoleStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A connection to a jail's console as served by its console-keeper: bytes read are the console's
 * output (starting with the keeper's recent scrollback), bytes written are typed into it. One
 * reader thread and one writer thread may use it at once. Opening a new connection replaces the
 * previous one at the keeper. Window sizes go to the keeper's control socket, when there is one.
 */
public final class ConsoleConnection implements ConsoleStream {

    /** How long the keeper may take to answer a control line. */
    private static final long CONTROL_TIMEOUT_MILLIS = 2000;

    private final SocketChannel channel;
    private final Path controlSocket;
    private final InputStream input;
    private final OutputStream output;
    private SocketChannel control;

    private ConsoleConnection(SocketChannel channel, Path controlSocket) {
        this.channel = channel;
        this.controlSocket = controlSocket;
        this.input = new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] bytes, int offset, int length) throws IOException {
                if (length == 0) {
                    return 0;
                }
                return channel.read(ByteBuffer.wrap(bytes, offset, length));
            }

            @Override
            public void close() throws IOException {
                ConsoleConnection.this.close();
            }
        };
        this.output = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] bytes, int offset, int length) throws IOException {
                ByteBuffer buffer = ByteBuffer.wrap(bytes, offset, length);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
            }

            @Override
            public void close() throws IOException {
                ConsoleConnection.this.close();
            }
        };
    }

    /** Connects to a console's byte stream (a keeper's serve socket, a monitor's serial or VNC socket). */
    public static ConsoleConnection open(Path socket) throws IOException {
        return open(socket, null);
    }

    /** Connects to the keeper's serve socket; {@code controlSocket} (may be null) takes window sizes. */
    public static ConsoleConnection open(Path socket, Path controlSocket) throws IOException {
        return new ConsoleConnection(connect(socket), controlSocket);
    }

    private static SocketChannel connect(Path socket) throws IOException {
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            channel.connect(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            channel.close();
            throw e;
        }
        return channel;
    }

    /**
     * Sends {@code resize COLUMNS ROWS} on the keeper's control socket and waits for its answer. Does
     * nothing, and returns false, when the console has no control socket (a VM's serial line).
     *
     * @throws IOException when the keeper cannot be reached or refuses the size
     */
    @Override
    public synchronized boolean resize(int columns, int rows) throws IOException {
        if (controlSocket == null) {
            return false;
        }
        if (columns < 1 || columns > 1000 || rows < 1 || rows > 1000) {
            throw new IllegalArgumentException("columns and rows must be from 1 to 1000");
        }
        try {
            if (control == null) {
                control = connect(controlSocket);
                control.configureBlocking(false);
            }
            ByteBuffer line = ByteBuffer.wrap(("resize " + columns + " " + rows + "\n").getBytes(StandardCharsets.US_ASCII));
            String answer = exchange(line);
            if (!answer.equals("ok")) {
                throw new IOException("the console keeper refused the window size: " + answer);
            }
            return true;
        } catch (IOException e) {
            closeControl();
            throw e;
        }
    }

    /** Writes one control line and reads the one-line answer, within the control timeout. */
    private String exchange(ByteBuffer line) throws IOException {
        try (Selector selector = Selector.open()) {
            long deadline = System.nanoTime() + CONTROL_TIMEOUT_MILLIS * 1_000_000;
            SelectionKey key = control.register(selector, SelectionKey.OP_WRITE);
            ByteBuffer answer = ByteBuffer.allocate(128);
            while (true) {
                long left = (deadline - System.nanoTime()) / 1_000_000;
                if (left <= 0) {
                    throw new IOException("the console keeper did not answer within " + CONTROL_TIMEOUT_MILLIS + " ms");
                }
                selector.select(left);
                if (line.hasRemaining()) {
                    control.write(line);
                    if (!line.hasRemaining()) {
                        key.interestOps(SelectionKey.OP_READ);
                    }
                    continue;
                }
                if (control.read(answer) < 0) {
                    throw new IOException("the console keeper closed its control connection");
                }
                for (int i = 0; i < answer.position(); i++) {
                    if (answer.get(i) == '\n') {
                        return new String(answer.array(), 0, i, StandardCharsets.US_ASCII);
                    }
                }
                if (!answer.hasRemaining()) {
                    throw new IOException("the console keeper's answer is too long");
                }
            }
        }
    }

    private void closeControl() {
        if (control != null) {
            try {
                control.close();
            } catch (IOException e) {
                // nothing more to close
            }
            control = null;
        }
    }

    @Override
    public InputStream fromConsole() {
        return input;
    }

    @Override
    public OutputStream toConsole() {
        return output;
    }

    @Override
    public void close() throws IOException {
        synchronized (this) {
            closeControl();
        }
        channel.close();
    }
}

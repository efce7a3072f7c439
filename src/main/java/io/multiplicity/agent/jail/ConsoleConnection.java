package io.multiplicity.agent.jail;

import io.multiplicity.host.HostDriver;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

/**
 * A connection to a jail's console as served by its console-keeper: bytes read are the console's
 * output (starting with the keeper's recent scrollback), bytes written are typed into it. One
 * reader thread and one writer thread may use it at once. Opening a new connection replaces the
 * previous one at the keeper.
 */
public final class ConsoleConnection implements HostDriver.ConsoleStream {

    private final SocketChannel channel;
    private final InputStream input;
    private final OutputStream output;

    private ConsoleConnection(SocketChannel channel) {
        this.channel = channel;
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

    /** Connects to the keeper's serve socket. */
    public static ConsoleConnection open(Path socket) throws IOException {
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            channel.connect(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            channel.close();
            throw e;
        }
        return new ConsoleConnection(channel);
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
        channel.close();
    }
}

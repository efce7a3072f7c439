package io.multiplicity.agent.vm;

import io.multiplicity.agent.jail.ConsoleConnection;
import io.multiplicity.host.contract.ConsoleStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.io.SequenceInputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A VM's serial console or VNC server, reached on the monitor's unix socket. Where the monitor
 * replays no scrollback itself (QEMU), the recent output is read from its console log first.
 */
final class VmConsole implements ConsoleStream {

    private static final int SCROLLBACK = 16 * 1024;

    private final ConsoleConnection connection;
    private final InputStream input;

    private VmConsole(ConsoleConnection connection, byte[] scrollback) {
        this.connection = connection;
        this.input = scrollback.length == 0 ? connection.fromConsole()
                : new SequenceInputStream(new ByteArrayInputStream(scrollback), connection.fromConsole());
    }

    /** Connects to {@code socket}, replaying the tail of {@code log} first when it is not null. */
    static VmConsole open(Path socket, Path log) throws IOException {
        byte[] scrollback = log == null ? new byte[0] : tail(log);
        return new VmConsole(ConsoleConnection.open(socket), scrollback);
    }

    private static byte[] tail(Path log) throws IOException {
        if (!Files.isRegularFile(log)) {
            return new byte[0];
        }
        try (RandomAccessFile file = new RandomAccessFile(log.toFile(), "r")) {
            long start = Math.max(0, file.length() - SCROLLBACK);
            byte[] bytes = new byte[(int) (file.length() - start)];
            file.seek(start);
            file.readFully(bytes);
            return bytes;
        }
    }

    @Override
    public InputStream fromConsole() {
        return input;
    }

    @Override
    public OutputStream toConsole() {
        return connection.toConsole();
    }

    @Override
    public void close() throws IOException {
        connection.close();
    }
}

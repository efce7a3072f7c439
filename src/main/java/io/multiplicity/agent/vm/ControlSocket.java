package io.multiplicity.agent.vm;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** JSON lines over a monitor's unix control socket (mvm's control socket, QEMU's QMP). */
final class ControlSocket {

    private ControlSocket() {
    }

    /**
     * Sends {@code requests} one line each and returns one reply line per request (QMP's greeting
     * first when {@code greeting}). Gives up after a second without an answer.
     */
    static List<String> exchange(Path socket, boolean greeting, String... requests) throws IOException {
        List<String> replies = new ArrayList<>();
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            BufferedReader reader = new BufferedReader(new InputStreamReader(
                    Channels.newInputStream(channel), StandardCharsets.UTF_8));
            if (greeting) {
                replies.add(reader.readLine());
            }
            for (String request : requests) {
                ByteBuffer bytes = ByteBuffer.wrap((request + "\n").getBytes(StandardCharsets.UTF_8));
                while (bytes.hasRemaining()) {
                    channel.write(bytes);
                }
                replies.add(reader.readLine());
            }
        }
        return replies;
    }
}

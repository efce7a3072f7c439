package io.multiplicity.support;

import io.multiplicity.console.SerialBroker;
import io.multiplicity.console.Viewer;
import io.multiplicity.host.contract.ConsoleStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.util.UUID;

/**
 * An instance's serial console as a viewer of the console broker sees it, which holds the console
 * of every running instance: what tests read and type instead of opening the host's console
 * themselves (which would take it from the broker).
 */
public final class BrokerConsole implements ConsoleStream {

    private final PipedInputStream output = new PipedInputStream(1 << 20);
    private final PipedOutputStream sink;
    private final SerialBroker.Attachment attachment;

    public BrokerConsole(SerialBroker broker, UUID instanceId) throws IOException {
        this.sink = new PipedOutputStream(output);
        this.attachment = broker.attach(instanceId, new Viewer() {
            @Override
            public String name() {
                return "test";
            }

            @Override
            public boolean output(byte[] data) {
                try {
                    sink.write(data);
                    sink.flush();
                } catch (IOException e) {
                    // the test stopped reading
                }
                return true;
            }

            @Override
            public void control(String json) {
            }

            @Override
            public void close(int code, String reason) {
                try {
                    sink.close();
                } catch (IOException e) {
                    // already closed
                }
            }
        }, false);
        attachment.takeOver();
    }

    @Override
    public InputStream fromConsole() {
        return output;
    }

    @Override
    public OutputStream toConsole() {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] bytes, int offset, int length) throws IOException {
                attachment.input(java.util.Arrays.copyOfRange(bytes, offset, offset + length));
            }
        };
    }

    @Override
    public void close() {
        attachment.detach();
    }
}

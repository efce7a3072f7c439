package io.multiplicity.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "console", description = {
        "The serial console of an instance in this terminal, over the panel's WebSocket gateway.",
        "On a terminal it runs in raw mode (Ctrl-C reaches the instance) and follows the window's size.",
        "Leave with Ctrl-] then q (Ctrl-] Ctrl-] sends one Ctrl-]; Ctrl-] ? shows this).",
        "With standard input from a pipe, what it reads is typed into the console; at its end the console stays "
                + "open until the output has been quiet for --linger seconds."})
public class ConsoleCommand extends PanelCommand {

    /** Ctrl-]: the escape key, as in telnet and virsh console. */
    static final int ESCAPE = 0x1d;
    static final String ESCAPE_HELP = "Ctrl-] q leaves the console; Ctrl-] Ctrl-] sends Ctrl-]";
    static final int NORMAL_CLOSURE = 1000;

    @Parameters(paramLabel = "NAME", description = "The instance's name or id.") String name;

    @Option(names = "--takeover", description = "Become the writer when someone else is typing into the console.")
    boolean takeover;

    @Option(names = "--linger", paramLabel = "SECONDS", defaultValue = "2",
            description = "With piped input: how long the output must be quiet after the input ended before leaving (default ${DEFAULT-VALUE}).")
    double lingerSeconds;

    private final CompletableFuture<Integer> finished = new CompletableFuture<>();
    private final AtomicLong lastOutput = new AtomicLong(System.nanoTime());
    /** What the gateway says this viewer is once it has attached it: "writer" or "reader". */
    private final CompletableFuture<String> role = new CompletableFuture<>();
    private volatile String closeReason = "";

    private int exitCode = ExitCodes.OK;

    @Override
    public Integer call() throws Exception {
        run();
        return exitCode;
    }

    @Override
    protected void run() throws Exception {
        PanelClient api = api();
        String id = Names.instance(api, name);
        JsonNode ticket = api.post(PanelClient.path("/instances", id, "console"),
                api.json().createObjectNode().put("type", "serial"));
        URI socketUri = socketUri(api.baseUrl(), ticket.path("url").asText());
        PrintStream out = root().out();
        PrintStream err = root().err();
        WebSocket socket = session().http().newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10))
                .buildAsync(socketUri, listener(out)).get(20, TimeUnit.SECONDS);
        if (ticket.path("readOnly").asBoolean(false)) {
            err.println("[read-only console: your role can watch, not type]");
        }
        boolean interactive = root().terminal();
        if (takeover) {
            socket.sendText(control("takeover", null), true).join();
        }
        // Keys typed before the gateway has attached this viewer would be lost: wait for its word.
        String attachedAs = role.completeOnTimeout("unknown", 10, TimeUnit.SECONDS).get();
        if ("reader".equals(attachedAs) && !takeover && !ticket.path("readOnly").asBoolean(false)) {
            err.print("[someone else is typing into this console: you watch; --takeover to type]" + (interactive ? "\r\n" : "\n"));
            err.flush();
        }
        TerminalMode terminal = interactive ? TerminalMode.raw() : null;
        try {
            if (terminal != null) {
                // the window's size first, so that what is typed next already runs in it
                followWindowSize(socket, sendWindowSize(socket, null));
            }
            err.print("[connected to the serial console of " + name + "; " + ESCAPE_HELP + "]" + (interactive ? "\r\n" : "\n"));
            err.flush();
            Thread input = new Thread(() -> pump(root().in(), socket, terminal != null), "console-input");
            input.setDaemon(true);
            input.start();
            exitCode = finished.get();
            socket.abort();
        } finally {
            if (terminal != null) {
                terminal.close();
            }
            err.println(closeReason.isEmpty() ? "[console closed]" : "[console closed: " + closeReason + "]");
        }
    }

    static URI socketUri(String baseUrl, String url) {
        String absolute = url.startsWith("/") ? baseUrl + url : url;
        return URI.create(absolute.replaceFirst("^http", "ws"));
    }

    private String control(String type, int[] size) {
        var frame = session().json().createObjectNode().put("type", type);
        if (size != null) {
            frame.put("rows", size[0]).put("cols", size[1]);
        }
        return frame.toString();
    }

    /** Sends the window size if it differs from {@code sent}; returns the size the console now has. */
    private int[] sendWindowSize(WebSocket socket, int[] sent) {
        int[] size = TerminalMode.size();
        if (size != null && !Arrays.equals(size, sent)) {
            socket.sendText(control("resize", size), true).join();
            return size;
        }
        return sent;
    }

    /** Sends the window size whenever it changes (checked twice a second: Java has no SIGWINCH). */
    private void followWindowSize(WebSocket socket, int[] alreadySent) {
        Thread watcher = new Thread(() -> {
            int[] sent = alreadySent;
            while (!finished.isDone()) {
                sent = sendWindowSize(socket, sent);
                try {
                    Thread.sleep(500);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "console-window-size");
        watcher.setDaemon(true);
        watcher.start();
    }

    /** Types standard input into the console, watching for the escape sequence. */
    private void pump(InputStream in, WebSocket socket, boolean interactive) {
        byte[] buffer = new byte[4096];
        boolean escaped = false;
        try {
            int read;
            while (!finished.isDone() && (read = in.read(buffer)) >= 0) {
                java.io.ByteArrayOutputStream send = new java.io.ByteArrayOutputStream(read + 1);
                for (int i = 0; i < read; i++) {
                    int key = buffer[i] & 0xff;
                    if (escaped) {
                        escaped = false;
                        if (key == 'q' || key == '.') {
                            flush(socket, send);
                            leave(socket);
                            return;
                        } else if (key == '?') {
                            root().err().print("\r\n[" + ESCAPE_HELP + "]\r\n");
                            root().err().flush();
                        } else if (key == ESCAPE) {
                            send.write(ESCAPE);
                        } else {
                            send.write(ESCAPE);
                            send.write(key);
                        }
                    } else if (key == ESCAPE) {
                        escaped = true;
                    } else {
                        send.write(key);
                    }
                }
                flush(socket, send);
            }
        } catch (IOException e) {
            // standard input went away: handled as its end
        }
        if (!interactive) {
            lingerThenLeave(socket);
        }
    }

    private void flush(WebSocket socket, java.io.ByteArrayOutputStream bytes) {
        if (bytes.size() > 0) {
            socket.sendBinary(ByteBuffer.wrap(bytes.toByteArray()), true).join();
            bytes.reset();
        }
    }

    private void lingerThenLeave(WebSocket socket) {
        lastOutput.accumulateAndGet(System.nanoTime(), Math::max);
        long quiet = (long) (lingerSeconds * 1_000_000_000L);
        while (!finished.isDone() && System.nanoTime() - lastOutput.get() < quiet) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                return;
            }
        }
        leave(socket);
    }

    private void leave(WebSocket socket) {
        socket.sendClose(NORMAL_CLOSURE, "viewer left").whenComplete((sent, error) -> finished.complete(ExitCodes.OK));
        finished.completeOnTimeout(ExitCodes.OK, 2, TimeUnit.SECONDS);
    }

    private WebSocket.Listener listener(PrintStream out) {
        return new WebSocket.Listener() {
            @Override
            public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
                byte[] bytes = new byte[data.remaining()];
                data.get(bytes);
                out.write(bytes, 0, bytes.length);
                out.flush();
                lastOutput.set(System.nanoTime());
                webSocket.request(1);
                return null;
            }

            @Override
            public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                try {
                    JsonNode control = session().json().readTree(data.toString());
                    if ("writer".equals(control.path("type").asText())) {
                        role.complete(control.path("you").asText());
                    } else if ("error".equals(control.path("type").asText())) {
                        root().err().print("\r\n[console: " + control.path("message").asText() + "]\r\n");
                        root().err().flush();
                    }
                } catch (IOException e) {
                    // a control frame that is not JSON carries nothing for us
                }
                webSocket.request(1);
                return null;
            }

            @Override
            public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
                if (statusCode != NORMAL_CLOSURE) {
                    closeReason = statusCode + (reason == null || reason.isEmpty() ? "" : " " + reason);
                }
                finished.complete(statusCode == NORMAL_CLOSURE ? ExitCodes.OK : ExitCodes.API_ERROR);
                return null;
            }

            @Override
            public void onError(WebSocket webSocket, Throwable error) {
                closeReason = "connection failed: " + error.getMessage();
                finished.complete(ExitCodes.UNREACHABLE);
            }
        };
    }
}

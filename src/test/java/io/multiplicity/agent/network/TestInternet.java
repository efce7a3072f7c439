package io.multiplicity.agent.network;

import io.multiplicity.agent.support.Command;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A little internet of a test's own, so that no test traffic leaves the machine: an
 * {@code upstream} namespace behind a veth whose host end plays the host's uplink
 * ({@code 198.18.77.1/24}, the upstream {@code .2}), routing the test's public addresses
 * ({@code 198.18.90.0/24}) to the host, and a {@code client} namespace behind the upstream
 * ({@code 198.18.78.2}) that plays a customer on the internet. The host gets one route, to the
 * client's network through the uplink, and nothing else of the machine's routing changes.
 */
public final class TestInternet implements AutoCloseable {

    public static final String PUBLIC = "198.18.90";
    public static final String CLIENT_ADDRESS = "198.18.78.2";
    public static final String UPSTREAM_ADDRESS = "198.18.77.2";

    public final String suffix = HexFormat.of().toHexDigits((short) ThreadLocalRandom.current().nextInt());
    public final String upstream = "mpup" + suffix;
    public final String client = "mpcl" + suffix;
    public final String uplink = "mpu" + suffix;

    public TestInternet() {
        try {
            sh("ip netns add " + upstream,
                    "ip netns add " + client,
                    "ip link add " + uplink + " type veth peer name eth0 netns " + upstream,
                    "ip addr add 198.18.77.1/24 dev " + uplink,
                    "ip link set " + uplink + " up",
                    "ip route add 198.18.78.0/24 via " + UPSTREAM_ADDRESS + " dev " + uplink,
                    "ip netns exec " + upstream + " ip addr add " + UPSTREAM_ADDRESS + "/24 dev eth0",
                    "ip netns exec " + upstream + " ip link set eth0 up",
                    "ip netns exec " + upstream + " ip link set lo up",
                    "ip netns exec " + upstream + " sysctl -q -w net.ipv4.ip_forward=1",
                    "ip netns exec " + upstream + " ip route add " + PUBLIC + ".0/24 via 198.18.77.1",
                    "ip link add cl" + suffix + " netns " + upstream + " type veth peer name eth0 netns " + client,
                    "ip netns exec " + upstream + " ip addr add 198.18.78.1/24 dev cl" + suffix,
                    "ip netns exec " + upstream + " ip link set cl" + suffix + " up",
                    "ip netns exec " + client + " ip addr add " + CLIENT_ADDRESS + "/24 dev eth0",
                    "ip netns exec " + client + " ip link set eth0 up",
                    "ip netns exec " + client + " ip link set lo up",
                    "ip netns exec " + client + " ip route add default via 198.18.78.1");
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /**
     * Makes the upstream the outside world's resolver and web site: dnsmasq there answers
     * {@code www.upstream.test} with the upstream's address, and a web server there serves
     * {@code page} at {@code /}. Returns the resolver's address (the host's uplink resolver).
     */
    public String serveWebByName(java.nio.file.Path files, String page) {
        try {
            java.nio.file.Files.createDirectories(files);
            java.nio.file.Files.writeString(files.resolve("index.html"), page + "\n");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        sh("ip netns exec " + upstream + " dnsmasq --conf-file=/dev/null --no-resolv --no-hosts --bind-interfaces"
                        + " --listen-address=" + UPSTREAM_ADDRESS + " --local=/upstream.test/ --host-record=www.upstream.test,"
                        + UPSTREAM_ADDRESS + " --pid-file=" + files.resolve("dnsmasq.pid"),
                "ip netns exec " + upstream + " busybox httpd -p " + UPSTREAM_ADDRESS + ":80 -h " + files);
        return UPSTREAM_ADDRESS;
    }

    /** Runs a command as the customer on the internet. */
    public Command.Result fromClient(String... command) {
        return Command.run(Command.join(List.of("ip", "netns", "exec", client), command), null);
    }

    /** What the customer gets from a URL within a few seconds, or "failed: <exit code>". */
    public String fetch(String url) {
        Command.Result result = fromClient("timeout", "4", "busybox", "wget", "-q", "-O", "-", url);
        return result.ok() ? result.stdout() : "failed: " + result.exitCode();
    }

    public static void sh(String... commands) {
        for (String command : commands) {
            Command.run("sh", "-c", command).check();
        }
    }

    @Override
    public void close() {
        Command.run("sh", "-c", "ip netns pids " + upstream + " | xargs -r kill; ip netns pids " + client
                + " | xargs -r kill");
        Command.run("ip", "route", "del", "198.18.78.0/24", "via", UPSTREAM_ADDRESS);
        Command.run("ip", "link", "delete", "dev", uplink);
        Command.run("ip", "netns", "delete", client);
        Command.run("ip", "netns", "delete", upstream);
    }
}

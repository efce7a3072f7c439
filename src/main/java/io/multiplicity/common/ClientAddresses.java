package io.multiplicity.common;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/**
 * Client addresses as people write them, for the audit log and console sessions: an IPv4 client
 * that reached a dual-stack socket is its IPv4 address ({@code 192.0.2.7}, not
 * {@code ::ffff:192.0.2.7}), IPv6 addresses are in their short form ({@code ::1}, not
 * {@code 0:0:0:0:0:0:0:1}), and a port is dropped. Only address literals are read; a name is never
 * looked up.
 */
public final class ClientAddresses {

    private static final Pattern LITERAL = Pattern.compile("[0-9A-Fa-f:.]+");

    private ClientAddresses() {
    }

    /** The address in its usual form; null for null, and anything that is no address literal as it came. */
    public static String normalize(String address) {
        if (address == null || address.isBlank()) {
            return null;
        }
        String host = stripPort(address.strip());
        if (!LITERAL.matcher(host).matches()) {
            return address;
        }
        try {
            InetAddress parsed = InetAddress.getByName(host);
            if (parsed instanceof Inet4Address) {
                return parsed.getHostAddress();
            }
            return shortForm(((Inet6Address) parsed).getAddress());
        } catch (UnknownHostException | RuntimeException e) {
            return address;
        }
    }

    /** {@code [::1]:8080} → {@code ::1}; {@code 192.0.2.7:443} → {@code 192.0.2.7}; a bare IPv6 address stays. */
    private static String stripPort(String address) {
        if (address.startsWith("[")) {
            int end = address.indexOf(']');
            return end > 0 ? address.substring(1, end) : address;
        }
        int colon = address.indexOf(':');
        if (colon > 0 && colon == address.lastIndexOf(':') && address.indexOf('.') >= 0) {
            return address.substring(0, colon);
        }
        return address;
    }

    /** RFC 5952: lower case, leading zeros dropped, the longest run of two or more zero groups as "::". */
    private static String shortForm(byte[] bytes) {
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = ((bytes[2 * i] & 0xff) << 8) | (bytes[2 * i + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < 8; ) {
            if (groups[i] != 0) {
                i++;
                continue;
            }
            int start = i;
            while (i < 8 && groups[i] == 0) {
                i++;
            }
            if (i - start > bestLength) {
                bestStart = start;
                bestLength = i - start;
            }
        }
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                text.append("::");
                i += bestLength - 1;
                continue;
            }
            if (text.length() > 0 && text.charAt(text.length() - 1) != ':') {
                text.append(':');
            }
            text.append(Integer.toHexString(groups[i]));
        }
        return text.toString();
    }
}

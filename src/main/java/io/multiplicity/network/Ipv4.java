package io.multiplicity.network;

/** IPv4 addresses as ints. */
public final class Ipv4 {

    private Ipv4() {
    }

    public static int parse(String address) {
        String plain = address.contains("/") ? address.substring(0, address.indexOf('/')) : address;
        String[] parts = plain.split("\\.");
        if (parts.length != 4) {
            throw new IllegalArgumentException("not an IPv4 address: " + address);
        }
        int value = 0;
        for (String part : parts) {
            int octet = Integer.parseInt(part);
            if (octet < 0 || octet > 255) {
                throw new IllegalArgumentException("not an IPv4 address: " + address);
            }
            value = (value << 8) | octet;
        }
        return value;
    }

    public static String format(int address) {
        return ((address >>> 24) & 0xff) + "." + ((address >>> 16) & 0xff) + "." + ((address >>> 8) & 0xff) + "."
                + (address & 0xff);
    }
}

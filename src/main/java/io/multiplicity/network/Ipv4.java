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

    /**
     * An IPv4 network: its first address and its prefix length.
     */
    public record Network(int base, int prefix) {

        /** How many addresses it holds. */
        public long size() {
            return 1L << (32 - prefix);
        }

        @Override
        public String toString() {
            return format(base) + "/" + prefix;
        }
    }

    /**
     * A network as people write it: {@code a.b.c.d/p}, or {@code a.b.c.d} for a /32. Address bits
     * past the prefix are cleared when {@code maskHostBits}, else refused.
     *
     * @throws IllegalArgumentException saying what is wrong
     */
    public static Network network(String text, boolean maskHostBits) {
        String value = text == null ? "" : text.strip();
        int slash = value.indexOf('/');
        String address = slash < 0 ? value : value.substring(0, slash);
        String length = slash < 0 ? "32" : value.substring(slash + 1);
        if (!address.matches("\\d{1,3}(\\.\\d{1,3}){3}") || !length.matches("\\d{1,2}")
                || Integer.parseInt(length) > 32) {
            throw new IllegalArgumentException("not an IPv4 address or network: " + text);
        }
        int prefix = Integer.parseInt(length);
        int mask = prefix == 0 ? 0 : -1 << (32 - prefix);
        int base = parse(address);
        if ((base & ~mask) != 0 && !maskHostBits) {
            throw new IllegalArgumentException("host bits are set; the network is " + format(base & mask) + "/" + prefix);
        }
        return new Network(base & mask, prefix);
    }

    public static String format(int address) {
        return ((address >>> 24) & 0xff) + "." + ((address >>> 16) & 0xff) + "." + ((address >>> 8) & 0xff) + "."
                + (address & 0xff);
    }
}

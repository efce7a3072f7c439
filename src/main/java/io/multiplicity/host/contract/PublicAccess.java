package io.multiplicity.host.contract;

import java.util.List;
import java.util.UUID;

/**
 * How the outside reaches a host's instances: the public addresses the host answers for on its
 * uplink, and per instance the public address given to it whole (1:1 NAT), its port forwards from
 * shared public addresses, and the inbound rules that filter both (and, where its tenant asked,
 * what its own tenant network opens to it). The control plane sends the
 * host's whole set each time; the host replaces what it had with it in one step.
 *
 * @param addresses every public address the host answers for (given to an instance or shared)
 * @param instances the instances that are reachable from outside or filtered inside, each once
 */
public record PublicAccess(List<String> addresses, List<Exposure> instances) {

    public PublicAccess {
        addresses = addresses == null ? List.of() : List.copyOf(addresses);
        instances = instances == null ? List.of() : List.copyOf(instances);
    }

    public static PublicAccess none() {
        return new PublicAccess(List.of(), List.of());
    }

    /** The protocols a forward or a rule names; {@code ANY} matches every IP protocol (rules only). */
    public enum Protocol {
        TCP, UDP, ICMP, ANY;

        /** Its name as nftables and the API write it. */
        public String keyword() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        /** Whether it has ports. */
        public boolean hasPorts() {
            return this == TCP || this == UDP;
        }
    }

    /**
     * One instance as the outside sees it.
     *
     * @param instanceId    the instance
     * @param tenantNetwork its tenant network on the host
     * @param address       its private address there
     * @param publicAddress the public address given to it whole (1:1 NAT both ways), or null
     * @param forwards      ports of shared public addresses forwarded to it
     * @param rules         inbound rules from outside; null: every forwarded port and, with a
     *                      public address, every port is open; an empty list: nothing from outside
     * @param filterInside  whether {@code rules} also filter what the other members of its tenant
     *                      network open to it (new connections only; replies always pass); false:
     *                      traffic inside the tenant network is open
     */
    public record Exposure(UUID instanceId, int tenantNetwork, String address, String publicAddress,
            List<Forward> forwards, List<Rule> rules, boolean filterInside) {

        public Exposure {
            forwards = forwards == null ? List.of() : List.copyOf(forwards);
            rules = rules == null ? null : List.copyOf(rules);
            if (filterInside && rules == null) {
                throw new IllegalArgumentException("traffic inside the tenant network is filtered by rules: none given");
            }
        }

        /** An instance whose traffic inside its tenant network is open. */
        public Exposure(UUID instanceId, int tenantNetwork, String address, String publicAddress,
                List<Forward> forwards, List<Rule> rules) {
            this(instanceId, tenantNetwork, address, publicAddress, forwards, rules, false);
        }
    }

    /**
     * A port of a shared public address forwarded to a port of the instance.
     *
     * @param publicAddress the shared address
     * @param protocol      TCP or UDP
     * @param port          the public port
     * @param targetPort    the instance's port
     */
    public record Forward(String publicAddress, Protocol protocol, int port, int targetPort) {
    }

    /**
     * Lets traffic from outside in: from {@code source} (a CIDR), of {@code protocol}, to the
     * instance's ports {@code fromPort..toPort} (TCP and UDP only; 0 for the others).
     */
    public record Rule(Protocol protocol, int fromPort, int toPort, String source) {
    }
}

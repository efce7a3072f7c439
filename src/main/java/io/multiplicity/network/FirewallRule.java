package io.multiplicity.network;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * One inbound rule: traffic of {@code protocol} from {@code source} to the instance's ports
 * {@code fromPort..toPort} is let in.
 *
 * @param protocol    {@code tcp}, {@code udp}, {@code icmp} or {@code any}
 * @param fromPort    first port (tcp and udp; absent for the others)
 * @param toPort      last port, at least {@code fromPort}; absent: {@code fromPort} alone
 * @param source      the IPv4 network it comes from, in CIDR notation ({@code 0.0.0.0/0}: anywhere)
 * @param description what the rule is for
 */
@Schema(requiredProperties = {"protocol", "source"})
public record FirewallRule(
        @NotNull @Pattern(regexp = "tcp|udp|icmp|any", message = "must be tcp, udp, icmp or any") String protocol,
        @Min(1) @Max(65535) Integer fromPort,
        @Min(1) @Max(65535) Integer toPort,
        @NotNull @Size(max = 18) String source,
        @Size(max = 255) String description) {
}

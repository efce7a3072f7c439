package io.multiplicity.host.contract;

import java.util.List;

/**
 * What an instance learns about itself from its host's metadata service (169.254.169.254), the
 * way EC2, OpenStack and cloud-init expect it.
 *
 * @param sshKeys  OpenSSH public keys ({@code type base64 [comment]}) for the instance's root
 * @param userData what its tenant gave at creation (a script starting with {@code #!}, or
 *                 cloud-config), or null
 */
public record InstanceMetadata(List<String> sshKeys, String userData) {

    public InstanceMetadata {
        sshKeys = sshKeys == null ? List.of() : List.copyOf(sshKeys);
    }

    public static InstanceMetadata none() {
        return new InstanceMetadata(List.of(), null);
    }
}

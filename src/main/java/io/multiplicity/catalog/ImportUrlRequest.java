package io.multiplicity.catalog;

import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.util.List;

/**
 * A version to download from a URL on the admin's allow-list.
 *
 * @param url      http(s) URL starting with an allowed prefix
 * @param version  the new version's label
 * @param format   tar, tar.gz, tar.xz, tar.zst (jails); raw, qcow2 or kernel (VMs)
 * @param sha256   the expected SHA-256 of the download, hex
 * @param channels channels to point at the new version besides latest
 */
public record ImportUrlRequest(
        @NotBlank @Size(max = 1000) String url,
        @NotBlank @Pattern(regexp = "[A-Za-z0-9][A-Za-z0-9._+~-]{0,63}", message = "must be a version label") String version,
        @NotBlank String format,
        @NotBlank @Pattern(regexp = "[0-9a-fA-F]{64}", message = "must be 64 hex digits") String sha256,
        List<@Pattern(regexp = "[a-z0-9][a-z0-9._-]{0,62}(/[a-z0-9][a-z0-9._-]{0,62}){0,3}",
                message = "must be lower-case words separated by '/'") String> channels) {
}

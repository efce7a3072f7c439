package io.multiplicity.agent.remote;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/**
 * The agent's key and the certificates the control plane gave it at enrolment, kept in
 * {@code <data>/agent-tls/}: {@code key.pem} (PKCS#8, readable by root only, never leaves the host),
 * {@code certificate.pem} (its own, naming its host id) and {@code authority.pem} (the control
 * plane's agent authority, the only issuer whose clients it serves).
 */
public final class AgentCredentials {

    private final Path directory;

    public AgentCredentials(Path dataDirectory) {
        this.directory = dataDirectory.resolve("agent-tls");
    }

    public Path key() {
        return directory.resolve("key.pem");
    }

    public Path certificate() {
        return directory.resolve("certificate.pem");
    }

    public Path authority() {
        return directory.resolve("authority.pem");
    }

    /** Whether the agent was enrolled: it has a key and both certificates. */
    public boolean present() {
        return Files.isRegularFile(key()) && Files.isRegularFile(certificate()) && Files.isRegularFile(authority());
    }

    /** A new EC P-256 key pair, generated here; the private key is only ever written to {@link #key()}. */
    public static KeyPair newKey() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot generate the agent's key", e);
        }
    }

    /** A PKCS#10 request (PEM) for the key; the control plane chooses the subject it signs. */
    public static String certificateRequest(KeyPair key, String hostName) {
        try {
            PKCS10CertificationRequest request = new JcaPKCS10CertificationRequestBuilder(
                    new X500Name("CN=" + hostName.replaceAll("[^A-Za-z0-9.-]", "-")), key.getPublic())
                    .build(new JcaContentSignerBuilder("SHA256withECDSA").build(key.getPrivate()));
            StringWriter pem = new StringWriter();
            try (JcaPEMWriter writer = new JcaPEMWriter(pem)) {
                writer.writeObject(request);
            }
            return pem.toString();
        } catch (OperatorCreationException | IOException e) {
            throw new IllegalStateException("cannot write the agent's certificate request", e);
        }
    }

    /** Stores the key and the certificates the control plane signed, each file written whole. */
    public void store(KeyPair key, String certificatePem, String authorityPem) {
        try {
            Files.createDirectories(directory);
            Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwx------"));
            String keyPem = "-----BEGIN PRIVATE KEY-----\n"
                    + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(key.getPrivate().getEncoded())
                    + "\n-----END PRIVATE KEY-----\n";
            write(key(), keyPem);
            write(certificate(), certificatePem);
            write(authority(), authorityPem);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot store the agent's credentials in " + directory, e);
        }
    }

    private static void write(Path file, String content) throws IOException {
        Path partial = file.resolveSibling(file.getFileName() + ".partial");
        Files.writeString(partial, content);
        Files.setPosixFilePermissions(partial, PosixFilePermissions.fromString("rw-------"));
        Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}

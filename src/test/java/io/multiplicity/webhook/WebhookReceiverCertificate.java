package io.multiplicity.webhook;

import io.multiplicity.support.TestKeycloak;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A self-signed certificate for the tests' HTTPS webhook receiver (localhost, 127.0.0.1), made with
 * the JDK's keytool: the receiver's key store, and a trust store holding only that certificate,
 * which the application is configured to trust.
 */
final class WebhookReceiverCertificate {

    static final String PASSWORD = "receiver-pass";
    static final Path DIRECTORY = TestKeycloak.projectRoot().resolve("target/webhook-receiver");
    static final Path KEY_STORE = DIRECTORY.resolve("receiver.p12");
    static final Path TRUST_STORE = DIRECTORY.resolve("trust.p12");

    private WebhookReceiverCertificate() {
    }

    static synchronized void ensure() {
        if (Files.exists(TRUST_STORE)) {
            return;
        }
        try {
            Files.createDirectories(DIRECTORY);
            Files.deleteIfExists(KEY_STORE);
            Path certificate = DIRECTORY.resolve("receiver.crt");
            Files.deleteIfExists(certificate);
            String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
            run(List.of(keytool, "-genkeypair", "-keyalg", "EC", "-groupname", "secp256r1", "-alias", "receiver",
                    "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-validity", "30",
                    "-storetype", "PKCS12", "-keystore", KEY_STORE.toString(), "-storepass", PASSWORD));
            run(List.of(keytool, "-exportcert", "-alias", "receiver", "-keystore", KEY_STORE.toString(),
                    "-storepass", PASSWORD, "-file", certificate.toString()));
            Path partial = DIRECTORY.resolve("trust.p12.partial");
            Files.deleteIfExists(partial);
            run(List.of(keytool, "-importcert", "-noprompt", "-alias", "receiver", "-file", certificate.toString(),
                    "-storetype", "PKCS12", "-keystore", partial.toString(), "-storepass", PASSWORD));
            Files.move(partial, TRUST_STORE);
        } catch (IOException e) {
            throw new IllegalStateException("cannot make the receiver's certificate", e);
        }
    }

    private static void run(List<String> command) throws IOException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        try {
            if (process.waitFor() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed: " + output);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}

package io.multiplicity.host.remote;

import io.multiplicity.host.contract.AgentProtocol;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.URI;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.UUID;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;
import org.jboss.logging.Logger;

/**
 * The control plane's agent authority: a certificate authority whose key lives in the database (one
 * row, created by the first replica that needs it, so every replica signs with the same one). It
 * signs an agent's certificate request at enrolment (subject: the host id; the agent's advertised
 * address as its subject alternative name; server use only), and each replica's own client
 * certificate (subject {@link AgentProtocol#CONTROL_PLANE_NAME}; client use only). Agents trust this
 * authority and nothing else; the control plane trusts an agent only under the host id it expects.
 */
@ApplicationScoped
public class AgentAuthority {

    private static final Logger LOG = Logger.getLogger(AgentAuthority.class);
    private static final String SIGNATURE = "SHA256withECDSA";
    private static final Duration AUTHORITY_LIFETIME = Duration.ofDays(3650);
    /** How long an agent's certificate is good for; it re-enrols with a token bound to its host to renew. */
    static final Duration AGENT_LIFETIME = Duration.ofDays(365);
    private static final Duration CONTROL_PLANE_LIFETIME = Duration.ofDays(30);
    private static final SecureRandom RANDOM = new SecureRandom();

    @Inject
    EntityManager em;

    private volatile Authority authority;
    private volatile Client client;

    private record Authority(X509Certificate certificate, PrivateKey key, String certificatePem) {
    }

    private record Client(KeyPair key, X509Certificate certificate, Instant renewAfter) {
    }

    /** A certificate this authority signed for an agent: the PEM and its serial number. */
    public record Signed(String certificatePem, String serial) {
    }

    /** The authority's certificate (PEM), which agents trust. */
    public String certificatePem() {
        return authority().certificatePem();
    }

    /**
     * Signs an agent's certificate request for {@code hostId}, reachable at {@code agentUrl}; refuses
     * (IllegalArgumentException) a request that is not well formed or not signed by its own key.
     */
    public Signed signAgent(String requestPem, UUID hostId, URI agentUrl) {
        PKCS10CertificationRequest request = parseRequest(requestPem);
        try {
            if (!request.isSignatureValid(new JcaContentVerifierProviderBuilder().build(request.getSubjectPublicKeyInfo()))) {
                throw new IllegalArgumentException("the certificate request is not signed by its key");
            }
            PublicKey publicKey = new JcaPKCS10CertificationRequest(request).getPublicKey();
            GeneralName address = isAddress(agentUrl.getHost())
                    ? new GeneralName(GeneralName.iPAddress, agentUrl.getHost())
                    : new GeneralName(GeneralName.dNSName, agentUrl.getHost());
            BigInteger serial = new BigInteger(128, RANDOM);
            X509Certificate certificate = issue(new X500Name("CN=" + hostId), publicKey, serial, AGENT_LIFETIME,
                    KeyPurposeId.id_kp_serverAuth, new GeneralNames(address));
            return new Signed(pem(certificate), serial.toString(16));
        } catch (GeneralSecurityException | OperatorCreationException | PKCSException | IOException e) {
            throw new IllegalArgumentException("the certificate request cannot be signed: " + e.getMessage(), e);
        }
    }

    /**
     * A TLS context for calling the agent of {@code hostId}: this replica's client certificate, and
     * trust in an agent certificate only when this authority signed it for that very host and, with
     * {@code serial} (hex, the host's latest enrolment), when it is that certificate: one an
     * earlier enrolment of the host got is refused once a re-enrolment superseded it.
     */
    public SSLContext contextFor(UUID hostId, String serial) {
        try {
            Client current = client();
            Authority ca = authority();
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(null, null);
            char[] password = new char[0];
            keys.setKeyEntry("control-plane", current.key().getPrivate(), password,
                    new java.security.cert.Certificate[] {current.certificate(), ca.certificate()});
            KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keyManagers.init(keys, password);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keyManagers.getKeyManagers(), new TrustManager[] {new AgentTrust(ca.certificate(), hostId, serial)},
                    RANDOM);
            return context;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot set up TLS to the agent of host " + hostId, e);
        }
    }

    /** Whether this replica's client certificate is due for renewal (the drivers built with it are rebuilt). */
    boolean clientCertificateExpiring() {
        Client current = client;
        return current == null || Instant.now().isAfter(current.renewAfter());
    }

    private Client client() throws GeneralSecurityException {
        Client current = client;
        if (current == null || Instant.now().isAfter(current.renewAfter())) {
            synchronized (this) {
                current = client;
                if (current == null || Instant.now().isAfter(current.renewAfter())) {
                    KeyPair key = newKey();
                    try {
                        X509Certificate certificate = issue(new X500Name("CN=" + AgentProtocol.CONTROL_PLANE_NAME),
                                key.getPublic(), new BigInteger(128, RANDOM), CONTROL_PLANE_LIFETIME,
                                KeyPurposeId.id_kp_clientAuth, null);
                        current = new Client(key, certificate, Instant.now().plus(CONTROL_PLANE_LIFETIME.dividedBy(2)));
                    } catch (OperatorCreationException | IOException e) {
                        throw new GeneralSecurityException(e);
                    }
                    client = current;
                }
            }
        }
        return current;
    }

    private X509Certificate issue(X500Name subject, PublicKey publicKey, BigInteger serial, Duration lifetime,
                                  KeyPurposeId purpose, GeneralNames alternativeNames)
            throws GeneralSecurityException, OperatorCreationException, IOException {
        Authority ca = authority();
        Instant now = Instant.now();
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(ca.certificate(), serial,
                Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(lifetime)), subject, publicKey);
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
        builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose));
        if (alternativeNames != null) {
            builder.addExtension(Extension.subjectAlternativeName, false, alternativeNames);
        }
        ContentSigner signer = new JcaContentSignerBuilder(SIGNATURE).build(ca.key());
        return new JcaX509CertificateConverter().getCertificate(builder.build(signer));
    }

    private Authority authority() {
        Authority current = authority;
        if (current == null) {
            synchronized (this) {
                current = authority;
                if (current == null) {
                    current = loadOrCreate();
                    authority = current;
                }
            }
        }
        return current;
    }

    /** Reads the authority's row; the first replica creates it (a concurrent one loses the insert and reads). */
    private Authority loadOrCreate() {
        List<?> rows = QuarkusTransaction.requiringNew().call(() -> em.createNativeQuery(
                "select certificate, private_key from agent_authority where id = 1").getResultList());
        if (rows.isEmpty()) {
            try {
                KeyPair key = newKey();
                X500Name name = new X500Name("CN=Multiplicity agent authority " + UUID.randomUUID());
                Instant now = Instant.now();
                X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, new BigInteger(128, RANDOM),
                        Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(AUTHORITY_LIFETIME)), name,
                        key.getPublic());
                builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
                builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
                X509Certificate certificate = new JcaX509CertificateConverter().getCertificate(
                        builder.build(new JcaContentSignerBuilder(SIGNATURE).build(key.getPrivate())));
                String certificatePem = pem(certificate);
                String keyPem = Base64.getEncoder().encodeToString(key.getPrivate().getEncoded());
                int inserted = QuarkusTransaction.requiringNew().call(() -> em.createNativeQuery(
                                "insert into agent_authority (id, certificate, private_key) values (1, ?1, ?2)"
                                        + " on conflict (id) do nothing")
                        .setParameter(1, certificatePem).setParameter(2, keyPem).executeUpdate());
                if (inserted == 1) {
                    LOG.infof("created the agent authority %s", name);
                }
            } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
                throw new IllegalStateException("cannot create the agent authority", e);
            }
            rows = QuarkusTransaction.requiringNew().call(() -> em.createNativeQuery(
                    "select certificate, private_key from agent_authority where id = 1").getResultList());
        }
        Object[] row = (Object[]) rows.get(0);
        try {
            X509Certificate certificate = parseCertificate((String) row[0]);
            PrivateKey key = KeyFactory.getInstance("EC").generatePrivate(
                    new PKCS8EncodedKeySpec(Base64.getDecoder().decode((String) row[1])));
            return new Authority(certificate, key, (String) row[0]);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the agent authority in the database cannot be read", e);
        }
    }

    static X509Certificate parseCertificate(String pem) {
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            Object object = parser.readObject();
            if (!(object instanceof X509CertificateHolder holder)) {
                throw new IllegalArgumentException("not a certificate");
            }
            return new JcaX509CertificateConverter().getCertificate(holder);
        } catch (IOException | CertificateException e) {
            throw new IllegalArgumentException("not a certificate: " + e.getMessage(), e);
        }
    }

    private static PKCS10CertificationRequest parseRequest(String pem) {
        if (pem == null || pem.length() > 16_384) {
            throw new IllegalArgumentException("the certificate request is missing or too long");
        }
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            Object object = parser.readObject();
            if (object instanceof PKCS10CertificationRequest request) {
                return request;
            }
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("the certificate request is not PEM-encoded PKCS#10", e);
        }
        throw new IllegalArgumentException("the certificate request is not PEM-encoded PKCS#10");
    }

    private static String pem(Object object) throws IOException {
        StringWriter text = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
            writer.writeObject(object);
        }
        return text.toString();
    }

    private static KeyPair newKey() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        return generator.generateKeyPair();
    }

    private static boolean isAddress(String host) {
        return host.matches("[0-9.]+") || host.contains(":");
    }

    /**
     * Trusts an agent's certificate only when the authority signed it (PKIX, the authority as the one
     * anchor), its subject names the host the control plane means to reach and, where the host's
     * latest certificate is known, it is that one.
     */
    private static final class AgentTrust implements X509TrustManager {

        private final X509TrustManager pkix;
        private final X509Certificate authority;
        private final String expectedSubject;
        private final String expectedSerial;

        AgentTrust(X509Certificate authority, UUID hostId, String serial) throws GeneralSecurityException, IOException {
            KeyStore anchors = KeyStore.getInstance("PKCS12");
            anchors.load(null, null);
            anchors.setCertificateEntry("agent-authority", authority);
            TrustManagerFactory factory = TrustManagerFactory.getInstance("PKIX");
            factory.init(anchors);
            this.pkix = (X509TrustManager) factory.getTrustManagers()[0];
            this.authority = authority;
            this.expectedSubject = "CN=" + hostId;
            this.expectedSerial = serial;
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("the control plane serves no clients here");
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            pkix.checkServerTrusted(chain, authType);
            String subject = chain[0].getSubjectX500Principal().getName();
            if (!expectedSubject.equals(subject)) {
                throw new CertificateException("the agent's certificate names " + subject + ", not " + expectedSubject);
            }
            String serial = chain[0].getSerialNumber().toString(16);
            if (expectedSerial != null && !expectedSerial.equalsIgnoreCase(serial)) {
                throw new CertificateException("the agent's certificate " + serial + " was superseded: the host"
                        + " enrolled again and got " + expectedSerial);
            }
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[] {authority};
        }
    }
}

package io.multiplicity.agent.remote;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.multiplicity.host.contract.AgentProtocol;
import io.multiplicity.host.contract.AgentProtocol.EnrolmentAnswer;
import io.multiplicity.host.contract.AgentProtocol.EnrolmentRequest;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.KeyPair;
import java.time.Duration;
import java.util.UUID;

/**
 * Enrols this host with the control plane: generates the agent's key here, sends a certificate
 * request with the one-time token an admin created, and stores what comes back (the host's identity,
 * its certificate, the control plane's agent authority). The token is spent by the first enrolment.
 */
public final class Enrolment {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Enrolment() {
    }

    /**
     * @param controlPlane the control plane's base URL (https in production: the token travels in the body)
     * @param token        the one-time enrolment token
     * @param name         the host's name
     * @param agentUrl     where this agent serves the contract ({@code https://address:port})
     * @param hostId       the identity this host keeps already, or null
     */
    public static EnrolmentAnswer enrol(URI controlPlane, String token, String name, URI agentUrl, UUID hostId,
                                        AgentCredentials credentials) throws IOException, InterruptedException {
        KeyPair key = AgentCredentials.newKey();
        EnrolmentRequest request = new EnrolmentRequest(token, AgentCredentials.certificateRequest(key, name), name,
                agentUrl.toString(), hostId);
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(controlPlane.resolve(AgentProtocol.ENROLMENT_PATH))
                        .timeout(Duration.ofSeconds(30))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(request)))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200 && response.statusCode() != 201) {
            throw new IOException("the control plane refused the enrolment (" + response.statusCode() + "): "
                    + response.body());
        }
        EnrolmentAnswer answer = JSON.readValue(response.body(), EnrolmentAnswer.class);
        credentials.store(key, answer.certificate(), answer.authority());
        return answer;
    }
}

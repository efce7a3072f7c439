package io.multiplicity.observability;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.multiplicity.common.RequestIds;
import io.multiplicity.support.Api;
import io.multiplicity.support.TestKeycloak;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import org.jboss.logmanager.ExtLogRecord;
import org.junit.jupiter.api.Test;

/**
 * With the identity provider unreachable the panel says it is not ready, and the API answers 503
 * with the JSON error body and the request's id (it answered 500 in plain text), and logs the
 * failure under that id.
 */
@QuarkusTest
@TestProfile(IdentityProviderDownProfile.class)
class IdentityProviderDownTest {

    @Test
    void readinessIsDownAndTheApiAnswers503AsJson() {
        Response ready = given().get("/q/health/ready").then().extract().response();
        assertEquals(503, ready.statusCode(), ready.asString());
        assertEquals("DOWN", ready.path("status"));
        assertEquals("DOWN", ready.path("checks.find { it.name == 'identity-provider' }.status"), ready.asString());

        List<ExtLogRecord> logged = new CopyOnWriteArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord record) {
                if (record instanceof ExtLogRecord extended) {
                    extended.copyMdc();
                    logged.add(extended);
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
        root.addHandler(capture);
        try {
            // a token the provider issued while it was up; the panel cannot check it now
            Response response = given().auth().oauth2(TestKeycloak.token("bob")).header("X-Request-Id", "idp-down-42")
                    .accept("application/json").get("/api/v1/instances").then().extract().response();
            assertEquals(503, response.statusCode(), response.asString());
            assertThat(response.contentType()).startsWith("application/json");
            assertEquals("identity_provider_unavailable", response.path("error"), response.asString());
            assertThat((String) response.path("message")).isNotBlank();
            assertEquals("idp-down-42", response.path("requestId"));
            assertEquals("idp-down-42", response.header("X-Request-Id"));
            assertThat(response.header("Retry-After")).isNotBlank();
            assertThat(logged).as("a log line of the request under its id")
                    .anyMatch(record -> "idp-down-42".equals(record.getMdc(RequestIds.MDC_KEY)));
        } finally {
            root.removeHandler(capture);
        }

        Response anonymous = Api.anonymous().get("/api/v1/instances").then().extract().response();
        assertThat(anonymous.statusCode()).isIn(401, 503);
        assertThat(anonymous.contentType()).startsWith("application/json");
        Map<String, Object> body = anonymous.as(new io.restassured.common.mapper.TypeRef<Map<String, Object>>() { });
        assertThat(body).containsKeys("error", "message", "requestId");
    }
}

package io.multiplicity.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import io.multiplicity.support.Api;
import io.multiplicity.support.RecordingHostProfile;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

/** Every answer carries the security headers; the portal's pages also a content security policy. */
@QuarkusTest
@TestProfile(RecordingHostProfile.class)
class SecurityHeadersTest {

    @Test
    void thePortalIsNeverFramedSniffedOrFedForeignScripts() {
        Response portal = given().get("/");
        assertThat(portal.header("Content-Security-Policy")).contains("frame-ancestors 'none'")
                .contains("script-src 'self'").contains("object-src 'none'");
        assertThat(portal.header("X-Content-Type-Options")).isEqualTo("nosniff");
        assertThat(portal.header("X-Frame-Options")).isEqualTo("DENY");
        assertThat(portal.header("Referrer-Policy")).isEqualTo("same-origin");
    }

    @Test
    void theApiIsNeverSniffedAndKeepsItsDocumentationUsable() {
        Response api = Api.as("bob").get("/api/v1/instance-types");
        assertThat(api.statusCode()).isEqualTo(200);
        assertThat(api.header("X-Content-Type-Options")).isEqualTo("nosniff");
        assertThat(api.header("Content-Security-Policy")).as("an API answer is no page").isNull();
        Response documentation = given().get("/q/swagger-ui/");
        assertThat(documentation.header("Content-Security-Policy")).as("Swagger UI's inline scripts run").isNull();
    }
}

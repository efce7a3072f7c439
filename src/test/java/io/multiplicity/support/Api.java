package io.multiplicity.support;

import static io.restassured.RestAssured.given;

import io.restassured.http.ContentType;
import io.restassured.specification.RequestSpecification;

/**
 * REST Assured requests as one of the demo users, with a token, or anonymous. Every answer is
 * checked against the committed OpenAPI document ({@link ContractValidation}).
 */
public final class Api {

    private Api() {
    }

    public static RequestSpecification as(String user) {
        return checked().auth().oauth2(TestKeycloak.token(user)).contentType(ContentType.JSON).accept(ContentType.JSON);
    }

    /** A request that authenticates with a panel-issued API token, as a script would. */
    public static RequestSpecification withToken(String token) {
        return checked().header("Authorization", "Bearer " + token).contentType(ContentType.JSON).accept(ContentType.JSON);
    }

    public static RequestSpecification anonymous() {
        return checked().contentType(ContentType.JSON).accept(ContentType.JSON);
    }

    /** A bare request whose answer is checked against the committed OpenAPI document. */
    public static RequestSpecification checked() {
        return given().filter(ContractValidation.AGAINST_COMMITTED_DOCUMENT);
    }
}

package io.multiplicity.support;

import io.restassured.filter.Filter;
import io.restassured.filter.FilterContext;
import io.restassured.response.Response;
import io.restassured.specification.FilterableRequestSpecification;
import io.restassured.specification.FilterableResponseSpecification;
import java.net.URI;
import java.util.List;

/**
 * A REST Assured filter that fails the test when a real answer of the API does not match the
 * committed OpenAPI document (docs/openapi.json): an undeclared status, a missing required header,
 * an undeclared media type, or a JSON body its schema refuses. Every request made through
 * {@link Api} passes it.
 */
public final class ContractValidation implements Filter {

    public static final ContractValidation AGAINST_COMMITTED_DOCUMENT = new ContractValidation();

    private ContractValidation() {
    }

    @Override
    public Response filter(FilterableRequestSpecification request, FilterableResponseSpecification expected,
                           FilterContext context) {
        Response response = context.next(request, expected);
        String path = URI.create(request.getURI()).getRawPath();
        List<String> problems = OpenApiDocument.committed().check(request.getMethod(), path, response.statusCode(),
                response.contentType(), response.asString(), response::header);
        if (!problems.isEmpty()) {
            throw new AssertionError("the answer does not match the committed OpenAPI document "
                    + OpenApiDocument.COMMITTED + ":\n  " + String.join("\n  ", problems)
                    + "\n  body: " + abbreviate(response.asString()));
        }
        return response;
    }

    private static String abbreviate(String body) {
        return body == null || body.length() <= 2000 ? body : body.substring(0, 2000) + "…";
    }
}

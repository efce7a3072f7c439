package io.multiplicity.common;

import io.quarkus.vertx.http.runtime.filters.Filters;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.UUID;
import java.util.regex.Pattern;
import org.jboss.logging.MDC;

/**
 * Every request carries an id: the caller's {@code X-Request-Id} when it is one (1 to 128 letters,
 * digits and {@code . _ : -}), else a new UUID. The id is echoed in the response, set in the
 * logging context (MDC key {@value #MDC_KEY}, so every log line of the request names it, in JSON
 * logs as its own field) and written into error bodies.
 */
@ApplicationScoped
public class RequestIds {

    public static final String HEADER = "X-Request-Id";
    public static final String MDC_KEY = "requestId";
    /** The longest id taken from a caller; a longer one is replaced. */
    public static final int MAX_LENGTH = 128;

    private static final Pattern VALID = Pattern.compile("[A-Za-z0-9._:-]{1," + MAX_LENGTH + "}");
    /** Before every other filter: CORS, security headers and authentication already see the id. */
    private static final int PRIORITY = 1_000;

    void register(@Observes Filters filters) {
        filters.register(this::assign, PRIORITY);
    }

    private void assign(RoutingContext context) {
        String id = accepted(context.request().getHeader(HEADER));
        context.put(MDC_KEY, id);
        context.response().putHeader(HEADER, id);
        MDC.put(MDC_KEY, id);
        context.next();
    }

    /** The caller's id when it is valid, else a new one. */
    static String accepted(String given) {
        return given != null && VALID.matcher(given).matches() ? given : UUID.randomUUID().toString();
    }

    /** The id of the request being served on this thread, null outside a request. */
    public static String current() {
        Object id = MDC.get(MDC_KEY);
        return id == null ? null : id.toString();
    }
}

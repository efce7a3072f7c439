package io.multiplicity.common;

import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Response;
import java.util.regex.Pattern;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Request bodies of the API are small JSON documents, except image uploads, which stream up to
 * the catalog's own limit. The HTTP server's limit is set for the uploads; this filter holds
 * every other request to {@code multiplicity.api.max-body-bytes}.
 */
public class BodyLimits {

    private static final Pattern UPLOAD = Pattern.compile("/api/v1/images/[^/]+/versions");

    @ConfigProperty(name = "multiplicity.api.max-body-bytes", defaultValue = "1048576")
    long maxBodyBytes;

    @ServerRequestFilter(preMatching = true)
    public Response limit(ContainerRequestContext request) {
        if (UPLOAD.matcher(request.getUriInfo().getPath()).matches()) {
            return null;
        }
        String length = request.getHeaderString("Content-Length");
        if (length == null) {
            // A body without a length (chunked) is cut off at the limit while it is read.
            request.setEntityStream(new Limited(request.getEntityStream(), maxBodyBytes));
            return null;
        }
        long bytes;
        try {
            bytes = Long.parseLong(length.strip());
        } catch (NumberFormatException e) {
            return ErrorMappers.error(400, "validation_failed", "Content-Length is not a number", null);
        }
        if (bytes > maxBodyBytes) {
            return ErrorMappers.error(413, "too_large", "a request body may be at most " + maxBodyBytes + " bytes", null);
        }
        return null;
    }

    /** A request body that refuses to be read past the limit. */
    private static final class Limited extends java.io.FilterInputStream {
        private final long limit;
        private long read;

        Limited(java.io.InputStream in, long limit) {
            super(in);
            this.limit = limit;
        }

        @Override
        public int read() throws java.io.IOException {
            int value = super.read();
            if (value >= 0) {
                count(1);
            }
            return value;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws java.io.IOException {
            int got = super.read(buffer, offset, length);
            if (got > 0) {
                count(got);
            }
            return got;
        }

        private void count(int bytes) {
            read += bytes;
            if (read > limit) {
                throw new ApiException(413, "too_large", "a request body may be at most " + limit + " bytes", null);
            }
        }
    }
}

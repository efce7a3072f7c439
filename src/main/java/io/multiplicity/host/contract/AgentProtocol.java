package io.multiplicity.host.contract;

import java.util.List;
import java.util.UUID;

/**
 * How {@link HostDriver} travels between the control plane and a host agent that runs as a process
 * of its own: HTTP/1.1 over mutual TLS, one {@code POST} per contract call with a JSON body (the
 * call's arguments) and a JSON answer, and a WebSocket per console stream (binary frames both ways,
 * text frames for window sizes). Both ends authenticate with certificates the control plane's agent
 * authority signs: an agent's names its host id, a control plane's {@link #CONTROL_PLANE_NAME}.
 *
 * <p>Both sides use these names and records, so the wire format is written down once.
 */
public final class AgentProtocol {

    private AgentProtocol() {
    }

    /** Path prefix of a contract call: {@code POST /v1/call/<Call>}. */
    public static final String CALL_PATH = "/v1/call/";

    /** Path prefix of a console stream: {@code /v1/console/<ConsoleKind>/<instance id>} (WebSocket). */
    public static final String CONSOLE_PATH = "/v1/console/";

    /** Path of an image import; its arguments ({@link ImageImport}) travel in {@link #IMPORT_HEADER}. */
    public static final String IMPORT_PATH = "/v1/images/import";

    /** Header holding an import's arguments as JSON, base64url-encoded. */
    public static final String IMPORT_HEADER = "Multiplicity-Import";

    /**
     * Path prefix of a moving instance's replication stream: {@code GET /v1/instances/send/<id>}
     * answers the stream of {@link HostDriver#sendInstance}; a send that fails midway breaks the
     * connection off, so the receiver never mistakes a part for the whole.
     */
    public static final String SEND_PATH = "/v1/instances/send/";

    /** Path of a moved instance's arrival: {@code PUT}, the stream as the body, the spec in {@link #RECEIVE_HEADER}. */
    public static final String RECEIVE_PATH = "/v1/instances/receive";

    /** Header holding the received instance's {@link InstanceSpec} as JSON, base64url-encoded. */
    public static final String RECEIVE_HEADER = "Multiplicity-Instance";

    /**
     * Path prefix of an image version's stream for another host:
     * {@code GET /v1/images/send/<key>/<version>?base=<n>} answers the stream of
     * {@link ImageStore#sendVersion}; a send that fails midway breaks the connection off.
     */
    public static final String IMAGE_SEND_PATH = "/v1/images/send/";

    /** Path of an image version's arrival: {@code PUT}, the stream as the body, the {@link ImageVersion} in {@link #IMAGE_RECEIVE_HEADER}. */
    public static final String IMAGE_RECEIVE_PATH = "/v1/images/receive";

    /** Header holding the arriving version's {@link ImageVersion} as JSON, base64url-encoded. */
    public static final String IMAGE_RECEIVE_HEADER = "Multiplicity-Image-Version";

    /** The subject common name of a control plane's client certificate; agents accept no other caller. */
    public static final String CONTROL_PLANE_NAME = "multiplicity-control-plane";

    /** Path of an agent's enrolment at the control plane ({@code POST}, with an {@link EnrolmentRequest}). */
    public static final String ENROLMENT_PATH = "/api/v1/host-enrolments";

    /**
     * What an agent sends to enrol: the one-time token an admin created, a PKCS#10 request (PEM) for
     * its key, its name, the URL it serves the contract at, and its identity when it has one already.
     */
    public record EnrolmentRequest(String token, String certificateRequest, String name, String url, UUID hostId) {
    }

    /** What the control plane answers: the host's identity, its certificate and the authority's (PEM). */
    public record EnrolmentAnswer(UUID hostId, String certificate, String authority) {
    }

    /** The contract's calls, one per {@link HostDriver} and {@link ImageStore} method. */
    public enum Call {
        FACTS, ENROLL, PROVISION, START, STOP, DESTROY, STATUS, LIST, RESTART, SNAPSHOT, ROLLBACK, DELETE_SNAPSHOT,
        RESIZE, USAGE, NETWORK_EGRESS, PUBLISH, IMAGE_HAS, IMAGE_DESTROY_VERSION, IMAGE_DIGEST, IMAGE_BUILT_INS,
        IMAGE_VERSIONS, IMAGE_VERSION_GUID, USAGE_OF
    }

    /** The consoles a stream opens. */
    public enum ConsoleKind {
        SERIAL, GRAPHICS
    }

    /** How an image import's file is to be read. */
    public enum ImportSource {
        ROOTFS, DISK, KERNEL
    }

    /** The arguments of calls that name one instance. */
    public record InstanceRef(UUID instanceId) {
    }

    /** The arguments of {@link Call#ENROLL}. */
    public record Enroll(UUID hostId) {
    }

    /** The arguments of {@link Call#STOP}. */
    public record Stop(UUID instanceId, long timeoutMillis) {
    }

    /** The arguments of {@link Call#RESTART}. */
    public record Restart(InstanceSpec spec, long timeoutMillis) {
    }

    /** The arguments of {@link Call#SNAPSHOT} and {@link Call#DELETE_SNAPSHOT}. */
    public record Snapshot(UUID instanceId, String name) {
    }

    /** The arguments of {@link Call#ROLLBACK}. */
    public record Rollback(InstanceSpec spec, String name) {
    }

    /** The arguments of {@link Call#NETWORK_EGRESS}. */
    public record Egress(int tenantNetwork, boolean egress) {
    }

    /** The arguments of the image calls that name one version. */
    public record ImageVersion(String key, int version) {
    }

    /** The arguments of an image import; the file is the request's body. */
    public record ImageImport(ImportSource source, String key, int version, String format, ImageStore.VmBoot boot,
            ImageStore.Limits limits) {
    }

    /** A single value answered by a call ({@link Call#IMAGE_HAS}, {@link Call#IMAGE_DIGEST}). */
    public record Value<T>(T value) {
    }

    /** The arguments of {@link Call#USAGE_OF}: the instances to read. */
    public record InstanceRefs(List<UUID> instanceIds) {
    }

    /** What {@link Call#USAGE_OF} answers: a reading per instance the host could read. */
    public record Usages(java.util.Map<UUID, InstanceUsage> readings) {
    }

    /** The list {@link Call#LIST} answers. */
    public record Statuses(List<InstanceStatus> items) {
    }

    /** The arguments of {@link Call#IMAGE_VERSIONS}. */
    public record ImageKey(String key) {
    }

    /** The list {@link Call#IMAGE_VERSIONS} answers. */
    public record Versions(List<Integer> items) {
    }

    /** The list {@link Call#IMAGE_BUILT_INS} answers. */
    public record BuiltIns(List<ImageStore.BuiltIn> items) {
    }

    /** A window size sent on a console stream (a text frame); answered with {@link Resized}. */
    public record Resize(int columns, int rows) {
    }

    /** Whether the console took a window size. */
    public record Resized(boolean resized) {
    }

    /**
     * A refused or failed call: {@code error} names the exception kind the caller raises again
     * ({@link Failure#INVALID}, {@link Failure#CONFLICT}, {@link Failure#UNSUPPORTED},
     * {@link Failure#IMAGE_REFUSED}, {@link Failure#FAILED}), {@code code} an {@link ImageRefused}'s code.
     */
    public record Failure(String error, String message, String code) {
        public static final String INVALID = "invalid";
        public static final String CONFLICT = "conflict";
        public static final String UNSUPPORTED = "unsupported";
        public static final String IMAGE_REFUSED = "image_refused";
        public static final String FAILED = "failed";
        public static final String NOT_FOUND = "not_found";
    }
}

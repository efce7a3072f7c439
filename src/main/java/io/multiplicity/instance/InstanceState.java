package io.multiplicity.instance;

/** The actual states an instance goes through, as shown to tenants. */
public final class InstanceState {

    public static final String PROVISIONING = "provisioning";
    public static final String STOPPED = "stopped";
    public static final String STARTING = "starting";
    public static final String RUNNING = "running";
    public static final String STOPPING = "stopping";
    public static final String CRASHED = "crashed";
    public static final String ERROR = "error";
    public static final String DELETING = "deleting";
    public static final String DELETED = "deleted";
    /**
     * Its host stopped reporting: the instance may well still run there. It keeps everything it
     * holds (quota, host capacity, address) until the host reports again and the reconciler reads
     * its real state.
     */
    public static final String UNKNOWN = "unknown";

    private InstanceState() {
    }
}

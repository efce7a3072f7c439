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

    private InstanceState() {
    }
}

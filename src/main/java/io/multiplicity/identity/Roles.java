package io.multiplicity.identity;

/** The four roles of the platform, as realm roles in the identity provider. */
public final class Roles {

    public static final String PLATFORM_ADMIN = "platform-admin";
    public static final String TENANT_ADMIN = "tenant-admin";
    public static final String TENANT_MEMBER = "tenant-member";
    public static final String TENANT_VIEWER = "tenant-viewer";

    private Roles() {
    }
}

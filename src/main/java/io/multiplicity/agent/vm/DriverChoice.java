package io.multiplicity.agent.vm;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Picks the hypervisor of a VM: what its image needs against what the host's hypervisors can do.
 * An admin's choice wins (per image, then per host), then the image's own; otherwise the first
 * hypervisor that can run the image, mvm before QEMU (lighter, and ours).
 */
public final class DriverChoice {

    private DriverChoice() {
    }

    /**
     * @param imageName    the image's name (for the per-image override)
     * @param image        what the image needs
     * @param hypervisors  the host's hypervisors, in order of preference
     * @param hostDriver   {@code auto} or a hypervisor forced for the host
     * @param imageDrivers hypervisors forced per image name
     */
    public static Hypervisor choose(String imageName, VmImage image, List<Hypervisor> hypervisors, String hostDriver,
            Map<String, String> imageDrivers) {
        String forced = imageDrivers.get(imageName);
        String why = "the host's configuration for image " + imageName;
        if (forced == null && image.driver() != null) {
            forced = image.driver();
            why = "image " + imageName;
        }
        if (forced == null && hostDriver != null && !"auto".equals(hostDriver)) {
            forced = hostDriver;
            why = "the host's configuration";
        }
        if (forced != null) {
            for (Hypervisor hypervisor : hypervisors) {
                if (hypervisor.name().equals(forced)) {
                    String cannot = hypervisor.cannotRun(image);
                    if (cannot != null) {
                        throw new IllegalStateException(why + " asks for " + forced + ", which cannot run it here: "
                                + cannot);
                    }
                    return hypervisor;
                }
            }
            throw new IllegalStateException(why + " asks for " + forced + ", which this host does not have");
        }
        Map<String, String> reasons = new LinkedHashMap<>();
        for (Hypervisor hypervisor : hypervisors) {
            String cannot = hypervisor.cannotRun(image);
            if (cannot == null) {
                return hypervisor;
            }
            reasons.put(hypervisor.name(), cannot);
        }
        throw new IllegalStateException("no hypervisor on this host can run image " + imageName + ": " + reasons);
    }
}

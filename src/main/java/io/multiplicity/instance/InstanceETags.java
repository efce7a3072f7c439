package io.multiplicity.instance;

import io.multiplicity.common.ApiException;
import jakarta.ws.rs.core.EntityTag;
import java.util.Arrays;
import java.util.Map;

/**
 * ETags of instances: the version of the settings a PATCH changes. Run-state changes (started,
 * stopped) leave it alone, so a script's If-Match holds while an instance merely runs.
 */
public final class InstanceETags {

    private InstanceETags() {
    }

    public static EntityTag of(Instance instance) {
        return new EntityTag("v" + instance.settingsVersion);
    }

    /**
     * Refuses with 412 when {@code ifMatch} (an If-Match header: a list of ETags, or {@code *})
     * names no current version; no header means no condition.
     */
    static void require(Instance instance, String ifMatch) {
        if (ifMatch == null || ifMatch.isBlank()) {
            return;
        }
        String current = of(instance).toString();
        boolean matches = Arrays.stream(ifMatch.split(","))
                .map(String::strip)
                .anyMatch(tag -> tag.equals("*") || tag.equals(current));
        if (!matches) {
            throw new ApiException(412, "precondition_failed", "the instance " + instance.name + " changed since "
                    + "you read it: its ETag is now " + current + ", not " + ifMatch.strip() + "; read it again",
                    Map.of("header", "If-Match", "etag", current));
        }
    }
}

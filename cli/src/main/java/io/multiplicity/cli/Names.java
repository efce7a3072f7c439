package io.multiplicity.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.UUID;

/** Resources are named on the command line by name or by id; the panel's API takes ids. */
public final class Names {

    private Names() {
    }

    /** The id of the item of {@code listPath} whose {@code field} is {@code nameOrId}, or {@code nameOrId} when it is an id. */
    public static String resolve(PanelClient api, String listPath, String field, String nameOrId, String what) {
        if (isId(nameOrId)) {
            return nameOrId;
        }
        java.util.List<String> ids = new java.util.ArrayList<>();
        for (JsonNode item : api.list(listPath)) {
            if (nameOrId.equals(item.path(field).asText())) {
                ids.add(item.path("id").asText());
            }
        }
        if (ids.isEmpty()) {
            throw new CliException(ExitCodes.NOT_FOUND, "no " + what + " named '" + nameOrId + "'");
        }
        if (ids.size() > 1) {
            throw new CliException(ExitCodes.USAGE, "several " + what + "s are named '" + nameOrId + "': give the id of one of "
                    + String.join(", ", ids));
        }
        return ids.get(0);
    }

    public static String instance(PanelClient api, String nameOrId) {
        return resolve(api, PanelClient.API + "/instances", "name", nameOrId, "instance");
    }

    public static boolean isId(String text) {
        try {
            return UUID.fromString(text).toString().equalsIgnoreCase(text);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}

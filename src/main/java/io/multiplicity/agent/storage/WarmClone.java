package io.multiplicity.agent.storage;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A clone of an image version made ahead of demand, so that provisioning an instance renames a
 * dataset into place instead of waiting for {@code zfs clone}. All that is known of it is in its
 * name, so an agent that restarts finds its clones again from the pool alone:
 * {@code <pool>/multiplicity/warm/v<version>-r<idBase>-q<diskGiB>-<image>}.
 *
 * @param dataset the clone's dataset
 * @param image   the image it is a clone of
 * @param version the image version ({@code @v<version>} snapshot) it is a clone of
 * @param idBase  the first host id of the user-namespace range its files are shifted into, -1 when
 *                they stay owned as in the image (jails without a user namespace)
 * @param diskGiB the quota it was made with
 */
public record WarmClone(String dataset, String image, int version, int idBase, int diskGiB) {

    private static final String HOST_IDS = "host";
    private static final Pattern NAME = Pattern.compile("v(\\d{1,9})-r(\\d{1,10}|" + HOST_IDS + ")-q(\\d{1,6})-(.+)");

    static String name(String image, int version, int idBase, int diskGiB) {
        return "v" + version + "-r" + (idBase < 0 ? HOST_IDS : Integer.toString(idBase)) + "-q" + diskGiB + "-" + image;
    }

    /** The clone a dataset below {@code parent} names, empty for the parent itself or a name not of this shape. */
    static Optional<WarmClone> parse(String parent, String dataset) {
        if (!dataset.startsWith(parent + "/")) {
            return Optional.empty();
        }
        Matcher matcher = NAME.matcher(dataset.substring(parent.length() + 1));
        if (!matcher.matches()) {
            return Optional.empty();
        }
        long idBase = matcher.group(2).equals(HOST_IDS) ? -1 : Long.parseLong(matcher.group(2));
        if (idBase > Integer.MAX_VALUE) {
            return Optional.empty();
        }
        return Optional.of(new WarmClone(dataset, matcher.group(4), Integer.parseInt(matcher.group(1)), (int) idBase,
                Integer.parseInt(matcher.group(3))));
    }
}

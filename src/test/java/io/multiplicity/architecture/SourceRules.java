package io.multiplicity.architecture;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/** The host seam's rules as text: which source files may not name what, line by line. */
final class SourceRules {

    /**
     * One rule.
     *
     * @param applies   which files (paths below src/main/java, with forward slashes) it holds for
     * @param forbidden what such a file may not name
     * @param why       what the rule keeps
     */
    private record Rule(Predicate<String> applies, Pattern forbidden, String why) {
    }

    private static final String BASE = "io/multiplicity/";

    private static final List<Rule> RULES = List.of(
            new Rule(path -> path.startsWith(BASE + "agent/"),
                    Pattern.compile("io\\.multiplicity\\.(?!agent\\b|host\\.contract\\b)[a-z]+"),
                    "the agent knows nothing of the control plane but host.contract"),
            new Rule(path -> path.startsWith(BASE + "agent/") && !path.startsWith(BASE + "agent/local/"),
                    Pattern.compile("\\b(jakarta\\.enterprise|jakarta\\.inject|io\\.quarkus|io\\.smallrye\\.config)\\b"),
                    "the agent is plain Java outside agent.local"),
            new Rule(path -> path.startsWith(BASE + "host/contract/"),
                    Pattern.compile("io\\.multiplicity\\.(?!host\\.contract\\b)[a-z]+"),
                    "the contract stands alone"),
            new Rule(path -> !path.startsWith(BASE + "agent/"),
                    Pattern.compile("io\\.multiplicity\\.agent\\b"),
                    "the control plane reaches hosts through host.contract only"),
            new Rule(path -> !path.equals(BASE + "host/HostDrivers.java") && !path.equals(BASE + "host/LocalAgent.java"),
                    Pattern.compile("\\bLocalAgent\\b"),
                    "HostDrivers is the one door to every host"),
            new Rule(path -> path.startsWith(BASE + "instance/"),
                    Pattern.compile("io\\.multiplicity\\.console\\b"),
                    "a lifecycle change is an event the console observes"));

    private SourceRules() {
    }

    /** The lines of one source file that break a rule, each as {@code path:line: text (why)}. */
    static List<String> breaches(String path, String source) {
        List<String> breaches = new ArrayList<>();
        String[] lines = source.split("\n", -1);
        for (Rule rule : RULES) {
            if (!rule.applies().test(path)) {
                continue;
            }
            for (int i = 0; i < lines.length; i++) {
                if (rule.forbidden().matcher(lines[i]).find()) {
                    breaches.add(path + ":" + (i + 1) + ": " + lines[i].strip() + " (" + rule.why() + ")");
                }
            }
        }
        return breaches;
    }
}

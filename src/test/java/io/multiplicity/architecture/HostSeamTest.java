package io.multiplicity.architecture;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import io.multiplicity.agent.seam.AgentReachingIntoTheControlPlane;
import io.multiplicity.host.SeamBypass;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Keeps the host seam where the architecture puts it (see docs/architecture.md): the control plane
 * reaches hosts only through {@code HostDrivers}, the agent knows nothing of the control plane but
 * the contract, and the contract knows nothing at all. Read from the compiled classes, so a
 * fully qualified name in the code counts as much as an import.
 */
class HostSeamTest {

    /** The agent's side: plain Java, the contract its only link to the rest. */
    static final ArchRule AGENT_KNOWS_ONLY_THE_CONTRACT = noClasses()
            .that().resideInAPackage("io.multiplicity.agent..")
            .should().dependOnClassesThat(resideInAPackage("io.multiplicity..")
                    .and(not(resideInAnyPackage("io.multiplicity.agent..", "io.multiplicity.host.contract.."))))
            .because("a host agent implements host.contract and must run without the control plane");

    static final ArchRule AGENT_IS_PLAIN_JAVA = noClasses()
            .that().resideInAPackage("io.multiplicity.agent..")
            .and().resideOutsideOfPackage("io.multiplicity.agent.local..")
            .should().dependOnClassesThat(resideInAnyPackage("jakarta.enterprise..", "jakarta.inject..", "io.quarkus..",
                    "io.smallrye.config.."))
            .because("only agent.local adapts the agent to Quarkus");

    static final ArchRule CONTRACT_STANDS_ALONE = noClasses()
            .that().resideInAPackage("io.multiplicity.host.contract..")
            .should().dependOnClassesThat(resideInAPackage("io.multiplicity..")
                    .and(not(resideInAPackage("io.multiplicity.host.contract.."))))
            .because("the contract is what goes over the wire between control plane and agents");

    static final ArchRule ONLY_HOST_DRIVERS_REACH_THE_LOCAL_AGENT = noClasses()
            .that().doNotHaveFullyQualifiedName("io.multiplicity.host.HostDrivers")
            .and().doNotHaveFullyQualifiedName("io.multiplicity.host.LocalAgent")
            .should().dependOnClassesThat().haveFullyQualifiedName("io.multiplicity.host.LocalAgent")
            .because("HostDrivers is the one door to every host");

    static final ArchRule CONTROL_PLANE_NEVER_IMPORTS_THE_AGENT = noClasses()
            .that().resideInAnyPackage("io.multiplicity..")
            .and().resideOutsideOfPackage("io.multiplicity.agent..")
            .should().dependOnClassesThat().resideInAPackage("io.multiplicity.agent..")
            .because("the control plane reaches hosts through host.contract only (no host -> agent, catalog -> agent)");

    static final ArchRule INSTANCES_DO_NOT_CALL_THE_CONSOLE = noClasses()
            .that().resideInAPackage("io.multiplicity.instance..")
            .should().dependOnClassesThat().resideInAPackage("io.multiplicity.console..")
            .because("a lifecycle change is an event the console observes (console -> instance, never back)");

    static final ArchRule[] RULES = {AGENT_KNOWS_ONLY_THE_CONTRACT, AGENT_IS_PLAIN_JAVA, CONTRACT_STANDS_ALONE,
            ONLY_HOST_DRIVERS_REACH_THE_LOCAL_AGENT, CONTROL_PLANE_NEVER_IMPORTS_THE_AGENT, INSTANCES_DO_NOT_CALL_THE_CONSOLE};

    private static JavaClasses application;

    @BeforeAll
    static void importTheApplication() {
        application = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.multiplicity");
    }

    @Test
    void theApplicationIsImportedWhole() {
        assertThat(application.contain("io.multiplicity.agent.Agent")).isTrue();
        assertThat(application.contain("io.multiplicity.host.HostDrivers")).isTrue();
        assertThat(application.contain("io.multiplicity.host.LocalAgent")).isTrue();
    }

    @Test
    void theAgentKnowsNothingOfTheControlPlaneButTheContract() {
        AGENT_KNOWS_ONLY_THE_CONTRACT.check(application);
    }

    @Test
    void theAgentIsPlainJavaOutsideItsQuarkusAdapter() {
        AGENT_IS_PLAIN_JAVA.check(application);
    }

    @Test
    void theContractStandsAlone() {
        CONTRACT_STANDS_ALONE.check(application);
    }

    @Test
    void onlyHostDriversReachTheLocalAgent() {
        ONLY_HOST_DRIVERS_REACH_THE_LOCAL_AGENT.check(application);
    }

    @Test
    void theControlPlaneNeverImportsTheAgent() {
        CONTROL_PLANE_NEVER_IMPORTS_THE_AGENT.check(application);
    }

    @Test
    void theInstanceLifecycleDoesNotCallTheConsole() {
        INSTANCES_DO_NOT_CALL_THE_CONSOLE.check(application);
    }

    /**
     * The same rules over the source files, so that what leaves no trace in a class file (an unused
     * import, a constant the compiler inlines, a name in a comment) cannot slip through either.
     */
    @Test
    void theSourcesKeepTheSeamToo() throws IOException {
        Path root = Path.of("src", "main", "java");
        List<String> breaches = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file : files.filter(path -> path.toString().endsWith(".java")).sorted().toList()) {
                breaches.addAll(SourceRules.breaches(root.relativize(file).toString().replace('\\', '/'),
                        Files.readString(file)));
            }
        }
        assertThat(breaches).as("source lines that break the host seam").isEmpty();
    }

    @Test
    void theSourceRulesFailOnLinesThatBreakTheSeam() {
        assertThat(SourceRules.breaches("io/multiplicity/agent/jail/JailDriver.java",
                "import io.multiplicity.instance.InstanceState;\n")).hasSize(1);
        assertThat(SourceRules.breaches("io/multiplicity/agent/vm/VmDriver.java",
                "import jakarta.inject.Inject;\n")).hasSize(1);
        assertThat(SourceRules.breaches("io/multiplicity/agent/local/LocalAgentProducer.java",
                "import jakarta.inject.Inject;\nimport io.multiplicity.host.contract.HostDriver;\n")).isEmpty();
        assertThat(SourceRules.breaches("io/multiplicity/host/contract/HostDriver.java",
                "import io.multiplicity.host.Host;\n")).hasSize(1);
        assertThat(SourceRules.breaches("io/multiplicity/console/SerialBroker.java",
                "    LocalAgent agent;\n")).hasSize(1);
        assertThat(SourceRules.breaches("io/multiplicity/host/HostDrivers.java", "    LocalAgent localAgent;\n")).isEmpty();
        assertThat(SourceRules.breaches("io/multiplicity/catalog/ImageImports.java",
                "import io.multiplicity.agent.image.ImageArchive;\n")).hasSize(1);
        assertThat(SourceRules.breaches("io/multiplicity/instance/Reconciler.java",
                "    io.multiplicity.console.SerialBroker consoles;\n")).hasSize(1);
    }

    /** The rules catch what they are there for: two test classes that break the seam on purpose. */
    @Test
    void theRulesFailOnAClassThatBreaksTheSeam() {
        JavaClasses breaches = new ClassFileImporter().importClasses(AgentReachingIntoTheControlPlane.class,
                SeamBypass.class);
        EvaluationResult agent = AGENT_KNOWS_ONLY_THE_CONTRACT.evaluate(breaches);
        assertThat(agent.hasViolation()).isTrue();
        assertThat(agent.getFailureReport().getDetails()).anySatisfy(line -> assertThat(line)
                .contains("AgentReachingIntoTheControlPlane").contains("io.multiplicity.instance.Instance"));
        EvaluationResult door = ONLY_HOST_DRIVERS_REACH_THE_LOCAL_AGENT.evaluate(breaches);
        assertThat(door.hasViolation()).isTrue();
        assertThat(door.getFailureReport().getDetails()).anySatisfy(line -> assertThat(line)
                .contains("SeamBypass").contains("io.multiplicity.host.LocalAgent"));
    }
}

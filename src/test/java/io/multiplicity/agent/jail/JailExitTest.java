package io.multiplicity.agent.jail;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.multiplicity.agent.support.Command;
import io.multiplicity.host.contract.InstanceSpec;
import io.multiplicity.host.contract.InstanceStatus;
import io.multiplicity.host.contract.InstanceStatus.State;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The host tells how a jail's init ended: powered off from inside (the jail stopped itself), asked
 * for a reboot, or killed (a crash). The control plane's restart policy acts on it.
 */
class JailExitTest {

    static JailHost host;
    static JailDriver driver;
    static final List<InstanceSpec> jails = new ArrayList<>();

    @BeforeAll
    static void start() {
        String missing = JailHost.unavailableReason();
        if (missing != null) {
            System.err.println("SKIPPED JailExitTest: " + missing);
        }
        Assumptions.assumeTrue(missing == null, missing);
        host = new JailHost("exit", 128);
        driver = host.start();
    }

    @AfterAll
    static void tearDown() {
        if (driver != null) {
            for (InstanceSpec jail : jails) {
                driver.destroy(jail.id());
            }
        }
        if (host != null) {
            host.close();
        }
    }

    private static InstanceSpec running(String name) {
        InstanceSpec spec = host.jail(name, UUID.randomUUID(), 51, 10 + jails.size(), 64, 1);
        jails.add(spec);
        assertEquals(State.RUNNING, driver.start(spec).state());
        return spec;
    }

    private static InstanceStatus settled(InstanceSpec jail) throws InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(20));
        InstanceStatus status = driver.status(jail.id());
        while (status.state() == State.RUNNING && Instant.now().isBefore(deadline)) {
            Thread.sleep(100);
            status = driver.status(jail.id());
        }
        return status;
    }

    @Test
    void aJailPoweredOffFromInsideHasStopped() throws InterruptedException {
        InstanceSpec jail = running("off");
        driver.exec(jail.id(), "poweroff");
        InstanceStatus status = settled(jail);
        assertEquals(State.STOPPED, status.state(), status.detail());
        assertEquals("powered off from inside", status.detail());
        assertEquals(State.RUNNING, driver.start(jail).state(), "and starts again when asked");
    }

    @Test
    void aJailThatAsksForARebootOrIsKilledIsDown() throws InterruptedException {
        InstanceSpec reboot = running("again");
        driver.exec(reboot.id(), "reboot");
        InstanceStatus rebooted = settled(reboot);
        assertEquals(State.CRASHED, rebooted.state(), rebooted.detail());
        assertEquals("its init asked for a reboot", rebooted.detail());

        InstanceSpec killed = running("killed");
        Command.run("kill", "-9", Long.toString(driver.status(killed.id()).pid())).check();
        InstanceStatus crashed = settled(killed);
        assertEquals(State.CRASHED, crashed.state(), crashed.detail());
        assertEquals("its init was killed by signal 9", crashed.detail());
    }
}

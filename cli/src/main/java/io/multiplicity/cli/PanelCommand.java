package io.multiplicity.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** A command that talks to the panel: the session, printer and progress line of the invocation. */
public abstract class PanelCommand implements Callable<Integer> {

    @Spec
    protected CommandSpec spec;

    protected Multiplicity root() {
        return (Multiplicity) spec.root().userObject();
    }

    protected Session session() {
        return root().session();
    }

    protected PanelClient api() {
        return session().api();
    }

    protected Printer printer() {
        return root().printer();
    }

    protected Progress progress() {
        return root().progress();
    }

    @Override
    public Integer call() throws Exception {
        run();
        return ExitCodes.OK;
    }

    protected abstract void run() throws Exception;
}

package io.multiplicity.cli;

import picocli.CommandLine.Command;

@Command(name = "whoami", description = "Who the panel takes you for: user name, tenant and roles.")
public class WhoamiCommand extends PanelCommand {

    @Override
    protected void run() {
        printer().object(api().get(PanelClient.API + "/me"));
    }
}

package io.multiplicity.cli;

import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "completion", description = {"Print the shell completion script (bash; zsh loads it too with bashcompinit).",
        "  source <(multiplicity completion bash)"})
public class CompletionCommand extends PanelCommand {

    @Parameters(paramLabel = "SHELL", defaultValue = "bash", description = "bash (default).") String shell;

    @Override
    protected void run() {
        if (!"bash".equals(shell) && !"zsh".equals(shell)) {
            throw new CliException(ExitCodes.USAGE, "completion is generated for bash (and zsh through bashcompinit), not " + shell);
        }
        root().out().print(AutoComplete.bash("multiplicity", spec.root().commandLine()));
        root().out().flush();
    }
}

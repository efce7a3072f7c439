package io.multiplicity.cli;

/** How results are printed: a table for people, JSON or YAML for scripts. */
public enum OutputFormat {
    table, json, yaml
}

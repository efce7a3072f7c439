package io.multiplicity.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Prints results: a list as a table of chosen columns and one object as "field: value" lines for
 * people; with {@code --output json|yaml}, the panel's JSON as it came (the whole of it, not only
 * the columns), for scripts.
 */
public final class Printer {

    /** A table column: its header and the field of each item it shows (a dotted path for nested ones). */
    public record Column(String header, String field) {
    }

    private final OutputFormat format;
    private final PrintStream out;
    private final ObjectMapper json;
    private final YAMLMapper yaml = YAMLMapper.builder().disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER).build();

    public Printer(OutputFormat format, PrintStream out, ObjectMapper json) {
        this.format = format;
        this.out = out;
        this.json = json;
    }

    public ObjectMapper json() {
        return json;
    }

    public PrintStream out() {
        return out;
    }

    public OutputFormat format() {
        return format;
    }

    public void list(JsonNode items, List<Column> columns) {
        if (format != OutputFormat.table) {
            raw(items);
            return;
        }
        List<String[]> rows = new ArrayList<>();
        rows.add(columns.stream().map(Column::header).toArray(String[]::new));
        for (JsonNode item : items) {
            rows.add(columns.stream().map(column -> text(item, column.field())).toArray(String[]::new));
        }
        int[] widths = new int[columns.size()];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                line.append(i + 1 < row.length ? String.format("%-" + widths[i] + "s  ", row[i]) : row[i]);
            }
            out.println(line.toString().stripTrailing());
        }
    }

    /** One object: its fields, one a line (nested objects and lists as compact JSON). */
    public void object(JsonNode object) {
        if (format != OutputFormat.table) {
            raw(object);
            return;
        }
        int width = 0;
        for (var names = object.fieldNames(); names.hasNext(); ) {
            width = Math.max(width, names.next().length());
        }
        int padding = width + 1;
        object.fields().forEachRemaining(field -> out.printf("%-" + padding + "s %s%n", field.getKey() + ":",
                text(field.getValue())));
    }

    /** A one-line message for people; scripts asking for JSON or YAML get {@code object} instead. */
    public void message(String text, JsonNode object) {
        if (format == OutputFormat.table) {
            out.println(text);
        } else {
            raw(object);
        }
    }

    public void raw(JsonNode node) {
        try {
            if (format == OutputFormat.yaml) {
                out.print(yaml.writeValueAsString(node));
            } else {
                out.println(json.writerWithDefaultPrettyPrinter().writeValueAsString(node));
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static String text(JsonNode item, String field) {
        JsonNode value = item;
        for (String part : field.split("\\.")) {
            value = value == null ? null : value.get(part);
        }
        return text(value);
    }

    static String text(JsonNode value) {
        if (value == null || value.isNull() || value.isMissingNode()) {
            return "-";
        }
        if (value.isArray() && value.size() > 0 && value.get(0).isValueNode()) {
            List<String> parts = new ArrayList<>();
            value.forEach(element -> parts.add(element.asText()));
            return String.join(",", parts);
        }
        return value.isContainerNode() ? value.toString() : value.asText();
    }
}

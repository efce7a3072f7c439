package io.multiplicity.accounting;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;

/**
 * The FOCUS metadata of the export (the specification's Schema and Data Generator metadata): the
 * version it conforms to and the type of each column.
 */
public record FocusMetadata(@JsonProperty("DataGenerator") String dataGenerator,
                            @JsonProperty("SchemaId") String schemaId,
                            @JsonProperty("FocusVersion") String focusVersion,
                            @JsonProperty("CreationDate") String creationDate,
                            @JsonProperty("ColumnDefinition") List<Column> columns) {

    /** Changes whenever the export's columns change. */
    public static final String SCHEMA_ID = "multiplicity-focus-1.1-2026-12";

    public record Column(@JsonProperty("ColumnName") String name, @JsonProperty("DataType") String dataType,
                         @JsonProperty("FeatureLevel") String featureLevel) {
    }

    public static FocusMetadata current() {
        return new FocusMetadata("Multiplicity", SCHEMA_ID, FocusColumn.FOCUS_VERSION,
                BillingExports.FOCUS_TIME.format(Instant.parse("2026-12-07T00:00:00Z")),
                Arrays.stream(FocusColumn.values()).map(column -> new Column(column.columnId(),
                        column.dataType().name(), column.level().name())).toList());
    }
}

package io.multiplicity.accounting;

import io.multiplicity.common.ApiException;
import io.multiplicity.identity.Roles;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/api/v1")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "billing")
public class BillingResource {

    static final String CSV = "text/csv";
    /** The response header that names the FOCUS version an export conforms to. */
    static final String FOCUS_VERSION_HEADER = "X-FOCUS-Version";
    private static final String TOO_MANY_REPORTS = "Too many reports at once; retry after Retry-After seconds";

    @Inject
    BillingService service;

    @Inject
    BillingExports exports;

    @GET
    @Path("/usage")
    @RolesAllowed({Roles.TENANT_ADMIN, Roles.TENANT_MEMBER, Roles.TENANT_VIEWER})
    @Operation(operationId = "getUsage",
            summary = "The tenant's usage and cost per instance and resource over any range (at most 400 days)")
    public BillingReport usage(@QueryParam("from") String from, @QueryParam("to") String to) {
        return service.usage(BillingPeriod.parseRange(from, to));
    }

    @GET
    @Path("/billing")
    @Produces({MediaType.APPLICATION_JSON, CSV})
    @RolesAllowed({Roles.TENANT_ADMIN, Roles.TENANT_MEMBER, Roles.TENANT_VIEWER})
    @Operation(operationId = "getBill",
            summary = "The tenant's bill for a month (YYYY-MM, UTC) with a line per instance and resource, as"
            + " JSON, CSV or FinOps FOCUS 1.1 CSV (format=json|csv|focus)")
    @APIResponse(responseCode = "200", description = "The bill: JSON, or a CSV download (format=csv|focus)",
            content = {@Content(mediaType = MediaType.APPLICATION_JSON,
                    schema = @Schema(implementation = BillingReport.class)),
                    @Content(mediaType = CSV, schema = @Schema(type = SchemaType.STRING))})
    @APIResponse(responseCode = "429", description = TOO_MANY_REPORTS)
    public Response mine(@QueryParam("period") String period, @QueryParam("format") String format) {
        String chosen = format(format);
        return render(service.mine(BillingPeriod.parseMonth(period)), chosen);
    }

    @GET
    @Path("/billing/focus-metadata")
    @RolesAllowed({Roles.TENANT_ADMIN, Roles.TENANT_MEMBER, Roles.TENANT_VIEWER, Roles.PLATFORM_ADMIN})
    @Operation(operationId = "getFocusMetadata",
            summary = "The FOCUS metadata of the FOCUS exports: the version they conform to and their columns")
    public FocusMetadata focusMetadata() {
        return FocusMetadata.current();
    }

    @GET
    @Path("/admin/usage/{tenant}")
    @RolesAllowed(Roles.PLATFORM_ADMIN)
    @Operation(operationId = "getTenantUsage",
            summary = "A tenant's usage and cost per instance and resource over any range (at most 400 days)")
    public BillingReport tenantUsage(@PathParam("tenant") UUID tenant, @QueryParam("from") String from,
                                     @QueryParam("to") String to) {
        return service.tenantUsage(tenant, BillingPeriod.parseRange(from, to));
    }

    @GET
    @Path("/admin/billing")
    @Produces({MediaType.APPLICATION_JSON, CSV})
    @RolesAllowed(Roles.PLATFORM_ADMIN)
    @Operation(operationId = "getBillingSummary",
            summary = "Every tenant's bill for a month: JSON without line items and totals per currency, or every"
            + " tenant's line items as CSV or FinOps FOCUS CSV (format=json|csv|focus)")
    @APIResponse(responseCode = "200", description = "The bill: JSON, or a CSV download (format=csv|focus)",
            content = {@Content(mediaType = MediaType.APPLICATION_JSON,
                    schema = @Schema(implementation = BillingSummary.class)),
                    @Content(mediaType = CSV, schema = @Schema(type = SchemaType.STRING))})
    @APIResponse(responseCode = "429", description = TOO_MANY_REPORTS)
    public Response summary(@QueryParam("period") String period, @QueryParam("format") String format) {
        String chosen = format(format);
        BillingPeriod month = BillingPeriod.parseMonth(period);
        return switch (chosen) {
            case "csv" -> download(exports.csv(service.everyTenant(month)), "billing-" + month.label() + ".csv");
            case "focus" -> focusDownload(exports.focus(service.everyTenant(month)),
                    "billing-" + month.label() + "-focus.csv");
            default -> Response.ok(service.summary(month), MediaType.APPLICATION_JSON_TYPE).build();
        };
    }

    @GET
    @Path("/admin/billing/{tenant}")
    @Produces({MediaType.APPLICATION_JSON, CSV})
    @RolesAllowed(Roles.PLATFORM_ADMIN)
    @Operation(operationId = "getTenantBill",
            summary = "A tenant's bill for a month as JSON, CSV or FinOps FOCUS CSV (format=json|csv|focus)")
    @APIResponse(responseCode = "200", description = "The bill: JSON, or a CSV download (format=csv|focus)",
            content = {@Content(mediaType = MediaType.APPLICATION_JSON,
                    schema = @Schema(implementation = BillingReport.class)),
                    @Content(mediaType = CSV, schema = @Schema(type = SchemaType.STRING))})
    @APIResponse(responseCode = "429", description = TOO_MANY_REPORTS)
    public Response tenant(@PathParam("tenant") UUID tenant, @QueryParam("period") String period,
                           @QueryParam("format") String format) {
        String chosen = format(format);
        return render(service.tenant(tenant, BillingPeriod.parseMonth(period)), chosen);
    }

    private Response render(BillingReport report, String format) {
        return switch (format) {
            case "csv" -> download(exports.csv(List.of(report)), fileName(report, ""));
            case "focus" -> focusDownload(exports.focus(List.of(report)), fileName(report, "-focus"));
            default -> Response.ok(report, MediaType.APPLICATION_JSON_TYPE).build();
        };
    }

    private static String format(String format) {
        String chosen = format == null ? "json" : format;
        if (!chosen.equals("json") && !chosen.equals("csv") && !chosen.equals("focus")) {
            throw ApiException.badRequest("invalid_format", "format must be json, csv or focus, not '" + format + "'",
                    Map.of("field", "format"));
        }
        return chosen;
    }

    private static String fileName(BillingReport report, String suffix) {
        return "billing-" + report.tenant() + "-" + report.period() + suffix + ".csv";
    }

    private static Response focusDownload(String body, String fileName) {
        return Response.fromResponse(download(body, fileName))
                .header(FOCUS_VERSION_HEADER, FocusColumn.FOCUS_VERSION).build();
    }

    private static Response download(String body, String fileName) {
        return Response.ok(body, CSV + "; charset=utf-8")
                .header("Content-Disposition", "attachment; filename=\"" + fileName + "\"")
                .build();
    }
}

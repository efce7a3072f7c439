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
import java.util.Map;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/api/v1")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "billing")
public class BillingResource {

    static final String CSV = "text/csv";

    @Inject
    BillingService service;

    @GET
    @Path("/usage")
    @RolesAllowed({Roles.TENANT_ADMIN, Roles.TENANT_MEMBER, Roles.TENANT_VIEWER})
    @Operation(summary = "The tenant's usage and cost per instance and resource over any range (at most 400 days)")
    public BillingReport usage(@QueryParam("from") String from, @QueryParam("to") String to) {
        return service.usage(BillingPeriod.parseRange(from, to));
    }

    @GET
    @Path("/billing")
    @RolesAllowed({Roles.TENANT_ADMIN, Roles.TENANT_MEMBER, Roles.TENANT_VIEWER})
    @Operation(summary = "The tenant's bill for a month (YYYY-MM, UTC) with a line per instance and resource")
    public BillingReport mine(@QueryParam("period") String period) {
        return service.mine(BillingPeriod.parseMonth(period));
    }

    @GET
    @Path("/admin/usage/{tenant}")
    @RolesAllowed(Roles.PLATFORM_ADMIN)
    @Operation(summary = "A tenant's usage and cost per instance and resource over any range (at most 400 days)")
    public BillingReport tenantUsage(@PathParam("tenant") UUID tenant, @QueryParam("from") String from,
                                     @QueryParam("to") String to) {
        return service.tenantUsage(tenant, BillingPeriod.parseRange(from, to));
    }

    @GET
    @Path("/admin/billing")
    @RolesAllowed(Roles.PLATFORM_ADMIN)
    @Operation(summary = "Every tenant's bill for a month, without line items, and totals per currency")
    public BillingSummary summary(@QueryParam("period") String period) {
        return service.summary(BillingPeriod.parseMonth(period));
    }

    @GET
    @Path("/admin/billing/{tenant}")
    @Produces({MediaType.APPLICATION_JSON, CSV})
    @RolesAllowed(Roles.PLATFORM_ADMIN)
    @Operation(summary = "A tenant's bill for a month as JSON, CSV or FinOps FOCUS CSV (format=json|csv|focus)")
    public Response tenant(@PathParam("tenant") UUID tenant, @QueryParam("period") String period,
                           @QueryParam("format") String format) {
        String chosen = format == null ? "json" : format;
        if (!chosen.equals("json") && !chosen.equals("csv") && !chosen.equals("focus")) {
            throw ApiException.badRequest("invalid_format", "format must be json, csv or focus, not '" + format + "'",
                    Map.of("field", "format"));
        }
        BillingReport report = service.tenant(tenant, BillingPeriod.parseMonth(period));
        return switch (chosen) {
            case "csv" -> download(BillingExports.csv(report), report, "");
            case "focus" -> download(BillingExports.focus(report), report, "-focus");
            default -> Response.ok(report, MediaType.APPLICATION_JSON_TYPE).build();
        };
    }

    private static Response download(String body, BillingReport report, String suffix) {
        String name = "billing-" + report.tenant() + "-" + report.period() + suffix + ".csv";
        return Response.ok(body, CSV + "; charset=utf-8")
                .header("Content-Disposition", "attachment; filename=\"" + name + "\"")
                .build();
    }
}

package io.multiplicity.accounting;

/**
 * The columns of the FOCUS export, in their order, with what the FinOps Open Cost and Usage
 * Specification 1.1 says of each: its data type and its feature level. Every Mandatory column of
 * 1.1 is here; of the Conditional ones, those whose condition the panel meets (it measures usage,
 * bills provisioned resources, publishes a price list per plan, has tenants as sub accounts).
 * Regions, availability zones, commitment discounts, capacity reservations and tags are not
 * concepts of the panel, so their columns are absent, as the specification allows.
 */
public enum FocusColumn {
    BILLED_COST("BilledCost", DataType.DECIMAL, Level.MANDATORY),
    BILLING_ACCOUNT_ID("BillingAccountId", DataType.STRING, Level.MANDATORY),
    BILLING_ACCOUNT_NAME("BillingAccountName", DataType.STRING, Level.MANDATORY),
    BILLING_CURRENCY("BillingCurrency", DataType.STRING, Level.MANDATORY),
    BILLING_PERIOD_END("BillingPeriodEnd", DataType.DATETIME, Level.MANDATORY),
    BILLING_PERIOD_START("BillingPeriodStart", DataType.DATETIME, Level.MANDATORY),
    CHARGE_CATEGORY("ChargeCategory", DataType.STRING, Level.MANDATORY),
    CHARGE_CLASS("ChargeClass", DataType.STRING, Level.MANDATORY),
    CHARGE_DESCRIPTION("ChargeDescription", DataType.STRING, Level.MANDATORY),
    CHARGE_FREQUENCY("ChargeFrequency", DataType.STRING, Level.RECOMMENDED),
    CHARGE_PERIOD_END("ChargePeriodEnd", DataType.DATETIME, Level.MANDATORY),
    CHARGE_PERIOD_START("ChargePeriodStart", DataType.DATETIME, Level.MANDATORY),
    CONSUMED_QUANTITY("ConsumedQuantity", DataType.DECIMAL, Level.CONDITIONAL),
    CONSUMED_UNIT("ConsumedUnit", DataType.STRING, Level.CONDITIONAL),
    CONTRACTED_COST("ContractedCost", DataType.DECIMAL, Level.MANDATORY),
    CONTRACTED_UNIT_PRICE("ContractedUnitPrice", DataType.DECIMAL, Level.CONDITIONAL),
    EFFECTIVE_COST("EffectiveCost", DataType.DECIMAL, Level.MANDATORY),
    INVOICE_ISSUER_NAME("InvoiceIssuerName", DataType.STRING, Level.MANDATORY),
    LIST_COST("ListCost", DataType.DECIMAL, Level.MANDATORY),
    LIST_UNIT_PRICE("ListUnitPrice", DataType.DECIMAL, Level.CONDITIONAL),
    PRICING_QUANTITY("PricingQuantity", DataType.DECIMAL, Level.MANDATORY),
    PRICING_UNIT("PricingUnit", DataType.STRING, Level.MANDATORY),
    PROVIDER_NAME("ProviderName", DataType.STRING, Level.MANDATORY),
    PUBLISHER_NAME("PublisherName", DataType.STRING, Level.MANDATORY),
    RESOURCE_ID("ResourceId", DataType.STRING, Level.CONDITIONAL),
    RESOURCE_NAME("ResourceName", DataType.STRING, Level.CONDITIONAL),
    RESOURCE_TYPE("ResourceType", DataType.STRING, Level.CONDITIONAL),
    SERVICE_CATEGORY("ServiceCategory", DataType.STRING, Level.MANDATORY),
    SERVICE_NAME("ServiceName", DataType.STRING, Level.MANDATORY),
    SERVICE_SUBCATEGORY("ServiceSubcategory", DataType.STRING, Level.RECOMMENDED),
    SKU_ID("SkuId", DataType.STRING, Level.CONDITIONAL),
    SKU_METER("SkuMeter", DataType.STRING, Level.CONDITIONAL),
    SKU_PRICE_DETAILS("SkuPriceDetails", DataType.JSON, Level.CONDITIONAL),
    SKU_PRICE_ID("SkuPriceId", DataType.STRING, Level.CONDITIONAL),
    SUB_ACCOUNT_ID("SubAccountId", DataType.STRING, Level.CONDITIONAL),
    SUB_ACCOUNT_NAME("SubAccountName", DataType.STRING, Level.CONDITIONAL);

    /** The version of the specification the export conforms to (its FocusVersion metadata). */
    public static final String FOCUS_VERSION = "1.1";

    /** Data types as the specification's column metadata names them. */
    public enum DataType { STRING, DECIMAL, DATETIME, JSON }

    /** Feature levels of the specification. */
    public enum Level { MANDATORY, CONDITIONAL, RECOMMENDED }

    private final String columnId;
    private final DataType dataType;
    private final Level level;

    FocusColumn(String columnId, DataType dataType, Level level) {
        this.columnId = columnId;
        this.dataType = dataType;
        this.level = level;
    }

    /** The column's identifier, its header in the CSV. */
    public String columnId() {
        return columnId;
    }

    public DataType dataType() {
        return dataType;
    }

    public Level level() {
        return level;
    }
}

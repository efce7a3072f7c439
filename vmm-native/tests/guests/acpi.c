/*
 * Walks the ACPI tables from the RSDP in the PVH start info, finds the CPUs
 * in the MADT, the PM1 registers in the FADT and the S5 sleep type in the
 * DSDT, then waits for the fixed-feature power button and enters S5.
 */
#include "guest.h"

struct hvm_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
	uint32_t memmap_entries, reserved;
};

static uint8_t sum(const uint8_t *bytes, uint32_t length)
{
	uint8_t total = 0;
	for (uint32_t i = 0; i < length; i++)
		total = (uint8_t)(total + bytes[i]);
	return total;
}

static const uint8_t *checked_table(uint64_t address, const char *signature)
{
	const uint8_t *table = (const uint8_t *)address;
	uint32_t length;
	memcpy(&length, table + 4, 4);
	if (memcmp(table, signature, 4) != 0 || sum(table, length) != 0) {
		print("table %s: ", signature);
		fail("bad signature or checksum");
	}
	return table;
}

void guest_main(const struct hvm_start_info *info);

void guest_main(const struct hvm_start_info *info)
{
	const uint8_t *rsdp = (const uint8_t *)info->rsdp_paddr;
	if (!rsdp || memcmp(rsdp, "RSD PTR ", 8) != 0 || sum(rsdp, 20) != 0 || sum(rsdp, 36) != 0)
		fail("no valid RSDP in the start info");
	uint64_t xsdt_address;
	memcpy(&xsdt_address, rsdp + 24, 8);
	const uint8_t *xsdt = checked_table(xsdt_address, "XSDT");
	uint32_t xsdt_length;
	memcpy(&xsdt_length, xsdt + 4, 4);
	const uint8_t *fadt = NULL, *madt = NULL;
	for (uint32_t offset = 36; offset + 8 <= xsdt_length; offset += 8) {
		uint64_t address;
		memcpy(&address, xsdt + offset, 8);
		const uint8_t *table = (const uint8_t *)address;
		if (memcmp(table, "FACP", 4) == 0)
			fadt = checked_table(address, "FACP");
		else if (memcmp(table, "APIC", 4) == 0)
			madt = checked_table(address, "APIC");
	}
	if (!fadt || !madt)
		fail("FADT or MADT missing");

	uint32_t madt_length, cpus = 0;
	memcpy(&madt_length, madt + 4, 4);
	for (uint32_t offset = 44; offset + 2 <= madt_length; offset += madt[offset + 1]) {
		if (madt[offset + 1] == 0)
			fail("MADT entry of length 0");
		if (madt[offset] == 0 && (madt[offset + 4] & 1))
			cpus++;
	}

	uint32_t event_port, control_port;
	uint64_t dsdt_address;
	memcpy(&event_port, fadt + 56, 4);
	memcpy(&control_port, fadt + 64, 4);
	memcpy(&dsdt_address, fadt + 140, 8);
	const uint8_t *dsdt = checked_table(dsdt_address, "DSDT");
	uint32_t dsdt_length;
	memcpy(&dsdt_length, dsdt + 4, 4);
	int sleep_type = -1;
	for (uint32_t offset = 36; offset + 9 < dsdt_length; offset++)
		if (memcmp(dsdt + offset, "_S5_", 4) == 0 && dsdt[offset + 4] == 0x12) {
			const uint8_t *element = dsdt + offset + 7; /* after PackageOp, PkgLength, count */
			sleep_type = element[0] == 0x0a ? element[1] : element[0]; /* BytePrefix or Zero/One */
		}
	if (sleep_type < 0)
		fail("no _S5 in the DSDT");
	print("acpi: %u cpus in the MADT, PM1a at 0x%x/0x%x, S5 sleep type %d\n", cpus, event_port,
	      control_port, sleep_type);

	outw((uint16_t)(event_port + 2), 0x0100); /* PM1_EN.PWRBTN_EN */
	print("acpi ready\n");
	while (!(inw((uint16_t)event_port) & 0x0100)) /* PM1_STS.PWRBTN_STS */
		__asm__ volatile("pause");
	outw((uint16_t)event_port, 0x0100); /* write 1 to clear */
	print("power button pressed, entering S5\n");
	outw((uint16_t)control_port, (uint16_t)((sleep_type << 10) | (1 << 13))); /* SLP_TYP, SLP_EN */
	fail("still running after S5");
}

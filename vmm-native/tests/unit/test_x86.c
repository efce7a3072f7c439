#include <stdlib.h>
#include <string.h>

#include "acpi.h"
#include "unit.h"
#include "x86_boot.h"

static uint8_t checksum(const uint8_t *bytes, size_t length)
{
	uint8_t sum = 0;
	for (size_t i = 0; i < length; i++)
		sum = (uint8_t)(sum + bytes[i]);
	return sum;
}

void test_x86(void)
{
	/* CPUID: topology per vCPU, masks applied last. */
	struct kvm_cpuid2 *cpuid = calloc(1, sizeof(*cpuid) + 3 * sizeof(struct kvm_cpuid_entry2));
	cpuid->nent = 3;
	cpuid->entries[0] = (struct kvm_cpuid_entry2){ .function = 1, .ebx = 0xff00aaaa, .ecx = 0x3, .edx = 0 };
	cpuid->entries[1] = (struct kvm_cpuid_entry2){ .function = 7, .index = 0, .ebx = 0xffff };
	cpuid->entries[2] = (struct kvm_cpuid_entry2){ .function = 7, .index = 1, .ebx = 0xffff };
	struct cpuid_mask masks[2] = {
		{ .function = 1, .any_index = true, .reg = 2, .clear_bits = 0x1 },
		{ .function = 7, .index = 1, .reg = 1, .clear_bits = 0xff },
	};
	x86_adjust_cpuid(cpuid, 1, 2, masks, 2);
	CHECK_EQ(cpuid->entries[0].ebx >> 24, 1);
	CHECK_EQ((cpuid->entries[0].ebx >> 16) & 0xff, 2);
	CHECK_EQ(cpuid->entries[0].ecx, 0x80000002u);
	CHECK_EQ(cpuid->entries[1].ebx, 0xffff);
	CHECK_EQ(cpuid->entries[2].ebx, 0xff00);
	free(cpuid);

	/* MP table: valid checksums and one processor entry per vCPU. */
	struct vm *vm = calloc(1, sizeof(*vm));
	CHECK_EQ(guest_memory_allocate(&vm->memory, 2 << 20), 0);
	vm->vcpu_count = 3;
	CHECK_EQ(x86_write_mp_table(vm), 0);
	const uint8_t *pointer = guest_memory_pointer(&vm->memory, BOOT_MP_TABLE_ADDRESS, 16);
	CHECK(memcmp(pointer, "_MP_", 4) == 0);
	CHECK_EQ(checksum(pointer, 16), 0);
	uint32_t table_address;
	memcpy(&table_address, pointer + 4, 4);
	const uint8_t *table = guest_memory_pointer(&vm->memory, table_address, 44);
	uint16_t length, entries;
	memcpy(&length, table + 4, 2);
	memcpy(&entries, table + 34, 2);
	CHECK(memcmp(table, "PCMP", 4) == 0);
	CHECK_EQ(checksum(table, length), 0);
	unsigned processors = 0, bootstrap = 0;
	const uint8_t *entry = table + 44;
	for (unsigned i = 0; i < entries; i++) {
		if (entry[0] == 0) {
			processors++;
			bootstrap += (entry[3] & 2) != 0;
			entry += 20;
		} else {
			entry += 8;
		}
	}
	CHECK_EQ(processors, 3);
	CHECK_EQ(bootstrap, 1);
	CHECK_EQ(entry - table, length);
	guest_memory_release(&vm->memory);
	free(vm);
}

static bool sci_level;
static unsigned power_offs;

static void set_sci(void *opaque, bool level)
{
	(void)opaque;
	sci_level = level;
}

static void power_off(void *opaque)
{
	(void)opaque;
	power_offs++;
}

static void pm_write16(struct acpi_pm *pm, unsigned offset, uint16_t value)
{
	acpi_pm_access(pm, offset, (uint8_t *)&value, 2, true);
}

static uint16_t pm_read16(struct acpi_pm *pm, unsigned offset)
{
	uint16_t value = 0;
	acpi_pm_access(pm, offset, (uint8_t *)&value, 2, false);
	return value;
}

void test_acpi(void)
{
	struct guest_memory memory;

	CHECK_EQ(guest_memory_allocate(&memory, 2 << 20), 0);
	CHECK_EQ(acpi_write_tables(&memory, 4), ACPI_RSDP_ADDRESS);
	const uint8_t *rsdp = guest_memory_pointer(&memory, ACPI_RSDP_ADDRESS, 36);
	CHECK(memcmp(rsdp, "RSD PTR ", 8) == 0);
	CHECK_EQ(checksum(rsdp, 20), 0);
	CHECK_EQ(checksum(rsdp, 36), 0);
	uint64_t xsdt_address;
	memcpy(&xsdt_address, rsdp + 24, 8);
	const uint8_t *xsdt = guest_memory_pointer(&memory, xsdt_address, 52);
	uint32_t length;
	memcpy(&length, xsdt + 4, 4);
	CHECK_EQ(length, 36 + 16);
	CHECK_EQ(checksum(xsdt, length), 0);
	for (unsigned i = 0; i < 2; i++) {
		uint64_t address;
		memcpy(&address, xsdt + 36 + 8 * i, 8);
		const uint8_t *table = guest_memory_pointer(&memory, address, 36);
		memcpy(&length, table + 4, 4);
		CHECK(memcmp(table, i == 0 ? "FACP" : "APIC", 4) == 0);
		CHECK_EQ(checksum(guest_memory_pointer(&memory, address, length), length), 0);
		if (i == 0) {
			CHECK_EQ(length, 276); /* FADT revision 6 */
			uint16_t sci;
			memcpy(&sci, table + 46, 2);
			CHECK_EQ(sci, ACPI_SCI_IRQ);
		}
	}
	guest_memory_release(&memory);

	/* PM1: the power button raises SCI only while enabled; S5 powers off. */
	struct acpi_pm pm;
	acpi_pm_init(&pm, set_sci, power_off, NULL);
	CHECK_EQ(pm_read16(&pm, 4) & 1, 1); /* SCI_EN: always in ACPI mode */
	acpi_pm_press_power_button(&pm);
	CHECK(!sci_level);
	CHECK_EQ(pm_read16(&pm, 0), 0x0100);
	pm_write16(&pm, 2, 0x0100);
	CHECK(sci_level);
	pm_write16(&pm, 0, 0x0100);
	CHECK(!sci_level);
	CHECK_EQ(pm_read16(&pm, 0), 0);
	pm_write16(&pm, 4, (3 << 10) | (1 << 13)); /* S3: not supported, ignored */
	CHECK_EQ(power_offs, 0);
	uint8_t high = (uint8_t)(((ACPI_S5_SLEEP_TYPE << 10) | (1 << 13)) >> 8);
	acpi_pm_access(&pm, 5, &high, 1, true);
	CHECK_EQ(power_offs, 1);
}

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acpi.h"
#include "aml.h"
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

	/* The TSC-deadline timer KVM emulates is added to leaf 1 where the host has it, and a mask
	 * (--cpuid-mask tsc_deadline_timer) still takes it away. */
	cpuid = calloc(1, sizeof(*cpuid) + 2 * sizeof(struct kvm_cpuid_entry2));
	cpuid->nent = 2;
	cpuid->entries[0] = (struct kvm_cpuid_entry2){ .function = 1, .ecx = 0x3 };
	cpuid->entries[1] = (struct kvm_cpuid_entry2){ .function = 7, .ecx = 0x3 };
	x86_complete_cpuid(cpuid, &(struct cpuid_host_features){ .tsc_deadline_timer = false });
	CHECK_EQ(cpuid->entries[0].ecx, 0x3);
	x86_complete_cpuid(cpuid, &(struct cpuid_host_features){ .tsc_deadline_timer = true });
	CHECK_EQ(cpuid->entries[0].ecx, 0x3 | (1U << 24));
	CHECK_EQ(cpuid->entries[1].ecx, 0x3);
	struct cpuid_mask no_deadline = { .function = 1, .any_index = true, .reg = 2, .clear_bits = 1U << 24 };
	x86_adjust_cpuid(cpuid, 0, 1, &no_deadline, 1);
	CHECK_EQ(cpuid->entries[0].ecx & (1U << 24), 0);
	free(cpuid);

	/* MP table: valid checksums and one processor entry per vCPU. */
	struct vm *vm = calloc(1, sizeof(*vm));
	CHECK_EQ(guest_memory_allocate(&vm->memory, 2 << 20), 0);
	/* guest physical 0 on a host huge-page boundary, so KVM can map it with large pages */
	CHECK_EQ((uintptr_t)vm->memory.host_base % GUEST_MEMORY_ALIGNMENT, 0);
	{
		/* also for a size that is no multiple of 2 MiB (which a newer host kernel would
		 * not align by itself) */
		struct guest_memory odd;
		CHECK_EQ(guest_memory_allocate(&odd, (6 << 20) + 4096), 0);
		CHECK_EQ((uintptr_t)odd.host_base % GUEST_MEMORY_ALIGNMENT, 0);
		odd.host_base[(6 << 20) + 4095] = 1;
		CHECK_EQ(odd.size, (6 << 20) + 4096);
		guest_memory_release(&odd);
	}
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

/* Finds BYTES in [HAYSTACK, HAYSTACK + LENGTH), or NULL. */
static const uint8_t *find(const uint8_t *haystack, size_t length, const void *bytes, size_t size)
{
	for (size_t i = 0; i + size <= length; i++)
		if (memcmp(haystack + i, bytes, size) == 0)
			return haystack + i;
	return NULL;
}

/*
 * The DSDT the FADT points at: _S5, COM1, and each virtio-mmio window as an
 * LNRO0005 device whose _CRS holds its Memory32Fixed window and its own
 * edge-triggered interrupt (ACPI 6.4, 6.4.3.5.3 and 6.4.3.6).
 */
static void check_dsdt(struct guest_memory *memory, const uint8_t *fadt,
		       const struct acpi_mmio_device *windows, unsigned count)
{
	uint64_t address;
	uint32_t length;

	memcpy(&address, fadt + 140, 8); /* X_DSDT */
	const uint8_t *dsdt = guest_memory_pointer(memory, address, 36);
	CHECK(dsdt && memcmp(dsdt, "DSDT", 4) == 0);
	if (!dsdt)
		return;
	memcpy(&length, dsdt + 4, 4);
	dsdt = guest_memory_pointer(memory, address, length);
	CHECK_EQ(checksum(dsdt, length), 0);
	CHECK(find(dsdt, length, "_S5_\x12", 5) != NULL);
	CHECK(find(dsdt, length, "\x0dPNP0501", 9) != NULL);
	CHECK(find(dsdt, length, "\\_SB_", 5) != NULL);
	const uint8_t *cursor = dsdt;
	for (unsigned i = 0; i < count; i++) {
		char name[5];
		snprintf(name, sizeof(name), "VR%02u", i);
		const uint8_t *device = find(cursor, length - (size_t)(cursor - dsdt), name, 4);
		CHECK(device != NULL);
		if (!device)
			return;
		CHECK(device[-4] == 0x5b && device[-3] == 0x82); /* DeviceOp, then a 2-byte PkgLength */
		const uint8_t *hid = find(device, 40, "\x0dLNRO0005", 10);
		CHECK(hid != NULL);
		uint8_t memory_descriptor[12] = { 0x86, 9, 0, 1 };
		memcpy(memory_descriptor + 4, &windows[i].base, 4);
		memcpy(memory_descriptor + 8, &windows[i].size, 4);
		const uint8_t *window = find(device, 80, memory_descriptor, 12);
		CHECK(window != NULL);
		if (!window)
			return;
		uint8_t interrupt[9] = { 0x89, 6, 0, 0x03, 1 };
		memcpy(interrupt + 5, &windows[i].irq, 4);
		CHECK(memcmp(window + 12, interrupt, 9) == 0);
		CHECK(window[21] == 0x79 && window[22] == 0); /* end tag */
		cursor = window + 23;
	}
}

static void check_package_lengths(void)
{
	/* PkgLength (20.2.4) counts itself: 1 byte up to 63, 2 bytes up to 4095. */
	static uint8_t buffer[8192];
	struct aml aml;
	aml_init(&aml, buffer, sizeof(buffer));
	aml_scope(&aml, "S000");
	aml_close(&aml);
	CHECK_EQ(aml_finish(&aml), 6);
	CHECK_EQ(buffer[1], 5);

	aml_init(&aml, buffer, sizeof(buffer));
	aml_scope(&aml, "S000");
	for (unsigned i = 0; i < 100; i++)
		aml_integer(&aml, 0);
	aml_close(&aml);
	CHECK_EQ(aml_finish(&aml), 1 + 2 + 4 + 100);
	CHECK_EQ(buffer[1], 0x40 | ((2 + 4 + 100) & 0xf));
	CHECK_EQ(buffer[2], (2 + 4 + 100) >> 4);

	aml_init(&aml, buffer, sizeof(buffer));
	aml_scope(&aml, "S000");
	for (unsigned i = 0; i < 5000; i++)
		aml_integer(&aml, 1);
	aml_close(&aml);
	CHECK_EQ(aml_finish(&aml), 1 + 3 + 4 + 5000);
	CHECK_EQ(buffer[1] >> 6, 2);
	CHECK_EQ((buffer[1] & 0xf) | buffer[2] << 4 | buffer[3] << 12, 3 + 4 + 5000);

	/* Too small a buffer, or a block left open, is an error, never a short table. */
	aml_init(&aml, buffer, 10);
	aml_scope(&aml, "S000");
	for (unsigned i = 0; i < 20; i++)
		aml_integer(&aml, 0x1234);
	aml_close(&aml);
	CHECK_EQ(aml_finish(&aml), -ENOSPC);
	aml_init(&aml, buffer, sizeof(buffer));
	aml_device(&aml, "D000");
	CHECK_EQ(aml_finish(&aml), -ENOSPC);

	/* A resource template's BufferSize covers its descriptors and the end tag. */
	aml_init(&aml, buffer, sizeof(buffer));
	aml_resources(&aml);
	aml_io(&aml, 0x3f8, 8);
	aml_close_resources(&aml);
	CHECK_EQ(aml_finish(&aml), 1 + 1 + 5 + 8 + 2);
	CHECK_EQ(buffer[0], 0x11);
	CHECK_EQ(buffer[1], 1 + 5 + 8 + 2);
	CHECK_EQ(buffer[2], 0x0c);
	CHECK_EQ(buffer[3], 8 + 2);
}

void test_acpi(void)
{
	check_package_lengths();
	struct guest_memory memory;

	CHECK_EQ(guest_memory_allocate(&memory, 2 << 20), 0);
	struct acpi_mmio_device windows[10];
	for (unsigned i = 0; i < 10; i++)
		windows[i] = (struct acpi_mmio_device){ 0xd0000000 + 0x1000 * i, 0x1000, 20 + i };
	CHECK_EQ(acpi_write_tables(&memory, 4, windows, 10), ACPI_RSDP_ADDRESS);
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
			check_dsdt(&memory, table, windows, 10);
		}
	}
	CHECK_EQ(acpi_write_tables(&memory, ACPI_MAX_CPUS + 1, windows, 10), -EINVAL);
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

#include "acpi.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "aml.h"

/* Table layouts: ACPI 6.4, chapter 5.2. */
struct acpi_header {
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	char creator_id[4];
	uint32_t creator_revision;
} __attribute__((packed));

struct acpi_rsdp {
	char signature[8];       /* "RSD PTR " */
	uint8_t checksum;        /* first 20 bytes */
	char oem_id[6];
	uint8_t revision;        /* 2: XSDT present */
	uint32_t rsdt_address;
	uint32_t length;
	uint64_t xsdt_address;
	uint8_t extended_checksum;
	uint8_t reserved[3];
} __attribute__((packed));

struct acpi_generic_address {
	uint8_t space_id;        /* 1: system I/O */
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size;     /* 1 byte, 2 word, 3 dword */
	uint64_t address;
} __attribute__((packed));

struct acpi_fadt {
	struct acpi_header header;
	uint32_t firmware_control;
	uint32_t dsdt;
	uint8_t reserved1;
	uint8_t preferred_profile;
	uint16_t sci_interrupt;
	uint32_t smi_command;    /* 0: the hardware is always in ACPI mode */
	uint8_t acpi_enable, acpi_disable, s4bios_request, pstate_control;
	uint32_t pm1a_event_block, pm1b_event_block;
	uint32_t pm1a_control_block, pm1b_control_block;
	uint32_t pm2_control_block, pm_timer_block;
	uint32_t gpe0_block, gpe1_block;
	uint8_t pm1_event_length, pm1_control_length, pm2_control_length, pm_timer_length;
	uint8_t gpe0_length, gpe1_length, gpe1_base, cstate_control;
	uint16_t c2_latency, c3_latency, flush_size, flush_stride;
	uint8_t duty_offset, duty_width, day_alarm, month_alarm, century;
	uint16_t boot_flags;     /* IAPC_BOOT_ARCH */
	uint8_t reserved2;
	uint32_t flags;
	struct acpi_generic_address reset_register;
	uint8_t reset_value;
	uint16_t arm_boot_flags;
	uint8_t minor_revision;
	uint64_t x_firmware_control;
	uint64_t x_dsdt;
	struct acpi_generic_address x_pm1a_event_block, x_pm1b_event_block;
	struct acpi_generic_address x_pm1a_control_block, x_pm1b_control_block;
	struct acpi_generic_address x_pm2_control_block, x_pm_timer_block;
	struct acpi_generic_address x_gpe0_block, x_gpe1_block;
	struct acpi_generic_address sleep_control, sleep_status;
	uint64_t hypervisor_id;
} __attribute__((packed));

struct acpi_facs {
	char signature[4];
	uint32_t length;         /* 64 */
	uint32_t hardware_signature;
	uint32_t waking_vector;
	uint32_t global_lock;
	uint32_t flags;
	uint64_t x_waking_vector;
	uint8_t version;         /* 2 */
	uint8_t reserved[3];
	uint32_t ospm_flags;
	uint8_t reserved2[24];
} __attribute__((packed));

/* FADT flags (5.2.9, table 5.10) and IAPC_BOOT_ARCH (table 5.11). */
#define FADT_WBINVD (1u << 0)
#define FADT_SLEEP_BUTTON_ABSENT (1u << 5)
#define FADT_RESET_REGISTER_SUPPORTED (1u << 10)
#define BOOT_ARCH_VGA_ABSENT (1u << 2)
#define BOOT_ARCH_CMOS_RTC_ABSENT (1u << 5)

/* Layout inside the table area. */
#define RSDP_OFFSET 0x000
#define XSDT_OFFSET 0x040
#define FACS_OFFSET 0x080 /* 64-byte aligned */
#define FADT_OFFSET 0x100
#define MADT_OFFSET 0x300 /* at most 44 + 16 * 8 + 28 bytes */
#define DSDT_OFFSET 0x800 /* to the end of the area */

static uint8_t acpi_checksum(const void *data, size_t length)
{
	const uint8_t *bytes = data;
	uint8_t sum = 0;

	for (size_t i = 0; i < length; i++)
		sum = (uint8_t)(sum + bytes[i]);
	return (uint8_t)(0 - sum);
}

static void fill_header(struct acpi_header *header, const char *signature, uint32_t length,
			uint8_t revision)
{
	memcpy(header->signature, signature, 4);
	header->length = length;
	header->revision = revision;
	memcpy(header->oem_id, "MVM   ", 6);
	memcpy(header->oem_table_id, "MVMACPI ", 8);
	header->oem_revision = 1;
	memcpy(header->creator_id, "MVM ", 4);
	header->creator_revision = 1;
	header->checksum = 0;
	header->checksum = acpi_checksum(header, length);
}

static struct acpi_generic_address io_register(uint16_t port, uint8_t bytes)
{
	return (struct acpi_generic_address){ .space_id = 1, .bit_width = (uint8_t)(bytes * 8),
					      .access_size = bytes == 1 ? 1 : bytes == 2 ? 2 : 3,
					      .address = port };
}

/*
 * The DSDT's AML: the soft-off package, COM1, and one LNRO0005 device per
 * virtio-mmio window with its own interrupt, the way Firecracker and QEMU's
 * microvm describe them, so that a stock kernel's virtio_mmio driver finds
 * them without "virtio_mmio.device=" on the command line.
 */
static long write_dsdt_body(uint8_t *buffer, size_t capacity, const struct acpi_mmio_device *devices,
			    unsigned device_count)
{
	struct aml aml;

	aml_init(&aml, buffer, capacity);
	/* Name (_S5, Package (4) { 5, 5, 0, 0 }): SLP_TYPa/SLP_TYPb of soft-off (7.4.2). */
	aml_name(&aml, "_S5_");
	aml_package(&aml, 4);
	aml_integer(&aml, ACPI_S5_SLEEP_TYPE);
	aml_integer(&aml, ACPI_S5_SLEEP_TYPE);
	aml_integer(&aml, 0);
	aml_integer(&aml, 0);
	aml_close(&aml);

	aml_scope(&aml, "\\_SB_");
	aml_device(&aml, "COM1");
	aml_name(&aml, "_HID");
	aml_string(&aml, "PNP0501"); /* 16550A-compatible UART */
	aml_name(&aml, "_UID");
	aml_integer(&aml, 1);
	aml_name(&aml, "_CRS");
	aml_resources(&aml);
	aml_io(&aml, ACPI_COM1_PORT, 8);
	aml_irq_no_flags(&aml, ACPI_COM1_IRQ);
	aml_close_resources(&aml);
	aml_close(&aml);

	for (unsigned i = 0; i < device_count; i++) {
		char name[5];
		snprintf(name, sizeof(name), "VR%02u", i % 100);
		aml_device(&aml, name);
		aml_name(&aml, "_HID");
		aml_string(&aml, "LNRO0005"); /* virtio-mmio (Linux's ACPI match table) */
		aml_name(&aml, "_UID");
		aml_integer(&aml, i);
		aml_name(&aml, "_CCA");
		aml_integer(&aml, 1); /* DMA is cache coherent */
		aml_name(&aml, "_CRS");
		aml_resources(&aml);
		aml_memory32_fixed(&aml, (uint32_t)devices[i].base, devices[i].size, true);
		/* edge: the transport pulses its line per notification */
		aml_interrupt(&aml, devices[i].irq, true);
		aml_close_resources(&aml);
		aml_close(&aml);
	}
	aml_close(&aml);
	return aml_finish(&aml);
}

long acpi_write_tables(const struct guest_memory *memory, unsigned vcpu_count,
		       const struct acpi_mmio_device *devices, unsigned device_count)
{
	uint8_t *area = guest_memory_pointer(memory, ACPI_RSDP_ADDRESS, ACPI_TABLES_SIZE);

	if (!area)
		return -ERANGE;
	if (vcpu_count > ACPI_MAX_CPUS)
		return -EINVAL;
	memset(area, 0, ACPI_TABLES_SIZE);

	/* DSDT */
	struct acpi_header *dsdt = (struct acpi_header *)(area + DSDT_OFFSET);
	long body = write_dsdt_body((uint8_t *)(dsdt + 1), ACPI_TABLES_SIZE - DSDT_OFFSET - sizeof(*dsdt),
				    devices, device_count);
	if (body < 0)
		return body;
	fill_header(dsdt, "DSDT", (uint32_t)(sizeof(*dsdt) + (size_t)body), 2);

	/* FACS: no checksum */
	struct acpi_facs *facs = (struct acpi_facs *)(area + FACS_OFFSET);
	memcpy(facs->signature, "FACS", 4);
	facs->length = sizeof(*facs);
	facs->version = 2;

	/* FADT */
	struct acpi_fadt *fadt = (struct acpi_fadt *)(area + FADT_OFFSET);
	fadt->firmware_control = ACPI_RSDP_ADDRESS + FACS_OFFSET;
	fadt->dsdt = ACPI_RSDP_ADDRESS + DSDT_OFFSET;
	fadt->x_firmware_control = fadt->firmware_control;
	fadt->x_dsdt = fadt->dsdt;
	fadt->sci_interrupt = ACPI_SCI_IRQ;
	fadt->pm1a_event_block = ACPI_PM1_EVENT_PORT;
	fadt->pm1a_control_block = ACPI_PM1_CONTROL_PORT;
	fadt->pm1_event_length = 4;
	fadt->pm1_control_length = 2;
	fadt->x_pm1a_event_block = io_register(ACPI_PM1_EVENT_PORT, 4);
	fadt->x_pm1a_control_block = io_register(ACPI_PM1_CONTROL_PORT, 2);
	fadt->boot_flags = BOOT_ARCH_VGA_ABSENT | BOOT_ARCH_CMOS_RTC_ABSENT; /* and no 8042 */
	/* Power button: fixed feature (flag clear); no sleep button. */
	fadt->flags = FADT_WBINVD | FADT_SLEEP_BUTTON_ABSENT | FADT_RESET_REGISTER_SUPPORTED;
	fadt->reset_register = io_register(0xcf9, 1);
	fadt->reset_value = 0x06;
	fadt->minor_revision = 4;
	fill_header(&fadt->header, "FACP", sizeof(*fadt), 6);

	/* MADT (5.2.12): local APICs, the IOAPIC, SCI override, LINT1 NMI. */
	uint8_t *madt = area + MADT_OFFSET;
	uint8_t *entry = madt + sizeof(struct acpi_header) + 8;
	uint32_t local_apic_address = 0xfee00000, pcat_compatible = 1;
	memcpy(madt + sizeof(struct acpi_header), &local_apic_address, 4);
	memcpy(madt + sizeof(struct acpi_header) + 4, &pcat_compatible, 4);
	for (unsigned i = 0; i < vcpu_count; i++) {
		uint32_t enabled = 1;
		entry[0] = 0; /* processor local APIC */
		entry[1] = 8;
		entry[2] = (uint8_t)i; /* ACPI processor UID */
		entry[3] = (uint8_t)i; /* APIC ID */
		memcpy(entry + 4, &enabled, 4);
		entry += 8;
	}
	uint32_t ioapic_address = 0xfec00000, gsi_base = 0;
	entry[0] = 1; /* I/O APIC */
	entry[1] = 12;
	entry[2] = (uint8_t)vcpu_count;
	memcpy(entry + 4, &ioapic_address, 4);
	memcpy(entry + 8, &gsi_base, 4);
	entry += 12;
	uint32_t sci_gsi = ACPI_SCI_IRQ;
	uint16_t level_high = 0x000d; /* active high, level triggered */
	entry[0] = 2; /* interrupt source override */
	entry[1] = 10;
	entry[2] = 0; /* ISA */
	entry[3] = ACPI_SCI_IRQ;
	memcpy(entry + 4, &sci_gsi, 4);
	memcpy(entry + 8, &level_high, 2);
	entry += 10;
	entry[0] = 4; /* local APIC NMI */
	entry[1] = 6;
	entry[2] = 0xff; /* all processors */
	entry[5] = 1;    /* LINT1 */
	entry += 6;
	fill_header((struct acpi_header *)madt, "APIC", (uint32_t)(entry - madt), 5);

	/* XSDT */
	struct acpi_header *xsdt = (struct acpi_header *)(area + XSDT_OFFSET);
	uint64_t entries[2] = { ACPI_RSDP_ADDRESS + FADT_OFFSET, ACPI_RSDP_ADDRESS + MADT_OFFSET };
	memcpy(xsdt + 1, entries, sizeof(entries));
	fill_header(xsdt, "XSDT", sizeof(*xsdt) + sizeof(entries), 1);

	/* RSDP */
	struct acpi_rsdp *rsdp = (struct acpi_rsdp *)(area + RSDP_OFFSET);
	memcpy(rsdp->signature, "RSD PTR ", 8);
	memcpy(rsdp->oem_id, "MVM   ", 6);
	rsdp->revision = 2;
	rsdp->length = sizeof(*rsdp);
	rsdp->xsdt_address = ACPI_RSDP_ADDRESS + XSDT_OFFSET;
	rsdp->checksum = acpi_checksum(rsdp, 20);
	rsdp->extended_checksum = acpi_checksum(rsdp, sizeof(*rsdp));
	return ACPI_RSDP_ADDRESS;
}

/* PM1 registers (4.8.3.1, 4.8.3.2). */
#define PM1_STATUS_POWER_BUTTON 0x0100
#define PM1_ENABLE_POWER_BUTTON 0x0100
#define PM1_CONTROL_SCI_ENABLE 0x0001
#define PM1_CONTROL_SLEEP_TYPE_SHIFT 10
#define PM1_CONTROL_SLEEP_ENABLE 0x2000

void acpi_pm_init(struct acpi_pm *pm, void (*set_sci)(void *opaque, bool level),
		  void (*power_off)(void *opaque), void *opaque)
{
	memset(pm, 0, sizeof(*pm));
	pthread_mutex_init(&pm->lock, NULL);
	pm->control = PM1_CONTROL_SCI_ENABLE; /* no SMI_CMD: always in ACPI mode */
	pm->set_sci = set_sci;
	pm->power_off = power_off;
	pm->opaque = opaque;
}

static void acpi_pm_update_sci(struct acpi_pm *pm)
{
	bool level = (pm->status & pm->enable & PM1_STATUS_POWER_BUTTON) != 0;

	if (level != pm->sci_level) {
		pm->sci_level = level;
		if (pm->set_sci)
			pm->set_sci(pm->opaque, level);
	}
}

void acpi_pm_access(void *opaque, uint64_t offset, uint8_t *data, uint32_t size, bool is_write)
{
	struct acpi_pm *pm = opaque;
	bool power_off = false;

	pthread_mutex_lock(&pm->lock);
	for (uint32_t i = 0; i < size; i++) {
		uint64_t byte_offset = offset + i;
		unsigned shift = (unsigned)(byte_offset & 1) * 8;
		uint16_t *reg = byte_offset < 2 ? &pm->status : byte_offset < 4 ? &pm->enable
						      : byte_offset < 6 ? &pm->control : NULL;
		if (!reg) {
			if (!is_write)
				data[i] = 0xff;
			continue;
		}
		if (!is_write) {
			data[i] = (uint8_t)(*reg >> shift);
			continue;
		}
		uint16_t value = (uint16_t)(data[i] << shift);
		if (reg == &pm->status) {
			pm->status &= (uint16_t)~value; /* write 1 to clear */
		} else if (reg == &pm->enable) {
			pm->enable = (uint16_t)((pm->enable & ~(0xff << shift)) | value);
		} else {
			uint16_t control = (uint16_t)((pm->control & ~(0xff << shift)) | value);
			if ((control & PM1_CONTROL_SLEEP_ENABLE) &&
			    ((control >> PM1_CONTROL_SLEEP_TYPE_SHIFT) & 7) == ACPI_S5_SLEEP_TYPE)
				power_off = true;
			pm->control = (uint16_t)((control & ~PM1_CONTROL_SLEEP_ENABLE) | PM1_CONTROL_SCI_ENABLE);
		}
	}
	acpi_pm_update_sci(pm);
	pthread_mutex_unlock(&pm->lock);
	if (power_off && pm->power_off)
		pm->power_off(pm->opaque);
}

bool acpi_pm_power_button_enabled(struct acpi_pm *pm)
{
	pthread_mutex_lock(&pm->lock);
	bool enabled = (pm->enable & PM1_ENABLE_POWER_BUTTON) != 0;
	pthread_mutex_unlock(&pm->lock);
	return enabled;
}

void acpi_pm_press_power_button(struct acpi_pm *pm)
{
	pthread_mutex_lock(&pm->lock);
	pm->status |= PM1_STATUS_POWER_BUTTON;
	acpi_pm_update_sci(pm);
	pthread_mutex_unlock(&pm->lock);
}

/*
 * Minimal ACPI (ACPI 6.x): RSDP, XSDT, FADT with fixed-feature PM1
 * registers and power button, FACS, a MADT, and a DSDT that names _S5 and
 * describes COM1 and every virtio-mmio device. On by default: it is how a
 * stock kernel finds the devices, powers off, and answers "stop" through the
 * power button. With --no-acpi the MP table describes the CPUs and the
 * command line the devices.
 */
#ifndef MVM_ACPI_H
#define MVM_ACPI_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "guest_memory.h"

#define ACPI_RSDP_ADDRESS 0xe0000     /* inside the BIOS area Linux searches */
#define ACPI_TABLES_SIZE 0x2000
#define ACPI_PM1_EVENT_PORT 0x600     /* PM1a_EVT_BLK: status (2 bytes), enable (2 bytes) */
#define ACPI_PM1_CONTROL_PORT 0x604   /* PM1a_CNT_BLK: 2 bytes */
#define ACPI_SCI_IRQ 9
#define ACPI_COM1_PORT 0x3f8
#define ACPI_COM1_IRQ 4
#define ACPI_MAX_CPUS 16
#define ACPI_S5_SLEEP_TYPE 5          /* the value _S5 announces for SLP_TYPa */

/* A virtio-mmio window as the DSDT announces it. */
struct acpi_mmio_device {
	uint64_t base;
	uint32_t size;
	unsigned irq; /* a GSI of its own */
};

/* Writes the tables; returns the RSDP's guest physical address or a negative errno. */
long acpi_write_tables(const struct guest_memory *memory, unsigned vcpu_count,
		       const struct acpi_mmio_device *devices, unsigned device_count);

/* PM1 register block; like the 8250 it knows no bus. */
struct acpi_pm {
	pthread_mutex_t lock;
	uint16_t status;   /* PM1_STS: write 1 to clear */
	uint16_t enable;   /* PM1_EN */
	uint16_t control;  /* PM1_CNT without SLP_EN */
	bool sci_level;
	void (*set_sci)(void *opaque, bool level);
	void (*power_off)(void *opaque);
	void *opaque;
};

void acpi_pm_init(struct acpi_pm *pm, void (*set_sci)(void *opaque, bool level),
		  void (*power_off)(void *opaque), void *opaque);
/* offset 0..5 from ACPI_PM1_EVENT_PORT; size 1 or 2 */
void acpi_pm_access(void *opaque, uint64_t offset, uint8_t *data, uint32_t size, bool is_write);
/* Whether the guest's OS enabled the power button event (PM1_EN.PWRBTN_EN). */
bool acpi_pm_power_button_enabled(struct acpi_pm *pm);
/* Fixed-feature power button press (ACPI 4.8.2.2.1.1). */
void acpi_pm_press_power_button(struct acpi_pm *pm);

#endif

/*
 * Minimal ACPI (ACPI 6.x): RSDP, XSDT, FADT with fixed-feature PM1
 * registers and power button, FACS, a DSDT that only names _S5, and a MADT.
 * Optional (--acpi): it lets a Linux guest power off and react to "stop"
 * through the ACPI power button. Without it the MP table describes the CPUs.
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
#define ACPI_S5_SLEEP_TYPE 5          /* the value _S5 announces for SLP_TYPa */

/* Writes the tables; returns the RSDP's guest physical address or a negative errno. */
long acpi_write_tables(const struct guest_memory *memory, unsigned vcpu_count);

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
/* Fixed-feature power button press (ACPI 4.8.2.2.1.1). */
void acpi_pm_press_power_button(struct acpi_pm *pm);

#endif

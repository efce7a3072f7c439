/*
 * Finds the processors in the MP table (Intel MP spec 1.4), starts each
 * application processor with INIT-SIPI-SIPI through the local APIC and
 * waits for all of them to report in from long mode.
 */
#include "guest.h"

#define LAPIC_BASE 0xfee00000ULL
#define LAPIC_ID 0x020
#define LAPIC_SPURIOUS 0x0f0
#define LAPIC_ICR_LOW 0x300
#define LAPIC_ICR_HIGH 0x310
#define TRAMPOLINE_VECTOR 0x08 /* SIPI vector: start at 0x8000 */

uint8_t ap_stacks[16][16384] __attribute__((aligned(16)));
static volatile unsigned cpus_up = 1;

static unsigned lapic_id(void)
{
	return mmio_read32(LAPIC_BASE + LAPIC_ID) >> 24;
}

void ap_main(unsigned index);

void ap_main(unsigned index)
{
	print("cpu %u up (local APIC id %u)\n", index + 1, lapic_id());
	__atomic_add_fetch(&cpus_up, 1, __ATOMIC_SEQ_CST);
	for (;;)
		__asm__ volatile("cli; hlt");
}

static uint8_t checksum(const uint8_t *bytes, unsigned length)
{
	uint8_t sum = 0;
	for (unsigned i = 0; i < length; i++)
		sum = (uint8_t)(sum + bytes[i]);
	return sum;
}

static const uint8_t *find_mp_floating_pointer(void)
{
	for (uint64_t address = 0xf0000; address < 0x100000; address += 16) {
		const uint8_t *candidate = (const uint8_t *)address;
		if (memcmp(candidate, "_MP_", 4) == 0 && checksum(candidate, 16) == 0)
			return candidate;
	}
	return NULL;
}

static void send_ipi(unsigned apic_id, uint32_t command)
{
	mmio_write32(LAPIC_BASE + LAPIC_ICR_HIGH, apic_id << 24);
	mmio_write32(LAPIC_BASE + LAPIC_ICR_LOW, command);
	while (mmio_read32(LAPIC_BASE + LAPIC_ICR_LOW) & (1u << 12)) /* delivery pending */
		__asm__ volatile("pause");
}

static void delay(unsigned long spins)
{
	for (volatile unsigned long i = 0; i < spins; i++)
		;
}

void guest_main(void *info);

void guest_main(void *info)
{
	uint8_t processor_ids[16];
	unsigned processors = 0;
	(void)info;

	const uint8_t *pointer = find_mp_floating_pointer();
	if (!pointer)
		fail("no MP floating pointer");
	uint32_t table_address;
	memcpy(&table_address, pointer + 4, 4);
	const uint8_t *table = (const uint8_t *)(uintptr_t)table_address;
	uint16_t table_length, entry_count;
	memcpy(&table_length, table + 4, 2);
	memcpy(&entry_count, table + 34, 2);
	if (memcmp(table, "PCMP", 4) != 0 || checksum(table, table_length) != 0)
		fail("bad MP configuration table");
	const uint8_t *entry = table + 44;
	for (unsigned i = 0; i < entry_count; i++) {
		if (entry[0] == 0) { /* processor */
			if ((entry[3] & 1) && processors < 16)
				processor_ids[processors++] = entry[1];
			entry += 20;
		} else {
			entry += 8;
		}
	}
	print("MP table lists %u processors; boot processor has local APIC id %u\n", processors,
	      lapic_id());

	mmio_write32(LAPIC_BASE + LAPIC_SPURIOUS, 0x1ff); /* software-enable the local APIC */
	for (unsigned i = 0; i < processors; i++) {
		if (processor_ids[i] == lapic_id())
			continue;
		send_ipi(processor_ids[i], 0x00004500);                      /* INIT */
		delay(100000);
		send_ipi(processor_ids[i], 0x00004600 | TRAMPOLINE_VECTOR);  /* SIPI */
		delay(10000);
		send_ipi(processor_ids[i], 0x00004600 | TRAMPOLINE_VECTOR);
	}
	for (unsigned long spins = 0; spins < 2000000000UL && cpus_up < processors; spins++)
		__asm__ volatile("pause");
	if (cpus_up != processors || processors < 2)
		fail("not every processor came up");
	print("%u cpus running\n", cpus_up);
	print("PASS\n");
	power_off(0);
}

/*
 * Guest physical memory as seen by the monitor: RAM below the 32-bit MMIO
 * hole starts at guest physical 0, the rest continues at 4 GiB. Both halves
 * live in one host mapping. Every guest-supplied address goes through
 * guest_memory_pointer(), which refuses ranges that leave RAM.
 */
#ifndef MVM_GUEST_MEMORY_H
#define MVM_GUEST_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GUEST_LOW_RAM_END 0xC0000000ULL /* start of the 32-bit MMIO hole */
#define GUEST_HIGH_RAM_START 0x100000000ULL
#define GUEST_MEMORY_ALIGNMENT (2ULL << 20) /* the host mapping starts on a huge-page boundary */

struct guest_memory {
	uint8_t *host_base; /* host mapping of all guest RAM */
	uint64_t size;      /* bytes of guest RAM */
	uint64_t low_size;  /* bytes mapped at guest physical 0 */
};

int guest_memory_allocate(struct guest_memory *memory, uint64_t size);
void guest_memory_release(struct guest_memory *memory);

/* Host pointer for [gpa, gpa + length), or NULL when any byte is not RAM. */
void *guest_memory_pointer(const struct guest_memory *memory, uint64_t gpa, uint64_t length);

/* Bytes of guest RAM that are backed by host pages right now. */
uint64_t guest_memory_resident_bytes(const struct guest_memory *memory);

/* Give [gpa, gpa + length) back to the host; reads return zeroes afterwards. */
int guest_memory_discard(const struct guest_memory *memory, uint64_t gpa, uint64_t length);

int guest_memory_enable_merging(const struct guest_memory *memory);

#endif

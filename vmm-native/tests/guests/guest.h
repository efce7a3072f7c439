/* Freestanding helpers shared by the test guests. */
#ifndef GUEST_H
#define GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define COM1 0x3f8
#define POWER_OFF_PORT 0x501
#define VIRTIO_MMIO_BASE 0xd0000000ULL
#define VIRTIO_MMIO_SLOTS 10

static inline void outb(uint16_t port, uint8_t value)
{
	__asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t value;
	__asm__ volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
	return value;
}

static inline void outw(uint16_t port, uint16_t value)
{
	__asm__ volatile("outw %0, %1" : : "a"(value), "Nd"(port));
}

static inline uint16_t inw(uint16_t port)
{
	uint16_t value;
	__asm__ volatile("inw %1, %0" : "=a"(value) : "Nd"(port));
	return value;
}

static inline uint32_t mmio_read32(uint64_t address)
{
	return *(volatile uint32_t *)address;
}

static inline void mmio_write32(uint64_t address, uint32_t value)
{
	*(volatile uint32_t *)address = value;
}

static inline uint8_t mmio_read8(uint64_t address)
{
	return *(volatile uint8_t *)address;
}

static inline void cpuid(uint32_t leaf, uint32_t subleaf, uint32_t *a, uint32_t *b, uint32_t *c,
			 uint32_t *d)
{
	__asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(subleaf));
}

void *memset(void *destination, int value, size_t length);
void *memcpy(void *destination, const void *source, size_t length);
int memcmp(const void *a, const void *b, size_t length);
size_t strlen(const char *text);
const char *strstr_simple(const char *haystack, const char *needle);

void serial_write(const char *text, size_t length);
void print(const char *format, ...) __attribute__((format(printf, 1, 2)));
__attribute__((noreturn)) void power_off(uint8_t status);
__attribute__((noreturn)) void fail(const char *what);

/* virtio-mmio driver, polling only, one request in flight per queue. */
#define QUEUE_SIZE 16
struct vq {
	uint16_t size;
	uint16_t next_available;
	uint16_t last_used;
	volatile uint8_t *desc;   /* struct virtq_desc[QUEUE_SIZE] */
	volatile uint16_t *avail; /* flags, idx, ring[] */
	volatile uint8_t *used;   /* flags, idx, {id, len}[] */
};

struct buffer {
	uint64_t address;
	uint32_t length;
	bool device_writes;
};

uint64_t virtio_find(uint32_t device_id, unsigned skip);
/* Reset, negotiate VERSION_1 plus wanted features, set up queues, DRIVER_OK. */
int virtio_start(uint64_t base, uint64_t wanted_features, struct vq *queues, unsigned count);
void virtio_reset(uint64_t base);
void vq_submit(uint64_t base, struct vq *queue, unsigned queue_index, const struct buffer *buffers,
	       unsigned count);
/* Write raw descriptors and publish head: for tests that break the rules on purpose. */
void vq_write_desc(struct vq *queue, unsigned index, uint64_t address, uint32_t length,
		   uint16_t flags, uint16_t next);
void vq_publish(uint64_t base, struct vq *queue, unsigned queue_index, uint16_t head);
/* Polls for the next used element; returns its length, or -1 after the timeout. */
long vq_wait(struct vq *queue, unsigned long spins);
uint32_t virtio_status(uint64_t base);

#endif

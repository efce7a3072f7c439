/* A small test runner and a fake guest with a descriptor-chain helper. */
#ifndef MVM_UNIT_H
#define MVM_UNIT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "guest_memory.h"
#include "virtio.h"
#include "virtqueue.h"

extern unsigned unit_checks, unit_failures;

#define CHECK(condition)                                                                   \
	do {                                                                               \
		unit_checks++;                                                             \
		if (!(condition)) {                                                        \
			unit_failures++;                                                   \
			fprintf(stderr, "    %s:%d: check failed: %s\n", __FILE__, __LINE__,   \
				#condition);                                               \
		}                                                                          \
	} while (0)

#define CHECK_EQ(actual, expected)                                                         \
	do {                                                                               \
		long long check_actual = (long long)(actual);                              \
		long long check_expected = (long long)(expected);                          \
		unit_checks++;                                                             \
		if (check_actual != check_expected) {                                      \
			unit_failures++;                                                   \
			fprintf(stderr, "    %s:%d: %s is %lld, expected %lld\n", __FILE__,    \
				__LINE__, #actual, check_actual, check_expected);          \
		}                                                                          \
	} while (0)

/* Guest RAM for device tests: a bump allocator over a real guest_memory. */
struct fake_guest {
	struct guest_memory memory;
	uint64_t next_free;
};

void fake_guest_init(struct fake_guest *guest, uint64_t size);
void fake_guest_release(struct fake_guest *guest);
uint64_t fake_guest_alloc(struct fake_guest *guest, uint64_t length, uint64_t alignment);
uint64_t fake_guest_store(struct fake_guest *guest, const void *data, uint64_t length);
void *fake_guest_host(struct fake_guest *guest, uint64_t gpa);

/* Plays the driver's side of one split virtqueue (virtio 1.x 2.7). */
struct virtq_helper {
	struct fake_guest *guest;
	struct virtqueue *queue;
	uint16_t size;
	uint16_t next_descriptor;
	uint16_t available_index;
	uint16_t used_seen;
};

struct chain_buffer {
	uint64_t gpa;
	uint32_t length;
	bool device_writes;
};

void virtq_helper_init(struct virtq_helper *helper, struct fake_guest *guest,
		       struct virtqueue *queue, uint16_t size);
/* Writes the chain into the descriptor table and makes it available; returns its head. */
uint16_t virtq_helper_add(struct virtq_helper *helper, const struct chain_buffer *buffers,
			  unsigned count);
/* Raw access for tests that break the rules. */
void virtq_helper_set_desc(struct virtq_helper *helper, uint16_t index, uint64_t gpa,
			   uint32_t length, uint16_t flags, uint16_t next);
void virtq_helper_publish(struct virtq_helper *helper, uint16_t head);
/* Next used element, if the device produced one. */
bool virtq_helper_used(struct virtq_helper *helper, uint32_t *id, uint32_t *length);

/* Puts a device in DRIVER_OK with VERSION_1, as a driver would. */
void device_make_running(struct virtio_device *device);
extern unsigned interrupts_seen;
void count_interrupt(struct virtio_device *device);

void test_virtqueue(void);
void test_virtio_mmio(void);
void test_virtio_blk(void);
void test_disk_file(void);
void test_uart(void);
void test_rfb(void);
void test_vnc(void);
void test_devices(void);
void test_net_tap(void);
void test_x86(void);
void test_acpi(void);
void test_config(void);
void test_log(void);
void test_sandbox(void);

#endif

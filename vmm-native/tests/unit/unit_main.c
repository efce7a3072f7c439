#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "unit.h"

/* "asan unit" when built with the sanitizers (make asan-test). */
#ifndef UNIT_TIER
#define UNIT_TIER "unit"
#endif

unsigned unit_checks, unit_failures;
unsigned interrupts_seen;

void fake_guest_init(struct fake_guest *guest, uint64_t size)
{
	if (guest_memory_allocate(&guest->memory, size) < 0) {
		perror("guest memory");
		exit(1);
	}
	guest->next_free = 0x1000;
}

void fake_guest_release(struct fake_guest *guest)
{
	guest_memory_release(&guest->memory);
}

uint64_t fake_guest_alloc(struct fake_guest *guest, uint64_t length, uint64_t alignment)
{
	uint64_t gpa = (guest->next_free + alignment - 1) & ~(alignment - 1);
	guest->next_free = gpa + length;
	if (guest->next_free > guest->memory.size) {
		fprintf(stderr, "fake guest out of memory\n");
		exit(1);
	}
	return gpa;
}

uint64_t fake_guest_store(struct fake_guest *guest, const void *data, uint64_t length)
{
	uint64_t gpa = fake_guest_alloc(guest, length, 8);
	memcpy(fake_guest_host(guest, gpa), data, length);
	return gpa;
}

void *fake_guest_host(struct fake_guest *guest, uint64_t gpa)
{
	return guest_memory_pointer(&guest->memory, gpa, 1);
}

void virtq_helper_init(struct virtq_helper *helper, struct fake_guest *guest,
		       struct virtqueue *queue, uint16_t size)
{
	memset(helper, 0, sizeof(*helper));
	helper->guest = guest;
	helper->queue = queue;
	helper->size = size;
	virtqueue_reset(queue);
	queue->size = size;
	queue->desc_address = fake_guest_alloc(guest, 16ULL * size, 16);
	queue->driver_address = fake_guest_alloc(guest, 6 + 2ULL * size, 2);
	queue->device_address = fake_guest_alloc(guest, 6 + 8ULL * size, 4);
	queue->ready = true;
}

void virtq_helper_set_desc(struct virtq_helper *helper, uint16_t index, uint64_t gpa,
			   uint32_t length, uint16_t flags, uint16_t next)
{
	struct virtq_desc *table = fake_guest_host(helper->guest, helper->queue->desc_address);
	table[index] = (struct virtq_desc){ gpa, length, flags, next };
}

void virtq_helper_publish(struct virtq_helper *helper, uint16_t head)
{
	struct virtq_avail *avail = fake_guest_host(helper->guest, helper->queue->driver_address);
	avail->ring[helper->available_index % helper->size] = head;
	helper->available_index++;
	__atomic_store_n(&avail->index, helper->available_index, __ATOMIC_RELEASE);
}

uint16_t virtq_helper_add(struct virtq_helper *helper, const struct chain_buffer *buffers,
			  unsigned count)
{
	uint16_t head = helper->next_descriptor;

	for (unsigned i = 0; i < count; i++) {
		uint16_t index = (uint16_t)((head + i) % helper->size);
		uint16_t next = (uint16_t)((head + i + 1) % helper->size);
		uint16_t flags = (uint16_t)((i + 1 < count ? VIRTQ_DESC_F_NEXT : 0) |
					    (buffers[i].device_writes ? VIRTQ_DESC_F_WRITE : 0));
		virtq_helper_set_desc(helper, index, buffers[i].gpa, buffers[i].length, flags, next);
	}
	helper->next_descriptor = (uint16_t)((head + count) % helper->size);
	virtq_helper_publish(helper, head);
	return head;
}

bool virtq_helper_used(struct virtq_helper *helper, uint32_t *id, uint32_t *length)
{
	struct virtq_used *used = fake_guest_host(helper->guest, helper->queue->device_address);

	if (__atomic_load_n(&used->index, __ATOMIC_ACQUIRE) == helper->used_seen)
		return false;
	*id = used->ring[helper->used_seen % helper->size].id;
	*length = used->ring[helper->used_seen % helper->size].length;
	helper->used_seen++;
	return true;
}

void count_interrupt(struct virtio_device *device)
{
	(void)device;
	interrupts_seen++;
}

void device_make_running(struct virtio_device *device)
{
	device->driver_features = VIRTIO_FEATURE_VERSION_1;
	device->status = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
			 VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK;
	device->interrupt = count_interrupt;
}

static const struct {
	const char *name;
	void (*run)(void);
} suites[] = {
	{ "virtqueue", test_virtqueue },
	{ "virtio-mmio", test_virtio_mmio },
	{ "virtio-blk", test_virtio_blk },
	{ "disk-file", test_disk_file },
	{ "uart8250", test_uart },
	{ "rfb", test_rfb },
	{ "vnc-server", test_vnc },
	{ "devices", test_devices },
	{ "net-tap", test_net_tap },
	{ "x86", test_x86 },
	{ "acpi", test_acpi },
	{ "config", test_config },
	{ "log", test_log },
	{ "sandbox", test_sandbox },
};

int main(void)
{
	unsigned suites_passed = 0, suites_failed = 0;

	log_threshold = LOG_LEVEL_NONE; /* the tests provoke errors on purpose */
	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
		unsigned failures_before = unit_failures;
		suites[i].run();
		if (unit_failures == failures_before) {
			suites_passed++;
			printf("PASS  " UNIT_TIER ": %s\n", suites[i].name);
		} else {
			suites_failed++;
			printf("FAIL  " UNIT_TIER ": %s\n", suites[i].name);
		}
	}
	printf(UNIT_TIER " tests: %u passed, %u failed (%u checks, %u failed)\n", suites_passed,
	       suites_failed, unit_checks, unit_failures);
	return suites_failed ? 1 : 0;
}

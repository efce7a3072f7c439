/*
 * Block requests straight from hostile guest memory: descriptor chains,
 * request headers, sectors and discard segments, served against a small
 * in-memory disk.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "devices.h"
#include "log.h"

#define FUZZ_MEMORY (64 * 1024)
#define QUEUE_SIZE 16
#define DESC_ADDRESS 0x0000
#define AVAIL_ADDRESS 0x0100
#define USED_ADDRESS 0x0200

static struct guest_memory memory;
static struct disk_file disk;
static struct virtio_device *device;

static void no_interrupt(struct virtio_device *unused)
{
	(void)unused;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!device) {
		log_threshold = LOG_LEVEL_ERROR;
		int fd = memfd_create("fuzz-disk", MFD_CLOEXEC);
		if (fd < 0 || ftruncate(fd, 64 * 1024) < 0 || guest_memory_allocate(&memory, FUZZ_MEMORY) < 0)
			abort();
		disk = (struct disk_file){ .fd = fd, .size = 64 * 1024, .read_only = false };
		if (virtio_blk_init(&device, &memory, &disk, false) < 0)
			abort();
	}
	if (size < 2)
		return 0;
	disk.read_only = data[0] & 1;
	virtio_device_reset(device);
	device->interrupt = no_interrupt;
	device->driver_features = VIRTIO_FEATURE_VERSION_1;
	device->status = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
			 VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK;
	struct virtqueue *queue = &device->queues[0];
	queue->size = QUEUE_SIZE;
	queue->desc_address = DESC_ADDRESS;
	queue->driver_address = AVAIL_ADDRESS;
	queue->device_address = USED_ADDRESS;
	queue->ready = true;
	memset(memory.host_base, 0, FUZZ_MEMORY);
	memcpy(memory.host_base, data + 1, size - 1 < FUZZ_MEMORY ? size - 1 : FUZZ_MEMORY);

	pthread_mutex_lock(&device->lock);
	device->ops->queue_notify(device, 0);
	pthread_mutex_unlock(&device->lock);
	return 0;
}

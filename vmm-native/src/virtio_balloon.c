/* virtio memory balloon (virtio 1.x section 5.5): pages the guest gives back. */
#include <errno.h>
#include <linux/virtio_balloon.h>
#include <stdlib.h>
#include <string.h>

#include "devices.h"
#include "log.h"

#define BALLOON_QUEUE_SIZE 128
#define BALLOON_INFLATE_QUEUE 0
#define BALLOON_DEFLATE_QUEUE 1
#define BALLOON_PAGE_SHIFT 12 /* 5.5.6: page frame numbers count 4096-byte pages */

struct virtio_balloon {
	struct virtio_device device;
	uint32_t target_pages;  /* num_pages: what the host asks for */
	uint32_t actual_pages;  /* actual: what the driver reports it holds */
	struct virtq_chain chain;
};

static uint64_t balloon_features(struct virtio_device *device)
{
	(void)device;
	return 1ULL << VIRTIO_BALLOON_F_DEFLATE_ON_OOM;
}

static void balloon_read_config(struct virtio_device *device, uint32_t offset, uint8_t *data,
				uint32_t size)
{
	struct virtio_balloon *balloon = device->state;
	struct virtio_balloon_config config;

	memset(&config, 0, sizeof(config));
	config.num_pages = balloon->target_pages;
	config.actual = balloon->actual_pages;
	if (offset + size <= sizeof(config))
		memcpy(data, (uint8_t *)&config + offset, size);
}

static void balloon_write_config(struct virtio_device *device, uint32_t offset,
				 const uint8_t *data, uint32_t size)
{
	struct virtio_balloon *balloon = device->state;

	/* Only "actual" (offset 4) is driver-writable. */
	if (offset == 4 && size == 4)
		memcpy(&balloon->actual_pages, data, 4);
}

static void balloon_queue_notify(struct virtio_device *device, uint16_t queue_index)
{
	struct virtio_balloon *balloon = device->state;
	struct virtqueue *queue = &device->queues[queue_index];
	bool completed = false;
	int ret;

	while ((ret = virtqueue_pop(queue, device->memory, &balloon->chain)) == 1) {
		if (queue_index == BALLOON_INFLATE_QUEUE) {
			for (uint64_t offset = 0; offset + 4 <= balloon->chain.readable_bytes;
			     offset += 4) {
				uint32_t frame;
				virtq_chain_read(&balloon->chain, offset, &frame, 4);
				/* A frame outside RAM is the guest's mistake; skip it. */
				if (guest_memory_discard(device->memory,
							 (uint64_t)frame << BALLOON_PAGE_SHIFT,
							 1ULL << BALLOON_PAGE_SHIFT) < 0)
					atomic_fetch_add(&device->errors, 1);
			}
		}
		/* Deflated pages need nothing: touching them faults fresh zero pages in. */
		virtqueue_push(queue, device->memory, balloon->chain.head, 0);
		completed = true;
	}
	if (ret < 0)
		virtio_device_fail(device, "malformed descriptor chain", ret);
	if (completed)
		virtio_device_signal_used(device, queue_index);
}

static const struct virtio_dev_ops virtio_balloon_ops = {
	.name = "balloon",
	.device_id = 5,
	.queue_count = 2,
	.queue_max_size = BALLOON_QUEUE_SIZE,
	.config_size = sizeof(struct virtio_balloon_config),
	.features = balloon_features,
	.read_config = balloon_read_config,
	.write_config = balloon_write_config,
	.queue_notify = balloon_queue_notify,
};

int virtio_balloon_init(struct virtio_device **device, const struct guest_memory *memory)
{
	struct virtio_balloon *balloon = calloc(1, sizeof(*balloon));

	if (!balloon)
		return -ENOMEM;
	virtio_device_init(&balloon->device, &virtio_balloon_ops, balloon, memory);
	*device = &balloon->device;
	return 0;
}

void virtio_balloon_set_target(struct virtio_device *device, uint32_t pages)
{
	struct virtio_balloon *balloon = device->state;

	pthread_mutex_lock(&device->lock);
	balloon->target_pages = pages;
	virtio_device_config_changed(device);
	pthread_mutex_unlock(&device->lock);
}

uint32_t virtio_balloon_actual_pages(struct virtio_device *device)
{
	struct virtio_balloon *balloon = device->state;

	pthread_mutex_lock(&device->lock);
	uint32_t pages = balloon->actual_pages;
	pthread_mutex_unlock(&device->lock);
	return pages;
}

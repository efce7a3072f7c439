/* virtio entropy device (virtio 1.x section 5.4). */
#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>

#include "devices.h"

#define RNG_QUEUE_SIZE 64

struct virtio_rng {
	struct virtio_device device;
	struct virtq_chain chain;
};

static uint64_t rng_features(struct virtio_device *device)
{
	(void)device;
	return 0;
}

static void rng_queue_notify(struct virtio_device *device, uint16_t queue_index)
{
	struct virtio_rng *rng = device->state;
	struct virtqueue *queue = &device->queues[queue_index];
	bool completed = false;
	int ret;

	while ((ret = virtqueue_pop(queue, device->memory, &rng->chain)) == 1) {
		uint32_t written = 0;
		/* 5.4.6: the device fills device-writable buffers with random bytes. */
		for (unsigned i = rng->chain.readable_count;
		     i < rng->chain.readable_count + rng->chain.writable_count; i++) {
			struct virtq_buffer *buffer = &rng->chain.buffers[i];
			ssize_t got = getrandom(buffer->host, buffer->length, GRND_NONBLOCK);
			if (got > 0)
				written += (uint32_t)got;
			if (got != (ssize_t)buffer->length)
				break;
		}
		virtqueue_push(queue, device->memory, rng->chain.head, written);
		completed = true;
	}
	if (ret < 0)
		virtio_device_fail(device, "malformed descriptor chain", ret);
	if (completed)
		virtio_device_signal_used(device, queue_index);
}

static const struct virtio_dev_ops virtio_rng_ops = {
	.name = "rng",
	.device_id = 4,
	.queue_count = 1,
	.queue_max_size = RNG_QUEUE_SIZE,
	.config_size = 0,
	.features = rng_features,
	.queue_notify = rng_queue_notify,
};

int virtio_rng_init(struct virtio_device **device, const struct guest_memory *memory)
{
	struct virtio_rng *rng = calloc(1, sizeof(*rng));

	if (!rng)
		return -ENOMEM;
	virtio_device_init(&rng->device, &virtio_rng_ops, rng, memory);
	*device = &rng->device;
	return 0;
}

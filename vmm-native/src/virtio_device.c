#include "virtio.h"

#include <string.h>

#include "log.h"

void virtio_device_init(struct virtio_device *device, const struct virtio_dev_ops *ops,
			void *state, const struct guest_memory *memory)
{
	memset(device, 0, sizeof(*device));
	device->ops = ops;
	device->state = state;
	device->memory = memory;
	pthread_mutex_init(&device->lock, NULL);
	atomic_init(&device->errors, 0);
}

bool virtio_device_running(const struct virtio_device *device)
{
	return (device->status & VIRTIO_STATUS_DRIVER_OK) &&
	       !(device->status & (VIRTIO_STATUS_DEVICE_NEEDS_RESET | VIRTIO_STATUS_FAILED));
}

bool virtio_device_has_feature(const struct virtio_device *device, unsigned bit)
{
	return bit < 64 && (device->driver_features & (1ULL << bit));
}

void virtio_device_signal_used(struct virtio_device *device, uint16_t queue)
{
	if (queue < VIRTIO_MAX_QUEUES && !virtqueue_should_interrupt(&device->queues[queue], device->memory))
		return;
	device->interrupt_status |= VIRTIO_INTERRUPT_USED_BUFFER;
	if (device->interrupt)
		device->interrupt(device);
}

void virtio_device_config_changed(struct virtio_device *device)
{
	device->config_generation++;
	device->interrupt_status |= VIRTIO_INTERRUPT_CONFIG_CHANGE;
	if (device->interrupt)
		device->interrupt(device);
}

void virtio_device_fail(struct virtio_device *device, const char *reason, int error)
{
	atomic_fetch_add(&device->errors, 1);
	log_limited(&device->error_log_limit, LOG_LEVEL_WARN,
		    "virtio-%s: %s (error %d): device needs reset", device->ops->name, reason, error);
	if (device->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET)
		return;
	device->status |= VIRTIO_STATUS_DEVICE_NEEDS_RESET;
	virtio_device_config_changed(device);
}

void virtio_device_reset(struct virtio_device *device)
{
	/* The frontend first: it may have to wait for requests that still use the queues. */
	if (device->ops->reset)
		device->ops->reset(device);
	for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++)
		virtqueue_reset(&device->queues[i]);
	device->driver_features = 0;
	device->status = 0;
	device->interrupt_status = 0;
}

#include "virtio_mmio.h"

#include <string.h>

#include "log.h"

/* Register offsets (virtio 1.x section 4.2.2, table "MMIO Device Register Layout"). */
enum {
	MMIO_MAGIC_VALUE = 0x000,          /* "virt" */
	MMIO_VERSION = 0x004,              /* 2: non-legacy */
	MMIO_DEVICE_ID = 0x008,
	MMIO_VENDOR_ID = 0x00c,
	MMIO_DEVICE_FEATURES = 0x010,
	MMIO_DEVICE_FEATURES_SELECT = 0x014,
	MMIO_DRIVER_FEATURES = 0x020,
	MMIO_DRIVER_FEATURES_SELECT = 0x024,
	MMIO_QUEUE_SELECT = 0x030,
	MMIO_QUEUE_NUM_MAX = 0x034,
	MMIO_QUEUE_NUM = 0x038,
	MMIO_QUEUE_READY = 0x044,
	MMIO_QUEUE_NOTIFY = VIRTIO_MMIO_QUEUE_NOTIFY,
	MMIO_INTERRUPT_STATUS = 0x060,
	MMIO_INTERRUPT_ACK = 0x064,
	MMIO_STATUS = 0x070,
	MMIO_QUEUE_DESC_LOW = 0x080,
	MMIO_QUEUE_DESC_HIGH = 0x084,
	MMIO_QUEUE_DRIVER_LOW = 0x090,
	MMIO_QUEUE_DRIVER_HIGH = 0x094,
	MMIO_QUEUE_DEVICE_LOW = 0x0a0,
	MMIO_QUEUE_DEVICE_HIGH = 0x0a4,
	MMIO_SHM_SELECT = 0x0ac,
	MMIO_SHM_LENGTH_LOW = 0x0b0,
	MMIO_SHM_LENGTH_HIGH = 0x0b4,
	MMIO_SHM_BASE_LOW = 0x0b8,
	MMIO_SHM_BASE_HIGH = 0x0bc,
	MMIO_CONFIG_GENERATION = 0x0fc,
	MMIO_CONFIG = 0x100,
};

#define MMIO_MAGIC 0x74726976 /* "virt", little endian */
#define MMIO_VENDOR 0x4d564d00 /* "\0MVM" */

static void mmio_interrupt(struct virtio_device *device)
{
	struct virtio_mmio *transport = device->transport;

	transport->trigger_irq(transport->irq_opaque, transport->irq);
}

void virtio_mmio_init(struct virtio_mmio *transport, struct virtio_device *device, uint64_t base,
		      unsigned irq, void (*trigger_irq)(void *opaque, unsigned irq),
		      void *irq_opaque)
{
	memset(transport, 0, sizeof(*transport));
	transport->device = device;
	transport->base = base;
	transport->irq = irq;
	transport->trigger_irq = trigger_irq;
	transport->irq_opaque = irq_opaque;
	device->transport = transport;
	device->interrupt = mmio_interrupt;
}

static uint64_t device_features(struct virtio_device *device)
{
	return device->ops->features(device) | VIRTIO_FEATURE_VERSION_1 | VIRTIO_FEATURE_RING_EVENT_IDX;
}

static struct virtqueue *selected_queue(struct virtio_mmio *transport)
{
	if (transport->queue_select >= transport->device->ops->queue_count)
		return NULL;
	return &transport->device->queues[transport->queue_select];
}

static uint32_t mmio_register_read(struct virtio_mmio *transport, uint64_t offset)
{
	struct virtio_device *device = transport->device;
	struct virtqueue *queue = selected_queue(transport);

	switch (offset) {
	case MMIO_MAGIC_VALUE:
		return MMIO_MAGIC;
	case MMIO_VERSION:
		return 2;
	case MMIO_DEVICE_ID:
		return device->ops->device_id;
	case MMIO_VENDOR_ID:
		return MMIO_VENDOR;
	case MMIO_DEVICE_FEATURES:
		if (transport->device_features_select > 1)
			return 0;
		return (uint32_t)(device_features(device) >> (32 * transport->device_features_select));
	case MMIO_QUEUE_NUM_MAX:
		return queue ? device->ops->queue_max_size : 0;
	case MMIO_QUEUE_READY:
		return queue ? queue->ready : 0;
	case MMIO_INTERRUPT_STATUS:
		return device->interrupt_status;
	case MMIO_STATUS:
		return device->status;
	case MMIO_SHM_LENGTH_LOW:
	case MMIO_SHM_LENGTH_HIGH:
		return 0xffffffff; /* no shared memory regions */
	case MMIO_CONFIG_GENERATION:
		return device->config_generation;
	default:
		return 0;
	}
}

static void mmio_write_status(struct virtio_mmio *transport, uint32_t value)
{
	struct virtio_device *device = transport->device;

	if (value == 0) {
		virtio_device_reset(device);
		return;
	}
	/* 3.1.1: FEATURES_OK only sticks when we can live with the driver's features. */
	if ((value & VIRTIO_STATUS_FEATURES_OK) && !(device->status & VIRTIO_STATUS_FEATURES_OK)) {
		uint64_t offered = device_features(device);
		if ((device->driver_features & ~offered) ||
		    !(device->driver_features & VIRTIO_FEATURE_VERSION_1))
			value &= ~(uint32_t)VIRTIO_STATUS_FEATURES_OK;
	}
	bool becomes_ready = (value & VIRTIO_STATUS_DRIVER_OK) && !(device->status & VIRTIO_STATUS_DRIVER_OK);
	device->status = (value & 0xff) | (device->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	if (becomes_ready && device->ops->driver_ready)
		device->ops->driver_ready(device);
}

/* Device lock held. */
static void queue_notify(struct virtio_device *device, uint32_t queue)
{
	if (queue >= device->ops->queue_count) {
		virtio_device_fail(device, "notify for a queue that does not exist", (int)queue);
		return;
	}
	if (virtio_device_running(device) && device->queues[queue].ready)
		device->ops->queue_notify(device, (uint16_t)queue);
}

void virtio_mmio_queue_notify(struct virtio_mmio *transport, uint32_t queue)
{
	struct virtio_device *device = transport->device;

	pthread_mutex_lock(&device->lock);
	queue_notify(device, queue);
	pthread_mutex_unlock(&device->lock);
}

static void mmio_register_write(struct virtio_mmio *transport, uint64_t offset, uint32_t value)
{
	struct virtio_device *device = transport->device;
	struct virtqueue *queue = selected_queue(transport);
	bool queue_writable = queue && !queue->ready;

	switch (offset) {
	case MMIO_DEVICE_FEATURES_SELECT:
		transport->device_features_select = value;
		break;
	case MMIO_DRIVER_FEATURES_SELECT:
		transport->driver_features_select = value;
		break;
	case MMIO_DRIVER_FEATURES:
		if (device->status & VIRTIO_STATUS_FEATURES_OK)
			break;
		if (transport->driver_features_select == 0)
			device->driver_features = (device->driver_features & ~0xffffffffULL) | value;
		else if (transport->driver_features_select == 1)
			device->driver_features =
				(device->driver_features & 0xffffffffULL) | ((uint64_t)value << 32);
		break;
	case MMIO_QUEUE_SELECT:
		transport->queue_select = value;
		break;
	case MMIO_QUEUE_NUM:
		if (queue_writable) {
			if (value == 0 || value > device->ops->queue_max_size || (value & (value - 1)))
				virtio_device_fail(device, "invalid queue size", (int)value);
			else
				queue->size = (uint16_t)value;
		}
		break;
	case MMIO_QUEUE_READY:
		if (!queue)
			break;
		if (value & 1) {
			/*
			 * Split virtqueue alignment (virtio 1.2 2.7): descriptor table 16,
			 * available ring 2, used ring 4 bytes. The device reads and writes
			 * the rings in place, so a misaligned one is refused, not used.
			 */
			if ((queue->desc_address & 15) || (queue->driver_address & 1) ||
			    (queue->device_address & 3)) {
				virtio_device_fail(device, "misaligned virtqueue", (int)transport->queue_select);
				break;
			}
			if (queue->size == 0)
				queue->size = device->ops->queue_max_size;
			/* features are final before queues are set up (3.1.1) */
			queue->event_index = virtio_device_has_feature(device, VIRTIO_RING_F_EVENT_IDX_BIT);
			queue->ready = true;
		} else {
			virtqueue_reset(queue);
		}
		break;
	case MMIO_QUEUE_NOTIFY:
		queue_notify(device, value);
		break;
	case MMIO_INTERRUPT_ACK:
		device->interrupt_status &= ~value;
		break;
	case MMIO_STATUS:
		mmio_write_status(transport, value);
		break;
	case MMIO_QUEUE_DESC_LOW:
		if (queue_writable)
			queue->desc_address = (queue->desc_address & ~0xffffffffULL) | value;
		break;
	case MMIO_QUEUE_DESC_HIGH:
		if (queue_writable)
			queue->desc_address = (queue->desc_address & 0xffffffffULL) | ((uint64_t)value << 32);
		break;
	case MMIO_QUEUE_DRIVER_LOW:
		if (queue_writable)
			queue->driver_address = (queue->driver_address & ~0xffffffffULL) | value;
		break;
	case MMIO_QUEUE_DRIVER_HIGH:
		if (queue_writable)
			queue->driver_address =
				(queue->driver_address & 0xffffffffULL) | ((uint64_t)value << 32);
		break;
	case MMIO_QUEUE_DEVICE_LOW:
		if (queue_writable)
			queue->device_address = (queue->device_address & ~0xffffffffULL) | value;
		break;
	case MMIO_QUEUE_DEVICE_HIGH:
		if (queue_writable)
			queue->device_address =
				(queue->device_address & 0xffffffffULL) | ((uint64_t)value << 32);
		break;
	default:
		break;
	}
}

void virtio_mmio_access(void *opaque, uint64_t offset, uint8_t *data, uint32_t size,
			bool is_write)
{
	struct virtio_mmio *transport = opaque;
	struct virtio_device *device = transport->device;

	pthread_mutex_lock(&device->lock);
	if (offset >= MMIO_CONFIG) {
		uint64_t config_offset = offset - MMIO_CONFIG;
		if (size > 8 || config_offset + size > device->ops->config_size) {
			if (!is_write)
				memset(data, 0, size);
		} else if (is_write) {
			if (device->ops->write_config)
				device->ops->write_config(device, (uint32_t)config_offset, data, size);
		} else {
			memset(data, 0, size);
			if (device->ops->read_config)
				device->ops->read_config(device, (uint32_t)config_offset, data, size);
		}
	} else if (size != 4 || (offset & 3)) {
		/* 4.2.2.2: registers below 0x100 are accessed as aligned 32-bit words. */
		if (!is_write)
			memset(data, 0, size);
	} else if (is_write) {
		uint32_t value;
		memcpy(&value, data, 4);
		mmio_register_write(transport, offset, value);
	} else {
		uint32_t value = mmio_register_read(transport, offset);
		memcpy(data, &value, 4);
	}
	pthread_mutex_unlock(&device->lock);
}

/* virtio over MMIO, version 2 register layout (virtio 1.x section 4.2). */
#ifndef MVM_VIRTIO_MMIO_H
#define MVM_VIRTIO_MMIO_H

#include <stdbool.h>
#include <stdint.h>

#include "virtio.h"

#define VIRTIO_MMIO_REGION_SIZE 0x1000
/* QueueNotify (4.2.2): the driver writes the queue's index here. */
#define VIRTIO_MMIO_QUEUE_NOTIFY 0x050

struct virtio_mmio {
	struct virtio_device *device;
	uint64_t base;                 /* guest physical address of the register window */
	unsigned irq;                  /* GSI the device interrupts on */
	uint32_t device_features_select;
	uint32_t driver_features_select;
	uint32_t queue_select;
	void (*trigger_irq)(void *opaque, unsigned irq);
	void *irq_opaque;
};

void virtio_mmio_init(struct virtio_mmio *transport, struct virtio_device *device, uint64_t base,
		      unsigned irq, void (*trigger_irq)(void *opaque, unsigned irq),
		      void *irq_opaque);
/*
 * The driver notified queue: what a write of queue to QueueNotify does, for
 * notifications that reach the monitor another way (an ioeventfd). Takes the
 * device lock.
 */
void virtio_mmio_queue_notify(struct virtio_mmio *transport, uint32_t queue);
/* An io_bus handler: offset is relative to base. */
void virtio_mmio_access(void *opaque, uint64_t offset, uint8_t *data, uint32_t size,
			bool is_write);

#endif

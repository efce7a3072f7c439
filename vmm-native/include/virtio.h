/*
 * A virtio device as its transport sees it: device frontends fill one
 * struct virtio_dev_ops and never know which transport carries them.
 */
#ifndef MVM_VIRTIO_H
#define MVM_VIRTIO_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "guest_memory.h"
#include "log.h"
#include "virtqueue.h"

#define VIRTIO_MAX_QUEUES 4

/* Device status bits (virtio 1.x section 2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER 2
#define VIRTIO_STATUS_DRIVER_OK 4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_DEVICE_NEEDS_RESET 0x40
#define VIRTIO_STATUS_FAILED 0x80

#define VIRTIO_FEATURE_VERSION_1 (1ULL << 32)
/* VIRTIO_RING_F_EVENT_IDX (6.): used_event / avail_event instead of the rings' flags */
#define VIRTIO_RING_F_EVENT_IDX_BIT 29
#define VIRTIO_FEATURE_RING_EVENT_IDX (1ULL << VIRTIO_RING_F_EVENT_IDX_BIT)

/* InterruptStatus bits (4.2.2). */
#define VIRTIO_INTERRUPT_USED_BUFFER 1
#define VIRTIO_INTERRUPT_CONFIG_CHANGE 2

struct virtio_device;

struct virtio_dev_ops {
	const char *name;
	uint32_t device_id;      /* 5: "Device Types" */
	uint16_t queue_count;
	uint16_t queue_max_size;
	uint32_t config_size;
	uint64_t (*features)(struct virtio_device *device);
	void (*read_config)(struct virtio_device *device, uint32_t offset, uint8_t *data,
			    uint32_t size);
	void (*write_config)(struct virtio_device *device, uint32_t offset, const uint8_t *data,
			     uint32_t size);
	/*
	 * The driver set DRIVER_OK: the features it accepted are final (3.1.1);
	 * the device lock is held. Optional.
	 */
	void (*driver_ready)(struct virtio_device *device);
	/* The driver made buffers available on this queue; the device lock is held. */
	void (*queue_notify)(struct virtio_device *device, uint16_t queue);
	/*
	 * Driver wrote 0 to Status: forget all driver state; the device lock is
	 * held. Called before the queues are reset: a frontend that serves
	 * requests outside the lock waits here until they are done (2.4.1).
	 */
	void (*reset)(struct virtio_device *device);
};

struct virtio_device {
	const struct virtio_dev_ops *ops;
	void *state;                          /* the frontend's own struct */
	const struct guest_memory *memory;
	pthread_mutex_t lock;                 /* guards everything below */
	struct virtqueue queues[VIRTIO_MAX_QUEUES];
	uint64_t driver_features;
	uint32_t status;
	uint32_t interrupt_status;
	uint32_t config_generation;
	/* Set by the transport: deliver an interrupt to the guest. */
	void (*interrupt)(struct virtio_device *device);
	void *transport;
	atomic_uint_fast64_t errors;          /* malformed requests seen */
	struct log_limit error_log_limit;     /* the guest decides how often they come */
	atomic_uint_fast64_t bytes_to_guest;  /* block reads, received frames */
	atomic_uint_fast64_t bytes_from_guest; /* block writes, sent frames */
};

void virtio_device_init(struct virtio_device *device, const struct virtio_dev_ops *ops,
			void *state, const struct guest_memory *memory);
bool virtio_device_running(const struct virtio_device *device);
bool virtio_device_has_feature(const struct virtio_device *device, unsigned bit);
/* Publish used buffers of queue to the driver. */
void virtio_device_signal_used(struct virtio_device *device, uint16_t queue);
void virtio_device_config_changed(struct virtio_device *device);
/*
 * The guest broke the virtio contract: stop processing, set
 * DEVICE_NEEDS_RESET (2.1.2) and tell the driver through a configuration
 * change interrupt. The monitor keeps running.
 */
void virtio_device_fail(struct virtio_device *device, const char *reason, int error);
void virtio_device_reset(struct virtio_device *device);

#endif

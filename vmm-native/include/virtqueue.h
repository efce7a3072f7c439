/*
 * Split virtqueue walker (virtio 1.x section 2.7). The guest owns the rings,
 * so every index, length and address read from them is checked before use;
 * a chain that breaks a rule is reported as an error and never followed.
 */
#ifndef MVM_VIRTQUEUE_H
#define MVM_VIRTQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest_memory.h"

#define VIRTQ_MAX_SIZE 256

/* Descriptor table entry (2.7.5). */
struct virtq_desc {
	uint64_t address; /* guest physical address of the buffer */
	uint32_t length;  /* buffer length in bytes */
	uint16_t flags;   /* VIRTQ_DESC_F_* */
	uint16_t next;    /* index of the next descriptor when F_NEXT */
};

#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2    /* device writes (otherwise device reads) */
#define VIRTQ_DESC_F_INDIRECT 4 /* not offered by mvm */

/* Driver area ("available ring", 2.7.6). */
struct virtq_avail {
	uint16_t flags; /* VIRTQ_AVAIL_F_NO_INTERRUPT */
	uint16_t index; /* where the driver puts the next entry, free running */
	uint16_t ring[];
};
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1

/* Device area ("used ring", 2.7.8). */
struct virtq_used_element {
	uint32_t id;     /* head index of the completed chain */
	uint32_t length; /* bytes written into the chain's device-writable buffers */
};
struct virtq_used {
	uint16_t flags;
	uint16_t index;
	struct virtq_used_element ring[];
};

struct virtqueue {
	uint16_t size;            /* QueueNum, a power of two */
	bool ready;               /* QueueReady */
	uint64_t desc_address;    /* QueueDesc */
	uint64_t driver_address;  /* QueueDriver: available ring */
	uint64_t device_address;  /* QueueDevice: used ring */
	uint16_t next_available;  /* next available ring index the device reads */
	uint16_t next_used;       /* next used ring index the device writes */
	/*
	 * VIRTIO_RING_F_EVENT_IDX (2.7.7.2, 2.7.10): instead of flags, the driver
	 * names the used index it wants an interrupt at (used_event, after the
	 * available ring) and the device the available index it wants a
	 * notification at (avail_event, after the used ring).
	 */
	bool event_index;
	bool signalled_valid;     /* signalled_used is from an earlier decision */
	uint16_t signalled_used;  /* the used index at the last interrupt decision */
};

struct virtq_buffer {
	uint8_t *host;
	uint32_t length;
};

/* One descriptor chain: device-readable buffers first, then device-writable. */
struct virtq_chain {
	uint16_t head;
	unsigned readable_count;
	unsigned writable_count;
	uint64_t readable_bytes;
	uint64_t writable_bytes;
	struct virtq_buffer buffers[VIRTQ_MAX_SIZE];
};

void virtqueue_reset(struct virtqueue *queue);
/* 1: a chain was taken; 0: nothing available; negative errno: the ring is malformed. */
int virtqueue_pop(struct virtqueue *queue, const struct guest_memory *memory,
		  struct virtq_chain *chain);
int virtqueue_push(struct virtqueue *queue, const struct guest_memory *memory, uint16_t head,
		   uint32_t written);
/*
 * Whether the driver wants an interrupt for what was pushed since the last
 * decision: not when it set VIRTQ_AVAIL_F_NO_INTERRUPT (2.7.7), or, with
 * the event index, unless the used index passed its used_event (2.7.7.2).
 */
bool virtqueue_should_interrupt(struct virtqueue *queue, const struct guest_memory *memory);
bool virtqueue_has_available(const struct virtqueue *queue, const struct guest_memory *memory);

/* Copy out of the readable part / into the writable part, starting at offset. */
size_t virtq_chain_read(const struct virtq_chain *chain, uint64_t offset, void *destination,
			size_t length);
size_t virtq_chain_write(const struct virtq_chain *chain, uint64_t offset, const void *source,
			 size_t length);
/*
 * The chain's device-readable (writable false) or device-writable bytes [offset, offset + length)
 * as iovecs straight into guest memory, for a vectored read or write with no copy in between.
 * Returns how many entries it filled, or -1 when the range runs past the chain's bytes or needs
 * more than max entries.
 */
struct iovec;
int virtq_chain_iov(const struct virtq_chain *chain, bool writable, uint64_t offset, uint64_t length,
		    struct iovec *iov, int max);

#endif

#include "virtqueue.h"

#include <errno.h>
#include <string.h>
#include <sys/uio.h>

void virtqueue_reset(struct virtqueue *queue)
{
	memset(queue, 0, sizeof(*queue));
}

static struct virtq_avail *queue_avail(const struct virtqueue *queue,
				       const struct guest_memory *memory)
{
	/* flags, index, ring[size], used_event */
	return guest_memory_pointer(memory, queue->driver_address, 6 + 2ULL * queue->size);
}

static struct virtq_used *queue_used(const struct virtqueue *queue,
				     const struct guest_memory *memory)
{
	/* flags, index, ring[size], avail_event */
	return guest_memory_pointer(memory, queue->device_address, 6 + 8ULL * queue->size);
}

/* avail_event: the 16 bits after the used ring's elements. */
static void publish_avail_event(const struct virtqueue *queue, const struct guest_memory *memory)
{
	struct virtq_used *used = queue_used(queue, memory);

	if (used)
		__atomic_store_n((uint16_t *)&used->ring[queue->size], queue->next_available, __ATOMIC_RELAXED);
}

bool virtqueue_has_available(const struct virtqueue *queue, const struct guest_memory *memory)
{
	struct virtq_avail *avail;

	if (!queue->ready || queue->size == 0)
		return false;
	avail = queue_avail(queue, memory);
	if (!avail)
		return false;
	return __atomic_load_n(&avail->index, __ATOMIC_ACQUIRE) != queue->next_available;
}

int virtqueue_pop(struct virtqueue *queue, const struct guest_memory *memory,
		  struct virtq_chain *chain)
{
	struct virtq_desc *table;
	struct virtq_avail *avail;
	uint16_t available_index, head, index;
	unsigned count = 0;

	if (!queue->ready || queue->size == 0 || queue->size > VIRTQ_MAX_SIZE ||
	    (queue->size & (queue->size - 1)))
		return -EINVAL;
	avail = queue_avail(queue, memory);
	table = guest_memory_pointer(memory, queue->desc_address,
				     sizeof(struct virtq_desc) * (uint64_t)queue->size);
	if (!avail || !table || !queue_used(queue, memory))
		return -EFAULT;

	available_index = __atomic_load_n(&avail->index, __ATOMIC_ACQUIRE);
	if (available_index == queue->next_available) {
		if (!queue->event_index)
			return 0;
		/*
		 * Idle: ask for a notification when the driver makes the next
		 * entry available, then look again, since the driver may have
		 * published it before it could see the request (2.7.10).
		 */
		publish_avail_event(queue, memory);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		available_index = __atomic_load_n(&avail->index, __ATOMIC_ACQUIRE);
		if (available_index == queue->next_available)
			return 0;
	}
	/* The driver can never be more than a ring ahead of the device. */
	if ((uint16_t)(available_index - queue->next_available) > queue->size)
		return -EINVAL;

	head = __atomic_load_n(&avail->ring[queue->next_available % queue->size], __ATOMIC_RELAXED);
	if (head >= queue->size)
		return -EINVAL;

	memset(chain, 0, offsetof(struct virtq_chain, buffers));
	chain->head = head;
	index = head;
	for (;;) {
		struct virtq_desc desc;
		uint8_t *host;

		/* A chain longer than the table must revisit a descriptor: a loop. */
		if (count == queue->size)
			return -ELOOP;
		memcpy(&desc, &table[index], sizeof(desc));
		if (desc.flags & VIRTQ_DESC_F_INDIRECT)
			return -EINVAL;
		host = guest_memory_pointer(memory, desc.address, desc.length);
		if (!host)
			return -EFAULT;
		if (desc.flags & VIRTQ_DESC_F_WRITE) {
			chain->writable_count++;
			chain->writable_bytes += desc.length;
		} else {
			/* 2.7.4.2: readable descriptors come before writable ones. */
			if (chain->writable_count)
				return -EINVAL;
			chain->readable_count++;
			chain->readable_bytes += desc.length;
		}
		chain->buffers[count].host = host;
		chain->buffers[count].length = desc.length;
		count++;
		if (!(desc.flags & VIRTQ_DESC_F_NEXT))
			break;
		if (desc.next >= queue->size)
			return -EINVAL;
		index = desc.next;
	}
	queue->next_available++;
	return 1;
}

int virtqueue_push(struct virtqueue *queue, const struct guest_memory *memory, uint16_t head,
		   uint32_t written)
{
	struct virtq_used *used = queue_used(queue, memory);

	if (!used || queue->size == 0)
		return -EFAULT;
	used->ring[queue->next_used % queue->size].id = head;
	used->ring[queue->next_used % queue->size].length = written;
	queue->next_used++;
	/* The element must be visible before the index that publishes it (2.7.8.2). */
	__atomic_store_n(&used->index, queue->next_used, __ATOMIC_RELEASE);
	return 0;
}

bool virtqueue_should_interrupt(struct virtqueue *queue, const struct guest_memory *memory)
{
	struct virtq_avail *avail = queue_avail(queue, memory);

	/* The used index must be visible before the driver's wishes are read (2.7.7). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!avail)
		return false;
	if (!queue->event_index)
		return !(__atomic_load_n(&avail->flags, __ATOMIC_RELAXED) & VIRTQ_AVAIL_F_NO_INTERRUPT);
	uint16_t previous = queue->signalled_used, now = queue->next_used;
	bool valid = queue->signalled_valid;
	queue->signalled_used = now;
	queue->signalled_valid = true;
	if (!valid)
		return true;
	uint16_t used_event = __atomic_load_n(&avail->ring[queue->size], __ATOMIC_RELAXED);
	/* vring_need_event: used_event lies in [previous, now), modulo 2^16 (2.7.10.1). */
	return (uint16_t)(now - used_event - 1) < (uint16_t)(now - previous);
}

size_t virtq_chain_read(const struct virtq_chain *chain, uint64_t offset, void *destination,
			size_t length)
{
	size_t copied = 0;

	for (unsigned i = 0; i < chain->readable_count && copied < length; i++) {
		const struct virtq_buffer *buffer = &chain->buffers[i];
		if (offset >= buffer->length) {
			offset -= buffer->length;
			continue;
		}
		size_t piece = buffer->length - offset;
		if (piece > length - copied)
			piece = length - copied;
		memcpy((uint8_t *)destination + copied, buffer->host + offset, piece);
		copied += piece;
		offset = 0;
	}
	return copied;
}

size_t virtq_chain_write(const struct virtq_chain *chain, uint64_t offset, const void *source,
			 size_t length)
{
	size_t copied = 0;

	for (unsigned i = chain->readable_count;
	     i < chain->readable_count + chain->writable_count && copied < length; i++) {
		const struct virtq_buffer *buffer = &chain->buffers[i];
		if (offset >= buffer->length) {
			offset -= buffer->length;
			continue;
		}
		size_t piece = buffer->length - offset;
		if (piece > length - copied)
			piece = length - copied;
		memcpy(buffer->host + offset, (const uint8_t *)source + copied, piece);
		copied += piece;
		offset = 0;
	}
	return copied;
}

int virtq_chain_iov(const struct virtq_chain *chain, bool writable, uint64_t offset, uint64_t length,
		    struct iovec *iov, int max)
{
	unsigned first = writable ? chain->readable_count : 0;
	unsigned end = writable ? chain->readable_count + chain->writable_count : chain->readable_count;
	int count = 0;

	for (unsigned i = first; i < end && length > 0; i++) {
		const struct virtq_buffer *buffer = &chain->buffers[i];
		if (offset >= buffer->length) {
			offset -= buffer->length;
			continue;
		}
		uint64_t piece = buffer->length - offset;
		if (piece > length)
			piece = length;
		if (count == max)
			return -1;
		iov[count].iov_base = buffer->host + offset;
		iov[count].iov_len = (size_t)piece;
		count++;
		length -= piece;
		offset = 0;
	}
	return length == 0 ? count : -1;
}

/*
 * The guest controls every byte of its rings: feed arbitrary guest memory
 * and queue registers to the split-virtqueue walker and use whatever chains
 * it accepts.
 */
#include <stdint.h>
#include <string.h>

#include "guest_memory.h"
#include "log.h"
#include "virtqueue.h"

#define FUZZ_MEMORY (64 * 1024)

static struct guest_memory memory;
static struct virtq_chain chain;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct virtqueue queue;
	uint8_t scratch[512];

	if (!memory.host_base) {
		log_threshold = LOG_LEVEL_ERROR;
		if (guest_memory_allocate(&memory, FUZZ_MEMORY) < 0)
			return 0;
	}
	if (size < 16)
		return 0;
	virtqueue_reset(&queue);
	queue.ready = true;
	queue.size = (uint16_t)(1u << (data[0] % 10)); /* 1 .. 512, too large is refused */
	if (data[1] & 1)
		queue.size = (uint16_t)(data[1] << 8 | data[2]);
	queue.event_index = (data[1] & 2) != 0;
	queue.desc_address = (uint64_t)(data[3] << 8 | data[4]) * 16;
	queue.driver_address = (uint64_t)(data[5] << 8 | data[6]) * 2;
	queue.device_address = (uint64_t)(data[7] << 8 | data[8]) * 4;
	if (data[9] == 0xff)
		queue.desc_address = UINT64_MAX - data[10];
	queue.next_available = (uint16_t)(data[11] << 8 | data[12]);
	queue.next_used = queue.next_available;
	memset(memory.host_base, 0, FUZZ_MEMORY);
	memcpy(memory.host_base, data + 16, size - 16 < FUZZ_MEMORY ? size - 16 : FUZZ_MEMORY);

	for (unsigned round = 0; round < 64; round++) {
		int ret = virtqueue_pop(&queue, &memory, &chain);
		if (ret <= 0)
			break;
		for (uint64_t offset = 0; offset < chain.readable_bytes && offset < 65536;
		     offset += sizeof(scratch))
			virtq_chain_read(&chain, offset, scratch, sizeof(scratch));
		memset(scratch, 0xa5, sizeof(scratch));
		for (uint64_t offset = 0; offset < chain.writable_bytes && offset < 65536;
		     offset += sizeof(scratch))
			virtq_chain_write(&chain, offset, scratch, sizeof(scratch));
		virtqueue_push(&queue, &memory, chain.head, (uint32_t)chain.writable_bytes);
		virtqueue_should_interrupt(&queue, &memory);
	}
	return 0;
}

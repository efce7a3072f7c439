#include "guest_memory.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int guest_memory_allocate(struct guest_memory *memory, uint64_t size)
{
	/*
	 * MAP_NORESERVE: pages are taken from the host only when the guest
	 * touches them, so the sum of all guests' memory may exceed the host's.
	 */
	void *base = mmap(NULL, size, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		return -errno;
	memory->host_base = base;
	memory->size = size;
	memory->low_size = size < GUEST_LOW_RAM_END ? size : GUEST_LOW_RAM_END;
	return 0;
}

void guest_memory_release(struct guest_memory *memory)
{
	if (memory->host_base)
		munmap(memory->host_base, memory->size);
	memory->host_base = NULL;
	memory->size = 0;
	memory->low_size = 0;
}

static bool guest_memory_offset(const struct guest_memory *memory, uint64_t gpa, uint64_t length,
				uint64_t *offset)
{
	uint64_t end;

	if (__builtin_add_overflow(gpa, length, &end))
		return false;
	if (end <= memory->low_size) {
		*offset = gpa;
		return true;
	}
	if (gpa >= GUEST_HIGH_RAM_START) {
		uint64_t high_size = memory->size - memory->low_size;
		if (end - GUEST_HIGH_RAM_START <= high_size) {
			*offset = memory->low_size + (gpa - GUEST_HIGH_RAM_START);
			return true;
		}
	}
	return false;
}

void *guest_memory_pointer(const struct guest_memory *memory, uint64_t gpa, uint64_t length)
{
	uint64_t offset;

	if (!memory->host_base || !guest_memory_offset(memory, gpa, length, &offset))
		return NULL;
	return memory->host_base + offset;
}

uint64_t guest_memory_resident_bytes(const struct guest_memory *memory)
{
	long page_size = sysconf(_SC_PAGESIZE);
	uint64_t pages = memory->size / (uint64_t)page_size;
	uint64_t resident = 0;
	unsigned char vector[4096];

	for (uint64_t first = 0; first < pages; first += sizeof(vector)) {
		uint64_t count = pages - first < sizeof(vector) ? pages - first : sizeof(vector);
		if (mincore(memory->host_base + first * (uint64_t)page_size,
			    count * (uint64_t)page_size, vector) != 0)
			return 0;
		for (uint64_t i = 0; i < count; i++)
			resident += vector[i] & 1;
	}
	return resident * (uint64_t)page_size;
}

int guest_memory_discard(const struct guest_memory *memory, uint64_t gpa, uint64_t length)
{
	uint8_t *host = guest_memory_pointer(memory, gpa, length);

	if (!host || ((uintptr_t)host & 4095) || (length & 4095))
		return -EINVAL;
	if (madvise(host, length, MADV_DONTNEED) != 0)
		return -errno;
	return 0;
}

int guest_memory_enable_merging(const struct guest_memory *memory)
{
	if (madvise(memory->host_base, memory->size, MADV_MERGEABLE) != 0)
		return -errno;
	return 0;
}

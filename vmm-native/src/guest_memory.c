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
	 *
	 * The mapping starts on a 2 MiB boundary, as guest physical 0 does: KVM maps a
	 * transparent huge page of the host into the guest as one large page only where guest
	 * physical and host virtual addresses agree modulo 2 MiB, so a misaligned mapping costs
	 * the guest one nested page fault (an exit) for every 4 KiB it first touches instead
	 * of one per 2 MiB. MADV_HUGEPAGE asks for huge pages on hosts whose transparent huge
	 * pages are set to "madvise" (Cloud Hypervisor's and QEMU's default too); memory is
	 * still taken lazily, in 2 MiB steps where the host has huge pages to give.
	 */
	uint64_t reserve = size + GUEST_MEMORY_ALIGNMENT;
	uint8_t *area = mmap(NULL, reserve, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (area == MAP_FAILED)
		return -errno;
	uint8_t *base = (uint8_t *)(((uintptr_t)area + GUEST_MEMORY_ALIGNMENT - 1) &
				    ~(uintptr_t)(GUEST_MEMORY_ALIGNMENT - 1));
	if (base > area)
		munmap(area, (size_t)(base - area));
	uint8_t *end = base + size;
	if (end < area + reserve)
		munmap(end, (size_t)(area + reserve - end));
	/* EINVAL where the kernel has no transparent huge pages: the guest runs on 4 KiB pages */
	(void)madvise(base, size, MADV_HUGEPAGE);
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

/* Prints a numbered tick every few milliseconds, forever: shows when vCPUs run. */
#include "guest.h"

static inline uint64_t read_tsc(void)
{
	uint32_t low, high;
	__asm__ volatile("rdtsc" : "=a"(low), "=d"(high));
	return (uint64_t)high << 32 | low;
}

void guest_main(void *info);

void guest_main(void *info)
{
	(void)info;
	for (unsigned long tick = 0;; tick++) {
		print("tick %lu\n", tick);
		uint64_t until = read_tsc() + 20000000; /* ~10 ms at 2 GHz */
		while (read_tsc() < until)
			__asm__ volatile("pause");
	}
}

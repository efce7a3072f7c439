/*
 * Touches 8 MiB, waits for the host to ask for memory through the balloon
 * (virtio 1.x 5.5), hands exactly those pages over on the inflate queue and
 * reports "actual". The host should then see its resident memory drop.
 */
#include "guest.h"

#define REGION_START 0x2000000ULL /* 32 MiB */
#define REGION_PAGES 2048          /* 8 MiB of 4 KiB pages */

static uint32_t frames[REGION_PAGES];
static struct vq queues[2];

void guest_main(void *info);

void guest_main(void *info)
{
	(void)info;
	uint64_t base = virtio_find(5, 0);
	if (!base)
		fail("no virtio balloon");
	if (virtio_start(base, 0, queues, 2) < 0)
		fail("virtio setup");
	for (uint64_t page = 0; page < REGION_PAGES; page++)
		*(volatile uint64_t *)(REGION_START + page * 4096) = page + 1;
	print("touched 8 MiB\n");

	uint32_t wanted = 0;
	while ((wanted = mmio_read32(base + 0x100)) == 0)
		__asm__ volatile("pause");
	if (wanted > REGION_PAGES)
		wanted = REGION_PAGES;
	for (uint32_t i = 0; i < wanted; i++)
		frames[i] = (uint32_t)(REGION_START / 4096 + i);
	struct buffer buffer = { (uint64_t)(uintptr_t)frames, wanted * 4, false };
	vq_submit(base, &queues[0], 0, &buffer, 1);
	if (vq_wait(&queues[0], 1000000000UL) < 0)
		fail("inflate did not complete");
	mmio_write32(base + 0x104, wanted);
	print("inflated %u pages\n", wanted);
	for (;;)
		__asm__ volatile("cli; hlt");
}

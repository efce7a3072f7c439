/* Halts with interrupts off forever: an idle guest must cost no host CPU. */
#include "guest.h"

void guest_main(void *info);

void guest_main(void *info)
{
	(void)info;
	print("idle guest halting\n");
	for (;;)
		__asm__ volatile("cli; hlt");
}

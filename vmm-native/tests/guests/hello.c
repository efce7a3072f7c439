/* Prints over COM1, reports what the PVH start info says, then powers off (or resets). */
#include "guest.h"

struct hvm_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
	uint32_t memmap_entries, reserved;
};

extern uint64_t page_tables[];

/* pvh_start.S maps only what the guests use; add 2 MiB identity pages below 1 GiB. */
static void map_identity(uint64_t address, uint64_t length)
{
	uint64_t *directory = page_tables + 2 * 512; /* PD0: the first GiB */

	for (uint64_t page = address >> 21; page <= (address + length - 1) >> 21 && page < 512; page++) {
		directory[page] = (page << 21) | 0x83;
		__asm__ volatile("invlpg (%0)" : : "r"(page << 21) : "memory");
	}
}

void guest_main(const struct hvm_start_info *info);

void guest_main(const struct hvm_start_info *info)
{
	uint32_t a, b, c, d;

	print("hello from the guest\n");
	if (info->magic != 0x336ec578)
		fail("bad hvm_start_info magic");
	const char *cmdline = (const char *)info->cmdline_paddr;
	print("cmdline: %s\n", cmdline);
	print("memmap entries: %u\n", info->memmap_entries);
	if (info->nr_modules) {
		const uint64_t *module = (const uint64_t *)info->modlist_paddr; /* paddr, size, ... */
		const char *initrd = (const char *)module[0];
		map_identity(module[0], module[1]);
		char head[17] = { 0 };
		memcpy(head, initrd, module[1] < 16 ? module[1] : 16);
		print("initrd: %lu bytes at 0x%lx: %s\n", (unsigned long)module[1], (unsigned long)module[0], head);
	}
	cpuid(1, 0, &a, &b, &c, &d);
	print("cpuid 1 ecx=%x\n", c);
	if (strstr_simple(cmdline, "reboot")) {
		print("asking for a reset\n");
		outb(0x64, 0xfe);
	}
	if (strstr_simple(cmdline, "triplefault")) {
		struct { uint16_t limit; uint64_t base; } __attribute__((packed)) empty = { 0, 0 };
		__asm__ volatile("lidt %0; int3" : : "m"(empty));
	}
	print("PASS\n");
	power_off(0);
}

/* Prints over COM1, reports what the PVH start info says, then powers off (or resets). */
#include "guest.h"

struct hvm_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
	uint32_t memmap_entries, reserved;
};

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

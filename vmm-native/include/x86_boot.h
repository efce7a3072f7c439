/* Loading a kernel and describing the machine to it (x86-64). */
#ifndef MVM_X86_BOOT_H
#define MVM_X86_BOOT_H

#include <stdbool.h>
#include <stdint.h>

#include "vm.h"

/* Fixed guest physical layout of the boot data, all below 1 MiB. */
#define BOOT_GDT_ADDRESS 0x500
#define BOOT_START_INFO_ADDRESS 0x6000   /* PVH hvm_start_info + memmap */
#define BOOT_PARAMS_ADDRESS 0x7000       /* Linux zero page */
#define BOOT_PAGE_TABLE_ADDRESS 0x9000   /* PML4, PDPT, 4 PDs: 0x9000-0xefff */
#define BOOT_CMDLINE_ADDRESS 0x20000
#define BOOT_CMDLINE_MAX 0x10000
#define BOOT_MP_TABLE_ADDRESS 0xf0000
#define BOOT_RESERVED_LOW_START 0x9f000  /* EBDA and BIOS area: e820 reserved */
#define BOOT_KERNEL_ADDRESS 0x100000

struct framebuffer_info {
	uint64_t address;
	uint32_t width, height, stride; /* stride in bytes */
	uint32_t size;
};

struct boot_config {
	const char *kernel_path;
	const char *initrd_path;
	const char *cmdline;
	const struct framebuffer_info *framebuffer; /* NULL when there is none */
	uint64_t acpi_rsdp;                         /* 0 when there is no ACPI */
};

/* Loads an ELF with a PVH note or a bzImage; sets vm->boot_regs/boot_sregs. */
int x86_load_kernel(struct vm *vm, const struct boot_config *config);
int x86_write_mp_table(struct vm *vm);
int x86_setup_vcpu_cpuid(struct vm *vm, struct vcpu *vcpu);
/* What the host's KVM offers beyond KVM_GET_SUPPORTED_CPUID. */
struct cpuid_host_features {
	bool tsc_deadline_timer; /* KVM_CAP_TSC_DEADLINE_TIMER: the in-kernel APIC emulates it */
};
/* Completes KVM_GET_SUPPORTED_CPUID with what KVM emulates but does not list there, as
 * QEMU does: the TSC-deadline timer (the guest then skips calibrating its APIC timer, and
 * each timer it arms is one MSR write). */
void x86_complete_cpuid(struct kvm_cpuid2 *cpuid, const struct cpuid_host_features *host);
/* CPUID as vCPU vcpu_index sees it: topology fixed up, then masks applied. */
void x86_adjust_cpuid(struct kvm_cpuid2 *cpuid, unsigned vcpu_index, unsigned vcpu_count,
		      const struct cpuid_mask *masks, unsigned mask_count);

#endif

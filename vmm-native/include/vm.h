/* One virtual machine on /dev/kvm: memory, vCPU threads, exits, interrupts. */
#ifndef MVM_VM_H
#define MVM_VM_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "guest_memory.h"
#include "io_bus.h"

#define VM_MAX_VCPUS 16
#define VM_EXIT_REASON_COUNT 64

/* Process exit codes; documented in README.md. */
enum vm_exit_code {
	VM_EXIT_POWER_OFF = 0,     /* guest powered off */
	VM_EXIT_MONITOR_ERROR = 1, /* setup failed or the monitor hit an error */
	VM_EXIT_REBOOT = 2,        /* guest asked for a reset (i8042, port 0xcf9, triple fault) */
	VM_EXIT_KILLED = 3,        /* "kill" on the control socket, or SIGTERM */
	VM_EXIT_GUEST_CRASH = 4,   /* KVM could not run the guest any more */
	VM_EXIT_GUEST_FAILURE = 5, /* guest wrote a non-zero status to the power-off port */
};

/* Power-off port: a byte written here ends the VM (0 = success). */
#define VM_POWER_OFF_PORT 0x501

struct vm;

struct vcpu {
	struct vm *vm;
	unsigned index;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
};

struct cpuid_mask {
	uint32_t function;
	uint32_t index;      /* subleaf */
	bool any_index;
	unsigned reg;        /* 0 eax, 1 ebx, 2 ecx, 3 edx */
	uint32_t clear_bits;
};

#define VM_MAX_CPUID_MASKS 32

struct vm {
	int kvm_fd;
	int vm_fd;
	struct guest_memory memory;
	unsigned vcpu_count;
	struct vcpu vcpus[VM_MAX_VCPUS];
	struct kvm_cpuid2 *cpuid;
	struct cpuid_mask cpuid_masks[VM_MAX_CPUID_MASKS];
	unsigned cpuid_mask_count;
	struct io_bus port_bus;
	struct io_bus mmio_bus;

	pthread_mutex_t state_lock;
	pthread_cond_t state_changed;
	bool pause_requested;
	unsigned paused_vcpus;
	atomic_bool exiting;
	atomic_int exit_code;
	int exit_event_fd;                 /* readable once an exit was requested */

	uint64_t boot_entry;               /* filled by the loader */
	struct kvm_regs boot_regs;
	struct kvm_sregs boot_sregs;
	bool boot_sregs_valid;
	struct timespec start_time;

	atomic_uint_fast64_t exit_counts[VM_EXIT_REASON_COUNT];
};

int vm_create(struct vm *vm, uint64_t memory_bytes, unsigned vcpu_count);
/* Map an extra host buffer (e.g. the framebuffer) into the guest. */
int vm_map_region(struct vm *vm, unsigned slot, uint64_t gpa, void *host, uint64_t size,
		  bool track_writes);
/*
 * For a slot mapped with track_writes: whether the guest wrote to it since
 * the last call (KVM dirty log). Errors count as "written".
 */
bool vm_region_written(struct vm *vm, unsigned slot, uint64_t size);
/*
 * Sets the vCPUs up and creates their threads, which wait before their first
 * KVM_RUN until vm_resume() (the sandbox goes on in between).
 */
int vm_start(struct vm *vm);
void vm_request_exit(struct vm *vm, int code);
int vm_pause(struct vm *vm);
void vm_resume(struct vm *vm);
bool vm_paused(struct vm *vm);
void vm_set_irq_line(struct vm *vm, unsigned irq, bool level);
/* Edge: raise and lower, for ISA-style interrupts through the IOAPIC. */
void vm_trigger_irq(void *opaque, unsigned irq);
/*
 * KVM_IRQFD: returns an eventfd whose every write raises an edge on GSI irq
 * from inside the kernel, from any thread, without an ioctl; negative errno.
 */
int vm_attach_irqfd(struct vm *vm, unsigned irq);
/*
 * KVM_IOEVENTFD: a guest write of value (length bytes) to the MMIO address
 * completes inside the kernel, without an exit to the vCPU thread, and makes
 * the returned eventfd readable; negative errno.
 */
int vm_attach_ioeventfd(struct vm *vm, uint64_t address, uint32_t length, uint64_t value);
const char *vm_exit_reason_name(unsigned reason);

#endif

#include "vm.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "x86_boot.h"

#define VCPU_KICK_SIGNAL SIGUSR1

/* Ports the platform answers itself. */
#define I8042_COMMAND_PORT 0x64
#define I8042_PULSE_RESET 0xfe
#define RESET_CONTROL_PORT 0xcf9

static _Thread_local struct kvm_run *current_run;

static void vcpu_kick_handler(int signal)
{
	(void)signal;
	/* Makes the next (or the interrupted) KVM_RUN return at once. */
	if (current_run)
		current_run->immediate_exit = 1;
}

int vm_create(struct vm *vm, uint64_t memory_bytes, unsigned vcpu_count)
{
	struct kvm_userspace_memory_region region;
	int ret;

	memset(vm, 0, sizeof(*vm));
	clock_gettime(CLOCK_MONOTONIC, &vm->start_time);
	pthread_mutex_init(&vm->state_lock, NULL);
	pthread_cond_init(&vm->state_changed, NULL);
	atomic_init(&vm->exiting, false);
	atomic_init(&vm->exit_code, -1);
	vm->vcpu_count = vcpu_count;

	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0)
		return -errno;
	if (ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
		return -ENOTSUP;
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		return -errno;
	/* Intel VMX needs these two pages below 4 GiB; harmless elsewhere. */
	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, 0xfffbd000UL) < 0)
		return -errno;
	uint64_t identity_map = 0xfffbc000;
	if (ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &identity_map) < 0)
		return -errno;
	/* In-kernel PIC, IOAPIC and local APICs: HLT and timers never leave the kernel. */
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		return -errno;
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0)
		return -errno;

	ret = guest_memory_allocate(&vm->memory, memory_bytes);
	if (ret < 0)
		return ret;
	region = (struct kvm_userspace_memory_region){
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = vm->memory.low_size,
		.userspace_addr = (uintptr_t)vm->memory.host_base,
	};
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return -errno;
	if (vm->memory.size > vm->memory.low_size) {
		region = (struct kvm_userspace_memory_region){
			.slot = 1,
			.guest_phys_addr = GUEST_HIGH_RAM_START,
			.memory_size = vm->memory.size - vm->memory.low_size,
			.userspace_addr = (uintptr_t)vm->memory.host_base + vm->memory.low_size,
		};
		if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
			return -errno;
	}

	vm->exit_event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->exit_event_fd < 0)
		return -errno;

	int cpuid_entries = 256;
	vm->cpuid = calloc(1, sizeof(*vm->cpuid) + cpuid_entries * sizeof(struct kvm_cpuid_entry2));
	if (!vm->cpuid)
		return -ENOMEM;
	vm->cpuid->nent = (uint32_t)cpuid_entries;
	if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, vm->cpuid) < 0)
		return -errno;
	struct cpuid_host_features host = {
		.tsc_deadline_timer = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER) > 0,
	};
	x86_complete_cpuid(vm->cpuid, &host);

	int run_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (run_size <= 0)
		return -errno;
	for (unsigned i = 0; i < vcpu_count; i++) {
		struct vcpu *vcpu = &vm->vcpus[i];
		vcpu->vm = vm;
		vcpu->index = i;
		vcpu->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)i);
		if (vcpu->fd < 0)
			return -errno;
		vcpu->run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu->fd, 0);
		if (vcpu->run == MAP_FAILED)
			return -errno;
	}
	return 0;
}

int vm_map_region(struct vm *vm, unsigned slot, uint64_t gpa, void *host, uint64_t size,
		  bool track_writes)
{
	struct kvm_userspace_memory_region region = {
		.slot = slot,
		.flags = track_writes ? KVM_MEM_LOG_DIRTY_PAGES : 0,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)host,
	};

	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return -errno;
	return 0;
}

bool vm_region_written(struct vm *vm, unsigned slot, uint64_t size)
{
	uint64_t bitmap[64];
	uint64_t pages = (size + 4095) / 4096;
	struct kvm_dirty_log log = { .slot = slot, .dirty_bitmap = bitmap };

	/* One bit per page; 4096 pages (16 MiB) is the most a framebuffer gets here. */
	if (pages > sizeof(bitmap) * 8)
		return true;
	memset(bitmap, 0, sizeof(bitmap));
	if (ioctl(vm->vm_fd, KVM_GET_DIRTY_LOG, &log) < 0)
		return true;
	for (uint64_t i = 0; i < (pages + 63) / 64; i++)
		if (bitmap[i])
			return true;
	return false;
}

void vm_set_irq_line(struct vm *vm, unsigned irq, bool level)
{
	struct kvm_irq_level line = { .irq = irq, .level = level };

	if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &line) < 0)
		log_warn("KVM_IRQ_LINE %u failed: %s", irq, strerror(errno));
}

void vm_trigger_irq(void *opaque, unsigned irq)
{
	struct vm *vm = opaque;

	vm_set_irq_line(vm, irq, true);
	vm_set_irq_line(vm, irq, false);
}

int vm_attach_irqfd(struct vm *vm, unsigned irq)
{
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int ret;

	if (fd < 0)
		return -errno;
	/* GSIs 0-23 route to the in-kernel IOAPIC's pins by default; an irqfd raises and lowers the line. */
	struct kvm_irqfd irqfd = { .fd = (uint32_t)fd, .gsi = irq };
	if (ioctl(vm->vm_fd, KVM_IRQFD, &irqfd) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

int vm_attach_ioeventfd(struct vm *vm, uint64_t address, uint32_t length, uint64_t value)
{
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int ret;

	if (fd < 0)
		return -errno;
	struct kvm_ioeventfd ioeventfd = {
		.datamatch = value,
		.addr = address,
		.len = length,
		.fd = fd,
		.flags = KVM_IOEVENTFD_FLAG_DATAMATCH,
	};
	if (ioctl(vm->vm_fd, KVM_IOEVENTFD, &ioeventfd) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

void vm_request_exit(struct vm *vm, int code)
{
	int expected = -1;
	uint64_t one = 1;

	atomic_compare_exchange_strong(&vm->exit_code, &expected, code);
	atomic_store(&vm->exiting, true);
	pthread_mutex_lock(&vm->state_lock);
	pthread_cond_broadcast(&vm->state_changed);
	pthread_mutex_unlock(&vm->state_lock);
	if (write(vm->exit_event_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn("cannot signal exit: %s", strerror(errno));
}

static void vcpu_kick_all(struct vm *vm)
{
	for (unsigned i = 0; i < vm->vcpu_count; i++)
		if (vm->vcpus[i].thread)
			pthread_kill(vm->vcpus[i].thread, VCPU_KICK_SIGNAL);
}

static bool timespec_after(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec > b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec >= b->tv_nsec);
}

int vm_pause(struct vm *vm)
{
	struct timespec deadline, now, step;
	int ret = 0;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 2;
	pthread_mutex_lock(&vm->state_lock);
	vm->pause_requested = true;
	while (vm->paused_vcpus < vm->vcpu_count) {
		clock_gettime(CLOCK_REALTIME, &now);
		if (timespec_after(&now, &deadline)) {
			ret = -ETIMEDOUT;
			break;
		}
		/* A vCPU inside KVM_RUN only sees the request once kicked out of it. */
		vcpu_kick_all(vm);
		step = now;
		step.tv_nsec += 10 * 1000 * 1000;
		if (step.tv_nsec >= 1000000000) {
			step.tv_sec++;
			step.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&vm->state_changed, &vm->state_lock, &step);
	}
	pthread_mutex_unlock(&vm->state_lock);
	return ret;
}

void vm_resume(struct vm *vm)
{
	pthread_mutex_lock(&vm->state_lock);
	vm->pause_requested = false;
	pthread_cond_broadcast(&vm->state_changed);
	pthread_mutex_unlock(&vm->state_lock);
}

bool vm_paused(struct vm *vm)
{
	pthread_mutex_lock(&vm->state_lock);
	bool paused = vm->pause_requested;
	pthread_mutex_unlock(&vm->state_lock);
	return paused;
}

static const char *const exit_reason_names[VM_EXIT_REASON_COUNT] = {
	[KVM_EXIT_UNKNOWN] = "unknown",
	[KVM_EXIT_EXCEPTION] = "exception",
	[KVM_EXIT_IO] = "io",
	[KVM_EXIT_HYPERCALL] = "hypercall",
	[KVM_EXIT_DEBUG] = "debug",
	[KVM_EXIT_HLT] = "hlt",
	[KVM_EXIT_MMIO] = "mmio",
	[KVM_EXIT_IRQ_WINDOW_OPEN] = "irq_window_open",
	[KVM_EXIT_SHUTDOWN] = "shutdown",
	[KVM_EXIT_FAIL_ENTRY] = "fail_entry",
	[KVM_EXIT_INTR] = "intr",
	[KVM_EXIT_SET_TPR] = "set_tpr",
	[KVM_EXIT_TPR_ACCESS] = "tpr_access",
	[KVM_EXIT_NMI] = "nmi",
	[KVM_EXIT_INTERNAL_ERROR] = "internal_error",
	[KVM_EXIT_SYSTEM_EVENT] = "system_event",
};

const char *vm_exit_reason_name(unsigned reason)
{
	if (reason < VM_EXIT_REASON_COUNT && exit_reason_names[reason])
		return exit_reason_names[reason];
	return NULL;
}

static void vcpu_handle_port_io(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	struct vm *vm = vcpu->vm;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool is_write = run->io.direction == KVM_EXIT_IO_OUT;

	for (uint32_t i = 0; i < run->io.count; i++, data += run->io.size) {
		if (is_write && run->io.port == I8042_COMMAND_PORT && data[0] == I8042_PULSE_RESET) {
			vm_request_exit(vm, VM_EXIT_REBOOT);
			return;
		}
		if (is_write && run->io.port == RESET_CONTROL_PORT && (data[0] & 0x04)) {
			vm_request_exit(vm, VM_EXIT_REBOOT);
			return;
		}
		if (is_write && run->io.port == VM_POWER_OFF_PORT) {
			vm_request_exit(vm, data[0] ? VM_EXIT_GUEST_FAILURE : VM_EXIT_POWER_OFF);
			return;
		}
		if (!io_bus_dispatch(&vm->port_bus, run->io.port, data, run->io.size, is_write) &&
		    !is_write)
			memset(data, 0xff, run->io.size);
	}
}

static void vcpu_handle_mmio(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	uint32_t size = run->mmio.len <= 8 ? run->mmio.len : 8;

	if (!io_bus_dispatch(&vcpu->vm->mmio_bus, run->mmio.phys_addr, run->mmio.data, size,
			     run->mmio.is_write) &&
	    !run->mmio.is_write)
		memset(run->mmio.data, 0xff, size);
}

static void vcpu_report_crash(struct vcpu *vcpu, const char *what)
{
	struct kvm_regs regs;

	if (ioctl(vcpu->fd, KVM_GET_REGS, &regs) == 0)
		log_error("vcpu %u: %s at rip 0x%llx rsp 0x%llx", vcpu->index, what,
			  (unsigned long long)regs.rip, (unsigned long long)regs.rsp);
	else
		log_error("vcpu %u: %s", vcpu->index, what);
}

static void vcpu_wait_while_paused(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;

	pthread_mutex_lock(&vm->state_lock);
	if (vm->pause_requested && !atomic_load(&vm->exiting)) {
		vm->paused_vcpus++;
		pthread_cond_broadcast(&vm->state_changed);
		while (vm->pause_requested && !atomic_load(&vm->exiting))
			pthread_cond_wait(&vm->state_changed, &vm->state_lock);
		vm->paused_vcpus--;
	}
	pthread_mutex_unlock(&vm->state_lock);
}

static void *vcpu_thread(void *argument)
{
	struct vcpu *vcpu = argument;
	struct vm *vm = vcpu->vm;
	struct kvm_run *run = vcpu->run;
	sigset_t unblock;
	char name[16];

	snprintf(name, sizeof(name), "vcpu%u", vcpu->index);
	pthread_setname_np(pthread_self(), name);
	current_run = run;
	sigemptyset(&unblock);
	sigaddset(&unblock, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &unblock, NULL);

	while (!atomic_load(&vm->exiting)) {
		vcpu_wait_while_paused(vcpu);
		if (atomic_load(&vm->exiting))
			break;
		if (ioctl(vcpu->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				run->immediate_exit = 0;
				atomic_fetch_add(&vm->exit_counts[KVM_EXIT_INTR], 1);
				continue;
			}
			log_error("vcpu %u: KVM_RUN: %s", vcpu->index, strerror(errno));
			vm_request_exit(vm, VM_EXIT_MONITOR_ERROR);
			break;
		}
		if (run->exit_reason < VM_EXIT_REASON_COUNT)
			atomic_fetch_add(&vm->exit_counts[run->exit_reason], 1);
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			vcpu_handle_port_io(vcpu);
			break;
		case KVM_EXIT_MMIO:
			vcpu_handle_mmio(vcpu);
			break;
		case KVM_EXIT_HLT:
		case KVM_EXIT_INTR:
		case KVM_EXIT_IRQ_WINDOW_OPEN:
			break;
		case KVM_EXIT_SHUTDOWN:
			/* A triple fault resets a PC. */
			log_info("vcpu %u: triple fault, treating it as a reset", vcpu->index);
			vm_request_exit(vm, VM_EXIT_REBOOT);
			break;
		case KVM_EXIT_SYSTEM_EVENT:
			vm_request_exit(vm, run->system_event.type == KVM_SYSTEM_EVENT_RESET
						    ? VM_EXIT_REBOOT
						    : VM_EXIT_POWER_OFF);
			break;
		case KVM_EXIT_INTERNAL_ERROR:
			vcpu_report_crash(vcpu, "KVM internal error");
			vm_request_exit(vm, VM_EXIT_GUEST_CRASH);
			break;
		case KVM_EXIT_FAIL_ENTRY:
			vcpu_report_crash(vcpu, "VM entry failed");
			vm_request_exit(vm, VM_EXIT_GUEST_CRASH);
			break;
		default:
			log_error("vcpu %u: unhandled exit reason %u", vcpu->index, run->exit_reason);
			vm_request_exit(vm, VM_EXIT_GUEST_CRASH);
			break;
		}
	}
	return NULL;
}

static int vcpu_setup(struct vm *vm, struct vcpu *vcpu)
{
	int ret = x86_setup_vcpu_cpuid(vm, vcpu);
	if (ret < 0)
		return ret;
	/* Application processors wait for INIT/SIPI in the in-kernel APIC. */
	if (vcpu->index != 0)
		return 0;
	struct kvm_sregs sregs;
	if (ioctl(vcpu->fd, KVM_GET_SREGS, &sregs) < 0)
		return -errno;
	if (vm->boot_sregs_valid) {
		sregs.cs = vm->boot_sregs.cs;
		sregs.ds = vm->boot_sregs.ds;
		sregs.es = vm->boot_sregs.es;
		sregs.fs = vm->boot_sregs.fs;
		sregs.gs = vm->boot_sregs.gs;
		sregs.ss = vm->boot_sregs.ss;
		sregs.tr = vm->boot_sregs.tr;
		sregs.gdt = vm->boot_sregs.gdt;
		sregs.idt = vm->boot_sregs.idt;
		sregs.cr0 = vm->boot_sregs.cr0;
		sregs.cr3 = vm->boot_sregs.cr3;
		sregs.cr4 = vm->boot_sregs.cr4;
		sregs.efer = vm->boot_sregs.efer;
	}
	if (ioctl(vcpu->fd, KVM_SET_SREGS, &sregs) < 0)
		return -errno;
	if (ioctl(vcpu->fd, KVM_SET_REGS, &vm->boot_regs) < 0)
		return -errno;
	return 0;
}

int vm_start(struct vm *vm)
{
	struct sigaction action = { .sa_handler = vcpu_kick_handler };
	sigset_t block;
	pthread_attr_t attributes;
	int ret;

	sigemptyset(&action.sa_mask);
	if (sigaction(VCPU_KICK_SIGNAL, &action, NULL) < 0)
		return -errno;
	for (unsigned i = 0; i < vm->vcpu_count; i++) {
		ret = vcpu_setup(vm, &vm->vcpus[i]);
		if (ret < 0)
			return ret;
	}
	/* Held like a pause: no KVM_RUN before vm_resume(). */
	pthread_mutex_lock(&vm->state_lock);
	vm->pause_requested = true;
	pthread_mutex_unlock(&vm->state_lock);
	/* Only vCPU threads take the kick signal. */
	sigemptyset(&block);
	sigaddset(&block, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_BLOCK, &block, NULL);
	pthread_attr_init(&attributes);
	pthread_attr_setstacksize(&attributes, 256 * 1024);
	for (unsigned i = 0; i < vm->vcpu_count; i++) {
		ret = pthread_create(&vm->vcpus[i].thread, &attributes, vcpu_thread, &vm->vcpus[i]);
		if (ret != 0) {
			pthread_attr_destroy(&attributes);
			return -ret;
		}
	}
	pthread_attr_destroy(&attributes);
	return 0;
}

/* mvm: one microVM per process on /dev/kvm. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <unistd.h>

#include "devices.h"
#include "log.h"
#include "machine.h"
#include "rfb.h"
#include "sandbox.h"

/*
 * One ISA line per virtio device, none shared: 4 is COM1, 9 the ACPI SCI, 0
 * and 2 the timer and the PIC cascade, 8 the RTC and 1 the keyboard. There
 * is no second UART (3) or FPU error line (13); the PS/2 mouse line (12)
 * comes last, since a guest without ACPI may probe for an i8042.
 */
static const unsigned virtio_irqs[MACHINE_MAX_VIRTIO] = { 5, 6, 7, 10, 11, 14, 15, 3, 13, 12 };

static void serial_transmit(void *opaque, const uint8_t *data, size_t length)
{
	struct machine *owner = opaque;

	console_backend_write(&owner->serial, data, length);
}

static void serial_set_irq(void *opaque, bool level)
{
	struct machine *owner = opaque;

	vm_set_irq_line(&owner->vm, UART_COM1_IRQ, level);
}

static void serial_receive_ready(void *opaque)
{
	struct machine *owner = opaque;

	console_backend_resume_input(&owner->serial);
}

static size_t serial_receive(void *opaque, const uint8_t *data, size_t length)
{
	return uart8250_receive(opaque, data, length);
}

static void serial_port_access(void *opaque, uint64_t offset, uint8_t *data, uint32_t size,
			       bool is_write)
{
	struct uart8250 *uart = opaque;
	(void)size;

	if (is_write)
		uart8250_write(uart, (unsigned)offset, data[0]);
	else
		data[0] = uart8250_read(uart, (unsigned)offset);
}

static void slot_trigger_irq(void *opaque, unsigned irq)
{
	struct virtio_slot *slot = opaque;
	uint64_t one = 1;

	if (slot->irq_event_fd < 0) {
		vm_trigger_irq(slot->vm, irq);
		return;
	}
	if (write(slot->irq_event_fd, &one, sizeof(one)) == sizeof(one))
		atomic_fetch_add(&slot->interrupts_by_irqfd, 1);
	else
		vm_trigger_irq(slot->vm, irq); /* the counter is full (2^64 - 2): the line still works */
}

static void slot_queue_notified(struct event_handler *handler, uint32_t events)
{
	struct queue_notifier *notifier = handler->opaque;
	uint64_t count;
	(void)events;

	/* One read takes every notification since the last: one queue_notify serves them all. */
	if (read(handler->fd, &count, sizeof(count)) != sizeof(count))
		return;
	atomic_fetch_add(&notifier->slot->notifications_by_ioeventfd, count);
	virtio_mmio_queue_notify(&notifier->slot->transport, notifier->queue);
}

/*
 * Interrupts through an irqfd and queue notifications through an ioeventfd
 * per queue, so that neither needs the vCPU thread to leave the guest and
 * the monitor's ioctl (kvmtool, Firecracker and Cloud Hypervisor do the
 * same). Where KVM cannot, the MMIO exit and KVM_IRQ_LINE still work.
 */
static void attach_event_fds(struct machine *machine, struct virtio_slot *slot, uint64_t base,
			     unsigned irq)
{
	const struct virtio_dev_ops *ops = slot->device->ops;
	int fd;

	slot->irq_event_fd = vm_attach_irqfd(&machine->vm, irq);
	if (slot->irq_event_fd < 0)
		log_warn("virtio-%s: no irqfd for IRQ %u (%s): interrupts through KVM_IRQ_LINE", ops->name,
			 irq, strerror(-slot->irq_event_fd));
	for (uint16_t queue = 0; queue < ops->queue_count; queue++) {
		struct queue_notifier *notifier = &slot->notifiers[queue];
		fd = vm_attach_ioeventfd(&machine->vm, base + VIRTIO_MMIO_QUEUE_NOTIFY, 4, queue);
		if (fd < 0) {
			log_warn("virtio-%s: no ioeventfd for queue %u (%s): notifications as MMIO exits",
				 ops->name, queue, strerror(-fd));
			return;
		}
		notifier->handler = (struct event_handler){ fd, slot_queue_notified, notifier };
		notifier->slot = slot;
		notifier->queue = queue;
		if (event_loop_add(&machine->loop, &notifier->handler, EPOLLIN) < 0)
			die_errno("epoll");
		slot->notifier_count++;
	}
}

static int add_virtio_slot(struct machine *machine, enum virtio_slot_kind kind,
			   struct virtio_device *device, char *cmdline, size_t cmdline_size)
{
	struct virtio_slot *slot;
	int ret;

	if (machine->slot_count == MACHINE_MAX_VIRTIO)
		return -ENOSPC;
	slot = &machine->slots[machine->slot_count];
	uint64_t base = MACHINE_VIRTIO_MMIO_BASE + machine->slot_count * VIRTIO_MMIO_REGION_SIZE;
	unsigned irq = virtio_irqs[machine->slot_count];
	slot->kind = kind;
	slot->device = device;
	slot->vm = &machine->vm;
	virtio_mmio_init(&slot->transport, device, base, irq, slot_trigger_irq, slot);
	ret = io_bus_register(&machine->vm.mmio_bus, base, VIRTIO_MMIO_REGION_SIZE,
			      virtio_mmio_access, &slot->transport);
	if (ret < 0)
		return ret;
	attach_event_fds(machine, slot, base, irq);
	/*
	 * Without ACPI, Linux finds virtio-mmio devices on the command line
	 * (drivers/virtio/virtio_mmio.c); with it, in the DSDT.
	 */
	if (!machine->config.acpi) {
		size_t used = strlen(cmdline);
		int wrote = snprintf(cmdline + used, cmdline_size - used, "%svirtio_mmio.device=4K@0x%llx:%u",
				     used ? " " : "", (unsigned long long)base, irq);
		if (wrote < 0 || (size_t)wrote >= cmdline_size - used)
			return -E2BIG;
	}
	machine->slot_count++;
	return 0;
}

static void setup_devices(struct machine *machine, char *cmdline, size_t cmdline_size)
{
	struct machine_config *config = &machine->config;
	struct vm *vm = &machine->vm;
	struct virtio_device *device;
	int ret;

	for (unsigned i = 0; i < config->disk_count; i++) {
		struct disk_file *disk = calloc(1, sizeof(*disk));
		if (!disk)
			die("out of memory");
		ret = disk_file_open(disk, config->disks[i].path, config->disks[i].read_only);
		if (ret < 0)
			die("disk %s: %s", config->disks[i].path, strerror(-ret));
		if (virtio_blk_init(&device, &vm->memory, disk, true) < 0 ||
		    add_virtio_slot(machine, SLOT_BLOCK, device, cmdline, cmdline_size) < 0)
			die("cannot add disk %s", config->disks[i].path);
	}
	for (unsigned i = 0; i < config->tap_count; i++) {
		int fd = net_tap_open(config->taps[i].name);
		if (fd < 0)
			die("tap %s: %s", config->taps[i].name, strerror(-fd));
		if (virtio_net_init(&device, &vm->memory, &machine->loop, fd, config->taps[i].mac,
				    net_tap_set_offloads) < 0 ||
		    add_virtio_slot(machine, SLOT_NET, device, cmdline, cmdline_size) < 0)
			die("cannot add tap %s", config->taps[i].name);
	}
	if (config->virtio_console) {
		ret = console_backend_open_socket(&machine->virtio_console, &machine->loop,
						  config->virtio_console);
		if (ret < 0)
			die("virtio console socket %s: %s", config->virtio_console, strerror(-ret));
		if (virtio_console_init(&device, &vm->memory, &machine->virtio_console) < 0 ||
		    add_virtio_slot(machine, SLOT_CONSOLE, device, cmdline, cmdline_size) < 0)
			die("cannot add the virtio console");
	}
	if (config->rng && (virtio_rng_init(&device, &vm->memory) < 0 ||
			    add_virtio_slot(machine, SLOT_RNG, device, cmdline, cmdline_size) < 0))
		die("cannot add the rng device");
	if (config->balloon) {
		if (virtio_balloon_init(&device, &vm->memory) < 0 ||
		    add_virtio_slot(machine, SLOT_BALLOON, device, cmdline, cmdline_size) < 0)
			die("cannot add the balloon");
		machine->balloon = device;
	}
	if (config->input || config->vnc) {
		uint32_t width = config->framebuffer_width, height = config->framebuffer_height;
		if (virtio_input_init(&machine->keyboard, &vm->memory, VIRTIO_INPUT_KEYBOARD, width, height) < 0 ||
		    add_virtio_slot(machine, SLOT_KEYBOARD, machine->keyboard, cmdline, cmdline_size) < 0 ||
		    virtio_input_init(&machine->tablet, &vm->memory, VIRTIO_INPUT_TABLET, width, height) < 0 ||
		    add_virtio_slot(machine, SLOT_TABLET, machine->tablet, cmdline, cmdline_size) < 0)
			die("cannot add the input devices");
	}
}

static void setup_framebuffer(struct machine *machine)
{
	struct machine_config *config = &machine->config;
	struct framebuffer_info *fb = &machine->framebuffer;

	if (!config->framebuffer_width)
		return;
	fb->address = MACHINE_FRAMEBUFFER_ADDRESS;
	fb->width = config->framebuffer_width;
	fb->height = config->framebuffer_height;
	fb->stride = fb->width * 4;
	fb->size = (fb->stride * fb->height + 0xfff) & ~0xfffU;
	machine->framebuffer_memory = mmap(NULL, fb->size, PROT_READ | PROT_WRITE,
					   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (machine->framebuffer_memory == MAP_FAILED)
		die_errno("framebuffer");
	int ret = vm_map_region(&machine->vm, MACHINE_FRAMEBUFFER_SLOT, fb->address,
				machine->framebuffer_memory, fb->size, true);
	if (ret < 0)
		die("cannot map the framebuffer: %s", strerror(-ret));
}

static struct machine machine;

static void acpi_set_sci(void *opaque, bool level)
{
	struct machine *owner = opaque;

	vm_set_irq_line(&owner->vm, ACPI_SCI_IRQ, level);
}

static void acpi_power_off(void *opaque)
{
	struct machine *owner = opaque;

	vm_request_exit(&owner->vm, VM_EXIT_POWER_OFF);
}

static bool framebuffer_written(void *opaque)
{
	struct machine *owner = opaque;

	return vm_region_written(&owner->vm, MACHINE_FRAMEBUFFER_SLOT, owner->framebuffer.size);
}

static void terminate_handler(int signal)
{
	int expected = -1;
	uint64_t one = 1;
	(void)signal;

	/* Only async-signal-safe steps here; the main loop does the rest. */
	atomic_compare_exchange_strong(&machine.vm.exit_code, &expected, VM_EXIT_KILLED);
	atomic_store(&machine.vm.exiting, true);
	if (write(machine.vm.exit_event_fd, &one, sizeof(one)) < 0)
		return;
}

static void exit_event_ready(struct event_handler *handler, uint32_t events)
{
	(void)handler;
	(void)events;
}

/*
 * Everything the VM needs is open: leave the host's files and root, create
 * the vCPU threads held, filter the system calls of every thread, and only
 * then let the vCPUs run (sandbox.h has the whole sequence).
 */
static void confine_and_start(struct machine *owner)
{
	struct machine_config *config = &owner->config;
	int ret;

	if (config->jail && (ret = sandbox_enter_root(config->jail)) < 0)
		die("--jail %s: %s", config->jail, strerror(-ret));
	if (config->uid >= 0 && (ret = sandbox_drop_privileges((uid_t)config->uid, (gid_t)config->gid)) < 0)
		die("cannot run as uid %lld gid %lld: %s", config->uid, config->gid, strerror(-ret));
	ret = vm_start(&owner->vm);
	if (ret < 0)
		die("cannot start the vCPUs: %s", strerror(-ret));
	if (!config->no_sandbox && (ret = sandbox_filter_system_calls()) < 0)
		die("cannot install the system call filter: %s", strerror(-ret));
	vm_resume(&owner->vm);
}

int main(int argc, char **argv)
{
	struct machine_config *config = &machine.config;
	static char cmdline[BOOT_CMDLINE_MAX];
	int ret;

	machine_config_defaults(config);
	ret = machine_config_parse_arguments(config, argc, argv);
	if (ret == 1) {
		machine_config_usage(stdout);
		return 0;
	}
	if (ret < 0 || machine_config_validate(config) < 0) {
		machine_config_usage(stderr);
		return VM_EXIT_MONITOR_ERROR;
	}
	/* One thread still (the block workers come later), as unshare(2) wants. */
	if (config->jail && (ret = sandbox_unshare_mounts()) < 0)
		die("--jail: cannot have a mount namespace of its own: %s", strerror(-ret));
	if (config->vnc && !config->framebuffer_width) {
		config->framebuffer_width = 1024;
		config->framebuffer_height = 768;
	}

	ret = vm_create(&machine.vm, config->memory_mib << 20, config->vcpus);
	if (ret < 0)
		die("cannot create the VM on /dev/kvm: %s", strerror(-ret));
	memcpy(machine.vm.cpuid_masks, config->cpuid_masks, sizeof(config->cpuid_masks));
	machine.vm.cpuid_mask_count = config->cpuid_mask_count;
	if (config->ksm && (ret = guest_memory_enable_merging(&machine.vm.memory)) < 0)
		log_warn("KSM merging unavailable: %s", strerror(-ret));
	if (event_loop_init(&machine.loop) < 0)
		die_errno("epoll");

	if (strcmp(config->serial, "stdio") == 0) {
		ret = console_backend_open_stdio(&machine.serial, &machine.loop);
	} else if (strcmp(config->serial, "none") == 0) {
		console_backend_open_null(&machine.serial);
		ret = 0;
	} else {
		ret = console_backend_open_socket(&machine.serial, &machine.loop, config->serial);
	}
	if (ret < 0)
		die("serial console %s: %s", config->serial, strerror(-ret));
	struct uart8250_callbacks uart_callbacks = {
		.set_irq = serial_set_irq,
		.transmit = serial_transmit,
		.receive_ready = serial_receive_ready,
		.opaque = &machine,
	};
	uart8250_init(&machine.uart, &uart_callbacks);
	machine.serial.receive = serial_receive;
	machine.serial.receive_opaque = &machine.uart;
	if (io_bus_register(&machine.vm.port_bus, UART_COM1_PORT, UART_REGISTER_COUNT,
			    serial_port_access, &machine.uart) < 0)
		die("cannot register COM1");

	if (config->cmdline)
		snprintf(cmdline, sizeof(cmdline), "%s", config->cmdline);
	setup_framebuffer(&machine);
	setup_devices(&machine, cmdline, sizeof(cmdline));

	struct boot_config boot = {
		.kernel_path = config->kernel,
		.initrd_path = config->initrd,
		.cmdline = cmdline,
		.framebuffer = config->framebuffer_width ? &machine.framebuffer : NULL,
	};
	if (config->acpi) {
		struct acpi_mmio_device windows[MACHINE_MAX_VIRTIO];
		for (unsigned i = 0; i < machine.slot_count; i++)
			windows[i] = (struct acpi_mmio_device){
				.base = MACHINE_VIRTIO_MMIO_BASE + i * VIRTIO_MMIO_REGION_SIZE,
				.size = VIRTIO_MMIO_REGION_SIZE,
				.irq = virtio_irqs[i],
			};
		long rsdp = acpi_write_tables(&machine.vm.memory, config->vcpus, windows, machine.slot_count);
		if (rsdp < 0)
			die("cannot write the ACPI tables: %s", strerror((int)-rsdp));
		boot.acpi_rsdp = (uint64_t)rsdp;
		acpi_pm_init(&machine.acpi_pm, acpi_set_sci, acpi_power_off, &machine);
		if (io_bus_register(&machine.vm.port_bus, ACPI_PM1_EVENT_PORT, 6, acpi_pm_access,
				    &machine.acpi_pm) < 0)
			die("cannot register the ACPI PM1 registers");
	}
	ret = x86_load_kernel(&machine.vm, &boot);
	if (ret < 0)
		die("cannot load %s: %s", config->kernel, strerror(-ret));
	ret = x86_write_mp_table(&machine.vm);
	if (ret < 0)
		die("cannot write the MP table: %s", strerror(-ret));

	if (config->control && (ret = control_open(&machine, config->control)) < 0)
		die("control socket %s: %s", config->control, strerror(-ret));
	if (config->vnc) {
		ret = rfb_server_open(&machine.rfb, &machine.loop, config->vnc, &machine.framebuffer,
				      machine.framebuffer_memory, machine.keyboard, machine.tablet,
				      framebuffer_written, &machine);
		if (ret < 0)
			die("VNC socket %s: %s", config->vnc, strerror(-ret));
	}

	struct sigaction action = { .sa_handler = terminate_handler };
	sigemptyset(&action.sa_mask);
	sigaction(SIGTERM, &action, NULL);
	sigaction(SIGINT, &action, NULL);
	signal(SIGPIPE, SIG_IGN);
	struct event_handler exit_handler = { machine.vm.exit_event_fd, exit_event_ready, NULL };
	event_loop_add(&machine.loop, &exit_handler, EPOLLIN);

	confine_and_start(&machine);
	while (!atomic_load(&machine.vm.exiting)) {
		int timeout_ms = -1;
		if (machine.stop_deadline_ms) {
			long long left = machine.stop_deadline_ms - machine_now_ms();
			if (left <= 0) {
				log_warn("the guest did not stop in time; killing it");
				vm_request_exit(&machine.vm, VM_EXIT_KILLED);
				break;
			}
			timeout_ms = (int)(left < 1000 ? left : 1000);
		}
		event_loop_run_once(&machine.loop, timeout_ms);
	}

	/*
	 * The sockets stay: a confined monitor can neither reach nor unlink them.
	 * Whoever chose their paths removes them; mvm replaces stale ones at start.
	 */
	int code = atomic_load(&machine.vm.exit_code);
	console_backend_restore_terminal();
	fflush(stdout);
	fflush(stderr);
	_exit(code < 0 ? VM_EXIT_MONITOR_ERROR : code);
}

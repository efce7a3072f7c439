/* mvm: one microVM per process on /dev/kvm. */
#include <errno.h>
#include <getopt.h>
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

static const unsigned virtio_irqs[MACHINE_MAX_VIRTIO] = { 5, 6, 7, 9, 10, 11, 12, 14, 15, 3 };

static void usage(FILE *stream)
{
	fprintf(stream,
		"usage: mvm [options] --kernel PATH\n"
		"  -k, --kernel PATH        ELF kernel with a PVH note, or a bzImage\n"
		"  -i, --initrd PATH        initial ramdisk\n"
		"  -a, --cmdline TEXT       kernel command line\n"
		"  -m, --memory MIB         guest memory (default 128)\n"
		"  -c, --cpus N             vCPUs (default 1, at most %d)\n"
		"  -d, --disk PATH[,ro]     virtio block device on a raw image (repeatable)\n"
		"  -n, --tap NAME[,mac=M]   virtio net device on a tap interface (repeatable)\n"
		"  -s, --serial WHERE       COM1 console: stdio (default), none, or a socket path\n"
		"      --virtio-console PATH  virtio console on a unix socket\n"
		"      --control PATH       control socket (JSON lines)\n"
		"      --vnc PATH           framebuffer + RFB server on a unix socket, with\n"
		"                           virtio keyboard and tablet\n"
		"      --framebuffer WxH    framebuffer size (default 1024x768 with --vnc)\n"
		"      --rng                virtio entropy device\n"
		"      --balloon            virtio memory balloon\n"
		"      --input              virtio keyboard and tablet without VNC\n"
		"      --ksm                let the host merge identical guest pages\n"
		"      --acpi               ACPI tables, PM1 registers and power button (lets\n"
		"                           Linux power off and answer \"stop\")\n"
		"      --cpuid-mask L[.S]:REG:BITS  clear BITS of REG (eax..edx) in CPUID leaf L,\n"
		"                           or a feature by name (avx512f, avx2, x2apic, ...)\n"
		"      --config FILE        read \"option = value\" lines (long option names)\n"
		"  -v, --verbose            more log output (repeatable)\n"
		"exit status: 0 power-off, 1 monitor error, 2 guest reboot, 3 killed,\n"
		"             4 guest crash, 5 guest reported failure\n",
		VM_MAX_VCPUS);
}

static int parse_mac(const char *text, uint8_t mac[6])
{
	unsigned values[6];

	if (sscanf(text, "%x:%x:%x:%x:%x:%x", &values[0], &values[1], &values[2], &values[3],
		   &values[4], &values[5]) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		if (values[i] > 255)
			return -EINVAL;
		mac[i] = (uint8_t)values[i];
	}
	return 0;
}

/* Feature flags by their Linux /proc/cpuinfo names (Intel SDM vol. 2A, CPUID). */
static const struct {
	const char *name;
	uint32_t function;
	unsigned reg; /* 0 eax, 1 ebx, 2 ecx, 3 edx */
	unsigned bit;
} cpuid_features[] = {
	{ "pclmulqdq", 1, 2, 1 }, { "ssse3", 1, 2, 9 },    { "fma", 1, 2, 12 },
	{ "sse4_1", 1, 2, 19 },   { "sse4_2", 1, 2, 20 },  { "x2apic", 1, 2, 21 },
	{ "movbe", 1, 2, 22 },    { "popcnt", 1, 2, 23 },  { "aes", 1, 2, 25 },
	{ "xsave", 1, 2, 26 },    { "avx", 1, 2, 28 },     { "f16c", 1, 2, 29 },
	{ "rdrand", 1, 2, 30 },   { "bmi1", 7, 1, 3 },     { "avx2", 7, 1, 5 },
	{ "bmi2", 7, 1, 8 },      { "avx512f", 7, 1, 16 }, { "rdseed", 7, 1, 18 },
	{ "adx", 7, 1, 19 },      { "sha_ni", 7, 1, 29 },  { "avx512bw", 7, 1, 30 },
	{ "avx512vl", 7, 1, 31 }, { "pku", 7, 2, 3 },      { "la57", 7, 2, 16 },
	{ "pdpe1gb", 0x80000001, 3, 26 },
};

static int parse_cpuid_mask(struct vm *vm, const char *text)
{
	struct cpuid_mask mask = { .any_index = true };
	static const char *const registers[4] = { "eax", "ebx", "ecx", "edx" };
	char register_name[8];
	unsigned long function, bits;
	char *end;

	if (vm->cpuid_mask_count == VM_MAX_CPUID_MASKS)
		return -ENOSPC;
	for (size_t i = 0; i < sizeof(cpuid_features) / sizeof(cpuid_features[0]); i++)
		if (strcmp(text, cpuid_features[i].name) == 0) {
			mask.function = cpuid_features[i].function;
			mask.index = 0;
			mask.any_index = false;
			mask.reg = cpuid_features[i].reg;
			mask.clear_bits = 1u << cpuid_features[i].bit;
			vm->cpuid_masks[vm->cpuid_mask_count++] = mask;
			return 0;
		}
	function = strtoul(text, &end, 0);
	if (*end == '.') {
		mask.index = (uint32_t)strtoul(end + 1, &end, 0);
		mask.any_index = false;
	}
	if (*end != ':' || sscanf(end + 1, "%3[a-z]:%li", register_name, (long *)&bits) != 2)
		return -EINVAL;
	mask.function = (uint32_t)function;
	mask.clear_bits = (uint32_t)bits;
	for (unsigned i = 0; i < 4; i++)
		if (strcmp(register_name, registers[i]) == 0) {
			mask.reg = i;
			vm->cpuid_masks[vm->cpuid_mask_count++] = mask;
			return 0;
		}
	return -EINVAL;
}

enum {
	OPTION_VIRTIO_CONSOLE = 256,
	OPTION_CONTROL,
	OPTION_VNC,
	OPTION_FRAMEBUFFER,
	OPTION_RNG,
	OPTION_BALLOON,
	OPTION_INPUT,
	OPTION_KSM,
	OPTION_ACPI,
	OPTION_CPUID_MASK,
	OPTION_CONFIG,
};

static const struct option long_options[] = {
	{ "kernel", required_argument, NULL, 'k' },
	{ "initrd", required_argument, NULL, 'i' },
	{ "cmdline", required_argument, NULL, 'a' },
	{ "memory", required_argument, NULL, 'm' },
	{ "cpus", required_argument, NULL, 'c' },
	{ "disk", required_argument, NULL, 'd' },
	{ "tap", required_argument, NULL, 'n' },
	{ "serial", required_argument, NULL, 's' },
	{ "virtio-console", required_argument, NULL, OPTION_VIRTIO_CONSOLE },
	{ "control", required_argument, NULL, OPTION_CONTROL },
	{ "vnc", required_argument, NULL, OPTION_VNC },
	{ "framebuffer", required_argument, NULL, OPTION_FRAMEBUFFER },
	{ "rng", no_argument, NULL, OPTION_RNG },
	{ "balloon", no_argument, NULL, OPTION_BALLOON },
	{ "input", no_argument, NULL, OPTION_INPUT },
	{ "ksm", no_argument, NULL, OPTION_KSM },
	{ "acpi", no_argument, NULL, OPTION_ACPI },
	{ "cpuid-mask", required_argument, NULL, OPTION_CPUID_MASK },
	{ "config", required_argument, NULL, OPTION_CONFIG },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ 0, 0, 0, 0 },
};

static struct cpuid_mask pending_masks[VM_MAX_CPUID_MASKS];
static unsigned pending_mask_count;

static void apply_option(struct machine_config *config, int option, const char *value)
{
	char *copy;

	switch (option) {
	case 'k':
		config->kernel = value;
		break;
	case 'i':
		config->initrd = value;
		break;
	case 'a':
		config->cmdline = value;
		break;
	case 'm':
		config->memory_mib = strtoull(value, NULL, 0);
		break;
	case 'c':
		config->vcpus = (unsigned)strtoul(value, NULL, 0);
		break;
	case 'd':
		if (config->disk_count == MACHINE_MAX_DISKS)
			die("at most %d disks", MACHINE_MAX_DISKS);
		copy = strdup(value);
		config->disks[config->disk_count].read_only = false;
		for (char *comma = strchr(copy, ','); comma; comma = strchr(comma + 1, ',')) {
			*comma = 0;
			if (strcmp(comma + 1, "ro") == 0 || strncmp(comma + 1, "ro,", 3) == 0 ||
			    strcmp(comma + 1, "readonly") == 0)
				config->disks[config->disk_count].read_only = true;
		}
		config->disks[config->disk_count++].path = copy;
		break;
	case 'n': {
		if (config->tap_count == MACHINE_MAX_TAPS)
			die("at most %d taps", MACHINE_MAX_TAPS);
		struct tap_options *tap = &config->taps[config->tap_count];
		copy = strdup(value);
		char *comma = strchr(copy, ',');
		/* Locally administered, unicast; the last byte tells taps apart. */
		uint8_t default_mac[6] = { 0x52, 0x54, 0x00, 0x4d, 0x56, (uint8_t)(0x10 + config->tap_count) };
		memcpy(tap->mac, default_mac, 6);
		if (comma) {
			*comma = 0;
			if (strncmp(comma + 1, "mac=", 4) != 0 || parse_mac(comma + 5, tap->mac) < 0)
				die("bad tap option: %s", value);
		}
		tap->name = copy;
		config->tap_count++;
		break;
	}
	case 's':
		config->serial = value;
		break;
	case OPTION_VIRTIO_CONSOLE:
		config->virtio_console = value;
		break;
	case OPTION_CONTROL:
		config->control = value;
		break;
	case OPTION_VNC:
		config->vnc = value;
		break;
	case OPTION_FRAMEBUFFER:
		if (sscanf(value, "%ux%u", &config->framebuffer_width, &config->framebuffer_height) != 2 ||
		    config->framebuffer_width < 64 || config->framebuffer_height < 64 ||
		    config->framebuffer_width > 4096 || config->framebuffer_height > 4096)
			die("bad framebuffer size: %s", value);
		break;
	case OPTION_RNG:
		config->rng = true;
		break;
	case OPTION_BALLOON:
		config->balloon = true;
		break;
	case OPTION_INPUT:
		config->input = true;
		break;
	case OPTION_KSM:
		config->ksm = true;
		break;
	case OPTION_ACPI:
		config->acpi = true;
		break;
	case OPTION_CPUID_MASK: {
		struct vm scratch;
		memset(&scratch, 0, sizeof(scratch));
		if (parse_cpuid_mask(&scratch, value) < 0 || pending_mask_count == VM_MAX_CPUID_MASKS)
			die("bad --cpuid-mask %s (expected LEAF[.SUBLEAF]:REG:BITS or a feature name)", value);
		pending_masks[pending_mask_count++] = scratch.cpuid_masks[0];
		break;
	}
	case 'v':
		if (log_threshold < LOG_LEVEL_DEBUG)
			log_threshold++;
		break;
	default:
		usage(stderr);
		exit(1);
	}
}

static int option_by_name(const char *name)
{
	for (const struct option *option = long_options; option->name; option++)
		if (strcmp(option->name, name) == 0)
			return option->val;
	return -1;
}

/* "name = value" per line; '#' starts a comment; flags take "yes"/"no". */
static void read_config_file(struct machine_config *config, const char *path)
{
	FILE *file = fopen(path, "r");
	char line[1024];
	unsigned number = 0;

	if (!file)
		die_errno("cannot open config file %s", path);
	while (fgets(line, sizeof(line), file)) {
		char *name = line, *value, *end;
		number++;
		if ((end = strchr(line, '#')))
			*end = 0;
		while (*name == ' ' || *name == '\t')
			name++;
		end = name + strlen(name);
		while (end > name && (end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
			*--end = 0;
		if (!*name)
			continue;
		value = strchr(name, '=');
		if (!value)
			die("%s:%u: expected name = value", path, number);
		*value++ = 0;
		for (end = value - 1; end > name && (end[-1] == ' ' || end[-1] == '\t'); end--)
			end[-1] = 0;
		while (*value == ' ' || *value == '\t')
			value++;
		int option = option_by_name(name);
		if (option < 0 || option == OPTION_CONFIG)
			die("%s:%u: unknown option %s", path, number, name);
		const struct option *entry = long_options;
		while (entry->val != option)
			entry++;
		if (entry->has_arg == no_argument) {
			if (strcmp(value, "yes") == 0 || strcmp(value, "true") == 0)
				apply_option(config, option, NULL);
		} else {
			apply_option(config, option, strdup(value));
		}
	}
	fclose(file);
}

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
	virtio_mmio_init(&slot->transport, device, base, irq, vm_trigger_irq, &machine->vm);
	ret = io_bus_register(&machine->vm.mmio_bus, base, VIRTIO_MMIO_REGION_SIZE,
			      virtio_mmio_access, &slot->transport);
	if (ret < 0)
		return ret;
	/* Linux finds virtio-mmio devices on the command line (drivers/virtio/virtio_mmio.c). */
	size_t used = strlen(cmdline);
	snprintf(cmdline + used, cmdline_size - used, "%svirtio_mmio.device=4K@0x%llx:%u",
		 used ? " " : "", (unsigned long long)base, irq);
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
		if (virtio_blk_init(&device, &vm->memory, disk) < 0 ||
		    add_virtio_slot(machine, SLOT_BLOCK, device, cmdline, cmdline_size) < 0)
			die("cannot add disk %s", config->disks[i].path);
	}
	for (unsigned i = 0; i < config->tap_count; i++) {
		int fd = net_tap_open(config->taps[i].name);
		if (fd < 0)
			die("tap %s: %s", config->taps[i].name, strerror(-fd));
		if (virtio_net_init(&device, &vm->memory, &machine->loop, fd, config->taps[i].mac) < 0 ||
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

int main(int argc, char **argv)
{
	struct machine_config *config = &machine.config;
	static char cmdline[BOOT_CMDLINE_MAX];
	int option, ret;

	config->memory_mib = 128;
	config->vcpus = 1;
	config->serial = "stdio";
	while ((option = getopt_long(argc, argv, "k:i:a:m:c:d:n:s:vh", long_options, NULL)) != -1) {
		if (option == 'h') {
			usage(stdout);
			return 0;
		}
		if (option == OPTION_CONFIG)
			read_config_file(config, optarg);
		else
			apply_option(config, option, optarg);
	}
	if (optind != argc || !config->kernel) {
		usage(stderr);
		return 1;
	}
	if (config->vcpus < 1 || config->vcpus > VM_MAX_VCPUS)
		die("--cpus must be between 1 and %d", VM_MAX_VCPUS);
	if (config->memory_mib < 16 || config->memory_mib > (1ULL << 20))
		die("--memory must be between 16 and 1048576 MiB");
	if (config->vnc && !config->framebuffer_width) {
		config->framebuffer_width = 1024;
		config->framebuffer_height = 768;
	}

	ret = vm_create(&machine.vm, config->memory_mib << 20, config->vcpus);
	if (ret < 0)
		die("cannot create the VM on /dev/kvm: %s", strerror(-ret));
	memcpy(machine.vm.cpuid_masks, pending_masks, sizeof(pending_masks));
	machine.vm.cpuid_mask_count = pending_mask_count;
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
		long rsdp = acpi_write_tables(&machine.vm.memory, config->vcpus);
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

	ret = vm_start(&machine.vm);
	if (ret < 0)
		die("cannot start the vCPUs: %s", strerror(-ret));
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

	int code = atomic_load(&machine.vm.exit_code);
	if (config->control)
		unlink(config->control);
	if (config->vnc)
		unlink(config->vnc);
	if (config->serial && strcmp(config->serial, "stdio") && strcmp(config->serial, "none"))
		unlink(config->serial);
	if (config->virtio_console)
		unlink(config->virtio_console);
	console_backend_restore_terminal();
	fflush(stdout);
	fflush(stderr);
	_exit(code < 0 ? VM_EXIT_MONITOR_ERROR : code);
}

/* mvm's options: command-line flags and "name = value" config files. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "machine.h"

void machine_config_usage(FILE *stream)
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
		"      --no-acpi            no ACPI tables (on by default: they describe the CPUs,\n"
		"                           COM1 and the virtio devices, and give the guest a\n"
		"                           power button and soft-off); the MP table and\n"
		"                           virtio_mmio.device= on the command line instead\n"
		"      --no-sandbox         no system call filter (the rest of the confinement\n"
		"                           stays as asked)\n"
		"      --uid N, --gid N     once everything is open, run as these unprivileged ids,\n"
		"                           with no supplementary groups and no capabilities\n"
		"      --jail DIR           once everything is open, enter a mount namespace of\n"
		"                           its own whose root is an empty read-only file system\n"
		"                           mounted on DIR (the host's DIR is not changed)\n"
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
	{ "rdrand", 1, 2, 30 },   { "tsc_deadline_timer", 1, 2, 24 },   { "bmi1", 7, 1, 3 },     { "avx2", 7, 1, 5 },
	{ "bmi2", 7, 1, 8 },      { "avx512f", 7, 1, 16 }, { "rdseed", 7, 1, 18 },
	{ "adx", 7, 1, 19 },      { "sha_ni", 7, 1, 29 },  { "avx512bw", 7, 1, 30 },
	{ "avx512vl", 7, 1, 31 }, { "pku", 7, 2, 3 },      { "la57", 7, 2, 16 },
	{ "pdpe1gb", 0x80000001, 3, 26 },
};

static int parse_cpuid_mask(struct cpuid_mask *masks, unsigned *count, const char *text)
{
	struct cpuid_mask mask = { .any_index = true };
	static const char *const registers[4] = { "eax", "ebx", "ecx", "edx" };
	char register_name[8];
	unsigned long function, bits;
	char *end;

	if (*count == VM_MAX_CPUID_MASKS)
		return -ENOSPC;
	for (size_t i = 0; i < sizeof(cpuid_features) / sizeof(cpuid_features[0]); i++)
		if (strcmp(text, cpuid_features[i].name) == 0) {
			mask.function = cpuid_features[i].function;
			mask.index = 0;
			mask.any_index = false;
			mask.reg = cpuid_features[i].reg;
			mask.clear_bits = 1u << cpuid_features[i].bit;
			masks[(*count)++] = mask;
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
			masks[(*count)++] = mask;
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
	OPTION_NO_ACPI,
	OPTION_NO_SANDBOX,
	OPTION_CPUID_MASK,
	OPTION_CONFIG,
	OPTION_UID,
	OPTION_GID,
	OPTION_JAIL,
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
	{ "no-acpi", no_argument, NULL, OPTION_NO_ACPI },
	{ "no-sandbox", no_argument, NULL, OPTION_NO_SANDBOX },
	{ "cpuid-mask", required_argument, NULL, OPTION_CPUID_MASK },
	{ "config", required_argument, NULL, OPTION_CONFIG },
	{ "uid", required_argument, NULL, OPTION_UID },
	{ "gid", required_argument, NULL, OPTION_GID },
	{ "jail", required_argument, NULL, OPTION_JAIL },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ 0, 0, 0, 0 },
};

/* A uid or gid mvm may switch to: not root's, not the "no id" value (uint32_t)-1. */
static int parse_id(const char *text, long long *id)
{
	char *end;
	unsigned long long value;

	if (!text || *text < '0' || *text > '9')
		return -EINVAL;
	errno = 0;
	value = strtoull(text, &end, 10);
	if (errno || *end || value == 0 || value >= 0xffffffffULL)
		return -EINVAL;
	*id = (long long)value;
	return 0;
}

static int apply_option(struct machine_config *config, int option, const char *value)
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
		if (config->disk_count == MACHINE_MAX_DISKS) {
			log_error("at most %d disks", MACHINE_MAX_DISKS);
			return -ENOSPC;
		}
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
		if (config->tap_count == MACHINE_MAX_TAPS) {
			log_error("at most %d taps", MACHINE_MAX_TAPS);
			return -ENOSPC;
		}
		struct tap_options *tap = &config->taps[config->tap_count];
		copy = strdup(value);
		char *comma = strchr(copy, ',');
		/* Locally administered, unicast; the last byte tells taps apart. */
		uint8_t default_mac[6] = { 0x52, 0x54, 0x00, 0x4d, 0x56, (uint8_t)(0x10 + config->tap_count) };
		memcpy(tap->mac, default_mac, 6);
		if (comma) {
			*comma = 0;
			if (strncmp(comma + 1, "mac=", 4) != 0 || parse_mac(comma + 5, tap->mac) < 0) {
				log_error("bad tap option: %s", value);
				free(copy);
				return -EINVAL;
			}
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
		    config->framebuffer_width > 4096 || config->framebuffer_height > 4096) {
			log_error("bad framebuffer size: %s (64x64 to 4096x4096)", value);
			return -EINVAL;
		}
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
	case OPTION_NO_ACPI:
		config->acpi = false;
		break;
	case OPTION_NO_SANDBOX:
		config->no_sandbox = true;
		break;
	case OPTION_CPUID_MASK:
		if (parse_cpuid_mask(config->cpuid_masks, &config->cpuid_mask_count, value) < 0) {
			log_error("bad --cpuid-mask %s (expected LEAF[.SUBLEAF]:REG:BITS or a feature name)",
				  value);
			return -EINVAL;
		}
		break;
	case OPTION_UID:
	case OPTION_GID:
		if (parse_id(value, option == OPTION_UID ? &config->uid : &config->gid) < 0) {
			log_error("bad --%s %s (an unprivileged id: a number, not 0)",
				  option == OPTION_UID ? "uid" : "gid", value);
			return -EINVAL;
		}
		break;
	case OPTION_JAIL:
		config->jail = value;
		break;
	case 'v':
		if (log_threshold < LOG_LEVEL_DEBUG)
			log_threshold++;
		break;
	default:
		return -EINVAL;
	}
	return 0;
}

static int option_by_name(const char *name)
{
	for (const struct option *option = long_options; option->name; option++)
		if (strcmp(option->name, name) == 0)
			return option->val;
	return -1;
}

int machine_config_read_file(struct machine_config *config, const char *path)
{
	FILE *file = fopen(path, "r");
	char line[1024];
	unsigned number = 0;
	int ret = 0;

	if (!file) {
		ret = -errno;
		log_error("cannot open config file %s: %s", path, strerror(errno));
		return ret;
	}
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
		if (!value) {
			log_error("%s:%u: expected name = value", path, number);
			ret = -EINVAL;
			goto out;
		}
		*value++ = 0;
		for (end = value - 1; end > name && (end[-1] == ' ' || end[-1] == '\t'); end--)
			end[-1] = 0;
		while (*value == ' ' || *value == '\t')
			value++;
		int option = option_by_name(name);
		if (option < 0 || option == OPTION_CONFIG) {
			log_error("%s:%u: unknown option %s", path, number, name);
			ret = -EINVAL;
			goto out;
		}
		const struct option *entry = long_options;
		while (entry->val != option)
			entry++;
		if (entry->has_arg == no_argument) {
			if (strcmp(value, "yes") == 0 || strcmp(value, "true") == 0)
				ret = apply_option(config, option, NULL);
		} else {
			ret = apply_option(config, option, strdup(value));
		}
		if (ret < 0) {
			log_error("%s:%u: bad value for %s", path, number, name);
			goto out;
		}
	}
out:
	fclose(file);
	return ret;
}

void machine_config_defaults(struct machine_config *config)
{
	memset(config, 0, sizeof(*config));
	config->memory_mib = 128;
	config->vcpus = 1;
	config->serial = "stdio";
	config->acpi = true;
	config->uid = -1;
	config->gid = -1;
}

int machine_config_set(struct machine_config *config, const char *name, const char *value)
{
	int option = option_by_name(name);

	if (option < 0 || option == OPTION_CONFIG)
		return -ENOENT;
	return apply_option(config, option, value);
}

int machine_config_parse_arguments(struct machine_config *config, int argc, char **argv)
{
	int option, ret;

	while ((option = getopt_long(argc, argv, "k:i:a:m:c:d:n:s:vh", long_options, NULL)) != -1) {
		if (option == 'h')
			return 1;
		if (option == OPTION_CONFIG)
			ret = machine_config_read_file(config, optarg);
		else
			ret = apply_option(config, option, optarg);
		if (ret < 0)
			return ret;
	}
	if (optind != argc) {
		log_error("unexpected argument: %s", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

int machine_config_validate(const struct machine_config *config)
{
	if (!config->kernel) {
		log_error("--kernel is required");
		return -EINVAL;
	}
	if (config->vcpus < 1 || config->vcpus > VM_MAX_VCPUS) {
		log_error("--cpus must be between 1 and %d", VM_MAX_VCPUS);
		return -EINVAL;
	}
	if (config->memory_mib < 16 || config->memory_mib > (1ULL << 20)) {
		log_error("--memory must be between 16 and 1048576 MiB");
		return -EINVAL;
	}
	if ((config->uid < 0) != (config->gid < 0)) {
		log_error("--uid and --gid go together");
		return -EINVAL;
	}
	return 0;
}

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "machine.h"
#include "unit.h"

static void write_file(const char *path, const char *text)
{
	FILE *file = fopen(path, "w");
	CHECK(file != NULL);
	if (file) {
		fputs(text, file);
		fclose(file);
	}
}

void test_config(void)
{
	struct machine_config config;

	machine_config_defaults(&config);
	CHECK_EQ(config.memory_mib, 128);
	CHECK_EQ(config.vcpus, 1);
	CHECK(strcmp(config.serial, "stdio") == 0);
	CHECK_EQ(machine_config_validate(&config), -EINVAL); /* no kernel */

	CHECK_EQ(machine_config_set(&config, "kernel", "vmlinux"), 0);
	CHECK_EQ(machine_config_set(&config, "memory", "256"), 0);
	CHECK_EQ(machine_config_set(&config, "cpus", "4"), 0);
	CHECK_EQ(machine_config_validate(&config), 0);
	CHECK_EQ(machine_config_set(&config, "cpus", "0"), 0);
	CHECK_EQ(machine_config_validate(&config), -EINVAL);
	CHECK_EQ(machine_config_set(&config, "cpus", "2"), 0);

	CHECK_EQ(machine_config_set(&config, "disk", "root.img"), 0);
	CHECK_EQ(machine_config_set(&config, "disk", "seed.img,ro"), 0);
	CHECK_EQ(config.disk_count, 2);
	CHECK(!config.disks[0].read_only);
	CHECK(config.disks[1].read_only && strcmp(config.disks[1].path, "seed.img") == 0);

	CHECK_EQ(machine_config_set(&config, "tap", "tap0,mac=52:54:00:aa:bb:cc"), 0);
	CHECK_EQ(config.taps[0].mac[5], 0xcc);
	CHECK(strcmp(config.taps[0].name, "tap0") == 0);
	CHECK_EQ(machine_config_set(&config, "tap", "tap1,mac=zz"), -EINVAL);
	CHECK_EQ(machine_config_set(&config, "tap", "tap1"), 0);
	CHECK_EQ(config.taps[1].mac[0], 0x52); /* a default, locally administered */
	CHECK(memcmp(config.taps[0].mac, config.taps[1].mac, 6) != 0);
	CHECK_EQ(machine_config_set(&config, "tap", "tap2"), -ENOSPC);

	CHECK_EQ(machine_config_set(&config, "framebuffer", "800x600"), 0);
	CHECK_EQ(config.framebuffer_width, 800);
	CHECK_EQ(machine_config_set(&config, "framebuffer", "10x10"), -EINVAL);

	CHECK_EQ(machine_config_set(&config, "cpuid-mask", "avx512f"), 0);
	CHECK_EQ(config.cpuid_masks[0].function, 7);
	CHECK_EQ(config.cpuid_masks[0].reg, 1);
	CHECK_EQ(config.cpuid_masks[0].clear_bits, 1u << 16);
	CHECK_EQ(machine_config_set(&config, "cpuid-mask", "0x80000001:edx:0x4000000"), 0);
	CHECK(config.cpuid_masks[1].any_index);
	CHECK_EQ(config.cpuid_masks[1].function, 0x80000001u);
	CHECK_EQ(config.cpuid_masks[1].reg, 3);
	CHECK_EQ(machine_config_set(&config, "cpuid-mask", "7.1:eax:16"), 0);
	CHECK(!config.cpuid_masks[2].any_index && config.cpuid_masks[2].index == 1);
	CHECK_EQ(machine_config_set(&config, "cpuid-mask", "no-such-feature"), -EINVAL);
	CHECK_EQ(machine_config_set(&config, "cpuid-mask", "1:xyz:1"), -EINVAL);
	CHECK_EQ(config.cpuid_mask_count, 3);

	/* Confinement: unprivileged ids only, both or neither. */
	CHECK_EQ(config.uid, -1);
	CHECK_EQ(machine_config_set(&config, "uid", "0"), -EINVAL);
	CHECK_EQ(machine_config_set(&config, "uid", "12x"), -EINVAL);
	CHECK_EQ(machine_config_set(&config, "uid", "-5"), -EINVAL);
	CHECK_EQ(machine_config_set(&config, "uid", "4294967295"), -EINVAL);
	CHECK_EQ(machine_config_set(&config, "uid", "2097152"), 0);
	CHECK_EQ(machine_config_validate(&config), -EINVAL); /* no --gid */
	CHECK_EQ(machine_config_set(&config, "gid", "2097153"), 0);
	CHECK_EQ(machine_config_set(&config, "jail", "/var/empty"), 0);
	CHECK_EQ(machine_config_validate(&config), 0);
	CHECK_EQ(config.uid, 2097152);
	CHECK_EQ(config.gid, 2097153);
	CHECK(strcmp(config.jail, "/var/empty") == 0);

	CHECK_EQ(machine_config_set(&config, "no-such-option", "1"), -ENOENT);
	CHECK_EQ(machine_config_set(&config, "config", "nested.conf"), -ENOENT);

	/* Files: comments, blank lines, spaces around '=', flags as yes/no. */
	char path[256];
	const char *directory = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	snprintf(path, sizeof(path), "%s/mvm-unit-config.%d", directory, (int)getpid());
	write_file(path, "# a VM\n\n  kernel = guest.elf  \nmemory=64 # MiB\nrng = yes\nballoon = no\n"
			 "cmdline = console=ttyS0 quiet\n");
	machine_config_defaults(&config);
	CHECK_EQ(machine_config_read_file(&config, path), 0);
	CHECK(config.kernel && strcmp(config.kernel, "guest.elf") == 0);
	CHECK_EQ(config.memory_mib, 64);
	CHECK(config.rng);
	CHECK(!config.balloon);
	CHECK(config.cmdline && strcmp(config.cmdline, "console=ttyS0 quiet") == 0);
	write_file(path, "kernel = a\nthis line has no equals sign\n");
	CHECK_EQ(machine_config_read_file(&config, path), -EINVAL);
	write_file(path, "frobnicate = 1\n");
	CHECK_EQ(machine_config_read_file(&config, path), -EINVAL);
	unlink(path);
	CHECK_EQ(machine_config_read_file(&config, path), -ENOENT);
}

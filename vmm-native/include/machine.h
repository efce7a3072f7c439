/* Everything one mvm process runs: the VM, its devices and its sockets. */
#ifndef MVM_MACHINE_H
#define MVM_MACHINE_H

#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>

#include "acpi.h"
#include "console_backend.h"
#include "event_loop.h"
#include "uart8250.h"
#include "virtio.h"
#include "virtio_mmio.h"
#include "vm.h"
#include "x86_boot.h"

#define MACHINE_MAX_DISKS 4
#define MACHINE_MAX_TAPS 2
#define MACHINE_MAX_VIRTIO 10

/* virtio-mmio windows sit in the 32-bit MMIO hole, one page each. */
#define MACHINE_VIRTIO_MMIO_BASE 0xd0000000ULL
#define MACHINE_FRAMEBUFFER_ADDRESS 0xe0000000ULL
#define MACHINE_FRAMEBUFFER_SLOT 2

struct disk_options {
	const char *path;
	bool read_only;
};

struct tap_options {
	const char *name;
	uint8_t mac[6];
};

struct machine_config {
	uint64_t memory_mib;
	unsigned vcpus;
	const char *kernel;
	const char *initrd;
	const char *cmdline;
	const char *serial;          /* "stdio", "none" or a socket path */
	const char *virtio_console;  /* socket path, or NULL */
	const char *control;         /* socket path, or NULL */
	const char *vnc;             /* socket path, or NULL */
	uint32_t framebuffer_width, framebuffer_height;
	bool rng, balloon, input, ksm, acpi, no_sandbox;
	const char *jail;            /* directory the empty root is mounted on, or NULL */
	long long uid, gid;          /* unprivileged ids to run as once set up; -1 for none */
	struct disk_options disks[MACHINE_MAX_DISKS];
	unsigned disk_count;
	struct tap_options taps[MACHINE_MAX_TAPS];
	unsigned tap_count;
	struct cpuid_mask cpuid_masks[VM_MAX_CPUID_MASKS];
	unsigned cpuid_mask_count;
};

/* Options (config.c). Errors are logged and returned as negative errno. */
void machine_config_defaults(struct machine_config *config);
/* 1 when --help was asked for. */
int machine_config_parse_arguments(struct machine_config *config, int argc, char **argv);
int machine_config_read_file(struct machine_config *config, const char *path);
/* One option by its long name; value is NULL for flags. */
int machine_config_set(struct machine_config *config, const char *name, const char *value);
int machine_config_validate(const struct machine_config *config);
void machine_config_usage(FILE *stream);

enum virtio_slot_kind { SLOT_BLOCK, SLOT_NET, SLOT_CONSOLE, SLOT_RNG, SLOT_BALLOON, SLOT_KEYBOARD,
			SLOT_TABLET };

struct virtio_slot;

/* A queue whose notifications come through an ioeventfd, read on the event loop. */
struct queue_notifier {
	struct event_handler handler;   /* the eventfd */
	struct virtio_slot *slot;
	uint16_t queue;
};

struct virtio_slot {
	enum virtio_slot_kind kind;
	struct virtio_device *device;
	struct virtio_mmio transport;
	int irq_event_fd;               /* the irqfd interrupts go through; -1: KVM_IRQ_LINE */
	struct vm *vm;                  /* for KVM_IRQ_LINE */
	struct queue_notifier notifiers[VIRTIO_MAX_QUEUES];
	unsigned notifier_count;        /* queues with an ioeventfd (all of them, or none) */
	atomic_uint_fast64_t interrupts_by_irqfd;
	atomic_uint_fast64_t notifications_by_ioeventfd;
};

struct rfb_server;

struct machine {
	struct machine_config config;
	struct vm vm;
	struct event_loop loop;
	struct uart8250 uart;
	struct console_backend serial;
	struct console_backend virtio_console;
	struct virtio_slot slots[MACHINE_MAX_VIRTIO];
	unsigned slot_count;
	struct virtio_device *keyboard, *tablet, *balloon;
	struct acpi_pm acpi_pm;
	struct framebuffer_info framebuffer;
	uint8_t *framebuffer_memory;
	struct rfb_server *rfb;
	long long stop_deadline_ms;  /* CLOCK_MONOTONIC; 0 when no stop is pending */
};

/* Control socket (control.c). */
int control_open(struct machine *machine, const char *path);
/* Writes a JSON object with the machine's counters into buffer. */
int machine_stats_json(struct machine *machine, char *buffer, size_t size);
long long machine_now_ms(void);

#endif

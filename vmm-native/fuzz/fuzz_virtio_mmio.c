/*
 * The guest drives a virtio-mmio register window with any sequence of
 * accesses (any offset and size, status changes, feature and queue setup,
 * notifies, resets) and writes guest memory in between, so that the rings
 * it points the queues at hold whatever it likes. Behind the transport: a
 * block device on a small in-memory disk (served at once), an entropy
 * device, a balloon or a keyboard.
 *
 * Input: one byte choosing the device, then 7-byte operations:
 *   byte 0  bits 0-1: 0 read, 1 write, 2 store into guest memory
 *           bits 2-3: access size 1, 2, 4 or 8
 *   1-2     register offset (0 .. 0xfff), or guest address / 4
 *   3-6     value (little endian)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "devices.h"
#include "log.h"
#include "virtio_mmio.h"

#define FUZZ_MEMORY (64 * 1024)
#define FUZZ_DISK (64 * 1024)
#define DEVICE_KINDS 4

static struct guest_memory memory;
static struct disk_file disk;
static struct virtio_device *devices[DEVICE_KINDS];
static struct virtio_mmio transport;

static void no_irq(void *opaque, unsigned irq)
{
	(void)opaque;
	(void)irq;
}

static void setup(void)
{
	log_threshold = LOG_LEVEL_NONE; /* the guest is wrong on purpose */
	int fd = memfd_create("fuzz-disk", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, FUZZ_DISK) < 0 || guest_memory_allocate(&memory, FUZZ_MEMORY) < 0)
		abort();
	disk = (struct disk_file){ .fd = fd, .size = FUZZ_DISK, .read_only = false };
	if (virtio_blk_init(&devices[0], &memory, &disk, false) < 0 ||
	    virtio_rng_init(&devices[1], &memory) < 0 ||
	    virtio_balloon_init(&devices[2], &memory) < 0 ||
	    virtio_input_init(&devices[3], &memory, VIRTIO_INPUT_KEYBOARD, 640, 480) < 0)
		abort();
}

static void access_register(uint64_t offset, unsigned size, uint32_t value, bool is_write)
{
	uint8_t data[8];

	memcpy(data, &value, 4);
	memcpy(data + 4, &value, 4);
	virtio_mmio_access(&transport, offset, data, size, is_write);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned sizes[4] = { 1, 2, 4, 8 };

	if (!memory.host_base)
		setup();
	if (size < 1)
		return 0;
	struct virtio_device *device = devices[data[0] % DEVICE_KINDS];
	disk.read_only = data[0] & 0x80;
	virtio_mmio_init(&transport, device, 0xd0000000, 5, no_irq, NULL);
	access_register(0x070, 4, 0, true); /* start from a reset device */
	memset(memory.host_base, 0, FUZZ_MEMORY);

	for (size_t at = 1; at + 7 <= size; at += 7) {
		const uint8_t *operation = data + at;
		uint16_t where = (uint16_t)(operation[1] | operation[2] << 8);
		uint32_t value = (uint32_t)operation[3] | (uint32_t)operation[4] << 8 |
				 (uint32_t)operation[5] << 16 | (uint32_t)operation[6] << 24;
		unsigned access_size = sizes[(operation[0] >> 2) & 3];

		switch (operation[0] & 3) {
		case 0:
			access_register(where & 0xfff, access_size, 0, false);
			break;
		case 1:
			access_register(where & 0xfff, access_size, value, true);
			break;
		case 2:
			memcpy(memory.host_base + ((uint64_t)where * 4) % FUZZ_MEMORY, &value, 4);
			break;
		default:
			break;
		}
	}
	return 0;
}

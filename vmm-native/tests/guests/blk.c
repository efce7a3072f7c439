/*
 * Drives a virtio block device: reads the sector the host prepared, writes
 * one back, flushes, discards, asks for the ID and for an out-of-range
 * sector. With a read-only disk the write must fail with VIRTIO_BLK_S_IOERR.
 */
#include "guest.h"

#define BLK_T_IN 0
#define BLK_T_OUT 1
#define BLK_T_FLUSH 4
#define BLK_T_GET_ID 8
#define BLK_T_DISCARD 11
#define BLK_F_RO 5
#define BLK_S_OK 0
#define BLK_S_IOERR 1

struct request_header {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

static struct request_header header;
static uint8_t data[4096] __attribute__((aligned(512)));
static volatile uint8_t status;
static struct vq queue;
static uint64_t base;

static int request(uint32_t type, uint64_t sector, void *buffer, uint32_t length, bool device_writes)
{
	struct buffer buffers[3];
	unsigned count = 0;

	header = (struct request_header){ .type = type, .sector = sector };
	buffers[count++] = (struct buffer){ (uint64_t)(uintptr_t)&header, sizeof(header), false };
	if (length)
		buffers[count++] = (struct buffer){ (uint64_t)(uintptr_t)buffer, length, device_writes };
	buffers[count++] = (struct buffer){ (uint64_t)(uintptr_t)&status, 1, true };
	status = 0xff;
	vq_submit(base, &queue, 0, buffers, count);
	if (vq_wait(&queue, 100000000UL) < 0)
		fail("no completion from the block device");
	return status;
}

void guest_main(void *info);

void guest_main(void *info)
{
	(void)info;
	base = virtio_find(2, 0);
	if (!base)
		fail("no virtio block device");
	mmio_write32(base + 0x014, 0);
	bool read_only = mmio_read32(base + 0x010) & (1u << BLK_F_RO);
	if (virtio_start(base, (1u << 9) | (1u << 13) | (1u << BLK_F_RO), &queue, 1) < 0)
		fail("virtio setup");
	uint64_t capacity = mmio_read32(base + 0x100) | (uint64_t)mmio_read32(base + 0x104) << 32;
	print("disk: %lu sectors%s\n", (unsigned long)capacity, read_only ? ", read-only" : "");

	if (request(BLK_T_IN, 0, data, 512, true) != BLK_S_OK || memcmp(data, "MVMDISK0", 8) != 0)
		fail("sector 0 does not hold the host's marker");
	print("read sector 0: %c%c%c%c%c%c%c%c\n", data[0], data[1], data[2], data[3], data[4],
	      data[5], data[6], data[7]);

	static const char message[] = "written by the guest";
	memset(data, 0, 1024);
	memcpy(data, message, sizeof(message));
	memcpy(data + 512, message, sizeof(message));
	int write_status = request(BLK_T_OUT, 1, data, 1024, false);
	if (read_only) {
		if (write_status != BLK_S_IOERR)
			fail("a read-only disk accepted a write");
		print("write refused on the read-only disk\n");
	} else {
		if (write_status != BLK_S_OK)
			fail("write");
		memset(data, 0, 1024);
		if (request(BLK_T_IN, 1, data, 1024, true) != BLK_S_OK ||
		    memcmp(data, message, sizeof(message)) != 0 ||
		    memcmp(data + 512, message, sizeof(message)) != 0)
			fail("read back");
		if (request(BLK_T_FLUSH, 0, NULL, 0, false) != BLK_S_OK)
			fail("flush");
		struct { uint64_t sector; uint32_t count, flags; } discard = { 8, 8, 0 };
		if (request(BLK_T_DISCARD, 0, &discard, sizeof(discard), false) != BLK_S_OK)
			fail("discard");
		print("wrote, read back, flushed and discarded\n");
	}
	if (request(BLK_T_GET_ID, 0, data, 20, true) != BLK_S_OK || memcmp(data, "mvm-disk", 8) != 0)
		fail("get id");
	if (request(BLK_T_IN, capacity, data, 512, true) != BLK_S_IOERR)
		fail("a read past the end succeeded");
	print("read past the end refused\n");
	print("PASS\n");
	power_off(0);
}

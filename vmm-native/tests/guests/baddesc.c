/*
 * Breaks the virtqueue rules on purpose, one way at a time. After each the
 * device must report DEVICE_NEEDS_RESET (virtio 1.x 2.1.2), and after a
 * reset it must serve a valid request again: the monitor survives it all.
 */
#include "guest.h"

#define STATUS_NEEDS_RESET 0x40
#define DESC_NEXT 1
#define DESC_WRITE 2
#define DESC_INDIRECT 4

static struct { uint32_t type, reserved; uint64_t sector; } header;
static uint8_t data[512];
static volatile uint8_t status;
static struct vq queue;
static uint64_t base;

static void restart(void)
{
	if (virtio_start(base, 0, &queue, 1) < 0)
		fail("virtio setup");
}

static void expect_needs_reset(const char *what)
{
	for (unsigned long i = 0; i < 1000000; i++)
		if (virtio_status(base) & STATUS_NEEDS_RESET) {
			print("%s: device needs reset\n", what);
			restart();
			return;
		}
	print("%s: ", what);
	fail("the device did not report the broken chain");
}

static void valid_read(void)
{
	struct buffer buffers[3] = {
		{ (uint64_t)(uintptr_t)&header, sizeof(header), false },
		{ (uint64_t)(uintptr_t)data, sizeof(data), true },
		{ (uint64_t)(uintptr_t)&status, 1, true },
	};
	header.type = 0;
	header.sector = 0;
	status = 0xff;
	vq_submit(base, &queue, 0, buffers, 3);
	if (vq_wait(&queue, 100000000UL) < 0 || status != 0)
		fail("valid request after reset");
}

void guest_main(void *info);

void guest_main(void *info)
{
	uint64_t header_address = (uint64_t)(uintptr_t)&header;
	uint64_t status_address = (uint64_t)(uintptr_t)&status;
	(void)info;

	base = virtio_find(2, 0);
	if (!base)
		fail("no virtio block device");
	restart();
	valid_read();
	print("valid request served\n");

	vq_publish(base, &queue, 0, 100);
	expect_needs_reset("head index beyond the queue");

	vq_write_desc(&queue, 0, 0xfff00000000ULL, 16, DESC_NEXT, 1);
	vq_write_desc(&queue, 1, status_address, 1, DESC_WRITE, 0);
	vq_publish(base, &queue, 0, 0);
	expect_needs_reset("buffer outside guest memory");

	vq_write_desc(&queue, 0, header_address, 16, DESC_NEXT, 1);
	vq_write_desc(&queue, 1, header_address, 16, DESC_NEXT, 0);
	vq_publish(base, &queue, 0, 0);
	expect_needs_reset("descriptor loop");

	vq_write_desc(&queue, 0, 0x100000, 0xffffffff, DESC_NEXT, 1);
	vq_write_desc(&queue, 1, status_address, 1, DESC_WRITE, 0);
	vq_publish(base, &queue, 0, 0);
	expect_needs_reset("length running past the end of memory");

	vq_write_desc(&queue, 0, status_address, 1, DESC_NEXT | DESC_WRITE, 1);
	vq_write_desc(&queue, 1, header_address, 16, 0, 0);
	vq_publish(base, &queue, 0, 0);
	expect_needs_reset("readable after writable");

	vq_write_desc(&queue, 0, header_address, 16, DESC_INDIRECT, 0);
	vq_publish(base, &queue, 0, 0);
	expect_needs_reset("indirect descriptor not negotiated");

	vq_write_desc(&queue, 0, header_address, 16, DESC_NEXT, 20);
	vq_publish(base, &queue, 0, 0);
	expect_needs_reset("next index beyond the queue");

	vq_write_desc(&queue, 0, header_address, 16, 0, 0);
	vq_publish(base, &queue, 0, 0);
	expect_needs_reset("request without a status byte");

	queue.avail[1] = (uint16_t)(queue.next_available + 100);
	mmio_write32(base + 0x050, 0);
	expect_needs_reset("available index too far ahead");

	mmio_write32(base + 0x050, 7);
	expect_needs_reset("notify for a missing queue");

	valid_read();
	print("valid request served after all of it\n");
	print("PASS\n");
	power_off(0);
}

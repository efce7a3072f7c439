#include <string.h>

#include "devices.h"
#include "unit.h"
#include "virtio_mmio.h"

static unsigned irqs_triggered;

static void trigger(void *opaque, unsigned irq)
{
	(void)opaque;
	CHECK_EQ(irq, 5);
	irqs_triggered++;
}

static uint32_t reg_read(struct virtio_mmio *transport, uint64_t offset)
{
	uint32_t value = 0;
	virtio_mmio_access(transport, offset, (uint8_t *)&value, 4, false);
	return value;
}

static void reg_write(struct virtio_mmio *transport, uint64_t offset, uint32_t value)
{
	virtio_mmio_access(transport, offset, (uint8_t *)&value, 4, true);
}

void test_virtio_mmio(void)
{
	struct fake_guest guest;
	struct virtio_device *device;
	struct virtio_mmio transport;

	fake_guest_init(&guest, 1 << 20);
	CHECK_EQ(virtio_rng_init(&device, &guest.memory), 0);
	virtio_mmio_init(&transport, device, 0xd0000000, 5, trigger, NULL);

	CHECK_EQ(reg_read(&transport, 0x000), 0x74726976);
	CHECK_EQ(reg_read(&transport, 0x004), 2);
	CHECK_EQ(reg_read(&transport, 0x008), 4);
	reg_write(&transport, 0x014, 1);
	CHECK_EQ(reg_read(&transport, 0x010), 1); /* VIRTIO_F_VERSION_1 is bit 32 */

	/* Byte access to a register is refused: reads as zero. */
	uint8_t byte = 0xff;
	virtio_mmio_access(&transport, 0x000, &byte, 1, false);
	CHECK_EQ(byte, 0);

	/* FEATURES_OK does not stick without VERSION_1 (3.1.1, 6.1). */
	reg_write(&transport, 0x070, 1 | 2);
	reg_write(&transport, 0x024, 1);
	reg_write(&transport, 0x020, 0);
	reg_write(&transport, 0x070, 1 | 2 | 8);
	CHECK_EQ(reg_read(&transport, 0x070) & 8, 0);
	reg_write(&transport, 0x070, 0);
	reg_write(&transport, 0x070, 1 | 2);
	reg_write(&transport, 0x024, 1);
	reg_write(&transport, 0x020, 1);
	reg_write(&transport, 0x070, 1 | 2 | 8);
	CHECK_EQ(reg_read(&transport, 0x070) & 8, 8);

	/* Queue setup through the registers, then a request. */
	uint64_t desc = fake_guest_alloc(&guest, 16 * 8, 16);
	uint64_t avail = fake_guest_alloc(&guest, 6 + 2 * 8, 2);
	uint64_t used = fake_guest_alloc(&guest, 6 + 8 * 8, 4);
	reg_write(&transport, 0x030, 0);
	CHECK_EQ(reg_read(&transport, 0x034), 64);
	reg_write(&transport, 0x038, 6); /* not a power of two */
	CHECK(reg_read(&transport, 0x070) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	reg_write(&transport, 0x070, 0);
	CHECK_EQ(reg_read(&transport, 0x070), 0);
	reg_write(&transport, 0x070, 1 | 2);
	reg_write(&transport, 0x024, 1);
	reg_write(&transport, 0x020, 1);
	reg_write(&transport, 0x070, 1 | 2 | 8);
	reg_write(&transport, 0x038, 8);
	reg_write(&transport, 0x080, (uint32_t)desc);
	reg_write(&transport, 0x084, 0);
	reg_write(&transport, 0x090, (uint32_t)avail);
	reg_write(&transport, 0x0a0, (uint32_t)used);
	reg_write(&transport, 0x044, 1);
	CHECK_EQ(reg_read(&transport, 0x044), 1);
	reg_write(&transport, 0x080, 0x1234); /* ignored while the queue is ready */
	CHECK_EQ(device->queues[0].desc_address, desc);
	reg_write(&transport, 0x070, 1 | 2 | 8 | 4);

	struct virtq_helper helper = { .guest = &guest, .queue = &device->queues[0], .size = 8 };
	uint64_t buffer = fake_guest_alloc(&guest, 32, 8);
	struct chain_buffer chain = { buffer, 32, true };
	virtq_helper_add(&helper, &chain, 1);
	irqs_triggered = 0;
	reg_write(&transport, 0x050, 0);
	uint32_t id, length;
	CHECK(virtq_helper_used(&helper, &id, &length));
	CHECK_EQ(length, 32);
	CHECK_EQ(irqs_triggered, 1);
	CHECK_EQ(reg_read(&transport, 0x060), VIRTIO_INTERRUPT_USED_BUFFER);
	reg_write(&transport, 0x064, VIRTIO_INTERRUPT_USED_BUFFER);
	CHECK_EQ(reg_read(&transport, 0x060), 0);

	/* The same through virtio_mmio_queue_notify(), as an ioeventfd's reader calls it. */
	virtq_helper_add(&helper, &chain, 1);
	irqs_triggered = 0;
	virtio_mmio_queue_notify(&transport, 0);
	CHECK(virtq_helper_used(&helper, &id, &length));
	CHECK_EQ(length, 32);
	CHECK_EQ(irqs_triggered, 1);
	reg_write(&transport, 0x064, VIRTIO_INTERRUPT_USED_BUFFER);

	/* Notify for a queue that does not exist: device error, no crash. */
	reg_write(&transport, 0x050, 3);
	CHECK(reg_read(&transport, 0x070) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	CHECK_EQ(atomic_load(&device->errors), 2);
	CHECK_EQ(reg_read(&transport, 0x060) & VIRTIO_INTERRUPT_CONFIG_CHANGE,
		 VIRTIO_INTERRUPT_CONFIG_CHANGE);
	reg_write(&transport, 0x070, 0);
	CHECK_EQ(device->queues[0].ready, 0);

	/*
	 * A ring at an address of the wrong alignment (2.7: descriptors 16, available 2, used 4)
	 * is refused when the driver makes the queue ready: the device needs a reset and the queue
	 * stays unready, so nothing reads or writes the ring in place (the fuzzer found the used
	 * ring accessed at an odd address).
	 */
	uint64_t misaligned[3][3] = {
		{ desc + 8, avail, used }, { desc, avail + 1, used }, { desc, avail, used + 2 },
	};
	unsigned errors = atomic_load(&device->errors);
	for (int i = 0; i < 3; i++) {
		reg_write(&transport, 0x070, 0);
		reg_write(&transport, 0x070, 1 | 2);
		reg_write(&transport, 0x024, 1);
		reg_write(&transport, 0x020, 1);
		reg_write(&transport, 0x070, 1 | 2 | 8);
		reg_write(&transport, 0x030, 0);
		reg_write(&transport, 0x038, 8);
		reg_write(&transport, 0x080, (uint32_t)misaligned[i][0]);
		reg_write(&transport, 0x090, (uint32_t)misaligned[i][1]);
		reg_write(&transport, 0x0a0, (uint32_t)misaligned[i][2]);
		reg_write(&transport, 0x044, 1);
		CHECK_EQ(reg_read(&transport, 0x044), 0);
		CHECK(reg_read(&transport, 0x070) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
		CHECK_EQ(atomic_load(&device->errors), errors + 1 + i);
	}
	reg_write(&transport, 0x070, 0);
	fake_guest_release(&guest);
}

#include <errno.h>
#include <string.h>

#include "unit.h"

static struct virtq_chain chain;

static void test_well_formed_chain(void)
{
	struct fake_guest guest;
	struct virtqueue queue;
	struct virtq_helper helper;
	uint32_t id, length;

	fake_guest_init(&guest, 1 << 20);
	virtq_helper_init(&helper, &guest, &queue, 8);
	CHECK_EQ(virtqueue_pop(&queue, &guest.memory, &chain), 0);

	uint64_t first = fake_guest_store(&guest, "hello ", 6);
	uint64_t second = fake_guest_store(&guest, "world", 5);
	uint64_t reply = fake_guest_alloc(&guest, 16, 8);
	struct chain_buffer buffers[3] = { { first, 6, false }, { second, 5, false }, { reply, 16, true } };
	uint16_t head = virtq_helper_add(&helper, buffers, 3);

	CHECK(virtqueue_has_available(&queue, &guest.memory));
	CHECK_EQ(virtqueue_pop(&queue, &guest.memory, &chain), 1);
	CHECK_EQ(chain.head, head);
	CHECK_EQ(chain.readable_count, 2);
	CHECK_EQ(chain.writable_count, 1);
	CHECK_EQ(chain.readable_bytes, 11);
	CHECK_EQ(chain.writable_bytes, 16);
	char text[16] = { 0 };
	CHECK_EQ(virtq_chain_read(&chain, 0, text, sizeof(text)), 11);
	CHECK(strcmp(text, "hello world") == 0);
	CHECK_EQ(virtq_chain_read(&chain, 4, text, 3), 3);
	CHECK(memcmp(text, "o w", 3) == 0);
	CHECK_EQ(virtq_chain_write(&chain, 2, "abc", 3), 3);
	CHECK(memcmp((char *)fake_guest_host(&guest, reply) + 2, "abc", 3) == 0);
	CHECK_EQ(virtq_chain_write(&chain, 14, "abcdef", 6), 2); /* never past the buffer */

	CHECK_EQ(virtqueue_push(&queue, &guest.memory, chain.head, 5), 0);
	CHECK(virtq_helper_used(&helper, &id, &length));
	CHECK_EQ(id, head);
	CHECK_EQ(length, 5);
	CHECK_EQ(virtqueue_pop(&queue, &guest.memory, &chain), 0);

	/* Free-running 16-bit indices wrap. */
	for (unsigned round = 0; round < 70000; round += 1000) {
		queue.next_available = (uint16_t)(65530 + round);
		queue.next_used = queue.next_available;
		helper.available_index = queue.next_available;
		helper.used_seen = queue.next_used;
		virtq_helper_add(&helper, buffers, 3);
		CHECK_EQ(virtqueue_pop(&queue, &guest.memory, &chain), 1);
		virtqueue_push(&queue, &guest.memory, chain.head, 0);
		CHECK(virtq_helper_used(&helper, &id, &length));
	}
	fake_guest_release(&guest);
}

static void expect_broken(void (*setup)(struct virtq_helper *, struct fake_guest *), int error,
			  const char *what)
{
	struct fake_guest guest;
	struct virtqueue queue;
	struct virtq_helper helper;

	fake_guest_init(&guest, 1 << 20);
	virtq_helper_init(&helper, &guest, &queue, 8);
	setup(&helper, &guest);
	int ret = virtqueue_pop(&queue, &guest.memory, &chain);
	if (ret != error)
		fprintf(stderr, "    %s: got %d, expected %d\n", what, ret, error);
	CHECK_EQ(ret, error);
	fake_guest_release(&guest);
}

static void head_out_of_range(struct virtq_helper *helper, struct fake_guest *guest)
{
	(void)guest;
	virtq_helper_publish(helper, 8);
}

static void next_out_of_range(struct virtq_helper *helper, struct fake_guest *guest)
{
	virtq_helper_set_desc(helper, 0, fake_guest_alloc(guest, 8, 8), 8, VIRTQ_DESC_F_NEXT, 9);
	virtq_helper_publish(helper, 0);
}

static void descriptor_loop(struct virtq_helper *helper, struct fake_guest *guest)
{
	uint64_t buffer = fake_guest_alloc(guest, 8, 8);
	virtq_helper_set_desc(helper, 0, buffer, 8, VIRTQ_DESC_F_NEXT, 1);
	virtq_helper_set_desc(helper, 1, buffer, 8, VIRTQ_DESC_F_NEXT, 0);
	virtq_helper_publish(helper, 0);
}

static void buffer_outside_memory(struct virtq_helper *helper, struct fake_guest *guest)
{
	(void)guest;
	virtq_helper_set_desc(helper, 0, guest->memory.size - 4, 8, 0, 0);
	virtq_helper_publish(helper, 0);
}

static void address_wraps(struct virtq_helper *helper, struct fake_guest *guest)
{
	(void)guest;
	virtq_helper_set_desc(helper, 0, UINT64_MAX - 2, 16, 0, 0);
	virtq_helper_publish(helper, 0);
}

static void readable_after_writable(struct virtq_helper *helper, struct fake_guest *guest)
{
	uint64_t buffer = fake_guest_alloc(guest, 8, 8);
	virtq_helper_set_desc(helper, 0, buffer, 8, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
	virtq_helper_set_desc(helper, 1, buffer, 8, 0, 0);
	virtq_helper_publish(helper, 0);
}

static void indirect(struct virtq_helper *helper, struct fake_guest *guest)
{
	virtq_helper_set_desc(helper, 0, fake_guest_alloc(guest, 32, 16), 32, VIRTQ_DESC_F_INDIRECT, 0);
	virtq_helper_publish(helper, 0);
}

static void index_too_far_ahead(struct virtq_helper *helper, struct fake_guest *guest)
{
	struct virtq_avail *avail = fake_guest_host(guest, helper->queue->driver_address);
	avail->index = 9;
}

static void rings_outside_memory(struct virtq_helper *helper, struct fake_guest *guest)
{
	helper->queue->device_address = guest->memory.size - 8;
	virtq_helper_publish(helper, 0);
}

static void size_not_power_of_two(struct virtq_helper *helper, struct fake_guest *guest)
{
	(void)guest;
	helper->queue->size = 6;
}

/*
 * VIRTIO_RING_F_EVENT_IDX (2.7.7.2, 2.7.10): the device interrupts only when
 * the used index passes the driver's used_event, ignoring the flags; when it
 * runs out of work it asks to be notified at the next available index, and
 * looks again in case the driver published an entry meanwhile.
 */
static void test_event_index(void)
{
	struct fake_guest guest;
	struct virtqueue queue;
	struct virtq_helper helper;
	static struct virtq_chain popped;
	fake_guest_init(&guest, 1 << 20);
	virtq_helper_init(&helper, &guest, &queue, 8);
	queue.event_index = true;
	struct virtq_avail *avail = fake_guest_host(&guest, queue.driver_address);
	struct virtq_used *used = fake_guest_host(&guest, queue.device_address);
	uint16_t *used_event = &avail->ring[8];
	uint16_t *avail_event = (uint16_t *)(void *)&used->ring[8];
	uint64_t buffer = fake_guest_alloc(&guest, 64, 8);
	struct chain_buffer one = { buffer, 64, true };

	/* Empty: avail_event asks for a notification at entry 0. */
	*avail_event = 0xffff;
	CHECK_EQ(virtqueue_pop(&queue, &guest.memory, &popped), 0);
	CHECK_EQ(*avail_event, 0);

	/* Three chains; the driver wants an interrupt once the used index passes 2. */
	for (int i = 0; i < 3; i++)
		virtq_helper_add(&helper, &one, 1);
	*used_event = 2;
	avail->flags = VIRTQ_AVAIL_F_NO_INTERRUPT; /* ignored with the event index */
	CHECK_EQ(virtqueue_pop(&queue, &guest.memory, &popped), 1);
	CHECK_EQ(virtqueue_push(&queue, &guest.memory, popped.head, 0), 0);
	CHECK(virtqueue_should_interrupt(&queue, &guest.memory)); /* the first decision always interrupts */
	CHECK_EQ(virtqueue_pop(&queue, &guest.memory, &popped), 1);
	CHECK_EQ(virtqueue_push(&queue, &guest.memory, popped.head, 0), 0);
	CHECK(!virtqueue_should_interrupt(&queue, &guest.memory)); /* used 2: not past used_event 2 */
	CHECK_EQ(virtqueue_pop(&queue, &guest.memory, &popped), 1);
	CHECK_EQ(virtqueue_push(&queue, &guest.memory, popped.head, 0), 0);
	CHECK(virtqueue_should_interrupt(&queue, &guest.memory)); /* used 3 passed entry 2 */
	CHECK(!virtqueue_should_interrupt(&queue, &guest.memory)); /* nothing new since */

	/* Out of work again: notify at entry 3, the next the driver makes available. */
	CHECK_EQ(virtqueue_pop(&queue, &guest.memory, &popped), 0);
	CHECK_EQ(*avail_event, 3);

	/* Across the 16-bit wrap: used_event 0xffff is passed when the index goes 0xffff -> 0. */
	queue.next_used = 0xfffe;
	queue.signalled_used = 0xfffe;
	*used_event = 0xffff;
	queue.next_used = 0xffff;
	CHECK(!virtqueue_should_interrupt(&queue, &guest.memory));
	queue.next_used = 0;
	CHECK(virtqueue_should_interrupt(&queue, &guest.memory));
	fake_guest_release(&guest);
}

void test_virtqueue(void)
{
	test_well_formed_chain();
	expect_broken(head_out_of_range, -EINVAL, "head out of range");
	expect_broken(next_out_of_range, -EINVAL, "next out of range");
	expect_broken(descriptor_loop, -ELOOP, "loop");
	expect_broken(buffer_outside_memory, -EFAULT, "buffer outside memory");
	expect_broken(address_wraps, -EFAULT, "address wraps");
	expect_broken(readable_after_writable, -EINVAL, "readable after writable");
	expect_broken(indirect, -EINVAL, "indirect");
	expect_broken(index_too_far_ahead, -EINVAL, "index too far ahead");
	expect_broken(rings_outside_memory, -EFAULT, "rings outside memory");
	expect_broken(size_not_power_of_two, -EINVAL, "size not a power of two");

	/* The driver may ask for no interrupts (2.7.7). */
	struct fake_guest guest;
	struct virtqueue queue;
	struct virtq_helper helper;
	fake_guest_init(&guest, 1 << 20);
	virtq_helper_init(&helper, &guest, &queue, 8);
	CHECK(virtqueue_should_interrupt(&queue, &guest.memory));
	struct virtq_avail *avail = fake_guest_host(&guest, queue.driver_address);
	avail->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
	CHECK(!virtqueue_should_interrupt(&queue, &guest.memory));
	fake_guest_release(&guest);

	test_event_index();
}

/*
 * virtio-rng and virtio-console: takes random bytes, says hello on the
 * console port and waits for a line from the host; then reads more bytes
 * from the 8250 than its FIFO holds.
 */
#include "guest.h"

static uint8_t random_bytes[64];
static char received[64];
static const char greeting[] = "hello over virtio-console\n";
static struct vq rng_queue, console_queues[2];

void guest_main(void *info);

void guest_main(void *info)
{
	(void)info;
	uint64_t rng = virtio_find(4, 0), console = virtio_find(3, 0);
	if (!rng || !console)
		fail("missing virtio rng or console");

	if (virtio_start(rng, 0, &rng_queue, 1) < 0)
		fail("rng setup");
	struct buffer entropy = { (uint64_t)(uintptr_t)random_bytes, sizeof(random_bytes), true };
	vq_submit(rng, &rng_queue, 0, &entropy, 1);
	long length = vq_wait(&rng_queue, 100000000UL);
	unsigned nonzero = 0;
	for (unsigned i = 0; i < sizeof(random_bytes); i++)
		nonzero += random_bytes[i] != 0;
	if (length != sizeof(random_bytes) || nonzero < 32)
		fail("rng returned no randomness");
	print("rng: %ld random bytes\n", length);

	if (virtio_start(console, 0, console_queues, 2) < 0)
		fail("console setup");
	struct buffer input = { (uint64_t)(uintptr_t)received, sizeof(received) - 1, true };
	vq_submit(console, &console_queues[0], 0, &input, 1);
	struct buffer output = { (uint64_t)(uintptr_t)greeting, sizeof(greeting) - 1, false };
	vq_submit(console, &console_queues[1], 1, &output, 1);
	if (vq_wait(&console_queues[1], 100000000UL) < 0)
		fail("console transmit");
	print("console greeting sent\n");
	length = vq_wait(&console_queues[0], 4000000000UL);
	if (length <= 0)
		fail("nothing received on the console");
	received[length] = 0;
	print("virtio-console received: %s", received);

	/* Serial input larger than the UART's 64-byte FIFO must arrive whole. */
	print("send 200 bytes\n");
	unsigned wrong = 0;
	for (unsigned i = 0; i < 200; i++) {
		while (!(inb(COM1 + 5) & 1)) /* LSR.DR */
			__asm__ volatile("pause");
		if (inb(COM1) != (uint8_t)('A' + i % 26))
			wrong++;
	}
	print("uart received 200 bytes, %u wrong\n", wrong);
	print("PASS\n");
	power_off(0);
}

/* Sends one Ethernet frame on virtio-net and waits for the host's reply. */
#include "guest.h"

#define NET_HEADER 12 /* struct virtio_net_hdr_v1 */
#define ETHERTYPE_TEST 0x88b5 /* IEEE local experimental */

static uint8_t transmit_header[NET_HEADER];
static uint8_t frame[64];
static uint8_t receive_buffers[QUEUE_SIZE][NET_HEADER + 1514];
static struct vq queues[2];

static void post_receive(uint64_t base, unsigned index)
{
	vq_write_desc(&queues[0], index, (uint64_t)(uintptr_t)receive_buffers[index],
		      sizeof(receive_buffers[index]), 2, 0);
	vq_publish(base, &queues[0], 0, (uint16_t)index);
}

void guest_main(void *info);

void guest_main(void *info)
{
	static const char payload[] = "mvm frame from the guest";
	static const char reply[] = "mvm reply from the host";
	uint8_t mac[6];
	(void)info;

	uint64_t base = virtio_find(1, 0);
	if (!base)
		fail("no virtio net device");
	if (virtio_start(base, 1u << 5, queues, 2) < 0)
		fail("virtio setup");
	for (unsigned i = 0; i < 6; i++)
		mac[i] = mmio_read8(base + 0x100 + i);
	print("mac %x:%x:%x:%x:%x:%x\n", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	for (unsigned i = 0; i < 8; i++)
		post_receive(base, i);

	memset(frame, 0xff, 6);
	memcpy(frame + 6, mac, 6);
	frame[12] = ETHERTYPE_TEST >> 8;
	frame[13] = ETHERTYPE_TEST & 0xff;
	memcpy(frame + 14, payload, sizeof(payload));
	struct buffer buffers[2] = {
		{ (uint64_t)(uintptr_t)transmit_header, NET_HEADER, false },
		{ (uint64_t)(uintptr_t)frame, sizeof(frame), false },
	};
	vq_submit(base, &queues[1], 1, buffers, 2);
	if (vq_wait(&queues[1], 100000000UL) < 0)
		fail("transmit did not complete");
	print("frame sent\n");

	for (unsigned attempts = 0; attempts < 64; attempts++) {
		uint16_t used_index = queues[0].last_used;
		long length = vq_wait(&queues[0], 2000000000UL);
		if (length < 0)
			fail("no reply frame");
		unsigned id = *(volatile uint32_t *)(queues[0].used + 4 + 8 * (used_index % QUEUE_SIZE));
		if (id >= QUEUE_SIZE)
			fail("bad used id");
		const uint8_t *received = receive_buffers[id] + NET_HEADER;
		if (length >= NET_HEADER + 14 + (long)sizeof(reply) && received[12] == (ETHERTYPE_TEST >> 8) &&
		    received[13] == (ETHERTYPE_TEST & 0xff) &&
		    memcmp(received + 14, reply, sizeof(reply)) == 0) {
			print("reply received\n");
			print("PASS\n");
			power_off(0);
		}
		post_receive(base, id); /* something else on the wire; keep listening */
	}
	fail("only unrelated frames arrived");
}

#include <linux/if_tun.h>
#include <linux/input-event-codes.h>
#include <linux/virtio_input.h>
#include <linux/virtio_net.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "devices.h"
#include "unit.h"

static void test_rng(void)
{
	struct fake_guest guest;
	struct virtio_device *device;
	struct virtq_helper helper;
	uint32_t id, length;

	fake_guest_init(&guest, 1 << 20);
	CHECK_EQ(virtio_rng_init(&device, &guest.memory), 0);
	device_make_running(device);
	virtq_helper_init(&helper, &guest, &device->queues[0], 8);
	uint64_t buffer = fake_guest_alloc(&guest, 64, 8);
	struct chain_buffer chain = { buffer, 64, true };
	virtq_helper_add(&helper, &chain, 1);
	interrupts_seen = 0;
	device->ops->queue_notify(device, 0);
	CHECK(virtq_helper_used(&helper, &id, &length));
	CHECK_EQ(length, 64);
	CHECK_EQ(interrupts_seen, 1);
	uint8_t zero[64] = { 0 };
	CHECK(memcmp(fake_guest_host(&guest, buffer), zero, 64) != 0);
	fake_guest_release(&guest);
	free(device->state);
}

static void test_balloon(void)
{
	struct fake_guest guest;
	struct virtio_device *device;
	struct virtq_helper helper;
	uint32_t id, length;

	fake_guest_init(&guest, 4 << 20);
	CHECK_EQ(virtio_balloon_init(&device, &guest.memory), 0);
	device_make_running(device);
	virtq_helper_init(&helper, &guest, &device->queues[0], 8);

	virtio_balloon_set_target(device, 16);
	uint32_t target = 0;
	device->ops->read_config(device, 0, (uint8_t *)&target, 4);
	CHECK_EQ(target, 16);
	uint32_t actual = 2;
	device->ops->write_config(device, 4, (const uint8_t *)&actual, 4);
	CHECK_EQ(virtio_balloon_actual_pages(device), 2);

	/* Inflate two pages (and one that is not RAM): their contents go back to the host. */
	uint8_t *page = fake_guest_host(&guest, 0x200000);
	memset(page, 0x77, 8192);
	uint32_t frames[3] = { 0x200, 0x201, 0xfffff };
	struct chain_buffer chain = { fake_guest_store(&guest, frames, sizeof(frames)), sizeof(frames), false };
	virtq_helper_add(&helper, &chain, 1);
	device->ops->queue_notify(device, 0);
	CHECK(virtq_helper_used(&helper, &id, &length));
	CHECK_EQ(page[0], 0);
	CHECK_EQ(page[8191], 0);
	CHECK_EQ(atomic_load(&device->errors), 1);
	fake_guest_release(&guest);
	free(device->state);
}

static void test_input(void)
{
	struct fake_guest guest;
	struct virtio_device *device;
	struct virtq_helper helper;
	struct virtio_input_config config;
	uint32_t id, length;

	fake_guest_init(&guest, 1 << 20);
	CHECK_EQ(virtio_input_init(&device, &guest.memory, VIRTIO_INPUT_TABLET, 640, 480), 0);
	uint8_t select[2] = { VIRTIO_INPUT_CFG_ID_NAME, 0 };
	device->ops->write_config(device, 0, select, 2);
	memset(&config, 0, sizeof(config));
	for (uint32_t offset = 0; offset < sizeof(config); offset++)
		device->ops->read_config(device, offset, (uint8_t *)&config + offset, 1);
	CHECK_EQ(config.size, strlen("mvm tablet"));
	CHECK(memcmp(config.u.string, "mvm tablet", 10) == 0);
	select[0] = VIRTIO_INPUT_CFG_ABS_INFO;
	select[1] = ABS_Y;
	device->ops->write_config(device, 0, select, 2);
	device->ops->read_config(device, 8 + 4, (uint8_t *)&config.u.abs.max, 4);
	CHECK_EQ(config.u.abs.max, 32767);

	/* Events wait for a running driver, then for buffers. */
	CHECK(virtio_input_send_pointer(device, 1, 1, 0, 0) < 0);
	device_make_running(device);
	virtq_helper_init(&helper, &guest, &device->queues[0], 16);
	CHECK_EQ(virtio_input_send_pointer(device, 639, 0, 1, 0), 0);
	CHECK(!virtq_helper_used(&helper, &id, &length));
	uint64_t events = fake_guest_alloc(&guest, 16 * 8, 8);
	for (unsigned i = 0; i < 16; i++) {
		struct chain_buffer chain = { events + 8 * i, 8, true };
		virtq_helper_add(&helper, &chain, 1);
	}
	device->ops->queue_notify(device, 0);
	struct virtio_input_event *delivered = fake_guest_host(&guest, events);
	unsigned count = 0;
	while (virtq_helper_used(&helper, &id, &length))
		count++;
	CHECK_EQ(count, 6); /* ABS_X, ABS_Y, three buttons, SYN */
	CHECK(delivered[0].type == EV_ABS && delivered[0].code == ABS_X && delivered[0].value == 32767);
	CHECK(delivered[2].type == EV_KEY && delivered[2].code == BTN_LEFT && delivered[2].value == 1);
	CHECK(delivered[5].type == EV_SYN);
	fake_guest_release(&guest);
	free(device->state);
}

static unsigned offloads_set;

static int record_offloads(int fd, unsigned offloads)
{
	(void)fd;
	offloads_set = offloads;
	return 0;
}

/* A socket pair plays the tap: frames go both ways behind the 12-byte virtio-net header. */
static void test_net(void)
{
	struct fake_guest guest;
	struct virtio_device *device;
	struct virtq_helper receive, transmit;
	struct event_loop loop;
	int pair[2];
	uint32_t id, length;
	static const uint8_t mac[6] = { 0x52, 0x54, 0, 1, 2, 3 };

	fake_guest_init(&guest, 1 << 20);
	CHECK_EQ(event_loop_init(&loop), 0);
	CHECK_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, pair), 0);
	CHECK_EQ(virtio_net_init(&device, &guest.memory, &loop, pair[0], mac, record_offloads), 0);
	uint8_t config_mac[6];
	device->ops->read_config(device, 0, config_mac, 6);
	CHECK(memcmp(config_mac, mac, 6) == 0);
	uint64_t offered = device->ops->features(device);
	CHECK(offered & (1ULL << VIRTIO_NET_F_CSUM));
	CHECK(offered & (1ULL << VIRTIO_NET_F_GUEST_CSUM));
	CHECK(offered & (1ULL << VIRTIO_NET_F_HOST_TSO4));
	CHECK(offered & (1ULL << VIRTIO_NET_F_GUEST_TSO6));
	device_make_running(device);
	virtq_helper_init(&receive, &guest, &device->queues[0], 8);
	virtq_helper_init(&transmit, &guest, &device->queues[1], 8);

	/* Transmit: header and frame reach the tap as the guest wrote them. */
	struct virtio_net_hdr_v1 header = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .csum_start = 34,
					    .csum_offset = 6 };
	struct chain_buffer frame[2] = {
		{ fake_guest_store(&guest, &header, 12), 12, false },
		{ fake_guest_store(&guest, "ethernet frame", 14), 14, false },
	};
	virtq_helper_add(&transmit, frame, 2);
	device->ops->queue_notify(device, 1);
	uint8_t wire[64];
	CHECK_EQ(read(pair[1], wire, sizeof(wire)), 12 + 14);
	CHECK(memcmp(wire, &header, 12) == 0);
	CHECK(memcmp(wire + 12, "ethernet frame", 14) == 0);
	CHECK(virtq_helper_used(&transmit, &id, &length));

	/* Receive: a frame that arrives before buffers waits for them; num_buffers is 1. */
	struct virtio_net_hdr_v1 incoming = { .flags = VIRTIO_NET_HDR_F_DATA_VALID, .num_buffers = 77 };
	memcpy(wire, &incoming, 12);
	memcpy(wire + 12, "incoming", 8);
	CHECK_EQ(write(pair[1], wire, 12 + 8), 12 + 8);
	event_loop_run_once(&loop, 100);
	CHECK(!virtq_helper_used(&receive, &id, &length));
	uint64_t buffer = fake_guest_alloc(&guest, 1526, 8);
	struct chain_buffer chain = { buffer, 1526, true };
	virtq_helper_add(&receive, &chain, 1);
	device->ops->queue_notify(device, 0);
	CHECK(virtq_helper_used(&receive, &id, &length));
	CHECK_EQ(length, 12 + 8);
	struct virtio_net_hdr_v1 delivered;
	memcpy(&delivered, fake_guest_host(&guest, buffer), 12);
	CHECK_EQ(delivered.flags, VIRTIO_NET_HDR_F_DATA_VALID);
	CHECK_EQ(delivered.num_buffers, 1);
	CHECK(memcmp((uint8_t *)fake_guest_host(&guest, buffer) + 12, "incoming", 8) == 0);
	CHECK_EQ(atomic_load(&device->bytes_to_guest), 8);
	CHECK_EQ(atomic_load(&device->bytes_from_guest), 14);

	/* The tap's offloads follow what the driver took: checksum first, then segmentation. */
	device->driver_features = VIRTIO_FEATURE_VERSION_1 | (1ULL << VIRTIO_NET_F_GUEST_CSUM) |
				  (1ULL << VIRTIO_NET_F_GUEST_TSO4) | (1ULL << VIRTIO_NET_F_GUEST_TSO6);
	device->ops->driver_ready(device);
	CHECK_EQ(offloads_set, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6);
	device->driver_features = VIRTIO_FEATURE_VERSION_1 | (1ULL << VIRTIO_NET_F_GUEST_TSO4);
	device->ops->driver_ready(device);
	CHECK_EQ(offloads_set, 0);
	device->driver_features |= (1ULL << VIRTIO_NET_F_GUEST_CSUM) | (1ULL << VIRTIO_NET_F_GUEST_ECN);
	device->ops->driver_ready(device);
	CHECK_EQ(offloads_set, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO_ECN);
	virtio_device_reset(device);
	CHECK_EQ(offloads_set, 0);
	close(pair[1]);
	fake_guest_release(&guest);
}

static size_t console_received;

static void test_console(void)
{
	struct fake_guest guest;
	struct virtio_device *device;
	struct virtq_helper receive, transmit;
	struct console_backend backend;
	int pipe_fds[2];
	uint32_t id, length;

	fake_guest_init(&guest, 1 << 20);
	console_backend_open_null(&backend);
	CHECK_EQ(pipe(pipe_fds), 0);
	backend.output_fd = pipe_fds[1];
	CHECK_EQ(virtio_console_init(&device, &guest.memory, &backend), 0);
	device_make_running(device);
	virtq_helper_init(&receive, &guest, &device->queues[0], 8);
	virtq_helper_init(&transmit, &guest, &device->queues[1], 8);

	struct chain_buffer text = { fake_guest_store(&guest, "console!", 8), 8, false };
	virtq_helper_add(&transmit, &text, 1);
	device->ops->queue_notify(device, 1);
	char output[16];
	CHECK_EQ(read(pipe_fds[0], output, sizeof(output)), 8);
	CHECK(memcmp(output, "console!", 8) == 0);

	uint64_t buffer = fake_guest_alloc(&guest, 4, 1);
	struct chain_buffer input = { buffer, 4, true };
	virtq_helper_add(&receive, &input, 1);
	console_received = backend.receive(backend.receive_opaque, (const uint8_t *)"typed", 5);
	CHECK_EQ(console_received, 4); /* only as much as the posted buffer holds */
	CHECK(virtq_helper_used(&receive, &id, &length));
	CHECK_EQ(length, 4);
	CHECK(memcmp(fake_guest_host(&guest, buffer), "type", 4) == 0);

	/* New receive buffers tell the backend to offer the rest. */
	backend.resume.fd = eventfd(0, EFD_NONBLOCK);
	input.gpa = fake_guest_alloc(&guest, 4, 1);
	virtq_helper_add(&receive, &input, 1);
	device->ops->queue_notify(device, 0);
	uint64_t signals = 0;
	CHECK_EQ(read(backend.resume.fd, &signals, sizeof(signals)), 8);
	CHECK_EQ(signals, 1);
	close(backend.resume.fd);
	close(pipe_fds[0]);
	close(pipe_fds[1]);
	fake_guest_release(&guest);
	free(device->state);
}

void test_devices(void)
{
	test_rng();
	test_balloon();
	test_input();
	test_net();
	test_console();
}

/* virtio network device (virtio 1.x section 5.1) on a tap interface. */
#include <errno.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "devices.h"
#include "log.h"

#define NET_QUEUE_SIZE 256
#define NET_RECEIVE_QUEUE 0
#define NET_TRANSMIT_QUEUE 1
/* 5.1.6: with VERSION_1 the header always carries num_buffers: 12 bytes. */
#define NET_HEADER_SIZE sizeof(struct virtio_net_hdr_v1)
_Static_assert(NET_HEADER_SIZE == NET_TAP_HEADER_SIZE, "the tap's header is the guest's");
/* A segmentation offload's frame: 64 KiB of IP packet plus an Ethernet header, with room to spare. */
#define NET_FRAME_MAX (65536 + 256)

/*
 * What the device takes from the driver (5.1.3): frames whose checksum is
 * left to it and TCP segments of up to 64 KiB, both handed to the tap as they
 * are; and what it gives the driver when it asks (GUEST_*), as the tap hands
 * them over once net_tap_set_offloads() allowed it. Without MRG_RXBUF the
 * driver posts 64 KiB receive buffers for them (5.1.6.3.1).
 */
#define NET_FEATURES                                                                          \
	((1ULL << VIRTIO_NET_F_MAC) | (1ULL << VIRTIO_NET_F_CSUM) | (1ULL << VIRTIO_NET_F_GUEST_CSUM) | \
	 (1ULL << VIRTIO_NET_F_HOST_TSO4) | (1ULL << VIRTIO_NET_F_HOST_TSO6) |                 \
	 (1ULL << VIRTIO_NET_F_HOST_ECN) | (1ULL << VIRTIO_NET_F_GUEST_TSO4) |                 \
	 (1ULL << VIRTIO_NET_F_GUEST_TSO6) | (1ULL << VIRTIO_NET_F_GUEST_ECN))

struct virtio_net {
	struct virtio_device device;
	struct event_loop *loop;
	struct event_handler tap;       /* frames behind a virtio-net header */
	net_set_offloads_fn *set_offloads;
	uint8_t mac[6];
	bool tap_polled;
	size_t pending_length;          /* header and frame read from the tap, waiting for a buffer */
	uint8_t pending[NET_HEADER_SIZE + NET_FRAME_MAX];
	uint8_t transmit_buffer[NET_HEADER_SIZE + NET_FRAME_MAX];
	struct virtq_chain chain;
	atomic_uint_fast64_t segmented_to_guest;   /* frames with a gso_type, each way */
	atomic_uint_fast64_t segmented_from_guest;
};

static void net_set_tap_polling(struct virtio_net *net, bool enabled)
{
	if (net->tap_polled == enabled)
		return;
	net->tap_polled = enabled;
	event_loop_modify(net->loop, &net->tap, enabled ? EPOLLIN : 0);
}

/* Device lock held. Returns true when the pending frame was delivered or dropped. */
static bool net_deliver_pending(struct virtio_net *net)
{
	struct virtio_device *device = &net->device;
	struct virtqueue *queue = &device->queues[NET_RECEIVE_QUEUE];
	struct virtio_net_hdr_v1 header;
	int ret;

	if (!virtio_device_running(device) || !queue->ready) {
		net->pending_length = 0; /* nobody listens: the frame is lost, as on a wire */
		return true;
	}
	ret = virtqueue_pop(queue, device->memory, &net->chain);
	if (ret < 0) {
		virtio_device_fail(device, "malformed receive chain", ret);
		net->pending_length = 0;
		return true;
	}
	if (ret == 0)
		return false;
	if (net->chain.writable_bytes < net->pending_length) {
		/* Without VIRTIO_NET_F_MRG_RXBUF each buffer must hold a whole frame. */
		virtqueue_push(queue, device->memory, net->chain.head, 0);
	} else {
		/* The tap wrote the first 10 bytes of the header; num_buffers is ours (5.1.6.4). */
		memcpy(&header, net->pending, NET_HEADER_SIZE);
		header.num_buffers = 1;
		memcpy(net->pending, &header, NET_HEADER_SIZE);
		virtq_chain_write(&net->chain, 0, net->pending, net->pending_length);
		virtqueue_push(queue, device->memory, net->chain.head, (uint32_t)net->pending_length);
		atomic_fetch_add(&device->bytes_to_guest, net->pending_length - NET_HEADER_SIZE);
		if (header.gso_type != VIRTIO_NET_HDR_GSO_NONE)
			atomic_fetch_add(&net->segmented_to_guest, 1);
	}
	net->pending_length = 0;
	virtio_device_signal_used(device, NET_RECEIVE_QUEUE);
	return true;
}

static void net_tap_ready(struct event_handler *handler, uint32_t events)
{
	struct virtio_net *net = handler->opaque;
	(void)events;

	pthread_mutex_lock(&net->device.lock);
	for (int frames = 0; frames < 64; frames++) {
		if (net->pending_length && !net_deliver_pending(net)) {
			/* No receive buffers: wait until the driver posts some. */
			net_set_tap_polling(net, false);
			break;
		}
		ssize_t got = read(handler->fd, net->pending, sizeof(net->pending));
		if (got <= 0)
			break;
		/* Anything shorter than the header is not a frame. */
		net->pending_length = (size_t)got > NET_HEADER_SIZE ? (size_t)got : 0;
	}
	if (net->pending_length && net_deliver_pending(net) == false)
		net_set_tap_polling(net, false);
	pthread_mutex_unlock(&net->device.lock);
}

static void net_transmit(struct virtio_net *net)
{
	struct virtio_device *device = &net->device;
	struct virtqueue *queue = &device->queues[NET_TRANSMIT_QUEUE];
	struct virtio_net_hdr_v1 header;
	bool completed = false;
	int ret;

	while ((ret = virtqueue_pop(queue, device->memory, &net->chain)) == 1) {
		size_t length = virtq_chain_read(&net->chain, 0, net->transmit_buffer,
						 sizeof(net->transmit_buffer));
		/*
		 * Header and frame go to the tap as they are: it completes a partial
		 * checksum (NEEDS_CSUM) and splits a large segment (gso_type) where
		 * the frame leaves the host, and refuses a header it cannot carry out.
		 */
		if (length > NET_HEADER_SIZE) {
			memcpy(&header, net->transmit_buffer, NET_HEADER_SIZE);
			if (write(net->tap.fd, net->transmit_buffer, length) < 0) {
				log_debug("virtio-net: tap write failed");
			} else {
				atomic_fetch_add(&device->bytes_from_guest, length - NET_HEADER_SIZE);
				if (header.gso_type != VIRTIO_NET_HDR_GSO_NONE)
					atomic_fetch_add(&net->segmented_from_guest, 1);
			}
		}
		virtqueue_push(queue, device->memory, net->chain.head, 0);
		completed = true;
	}
	if (ret < 0)
		virtio_device_fail(device, "malformed transmit chain", ret);
	if (completed)
		virtio_device_signal_used(device, NET_TRANSMIT_QUEUE);
}

static uint64_t net_features(struct virtio_device *device)
{
	(void)device;
	return NET_FEATURES;
}

/* The tap hands over only what the driver accepted; a checksum is the base of every offload. */
static void net_driver_ready(struct virtio_device *device)
{
	struct virtio_net *net = device->state;
	unsigned offloads = 0;

	if (virtio_device_has_feature(device, VIRTIO_NET_F_GUEST_CSUM)) {
		offloads |= TUN_F_CSUM;
		if (virtio_device_has_feature(device, VIRTIO_NET_F_GUEST_TSO4))
			offloads |= TUN_F_TSO4;
		if (virtio_device_has_feature(device, VIRTIO_NET_F_GUEST_TSO6))
			offloads |= TUN_F_TSO6;
		if (virtio_device_has_feature(device, VIRTIO_NET_F_GUEST_ECN) &&
		    (offloads & (TUN_F_TSO4 | TUN_F_TSO6)))
			offloads |= TUN_F_TSO_ECN;
	}
	int ret = net->set_offloads(net->tap.fd, offloads);
	if (ret < 0)
		log_warn("virtio-net: the tap refuses offloads 0x%x: %s", offloads, strerror(-ret));
}

static void net_read_config(struct virtio_device *device, uint32_t offset, uint8_t *data,
			    uint32_t size)
{
	struct virtio_net *net = device->state;
	struct virtio_net_config config;

	memset(&config, 0, sizeof(config));
	memcpy(config.mac, net->mac, 6);
	config.status = VIRTIO_NET_S_LINK_UP;
	if (offset + size <= sizeof(config))
		memcpy(data, (uint8_t *)&config + offset, size);
}

static void net_queue_notify(struct virtio_device *device, uint16_t queue)
{
	struct virtio_net *net = device->state;

	if (queue == NET_TRANSMIT_QUEUE) {
		net_transmit(net);
	} else if (queue == NET_RECEIVE_QUEUE) {
		/* New receive buffers: deliver what waited and listen to the tap again. */
		if (!net->pending_length || net_deliver_pending(net))
			net_set_tap_polling(net, true);
	}
}

static void net_reset(struct virtio_device *device)
{
	struct virtio_net *net = device->state;

	net->pending_length = 0;
	net_set_tap_polling(net, true);
	/* Until the next driver says what it takes, nothing but whole, checksummed frames. */
	int ret = net->set_offloads(net->tap.fd, 0);
	if (ret < 0)
		log_warn("virtio-net: cannot turn the tap's offloads off: %s", strerror(-ret));
}

void virtio_net_segmented_frames(struct virtio_device *device, uint64_t *to_guest, uint64_t *from_guest)
{
	struct virtio_net *net = device->state;

	*to_guest = atomic_load(&net->segmented_to_guest);
	*from_guest = atomic_load(&net->segmented_from_guest);
}

static const struct virtio_dev_ops virtio_net_ops = {
	.name = "net",
	.device_id = 1,
	.queue_count = 2,
	.queue_max_size = NET_QUEUE_SIZE,
	.config_size = sizeof(struct virtio_net_config),
	.features = net_features,
	.read_config = net_read_config,
	.driver_ready = net_driver_ready,
	.queue_notify = net_queue_notify,
	.reset = net_reset,
};

int virtio_net_init(struct virtio_device **device, const struct guest_memory *memory,
		    struct event_loop *loop, int tap_fd, const uint8_t mac[6],
		    net_set_offloads_fn *set_offloads)
{
	struct virtio_net *net = calloc(1, sizeof(*net));
	int ret;

	if (!net)
		return -ENOMEM;
	net->loop = loop;
	net->set_offloads = set_offloads;
	memcpy(net->mac, mac, 6);
	net->tap = (struct event_handler){ tap_fd, net_tap_ready, net };
	virtio_device_init(&net->device, &virtio_net_ops, net, memory);
	if (loop) {
		ret = event_loop_add(loop, &net->tap, EPOLLIN);
		if (ret < 0) {
			free(net);
			return ret;
		}
		net->tap_polled = true;
	}
	*device = &net->device;
	return 0;
}

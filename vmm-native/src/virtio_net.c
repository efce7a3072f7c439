/* virtio network device (virtio 1.x section 5.1) on a tap interface. */
#include <errno.h>
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
#define NET_FRAME_MAX 65536
/* 5.1.6: with VERSION_1 the header always carries num_buffers: 12 bytes. */
#define NET_HEADER_SIZE sizeof(struct virtio_net_hdr_v1)

struct virtio_net {
	struct virtio_device device;
	struct event_loop *loop;
	struct event_handler tap;
	uint8_t mac[6];
	bool tap_polled;
	size_t pending_length;          /* a frame read from the tap, waiting for a buffer */
	uint8_t pending[NET_FRAME_MAX];
	uint8_t transmit_buffer[NET_FRAME_MAX + NET_HEADER_SIZE];
	struct virtq_chain chain;
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
	struct virtio_net_hdr_v1 header = { .num_buffers = 1 };
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
	if (net->chain.writable_bytes < NET_HEADER_SIZE + net->pending_length) {
		/* Without VIRTIO_NET_F_MRG_RXBUF each buffer must hold a whole frame. */
		virtqueue_push(queue, device->memory, net->chain.head, 0);
	} else {
		virtq_chain_write(&net->chain, 0, &header, NET_HEADER_SIZE);
		virtq_chain_write(&net->chain, NET_HEADER_SIZE, net->pending, net->pending_length);
		virtqueue_push(queue, device->memory, net->chain.head,
			       (uint32_t)(NET_HEADER_SIZE + net->pending_length));
		atomic_fetch_add(&device->bytes_to_guest, net->pending_length);
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
		net->pending_length = (size_t)got;
	}
	if (net->pending_length && net_deliver_pending(net) == false)
		net_set_tap_polling(net, false);
	pthread_mutex_unlock(&net->device.lock);
}

static void net_transmit(struct virtio_net *net)
{
	struct virtio_device *device = &net->device;
	struct virtqueue *queue = &device->queues[NET_TRANSMIT_QUEUE];
	bool completed = false;
	int ret;

	while ((ret = virtqueue_pop(queue, device->memory, &net->chain)) == 1) {
		size_t length = virtq_chain_read(&net->chain, 0, net->transmit_buffer,
						 sizeof(net->transmit_buffer));
		if (length > NET_HEADER_SIZE) {
			size_t frame = length - NET_HEADER_SIZE;
			if (write(net->tap.fd, net->transmit_buffer + NET_HEADER_SIZE, frame) < 0)
				log_debug("virtio-net: tap write failed");
			else
				atomic_fetch_add(&device->bytes_from_guest, frame);
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
	return 1ULL << VIRTIO_NET_F_MAC;
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
}

static const struct virtio_dev_ops virtio_net_ops = {
	.name = "net",
	.device_id = 1,
	.queue_count = 2,
	.queue_max_size = NET_QUEUE_SIZE,
	.config_size = sizeof(struct virtio_net_config),
	.features = net_features,
	.read_config = net_read_config,
	.queue_notify = net_queue_notify,
	.reset = net_reset,
};

int virtio_net_init(struct virtio_device **device, const struct guest_memory *memory,
		    struct event_loop *loop, int tap_fd, const uint8_t mac[6])
{
	struct virtio_net *net = calloc(1, sizeof(*net));
	int ret;

	if (!net)
		return -ENOMEM;
	net->loop = loop;
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

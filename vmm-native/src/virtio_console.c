/* virtio console device, single port (virtio 1.x section 5.3). */
#include <errno.h>
#include <linux/virtio_console.h>
#include <stdlib.h>
#include <string.h>

#include "devices.h"

#define CONSOLE_QUEUE_SIZE 64
#define CONSOLE_RECEIVE_QUEUE 0
#define CONSOLE_TRANSMIT_QUEUE 1

struct virtio_console {
	struct virtio_device device;
	struct console_backend *backend;
	bool input_refused;   /* the backend holds input until receive buffers arrive */
	struct virtq_chain chain;
	uint8_t buffer[4096];
};

static uint64_t console_features(struct virtio_device *device)
{
	(void)device;
	return 0;
}

static void console_read_config(struct virtio_device *device, uint32_t offset, uint8_t *data,
				uint32_t size)
{
	struct virtio_console_config config = { .cols = 80, .rows = 25, .max_nr_ports = 1 };
	(void)device;

	if (offset + size <= sizeof(config))
		memcpy(data, (uint8_t *)&config + offset, size);
}

static void console_transmit(struct virtio_console *console)
{
	struct virtio_device *device = &console->device;
	struct virtqueue *queue = &device->queues[CONSOLE_TRANSMIT_QUEUE];
	bool completed = false;
	int ret;

	while ((ret = virtqueue_pop(queue, device->memory, &console->chain)) == 1) {
		for (uint64_t offset = 0; offset < console->chain.readable_bytes;) {
			size_t got = virtq_chain_read(&console->chain, offset, console->buffer,
						      sizeof(console->buffer));
			if (!got)
				break;
			console_backend_write(console->backend, console->buffer, got);
			offset += got;
		}
		virtqueue_push(queue, device->memory, console->chain.head, 0);
		completed = true;
	}
	if (ret < 0)
		virtio_device_fail(device, "malformed transmit chain", ret);
	if (completed)
		virtio_device_signal_used(device, CONSOLE_TRANSMIT_QUEUE);
}

static void console_queue_notify(struct virtio_device *device, uint16_t queue)
{
	struct virtio_console *console = device->state;

	if (queue == CONSOLE_TRANSMIT_QUEUE) {
		console_transmit(console);
	} else if (console->input_refused) {
		console->input_refused = false;
		console_backend_resume_input(console->backend);
	}
}

/* Input from the backend; what finds no receive buffer stays with the backend. */
static size_t console_receive(void *opaque, const uint8_t *data, size_t length)
{
	struct virtio_console *console = opaque;
	struct virtio_device *device = &console->device;
	struct virtqueue *queue = &device->queues[CONSOLE_RECEIVE_QUEUE];
	size_t delivered = 0;
	int ret = 0;

	pthread_mutex_lock(&device->lock);
	while (delivered < length && virtio_device_running(device) &&
	       (ret = virtqueue_pop(queue, device->memory, &console->chain)) == 1) {
		size_t wrote = virtq_chain_write(&console->chain, 0, data + delivered,
						 length - delivered);
		virtqueue_push(queue, device->memory, console->chain.head, (uint32_t)wrote);
		delivered += wrote;
	}
	if (ret < 0)
		virtio_device_fail(device, "malformed receive chain", ret);
	if (delivered)
		virtio_device_signal_used(device, CONSOLE_RECEIVE_QUEUE);
	if (delivered < length)
		console->input_refused = true;
	pthread_mutex_unlock(&device->lock);
	return delivered;
}

static const struct virtio_dev_ops virtio_console_ops = {
	.name = "console",
	.device_id = 3,
	.queue_count = 2,
	.queue_max_size = CONSOLE_QUEUE_SIZE,
	.config_size = sizeof(struct virtio_console_config),
	.features = console_features,
	.read_config = console_read_config,
	.queue_notify = console_queue_notify,
};

int virtio_console_init(struct virtio_device **device, const struct guest_memory *memory,
			struct console_backend *backend)
{
	struct virtio_console *console = calloc(1, sizeof(*console));

	if (!console)
		return -ENOMEM;
	console->backend = backend;
	backend->receive = console_receive;
	backend->receive_opaque = console;
	virtio_device_init(&console->device, &virtio_console_ops, console, memory);
	*device = &console->device;
	return 0;
}

/* virtio input device: keyboard or absolute pointer (virtio 1.x section 5.8). */
#include <errno.h>
#include <linux/input-event-codes.h>
#include <linux/virtio_input.h>
#include <stdlib.h>
#include <string.h>

#include "devices.h"

#define INPUT_QUEUE_SIZE 64
#define INPUT_EVENT_QUEUE 0
#define INPUT_STATUS_QUEUE 1
#define INPUT_PENDING_MAX 128
#define INPUT_ABS_MAX 32767

struct virtio_input {
	struct virtio_device device;
	enum virtio_input_kind kind;
	uint8_t select;      /* 5.8.4: config "select" */
	uint8_t subselect;   /* config "subsel" */
	struct virtio_input_event pending[INPUT_PENDING_MAX];
	unsigned pending_count;
	uint32_t width, height;
	struct virtq_chain chain;
};

static void set_bit(uint8_t *bitmap, unsigned bit)
{
	bitmap[bit / 8] |= (uint8_t)(1u << (bit % 8));
}

/* Fills config.u for the current select/subsel and returns its size. */
static uint8_t input_config_payload(const struct virtio_input *input,
				    struct virtio_input_config *config)
{
	bool keyboard = input->kind == VIRTIO_INPUT_KEYBOARD;
	const char *name = keyboard ? "mvm keyboard" : "mvm tablet";

	switch (input->select) {
	case VIRTIO_INPUT_CFG_ID_NAME:
		memcpy(config->u.string, name, strlen(name));
		return (uint8_t)strlen(name);
	case VIRTIO_INPUT_CFG_ID_DEVIDS:
		config->u.ids.bustype = 0x06; /* BUS_VIRTUAL */
		config->u.ids.vendor = 0x4d56;
		config->u.ids.product = keyboard ? 1 : 2;
		config->u.ids.version = 1;
		return sizeof(config->u.ids);
	case VIRTIO_INPUT_CFG_EV_BITS:
		if (input->subselect == EV_KEY) {
			if (keyboard) {
				for (unsigned key = 1; key < 256; key++)
					set_bit(config->u.bitmap, key);
				return 32;
			}
			set_bit(config->u.bitmap, BTN_LEFT);
			set_bit(config->u.bitmap, BTN_RIGHT);
			set_bit(config->u.bitmap, BTN_MIDDLE);
			return (BTN_MIDDLE / 8) + 1;
		}
		if (!keyboard && input->subselect == EV_ABS) {
			set_bit(config->u.bitmap, ABS_X);
			set_bit(config->u.bitmap, ABS_Y);
			return 1;
		}
		if (!keyboard && input->subselect == EV_REL) {
			set_bit(config->u.bitmap, REL_WHEEL);
			return (REL_WHEEL / 8) + 1;
		}
		if (keyboard && input->subselect == EV_REP)
			return 0;
		return 0;
	case VIRTIO_INPUT_CFG_ABS_INFO:
		if (!keyboard && (input->subselect == ABS_X || input->subselect == ABS_Y)) {
			config->u.abs.min = 0;
			config->u.abs.max = INPUT_ABS_MAX;
			return sizeof(config->u.abs);
		}
		return 0;
	default:
		return 0;
	}
}

static void input_read_config(struct virtio_device *device, uint32_t offset, uint8_t *data,
			      uint32_t size)
{
	struct virtio_input *input = device->state;
	struct virtio_input_config config;

	memset(&config, 0, sizeof(config));
	config.select = input->select;
	config.subsel = input->subselect;
	config.size = input_config_payload(input, &config);
	if (offset + size <= sizeof(config))
		memcpy(data, (uint8_t *)&config + offset, size);
}

static void input_write_config(struct virtio_device *device, uint32_t offset, const uint8_t *data,
			       uint32_t size)
{
	struct virtio_input *input = device->state;

	if (offset == 0 && size >= 1)
		input->select = data[0];
	if (offset == 0 && size >= 2)
		input->subselect = data[1];
	if (offset == 1 && size == 1)
		input->subselect = data[0];
}

/* Device lock held: move queued events into the guest's event buffers. */
static void input_flush(struct virtio_input *input)
{
	struct virtio_device *device = &input->device;
	struct virtqueue *queue = &device->queues[INPUT_EVENT_QUEUE];
	unsigned sent = 0;
	int ret = 0;

	if (!virtio_device_running(device))
		return;
	while (sent < input->pending_count &&
	       (ret = virtqueue_pop(queue, device->memory, &input->chain)) == 1) {
		size_t wrote = virtq_chain_write(&input->chain, 0, &input->pending[sent],
						 sizeof(input->pending[0]));
		virtqueue_push(queue, device->memory, input->chain.head, (uint32_t)wrote);
		sent++;
	}
	if (ret < 0)
		virtio_device_fail(device, "malformed event chain", ret);
	if (sent) {
		memmove(input->pending, input->pending + sent,
			(input->pending_count - sent) * sizeof(input->pending[0]));
		input->pending_count -= sent;
		virtio_device_signal_used(device, INPUT_EVENT_QUEUE);
	}
}

static void input_queue_notify(struct virtio_device *device, uint16_t queue_index)
{
	struct virtio_input *input = device->state;

	if (queue_index == INPUT_EVENT_QUEUE) {
		input_flush(input);
	} else {
		/* Status events (LEDs) are consumed and ignored. */
		struct virtqueue *queue = &device->queues[queue_index];
		int ret;
		while ((ret = virtqueue_pop(queue, device->memory, &input->chain)) == 1)
			virtqueue_push(queue, device->memory, input->chain.head, 0);
		if (ret < 0)
			virtio_device_fail(device, "malformed status chain", ret);
		virtio_device_signal_used(device, queue_index);
	}
}

static void input_reset(struct virtio_device *device)
{
	struct virtio_input *input = device->state;

	input->pending_count = 0;
}

static uint64_t input_features(struct virtio_device *device)
{
	(void)device;
	return 0;
}

static const struct virtio_dev_ops virtio_input_ops = {
	.name = "input",
	.device_id = 18,
	.queue_count = 2,
	.queue_max_size = INPUT_QUEUE_SIZE,
	.config_size = sizeof(struct virtio_input_config),
	.features = input_features,
	.read_config = input_read_config,
	.write_config = input_write_config,
	.queue_notify = input_queue_notify,
	.reset = input_reset,
};

int virtio_input_init(struct virtio_device **device, const struct guest_memory *memory,
		      enum virtio_input_kind kind, uint32_t width, uint32_t height)
{
	struct virtio_input *input = calloc(1, sizeof(*input));

	if (!input)
		return -ENOMEM;
	input->kind = kind;
	input->width = width ? width : 1;
	input->height = height ? height : 1;
	virtio_device_init(&input->device, &virtio_input_ops, input, memory);
	*device = &input->device;
	return 0;
}

static int input_queue_events(struct virtio_device *device,
			      const struct virtio_input_event *events, unsigned count)
{
	struct virtio_input *input = device->state;
	int ret = 0;

	pthread_mutex_lock(&device->lock);
	if (!virtio_device_running(device)) {
		ret = -ENODEV;
	} else if (input->pending_count + count > INPUT_PENDING_MAX) {
		ret = -ENOSPC;
	} else {
		memcpy(input->pending + input->pending_count, events, count * sizeof(*events));
		input->pending_count += count;
		input_flush(input);
	}
	pthread_mutex_unlock(&device->lock);
	return ret;
}

int virtio_input_send_key(struct virtio_device *device, uint16_t code, bool pressed)
{
	struct virtio_input_event events[2] = {
		{ .type = EV_KEY, .code = code, .value = pressed },
		{ .type = EV_SYN, .code = SYN_REPORT, .value = 0 },
	};

	return input_queue_events(device, events, 2);
}

int virtio_input_send_pointer(struct virtio_device *device, uint32_t x, uint32_t y,
			      uint8_t buttons, int wheel)
{
	struct virtio_input *input = device->state;
	struct virtio_input_event events[8];
	unsigned count = 0;
	static const uint16_t button_codes[3] = { BTN_LEFT, BTN_MIDDLE, BTN_RIGHT };

	/* Scale to the advertised 0..32767 range so the guest need not know the screen. */
	uint64_t scaled_x = (uint64_t)x * INPUT_ABS_MAX / (input->width > 1 ? input->width - 1 : 1);
	uint64_t scaled_y = (uint64_t)y * INPUT_ABS_MAX / (input->height > 1 ? input->height - 1 : 1);
	events[count++] = (struct virtio_input_event){ EV_ABS, ABS_X,
						       (uint32_t)(scaled_x > INPUT_ABS_MAX ? INPUT_ABS_MAX : scaled_x) };
	events[count++] = (struct virtio_input_event){ EV_ABS, ABS_Y,
						       (uint32_t)(scaled_y > INPUT_ABS_MAX ? INPUT_ABS_MAX : scaled_y) };
	for (unsigned i = 0; i < 3; i++)
		events[count++] = (struct virtio_input_event){ EV_KEY, button_codes[i],
							       (buttons >> i) & 1 };
	if (wheel)
		events[count++] = (struct virtio_input_event){ EV_REL, REL_WHEEL, (uint32_t)wheel };
	events[count++] = (struct virtio_input_event){ EV_SYN, SYN_REPORT, 0 };
	return input_queue_events(device, events, count);
}

int virtio_input_press_power_key(struct virtio_device *device)
{
	int ret = virtio_input_send_key(device, KEY_POWER, true);

	if (ret == 0)
		ret = virtio_input_send_key(device, KEY_POWER, false);
	return ret;
}

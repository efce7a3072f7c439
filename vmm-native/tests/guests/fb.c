/*
 * Entered through the Linux 64-bit boot protocol: checks the boot_params
 * the monitor filled in, draws a test picture into the linear framebuffer
 * described by screen_info, then echoes virtio input events until it has
 * seen a key press and a pointer click, and finally powers off when the
 * power key is pressed.
 */
#include "guest.h"

#define EV_SYN 0
#define EV_KEY 1
#define EV_ABS 3
#define KEY_A 30
#define KEY_POWER 116
#define BTN_LEFT 0x110
#define ABS_X 0

struct input_event {
	uint16_t type, code;
	uint32_t value;
};

static struct input_event events[2][QUEUE_SIZE];
static struct vq keyboard_queues[2], tablet_queues[2];

static uint32_t test_pixel(uint32_t x, uint32_t y, uint32_t height)
{
	if (y < height / 2)
		return 0x00336699;
	return ((x * 7) & 0xff) << 16 | ((y * 3) & 0xff) << 8 | 0x80;
}

static void post_events(uint64_t base, struct vq *queue, struct input_event *buffers)
{
	for (unsigned i = 0; i < QUEUE_SIZE; i++) {
		vq_write_desc(queue, i, (uint64_t)(uintptr_t)&buffers[i], sizeof(buffers[i]), 2, 0);
		vq_publish(base, queue, 0, (uint16_t)i);
	}
}

/* Returns the next event on the queue, or NULL; the buffer is re-posted. */
static const struct input_event *next_event(uint64_t base, struct vq *queue,
					    struct input_event *buffers)
{
	static struct input_event copy;
	uint16_t used_index = *(volatile uint16_t *)(queue->used + 2);

	if (used_index == queue->last_used)
		return NULL;
	unsigned id = *(volatile uint32_t *)(queue->used + 4 + 8 * (queue->last_used % QUEUE_SIZE));
	queue->last_used++;
	if (id >= QUEUE_SIZE)
		fail("bad used id");
	copy = buffers[id];
	vq_publish(base, queue, 0, (uint16_t)id);
	return &copy;
}

void guest_main(const uint8_t *boot_params);

void guest_main(const uint8_t *boot_params)
{
	uint32_t cmdline, lfb_base;
	uint16_t width, height, depth, stride;

	if (memcmp(boot_params + 0x202, "HdrS", 4) != 0)
		fail("boot_params has no setup header");
	memcpy(&cmdline, boot_params + 0x228, 4);
	print("bzImage entry: boot_params at 0x%lx, %u e820 entries, cmdline: %s\n",
	      (unsigned long)(uintptr_t)boot_params, boot_params[0x1e8], (const char *)(uintptr_t)cmdline);
	uint32_t ramdisk_image, ramdisk_size;
	memcpy(&ramdisk_image, boot_params + 0x218, 4);
	memcpy(&ramdisk_size, boot_params + 0x21c, 4);
	if (ramdisk_size) {
		char head[17] = { 0 };
		memcpy(head, (const char *)(uintptr_t)ramdisk_image, ramdisk_size < 16 ? ramdisk_size : 16);
		print("initrd: %u bytes at 0x%x: %s\n", ramdisk_size, ramdisk_image, head);
	}
	if (boot_params[0x0f] != 0x23) /* VIDEO_TYPE_VLFB */
		fail("no linear framebuffer in screen_info");
	memcpy(&width, boot_params + 0x12, 2);
	memcpy(&height, boot_params + 0x14, 2);
	memcpy(&depth, boot_params + 0x16, 2);
	memcpy(&lfb_base, boot_params + 0x18, 4);
	memcpy(&stride, boot_params + 0x24, 2);
	print("framebuffer %ux%u, %u bpp, stride %u, at 0x%x\n", width, height, depth, stride, lfb_base);

	volatile uint32_t *pixels = (volatile uint32_t *)(uintptr_t)lfb_base;
	for (uint32_t y = 0; y < height; y++)
		for (uint32_t x = 0; x < width; x++)
			pixels[y * (stride / 4) + x] = test_pixel(x, y, height);

	uint64_t keyboard = virtio_find(18, 0), tablet = virtio_find(18, 1);
	if (!keyboard || !tablet)
		fail("no virtio input devices");
	if (virtio_start(keyboard, 0, keyboard_queues, 2) < 0 || virtio_start(tablet, 0, tablet_queues, 2) < 0)
		fail("virtio input setup");
	post_events(keyboard, &keyboard_queues[0], events[0]);
	post_events(tablet, &tablet_queues[0], events[1]);
	print("drawn\n");

	bool key_seen = false, click_seen = false;
	while (!key_seen || !click_seen) {
		const struct input_event *event;
		while ((event = next_event(keyboard, &keyboard_queues[0], events[0]))) {
			if (event->type == EV_KEY) {
				print("key %u %s\n", event->code, event->value ? "down" : "up");
				if (event->code == KEY_A && event->value == 1 && !key_seen) {
					key_seen = true;
					/* Something new on screen for an incremental update. */
					for (uint32_t y = 0; y < 8; y++)
						for (uint32_t x = 0; x < 8; x++)
							pixels[y * (stride / 4) + x] = 0x00ff0000;
					print("box drawn\n");
				}
			}
		}
		while ((event = next_event(tablet, &tablet_queues[0], events[1]))) {
			if (event->type == EV_ABS)
				print("pointer axis %u = %u\n", event->code, event->value);
			if (event->type == EV_KEY && event->code == BTN_LEFT && event->value == 1) {
				print("left button down\n");
				click_seen = true;
			}
		}
		__asm__ volatile("pause");
	}
	print("input ok\n");

	/* "stop" on the control socket arrives as a power key press. */
	for (;;) {
		const struct input_event *event = next_event(keyboard, &keyboard_queues[0], events[0]);
		if (event && event->type == EV_KEY && event->code == KEY_POWER && event->value == 1) {
			print("power key pressed, powering off\n");
			print("PASS\n");
			power_off(0);
		}
		__asm__ volatile("pause");
	}
}

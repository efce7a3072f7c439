#include <stdarg.h>

#include "guest.h"

void *memset(void *destination, int value, size_t length)
{
	uint8_t *bytes = destination;
	for (size_t i = 0; i < length; i++)
		bytes[i] = (uint8_t)value;
	return destination;
}

void *memcpy(void *destination, const void *source, size_t length)
{
	uint8_t *to = destination;
	const uint8_t *from = source;
	for (size_t i = 0; i < length; i++)
		to[i] = from[i];
	return destination;
}

int memcmp(const void *a, const void *b, size_t length)
{
	const uint8_t *left = a, *right = b;
	for (size_t i = 0; i < length; i++)
		if (left[i] != right[i])
			return left[i] - right[i];
	return 0;
}

size_t strlen(const char *text)
{
	size_t length = 0;
	while (text[length])
		length++;
	return length;
}

const char *strstr_simple(const char *haystack, const char *needle)
{
	size_t length = strlen(needle);
	for (; *haystack; haystack++)
		if (memcmp(haystack, needle, length) == 0)
			return haystack;
	return NULL;
}

static volatile int serial_lock;

void serial_write(const char *text, size_t length)
{
	for (size_t i = 0; i < length; i++) {
		while (!(inb(COM1 + 5) & 0x20)) /* LSR.THRE */
			;
		outb(COM1, (uint8_t)text[i]);
	}
}

static void emit(char *buffer, size_t *used, size_t size, char c)
{
	if (*used < size)
		buffer[(*used)++] = c;
}

static void emit_number(char *buffer, size_t *used, size_t size, unsigned long value,
			unsigned base, bool negative)
{
	char digits[24];
	int count = 0;
	do {
		digits[count++] = "0123456789abcdef"[value % base];
		value /= base;
	} while (value);
	if (negative)
		emit(buffer, used, size, '-');
	while (count)
		emit(buffer, used, size, digits[--count]);
}

void print(const char *format, ...)
{
	char buffer[256];
	size_t used = 0;
	va_list args;

	va_start(args, format);
	for (const char *p = format; *p; p++) {
		if (*p != '%') {
			emit(buffer, &used, sizeof(buffer), *p);
			continue;
		}
		bool is_long = false;
		p++;
		if (*p == 'l') {
			is_long = true;
			p++;
		}
		switch (*p) {
		case 's': {
			const char *text = va_arg(args, const char *);
			while (*text)
				emit(buffer, &used, sizeof(buffer), *text++);
			break;
		}
		case 'c':
			emit(buffer, &used, sizeof(buffer), (char)va_arg(args, int));
			break;
		case 'd': {
			long value = is_long ? va_arg(args, long) : va_arg(args, int);
			emit_number(buffer, &used, sizeof(buffer),
				    value < 0 ? (unsigned long)-value : (unsigned long)value, 10, value < 0);
			break;
		}
		case 'u':
			emit_number(buffer, &used, sizeof(buffer),
				    is_long ? va_arg(args, unsigned long) : va_arg(args, unsigned), 10, false);
			break;
		case 'x':
			emit_number(buffer, &used, sizeof(buffer),
				    is_long ? va_arg(args, unsigned long) : va_arg(args, unsigned), 16, false);
			break;
		default:
			emit(buffer, &used, sizeof(buffer), *p);
			break;
		}
	}
	va_end(args);
	while (__atomic_exchange_n(&serial_lock, 1, __ATOMIC_ACQUIRE))
		;
	serial_write(buffer, used);
	__atomic_store_n(&serial_lock, 0, __ATOMIC_RELEASE);
}

void power_off(uint8_t status)
{
	outb(POWER_OFF_PORT, status);
	for (;;)
		__asm__ volatile("cli; hlt");
}

void fail(const char *what)
{
	print("FAIL: %s\n", what);
	power_off(1);
}

/* virtio-mmio registers (virtio 1.x 4.2.2) */
#define REG_MAGIC 0x000
#define REG_VERSION 0x004
#define REG_DEVICE_ID 0x008
#define REG_DEVICE_FEATURES 0x010
#define REG_DEVICE_FEATURES_SEL 0x014
#define REG_DRIVER_FEATURES 0x020
#define REG_DRIVER_FEATURES_SEL 0x024
#define REG_QUEUE_SEL 0x030
#define REG_QUEUE_NUM_MAX 0x034
#define REG_QUEUE_NUM 0x038
#define REG_QUEUE_READY 0x044
#define REG_QUEUE_NOTIFY 0x050
#define REG_INTERRUPT_ACK 0x064
#define REG_STATUS 0x070
#define REG_QUEUE_DESC 0x080
#define REG_QUEUE_DRIVER 0x090
#define REG_QUEUE_DEVICE 0x0a0

uint64_t virtio_find(uint32_t device_id, unsigned skip)
{
	for (unsigned slot = 0; slot < VIRTIO_MMIO_SLOTS; slot++) {
		uint64_t base = VIRTIO_MMIO_BASE + slot * 0x1000ULL;
		if (mmio_read32(base + REG_MAGIC) != 0x74726976 || mmio_read32(base + REG_VERSION) != 2)
			continue;
		if (mmio_read32(base + REG_DEVICE_ID) == device_id && skip-- == 0)
			return base;
	}
	return 0;
}

static uint8_t queue_memory[8][3][4096] __attribute__((aligned(4096)));
static unsigned queue_memory_used;

void virtio_reset(uint64_t base)
{
	mmio_write32(base + REG_STATUS, 0);
}

uint32_t virtio_status(uint64_t base)
{
	return mmio_read32(base + REG_STATUS);
}

int virtio_start(uint64_t base, uint64_t wanted_features, struct vq *queues, unsigned count)
{
	mmio_write32(base + REG_STATUS, 0);
	mmio_write32(base + REG_STATUS, 1);     /* ACKNOWLEDGE */
	mmio_write32(base + REG_STATUS, 1 | 2); /* DRIVER */
	mmio_write32(base + REG_DEVICE_FEATURES_SEL, 0);
	uint64_t offered = mmio_read32(base + REG_DEVICE_FEATURES);
	mmio_write32(base + REG_DEVICE_FEATURES_SEL, 1);
	offered |= (uint64_t)mmio_read32(base + REG_DEVICE_FEATURES) << 32;
	uint64_t features = (offered & wanted_features) | (1ULL << 32);
	mmio_write32(base + REG_DRIVER_FEATURES_SEL, 0);
	mmio_write32(base + REG_DRIVER_FEATURES, (uint32_t)features);
	mmio_write32(base + REG_DRIVER_FEATURES_SEL, 1);
	mmio_write32(base + REG_DRIVER_FEATURES, (uint32_t)(features >> 32));
	mmio_write32(base + REG_STATUS, 1 | 2 | 8);
	if (!(mmio_read32(base + REG_STATUS) & 8))
		return -1;
	for (unsigned i = 0; i < count; i++) {
		struct vq *queue = &queues[i];
		mmio_write32(base + REG_QUEUE_SEL, i);
		uint32_t max = mmio_read32(base + REG_QUEUE_NUM_MAX);
		if (max < QUEUE_SIZE)
			return -1;
		/* A restarted device reuses its queue's memory. */
		uint8_t (*memory)[4096] = (uint8_t (*)[4096])(uintptr_t)queue->desc;
		if (!memory) {
			if (queue_memory_used == 8)
				return -1;
			memory = queue_memory[queue_memory_used++];
		}
		memset(memory, 0, 3 * 4096);
		queue->size = QUEUE_SIZE;
		queue->next_available = 0;
		queue->last_used = 0;
		queue->desc = memory[0];
		queue->avail = (volatile uint16_t *)memory[1];
		queue->used = memory[2];
		mmio_write32(base + REG_QUEUE_NUM, QUEUE_SIZE);
		mmio_write32(base + REG_QUEUE_DESC, (uint32_t)(uintptr_t)memory[0]);
		mmio_write32(base + REG_QUEUE_DESC + 4, 0);
		mmio_write32(base + REG_QUEUE_DRIVER, (uint32_t)(uintptr_t)memory[1]);
		mmio_write32(base + REG_QUEUE_DRIVER + 4, 0);
		mmio_write32(base + REG_QUEUE_DEVICE, (uint32_t)(uintptr_t)memory[2]);
		mmio_write32(base + REG_QUEUE_DEVICE + 4, 0);
		mmio_write32(base + REG_QUEUE_READY, 1);
	}
	mmio_write32(base + REG_STATUS, 1 | 2 | 8 | 4); /* DRIVER_OK */
	return 0;
}

void vq_write_desc(struct vq *queue, unsigned index, uint64_t address, uint32_t length,
		   uint16_t flags, uint16_t next)
{
	volatile uint8_t *desc = queue->desc + 16 * index;
	*(volatile uint64_t *)desc = address;
	*(volatile uint32_t *)(desc + 8) = length;
	*(volatile uint16_t *)(desc + 12) = flags;
	*(volatile uint16_t *)(desc + 14) = next;
}

void vq_publish(uint64_t base, struct vq *queue, unsigned queue_index, uint16_t head)
{
	queue->avail[2 + queue->next_available % queue->size] = head;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	queue->next_available++;
	queue->avail[1] = queue->next_available;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	mmio_write32(base + REG_QUEUE_NOTIFY, queue_index);
}

void vq_submit(uint64_t base, struct vq *queue, unsigned queue_index, const struct buffer *buffers,
	       unsigned count)
{
	for (unsigned i = 0; i < count; i++)
		vq_write_desc(queue, i, buffers[i].address, buffers[i].length,
			      (uint16_t)((i + 1 < count ? 1 : 0) | (buffers[i].device_writes ? 2 : 0)),
			      (uint16_t)(i + 1));
	vq_publish(base, queue, queue_index, 0);
}

long vq_wait(struct vq *queue, unsigned long spins)
{
	for (unsigned long i = 0; i < spins; i++) {
		uint16_t used_index = *(volatile uint16_t *)(queue->used + 2);
		if (used_index != queue->last_used) {
			volatile uint8_t *element = queue->used + 4 + 8 * (queue->last_used % queue->size);
			queue->last_used++;
			return *(volatile uint32_t *)(element + 4);
		}
		__asm__ volatile("pause");
	}
	return -1;
}

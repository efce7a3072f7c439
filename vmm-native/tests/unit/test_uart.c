#include <string.h>

#include "uart8250.h"
#include "unit.h"

static char transmitted[64];
static size_t transmitted_length;
static bool irq_level;
static unsigned irq_changes;

static void transmit(void *opaque, const uint8_t *data, size_t length)
{
	(void)opaque;
	memcpy(transmitted + transmitted_length, data, length);
	transmitted_length += length;
}

static unsigned receive_ready_calls;

static void receive_ready(void *opaque)
{
	(void)opaque;
	receive_ready_calls++;
}

static void set_irq(void *opaque, bool level)
{
	(void)opaque;
	irq_level = level;
	irq_changes++;
}

void test_uart(void)
{
	struct uart8250 uart;
	struct uart8250_callbacks callbacks = {
		.set_irq = set_irq, .transmit = transmit, .receive_ready = receive_ready,
	};

	uart8250_init(&uart, &callbacks);
	CHECK_EQ(uart8250_read(&uart, 5) & 0x60, 0x60); /* THRE and TEMT */
	uart8250_write(&uart, 0, 'h');
	uart8250_write(&uart, 0, 'i');
	CHECK_EQ(transmitted_length, 2);
	CHECK(memcmp(transmitted, "hi", 2) == 0);
	CHECK(!irq_level);

	/* Divisor latch. */
	uart8250_write(&uart, 3, 0x83);
	uart8250_write(&uart, 0, 0x01);
	uart8250_write(&uart, 1, 0x00);
	CHECK_EQ(uart8250_read(&uart, 0), 1);
	uart8250_write(&uart, 3, 0x03);
	CHECK_EQ(transmitted_length, 2); /* divisor writes are not data */

	/* THR-empty interrupt: raised on enable, cleared by reading IIR. */
	uart8250_write(&uart, 1, 0x02);
	CHECK(irq_level);
	CHECK_EQ(uart8250_read(&uart, 2) & 0x0f, 0x02);
	CHECK(!irq_level);
	CHECK_EQ(uart8250_read(&uart, 2) & 0x01, 0x01);
	uart8250_write(&uart, 1, 0x00);

	/* Receive path: data-ready and the receive interrupt. */
	uart8250_write(&uart, 1, 0x01);
	CHECK_EQ(uart8250_receive(&uart, (const uint8_t *)"ok", 2), 2);
	CHECK(irq_level);
	CHECK_EQ(uart8250_read(&uart, 5) & 1, 1);
	CHECK_EQ(uart8250_read(&uart, 2) & 0x0f, 0x04);
	CHECK_EQ(uart8250_read(&uart, 0), 'o');
	CHECK_EQ(uart8250_read(&uart, 0), 'k');
	CHECK(!irq_level);
	CHECK_EQ(uart8250_read(&uart, 5) & 1, 0);

	/* The FIFO holds 64 bytes and refuses the rest. */
	uint8_t flood[100];
	memset(flood, 'x', sizeof(flood));
	CHECK_EQ(uart8250_receive(&uart, flood, sizeof(flood)), UART_RX_FIFO_SIZE);
	CHECK(!uart8250_can_receive(&uart));
	for (unsigned i = 0; i < UART_RX_FIFO_SIZE; i++)
		uart8250_read(&uart, 0);
	CHECK_EQ(receive_ready_calls, 1); /* drained after refusing: ask for the rest */
	CHECK_EQ(uart8250_receive(&uart, flood, sizeof(flood)), UART_RX_FIFO_SIZE);
	uart8250_write(&uart, 2, 0x03); /* FCR: enable and clear receive FIFO */
	CHECK(uart8250_can_receive(&uart));
	CHECK_EQ(uart8250_read(&uart, 2) & 0xc0, 0xc0);

	/* Loopback echoes transmitted bytes back into the receiver. */
	uart8250_write(&uart, 4, 0x10);
	uart8250_write(&uart, 0, 'L');
	CHECK_EQ(transmitted_length, 2);
	CHECK_EQ(uart8250_read(&uart, 0), 'L');
	uart8250_write(&uart, 4, 0x00);

	uart8250_write(&uart, 7, 0x5a);
	CHECK_EQ(uart8250_read(&uart, 7), 0x5a);
	CHECK(irq_changes > 0);
}

#include "uart8250.h"

#include <string.h>

/* Register offsets from the base port (PC16550D data sheet, table 2). */
enum {
	UART_RBR_THR = 0, /* receive buffer / transmit holding; DLL when DLAB */
	UART_IER = 1,     /* interrupt enable; DLM when DLAB */
	UART_IIR_FCR = 2, /* interrupt identification (read) / FIFO control (write) */
	UART_LCR = 3,
	UART_MCR = 4,
	UART_LSR = 5,
	UART_MSR = 6,
	UART_SCR = 7,
};

#define IER_RECEIVED_DATA 0x01
#define IER_TRANSMIT_EMPTY 0x02
#define LCR_DLAB 0x80
#define MCR_LOOPBACK 0x10
#define LSR_DATA_READY 0x01
#define LSR_TRANSMIT_EMPTY 0x20 /* THRE */
#define LSR_TRANSMITTER_IDLE 0x40 /* TEMT */
#define IIR_NO_INTERRUPT 0x01
#define IIR_TRANSMIT_EMPTY 0x02
#define IIR_RECEIVED_DATA 0x04
#define IIR_FIFOS_ENABLED 0xc0
#define FCR_ENABLE_FIFO 0x01
#define FCR_CLEAR_RX 0x02
#define MSR_CTS_DSR_DCD 0xb0

void uart8250_init(struct uart8250 *uart, const struct uart8250_callbacks *callbacks)
{
	memset(uart, 0, sizeof(*uart));
	pthread_mutex_init(&uart->lock, NULL);
	uart->callbacks = *callbacks;
	uart->divisor = 12; /* 9600 baud */
	uart->line_control = 0x03; /* 8N1 */
}

static uint8_t uart_interrupt_identification(const struct uart8250 *uart)
{
	if ((uart->interrupt_enable & IER_RECEIVED_DATA) && uart->rx_count)
		return IIR_RECEIVED_DATA;
	if ((uart->interrupt_enable & IER_TRANSMIT_EMPTY) && uart->transmit_interrupt)
		return IIR_TRANSMIT_EMPTY;
	return IIR_NO_INTERRUPT;
}

static void uart_update_irq(struct uart8250 *uart)
{
	bool level = uart_interrupt_identification(uart) != IIR_NO_INTERRUPT;

	/* In loopback mode the interrupt output is disconnected (OUT2 path). */
	if (uart->modem_control & MCR_LOOPBACK)
		level = false;
	if (level != uart->irq_level) {
		uart->irq_level = level;
		if (uart->callbacks.set_irq)
			uart->callbacks.set_irq(uart->callbacks.opaque, level);
	}
}

static void uart_push_rx(struct uart8250 *uart, uint8_t byte)
{
	if (uart->rx_count == UART_RX_FIFO_SIZE)
		return;
	uart->rx_fifo[(uart->rx_head + uart->rx_count) % UART_RX_FIFO_SIZE] = byte;
	uart->rx_count++;
}

/* The FIFO is empty: input refused meanwhile may come now. */
static void uart_rx_drained(struct uart8250 *uart)
{
	if (!uart->rx_refused)
		return;
	uart->rx_refused = false;
	if (uart->callbacks.receive_ready)
		uart->callbacks.receive_ready(uart->callbacks.opaque);
}

uint8_t uart8250_read(struct uart8250 *uart, unsigned offset)
{
	uint8_t value = 0xff;

	pthread_mutex_lock(&uart->lock);
	switch (offset) {
	case UART_RBR_THR:
		if (uart->line_control & LCR_DLAB) {
			value = (uint8_t)uart->divisor;
		} else if (uart->rx_count) {
			value = uart->rx_fifo[uart->rx_head];
			uart->rx_head = (uart->rx_head + 1) % UART_RX_FIFO_SIZE;
			uart->rx_count--;
			if (uart->rx_count == 0)
				uart_rx_drained(uart);
		} else {
			value = 0;
		}
		break;
	case UART_IER:
		value = (uart->line_control & LCR_DLAB) ? (uint8_t)(uart->divisor >> 8)
							 : uart->interrupt_enable;
		break;
	case UART_IIR_FCR:
		value = uart_interrupt_identification(uart);
		/* Reading IIR while it reports THR empty clears that source. */
		if (value == IIR_TRANSMIT_EMPTY)
			uart->transmit_interrupt = false;
		if (uart->fifo_control & FCR_ENABLE_FIFO)
			value |= IIR_FIFOS_ENABLED;
		break;
	case UART_LCR:
		value = uart->line_control;
		break;
	case UART_MCR:
		value = uart->modem_control;
		break;
	case UART_LSR:
		value = LSR_TRANSMIT_EMPTY | LSR_TRANSMITTER_IDLE;
		if (uart->rx_count)
			value |= LSR_DATA_READY;
		break;
	case UART_MSR:
		if (uart->modem_control & MCR_LOOPBACK) {
			/* Loopback: DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD. */
			uint8_t mcr = uart->modem_control;
			value = (uint8_t)(((mcr & 0x01) << 5) | ((mcr & 0x02) << 3) |
					  ((mcr & 0x04) << 4) | ((mcr & 0x08) << 4));
		} else {
			value = MSR_CTS_DSR_DCD;
		}
		break;
	case UART_SCR:
		value = uart->scratch;
		break;
	default:
		break;
	}
	uart_update_irq(uart);
	pthread_mutex_unlock(&uart->lock);
	return value;
}

void uart8250_write(struct uart8250 *uart, unsigned offset, uint8_t value)
{
	pthread_mutex_lock(&uart->lock);
	switch (offset) {
	case UART_RBR_THR:
		if (uart->line_control & LCR_DLAB) {
			uart->divisor = (uint16_t)((uart->divisor & 0xff00) | value);
		} else if (uart->modem_control & MCR_LOOPBACK) {
			uart_push_rx(uart, value);
			uart->transmit_interrupt = true;
		} else {
			/* The byte leaves at once, so THR is empty again right away. */
			if (uart->callbacks.transmit)
				uart->callbacks.transmit(uart->callbacks.opaque, &value, 1);
			uart->transmit_interrupt = true;
		}
		break;
	case UART_IER:
		if (uart->line_control & LCR_DLAB) {
			uart->divisor = (uint16_t)((uart->divisor & 0x00ff) | (value << 8));
		} else {
			/* Enabling ETBEI with an empty THR raises the interrupt at once. */
			if ((value & IER_TRANSMIT_EMPTY) &&
			    !(uart->interrupt_enable & IER_TRANSMIT_EMPTY))
				uart->transmit_interrupt = true;
			uart->interrupt_enable = value & 0x0f;
		}
		break;
	case UART_IIR_FCR:
		uart->fifo_control = value;
		/*
		 * FCR bit 1 clears the bytes in the receive FIFO (PC16550D, FCR).
		 * Bytes still on the line are not in it: they arrive after the
		 * reset, so the backend offers what it held back again.
		 */
		if (value & FCR_CLEAR_RX) {
			uart->rx_count = 0;
			uart_rx_drained(uart);
		}
		break;
	case UART_LCR:
		uart->line_control = value;
		break;
	case UART_MCR:
		uart->modem_control = value & 0x1f;
		break;
	case UART_SCR:
		uart->scratch = value;
		break;
	default:
		break;
	}
	uart_update_irq(uart);
	pthread_mutex_unlock(&uart->lock);
}

size_t uart8250_receive(struct uart8250 *uart, const uint8_t *data, size_t length)
{
	size_t accepted = 0;

	pthread_mutex_lock(&uart->lock);
	while (accepted < length && uart->rx_count < UART_RX_FIFO_SIZE)
		uart_push_rx(uart, data[accepted++]);
	if (accepted < length)
		uart->rx_refused = true;
	uart_update_irq(uart);
	pthread_mutex_unlock(&uart->lock);
	return accepted;
}

bool uart8250_can_receive(struct uart8250 *uart)
{
	pthread_mutex_lock(&uart->lock);
	bool room = uart->rx_count < UART_RX_FIFO_SIZE;
	pthread_mutex_unlock(&uart->lock);
	return room;
}

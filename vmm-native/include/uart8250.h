/*
 * 8250/16550A UART register model. It knows no bus and no KVM: the owner
 * passes register accesses in, bytes the guest transmits come out through
 * transmit(), and the interrupt line is driven through set_irq().
 */
#ifndef MVM_UART8250_H
#define MVM_UART8250_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UART_COM1_PORT 0x3f8
#define UART_COM1_IRQ 4
#define UART_REGISTER_COUNT 8
#define UART_RX_FIFO_SIZE 64

struct uart8250_callbacks {
	void (*set_irq)(void *opaque, bool level);
	void (*transmit)(void *opaque, const uint8_t *data, size_t length);
	/* The receive FIFO drained or was cleared after refusing input: offer the rest again. */
	void (*receive_ready)(void *opaque);
	void *opaque;
};

struct uart8250 {
	pthread_mutex_t lock;
	struct uart8250_callbacks callbacks;
	uint8_t interrupt_enable;   /* IER */
	uint8_t line_control;       /* LCR; bit 7 is DLAB */
	uint8_t modem_control;      /* MCR; bit 4 is loopback */
	uint8_t scratch;            /* SCR */
	uint8_t fifo_control;       /* last FCR write; bit 0 enables the FIFOs */
	uint16_t divisor;           /* DLL/DLM */
	bool transmit_interrupt;    /* THR empty interrupt pending (IIR source 0x2) */
	bool irq_level;
	bool rx_refused;             /* input was refused since the FIFO last drained */
	uint8_t rx_fifo[UART_RX_FIFO_SIZE];
	unsigned rx_head, rx_count;
};

void uart8250_init(struct uart8250 *uart, const struct uart8250_callbacks *callbacks);
uint8_t uart8250_read(struct uart8250 *uart, unsigned offset);
void uart8250_write(struct uart8250 *uart, unsigned offset, uint8_t value);
/* Queue received bytes; returns how many fit in the receive FIFO. */
size_t uart8250_receive(struct uart8250 *uart, const uint8_t *data, size_t length);
bool uart8250_can_receive(struct uart8250 *uart);

#endif

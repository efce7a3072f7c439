/*
 * Port I/O and MMIO dispatch. Ranges are registered during setup, before the
 * vCPUs start, and are read-only afterwards, so lookups take no lock.
 */
#ifndef MVM_IO_BUS_H
#define MVM_IO_BUS_H

#include <stdbool.h>
#include <stdint.h>

/* offset is relative to the range base; data holds size bytes, little endian */
typedef void io_handler_fn(void *opaque, uint64_t offset, uint8_t *data, uint32_t size,
			   bool is_write);

struct io_range {
	uint64_t base;
	uint64_t length;
	io_handler_fn *handler;
	void *opaque;
};

#define IO_BUS_MAX_RANGES 32

struct io_bus {
	struct io_range ranges[IO_BUS_MAX_RANGES];
	unsigned count;
};

int io_bus_register(struct io_bus *bus, uint64_t base, uint64_t length, io_handler_fn *handler,
		    void *opaque);
/* Returns false when no device claims the access. */
bool io_bus_dispatch(const struct io_bus *bus, uint64_t address, uint8_t *data, uint32_t size,
		     bool is_write);

#endif

#include "io_bus.h"

#include <errno.h>

int io_bus_register(struct io_bus *bus, uint64_t base, uint64_t length, io_handler_fn *handler,
		    void *opaque)
{
	if (bus->count == IO_BUS_MAX_RANGES || length == 0)
		return -ENOSPC;
	for (unsigned i = 0; i < bus->count; i++) {
		const struct io_range *other = &bus->ranges[i];
		if (base < other->base + other->length && other->base < base + length)
			return -EEXIST;
	}
	bus->ranges[bus->count++] = (struct io_range){ base, length, handler, opaque };
	return 0;
}

bool io_bus_dispatch(const struct io_bus *bus, uint64_t address, uint8_t *data, uint32_t size,
		     bool is_write)
{
	for (unsigned i = 0; i < bus->count; i++) {
		const struct io_range *range = &bus->ranges[i];
		if (address >= range->base && address - range->base < range->length) {
			range->handler(range->opaque, address - range->base, data, size, is_write);
			return true;
		}
	}
	return false;
}

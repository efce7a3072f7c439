/* The I/O thread: one epoll set for sockets, taps and the console. */
#ifndef MVM_EVENT_LOOP_H
#define MVM_EVENT_LOOP_H

#include <stdint.h>

struct event_handler;
typedef void event_ready_fn(struct event_handler *handler, uint32_t events);

struct event_handler {
	int fd;
	event_ready_fn *ready;
	void *opaque;
};

struct event_loop {
	int epoll_fd;
};

int event_loop_init(struct event_loop *loop);
int event_loop_add(struct event_loop *loop, struct event_handler *handler, uint32_t events);
int event_loop_modify(struct event_loop *loop, struct event_handler *handler, uint32_t events);
void event_loop_remove(struct event_loop *loop, struct event_handler *handler);
/* Waits up to timeout_ms and runs the handlers that became ready. */
int event_loop_run_once(struct event_loop *loop, int timeout_ms);

#endif

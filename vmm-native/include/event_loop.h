/* The I/O thread: one epoll set for sockets, taps and the console. */
#ifndef MVM_EVENT_LOOP_H
#define MVM_EVENT_LOOP_H

#include <stdint.h>
#include <sys/epoll.h>

struct event_handler;
typedef void event_ready_fn(struct event_handler *handler, uint32_t events);

struct event_handler {
	int fd;
	event_ready_fn *ready;
	void *opaque;
};

struct event_loop {
	int epoll_fd;
	/* The batch epoll_wait() returned, while its handlers run. */
	struct epoll_event *batch;
	int batch_next, batch_count;
};

int event_loop_init(struct event_loop *loop);
int event_loop_add(struct event_loop *loop, struct event_handler *handler, uint32_t events);
int event_loop_modify(struct event_loop *loop, struct event_handler *handler, uint32_t events);
/*
 * Also drops the handler's events still waiting in the batch being run, so
 * a handler may remove and free another (or itself) and no event reaches
 * it afterwards. Only from the loop's own thread.
 */
void event_loop_remove(struct event_loop *loop, struct event_handler *handler);
/* Waits up to timeout_ms and runs the handlers that became ready. */
int event_loop_run_once(struct event_loop *loop, int timeout_ms);

#endif

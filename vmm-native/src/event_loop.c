#include "event_loop.h"

#include <errno.h>
#include <stddef.h>

#define EVENT_BATCH 16

int event_loop_init(struct event_loop *loop)
{
	loop->batch = NULL;
	loop->batch_next = loop->batch_count = 0;
	loop->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	return loop->epoll_fd < 0 ? -errno : 0;
}

int event_loop_add(struct event_loop *loop, struct event_handler *handler, uint32_t events)
{
	struct epoll_event event = { .events = events, .data.ptr = handler };

	return epoll_ctl(loop->epoll_fd, EPOLL_CTL_ADD, handler->fd, &event) < 0 ? -errno : 0;
}

int event_loop_modify(struct event_loop *loop, struct event_handler *handler, uint32_t events)
{
	struct epoll_event event = { .events = events, .data.ptr = handler };

	return epoll_ctl(loop->epoll_fd, EPOLL_CTL_MOD, handler->fd, &event) < 0 ? -errno : 0;
}

void event_loop_remove(struct event_loop *loop, struct event_handler *handler)
{
	epoll_ctl(loop->epoll_fd, EPOLL_CTL_DEL, handler->fd, NULL);
	for (int i = loop->batch_next; i < loop->batch_count; i++)
		if (loop->batch[i].data.ptr == handler)
			loop->batch[i].data.ptr = NULL;
}

int event_loop_run_once(struct event_loop *loop, int timeout_ms)
{
	struct epoll_event events[EVENT_BATCH];
	int count = epoll_wait(loop->epoll_fd, events, EVENT_BATCH, timeout_ms);

	if (count < 0)
		return errno == EINTR ? 0 : -errno;
	loop->batch = events;
	loop->batch_count = count;
	for (int i = 0; i < count; i++) {
		struct event_handler *handler = events[i].data.ptr;
		loop->batch_next = i + 1;
		if (handler) /* NULL: removed by an earlier handler of this batch */
			handler->ready(handler, events[i].events);
	}
	loop->batch = NULL;
	loop->batch_next = loop->batch_count = 0;
	return count;
}

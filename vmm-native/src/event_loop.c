#include "event_loop.h"

#include <errno.h>
#include <stddef.h>
#include <sys/epoll.h>

int event_loop_init(struct event_loop *loop)
{
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
}

int event_loop_run_once(struct event_loop *loop, int timeout_ms)
{
	struct epoll_event events[16];
	int count = epoll_wait(loop->epoll_fd, events, 16, timeout_ms);

	if (count < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < count; i++) {
		struct event_handler *handler = events[i].data.ptr;
		handler->ready(handler, events[i].events);
	}
	return count;
}

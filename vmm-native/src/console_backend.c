#include "console_backend.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <termios.h>
#include <unistd.h>

#include "log.h"
#include "unix_socket.h"

static void console_common_init(struct console_backend *console, struct event_loop *loop)
{
	memset(console, 0, sizeof(*console));
	pthread_mutex_init(&console->lock, NULL);
	console->loop = loop;
	console->output_fd = -1;
	console->input.fd = -1;
	console->listener.fd = -1;
	console->client.fd = -1;
	console->resume.fd = -1;
}

void console_backend_open_null(struct console_backend *console)
{
	console_common_init(console, NULL);
}

static void console_close_source(struct console_backend *console, struct event_handler *source)
{
	event_loop_remove(console->loop, source);
	if (console->paused_source == source) {
		console->paused_source = NULL;
		console->pending_length = 0;
	}
	/* Writers check the fd under the lock, so it must be gone before it is closed. */
	pthread_mutex_lock(&console->lock);
	int fd = source->fd;
	source->fd = -1;
	pthread_mutex_unlock(&console->lock);
	close(fd);
}

/* Offers pending input to the device; pauses the source while some is left. */
static void console_offer_pending(struct console_backend *console, struct event_handler *source)
{
	if (console->receive && console->pending_length) {
		size_t taken = console->receive(console->receive_opaque,
						console->pending + console->pending_offset,
						console->pending_length);
		console->pending_offset += taken;
		console->pending_length -= taken;
	}
	if (console->pending_length) {
		if (console->paused_source != source) {
			console->paused_source = source;
			event_loop_modify(console->loop, source, 0);
		}
	} else if (console->paused_source) {
		console->paused_source = NULL;
		event_loop_modify(console->loop, source, EPOLLIN);
	}
}

static void console_input_ready(struct event_handler *handler, uint32_t events)
{
	struct console_backend *console = handler->opaque;

	if (console->pending_length) {
		/* Paused: only a hang-up gets here. */
		if (events & (EPOLLHUP | EPOLLERR))
			console_close_source(console, handler);
		return;
	}
	ssize_t got = read(handler->fd, console->pending, sizeof(console->pending));
	if (got <= 0) {
		if (got < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		console_close_source(console, handler);
		return;
	}
	console->pending_offset = 0;
	console->pending_length = (size_t)got;
	console_offer_pending(console, handler);
}

static void console_resume_ready(struct event_handler *handler, uint32_t events)
{
	struct console_backend *console = handler->opaque;
	uint64_t count;
	(void)events;

	if (read(handler->fd, &count, sizeof(count)) < 0)
		return;
	if (console->paused_source)
		console_offer_pending(console, console->paused_source);
}

void console_backend_resume_input(struct console_backend *console)
{
	uint64_t one = 1;

	if (console->resume.fd >= 0 && write(console->resume.fd, &one, sizeof(one)) < 0)
		log_debug("console: resume signal lost");
}

static int console_open_resume(struct console_backend *console)
{
	int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

	if (fd < 0)
		return -errno;
	console->resume = (struct event_handler){ fd, console_resume_ready, console };
	return event_loop_add(console->loop, &console->resume, EPOLLIN);
}

static struct termios saved_terminal;
static bool terminal_saved;

void console_backend_restore_terminal(void)
{
	if (terminal_saved)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_terminal);
}

int console_backend_open_stdio(struct console_backend *console, struct event_loop *loop)
{
	/* A terminal passes every key to the guest, except that Ctrl-C still stops mvm. */
	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved_terminal) == 0) {
		struct termios raw = saved_terminal;
		cfmakeraw(&raw);
		raw.c_lflag |= ISIG;
		raw.c_oflag |= OPOST | ONLCR;
		if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0) {
			terminal_saved = true;
			atexit(console_backend_restore_terminal); /* die() exits through here */
		}
	}
	console_common_init(console, loop);
	console->output_fd = STDOUT_FILENO;
	console->input = (struct event_handler){ STDIN_FILENO, console_input_ready, console };
	/* stdin may be /dev/null or a file, which epoll refuses: then there is no input. */
	if (event_loop_add(loop, &console->input, EPOLLIN) < 0)
		console->input.fd = -1;
	return console_open_resume(console);
}

static void console_accept(struct event_handler *handler, uint32_t events)
{
	struct console_backend *console = handler->opaque;
	int fd = unix_socket_accept(handler->fd);
	(void)events;

	if (fd < 0)
		return;
	pthread_mutex_lock(&console->lock);
	if (console->client.fd >= 0) {
		pthread_mutex_unlock(&console->lock);
		static const char busy[] = "console busy\r\n";
		if (write(fd, busy, sizeof(busy) - 1) < 0)
			log_debug("console: refusing a second client");
		close(fd);
		return;
	}
	/* Replay what the guest printed before this client attached. */
	size_t first = CONSOLE_HISTORY_SIZE - console->history_start;
	if (first > console->history_length)
		first = console->history_length;
	if (write(fd, console->history + console->history_start, first) < 0 ||
	    write(fd, console->history, console->history_length - first) < 0)
		log_debug("console: history replay incomplete");
	console->client = (struct event_handler){ fd, console_input_ready, console };
	pthread_mutex_unlock(&console->lock);
	event_loop_add(console->loop, &console->client, EPOLLIN);
}

int console_backend_open_socket(struct console_backend *console, struct event_loop *loop,
				const char *path)
{
	console_common_init(console, loop);
	int fd = unix_socket_listen(path);
	if (fd < 0)
		return fd;
	console->listener = (struct event_handler){ fd, console_accept, console };
	int ret = event_loop_add(loop, &console->listener, EPOLLIN);
	return ret < 0 ? ret : console_open_resume(console);
}

static void console_record(struct console_backend *console, const uint8_t *data, size_t length)
{
	for (size_t i = 0; i < length; i++) {
		size_t end = (console->history_start + console->history_length) % CONSOLE_HISTORY_SIZE;
		console->history[end] = data[i];
		if (console->history_length < CONSOLE_HISTORY_SIZE)
			console->history_length++;
		else
			console->history_start = (console->history_start + 1) % CONSOLE_HISTORY_SIZE;
	}
}

void console_backend_write(struct console_backend *console, const uint8_t *data, size_t length)
{
	pthread_mutex_lock(&console->lock);
	if (console->output_fd >= 0) {
		size_t done = 0;
		while (done < length) {
			ssize_t wrote = write(console->output_fd, data + done, length - done);
			if (wrote < 0 && errno == EINTR)
				continue;
			if (wrote <= 0)
				break;
			done += (size_t)wrote;
		}
	}
	if (console->listener.fd >= 0) {
		console_record(console, data, length);
		/* A slow client loses output rather than stalling the vCPU. */
		if (console->client.fd >= 0 && write(console->client.fd, data, length) < 0 &&
		    errno != EAGAIN)
			log_debug("console: client write failed");
	}
	pthread_mutex_unlock(&console->lock);
}

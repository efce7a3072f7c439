/*
 * console-keeper: starts a jail and holds its console.
 *
 *   console-keeper [--control CONTROL_SOCKET] [--exit-status FILE PID_FILE]
 *                  [--bind SOURCE TARGET] [--veth HOST_NAME BRIDGE MAC]
 *                  CONSOLE_SOCKET SERVE_SOCKET LOG_FILE RUNTIME [ARG...]
 *
 * The keeper listens on CONSOLE_SOCKET and SERVE_SOCKET, then runs RUNTIME
 * with its arguments, an OCI runtime invocation such as
 * "runc run --detach --console-socket CONSOLE_SOCKET ID". The runtime
 * connects to CONSOLE_SOCKET and hands over the master side of the jail's PTY
 * with SCM_RIGHTS. Once the runtime has exited, the keeper reports on stdout
 * one line, "ok PID" (its own pid) or "error STATUS" followed by what the
 * runtime printed, and closes stdout: the caller reads to end of file.
 *
 * It then serves the PTY on the unix stream socket SERVE_SOCKET: one client at
 * a time (a new connection replaces the previous one), bytes relayed both
 * ways, the last SCROLLBACK bytes of output replayed to each new client. It
 * exits, removing its sockets, when the PTY hangs up (the jail's init is gone).
 *
 * Flow control: output read from the PTY waits in a buffer of OUTPUT_BUFFER
 * bytes until the client takes it; while the buffer is full the keeper stops
 * reading the PTY, so the jail's writes block as on a slow serial line and no
 * output is lost. A client that takes nothing for STALL_LIMIT_MS is dropped
 * and the console runs on unwatched. Without a client, output only goes to
 * the scrollback. Input waits the same way for the PTY to take it.
 *
 * Batching: the PTY hands over at most 4 KiB per read, and a program that
 * writes line by line hands over a line per read. Output that answers input
 * (an echo, a command's first lines) and small output after a quiet spell (a
 * prompt, a log line) is sent at once. Otherwise, while output keeps coming
 * (BATCH_MIN bytes wait, or the last send was less than BATCH_WAIT_US ago),
 * the keeper goes on reading for up to BATCH_WAIT_US or until BATCH_BYTES
 * wait, so that a flood reaches the client in large writes and costs it few
 * wake-ups.
 *
 * With --bind, the keeper bind-mounts SOURCE at TARGET before it runs the
 * runtime (the jail's root, reached through the gate the host prepared at
 * TARGET): one mount(2) here instead of a mount(8) process of its own on the
 * jail's way to starting. A failure is reported like the runtime's.
 *
 * With --veth (which needs --exit-status's PID_FILE), the keeper gives the
 * init the runtime created its network interface before it reports: a veth
 * pair whose end HOST_NAME is a port of BRIDGE and whose other end is eth0
 * with the MAC MAC in the init's network namespace (one rtnetlink request,
 * jail-link.c: again no process of its own). It makes it once the host says
 * the jail's network is ready (its rules name HOST_NAME), a line on stdin;
 * end of file instead calls the start off (an error is reported).
 *
 * With --control, the keeper also listens on CONTROL_SOCKET for the control
 * protocol of console-control.h (window size), one client at a time.
 *
 * The keeper is a child subreaper: the jail's init, orphaned when the runtime
 * exits, becomes its child, and the keeper reaps it, so no zombie is left even
 * on hosts whose PID 1 does not reap orphans.
 *
 * With --exit-status, the keeper reads the init's pid from PID_FILE (the
 * runtime writes it) once the runtime has exited, and when it reaps the init
 * writes how it ended to FILE: "exited STATUS" or "signal NUMBER" (an init in a
 * PID namespace that calls reboot(2) is killed with SIGINT for a power-off or
 * halt and SIGHUP for a restart). The host tells a jail that stopped from
 * inside from one that crashed by it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "console-control.h"
#include "jail-link.h"

#define SCROLLBACK 65536
#define OUTPUT_BUFFER (256 * 1024)
#define INPUT_BUFFER 16384
#define STALL_LIMIT_MS 10000
#define BATCH_MIN 1024
#define BATCH_BYTES (128 * 1024)
#define BATCH_WAIT_US 2000
#define FINAL_FLUSH_SECONDS 2
#define RUNTIME_OUTPUT_MAX 8192

/* The last SCROLLBACK bytes of output. */
struct ring {
	char data[SCROLLBACK];
	size_t start;	/* index of the oldest byte */
	size_t length;	/* bytes held */
};

/* Bytes on their way from one descriptor to another: data[start, end) waits to be written. */
struct queue {
	char *data;
	size_t capacity;
	size_t start;
	size_t end;
};

/* How long a PTY that read as hung up is left alone before it is read again. */
#define HANG_UP_RETRY_US 50000LL

struct relay {
	int pty;			/* master side of the jail's PTY, non-blocking */
	int server;			/* listening serve socket */
	int client;			/* the serve socket's client, or -1 */
	int control_server;		/* listening control socket, or -1 */
	int control_client;		/* the control socket's client, or -1 */
	long long stalled_since;	/* µs when the client last left output waiting, 0 when it keeps up */
	long long batch_since;		/* µs when the output now waiting began to be read, 0 when none waits */
	long long sent_at;		/* µs of the last send of output to the client */
	long long typed_at;		/* µs of the last input written to the PTY */
	long long hung_up_at;		/* µs when the PTY last read as hung up while the init lived, 0 if not */
	struct ring ring;
	struct queue output;		/* PTY to client */
	struct queue input;		/* client to PTY */
	size_t control_length;
	char control_line[CONTROL_LINE_MAX];
	char output_data[OUTPUT_BUFFER];
	char input_data[INPUT_BUFFER];
};

static const char *console_path;
static const char *serve_path;
static const char *control_path;
static const char *exit_status_path;
static pid_t init_pid = -1;

static void log_message(const char *format, ...) __attribute__((format(printf, 1, 2)));

static void log_message(const char *format, ...)
{
	va_list args;

	va_start(args, format);
	fputs("console-keeper: ", stderr);
	vfprintf(stderr, format, args);
	fputc('\n', stderr);
	va_end(args);
}

static void cleanup(void)
{
	if (console_path)
		unlink(console_path);
	if (serve_path)
		unlink(serve_path);
	if (control_path)
		unlink(control_path);
}

static long long now_us(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long long)now.tv_sec * 1000000 + now.tv_nsec / 1000;
}

static int listen_on(const char *path)
{
	struct sockaddr_un address = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(address.sun_path)) {
		log_message("socket path too long: %s", path);
		return -ENAMETOOLONG;
	}
	strcpy(address.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	unlink(path);
	if (bind(fd, (struct sockaddr *)&address, sizeof(address)) < 0 ||
	    chmod(path, 0600) < 0 || listen(fd, 4) < 0) {
		int error = -errno;

		log_message("cannot listen on %s: %s", path, strerror(errno));
		close(fd);
		return error;
	}
	return fd;
}

/* Receives one file descriptor sent with SCM_RIGHTS (the runtime sends the PTY master). */
static int receive_fd(int sock)
{
	char name[256];
	char control[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = name, .iov_len = sizeof(name) };
	struct msghdr message = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control,
		.msg_controllen = sizeof(control),
	};
	struct cmsghdr *header;
	int fd;

	while (recvmsg(sock, &message, MSG_CMSG_CLOEXEC) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	header = CMSG_FIRSTHDR(&message);
	if (!header || header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS ||
	    header->cmsg_len != CMSG_LEN(sizeof(int)))
		return -EBADMSG;
	memcpy(&fd, CMSG_DATA(header), sizeof(fd));
	return fd;
}

static void ring_append(struct ring *ring, const char *bytes, size_t count)
{
	size_t end, first;

	if (count >= SCROLLBACK) {
		memcpy(ring->data, bytes + count - SCROLLBACK, SCROLLBACK);
		ring->start = 0;
		ring->length = SCROLLBACK;
		return;
	}
	end = (ring->start + ring->length) % SCROLLBACK;
	first = count < SCROLLBACK - end ? count : SCROLLBACK - end;
	memcpy(ring->data + end, bytes, first);
	memcpy(ring->data, bytes + first, count - first);
	if (ring->length + count <= SCROLLBACK) {
		ring->length += count;
	} else {
		ring->start = (ring->start + ring->length + count - SCROLLBACK) % SCROLLBACK;
		ring->length = SCROLLBACK;
	}
}

static size_t queue_pending(const struct queue *queue)
{
	return queue->end - queue->start;
}

/* Room at the end of the queue, after moving what waits to the front when that frees enough. */
static size_t queue_room(struct queue *queue)
{
	if (queue->start == queue->end) {
		queue->start = 0;
		queue->end = 0;
	} else if (queue->start > 0 && queue->capacity - queue->end < queue->capacity / 4) {
		memmove(queue->data, queue->data + queue->start, queue->end - queue->start);
		queue->end -= queue->start;
		queue->start = 0;
	}
	return queue->capacity - queue->end;
}

/* Writes what the non-blocking fd takes now; returns the bytes written or a negative errno. */
static ssize_t queue_write(struct queue *queue, int fd)
{
	ssize_t total = 0;

	while (queue->start < queue->end) {
		ssize_t written = write(fd, queue->data + queue->start, queue->end - queue->start);

		if (written < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			return -errno;
		}
		queue->start += (size_t)written;
		total += written;
	}
	return total;
}

/* Writes how the jail's init ended, when it is the child just reaped. */
static void record_exit(pid_t pid, int status)
{
	char text[64];
	int length, fd;

	if (pid != init_pid || !exit_status_path)
		return;
	if (WIFEXITED(status))
		length = snprintf(text, sizeof(text), "exited %d\n", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		length = snprintf(text, sizeof(text), "signal %d\n", WTERMSIG(status));
	else
		return;
	fd = open(exit_status_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		log_message("cannot write the exit status to %s: %s", exit_status_path, strerror(errno));
		return;
	}
	if (write(fd, text, (size_t)length) != length)
		log_message("cannot write the exit status to %s", exit_status_path);
	close(fd);
	init_pid = -1;
}

/* Waits for a line on stdin; -1 at end of file or on an error. */
static int await_host_line(void)
{
	char byte;
	ssize_t got;

	for (;;) {
		got = read(STDIN_FILENO, &byte, 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return -1;
		if (byte == '\n')
			return 0;
	}
}

/* The init's pid as the runtime wrote it, or -1. */
static pid_t read_pid_file(const char *path)
{
	char text[32];
	ssize_t length;
	long value;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	length = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (length <= 0)
		return -1;
	text[length] = '\0';
	value = strtol(text, NULL, 10);
	return value > 1 ? (pid_t)value : -1;
}

static void reap_children(void)
{
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		record_exit(pid, status);
}

static void on_child(int signal_number)
{
	(void)signal_number;
}

static void drop_client(struct relay *relay)
{
	close(relay->client);
	relay->client = -1;
	relay->output.start = 0;
	relay->output.end = 0;
	relay->stalled_since = 0;
	relay->batch_since = 0;
}

/* A new client replaces the previous one and first gets the scrollback. */
static void accept_client(struct relay *relay)
{
	int accepted = accept4(relay->server, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	size_t first;

	if (accepted < 0)
		return;
	if (relay->client >= 0)
		drop_client(relay);
	relay->client = accepted;
	first = relay->ring.length;
	if (relay->ring.start + first > SCROLLBACK)
		first = SCROLLBACK - relay->ring.start;
	memcpy(relay->output.data, relay->ring.data + relay->ring.start, first);
	memcpy(relay->output.data + first, relay->ring.data, relay->ring.length - first);
	relay->output.end = relay->ring.length;
}

/*
 * Whether the waiting output should wait a little longer for more (see
 * "Batching" above); sets *wait_us to how long at most.
 */
static bool batching(const struct relay *relay, long long now, long long *wait_us)
{
	size_t pending = queue_pending(&relay->output);

	if (relay->stalled_since != 0 || pending >= BATCH_BYTES || now - relay->batch_since >= BATCH_WAIT_US ||
	    relay->typed_at >= relay->sent_at)
		return false;
	if (pending < BATCH_MIN && relay->batch_since - relay->sent_at >= BATCH_WAIT_US)
		return false;
	*wait_us = relay->batch_since + BATCH_WAIT_US - now;
	return true;
}

/* Sends waiting output to the client; drops a client that failed or took nothing for too long. */
static void flush_output(struct relay *relay)
{
	long long now = now_us(), wait_us;
	ssize_t written;

	if (relay->client < 0 || queue_pending(&relay->output) == 0 || batching(relay, now, &wait_us))
		return;
	written = queue_write(&relay->output, relay->client);
	if (written < 0) {
		drop_client(relay);
		return;
	}
	if (written > 0)
		relay->sent_at = now;
	if (queue_pending(&relay->output) == 0) {
		relay->stalled_since = 0;
		relay->batch_since = 0;
	} else if (written > 0 || relay->stalled_since == 0) {
		relay->stalled_since = now;
	} else if (now - relay->stalled_since >= STALL_LIMIT_MS * 1000LL) {
		log_message("dropping a console client that took no output for %d s", STALL_LIMIT_MS / 1000);
		drop_client(relay);
	}
}

/*
 * Reads what the PTY has, up to the room the client's queue has (all of it
 * without a client: it only goes to the scrollback). Returns false once the
 * PTY hung up.
 */
static bool read_pty(struct relay *relay)
{
	size_t total = 0;

	while (total < OUTPUT_BUFFER) {
		size_t room = queue_room(&relay->output);
		char *into = relay->output.data + relay->output.end;
		ssize_t count;

		if (room == 0)
			break;
		count = read(relay->pty, into, room);
		if (count > 0) {
			ring_append(&relay->ring, into, (size_t)count);
			if (relay->client >= 0) {
				if (queue_pending(&relay->output) == 0)
					relay->batch_since = now_us();
				relay->output.end += (size_t)count;
			}
			total += (size_t)count;
		} else if (count < 0 && errno == EINTR) {
			continue;
		} else if (count < 0 && errno == EAGAIN) {
			break;
		} else {
			/*
			 * End of file or EIO: no process in the jail holds the console open just now, or
			 * one hung it up (agetty's vhangup(), systemd closing /dev/console between status
			 * lines). The console lives on while the init does: look again a little later.
			 */
			reap_children();
			if (init_pid < 0)
				return false;
			relay->hung_up_at = now_us();
			break;
		}
	}
	return true;
}

static void read_client(struct relay *relay)
{
	ssize_t count = read(relay->client, relay->input.data, relay->input.capacity);

	if (count > 0) {
		relay->input.start = 0;
		relay->input.end = (size_t)count;
	} else if (count == 0 || (errno != EINTR && errno != EAGAIN)) {
		drop_client(relay);
	}
}

static void reply(struct relay *relay, const char *text)
{
	if (write(relay->control_client, text, strlen(text)) < 0)
		log_message("cannot answer the control client: %s", strerror(errno));
}

static void apply_control(struct relay *relay, const char *line, size_t length)
{
	struct control_command command;
	struct winsize size = { 0 };
	int error = control_parse(line, length, &command);
	char answer[128];

	if (error == 0) {
		size.ws_col = command.columns;
		size.ws_row = command.rows;
		if (ioctl(relay->pty, TIOCSWINSZ, &size) < 0) {
			snprintf(answer, sizeof(answer), "error %s\n", strerror(errno));
			reply(relay, answer);
			return;
		}
		reply(relay, "ok\n");
		return;
	}
	snprintf(answer, sizeof(answer), "error %s\n", control_error_message(error));
	reply(relay, answer);
}

static void close_control_client(struct relay *relay)
{
	close(relay->control_client);
	relay->control_client = -1;
	relay->control_length = 0;
}

/* Reads control lines and answers each; a line too long ends the connection. */
static void read_control(struct relay *relay)
{
	ssize_t count = read(relay->control_client, relay->control_line + relay->control_length,
			     sizeof(relay->control_line) - relay->control_length);
	char *newline;

	if (count == 0 || (count < 0 && errno != EINTR && errno != EAGAIN)) {
		close_control_client(relay);
		return;
	}
	if (count < 0)
		return;
	relay->control_length += (size_t)count;
	while ((newline = memchr(relay->control_line, '\n', relay->control_length)) != NULL) {
		size_t length = (size_t)(newline - relay->control_line);

		apply_control(relay, relay->control_line, length);
		relay->control_length -= length + 1;
		memmove(relay->control_line, newline + 1, relay->control_length);
	}
	if (relay->control_length == sizeof(relay->control_line)) {
		reply(relay, "error line too long\n");
		close_control_client(relay);
	}
}

static void accept_control(struct relay *relay)
{
	int accepted = accept4(relay->control_server, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (accepted < 0)
		return;
	if (relay->control_client >= 0)
		close_control_client(relay);
	relay->control_client = accepted;
}

/* Gives the client what output still waits before the keeper exits, within FINAL_FLUSH_SECONDS. */
static void final_flush(struct relay *relay)
{
	struct timeval timeout = { .tv_sec = FINAL_FLUSH_SECONDS };

	if (relay->client < 0 || queue_pending(&relay->output) == 0)
		return;
	fcntl(relay->client, F_SETFL, fcntl(relay->client, F_GETFL) & ~O_NONBLOCK);
	setsockopt(relay->client, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
	queue_write(&relay->output, relay->client);
}

enum { POLL_PTY, POLL_SERVER, POLL_CLIENT, POLL_CONTROL_SERVER, POLL_CONTROL_CLIENT, POLL_COUNT };

static int relay_console(struct relay *relay)
{
	for (;;) {
		bool take_output = relay->client < 0 || queue_room(&relay->output) > 0;
		bool input_waits = queue_pending(&relay->input) > 0;
		/* Room in the socket is only awaited once a write left output behind. */
		short client_events = (short)((input_waits ? 0 : POLLIN) | (relay->stalled_since != 0 ? POLLOUT : 0));
		struct pollfd fds[POLL_COUNT] = {
			/* Not polled while its output has nowhere to go: a hangup would only wake us. */
			[POLL_PTY] = { .fd = take_output ? relay->pty : -1,
				       .events = (short)(POLLIN | (input_waits ? POLLOUT : 0)) },
			[POLL_SERVER] = { .fd = relay->server, .events = POLLIN },
			[POLL_CLIENT] = { .fd = client_events ? relay->client : -1, .events = client_events },
			[POLL_CONTROL_SERVER] = { .fd = relay->control_server, .events = POLLIN },
			[POLL_CONTROL_CLIENT] = { .fd = relay->control_client, .events = POLLIN },
		};
		long long now = now_us(), wait_us = -1;
		struct timespec timeout;

		if (relay->hung_up_at != 0) {
			/* A hung-up PTY polls as ready at once: leave it alone for a while. */
			if (now - relay->hung_up_at < HANG_UP_RETRY_US) {
				fds[POLL_PTY].fd = -1;
				wait_us = relay->hung_up_at + HANG_UP_RETRY_US - now;
			} else {
				relay->hung_up_at = 0;
			}
		}
		if (relay->stalled_since != 0) {
			wait_us = relay->stalled_since + STALL_LIMIT_MS * 1000LL - now;
			if (wait_us < 0)
				wait_us = 0;
		} else if (relay->client >= 0 && relay->hung_up_at == 0 && !batching(relay, now, &wait_us)) {
			wait_us = -1;
		}
		timeout.tv_sec = wait_us / 1000000;
		timeout.tv_nsec = wait_us % 1000000 * 1000;
		reap_children();
		if (ppoll(fds, POLL_COUNT, wait_us >= 0 ? &timeout : NULL, NULL) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (fds[POLL_PTY].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL)) {
			if (!read_pty(relay)) {
				final_flush(relay);
				return 0;
			}
		}
		if (fds[POLL_SERVER].revents & POLLIN)
			accept_client(relay);
		if (relay->client >= 0 && (fds[POLL_CLIENT].revents & (POLLIN | POLLHUP | POLLERR)) && !input_waits)
			read_client(relay);
		flush_output(relay);
		if (queue_pending(&relay->input) > 0)
			relay->typed_at = now_us();
		if (queue_pending(&relay->input) > 0 && queue_write(&relay->input, relay->pty) < 0)
			relay->input.start = relay->input.end = 0;	/* the PTY hung up: the read side ends the relay */
		if (fds[POLL_CONTROL_SERVER].revents & POLLIN)
			accept_control(relay);
		if (relay->control_client >= 0 && (fds[POLL_CONTROL_CLIENT].revents & (POLLIN | POLLHUP | POLLERR)))
			read_control(relay);
	}
}

struct runtime {
	pid_t pid;
	int output;			/* read end of the runtime's stdout and stderr */
	char text[RUNTIME_OUTPUT_MAX];
	size_t length;
	int status;
};

static int start_runtime(struct runtime *runtime, char **argv)
{
	int pipe_fds[2];

	if (pipe2(pipe_fds, O_CLOEXEC) < 0)
		return -errno;
	runtime->pid = fork();
	if (runtime->pid < 0)
		return -errno;
	if (runtime->pid == 0) {
		int null_fd = open("/dev/null", O_RDONLY);

		dup2(null_fd, STDIN_FILENO);
		dup2(pipe_fds[1], STDOUT_FILENO);
		dup2(pipe_fds[1], STDERR_FILENO);
		signal(SIGPIPE, SIG_DFL);
		execvp(argv[0], argv);
		fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(pipe_fds[1]);
	runtime->output = pipe_fds[0];
	return 0;
}

/*
 * Waits for the runtime to exit, accepting its console connection meanwhile.
 * Returns the PTY master, or a negative errno when none arrived.
 */
static int wait_runtime(struct runtime *runtime, int console_listener)
{
	int pty = -ENOTCONN;

	for (;;) {
		struct pollfd fds[2] = {
			{ .fd = runtime->output, .events = POLLIN },
			{ .fd = pty < 0 ? console_listener : -1, .events = POLLIN },
		};

		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (fds[1].revents & POLLIN) {
			int connection;

			do
				connection = accept4(console_listener, NULL, NULL, SOCK_CLOEXEC);
			while (connection < 0 && errno == EINTR);

			if (connection >= 0) {
				pty = receive_fd(connection);
				close(connection);
			}
		}
		if (fds[0].revents & (POLLIN | POLLHUP)) {
			char buffer[1024];
			ssize_t count = read(runtime->output, buffer, sizeof(buffer));

			if (count > 0) {
				size_t room = sizeof(runtime->text) - runtime->length;
				size_t take = (size_t)count < room ? (size_t)count : room;

				memcpy(runtime->text + runtime->length, buffer, take);
				runtime->length += take;
			} else if (count == 0 || errno != EINTR) {
				break;
			}
		}
	}
	close(runtime->output);
	while (waitpid(runtime->pid, &runtime->status, 0) < 0 && errno == EINTR)
		;
	return pty;
}

static void redirect_stdio(const char *log_path)
{
	int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	int log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

	if (null_fd >= 0) {
		dup2(null_fd, STDIN_FILENO);
		dup2(log_fd >= 0 ? log_fd : null_fd, STDOUT_FILENO);
		dup2(log_fd >= 0 ? log_fd : null_fd, STDERR_FILENO);
		close(null_fd);
	}
	if (log_fd >= 0)
		close(log_fd);
}

static int fail(const char *what, int code)
{
	printf("error %d\n%s\n", code, what);
	cleanup();
	return 1;
}

int main(int argc, char **argv)
{
	static struct relay relay;
	struct runtime runtime = { .pid = -1 };
	/* SIGCHLD wakes poll(); other calls it interrupts restart. */
	struct sigaction child_action = { .sa_handler = on_child, .sa_flags = SA_RESTART };
	int console_listener, server, control_server = -1, pty, exit_code;
	const char *control_socket = NULL;
	const char *pid_file = NULL;
	const char *bind_source = NULL, *bind_target = NULL;
	const char *veth_host = NULL, *veth_bridge = NULL, *veth_mac = NULL;
	pid_t reaped;
	int status;

	for (;;) {
		if (argc > 2 && strcmp(argv[1], "--control") == 0) {
			control_socket = argv[2];
			argv += 2;
			argc -= 2;
		} else if (argc > 3 && strcmp(argv[1], "--exit-status") == 0) {
			exit_status_path = argv[2];
			pid_file = argv[3];
			argv += 3;
			argc -= 3;
		} else if (argc > 4 && strcmp(argv[1], "--veth") == 0) {
			veth_host = argv[2];
			veth_bridge = argv[3];
			veth_mac = argv[4];
			argv += 4;
			argc -= 4;
		} else if (argc > 3 && strcmp(argv[1], "--bind") == 0) {
			bind_source = argv[2];
			bind_target = argv[3];
			argv += 3;
			argc -= 3;
		} else {
			break;
		}
	}
	if (argc < 5 || (veth_host && !pid_file)) {
		fprintf(stderr, "usage: %s [--control CONTROL_SOCKET] [--exit-status FILE PID_FILE] [--bind SOURCE TARGET]"
			" [--veth HOST_NAME BRIDGE MAC] CONSOLE_SOCKET SERVE_SOCKET LOG_FILE RUNTIME [ARG...]\n", argv[0]);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	sigaction(SIGCHLD, &child_action, NULL);
	setsid();
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		return fail("cannot become a child subreaper", errno);

	console_listener = listen_on(argv[1]);
	if (console_listener < 0)
		return fail("cannot listen on the console socket", -console_listener);
	console_path = argv[1];
	server = listen_on(argv[2]);
	if (server < 0)
		return fail("cannot listen on the serve socket", -server);
	serve_path = argv[2];
	if (control_socket) {
		control_server = listen_on(control_socket);
		if (control_server < 0)
			return fail("cannot listen on the control socket", -control_server);
		control_path = control_socket;
	}

	if (bind_source && mount(bind_source, bind_target, NULL, MS_BIND, NULL) < 0)
		return fail("cannot bind the jail's root", errno);
	if (start_runtime(&runtime, argv + 4) < 0)
		return fail("cannot start the runtime", errno);
	pty = wait_runtime(&runtime, console_listener);
	close(console_listener);
	unlink(console_path);
	console_path = NULL;

	exit_code = WIFEXITED(runtime.status) ? WEXITSTATUS(runtime.status) : 128 + WTERMSIG(runtime.status);
	if (exit_code != 0 || pty < 0) {
		printf("error %d\n%.*s", exit_code != 0 ? exit_code : 1, (int)runtime.length, runtime.text);
		if (exit_code == 0)
			printf("the runtime handed over no console (%s)\n", strerror(-pty));
		if (pty >= 0)
			close(pty);
		cleanup();
		return 1;
	}
	if (pid_file)
		init_pid = read_pid_file(pid_file);
	if (veth_host) {
		int made = await_host_line() < 0 ? -ECANCELED
			   : init_pid > 0 ? jail_link_veth(veth_host, veth_bridge, veth_mac, init_pid, "eth0") : -ESRCH;

		if (made < 0) {
			if (made == -ECANCELED)
				printf("error 1\nthe host called the start off\n");
			else
				printf("error 1\ncannot give the jail its interface (%s on %s): %s\n", veth_host,
				       veth_bridge, strerror(-made));
			close(pty);
			cleanup();
			return 1;
		}
	}
	printf("ok %d\n", (int)getpid());
	fflush(stdout);
	redirect_stdio(argv[3]);

	fcntl(pty, F_SETFL, fcntl(pty, F_GETFL) | O_NONBLOCK);
	relay.pty = pty;
	relay.server = server;
	relay.client = -1;
	relay.control_server = control_server;
	relay.control_client = -1;
	relay.output = (struct queue){ .data = relay.output_data, .capacity = sizeof(relay.output_data) };
	relay.input = (struct queue){ .data = relay.input_data, .capacity = sizeof(relay.input_data) };
	relay_console(&relay);
	if (relay.client >= 0)
		close(relay.client);
	if (relay.control_client >= 0)
		close(relay.control_client);
	close(pty);
	close(server);
	if (control_server >= 0)
		close(control_server);
	cleanup();
	/* The console is gone; stay until the jail's init has been reaped. */
	while ((reaped = waitpid(-1, &status, 0)) > 0 || errno == EINTR) {
		if (reaped > 0)
			record_exit(reaped, status);
	}
	return 0;
}

/*
 * console-keeper: starts a jail and holds its console.
 *
 *   console-keeper CONSOLE_SOCKET SERVE_SOCKET LOG_FILE RUNTIME [ARG...]
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
 * The keeper is a child subreaper: the jail's init, orphaned when the runtime
 * exits, becomes its child, and the keeper reaps it, so no zombie is left even
 * on hosts whose PID 1 does not reap orphans.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define SCROLLBACK 65536
#define RUNTIME_OUTPUT_MAX 8192

struct ring {
	char data[SCROLLBACK];
	size_t start;	/* index of the oldest byte */
	size_t length;	/* bytes held */
};

static const char *console_path;
static const char *serve_path;

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
	for (size_t i = 0; i < count; i++) {
		ring->data[(ring->start + ring->length) % SCROLLBACK] = bytes[i];
		if (ring->length < SCROLLBACK)
			ring->length++;
		else
			ring->start = (ring->start + 1) % SCROLLBACK;
	}
}

/* Writes what it can to a non-blocking peer; a peer that does not keep up loses output. */
static int send_some(int fd, const char *bytes, size_t count)
{
	while (count > 0) {
		ssize_t written = write(fd, bytes, count);

		if (written < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;
			return -errno;
		}
		bytes += written;
		count -= (size_t)written;
	}
	return 0;
}

static int ring_replay(const struct ring *ring, int fd)
{
	size_t first = ring->length;

	if (ring->start + first > SCROLLBACK)
		first = SCROLLBACK - ring->start;
	if (send_some(fd, ring->data + ring->start, first) < 0)
		return -1;
	return send_some(fd, ring->data, ring->length - first);
}

static void reap_children(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

static void on_child(int signal_number)
{
	(void)signal_number;
}

static int relay(int pty, int server)
{
	static struct ring ring;
	char buffer[16384];
	int client = -1;

	for (;;) {
		struct pollfd fds[3] = {
			{ .fd = pty, .events = POLLIN },
			{ .fd = server, .events = POLLIN },
			{ .fd = client, .events = POLLIN },
		};
		ssize_t count;

		reap_children();
		if (poll(fds, client >= 0 ? 3 : 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (fds[0].revents & POLLIN) {
			count = read(pty, buffer, sizeof(buffer));
			if (count > 0) {
				ring_append(&ring, buffer, (size_t)count);
				if (client >= 0 && send_some(client, buffer, (size_t)count) < 0) {
					close(client);
					client = -1;
				}
			} else if (count == 0 || (errno != EINTR && errno != EAGAIN)) {
				return 0;
			}
		} else if (fds[0].revents & (POLLHUP | POLLERR | POLLNVAL)) {
			return 0;
		}
		if (fds[1].revents & POLLIN) {
			int accepted = accept4(server, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

			if (accepted >= 0) {
				if (client >= 0)
					close(client);
				client = accepted;
				ring_replay(&ring, client);
			}
		}
		if (client >= 0 && (fds[2].revents & (POLLIN | POLLHUP | POLLERR))) {
			count = read(client, buffer, sizeof(buffer));
			if (count > 0) {
				send_some(pty, buffer, (size_t)count);
			} else if (count == 0 || (errno != EINTR && errno != EAGAIN)) {
				close(client);
				client = -1;
			}
		}
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
	struct runtime runtime = { .pid = -1 };
	/* SIGCHLD wakes poll(); other calls it interrupts restart. */
	struct sigaction child_action = { .sa_handler = on_child, .sa_flags = SA_RESTART };
	int console_listener, server, pty, exit_code;

	if (argc < 5) {
		fprintf(stderr, "usage: %s CONSOLE_SOCKET SERVE_SOCKET LOG_FILE RUNTIME [ARG...]\n", argv[0]);
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
	printf("ok %d\n", (int)getpid());
	fflush(stdout);
	redirect_stdio(argv[3]);

	fcntl(pty, F_SETFL, fcntl(pty, F_GETFL) | O_NONBLOCK);
	relay(pty, server);
	close(pty);
	close(server);
	cleanup();
	/* The console is gone; stay until the jail's init has been reaped. */
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
		;
	return 0;
}

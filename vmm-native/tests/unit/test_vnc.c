/* The RFB server on a real event loop and unix socket, without KVM. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "event_loop.h"
#include "rfb.h"
#include "unit.h"

#define VNC_WIDTH 128
#define VNC_HEIGHT 64
#define VNC_REFRESH_MS 40 /* the server's refresh timer period */

/* Process-lifetime, like the monitor's: the loop still refers to them. */
static struct event_loop loop;
static struct rfb_server *server;
static uint32_t pixels[VNC_WIDTH * VNC_HEIGHT];
static const struct framebuffer_info framebuffer = {
	.width = VNC_WIDTH, .height = VNC_HEIGHT, .stride = VNC_WIDTH * 4,
	.size = VNC_WIDTH * VNC_HEIGHT * 4,
};

static int viewer_connect(const char *path)
{
	struct sockaddr_un address = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(address.sun_path, sizeof(address.sun_path), "%s", path);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&address, sizeof(address)) < 0) {
		close(fd);
		return -1;
	}
	if (fd >= 0)
		fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

/* Runs the loop until no handler is ready any more. */
static void run_until_idle(void)
{
	for (int i = 0; i < 1000 && event_loop_run_once(&loop, 0) > 0; i++)
		;
}

/* Bytes the server sent that the viewer has not read yet. */
static size_t viewer_drain(int fd, uint8_t *first, size_t first_size)
{
	uint8_t buffer[65536];
	size_t total = 0;
	ssize_t got;

	while ((got = read(fd, buffer, sizeof(buffer))) > 0) {
		if (total < first_size)
			memcpy(first + total, buffer,
			       (size_t)got < first_size - total ? (size_t)got : first_size - total);
		total += (size_t)got;
	}
	return total;
}

/* ProtocolVersion, security type None, ClientInit (RFC 6143 7.1, 7.3), then a full update request. */
static bool viewer_handshake(int fd)
{
	static const uint8_t hello[] = {
		'R', 'F', 'B', ' ', '0', '0', '3', '.', '0', '0', '8', '\n', 1, 1,
		3, 0, 0, 0, 0, 0, 0, VNC_WIDTH, 0, VNC_HEIGHT,
	};
	uint8_t start[12 + 2 + 4 + 4];

	if (write(fd, hello, sizeof(hello)) != sizeof(hello))
		return false;
	run_until_idle();
	/* version, security types, SecurityResult, then ServerInit's width */
	size_t got = viewer_drain(fd, start, sizeof(start));
	return got > sizeof(start) + VNC_WIDTH * VNC_HEIGHT * 4 &&
	       memcmp(start, "RFB 003.008\n", 12) == 0 && start[18] == 0 && start[19] == VNC_WIDTH;
}

/*
 * The refresh timer and a viewer's hang-up wake the loop together, timer
 * first: sending the update fails (the viewer is gone) and closes the
 * client, whose own event is still waiting in the same batch.
 */
static void test_timer_and_hang_up_in_one_wakeup(const char *path)
{
	static const uint8_t incremental_request[] = { 3, 1, 0, 0, 0, 0, 0, VNC_WIDTH, 0, VNC_HEIGHT };
	int viewer = viewer_connect(path);

	CHECK(viewer >= 0);
	run_until_idle();
	CHECK(viewer_handshake(viewer));
	/* Nothing changed: the incremental request waits for the guest to draw. */
	CHECK_EQ(write(viewer, incremental_request, sizeof(incremental_request)),
		 sizeof(incremental_request));
	run_until_idle();
	CHECK_EQ(viewer_drain(viewer, NULL, 0), 0);

	pixels[0] = 0x00ffffff; /* the guest draws */
	usleep(2 * VNC_REFRESH_MS * 1000 + 10000); /* the timer expires ... */
	close(viewer);                             /* ... and then the viewer hangs up */
	run_until_idle();

	/* The server carries on and serves the next viewer. */
	viewer = viewer_connect(path);
	CHECK(viewer >= 0);
	run_until_idle();
	CHECK(viewer_handshake(viewer));
	close(viewer);
	run_until_idle();
}

void test_vnc(void)
{
	const char *directory = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char path[108];

	signal(SIGPIPE, SIG_IGN); /* as in mvm: a vanished viewer is a write error */
	snprintf(path, sizeof(path), "%s/mvm-unit-vnc.%d.sock", directory, (int)getpid());
	CHECK_EQ(event_loop_init(&loop), 0);
	CHECK_EQ(rfb_server_open(&server, &loop, path, &framebuffer, (uint8_t *)pixels, NULL, NULL,
				 NULL, NULL), 0);
	test_timer_and_hang_up_in_one_wakeup(path);
	unlink(path);
}

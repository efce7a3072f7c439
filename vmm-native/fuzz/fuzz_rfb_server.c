/*
 * A viewer's bytes, whatever they are, through the RFB server itself: the
 * handshake states, then client messages split across reads at any point,
 * framebuffer updates in the pixel formats and encodings the viewer picks,
 * key and pointer events into virtio-input, and the viewer hanging up, on a
 * real event loop and unix socket (vnc_server.c; fuzz_rfb_client covers the
 * message parser alone).
 *
 * Input: one control byte, then the viewer's bytes.
 *   bit 0     the harness sends a valid handshake first (RFB 3.8, None, shared)
 *   bits 1-7  the viewer's bytes go out in pieces of 1 + 8 * n bytes
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "devices.h"
#include "event_loop.h"
#include "log.h"
#include "rfb.h"

#define WIDTH 80  /* not a multiple of the 64-pixel tile */
#define HEIGHT 72

static struct event_loop loop;
static struct rfb_server *server;
static struct guest_memory memory;
static struct sockaddr_un address = { .sun_family = AF_UNIX };
static uint32_t pixels[WIDTH * HEIGHT];
static const struct framebuffer_info framebuffer = {
	.width = WIDTH, .height = HEIGHT, .stride = WIDTH * 4, .size = WIDTH * HEIGHT * 4,
};

static void remove_socket(void)
{
	unlink(address.sun_path);
}

static void setup(void)
{
	const char *directory = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	struct virtio_device *keyboard, *tablet;

	log_threshold = LOG_LEVEL_NONE; /* protocol errors are the point */
	signal(SIGPIPE, SIG_IGN);
	snprintf(address.sun_path, sizeof(address.sun_path), "%s/mvm-fuzz-rfb.%d.sock", directory,
		 (int)getpid());
	for (unsigned i = 0; i < WIDTH * HEIGHT; i++)
		pixels[i] = (i * 2654435761u) & 0xffffff;
	if (guest_memory_allocate(&memory, 64 * 1024) < 0 ||
	    virtio_input_init(&keyboard, &memory, VIRTIO_INPUT_KEYBOARD, WIDTH, HEIGHT) < 0 ||
	    virtio_input_init(&tablet, &memory, VIRTIO_INPUT_TABLET, WIDTH, HEIGHT) < 0 ||
	    event_loop_init(&loop) < 0 ||
	    rfb_server_open(&server, &loop, address.sun_path, &framebuffer, (uint8_t *)pixels,
			    keyboard, tablet, NULL, NULL) < 0)
		abort();
	atexit(remove_socket);
}

/* Lets the server run until it has nothing to do; the viewer reads what it sent. */
static void run(int viewer)
{
	uint8_t discard[65536];

	for (int round = 0; round < 64; round++) {
		while (read(viewer, discard, sizeof(discard)) > 0)
			;
		if (event_loop_run_once(&loop, 0) <= 0)
			break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t handshake[] = { 'R', 'F', 'B', ' ', '0', '0', '3', '.', '0', '0', '8', '\n', 1, 1 };

	if (!server)
		setup();
	if (size < 1)
		return 0;
	int viewer = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (viewer < 0 || connect(viewer, (struct sockaddr *)&address, sizeof(address)) < 0)
		abort();
	fcntl(viewer, F_SETFL, O_NONBLOCK);
	run(viewer);
	if ((data[0] & 1) && write(viewer, handshake, sizeof(handshake)) != sizeof(handshake))
		abort();
	size_t piece = 1 + 8 * (size_t)(data[0] >> 1);
	for (size_t at = 1; at < size; at += piece) {
		size_t length = size - at < piece ? size - at : piece;
		run(viewer);
		if (write(viewer, data + at, length) < 0 && errno != EAGAIN)
			break; /* the server dropped the viewer */
		pixels[(at * 7919) % (WIDTH * HEIGHT)] ^= 0x00ffffff; /* the guest draws meanwhile */
	}
	run(viewer);
	close(viewer);
	run(viewer);
	return 0;
}

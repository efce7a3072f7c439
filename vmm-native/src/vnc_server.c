/* RFB 3.8 server on a unix socket: the framebuffer out, key and pointer events in. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "devices.h"
#include "log.h"
#include "rfb.h"
#include "unix_socket.h"

#define VNC_TILE 64
#define VNC_INPUT_MAX (RFB_MAX_CUT_TEXT + 4096 + 8)
#define VNC_REFRESH_NS (40 * 1000 * 1000)

enum vnc_client_state { VNC_WAIT_VERSION, VNC_WAIT_SECURITY, VNC_WAIT_CLIENT_INIT, VNC_NORMAL };

struct vnc_client {
	struct event_handler handler;
	struct rfb_server *server;
	struct vnc_client *next;
	enum vnc_client_state state;
	struct rfb_pixel_format format;
	bool use_rre;
	bool update_requested;
	bool full_update;                 /* next update must send everything requested */
	bool stale;                       /* the framebuffer may differ from the shadow */
	uint16_t request_x, request_y, request_width, request_height;
	uint8_t last_buttons;
	uint32_t *shadow;                 /* what the client has seen */
	uint8_t input[VNC_INPUT_MAX];
	size_t input_length;
	uint8_t *output;
	size_t output_length, output_sent, output_capacity;
};

struct rfb_server {
	struct event_loop *loop;
	struct event_handler listener;
	struct event_handler timer;
	const struct framebuffer_info *framebuffer;
	const uint32_t *pixels;
	struct virtio_device *keyboard, *tablet;
	struct vnc_client *clients;
	bool (*framebuffer_written)(void *opaque);
	void *written_opaque;
	uint8_t *tile_buffer;
	size_t tile_buffer_size;
};

static const struct rfb_pixel_format server_format = {
	.bits_per_pixel = 32, .depth = 24, .big_endian = 0, .true_colour = 1,
	.red_max = 255, .green_max = 255, .blue_max = 255,
	.red_shift = 16, .green_shift = 8, .blue_shift = 0,
};

static int output_reserve(struct vnc_client *client, size_t extra)
{
	if (client->output_length + extra <= client->output_capacity)
		return 0;
	size_t capacity = client->output_capacity ? client->output_capacity : 65536;
	while (capacity < client->output_length + extra)
		capacity *= 2;
	uint8_t *grown = realloc(client->output, capacity);
	if (!grown)
		return -ENOMEM;
	client->output = grown;
	client->output_capacity = capacity;
	return 0;
}

static int output_append(struct vnc_client *client, const void *data, size_t length)
{
	int ret = output_reserve(client, length);

	if (ret == 0) {
		memcpy(client->output + client->output_length, data, length);
		client->output_length += length;
	}
	return ret;
}

static void client_close(struct vnc_client *client)
{
	struct rfb_server *server = client->server;

	for (struct vnc_client **link = &server->clients; *link; link = &(*link)->next)
		if (*link == client) {
			*link = client->next;
			break;
		}
	event_loop_remove(server->loop, &client->handler);
	close(client->handler.fd);
	free(client->shadow);
	free(client->output);
	free(client);
	if (!server->clients) {
		struct itimerspec off = { 0 };
		timerfd_settime(server->timer.fd, 0, &off, NULL);
	}
}

/* Returns false when the client was closed. */
static bool client_flush(struct vnc_client *client)
{
	while (client->output_sent < client->output_length) {
		ssize_t wrote = write(client->handler.fd, client->output + client->output_sent,
				      client->output_length - client->output_sent);
		if (wrote < 0 && errno == EINTR)
			continue;
		if (wrote < 0 && errno == EAGAIN) {
			event_loop_modify(client->server->loop, &client->handler, EPOLLIN | EPOLLOUT);
			return true;
		}
		if (wrote <= 0) {
			client_close(client);
			return false;
		}
		client->output_sent += (size_t)wrote;
	}
	client->output_sent = client->output_length = 0;
	event_loop_modify(client->server->loop, &client->handler, EPOLLIN);
	return true;
}

static void put_u16(uint8_t *out, uint16_t value)
{
	out[0] = (uint8_t)(value >> 8);
	out[1] = (uint8_t)value;
}

static void put_u32(uint8_t *out, uint32_t value)
{
	put_u16(out, (uint16_t)(value >> 16));
	put_u16(out + 2, (uint16_t)value);
}

static bool tile_changed(const struct vnc_client *client, unsigned x, unsigned y, unsigned width,
			 unsigned height)
{
	const struct rfb_server *server = client->server;
	unsigned stride = server->framebuffer->stride / 4;

	for (unsigned row = y; row < y + height; row++)
		if (memcmp(server->pixels + (size_t)row * stride + x,
			   client->shadow + (size_t)row * server->framebuffer->width + x, width * 4))
			return true;
	return false;
}

static int encode_tile(struct vnc_client *client, unsigned x, unsigned y, unsigned width,
		       unsigned height)
{
	struct rfb_server *server = client->server;
	unsigned stride = server->framebuffer->stride / 4;
	const uint32_t *source = server->pixels + (size_t)y * stride + x;
	unsigned bytes = client->format.bits_per_pixel / 8;
	size_t raw_size = (size_t)width * height * bytes;
	uint8_t header[12];
	size_t rre_size = 0;

	for (unsigned row = y; row < y + height; row++)
		memcpy(client->shadow + (size_t)row * server->framebuffer->width + x,
		       server->pixels + (size_t)row * stride + x, width * 4);
	if (client->use_rre)
		rre_size = rfb_encode_rre(&client->format, source, stride, width, height,
					  server->tile_buffer, raw_size);
	put_u16(header, (uint16_t)x);
	put_u16(header + 2, (uint16_t)y);
	put_u16(header + 4, (uint16_t)width);
	put_u16(header + 6, (uint16_t)height);
	put_u32(header + 8, rre_size ? RFB_ENCODING_RRE : RFB_ENCODING_RAW);
	if (output_append(client, header, sizeof(header)) < 0)
		return -ENOMEM;
	if (rre_size)
		return output_append(client, server->tile_buffer, rre_size);
	if (output_reserve(client, raw_size) < 0)
		return -ENOMEM;
	uint8_t *out = client->output + client->output_length;
	for (unsigned row = 0; row < height; row++)
		for (unsigned column = 0; column < width; column++)
			out += rfb_encode_pixel(&client->format, source[(size_t)row * stride + column], out);
	client->output_length += raw_size;
	return 0;
}

/* 7.6.1 FramebufferUpdate with one rectangle per changed tile of the request. */
static void client_send_update(struct vnc_client *client)
{
	const struct framebuffer_info *fb = client->server->framebuffer;
	unsigned x0 = client->request_x, y0 = client->request_y;
	unsigned x1 = x0 + client->request_width, y1 = y0 + client->request_height;
	uint16_t rectangles = 0;
	size_t header_at;

	if (!client->update_requested || client->output_length ||
	    (!client->stale && !client->full_update))
		return;
	if (x1 > fb->width)
		x1 = fb->width;
	if (y1 > fb->height)
		y1 = fb->height;
	uint8_t header[4] = { 0, 0, 0, 0 };
	header_at = client->output_length;
	if (output_append(client, header, sizeof(header)) < 0)
		return;
	for (unsigned y = y0 - y0 % VNC_TILE; y < y1; y += VNC_TILE)
		for (unsigned x = x0 - x0 % VNC_TILE; x < x1; x += VNC_TILE) {
			unsigned tile_x = x < x0 ? x0 : x, tile_y = y < y0 ? y0 : y;
			unsigned width = (x + VNC_TILE < x1 ? x + VNC_TILE : x1) - tile_x;
			unsigned height = (y + VNC_TILE < y1 ? y + VNC_TILE : y1) - tile_y;
			if (!width || !height)
				continue;
			if (!client->full_update && !tile_changed(client, tile_x, tile_y, width, height))
				continue;
			if (encode_tile(client, tile_x, tile_y, width, height) < 0) {
				client_close(client);
				return;
			}
			rectangles++;
		}
	/* The shadow is current everywhere only if the whole screen was compared. */
	if (x0 == 0 && y0 == 0 && x1 == fb->width && y1 == fb->height)
		client->stale = false;
	if (!rectangles) {
		client->output_length = header_at; /* nothing changed: keep the request pending */
		return;
	}
	put_u16(client->output + header_at + 2, rectangles);
	client->update_requested = false;
	client->full_update = false;
	client_flush(client);
}

static void client_handle_message(struct vnc_client *client, const struct rfb_client_message *message)
{
	struct rfb_server *server = client->server;
	const struct framebuffer_info *fb = server->framebuffer;

	switch (message->type) {
	case RFB_SET_PIXEL_FORMAT:
		if (rfb_pixel_format_supported(&message->pixel_format))
			client->format = message->pixel_format;
		else
			log_warn_limited("vnc: unsupported pixel format, keeping the previous one");
		client->full_update = true;
		break;
	case RFB_SET_ENCODINGS:
		client->use_rre = false;
		for (unsigned i = 0; i < message->set_encodings.kept; i++)
			if (message->set_encodings.encodings[i] == RFB_ENCODING_RRE)
				client->use_rre = true;
		break;
	case RFB_FRAMEBUFFER_UPDATE_REQUEST:
		if (message->update_request.x >= fb->width || message->update_request.y >= fb->height)
			break;
		client->update_requested = true;
		client->request_x = message->update_request.x;
		client->request_y = message->update_request.y;
		client->request_width = message->update_request.width;
		client->request_height = message->update_request.height;
		if (!message->update_request.incremental)
			client->full_update = true;
		break;
	case RFB_KEY_EVENT: {
		uint16_t code = rfb_keysym_to_linux(message->key.keysym);
		if (code && server->keyboard)
			virtio_input_send_key(server->keyboard, code, message->key.down);
		break;
	}
	case RFB_POINTER_EVENT: {
		int wheel = 0;
		uint8_t pressed = message->pointer.buttons & ~client->last_buttons;
		if (pressed & 0x08)
			wheel = 1;
		if (pressed & 0x10)
			wheel = -1;
		client->last_buttons = message->pointer.buttons;
		if (server->tablet) {
			uint32_t x = message->pointer.x < fb->width ? message->pointer.x : fb->width - 1;
			uint32_t y = message->pointer.y < fb->height ? message->pointer.y : fb->height - 1;
			virtio_input_send_pointer(server->tablet, x, y, message->pointer.buttons & 7, wheel);
		}
		break;
	}
	default:
		break;
	}
}

static void client_send_server_init(struct vnc_client *client)
{
	const struct framebuffer_info *fb = client->server->framebuffer;
	static const char name[] = "mvm";
	uint8_t init[24 + sizeof(name) - 1];

	/* 7.3.2 ServerInit: width, height, PIXEL_FORMAT, name. */
	put_u16(init, (uint16_t)fb->width);
	put_u16(init + 2, (uint16_t)fb->height);
	init[4] = server_format.bits_per_pixel;
	init[5] = server_format.depth;
	init[6] = server_format.big_endian;
	init[7] = server_format.true_colour;
	put_u16(init + 8, server_format.red_max);
	put_u16(init + 10, server_format.green_max);
	put_u16(init + 12, server_format.blue_max);
	init[14] = server_format.red_shift;
	init[15] = server_format.green_shift;
	init[16] = server_format.blue_shift;
	memset(init + 17, 0, 3);
	put_u32(init + 20, sizeof(name) - 1);
	memcpy(init + 24, name, sizeof(name) - 1);
	output_append(client, init, sizeof(init));
}

/* Returns bytes consumed, 0 for "need more", negative to drop the client. */
static long client_consume(struct vnc_client *client)
{
	const uint8_t *data = client->input;
	size_t length = client->input_length;

	switch (client->state) {
	case VNC_WAIT_VERSION: /* 7.1.1 ProtocolVersion */
		if (length < 12)
			return 0;
		if (memcmp(data, "RFB 003.", 8) != 0)
			return -EPROTO;
		/* 7.1.2: security types: one, None (1). */
		output_append(client, "\x01\x01", 2);
		client->state = VNC_WAIT_SECURITY;
		return 12;
	case VNC_WAIT_SECURITY:
		if (data[0] != 1)
			return -EPROTO;
		/* 7.1.3 SecurityResult: OK. */
		output_append(client, "\0\0\0\0", 4);
		client->state = VNC_WAIT_CLIENT_INIT;
		return 1;
	case VNC_WAIT_CLIENT_INIT: /* 7.3.1 ClientInit: shared flag */
		client_send_server_init(client);
		client->state = VNC_NORMAL;
		return 1;
	case VNC_NORMAL: {
		struct rfb_client_message message;
		long used = rfb_parse_client_message(data, length, &message);
		if (used > 0)
			client_handle_message(client, &message);
		return used;
	}
	}
	return -EPROTO;
}

static void client_ready(struct event_handler *handler, uint32_t events)
{
	struct vnc_client *client = handler->opaque;

	if (events & EPOLLOUT) {
		if (!client_flush(client))
			return;
	}
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	ssize_t got = read(handler->fd, client->input + client->input_length,
			   sizeof(client->input) - client->input_length);
	if (got <= 0) {
		if (got < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		client_close(client);
		return;
	}
	client->input_length += (size_t)got;
	for (;;) {
		long used = client_consume(client);
		if (used < 0) {
			log_warn_limited("vnc: protocol error from client, closing it");
			client_close(client);
			return;
		}
		if (used == 0)
			break;
		memmove(client->input, client->input + used, client->input_length - (size_t)used);
		client->input_length -= (size_t)used;
		if (!client->input_length)
			break;
	}
	if (client->output_length && !client_flush(client))
		return;
	client_send_update(client);
}

static void server_timer_ready(struct event_handler *handler, uint32_t events)
{
	struct rfb_server *server = handler->opaque;
	uint64_t expirations;
	(void)events;

	if (read(handler->fd, &expirations, sizeof(expirations)) < 0)
		return;
	if (!server->framebuffer_written || server->framebuffer_written(server->written_opaque))
		for (struct vnc_client *client = server->clients; client; client = client->next)
			client->stale = true;
	for (struct vnc_client *client = server->clients, *next; client; client = next) {
		next = client->next;
		if (client->state == VNC_NORMAL)
			client_send_update(client);
	}
}

static void server_accept(struct event_handler *handler, uint32_t events)
{
	struct rfb_server *server = handler->opaque;
	const struct framebuffer_info *fb = server->framebuffer;
	int fd = unix_socket_accept(handler->fd);
	(void)events;

	if (fd < 0)
		return;
	struct vnc_client *client = calloc(1, sizeof(*client));
	if (client)
		client->shadow = calloc((size_t)fb->width * fb->height, 4);
	if (!client || !client->shadow) {
		if (client)
			free(client);
		close(fd);
		return;
	}
	client->server = server;
	client->format = server_format;
	client->full_update = true;
	client->stale = true;
	client->handler = (struct event_handler){ fd, client_ready, client };
	client->next = server->clients;
	server->clients = client;
	event_loop_add(server->loop, &client->handler, EPOLLIN);
	output_append(client, "RFB 003.008\n", 12);
	client_flush(client);
	struct itimerspec period = { { 0, VNC_REFRESH_NS }, { 0, VNC_REFRESH_NS } };
	timerfd_settime(server->timer.fd, 0, &period, NULL);
}

int rfb_server_open(struct rfb_server **server_out, struct event_loop *loop, const char *path,
		    const struct framebuffer_info *framebuffer, uint8_t *pixels,
		    struct virtio_device *keyboard, struct virtio_device *tablet,
		    bool (*framebuffer_written)(void *opaque), void *written_opaque)
{
	struct rfb_server *server = calloc(1, sizeof(*server));
	int ret;

	if (!server)
		return -ENOMEM;
	server->loop = loop;
	server->framebuffer = framebuffer;
	server->pixels = (const uint32_t *)pixels;
	server->keyboard = keyboard;
	server->tablet = tablet;
	server->framebuffer_written = framebuffer_written;
	server->written_opaque = written_opaque;
	server->tile_buffer_size = VNC_TILE * VNC_TILE * 4;
	server->tile_buffer = malloc(server->tile_buffer_size);
	server->listener.fd = unix_socket_listen(path);
	server->timer.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (!server->tile_buffer || server->listener.fd < 0 || server->timer.fd < 0) {
		ret = server->listener.fd < 0 ? server->listener.fd : -ENOMEM;
		goto out;
	}
	server->listener.ready = server_accept;
	server->listener.opaque = server;
	server->timer.ready = server_timer_ready;
	server->timer.opaque = server;
	ret = event_loop_add(loop, &server->listener, EPOLLIN);
	if (ret == 0)
		ret = event_loop_add(loop, &server->timer, EPOLLIN);
	if (ret == 0) {
		*server_out = server;
		return 0;
	}
out:
	free(server->tile_buffer);
	free(server);
	return ret;
}

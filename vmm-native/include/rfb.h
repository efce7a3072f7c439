/*
 * RFB 3.8 (RFC 6143): the protocol half (message parsing, pixel encoding;
 * pure functions, fuzzed and unit-tested) and the server half on a unix
 * socket, which shows the framebuffer and feeds virtio input.
 */
#ifndef MVM_RFB_H
#define MVM_RFB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event_loop.h"
#include "virtio.h"
#include "x86_boot.h"

/* RFC 6143 7.4: PIXEL_FORMAT. */
struct rfb_pixel_format {
	uint8_t bits_per_pixel; /* 8, 16 or 32 */
	uint8_t depth;
	uint8_t big_endian;
	uint8_t true_colour;    /* mvm serves true colour only */
	uint16_t red_max, green_max, blue_max;
	uint8_t red_shift, green_shift, blue_shift;
};

enum rfb_client_message_type {
	RFB_SET_PIXEL_FORMAT = 0,
	RFB_SET_ENCODINGS = 2,
	RFB_FRAMEBUFFER_UPDATE_REQUEST = 3,
	RFB_KEY_EVENT = 4,
	RFB_POINTER_EVENT = 5,
	RFB_CLIENT_CUT_TEXT = 6,
};

enum rfb_encoding {
	RFB_ENCODING_RAW = 0,
	RFB_ENCODING_RRE = 2,
};

#define RFB_MAX_ENCODINGS 64
#define RFB_MAX_ENCODING_COUNT 1024
#define RFB_MAX_CUT_TEXT 16384

struct rfb_client_message {
	uint8_t type;
	union {
		struct rfb_pixel_format pixel_format;
		struct {
			uint16_t count;            /* as sent */
			uint16_t kept;             /* how many are in encodings[] */
			int32_t encodings[RFB_MAX_ENCODINGS];
		} set_encodings;
		struct {
			bool incremental;
			uint16_t x, y, width, height;
		} update_request;
		struct {
			bool down;
			uint32_t keysym;
		} key;
		struct {
			uint8_t buttons;           /* bit 0 left, 1 middle, 2 right, 3/4 wheel */
			uint16_t x, y;
		} pointer;
		struct {
			uint32_t length;
		} cut_text;
	};
};

/* Bytes consumed (> 0), 0 when more input is needed, negative errno on a protocol error. */
long rfb_parse_client_message(const uint8_t *data, size_t length,
			      struct rfb_client_message *message);
bool rfb_pixel_format_supported(const struct rfb_pixel_format *format);
/* Encode one 0x00RRGGBB pixel in the client's format; returns bytes written. */
unsigned rfb_encode_pixel(const struct rfb_pixel_format *format, uint32_t pixel, uint8_t *out);
/*
 * Encode a rectangle of source pixels (stride in pixels) as one RRE
 * rectangle body (RFC 6143 7.7.3). Returns bytes written, or 0 when it
 * would not fit in capacity (the caller then sends it raw).
 */
size_t rfb_encode_rre(const struct rfb_pixel_format *format, const uint32_t *pixels,
		      unsigned stride, unsigned width, unsigned height, uint8_t *out,
		      size_t capacity);
/* Linux key code for an X keysym, or 0 when there is none. */
uint16_t rfb_keysym_to_linux(uint32_t keysym);

struct rfb_server;
/*
 * framebuffer_written() tells whether the guest wrote to the framebuffer
 * since the last call; unchanged frames are then not compared at all.
 */
int rfb_server_open(struct rfb_server **server, struct event_loop *loop, const char *path,
		    const struct framebuffer_info *framebuffer, uint8_t *pixels,
		    struct virtio_device *keyboard, struct virtio_device *tablet,
		    bool (*framebuffer_written)(void *opaque), void *written_opaque);

#endif

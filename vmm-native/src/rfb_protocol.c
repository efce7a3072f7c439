#include <errno.h>
#include <linux/input-event-codes.h>
#include <string.h>

#include "rfb.h"

static uint16_t read_u16(const uint8_t *data)
{
	return (uint16_t)(data[0] << 8 | data[1]);
}

static uint32_t read_u32(const uint8_t *data)
{
	return (uint32_t)data[0] << 24 | (uint32_t)data[1] << 16 | (uint32_t)data[2] << 8 | data[3];
}

long rfb_parse_client_message(const uint8_t *data, size_t length,
			      struct rfb_client_message *message)
{
	if (length < 1)
		return 0;
	memset(message, 0, sizeof(*message));
	message->type = data[0];
	switch (data[0]) {
	case RFB_SET_PIXEL_FORMAT: /* 7.5.1: type, 3 padding, 16-byte PIXEL_FORMAT */
		if (length < 20)
			return 0;
		message->pixel_format = (struct rfb_pixel_format){
			.bits_per_pixel = data[4],
			.depth = data[5],
			.big_endian = data[6],
			.true_colour = data[7],
			.red_max = read_u16(data + 8),
			.green_max = read_u16(data + 10),
			.blue_max = read_u16(data + 12),
			.red_shift = data[14],
			.green_shift = data[15],
			.blue_shift = data[16],
		};
		return 20;
	case RFB_SET_ENCODINGS: { /* 7.5.2: type, padding, u16 count, s32 encodings[count] */
		if (length < 4)
			return 0;
		uint16_t count = read_u16(data + 2);
		if (count > RFB_MAX_ENCODING_COUNT)
			return -E2BIG;
		size_t total = 4 + 4 * (size_t)count;
		if (length < total)
			return 0;
		message->set_encodings.count = count;
		for (uint16_t i = 0; i < count && i < RFB_MAX_ENCODINGS; i++) {
			message->set_encodings.encodings[i] = (int32_t)read_u32(data + 4 + 4 * i);
			message->set_encodings.kept = (uint16_t)(i + 1);
		}
		return (long)total;
	}
	case RFB_FRAMEBUFFER_UPDATE_REQUEST: /* 7.5.3 */
		if (length < 10)
			return 0;
		message->update_request.incremental = data[1] != 0;
		message->update_request.x = read_u16(data + 2);
		message->update_request.y = read_u16(data + 4);
		message->update_request.width = read_u16(data + 6);
		message->update_request.height = read_u16(data + 8);
		return 10;
	case RFB_KEY_EVENT: /* 7.5.4: type, down flag, 2 padding, keysym */
		if (length < 8)
			return 0;
		message->key.down = data[1] != 0;
		message->key.keysym = read_u32(data + 4);
		return 8;
	case RFB_POINTER_EVENT: /* 7.5.5 */
		if (length < 6)
			return 0;
		message->pointer.buttons = data[1];
		message->pointer.x = read_u16(data + 2);
		message->pointer.y = read_u16(data + 4);
		return 6;
	case RFB_CLIENT_CUT_TEXT: { /* 7.5.6: type, 3 padding, u32 length, text */
		if (length < 8)
			return 0;
		uint32_t text_length = read_u32(data + 4);
		if (text_length > RFB_MAX_CUT_TEXT)
			return -E2BIG;
		if (length < 8 + (size_t)text_length)
			return 0;
		message->cut_text.length = text_length;
		return 8 + (long)text_length;
	}
	default:
		return -EPROTO;
	}
}

bool rfb_pixel_format_supported(const struct rfb_pixel_format *format)
{
	if (!format->true_colour)
		return false;
	if (format->bits_per_pixel != 8 && format->bits_per_pixel != 16 &&
	    format->bits_per_pixel != 32)
		return false;
	return format->red_shift < format->bits_per_pixel &&
	       format->green_shift < format->bits_per_pixel &&
	       format->blue_shift < format->bits_per_pixel;
}

unsigned rfb_encode_pixel(const struct rfb_pixel_format *format, uint32_t pixel, uint8_t *out)
{
	uint32_t red = (pixel >> 16) & 0xff, green = (pixel >> 8) & 0xff, blue = pixel & 0xff;
	uint32_t value = (red * format->red_max / 255) << format->red_shift |
			 (green * format->green_max / 255) << format->green_shift |
			 (blue * format->blue_max / 255) << format->blue_shift;
	unsigned bytes = format->bits_per_pixel / 8;

	for (unsigned i = 0; i < bytes; i++) {
		unsigned shift = format->big_endian ? 8 * (bytes - 1 - i) : 8 * i;
		out[i] = (uint8_t)(value >> shift);
	}
	return bytes;
}

static void write_u16(uint8_t *out, uint16_t value)
{
	out[0] = (uint8_t)(value >> 8);
	out[1] = (uint8_t)value;
}

size_t rfb_encode_rre(const struct rfb_pixel_format *format, const uint32_t *pixels,
		      unsigned stride, unsigned width, unsigned height, uint8_t *out,
		      size_t capacity)
{
	unsigned bytes = format->bits_per_pixel / 8;
	size_t subrect_size = bytes + 8;
	uint32_t background = pixels[0];
	uint32_t subrects = 0;
	size_t used = 4 + bytes;

	if (capacity < used)
		return 0;
	rfb_encode_pixel(format, background, out + 4);
	/* Each horizontal run that differs from the background is one subrectangle. */
	for (unsigned y = 0; y < height; y++) {
		const uint32_t *row = pixels + (size_t)y * stride;
		unsigned x = 0;
		while (x < width) {
			if ((row[x] & 0xffffff) == (background & 0xffffff)) {
				x++;
				continue;
			}
			unsigned start = x;
			uint32_t colour = row[x];
			while (x < width && (row[x] & 0xffffff) == (colour & 0xffffff))
				x++;
			if (used + subrect_size > capacity)
				return 0;
			rfb_encode_pixel(format, colour, out + used);
			write_u16(out + used + bytes, (uint16_t)start);
			write_u16(out + used + bytes + 2, (uint16_t)y);
			write_u16(out + used + bytes + 4, (uint16_t)(x - start));
			write_u16(out + used + bytes + 6, 1);
			used += subrect_size;
			subrects++;
		}
	}
	out[0] = (uint8_t)(subrects >> 24);
	out[1] = (uint8_t)(subrects >> 16);
	out[2] = (uint8_t)(subrects >> 8);
	out[3] = (uint8_t)subrects;
	return used;
}

uint16_t rfb_keysym_to_linux(uint32_t keysym)
{
	static const uint16_t letter_codes[26] = {
		KEY_A, KEY_B, KEY_C, KEY_D, KEY_E, KEY_F, KEY_G, KEY_H, KEY_I, KEY_J, KEY_K, KEY_L, KEY_M,
		KEY_N, KEY_O, KEY_P, KEY_Q, KEY_R, KEY_S, KEY_T, KEY_U, KEY_V, KEY_W, KEY_X, KEY_Y, KEY_Z,
	};
	static const struct { uint32_t keysym; uint16_t code; } table[] = {
		{ '1', KEY_1 }, { '!', KEY_1 }, { '2', KEY_2 }, { '@', KEY_2 }, { '3', KEY_3 },
		{ '#', KEY_3 }, { '4', KEY_4 }, { '$', KEY_4 }, { '5', KEY_5 }, { '%', KEY_5 },
		{ '6', KEY_6 }, { '^', KEY_6 }, { '7', KEY_7 }, { '&', KEY_7 }, { '8', KEY_8 },
		{ '*', KEY_8 }, { '9', KEY_9 }, { '(', KEY_9 }, { '0', KEY_0 }, { ')', KEY_0 },
		{ '-', KEY_MINUS }, { '_', KEY_MINUS }, { '=', KEY_EQUAL }, { '+', KEY_EQUAL },
		{ '[', KEY_LEFTBRACE }, { '{', KEY_LEFTBRACE }, { ']', KEY_RIGHTBRACE },
		{ '}', KEY_RIGHTBRACE }, { ';', KEY_SEMICOLON }, { ':', KEY_SEMICOLON },
		{ '\'', KEY_APOSTROPHE }, { '"', KEY_APOSTROPHE }, { '`', KEY_GRAVE }, { '~', KEY_GRAVE },
		{ '\\', KEY_BACKSLASH }, { '|', KEY_BACKSLASH }, { ',', KEY_COMMA }, { '<', KEY_COMMA },
		{ '.', KEY_DOT }, { '>', KEY_DOT }, { '/', KEY_SLASH }, { '?', KEY_SLASH },
		{ ' ', KEY_SPACE },
		{ 0xff08, KEY_BACKSPACE }, { 0xff09, KEY_TAB }, { 0xff0d, KEY_ENTER },
		{ 0xff1b, KEY_ESC }, { 0xffff, KEY_DELETE }, { 0xff50, KEY_HOME }, { 0xff51, KEY_LEFT },
		{ 0xff52, KEY_UP }, { 0xff53, KEY_RIGHT }, { 0xff54, KEY_DOWN },
		{ 0xff55, KEY_PAGEUP }, { 0xff56, KEY_PAGEDOWN }, { 0xff57, KEY_END },
		{ 0xff63, KEY_INSERT }, { 0xffe1, KEY_LEFTSHIFT }, { 0xffe2, KEY_RIGHTSHIFT },
		{ 0xffe3, KEY_LEFTCTRL }, { 0xffe4, KEY_RIGHTCTRL }, { 0xffe5, KEY_CAPSLOCK },
		{ 0xffe7, KEY_LEFTMETA }, { 0xffe9, KEY_LEFTALT }, { 0xffea, KEY_RIGHTALT },
		{ 0xffeb, KEY_LEFTMETA }, { 0xffec, KEY_RIGHTMETA },
		{ 0xffbe, KEY_F1 }, { 0xffbf, KEY_F2 }, { 0xffc0, KEY_F3 }, { 0xffc1, KEY_F4 },
		{ 0xffc2, KEY_F5 }, { 0xffc3, KEY_F6 }, { 0xffc4, KEY_F7 }, { 0xffc5, KEY_F8 },
		{ 0xffc6, KEY_F9 }, { 0xffc7, KEY_F10 }, { 0xffc8, KEY_F11 }, { 0xffc9, KEY_F12 },
	};

	if (keysym >= 'a' && keysym <= 'z')
		return letter_codes[keysym - 'a'];
	if (keysym >= 'A' && keysym <= 'Z')
		return letter_codes[keysym - 'A'];
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].keysym == keysym)
			return table[i].code;
	return 0;
}

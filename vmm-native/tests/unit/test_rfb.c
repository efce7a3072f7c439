#include <errno.h>
#include <linux/input-event-codes.h>
#include <string.h>

#include "rfb.h"
#include "unit.h"

void test_rfb(void)
{
	struct rfb_client_message message;
	static const uint8_t pixel_format[20] = { 0, 0, 0, 0, 16, 16, 1, 1, 0, 31, 0, 63, 0, 31, 11, 5, 0 };
	static const uint8_t encodings[12] = { 2, 0, 0, 2, 0, 0, 0, 2, 0xff, 0xff, 0xff, 0x21 };
	static const uint8_t request[10] = { 3, 1, 0, 1, 0, 2, 0, 30, 0, 40 };
	static const uint8_t key[8] = { 4, 1, 0, 0, 0, 0, 0xff, 0x0d };
	static const uint8_t pointer[6] = { 5, 5, 0, 10, 0, 20 };
	static const uint8_t cut[11] = { 6, 0, 0, 0, 0, 0, 0, 3, 'a', 'b', 'c' };

	CHECK_EQ(rfb_parse_client_message(pixel_format, 20, &message), 20);
	CHECK_EQ(message.pixel_format.bits_per_pixel, 16);
	CHECK_EQ(message.pixel_format.green_max, 63);
	CHECK_EQ(message.pixel_format.red_shift, 11);
	CHECK(rfb_pixel_format_supported(&message.pixel_format));
	CHECK_EQ(rfb_parse_client_message(pixel_format, 19, &message), 0);

	CHECK_EQ(rfb_parse_client_message(encodings, 12, &message), 12);
	CHECK_EQ(message.set_encodings.count, 2);
	CHECK_EQ(message.set_encodings.encodings[0], RFB_ENCODING_RRE);
	CHECK_EQ(message.set_encodings.encodings[1], -223);
	CHECK_EQ(rfb_parse_client_message(encodings, 11, &message), 0);
	static const uint8_t too_many[4] = { 2, 0, 0xff, 0xff };
	CHECK_EQ(rfb_parse_client_message(too_many, 4, &message), -E2BIG);

	CHECK_EQ(rfb_parse_client_message(request, 10, &message), 10);
	CHECK(message.update_request.incremental);
	CHECK_EQ(message.update_request.x, 1);
	CHECK_EQ(message.update_request.height, 40);

	CHECK_EQ(rfb_parse_client_message(key, 8, &message), 8);
	CHECK(message.key.down);
	CHECK_EQ(message.key.keysym, 0xff0d);
	CHECK_EQ(rfb_keysym_to_linux(message.key.keysym), KEY_ENTER);
	CHECK_EQ(rfb_keysym_to_linux('a'), KEY_A);
	CHECK_EQ(rfb_keysym_to_linux('Q'), KEY_Q);
	CHECK_EQ(rfb_keysym_to_linux('?'), KEY_SLASH);
	CHECK_EQ(rfb_keysym_to_linux(0x12345), 0);

	CHECK_EQ(rfb_parse_client_message(pointer, 6, &message), 6);
	CHECK_EQ(message.pointer.buttons, 5);
	CHECK_EQ(message.pointer.y, 20);

	CHECK_EQ(rfb_parse_client_message(cut, 11, &message), 11);
	CHECK_EQ(rfb_parse_client_message(cut, 10, &message), 0);
	static const uint8_t huge_cut[8] = { 6, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff };
	CHECK_EQ(rfb_parse_client_message(huge_cut, 8, &message), -E2BIG);
	static const uint8_t unknown[1] = { 77 };
	CHECK_EQ(rfb_parse_client_message(unknown, 1, &message), -EPROTO);
	CHECK_EQ(rfb_parse_client_message(unknown, 0, &message), 0);

	/* Pixel encoding: 32-bit little endian and 16-bit 5-6-5 big endian. */
	struct rfb_pixel_format rgb32 = { 32, 24, 0, 1, 255, 255, 255, 16, 8, 0 };
	struct rfb_pixel_format rgb565 = { 16, 16, 1, 1, 31, 63, 31, 11, 5, 0 };
	uint8_t out[4];
	CHECK_EQ(rfb_encode_pixel(&rgb32, 0x00112233, out), 4);
	CHECK(out[0] == 0x33 && out[1] == 0x22 && out[2] == 0x11);
	CHECK_EQ(rfb_encode_pixel(&rgb565, 0x00ffffff, out), 2);
	CHECK(out[0] == 0xff && out[1] == 0xff);
	struct rfb_pixel_format palette = rgb32;
	palette.true_colour = 0;
	CHECK(!rfb_pixel_format_supported(&palette));

	/* RRE: a solid tile is one background and no subrectangles. */
	uint32_t tile[16 * 16];
	uint8_t encoded[4096];
	for (unsigned i = 0; i < 256; i++)
		tile[i] = 0x00336699;
	CHECK_EQ(rfb_encode_rre(&rgb32, tile, 16, 16, 16, encoded, sizeof(encoded)), 8);
	CHECK_EQ(encoded[3], 0);
	tile[5 * 16 + 3] = 0x00ff0000;
	tile[5 * 16 + 4] = 0x00ff0000;
	CHECK_EQ(rfb_encode_rre(&rgb32, tile, 16, 16, 16, encoded, sizeof(encoded)), 8 + 12);
	CHECK_EQ(encoded[3], 1);
	CHECK_EQ(encoded[8 + 4 + 1], 3);  /* x */
	CHECK_EQ(encoded[8 + 6 + 1], 5);  /* y */
	CHECK_EQ(encoded[8 + 8 + 1], 2);  /* width */
	CHECK_EQ(rfb_encode_rre(&rgb32, tile, 16, 16, 16, encoded, 12), 0); /* does not fit */
}

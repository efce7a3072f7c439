/*
 * Everything an RFB client sends after the handshake goes through
 * rfb_parse_client_message(); pixel formats it accepts are then used to
 * encode raw and RRE rectangles.
 */
#include <stdint.h>
#include <string.h>

#include "rfb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rfb_client_message message;
	static uint32_t tile[16 * 16];
	static uint8_t encoded[16 * 16 * 4];

	while (size > 0) {
		long used = rfb_parse_client_message(data, size, &message);
		if (used <= 0)
			break;
		if ((size_t)used > size)
			__builtin_trap();
		switch (message.type) {
		case RFB_SET_PIXEL_FORMAT:
			if (rfb_pixel_format_supported(&message.pixel_format)) {
				for (unsigned i = 0; i < 256; i++)
					tile[i] = (i * 2654435761u) & ((i & 8) ? 0xffffff : 0x00ff00);
				rfb_encode_pixel(&message.pixel_format, tile[7], encoded);
				rfb_encode_rre(&message.pixel_format, tile, 16, 16, 16, encoded,
					       16 * 16 * message.pixel_format.bits_per_pixel / 8);
			}
			break;
		case RFB_KEY_EVENT:
			rfb_keysym_to_linux(message.key.keysym);
			break;
		case RFB_SET_ENCODINGS:
			if (message.set_encodings.kept > RFB_MAX_ENCODINGS)
				__builtin_trap();
			break;
		default:
			break;
		}
		data += used;
		size -= (size_t)used;
	}
	return 0;
}

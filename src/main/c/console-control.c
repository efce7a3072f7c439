#include "console-control.h"

#include <errno.h>
#include <string.h>

/* Reads a decimal number of at most four digits; returns the index after it, or 0 when there is none. */
static size_t parse_number(const char *text, size_t length, size_t at, unsigned int *value)
{
	size_t digits = 0;

	*value = 0;
	while (at + digits < length && text[at + digits] >= '0' && text[at + digits] <= '9') {
		if (digits == 4)
			return 0;
		*value = *value * 10 + (unsigned int)(text[at + digits] - '0');
		digits++;
	}
	return digits == 0 ? 0 : at + digits;
}

int control_parse(const char *line, size_t length, struct control_command *command)
{
	static const char resize[] = "resize ";
	unsigned int columns, rows;
	size_t at;

	if (length > 0 && line[length - 1] == '\r')
		length--;
	if (length < sizeof(resize) - 1 || memcmp(line, resize, sizeof(resize) - 1) != 0) {
		const char *space = memchr(line, ' ', length);
		size_t word = space ? (size_t)(space - line) : length;

		return word == sizeof(resize) - 2 && memcmp(line, resize, word) == 0 ? -EINVAL : -EOPNOTSUPP;
	}
	at = parse_number(line, length, sizeof(resize) - 1, &columns);
	if (at == 0 || at >= length || line[at] != ' ')
		return -EINVAL;
	at = parse_number(line, length, at + 1, &rows);
	if (at == 0 || at != length)
		return -EINVAL;
	if (columns < WINDOW_MIN || columns > WINDOW_MAX || rows < WINDOW_MIN || rows > WINDOW_MAX)
		return -ERANGE;
	command->kind = CONTROL_RESIZE;
	command->columns = (unsigned short)columns;
	command->rows = (unsigned short)rows;
	return 0;
}

const char *control_error_message(int error)
{
	switch (error) {
	case -EINVAL:
		return "usage: resize COLUMNS ROWS";
	case -ERANGE:
		return "columns and rows must be from 1 to 1000";
	case -EOPNOTSUPP:
		return "unknown command";
	default:
		return "cannot apply the command";
	}
}

/* Unit tests of the console keeper's control protocol (console-control.c). */
#include "console-control.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

static void expect(const char *line, int error, unsigned short columns, unsigned short rows)
{
	struct control_command command = { .columns = 0, .rows = 0 };
	int result = control_parse(line, strlen(line), &command);

	if (result != error || (error == 0 && (command.kind != CONTROL_RESIZE || command.columns != columns ||
					       command.rows != rows))) {
		fprintf(stderr, "FAIL \"%s\": got %d (%u x %u), want %d (%u x %u)\n", line, result, command.columns,
			command.rows, error, columns, rows);
		failures++;
	}
}

/* Every prefix of a valid line, and the line with any byte changed, must parse or be refused, never crash. */
static void survives_mutations(void)
{
	const char base[] = "resize 132 43";
	char line[sizeof(base)];
	struct control_command command;

	for (size_t length = 0; length <= strlen(base); length++)
		control_parse(base, length, &command);
	for (size_t at = 0; at < strlen(base); at++) {
		for (int byte = 0; byte < 256; byte++) {
			memcpy(line, base, sizeof(base));
			line[at] = (char)byte;
			control_parse(line, strlen(base), &command);
		}
	}
}

int main(void)
{
	expect("resize 80 24", 0, 80, 24);
	expect("resize 1 1", 0, 1, 1);
	expect("resize 1000 1000", 0, 1000, 1000);
	expect("resize 0132 043", 0, 132, 43);
	expect("resize 80 24\r", 0, 80, 24);

	expect("resize 0 24", -ERANGE, 0, 0);
	expect("resize 80 0", -ERANGE, 0, 0);
	expect("resize 1001 24", -ERANGE, 0, 0);
	expect("resize 80 9999", -ERANGE, 0, 0);

	expect("resize 10000 24", -EINVAL, 0, 0);
	expect("resize 80 99999999999999999999", -EINVAL, 0, 0);
	expect("resize -80 24", -EINVAL, 0, 0);
	expect("resize +80 24", -EINVAL, 0, 0);
	expect("resize 80", -EINVAL, 0, 0);
	expect("resize 80 ", -EINVAL, 0, 0);
	expect("resize 80  24", -EINVAL, 0, 0);
	expect("resize 80 24 ", -EINVAL, 0, 0);
	expect("resize 80 24 1", -EINVAL, 0, 0);
	expect("resize 8x 24", -EINVAL, 0, 0);
	expect("resize 0x50 24", -EINVAL, 0, 0);
	expect("resize", -EINVAL, 0, 0);
	expect("resize ", -EINVAL, 0, 0);

	expect("", -EOPNOTSUPP, 0, 0);
	expect("RESIZE 80 24", -EOPNOTSUPP, 0, 0);
	expect("resizes 80 24", -EOPNOTSUPP, 0, 0);
	expect("reboot", -EOPNOTSUPP, 0, 0);

	{
		/* A NUL inside the line is a byte like any other, not its end. */
		static const char embedded[] = "resize 80\0 24";
		struct control_command command;

		if (control_parse(embedded, sizeof(embedded) - 1, &command) != -EINVAL) {
			fprintf(stderr, "FAIL: a NUL inside the line was accepted\n");
			failures++;
		}
	}
	survives_mutations();

	if (failures) {
		fprintf(stderr, "console-control: %d failures\n", failures);
		return EXIT_FAILURE;
	}
	printf("console-control: all tests passed\n");
	return EXIT_SUCCESS;
}

/*
 * The console keeper's control protocol, spoken on its control socket beside
 * the byte stream of the console: one command per line, answered by one line.
 *
 *   resize COLUMNS ROWS\n     -> "ok\n" once the PTY has the new window size
 *                             -> "error MESSAGE\n" when the line is refused
 *
 * COLUMNS and ROWS are decimal, from WINDOW_MIN to WINDOW_MAX. A line longer
 * than CONTROL_LINE_MAX bytes ends the connection.
 */
#ifndef CONSOLE_CONTROL_H
#define CONSOLE_CONTROL_H

#include <stddef.h>

#define CONTROL_LINE_MAX 64
#define WINDOW_MIN 1
#define WINDOW_MAX 1000

enum control_kind {
	CONTROL_RESIZE,
};

struct control_command {
	enum control_kind kind;
	unsigned short columns;	/* resize: the window's width in characters */
	unsigned short rows;	/* resize: the window's height in lines */
};

/*
 * Parses one line, without its newline (a trailing carriage return is
 * allowed). Returns 0, -EINVAL for a malformed line, -ERANGE for a size out of
 * bounds, -EOPNOTSUPP for an unknown command.
 */
int control_parse(const char *line, size_t length, struct control_command *command);

/* What a refusal says to the client, for control_parse()'s error codes. */
const char *control_error_message(int error);

#endif

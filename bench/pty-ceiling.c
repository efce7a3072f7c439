/*
 * pty-ceiling: how fast the kernel's pseudo-terminal alone carries text, the
 * bound under every console that reads a PTY.
 *
 *   pty-ceiling LINE_BYTES MEGABYTES
 *
 * A child writes MEGABYTES of LINE_BYTES-long lines (newline included) to the
 * slave side in 64 KiB writes, as cat does; the parent reads the master side
 * in 256 KiB reads. The slave keeps the termios a new terminal has (OPOST and
 * ONLCR: every newline leaves as CR LF), as a jail's console does. Prints one
 * line: "LINE_BYTES MB_PER_S", counting the bytes read.
 */
#include <errno.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WRITE_BYTES 65536
#define READ_BYTES (256 * 1024)
#define PATTERN_BYTES (10 * 1000 * 1000)

static double seconds_now(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

static void write_lines(int slave, const char *pattern, long long total)
{
	long long written = 0;

	while (written < total) {
		size_t offset = 0;

		while (offset < PATTERN_BYTES && written < total) {
			size_t length = PATTERN_BYTES - offset < WRITE_BYTES ? PATTERN_BYTES - offset : WRITE_BYTES;
			ssize_t count = write(slave, pattern + offset, length);

			if (count < 0 && errno == EINTR)
				continue;
			if (count < 0)
				_exit(1);
			offset += (size_t)count;
			written += count;
		}
	}
	_exit(0);
}

int main(int argc, char **argv)
{
	static char buffer[READ_BYTES];
	int master, slave, status;
	long line_bytes;
	long long total, expected, received = 0;
	char *pattern;
	double started, seconds;
	pid_t writer;

	if (argc != 3 || (line_bytes = strtol(argv[1], NULL, 10)) < 2 || (total = strtoll(argv[2], NULL, 10)) < 10) {
		fprintf(stderr, "usage: pty-ceiling LINE_BYTES MEGABYTES (LINE_BYTES >= 2, MEGABYTES >= 10)\n");
		return 2;
	}
	total *= 1000000;
	total -= total % PATTERN_BYTES;
	pattern = malloc(PATTERN_BYTES);
	if (pattern == NULL || openpty(&master, &slave, NULL, NULL, NULL) < 0) {
		perror("pty-ceiling");
		return 1;
	}
	for (long i = 0; i < PATTERN_BYTES; i++)
		pattern[i] = i % line_bytes == line_bytes - 1 ? '\n' : 'x';
	/* Every whole line's newline becomes CR LF. */
	expected = total + total / PATTERN_BYTES * (PATTERN_BYTES / line_bytes);
	started = seconds_now();
	writer = fork();
	if (writer < 0) {
		perror("pty-ceiling: fork");
		return 1;
	}
	if (writer == 0) {
		close(master);
		write_lines(slave, pattern, total);
	}
	close(slave);
	while (received < expected) {
		ssize_t count = read(master, buffer, sizeof(buffer));

		if (count < 0 && errno == EINTR)
			continue;
		if (count <= 0)
			break;
		received += count;
	}
	seconds = seconds_now() - started;
	waitpid(writer, &status, 0);
	if (received != expected) {
		fprintf(stderr, "pty-ceiling: read %lld bytes of %lld\n", received, expected);
		return 1;
	}
	printf("%ld %.1f\n", line_bytes, (double)received / 1e6 / seconds);
	return 0;
}

/*
 * http-load: sequential HTTP/1.0 GETs against one server, for bench/network.
 *
 *   http-load ADDRESS PORT PATH COUNT
 *
 * Each request is a new TCP connection: connect, send "GET PATH HTTP/1.0", read to the end,
 * close. Prints one line: "requests=N bytes=B seconds=S" (B counts everything read, headers
 * included) and exits non-zero when a request fails, so a path that does not work is never
 * measured as a fast one.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long long fetch(const struct sockaddr_in *server, const char *request, size_t length)
{
	static char buffer[1 << 16];
	long long total = 0;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct timeval timeout = { .tv_sec = 10, .tv_usec = 0 };

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
	if (connect(fd, (const struct sockaddr *)server, sizeof(*server)) < 0 ||
	    write(fd, request, length) != (ssize_t)length) {
		total = -errno;
		close(fd);
		return total;
	}
	for (;;) {
		ssize_t got = read(fd, buffer, sizeof(buffer));

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			total = -errno;
			break;
		}
		if (got == 0)
			break;
		total += got;
	}
	close(fd);
	return total;
}

int main(int argc, char **argv)
{
	struct sockaddr_in server;
	char request[1024];
	long count;
	long long bytes = 0;
	double started;
	int length;

	if (argc != 5 || (count = strtol(argv[4], NULL, 10)) < 1) {
		fprintf(stderr, "usage: http-load ADDRESS PORT PATH COUNT\n");
		return 2;
	}
	memset(&server, 0, sizeof(server));
	server.sin_family = AF_INET;
	server.sin_port = htons((unsigned short)strtoul(argv[2], NULL, 10));
	if (inet_pton(AF_INET, argv[1], &server.sin_addr) != 1) {
		fprintf(stderr, "http-load: not an IPv4 address: %s\n", argv[1]);
		return 2;
	}
	length = snprintf(request, sizeof(request), "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n", argv[3], argv[1]);
	if (length < 0 || (size_t)length >= sizeof(request)) {
		fprintf(stderr, "http-load: path too long\n");
		return 2;
	}
	started = now();
	for (long i = 0; i < count; i++) {
		long long got = fetch(&server, request, (size_t)length);

		if (got <= 0) {
			fprintf(stderr, "http-load: request %ld to %s:%s failed: %s\n", i + 1, argv[1], argv[2],
				got == 0 ? "the server closed without answering" : strerror((int)-got));
			return 1;
		}
		bytes += got;
	}
	printf("requests=%ld bytes=%lld seconds=%.6f\n", count, bytes, now() - started);
	return 0;
}

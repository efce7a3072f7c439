/* Messages a guest can trigger at will must not flood the host's log. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "devices.h"
#include "log.h"
#include "unit.h"

static uint64_t fake_now_ms;

static uint64_t fake_clock(void)
{
	return fake_now_ms;
}

/* Runs the guest's errors with stderr going to a file; returns what was logged. */
static size_t capture_log(void (*provoke)(struct virtio_device *device),
			  struct virtio_device *device, char *log, size_t capacity)
{
	FILE *capture = tmpfile();
	int saved = dup(STDERR_FILENO);
	size_t length = 0;

	CHECK(capture != NULL && saved >= 0);
	if (!capture || saved < 0)
		return 0;
	fflush(stderr);
	dup2(fileno(capture), STDERR_FILENO);
	log_threshold = LOG_LEVEL_WARN;
	provoke(device);
	log_threshold = LOG_LEVEL_NONE;
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(capture);
	length = fread(log, 1, capacity - 1, capture);
	log[length] = 0;
	fclose(capture);
	return length;
}

static void flood(struct virtio_device *device)
{
	for (unsigned i = 0; i < 10000; i++)
		virtio_device_fail(device, "malformed descriptor chain", -EINVAL);
	fake_now_ms += LOG_LIMIT_INTERVAL_MS + 1;
	virtio_device_fail(device, "one more, in the next interval", -EINVAL);
}

static unsigned count_lines(const char *text)
{
	unsigned lines = 0;

	for (; *text; text++)
		lines += *text == '\n';
	return lines;
}

/*
 * 10,000 malformed chains in a row: a bounded number of lines, then one
 * line with the count of those left out; every error is still counted.
 */
static void test_guest_errors_rate_limited(void)
{
	static char log[1 << 20];
	struct fake_guest guest;
	struct virtio_device *device;

	fake_guest_init(&guest, 1 << 20);
	CHECK_EQ(virtio_rng_init(&device, &guest.memory), 0);
	log_clock_ms = fake_clock;
	fake_now_ms = 1000000;
	capture_log(flood, device, log, sizeof(log));

	unsigned lines = count_lines(log);
	CHECK(lines <= LOG_LIMIT_BURST + 2);
	CHECK(lines >= LOG_LIMIT_BURST);
	CHECK(strstr(log, "virtio-rng: malformed descriptor chain (error -22): device needs reset") != NULL);
	char summary[64];
	snprintf(summary, sizeof(summary), "suppressed %u messages", 10000 - LOG_LIMIT_BURST);
	CHECK(strstr(log, summary) != NULL);
	CHECK(strstr(log, "one more, in the next interval") != NULL);
	CHECK_EQ(atomic_load(&device->errors), 10001);
	fake_guest_release(&guest);
}

void test_log(void)
{
	uint64_t (*clock)(void) = log_clock_ms;

	test_guest_errors_rate_limited();
	log_clock_ms = clock;
}

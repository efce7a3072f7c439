#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum log_level log_threshold = LOG_LEVEL_WARN;

static const char *const level_names[] = {
	[LOG_LEVEL_ERROR] = "error",
	[LOG_LEVEL_WARN] = "warning",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

__attribute__((format(printf, 2, 0)))
static void log_vprint(const char *level, const char *format, va_list args, const char *suffix)
{
	char line[1024];
	int used = snprintf(line, sizeof(line), "mvm: %s: ", level);
	if (used < 0)
		return;
	vsnprintf(line + used, sizeof(line) - (size_t)used, format, args);
	fprintf(stderr, "%s%s%s\n", line, suffix ? ": " : "", suffix ? suffix : "");
}

void log_message(enum log_level level, const char *format, ...)
{
	va_list args;

	if (level > log_threshold)
		return;
	va_start(args, format);
	log_vprint(level_names[level], format, args, NULL);
	va_end(args);
}

static uint64_t monotonic_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
}

uint64_t (*log_clock_ms)(void) = monotonic_ms;

static pthread_mutex_t limit_lock = PTHREAD_MUTEX_INITIALIZER;

void log_limited(struct log_limit *limit, enum log_level level, const char *format, ...)
{
	va_list args;
	unsigned suppressed = 0;
	bool print;

	if (level > log_threshold)
		return;
	uint64_t now = log_clock_ms();
	pthread_mutex_lock(&limit_lock);
	if (limit->printed == 0 || now - limit->interval_start_ms >= LOG_LIMIT_INTERVAL_MS) {
		limit->interval_start_ms = now;
		limit->printed = 0;
		suppressed = limit->suppressed;
		limit->suppressed = 0;
	}
	print = limit->printed < LOG_LIMIT_BURST;
	if (print)
		limit->printed++;
	else
		limit->suppressed++;
	pthread_mutex_unlock(&limit_lock);
	if (!print)
		return;
	if (suppressed)
		log_message(level, "suppressed %u messages like the next one (at most %d every %d s)",
			    suppressed, LOG_LIMIT_BURST, LOG_LIMIT_INTERVAL_MS / 1000);
	va_start(args, format);
	log_vprint(level_names[level], format, args, NULL);
	va_end(args);
}

noreturn void die(const char *format, ...)
{
	va_list args;

	va_start(args, format);
	log_vprint("fatal", format, args, NULL);
	va_end(args);
	exit(1);
}

noreturn void die_errno(const char *format, ...)
{
	va_list args;
	int saved_errno = errno;

	va_start(args, format);
	log_vprint("fatal", format, args, strerror(saved_errno));
	va_end(args);
	exit(1);
}

/* Logging helpers: every message goes to stderr with a level prefix. */
#ifndef MVM_LOG_H
#define MVM_LOG_H

#include <stdint.h>
#include <stdnoreturn.h>

enum log_level { LOG_LEVEL_NONE = -1, LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

extern enum log_level log_threshold;

void log_message(enum log_level level, const char *format, ...)
	__attribute__((format(printf, 2, 3)));
noreturn void die(const char *format, ...) __attribute__((format(printf, 1, 2)));
noreturn void die_errno(const char *format, ...) __attribute__((format(printf, 1, 2)));

/*
 * A budget for messages that a guest (or a client) can trigger as often as
 * it likes: at most LOG_LIMIT_BURST lines every LOG_LIMIT_INTERVAL_MS, the
 * rest counted and reported in one line when the next interval lets a
 * message through. Zero-initialised.
 */
#define LOG_LIMIT_BURST 10
#define LOG_LIMIT_INTERVAL_MS 5000
struct log_limit {
	uint64_t interval_start_ms;
	unsigned printed;     /* lines in the current interval */
	unsigned suppressed;  /* messages left out since the last line */
};

void log_limited(struct log_limit *limit, enum log_level level, const char *format, ...)
	__attribute__((format(printf, 3, 4)));
/* The clock log_limited() reads (CLOCK_MONOTONIC); tests put their own in. */
extern uint64_t (*log_clock_ms)(void);

/* One budget per call site. */
#define log_warn_limited(...)                                                              \
	do {                                                                               \
		static struct log_limit call_site_limit;                                   \
		log_limited(&call_site_limit, LOG_LEVEL_WARN, __VA_ARGS__);                \
	} while (0)

#define log_error(...) log_message(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...) log_message(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...) log_message(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_message(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif

/* Logging helpers: every message goes to stderr with a level prefix. */
#ifndef MVM_LOG_H
#define MVM_LOG_H

#include <stdnoreturn.h>

enum log_level { LOG_LEVEL_NONE = -1, LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

extern enum log_level log_threshold;

void log_message(enum log_level level, const char *format, ...)
	__attribute__((format(printf, 2, 3)));
noreturn void die(const char *format, ...) __attribute__((format(printf, 1, 2)));
noreturn void die_errno(const char *format, ...) __attribute__((format(printf, 1, 2)));

#define log_error(...) log_message(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...) log_message(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...) log_message(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_message(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif

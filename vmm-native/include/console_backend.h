/*
 * Where a console's bytes go: stdio (for debugging) or a unix socket that
 * one client at a time may attach to. Recent output is kept and replayed to
 * a client that attaches late, so boot messages are never lost.
 */
#ifndef MVM_CONSOLE_BACKEND_H
#define MVM_CONSOLE_BACKEND_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "event_loop.h"

#define CONSOLE_HISTORY_SIZE 16384

struct console_backend {
	pthread_mutex_t lock;
	struct event_loop *loop;
	int output_fd;                     /* stdout in stdio mode, else -1 */
	struct event_handler input;        /* stdin in stdio mode */
	struct event_handler listener;     /* socket mode */
	struct event_handler client;       /* attached socket client, fd -1 if none */
	/* Bytes from the user for the device; returns how many it took. */
	size_t (*receive)(void *opaque, const uint8_t *data, size_t length);
	void *receive_opaque;
	/* Input the device could not take yet; its source is not polled meanwhile. */
	uint8_t pending[256];
	size_t pending_offset, pending_length;
	struct event_handler *paused_source;
	struct event_handler resume;       /* eventfd: the device can take input again */
	uint8_t history[CONSOLE_HISTORY_SIZE];
	size_t history_start, history_length;
};

int console_backend_open_stdio(struct console_backend *console, struct event_loop *loop);
int console_backend_open_socket(struct console_backend *console, struct event_loop *loop,
				const char *path);
void console_backend_open_null(struct console_backend *console);
/* Puts the terminal back as it was when stdio mode made it raw. */
void console_backend_restore_terminal(void);
void console_backend_write(struct console_backend *console, const uint8_t *data, size_t length);
/* Called by the device (any thread) when it can take input it refused before. */
void console_backend_resume_input(struct console_backend *console);

#endif

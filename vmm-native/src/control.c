/*
 * Control socket: one JSON object per line in, one per line out.
 *   {"cmd":"status"} {"cmd":"pause"} {"cmd":"resume"} {"cmd":"stop","timeout_s":N}
 *   {"cmd":"kill"} {"cmd":"stats"} {"cmd":"balloon","target_mib":N}
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "devices.h"
#include "log.h"
#include "machine.h"
#include "unix_socket.h"

#define CONTROL_LINE_MAX 1024

struct control_client {
	struct event_handler handler;
	struct machine *machine;
	char line[CONTROL_LINE_MAX];
	size_t length;
};

struct control_server {
	struct event_handler listener;
	struct machine *machine;
};

/* Finds "key": and returns a pointer to the value's first character. */
static const char *json_find(const char *line, const char *key)
{
	char pattern[64];

	snprintf(pattern, sizeof(pattern), "\"%s\"", key);
	const char *found = strstr(line, pattern);
	if (!found)
		return NULL;
	found += strlen(pattern);
	while (*found == ' ' || *found == '\t')
		found++;
	if (*found != ':')
		return NULL;
	found++;
	while (*found == ' ' || *found == '\t')
		found++;
	return found;
}

static int json_string(const char *line, const char *key, char *value, size_t size)
{
	const char *found = json_find(line, key);
	size_t length = 0;

	if (!found || *found != '"')
		return -ENOENT;
	found++;
	while (found[length] && found[length] != '"')
		length++;
	if (found[length] != '"' || length >= size)
		return -EINVAL;
	memcpy(value, found, length);
	value[length] = 0;
	return 0;
}

long long machine_now_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec * 1000LL + now.tv_nsec / 1000000;
}

static double uptime_seconds(const struct machine *machine)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - machine->vm.start_time.tv_sec) +
	       (double)(now.tv_nsec - machine->vm.start_time.tv_nsec) / 1e9;
}

int machine_stats_json(struct machine *machine, char *buffer, size_t size)
{
	size_t used = 0;
	int wrote;

#define APPEND(...)                                                               \
	do {                                                                      \
		wrote = snprintf(buffer + used, size - used, __VA_ARGS__);        \
		if (wrote < 0 || (size_t)wrote >= size - used)                    \
			return -ENOSPC;                                           \
		used += (size_t)wrote;                                            \
	} while (0)

	APPEND("{\"ok\":true,\"uptime_s\":%.3f,\"vcpu_exits\":{", uptime_seconds(machine));
	bool first = true;
	for (unsigned reason = 0; reason < VM_EXIT_REASON_COUNT; reason++) {
		uint64_t count = atomic_load(&machine->vm.exit_counts[reason]);
		const char *name = vm_exit_reason_name(reason);
		if (!count)
			continue;
		if (name)
			APPEND("%s\"%s\":%" PRIu64, first ? "" : ",", name, count);
		else
			APPEND("%s\"exit_%u\":%" PRIu64, first ? "" : ",", reason, count);
		first = false;
	}
	APPEND("},\"memory_bytes\":%" PRIu64 ",\"memory_touched_bytes\":%" PRIu64,
	       machine->vm.memory.size, guest_memory_resident_bytes(&machine->vm.memory));

	uint64_t block_read = 0, block_written = 0, net_rx = 0, net_tx = 0, errors = 0;
	uint64_t by_irqfd = 0, by_ioeventfd = 0, net_rx_segmented = 0, net_tx_segmented = 0;
	for (unsigned i = 0; i < machine->slot_count; i++) {
		struct virtio_device *device = machine->slots[i].device;
		errors += atomic_load(&device->errors);
		by_irqfd += atomic_load(&machine->slots[i].interrupts_by_irqfd);
		by_ioeventfd += atomic_load(&machine->slots[i].notifications_by_ioeventfd);
		if (machine->slots[i].kind == SLOT_BLOCK) {
			block_read += atomic_load(&device->bytes_to_guest);
			block_written += atomic_load(&device->bytes_from_guest);
		} else if (machine->slots[i].kind == SLOT_NET) {
			uint64_t to_guest, from_guest;
			net_rx += atomic_load(&device->bytes_to_guest);
			net_tx += atomic_load(&device->bytes_from_guest);
			virtio_net_segmented_frames(device, &to_guest, &from_guest);
			net_rx_segmented += to_guest;
			net_tx_segmented += from_guest;
		}
	}
	APPEND(",\"block_read_bytes\":%" PRIu64 ",\"block_write_bytes\":%" PRIu64
	       ",\"net_rx_bytes\":%" PRIu64 ",\"net_tx_bytes\":%" PRIu64
	       ",\"net_rx_segmented_frames\":%" PRIu64 ",\"net_tx_segmented_frames\":%" PRIu64
	       ",\"virtio_errors\":%" PRIu64 ",\"virtio_interrupts_by_irqfd\":%" PRIu64
	       ",\"virtio_notifications_by_ioeventfd\":%" PRIu64 "}",
	       block_read, block_written, net_rx, net_tx, net_rx_segmented, net_tx_segmented, errors,
	       by_irqfd, by_ioeventfd);
#undef APPEND
	return (int)used;
}

static void control_reply(struct control_client *client, const char *reply)
{
	size_t length = strlen(reply);

	/* Replies are small; a client that does not read them loses them. */
	if (write(client->handler.fd, reply, length) < 0 || write(client->handler.fd, "\n", 1) < 0)
		log_debug("control: reply dropped");
}

static void control_execute(struct control_client *client, const char *line)
{
	struct machine *machine = client->machine;
	char command[32];
	char reply[2048];

	if (json_string(line, "cmd", command, sizeof(command)) < 0) {
		control_reply(client, "{\"ok\":false,\"error\":\"expected {\\\"cmd\\\":...}\"}");
		return;
	}
	if (strcmp(command, "status") == 0) {
		snprintf(reply, sizeof(reply),
			 "{\"ok\":true,\"state\":\"%s\",\"vcpus\":%u,\"memory_mib\":%" PRIu64
			 ",\"uptime_s\":%.3f,\"pid\":%d}",
			 vm_paused(&machine->vm) ? "paused" : "running", machine->vm.vcpu_count,
			 machine->vm.memory.size >> 20, uptime_seconds(machine), (int)getpid());
		control_reply(client, reply);
	} else if (strcmp(command, "pause") == 0) {
		int ret = vm_pause(&machine->vm);
		control_reply(client, ret == 0 ? "{\"ok\":true,\"state\":\"paused\"}"
					       : "{\"ok\":false,\"error\":\"vcpus did not stop\"}");
	} else if (strcmp(command, "resume") == 0) {
		vm_resume(&machine->vm);
		control_reply(client, "{\"ok\":true,\"state\":\"running\"}");
	} else if (strcmp(command, "stop") == 0) {
		/*
		 * A fixed-feature power button press where the guest listens for one
		 * (it enabled the event), else a power key on the virtio keyboard, else
		 * the button anyway: its status bit waits for an OS that enables it.
		 */
		const char *how = "none";
		if (machine->config.acpi && acpi_pm_power_button_enabled(&machine->acpi_pm)) {
			acpi_pm_press_power_button(&machine->acpi_pm);
			how = "acpi-power-button";
		} else if (machine->keyboard && virtio_input_press_power_key(machine->keyboard) == 0) {
			how = "power-key";
		} else if (machine->config.acpi) {
			acpi_pm_press_power_button(&machine->acpi_pm);
			how = "acpi-power-button";
		}
		bool asked = strcmp(how, "none") != 0;
		const char *timeout = json_find(line, "timeout_s");
		long long seconds = timeout ? strtoll(timeout, NULL, 10) : -1;
		if (seconds >= 0)
			machine->stop_deadline_ms = machine_now_ms() + seconds * 1000;
		if (!asked && seconds < 0) {
			control_reply(client, "{\"ok\":false,\"error\":\"no ACPI and no running virtio keyboard: the guest cannot be asked\"}");
			return;
		}
		snprintf(reply, sizeof(reply), "{\"ok\":true,\"requested\":\"%s\",\"kill_after_s\":%lld}",
			 how, seconds);
		control_reply(client, reply);
	} else if (strcmp(command, "kill") == 0) {
		control_reply(client, "{\"ok\":true,\"state\":\"killed\"}");
		vm_request_exit(&machine->vm, VM_EXIT_KILLED);
	} else if (strcmp(command, "stats") == 0) {
		if (machine_stats_json(machine, reply, sizeof(reply)) < 0)
			control_reply(client, "{\"ok\":false,\"error\":\"stats too large\"}");
		else
			control_reply(client, reply);
	} else if (strcmp(command, "balloon") == 0) {
		const char *value = json_find(line, "target_mib");
		if (!machine->balloon || !value) {
			control_reply(client, "{\"ok\":false,\"error\":\"no balloon device or no target_mib\"}");
			return;
		}
		uint64_t target_mib = strtoull(value, NULL, 10);
		uint64_t pages = target_mib * 256;
		virtio_balloon_set_target(machine->balloon, pages > UINT32_MAX ? UINT32_MAX : (uint32_t)pages);
		snprintf(reply, sizeof(reply),
			 "{\"ok\":true,\"target_mib\":%" PRIu64 ",\"actual_mib\":%" PRIu64 "}",
			 target_mib, (uint64_t)virtio_balloon_actual_pages(machine->balloon) / 256);
		control_reply(client, reply);
	} else {
		control_reply(client, "{\"ok\":false,\"error\":\"unknown command\"}");
	}
}

static void control_client_ready(struct event_handler *handler, uint32_t events)
{
	struct control_client *client = handler->opaque;
	ssize_t got;
	(void)events;

	got = read(handler->fd, client->line + client->length,
		   CONTROL_LINE_MAX - 1 - client->length);
	if (got <= 0) {
		if (got < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		event_loop_remove(&client->machine->loop, handler);
		close(handler->fd);
		free(client);
		return;
	}
	client->length += (size_t)got;
	client->line[client->length] = 0;
	char *newline;
	while ((newline = strchr(client->line, '\n'))) {
		*newline = 0;
		control_execute(client, client->line);
		size_t rest = client->length - (size_t)(newline + 1 - client->line);
		memmove(client->line, newline + 1, rest + 1);
		client->length = rest;
	}
	if (client->length == CONTROL_LINE_MAX - 1) {
		control_reply(client, "{\"ok\":false,\"error\":\"line too long\"}");
		client->length = 0;
	}
}

static void control_accept(struct event_handler *handler, uint32_t events)
{
	struct control_server *server = handler->opaque;
	struct control_client *client;
	int fd = unix_socket_accept(handler->fd);
	(void)events;

	if (fd < 0)
		return;
	client = calloc(1, sizeof(*client));
	if (!client) {
		close(fd);
		return;
	}
	client->machine = server->machine;
	client->handler = (struct event_handler){ fd, control_client_ready, client };
	if (event_loop_add(&server->machine->loop, &client->handler, EPOLLIN) < 0) {
		close(fd);
		free(client);
	}
}

int control_open(struct machine *machine, const char *path)
{
	static struct control_server server;
	int fd = unix_socket_listen(path);

	if (fd < 0)
		return fd;
	server.machine = machine;
	server.listener = (struct event_handler){ fd, control_accept, &server };
	return event_loop_add(&machine->loop, &server.listener, EPOLLIN);
}

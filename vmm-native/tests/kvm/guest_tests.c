/*
 * Boots every test guest with mvm on the real /dev/kvm and checks what it
 * did: serial output, exit codes, disk contents, frames on a tap, pixels
 * through the RFB server, host CPU while idle, the control socket.
 * Usage: guest_tests BUILD_DIRECTORY
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <linux/filter.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
#include <linux/virtio_net.h>
#include <net/ethernet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kvm_probe.h"

/* A full Debian boot without "quiet" prints about 60 KiB on the serial console. */
#define OUTPUT_MAX (256 * 1024)

static const char *build_directory;
static char work_directory[256];
static unsigned passed, failed, skipped;

struct guest_run {
	pid_t pid;
	int stdout_fd, stderr_fd;
	char output[OUTPUT_MAX];
	size_t output_length;
	char errors[OUTPUT_MAX];
	size_t errors_length;
	int exit_code;
};

static long long now_ms(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec * 1000LL + now.tv_nsec / 1000000;
}

static void path_in_work(char *path, size_t size, const char *name)
{
	snprintf(path, size, "%s/%s", work_directory, name);
}

/* What the child does before it becomes mvm, when a test needs it; NULL otherwise. */
static void (*before_exec)(void);

static void start_guest(struct guest_run *run, const char *const *arguments)
{
	int out[2], err[2];
	char mvm[512];
	char *argv[64];
	unsigned count = 0;

	memset(run, 0, sizeof(*run));
	run->exit_code = -1;
	snprintf(mvm, sizeof(mvm), "%s/mvm", build_directory);
	argv[count++] = mvm;
	for (unsigned i = 0; arguments[i] && count < 63; i++)
		argv[count++] = (char *)(uintptr_t)arguments[i];
	argv[count] = NULL;
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
		perror("pipe");
		exit(1);
	}
	run->pid = fork();
	if (run->pid == 0) {
		int null = open("/dev/null", O_RDONLY);
		dup2(null, 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		if (before_exec)
			before_exec();
		execv(mvm, argv);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	run->stdout_fd = out[0];
	run->stderr_fd = err[0];
	fcntl(run->stdout_fd, F_SETFL, O_NONBLOCK);
	fcntl(run->stderr_fd, F_SETFL, O_NONBLOCK);
}

/* Appends what FD has to BUFFER; once it is full, reads and drops, so the monitor never blocks on it. */
static void drain_into(int fd, char *buffer, size_t *length)
{
	char overflow[4096];
	ssize_t got;

	if (*length < OUTPUT_MAX - 1) {
		got = read(fd, buffer + *length, OUTPUT_MAX - 1 - *length);
		if (got > 0)
			*length += (size_t)got;
	} else {
		got = read(fd, overflow, sizeof(overflow));
	}
	buffer[*length] = 0;
}

static void drain(struct guest_run *run, int timeout_ms)
{
	struct pollfd fds[2] = { { run->stdout_fd, POLLIN, 0 }, { run->stderr_fd, POLLIN, 0 } };

	if (poll(fds, 2, timeout_ms) <= 0)
		return;
	if (fds[0].revents)
		drain_into(run->stdout_fd, run->output, &run->output_length);
	if (fds[1].revents)
		drain_into(run->stderr_fd, run->errors, &run->errors_length);
}

static bool wait_for_output(struct guest_run *run, const char *needle, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;

	while (!strstr(run->output, needle)) {
		if (now_ms() > deadline)
			return false;
		drain(run, 50);
	}
	return true;
}

/* Waits for the monitor to exit; kills it after the timeout. Returns its exit code. */
static int finish_guest(struct guest_run *run, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	int status;

	for (;;) {
		pid_t done = waitpid(run->pid, &status, WNOHANG);
		if (done == run->pid)
			break;
		if (now_ms() > deadline) {
			kill(run->pid, SIGKILL);
			waitpid(run->pid, &status, 0);
			fprintf(stderr, "    (mvm did not exit within %d ms; killed)\n", timeout_ms);
			break;
		}
		drain(run, 20);
	}
	for (int i = 0; i < 20; i++)
		drain(run, 5);
	close(run->stdout_fd);
	close(run->stderr_fd);
	run->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	return run->exit_code;
}

static bool check(bool condition, const char *format, ...) __attribute__((format(printf, 2, 3)));
static bool check(bool condition, const char *format, ...)
{
	va_list args;

	if (!condition) {
		va_start(args, format);
		fprintf(stderr, "    check failed: ");
		vfprintf(stderr, format, args);
		fprintf(stderr, "\n");
		va_end(args);
	}
	return condition;
}

static void report(const char *name, bool ok, const struct guest_run *run)
{
	if (ok) {
		passed++;
		printf("PASS  %s\n", name);
	} else {
		failed++;
		printf("FAIL  %s\n", name);
		if (run) {
			printf("    --- guest output ---\n%s\n    --- monitor log ---\n%s\n", run->output,
			       run->errors);
		}
	}
	fflush(stdout);
}

static void skip(const char *name, const char *why)
{
	skipped++;
	printf("SKIP  %s: %s\n", name, why);
	fflush(stdout);
}

static void guest_path(char *path, size_t size, const char *name)
{
	snprintf(path, size, "%s/guests/%s", build_directory, name);
}

static int unix_connect(const char *path, int timeout_ms)
{
	struct sockaddr_un address = { .sun_family = AF_UNIX };
	long long deadline = now_ms() + timeout_ms;

	snprintf(address.sun_path, sizeof(address.sun_path), "%s", path);
	for (;;) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (connect(fd, (struct sockaddr *)&address, sizeof(address)) == 0)
			return fd;
		close(fd);
		if (now_ms() > deadline)
			return -1;
		usleep(10000);
	}
}

static bool read_exact(int fd, void *buffer, size_t length, int timeout_ms)
{
	size_t done = 0;
	long long deadline = now_ms() + timeout_ms;

	while (done < length) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		long long left = deadline - now_ms();
		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			return false;
		ssize_t got = read(fd, (uint8_t *)buffer + done, length - done);
		if (got <= 0)
			return false;
		done += (size_t)got;
	}
	return true;
}

static bool control(const char *path, const char *command, char *reply, size_t size)
{
	int fd = unix_connect(path, 5000);
	size_t used = 0;

	reply[0] = 0;
	if (fd < 0)
		return false;
	if (write(fd, command, strlen(command)) < 0 || write(fd, "\n", 1) < 0) {
		close(fd);
		return false;
	}
	while (used < size - 1 && !strchr(reply, '\n')) {
		char byte;
		if (!read_exact(fd, &byte, 1, 5000))
			break;
		reply[used++] = byte;
		reply[used] = 0;
	}
	close(fd);
	return strchr(reply, '\n') != NULL;
}

/* A 4 KiB initrd that starts with a marker the guests print. */
static void write_initrd(char *path, size_t size)
{
	char contents[4096];

	path_in_work(path, size, "initrd.img");
	memset(contents, 'i', sizeof(contents));
	memcpy(contents, "MVM-INITRD-DATA!", 16);
	FILE *file = fopen(path, "wb");
	if (file) {
		fwrite(contents, 1, sizeof(contents), file);
		fclose(file);
	}
}

static void test_hello(void)
{
	struct guest_run run;
	char kernel[512];

	char initrd[300];
	guest_path(kernel, sizeof(kernel), "hello.elf");
	write_initrd(initrd, sizeof(initrd));
	const char *arguments[] = { "--kernel", kernel, "--cmdline", "console=ttyS0 mvm-test",
				    "--initrd", initrd, NULL };
	start_guest(&run, arguments);
	int code = finish_guest(&run, 20000);
	bool ok = check(code == 0, "exit code %d, expected 0 (power off)", code) &&
		  check(strstr(run.output, "hello from the guest") != NULL, "no greeting") &&
		  check(strstr(run.output, "cmdline: console=ttyS0 mvm-test") != NULL, "command line not passed") &&
		  check(strstr(run.output, "initrd: 4096 bytes at ") && strstr(run.output, ": MVM-INITRD-DATA"),
			"initrd not passed as PVH module") &&
		  check(strstr(run.output, "PASS") != NULL, "guest did not pass");
	report("hello: PVH guest prints over the 8250 UART; cmdline and initrd arrive", ok, &run);

	const char *reboot_arguments[] = { "--kernel", kernel, "--cmdline", "reboot", NULL };
	start_guest(&run, reboot_arguments);
	code = finish_guest(&run, 20000);
	ok = check(code == 2, "exit code %d, expected 2 (reboot)", code);
	report("hello: a reset through the i8042 ends mvm with exit code 2", ok, &run);
}

static unsigned long process_cpu_ticks(pid_t pid)
{
	char path[64], line[1024];
	unsigned long user = 0, system = 0;
	FILE *file;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	file = fopen(path, "r");
	if (!file)
		return 0;
	if (fgets(line, sizeof(line), file)) {
		char *after = strrchr(line, ')');
		if (after)
			sscanf(after + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &user, &system);
	}
	fclose(file);
	return user + system;
}

static void test_idle_and_control(void)
{
	struct guest_run run;
	char kernel[512], serial[300], control_path[300], reply[4096];

	guest_path(kernel, sizeof(kernel), "idle.elf");
	path_in_work(serial, sizeof(serial), "serial.sock");
	path_in_work(control_path, sizeof(control_path), "control.sock");
	/* no ACPI and no keyboard: "stop" has no way to ask this guest */
	const char *arguments[] = { "--kernel", kernel, "--serial", serial, "--control", control_path,
				    "--cpus", "2", "--no-acpi", NULL };
	start_guest(&run, arguments);

	/* The console socket replays what the guest printed before we attached. */
	int console = unix_connect(serial, 10000);
	char greeting[19] = { 0 };
	bool ok = check(console >= 0, "cannot attach to the serial socket") &&
		  check(read_exact(console, greeting, 18, 10000) &&
				strcmp(greeting, "idle guest halting") == 0,
			"serial socket said '%s'", greeting);
	if (console >= 0)
		close(console);
	report("serial console on a unix socket", ok, &run);

	/* Once the guest runs, the monitor is under its system call filter. */
	char status_path[64], line[256];
	bool filtered = false;
	snprintf(status_path, sizeof(status_path), "/proc/%d/status", (int)run.pid);
	FILE *status = fopen(status_path, "r");
	while (status && fgets(line, sizeof(line), status))
		if (strncmp(line, "Seccomp:", 8) == 0 && strtol(line + 8, NULL, 10) == 2)
			filtered = true;
	if (status)
		fclose(status);
	report("sandbox: the running monitor is under a seccomp filter", check(filtered, "no seccomp filter"), &run);

	usleep(300000);
	long ticks_per_second = sysconf(_SC_CLK_TCK);
	unsigned long before = process_cpu_ticks(run.pid);
	usleep(2000000);
	unsigned long used = process_cpu_ticks(run.pid) - before;
	double percent = 100.0 * (double)used / (double)ticks_per_second / 2.0;
	printf("      idle guest used %lu ticks (%.1f%% of one CPU) in 2 s\n", used, percent);
	ok = check(percent < 3.0, "idle guest used %.1f%% CPU", percent);
	report("idle: a halted guest costs no host CPU", ok, &run);

	ok = check(control(control_path, "{\"cmd\":\"status\"}", reply, sizeof(reply)) &&
			   strstr(reply, "\"state\":\"running\"") && strstr(reply, "\"vcpus\":2"),
		   "status: %s", reply) &&
	     check(control(control_path, "{\"cmd\":\"pause\"}", reply, sizeof(reply)) &&
			   strstr(reply, "\"ok\":true"), "pause: %s", reply) &&
	     check(control(control_path, "{\"cmd\":\"status\"}", reply, sizeof(reply)) &&
			   strstr(reply, "\"state\":\"paused\""), "status after pause: %s", reply) &&
	     check(control(control_path, "{\"cmd\":\"resume\"}", reply, sizeof(reply)) &&
			   strstr(reply, "\"state\":\"running\""), "resume: %s", reply) &&
	     check(control(control_path, "{\"cmd\":\"stats\"}", reply, sizeof(reply)) &&
			   strstr(reply, "\"vcpu_exits\":{") && strstr(reply, "\"io\":") &&
			   strstr(reply, "\"memory_touched_bytes\":") && strstr(reply, "\"block_read_bytes\":"),
		   "stats: %s", reply) &&
	     check(control(control_path, "{\"cmd\":\"stop\"}", reply, sizeof(reply)) &&
			   strstr(reply, "\"ok\":false"), "stop without a keyboard: %s", reply) &&
	     check(control(control_path, "{\"cmd\":\"bogus\"}", reply, sizeof(reply)) &&
			   strstr(reply, "unknown command"), "unknown command: %s", reply) &&
	     check(control(control_path, "not json at all", reply, sizeof(reply)) &&
			   strstr(reply, "\"ok\":false"), "garbage: %s", reply);
	printf("      stats: %s", reply[0] ? "" : "\n");
	control(control_path, "{\"cmd\":\"stats\"}", reply, sizeof(reply));
	printf("%s", reply);
	control(control_path, "{\"cmd\":\"kill\"}", reply, sizeof(reply));
	int code = finish_guest(&run, 10000);
	ok = ok && check(code == 3, "exit code %d after kill, expected 3", code);
	report("control socket: status, pause, resume, stats, stop, kill", ok, &run);
}

static bool make_disk(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	uint8_t pattern[512];

	if (fd < 0)
		return false;
	memset(pattern, 0xaa, sizeof(pattern));
	bool ok = ftruncate(fd, 64 << 20) == 0 && pwrite(fd, "MVMDISK0", 8, 0) == 8;
	for (unsigned sector = 8; sector < 16 && ok; sector++)
		ok = pwrite(fd, pattern, 512, sector * 512) == 512;
	close(fd);
	return ok;
}

static void test_block(void)
{
	struct guest_run run;
	char kernel[512], disk[300], disk_option[320];
	uint8_t sector[512];

	guest_path(kernel, sizeof(kernel), "blk.elf");
	path_in_work(disk, sizeof(disk), "disk.img");
	if (!make_disk(disk)) {
		report("virtio-blk: read, write, flush, discard", false, NULL);
		return;
	}
	const char *arguments[] = { "--kernel", kernel, "--disk", disk, NULL };
	start_guest(&run, arguments);
	int code = finish_guest(&run, 20000);
	int fd = open(disk, O_RDONLY);
	struct stat info;
	fstat(fd, &info);
	bool ok = check(code == 0, "exit code %d", code) &&
		  check(strstr(run.output, "PASS") != NULL, "guest did not pass") &&
		  check(pread(fd, sector, 512, 512) == 512 &&
				memcmp(sector, "written by the guest", 20) == 0,
			"sector 1 does not hold the guest's write") &&
		  check(pread(fd, sector, 512, 8 * 512) == 512 && sector[0] == 0 && sector[511] == 0,
			"discarded sector 8 is not zero") &&
		  check(info.st_blocks * 512 < (1 << 20), "image is no longer sparse (%lld blocks)",
			(long long)info.st_blocks);
	close(fd);
	report("virtio-blk: read, write, flush, discard on a sparse raw file", ok, &run);

	make_disk(disk);
	snprintf(disk_option, sizeof(disk_option), "%s,ro", disk);
	const char *read_only_arguments[] = { "--kernel", kernel, "--disk", disk_option, NULL };
	start_guest(&run, read_only_arguments);
	code = finish_guest(&run, 20000);
	fd = open(disk, O_RDONLY);
	ok = check(code == 0, "exit code %d", code) &&
	     check(strstr(run.output, "write refused on the read-only disk") != NULL, "write not refused") &&
	     check(pread(fd, sector, 512, 512) == 512 && sector[0] == 0, "read-only disk was written");
	close(fd);
	report("virtio-blk: read-only disk refuses writes", ok, &run);
}

/* A second monitor on an image in use is refused and names it; the first carries on. */
static void test_disk_lock(void)
{
	const char *name = "disk lock: a second monitor on an image in use exits with code 1 and names the image";
	struct guest_run first, second, *shown = &first;
	char ticker[512], hello[512], disk[300], read_only[320];

	guest_path(ticker, sizeof(ticker), "ticker.elf");
	guest_path(hello, sizeof(hello), "hello.elf");
	path_in_work(disk, sizeof(disk), "locked.img");
	snprintf(read_only, sizeof(read_only), "%s,ro", disk);
	if (!make_disk(disk)) {
		report(name, false, NULL);
		return;
	}
	const char *first_arguments[] = { "--kernel", ticker, "--disk", disk, NULL };
	start_guest(&first, first_arguments);
	bool ok = check(wait_for_output(&first, "tick 1\n", 20000), "the first guest does not run");
	for (unsigned i = 0; i < 2 && ok; i++) {
		const char *second_arguments[] = { "--kernel", hello, "--disk", i ? read_only : disk, NULL };
		start_guest(&second, second_arguments);
		shown = &second;
		int code = finish_guest(&second, 20000);
		ok = check(code == 1, "second monitor (%s): exit code %d, expected 1", i ? "ro" : "rw", code) &&
		     check(strstr(second.errors, disk) && strstr(second.errors, "in use"),
			   "the error does not say that the image is in use: %s", second.errors);
	}
	ok = ok && check(waitpid(first.pid, NULL, WNOHANG) == 0, "the first monitor stopped");
	kill(first.pid, SIGTERM);
	finish_guest(&first, 10000);
	report(name, ok, shown);
}

static void test_malformed_descriptors(void)
{
	struct guest_run run;
	char kernel[512], disk[300];

	guest_path(kernel, sizeof(kernel), "baddesc.elf");
	path_in_work(disk, sizeof(disk), "baddesc.img");
	make_disk(disk);
	const char *arguments[] = { "--kernel", kernel, "--disk", disk, NULL };
	start_guest(&run, arguments);
	int code = finish_guest(&run, 30000);
	unsigned reports = 0;
	for (const char *at = run.errors; (at = strstr(at, "device needs reset")); at++)
		reports++;
	bool ok = check(code == 0, "exit code %d", code) &&
		  check(strstr(run.output, "valid request served after all of it") != NULL,
			"device unusable after the malformed chains") &&
		  check(reports >= 10, "monitor reported %u broken chains, expected 10", reports);
	report("malformed descriptor chains: device error, monitor survives and reports", ok, &run);
}

static int tap_create_persistent(const char *name, bool persist)
{
	struct ifreq request;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	memset(&request, 0, sizeof(request));
	request.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(request.ifr_name, IFNAMSIZ, "%s", name);
	if (ioctl(fd, TUNSETIFF, &request) < 0 || ioctl(fd, TUNSETPERSIST, persist ? 1 : 0) < 0) {
		int ret = -errno;
		close(fd);
		return ret;
	}
	close(fd);
	return 0;
}

static void test_net(void)
{
	struct guest_run run;
	char kernel[512], tap[IFNAMSIZ];
	uint8_t frame[2048];

	snprintf(tap, sizeof(tap), "mvmtest%d", (int)(getpid() % 10000));
	int ret = tap_create_persistent(tap, true);
	if (ret < 0) {
		skip("virtio-net: frame from the guest on the tap", strerror(-ret));
		return;
	}
	int packet = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	struct ifreq request;
	memset(&request, 0, sizeof(request));
	snprintf(request.ifr_name, IFNAMSIZ, "%s", tap);
	bool ready = packet >= 0 && ioctl(packet, SIOCGIFFLAGS, &request) == 0;
	request.ifr_flags |= IFF_UP;
	ready = ready && ioctl(packet, SIOCSIFFLAGS, &request) == 0;

	ready = ready && ioctl(packet, SIOCGIFINDEX, &request) == 0;
	int index = ready ? request.ifr_ifindex : 0;
	struct sockaddr_ll link = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				    .sll_ifindex = index };
	ready = ready && index > 0 && bind(packet, (struct sockaddr *)&link, sizeof(link)) == 0;
	if (!ready) {
		skip("virtio-net: frame from the guest on the tap", "cannot open a packet socket on the tap");
		if (packet >= 0)
			close(packet);
		tap_create_persistent(tap, false);
		return;
	}

	guest_path(kernel, sizeof(kernel), "net.elf");
	const char *arguments[] = { "--kernel", kernel, "--tap", tap, NULL };
	start_guest(&run, arguments);
	bool seen = false;
	long long deadline = now_ms() + 20000;
	while (!seen && now_ms() < deadline) {
		struct pollfd pfd = { packet, POLLIN, 0 };
		drain(&run, 0);
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		ssize_t got = recv(packet, frame, sizeof(frame), 0);
		if (got >= 14 + 24 && frame[12] == 0x88 && frame[13] == 0xb5 &&
		    memcmp(frame + 14, "mvm frame from the guest", 24) == 0)
			seen = true;
	}
	if (seen) {
		uint8_t reply[64];
		memset(reply, 0, sizeof(reply));
		memcpy(reply, frame + 6, 6);               /* to the guest */
		memcpy(reply + 6, "\x02\x00\x00\x00\x00\x01", 6);
		reply[12] = 0x88;
		reply[13] = 0xb5;
		memcpy(reply + 14, "mvm reply from the host", 24);
		link.sll_halen = 6;
		memcpy(link.sll_addr, frame + 6, 6);
		if (sendto(packet, reply, sizeof(reply), 0, (struct sockaddr *)&link, sizeof(link)) < 0)
			perror("sendto");
	}
	int code = finish_guest(&run, 20000);
	bool ok = check(seen, "no frame from the guest on %s", tap) &&
		  check(code == 0 && strstr(run.output, "reply received"), "guest did not get the reply (exit %d)", code);
	close(packet);
	tap_create_persistent(tap, false);
	report("virtio-net: guest frame seen on the tap, host frame reaches the guest", ok, &run);
}

static unsigned long long stats_value(const char *reply, const char *key)
{
	const char *found = strstr(reply, key);
	return found ? strtoull(found + strlen(key), NULL, 10) : 0;
}

static void test_balloon(void)
{
	struct guest_run run;
	char kernel[512], control_path[300], reply[4096];

	guest_path(kernel, sizeof(kernel), "balloon.elf");
	path_in_work(control_path, sizeof(control_path), "balloon-control.sock");
	const char *arguments[] = { "--kernel", kernel, "--balloon", "--control", control_path, NULL };
	start_guest(&run, arguments);
	bool ok = check(wait_for_output(&run, "touched 8 MiB", 20000), "guest did not touch its memory") &&
		  check(control(control_path, "{\"cmd\":\"stats\"}", reply, sizeof(reply)), "stats");
	unsigned long long before = stats_value(reply, "\"memory_touched_bytes\":");
	ok = ok && check(control(control_path, "{\"cmd\":\"balloon\",\"target_mib\":8}", reply, sizeof(reply)) &&
				 strstr(reply, "\"ok\":true"), "balloon: %s", reply) &&
	     check(wait_for_output(&run, "inflated 2048 pages", 20000), "guest did not inflate") &&
	     check(control(control_path, "{\"cmd\":\"stats\"}", reply, sizeof(reply)), "stats");
	unsigned long long after = stats_value(reply, "\"memory_touched_bytes\":");
	printf("      guest memory touched: %llu KiB before, %llu KiB after inflating 8 MiB\n", before >> 10,
	       after >> 10);
	ok = ok && check(before >= (8ULL << 20) && before - after >= (7ULL << 20),
			 "host memory did not drop (%llu -> %llu)", before, after) &&
	     check(control(control_path, "{\"cmd\":\"balloon\",\"target_mib\":8}", reply, sizeof(reply)) &&
			   strstr(reply, "\"actual_mib\":8"), "actual: %s", reply);
	report("virtio-balloon: inflated pages go back to the host", ok, &run);

	/* This guest ignores "stop": with a timeout mvm ends it anyway. */
	long long asked_at = now_ms();
	ok = check(control(control_path, "{\"cmd\":\"stop\",\"timeout_s\":1}", reply, sizeof(reply)) &&
			   strstr(reply, "\"kill_after_s\":1"), "stop: %s", reply);
	int code = finish_guest(&run, 10000);
	long long took = now_ms() - asked_at;
	ok = ok && check(code == 3 && took >= 900 && took < 5000,
			 "exit code %d after %lld ms, expected 3 after about 1 s", code, took);
	report("control stop with a timeout ends a guest that does not stop", ok, &run);
}

static void test_rng_and_console(void)
{
	struct guest_run run;
	char kernel[512], console_path[300], serial_path[300], text[64] = { 0 };
	static char serial_output[4096];
	static const char greeting[] = "hello over virtio-console\n";

	guest_path(kernel, sizeof(kernel), "misc.elf");
	path_in_work(console_path, sizeof(console_path), "vconsole.sock");
	path_in_work(serial_path, sizeof(serial_path), "misc-serial.sock");
	const char *arguments[] = { "--kernel", kernel, "--rng", "--virtio-console", console_path,
				    "--serial", serial_path, NULL };
	start_guest(&run, arguments);
	int fd = unix_connect(console_path, 10000);
	bool ok = check(fd >= 0, "cannot attach to the virtio console socket") &&
		  check(read_exact(fd, text, sizeof(greeting) - 1, 10000) && strcmp(text, greeting) == 0,
			"virtio console said '%s'", text) &&
		  check(write(fd, "ping from the host\n", 19) == 19, "write");

	/* Serial: wait for the prompt, then send more than the FIFO holds. */
	int serial = ok ? unix_connect(serial_path, 10000) : -1;
	size_t used = 0;
	bool sent = false;
	long long deadline = now_ms() + 20000;
	while (serial >= 0 && now_ms() < deadline && !strstr(serial_output, "PASS")) {
		char byte;
		if (!read_exact(serial, &byte, 1, 1000))
			continue;
		if (used < sizeof(serial_output) - 1)
			serial_output[used++] = byte;
		if (!sent && strstr(serial_output, "send 200 bytes\n")) {
			char burst[200];
			for (unsigned i = 0; i < sizeof(burst); i++)
				burst[i] = (char)('A' + i % 26);
			sent = write(serial, burst, sizeof(burst)) == sizeof(burst);
		}
	}
	int code = finish_guest(&run, 20000);
	ok = ok && check(code == 0, "exit code %d", code) &&
	     check(strstr(serial_output, "rng: 64 random bytes") != NULL, "rng") &&
	     check(strstr(serial_output, "virtio-console received: ping from the host") != NULL,
		   "host line did not reach the guest") &&
	     check(strstr(serial_output, "uart received 200 bytes, 0 wrong") != NULL,
		   "serial input beyond the FIFO was lost");
	if (!ok)
		fprintf(stderr, "    serial output: %s\n", serial_output);
	if (fd >= 0)
		close(fd);
	if (serial >= 0)
		close(serial);
	report("virtio-rng, virtio-console, and 8250 input beyond its FIFO", ok, &run);
}

static void test_config_file(void)
{
	struct guest_run run;
	char kernel[512], config_path[300];

	guest_path(kernel, sizeof(kernel), "hello.elf");
	path_in_work(config_path, sizeof(config_path), "vm.conf");
	FILE *file = fopen(config_path, "w");
	if (!file) {
		report("config file", false, NULL);
		return;
	}
	fprintf(file, "# a VM described in a file\nkernel = %s\ncmdline = from the config file\n"
		      "memory = 64\ncpus = 2\nksm = yes\nrng = yes\nno-acpi = yes\n", kernel);
	fclose(file);
	const char *arguments[] = { "--config", config_path, NULL };
	start_guest(&run, arguments);
	int code = finish_guest(&run, 20000);
	bool ok = check(code == 0, "exit code %d", code) &&
		  check(strstr(run.output, "cmdline: from the config file virtio_mmio.device=4K@0xd0000000:5") != NULL,
			"config file options not applied (without ACPI the devices are on the command line)");
	report("config file: options from name = value lines", ok, &run);
}

static void test_pause(void)
{
	struct guest_run run;
	char kernel[512], control_path[300], reply[1024];

	guest_path(kernel, sizeof(kernel), "ticker.elf");
	path_in_work(control_path, sizeof(control_path), "ticker-control.sock");
	const char *arguments[] = { "--kernel", kernel, "--control", control_path, NULL };
	start_guest(&run, arguments);
	bool ok = check(wait_for_output(&run, "tick 3\n", 20000), "guest does not tick") &&
		  check(control(control_path, "{\"cmd\":\"pause\"}", reply, sizeof(reply)) &&
				strstr(reply, "\"ok\":true"), "pause: %s", reply);
	drain(&run, 100);
	size_t paused_length = run.output_length;
	long long until = now_ms() + 600;
	while (now_ms() < until)
		drain(&run, 50);
	ok = ok && check(run.output_length == paused_length, "the guest kept running while paused");
	size_t resumed_length = run.output_length;
	ok = ok && check(control(control_path, "{\"cmd\":\"resume\"}", reply, sizeof(reply)), "resume");
	until = now_ms() + 5000;
	while (ok && now_ms() < until && run.output_length == resumed_length)
		drain(&run, 50);
	ok = ok && check(run.output_length > resumed_length, "the guest did not run again after resume");
	control(control_path, "{\"cmd\":\"kill\"}", reply, sizeof(reply));
	finish_guest(&run, 10000);
	report("control pause stops the vCPUs, resume starts them again", ok, &run);
}

static void test_acpi(void)
{
	struct guest_run run;
	char kernel[512], control_path[300], reply[1024];

	guest_path(kernel, sizeof(kernel), "acpi.elf");
	path_in_work(control_path, sizeof(control_path), "acpi-control.sock");
	const char *arguments[] = { "--kernel", kernel, "--acpi", "--cpus", "2", "--control", control_path, NULL };
	start_guest(&run, arguments);
	bool ok = check(wait_for_output(&run, "acpi ready", 20000), "guest did not find its ACPI tables") &&
		  check(strstr(run.output, "acpi: 2 cpus in the MADT, PM1a at 0x600/0x604, S5 sleep type 5") != NULL,
			"tables") &&
		  check(control(control_path, "{\"cmd\":\"stop\"}", reply, sizeof(reply)) &&
				strstr(reply, "\"requested\":\"acpi-power-button\""), "stop: %s", reply);
	int code = finish_guest(&run, 20000);
	ok = ok && check(code == 0 && strstr(run.output, "power button pressed"),
			 "guest did not power off through S5 (exit %d)", code);
	report("ACPI: tables, power button on stop, S5 powers off (exit code 0)", ok, &run);
}

static void test_smp(void)
{
	struct guest_run run;
	char kernel[512];

	guest_path(kernel, sizeof(kernel), "smp.elf");
	const char *arguments[] = { "--kernel", kernel, "--cpus", "2", NULL };
	start_guest(&run, arguments);
	int code = finish_guest(&run, 20000);
	bool ok = check(code == 0, "exit code %d", code) &&
		  check(strstr(run.output, "MP table lists 2 processors") != NULL, "MP table") &&
		  check(strstr(run.output, "cpu 1 up (local APIC id 1)") != NULL, "AP did not start") &&
		  check(strstr(run.output, "2 cpus running") != NULL, "not all cpus running");
	report("smp: 2 vCPUs found through the MP table and started with INIT/SIPI", ok, &run);
}

static uint32_t test_pixel(uint32_t x, uint32_t y, uint32_t height)
{
	if (y < height / 2)
		return 0x00336699;
	return ((x * 7) & 0xff) << 16 | ((y * 3) & 0xff) << 8 | 0x80;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t get_pixel(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16; /* server format: LE, 24 bits */
}

/* Reads one FramebufferUpdate into pixels; counts rectangles by encoding. */
static bool rfb_read_update(int fd, uint32_t *pixels, unsigned width, unsigned height,
			    unsigned *raw_rects, unsigned *rre_rects)
{
	uint8_t header[4], rect[12];

	if (!read_exact(fd, header, 4, 10000) || header[0] != 0)
		return false;
	unsigned count = get16(header + 2);
	for (unsigned r = 0; r < count; r++) {
		if (!read_exact(fd, rect, 12, 10000))
			return false;
		unsigned x = get16(rect), y = get16(rect + 2), w = get16(rect + 4), h = get16(rect + 6);
		uint32_t encoding = get32(rect + 8);
		if (x + w > width || y + h > height)
			return false;
		if (encoding == 0) {
			uint8_t *data = malloc((size_t)w * h * 4);
			if (!data || !read_exact(fd, data, (size_t)w * h * 4, 10000)) {
				free(data);
				return false;
			}
			for (unsigned row = 0; row < h; row++)
				for (unsigned column = 0; column < w; column++)
					pixels[(y + row) * width + x + column] =
						get_pixel(data + 4 * ((size_t)row * w + column));
			free(data);
			(*raw_rects)++;
		} else if (encoding == 2) {
			uint8_t head[8], sub[12];
			if (!read_exact(fd, head, 8, 10000))
				return false;
			uint32_t subrects = get32(head), background = get_pixel(head + 4);
			for (unsigned row = 0; row < h; row++)
				for (unsigned column = 0; column < w; column++)
					pixels[(y + row) * width + x + column] = background;
			for (uint32_t s = 0; s < subrects; s++) {
				if (!read_exact(fd, sub, 12, 10000))
					return false;
				uint32_t colour = get_pixel(sub);
				unsigned sx = get16(sub + 4), sy = get16(sub + 6), sw = get16(sub + 8), sh = get16(sub + 10);
				if (sx + sw > w || sy + sh > h)
					return false;
				for (unsigned row = 0; row < sh; row++)
					for (unsigned column = 0; column < sw; column++)
						pixels[(y + sy + row) * width + x + sx + column] = colour;
			}
			(*rre_rects)++;
		} else {
			return false;
		}
	}
	return true;
}

static void test_framebuffer_vnc(void)
{
	struct guest_run run;
	char kernel[512], vnc[300], control_path[300], reply[1024];
	const unsigned width = 160, height = 120;
	uint8_t buffer[64];

	guest_path(kernel, sizeof(kernel), "fb.bzimage");
	path_in_work(vnc, sizeof(vnc), "vnc.sock");
	path_in_work(control_path, sizeof(control_path), "fb-control.sock");
	char initrd[300];
	write_initrd(initrd, sizeof(initrd));
	const char *arguments[] = { "--kernel", kernel, "--vnc", vnc, "--framebuffer", "160x120",
				    "--cmdline", "mvm-bzimage-test", "--control", control_path,
				    "--initrd", initrd, NULL };
	start_guest(&run, arguments);
	bool ok = check(wait_for_output(&run, "drawn", 30000), "guest did not draw") &&
		  check(strstr(run.output, "cmdline: mvm-bzimage-test") != NULL, "bzImage command line") &&
		  check(strstr(run.output, "initrd: 4096 bytes at ") && strstr(run.output, ": MVM-INITRD-DATA"),
			"initrd not passed in boot_params");
	report("bzImage: 64-bit boot protocol entry with boot_params, e820, cmdline, initrd", ok, &run);

	int fd = ok ? unix_connect(vnc, 5000) : -1;
	uint32_t *pixels = calloc(width * height, 4);
	unsigned raw_rects = 0, rre_rects = 0, wrong = 0;
	ok = check(fd >= 0, "cannot connect to the RFB socket") &&
	     check(read_exact(fd, buffer, 12, 5000) && memcmp(buffer, "RFB 003.008\n", 12) == 0, "version") &&
	     check(write(fd, "RFB 003.008\n", 12) == 12, "write") &&
	     check(read_exact(fd, buffer, 2, 5000) && buffer[0] == 1 && buffer[1] == 1, "security types") &&
	     check(write(fd, "\x01", 1) == 1, "write") &&
	     check(read_exact(fd, buffer, 4, 5000) && get32(buffer) == 0, "security result") &&
	     check(write(fd, "\x01", 1) == 1, "write") &&
	     check(read_exact(fd, buffer, 24, 5000) && get16(buffer) == width && get16(buffer + 2) == height,
		   "ServerInit size") &&
	     check(read_exact(fd, buffer + 24, get32(buffer + 20), 5000), "ServerInit name");
	if (ok) {
		/* SetEncodings: RRE, then raw; then a full FramebufferUpdateRequest. */
		static const uint8_t set_encodings[] = { 2, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 0 };
		uint8_t request[10] = { 3, 0, 0, 0, 0, 0, 0, (uint8_t)width, 0, (uint8_t)height };
		ok = check(write(fd, set_encodings, sizeof(set_encodings)) == sizeof(set_encodings) &&
				   write(fd, request, sizeof(request)) == sizeof(request), "write") &&
		     check(rfb_read_update(fd, pixels, width, height, &raw_rects, &rre_rects), "bad update");
		for (unsigned y = 0; ok && y < height; y++)
			for (unsigned x = 0; x < width; x++)
				if (pixels[y * width + x] != test_pixel(x, y, height))
					wrong++;
		ok = ok && check(wrong == 0, "%u pixels differ from what the guest drew", wrong) &&
		     check(rre_rects > 0, "no RRE rectangles");
		printf("      RFB update: %u RRE and %u raw rectangles, %u wrong pixels\n", rre_rects, raw_rects, wrong);
	}
	report("framebuffer: guest pixels read back through the RFB server (raw + RRE)", ok, &run);

	/* A second client that speaks garbage is dropped; the first one and the VM carry on. */
	int rogue = ok ? unix_connect(vnc, 5000) : -1;
	bool rogue_ok = false;
	if (rogue >= 0) {
		static const uint8_t garbage[] = "RFB 003.008\n\x01\x01\xff\xff\xff\xff";
		uint8_t sink[64];
		rogue_ok = write(rogue, garbage, sizeof(garbage) - 1) == (ssize_t)(sizeof(garbage) - 1);
		/* Read until the server hangs up on us. */
		long long deadline = now_ms() + 5000;
		bool closed = false;
		while (!closed && now_ms() < deadline) {
			struct pollfd pfd = { rogue, POLLIN, 0 };
			if (poll(&pfd, 1, 200) > 0 && read(rogue, sink, sizeof(sink)) <= 0)
				closed = true;
		}
		rogue_ok = check(rogue_ok && closed, "the server kept a client that sent garbage");
		close(rogue);
	}
	report("RFB: a client sending garbage is dropped, the VM carries on", rogue_ok, &run);

	bool input_ok = false;
	if (ok) {
		static const uint8_t key_down[8] = { 4, 1, 0, 0, 0, 0, 0, 'a' };
		static const uint8_t key_up[8] = { 4, 0, 0, 0, 0, 0, 0, 'a' };
		static const uint8_t click[6] = { 5, 1, 0, 40, 0, 30 };
		static const uint8_t release[6] = { 5, 0, 0, 40, 0, 30 };
		input_ok = write(fd, key_down, 8) == 8 && write(fd, key_up, 8) == 8 &&
			   write(fd, click, 6) == 6 && write(fd, release, 6) == 6;
	}
	input_ok = check(input_ok && wait_for_output(&run, "input ok", 20000),
			 "key and pointer events did not reach the guest");
	report("RFB key and pointer events reach the guest through virtio-input", input_ok, &run);

	/* The key made the guest draw a red box: an incremental update carries just that. */
	bool incremental_ok = false;
	if (input_ok && wait_for_output(&run, "box drawn", 5000)) {
		uint8_t request[10] = { 3, 1, 0, 0, 0, 0, 0, (uint8_t)width, 0, (uint8_t)height };
		unsigned before = raw_rects + rre_rects;
		incremental_ok = write(fd, request, sizeof(request)) == sizeof(request) &&
				 rfb_read_update(fd, pixels, width, height, &raw_rects, &rre_rects);
		unsigned red = 0;
		for (unsigned y = 0; y < 8; y++)
			for (unsigned x = 0; x < 8; x++)
				red += pixels[y * width + x] == 0x00ff0000;
		incremental_ok = check(incremental_ok && red == 64, "incremental update: %u of 64 red pixels", red) &&
				 check(raw_rects + rre_rects - before == 1, "incremental update sent %u rectangles, expected 1",
				       raw_rects + rre_rects - before);
	}
	report("RFB incremental update: only what the guest changed (KVM dirty log)", incremental_ok, &run);

	bool stop_ok = input_ok &&
		       check(control(control_path, "{\"cmd\":\"stop\"}", reply, sizeof(reply)) &&
				     strstr(reply, "\"ok\":true"), "stop: %s", reply);
	int code = finish_guest(&run, 20000);
	stop_ok = stop_ok && check(code == 0 && strstr(run.output, "power key pressed"),
				   "guest did not power off after stop (exit %d)", code);
	report("control stop: the guest gets a power key and powers off", stop_ok, &run);
	if (fd >= 0)
		close(fd);
	free(pixels);
}

/* Whether the guest printed DEVICE's negotiated features (sysfs: one character per bit) with bit set. */
static bool driver_has_feature(const char *output, const char *device, unsigned bit)
{
	char needle[64];
	snprintf(needle, sizeof(needle), "stock-initramfs: %s features ", device);
	const char *at = strstr(output, needle);
	if (!at)
		return false;
	at += strlen(needle);
	return strlen(at) > bit && at[bit] == '1';
}

/* Bit 29: VIRTIO_RING_F_EVENT_IDX. */
static bool driver_uses_event_index(const char *output, const char *device)
{
	return driver_has_feature(output, device, 29);
}

/*
 * The host's end of the stock guest's TCP exchange over its virtio-net: the
 * guest sends STOCK_TCP_BYTES to the host, then the host sends as many to the
 * guest. Runs on a thread of its own while the test reads the console.
 */
#define STOCK_HOST_ADDRESS "198.18.5.1"
#define STOCK_GUEST_ADDRESS "198.18.5.2"
#define STOCK_TCP_BYTES (1 << 20)

struct tcp_peer {
	int listener;
	long long received;  /* from the guest */
	long long sent;      /* to the guest */
};

static bool tap_configure(const char *tap, const char *address)
{
	struct ifreq request;
	struct sockaddr_in *inet = (struct sockaddr_in *)&request.ifr_addr;
	int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool ok = sock >= 0;

	memset(&request, 0, sizeof(request));
	snprintf(request.ifr_name, IFNAMSIZ, "%s", tap);
	inet->sin_family = AF_INET;
	inet_pton(AF_INET, address, &inet->sin_addr);
	ok = ok && ioctl(sock, SIOCSIFADDR, &request) == 0;
	inet_pton(AF_INET, "255.255.255.0", &inet->sin_addr);
	ok = ok && ioctl(sock, SIOCSIFNETMASK, &request) == 0;
	ok = ok && ioctl(sock, SIOCGIFFLAGS, &request) == 0;
	request.ifr_flags |= IFF_UP;
	ok = ok && ioctl(sock, SIOCSIFFLAGS, &request) == 0;
	if (sock >= 0)
		close(sock);
	return ok;
}

static void *tcp_peer_run(void *argument)
{
	struct tcp_peer *peer = argument;
	static char buffer[65536];
	struct pollfd ready = { peer->listener, POLLIN, 0 };

	if (poll(&ready, 1, 150000) == 1) {
		int connection = accept4(peer->listener, NULL, NULL, SOCK_CLOEXEC);
		struct timeval timeout = { .tv_sec = 60 };
		setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
		ssize_t got;
		while (connection >= 0 && (got = read(connection, buffer, sizeof(buffer))) > 0)
			peer->received += got;
		if (connection >= 0)
			close(connection);
	}
	struct sockaddr_in guest = { .sin_family = AF_INET, .sin_port = htons(7002) };
	inet_pton(AF_INET, STOCK_GUEST_ADDRESS, &guest.sin_addr);
	memset(buffer, 'm', sizeof(buffer));
	long long deadline = now_ms() + 60000;
	while (now_ms() < deadline) {
		int connection = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (connect(connection, (struct sockaddr *)&guest, sizeof(guest)) == 0) {
			while (peer->sent < STOCK_TCP_BYTES) {
				ssize_t wrote = write(connection, buffer, sizeof(buffer));
				if (wrote <= 0)
					break;
				peer->sent += wrote;
			}
			close(connection);
			break;
		}
		close(connection);
		usleep(100 * 1000);
	}
	return NULL;
}

/*
 * Debian's stock kernel, unmodified, with Debian's own virtio_mmio, virtio_blk,
 * virtio_net and ext4 modules (tests/stock/build.sh): nothing on the command
 * line says where the devices are, so the kernel must find them in the DSDT.
 * The root file system on the virtio disk runs an init that prints a marker.
 */
static void test_stock_kernel(void)
{
	const char *name = "stock kernel: Debian's kernel finds virtio-blk and virtio-net through ACPI, "
			   "mounts root from the disk, runs its init";
	struct guest_run run;
	char kernel[512], initrd[512], disk[520], tap[IFNAMSIZ], tap_argument[64];
	struct stat info;

	snprintf(kernel, sizeof(kernel), "%s/stock/vmlinuz", build_directory);
	snprintf(initrd, sizeof(initrd), "%s/stock/initrd", build_directory);
	snprintf(disk, sizeof(disk), "%s/stock/root.img,ro", build_directory);
	if (stat(kernel, &info) < 0) {
		skip(name, "no stock kernel was built (tests/stock/build.sh)");
		return;
	}
	/* The TCP exchange stays in a network namespace of this process's own (tests after this one share it). */
	if (unshare(CLONE_NEWNET) < 0) {
		skip(name, "no network namespace of its own");
		return;
	}
	snprintf(tap, sizeof(tap), "mvmstock%d", (int)(getpid() % 10000));
	int ret = tap_create_persistent(tap, true);
	if (ret < 0) {
		skip(name, strerror(-ret));
		return;
	}
	struct tcp_peer peer = { .listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0) };
	struct sockaddr_in listen_address = { .sin_family = AF_INET, .sin_port = htons(7001) };
	inet_pton(AF_INET, STOCK_HOST_ADDRESS, &listen_address.sin_addr);
	pthread_t peer_thread;
	if (!tap_configure(tap, STOCK_HOST_ADDRESS) ||
	    bind(peer.listener, (struct sockaddr *)&listen_address, sizeof(listen_address)) < 0 ||
	    listen(peer.listener, 1) < 0 || pthread_create(&peer_thread, NULL, tcp_peer_run, &peer) != 0) {
		report(name, check(false, "cannot set up the host's end of the network: %s", strerror(errno)), NULL);
		tap_create_persistent(tap, false);
		return;
	}
	snprintf(tap_argument, sizeof(tap_argument), "%s,mac=52:54:00:12:34:56", tap);
	char control_path[300], stats[4096] = "";
	path_in_work(control_path, sizeof(control_path), "stock-control.sock");
	const char *arguments[] = { "--kernel", kernel, "--initrd", initrd, "--disk", disk, "--tap", tap_argument,
				    "--memory", "256", "--cmdline", "console=ttyS0 panic=-1 quiet",
				    "--control", control_path, NULL };
	long long started = now_ms();
	start_guest(&run, arguments);
	bool booted = wait_for_output(&run, "stock-root: init of the disk ran", 180000);
	long long elapsed = now_ms() - started;
	/* The disk's init waits 2 s before it powers off: time to ask how the devices were driven. */
	bool stats_read = booted && control(control_path, "{\"cmd\":\"stats\"}", stats, sizeof(stats));
	int code = finish_guest(&run, 30000);
	pthread_join(peer_thread, NULL);
	close(peer.listener);
	char received_line[96];
	snprintf(received_line, sizeof(received_line), "stock-root: received %d bytes over TCP", STOCK_TCP_BYTES);
	bool ok = check(booted, "the disk's init did not run") &&
		  check(strstr(run.output, "ACPI device LNRO0005:00 bound to virtio-mmio") &&
				strstr(run.output, "ACPI device LNRO0005:01 bound to virtio-mmio"),
			"the virtio-mmio devices were not found through ACPI") &&
		  check(strstr(run.output, "virtio_blk virtio0: [vda]") != NULL, "no virtio-blk disk in the kernel log") &&
		  check(strstr(run.output, "stock-root: root file system /dev/vda ext4") != NULL,
			"root is not the virtio disk") &&
		  check(strstr(run.output, "stock-root: interface eth0 driver virtio_net") != NULL, "no virtio-net eth0") &&
		  check(strstr(run.output, "stock-root: command line console=ttyS0 panic=-1 quiet") != NULL &&
				!strstr(run.output, "virtio_mmio.device="),
			"the command line is not what was given") &&
		  check(code == 0, "the guest did not power off (exit %d)", code) &&
		  check(driver_uses_event_index(run.output, "virtio0") && driver_uses_event_index(run.output, "virtio1"),
			"Linux's virtio drivers did not take VIRTIO_RING_F_EVENT_IDX") &&
		  check(stats_read, "no stats from the control socket") &&
		  check(stats_value(stats, "\"block_read_bytes\":") > 0 &&
				stats_value(stats, "\"virtio_notifications_by_ioeventfd\":") > 0 &&
				stats_value(stats, "\"virtio_interrupts_by_irqfd\":") > 0,
			"queue notifications and interrupts did not go through ioeventfd and irqfd: %s", stats) &&
		  check(peer.received == STOCK_TCP_BYTES && peer.sent == STOCK_TCP_BYTES &&
				strstr(run.output, received_line) != NULL,
			"TCP over virtio-net: the host received %lld and sent %lld bytes of %d", peer.received,
			peer.sent, STOCK_TCP_BYTES) &&
		  check(driver_has_feature(run.output, "virtio1", VIRTIO_NET_F_CSUM) &&
				driver_has_feature(run.output, "virtio1", VIRTIO_NET_F_GUEST_CSUM) &&
				driver_has_feature(run.output, "virtio1", VIRTIO_NET_F_HOST_TSO4) &&
				driver_has_feature(run.output, "virtio1", VIRTIO_NET_F_GUEST_TSO4),
			"Linux's virtio_net did not take the checksum and TSO offloads") &&
		  /* Whether the guest's TCP sends frames above one MSS depends on its pacing, which
		   * emulation slows down: the offloads taken and TSO frames one way at least are what
		   * a run can count on (the net-tap unit suite checks both directions' headers). */
		  check(stats_value(stats, "\"net_tx_segmented_frames\":") > 0 ||
				stats_value(stats, "\"net_rx_segmented_frames\":") > 0,
			"no TCP segmentation offload in either direction: %s", stats);
	if (stats_read)
		printf("      irqfd interrupts %llu, ioeventfd notifications %llu, MMIO exits %llu\n",
		       stats_value(stats, "\"virtio_interrupts_by_irqfd\":"),
		       stats_value(stats, "\"virtio_notifications_by_ioeventfd\":"),
		       stats_value(stats, "\"mmio\":"));
	if (stats_read)
		printf("      TCP: %lld bytes guest to host, %lld host to guest; frames of up to 64 KiB (TSO): "
		       "%llu from the guest, %llu to it\n", peer.received, peer.sent,
		       stats_value(stats, "\"net_tx_segmented_frames\":"),
		       stats_value(stats, "\"net_rx_segmented_frames\":"));
	if (ok)
		printf("      Debian's kernel reached the disk's init %lld ms after mvm started\n", elapsed);
	tap_create_persistent(tap, false);
	report(name, ok, &run);

	/* The bzImage header's cmdline_size bounds the command line: a clear error, no boot. */
	static char long_cmdline[4096];
	memset(long_cmdline, 'x', sizeof(long_cmdline) - 1);
	const char *too_long[] = { "--kernel", kernel, "--cmdline", long_cmdline, NULL };
	start_guest(&run, too_long);
	code = finish_guest(&run, 10000);
	report("stock kernel: a command line longer than the kernel's cmdline_size is refused",
	       check(code == 1 && strstr(run.errors, "this kernel accepts at most"),
		     "exit %d", code), &run);
}

/*
 * The Debian VM image (scripts/build-image.sh debian-vm): Debian 12 with
 * systemd, cloud-init and openssh-server on an ext4 root without a partition
 * table, booted the way the agent boots it. The test's side of the tap plays
 * the host's network: a DHCP server and the NoCloud seed at 169.254.169.254,
 * both busybox's (udhcpd, httpd).
 */
#define DEBIAN_HOST_ADDRESS "10.0.2.2"
#define DEBIAN_GUEST_ADDRESS "10.0.2.15"
#define DEBIAN_HOSTNAME "mvm-debian-test"
#define DEBIAN_MARKER "mvm-debian: the runcmd of the NoCloud user-data ran"
/* The agent's command line (VmImageBuilder.DEBIAN_VM_CMDLINE and MetadataService.NOCLOUD_SEED). */
#define DEBIAN_CMDLINE "root=/dev/vda ro console=ttyS0 ds=nocloud-net;s=http://169.254.169.254/nocloud/"

static const char debian_meta_data[] =
	"instance-id: " DEBIAN_HOSTNAME "-1\n"
	"local-hostname: " DEBIAN_HOSTNAME "\n";

/* Only a public key: the test reads sshd's banner and never logs in. */
static const char debian_user_data[] =
	"#cloud-config\n"
	"ssh_authorized_keys:\n"
	"  - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICWiMJtLnc/1J9S/Qr8QPPDQjfVpKMLYiBZtUWDRDDn+ mvm-guest-test\n"
	"runcmd:\n"
	"  - |\n"
	"    {\n"
	"    echo \"mvm-debian: hostname $(hostname)\"\n"
	"    for device in /sys/bus/platform/drivers/virtio-mmio/LNRO0005:*; do\n"
	"        echo \"mvm-debian: ACPI device ${device##*/} bound to virtio-mmio\"\n"
	"    done\n"
	"    echo \"mvm-debian: root $(awk '$2 == \"/\" { print $1, $3 }' /proc/mounts)\"\n"
	"    echo \"mvm-debian: pid 1 is $(cat /proc/1/comm)\"\n"
	"    echo \"mvm-debian: multi-user.target $(systemctl is-active multi-user.target)\"\n"
	"    echo \"mvm-debian: addresses $(ip -4 -o addr show scope global | awk '{ print $2, $4 }')\"\n"
	"    echo \"mvm-debian: root's authorized keys from the user-data: $(grep -c mvm-guest-test /root/.ssh/authorized_keys)\"\n"
	"    echo \"mvm-debian: command line $(cat /proc/cmdline)\"\n"
	"    echo \"" DEBIAN_MARKER "\"\n"
	"    } > /dev/ttyS0 2>&1\n";

static const char *busybox(void)
{
	const char *path = getenv("MVM_BUSYBOX");
	return path && *path ? path : "/bin/busybox";
}

/* Starts busybox APPLET ARGUMENTS... with its output appended to LOG; returns its pid. */
static pid_t busybox_start(const char *log, const char *const *arguments)
{
	char *argv[16];
	unsigned count = 0;

	argv[count++] = (char *)(uintptr_t)busybox();
	for (unsigned i = 0; arguments[i] && count < 15; i++)
		argv[count++] = (char *)(uintptr_t)arguments[i];
	argv[count] = NULL;
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open(log ? log : "/dev/null", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		int null = open("/dev/null", O_RDONLY);
		dup2(null, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

static bool busybox_run(const char *const *arguments)
{
	int status;
	pid_t pid = busybox_start(NULL, arguments);
	return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static bool write_file(const char *path, const char *contents)
{
	FILE *file = fopen(path, "w");
	bool ok = file && fputs(contents, file) >= 0;
	if (file && fclose(file) != 0)
		ok = false;
	return ok;
}

/* Copies FROM's data into a new file TO of the same size, leaving FROM's holes as holes. */
static bool copy_sparse(const char *from, const char *to)
{
	int in = open(from, O_RDONLY | O_CLOEXEC);
	int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	struct stat info;
	bool ok = in >= 0 && out >= 0 && fstat(in, &info) == 0 && ftruncate(out, info.st_size) == 0;
	off_t data = 0;

	while (ok && (data = lseek(in, data, SEEK_DATA)) >= 0) {
		off_t hole = lseek(in, data, SEEK_HOLE);
		ok = hole > data;
		while (ok && data < hole) {
			off_t in_at = data, out_at = data;
			ssize_t copied = copy_file_range(in, &in_at, out, &out_at, (size_t)(hole - data), 0);
			ok = copied > 0;
			data += copied;
		}
	}
	ok = ok && errno == ENXIO;
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out) != 0)
		ok = false;
	return ok;
}

/* The serial output without terminal escape sequences (systemd colours its status lines). */
static void strip_escapes(const char *in, char *out, size_t size)
{
	size_t used = 0;

	while (*in && used < size - 1) {
		if (in[0] == '\033' && in[1] == '[') {
			in += 2;
			while (*in && !((*in >= 'a' && *in <= 'z') || (*in >= 'A' && *in <= 'Z')))
				in++;
			if (*in)
				in++;
		} else if (*in == '\r') {
			in++;
		} else {
			out[used++] = *in++;
		}
	}
	out[used] = 0;
}

static void read_small_file(const char *path, char *buffer, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t got = fd >= 0 ? read(fd, buffer, size - 1) : -1;

	buffer[got > 0 ? got : 0] = 0;
	if (fd >= 0)
		close(fd);
}

/* Reads the first line that the server at ADDRESS:PORT sends, retrying the connection until the deadline. */
static bool read_banner(const char *address, int port, char *line, size_t size, int timeout_ms)
{
	struct sockaddr_in server = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	long long deadline = now_ms() + timeout_ms;

	inet_pton(AF_INET, address, &server.sin_addr);
	line[0] = 0;
	while (now_ms() < deadline) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&server, sizeof(server)) == 0) {
			size_t used = 0;
			char byte;
			while (used < size - 1 && read_exact(fd, &byte, 1, 20000) && byte != '\n') {
				line[used++] = byte;
				line[used] = 0;
			}
			close(fd);
			return used > 0;
		}
		if (fd >= 0)
			close(fd);
		sleep(1);
	}
	return false;
}

static void test_debian_vm(void)
{
	const char *name = "Debian VM image: systemd boots from virtio-blk, cloud-init takes its address by DHCP "
			   "and its seed over HTTP, sshd answers, stop powers it off";
	struct guest_run *run = calloc(1, sizeof(*run));
	static char plain[OUTPUT_MAX];
	char kernel[512], initrd[512], disk[512], tap[IFNAMSIZ], tap_argument[64];
	char control_path[300], seed[300], path[400], dhcp_log[300], http_log[300], leases[300];
	char banner[256] = "", reply[1024] = "", dhcp[4096], http[4096];
	const char *image = getenv("MVM_DEBIAN_VM_IMAGE");
	const char *given_disk = getenv("MVM_DEBIAN_VM_DISK");
	struct stat info;
	long long test_started = now_ms();

	if (!run)
		return;
	if (!image || !*image) {
		skip(name, "*** NO DEBIAN VM IMAGE: build it with `bash scripts/build-image.sh debian-vm` in the "
			   "repository's root (make guest-test then finds it), or name its directory in "
			   "MVM_DEBIAN_VM_IMAGE ***");
		free(run);
		return;
	}
	snprintf(kernel, sizeof(kernel), "%s/kernel", image);
	snprintf(initrd, sizeof(initrd), "%s/initrd", image);
	if (stat(kernel, &info) < 0 || stat(initrd, &info) < 0) {
		skip(name, "*** MVM_DEBIAN_VM_IMAGE holds no kernel and initrd: build the image with "
			   "`bash scripts/build-image.sh debian-vm` ***");
		free(run);
		return;
	}
	/*
	 * The guest writes its root (cloud-init's state, host keys, logs), and the image must stay
	 * as built. In the L1 the disk is the L1's own virtio disk, which QEMU backs with the image
	 * under snapshot=on (tests/l1/run.sh): writes land in QEMU's temporary overlay, and nothing
	 * is copied. On /dev/kvm the test makes a sparse copy (about 500 MiB of data).
	 */
	if (given_disk && *given_disk) {
		snprintf(disk, sizeof(disk), "%s", given_disk);
		for (int tries = 0; tries < 100 && stat(disk, &info) < 0; tries++)
			usleep(100000);
	} else {
		char original[520];
		snprintf(original, sizeof(original), "%s/disk.raw", image);
		path_in_work(disk, sizeof(disk), "debian-vm-disk.raw");
		if (!copy_sparse(original, disk)) {
			report(name, check(false, "cannot make a copy of %s: %s", original, strerror(errno)), NULL);
			free(run);
			return;
		}
	}

	/* The test's own network namespace: the tap, its addresses and the servers live there. */
	if (unshare(CLONE_NEWNET) < 0) {
		skip(name, "no network namespace of its own");
		free(run);
		return;
	}
	snprintf(tap, sizeof(tap), "mvmdeb%d", (int)(getpid() % 10000));
	int ret = tap_create_persistent(tap, true);
	if (ret < 0) {
		skip(name, strerror(-ret));
		free(run);
		return;
	}
	path_in_work(seed, sizeof(seed), "seed");
	path_in_work(dhcp_log, sizeof(dhcp_log), "udhcpd.log");
	path_in_work(http_log, sizeof(http_log), "httpd.log");
	path_in_work(leases, sizeof(leases), "udhcpd.leases");
	snprintf(path, sizeof(path), "%s/nocloud", seed);
	bool ready = (mkdir(seed, 0755) == 0 || errno == EEXIST) && (mkdir(path, 0755) == 0 || errno == EEXIST);
	snprintf(path, sizeof(path), "%s/nocloud/meta-data", seed);
	ready = ready && write_file(path, debian_meta_data);
	snprintf(path, sizeof(path), "%s/nocloud/user-data", seed);
	ready = ready && write_file(path, debian_user_data);
	snprintf(path, sizeof(path), "%s/nocloud/vendor-data", seed);
	ready = ready && write_file(path, "");
	char dhcp_config[1024];
	snprintf(dhcp_config, sizeof(dhcp_config),
		 "interface %s\nstart %s\nend %s\nmax_leases 1\nlease_file %s\n"
		 "option subnet 255.255.255.0\noption router %s\noption lease 86400\n",
		 tap, DEBIAN_GUEST_ADDRESS, DEBIAN_GUEST_ADDRESS, leases, DEBIAN_HOST_ADDRESS);
	snprintf(path, sizeof(path), "%s/udhcpd.conf", work_directory);
	ready = ready && write_file(path, dhcp_config) && write_file(leases, "");
	const char *address_up[] = { "ip", "addr", "add", DEBIAN_HOST_ADDRESS "/24", "dev", tap, NULL };
	const char *metadata_up[] = { "ip", "addr", "add", "169.254.169.254/32", "dev", tap, NULL };
	const char *link_up[] = { "ip", "link", "set", tap, "up", NULL };
	ready = ready && busybox_run(address_up) && busybox_run(metadata_up) && busybox_run(link_up);
	const char *dhcp_server[] = { "udhcpd", "-f", path, NULL };
	const char *http_server[] = { "httpd", "-f", "-vv", "-p", "169.254.169.254:80", "-h", seed, NULL };
	pid_t dhcp_server_pid = ready ? busybox_start(dhcp_log, dhcp_server) : -1;
	pid_t http_server_pid = ready ? busybox_start(http_log, http_server) : -1;
	if (!ready || dhcp_server_pid < 0 || http_server_pid < 0) {
		report(name, check(false, "cannot set up the tap, DHCP and the NoCloud seed with %s (MVM_BUSYBOX)",
				   busybox()), NULL);
		if (dhcp_server_pid > 0)
			kill(dhcp_server_pid, SIGTERM);
		if (http_server_pid > 0)
			kill(http_server_pid, SIGTERM);
		tap_create_persistent(tap, false);
		free(run);
		return;
	}

	/* As the agent starts it (MvmHypervisor), with the serial console on stdout. */
	snprintf(tap_argument, sizeof(tap_argument), "%s,mac=52:54:00:12:34:57", tap);
	path_in_work(control_path, sizeof(control_path), "debian-control.sock");
	const char *arguments[] = { "--kernel", kernel, "--initrd", initrd, "--memory", "512", "--cpus", "2",
				    "--cmdline", DEBIAN_CMDLINE, "--disk", disk, "--tap", tap_argument,
				    "--control", control_path, "--rng", NULL };
	long long started = now_ms();
	start_guest(run, arguments);
	/* About 150 s in the L1 on a quiet machine; several times that on a busy one. */
	bool marker = wait_for_output(run, DEBIAN_MARKER, 720000);
	long long marker_ms = now_ms() - started;
	bool login = marker && wait_for_output(run, " login: ", 120000);
	bool answered = marker && read_banner(DEBIAN_GUEST_ADDRESS, 22, banner, sizeof(banner), 120000);
	long long ssh_ms = now_ms() - started;
	bool stop_sent = marker && control(control_path, "{\"cmd\":\"stop\"}", reply, sizeof(reply));
	long long stop_started = now_ms();
	int code = finish_guest(run, stop_sent ? 180000 : 1000);
	long long stop_ms = now_ms() - stop_started;

	kill(dhcp_server_pid, SIGTERM);
	kill(http_server_pid, SIGTERM);
	waitpid(dhcp_server_pid, NULL, 0);
	waitpid(http_server_pid, NULL, 0);
	tap_create_persistent(tap, false);
	read_small_file(dhcp_log, dhcp, sizeof(dhcp));
	read_small_file(http_log, http, sizeof(http));

	strip_escapes(run->output, plain, sizeof(plain));
	banner[strcspn(banner, "\r")] = 0;
	bool ok = check(marker, "cloud-init's runcmd did not print its marker within 720 s") &&
		  check(strstr(plain, "mvm-debian: command line " DEBIAN_CMDLINE "\n") &&
				!strstr(plain, "virtio_mmio.device="),
			"the guest's command line is not the agent's") &&
		  check(strstr(plain, "mvm-debian: ACPI device LNRO0005:00 bound to virtio-mmio") &&
				strstr(plain, "mvm-debian: ACPI device LNRO0005:01 bound to virtio-mmio"),
			"the virtio-mmio devices were not found through ACPI") &&
		  check(strstr(plain, "[vda]") && strstr(plain, "EXT4-fs (vda): mounted filesystem") &&
				strstr(plain, "mvm-debian: root /dev/vda ext4"),
			"root is not the ext4 file system on the virtio disk /dev/vda") &&
		  check(strstr(plain, "smp: Brought up 1 node, 2 CPUs") != NULL, "Linux did not start both vCPUs") &&
		  check(strstr(plain, "Welcome to Debian GNU/Linux 12 (bookworm)!") &&
				strstr(plain, "mvm-debian: pid 1 is systemd"),
			"systemd is not PID 1") &&
		  /* cloud-final, which runs the runcmd, is ordered after multi-user.target on Debian */
		  check(strstr(plain, "mvm-debian: multi-user.target active\n") != NULL,
			"systemd did not reach multi-user.target") &&
		  check(login && strstr(plain, DEBIAN_HOSTNAME " login: "), "no getty login prompt for %s", DEBIAN_HOSTNAME) &&
		  check(strstr(plain, "Cloud-init v. ") && strstr(plain, "mvm-debian: hostname " DEBIAN_HOSTNAME "\n"),
			"cloud-init did not set the hostname from the meta-data") &&
		  check(strstr(plain, "mvm-debian: root's authorized keys from the user-data: 1"),
			"the user-data's SSH key is not in root's authorized_keys") &&
		  check(strstr(dhcp, "sending ACK to " DEBIAN_GUEST_ADDRESS) &&
				strstr(plain, "mvm-debian: addresses eth0 " DEBIAN_GUEST_ADDRESS "/24\n"),
			"the guest did not take the DHCP lease (udhcpd: %s)", dhcp) &&
		  check(strstr(http, DEBIAN_GUEST_ADDRESS ":") && strstr(http, "url:/nocloud/meta-data") &&
				strstr(http, "url:/nocloud/user-data"),
			"the guest did not fetch its seed from 169.254.169.254 (httpd: %s)", http) &&
		  check(answered && strncmp(banner, "SSH-2.0-OpenSSH", 15) == 0,
			"sshd did not answer on " DEBIAN_GUEST_ADDRESS ":22 (read '%s')", banner) &&
		  check(stop_sent && strstr(reply, "\"requested\":\"acpi-power-button\""), "stop: %s", reply) &&
		  check(code == 0 && strstr(plain, "reboot: Power down"),
			"the guest did not power off after stop (exit %d)", code);
	if (answered)
		printf("      sshd on %s:22: %s\n", DEBIAN_GUEST_ADDRESS, banner);
	if (marker)
		printf("      Debian: cloud-init's runcmd %lld s, sshd %lld s after mvm started; power-off %lld s "
		       "after stop; the test took %lld s\n", marker_ms / 1000, ssh_ms / 1000, stop_ms / 1000,
		       (now_ms() - test_started) / 1000);
	report(name, ok, run);
	free(run);
}

/*
 * Makes the monitor's main thread itself make one system call, through
 * ptrace: the call runs with the monitor's own credentials, root directory
 * and seccomp filter, as code that had taken the monitor over would. The
 * thread sits in epoll_wait: it is stopped there, pointed back at that
 * syscall instruction with other registers, run to the end of the call and
 * put back as it was (its epoll_wait then returns EINTR, which the event loop
 * takes in its stride). A string, when given, is copied below the thread's
 * stack pointer and passed as the second argument. Returns false when the
 * call could not be made.
 */
static bool call_in_monitor(pid_t pid, long number, long first, long second, long third, const char *string,
			    long *result)
{
	struct user_regs_struct saved, registers;
	int status;
	long text;
	bool stopped = false, ok = false;

	if (ptrace(PTRACE_SEIZE, pid, 0, PTRACE_O_TRACESYSGOOD) < 0)
		return false;
	for (int attempt = 0; attempt < 50 && !stopped; attempt++) {
		if (ptrace(PTRACE_INTERRUPT, pid, 0, 0) < 0 || waitpid(pid, &status, __WALL) != pid ||
		    !WIFSTOPPED(status) || ptrace(PTRACE_GETREGS, pid, 0, &saved) < 0)
			goto out;
		errno = 0;
		text = ptrace(PTRACE_PEEKTEXT, pid, saved.rip - 2, 0);
		/* In a system call, right after its syscall instruction (0f 05). */
		stopped = (long long)saved.orig_rax >= 0 && errno == 0 && (text & 0xffff) == 0x050f;
		if (!stopped) {
			ptrace(PTRACE_CONT, pid, 0, 0);
			usleep(10000);
		}
	}
	if (!stopped)
		goto out;
	if (string) {
		unsigned long long address = (saved.rsp - 4096) & ~15ULL;
		size_t length = strlen(string) + 1;
		for (size_t offset = 0; offset < length; offset += 8) {
			long word = 0;
			memcpy(&word, string + offset, length - offset < 8 ? length - offset : 8);
			if (ptrace(PTRACE_POKEDATA, pid, address + offset, word) < 0)
				goto out;
		}
		second = (long)address;
	}
	registers = saved;
	registers.rip = saved.rip - 2;
	registers.rax = (unsigned long long)number;
	registers.orig_rax = (unsigned long long)-1; /* no restart of the interrupted call */
	registers.rdi = (unsigned long long)first;
	registers.rsi = (unsigned long long)second;
	registers.rdx = (unsigned long long)third;
	registers.r10 = 0;
	if (ptrace(PTRACE_SETREGS, pid, 0, &registers) < 0)
		goto out;
	/* To the call's entry, then to its end. */
	for (int stop = 0; stop < 2; stop++)
		if (ptrace(PTRACE_SYSCALL, pid, 0, 0) < 0 || waitpid(pid, &status, __WALL) != pid ||
		    !WIFSTOPPED(status) || WSTOPSIG(status) != (SIGTRAP | 0x80))
			goto out;
	if (ptrace(PTRACE_GETREGS, pid, 0, &registers) < 0)
		goto out;
	*result = (long)registers.rax;
	/* What the kernel would restart (-ERESTARTSYS to -ERESTARTNOHAND) is restarted by hand. */
	if ((long long)saved.rax >= -514 && (long long)saved.rax <= -512) {
		saved.rax = saved.orig_rax;
		saved.rip -= 2;
	}
	ok = ptrace(PTRACE_SETREGS, pid, 0, &saved) == 0;
out:
	ptrace(PTRACE_DETACH, pid, 0, 0);
	return ok;
}

/* The value of a /proc/<pid>/status line ("Uid:\t4000\t4000..."), tabs as spaces. */
static bool status_field(pid_t pid, const char *name, char *value, size_t size)
{
	char path[64], line[256];
	size_t name_length = strlen(name);
	bool found = false;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *status = fopen(path, "r");
	while (status && !found && fgets(line, sizeof(line), status)) {
		if (strncmp(line, name, name_length) != 0 || line[name_length] != ':')
			continue;
		const char *start = line + name_length + 1;
		while (*start == '\t' || *start == ' ')
			start++;
		snprintf(value, size, "%s", start);
		for (char *at = value; *at; at++)
			if (*at == '\t')
				*at = ' ';
		value[strcspn(value, "\n")] = 0;
		for (size_t end = strlen(value); end > 0 && value[end - 1] == ' '; end--)
			value[end - 1] = 0;
		found = true;
	}
	if (status)
		fclose(status);
	if (!found)
		value[0] = 0;
	return found;
}

static int entries_in(const char *directory)
{
	DIR *listing = opendir(directory);
	struct dirent *entry;
	int count = 0;

	if (!listing)
		return -1;
	while ((entry = readdir(listing)))
		if (strcmp(entry->d_name, ".") && strcmp(entry->d_name, ".."))
			count++;
	closedir(listing);
	return count;
}

/* How many of the process's threads are under a seccomp filter and have this Uid line. */
static int threads_confined(pid_t pid, const char *uid_line, int *threads)
{
	char tasks_path[64], status_path[400], line[256];
	struct dirent *task;
	int confined = 0;

	*threads = 0;
	snprintf(tasks_path, sizeof(tasks_path), "/proc/%d/task", (int)pid);
	DIR *tasks = opendir(tasks_path);
	while (tasks && (task = readdir(tasks))) {
		if (task->d_name[0] == '.')
			continue;
		(*threads)++;
		snprintf(status_path, sizeof(status_path), "%s/%s/status", tasks_path, task->d_name);
		FILE *status = fopen(status_path, "r");
		int marks = 0;
		while (status && fgets(line, sizeof(line), status))
			marks += strcmp(line, "Seccomp:\t2\n") == 0 || strcmp(line, uid_line) == 0;
		if (status)
			fclose(status);
		confined += marks == 2;
	}
	if (tasks)
		closedir(tasks);
	return confined;
}

/* Boots idle.elf with the extra options; true once its serial socket said what it prints. */
static bool start_idle_guest(struct guest_run *run, const char *serial, const char *const *extra)
{
	char kernel[512];
	const char *arguments[32] = { "--kernel", kernel, "--serial", serial, "--cpus", "2", "--no-acpi" };
	unsigned count = 7;
	char greeting[19] = { 0 };

	guest_path(kernel, sizeof(kernel), "idle.elf");
	for (unsigned i = 0; extra[i] && count < 31; i++)
		arguments[count++] = extra[i];
	arguments[count] = NULL;
	start_guest(run, arguments);
	int console = unix_connect(serial, 10000);
	bool ok = console >= 0 && read_exact(console, greeting, 18, 10000) &&
		  strcmp(greeting, "idle guest halting") == 0;
	if (console >= 0)
		close(console);
	return ok;
}

/* Gives the process a seccomp filter under which installing another one fails. */
static void refuse_seccomp(void)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_seccomp, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EINVAL),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog program = { .len = sizeof(code) / sizeof(code[0]), .filter = code };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program) < 0)
		_exit(126);
}

/* The filter comes before the guest runs, and a monitor that cannot install it does not run one. */
static void test_sandbox_failure_is_fatal(void)
{
	struct guest_run run;
	char kernel[512];

	guest_path(kernel, sizeof(kernel), "hello.elf");
	const char *arguments[] = { "--kernel", kernel, NULL };
	before_exec = refuse_seccomp;
	start_guest(&run, arguments);
	before_exec = NULL;
	int code = finish_guest(&run, 20000);
	bool ok = check(code == 1, "exit code %d, expected 1", code) &&
		  check(strstr(run.errors, "cannot install the system call filter") != NULL, "no error about the filter") &&
		  check(!strstr(run.output, "hello from the guest"), "the guest ran without the filter");
	printf("      %s", run.errors);
	report("sandbox: a monitor that cannot install its seccomp filter exits 1 before the guest runs", ok, &run);

	const char *unfiltered[] = { "--kernel", kernel, "--no-sandbox", NULL };
	before_exec = refuse_seccomp;
	start_guest(&run, unfiltered);
	before_exec = NULL;
	code = finish_guest(&run, 20000);
	report("sandbox: with --no-sandbox it runs the guest without a filter",
	       check(code == 0 && strstr(run.output, "hello from the guest"), "exit %d", code), &run);
}

#define JAIL_ID "4000"

/*
 * The monitor as the VM driver starts it: root only long enough to open its
 * devices, files and sockets, then uid 4000 in a mount namespace whose root
 * is empty, under its seccomp filter from before the first KVM_RUN. What
 * /proc shows of it, and what an open of /etc/shadow made by the monitor's
 * own main thread (call_in_monitor) gets: the file without confinement,
 * ENOENT in the jail alone, EPERM under the filter.
 */
static void test_jail(void)
{
	const char *name = "jail: the running monitor is uid " JAIL_ID ", no capabilities, no new privileges, "
			   "seccomp mode 2, on every thread";
	struct guest_run run;
	char jail[300], serial[300], control_path[300], disk[300], reply[1024], value[256];
	char proc_root[64], proc_shadow[80];
	struct stat info;
	long result = 0;

	if (geteuid() != 0) {
		skip(name, "mvm needs root to enter its jail and change ids, and these tests are not root");
		return;
	}
	if (stat("/etc/shadow", &info) < 0) {
		report(name, check(false, "this machine has no /etc/shadow to try"), NULL);
		return;
	}
	path_in_work(jail, sizeof(jail), "jail");
	path_in_work(serial, sizeof(serial), "jail-serial.sock");
	path_in_work(control_path, sizeof(control_path), "jail-control.sock");
	path_in_work(disk, sizeof(disk), "jail-disk.img");
	mkdir(jail, 0755);
	make_disk(disk);

	/* Control: the same injected open, in a monitor with no confinement, finds the file. */
	const char *unconfined[] = { "--no-sandbox", NULL };
	bool ok = check(start_idle_guest(&run, serial, unconfined), "the guest did not start") &&
		  check(call_in_monitor(run.pid, SYS_openat, AT_FDCWD, 0, O_RDONLY | O_CLOEXEC, "/etc/shadow", &result),
			"cannot make a system call in the monitor (ptrace)") &&
		  check(result >= 0, "openat(/etc/shadow) in an unconfined monitor: %ld", result);
	printf("      unconfined monitor (root, --no-sandbox): its openat(\"/etc/shadow\") returned %ld\n", result);
	kill(run.pid, SIGTERM);
	ok = check(finish_guest(&run, 10000) == 3, "exit %d", run.exit_code) && ok;
	report("jail control: an open made by an unconfined monitor through ptrace opens /etc/shadow", ok, &run);

	/* The jail and the ids without the filter: the file is not there to open. */
	const char *jail_only[] = { "--no-sandbox", "--jail", jail, "--uid", JAIL_ID, "--gid", JAIL_ID, NULL };
	ok = check(start_idle_guest(&run, serial, jail_only), "the guest did not start") &&
	     check(status_field(run.pid, "Seccomp", value, sizeof(value)) && strcmp(value, "0") == 0,
		   "Seccomp: %s with --no-sandbox", value) &&
	     check(call_in_monitor(run.pid, SYS_openat, AT_FDCWD, 0, O_RDONLY | O_CLOEXEC, "/etc/shadow", &result),
		   "cannot make a system call in the monitor (ptrace)") &&
	     check(result == -ENOENT, "openat(/etc/shadow) in the jail alone: %ld, expected -ENOENT", result);
	printf("      jailed monitor without its filter: openat(\"/etc/shadow\") returned %ld (%s)\n", result,
	       result < 0 ? strerror((int)-result) : "opened");
	kill(run.pid, SIGTERM);
	ok = check(finish_guest(&run, 10000) == 3, "exit %d", run.exit_code) && ok;
	report("jail without the filter: the monitor's open of /etc/shadow fails with ENOENT (its root is empty)",
	       ok, &run);

	/* Everything, as the VM driver starts it. */
	const char *confined[] = { "--jail", jail, "--uid", JAIL_ID, "--gid", JAIL_ID, "--control", control_path,
				   "--disk", disk, NULL };
	ok = check(start_idle_guest(&run, serial, confined), "the guest did not start");
	static const struct {
		const char *field, *expected;
	} expected_status[] = {
		{ "Uid", JAIL_ID " " JAIL_ID " " JAIL_ID " " JAIL_ID },
		{ "Gid", JAIL_ID " " JAIL_ID " " JAIL_ID " " JAIL_ID },
		{ "Groups", "" },
		{ "CapInh", "0000000000000000" },
		{ "CapPrm", "0000000000000000" },
		{ "CapEff", "0000000000000000" },
		{ "CapBnd", "0000000000000000" },
		{ "CapAmb", "0000000000000000" },
		{ "NoNewPrivs", "1" },
		{ "Seccomp", "2" },
	};
	for (size_t i = 0; ok && i < sizeof(expected_status) / sizeof(expected_status[0]); i++) {
		status_field(run.pid, expected_status[i].field, value, sizeof(value));
		printf("      /proc/%d/status %s: %s\n", (int)run.pid, expected_status[i].field, value);
		ok = check(strcmp(value, expected_status[i].expected) == 0, "%s: '%s', expected '%s'",
			   expected_status[i].field, value, expected_status[i].expected);
	}
	/* Every thread, vCPUs and block worker too, is under the filter and the ids. */
	int threads = 0, confined_threads = threads_confined(run.pid, "Uid:\t" JAIL_ID "\t" JAIL_ID "\t" JAIL_ID
							  "\t" JAIL_ID "\n", &threads);
	printf("      %d of its %d threads run as uid %s under the filter\n", confined_threads, threads, JAIL_ID);
	ok = ok && check(threads >= 4 && confined_threads == threads, "%d of %d threads confined", confined_threads,
			 threads);
	report(name, ok, &run);

	snprintf(proc_root, sizeof(proc_root), "/proc/%d/root", (int)run.pid);
	snprintf(proc_shadow, sizeof(proc_shadow), "/proc/%d/root/etc/shadow", (int)run.pid);
	int entries = entries_in(proc_root);
	int shadow = stat(proc_shadow, &info) < 0 ? errno : 0;
	printf("      %s holds %d entries; %s: %s\n", proc_root, entries, proc_shadow,
	       shadow ? strerror(shadow) : "exists");
	bool rooted = check(entries == 0, "%s holds %d entries", proc_root, entries) &&
		      check(shadow == ENOENT, "%s: %s", proc_shadow, strerror(shadow));
	report("jail: the monitor's root is an empty file system of its own, without /etc/shadow", rooted, &run);

	ok = check(call_in_monitor(run.pid, SYS_openat, AT_FDCWD, 0, O_RDONLY | O_CLOEXEC, "/etc/shadow", &result),
		   "cannot make a system call in the monitor (ptrace)") &&
	     check(result == -EPERM, "openat(/etc/shadow) in the confined monitor: %ld, expected -EPERM", result);
	printf("      confined monitor: openat(\"/etc/shadow\") returned %ld (%s)\n", result,
	       result < 0 ? strerror((int)-result) : "opened");
	long unlisted = 0;
	ok = ok && check(call_in_monitor(run.pid, SYS_ioctl, 0, KVM_CREATE_VM, 0, NULL, &unlisted),
			 "cannot make a system call in the monitor (ptrace)") &&
	     check(unlisted == -EPERM, "ioctl(KVM_CREATE_VM) in the confined monitor: %ld, expected -EPERM",
		   unlisted);
	printf("      confined monitor: ioctl(0, KVM_CREATE_VM) returned %ld (%s)\n", unlisted,
	       unlisted < 0 ? strerror((int)-unlisted) : "done");
	ok = ok && check(control(control_path, "{\"cmd\":\"status\"}", reply, sizeof(reply)) &&
				 strstr(reply, "\"state\":\"running\""),
			 "the monitor does not answer after the attempts: %s", reply);
	control(control_path, "{\"cmd\":\"kill\"}", reply, sizeof(reply));
	ok = check(finish_guest(&run, 10000) == 3, "exit %d after kill", run.exit_code) && ok;
	report("jail: an open of /etc/shadow made by the monitor itself fails with EPERM (seccomp), and so does an "
	       "unlisted ioctl; the guest runs on", ok, &run);

	/* A disk the uid cannot open (root's, 0600): mvm opened it before the drop. */
	char kernel[512];
	guest_path(kernel, sizeof(kernel), "blk.elf");
	make_disk(disk);
	chmod(disk, 0600);
	const char *blk[] = { "--kernel", kernel, "--disk", disk, "--jail", jail, "--uid", JAIL_ID, "--gid", JAIL_ID,
			      NULL };
	start_guest(&run, blk);
	int code = finish_guest(&run, 20000);
	report("jail: virtio-blk reads, writes, flushes and discards on a root-only file opened before the drop",
	       check(code == 0 && strstr(run.output, "PASS"), "exit %d", code), &run);
	rmdir(jail);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: guest_tests BUILD_DIRECTORY | --probe\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);

	/* Usable means a VM can be created, not just that the device node exists. */
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int probe = kvm >= 0 ? ioctl(kvm, KVM_CREATE_VM, 0) : -1;
	int probe_error = errno;
	if (strcmp(argv[1], "--probe") == 0 && probe >= 0 && !kvm_probe_hardware_virtualization()) {
		printf("guest tests: /dev/kvm creates VMs but the CPU has no VT-x or AMD-V "
		       "(a paravirtual KVM): not used\n");
		close(probe);
		probe = -1;
	}
	if (probe >= 0)
		close(probe);
	if (kvm >= 0)
		close(kvm);
	if (strcmp(argv[1], "--probe") == 0)
		return probe >= 0 ? 0 : 1;
	if (probe < 0) {
		printf("guest tests: /dev/kvm is not usable here (%s)\n", strerror(probe_error));
		printf("guest tests: 0 passed, 1 failed (nothing was booted)\n");
		return 1;
	}
	build_directory = argv[1];

	const char *temporary = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	snprintf(work_directory, sizeof(work_directory), "%s/mvm-test.XXXXXX", temporary);
	if (!mkdtemp(work_directory)) {
		perror("mkdtemp");
		return 1;
	}

	printf("guest tests on /dev/kvm (work directory %s)\n", work_directory);
	test_hello();
	test_idle_and_control();
	test_block();
	test_disk_lock();
	test_malformed_descriptors();
	test_net();
	test_pause();
	test_balloon();
	test_rng_and_console();
	test_config_file();
	test_smp();
	test_acpi();
	test_framebuffer_vnc();
	test_sandbox_failure_is_fatal();
	test_jail();
	test_stock_kernel();
	test_debian_vm();

	char command[600];
	snprintf(command, sizeof(command), "rm -rf '%s'", work_directory);
	if (system(command) != 0)
		fprintf(stderr, "could not remove %s\n", work_directory);
	printf("guest tests: %u passed, %u failed, %u skipped\n", passed, failed, skipped);
	return failed ? 1 : 0;
}

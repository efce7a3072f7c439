/*
 * vm-boot-measure: the measuring half of bench/vm-boot. It runs on a machine with /dev/kvm
 * (this one, or the L1 that bench/vm-boot boots where there is none) and boots the same
 * kernel, initramfs and disk on mvm and on QEMU's microvm machine, in turn, RUNS times each:
 *
 *   boot    from just before fork() of the monitor to the line "vm-boot-guest: init" that
 *           the disk's init prints first on the serial console
 *   memory  0.5 s after that line: the monitor's RSS (all of /proc/PID/smaps), the
 *           resident part of its guest-RAM mapping (the one mapping of exactly the guest's
 *           memory size) and of its mapped files; overhead = RSS - guest RAM
 *   disk    then it sends a line on the serial console; the guest's init answers by running
 *           vm-boot-io on /dev/vda (sequential MB/s, 4 KiB random IOPS) and powers off
 *
 * One line per run on stdout, "vm-boot: run monitor=… n=… status=ok boot_ms=… …"; the console
 * of each monitor's first run on stdout too ("vm-boot: console MONITOR | …"), and the end of
 * the console on stderr when a run fails.
 *
 * Usage: vm-boot-measure --probe      exit 0 when /dev/kvm can create a VM on hardware virtualization
 *        vm-boot-measure --runs N [--from K] [--warmup N] --memory MIB --kernel FILE
 *                        --initrd FILE --disk FILE --cmdline TEXT --io-seconds N --mvm FILE
 *                        [--qemu FILE [--qemu-data DIRECTORY]]
 * Rounds K (default 1) to N, each booting both monitors; --from lets a new L1 carry on where
 * one that stopped left off. --warmup N boots each monitor N times more first, reported as
 * "vm-boot: warmup …" lines. While a run goes on, a "vm-boot: running …" line every 20 s.
 * Without --qemu only mvm runs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/kvm.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../vmm-native/tests/kvm/kvm_probe.h"

#define MARKER "vm-boot-guest: init"
#define IO_LINE "vm-boot-io: "
#define RUN_TIMEOUT_MS 180000
#define CONSOLE_KEEP 8192

struct run_result {
	bool ok;
	char reason[160];
	double boot_ms;
	long rss_kib, guest_kib, file_kib;
	char io[256];
	int exit_code;
};

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int probe(void)
{
	if (!kvm_probe_hardware_virtualization())
		return 1;
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return 1;
	int vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		return 1;
	close(vm);
	close(kvm);
	return 0;
}

/* Sums Rss over every mapping: all of it, the guest's RAM (the mapping of exactly ram_kib; the
 * largest Rss if several are) and the mappings of files (programs, libraries, firmware). */
static void memory(pid_t pid, long ram_kib, long *rss_kib, long *guest_kib, long *file_kib)
{
	char path[64], line[512];
	long size = -1;
	bool file_backed = false;
	*rss_kib = *file_kib = 0;
	*guest_kib = -1;
	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	FILE *file = fopen(path, "r");
	if (!file) {
		*rss_kib = *file_kib = -1;
		return;
	}
	while (fgets(line, sizeof(line), file)) {
		if ((line[0] >= '0' && line[0] <= '9') || (line[0] >= 'a' && line[0] <= 'f')) {
			/* "start-end perms offset device inode [path]" */
			char name[256] = "";
			sscanf(line, "%*s %*s %*s %*s %*s %255s", name);
			file_backed = name[0] == '/';
		} else if (strncmp(line, "Size:", 5) == 0) {
			size = strtol(line + 5, NULL, 10);
		} else if (strncmp(line, "Rss:", 4) == 0) {
			long rss = strtol(line + 4, NULL, 10);
			*rss_kib += rss;
			if (file_backed)
				*file_kib += rss;
			if (size == ram_kib && rss > *guest_kib)
				*guest_kib = rss;
		}
	}
	fclose(file);
}

struct console {
	char text[CONSOLE_KEEP];
	size_t length;
	char line[1024];
	size_t line_length;
};

/* Keeps the end of the console; returns each completed line through the callback. */
static void console_feed(struct console *console, const char *data, size_t length,
			 void (*on_line)(const char *line, void *context), void *context)
{
	for (size_t i = 0; i < length; i++) {
		char c = data[i];
		if (console->length == sizeof(console->text) - 1) {
			memmove(console->text, console->text + sizeof(console->text) / 2, sizeof(console->text) / 2);
			console->length -= sizeof(console->text) / 2;
		}
		console->text[console->length++] = c;
		console->text[console->length] = 0;
		if (c == '\r')
			continue;
		if (c == '\n') {
			console->line[console->line_length] = 0;
			on_line(console->line, context);
			console->line_length = 0;
		} else if (console->line_length < sizeof(console->line) - 1) {
			console->line[console->line_length++] = c;
		}
	}
}

struct watch {
	bool marker, io;
	char io_line[256];
};

static void on_line(const char *line, void *context)
{
	struct watch *watch = context;
	if (!watch->marker && strstr(line, MARKER))
		watch->marker = true;
	const char *io = strstr(line, IO_LINE);
	if (watch->marker && !watch->io && io) {
		watch->io = true;
		snprintf(watch->io_line, sizeof(watch->io_line), "%s", io + strlen(IO_LINE));
	}
}

static void fail(struct run_result *result, const char *format, ...)
{
	va_list arguments;
	va_start(arguments, format);
	vsnprintf(result->reason, sizeof(result->reason), format, arguments);
	va_end(arguments);
	result->ok = false;
}

/* A line every 20 s while a run goes on, so that whoever reads the output can tell a slow run
 * from a machine that stopped. */
static void heartbeat(const char *monitor, int n, double start)
{
	static double last;
	double now = now_ms();
	if (now - last >= 20000) {
		printf("vm-boot: running monitor=%s n=%d for %.0f s\n", monitor, n, (now - start) / 1000);
		fflush(stdout);
		last = now;
	}
}

static void run_once(const char *monitor, int n, char *const *argv, long ram_kib, struct run_result *result,
		     struct console *console)
{
	int in[2], out[2];
	struct watch watch = { 0 };
	memset(result, 0, sizeof(*result));
	result->rss_kib = result->guest_kib = result->file_kib = -1;
	result->exit_code = -1;
	memset(console, 0, sizeof(*console));
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0) {
		fail(result, "pipe: %s", strerror(errno));
		return;
	}

	double start = now_ms();
	pid_t pid = fork();
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(out[1], 2);
		execv(argv[0], argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	if (pid < 0) {
		fail(result, "fork: %s", strerror(errno));
		close(in[1]);
		close(out[0]);
		return;
	}

	bool output_open = true, measured = false;
	double marker_at = 0;
	int status = 0;
	pid_t ended = 0;
	result->ok = true;
	while (output_open) {
		double elapsed = now_ms() - start;
		heartbeat(monitor, n, start);
		if (elapsed > RUN_TIMEOUT_MS) {
			fail(result, "no %s within %d s", watch.marker ? "disk figures" : "init marker",
			     RUN_TIMEOUT_MS / 1000);
			break;
		}
		int wait_ms = 1000;
		if (watch.marker && !measured) {
			wait_ms = (int)(marker_at + 500 - now_ms());
			if (wait_ms <= 0) {
				memory(pid, ram_kib, &result->rss_kib, &result->guest_kib, &result->file_kib);
				measured = true;
				/* the guest's init waits for this line before it reads the disk */
				if (write(in[1], "go\n", 3) != 3) {
					fail(result, "cannot write to the serial console");
					break;
				}
				continue;
			}
		}
		struct pollfd descriptor = { out[0], POLLIN, 0 };
		int ready = poll(&descriptor, 1, wait_ms);
		if (ready < 0 && errno == EINTR)
			continue;
		if (ready <= 0)
			continue;
		char buffer[4096];
		ssize_t got = read(out[0], buffer, sizeof(buffer));
		if (got <= 0) {
			output_open = false;
			break;
		}
		bool had_marker = watch.marker;
		console_feed(console, buffer, (size_t)got, on_line, &watch);
		if (!had_marker && watch.marker) {
			marker_at = now_ms();
			result->boot_ms = marker_at - start;
		}
		if (watch.io)
			break;
	}

	/* the guest powers off after its figures: give the monitor a moment to end by itself */
	if (result->ok) {
		double deadline = now_ms() + 30000;
		while ((ended = waitpid(pid, &status, WNOHANG)) == 0 && now_ms() < deadline) {
			char buffer[4096];
			heartbeat(monitor, n, start);
			struct pollfd descriptor = { out[0], POLLIN, 0 };
			if (output_open && poll(&descriptor, 1, 50) == 1) {
				ssize_t got = read(out[0], buffer, sizeof(buffer));
				if (got > 0)
					console_feed(console, buffer, (size_t)got, on_line, &watch);
				else
					output_open = false;
			} else if (!output_open) {
				usleep(50000);
			}
		}
	}
	if (ended <= 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		if (result->ok)
			fail(result, "the monitor did not end after the guest powered off");
	} else {
		result->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	}
	close(in[1]);
	close(out[0]);
	if (result->ok && !watch.marker)
		fail(result, "the monitor ended (exit %d) before the init marker", result->exit_code);
	else if (result->ok && !watch.io)
		fail(result, "the monitor ended (exit %d) before the disk figures", result->exit_code);
	if (watch.io)
		snprintf(result->io, sizeof(result->io), "%s", watch.io_line);
}

static int first_round = 1;

static void report(const char *monitor, int n, const struct run_result *result, const struct console *console)
{
	if (n == first_round && result->ok) {
		for (const char *line = console->text; *line;) {
			const char *end = strchr(line, '\n');
			size_t size = end ? (size_t)(end - line) : strlen(line);
			if (size && line[size - 1] == '\r')
				size--;
			printf("vm-boot: console %s | %.*s\n", monitor, (int)size, line);
			line += (end ? (size_t)(end - line) + 1 : size);
		}
	}
	const char *kind = n < first_round ? "warmup" : "run";
	if (!result->ok) {
		printf("vm-boot: %s monitor=%s n=%d status=fail reason=\"%s\"\n", kind, monitor, n, result->reason);
		fprintf(stderr, "vm-boot: %s run %d failed (%s); the end of its console:\n", monitor, n,
			result->reason);
		const char *text = console->text;
		size_t length = console->length;
		if (length > 2048) {
			text += length - 2048;
		}
		for (const char *line = text; *line;) {
			const char *end = strchr(line, '\n');
			size_t size = end ? (size_t)(end - line) : strlen(line);
			fprintf(stderr, "vm-boot:   | %.*s\n", (int)size, line);
			line += size + (end ? 1 : 0);
		}
		fflush(stderr);
	} else {
		printf("vm-boot: %s monitor=%s n=%d status=ok boot_ms=%.1f rss_kib=%ld guest_kib=%ld file_kib=%ld exit=%d %s\n",
		       kind, monitor, n, result->boot_ms, result->rss_kib, result->guest_kib, result->file_kib,
		       result->exit_code, result->io);
	}
	fflush(stdout);
}

static void usage(void)
{
	fprintf(stderr, "usage: vm-boot-measure --probe\n"
			"       vm-boot-measure --runs N [--from K] [--warmup N] --memory MIB --kernel FILE\n"
			"                       --initrd FILE --disk FILE --cmdline TEXT --io-seconds N --mvm FILE\n"
			"                       [--qemu FILE [--qemu-data DIRECTORY]]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--probe") == 0)
		return probe();
	static const struct option options[] = {
		{ "runs", required_argument, NULL, 'r' },     { "warmup", required_argument, NULL, 'w' },
		{ "memory", required_argument, NULL, 'm' },   { "kernel", required_argument, NULL, 'k' },
		{ "initrd", required_argument, NULL, 'i' },   { "disk", required_argument, NULL, 'd' },
		{ "cmdline", required_argument, NULL, 'c' },  { "io-seconds", required_argument, NULL, 's' },
		{ "mvm", required_argument, NULL, 'v' },      { "qemu", required_argument, NULL, 'q' },
		{ "qemu-data", required_argument, NULL, 'a' }, { "from", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 }
	};
	int runs = 0, warmup = 0, from = 1, option;
	const char *memory_mib = NULL, *kernel = NULL, *initrd = NULL, *disk = NULL, *cmdline = NULL;
	const char *io_seconds = NULL, *mvm = NULL, *qemu = NULL, *qemu_data = NULL;
	while ((option = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (option) {
		case 'r': runs = atoi(optarg); break;
		case 'w': warmup = atoi(optarg); break;
		case 'f': from = atoi(optarg); break;
		case 'm': memory_mib = optarg; break;
		case 'k': kernel = optarg; break;
		case 'i': initrd = optarg; break;
		case 'd': disk = optarg; break;
		case 'c': cmdline = optarg; break;
		case 's': io_seconds = optarg; break;
		case 'v': mvm = optarg; break;
		case 'q': qemu = optarg[0] ? optarg : NULL; break;
		case 'a': qemu_data = optarg[0] ? optarg : NULL; break;
		default: usage();
		}
	}
	if (optind != argc || runs < 1 || warmup < 0 || from < 1 || from > runs || !memory_mib || !kernel || !initrd || !disk ||
	    !cmdline || !io_seconds || !mvm)
		usage();
	first_round = from;
	long ram_kib = atol(memory_mib) * 1024;
	char init_arguments[512], mvm_disk[1024], qemu_drive[1200], qemu_memory[32];

	/* the guest's init reads vm-boot-io's seconds from the command line */
	snprintf(init_arguments, sizeof(init_arguments), "%s vm_boot_io_s=%s", cmdline, io_seconds);
	/* read-only on both; both read through the host's page cache (mvm opens the file
	 * without O_DIRECT: QEMU's cache=writeback), with a thread doing the I/O */
	snprintf(mvm_disk, sizeof(mvm_disk), "%s,ro", disk);
	snprintf(qemu_drive, sizeof(qemu_drive),
		 "id=vda,file=%s,format=raw,if=none,readonly=on,cache=writeback,aio=threads", disk);
	snprintf(qemu_memory, sizeof(qemu_memory), "%sM", memory_mib);

	char *mvm_argv[] = { (char *)mvm, "--kernel", (char *)kernel, "--initrd", (char *)initrd,
			     "--disk", mvm_disk, "--memory", (char *)memory_mib, "--cpus", "1",
			     "--cmdline", init_arguments, NULL };
	char *qemu_argv[40];
	int q = 0;
	qemu_argv[q++] = (char *)qemu;
	if (qemu_data) {
		qemu_argv[q++] = "-L";
		qemu_argv[q++] = (char *)qemu_data;
	}
	const char *qemu_rest[] = { "-M", "microvm,acpi=on", "-accel", "kvm", "-cpu", "host", "-m", qemu_memory,
				    "-smp", "1", "-nodefaults", "-no-user-config", "-display", "none",
				    "-serial", "stdio", "-kernel", kernel, "-initrd", initrd,
				    "-append", init_arguments, "-drive", qemu_drive,
				    "-device", "virtio-blk-device,drive=vda", NULL };
	for (int i = 0; qemu_rest[i]; i++)
		qemu_argv[q++] = (char *)qemu_rest[i];
	qemu_argv[q] = NULL;

	printf("vm-boot: command mvm:");
	for (int i = 0; mvm_argv[i]; i++)
		printf(" %s", mvm_argv[i]);
	printf("\n");
	if (qemu) {
		printf("vm-boot: command qemu:");
		for (int i = 0; qemu_argv[i]; i++)
			printf(" %s", qemu_argv[i]);
		printf("\n");
	}
	fflush(stdout);

	static struct console console;
	struct run_result result;
	for (int n = from - warmup; n <= runs; n++) {
		/* in turn: QEMU first in the first measured round of this process and every second
		 * one after it (whatever a first run on a fresh machine gains, the peer gets), mvm
		 * first in the others, so that drift hits both alike */
		for (int turn = 0; turn < 2; turn++) {
			bool qemu_first = (n - from) % 2 == 0;
			bool mvm_turn = (turn == 0) != qemu_first;
			if (mvm_turn || qemu) {
				printf("vm-boot: start monitor=%s n=%d\n", mvm_turn ? "mvm" : "qemu", n);
				fflush(stdout);
			}
			if (mvm_turn) {
				run_once("mvm", n, mvm_argv, ram_kib, &result, &console);
				report("mvm", n, &result, &console);
			} else if (qemu) {
				run_once("qemu", n, qemu_argv, ram_kib, &result, &console);
				report("qemu", n, &result, &console);
			}
		}
	}
	return 0;
}

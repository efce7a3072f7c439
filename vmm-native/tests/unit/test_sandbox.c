/*
 * The confinement without KVM: a forked child takes the steps main() takes
 * and reports what it could still do through a pipe (write is allowed).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "sandbox.h"
#include "unit.h"

/* errno of each attempt, 0 when it worked. */
struct filter_results {
	int filter;
	int open_file, read_own_fd, ioctl_allowed, ioctl_other, ioctl_kvm, mmap_data, mmap_code;
	int mprotect_code, set_name, set_dumpable, fork_process, new_thread, new_socket, remove_file;
};

struct jail_results {
	int enter, drop;
	long long uid, gid, groups;
	int open_shadow, entries_in_root, write_root, back_to_root;
};

static int attempt(long result)
{
	return result < 0 ? errno : 0;
}

static void *thread_body(void *argument)
{
	return argument;
}

static void run_filtered(int report)
{
	struct filter_results results = { 0 };
	struct termios terminal;
	char byte;
	int own = open("/dev/null", O_RDONLY);

	memset(&terminal, 0, sizeof(terminal));
	results.filter = -sandbox_filter_system_calls();
	results.open_file = attempt(open("/etc/passwd", O_RDONLY));
	results.read_own_fd = attempt(read(own, &byte, 1));
	/* TCSETS is allowed and reaches /dev/null, which is no terminal; TCGETS is not allowed. */
	results.ioctl_allowed = attempt(ioctl(own, TCSETS, &terminal));
	results.ioctl_other = attempt(ioctl(own, TCGETS, &terminal));
	results.ioctl_kvm = attempt(ioctl(own, KVM_CREATE_VM, 0));
	void *data = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	results.mmap_data = data == MAP_FAILED ? errno : 0;
	void *code = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	results.mmap_code = code == MAP_FAILED ? errno : 0;
	results.mprotect_code = data == MAP_FAILED ? -1 : attempt(mprotect(data, 4096, PROT_READ | PROT_EXEC));
	results.set_name = attempt(prctl(PR_SET_NAME, "filtered", 0, 0, 0));
	results.set_dumpable = attempt(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0));
	pid_t child = fork();
	if (child == 0)
		_exit(0);
	results.fork_process = child < 0 ? errno : 0;
	pthread_t thread;
	int created = pthread_create(&thread, NULL, thread_body, NULL);
	results.new_thread = created;
	results.new_socket = attempt(socket(AF_UNIX, SOCK_STREAM, 0));
	results.remove_file = attempt(unlink("/nonexistent-mvm-unit-test"));
	if (write(report, &results, sizeof(results)) != sizeof(results))
		_exit(2);
	_exit(0);
}

static void run_jailed(int report, const char *directory)
{
	struct jail_results results = { 0 };

	results.enter = -sandbox_unshare_mounts();
	if (!results.enter)
		results.enter = -sandbox_enter_root(directory);
	results.drop = -sandbox_drop_privileges(65534, 65534);
	results.uid = getuid();
	results.gid = getgid();
	results.groups = getgroups(0, NULL);
	results.open_shadow = attempt(open("/etc/shadow", O_RDONLY));
	DIR *root = opendir("/");
	struct dirent *entry;
	while (root && (entry = readdir(root)))
		if (strcmp(entry->d_name, ".") && strcmp(entry->d_name, ".."))
			results.entries_in_root++;
	if (root)
		closedir(root);
	results.write_root = attempt(mkdir("/mvm", 0700));
	results.back_to_root = attempt(setuid(0));
	if (write(report, &results, sizeof(results)) != sizeof(results))
		_exit(2);
	_exit(0);
}

/* Runs body in a child; copies what it wrote into results. */
static bool in_child(void (*body)(int, const char *), const char *argument, void *results, size_t size)
{
	int channel[2];
	int status;

	if (pipe(channel) < 0)
		return false;
	pid_t child = fork();
	if (child == 0) {
		close(channel[0]);
		body(channel[1], argument);
		_exit(3);
	}
	close(channel[1]);
	ssize_t got = read(channel[0], results, size);
	close(channel[0]);
	waitpid(child, &status, 0);
	return got == (ssize_t)size && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void filtered_body(int report, const char *unused)
{
	(void)unused;
	run_filtered(report);
}

static void test_filter(void)
{
	struct filter_results results;

	CHECK(in_child(filtered_body, NULL, &results, sizeof(results)));
	CHECK_EQ(results.filter, 0);
	CHECK_EQ(results.open_file, EPERM);
	CHECK_EQ(results.read_own_fd, 0);
	CHECK_EQ(results.ioctl_allowed, ENOTTY);
	CHECK_EQ(results.ioctl_other, EPERM);
	CHECK_EQ(results.ioctl_kvm, EPERM);
	CHECK_EQ(results.mmap_data, 0);
	CHECK_EQ(results.mmap_code, EPERM);
	CHECK_EQ(results.mprotect_code, EPERM);
	CHECK_EQ(results.set_name, 0);
	CHECK_EQ(results.set_dumpable, EPERM);
	CHECK_EQ(results.fork_process, EPERM);
	CHECK(results.new_thread != 0);
	CHECK_EQ(results.new_socket, EPERM);
	CHECK_EQ(results.remove_file, EPERM);
}

static void test_jail(void)
{
	struct jail_results results;
	char directory[256];
	const char *temporary = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";

	if (geteuid() != 0) {
		printf("      sandbox: not root, so the jail and the change of ids are not tried here\n");
		return;
	}
	snprintf(directory, sizeof(directory), "%s/mvm-unit-jail.XXXXXX", temporary);
	if (!mkdtemp(directory)) {
		CHECK(false);
		return;
	}
	/* Something the jail must not show: the tmpfs covers it, in the child's namespace only. */
	char marker[300];
	snprintf(marker, sizeof(marker), "%s/host-file", directory);
	int fd = open(marker, O_WRONLY | O_CREAT, 0600);
	if (fd >= 0)
		close(fd);
	CHECK(in_child(run_jailed, directory, &results, sizeof(results)));
	CHECK_EQ(results.enter, 0);
	CHECK_EQ(results.drop, 0);
	CHECK_EQ(results.uid, 65534);
	CHECK_EQ(results.gid, 65534);
	CHECK_EQ(results.groups, 0);
	CHECK_EQ(results.open_shadow, ENOENT);
	CHECK_EQ(results.entries_in_root, 0);
	CHECK_EQ(results.write_root, EROFS);
	CHECK_EQ(results.back_to_root, EPERM);
	/* The host's directory is as it was. */
	struct stat info;
	CHECK_EQ(stat(marker, &info), 0);
	unlink(marker);
	rmdir(directory);
}

void test_sandbox(void)
{
#if defined(__SANITIZE_ADDRESS__)
	(void)test_filter;
	/*
	 * ASan's interceptors make system calls of their own (sigaltstack in
	 * pthread_create) that the monitor's filter refuses, and abort on the
	 * refusal: the filter is checked in the plain unit run only.
	 */
	printf("      sandbox: the filter's checks run in the plain build only (ASan needs calls it refuses)\n");
#else
	test_filter();
#endif
	test_jail();
}

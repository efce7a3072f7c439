/*
 * Tries, inside a jail, one thing a jail's confinement should refuse, and says what the kernel
 * answered: "allowed" (exit 0) or "refused: <errno name>" (exit 1). Static, so it runs in any
 * jail root. Used by the jail confinement tests.
 *
 *   confinement-probe io_uring       io_uring_setup(2) of a one-entry ring
 *   confinement-probe clone-userns   clone(2) of a child in a new user namespace
 *   confinement-probe unshare-userns unshare(CLONE_NEWUSER)
 *   confinement-probe euid           prints its effective uid (to show a set-user-ID copy works)
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int report(long result)
{
	if (result >= 0) {
		puts("allowed");
		return 0;
	}
	printf("refused: %s\n", strerrorname_np(errno) ? strerrorname_np(errno) : "unknown");
	return 1;
}

static long try_io_uring(void)
{
	unsigned char params[120];

	memset(params, 0, sizeof(params));
	long fd = syscall(SYS_io_uring_setup, 1, params);
	if (fd >= 0) {
		close((int)fd);
	}
	return fd;
}

static long try_clone_userns(void)
{
	long pid = syscall(SYS_clone, (unsigned long)(CLONE_NEWUSER | SIGCHLD), NULL, NULL, NULL, NULL);
	if (pid == 0) {
		_exit(0);
	}
	if (pid > 0) {
		waitpid((pid_t)pid, NULL, 0);
	}
	return pid;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s io_uring|clone-userns|unshare-userns|euid\n", argv[0]);
		return 2;
	}
	if (strcmp(argv[1], "io_uring") == 0) {
		return report(try_io_uring());
	}
	if (strcmp(argv[1], "clone-userns") == 0) {
		return report(try_clone_userns());
	}
	if (strcmp(argv[1], "euid") == 0) {
		printf("%u\n", (unsigned)geteuid());
		return 0;
	}
	if (strcmp(argv[1], "unshare-userns") == 0) {
		return report(unshare(CLONE_NEWUSER));
	}
	fprintf(stderr, "unknown probe %s\n", argv[1]);
	return 2;
}

/*
 * release-tty: the first program of a jail. The OCI runtime hands the jail's init its console as
 * controlling terminal; an init that keeps it receives the terminal's signals, so Ctrl-C typed in
 * a shell on the console reaches init (busybox init takes SIGINT for Ctrl-Alt-Del and reboots).
 * This gives the terminal up (TIOCNOTTY) and then runs the real init in its place, which leaves
 * the console free for the shell init starts on it to take as its own controlling terminal
 * (busybox init opens it for a "console::" entry), with job control.
 *
 * Usage: release-tty PROGRAM [ARG...]   (runs as the jail's PID 1; built static: the jail's root
 * may hold no C library)
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs("usage: release-tty PROGRAM [ARG...]\n", stderr);
		return 2;
	}
	/* Giving up the terminal as session leader sends SIGHUP to its foreground group: ours. */
	signal(SIGHUP, SIG_IGN);
	if (ioctl(STDIN_FILENO, TIOCNOTTY) != 0 && errno != ENOTTY)
		fprintf(stderr, "release-tty: TIOCNOTTY: %s\n", strerror(errno));
	signal(SIGHUP, SIG_DFL);
	execv(argv[1], argv + 1);
	fprintf(stderr, "release-tty: %s: %s\n", argv[1], strerror(errno));
	return 127;
}

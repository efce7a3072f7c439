#include "sandbox.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* What the vCPU threads and the I/O thread do after setup. */
static const int allowed_syscalls[] = {
	/* guest exits, devices, backends */
	SYS_ioctl, SYS_read, SYS_write, SYS_pread64, SYS_pwrite64, SYS_fdatasync, SYS_fallocate,
	SYS_madvise, SYS_mincore,
	/* the I/O thread */
	SYS_epoll_wait, SYS_epoll_pwait, SYS_epoll_ctl, SYS_accept4, SYS_close, SYS_timerfd_settime,
	SYS_getrandom,
	/* memory for clients and buffers (malloc) */
	SYS_mmap, SYS_munmap, SYS_mremap, SYS_mprotect, SYS_brk,
	/* threads, locks, signals, time */
	SYS_futex, SYS_sched_yield, SYS_tgkill, SYS_getpid, SYS_gettid, SYS_rt_sigprocmask,
	SYS_rt_sigreturn, SYS_restart_syscall, SYS_clock_gettime, SYS_clock_nanosleep, SYS_nanosleep,
	SYS_prctl, SYS_set_robust_list, SYS_rseq,
	/* stdio buffers, removing our sockets at exit, leaving */
	SYS_fstat, SYS_newfstatat, SYS_lseek, SYS_unlink, SYS_unlinkat, SYS_exit, SYS_exit_group,
};

#define COUNT (sizeof(allowed_syscalls) / sizeof(allowed_syscalls[0]))

int sandbox_enter(void)
{
	/* arch load, arch check, kill, nr load, TIOCSTI check (4), one compare each, deny, allow */
	struct sock_filter program[4 + 4 + COUNT + 2];
	unsigned length = 0;

	program[length++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
							 offsetof(struct seccomp_data, arch));
	program[length++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64,
							 1, 0);
	program[length++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	program[length++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
							 offsetof(struct seccomp_data, nr));
	/* ioctl(TIOCSTI) would push keystrokes into a terminal on stdin: refuse it. */
	program[length++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_ioctl, 0, 3);
	program[length++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
							 offsetof(struct seccomp_data, args[1]));
	program[length++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, TIOCSTI,
							 (uint8_t)(COUNT + 1), 0);
	program[length++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
							 offsetof(struct seccomp_data, nr));
	for (unsigned i = 0; i < COUNT; i++) {
		/* On a match jump to the final ALLOW: skip the remaining compares and the deny. */
		unsigned remaining = (unsigned)COUNT - i - 1;
		program[length++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
								 (unsigned)allowed_syscalls[i],
								 (uint8_t)(remaining + 1), 0);
	}
	program[length++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
							 SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA));
	program[length++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);

	struct sock_fprog filter = { .len = (unsigned short)length, .filter = program };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	/* TSYNC: the vCPU threads already run, they get the filter too. */
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &filter) != 0)
		return errno ? -errno : -EBUSY;
	return 0;
}

#include "sandbox.h"

#include <errno.h>
#include <grp.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int sandbox_unshare_mounts(void)
{
	if (unshare(CLONE_NEWNS) < 0)
		return -errno;
	/* Nothing mounted or detached from here on reaches the host's namespace. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -errno;
	return 0;
}

int sandbox_enter_root(const char *directory)
{
	if (mount("mvm-root", directory, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  "size=4k,mode=0555") < 0)
		return -errno;
	if (chdir(directory) < 0)
		return -errno;
	/* The old root ends up stacked on the new one, and is detached from there (pivot_root(2)). */
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return -errno;
	if (umount2(".", MNT_DETACH) < 0)
		return -errno;
	if (chdir("/") < 0)
		return -errno;
	return 0;
}

int sandbox_drop_privileges(uid_t uid, gid_t gid)
{
	struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct sets[_LINUX_CAPABILITY_U32S_3];

	/* Shrinking the bounding set takes CAP_SETPCAP, which leaves with uid 0: first. */
	for (unsigned long capability = 0; prctl(PR_CAPBSET_READ, capability, 0, 0, 0) >= 0; capability++)
		if (prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) < 0)
			return -errno;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return -errno;
	/* glibc applies each of these to every thread of the process. */
	if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
		return -errno;
	/* Leaving uid 0 emptied the permitted and effective sets (capabilities(7)); empty all three. */
	memset(sets, 0, sizeof(sets));
	if (syscall(SYS_capset, &header, sets) < 0 || syscall(SYS_capget, &header, sets) < 0)
		return -errno;
	for (unsigned i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
		if (sets[i].effective || sets[i].permitted || sets[i].inheritable)
			return -EPERM;
	if (setresuid(0, 0, 0) == 0 || setresgid(0, 0, 0) == 0)
		return -EPERM;
	/* Changing ids made the process not dumpable already: no ptrace by its own uid, no core. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return -errno;
	return 0;
}

/* What the vCPU threads, the block workers and the I/O thread do once the guest runs. */
static const uint32_t allowed_syscalls[] = {
	/* guest exits, devices, backends (ioctl, mmap and mprotect are checked below) */
	SYS_read, SYS_write, SYS_pread64, SYS_pwrite64, SYS_preadv, SYS_pwritev, SYS_fdatasync,
	SYS_fallocate, SYS_madvise,
	SYS_mincore,
	/* the I/O thread */
	SYS_epoll_wait, SYS_epoll_pwait, SYS_epoll_ctl, SYS_accept4, SYS_close, SYS_timerfd_settime,
	SYS_getrandom,
	/* memory for clients and buffers (malloc) */
	SYS_munmap, SYS_mremap, SYS_brk,
	/* threads, locks, signals, time; a new thread's first steps may come after the filter */
	SYS_futex, SYS_sched_yield, SYS_tgkill, SYS_getpid, SYS_gettid, SYS_rt_sigprocmask,
	SYS_rt_sigreturn, SYS_restart_syscall, SYS_clock_gettime, SYS_clock_nanosleep, SYS_nanosleep,
	SYS_set_robust_list, SYS_rseq,
	/* stdio buffers, leaving */
	SYS_fstat, SYS_newfstatat, SYS_lseek, SYS_exit, SYS_exit_group,
};

/* ioctl requests, by number: nothing else reaches KVM, the tap or a terminal. */
static const uint32_t allowed_ioctls[] = {
	KVM_RUN,           /* vCPU threads */
	KVM_IRQ_LINE,      /* device, UART and SCI interrupts */
	KVM_GET_DIRTY_LOG, /* whether the guest drew into the framebuffer */
	KVM_GET_REGS,      /* where a crashed guest was */
	TCSETS,            /* giving the terminal back its settings at exit */
	TUNSETOFFLOAD,     /* the tap's offloads follow what the guest's driver accepted */
};

#define ARRAY_LENGTH(array) (sizeof(array) / sizeof((array)[0]))
#define FILTER_MAX 96

/* Jump targets, resolved once the program is laid out. */
enum filter_label { NEXT, ALLOW, DENY, KILL, CHECK_IOCTL, CHECK_PRCTL, CHECK_PROT, LABEL_COUNT };

struct filter_builder {
	struct sock_filter code[FILTER_MAX];
	uint8_t jump_true[FILTER_MAX], jump_false[FILTER_MAX]; /* labels, for BPF_JMP only */
	unsigned at[LABEL_COUNT];
	unsigned length;
};

static void emit(struct filter_builder *filter, struct sock_filter instruction, enum filter_label on_true,
		 enum filter_label on_false)
{
	if (filter->length == FILTER_MAX)
		return;
	filter->jump_true[filter->length] = (uint8_t)on_true;
	filter->jump_false[filter->length] = (uint8_t)on_false;
	filter->code[filter->length++] = instruction;
}

static void load(struct filter_builder *filter, uint32_t offset)
{
	emit(filter, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offset), NEXT, NEXT);
}

static void jump_if_equal(struct filter_builder *filter, uint32_t value, enum filter_label on_true,
			  enum filter_label on_false)
{
	emit(filter, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, value, 0, 0), on_true, on_false);
}

static void give(struct filter_builder *filter, uint32_t action)
{
	emit(filter, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, action), NEXT, NEXT);
}

static void place(struct filter_builder *filter, enum filter_label label)
{
	filter->at[label] = filter->length;
}

static int resolve(struct filter_builder *filter)
{
	if (filter->length == FILTER_MAX)
		return -E2BIG;
	for (unsigned i = 0; i < filter->length; i++) {
		if (BPF_CLASS(filter->code[i].code) != BPF_JMP)
			continue;
		enum filter_label targets[2] = { filter->jump_true[i], filter->jump_false[i] };
		uint8_t *offsets[2] = { &filter->code[i].jt, &filter->code[i].jf };
		for (unsigned j = 0; j < 2; j++) {
			unsigned target = targets[j] == NEXT ? i + 1 : filter->at[targets[j]];
			if (target <= i || target - i - 1 > 255)
				return -ERANGE;
			*offsets[j] = (uint8_t)(target - i - 1);
		}
	}
	return 0;
}

/* The seccomp_data words (a 64-bit argument's low half comes first on x86-64). */
#define SYSCALL_NUMBER offsetof(struct seccomp_data, nr)
#define ARGUMENT(n) (offsetof(struct seccomp_data, args) + 8 * (n))

/* BPF jumps only forward: the checks of arguments come after the numbers, the verdicts last. */
static int build_filter(struct filter_builder *filter)
{
	memset(filter, 0, sizeof(*filter));
	load(filter, offsetof(struct seccomp_data, arch));
	jump_if_equal(filter, AUDIT_ARCH_X86_64, NEXT, KILL);
	load(filter, SYSCALL_NUMBER);
	jump_if_equal(filter, SYS_ioctl, CHECK_IOCTL, NEXT);
	jump_if_equal(filter, SYS_prctl, CHECK_PRCTL, NEXT);
	jump_if_equal(filter, SYS_mmap, CHECK_PROT, NEXT);
	jump_if_equal(filter, SYS_mprotect, CHECK_PROT, NEXT);
	for (unsigned i = 0; i < ARRAY_LENGTH(allowed_syscalls); i++)
		jump_if_equal(filter, allowed_syscalls[i], ALLOW,
			      i + 1 < ARRAY_LENGTH(allowed_syscalls) ? NEXT : DENY);

	/* The kernel takes an ioctl's request as an unsigned int: the low half is all of it. */
	place(filter, CHECK_IOCTL);
	load(filter, ARGUMENT(1));
	for (unsigned i = 0; i < ARRAY_LENGTH(allowed_ioctls); i++)
		jump_if_equal(filter, allowed_ioctls[i], ALLOW,
			      i + 1 < ARRAY_LENGTH(allowed_ioctls) ? NEXT : DENY);

	/* A thread names itself (pthread_setname_np) on its way into the guest. */
	place(filter, CHECK_PRCTL);
	load(filter, ARGUMENT(0));
	jump_if_equal(filter, PR_SET_NAME, ALLOW, DENY);

	/* Nothing becomes executable: there is no code to load once the guest runs. */
	place(filter, CHECK_PROT);
	load(filter, ARGUMENT(2));
	emit(filter, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, PROT_EXEC, 0, 0), DENY, ALLOW);

	place(filter, DENY);
	give(filter, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA));
	place(filter, ALLOW);
	give(filter, SECCOMP_RET_ALLOW);
	/* Another system call table (i386 through int 0x80) is never used: end the process. */
	place(filter, KILL);
	give(filter, SECCOMP_RET_KILL_PROCESS);
	return resolve(filter);
}

int sandbox_filter_system_calls(void)
{
	struct filter_builder filter;
	int ret = build_filter(&filter);

	if (ret < 0)
		return ret;
	struct sock_fprog program = { .len = (unsigned short)filter.length, .filter = filter.code };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	/* TSYNC: threads that exist already (block workers, held vCPUs) get it too, or none does. */
	ret = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &program);
	if (ret < 0)
		return -errno;
	if (ret > 0)
		return -EBUSY; /* the id of a thread that could not take it */
	return 0;
}

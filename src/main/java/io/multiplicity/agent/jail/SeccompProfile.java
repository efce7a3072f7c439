package io.multiplicity.agent.jail;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The seccomp filter of a jail: an allowlist in the spirit of the OCI/Docker default profile.
 * System calls not named here fail with EPERM; the runtime answers ENOSYS for calls newer than
 * any it knows, so programs fall back as they would on an older kernel.
 *
 * <p>Beyond Docker's list, a jail keeps {@code reboot} (its init powers off or reboots only its
 * own PID namespace), {@code chroot}, {@code sethostname} (its own UTS namespace). A jail may not
 * create namespaces at all ({@code clone} with any {@code CLONE_NEW*} flag, {@code unshare},
 * {@code setns}), except a systemd jail, which sandboxes its services in new mount, network, IPC,
 * UTS, PID and cgroup namespaces and mounts inside them, but never in a new user namespace.
 * {@code clone3} answers ENOSYS (its flags sit in memory a filter cannot read), so C libraries
 * fall back to {@code clone}, whose flags it can. io_uring (which performs I/O outside the
 * filter's sight and has been a steady source of kernel bugs) and nested user namespaces are
 * refused unless the image's {@link Allowance}s name them.
 */
public final class SeccompProfile {

    /** What an admin may allow the jails of one image beyond the default profile. */
    public enum Allowance {
        /** Creating user namespaces inside the jail (nested containers, rootless tools). */
        NESTED_USER_NAMESPACES("multiplicity:allow-nested-userns"),
        /** io_uring_setup, io_uring_enter and io_uring_register. */
        IO_URING("multiplicity:allow-io-uring");

        private final String imageProperty;

        Allowance(String imageProperty) {
            this.imageProperty = imageProperty;
        }

        /** The ZFS user property of an image dataset that grants it ({@code on} grants). */
        public String imageProperty() {
            return imageProperty;
        }
    }

    static final long CLONE_NEWUSER = 0x10000000L;
    /** CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID and NEWNET. */
    static final long CLONE_NEW_ANY = 0x7E020000L;
    private static final int EPERM = 1;
    private static final int ENOSYS = 38;
    private static final int AF_VSOCK = 40;

    /** Allowed with any arguments, to every jail. */
    static final List<String> ALLOWED = List.of(
            "accept", "accept4", "access", "adjtimex", "alarm", "arch_prctl", "bind", "brk", "cachestat",
            "capget", "capset", "chdir", "chmod", "chown", "chroot", "clock_getres", "clock_gettime",
            "clock_nanosleep", "close", "close_range", "connect", "copy_file_range", "creat", "dup", "dup2",
            "dup3", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_pwait", "epoll_pwait2", "epoll_wait",
            "eventfd", "eventfd2", "execve", "execveat", "exit", "exit_group", "faccessat", "faccessat2",
            "fadvise64", "fallocate", "fanotify_mark", "fchdir", "fchmod", "fchmodat", "fchmodat2", "fchown",
            "fchownat", "fcntl", "fdatasync", "fgetxattr", "flistxattr", "flock", "fork", "fremovexattr",
            "fsetxattr", "fstat", "fstatfs", "fsync", "ftruncate", "futex", "futex_requeue", "futex_wait",
            "futex_waitv", "futex_wake", "futimesat", "get_mempolicy", "get_robust_list", "get_thread_area",
            "getcpu", "getcwd", "getdents", "getdents64", "getegid", "geteuid", "getgid", "getgroups",
            "getitimer", "getpeername", "getpgid", "getpgrp", "getpid", "getppid", "getpriority", "getrandom",
            "getresgid", "getresuid", "getrlimit", "getrusage", "getsid", "getsockname", "getsockopt", "gettid",
            "gettimeofday", "getuid", "getxattr", "inotify_add_watch", "inotify_init", "inotify_init1",
            "inotify_rm_watch", "io_cancel", "io_destroy", "io_getevents", "io_pgetevents", "io_setup",
            "io_submit", "ioctl", "ioprio_get", "ioprio_set", "kill", "landlock_add_rule",
            "landlock_create_ruleset", "landlock_restrict_self", "lchown", "lgetxattr", "link", "linkat",
            "listen", "listxattr", "llistxattr", "lremovexattr", "lseek", "lsetxattr", "lstat", "madvise",
            "map_shadow_stack", "mbind", "membarrier", "memfd_create", "memfd_secret", "mincore", "mkdir",
            "mkdirat", "mknod", "mknodat", "mlock", "mlock2", "mlockall", "mmap", "modify_ldt", "mprotect",
            "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive", "mq_timedsend", "mq_unlink", "mremap",
            "msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock", "munlockall", "munmap", "name_to_handle_at",
            "nanosleep", "newfstatat", "open", "openat", "openat2", "pause", "pidfd_open", "pidfd_send_signal",
            "pipe", "pipe2", "pkey_alloc", "pkey_free", "pkey_mprotect", "poll", "ppoll", "prctl", "pread64",
            "preadv", "preadv2", "prlimit64", "process_mrelease", "process_vm_readv", "process_vm_writev",
            "pselect6", "ptrace", "pwrite64", "pwritev", "pwritev2", "read", "readahead", "readlink",
            "readlinkat", "readv", "reboot", "recvfrom", "recvmmsg", "recvmsg", "remap_file_pages",
            "removexattr", "rename", "renameat", "renameat2", "restart_syscall", "rmdir", "rseq", "rt_sigaction",
            "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend",
            "rt_sigtimedwait", "rt_tgsigqueueinfo", "sched_get_priority_max", "sched_get_priority_min",
            "sched_getaffinity", "sched_getattr", "sched_getparam", "sched_getscheduler", "sched_rr_get_interval",
            "sched_setaffinity", "sched_setattr", "sched_setparam", "sched_setscheduler", "sched_yield", "seccomp",
            "select", "semctl", "semget", "semop", "semtimedop", "sendfile", "sendmmsg", "sendmsg", "sendto",
            "set_mempolicy", "set_robust_list", "set_thread_area", "set_tid_address", "setdomainname", "setfsgid",
            "setfsuid", "setgid", "setgroups", "sethostname", "setitimer", "setpgid", "setpriority", "setregid",
            "setresgid", "setresuid", "setreuid", "setrlimit", "setsid", "setsockopt", "setuid", "setxattr",
            "shmat", "shmctl", "shmdt", "shmget", "shutdown", "sigaltstack", "signalfd", "signalfd4", "socketpair",
            "splice", "stat", "statfs", "statx", "symlink", "symlinkat", "sync", "sync_file_range", "syncfs",
            "sysinfo", "tee", "tgkill", "time", "timer_create", "timer_delete", "timer_getoverrun", "timer_gettime",
            "timer_settime", "timerfd_create", "timerfd_gettime", "timerfd_settime", "times", "tkill", "truncate",
            "umask", "uname", "unlink", "unlinkat", "utime", "utimensat", "utimes", "vfork", "vhangup", "vmsplice",
            "wait4", "waitid", "write", "writev");

    /**
     * Added for systemd jails (in a user namespace only, where they act on the jail's own
     * namespaces): mounting and entering namespaces, how systemd sandboxes services
     * (PrivateTmp=, ProtectSystem=, …), and what its capabilities make useful.
     */
    static final List<String> SYSTEMD_ALLOWED = List.of(
            "mount", "umount2", "move_mount", "open_tree", "fsopen", "fsmount", "fsconfig", "fspick",
            "mount_setattr", "pivot_root", "setns", "kcmp", "pidfd_getfd", "process_madvise");

    /** Allowed only when an image's {@link Allowance#IO_URING} says so. */
    static final List<String> IO_URING_CALLS = List.of("io_uring_setup", "io_uring_enter", "io_uring_register");

    private SeccompProfile() {
    }

    /**
     * The OCI {@code linux.seccomp} block of a jail.
     *
     * @param systemd    a systemd jail in a user namespace (may create namespaces other than user ones, and mount)
     * @param allowances what its image's admin allowed beyond the default
     */
    public static Map<String, Object> of(boolean systemd, Set<Allowance> allowances) {
        boolean nestedUserNamespaces = allowances.contains(Allowance.NESTED_USER_NAMESPACES);
        List<String> allowed = new ArrayList<>(ALLOWED);
        if (systemd) {
            allowed.addAll(SYSTEMD_ALLOWED);
        }
        if (allowances.contains(Allowance.IO_URING)) {
            allowed.addAll(IO_URING_CALLS);
        }
        List<Map<String, Object>> rules = new ArrayList<>();
        rules.add(rule(allowed, "SCMP_ACT_ALLOW", null));
        // Namespaces a jail may create: none for plain jails, all but user namespaces for systemd
        // jails, and user namespaces too where the image allows them.
        long forbiddenFlags = systemd ? CLONE_NEWUSER : CLONE_NEW_ANY;
        if (nestedUserNamespaces) {
            forbiddenFlags &= ~CLONE_NEWUSER;
        }
        Map<String, Object> flagsWithout = flagsWithout(forbiddenFlags);
        Map<String, Object> clone = rule(List.of("clone"), "SCMP_ACT_ALLOW", null);
        clone.put("args", List.of(flagsWithout));
        rules.add(clone);
        if (systemd || nestedUserNamespaces) {
            Map<String, Object> unshare = rule(List.of("unshare"), "SCMP_ACT_ALLOW", null);
            unshare.put("args", List.of(flagsWithout));
            rules.add(unshare);
        }
        Map<String, Object> socket = rule(List.of("socket"), "SCMP_ACT_ALLOW", null);
        socket.put("args", List.of(argument(0, "SCMP_CMP_NE", AF_VSOCK, 0)));
        rules.add(socket);
        for (long persona : List.of(0L, 0x0008L, 0x20000L, 0x20008L, 0xffffffffL)) {
            Map<String, Object> personality = rule(List.of("personality"), "SCMP_ACT_ALLOW", null);
            personality.put("args", List.of(argument(0, "SCMP_CMP_EQ", persona, 0)));
            rules.add(personality);
        }
        rules.add(rule(List.of("clone3"), "SCMP_ACT_ERRNO", ENOSYS));
        Map<String, Object> seccomp = new LinkedHashMap<>();
        seccomp.put("defaultAction", "SCMP_ACT_ERRNO");
        seccomp.put("defaultErrnoRet", EPERM);
        seccomp.put("architectures", List.of("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"));
        seccomp.put("syscalls", rules);
        return seccomp;
    }

    private static Map<String, Object> flagsWithout(long flags) {
        return argument(0, "SCMP_CMP_MASKED_EQ", flags, 0);
    }

    private static Map<String, Object> argument(int index, String operator, long value, long valueTwo) {
        Map<String, Object> argument = new LinkedHashMap<>();
        argument.put("index", index);
        argument.put("value", value);
        argument.put("valueTwo", valueTwo);
        argument.put("op", operator);
        return argument;
    }

    private static Map<String, Object> rule(List<String> names, String action, Integer errno) {
        Map<String, Object> rule = new LinkedHashMap<>();
        rule.put("names", names);
        rule.put("action", action);
        if (errno != null) {
            rule.put("errnoRet", errno);
        }
        return rule;
    }
}

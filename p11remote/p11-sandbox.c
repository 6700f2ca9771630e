/* p11remote/p11-sandbox.c: Landlock and seccomp for carnet-p11-helper
 * (p11-sandbox.h).  Raw system calls and a hand-built BPF program: no
 * library beyond libc, the filter is short enough to read. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/macro.h"
#include "p11-sandbox.h"

#define LL_READ (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)

/* Allows reading beneath dir (skipped when it does not exist). */
static int allow_read(int ruleset, const char *dir) {
        int fd = open(dir, O_PATH | O_CLOEXEC);
        if (fd < 0)
                return 0;
        struct landlock_path_beneath_attr pb = {.allowed_access = LL_READ, .parent_fd = fd};
        long r = syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &pb, 0);
        int e = errno;
        close(fd);
        return r < 0 ? -e : 0;
}

/* The folder holding path, into out ("" when path has none). */
static void folder_of(const char *path, char *out, size_t size) {
        out[0] = 0;
        if (!path || path[0] != '/' || strcpy_bounded(out, size, path) < 0) {
                out[0] = 0;
                return;
        }
        char *slash = strrchr(out, '/');
        if (slash == out)
                slash[1] = 0;
        else
                *slash = 0;
}

int p11_sandbox_landlock(const char *module) {
        long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
        if (abi < 1)
                return -EOPNOTSUPP;
        struct landlock_ruleset_attr ra = {
                .handled_access_fs = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |
                                     LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR |
                                     LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |
                                     LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR |
                                     LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK |
                                     LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK |
                                     LANDLOCK_ACCESS_FS_MAKE_SYM,
        };
#ifdef LANDLOCK_ACCESS_FS_REFER
        if (abi >= 2)
                ra.handled_access_fs |= LANDLOCK_ACCESS_FS_REFER;
#endif
#ifdef LANDLOCK_ACCESS_FS_TRUNCATE /* headers of Linux 6.2 and later */
        if (abi >= 3)
                ra.handled_access_fs |= LANDLOCK_ACCESS_FS_TRUNCATE;
#endif
        int rs = (int)syscall(SYS_landlock_create_ruleset, &ra, sizeof(ra), 0);
        if (rs < 0)
                return -errno;
        char mod_dir[PATH_MAX], sock_dir[PATH_MAX];
        folder_of(module, mod_dir, sizeof(mod_dir));
        folder_of(getenv("PCSCLITE_CSOCK_NAME"), sock_dir, sizeof(sock_dir));
        const char *dirs[] = {"/usr", "/lib", "/lib64", "/etc", "/proc", "/dev", "/run/pcscd", mod_dir, sock_dir};
        int r = 0;
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(dirs); i++)
                if (dirs[i][0])
                        r = allow_read(rs, dirs[i]);
        if (r >= 0 && syscall(SYS_landlock_restrict_self, rs, 0) < 0)
                r = -errno;
        close(rs);
        return r;
}

#if defined(__x86_64__)
#define SANDBOX_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SANDBOX_ARCH AUDIT_ARCH_AARCH64
#endif

#ifdef SANDBOX_ARCH
/* System calls that fail with EPERM. */
static const int denied[] = {
        __NR_execve, __NR_execveat, __NR_ptrace, __NR_process_vm_readv, __NR_process_vm_writev,
        __NR_mount, __NR_umount2, __NR_pivot_root, __NR_chroot, __NR_setns, __NR_unshare,
        __NR_bpf, __NR_perf_event_open, __NR_kexec_load, __NR_init_module, __NR_finit_module,
        __NR_delete_module, __NR_reboot, __NR_swapon, __NR_swapoff, __NR_keyctl, __NR_add_key,
        __NR_request_key, __NR_userfaultfd, __NR_io_uring_setup, __NR_io_uring_enter,
        __NR_io_uring_register, __NR_personality, __NR_setuid, __NR_setgid, __NR_setreuid,
        __NR_setregid, __NR_setresuid, __NR_setresgid, __NR_setgroups, __NR_setfsuid,
        __NR_setfsgid, __NR_capset, __NR_open_by_handle_at, __NR_name_to_handle_at,
        __NR_fanotify_init, __NR_quotactl, __NR_acct, __NR_settimeofday, __NR_clock_settime,
        __NR_adjtimex, __NR_clock_adjtime, __NR_sethostname, __NR_setdomainname, __NR_syslog,
        __NR_vhangup, __NR_mknodat, __NR_move_mount, __NR_open_tree, __NR_fsopen, __NR_fsconfig,
        __NR_fsmount, __NR_fspick, __NR_kexec_file_load,
#ifdef __NR_mknod
        __NR_mknod,
#endif
#ifdef __NR_iopl
        __NR_iopl, __NR_ioperm,
#endif
};

/* The namespace flags of clone(2), which unshare(2) would take: refused.
 * (CLONE_NEWTIME is not one: clone's low byte is the exit signal.) */
#define CLONE_NS_FLAGS                                                                                  \
        (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID |  \
         CLONE_NEWNET)

#define LOAD_NR BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr))

int p11_sandbox_seccomp(void) {
        enum { HEAD = 6, PER = 2, TAIL = 12 };
        struct sock_filter f[HEAD + PER * ELEMENTSOF(denied) + TAIL];
        size_t n = 0;
        /* another architecture (x32, i386 on x86_64): refused */
        f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
        f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SANDBOX_ARCH, 1, 0);
        f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
        f[n++] = (struct sock_filter)LOAD_NR;
        /* the x32 numbers share the architecture: refused */
        f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, 0, 1);
        f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
        for (size_t i = 0; i < ELEMENTSOF(denied); i++) {
                f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)denied[i], 0, 1);
                f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM);
        }
        /* clone(flags, ...) into a new namespace: EPERM, as unshare; other
         * clones (threads, fork) go on.  The flags are the low word of the
         * first argument on both architectures (little-endian). */
        f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone, 0, 4);
        f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0]));
        f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_NS_FLAGS, 0, 1);
        f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM);
        f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
        /* clone3's flags are in a structure seccomp cannot read: ENOSYS, so
         * that glibc falls back to clone (as systemd's filters do) */
        f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone3, 0, 1);
        f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS);
        /* socket(domain, ...): AF_UNIX only */
        f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_socket, 0, 3);
        f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0]));
        f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_UNIX, 1, 0);
        f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EAFNOSUPPORT);
        f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
        struct sock_fprog prog = {.len = (unsigned short)n, .filter = f};
        return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0 ? -errno : 0;
}
#else
int p11_sandbox_seccomp(void) {
        return -EOPNOTSUPP;
}
#endif

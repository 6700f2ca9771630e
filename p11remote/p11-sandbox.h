/* p11remote/p11-sandbox.h: what carnet-p11-helper takes away from itself
 * before it loads the PKCS#11 module (docs/pkcs11.md, "The helper
 * process"). */
#pragma once

/* Landlock (Linux 5.13+): from now on the process may only read (and map
 * executable) files beneath /usr, /lib, /lib64, /etc, /proc, /dev,
 * /run/pcscd, the module's folder and the folder of $PCSCLITE_CSOCK_NAME;
 * it may write, create or remove no file anywhere.  So the helper cannot
 * open carnetd's state directory or database even when it runs as
 * carnetd's own user (under systemd).  module may be NULL.  Returns 0,
 * -EOPNOTSUPP when the kernel has no Landlock (the caller goes on), or
 * -errno. */
int p11_sandbox_landlock(const char *module);

/* A seccomp filter (needs no_new_privs): the system calls that a PKCS#11
 * module never needs fail with EPERM (execve and execveat, ptrace and
 * process_vm_*, mounts and namespaces: unshare, setns and clone with a
 * namespace flag, module loading, keyrings, bpf, perf, io_uring, changing
 * credentials or the clock, ...), clone3 fails with ENOSYS (its flags are
 * out of seccomp's sight; glibc then uses clone), and socket() works for
 * AF_UNIX only (pcscd); other families fail with EAFNOSUPPORT.
 * Returns 0, -EOPNOTSUPP on an architecture it does not know, or -errno. */
int p11_sandbox_seccomp(void);

/* lib/macro.h: small helpers shared by every carnet module.
 *
 * Ownership follows systemd's habits: a variable declared with a cleanup
 * attribute is released when it leaves scope, TAKE_PTR() hands it on. */
#pragma once

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _warn_unused_ __attribute__((warn_unused_result))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))
/* a macro's value as a string literal (a constant written into SQL) */
#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

#define TAKE_PTR(p)                                                        \
        ({                                                                 \
                typeof(p) _p_ = (p);                                       \
                (p) = NULL;                                                \
                _p_;                                                       \
        })

#define TAKE_FD(fd)                                                        \
        ({                                                                 \
                int _fd_ = (fd);                                           \
                (fd) = -1;                                                 \
                _fd_;                                                      \
        })

static inline void freep(void *p) {
        free(*(void **)p);
}
#define _cleanup_free_ _cleanup_(freep)

static inline void closep(int *fd) {
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
        }
}
#define _cleanup_close_ _cleanup_(closep)

static inline void fclosep(FILE **f) {
        if (*f)
                fclose(*f);
}
#define _cleanup_fclose_ _cleanup_(fclosep)

/* Declares name##p(type **) that calls func on a non-NULL pointer. */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)                            \
        static inline void func##p(type **p) {                             \
                if (*p)                                                    \
                        func(*p);                                          \
        }

/* Writes the n bytes of b as 2n lower-case hex digits and a NUL into out,
 * which holds 2n + 1 bytes. */
static inline void hex_encode(const uint8_t *b, size_t n, char *out) {
        static const char digits[] = "0123456789abcdef";
        for (size_t i = 0; i < n; i++) {
                out[2 * i] = digits[b[i] >> 4];
                out[2 * i + 1] = digits[b[i] & 0x0f];
        }
        out[2 * n] = '\0';
}

/* The number written with exactly n decimal digits at s (n at most 9), or
 * -1 when one of them is not a digit (a NUL is not: s is read no further). */
static inline int decimal_digits(const char *s, size_t n) {
        int v = 0;
        for (size_t i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return -1;
                v = v * 10 + (s[i] - '0');
        }
        return v;
}

/* The value of the hex digit c (either case), or -1. */
static inline int hex_digit(char c) {
        unsigned u = (unsigned char)c;
        if (u - '0' < 10)
                return (int)(u - '0');
        u |= 0x20; /* 'A'..'F' -> 'a'..'f' */
        return u - 'a' < 6 ? (int)(u - 'a' + 10) : -1;
}

/* Reads the 2n hex digits at s (either case, nothing else: no blank, no
 * sign, no "0x") into the n bytes at out.  0, or -EINVAL at the first
 * character that is not a hex digit (out then partly written). */
static inline int hex_parse(const char *s, size_t n, uint8_t *out) {
        for (size_t i = 0; i < n; i++) {
                int hi = hex_digit(s[2 * i]), lo = hi < 0 ? -1 : hex_digit(s[2 * i + 1]);
                if (lo < 0)
                        return -EINVAL;
                out[i] = (uint8_t)(hi << 4 | lo);
        }
        return 0;
}

/* The time ms milliseconds from now on clock, for timed waits. */
static inline struct timespec timespec_after_ms(clockid_t clock, unsigned ms) {
        struct timespec t;
        clock_gettime(clock, &t);
        t.tv_sec += ms / 1000;
        t.tv_nsec += (long)(ms % 1000) * 1000000L;
        if (t.tv_nsec >= 1000000000L) {
                t.tv_sec++;
                t.tv_nsec -= 1000000000L;
        }
        return t;
}

/* Wipes a secret in a way the optimiser may not remove. */
static inline void secure_zero(void *p, size_t n) {
        explicit_bzero(p, n);
}

/* Moves the first used bytes of *buf (of *cap bytes) into a new buffer of
 * new_cap bytes, wiping and freeing the old one: not realloc, which may
 * leave a copy of a secret behind.  0, or -ENOMEM with *buf untouched. */
static inline int secure_grow(void *buf, size_t used, size_t *cap, size_t new_cap) {
        void **p = buf;
        void *b = malloc(new_cap);
        if (!b)
                return -ENOMEM;
        if (*p) {
                memcpy(b, *p, used);
                secure_zero(*p, *cap);
                free(*p);
        }
        *p = b;
        *cap = new_cap;
        return 0;
}

/* Returns 0 or -errno from a libc call that sets errno and returns -1. */
static inline int negerrno(void) {
        return errno > 0 ? -errno : -EIO;
}

/* strlcpy-like copy into a bounded buffer; returns -ENAMETOOLONG when the
 * source does not fit (the destination then holds a truncated copy). */
static inline int strcpy_bounded(char *dst, size_t size, const char *src) {
        size_t n = strlen(src);
        if (size == 0)
                return -ENAMETOOLONG;
        if (n >= size) {
                memcpy(dst, src, size - 1);
                dst[size - 1] = '\0';
                return -ENAMETOOLONG;
        }
        memcpy(dst, src, n + 1);
        return 0;
}

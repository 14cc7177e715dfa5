/* ARM semihosting calls (see semihost.h) and the newlib hooks built on them. */
#include "semihost.h"

#include <stdarg.h>
#include <stdio.h>

uintptr_t semihost_call(uintptr_t op, uintptr_t arg)
{
    register uintptr_t r0 __asm__("r0") = op;
    register uintptr_t r1 __asm__("r1") = arg;
    /* bkpt 0xAB is the M-profile semihosting trap; QEMU may write memory at r1. */
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void semihost_write(const char *s)
{
    semihost_call(SEMIHOST_SYS_WRITE0, (uintptr_t)s);
}

void semihost_printf(const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    semihost_write(buf);
}

void semihost_write_hex(const char *name, uint32_t value)
{
    char buf[16] = "0x";
    for (int i = 0; i < 8; i++)
        buf[2 + i] = "0123456789abcdef"[(value >> (28 - 4 * i)) & 0xfu];
    buf[10] = '\n';
    buf[11] = '\0';
    semihost_write(name);
    semihost_write(": ");
    semihost_write(buf);
}

void semihost_exit(int status)
{
    /* SYS_EXIT_EXTENDED takes a pointer to a two-word block; plain SYS_EXIT (0x18) on
     * 32-bit ARM cannot carry a status, QEMU would always exit 0 or 1. */
    static volatile uint32_t block[2];
    block[0] = SEMIHOST_ADP_STOPPED_APPLICATION_EXIT;
    block[1] = (uint32_t)status;
    semihost_call(SEMIHOST_SYS_EXIT_EXTENDED, (uintptr_t)block);
    for (;;) { /* not reached under QEMU */ }
}

/* newlib: exit(), abort() and a failed assert() end here, so they end QEMU too. */
void _exit(int status)
{
    semihost_exit(status);
}

/* newlib: printf/puts/fwrite to stdout or stderr go to the semihosting console. */
int _write(int fd, const char *buf, int len)
{
    char chunk[65];
    int done = 0;
    (void)fd;
    while (done < len) {
        int n = len - done < 64 ? len - done : 64;
        for (int i = 0; i < n; i++)
            chunk[i] = buf[done + i];
        chunk[n] = '\0';           /* SYS_WRITE0 stops at a NUL inside the data too */
        semihost_write(chunk);
        done += n;
    }
    return len;
}

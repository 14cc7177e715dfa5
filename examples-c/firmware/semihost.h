/* ARM semihosting for QEMU (-semihosting): console output and exit with a status.
 * Each call is a `bkpt 0xAB` with the operation in r0 and its argument in r1; QEMU
 * services it on the host. On real hardware without a debugger attached this would
 * fault, so it is for the emulator (or a debug probe) only. */
#ifndef SEMIHOST_H
#define SEMIHOST_H

#include <stdint.h>

#define SEMIHOST_SYS_WRITE0 0x04u          /* r1 = NUL-terminated string */
#define SEMIHOST_SYS_EXIT_EXTENDED 0x20u   /* r1 = {ADP_Stopped_ApplicationExit, status} */
#define SEMIHOST_ADP_STOPPED_APPLICATION_EXIT 0x20026u

/* Raw semihosting call: returns r0 after the call. */
uintptr_t semihost_call(uintptr_t op, uintptr_t arg);

/* Print a NUL-terminated string on QEMU's stdout. */
void semihost_write(const char *s);

/* printf-style output through vsnprintf (newlib-nano; "%f" needs -u _printf_float).
 * Output longer than 255 characters is truncated. */
void semihost_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print "name: 0x%08x\n" without printf: safe in fault handlers and before any heap. */
void semihost_write_hex(const char *name, uint32_t value);

/* End QEMU; its process exit status becomes `status & 0xff`. Never returns. */
void semihost_exit(int status) __attribute__((noreturn));

#endif

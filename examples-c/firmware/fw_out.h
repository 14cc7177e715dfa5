/*
 * fw_out.h — what the firmware programs share: output without printf over semihosting (text,
 * unsigned integers, floats in scientific notation), "NAME: measure KEY VALUE" lines for
 * tests/firmware.rs, a status check that exits on failure, and the FNV-1a checksum of rows the
 * host recomputes. Define FW_NAME (the program's name, a string literal) before including it.
 * Everything is static inline: a program links only what it calls.
 */
#ifndef FW_OUT_H
#define FW_OUT_H

#include <stdint.h>

#include "semihost.h"
#include "vireg.h"

#ifndef FW_NAME
#error "define FW_NAME before including fw_out.h"
#endif

static inline char *put_str(char *p, const char *s)
{
    while (*s)
        *p++ = *s++;
    return p;
}

static inline char *put_uint(char *p, uint32_t v)
{
    char tmp[10];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    return p;
}

/* v in scientific notation with 6 significant digits (d.ddddde+XX), single precision only:
 * the scaling by powers of ten rounds, so the last digit may be off by one. */
static inline char *put_float(char *p, float v)
{
    if (v != v)
        return put_str(p, "nan");
    if (v < 0.0f) {
        *p++ = '-';
        v = -v;
    } else {
        *p++ = ' ';
    }
    if (v > 3.4e38f)
        return put_str(p, "inf");
    int e = 0;
    if (v != 0.0f) {
        while (v >= 10.0f) {
            v /= 10.0f;
            e++;
        }
        while (v < 1.0f) {
            v *= 10.0f;
            e--;
        }
    }
    uint32_t digits = (uint32_t)(v * 100000.0f + 0.5f);
    if (digits >= 1000000u) {
        digits /= 10u;
        e++;
    }
    char d[6];
    for (int i = 5; i >= 0; i--) {
        d[i] = (char)('0' + digits % 10u);
        digits /= 10u;
    }
    *p++ = d[0];
    *p++ = '.';
    for (int i = 1; i < 6; i++)
        *p++ = d[i];
    *p++ = 'e';
    *p++ = e < 0 ? '-' : '+';
    if (e < 0)
        e = -e;
    *p++ = (char)('0' + e / 10);
    *p++ = (char)('0' + e % 10);
    return p;
}

/* "FW_NAME: measure NAME VALUE": a figure tests/firmware.rs reads. */
static inline void measure(const char *name, uint32_t value)
{
    char buf[80];
    char *p = put_str(buf, FW_NAME ": measure ");
    p = put_str(p, name);
    *p++ = ' ';
    p = put_uint(p, value);
    *p++ = '\n';
    *p = '\0';
    semihost_write(buf);
}

/* Exits with status 3, naming the call and its status, unless `st` is VIREG_OK. */
static inline void check(vireg_status st, const char *what)
{
    if (st != VIREG_OK) {
        semihost_write(FW_NAME ": FAIL: ");
        semihost_write(what);
        semihost_write(": ");
        semihost_write(vireg_status_str(st));
        semihost_write("\n");
        semihost_exit(3);
    }
}

/* FNV-1a over the little-endian bytes of `v`, continuing `h` (the host computes the same
 * over its rows, in row order: x then y). */
static inline uint32_t fnv1a(uint32_t h, float v)
{
    union { float f; uint32_t u; } bits = { .f = v };
    for (int i = 0; i < 4; i++) {
        h ^= (bits.u >> (8 * i)) & 0xffu;
        h *= 16777619u;
    }
    return h;
}

#endif

/*
 * test_full.c — drives the full-rank fit's C API (vireg_full_*) and the covariance functions of
 * both guides, through every error path, for both precisions. Run by tests/c_api.rs with gcc
 * and clang, plain, under ASan+UBSan and under valgrind.
 *
 * It prints "test_full: N checks, ... 0 failed", then, after a line "values", the bits of every
 * result of a fixed sequence of calls (hexadecimal, one result per line): tests/c_api.rs
 * computes the same sequence through the Rust API and requires the same bits.
 *
 * The checks of one precision are in test_full_family.h, included once per family.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vireg.h"

static int checks = 0;
static int failures = 0;

#define CHECK(cond)                                                                        \
    do {                                                                                   \
        checks++;                                                                          \
        if (!(cond)) {                                                                     \
            failures++;                                                                    \
            fprintf(stderr, "%s:%d [%s]: check failed: %s\n", __FILE__, __LINE__, FAMILY,  \
                    #cond);                                                                \
        }                                                                                  \
    } while (0)

#define EXPECT(call, want)                                                                 \
    do {                                                                                   \
        vireg_status got_ = (call);                                                        \
        checks++;                                                                          \
        if (got_ != (want)) {                                                              \
            failures++;                                                                    \
            fprintf(stderr, "%s:%d [%s]: %s returned %d (%s), expected %s\n", __FILE__,    \
                    __LINE__, FAMILY, #call, (int)got_, vireg_status_str(got_), #want);    \
        }                                                                                  \
    } while (0)

static int same_bytes(const void *a, const void *b, size_t n) {
    return memcmp(a, b, n) == 0;
}

/* The values section: printed after the checks, kept here until then. */
static char values[1 << 17];
static size_t values_len = 0;

static void put_line(const char *name, const char *hex) {
    int n = snprintf(values + values_len, sizeof values - values_len, "%s %s\n", name, hex);
    if (n > 0 && (size_t)n < sizeof values - values_len) values_len += (size_t)n;
}

/* The bits of a float / double, as lowercase hexadecimal of 8 / 16 digits. */
static void bits_float(char *out, float v) {
    uint32_t b;
    memcpy(&b, &v, sizeof b);
    sprintf(out, "%08lx", (unsigned long)b);
}
static void bits_double(char *out, double v) {
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    sprintf(out, "%08lx%08lx", (unsigned long)(b >> 32), (unsigned long)(b & 0xffffffffu));
}

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
/* F(observe) is vireg_full_observe_f32 or _f64; V(name) the mean-field function; L(name) this
 * family's helpers. */
#define F(name) CAT(CAT(vireg_full_, name), SUF)
#define V(name) CAT(CAT(vireg_, name), SUF)
#define L(name) CAT(name, SUF)

#define FAMILY "f32"
#define SUF _f32
#define SUF_UPPER F32
#define REAL float
#define BITS bits_float
#define REAL_INF HUGE_VALF
#include "test_full_family.h"
#undef FAMILY
#undef SUF
#undef SUF_UPPER
#undef REAL
#undef BITS
#undef REAL_INF

#define FAMILY "f64"
#define SUF _f64
#define SUF_UPPER F64
#define REAL double
#define BITS bits_double
#define REAL_INF HUGE_VAL
#include "test_full_family.h"
#undef FAMILY

int main(void) {
    test_full_f32();
    test_full_f64();
    printf("test_full: %d checks, %d passed, %d failed\n", checks, checks - failures, failures);
    printf("values\n%s", values);
    return failures == 0 ? 0 : 1;
}

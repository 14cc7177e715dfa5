/*
 * test_api.c — drives every function of vireg's C API, through every error path, for both
 * precisions. Run by tests/c_api.rs with gcc and clang, plain, under ASan+UBSan and under
 * valgrind. Exits 0 when every check passes, 1 otherwise (each failure is printed).
 *
 * The checks of one precision are in test_api_family.h, included once per family.
 */
#include <float.h>
#include <limits.h>
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

/* Byte-for-byte equality of two objects (states, buffers). Every byte of a state is defined
 * (the library leaves no padding undefined), so valgrind checks the comparison too. */
static int same_bytes(void *a, void *b, size_t n) {
    return memcmp(a, b, n) == 0;
}

/* A hash of every byte of an object, with a branch on each byte's contribution: valgrind
 * reports a conditional jump on an undefined byte, so this finds any byte a vireg function
 * left undefined in a state. */
static unsigned scan_hits = 0;
static uint32_t scan_bytes(const void *p, size_t n) {
    const unsigned char *b = (const unsigned char *)p;
    uint32_t h = 2166136261u;
    size_t i;
    for (i = 0; i < n; i++) {
        h = (h ^ b[i]) * 16777619u;
        if (b[i] == 0x5A) scan_hits++;
    }
    return h;
}
#define SCAN(x) ((void)scan_bytes(&(x), sizeof(x)))

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
/* V(observe) is vireg_observe_f32 or vireg_observe_f64; L(name) names this family's helpers. */
#define V(name) CAT(CAT(vireg_, name), SUF)
#define L(name) CAT(name, SUF)

#define FAMILY "f32"
#define SUF _f32
#define REAL float
#define BIG 1e30f         /* its square overflows */
#define HUGE_LR 1e30f     /* diverges at once */
#define REAL_INF HUGE_VALF
#define CHECKPOINT_SIZE VIREG_CHECKPOINT_SIZE_F32
#include "test_api_family.h"
#undef FAMILY
#undef SUF
#undef REAL
#undef BIG
#undef HUGE_LR
#undef REAL_INF
#undef CHECKPOINT_SIZE

#define FAMILY "f64"
#define SUF _f64
#define REAL double
#define BIG 1e200
#define HUGE_LR 1e300
#define REAL_INF HUGE_VAL
#define CHECKPOINT_SIZE VIREG_CHECKPOINT_SIZE_F64
#include "test_api_family.h"
#undef FAMILY

#define FAMILY "common"

static void test_common(void) {
    /* vireg_status_str: every status has its own text, anything else is "unknown status". */
    static const vireg_status known[] = {
        VIREG_OK,
        VIREG_ERR_NON_FINITE,
        VIREG_ERR_DIMENSION,
        VIREG_ERR_FEATURES,
        VIREG_ERR_CONFIG,
        VIREG_ERR_DIVERGED,
        VIREG_ERR_OVERFLOW,
        VIREG_ERR_NOT_CONVERGED,
        VIREG_ERR_MISMATCH,
        VIREG_ERR_BUFFER_TOO_SMALL,
        VIREG_ERR_BAD_CHECKPOINT,
        VIREG_ERR_CHECKSUM,
        VIREG_ERR_INCOMPATIBLE,
        VIREG_ERR_ILL_CONDITIONED,
        VIREG_ERR_NOT_FITTED,
        VIREG_ERR_TRUNCATED,
        VIREG_ERR_NULL,
        VIREG_ERR_UNINITIALISED,
        VIREG_ERR_BUSY,
        VIREG_ERR_MISALIGNED,
        VIREG_ERR_INVALID_ARGUMENT,
        VIREG_ERR_PANIC,
        VIREG_ERR_STATE_SIZE,
    };
    static const vireg_status unknown[] = {-1, 16, 99, 107, INT32_MIN, INT32_MAX};
    size_t i, j;
    const char *v;
    CHECK(VIREG_OK == 0);
    CHECK(strcmp(vireg_status_str(VIREG_OK), "ok") == 0);
    for (i = 0; i < sizeof known / sizeof known[0]; i++) {
        const char *s = vireg_status_str(known[i]);
        CHECK(s != NULL && strlen(s) > 0 && strcmp(s, "unknown status") != 0);
        for (j = 0; j < i; j++) CHECK(strcmp(s, vireg_status_str(known[j])) != 0);
    }
    /* The kernel's errors are 1..=15, in order. */
    for (i = 1; i <= 15; i++) CHECK(known[i] == (vireg_status)i);
    CHECK(VIREG_ERR_NOT_FITTED == 14 && VIREG_ERR_TRUNCATED == 15 && VIREG_ERR_STATE_SIZE == 106);
    for (i = 0; i < sizeof unknown / sizeof unknown[0]; i++)
        CHECK(strcmp(vireg_status_str(unknown[i]), "unknown status") == 0);

    v = vireg_version();
    CHECK(v != NULL && strlen(v) >= 5 && v[1] == '.');
    /* The header's version is the library's: the string, the packed number, the check. */
    {
        char want[64];
        snprintf(want, sizeof want, "%d.%d.%d", VIREG_VERSION_MAJOR, VIREG_VERSION_MINOR,
                 VIREG_VERSION_PATCH);
        CHECK(v != NULL && strcmp(v, want) == 0);
    }
    CHECK(vireg_version_number() == VIREG_VERSION);
    CHECK(VIREG_VERSION == (VIREG_VERSION_MAJOR * 65536 + VIREG_VERSION_MINOR * 256 + VIREG_VERSION_PATCH));
    CHECK(VIREG_VERSION_COMPATIBLE());
    CHECK(vireg_version_compatible(VIREG_VERSION_MAJOR, VIREG_VERSION_MINOR));
    /* A program compiled against another major version is refused ... */
    CHECK(!vireg_version_compatible(VIREG_VERSION_MAJOR + 1, VIREG_VERSION_MINOR));
    if (VIREG_VERSION_MAJOR > 0)
        CHECK(!vireg_version_compatible(VIREG_VERSION_MAJOR - 1, VIREG_VERSION_MINOR));
    /* ... and one needing a newer minor version; an older one only while the major is 0. */
    CHECK(!vireg_version_compatible(VIREG_VERSION_MAJOR, VIREG_VERSION_MINOR + 1));
    if (VIREG_VERSION_MINOR > 0)
        CHECK(vireg_version_compatible(VIREG_VERSION_MAJOR, VIREG_VERSION_MINOR - 1) ==
              (VIREG_VERSION_MAJOR > 0));
    CHECK(!vireg_version_compatible(UINT32_MAX, UINT32_MAX));
    CHECK(vireg_max_features() == VIREG_MAX_FEATURES);
    CHECK(VIREG_ESTIMATOR_MONTE_CARLO != VIREG_ESTIMATOR_ANALYTIC);
}

/* A checkpoint of one precision is refused by the other. */
static void test_cross_precision(void) {
    static vireg_fit_f32 a;
    static vireg_fit_f64 b, b_before;
    static uint8_t buf32[1 << 16], buf64[1 << 16];
    size_t n32 = vireg_checkpoint_size_f32(), n64 = vireg_checkpoint_size_f64(), w = 0;
    float x32[2] = {1.0f, 2.0f};
    double x64[2] = {1.0, 2.0};
    CHECK(n32 <= sizeof buf32 && n64 <= sizeof buf64);
    if (n32 > sizeof buf32 || n64 > sizeof buf64) return;
    EXPECT(vireg_init_f32(&a, 2, NULL), VIREG_OK);
    EXPECT(vireg_observe_f32(&a, x32, 2, 3.0f), VIREG_OK);
    EXPECT(vireg_save_f32(&a, buf32, sizeof buf32, &w), VIREG_OK);
    EXPECT(vireg_init_f64(&b, 2, NULL), VIREG_OK);
    EXPECT(vireg_observe_f64(&b, x64, 2, 3.0), VIREG_OK);
    EXPECT(vireg_save_f64(&b, buf64, sizeof buf64, &w), VIREG_OK);
    memcpy(&b_before, &b, sizeof b);
    {
        vireg_status s = vireg_load_f64(&b, buf32, sizeof buf32);
        CHECK(s == VIREG_ERR_INCOMPATIBLE);
        s = vireg_load_f64(&b, buf32, n32);
        CHECK(s == VIREG_ERR_INCOMPATIBLE);
        CHECK(same_bytes(&b, &b_before, sizeof b));
        s = vireg_load_f32(&a, buf64, sizeof buf64);
        CHECK(s == VIREG_ERR_INCOMPATIBLE);
    }
    /* A state of one kind is "not initialised" for the other kinds' functions. */
    {
        static vireg_fit_f64 big; /* as large as any state: reinterpret the f32 fit's bytes */
        uint64_t rows;
        memcpy(&big, &a, sizeof a);
        EXPECT(vireg_rows_f64(&big, &rows), VIREG_ERR_UNINITIALISED);
    }
}

int main(void) {
    test_common();
    test_family_f32();
    test_family_f64();
    test_cross_precision();
    printf("test_api: %d checks, %d passed, %d failed\n", checks, checks - failures, failures);
    return failures == 0 ? 0 : 1;
}

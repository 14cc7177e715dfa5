/*
 * test_capacity.c — built by tests/c_api.rs against a header of ANOTHER capacity than the
 * library's (MISMATCH_INCDIR: capacity 8 with the default capacity-16 library), the mistake of
 * mixing a header and a library of different builds. Every function that writes a whole state
 * receives the caller's sizeof through the header's macros and must refuse the state with
 * VIREG_ERR_STATE_SIZE, writing nothing: under AddressSanitizer and valgrind, no access past
 * the caller's (smaller or larger) state. Exits 0 when every check passes.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "vireg.h"

static int failures = 0;

#define EXPECT(call, want)                                                                 \
    do {                                                                                   \
        vireg_status got_ = (call);                                                        \
        if (got_ != (want)) {                                                              \
            failures++;                                                                    \
            fprintf(stderr, "%s:%d: %s returned %d (%s), expected %s\n", __FILE__, __LINE__, \
                    #call, (int)got_, vireg_status_str(got_), #want);                      \
        }                                                                                  \
    } while (0)

#define CHECK(cond)                                                                        \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            failures++;                                                                    \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);      \
        }                                                                                  \
    } while (0)

int main(void) {
    /* On the stack, exactly this header's sizes: ASan poisons the bytes around them. */
    vireg_fit_f32 f32;
    vireg_fit_f64 f64;
    vireg_synth_f32 s32;
    vireg_synth_f64 s64;
    static uint8_t buf[1 << 16];
    uint64_t rows;

    CHECK(vireg_max_features() != VIREG_MAX_FEATURES);
    CHECK(vireg_fit_size_f32() != sizeof f32 && vireg_fit_size_f64() != sizeof f64);
    memset(&f32, 0, sizeof f32);
    memset(&f64, 0, sizeof f64);
    memset(&s32, 0, sizeof s32);
    memset(&s64, 0, sizeof s64);
    memset(buf, 0, sizeof buf);

    EXPECT(vireg_init_f32(&f32, 2, NULL), VIREG_ERR_STATE_SIZE);
    EXPECT(vireg_init_f64(&f64, 2, NULL), VIREG_ERR_STATE_SIZE);
    EXPECT(vireg_load_f32(&f32, buf, sizeof buf), VIREG_ERR_STATE_SIZE);
    EXPECT(vireg_load_f64(&f64, buf, sizeof buf), VIREG_ERR_STATE_SIZE);
    EXPECT(vireg_synth_init_f32(&s32, 2, 1), VIREG_ERR_STATE_SIZE);
    EXPECT(vireg_synth_init_f64(&s64, 2, 1), VIREG_ERR_STATE_SIZE);
    /* nothing was written: the states are still not initialised */
    EXPECT(vireg_rows_f32(&f32, &rows), VIREG_ERR_UNINITIALISED);
    EXPECT(vireg_rows_f64(&f64, &rows), VIREG_ERR_UNINITIALISED);
    CHECK(strstr(vireg_status_str(VIREG_ERR_STATE_SIZE), "VIREG_MAX_FEATURES") != NULL);

    printf("test_capacity: %d failed\n", failures);
    return failures == 0 ? 0 : 1;
}

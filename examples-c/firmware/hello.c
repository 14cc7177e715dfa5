/* Smoke test of the firmware scaffolding, no vireg: semihosting output, float maths
 * and snprintf("%f"), stack painting, the instruction-count markers, and main's
 * return value as QEMU's exit status (build with -DHELLO_RC=3 to see a failing run). */
#include <math.h>
#include <stdio.h>

#include "icount.h"
#include "sbrk.h"
#include "semihost.h"
#include "stackpaint.h"

#ifndef HELLO_RC
#define HELLO_RC 0
#endif

#if __ARM_FP
#define FLOAT_KIND "hard float (FPU)"
#else
#define FLOAT_KIND "soft float"
#endif

/* Basel sum in single precision: sum 1/k^2 -> pi^2/6. Uses a stack buffer so the
 * stack measurement has something to see. */
static __attribute__((noinline)) float basel(int n)
{
    volatile float terms[64];
    float sum = 0.0f;
    for (int k = n; k >= 1; k--) {       /* small terms first: less rounding error */
        terms[k % 64] = 1.0f / ((float)k * (float)k);
        sum += terms[k % 64];
    }
    return sum;
}

int main(void)
{
    semihost_write("hello: " FLOAT_KIND ", built for " __VERSION__ "\n");

    stack_paint();
    size_t before = stack_current();

    icount_begin();                      /* empty region: the markers' own cost */
    icount_end();
    icount_begin();
    float s = basel(1000);
    icount_end();

    size_t used = stack_peak() - before;

    char buf[64];
    snprintf(buf, sizeof buf, "%f", (double)s);
    semihost_printf("hello: basel(1000) = %s (pi^2/6 = %f)\n", buf, M_PI * M_PI / 6.0);
    semihost_printf("hello: stack used by basel: %u bytes (peak %u of %u)%s\n",
                    (unsigned)used, (unsigned)stack_peak(), (unsigned)stack_size(),
                    stack_overflowed() ? " OVERFLOW" : "");
    semihost_printf("hello: heap used by newlib: %u of %u bytes\n",
                    (unsigned)heap_used(), (unsigned)heap_size());

    if (fabsf(s - 1.6439345f) > 1e-4f) {
        semihost_write("hello: FAIL: wrong sum\n");
        return 1;
    }
    semihost_printf("hello: ok, returning %d\n", HELLO_RC);
    return HELLO_RC;
}

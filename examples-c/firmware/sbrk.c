/* _sbrk over a static array: the heap newlib-nano's snprintf/printf need (the "%f"
 * conversion allocates). newlib's own crt0 and nosys _sbrk are not used: the heap has
 * fixed bounds here and running out is reported as ENOMEM, not as a crash.
 * Size: -DHEAP_SIZE=... (bytes), default 16 KiB. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "sbrk.h"

#ifndef HEAP_SIZE
#define HEAP_SIZE (16u * 1024u)
#endif

static uint8_t heap[HEAP_SIZE] __attribute__((aligned(8)));
static size_t heap_brk;   /* bytes handed out so far; only grows in practice */

void *_sbrk(ptrdiff_t incr)
{
    if ((incr > 0 && (size_t)incr > HEAP_SIZE - heap_brk) ||
        (incr < 0 && (size_t)-incr > heap_brk)) {
        errno = ENOMEM;
        return (void *)-1;
    }
    void *old = &heap[heap_brk];
    heap_brk += incr;
    return old;
}

size_t heap_used(void)
{
    return heap_brk;
}

size_t heap_size(void)
{
    return HEAP_SIZE;
}

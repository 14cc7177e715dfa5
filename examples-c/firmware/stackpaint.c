/* Stack painting (see stackpaint.h). */
#include "stackpaint.h"

extern uint32_t __stack_limit[];  /* lowest word of the stack region (link.ld) */
extern uint32_t __stack_top[];    /* one past the highest word; the initial SP */

static inline uint32_t *current_sp(void)
{
    uint32_t *sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    return sp;
}

void stack_paint(void)
{
    /* Only memory strictly below SP is free; this loop itself uses no stack. */
    volatile uint32_t *p = __stack_limit;
    uint32_t *end = current_sp();
    while (p < end)
        *p++ = STACK_PAINT_WORD;
}

size_t stack_current(void)
{
    return (size_t)((uintptr_t)__stack_top - (uintptr_t)current_sp());
}

size_t stack_peak(void)
{
    const volatile uint32_t *p = __stack_limit;
    const uint32_t *sp = current_sp();
    while (p < sp && *p == STACK_PAINT_WORD)
        p++;
    return (size_t)((uintptr_t)__stack_top - (uintptr_t)p);
}

size_t stack_size(void)
{
    return (size_t)((uintptr_t)__stack_top - (uintptr_t)__stack_limit);
}

int stack_overflowed(void)
{
    return __stack_limit[0] != STACK_PAINT_WORD;
}

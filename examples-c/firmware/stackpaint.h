/* Peak stack measurement by painting: fill the free stack below the current stack
 * pointer with a pattern, run the code, then find the lowest word that was overwritten.
 *
 *     stack_paint();
 *     size_t before = stack_current();      // depth of the caller at paint time
 *     work();
 *     size_t used = stack_peak() - before;  // what work() took (plus a call's worth)
 *
 * The stack region is [__stack_limit, __stack_top) from link.ld
 * (size: -Wl,--defsym=STACK_SIZE=...). */
#ifndef STACKPAINT_H
#define STACKPAINT_H

#include <stddef.h>
#include <stdint.h>

#define STACK_PAINT_WORD 0xC5A5C5A5u

void stack_paint(void);       /* paint [__stack_limit, SP) */
size_t stack_current(void);   /* bytes in use now: __stack_top - SP */
size_t stack_peak(void);      /* bytes in use at the high-water mark since the last paint */
size_t stack_size(void);      /* __stack_top - __stack_limit */
int stack_overflowed(void);   /* 1 if the lowest stack word was overwritten */

#endif

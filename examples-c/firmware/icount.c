/* Instruction-count markers (see icount.h). noipa keeps GCC from inlining them,
 * merging the two identical bodies, or assuming anything about them across calls. */
#include "icount.h"

__attribute__((noipa, used)) void icount_begin(void)
{
    __asm__ volatile("" ::: "memory");
}

__attribute__((noipa, used)) void icount_end(void)
{
    __asm__ volatile("" ::: "memory");
}

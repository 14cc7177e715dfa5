/* The C side's heap (sbrk.c): newlib's malloc grows it through _sbrk. */
#ifndef SBRK_H
#define SBRK_H
#include <stddef.h>
size_t heap_used(void);  /* bytes taken by malloc (newlib's printf family) so far */
size_t heap_size(void);  /* capacity, -DHEAP_SIZE */
#endif

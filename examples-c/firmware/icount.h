/* Markers for counting the instructions of a code region under QEMU.
 *
 *     icount_begin();  work();  icount_end();
 *
 * The functions do nothing; the QEMU plugin qemu-plugin/insn_region.c, given their
 * addresses (`make count-PROG` passes them), prints the number of guest instructions
 * executed from the entry of icount_begin to the entry of icount_end, once per
 * begin/end pair. An empty region counts ICOUNT_OVERHEAD instructions (the `bx lr` of
 * icount_begin and the `bl icount_end`); subtract it. */
#ifndef ICOUNT_H
#define ICOUNT_H

#define ICOUNT_OVERHEAD 2u

void icount_begin(void);
void icount_end(void);

#endif

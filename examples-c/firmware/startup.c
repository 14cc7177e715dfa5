/* Start-up for the QEMU MPS2 boards (mps2-an385 Cortex-M3, mps2-an386 Cortex-M4F):
 * vector table, reset handler, fault reporting. Used instead of newlib's crt0
 * (link with -nostartfiles), whose semihosting heap query breaks under QEMU.
 *
 * QEMU loads every ELF segment where it is linked, so .data needs no copy; only .bss
 * is zeroed here. main's return value becomes QEMU's exit status (semihosting). */
#include <stdint.h>

#include "semihost.h"

extern uint32_t __bss_start__[], __bss_end__[];   /* link.ld */
extern uint32_t __stack_top[];                     /* link.ld: initial SP */

int main(void);
void Reset_Handler(void) __attribute__((noreturn));
void Fault_Handler(void) __attribute__((naked, noreturn));
void fault_report(const uint32_t *frame) __attribute__((noreturn, used));

#define SCB_CPACR (*(volatile uint32_t *)0xE000ED88u)

void Reset_Handler(void)
{
    for (uint32_t *p = __bss_start__; p < __bss_end__; p++)
        *p = 0;
#ifdef __ARM_FP
    /* Hard-float build: grant full access to CP10/CP11 (the FPU) before any float
     * instruction runs, then make sure the new setting is in effect. */
    SCB_CPACR |= 0xFu << 20;
    __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
    semihost_exit(main());
}

/* Every exception except reset: report the exception number and the stacked PC/LR,
 * then end QEMU with status 128 + exception number (HardFault: 131), so a crashing
 * test fails its run instead of hanging until the timeout. */
void Fault_Handler(void)
{
    /* The exception frame {r0,r1,r2,r3,r12,lr,pc,xpsr} is at MSP (nothing uses PSP).
     * bl, not b: its range is enough wherever the linker puts fault_report on ARMv6-M. */
    __asm__ volatile("mrs r0, msp\n\tbl fault_report");
}

void fault_report(const uint32_t *frame)
{
    uint32_t ipsr;
    __asm__ volatile("mrs %0, ipsr" : "=r"(ipsr));
    semihost_write("\n*** unexpected exception\n");
    semihost_write_hex("exception", ipsr & 0x1ffu);
    semihost_write_hex("pc", frame[6]);
    semihost_write_hex("lr", frame[5]);
#if __ARM_ARCH_7M__ || __ARM_ARCH_7EM__
    semihost_write_hex("cfsr", *(volatile uint32_t *)0xE000ED28u);  /* fault status */
#endif
    semihost_exit(128 + (int)(ipsr & 0x7fu));
}

/* Entries 0..15: initial SP, Reset, NMI, HardFault, MemManage, BusFault, UsageFault,
 * 4 reserved, SVCall, DebugMonitor, reserved, PendSV, SysTick; then 32 IRQ lines.
 * Nothing here enables an interrupt, so every one of them is a fault. */
typedef void (*vector_t)(void);
__attribute__((section(".vectors"), used))
const vector_t vector_table[16 + 32] = {
    [0] = (vector_t)__stack_top,
    [1] = Reset_Handler,
    [2 ... 6] = Fault_Handler,
    [11] = Fault_Handler,
    [12] = Fault_Handler,
    [14 ... 47] = Fault_Handler,
};

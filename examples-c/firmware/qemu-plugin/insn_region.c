/* QEMU TCG plugin: count guest instructions executed between two addresses.
 *
 *   qemu-system-arm ... -plugin build/insn_region.so,begin=0xADDR,end=0xADDR -d plugin
 *
 * Every executed instruction adds 1 to a counter (an inline TCG op, exact). When the
 * instruction at `begin` executes, the counter is snapshotted; when the one at `end`
 * executes, "insn_region: region N: C instructions" is printed with C the difference.
 * At exit the total count of the run is printed. With the markers of icount.h the
 * addresses are the entries of icount_begin/icount_end (Makefile: count-PROG).
 * Output goes through QEMU's log: it needs `-d plugin` (and `-D file` to redirect).
 *
 * Debian ships QEMU 7.2 with plugin support but neither plugins nor qemu-plugin.h, so
 * the few declarations used are written out below. They follow QEMU's plugin API
 * version 1 (QEMU 4.2 .. 8.1); a newer QEMU may refuse or need the real header. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the subset of QEMU's plugin API (v1) this plugin uses ---------------------- */
typedef uint64_t qemu_plugin_id_t;
typedef struct {
    const char *target_name;
    struct { int min, cur; } version;
    bool system_emulation;
    /* more fields follow in QEMU; unused here */
} qemu_info_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t, struct qemu_plugin_tb *);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t, void *userdata);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t, qemu_plugin_vcpu_tb_trans_cb_t);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *, qemu_plugin_vcpu_udata_cb_t,
                                            enum qemu_plugin_cb_flags, void *userdata);
void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn *, enum qemu_plugin_op,
                                                void *ptr, uint64_t imm);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t, qemu_plugin_udata_cb_t, void *userdata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *, size_t idx);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *);
void qemu_plugin_outs(const char *string);
#define EXPORT __attribute__((visibility("default")))
EXPORT int qemu_plugin_version = 1;
/* ---------------------------------------------------------------------------------- */

static uint64_t executed;    /* instructions so far (single vCPU: no atomics needed) */
static uint64_t snapshot;    /* `executed` when `begin` last ran */
static uint64_t addr_begin = UINT64_MAX, addr_end = UINT64_MAX;
static unsigned regions;

static void on_begin(unsigned int vcpu, void *u)
{
    (void)vcpu; (void)u;
    snapshot = executed;
}

static void on_end(unsigned int vcpu, void *u)
{
    char line[96];
    (void)vcpu; (void)u;
    snprintf(line, sizeof line, "insn_region: region %u: %" PRIu64 " instructions\n",
             ++regions, executed - snapshot);
    qemu_plugin_outs(line);
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    for (size_t i = 0, n = qemu_plugin_tb_n_insns(tb); i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        uint64_t pc = qemu_plugin_insn_vaddr(insn);
        /* Whether a marker callback runs before or after the inline add of its own
         * instruction, it is the same at both markers, so the difference is exact. */
        if (pc == addr_begin)
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_begin, QEMU_PLUGIN_CB_NO_REGS, NULL);
        if (pc == addr_end)
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_end, QEMU_PLUGIN_CB_NO_REGS, NULL);
        qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &executed, 1);
    }
}

static void on_qemu_exit(qemu_plugin_id_t id, void *u)
{
    char line[80];
    (void)id; (void)u;
    snprintf(line, sizeof line, "insn_region: total: %" PRIu64 " instructions\n", executed);
    qemu_plugin_outs(line);
}

EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv)
{
    (void)info;
    for (int i = 0; i < argc; i++) {
        /* Thumb symbol values have bit 0 set; instruction addresses do not. */
        if (strncmp(argv[i], "begin=", 6) == 0)
            addr_begin = strtoull(argv[i] + 6, NULL, 0) & ~(uint64_t)1;
        else if (strncmp(argv[i], "end=", 4) == 0)
            addr_end = strtoull(argv[i] + 4, NULL, 0) & ~(uint64_t)1;
        else {
            fprintf(stderr, "insn_region: unknown argument '%s' (begin=ADDR, end=ADDR)\n", argv[i]);
            return -1;
        }
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
    qemu_plugin_register_atexit_cb(id, on_qemu_exit, NULL);
    return 0;
}

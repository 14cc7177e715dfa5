#!/bin/sh
# Run a firmware ELF under QEMU and exit with the firmware's status (main's return
# value, via semihosting SYS_EXIT_EXTENDED; 128+N for an unexpected exception N;
# 124 if the timeout fired).
#   run.sh MACHINE ELF [extra qemu arguments...]
#   TIMEOUT=60 (seconds) by default.
set -u
[ $# -ge 2 ] || { echo "usage: $0 MACHINE ELF [qemu args...]" >&2; exit 2; }
machine=$1 elf=$2
shift 2
timeout "${TIMEOUT:-60}" qemu-system-arm -M "$machine" -nographic -semihosting \
    -kernel "$elf" "$@" </dev/null
rc=$?
[ $rc -eq 124 ] && echo "run.sh: $elf timed out after ${TIMEOUT:-60}s" >&2
[ $rc -ne 0 ] && echo "run.sh: $elf on $machine exited with status $rc" >&2
exit $rc

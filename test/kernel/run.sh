#!/bin/bash
# The real-kernel tier (npm run test:kernel): boots a Debian kernel with
# device-mapper and LVM2 through ../shared/vm/vm.sh and runs guest.sh there
# as root. Exit 0 on pass (or skip), non-zero on failure.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
vm="$repo/../shared/vm/vm.sh"
if [ ! -f "$vm" ]; then
    echo "test:kernel: SKIPPED: $vm not found (the VM runner from ../shared boots a kernel with device-mapper; these machines have none)"
    exit 0
fi
[ -f "$repo/dist/cli/main.js" ] || { echo "test:kernel: dist/ is missing: run npm run build first" >&2; exit 2; }
out=$(mktemp -d /tmp/snapdelta-kernel.XXXXXX)
trap 'rm -rf "$out"' EXIT
started=$(date +%s)
set +e
# Guest RAM holds the overlay, the PVs (tmpfs loop files) and the target: small volumes keep it light.
VM_TIMEOUT=${VM_TIMEOUT:-900} bash "$vm" "$repo/test/kernel/guest.sh" "$out" "$repo"
rc=$?
set -e
echo
echo "== test:kernel summary ($(( $(date +%s) - started )) s wall, guest exit $rc)"
[ -s "$out/summary.txt" ] && cat "$out/summary.txt" || echo "(the guest wrote no summary)"
if [ $rc -eq 0 ]; then echo "test:kernel: PASSED"; else echo "test:kernel: FAILED (exit $rc)"; fi
exit $rc

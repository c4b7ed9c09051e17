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
# Which guests: classic (guest.sh) and thin (guest-thin.sh); `run.sh thin` runs one.
guests=("${@:-classic thin}")
read -r -a guests <<< "${guests[*]}"
started=$(date +%s)
rc=0
for guest in "${guests[@]}"; do
    case "$guest" in
        classic) script=guest.sh summary=summary.txt ;;
        thin) script=guest-thin.sh summary=summary-thin.txt ;;
        *) echo "test:kernel: unknown guest $guest (expected classic or thin)" >&2; exit 2 ;;
    esac
    set +e
    # Guest RAM holds the overlay, the PVs (tmpfs loop files) and the target: small volumes keep it light.
    VM_TIMEOUT=${VM_TIMEOUT:-900} bash "$vm" "$repo/test/kernel/$script" "$out" "$repo"
    guest_rc=$?
    set -e
    echo
    echo "== test:kernel $guest summary ($(( $(date +%s) - started )) s wall so far, guest exit $guest_rc)"
    [ -s "$out/$summary" ] && cat "$out/$summary" || echo "(the guest wrote no summary)"
    [ $guest_rc -eq 0 ] || rc=$guest_rc
done
if [ $rc -eq 0 ]; then echo "test:kernel: PASSED"; else echo "test:kernel: FAILED (exit $rc)"; fi
exit $rc

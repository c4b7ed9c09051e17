#!/bin/bash
# Runs inside the VM (vm.sh), as root, under a real kernel: a thin pool on
# loop devices, ext4 on a thin volume (mounted with discard, so deleted files
# become left_only ranges) with a writer running; snapdelta backup of the
# thin volume three times, killed at every step including while it holds the
# pool's metadata snapshot; list/mount --lv of thin generations.
# $1 = the repository (same path as on the host). Results: /out/summary-thin.txt.
set -euo pipefail
repo=$1
sd() { node "$repo/bin/snapdelta.js" "$@"; }
summary=/out/summary-thin.txt
: > "$summary"
t0=$(date +%s)
pass() { echo "PASS [$(( $(date +%s) - t0 ))s] thin: $*" | tee -a "$summary"; }
fail() { echo "FAIL [$(( $(date +%s) - t0 ))s] thin: $*" | tee -a "$summary"; exit 1; }
info() { echo "INFO thin: $*" | tee -a "$summary"; }

VG=sdvg-t; POOL=my-pool; LV=data   # hyphens in VG and pool exercise device-mapper's doubling
dmvg=${VG//-/--}; tpool=$dmvg-${POOL//-/--}-tpool
state=/tmp/tstate target=/tmp/tbackup.img
export SNAPDELTA_TEST_CRASH_AT=
# No dmeventd in the guest: LVM would try to start it for every thin LV.
lvm_quiet=(--config 'activation { monitoring = 0 }')

modprobe dm_thin_pool
truncate -s 160M /tmp/tpv1.img
pv=$(losetup -f --show /tmp/tpv1.img)
pvcreate -q "$pv" >/dev/null
vgcreate -q "$VG" "$pv" >/dev/null
lvcreate -q -y "${lvm_quiet[@]}" --type thin-pool -L 128M --chunksize 64k -n "$POOL" "$VG" >/dev/null
lvcreate -q -y "${lvm_quiet[@]}" -V 64M -T "$VG/$POOL" -n "$LV" >/dev/null 2>&1
mkfs.ext4 -q -E lazy_itable_init=0,lazy_journal_init=0,nodiscard "/dev/$VG/$LV"
mkdir -p /mnt/tfs && mount -o discard "/dev/$VG/$LV" /mnt/tfs
dd if=/dev/urandom of=/mnt/tfs/seed bs=1M count=8 conv=fsync status=none
info "thin pool $VG/$POOL (64 KiB blocks) on $pv, ext4 on thin $VG/$LV mounted with discard"
lvs -a --reportformat json --units b --nosuffix --config 'report/time_format="%s"' \
    -o lv_name,vg_name,lv_attr,origin,lv_size,lv_time,chunk_size,snap_percent,lv_uuid,lv_dm_path,lv_path,pool_lv,thin_id "$VG" > /out/lvs-thin.json

# A writer that writes, rewrites and deletes files (the deletes are discards: left_only).
writer() {
    local i=0
    while :; do
        dd if=/dev/urandom of=/mnt/tfs/w$((i % 12)) bs=64k count=$((1 + i % 5)) conv=fsync status=none
        [ $((i % 4)) = 3 ] && rm -f /mnt/tfs/w$(((i + 5) % 12)) && sync
        i=$((i + 1)); sleep 0.1
    done
}
writer & wpid=$!
stop_writer() { kill "$wpid" 2>/dev/null || true; wait "$wpid" 2>/dev/null || true; }
trap stop_writer EXIT

snapshots() { lvs --noheadings -o lv_name -S "origin=$LV" "$VG" | awk '{print $1}'; }
base_of_state() { jq -r .base "$state/$dmvg-$LV.json"; }
held_root() { dmsetup status "$tpool" | awk '{print $7}'; }
backup() { sd backup "$VG/$LV" --to "$target" --state-dir "$state" "$@"; }

check_backup() {
    local what=$1 snaps
    snaps=$(snapshots)
    [ "$(echo "$snaps" | wc -l)" = 1 ] || fail "$what: expected exactly one thin snapshot, found: $(echo $snaps)"
    [ "$snaps" = "$(base_of_state)" ] || fail "$what: snapshot $snaps is not the base recorded in the state file ($(base_of_state))"
    [ "$(lvs --noheadings -o lv_attr "$VG/$snaps" | tr -d ' ' | cut -c1,2,5)" = Vra ] || fail "$what: $snaps is not an active read-only thin LV: $(lvs --noheadings -o lv_attr "$VG/$snaps")"
    [ "$(held_root)" = - ] || fail "$what: the pool still has a metadata snapshot held (root $(held_root))"
    cmp "$target" "/dev/$VG/$snaps" || fail "$what: $target differs from the newest snapshot $snaps"
    pass "$what: $target == $VG/$snaps (cmp), one read-only thin snapshot left, no metadata snapshot held"
}

# --- three backups with the writer running: a full copy, then thin deltas ---
backup --json > /out/trun1.json 2>/out/trun1.err || fail "first backup failed: $(cat /out/trun1.err)"
[ "$(jq -r .mode /out/trun1.json)" = full ] || fail "first backup: expected a full copy, got $(jq -c . /out/trun1.json)"
check_backup "run 1 (full)"
for n in 2 3; do
    sleep 1
    backup --json > /out/trun$n.json 2>/out/trun$n.err || fail "backup run $n failed: $(cat /out/trun$n.err)"
    mode=$(jq -r .mode /out/trun$n.json); bytes=$(jq -r .bytesCopied /out/trun$n.json)
    [ "$mode" = delta ] || fail "run $n: expected a delta copy, got $mode"
    [ "$bytes" -lt $((64 * 1024 * 1024)) ] || fail "run $n: the delta copied the whole volume ($bytes bytes)"
    check_backup "run $n (thin delta, $bytes bytes, writer running)"
done

# --- killed at every step, then recovered by the next run ---
for point in creating-snapshot lvcreate-done snapshot-created copy-started metadata-snapshot-held mid-copy copied verified old-removed; do
    sleep 1
    before=$(base_of_state)
    set +e
    SNAPDELTA_TEST_CRASH_AT=$point backup --quiet 2>/out/tcrash-$point.err
    rc=$?
    set -e
    [ $rc = 137 ] || fail "crash at $point: expected death by SIGKILL (137), got exit $rc: $(cat /out/tcrash-$point.err)"
    left=$(held_root)
    if [ "$point" = metadata-snapshot-held ]; then
        [ "$left" != - ] || fail "crash at $point: expected the killed run to leave its metadata snapshot held"
    else
        [ "$left" = - ] || fail "crash at $point: a metadata snapshot is held (root $left)"
    fi
    [ "$point" = old-removed ] || snapshots | grep -qx "$before" || fail "crash at $point: the previous snapshot $before was removed before the new one was verified"
    backup --json > /out/trecover-$point.json 2>/out/trecover-$point.err || fail "recovery after a crash at $point failed: $(cat /out/trecover-$point.err)"
    if [ "$point" = metadata-snapshot-held ]; then
        grep -q "released the metadata snapshot (root block $left)" /out/trecover-$point.err || fail "recovery after $point: no notice of the release of root $left: $(cat /out/trecover-$point.err)"
    fi
    check_backup "killed at $point (held root after the kill: $left), next run recovered ($(jq -r .mode /out/trecover-$point.json))"
done

# --- a metadata snapshot held by someone else: refused (exit 7), left held ---
dmsetup message "$tpool" 0 reserve_metadata_snap
root=$(held_root)
sleep 1
rc=0; backup --quiet 2>/out/theld.err || rc=$?
[ $rc = 7 ] && grep -q 'metadata snapshot held' /out/theld.err || fail "someone else's metadata snapshot: exit $rc, expected 7: $(cat /out/theld.err)"
[ "$(held_root)" = "$root" ] || fail "someone else's metadata snapshot (root $root) was released or replaced: now $(held_root)"
dmsetup message "$tpool" 0 release_metadata_snap
backup --json > /out/tafter-held.json 2>/out/tafter-held.err || fail "the backup after the release failed: $(cat /out/tafter-held.err)"
check_backup "someone else's metadata snapshot refused with exit 7 and left held; the next run finished"

# --- list --lv and mount --lv: thin generations ---
stop_writer; sync
lvcreate -q -y "${lvm_quiet[@]}" -s -n probe "$VG/$LV" >/dev/null 2>&1   # as an admin would: inactive, activation skip
sd list --lv "$VG/$LV" --json > /out/tlist.json
[ "$(jq -r '.kind' /out/tlist.json)" = thin ] || fail "list --lv: expected kind thin: $(jq -c . /out/tlist.json)"
[ "$(jq -r '.generations | map(.kind) | join(",")' /out/tlist.json)" = thin,full ] || fail "list --lv: expected a thin and a full generation: $(jq -c .generations /out/tlist.json)"
gen=$(jq -r '.generations[0].name' /out/tlist.json); full=$(jq -r '.generations[1].name' /out/tlist.json)
mkdir -p /mnt/tgens
sd mount /mnt/tgens --lv "$VG/$LV" > /out/tmount.txt
cp "$target" /tmp/tapply.img
ok=1
sd apply "/mnt/tgens/$gen" /tmp/tapply.img --quiet || ok=0
cmp /tmp/tapply.img "/dev/$VG/probe" || ok=0
cmp "/mnt/tgens/$full/full.img" "/dev/$VG/probe" || ok=0
kind=$(jq -r .kind "/mnt/tgens/$gen/info.json")
sd umount /mnt/tgens
[ $ok = 1 ] || fail "mount --lv: applying $gen onto the backup or reading $full/full.img did not give the probe snapshot"
[ "$kind" = thin ] || fail "mount --lv: $gen/info.json says kind $kind, expected thin"
[ "$(held_root)" = - ] || fail "mount --lv left a metadata snapshot held"
pass "list/mount --lv: $gen (kind thin) applied onto the backup == probe; $full/full.img == probe; nothing held"
lvremove -q -y "$VG/probe" >/dev/null

umount /mnt/tfs
pass "all thin kernel-tier checks ($(( $(date +%s) - t0 )) s in the guest)"

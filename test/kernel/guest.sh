#!/bin/bash
# Runs inside the VM (vm.sh), as root, under a real kernel: a VG on loop
# devices, a mounted ext4 LV with a writer running, snapdelta backup several
# times, killed at several steps, and the stale page cache trap.
# $1 = the repository (same path as on the host). Results: /out/summary.txt.
set -euo pipefail
repo=$1
sd() { node "$repo/bin/snapdelta.js" "$@"; }
summary=/out/summary.txt
: > "$summary"
t0=$(date +%s)
pass() { echo "PASS [$(( $(date +%s) - t0 ))s] $*" | tee -a "$summary"; }
fail() { echo "FAIL [$(( $(date +%s) - t0 ))s] $*" | tee -a "$summary"; exit 1; }
info() { echo "INFO $*" | tee -a "$summary"; }

VG=sdvg-k; LV=data            # a '-' in the VG name exercises device-mapper's name escaping
dmvg=${VG//-/--}
state=/tmp/state target=/tmp/backup.img
export SNAPDELTA_TEST_CRASH_AT=   # set per run below

# --- volume group on two loop devices, ext4 on a 64 MiB LV ---
truncate -s 72M /tmp/pv1.img /tmp/pv2.img
pv1=$(losetup -f --show /tmp/pv1.img); pv2=$(losetup -f --show /tmp/pv2.img)
pvcreate -q "$pv1" "$pv2" >/dev/null
vgcreate -q "$VG" "$pv1" "$pv2" >/dev/null
lvcreate -q -y -L 64M -n "$LV" "$VG" >/dev/null
mkfs.ext4 -q -E lazy_itable_init=0,lazy_journal_init=0 "/dev/$VG/$LV"
mkdir -p /mnt/fs && mount "/dev/$VG/$LV" /mnt/fs
dd if=/dev/urandom of=/mnt/fs/seed bs=1M count=8 conv=fsync status=none
info "VG $VG on $pv1 $pv2, ext4 on $VG/$LV mounted"
t_start=$(date +%s%N); sd --version >/dev/null; info "snapdelta start-up under emulation: $(( ($(date +%s%N) - t_start) / 1000000 )) ms"

# --- a writer that keeps changing files while snapshots are taken ---
writer() {
    local i=0
    while :; do
        dd if=/dev/urandom of=/mnt/fs/w$((i % 16)) bs=4k count=8 conv=fsync status=none
        i=$((i + 1)); sleep 0.1
    done
}
writer & wpid=$!
stop_writer() { kill "$wpid" 2>/dev/null || true; wait "$wpid" 2>/dev/null || true; }
trap stop_writer EXIT

snapshots() { lvs --noheadings -o lv_name -S "origin=$LV" "$VG" | awk '{print $1}'; }
base_of_state() { jq -r .base "$state/$dmvg-$LV.json"; }

# After a completed run: one snapshot left, recorded as the base, and TARGET equal to it.
check_backup() {
    local what=$1 snaps
    snaps=$(snapshots)
    [ "$(echo "$snaps" | wc -l)" = 1 ] || fail "$what: expected exactly one snapshot, found: $(echo $snaps)"
    [ "$snaps" = "$(base_of_state)" ] || fail "$what: snapshot $snaps is not the base recorded in the state file ($(base_of_state))"
    cmp "$target" "/dev/$VG/$snaps" || fail "$what: $target differs from the newest snapshot $snaps"
    pass "$what: $target == $VG/$snaps (cmp), one snapshot left"
}

backup() { sd backup "$VG/$LV" --to "$target" --state-dir "$state" --snapshot-size 16M "$@"; }

# --- first run: full copy into a new file ---
backup --json > /out/run1.json || fail "first backup failed: $(cat /out/run1.json)"
[ "$(jq -r .mode /out/run1.json)" = full ] || fail "first backup: expected a full copy, got $(jq -c . /out/run1.json)"
check_backup "run 1 (full)"

# --- increments with the writer running ---
for n in 2 3; do
    sleep 1
    backup --json > /out/run$n.json || fail "backup run $n failed"
    mode=$(jq -r .mode /out/run$n.json); bytes=$(jq -r .bytesCopied /out/run$n.json)
    [ "$mode" = delta ] || fail "run $n: expected a delta copy, got $mode"
    [ "$bytes" -lt $((64 * 1024 * 1024)) ] || fail "run $n: the delta copied the whole volume ($bytes bytes)"
    [ "$(jq -r .removedSnapshot /out/run$n.json)" != null ] || fail "run $n: the previous snapshot was not removed"
    check_backup "run $n (delta, $bytes bytes, writer running)"
done

# --- killed at several steps, then recovered by the next run ---
# before, during and after the copy, and between verify and removal (every step: the fast tier)
for point in snapshot-created mid-copy copied verified; do
    sleep 1
    before=$(base_of_state)
    set +e
    SNAPDELTA_TEST_CRASH_AT=$point backup --quiet 2>/out/crash-$point.err
    rc=$?
    set -e
    [ $rc = 137 ] || fail "crash at $point: expected death by SIGKILL (137), got exit $rc: $(cat /out/crash-$point.err)"
    snapshots | grep -qx "$before" || fail "crash at $point: the previous snapshot $before was removed before the new one was verified"
    backup --json > /out/recover-$point.json 2>/out/recover-$point.err || fail "recovery after a crash at $point failed: $(cat /out/recover-$point.err)"
    [ "$(jq -r .resumed /out/recover-$point.json)" = true ] || fail "recovery after $point: the run did not resume the interrupted increment"
    check_backup "killed at $point, next run recovered ($(jq -r .mode /out/recover-$point.json))"
done

# --- two runs at once: one of them is refused with exit 6 (whichever node starts second) ---
set +e
backup --quiet 2>/out/locked-a.err & a=$!
backup --quiet 2>/out/locked-b.err; rc_b=$?
wait $a; rc_a=$?
set -e
case "$rc_a,$rc_b" in
    0,6|6,0) pass "two concurrent runs: one finished, the other was refused with exit 6 ($(cat /out/locked-a.err /out/locked-b.err | grep -m1 'another snapdelta backup' | cut -c1-90)...)" ;;
    0,0) info "two concurrent runs did not overlap (both exit 0): the lock was not exercised" ;;
    *) fail "two concurrent runs: exits $rc_a and $rc_b, expected 0 and 6: $(cat /out/locked-a.err /out/locked-b.err)" ;;
esac
check_backup "after concurrent runs"

# --- the stale page cache trap: the COW read twice in one boot ---
stop_writer; sync
base=$(base_of_state)
cow=/dev/mapper/$dmvg-${base//-/--}-cow
dd if=/dev/urandom of=/mnt/fs/trap1 bs=4k count=64 conv=fsync status=none
kernel_count() { dmsetup status "$dmvg-${base//-/--}" | awk '{split($4, a, "/"); print (a[1] - $5) / 8}'; }
dd if="$cow" of=/dev/null bs=1M status=none   # fills the page cache of the -cow node, as an earlier buffered reader would
c1=$(sd map --cow "$cow" --json | jq .exceptions); k1=$(kernel_count)
[ "$c1" = "$k1" ] || fail "first COW read: snapdelta map sees $c1 exceptions, dmsetup status says $k1"
dd if=/dev/urandom of=/mnt/fs/trap2 bs=4k count=256 conv=fsync status=none; sync
# entries of metadata area 0 (chunk 1) whose new_chunk is set, as a buffered read of the node sees them
area0_entries() { dd if="$cow" bs=4k skip=1 count=1 status=none | od -An -v -tx8 -w16 | awk '$2 != "0000000000000000"' | wc -l; }
buffered=$(area0_entries)
c2=$(sd map --cow "$cow" --json | jq .exceptions); k2=$(kernel_count)
[ "$c2" -gt "$c1" ] || fail "second COW read: $c2 exceptions, not more than the first read's $c1 (stale page cache)"
[ "$c2" = "$k2" ] || fail "second COW read: snapdelta map sees $c2 exceptions, dmsetup status says $k2"
pass "stale page cache trap: COW read twice in one boot: $c1 then $c2 exceptions, equal to dmsetup status ($k1, $k2)"
info "after the writes, a buffered read of metadata area 0 saw $buffered entries; O_DIRECT saw $(( c2 < 256 ? c2 : 256 )) (256 fit in a 4 KiB area)"

# --- discovery: list --lv and mount --lv with a second snapshot ---
lvcreate -q -y -s -L 16M -n probe "$VG/$LV" >/dev/null
sd list --lv "$VG/$LV" --json > /out/list.json
[ "$(jq -r '.generations | map(.kind) | join(",")' /out/list.json)" = delta,full ] || fail "list --lv: expected a delta and a full generation: $(jq -c .generations /out/list.json)"
gen=$(jq -r '.generations[0].name' /out/list.json); full=$(jq -r '.generations[1].name' /out/list.json)
mkdir -p /mnt/gens
sd mount /mnt/gens --lv "$VG/$LV" > /out/mount.txt
cp "$target" /tmp/apply.img
sd apply "/mnt/gens/$gen" /tmp/apply.img --quiet
ok=1
cmp /tmp/apply.img "/dev/$VG/probe" || ok=0
cmp "/mnt/gens/$full/full.img" "/dev/$VG/probe" || ok=0
sd umount /mnt/gens
[ $ok = 1 ] || fail "mount --lv: applying $gen onto the backup or reading $full/full.img did not give the probe snapshot"
pass "list/mount --lv: $gen applied onto the backup == probe snapshot; $full/full.img == probe"
# A generation mounted by hand names both snapshots from device-mapper: LV names and the UUIDs lvs prints.
base=$(base_of_state)
mkdir -p /mnt/byhand
sd mount /mnt/byhand --cow "/dev/mapper/$dmvg-${base//-/--}-cow" --snapshot "/dev/$VG/probe" --name byhand >/dev/null
from=$(jq -c .from /mnt/byhand/byhand/info.json); to=$(jq -c .to /mnt/byhand/byhand/info.json)
sd umount /mnt/byhand
uuid_of() { lvs --noheadings -o lv_uuid "$VG/$1" | tr -d ' '; }
[ "$from" = "{\"name\":\"$base\",\"uuid\":\"$(uuid_of "$base")\"}" ] || fail "mounted by hand: info.json from is $from, expected $base with its lvs uuid"
[ "$to" = "{\"name\":\"probe\",\"uuid\":\"$(uuid_of probe)\"}" ] || fail "mounted by hand: info.json to is $to, expected probe with its lvs uuid"
pass "mounted by hand from /dev/mapper paths: info.json names from $from and to $to, as lvs does"
bycow=/dev/mapper/$dmvg-${base//-/--}-cow
[ "$(sd map --json --cow "$bycow" --snapshot "/dev/$VG/probe" | jq -c '[.from, .to]')" = "[$from,$to]" ] || fail "map --json by hand does not name from and to as info.json does"
rc=0; sd map --cow "$bycow" --snapshot "/dev/$VG/probe" --base-name not-$base >/dev/null 2>/out/conflict.err || rc=$?
[ $rc = 2 ] && grep -q "belongs to the snapshot $base" /out/conflict.err || fail "--base-name contradicting the COW's LV: exit $rc, expected 2 naming $base: $(cat /out/conflict.err)"
rc=0; sd map --cow "/dev/mapper/$dmvg-probe-cow" --snapshot "/dev/$VG/probe" >/dev/null 2>/out/self.err || rc=$?
[ $rc = 3 ] && grep -q "both are probe" /out/self.err || fail "the COW of probe with probe as --snapshot: exit $rc, expected 3: $(cat /out/self.err)"
pass "by hand: map --json names the same ends; a --base-name the COW contradicts and a snapshot's own COW are refused"
lvremove -q -y "$VG/probe" >/dev/null

# --- the previous snapshot overflows: fallback to a full copy ---
# the next backup's base overflows when more than its COW is written
dd if=/dev/urandom of=/mnt/fs/big bs=1M count=20 conv=fsync status=none; sync
backup --json > /out/overflow.json 2>/out/overflow.err || fail "backup after an overflow failed: $(cat /out/overflow.err)"
[ "$(jq -r .mode /out/overflow.json)" = full ] || fail "overflowed base: expected a full-copy fallback, got $(jq -r .mode /out/overflow.json)"
grep -q 'cannot be used' /out/overflow.err || fail "overflowed base: no message said why: $(cat /out/overflow.err)"
check_backup "previous snapshot overflowed: fell back to a full copy"

# --- a history of every generation: backup --keep 3, four runs with the writer running ---
# Each snapshot is saved in the guest before the next run removes it; the
# history mount must show four generations, each cmp-identical to its copy.
hstate=/tmp/hstate htarget=/tmp/hbackup.img
writer & wpid=$!
for n in 1 2 3 4; do
    sleep 1
    sd backup "$VG/$LV" --to "$htarget" --state-dir "$hstate" --snapshot-size 16M --keep 3 --json > /out/hrun$n.json 2>/out/hrun$n.err ||
        fail "history run $n failed: $(cat /out/hrun$n.err)"
    snap=$(jq -r .snapshot /out/hrun$n.json)
    dd if="/dev/$VG/$snap" of=/tmp/hgen$n.img bs=1M status=none
    cmp "$htarget" /tmp/hgen$n.img || fail "history run $n: $htarget differs from $snap"
done
stop_writer
history=$(jq -r .history.dir /out/hrun4.json)
mkdir -p /mnt/hist
sd mount /mnt/hist --history "$history" --json > /out/hmount.json
names=$(jq -r '.generations[].name' /out/hmount.json)
ok=1; i=0
for name in $names; do
    i=$((i + 1))
    cmp "/mnt/hist/$name/full.img" /tmp/hgen$i.img || ok=0
done
sd umount /mnt/hist
[ $i = 4 ] || fail "history mount: expected 4 generations, found $i: $(echo $names)"
[ $ok = 1 ] || fail "history mount: a generation's full.img differs from its saved snapshot"
pass "history: backup --keep 3 run 4 times with a writer running; the history mount's 4 generations are cmp-identical to their snapshots ($(echo $names))"

umount /mnt/fs
pass "all kernel-tier checks ($(( $(date +%s) - t0 )) s in the guest)"

#!/bin/sh
# Incremental copy to another machine through an ssh pipe: only the delta
# crosses the network, and `snapdelta receive` on the other side checks every
# record before writing it. A cut connection is refused (exit 5): run it again.
# Usage: copy-over-ssh.sh GENDIR HOST TARGET
#   GENDIR  a mounted generation directory, e.g. /mnt/snapdelta/snap2
#   HOST    the backup machine (snapdelta installed there)
#   TARGET  the backup on HOST, e.g. /dev/vg_backup/root
# Without a mount: snapdelta send --cow OLD_COW --snapshot NEW_SNAPSHOT | ssh ...
set -eu
GENDIR=$1
HOST=$2
TARGET=$3
ssh "$HOST" snapdelta receive "$TARGET" < "$GENDIR/delta.stream"

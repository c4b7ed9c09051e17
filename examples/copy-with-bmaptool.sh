#!/bin/sh
# Incremental copy with bmaptool (Debian's bmap-tools): delta.bmap maps
# exactly the changed runs of delta.img, zero-filled ones included.
# bmaptool truncates a regular-file destination (every unmapped region would
# become zeros), so a backup file is written through a loop device.
# Usage: copy-with-bmaptool.sh GENDIR TARGET
#   GENDIR  a mounted generation directory, e.g. /mnt/snapdelta/snap2
#   TARGET  the backup: a block device, or a file (attached to a loop device here)
set -eu
GENDIR=$1
TARGET=$2
if [ -b "$TARGET" ]; then
  DEVICE=$TARGET
else
  DEVICE=$(losetup -f --show "$TARGET")
  trap 'losetup -d "$DEVICE"' EXIT
fi
bmaptool copy --bmap "$GENDIR/delta.bmap" "$GENDIR/delta.img" "$DEVICE"

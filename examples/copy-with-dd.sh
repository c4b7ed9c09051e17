#!/bin/sh
# Incremental copy with GNU dd, driven by chunks.map: copies each listed run
# (OFFSET LENGTH, in bytes) from the generation onto the backup, nothing else.
# Usage: copy-with-dd.sh GENDIR TARGET
#   GENDIR  a mounted generation directory, e.g. /mnt/snapdelta/snap2
#   TARGET  the backup (block device or file) holding the previous snapshot
# Never use conv=sparse here: it would skip the runs whose new content is all
# zeros and leave stale data in the backup.
set -eu
GENDIR=$1
TARGET=$2
grep -v '^#' "$GENDIR/chunks.map" | while read -r OFFSET LENGTH _; do
  dd if="$GENDIR/full.img" of="$TARGET" bs=4M \
     iflag=skip_bytes,count_bytes oflag=seek_bytes conv=notrunc \
     skip="$OFFSET" seek="$OFFSET" count="$LENGTH" status=none
done
sync "$TARGET"

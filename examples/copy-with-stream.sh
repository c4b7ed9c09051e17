#!/bin/sh
# Incremental copy through the delta stream file: copy delta.stream (rsync,
# scp, a USB disk...), then apply it with `snapdelta receive`. A cut or
# corrupted stream is refused (exit 5); apply the same stream again.
# Usage: copy-with-stream.sh GENDIR COPYDIR TARGET
#   GENDIR   a mounted generation directory, e.g. /mnt/snapdelta/snap2
#   COPYDIR  where delta.stream is copied to (on another machine: host:/srv/)
#   TARGET   the backup (block device or file) holding the previous snapshot
set -eu
# snapdelta on PATH (npm install -g), else the checkout or package this example belongs to.
SNAPDELTA=${SNAPDELTA:-$(command -v snapdelta || echo "$(dirname "$0")/../bin/snapdelta.js")}
GENDIR=$1
COPYDIR=$2
TARGET=$3
mkdir -p "$COPYDIR"
rsync "$GENDIR/delta.stream" "$COPYDIR/"
"$SNAPDELTA" receive --from "$COPYDIR/delta.stream" "$TARGET"

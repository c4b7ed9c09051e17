#!/bin/sh
# Incremental copy through rsync: move only changed/ and chunks.map (the
# delta) and base.sha256 (what apply checks the backup against before it
# writes: without it a copy is refused), then write them onto the backup
# with `snapdelta apply`.
# Usage: copy-with-rsync.sh GENDIR COPYDIR TARGET
#   GENDIR   a mounted generation directory, e.g. /mnt/snapdelta/snap2
#   COPYDIR  where the delta is copied to: a fresh directory per generation
#            (on another machine: host:/srv/delta-snap2, then run the apply there)
#   TARGET   the backup (block device or file) holding the previous snapshot
set -eu
# snapdelta on PATH (npm install -g), else the checkout or package this example belongs to.
SNAPDELTA=${SNAPDELTA:-$(command -v snapdelta || echo "$(dirname "$0")/../bin/snapdelta.js")}
GENDIR=$1
COPYDIR=$2
TARGET=$3
mkdir -p "$COPYDIR"
rsync -a --delete "$GENDIR/changed" "$GENDIR/chunks.map" "$GENDIR/base.sha256" "$COPYDIR/"
"$SNAPDELTA" apply "$COPYDIR" "$TARGET"
"$SNAPDELTA" verify --changed-only "$COPYDIR" "$TARGET"

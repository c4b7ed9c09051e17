#!/bin/sh
# Mounts one snapshot generation: the common case of `snapdelta mount`.
# Usage: ./mount.sh MOUNTPOINT OLD_COW NEW_SNAPSHOT [NAME]
set -e
usage() {
  cat <<'USAGE'
Usage: ./mount.sh MOUNTPOINT OLD_COW NEW_SNAPSHOT [NAME]

Mounts MOUNTPOINT/NAME/ (NAME defaults to NEW_SNAPSHOT's base name) holding
full.img, delta.img, chunks.map, changed/ and info.json: the chunks written
since the old snapshot, read from the new snapshot. Read-only; only you can read it.

  MOUNTPOINT    an existing empty directory
  OLD_COW       COW device of the older snapshot, e.g. /dev/mapper/vg-snap1-cow
  NEW_SNAPSHOT  the newer snapshot, e.g. /dev/mapper/vg-snap2 (never the live origin)

Unmount with: node bin/snapdelta.js umount MOUNTPOINT   (or fusermount -u MOUNTPOINT)
More options (several generations, --allow-other, --foreground): node bin/snapdelta.js mount --help
USAGE
}
case "${1:-}" in
  -h | --help) usage; exit 0 ;;
esac
if [ $# -lt 3 ] || [ $# -gt 4 ]; then
  usage >&2
  exit 2
fi
here=$(dirname "$0")
if [ $# -eq 4 ]; then
  exec node "$here/bin/snapdelta.js" mount "$1" --cow "$2" --snapshot "$3" --name "$4"
fi
exec node "$here/bin/snapdelta.js" mount "$1" --cow "$2" --snapshot "$3"

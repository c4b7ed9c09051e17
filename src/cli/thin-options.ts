// The options that name a generation of two LVM thin snapshots (map, mount):
// live, by LV, or offline, from a metadata image (src/thin/thin-generation.ts).
import { Command } from 'commander'

/** Adds the --thin options to `command` (which has its own --snapshot). */
export function addThinOptions(command: Command): Command {
  return command
    .option('--thin-from <VG/S1>', 'the older thin snapshot (what the backup holds); with --thin-to: a thin delta on a live pool (thin_delta on its metadata snapshot, reserved and released around it)')
    .option('--thin-to <VG/S2>', 'the newer thin snapshot, of the same pool: the data source (activated read-only if inactive)')
    .option('--thin-meta <file>', "offline: the pool's metadata device or an image of it, with --from-id, --to-id and --snapshot")
    .option('--from-id <id>', 'offline: the older thin snapshot\'s thin id (lvs -o thin_id)')
    .option('--to-id <id>', "offline: the newer thin snapshot's thin id")
    .option('--base-snapshot <path>', "offline: the older thin snapshot's device or image, read for its bytes in the runs (the content check of apply, base.sha256, the stream's check table)")
}

// The LVM commands snapdelta runs to change volumes: create and remove snapshots.
// Every name goes after `--`, so none can be read as an option.
import { UsageError } from '../errors'
import { runTool } from './run-tool'
import { formatVolumeRef, VolumeRef } from './volume-ref'

export interface SnapshotSpec {
  origin: VolumeRef
  name: string
  /** lvcreate size: "10%ORIGIN" style extents (-l) or an absolute size like "2G" (-L). */
  size: string
  /** lvcreate --chunksize, e.g. "4k". */
  chunkSize: string
}

/** lvcreate -s: a classic snapshot of spec.origin named spec.name. */
export async function createSnapshot(spec: SnapshotSpec): Promise<void> {
  await runTool('lvcreate', ['--yes', '--snapshot', ...sizeArgs(spec.size), '--chunksize', spec.chunkSize, '--name', spec.name, '--', formatVolumeRef(spec.origin)])
}

/**
 * lvcreate -s without a size: a thin snapshot of the thin volume `origin`,
 * read-only from the start (a write to it would make a delta stale) and
 * without the activation-skip flag, so that LVM activates it now and at boot.
 */
export async function createThinSnapshot(origin: VolumeRef, name: string): Promise<void> {
  await runTool('lvcreate', ['--yes', '--snapshot', '--setactivationskip', 'n', '--permission', 'r', '--name', name, '--', formatVolumeRef(origin)])
}

/** lvremove -y -- VG/LV. */
export async function removeVolume(ref: VolumeRef): Promise<void> {
  await runTool('lvremove', ['--yes', '--', formatVolumeRef(ref)])
}

/** -l for percentages and extent counts, -L for sizes with a unit. */
export function sizeArgs(size: string): string[] {
  if (/^\d+%(ORIGIN|VG|FREE|PVS)$/i.test(size)) return ['--extents', size]
  if (/^\d+(\.\d+)?[bskmgtpe]?$/i.test(size)) return ['--size', size]
  throw new UsageError(`expected a snapshot size like 2G, 512M or 10%ORIGIN, got \`${size}\``)
}

// The kernel's own view of a snapshot (dmsetup status): LVM's metadata can lag
// behind an overflow, the kernel's status cannot.
import { runTool } from './run-tool'

export type DmSnapshotStatus =
  | { state: 'ok'; sectorsAllocated: number; totalSectors: number; metadataSectors: number }
  | { state: 'invalid' | 'overflow' | 'merge-failed' | 'merging' | 'unknown'; text: string }

/** Status of the device-mapper device `name` (e.g. "vg0-home--snap"). */
export async function readSnapshotStatus(name: string): Promise<DmSnapshotStatus> {
  return parseSnapshotStatus(await runTool('dmsetup', ['status', '--', name]))
}

/**
 * Decodes one status line: "0 131072 snapshot 96/16384 16" (allocated/total
 * sectors, metadata sectors), "... snapshot Invalid", "... snapshot Overflow",
 * "... snapshot Merge failed", or a snapshot-merge target (being merged).
 */
export function parseSnapshotStatus(line: string): DmSnapshotStatus {
  const text = line.trim()
  const fields = text.split(/\s+/)
  const target = fields[2]
  const rest = fields.slice(3).join(' ')
  if (target === 'snapshot-merge') return { state: 'merging', text }
  if (target !== 'snapshot') return { state: 'unknown', text }
  if (rest === 'Invalid') return { state: 'invalid', text }
  if (rest === 'Overflow') return { state: 'overflow', text }
  if (rest === 'Merge failed') return { state: 'merge-failed', text }
  const m = /^(\d+)\/(\d+) (\d+)$/.exec(rest)
  if (!m) return { state: 'unknown', text }
  return { state: 'ok', sectorsAllocated: Number(m[1]), totalSectors: Number(m[2]), metadataSectors: Number(m[3]) }
}

/** Exceptions the kernel has committed: data chunks allocated beyond the header and metadata areas. */
export function committedExceptions(status: { sectorsAllocated: number; metadataSectors: number }, chunkSizeSectors: number): number {
  return (status.sectorsAllocated - status.metadataSectors) / chunkSizeSectors
}

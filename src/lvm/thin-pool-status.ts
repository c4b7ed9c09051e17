// The kernel's status of a thin-pool target (dmsetup status VG-POOL-tpool),
// as documented in the kernel's device-mapper/thin-provisioning.rst:
//   0 131072 thin-pool <transaction id> <used>/<total metadata blocks> <used>/<total data blocks>
//     <held metadata root|-> rw|ro|out_of_data_space ignore_discard|[no_]discard_passdown
//     error|queue_if_no_space needs_check|- [metadata low watermark]
// or "... thin-pool Fail" / "... thin-pool Error".
import { runTool } from './run-tool'

export type ThinPoolStatus =
  | {
      state: 'ok'
      transactionId: number
      metadataUsedBlocks: number
      metadataTotalBlocks: number
      dataUsedBlocks: number
      dataTotalBlocks: number
      /** The metadata snapshot's root block while one is held (reserve_metadata_snap), else null. */
      heldMetadataRoot: number | null
      mode: 'rw' | 'ro' | 'out_of_data_space'
      needsCheck: boolean
      text: string
    }
  | { state: 'fail' | 'error' | 'unknown'; text: string }

/** Status of the thin-pool target named `tpoolDmName` (e.g. "vg-pool-tpool"). */
export async function readThinPoolStatus(tpoolDmName: string): Promise<ThinPoolStatus> {
  return parseThinPoolStatus(await runTool('dmsetup', ['status', '--', tpoolDmName]))
}

const OK_STATUS = /^(\d+) (\d+)\/(\d+) (\d+)\/(\d+) (\d+|-) (rw|ro|out_of_data_space) (?:ignore_discard|(?:no_)?discard_passdown) (?:error|queue)_if_no_space (needs_check|-)(?: \d+)?$/

/** Decodes one status line; anything this snapdelta does not know is state 'unknown', never a guess. */
export function parseThinPoolStatus(line: string): ThinPoolStatus {
  const text = line.trim()
  const fields = text.split(/\s+/)
  if (fields[2] !== 'thin-pool') return { state: 'unknown', text }
  const rest = fields.slice(3).join(' ')
  if (rest === 'Fail') return { state: 'fail', text }
  if (rest === 'Error') return { state: 'error', text }
  const m = OK_STATUS.exec(rest)
  if (!m) return { state: 'unknown', text }
  const numbers = m.slice(1, 6).map(Number)
  if (!numbers.every(Number.isSafeInteger) || (m[6] !== '-' && !Number.isSafeInteger(Number(m[6])))) return { state: 'unknown', text }
  return {
    state: 'ok',
    transactionId: numbers[0],
    metadataUsedBlocks: numbers[1],
    metadataTotalBlocks: numbers[2],
    dataUsedBlocks: numbers[3],
    dataTotalBlocks: numbers[4],
    heldMetadataRoot: m[6] === '-' ? null : Number(m[6]),
    mode: m[7] as 'rw' | 'ro' | 'out_of_data_space',
    needsCheck: m[8] === 'needs_check',
    text,
  }
}

/**
 * Why a pool must not get a new snapshot, or null when it is healthy.
 * `metadataTrusted` says whether its mappings may still be read for a
 * delta: a full or read-only pool still maps correctly; one the kernel
 * failed, or flagged for thin_check, may not.
 */
export function thinPoolProblem(status: ThinPoolStatus): { reason: string; metadataTrusted: boolean } | null {
  const said = `(dmsetup status: ${status.text})`
  if (status.state !== 'ok') return { reason: `the kernel reports the thin pool ${status.state === 'unknown' ? 'in a state snapdelta does not know' : 'failed'} ${said}`, metadataTrusted: false }
  if (status.needsCheck) return { reason: `the thin pool is flagged needs_check: its metadata must be repaired first (lvconvert --repair) ${said}`, metadataTrusted: false }
  if (status.mode === 'ro') return { reason: `the thin pool is read-only (out of metadata space, or after an error) ${said}`, metadataTrusted: true }
  if (status.mode === 'out_of_data_space' || status.dataUsedBlocks >= status.dataTotalBlocks) {
    return { reason: `the thin pool is out of data space (${status.dataUsedBlocks}/${status.dataTotalBlocks} blocks used) ${said}`, metadataTrusted: true }
  }
  if (status.metadataUsedBlocks >= status.metadataTotalBlocks) {
    return { reason: `the thin pool is out of metadata space (${status.metadataUsedBlocks}/${status.metadataTotalBlocks} blocks used) ${said}`, metadataTrusted: true }
  }
  return null
}

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

// Where a thin LV lives: its thin device id, its pool, the pool's metadata
// device and the -tpool device-mapper name its messages go to. All from lvs,
// which answers for inactive thin snapshots too.
import { ExternalCommandError, NotFoundError, UsageError } from '../errors'
import { toThinId, ThinId } from '../thin/thin-id'
import { runTool } from './run-tool'
import { dmName, formatVolumeRef, VolumeRef } from './volume-ref'

export interface ThinVolume {
  ref: VolumeRef
  thinId: ThinId
  pool: VolumeRef
  /** The thin LV it is a snapshot of, '' for none. */
  origin: string
  /** The size it shows (virtual size), in bytes. */
  sizeBytes: number
  /** lv_attr: [0] 'V' thin volume, [1] 'w'/'r' permission, [4] 'a' active, [9] 'k' activation skip. */
  attr: string
  active: boolean
  readOnly: boolean
  skipActivation: boolean
  /** /dev/mapper/<escaped vg>-<escaped lv>, readable once active. */
  dmPath: string
  /** The LV UUID lvs prints: names the snapshot in generation identities. */
  uuid: string
}

export interface ThinPool {
  ref: VolumeRef
  /** The pool's metadata device, e.g. /dev/mapper/vg-pool_tmeta: what thin_delta reads. */
  metadataDmPath: string
  /** The device-mapper name of the thin-pool target, e.g. "vg-pool-tpool": where dmsetup messages and status go. */
  tpoolDmName: string
  /** The pool's block size (lvs chunk_size), in bytes. */
  blockSizeBytes: number
}

/** The thin-pool target's device-mapper name: "VG-POOL-tpool", each '-' inside a name doubled (VG-POOL is a linear device on top). */
export function tpoolDmName(pool: VolumeRef): string {
  return `${dmName(pool)}-tpool`
}

/** Looks up a thin volume or thin snapshot; refuses any other kind of LV. */
export async function findThinVolume(ref: VolumeRef): Promise<ThinVolume> {
  const row = await readLvFields(ref, ['lv_attr', 'lv_size', 'thin_id', 'pool_lv', 'origin', 'lv_dm_path', 'lv_uuid'])
  const attr = row.lv_attr
  if (attr[0] !== 'V' || row.pool_lv === '' || row.thin_id === '') {
    throw new UsageError(`${formatVolumeRef(ref)} is not a thin volume (lv_attr ${attr}, pool_lv \`${row.pool_lv}\`): expected a thin LV or thin snapshot`)
  }
  return {
    ref,
    thinId: toThinId(row.thin_id, `lvs thin_id of ${formatVolumeRef(ref)}`),
    pool: { vg: ref.vg, lv: row.pool_lv },
    origin: row.origin,
    sizeBytes: wholeNumber(row.lv_size, 'lv_size', ref),
    attr,
    active: attr[4] === 'a',
    readOnly: attr[1] === 'r',
    skipActivation: attr[9] === 'k',
    dmPath: row.lv_dm_path,
    uuid: row.lv_uuid,
  }
}

/** Looks up a thin pool and its metadata LV (lvs metadata_lv gives "[pool_tmeta]"). */
export async function findThinPool(ref: VolumeRef): Promise<ThinPool> {
  const row = await readLvFields(ref, ['lv_attr', 'metadata_lv', 'chunk_size'])
  const metadataLv = /^\[([^\]]+)\]$/.exec(row.metadata_lv)?.[1] ?? row.metadata_lv
  if (row.lv_attr[0] !== 't' || metadataLv === '') {
    throw new UsageError(`${formatVolumeRef(ref)} is not a thin pool (lv_attr ${row.lv_attr}, metadata_lv \`${row.metadata_lv}\`)`)
  }
  const meta = await readLvFields({ vg: ref.vg, lv: metadataLv }, ['lv_dm_path'])
  return { ref, metadataDmPath: meta.lv_dm_path, tpoolDmName: tpoolDmName(ref), blockSizeBytes: wholeNumber(row.chunk_size, 'chunk_size', ref) }
}

// One LV's fields from lvs' JSON report; -a so hidden LVs ([pool_tmeta]) answer too.
async function readLvFields<F extends string>(ref: VolumeRef, fields: F[]): Promise<Record<F, string>> {
  const name = formatVolumeRef(ref)
  let stdout: string
  try {
    stdout = await runTool('lvs', ['-a', '--reportformat', 'json', '--units', 'b', '--nosuffix', '-o', fields.join(','), '--', name])
  } catch (err) {
    if (err instanceof ExternalCommandError && /Failed to find logical volume|Volume group "[^"]*" not found/.test(err.message)) {
      throw new NotFoundError(`logical volume ${name} not found (lvs: ${err.message.replace(/^[^:]*: /, '')})`, { cause: err })
    }
    throw err
  }
  let rows: Array<Record<string, unknown>> | undefined
  try {
    rows = (JSON.parse(stdout) as { report?: Array<{ lv?: Array<Record<string, unknown>> }> }).report?.flatMap((r) => r.lv ?? [])
  } catch (err) {
    throw new ExternalCommandError(`lvs ${name}: expected a JSON report, got: ${stdout.slice(0, 200)}`, { cause: err })
  }
  if (!rows || rows.length !== 1) throw new ExternalCommandError(`lvs ${name}: expected one row in the JSON report, got ${rows?.length ?? 'none'}`)
  for (const f of fields) {
    if (typeof rows[0][f] !== 'string') throw new ExternalCommandError(`lvs ${name}: the report has no field ${f}`)
  }
  return rows[0] as Record<F, string>
}

function wholeNumber(text: string, field: string, ref: VolumeRef): number {
  if (!/^\d{1,16}$/.test(text)) throw new ExternalCommandError(`lvs ${formatVolumeRef(ref)}: field ${field} should be a whole number of bytes, got \`${text}\``)
  return Number(text)
}

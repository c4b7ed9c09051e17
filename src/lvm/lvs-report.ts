// LVM's own report of the logical volumes in a volume group (lvs --reportformat json).
import { ExternalCommandError, NotFoundError } from '../errors'
import { runTool } from './run-tool'
import { VolumeRef } from './volume-ref'

/** One row of `lvs`, with sizes in bytes and the creation time decoded. */
export interface LvRecord {
  name: string
  vg: string
  /** lv_attr, 10 characters: [0] volume type ('s' snapshot, 'S' merging snapshot, 'o' origin, 'O' origin of a merging snapshot), [4] state ('a' active, 'I' invalid snapshot, 'm' merge failed, ...). */
  attr: string
  /** Origin LV name for a snapshot, '' otherwise. */
  origin: string
  /** For a snapshot: the size of its COW store, not of the volume it shows. */
  sizeBytes: number
  createdAt: Date
  /** Snapshot chunk size; 0 for other volumes. */
  chunkSizeBytes: number
  /** How full a snapshot's COW store is, 0-100; null when not a snapshot. */
  snapPercent: number | null
  uuid: string
  /** /dev/mapper/<escaped vg>-<escaped lv>; a snapshot's COW is this path plus "-cow". */
  dmPath: string
  /** /dev/<vg>/<lv> */
  path: string
  /** The thin pool of a thin volume or thin snapshot, '' otherwise. */
  poolLv: string
  /** The thin device id of a thin volume or thin snapshot, null otherwise. */
  thinId: number | null
}

/** The fields asked for, in lvs' names. */
export const LVS_FIELDS = ['lv_name', 'vg_name', 'lv_attr', 'origin', 'lv_size', 'lv_time', 'chunk_size', 'snap_percent', 'lv_uuid', 'lv_dm_path', 'lv_path', 'pool_lv', 'thin_id']

/** Runs lvs for every LV of `vg`. */
export async function listVolumes(vg: string): Promise<LvRecord[]> {
  const stdout = await runLvs(vg)
  return parseLvsReport(stdout, `lvs ${vg}`)
}

// A VG that does not exist is the user's input, not a failing tool: exit 3 like a missing LV.
async function runLvs(vg: string): Promise<string> {
  try {
    return await runTool('lvs', [
      '--reportformat', 'json', '--units', 'b', '--nosuffix',
      // Seconds since the epoch: no time-zone parsing, and sortable.
      '--config', 'report/time_format="%s"',
      '-o', LVS_FIELDS.join(','),
      // `--`: a VG name is never read as an option.
      '--', vg,
    ])
  } catch (err) {
    if (err instanceof ExternalCommandError && /Volume group "[^"]*" not found/.test(err.message)) {
      throw new NotFoundError(`volume group ${vg} not found (lvs: ${err.message.replace(/^[^:]*: /, '')})`, { cause: err })
    }
    throw err
  }
}

/** Oldest first: creation time (whole seconds), then name. */
export function byCreation(a: LvRecord, b: LvRecord): number {
  return a.createdAt.getTime() - b.createdAt.getTime() || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
}

/** The LV named by `ref`, or null when LVM does not list it. */
export async function findVolume(ref: VolumeRef): Promise<LvRecord | null> {
  return (await listVolumes(ref.vg)).find((v) => v.name === ref.lv) ?? null
}

/** Decodes lvs' JSON report (the layout of lvm2 2.03: {"report":[{"lv":[{field: "text"}]}]}). */
export function parseLvsReport(json: string, source: string): LvRecord[] {
  let doc: { report?: Array<{ lv?: Array<Record<string, string>> }> }
  try {
    doc = JSON.parse(json)
  } catch (err) {
    throw new ExternalCommandError(`${source}: expected a JSON report, got: ${json.slice(0, 200)}`, { cause: err })
  }
  const rows = doc.report?.flatMap((r) => r.lv ?? [])
  if (!rows) throw new ExternalCommandError(`${source}: the JSON report has no "report[].lv" list`)
  return rows.map((row) => parseRow(row, source))
}

function parseRow(row: Record<string, string>, source: string): LvRecord {
  const field = (name: string): string => {
    const value = row[name]
    if (typeof value !== 'string') throw new ExternalCommandError(`${source}: the report has no field ${name}`)
    return value
  }
  const number = (name: string): number => {
    const text = field(name)
    if (!/^\d+$/.test(text)) throw new ExternalCommandError(`${source}: field ${name} should be a whole number of bytes, got \`${text}\``)
    return Number(text)
  }
  const percent = field('snap_percent')
  const thinId = field('thin_id')
  if (thinId !== '' && !/^\d{1,10}$/.test(thinId)) throw new ExternalCommandError(`${source}: field thin_id should be a thin device id, got \`${thinId}\``)
  return {
    name: field('lv_name'),
    vg: field('vg_name'),
    attr: field('lv_attr'),
    origin: field('origin'),
    sizeBytes: number('lv_size'),
    createdAt: parseLvTime(field('lv_time'), source),
    chunkSizeBytes: number('chunk_size'),
    snapPercent: percent === '' ? null : Number(percent),
    uuid: field('lv_uuid'),
    dmPath: field('lv_dm_path'),
    path: field('lv_path'),
    poolLv: field('pool_lv'),
    thinId: thinId === '' ? null : Number(thinId),
  }
}

/** lv_time: epoch seconds (what listVolumes asks for) or lvm's default "YYYY-MM-DD HH:MM:SS +ZZZZ". */
export function parseLvTime(text: string, source: string): Date {
  if (/^\d+$/.test(text)) return new Date(Number(text) * 1000)
  const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d) ([+-]\d\d)(\d\d)$/.exec(text)
  const date = m ? new Date(`${m[1]}T${m[2]}${m[3]}:${m[4]}`) : new Date(NaN)
  if (Number.isNaN(date.getTime())) throw new ExternalCommandError(`${source}: cannot read lv_time \`${text}\``)
  return date
}

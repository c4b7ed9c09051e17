// snapdelta list --lv VG/LV: the generations `mount --lv` would show, without mounting.
import { Command } from 'commander'
import { closeEntries } from '../../generation/root-entries'
import { listedGeneration } from '../../generation/generation-info'
import { openGenerationEntries, planVolumeGenerations } from '../../lvm/lv-generations'
import { parseVolumeRef } from '../../lvm/volume-ref'
import { lvIdentity } from '../../lvm/snapshots'
import { formatBytes } from '../../units'
import { printJson, writeStdout } from '../output'

interface ListOptions {
  lv: string
  json?: boolean
}

/** Registers `snapdelta list`. */
export function registerList(program: Command): void {
  program
    .command('list')
    .summary("list a logical volume's snapshots and the generations mount --lv shows")
    .description(
      "List a logical volume's snapshots (oldest first) and the generations `snapdelta mount --lv` shows: " +
        'one delta per pair of adjacent snapshots, plus the newest snapshot in full. Unusable snapshots ' +
        '(invalid, overflowed, merging, inactive) are listed with the reason. Reads COW tables with O_DIRECT; writes nothing. ' +
        "For a thin volume: its thin snapshots, each delta from thin_delta on the pool's metadata snapshot (reserved and released); " +
        'an inactive thin snapshot is activated read-only to be read, as mount --lv does.',
    )
    .requiredOption('--lv <VG/LV>', 'the origin volume (classic or thin), e.g. vg0/home')
    .option('--json', 'print JSON: the origin, its snapshots (with their LV UUIDs) and the generations (from and to as {name, uuid})')
    .action(async (opts: ListOptions) => {
      const ref = parseVolumeRef(opts.lv)
      const found = await planVolumeGenerations(ref)
      const { origin, snapshots, plans } = found
      const entries = await openGenerationEntries(plans)
      try {
        const generations = entries.map((entry, i) => {
          const plan = plans[i]
          if (entry.kind === 'delta' && plan.kind === 'delta') return listedGeneration(entry.generation)
          if (entry.kind === 'full' && plan.kind === 'full') {
            const { snapshot } = plan
            return { name: entry.name, kind: 'full' as const, snapshot: snapshot.lv.name, to: lvIdentity(snapshot), snapshotPath: entry.snapshot.path, deviceSizeBytes: entry.snapshot.sizeBytes }
          }
          return { name: plan.name, kind: 'error' as const, message: entry.kind === 'error' ? entry.message : 'unexpected entry' }
        })
        const result = {
          volume: `${ref.vg}/${ref.lv}`,
          origin: { name: origin.name, sizeBytes: origin.sizeBytes, path: origin.dmPath },
          kind: found.kind,
          pool: found.kind === 'thin' ? { name: `${found.pool.pool.ref.vg}/${found.pool.pool.ref.lv}`, blockSizeBytes: found.pool.pool.blockSizeBytes, problem: found.pool.problem } : null,
          snapshots: snapshots.map((s) => ({
            name: s.lv.name,
            uuid: s.lv.uuid,
            createdAt: s.lv.createdAt.toISOString(),
            snapshotPath: s.snapshotPath,
            problem: s.problem,
            ...(s.kind === 'cow'
              ? { cowPath: s.cowPath, chunkSizeBytes: s.lv.chunkSizeBytes, cowSizeBytes: s.lv.sizeBytes, snapPercent: s.lv.snapPercent, kernelExceptions: s.kernelExceptions }
              : { thinId: s.thinId, active: s.lv.attr[4] === 'a' }),
          })),
          generations,
        }
        if (opts.json) {
          await printJson(result)
          return
        }
        const kind = result.pool ? `thin, pool ${result.pool.name}` : 'classic snapshots'
        let text = `${result.volume} (${formatBytes(origin.sizeBytes)}, ${kind}): ${snapshots.length} snapshot${snapshots.length === 1 ? '' : 's'}\n`
        if (result.pool?.problem) text += `  POOL: ${result.pool.problem}\n`
        for (const s of result.snapshots) {
          const state = 'thinId' in s ? `thin id ${s.thinId}${s.active ? '' : ', inactive'}` : `COW ${s.snapPercent ?? '?'}% full`
          text += `  ${s.createdAt}  ${s.name}  ${s.problem ? `UNUSABLE: ${s.problem}` : state}\n`
        }
        if (generations.length > 0) text += 'generations (mount --lv shows one directory each):\n'
        for (const g of generations) {
          if ('fromThinId' in g) text += `  ${g.name}/  thin delta: ${formatBytes(g.changedBytes)} changed in ${g.runs} runs (thin ids ${g.fromThinId} -> ${g.toThinId}, data ${g.snapshotPath})\n`
          else if ('cowPath' in g) text += `  ${g.name}/  delta: ${formatBytes(g.changedBytes)} changed in ${g.runs} runs (COW ${g.cowPath}, data ${g.snapshotPath})\n`
          else if (g.kind === 'full') text += `  ${g.name}/  full: ${formatBytes(g.deviceSizeBytes)} (${g.snapshotPath})\n`
          else if ('message' in g) text += `  ${g.name}/  ERROR: ${g.message}\n`
        }
        await writeStdout(text)
      } finally {
        await closeEntries(entries)
      }
    })
}

// snapdelta map: prints a COW's chunk map without mounting anything.
import { Command } from 'commander'
import { openCowChangeSource } from '../../cow/cow-change-source'
import { GenerationChanges, openGeneration } from '../../generation/generation'
import { openThinGeneration, ThinGenerationOptions, wantsThin } from '../../thin/thin-generation'
import { addThinOptions } from '../thin-options'
import { UsageError } from '../../errors'
import { snapshotIdentityOfDevice } from '../../io/dm-identity'
import { GenerationIdentities, UNKNOWN_SNAPSHOT } from '../../generation/generation-identity'
import { resolveFrom } from '../../generation/resolve-identities'
import { ChunkRuns } from '../../map/chunk-runs'
import { chunksMapHeaderOf, writeChunksMapLines } from '../../map/chunks-map'
import { formatChunksMapHeader } from '../../format/chunks-map-text'
import { printJson, writeStdout, writeStdoutOverlapped } from '../output'

// Ten million lines are 180 MB: larger writes, fewer system calls.
const LINES_BUFFER_BYTES = 1 << 20

interface MapOptions extends ThinGenerationOptions {
  cow?: string
  snapshot?: string
  baseName?: string
  json?: boolean
  jsonLines?: boolean
}

/** Registers `snapdelta map`. */
export function registerMap(program: Command): void {
  const command = program
    .command('map')
    .summary("print a generation's chunk map (a COW device, or two thin snapshots) without mounting")
    .description(
      "Print the chunk map of a snapshot's COW device: the byte ranges written to the origin since that snapshot;\n" +
        'or, with the --thin options, the ranges thin_delta lists between two thin snapshots of one pool.\n' +
        'Same format as chunks.map in a mounted generation. Reads the COW with O_DIRECT; writes nothing.',
    )
    .option('--cow <path>', 'COW device or image of the older snapshot (e.g. /dev/mapper/vg-snap1-cow)')
    .option('--snapshot <path>', 'the newer snapshot: checks it holds every chunk and clamps the last run to its size')
    .option('--base-name <name>', "the older snapshot's name (the one the backup holds), shown as \"from\" where the COW does not name it (LVM COWs do); a contradicting one is refused")
    .option('--json', 'print JSON: the header fields (chunkSizeBytes, deviceSizeBytes or null, changedChunks, runs (a count, as in info.json), changedBytes, cowPath, snapshotPath or null), from and to ({name, uuid}), exceptions, and runList: [[offset, length], ...]')
    .option('--json-lines', 'the same as JSON lines: the fields on the first line, then one [offset, length] per run (for maps of millions of runs)')
  addThinOptions(command).action(async (opts: MapOptions) => {
      let changes: GenerationChanges
      let runs: ChunkRuns
      // Without the new snapshot only the older one is known.
      let identities: GenerationIdentities
      let snapshotPath = opts.snapshot ?? null
      if (wantsThin(opts)) {
        if (opts.cow !== undefined) throw new UsageError('--cow names a dm-snapshot COW: a thin delta comes from the --thin options instead')
        const spec = await openThinGeneration(opts)
        const generation = await openGeneration({ ...spec, baseName: opts.baseName })
        await generation.close()
        ;({ changes, runs, identities, snapshotPath } = generation)
      } else if (opts.cow === undefined) {
        throw new UsageError('expected --cow PATH (a dm-snapshot COW), or the --thin options (two thin snapshots)')
      } else if (opts.snapshot) {
        // The checks mount makes, through the same code: a COW given as --snapshot is refused here too.
        const generation = await openGeneration({ cowPath: opts.cow, snapshotPath: opts.snapshot, baseName: opts.baseName })
        await generation.close()
        ;({ changes, runs, identities } = generation)
      } else {
        changes = await openCowChangeSource(opts.cow)
        identities = { to: UNKNOWN_SNAPSHOT, from: resolveFrom({ cowPath: opts.cow, baseName: opts.baseName, cowDevice: await snapshotIdentityOfDevice(changes.olderSnapshotDevice) }) }
        runs = changes.runsFor(undefined)
      }
      const kinds = changes.runKinds()
      const header = chunksMapHeaderOf(runs, changes.path, snapshotPath, kinds)
      const own = changes.kind === 'cow' ? { exceptions: changes.description.exceptions } : { kind: changes.kind, ...changes.description }
      // The kinds are in each run of runList instead, as in chunks.map's lines.
      const { kindNames: _kindNames, ...headerFields } = header
      const summary = { ...headerFields, from: identities.from, to: identities.to, ...own }
      const runEntry = (i: number) => (kinds ? [runs.offsetBytes(i), runs.lengthBytes(i), kinds.names[kinds.codes[i]]] : [runs.offsetBytes(i), runs.lengthBytes(i)])
      if (opts.jsonLines) {
        // A line per run: a map of ten million runs never has to be one JSON document in memory.
        let text = `${JSON.stringify(summary)}\n`
        for (let i = 0; i < runs.count; i++) {
          text += `${JSON.stringify(runEntry(i))}\n`
          if (text.length > 1 << 16) {
            await writeStdout(text)
            text = ''
          }
        }
        await writeStdout(text)
        return
      }
      if (opts.json) {
        const list: Array<Array<number | string>> = []
        for (let i = 0; i < runs.count; i++) list.push(runEntry(i))
        await printJson({ ...summary, runList: list })
        return
      }
      await writeStdout(formatChunksMapHeader(header))
      // Two buffers: one is filled while stdout takes the other.
      const buffers = [Buffer.allocUnsafe(LINES_BUFFER_BYTES), Buffer.allocUnsafe(LINES_BUFFER_BYTES)]
      let taking: Promise<void> = Promise.resolve()
      for (let run = 0, next = 0; run < runs.count; next ^= 1) {
        const written = writeChunksMapLines(runs, kinds, run, buffers[next])
        await taking
        taking = writeStdoutOverlapped(buffers[next].subarray(0, written.filledBytes))
        run = written.nextRun
      }
      await taking
    })
}

// snapdelta send: prints a generation's delta stream on stdout, from a
// generation directory or straight from a COW and the new snapshot; or, with
// --full, a whole snapshot as a full stream (a first backup onto an empty target).
import { Command } from 'commander'
import { openSource } from '../../copy/open-source'
import { GenerationSource } from '../../generation/generation-source'
import { sendStream, streamHeaderOf } from '../../stream/send'
import { rbdDiffNames, sendRbdDiff } from '../../stream/rbd-diff-send'
import { snapshotRunsSource } from '../../backup/volume-source'
import { wholeDeviceRuns } from '../../map/chunk-runs'
import { defaultGenerationName } from '../../generation/generation'
import { FileSource } from '../../io/file-source'
import { UsageError } from '../../errors'
import { writeStdout } from '../output'
import { PROGRESS_OPTION, startProgress } from '../progress'
import { addThinOptions } from '../thin-options'
import { ThinGenerationOptions, wantsThin } from '../../thin/thin-generation'

interface SendOptions extends ThinGenerationOptions {
  cow?: string
  snapshot?: string
  full?: boolean
  name?: string
  baseName?: string
  quiet?: boolean
  progress?: boolean
  format: string
  fromSnap?: string
  toSnap?: string
}

const FORMATS = ['snapdelta', 'rbd-diff']

// The chunk size a full stream's header states: there is no COW; runs are cut at it only where a device is over 1 TiB.
const FULL_STREAM_CHUNK_BYTES = 4096

/** Registers `snapdelta send`. */
export function registerSend(program: Command): void {
  const command = program
    .command('send')
    .summary('write the delta stream of a generation to stdout')
    .description(
      'Write the delta stream (docs/stream-format.md) on stdout: the same bytes as a mounted generation\'s\n' +
        'delta.stream. Pipe it to `snapdelta receive TARGET`, locally or through ssh, or save it to a file.\n' +
        'The stream names its base and carries the SHA-256 of the old and new content of every range, so\n' +
        'receive refuses a TARGET that holds neither (a copied directory has no old content: no such check).\n' +
        'With --full --snapshot S: every byte of S, for a first backup onto an empty target.\n' +
        'With the --thin options: the delta of two thin snapshots of one pool, from thin_delta (as map and mount).',
    )
    .argument('[GENDIR]', 'a generation directory on a mount, or a copy of one')
    .option('--cow <path>', 'COW device of the older snapshot (instead of GENDIR)')
    .option('--snapshot <path>', 'the newer snapshot (instead of GENDIR); with --full, the snapshot to send whole')
    .option('--base-name <name>', "with --cow/--snapshot: the older snapshot's name, the base the stream needs (LVM COWs name it themselves)")
    .option('--full', 'send every byte of --snapshot: a full stream, which needs no base on the receiving side')
    .option('--name <name>', 'with --full: the name the stream gives the snapshot (default: its file name without .img)')
    .option('--format <format>', `snapdelta (the self-checking delta stream) or rbd-diff (Ceph's "rbd diff v1", for \`rbd import-diff - POOL/IMAGE\`)`, 'snapdelta')
    .option('--from-snap <name>', "with --format rbd-diff: the RBD snapshot the image holds, which import-diff requires (default: the generation's base name)")
    .option('--to-snap <name>', "with --format rbd-diff: the RBD snapshot import-diff creates (default: the generation's name)")
    .option('-q, --quiet', 'no progress bar, no notes')
    .option(...PROGRESS_OPTION)
  addThinOptions(command).action(async (dir: string | undefined, opts: SendOptions) => {
      if (process.stdout.isTTY) throw new UsageError('refusing to write a binary stream to a terminal: redirect stdout to a file or a pipe')
      if (!FORMATS.includes(opts.format)) throw new UsageError(`--format ${opts.format}: expected one of ${FORMATS.join(', ')}`)
      const rbd = opts.format === 'rbd-diff'
      if (!rbd && (opts.fromSnap !== undefined || opts.toSnap !== undefined)) throw new UsageError('--from-snap and --to-snap go with --format rbd-diff')
      const source = opts.full ? await openFullSource(dir, opts) : await openDeltaSource(dir, opts)
      try {
        if (rbd) {
          const names = rbdDiffNames(source, opts, opts.full === true)
          const progress = startProgress('send', source.runs.changedBytes, { quiet: opts.quiet === true, lines: opts.progress })
          await sendRbdDiff(source, names, (chunk) => writeStdout(chunk, 'rbd diff'), (bytes) => progress.advance(bytes)).finally(() => progress.stop())
          return
        }
        const header = streamHeaderOf(source)
        if (header.kind === 'delta' && header.checkEntries === null && !opts.quiet) {
          process.stderr.write(
            `snapdelta: note: ${source.description} cannot read the old snapshot, so the stream has no check table: ` +
              'receive will not be able to check that the target holds the base\n',
          )
        }
        const progress = startProgress('send', source.runs.changedBytes, { quiet: opts.quiet === true, lines: opts.progress })
        await sendStream(source, (chunk) => writeStdout(chunk, 'stream'), (bytes) => progress.advance(bytes)).finally(() => progress.stop())
      } finally {
        await source.close()
      }
    })
}

function openDeltaSource(dir: string | undefined, opts: SendOptions): Promise<GenerationSource> {
  if (opts.name !== undefined) throw new UsageError('--name goes with --full: a delta takes its names from the generation')
  if (opts.baseName !== undefined && dir !== undefined) throw new UsageError('--base-name goes with --cow/--snapshot: a generation directory names its snapshots in info.json')
  return openSource({ dir, cowPath: opts.cow, snapshotPath: opts.snapshot, baseName: opts.baseName, thin: opts })
}

// Every byte of the snapshot, from no known snapshot to the one named.
async function openFullSource(dir: string | undefined, opts: SendOptions): Promise<GenerationSource> {
  if (opts.baseName !== undefined) throw new UsageError('--base-name names the base of a delta: a --full stream has none (it needs no base on the receiving side)')
  if (wantsThin(opts)) throw new UsageError('the --thin options name a delta: --full sends one whole snapshot (--snapshot SNAPSHOT)')
  if (dir !== undefined || opts.cow !== undefined || opts.snapshot === undefined) {
    throw new UsageError('--full sends one whole snapshot: give --snapshot SNAPSHOT, without GENDIR or --cow')
  }
  const snapshot = await FileSource.open(opts.snapshot)
  const runs = wholeDeviceRuns(FULL_STREAM_CHUNK_BYTES, snapshot.sizeBytes)
  const source = snapshotRunsSource(snapshot, runs, { name: opts.name ?? defaultGenerationName(opts.snapshot), uuid: null })
  return { ...source, close: () => snapshot.close() }
}

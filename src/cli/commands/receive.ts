// snapdelta receive: applies a delta stream (stdin or a file) onto a backup.
import { Command } from 'commander'
import { constants } from 'fs'
import { Readable } from 'stream'
import { InvalidInputError, UsageError } from '../../errors'
import { peekInput } from '../../stream/peek-input'
import { isRbdDiff, RBD_DIFF_HEADER } from '../../format/rbd-diff'
import { receiveRbdDiff } from '../../stream/rbd-diff-receive'
import { openDataFile } from '../../io/open-data-file'
import { receiveStream, ReceiveSummary } from '../../stream/receive'
import { PROGRESS_OPTION, startProgress, Progress } from '../progress'
import { printJson } from '../output'
import { formatBytes } from '../../units'
import { addHistoryOptions, HistoryCliOptions, historyNote, journalFor } from '../history-options'
import { describeSnapshot } from '../../generation/generation-identity'

interface ReceiveOptions extends HistoryCliOptions {
  from?: string
  quiet?: boolean
  progress?: boolean
  json?: boolean
}

/** Registers `snapdelta receive`. */
export function registerReceive(program: Command): void {
  const command = program
    .command('receive')
    .summary('apply a delta stream or a Ceph rbd diff (stdin or --from) onto the backup')
    .description(
      'Apply a delta stream (from `snapdelta send` or a mount\'s delta.stream) onto TARGET. The header is checked\n' +
        'against TARGET before anything is written, every record before it is written; TARGET is fsynced.\n' +
        'A version-2 delta carries the SHA-256 of its base and new content: TARGET must hold one or the other in\n' +
        'every range (the base, or data an earlier receive wrote), else nothing is written (exit 3).\n' +
        'A cut or corrupted stream exits with status 5: the backup is incomplete; apply the same stream again.\n' +
        'Also takes a Ceph "rbd diff v1" (rbd export-diff, snapdelta send --format rbd-diff): its size must be\n' +
        "TARGET's; it carries no checksums, so only its structure is checked.",
    )
    .argument('<TARGET>', 'the backup: a block device or a regular file, exactly as large as the snapshot')
    .option('--from <file>', 'read the stream from FILE (a regular file) instead of stdin (a pipe)')
    .option('-q, --quiet', 'no progress bar')
    .option(...PROGRESS_OPTION)
    .option('--json', 'print a JSON summary')
    .option('--full-restarts-history', 'with --history: a full stream replaces the history with a new one holding only its snapshot, instead of being refused (what `snapdelta backup --ssh` asks for when it falls back to a full copy)')
  addHistoryOptions(command).action(async (targetPath: string, opts: ReceiveOptions) => {
    const journal = journalFor(opts, targetPath)
    const input = opts.from ? await openStreamFile(opts.from) : process.stdin
    const streamName = opts.from ?? 'the stream on stdin'
    let progress: Progress | undefined
    const progressOptions = { quiet: opts.quiet === true || opts.json === true, lines: opts.progress }
    try {
      const peeked = await peekInput(input, RBD_DIFF_HEADER.length)
      if (isRbdDiff(peeked.prefix)) {
        if (journal) throw new UsageError(`${streamName} is an rbd diff: it does not list its ranges ahead of its data, so it cannot be recorded in a history; receive it without --history`)
        const summary = await receiveRbdDiff(peeked.input, streamName, targetPath, (size) => (progress = startProgress('receive', size, progressOptions)), (bytes) => progress?.advance(bytes))
        progress?.stop()
        if (opts.json) await printJson(summary)
        else if (!opts.quiet) {
          process.stderr.write(
            `received an rbd diff (${summary.fromSnap ?? 'from an empty image'} -> ${summary.toSnap ?? 'unnamed'}): ${summary.writeRecords} write and ${summary.zeroRecords} zero records ` +
              `(${formatBytes(summary.bytesWritten)} written, ${formatBytes(summary.bytesZeroed)} zeroed) onto ${targetPath}; flushed; no content check: an rbd diff carries no checksums\n`,
          )
        }
        return
      }
      const summary = await receiveStream(
        peeked.input,
        streamName,
        targetPath,
        (header) => (progress = startProgress('receive', header.changedBytes, progressOptions)),
        (bytes) => progress?.advance(bytes),
        journal,
      )
      progress?.stop()
      const history = journal?.outcome() ?? null
      if (opts.json) await printJson({ ...summary, header: { ...summary.header, identity: summary.header.identity.toString('hex') }, history })
      else if (!opts.quiet && summary.alreadyHeld) {
        process.stderr.write(`${targetPath} already holds ${describeSnapshot(summary.to)} (${opts.history} says so): nothing written\n`)
      } else if (!opts.quiet) {
        process.stderr.write(`received ${summary.records} records (${formatBytes(summary.bytesWritten)}) onto ${targetPath}; flushed; ${checkNote(summary)}${historyNote(history)}\n`)
      }
    } finally {
      progress?.stop()
      input.destroy()
    }
  })
}

// What receive could say of the target's content before it wrote.
function checkNote(summary: ReceiveSummary): string {
  if (summary.contentChecked) return `the target held the base or the new data in every range (${summary.runsAlreadyNew} of ${summary.header.runs} runs already new)`
  if (summary.kind === 'full') return 'a full stream: no base needed'
  return summary.streamVersion === 1 ? 'no content check: a version-1 stream has no check table' : 'no content check: the stream was sent without the old content'
}

// --from names a saved stream: a regular file (or a block device holding one).
// A pipe is what stdin is for; a named one would block the open until a writer came.
async function openStreamFile(file: string): Promise<Readable> {
  try {
    const { handle } = await openDataFile(file, constants.O_RDONLY, 'the stream')
    return handle.createReadStream({ highWaterMark: 1024 * 1024 })
  } catch (err) {
    if (err instanceof InvalidInputError) throw err
    throw new InvalidInputError(`cannot open the stream ${file}: ${(err as Error).message}`, { cause: err })
  }
}
